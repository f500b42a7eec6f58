"""Matrix functions: ``expm``, ``logm`` and ``sqrtm``; ``expm_frechet``, and the
trigonometric and hyperbolic ``cosm``, ``sinm``, ``tanm``, ``coshm``, ``sinhm``,
``tanhm``, composed of ``expm`` and ``solve`` as SciPy computes them.

For a primary matrix function ``f`` (one given by a power series, like ``exp``, ``log``
and ``sqrt``), the Fréchet derivative ``L(a, e)`` is the upper-right block of
``f([[a, e], [0, a]])`` (Higham, "Functions of Matrices", 2008, Theorem 3.6), and since
``f(a)^T = f(a^T)``, its transpose under plugrad's pairing is ``g -> L(a^T, g)``. So

    JVP: L(a, t)          VJP: L(a^T, g)

for ``expm`` and ``logm``, computed by ``f`` itself on the ``2n x 2n`` block matrix, so
the rules can be differentiated again (``e`` is scaled to the size of ``a`` first, for
accuracy; ``L`` is linear in ``e``). ``sqrtm`` instead differentiates ``x x = a``:
``dx`` solves the Sylvester equation ``x dx + dx x = da``, and the VJP solves the
transposed one, with ``solve_sylvester``.

Where the derivative does not exist: ``logm`` and ``sqrtm`` are the principal branches,
smooth where ``a`` has no eigenvalue on the closed negative real axis (a real ``a`` with
a negative eigenvalue has a complex logarithm and square root: SciPy returns complex
output, and the gradient of ``logm`` with respect to such a real input is real, the
derivative along real perturbations);
``sqrtm`` also needs ``x`` and ``-x`` to share no eigenvalue, which holds there.
For ``logm`` the block matrices are first turned by a unit factor ``c`` (``L(a, e) =
L(c a, c e)``) that keeps their eigenvalues away from the branch cut, which rounding would
otherwise split a repeated negative eigenvalue across (see ``_log_frechet``).
``expm`` is differentiable everywhere. SciPy computes ``logm`` of float32 input in
complex128 (with a warning that it may be inaccurate), so only float64 and complex128
are checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from plugrad import Composite, Primitive, Sample, gen, rand
from plugrad.box import Box, getval
from plugrad_linalg._samples import general, hermitian
from plugrad_linalg._util import T
from plugrad_numpy._util import dtype_of, match_dtype, shape_of
from plugrad_numpy.joining import concatenate
from plugrad_numpy._util import iscomplex
from plugrad_numpy.unary import imag, real
from plugrad_scipy_linalg.solvers import solve, solve_sylvester


def _frechet(f: Primitive, a: Any, e: Any) -> Any:
    """``L(a, e)``: the upper-right block of ``f([[a, s e], [0, a]])``, divided by ``s``."""
    n = shape_of(a)[-1]
    size = np.linalg.norm(getval(e))
    scale = float(max(np.linalg.norm(getval(a)), 1.0) / size) if size > 0 else 1.0
    zero = np.zeros(shape_of(a), dtype_of(getval(a)))
    block = concatenate([concatenate([a, e * scale], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return f(block)[..., :n, n:] / scale


expm = Primitive("scipy.linalg.expm", sl.expm, complex=True, saves=("args",))
expm.def_vjp(lambda g, ans, a: _frechet(expm, T(a), g))
expm.def_jvp(lambda t, ans, a: _frechet(expm, a, t))
expm.def_samples(
    Sample(gen(general(3))),
    Sample(rand(3, 3)),
    Sample(gen(general(2, 2))),
    Sample(rand(1, 1)),
)


def _turn(a: np.ndarray) -> Any:
    """A unit factor ``c`` that turns the eigenvalues of each matrix of ``a`` away from the
    negative real axis, centring it in the gap it crosses (``(..., 1, 1)``), or None where
    it lies in the middle already (a real ``a`` with no negative eigenvalue)."""
    phase = np.angle(np.linalg.eigvals(a))
    turn = (np.max(phase, axis=-1) + np.min(phase, axis=-1)) / 2
    return None if not np.any(turn) else np.exp(-1j * turn)[..., None, None]


def _log_frechet(a: Any, e: Any) -> Any:
    """``L(a, e)`` for ``logm``. The block matrix repeats each eigenvalue of ``a``, which
    rounding splits, off the real axis: a negative one into a pair across the branch cut,
    whose logarithms differ by 2 pi i (SciPy's logm of it is then wrong by orders of
    magnitude, or not finite). Since log(c a) = log(c) + log(a) for a unit ``c`` that
    turns no eigenvalue across the cut, L(a, e) = L(c a, c e), with the eigenvalues of
    ``c a`` away from the cut; a negative eigenvalue keeps the branch of arg pi, SciPy's."""
    c = _turn(getval(a))
    return _frechet(logm, a, e) if c is None else _frechet(logm, c * a, c * e)


logm = Primitive("scipy.linalg.logm", sl.logm, complex=True, dtypes=("float64",), saves=("args",))


def _logm_vjp(g: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    ct = _log_frechet(T(a), g)
    if iscomplex(a):
        return ct
    # A real a whose logarithm is complex (a negative eigenvalue): the derivative along
    # real perturbations, in a's dtype (SciPy computes float32 input in complex128).
    return match_dtype(real(ct) if iscomplex(ct) else ct, getval(a))


logm.def_vjp(_logm_vjp)
logm.def_jvp(lambda t, ans, a, *options, **kwargs: _log_frechet(a, t))
# SciPy 1.17 takes about 0.1 s per logm, whatever the size: the second order (the same
# rule, applied to blocks of blocks) is checked on the first sample only.
logm.def_samples(
    Sample(gen(general(2))),
    Sample(gen(hermitian(3, low=0.5))).first_order(),
    Sample(gen(general(2, 2))).first_order(),
)

def _sqrtm_vjp(g: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    ct = solve_sylvester(T(ans), T(ans), g)
    if iscomplex(a) or not iscomplex(ct):
        return ct
    return match_dtype(real(ct), a)  # a real a with a complex root: along real perturbations, as logm


sqrtm = Primitive("scipy.linalg.sqrtm", sl.sqrtm, complex=True, saves=("ans", "shapes"))
sqrtm.def_vjp(_sqrtm_vjp)
sqrtm.def_jvp(lambda t, ans, a, *options, **kwargs: solve_sylvester(ans, ans, t))
sqrtm.def_samples(
    Sample(gen(general(3))),
    Sample(gen(hermitian(3, low=0.5))),
    Sample(gen(general(3, 2))),
    Sample(gen(general(1))),
)


# -- composed of expm ---------------------------------------------------------------------


def _expm_frechet(  # noqa: N803 - SciPy's names
    A: Any, E: Any, method: Any = None, compute_expm: bool = True, check_finite: bool = True
) -> Any:
    """``scipy.linalg.expm_frechet``: ``(expm(A), L(A, E))``, or ``L(A, E)`` alone."""
    if not (isinstance(A, Box) or isinstance(E, Box)):
        return sl.expm_frechet(A, E, method, compute_expm, check_finite)
    frechet = _frechet(expm, A, E)
    return (expm(A), frechet) if compute_expm else frechet


# The trigonometric and hyperbolic functions take SciPy's argument name, A.
def _cosm(A: Any) -> Any:  # noqa: N803
    if not isinstance(A, Box):
        return sl.cosm(A)
    return (expm(1j * A) + expm(-1j * A)) / 2 if iscomplex(A) else real(expm(1j * A))


def _sinm(A: Any) -> Any:  # noqa: N803
    if not isinstance(A, Box):
        return sl.sinm(A)
    return (expm(1j * A) - expm(-1j * A)) / 2j if iscomplex(A) else imag(expm(1j * A))


def _tanm(A: Any) -> Any:  # noqa: N803
    return sl.tanm(A) if not isinstance(A, Box) else solve(_cosm(A), _sinm(A))


def _coshm(A: Any) -> Any:  # noqa: N803
    return sl.coshm(A) if not isinstance(A, Box) else (expm(A) + expm(-A)) / 2


def _sinhm(A: Any) -> Any:  # noqa: N803
    return sl.sinhm(A) if not isinstance(A, Box) else (expm(A) - expm(-A)) / 2


def _tanhm(A: Any) -> Any:  # noqa: N803
    return sl.tanhm(A) if not isinstance(A, Box) else solve(_coshm(A), _sinhm(A))


expm_frechet = Composite("scipy.linalg.expm_frechet", _expm_frechet)
cosm = Composite("scipy.linalg.cosm", _cosm)
sinm = Composite("scipy.linalg.sinm", _sinm)
tanm = Composite("scipy.linalg.tanm", _tanm)
coshm = Composite("scipy.linalg.coshm", _coshm)
sinhm = Composite("scipy.linalg.sinhm", _sinhm)
tanhm = Composite("scipy.linalg.tanhm", _tanhm)
