"""Functions that rearrange, copy or pick out the elements of one array (and
``trace``, which sums a diagonal). All are linear (``pad`` with a constant is
affine), so each JVP is the function applied to the tangent, and each VJP the
transposed rearrangement of the cotangent: the inverse permutation, or a gather
that adds where an element was copied several times."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Box, Composite, NotDifferentiableError, Primitive, Sample, rand, scalar
from plugrad.box import getval, holds_box
from plugrad_numpy._util import dtype_of, integral, shape_of, unbroadcast, zeros_like_value


def _reshape(x: Any, shape: Any, *args: Any, **kwargs: Any) -> Any:
    return np.reshape(x, shape, *args, **kwargs)


def _in_order(order: Any) -> dict[str, Any]:
    return {} if order is None or order in "Cc" else {"order": order}  # (Dask's reshape takes no order=)


# The primitives take orders "C" and "F"; numpy.reshape and numpy.ravel (composites below)
# read "A" and "K" from how the array lies in memory, when they are called.
reshape = Primitive("numpy._reshape", _reshape, complex=True, saves=("shapes",))
reshape.public_name = "numpy.reshape"
reshape.def_vjp(lambda g, ans, x, shape, order="C", **k: reshape(g, shape_of(x), **_in_order(order)))
reshape.def_linear()
reshape.def_samples(
    Sample(rand(6), (2, 3)),
    Sample(rand(2, 3), -1),
    Sample(rand(2, 3, 2), (3, 4)),
    Sample(scalar(), (1, 1)),
    Sample(rand(2, 3), (3, 2), "F"),
)


def _memory_order(x: Any) -> tuple[int, ...]:
    """The axes of the array ``x`` from the one with the largest stride to the smallest:
    the order in which ravel's "K" reads it. NumPy's: an insertion sort by absolute stride
    from the innermost axis out, in which a zero stride (a broadcast) decides nothing."""
    strides = x.strides
    order = list(reversed(range(x.ndim)))  # innermost first
    for i in range(1, x.ndim):
        at, axis = i, order[i]
        for j in range(i - 1, -1, -1):
            if strides[axis] != 0 and strides[order[j]] != 0:
                if abs(strides[order[j]]) <= abs(strides[axis]):
                    break
                at = j
        order.insert(at, order.pop(i))
    return tuple(reversed(order))


def _plain_order(x: Any, order: Any) -> tuple[Any, tuple[int, ...] | None]:
    """``order`` for ``x`` as "C" or "F" or None, or as "C" of ``x``'s axes permuted as the
    returned ``perm`` (ravel's "K" of an array neither C- nor F-contiguous): NumPy's reading
    of "A" and "K", from how ``x`` lies in memory now."""
    if not isinstance(order, str) or order not in ("A", "a", "K", "k"):
        return order, None
    value = getval(x)
    if not isinstance(value, np.ndarray):  # a scalar, or another library's array: its own "C"
        return "C", None
    if order in "Aa":
        return ("F" if np.isfortran(value) else "C"), None
    if value.flags.c_contiguous:
        return "C", None
    if value.flags.f_contiguous:
        return "F", None
    perm = _memory_order(value)
    return ("C", None) if perm == tuple(range(value.ndim)) else ("C", perm)


_RESHAPE_KEYWORDS = ("shape", "order", "copy")  # NumPy's reshape(a, /, shape, order='C', *, copy=None)


def _reshape_public(a: Any, *args: Any, **kwargs: Any) -> Any:
    # NumPy's own errors for a call that does not fit, where the primitive's would name itself
    for key in kwargs:
        if key not in _RESHAPE_KEYWORDS:
            raise TypeError(f"reshape() got an unexpected keyword argument {key!r}")
    if not args and "shape" not in kwargs:
        raise TypeError("reshape() missing 1 required positional argument: 'shape'")
    if len(args) > 2:
        raise TypeError(f"reshape() takes from 2 to 3 positional arguments but {len(args) + 1} were given")
    if len(args) > 1:  # reshape(a, shape, order)
        args = (args[0], _plain_order(a, args[1])[0], *args[2:])
    elif "order" in kwargs:
        kwargs = {**kwargs, "order": _plain_order(a, kwargs["order"])[0]}
    return reshape(a, *args, **kwargs)


numpy_reshape = Composite("numpy.reshape", _reshape_public)
numpy_reshape.__doc__ = np.reshape.__doc__

broadcast_to = Primitive("numpy.broadcast_to", np.broadcast_to, complex=True, saves=("shapes",))
broadcast_to.def_vjp(lambda g, ans, x, shape, **k: unbroadcast(g, x))
broadcast_to.def_linear()
broadcast_to.def_samples(Sample(rand(3), (2, 3)), Sample(rand(2, 1), (2, 4)), Sample(scalar(), (3,)), Sample(rand(1, 3), (2, 2, 3)))


# Arrays filled with a value: a broadcast of ``fill_value``, whose cotangent is summed
# back to its shape. The shape, or the array whose shape and dtype ``full_like`` copies,
# carries no derivative; nor does the value, where the array holds integers or booleans.
def _fill_cotangent(g: Any, fill_value: Any, out_dtype: Any) -> Any:
    return zeros_like_value(fill_value) if integral(out_dtype) else unbroadcast(g, fill_value)


def _fill_tangent(t: Any, ans: Any) -> Any:
    """``t`` broadcast to the output, in its dtype (zeros for integers and booleans)."""
    dtype = dtype_of(ans)
    if integral(dtype):
        return np.zeros(shape_of(ans))
    out = broadcast_to(t, shape_of(ans))
    return out if dtype_of(out) == dtype else out.astype(dtype)


def _full_fun(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C") -> Any:
    return np.full(shape, fill_value, dtype, order)


# numpy._full: np.full with its arguments by position, so a fill value given by keyword
# (np.full(shape, fill_value=x)) is still a traced argument.
_full = Primitive("numpy._full", _full_fun, saves=("shapes",), doc="``numpy.full(shape, fill_value, dtype, order)``")
_full.public_name = "numpy.full"
_full.def_vjp(
    None,
    lambda g, ans, shape, fill_value, dtype=None, order="C": _fill_cotangent(
        g, fill_value, dtype if dtype is not None else dtype_of(fill_value)
    ),
)
_full.def_jvp(None, lambda t, ans, shape, fill_value, *a, **k: _fill_tangent(t, ans))
_full.def_samples(
    Sample((2, 3), scalar()), Sample((2, 3), rand(3)), Sample(4, rand(1)), Sample((2, 2), rand(2, 1), float)
)  # (an integer dtype's zero derivative is tested in tests/test_numpy_autograd_compat.py)


def _full_public(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", **kwargs: Any) -> Any:
    if not isinstance(fill_value, Box):
        return np.full(shape, fill_value, dtype, order, **kwargs)
    return _full(shape, fill_value, dtype, order)


full = Composite("numpy.full", _full_public)
full.__doc__ = np.full.__doc__

full_like = Primitive("numpy.full_like", np.full_like, saves=("shapes",))
full_like.def_vjp(
    lambda g, ans, a, fill_value, *args, **k: zeros_like_value(a),  # a gives only its shape and dtype
    lambda g, ans, a, fill_value, dtype=None, *args, **k: _fill_cotangent(
        g, fill_value, dtype if dtype is not None else dtype_of(a)
    ),
)
full_like.def_jvp(
    lambda t, ans, a, fill_value, *args, **k: _fill_tangent(0.0 * t, ans),
    lambda t, ans, a, fill_value, *args, **k: _fill_tangent(t, ans),
)
full_like.def_samples(
    Sample(np.zeros((2, 3)), scalar()),
    Sample(rand(2, 3), rand(3)),
    Sample(np.ones(4), rand(1)),
    Sample(np.zeros((3, 2)), rand(3, 1), shape=(2, 3, 2)),
)


def _inverse_axes(axes: Any, ndim: int) -> Any:
    return None if axes is None else tuple(np.argsort([a % ndim for a in axes]))


transpose = Primitive("numpy.transpose", np.transpose, complex=True, saves=("shapes",))
transpose.def_vjp(lambda g, ans, x, axes=None: transpose(g, _inverse_axes(axes, len(shape_of(x)))))
transpose.def_linear()
transpose.def_samples(Sample(rand(2, 3)), Sample(rand(2, 3, 4), (1, 2, 0)), Sample(rand(2, 3, 4), axes=(2, 0, 1)), Sample(rand(3)))

ravel = Primitive("numpy._ravel", np.ravel, complex=True, saves=("shapes",))
ravel.public_name = "numpy.ravel"
ravel.def_vjp(lambda g, ans, x, order="C": reshape(g, shape_of(x), **_in_order(order)))
ravel.def_linear()
ravel.def_samples(Sample(rand(2, 3)), Sample(rand(2, 3), order="F"), Sample(scalar()))


def _ravel_public(a: Any, order: Any = "C") -> Any:
    order, perm = _plain_order(a, order)
    if perm is not None:  # "K" of an array in no simple order: its axes in memory order, read in C order
        return ravel(transpose(a, perm))
    return ravel(a, order) if _in_order(order) else ravel(a)


numpy_ravel = Composite("numpy.ravel", _ravel_public)
numpy_ravel.__doc__ = np.ravel.__doc__

expand_dims = Primitive("numpy.expand_dims", np.expand_dims, complex=True, saves=("shapes",))
expand_dims.def_vjp(lambda g, ans, x, axis: reshape(g, shape_of(x)))
expand_dims.def_linear()
expand_dims.def_samples(Sample(rand(3), 0), Sample(rand(2, 3), -1), Sample(rand(2, 3), (0, 2)))

squeeze = Primitive("numpy.squeeze", np.squeeze, complex=True, saves=("shapes",))
squeeze.def_vjp(lambda g, ans, x, axis=None: reshape(g, shape_of(x)))
squeeze.def_linear()
squeeze.def_samples(Sample(rand(1, 3, 1)), Sample(rand(1, 3, 1), axis=0), Sample(rand(2, 1), 1))

swapaxes = Primitive("numpy.swapaxes", np.swapaxes, complex=True, saves=("shapes",))
swapaxes.def_vjp(lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))
swapaxes.def_linear()
swapaxes.def_samples(Sample(rand(2, 3), 0, 1), Sample(rand(2, 3, 4), -1, 0))

moveaxis = Primitive("numpy.moveaxis", np.moveaxis, complex=True, saves=("shapes",))
moveaxis.def_vjp(lambda g, ans, x, source, destination: moveaxis(g, destination, source))
moveaxis.def_linear()
moveaxis.def_samples(Sample(rand(2, 3, 4), 0, -1), Sample(rand(2, 3, 4), (0, 1), (2, 0)))


def _roll_as_move(axis: int, start: int, ndim: int) -> tuple[int, int]:
    """``np.rollaxis(a, axis, start)`` (valid arguments) as ``np.moveaxis(a, source, destination)``."""
    source = axis % ndim
    start = start + ndim if start < 0 else start  # start counts positions 0..ndim, not axes
    return source, start - 1 if source < start else start


def _rollaxis_vjp(g: Any, ans: Any, a: Any, axis: int, start: int = 0) -> Any:
    source, destination = _roll_as_move(axis, start, len(shape_of(a)))
    return moveaxis(g, destination, source)


rollaxis = Primitive("numpy.rollaxis", np.rollaxis, complex=True, saves=("shapes",))
rollaxis.def_vjp(_rollaxis_vjp)
rollaxis.def_linear()
rollaxis.def_samples(
    Sample(rand(2, 3, 4), 2),
    Sample(rand(2, 3, 4), 0, 2),
    Sample(rand(2, 3, 4), 1, start=3),
    Sample(rand(2, 3, 4), -1, -3),
    Sample(rand(2, 3, 4), axis=0, start=-1),
)

matrix_transpose = Primitive("numpy.matrix_transpose", np.matrix_transpose, complex=True, saves=())
matrix_transpose.def_vjp(lambda g, ans, x: matrix_transpose(g))
matrix_transpose.def_linear()
matrix_transpose.def_samples(Sample(rand(2, 3)), Sample(rand(2, 3, 4)))

permute_dims = transpose.alias("numpy.permute_dims", np.permute_dims)

copy = Primitive("numpy.copy", np.copy, complex=True, saves=())
copy.def_vjp(lambda g, ans, a, *args, **kwargs: g)
copy.def_linear()
copy.def_samples(Sample(scalar()), Sample(rand()), Sample(rand(2, 3)), Sample(rand(3), order="F"))


# Reversals and rotations: each undone by itself, or by itself in the other sense.

flip = Primitive("numpy.flip", np.flip, complex=True, saves=("shapes",))
flip.def_vjp(lambda g, ans, m, axis=None: flip(g, axis))
flip.def_linear()
flip.def_samples(
    Sample(rand()),
    Sample(rand(4)),
    Sample(rand(2, 3), 0),
    Sample(rand(2, 3), axis=-1),
    Sample(rand(2, 3, 2), axis=(0, -1)),
)

fliplr = Primitive("numpy.fliplr", np.fliplr, complex=True, saves=())
fliplr.def_vjp(lambda g, ans, m: fliplr(g))
fliplr.def_linear()
fliplr.def_samples(Sample(rand(2, 3)), Sample(rand(2, 3, 2)))

flipud = Primitive("numpy.flipud", np.flipud, complex=True, saves=())
flipud.def_vjp(lambda g, ans, m: flipud(g))
flipud.def_linear()
flipud.def_samples(Sample(rand(3)), Sample(rand(2, 3)))


def _negated(shift: Any) -> Any:
    return -np.asarray(shift)


roll = Primitive("numpy.roll", np.roll, complex=True, saves=("shapes",))
roll.def_vjp(lambda g, ans, a, shift, axis=None: roll(g, _negated(shift), axis))
roll.def_linear()
roll.def_samples(
    Sample(rand(5), 2),
    Sample(rand(2, 3), -1),
    Sample(rand(2, 3), 1, axis=-1),
    Sample(rand(2, 3, 2), (1, -2), (0, 2)),
    Sample(rand(), 1),
)

rot90 = Primitive("numpy.rot90", np.rot90, complex=True, saves=("shapes",))
rot90.def_vjp(lambda g, ans, m, k=1, axes=(0, 1): rot90(g, -k, axes))
rot90.def_linear()
rot90.def_samples(
    Sample(rand(2, 3)),
    Sample(rand(2, 3), 3),
    Sample(rand(2, 3, 4), -1, axes=(-1, 0)),
    Sample(rand(2, 3), k=2),
)

triu = Primitive("numpy.triu", np.triu, complex=True, saves=("shapes",))
triu.def_vjp(lambda g, ans, m, k=0: unbroadcast(triu(g, k), m))
triu.def_linear()
triu.def_samples(Sample(rand(3, 3)), Sample(rand(3, 4), 1), Sample(rand(2, 4, 3), k=-1), Sample(rand(3)))

tril = Primitive("numpy.tril", np.tril, complex=True, saves=("shapes",))
tril.def_vjp(lambda g, ans, m, k=0: unbroadcast(tril(g, k), m))
tril.def_linear()
tril.def_samples(Sample(rand(3, 3)), Sample(rand(4, 3), -1), Sample(rand(2, 3, 4), k=1), Sample(rand(3)))


# Copies of elements (repeated, padded, picked out): the cotangent of ``x`` gathers
# the output's cotangent back, adding where an element was copied more than once.
# Applying the NumPy function itself to ``_labels(x)`` says where each output
# element came from.


def _labels(x: Any) -> np.ndarray:
    """``1, 2, ..., x.size`` in the shape of ``x``; label 0 marks "not from ``x``"."""
    shape = shape_of(x)
    return np.arange(1, int(np.prod(shape)) + 1).reshape(shape)


def gather_vjp(g: Any, source: np.ndarray, x: Any) -> Any:
    """The cotangent of ``x`` for an output whose element ``i`` is a copy of element
    ``source[i]`` of ``_labels(x)`` (or of nothing in ``x``, where ``source[i]`` is 0)."""
    from plugrad_numpy.indexing import getitem, untake

    size = int(np.prod(shape_of(x)))
    flat = untake(g, (source, (size + 1,), dtype_of(x)))
    return unbroadcast(reshape(getitem(flat, slice(1, None)), shape_of(x)), x)


def _tile_vjp(g: Any, ans: Any, A: Any, reps: Any) -> Any:
    from plugrad_numpy.reductions import sum as sum_

    shape = tuple(shape_of(A))
    reps = tuple(reps) if np.iterable(reps) else (reps,)
    d = max(len(shape), len(reps))
    shape, reps = (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps
    # The output, axis by axis, is (copy, element): sum over the copies.
    blocks = reshape(g, tuple(n for pair in zip(reps, shape) for n in pair))
    return unbroadcast(reshape(sum_(blocks, axis=tuple(range(0, 2 * d, 2))), shape_of(A)), A)


tile = Primitive("numpy.tile", np.tile, complex=True, saves=("shapes",))
tile.def_vjp(_tile_vjp)
tile.def_linear()
tile.def_samples(
    Sample(rand(3), 2),
    Sample(rand(2, 3), (2, 1)),
    Sample(rand(3), (2, 1, 2)),
    Sample(rand(2, 1, 3), 2),
    Sample(scalar(), (2, 2)),
)

repeat = Primitive("numpy.repeat", np.repeat, complex=True, saves=("shapes",))
repeat.def_vjp(lambda g, ans, a, repeats, axis=None: gather_vjp(g, np.repeat(_labels(a), repeats, axis), a))
repeat.def_linear()
repeat.def_samples(
    Sample(rand(3), 2),
    Sample(rand(2, 3), 2),
    Sample(rand(2, 3), 2, axis=-2),
    Sample(rand(2, 3), np.array([1, 0, 3]), 1),
    Sample(scalar(), 3),
)

# Modes whose padding copies elements of the array (or is a constant).
_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _linear_pad_kwargs(mode: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` for padding a tangent or the labels: the constant is zero."""
    if mode not in _PAD_MODES or kwargs.get("reflect_type", "even") != "even":
        raise NotDifferentiableError(
            f"numpy.pad is differentiable in modes {', '.join(_PAD_MODES)} (reflect_type='even'); "
            f"got mode={mode!r}, {kwargs}. Pad with one of those modes, or build the padding "
            "from np.concatenate."
        )
    return {k: v for k, v in kwargs.items() if k != "constant_values"}


def _pad_vjp(g: Any, ans: Any, array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    return gather_vjp(g, np.pad(_labels(array), pad_width, mode, **_linear_pad_kwargs(mode, kwargs)), array)


def _pad_jvp(t: Any, ans: Any, array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    return pad(t, pad_width, mode, **_linear_pad_kwargs(mode, kwargs))


pad = Primitive("numpy.pad", np.pad, complex=True, saves=("shapes",))
pad.def_vjp(_pad_vjp)
pad.def_jvp(_pad_jvp)
pad.def_samples(
    Sample(rand(3), 2),
    Sample(rand(2, 3), ((1, 0), (0, 2)), constant_values=1.5),
    Sample(rand(2, 3), (1, 2), "edge"),
    Sample(rand(3, 4), 2, mode="reflect"),
    Sample(rand(2, 3), ((2, 3), (1, 0)), "symmetric"),
    Sample(rand(2, 3), ((4, 1), (3, 0)), "wrap"),
    Sample(rand(), 1, "edge"),
)

diag = Primitive("numpy.diag", np.diag, complex=True, saves=("shapes",))
diag.def_vjp(lambda g, ans, v, k=0: gather_vjp(g, np.diag(_labels(v), k), v))
diag.def_linear()
diag.def_samples(
    Sample(rand(3)),
    Sample(rand(3), 1),
    Sample(rand(2), k=-2),
    Sample(rand(3, 3)),
    Sample(rand(3, 4), -1),
    Sample(rand(4, 3), k=1),
)

diagflat = Primitive("numpy.diagflat", np.diagflat, complex=True, saves=("shapes",))
diagflat.def_vjp(lambda g, ans, v, k=0: gather_vjp(g, np.diagflat(_labels(v), k), v))
diagflat.def_linear()
diagflat.def_samples(Sample(rand(3)), Sample(rand(2, 2), 1), Sample(rand(2), k=-1), Sample(scalar()))

diagonal = Primitive("numpy.diagonal", np.diagonal, complex=True, saves=("shapes",))
diagonal.def_vjp(lambda g, ans, a, *args, **kwargs: gather_vjp(g, np.diagonal(_labels(a), *args, **kwargs), a))
diagonal.def_linear()
diagonal.def_samples(
    Sample(rand(3, 3)),
    Sample(rand(3, 4), 1),
    Sample(rand(2, 3, 4), -1, 2, 0),
    Sample(rand(2, 3, 3), axis1=-2, axis2=-1),
)


def _make_diagonal(D: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> np.ndarray:
    # The last axis of D becomes diagonal ``offset`` of a new square pair of axes, put at
    # axis1 and axis2 of the output: np.diagonal(out, offset, axis1, axis2) gives D back.
    D = np.asarray(D)
    if D.ndim == 0:
        raise ValueError("make_diagonal needs an array with at least one axis; its last axis is the diagonal")
    k = D.shape[-1]
    n = k + abs(offset)
    out = np.zeros(D.shape[:-1] + (n, n), D.dtype)
    i = np.arange(k)
    out[..., i + max(-offset, 0), i + max(offset, 0)] = D
    return np.moveaxis(out, (-2, -1), (axis1, axis2))


make_diagonal = Primitive(
    "numpy.make_diagonal",
    _make_diagonal,
    complex=True,
    saves=("shapes",),
    doc="make_diagonal(D, offset=0, axis1=0, axis2=1): the array, zero off the diagonal, whose "
    "``np.diagonal(..., offset, axis1, axis2)`` is D (autograd's inverse of np.diagonal).",
)
make_diagonal.def_vjp(lambda g, ans, D, offset=0, axis1=0, axis2=1: diagonal(g, offset, axis1, axis2))
make_diagonal.def_linear()
make_diagonal.def_samples(
    Sample(rand(3)),
    Sample(rand(3), 1),
    Sample(rand(2, 3), offset=-2, axis1=-1, axis2=-2),
    Sample(rand(2, 3), 0, 2, 0),
    Sample(rand(2, 3, 4), axis1=1, axis2=-1),
)


def _trace_vjp(
    g: Any, ans: Any, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, *args: Any, **kwargs: Any
) -> Any:
    source = np.diagonal(_labels(a), offset, axis1, axis2)
    return gather_vjp(broadcast_to(expand_dims(g, -1), source.shape), source, a)


trace = Primitive("numpy.trace", np.trace, complex=True, saves=("shapes",))
trace.def_vjp(_trace_vjp)
trace.def_linear()
trace.def_samples(
    Sample(rand(3, 3)),
    Sample(rand(3, 4), 1),
    Sample(rand(2, 3, 4), -1, 2, 0),
    Sample(rand(2, 3, 3), axis1=-2, axis2=-1),
)

delete = Primitive("numpy.delete", np.delete, complex=True, saves=("shapes",))
delete.def_vjp(lambda g, ans, arr, obj, axis=None: gather_vjp(g, np.delete(_labels(arr), obj, axis), arr))
delete.def_linear()
delete.def_samples(
    Sample(rand(5), 1),
    Sample(rand(2, 3), [0, 2]),
    Sample(rand(3, 4), slice(0, 4, 2), axis=-1),
    Sample(rand(3, 2), np.array([True, False, True]), 0),
)


# Labels of ``arr`` with zeros for ``values``, or zeros for ``arr`` with labels of ``values``.
def _insert_vjp_arr(g: Any, ans: Any, arr: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    return gather_vjp(g, np.insert(_labels(arr), obj, np.zeros(shape_of(values), int), axis), arr)


def _insert_vjp_values(g: Any, ans: Any, arr: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    return gather_vjp(g, np.insert(np.zeros(shape_of(arr), int), obj, _labels(values), axis), values)


insert = Primitive("numpy.insert", np.insert, complex=True, saves=("shapes",))
insert.def_vjp(_insert_vjp_arr, _insert_vjp_values, argnums=(0, 2))
insert.def_jvp(
    lambda t, ans, arr, obj, values, axis=None: insert(t, obj, np.zeros(shape_of(values), ans.dtype), axis),
    lambda t, ans, arr, obj, values, axis=None: insert(np.zeros(shape_of(arr), ans.dtype), obj, t, axis),
    argnums=(0, 2),
)
insert.def_samples(
    Sample(rand(4), 1, rand(2)),
    Sample(rand(4), [0, 3], scalar()),
    Sample(rand(2, 3), 1, rand(2), axis=1),
    Sample(rand(2, 3), [2, 0], rand(2, 1), axis=-1),
    Sample(rand(2, 2), 1, rand(2), axis=0),
    Sample(rand(2, 2), 1, rand(2, 2), axis=1),
    Sample(rand(2, 3), 2, rand()),
)


# atleast_1d, _2d, _3d: reshapes, so a composite. Several arguments give a tuple.


def _traced_sequence(a: Any) -> bool:
    return (type(a) in (list, tuple) and holds_box(a)) or (isinstance(a, Box) and a._sequence)


def _atleast(numpy_fun: Any, arys: tuple[Any, ...]) -> Any:
    from plugrad_numpy import as_array

    # A list of traced values, or a traced list, is the array NumPy would make of it.
    arys = tuple(as_array(a) if _traced_sequence(a) else a for a in arys)
    if not any(isinstance(a, Box) for a in arys):
        return numpy_fun(*arys)
    out = []
    for a in arys:
        if not isinstance(a, Box):
            out.append(numpy_fun(a))
            continue
        shape = np.shape(numpy_fun(np.empty(shape_of(a), bool)))
        out.append(a if shape == shape_of(a) else reshape(a, shape))
    return out[0] if len(out) == 1 else tuple(out)


def _atleast_1d(*arys: Any) -> Any:
    return _atleast(np.atleast_1d, arys)


def _atleast_2d(*arys: Any) -> Any:
    return _atleast(np.atleast_2d, arys)


def _atleast_3d(*arys: Any) -> Any:
    return _atleast(np.atleast_3d, arys)


atleast_1d = Composite("numpy.atleast_1d", _atleast_1d)
atleast_2d = Composite("numpy.atleast_2d", _atleast_2d)
atleast_3d = Composite("numpy.atleast_3d", _atleast_3d)
