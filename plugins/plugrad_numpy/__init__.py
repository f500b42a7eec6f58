"""plugrad's NumPy pack: the differentiable ``plugrad.numpy`` namespace.

Importing this module defines nothing but the hooks; plugrad calls them, and
only then are the primitive modules imported: each when one of its names is first used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plugrad import collect, deferred, hookimpl

__version__ = "0.1.0"

# The modules that define the pack's functions, in dependency order.
MODULES = (
    "unary",
    "binary",
    "reductions",
    "order",
    "shape",
    "indexing",
    "linear",
    "sorting",
    "elementwise",
    "joining",
    "statistics",
    "sets",
    "nondiff",
    "vectorize",
)


def entries(module_names: Iterable[str] = MODULES) -> list[Any]:
    """Every function the pack defines, in every namespace."""
    return collect(__name__, module_names)


@hookimpl
def plugrad_namespaces() -> list[str]:
    return ["numpy", "operator"]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    # Each module is imported when one of its names is first used; _manifest.py says which
    # module defines which name (regenerate it with `python -m plugrad manifest plugrad_numpy`).
    from plugrad_numpy._manifest import MODULES as DEFINED, OVERRIDE

    return deferred(__name__, DEFINED, namespace, OVERRIDE) if namespace in ("numpy", "operator") else None


def as_array(sequence: Any) -> Any:
    """A list or tuple holding traced values, or a traced one, as the traced array NumPy
    makes of it: how this pack's functions (and the packs built on it) take one."""
    from plugrad_numpy.joining import array

    return array(sequence)


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy.box import BOXED_TYPES, ArrayBox

    for value_type in BOXED_TYPES:
        register.box(value_type, ArrayBox)
    register.sequences(as_array)
    # ndarray subclasses whose operations the rules would get wrong, silently
    register.refuse(
        "numpy.ma.MaskedArray",
        "NumPy's functions skip its masked elements, which the rules, written for arrays, do "
        "not know of, so its derivatives would be wrong. Pass the data and the mask as plain "
        "arrays and apply the mask with plugrad.numpy.where (np.sum(np.where(mask, 0.0, x)) for "
        "a masked sum), or the filled array (x.filled(0.0)) where masked elements are constants.",
    )
    register.refuse(
        "numpy.matrix",
        "its * and ** are matrix products, where the rules of * and ** are elementwise, so its "
        "derivatives would be wrong. Convert it with numpy.asarray(m) and write matrix "
        "products with @.",
    )
