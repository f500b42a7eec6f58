"""``x[index]`` of a Dask array, and its transpose, which Dask cannot do the NumPy way.

The numpy pack transposes a read ``x[index]`` by adding the cotangent into zeros with
``np.add.at``, a ufunc method Dask does not implement. Here the transpose is lazy:

- a basic index (integers, slices, ``...``, ``None``) reads each element at most once, so
  the cotangent is *assigned* into zeros chunked like ``x`` (Dask's ``__setitem__``): no
  block moves anywhere it would not have to;
- any other index (integer or boolean arrays, NumPy or Dask) may read an element several
  times, so each block of the cotangent is scattered and added (``np.bincount``) into a
  vector as large as ``x``, and these are summed by a tree reduction. That costs memory of
  ``x``'s size per block: right for ``x`` of parameter size, wasteful for a huge ``x``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive
from plugrad.box import getval
from plugrad_dask._util import chunks_of
from plugrad_numpy._util import dtype_of, shape_of, unbroadcast

__all__ = ["getitem", "untake"]


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


def _is_basic(index: tuple[Any, ...]) -> bool:
    return all(
        i is None
        or i is Ellipsis
        or isinstance(i, (slice, np.integer))
        or (isinstance(i, int) and not isinstance(i, bool))
        for i in index
    )


def _without_newaxes(index: tuple[Any, ...], ndim: int) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """``index`` with ``...`` spelled out and ``None`` removed, and the axes of ``x[index]``
    that the removed ``None`` entries made (each of size 1)."""
    explicit = sum(1 for i in index if i is not None and i is not Ellipsis)
    spelled: list[Any] = []
    for i in index:
        spelled.extend([slice(None)] * (ndim - explicit) if i is Ellipsis else [i])
    out, new_axes, axis = [], [], 0
    for i in spelled:
        if i is None:
            new_axes.append(axis)
        else:
            out.append(i)
        if i is None or isinstance(i, slice):
            axis += 1
    return tuple(out), tuple(new_axes)


def _scatter_block(positions: np.ndarray, values: np.ndarray, size: int, out_dtype: np.dtype) -> np.ndarray:
    """One block's contribution: ``values`` added at flat ``positions`` of a zero vector, as a row."""
    p, v = positions.ravel(), values.ravel()
    if out_dtype.kind == "c":
        out = np.bincount(p, v.real, size) + 1j * np.bincount(p, v.imag, size)
    else:
        out = np.bincount(p, v, size)
    return out.astype(out_dtype, copy=False)[None, :]


def _positions_block(shape: tuple[int, ...], block_info: Any = None) -> np.ndarray:
    """The flat (row-major) positions in an array of ``shape`` of one block's elements."""
    location = block_info[None]["array-location"]
    strides = np.cumprod((shape[1:] + (1,))[::-1])[::-1]
    grids = np.ix_(*[np.arange(start, stop) for start, stop in location])
    return sum((grid * stride for grid, stride in zip(grids, strides)), np.zeros((), np.intp))


def _untake(g: Any, index: Any, shape: tuple[int, ...], dtype: Any, chunks: Any) -> Any:
    import dask.array as da

    dtype = np.result_type(dtype, dtype_of(g))
    index = index if isinstance(index, tuple) else (index,)
    if _is_basic(index):
        index, new_axes = _without_newaxes(index, len(shape))
        out = da.zeros(shape, dtype=dtype, chunks=chunks)  # dask ignores a positional dtype
        out[index] = da.squeeze(da.asarray(g), new_axes) if new_axes else g
        return out
    size = int(np.prod(shape))
    positions = da.map_blocks(
        _positions_block, shape, dtype=np.intp, chunks=chunks, meta=np.empty((0,) * len(shape), np.intp)
    )[index]
    g = da.broadcast_to(da.asarray(g), positions.shape)
    if g.chunks != positions.chunks:
        g = g.rechunk(positions.chunks)
    parts = da.blockwise(
        _scatter_block,
        "bi",
        positions.ravel() if positions.ndim != 1 else positions,
        "b",
        g.ravel() if g.ndim != 1 else g,
        "b",
        new_axes={"i": size},
        adjust_chunks={"b": 1},
        size=size,
        out_dtype=dtype,
        dtype=dtype,
        meta=np.empty((0, 0), dtype),
    )
    return parts.sum(axis=0).reshape(shape).rechunk(chunks)


getitem = Primitive(
    "dask._getitem", _getitem, complex=True, doc="``x[index]`` of a Dask array, differentiably."
)
untake = Primitive(
    "dask._untake",
    _untake,
    complex=True,
    saves=("shapes",),
    doc="Zeros of ``shape`` in ``chunks`` with ``g`` added at ``index``: the transpose of ``x[index]``.",
)
getitem.def_vjp(lambda g, ans, x, index: untake(g, index, shape_of(x), dtype_of(getval(x)), chunks_of(x)))
getitem.def_linear()
untake.def_vjp(lambda g, ans, x, index, shape, dtype, chunks: unbroadcast(getitem(g, index), x))
untake.def_linear()
