"""Helpers the linear-algebra rules share: transposes, Hermitian parts (and the warning
where an input has none to speak of), constant masks, and the ``1 / (d_j - d_i)`` matrix
of eigenvalue and singular-value derivatives.

Every helper that touches a differentiable value is built from primitives, so the
rules that use it can be differentiated again.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.box import Box, getval
from plugrad.errors import user_stacklevel
from plugrad_linalg import NotHermitianWarning
from plugrad_numpy._util import dtype_of, iscomplex, shape_of
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import diagonal, reshape, swapaxes
from plugrad_numpy.unary import conj, real

__all__ = [
    "T",
    "H",
    "herm",
    "HERMITIAN_RTOL",
    "largest_entry",
    "check_hermitian",
    "hermitian_part",
    "square",
    "mm",
    "real_dtype",
    "eye",
    "over_gaps",
    "diag",
    "diag_embed",
    "as_matrix",
    "trace",
    "inverse_gaps",
    "unused",
    "column_peaks",
    "peak_phase",
    "selector",
]


def T(x: Any) -> Any:
    """The transpose of the last two axes."""
    return swapaxes(x, -1, -2)


def H(x: Any) -> Any:
    """The conjugate transpose of the last two axes (a plain transpose for real ``x``)."""
    return conj(swapaxes(x, -1, -2)) if iscomplex(x) else swapaxes(x, -1, -2)


def herm(x: Any) -> Any:
    """The Hermitian part ``(x + x^H) / 2``."""
    return (x + H(x)) / 2


# How far from Hermitian an input may be before the functions computing on its Hermitian
# part warn: |herm(a) - a_T| <= HERMITIAN_RTOL max|a| entry by entry, with a_T the
# Hermitian matrix NumPy or SciPy build from the one triangle they read (the largest
# entries, not sums of squares: no overflow or underflow at any scale). Below it the two
# differ by about the noise already in a matrix that is Hermitian up to a percent (a Hessian
# by finite differences). A triangle, or a general matrix, is off by 0.2 to 1 and warns.
# Rounding does not, nor do the gradient checker's finite differences: float32 samples take
# steps of 1e-3 along Gaussian directions, about 3e-3 of this pack's samples' largest
# entries, float64 ones steps of 1e-6. (The steps are taken in double precision, so a
# float64 array may carry a float32 sample's step: one tolerance for all.)
HERMITIAN_RTOL = 1e-2


def largest_entry(x: np.ndarray) -> np.ndarray:
    """Each matrix's largest entry in magnitude, on axes of length 1: the scale
    :func:`check_hermitian` measures asymmetry against unless told another."""
    return np.max(np.abs(x), axis=(-2, -1), keepdims=True, initial=0.0)


def check_hermitian(
    x: Any, name: str, lower: bool, option: str, scale: Callable[[np.ndarray], np.ndarray] = largest_entry
) -> np.ndarray:
    """``x^H`` of a plain array ``x``, for the implementations of ``name``: warning, once for
    the whole stack, where an entry of ``x - x^H`` exceeds ``2 HERMITIAN_RTOL`` times
    ``scale(x)``, an array that broadcasts against ``x``: each matrix's largest entry, or
    each entry's own where the entries differ in scale by design (a covariance's).
    ``lower`` and ``option`` (``"UPLO='L'"``) say which triangle NumPy or SciPy read
    instead. An exactly Hermitian ``x`` costs one comparison; any other a few passes over
    ``x``, not a factorization."""
    x = np.asarray(x)
    complex_ = x.dtype.kind == "c"
    xh = x.swapaxes(-1, -2).conj() if complex_ else x.swapaxes(-1, -2)  # (the method: no dispatch)
    if not (x == xh).all():
        # (NaN compares false, and inf - inf or inf * 0 is NaN: an entry whose difference or
        # scale is not finite does not warn; nor, by its largest entry, a non-finite matrix.)
        with np.errstate(invalid="ignore"):
            skew = np.abs(x - xh)  # twice the difference, entry by entry
            if complex_ and x.shape[-1]:  # the imaginary part of the diagonal, which LAPACK ignores
                diagonal = np.arange(x.shape[-1])
                skew[..., diagonal, diagonal] = 0
            if (skew > 2 * HERMITIAN_RTOL * scale(x)).any():
                warn_not_hermitian(name, lower, option)
    return xh


def square(x: Any) -> bool:
    """Whether ``x`` is a stack of square matrices. The functions that compute on the
    Hermitian part leave any other shape to NumPy or SciPy, which raise their own error
    (or, for what they accept, give their own result), before ``(a + a^H) / 2`` is formed."""
    shape = np.shape(x)
    return len(shape) >= 2 and shape[-1] == shape[-2]


def hermitian_part(x: Any, name: str, lower: bool, option: str) -> np.ndarray:
    """:func:`herm` of a plain array, for the implementations of ``name``, warning as
    :func:`check_hermitian` does where a matrix of ``x`` is not Hermitian."""
    x = np.asarray(x)
    return (x + check_hermitian(x, name, lower, option)) / 2


def warn_not_hermitian(name: str, lower: bool, option: str) -> None:
    library = "SciPy" if name.startswith("scipy.") else "NumPy"
    side = "lower" if lower else "upper"
    full = "np.tril(a) + np.tril(a, -1).conj().T" if lower else "np.triu(a) + np.triu(a, 1).conj().T"
    message = (
        f"{name}: the matrix is not Hermitian. plugrad computes on its Hermitian part "
        f"(a + a^H) / 2, whereas {library} reads only its {side} triangle (with {option}), so the "
        f"results differ from {library}'s. Pass a Hermitian matrix; to use the {side} triangle "
        f"alone, build the full matrix from it first: {full}."
    )
    warnings.warn(NotHermitianWarning(message), stacklevel=user_stacklevel())


def mm(*factors: Any) -> Any:
    """The matrix product of ``factors``, left to right."""
    out = factors[0]
    for f in factors[1:]:
        out = matmul(out, f)
    return out


def real_dtype(x: Any) -> np.dtype:
    """The real dtype of ``x``'s precision (float32 for complex64)."""
    return np.finfo(dtype_of(getval(x))).dtype


def eye(n: int, like: Any, m: int | None = None, k: int = 0) -> np.ndarray:
    """A constant identity in ``like``'s real precision (so float32 stays float32)."""
    return np.eye(n, m, k, dtype=real_dtype(like))


def diag(x: Any) -> Any:
    """The diagonals of a stack of matrices."""
    return diagonal(x, 0, -2, -1)


def diag_embed(d: Any) -> Any:
    """Diagonal matrices with diagonals ``d`` (``(..., n) -> (..., n, n)``)."""
    n = shape_of(d)[-1]
    return d[..., :, None] * eye(n, d)


def as_matrix(s: Any) -> Any:
    """A stack of scalars ``(...)`` as ``(..., 1, 1)``, to scale a stack of matrices."""
    return reshape(s, tuple(shape_of(s)) + (1, 1))


def trace(x: Any) -> Any:
    """The traces of a stack of matrices."""
    return sum_(diag(x), axis=-1)


def inverse_gaps(d: Any) -> Any:
    """``F[..., i, j] = 1 / (d_j - d_i)`` off the diagonal and 0 on it.

    Infinite where two of ``d`` coincide: the derivatives that use it (of eigenvectors,
    of singular vectors) do not exist there.
    """
    n = shape_of(d)[-1]
    identity = eye(n, d)
    gaps = d[..., None, :] - d[..., :, None]
    return (1 - identity) / (gaps + identity)


def over_gaps(m: Any, d: Any) -> Any:
    """``inverse_gaps(d) * m``, but 0 where two of ``d`` coincide and ``m`` is exactly 0
    there, as a VJP's ``V^T gV`` is where the cotangents of those two vectors are zero: a
    function of one eigenvector, when two other eigenvalues repeat, has a derivative, where
    inf * 0 would make it NaN. (Where ``m`` is not zero there, the derivative does not
    exist, and it stays infinite.) Both masks of a derivative of a derivative: the
    division's own rule never sees a zero gap."""
    values = np.asarray(getval(d))  # (the masks are constants: read off the values, untraced)
    diagonal = np.eye(values.shape[-1], dtype=bool)
    both = (values[..., None, :] == values[..., :, None]) & (getval(m) == 0)
    if not np.any(both & ~diagonal):
        return inverse_gaps(d) * m
    from plugrad_numpy.indexing import where

    skipped = both | diagonal  # (the diagonal is 0, as inverse_gaps')
    return where(skipped, 0.0, m / where(skipped, 1.0, d[..., None, :] - d[..., :, None]))


def unused(cotangent: Any) -> bool:
    """Whether a cotangent is a plain array of zeros: its output was not used. A rule
    leaves out that output's term, so that a function of the eigenvalues or singular
    values alone has a finite derivative where they repeat (``inverse_gaps`` is infinite
    there, and inf * 0 is NaN), as in autograd. A traced cotangent is kept whatever its
    value: its derivative may not be zero. (Inside a derivative of a derivative, the
    cotangent of an output nobody read is still plain zeros: see plugrad.reverse.)"""
    return not isinstance(cotangent, Box) and not np.any(cotangent)


def column_peaks(x: Any, axis: int = -2) -> tuple[np.ndarray, Any]:
    """Where each vector of ``x`` along ``axis`` peaks in magnitude, and its value there.

    Returns a constant one-hot mask of ``x``'s shape and the (differentiable) peak
    entries as reals: the phase conventions of this pack, and LAPACK's for ``eig``,
    make them real.
    """
    mask = np.zeros(shape_of(x), real_dtype(x))
    if shape_of(x)[axis]:  # (empty vectors have no peak: their mask is empty)
        peak = np.argmax(np.abs(getval(x)), axis=axis, keepdims=True)
        np.put_along_axis(mask, peak, 1, axis=axis)
    return mask, real(sum_(x * mask, axis=axis))


def peak_phase(x: np.ndarray, axis: int) -> np.ndarray:
    """For plain arrays: the unit factors (keeping ``axis`` as size 1) that make each
    vector's largest-magnitude entry along ``axis`` real and positive (1 for empty vectors)."""
    if x.shape[axis] == 0:
        return np.ones(x.shape[:axis % x.ndim] + (1,) + x.shape[axis % x.ndim + 1 :], x.dtype)
    peak = np.take_along_axis(x, np.argmax(np.abs(x), axis=axis, keepdims=True), axis=axis)
    return np.conj(peak) / np.abs(peak)


def selector(n: int, start: int, stop: int, like: Any) -> np.ndarray:
    """A constant ``(stop - start, n)`` matrix whose rows are unit vectors ``start..stop-1``:
    ``selector(...) @ x`` takes rows of ``x``, ``T(selector(...)) @ y`` places rows."""
    return eye(n, like)[start:stop]
