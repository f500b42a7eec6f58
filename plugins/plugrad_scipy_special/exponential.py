"""Exponentials, logarithms and their integrals: ``expm1`` to ``exp10``, trigonometric
functions in degrees, ``exprel``, the exponential integrals and Lambert's W."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import broadcast_like, unbroadcast
from plugrad_numpy.unary import exp, sin
from plugrad_scipy_special import _series
from plugrad_scipy_special._rules import anywhere, by_branch, elementwise, order_samples, special, with_order

_DEG = math.pi / 180

# The calculus table.
expm1 = elementwise("expm1", sc.expm1, lambda ans, x: ans + 1, complex=True, saves=("ans", "shapes"))
log1p = elementwise("log1p", sc.log1p, lambda ans, x: 1 / (x + 1), low=-0.5, high=2.0, complex=True)
exp2 = elementwise("exp2", sc.exp2, lambda ans, x: ans * math.log(2.0), saves=("ans", "shapes"))
exp10 = elementwise("exp10", sc.exp10, lambda ans, x: ans * math.log(10.0), saves=("ans", "shapes"))
cbrt = elementwise(
    "cbrt", sc.cbrt, lambda ans, x: 1 / (3 * ans * ans), low=0.2, high=2.0, saves=("ans", "shapes")
)
cbrt.def_samples(Sample(rand(4, low=-2.0, high=-0.2)))
cosm1 = elementwise("cosm1", sc.cosm1, lambda ans, x: -sin(x))
sindg = elementwise("sindg", sc.sindg, lambda ans, x: _DEG * cosdg(x), low=-80.0, high=80.0)
cosdg = elementwise("cosdg", sc.cosdg, lambda ans, x: -_DEG * sindg(x), low=-80.0, high=80.0)
tandg = elementwise(
    "tandg", sc.tandg, lambda ans, x: _DEG * (1 + ans * ans), low=-60.0, high=60.0, saves=("ans", "shapes")
)
cotdg = elementwise(
    "cotdg", sc.cotdg, lambda ans, x: -_DEG * (1 + ans * ans), low=20.0, high=160.0, saves=("ans", "shapes")
)

# phi_n(y) = sum_k y^k / (k + n)!, so phi_n' = phi_n - n phi_(n+1): a family closed under
# d/dy, for derivatives that would otherwise cancel near 0 (exprel = phi_1; Box-Cox).
phi = with_order(
    "_phi",
    _series.phi,
    lambda ans, n, y: ans - n * phi(n + 1, y),
    [Sample(n, rand(4, low=-2.0, high=2.0)) for n in range(4)] + [Sample(1, scalar(-2.0, 2.0))],
    saves=("ans", "args"),
)
phi.dtypes = ("float64",)  # private, for integer scalar orders: computes in double precision


# exprel' = phi_1 - phi_2 cancels far left (phi_2 = (phi_1 - 1) / x; to 1e-30 at -1e15, both
# about 1e-15): for |x| >= 1 it is (e^x (x - 1) + 1) / x^2 instead, whose numerator is at
# least a quarter of its 1 left of -1 (e^x (x - 1) >= -2/e); right of 1, with e^x = x exprel
# + 1, exprel (1 - 1/x) + 1/x, two positive terms, finite as far as exprel is (e^x (x - 1)
# overflows from x = 703, exprel from 709.8).
def _exprel_derivative(ans: Any, x: Any) -> Any:
    def left(x: Any) -> Any:
        return (exp(x) * (x - 1) + 1) / x / x  # (not / x^2, which overflows first)

    def right(x: Any) -> Any:
        return ans * (1 - 1 / x) + 1 / x

    def near(x: Any) -> Any:
        return ans - phi(2, x)

    def not_left(x: Any) -> Any:
        return by_branch(np.asarray(getval(x)) >= 1, x, 2.0, right, 0.0, near)

    xv = getval(x)
    if not anywhere(abs(xv) >= 1):  # (the common case)
        return near(x)
    return by_branch(np.asarray(xv) <= -1, x, -2.0, left, 0.0, not_left)


exprel = elementwise("exprel", sc.exprel, _exprel_derivative, low=-2.0, high=2.0, saves=("ans", "args"))
exprel.def_samples(
    Sample(rand(3, low=-0.01, high=0.01)),  # across 0, where (e^x - 1)/x cancels
    Sample(rand(4, low=-40.0, high=-0.5)),  # across -1 and far left
    Sample(rand(4, low=0.5, high=20.0)),  # across 1
)

# Exponential integrals.
exp1 = elementwise("exp1", sc.exp1, lambda ans, x: -exp(-x) / x, low=0.2, high=3.0, complex=True)
expi = elementwise("expi", sc.expi, lambda ans, x: exp(x) / x, low=0.2, high=2.0, complex=True)
expi.def_samples(Sample(rand(4, low=-2.0, high=-0.2)))


def _expn_d(ans: Any, n: Any, x: Any) -> Any:
    # E_n' = -E_(n-1), where E_(-1)(x) = e^-x (1 + x) / x^2.
    n = np.asarray(n)
    if np.all(n >= 1):
        return -expn(n - 1, x)
    above = n >= 1
    return -(expn(np.maximum(n - 1, 0), x) * above + exp(-x) * (1 + x) / (x * x) * ~above)


expn = with_order("expn", sc.expn, _expn_d, order_samples([0, 1, 2, 5], low=0.3, high=3.0))


# Lambert's W: W e^W = z, so W' = 1 / (e^W (1 + W)). SciPy answers in complex even on the
# real branch; a real argument then gets a real cotangent, the real part of g W'.
def _lambertw_d(ans: Any) -> Any:
    return 1 / (exp(ans) * (1 + ans))


lambertw = special("lambertw", sc.lambertw, complex=True, saves=("ans", "shapes"))
lambertw.def_vjp(lambda g, ans, z, *a, **k: unbroadcast(g * _lambertw_d(ans), z))
lambertw.def_jvp(lambda t, ans, z, *a, **k: broadcast_like(t * _lambertw_d(ans), ans))
lambertw.def_samples(
    Sample(scalar(-0.3, 3.0)),
    Sample(rand(4, low=-0.3, high=3.0)),
    Sample(rand(2, 3, low=0.1, high=3.0)),
    Sample(rand(3, low=-0.3, high=-0.1), -1).only("float64"),  # the other real branch
    Sample(rand(3, low=0.1, high=2.0), k=1).only("complex128"),
)
