"""Set operations and histograms: their values are elements of their arguments, or sums
of them, so they are differentiable in them.

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
from plugrad.box import Box, getval, holds_box, plain_value
from plugrad_numpy._util import as_array_value
from plugrad_numpy.indexing import take
from plugrad_numpy.joining import concatenate, linspace
from plugrad_numpy.reductions import max, min, sum
from plugrad_numpy.shape import ravel, reshape
from plugrad_numpy.statistics import bincount, diff

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
    "histogram",
    "histogram2d",
    "histogramdd",
    "histogram_bin_edges",
]


def _traced(x: Any) -> bool:
    """Whether ``x`` is traced, or a list or tuple holding traced values."""
    return isinstance(x, Box) or (isinstance(x, (list, tuple)) and holds_box(x))


def _as_numpys(numpy_fun: Any, fun: Any) -> Composite:
    """``fun`` published as ``numpy.<name>`` of ``numpy_fun``, with its docstring."""
    composite = Composite(f"numpy.{numpy_fun.__name__}", fun)
    composite.__doc__ = numpy_fun.__doc__
    return composite


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
    ar = as_array_value(ar)
    out = np.unique(getval(ar), True, return_inverse, return_counts, axis, **kwargs)  # type: ignore[call-overload]
    values = _gather(ar, out[1], axis)
    kept = (out[1],) if return_index else ()
    rest = (values, *kept, *out[2:])
    return rest[0] if len(rest) == 1 else rest


unique = _as_numpys(np.unique, _unique)


def _array_api_unique(fun: Any) -> Composite:
    """``numpy.unique_values`` and the rest, their values taken from the argument."""

    def call(x: Any) -> Any:
        if not _traced(x):
            return fun(x)
        x = as_array_value(x)
        result = fun(getval(x))
        found = result if fun is np.unique_values else result.values
        # Their order is NumPy's; each value's first position, from the sorted distinct
        # values (where every NaN is distinct, and sorts last: the k-th NaN found is the k-th).
        distinct, first = np.unique(getval(x), return_index=True, equal_nan=False)
        at = np.searchsorted(distinct, found)
        nan = np.isnan(found) if found.dtype.kind in "fc" else np.zeros(found.shape, bool)
        if nan.any():
            at[nan] = np.flatnonzero(np.isnan(distinct))[: nan.sum()]
        values = _gather(x, first[at])
        return values if fun is np.unique_values else result._replace(values=values)

    return _as_numpys(fun, call)


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
    ar1, ar2 = _arrays(ar1), _arrays(ar2)
    values, i1, i2 = np.intersect1d(getval(ar1), getval(ar2), assume_unique, return_indices=True)
    # Each value is in both arguments: taken from the first that is traced.
    traced = _gather(ar1, i1) if _traced(ar1) else _gather(ar2, i2)
    return (traced, i1, i2) if return_indices else traced


def _union1d(ar1: Any, ar2: Any) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.union1d(ar1, ar2)
    ar1, ar2 = _arrays(ar1), _arrays(ar2)
    return _unique(concatenate([ravel(ar1), ravel(ar2)]))


def _setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.setdiff1d(ar1, ar2, assume_unique)
    ar1, ar2 = _arrays(ar1), _arrays(ar2)
    candidates = _unique1d(ar1, assume_unique)
    keep = ~np.isin(getval(candidates), getval(ar2), assume_unique=assume_unique)
    return take(candidates, np.flatnonzero(keep))


def _setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False) -> Any:
    if not (_traced(ar1) or _traced(ar2)):
        return np.setxor1d(ar1, ar2, assume_unique)
    ar1, ar2 = _arrays(ar1), _arrays(ar2)
    both = concatenate([_unique1d(ar1, assume_unique), _unique1d(ar2, assume_unique)])
    _, index, counts = np.unique(getval(both), return_index=True, return_counts=True)
    return take(both, index[counts == 1])  # in one argument only, sorted as NumPy sorts them


intersect1d = _as_numpys(np.intersect1d, _intersect1d)
union1d = _as_numpys(np.union1d, _union1d)
setdiff1d = _as_numpys(np.setdiff1d, _setdiff1d)
setxor1d = _as_numpys(np.setxor1d, _setxor1d)


# -- histograms ------------------------------------------------------------------------


def _edges(a: Any, edges: np.ndarray, given: Any, limits: Any) -> Any:
    """Bin edges as traced as what they come from: ``given`` edges (``bins`` as an array)
    are themselves; edges spread over ``limits`` (``range``), or over the data ``a``'s
    extremes where there is no ``range``, follow those; else the plain ``edges``."""
    if np.ndim(plain_value(given)) == 1:
        return as_array_value(given) if _traced(given) else edges
    if limits is not None:
        if not _traced(limits):
            return edges
        low, high = limits
    elif _traced(a) and np.size(getval(a)):
        low, high = min(a), max(a)
    else:
        return edges
    if getval(low) == getval(high):  # NumPy's unit interval around a single value
        low, high = low - 0.5, high + 0.5
    return linspace(low, high, len(edges), dtype=edges.dtype)


def _bin_of(a: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bin of each element of the flat ``a`` that falls in the edges, and where those
    are: NumPy's rule, each bin half-open but the last, which holds its right edge."""
    inside = (a >= edges[0]) & (a <= edges[-1])
    bins = np.searchsorted(edges, a[inside], side="right") - 1
    bins[a[inside] == edges[-1]] = len(edges) - 2
    return bins, np.flatnonzero(inside)


def _histogram(a: Any, bins: Any = 10, range: Any = None, density: Any = None, weights: Any = None) -> Any:  # noqa: A002
    if not any(_traced(v) for v in (a, bins, range, weights)):
        return np.histogram(a, bins, range, density, weights)
    a, weights = _arrays(a), _arrays(weights)
    plain_a = np.asarray(getval(a))
    counts, plain_edges = np.histogram(plain_a, plain_value(bins), plain_value(range), False, getval(weights))
    edges = _edges(a, plain_edges, bins, range)
    hist: Any = counts
    if _traced(weights):  # linear in the weights: each bin sums those of its elements
        index, inside = _bin_of(np.ravel(plain_a), plain_edges)
        hist = bincount(index, take(ravel(weights), inside), len(plain_edges) - 1)
    if density:
        hist = hist / diff(edges) / sum(hist)
    return hist, edges


def _histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None, weights: Any = None) -> Any:  # noqa: A002
    a = _arrays(a)
    edges = np.histogram_bin_edges(np.asarray(getval(a)), plain_value(bins), plain_value(range), getval(_arrays(weights)))
    return _edges(a, edges, bins, range)


def _histogramdd(sample: Any, bins: Any = 10, range: Any = None, density: Any = None, weights: Any = None) -> Any:  # noqa: A002
    if not any(_traced(v) for v in (sample, bins, range, weights)):
        return np.histogramdd(sample, bins, range, density, weights)
    columns = _columns(sample)
    weights = _arrays(weights)
    dims = len(columns)
    plain = np.stack([np.ravel(getval(c)) for c in columns], axis=1)
    try:  # NumPy's reading of bins: one per dimension, or the same for all
        per_dim_bins = list(bins) if len(bins) == dims else bins
    except TypeError:
        per_dim_bins = [bins] * dims
    plain_bins = [plain_value(b) for b in per_dim_bins] if isinstance(per_dim_bins, list) else plain_value(per_dim_bins)
    counts, plain_edges = np.histogramdd(plain, plain_bins, plain_value(range), False, getval(weights))
    per_dim_range = list(range) if range is not None else [None] * dims
    edges = [_edges(c, e, b, r) for c, e, b, r in zip(columns, plain_edges, per_dim_bins, per_dim_range)]
    hist: Any = counts
    if _traced(weights):
        # NumPy's binning: each column's bin, outliers in an extra bin at either end.
        nbin = np.array([len(e) + 1 for e in plain_edges])
        places = []
        for d, e in enumerate(plain_edges):
            place = np.searchsorted(e, plain[:, d], side="right")
            place[plain[:, d] == e[-1]] -= 1
            places.append(place)
        full = bincount(np.ravel_multi_index(tuple(places), tuple(nbin)), ravel(weights), int(nbin.prod()))
        hist = reshape(full, tuple(nbin))[(slice(1, -1),) * dims]
    if density:
        total = sum(hist)
        for d, e in enumerate(edges):
            shape = [1] * dims
            shape[d] = len(plain_edges[d]) - 1
            hist = hist / reshape(diff(e), tuple(shape))
        hist = hist / total
    return hist, edges


def _arrays(x: Any) -> Any:
    """An argument NumPy reads as an array, as one (traced where it holds traced values)."""
    return as_array_value(x) if _traced(x) else x


def _columns(sample: Any) -> list[Any]:
    """The coordinates of ``histogramdd``'s sample: the arrays given, or the columns of an
    (N, D) array, or one coordinate for a 1-D array (NumPy's ``atleast_2d(sample).T``)."""
    if isinstance(sample, (list, tuple)) and not (sample and np.ndim(getval(sample[0])) == 0):
        return [_arrays(c) for c in sample]
    sample = _arrays(sample)
    if len(np.shape(getval(sample))) == 1:
        return [sample]
    count = np.shape(getval(sample))[1]
    return [take(sample, d, axis=1) if _traced(sample) else getval(sample)[:, d] for d in np.arange(count)]


def _histogram2d(x: Any, y: Any, bins: Any = 10, range: Any = None, density: Any = None, weights: Any = None) -> Any:  # noqa: A002
    if not any(_traced(v) for v in (x, y, bins, range, weights)):
        return np.histogram2d(x, y, bins, range, density, weights)
    try:
        n = len(bins)
    except TypeError:
        n = 1
    if n not in (1, 2):  # one array of edges for both coordinates, as NumPy reads it
        bins = [bins, bins]
    hist, edges = _histogramdd([_arrays(x), _arrays(y)], bins, range, density, weights)
    return hist, edges[0], edges[1]


histogram = _as_numpys(np.histogram, _histogram)
histogram_bin_edges = _as_numpys(np.histogram_bin_edges, _histogram_bin_edges)
histogramdd = _as_numpys(np.histogramdd, _histogramdd)
histogram2d = _as_numpys(np.histogram2d, _histogram2d)
