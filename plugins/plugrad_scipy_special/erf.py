"""Error functions, the Faddeeva and Dawson functions, and the standard normal
distribution: its CDF, log CDF, quantiles and Owen's T."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad.box import Box, getval
from plugrad_numpy._util import broadcast_like, iscomplex, unbroadcast
from plugrad_numpy.indexing import where3
from plugrad_numpy.unary import exp
from plugrad_scipy_special._rules import anywhere, binary, elementwise, pair_samples, special

_2_SQRTPI = 2 / math.sqrt(math.pi)
_SQRT2PI = math.sqrt(2 * math.pi)
_SQRT2 = math.sqrt(2.0)

# The calculus table.
erf = elementwise("erf", sc.erf, lambda ans, x: _2_SQRTPI * exp(-x * x), complex=True)
erfc = elementwise("erfc", sc.erfc, lambda ans, x: -_2_SQRTPI * exp(-x * x), complex=True)
# erfcx = e^(x^2) erfc(x). Its derivative 2 x erfcx(x) - 2/sqrt(pi) is the difference of two
# terms that both tend to 2/sqrt(pi) as x grows: past x = 10 (real x) it is taken from the
# asymptotic series instead, (2/sqrt(pi)) sum_n (-1)^n (2n-1)!! / (2 x^2)^n, whose eleventh
# term is below 1e-13 of the sum there; the direct form, at x = 10, loses two digits.
_FAR = 10.0
_SERIES = [(-1) ** n * math.prod(range(1, 2 * n, 2)) / 2**n for n in range(1, 11)]


def _erfcx_derivative(ans: Any, x: Any) -> Any:
    direct = 2 * x * ans - _2_SQRTPI
    xv = getval(x)
    if iscomplex(xv) or not np.any(np.asarray(xv) > _FAR):
        return direct
    far = np.asarray(xv) > _FAR
    u = 1 / where3(far, x, _FAR) ** 2  # (x itself only where the series is used: finite elsewhere)
    series = 0.0
    for c in reversed(_SERIES):  # Horner's rule in u = 1 / x^2
        series = (series + c) * u
    series = _2_SQRTPI * series
    return series if np.ndim(xv) == 0 else where3(far, series, direct)


erfcx = elementwise("erfcx", sc.erfcx, _erfcx_derivative, low=-1.0, high=3.0, complex=True, saves=("ans", "args"))
erfcx.def_samples(Sample(rand(4, low=5.0, high=40.0)), Sample(rand(2, 3, low=8.0, high=12.0)))
erfi = elementwise("erfi", sc.erfi, lambda ans, x: _2_SQRTPI * exp(x * x), complex=True)
# dawsn' = 1 - 2 x D(x) cancels the same way, to about -1 / (2 x^2): for real |x| past 10 it
# is taken from the asymptotic series -sum_(n>=1) (2n-1)!! / (2 x^2)^n (DLMF 7.12.1 with
# D(x) = (sqrt(pi)/2) e^(-x^2) erfi(x)), sixteen terms (below 1e-18 of the sum at 10; the
# direct form loses two digits there, and all of them by 1e8). A float32 argument's rule is
# worked in float64: the direct form would divide float32's precision by 2 x D(x) / D'(x)
# (up to 200 below 10, and without bound at D's maximum, 0.92).
_DAWSN_FAR = 10.0
_DAWSN_SERIES = [-math.prod(range(1, 2 * n, 2)) / 2**n for n in range(1, 17)]


def _dawsn_derivative(ans: Any, x: Any) -> Any:
    xv = getval(x)
    if getattr(xv, "dtype", None) == np.float32:
        x = x * np.float64(1.0)
        ans = dawsn(x)
    direct = 1 - 2 * x * ans
    if iscomplex(xv):
        return direct
    far = abs(xv) > _DAWSN_FAR
    if not anywhere(far):
        return direct
    t = 1 / where3(far, x, _DAWSN_FAR)  # (x itself only where the series is used: finite elsewhere)
    u = t * t  # (not 1 / x^2, which overflows first)
    series = 0.0
    for c in reversed(_DAWSN_SERIES):  # Horner's rule in u = 1 / x^2
        series = (series + c) * u
    return series if np.ndim(xv) == 0 else where3(far, series, direct)


dawsn = elementwise(
    "dawsn", sc.dawsn, _dawsn_derivative, low=-2.0, high=2.0, complex=True, saves=("ans", "args")
)
dawsn.def_samples(Sample(rand(4, low=5.0, high=20.0)), Sample(rand(2, 3, low=-20.0, high=-5.0)))  # |x| = 10
# The Faddeeva function w(z) = e^(-z^2) erfc(-iz): complex even at real arguments.
wofz = elementwise(
    "wofz",
    sc.wofz,
    lambda ans, x: -2 * x * ans + 1j * _2_SQRTPI,
    low=-2.0,
    high=2.0,
    complex=True,
    saves=("ans", "args"),
)
erfinv = elementwise(
    "erfinv",
    sc.erfinv,
    lambda ans, x: exp(ans * ans) / _2_SQRTPI,
    low=-0.9,
    high=0.9,
    saves=("ans", "shapes"),
)
erfcinv = elementwise(
    "erfcinv",
    sc.erfcinv,
    lambda ans, x: -exp(ans * ans) / _2_SQRTPI,
    low=0.1,
    high=1.9,
    saves=("ans", "shapes"),
)

# The standard normal distribution.
ndtr = elementwise(
    "ndtr", sc.ndtr, lambda ans, x: exp(-x * x / 2) / _SQRT2PI, low=-3.0, high=3.0, complex=True
)
# log_ndtr' is R(x) = phi(x) / Phi(x), the inverse Mills ratio. Far in the left tail R is
# about -x and R' = -R (x + R) is the difference of nearly equal numbers, as is each higher
# derivative: written as exp(-x^2/2 - log_ndtr(x)), the third derivative at x = -100 had lost
# all but one digit. For real x, R and s = x + R are primitives of their own: R from erfcx
# (no cancelling exponents), and s, left of -5, from Laplace's continued fraction
# s = 1 / (t + 2 / (t + 3 / (t + ...))) with t = -x (30 terms: rounding error there). Then
# R' = -R s and s' = 1 - R s lose a factor t^2 of precision per order, not all of it.
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_FAR_LEFT = -5.0
_TERMS = 30


def _mills_fun(x: Any) -> Any:
    with np.errstate(over="ignore"):  # (erfcx overflows far right, where R underflows: 0)
        return _SQRT_2_OVER_PI / sc.erfcx(-np.asarray(x) / _SQRT2)[()]


def _mills_gap_fun(x: Any) -> Any:
    x = np.asarray(x)
    direct = x + _mills_fun(x)
    far = x < _FAR_LEFT
    if not np.any(far):
        return direct[()]
    t = -np.where(far, x, _FAR_LEFT)
    f = t
    for k in range(_TERMS, 1, -1):
        f = t + k / f
    return np.where(far, 1 / f, direct)[()]


mills = special("_mills", _mills_fun, saves=("ans", "args"), doc="phi(x) / Phi(x), the inverse Mills ratio.")
mills_gap = special("_mills_gap", _mills_gap_fun, saves=("ans", "args"), doc="x + phi(x) / Phi(x).")
mills.def_vjp(lambda g, ans, x: unbroadcast(g * -(ans * mills_gap(x)), x))
mills.def_jvp(lambda t, ans, x: broadcast_like(t * -(ans * mills_gap(x)), ans))
mills_gap.def_vjp(lambda g, ans, x: unbroadcast(g * (1 - mills(x) * ans), x))
mills_gap.def_jvp(lambda t, ans, x: broadcast_like(t * (1 - mills(x) * ans), ans))
for _prim in (mills, mills_gap):
    _prim.def_samples(
        Sample(scalar(-3.0, 3.0)), Sample(rand(4, low=-30.0, high=-4.0)), Sample(rand(2, 3, low=-8.0, high=8.0))
    )


def log_ndtr_derivative(ans: Any, x: Any) -> Any:
    """``d log_ndtr(x) / dx`` at ``ans = log_ndtr(x)``, to full precision far in the left tail
    (scipy.stats.norm's logcdf and logsf use it too)."""
    if iscomplex(x):  # (holomorphic: the formula, which the complex samples check)
        return exp(-x * x / 2 - ans) / _SQRT2PI
    if isinstance(x, Box) or isinstance(ans, Box):
        return mills(x)  # to be differentiated again
    # First order: only the value, by the exponential, which is the faster (1.6 times on 10^6
    # points) and right of -10 the more accurate (erfcx(-x/sqrt 2) grows as e^(x^2/2)), and
    # by the Mills primitive left of -10, where the exponent's cancellation costs digits.
    with np.errstate(over="ignore", under="ignore"):
        direct = np.exp(-np.square(x) / 2 - ans) / _SQRT2PI
    far = np.asarray(x) < -10.0
    if not far.any():
        return direct
    out = np.array(direct, copy=True)
    out[far] = _mills_fun(np.asarray(x)[far])
    return out[()] if out.ndim == 0 else out


log_ndtr = elementwise(
    "log_ndtr", sc.log_ndtr, log_ndtr_derivative, low=-3.0, high=3.0, complex=True, saves=("ans", "args")
)
log_ndtr.def_samples(Sample(rand(3, low=-30.0, high=-10.0)), Sample(scalar(5.0, 8.0)))
ndtri = elementwise(
    "ndtri",
    sc.ndtri,
    lambda ans, p: _SQRT2PI * exp(ans * ans / 2),
    low=0.05,
    high=0.95,
    saves=("ans", "shapes"),
)
ndtri_exp = elementwise(
    "ndtri_exp",
    sc.ndtri_exp,
    lambda ans, y: _SQRT2PI * exp(y + ans * ans / 2),
    low=-5.0,
    high=-0.1,
    saves=("ans", "args"),
)

# Owen's T(h, a) = 1/(2 pi) int_0^a exp(-h^2 (1 + x^2) / 2) / (1 + x^2) dx.
owens_t = binary(
    "owens_t",
    sc.owens_t,
    lambda ans, h, a: -exp(-h * h / 2) * erf(a * h / _SQRT2) / (2 * _SQRT2PI),
    lambda ans, h, a: exp(-h * h * (1 + a * a) / 2) / (2 * math.pi * (1 + a * a)),
    pair_samples(-2.0, 2.0),
)
