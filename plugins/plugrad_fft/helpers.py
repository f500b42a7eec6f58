"""The helpers of ``numpy.fft``: shifting the zero frequency to the centre (a
permutation, whose transpose is the inverse shift) and the sample frequencies
(which depend on lengths only, so have no derivative)."""

from __future__ import annotations

import numpy as np

from plugrad import NonDifferentiable, Primitive, Sample, rand

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

fftfreq = NonDifferentiable("numpy.fft.fftfreq", np.fft.fftfreq)
rfftfreq = NonDifferentiable("numpy.fft.rfftfreq", np.fft.rfftfreq)
