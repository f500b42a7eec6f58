"""Solvers: ``solve``, ``solve_triangular``, ``solve_banded``, ``solve_sylvester``
(and ``solve_continuous_lyapunov``, its case ``b = a^H``), ``inv``, ``det`` and ``lstsq``.

Each solves ``M x = b`` for a matrix ``M`` built linearly from ``a``: the part of ``a``
the solver reads (a triangle, a band, a mirrored triangle for ``assume_a='sym'``),
maybe transposed (``trans``, ``transposed``). With ``h = M^-T g``:

    dx = -M^-1 dM x          a-bar = (the transpose of a -> M)(-h x^T)          b-bar = h

so entries SciPy never reads get a zero derivative, and a perturbation of a triangle
that ``assume_a='sym'`` mirrors counts twice. The maps are holomorphic except
``trans='C'`` and ``assume_a='her'`` / ``'pos'`` on complex input, whose conjugations
the rules transpose exactly. Derivatives exist where ``M`` is invertible.

``solve_sylvester``: ``a x + x b = q``; ``dx`` solves the same equation with right side
``dq - da x - x db``, and ``h = solve_sylvester(a^T, b^T, g)`` gives ``q-bar = h``,
``a-bar = -h x^T``, ``b-bar = -x^T h``. It exists where ``a`` and ``-b`` share no
eigenvalue.

``inv(a, assume_a='diagonal')`` is not differentiated: SciPy 1.17 returns the
off-diagonal entries of ``a`` unchanged there, which is no inverse. ``det`` has
NumPy's rules (it exists at invertible ``a`` only, see ``numpy.linalg.det``).
``lstsq`` differentiates ``x``, the residues and the singular values where ``a`` has
full rank, through the numpy.linalg pack's least-squares solution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from plugrad import Composite, NotDifferentiableError, Primitive, Sample, gen, rand
from plugrad.box import Box, getval
from plugrad_linalg._samples import general, hermitian
from plugrad_linalg._util import H, T, mm
from plugrad_linalg.determinants import det as numpy_det
from plugrad_linalg.inverses import lstsq_solution
from plugrad_linalg.inverses import solve as numpy_solve
from plugrad_linalg.svd import svdvals
from plugrad_numpy._util import broadcast_like, iscomplex, shape_of, unbroadcast
from plugrad_numpy.joining import stack
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import pad, tril, triu
from plugrad_numpy.unary import conj, real
from plugrad_scipy_linalg._util import (
    columns,
    is_vector,
    op,
    outer,
    structure,
    structured,
    structured_transpose,
    times,
    trans_code,
)

# -- solve ----------------------------------------------------------------------------


def _solve_options(
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: Any = None,
    transposed: bool = False,
) -> tuple[bool, Any, bool]:
    return lower, assume_a, transposed


def _solve_matrix(a: Any, *options: Any, **kwargs: Any) -> tuple[Any, str, bool, bool]:
    """``M`` with ``solve(a, b, ...) = M^-1 b``, and how it is built from ``a``."""
    lower, assume_a, transposed = _solve_options(*options, **kwargs)
    kind = structure(assume_a, a)
    m = structured(a, kind, lower)
    return (T(m) if transposed else m), kind, lower, transposed


def _solve_jvp_a(t: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    m, kind, lower, transposed = _solve_matrix(a, *options, **kwargs)
    dm = structured(t, kind, lower)
    vector = is_vector(b)
    rhs = times(T(dm) if transposed else dm, ans, vector)
    return broadcast_like(-columns(lambda y: numpy_solve(m, y), rhs, vector), ans)


def _solve_cotangent_b(g: Any, m: Any, b: Any) -> Any:
    return columns(lambda y: numpy_solve(T(m), y), g, is_vector(b))  # M^-T g


def _solve_vjp_a(g: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    m, kind, lower, transposed = _solve_matrix(a, *options, **kwargs)
    gm = -outer(_solve_cotangent_b(g, m, b), ans, is_vector(b))
    return unbroadcast(structured_transpose(T(gm) if transposed else gm, kind, lower), a)


def _solve_vjp_b(g: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    m = _solve_matrix(a, *options, **kwargs)[0]
    return unbroadcast(_solve_cotangent_b(g, m, b), b)


def _solve_jvp_b(t: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    m = _solve_matrix(a, *options, **kwargs)[0]
    return broadcast_like(columns(lambda y: numpy_solve(m, y), t, is_vector(b)), ans)


solve = Primitive("scipy.linalg.solve", sl.solve, complex=True)
solve.def_vjp(_solve_vjp_a, _solve_vjp_b).def_jvp(_solve_jvp_a, _solve_jvp_b)
solve.def_samples(
    Sample(gen(general(3)), rand(3)),
    Sample(gen(general(3)), rand(3, 2)),
    Sample(gen(general(3, 2)), rand(3)),
    Sample(gen(general(3, 2)), rand(2, 3, 2)),
    Sample(gen(general(3)), rand(3, 2), assume_a="sym"),
    Sample(gen(general(3)), rand(3), True, assume_a="sym"),
    Sample(gen(general(3)), rand(3, 2), assume_a="her", lower=True),
    Sample(gen(hermitian(3, low=0.5)), rand(3), assume_a="pos"),
    Sample(gen(general(4)), rand(4), assume_a="tridiagonal"),
    Sample(gen(general(3)), rand(3), assume_a="diagonal"),
    Sample(gen(general(3)), rand(3, 2), assume_a="lower triangular"),
    Sample(gen(general(3)), rand(3), assume_a="upper triangular"),
    Sample(gen(general(3)), rand(3, 2), transposed=True).only("float64", "float32"),  # SciPy: real only
)


# -- inv, det -------------------------------------------------------------------------


def _inv_structure(
    a: Any, overwrite_a: bool = False, check_finite: bool = True, *, assume_a: Any = None, lower: bool = False
) -> tuple[str, bool]:
    kind = structure(assume_a, a)
    if kind == "diagonal":
        raise NotDifferentiableError(
            "scipy.linalg.inv(a, assume_a='diagonal') is not differentiated: SciPy returns the "
            "off-diagonal entries of a unchanged, which is no inverse. Use 1 / np.diagonal(a)."
        )
    return kind, lower


def _inv_vjp(g: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    kind, lower = _inv_structure(a, *options, **kwargs)
    return structured_transpose(-mm(T(ans), g, T(ans)), kind, lower)


def _inv_jvp(t: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    kind, lower = _inv_structure(a, *options, **kwargs)
    return -mm(ans, structured(t, kind, lower), ans)


inv = Primitive("scipy.linalg.inv", sl.inv, complex=True, saves=("ans", "shapes"))
inv.def_vjp(_inv_vjp).def_jvp(_inv_jvp)
inv.def_samples(
    Sample(gen(general(3))),
    Sample(gen(general(3, 2))),
    Sample(gen(general(1))),
    Sample(gen(hermitian(3, low=0.5)), assume_a="pos", lower=True),
    Sample(gen(general(3)), assume_a="sym"),
    Sample(gen(general(3)), assume_a="her"),
    Sample(gen(general(3)), assume_a="upper triangular"),
)

# SciPy's det returns float64 (complex128) for float32 (complex64) input; NumPy's rules
# already cast the tangent to the output's dtype and the cotangent to the input's.
det = Primitive("scipy.linalg.det", sl.det, complex=True)
det.def_vjp(lambda g, ans, a, *options, **kwargs: numpy_det.vjp_rule(0)(g, ans, a))
det.def_jvp(lambda t, ans, a, *options, **kwargs: numpy_det.jvp_rule(0)(t, ans, a))
det.def_samples(Sample(gen(general(3))), Sample(gen(general(3, 2))), Sample(gen(general(1))))


# -- solve_triangular -----------------------------------------------------------------


def _triangular_options(
    trans: Any = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> tuple[int, bool, bool]:
    return trans_code(trans), lower, unit_diagonal


def _triangle(x: Any, lower: bool, unit_diagonal: bool) -> Any:
    """The entries ``solve_triangular`` reads (not the diagonal, if it is taken as ones)."""
    k = 1 if unit_diagonal else 0
    return tril(x, -k) if lower else triu(x, k)


def _triangular_cotangent_b(g: Any, a: Any, b: Any, trans: int, lower: bool, unit: bool) -> Any:
    """``op(A)^-T g``: ``A^-T g``, ``A^-1 g``, or ``conj(A)^-1 g = conj(A^-1 conj(g))``."""
    if trans == 2 and iscomplex(a):
        solver = lambda y: conj(solve_triangular(a, conj(y), 0, lower, unit))
    else:
        solver = lambda y: solve_triangular(a, y, 1 if trans == 0 else 0, lower, unit)
    return columns(solver, g, is_vector(b))


def _triangular_jvp_a(t: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    trans, lower, unit = _triangular_options(*options, **kwargs)
    vector = is_vector(b)
    rhs = times(op(_triangle(t, lower, unit), trans), ans, vector)
    return broadcast_like(-columns(lambda y: solve_triangular(a, y, trans, lower, unit), rhs, vector), ans)


def _triangular_vjp_a(g: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    trans, lower, unit = _triangular_options(*options, **kwargs)
    gm = -outer(_triangular_cotangent_b(g, a, b, trans, lower, unit), ans, is_vector(b))
    return unbroadcast(_triangle(op(gm, trans), lower, unit), a)


def _triangular_jvp_b(t: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    trans, lower, unit = _triangular_options(*options, **kwargs)
    return broadcast_like(columns(lambda y: solve_triangular(a, y, trans, lower, unit), t, is_vector(b)), ans)


def _triangular_vjp_b(g: Any, ans: Any, a: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    return unbroadcast(_triangular_cotangent_b(g, a, b, *_triangular_options(*options, **kwargs)), b)


solve_triangular = Primitive("scipy.linalg.solve_triangular", sl.solve_triangular, complex=True)
solve_triangular.def_vjp(_triangular_vjp_a, _triangular_vjp_b)
solve_triangular.def_jvp(_triangular_jvp_a, _triangular_jvp_b)
solve_triangular.def_samples(
    Sample(gen(general(3)), rand(3)),
    Sample(gen(general(3)), rand(3, 2), lower=True),
    Sample(gen(general(3)), rand(3, 2), 1),
    Sample(gen(general(3)), rand(3), "C", True),
    Sample(gen(general(3)), rand(3, 2), trans=2),
    Sample(gen(general(3)), rand(3, 2), "T", lower=True, unit_diagonal=True),
    Sample(gen(general(3)), rand(3), unit_diagonal=True),
    Sample(gen(general(3, 2)), rand(3)),
    Sample(gen(general(3, 2)), rand(2, 3, 2), trans="C", lower=True),
)


# -- solve_banded: ab[u + i - j, j] = a[i, j] -------------------------------------------


def _shift(x: Any, s: int, axis: int) -> Any:
    """``y[i] = x[i + s]`` along ``axis`` (negative), zero where ``i + s`` is out of range."""
    n = shape_of(x)[axis]
    if s == 0:
        return x
    if abs(s) >= n:
        return x * 0
    index: list[Any] = [Ellipsis, slice(s, None) if s > 0 else slice(None, n + s)] + [slice(None)] * (
        -axis - 1
    )
    widths = [(0, 0)] * len(shape_of(x))
    widths[axis] = (0, s) if s > 0 else (-s, 0)
    return pad(x[tuple(index)], widths)


def _band_matvec(l: int, u: int, ab: Any, x: Any) -> Any:
    """``A x`` for the band matrix ``A`` stored in ``ab``, ``x`` of shape ``(..., n, k)``."""
    out = None
    for k in range(l + u + 1):
        term = _shift(ab[..., k, :, None] * x, u - k, -2)
        out = term if out is None else out + term
    return out


def _band_transpose(l: int, u: int, ab: Any) -> Any:
    """The storage, for ``(u, l)``, of the transpose of the band matrix of ``ab``."""
    return stack([_shift(ab[..., u + l - k, :], k - l, -1) for k in range(l + u + 1)], axis=-2)


def _banded_jvp_ab(t: Any, ans: Any, l_and_u: Any, ab: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    l, u = l_and_u
    vector = is_vector(b)
    x = ans[..., None] if vector else ans
    dx = -solve_banded(l_and_u, ab, _band_matvec(l, u, t, x))
    return broadcast_like(dx[..., 0] if vector else dx, ans)


def _banded_cotangent_b(g: Any, l_and_u: Any, ab: Any, b: Any) -> Any:
    l, u = l_and_u
    return columns(lambda y: solve_banded((u, l), _band_transpose(l, u, ab), y), g, is_vector(b))  # A^-T g


def _banded_vjp_ab(g: Any, ans: Any, l_and_u: Any, ab: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    l, u = l_and_u
    vector = is_vector(b)
    h = _banded_cotangent_b(g, l_and_u, ab, b)
    h, x = (h[..., None], ans[..., None]) if vector else (h, ans)
    # -(h x^T)[j - u + k, j], summed over right-hand sides, is row k of the cotangent.
    rows = [-sum_(_shift(h, k - u, -2) * x, axis=-1) for k in range(l + u + 1)]
    return unbroadcast(stack(rows, axis=-2), ab)


def _banded_vjp_b(g: Any, ans: Any, l_and_u: Any, ab: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    return unbroadcast(_banded_cotangent_b(g, l_and_u, ab, b), b)


def _banded_jvp_b(t: Any, ans: Any, l_and_u: Any, ab: Any, b: Any, *options: Any, **kwargs: Any) -> Any:
    return broadcast_like(columns(lambda y: solve_banded(l_and_u, ab, y), t, is_vector(b)), ans)


def _banded(l: int, u: int, n: int, *batch: int) -> Any:
    """Band storage of a diagonally dominant ``n x n`` matrix: the main diagonal near 2."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        shape = (*batch, l + u + 1, n)
        ab = rng.standard_normal(shape) + (
            1j * rng.standard_normal(shape) if np.dtype(dtype).kind == "c" else 0
        )
        ab = 0.3 * ab / (l + u + 1)
        ab[..., u, :] += 2.0
        return np.asarray(ab, dtype)

    return make


solve_banded = Primitive("scipy.linalg.solve_banded", sl.solve_banded, complex=True)
solve_banded.def_vjp(None, _banded_vjp_ab, _banded_vjp_b).def_jvp(None, _banded_jvp_ab, _banded_jvp_b)
solve_banded.def_samples(
    Sample((1, 1), gen(_banded(1, 1, 4)), rand(4)),
    Sample((1, 2), gen(_banded(1, 2, 5)), rand(5, 2)),
    Sample((2, 0), gen(_banded(2, 0, 4)), rand(4, 3)),
    Sample((0, 1), gen(_banded(0, 1, 3)), rand(3)),
    Sample((1, 1), gen(_banded(1, 1, 4, 2)), rand(4)),
)


# -- solve_sylvester: a x + x b = q ------------------------------------------------------


def _sylvester_cotangent_q(g: Any, a: Any, b: Any) -> Any:
    return solve_sylvester(T(a), T(b), g)


solve_sylvester = Primitive("scipy.linalg.solve_sylvester", sl.solve_sylvester, complex=True)
solve_sylvester.def_vjp(
    lambda g, ans, a, b, q: unbroadcast(-matmul(_sylvester_cotangent_q(g, a, b), T(ans)), a),
    lambda g, ans, a, b, q: unbroadcast(-matmul(T(ans), _sylvester_cotangent_q(g, a, b)), b),
    lambda g, ans, a, b, q: unbroadcast(_sylvester_cotangent_q(g, a, b), q),
)
solve_sylvester.def_jvp(
    lambda t, ans, a, b, q: solve_sylvester(a, b, -matmul(t, ans)),
    lambda t, ans, a, b, q: solve_sylvester(a, b, -matmul(ans, t)),
    lambda t, ans, a, b, q: solve_sylvester(a, b, broadcast_like(t, ans)),
)
solve_sylvester.def_samples(
    Sample(gen(general(3)), gen(general(3)), rand(3, 3)),
    Sample(gen(general(2)), gen(general(3)), rand(2, 3)),
    Sample(gen(general(3, 2)), gen(general(3, 2)), rand(2, 3, 3)),
)


def _solve_continuous_lyapunov(a: Any, q: Any) -> Any:
    """``scipy.linalg.solve_continuous_lyapunov``: ``x`` with ``a x + x a^H = q``."""
    if not (isinstance(a, Box) or isinstance(q, Box)):
        return sl.solve_continuous_lyapunov(a, q)
    return solve_sylvester(a, H(a), q)


solve_continuous_lyapunov = Composite("scipy.linalg.solve_continuous_lyapunov", _solve_continuous_lyapunov)


# -- lstsq ------------------------------------------------------------------------------


def _lstsq(
    a: Any,
    b: Any,
    cond: Any = None,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    lapack_driver: Any = None,
) -> Any:
    """``scipy.linalg.lstsq``: ``(x, residues, rank, s)``, differentiable in ``x``,
    ``residues`` and ``s`` with respect to ``a`` and ``b`` where ``a`` has full rank."""
    if not (isinstance(a, Box) or isinstance(b, Box)):
        return sl.lstsq(a, b, cond, overwrite_a, overwrite_b, check_finite, lapack_driver)
    plain = sl.lstsq(getval(a), getval(b), cond, check_finite=check_finite, lapack_driver=lapack_driver)
    x = lstsq_solution(a, b, cond)  # cond is NumPy's rcond: relative to the largest singular value
    residues = plain[1]
    if np.size(residues):  # SciPy reports them for tall a of full rank
        r = b - matmul(a, x)
        residues = sum_(real(r * conj(r)) if iscomplex(r) else r * r, axis=0)
    s = None if plain[3] is None else svdvals(a)
    return (x, residues, plain[2], s)


lstsq = Composite("scipy.linalg.lstsq", _lstsq)
