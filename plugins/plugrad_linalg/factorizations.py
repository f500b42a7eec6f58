"""Triangular factorizations: ``cholesky`` and ``qr``.

``cholesky``: ``a = L L^H`` with ``L`` lower triangular, real positive diagonal. With
``S`` the Hermitian part of ``da`` and ``Phi`` taking the lower triangle with the
diagonal halved (Murray, "Differentiation of the Cholesky decomposition", 2016):

    dL = L Phi(L^-1 S L^-H)

It is computed on the Hermitian part ``(a + a^H) / 2`` (NumPy reads the lower triangle
only, and plugrad warns where that differs), so its gradient is Hermitian. It exists
only where ``a`` is positive definite.

``qr``: ``a = Q R``. With ``k = min(m, n)``, ``R1`` the leading ``k x k`` block of ``R``
and ``C = Q^H da[:, :k] R1^-1``, the unique derivative keeping ``Q^H Q = I``, ``R``
upper triangular and the diagonal of ``R`` real (LAPACK's convention; it may be
negative) is (Walter and Lehmann, 2018, extended to wide and complex matrices):

    Omega = tril(C, -1) - tril(C, -1)^H + i Im diag(C)     (= Q^H dQ)
    dR    = Q^H da - Omega R
    dQ    = Q Omega + (I - Q Q^H) da[:, :k] R1^-1

It exists where the first ``k`` columns of ``a`` are linearly independent. Modes:
``'reduced'``, ``'complete'`` and ``'r'`` are differentiable; ``'raw'`` (Householder
reflectors) is not. ``'complete'`` with ``m > n`` adds ``m - n`` columns spanning the
complement of the range of ``a``; their derivative here is the one rotating that basis
least (``Q2^H dQ2 = 0``): exact for functions invariant under a change of basis of the
complement (the projector ``Q2 Q2^H``), not the derivative of LAPACK's particular basis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import NotDifferentiableError, Primitive, Sample, gen
from plugrad.box import getval
from plugrad.builtins import make_sequence
from plugrad_linalg._samples import hermitian, rectangular
from plugrad_linalg._util import H, T, diag, diag_embed, herm, hermitian_part, real_dtype, selector, square
from plugrad_linalg.inverses import solve
from plugrad_numpy._util import iscomplex, match_dtype, shape_of, unbroadcast
from plugrad_numpy.linear import matmul
from plugrad_numpy.shape import tril
from plugrad_numpy.unary import conj, imag

# -- cholesky ------------------------------------------------------------------------------


def _cholesky(a: Any, /, *, upper: bool = False) -> Any:
    if not square(a):
        return np.linalg.cholesky(a, upper=upper)  # NumPy's error
    lower = np.linalg.cholesky(hermitian_part(a, "numpy.linalg.cholesky", not upper, f"upper={upper}"))
    return np.conj(np.swapaxes(lower, -1, -2)) if upper else lower


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    n = shape_of(x)[-1]
    return x * (np.tril(np.ones((n, n), real_dtype(x))) - 0.5 * np.eye(n, dtype=real_dtype(x)))


def _cholesky_jvp(t: Any, ans: Any, a: Any, upper: bool = False) -> Any:
    low = H(ans) if upper else ans
    x = solve(low, H(solve(low, herm(t))))  # L^-1 S L^-H
    dl = matmul(low, _phi(x))
    return H(dl) if upper else dl


def _cholesky_vjp(g: Any, ans: Any, a: Any, upper: bool = False) -> Any:
    low = H(ans) if upper else ans
    gl = H(g) if upper else g
    p = _phi(matmul(T(low), gl))
    gs = T(solve(H(low), T(solve(T(low), p))))  # L^-T P conj(L)^-1
    return unbroadcast(herm(gs), a)


cholesky = Primitive(
    "numpy.linalg.cholesky", _cholesky, complex=True, saves=("ans", "shapes"), doc=np.linalg.cholesky.__doc__
)
cholesky.def_vjp(_cholesky_vjp).def_jvp(_cholesky_jvp)
cholesky.def_samples(
    Sample(gen(hermitian(3, low=0.5))),
    Sample(gen(hermitian(3, 2, low=0.5))),
    Sample(gen(hermitian(3, low=0.5)), upper=True),
    Sample(gen(hermitian(1, low=0.5))),
)


# -- qr ------------------------------------------------------------------------------------


def _right_solve(x: Any, r: Any) -> Any:
    """``x r^-1``."""
    return T(solve(T(r), T(x)))


def _factors(ans: Any, a: Any, mode: str) -> tuple[Any, Any, Any, Any, int, int, int]:
    """``Q``, ``R`` and their leading ``Q1`` (``m x k``) and ``R1`` (``k x k``)."""
    if mode == "raw":
        raise NotDifferentiableError(
            "numpy.linalg.qr(mode='raw') returns Householder reflectors, which plugrad does not "
            "differentiate; use mode='reduced', 'complete' or 'r'."
        )
    q, r = qr(a) if mode == "r" else (ans[0], ans[1])
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    q1 = q[..., :, :k] if shape_of(q)[-1] > k else q
    r1 = r[..., :k, :k] if shape_of(r)[-2] > k or n > k else r
    return q, r, q1, r1, m, n, k


def _skew(c: Any) -> Any:
    """``Omega`` from ``C``: anti-Hermitian, equal to ``C`` below the diagonal."""
    low = tril(c, -1)
    omega = low - H(low)
    return omega + 1j * diag_embed(imag(diag(c))) if iscomplex(c) else omega


def _qr_jvp(t: Any, ans: Any, a: Any, mode: str = "reduced") -> Any:
    q, r, q1, r1, m, n, k = _factors(ans, a, mode)
    r_top = r[..., :k, :] if shape_of(r)[-2] > k else r
    b = matmul(H(q1), t)
    omega = _skew(_right_solve(b[..., :, :k] if n > k else b, r1))
    dr = b - matmul(omega, r_top)
    if mode == "r":
        return match_dtype(dr, ans)
    dq = matmul(q1, omega)
    if m > k:  # then n == k
        dq = dq + _right_solve(t - matmul(q1, b), r1)
    if shape_of(q)[-1] > k:  # 'complete', m > n: dQ2 = -Q1 R1^-H da^H Q2; R gains zero rows
        dq2 = -matmul(q1, solve(H(r1), matmul(H(t), q[..., :, k:])))
        dq = matmul(dq, selector(m, 0, k, a)) + matmul(dq2, selector(m, k, m, a))
        dr = matmul(T(selector(m, 0, k, a)), dr)
    return make_sequence(type(getval(ans)), match_dtype(dq, q), match_dtype(dr, r))


def _qr_vjp(g: Any, ans: Any, a: Any, mode: str = "reduced") -> Any:
    q, r, q1, r1, m, n, k = _factors(ans, a, mode)
    r_top = r[..., :k, :] if shape_of(r)[-2] > k else r
    gq, gr = (None, g) if mode == "r" else (g[0], g[1])
    complete = gq is not None and shape_of(q)[-1] > k
    if complete:
        gq, gq2, gr = gq[..., :, :k], gq[..., :, k:], gr[..., :k, :]
    g_omega = -matmul(gr, T(r_top))
    gb = gr
    c = None  # the cotangent of da, apart from the terms through b
    if gq is not None:
        g_omega = g_omega + matmul(T(q1), gq)
        if m > k:
            c = _right_solve(gq, T(r1))  # gq R1^-T
            gb = gb - matmul(T(q1), c)
    g_low = tril(g_omega - H(g_omega), -1)
    if iscomplex(g_omega):
        g_low = g_low + 1j * diag_embed(imag(diag(g_omega)))
    gbk = _right_solve(g_low, T(r1))
    gb = gb + (matmul(gbk, selector(n, 0, k, a)) if n > k else gbk)
    c = matmul(conj(q1), gb) if c is None else c + matmul(conj(q1), gb)
    if complete:
        gw = -solve(conj(r1), matmul(T(q1), gq2))
        c = c + H(matmul(gw, T(q[..., :, k:])))
    return unbroadcast(c, a)


qr = Primitive("numpy.linalg.qr", np.linalg.qr, complex=True)
qr.def_vjp(_qr_vjp).def_jvp(_qr_jvp)
qr.def_samples(
    Sample(gen(rectangular(3, 3))),
    Sample(gen(rectangular(4, 3))),
    Sample(gen(rectangular(3, 5))),
    Sample(gen(rectangular(4, 3, 2))),
    Sample(gen(rectangular(3, 4)), mode="complete"),
    Sample(gen(rectangular(3, 3)), "complete"),
    Sample(gen(rectangular(4, 3)), mode="r"),
    Sample(gen(rectangular(3, 4)), "r"),
)
