"""Set operations and heaviside: values as NumPy's, derivatives where their values come from."""

from __future__ import annotations

import numpy
import pytest

import plugrad.numpy as np
from plugrad import grad, make_jvp
from plugrad.test_util import check_grads

X = numpy.array([0.3, -0.2, 0.7, 0.3, 1.1])
OTHER = numpy.array([5.0, 0.3, 1.1])

CASES = {
    "unique": lambda x: np.unique(x),
    "unique axis": lambda x: np.unique(np.reshape(x[:4], (2, 2)), axis=1),
    "unique with everything": lambda x: np.unique(x, True, True, True)[0],
    "unique_values": lambda x: np.unique_values(x),
    "unique_counts": lambda x: np.unique_counts(x).values,
    "unique_inverse": lambda x: np.unique_inverse(x).values,
    "unique_all": lambda x: np.unique_all(x).values,
    "intersect1d": lambda x: np.intersect1d(x, OTHER),
    "intersect1d second": lambda x: np.intersect1d(OTHER, x, return_indices=True)[0],
    "union1d": lambda x: np.union1d(x, OTHER),
    "setdiff1d": lambda x: np.setdiff1d(x, OTHER),
    "setxor1d": lambda x: np.setxor1d(x, OTHER),
}
PLAIN = {
    "unique": lambda x: numpy.unique(x),
    "unique axis": lambda x: numpy.unique(x[:4].reshape(2, 2), axis=1),
    "unique with everything": lambda x: numpy.unique(x, True, True, True)[0],
    "unique_values": numpy.unique_values,
    "unique_counts": lambda x: numpy.unique_counts(x).values,
    "unique_inverse": lambda x: numpy.unique_inverse(x).values,
    "unique_all": lambda x: numpy.unique_all(x).values,
    "intersect1d": lambda x: numpy.intersect1d(x, OTHER),
    "intersect1d second": lambda x: numpy.intersect1d(OTHER, x),
    "union1d": lambda x: numpy.union1d(x, OTHER),
    "setdiff1d": lambda x: numpy.setdiff1d(x, OTHER),
    "setxor1d": lambda x: numpy.setxor1d(x, OTHER),
}


@pytest.mark.parametrize("name", CASES)
def test_set_values_are_numpys_and_carry_the_derivative_of_their_elements(name: str) -> None:
    fun, plain = CASES[name], PLAIN[name]
    expected = plain(X)
    value, tangent = make_jvp(fun)(X)(numpy.arange(1.0, 6.0))
    numpy.testing.assert_array_equal(value, expected)
    # each value is an element of X (its first occurrence, for repeats) or a constant
    first = {v: i for i, v in reversed(list(enumerate(X)))}
    from_x = [v for v in numpy.ravel(expected) if v in first]
    if value.ndim == 1:
        numpy.testing.assert_array_equal(tangent, [first[v] + 1.0 if v in first else 0.0 for v in expected])
    weights = numpy.linspace(1.0, 2.0, numpy.size(expected)).reshape(numpy.shape(expected))
    g = grad(lambda x: np.sum(fun(x) * weights))(X)
    assert g.shape == X.shape and numpy.count_nonzero(g) == len(from_x)


def test_set_operations_differentiate_twice_away_from_ties() -> None:
    x = numpy.array([0.4, -0.9, 1.3])
    check_grads(lambda x: np.sum(np.unique(x) ** 3), modes=["fwd", "rev"], order=2)(x)
    check_grads(lambda x: np.sum(np.union1d(x, OTHER) ** 2), modes=["fwd", "rev"], order=2)(x)


def test_untraced_set_operations_return_numpys_results() -> None:
    assert np.unique(X, return_counts=True)[1].tolist() == [1, 2, 1, 1]
    assert np.setxor1d(X, OTHER).tolist() == numpy.setxor1d(X, OTHER).tolist()


def test_heaviside_is_differentiable_in_its_value_at_zero() -> None:
    x = numpy.array([0.0, 1.0, -1.0, 0.0])
    assert grad(lambda h: np.sum(np.heaviside(x, h)))(numpy.full(4, 0.5)).tolist() == [1.0, 0.0, 0.0, 1.0]
    assert grad(lambda x: np.sum(np.heaviside(x, 0.5)))(numpy.array([0.3, -0.2])).tolist() == [0.0, 0.0]


def _fd(fun, x, h=1e-6):  # type: ignore[no-untyped-def]
    grad_ = numpy.zeros_like(x)
    for i in numpy.ndindex(x.shape):
        e = numpy.zeros_like(x)
        e[i] = h
        grad_[i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return grad_


D = numpy.array([0.1, 0.62, 0.37, 0.9, 0.55])
W = numpy.array([1.0, 2.0, 3.0, 4.0, 0.5])
R = numpy.array([0.3, -1.2, 2.0])

HISTOGRAMS = {  # (plugrad, numpy): value as a function of the differentiated argument
    "weights": (lambda w: np.sum(np.histogram(D, 3, None, False, w)[0] * R), lambda w: numpy.histogram(D, 3, None, False, w)[0] @ R),
    "weights, density": (
        lambda w: np.sum(np.histogram(D, 3, density=True, weights=w)[0] * R),
        lambda w: numpy.histogram(D, 3, density=True, weights=w)[0] @ R,
    ),
    "edges from the data": (
        lambda a: np.sum(np.histogram(a, bins=4)[1] ** 2),
        lambda a: numpy.sum(numpy.histogram(a, bins=4)[1] ** 2),
    ),
    "density of the data": (
        lambda a: np.sum(np.histogram(a, bins=3, density=True)[0] * R),
        lambda a: numpy.histogram(a, bins=3, density=True)[0] @ R,
    ),
    "bin edges by a rule": (
        lambda a: np.sum(np.histogram_bin_edges(a, bins="auto") ** 2),
        lambda a: numpy.sum(numpy.histogram_bin_edges(a, bins="auto") ** 2),
    ),
    "2-d weights, density": (
        lambda w: np.sum(np.histogram2d(D, D[::-1], bins=2, weights=w, density=True)[0] * R[:2]),
        lambda w: numpy.sum(numpy.histogram2d(D, D[::-1], bins=2, weights=w, density=True)[0] * R[:2]),
    ),
    "2-d edges": (
        lambda x: np.sum(np.histogram2d(x, D, bins=(2, 3))[1] ** 2),
        lambda x: numpy.sum(numpy.histogram2d(x, D, bins=(2, 3))[1] ** 2),
    ),
    "n-d density of the data": (
        lambda s: np.sum(np.histogramdd(s, bins=2, density=True)[0] * R[:2]),
        lambda s: numpy.sum(numpy.histogramdd(s, bins=2, density=True)[0] * R[:2]),
    ),
}


@pytest.mark.parametrize("name", HISTOGRAMS)
def test_histograms_against_finite_differences(name: str) -> None:
    fun, plain = HISTOGRAMS[name]
    x = numpy.stack([D, D[::-1]], axis=1) if name.startswith("n-d") else W if "weights" in name else D
    assert float(fun(x)) == pytest.approx(plain(x))
    numpy.testing.assert_allclose(grad(fun)(x), _fd(plain, x), rtol=1e-6, atol=1e-6)


def test_untraced_histograms_are_numpys() -> None:
    hist, edges = np.histogram(D, bins=3)
    assert hist.tolist() == numpy.histogram(D, bins=3)[0].tolist()
    assert np.histogram2d(D, D, bins=2)[0].tolist() == numpy.histogram2d(D, D, bins=2)[0].tolist()


def test_sign_of_complex_numbers_is_differentiable_and_of_reals_constant() -> None:
    z = numpy.array([1 + 2j, -3 + 0.5j])
    w = numpy.array([1.0, 3.0 + 1j])
    g = grad(lambda z: np.sum(np.real(np.sign(z) * w)))(z)
    h = 1e-6
    for i in range(2):
        e = numpy.zeros(2, complex)
        e[i] = h
        fx = (numpy.real(numpy.sign(z + e) @ w) - numpy.real(numpy.sign(z - e) @ w)) / (2 * h)
        fy = (numpy.real(numpy.sign(z + 1j * e) @ w) - numpy.real(numpy.sign(z - 1j * e) @ w)) / (2 * h)
        assert g[i] == pytest.approx(fx - 1j * fy, rel=1e-6)
    assert grad(lambda x: np.sum(np.sign(x) * x))(numpy.array([1.0, -2.0])).tolist() == [1.0, -1.0]


def test_sinc_differentiates_through_zero() -> None:
    from plugrad import elementwise_grad

    x = numpy.array([0.0, 0.5, 1e-5])
    numpy.testing.assert_allclose(elementwise_grad(np.sinc)(x), [0.0, -4 / numpy.pi, -(numpy.pi**2) / 3 * 1e-5], atol=1e-15)
    assert elementwise_grad(elementwise_grad(np.sinc))(x)[0] == pytest.approx(-(numpy.pi**2) / 3)


A = numpy.array([0.1, 0.6, 0.4, 0.9])

TRACED_ARGUMENTS = {  # (function, point, expected gradient)
    "given edges": (lambda e: np.sum(np.histogram(A, bins=numpy.array([0, 0.5, 1]) * e, density=True)[0] * [1.0, 2.0]), 1.0, -3.0),
    "range": (lambda e: np.sum(np.histogram(A, 2, range=(0.0, e), density=True)[0] * [1.0, 2.0]), 1.0, -3.0),
    "unique of a list": (lambda x: np.sum(np.unique([x, 1.0, x]) ** 2), 0.5, 1.0),
    "histogram of a list": (lambda x: np.sum(np.histogram([x, 0.5, 0.2], 2)[1]), 0.9, 1.5),
    "union1d of lists": (lambda x: np.sum(np.union1d([x], [1.0]) ** 2), 0.5, 1.0),
    "weights as a list": (lambda x: np.histogram(A, 2, weights=[x, 1.0, 1.0, 1.0])[0][0], 0.5, 1.0),
}


@pytest.mark.parametrize("name", TRACED_ARGUMENTS)
def test_histograms_and_sets_of_lists_bins_and_ranges(name: str) -> None:
    fun, x, expected = TRACED_ARGUMENTS[name]
    assert grad(fun)(x) == pytest.approx(expected)


def test_histogramdd_reads_samples_and_bins_as_numpy_does() -> None:
    d = numpy.stack([A, A[::-1]], axis=1)
    mixed = [2, numpy.linspace(0, 1, 4)]  # a count for one dimension, edges for the other
    assert grad(lambda w: np.sum(np.histogramdd(d, bins=mixed, weights=w)[0]))(numpy.ones(4)).tolist() == [1.0] * 4
    assert grad(lambda w: np.sum(np.histogram2d(A, A[::-1], bins=mixed, weights=w)[0]))(numpy.ones(4)).tolist() == [1.0] * 4
    one_d = lambda x: np.sum(np.histogramdd(x, bins=2, density=True)[0] * numpy.array([1.0, 2.0]))  # noqa: E731
    plain = lambda x: numpy.sum(numpy.histogramdd(x, bins=2, density=True)[0] * numpy.array([1.0, 2.0]))  # noqa: E731
    assert one_d(A) == pytest.approx(plain(A))
    numpy.testing.assert_allclose(grad(one_d)(A), _fd(plain, A), rtol=1e-6)


def test_every_nan_of_unique_values_is_its_own() -> None:
    c = numpy.array([1.0, numpy.nan, 2.0, numpy.nan])
    assert grad(lambda c: np.sum(np.unique_values(c) * numpy.array([1.0, 2.0, 3.0, 4.0])))(c).tolist() == [1.0, 3.0, 2.0, 4.0]
