"""Indexing and selection: reading elements by index or mask, and the transposes,
which scatter a cotangent into zeros (adding where an index repeats).

Every function here picks elements: its derivative passes the cotangent of each
output element to the input element it was read from, and nothing to the rest.
Indices, masks and conditions are constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, gen, rand, scalar
from plugrad.box import Box, Meta, getval
from plugrad_numpy._util import broadcast_like, dtype_of, iscomplex, shape_of, unbroadcast


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


_BASIC = (int, slice, type(None), type(Ellipsis))


def _basic(index: Any) -> bool:
    """A basic index names each element at most once, so assignment can scatter."""
    if isinstance(index, tuple):
        return all(isinstance(i, _BASIC) and not isinstance(i, bool) for i in index)
    return isinstance(index, _BASIC) and not isinstance(index, bool)


def _untake(g: Any, where: tuple[Any, tuple[int, ...], Any]) -> Any:
    # ``where`` is ``(index, shape, dtype)``: one argument, so that the operation takes the
    # two-argument fast path at every order of a derivative.
    index, shape, dtype = where
    gdtype = getattr(g, "dtype", None)
    out = np.zeros(shape, dtype if gdtype is dtype else np.result_type(dtype, dtype_of(g)))
    if _basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)  # advanced indices may repeat an element
    return out


getitem = Primitive(
    "numpy._getitem", _getitem, complex=True, saves=("shapes",), doc="``x[index]``, differentiably."
)
untake = Primitive(
    "numpy._untake",
    _untake,
    complex=True,
    saves=("shapes",),
    doc="``untake(g, (index, shape, dtype))``: zeros of ``shape`` with ``g`` added at ``index``.",
)
_ndarray = np.ndarray
_F64, _C128 = np.dtype(np.float64), np.dtype(np.complex128)


# First order (a plain cotangent of the argument's dtype, the argument's Meta on the
# tape), each rule is its NumPy operation, whose result has the argument's shape and
# dtype already; otherwise the primitive, which a derivative of a derivative traces.
def _getitem_vjp(g: Any, ans: Any, x: Any, index: Any) -> Any:
    if type(g) is _ndarray and type(x) is Meta and g.dtype is x.dtype:
        return _untake(g, (index, x.shape, x.dtype))
    return scatter(g, index, x)


def _untake_vjp(g: Any, ans: Any, x: Any, where: tuple[Any, tuple[int, ...], Any]) -> Any:
    index = where[0]
    if type(g) is _ndarray and type(x) is Meta and g.dtype is x.dtype:
        ct = g[index]
        if ct.shape == x.shape:  # (untake broadcasts a smaller g, as assignment does)
            return ct
    return unbroadcast(getitem(g, index), x)


def _getitem_vjp_add(total: Any, g: Any, ans: Any, x: Any, index: Any) -> bool:
    # A loop over x[i] adds each row's cotangent where it came from, into the array the
    # backward pass owns, instead of making zeros of x's shape per row (first order).
    if type(x) is not Meta or type(total) is not _ndarray or total.dtype is not x.dtype:
        return False
    t = type(g)
    if t is float or t is complex:  # an element's cotangent: the dtype a rule would give
        plain = x.dtype is (_F64 if t is float else _C128)
    else:
        plain = (t is _ndarray or isinstance(g, np.generic)) and g.dtype is x.dtype
    if plain:
        if _basic(index):
            total[index] += g
        else:
            np.add.at(total, index, g)  # an element may repeat
        return True
    return False


getitem.def_vjp(_getitem_vjp)
getitem.def_vjp_add(_getitem_vjp_add)
getitem.def_linear()
untake.def_vjp(_untake_vjp)
untake.def_linear()
getitem.def_samples(
    Sample(rand(5), 2),
    Sample(rand(5), slice(1, 4)),
    Sample(rand(3, 4), (1, slice(None, None, 2))),
    Sample(rand(3, 4), np.array([0, 2, 0])),
    Sample(rand(3, 4), (Ellipsis, None, 1)),
    Sample(rand(4), np.array([True, False, True, True])),
)
untake.def_samples(
    Sample(rand(3), (np.array([0, 2, 0]), (4,), np.dtype(np.float64))),
    Sample(rand(2), ((1, slice(0, 2)), (3, 2), np.dtype(np.float64))),
)


def scatter(g: Any, index: Any, x: Any, flat: bool = False) -> Any:
    """The cotangent of ``x`` for a read ``x[index]`` (of ``ravel(x)[index]`` if ``flat``)."""
    shape = shape_of(x)
    if not flat:
        return unbroadcast(untake(g, (index, shape, dtype_of(getval(x)))), x)
    from plugrad_numpy.shape import reshape  # only here: an import statement costs each call

    return unbroadcast(reshape(untake(g, (index, (int(np.prod(shape)),), dtype_of(getval(x)))), shape), x)


def _where3(condition: Any, x: Any, y: Any) -> Any:
    """``numpy.where(condition, x, y)``. Where one of ``x`` and ``y`` is a plain zero and the
    other a large float array, as in the rules' ``where3(mask, g, 0.0)``, it is the product
    with the mask, which NumPy computes four times as fast as ``where`` past 8192 elements
    (``where``'s buffer); where that product is not finite, ``where`` gives the answer."""
    if type(condition) is _ndarray and condition.dtype is _BOOL and condition.size >= 8192:
        if type(y) in _ZERO_TYPES and y == 0 and type(x) is _ndarray and x.dtype.kind in "fc":
            values, mask = x, condition
        elif type(x) in _ZERO_TYPES and x == 0 and type(y) is _ndarray and y.dtype.kind in "fc":
            values, mask = y, ~condition
        else:
            return np.where(condition, x, y)
        with np.errstate(invalid="ignore"):
            product = values * mask
        if np.isfinite(product).all():  # (inf * False is nan where where gives 0)
            return product
    return np.where(condition, x, y)


_BOOL = np.dtype(bool)
_ZERO_TYPES = (float, int)

# where(cond, x, y): the cotangent goes to x where cond holds, to y elsewhere.
where3 = Primitive(
    "numpy._where", _where3, complex=True, saves=("shapes",), doc="``numpy.where(condition, x, y)``."
)
where3.def_vjp(
    None,
    lambda g, ans, c, x, y: unbroadcast(where3(c, g, 0.0), x),
    lambda g, ans, c, x, y: unbroadcast(where3(c, 0.0, g), y),
)
where3.def_jvp(
    None,
    lambda t, ans, c, x, y: broadcast_like(where3(c, t, 0.0), ans),
    lambda t, ans, c, x, y: broadcast_like(where3(c, 0.0, t), ans),
)
_MASK = np.array([True, False, True])
where3.def_samples(
    Sample(_MASK, rand(3), rand(3)),
    Sample(np.array([[True], [False]]), rand(3), rand(2, 1)),
    Sample(_MASK, scalar(), rand(2, 3)),
    Sample(np.array(True), scalar(), scalar()),
    Sample(False, rand(), rand(2)),
)


def _truth(condition: Any) -> Any:
    """``condition`` as booleans: where3's tape node keeps a float array only as its shape."""
    dtype = getattr(condition, "dtype", None)
    return condition != 0 if dtype is not None and dtype.kind in "fc" else condition


def _where(condition: Any, *xy: Any) -> Any:
    if not xy:
        return np.nonzero(getval(condition))  # the one-argument form: indices, not differentiable
    if len(xy) != 2:
        raise TypeError("numpy.where takes a condition alone, or a condition, x and y")
    if not (isinstance(condition, Box) and condition._trace.recording):  # (replayed: kept traced)
        condition = getval(condition)
    return where3(_truth(condition), *xy)


where = Composite("numpy.where", _where)
where.__doc__ = np.where.__doc__


# clip: a subgradient at the bounds. Reading clip as minimum(maximum(x, a_min), a_max)
# with ties going to the earlier argument, the cotangent goes to x wherever
# a_min <= x <= a_max (bounds inclusive), to a_min where x < a_min (and a_min <= a_max),
# and to a_max where max(x, a_min) > a_max.
def _limits(a_min: Any, a_max: Any, kw: dict[str, Any]) -> tuple[Any, Any]:
    lo = kw.get("min", a_min)
    hi = kw.get("max", a_max)
    return lo, hi


def _clip(a: Any, a_min: Any = None, a_max: Any = None, **kw: Any) -> Any:
    lo, hi = _limits(a_min, a_max, kw)
    rest = {k: v for k, v in kw.items() if k not in ("min", "max")}
    return np.clip(a, lo, hi, **rest)


def _clip_mask(which: int, a: Any, a_min: Any, a_max: Any, kw: dict[str, Any]) -> Any:
    """Where the result is ``a`` (``which`` 0), ``a_min`` (1) or ``a_max`` (2): only the one
    a rule needs, each a pass or three over ``a``."""
    lo, hi = (None if v is None else getval(v) for v in _limits(a_min, a_max, kw))
    x = getval(a)
    if which == 0:
        above_lo = True if lo is None else np.asarray(x >= lo)
        return above_lo if hi is None else np.logical_and(above_lo, x <= hi)
    if which == 1:
        return None if lo is None else np.logical_and(x < lo, True if hi is None else lo <= hi)
    return None if hi is None else np.asarray((x if lo is None else np.maximum(x, lo)) > hi)


def _clip_vjp(which: int) -> Any:
    def vjp(g: Any, ans: Any, a: Any, a_min: Any = None, a_max: Any = None, **kw: Any) -> Any:
        mask = _clip_mask(which, a, a_min, a_max, kw)
        return unbroadcast(where3(mask, g, 0.0), (a, a_min, a_max)[which])

    return vjp


def _clip_jvp(which: int) -> Any:
    def jvp(t: Any, ans: Any, a: Any, a_min: Any = None, a_max: Any = None, **kw: Any) -> Any:
        mask = _clip_mask(which, a, a_min, a_max, kw)
        return broadcast_like(where3(mask, t, 0.0), ans)

    return jvp


clip = Primitive("numpy.clip", _clip, saves=("args",), doc=np.clip.__doc__)
clip.keyword_aliases = {"min": "a_min", "max": "a_max"}  # NumPy 2.1's names, differentiated as theirs
clip.def_vjp(_clip_vjp(0), _clip_vjp(1), _clip_vjp(2))
clip.def_jvp(_clip_jvp(0), _clip_jvp(1), _clip_jvp(2))
clip.def_samples(
    Sample(rand(6), -0.5, 0.5),
    Sample(rand(6), None, 0.3),
    Sample(rand(6), -0.3, None),
    Sample(rand(2, 3), rand(3, low=-0.8, high=-0.2), rand(2, 1, low=0.2, high=0.8)),
    Sample(rand(5), scalar(-0.6, -0.2), scalar(0.2, 0.6)),
    Sample(scalar(), rand(3, low=-0.5, high=0.0), None),
    Sample(rand(4), min=-0.4, max=0.4),
)


def _take_index(shape: tuple[int, ...], indices: Any, axis: Any, mode: str) -> tuple[Any, bool]:
    """The index reading what ``take`` reads, and whether it reads the flattened array."""
    flat = axis is None or not shape  # (a 0-d array, along any axis: its one element)
    n = int(np.prod(shape)) if flat else shape[axis]
    idx = np.asarray(indices)
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    if flat:
        return (idx,), True
    return (slice(None),) * (axis % len(shape)) + (idx,), False


def _take_vjp(
    g: Any, ans: Any, a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise"
) -> Any:
    index, flat = _take_index(shape_of(a), indices, axis, mode)
    return scatter(g, index, a, flat)


take = Primitive("numpy.take", np.take, complex=True, saves=("shapes",))
take.def_vjp(_take_vjp)
take.def_linear()
take.def_samples(
    Sample(rand(5), np.array([0, 2, 2, -1])),
    Sample(rand(2, 3), 4),
    Sample(rand(3, 4), np.array([[0, 1], [3, 0]]), axis=1),
    Sample(rand(3, 4), 1, axis=0),
    Sample(rand(), np.array([0, -1]), axis=0),  # a 0-d array: its one element
    Sample(rand(3, 4), np.array([5, -6, 1]), axis=-1, mode="wrap"),
    Sample(rand(3, 4), np.array([7, -2]), axis=0, mode="clip"),
)


def _along_axis_index(shape: tuple[int, ...], indices: Any, axis: Any) -> tuple[Any, bool]:
    """The advanced index that ``take_along_axis(x, indices, axis)`` reads with."""
    idx = np.asarray(indices)
    if axis is None:
        return (idx,), True
    nd = len(shape)
    axis %= nd
    index = tuple(
        idx if d == axis else np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
        for d in range(nd)
    )
    return index, False


def _take_along_axis_vjp(g: Any, ans: Any, arr: Any, indices: Any, axis: Any = -1) -> Any:
    index, flat = _along_axis_index(shape_of(arr), indices, axis)
    return scatter(g, index, arr, flat)


take_along_axis = Primitive("numpy.take_along_axis", np.take_along_axis, complex=True, saves=("shapes",))
take_along_axis.def_vjp(_take_along_axis_vjp)
take_along_axis.def_linear()
take_along_axis.def_samples(
    Sample(rand(5), np.array([4, 0, 0, -1])),
    Sample(rand(3, 4), np.array([[0, 3], [1, 1], [2, 0]]), axis=1),
    Sample(rand(3, 4), np.array([[2, 0, 1, 0]]), axis=0),
    Sample(rand(3, 4), np.array([[0], [3], [1]]), -1),
    Sample(rand(2, 3), np.array([5, 0, 2]), axis=None),
)


def _choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    if out is not None:
        raise TypeError("numpy.choose: out= is not supported on traced values; use the return value")
    idx = np.asarray(getval(a))
    n = len(choices)
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif np.any((idx < 0) | (idx >= n)):
        raise ValueError("numpy.choose: invalid entry in choice array (use mode='wrap' or 'clip')")
    from plugrad_numpy.shape import broadcast_to

    result = choices[n - 1]
    for k in range(n - 2, -1, -1):
        result = where3(idx == k, choices[k], result)
    shape = np.broadcast_shapes(idx.shape, *(shape_of(c) for c in choices))
    return result if shape_of(result) == shape else broadcast_to(result, shape)


choose = Composite("numpy.choose", _choose)
choose.__doc__ = np.choose.__doc__


def _select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    if len(condlist) != len(choicelist):
        raise ValueError("numpy.select: list of cases must be same length as list of conditions")
    if len(choicelist) == 0:
        raise ValueError("numpy.select: select with an empty condition list is not possible")
    result = default
    for cond, choice in zip(reversed(list(condlist)), reversed(list(choicelist))):
        result = where3(_truth(np.asarray(getval(cond))), choice, result)  # the first true condition wins
    return result


select = Composite("numpy.select", _select)
select.__doc__ = np.select.__doc__


def _compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Any:
    if out is not None:
        raise TypeError("numpy.compress: out= is not supported on traced values; use the return value")
    return take(a, np.flatnonzero(getval(condition)), axis=axis)


compress = Composite("numpy.compress", _compress)
compress.__doc__ = np.compress.__doc__


def _extract(condition: Any, arr: Any) -> Any:
    return take(arr, np.flatnonzero(getval(condition)))


extract = Composite("numpy.extract", _extract)
extract.__doc__ = np.extract.__doc__


# nan_to_num: a replaced element is a constant, so its derivative is zero; a complex
# element's real and imaginary parts are replaced (and differentiated) separately.
def _finite_part(g: Any, x: Any) -> Any:
    from plugrad_numpy.unary import imag, real

    xv = getval(x)
    if not iscomplex(xv):
        return where3(np.isfinite(xv), g, 0.0)
    re = where3(np.isfinite(np.real(xv)), real(g), 0.0)
    return re + 1j * where3(np.isfinite(np.imag(xv)), imag(g), 0.0)


def _nonfinite(*shape: int) -> Any:
    def make(rng: np.random.Generator, dtype: str) -> Any:
        x = rng.uniform(-1.0, 1.0, shape)
        x.flat[::3] = np.nan
        x.flat[1::4] = np.inf
        x.flat[2::5] = -np.inf
        if np.dtype(dtype).kind == "c":
            z = np.empty(shape, dtype)
            z.real, z.imag = x, rng.uniform(-1.0, 1.0, shape)
            z.imag.flat[1::3] = np.inf
            return z
        return np.asarray(x, dtype)

    return make


nan_to_num = Primitive("numpy.nan_to_num", np.nan_to_num, complex=True, saves=("args",))
nan_to_num.def_vjp(lambda g, ans, x, *a, **k: unbroadcast(_finite_part(g, x), x))
nan_to_num.def_jvp(lambda t, ans, x, *a, **k: broadcast_like(_finite_part(t, x), ans))
nan_to_num.def_samples(
    Sample(rand(4)),
    Sample(scalar()),
    Sample(gen(_nonfinite(12))),
    Sample(gen(_nonfinite(3, 4)), nan=1.5, posinf=9.0, neginf=-9.0),
)
