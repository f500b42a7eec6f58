"""The vector space of Dask arrays: every operation builds a lazy graph.

Zeros, ones and random vectors keep the chunks of the array they describe, so a
cotangent lines up block for block with the array it belongs to; inner products
are 0-d Dask arrays (tree reductions over the blocks). Only ``flatten`` and
``unflatten``, which exchange a vector with a flat NumPy array, compute.
"""

from __future__ import annotations

import math

from collections.abc import Iterator
from typing import Any

import numpy as np

from plugrad import NotDifferentiableError, VSpace
from plugrad.box import getval

__all__ = ["DaskVSpace"]


class DaskVSpace(VSpace):
    """Dask arrays of one shape and a float or complex dtype (chunks are remembered, not compared)."""

    __slots__ = ("chunks", "dtype", "iscomplex", "shape")

    def __init__(self, value: Any) -> None:
        dtype = np.dtype(value.dtype)
        if dtype.kind not in "fc":
            raise NotDifferentiableError(
                f"cannot differentiate with respect to a Dask array of dtype {dtype}: only float and "
                "complex arrays have derivatives. Cast it first, e.g. x.astype(float)."
            )
        if any(np.isnan(n) for n in value.shape):
            raise NotDifferentiableError(
                "cannot differentiate with respect to a Dask array of unknown shape "
                f"{value.shape}; call x.compute_chunk_sizes() first."
            )
        self.shape: tuple[int, ...] = tuple(int(n) for n in value.shape)
        self.dtype = dtype
        self.iscomplex = dtype.kind == "c"
        self.chunks: tuple[tuple[int, ...], ...] = value.chunks

    def zeros(self) -> Any:
        import dask.array as da

        return da.zeros(self.shape, dtype=self.dtype, chunks=self.chunks)

    def ones(self) -> Any:
        import dask.array as da

        return da.ones(self.shape, dtype=self.dtype, chunks=self.chunks)

    def randn(self, rng: np.random.Generator | None = None) -> Any:
        import dask.array as da

        seed = int((rng or np.random.default_rng()).integers(2**63))
        drng = da.random.default_rng(seed)
        x = drng.standard_normal(self.shape, chunks=self.chunks)
        if self.iscomplex:
            x = x + 1j * drng.standard_normal(self.shape, chunks=self.chunks)
        return x.astype(self.dtype)

    def standard_basis(self) -> Iterator[Any]:
        import dask.array as da

        for idx in np.ndindex(*self.shape):
            for unit in (1, 1j) if self.iscomplex else (1,):
                vec = np.zeros(self.shape, self.dtype)
                vec[idx] = unit
                yield da.from_array(vec, chunks=self.chunks)

    def inner_prod(self, x: Any, y: Any) -> Any:
        """Re <x, y>, conjugating ``x``: a 0-d Dask array (``float()`` computes it)."""
        return np.real(np.sum(np.conj(x) * y)) if self.iscomplex else np.sum(x * y)

    def flatten(self, x: Any) -> np.ndarray:
        flat = np.asarray(np.ravel(getval(x)))  # computes
        if self.iscomplex:
            return np.concatenate([flat.real, flat.imag])
        return flat

    def unflatten(self, flat: np.ndarray) -> Any:
        import dask.array as da

        flat = np.asarray(flat)
        if self.iscomplex:
            n = math.prod(self.shape)
            flat = flat[:n] + 1j * flat[n:]
        return da.from_array(np.reshape(np.asarray(flat, self.dtype), self.shape), chunks=self.chunks)
