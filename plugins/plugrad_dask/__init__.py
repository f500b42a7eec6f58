"""plugrad's Dask pack: gradients through Dask arrays, computed lazily, on a cluster if you like.

With Dask installed it teaches plugrad the Dask array (its vector space and its box,
both registered by qualified name, so nothing imports Dask until a Dask array shows
up) and overrides ``numpy.sum`` and ``numpy.mean`` so their cotangents keep the
chunks of the array reduced. Without Dask it declares nothing and registers nothing.

:func:`computed` turns ``value_and_grad(loss)`` (lazy Dask results) into a function
returning NumPy values, computed together in one ``dask.compute``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from plugrad import deferred, hookimpl

__all__ = ["DASK_ARRAY", "computed"]
__version__ = "0.1.0"

DASK_ARRAY = "dask.array.core.Array"
MODULES = ("reductions",)  # the modules defining the pack's functions


def __getattr__(name: str) -> Any:
    # plugrad imports this module to find its hooks; computed() is imported when it is used.
    if name == "computed":
        from plugrad_dask.compute import computed

        return computed
    raise AttributeError(f"module 'plugrad_dask' has no attribute {name!r}")


def _have_dask() -> bool:
    try:
        return importlib.util.find_spec("dask") is not None  # looks, does not import
    except ValueError:  # sys.modules["dask"] is None: Dask is blocked
        return False


@hookimpl
def plugrad_namespaces() -> list[str]:
    return ["numpy"] if _have_dask() else []


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    # Imported when plugrad.numpy.sum or .mean is first used (see plugrad.manifest).
    from plugrad_dask._manifest import MODULES as DEFINED, OVERRIDE

    return deferred(__name__, DEFINED, namespace, OVERRIDE)


@hookimpl
def plugrad_types(register: Any) -> None:
    if not _have_dask():
        return
    from plugrad_numpy import as_array

    register.sequences(as_array)  # its numpy.sum and numpy.mean take lists as the numpy pack's do
    # By name: their modules are imported when a Dask array is first traced, so a NumPy user
    # with Dask installed does not wait for them.
    register.vspace(DASK_ARRAY, "plugrad_dask.vspace:DaskVSpace")
    register.box(DASK_ARRAY, "plugrad_dask.box:DaskArrayBox")
