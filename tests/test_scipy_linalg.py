"""The scipy.linalg pack: every primitive through the gradient checker, the composites
through check_grads, and derivatives end to end through ``plugrad.scipy.linalg``."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings

import numpy
import pytest
import scipy.linalg
from plugrad_linalg import NotHermitianWarning

import plugrad
import plugrad.numpy as np
import plugrad.scipy.linalg as sla
from plugrad import Composite, NotDifferentiableError, Primitive, grad
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

PRIMITIVES = [
    "solve", "inv", "det", "solve_triangular", "solve_banded", "solve_sylvester", "cholesky",
    "_cho_solve", "_lu_packed", "_lu_solve", "eigh", "eigvalsh", "expm", "logm", "sqrtm",
]  # fmt: skip
MATFUNCS = ["cosm", "sinm", "tanm", "coshm", "sinhm", "tanhm"]
COMPOSITES = [
    "cho_factor", "cho_solve", "lu", "lu_factor", "lu_solve", "lstsq", "expm_frechet",
    "solve_continuous_lyapunov", *MATFUNCS,
]  # fmt: skip


def lookup(name: str):
    return plugrad.default_registry().lookup(f"scipy.linalg.{name}")


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive) and prim.pack == "scipy_linalg"
    assert check_primitive(prim) > 0


@pytest.mark.parametrize("name", COMPOSITES)
def test_composite_is_registered(name: str) -> None:
    assert isinstance(lookup(name), Composite)


def general(rng: numpy.random.Generator, n: int = 3, complex: bool = False) -> numpy.ndarray:
    a = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if complex else 0)
    return a / numpy.sqrt(2 * n) + 2 * numpy.eye(n)


def spd(rng: numpy.random.Generator, n: int = 3, complex: bool = False) -> numpy.ndarray:
    x = general(rng, n, complex)
    return x @ x.conj().T


def assert_same_derivatives(f, g, args: tuple, rng: numpy.random.Generator) -> None:
    """``f`` and ``g`` have the same value, VJPs and JVPs (along random directions) in each argument."""
    for argnum in range(len(args)):
        vjp_f, y = plugrad.make_vjp(f, argnum)(*args)
        vjp_g, expected = plugrad.make_vjp(g, argnum)(*args)
        assert numpy.allclose(y, expected)
        v, u = plugrad.vspace(y).randn(rng), plugrad.vspace(args[argnum]).randn(rng)
        assert numpy.allclose(vjp_f(v), vjp_g(v))
        assert numpy.allclose(
            plugrad.make_jvp(f, argnum)(*args)(u)[1], plugrad.make_jvp(g, argnum)(*args)(u)[1]
        )


# -- end to end -------------------------------------------------------------------------------


@pytest.mark.parametrize("complex", [False, True])
def test_grad_of_trace_of_expm_is_expm_transposed(complex: bool, rng: numpy.random.Generator) -> None:
    a = general(rng, 3, complex) - 2 * numpy.eye(3)
    g = grad(lambda a: np.real(np.trace(sla.expm(a))))(a)  # expm is holomorphic: no conjugate
    assert numpy.allclose(g, scipy.linalg.expm(a).T)


@pytest.mark.parametrize("complex", [False, True])
def test_sqrtm_squares_to_a_and_its_gradient_matches_finite_differences(complex: bool, rng) -> None:
    a = general(rng, 3, complex)
    root = plugrad.make_vjp(sla.sqrtm)(a)[1]
    assert numpy.allclose(root @ root, a) and numpy.allclose(root, scipy.linalg.sqrtm(a))
    check_grads(lambda a: np.real(np.sum(np.sin(sla.sqrtm(a)))))(a)
    check_grads(lambda a: sla.sqrtm(a) @ sla.sqrtm(a))(a)  # the identity, differentiated


def test_logm_inverts_expm(rng: numpy.random.Generator) -> None:
    a = 0.3 * rng.standard_normal((3, 3))
    check_grads(lambda a: sla.logm(sla.expm(a)), order=1)(a)
    assert numpy.allclose(
        plugrad.jacobian(lambda a: sla.logm(sla.expm(a)))(a), numpy.eye(9).reshape(3, 3, 3, 3)
    )


@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("complex", [False, True])
def test_solve_triangular_agrees_with_solve(trans: int, lower: bool, complex: bool, rng) -> None:
    a, b = general(rng, 3, complex), rng.standard_normal((3, 2))

    def full(a):
        t = np.tril(a) if lower else np.triu(a)
        return [t, t.T, np.conj(t.T)][trans]

    def via_triangular(a, b):
        return sla.solve_triangular(a, b, trans=trans, lower=lower)

    def via_solve(a, b):
        return np.linalg.solve(full(a), b)

    assert_same_derivatives(via_triangular, via_solve, (a, b), rng)


def test_solve_banded_agrees_with_solve(rng: numpy.random.Generator) -> None:
    l, u, n = 1, 2, 5
    ab = 0.3 * rng.standard_normal((l + u + 1, n))
    ab[u] += 2.0
    b = rng.standard_normal((n, 2))

    def full(ab):  # a[i, j] = ab[u + i - j, j] inside the band
        rows = [np.diag(ab[u - k, k:], k) for k in range(1, u + 1)]
        rows += [np.diag(ab[u + k, : n - k], -k) for k in range(l + 1)]
        return sum(rows[1:], rows[0])

    assert_same_derivatives(
        lambda ab, b: sla.solve_banded((l, u), ab, b),
        lambda ab, b: np.linalg.solve(full(ab), b),
        (ab, b),
        rng,
    )


def test_solve_sylvester(rng: numpy.random.Generator) -> None:
    a, b, q = general(rng, 3), general(rng, 2), rng.standard_normal((3, 2))
    x = sla.solve_sylvester(a, b, q)
    assert numpy.allclose(a @ x + x @ b, q)
    check_grads(lambda a, b, q: sla.solve_sylvester(a, b, q), argnum=(0, 1, 2))(a, b, q)


def test_cholesky_is_upper_by_default_as_in_scipy(rng: numpy.random.Generator) -> None:
    a = spd(rng, 3, complex=True)
    upper = sla.cholesky(a)
    assert numpy.allclose(upper, scipy.linalg.cholesky(a)) and numpy.allclose(upper, numpy.triu(upper))
    assert numpy.allclose(sla.cholesky(a, lower=True), numpy.linalg.cholesky(a))
    check_grads(lambda a: sla.cholesky(a))(a)


@pytest.mark.parametrize("lower", [False, True])
def test_cho_factor_then_cho_solve_is_solve(lower: bool, rng: numpy.random.Generator) -> None:
    a, b = spd(rng), rng.standard_normal(3)
    c, flag = sla.cho_factor(a, lower)
    expected_c, _ = scipy.linalg.cho_factor(a, lower)
    assert flag is lower and numpy.allclose(c, expected_c)
    assert numpy.allclose(sla.cho_solve((c, flag), b), numpy.linalg.solve(a, b))

    def f(a, b):
        return sla.cho_solve(sla.cho_factor(a, lower=lower), b)

    check_grads(f, argnum=(0, 1))(a, b)
    # cho_factor reads the Hermitian part: its gradient is that of solve, symmetrized.
    g = grad(lambda a: np.sum(f(a, b)))(a)
    expected = grad(lambda a: np.sum(np.linalg.solve(a, b)))(a)
    assert numpy.allclose(g, (expected + expected.T) / 2)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_factor_then_lu_solve_is_solve(trans: int, rng: numpy.random.Generator) -> None:
    a, b = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)), rng.standard_normal((4, 2))
    lu, piv = sla.lu_factor(a)
    expected_lu, expected_piv = scipy.linalg.lu_factor(a)
    assert numpy.allclose(lu, expected_lu) and numpy.array_equal(piv, expected_piv)

    def f(a, b):
        return sla.lu_solve(sla.lu_factor(a), b, trans=trans)

    def g(a, b):
        return np.linalg.solve([a, a.T, np.conj(a.T)][trans], b)

    assert_same_derivatives(f, g, (a, b), rng)
    check_grads(f, argnum=(0, 1))(a, b)


@pytest.mark.parametrize("options", [{}, {"permute_l": True}, {"p_indices": True}], ids=repr)
def test_lu(options: dict, rng: numpy.random.Generator) -> None:
    a = rng.standard_normal((2, 4, 4)) + 1j * rng.standard_normal((2, 4, 4))
    expected = scipy.linalg.lu(a, **options)
    permutation = []

    def second(a):  # L, or P L with permute_l; keeps the permutation P, or its indices
        out = sla.lu(a, **options)
        permutation.extend(out[:-2])
        return out[-2]

    assert numpy.allclose(plugrad.make_vjp(second)(a)[1], expected[-2])
    if not options.get("permute_l"):
        assert numpy.array_equal(permutation[0], expected[0]) and permutation[0].dtype == expected[0].dtype
    for part in (-2, -1):
        check_grads(lambda a, part=part: sla.lu(a, **options)[part])(a)


def test_lstsq(rng: numpy.random.Generator) -> None:
    a, b = rng.standard_normal((5, 3)), rng.standard_normal(5)
    x, residues, rank, s = plugrad.make_vjp(lambda a: sla.lstsq(a, b))(a)[1]
    expected = scipy.linalg.lstsq(a, b)
    assert numpy.allclose(x, expected[0]) and numpy.allclose(residues, expected[1])
    assert rank == expected[2] and numpy.allclose(s, expected[3])
    for part in (0, 1, 3):
        check_grads(lambda a, part=part: sla.lstsq(a, b)[part])(a)
    check_grads(lambda b: sla.lstsq(a, b)[1])(b)
    wide = plugrad.make_vjp(lambda a: sla.lstsq(a, b[:2]))(a[:2])[1]
    assert numpy.shape(wide[1]) == numpy.shape(scipy.linalg.lstsq(a[:2], b[:2])[1])


@pytest.mark.parametrize("name", MATFUNCS)
@pytest.mark.parametrize("complex", [False, True])
def test_trigonometric_and_hyperbolic_matrix_functions(name: str, complex: bool, rng) -> None:
    a = general(rng, 3, complex) - 1.5 * numpy.eye(3)
    f = getattr(sla, name)
    assert numpy.allclose(plugrad.make_vjp(f)(a)[1], getattr(scipy.linalg, name)(a))
    check_grads(f, order=1)(a)


@pytest.mark.parametrize("name", [n for n in [*COMPOSITES, *PRIMITIVES] if not n.startswith("_")])
def test_arguments_have_scipys_names(name: str) -> None:
    ours = inspect.signature(getattr(sla, name)).parameters.values()
    scipys = inspect.signature(getattr(scipy.linalg, name)).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in ours):  # eigh, eigvalsh: SciPy's keywords, passed on
        ours = [p for p in ours if p.kind is not p.VAR_KEYWORD]
        scipys = [p for p in scipys if p.kind is not p.KEYWORD_ONLY]
    assert [(p.name, p.kind, p.default) for p in ours] == [(p.name, p.kind, p.default) for p in scipys]


@pytest.mark.parametrize("name", MATFUNCS)
def test_matrix_functions_take_a_by_scipys_keyword(name: str, rng: numpy.random.Generator) -> None:
    a = general(rng) - 1.5 * numpy.eye(3)
    f = getattr(sla, name)
    assert numpy.allclose(f(A=a), getattr(scipy.linalg, name)(A=a))
    assert numpy.allclose(grad(lambda a: np.sum(f(A=a)))(a), grad(lambda a: np.sum(f(a)))(a))
    e = rng.standard_normal((3, 3))
    value, frechet = sla.expm_frechet(A=a, E=e)
    assert numpy.allclose(frechet, scipy.linalg.expm_frechet(a, e)[1])
    assert numpy.allclose(
        grad(lambda e: np.sum(sla.expm_frechet(A=a, E=e, compute_expm=False)))(e),
        grad(lambda e: np.sum(sla.expm_frechet(a, e, None, False)))(e),
    )


def test_expm_frechet_and_lyapunov(rng: numpy.random.Generator) -> None:
    a, e = general(rng, 3, complex=True), rng.standard_normal((3, 3))
    value, frechet = plugrad.make_vjp(lambda a: sla.expm_frechet(a, e))(a)[1]
    expected = scipy.linalg.expm_frechet(a, e)
    assert numpy.allclose(value, expected[0]) and numpy.allclose(frechet, expected[1])
    check_grads(lambda a, e: sla.expm_frechet(a, e, compute_expm=False), argnum=(0, 1))(a, e)
    x = plugrad.make_vjp(lambda q: sla.solve_continuous_lyapunov(a, q))(e)[1]
    assert numpy.allclose(x, scipy.linalg.solve_continuous_lyapunov(a, e))
    check_grads(sla.solve_continuous_lyapunov, argnum=(0, 1), order=1)(a, e)


def test_eigh_has_scipys_signature(rng: numpy.random.Generator) -> None:
    a = spd(rng, 4, complex=True)
    w, v = sla.eigh(a)
    assert numpy.allclose(w, scipy.linalg.eigh(a, eigvals_only=True))
    assert numpy.allclose(a @ v, v * w) and numpy.allclose(v.conj().T @ v, numpy.eye(4))
    assert numpy.allclose(sla.eigh(a, eigvals_only=True), w) and numpy.allclose(
        sla.eigvalsh(a, lower=False), w
    )
    check_grads(lambda a: np.abs(sla.eigh(a)[1]))(a)


def test_solve_reads_the_triangle_assume_a_names(rng: numpy.random.Generator) -> None:
    a, b = general(rng), rng.standard_normal(3)
    g = grad(lambda a: np.sum(sla.solve(a, b, assume_a="sym", lower=True)))(a)
    assert numpy.array_equal(numpy.triu(g, 1), numpy.zeros((3, 3)))  # the upper triangle is not read


# -- where plugrad does not differentiate -----------------------------------------------------


def test_non_differentiable_uses_say_why(rng: numpy.random.Generator) -> None:
    a = spd(rng)
    with pytest.raises(NotDifferentiableError, match="standard problem"):
        grad(lambda a: np.sum(sla.eigh(a, numpy.eye(3))[0]))(a)
    with pytest.raises(NotDifferentiableError, match="square"):
        grad(lambda a: np.sum(sla.lu_factor(a)[0]))(rng.standard_normal((3, 4)))
    with pytest.raises(NotDifferentiableError, match="diagonal"):
        grad(lambda a: np.sum(sla.inv(a, assume_a="diagonal")))(a)
    with pytest.raises(NotDifferentiableError):
        grad(lambda piv: np.sum(sla.lu_solve((a, piv), numpy.ones(3))))(numpy.array([0.0, 1.0, 2.0]))


# -- Hermitian input ----------------------------------------------------------------------------

TRIANGLE = numpy.array([[5.0, 1.0], [0.0, 6.0]])  # read as upper and as lower, positive definite
HERMITIAN_FUNCTIONS = {
    "scipy.linalg.cholesky": sla.cholesky,
    "scipy.linalg.cho_factor": lambda a: sla.cho_factor(a, lower=True)[0],
    "scipy.linalg.eigh": lambda a: sla.eigh(a, lower=False)[1],
    "scipy.linalg.eigvalsh": sla.eigvalsh,
}


@pytest.mark.parametrize("name", HERMITIAN_FUNCTIONS)
def test_a_non_hermitian_input_warns_once_in_the_functions_name(name: str) -> None:
    f = HERMITIAN_FUNCTIONS[name]
    reverse = lambda a: grad(lambda a: np.sum(f(a)))(a)  # noqa: E731 - not again in the rules
    for a, call in ((TRIANGLE, f), (TRIANGLE + 1j * TRIANGLE.T, f), (TRIANGLE, reverse)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(a)
        assert [type(w.message) for w in caught] == [NotHermitianWarning], name
        assert caught[0].filename == __file__
        message = str(caught[0].message)
        assert message.startswith(f"{name}: ") and "whereas SciPy reads only its" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotHermitianWarning)
        f(spd(numpy.random.default_rng(0), 40))  # Hermitian up to rounding


@pytest.mark.parametrize("shape", [(1, 3), (2, 3), (2, 2, 3), (3,), (2, 0)])
@pytest.mark.parametrize("name", HERMITIAN_FUNCTIONS)
def test_a_matrix_that_is_not_square_gets_scipys_error(name: str, shape: tuple) -> None:
    # Before the Hermitian part (a + a^H) / 2 is formed, which would broadcast or transpose it.
    a = numpy.arange(1.0, 1.0 + numpy.prod(shape)).reshape(shape)
    scipy_f = getattr(scipy.linalg, name.removeprefix("scipy.linalg."))
    with pytest.raises(ValueError) as expected:
        scipy_f(a)
    f = HERMITIAN_FUNCTIONS[name]
    for call in (f, lambda a: plugrad.make_vjp(f)(a)):
        with pytest.raises(ValueError) as raised:
            call(a)
        assert type(raised.value) is type(expected.value) and str(raised.value) == str(expected.value)


def test_cholesky_of_a_number_is_scipys() -> None:
    # SciPy takes a number as a 1 x 1 matrix (and the square check lets it through).
    assert numpy.array_equal(sla.cholesky(numpy.array(4.0)), scipy.linalg.cholesky(numpy.array(4.0)))
    c, lower = sla.cho_factor(numpy.array(4.0))
    assert numpy.array_equal(c, scipy.linalg.cho_factor(numpy.array(4.0))[0]) and lower is False
    assert numpy.allclose(grad(lambda a: np.sum(sla.cho_factor(a)[0]))(numpy.array(4.0)), 0.25)


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh"])
def test_the_gradient_checker_does_not_warn(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotHermitianWarning)
        assert check_primitive(lookup(name), full_jacobian=True) > 0


# -- imports -----------------------------------------------------------------------------------


def test_importing_the_pack_imports_neither_scipy_nor_its_modules() -> None:
    code = (
        "import sys, plugrad_scipy_linalg\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'plugrad_scipy_linalg.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("part", [np.real, np.imag, lambda x: np.abs(x) ** 2])
def test_second_derivatives_of_logm_at_a_negative_eigenvalue(part) -> None:
    # Rounding splits the block matrices' repeated eigenvalue -2 across logm's branch cut;
    # the rules turn the eigenvalues away from it first. Reverse over reverse was off by
    # 10^8 (and with the imaginary part raised SciPy's "array must not contain infs or NaNs").
    x = numpy.array([[-2.0, 0.3], [0.1, 1.0]])
    f = lambda a: np.sum(part(sla.logm(a)))  # noqa: E731
    g, step, units = grad(f), 1e-6, numpy.eye(4).reshape(4, 2, 2)
    numeric = numpy.array([((g(x + step * u) - g(x - step * u)) / (2 * step)).ravel() for u in units])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SciPy's "logm result may be inaccurate" among them
        reverse = plugrad.hessian(f)(x).reshape(4, 4)
        forward = numpy.array([plugrad.make_jvp(g)(x)(u)[1].ravel() for u in units])
    numpy.testing.assert_allclose(reverse, numeric, atol=1e-8)
    numpy.testing.assert_allclose(forward, numeric, atol=1e-8)
    numpy.testing.assert_allclose(reverse, reverse.T, atol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["logm", "sqrtm"])
def test_a_real_matrix_with_a_complex_logm_or_sqrtm_has_a_real_gradient(name: str) -> None:
    a = numpy.array([[-2.0, 0.3], [0.1, 1.5]])  # a negative eigenvalue: complex output
    weights = numpy.array([[1.0, 2.0], [0.5, -1.0]])
    f = lambda a: np.real(np.sum(getattr(sla, name)(a) * weights))  # noqa: E731
    with plugrad.detect_anomaly():  # which checks each cotangent's dtype against its argument
        g = grad(f)(a)
    assert g.dtype == numpy.float64
    check_grads(f, modes=("rev",), order=1)(a)
    assert grad(f)(a.astype(numpy.float32)).dtype == numpy.float32
