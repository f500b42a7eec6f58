"""Reductions, statistics and non-differentiable functions of the numpy pack: every
primitive through the gradient checker, then the behaviour the checker cannot see
(zeros in products, ties in extrema, NaNs ignored, plain values from functions
with no derivative) and gradients end to end through ``plugrad.numpy``."""

from __future__ import annotations

from typing import Any

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import Box, NonDifferentiable, Primitive, TraceError, elementwise_grad, grad, hessian, jacobian
from plugrad.forward import make_jvp
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads
from plugrad_numpy import entries

PRIMITIVES = [
    # reductions.py
    "sum", "mean", "prod", "max", "min", "amax", "amin", "ptp", "var", "std",
    "cumsum", "cumprod", "cumulative_sum", "cumulative_prod",
    "nansum", "nanmean", "nanvar", "nanstd", "nanprod", "nanmax", "nanmin", "nancumsum", "nancumprod",
    "average", "median", "nanmedian", "quantile", "percentile", "nanquantile", "nanpercentile",
    "_shift", "_linrec", "_nan_to_zero",
    # statistics.py
    "diff", "ediff1d", "trapezoid", "interp", "polyval", "convolve", "correlate", "cov", "corrcoef",
    "gradient", "bincount",
]  # fmt: skip


def lookup(name: str) -> Any:
    return plugrad.default_registry().lookup(f"numpy.{name}")


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


def central_gradient(f: Any, x: numpy.ndarray, eps: float = 1e-6) -> numpy.ndarray:
    out = numpy.zeros_like(x)
    for i in numpy.ndindex(*x.shape):
        e = numpy.zeros_like(x)
        e[i] = eps
        out[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


# -- products with zeros ---------------------------------------------------------------


@pytest.mark.parametrize(
    "x",
    [
        numpy.array([2.0, 0.0, -1.5, 3.0]),
        numpy.array([2.0, 0.0, -1.5, 0.0]),
        numpy.array([0.0, 0.0, 0.0]),
        numpy.array([1.5, -0.5, 2.0]),
    ],
    ids=["one zero", "two zeros", "all zeros", "no zero"],
)
def test_prod_gradient_with_zeros_matches_finite_differences(x: numpy.ndarray) -> None:
    g = grad(np.prod)(x)
    numpy.testing.assert_allclose(g, central_gradient(numpy.prod, x), atol=1e-9)
    assert numpy.all(numpy.isfinite(g))
    _, t = make_jvp(np.prod, x)(numpy.ones_like(x))
    numpy.testing.assert_allclose(t, g.sum(), atol=1e-12)


def test_prod_hessian_at_one_zero() -> None:
    x = numpy.array([2.0, 0.0, -1.5, 3.0])
    others = numpy.array(
        [[0.0 if i == j else numpy.prod(numpy.delete(x, [i, j])) for j in range(4)] for i in range(4)]
    )
    numpy.testing.assert_allclose(hessian(np.prod)(x), others, atol=1e-12)


def test_prod_axis_with_zeros() -> None:
    x = numpy.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [1.5, -2.0, 0.5]])
    g = grad(lambda x: np.sum(np.prod(x, axis=1) * numpy.array([1.0, 2.0, 3.0])))(x)
    reference = central_gradient(lambda x: numpy.prod(x, axis=1) @ numpy.array([1.0, 2.0, 3.0]), x)
    numpy.testing.assert_allclose(g, reference, atol=1e-9)


@pytest.mark.parametrize("name", ["cumprod", "cumulative_prod"])
def test_cumprod_jacobian_with_zeros(name: str) -> None:
    x = numpy.array([1.5, 0.0, -2.0, 0.0, 0.5])
    f = getattr(numpy, name)
    reference = numpy.stack([central_gradient(lambda x, k=k: f(x)[k], x) for k in range(5)])
    numpy.testing.assert_allclose(jacobian(getattr(np, name))(x), reference, atol=1e-9)


# -- ties in extrema -------------------------------------------------------------------


def test_max_ties_split_the_cotangent_evenly() -> None:
    x = numpy.array([1.0, 3.0, 3.0, 2.0, 3.0])
    numpy.testing.assert_allclose(grad(np.max)(x), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    numpy.testing.assert_allclose(grad(np.min)(-x), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    _, t = make_jvp(np.max, x)(numpy.array([0.0, 3.0, 6.0, 9.0, 0.0]))
    assert t == pytest.approx(3.0)  # the average of the tied entries' tangents


def test_max_ties_along_an_axis() -> None:
    x = numpy.array([[2.0, 2.0], [1.0, 5.0]])
    g = grad(lambda x: np.sum(np.amax(x, axis=1) * numpy.array([1.0, 10.0])))(x)
    numpy.testing.assert_allclose(g, [[0.5, 0.5], [0.0, 10.0]])
    numpy.testing.assert_allclose(grad(np.ptp)(numpy.array([1.0, 1.0, 4.0])), [-0.5, -0.5, 1.0])


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_an_extreme_that_is_nan_sends_the_cotangent_to_the_nans(name: str) -> None:
    # NumPy's max is the NaN: the NaN entries share the cotangent as tied entries do, not 0 for all.
    f = getattr(np, name)
    numpy.testing.assert_array_equal(grad(f)(numpy.array([1.0, numpy.nan])), [0.0, 1.0])
    numpy.testing.assert_array_equal(grad(f)(numpy.array([numpy.nan, 1.0, numpy.nan])), [0.5, 0.0, 0.5])
    x = numpy.array([[1.0, numpy.nan], [2.0, 0.0]])
    picked = [[0.0, 1.0], [1.0, 0.0]] if name.endswith("max") else [[1.0, 1.0], [0.0, 0.0]]
    numpy.testing.assert_array_equal(elementwise_grad(lambda x: f(x, axis=0))(x), picked)
    assert make_jvp(f, numpy.array([1.0, numpy.nan]))(numpy.array([2.0, 3.0]))[1] == 3.0


def test_nan_extremes_of_ranges_and_nan_functions() -> None:
    # A range that is NaN is NaN - NaN: its NaN entries get NaN, not shares that cancel to 0.
    numpy.testing.assert_array_equal(grad(np.ptp)(numpy.array([1.0, numpy.nan, 3.0])), [0.0, numpy.nan, 0.0])
    # nanmax skips NaNs; an all-NaN slice (NumPy warns) is treated as absent, as nanmean does.
    numpy.testing.assert_array_equal(grad(np.nanmax)(numpy.array([1.0, numpy.nan, 3.0])), [0.0, 0.0, 1.0])
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        numpy.testing.assert_array_equal(grad(np.nanmax)(numpy.array([numpy.nan, numpy.nan])), [0.0, 0.0])


# -- NaNs ignored ----------------------------------------------------------------------

X_NAN = numpy.array([0.3, numpy.nan, -1.2, 2.0, numpy.nan, 0.7])
VALID = ~numpy.isnan(X_NAN)


@pytest.mark.parametrize(
    ("nan_name", "plain"),
    [
        ("nansum", np.sum),
        ("nanmean", np.mean),
        ("nanvar", np.var),
        ("nanstd", np.std),
        ("nanprod", np.prod),
        ("nanmax", np.max),
        ("nanmin", np.min),
        ("nanmedian", np.median),
        ("nanquantile", lambda x: np.quantile(x, 0.3)),
        ("nanpercentile", lambda x: np.percentile(x, 30.0)),
        ("nancumsum", lambda x: np.sum(np.cumsum(x) ** 2)),
        ("nancumprod", lambda x: np.sum(np.cumprod(x))),
    ],
)
def test_nan_functions_ignore_nans(nan_name: str, plain: Any) -> None:
    def f(x: Any) -> Any:
        if nan_name in ("nanquantile", "nanpercentile"):
            return getattr(np, nan_name)(x, 0.3 if nan_name == "nanquantile" else 30.0)
        if nan_name == "nancumsum":
            return np.sum(np.nancumsum(x)[VALID] ** 2)
        if nan_name == "nancumprod":
            return np.sum(np.nancumprod(x)[VALID])
        return getattr(np, nan_name)(x)

    g = grad(f)(X_NAN)
    assert numpy.all(g[~VALID] == 0)
    numpy.testing.assert_allclose(g[VALID], grad(plain)(X_NAN[VALID]), rtol=1e-12, atol=1e-12)


# -- functions with no derivative ------------------------------------------------------

X = numpy.array([0.3, -1.2, 2.5, 0.7])

# How to call each with a traced 1-D array x (a few need a matrix or a second argument).
CALLS = {
    "isclose": lambda f, x: f(x, x + 1e-12),
    "allclose": lambda f, x: f(x, x),
    "array_equal": lambda f, x: f(x, x),
    "array_equiv": lambda f, x: f(x, x[:1]),
    "heaviside": lambda f, x: f(x, 0.5),
    "round": lambda f, x: f(x, 1),
    "around": lambda f, x: f(x, 1),
    "digitize": lambda f, x: f(x, numpy.array([-1.0, 0.0, 1.0])),
    "result_type": lambda f, x: f(x, 1.0),
    "can_cast": lambda f, x: f(x, numpy.float32),
    "full_like": lambda f, x: f(x, 2.0),
    "histogram2d": lambda f, x: f(x, x * 2, bins=2),
    "histogramdd": lambda f, x: f(np.reshape(x, (2, 2)), bins=2),
    "tril_indices_from": lambda f, x: f(np.reshape(x, (2, 2))),
    "triu_indices_from": lambda f, x: f(np.reshape(x, (2, 2))),
    "diag_indices_from": lambda f, x: f(np.reshape(x, (2, 2))),
    "shares_memory": lambda f, x: f(x, x),
    "may_share_memory": lambda f, x: f(x, x),
}
PAIRS = ["greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "logical_and", "logical_or",
         "logical_xor", "isin", "intersect1d", "union1d", "setdiff1d", "setxor1d"]  # fmt: skip
CALLS.update({name: lambda f, x: f(x, x[::-1] * 0.5) for name in PAIRS})

NONDIFF = sorted(e.name.removeprefix("numpy.") for e in entries(("nondiff",)))


def traced(value: Any) -> bool:
    if isinstance(value, Box):
        return True
    if isinstance(value, (tuple, list)):
        return any(traced(v) for v in value)
    return False


def same(a: Any, b: Any, name: str) -> None:
    if isinstance(a, tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            same(u, v, name)
    elif name == "empty_like":
        assert a.shape == b.shape and a.dtype == b.dtype
    else:
        numpy.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NONDIFF)
@pytest.mark.filterwarnings("ignore:numpy.fix is deprecated:DeprecationWarning")  # NumPy 2.5's, not plugrad's
def test_nondifferentiable_returns_plain_values_inside_grad(name: str) -> None:
    entry = lookup(name)
    assert isinstance(entry, NonDifferentiable)
    call = CALLS.get(name, lambda f, x: f(x))
    seen = []

    def f(x: Any) -> Any:
        seen.append(call(entry, x))
        return np.sum(x * x)

    numpy.testing.assert_allclose(grad(f)(X), 2 * X)
    assert not traced(seen[0]), f"numpy.{name} returned a traced value"
    same(seen[0], call(getattr(numpy, name), X), name)


def test_nondifferentiable_names_are_numpys_and_not_defined_twice() -> None:
    assert len(NONDIFF) > 50
    for name in NONDIFF:
        assert callable(getattr(numpy, name))


# -- end to end ------------------------------------------------------------------------


def test_indexing_by_argmax_and_masks_by_comparisons() -> None:
    x = numpy.array([0.5, 2.0, -1.0])
    numpy.testing.assert_allclose(grad(lambda x: x[np.argmax(x)] ** 2)(x), [0.0, 4.0, 0.0])
    numpy.testing.assert_allclose(grad(lambda x: np.sum(x * np.greater(x, 0)))(x), [1.0, 1.0, 0.0])
    numpy.testing.assert_allclose(grad(lambda x: np.sum(x * np.floor(x)))(x), [0.0, 2.0, -1.0])


def test_methods_of_traced_arrays_reach_the_primitives() -> None:
    x = numpy.array([[0.5, 2.0, -1.0], [1.5, 0.2, 0.3]])
    numpy.testing.assert_allclose(grad(lambda x: x.prod())(x), x.prod() / x)
    numpy.testing.assert_allclose(grad(lambda x: x.max(axis=1).sum())(x), [[0, 1, 0], [1, 0, 0]])
    numpy.testing.assert_allclose(grad(lambda x: x.cumsum().sum())(x), [[6, 5, 4], [3, 2, 1]])


def test_statistics_compose() -> None:
    rng = numpy.random.default_rng(1)
    x, w = rng.standard_normal((3, 6)), rng.uniform(0.5, 1.5, 6)

    def summary(x: Any, w: Any) -> Any:
        spread = np.std(x, axis=1, ddof=1) + np.var(np.cumsum(x, axis=0), axis=1)
        middle = np.median(x, axis=1) + np.quantile(x, 0.3, axis=1) + np.average(x, 1, w)
        return np.sum(np.cov(x) * np.corrcoef(x)) + np.sum(spread * middle) + np.max(x)

    check_grads(summary, argnum=(0, 1), modes=("fwd", "rev"), order=2)(x, w)


def test_signals_compose() -> None:
    rng = numpy.random.default_rng(2)
    y, k = rng.standard_normal(7), rng.standard_normal(3)
    xp = numpy.linspace(-1.0, 1.0, 7)

    def energy(y: Any, k: Any) -> Any:
        smooth = np.convolve(y, k, "same") + np.correlate(y, k, "same")
        slope = np.gradient(smooth, xp) + np.interp(numpy.array([-0.5, 0.1, 0.8]), xp, y).sum()
        return np.trapezoid(slope**2, xp) + np.sum(np.diff(y, 2) ** 2) + np.polyval(k, y[0])

    check_grads(energy, argnum=(0, 1), modes=("fwd", "rev"), order=2)(y, k)


def test_bincount_weights_are_differentiable() -> None:
    index = numpy.array([0, 2, 2, 3])
    g = grad(lambda w: np.sum(np.bincount(index, w, minlength=5) * numpy.arange(5.0)))(numpy.ones(4))
    numpy.testing.assert_allclose(g, [0.0, 2.0, 2.0, 3.0])


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "nearest", "midpoint"])
@pytest.mark.parametrize("q", [0.0, 0.25, 0.35, 0.5, 1.0])
def test_quantile_gradient_for_each_method(method: str, q: float) -> None:
    x = numpy.array([[0.3, -1.2, 2.5, 0.7, 1.1], [0.0, 0.4, -0.6, 0.9, 2.0]])
    weights = numpy.array([1.0, 3.0])
    g = grad(lambda x: np.sum(np.quantile(x, q, axis=1, method=method) * weights))(x)
    reference = central_gradient(lambda x: numpy.quantile(x, q, axis=1, method=method) @ weights, x)
    numpy.testing.assert_allclose(g, reference, atol=1e-8)


@pytest.mark.parametrize("shape", [(32, 10), (1001,), (7, 3, 5), (3,), ()])
@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128", "int64"])
def test_sum_and_mean_of_plain_arrays_are_numpys_bit_for_bit(shape, dtype):
    # plugrad.numpy.sum and mean call the reduction directly on a plain array.
    rng = numpy.random.default_rng(0)
    x = (rng.standard_normal(shape) * 100).astype(dtype)
    for a in (x, x.T):
        for ours, theirs in ((np.sum, numpy.sum), (np.mean, numpy.mean)):
            got, want = ours(a), theirs(a)
            assert type(got) is type(want) and got.dtype == want.dtype
            assert got == want or (numpy.isnan(got) and numpy.isnan(want))


@pytest.mark.parametrize("shape", [(32, 10), (5,), (1,), (200, 100)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradient_of_a_mean_is_one_over_its_size_in_the_arguments_dtype(shape, dtype):
    # expand_to fills a small float64 cotangent, and broadcasts a large one (200 x 100)
    # or one of another dtype: all must agree.
    x = numpy.random.default_rng(1).standard_normal(shape).astype(dtype)
    g = grad(np.mean)(x)
    assert type(g) is numpy.ndarray and g.dtype == x.dtype and g.shape == x.shape
    numpy.testing.assert_array_equal(g, numpy.full(shape, 1 / x.size, dtype))
    h = elementwise_grad(lambda x: grad(np.mean)(x) * x)(x)  # the rule traced, one level up
    numpy.testing.assert_allclose(h, numpy.full(shape, 1 / x.size), rtol=1e-6)


def test_sum_and_mean_with_where_differentiate_the_selected_elements_only() -> None:
    x = numpy.arange(1.0, 9.0).reshape(2, 4)
    mask = numpy.array([[True, False, True, False], [True, True, False, False]])
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(x, where=mask))(x), mask)
    numpy.testing.assert_array_equal(grad(lambda x: x.sum(where=mask))(x), mask)
    numpy.testing.assert_allclose(grad(lambda x: np.sum(np.mean(x, axis=1, where=mask)))(x), mask / 2)
    numpy.testing.assert_allclose(grad(lambda x: x.mean(where=mask))(x), mask / 4)
    g32 = grad(lambda x: np.mean(x, where=mask))(x.astype(numpy.float32))
    assert g32.dtype == numpy.float32
    check_grads(lambda x: np.mean(x**2, axis=1, where=mask), modes=("fwd", "rev"), order=2)(x)
    empty = numpy.array([[True, False, True, False], [False, False, False, False]])  # a row with none selected
    with numpy.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty slice"):  # NumPy's
        g = grad(lambda x: np.mean(x, axis=1, where=empty)[0])(x)
    numpy.testing.assert_array_equal(g, empty / 2)  # its mean is nan whatever x holds: derivative 0, not nan
    with pytest.raises(TraceError, match=r"numpy.sum\(\.\.\., out=\.\.\.\)"):
        grad(lambda x: x.sum(out=numpy.zeros(())))(x)


MASK = numpy.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
# Each reduction with where=, and the same reduction written without it.
WHERE = {
    "prod": (lambda x: np.prod(x, axis=1, where=MASK), lambda x: np.prod(np.where(MASK, x, 1.0), axis=1)),
    "nanprod": (lambda x: np.nanprod(x, where=MASK), lambda x: np.nanprod(np.where(MASK, x, 1.0))),
    "max": (
        lambda x: np.max(x, axis=1, where=MASK, initial=-numpy.inf),
        lambda x: np.max(np.where(MASK, x, -numpy.inf), axis=1),
    ),
    "min": (
        lambda x: np.min(x, axis=0, where=MASK, initial=9.0),
        lambda x: np.min(np.where(MASK, x, 9.0), axis=0),
    ),
    "nanmax": (lambda x: np.nanmax(x, where=MASK, initial=0.0), lambda x: np.nanmax(np.where(MASK, x, 0.0))),
    "nansum": (lambda x: np.nansum(x, axis=1, where=MASK), lambda x: np.nansum(np.where(MASK, x, 0.0), axis=1)),
    "nanmean": (
        lambda x: np.nanmean(x, axis=1, where=MASK),
        lambda x: np.nanmean(np.where(MASK, x, numpy.nan), axis=1),
    ),
    "var": (lambda x: np.var(x, axis=1, where=MASK), lambda x: np.nanvar(np.where(MASK, x, numpy.nan), axis=1)),
    "std": (lambda x: np.std(x, where=MASK), lambda x: np.std(x[MASK])),
    "nanvar": (
        lambda x: np.nanvar(x, where=MASK, ddof=1),
        lambda x: np.nanvar(np.where(MASK, x, numpy.nan), ddof=1),
    ),
    "nanstd": (
        lambda x: np.nanstd(x, axis=0, where=MASK),
        lambda x: np.nanstd(np.where(MASK, x, numpy.nan), axis=0),
    ),
}


def _weighted(f: Any) -> Any:
    """A scalar loss of ``f``'s outputs, each weighted differently."""

    def loss(x: Any) -> Any:
        y = f(x)
        return np.sum(y * numpy.arange(1.0, 1.0 + numpy.size(y)).reshape(numpy.shape(y)))

    return loss


@pytest.mark.parametrize("name", WHERE)
def test_reductions_differentiate_where_as_their_masked_rewrites(name: str) -> None:
    with_where, rewritten = WHERE[name]
    x = numpy.random.default_rng(0).uniform(0.5, 1.5, (3, 4))
    if name.startswith("nan"):
        x[0, 0] = numpy.nan  # selected: the nan* versions skip it
    g = grad(_weighted(with_where))(x)
    numpy.testing.assert_allclose(g, grad(_weighted(rewritten))(x), atol=1e-12)
    # the entries left out do not matter, even inf or NaN
    numpy.testing.assert_allclose(grad(_weighted(with_where))(numpy.where(MASK, x, numpy.inf)), g, atol=1e-12)
    check_grads(with_where, modes=("fwd", "rev"), order=2)(numpy.where(numpy.isnan(x), 0.7, x))


def test_std_and_var_of_a_slice_where_leaves_empty_have_derivative_zero() -> None:
    empty = numpy.array([[True, False, True], [False, False, False]])
    x = numpy.array([[1.0, 2.0, 4.0], [3.0, 5.0, 6.0]])
    for f in (np.std, np.var):
        with numpy.errstate(invalid="ignore", divide="ignore"), pytest.warns(RuntimeWarning):  # NumPy's
            g = elementwise_grad(lambda x: f(x, axis=1, where=empty))(x)
        numpy.testing.assert_array_equal(g[1], [0.0, 0.0, 0.0])  # its value is nan whatever x holds
        assert numpy.isfinite(g).all()


LIST_CONSTANTS = {
    "interp": (lambda x, c: np.interp(x, c, [1.0, 3.0, 2.0]), [0.0, 1.0, 2.0]),
    "polyval": (lambda x, c: np.polyval(c, x), [1.0, -2.0, 0.5]),
    "trapezoid": (lambda x, c: np.trapezoid(c, x), [1.0, 3.0, 2.0]),
    "cov": (lambda x, c: np.sum(np.cov(x, c)), [0.7, -0.2, 0.4]),
    "corrcoef": (lambda x, c: np.sum(np.corrcoef(x, c)), [0.7, -0.2, 0.4]),
    "diff": (lambda x, c: np.sum(np.diff(x, prepend=c) ** 2), [0.1]),
    "power": (lambda x, c: np.sum(np.power(x, c)), [1.0, 2.0, 3.0]),
    "float_power": (lambda x, c: np.sum(np.float_power(x, c)), [1.0, 2.0, 3.0]),
    "arctan2": (lambda x, c: np.sum(np.arctan2(c, x)), [1.0, 2.0, 3.0]),
}


@pytest.mark.parametrize("name", LIST_CONSTANTS)
def test_constants_written_as_lists_differentiate_as_arrays(name: str) -> None:
    f, constant = LIST_CONSTANTS[name]
    x = numpy.array([0.3, 0.9, 1.6])
    as_list = lambda x: np.sum(f(x, constant))  # noqa: E731
    as_array = lambda x: np.sum(f(x, numpy.array(constant)))  # noqa: E731
    numpy.testing.assert_allclose(grad(as_list)(x), grad(as_array)(x))
    jvp = plugrad.make_jvp
    numpy.testing.assert_allclose(jvp(as_list)(x)(numpy.ones(3))[1], jvp(as_array)(x)(numpy.ones(3))[1])


@pytest.mark.parametrize(
    "fun",
    [
        lambda x: np.sum(np.prod(x, axis=0)),
        lambda x: np.prod(x),
        lambda x: np.sum(np.cumprod(x)),
        lambda x: np.sum(np.cumprod(x, axis=0)),
        lambda x: np.sum(np.nancumprod(x, axis=0)),
        lambda x: np.sum(np.median(x, axis=1)),
        lambda x: np.sum(np.nanmedian(x, axis=1)),
    ],
)
def test_reductions_of_empty_arrays_differentiate_to_empty(fun) -> None:  # type: ignore[no-untyped-def]
    x = numpy.zeros((0, 3))
    assert grad(fun)(x).shape == (0, 3)
    assert plugrad.make_jvp(fun)(x)(x)[1] == 0.0


def test_fftn_over_no_axes_is_the_identity() -> None:
    z = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    numpy.testing.assert_array_equal(np.fft.fftn(z, axes=()), numpy.fft.fftn(z, axes=()))
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(np.real(np.fft.ifftn(x, axes=())) * x))(z), 2 * z)


def test_order_statistics_take_axes_as_a_list_and_numpy_booleans() -> None:
    x = numpy.random.default_rng(0).standard_normal((2, 3, 4))
    for fun in (np.median, np.nanmedian):
        value, tangent = plugrad.make_jvp(lambda x: np.sum(fun(x, axis=[0, 2])))(x)(numpy.ones_like(x))
        assert value == pytest.approx(numpy.sum(numpy.median(x, axis=[0, 2]))) and tangent == pytest.approx(3.0)
    keep = lambda x: np.sum(np.median(x, axis=1, keepdims=numpy.True_))  # noqa: E731
    assert plugrad.make_jvp(keep)(x)(numpy.ones_like(x))[1] == pytest.approx(8.0)
    assert grad(keep)(x).shape == x.shape


ORDER_STATISTICS = {
    "median": lambda x, **kw: np.median(x, **kw),
    "quantile": lambda x, **kw: np.quantile(x, 0.3, **kw),
    "percentile": lambda x, **kw: np.percentile(x, 30.0, **kw),
    "quantiles": lambda x, **kw: np.quantile(x, numpy.array([0.1, 0.8]), **kw),
    "lower": lambda x, **kw: np.quantile(x, 0.3, method="lower", **kw),
    "nearest": lambda x, **kw: np.quantile(x, 0.3, method="nearest", **kw),
}


@pytest.mark.parametrize("name", ORDER_STATISTICS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_an_order_statistic_that_is_nan_sends_the_cotangent_to_the_nans(name: str, dtype: str) -> None:
    # NumPy's median of a lane holding NaN is NaN: the NaN entries share the cotangent, as
    # max gives, not the entries a sort with NaNs last would pick.
    f, nan = ORDER_STATISTICS[name], numpy.nan
    total = lambda x, **kw: np.sum(f(x, **kw))  # noqa: E731
    per_q = 2.0 if name == "quantiles" else 1.0
    g = grad(total)(numpy.array([1.0, nan, 3.0], dtype))
    assert g.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(g, [0.0, per_q, 0.0])
    g = grad(total)(numpy.array([nan, 1.0, nan, 2.0]))
    numpy.testing.assert_array_equal(g, [per_q / 2, 0.0, per_q / 2, 0.0])
    x = numpy.array([[1.0, nan, 3.0], [1.0, 2.0, 4.0]])
    rows = grad(lambda x: total(x, axis=1, keepdims=True) + total(x[1]) * 9.0)(x)
    numpy.testing.assert_array_equal(rows[0], [0.0, per_q, 0.0])
    numpy.testing.assert_allclose(rows[1], 10.0 * grad(total)(x[1]))  # the lane without NaN as before
    _, tangent = make_jvp(total, numpy.array([1.0, nan, 3.0]))(numpy.array([1.0, 10.0, 100.0]))
    assert tangent == 10.0 * per_q
    check_grads(f, modes=["rev", "fwd"], order=2)(numpy.array([0.3, -1.2, 2.0, 0.7, 1.1]))


def test_nan_order_statistics_still_ignore_nans() -> None:
    nan = numpy.nan
    numpy.testing.assert_array_equal(grad(np.nanmedian)(numpy.array([1.0, nan, 3.0])), [0.5, 0.0, 0.5])
    g = grad(lambda x: np.nanquantile(x, 0.0))(numpy.array([nan, 2.0, 1.0]))
    numpy.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    with pytest.warns(RuntimeWarning, match="All-NaN"):  # an all-NaN lane is absent, as nanmax's
        g = grad(lambda x: np.sum(np.nanpercentile(x, 30.0, axis=1)))(numpy.array([[nan, nan], [1.0, 2.0]]))
    numpy.testing.assert_allclose(g, [[0.0, 0.0], [0.7, 0.3]])


# -- var and std about a mean= given ---------------------------------------------------


def test_var_and_std_about_a_given_mean_differentiate_the_deviations_from_it() -> None:
    # var(x, mean=m) = sum(|x - m|^2) / (n - ddof): d/dx = 2 (x - m) / (n - ddof), m a constant.
    x = numpy.array([1.0, 2.0, 4.0])
    var0 = lambda x: np.var(x, mean=0.0)  # noqa: E731
    assert var0(x) == pytest.approx(7.0)
    numpy.testing.assert_allclose(grad(var0)(x), 2 * x / 3)
    assert make_jvp(var0, x)(numpy.ones(3))[1] == pytest.approx(14 / 3)
    numpy.testing.assert_allclose(grad(lambda x: np.std(x, mean=0.0))(x), x / 3 / numpy.sqrt(7.0))
    numpy.testing.assert_allclose(grad(lambda x: np.nanvar(x, mean=1.0))(x), [0.0, 2 / 3, 2.0])
    numpy.testing.assert_allclose(grad(lambda x: np.nanstd(x, mean=1.0))(x), [0.0, 1.0, 3.0] / numpy.sqrt(30.0))
    # the std of one number about a mean= given is |x - m|, not 0
    numpy.testing.assert_allclose(grad(lambda x: np.std(x, mean=2.0))(numpy.array([0.5])), [-1.0])


MEAN_GIVEN = {
    "var": lambda x: np.var(x, axis=1, ddof=1, mean=numpy.array([[0.3], [-0.2], [1.5]])),
    "std": lambda x: np.std(x, axis=0, keepdims=True, mean=numpy.array([[0.1, -0.4, 0.0, 2.0]])),
    "var where": lambda x: np.var(x, axis=1, where=MASK, mean=numpy.array([[0.3], [-0.2], [1.5]])),
    "std where": lambda x: np.std(x, where=MASK, mean=0.5),
    "nanvar": lambda x: np.nanvar(x, axis=1, mean=numpy.array([[0.3], [-0.2], [1.5]])),
    "nanstd": lambda x: np.nanstd(x, axis=0, ddof=1, mean=numpy.array([[0.1, -0.4, 0.0, 2.0]])),
    "nanvar where": lambda x: np.nanvar(x, where=MASK, mean=-1.0),
    "complex": lambda x: np.var(x * (1 + 2j), axis=1, mean=numpy.array([[0.5j], [1.0], [-1.0 + 0.5j]])),
}


@pytest.mark.parametrize("name", MEAN_GIVEN)
def test_var_and_std_about_a_given_mean_match_finite_differences(name: str) -> None:
    f = _weighted(MEAN_GIVEN[name])
    x = numpy.random.default_rng(1).uniform(-1.0, 1.0, (3, 4))
    if name.startswith("nan"):
        x[1, 2] = numpy.nan
    g = grad(f)(x)
    assert numpy.all(g[numpy.isnan(x)] == 0)
    numpy.testing.assert_allclose(numpy.nan_to_num(g), numpy.nan_to_num(central_gradient(f, x)), atol=1e-7)
    t = numpy.random.default_rng(2).standard_normal(x.shape)
    assert make_jvp(f, x)(t)[1] == pytest.approx(numpy.nansum(g * t))
    check_grads(f, modes=("fwd", "rev"), order=2)(numpy.where(numpy.isnan(x), 0.7, x))


def test_a_traced_mean_is_still_refused_with_what_to_do() -> None:
    with pytest.raises(TraceError, match="keyword-only argument 'mean'.*Pass a constant as mean="):
        grad(lambda x: np.var(x, mean=np.mean(x)))(numpy.ones(3))


# -- entries skipped: their NaN tangents and cotangents are selected out ------------------

SKIP = numpy.array([True, False, True])
SKIP_2D = numpy.array([[True, False, True, True], [False, True, True, False]])
NAN = numpy.nan


def _rows(x: Any) -> Any:
    """Two rows of distinct values from ``x`` (four entries)."""
    return np.stack([x, x[::-1] + 0.5])


def _holes(x: Any, keep: numpy.ndarray = SKIP) -> Any:
    """``x`` squared with NaNs where ``keep`` is False: their tangents are NaN (2 * NaN * 0)."""
    return np.where(keep, x, NAN) ** 2


# Each function skips the NaNs of _holes (or leaves them out by where=), so its derivative is
# finite; the tangent of the skipped entries is NaN.
SKIPPING = {
    "nansum": lambda x: np.nansum(_holes(x)),
    "nanmean": lambda x: np.nanmean(_holes(x)),
    "nanvar": lambda x: np.nanvar(_holes(x)),
    "nanstd": lambda x: np.nanstd(_holes(x)),
    "nanvar mean=": lambda x: np.nanvar(_holes(x), mean=1.0),
    "nanmax": lambda x: np.nanmax(_holes(x)),
    "nanmin": lambda x: np.nanmin(_holes(x)),
    "nanmax initial=": lambda x: np.nanmax(_holes(x), initial=20.0) + np.nanmax(_holes(x), initial=0.0),
    "nanprod": lambda x: np.nanprod(_holes(x)),
    "nancumsum": lambda x: np.sum(np.nancumsum(_holes(x)) ** 2),
    "nancumprod": lambda x: np.sum(np.nancumprod(_holes(x))),
    "nanmedian": lambda x: np.nanmedian(_holes(x)),
    "nanquantile": lambda x: np.nanquantile(_holes(x), 0.3),
    "nanpercentile": lambda x: np.sum(np.nanpercentile(_holes(x), [30.0, 80.0])),
    "fmax": lambda x: np.sum(np.fmax(_holes(x), 0.5 * x)),
    "fmin": lambda x: np.sum(np.fmin(0.5 * x, _holes(x))),
    "max where=": lambda x: np.max(_holes(x), where=SKIP, initial=0.0),
    "min where=": lambda x: np.min(_holes(x), where=SKIP, initial=5.0),
    "prod where=": lambda x: np.prod(_holes(x), where=SKIP),
    "var where=": lambda x: np.var(_holes(x), where=SKIP),
    "std where=": lambda x: np.std(_holes(x), where=SKIP, ddof=1),
    "sum where=": lambda x: np.sum(_holes(x), where=SKIP),
    "mean where=": lambda x: np.mean(_holes(x), where=SKIP),
    "nansum where=": lambda x: np.nansum(_holes(x), where=SKIP),
    "nanvar axis": lambda x: np.sum(np.nanvar(_holes(_rows(x), SKIP_2D), axis=0)),
    "nanmax axis": lambda x: np.sum(np.nanmax(_holes(_rows(x), SKIP_2D), axis=1)),
    "nanmedian axis": lambda x: np.sum(np.nanmedian(_holes(_rows(x), SKIP_2D), axis=1)),
    "nanquantile axis": lambda x: np.sum(np.nanquantile(_holes(_rows(x), SKIP_2D), [0.2, 0.6], axis=1)),
    "var where= axis": lambda x: np.sum(np.var(_holes(_rows(x), SKIP_2D), axis=1, where=SKIP_2D)),
    "nancumsum axis": lambda x: np.sum(np.nancumsum(_holes(_rows(x), SKIP_2D), axis=1) ** 2),
    "nancumprod axis": lambda x: np.sum(np.nancumprod(_holes(_rows(x), SKIP_2D), axis=0)),
}  # fmt: skip


@pytest.mark.parametrize("name", SKIPPING)
def test_forward_mode_of_a_skipped_entry_with_a_nan_tangent_matches_reverse_mode(name: str) -> None:
    f = SKIPPING[name]
    x = numpy.array([1.0, 2.0, 3.0, 4.0]) if "axis" in name else numpy.array([1.0, 2.0, 3.0])
    g = grad(f)(x)
    assert numpy.isfinite(g).all()
    for t in (numpy.ones_like(x), numpy.array([0.5, -2.0, 1.5, 3.0])[: x.size]):
        tangent = make_jvp(f, x)(t)[1]
        assert numpy.isfinite(tangent) and tangent == pytest.approx(g @ t)


def test_skipped_entries_named_in_the_bug_report() -> None:
    x = numpy.array([1.0, 2.0, 3.0])
    nansum = SKIPPING["nansum"]
    numpy.testing.assert_array_equal(grad(nansum)(x), [2.0, 0.0, 6.0])
    assert make_jvp(nansum, x)(numpy.ones(3))[1] == 8.0
    assert make_jvp(SKIPPING["fmax"], x)(numpy.ones(3))[1] == 8.5


def _nansum_of_squares(reduce: Any, **kw: Any) -> Any:
    return lambda x: np.nansum(reduce(x, axis=1, **kw) ** 2)


@pytest.mark.filterwarnings("ignore:All-NaN:RuntimeWarning", "ignore:Mean of empty slice:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Degrees of freedom:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_nan_cotangent_reaches_no_skipped_entry() -> None:
    # An all-NaN slice (or one where= leaves empty) gives NaN (NumPy warns); a NaN cotangent
    # for it (from the ** 2 that nansum then skips) sends 0 to the entries skipped, not 0 * NaN.
    x = numpy.array([[NAN, NAN], [1.0, 3.0]])
    row_nan = numpy.array([[True, True], [False, False]])
    for reduce in (np.nanmax, np.nanmin, np.nanmean, np.nanvar, np.nanstd, np.nanmedian):
        f = _nansum_of_squares(reduce)
        g = grad(f)(x)
        assert numpy.all(g[row_nan] == 0) and numpy.isfinite(g).all()
        assert make_jvp(f, x)(numpy.ones_like(x))[1] == pytest.approx(g.sum())
    g = grad(lambda x: np.nansum(np.nanquantile(x, [0.2, 0.7], axis=1) ** 2))(x)
    assert numpy.all(g[row_nan] == 0)
    for reduce in (np.mean, np.var, np.std):
        g = grad(_nansum_of_squares(reduce, where=~row_nan))(numpy.nan_to_num(x))
        assert numpy.all(g[row_nan] == 0) and numpy.isfinite(g).all()
    # max over a slice where= leaves empty is initial=-inf, whose cotangent (2 * -inf) is infinite
    g = grad(lambda x: np.sum(np.max(x, axis=1, where=~row_nan, initial=-numpy.inf) ** 2))(x)
    numpy.testing.assert_array_equal(g, [[0.0, 0.0], [0.0, 6.0]])
    y = numpy.array([NAN, 2.0])  # fmax of two NaNs is NaN: both arguments skipped
    g = grad(lambda x: np.nansum(np.fmax(x, y) ** 2))(numpy.array([NAN, 1.0]))
    numpy.testing.assert_array_equal(g, [0.0, 0.0])
    numpy.testing.assert_array_equal(grad(lambda x: np.nansum(np.fmin(y, x) ** 2))(numpy.array([NAN, 1.0])), [0.0, 2.0])
