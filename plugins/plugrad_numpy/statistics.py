"""Statistics and signal processing along an axis: differences, integrals, interpolation,
polynomials, convolutions, covariances, numerical gradients and weighted counts.

Most of these are linear in their data, so each JVP is the function applied to the
tangent and each VJP the transposed operator: a difference's transpose is a negated
difference, a convolution's is a correlation, a finite-difference stencil's is the
stencil's columns. Spacings, sample points and indices are constants.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from plugrad import NotDifferentiableError, Primitive, Sample, gen, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import dtype_of, lists_as_arrays, match_dtype, shape_of, unbroadcast, zeros_like_value
from plugrad_numpy.indexing import getitem, untake
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import index_along, mean, slice_along, sum
from plugrad_numpy.shape import reshape, swapaxes
from plugrad_numpy.unary import astype, conj, real, sqrt

_ABSENT = object()  # numpy's "argument not given", for prepend/append


def _given(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not _ABSENT}


def _embed(x: Any, axis: int, start: int, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``x`` placed from ``start`` along ``axis`` (transpose of a slice)."""
    n = shape_of(x)[axis]
    return untake(x, (index_along(axis, slice(start, start + n)), shape, dtype_of(getval(x))))


# -- differences -----------------------------------------------------------------------


def _diff_t(g: Any, axis: int) -> Any:
    # The transpose of one first difference: [-g0, g0 - g1, ..., g_{m-1}].
    return -diff(g, 1, axis, prepend=0, append=0)


def _length(edge: Any, axis: int) -> int:
    return 0 if edge is _ABSENT else 1 if np.ndim(edge) == 0 else np.shape(edge)[axis]


def _diff_transposed(g: Any, a: Any, n: int, axis: int) -> tuple[Any, int]:
    """The cotangent of what ``diff`` differences, ``a`` joined with its edges along ``axis``
    (normalized, and returned with it)."""
    ax = axis % len(shape_of(a))
    for _ in range(n):
        g = _diff_t(g, ax)
    return g, ax


def _diff_vjp(
    g: Any, ans: Any, a: Any, n: int = 1, axis: int = -1, prepend: Any = _ABSENT, append: Any = _ABSENT
) -> Any:
    g, ax = _diff_transposed(g, a, n, axis)
    start = _length(prepend, ax) if n else 0  # (n=0 returns a itself, edges ignored)
    return match_dtype(slice_along(g, ax, start, start + shape_of(a)[ax]), a)


def _edge_vjp(name: str) -> Any:
    """The VJP for ``prepend`` or ``append``: its part of the joined array's cotangent (a
    number's, summed: NumPy repeats it across the other axes). ``n=0`` ignores the edges."""

    def vjp(g: Any, ans: Any, a: Any, n: int = 1, axis: int = -1, prepend: Any = _ABSENT, append: Any = _ABSENT) -> Any:
        edge = prepend if name == "prepend" else append
        if n == 0:
            return zeros_like_value(edge)
        g, ax = _diff_transposed(g, a, n, axis)
        start = 0 if name == "prepend" else _length(prepend, ax) + shape_of(a)[ax]
        return unbroadcast(slice_along(g, ax, start, start + _length(edge, ax)), edge)

    vjp.__name__ = f"_diff_vjp_{name}"
    return vjp


def _diff_jvp(
    t: Any, ans: Any, a: Any, n: int = 1, axis: int = -1, prepend: Any = _ABSENT, append: Any = _ABSENT
) -> Any:
    edges = _given(prepend=prepend, append=append)
    return diff(t, n, axis, **{k: np.zeros_like(v, dtype=np.result_type(v, 0.0)) for k, v in edges.items()})


def _edge_jvp(name: str) -> Any:
    """The JVP for ``prepend`` or ``append``: the differences of zeros with the tangent as that edge."""

    def jvp(t: Any, ans: Any, a: Any, n: int = 1, axis: int = -1, prepend: Any = _ABSENT, append: Any = _ABSENT) -> Any:
        edges: dict[str, Any] = {k: np.zeros_like(v, dtype=np.result_type(v, 0.0)) for k, v in _given(prepend=prepend, append=append).items()}
        edges[name] = t
        return diff(np.zeros(shape_of(a), np.result_type(dtype_of(getval(t)), dtype_of(a))), n, axis, **edges)

    jvp.__name__ = f"_diff_jvp_{name}"
    return jvp


diff = Primitive("numpy.diff", np.diff, complex=True, saves=("shapes",))
diff.def_vjp(_diff_vjp).def_jvp(_diff_jvp)
diff.def_vjp(_edge_vjp("prepend"), argnums=(3,)).def_jvp(_edge_jvp("prepend"), argnums=(3,))
diff.def_vjp(_edge_vjp("append"), argnums=(4,)).def_jvp(_edge_jvp("append"), argnums=(4,))
lists_as_arrays(diff)  # constants written as lists, as NumPy allows
diff.def_samples(
    Sample(rand(5)),
    Sample(rand(5), 2),
    Sample(rand(3, 4), 1, 0),
    Sample(rand(3, 4), axis=-1, prepend=0.5),
    Sample(rand(3, 4), 2, axis=0, append=np.ones((2, 4))),
    Sample(rand(2, 3, 4), 1, 1, prepend=np.zeros((2, 1, 4)), append=1.0),
    Sample(rand(4), 0),
    # traced edges: a number (repeated across the other axes), arrays, and n=0, which ignores them
    Sample(rand(3, 4), 1, -1, rand(), rand(3, 2)),
    Sample(rand(3, 4), 2, 0, rand(1, 4), scalar()),
    Sample(rand(5), 3, prepend=rand(2), append=rand()),
    Sample(rand(4), 0, -1, rand(), rand(1)),
)


def _ediff1d_vjp(g: Any, ans: Any, ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    size = int(np.prod(shape_of(ary)))
    start = 0 if to_begin is None else np.size(to_begin)
    ct = _diff_t(slice_along(g, 0, start, start + size - 1), 0) if size else g[:0]
    return match_dtype(reshape(ct, shape_of(ary)), ary)


def _ediff1d_jvp(t: Any, ans: Any, ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    def zeros(edge: Any) -> Any:
        return None if edge is None else np.zeros(np.size(edge), dtype_of(getval(t)))

    return ediff1d(t, zeros(to_end), zeros(to_begin))


ediff1d = Primitive("numpy.ediff1d", np.ediff1d, complex=True, saves=("shapes",))
ediff1d.def_vjp(_ediff1d_vjp).def_jvp(_ediff1d_jvp)
ediff1d.def_samples(
    Sample(rand(5)),
    Sample(rand(2, 3)),
    Sample(rand(4), to_end=np.array([1.0, 2.0])),
    Sample(rand(4), np.array([9.0]), np.array([1.0, 2.0, 3.0])),
    Sample(rand(1), to_begin=0.0),
)


# -- integrals -------------------------------------------------------------------------


def _along(v: Any, y: Any, axis: int) -> Any:
    """1-D sample points or spacings shaped to broadcast along ``axis`` of ``y``."""
    if len(shape_of(v)) != 1 or len(shape_of(y)) == 1:
        return v
    return reshape(v, tuple(n if i == axis else 1 for i, n in enumerate(shape_of(y))))


def _steps(x: Any, dx: Any, y: Any, axis: int) -> Any:
    return dx if x is None else diff(_along(x, y, axis), axis=axis)


def _midpoints(y: Any, axis: int) -> Any:
    return (slice_along(y, axis, 1, None) + slice_along(y, axis, None, -1)) / 2.0


def _trapezoid_vjp_y(g: Any, ans: Any, y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    ax = axis % len(shape_of(y))
    shape = shape_of(y)
    inner = tuple(n - 1 if i == ax else n for i, n in enumerate(shape))
    # Each y[i] weighs half of the steps on either side of it.
    half = _steps(x, dx, y, ax) * np.full(inner, 0.5, dtype_of(getval(y)))
    weights = _embed(half, ax, 0, shape) + _embed(half, ax, 1, shape)
    ge = reshape(g, tuple(1 if i == ax else n for i, n in enumerate(shape)))
    return unbroadcast(ge * weights, y)


def _trapezoid_vjp_x(g: Any, ans: Any, y: Any, x: Any, dx: Any = 1.0, axis: int = -1) -> Any:
    ax = axis % len(shape_of(y))
    mids = _midpoints(y, ax)
    ge = reshape(g, tuple(1 if i == ax else n for i, n in enumerate(shape_of(mids))))
    ct = _diff_t(ge * mids, ax)
    if len(shape_of(x)) == 1 and len(shape_of(y)) > 1:
        ct = sum(ct, axis=tuple(i for i in range(len(shape_of(y))) if i != ax))
    return unbroadcast(ct, x)


def _trapezoid_jvp_x(t: Any, ans: Any, y: Any, x: Any, dx: Any = 1.0, axis: int = -1) -> Any:
    ax = axis % len(shape_of(y))
    return match_dtype(sum(diff(_along(t, y, ax), axis=ax) * _midpoints(y, ax), axis=ax), ans)


def _trapezoid_dx(y: Any, x: Any, axis: int) -> Any:
    """d trapezoid / d dx: the integral with unit spacing (0 where the points x are given)."""
    return zeros_like_value(y) if x is not None else trapezoid(y, None, 1.0, axis)


def _trapezoid_vjp_dx(g: Any, ans: Any, y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    return zeros_like_value(dx) if x is not None else unbroadcast(g * _trapezoid_dx(y, x, axis), dx)


def _trapezoid_jvp_dx(t: Any, ans: Any, y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    return match_dtype(0.0 * ans if x is not None else t * _trapezoid_dx(y, x, axis), ans)


trapezoid = Primitive("numpy.trapezoid", np.trapezoid, complex=True, saves=("args",))
trapezoid.def_vjp(_trapezoid_vjp_y, _trapezoid_vjp_x, _trapezoid_vjp_dx)
trapezoid.def_jvp(
    lambda t, ans, y, x=None, dx=1.0, axis=-1: trapezoid(t, x, dx, axis), _trapezoid_jvp_x, _trapezoid_jvp_dx
)
lists_as_arrays(trapezoid)  # constants written as lists, as NumPy allows
trapezoid.def_samples(
    Sample(rand(5)),
    Sample(rand(5), dx=0.3),
    Sample(rand(3, 4), None, 0.5, 0),
    Sample(rand(4), rand(4)),
    Sample(rand(3, 4), rand(4)),
    Sample(rand(3, 4), rand(3, 4), axis=0),
    Sample(rand(2, 3, 4), rand(3), axis=1),
    Sample(rand(5), None, scalar(0.5, 2.0)),
    Sample(rand(3, 4), None, scalar(0.5, 2.0), 0),
)


# -- interpolation ---------------------------------------------------------------------


class _Segments:
    """Where each point of ``x`` falls among the sample points ``xp``: its segment ``j``
    and whether it lies inside the range (constants); its relative position ``w`` in the
    segment and the segment's slope (traced in x, xp and fp, so the rules differentiate
    again); and the weights of ``fp[j]`` and ``fp[j + 1]`` in the result."""

    def __init__(self, x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None):
        if period is not None:
            raise NotDifferentiableError(
                "numpy.interp with period= has no derivative rule; reduce x modulo the period first"
            )
        xv, xpv = np.asarray(getval(x)), np.asarray(getval(xp))
        self.j = j = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, len(xpv) - 2)
        self.inside = inside = (xv >= xpv[0]) & (xv <= xpv[-1])
        x_lo, width = getitem(xp, j), getitem(xp, j + 1) - getitem(xp, j)
        self.w = w = (x - x_lo) / width
        self.slope = (getitem(fp, j + 1) - getitem(fp, j)) / width
        # Outside the range numpy repeats fp[0] or fp[-1], unless left or right is given.
        self.lo = (1 - w) * inside + ((xv < xpv[0]) & (left is None))
        self.hi = w * inside + ((xv > xpv[-1]) & (right is None))

    def gather(self, t: Any, a: Any, b: Any) -> Any:
        """``a * t[j] + b * t[j + 1]``"""
        return a * getitem(t, self.j) + b * getitem(t, self.j + 1)

    def scatter(self, a: Any, b: Any, z: Any) -> Any:
        """The transpose of :meth:`gather`: ``a`` added at ``j`` and ``b`` at ``j + 1``, shaped like ``z``."""
        dtype = np.result_type(dtype_of(getval(z)), dtype_of(getval(a)))
        return untake(a, (self.j, shape_of(z), dtype)) + untake(b, (self.j + 1, shape_of(z), dtype))


# interp(x, xp, fp) = fp[j] + slope * (x - xp[j]): d/dx = slope, d/dfp[j] = 1 - w,
# d/dfp[j+1] = w, d/dxp[j] = -slope (1 - w), d/dxp[j+1] = -slope w (w = relative position).


def _interp_vjp(argnum: int, g: Any, ans: Any, x: Any, xp: Any, fp: Any, *args: Any, **kwargs: Any) -> Any:
    s = _Segments(x, xp, fp, *args, **kwargs)
    if argnum == 0:
        return unbroadcast(g * s.slope * s.inside, x)
    if argnum == 1:
        c = -g * s.slope * s.inside
        return unbroadcast(s.scatter(c * (1 - s.w), c * s.w, xp), xp)
    return unbroadcast(s.scatter(g * s.lo, g * s.hi, fp), fp)


def _interp_jvp(argnum: int, t: Any, ans: Any, x: Any, xp: Any, fp: Any, *args: Any, **kwargs: Any) -> Any:
    s = _Segments(x, xp, fp, *args, **kwargs)
    if argnum == 0:
        return match_dtype(t * s.slope * s.inside, ans)
    if argnum == 1:
        return match_dtype(-s.slope * s.inside * s.gather(t, 1 - s.w, s.w), ans)
    return match_dtype(s.gather(t, s.lo, s.hi), ans)


def _points(*values: float) -> Any:
    return gen(lambda rng, dtype: np.asarray(values, dtype))


_XP = (-1.0, -0.4, 0.1, 0.5, 1.2)
interp = Primitive("numpy.interp", np.interp, saves=("args",))
interp.def_vjp(*(partial(_interp_vjp, i) for i in range(3)))
interp.def_jvp(*(partial(_interp_jvp, i) for i in range(3)))
lists_as_arrays(interp)  # constants written as lists, as NumPy allows
interp.def_samples(
    Sample(rand(4, low=-0.9, high=1.1), _points(*_XP), rand(5)),
    Sample(scalar(-0.3, 0.0), _points(*_XP), rand(5)),
    Sample(_points(-1.5, -0.7, 0.3, 0.9, 1.6), _points(*_XP), rand(5)).wrt(0, 2),
    Sample(_points(-1.5, -0.7, 0.3, 1.6), _points(*_XP), rand(5), -2.0, 3.0).wrt(0, 2),
    Sample(rand(2, 3, low=-0.9, high=1.1), _points(*_XP), rand(5)),
    Sample(np.array([-1.5, -0.7, 0.3, 0.9, 1.6]), np.array(_XP), rand(5)).only("complex128"),
)


# -- polynomials -----------------------------------------------------------------------


def _polyder(p: Any) -> Any:
    n = shape_of(p)[0]
    return slice_along(p, 0, 0, n - 1) * np.arange(n - 1, 0, -1)


def _polyval_vjp_p(g: Any, ans: Any, p: Any, x: Any) -> Any:
    # d/dp[k] = x**(n-1-k): one power of x per coefficient, summed over the points.
    n, xshape = shape_of(p)[0], shape_of(x)
    exponents = np.arange(n - 1, -1, -1, dtype=float).reshape((n,) + (1,) * len(xshape))
    powers = reshape(x, (1,) + xshape) ** exponents
    ct = g * powers
    return unbroadcast(sum(ct, axis=tuple(range(1, len(shape_of(ct))))) if len(shape_of(ct)) > 1 else ct, p)


def _polyval_slope(p: Any, x: Any) -> Any:
    return polyval(_polyder(p), x) if shape_of(p)[0] > 1 else 0.0 * x


polyval = Primitive("numpy.polyval", np.polyval, complex=True, saves=("args",))
polyval.def_vjp(_polyval_vjp_p, lambda g, ans, p, x: unbroadcast(g * _polyval_slope(p, x), x))
polyval.def_jvp(
    lambda t, ans, p, x: match_dtype(polyval(t, x), ans),
    lambda t, ans, p, x: match_dtype(t * _polyval_slope(p, x), ans),
)
lists_as_arrays(polyval)
polyval.def_samples(
    Sample(rand(3), scalar()),
    Sample(rand(4), rand(5)),
    Sample(rand(1), rand(3)),
    Sample(rand(3), rand(2, 3)),
    Sample(rand(2), rand()),
)


# -- convolution and correlation -------------------------------------------------------


def _window(n: int, m: int, mode: str, correlate: bool) -> tuple[int, int]:
    """Where the ``mode`` output lies in the full one: ``(offset, length)``."""
    s, kind = min(n, m), mode[0].lower()
    if kind == "f":
        return 0, n + m - 1
    if kind == "v":
        return s - 1, max(n, m) - s + 1
    # 'same' centres the output; numpy's correlate rounds the other way when a is shorter.
    return (s // 2 if correlate and n < m else (s - 1) // 2), max(n, m)


def _flip1(x: Any) -> Any:
    return getitem(x, slice(None, None, -1))


def _full_cotangent(g: Any, a: Any, v: Any, mode: str, correlate: bool) -> Any:
    n, m = shape_of(a)[0], shape_of(v)[0]
    offset, _ = _window(n, m, mode, correlate)
    return _embed(g, 0, offset, (n + m - 1,))


def _convolve_vjp(argnum: int, g: Any, ans: Any, a: Any, v: Any, mode: str = "full") -> Any:
    # The full convolution sums a[i] v[k - i] into out[k]: its transpose correlates.
    gf = _full_cotangent(g, a, v, mode, False)
    other, mine = (v, a) if argnum == 0 else (a, v)
    return unbroadcast(convolve(gf, _flip1(other), "valid"), mine)


def _correlate_vjp(argnum: int, g: Any, ans: Any, a: Any, v: Any, mode: str = "valid") -> Any:
    # correlate(a, v) is the convolution of a with conj(v) reversed, shifted as _window says.
    gf = _full_cotangent(g, a, v, mode, True)
    if argnum == 0:
        return unbroadcast(convolve(gf, conj(v), "valid"), a)
    return unbroadcast(conj(_flip1(convolve(gf, _flip1(a), "valid"))), v)


def _conv_samples() -> list[Sample]:
    return [
        Sample(rand(5), rand(3)),
        Sample(rand(3), rand(5)),
        Sample(rand(4), rand(4), "same"),
        Sample(rand(5), rand(2), mode="same"),
        Sample(rand(2), rand(5), "same"),
        Sample(rand(2), rand(6), "same"),
        Sample(rand(6), rand(3), "valid"),
        Sample(rand(3), rand(6), mode="valid"),
        Sample(rand(1), rand(4), "full"),
    ]


convolve = Primitive("numpy.convolve", np.convolve, complex=True, saves=("args",))
convolve.def_vjp(partial(_convolve_vjp, 0), partial(_convolve_vjp, 1))
convolve.def_jvp(
    lambda t, ans, a, v, mode="full": convolve(t, v, mode),
    lambda t, ans, a, v, mode="full": convolve(a, t, mode),
)
convolve.def_samples(*_conv_samples())

correlate = Primitive("numpy.correlate", np.correlate, complex=True, saves=("args",))
correlate.def_vjp(partial(_correlate_vjp, 0), partial(_correlate_vjp, 1))
correlate.def_jvp(
    lambda t, ans, a, v, mode="valid": correlate(t, v, mode),
    lambda t, ans, a, v, mode="valid": correlate(a, t, mode),
)
correlate.def_samples(*_conv_samples())


# -- covariance and correlation coefficients -------------------------------------------


def _rows(z: Any, rowvar: bool) -> Any:
    """``z`` as variables in rows, observations in columns, as numpy.cov reads it."""
    if len(shape_of(z)) < 2:
        z = reshape(z, (1, -1))
    return swapaxes(z, 0, 1) if not rowvar and shape_of(z)[0] != 1 else z


def _unrows(ct: Any, z: Any, rowvar: bool) -> Any:
    """The transpose of :func:`_rows`: a cotangent of the rows back to ``z``'s shape."""
    zshape = shape_of(z)
    flipped = not rowvar and (zshape[0] if len(zshape) == 2 else 1) != 1
    return unbroadcast(reshape(swapaxes(ct, 0, 1) if flipped else ct, zshape), z)


class _Cov:
    """numpy.cov's setup: the stacked variables ``X`` (traced), the observation weights
    ``w`` and the normalisation ``fact`` (constants), and the centred ``X``."""

    def __init__(
        self, m: Any, y: Any, rowvar: bool, bias: bool, ddof: Any, fweights: Any, aweights: Any, dtype: Any
    ) -> None:
        self.rowvar = rowvar
        out = (
            np.result_type(getval(m), np.float64)
            if y is None
            else np.result_type(getval(m), getval(y), np.float64)
        )
        self.dtype = np.dtype(dtype) if dtype is not None else out
        xm = astype(_rows(m, rowvar), self.dtype)
        self.split = shape_of(xm)[0]
        if y is None:
            self.x = xm
        else:
            xy = astype(_rows(y, rowvar), self.dtype)
            rows = (self.split + shape_of(xy)[0], shape_of(xm)[1])
            self.x = _embed(xm, 0, 0, rows) + _embed(xy, 0, self.split, rows)
        n = shape_of(self.x)[1]
        w = None
        if fweights is not None:
            w = np.asarray(fweights, np.float64)
        if aweights is not None:
            w = np.asarray(aweights, np.float64) if w is None else w * np.asarray(aweights, np.float64)
        if ddof is None:
            ddof = 0 if bias else 1
        if w is None:
            self.w, self.fact = 1.0, n - ddof
            self.centred = self.x - mean(self.x, axis=1, keepdims=True)
        else:
            total = np.sum(w)
            self.w = w
            if ddof == 0:
                self.fact = total
            elif aweights is None:
                self.fact = total - ddof
            else:
                self.fact = total - ddof * np.sum(w * aweights) / total
            self.centred = self.x - sum(self.x * w, axis=1, keepdims=True) / total

    def assemble(self, argnum: int, t: Any) -> Any:
        """The tangent of ``X`` caused by the tangent ``t`` of argument ``argnum`` (m or y)."""
        rows = astype(_rows(t, self.rowvar), self.dtype)
        if shape_of(rows) == shape_of(self.x):
            return rows
        return _embed(rows, 0, 0 if argnum == 0 else self.split, shape_of(self.x))

    def jvp(self, argnum: int, t: Any) -> Any:
        # d cov = (dX W Xc^H + Xc W dX^H) / fact: the weighted rows of Xc sum to zero,
        # so the mean's variation drops out.
        dx = self.assemble(argnum, t)
        first = matmul(dx * self.w, swapaxes(conj(self.centred), 0, 1))
        return (first + swapaxes(conj(first), 0, 1)) / self.fact

    def vjp(self, argnum: int, g: Any, z: Any) -> Any:
        p = shape_of(self.x)[0]
        g = reshape(g, (p, p))
        ct = matmul(g + swapaxes(conj(g), 0, 1), conj(self.centred)) * self.w / self.fact
        if shape_of(ct)[0] != shape_of(_rows(z, self.rowvar))[0]:
            ct = slice_along(ct, 0, 0, self.split) if argnum == 0 else slice_along(ct, 0, self.split, None)
        return _unrows(ct, z, self.rowvar)


def _cov_args(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: Any = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> _Cov:
    return _Cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype)


def _cov_vjp(argnum: int, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    return _cov_args(*args, **kwargs).vjp(argnum, g, args[argnum])


def _cov_jvp(argnum: int, t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    return match_dtype(reshape(_cov_args(*args, **kwargs).jvp(argnum, t), shape_of(ans)), ans)


def _cov_samples() -> list[Sample]:
    return [
        Sample(rand(5)),
        Sample(rand(3, 5)),
        Sample(rand(5, 2), rowvar=False),
        Sample(rand(2, 4), rand(4)),
        Sample(rand(4, 3), rand(4, 2), False),
        Sample(rand(2, 5), bias=True),
    ]


cov = Primitive("numpy.cov", np.cov, complex=True, saves=("args",))
cov.def_vjp(partial(_cov_vjp, 0), partial(_cov_vjp, 1))
cov.def_jvp(partial(_cov_jvp, 0), partial(_cov_jvp, 1))
lists_as_arrays(cov)  # constants written as lists, as NumPy allows
cov.def_samples(
    *_cov_samples(),
    Sample(rand(2, 5), fweights=np.array([1, 2, 1, 3, 1])),
    Sample(rand(2, 5), aweights=np.array([0.5, 1.0, 2.0, 1.0, 0.3]), ddof=1),
    Sample(rand(2, 5), None, True, False, 2, np.array([1, 2, 1, 3, 1]), np.array([0.5, 1.0, 2.0, 1.0, 0.3])),
)


def _corr_parts(c: Any) -> tuple[Any, Any, Any]:
    """From a covariance matrix: the variances, the outer product of deviations, and R."""
    p = math.isqrt(np.size(getval(c))) or 1
    c = reshape(c, (p, p))
    eye = np.eye(p)
    variances = real(sum(c * eye, axis=1))
    scale = sqrt(reshape(variances, (p, 1)) * reshape(variances, (1, p)))
    return variances, scale, c / scale


def _corrcoef_jvp(
    argnum: int, t: Any, ans: Any, x: Any, y: Any = None, rowvar: bool = True, **kw: Any
) -> Any:
    # dR = dC / (s s^T) - R (dv_i / v_i + dv_j / v_j) / 2 with v = diag(C), s = sqrt(v).
    c = cov(x, y, rowvar)
    variances, scale, r = _corr_parts(c)
    p = shape_of(variances)[0]
    dc = reshape(_cov_jvp(argnum, t, c, x, y, rowvar), (p, p))
    rel = real(sum(dc * np.eye(p), axis=1)) / variances
    dr = dc / scale - r * (reshape(rel, (p, 1)) + reshape(rel, (1, p))) / 2.0
    return match_dtype(reshape(dr, shape_of(ans)), ans)


def _corrcoef_vjp(
    argnum: int, g: Any, ans: Any, x: Any, y: Any = None, rowvar: bool = True, **kw: Any
) -> Any:
    c = cov(x, y, rowvar)
    variances, scale, r = _corr_parts(c)
    p = shape_of(variances)[0]
    g = reshape(g, (p, p))
    gr = real(g * r)
    on_diagonal = -(sum(gr, axis=1) + sum(gr, axis=0)) / (2.0 * variances)
    ct_c = g / scale + reshape(on_diagonal, (p, 1)) * np.eye(p)
    return _cov_vjp(argnum, ct_c, c, x, y, rowvar)


corrcoef = Primitive("numpy.corrcoef", np.corrcoef, complex=True, saves=("args",))
corrcoef.def_vjp(partial(_corrcoef_vjp, 0), partial(_corrcoef_vjp, 1))
corrcoef.def_jvp(partial(_corrcoef_jvp, 0), partial(_corrcoef_jvp, 1))
lists_as_arrays(corrcoef)  # constants written as lists, as NumPy allows
corrcoef.def_samples(*_cov_samples()[:5])


# -- numerical gradient ----------------------------------------------------------------


def _gradient_axes(f: Any, axis: Any) -> tuple[int, ...]:
    ndim = len(shape_of(f))
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def _spacing(varargs: tuple[Any, ...], k: int) -> tuple[Any, ...]:
    if not varargs:
        return ()
    return (varargs[0],) if len(varargs) == 1 else (varargs[k],)


def _stencil_transpose(g: Any, f: Any, axis: int, spacing: tuple[Any, ...], edge_order: int) -> Any:
    # numpy.gradient along one axis is a banded matrix A: row i reads at most the three
    # columns from start(i) = clip(i - 1, 0, n - 3). Applying it to the three combs
    # (1 where j % 3 == r) reads off every entry, since those columns differ mod 3.
    shape = shape_of(f)
    n = shape[axis]
    combs = np.equal.outer(np.arange(3), np.arange(n) % 3).astype(np.float64)
    reads = np.stack([np.gradient(c, *spacing, edge_order=edge_order) for c in combs])
    start = np.clip(np.arange(n) - 1, 0, max(n - 3, 0))
    dtype = dtype_of(getval(f))
    ct = None
    for k in range(min(3, n)):
        col = start + k
        coef = reads[col % 3, np.arange(n)] * (col < n)
        coef = coef.reshape(tuple(n if i == axis else 1 for i in range(len(shape))))
        piece = untake(
            g * np.asarray(coef, np.empty((), dtype).real.dtype),
            (index_along(axis, np.minimum(col, n - 1)), shape, dtype),
        )
        ct = piece if ct is None else ct + piece
    return ct


def _gradient_vjp(g: Any, ans: Any, f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    axes = _gradient_axes(f, axis)
    parts = [g] if len(axes) == 1 else [g[k] for k in range(len(axes))]
    ct = None
    for k, (ax, part) in enumerate(zip(axes, parts)):
        piece = _stencil_transpose(part, f, ax, _spacing(varargs, k), edge_order)
        ct = piece if ct is None else ct + piece
    return match_dtype(ct, f)


gradient = Primitive("numpy.gradient", np.gradient, complex=True, saves=("args",))
gradient.def_vjp(_gradient_vjp)
gradient.def_linear()
gradient.def_samples(
    Sample(rand(5), 0.5),
    Sample(rand(4), np.array([0.0, 0.3, 1.0, 1.2]), edge_order=2),
    Sample(rand(2)),
    Sample(rand(3, 4)),
    Sample(rand(3, 4), 0.5, np.array([0.0, 1.0, 1.5, 3.0]), edge_order=2),
    Sample(rand(2, 3, 4), 0.2, axis=(0, -1)),
)


# -- weighted counts -------------------------------------------------------------------

bincount = Primitive("numpy.bincount", np.bincount, saves=("shapes",))
bincount.def_vjp(
    None, lambda g, ans, x, weights=None, minlength=0: match_dtype(getitem(g, np.asarray(getval(x))), weights)
)
bincount.def_jvp(
    None, lambda t, ans, x, weights=None, minlength=0: match_dtype(bincount(x, t, minlength), ans)
)
bincount.def_samples(
    Sample(np.array([0, 2, 2, 4, 1]), rand(5)),
    Sample(np.array([3, 0, 3]), rand(3), 6),
    Sample(np.array([1]), rand(1), minlength=3),
)
