"""Fixed points, differentiated by the implicit function theorem.

``fixed_point(f, a, x0, distance, tol)`` iterates ``x = f(a)(x)`` from ``x0`` until
``distance(x, x_prev) <= tol`` and returns the last ``x``. Near a fixed point
``x* = F(a, x*)`` of a contraction (``F(a, x) = f(a)(x)``), ``x*`` is a smooth function
of ``a`` with ``dx* = (I - F_x)^-1 F_a da``. Neither rule differentiates through the
iterations; each solves one more fixed-point problem with the same contraction rate:

- VJP: the adjoint ``w = g + F_x^T w``, then ``a-bar = F_a^T w``;
- JVP: the tangent ``u = F_x u + F_a t``.

Both are solved by ``fixed_point`` itself, with ``(a, x*, g)`` as the parameters, so
the rules can be differentiated again. The starting point ``x0`` has derivative zero
(the fixed point does not depend on it); ``f``, ``distance`` and ``tol`` are constants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import Primitive, Sample, gen, make_jvp, make_vjp, rand
from plugrad.box import getval
from plugrad.builtins import pack
from plugrad.primitive import add_any
from plugrad.vspace import vspace
from plugrad_numpy.unary import cos, tanh

Fun = Callable[..., Any]


def _fixed_point(f: Fun, a: Any, x0: Any, distance: Fun, tol: float) -> Any:
    """The fixed point of ``x = f(a)(x)``, iterated from ``x0`` until ``distance(x, x_prev) <= tol``;
    differentiable with respect to ``a`` (by the implicit function theorem)."""
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


fixed_point = Primitive("misc.fixed_point", _fixed_point)


def _steps(f: Fun) -> tuple[Fun, Fun]:
    """The maps whose fixed points are the adjoint and the tangent, for the map ``f``."""

    def adjoint(params: Any) -> Fun:
        a, x, g = params
        vjp_x, _ = make_vjp(f(a))(x)
        return lambda w: add_any(vjp_x(w), g)

    def tangent(params: Any) -> Fun:
        a, x, c = params
        jvp_x = make_jvp(f(a))(x)
        return lambda u: add_any(jvp_x(u)[1], c)

    return adjoint, tangent


def _zeros(x: Any) -> Any:
    return vspace(getval(x)).zeros()


def _fixed_point_vjp(g: Any, ans: Any, f: Fun, a: Any, x0: Any, distance: Fun, tol: float) -> Any:
    adjoint, _ = _steps(f)
    w = fixed_point(adjoint, pack((a, ans, g)), _zeros(g), distance, tol)
    vjp_a, _ = make_vjp(lambda a: f(a)(ans))(a)
    return vjp_a(w)


def _fixed_point_jvp(t: Any, ans: Any, f: Fun, a: Any, x0: Any, distance: Fun, tol: float) -> Any:
    _, tangent = _steps(f)
    _, c = make_jvp(lambda a: f(a)(ans))(a)(t)
    return fixed_point(tangent, pack((a, ans, c)), _zeros(ans), distance, tol)


fixed_point.def_vjp(_fixed_point_vjp, lambda g, ans, f, a, x0, distance, tol: _zeros(x0), argnums=(1, 2))
fixed_point.def_jvp(_fixed_point_jvp, lambda t, ans, f, a, x0, distance, tol: _zeros(ans), argnums=(1, 2))
FIXED_POINT_ALIAS = fixed_point.alias("misc.fixed_points.fixed_point", _fixed_point)


# -- samples: contractions -----------------------------------------------------------------


def _cosine(a: Any) -> Fun:
    return lambda x: a * cos(x)  # |a| < 1: a contraction


def _affine_tanh(params: Any) -> Fun:
    scale, shift = params
    return lambda x: scale * tanh(x) + shift


def _max_abs(x: Any, y: Any) -> float:
    return float(np.max(np.abs(np.asarray(x) - np.asarray(y))))


def _pair(rng: np.random.Generator, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0.2, 0.6, 3).astype(dtype), rng.uniform(-1.0, 1.0, 3).astype(dtype)


fixed_point.def_samples(
    Sample(_cosine, rand(3, low=0.2, high=0.7), np.zeros(3), _max_abs, 1e-13).only("float64"),
    Sample(_cosine, rand(low=-0.7, high=0.7), np.ones(()), _max_abs, 1e-13).only("float64"),
    Sample(_affine_tanh, gen(_pair), np.zeros(3), _max_abs, 1e-13).only("float64"),
    Sample(_cosine, rand(3, low=0.2, high=0.7), rand(3), _max_abs, 1e-13).only("float64").named("from x0"),
)
