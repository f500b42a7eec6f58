"""plugrad's SciPy integration pack: the differentiable ``plugrad.scipy.integrate`` namespace,
``odeint``.

Importing this module defines the hooks and nothing else; SciPy and the module that
defines ``odeint`` are imported only when plugrad first asks for ``scipy.integrate``.

``odeint(func, y0, t, args=(), **kwargs)`` has autograd's signature and semantics
(``func(y, t, *args)``), and is differentiable in both modes, to any order, with respect
to ``y0``, ``t`` and the float arrays and numbers in ``args`` (its other entries, an int or
a str, are constants): by the adjoint method in reverse mode, by the sensitivity equations
in forward mode, each solved by ``odeint`` itself, so that derivatives of derivatives are
further integrations. See
:mod:`plugrad_scipy_integrate.odeint`.
"""

from __future__ import annotations

from typing import Any

from plugrad import hookimpl

__version__ = "0.1.0"

NAMESPACE = "scipy.integrate"


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == NAMESPACE:
        from plugrad_scipy_integrate import odeint

        return [odeint.odeint_, odeint.odeint]
    return None
