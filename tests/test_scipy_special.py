"""The scipy.special pack: every primitive through the gradient checker, gradients end to
end through ``plugrad.scipy.special``, the arguments left without a derivative, and the
promise that importing plugrad does not import SciPy."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy
import pytest
import scipy.special

import plugrad
import plugrad.numpy as np
import plugrad.scipy.special as sp
from plugrad import NotDifferentiableError, Primitive, elementwise_grad, grad, hessian, jacobian
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

PRIMITIVES = [
    # gamma.py
    "gamma", "gammaln", "loggamma", "rgamma", "digamma", "psi", "polygamma", "multigammaln",
    "beta", "betaln", "poch", "binom", "zeta", "zetac", "_zeta_ds",
    # exponential.py
    "expm1", "log1p", "exp2", "exp10", "cbrt", "cosm1", "sindg", "cosdg", "tandg", "cotdg",
    "exprel", "_phi", "exp1", "expi", "expn", "lambertw",
    # erf.py
    "erf", "erfc", "erfcx", "erfi", "dawsn", "wofz", "erfinv", "erfcinv", "ndtr", "log_ndtr", "_mills", "_mills_gap",
    "ndtri", "ndtri_exp", "owens_t",
    # logistic.py
    "expit", "logit", "log_expit", "softmax", "log_softmax", "_logsumexp",
    # information.py
    "_xdivy", "xlogy", "xlog1py", "entr", "rel_entr", "kl_div", "huber", "pseudo_huber", "boxcox",
    "boxcox1p", "inv_boxcox", "inv_boxcox1p",
    # incomplete.py
    "gammainc", "gammaincc", "gammaincinv", "gammainccinv", "_gammainc_da", "betainc",
    "betaincc", "betaincinv", "betainccinv", "_betainc_dab",
    # bessel.py
    "jv", "jn", "jve", "yv", "yn", "yve", "j0", "j1", "y0", "y1", "iv", "ive", "kv", "kve",
    "i0", "i1", "i0e", "i1e", "k0", "k1", "k0e", "k1e", "hankel1", "hankel2", "hankel1e",
    "hankel2e", "struve", "modstruve", "spherical_jn", "spherical_yn", "spherical_in",
    "spherical_kn",
    # hypergeometric.py
    "hyp0f1", "hyp1f1", "hyperu", "hyp2f1", "ellipk", "ellipe", "ellipkm1", "spence",
]  # fmt: skip


def lookup(name: str) -> object:
    return plugrad.default_registry().lookup(f"scipy.special.{name}")


def test_every_primitive_is_listed() -> None:
    primitives = plugrad.default_registry().primitives()
    registered = {p.name for p in primitives if p.name.startswith("scipy.special.")}
    assert registered == {f"scipy.special.{name}" for name in PRIMITIVES}


def test_at_least_seventy_public_primitives_with_both_modes() -> None:
    def both_modes(prim: Primitive) -> bool:
        return any(prim.has_vjp(i) and prim.has_jvp(i) for i in range(5))

    public = [name for name in PRIMITIVES if not name.startswith("_")]
    assert len([name for name in public if both_modes(lookup(name))]) >= 70


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


# -- end to end --------------------------------------------------------------------------

X = numpy.array([0.3, 1.5, 4.0])


def test_grad_of_gammaln_is_digamma() -> None:
    numpy.testing.assert_allclose(grad(lambda x: np.sum(sp.gammaln(x)))(X), scipy.special.digamma(X))
    numpy.testing.assert_allclose(grad(grad(sp.gammaln))(1.5), scipy.special.polygamma(1, 1.5))


def test_polygamma_climbs_in_order() -> None:
    third = grad(grad(grad(lambda x: sp.polygamma(1, x))))
    numpy.testing.assert_allclose(third(2.0), scipy.special.polygamma(4, 2.0))


def test_logsumexp_with_weights_and_axis() -> None:
    a = numpy.random.default_rng(0).standard_normal((2, 3))
    b = numpy.array([0.5, 1.0, 2.0])
    weights = b * numpy.exp(a - scipy.special.logsumexp(a, axis=1, b=b, keepdims=True))
    numpy.testing.assert_allclose(grad(lambda a: np.sum(sp.logsumexp(a, axis=1, b=b)))(a), weights)
    check_grads(lambda a, b: sp.logsumexp(a, axis=1, b=b), argnum=(0, 1))(a, b)
    check_grads(lambda b: sp.logsumexp(a, axis=0, b=b, keepdims=True))(numpy.ones((2, 3)))
    check_grads(lambda a: sp.logsumexp(a))(a)


def test_logsumexp_return_sign() -> None:
    a = numpy.array([0.1, 0.7, -0.4])
    b = numpy.array([-1.0, -2.0, 0.5])
    out, sign = sp.logsumexp(a, b=b, return_sign=True)
    assert sign == -1.0
    numpy.testing.assert_allclose(out, numpy.log(-numpy.sum(b * numpy.exp(a))))
    check_grads(lambda a, b: sp.logsumexp(a, b=b, return_sign=True)[0], argnum=(0, 1))(a, b)


def test_softmax_jacobian_is_diag_minus_outer() -> None:
    s = scipy.special.softmax(X)
    jac = jacobian(sp.softmax)(X)
    numpy.testing.assert_allclose(jac, numpy.diag(s) - numpy.outer(s, s), atol=1e-15)
    numpy.testing.assert_allclose(jac, jac.T)
    numpy.testing.assert_allclose(jac.sum(axis=0), 0.0, atol=1e-15)
    log_jac = jacobian(sp.log_softmax)(X)
    numpy.testing.assert_allclose(log_jac, numpy.eye(3) - s[None, :], atol=1e-15)


def test_softmax_along_an_axis() -> None:
    x = numpy.random.default_rng(1).standard_normal((2, 3))
    check_grads(lambda x: sp.softmax(x, axis=1) * numpy.arange(3.0))(x)
    check_grads(lambda x: sp.log_softmax(x, axis=0)[0])(x)


def test_incomplete_gamma_and_beta_in_their_parameters() -> None:
    check_grads(lambda a: sp.gammainc(a, 2.0))(1.3)
    check_grads(lambda a: sp.gammaincc(a, 9.0))(1.3)  # Q by quadrature
    check_grads(lambda a, b: sp.betainc(a, b, 0.7), argnum=(0, 1))(1.5, 2.5)
    check_grads(lambda a, y: sp.betaincinv(a, 2.0, y), argnum=(0, 1))(1.5, 0.3)
    h = hessian(lambda ab: sp.betainc(ab[0], ab[1], 0.4))(numpy.array([1.5, 2.5]))
    numpy.testing.assert_allclose(h, h.T)


def test_hurwitz_zeta_in_both_arguments() -> None:
    numpy.testing.assert_allclose(grad(sp.zeta, 1)(3.0, 1.5), -3.0 * scipy.special.zeta(4.0, 1.5))
    check_grads(sp.zeta, argnum=(0, 1))(2.5, 1.5)
    check_grads(sp.zeta)(2.5)


def test_lambertw_is_complex_but_its_real_part_differentiates() -> None:
    w = scipy.special.lambertw(X).real
    numpy.testing.assert_allclose(elementwise_grad(lambda x: np.real(sp.lambertw(x)))(X), w / (X * (1 + w)))


def test_box_cox_near_zero_lambda() -> None:
    # d/dl boxcox(x, l) at l = 0 is log(x)^2 / 2, with no cancellation.
    numpy.testing.assert_allclose(grad(sp.boxcox, 1)(2.0, 0.0), numpy.log(2.0) ** 2 / 2, rtol=1e-14)
    numpy.testing.assert_allclose(grad(sp.boxcox, 1)(2.0, 1e-9), numpy.log(2.0) ** 2 / 2, rtol=1e-8)


def test_float32_in_float32_out() -> None:
    x = X.astype(numpy.float32)
    assert grad(lambda x: np.sum(sp.polygamma(1, x)))(x).dtype == numpy.float32
    assert grad(lambda x: np.sum(sp.expit(x)))(x).dtype == numpy.float32


# -- poles at Python numbers -------------------------------------------------------------

# A Python float's 1 / 0.0 raises where a float64 gives inf or nan: each rule must give the latter.
POLES = [
    (sp.logit, 0.0),
    (sp.logit, 1.0),
    (lambda x: sp.xlogy(x, x), 0.0),
    (lambda y: sp.xlogy(2.0, y), -0.0),
    (lambda y: sp.xlog1py(1.0, y), -1.0),
    (lambda x: sp.kl_div(x, x), 0.0),
    (lambda y: sp.kl_div(1.0, y), 0.0),
    (lambda x: sp.rel_entr(x, x), 0.0),
    (lambda y: sp.rel_entr(1.0, y), 0.0),
    (lambda d: sp.pseudo_huber(d, 1.0), 0.0),
    (sp.log1p, -1.0),
    (lambda z: sp.spherical_jn(1, z), 0.0),  # its second derivative divides by z
]
POLE_IDS = ["logit 0", "logit 1", "xlogy x x", "xlogy y", "xlog1py", "kl_div x x", "kl_div y",
            "rel_entr x x", "rel_entr y", "pseudo_huber", "log1p", "spherical_jn"]  # fmt: skip


@pytest.mark.parametrize("fun, at", POLES, ids=POLE_IDS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_poles_at_python_floats_give_what_float64_gives(fun: Any, at: float) -> None:
    for derivative in (grad(fun), lambda x: plugrad.make_jvp(fun)(x)(1.0)[1], elementwise_grad(grad(fun))):
        numpy.testing.assert_equal(derivative(at), derivative(numpy.float64(at)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_poles_at_python_complex_numbers_give_what_complex128_gives() -> None:
    dlog1p = plugrad.holomorphic_grad(sp.log1p)
    numpy.testing.assert_equal(dlog1p(-1 + 0j), dlog1p(numpy.complex128(-1 + 0j)))
    dxlogy = plugrad.holomorphic_grad(lambda y: sp.xlogy(1 + 0j, y))
    numpy.testing.assert_equal(dxlogy(0j), dxlogy(numpy.complex128(0j)))


# -- what is not differentiable ----------------------------------------------------------


@pytest.mark.parametrize(
    "fun",
    [
        lambda n: sp.polygamma(n, 1.5),
        lambda v: sp.jv(v, 1.5),
        lambda v: sp.kv(v, 1.5),
        lambda a: sp.hyp1f1(a, 2.0, 0.5),
        lambda k: sp.expn(k, 0.5),
    ],
    ids=["polygamma order", "jv order", "kv order", "hyp1f1 parameter", "expn order"],
)
def test_orders_and_parameters_have_no_rule(fun: object) -> None:
    with pytest.raises(NotDifferentiableError, match="has no VJP for argument 0"):
        grad(fun)(1.0)


def test_gammasgn_is_not_differentiable_but_accepts_traced_values() -> None:
    assert grad(lambda x: sp.gammasgn(x) * x)(-0.5) == -1.0


def test_unregistered_functions_pass_through() -> None:
    numpy.testing.assert_allclose(sp.airy(0.5)[0], scipy.special.airy(0.5)[0])
    with pytest.raises(NotDifferentiableError, match="scipy.special.airy"):
        grad(lambda x: sp.airy(x)[0])(0.5)


# -- laziness ----------------------------------------------------------------------------


def test_importing_plugrad_and_the_pack_does_not_import_scipy() -> None:
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "import plugrad_scipy_special\n"
        "import plugrad.numpy as np\n"
        "np.sin(1.0)\n"
        "assert not [m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')], 'scipy imported'\n"
    )
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    imported = [line.rpartition("|")[2].strip() for line in lines]
    assert not [m for m in imported if m == "scipy" or m.startswith("scipy.")]


def test_scaled_bessel_functions_at_complex_arguments_match_finite_differences() -> None:
    # ive, jve and yve scale by exp(-|Re z|) or exp(-|Im z|), not holomorphic: their own rules.
    z = numpy.array([1.3 + 0.4j, 0.7 - 0.9j])
    for f in (sp.ive, sp.jve, sp.yve):
        check_grads(lambda z: f(1.5, z), modes=("fwd", "rev"), order=1)(z)


def test_digamma_at_a_complex_argument_says_why_it_has_no_derivative() -> None:
    with pytest.raises(NotDifferentiableError, match=r"scipy.special.digamma \(psi\) is not differentiable at complex"):
        grad(lambda z: np.real(sp.digamma(z)))(1.0 + 0.5j)


def test_trigamma_at_positive_arrays_agrees_with_scipys_zeta():
    from plugrad_scipy_special.gamma import trigamma_positive

    x = numpy.concatenate([numpy.linspace(1e-3, 30.0, 3001), numpy.geomspace(1e-6, 1e8, 400)])
    numpy.testing.assert_allclose(trigamma_positive(x), scipy.special.zeta(2, x), rtol=2e-15, atol=0)
    exact = [numpy.pi**2 / 2, numpy.pi**2 / 6, numpy.pi**2 / 6 - 1]  # psi1(1/2), psi1(1), psi1(2)
    numpy.testing.assert_allclose(trigamma_positive(numpy.array([0.5, 1.0, 2.0])), exact, rtol=1e-15)
    edges = trigamma_positive(numpy.array([numpy.inf, 1e-200, 1e300]))
    assert edges[0] == 0.0 and edges[1] == numpy.inf and edges[2] == pytest.approx(1e-300)
    # digamma's derivative takes it at positive arrays, and SciPy's polygamma elsewhere
    x = numpy.array([-0.5, 0.5, 2.0])
    numpy.testing.assert_allclose(
        plugrad.elementwise_grad(sp.digamma)(x), scipy.special.polygamma(1, x), rtol=2e-15
    )


def test_erfcx_derivative_keeps_its_digits_for_large_arguments() -> None:
    # 2 x erfcx(x) - 2/sqrt(pi) cancels: the rule takes the asymptotic series there.
    # Reference: -1/(sqrt(pi) x^2) (1 - 3/(2 x^2) + 15/(4 x^4)), exact to 1e-15 at x >= 1e3.
    import plugrad.scipy.special as sp

    for x in (1e3, 1e6, 1e8):
        expected = -1 / (math.sqrt(math.pi) * x**2) * (1 - 1.5 / x**2 + 3.75 / x**4)
        assert plugrad.grad(sp.erfcx)(x) == pytest.approx(expected, rel=1e-13)
    g32 = plugrad.elementwise_grad(sp.erfcx)(numpy.float32([1e4]))
    assert g32.dtype == numpy.float32 and g32[0] == pytest.approx(-1 / (math.sqrt(math.pi) * 1e8), rel=1e-6)
    both = numpy.array([2.0, 9.0, 11.0, 40.0])  # either side of the switch, in one array
    check_grads(sp.erfcx, modes=["rev", "fwd"], order=2)(both)


def test_log_ndtr_derivatives_keep_their_precision_far_in_the_left_tail() -> None:
    # Written as exp(-x^2/2 - log_ndtr(x)), the third derivative at -100 had one digit left
    # (1e-1 relative error); values from mpmath at 60 digits.
    import plugrad.scipy.special as sp

    expected = {  # x: (1st, 2nd, 3rd derivatives of log Phi(x))
        -100.0: (100.009998000999261, -0.999900059950051737, 1.99760299586234325e-6),
        -20.0: (20.0497530685278505, -0.997536738384947836, 0.000242726578935842024),
    }
    for x, derivatives in expected.items():
        g = sp.log_ndtr
        for want in derivatives:
            g = grad(g)
            assert g(x) == pytest.approx(want, rel=1e-8)


def test_expit_derivatives_keep_their_digits_in_the_right_tail() -> None:
    # ans * (1 - ans) rounds to 0 past x = 37; the derivative e^-x / (1 + e^-x)^2 does not.
    import plugrad.scipy.special as sp

    x = numpy.array([-40.0, -5.0, 0.0, 5.0, 40.0, 100.0, 700.0])
    first = numpy.exp(-abs(x)) / (1 + numpy.exp(-abs(x))) ** 2
    numpy.testing.assert_allclose(plugrad.elementwise_grad(sp.expit)(x), first, rtol=1e-14)
    second = first * numpy.tanh(-x / 2)  # expit'' = expit' (1 - 2 expit)
    numpy.testing.assert_allclose(
        plugrad.elementwise_grad(plugrad.elementwise_grad(sp.expit))(x), second, rtol=1e-13, atol=1e-300
    )


def test_errors_name_a_ufuncs_arguments_as_scipy_documents_them() -> None:
    # The ufuncs' signatures say (x1, x2); SciPy's documentation says jv(v, z).
    import plugrad.scipy.special as sp

    with pytest.raises(plugrad.NotDifferentiableError, match=r"argument 0 \(v\)"):
        grad(sp.jv)(1.5, 2.0)
    assert [sp.betainc.arg_name(i) for i in range(3)] == ["argument 0 (a)", "argument 1 (b)", "argument 2 (x)"]
    assert sp.i0e.arg_name(0) == "argument 0 (x)"  # (its docstring's first line is a formula)


def test_zeta_derivatives_left_of_minus_one_come_from_the_functional_equation() -> None:
    # Euler-Maclaurin's summed terms grow as k^-s there and cancel (at s = -15 the first
    # derivative came out 37438); values from mpmath at 40 digits.
    import plugrad.scipy.special as sp

    for s, derivatives in {-4.5: (0.0040978588145234078, 0.0091642629346848654), -15.0: (-0.40031930280772559, -0.70357032957231163)}.items():
        g = sp.zeta
        for want in derivatives:
            g = grad(g)
            assert g(s) == pytest.approx(want, rel=1e-13)


def test_parameter_derivatives_of_betainc_where_its_series_converge_slowly() -> None:
    import plugrad.scipy.special as sp
    import plugrad.scipy.stats as st
    from plugrad_scipy_special import _series

    # At its median, with parameters 1e7, the series needed more than 20000 terms (NaN, with a
    # warning); the density's peak is integrated there (mpmath's value; more in test_large_params).
    assert grad(lambda a: sp.betainc(a, 1e7, 0.5))(1e7) == pytest.approx(-8.92062076661012e-05, rel=1e-12)
    # A series that does not converge still gives NaN, with a warning, not a partial sum.
    with pytest.warns(RuntimeWarning, match="did not converge in 20000 terms at 1 point"):
        out = _series._converged(numpy.array([1.0, 2.0]), numpy.array([True, False]))
    assert out[0] == 1.0 and math.isnan(out[1])
    assert grad(lambda a: sp.betainc(a, 2.0, 0.99))(300.0) == pytest.approx(-0.00148110088318, rel=1e-10)
    # Parameters of very different sizes: the other series, which converges there (mpmath's values).
    assert grad(lambda a: sp.betainc(a, 2.0, 0.9996681457697999))(2e4) == pytest.approx(-2.8845630692970753e-06, rel=1e-8)
    assert grad(lambda d: st.t.cdf(-2.0, d))(1e4) == pytest.approx(-1.349902321626578e-09, rel=1e-6)


def test_elliptic_integrals_derivatives_near_m_zero_by_their_taylor_series() -> None:
    # E - (1 - m) K and E - K cancel as m -> 0 (NaN at 0, 0.87 relative error in K'' at 1e-8).
    import plugrad.scipy.special as sp

    assert grad(sp.ellipk)(0.0) == pytest.approx(math.pi / 8, rel=1e-15)
    assert grad(sp.ellipe)(0.0) == pytest.approx(-math.pi / 8, rel=1e-15)
    assert grad(grad(sp.ellipk))(1e-8) == pytest.approx(0.44178647611495, rel=1e-13)  # 9 pi / 64 + ...
    assert grad(sp.ellipkm1)(1.0) == pytest.approx(-math.pi / 8, rel=1e-15)


def test_derivatives_at_removable_singularities_of_their_formulas() -> None:
    # 0 / 0 or 0 * inf in the formula, a finite derivative in fact.
    import plugrad.scipy.special as sp

    assert grad(sp.spence)(1.0) == -1.0
    assert [grad(sp.rgamma)(x) for x in (0.0, -1.0, -2.0, -3.0)] == [1.0, -1.0, 2.0, -6.0]  # (-1)^n n!
    direct = -scipy.special.digamma(-1.1) * scipy.special.rgamma(-1.1)  # (fine away from the pole)
    assert grad(sp.rgamma)(-1.1) == pytest.approx(direct, rel=1e-13)
    assert grad(lambda x: sp.struve(0.0, x))(0.0) == pytest.approx(2 / math.pi, rel=1e-15)
    assert grad(lambda x: sp.modstruve(0.0, x))(0.0) == pytest.approx(2 / math.pi, rel=1e-15)
    assert grad(lambda x: sp.struve(1.0, x))(0.0) == 0.0
    assert grad(grad(lambda x: sp.struve(1.0, x)))(0.0) == pytest.approx(4 / (3 * math.pi), rel=1e-15)  # by the series
    assert grad(grad(lambda x: sp.struve(0.0, x)))(0.0) == 0.0
    check_grads(lambda x: sp.struve(1.5, x), modes=["rev", "fwd"], order=2)(numpy.array([0.2, 0.95, 1.05, 2.0]))
    check_grads(sp.rgamma, modes=["rev", "fwd"], order=2)(numpy.array([-2.05, -0.1, 0.1, 1.5]))
    # j_n'' from z^2 f'' + 2 z f' = (n(n+1) - z^2) f is 0 / 0 at 0: the power series there.
    assert grad(grad(lambda z: sp.spherical_jn(0, z)))(0.0) == pytest.approx(-1 / 3, rel=1e-15)
    assert grad(grad(lambda z: sp.spherical_jn(2, z)))(0.0) == pytest.approx(2 / 15, rel=1e-15)
    assert grad(grad(lambda z: sp.spherical_in(0, z)))(0.0) == pytest.approx(1 / 3, rel=1e-15)


def test_xlogy_s_mixed_derivatives_where_x_is_0() -> None:
    # d/dy xlogy(x, y) = x / y is 0 where x is 0 (xdivy), and its derivative in x is still 1 / y.
    import plugrad.scipy.special as sp

    numpy.testing.assert_array_equal(plugrad.hessian(lambda v: sp.xlogy(v[0], v[1]))(numpy.array([0.0, 2.0])), [[0.0, 0.5], [0.5, 0.0]])
    assert grad(lambda x: grad(lambda y: sp.xlog1py(x, y))(1.0))(0.0) == 0.5
    assert grad(lambda y: sp.xlogy(0.0, y))(0.0) == 0.0
    assert (grad(lambda y: sp.rel_entr(0.0, y))(0.0), grad(lambda y: sp.kl_div(0.0, y))(0.0)) == (0.0, 1.0)  # its twins



def test_zeta_at_complex_s_left_of_minus_one() -> None:
    # The functional equation at complex s too (mpmath's value); no second derivative there.
    import plugrad.scipy.special as sp

    got = plugrad.holomorphic_grad(sp.zeta)(-15 + 1e-8j)
    assert abs(got - (-0.4003193028077257 - 7.035703295723116e-09j)) < 1e-13
    with pytest.raises(plugrad.NotDifferentiableError, match="polygamma at complex arguments"):
        plugrad.holomorphic_grad(plugrad.holomorphic_grad(sp.zeta))(-3 + 2j)
