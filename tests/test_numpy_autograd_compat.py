"""NumPy-pack behaviours that code written for autograd relies on: np.r_ and np.c_ of
traced values, integer casts of traced arrays, std and var of lists of traced scalars,
std of a single number, linspace in its endpoints, make_diagonal, rollaxis,
real_if_close and row_stack."""

from __future__ import annotations

import warnings

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import NotDifferentiableError, Primitive, TraceError, grad, make_jvp, make_vjp
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

rng = numpy.random.default_rng(7)

NEW_PRIMITIVES = ["make_diagonal", "rollaxis", "real_if_close", "_linspace", "std", "nanstd"]


@pytest.mark.parametrize("name", NEW_PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = plugrad.default_registry().lookup(f"numpy.{name}")
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


def traced_value(fun, x):
    """``fun(x)`` computed while ``x`` is traced."""
    return make_vjp(fun)(x)[1]


# -- std and var -----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", [np.std, np.var])
@pytest.mark.parametrize("container", [list, tuple])
def test_moments_of_a_container_of_traced_scalars(reduction, container) -> None:
    # x and x + 2 lie symmetrically about their mean: moving x moves the mean alike.
    assert grad(lambda x: reduction(container([x, x + 2])))(0.0) == 0.0


def test_moments_of_a_list_have_the_right_gradient() -> None:
    # var(x, 2x + 2) = ((x + 2) / 2) ** 2 and std(x, 3x + 2) = |x + 1|.
    assert grad(lambda x: np.var([x, 2 * x + 2]))(1.0) == pytest.approx(1.5)
    assert grad(lambda x: np.std((x, 3 * x + 2)))(1.0) == pytest.approx(1.0)
    assert grad(lambda x: np.std([x, 3 * x + 2], ddof=1))(1.0) == pytest.approx(2**0.5)


@pytest.mark.parametrize(
    ("x", "kwargs"),
    [
        (3.5, {}),
        (numpy.array(-0.3), {}),
        (rng.standard_normal((1, 3)), {"axis": 0}),
        (rng.standard_normal((1, 3)), {"axis": 0, "keepdims": True}),
        (rng.standard_normal((2, 1)), {"axis": 1}),
    ],
)
def test_std_of_one_number_has_zero_gradient(x, kwargs) -> None:
    g = grad(lambda x: np.sum(np.std(x, **kwargs)))(x)
    numpy.testing.assert_array_equal(g, numpy.zeros_like(x))
    check_grads(lambda x: np.std(x, **kwargs))(x)


def test_std_of_one_number_among_others() -> None:
    # Row 0 reduces a single number; row 1 two.
    x = numpy.array([[1.0, numpy.nan], [2.0, 5.0]])
    g = grad(lambda x: np.sum(np.nanstd(x, axis=1)))(x)
    numpy.testing.assert_allclose(g, [[0.0, 0.0], [-0.5, 0.5]])
    y = rng.standard_normal((3, 1, 2))
    numpy.testing.assert_array_equal(grad(lambda y: np.sum(np.std(y, axis=1)))(y), numpy.zeros_like(y))


# -- np.r_ and np.c_ -----------------------------------------------------------------------

C = rng.standard_normal((3, 2))

INDEXINGS = {
    "r_ one": lambda m, x: m.r_[x],
    "r_ twice": lambda m, x: m.r_[x, x],
    "r_ constant": lambda m, x: m.r_[x, C],
    "r_ mixed": lambda m, x: m.r_[x, C, 2 * x],
    "r_ range": lambda m, x: m.r_[x.ravel(), C.ravel(), 1:10],
    "r_ linspace range": lambda m, x: m.r_[x[0], 0:1:4j],
    "r_ scalars": lambda m, x: m.r_[x[0, 0], 2.0, [5.0, 6.0], x[1]],
    "r_ axis directive": lambda m, x: m.r_["1", x, C],
    "r_ ndmin directive": lambda m, x: m.r_["0,2", x[0], [1.0, 2.0]],
    "r_ trans1d directive": lambda m, x: m.r_["1,2,0", x[:, 0], C[:, 1]],
    "r_ negative trans1d": lambda m, x: m.r_["0,3,-2", x],
    "r_ trans1d of a range": lambda m, x: m.r_["-1,3,1", x[0], 1:3],
    "c_": lambda m, x: m.c_[x, C, x],
    "c_ columns": lambda m, x: m.c_[x[:, 0], 1:4, x],
    "c_ scalars": lambda m, x: m.c_[x[0, 0], 2.0],
}


@pytest.mark.parametrize("name", INDEXINGS)
def test_concatenators_match_numpy(name: str) -> None:
    x = rng.standard_normal((3, 2))
    f = INDEXINGS[name]
    want = f(numpy, x)
    got = traced_value(lambda x: f(np, x), x)
    assert got.dtype == want.dtype
    numpy.testing.assert_array_equal(got, want)
    check_grads(lambda x: f(np, x))(x)


def test_concatenators_keep_weak_scalar_dtypes() -> None:
    x = numpy.ones(2, numpy.float32)
    assert traced_value(lambda x: np.r_[x, 1.5, 2], x).dtype == numpy.float32
    assert traced_value(lambda x: np.r_[x, numpy.ones(1)], x).dtype == numpy.float64


def test_concatenators_without_traced_items_are_numpys() -> None:
    numpy.testing.assert_array_equal(np.r_[1:4, [7, 8]], numpy.r_[1:4, [7, 8]])
    numpy.testing.assert_array_equal(np.c_[[1, 2], [3, 4]], numpy.c_[[1, 2], [3, 4]])
    assert np.r_[1:3].dtype == numpy.r_[1:3].dtype


def test_concatenator_errors() -> None:
    x = numpy.ones(2)
    with pytest.raises(TypeError, match=r"np\.r_\[a, b"):
        np.r_(x)
    with pytest.raises(NotDifferentiableError, match="matrix"):
        grad(lambda x: np.sum(np.r_["r", x, x]))(x)
    with pytest.raises(ValueError, match="first entry"):
        grad(lambda x: np.sum(np.r_[x, "0", x]))(x)
    with pytest.raises(ValueError, match="directive"):
        grad(lambda x: np.sum(np.r_["a,b", x]))(x)


# -- integer casts ---------------------------------------------------------------------


@pytest.mark.parametrize("cast", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_cast_of_a_traced_array_is_plain(cast) -> None:
    seen = []

    def f(x):
        seen.append(cast(x))
        return np.sum(x**2)

    x = numpy.array([0.5, 2.7, 1.2])
    numpy.testing.assert_allclose(grad(f)(x), 2 * x)
    assert type(seen[0]) is numpy.ndarray
    assert seen[0].dtype == numpy.dtype(cast)
    numpy.testing.assert_array_equal(seen[0], cast(x))


def test_integer_cast_used_as_an_index() -> None:
    # The last column holds row numbers (away from integers, where the cast jumps):
    # cast to int, they pick rows of the rest.
    W = numpy.c_[rng.standard_normal((4, 3)), [2.5, 0.5, 3.5, 2.5]]

    def f(W):
        rows = np.int64(W[:, -1])
        return np.sum(W[:, :-1][rows] ** 2)

    expected = numpy.zeros_like(W)
    for r in (2, 0, 3, 2):
        expected[r, :-1] += 2 * W[r, :-1]
    numpy.testing.assert_allclose(grad(f)(W), expected)
    check_grads(f)(W)


def test_float_cast_of_a_traced_array_still_refuses() -> None:
    with pytest.raises(TraceError):
        grad(lambda x: numpy.asarray(x, float).sum())(numpy.ones(2))


# -- linspace --------------------------------------------------------------------------


@pytest.mark.parametrize("num", [0, 1, 2, 5])
@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize(("start", "stop"), [(1.2, 3.4), (1.2, -3.4), (1.2, 1.2)])
def test_linspace_in_its_endpoints(num, endpoint, start, stop) -> None:
    def f(start, stop):
        return np.linspace(start, stop, num, endpoint)

    check_grads(f, argnum=(0, 1))(start, stop)
    numpy.testing.assert_array_equal(
        traced_value(lambda a: f(a, stop), start), numpy.linspace(start, stop, num, endpoint)
    )


def test_linspace_gradients() -> None:
    # value i is start + (stop - start) * i / 4: d sum / d start = sum(1 - i / 4) = 2.5
    assert grad(lambda a: np.sum(np.linspace(a, 3.0, 5)))(1.0) == pytest.approx(2.5)
    assert grad(lambda b: np.sum(np.linspace(1.0, b, 5)))(2.0) == pytest.approx(2.5)
    assert grad(lambda b: np.sum(np.linspace(1.0, b, 4, endpoint=False)))(2.0) == pytest.approx(1.5)
    assert grad(lambda b: np.sum(np.linspace(1.0, b, 1)))(2.0) == 0.0


def test_linspace_of_arrays_along_an_axis() -> None:
    start, stop = rng.standard_normal((2, 1)), rng.standard_normal(3)
    f = lambda a, b: np.linspace(a, b, 4, axis=-1)
    numpy.testing.assert_array_equal(
        traced_value(lambda a: f(a, stop), start), numpy.linspace(start, stop, 4, axis=-1)
    )
    check_grads(f, argnum=(0, 1))(start, stop)
    check_grads(lambda b: np.linspace([1.0, b[0]], b, 3, axis=1))(stop[:2])


def test_linspace_retstep() -> None:
    samples, step = traced_value(lambda a: plugrad.builtins.tuple(np.linspace(a, 3.0, 5, retstep=True)), 1.0)
    want_samples, want_step = numpy.linspace(1.0, 3.0, 5, retstep=True)
    numpy.testing.assert_array_equal(samples, want_samples)
    assert step == want_step
    assert grad(lambda a: np.linspace(a, 3.0, 5, retstep=True)[1])(1.0) == pytest.approx(-0.25)


# -- make_diagonal ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("offset", [0, 1, -2])
@pytest.mark.parametrize(("axis1", "axis2"), [(0, 1), (-1, -2), (0, -1), (-1, 0)])
def test_make_diagonal_inverts_diagonal(shape, offset, axis1, axis2) -> None:
    D = rng.standard_normal(shape)
    A = np.make_diagonal(D, offset, axis1, axis2)
    assert A.ndim == D.ndim + 1
    numpy.testing.assert_array_equal(numpy.diagonal(A, offset, axis1, axis2), D)
    assert numpy.count_nonzero(A) == D.size
    check_grads(lambda D: np.make_diagonal(D, offset, axis1, axis2))(D)


def test_make_diagonal_autograd_call() -> None:
    D = rng.standard_normal((3, 4))
    A = np.make_diagonal(D, axis1=-1, axis2=-2)
    for i in range(3):
        numpy.testing.assert_array_equal(A[i], numpy.diag(D[i]))
    g = grad(lambda D: np.sum(np.make_diagonal(D, axis1=-1, axis2=-2) * A))(D)
    numpy.testing.assert_allclose(g, D)


# -- rollaxis ----------------------------------------------------------------------------


@pytest.mark.parametrize("axis", range(-3, 3))
@pytest.mark.parametrize("start", range(-3, 4))
def test_rollaxis(axis, start) -> None:
    x = rng.standard_normal((2, 3, 4))
    numpy.testing.assert_array_equal(
        traced_value(lambda x: np.rollaxis(x, axis, start), x), numpy.rollaxis(x, axis, start)
    )
    check_grads(lambda x: np.rollaxis(x, axis, start))(x)


# -- real_if_close -------------------------------------------------------------------------


def test_real_if_close_identity_branch() -> None:
    z = numpy.array([0.5 + 0.3j, -1.0 + 0.0j])
    check_grads(np.real_if_close)(z)
    check_grads(np.real_if_close)(numpy.array([0.5, -1.0]))


def test_real_if_close_real_branch() -> None:
    # x * (1 + 0j) has zero imaginary parts, so real_if_close returns the real parts.
    x = numpy.array([0.5, -1.0, 2.0])

    def f(x):
        return np.real_if_close(x * (1 + 0j)) ** 2

    assert traced_value(f, x).dtype == numpy.float64
    numpy.testing.assert_allclose(grad(lambda x: np.sum(f(x)))(x), 2 * x)
    _, tangent = make_jvp(f)(x)(numpy.ones(3))
    assert tangent.dtype == numpy.float64
    numpy.testing.assert_allclose(tangent, 2 * x)
    # Reverse mode from a complex input: the cotangent of a real output becomes complex.
    z = x + 0j
    g = grad(lambda z: np.sum(np.real_if_close(z) * x))(z)
    assert g.dtype == numpy.complex128
    numpy.testing.assert_allclose(g, x)


# -- row_stack -------------------------------------------------------------------------------


@pytest.mark.parametrize("shapes", [[(2,), (2,)], [(2, 3)], [(2, 4), (1, 4)]])
def test_row_stack(shapes) -> None:
    """NumPy's alias of vstack, which NumPy 2.5 removed and plugrad keeps."""
    xs = tuple(rng.standard_normal(s) for s in shapes)
    want = numpy.vstack(xs)
    with pytest.warns(DeprecationWarning, match="row_stack"):
        got = traced_value(lambda x: np.row_stack((x,) + xs[1:]), xs[0])
    numpy.testing.assert_array_equal(got, want)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check_grads(lambda x: np.row_stack((x, 2 * x) + xs[1:]))(xs[0])


# -- full and full_like: differentiable in the fill value ---------------------------------------


def test_full_and_full_like_are_differentiable_in_the_fill_value() -> None:
    weights = numpy.arange(6.0).reshape(2, 3)
    assert grad(lambda v: np.sum(np.full((2, 3), v) * weights))(2.0) == pytest.approx(15.0)
    numpy.testing.assert_allclose(grad(lambda v: np.sum(np.full((2, 3), v) * weights))(numpy.ones(3)), [3.0, 5.0, 7.0])
    assert grad(lambda v: np.sum(np.full_like(weights, v) * weights))(1.0) == pytest.approx(15.0)
    check_grads(lambda v: np.full_like(numpy.zeros((2, 2)), v, shape=(3, 2, 2)) ** 2)(numpy.array([[0.5], [1.5]]))
    # A rule written with np.full, differentiated twice (autograd's define_gradient example).
    check_grads(lambda x: np.full(x.shape, np.sum(x) ** 2) * x)(numpy.array([0.3, -1.2]))
    assert np.full_like(numpy.zeros(2, int), 2.5).dtype == numpy.int64


def test_full_like_of_a_traced_array_and_integer_fills_have_zero_derivatives() -> None:
    x = numpy.array([1.3, 2.7])
    # a traced only for its shape (the advice for x.fill(value)): no derivative through it
    numpy.testing.assert_allclose(grad(lambda x: np.sum(np.full_like(x, 0.5) * x))(x), [0.5, 0.5])
    assert make_jvp(lambda x: np.sum(np.full_like(x, 0.5) * x))(x)(numpy.ones(2))[1] == pytest.approx(1.0)
    # an integer array filled with a traced value is a step function of it
    step = lambda v: np.sum(np.full_like(numpy.zeros(3, int), v) * 1.0)  # noqa: E731
    assert grad(step)(1.5) == 0.0 and make_jvp(step)(1.5)(1.0)[1] == 0.0
    assert grad(lambda v: np.sum(np.full(3, v, int) * 1.0))(1.5) == 0.0
    assert grad(lambda v: np.sum(np.full((2, 3), fill_value=v)))(1.5) == 6.0  # by keyword


@pytest.mark.parametrize("cast", [lambda x: x.astype(int), lambda x: np.asarray(x, dtype=int), lambda x: x.astype(bool), lambda x: numpy.asarray(x, dtype=int)])
def test_casts_to_integers_or_booleans_have_zero_derivatives(cast) -> None:  # type: ignore[no-untyped-def]
    x = numpy.array([1.3, 2.7])
    f = lambda x: np.sum(cast(x) * 1.0 + x)  # noqa: E731
    numpy.testing.assert_array_equal(grad(f)(x), [1.0, 1.0])
    assert make_jvp(f)(x)(numpy.ones(2))[1] == 2.0


def test_second_derivatives_of_reductions_of_lists_of_traced_numbers() -> None:
    x = numpy.array([1.0, 2.0, 4.0])
    for reduce in (np.std, np.var, np.sum, np.mean):
        check_grads(lambda a: reduce([a[0], a[1] * a[2], a[2]]), order=2)(x)


# A list or tuple of traced values given to a NumPy function is the array NumPy makes of
# it, so the rules see an array (square's rule is 2 * x: of a list, a repetition).
LISTS = {
    "square of one": (lambda x: np.sum(np.square([x])), 0.5, 1.0),
    "square of two": (lambda x: np.sum(np.square([x, 1.0])), 0.5, 1.0),
    "square of a tuple": (lambda x: np.sum(np.square((x,))), 0.5, 1.0),
    "square, nested": (lambda x: np.sum(np.square([[x], [2.0]])), 0.5, 1.0),
    "clip": (lambda x: np.sum(np.clip([x, 2.0], 0.0, 1.0)), 0.5, 1.0),
    "mod, second": (lambda x: np.sum(np.mod(1.7, [x, 1.0])), 0.5, -3.0),
    "log": (lambda x: np.sum(np.log([x, 1.0])), 0.5, 2.0),
    "erf": (lambda x: np.sum(plugrad.scipy.special.erf([x, 1.0])), 0.5, 2 / numpy.sqrt(numpy.pi) * numpy.exp(-0.25)),
    "atleast_1d": (lambda x: np.sum(np.atleast_1d([x, 1.0])), 0.5, 1.0),
    "weights as a keyword": (lambda x: np.average(numpy.array([1.0, 2.0]), weights=[x, 1.0]), 0.5, -1 / 1.5**2),
}


@pytest.mark.parametrize("name", LISTS)
def test_a_list_of_traced_values_is_an_array(name: str) -> None:
    import plugrad.scipy.special  # noqa: F401

    fun, x, expected = LISTS[name]
    assert grad(fun)(x) == pytest.approx(expected)
    assert make_jvp(fun)(x)(1.0)[1] == pytest.approx(expected)


def test_a_differentiated_list_is_an_array_to_numpy_functions() -> None:
    g = grad(lambda x: np.sum(np.square(x)))([0.7])
    assert type(g) is list and g == pytest.approx([1.4])
    assert grad(lambda x: np.sum(np.log(x)))((0.5, 0.25)) == pytest.approx((2.0, 4.0))
    assert grad(lambda x: np.sum(np.power(x, 2.0)))([0.3, 0.9]) == pytest.approx([0.6, 1.8])
    value, tangent = make_jvp(lambda x: np.square(x))([0.3, 0.9])([1.0, 1.0])
    numpy.testing.assert_allclose(tangent, [0.6, 1.8])
    rosenbrock = lambda p: np.sum(np.square([p[0] - 1, 10 * (p[1] - p[0] ** 2)]))  # noqa: E731
    numpy.testing.assert_allclose(grad(rosenbrock)(numpy.array([0.5, 0.5])), [-51.0, 50.0])


def test_functions_that_take_sequences_still_take_them() -> None:
    assert grad(lambda x: np.sum(np.concatenate([np.array([x]), numpy.ones(2)]) ** 2))(0.5) == 1.0
    assert grad(lambda x: np.sum(np.stack([x * numpy.ones(2), numpy.ones(2)]) ** 2))(0.5) == 2.0


def test_a_named_tuple_or_a_traced_tuple_is_an_array_too() -> None:
    import collections

    point = collections.namedtuple("point", "x y")
    assert grad(lambda x: np.sum(np.exp(point(x, 2 * x))))(1.0) == pytest.approx(numpy.exp(1) + 2 * numpy.exp(2))
    numpy.testing.assert_allclose(
        grad(lambda a: np.sum(np.square(np.linalg.slogdet(a))))(2 * numpy.eye(2)), 2 * numpy.log(4) / 2 * numpy.eye(2)
    )


def test_keyword_arguments_are_checked_against_the_rule_of_the_mode_in_use() -> None:
    x, t = numpy.array([1.0, 2.0]), numpy.ones(2)
    assert make_jvp(lambda x: np.sum(np.dot(x, x, out=None)))(x)(t)[1] == pytest.approx(6.0)
    assert grad(lambda x: np.sum(np.dot(x, x, out=None)))(x).tolist() == [2.0, 4.0]


def test_diff_differentiates_its_edges() -> None:
    # autograd differentiates prepend= and append=; plugrad refused them as constants only.
    b = numpy.array([1.0, 4.0, 9.0])
    assert grad(lambda a: np.sum(np.diff(b, prepend=a[:1]) ** 2))(numpy.array([0.5, 2.0])).tolist() == [-1.0, 0.0]
    f = lambda a: np.sum(np.diff(a, prepend=a[:1], append=3 * a[-1:]) ** 2)  # noqa: E731
    x = numpy.array([0.5, 2.0])
    numpy.testing.assert_allclose(grad(f)(x), [-3.0, 19.0])
    assert grad(lambda p: np.sum(np.diff(x, 0, prepend=p)))(1.0) == 0.0  # n=0 ignores the edges, as NumPy
