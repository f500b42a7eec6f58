"""Operators between a traced array and a Python number: their rules skip unbroadcast
(the product or sum already has the argument's shape and dtype), at every order of a
derivative, and a complex number still gets its real part taken."""

from __future__ import annotations

from typing import Any

import numpy
import pytest

import plugrad.numpy as np
from plugrad import elementwise_grad, grad
from plugrad.test_util import check_grads


def poly(x):
    return 3 * x**3 - 20 * x**2 + 40 * x - 2 + 2.5 * x - x * 0.5 + (1 - x) - (2.0 - x) / 4


def poly_derivatives(x):
    d1 = 9 * x**2 - 40 * x + 40 + 2.5 - 0.5 - 1 + 0.25
    return [d1, 18 * x - 40, 18 + 0 * x, 0 * x]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_polynomial_derivatives_keep_the_arguments_dtype(dtype):
    x = numpy.linspace(-1, 4, 7).astype(dtype)
    f = poly
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for want in poly_derivatives(x.astype("float64")):
        f = elementwise_grad(f)
        got = f(x)
        assert got.dtype == x.dtype and got.shape == x.shape
        numpy.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 100)


def test_derivatives_at_a_python_float_are_floats():
    f = poly
    for want in poly_derivatives(1.5):
        f = grad(f)
        got = f(1.5)
        assert isinstance(got, float) and got == pytest.approx(want)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_complex_constant_gives_a_real_argument_a_real_gradient(dtype):
    x = numpy.array([0.5, -1.0, 2.0], dtype)
    cases = [
        (lambda x: np.sum(np.real((1 + 2j) * x)), numpy.ones(3)),
        (lambda x: np.sum(np.real(x * (3 - 1j))), 3 * numpy.ones(3)),
        (lambda x: np.sum(np.abs(x + 1j) ** 2), 2 * x),
        (lambda x: np.sum(np.abs(1j - x) ** 2), 2 * x),
        (lambda x: np.sum(np.abs(x - 2j) ** 2), 2 * x),
    ]
    for f, want in cases:
        g = grad(f)(x)
        assert g.dtype == x.dtype, f
        numpy.testing.assert_allclose(g, want, rtol=1e-6)


def test_an_array_constant_is_still_unbroadcast():
    x = numpy.array([1.0, 2.0, 3.0])
    c = numpy.arange(6.0).reshape(2, 3)
    numpy.testing.assert_allclose(grad(lambda x: np.sum(c * x))(x), c.sum(0))
    numpy.testing.assert_allclose(grad(lambda x: np.sum(c + x))(x), [2.0, 2.0, 2.0])
    numpy.testing.assert_allclose(grad(lambda x: np.sum(c - x))(x), [-2.0, -2.0, -2.0])
    numpy.testing.assert_allclose(grad(lambda x: np.sum(c * x**2))(x), 2 * x * c.sum(0))


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
@pytest.mark.parametrize(
    ("big", "small"),
    [((4, 3), (3,)), ((4, 3), (1, 3)), ((2, 4, 3), (4, 3)), ((2, 4, 3), (1, 3)), ((4, 3), (4, 1)), ((5,), (1,))],
)
def test_a_broadcast_argument_of_a_sum_gets_its_cotangent_summed(dtype, big, small):
    # A bias broadcast along one leading axis is one reduction in the add and subtract
    # rules; every other broadcast goes through unbroadcast. Both positions, both signs.
    rng = numpy.random.default_rng(2)
    x = rng.standard_normal(big).astype(dtype)
    b = rng.standard_normal(small).astype(dtype)
    w = rng.standard_normal(big)  # a real weight: the cotangent of the sum is w
    want = w.sum(axis=tuple(range(len(big) - len(small))))  # the leading axes b lacks
    want = want.sum(axis=tuple(i for i, n in enumerate(small) if n == 1), keepdims=True)  # its 1s
    for f, sign in [
        (lambda b: np.sum(np.real(x + b) * w), 1),
        (lambda b: np.sum(np.real(b + x) * w), 1),
        (lambda b: np.sum(np.real(x - b) * w), -1),
        (lambda b: np.sum(np.real(b - x) * w), 1),
    ]:
        g = grad(f)(b)
        assert g.shape == b.shape and g.dtype == b.dtype
        numpy.testing.assert_allclose(g, sign * want, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_quotients_with_python_numbers_keep_the_arguments_dtype(dtype):
    x = numpy.linspace(-1, 4, 7).astype(dtype)
    f = lambda x: 3.0 / (x + 5) + x / 2 - 1 / (6 - x)  # noqa: E731
    u, v = x.astype("float64") + 5, 6 - x.astype("float64")
    wanted = [-3 / u**2 + 0.5 - 1 / v**2, 6 / u**3 - 2 / v**3, -18 / u**4 - 6 / v**4]
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for want in wanted:
        f = elementwise_grad(f)
        got = f(x)
        assert got.dtype == x.dtype and got.shape == x.shape
        numpy.testing.assert_allclose(got, want, rtol=rtol)


# Python's arithmetic on floats refuses what NumPy's computes (and what autograd, whose
# arithmetic is NumPy's, gives): the operators fall back to NumPy's functions there, in
# the value, in reverse mode and in forward mode.
EDGES = [
    (lambda x: np.abs(x**0.5), -0.7, numpy.nan, numpy.nan),  # complex in Python
    (lambda x: 1 / x, 0.0, numpy.inf, -numpy.inf),  # ZeroDivisionError in Python
    (lambda x: x / (x - 0.7), 0.7, numpy.inf, numpy.nan),
    (lambda x: 2.0**x, 2000.0, numpy.inf, numpy.inf),  # OverflowError in Python
    (lambda x: x**2, 1e200, numpy.inf, 2e200),
    (lambda x: x % 0.0, 1.5, numpy.nan, 1.0),
    (lambda x: np.sum(x * [1.0, 2.0]), 1.5, 4.5, 3.0),  # a list: repetition in Python
    (lambda x: np.sum((1.0, 2.0) * x), 1.5, 4.5, 3.0),
    (lambda x: np.sum([1.0, 2.0] + x), 1.5, 6.0, 2.0),
    (lambda x: np.sum([1.0, 2.0] / x), 1.5, 2.0, -4.0 / 3.0),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("f", "x", "value", "slope"), EDGES)
def test_python_floats_where_pythons_arithmetic_refuses(f, x, value, slope):
    from plugrad import make_jvp, value_and_grad

    got, g = value_and_grad(f)(x)
    numpy.testing.assert_allclose([got, g], [value, slope], rtol=1e-12)
    numpy.testing.assert_allclose(make_jvp(f)(x)(1.0), [value, slope], rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_floor_division_of_a_python_float_by_zero_is_numpys():
    from plugrad import value_and_grad

    assert value_and_grad(lambda x: x // 0.0 + x)(1.5) == (numpy.inf, 1.0)  # Python raises
    assert grad(lambda x: divmod(x, 0.0)[1])(1.5) == 1.0


def test_a_failed_fallback_reports_its_own_error_alone():
    with pytest.raises(TypeError) as info:
        grad(lambda x: np.sum(x * "a"))(1.5)
    assert info.value.__suppress_context__  # not "during handling of" Python's own error


# The rules of ``x ** n`` fold a cotangent that is not traced into the constants of the
# derivative term (one operation per order instead of a term and a product): every order
# must still be right, with a weighted, a traced and a complex cotangent, and an exponent
# that broadcasts.
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_derivative_of_a_power_with_a_weighted_cotangent(dtype):
    x = numpy.array([-1.5, -0.5, 0.0, 0.5, 2.0], dtype)
    w = numpy.array([1.0, -2.0, 0.5, 3.0, -1.0], dtype)
    f = lambda x: w * x**5  # noqa: E731
    coef, power = 1.0, 5
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for _ in range(6):
        f = elementwise_grad(f)
        coef, power = coef * power, power - 1
        got = f(x)
        want = w.astype("float64") * coef * x.astype("float64") ** max(power, 0) if coef else 0 * x
        assert got.dtype == x.dtype
        numpy.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def test_a_negative_power_and_its_derivatives():
    x = numpy.array([0.5, 1.0, 3.0])
    f = lambda x: 2.0 * x**-2  # noqa: E731
    wanted = [-4.0 * x**-3, 12.0 * x**-4, -48.0 * x**-5]
    for want in wanted:
        f = elementwise_grad(f)
        numpy.testing.assert_allclose(f(x), want, rtol=1e-12)


def test_a_traced_cotangent_of_a_power():
    # The inner gradient's cotangent depends on the outer argument: x**3's rule gets a
    # traced g, which cannot join the constants.
    x = numpy.array([0.5, -1.0, 2.0])
    inner = lambda y, x: grad(lambda y: np.sum(np.sin(x) * y**3))(y)  # 3 sin(x) y**2  # noqa: E731
    outer = grad(lambda x: np.sum(inner(x, x)))  # d/dx sum(3 sin(x) x**2)
    numpy.testing.assert_allclose(outer(x), 3 * numpy.cos(x) * x**2 + 6 * numpy.sin(x) * x, rtol=1e-12)


def test_complex_and_broadcast_powers():
    from plugrad import holomorphic_grad

    z = numpy.array([1 + 2j, -0.5 + 0.25j])
    d2 = holomorphic_grad(lambda z: np.sum(holomorphic_grad(lambda z: np.sum(z**3))(z)))
    numpy.testing.assert_allclose(d2(z), 6 * z, rtol=1e-12)
    x = numpy.array([0.5, 1.5, 2.0])
    n = numpy.array([[2], [3]])
    w = numpy.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]])
    want = (w * n * x ** (n - 1)).sum(0)
    numpy.testing.assert_allclose(grad(lambda x: np.sum(w * x**n))(x), want, rtol=1e-12)
    want2 = (w * n * (n - 1) * x ** (n - 2)).sum(0)
    numpy.testing.assert_allclose(elementwise_grad(lambda x: elementwise_grad(lambda x: np.sum(w * x**n))(x))(x), want2, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_the_power_terms_last_exponents_give_numpys_values_bit_for_bit(dtype):
    # x**1 and x**0 are computed without NumPy's power; nan, inf and signed zeros included.
    from plugrad_numpy.binary import power_term

    x = numpy.array([0.0, -0.0, 1.5, -2.0, numpy.inf, -numpy.inf, numpy.nan], dtype)
    k = numpy.array([1.0, -1.0, -0.5, 0.0, 2.0, -0.0, 3.0], dtype)
    for c in (0, 1, -3, 2.5, -0.0):
        for e in (0, 1, 0.0, 1.0):
            with numpy.errstate(all="ignore"):
                safe = 0 if c == 0 else e
                want2, want3 = c * numpy.power(x, safe), c * numpy.power(x, safe) * k
                got2, got3 = power_term(x, (c, e)), power_term(x, (c, e, k))
            for got, want in ((got2, want2), (got3, want3)):
                assert got.dtype == want.dtype and got.shape == want.shape
                assert got.tobytes() == want.tobytes(), (c, e)


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_tanhs_rule_computes_in_its_own_array_and_gives_the_formulas_bits(dtype):
    from plugrad_numpy.unary import _tanh_vjp

    rng = numpy.random.default_rng(0)
    ans = numpy.tanh(rng.standard_normal((4, 3))).astype(dtype)
    g = rng.standard_normal((4, 3)).astype(dtype)
    before = ans.copy(), g.copy()
    for gg in (g, g[:1], numpy.float64(2.0)):  # the cotangent's own shape, and broadcasting ones
        got = _tanh_vjp(gg, ans, None)
        want = (1 - ans * ans) * gg
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
        assert got is not ans and got is not gg
    assert ans.tobytes() == before[0].tobytes() and g.tobytes() == before[1].tobytes()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_extremas_first_order_rule_gives_the_weights_bits(dtype):
    # maximum and its kin give g where an argument is the result, g / 2 at ties; at first
    # order without the array of weights, and with the same bits.
    from plugrad_numpy.binary import _balanced, _balanced_vjp, unbroadcast

    x = numpy.array([[-1.0, 0.0, 2.0, numpy.nan], [0.5, -0.0, 0.0, 3.0]], dtype)
    g = numpy.array([[1.5, -2.0, numpy.inf, 1.0], [-0.0, 4.0, -1.0, 2.0]], dtype)
    for other in (0.0, numpy.array([0.0, 0.0, 2.0, 1.0], dtype), numpy.float32(0.5)):
        for fun in (numpy.maximum, numpy.minimum, numpy.fmax, numpy.fmin):
            ans = fun(x, other)
            with numpy.errstate(invalid="ignore"):
                want = unbroadcast(_balanced(ans, x, other) * g, x)
                got = _balanced_vjp(g, ans, x, other)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (fun, other)


def _last_node_primitive(fun, x):
    from plugrad import reverse

    seen = []
    sweep = reverse.sweep

    def spy(tape, *args):
        seen.append(tape[-1][0])
        return sweep(tape, *args)

    reverse.sweep = spy
    try:
        vjp, _ = reverse.make_vjp(fun, x)
        vjp(numpy.ones(numpy.shape(x)) if numpy.ndim(x) else 1.0)
    finally:
        reverse.sweep = sweep
    return seen[0]


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_a_value_times_itself_is_one_rule_with_the_two_rules_bits(dtype):
    # x * x of one traced value is recorded as square(x), whose rule gives the sum of
    # multiply's two rules, bit for bit; so does every order of the derivative.
    x = numpy.linspace(-1.7, 2.3, 11).astype(dtype)
    c = numpy.linspace(0.3, 1.1, 11).astype(dtype)
    if dtype == "complex128":
        x = x + 0.5j * x[::-1]
    for product in (lambda x: x * x, lambda x: np.multiply(x, x)):
        assert _last_node_primitive(product, x) is np.square
        got = elementwise_grad(lambda x: np.real(c * product(x)))(x)
        t = c * x  # multiply's rules: c x for each argument, then their sum
        want = numpy.real(t + t) if dtype != "complex128" else t + t
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    d2 = elementwise_grad(elementwise_grad(lambda x: np.real(x * x)))(x.real.copy())
    assert numpy.array_equal(d2, numpy.full(x.shape, 2.0, x.real.dtype))
    assert grad(lambda s: s * s * s)(1.5) == 3 * 1.5**2


def test_two_values_times_each_other_keep_both_rules():
    x = numpy.array([1.0, 2.0])
    assert _last_node_primitive(lambda x: x * (x + 0.0), x) is not np.square
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(x * (x + 1.0)))(x), 2 * x + 1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_nan_extremum_sends_the_cotangent_to_the_nan_argument(dtype):
    # maximum and minimum propagate NaN: the NaN argument gets the cotangent (two NaNs split
    # it, as ties do), not a clean 0 for both that would hide the NaN; as max and min give.
    from plugrad import make_jvp

    nan = numpy.nan
    x = numpy.array([1.0, nan, 0.0], dtype)
    for fun, want in ((np.maximum, [1.0, 1.0, 0.0]), (np.minimum, [0.0, 1.0, 1.0])):
        g = grad(lambda x: np.sum(fun(x, 0.5)))(x)
        assert g.dtype == x.dtype
        numpy.testing.assert_array_equal(g, want)
    both = numpy.array([nan, 2.0, nan], dtype)
    g = grad(lambda x: np.sum(np.maximum(x, both)))(numpy.array([nan, nan, 1.0], dtype))
    numpy.testing.assert_array_equal(g, [0.5, 1.0, 0.0])
    column = numpy.array([[nan], [0.5]], dtype)  # broadcast: the NaN row takes all but a shared half
    numpy.testing.assert_array_equal(grad(lambda y: np.sum(np.maximum(x, y)))(column), [[2.5], [1.0]])
    _, tangent = make_jvp(lambda x: np.maximum(x, 0.5))(x)(numpy.array([2.0, 3.0, 4.0], dtype))
    numpy.testing.assert_array_equal(tangent, [2.0, 3.0, 0.0])
    second = elementwise_grad(elementwise_grad(lambda x: np.maximum(x, 0.5) * x))(x)
    numpy.testing.assert_array_equal(second, [2.0, 2.0, 0.0])


def test_a_nan_extremum_of_python_floats_comes_from_the_nan():
    from plugrad import make_jvp

    nan = numpy.nan
    assert grad(lambda s: np.maximum(s, 0.5))(nan) == 1.0
    assert grad(lambda s: np.minimum(0.5, s))(nan) == 1.0
    assert grad(lambda s: np.maximum(s, nan))(1.0) == 0.0
    assert grad(lambda s: np.maximum(s, s))(nan) == 1.0  # two halves
    assert make_jvp(lambda s: np.minimum(s, 2.0))(nan)(3.0)[1] == 3.0


def test_fmax_and_fmin_skip_nan_so_the_number_gets_the_cotangent():
    # Their result is the number; a NaN result (both NaN) is absent, as nanmax's all-NaN slice.
    nan = numpy.nan
    x = numpy.array([1.0, nan, 0.0])
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(np.fmax(x, 0.5)))(x), [1.0, 0.0, 0.0])
    g = grad(lambda y: np.sum(np.fmin(x, y)))(numpy.full(3, 0.5))
    numpy.testing.assert_array_equal(g, [1.0, 1.0, 0.0])
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(np.fmax(x, nan)))(x), [1.0, 0.0, 1.0])


def test_extrema_without_nan_keep_their_derivatives():
    from plugrad.test_util import check_grads

    x = numpy.array([0.3, -0.2, 0.9, 0.6])
    for fun in (np.maximum, np.minimum, np.fmax, np.fmin):
        check_grads(lambda x: fun(x, 0.5) * x, modes=["rev", "fwd"], order=2)(x)
        check_grads(lambda x: fun(x[:, None], x**2), modes=["rev", "fwd"], order=2)(x)
    ties = numpy.array([0.5, 1.0, 0.0])
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(np.maximum(x, 0.5)))(ties), [0.5, 1.0, 0.0])


class _Wrapped:
    """A container array-like no pack boxes, as xarray.DataArray is: it applies ufuncs and
    operators to the array it holds, which may be traced."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        inputs = tuple(i.data if isinstance(i, _Wrapped) else i for i in inputs)
        return _Wrapped(getattr(ufunc, method)(*inputs, **kwargs))

    def __mul__(self, other: Any) -> Any:
        return _Wrapped(self.data * (other.data if isinstance(other, _Wrapped) else other))

    __rmul__ = __mul__

    def __add__(self, other: Any) -> Any:
        return _Wrapped(self.data + (other.data if isinstance(other, _Wrapped) else other))

    __radd__ = __add__


def test_an_operator_with_an_array_like_no_pack_boxes_defers_to_it() -> None:
    # box * wrapped: the box's operator returns NotImplemented, and the wrapper's reflected
    # operator wraps the traced product (autograd 1.9 does the same for xarray.DataArray).
    base = numpy.array([1.0, 2.0, 3.0])
    f = lambda x: np.sum(np.sin(x * _Wrapped(base) + 1.0).data)
    assert grad(f)(0.5) == pytest.approx(numpy.sum(base * numpy.cos(0.5 * base + 1.0)))
    check_grads(f, modes=["fwd", "rev"], order=2)(0.5)
    assert isinstance(np.sin(0.5) * _Wrapped(base), _Wrapped)  # untraced, as before
