"""Derivatives in the parameters of the incomplete gamma and beta functions and of Student's t
cdf at huge parameters (to 1e12, 1e10 and 1e15), against mpmath: arrays that mix them with
small ones, second derivatives, and no warning. The series these once summed there were NaN
(past 20000 terms) or kept no digit; the t cdf's closed form cancelled."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy
import pytest

import plugrad.scipy.special as sp
import plugrad.scipy.stats as st
from plugrad import elementwise_grad, grad

mp = pytest.importorskip("mpmath")


@contextmanager
def no_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


Fn = Callable[[Any], Any]


def peak_integral(log_density: Fn, factor: Fn, mean: Any, sd: Any, zx: Any, edges: tuple[Any, Any]) -> float:
    """``int_lo^x factor(t) e^log_density(t) dt`` (``x = mean + zx sd``) for ``zx <= 0``, else
    ``-int_x^hi``, in ``z = (t - mean) / sd`` over 12 pieces, scaled by the density at ``x``
    (mpmath's quad has an absolute tolerance)."""
    scale = log_density(mean + zx * sd)
    far = mp.sqrt(zx**2 + 150) + 10
    if zx <= 0:
        ends, sign = (max(-far, (edges[0] - mean) / sd), zx), 1
    else:
        ends, sign = (zx, min(far, (edges[1] - mean) / sd)), -1

    def f(z: Any) -> Any:
        t = mean + z * sd
        return factor(t) * mp.exp(log_density(t) - scale) * sd if edges[0] < t < edges[1] else 0

    return float(sign * mp.quad(f, mp.linspace(*ends, 13)) * mp.exp(scale))


def gammainc_da(a: float, x: float, order: int = 1) -> float:
    """``d^order P(a, x) / da^order``, ``order`` 1 or 2, from the integral of the density."""
    with mp.workdps(40):
        a_, lg, psi, psi1 = mp.mpf(a), mp.loggamma(a), mp.digamma(a), mp.psi(1, a)
        d_log = lambda t: mp.log(t) - psi  # noqa: E731
        factor = d_log if order == 1 else lambda t: d_log(t) ** 2 - psi1
        log_density = lambda t: (a_ - 1) * mp.log(t) - t - lg  # noqa: E731
        sd = mp.sqrt(a_)
        return peak_integral(log_density, factor, a_, sd, (mp.mpf(x) - a_) / sd, (0, mp.inf))


def betainc_dab(a: float, b: float, x: float, i: int, j: int) -> float:
    """``d^i/da^i d^j/db^j I_x(a, b)``, ``(i, j)`` one of (1, 0), (0, 1), (1, 1)."""
    with mp.workdps(40):
        a_, b_ = mp.mpf(a), mp.mpf(b)
        lb = mp.loggamma(a_) + mp.loggamma(b_) - mp.loggamma(a_ + b_)
        psi_ab, psi1 = mp.digamma(a_ + b_), mp.psi(1, a_ + b_)
        ca, cb = psi_ab - mp.digamma(a_), psi_ab - mp.digamma(b_)
        da = lambda t: mp.log(t) + ca  # noqa: E731
        db = lambda t: mp.log(1 - t) + cb  # noqa: E731
        factor = {(1, 0): da, (0, 1): db, (1, 1): lambda t: da(t) * db(t) + psi1}[i, j]
        log_density = lambda t: (a_ - 1) * mp.log(t) + (b_ - 1) * mp.log(1 - t) - lb  # noqa: E731
        mean, sd = a_ / (a_ + b_), mp.sqrt(a_ * b_ / (a_ + b_) ** 2 / (a_ + b_ + 1))
        return peak_integral(log_density, factor, mean, sd, (mp.mpf(x) - mean) / sd, (0, 1))


def t_cdf_ddf(t: float, df: float, order: int = 1) -> float:
    """``d^order/d df^order`` of the t cdf, from the tail ``I_w(df/2, 1/2) / 2``, ``w = df / (df + t^2)``
    (``1 -`` it for ``t > 0``), differentiated by mpmath with digits to spare."""
    with mp.workdps(30 + order * int(2 * math.log10(df) + 1)):
        def tail(n: Any) -> Any:
            return mp.betainc(n / 2, 0.5, 0, n / (n + mp.mpf(t) ** 2), regularized=True) / 2

        return float(-mp.sign(t) * mp.diff(tail, mp.mpf(df), order))


def test_gammainc_derivatives_in_a_at_huge_a_against_mpmath() -> None:
    # x = a + k sqrt(a) across the peak; a few small a (summed series) in the same array.
    k = numpy.array([-30.0, -10.0, -3.0, 0.0, 2.0, 10.0, 30.0])
    huge = 10.0 ** numpy.arange(4, 13, 2)[:, None]
    a = numpy.concatenate([numpy.broadcast_to(huge, (5, 7)).ravel(), [2.5, 50.0, 150.0]])
    x = numpy.concatenate([(huge + k * numpy.sqrt(huge)).ravel(), [3.0, 40.0, 170.0]])
    want = numpy.array([gammainc_da(ai, xi) for ai, xi in zip(a, x)])
    with no_warning():
        numpy.testing.assert_allclose(elementwise_grad(lambda a: sp.gammainc(a, x))(a), want, rtol=1e-10)
        numpy.testing.assert_allclose(elementwise_grad(lambda a: sp.gammaincc(a, x))(a), -want, rtol=1e-10)
        for a0, x0 in ((1e8, 1e8 + 1e4), (1e12, 1e12 - 3e6)):
            second = grad(grad(lambda a: sp.gammainc(a, x0)))(a0)
            assert second == pytest.approx(gammainc_da(a0, x0, 2), rel=1e-10)
        # gamma and chi2 share it
        assert grad(lambda a: st.gamma.cdf(x[3], a))(a[3]) == pytest.approx(want[3], rel=1e-10)


def test_betainc_derivatives_in_a_and_b_at_huge_parameters_against_mpmath() -> None:
    cases = []
    for a, b in ((1e6, 1e6), (1e8, 1e8), (1e10, 1e10), (1e6, 1e10), (1e10, 1e8)):
        mean, sd = a / (a + b), math.sqrt(a * b / (a + b) ** 2 / (a + b + 1))
        cases += [(a, b, mean + k * sd) for k in (-20.0, -5.0, 0.0, 3.0, 20.0)]
    cases += [(2.0, 3.0, 0.4), (20.0, 1e4, 0.0025)]  # the series; the peak for parameters of different sizes
    a, b, x = map(numpy.array, zip(*cases))
    with no_warning():
        for i, j, fun in ((1, 0, lambda a: sp.betainc(a, b, x)), (0, 1, lambda b: sp.betainc(a, b, x))):
            want = numpy.array([betainc_dab(*case, i, j) for case in cases])
            numpy.testing.assert_allclose(elementwise_grad(fun)(a if i else b), want, rtol=1e-9)
        mixed = grad(lambda b: grad(lambda a: sp.betainc(a, b, 0.5 + 1e-5))(1e8))(1e8)
        assert mixed == pytest.approx(betainc_dab(1e8, 1e8, 0.5 + 1e-5, 1, 1), rel=1e-10)


@pytest.mark.parametrize("df", [1.0, 3.0, 9.99, 10.0, 100.0, 1e4, 1e7, 1e10, 1e15])
def test_t_cdf_derivative_in_df_against_mpmath(df: float) -> None:
    # The closed form lost 1e-11 of it at df = 100 and every digit at 1e5 in the tails.
    t = numpy.array([-30.0, -5.0, -1.3, -0.1, 0.1, 1.3, 5.0, 30.0])
    want = numpy.array([t_cdf_ddf(ti, df) for ti in t])
    dfs = numpy.full(8, df)
    with no_warning():
        numpy.testing.assert_allclose(elementwise_grad(lambda d: st.t.cdf(t, d))(dfs), want, rtol=1e-11)
        numpy.testing.assert_allclose(elementwise_grad(lambda d: st.t.sf(t, d))(dfs), -want, rtol=1e-11)
        logcdf = elementwise_grad(lambda d: st.t.logcdf(t, d))(dfs)
        numpy.testing.assert_allclose(logcdf, want / st.t.cdf(t, df), rtol=1e-11)


def test_t_cdf_derivatives_in_df_on_a_mixed_array_and_to_second_order() -> None:
    df = numpy.array([1.5, 9.0, 12.0, 3e3, 1e9])  # the closed form, then the integral
    t = numpy.array([2.0, -0.3, 3.0, -7.0, 1.0])
    want = numpy.array([t_cdf_ddf(ti, di) for ti, di in zip(t, df)])
    with no_warning():
        numpy.testing.assert_allclose(elementwise_grad(lambda d: st.t.cdf(t, d))(df), want, rtol=1e-11)
        for ti, di in ((1.3, 50.0), (-5.0, 1e4), (30.0, 1e3), (0.1, 1e7)):
            assert grad(grad(lambda d: st.t.cdf(ti, d)))(di) == pytest.approx(t_cdf_ddf(ti, di, 2), rel=1e-10)
