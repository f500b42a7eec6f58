"""Matrix functions: ``expm``, ``logm`` and ``sqrtm``.

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
output, whose derivative with respect to the real input plugrad does not give);
``sqrtm`` also needs ``x`` and ``-x`` to share no eigenvalue, which holds there.
``expm`` is differentiable everywhere. SciPy computes ``logm`` of float32 input in
complex128 (with a warning that it may be inaccurate), so only float64 and complex128
are checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from plugrad import Primitive, Sample, gen, rand
from plugrad.box import getval
from plugrad_linalg._samples import general, hermitian
from plugrad_linalg._util import T
from plugrad_numpy._util import dtype_of, shape_of
from plugrad_numpy.joining import concatenate
from plugrad_scipy_linalg.solvers import solve_sylvester


def _frechet(f: Primitive, a: Any, e: Any) -> Any:
    """``L(a, e)``: the upper-right block of ``f([[a, s e], [0, a]])``, divided by ``s``."""
    n = shape_of(a)[-1]
    size = np.linalg.norm(getval(e))
    scale = float(max(np.linalg.norm(getval(a)), 1.0) / size) if size > 0 else 1.0
    zero = np.zeros(shape_of(a), dtype_of(getval(a)))
    block = concatenate([concatenate([a, e * scale], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return f(block)[..., :n, n:] / scale


expm = Primitive("scipy.linalg.expm", sl.expm, complex=True)
expm.def_vjp(lambda g, ans, a: _frechet(expm, T(a), g))
expm.def_jvp(lambda t, ans, a: _frechet(expm, a, t))
expm.def_samples(
    Sample(gen(general(3))),
    Sample(rand(3, 3)),
    Sample(gen(general(2, 2))),
    Sample(rand(1, 1)),
)

logm = Primitive("scipy.linalg.logm", sl.logm, complex=True, dtypes=("float64",))
logm.def_vjp(lambda g, ans, a, *options, **kwargs: _frechet(logm, T(a), g))
logm.def_jvp(lambda t, ans, a, *options, **kwargs: _frechet(logm, a, t))
# SciPy 1.17 takes about 0.1 s per logm, whatever the size: the second order (the same
# rule, applied to blocks of blocks) is checked on the first sample only.
logm.def_samples(
    Sample(gen(general(2))),
    Sample(gen(hermitian(3, low=0.5))).first_order(),
    Sample(gen(general(2, 2))).first_order(),
)

sqrtm = Primitive("scipy.linalg.sqrtm", sl.sqrtm, complex=True)
sqrtm.def_vjp(lambda g, ans, a, *options, **kwargs: solve_sylvester(T(ans), T(ans), g))
sqrtm.def_jvp(lambda t, ans, a, *options, **kwargs: solve_sylvester(ans, ans, t))
sqrtm.def_samples(
    Sample(gen(general(3))),
    Sample(gen(hermitian(3, low=0.5))),
    Sample(gen(general(3, 2))),
    Sample(gen(general(1))),
)
