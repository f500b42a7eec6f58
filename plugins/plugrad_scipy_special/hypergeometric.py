"""Hypergeometric functions, complete elliptic integrals and the dilogarithm.

The hypergeometric functions are differentiable in their argument ``z`` (DLMF 13.3.15,
13.3.22, 15.5.1, 16.3.1); their parameters have no closed-form derivative and no rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad_numpy._util import broadcast_like, unbroadcast
from plugrad_numpy.unary import log
from plugrad.box import getval
from plugrad_scipy_special._rules import by_branch, elementwise, special, with_order


def _in_z(name: str, fun: Any, deriv: Any, samples: list[Sample], *, complex: bool) -> Any:
    """``fun(*params, z)`` differentiable in its last argument, ``z``, only."""
    prim = special(name, fun, complex=complex, saves=("args",))
    nparams = len(samples[0].args) - 1
    prim.def_vjp(lambda g, ans, *args: unbroadcast(g * deriv(ans, *args), args[-1]), argnums=(nparams,))
    prim.def_jvp(lambda t, ans, *args: broadcast_like(t * deriv(ans, *args), ans), argnums=(nparams,))
    prim.def_samples(*samples)
    return prim


hyp0f1 = with_order(
    "hyp0f1",
    sc.hyp0f1,
    lambda ans, v, z: hyp0f1(v + 1, z) / v,
    [
        Sample(1.5, rand(3, low=-2.0, high=2.0)),
        Sample(np.array([0.5, 2.5]), rand(2, low=-2.0, high=2.0)),
        Sample(np.array([[0.5], [2.5]]), rand(3, low=-2.0, high=2.0)),  # z broadcast
        Sample(0.7, scalar()),
    ],
    complex=True,
)
hyp1f1 = _in_z(
    "hyp1f1",
    sc.hyp1f1,
    lambda ans, a, b, z: a / b * hyp1f1(a + 1, b + 1, z),
    [
        Sample(1.5, 2.5, rand(3, low=-2.0, high=2.0)),
        Sample(np.array([0.5, -0.5]), 1.5, rand(2, low=-2.0, high=2.0)),
        Sample(2.0, np.array([[1.5], [3.0]]), rand(3)),
        Sample(-1.3, 0.7, scalar(-2.0, 2.0)),
    ],
    complex=True,
)
hyperu = _in_z(
    "hyperu",
    sc.hyperu,
    lambda ans, a, b, x: -a * hyperu(a + 1, b + 1, x),
    [
        Sample(1.5, 2.5, rand(3, low=0.3, high=3.0)),
        Sample(np.array([0.5, 2.0]), 0.5, rand(2, low=0.3, high=3.0)),
        Sample(np.array([[0.5], [2.0]]), 0.5, rand(3, low=0.3, high=3.0)),  # x broadcast
    ],
    complex=False,
)
hyp2f1 = _in_z(
    "hyp2f1",
    sc.hyp2f1,
    lambda ans, a, b, c, z: a * b / c * hyp2f1(a + 1, b + 1, c + 1, z),
    [
        Sample(1.5, 0.5, 2.5, rand(3, low=-0.8, high=0.8)),
        Sample(np.array([0.5, -1.5]), 1.0, 3.0, rand(2, low=-0.8, high=0.8)),
        Sample(1.5, np.array([[0.5], [-1.5]]), 2.5, rand(3, low=-0.8, high=0.8)),  # z broadcast
        Sample(0.3, 0.6, 1.2, scalar(-0.8, 0.8)),
    ],
    complex=True,
)

# Complete elliptic integrals K(m), E(m) (DLMF 19.4.1). Near m = 0 the derivatives' numerators
# E - (1 - m) K and E - K cancel (at m = 1e-8 half the digits go; at 0.01, two of the second derivative's): there, the derivatives of
# the Taylor series K = pi/2 sum a_n m^n, a_n = ((2n-1)!! / (2n)!!)^2, and E = pi/2 sum
# -a_n m^n / (2n - 1) (DLMF 19.5.1, 19.5.2), to m^25, below a double's precision for |m| < 0.1.
_K_TAYLOR = [float(sc.binom(2 * n, n)) ** 2 / 16.0**n for n in range(27)]
_E_TAYLOR = [-a / (2 * n - 1) for n, a in enumerate(_K_TAYLOR)]


def _taylor_derivative(coefficients: list[float], m: Any) -> Any:
    """``d/dm (pi/2) sum_n c_n m^n``, by Horner's rule."""
    total: Any = 0.0
    for n in range(len(coefficients) - 1, 0, -1):
        total = total * m + n * coefficients[n]
    return (np.pi / 2) * total


def _near_zero(m: Any) -> Any:
    return np.abs(getval(m)) < 0.1


def _ellipk_deriv(ans: Any, m: Any) -> Any:
    series = lambda m: _taylor_derivative(_K_TAYLOR, m)  # noqa: E731
    return by_branch(_near_zero(m), m, 0.0, series, 0.5, lambda m: (ellipe(m) - (1 - m) * ans) / (2 * m * (1 - m)))


def _ellipe_deriv(ans: Any, m: Any) -> Any:
    series = lambda m: _taylor_derivative(_E_TAYLOR, m)  # noqa: E731
    return by_branch(_near_zero(m), m, 0.0, series, 0.5, lambda m: (ans - ellipk(m)) / (2 * m))


def _ellipkm1_deriv(ans: Any, p: Any) -> Any:
    # -K'(1 - p), written in p itself: at small p, which is what ellipkm1 is for, 1 - (1 - p)
    # is not p; near p = 1 (m = 1 - p near 0), by the series.
    series = lambda p: -_taylor_derivative(_K_TAYLOR, 1 - p)  # noqa: E731
    direct = lambda p: -(ellipe(1 - p) - p * ans) / (2 * p * (1 - p))  # noqa: E731
    return by_branch(_near_zero(1 - getval(p)), p, 1.0, series, 0.5, direct)


ellipk = elementwise("ellipk", sc.ellipk, _ellipk_deriv, low=0.1, high=0.9, saves=("ans", "args"))
ellipk.def_samples(Sample(rand(3, low=-2.0, high=-0.1)), Sample(rand(3, low=-0.05, high=0.05)))
ellipe = elementwise("ellipe", sc.ellipe, _ellipe_deriv, low=0.1, high=0.9, saves=("ans", "args"))
ellipe.def_samples(Sample(rand(3, low=-2.0, high=-0.1)), Sample(rand(3, low=-0.05, high=0.05)))
# ellipkm1(p) = K(1 - p).
ellipkm1 = elementwise("ellipkm1", sc.ellipkm1, _ellipkm1_deriv, low=0.1, high=0.9, saves=("ans", "args"))
ellipkm1.def_samples(Sample(rand(3, low=0.95, high=1.0)), Sample(rand(3, low=0.01, high=0.05)))


# SciPy's dilogarithm: spence(z) = int_1^z log(t) / (1 - t) dt.
# Its derivative log(z) / (1 - z) is 0 / 0 at z = 1, where it is -1: there (|z - 1| < 0.05), the
# series -sum_k (1 - z)^k / (k + 1), to k = 13, below a double's precision.


def _spence_deriv(ans: Any, z: Any) -> Any:
    def series(z: Any) -> Any:
        u = 1 - z
        total: Any = 0.0
        for k in range(13, -1, -1):
            total = total * u + 1.0 / (k + 1)
        return -total

    return by_branch(np.abs(np.asarray(getval(z)) - 1) < 0.05, z, 1.0, series, 0.5, lambda z: log(z) / (1 - z))


spence = elementwise("spence", sc.spence, _spence_deriv, low=0.2, high=0.8, complex=True)
spence.def_samples(Sample(rand(3, low=1.2, high=3.0)), Sample(rand(3, low=0.97, high=1.03)))
