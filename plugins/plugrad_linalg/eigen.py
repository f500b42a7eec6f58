"""Eigendecompositions: ``eigh`` and ``eigvalsh`` (Hermitian), ``eig`` and ``eigvals``
(general, real or complex).

For ``a V = V diag(w)`` and a tangent ``da``, with ``M = V^-1 da V`` and
``F[i, j] = 1 / (w_j - w_i)`` (0 on the diagonal):

    dw = diag(M)        dV = V (F o M) + V diag(alpha)

where ``alpha`` keeps each eigenvector normalized as the primitive returns it
(Giles, "An extended collection of matrix derivative results", 2008; Seeger et al.,
"Auto-differentiating linear algebra", 2017). For ``eigh``, ``V^-1 = V^H`` and the
tangent is the Hermitian part of ``da``; ``eig`` is holomorphic up to the
normalization. Each VJP is the exact transpose of its JVP.

Where the derivative does not exist:

- repeated eigenvalues: ``F`` is infinite, and the eigenvectors of a repeated
  eigenvalue are any basis of its eigenspace. ``eigvalsh`` / ``eigvals`` of a
  repeated eigenvalue are not differentiable either (the eigenvalues of
  ``[[1, e], [e, 1]]`` are ``1 +- |e|``). Near-repeated eigenvalues give large
  derivatives: that is the calculus, not rounding;
- ``eig`` of a defective matrix (``V`` singular).

Gauge (normalization) conventions:

- ``eigh``: real eigenvectors have NumPy's signs, which do not change under small
  perturbations. Complex eigenvectors are returned with the largest-magnitude entry of
  each real and positive (NumPy leaves that phase to LAPACK), so ``V`` is a smooth
  function of ``a``; a function invariant under ``v_j -> v_j e^(i phi)`` gets the same
  gradient as under any other phase.
- ``eig``: LAPACK's normalization, kept as NumPy returns it: unit 2-norm, and the
  largest-magnitude entry of each eigenvector real (``alpha`` above keeps both).
- ``eigh`` and ``eigvalsh`` compute on the Hermitian part ``(a + a^H) / 2`` (see the
  package), so ``UPLO`` makes no difference to the result of Hermitian input; for other
  input they warn.
- ``eigvals`` is computed through ``eig``, so its order of eigenvalues is the one its
  rules assume.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, gen
from plugrad.box import getval
from plugrad.builtins import make_sequence
from plugrad_linalg._samples import diagonalizable, hermitian, rotation_pairs
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
    square,
    unused,
)
from plugrad_linalg.inverses import solve
from plugrad_numpy._util import iscomplex, match_dtype, unbroadcast
from plugrad_numpy.linear import matmul
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.unary import conj, imag, real

# -- eigh, eigvalsh ------------------------------------------------------------------


def _hermitian(a: Any, name: str, UPLO: str) -> np.ndarray:  # noqa: N803
    """The Hermitian part of ``a``, warning where ``a`` is not Hermitian (see the package)."""
    return hermitian_part(a, name, str(UPLO).upper() != "U", f"UPLO={UPLO!r}")


def _eigh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - NumPy's name
    if not square(a):
        return np.linalg.eigh(a, UPLO)  # NumPy's error
    a = _hermitian(a, "numpy.linalg.eigh", UPLO)
    out = np.linalg.eigh(a, UPLO)
    if a.dtype.kind != "c":
        return out
    return type(out)(out[0], out[1] * peak_phase(out[1], axis=-2))


def _eigh_jvp(t: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    w, v = ans[0], ans[1]
    m = mm(H(v), herm(t), v)
    dw = real(diag(m)) if iscomplex(m) else diag(m)
    dv = matmul(v, inverse_gaps(w) * m)
    if iscomplex(v):  # keep each eigenvector's peak entry real
        mask, peak = column_peaks(v)
        dv = dv - 1j * v * (imag(sum_(mask * dv, axis=-2)) / peak)[..., None, :]
    return make_sequence(type(getval(ans)), match_dtype(dw, w), match_dtype(dv, v))


def _eigh_vjp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    w, v = ans[0], ans[1]
    gw, gv = g[0], g[1]
    if unused(gv):
        return unbroadcast(herm(mm(conj(v), diag_embed(gw), T(v))), a)
    if iscomplex(v):
        mask, peak = column_peaks(v)
        gv = gv - 1j * mask * (imag(sum_(gv * v, axis=-2)) / peak)[..., None, :]
    gm = over_gaps(matmul(T(v), gv), w) + diag_embed(gw)
    return unbroadcast(herm(mm(conj(v), gm, T(v))), a)


eigh = Primitive(
    "numpy.linalg.eigh", _eigh, complex=True, saves=("ans", "shapes"), doc=np.linalg.eigh.__doc__
)
eigh.def_vjp(_eigh_vjp).def_jvp(_eigh_jvp)
eigh.def_samples(
    Sample(gen(hermitian(3))),
    Sample(gen(hermitian(3, 2))),
    Sample(gen(hermitian(4)), UPLO="U"),
    Sample(gen(hermitian(1))),
)


def _eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    if not square(a):
        return np.linalg.eigvalsh(a, UPLO)  # NumPy's error
    return np.linalg.eigvalsh(_hermitian(a, "numpy.linalg.eigvalsh", UPLO), UPLO)


def _eigvalsh_jvp(t: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    v = eigh(herm(a), UPLO)[1]  # herm: exactly Hermitian, so no second warning
    dw = sum_(conj(v) * matmul(herm(t), v), axis=-2)  # diag(V^H t V)
    return match_dtype(real(dw) if iscomplex(dw) else dw, ans)


def _eigvalsh_vjp(g: Any, ans: Any, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    v = eigh(herm(a), UPLO)[1]
    return unbroadcast(herm(matmul(conj(v) * g[..., None, :], T(v))), a)


eigvalsh = Primitive(
    "numpy.linalg.eigvalsh", _eigvalsh, complex=True, saves=("args",), doc=np.linalg.eigvalsh.__doc__
)
eigvalsh.def_vjp(_eigvalsh_vjp).def_jvp(_eigvalsh_jvp)
eigvalsh.def_samples(
    Sample(gen(hermitian(3))),
    Sample(gen(hermitian(3, 2)), UPLO="U"),
    Sample(gen(hermitian(1))),
)


# -- eig, eigvals ---------------------------------------------------------------------


def _eig_jvp(t: Any, ans: Any, a: Any) -> Any:
    w, v = ans[0], ans[1]
    m = solve(v, matmul(t, v))
    dv = matmul(v, inverse_gaps(w) * m)
    # LAPACK's normalization: alpha keeps |v_j| = 1 and the peak entry of v_j real.
    if iscomplex(v):
        mask, peak = column_peaks(v)
        alpha = -real(sum_(conj(v) * dv, axis=-2)) - 1j * imag(sum_(mask * dv, axis=-2)) / peak
    else:
        alpha = -sum_(v * dv, axis=-2)
    dv = dv + v * alpha[..., None, :]
    return make_sequence(type(getval(ans)), match_dtype(diag(m), w), match_dtype(dv, v))


def _eig_vjp(g: Any, ans: Any, a: Any) -> Any:
    w, v = ans[0], ans[1]
    gw, gv = g[0], g[1]
    if unused(gv):
        return unbroadcast(solve(T(v), matmul(diag_embed(gw), T(v))), a)
    beta = sum_(gv * v, axis=-2)
    if iscomplex(v):
        mask, peak = column_peaks(v)
        gv = gv - conj(v) * real(beta)[..., None, :] - 1j * mask * (imag(beta) / peak)[..., None, :]
    else:
        gv = gv - v * beta[..., None, :]
    gm = over_gaps(matmul(T(v), gv), w) + diag_embed(gw)
    return unbroadcast(solve(T(v), matmul(gm, T(v))), a)


eig = Primitive("numpy.linalg.eig", np.linalg.eig, complex=True, saves=("ans", "shapes"))
eig.def_vjp(_eig_vjp).def_jvp(_eig_jvp)
eig.def_samples(
    Sample(gen(diagonalizable(3))),
    Sample(gen(diagonalizable(3, 2))),
    # Real only: complex perturbations of a real matrix can swap LAPACK's order of 1 +- 2i.
    Sample(gen(rotation_pairs())).only("float64", "float32"),
    Sample(gen(diagonalizable(1))),
)


def _eigvals(a: Any) -> Any:
    return np.linalg.eig(a)[0]


def _eigvals_jvp(t: Any, ans: Any, a: Any) -> Any:
    v = eig(a)[1]
    return match_dtype(diag(solve(v, matmul(t, v))), ans)


def _eigvals_vjp(g: Any, ans: Any, a: Any) -> Any:
    v = eig(a)[1]
    return unbroadcast(solve(T(v), g[..., :, None] * T(v)), a)  # V^-T diag(g) V^T


eigvals = Primitive(
    "numpy.linalg.eigvals", _eigvals, complex=True, saves=("args",), doc=np.linalg.eigvals.__doc__
)
eigvals.def_vjp(_eigvals_vjp).def_jvp(_eigvals_jvp)
eigvals.def_samples(
    Sample(gen(diagonalizable(3))),
    Sample(gen(diagonalizable(2, 2))),
    Sample(gen(rotation_pairs())).only("float64", "float32"),
)
