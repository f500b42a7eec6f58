"""Bessel functions: cylindrical (J, Y, I, K and the Hankel functions, with their
exponentially scaled forms), spherical, and the Struve functions.

Derivatives in the argument follow from the recurrences (DLMF 10.6.1, 10.29.1):
``C_v' = (C_(v-1) - C_(v+1)) / 2`` for ``C = J, Y, H``, ``I_v' = (I_(v-1) + I_(v+1)) / 2``
and ``K_v' = -(K_(v-1) + K_(v+1)) / 2``; the scaled forms add the derivative of their
scale factor. Derivatives in the order ``v`` have no closed form and are left undefined.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand
from plugrad.box import getval
from plugrad_numpy._util import broadcast_like, iscomplex, unbroadcast
from plugrad_numpy.unary import absolute, imag, real, sqrt
from plugrad_scipy_special._rules import anywhere, by_branch, elementwise, order_samples, with_order

_INTEGER = [0, 1, 2, 3]
_REAL = [0.0, 0.5, 1.7, -0.7]


def _sign(x: Any) -> Any:
    return np.sign(getval(x))


def _order_family(
    name: str,
    fun: Callable[..., Any],
    combine: Callable[[Any, Any], Any],
    scale: Callable[[Any, Any], Any] | None = None,
    *,
    orders: list[Any] = _REAL,
    low: float = 0.3,
    high: float = 3.0,
    complex: bool = False,
) -> Any:
    """``fun(v, x)`` with ``d/dx = combine(fun(v-1, x), fun(v+1, x)) (+ scale(ans, x))``."""

    def deriv(ans: Any, v: Any, x: Any) -> Any:
        d = combine(prim(v - 1, x), prim(v + 1, x))
        return d if scale is None else d + scale(ans, x)

    saves = ("args",) if scale is None else ("ans", "args")  # only the scale reads ans
    prim = with_order(name, fun, deriv, order_samples(orders, low, high), complex=complex, saves=saves)
    return prim


def _difference(lower: Any, upper: Any) -> Any:
    return (lower - upper) / 2


def _modified(lower: Any, upper: Any) -> Any:
    return (lower + upper) / 2


def _modified_k(lower: Any, upper: Any) -> Any:
    return -(lower + upper) / 2


def _scaled_at_complex(prim: Any, combine: Callable[[Any, Any], Any], part: Callable[[Any], Any]) -> None:
    """Rules of ``prim(v, z) = C_v(z) e^(-|part(z)|)`` (``part`` is ``real`` for ``ive``,
    ``imag`` for ``jve`` and ``yve``), which is not holomorphic at complex ``z``: with
    ``d = combine(prim(v-1, z), prim(v+1, z)) = C_v'(z) e^(-|part(z)|)`` and
    ``s = -sign(part(z))``, ``d prim = d dz + s prim part(dz)``. At real ``z`` the rules
    already there are kept."""
    real_vjp, real_jvp = prim.vjp_rule(1), prim.jvp_rule(1)

    def vjp(g: Any, ans: Any, v: Any, x: Any) -> Any:
        if not iscomplex(x):
            return real_vjp(g, ans, v, x)
        d = combine(prim(v - 1, x), prim(v + 1, x))
        ans = prim(v, x) if ans is None else ans  # jve and yve keep only their arguments
        k = real(g * ans) * -np.sign(getval(part(x)))  # the cotangent of part(z), a real
        return unbroadcast(g * d + (k if part is real else -1j * k), x)

    def jvp(t: Any, ans: Any, v: Any, x: Any) -> Any:
        if not iscomplex(x):
            return real_jvp(t, ans, v, x)
        d = combine(prim(v - 1, x), prim(v + 1, x))
        ans = prim(v, x) if ans is None else ans
        return broadcast_like(t * d - np.sign(getval(part(x))) * part(t) * ans, ans)

    prim.def_vjp(None, vjp).def_jvp(None, jvp)


# Of the first and second kind. jve and yve equal jv and yv at real arguments.
jv = _order_family("jv", sc.jv, _difference, complex=True)
jn = _order_family("jn", sc.jn, _difference, orders=_INTEGER, low=-3.0, high=3.0, complex=True)
jve = _order_family("jve", sc.jve, _difference, complex=True)
yv = _order_family("yv", sc.yv, _difference, complex=True)
yn = _order_family("yn", sc.yn, _difference, orders=_INTEGER)
yve = _order_family("yve", sc.yve, _difference, complex=True)
j0 = elementwise("j0", sc.j0, lambda ans, x: -j1(x), low=-3.0, high=3.0)
j1 = elementwise("j1", sc.j1, lambda ans, x: (j0(x) - jv(2, x)) / 2, low=-3.0, high=3.0)
y0 = elementwise("y0", sc.y0, lambda ans, x: -y1(x), low=0.3, high=3.0)
y1 = elementwise("y1", sc.y1, lambda ans, x: (y0(x) - yn(2, x)) / 2, low=0.3, high=3.0)

# Modified. ive = iv e^-|x| and i0e, i1e alike (real arguments: |x| is not holomorphic);
# kve = kv e^x, holomorphic.
iv = _order_family("iv", sc.iv, _modified, complex=True)
ive = _order_family("ive", sc.ive, _modified, lambda ans, x: -_sign(x) * ans, complex=True)
_scaled_at_complex(jve, _difference, imag)
_scaled_at_complex(yve, _difference, imag)
_scaled_at_complex(ive, _modified, real)
kv = _order_family("kv", sc.kv, _modified_k, complex=True)
kve = _order_family("kve", sc.kve, _modified_k, lambda ans, x: ans, complex=True)
i0 = elementwise("i0", sc.i0, lambda ans, x: i1(x), low=-3.0, high=3.0)
i1 = elementwise("i1", sc.i1, lambda ans, x: (i0(x) + iv(2, x)) / 2, low=-3.0, high=3.0)


# The scaled forms far out (|x| > 30): their derivatives, about -ans / (2x), are what is left
# of terms of size ans, losing a factor 2x (and SciPy's ive(2, x) and kve(2, x), read by the
# recurrence, are NaN past |x| = 1.5e9). There, instead, the derivative of the asymptotic
# series (DLMF 10.40.1, 10.40.2) I_v e^-|x| ~ (2 pi |x|)^(-1/2) sum_k (-1)^k a_k(v) / |x|^k
# and K_v e^x ~ (pi / (2x))^(1/2) sum_k a_k(v) / x^k, with a_k(v) = prod_(j<=k) (4v^2 -
# (2j-1)^2) / (k! 8^k): its twentieth term is below 1e-17 of the sum at 30, and the e^-2|x|
# that I_v's leaves out is below 1e-26 there.
_SCALED_FAR = 30.0


def _asymptotic(v: int, sign: int, factor: float) -> Callable[[Any], Any]:
    """``d/dx`` of ``factor x^(-1/2) sum_k sign^k a_k(v) / x^k`` at ``|x|`` (even in ``x``)."""
    coefs = []
    for k in range(20):
        a_k = math.prod(4 * v * v - (2 * j - 1) ** 2 for j in range(1, k + 1)) / (math.factorial(k) * 8**k)
        coefs.append(-factor * sign**k * a_k * (k + 0.5))

    def deriv(x: Any) -> Any:
        t = 1 / absolute(x)
        total: Any = 0.0
        for c in reversed(coefs):  # Horner's rule in t = 1 / |x|
            total = total * t + c
        return total * t * sqrt(t)

    return deriv


def _far_scaled(
    near: Callable[[Any, Any], Any], far: Callable[[Any], Any], *, even: bool
) -> Callable[[Any, Any], Any]:
    """``far`` past ``_SCALED_FAR`` (past ``-_SCALED_FAR`` too where ``even``), else ``near``."""

    def deriv(ans: Any, x: Any) -> Any:
        xv = getval(x)
        outside = (abs(xv) if even else xv) > _SCALED_FAR
        if not anywhere(outside):
            return near(ans, x)
        return by_branch(outside, x, 2 * _SCALED_FAR, far, 1.0, lambda x: near(ans, x))

    return deriv


_I_FACTOR = 1 / math.sqrt(2 * math.pi)
_K_FACTOR = math.sqrt(math.pi / 2)
_I0E_FAR = _asymptotic(0, -1, _I_FACTOR)  # i0e is even: its derivative is odd, sign(x) times this
i0e = elementwise(
    "i0e",
    sc.i0e,
    _far_scaled(lambda ans, x: i1e(x) - _sign(x) * ans, lambda x: _sign(x) * _I0E_FAR(x), even=True),
    low=0.2,
    high=3.0,
    saves=("ans", "args"),
)
i1e = elementwise(
    "i1e",
    sc.i1e,
    _far_scaled(
        lambda ans, x: (i0e(x) + ive(2, x)) / 2 - _sign(x) * ans, _asymptotic(1, -1, _I_FACTOR), even=True
    ),
    low=0.2,
    high=3.0,
    saves=("ans", "args"),
)
for _scaled in (i0e, i1e):
    _scaled.def_samples(
        Sample(rand(4, low=-3.0, high=-0.2)),
        Sample(rand(4, low=20.0, high=50.0)),  # across |x| = 30, where the series takes over
        Sample(rand(4, low=-50.0, high=-20.0)),
    )
k0 = elementwise("k0", sc.k0, lambda ans, x: -k1(x), low=0.3, high=3.0)
# K1' = -K0 - K1 / x (DLMF 10.29.2), not -(K0 + K2) / 2: SciPy's kv(2, x) underflows to 0
# from x = 700, where K0 and K1 are still above 1e-306.
k1 = elementwise("k1", sc.k1, lambda ans, x: -k0(x) - ans / x, low=0.3, high=3.0, saves=("ans", "args"))
k0e = elementwise(
    "k0e",
    sc.k0e,
    _far_scaled(lambda ans, x: ans - k1e(x), _asymptotic(0, 1, _K_FACTOR), even=False),
    low=0.3,
    high=3.0,
    saves=("ans", "args"),
)
k1e = elementwise(
    "k1e",
    sc.k1e,
    _far_scaled(lambda ans, x: ans - (k0e(x) + kve(2, x)) / 2, _asymptotic(1, 1, _K_FACTOR), even=False),
    low=0.3,
    high=3.0,
    saves=("ans", "args"),
)
for _scaled in (k0e, k1e):
    _scaled.def_samples(Sample(rand(4, low=20.0, high=50.0)))  # across x = 30

# Hankel functions, complex even at real arguments; hankel1e = H1 e^-iz, hankel2e = H2 e^iz.
hankel1 = _order_family("hankel1", sc.hankel1, _difference, complex=True)
hankel2 = _order_family("hankel2", sc.hankel2, _difference, complex=True)
hankel1e = _order_family("hankel1e", sc.hankel1e, _difference, lambda ans, x: -1j * ans, complex=True)
hankel2e = _order_family("hankel2e", sc.hankel2e, _difference, lambda ans, x: 1j * ans, complex=True)

# Struve: (x^v H_v)' = x^v H_(v-1), so H_v' = H_(v-1) - v H_v / x; the same for L_v. Near
# x = 0 that quotient is 0 / 0 (and its derivatives worse): there (|x| < 1), the derivative
# of the power series H_v = sum_k (-1)^k (x/2)^(2k+v+1) / (Gamma(k + 3/2) Gamma(k + v + 3/2))
# (DLMF 11.2.1; L_v without the signs), to k = 16, below a double's precision there.


def _struve_deriv(modified: bool) -> Any:
    def deriv(ans: Any, v: Any, x: Any) -> Any:
        own = modstruve if modified else struve

        def series(x: Any) -> Any:
            vv = np.asarray(getval(v), np.float64)
            total: Any = 0.0
            for k in range(17):
                c = (1.0 if modified or k % 2 == 0 else -1.0) * (2 * k + vv + 1) / 2
                total = total + c / (sc.gamma(k + 1.5) * sc.gamma(k + vv + 1.5)) * (x / 2) ** (2 * k + vv)
            return total

        near = np.abs(np.asarray(getval(x))) < 1
        return by_branch(near, x, 0.5, series, 2.0, lambda x: own(v - 1, x) - v * ans / x)

    return deriv


struve = with_order(
    "struve",
    sc.struve,
    _struve_deriv(False),
    order_samples([0.0, 1.0, 1.5, 2.5], 0.3, 3.0),
    saves=("ans", "args"),
)
modstruve = with_order(
    "modstruve",
    sc.modstruve,
    _struve_deriv(True),
    order_samples([0.0, 1.0, 1.5, 2.5], 0.3, 3.0),
    saves=("ans", "args"),
)


# Spherical Bessel functions. SciPy gives the first derivative (derivative=True); the
# second comes from the differential equation z^2 f'' + 2 z f' = (-/+ z^2 + n(n+1)) f.
def _spherical(name: str, fun: Callable[..., Any], modified: bool, *, complex: bool, regular: bool) -> Any:
    sign = 1.0 if modified else -1.0

    def deriv(ans: Any, n: Any, z: Any, derivative: bool = False) -> Any:
        if not derivative:
            return prim(n, z, derivative=True)
        ode = lambda z: -2 * ans / z + (sign + n * (n + 1) / (z * z)) * prim(n, z)  # noqa: E731
        if not regular:
            return ode(z)
        # Near 0, where the equation's terms are 0 / 0 at 0 (for j_n and i_n, which are regular there).
        near = np.abs(np.asarray(getval(z))) < 0.5
        return by_branch(near, z, 0.25, lambda z: _second_derivative_series(n, z, modified), 1.0, ode)

    prim = with_order(name, fun, deriv, [], complex=complex, saves=("ans", "args"))
    prim.def_samples(*order_samples(_INTEGER, 0.5, 3.0))
    prim.def_samples(
        Sample(1, rand(3, low=0.5, high=3.0), derivative=True),
        Sample(2, rand(2, 2, low=0.5, high=3.0), derivative=True),
    )
    if regular:
        prim.def_samples(Sample(np.array([0, 1, 2]), rand(3, low=-0.3, high=0.3), derivative=True))
    return prim


def _second_derivative_series(n: Any, z: Any, modified: bool) -> Any:
    """``d^2/dz^2`` of ``j_n`` (``i_n`` if ``modified``) by the power series
    ``sum_k (-1)^k z^(2k+n) / (2^k k! (2n+2k+1)!!)`` (DLMF 10.53.1; no signs for ``i_n``), to
    ``k = 11``, below a double's precision for ``|z| < 0.5``."""
    nn = np.asarray(getval(n), np.float64)
    total: Any = 0.0
    for k in range(12):
        e = 2 * k + nn  # the power; its second derivative's coefficient e (e - 1) is 0 for e < 2
        double_factorial = 2 ** (k + nn + 1) * sc.gamma(k + nn + 1.5) / np.sqrt(np.pi)  # (2n+2k+1)!!
        c = (1.0 if modified or k % 2 == 0 else -1.0) * e * (e - 1) / (2.0**k * math.factorial(k) * double_factorial)
        total = total + c * z ** np.maximum(e - 2, 0)
    return total


spherical_jn = _spherical("spherical_jn", sc.spherical_jn, modified=False, complex=True, regular=True)
spherical_yn = _spherical("spherical_yn", sc.spherical_yn, modified=False, complex=True, regular=False)
spherical_in = _spherical("spherical_in", sc.spherical_in, modified=True, complex=True, regular=True)
spherical_kn = _spherical("spherical_kn", sc.spherical_kn, modified=True, complex=True, regular=False)
