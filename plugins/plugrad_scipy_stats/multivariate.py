"""``multivariate_normal`` and ``dirichlet``: ``logpdf`` and ``pdf``, differentiable in the
point and every parameter; the normal's ``entropy``, differentiable in ``cov``; and
``dirichlet.rvs``, SciPy's sampler, which has no derivative (as in autograd).

The normal density is evaluated at the symmetric part ``S = (cov + cov^T) / 2`` of ``cov``
(SciPy reads a symmetric matrix); with ``r = x - mean`` and ``u = S^-1 r``::

    log N = -(d log 2 pi + log det S + r.u) / 2
    d/dx = -u        d/dmean = u        d/dcov = -(S^-1 - u u^T) / 2  (symmetric)

The Dirichlet density's derivatives are ``(alpha_i - 1) / x_i`` in the point and
``log x_i - digamma(alpha_i) + digamma(sum alpha)`` in the concentrations. Both ``pdf``
primitives are the ``logpdf`` ones scaled by the density.

The entropy is ``(d (1 + log 2 pi) + log det S) / 2``, a composite over ``slogdet``
(``d/dcov = S^-1 / 2``).

With ``allow_singular=True`` and a singular ``cov`` (SciPy's test: an eigenvalue of ``S``
at most ``1e6 eps`` times the largest, in float64 whatever ``cov``'s dtype), the density is
SciPy's on the range of ``cov``, with its rank and pseudo-determinant, and zero off it; it
is differentiable in the point and ``mean`` (``d/dx = -S^+ r``), but not in ``cov``, whose
perturbations change the range: a traced singular ``cov`` raises ``NotDifferentiableError``,
for the entropy too. A positive-definite ``cov`` takes the ordinary primitives whatever
``allow_singular`` says. Without it, a ``cov`` SciPy calls singular raises SciPy's error
even where its Cholesky factorization succeeds: the factor's diagonal and trace, or one more
factorization, prove the rest positive definite by SciPy's test, and the eigenvalues decide
the few they cannot (``_surely_definite``).

The public functions check and shape their arguments as SciPy does (a scalar or diagonal
``cov``, a 1-d ``x`` of a one-dimensional distribution, the last Dirichlet component
left implicit) and squeeze the result as SciPy does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg
import scipy.special as sc

from plugrad import NonDifferentiable, NotDifferentiableError, Primitive, Sample, gen, rand
from plugrad.box import Box, getval
from plugrad.sample import spd
from plugrad_linalg._util import T, check_hermitian
from plugrad_linalg.determinants import slogdet
from plugrad_linalg.inverses import inv, solve
from plugrad_numpy._util import as_array_value, broadcast_like, shape_of, unbroadcast
from plugrad_numpy.indexing import where3
from plugrad_numpy.joining import concatenate
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import diag, expand_dims, reshape, squeeze
from plugrad_numpy.unary import exp, log
from plugrad_scipy_special.gamma import digamma
from plugrad_scipy_stats._family import public

_LOG_2PI = math.log(2 * math.pi)


_array = as_array_value


def _squeeze(out: Any) -> Any:
    """SciPy's ``_squeeze_output``: size-1 axes dropped, a scalar for a single point."""
    if 1 not in shape_of(out):
        return out
    out = squeeze(out)
    return out if shape_of(out) else out[()]


def _with_density(kind: str, fn: Any) -> Any:
    """A log-density rule ``fn(h, ...)`` of the log-density's cotangent or tangent ``h``,
    as the rule of ``kind``: the pdf's is the logpdf's scaled by the density."""
    if kind == "logpdf":
        return lambda g, ans, *args: fn(g, *args)
    return lambda g, ans, *args: fn(g * ans, *args)


def _with_density_jvp(kind: str, fn: Any) -> Any:
    if kind == "logpdf":
        return lambda t, ans, *args: broadcast_like(fn(t, *args), ans)
    return lambda t, ans, *args: broadcast_like(ans * fn(t, *args), ans)


def _primitive(dist: str, kind: str, value: Any, vjps: Any, jvps: Any, samples: Any) -> Primitive:
    fun, saves = (value, ("args",)) if kind == "logpdf" else (_exp_of(value), ("ans", "args"))
    prim = Primitive(f"scipy.stats.{dist}._{kind}", fun, saves=saves)
    prim.def_vjp(*[_with_density(kind, rule) for rule in vjps])
    prim.def_jvp(*[_with_density_jvp(kind, rule) for rule in jvps])
    prim.def_samples(*samples)
    return prim


def _exp_of(value: Any) -> Any:
    def pdf(*args: Any) -> Any:
        return np.exp(value(*args))

    pdf.__wrapped__ = value  # type: ignore[attr-defined]
    return pdf


# -- multivariate normal ---------------------------------------------------------------


def _mvn_logpdf(name: str, x: Any, mean: Any, cov: Any) -> Any:
    """The log density at points ``x`` (..., d) of means ``mean`` (..., d), one ``cov`` (d, d);
    errors name the public function ``name``."""
    half = 0.5 * cov  # (halved first: cov + cov^T overflows for entries near the largest float)
    s = half + np.swapaxes(half, -1, -2)
    chol, log_det = _factor(name, cov, s)
    r = np.subtract(x, mean)
    d = s.shape[-1]
    w = scipy.linalg.solve_triangular(chol, np.reshape(r, (-1, d)).T, lower=True, check_finite=False)
    maha = np.reshape(np.sum(w * w, axis=0), r.shape[:-1])
    out = -0.5 * (d * _LOG_2PI + log_det + maha)
    return out if out.ndim else out[()]


def _mvn_value(kind: str) -> Any:
    """:func:`_mvn_logpdf` as the function of the primitive ``kind``, whose errors it names."""
    name = f"scipy.stats.multivariate_normal.{kind}"

    def mvn_logpdf(x: Any, mean: Any, cov: Any) -> Any:
        return _mvn_logpdf(name, x, mean, cov)

    mvn_logpdf.__doc__ = _mvn_logpdf.__doc__
    return mvn_logpdf


def _factor(name: str, cov: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, Any]:
    """The Cholesky factor of ``s``, the symmetric part of ``cov``, and ``log det s``, where SciPy
    (without ``allow_singular``) accepts ``cov``; SciPy's error where it refuses it."""
    try:
        chol = np.linalg.cholesky(s)
    except np.linalg.LinAlgError:
        _refuse_as_scipy(name, cov)
        fix = "a better conditioned cov" if s.dtype == np.float64 else "cov as float64, as SciPy computes"
        raise np.linalg.LinAlgError(  # (float32's rounding, mostly: SciPy's test is in float64)
            f"{name}: cov is positive definite by SciPy's criterion, but its Cholesky factorization "
            f"in {s.dtype} fails. Pass {fix}."
        ) from None
    log_det = 2 * np.sum(np.log(np.diagonal(chol)))
    if not _surely_definite(s, chol, log_det):
        _refuse_as_scipy(name, cov)
    return chol, log_det


def _refuse_as_scipy(name: str, cov: np.ndarray) -> None:
    """SciPy's error where it refuses ``cov`` without ``allow_singular``: the eigenvalue test."""
    spectrum = _Spectrum(cov, name)  # (raises itself for a cov not positive semidefinite)
    if spectrum.singular:
        raise np.linalg.LinAlgError(  # (SciPy's error too)
            f"{name}: cov is singular by SciPy's criterion: its smallest eigenvalue, "
            f"{spectrum.smallest:.3g}, is at most {spectrum.eps:.3g}, SciPy's cut-off (1e6 float64 "
            "epsilons times the largest eigenvalue's magnitude), so SciPy refuses it. For SciPy's "
            "density on the range of cov pass allow_singular=True; to keep every direction, add a "
            "small multiple of the identity to cov."
        )


def _surely_definite(s: np.ndarray, chol: np.ndarray, log_det: Any) -> bool:
    """Whether SciPy's eigenvalue test surely finds ``s`` positive definite (its smallest
    eigenvalue above ``_CUTOFF`` times its largest), judged from its Cholesky factor ``chol``
    with ``log_det = log det(chol chol^T)``; False where only the eigenvalues can tell.

    Why a True is safe. ``M = chol chol^T`` has the trace ``t = |chol|_F^2``, at least its
    largest eigenvalue, and the determinant ``exp(log_det)``, the product of its eigenvalues;
    the ``n - 1`` besides the smallest have a product at most their mean to the ``n - 1``, at
    most ``(t / (n - 1))^(n - 1)``, so ``lambda_min(M) >= det M ((n - 1) / t)^(n - 1)``. The
    first test asks that bound to exceed ``margin t`` (in logarithms: no overflow); where it
    cannot say, the second factors ``s - margin t I``, whose success proves every eigenvalue
    of ``s`` above ``margin t``. Either way the smallest exceeds ``margin`` times the largest.
    ``margin`` is SciPy's cut-off plus room for rounding, which would otherwise blur the line:
    a successful factorization is exact for a matrix within ``n (n + 1) u |s|`` of ``s`` in
    the 2-norm (Higham, Accuracy and Stability of Numerical Algorithms, Thm 10.3; ``u`` the
    unit roundoff of ``chol``'s dtype), and SciPy's eigenvalues are within a like multiple of
    float64's ``u |s|`` of ``s``'s: ``4 (n + 1)^2 eps`` covers both factorizations and SciPy's
    rounding. The first test settles a small or well-conditioned ``s`` for the price of a
    dot product; a large one spread over a few orders of magnitude takes the second; only
    one within a factor of about ``n`` of the cut-off takes the eigenvalues."""
    n = s.shape[-1]
    t = float(np.vdot(chol, chol))
    info = np.finfo(chol.dtype)
    # A NaN or inf in s (SciPy's error, which the eigenvalue test gives) reaches chol, each of
    # whose entries is s's less a sum, divided or square-rooted: t is finite only where s is.
    # (Nor does the rounding above hold through overflow or underflow.)
    if not info.tiny < t < math.inf:
        return False
    margin = _CUTOFF + 4 * (n + 1) ** 2 * float(info.eps)
    if n == 1 or float(log_det) + (n - 1) * math.log((n - 1) / t) > math.log(margin * t):
        return True
    shifted = s.copy()
    shifted.flat[:: n + 1] -= margin * t  # (the diagonal)
    try:
        np.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        return False
    return True


def _mvn_parts(x: Any, mean: Any, cov: Any) -> tuple[Any, Any]:
    """``S`` and ``u = S^-1 (x - mean)``, row by row: one solve with many right-hand sides."""
    half = 0.5 * cov  # (as _mvn_logpdf)
    s = half + T(half)
    r = x - mean
    d = shape_of(s)[-1]
    u = reshape(T(solve(s, T(reshape(r, (-1, d))))), shape_of(r))
    return s, u


def _mvn_vjp_cov(h: Any, x: Any, mean: Any, cov: Any) -> Any:
    s, u = _mvn_parts(x, mean, cov)
    d = shape_of(s)[-1]
    rows = reshape(u, (-1, d))
    weighted = reshape(expand_dims(h, -1) * u, (-1, d))
    return unbroadcast(-0.5 * (sum_(h) * inv(s) - matmul(T(weighted), rows)), cov)


def _mvn_jvp_cov(t: Any, x: Any, mean: Any, cov: Any) -> Any:
    s, u = _mvn_parts(x, mean, cov)
    return -0.5 * (sum_(inv(s) * t) - sum_(u * matmul(u, T(t)), axis=-1))


def _mvn_samples() -> list[Sample]:
    return [
        Sample(rand(3), rand(3), gen(spd(3))),
        Sample(rand(4, 3), rand(3), gen(spd(3))),
        Sample(rand(2, 1, 2), rand(3, 2), gen(spd(2))),
        Sample(rand(1), rand(1), gen(spd(1))),
    ]


_mvn_vjps = (
    lambda h, x, mean, cov: unbroadcast(-expand_dims(h, -1) * _mvn_parts(x, mean, cov)[1], x),
    lambda h, x, mean, cov: unbroadcast(expand_dims(h, -1) * _mvn_parts(x, mean, cov)[1], mean),
    _mvn_vjp_cov,
)
_mvn_jvps = (
    lambda t, x, mean, cov: -sum_(_mvn_parts(x, mean, cov)[1] * t, axis=-1),
    lambda t, x, mean, cov: sum_(_mvn_parts(x, mean, cov)[1] * t, axis=-1),
    _mvn_jvp_cov,
)
mvn_logpdf = _primitive("multivariate_normal", "logpdf", _mvn_value("logpdf"), _mvn_vjps, _mvn_jvps, _mvn_samples())
mvn_pdf = _primitive("multivariate_normal", "pdf", _mvn_value("pdf"), _mvn_vjps, _mvn_jvps, _mvn_samples())


_LAPACK_FLOATS = frozenset(map(np.dtype, ("float32", "float64")))  # the dtypes a cov keeps


def _mvn_parameters(mean: Any, cov: Any) -> tuple[Any, Any]:
    """SciPy's defaults and shapes: the dimension from ``mean`` or ``cov``, a scalar ``cov``
    times the identity, a 1-d ``cov`` as a diagonal."""
    if cov is None:
        cov = 1.0
    cov = _array(cov)
    if isinstance(cov, np.ndarray) and cov.dtype not in _LAPACK_FLOATS:
        # Booleans and integers (whose symmetric part would be taken in their own arithmetic:
        # True + True is True) and float16 (which LAPACK has no routines for): in float64, as
        # SciPy takes every cov.
        cov = cov.astype(np.float64)
    if mean is None:
        dim = 1 if len(shape_of(cov)) < 2 else shape_of(cov)[0]
        mean = np.zeros(dim)
    mean = _array(mean)
    dim = int(np.size(getval(mean)))
    if dim == 1:
        mean, cov = reshape(mean, (1,)), reshape(cov, (1, 1))
    if len(shape_of(mean)) != 1 or shape_of(mean)[0] != dim:
        raise ValueError(f"Array 'mean' must be a vector of length {dim}.")
    ndim = len(shape_of(cov))
    if ndim == 0:
        cov = cov * np.eye(dim)
    elif ndim == 1:
        cov = diag(cov)
    elif ndim > 2 or shape_of(cov) != (dim, dim):
        raise ValueError(
            f"Array 'cov' must be a scalar, a vector of length {dim} or a {dim} x {dim} matrix, "
            f"but cov.shape = {shape_of(cov)}."
        )
    if ndim == 2:  # (plugrad's density is at its symmetric part, SciPy's at its lower triangle)
        name = "scipy.stats.multivariate_normal"
        check_hermitian(getval(cov), name, lower=True, option="lower=True", scale=_pair_scale)
    return mean, cov


def _pair_scale(cov: np.ndarray) -> np.ndarray:
    """``sqrt(|cov_ii cov_jj|)``, the scale of each pair of entries of a covariance: the standard
    deviations of its row and column (a correlation of 0.9 beside variances 100 and 0.01 is
    0.9 against a scale of 1, not of 100, the largest entry)."""
    sd = np.sqrt(np.abs(np.diagonal(cov, axis1=-2, axis2=-1)))
    return sd[..., :, None] * sd[..., None, :]


def _mvn_arguments(x: Any, mean: Any, cov: Any) -> tuple[Any, Any, Any]:
    """:func:`_mvn_parameters`, and the points along the last axis of ``x``."""
    mean, cov = _mvn_parameters(mean, cov)
    x = _array(x)
    if len(shape_of(x)) == 0:
        x = reshape(x, (1,))
    elif len(shape_of(x)) == 1:
        x = reshape(x, (-1, 1) if shape_of(mean)[0] == 1 else (1, -1))
    return x, mean, cov


# SciPy's cut-off for a zero eigenvalue of cov, relative to the largest in magnitude
# (scipy.stats._multivariate._eigvalsh_to_eps for float64: multivariate_normal casts cov to
# float64 before it looks, so this is the cut-off whatever cov's dtype).
_CUTOFF = 1e6 * np.finfo(np.float64).eps


class _Spectrum:
    """A covariance as SciPy reads it (``scipy.stats._multivariate._PSD``): the eigenvalues of
    its symmetric part in float64, those at most a cut-off relative to the largest taken for
    zero; SciPy's errors, in ``name``, for a cov it refuses whatever ``allow_singular`` says."""

    def __init__(self, cov: np.ndarray, name: str) -> None:
        cov = np.asarray(cov, dtype=np.float64)
        if not np.isfinite(cov).all():  # (SciPy's eigh checks; LAPACK's answer would be noise)
            raise ValueError(
                f"{name}: cov must contain only finite numbers, as SciPy requires, but it holds NaN or "
                "inf. Pass a finite covariance matrix."
            )
        half = 0.5 * cov  # (as _mvn_logpdf)
        s, u = np.linalg.eigh(half + half.T)
        self.eps = _CUTOFF * np.max(np.abs(s))
        self.smallest = float(s[0])  # (eigh sorts ascending)
        if self.smallest < -self.eps:
            raise ValueError(
                f"{name}: cov must be symmetric positive semidefinite, as SciPy requires, but its "
                f"smallest eigenvalue, {self.smallest:.3g}, is below -{self.eps:.3g}, minus SciPy's "
                "cut-off (1e6 float64 epsilons times the largest eigenvalue's magnitude). Pass a "
                "positive-semidefinite cov."
            )
        keep = s > self.eps
        self.rank = int(np.count_nonzero(keep))
        self.log_pdet = float(np.sum(np.log(s[keep])))
        self.whiten = u[:, keep] / np.sqrt(s[keep])  # r^T cov^+ r = |r @ whiten|^2
        self.null = u[:, ~keep]
        self.singular = self.rank < len(s)


def _singular_cov(name: str, cov: Any) -> None:
    if isinstance(cov, Box):
        raise NotDifferentiableError(
            f"plugrad.scipy.stats.multivariate_normal.{name} is not differentiable with respect to a "
            "singular cov: the density lives on the range of cov, which any perturbation out of it "
            "changes. Pass cov as a constant (derivatives in x and mean exist), or a positive-definite one."
        )


def _mvn_singular(kind: str, x: Any, mean: Any, cov: Any, spectrum: _Spectrum) -> Any:
    """SciPy's density of a singular ``cov`` (``allow_singular=True``), differentiable in ``x``
    and ``mean``: the density on the range of ``cov``, with the pseudo-determinant, and
    zero (``-inf`` in logs) off it."""
    _singular_cov(kind, cov)
    r = x - mean
    maha = sum_(matmul(r, spectrum.whiten) ** 2, axis=-1)
    out = -0.5 * (spectrum.rank * _LOG_2PI + spectrum.log_pdet + maha)
    inside = np.linalg.norm(getval(r) @ spectrum.null, axis=-1) < 1e3 * spectrum.eps  # SciPy's support test
    out = where3(inside, out, -np.inf)
    return exp(out) if kind == "pdf" else out


def _mvn_public(kind: str, prim: Primitive) -> Any:
    def args(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> tuple[Any, ...]:
        return (*_mvn_arguments(x, mean, cov), allow_singular)

    def density(x: Any, mean: Any, cov: Any, allow_singular: bool) -> Any:
        name = f"scipy.stats.multivariate_normal.{kind}"
        spectrum = _Spectrum(getval(cov), name) if allow_singular else None
        if spectrum is not None and spectrum.singular:
            return _squeeze(_mvn_singular(kind, x, mean, cov, spectrum))
        return _squeeze(prim(x, mean, cov))

    doc = (
        f"``scipy.stats.multivariate_normal.{kind}(x, mean=None, cov=1, allow_singular=False)``, "
        "differentiable in x, mean and cov; with allow_singular=True and a singular cov, in x and "
        "mean only."
    )
    return public(f"scipy.stats.multivariate_normal.{kind}", density, args, doc)  # type: ignore[arg-type]


# -- multivariate normal entropy: (d (1 + log 2 pi) + log det S) / 2 ---------------------------


def _entropy_arguments(mean: Any = None, cov: Any = 1) -> tuple[Any, ...]:
    return _mvn_parameters(mean, cov)


def _entropy(mean: Any, cov: Any) -> Any:
    spectrum = _Spectrum(getval(cov), "scipy.stats.multivariate_normal.entropy")
    if spectrum.singular:  # SciPy's entropy allows a singular cov: its rank and pseudo-determinant
        _singular_cov("entropy", cov)
        return 0.5 * (spectrum.rank * (_LOG_2PI + 1) + spectrum.log_pdet)
    d = shape_of(cov)[-1]
    return 0.5 * (d * (_LOG_2PI + 1) + slogdet(0.5 * (cov + T(cov)))[1])  # d/dcov = S^-1 / 2


mvn_entropy = public(
    "scipy.stats.multivariate_normal.entropy",
    _entropy,  # type: ignore[arg-type]
    _entropy_arguments,
    "``scipy.stats.multivariate_normal.entropy(mean=None, cov=1)``, differentiable in cov (and "
    "constant in mean), at a positive-definite cov.",
)


# -- Dirichlet ---------------------------------------------------------------------------


def _components(alpha: Any, x: Any) -> Any:
    """``alpha`` (K,) shaped to broadcast along the first axis of ``x`` (K, ...)."""
    return reshape(alpha, (-1,) + (1,) * (len(shape_of(x)) - 1))


def _dirichlet_logpdf(x: Any, alpha: Any) -> Any:
    a = np.reshape(alpha, (-1,) + (1,) * (np.ndim(x) - 1))
    return np.sum(sc.xlogy(a - 1, x), axis=0) - (np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha)))


def _dirichlet_dalpha(alpha: Any) -> Any:
    """``digamma(alpha) - digamma(sum alpha)``: minus the log normalizer's gradient."""
    return digamma(alpha) - digamma(sum_(alpha))


def _dirichlet_vjp_alpha(h: Any, x: Any, alpha: Any) -> Any:
    k = shape_of(alpha)[0]
    logs = sum_(reshape(h, (1, -1)) * reshape(log(x), (k, -1)), axis=1)
    return unbroadcast(logs - sum_(h) * _dirichlet_dalpha(alpha), alpha)


def _dirichlet_samples() -> list[Sample]:
    def point(*shape: int) -> Any:
        return rand(*shape, low=0.1, high=0.9)

    def concentration(k: int) -> Any:
        return rand(k, low=0.5, high=3.0)

    return [
        Sample(point(3), concentration(3)),
        Sample(point(3, 4), concentration(3)),
        Sample(point(2, 2, 3), concentration(2)),
    ]


_dirichlet_vjps = (
    lambda h, x, alpha: unbroadcast(expand_dims(h, 0) * (_components(alpha, x) - 1) / x, x),
    _dirichlet_vjp_alpha,
)
_dirichlet_jvps = (
    lambda t, x, alpha: sum_(t * (_components(alpha, x) - 1) / x, axis=0),
    lambda t, x, alpha: sum_(_components(t, x) * log(x), axis=0) - sum_(t * _dirichlet_dalpha(alpha)),
)
dirichlet_logpdf = _primitive(
    "dirichlet", "logpdf", _dirichlet_logpdf, _dirichlet_vjps, _dirichlet_jvps, _dirichlet_samples()
)
dirichlet_pdf = _primitive("dirichlet", "pdf", _dirichlet_logpdf, _dirichlet_vjps, _dirichlet_jvps, _dirichlet_samples())


def _dirichlet_arguments(x: Any, alpha: Any) -> tuple[Any, Any]:
    """SciPy's checks, and the last component of ``x`` appended when it is left implicit."""
    alpha, x = _array(alpha), _array(x)
    a = getval(alpha)
    if np.min(a) <= 0:
        raise ValueError("All parameters must be greater than 0")
    if a.ndim != 1:
        raise ValueError(f"Parameter vector 'a' must be one dimensional, but a.shape = {a.shape}.")
    k = a.shape[0]
    n = shape_of(x)[0]
    if n + 1 != k and n != k:
        raise ValueError(
            "Vector 'x' must have either the same number of entries as, or one entry fewer than, "
            f"parameter vector 'a', but alpha.shape = {a.shape} and x.shape = {shape_of(x)}."
        )
    if n != k:
        if len(shape_of(x)) > 2:
            raise ValueError("The input must be one dimensional or a two dimensional matrix containing the entries.")
        x = concatenate([x, expand_dims(1 - sum_(x, axis=0), 0)], axis=0)
    xv = getval(x)
    if np.min(xv) < 0:
        raise ValueError("Each entry in 'x' must be greater than or equal to zero.")
    if np.max(xv) > 1:
        raise ValueError("Each entry in 'x' must be smaller or equal one.")
    if np.any((xv == 0) & (np.reshape(a, (-1,) + (1,) * (xv.ndim - 1)) < 1)):
        raise ValueError("Each entry in 'x' must be greater than zero if its alpha is less than one.")
    if np.any(np.abs(np.sum(xv, 0) - 1.0) > 10e-10):
        raise ValueError(f"The input vector 'x' must lie within the normal simplex. but np.sum(x, 0) = {np.sum(xv, 0)}.")
    return x, alpha


def _dirichlet_public(kind: str, prim: Primitive) -> Any:
    def args(x: Any, alpha: Any) -> tuple[Any, ...]:
        return _dirichlet_arguments(x, alpha)

    def squeezed(*a: Any) -> Any:
        return _squeeze(prim(*a))

    doc = (
        f"``scipy.stats.dirichlet.{kind}(x, alpha)``, differentiable in x and alpha; components "
        "along the first axis of x, the last one implied when x has one row fewer than alpha."
    )
    return public(f"scipy.stats.dirichlet.{kind}", squeezed, args, doc)  # type: ignore[arg-type]


def _dirichlet_rvs(alpha: Any, size: Any = 1, random_state: Any = None) -> Any:
    """``scipy.stats.dirichlet.rvs(alpha, size=1, random_state=None)``: draws, with no derivative."""
    import scipy.stats  # only when drawing: importing scipy.stats is slow

    return scipy.stats.dirichlet.rvs(alpha, size, random_state)


# Sampling has no derivative to give: rvs strips traced arguments and returns plain draws.
dirichlet_rvs = NonDifferentiable("scipy.stats.dirichlet.rvs", _dirichlet_rvs)


ENTRIES = {
    "multivariate_normal": [
        mvn_logpdf,
        mvn_pdf,
        _mvn_public("logpdf", mvn_logpdf),
        _mvn_public("pdf", mvn_pdf),
        mvn_entropy,
    ],
    "dirichlet": [
        dirichlet_logpdf,
        dirichlet_pdf,
        _dirichlet_public("logpdf", dirichlet_logpdf),
        _dirichlet_public("pdf", dirichlet_pdf),
        dirichlet_rvs,
    ],
}
