"""Factorizations and the solvers that use them: ``cholesky``, ``cho_factor``,
``cho_solve``, ``lu``, ``lu_factor``, ``lu_solve``, ``eigh`` and ``eigvalsh``.

``cholesky``, ``eigh`` and ``eigvalsh`` have the numpy.linalg pack's rules (Murray's
Cholesky derivative; the eigenvector derivative with ``1 / (w_j - w_i)``), computed on
the Hermitian part of ``a``, with its warning where ``a`` is not Hermitian. SciPy's ``lower=False`` default of ``cholesky`` returns the
upper factor ``U = L^H``. ``eigh`` differentiates the standard problem only: with ``b``
(generalized), ``type``, or a subset of eigenvalues the rules raise. Its eigenvectors have
their largest-magnitude entry real and positive (SciPy's, from LAPACK, have signs that can
flip under small perturbations, so they would not be differentiable).

``cho_factor(a, lower)`` returns ``(c, lower)``: the Cholesky factor in one triangle of
``c``, and in the other what the installed SciPy leaves there: ``a``'s entries, whose
derivative is the identity (SciPy before 1.18), or zeros (SciPy 1.18 on).
``cho_solve((c, lower), b)`` solves ``A x = b`` with ``A = L L^H``, ``L`` the triangle
of ``c`` (``U^H`` for an upper one). ``A`` is not a holomorphic function of ``c``: with
``W = -(A^-T g) x^T`` the cotangent of ``A``, that of ``L`` is ``W conj(L) + conj(W^T L)``.

``lu_factor(a)`` returns ``(lu, piv)`` (and ``lu(a)`` returns ``(P, L, U)``), ``P^T a = L U`` with the row interchanges
``piv``. The pivots are locally constant (where no two candidates tie), and with
``F = L^-1 P^T da U^-1``:

    dL = L tril(F, -1)        dU = triu(F) U

for square ``a`` (non-square ``a`` raises). ``lu_solve((lu, piv), b, trans)`` solves
``op(A) x = b`` with ``A = P L U``, and is differentiable in ``lu`` and ``b``; ``piv``
is an integer array, with no derivative. The pivots of ``lu_factor`` come from SciPy on
the value of ``a``; its rules find them again the same way.
"""

from __future__ import annotations

import collections
import functools
from typing import Any

import numpy as np
import scipy.linalg as sl

from plugrad import Composite, NotDifferentiableError, Primitive, Sample, gen, rand
from plugrad.box import Box, getval
from plugrad_linalg._samples import general, hermitian
from plugrad_linalg._util import H, T, eye, herm, hermitian_part, peak_phase, real_dtype, square
from plugrad_linalg.eigen import eigh as numpy_eigh
from plugrad_linalg.eigen import eigvalsh as numpy_eigvalsh
from plugrad_linalg.factorizations import cholesky as numpy_cholesky
from plugrad_numpy._util import broadcast_like, iscomplex, shape_of, unbroadcast
from plugrad_numpy.linear import matmul
from plugrad_numpy.shape import reshape, tril, triu
from plugrad_numpy.unary import conj
from plugrad_scipy_linalg._util import cj, columns, is_vector, op, outer, times, trans_code
from plugrad_scipy_linalg.solvers import solve_triangular

# -- cholesky, cho_factor -----------------------------------------------------------------


def _cholesky(a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    if not square(a):  # SciPy's error (or, for a number, its 1 x 1 factor)
        return sl.cholesky(a, lower=lower, check_finite=check_finite)
    a = hermitian_part(a, "scipy.linalg.cholesky", lower, f"lower={lower}")
    return sl.cholesky(a, lower=lower, check_finite=check_finite)


def _upper(lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> bool:
    return not lower


cholesky = Primitive(
    "scipy.linalg.cholesky", _cholesky, complex=True, saves=("ans", "shapes"), doc=sl.cholesky.__doc__
)
cholesky.def_vjp(lambda g, ans, a, *o, **k: numpy_cholesky.vjp_rule(0)(g, ans, a, upper=_upper(*o, **k)))
cholesky.def_jvp(lambda t, ans, a, *o, **k: numpy_cholesky.jvp_rule(0)(t, ans, a, upper=_upper(*o, **k)))
cholesky.def_samples(
    Sample(gen(hermitian(3, low=0.5))),
    Sample(gen(hermitian(3, 2, low=0.5)), lower=True),
    Sample(gen(hermitian(3, low=0.5)), True),
    Sample(gen(hermitian(1, low=0.5))),
)


def _cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.cho_factor``: ``(c, lower)``, the factor in the ``lower`` (or upper)
    triangle of ``c``, and in the other ``a``'s own entries or zeros, as SciPy's."""
    if not square(getval(a)):
        sl.cho_factor(getval(a), lower, check_finite=check_finite)  # SciPy's error
        a = reshape(a, (1, 1))  # what SciPy makes of a number: a 1 x 1 matrix
    hermitian_part(getval(a), "scipy.linalg.cho_factor", lower, f"lower={lower}")  # to warn in its name
    c = cholesky(herm(a), lower)  # exactly Hermitian: cholesky does not warn again
    if _scipy_keeps_other_triangle():
        c = c + (triu(a, 1) if lower else tril(a, -1))
    return c, lower


@functools.cache
def _scipy_keeps_other_triangle() -> bool:
    """Whether the installed SciPy's ``cho_factor`` leaves ``a``'s entries in the triangle
    the factor does not use (before 1.18) rather than zeros: asked of SciPy itself, once."""
    c, _ = sl.cho_factor(np.array([[4.0, 1.0], [1.0, 3.0]]))
    return bool(c[1, 0] != 0.0)


cho_factor = Composite("scipy.linalg.cho_factor", _cho_factor)


# -- cho_solve: (L L^H) x = b ---------------------------------------------------------------


def _cho_solve_fun(c: Any, b: Any, lower: bool = False) -> Any:
    return sl.cho_solve((c, lower), b)


def _factor(c: Any, lower: bool) -> Any:
    """``L`` with ``A = L L^H``: the lower triangle of ``c``, or the conjugate transpose of
    its upper triangle."""
    return tril(c) if lower else H(triu(c))


def _cho_cotangent_b(g: Any, c: Any, b: Any, lower: bool) -> Any:
    """``A^-T g = conj(A)^-1 g``, since ``A`` is Hermitian."""
    if iscomplex(c):
        return columns(lambda y: conj(_cho_solve(c, conj(y), lower)), g, is_vector(b))
    return columns(lambda y: _cho_solve(c, y, lower), g, is_vector(b))


def _cho_jvp_c(t: Any, ans: Any, c: Any, b: Any, lower: bool = False) -> Any:
    vector = is_vector(b)
    low, dlow = _factor(c, lower), _factor(t, lower)
    da = matmul(dlow, H(low)) + matmul(low, H(dlow))
    return broadcast_like(-columns(lambda y: _cho_solve(c, y, lower), times(da, ans, vector), vector), ans)


def _cho_vjp_c(g: Any, ans: Any, c: Any, b: Any, lower: bool = False) -> Any:
    w = -outer(_cho_cotangent_b(g, c, b, lower), ans, is_vector(b))  # the cotangent of A
    low = _factor(c, lower)
    gl = matmul(w, cj(low)) + cj(matmul(T(w), low))  # the cotangent of L
    return unbroadcast(tril(gl) if lower else triu(H(gl)), c)


_cho_solve = Primitive(
    "scipy.linalg._cho_solve", _cho_solve_fun, complex=True, doc="``cho_solve((c, lower), b)``."
)
_cho_solve.def_vjp(
    _cho_vjp_c, lambda g, ans, c, b, lower=False: unbroadcast(_cho_cotangent_b(g, c, b, lower), b)
)
_cho_solve.def_jvp(
    _cho_jvp_c,
    lambda t, ans, c, b, lower=False: broadcast_like(
        columns(lambda y: _cho_solve(c, y, lower), t, is_vector(b)), ans
    ),
)


# Any triangle with a diagonal away from zero is a factor; the other triangle is ignored.
_cho_solve.def_samples(
    Sample(gen(general(3)), rand(3)),
    Sample(gen(general(3)), rand(3, 2), True),
    Sample(gen(general(3, 2)), rand(3), lower=False),
    Sample(gen(general(3, 2)), rand(2, 3, 2), lower=True),
)


def _cho_solve_public(c_and_lower: Any, b: Any, overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.cho_solve``: differentiable in ``c`` and ``b``."""
    c, lower = c_and_lower
    return _cho_solve(c, b, lower)


cho_solve = Composite("scipy.linalg.cho_solve", _cho_solve_public)


# -- lu_factor, lu_solve -----------------------------------------------------------------


def _row_permutation(piv: Any, like: Any) -> np.ndarray:
    """The constant matrices ``Q = P^T`` with ``Q x = x[perm]``, ``perm`` being LAPACK's
    row interchanges ``piv`` applied in order (row ``i`` swapped with row ``piv[i]``)."""
    piv = np.asarray(piv)
    n = piv.shape[-1]
    perm = np.array(np.broadcast_to(np.arange(n), piv.shape))
    for index in np.ndindex(*piv.shape[:-1]):
        p = perm[index]
        for i, j in enumerate(piv[index]):
            p[i], p[j] = p[j], p[i]
    q = np.zeros((*piv.shape, n), real_dtype(like))
    np.put_along_axis(q, perm[..., None], 1, axis=-1)
    return q


def _unit_lower(lu: Any) -> Any:
    return tril(lu, -1) + eye(shape_of(lu)[-1], lu)


def _square(a: Any) -> None:
    m, n = shape_of(a)[-2:]
    if m != n:
        raise NotDifferentiableError(
            f"scipy.linalg.lu_factor is differentiated for square matrices only; got shape "
            f"{tuple(shape_of(a))}. Pad the matrix to square, or use scipy.linalg.lu_solve on a square one."
        )


def _lu_jvp(t: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    _square(a)
    q = _row_permutation(sl.lu_factor(getval(a))[1], a)
    y = solve_triangular(ans, matmul(q, t), lower=True, unit_diagonal=True)  # L^-1 Q da
    f = T(solve_triangular(ans, T(y), trans=1))  # ... U^-1
    return matmul(_unit_lower(ans), tril(f, -1)) + matmul(triu(f), triu(ans))


def _lu_vjp(g: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    _square(a)
    q = _row_permutation(sl.lu_factor(getval(a))[1], a)
    gf = tril(matmul(T(_unit_lower(ans)), tril(g, -1)), -1) + triu(matmul(triu(g), T(triu(ans))))
    z = solve_triangular(ans, gf, trans=1, lower=True, unit_diagonal=True)  # L^-T gf
    return matmul(T(q), T(solve_triangular(ans, T(z))))  # Q^T L^-T gf U^-T


def _lu_packed_fun(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    return sl.lu_factor(a, check_finite=check_finite)[0]


_lu_packed = Primitive("scipy.linalg._lu_packed", _lu_packed_fun, complex=True, doc="``lu_factor(a)[0]``.")
_lu_packed.def_vjp(_lu_vjp).def_jvp(_lu_jvp)
_lu_packed.def_samples(Sample(gen(general(3))), Sample(gen(general(4, 2))), Sample(gen(general(1))))


def _lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.lu_factor``: ``(lu, piv)``, differentiable in ``lu`` for square ``a``."""
    if not isinstance(a, Box):
        return sl.lu_factor(a, overwrite_a, check_finite)
    return _lu_packed(a), sl.lu_factor(getval(a), check_finite=check_finite)[1]


lu_factor = Composite("scipy.linalg.lu_factor", _lu_factor)


def _lu(
    a: Any,
    permute_l: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    p_indices: bool = False,
) -> Any:
    """``scipy.linalg.lu``: ``(p, l, u)`` with ``a = p @ l @ u`` (``(p @ l, u)`` with
    ``permute_l``; row indices ``p`` with ``p_indices``), differentiable for square ``a``."""
    if not isinstance(a, Box):
        return sl.lu(a, permute_l, overwrite_a, check_finite, p_indices)
    _square(a)
    packed = _lu_packed(a)
    p = T(_row_permutation(sl.lu_factor(getval(a), check_finite=check_finite)[1], a))
    low, up = _unit_lower(packed), triu(packed)
    if permute_l:
        return matmul(p, low), up
    return (np.argmax(p, axis=-1).astype(np.int32) if p_indices else p), low, up


lu = Composite("scipy.linalg.lu", _lu)


def _lu_solve_fun(lu: Any, piv: Any, b: Any, trans: Any = 0) -> Any:
    return sl.lu_solve((lu, piv), b, trans)


def _lu_cotangent_b(g: Any, lu: Any, piv: Any, b: Any, trans: int) -> Any:
    """``op(A)^-T g``: ``A^-T g``, ``A^-1 g``, or ``conj(A)^-1 g = conj(A^-1 conj(g))``."""
    if trans == 2 and iscomplex(lu):
        return columns(lambda y: conj(_lu_solve(lu, piv, conj(y), 0)), g, is_vector(b))
    return columns(lambda y: _lu_solve(lu, piv, y, 1 if trans == 0 else 0), g, is_vector(b))


def _lu_solve_jvp_lu(t: Any, ans: Any, lu: Any, piv: Any, b: Any, trans: Any = 0) -> Any:
    trans = trans_code(trans)
    vector = is_vector(b)
    q = _row_permutation(piv, lu)
    da = matmul(T(q), matmul(tril(t, -1), triu(lu)) + matmul(_unit_lower(lu), triu(t)))  # P (dL U + L dU)
    rhs = times(op(da, trans), ans, vector)
    return broadcast_like(-columns(lambda y: _lu_solve(lu, piv, y, trans), rhs, vector), ans)


def _lu_solve_vjp_lu(g: Any, ans: Any, lu: Any, piv: Any, b: Any, trans: Any = 0) -> Any:
    trans = trans_code(trans)
    q = _row_permutation(piv, lu)
    ga = matmul(q, op(-outer(_lu_cotangent_b(g, lu, piv, b, trans), ans, is_vector(b)), trans))  # P^T a-bar
    return unbroadcast(tril(matmul(ga, T(triu(lu))), -1) + triu(matmul(T(_unit_lower(lu)), ga)), lu)


_lu_solve = Primitive(
    "scipy.linalg._lu_solve", _lu_solve_fun, complex=True, doc="``lu_solve((lu, piv), b, trans)``."
)
_lu_solve.def_vjp(
    _lu_solve_vjp_lu,
    None,
    lambda g, ans, lu, piv, b, trans=0: unbroadcast(_lu_cotangent_b(g, lu, piv, b, trans_code(trans)), b),
)
_lu_solve.def_jvp(
    _lu_solve_jvp_lu,
    None,
    lambda t, ans, lu, piv, b, trans=0: broadcast_like(
        columns(lambda y: _lu_solve(lu, piv, y, trans), t, is_vector(b)), ans
    ),
)
_PIV = np.array([2, 1, 2], np.int32)  # rows 0 and 2 swapped
_lu_solve.def_samples(
    Sample(gen(general(3)), _PIV, rand(3)),
    Sample(gen(general(3)), _PIV, rand(3, 2), 1),
    Sample(gen(general(3)), _PIV, rand(3), trans=2),
    Sample(gen(general(3)), np.array([0, 1, 2], np.int32), rand(3, 2), 2),
    Sample(gen(general(3, 2)), np.array([[1, 2, 2], [2, 2, 2]], np.int32), rand(3)),
)


def _lu_solve_public(
    lu_and_piv: Any, b: Any, trans: Any = 0, overwrite_b: bool = False, check_finite: bool = True
) -> Any:
    """``scipy.linalg.lu_solve``: differentiable in ``lu`` and ``b``."""
    lu, piv = lu_and_piv
    return _lu_solve(lu, piv, b, trans)


lu_solve = Composite("scipy.linalg.lu_solve", _lu_solve_public)


# -- eigh, eigvalsh ---------------------------------------------------------------------------


def _standard(
    b: Any = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,  # SciPy's name
    check_finite: bool = True,
    subset_by_index: Any = None,
    subset_by_value: Any = None,
    driver: Any = None,
) -> bool:
    """Whether the options ask for the standard problem with every eigenvalue."""
    return b is None and type == 1 and subset_by_index is None and subset_by_value is None


# SciPy returns a plain tuple; a named one unpacks the same, and its type can be rebuilt
# from its fields, as the rules' tangents are. The largest-magnitude entry of each
# eigenvector is made real and positive: LAPACK's signs (driver 'evr') can flip under
# small perturbations, which would make the eigenvectors jump.
EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])


def _eigh_fun(a: Any, b: Any = None, **kwargs: Any) -> Any:
    return _eigh_named("scipy.linalg.eigh", a, b, **kwargs)


def _eigh_named(name: str, a: Any, b: Any = None, **kwargs: Any) -> Any:
    """``eigh`` or ``eigvalsh``, as ``name``, which a warning of a non-Hermitian ``a`` names."""
    if not _standard(b, **kwargs):
        return sl.eigh(a, b, **kwargs)
    keep = {k: kwargs[k] for k in ("lower", "eigvals_only", "check_finite", "driver") if k in kwargs}
    lower = kwargs.get("lower", True)
    if not square(a):
        return sl.eigh(a, **kwargs)  # SciPy's error
    out = sl.eigh(hermitian_part(a, name, lower, f"lower={lower}"), **keep)
    if kwargs.get("eigvals_only"):
        return out
    w, v = out
    return EighResult(w, v * peak_phase(v, axis=-2))


def _eigh_rule(kind: str, values_only: bool = False) -> Any:
    """The numpy.linalg pack's ``eigh`` rule, or its ``eigvalsh`` rule where the output is
    the eigenvalues alone: told by ``ans``, or by ``values_only`` (``scipy.linalg.eigvalsh``,
    whose tape keeps no ``ans``)."""

    def rule(x: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
        if not _standard(*args, **kwargs):
            raise NotDifferentiableError(
                "plugrad differentiates scipy.linalg.eigh / eigvalsh for the standard problem with "
                "every eigenvalue only; not with b, type or subset_by_index / subset_by_value."
            )
        target = numpy_eigvalsh if values_only or not isinstance(getval(ans), tuple) else numpy_eigh
        return target.vjp_rule(0)(x, ans, a) if kind == "vjp" else target.jvp_rule(0)(x, ans, a)

    return rule


eigh = Primitive("scipy.linalg.eigh", _eigh_fun, complex=True, doc=sl.eigh.__doc__)
eigh.def_vjp(_eigh_rule("vjp")).def_jvp(_eigh_rule("jvp"))
eigh.def_samples(
    Sample(gen(hermitian(3))),
    Sample(gen(hermitian(3, 2)), lower=False),
    Sample(gen(hermitian(4)), eigvals_only=True),
    Sample(gen(hermitian(3)), driver="evd"),
    Sample(gen(hermitian(1))),
)


def _eigvalsh_fun(a: Any, b: Any = None, **kwargs: Any) -> Any:
    return _eigh_named("scipy.linalg.eigvalsh", a, b, eigvals_only=True, **kwargs)


eigvalsh = Primitive(
    "scipy.linalg.eigvalsh", _eigvalsh_fun, complex=True, saves=("args",), doc=sl.eigvalsh.__doc__
)
eigvalsh.def_vjp(_eigh_rule("vjp", values_only=True)).def_jvp(_eigh_rule("jvp", values_only=True))
eigvalsh.def_samples(Sample(gen(hermitian(3))), Sample(gen(hermitian(3, 2)), lower=False))
