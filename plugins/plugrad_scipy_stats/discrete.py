"""``poisson``: the mass function, the distribution function and their complements, with
derivatives in the mean ``mu`` (``k`` and ``loc`` are integers and have none).

With ``p(k) = mu^k e^-mu / k!``, ``d log p / d mu = k / mu - 1``; the cdf is the upper
regularized incomplete gamma function ``Q(floor(k) + 1, mu)``, whose derivative in ``mu``
is minus the mass at ``floor(k)`` (and the sf's plus it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Primitive, Sample, gen, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import broadcast_like, unbroadcast
from plugrad_numpy.indexing import where3
from plugrad_numpy.unary import exp
from plugrad_scipy_special.information import xdivy, xlogy
from plugrad_scipy_stats._family import READS_ANS, public, select

_SF = ("sf", "logsf")


def _poisson(k: Any, mu: Any, loc: Any = 0) -> tuple[Any, Any, Any]:
    return k, mu, loc


def _log_mass(k: Any, mu: Any) -> Any:
    """``log p(k)`` at integers ``k >= 0`` (constants), differentiable in ``mu``."""
    return xlogy(k, mu) - sc.gammaln(k + 1) - mu


def _k_over_mu_less_one(k: Any, mu: Any) -> Any:
    """``d log p / d mu = k / mu - 1``, as ``(k - mu) / mu`` for ``k > 0`` (exact in ``k - mu``
    near the mode, where the plain form kept 1e-7 of itself at mu = 1e10), ``-1`` at ``k = 0``
    (``mu = 0`` too)."""
    return where3(k > 0, xdivy(k - mu, mu), -1.0)


def _points(kind: str, k: Any, loc: Any) -> tuple[Any, Any]:
    """The integers the function reads at (``k - loc``, or its floor for the distribution
    functions), clamped into the support, and the mask of those inside it."""
    k = np.asarray(getval(k)) - getval(loc)
    if kind in ("pmf", "logpmf"):
        inside = (k >= 0) & (k == np.floor(k))
        return np.where(inside, k, 0), inside
    k = np.floor(k)
    return np.maximum(k, 0), k >= 0


def _value(kind: str) -> Any:
    def fun(k: Any, mu: Any, loc: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            kin, inside = _points(kind, k, loc)
            if kind in ("pmf", "logpmf"):
                out = select(inside, _log_mass(kin, mu), -np.inf)
                out = np.exp(out) if kind == "pmf" else out
            else:
                function = sc.pdtrc if kind in _SF else sc.pdtr
                out = select(inside, function(kin, mu), 1.0 if kind in _SF else 0.0)
                out = np.log(out) if kind.startswith("log") else out
            out = select(np.asarray(mu) >= 0, out, np.nan)
        dtype = getattr(mu, "dtype", None)  # float32 mu, float32 answer (k is an integer)
        return out.astype(dtype) if dtype is not None and dtype.kind == "f" and out.dtype != dtype else out

    fun.__name__ = fun.__qualname__ = f"poisson_{kind}"
    fun.__wrapped__ = _poisson  # type: ignore[attr-defined]
    return fun


def _dmu(kind: str) -> Any:
    """``d kind / d mu`` at the broadcast shape."""

    def d(ans: Any, k: Any, mu: Any, loc: Any) -> Any:
        kin, inside = _points(kind, k, loc)
        everywhere = bool(np.all(inside))
        if not everywhere and ans is not None:
            ans = where3(inside, ans, 0.0)
        if kind == "logpmf":
            value = _k_over_mu_less_one(kin, mu)
        elif kind == "pmf":
            # p(k - 1) - p(k) where p(k) is 0 (mu = 0, or an underflow): ans (k / mu - 1) is 0 inf there
            vanishes = np.asarray(getval(ans)) == 0
            if not vanishes.any():
                value = ans * _k_over_mu_less_one(kin, mu)
            else:
                below = np.where(kin >= 1, kin - 1, 0)
                previous = where3(kin >= 1, exp(_log_mass(below, where3(vanishes, mu, 1.0))), 0.0)
                value = where3(vanishes, previous, ans * _k_over_mu_less_one(kin, where3(vanishes, 1.0, mu)))
        else:
            sign = 1.0 if kind in _SF else -1.0
            value = sign * exp(_log_mass(kin, mu) - ans) if kind.startswith("log") else sign * exp(_log_mass(kin, mu))
        return value if everywhere else where3(inside, value, 0.0)

    return d


def _samples(kind: str) -> list[Sample]:
    def across(rng: np.random.Generator, dtype: str) -> Any:
        return np.array([-1.0, 0.5, 2.0, 4.0])  # with loc 1: below the support, between integers, inside

    mu = rand(4, low=0.5, high=5.0)
    out = [
        Sample(3.0, scalar(0.5, 5.0), 0),
        Sample(np.array([0.0, 1.0, 2.0, 5.0]), mu, 0),
        Sample(np.array([[0.0], [1.0], [3.0]]), mu, 0),
        Sample(np.arange(4), scalar(0.5, 5.0), 0),
    ]
    if kind not in ("logpmf", "logcdf"):  # they are -inf outside the support
        out.append(Sample(gen(across), mu, 1).wrt(1).named("across the support"))
    return out


def _build() -> list[Any]:
    entries: list[Any] = []
    for kind in ("pmf", "logpmf", "cdf", "logcdf", "sf", "logsf"):
        saves = ("ans", "args") if kind in READS_ANS else ("args",)
        prim = Primitive(f"scipy.stats.poisson._{kind}", _value(kind), saves=saves)
        d = _dmu(kind)
        prim.def_vjp(lambda g, ans, k, mu, loc, d=d: unbroadcast(g * d(ans, k, mu, loc), mu), argnums=(1,))
        prim.def_jvp(lambda t, ans, k, mu, loc, d=d: broadcast_like(t * d(ans, k, mu, loc), ans), argnums=(1,))
        prim.def_samples(*_samples(kind))
        prim.__doc__ = f"``scipy.stats.poisson.{kind}(k, mu, loc=0)``, every argument positional."
        doc = f"``scipy.stats.poisson.{kind}(k, mu, loc=0)``, differentiable in mu. See SciPy's scipy.stats.poisson."
        entries += [prim, public(f"scipy.stats.poisson.{kind}", prim, _poisson, doc)]
    return entries


ENTRIES = {"poisson": _build()}
