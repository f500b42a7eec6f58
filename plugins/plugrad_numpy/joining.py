"""Joining arrays into one and splitting one into many, and building arrays from
(nested) lists whose elements may be traced or from traced endpoints (``linspace``).

NumPy takes the arrays to join as one list, but a primitive sees only the boxes
among its positional arguments; so each public function (a Composite) splats the
list into a variadic primitive, ``numpy._concatenate(axis, *arrays)`` or
``numpy._stack(axis, *arrays)``, whose VJP for each array is its slice of the
cotangent. Splitting is slicing, so the split functions are Composites of
``getitem``: a piece that is never used sends back no cotangent at all.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from builtins import iter as builtins_iter  # (fromiter's argument is numpy's `iter`)
from typing import Any

import numpy as np

from plugrad import Box, Composite, NotDifferentiableError, Primitive, Sample, TraceError, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import dtype_of, shape_of, unbroadcast
from plugrad_numpy.indexing import getitem
from plugrad_numpy.shape import atleast_1d, atleast_2d, atleast_3d, broadcast_to, ravel, reshape, transpose


def _traced(x: Any) -> bool:
    """Whether ``x`` is traced or is a list or tuple holding a traced value at any depth."""
    if isinstance(x, Box):
        return True
    return type(x) in (list, tuple) and any(_traced(e) for e in x)


def _along(axis: int, index: Any) -> tuple[Any, ...]:
    """An index selecting ``index`` along ``axis`` (non-negative) and everything elsewhere."""
    return (slice(None),) * axis + (index,)


def _axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def _zeros(x: Any, ans: Any) -> np.ndarray:
    return np.zeros(shape_of(x), dtype_of(ans))


# -- the variadic primitives --------------------------------------------------------


def _concatenate_fun(axis: Any, *arrays: Any) -> Any:
    return np.concatenate(arrays, axis=axis)


def _concatenate_vjp(argnums: tuple[int, ...], g: Any, ans: Any, axis: Any, *arrays: Any) -> list[Any]:
    # One call for every traced piece (def_vjp_argnums): each piece's offset is the running
    # total of the lengths before it, added up once, so joining n pieces costs O(n).
    if axis is None:  # the arrays were flattened
        sizes = [math.prod(shape_of(a)) for a in arrays]
    else:
        ax = _axis(axis, len(shape_of(arrays[0])))  # all have the output's ndim
        sizes = [shape_of(a)[ax] for a in arrays]
    starts = list(itertools.accumulate(sizes, initial=0))
    pieces = []
    for argnum in argnums:
        i = argnum - 1
        start, stop = starts[i], starts[i + 1]
        if axis is None:
            piece = reshape(getitem(g, slice(start, stop)), shape_of(arrays[i]))
        else:
            piece = getitem(g, _along(ax, slice(start, stop)))
        pieces.append(unbroadcast(piece, arrays[i]))
    return pieces


def _tangents(argnums: tuple[int, ...], ts: tuple[Any, ...], ans: Any, arrays: tuple[Any, ...]) -> list[Any]:
    """The arrays' tangents in order: ``ts`` for the arrays numbered ``argnums`` (counting
    the axis as argument 0), zeros for the others."""
    given = dict(zip(argnums, ts))
    return [given[j + 1] if j + 1 in given else _zeros(a, ans) for j, a in enumerate(arrays)]


def _concatenate_jvp(argnums: tuple[int, ...], ts: tuple[Any, ...], ans: Any, axis: Any, *arrays: Any) -> Any:
    return _concatenate(axis, *_tangents(argnums, ts, ans, arrays))


_concatenate = Primitive(
    "numpy._concatenate",
    _concatenate_fun,
    complex=True,
    saves=("shapes",),
    doc="``np.concatenate(arrays, axis)``",
)
_concatenate.def_vjp_argnums(_concatenate_vjp)
_concatenate.def_jvp_argnums(_concatenate_jvp)
_concatenate.def_samples(
    Sample(0, rand(2, 3), rand(1, 3)),
    Sample(-1, rand(2, 1), rand(2, 3), rand(2, 2)),
    Sample(1, rand(2, 3, 2), rand(2, 1, 2)),
    Sample(None, rand(2, 2), rand(3), scalar()),
    Sample(0, rand(3), np.array([1.0, 2.0]), rand(1)).wrt(1, 3),
)


def _stack_fun(axis: int, *arrays: Any) -> Any:
    return np.stack(arrays, axis=axis)


def _stack_vjp(argnums: tuple[int, ...], g: Any, ans: Any, axis: int, *arrays: Any) -> list[Any]:
    ax = _axis(axis, len(shape_of(arrays[0])) + 1)  # the output has one more axis
    return [unbroadcast(getitem(g, _along(ax, argnum - 1)), arrays[argnum - 1]) for argnum in argnums]


def _stack_jvp(argnums: tuple[int, ...], ts: tuple[Any, ...], ans: Any, axis: int, *arrays: Any) -> Any:
    return _stack(axis, *_tangents(argnums, ts, ans, arrays))


_stack = Primitive(
    "numpy._stack", _stack_fun, complex=True, saves=("shapes",), doc="``np.stack(arrays, axis)``."
)
_stack.def_vjp_argnums(_stack_vjp)
_stack.def_jvp_argnums(_stack_jvp)
_stack.def_samples(
    Sample(0, scalar(), scalar(), scalar()),
    Sample(0, rand(), rand()),
    Sample(0, rand(3), rand(3)),
    Sample(-1, rand(2, 3), rand(2, 3), rand(2, 3)),
    Sample(1, rand(2, 3), rand(2, 3)),
    Sample(0, scalar(), 2.0, 0).wrt(1),
)


# -- arrays from (nested) lists ------------------------------------------------------


def _build(obj: Any) -> Any:
    """``obj`` as one array, stacking lists level by level where they hold traced values."""
    if isinstance(obj, Box) and isinstance(getval(obj), (list, tuple)):
        obj = list(obj)  # a traced list or (named) tuple: its elements, each traced
    if isinstance(obj, (list, tuple)) and _traced(obj):
        elements = [_build(e) for e in obj]
        shapes = [tuple(shape_of(e)) for e in elements]
        if len(set(shapes)) > 1:  # (NumPy's words, then what to do)
            raise ValueError(
                "setting an array element with a sequence: numpy.array of a list holding traced "
                f"values whose elements have different shapes ({', '.join(map(str, shapes))}) makes "
                "no array (an inhomogeneous shape). Give them one shape, or join them end to end "
                "with np.concatenate."
            )
        return _stack(0, *elements)
    return obj


def _finish(x: Any, dtype: Any = None, ndmin: int = 0) -> Any:
    """``x`` cast to ``dtype`` and given at least ``ndmin`` axes."""
    if dtype is not None and np.dtype(dtype) != dtype_of(x):
        from plugrad_numpy.unary import astype

        x = astype(x, dtype)
    shape = tuple(shape_of(x))
    if len(shape) < ndmin:
        x = reshape(x, (1,) * (ndmin - len(shape)) + shape)
    return x


def _array(object: Any, dtype: Any = None, *, ndmin: int = 0, **kwargs: Any) -> Any:  # noqa: A002 - numpy's name
    if not _traced(object):
        return np.array(object, dtype, ndmin=ndmin, **kwargs)
    return _finish(_build(object), dtype, ndmin)


def _asarray(a: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> Any:
    if not _traced(a):
        return np.asarray(a, dtype, *args, **kwargs)
    return _finish(_build(a), dtype)


def _asanyarray(a: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> Any:
    if not _traced(a):
        return np.asanyarray(a, dtype, *args, **kwargs)
    return _finish(_build(a), dtype)


def _ascontiguousarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    if not _traced(a):
        return np.ascontiguousarray(a, dtype, like=like)
    return _finish(_build(a), dtype, ndmin=1)


def _fromiter(iter: Any, dtype: Any, count: int = -1, *, like: Any = None) -> Any:  # noqa: A002 - numpy's names
    # An iterable of traced values (np.fromiter(f(x) for x in xs), a loop's terms) is read
    # into a list and stacked, as np.array of it; any other is handed to NumPy as it is,
    # unread but for its first element, which tells the two apart.
    items = builtins_iter(iter)
    head = list(itertools.islice(items, 1 if count != 0 else 0))
    if not (head and isinstance(head[0], Box)):
        return np.fromiter(itertools.chain(head, items), dtype, count, like=like)
    values = head + list(items if count < 0 else itertools.islice(items, count - 1))
    if 0 <= count != len(values):
        raise ValueError(f"iterator too short: Expected {count} but iterator had only {len(values)} items.")
    return _finish(_build(values), dtype, ndmin=1)


array = Composite("numpy.array", _array)
fromiter = Composite("numpy.fromiter", _fromiter)
asarray = Composite("numpy.asarray", _asarray)
asanyarray = Composite("numpy.asanyarray", _asanyarray)
ascontiguousarray = Composite("numpy.ascontiguousarray", _ascontiguousarray)


# -- joining -------------------------------------------------------------------------


def _elements(arrays: Any) -> list[Any]:
    """The arrays of a sequence (a traced array or list is iterated), each an array or traced."""
    return [_build(a) for a in arrays]


def _no_out(name: str, out: Any) -> None:
    if out is not None:
        raise TraceError(
            f"numpy.{name} got out= with traced arrays; plugrad cannot write into an existing "
            "array while differentiating. Use the returned array instead."
        )


def _join(numpy_fun: Any, prim: Primitive, arrays: Any, axis: Any, out: Any, dtype: Any, **kwargs: Any) -> Any:
    if not _traced(arrays):
        return numpy_fun(arrays, axis, out, dtype=dtype, **kwargs)
    _no_out(numpy_fun.__name__, out)
    return _finish(prim(axis, *_elements(arrays)), dtype)


def _concatenate_public(arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None, **kwargs: Any) -> Any:
    return _join(np.concatenate, _concatenate, arrays, axis, out, dtype, **kwargs)


def _concat(arrays: Any, /, axis: Any = 0, out: Any = None, *, dtype: Any = None, **kwargs: Any) -> Any:
    return _join(np.concat, _concatenate, arrays, axis, out, dtype, **kwargs)


def _stack_public(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, **kwargs: Any) -> Any:
    return _join(np.stack, _stack, arrays, axis, out, dtype, **kwargs)


def _hstack(tup: Any, *, dtype: Any = None, casting: Any = "same_kind") -> Any:
    if not _traced(tup):
        return np.hstack(tup, dtype=dtype, casting=casting)
    arrs = [atleast_1d(a) for a in _elements(tup)]
    axis = 0 if arrs and len(shape_of(arrs[0])) == 1 else 1
    return _finish(_concatenate(axis, *arrs), dtype)


def _vstack(tup: Any, *, dtype: Any = None, casting: Any = "same_kind") -> Any:
    if not _traced(tup):
        return np.vstack(tup, dtype=dtype, casting=casting)
    return _finish(_concatenate(0, *[atleast_2d(a) for a in _elements(tup)]), dtype)


def _dstack(tup: Any) -> Any:
    if not _traced(tup):
        return np.dstack(tup)
    return _concatenate(2, *[atleast_3d(a) for a in _elements(tup)])


def _column_stack(tup: Any) -> Any:
    if not _traced(tup):
        return np.column_stack(tup)
    columns = [reshape(a, (-1, 1)) if len(shape_of(a)) < 2 else a for a in _elements(tup)]
    return _concatenate(1, *columns)


def _block(arrays: Any) -> Any:
    if not _traced(arrays):
        return np.block(arrays)
    # NumPy checks the nesting and the shapes on placeholders of the same shapes.
    ndim = np.block(_placeholders(arrays)).ndim
    depth = _depth(arrays)

    def join(obj: Any, level: int) -> Any:
        if type(obj) is list:  # the innermost lists join along the last axis
            return _concatenate(level - depth, *[join(e, level + 1) for e in obj])
        obj = _build(obj)
        shape = tuple(shape_of(obj))
        return reshape(obj, (1,) * (ndim - len(shape)) + shape) if len(shape) < ndim else obj

    return join(arrays, 0)


def _placeholders(obj: Any) -> Any:
    if type(obj) in (list, tuple):  # np.block rejects tuples itself
        return type(obj)(_placeholders(e) for e in obj)
    shape = shape_of(getval(obj)) if isinstance(obj, Box) else np.shape(obj)
    return np.broadcast_to(np.zeros((), bool), shape)


def _depth(obj: Any) -> int:
    return 1 + _depth(obj[0]) if type(obj) is list and obj else int(type(obj) is list)


def _append(arr: Any, values: Any, axis: Any = None) -> Any:
    if not _traced((arr, values)):
        return np.append(arr, values, axis)
    arr, values = _build(arr), _build(values)
    if axis is None:
        return _concatenate(0, ravel(arr), ravel(values))
    return _concatenate(axis, arr, values)


concatenate = Composite("numpy.concatenate", _concatenate_public)
concat = Composite("numpy.concat", _concat)
stack = Composite("numpy.stack", _stack_public)
hstack = Composite("numpy.hstack", _hstack)
vstack = Composite("numpy.vstack", _vstack)
dstack = Composite("numpy.dstack", _dstack)
column_stack = Composite("numpy.column_stack", _column_stack)
block = Composite("numpy.block", _block)
append = Composite("numpy.append", _append)


# Deprecated in NumPy 2.0 and gone from NumPy 2.5, which Python 3.12 and later get;
# autograd code still calls it, so plugrad keeps it whichever NumPy is installed.
def _row_stack(tup: Any, *, dtype: Any = None, casting: Any = "same_kind") -> Any:
    message = "`row_stack` alias is deprecated. Use `np.vstack` directly."  # NumPy 2.0-2.4's words
    warnings.warn(message, DeprecationWarning, stacklevel=2)
    return _vstack(tup, dtype=dtype, casting=casting)


row_stack = Composite("numpy.row_stack", _row_stack)


# -- np.r_ and np.c_ -------------------------------------------------------------------


class _Concatenator:
    """``np.r_[...]`` or ``np.c_[...]`` whose items may be traced: each item becomes an
    array of at least ``ndmin`` axes as NumPy makes it, and they are joined by ``_concatenate``.
    Without traced items, NumPy's own object does the work."""

    __slots__ = ("name", "numpy_obj")

    def __init__(self, name: str, numpy_obj: Any) -> None:
        self.name = name
        self.numpy_obj = numpy_obj

    def __repr__(self) -> str:
        return f"<plugrad.numpy.{self.name}>"

    def __len__(self) -> int:
        return 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The registry publishes callables only; this one is indexed, as NumPy's is.
        raise TypeError(f"np.{self.name} is indexed, not called: write np.{self.name}[a, b, ...]")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):  # NumPy's matrix syntax, np.r_["a, b; c, d"], in the caller's names
            frame = sys._getframe(1)
            return np.bmat(key, frame.f_globals, frame.f_locals)
        if not _traced(key):
            return self.numpy_obj[key]
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.numpy_obj.axis, self.numpy_obj.ndmin, self.numpy_obj.trans1d
        if isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items[0], axis, ndmin, trans1d)
            items = items[1:]
        pieces, kinds = [], []  # kinds: dtypes, and plain scalars, which NumPy types weakly
        for item in items:
            if isinstance(item, str):
                raise ValueError("special directives must be the first entry.")
            if _traced(item):
                piece = _at_least(_build(item), ndmin, trans1d)
                kinds.append(dtype_of(getval(piece)))
            elif type(item) in np.ScalarType:
                piece = np.array(item, ndmin=ndmin)
                kinds.append(item)
            else:  # an array, a list or a range (a slice): made by NumPy alone
                piece = self.numpy_obj[(f"{axis},{ndmin},{trans1d}", item)]
                kinds.append(piece.dtype)
            pieces.append(piece)
        dtype = np.result_type(*kinds)
        pieces = [_finish(p, dtype) if isinstance(p, Box) else p.astype(dtype) for p in pieces]
        return _concatenate(axis, *pieces)


def _directive(text: str, axis: int, ndmin: int, trans1d: int) -> tuple[int, int, int]:
    """``axis``, ``ndmin`` and ``trans1d`` after a directive ``"axis[,ndmin[,trans1d]]"``."""
    if text in ("r", "c"):
        raise NotDifferentiableError(
            f"np.r_/np.c_ with the {text!r} directive makes an np.matrix, which plugrad does not "
            "trace; leave the directive out to get an ndarray."
        )
    parts = text.split(",")
    try:
        numbers = [int(p) for p in parts[:3]]
    except ValueError:
        raise ValueError(f"unknown special directive {text!r}") from None
    if len(numbers) == 1:
        return numbers[0], ndmin, trans1d
    return numbers[0], numbers[1], numbers[2] if len(parts) == 3 else trans1d


def _at_least(x: Any, ndmin: int, trans1d: int) -> Any:
    """``x`` with leading axes added up to ``ndmin``, its own axes then moved to start at
    ``trans1d`` (NumPy's rule for np.r_ and np.c_)."""
    shape = tuple(shape_of(x))
    added = ndmin - len(shape)
    if added <= 0:
        return x
    x = reshape(x, (1,) * added + shape)
    if trans1d == -1:
        return x
    first = trans1d + added + 1 if trans1d < 0 else trans1d
    axes = list(range(ndmin))
    return transpose(x, tuple(axes[:first] + axes[added:] + axes[first:added]))


r_ = Composite("numpy.r_", _Concatenator("r_", np.r_))
c_ = Composite("numpy.c_", _Concatenator("c_", np.c_))


# -- splitting -----------------------------------------------------------------------


def _split_along(ary: Any, indices_or_sections: Any, axis: int, numpy_split: Any) -> list[Any]:
    """The pieces of ``ary``: slices along ``axis`` where ``numpy_split`` cuts an index range."""
    ax = _axis(axis, len(shape_of(ary)))
    pieces = numpy_split(np.arange(shape_of(ary)[ax]), indices_or_sections)
    return [getitem(ary, _along(ax, slice(p[0], p[-1] + 1) if len(p) else slice(0, 0))) for p in pieces]


def _split(ary: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    ary = _build(ary)
    if not isinstance(ary, Box):
        return np.split(ary, indices_or_sections, axis)
    return _split_along(ary, indices_or_sections, axis, np.split)


def _array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    ary = _build(ary)
    if not isinstance(ary, Box):
        return np.array_split(ary, indices_or_sections, axis)
    return _split_along(ary, indices_or_sections, axis, np.array_split)


def _split_checked(name: str, ary: Any, indices_or_sections: Any, min_ndim: int, axis: int) -> Any:
    if len(shape_of(ary)) < min_ndim:
        raise ValueError(f"{name} only works on arrays of {min_ndim} or more dimensions")
    return _split_along(ary, indices_or_sections, axis, np.split)


def _hsplit(ary: Any, indices_or_sections: Any) -> Any:
    ary = _build(ary)
    if not isinstance(ary, Box):
        return np.hsplit(ary, indices_or_sections)
    return _split_checked("hsplit", ary, indices_or_sections, 1, 1 if len(shape_of(ary)) > 1 else 0)


def _vsplit(ary: Any, indices_or_sections: Any) -> Any:
    ary = _build(ary)
    if not isinstance(ary, Box):
        return np.vsplit(ary, indices_or_sections)
    return _split_checked("vsplit", ary, indices_or_sections, 2, 0)


def _dsplit(ary: Any, indices_or_sections: Any) -> Any:
    ary = _build(ary)
    if not isinstance(ary, Box):
        return np.dsplit(ary, indices_or_sections)
    return _split_checked("dsplit", ary, indices_or_sections, 3, 2)


def _unstack(x: Any, /, *, axis: int = 0) -> Any:
    if not isinstance(x, Box):
        return np.unstack(x, axis=axis)
    ax = _axis(axis, len(shape_of(x)))
    return tuple(getitem(x, _along(ax, i)) for i in range(shape_of(x)[ax]))


split = Composite("numpy.split", _split)
array_split = Composite("numpy.array_split", _array_split)
hsplit = Composite("numpy.hsplit", _hsplit)
vsplit = Composite("numpy.vsplit", _vsplit)
dsplit = Composite("numpy.dsplit", _dsplit)
unstack = Composite("numpy.unstack", _unstack)


# -- several arrays to one shape -----------------------------------------------------


def _broadcast_arrays(*args: Any, subok: bool = False) -> Any:
    if not _traced(args):
        return np.broadcast_arrays(*args, subok=subok)
    args = tuple(_build(a) for a in args)
    shape = np.broadcast_shapes(*[shape_of(a) for a in args])
    return tuple(a if shape_of(a) == shape else broadcast_to(a, shape) for a in args)


def _meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> Any:
    if not _traced(xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    shapes = [[1] * i + [-1] + [1] * (ndim - i - 1) for i in range(ndim)]
    if indexing == "xy" and ndim > 1:  # the first two output axes are swapped
        for s in shapes:
            s[0], s[1] = s[1], s[0]
    grids = tuple(reshape(_build(x), tuple(s)) for x, s in zip(xi, shapes))
    return grids if sparse else _broadcast_arrays(*grids)


broadcast_arrays = Composite("numpy.broadcast_arrays", _broadcast_arrays)
meshgrid = Composite("numpy.meshgrid", _meshgrid)


# -- evenly spaced values between traced endpoints ---------------------------------------
#
# linspace is linear in its endpoints: value i is start + (stop - start) * w[i], with the
# weights w = linspace(0, 1, num) placed along ``axis``. ``numpy._linspace`` is
# np.linspace without retstep (one output); the step, when asked for, is computed after.


def _linspace_fun(
    start: Any, stop: Any, num: int, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    return np.linspace(start, stop, num, endpoint, dtype=dtype, axis=axis)


def _weights(
    start: Any, stop: Any, num: int, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> tuple[np.ndarray, int]:
    """The weight of ``stop`` in each output value, shaped to broadcast along the output's
    ``axis``, and that axis (normalized)."""
    ndim = len(np.broadcast_shapes(shape_of(start), shape_of(stop))) + 1
    ax = _axis(axis, ndim)
    w = np.linspace(0.0, 1.0, num, endpoint)
    return w.reshape(tuple(-1 if i == ax else 1 for i in range(ndim))), ax


def _linspace_vjp(argnum: int) -> Any:
    from plugrad_numpy.reductions import sum as sum_

    def vjp(g: Any, ans: Any, start: Any, stop: Any, *options: Any, **kwargs: Any) -> Any:
        w, ax = _weights(start, stop, *options, **kwargs)
        return unbroadcast(sum_(g * (1.0 - w if argnum == 0 else w), axis=ax), (start, stop)[argnum])

    return vjp


def _linspace_jvp(argnum: int) -> Any:
    # The tangent runs from t to 0 (of start) or from 0 to t (of stop).
    def jvp(t: Any, ans: Any, start: Any, stop: Any, *options: Any, **kwargs: Any) -> Any:
        zero = np.zeros(shape_of((stop, start)[argnum]), dtype_of(getval(t)))
        return _linspace(*((t, zero) if argnum == 0 else (zero, t)), *options, **kwargs)

    return jvp


_linspace = Primitive(
    "numpy._linspace",
    _linspace_fun,
    complex=True,
    saves=("shapes",),
    doc="``np.linspace(start, stop, num, endpoint, dtype=dtype, axis=axis)``",
)
_linspace.def_vjp(_linspace_vjp(0), _linspace_vjp(1))
_linspace.def_jvp(_linspace_jvp(0), _linspace_jvp(1))
_linspace.def_samples(
    Sample(scalar(), scalar(), 5),
    Sample(scalar(), scalar(), 1),
    Sample(scalar(), scalar(), 0),
    Sample(rand(3), scalar(), 4, False),
    Sample(rand(2, 1), rand(3), 4, axis=-1),
    Sample(scalar(), rand(2), 3, True, None, 1),
)


def _linspace_public(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    *,
    device: Any = None,
) -> Any:
    if not _traced((start, stop)):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis, device=device)
    start, stop = _build(start), _build(stop)
    samples = _linspace(start, stop, num, endpoint, dtype, axis)
    if not retstep:
        return samples
    div = num - 1 if endpoint else num
    return samples, (stop - start) / div if div > 0 else np.nan


linspace = Composite("numpy.linspace", _linspace_public)
