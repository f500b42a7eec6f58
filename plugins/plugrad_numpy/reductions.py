"""Reductions over axes and their running versions: sums, products, extrema and
moments, with ``axis``, ``keepdims`` and ``where``, and the ``nan*``
variants, which treat NaN entries as absent (they get a zero cotangent), as
``where=`` treats the entries it leaves out. A skipped entry's tangent or cotangent is
selected out, not multiplied by 0: it is often NaN (the reason the entry is skipped).

Products are zero-safe to every order: no rule divides by an entry. The
partial derivatives of ``prod`` are products of the entries before and after
each one, and ``cumprod``'s derivatives solve a linear recurrence
(``_linrec``) whose own derivatives are recurrences again. Order statistics
(median, quantiles) are in :mod:`plugrad_numpy.order`.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from plugrad import NotDifferentiableError, Primitive, Sample, gen, rand, scalar
from plugrad.box import Meta, getval
from plugrad_numpy._util import dtype_of, iscomplex, match_dtype, mean_fun, shape_of, sum_fun, sum_jvp, unbroadcast
from plugrad_numpy.unary import conj, real


def axis_samples(*, low: float = -1.0, high: float = 1.0) -> list[Sample]:
    """Full reductions, each axis, several axes, negative axes, no axes, keepdims, scalars."""
    return [
        Sample(scalar(low, high)),
        Sample(rand(5, low=low, high=high)),
        Sample(rand(3, 4, low=low, high=high)),
        Sample(rand(3, 4, low=low, high=high), axis=0),
        Sample(rand(3, 4, low=low, high=high), axis=-1, keepdims=True),
        Sample(rand(2, 3, 4, low=low, high=high), axis=(0, 2)),
        Sample(rand(2, 3, low=low, high=high), keepdims=True),
        Sample(rand(3, 2, low=low, high=high), axis=()),  # reduces nothing: each element its own
    ]


def _norm_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)  # (NumPy's order statistics take a list)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


_FILL_BELOW = 1 << 14
_float64 = np.float64
_f64 = np.dtype(np.float64)  # NumPy's built-in dtypes are singletons
_PLAIN = frozenset({np.ndarray, np.float64, np.float32, np.complex128, np.complex64, float, complex})


def expand_to(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """A cotangent of a reduction over ``axis`` broadcast back to ``x``'s shape."""
    shape = shape_of(x)
    if axis is None and (type(g) is float or type(g) is _float64) and getattr(x, "dtype", None) is _f64:
        # The cotangent of a float64 array's sum or mean (a loss): filled, or a view if large.
        if shape and math.prod(shape) <= _FILL_BELOW:
            out = np.empty(shape, _f64)
            out.fill(g)
            return out
        return np.broadcast_to(np.float64(g), shape)
    if type(g) in _PLAIN:  # first order: NumPy directly, and a broadcast view, not a copy
        xdtype = getattr(x, "dtype", None)
        gv = np.asarray(g)
        if xdtype is not None and gv.dtype == xdtype:
            if not keepdims and axis is not None:
                axes = _norm_axes(axis, len(shape))
                gv = gv.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
            if gv.shape == shape:
                return gv
            # A read-only broadcast view costs no memory; for small arrays filling a new
            # one is faster than np.broadcast_to.
            if gv.ndim == 0 and math.prod(shape) <= _FILL_BELOW:
                return np.full(shape, gv, xdtype)
            return np.broadcast_to(gv, shape)
    from plugrad_numpy.shape import broadcast_to, reshape

    if not keepdims:
        axes = _norm_axes(axis, len(shape))
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        if shape_of(g) != kept:
            g = reshape(g, kept)
    return match_dtype(broadcast_to(g, shape), x) if shape_of(g) != shape else match_dtype(g, x)


def count(x: Any, axis: Any) -> int:
    """How many elements a reduction over ``axis`` combines."""
    shape = shape_of(x)
    if axis is None:
        return math.prod(shape)
    return math.prod([shape[a] for a in _norm_axes(axis, len(shape))])


# -- helpers shared by the rules ---------------------------------------------------


def _real_dtype(x: Any) -> np.dtype:
    dtype = dtype_of(getval(x))
    return np.empty((), dtype).real.dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _const(values: Any, x: Any) -> np.ndarray:
    """A constant (mask, weights) in the real floating dtype of ``x``."""
    # Another library's array casts itself: np.asarray would compute a lazy (Dask) array.
    foreign = hasattr(values, "__array_function__") and not isinstance(values, np.ndarray)
    return values.astype(_real_dtype(x)) if foreign else np.asarray(values, _real_dtype(x))


def _kept(a: Any, x: Any, axis: Any, keepdims: bool) -> np.ndarray:
    """The plain value of a reduction's output ``a`` with the reduced axes kept as size 1."""
    shape = shape_of(x)
    axes = _norm_axes(axis, len(shape))
    return np.reshape(getval(a), tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _reduce(t: Any, w: Any, ans: Any, axis: Any, keepdims: bool) -> Any:
    """The JVP of a reduction whose partial derivatives are ``w``: ``sum(t * w)`` over ``axis``
    (its real part where the reduction is real, as ``var`` of complex numbers is)."""
    dy = sum(t * w, axis=axis, keepdims=keepdims)
    return match_dtype(real(dy) if iscomplex(dy) and not iscomplex(ans) else dy, ans)


def index_along(axis: int, item: Any) -> tuple[Any, ...]:
    """An index applying ``item`` (an integer, slice or index array) along ``axis``."""
    return (slice(None),) * axis + (item,)


def slice_along(x: Any, axis: int, start: Any = None, stop: Any = None, step: Any = None) -> Any:
    """``x[..., start:stop:step, ...]`` along ``axis``, differentiably."""
    from plugrad_numpy.indexing import getitem

    ndim = len(shape_of(x))
    return getitem(x, index_along(axis % ndim, slice(start, stop, step)))


def flip_along(x: Any, axis: int) -> Any:
    return slice_along(x, axis, None, None, -1)


def _first(x: Any, axis: int) -> np.ndarray:
    """A constant that is 1 at index 0 along ``axis`` and 0 elsewhere, shaped to broadcast."""
    shape = shape_of(x)
    e = np.zeros([n if i == axis else 1 for i, n in enumerate(shape)], _real_dtype(x))
    if e.size:  # (an empty axis has no first entry)
        e[index_along(axis, 0)] = 1
    return e


def _nan_mask(x: Any) -> np.ndarray:
    return np.isnan(getval(x))


def _valid(x: Any) -> np.ndarray:
    """1 where ``x`` is a number, 0 where it is NaN."""
    return _const(~_nan_mask(x), x)


def _numbers_only(v: Any, x: Any) -> Any:
    """``v`` (a tangent or cotangent shaped like ``x``) with 0 where ``x`` holds NaN: selected,
    since ``v`` may be NaN there too, and ``0 * NaN`` is NaN. Without NaNs, ``v`` itself."""
    nans = _nan_mask(x)
    return _outside(~nans, v, 0.0) if _may_hold_true(nans) else v


def _combining(x: Any, where: Any, nan: bool) -> np.ndarray | None:
    """The entries of ``x`` a reduction combines, as booleans (those ``where=`` selects; for
    the nan* versions, that are numbers), or ``None`` where it combines all (the fast path)."""
    if where is not None:
        return _chosen(where, x, nan)
    if nan:
        nans = _nan_mask(x)
        if _may_hold_true(nans):
            return ~nans
    return None


def _axis_of(x: Any, axis: Any) -> tuple[Any, int]:
    """``x`` and a nonnegative axis for a running reduction (``axis=None`` flattens)."""
    from plugrad_numpy.shape import reshape

    if axis is None or not shape_of(x):  # (a 0-d array's running reduction runs over one element)
        return reshape(x, (-1,)), 0
    return x, axis % len(shape_of(x))


def _to_last(x: Any, axis: Any) -> tuple[Any, Any]:
    """``x`` with the ``axis`` axes moved to the end and merged into one, and a
    function that undoes it (both differentiable)."""
    from plugrad_numpy.shape import reshape, transpose

    shape = shape_of(x)
    axes = _norm_axes(axis, len(shape))
    rest = tuple(i for i in range(len(shape)) if i not in axes)
    perm = rest + axes
    moved = tuple(shape[i] for i in perm)
    inverse = tuple(int(i) for i in np.argsort(perm))
    y = reshape(transpose(x, perm), tuple(shape[i] for i in rest) + (count(x, axis),))

    def back(z: Any) -> Any:
        return transpose(reshape(z, moved), inverse)

    return y, back


# -- sample makers: exact zeros, NaNs, values far apart ---------------------------------


def _with_zeros(shape: tuple[int, ...], *flat_positions: int) -> Any:
    """A sample maker: random entries, exact zeros at ``flat_positions`` (row-major)."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.uniform(-1.0, 1.0, shape)
        x = np.asarray(x, dtype)
        x.reshape(-1)[list(flat_positions)] = 0
        return x

    make.__qualname__ = f"zeros at {list(flat_positions)} in {shape}"
    return make


def _distinct(shape: tuple[int, ...], low: float = -1.0, high: float = 1.0) -> Any:
    """A sample maker: entries in shuffled order and far apart, so that a finite-difference
    step (1e-3 in single precision) never reorders them: order statistics stay smooth."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        size = int(np.prod(shape))
        grid = np.linspace(low, high, size + 1)[:-1] + rng.uniform(0, 0.5, size) * (high - low) / (size + 1)
        return np.asarray(rng.permutation(grid).reshape(shape), dtype)

    make.__qualname__ = f"distinct values {shape}"
    return make


def _with_nans(shape: tuple[int, ...], *flat_positions: int, low: float = -1.0, high: float = 1.0) -> Any:
    """A sample maker: distinct entries, NaN at ``flat_positions`` (row-major)."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        x = _distinct(shape, low, high)(rng, "float64")
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.uniform(low, high, shape)
        x = np.asarray(x, dtype)
        x.reshape(-1)[list(flat_positions)] = np.nan
        return x

    make.__qualname__ = f"NaNs at {list(flat_positions)} in {shape}"
    return make


def _nan_samples(*, low: float = -1.0, high: float = 1.0, reductions: bool = True) -> list[Sample]:
    def n(shape: tuple[int, ...], *at: int) -> Any:
        return gen(_with_nans(shape, *at, low=low, high=high))

    common = [Sample(n((5,), 1, 3)), Sample(n((3, 4), 0, 6, 7), 1), Sample(n((3, 4), 2, 5), axis=0)]
    if reductions:
        common += [
            Sample(n((3, 4), 1, 10), axis=-1, keepdims=True),
            Sample(n((2, 3, 4), 0, 5, 17), axis=(0, 2)),
        ]
    return common


# -- sums and means ------------------------------------------------------------------

def _sum_vjp(
    g: Any,
    ans: Any,
    x: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = None,
    where: Any = True,
) -> Any:
    if where is not True:  # only the elements selected reach the sum
        return _outside(_chosen(getval(where), x), expand_to(g, x, axis, keepdims), 0.0)
    return expand_to(g, x, axis, keepdims)


def _mean_vjp(
    g: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = True
) -> Any:
    if where is not True:  # each element selected counts 1 / (the number selected in its slice)
        mask = _chosen(getval(where), x)
        # 0 in a slice with none selected: its mean is nan whatever x holds, a constant
        weights = mask / np.maximum(np.sum(mask, axis=axis, keepdims=True), 1)
        return _outside(mask, expand_to(g, x, axis, keepdims) * _const(weights, x), 0.0)
    n = math.prod(x.shape) if axis is None and type(x) is Meta else count(x, axis)  # (a loss: the commonest)
    return expand_to(g / n, x, axis, keepdims)


sum = Primitive("numpy.sum", sum_fun, complex=True, saves=("shapes",))
sum.def_vjp(_sum_vjp)
sum.def_jvp(sum_jvp(sum))
_MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, True, True]])
sum.def_samples(
    *axis_samples(), Sample(rand(3, 2), axis=0, initial=2.0), Sample(rand(3, 4), where=_MASK), Sample(rand(3, 4), axis=0, where=_MASK[0]))

mean = Primitive("numpy.mean", mean_fun, complex=True, saves=("shapes",))
mean.def_vjp(_mean_vjp)
mean.def_linear()
mean.def_samples(*axis_samples(), Sample(rand(3, 4), axis=1, where=_MASK), Sample(rand(3, 4), where=_MASK[:, :1]))


# -- running sums ----------------------------------------------------------------------


def _cumsum_vjp(g: Any, x: Any, axis: Any, include_initial: bool = False) -> Any:
    # The transpose of a running sum is the running sum from the other end.
    from plugrad_numpy.shape import reshape

    _, ax = _axis_of(x, axis)
    if include_initial:
        g = slice_along(g, ax, 1, None)
    return match_dtype(reshape(flip_along(cumsum(flip_along(g, ax), ax), ax), shape_of(x)), x)


cumsum = Primitive("numpy.cumsum", np.cumsum, complex=True, saves=("shapes",))
cumsum.def_vjp(lambda g, ans, x, axis=None, dtype=None, out=None: _cumsum_vjp(g, x, axis))
cumsum.def_linear()
cumsum.def_samples(
    Sample(scalar()),
    Sample(rand(), axis=0),
    Sample(rand(5)),
    Sample(rand(3, 4)),
    Sample(rand(3, 4), 0),
    Sample(rand(2, 3, 4), axis=-1),
)

cumulative_sum = Primitive("numpy.cumulative_sum", np.cumulative_sum, complex=True, saves=("shapes",))
cumulative_sum.def_vjp(
    lambda g, ans, x, axis=None, dtype=None, out=None, include_initial=False: _cumsum_vjp(
        g, x, axis, include_initial
    )
)
cumulative_sum.def_linear()
cumulative_sum.def_samples(
    Sample(rand(5)),
    Sample(rand(4), include_initial=True),
    Sample(rand(3, 4), axis=0),
    Sample(rand(2, 3, 4), axis=-1, include_initial=True),
)


def _nancumsum_vjp(g: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    return _numbers_only(_cumsum_vjp(g, x, axis), x)


def _nancumsum_jvp(t: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    return cumsum(_numbers_only(t, x), axis)


nancumsum = Primitive("numpy.nancumsum", np.nancumsum, complex=True, saves=("args",))
nancumsum.def_vjp(_nancumsum_vjp).def_jvp(_nancumsum_jvp)
nancumsum.def_samples(*_nan_samples(reductions=False))


# -- running products ------------------------------------------------------------------


def _scan(a: np.ndarray, b: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """Solve ``y[i] = b[i] + a[i] * y[i-1]`` (``reverse``: ``y[i] = b[i] + a[i+1] * y[i+1]``)
    along ``axis`` by doubling, in ``log2(n)`` vectorized steps and without division."""
    a, b = np.moveaxis(np.asarray(a), axis, -1), np.moveaxis(np.asarray(b), axis, -1)
    dtype = np.result_type(a, b)
    if reverse:  # flipped, the reverse recurrence is a forward one with coefficients a[i+1]
        a = np.concatenate([np.zeros_like(a[..., :1]), a[..., :0:-1]], axis=-1)
        b = b[..., ::-1]
    a, y = np.array(a, dtype), np.array(b, dtype)
    d = 1
    while d < y.shape[-1]:
        y[..., d:] = y[..., d:] + a[..., d:] * y[..., :-d]
        a[..., d:] = a[..., d:] * a[..., :-d]
        d *= 2
    if reverse:
        y = y[..., ::-1]
    return np.moveaxis(y, -1, axis)


def _shift_impl(x: Any, k: int, axis: int) -> Any:
    x = np.asarray(x)
    out = np.zeros_like(x)
    n = x.shape[axis]
    if -n < k < n:
        src = index_along(axis, slice(0, n - k) if k >= 0 else slice(-k, n))
        dst = index_along(axis, slice(k, n) if k >= 0 else slice(0, n + k))
        out[dst] = x[src]
    return out


# ``_shift(x, k, axis)[i] == x[i - k]``, zero where that is out of range: its transpose shifts back.
_shift = Primitive(
    "numpy._shift",
    _shift_impl,
    complex=True,
    saves=("shapes",),
    doc="``x`` shifted by ``k`` along ``axis``, zero-filled.",
)
_shift.def_vjp(lambda g, ans, x, k, axis: _shift(g, -k, axis))
_shift.def_linear()
_shift.def_samples(Sample(rand(5), 1, 0), Sample(rand(3, 4), -2, 1), Sample(rand(2, 3), 3, 1))


def _linrec_vjp_a(g: Any, ans: Any, a: Any, b: Any, axis: int, reverse: bool) -> Any:
    if reverse:
        return ans * _shift(_linrec(a, g, axis, False), 1, axis)
    return _shift(ans, 1, axis) * _linrec(a, g, axis, True)


def _linrec_jvp_a(t: Any, ans: Any, a: Any, b: Any, axis: int, reverse: bool) -> Any:
    if reverse:
        return _linrec(a, _shift(t * ans, -1, axis), axis, True)
    return _linrec(a, t * _shift(ans, 1, axis), axis, False)


# The linear recurrence behind cumprod's derivatives. In matrix form y = M^-1 b with
# M = I - diag(a) S (S shifts down by one); the reverse recurrence is M^-T, so each
# direction is the other's transpose, and d(M^-1 b)/da = M^-1 (da * S y).
_linrec = Primitive(
    "numpy._linrec",
    _scan,
    complex=True,
    doc="Solve ``y[i] = b[i] + a[i] * y[i-1]`` along ``axis`` "
    "(``reverse``: ``y[i] = b[i] + a[i+1] * y[i+1]``).",
)
_linrec.def_vjp(_linrec_vjp_a, lambda g, ans, a, b, axis, reverse: _linrec(a, g, axis, not reverse))
_linrec.def_jvp(_linrec_jvp_a, lambda t, ans, a, b, axis, reverse: _linrec(a, t, axis, reverse))
_linrec.def_samples(
    Sample(rand(5), rand(5), 0, False),
    Sample(rand(5), rand(5), 0, True),
    Sample(rand(3, 4), rand(3, 4), 1, False),
    Sample(rand(4, 3), rand(4, 3), 0, True),
)


def _exclusive(c: Any, x: Any, axis: int) -> Any:
    """The products of the entries before each one, from the running products ``c``."""
    return _shift(c, 1, axis) + _first(x, axis)


def _cumprod_vjp(g: Any, ans: Any, x: Any, axis: Any, include_initial: bool = False) -> Any:
    # d c[k] = t[k] * before[k] + x[k] * d c[k-1]: a recurrence; its transpose runs backwards.
    from plugrad_numpy.shape import reshape

    xa, ax = _axis_of(x, axis)
    if include_initial:
        g, ans = slice_along(g, ax, 1, None), slice_along(ans, ax, 1, None)
    ct = _exclusive(ans, xa, ax) * _linrec(xa, g, ax, True)
    return match_dtype(reshape(ct, shape_of(x)), x)


def _cumprod_jvp(t: Any, ans: Any, x: Any, axis: Any, include_initial: bool = False) -> Any:
    from plugrad_numpy.indexing import untake

    xa, ax = _axis_of(x, axis)
    ta, _ = _axis_of(t, axis)
    c = slice_along(ans, ax, 1, None) if include_initial else ans
    dc = _linrec(xa, ta * _exclusive(c, xa, ax), ax, False)
    if include_initial:
        dc = untake(dc, (index_along(ax, slice(1, None)), shape_of(ans), dtype_of(getval(ans))))
    return match_dtype(dc, ans)


cumprod = Primitive("numpy.cumprod", np.cumprod, complex=True)
cumprod.def_vjp(lambda g, ans, x, axis=None, dtype=None, out=None: _cumprod_vjp(g, ans, x, axis))
cumprod.def_jvp(lambda t, ans, x, axis=None, dtype=None, out=None: _cumprod_jvp(t, ans, x, axis))
cumprod.def_samples(
    Sample(scalar()),
    Sample(rand(), axis=0),  # a 0-d array: NumPy runs over its one element
    Sample(rand(5)),
    Sample(rand(3, 4)),
    Sample(rand(3, 4), 0),
    Sample(rand(2, 3, 4), axis=-1),
    Sample(gen(_with_zeros((5,), 2))),
    Sample(gen(_with_zeros((6,), 1, 4))),
    Sample(gen(_with_zeros((3, 4), 1, 5, 6, 11)), axis=1),
)

cumulative_prod = Primitive("numpy.cumulative_prod", np.cumulative_prod, complex=True)
cumulative_prod.def_vjp(
    lambda g, ans, x, axis=None, dtype=None, out=None, include_initial=False: _cumprod_vjp(
        g, ans, x, axis, include_initial
    )
)
cumulative_prod.def_jvp(
    lambda t, ans, x, axis=None, dtype=None, out=None, include_initial=False: _cumprod_jvp(
        t, ans, x, axis, include_initial
    )
)
cumulative_prod.def_samples(
    Sample(rand(5)),
    Sample(rand(4), include_initial=True),
    Sample(rand(3, 4), axis=0),
    Sample(rand(2, 3, 4), axis=-1, include_initial=True),
    Sample(gen(_with_zeros((5,), 0, 3)), include_initial=True),
)


def _nan_to_zero_impl(x: Any) -> Any:
    return np.where(np.isnan(x), 0, x) if isinstance(x, np.ndarray) else (0 * x if np.isnan(x) else x)


# Identity on numbers, zero on NaNs: the nan* rules evaluate at finite points with it.
_nan_to_zero = Primitive(
    "numpy._nan_to_zero",
    _nan_to_zero_impl,
    complex=True,
    saves=("args",),
    doc="``x`` with NaNs replaced by zeros.",
)
_nan_to_zero.def_vjp(lambda g, ans, x: _numbers_only(g, x))
_nan_to_zero.def_jvp(lambda t, ans, x: _numbers_only(t, x))
_nan_to_zero.def_samples(Sample(scalar()), Sample(rand(3)), Sample(gen(_with_nans((2, 3), 1, 4))))


def _nan_to_one(x: Any) -> Any:
    return _nan_to_zero(x) + _const(_nan_mask(x), x)


def _nancumprod_vjp(g: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    return _numbers_only(_cumprod_vjp(g, ans, _nan_to_one(x), axis), x)


def _nancumprod_jvp(t: Any, ans: Any, x: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    return _cumprod_jvp(_numbers_only(t, x), ans, _nan_to_one(x), axis)


nancumprod = Primitive("numpy.nancumprod", np.nancumprod, complex=True)
nancumprod.def_vjp(_nancumprod_vjp).def_jvp(_nancumprod_jvp)
nancumprod.def_samples(*_nan_samples(reductions=False), Sample(gen(_with_zeros((5,), 1, 3))))


# -- reductions by their partial derivatives ---------------------------------------------
#
# Each reduction below declares how to read numpy's arguments (``params``) and its partial
# derivatives ``partials(x, ans, axis, keepdims, options)``, an array shaped like ``x``;
# then VJP = g broadcast back to x times the partials, JVP = sum(t * partials) over axis.


def _where_of(kw: dict[str, Any]) -> Any:
    """``where=`` of a reduction, or ``None`` where every element takes part (the fast path)."""
    where = kw.get("where", True)
    return None if where is True else getval(where)


def _chosen(where: Any, x: Any, nan: bool = False) -> np.ndarray:
    """The entries of ``x`` a reduction with ``where=`` combines, as booleans shaped like ``x``
    (for the nan* versions, those selected that are numbers)."""
    chosen = np.broadcast_to(np.asarray(where, bool), shape_of(x))
    return chosen & ~_nan_mask(x) if nan else chosen


def _outside(chosen: np.ndarray, x: Any, fill: float) -> Any:
    """``x`` with ``fill`` at the entries left out, differentiably: a ``where``, not a product
    with a mask, since an entry left out may be inf or NaN (often why it is left out)."""
    from plugrad_numpy.indexing import where3  # only here: reductions load before indexing

    return where3(chosen, x, fill)


def _sum_params(
    x: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any
) -> Any:
    return axis, keepdims, kw


def _max_params(x: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    return axis, keepdims, kw


def _var_params(
    x: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: bool = False,
    **kw: Any,
) -> Any:
    correction = kw.get("correction")
    return axis, keepdims, {**kw, "ddof": ddof if correction is None else correction}


def _reduction(
    name: str,
    fun: Any,
    params: Any,
    partials: Any,
    *,
    nan: bool = False,
    complex: bool = True,
    saves: tuple[str, ...] = ("ans", "args"),
) -> Primitive:
    # The entries skipped (NaNs for the nan* versions, ``nan``; those ``where=`` leaves out)
    # have partials 0, but their tangents and cotangents are selected out, not multiplied by it.
    def vjp(g: Any, ans: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        axis, keepdims, options = params(x, *args, **kwargs)
        ct = expand_to(g, x, axis, keepdims)
        chosen = _combining(x, _where_of(options), nan)
        if chosen is not None:
            ct = _outside(chosen, ct, 0.0)
        return ct * partials(x, ans, axis, keepdims, options)

    def jvp(t: Any, ans: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        axis, keepdims, options = params(x, *args, **kwargs)
        chosen = _combining(x, _where_of(options), nan)
        if chosen is not None:
            t = _outside(chosen, t, 0.0)
        return _reduce(t, partials(x, ans, axis, keepdims, options), ans, axis, keepdims)

    return Primitive(f"numpy.{name}", fun, complex=complex, saves=saves).def_vjp(vjp).def_jvp(jvp)


def _prod_partials(x: Any, axis: Any) -> Any:
    """d prod / d x: at each entry, the product of the others along ``axis``, taken as
    (product of those before) * (product of those after) so that zeros are exact."""
    y, back = _to_last(x, axis)
    last = len(shape_of(y)) - 1
    before = _exclusive(cumprod(y, last), y, last)
    after = flip_along(_exclusive(cumprod(flip_along(y, last), last), y, last), last)
    return back(before * after)


def _products_partials(x: Any, axis: Any, kw: dict[str, Any], nan: bool) -> Any:
    """The partials of ``prod`` (``nanprod``, whose NaNs count as ones and get nothing): the
    entries ``where=`` leaves out count as ones too, the identity, and get nothing."""
    where = _where_of(kw)
    if where is None:
        partials = _prod_partials(_nan_to_one(x), axis) * _valid(x) if nan else _prod_partials(x, axis)
    else:
        chosen = _chosen(where, x, nan)
        partials = _outside(chosen, _prod_partials(_outside(chosen, x, 1.0), axis), 0.0)
    return partials * kw.get("initial", 1)


def _extreme_partials(
    x: Any, ans: Any, axis: Any, keepdims: bool, options: Any = None, *, skips_nan: bool = False
) -> np.ndarray:
    # Ties share the derivative evenly: every entry equal to the extreme gets 1/(number
    # of them), a subgradient that treats tied entries alike; an extreme that is ``initial``
    # gets no entry at all, and entries ``where=`` leaves out get nothing.
    # max and min propagate NaN: a NaN extreme came from the NaN entries, so they share it
    # as tied entries do, and a NaN is not hidden behind a zero gradient. The nan* versions
    # skip NaNs: theirs is NaN only for an all-NaN slice (NumPy warns), which they treat as
    # absent, as nanmean does. Only a NaN in the (small) output costs the extra work.
    xv, picked = getval(x), _kept(ans, x, axis, keepdims)
    mask = xv == picked
    if not skips_nan:
        nan_picked = picked != picked
        if _may_hold_true(nan_picked):
            mask = mask | ((xv != xv) & nan_picked)
    where = None if options is None else _where_of(options)
    if where is not None:
        mask = mask & _chosen(where, x)
    ties = np.sum(mask, axis=_norm_axes(axis, len(shape_of(x))), keepdims=True)  # (axis=(): each its own)
    return _const(mask / np.maximum(ties, 1), x)


def _ptp_partials(x: Any, ans: Any, axis: Any, keepdims: bool, options: Any) -> np.ndarray:
    xv = getval(x)
    top = np.max(xv, axis=axis)
    partials = _extreme_partials(x, top, axis, False) - _extreme_partials(x, np.min(xv, axis=axis), axis, False)
    # A range that is NaN is NaN - NaN: its two extremes are the same NaN entries, whose shares
    # would cancel to a clean zero. They get NaN instead, the range's own value.
    top_kept = _kept(top, x, axis, False)
    nan_range = top_kept != top_kept
    if _may_hold_true(nan_range):
        partials = np.where((xv != xv) & nan_range, np.nan, partials)
    return partials


def _may_hold_true(mask: Any) -> bool:
    """Whether ``mask`` may hold True: NumPy's is asked; another library's (a lazy Dask
    array) is not, as asking would compute it."""
    return bool(mask.any()) if isinstance(mask, (np.ndarray, np.generic)) else True


def _nvalid(x: Any, axis: Any, least: int = 1) -> np.ndarray:
    """How many numbers (not NaNs) each reduction combines, kept as size-1 axes; at least ``least``."""
    axes = _norm_axes(axis, len(shape_of(x)))
    return np.maximum(np.sum(~_nan_mask(x), axis=axes, keepdims=True), least)


def _nan_sum_partials(x: Any, ans: Any, axis: Any, keepdims: bool, kw: dict[str, Any]) -> np.ndarray:
    where = _where_of(kw)
    return _valid(x) if where is None else _const(_chosen(where, x, nan=True), x)


def _nan_mean_partials(x: Any, ans: Any, axis: Any, keepdims: bool, kw: dict[str, Any]) -> np.ndarray:
    # Each number combined counts 1 / (how many are combined in its slice).
    where = _where_of(kw)
    if where is None:
        return _const(~_nan_mask(x) / _nvalid(x, axis), x)
    return _const(_chosen(where, x, nan=True) / _combined(x, axis, True, where), x)


def _var_partials(x: Any, axis: Any, options: dict[str, Any], nan: bool) -> Any:
    # d var = 2 Re(sum(conj(x - mean) dx)) / (n - ddof): the mean's own variation cancels,
    # and a mean= given (a constant, shaped as keepdims gives) does not vary.
    ddof, where, given = options["ddof"], _where_of(options), options.get("mean")
    chosen = None if where is None else _chosen(where, x, nan)
    if given is not None:  # deviations from it, as NumPy's x - mean broadcasts them
        center: Any = _as_center(given, x)
    elif chosen is not None:  # deviations from the mean of the entries combined
        center = mean(x, axis=axis, keepdims=True, where=chosen)
    else:
        center = (nanmean if nan else mean)(x, axis=axis, keepdims=True)
    d = _numbers_only(x - center, x) if nan and chosen is None else x - center
    n = _combined(x, axis, nan, where)
    partials = (conj(d) if iscomplex(x) else d) * _const(2.0 / (np.asarray(n) - ddof), x)
    return partials if chosen is None else _outside(chosen, partials, 0.0)  # 0 for those left out


def _as_center(given: Any, x: Any) -> np.ndarray:
    """``mean=`` of ``var`` in ``x``'s precision (complex where either is)."""
    center = np.asarray(getval(given))
    dtype = dtype_of(getval(x))
    if dtype.kind not in "fc":
        return center
    return center.astype(np.result_type(dtype, 1j if center.dtype.kind == "c" else 1.0))


def _combined(x: Any, axis: Any, nan: bool, where: Any = None, *, least: int = 1) -> Any:
    """How many numbers each reduction combines (NaNs not counted for the nan* versions,
    nor entries ``where=`` leaves out), at least ``least``: by default a slice left empty
    counts 1 (it has no partials, and they stay finite)."""
    if where is not None:
        chosen = _chosen(where, x, nan)
        return np.maximum(np.sum(chosen, axis=_norm_axes(axis, len(shape_of(x))), keepdims=True), least)
    return _nvalid(x, axis, least) if nan else count(x, axis)


def _std_partials(x: Any, ans: Any, axis: Any, keepdims: bool, options: dict[str, Any], nan: bool) -> Any:
    # d std = d var / (2 std). The std of one number about its own mean is 0 whatever the
    # number, so its derivative is 0, not the formula's 0/0: there the denominator is 1 (the
    # numerator is 0). So is that of none (a slice ``where=`` or NaNs leave empty), whose std
    # is NaN whatever x holds. About a mean= given, one number's std |x - mean| varies.
    denominator = 2 * expand_to(ans, x, axis, keepdims)
    constant = np.asarray(_combined(x, axis, nan, _where_of(options), least=0))
    constant = constant <= (1 if options.get("mean") is None else 0)
    if constant.any():
        denominator = _outside(~constant, denominator, 1.0)
    return _var_partials(x, axis, options, nan) / denominator


prod = _reduction(
    "prod",
    np.prod,
    _sum_params,
    lambda x, ans, axis, keepdims, kw: _products_partials(x, axis, kw, nan=False),
    saves=("args",),
)
nanprod = _reduction(
    "nanprod",
    np.nanprod,
    _sum_params,
    lambda x, ans, axis, keepdims, kw: _products_partials(x, axis, kw, nan=True),
    nan=True,
    saves=("args",),
)
max = _reduction("max", np.max, _max_params, _extreme_partials, complex=False)
min = _reduction("min", np.min, _max_params, _extreme_partials, complex=False)
amax = _reduction("amax", np.amax, _max_params, _extreme_partials, complex=False)
amin = _reduction("amin", np.amin, _max_params, _extreme_partials, complex=False)
nanmax = _reduction(
    "nanmax", np.nanmax, _max_params, partial(_extreme_partials, skips_nan=True), nan=True, complex=False
)
nanmin = _reduction(
    "nanmin", np.nanmin, _max_params, partial(_extreme_partials, skips_nan=True), nan=True, complex=False
)
ptp = _reduction("ptp", np.ptp, _max_params, _ptp_partials, complex=False, saves=("args",))
nansum = _reduction("nansum", np.nansum, _sum_params, _nan_sum_partials, nan=True, saves=("args",))
nanmean = _reduction("nanmean", np.nanmean, _sum_params, _nan_mean_partials, nan=True, saves=("args",))
var = _reduction(
    "var",
    np.var,
    _var_params,
    lambda x, ans, axis, keepdims, options: _var_partials(x, axis, options, False),
    saves=("args",),
)
nanvar = _reduction(
    "nanvar",
    np.nanvar,
    _var_params,
    lambda x, ans, axis, keepdims, options: _var_partials(x, axis, options, True),
    nan=True,
    saves=("args",),
)
std = _reduction("std", np.std, _var_params, partial(_std_partials, nan=False))
nanstd = _reduction("nanstd", np.nanstd, _var_params, partial(_std_partials, nan=True), nan=True)


def _moment_samples() -> list[Sample]:
    return [
        Sample(rand(5)),
        Sample(rand(3, 4), axis=0),
        Sample(rand(3, 4), 1, None, None, 1),
        Sample(rand(3, 4), axis=-1, ddof=1, keepdims=True),
        Sample(rand(2, 3, 4), axis=(0, 2)),
        Sample(rand(2, 3), keepdims=True, correction=1),
        Sample(rand(1, 3), axis=1),
        Sample(rand(3, 2), axis=()),
    ]


prod.def_samples(
    *axis_samples(),
    Sample(rand(3), initial=2.0),
    Sample(gen(_with_zeros((4,), 2))).named("one zero"),
    Sample(gen(_with_zeros((5,), 0, 3))).named("two zeros"),
    Sample(gen(_with_zeros((3, 4), 1, 4, 5, 11)), axis=1).named("zeros by row"),
    Sample(gen(_with_zeros((2, 3, 2), 0, 7, 9)), axis=(0, 2), keepdims=True).named("zeros, two axes"),
    Sample(gen(_with_zeros((3,), 0, 1, 2))).named("all zeros"),
    Sample(rand(3, 4), where=_MASK),
    Sample(gen(_with_zeros((3, 4), 1, 2)), axis=1, where=_MASK).named("zeros, where="),
)
# where= with NaNs selected and left out. _MASK's middle row selects one entry; _EMPTY leaves
# two rows empty, whose max is ``initial``.
_NANS = gen(_with_nans((3, 4), 0, 5, 10))
_EMPTY = _MASK[:, 1:2]
nanprod.def_samples(
    *_nan_samples(),
    Sample(gen(_with_zeros((4,), 1))),
    Sample(gen(_with_nans((3,), 1)), initial=2.0),
    Sample(_NANS, axis=1, where=_MASK),
)
max.def_samples(
    *axis_samples(),
    Sample(rand(3, 2), axis=0, initial=-5.0),
    Sample(rand(3, 4), axis=1, initial=-5.0, where=_MASK),
    Sample(rand(3, 4), axis=1, initial=-5.0, where=_EMPTY),
)
min.def_samples(*axis_samples(), Sample(rand(3, 4), axis=0, initial=5.0, where=_MASK))
amax.def_samples(*axis_samples(), Sample(rand(3, 4), initial=-5.0, where=_MASK))
amin.def_samples(*axis_samples(), Sample(rand(3, 4), axis=1, keepdims=True, initial=5.0, where=_MASK))
nanmax.def_samples(
    *axis_samples()[1:3], *axis_samples()[-1:], *_nan_samples(), Sample(_NANS, axis=1, initial=-5.0, where=_MASK)
)
nanmin.def_samples(
    *axis_samples()[1:3], *axis_samples()[-1:], *_nan_samples(), Sample(_NANS, axis=0, initial=5.0, where=_MASK)
)
ptp.def_samples(*axis_samples()[1:])
nansum.def_samples(Sample(scalar()), *_nan_samples(), Sample(_NANS, axis=1, where=_MASK))
nanmean.def_samples(*_nan_samples(), Sample(rand(2, 3), axis=()), Sample(_NANS, axis=1, where=_MASK))
# mean= is a constant shaped as keepdims gives: one per row, per column, for all.
_ROW_MEANS = np.array([[0.3], [-0.2], [1.5]])
_COLUMN_MEANS = np.array([[0.1, -0.4, 0.0, 2.0]])


def _about_means() -> list[Sample]:
    return [
        Sample(rand(5), mean=0.25),
        Sample(rand(3, 4), axis=1, keepdims=True, mean=_ROW_MEANS),
        Sample(rand(3, 4), axis=0, ddof=1, mean=_COLUMN_MEANS),
        Sample(rand(3, 4), axis=1, where=_MASK, mean=_ROW_MEANS),
    ]


def _nan_about_means() -> list[Sample]:
    return [
        Sample(gen(_with_nans((5,), 1, 3)), mean=-0.5),
        Sample(gen(_with_nans((3, 4), 1, 6)), axis=1, ddof=1, mean=_ROW_MEANS),
        Sample(gen(_with_nans((3, 4), 0, 10)), axis=0, where=_MASK, mean=_COLUMN_MEANS),
    ]


var.def_samples(
    Sample(scalar()),
    *_moment_samples(),
    Sample(rand(3, 4), axis=1, where=_MASK),
    Sample(rand(2, 4), axis=1, ddof=1, where=_MASK[[0, 2]]),
    *_about_means(),
)
nanvar.def_samples(
    *_nan_samples(),
    Sample(rand(2, 3), axis=()),
    Sample(gen(_with_nans((3, 4), 1, 6)), axis=1, ddof=1),
    Sample(gen(_with_nans((3, 4), 0, 10)), axis=1, where=_MASK),
    *_nan_about_means(),
)
# One number per reduction: a std that is 0 everywhere, or |x - mean| about a mean= given.
std.def_samples(
    Sample(scalar()),
    *_moment_samples(),
    Sample(rand(1, 3), axis=0, keepdims=True),
    Sample(rand(3, 4), where=_MASK),
    Sample(rand(3, 4), axis=1, where=_MASK),  # (its middle row: one number)
    *_about_means(),
    Sample(rand(1, 3), axis=0, mean=np.full((1, 3), 2.0)),
)
nanstd.def_samples(
    *_nan_samples(),
    Sample(rand(2, 3), axis=()),
    Sample(gen(_with_nans((2, 3), 1, 2)), axis=1),
    Sample(gen(_with_nans((3, 4), 0, 10)), axis=1, where=_MASK),
    *_nan_about_means(),
    Sample(gen(_with_nans((2, 3), 1, 2)), axis=1, keepdims=True, mean=np.array([[0.5], [-2.0]])),
)


# -- weighted average ------------------------------------------------------------------


def _weights_like(w: Any, a: Any, axis: Any) -> Any:
    """Weights of ``average`` shaped to broadcast against ``a`` (1-D weights run along ``axis``)."""
    from plugrad_numpy.shape import reshape

    a_shape, w_shape = shape_of(a), shape_of(w)
    if w_shape == a_shape or len(w_shape) == len(a_shape):
        return w
    axes = _norm_axes(axis, len(a_shape))
    return reshape(w, tuple(a_shape[i] if i in axes else 1 for i in range(len(a_shape))))


def _total_weight(w: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    from plugrad_numpy.shape import broadcast_to

    return sum(broadcast_to(_weights_like(w, a, axis), shape_of(a)), axis=axis, keepdims=keepdims)


def _check_returned(returned: bool) -> None:
    if returned:
        raise NotDifferentiableError(
            "numpy.average(..., returned=True) is not differentiable; call it with "
            "returned=False and sum the weights separately"
        )


def _average_vjp_a(
    g: Any, ans: Any, a: Any, axis: Any = None, weights: Any = None, returned: bool = False, **kw: Any
) -> Any:
    # d avg / d a_i = w_i / sum(w)
    _check_returned(returned)
    keepdims = kw.get("keepdims", False)
    if weights is None:
        return expand_to(g, a, axis, keepdims) / count(a, axis)
    total = _total_weight(weights, a, axis, keepdims)
    return unbroadcast(expand_to(g / total, a, axis, keepdims) * _weights_like(weights, a, axis), a)


def _average_jvp_a(
    t: Any, ans: Any, a: Any, axis: Any = None, weights: Any = None, returned: bool = False, **kw: Any
) -> Any:
    _check_returned(returned)
    return average(t, axis, weights, **kw)


def _average_weight_partials(ans: Any, a: Any, w: Any, axis: Any, keepdims: bool) -> Any:
    # d avg / d w_i = (a_i - avg) / sum(w)
    return (a - expand_to(ans, a, axis, keepdims)) / _total_weight(w, a, axis, True)


def _average_vjp_w(
    g: Any, ans: Any, a: Any, axis: Any = None, weights: Any = None, returned: bool = False, **kw: Any
) -> Any:
    from plugrad_numpy.shape import reshape

    _check_returned(returned)
    keepdims = kw.get("keepdims", False)
    ct = expand_to(g, a, axis, keepdims) * _average_weight_partials(ans, a, weights, axis, keepdims)
    if shape_of(weights) != shape_of(a):  # 1-D weights along axis: sum the other axes away
        axes = _norm_axes(axis, len(shape_of(a)))
        others = tuple(i for i in range(len(shape_of(a))) if i not in axes)
        ct = reshape(sum(ct, axis=others), shape_of(weights))
    return unbroadcast(ct, weights)


def _average_jvp_w(
    t: Any, ans: Any, a: Any, axis: Any = None, weights: Any = None, returned: bool = False, **kw: Any
) -> Any:
    _check_returned(returned)
    keepdims = kw.get("keepdims", False)
    partials = _average_weight_partials(ans, a, weights, axis, keepdims)
    return _reduce(_weights_like(t, a, axis), partials, ans, axis, keepdims)


average = Primitive("numpy.average", np.average, complex=True)
average.def_vjp(_average_vjp_a, _average_vjp_w, argnums=(0, 2)).def_jvp(
    _average_jvp_a, _average_jvp_w, argnums=(0, 2)
)
average.def_samples(
    Sample(rand(5)),
    Sample(rand(3, 4), 1),
    Sample(rand(4), None, rand(4, low=0.5, high=1.5)),
    Sample(rand(3, 4), None, rand(3, 4, low=0.5, high=1.5)),
    Sample(rand(3, 4), 0, rand(3, 4, low=0.5, high=1.5), keepdims=True),
    Sample(rand(3, 4), -1, rand(4, low=0.5, high=1.5)),
    Sample(rand(2, 3, 4), (0, 2), rand(2, 3, 4, low=0.5, high=1.5)),
)
