"""Derivatives in the parameters of the incomplete gamma and beta functions and of Student's t
cdf at huge parameters (to 1e12, 1e10 and 1e15; for the beta function, the other parameter huge
or small), against mpmath: arrays that mix them with small ones, second derivatives, and no
warning. The series these once summed there were NaN (past 20000 terms) or kept no digit; the
t cdf's closed form cancelled."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy
import pytest
import scipy.special as sc

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


def betainc_dab(a: Any, b: Any, x: Any, i: int, j: int) -> float:
    """``d^i/da^i d^j/db^j I_x(a, b)``, ``i + j`` 1 or 2, from the integral of the density in
    ``y = ln(t / (1-t))``, ``t^a (1-t)^b / B(a, b) dy``: log-concave, its tails exponential
    whatever the parameters. From ``x`` away from the peak (``int_-inf^y(x)`` below it,
    ``-int_y(x)^inf`` above), in pieces doubling in length, scaled by the density at ``x``."""
    with mp.workdps(40):
        a_, b_, x_ = mp.mpf(a), mp.mpf(b), mp.mpf(x)
        lb = mp.loggamma(a_) + mp.loggamma(b_) - mp.loggamma(a_ + b_)
        psi_ab, psi1 = mp.digamma(a_ + b_), mp.psi(1, a_ + b_)
        ca, cb = psi_ab - mp.digamma(a_), psi_ab - mp.digamma(b_)
        psi1_a, psi1_b = mp.psi(1, a_), mp.psi(1, b_)

        def logs(y: Any) -> tuple[Any, Any, Any]:  # ln t, ln(1-t), the log density
            lt = -mp.log1p(mp.exp(-y))
            return lt, lt - y, a_ * lt + b_ * (lt - y) - lb

        def f(y: Any) -> Any:
            lt, l1t, log_density = logs(y)
            da, db = lt + ca, l1t + cb
            factor = {
                (1, 0): da,
                (0, 1): db,
                (2, 0): da * da + psi1 - psi1_a,
                (1, 1): da * db + psi1,
                (0, 2): db * db + psi1 - psi1_b,
            }[i, j]
            return factor * mp.exp(log_density - scale)

        yx = mp.log(x_ / (1 - x_))
        side = -1 if yx <= mp.log(a_ / b_) else 1
        scale = logs(yx)[2]
        ends, step = [yx], mp.sqrt(1 / a_ + 1 / b_) / 4  # (the peak's width: 1 / sqrt(a b / (a + b)))
        while logs(ends[-1])[2] > scale - 120:
            ends.append(yx + side * step)
            step *= 2
        return float(-side * mp.quad(f, sorted(ends)) * mp.exp(scale))


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


def test_betainc_derivatives_with_one_parameter_small_and_the_other_huge_against_mpmath() -> None:
    # The series lost 1e-2 of them at (8, 1e6) near the median, every digit at 1e10; the density
    # is integrated in the log of the variable there. x at quantiles from 1e-8 to 1 - 1e-8, made
    # a multiple of 2^-53 where above 2^-45: then 1 - x is exact, and I_(1-x)(b, a) = 1 - I_x(a, b)
    # gives the derivatives of the mirrored case, a huge and b small, from the same reference.
    quantiles = (1e-8, 0.02, 0.5, 0.98, 1 - 1e-8)
    cases = []
    for n, (small, huge) in enumerate((s, h) for s in (0.3, 1.0, 3.0, 9.9) for h in (1e3, 1e6, 1e10)):
        for p in (quantiles[n % 5], quantiles[(n + 2) % 5]):
            x = float(sc.betaincinv(small, huge, p))
            cases.append((small, huge, math.ldexp(round(math.ldexp(x, 53)), -53) if x > 2**-45 else x))
    da = numpy.array([betainc_dab(*case, 1, 0) for case in cases])
    db = numpy.array([betainc_dab(*case, 0, 1) for case in cases])
    small, huge, x = map(numpy.array, zip(*cases))
    exact = x > 2**-45
    # with the series' (2, 3) and the peak's (20, 1e4) in the same arrays
    others = [(2.0, 3.0, 0.4), (20.0, 1e4, 0.0025)]
    a = numpy.concatenate([small, huge[exact], [case[0] for case in others]])
    b = numpy.concatenate([huge, small[exact], [case[1] for case in others]])
    x = numpy.concatenate([x, 1 - x[exact], [case[2] for case in others]])
    want_a = numpy.concatenate([da, -db[exact], [betainc_dab(*case, 1, 0) for case in others]])
    want_b = numpy.concatenate([db, -da[exact], [betainc_dab(*case, 0, 1) for case in others]])
    with no_warning():
        numpy.testing.assert_allclose(elementwise_grad(lambda a: sp.betainc(a, b, x))(a), want_a, rtol=1e-11)
        numpy.testing.assert_allclose(elementwise_grad(lambda b: sp.betainc(a, b, x))(b), want_b, rtol=1e-11)
        complement = elementwise_grad(lambda a: sp.betaincc(a, b, x))(a)
        numpy.testing.assert_allclose(complement, -want_a, rtol=1e-11)


@pytest.mark.parametrize(
    ("a", "b", "x", "i", "j"),
    [
        (0.7, 1e4, 2e-5, 2, 0),
        (0.7, 1e4, 2e-4, 0, 2),
        (3.0, 1e8, 2e-8, 1, 1),
        (9.9, 1e5, 1.2e-4, 0, 2),
        (1e6, 2.0, 1 - 1e-6, 2, 0),  # (I_x(a, b) = 1 - I_(1-x)(b, a))
        (1e10, 0.3, 1 - 2e-12, 1, 1),
    ],
)
def test_betainc_second_derivatives_with_one_parameter_small_against_mpmath(
    a: float, b: float, x: float, i: int, j: int
) -> None:
    def derivative(a: Any, b: Any) -> Any:
        f = lambda a, b: sp.betainc(a, b, x)  # noqa: E731
        for argnum in [0] * i + [1] * j:
            f = grad(f, argnum)
        return f(a, b)

    with no_warning():
        assert derivative(a, b) == pytest.approx(betainc_dab(a, b, x, i, j), rel=1e-10)


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
