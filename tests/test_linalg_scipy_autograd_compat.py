"""Code written against autograd's linalg and scipy modules runs on plugrad: the helpers
autograd's ``numpy.linalg`` exposes, norms of lists of traced values, ``pinv`` with
NumPy 2's arguments, ``dirichlet.rvs``, ``multivariate_normal.entropy`` and
``allow_singular``, and autograd's ``convolve(A, B, axes, dot_axes, mode)``."""

from __future__ import annotations

import numpy
import pytest
import scipy.signal
import scipy.stats

import plugrad.numpy as np
import plugrad.scipy.signal as sg
import plugrad.scipy.stats as st
from plugrad import NotDifferentiableError, grad
from plugrad.test_util import check_grads

# -- numpy.linalg ------------------------------------------------------------------------


def test_norm_of_a_list_of_traced_scalars() -> None:
    # |(x, x + 2)| at x = 0 is 2; its derivative (x + x + 2) / |.| is 1
    assert grad(lambda x: np.linalg.norm([x, x + 2]))(0.0) == 1.0
    assert numpy.isclose(
        grad(lambda x: np.linalg.norm((x, 2 * x, 3.0)))(1.5), 5 * 1.5 / numpy.sqrt(5 * 1.5**2 + 9)
    )
    # a nested list is a matrix: the Frobenius norm of [[x, 1], [0, x]] is sqrt(2 x^2 + 1)
    assert numpy.isclose(grad(lambda x: np.linalg.norm([[x, 1.0], [0.0, x]], "fro"))(2.0), 4.0 / 3.0)
    assert np.linalg.norm([3.0, 4.0]) == 5.0


def test_cond_of_a_list_of_traced_values() -> None:
    # cond([[x, 0], [0, 2]]) = x / 2 for x > 2
    assert numpy.isclose(grad(lambda x: np.linalg.cond([[x, 0.0], [0.0, 2.0]]))(3.0), 0.5)


def test_autograd_linalg_helpers(rng: numpy.random.Generator) -> None:
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5))
    assert numpy.array_equal(np.linalg.T(a), numpy.swapaxes(a, -1, -2))
    assert numpy.allclose(np.linalg._dot(a, b), a @ b)
    check_grads(lambda a, b: np.linalg._dot(np.linalg.T(a), a) @ b[:, :1], argnum=(0, 1))(a, b)
    with pytest.raises(ValueError, match="_dot"):
        np.linalg._dot(b[0], b)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 5, 3), (2, 3, 5)])
def test_pinv_of_full_rank_matrices(rng: numpy.random.Generator, shape: tuple[int, ...]) -> None:
    a = rng.normal(size=shape)
    assert numpy.allclose(np.linalg.pinv(a), numpy.linalg.pinv(a))
    check_grads(np.linalg.pinv, modes=("fwd", "rev"))(a)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 5, 3)])
def test_pinv_of_low_rank_products(rng: numpy.random.Generator, shape: tuple[int, ...]) -> None:
    # x^T x keeps the rank of x under any perturbation of x, so pinv is differentiable along it
    def low_rank(x: object) -> object:
        return np.linalg.pinv(np.linalg._dot(np.linalg.T(x), x))

    check_grads(low_rank, modes=("fwd", "rev"))(rng.normal(size=shape))


def test_pinv_takes_numpy_2_arguments(rng: numpy.random.Generator) -> None:
    a = rng.normal(size=(4, 3))
    h = a @ a.T  # Hermitian, rank 3
    assert numpy.allclose(np.linalg.pinv(a, 1e-3), numpy.linalg.pinv(a, 1e-3))
    assert numpy.allclose(np.linalg.pinv(a, rtol=1e-3), numpy.linalg.pinv(a, rtol=1e-3))
    assert numpy.allclose(np.linalg.pinv(h, hermitian=True), numpy.linalg.pinv(h, hermitian=True))
    check_grads(lambda a: np.linalg.pinv(a, rtol=1e-8))(a)
    check_grads(lambda x: np.linalg.pinv(x @ x.T, hermitian=True, rtol=1e-10))(a)


# -- scipy.stats -------------------------------------------------------------------------


def test_dirichlet_rvs_is_scipy_s_sampler_without_a_derivative() -> None:
    alpha = numpy.array([1.0, 2.0, 3.0])
    draws = st.dirichlet.rvs(alpha, size=4, random_state=7)
    assert numpy.array_equal(draws, scipy.stats.dirichlet.rvs(alpha, size=4, random_state=7))

    def f(alpha: object) -> object:
        x = st.dirichlet.rvs(alpha, random_state=7)[0]  # a constant: the draw has no derivative
        assert isinstance(x, numpy.ndarray)
        return st.dirichlet.logpdf(x, alpha)

    x = draws[0]
    assert numpy.allclose(grad(f)(alpha), grad(lambda a: st.dirichlet.logpdf(x, a))(alpha))


COV = numpy.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.7]])


@pytest.mark.parametrize("cov", [COV, 2.5, numpy.array([1.0, 2.0, 0.5]), numpy.diag([1.0, 2.0, 0.0])])
def test_mvn_entropy_matches_scipy(cov: object) -> None:
    mean = numpy.zeros(3) if numpy.ndim(cov) else numpy.zeros(1)
    assert numpy.isclose(
        st.multivariate_normal.entropy(mean, cov), scipy.stats.multivariate_normal.entropy(mean, cov)
    )
    if numpy.ndim(cov) != 1:  # without a mean, SciPy takes a 1-d cov for one of a 1-d distribution
        assert numpy.isclose(
            st.multivariate_normal.entropy(cov=cov), scipy.stats.multivariate_normal.entropy(cov=cov)
        )


def test_mvn_entropy_derivatives() -> None:
    # d/dcov (log det cov) / 2 = cov^-1 / 2; the mean does not enter
    assert numpy.allclose(
        grad(lambda c: st.multivariate_normal.entropy(None, c))(COV), 0.5 * numpy.linalg.inv(COV)
    )
    with pytest.warns(UserWarning, match="independent"):
        assert numpy.array_equal(
            grad(lambda m: st.multivariate_normal.entropy(m, COV))(numpy.ones(3)), numpy.zeros(3)
        )
    check_grads(lambda c: st.multivariate_normal.entropy(cov=0.5 * (c + c.T)), modes=("fwd", "rev"))(COV)
    check_grads(lambda d: st.multivariate_normal.entropy(numpy.zeros(2), d), modes=("fwd", "rev"))(
        numpy.array([1.0, 2.0])
    )
    with pytest.raises(NotDifferentiableError, match="singular cov"):
        grad(lambda c: st.multivariate_normal.entropy(cov=c))(numpy.diag([1.0, 0.0]))


SINGULAR = numpy.diag([1.0, 2.0, 0.0, 0.0])
MEAN = numpy.array([0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("kind", ["logpdf", "pdf"])
def test_mvn_allow_singular_matches_scipy(kind: str) -> None:
    ours, theirs = getattr(st.multivariate_normal, kind), getattr(scipy.stats.multivariate_normal, kind)
    inside = numpy.array([[0.5, -0.2, 0.3, 0.4], [1.0, 0.0, 0.3, 0.4]])
    outside = numpy.array([0.5, -0.2, 0.3, 1.4])  # off the range of the cov
    for x in (inside, inside[0], outside):
        expected = theirs(x, MEAN, SINGULAR, allow_singular=True)
        assert numpy.allclose(ours(x, MEAN, SINGULAR, allow_singular=True), expected)
    with pytest.raises(ValueError):
        ours(inside[0], MEAN, SINGULAR)  # allow_singular=False: a positive-definite cov only


def test_mvn_allow_singular_derivatives_in_x_and_mean() -> None:
    x = numpy.array([0.5, -0.2, 0.3, 0.4])
    r = x - MEAN
    expected = -numpy.linalg.pinv(SINGULAR) @ r  # d/dx log N = -S^+ r
    assert numpy.allclose(
        grad(lambda x: st.multivariate_normal.logpdf(x, MEAN, SINGULAR, allow_singular=True))(x), expected
    )
    assert numpy.allclose(
        grad(lambda m: st.multivariate_normal.logpdf(x, m, SINGULAR, allow_singular=True))(MEAN), -expected
    )
    pdf = st.multivariate_normal.pdf(x, MEAN, SINGULAR, allow_singular=True)
    assert numpy.allclose(
        grad(lambda x: st.multivariate_normal.pdf(x, MEAN, SINGULAR, allow_singular=True))(x), pdf * expected
    )

    def along_range(x: object, mean: object) -> object:  # the density lives where x - mean is in range(cov)
        x = np.concatenate([x[:2], mean[2:]])
        return st.multivariate_normal.logpdf(x, mean, SINGULAR, allow_singular=True)

    check_grads(along_range, argnum=(0, 1), modes=("fwd", "rev"))(x, MEAN)
    # off the range the density is 0, and so is its derivative
    off = numpy.array([0.5, -0.2, 0.3, 1.4])
    assert numpy.array_equal(
        grad(lambda x: st.multivariate_normal.pdf(x, MEAN, SINGULAR, allow_singular=True))(off),
        numpy.zeros(4),
    )


def test_mvn_allow_singular_cov_derivative() -> None:
    x = numpy.array([0.5, -0.2, 0.3, 0.4])
    with pytest.raises(NotDifferentiableError, match="singular cov"):
        grad(lambda c: st.multivariate_normal.logpdf(x, MEAN, c, allow_singular=True))(SINGULAR)
    # a positive-definite cov is differentiable whatever allow_singular says
    cov = SINGULAR + numpy.diag([0.0, 0.0, 1.0, 0.5])
    with_flag = grad(lambda c: st.multivariate_normal.logpdf(x, MEAN, c, allow_singular=True))(cov)
    assert numpy.allclose(with_flag, grad(lambda c: st.multivariate_normal.logpdf(x, MEAN, c))(cov))


# -- scipy.signal.convolve with autograd's axes and dot_axes ------------------------------------


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_pairs_contracts_and_keeps_axes(rng: numpy.random.Generator, mode: str) -> None:
    a, b = rng.normal(size=(2, 3, 6)), rng.normal(size=(4, 3, 4))
    # a's axis 2 convolved with b's axis 2, a's axis 1 contracted with b's axis 1, the rest kept
    out = sg.convolve(a, b, axes=([2], [2]), dot_axes=([1], [1]), mode=mode)
    expected = numpy.array(
        [
            [sum(scipy.signal.convolve(a[i, k], b[j, k], mode) for k in range(3)) for j in range(4)]
            for i in range(2)
        ]
    )
    assert out.shape == expected.shape and numpy.allclose(out, expected)
    # autograd's positional order: axes, dot_axes, mode
    assert numpy.allclose(sg.convolve(a, b, ([2], [2]), ([1], [1]), mode), expected)
    check_grads(
        lambda a, b: sg.convolve(a, b, axes=([2], [2]), dot_axes=([1], [1]), mode=mode), argnum=(0, 1)
    )(a, b)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_with_kept_axes_only(rng: numpy.random.Generator, mode: str) -> None:
    a, b = rng.normal(size=(5, 2)), rng.normal(size=(3, 3))
    out = sg.convolve(a, b, axes=([0], [1]), mode=mode)  # kept: a's axis 1, then b's axis 0
    expected = numpy.array([[scipy.signal.convolve(a[:, i], b[j], mode) for j in range(3)] for i in range(2)])
    assert out.shape == expected.shape and numpy.allclose(out, expected)
    check_grads(
        lambda a, b: sg.convolve(a, b, axes=([0], [1]), mode=mode), argnum=(0, 1), modes=("fwd", "rev")
    )(a, b)


def test_convolve_without_convolved_axes_is_a_tensordot(rng: numpy.random.Generator) -> None:
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(3, 4))
    assert numpy.allclose(
        sg.convolve(a, b, axes=([], []), dot_axes=([0], [0])), numpy.tensordot(a, b, ([0], [0]))
    )


def test_convolve_keeps_scipy_s_signature(rng: numpy.random.Generator) -> None:
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(2, 3))
    for mode in ("full", "valid", "same"):
        assert numpy.allclose(sg.convolve(a, b, mode, "direct"), scipy.signal.convolve(a, b, mode, "direct"))
        assert numpy.allclose(sg.convolve(a, b, mode=mode), scipy.signal.convolve(a, b, mode=mode))
        # the full set of axes, paired in order, is SciPy's convolution
        assert numpy.allclose(
            sg.convolve(a, b, axes=([0, 1], [0, 1]), mode=mode), scipy.signal.convolve(a, b, mode)
        )


def test_convolve_pairing_errors(rng: numpy.random.Generator) -> None:
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 5))
    with pytest.raises(ValueError, match="valid"):
        sg.convolve(a, b, axes=([0, 1], [0, 1]), mode="valid")  # neither is larger along every axis
    with pytest.raises(ValueError, match="dot_axes"):
        sg.convolve(a, b, axes=([0], [0]), dot_axes=([1], [1]))  # lengths 3 and 5
