"""The numpy.linalg pack: every primitive through the gradient checker, the composites
through check_grads, and derivatives end to end through ``plugrad.numpy.linalg``."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any

import numpy
import pytest
from plugrad_linalg import NotHermitianWarning

import plugrad
import plugrad.numpy as np
from plugrad import Composite, NonDifferentiable, NotDifferentiableError, Primitive, grad, hessian, make_jvp, make_vjp
from plugrad.box import getval
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

PRIMITIVES = [
    "inv", "solve", "pinv", "_lstsq_solution", "matrix_power", "det", "_cofactor", "slogdet", "cholesky",
    "qr", "eigh", "eigvalsh", "eig", "eigvals", "svd", "svdvals", "vector_norm", "matrix_norm",
    "matmul", "matrix_transpose", "outer", "cross", "tensordot", "vecdot", "_abs_power", "_signed_power",
]  # fmt: skip
PRIVATE = {"_lstsq_solution", "_cofactor", "_abs_power", "_signed_power"}
COMPOSITES = ["lstsq", "norm", "cond", "multi_dot", "tensorsolve", "tensorinv", "diagonal", "trace"]


def lookup(name: str):
    return plugrad.default_registry().lookup(f"numpy.linalg.{name}")


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive) and prim.pack == "linalg"
    assert check_primitive(prim) > 0


def test_every_numpy_linalg_function_is_registered() -> None:
    kinds = {name: type(lookup(name)) for name in numpy.linalg.__all__ if name != "LinAlgError"}
    assert kinds.pop("matrix_rank") is NonDifferentiable
    assert {n for n, k in kinds.items() if k is Composite} == set(COMPOSITES)
    assert {n for n, k in kinds.items() if k is Primitive} == set(PRIMITIVES) - PRIVATE


@pytest.fixture
def rng() -> numpy.random.Generator:
    return numpy.random.default_rng(0)


def traced(f, x):
    """``f(x)`` computed on a traced ``x`` (composites call NumPy itself on plain values)."""
    return plugrad.make_vjp(f)(x)[1]


def spd(rng: numpy.random.Generator, n: int = 3) -> numpy.ndarray:
    x = rng.standard_normal((n, n))
    return x @ x.T / n + numpy.eye(n)


# -- composites ----------------------------------------------------------------------------

NORMS = [
    {},
    {"keepdims": True},
    {"ord": "fro"},
    {"ord": "nuc"},
    {"ord": 2},
    {"ord": -2},
    {"ord": 1},
    {"ord": -1},
    {"ord": numpy.inf},
    {"ord": -numpy.inf},
    {"axis": 1},
    {"axis": 0, "ord": 3, "keepdims": True},
    {"axis": -1, "ord": 1},
    {"axis": 0, "ord": numpy.inf},
    {"axis": 1, "ord": 0},
    {"axis": (1, 0), "ord": numpy.inf, "keepdims": True},
]


@pytest.mark.parametrize("kwargs", NORMS, ids=repr)
def test_norm(kwargs: dict, rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((3, 4))
    assert numpy.allclose(traced(lambda x: np.linalg.norm(x, **kwargs), x), numpy.linalg.norm(x, **kwargs))
    check_grads(lambda x: np.linalg.norm(x, **kwargs))(x)


WHOLE = [((7,), {}), ((7,), {"ord": 2}), ((3, 4), {}), ((3, 4), {"ord": "fro"}), ((2, 3, 4), {"keepdims": True})]


@pytest.mark.parametrize("shape, kwargs", WHOLE, ids=repr)
def test_norm_of_every_element_is_numpys_to_the_bit(shape: tuple, kwargs: dict, rng: numpy.random.Generator) -> None:
    x = rng.standard_normal(shape)
    value, g = plugrad.value_and_grad(lambda x: np.sum(np.linalg.norm(x, **kwargs)))(x)
    assert value == numpy.sum(numpy.linalg.norm(x, **kwargs))  # the dot product NumPy uses, not a sum of squares
    numpy.testing.assert_allclose(g, x / numpy.linalg.norm(x), rtol=1e-14)
    check_grads(lambda x: np.linalg.norm(x, **kwargs))(x)


def test_norm_of_a_stack_and_of_complex(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))
    check_grads(lambda x: np.linalg.norm(x, axis=(0, 2)))(x)
    check_grads(lambda x: np.linalg.norm(x, 2, axis=(-2, -1)))(x)
    check_grads(lambda x: np.linalg.norm(x, axis=1, ord=0.5))(x)
    check_grads(lambda x: np.linalg.norm(x))(x)


@pytest.mark.parametrize("ord", [None, 1, 2, numpy.inf, -numpy.inf, 3, 0.5, 0])
def test_vector_norm_at_zero_has_zero_gradient(ord) -> None:
    zero = numpy.zeros(3)
    assert numpy.array_equal(grad(lambda x: np.linalg.norm(x, ord))(zero), zero)
    assert numpy.array_equal(plugrad.make_jvp(lambda x: np.linalg.norm(x, ord))(zero)(numpy.ones(3))[1], 0.0)


def second_derivatives(f, x: numpy.ndarray) -> dict[str, numpy.ndarray]:
    """The Hessian of ``f`` at ``x`` in the three modes of differentiating twice."""
    n, units = x.size, numpy.eye(x.size).reshape((x.size, *x.shape))
    jvp = lambda y, u: make_jvp(f)(y)(u)[1]  # noqa: E731
    return {
        "reverse over reverse": hessian(f)(x).reshape(n, n),
        "forward over reverse": numpy.array([make_jvp(grad(f))(x)(u)[1].ravel() for u in units]),
        "forward over forward": numpy.array(
            [[make_jvp(lambda y: jvp(y, u))(x)(v)[1] for v in units] for u in units]
        ),
    }


def p_norm_hessian(x: numpy.ndarray, p: float) -> numpy.ndarray:
    """The closed form: (p - 1) |x_i|^(p - 2) / n^(p - 1) on the diagonal, less (p - 1) c c^T / n,
    with c = sign(x) |x|^(p - 1) / n^(p - 1) the gradient."""
    n = numpy.sum(numpy.abs(x) ** p) ** (1 / p)
    with numpy.errstate(divide="ignore"):
        curvature = (p - 1) * numpy.abs(x) ** (p - 2) / n ** (p - 1)
    c = numpy.sign(x) * numpy.abs(x) ** (p - 1) / n ** (p - 1)
    return numpy.diag(curvature) - (p - 1) * numpy.outer(c, c) / n


@pytest.mark.parametrize("p", [3, 4, 2.5, 5.5, 1.5])
def test_the_hessian_of_a_p_norm_is_right_at_zero_entries(p: float) -> None:
    # Where an entry is zero, |x|^p has curvature 0 for p > 2 and an infinite one for
    # 1 < p < 2: inf on that entry's diagonal, and the rest of the Hessian exact, not NaN.
    x = numpy.array([0.0, 1.0, -2.0, 0.0])
    expected = p_norm_hessian(x, p)
    assert numpy.isinf(expected[0, 0]) == (p < 2) and numpy.all(expected[0, 1:] == 0)
    for mode, h in second_derivatives(lambda z: np.linalg.norm(z, p), x).items():
        numpy.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-15, err_msg=mode)


def test_the_hessian_of_a_cubed_3_norm_at_a_zero_entry() -> None:
    # The bug report's: sum |x|^3, whose Hessian is diag(6 |x|).
    for mode, h in second_derivatives(lambda z: np.linalg.norm(z, 3) ** 3, numpy.array([0.0, 1.0])).items():
        numpy.testing.assert_allclose(h, [[0.0, 0.0], [0.0, 6.0]], atol=1e-14, err_msg=mode)
    h = hessian(lambda z: np.linalg.norm(z, 3))(numpy.array([0.0, 1.0]))
    assert numpy.array_equal(h, numpy.zeros((2, 2)))


@pytest.mark.parametrize("p", [4, 2.5])
def test_the_hessian_of_p_norms_along_an_axis_at_zero_entries(p: float) -> None:
    x = numpy.array([[0.0, 1.0, -2.0], [0.5, 0.0, 0.0], [3.0, -1.0, 0.5]])
    expected = numpy.zeros((9, 9))
    for i, row in enumerate(x):
        expected[3 * i : 3 * i + 3, 3 * i : 3 * i + 3] = p_norm_hessian(row, p)
    for mode, h in second_derivatives(lambda z: np.sum(np.linalg.norm(z, p, axis=1)), x).items():
        numpy.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-15, err_msg=mode)
    zc = x + 1j * numpy.roll(x, 1, axis=1)  # complex, with an entry at zero in the first row
    check_grads(lambda z: np.linalg.norm(z, 4, axis=1), modes=("rev",), order=2)(zc)


@pytest.mark.parametrize("p", [3, 1.5, 0.5])
def test_p_norms_at_the_zero_vector_have_zero_second_derivatives(p: float) -> None:
    for mode, h in second_derivatives(lambda z: np.linalg.norm(z, p), numpy.zeros(3)).items():
        assert numpy.array_equal(h, numpy.zeros((3, 3))), mode


@pytest.mark.parametrize("axis", [2, -2, (0, 3), (-3, 1), (2,)])
def test_norm_of_a_traced_value_raises_numpys_axis_error(axis) -> None:
    x = numpy.array([1.0, 2.0, 3.0]) if axis in (2, -2) else numpy.ones((2, 3))
    with pytest.raises(numpy.exceptions.AxisError) as expected:
        numpy.linalg.norm(x, axis=axis)
    with pytest.raises(numpy.exceptions.AxisError) as raised:
        grad(lambda z: np.sum(np.linalg.norm(z, axis=axis)))(x)
    assert str(raised.value) == str(expected.value)
    with pytest.raises(ValueError, match="Improper number of dimensions"):
        grad(lambda z: np.linalg.norm(z, axis=(0, 1, 5)))(numpy.ones((2, 3)))


def test_the_hessian_of_a_pairwise_distance_energy_with_zero_self_distances_is_finite() -> None:
    # The diagonal of the distance matrix is norm(0), a constant: the Hessian is well
    # defined, and the rules' finite convention at a zero norm gives it (NaN would not).
    points = numpy.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])

    def energy(p):
        return np.sum(np.exp(-np.linalg.norm(p[:, None, :] - p[None, :, :], axis=-1)))

    h = hessian(energy)(points).reshape(6, 6)
    g, step = grad(energy), 1e-6
    numeric = numpy.array(
        [((g(points + step * e.reshape(3, 2)) - g(points - step * e.reshape(3, 2))) / (2 * step)).ravel() for e in numpy.eye(6)]
    )
    numpy.testing.assert_allclose(h, numeric, atol=1e-7)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, numpy.inf])
def test_matrix_norm_at_zero_has_zero_gradient(ord) -> None:
    zero = numpy.zeros((2, 3))
    assert numpy.array_equal(grad(lambda x: np.linalg.norm(x, ord))(zero), zero)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -numpy.inf])
def test_cond(p, rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((3, 3)) + 2 * numpy.eye(3)
    check_grads(lambda x: np.linalg.cond(x, p))(x)


def test_lstsq(rng: numpy.random.Generator) -> None:
    a, b = rng.standard_normal((5, 3)), rng.standard_normal(5)
    x, residuals, rank, s = traced(lambda a: np.linalg.lstsq(a, b), a)
    expected = numpy.linalg.lstsq(a, b)
    assert numpy.allclose(x, expected[0]) and numpy.allclose(residuals, expected[1])
    assert rank == expected[2] and numpy.allclose(s, expected[3])
    for part in (0, 1, 3):
        check_grads(lambda a: np.linalg.lstsq(a, b)[part])(a)
    for part in (0, 1):
        check_grads(lambda b: np.linalg.lstsq(a, b)[part])(b)
    bs = rng.standard_normal((5, 2)) + 1j * rng.standard_normal((5, 2))
    check_grads(lambda bs: np.linalg.lstsq(a, bs)[1])(bs)
    assert traced(lambda a: np.linalg.lstsq(a, b[:2]), a[:2])[1].shape == (0,)  # wide: no residuals


def test_multi_dot(rng: numpy.random.Generator) -> None:
    shapes = [(4,), (4, 3), (3, 5), (5, 2), (2,)]
    arrays = [rng.standard_normal(s) for s in shapes]
    for i in range(len(arrays)):
        for ends in (slice(None), slice(1, None), slice(None, -1), slice(1, -1)):
            chain = arrays[ends]
            if i >= len(chain):
                continue

            def f(x, chain=chain, i=i):
                return np.linalg.multi_dot(chain[:i] + [x] + chain[i + 1 :])

            assert numpy.allclose(traced(f, chain[i]), numpy.linalg.multi_dot(chain))
            check_grads(f)(chain[i])


def test_tensorsolve_and_tensorinv(rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((2, 3, 6)) + 3 * numpy.eye(6).reshape(6, 2, 3).transpose(1, 2, 0)
    b = rng.standard_normal((2, 3))
    check_grads(lambda a: np.linalg.tensorsolve(a, b))(a)
    check_grads(lambda b: np.linalg.tensorsolve(a, b))(b)
    moved = numpy.moveaxis(a, 2, 0)
    expected = numpy.linalg.tensorsolve(moved, b, axes=(0,))
    assert numpy.allclose(traced(lambda a: np.linalg.tensorsolve(a, b, axes=(0,)), moved), expected)
    check_grads(lambda a: np.linalg.tensorsolve(a, b, axes=(0,)))(moved)
    t = rng.standard_normal((4, 6, 8, 3)) + numpy.eye(24).reshape(4, 6, 8, 3)
    check_grads(lambda t: np.linalg.tensorinv(t, ind=2))(t)


def test_diagonal_and_trace(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((2, 3, 4))
    check_grads(lambda x: np.linalg.diagonal(x, offset=1))(x)
    check_grads(lambda x: np.linalg.trace(x, offset=-1))(x)
    assert numpy.allclose(np.linalg.trace(x), numpy.linalg.trace(x))


# -- end to end ----------------------------------------------------------------------------


def test_gradient_of_logdet_is_inverse_transpose(rng: numpy.random.Generator) -> None:
    a = spd(rng) + 0.3 * rng.standard_normal((3, 3))  # not symmetric
    expected = numpy.linalg.inv(a).T
    assert numpy.allclose(grad(lambda a: np.linalg.slogdet(a)[1])(a), expected)
    assert numpy.allclose(grad(lambda a: np.linalg.slogdet(a).logabsdet)(a), expected)
    assert numpy.allclose(grad(lambda a: np.log(np.linalg.det(a)))(a), expected)


def test_gradient_of_logdet_through_cholesky_is_symmetric(rng: numpy.random.Generator) -> None:
    a = spd(rng)
    logdet = lambda a: 2 * np.sum(np.log(np.linalg.diagonal(np.linalg.cholesky(a))))  # noqa: E731
    assert numpy.allclose(grad(logdet)(a), numpy.linalg.inv(a))


def test_hessian_of_logdet(rng: numpy.random.Generator) -> None:
    a = spd(rng)
    inverse = numpy.linalg.inv(a)
    expected = -numpy.einsum("jk,li->ijkl", inverse, inverse)  # d2/da2 = -tr(a^-1 E a^-1 F)
    assert numpy.allclose(hessian(lambda a: np.linalg.slogdet(a)[1])(a), expected)


def test_hessian_of_a_quadratic_form_through_solve(rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((3, 3)) + 3 * numpy.eye(3)
    x = rng.standard_normal(3)
    inverse = numpy.linalg.inv(a)
    assert numpy.allclose(hessian(lambda x: x @ np.linalg.solve(a, x))(x), inverse + inverse.T)


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.complex128])
def test_gauge_invariant_functions_of_eigh(dtype, rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((4, 4)).astype(dtype)
    if dtype == numpy.complex128:
        a = a + 1j * rng.standard_normal((4, 4))
    a = a + a.conj().T
    b = rng.standard_normal(4)

    def f(a):
        w, v = np.linalg.eigh(a)
        projector = v[:, 1:2] @ np.conj(v[:, 1:2]).T  # of the second eigenvector
        return np.sum(w**3) + np.real(np.sum(projector * b)) + np.sum(np.abs(v) ** 2 * b)

    check_grads(f)(a)


def test_eigenvector_phase_is_fixed(rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    a = a + a.conj().T
    v = np.linalg.eigh(a)[1]
    peaks = numpy.take_along_axis(v, numpy.argmax(numpy.abs(v), axis=0)[None], axis=0)
    assert numpy.allclose(peaks.imag, 0) and numpy.all(peaks.real > 0)
    assert numpy.allclose((v * np.linalg.eigh(a)[0]) @ v.conj().T, a)
    u, s, vh = np.linalg.svd(a)
    assert numpy.allclose((u * s) @ vh, a)


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.complex128])
def test_complements_of_full_svd_and_complete_qr(dtype, rng: numpy.random.Generator) -> None:
    # Only functions invariant under a change of basis of the complement are differentiable.
    a = rng.standard_normal((5, 3)).astype(dtype)
    if dtype == numpy.complex128:
        a = a + 1j * rng.standard_normal((5, 3))
    c = rng.standard_normal((5, 5))

    def projector(q):
        return np.real(np.sum((q @ np.conj(q).T) * c))

    check_grads(lambda a: projector(np.linalg.svd(a)[0][:, 3:]))(a)
    check_grads(lambda a: projector(np.conj(np.linalg.svd(a.T)[2][3:].T)))(a)
    check_grads(lambda a: projector(np.linalg.qr(a, "complete")[0][:, 3:]))(a)
    check_grads(lambda a: np.sum(np.abs(np.linalg.qr(a, "complete")[1]) ** 2))(a)


def test_complex_slogdet_sign(rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)) + 2 * numpy.eye(3)
    check_grads(lambda a: np.real(np.linalg.slogdet(a)[0]) + np.linalg.slogdet(a)[1])(a)
    check_grads(lambda a: np.imag(np.linalg.slogdet(a).sign), order=1)(a)


def test_named_tuple_fields_at_second_order(rng: numpy.random.Generator) -> None:
    a = spd(rng)
    inv = numpy.linalg.inv(a)
    H = hessian(lambda a: np.linalg.slogdet(a).logabsdet)(a)
    numpy.testing.assert_allclose(H, -numpy.einsum("li,jk->ijkl", inv, inv), rtol=1e-8, atol=1e-10)


def test_raw_numpy_linalg_on_traced_values_dispatches(rng: numpy.random.Generator) -> None:
    a = spd(rng)
    assert numpy.allclose(grad(lambda a: numpy.linalg.det(a))(a), numpy.linalg.det(a) * numpy.linalg.inv(a).T)


def test_what_is_not_differentiable(rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((3, 3))
    assert grad(lambda a: np.linalg.matrix_rank(a) * np.sum(a))(a).shape == (3, 3)
    with pytest.raises(NotDifferentiableError, match="mode='raw'"):
        grad(lambda a: np.sum(np.linalg.qr(a, "raw")[0]))(a)


# -- det at singular matrices --------------------------------------------------------------


def cofactors(a: numpy.ndarray) -> numpy.ndarray:
    """The cofactor matrix by minors: det's gradient, computed without an inverse."""
    n = a.shape[-1]
    minor = lambda i, j: numpy.delete(numpy.delete(a, i, 0), j, 1)  # noqa: E731
    return numpy.array([[(-1) ** (i + j) * numpy.linalg.det(minor(i, j)) for j in range(n)] for i in range(n)])


def det_hessian(a: numpy.ndarray) -> numpy.ndarray:
    """d cofactors / da by central differences: det is a polynomial, so they are accurate."""
    eps, n = 1e-5, a.shape[-1]
    steps = numpy.eye(n * n).reshape(n * n, n, n)
    columns = [(cofactors(a + eps * e) - cofactors(a - eps * e)) / (2 * eps) for e in steps]
    return numpy.stack(columns, -1).reshape(n, n, n, n)


SINGULAR = {
    "2x2 rank 1": numpy.array([[1.0, 2.0], [2.0, 4.0]]),
    "3x3 rank 2": numpy.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
    "3x3 rank 1": numpy.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0]),
    "3x3 zero": numpy.zeros((3, 3)),
    "3x3 regular": numpy.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]),
}


@pytest.mark.parametrize("name", SINGULAR)
def test_det_has_the_cofactor_gradient_at_singular_matrices(name: str) -> None:
    a = SINGULAR[name]
    numpy.testing.assert_allclose(grad(np.linalg.det)(a), cofactors(a), atol=1e-12)
    t = numpy.arange(a.size, dtype=float).reshape(a.shape) - 2
    numpy.testing.assert_allclose(make_jvp(np.linalg.det)(a)(t)[1], numpy.sum(cofactors(a) * t), atol=1e-12)
    numpy.testing.assert_allclose(hessian(np.linalg.det)(a), det_hessian(a), atol=1e-8)


def test_det_gradient_of_a_stack_and_of_complex_singular_matrices() -> None:
    rng = numpy.random.default_rng(0)
    a = numpy.stack([SINGULAR["3x3 rank 2"], SINGULAR["3x3 regular"], SINGULAR["3x3 zero"]])
    got = grad(lambda a: np.sum(np.linalg.det(a)))(a)
    numpy.testing.assert_allclose(got, [cofactors(m) for m in a], atol=1e-12)
    c = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))) @ rng.standard_normal((2, 3))
    vjp, _ = make_vjp(np.linalg.det)(c)
    numpy.testing.assert_allclose(vjp(1.0 + 0j), cofactors(c), atol=1e-12)
    numpy.testing.assert_allclose(make_jvp(np.linalg.det)(c)(c.real)[1], numpy.sum(cofactors(c) * c.real), atol=1e-12)


def test_slogdet_at_a_singular_matrix_says_so() -> None:
    a = SINGULAR["3x3 rank 2"]
    assert np.linalg.slogdet(a).logabsdet == -numpy.inf or abs(np.linalg.det(a)) < 1e-12
    singular = SINGULAR["2x2 rank 1"]  # exactly singular: logabsdet = -inf
    with pytest.raises(numpy.linalg.LinAlgError, match="numpy.linalg.slogdet: the matrix is singular"):
        grad(lambda a: np.linalg.slogdet(a).logabsdet)(singular)
    with pytest.raises(numpy.linalg.LinAlgError, match="numpy.linalg.slogdet: the matrix is singular"):
        make_jvp(lambda a: np.linalg.slogdet(a).logabsdet)(singular)(singular)


# -- Hermitian input ------------------------------------------------------------------------

TRIANGLE = numpy.array([[2.0, 1.0], [0.0, 3.0]])
HERMITIAN_FUNCTIONS = {
    "numpy.linalg.cholesky": lambda a: np.linalg.cholesky(a + 3 * numpy.eye(a.shape[-1])),
    "numpy.linalg.eigh": lambda a: np.linalg.eigh(a, UPLO="U"),
    "numpy.linalg.eigvalsh": np.linalg.eigvalsh,
    "numpy.linalg.svd": lambda a: np.linalg.svd(a, hermitian=True),
    "numpy.linalg.pinv": lambda a: np.linalg.pinv(a, hermitian=True),
}


@pytest.mark.parametrize("name", HERMITIAN_FUNCTIONS)
def test_a_non_hermitian_input_warns_once_at_the_callers_line(name: str) -> None:
    f = HERMITIAN_FUNCTIONS[name]
    stack = numpy.stack([TRIANGLE, TRIANGLE.T, TRIANGLE + TRIANGLE.T])  # once per call, not per matrix
    first = lambda a: np.real(np.sum(f(a)[0]))  # noqa: E731
    reverse = lambda a: grad(first)(a)  # noqa: E731 - and traced, not again in the rules
    forward = lambda a: make_jvp(first)(a)(a)  # noqa: E731
    for a, call in ((TRIANGLE, f), (stack, f), (TRIANGLE + 1j * TRIANGLE.T, f), (TRIANGLE, reverse), (TRIANGLE, forward)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(a)
        assert [type(w.message) for w in caught] == [NotHermitianWarning], name
        assert issubclass(NotHermitianWarning, UserWarning) and caught[0].filename == __file__
        message = str(caught[0].message)
        assert message.startswith(f"{name}: ") and "Hermitian part (a + a^H) / 2" in message
        assert "Pass a Hermitian matrix" in message
        assert "np.tril(a) + np.tril(a, -1).conj().T" in message or "np.triu(a) + np.triu(a, 1).conj().T" in message


def test_the_warning_says_which_triangle_numpy_reads() -> None:
    with pytest.warns(NotHermitianWarning, match=r"upper triangle \(with UPLO='U'\).*np\.triu\(a\)"):
        w = np.linalg.eigvalsh(TRIANGLE, UPLO="U")
    numpy.testing.assert_allclose(w, numpy.linalg.eigvalsh((TRIANGLE + TRIANGLE.T) / 2))
    with pytest.warns(NotHermitianWarning, match=r"lower triangle \(with upper=False\)"):
        np.linalg.cholesky(TRIANGLE.T + numpy.eye(2))


@pytest.mark.parametrize("shape", [(1, 3), (2, 3), (2, 2, 3), (3,), (), (2, 0)])
@pytest.mark.parametrize("name", HERMITIAN_FUNCTIONS)
def test_a_matrix_that_is_not_square_gets_numpys_error(name: str, shape: tuple) -> None:
    # Before the Hermitian part (a + a^H) / 2 is formed, which would broadcast or transpose
    # what NumPy rejects; (2, 0) is empty, and pinv alone accepts it.
    numpy_f = {
        "numpy.linalg.cholesky": numpy.linalg.cholesky,
        "numpy.linalg.eigh": lambda a: numpy.linalg.eigh(a, UPLO="U"),
        "numpy.linalg.eigvalsh": numpy.linalg.eigvalsh,
        "numpy.linalg.svd": lambda a: numpy.linalg.svd(a, hermitian=True),
        "numpy.linalg.pinv": lambda a: numpy.linalg.pinv(a, hermitian=True),
    }[name]
    plugrad_f = {**HERMITIAN_FUNCTIONS, "numpy.linalg.cholesky": np.linalg.cholesky}[name]
    a = numpy.arange(1.0, 1.0 + numpy.prod(shape)).reshape(shape)
    try:
        expected = numpy_f(a)
    except numpy.linalg.LinAlgError as e:
        for call in (plugrad_f, lambda a: make_vjp(lambda a: plugrad_f(a))(a)):
            with pytest.raises(numpy.linalg.LinAlgError) as raised:
                call(a)
            assert str(raised.value) == str(e)
    else:
        assert name == "numpy.linalg.pinv" and numpy.shape(plugrad_f(a)) == numpy.shape(expected)


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64, numpy.complex128])
def test_hermitian_input_does_not_warn_even_with_rounding(dtype) -> None:
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((60, 60)).astype(dtype)
    d = numpy.diag(rng.uniform(1, 2, 60)).astype(dtype)
    a = x @ d @ x.conj().T + numpy.eye(60, dtype=dtype)  # Hermitian up to rounding only
    assert not numpy.array_equal(a, a.conj().T)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotHermitianWarning)
        for f in HERMITIAN_FUNCTIONS.values():
            f(a)
        grad(lambda a: np.real(np.sum(np.linalg.eigvalsh(a) ** 2)))(a)


@pytest.mark.parametrize("scale", [1e-170, 1.0, 1e160])
def test_whether_an_input_is_hermitian_does_not_depend_on_its_scale(scale: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow warnings either
        np.linalg.eigvalsh(numpy.array([[2.0, 1.0], [1.0, 2.0]]) * scale)
        np.linalg.eigvalsh(numpy.zeros((2, 2)))
    with pytest.warns(NotHermitianWarning):
        np.linalg.eigvalsh(numpy.array([[2.0, 1.0], [0.0, 2.0]]) * scale)


def test_a_users_module_named_like_a_pack_is_still_the_users(tmp_path, monkeypatch) -> None:
    (tmp_path / "plugrad_user_model.py").write_text(
        "import plugrad.numpy as np\n\ndef spectrum(a):\n    return np.linalg.eigvalsh(a)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import plugrad_user_model

    with pytest.warns(NotHermitianWarning) as caught:
        plugrad_user_model.spectrum(numpy.array([[2.0, 1.0], [0.0, 2.0]]))
    assert caught[0].filename == str(tmp_path / "plugrad_user_model.py")


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh", "svd", "pinv"])
def test_the_gradient_checker_does_not_warn(name: str) -> None:
    # Its finite differences step off Hermitian matrices: by 1e-3 (float32) at most.
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotHermitianWarning)
        assert check_primitive(lookup(name), full_jacobian=True) > 0


# -- imports -------------------------------------------------------------------------------


def _run(code: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-X", "importtime", "-c", code]
    return subprocess.run(command, capture_output=True, text=True, check=True)


def test_importing_plugrad_numpy_does_not_import_scipy() -> None:
    log = _run("import plugrad.numpy").stderr
    assert "plugrad" in log and "scipy" not in log


def test_importing_the_pack_defines_hooks_only() -> None:
    out = _run(
        "import sys, plugrad_linalg; "
        "print(sorted(m for m in sys.modules if m.startswith(('plugrad_linalg.', 'plugrad_numpy'))))"
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_functions_of_eigenvalues_alone_are_finite_at_repeated_eigenvalues() -> None:
    # The eigenvectors' term is left out when they are not used (inf * 0 would be NaN).
    eye = numpy.eye(3)
    numpy.testing.assert_allclose(grad(lambda a: np.sum(np.linalg.eigh(a)[0]))(eye), eye)
    numpy.testing.assert_allclose(grad(lambda a: np.sum(np.real(np.linalg.eig(a)[0])))(eye), eye)
    a = numpy.diag([1.0, 2.0, 3.0]) + 0.1  # distinct: the full rule still applies
    check_grads(lambda a: np.linalg.eigh(a)[1][0], modes=("rev",), order=1)(a @ a.T)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_second_derivatives_of_eigenvalues_alone_at_repeated_eigenvalues() -> None:
    # Inside a second derivative the eigenvalues' cotangent is traced (here it is w); the
    # eigenvectors' stays plain zeros, as nobody read them, so their infinite term is
    # still left out. f = (1 + a^2) (w0 + w1 + w2), with a triple eigenvalue.
    def f(x: numpy.ndarray, decomposition: str) -> numpy.ndarray:
        a = np.eye(3) * (1.0 + x[0] ** 2)
        if decomposition == "eigh":
            return np.sum(np.linalg.eigh(a)[0] * x[1:])
        return np.sum(np.real(np.linalg.eig(a)[0]) * x[1:])

    x = numpy.array([0.5, 0.2, -0.3, 0.7])
    expected = numpy.zeros((4, 4))
    expected[0, 0] = 2 * numpy.sum(x[1:])
    expected[0, 1:] = expected[1:, 0] = 2 * x[0]
    h = hessian(lambda x: f(x, "eig"))(x)
    numpy.testing.assert_allclose(h, expected, atol=1e-12)
    # eigh's d2f/da2 goes through the eigenvectors' derivative, which does not exist here
    # (NaN, as in autograd); the rest of the Hessian does.
    h = hessian(lambda x: f(x, "eigh"))(x)
    numpy.testing.assert_allclose(h[1:], expected[1:], atol=1e-12)
    v = numpy.array([0.0, 1.0, 2.0, 3.0])
    hvp = plugrad.hessian_vector_product(lambda x: f(x, "eigh"))(x, v)
    numpy.testing.assert_allclose(hvp, expected @ v, atol=1e-12)


def test_a_traced_zero_cotangent_of_eigenvectors_still_counts() -> None:
    # The eigenvectors' cotangent is zero at x = 0 but its derivative is not: the term
    # must stay in the rule, or the second derivative would miss it.
    a = numpy.diag([1.0, 2.0, 3.0]) + 0.1

    def f(x: numpy.ndarray) -> numpy.ndarray:
        v = np.linalg.eigh(a + x[0] * numpy.eye(3)[::-1])[1]
        return np.sum(v[0] * x[1:])

    check_grads(f, modes=("rev",), order=2)(numpy.array([0.0, 0.0, 0.0, 0.0]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("decomposition", ["eigh", "eig", "svd"])
def test_the_vector_of_a_simple_value_beside_a_repeated_pair_has_a_derivative(decomposition: str) -> None:
    # The pair's vectors are unused: their entries of V^T gV are exactly zero, and their
    # infinite 1 / (w_j - w_i) must not make NaN of them (inf * 0) in the whole gradient.
    rng = numpy.random.default_rng(3)
    a = numpy.diag([1.0, 2.0, 1.0])  # (exactly repeated: a rotated one's need not be)
    c = rng.standard_normal(3)

    def f(a: Any) -> Any:
        if decomposition == "svd":
            v = np.linalg.svd(a)[0][:, 0]  # of the largest singular value, 2
        else:
            w, vs = np.linalg.eigh(a) if decomposition == "eigh" else np.linalg.eig(a)
            v = vs[:, int(numpy.argmax(numpy.real(getval(w))))]
        return np.real(np.sum(v * c)) ** 2  # (the vector's sign does not matter)

    g = grad(f)(a)
    assert numpy.all(numpy.isfinite(g))
    for _ in range(3):
        d = rng.standard_normal((3, 3))
        d = d + d.T if decomposition == "eigh" else d
        fd = (f(a + 1e-6 * d) - f(a - 1e-6 * d)) / 2e-6
        numpy.testing.assert_allclose(numpy.sum(g * d), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("full_matrices", [True, False])
def test_functions_of_singular_values_alone_are_finite_where_they_repeat(full_matrices: bool) -> None:
    # svd's U and Vh unused: their terms are left out, as svdvals' rule has none (the
    # nuclear norm at the identity, and at a rank-deficient matrix, whose zero singular
    # value would divide by zero).
    for a in (numpy.eye(3), numpy.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), numpy.array([[2.0, 0, 0], [0, 2, 0]])):
        got = grad(lambda a: np.sum(np.linalg.svd(a, full_matrices=full_matrices)[1]))(a)
        want = grad(lambda a: np.sum(np.linalg.svd(a, compute_uv=False)))(a)
        numpy.testing.assert_array_equal(got, want)
        assert numpy.all(numpy.isfinite(got))
    # ... and inside a second derivative, where the singular values' cotangent is traced.
    x = numpy.array([0.5, 0.2, -0.3, 0.7])
    h = hessian(lambda x: np.sum(np.linalg.svd(np.eye(3) * (1.0 + x[0] ** 2), full_matrices)[1] * x[1:]))(x)
    numpy.testing.assert_allclose(h[1:], numpy.c_[numpy.full(3, 2 * x[0]), numpy.zeros((3, 3))], atol=1e-12)
    # Where U is used, the full rule still applies.
    b = numpy.diag([1.0, 2.0, 3.0]) + 0.1
    check_grads(lambda a: np.linalg.svd(a, full_matrices=full_matrices)[0][0], modes=("rev",), order=1)(b)


@pytest.mark.parametrize("scale", [2.0**-560, 2.0**560])  # about 2.6e-169 and 3.8e168
@pytest.mark.parametrize("dtype", [numpy.float64, numpy.complex128])
def test_singular_vectors_have_derivatives_at_tiny_and_huge_scales(scale: float, dtype) -> None:
    # U and V are invariant under scaling a, so their derivatives scale as 1 / scale: finite
    # where s^2 underflows (s below 1e-154) or overflows (above 1e154), as F = 1 / (s_j^2 - s_i^2)
    # would, making NaN of inf - inf and 1 / 0.
    rng = numpy.random.default_rng(4)
    a, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    if dtype is numpy.complex128:
        a = a + 1j * rng.standard_normal((4, 3))
    w1, w2 = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))

    def f(x: Any) -> Any:  # (|U|^2 and |Vh|^2: no sign or phase to fix)
        u, _, vh = np.linalg.svd(x)
        return np.sum(w1 * np.abs(u) ** 2) + np.sum(w2 * np.abs(vh) ** 2)

    numpy.testing.assert_allclose(grad(f)(a * scale) * scale, grad(f)(a), rtol=1e-9, atol=1e-12)
    jvp = make_jvp(f)(a * scale)(t)[1] * scale
    numpy.testing.assert_allclose(jvp, make_jvp(f)(a)(t)[1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [2.0**-540, 2.0**-1000])  # about 2.8e-163 and 9.3e-302
def test_lstsq_has_derivatives_at_tiny_scales(scale: float) -> None:
    # x = lstsq(a, b) is the same for (scale a, scale b), and its derivative in a scales as
    # 1 / scale: finite, though P P^H, of order 1 / scale^2, is not.
    rng = numpy.random.default_rng(5)
    a, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    b, w = rng.standard_normal(5), rng.standard_normal(3)

    def f(a: Any, s: float) -> Any:
        return np.sum(w * np.linalg.lstsq(a, b * s)[0])

    want = grad(f)(a, 1.0)
    numpy.testing.assert_allclose(grad(f)(a * scale, scale) * scale, want, rtol=1e-9)
    numpy.testing.assert_allclose(make_jvp(f)(a * scale, scale)(t)[1] * scale, numpy.sum(want * t), rtol=1e-9)


EMPTY = [
    ("vector_norm inf", lambda x: np.linalg.vector_norm(x, ord=numpy.inf), (0, 3)),
    ("vector_norm inf, an empty axis", lambda x: np.linalg.vector_norm(x, ord=numpy.inf, axis=-1), (3, 0)),
    ("norm 1", lambda x: np.linalg.norm(x, 1, axis=(-2, -1)), (2, 0, 0)),
    ("norm inf", lambda x: np.linalg.norm(x, numpy.inf, axis=(-2, -1)), (2, 0, 3)),
    ("eigh", lambda x: np.linalg.eigh(x)[1], (2, 0, 0)),
    ("eig", lambda x: np.linalg.eig(x)[1], (0, 0)),
    ("svd", lambda x: np.linalg.svd(x)[0], (3, 0)),
    ("pinv hermitian", lambda x: np.linalg.pinv(x, hermitian=True), (3, 0)),
]


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.complex128])
@pytest.mark.parametrize("f, shape", [case[1:] for case in EMPTY], ids=[case[0] for case in EMPTY])
def test_empty_input_that_numpy_accepts_has_empty_derivatives(f, shape: tuple, dtype) -> None:
    x = numpy.zeros(shape, dtype)
    y = f(x)
    numpy.testing.assert_array_equal(grad(lambda z: np.real(np.sum(f(z))))(x), numpy.zeros(shape, dtype))
    _, t = make_jvp(f)(x)(numpy.ones(shape, dtype))
    assert numpy.shape(t) == numpy.shape(y) and numpy.asarray(t).dtype == numpy.asarray(y).dtype


def test_norm_takes_numpys_f_for_frobenius_with_axes(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((2, 3, 4))
    want = numpy.linalg.norm(x, "f", axis=(0, 2))
    assert numpy.allclose(traced(lambda x: np.linalg.norm(x, "f", axis=(0, 2)), x), want)
    check_grads(lambda x: np.linalg.norm(x, "f", axis=(2, 0), keepdims=True))(x)
