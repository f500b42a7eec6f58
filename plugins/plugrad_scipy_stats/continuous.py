"""``norm``, ``t``, ``beta``, ``gamma`` and ``chi2``: the calculus of each standard
distribution, from which :mod:`._family` makes the primitives.

The cdfs' derivatives in the shape parameters are those of the regularized incomplete
functions (``d/da I_z(a, b)``, ``d/da P(a, z)``) that the scipy.special pack evaluates.
Student's t cdf is ``1 - I_w(df/2, 1/2) / 2`` for ``z > 0`` (``I_w / 2`` below), with
``w = df / (df + z^2)``; differentiating ``w`` in ``df`` and writing ``1 - w`` as
``z^2 / (df + z^2)`` leaves

    d cdf / d df = -sign(z) I_a(w) / 4 - z w^(df/2 - 1) / (2 B(df/2, 1/2) (df + z^2)^(3/2)),

with ``I_a`` the derivative in the first parameter. Its terms cancel near ``z = 0`` and for
large ``df``; there the derivative is the integral of the density's instead (see
``_t_dcdf_ddf``).

As in SciPy, ``t`` at ``df = inf`` is the normal distribution; its derivatives in ``df``
are zero there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad.box import getval
from plugrad_numpy.indexing import where
from plugrad_numpy.reductions import sum as rsum
from plugrad_numpy.shape import expand_dims
from plugrad_numpy.unary import absolute, exp, expm1, log, log1p, real_sign as sign
from plugrad_scipy_special.erf import log_ndtr, log_ndtr_derivative, ndtr
from plugrad_scipy_special.gamma import betaln, digamma, gammaln, poch
from plugrad_scipy_special.incomplete import betainc_dab, gammainc_da
from plugrad_scipy_special._digamma import log_less_digamma
from plugrad_scipy_special._rules import by_branch
from plugrad_scipy_special.information import xdivy, xlog1py, xlogy
from plugrad_scipy_stats._family import Family, build

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)
_LOG_2 = math.log(2.0)


def _positive(*params: Any) -> Any:
    valid = True
    for p in params:
        valid = valid & (np.asarray(p) > 0)
    return valid


# -- norm --------------------------------------------------------------------------------


def _norm(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> tuple[Any, ...]:
    return x, loc, scale


norm = Family(
    "norm",
    _norm,
    (),
    logpdf=lambda z: -0.5 * z * z - _LOG_SQRT_2PI,
    dlogpdf=(lambda z: -z,),
    cdf=lambda z: ndtr(z),
    sf=lambda z: ndtr(-z),
    dcdf=(),
    logcdf=lambda z: log_ndtr(z),
    logsf=lambda z: log_ndtr(-z),
    dlogcdf=lambda ans, z: log_ndtr_derivative(ans, z),  # (Mills' ratio in the far tail)
    dlogsf=lambda ans, z: -log_ndtr_derivative(ans, -z),
    domain={"x": (-2.0, 2.0), "shapes": [], "loc": (-1.0, 1.0), "scale": (0.5, 2.0)},
)


# -- t -----------------------------------------------------------------------------------


def _t(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> tuple[Any, ...]:
    return x, df, loc, scale


def _normal_at_infinity(df: Any, normal: Any, student: Any) -> Any:
    """``student(df)``, except where ``df`` is infinite: there SciPy's t is the normal
    distribution, and ``normal()`` (broadcast against ``df``) is taken."""
    infinite = np.isinf(np.asarray(getval(df)))
    if not infinite.any():
        return student(df)
    zeros = 0.0 * where(infinite, 0.0, df)  # (of df's shape, and traced with it: a constant, not a loose end)
    return by_branch(infinite, df, 1.0, lambda _: normal() + zeros, 2 * _T_LARGE, student)


def _t_logpdf(z: Any, df: Any) -> Any:
    return _normal_at_infinity(
        df,
        lambda: -0.5 * z * z - _LOG_SQRT_2PI,
        lambda df: log(poch(0.5 * df, 0.5)) - 0.5 * (log(df) + _LOG_PI) - 0.5 * (df + 1) * log1p(z * z / df),
    )


def _t_dlogpdf_dz(z: Any, df: Any) -> Any:
    return _normal_at_infinity(df, lambda: -z, lambda df: -(df + 1) * z / (df + z * z))


def _t_dlogpdf_ddf(z: Any, df: Any) -> Any:
    # (digamma((df + 1) / 2) - digamma(df / 2) - 1 / df) / 2 - (log1p(u) - w - w / df) / 2
    # with u = z^2 / df, w = u / (1 + u): each part is O(1/df^2) as df grows, made of O(1/df)
    # terms that cancel (at df = 1e7 the plain sum kept no digit), so each is computed whole.
    return _normal_at_infinity(
        df, lambda: 0.0, lambda df: 0.5 * _digamma_half_step(0.5 * df) + _t_dlogpdf_ddf_u(z * z / df, df)
    )


def _t_dlogpdf_ddf_u(u: Any, df: Any) -> Any:
    """The part of ``_t_dlogpdf_ddf`` that depends on ``z``, through ``u = z^2 / df``."""
    return 0.5 * u / ((1 + u) * df) - 0.5 * _log1p_minus(u)


# psi(a + 1/2) - psi(a) - 1/(2a) ~ sum_k (-1)^(k+1) (B_k(1/2) - B_k(0)) / (k a^k), k = 2, 4, ..., 20
# (B_k the Bernoulli polynomials): 3e-15 relative at a = 8, where the difference of digammas,
# each rounded at ~ log(a), keeps 2e-13 (its error grows as a^2 log(a)).
_HALF_STEP = (
    1 / 8, -1 / 64, 1 / 128, -17 / 2048, 31 / 2048, -691 / 16384, 5461 / 32768, -929569 / 1048576,
    3202291 / 524288, -221930581 / 4194304,
)


def _digamma_half_step(a: Any) -> Any:
    """``digamma(a + 1/2) - digamma(a) - 1/(2a)``, by its asymptotic series for ``a > 8``."""

    def series(a: Any) -> Any:
        inv2 = 1 / (a * a)
        total = 0.0
        for c in reversed(_HALF_STEP):
            total = (total + c) * inv2
        return total

    return by_branch(np.asarray(getval(a)) > 8.0, a, 9.0, series, 1.0, lambda a: digamma(a + 0.5) - digamma(a) - 0.5 / a)


def _log_gamma_half_step(a: Any) -> Any:
    """``lnGamma(a + 1/2) - lnGamma(a) - ln(a) / 2``, whose derivative is
    ``_digamma_half_step``: for ``a > 8`` the integral of its series, so that the derivative
    keeps its digits too."""

    def series(a: Any) -> Any:
        inv2 = 1 / (a * a)
        total = 0.0
        for k in reversed(range(1, len(_HALF_STEP) + 1)):
            total = total * inv2 + _HALF_STEP[k - 1] / (2 * k - 1)
        return -total / a

    direct = lambda a: log(poch(a, 0.5)) - 0.5 * log(a)  # noqa: E731
    return by_branch(np.asarray(getval(a)) > 8.0, a, 9.0, series, 1.0, direct)


def _log1p_minus(u: Any) -> Any:
    """``log1p(u) - w``, ``w = u / (1 + u)``: ``w^2/2 + w^3/3 + ...`` (``-log1p(-w) - w``) by
    its series for ``u < 0.05``, where the two terms cancel (the direct form keeps 14 digits
    from there)."""

    def series(u: Any) -> Any:
        w = u / (1 + u)
        total = 0.0
        for k in range(14, 1, -1):  # 2 * 0.05^12 / 14: below a double's precision of w^2 / 2
            total = (total + 1 / k) * w
        return total * w

    return by_branch(np.asarray(getval(u)) < 0.05, u, 0.01, series, 1.0, lambda u: log1p(u) - u / (1 + u))


def _t_dcdf_ddf(z: Any, df: Any) -> Any:
    return _normal_at_infinity(df, lambda: 0.0, lambda df: _t_dcdf_ddf_finite(z, df))


def _t_dcdf_ddf_finite(z: Any, df: Any) -> Any:
    def beyond(z: Any) -> Any:
        tail = lambda df: _t_dcdf_ddf_tail(z, df)  # noqa: E731
        closed = lambda df: _t_dcdf_ddf_closed(z, df)  # noqa: E731
        return by_branch(np.asarray(getval(df)) >= _T_LARGE, df, 2 * _T_LARGE, tail, 1.0, closed)

    # (the rule from 0 to z needs the density wider than z: df of 0.1 for |z| to 1.5)
    az, df_ = np.abs(getval(z)), np.asarray(getval(df))
    near = (az <= 1.5) & ((df_ >= 0.1) | (az <= 0.1))
    return by_branch(near, z, 0.05, lambda z: _t_dcdf_ddf_near(z, df), 3.0, beyond)


# The closed form below cancels: for small |z| (1e-10 to 1e-8 of it lost at z = 1e-3), and
# as df grows (its two O(1/df) terms leave an O(1/df^2) sum: 1e-11 lost at df = 100, 1e-4 at
# 1e4, every digit at 1e5 in the tails). There the derivative is the integral of the density's,
# f d(log f)/d(df), each factor whole, over a range where d(log f)/d(df) keeps one sign (it
# changes sign near |x| = 1.55): from 0 to z for |z| <= 1.5 (below df = 0.1, where the density
# is too narrow for the rule, for |z| <= 0.1 only: the closed form keeps 1e-15 beyond), else
# from |z| to infinity, there for df >= _T_LARGE (below, the tail is too heavy for the rule;
# the closed form keeps 1e-13).
_T_LARGE = 10.0
_LEGENDRE = np.polynomial.legendre.leggauss(40)


def _t_dcdf_ddf_near(z: Any, df: Any) -> Any:
    """``int_0^z f d(log f)/d(df) dx``, by Gauss-Legendre."""
    nodes, weights = _LEGENDRE
    z_ = expand_dims(z, -1)
    return _t_ddf_integral(z_ * (1 + nodes) / 2, z_ * weights / 2, df)


def _t_dcdf_ddf_tail(z: Any, df: Any) -> Any:
    """``-sign(z) int_|z|^inf f d(log f)/d(df) dx``, by Gauss-Legendre in ``x = |z| e^tau`` (the
    tail, a power law where ``x^2 >> df``, falls exponentially in ``tau``), up to where the
    density has fallen by ``e^-40``: ``(df + 1) / 2 log((df + x^2) / (df + z^2)) = 40``."""
    nodes, weights = _LEGENDRE
    az = where(absolute(z) < 1e38, absolute(z), 1e38)  # (the density is 0 beyond; x^2 finite)
    drop = 80.0 / (df + 1)
    tau_end = expand_dims(0.5 * log(exp(drop) + expm1(drop) * (df / az) / az), -1)
    x = expand_dims(az, -1) * exp(tau_end * (1 + nodes) / 2)
    return -sign(z) * _t_ddf_integral(x, x * tau_end * weights / 2, df)


def _t_ddf_integral(x: Any, w: Any, df: Any) -> Any:
    """``sum_i w_i f(x_i) d(log f)/d(df) (x_i)`` over the nodes, the last axis of ``x`` and ``w``."""
    df_ = expand_dims(df, -1)
    log_f0 = expand_dims(_log_gamma_half_step(0.5 * df), -1) - _LOG_SQRT_2PI  # the density at 0
    u = x * x / df_
    d_log = expand_dims(0.5 * _digamma_half_step(0.5 * df), -1) + _t_dlogpdf_ddf_u(u, df_)
    return rsum(w * exp(log_f0 - 0.5 * (df_ + 1) * log1p(u)) * d_log, axis=-1)


def _t_dcdf_ddf_closed(z: Any, df: Any) -> Any:
    r = df + z * z
    w = df / r
    a = 0.5 * df
    density = exp((a - 1) * log(w) - 1.5 * log(r) - betaln(a, 0.5))
    return -0.25 * sign(z) * betainc_dab(1, 0, a, 0.5, w) - 0.5 * z * density


t = Family(
    "t",
    _t,
    ("df",),
    logpdf=_t_logpdf,
    dlogpdf=(_t_dlogpdf_dz, _t_dlogpdf_ddf),
    cdf=lambda z, df: sc.stdtr(df, z),
    sf=lambda z, df: sc.stdtr(df, -z),
    dcdf=(_t_dcdf_ddf,),
    valid=_positive,
    domain={"x": (-2.0, 2.0), "shapes": [(2.0, 30.0)], "loc": (-1.0, 1.0), "scale": (0.5, 2.0)},
)


# -- beta --------------------------------------------------------------------------------


def _beta(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> tuple[Any, ...]:
    return x, a, b, loc, scale


beta = Family(
    "beta",
    _beta,
    ("a", "b"),
    logpdf=lambda z, a, b: xlogy(a - 1, z) + xlog1py(b - 1, -z) - betaln(a, b),
    dlogpdf=(
        lambda z, a, b: xdivy(a - 1, z) - xdivy(b - 1, 1 - z),
        lambda z, a, b: log(z) - digamma(a) + digamma(a + b),
        lambda z, a, b: log1p(-z) - digamma(b) + digamma(a + b),
    ),
    cdf=lambda z, a, b: sc.betainc(a, b, z),
    sf=lambda z, a, b: sc.betaincc(a, b, z),
    dcdf=(lambda z, a, b: betainc_dab(1, 0, a, b, z), lambda z, a, b: betainc_dab(0, 1, a, b, z)),
    support=(0.0, 1.0),
    valid=_positive,
    # z = (x - loc) / scale lies in (0.1, 0.8)
    domain={
        "x": (0.2, 1.0),
        "shapes": [(0.8, 3.0), (0.8, 3.0)],
        "loc": (-0.2, 0.0),
        "scale": (1.5, 2.0),
        "inside": [0.3, 0.6],
    },
)


# -- gamma -------------------------------------------------------------------------------

# Near the mode of a large shape a the log density's derivatives are small differences of
# large terms: (a - 1) / z - 1 and log(z) - digamma(a) kept 5e-9 and 8e-8 of themselves at
# z = a = 1e8. Written as (a - 1 - z) / z (a - 1 - z exact there) and log1p((z - a) / a)
# plus the series of log(a) - digamma(a), they keep all their digits.


def _over_z(c: Any, z: Any) -> Any:
    """``c / z - 1``, as ``(c - z) / z`` for ``z > 0``; at ``z = 0``, ``xdivy``'s (``-1`` for ``c = 0``)."""
    positive = np.asarray(getval(z)) > 0
    return by_branch(positive, z, 1.0, lambda z: (c - z) / z, 0.0, lambda z: xdivy(c, z) - 1)


def _log_less_digamma(y: Any, a: Any) -> Any:
    """``log(y) - digamma(a)``: for ``a > 8``, ``log1p((y - a) / a) + log(a) - digamma(a)``,
    the latter by its asymptotic series."""
    return by_branch(
        np.asarray(getval(a)) > 8.0,
        a,
        9.0,
        lambda a: log1p((y - a) / a) + log_less_digamma(a),
        1.0,
        lambda a: log(y) - digamma(a),
    )


def _gamma(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> tuple[Any, ...]:
    return x, a, loc, scale


gamma = Family(
    "gamma",
    _gamma,
    ("a",),
    logpdf=lambda z, a: xlogy(a - 1, z) - z - gammaln(a),
    dlogpdf=(lambda z, a: _over_z(a - 1, z), lambda z, a: _log_less_digamma(z, a)),
    cdf=lambda z, a: sc.gammainc(a, z),
    sf=lambda z, a: sc.gammaincc(a, z),
    dcdf=(lambda z, a: gammainc_da(1, a, z),),
    support=(0.0, math.inf),
    valid=_positive,
    # z in (0.25, 9); "more": a > 8, where the derivative in a takes digamma's series
    domain={
        "x": (1.0, 4.0),
        "shapes": [(0.8, 4.0)],
        "loc": (-0.5, 0.5),
        "scale": (0.5, 2.0),
        "inside": [0.5, 2.0],
        "more": [[(10.0, 30.0), (9.0, 30.0), (-0.5, 0.5), (0.8, 1.2)]],
    },
)


# -- chi2 --------------------------------------------------------------------------------


def _chi2(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> tuple[Any, ...]:
    return x, df, loc, scale


chi2 = Family(
    "chi2",
    _chi2,
    ("df",),
    logpdf=lambda z, df: xlogy(0.5 * df - 1, z) - 0.5 * z - gammaln(0.5 * df) - _LOG_2 * 0.5 * df,
    dlogpdf=(
        lambda z, df: 0.5 * _over_z(df - 2, z),
        lambda z, df: 0.5 * _log_less_digamma(0.5 * z, 0.5 * df),
    ),
    cdf=lambda z, df: sc.chdtr(df, z),
    sf=lambda z, df: sc.chdtrc(df, z),
    dcdf=(lambda z, df: 0.5 * gammainc_da(1, 0.5 * df, 0.5 * z),),
    support=(0.0, math.inf),
    valid=_positive,
    domain={
        "x": (1.0, 4.0),
        "shapes": [(1.5, 6.0)],
        "loc": (-0.5, 0.5),
        "scale": (0.5, 2.0),
        "inside": [0.5, 2.0],
        "more": [[(20.0, 60.0), (18.0, 60.0), (-0.5, 0.5), (0.8, 1.2)]],  # df / 2 > 8: digamma's series
    },
)


ENTRIES = {fam.name: build(fam) for fam in (norm, t, beta, gamma, chi2)}
