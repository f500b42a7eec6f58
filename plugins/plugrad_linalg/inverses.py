"""Inverses and solvers: ``inv``, ``solve``, ``pinv``, ``lstsq``, ``matrix_power``,
``tensorsolve``, ``tensorinv``.

``inv``, ``solve`` and ``matrix_power`` are holomorphic, so their rules are the real
ones with plain transposes (``d inv(a) = -inv(a) da inv(a)``). ``pinv`` and the
solution of ``lstsq`` use Golub and Pereyra's derivative of the pseudo-inverse,

    dP = -P da P + P P^H da^H (I - a P) + (I - P a) da^H P^H P,

valid where the rank of ``a`` does not change nearby: everywhere for full-rank ``a``
(tall, wide or square), nowhere where a singular value crosses the cut-off ``rcond``.
At a rank-deficient ``a`` the formula gives the derivative along perturbations that
keep the rank, which is not a derivative of ``pinv`` (it jumps there).
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, gen, rand
from plugrad.box import Box, getval
from plugrad_linalg._samples import general, hermitian, rectangular
from plugrad_linalg._util import H, T, eye, herm, hermitian_part, mm, real_dtype, square
from plugrad_linalg.svd import svdvals
from plugrad_numpy._util import broadcast_like, iscomplex, shape_of, unbroadcast
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import reshape, transpose
from plugrad_numpy.unary import conj, real

# -- inv ---------------------------------------------------------------------------

inv = Primitive("numpy.linalg.inv", np.linalg.inv, complex=True, saves=("ans",))
inv.def_vjp(lambda g, ans, a: -mm(T(ans), g, T(ans)))
inv.def_jvp(lambda t, ans, a: -mm(ans, t, ans))
inv.def_samples(Sample(gen(general(3))), Sample(gen(general(1))), Sample(gen(general(3, 2))))


# -- solve: a x = b, with b a vector when it is 1-d (NumPy 2), else a stack of matrices --


def _vector(b: Any) -> bool:
    return len(shape_of(b)) == 1


def _cotangent_b(g: Any, a: Any, b: Any) -> Any:
    """``solve(a^T, g)``: the cotangent of ``b`` before unbroadcasting."""
    return solve(T(a), g[..., None])[..., 0] if _vector(b) else solve(T(a), g)


def _solve_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    gb = _cotangent_b(g, a, b)
    if _vector(b):
        return unbroadcast(-(gb[..., :, None] * ans[..., None, :]), a)
    return unbroadcast(-matmul(gb, T(ans)), a)


def _solve_jvp_a(t: Any, ans: Any, a: Any, b: Any) -> Any:
    if _vector(b):
        return broadcast_like(-solve(a, matmul(t, ans[..., None]))[..., 0], ans)
    return broadcast_like(-solve(a, matmul(t, ans)), ans)


solve = Primitive("numpy.linalg.solve", np.linalg.solve, complex=True)
solve.def_vjp(_solve_vjp_a, lambda g, ans, a, b: unbroadcast(_cotangent_b(g, a, b), b))
solve.def_jvp(_solve_jvp_a, lambda t, ans, a, b: broadcast_like(solve(a, t), ans))
solve.def_samples(
    Sample(gen(general(3)), rand(3)),
    Sample(gen(general(3)), rand(3, 2)),
    Sample(gen(general(3, 2)), rand(2, 3, 4)),
    Sample(gen(general(3, 2)), rand(3)),
    Sample(gen(general(3)), rand(2, 3, 1)),
    Sample(gen(general(3, 2)), rand(3, 4)),
)


# -- pinv ----------------------------------------------------------------------------


def _pinv(a: Any, rcond: Any = None, hermitian: bool = False, **kwargs: Any) -> Any:
    if hermitian and square(a):  # (NumPy's error, or its result for an empty one, otherwise)
        a = hermitian_part(a, "numpy.linalg.pinv", True, "hermitian=True")
    return np.linalg.pinv(a, rcond, hermitian, **kwargs)


def _pinv_jvp(t: Any, ans: Any, a: Any, rcond: Any = None, hermitian: bool = False, **kwargs: Any) -> Any:
    if hermitian and square(a):  # (else empty, as NumPy accepts it: the general rule)
        a, t = herm(a), herm(t)
    p, ph, th = ans, H(ans), H(t)
    return (
        -mm(p, t, p)
        + mm(p, ph, th) - mm(p, ph, th, a, p)  # P P^H t^H (I - a P)
        + mm(th, ph, p) - mm(p, a, th, ph, p)  # (I - P a) t^H P^H P
    )  # fmt: skip


def _pinv_vjp(g: Any, ans: Any, a: Any, rcond: Any = None, hermitian: bool = False, **kwargs: Any) -> Any:
    hermitian = hermitian and square(a)  # (else empty, as NumPy accepts it: the general rule)
    if hermitian:
        a = herm(a)
    m, n = shape_of(a)[-2:]
    p = ans
    not_range = eye(m, a) - T(mm(a, p))  # (I - a P)^T
    not_rows = eye(n, a) - T(mm(p, a))  # (I - P a)^T
    c = -mm(T(p), g, T(p)) + H(mm(T(mm(p, H(p))), g, not_range)) + H(mm(not_rows, g, T(mm(H(p), p))))
    return unbroadcast(herm(c) if hermitian else c, a)


pinv = Primitive("numpy.linalg.pinv", _pinv, complex=True, doc=np.linalg.pinv.__doc__)
pinv.def_vjp(_pinv_vjp).def_jvp(_pinv_jvp)
pinv.def_samples(
    Sample(gen(rectangular(4, 3))),
    Sample(gen(rectangular(3, 4))),
    Sample(gen(rectangular(3, 3, 2))),
    Sample(gen(hermitian(3, low=-1.5)), hermitian=True),
)


# -- lstsq ---------------------------------------------------------------------------


def _lstsq_solution(a: Any, b: Any, rcond: Any = None) -> Any:
    return np.linalg.lstsq(a, b, rcond)[0]


def _pinv_for(a: Any, rcond: Any) -> Any:
    return pinv(a) if rcond is None else pinv(a, rcond)


def _columns(x: Any, b: Any) -> Any:
    return x[:, None] if _vector(b) else x


def _lstsq_jvp_a(t: Any, ans: Any, a: Any, b: Any, rcond: Any = None) -> Any:
    p = _pinv_for(a, rcond)
    x = _columns(ans, b)
    r = _columns(b, b) - matmul(a, x)
    ph, th = H(p), H(t)
    # p (ph th) r, not (p ph) th r: p ph is 1 / s^2, which overflows for s below 1e-154 (and
    # underflows above 1e154) where the derivative, 1 / s, does not.
    dx = -mm(p, t, x) + matmul(p, mm(ph, th, r)) + mm(th, ph, x) - mm(p, a, th, ph, x)
    return dx[:, 0] if _vector(b) else dx


def _lstsq_vjp_a(g: Any, ans: Any, a: Any, b: Any, rcond: Any = None) -> Any:
    n = shape_of(a)[-1]
    p = _pinv_for(a, rcond)
    x, g = _columns(ans, b), _columns(g, b)
    r = _columns(b, b) - matmul(a, x)
    c = (
        -mm(T(p), g, T(x))
        + H(matmul(conj(p), mm(T(p), g, T(r))))  # (P P^H)^T g r^T, without the 1 / s^2 of P P^H
        + H(mm(eye(n, a) - T(mm(p, a)), g, T(mm(H(p), x))))
    )
    return unbroadcast(c, a)


lstsq_solution = Primitive(
    "numpy.linalg._lstsq_solution", _lstsq_solution, complex=True, doc="``lstsq(a, b, rcond)[0]``."
)
lstsq_solution.public_name = "numpy.linalg.lstsq"
lstsq_solution.def_vjp(
    _lstsq_vjp_a,
    lambda g, ans, a, b, rcond=None: unbroadcast(matmul(T(_pinv_for(a, rcond)), g), b),
)
lstsq_solution.def_jvp(
    _lstsq_jvp_a,
    lambda t, ans, a, b, rcond=None: broadcast_like(matmul(_pinv_for(a, rcond), t), ans),
)
lstsq_solution.def_samples(
    Sample(gen(rectangular(5, 3)), rand(5)),
    Sample(gen(rectangular(5, 3)), rand(5, 2)),
    Sample(gen(rectangular(3, 5)), rand(3)),
    Sample(gen(rectangular(3, 3)), rand(3, 2)),
)


def _lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """``numpy.linalg.lstsq``: ``(x, residuals, rank, s)``, differentiable in ``x``,
    ``residuals`` and ``s`` with respect to ``a`` and ``b`` where ``a`` has full rank."""
    if not (isinstance(a, Box) or isinstance(b, Box)):
        return np.linalg.lstsq(a, b, rcond)
    x = lstsq_solution(a, b, rcond)
    s = svdvals(a)
    m, n = shape_of(a)
    # NumPy's rank: singular values above rcond (default eps * max(m, n), in double) times the largest.
    ratio = np.finfo(np.float64).eps * max(m, n) if rcond is None else rcond
    values = getval(s)
    rank = np.int32(np.count_nonzero(values > ratio * np.max(values, initial=0.0)))  # NumPy's type
    if rank == n and m > n:
        r = b - matmul(a, x)
        residuals = sum_(real(r * conj(r)) if iscomplex(r) else r * r, axis=0)
        if _vector(b):
            residuals = reshape(residuals, (1,))
    else:
        residuals = np.empty((0,), real_dtype(values))
    return (x, residuals, rank, s)


lstsq = Composite("numpy.linalg.lstsq", _lstsq)


# -- matrix_power ----------------------------------------------------------------------


def _powers(base: Any, k: int) -> list[Any]:
    """``[None, base, base^2, ..., base^(k-1)]``; ``None`` stands for the identity."""
    out: list[Any] = [None]
    for _ in range(1, k):
        out.append(base if out[-1] is None else matmul(out[-1], base))
    return out


def _sandwich(left: Any, x: Any, right: Any) -> Any:
    factors = [f for f in (left, x, right) if f is not None]
    return mm(*factors)


def _power_base(a: Any, n: int) -> tuple[Any, int]:
    return (inv(a), -n) if n < 0 else (a, n)


def _matrix_power_jvp(t: Any, ans: Any, a: Any, n: int) -> Any:
    if n == 0:
        return t * 0
    base, k = _power_base(a, n)
    if n < 0:
        t = -mm(base, t, base)
    pw = _powers(base, k)  # d(b^k) = sum_i b^i db b^(k-1-i)
    return functools.reduce(operator.add, [_sandwich(pw[i], t, pw[k - 1 - i]) for i in range(k)])

def _matrix_power_vjp(g: Any, ans: Any, a: Any, n: int) -> Any:
    if n == 0:
        return unbroadcast(g * 0, a)
    base, k = _power_base(a, n)
    pw = [None if p is None else T(p) for p in _powers(base, k)]
    c = functools.reduce(operator.add, [_sandwich(pw[i], g, pw[k - 1 - i]) for i in range(k)])
    if n < 0:
        c = -mm(T(base), c, T(base))
    return unbroadcast(c, a)


matrix_power = Primitive("numpy.linalg.matrix_power", np.linalg.matrix_power, complex=True, saves=("args",))
matrix_power.def_vjp(_matrix_power_vjp).def_jvp(_matrix_power_jvp)
matrix_power.def_samples(
    Sample(gen(general(3)), 0),
    Sample(gen(general(3)), 1),
    Sample(gen(general(3)), 2),
    Sample(gen(general(2, 2)), 3),
    Sample(gen(general(3)), -1),
    Sample(gen(general(3, 2)), -2),
)


# -- tensorsolve, tensorinv: solve and inv of a reshaped tensor ---------------------------


def _tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """``numpy.linalg.tensorsolve``: ``x`` with ``tensordot(a, x, x.ndim) == b``."""
    if not (isinstance(a, Box) or isinstance(b, Box)):
        return np.linalg.tensorsolve(a, b, axes)
    nd = len(shape_of(a))
    if axes is not None:
        moved = [k % nd for k in axes]
        a = transpose(a, tuple([i for i in range(nd) if i not in moved] + moved))
    shape = tuple(shape_of(a)[len(shape_of(b)) :])
    size = math.prod(shape)
    if math.prod(shape_of(a)) != size * size:
        raise np.linalg.LinAlgError(
            "Input arrays must satisfy the requirement prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
        )
    return reshape(solve(reshape(a, (size, size)), reshape(b, (size,))), shape)


def _tensorinv(a: Any, ind: int = 2) -> Any:
    """``numpy.linalg.tensorinv``: the inverse of ``a`` for ``tensordot(., ., ind)``."""
    if not isinstance(a, Box):
        return np.linalg.tensorinv(a, ind)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    shape = tuple(shape_of(a))
    size = math.prod(shape[ind:])
    return reshape(inv(reshape(a, (size, -1))), shape[ind:] + shape[:ind])


tensorsolve = Composite("numpy.linalg.tensorsolve", _tensorsolve)
tensorinv = Composite("numpy.linalg.tensorinv", _tensorinv)
