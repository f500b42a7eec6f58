"""Numerical kernels for the derivatives SciPy does not provide: parameter derivatives of
the incomplete gamma and beta functions, derivatives of the Hurwitz zeta function in its
exponent, and the exponential-integrator functions ``phi_n``.

These run on plain float64 arrays: they are the implementations of private primitives,
whose rules (in ``incomplete.py``, ``gamma.py`` and ``exponential.py``) make them
differentiable again. Every derivative of ``exp(phi)`` here comes from
:func:`exp_partials`, which works on arrays and traced values alike.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from math import comb, factorial
from typing import Any

import numpy as np
import scipy.special as sc

__all__ = ["exp_partials", "gammainc_da", "betainc_dab", "zeta_ds", "phi"]

# Stop a series once a term adds less than this to the sum of absolute values so far.
_EPS = 1e-17
_MAX_TERMS = 20000
_FIRST_TRY = 2000  # terms of the first series tried for the incomplete beta function
_CHUNK = 32  # series terms evaluated at once


def exp_partials(phi_: Callable[[int, int], Any], i: int, j: int = 0) -> Any:
    """``d^i/da^i d^j/db^j exp(phi) / exp(phi)`` from the partials ``phi_(m, l)`` of ``phi``
    (``m + l >= 1``): the Leibniz rule on ``d/da exp(phi) = phi_a exp(phi)``, a bivariate
    complete Bell polynomial. Each partial is asked for once."""
    partials: dict[tuple[int, int], Any] = {}
    bell: dict[tuple[int, int], Any] = {(0, 0): 1.0}

    def p(m: int, l: int) -> Any:
        if (m, l) not in partials:
            partials[m, l] = phi_(m, l)
        return partials[m, l]

    def b(i: int, j: int) -> Any:
        if (i, j) not in bell:
            acc: Any = 0.0
            if i > 0:  # peel one d/da
                for m in range(i):
                    for l in range(j + 1):
                        acc = acc + comb(i - 1, m) * comb(j, l) * p(m + 1, l) * b(i - 1 - m, j - l)
            else:  # peel one d/db
                for l in range(j):
                    acc = acc + comb(j - 1, l) * p(0, l + 1) * b(0, j - 1 - l)
            bell[i, j] = acc
        return bell[i, j]

    return b(i, j)


def _psi(m: int, z: Any) -> Any:
    return sc.digamma(z) if m == 0 else sc.polygamma(m, z)


def _as_float(*arrays: Any) -> list[np.ndarray]:
    return [np.asarray(a, np.float64) for a in np.broadcast_arrays(*arrays)]


def _unwrap(out: np.ndarray) -> Any:
    return out[()] if out.ndim == 0 else out


# -- incomplete gamma: d^n P(a, x) / da^n -------------------------------------------------

# Gauss-Laguerre rule for the upper integral Q(a, x) = int_x^inf t^(a-1) e^-t dt / Gamma(a).
_LAGUERRE = np.polynomial.laguerre.laggauss(60)


def gammainc_da(n: int, a: Any, x: Any) -> Any:
    """``d^n/da^n`` of the regularized lower incomplete gamma function ``P(a, x)``, ``n >= 1``.

    For ``x <= a + 1 + sqrt(a)`` it sums ``P = sum_k x^(a+k) e^-x / Gamma(a+k+1)`` term by
    term (no cancellation to speak of while ``P`` is not close to 1); beyond, where ``P``
    is close to 1, it differentiates ``-Q`` under a Gauss-Laguerre rule instead. Against
    mpmath the relative error is below 1e-12 for ``0.1 <= a <= 150``, ``0.01 <= x <= 225``.
    From ``a = _LARGE`` the density's peak is integrated instead (:func:`_gammainc_peak`).
    """
    a, x = _as_float(a, x)
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x > 0)
    out[(a > 0) & ((x == 0) | (x == np.inf))] = 0.0  # P is 0 or 1 whatever a
    ok &= np.isfinite(x)
    peak = ok & (a >= _LARGE) & (x >= _EDGE * a)
    if peak.any():
        out[peak] = _gammainc_peak(n, a[peak], x[peak])
    series = ok & ~peak & (x <= a + 1 + np.sqrt(a))
    if series.any():
        out[series] = _gammainc_series(n, a[series], x[series])
    upper = ok & ~peak & ~series
    if upper.any():
        out[upper] = -_gammaincc_laguerre(n, a[upper], x[upper])
    return _unwrap(out)


def _gammainc_series(n: int, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    a, x, lx = a[:, None], x[:, None], np.log(x)[:, None]

    def chunk(k: np.ndarray) -> np.ndarray:
        # log T_k = (a + k) log x - x - gammaln(a + k + 1)
        z = a + k + 1
        bell = exp_partials(lambda m, l: lx - sc.digamma(z) if m == 1 else -_psi(m - 1, z), n)
        return np.exp((a + k) * lx - x - sc.gammaln(z)) * bell

    return _converged(*_sum_series(chunk, lambda k: x < a + k + 1, _MAX_TERMS))


def _gammaincc_laguerre(n: int, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    nodes, weights = _LAGUERRE
    # t = x + sigma * tau, sigma chosen so the integrand decays like e^-tau near tau = 0.
    sigma = np.where(a > 1, x / (x - a + 1), 1.0)[:, None]
    a_, x_ = a[:, None], x[:, None]
    t = x_ + sigma * nodes
    lt = np.log(t)
    log_w = np.log(weights) + nodes + np.log(sigma) + (a_ - 1) * lt - t - sc.gammaln(a_)
    dpsi = sc.digamma(a_)
    bell = exp_partials(lambda m, l: lt - dpsi if m == 1 else -_psi(m - 1, a_), n)
    return np.sum(np.exp(log_w) * bell, axis=-1)


def _gammainc_peak(n: int, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    # In s = (t - a) / sqrt(a), u = s / sqrt(a), the density t^(a-1) e^-t / Gamma(a) dt is
    # exp(a log1pmx(u) - log1p(u) - stirling(a)) ds / sqrt(2 pi), and d/da of its log
    # ln t - psi(a) = log1p(u) + (ln a - psi(a)): each part in full, as none is left to cancel.
    a, r = a[:, None], np.sqrt(a)[:, None]
    sx = (x[:, None] - a) / r
    s, w = _peak_rule(lambda s: -a * _log1pmx(s / r), lambda s: s / (1 + s / r), sx, -r, np.inf)
    u = s / r
    density = np.exp(a * _log1pmx(u) - np.log1p(u) - _stirling(a) - _LOG_SQRT_2PI)
    d_log = np.log1p(u) + _log_minus_digamma(a)
    return np.sum(w * density * exp_partials(lambda m, l: d_log if m == 1 else -_psi(m - 1, a), n), axis=-1)


# -- incomplete beta: d^i/da^i d^j/db^j I_x(a, b) ------------------------------------------


def betainc_dab(i: int, j: int, a: Any, b: Any, x: Any) -> Any:
    """``d^i/da^i d^j/db^j`` of the regularized incomplete beta function ``I_x(a, b)``,
    ``i + j >= 1``, by the series ``I_x(a, b) = sum_k x^(a+k) (1-x)^b Gamma(a+b+k) /
    (Gamma(a+k+1) Gamma(b))``; for ``x > (a+1)/(a+b+2)`` through ``I_x(a, b) = 1 - I_(1-x)(b, a)``,
    so the series converges at least geometrically and ``I`` is not close to 1. Where that
    series has not converged in ``_FIRST_TRY`` terms (parameters of very different sizes:
    ``I_w(df/2, 1/2)`` of a t distribution with large ``df``), the other one is summed,
    which there converges in a few dozen. Where one parameter reaches ``_LARGE`` and the
    other 10, the density's peak is integrated instead (:func:`_betainc_peak`); where the
    other is below 10, the density in the log of the small parameter's variable
    (:func:`_betainc_small_a`)."""
    a, b, x = _as_float(a, b, x)
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (b > 0) & (x > 0) & (x < 1)
    out[((x == 0) | (x == 1)) & (a > 0) & (b > 0)] = 0.0  # I is 0 or 1 whatever a, b
    flip = ok & (x > (a + 1) / (a + b + 2))
    peak = ok & (np.maximum(a, b) >= _LARGE) & (np.minimum(a, b) >= 10)  # (see _stirling)
    peak &= (x * (a + b) >= _EDGE * a) & ((1 - x) * (a + b) >= _EDGE * b)
    if peak.any():
        out[peak] = _betainc_peak(i, j, a[peak], b[peak], x[peak])
    # One parameter small, the other large: I_x(a, b) = 1 - I_(1-x)(b, a) makes a the small one.
    lopsided = ok & (np.minimum(a, b) < 10) & (np.maximum(a, b) >= _LARGE) & np.isfinite(a + b)
    small_a, small_b = lopsided & (a <= b), lopsided & (a > b)
    if small_a.any():
        out[small_a] = _betainc_small_a(i, j, a[small_a], b[small_a], x[small_a])
    if small_b.any():
        out[small_b] = -_betainc_small_a(j, i, b[small_b], a[small_b], 1 - x[small_b])
    done = np.array(peak | lopsided)
    # The usual series for _FIRST_TRY terms, then the other for _MAX_TERMS, then the usual one
    # again for _MAX_TERMS (where neither converges quickly, as at the median of two large ones).
    for other, limit in ((False, _FIRST_TRY), (True, _MAX_TERMS), (False, _MAX_TERMS)):
        todo = ok & ~done
        for flipped in (False, True):
            where = todo & (flip != flipped if other else flip == flipped)
            if not where.any():
                continue
            if not flipped:
                xs = x[where]
                total, converged = _betainc_series(i, j, a[where], b[where], np.log(xs), np.log1p(-xs), xs, limit)
            else:
                ys = 1.0 - x[where]
                total, converged = _betainc_series(j, i, b[where], a[where], np.log(ys), np.log(x[where]), ys, limit)
                total = -total
            out[where] = np.where(converged, total, np.nan)
            done[where] = converged
    return _unwrap(_converged(out, done | ~ok))


def _betainc_series(
    i: int, j: int, a: np.ndarray, b: np.ndarray, lx: np.ndarray, l1x: np.ndarray, x: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    a, b, x, lx, l1x = (v[:, None] for v in (a, b, x, lx, l1x))

    def chunk(k: np.ndarray) -> np.ndarray:
        # log T_k = (a+k) log x + b log(1-x) + gammaln(a+b+k) - gammaln(a+k+1) - gammaln(b)
        zab, za = a + b + k, a + k + 1

        def phi_(m: int, l: int) -> np.ndarray:
            if (m, l) == (1, 0):
                return lx + sc.digamma(zab) - sc.digamma(za)
            if (m, l) == (0, 1):
                return l1x + sc.digamma(zab) - sc.digamma(b)
            return _beta_log_partial(m, l, za, b, zab)

        log_t = (a + k) * lx + b * l1x + sc.gammaln(zab) - sc.gammaln(za) - sc.gammaln(b)
        return np.exp(log_t) * exp_partials(phi_, i, j)

    # The terms decrease once T_(k+1) / T_k = x (a+b+k) / (a+k+1) < 1.
    return _sum_series(chunk, lambda k: x * (a + b + k) < a + k + 1, limit)


def _betainc_peak(i: int, j: int, a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    # In s = (t - p) / sd, p = a / (a + b), q = 1 - p, sd = sqrt(p q / (a + b)), with
    # t = p (1 + u) and 1 - t = q (1 + v), the density t^(a-1) (1-t)^(b-1) / B(a, b) dt is
    # exp(a log1pmx(u) + b log1pmx(v) - log1p(u) - log1p(v) - stirling(a) - stirling(b)
    # + stirling(a + b)) ds / sqrt(2 pi); d/da of its log, ln t - psi(a) + psi(a + b), is
    # log1p(u) + (ln a - psi(a)) - (ln(a + b) - psi(a + b)).
    a, b, x = a[:, None], b[:, None], x[:, None]
    c = a + b
    p, q = a / c, b / c
    sd = np.sqrt(p * q / c)

    def uv(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return sd * s / p, -sd * s / q

    def exponent(s: np.ndarray) -> np.ndarray:
        u, v = uv(s)
        return -a * _log1pmx(u) - b * _log1pmx(v)

    def slope(s: np.ndarray) -> np.ndarray:  # (c sd = a sd / p = b sd / q)
        u, v = uv(s)
        return c * sd * (u / (1 + u) - v / (1 + v))

    # x - p, or q - (1 - x) where p > 1/2 (1 - x is exact there; rounding p is not, and sd
    # may be 1e-5 of it)
    sx = np.where(p <= 0.5, x - p, q - (1 - x)) / sd
    s, w = _peak_rule(exponent, slope, sx, -p / sd, q / sd)
    u, v = uv(s)
    log_norm = _stirling(c) - _stirling(a) - _stirling(b) - _LOG_SQRT_2PI
    density = np.exp(a * _log1pmx(u) + b * _log1pmx(v) - np.log1p(u) - np.log1p(v) + log_norm)

    def phi_(m: int, l: int) -> np.ndarray:
        if (m, l) == (1, 0):
            return np.log1p(u) + _log_minus_digamma(a) - _log_minus_digamma(c)
        if (m, l) == (0, 1):
            return np.log1p(v) + _log_minus_digamma(b) - _log_minus_digamma(c)
        return _beta_log_partial(m, l, a, b, c)

    return np.sum(w * density * exp_partials(phi_, i, j), axis=-1)


def _beta_log_partial(m: int, l: int, a: Any, b: Any, c: Any) -> Any:
    """d^m/da^m d^l/db^l, ``m + l >= 2``, of ``-ln B(a, b)`` (``c = a + b``), the log of the
    beta density's derivatives past the first, which do not depend on the variable."""
    value = _psi(m + l - 1, c)
    if l == 0:
        value = value - _psi(m - 1, a)
    if m == 0:
        value = value - _psi(l - 1, b)
    return value


def _betainc_small_a(i: int, j: int, a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    # For a small and b large, where b t is nearly a gamma(a) variable, in z = ln(t / m),
    # m = a / (a + b - 1), the density t^(a-1) (1-t)^(b-1) / B(a, b) dt is log-concave with its
    # peak at 0: exp(a (z + ln(b m)) + (b - 1) log1p(-t) + d - lnGamma(a)) dz, with
    # d = lnGamma(a + b) - lnGamma(b) - a ln b = b log1pmx(a/b) + (a - 1/2) log1p(a/b)
    # + stirling(a + b) - stirling(b) and ln(b m) = ln a - log1p((a - 1)/b). The log's d/da,
    # ln t - psi(a) + psi(a + b), is z + (ln a - psi(a)) + log1p(1/(a + b - 1)) - (ln(a + b) -
    # psi(a + b)); its d/db, log1p(-t) + log1p(a/b) - (ln(a + b) - psi(a + b)) + (ln b - psi(b)):
    # no term of size ln b is left to cancel. The rule's variable is u = k z, k = sqrt(max(a, 1)),
    # in which the peak's width is about 1; its lower tail, e^(a z), is long for a < 1.
    a, b, x = a[:, None], b[:, None], x[:, None]
    c = a + b
    log_m = np.log(a / (c - 1))
    k = np.sqrt(np.maximum(a, 1))

    def t(u: np.ndarray) -> np.ndarray:  # below 1: where rounding takes it there, (1-t)^b is 0 anyway
        return np.minimum(np.exp(u / k + log_m), 1 - 2**-53)

    def exponent(u: np.ndarray) -> np.ndarray:
        return -a * u / k - (b - 1) * np.log1p(-t(u))

    def slope(u: np.ndarray) -> np.ndarray:
        return ((b - 1) * t(u) / (1 - t(u)) - a) / k

    u, w = _peak_rule(exponent, slope, k * np.log(x * (c - 1) / a), -np.inf, -k * log_m, tail=True)
    z = u / k
    l1t = np.log1p(-t(u))
    d = b * _log1pmx(a / b) + (a - 0.5) * np.log1p(a / b) + _stirling(c) - _stirling(b)
    density = np.exp(a * (z + np.log(a) - np.log1p((a - 1) / b)) + (b - 1) * l1t + d - sc.gammaln(a)) / k
    log_minus_psi_c = _log_minus_digamma(c)

    def phi_(m: int, l: int) -> np.ndarray:
        if (m, l) == (1, 0):
            return z + (np.log(a) - sc.digamma(a)) + np.log1p(1 / (c - 1)) - log_minus_psi_c
        if (m, l) == (0, 1):
            return l1t + np.log1p(a / b) - log_minus_psi_c + _log_minus_digamma(b)
        if m == 0:
            return _polygamma_step(l - 1, b, a)
        value = _psi(m + l - 1, c)
        return value - _psi(m - 1, a) if l == 0 else value

    return np.sum(w * density * exp_partials(phi_, i, j), axis=-1)


# -- the peak of a density of large parameters --------------------------------------------

# From here (a for P(a, x); the larger of a and b for I_x(a, b)) a derivative integrates the
# density over its peak instead of summing a series. The series needs some sqrt(a) terms
# (NaN beyond _MAX_TERMS), each with a log of size a log a, rounded at some 1e-16 a log a
# (2e-12 relative at a = 3000), and for I_x(20, 1e4) it was wrong in the second digit, for
# I_x(8, 1e6) (the smaller parameter below 10, integrated in _betainc_small_a) in the first.
# Against mpmath the quadrature is within 1e-13 near the peak from a = 10, the series
# within 1e-13 below a = 300.
_LARGE = 300.0
# Except for x within _EDGE of the way from an end of the domain to the mean (x < a / 1000
# for P): the scaled variable, centred at the mean, loses x's precision there, and the
# series converges at once.
_EDGE = 1e-3
_LEGENDRE = np.polynomial.legendre.leggauss(40)
_DROP = 40.0  # integrate until the density has fallen by e^-_DROP below its largest on the range
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
_BERNOULLI_2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)  # B_2, ..., B_16


def _peak_rule(
    exponent: Callable[[np.ndarray], np.ndarray],
    slope: Callable[[np.ndarray], np.ndarray],
    sx: np.ndarray,
    lo: Any,
    hi: Any,
    tail: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights (elements x nodes) for ``int_-inf^sx`` of a density
    ``e^-exponent(s)`` of ``s`` in ``(lo, hi)``, where ``sx <= 0``, and for ``-int_sx^inf``
    where ``sx > 0`` (the lower integral as 1 minus the upper, of the functions here): from
    ``sx`` outwards, away from the peak at 0, to where the density has fallen by
    ``e^-_DROP``. ``exponent`` is convex, least at 0, with derivative ``slope``; arguments
    are columns (elements x 1). With ``tail``, the nodes below a point ``sx <= 0`` lie evenly
    in ``log1p(distance)``, not in the distance: a long exponential tail (``e^(a s)``, small
    ``a``) then costs no more nodes than the unit next to ``sx``."""
    side = np.where(sx <= 0, -1.0, 1.0)
    room = np.where(sx <= 0, sx - lo, hi - sx)  # to the edge of the domain
    target = exponent(sx) + _DROP
    reach = 2 * _DROP / (np.hypot(sx, np.sqrt(2 * _DROP)) + np.abs(sx))  # a normal density's
    # Newton's method on the convex exponent: from either side of the point sought, a step
    # lands at or beyond it, so the range never falls short.
    for _ in range(3):
        s = sx + side * np.minimum(reach, 0.999 * room)
        reach = np.abs(s - sx) - (exponent(s) - target) / (side * slope(s))
    reach = np.minimum(reach, room)
    nodes, weights = _LEGENDRE
    s, w = sx + side * reach * (1 + nodes) / 2, -side * reach * weights / 2
    if not tail:
        return s, w
    span = np.log1p(reach)
    q = span * (1 + nodes) / 2
    lower = sx <= 0
    return np.where(lower, sx - np.expm1(q), s), np.where(lower, np.exp(q) * span * weights / 2, w)


def _log1pmx(u: np.ndarray) -> np.ndarray:
    """``log1p(u) - u``; for ``|u| < 1/4``, where the two cancel, ``-2 v^2 (1 + 2v/3 + v^2 +
    4v^3/5 + v^4 + ...)`` with ``v = u / (2 + u)``, from ``log1p(u) = 2 atanh(v)``."""
    small = np.abs(u) < 0.25
    v = np.where(small, u, 0.0) / (2 + np.where(small, u, 0.0))
    series = np.zeros(v.shape)
    for k in reversed(range(22)):  # (|v| < 1/7: the last term below 1e-18 of the first)
        series = series * v + (1.0 if k % 2 == 0 else (k + 1) / (k + 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(small, -2 * v * v * series, np.log1p(u) - u)


def _stirling(a: np.ndarray) -> np.ndarray:
    """``lnGamma(a) - (a - 1/2) ln a + a - ln(2 pi) / 2 = sum_k B_2k / (2k (2k - 1) a^(2k-1))``,
    to a double's precision for ``a >= 10``."""
    inv2, total = 1 / (a * a), np.zeros(a.shape)
    for k in reversed(range(1, len(_BERNOULLI_2K) + 1)):
        total = total * inv2 + _BERNOULLI_2K[k - 1] / (2 * k * (2 * k - 1))
    return total / a


def _log_minus_digamma(a: np.ndarray) -> np.ndarray:
    """``ln a - psi(a) = 1/(2a) + sum_k B_2k / (2k a^2k)`` for ``a >= 10``, where the
    difference of the two, each rounded at ``ln a``, would keep few digits."""
    inv2, total = 1 / (a * a), np.zeros(a.shape)
    for k in reversed(range(1, len(_BERNOULLI_2K) + 1)):
        total = (total + _BERNOULLI_2K[k - 1] / (2 * k)) * inv2
    return 0.5 / a + total


def _polygamma_step(n: int, b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``psi^(n)(b + a) - psi^(n)(b)``, ``n >= 1``, for ``b >= 10``: the asymptotic series
    ``psi^(n)(z) = (-1)^(n+1) sum_k c_k z^-k`` term by term, ``(b + a)^-k - b^-k = b^-k
    expm1(-k log1p(a/b))``, where the two, each of size ``b^-n``, would leave ``a / b`` of it."""
    log1p_ab = np.log1p(a / b)

    def step(k: int) -> np.ndarray:
        return b ** float(-k) * np.expm1(-k * log1p_ab)

    total = factorial(n - 1) * step(n) + factorial(n) / 2 * step(n + 1)
    for k, bernoulli in enumerate(_BERNOULLI_2K, start=1):
        total = total + bernoulli * factorial(2 * k + n - 1) / factorial(2 * k) * step(2 * k + n)
    return (-1) ** (n + 1) * total


def _sum_series(
    chunk: Callable[[np.ndarray], np.ndarray], decreasing: Callable[[np.ndarray], np.ndarray], limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum the terms ``chunk(k)`` (elements x k) block by block, until every element's
    terms decrease and the last is negligible against the sum of absolute values, or
    ``limit`` terms; return the sums and which of them converged."""
    total = size = 0.0
    for start in range(0, limit, _CHUNK):
        k = np.arange(start, start + _CHUNK, dtype=np.float64)
        terms = chunk(k)
        total = total + terms.sum(axis=1)
        size = size + np.abs(terms).sum(axis=1)
        done = decreasing(k[-1])[:, 0] & (np.abs(terms[:, -1]) <= _EPS * size)
        if np.all(done):
            break
    return total, done


def _converged(total: np.ndarray, done: np.ndarray) -> np.ndarray:
    """``total``, NaN where its series did not converge, with a warning: not a partial sum.
    (A safeguard: where the series would need so many terms, large parameters near the
    median, the density's peak is integrated instead.)"""
    if np.all(done):
        return total
    warnings.warn(
        f"a series for a derivative of an incomplete gamma or beta function did not converge in "
        f"{_MAX_TERMS} terms at {np.count_nonzero(~done)} point(s), whose derivatives are NaN: "
        "its parameters are too large there for this method.",
        RuntimeWarning,
        stacklevel=3,
    )
    return np.where(done, total, np.nan)


# -- Hurwitz zeta: d^n zeta(s, q) / ds^n -------------------------------------------------

_ZETA_N = 16  # terms summed directly
_ZETA_M = 10  # Euler-Maclaurin correction terms
_BERNOULLI = sc.bernoulli(2 * _ZETA_M)


def _rising(j: int) -> np.ndarray:
    """Coefficients of the polynomial ``s (s + 1) ... (s + j - 1)``, lowest first."""
    p = np.polynomial.Polynomial([1.0])
    for i in range(j):
        p = p * np.polynomial.Polynomial([float(i), 1.0])
    return p.coef


# For j = 1 .. M: Euler-Maclaurin coefficients B_2j / (2j)!, and the coefficients of the
# rising factorials (s)_(2j-1), padded to one length, with their derivatives in s.
_EM = np.array([_BERNOULLI[2 * j] / factorial(2 * j) for j in range(1, _ZETA_M + 1)])
_RISING = np.array([np.pad(_rising(2 * j - 1), (0, 2 * _ZETA_M - 2 * j)) for j in range(1, _ZETA_M + 1)])
_DEGREES = np.arange(2 * _ZETA_M)


def zeta_ds(n: int, s: Any, q: Any) -> Any:
    """``d^n/ds^n`` of the Hurwitz zeta function ``zeta(s, q) = sum_k (k + q)^-s``, by
    Euler-Maclaurin summation (the first terms summed, the tail integrated with Bernoulli
    corrections), each piece differentiated in closed form. Valid for ``s != 1``, ``q > 0``
    (for ``s < 1`` it is the analytic continuation). A complex ``s`` (SciPy's Riemann
    ``zeta`` accepts one) stays complex: every term is holomorphic in ``s``. Riemann's
    zeta (``q = 1``) left of ``s = -1``, where the summed terms grow as ``k^-s`` and cancel,
    comes from the functional equation instead (see :func:`_zeta_reflected`)."""
    s, q = np.broadcast_arrays(np.asarray(s), np.asarray(q))
    s = s.astype(np.result_type(s.dtype, np.float64))
    q = q.astype(np.result_type(q.dtype, np.float64))
    left = (q == 1) & (s.real < -1)
    if np.any(left):
        out = np.array(_euler_maclaurin(n, np.where(left, 2.0, s), q))
        out[left] = _zeta_reflected(n, s[left])
        return _unwrap(out)
    return _euler_maclaurin(n, s, q)


def _zeta_reflected(n: int, s: np.ndarray) -> np.ndarray:
    """``d^n/ds^n zeta(s)`` for ``Re s < -1`` from ``zeta(s) = chi(s) zeta(1 - s)``,
    ``chi(s) = 2^s pi^(s-1) sin(pi s / 2) Gamma(1 - s)``: Leibniz on the product, with
    ``chi = e^L sin(pi s / 2)``, ``L = s log 2 + (s - 1) log pi + log Gamma(1 - s)``, whose
    derivatives are digammas at ``1 - s``; ``zeta(1 - s)`` and its derivatives by
    Euler-Maclaurin at ``Re(1 - s) > 2``, where it converges. A complex ``s`` has its first
    derivative only: the second needs polygamma at complex points, which SciPy lacks."""
    if s.dtype.kind == "c" and n > 1:
        from plugrad.errors import NotDifferentiableError

        raise NotDifferentiableError(
            "scipy.special.zeta's derivatives of order 2 and more at complex s with Re s < -1 need "
            "polygamma at complex arguments, which SciPy does not compute: differentiate once, or "
            "at real s."
        )
    u = 1.0 - s
    e = np.exp(s * np.log(2.0) + (s - 1) * np.log(np.pi) + (sc.loggamma(u) if s.dtype.kind == "c" else sc.gammaln(u)))

    def dl(m: int, l: int) -> np.ndarray:  # d^m L / ds^m, m >= 1
        if m == 1:
            return np.log(2.0) + np.log(np.pi) - sc.digamma(u)
        return (-1) ** m * sc.polygamma(m - 1, u)

    total = np.zeros(s.shape, s.dtype)
    for k in range(n + 1):  # zeta^(n) = sum_k C(n, k) chi^(k)(s) (-1)^(n-k) zeta^(n-k)(1 - s)
        chi = sum(
            comb(k, j) * e * exp_partials(dl, j) * (np.pi / 2) ** (k - j) * np.sin(np.pi * s / 2 + (k - j) * np.pi / 2)
            for j in range(k + 1)
        )
        z = sc.zeta(u) if n == k else _euler_maclaurin(n - k, u, np.ones(u.shape))
        total = total + comb(n, k) * chi * (-1) ** (n - k) * z
    return total


def _euler_maclaurin(n: int, s: np.ndarray, q: np.ndarray) -> Any:
    lk = np.log(np.arange(_ZETA_N).reshape((-1,) + (1,) * q.ndim) + q)
    total = np.sum((-lk) ** n * np.exp(-s * lk), axis=0)
    w = _ZETA_N + q
    lw = np.log(w)
    # The tail: int_N^inf (k + q)^-s dk = w^(1-s) / (s - 1), then w^-s / 2, then
    # sum_j B_2j / (2j)! (s)_(2j-1) w^(-s-2j+1); each differentiated n times by Leibniz.
    for m in range(n + 1):
        inverse = (-1) ** m * factorial(m) / (s - 1) ** (m + 1)  # d^m/ds^m 1 / (s - 1)
        total += comb(n, m) * (-lw) ** (n - m) * np.exp((1 - s) * lw) * inverse
    total += (-lw) ** n * np.exp(-s * lw) / 2
    js = np.arange(1, _ZETA_M + 1).reshape((-1,) + (1,) * s.ndim)
    powers = _EM.reshape(js.shape) * np.exp(-(s + 2 * js - 1) * lw)  # (M, ...)
    s_powers = s ** _DEGREES.reshape((-1,) + (1,) * s.ndim)  # (2M, ...)
    coef = _RISING
    for m in range(n + 1):
        rising = np.tensordot(coef, s_powers, axes=1)  # d^m/ds^m (s)_(2j-1), (M, ...)
        total += comb(n, m) * (-lw) ** (n - m) * np.sum(rising * powers, axis=0)
        coef = np.pad(coef[:, 1:] * _DEGREES[1:], ((0, 0), (0, 1)))  # differentiate once more
    return _unwrap(total)


# -- phi_n(y) = sum_k y^k / (k + n)!: phi_0 = exp, phi_1 = exprel -------------------------


def phi(n: int, y: Any) -> Any:
    """``phi_n(y) = sum_k y^k / (k + n)!``: a Taylor series for ``|y| < 1``, else the
    recurrence ``phi_(j+1) = (phi_j - 1/j!) / y`` from ``phi_0 = exp``."""
    y = np.asarray(y, np.float64)
    small = np.abs(y) < 1
    ys = np.where(small, y, 0.0)
    series = np.zeros(y.shape)
    for k in reversed(range(30)):
        series = series * ys + 1.0 / factorial(k + n)
    yb = np.where(small, 1.0, y)
    value = np.exp(yb)
    for j in range(n):
        value = (value - 1.0 / factorial(j)) / yb
    return _unwrap(np.where(small, series, value))
