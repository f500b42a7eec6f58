"""Elementwise functions that fit neither the holomorphic table of ``unary.py`` nor
the two-argument table of ``binary.py``: the complex argument ``angle``, the Bessel
function ``i0`` and the fractional part of ``modf``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, rand, scalar
from plugrad.box import Box, getval
from plugrad_numpy._util import broadcast_like, iscomplex, unbroadcast
from plugrad_numpy.unary import conj, imag, real, samples, where_nonzero


# angle(z) = atan2(imag z, real z) is not holomorphic: d angle = Im(conj(z) dz) / |z|^2,
# and Re(c * dz) = g * Im(conj(z) dz) / |z|^2 for c = -1j * g * conj(z) / |z|^2.
# Of a real argument it is 0 or pi: piecewise constant, derivative zero.
def _degrees(deg: bool) -> float:
    return 180 / math.pi if deg else 1.0


def _angle_vjp(g: Any, ans: Any, z: Any, deg: bool = False) -> Any:
    if not iscomplex(z):
        return unbroadcast(g * 0.0, z)
    return unbroadcast(-1j * _degrees(deg) * g * conj(z) / real(conj(z) * z), z)


def _angle_jvp(t: Any, ans: Any, z: Any, deg: bool = False) -> Any:
    if not iscomplex(z):
        return broadcast_like(t * 0.0, ans)
    return broadcast_like(_degrees(deg) * imag(conj(z) * t) / real(conj(z) * z), ans)


angle = Primitive("numpy.angle", np.angle, complex=True, saves=("args",))
angle.def_vjp(_angle_vjp).def_jvp(_angle_jvp)
angle.def_samples(
    *samples(0.2, 1.0),
    Sample(rand(2, 3, low=0.2, high=1.0), deg=True),
    Sample(rand(3, low=-1.0, high=-0.2)),
)


# i0' = i1, and i1' = i0 - i1 / x (which is 1/2 at x = 0).
def _i1(x: Any) -> Any:
    """The modified Bessel function of the first kind of order one, by its power series
    sum_k (x/2)^(2k+1) / (k! (k+1)!), whose terms all share one sign (no cancellation)."""
    xv = np.asarray(x)
    dtype = np.result_type(xv.dtype, np.float16)
    h = xv.astype(np.float64) / 2
    term, total, q, k = h.copy(), h.copy(), h * h, 0
    with np.errstate(over="ignore", invalid="ignore"):
        while np.any(np.abs(term) > 1e-17 * np.abs(total)):
            k += 1
            term = term * q / (k * (k + 1))
            total = total + term
    out = total.astype(dtype)
    return out if isinstance(x, np.ndarray) else out[()]


def _i1_deriv(x: Any) -> Any:
    at_zero = getval(x) == 0
    return i0(x) - i1(x) / where_nonzero(x) - 0.5 * at_zero


i0 = Primitive("numpy.i0", np.i0, saves=("args",))
i0.def_vjp(lambda g, ans, x: g * i1(x)).def_jvp(lambda t, ans, x: t * i1(x))
i0.def_samples(*samples(-2.0, 2.0), Sample(rand(3, low=5.0, high=30.0)))
i1 = Primitive("numpy._i1", _i1, saves=("args",), doc=_i1.__doc__)
i1.def_vjp(lambda g, ans, x: unbroadcast(g * _i1_deriv(x), x))
i1.def_jvp(lambda t, ans, x: broadcast_like(t * _i1_deriv(x), ans))
i1.def_samples(*samples(-2.0, 2.0), Sample(rand(3, low=5.0, high=30.0)))


# modf(x) = (x - trunc(x), trunc(x)): the fractional part has derivative one (zero where
# x is infinite and the part a constant 0); the integral part is piecewise constant.
def _fractional_part(x: Any) -> Any:
    return np.modf(x)[0]


def _finite(d: Any, x: Any) -> Any:
    xv = getval(x)
    return d if np.all(np.isfinite(xv)) else d * np.isfinite(xv)


fractional_part = Primitive(
    "numpy._fractional_part", _fractional_part, saves=("args",), doc="``numpy.modf(x)[0]``."
)
fractional_part.def_vjp(lambda g, ans, x: unbroadcast(_finite(g, x), x))
fractional_part.def_jvp(lambda t, ans, x: broadcast_like(_finite(t, x), ans))
fractional_part.def_samples(*samples(-3.0, 3.0), Sample(np.array([1.5, np.inf, -np.inf])).wrt(0))


def _modf(x: Any, *args: Any, **kwargs: Any) -> Any:
    if not isinstance(x, Box):
        return np.modf(x, *args, **kwargs)
    return fractional_part(x), np.modf(getval(x))[1]


modf = Composite("numpy.modf", _modf)
modf.__doc__ = np.modf.__doc__
