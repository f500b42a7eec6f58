"""The gamma function and its relatives: logarithms, polygammas, beta, Pochhammer,
binomial coefficients, and the Riemann and Hurwitz zeta functions.

Every derivative is a polygamma function, ``psi^(n) = polygamma(n, .)``, so rules of every
order stay in the family. SciPy has no complex ``polygamma``: ``gamma``, ``loggamma`` and
``rgamma`` are differentiable once at complex arguments, twice at real ones.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import NonDifferentiable, NotDifferentiableError, Sample, gen, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import broadcast_like, iscomplex, unbroadcast
from plugrad_numpy.unary import cos, sin
from plugrad_scipy_special import _series
from plugrad_scipy_special._digamma import BERNOULLI, psi_step
from plugrad_scipy_special._rules import (
    binary,
    by_branch,
    complex_samples,
    elementwise,
    order_samples,
    pair_samples,
    special,
    unary_samples,
    with_order,
)


def psi_n(m: int, z: Any) -> Any:
    """``psi^(m)(z)``: ``digamma`` for ``m = 0``, ``polygamma(m, .)`` beyond."""
    return digamma(z) if m == 0 else polygamma(m, z)


# The calculus table.
gamma = elementwise(
    "gamma", sc.gamma, lambda ans, x: ans * digamma(x), low=0.2, high=3.0, saves=("ans", "args")
)
gamma.def_samples(Sample(rand(4, low=-0.8, high=-0.2)), *complex_samples(0.3, 2.0))
gammaln = elementwise("gammaln", sc.gammaln, lambda ans, x: digamma(x), low=0.2, high=4.0)
gammaln.def_samples(Sample(rand(4, low=-0.8, high=-0.2)))  # log|Gamma| where Gamma < 0
loggamma = elementwise("loggamma", sc.loggamma, lambda ans, x: digamma(x), low=0.2, high=4.0)
loggamma.def_samples(*complex_samples(0.3, 2.0))
def _rgamma_deriv(ans: Any, x: Any) -> Any:
    # -digamma(x) / gamma(x), which is 0 * inf at the poles of gamma; near them (within 1/4 of
    # 0, -1, -2, ...) the derivative of the reflection 1/gamma(x) = gamma(1 - x) sin(pi x) / pi,
    # with sin and cos of pi (x - n) (exact at the pole): (-1)^n n! at x = -n.
    if iscomplex(x):
        return -ans * digamma(x)
    xv = np.asarray(getval(x))
    n = np.round(xv)
    near = (n <= 0) & (np.abs(xv - n) < 0.25)
    sign = np.where(n % 2 == 0, 1.0, -1.0)

    def reflected(x: Any) -> Any:
        d = np.pi * (x - n)
        return sign * gamma(1 - x) * (np.pi * cos(d) - digamma(1 - x) * sin(d)) / np.pi

    return by_branch(near, x, 0.0, reflected, 0.5, lambda x: -ans * digamma(x))


rgamma = elementwise("rgamma", sc.rgamma, _rgamma_deriv, low=0.2, high=3.0, saves=("ans", "args"))
rgamma.def_samples(Sample(rand(4, low=-0.8, high=-0.2)), *complex_samples(0.3, 2.0))


def _trigamma(ans: Any, x: Any) -> Any:
    if iscomplex(x):
        raise NotDifferentiableError(
            "scipy.special.digamma (psi) is not differentiable at complex arguments in plugrad: its "
            "derivative is polygamma(1, z), which SciPy computes for real z only. (This is also the "
            "second derivative of gamma, loggamma and rgamma at complex points.)"
        )
    return polygamma(1, x)


digamma = elementwise("digamma", sc.digamma, _trigamma, low=0.2, high=3.0)
psi = digamma.alias("scipy.special.psi", sc.psi)


def _polygamma(n: Any, x: Any) -> Any:
    # SciPy's polygamma(n, x) is (-1)**(n+1) n! zeta(n+1, x) for every n, and also
    # computes digamma(x) everywhere for its n == 0 case: for a positive integer order
    # (each rule's case) and a float64 array, the zeta alone gives the same values, bit
    # for bit, without that digamma (24 ms against 27 for polygamma(1, x) on 10**5 points).
    if type(n) is int and n >= 1 and type(x) is np.ndarray and x.dtype == np.float64:
        if n == 1 and x.size and (x > 0).all():  # digamma's derivative at positive x
            return trigamma_positive(x)
        return (-1.0) ** (n + 1) * sc.gamma(n + 1.0) * sc.zeta(n + 1, x)
    return sc.polygamma(n, x)


# psi1(x) = psi1(x + s) + sum_{k<s} 1/(x + k)**2 (DLMF 5.15.5), and for z = x + s >= 10 the
# asymptotic series 1/z + 1/(2 z**2) + sum_k B_2k / z**(2k+1) (DLMF 5.15.8) to k = 7, whose
# next term is below 1e-16 of the value.
_TRIGAMMA_SERIES = BERNOULLI[:7]  # B_2k, k = 1 .. 7


def trigamma_positive(x: np.ndarray) -> np.ndarray:
    """``polygamma(1, x)`` for a float64 array of positive ``x``, by the recurrence and the
    asymptotic series: within 5e-16 of the exact value, where SciPy's general Hurwitz zeta
    is within 7e-16, and about 6 times faster (digamma's derivative in every gradient
    through gammaln, digamma or gamma)."""
    steps = max(0, math.ceil(10.0 - float(x.min())))
    total = np.zeros_like(x)
    term = np.empty_like(x)
    with np.errstate(over="ignore", divide="ignore"):  # x near 0: psi1 is inf, as SciPy gives
        for k in range(steps):
            np.add(x, k, out=term)
            np.multiply(term, term, out=term)
            np.divide(1.0, term, out=term)
            total += term
        w = 1.0 / (x + steps)
        w2 = w * w
        series = _TRIGAMMA_SERIES[-1] * w2
        for c in _TRIGAMMA_SERIES[-2:0:-1]:
            series += c
            series *= w2
        series += _TRIGAMMA_SERIES[0]
        series *= w
        series += 0.5
        series *= w2
        series += w
        total += series
    return total


polygamma = with_order(
    "polygamma",
    _polygamma,
    lambda ans, n, x: polygamma(n + 1, x),
    order_samples([0, 1, 2, 3], low=0.3, high=3.0),
)
gammasgn = NonDifferentiable("scipy.special.gammasgn", sc.gammasgn)


# log Gamma_d(a) = d (d-1)/4 log(pi) + sum_j gammaln(a - j/2), j = 0 .. d-1.
def _multigammaln_d(a: Any, d: int) -> Any:
    total = digamma(a)
    for j in range(1, int(d)):
        total = total + digamma(a - 0.5 * j)
    return total


multigammaln = special("multigammaln", sc.multigammaln, saves=("args",))
multigammaln.def_vjp(lambda g, ans, a, d: unbroadcast(g * _multigammaln_d(a, d), a))
multigammaln.def_jvp(lambda t, ans, a, d: broadcast_like(t * _multigammaln_d(a, d), ans))
multigammaln.def_samples(
    Sample(scalar(2.5, 4.0), 3),
    Sample(rand(3, low=1.5, high=4.0), 2),
    Sample(rand(2, 2, low=0.6, high=3.0), 1),
)


# The partials of beta, betaln, poch and binom are steps of digamma, psi(a + b) - psi(a),
# whose two digammas cancel where b is small against a: see _digamma.py.
def digamma_step(a: Any, b: Any) -> Any:
    """``psi(a + b) - psi(a)``, accurate where ``b`` is small against ``a``."""
    return psi_step(a, b, _psi_difference)


def _psi_difference(a: Any, b: Any) -> Any:
    return digamma(a + b) - digamma(a)


def _small_and_large(rng: np.random.Generator, dtype: str) -> np.ndarray:
    """Values in [0.01, 0.1) and [40, 80), alternately: against others in [20, 40), steps of
    digamma that cancel and steps that do not, in one array."""
    b = rng.uniform(0.01, 0.1, 4)
    b[1::2] = rng.uniform(40.0, 80.0, 2)
    return np.asarray(b, dtype)


# B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b); d/da ln B = psi(a) - psi(a + b).
_beta_samples = [
    *pair_samples(0.3, 3.0),
    Sample(rand(3, low=20.0, high=40.0), rand(3, low=0.01, high=0.1)),  # b small against a
    Sample(rand(4, low=20.0, high=40.0), gen(_small_and_large)),  # at two of four elements
]
beta = binary(
    "beta",
    sc.beta,
    lambda ans, a, b: -ans * digamma_step(a, b),
    lambda ans, a, b: -ans * digamma_step(b, a),
    _beta_samples,
    saves=("ans", "args"),
)
betaln = binary(
    "betaln",
    sc.betaln,
    lambda ans, a, b: -digamma_step(a, b),
    lambda ans, a, b: -digamma_step(b, a),
    _beta_samples,
)
# poch(z, m) = Gamma(z + m) / Gamma(z); d/dz ln poch = psi(z + m) - psi(z).
poch = binary(
    "poch",
    sc.poch,
    lambda ans, z, m: ans * digamma_step(z, m),
    lambda ans, z, m: ans * digamma(z + m),
    [
        *pair_samples(0.5, 3.0, -0.3, 2.0),
        Sample(rand(4, low=20.0, high=40.0), rand(4, low=-0.1, high=0.1)),  # m small against z
    ],
    saves=("ans", "args"),
)
# binom(n, k) = Gamma(n + 1) / (Gamma(k + 1) Gamma(n - k + 1)); d/dn ln binom = psi(n + 1) -
# psi(n - k + 1), a step by k; d/dk ln binom = psi(n - k + 1) - psi(k + 1), a step by n - 2k.
binom = binary(
    "binom",
    sc.binom,
    lambda ans, n, k: ans * digamma_step(n - k + 1, k),
    lambda ans, n, k: ans * digamma_step(k + 1, n - 2 * k),
    [
        *pair_samples(3.0, 6.0, 0.2, 2.5),
        Sample(rand(3, low=20.0, high=40.0), rand(3, low=0.01, high=0.1)),  # k small against n
        Sample(rand(4, low=40.0, high=40.2), rand(4, low=19.95, high=20.15)),  # k near n / 2
    ],
    saves=("ans", "args"),
)


# -- zeta --------------------------------------------------------------------------------

# d^n/ds^n zeta(s, q), by Euler-Maclaurin (SciPy has no derivative in s).
zeta_ds = special("_zeta_ds", _series.zeta_ds, dtypes=("float64",), saves=("args",))


def _zeta_dn(n: int, s: Any, q: Any) -> Any:
    return zeta(s, q) if n == 0 else zeta_ds(n, s, q)


def _zeta_ds_dq(n: int, s: Any, q: Any) -> Any:
    # d/dq zeta(s, q) = -s zeta(s + 1, q), differentiated n times in s.
    return -(s * zeta_ds(n, s + 1, q) + n * _zeta_dn(n - 1, s + 1, q))


zeta_ds.def_vjp(
    None,
    lambda g, ans, n, s, q: unbroadcast(g * zeta_ds(n + 1, s, q), s),
    lambda g, ans, n, s, q: unbroadcast(g * _zeta_ds_dq(n, s, q), q),
)
zeta_ds.def_jvp(
    None,
    lambda t, ans, n, s, q: broadcast_like(t * zeta_ds(n + 1, s, q), ans),
    lambda t, ans, n, s, q: broadcast_like(t * _zeta_ds_dq(n, s, q), ans),
)
zeta_ds.def_samples(
    Sample(1, rand(3, low=1.5, high=4.0), rand(3, low=0.5, high=2.0)),
    Sample(2, rand(2, 3, low=1.5, high=4.0), scalar(0.5, 2.0)),
)


def _zeta_dq(s: Any, q: Any) -> Any:
    return -s * zeta(s + 1, q)


def _riemann(q: Any) -> Any:
    return 1.0 if q is None else q


# zeta(x) (Riemann) or zeta(x, q) (Hurwitz).
zeta = special("zeta", sc.zeta, saves=("args",))
zeta.def_vjp(
    lambda g, ans, x, q=None: unbroadcast(g * zeta_ds(1, x, _riemann(q)), x),
    lambda g, ans, x, q: unbroadcast(g * _zeta_dq(x, q), q),
)
zeta.def_jvp(
    lambda t, ans, x, q=None: broadcast_like(t * zeta_ds(1, x, _riemann(q)), ans),
    lambda t, ans, x, q: broadcast_like(t * _zeta_dq(x, q), ans),
)
zeta.def_samples(
    *unary_samples(1.5, 4.0),
    *pair_samples(1.5, 4.0, 0.5, 2.0),
    Sample(rand(3, low=1.5, high=4.0), q=0.7),
    Sample(rand(3, low=0.2, high=0.8)),  # the Riemann function's continuation below 1
)
zetac = elementwise("zetac", sc.zetac, lambda ans, x: zeta_ds(1, x, 1.0), low=1.5, high=4.0)
zetac.def_samples(Sample(rand(3, low=0.2, high=0.8)))
