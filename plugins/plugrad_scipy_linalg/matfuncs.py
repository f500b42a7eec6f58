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

logm = Primitive("scipy.linalg.logm", sl.logm, complex=True, dtypes=("float64",), saves=("args",))
def _logm_vjp(g: Any, ans: Any, a: Any, *options: Any, **kwargs: Any) -> Any:
    ct = _frechet(logm, T(a), g)
    if iscomplex(a):
        return ct
    # A real a whose logarithm is complex (a negative eigenvalue): the derivative along
    # real perturbations, in a's dtype (SciPy computes float32 input in complex128).
    return match_dtype(real(ct) if iscomplex(ct) else ct, getval(a))


logm.def_vjp(_logm_vjp)
logm.def_jvp(lambda t, ans, a, *options, **kwargs: _frechet(logm, a, t))
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


def _expm_frechet(
    a: Any, e: Any, method: Any = None, compute_expm: bool = True, check_finite: bool = True
) -> Any:
    """``scipy.linalg.expm_frechet``: ``(expm(a), L(a, e))``, or ``L(a, e)`` alone."""
    if not (isinstance(a, Box) or isinstance(e, Box)):
        return sl.expm_frechet(a, e, method, compute_expm, check_finite)
    frechet = _frechet(expm, a, e)
    return (expm(a), frechet) if compute_expm else frechet


def _cosm(a: Any) -> Any:
    if not isinstance(a, Box):
        return sl.cosm(a)
    return (expm(1j * a) + expm(-1j * a)) / 2 if iscomplex(a) else real(expm(1j * a))


def _sinm(a: Any) -> Any:
    if not isinstance(a, Box):
        return sl.sinm(a)
    return (expm(1j * a) - expm(-1j * a)) / 2j if iscomplex(a) else imag(expm(1j * a))


def _tanm(a: Any) -> Any:
    return sl.tanm(a) if not isinstance(a, Box) else solve(_cosm(a), _sinm(a))


def _coshm(a: Any) -> Any:
    return sl.coshm(a) if not isinstance(a, Box) else (expm(a) + expm(-a)) / 2


def _sinhm(a: Any) -> Any:
    return sl.sinhm(a) if not isinstance(a, Box) else (expm(a) - expm(-a)) / 2


def _tanhm(a: Any) -> Any:
    return sl.tanhm(a) if not isinstance(a, Box) else solve(_coshm(a), _sinhm(a))


expm_frechet = Composite("scipy.linalg.expm_frechet", _expm_frechet)
cosm = Composite("scipy.linalg.cosm", _cosm)
sinm = Composite("scipy.linalg.sinm", _sinm)
tanm = Composite("scipy.linalg.tanm", _tanm)
coshm = Composite("scipy.linalg.coshm", _coshm)
sinhm = Composite("scipy.linalg.sinhm", _sinhm)
tanhm = Composite("scipy.linalg.tanhm", _tanhm)
