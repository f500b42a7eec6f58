"""Helpers the SciPy linear-algebra rules share: which part of a matrix a solver reads
(``assume_a``, ``lower``), the ``trans`` codes, and outer products of solutions.

Every helper that touches a differentiable value is built from primitives, so the
rules that use it can be differentiated again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad_linalg._util import H, T, diag, diag_embed, eye
from plugrad_numpy._util import iscomplex, shape_of
from plugrad_numpy.linear import matmul
from plugrad_numpy.shape import tril, triu
from plugrad_numpy.unary import conj, real

__all__ = [
    "cj",
    "columns",
    "is_vector",
    "op",
    "outer",
    "structure",
    "structured",
    "structured_transpose",
    "times",
    "trans_code",
]


def cj(x: Any) -> Any:
    """The complex conjugate, skipped for real ``x``."""
    return conj(x) if iscomplex(x) else x


_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}


def trans_code(trans: Any) -> int:
    """LAPACK's ``trans`` as 0 (``a``), 1 (``a^T``) or 2 (``a^H``)."""
    try:
        return _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(f"trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}") from None


def op(x: Any, trans: int) -> Any:
    """``x``, ``x^T`` or ``x^H``. Each is its own transpose under plugrad's pairing
    ``Re sum(g * u)``, so ``op(g, trans)`` is also the cotangent of ``x`` given the
    cotangent ``g`` of ``op(x, trans)``."""
    return x if trans == 0 else T(x) if trans == 1 else H(x)


_STRUCTURES = {
    None: "general", "gen": "general", "general": "general", "banded": "general",
    "diagonal": "diagonal", "tridiagonal": "tridiagonal",
    "upper triangular": "upper", "lower triangular": "lower",
    "sym": "sym", "symmetric": "sym",
    "her": "her", "hermitian": "her", "pos": "her", "positive definite": "her",
}  # fmt: skip


def structure(assume_a: Any, a: Any) -> str:
    """What part of ``a`` SciPy's solvers read for ``assume_a``: ``'general'`` (all of it;
    ``None`` detects structure only where it holds exactly, and ``'banded'`` detects the
    bandwidth from the nonzeros, so both read every entry), ``'diagonal'``,
    ``'tridiagonal'``, ``'upper'``, ``'lower'``, ``'sym'`` or ``'her'`` (one triangle)."""
    try:
        kind = _STRUCTURES[assume_a]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown assume_a {assume_a!r}; SciPy accepts {sorted(k for k in _STRUCTURES if k)}"
        ) from None
    return "sym" if kind == "her" and not iscomplex(a) else kind


def _band(n: int, like: Any, width: int) -> np.ndarray:
    i = np.arange(n)
    return (np.abs(i[:, None] - i[None, :]) <= width).astype(eye(1, like).dtype)


def _half(x: Any, lower: bool, k: int) -> Any:
    """The triangle SciPy reads, below (``lower``) or above diagonal ``k``."""
    return tril(x, -k) if lower else triu(x, k)


def structured(a: Any, kind: str, lower: bool) -> Any:
    """The matrix a solver of ``kind`` sees when given ``a``: for ``'sym'`` the triangle it
    reads mirrored, for ``'her'`` mirrored and conjugated with the diagonal made real.
    Linear over the reals in ``a`` (complex-linear except for ``'her'``)."""
    n = shape_of(a)[-1]
    if kind == "general":
        return a
    if kind == "diagonal":
        return a * eye(n, a)
    if kind == "tridiagonal":
        return a * _band(n, a, 1)
    if kind in ("upper", "lower"):
        return tril(a) if kind == "lower" else triu(a)
    strict = _half(a, lower, 1)
    if kind == "sym":
        return strict + T(strict) + a * eye(n, a)
    return strict + H(strict) + diag_embed(real(diag(a)))


def structured_transpose(g: Any, kind: str, lower: bool) -> Any:
    """The transpose of :func:`structured` under plugrad's pairing ``Re sum(g * u)``."""
    n = shape_of(g)[-1]
    if kind in ("general", "diagonal", "tridiagonal", "upper", "lower"):
        return structured(g, kind, lower)  # masks are their own transposes
    if kind == "sym":
        return _half(g + T(g), lower, 1) + g * eye(n, g)
    diagonal = diag_embed(real(diag(g))) if iscomplex(g) else g * eye(n, g)
    return _half(g + H(g), lower, 1) + diagonal


def is_vector(b: Any) -> bool:
    """Whether a right-hand side ``b`` is one vector (1-d), as SciPy's solvers read it."""
    return len(shape_of(b)) == 1


def columns(solver: Any, y: Any, vector: bool) -> Any:
    """``solver`` applied to right-hand sides ``y`` that are (stacks of) vectors when
    ``vector``, passed to it as one-column matrices: SciPy reads a 2-d ``b`` as a matrix,
    not as a stack of vectors."""
    return solver(y[..., None])[..., 0] if vector else solver(y)


def times(m: Any, x: Any, vector: bool) -> Any:
    """``m x`` for (stacks of) vectors (``vector``) or matrices ``x``."""
    return matmul(m, x[..., None])[..., 0] if vector else matmul(m, x)


def outer(h: Any, x: Any, vector: bool) -> Any:
    """``h x^T`` for right-hand sides that are vectors (``vector``) or matrices: the
    cotangent of ``a`` in ``a x = b`` is ``-outer(a^-T g, x)``."""
    if vector:
        return h[..., :, None] * x[..., None, :]
    return matmul(h, T(x))
