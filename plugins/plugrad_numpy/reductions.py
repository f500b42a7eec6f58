"""Reductions over axes: sum, mean and friends, with ``axis`` and ``keepdims``."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand, scalar
from plugrad_numpy._util import match_dtype, shape_of


def axis_samples(*, low: float = -1.0, high: float = 1.0) -> list[Sample]:
    """Full reductions, each axis, several axes, negative axes, keepdims, scalars."""
    return [
        Sample(scalar(low, high)),
        Sample(rand(5, low=low, high=high)),
        Sample(rand(3, 4, low=low, high=high)),
        Sample(rand(3, 4, low=low, high=high), axis=0),
        Sample(rand(3, 4, low=low, high=high), axis=-1, keepdims=True),
        Sample(rand(2, 3, 4, low=low, high=high), axis=(0, 2)),
        Sample(rand(2, 3, low=low, high=high), keepdims=True),
    ]


def _norm_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def expand_to(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """A cotangent of a reduction over ``axis`` broadcast back to ``x``'s shape."""
    from plugrad_numpy.shape import broadcast_to, reshape

    shape = shape_of(x)
    if not keepdims:
        axes = _norm_axes(axis, len(shape))
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        if shape_of(g) != kept:
            g = reshape(g, kept)
    return match_dtype(broadcast_to(g, shape), x) if shape_of(g) != shape else match_dtype(g, x)


def count(x: Any, axis: Any) -> int:
    """How many elements a reduction over ``axis`` combines."""
    shape = shape_of(x)
    return int(np.prod([shape[a] for a in _norm_axes(axis, len(shape))]))


sum = Primitive("numpy.sum", np.sum, complex=True)  # noqa: A001 - numpy's name
sum.def_vjp(lambda g, ans, x, axis=None, dtype=None, keepdims=False, **kw: expand_to(g, x, axis, keepdims))
sum.def_linear()
sum.def_samples(*axis_samples())

mean = Primitive("numpy.mean", np.mean, complex=True)
mean.def_vjp(lambda g, ans, x, axis=None, dtype=None, keepdims=False, **kw: expand_to(g, x, axis, keepdims) / count(x, axis))
mean.def_linear()
mean.def_samples(*axis_samples())
