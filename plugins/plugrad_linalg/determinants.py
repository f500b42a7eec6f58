"""Determinants: ``det`` and ``slogdet``.

``d det(a) = det(a) tr(a^-1 da)`` and ``d log det(a) = tr(a^-1 da)``: holomorphic, so
the VJP is ``g det(a) a^-T``. The rules go through ``inv`` and ``solve``, so a singular
``a`` raises ``LinAlgError`` when differentiated, though ``det`` has a derivative there
(the adjugate): plugrad differentiates ``det`` only at invertible matrices.

``slogdet`` returns ``SlogdetResult(sign, logabsdet)``, a named tuple whose fields are
differentiable one by one. For real ``a`` the sign is locally constant (its derivative
is zero). For complex ``a``, with ``s = tr(a^-1 da)``:

    d logabsdet = Re s        d sign = i Im(s) sign
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, gen
from plugrad.box import getval
from plugrad.builtins import make_sequence
from plugrad_linalg._samples import general
from plugrad_linalg._util import T, as_matrix, trace
from plugrad_linalg.inverses import inv, solve
from plugrad_numpy._util import iscomplex, match_dtype, unbroadcast, zeros_like_value
from plugrad_numpy.unary import imag, real

det = Primitive("numpy.linalg.det", np.linalg.det, complex=True)
det.def_vjp(lambda g, ans, a: unbroadcast(as_matrix(g * ans) * T(inv(a)), a))
det.def_jvp(lambda t, ans, a: match_dtype(ans * trace(solve(a, t)), ans))
det.def_samples(Sample(gen(general(3))), Sample(gen(general(3, 2))), Sample(gen(general(1))))


def _slogdet_vjp(g: Any, ans: Any, a: Any) -> Any:
    coefficient = g[1]  # real: the cotangent of logabsdet
    if iscomplex(a):
        coefficient = coefficient + 1j * imag(g[0] * ans[0])
    return unbroadcast(as_matrix(coefficient) * T(inv(a)), a)


def _slogdet_jvp(t: Any, ans: Any, a: Any) -> Any:
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
