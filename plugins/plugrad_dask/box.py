"""DaskArrayBox: a traced Dask array, with an ndarray's operators and methods.

It is the numpy pack's :class:`~plugrad_numpy.box.ArrayBox` (operators, ``astype``,
``reshape``, ``T``, raw NumPy calls dispatched to the registry) except where that
calls a numpy-pack primitive whose rule Dask cannot run or runs badly: indexing and
the ``sum``/``mean`` methods use this pack's primitives instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plugrad_dask import reductions
from plugrad_numpy.box import ArrayBox

__all__ = ["DaskArrayBox"]


class DaskArrayBox(ArrayBox):
    """A traced Dask array."""

    __slots__ = ()

    @property
    def chunks(self) -> tuple[tuple[int, ...], ...]:
        return self._value.chunks

    # Indexing's module is imported on first use: NumPy users never pay for it.
    def __getitem__(self, index: Any) -> Any:
        from plugrad_dask.indexing import getitem

        return getitem(self, index)

    def __iter__(self) -> Iterator[Any]:
        from plugrad_dask.indexing import getitem

        return (getitem(self, i) for i in range(len(self._value)))

    def sum(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False) -> Any:
        options = {} if out is None else {"out": out}  # refused by the primitive, as np.sum(x, out=...) is
        return reductions.sum(self, axis=axis, dtype=dtype, keepdims=keepdims, **options)

    def mean(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False) -> Any:
        options = {} if out is None else {"out": out}
        return reductions.mean(self, axis=axis, dtype=dtype, keepdims=keepdims, **options)
