"""plugrad-example: numerically stable activations as a plugrad pack.

Users reach the functions as ``plugrad.example``::

    import plugrad.example as ex
    ex.softplus(x)

This module only names the pack's hooks; plugrad imports :mod:`plugrad_example.functions`
the first time someone touches ``plugrad.example``.
"""

from __future__ import annotations

from typing import Any

from plugrad import hookimpl

__version__ = "0.1.0"

NAMESPACE = "example"


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace != NAMESPACE:
        return None
    from plugrad_example import functions

    return functions.FUNCTIONS
