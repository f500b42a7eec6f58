"""``numpy.sum`` and ``numpy.mean`` with cotangents laid out in the reduced array's chunks.

The numpy pack broadcasts the cotangent of a reduction back with ``np.broadcast_to``, which
Dask answers with one chunk along every broadcast axis: the cotangent of the mean of a
billion-row column would be one billion-element block on one worker. These overrides
broadcast it in the chunks of the array that was reduced, so each block of the cotangent
is made beside the block of data it multiplies. On anything but a Dask array they apply
the numpy pack's own rules unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive
from plugrad.box import Meta
from plugrad_dask._util import chunks_of, is_dask
from plugrad_numpy._util import match_dtype, mean_fun, shape_of, sum_fun, sum_jvp, unbroadcast

__all__ = ["broadcast_to", "mean", "sum"]


_reductions: Any = None


def _numpy() -> Any:
    """The numpy pack's reductions, imported on first use: this module is imported to
    settle the ``numpy`` namespace, which must not import every numpy pack module."""
    global _reductions
    if _reductions is None:
        from plugrad_numpy import reductions

        _reductions = reductions
    return _reductions


def _broadcast_to(x: Any, shape: tuple[int, ...], chunks: tuple[tuple[int, ...], ...]) -> Any:
    import dask.array as da

    x = da.asarray(x)
    lead = len(shape) - x.ndim
    kept = {i: chunks[lead + i] for i, n in enumerate(x.shape) if n == shape[lead + i]}
    if kept and any(x.chunks[i] != c for i, c in kept.items()):
        x = x.rechunk(kept)
    # A product with ones rather than da.broadcast_to: elementwise, so Dask fuses it into the
    # tasks that use the cotangent instead of adding one task per block.
    return x * da.ones(shape, dtype=x.dtype, chunks=chunks)


broadcast_to = Primitive(
    "dask._broadcast_to",
    _broadcast_to,
    complex=True,
    saves=("shapes",),
    doc="``x`` broadcast to ``shape`` as a Dask array of the given ``chunks``.",
)
broadcast_to.def_vjp(lambda g, ans, x, shape, chunks: unbroadcast(g, x))
broadcast_to.def_linear()


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))))


def expand(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """The cotangent ``g`` of a reduction of Dask array ``x`` over ``axis``, broadcast
    back to ``x``'s shape in ``x``'s chunks and dtype."""
    shape = shape_of(x)
    axes = _axes(axis, len(shape))
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    if not keepdims and shape_of(g) != kept:
        from plugrad_numpy.shape import reshape

        g = reshape(g, kept)
    return match_dtype(broadcast_to(g, shape, chunks_of(x)), x)


def _axis_and_keepdims(
    axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, *rest: Any, **kw: Any
) -> tuple[Any, bool]:
    """``axis`` and ``keepdims`` of a call of ``numpy.sum`` or ``numpy.mean``, however given."""
    return axis, keepdims


# A NumPy array reaches these rules as its Meta (the commonest case, told apart first).
def _sum_vjp(g: Any, ans: Any, x: Any, *args: Any, **kw: Any) -> Any:
    if type(x) is Meta or not is_dask(x):
        return _numpy()._sum_vjp(g, ans, x, *args, **kw)
    return expand(g, x, *_axis_and_keepdims(*args, **kw))


def _mean_vjp(g: Any, ans: Any, x: Any, *args: Any, **kw: Any) -> Any:
    if type(x) is Meta or not is_dask(x):
        return _numpy()._mean_vjp(g, ans, x, *args, **kw)
    axis, keepdims = _axis_and_keepdims(*args, **kw)
    return expand(g / _numpy().count(x, axis), x, axis, keepdims)


# Shapes only: a NumPy array reaches the rules as its Meta, a Dask array as itself (the
# tape keeps every array type but ndarray whole), so the rules still see its chunks.
sum = Primitive("numpy.sum", sum_fun, complex=True, override=True, saves=("shapes",), doc=np.sum.__doc__)
sum.def_vjp(_sum_vjp)
sum.def_jvp(sum_jvp(sum))
sum.def_samples(lambda: _numpy().sum.samples())

mean = Primitive("numpy.mean", mean_fun, complex=True, override=True, saves=("shapes",), doc=np.mean.__doc__)
mean.def_vjp(_mean_vjp)
mean.def_linear()
mean.def_samples(lambda: _numpy().mean.samples())
