"""Derivatives of scipy.special functions at the edges of their domains, where a rule that
is right on paper loses its digits: an intermediate that underflows, overflows or is NaN
in SciPy while the function's value is fine, or a difference of nearly equal terms.

Every reference value is mpmath's (60 digits: mpmath.diff of the function, or its
derivative written out), rounded to a double."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
import pytest
from numpy.testing import assert_allclose

import plugrad.scipy.special as sp
from plugrad import elementwise_grad, grad


def d2(fun: Callable[..., Any]) -> Callable[..., Any]:
    return grad(grad(fun))


# K1' = -(K0 + K2) / 2 read SciPy's kv(2, x), which is 0 from x = 700 where K0 and K1 are not.
@pytest.mark.parametrize(
    "x, expected",
    [(700.0, -4.676452304252103e-306), (705.0, -3.139747406480572e-308), (2.5, -0.09190387973946501)],
)
def test_k1_derivative_where_kv2_underflows(x: float, expected: float) -> None:
    assert_allclose(grad(sp.k1)(x), expected, rtol=1e-12)


def test_k1_second_derivative_where_kv_underflows() -> None:
    assert_allclose(d2(sp.k1)(700.0), 4.679800979817707e-306, rtol=1e-12)


# The scaled modified Bessel functions far out: ive(2, x) and kve(2, x) are NaN past 1.5e9,
# and the recurrences cancel to about -ans / (2x) before that.
@pytest.mark.parametrize(
    "name, x, expected",
    [
        ("i1e", 2e9, -2.2301551439365015e-15),
        ("i1e", -2e9, -2.2301551439365015e-15),
        ("i1e", 1e6, -1.9947091579556673e-10),
        ("i1e", 45.0, -0.0006440704163842643),
        ("i1e", 2.5, -0.019172067731570437),
        ("i0e", 2e9, -2.230155145609118e-15),
        ("i0e", -1e6, 1.9947121500246404e-10),
        ("i0e", 45.0, -0.0006664118755313057),
        ("k0e", 1e6, -6.266568336615697e-10),
        ("k0e", 45.0, -0.002058972525253185),
        ("k1e", 2e9, -7.00623902443842e-15),
        ("k1e", 1e6, -6.266577736465852e-10),
        ("k1e", 45.0, -0.00212723579443613),
        ("k1e", 2.5, -0.21944403598337273),
    ],
)
def test_scaled_bessel_derivative_far_out(name: str, x: float, expected: float) -> None:
    assert_allclose(grad(getattr(sp, name))(x), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "name, x, expected",
    [
        ("i1e", 45.0, 2.109304548184382e-05),
        ("i1e", -1e6, -2.9920614928808364e-16),
        ("k1e", 1e6, 9.399873654583457e-16),
    ],
)
def test_scaled_bessel_second_derivative_far_out(name: str, x: float, expected: float) -> None:
    assert_allclose(d2(getattr(sp, name))(x), expected, rtol=1e-12)


def test_scaled_bessel_derivative_on_both_sides_of_the_switch() -> None:
    x = numpy.array([2.5, 45.0, 2e9])
    expected = [-0.019172067731570437, -0.0006440704163842643, -2.2301551439365015e-15]
    assert_allclose(elementwise_grad(sp.i1e)(x), expected, rtol=1e-12)


# rel_entr and kl_div in x: log(x / y) over- and underflows where log x - log y does not.
@pytest.mark.parametrize(
    "x, y, log_ratio",
    [
        (1e300, 1e-10, 713.8013788281542),
        (1e-200, 1e200, -921.0340371976183),
        (1e308, 1e-308, 1418.3924172843322),
        (0.5, 2.0, -1.3862943611198906),
    ],
)
def test_relative_entropy_derivative_past_the_quotient(x: float, y: float, log_ratio: float) -> None:
    with numpy.errstate(over="ignore", divide="ignore"):  # (the quotient, tried first, still warns)
        assert_allclose(grad(sp.rel_entr)(x, y), log_ratio + 1, rtol=1e-14)
        assert_allclose(grad(sp.kl_div)(x, y), log_ratio, rtol=1e-14)


def test_relative_entropy_derivative_mixed_and_at_zero() -> None:
    x = numpy.array([1e300, 0.5, 0.0, 1.0])
    y = numpy.array([1e-10, 2.0, 1.0, 0.0])
    with numpy.errstate(over="ignore", divide="ignore"):
        got = elementwise_grad(sp.rel_entr)(x, y)
    assert_allclose(got[:2], [714.8013788281542, -0.3862943611198906], rtol=1e-14)
    assert got[2] == -numpy.inf and got[3] == numpy.inf  # as before: log(0) and log(inf)


# dawsn' = 1 - 2 x D(x) cancels to about -1 / (2 x^2).
@pytest.mark.parametrize(
    "x, expected",
    [
        (1e8, -5.0000000000000005e-17),
        (1e6, -5.0000000000075e-13),
        (-30.0, -0.000556484063550548),
        (12.0, -0.0035090348957182477),
        (0.5, 0.5755636164979777),
    ],
)
def test_dawsn_derivative_far_out(x: float, expected: float) -> None:
    assert_allclose(grad(sp.dawsn)(x), expected, rtol=1e-13)


@pytest.mark.parametrize("x, expected", [(30.0, 3.716101091452277e-05), (-1e4, -1.000000030000001e-12)])
def test_dawsn_second_derivative_far_out(x: float, expected: float) -> None:
    assert_allclose(d2(sp.dawsn)(x), expected, rtol=1e-12)


# At float32 (references at the float32 argument's exact value).
@pytest.mark.parametrize(
    "x, expected",
    [(1e6, -5.0000000000075e-13), (3.0, -0.06962618366334973), (0.9, 0.026696253222085426)],
)
def test_dawsn_derivative_float32(x: float, expected: float) -> None:
    got = grad(sp.dawsn)(numpy.float32(x))
    assert numpy.asarray(got).dtype == numpy.float32
    assert_allclose(got, expected, rtol=3e-7)


# exprel' = exprel - phi_2 cancels far left.
@pytest.mark.parametrize(
    "x, expected",
    [
        (-1e15, 1e-30),
        (-50.0, 0.0004),
        (-1.5, 0.1965220442795224),
        (0.25, 0.5916949997471022),
        (3.0, 4.5745637607083705),
        (705.0, 2.1320832925436117e303),
    ],
)
def test_exprel_derivative_far_left(x: float, expected: float) -> None:
    assert_allclose(grad(sp.exprel)(x), expected, rtol=1e-13)


@pytest.mark.parametrize(
    "x, expected", [(-1e3, 2e-09), (-1.5, 0.11327595227374333), (3.0, 3.645469800590309)]
)
def test_exprel_second_derivative(x: float, expected: float) -> None:
    assert_allclose(d2(sp.exprel)(x), expected, rtol=1e-12)


def test_exprel_derivative_float32_far_left() -> None:
    got = grad(sp.exprel)(numpy.float32(-1e15))
    assert numpy.asarray(got).dtype == numpy.float32
    assert_allclose(got, 1.0000000260177925e-30, rtol=3e-7)


# The partials of betaln, beta, poch and binom are steps of digamma, psi(a + b) - psi(a), whose
# two digammas cancel where b is small against a: to b / (a ln a) of their digits.
@pytest.mark.parametrize(
    "a, b, argnum, expected",
    [
        (1e12, 1.0, 0, -1e-12),  # the difference kept 3 digits
        (1e15, 1.0, 0, -1e-15),  # none: it was 0
        (1e8, 3e-5, 0, -3.00000001499955e-13),  # 2 digits
        (50.0, 1e-6, 0, -2.0201333022657132e-08),  # moderate a: 8 digits
        (1e6, -0.5, 0, 5.0000037500025e-07),  # b < 0: the step down from a
        (1e12, 1e12, 0, -0.6931471805601953),  # b as large as a: ln 2 from digammas of 28
        (1e-3, 5.0, 1, -0.0002212985644417116),  # d/db, a small against b
        (2.0, 3.0, 0, -1.0833333333333333),  # nothing cancels: the digammas as they are
        (-2.5, 0.3, 0, -4.219713580527406),  # nor at a < 0, where Gamma changes sign
    ],
)
def test_betaln_derivative_where_the_digammas_cancel(
    a: float, b: float, argnum: int, expected: float
) -> None:
    assert_allclose(grad(sp.betaln, argnum)(a, b), expected, rtol=2e-15)


# The second derivatives are steps of trigamma, which cancel the same way (to b / a of them).
@pytest.mark.parametrize(
    "a, b, argnum, expected",
    [
        (1e8, 1e-3, 0, 1.0000000099900001e-19),
        (50.0, 1e-6, 0, 4.080799810943977e-10),
        (1e-3, 1e8, 1, 1.0000000099900001e-19),
        (2.0, 3.0, 0, 0.4236111111111111),
    ],
)
def test_betaln_second_derivative_where_the_trigammas_cancel(
    a: float, b: float, argnum: int, expected: float
) -> None:
    assert_allclose(grad(grad(sp.betaln, argnum), argnum)(a, b), expected, rtol=2e-15)


def test_betaln_derivatives_on_an_array_of_both_kinds() -> None:
    # Each element its own way, at first and second order (values as above).
    a = numpy.array([1e12, 2.0, 50.0, -2.5, 1e6])
    b = numpy.array([1.0, 3.0, 1e-6, 0.3, -0.5])
    expected = [-1e-12, -1.0833333333333333, -2.0201333022657132e-08, -4.219713580527406, 5.0000037500025e-07]
    assert_allclose(elementwise_grad(sp.betaln)(a, b), expected, rtol=2e-15)
    a, b = numpy.array([1e8, 2.0, 50.0]), numpy.array([1e-3, 3.0, 1e-6])
    expected = [1.0000000099900001e-19, 0.4236111111111111, 4.080799810943977e-10]
    assert_allclose(elementwise_grad(elementwise_grad(sp.betaln))(a, b), expected, rtol=2e-15)


def test_betaln_derivative_float32() -> None:
    # In float32 the two digammas, rounded to 14 +- 1e-6, kept nothing of their difference.
    got = elementwise_grad(sp.betaln)(numpy.float32([1e6, 3000.0]), numpy.float32([1.0, 0.25]))
    assert got.dtype == numpy.float32
    assert_allclose(got, [-1e-06, -8.334375057859517e-05], rtol=3e-7)


@pytest.mark.parametrize(
    "name, x, y, argnum, expected",
    [
        ("beta", 3.0, 1e-8, 0, -0.39493406015364646),
        ("poch", 1e15, 2.0, 0, 2000000000000001.0),  # it was 0
        ("poch", 2.0, 1e-9, 0, 6.449340669188376e-10),
        ("poch", 1e6, -0.5, 0, -5.000005625004882e-10),
        ("binom", 1e10, 3.0, 0, 4.999999999e19),  # d/dn: psi(n + 1) - psi(n - k + 1)
        ("binom", 60.01, 30.0, 1, 39031824491799.2),  # d/dk: psi(n - k + 1) - psi(k + 1), k near n / 2
        ("binom", 40.0, 20.001, 1, -13445776.653534364),  # and past it
    ],
)
def test_beta_poch_binom_derivatives_where_the_digammas_cancel(
    name: str, x: float, y: float, argnum: int, expected: float
) -> None:
    assert_allclose(grad(getattr(sp, name), argnum)(x, y), expected, rtol=2e-15)
