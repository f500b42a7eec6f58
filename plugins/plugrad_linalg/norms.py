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
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from plugrad import Composite, NonDifferentiable, Primitive, Sample, gen
from plugrad.box import Box, getval
from plugrad_linalg._samples import rectangular, vectors
from plugrad_linalg.inverses import inv
from plugrad_linalg.svd import svd, svdvals
from plugrad_numpy._util import iscomplex, match_dtype, shape_of, unbroadcast, zeros_like_value
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
    pick = np.max if largest else np.min
    chosen = values == pick(values, axis=axes, keepdims=True)
    return chosen / np.sum(chosen, axis=axes, keepdims=True)


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
    norm = where_nonzero(norm)
    return _conj(x) / norm * (where_nonzero(abs_(x)) / norm) ** (ord - 2)


def _vector_norm_vjp(
    g: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2  # noqa: A002
) -> Any:
    axes = _axes(axis, len(shape_of(x)))
    if ord is None or ord == 2:  # g / norm first, on the reduced shape: one pass over x
        return unbroadcast(_conj(x) * (_kept(g, x, axes) / where_nonzero(_kept(ans, x, axes))), x)
    c = _vector_coefficient(x, _kept(ans, x, axes), axes, ord)
    return zeros_like_value(x) if c is None else unbroadcast(_kept(g, x, axes) * c, x)


def _vector_norm_jvp(
    t: Any, ans: Any, x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2  # noqa: A002
) -> Any:
    axes = _axes(axis, len(shape_of(x)))
    c = _vector_coefficient(x, _kept(ans, x, axes), axes, ord)
    if c is None:
        return zeros_like_value(ans)
    dn = sum_(c * t, axis=axes, keepdims=keepdims)
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
    axes = tuple(operator.index(a) % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        return vector_norm(x, axis=axes[0], keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    if axes[0] == axes[1]:
        raise ValueError("Duplicate axes given.")
    out = matrix_norm(moveaxis(x, axes, (-2, -1)), ord="fro" if ord is None else ord)
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
