"""Determinants: ``det`` and ``slogdet``.

``d det(a) = tr(adj(a) da)``: the gradient of ``det`` is the cofactor matrix
``C = adj(a)^T``, a polynomial in ``a`` that exists at every matrix, singular ones
included; holomorphic, so the VJP is ``g C``. Where ``a`` is well-conditioned the rules
take ``C = det(a) a^-T`` (one inverse). Where it is singular or ill-conditioned they call
``_cofactor``, which computes ``C`` from the SVD ``a = U diag(s) V^H``, with ``p`` and
``q`` the gradient and Hessian of ``prod(s)`` (``p_i = prod_{j != i} s_j``,
``q_kl = prod_{m != k, l} s_m`` off the diagonal, 0 on it) and ``c = det(U) det(V^H)``:

    C = c conj(U) diag(p) conj(V^H)

and differentiates it by the second derivative of ``det`` in the same frame: with
``X = U^H da V``,

    dC = c conj(U) (diag(q diag(X)) - q o X^T) conj(V^H)

which is also its VJP (the Hessian of ``det`` is symmetric). No step divides by a
singular value, so ``det`` has first and second derivatives at every matrix.

``slogdet`` returns ``SlogdetResult(sign, logabsdet)``, a named tuple whose fields are
differentiable one by one. For real ``a`` the sign is locally constant (its derivative
is zero). For complex ``a``, with ``s = tr(a^-1 da)``:

    d logabsdet = Re s        d sign = i Im(s) sign

At a singular ``a`` (``logabsdet = -inf``) neither has a derivative; the rules raise
``LinAlgError`` saying so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, gen
from plugrad.box import Box, getval
from plugrad.builtins import make_sequence
from plugrad_linalg._samples import general, singular
from plugrad_linalg._util import H, T, as_matrix, diag, diag_embed, eye, mm, trace
from plugrad_linalg.inverses import inv, solve
from plugrad_linalg.svd import svd
from plugrad_numpy._util import iscomplex, match_dtype, shape_of, unbroadcast, zeros_like_value
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import _prod_partials
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.unary import conj, imag, real

# -- the cofactor matrix, at any matrix ----------------------------------------------------


def _frame(a: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``(c, U, Vh, p, q)`` of the SVD of ``a``, as in the module docstring."""
    u, s, vh = svd(a)
    n = shape_of(s)[-1]
    identity = eye(n, s)
    # Row k of the matrix is s with s_k replaced by 1: the products of each row but one
    # are q_kl off the diagonal and p_k on it, exact where some s_j are zero.
    both = _prod_partials(s[..., None, :] * (1 - identity) + identity, -1)
    p = diag(both)
    return as_matrix(det(u) * det(vh)), u, vh, p, both - diag_embed(p)


def _cofactor_fun(a: Any) -> Any:
    c, u, vh, p, _ = _frame(a)
    return c * matmul(conj(u) * p[..., None, :], conj(vh))


def _cofactor_derivative(t: Any, a: Any) -> Any:
    """``dC`` along ``t``: the second derivative of ``det`` at ``a``, as a matrix."""
    c, u, vh, _, q = _frame(a)
    x = mm(H(u), t, H(vh))
    w = diag_embed(matmul(q, diag(x)[..., None])[..., 0]) - q * T(x)
    return c * mm(conj(u), w, conj(vh))


_cofactor = Primitive(
    "numpy.linalg._cofactor",
    _cofactor_fun,
    complex=True,
    saves=("args",),
    doc="The cofactor matrix ``det(a) a^-T`` of ``a``, computed at singular ``a`` too.",
)
_cofactor.def_vjp(lambda g, ans, a: unbroadcast(_cofactor_derivative(g, a), a))
_cofactor.def_jvp(lambda t, ans, a: match_dtype(_cofactor_derivative(t, a), ans))
# Its own derivatives (det's third) go through svd's, which do not exist at repeated
# singular values (rank n-2) nor, for complex input, at a zero one: first order there.
_cofactor.def_samples(
    Sample(gen(general(3))),
    Sample(gen(general(3, 2))),
    Sample(gen(singular(3, 2))).only("float64", "float32"),
    Sample(gen(singular(3, 2))).only("complex128").first_order(),
    Sample(gen(singular(4, 2, 2))).first_order(),
)


# -- det -----------------------------------------------------------------------------------


def _cofactors(a: Any, ans: Any) -> Any:
    """det's gradient ``C`` at ``a`` (``ans = det(a)``): ``det(a) a^-T``, the fast way,
    where every matrix of ``a`` is well-conditioned, else ``_cofactor(a)``."""
    try:
        inverse = inv(a)
    except np.linalg.LinAlgError:  # an exactly zero pivot
        return _cofactor(a)
    if not isinstance(a, Box):
        # First order: det(a) a^-T is accurate however ill-conditioned a is (at rank n - 1
        # too, to 1e-15), so the check below, which a second derivative needs, is skipped:
        # it cost a 10 x 10 det's gradient as much again.
        return as_matrix(ans) * T(inverse)
    return as_matrix(ans) * T(inverse) if _well_conditioned(getval(a), getval(inverse)) else _cofactor(a)


def _well_conditioned(a: np.ndarray, inverse: np.ndarray) -> bool:
    """Whether ``1 / (|a|_1 |a^-1|_1) >= sqrt(eps)`` for every matrix. Beyond it the first
    derivative through the inverse is still accurate, but the second loses digits to the
    cancellation of ``d det(a) a^-T`` and ``det(a) d a^-T``, terms of size ``1 / s_n``."""
    condition = np.linalg.norm(a, 1, axis=(-2, -1)) * np.linalg.norm(inverse, 1, axis=(-2, -1))
    return bool(np.all(condition <= 1 / np.sqrt(np.finfo(inverse.dtype).eps)))


det = Primitive("numpy.linalg.det", np.linalg.det, complex=True)
det.def_vjp(lambda g, ans, a: unbroadcast(as_matrix(g) * _cofactors(a, ans), a))
det.def_jvp(lambda t, ans, a: match_dtype(sum_(_cofactors(a, ans) * t, axis=(-2, -1)), ans))
det.def_samples(
    Sample(gen(general(3))),
    Sample(gen(general(3, 2))),
    Sample(gen(general(1))),
    Sample(gen(singular(3, 2))).named("rank 2"),
    Sample(gen(singular(3, 1))).named("rank 1"),
    Sample(gen(singular(3, 0))).named("zero"),
    Sample(gen(singular(3, 2, 2))).named("rank 2, stacked"),
)


# -- slogdet -------------------------------------------------------------------------------


def _nonsingular(ans: Any) -> None:
    """Raise where a matrix of ``slogdet``'s input is singular: log|det| has no derivative."""
    if np.any(np.isneginf(getval(ans[1]))):
        raise np.linalg.LinAlgError(
            "numpy.linalg.slogdet: the matrix is singular (det = 0, logabsdet = -inf), where "
            "logabsdet and sign have no derivative. Differentiate numpy.linalg.det instead, whose "
            "gradient exists at every matrix, or keep the matrix away from singular ones (add a "
            "small multiple of the identity, say)."
        )


def _slogdet_vjp(g: Any, ans: Any, a: Any) -> Any:
    _nonsingular(ans)
    coefficient = g[1]  # real: the cotangent of logabsdet
    if iscomplex(a):
        coefficient = coefficient + 1j * imag(g[0] * ans[0])
    return unbroadcast(as_matrix(coefficient) * T(inv(a)), a)


def _slogdet_jvp(t: Any, ans: Any, a: Any) -> Any:
    _nonsingular(ans)
    sign, logabsdet = ans[0], ans[1]
    s = trace(solve(a, t))
    if iscomplex(s):
        dsign, dlog = 1j * imag(s) * sign, real(s)
    else:
        dsign, dlog = zeros_like_value(sign), s
    return make_sequence(type(getval(ans)), match_dtype(dsign, sign), match_dtype(dlog, logabsdet))


slogdet = Primitive("numpy.linalg.slogdet", np.linalg.slogdet, complex=True)
slogdet.def_vjp(_slogdet_vjp).def_jvp(_slogdet_jvp)
slogdet.def_samples(Sample(gen(general(3))), Sample(gen(general(3, 2))), Sample(gen(general(1))))
