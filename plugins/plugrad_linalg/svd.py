"""The singular value decomposition: ``svd`` and ``svdvals``.

For ``a = U diag(s) V^H`` (``k = min(m, n)`` singular values) and a tangent ``da``,
with ``dP = U^H da V`` and ``F[i, j] = 1 / (s_j^2 - s_i^2)`` (0 on the diagonal):

    ds   = Re diag(dP)
    dU   = U (F o (dP S + S dP^H) + i diag(Im diag(dP) / s)) + (I - U U^H) da V S^-1
    dV   = V (F o (S dP + dP^H S))                          + (I - V V^H) da^H U S^-1

(Townsend, "Differentiating the singular value decomposition", 2016, with the complex
diagonal term of Wan and Zhang, 2019). The VJP is the exact transpose of this JVP.

Where the derivative does not exist:

- repeated singular values (``F`` is infinite): the singular vectors of a repeated
  singular value are any basis of a subspace; ``svdvals`` and functions of ``U`` and
  ``V`` invariant under that choice still have derivatives, but these rules divide by
  zero. A zero singular value of a non-square matrix likewise (``S^-1``). Where ``U``
  and ``Vh`` are not used, their terms are left out, so a function of the singular
  values alone (the nuclear norm) gets ``svdvals``' finite derivative;
- complex singular vectors are unique only up to a phase ``u_j -> u_j e^(i phi)``,
  ``v_j -> v_j e^(i phi)``. This primitive fixes it: the largest-magnitude entry of
  each row of ``Vh`` is real and positive (NumPy leaves the phase to LAPACK), which
  makes ``U`` and ``Vh`` smooth functions of ``a``. A function that does not depend on
  the phase (``U diag(s) Vh``, ``|U|``) gets the same gradient as under any other phase;
- ``full_matrices=True`` with ``m != n``: the extra columns of ``U`` (rows of ``Vh``)
  are any orthonormal basis of the complement. Their derivative here is the one that
  rotates the complement least (``U2^H dU2 = 0``): exact for functions invariant under
  a change of that basis (the projector ``U2 U2^H``), not the derivative of LAPACK's
  particular basis. Use ``full_matrices=False`` unless you need the complement.

``hermitian=True`` decomposes the Hermitian part ``(a + a^H) / 2``, warning where ``a``
is not Hermitian (see the package).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, gen
from plugrad.box import getval
from plugrad.builtins import make_sequence
from plugrad_linalg._samples import hermitian as hermitian_matrices
from plugrad_linalg._samples import rectangular
from plugrad_linalg._util import (
    H,
    T,
    column_peaks,
    diag,
    diag_embed,
    herm,
    hermitian_part,
    inverse_gaps,
    over_gaps,
    mm,
    peak_phase,
    selector,
    square,
    unused,
)
from plugrad_numpy._util import iscomplex, match_dtype, shape_of, unbroadcast
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.unary import conj, imag, real


def _svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    if hermitian and square(a):  # (NumPy's error otherwise)
        a = hermitian_part(a, "numpy.linalg.svd", True, "hermitian=True")
    out = np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    if not compute_uv or np.asarray(a).dtype.kind != "c":
        return out
    u, s, vh = out
    k = s.shape[-1]
    phase = peak_phase(vh[..., :k, :], axis=-1)  # (..., k, 1)
    vh, u = vh.copy(), u.copy()
    vh[..., :k, :] *= phase
    u[..., :, :k] *= np.conj(np.swapaxes(phase, -1, -2))
    return type(out)(u, s, vh)


def _thin(u: Any, vh: Any, k: int) -> tuple[Any, Any]:
    """The first ``k`` columns of ``u`` and rows of ``vh``."""
    u1 = u[..., :, :k] if shape_of(u)[-1] > k else u
    vh1 = vh[..., :k, :] if shape_of(vh)[-2] > k else vh
    return u1, vh1


def _scaled(s: Any) -> tuple[Any, np.ndarray]:
    """``s`` over ``c``, the power of two nearest above each matrix's largest singular value
    (1 for a zero matrix), and ``c`` shaped ``(..., 1, 1)``: ``F`` of ``s`` is ``F`` of
    ``s / c`` over ``c^2``, whose squares neither overflow (``s`` beyond 1e154) nor
    underflow (below 1e-154) as ``s * s`` does. A power of two divides exactly, so equal
    values stay equal and distinct ones distinct (:func:`over_gaps` reads the gaps' zeros),
    and ``c`` is a constant, read off the values, so the identity holds at every order."""
    values = np.asarray(getval(s))
    _, exponent = np.frexp(np.max(values, axis=-1, keepdims=True, initial=0.0))
    c = np.ldexp(np.ones((), values.dtype), exponent)
    return s / c, c[..., None]


def _values_jvp(t: Any, a: Any, hermitian: bool) -> Any:
    u, s, vh = svd(herm(a) if hermitian else a, False, True, hermitian)  # no second warning
    ds = sum_(conj(u) * matmul(t, H(vh)), axis=-2)  # Re diag(U^H t V)
    return match_dtype(real(ds) if iscomplex(ds) else ds, s)


def _values_vjp(g: Any, a: Any, hermitian: bool) -> Any:
    u, s, vh = svd(herm(a) if hermitian else a, False, True, hermitian)
    return _values_cotangent(g, u, vh)


def _values_cotangent(g: Any, u: Any, vh: Any) -> Any:
    """``conj(U diag(g) Vh)``, with ``U`` and ``Vh`` thin: the cotangent of ``a`` from ``g``,
    that of its singular values."""
    return matmul(conj(u) * g[..., None, :], conj(vh))


def _svd_jvp(
    t: Any, ans: Any, a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    if hermitian:
        t = herm(t)
    if not compute_uv:
        return _values_jvp(t, a, hermitian)
    u, s, vh = ans[0], ans[1], ans[2]
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    u1, vh1 = _thin(u, vh, k)
    v1 = H(vh1)
    complex_ = iscomplex(u)
    row, col = s[..., None, :], s[..., :, None]
    scaled, top = _scaled(s)
    f = inverse_gaps(scaled * scaled) / top  # F S, as F(s / c) (S / c) / c
    row_c, col_c = scaled[..., None, :], scaled[..., :, None]

    tv = matmul(t, v1)
    dp = matmul(H(u1), tv)
    dph = H(dp)
    ds = real(diag(dp)) if complex_ else diag(dp)
    om_u = f * (dp * row_c + col_c * dph)
    if complex_:
        om_u = om_u + 1j * diag_embed(imag(diag(dp)) / s)
    du = matmul(u1, om_u)
    if m > k:
        du = du + (tv - matmul(u1, dp)) / row
    dv = matmul(v1, f * (col_c * dp + dph * row_c))
    if n > k:
        dv = dv + (matmul(H(t), u1) - matmul(v1, dph)) / row
    dvh = H(dv)
    if complex_:  # keep the peak of each row of Vh real
        mask, peak = column_peaks(vh1, axis=-1)
        theta = imag(sum_(mask * dvh, axis=-1)) / peak
        du = du + 1j * u1 * theta[..., None, :]
        dvh = dvh - 1j * vh1 * theta[..., :, None]
    if shape_of(u)[-1] > k:  # the complement of U, rotated least: dU2 = -U1 S^-1 (U2^H da V)^H
        u2 = u[..., :, k:]
        du2 = -matmul(u1, H(matmul(H(u2), tv)) / col)
        du = matmul(du, selector(m, 0, k, a)) + matmul(du2, selector(m, k, m, a))
    if shape_of(vh)[-2] > k:  # the complement of V: dV2 = -V1 S^-1 U1^H da V2
        v2 = H(vh[..., k:, :])
        dv2 = -matmul(v1, mm(H(u1), t, v2) / col)
        dvh = matmul(T(selector(n, 0, k, a)), dvh) + matmul(T(selector(n, k, n, a)), H(dv2))
    return make_sequence(type(getval(ans)), match_dtype(du, u), match_dtype(ds, s), match_dtype(dvh, vh))


def _svd_vjp(
    g: Any, ans: Any, a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    if not compute_uv:
        c = _values_vjp(g, a, hermitian)
        return unbroadcast(herm(c) if hermitian else c, a)
    u, s, vh = ans[0], ans[1], ans[2]
    gu, gs, gvh = g[0], g[1], g[2]
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    u1, vh1 = _thin(u, vh, k)
    if unused(gu) and unused(gvh):  # a function of the singular values alone: svdvals' rule
        c = _values_cotangent(gs, u1, vh1)
        return unbroadcast(herm(c) if hermitian else c, a)
    gu1, gvh1 = _thin(gu, gvh, k)
    v1 = H(vh1)
    complex_ = iscomplex(u)
    row, col = s[..., None, :], s[..., :, None]
    scaled, top = _scaled(s)
    squares = scaled * scaled  # F S as in the JVP: F(s / c) (S / c) / c
    row_c, col_c = scaled[..., None, :], scaled[..., :, None]

    if complex_:  # transpose of the phase fixing
        mask, peak = column_peaks(vh1, axis=-1)
        beta_u = imag(sum_(gu1 * u1, axis=-2))
        beta_v = imag(sum_(gvh1 * vh1, axis=-1))
        gvh1 = gvh1 - 1j * mask * ((beta_v - beta_u) / peak)[..., :, None]
    gv1 = H(gvh1)
    g_om_u = matmul(T(u1), gu1)
    g_om_v = matmul(T(v1), gv1)

    gdp = diag_embed(gs)
    gtv = None  # the cotangent of da V
    c = None  # the cotangent of da, from terms not through da V
    if m > k:
        eu = gu1 / row
        gtv = eu
        gdp = gdp - matmul(T(u1), eu)
    if n > k:
        ev = gv1 / row
        c = matmul(conj(u1), H(ev))
        gdp = gdp - H(matmul(T(v1), ev))
    q = over_gaps(g_om_u, squares) / top
    gdp = gdp + q * row_c + H(col_c * q)
    if complex_:
        gdp = gdp + 1j * diag_embed(imag(diag(g_om_u)) / s)
    r = over_gaps(g_om_v, squares) / top
    gdp = gdp + col_c * r + H(r * row_c)
    gtv = matmul(conj(u1), gdp) if gtv is None else gtv + matmul(conj(u1), gdp)
    if shape_of(u)[-1] > k:
        u2 = u[..., :, k:]
        gw = H(-matmul(T(u1), gu[..., :, k:]) / col)
        gtv = gtv + matmul(conj(u2), gw)
    c = matmul(gtv, T(v1)) if c is None else c + matmul(gtv, T(v1))
    if shape_of(vh)[-2] > k:
        v2 = H(vh[..., k:, :])
        gz = -matmul(T(v1), H(gvh[..., k:, :])) / col
        c = c + mm(conj(u1), gz, T(v2))
    return unbroadcast(herm(c) if hermitian else c, a)


svd = Primitive("numpy.linalg.svd", _svd, complex=True, doc=np.linalg.svd.__doc__)
svd.def_vjp(_svd_vjp).def_jvp(_svd_jvp)
svd.def_samples(
    Sample(gen(rectangular(3, 3))),
    Sample(gen(rectangular(4, 3)), full_matrices=False),
    Sample(gen(rectangular(3, 4)), False),
    Sample(gen(rectangular(3, 2, 2)), full_matrices=False),
    Sample(gen(rectangular(4, 3)), compute_uv=False),
    Sample(gen(rectangular(2, 3, 2)), False, False),
    Sample(gen(hermitian_matrices(3, low=-2.3)), hermitian=True),
    Sample(gen(hermitian_matrices(3, low=-2.3)), compute_uv=False, hermitian=True),
)

svdvals = Primitive("numpy.linalg.svdvals", np.linalg.svdvals, complex=True, saves=("args",))
svdvals.def_vjp(lambda g, ans, x: unbroadcast(_values_vjp(g, x, False), x))
svdvals.def_jvp(lambda t, ans, x: _values_jvp(t, x, False))
svdvals.def_samples(
    Sample(gen(rectangular(3, 3))),
    Sample(gen(rectangular(4, 2))),
    Sample(gen(rectangular(2, 3, 2))),
)
