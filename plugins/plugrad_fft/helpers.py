"""The helpers of ``numpy.fft``: shifting the zero frequency to the centre (a
permutation, whose transpose is the inverse shift) and the sample frequencies, which
are the integer grid ``k`` over ``n d``: differentiable in the spacing ``d``
(``d/dd (k / (n d)) = -ans / d``), not in the integer length ``n``."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand, scalar
from plugrad_numpy._util import unbroadcast

# The rules read only ``axes``: "shapes" keeps it where it is passed by position.
fftshift = Primitive("numpy.fft.fftshift", np.fft.fftshift, complex=True, saves=("shapes",))
ifftshift = Primitive("numpy.fft.ifftshift", np.fft.ifftshift, complex=True, saves=("shapes",))
fftshift.def_vjp(lambda g, ans, x, axes=None: ifftshift(g, axes)).def_linear()
ifftshift.def_vjp(lambda g, ans, x, axes=None: fftshift(g, axes)).def_linear()
for _prim in (fftshift, ifftshift):
    _prim.def_samples(
        Sample(rand(5)),
        Sample(rand(4)),
        Sample(rand(3, 4)),
        Sample(rand(3, 5), 0),
        Sample(rand(2, 3, 5), axes=(-1, 0)),
    )


# The frequencies are NumPy's own, bit for bit; the rules read them (``ans``) and ``d``,
# so they differentiate again to any order (``ans`` is traced where ``d`` is).
def _freq_vjp(g: Any, ans: Any, n: int, d: Any = 1.0, device: Any = None) -> Any:
    return unbroadcast(-(g * ans) / d, d)


def _freq_jvp(t: Any, ans: Any, n: int, d: Any = 1.0, device: Any = None) -> Any:
    return -(ans * t) / d


fftfreq = Primitive("numpy.fft.fftfreq", np.fft.fftfreq)
rfftfreq = Primitive("numpy.fft.rfftfreq", np.fft.rfftfreq)
for _prim in (fftfreq, rfftfreq):
    _prim.def_vjp(None, _freq_vjp).def_jvp(None, _freq_jvp)  # n, an integer, has none
    _prim.def_samples(
        Sample(6, scalar(0.2, 2.0)),
        Sample(7, scalar(-2.0, -0.2)),  # a negative spacing
        Sample(1, rand(low=0.5, high=1.5)),  # a 0-d array
    )
