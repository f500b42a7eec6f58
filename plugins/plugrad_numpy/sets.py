"""Set operations and histograms: their values are elements of their arguments, or sums
of them, so they are differentiable there.

``unique`` and the set operations are gathers: each value is an element of an argument,
found by NumPy on the plain values, and taken from the traced argument, so its
derivative reaches that element (for a value that occurs several times, the first
occurrence, where NumPy's ``return_index`` points). Indices, inverses and counts are
constants. A histogram is linear in its ``weights``; its bin edges, where they come
from the data (bins given as a number or a rule, no ``range``), follow the data's
minimum and maximum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Composite
from plugrad.box import Box, getval
from plugrad_numpy.indexing import take
from plugrad_numpy.joining import concatenate
from plugrad_numpy.shape import ravel

__all__ = [
    "unique",
    "unique_values",
    "unique_counts",
    "unique_inverse",
    "unique_all",
    "intersect1d",
    "union1d",
    "setdiff1d",
    "setxor1d",
]


def _traced(x: Any) -> bool:
    return isinstance(x, Box)


def _gather(x: Any, index: Any, axis: Any = None) -> Any:
    """``x``'s elements at ``index`` (along ``axis``, or of the flattened ``x``)."""
    return take(ravel(x), index) if axis is None else take(x, index, axis=axis)


def _unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Any = None,
    **kwargs: Any,
) -> Any:
    if not _traced(ar):
        return np.unique(ar, return_index, return_inverse, return_counts, axis, **kwargs)  # type: ignore[call-overload]
    out = np.unique(getval(ar), True, return_inverse, return_counts, axis, **kwargs)  # type: ignore[call-overload]
    values = _gather(ar, out[1], axis)
    kept = (out[1],) if return_index else ()
    rest = (values, *kept, *out[2:])
    return rest[0] if len(rest) == 1 else rest


unique = Composite("numpy.unique", _unique)
unique.__doc__ = np.unique.__doc__


def _array_api_unique(fun: Any) -> Composite:
    """``numpy.unique_values`` and the rest, their values taken from the argument."""

    def call(x: Any) -> Any:
        result = fun(getval(x))
        if not _traced(x):
            return result
        found = result if fun is np.unique_values else result.values
        # Their order is NumPy's; each value's first position, from the sorted distinct values.
        distinct, first = np.unique(getval(x), return_index=True, equal_nan=False)
        values = _gather(x, first[np.searchsorted(distinct, found)])
        return values if fun is np.unique_values else result._replace(values=values)

    prim = Composite(f"numpy.{fun.__name__}", call)
    prim.__doc__ = fun.__doc__
    return prim


unique_values = _array_api_unique(np.unique_values)
unique_counts = _array_api_unique(np.unique_counts)
unique_inverse = _array_api_unique(np.unique_inverse)
unique_all = _array_api_unique(np.unique_all)


def _unique1d(x: Any, assume_unique: bool) -> Any:
    """The distinct elements of ``x``, flattened (sorted unless ``assume_unique``)."""
    return ravel(x) if assume_unique else _unique(x)


def _intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False, return_indices: bool = False) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.intersect1d(ar1, ar2, assume_unique, return_indices)  # type: ignore[call-overload]
    values, i1, i2 = np.intersect1d(getval(ar1), getval(ar2), assume_unique, return_indices=True)
    # Each value is in both arguments: taken from the first that is traced.
    traced = _gather(ar1, i1) if _traced(ar1) else _gather(ar2, i2)
    return (traced, i1, i2) if return_indices else traced


def _union1d(ar1: Any, ar2: Any) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.union1d(ar1, ar2)
    return _unique(concatenate([ravel(ar1), ravel(ar2)]))


def _setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.setdiff1d(ar1, ar2, assume_unique)
    candidates = _unique1d(ar1, assume_unique)
    keep = ~np.isin(getval(candidates), getval(ar2), assume_unique=assume_unique)
    return take(candidates, np.flatnonzero(keep))


def _setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.setxor1d(ar1, ar2, assume_unique)
    both = concatenate([_unique1d(ar1, assume_unique), _unique1d(ar2, assume_unique)])
    _, index, counts = np.unique(getval(both), return_index=True, return_counts=True)
    return take(both, index[counts == 1])  # in one argument only, sorted as NumPy sorts them


intersect1d = Composite("numpy.intersect1d", _intersect1d)
intersect1d.__doc__ = np.intersect1d.__doc__
union1d = Composite("numpy.union1d", _union1d)
union1d.__doc__ = np.union1d.__doc__
setdiff1d = Composite("numpy.setdiff1d", _setdiff1d)
setdiff1d.__doc__ = np.setdiff1d.__doc__
setxor1d = Composite("numpy.setxor1d", _setxor1d)
setxor1d.__doc__ = np.setxor1d.__doc__
