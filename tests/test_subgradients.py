"""The documented conventions at kinks and singularities (docs: tutorial, "Non-differentiable points")."""

from __future__ import annotations

import warnings

import numpy
import pytest

import plugrad.numpy as np
from plugrad import elementwise_grad, grad, hessian, holomorphic_grad, make_jvp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_abs_at_zero_is_zero_in_both_modes():
    assert grad(np.abs)(0.0) == 0.0
    assert make_jvp(np.abs)(0.0)(1.0)[1] == 0.0


def test_maximum_and_minimum_ties_split_evenly():
    assert grad(lambda x: np.maximum(x, 1.0))(1.0) == 0.5
    assert grad(lambda x: np.minimum(x, 2.0))(2.0) == 0.5
    assert grad(lambda x: np.maximum(x, x))(1.0) == 1.0  # both halves come back to x
    numpy.testing.assert_array_equal(elementwise_grad(lambda x: np.maximum(x, 0.0))(numpy.array([-1.0, 0.0, 1.0])), [0, 0.5, 1])
    numpy.testing.assert_array_equal(grad(np.max)(numpy.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])


def test_sqrt_at_zero_is_infinite_not_a_subgradient():
    assert grad(np.sqrt)(numpy.float64(0.0)) == numpy.inf


def test_norm_at_zero_is_the_zero_subgradient():
    numpy.testing.assert_array_equal(grad(np.linalg.norm)(numpy.zeros(3)), numpy.zeros(3))


def test_sort_ties_follow_the_stable_order():
    numpy.testing.assert_array_equal(grad(lambda x: np.sort(x)[0])(numpy.array([1.0, 1.0, 2.0])), [1, 0, 0])


def test_clip_passes_the_cotangent_to_x_at_the_bounds():
    x = numpy.array([0.0, 1.0, 0.5, 2.0, -1.0])
    numpy.testing.assert_array_equal(elementwise_grad(lambda x: np.clip(x, 0.0, 1.0))(x), [1, 1, 1, 0, 0])


def test_where_sends_each_cotangent_to_the_branch_taken():
    x = numpy.array([-1.0, 2.0])
    numpy.testing.assert_array_equal(elementwise_grad(lambda x: np.where(x > 0, x**2, -x))(x), [-1, 4])


def test_the_where_nan_trap_and_its_safe_pattern():
    x = numpy.array([-1.0, 4.0])
    trap = elementwise_grad(lambda x: np.where(x > 0, np.sqrt(x), 0.0))(x)
    assert numpy.isnan(trap[0])  # 0 * (derivative of sqrt at -1) is 0 * nan
    safe = elementwise_grad(lambda x: np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0))(x)
    numpy.testing.assert_array_equal(safe, [0.0, 0.25])


@pytest.mark.parametrize(
    "f, x",
    [(np.log, 0.0), (np.log2, 0.0), (np.log10, 0.0), (np.log1p, -1.0), (np.sqrt, 0.0), (np.arctanh, 1.0)],
)
def test_a_python_float_at_a_pole_gives_what_a_float64_gives(f, x):
    # Traced Python floats stay floats, where 1 / 0.0 raises; the derivative is still NumPy's inf.
    assert grad(f)(x) == grad(f)(numpy.float64(x)) == numpy.inf
    assert make_jvp(f)(x)(1.0)[1] == numpy.inf
    assert numpy.isinf(grad(grad(f))(x))  # and at second order, where the value is traced


def test_arctan2_and_hypot_at_the_origin_are_nan_for_floats_too():
    for f in (np.arctan2, np.hypot):
        assert numpy.isnan(grad(f)(0.0, 0.0)) and numpy.isnan(grad(f)(numpy.float64(0.0), numpy.float64(0.0)))


def test_sort_ties_follow_the_stable_order_in_any_lane_and_with_nans():
    # The rules sort without stability first and fall back where a lane has equal values.
    x = numpy.array([[3.0, 1.0, 2.0], [2.0, 5.0, 2.0]])
    w = numpy.array([1.0, 10.0, 100.0])
    g = grad(lambda x: np.sum(np.sort(x, axis=1) * w))(x)
    numpy.testing.assert_array_equal(g, [[100.0, 1.0, 10.0], [1.0, 100.0, 10.0]])
    x = numpy.array([numpy.nan, 1.0, numpy.nan, 0.0])
    g = grad(lambda x: np.sum(np.sort(x)[:3] * w))(x)
    numpy.testing.assert_array_equal(g, [100.0, 10.0, 0.0, 1.0])  # the first NaN goes first
    x = numpy.repeat(numpy.arange(500.0), 3)[::-1].copy()  # many ties, and a lane longer than a few
    g = grad(lambda x: np.sum(np.sort(x) * numpy.arange(1500.0)))(x)
    numpy.testing.assert_array_equal(g, numpy.arange(1500.0).reshape(500, 3)[::-1].ravel())


@pytest.mark.filterwarnings("error")
def test_large_masks_pass_cotangents_as_where_does_infinite_ones_included():
    # Past 8192 elements the rules' where(mask, g, 0) is computed as a product with the mask;
    # an infinite cotangent where the mask is off must still give 0, not inf * 0 = nan.
    x = numpy.linspace(-1.0, 2.0, 30000)
    w = numpy.cos(x)
    g = grad(lambda x: np.sum(np.clip(x, -0.5, 0.5) * w))(x)
    numpy.testing.assert_array_equal(g, numpy.where((x >= -0.5) & (x <= 0.5), w, 0.0))
    with numpy.errstate(divide="ignore"):
        g = grad(lambda x: np.sum(np.log(np.clip(x, 0.0, 1.0))))(x)  # 1/0 = inf where x < 0
    assert (g[x < 0] == 0).all() and numpy.isfinite(g[x > 0]).all()
    numpy.testing.assert_array_equal(g[(x > 0) & (x <= 1)], 1 / x[(x > 0) & (x <= 1)])
    g = grad(lambda x: np.sum(np.where(x > 0, 0.0, x) * w))(x)
    numpy.testing.assert_array_equal(g, numpy.where(x > 0, 0.0, w))


def test_arccosh_follows_its_branch_in_the_left_half_plane():
    # arccosh'(z) = 1 / (sqrt(z - 1) sqrt(z + 1)); 1 / sqrt(z * z - 1) has the other sign where Re z < 0.
    z = numpy.array([-2.0 + 0.1j, -1.5 - 0.7j, 2.0 + 0.3j])
    exact = 1 / (numpy.sqrt(z - 1) * numpy.sqrt(z + 1))
    h = 1e-6
    numpy.testing.assert_allclose((numpy.arccosh(z + h) - numpy.arccosh(z - h)) / (2 * h), exact, rtol=1e-6)
    numpy.testing.assert_allclose(holomorphic_grad(lambda z: np.sum(np.arccosh(z)))(z), exact, rtol=1e-12)
    numpy.testing.assert_allclose(make_jvp(np.arccosh)(z)(numpy.ones(3, complex))[1], exact, rtol=1e-12)
    assert grad(np.arccosh)(1e160) == pytest.approx(1e-160)  # (z * z would overflow)


def test_derivatives_that_overflow_or_cancel_in_the_textbook_formula():
    # Reference values from mpmath at 50 digits. Each rule's old formula gave 0, inf or
    # NaN here: expm1' = ans + 1 cancels, log10' = 1 / (x ln 10) and arcsinh' = 1 /
    # sqrt(x^2 + 1) overflow, arctan2's x^2 + y^2 overflows or underflows.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no overflow on the way either)
        for x in (-40.0, numpy.float64(-40.0), numpy.array([-40.0, -700.0])):
            numpy.testing.assert_allclose(elementwise_grad(np.expm1)(x), numpy.exp(x), rtol=1e-15)
        assert grad(np.log10)(1e308) == pytest.approx(4.34294481903252e-309, rel=1e-12)
        assert grad(np.log2)(numpy.float64(1e308)) == pytest.approx(1.4426950408889634e-308, rel=1e-12)
        for x in (1e200, numpy.float64(-1e200), numpy.array([1e200, 3e-5])):
            numpy.testing.assert_allclose(elementwise_grad(np.arcsinh)(x), 1 / numpy.hypot(x, 1.0), rtol=1e-15)
        assert grad(lambda y: np.arctan2(y, 1e200))(1e200) == pytest.approx(5e-201, rel=1e-14)
        assert grad(lambda y: np.arctan2(y, 1e-300))(1e-300) == pytest.approx(5e299, rel=1e-14)
        assert grad(lambda x: np.arctan2(1e-300, x))(1e-300) == pytest.approx(-5e299, rel=1e-14)
    assert grad(grad(np.arcsinh))(1e-3) == pytest.approx(-9.999985000018750e-4, rel=1e-13)  # second order too
    assert grad(grad(np.expm1))(-40.0) == pytest.approx(4.248354255291589e-18, rel=1e-14)


def test_logaddexp_reads_its_derivative_off_the_arguments():
    # exp(x - ans) read 1 for each argument once ans rounds to x (equal arguments beyond
    # 1e16), and NaN for x = inf; 1 / (1 + exp(y - x)) is exact, and so is its derivative
    # at x == y, where the exponent's sign changes.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no overflow on the way)
        for f, ln in ((np.logaddexp, 1.0), (np.logaddexp2, numpy.log(2.0))):
            assert grad(f, (0, 1))(1e17, 1e17) == (0.5, 0.5)
            x = numpy.array([1e17, 0.3, 800.0, -800.0, numpy.inf], numpy.float32)
            y = numpy.array([1e17, -2.0, -3.0, 2.0, 1.0], numpy.float32)
            gx, gy = grad(lambda x, y: np.sum(f(x, y)), (0, 1))(x, y)
            assert gx.dtype == gy.dtype == numpy.float32
            d = (x - y).astype(float) * ln
            exact = numpy.where(d >= 0, 1 / (1 + numpy.exp(-numpy.abs(d))), numpy.exp(-numpy.abs(d)) / (1 + numpy.exp(-numpy.abs(d))))
            numpy.testing.assert_allclose(gx, exact, rtol=1e-6, atol=1e-38)
            numpy.testing.assert_allclose(gy, 1 - exact, rtol=1e-6, atol=1e-38)
            h = hessian(lambda v: f(v[0], v[1]))(numpy.array([1e17, 1e17]))
            numpy.testing.assert_allclose(h, ln / 4 * numpy.array([[1.0, -1.0], [-1.0, 1.0]]), rtol=1e-15)
