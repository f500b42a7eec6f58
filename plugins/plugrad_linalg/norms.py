"""Norms: ``vector_norm`` and ``matrix_norm`` (primitives), ``norm`` and ``cond``
(composites over them), ``matrix_rank`` (not differentiable).

Each rule finds the coefficient ``c`` with ``d norm = Re sum(c * dx)`` over the
reduced axes; the VJP is ``g * c`` and the JVP ``Re sum(c * t)``. With ``u = conj(x) / |x|``
(0 where ``x`` is 0):

===================  =======================================================
vector ``ord``       ``c``
===================  =======================================================
2 (default)          ``conj(x) / norm``
1                    ``u``
inf, -inf            ``u`` at the entries of largest (smallest) magnitude, shared equally by ties
0                    0: the count of nonzero entries is piecewise constant
other ``p``          ``conj(x) / norm * (|x| / norm)^(p - 2)``
===================  =======================================================

===================  =======================================================
matrix ``ord``       ``c``
===================  =======================================================
'fro' (default)      ``conj(x) / norm``
'nuc'                ``conj(U Vh)``: the sum of the singular values
2, -2                ``conj(u v^H)`` of the largest (smallest) singular value
1, -1                ``u`` in the column(s) of largest (smallest) absolute sum
inf, -inf            ``u`` in the row(s) of largest (smallest) absolute sum
===================  =======================================================

At a kink the rules return a subgradient, not NaN: a norm at zero has gradient 0
(every norm is convex, and 0 is a subgradient of each at 0), an entry at zero
contributes 0 to the 1-norm and p-norms, and ties of a max or min share the
gradient. ``ord=2`` needs the largest singular value to be simple (``-2`` the
smallest), ``'nuc'`` all singular values nonzero, as ``svd`` does; where they are
not the rules give one element of the subdifferential at best. Derivatives of
p-norms with ``p < 1`` at entries near zero are unbounded; plugrad gives 0 at zero.

The p-norm coefficient is ``s(x) / norm^(p - 1)`` with ``s(x) = conj(x) |x|^(p - 2)``
(``_signed_power``), whose derivative, ``(p - 1) |x|^(p - 2)`` for real ``x``, is the
second order's: at an entry at zero it is 0 for ``p > 2`` and infinite for
``1 < p < 2`` (the curvature of ``|x|^p``; NumPy's ``inf``, as ``sqrt`` at 0 has, and only
on that entry's diagonal: an exact zero tangent or cotangent leaves it out rather than
making NaN of ``inf * 0``). For ``p < 1``, whose coefficient at zero is the convention 0,
its derivative there is 0 as well, as is every derivative at a zero norm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from plugrad import Composite, NonDifferentiable, Primitive, Sample, gen
from plugrad.box import Box, getval
from plugrad_linalg._samples import rectangular, vectors, with_zeros
from plugrad_linalg.inverses import inv
from plugrad_linalg.svd import svd, svdvals
from plugrad_numpy._util import iscomplex, match_dtype, shape_of, unbroadcast, zeros_like_value
from plugrad_numpy.indexing import where3
from plugrad_numpy.joining import asarray
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import moveaxis, reshape
from plugrad_numpy.unary import abs as abs_
from plugrad_numpy.unary import conj, real, where_nonzero

INF = float("inf")


def _conj(x: Any) -> Any:
    return conj(x) if iscomplex(x) else x


def _unit(x: Any) -> Any:
    """``conj(x) / |x|``, and 0 where ``x`` is 0."""
    return _conj(x) / where_nonzero(abs_(x))


def _times(c: Any, t: Any) -> Any:
    """``c * t``, with ``c`` left out (a constant 0) where ``t`` is a plain exact zero: the
    product is 0 there whatever ``c``, whose derivative at an entry at zero may be
    infinite (and ``inf * 0`` is NaN). A traced ``t`` is kept whole: its derivative may not
    be zero."""
    if isinstance(t, Box):
        return c * t
    zero = np.equal(t, 0)
    return c * t if not np.any(zero) else where3(zero, 0.0, c) * t


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))))


def _kept(y: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """A reduction's result ``y`` reshaped to broadcast against ``x`` (reduced axes of size 1)."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape_of(x)))
    return y if shape_of(y) == kept else reshape(y, kept)


def _extremes(values: np.ndarray, axes: tuple[int, ...], largest: bool) -> np.ndarray:
    """Weights that share 1 equally among the largest (smallest) of ``values`` along ``axes``."""
    if largest:  # (initial: over empty axes NumPy's norm is 0, and the weights are empty)
        extreme = np.max(values, axis=axes, keepdims=True, initial=-INF)
    else:  # (NumPy refuses the smallest of none)
        extreme = np.min(values, axis=axes, keepdims=True)
    chosen = values == extreme
    return chosen / np.sum(chosen, axis=axes, keepdims=True)


# -- powers of |x|, for the p-norms --------------------------------------------------------


def _abs_power(x: Any, a: float) -> Any:
    with np.errstate(divide="ignore"):  # 0^a is inf for a < 0, as NumPy gives it
        return np.abs(x) ** a


def _signed_power(x: Any, q: float) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.conj(x) * np.abs(x) ** (q - 1)
    return np.where(np.equal(x, 0), 0, out)  # the limit for q > 0, the convention otherwise


def _slope(x: Any, q: float, t: Any) -> Any:
    """``|x|^(q - 1) t``, the derivative of ``sign(x) |x|^q`` along ``t``, which at an entry at
    zero is 0 (``q > 1``), ``t`` (``q = 1``), infinite (``0 < q < 1``), or has no value
    (``q <= 0``, where ``_signed_power`` is 0 by convention, and so is its slope)."""
    w = abs_power(x, q - 1)
    if q <= 0 and not np.all(getval(x) != 0):
        w = where3(np.equal(getval(x), 0), 0.0, w)
    return _times(w, t)


def _signed_power_jvp(t: Any, ans: Any, x: Any, q: float) -> Any:
    if not iscomplex(x):
        return q * _slope(x, q, t)
    return _slope(x, q, conj(t)) + (q - 1) * signed_power(x, q - 2) * real(conj(x) * t)


def _signed_power_vjp(g: Any, ans: Any, x: Any, q: float) -> Any:
    if not iscomplex(x):
        return q * _slope(x, q, g)
    return _slope(x, q, conj(g)) + (q - 1) * real(g * signed_power(x, q - 2)) * conj(x)


def _real(x: Any) -> Any:
    return real(x) if iscomplex(x) else x


# |x|^a, and s(x) = conj(x) |x|^(q - 1) (sign(x) |x|^q for real x), 0 at x = 0:
# d|x|^a = a Re(s_(a-1)(x) dx), ds_q = |x|^(q-1) conj(dx) + (q - 1) s_(q-2)(x) Re(conj(x) dx).
abs_power = Primitive("numpy.linalg._abs_power", _abs_power, complex=True, saves=("args",))
abs_power.def_vjp(lambda g, ans, x, a: a * g * signed_power(x, a - 1))
abs_power.def_jvp(lambda t, ans, x, a: a * _real(signed_power(x, a - 1) * t))
abs_power.def_samples(
    Sample(gen(vectors(4)), 2.5).wrt(0),
    Sample(gen(with_zeros(4)), 4.0).wrt(0).named("a zero entry"),
    Sample(gen(vectors(2, 3)), -0.5).wrt(0),
    Sample(gen(vectors(3)), 1.0).wrt(0),
)
signed_power = Primitive("numpy.linalg._signed_power", _signed_power, complex=True, saves=("args",))
signed_power.def_vjp(_signed_power_vjp).def_jvp(_signed_power_jvp)
signed_power.def_samples(
    Sample(gen(vectors(4)), 2.0).wrt(0),
    Sample(gen(with_zeros(4)), 3.0).wrt(0).named("a zero entry"),
    Sample(gen(vectors(2, 3)), 0.5).wrt(0),
    Sample(gen(vectors(3)), -1.5).wrt(0),
    Sample(gen(vectors(3)), 1.0).wrt(0),
)


# -- vector_norm ----------------------------------------------------------------------------


def _vector_coefficient(x: Any, norm: Any, axes: tuple[int, ...], ord: Any) -> Any:  # noqa: A002
    if ord is None or ord == 2:
        return _conj(x) / where_nonzero(norm)
    if ord == 1:
        return _unit(x)
    if ord in (INF, -INF):
        return _extremes(np.abs(getval(x)), axes, ord > 0).astype(np.abs(getval(x)).dtype) * _unit(x)
    if ord == 0:
        return None
    # s(x) / norm^(p - 1), each part divided by the norm's value m (a constant, so that an
    # infinite cotangent of s at an entry at zero meets no factor x = 0): no overflow at any scale.
    m = where_nonzero(getval(norm))
    c = signed_power(x / m, ord - 1) / (where_nonzero(norm) / m) ** (ord - 1)
    at_zero = np.equal(getval(norm), 0)
    return c if not np.any(at_zero) else where3(at_zero, 0.0, c)  # a norm at zero: no derivative of c


def _vector_norm_vjp(
    g: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2  # noqa: A002
) -> Any:
    axes = _axes(axis, len(shape_of(x)))
    if ord is None or ord == 2:  # g / norm first, on the reduced shape: one pass over x
        return unbroadcast(_conj(x) * (_kept(g, x, axes) / where_nonzero(_kept(ans, x, axes))), x)
    c = _vector_coefficient(x, _kept(ans, x, axes), axes, ord)
    return zeros_like_value(x) if c is None else unbroadcast(_times(c, _kept(g, x, axes)), x)


def _vector_norm_jvp(
    t: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2  # noqa: A002
) -> Any:
    axes = _axes(axis, len(shape_of(x)))
    c = _vector_coefficient(x, _kept(ans, x, axes), axes, ord)
    if c is None:
        return zeros_like_value(ans)
    dn = sum_(_times(c, t), axis=axes, keepdims=keepdims)
    return match_dtype(real(dn) if iscomplex(dn) else dn, ans)


vector_norm = Primitive("numpy.linalg.vector_norm", np.linalg.vector_norm, complex=True)
vector_norm.def_vjp(_vector_norm_vjp).def_jvp(_vector_norm_jvp)
vector_norm.def_samples(
    Sample(gen(vectors(4))),
    Sample(gen(vectors(3, 4)), axis=0),
    Sample(gen(vectors(3, 4)), axis=-1, keepdims=True),
    Sample(gen(vectors(2, 3, 4)), axis=(0, 2)),
    Sample(gen(vectors(2, 3)), keepdims=True),
    Sample(gen(vectors(5)), ord=1),
    Sample(gen(vectors(3, 4)), axis=1, ord=INF),
    Sample(gen(vectors(3, 4)), axis=0, ord=-INF),
    Sample(gen(vectors(4)), ord=0).first_order(),  # a constant derivative (0) has nothing to check twice
    Sample(gen(vectors(3, 4)), axis=-1, ord=3),
    Sample(gen(vectors(4)), ord=0.5),
    Sample(gen(vectors(2, 3)), ord=-1.5, keepdims=True),
    Sample(gen(with_zeros(4)), ord=4).named("a zero entry"),
    Sample(gen(with_zeros(2, 3)), axis=-1, ord=4).named("zero entries"),
)


# -- matrix_norm ------------------------------------------------------------------------------


def _matrix_coefficient(x: Any, norm: Any, ord: Any) -> Any:  # noqa: A002
    if ord == "fro":
        return _conj(x) / where_nonzero(norm)
    if ord in ("nuc", 2, -2):
        u, s, vh = svd(x, full_matrices=False)
        if ord == "nuc":
            w = matmul(u, vh)
        else:
            i = 0 if ord == 2 else shape_of(s)[-1] - 1
            w = matmul(u[..., :, i : i + 1], vh[..., i : i + 1, :])
        return _conj(w) * (getval(norm) != 0)
    if ord in (1, -1, INF, -INF):
        sums_over = -2 if ord in (1, -1) else -1  # columns for 1, rows for inf
        sums = np.sum(np.abs(getval(x)), axis=sums_over, keepdims=True)
        weights = _extremes(sums, (-1 if sums_over == -2 else -2,), ord > 0)
        return weights.astype(sums.dtype) * _unit(x)
    raise ValueError(f"Invalid norm order {ord!r} for matrices.")


def _as_kept(y: Any, keepdims: bool) -> Any:
    return y if keepdims else reshape(y, tuple(shape_of(y)) + (1, 1))


def _matrix_norm_vjp(
    g: Any, ans: Any, x: Any, *, keepdims: bool = False, ord: Any = "fro"  # noqa: A002
) -> Any:
    if ord == "fro":  # g / norm first, on the reduced shape: one pass over x
        return unbroadcast(_conj(x) * (_as_kept(g, keepdims) / where_nonzero(_as_kept(ans, keepdims))), x)
    c = _matrix_coefficient(x, _as_kept(ans, keepdims), ord)
    return unbroadcast(_as_kept(g, keepdims) * c, x)


def _matrix_norm_jvp(
    t: Any, ans: Any, x: Any, *, keepdims: bool = False, ord: Any = "fro"  # noqa: A002
) -> Any:
    c = _matrix_coefficient(x, _as_kept(ans, keepdims), ord)
    dn = sum_(c * t, axis=(-2, -1), keepdims=keepdims)
    return match_dtype(real(dn) if iscomplex(dn) else dn, ans)


matrix_norm = Primitive("numpy.linalg.matrix_norm", np.linalg.matrix_norm, complex=True)
matrix_norm.def_vjp(_matrix_norm_vjp).def_jvp(_matrix_norm_jvp)
matrix_norm.def_samples(
    Sample(gen(vectors(3, 4))),
    Sample(gen(vectors(2, 3, 3)), keepdims=True),
    Sample(gen(rectangular(3, 4)), ord="nuc"),
    Sample(gen(rectangular(4, 3, 2)), ord=2),
    Sample(gen(rectangular(3, 3)), ord=-2, keepdims=True),
    Sample(gen(vectors(3, 4)), ord=1),
    Sample(gen(vectors(2, 4, 3)), ord=-1),
    Sample(gen(vectors(3, 4)), ord=INF),
    Sample(gen(vectors(3, 4)), ord=-INF, keepdims=True),
)


# -- norm, cond, matrix_rank --------------------------------------------------------------------


def _norm_of_all(x: Any, keepdims: bool = False) -> Any:
    return np.linalg.norm(x, keepdims=keepdims)


# norm(x) over every element (ord and axis None): the 2-norm of the flattened array, as
# numpy.linalg.norm computes it (by a dot product, four times as fast as vector_norm's
# sum of squares at 10^6 elements, and NumPy's own value to the last bit).
norm_of_all = Primitive("numpy.linalg._norm_of_all", _norm_of_all, complex=True, doc=np.linalg.norm.__doc__)
norm_of_all.public_name = "numpy.linalg.norm"
# The norm and its cotangent are one number (shaped (1, ..., 1) with keepdims), which
# broadcasts against x as it is.
norm_of_all.def_vjp(lambda g, ans, x, keepdims=False: _conj(x) * (g / where_nonzero(ans)))
norm_of_all.def_jvp(lambda t, ans, x, keepdims=False: _vector_norm_jvp(t, ans, x, keepdims=keepdims))
norm_of_all.def_samples(
    Sample(gen(vectors(4))),
    Sample(gen(vectors(3, 4))),
    Sample(gen(vectors(2, 3, 2)), keepdims=True),
)


def _norm_axes(axis: Any, nd: int) -> tuple[int, ...]:
    """``axis``, one or two axes, made non-negative, with NumPy's errors (``AxisError`` for an
    axis out of range)."""
    if not isinstance(axis, tuple):
        try:
            axis = (int(axis),)
        except Exception as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
    if len(axis) not in (1, 2):
        raise ValueError("Improper number of dimensions to norm.")
    return tuple(normalize_axis_index(a, nd) for a in axis)


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """``numpy.linalg.norm``: a vector norm over one axis, a matrix norm over two."""
    x = asarray(x)  # a list or tuple of traced values is traced as one array
    if not isinstance(x, Box):
        return np.linalg.norm(x, ord, axis, keepdims)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None or (ord in ("fro", "f") and nd == 2) or (ord == 2 and nd == 1):
            return norm_of_all(x, keepdims=keepdims)  # what numpy.linalg.norm computes by a dot product
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    axes = _norm_axes(axis, nd)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        return vector_norm(x, axis=axes[0], keepdims=keepdims, ord=2 if ord is None else ord)
    if axes[0] == axes[1]:
        raise ValueError("Duplicate axes given.")
    out = matrix_norm(moveaxis(x, axes, (-2, -1)), ord="fro" if ord in (None, "f") else ord)  # NumPy's "f"
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape_of(x))))
    return out


def _cond(x: Any, p: Any = None) -> Any:
    """``numpy.linalg.cond``: the ratio of extreme singular values, or ``norm(x) norm(inv(x))``."""
    x = asarray(x)
    if not isinstance(x, Box):
        return np.linalg.cond(x, p)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    return matrix_norm(x, ord=p) * matrix_norm(inv(x), ord=p)


norm = Composite("numpy.linalg.norm", _norm)
cond = Composite("numpy.linalg.cond", _cond)
matrix_rank = NonDifferentiable("numpy.linalg.matrix_rank", np.linalg.matrix_rank)
