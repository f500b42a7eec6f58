"""The scipy.stats pack: every primitive through the gradient checker, SciPy's values and
signatures through ``plugrad.scipy.stats``, gradients end to end against closed forms and
finite differences, and the promise that importing the pack does not import SciPy."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings

import numpy
import pytest
import scipy.special
import scipy.stats

import plugrad
import plugrad.numpy as np
import plugrad.scipy.stats as st
from plugrad import NotDifferentiableError, Primitive, elementwise_grad, grad, hessian
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

CONTINUOUS = {"norm": 0, "t": 1, "beta": 2, "gamma": 1, "chi2": 1}  # distribution -> shape parameters
KINDS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf")
POISSON = ("pmf", "logpmf", "cdf", "logcdf", "sf", "logsf")
PRIMITIVES = (
    [f"{d}._{k}" for d in CONTINUOUS for k in KINDS]
    + [f"poisson._{k}" for k in POISSON]
    + [f"{d}._{k}" for d in ("multivariate_normal", "dirichlet") for k in ("logpdf", "pdf")]
)


def lookup(name: str) -> object:
    return plugrad.default_registry().lookup(f"scipy.stats.{name}")


def test_every_primitive_is_listed() -> None:
    registered = {p.name for p in plugrad.default_registry().primitives() if p.name.startswith("scipy.stats.")}
    assert registered == {f"scipy.stats.{name}" for name in PRIMITIVES}


def test_every_argument_but_poissons_integers_has_both_rules() -> None:
    arity = {**{d: 3 + n for d, n in CONTINUOUS.items()}, "multivariate_normal": 3, "dirichlet": 2}
    for name in PRIMITIVES:
        prim = lookup(name)
        dist = name.partition(".")[0]
        argnums = (1,) if dist == "poisson" else range(arity[dist])
        assert all(prim.has_vjp(i) and prim.has_jvp(i) for i in argnums), name
    assert not lookup("poisson._pmf").has_vjp(0) and not lookup("poisson._cdf").has_jvp(2)


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


# -- SciPy's values and signatures -------------------------------------------------------

X = numpy.array([-1.5, -0.2, 0.0, 0.3, 0.5, 1.0, 2.5, 7.0])
CASES = {
    "norm": [(0.3, 1.7)],
    "t": [(3.5, 0.3, 1.7), (0.8, 0.0, 1.0)],
    "beta": [(2.0, 3.0, 0.0, 1.0), (0.7, 1.5, -0.2, 2.0)],
    "gamma": [(2.5, 0.0, 1.0), (0.8, -0.5, 2.0)],
    "chi2": [(3.0, 0.0, 1.0), (1.5, 0.2, 0.5)],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dist", CASES)
def test_values_equal_scipys(dist: str, kind: str) -> None:
    ours, theirs = getattr(getattr(st, dist), kind), getattr(getattr(scipy.stats, dist), kind)
    with numpy.errstate(all="ignore"):
        for params in CASES[dist]:
            numpy.testing.assert_allclose(ours(X, *params), theirs(X, *params), rtol=1e-12, atol=1e-300)
        # invalid parameters give NaN, as SciPy's do
        bad = (-1.0,) * (CONTINUOUS[dist] + 2)
        numpy.testing.assert_equal(ours(X, *bad), theirs(X, *bad))


@pytest.mark.parametrize("kind", POISSON)
def test_poisson_values_equal_scipys(kind: str) -> None:
    k = numpy.array([-1, 0, 1, 2.5, 3, 10])
    for mu, loc in ((2.0, 0), (0.7, 1)):
        numpy.testing.assert_allclose(
            getattr(st.poisson, kind)(k, mu, loc), getattr(scipy.stats.poisson, kind)(k, mu, loc), rtol=1e-12
        )


def test_signatures_and_keywords_are_scipys() -> None:
    assert list(inspect.signature(st.t.logpdf).parameters) == ["x", "df", "loc", "scale"]
    assert list(inspect.signature(st.beta.cdf).parameters) == ["x", "a", "b", "loc", "scale"]
    assert st.norm.logpdf(0.4) == pytest.approx(scipy.stats.norm.logpdf(0.4))
    assert st.t.logsf(0.4, df=3.0, scale=2.0) == pytest.approx(scipy.stats.t.logsf(0.4, df=3.0, scale=2.0))
    assert st.poisson.pmf(3, mu=2.0) == pytest.approx(scipy.stats.poisson.pmf(3, mu=2.0))


def test_float32_in_float32_out() -> None:
    x = numpy.array([0.2, 0.5], numpy.float32)
    assert st.norm.logpdf(x, 0.1, 2.0).dtype == numpy.float32
    assert st.t.cdf(x, 3.0).dtype == numpy.float32
    assert st.gamma.logpdf(x, numpy.float32(2.0)).dtype == numpy.float32
    g = grad(lambda s: np.sum(st.beta.logpdf(x, 2.0, 3.0, 0.0, s)))(numpy.float32(1.5))
    assert g.dtype == numpy.float32
    for kind in ("logpdf", "pdf", "cdf", "logsf"):  # of Python floats, a NumPy float64 as SciPy's
        assert type(getattr(st.norm, kind)(0.5)) is type(getattr(scipy.stats.norm, kind)(0.5)) is numpy.float64


def test_importing_the_pack_does_not_import_scipy() -> None:
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "import plugrad_scipy_stats\n"
        "import plugrad.numpy as np\n"
        "np.sin(1.0)\n"
        "assert not [m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')], 'scipy imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- gradients end to end ----------------------------------------------------------------

DATA = numpy.array([0.3, -1.2, 2.0, 0.7, 1.1])


def test_gaussian_log_likelihood_in_loc_and_scale() -> None:
    def nll(loc: object, scale: object) -> object:
        return -np.sum(st.norm.logpdf(DATA, loc, scale))

    loc, scale = 0.4, 1.3
    expected = (-numpy.sum(DATA - loc) / scale**2, len(DATA) / scale - numpy.sum((DATA - loc) ** 2) / scale**3)
    numpy.testing.assert_allclose(grad(nll, (0, 1))(loc, scale), expected, rtol=1e-12)
    # traced loc and scale given as keywords reach the positional primitive
    by_keyword = grad(lambda m, s: -np.sum(st.norm.logpdf(DATA, loc=m, scale=s)), (0, 1))(loc, scale)
    numpy.testing.assert_allclose(by_keyword, expected, rtol=1e-12)
    # the Hessian in loc is n / scale^2
    assert hessian(lambda m: nll(m, scale))(loc) == pytest.approx(len(DATA) / scale**2)


def test_student_t_at_infinite_df_is_the_normal_as_in_scipy() -> None:
    x, df = numpy.array([0.5, -1.0, 2.5]), numpy.array([4.0, numpy.inf, numpy.inf])
    for kind in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        numpy.testing.assert_allclose(getattr(st.t, kind)(x, df, scale=1.5), getattr(scipy.stats.t, kind)(x, df, scale=1.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no NaN made and discarded in the finite df's branch)
        for kind in ("logpdf", "cdf", "logsf"):
            numpy.testing.assert_allclose(  # in x and scale, the normal's derivatives
                elementwise_grad(lambda x: getattr(st.t, kind)(x, numpy.inf))(x),
                elementwise_grad(lambda x: getattr(st.norm, kind)(x))(x),
            )
            ddf = elementwise_grad(lambda d: getattr(st.t, kind)(x, d))(df)
            assert numpy.isfinite(ddf).all() and ddf[1:].tolist() == [0.0, 0.0]  # constant in df there
        assert hessian(lambda x: st.t.logpdf(x, numpy.inf))(0.7) == -1.0
        second = elementwise_grad(elementwise_grad(lambda d: st.t.logpdf(0.5, d)))  # (traced through: no "independent" warning)
        assert second(numpy.array([numpy.inf])).tolist() == [0.0]


def test_student_t_and_gamma_cdfs_in_their_shape_parameters() -> None:
    check_grads(lambda df, s: st.t.cdf(DATA, df, scale=s), argnum=(0, 1))(3.5, 1.2)
    check_grads(lambda a: st.gamma.logsf(numpy.abs(DATA), a), order=1)(1.7)
    check_grads(lambda a, b: st.beta.logcdf(numpy.array([0.2, 0.5, 0.9]), a, b=b), argnum=(0, 1), order=1)(2.0, 1.2)


def test_multivariate_normal_in_mean_and_cov() -> None:
    rng = numpy.random.default_rng(0)
    points = rng.normal(size=(5, 3))
    mean = rng.normal(size=3)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T / 3 + numpy.eye(3)
    numpy.testing.assert_allclose(
        st.multivariate_normal.logpdf(points, mean, cov), scipy.stats.multivariate_normal.logpdf(points, mean, cov)
    )
    check_grads(lambda m, c: st.multivariate_normal.logpdf(points, mean=m, cov=c), argnum=(0, 1))(mean, cov)
    check_grads(lambda x: st.multivariate_normal.pdf(x, mean, cov))(points[0])
    # the closed form: d/dcov = -(S^-1 - u u^T) / 2 summed over the points, u = S^-1 (x - mean)
    inv = numpy.linalg.inv(cov)
    u = (points - mean) @ inv
    expected = -0.5 * (len(points) * inv - u.T @ u)
    numpy.testing.assert_allclose(
        grad(lambda c: np.sum(st.multivariate_normal.logpdf(points, mean, c)))(cov), expected, rtol=1e-10
    )


def test_multivariate_normal_takes_scipys_shapes() -> None:
    x = numpy.array([0.3, -0.4])
    for mean, cov in ((None, 1.0), ([0.1, 0.2], 2.0), ([0.1, 0.2], [1.0, 3.0])):
        assert st.multivariate_normal.logpdf(x, mean, cov) == pytest.approx(
            scipy.stats.multivariate_normal.logpdf(x, mean, cov)
        )
    one_dimensional = numpy.array([0.1, 0.5, 0.9])  # three points of a one-dimensional normal
    numpy.testing.assert_allclose(
        st.multivariate_normal.pdf(one_dimensional, 0.2, 1.5),
        scipy.stats.multivariate_normal.pdf(one_dimensional, 0.2, 1.5),
    )
    check_grads(lambda c: st.multivariate_normal.logpdf(x, [0.0, 0.0], c))(numpy.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="cov must be symmetric positive semidefinite"):  # (SciPy's words)
        st.multivariate_normal.logpdf(x, None, numpy.array([[1.0, 2.0], [2.0, 1.0]]))


def test_multivariate_normal_of_a_singular_cov_raises_scipys_error_and_names_allow_singular() -> None:
    singular = numpy.ones((2, 2))
    with pytest.raises(numpy.linalg.LinAlgError) as scipys:  # (a ValueError too)
        scipy.stats.multivariate_normal.logpdf(numpy.zeros(2), numpy.zeros(2), singular)
    with pytest.raises(type(scipys.value), match=r"cov is singular .* pass allow_singular=True"):
        st.multivariate_normal.logpdf(numpy.zeros(2), numpy.zeros(2), singular)
    assert st.multivariate_normal.logpdf(numpy.zeros(2), numpy.zeros(2), singular, allow_singular=True) == pytest.approx(
        scipy.stats.multivariate_normal.logpdf(numpy.zeros(2), numpy.zeros(2), singular, allow_singular=True)
    )


def _covariance(eigenvalues: list[float], seed: int = 0) -> numpy.ndarray:
    """A symmetric matrix of these eigenvalues, in a random basis."""
    n = len(eigenvalues)
    q, _ = numpy.linalg.qr(numpy.random.default_rng(seed).normal(size=(n, n)))
    cov = (q * eigenvalues) @ q.T
    return numpy.tril(cov) + numpy.tril(cov, -1).T


SCIPY_CUTOFF = 1e6 * numpy.finfo(numpy.float64).eps  # SciPy's zero eigenvalue, relative to the largest


def test_multivariate_normal_refuses_a_cov_that_cholesky_accepts_but_scipy_calls_singular() -> None:
    x = numpy.array([0.1, -0.2, 0.3])
    small = _covariance([1.0, 0.5, 0.5 * SCIPY_CUTOFF])  # the smallest just below SciPy's cut-off
    spread = numpy.geomspace(1.0, 1e3, 100)  # and a larger one, over three orders of magnitude
    spread[0] = 0.5 * SCIPY_CUTOFF * 1e3
    for cov in (small, _covariance(list(spread))):
        numpy.linalg.cholesky(cov)  # (it factors)
        point = numpy.resize(x, len(cov))
        with pytest.raises(numpy.linalg.LinAlgError, match="symmetric positive definite"):
            scipy.stats.multivariate_normal.logpdf(point, None, cov)
        for kind in ("logpdf", "pdf"):
            singular = rf"multivariate_normal.{kind}: cov is singular by SciPy's criterion: .*allow_singular"
            with pytest.raises(numpy.linalg.LinAlgError, match=singular):
                getattr(st.multivariate_normal, kind)(point, None, cov)
        # allow_singular=True: SciPy's density on the range of cov, zero off it
        inside = cov @ point  # (in the range of cov, up to SciPy's tolerance)
        for at in (point, inside):
            for kind in ("logpdf", "pdf"):
                ours = getattr(st.multivariate_normal, kind)(at, None, cov, allow_singular=True)
                scipys = getattr(scipy.stats.multivariate_normal, kind)(at, None, cov, allow_singular=True)
                assert ours == pytest.approx(scipys, rel=1e-9)
        assert numpy.isfinite(st.multivariate_normal.logpdf(inside, None, cov, allow_singular=True))
        assert st.multivariate_normal.logpdf(point, None, cov, allow_singular=True) == -numpy.inf


def test_multivariate_normal_refuses_an_indefinite_cov_with_scipys_value_error_at_scipys_cut_off() -> None:
    cov = _covariance([1.0, 0.5, -3 * SCIPY_CUTOFF])  # (below minus the cut-off, by far more than rounding)
    for allow in (False, True):
        with pytest.raises(ValueError) as scipys:
            scipy.stats.multivariate_normal.logpdf(numpy.zeros(3), None, cov, allow_singular=allow)
        with pytest.raises(ValueError, match="logpdf: cov must be symmetric positive semidefinite") as ours:
            st.multivariate_normal.logpdf(numpy.zeros(3), None, cov, allow_singular=allow)
        assert type(ours.value) is type(scipys.value) is ValueError  # (not a LinAlgError)


def test_multivariate_normal_of_a_well_conditioned_cov_is_scipys_without_an_eigenvalue_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import plugrad_scipy_stats.multivariate as multivariate

    def no_eigenvalues(*args: object) -> None:
        raise AssertionError("the eigenvalue test ran for a cov its Cholesky factor settles")

    rng = numpy.random.default_rng(1)
    covs = [
        _covariance([2.0, 1.0, 0.3]),
        _covariance(list(numpy.geomspace(1.0, 1e3, 100))),  # (one more factorization settles it)
        numpy.array([[2.5]]),
    ]
    monkeypatch.setattr(multivariate, "_Spectrum", no_eigenvalues)
    for cov in covs:
        x = rng.normal(size=(4, len(cov)))
        mean = rng.normal(size=len(cov))
        for kind in ("logpdf", "pdf"):
            numpy.testing.assert_allclose(
                getattr(st.multivariate_normal, kind)(x, mean, cov),
                getattr(scipy.stats.multivariate_normal, kind)(x, mean, cov),
                rtol=1e-9,
            )
    points = rng.normal(size=(4, 3))  # (derivatives through the same path)
    logpdf = lambda m, c: st.multivariate_normal.logpdf(points, m, c)  # noqa: E731
    check_grads(logpdf, argnum=(0, 1))(numpy.zeros(3), covs[0])


def test_multivariate_normal_refuses_a_cov_of_nan_or_inf_without_allow_singular_too() -> None:
    for cov in ([[1.0, numpy.nan], [numpy.nan, 1.0]], [[numpy.inf, 0.0], [0.0, 1.0]]):
        with pytest.raises(ValueError):
            scipy.stats.multivariate_normal.logpdf(numpy.zeros(2), None, numpy.array(cov))
        with pytest.raises(ValueError, match=r"multivariate_normal.logpdf: cov must contain only finite"):
            st.multivariate_normal.logpdf(numpy.zeros(2), None, numpy.array(cov))


def test_multivariate_normal_tells_a_singular_cov_by_scipys_float64_cut_off_whatever_its_dtype() -> None:
    # SciPy casts cov to float64 before its eigenvalue test: variances 1 and 1e-5 are not
    # singular for it in float32 either (float32's own cut-off, 1e3 epsilons, would say they are)
    cov = numpy.diag([1.0, 1e-5]).astype(numpy.float32)
    x = numpy.array([0.1, 0.001], numpy.float32)
    assert st.multivariate_normal.logpdf(x, None, cov, allow_singular=True) == pytest.approx(
        scipy.stats.multivariate_normal.logpdf(x, None, cov, allow_singular=True), rel=1e-6
    )
    assert st.multivariate_normal.entropy(None, cov) == pytest.approx(
        scipy.stats.multivariate_normal.entropy(None, cov), rel=1e-6
    )


def test_multivariate_normal_takes_a_cov_of_booleans_integers_or_float16_in_float64_as_scipy_does() -> None:
    # (True + True is True: a boolean cov's symmetric part was 0.5 I; LAPACK has no float16)
    x = numpy.array([0.3, -0.2])
    for cov in (numpy.eye(2, dtype=bool), 2 * numpy.eye(2, dtype=int), numpy.array([[2.0, 0.5], [0.5, 1.0]], numpy.float16)):
        assert st.multivariate_normal.logpdf(x, None, cov) == pytest.approx(scipy.stats.multivariate_normal.logpdf(x, None, cov), rel=1e-12)


def test_multivariate_normal_of_a_cov_near_the_largest_float_is_scipys() -> None:
    cov = numpy.diag([1e308, 1e308])  # (cov + cov^T overflows: halved first)
    for allow_singular in (False, True):
        got = st.multivariate_normal.logpdf(numpy.zeros(2), None, cov, allow_singular=allow_singular)
        assert got == pytest.approx(scipy.stats.multivariate_normal.logpdf(numpy.zeros(2), None, cov), rel=1e-12)


def test_multivariate_normal_refuses_a_cov_of_nan_or_inf_as_scipy_does() -> None:
    for bad in (numpy.nan, numpy.inf):
        cov = numpy.array([[1.0, bad], [bad, 1.0]])
        with pytest.raises(ValueError):
            scipy.stats.multivariate_normal.logpdf(numpy.zeros(2), None, cov, allow_singular=True)
        with pytest.raises(ValueError, match=r"multivariate_normal.logpdf: cov must contain only finite numbers"):
            st.multivariate_normal.logpdf(numpy.zeros(2), None, cov, allow_singular=True)
        with pytest.raises(ValueError, match=r"multivariate_normal.entropy: cov must contain only finite numbers"):
            st.multivariate_normal.entropy(None, cov)


def test_multivariate_normal_of_a_cov_that_is_not_symmetric_warns_that_scipy_reads_its_lower_triangle() -> None:
    from plugrad_linalg import NotHermitianWarning

    upper = numpy.array([[2.0, 0.3], [0.0, 1.0]])  # one triangle: SciPy reads [[2, 0], [0, 1]]
    for call in (
        lambda c: st.multivariate_normal.logpdf(numpy.array([0.5, 0.5]), numpy.zeros(2), c),
        lambda c: st.multivariate_normal.entropy(numpy.zeros(2), c),
    ):
        with pytest.warns(NotHermitianWarning, match=r"multivariate_normal: .*SciPy reads only its lower triangle"):
            call(upper)
        with pytest.warns(NotHermitianWarning):  # (differentiated too)
            grad(call)(upper)
    scaled = numpy.array([[100.0, 0.0], [0.9, 0.01]])  # a correlation of 0.9, against variances far apart
    with pytest.warns(NotHermitianWarning):
        st.multivariate_normal.logpdf(numpy.array([0.5, -0.2]), numpy.zeros(2), scaled)
    symmetric = numpy.array([[2.0, 0.3], [0.3 + 1e-12, 1.0]])  # rounding does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st.multivariate_normal.logpdf(numpy.array([0.5, 0.5]), numpy.zeros(2), symmetric)


def test_dirichlet_with_the_last_component_implied() -> None:
    x, alpha = numpy.array([[0.2, 0.1], [0.3, 0.6]]), numpy.array([1.5, 2.0, 3.0])
    numpy.testing.assert_allclose(st.dirichlet.logpdf(x, alpha), scipy.stats.dirichlet.logpdf(x, alpha))
    check_grads(lambda x, a: st.dirichlet.logpdf(x, a), argnum=(0, 1))(x, alpha)
    check_grads(lambda a: st.dirichlet.pdf(numpy.array([0.2, 0.3, 0.5]), a))(alpha)
    with pytest.raises(ValueError, match="simplex"):
        st.dirichlet.logpdf(numpy.array([0.2, 0.3, 0.6]), alpha)


def test_poisson_in_mu_and_not_in_k() -> None:
    k = numpy.array([0.0, 1.0, 4.0])
    numpy.testing.assert_allclose(grad(lambda mu: np.sum(st.poisson.logpmf(k, mu)))(2.0), numpy.sum(k / 2.0 - 1))
    check_grads(lambda mu: st.poisson.logcdf(k, mu))(2.0)
    with pytest.raises(NotDifferentiableError, match="poisson"):
        grad(lambda k: st.poisson.pmf(k, 2.0))(1.0)


def test_lists_of_traced_values_as_parameters() -> None:
    alpha = [1.5, 2.0, 2.5]
    x = numpy.array([0.2, 0.3, 0.5])
    expected = numpy.log(x) + scipy.special.digamma(sum(alpha)) - scipy.special.digamma(alpha)
    numpy.testing.assert_allclose(grad(lambda a: st.dirichlet.logpdf(x, a))(alpha), expected)
    assert grad(lambda m: np.sum(st.norm.logpdf(numpy.array([0.1, 0.2]), [m, 0.0])))(0.3) == pytest.approx(-0.2)
    assert grad(lambda m: st.multivariate_normal.logpdf(numpy.array([0.1, 0.2]), [m, 0.0]))(0.3) == pytest.approx(-0.2)


def test_a_distribution_no_pack_registers_passes_plain_calls_through() -> None:
    assert st.expon.logpdf(1.0) == scipy.stats.expon.logpdf(1.0)
    with pytest.raises(NotDifferentiableError, match="scipy.stats.expon.logpdf is not differentiable"):
        grad(lambda x: st.expon.logpdf(x))(1.0)


def test_a_pole_of_a_python_float_gives_numpys_value_not_zero_division() -> None:
    import warnings

    import plugrad.scipy.stats as pst

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own, at the pole
        for a in (1.0, 2.0):
            at_float = plugrad.grad(lambda x: pst.gamma.logpdf(x, a))(0.0)
            at_float64 = plugrad.grad(lambda x: pst.gamma.logpdf(x, a))(numpy.float64(0.0))
            assert numpy.array_equal(at_float, at_float64, equal_nan=True)
        # scale 0 with Python floats: SciPy's nan for the value, and no ZeroDivisionError in
        # the value or any derivative, as with float64 scalars
        for family, shapes in (("norm", ()), ("t", (3.0,)), ("gamma", (2.0,)), ("beta", (2.0, 3.0))):
            for kind in ("pdf", "logpdf", "cdf", "logsf"):
                fun = getattr(getattr(pst, family), kind)
                args = (1.0, *shapes, 0.0, 0.0)
                assert numpy.isnan(fun(*args)) and numpy.isnan(getattr(getattr(scipy.stats, family), kind)(*args))
                for i in range(len(args)):
                    at = lambda v: fun(*args[:i], v, *args[i + 1 :])  # noqa: E731
                    at_float = plugrad.grad(at)(args[i])
                    assert numpy.isnan(at_float)  # as the value (no 0 from outside a bounded support)
                    assert numpy.array_equal(at_float, plugrad.grad(at)(numpy.float64(args[i])), equal_nan=True)


def test_an_error_about_a_stats_function_names_the_function_the_user_called() -> None:
    import plugrad.scipy.stats as pst

    with pytest.raises(
        NotDifferentiableError,
        match=r"^scipy.stats.poisson.logpmf \(primitive scipy.stats.poisson._logpmf, pack scipy_stats\) has no VJP for argument 0 \(k\)",
    ):
        grad(lambda k: pst.poisson.logpmf(k, 2.0))(1.0)


def test_t_logpdf_derivatives_in_df_keep_their_digits_as_df_grows() -> None:
    # Each is O(1/df^2), from O(1/df) terms that cancel: at df = 1e7 the plain sum kept no
    # digit. Values from mpmath at 60 digits.
    expected = {  # (x, df): (d/d df, d^2/d df^2) of log t.pdf(x, df)
        (0.5, 1e7): (3.5937499739583215e-15, -7.1874999218749525e-22),
        (3.0, 1e7): (-1.549997975002096e-13, 3.099993925008384e-20),
        (0.5, 12.0): (0.0024749424847392103, -0.00041030609355450864),
        (0.5, 17.0): (0.0012368000427359873, -0.00014502915122346389),  # the series from df = 16
        (2.0, 40.0): (-0.0009079795785045735, 4.1262621623352539e-5),
        (0.1, 300.0): (2.8330382843548e-6, -1.8886812888333553e-8),
    }
    for (x, df), derivatives in expected.items():
        g = lambda d, x=x: st.t.logpdf(x, d)
        for want in derivatives:
            g = grad(g)
            assert g(df) == pytest.approx(want, rel=1e-12)


def test_norm_log_cdf_and_sf_derivatives_keep_their_digits_in_the_far_tail() -> None:
    # d/dz log Phi(z) by Mills' ratio, as log_ndtr's own rule: exp(logpdf - logcdf) cancels.
    for z, second in ((-40.0, -0.9993773316214086), (-1000.0, -0.9999990000059999)):
        assert grad(grad(st.norm.logcdf))(z) == pytest.approx(second, rel=1e-14)
        assert grad(grad(st.norm.logsf))(-z) == pytest.approx(second, rel=1e-14)
    assert grad(st.norm.logcdf)(-1e4) == pytest.approx(10000.0001, rel=1e-14)


def test_derivatives_at_the_edge_of_the_support_where_a_shape_is_one() -> None:
    # gamma(a=1) is the exponential distribution, chi2(2) one too, beta(1, b) a power law:
    # (a - 1) log x and (a - 1) / x are 0 there, not 0 * -inf and 0 / 0.
    import plugrad.scipy.special as sp

    cases = [
        (grad(lambda x: sp.gammainc(1.0, x)), 0.0, 1.0),
        (grad(lambda x: sp.betainc(1.0, 2.0, x)), 0.0, 2.0),
        (grad(lambda x: sp.betainc(2.0, 1.0, x)), 1.0, 2.0),
        (grad(lambda x: st.gamma.logpdf(x, 1.0)), 0.0, -1.0),
        (grad(lambda x: st.gamma.pdf(x, 1.0)), 0.0, -1.0),
        (grad(lambda x: st.chi2.logpdf(x, 2.0)), 0.0, -0.5),
        (grad(lambda x: st.beta.logpdf(x, 1.0, 3.0)), 0.0, -2.0),
        (grad(lambda s: st.gamma.logpdf(0.5, 1.0, loc=0.5, scale=s)), 2.0, -0.5),
        (grad(lambda mu: st.poisson.logpmf(0, mu)), 0.0, -1.0),
        (grad(lambda y: sp.xlogy(0.0, y)), 0.0, 0.0),
        (grad(grad(lambda d: st.t.cdf(0.0, d))), 5.0, 0.0),  # (the cdf is 1/2 at 0 for every df)
    ]
    for derivative, at, want in cases:
        assert derivative(at) == want


def test_mixed_second_derivatives_where_a_shape_is_one() -> None:
    # The log-densities' (a - 1) / z terms at a = 1: 0, with derivative 1 / z in a.
    assert grad(lambda a: grad(lambda x: st.gamma.logpdf(x, a))(0.5))(1.0) == pytest.approx(2.0, rel=1e-15)
    assert grad(lambda d: grad(lambda x: st.chi2.logpdf(x, d))(0.5))(2.0) == pytest.approx(1.0, rel=1e-15)
    assert grad(lambda a: grad(lambda x: st.beta.logpdf(x, a, 3.0))(0.5))(1.0) == pytest.approx(2.0, rel=1e-15)



def test_t_cdf_derivative_in_df_for_small_df_against_mpmath() -> None:
    # Below df = 0.1 the density is too narrow for the quadrature from 0 to z but where z is
    # small: the closed form serves there (a 40-node rule was 6e-5 off at df = 1e-4, z = 1.5).
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40

    def exact(z: float, df: float) -> float:
        half = lambda d: mp.betainc(d / 2, mp.mpf(1) / 2, 0, d / (d + mp.mpf(z) ** 2), regularized=True)  # noqa: E731
        return float(-mp.sign(z) * mp.diff(half, mp.mpf(df)) / 2)

    z, df = numpy.meshgrid([1e-3, 0.1, 0.11, 0.7, 1.5, -0.3, 5.0], [1e-4, 1e-2, 0.099, 0.1, 1.0])
    got = elementwise_grad(lambda d: st.t.cdf(z, d))(df)
    want = numpy.vectorize(exact)(z, df)
    numpy.testing.assert_allclose(got, want, rtol=1e-13)


def test_gamma_and_chi2_logpdf_derivatives_near_the_mode_of_a_large_shape() -> None:
    # (a - 1) / z - 1 and log(z) - digamma(a) are small differences of large terms there: the
    # plain forms kept 5e-9 and 8e-8 of themselves at z = a = 1e8. Values from mpmath at 50 digits.
    a = 1e8
    for logpdf, want in (
        (st.gamma.logpdf, (-1e-08, 5.0000000083333336e-09, 0.00010000000033331667)),
        (st.chi2.logpdf, (-1e-08, 5.000000016666667e-09, 5.000250016667084e-05)),
    ):
        got = (grad(logpdf, 0)(a, a), grad(logpdf, 1)(a, a), grad(logpdf, 1)(a + 1e4, a))
        numpy.testing.assert_allclose(got, want, rtol=1e-13)


def test_poisson_derivatives_at_a_large_mean_and_where_the_mass_is_zero() -> None:
    # d log p / d mu = (k - mu) / mu exactly near the mode (k / mu - 1 kept 1e-7 of itself at
    # mu = 1e10); d p / d mu = p(k - 1) - p(k) where p(k) is 0 (mu = 0, an underflow), not 0 * inf.
    assert grad(lambda m: st.poisson.logpmf(1e10 + 1, m))(1e10) == pytest.approx(1e-10, rel=1e-14)
    assert grad(lambda m: st.poisson.logpmf(1e10 + 3e5, m))(1e10) == pytest.approx(3e-5, rel=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = [grad(lambda m, k=k: st.poisson.pmf(k, m))(mu) for k, mu in ((0, 0.0), (1, 0.0), (3, 0.0), (3, 1e-320))]
    assert got == [-1.0, 1.0, 0.0, 0.0]
