"""Makers of sample matrices inside the domains where the derivatives exist.

Each returns ``make(rng, dtype)`` for :func:`plugrad.gen`: a stack ``(*batch, m, n)``
of the dtype asked for (complex when the checker asks for complex). The spectra are
fixed and well separated, so finite differences stay far from the places where
eigenvectors or singular vectors stop being differentiable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Maker = Callable[[np.random.Generator, str], Any]

__all__ = [
    "general", "singular", "hermitian", "diagonalizable", "rotation_pairs", "rectangular", "vectors", "with_zeros"
]


def _normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x


def _unitary(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.linalg.qr(_normal(rng, shape, dtype))[0]


def general(n: int, *batch: int) -> Maker:
    """Well-conditioned square matrices: random, shifted by ``2 I`` away from singularity."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        a = _normal(rng, (*batch, n, n), dtype) / np.sqrt(2 * n) + 2 * np.eye(n)
        return np.asarray(a, dtype)

    return make


def singular(n: int, rank: int, *batch: int) -> Maker:
    """Square matrices of rank ``rank < n`` (zero for ``rank=0``), up to rounding: for
    functions, such as ``det``, whose derivatives exist at singular matrices too."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        a = _normal(rng, (*batch, n, rank), dtype) @ _normal(rng, (*batch, rank, n), dtype)
        return np.asarray(a / np.sqrt(n), dtype)

    return make


def hermitian(n: int, *batch: int, low: float = -2.0) -> Maker:
    """Hermitian matrices with eigenvalues ``low, low + 1, ...`` (jittered), so distinct;
    ``low > 0`` makes them positive definite."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        q = _unitary(rng, (*batch, n, n), dtype)
        w = low + np.arange(n) + rng.uniform(-0.2, 0.2, (*batch, n))
        a = (q * w[..., None, :]) @ np.conj(np.swapaxes(q, -1, -2))
        return np.asarray((a + np.conj(np.swapaxes(a, -1, -2))) / 2, dtype)

    return make


def diagonalizable(n: int, *batch: int) -> Maker:
    """Non-normal matrices ``V diag(w) V^-1`` with distinct eigenvalues (real for real
    dtypes, complex for complex ones)."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        v = np.eye(n) + 0.3 * _normal(rng, (*batch, n, n), dtype)
        w = 1.0 + np.arange(n) + rng.uniform(-0.2, 0.2, (*batch, n))
        if np.dtype(dtype).kind == "c":
            w = w + 1j * rng.uniform(-1, 1, (*batch, n))
        return np.asarray((v * w[..., None, :]) @ np.linalg.inv(v), dtype)

    return make


def rotation_pairs(*batch: int) -> Maker:
    """Real 3x3 matrices with eigenvalues ``1 +- 2i`` and ``3``: complex eigenvalues of a
    real matrix."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        block = np.array([[1.0, -2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
        v = np.eye(3) + 0.3 * rng.standard_normal((*batch, 3, 3))
        return np.asarray(v @ block @ np.linalg.inv(v), dtype)

    return make


def rectangular(m: int, n: int, *batch: int, low: float = 1.0) -> Maker:
    """``m x n`` matrices of full rank with singular values ``low, low + 0.7, ...``
    (jittered): distinct and nonzero."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        k = min(m, n)
        u = _unitary(rng, (*batch, m, k), dtype)
        v = _unitary(rng, (*batch, n, k), dtype)
        s = low + 0.7 * np.arange(k) + rng.uniform(-0.1, 0.1, (*batch, k))
        return np.asarray((u * s[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2)), dtype)

    return make


def vectors(*shape: int, low: float = 0.2, high: float = 1.0) -> Maker:
    """Random arrays with every entry's magnitude in ``[low, high]`` (signs random):
    away from the kinks of ``abs`` at zero."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        mag = rng.uniform(low, high, shape)
        if np.dtype(dtype).kind == "c":
            return np.asarray(mag * np.exp(2j * np.pi * rng.uniform(size=shape)), dtype)
        return np.asarray(mag * rng.choice([-1.0, 1.0], shape), dtype)

    return make


def with_zeros(*shape: int) -> Maker:
    """Like :func:`vectors`, with the first entry along the last axis exactly zero: where
    ``|x|^4``, and a 4-norm over that axis, is smooth, though ``|x|`` is not."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        x = vectors(*shape)(rng, dtype)
        x[..., 0] = 0
        return x

    return make
