"""The regularized incomplete gamma and beta functions, their complements and inverses.

Derivatives in the integration limit are the integrands (densities), in closed form.
Derivatives in the parameters have none; they come from two private primitives,
``_gammainc_da(n, a, x) = d^n P(a, x) / da^n`` and ``_betainc_dab(i, j, a, b, x) =
d^i/da^i d^j/db^j I_x(a, b)``, evaluated by the series and quadrature in ``_series.py``
and differentiable to any order: in the parameters they raise ``n`` (or ``i``, ``j``);
in ``x`` they are parameter derivatives of the density, again in closed form. The
inverses follow by implicit differentiation.
"""

from __future__ import annotations

from typing import Any

import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad_numpy._util import broadcast_like, unbroadcast
from plugrad_numpy.unary import exp, log, log1p
from plugrad_scipy_special import _series
from plugrad_scipy_special._rules import pair_samples, special
from plugrad_scipy_special.gamma import betaln, digamma, digamma_step, gammaln, psi_n
from plugrad_scipy_special.information import xlog1py, xlogy


def _rules(prim: Any, *partials: Any) -> None:
    """VJPs and JVPs from ``partials[i](ans, *args)``, one per argument (``None``: none)."""

    def vjp(d: Any, i: int) -> Any:
        return lambda g, ans, *args: unbroadcast(g * d(ans, *args), args[i])

    def jvp(d: Any) -> Any:
        return lambda t, ans, *args: broadcast_like(t * d(ans, *args), ans)

    for i, d in enumerate(partials):
        if d is not None:
            prim.def_vjp(vjp(d, i), argnums=(i,))
            prim.def_jvp(jvp(d), argnums=(i,))


# -- incomplete gamma --------------------------------------------------------------------


def gamma_density(a: Any, x: Any) -> Any:
    """``dP(a, x)/dx = x^(a-1) e^-x / Gamma(a)``."""
    return exp(xlogy(a - 1, x) - x - gammaln(a))  # (1 at x = 0 for a = 1, not exp(0 * -inf))


def _gamma_density_da(n: int, a: Any, x: Any) -> Any:
    """``d^n/da^n`` of the density: itself times a Bell polynomial in its log's partials."""
    if n == 0:
        return gamma_density(a, x)
    partial = {1: log(x) - digamma(a)}
    bell = _series.exp_partials(lambda m, l: partial[1] if m == 1 else -psi_n(m - 1, a), n)
    return gamma_density(a, x) * bell


gammainc_da = special("_gammainc_da", _series.gammainc_da, dtypes=("float64",), saves=("args",))
_rules(
    gammainc_da,
    None,
    lambda ans, n, a, x: gammainc_da(n + 1, a, x),
    lambda ans, n, a, x: _gamma_density_da(n, a, x),
)
gammainc_da.def_samples(
    Sample(1, rand(4, low=0.5, high=3.0), rand(4, low=0.2, high=4.0)),
    Sample(2, scalar(0.5, 3.0), rand(3, low=0.2, high=2.0)),
    Sample(1, rand(3, low=0.5, high=2.0), rand(3, low=5.0, high=12.0)),  # by quadrature of Q
    Sample(1, rand(3, low=900.0, high=1100.0), rand(3, low=900.0, high=1100.0)),  # over the peak
)


def _gammainc_inv_da(ans: Any, a: Any, y: Any) -> Any:
    return -gammainc_da(1, a, ans) / gamma_density(a, ans)


def _gamma_samples() -> list[Sample]:
    large_x = Sample(rand(3, low=0.5, high=2.0), rand(3, low=5.0, high=12.0))  # Q by quadrature
    large_a = Sample(rand(3, low=900.0, high=1100.0), rand(3, low=900.0, high=1100.0))  # over the peak
    return pair_samples(0.5, 3.0, 0.2, 4.0) + [large_x, large_a]


gammainc = special("gammainc", sc.gammainc, saves=("args",))
_rules(gammainc, lambda ans, a, x: gammainc_da(1, a, x), lambda ans, a, x: gamma_density(a, x))
gammainc.def_samples(*_gamma_samples())
gammaincc = special("gammaincc", sc.gammaincc, saves=("args",))
_rules(gammaincc, lambda ans, a, x: -gammainc_da(1, a, x), lambda ans, a, x: -gamma_density(a, x))
gammaincc.def_samples(*_gamma_samples())
gammaincinv = special("gammaincinv", sc.gammaincinv)
_rules(gammaincinv, _gammainc_inv_da, lambda ans, a, y: 1 / gamma_density(a, ans))
gammaincinv.def_samples(*pair_samples(0.5, 3.0, 0.1, 0.9))
gammainccinv = special("gammainccinv", sc.gammainccinv)
_rules(gammainccinv, _gammainc_inv_da, lambda ans, a, y: -1 / gamma_density(a, ans))
gammainccinv.def_samples(*pair_samples(0.5, 3.0, 0.1, 0.9))


# -- incomplete beta ---------------------------------------------------------------------


def beta_density(a: Any, b: Any, x: Any) -> Any:
    """``dI_x(a, b)/dx = x^(a-1) (1-x)^(b-1) / B(a, b)``."""
    return exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))


def _beta_density_dab(i: int, j: int, a: Any, b: Any, x: Any) -> Any:
    if i == j == 0:
        return beta_density(a, b, x)

    def partial(m: int, l: int) -> Any:
        if (m, l) == (1, 0):
            return log(x) + digamma_step(a, b)  # (psi(a + b) - psi(a): see _digamma.py)
        if (m, l) == (0, 1):
            return log1p(-x) + digamma_step(b, a)
        value = psi_n(m + l - 1, a + b)
        if l == 0:
            value = value - psi_n(m - 1, a)
        if m == 0:
            value = value - psi_n(l - 1, b)
        return value

    return beta_density(a, b, x) * _series.exp_partials(partial, i, j)


betainc_dab = special("_betainc_dab", _series.betainc_dab, dtypes=("float64",), saves=("args",))
_rules(
    betainc_dab,
    None,
    None,
    lambda ans, i, j, a, b, x: betainc_dab(i + 1, j, a, b, x),
    lambda ans, i, j, a, b, x: betainc_dab(i, j + 1, a, b, x),
    lambda ans, i, j, a, b, x: _beta_density_dab(i, j, a, b, x),
)
betainc_dab.def_samples(
    Sample(1, 0, rand(4, low=0.5, high=3.0), rand(4, low=0.5, high=3.0), rand(4, low=0.1, high=0.9)),
    Sample(0, 1, rand(4, low=0.5, high=3.0), rand(4, low=0.5, high=3.0), rand(4, low=0.1, high=0.9)),
    Sample(1, 1, scalar(0.5, 3.0), scalar(0.5, 3.0), rand(3, low=0.1, high=0.9)),
    # over the peak: parameters of one size, then of different sizes
    Sample(1, 0, rand(3, low=400.0, high=600.0), rand(3, low=400.0, high=600.0), rand(3, low=0.4, high=0.6)),
    Sample(0, 1, rand(3, low=20.0, high=30.0), rand(3, low=9e3, high=1.1e4), rand(3, low=0.0015, high=0.003)),
    # one parameter small, the other large: in the log of the variable, either way round
    Sample(0, 1, rand(3, low=0.5, high=3.0), rand(3, low=900.0, high=1100.0), rand(3, low=5e-4, high=3e-3)),
    Sample(1, 0, rand(3, low=900.0, high=1100.0), rand(3, low=0.5, high=3.0), rand(3, low=0.997, high=0.9995)),
)


def _triple_samples(low: float, high: float) -> list[Sample]:
    """``(a, b, x)``: equal shapes, broadcasting, scalars."""

    def ab(*shape: int) -> Any:
        return rand(*shape, low=0.5, high=3.0)

    def x(*shape: int) -> Any:
        return rand(*shape, low=low, high=high)

    return [
        Sample(ab(4), ab(4), x(4)),
        Sample(ab(2, 1), ab(1, 3), x(3)),
        Sample(scalar(0.5, 3.0), scalar(0.5, 3.0), x(2, 2)),
        Sample(scalar(0.5, 3.0), scalar(0.5, 3.0), scalar(low, high)),
    ]


def _betainc_inv(sign: float) -> tuple[Any, Any, Any]:
    """The partials of the inverse in ``(a, b, y)``: ``-I_a / density``, ``-I_b / density``
    and ``sign / density`` (``sign`` -1 for the inverse of the complement)."""
    return (
        lambda ans, a, b, y: -betainc_dab(1, 0, a, b, ans) / beta_density(a, b, ans),
        lambda ans, a, b, y: -betainc_dab(0, 1, a, b, ans) / beta_density(a, b, ans),
        lambda ans, a, b, y: sign / beta_density(a, b, ans),
    )


betainc = special("betainc", sc.betainc, saves=("args",))
_rules(
    betainc,
    lambda ans, a, b, x: betainc_dab(1, 0, a, b, x),
    lambda ans, a, b, x: betainc_dab(0, 1, a, b, x),
    lambda ans, a, b, x: beta_density(a, b, x),
)
betainc.def_samples(*_triple_samples(0.1, 0.9))
betaincc = special("betaincc", sc.betaincc, saves=("args",))
_rules(
    betaincc,
    lambda ans, a, b, x: -betainc_dab(1, 0, a, b, x),
    lambda ans, a, b, x: -betainc_dab(0, 1, a, b, x),
    lambda ans, a, b, x: -beta_density(a, b, x),
)
betaincc.def_samples(*_triple_samples(0.1, 0.9))
betaincinv = special("betaincinv", sc.betaincinv)
_rules(betaincinv, *_betainc_inv(1.0))
betaincinv.def_samples(*_triple_samples(0.1, 0.9))
betainccinv = special("betainccinv", sc.betainccinv)
_rules(betainccinv, *_betainc_inv(-1.0))
betainccinv.def_samples(*_triple_samples(0.1, 0.9))
