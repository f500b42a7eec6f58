"""plugrad's misc pack: ``plugrad.misc`` (``flatten``, ``flatten_func``, ``fixed_point``,
``const_graph``), ``plugrad.misc.optimizers`` (``sgd``, ``rmsprop``, ``adam``),
``plugrad.misc.fixed_points`` and ``plugrad.misc.flatten``, in autograd's terms.

Importing this module defines the hooks and nothing else.
"""

from __future__ import annotations

from typing import Any

from plugrad import hookimpl

__version__ = "0.1.0"

# ``misc.flatten`` is a function of ``misc`` and, as in autograd, a module holding it and
# ``flatten_func`` (``from plugrad.misc.flatten import flatten``).
NAMESPACES = ("misc", "misc.optimizers", "misc.fixed_points", "misc.flatten")


@hookimpl
def plugrad_namespaces() -> list[str]:
    return list(NAMESPACES)


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == "misc":
        from plugrad import Composite
        from plugrad_misc import const_graph, fixed_points, flatten

        return [
            Composite("misc.const_graph", const_graph.const_graph),
            flatten._flatten,
            flatten._unflatten,
            flatten.FLATTEN,
            flatten.FLATTEN_FUNC,
            fixed_points.fixed_point,
        ]
    if namespace == "misc.optimizers":
        from plugrad_misc import optimizers

        return optimizers.ENTRIES
    if namespace == "misc.fixed_points":
        from plugrad_misc import fixed_points

        return [fixed_points.FIXED_POINT_ALIAS]
    if namespace == "misc.flatten":
        from plugrad import Composite
        from plugrad_misc import flatten

        return [
            Composite("misc.flatten.flatten", flatten.flatten),
            Composite("misc.flatten.flatten_func", flatten.flatten_func),
        ]
    return None
