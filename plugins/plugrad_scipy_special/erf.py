"""Error functions, the Faddeeva and Dawson functions, and the standard normal
distribution: its CDF, log CDF, quantiles and Owen's T."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import iscomplex
from plugrad_numpy.indexing import where3
from plugrad_numpy.unary import exp
from plugrad_scipy_special._rules import binary, elementwise, pair_samples

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
dawsn = elementwise(
    "dawsn", sc.dawsn, lambda ans, x: 1 - 2 * x * ans, low=-2.0, high=2.0, complex=True, saves=("ans", "args")
)
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
# phi(x) / Phi(x), in logarithms so that it stays finite far in the left tail.
log_ndtr = elementwise(
    "log_ndtr",
    sc.log_ndtr,
    lambda ans, x: exp(-x * x / 2 - ans) / _SQRT2PI,
    low=-3.0,
    high=3.0,
    complex=True,
    saves=("ans", "args"),
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
