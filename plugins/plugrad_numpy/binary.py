"""Elementwise functions of two arguments, with NumPy broadcasting.

A rule works at the broadcast shape and :func:`unbroadcast` sums its result back
to the argument's shape; a JVP broadcasts the tangent to the output's shape.
``operator.*`` twins share the rules of the ``numpy.*`` functions but keep Python
floats as floats; they implement the operators of traced values.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import NonDifferentiable, Primitive, Sample, gen, rand, scalar
from plugrad.box import Box, Meta, getval
from plugrad_numpy._util import _add_reduce, _unbroadcast_array, array_likes, broadcast_like, poles_as_numpy, unbroadcast, with_ufunc_methods
from plugrad_numpy.reductions import _may_hold_true, _numbers_only, _with_nans
from plugrad_numpy.unary import exp, exp2, log, real_sign, square, where_nonzero

Partial = Callable[[Any, Any, Any], Any]


def samples(low: float = -1.0, high: float = 1.0, low2: float | None = None, high2: float | None = None) -> list[Sample]:
    """Equal shapes, broadcasting (leading and size-1 axes), scalars and 0-d."""
    lo2 = low if low2 is None else low2
    hi2 = high if high2 is None else high2

    def a(*shape: int) -> Any:
        return rand(*shape, low=low, high=high)

    def b(*shape: int) -> Any:
        return rand(*shape, low=lo2, high=hi2)

    return [
        Sample(a(3), b(3)),
        Sample(a(2, 3), b(3)),
        Sample(a(2, 1), b(1, 3)),
        Sample(scalar(low, high), b(3)),
        Sample(a(2, 2), scalar(lo2, hi2)),
        Sample(scalar(low, high), scalar(lo2, hi2)),
        Sample(a(), b(2)),
    ]


def binary(
    name: str,
    fun: Callable[..., Any],
    dx: Partial,
    dy: Partial,
    *,
    complex: bool = False,
    saves: tuple[str, ...] = ("ans", "args"),
    **domain: float,
) -> Primitive:
    """An elementwise primitive with partial derivatives ``dx(ans, x, y)`` and ``dy(ans, x, y)``;
    ``saves`` says what they read."""
    prim = Primitive(f"numpy.{name}", fun, complex=complex, saves=saves)
    prim.def_vjp(
        lambda g, ans, x, y: unbroadcast(dx(ans, x, y) * g, x),
        lambda g, ans, x, y: unbroadcast(dy(ans, x, y) * g, y),
    )
    prim.def_jvp(
        lambda t, ans, x, y: broadcast_like(t * dx(ans, x, y), ans),
        lambda t, ans, x, y: broadcast_like(t * dy(ans, x, y), ans),
    )
    prim.def_samples(lambda: samples(**domain))  # (built when the checker asks: not at import)
    return prim


# In the rules the factor computed from the values comes first, the cotangent second: inside
# a derivative of a derivative the values are traced and the cotangent usually is not, and
# ``box * array`` takes the box's fast path where ``array * box`` goes through NumPy's
# __array_ufunc__ dispatch (1 us more). The products are the same: elementwise
# multiplication commutes exactly.

# The operators' rules, written out: they run once per operation in a loop over
# Python floats, so each skips unbroadcast when the argument and cotangent are floats.
_ndarray = np.ndarray
# Real Python numbers: against one, an array broadcasts nothing and keeps its dtype
# (NumPy 2's weak scalars), so a rule can skip unbroadcast.
_REAL_NUMBERS = frozenset({int, float})


# Arrays of the cotangent's own shape and dtype (their Metas on the tape) need no
# unbroadcast either: the common case of adding two arrays of one shape. One broadcast
# along a single leading axis (a bias added to a batch) is one NumPy reduction; any other
# broadcast is summed by _unbroadcast_array, without unbroadcast's other checks.
def _add_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    t = type(x)
    if t is float:
        if type(g) is float:
            return g
    elif t is Meta and type(g) is _ndarray:
        dtype, shape, gshape = x.dtype, x.shape, g.shape
        if g.dtype is dtype:
            if gshape == shape:
                return g
            if gshape[1:] == shape:  # a bias, broadcast along one leading axis
                return _add_reduce(g, 0)
        return _unbroadcast_array(g, shape, dtype, dtype.kind == "c")
    if type(y) in _REAL_NUMBERS:  # x plus a real Python number: g has x's shape and dtype
        return g
    return unbroadcast(g, x)


def _add_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    t = type(y)
    if t is float:
        if type(g) is float:
            return g
    elif t is Meta and type(g) is _ndarray:
        dtype, shape, gshape = y.dtype, y.shape, g.shape
        if g.dtype is dtype:
            if gshape == shape:
                return g
            if gshape[1:] == shape:
                return _add_reduce(g, 0)
        return _unbroadcast_array(g, shape, dtype, dtype.kind == "c")
    if type(x) in _REAL_NUMBERS:
        return g
    return unbroadcast(g, y)


def _add_vjp_pair(g: Any, ans: Any, x: Any, y: Any) -> tuple[Any, Any]:
    # Both arguments traced: in a network, a sum of two layers' terms of one shape, or a
    # bias added to a batch; in a loop over Python floats, two floats. The same cotangents
    # as the two rules, from one call.
    t = type(g)
    if t is float:
        if type(x) is float and type(y) is float:
            return g, g
    elif t is _ndarray and type(x) is Meta and type(y) is Meta:
        dtype = g.dtype
        if x.dtype is dtype and y.dtype is dtype:
            gshape, xshape, yshape = g.shape, x.shape, y.shape
            if xshape == gshape:
                if yshape == gshape:
                    return g, g
                if gshape[1:] == yshape:
                    return g, _add_reduce(g, 0)
            elif yshape == gshape and gshape[1:] == xshape:
                return _add_reduce(g, 0), g
    return _add_vjp_x(g, ans, x, y), _add_vjp_y(g, ans, x, y)


def _sub_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    return -g if type(x) in _REAL_NUMBERS else unbroadcast(-g, y)


# With a real Python number as the other argument (``3 * x``, a polynomial's coefficients,
# ``x / 2``), the product or quotient already has the argument's shape and dtype: no
# unbroadcast, at every order of a derivative. (Two traced floats are the same case.)
# Where Python's arithmetic refuses what NumPy's computes (a Python float times a list
# of numbers, or divided by 0.0), a rule retries with NumPy's function, as the value was
# computed (see Primitive.fallback); the try costs nothing until it is needed. Written
# out in each VJP, which runs once per operation of a scalar loop (a helper would add a
# frame there); the JVPs share _times and _over.
def _mul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    try:
        ct = y * g
    except TypeError:
        ct = np.multiply(y, g)
    return ct if type(y) in _REAL_NUMBERS else unbroadcast(ct, x)


def _mul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    try:
        ct = x * g
    except TypeError:
        ct = np.multiply(x, g)
    return ct if type(x) in _REAL_NUMBERS else unbroadcast(ct, y)


def _times(t: Any, c: Any) -> Any:
    try:
        return t * c
    except TypeError:
        return np.multiply(t, c)


def _div_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    try:
        ct = g / y
    except (ZeroDivisionError, TypeError):
        ct = np.true_divide(g, y)
    return ct if type(y) in _REAL_NUMBERS else unbroadcast(ct, x)


def _div_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    try:
        ct = -g * ans / y
    except (ZeroDivisionError, TypeError):
        ct = np.true_divide(-g * ans, y)
    return ct if type(x) in _REAL_NUMBERS else unbroadcast(ct, y)


def _over(t: Any, y: Any) -> Any:
    try:
        return t / y
    except (ZeroDivisionError, TypeError):
        return np.true_divide(t, y)


add = Primitive("numpy.add", np.add, complex=True, saves=("shapes",))
add.def_vjp(_add_vjp_x, _add_vjp_y)
add.def_vjp_pair(_add_vjp_pair)
add.def_jvp(lambda t, ans, x, y: broadcast_like(t, ans), lambda t, ans, x, y: broadcast_like(t, ans))
add.def_samples(samples)
subtract = Primitive("numpy.subtract", np.subtract, complex=True, saves=("shapes",))
subtract.def_vjp(_add_vjp_x, _sub_vjp_y)
subtract.def_jvp(lambda t, ans, x, y: broadcast_like(t, ans), lambda t, ans, x, y: broadcast_like(-t, ans))
subtract.def_samples(samples)

multiply = Primitive("numpy.multiply", np.multiply, complex=True, saves=("others",))
multiply.def_vjp(_mul_vjp_x, _mul_vjp_y)
multiply.def_jvp(
    lambda t, ans, x, y: broadcast_like(_times(t, y), ans), lambda t, ans, x, y: broadcast_like(_times(x, t), ans)
)
multiply.def_samples(samples)
multiply.same_args = square  # x * x of one traced value: square's one rule


def _divide(name: str, fun: Callable[..., Any]) -> Primitive:
    prim = Primitive(f"numpy.{name}", fun, complex=True)
    prim.def_vjp(_div_vjp_x, _div_vjp_y)
    prim.def_jvp(
        lambda t, ans, x, y: broadcast_like(_over(t, y), ans),
        lambda t, ans, x, y: broadcast_like(_over(-t * ans, y), ans),
    )
    prim.def_samples(lambda: samples(low2=0.5, high2=2.0))
    return prim


divide = _divide("divide", np.divide)
true_divide = _divide("true_divide", np.true_divide)


def _power_dx(ans: Any, x: Any, y: Any) -> Any:
    # y * x**(y - 1), with exponent 0 where y == 0 so that 0 * inf never appears at x == 0.
    if isinstance(y, Box):  # a traced exponent: the product, differentiable in y too
        return y * power(x, y - 1 + (getval(y) == 0))
    if type(y) is list or type(y) is tuple:  # exponents written as a list: NumPy's array
        y = np.asarray(y)
    return _term(x, (y, y - 1))  # a constant one: a single operation at every order


def _power_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if isinstance(y, Box) or type(y) is list or type(y) is tuple:
        return unbroadcast(_power_dx(ans, x, y) * g, x)
    ct = _scaled_term(x, (1, y), g)  # x**y is 1 * x**y
    return ct if type(y) in _REAL_NUMBERS else unbroadcast(ct, x)  # (as _mul_vjp_x)


def _power_term(x: Any, cek: tuple[Any, ...]) -> Any:
    c, e = cek[0], cek[1]
    # Exponent 0 where c == 0: the term is 0 there, and x**e may be infinite.
    safe = (0 if c == 0 else e) if isinstance(c, (int, float)) else np.where(np.equal(c, 0), 0, e)
    if type(x) is _ndarray and type(safe) in _REAL_NUMBERS and (safe == 1 or safe == 0) and x.dtype.kind == "f":
        # The exponents of a polynomial's last derivatives, without a call of power: for
        # real x, x**1 is x and x**0 is 1 exactly (nan, inf and -0.0 included), so these
        # are the same values. (A complex power loses the sign of a zero.)
        if safe == 1:
            return c * x if len(cek) == 2 else c * x * cek[2]
        if len(cek) == 3:
            k = cek[2]
            if type(k) is _ndarray and k.shape == x.shape and k.dtype is x.dtype:
                return c * k  # (c * 1) * k, with the dtype and shape the ones would have given
    if len(cek) == 3:  # a constant array factor k
        return c * np.power(x, safe) * cek[2]
    if type(x) is float and type(safe) in _REAL_NUMBERS and (x > 0.0 or float(safe).is_integer()):
        try:  # a Python float stays a float (NumPy's power would return a float64)
            return c * x**safe
        except (OverflowError, ZeroDivisionError):  # where NumPy gives inf
            pass
    return c * np.power(x, safe)


def _power_term_dx(x: Any, cek: tuple[Any, ...]) -> Any:
    c, e = cek[0], cek[1]
    return _term(x, (c * e, e - 1) + cek[2:])


def _scaled_term(x: Any, cek: tuple[Any, ...], g: Any) -> Any:
    """``g`` times the derivative of the term ``c * x**e`` (times ``k``) of constants ``cek``,
    as one operation where it can be: a cotangent ``g`` that is not traced is a constant of
    every derivative of the rule's result, so it joins ``c`` (a Python number) or ``k``
    instead of being multiplied in by an operation of its own. (In a derivative of a
    derivative of a polynomial, that halves the operations the power rules record.)"""
    if isinstance(g, Box):
        return _power_term_dx(x, cek) * g
    c, e = cek[0], cek[1]
    k = cek[2] if len(cek) == 3 else None
    ce = c * e
    if type(g) in _REAL_NUMBERS and type(ce) in _REAL_NUMBERS:
        ce = ce * g
    else:
        k = g if k is None else k * g
    return _term(x, (ce, e - 1) if k is None else (ce, e - 1, k))


def _power_term_vjp(g: Any, ans: Any, x: Any, cek: tuple[Any, ...]) -> Any:
    ct = _scaled_term(x, cek, g)
    if type(cek[0]) in _REAL_NUMBERS and type(cek[1]) in _REAL_NUMBERS:
        return ct  # constants that are Python numbers broadcast nothing and keep x's dtype
    return unbroadcast(ct, x)


# ``c * x**e`` for constants ``(c, e)``, or ``c * x**e * k`` for ``(c, e, k)``, one argument
# so that it takes the two-argument fast path: the derivative of ``x**e`` and of itself.
# ``k`` has the dtype of ``c * x**e`` and broadcasts to its shape, as a cotangent of it does
# (_scaled_term folds them in): with Python numbers for c and e, the derivative term then has
# x's shape and dtype and needs no unbroadcast.
# One operation per order instead of a power and a product (and a product by each
# cotangent, which joins k), so a 4th derivative of a polynomial records fewer operations;
# it stays a function of x at every order, as autograd's ``x**0`` does, so no derivative is
# cut off as constant.
power_term = Primitive("numpy._power_term", _power_term, complex=True, saves=("args",))


def _term(x: Any, cek: tuple[Any, ...]) -> Any:
    """``power_term(x, cek)`` from a rule, straight to the primitive's fast path or its
    function: the constants are never traced, so the call's scan of them is left out."""
    if isinstance(x, Box):
        apply2 = power_term._apply2  # (a local: see plugrad.Primitive.__call__)
        return apply2(x, cek)
    return _power_term(x, cek)


def _factor(c: Any, e: Any, k: Any) -> Any:
    """Constants ``(c, e, k)`` with ``k`` in the sample's dtype, as a cotangent would be (a
    generated argument: the samples using it differentiate x alone)."""
    return gen(lambda rng, dtype: (c, e, np.asarray(k, dtype)))


power_term.def_vjp(_power_term_vjp)
power_term.def_jvp(lambda t, ans, x, cek: broadcast_like(t * _power_term_dx(x, cek), ans))
power_term.def_samples(
    Sample(rand(3, low=0.5, high=2.0), (3.0, 2.0)),
    Sample(rand(2, 3, low=0.5, high=2.0), (2.5, 1.5)),
    Sample(rand(2, 3, low=0.5, high=2.0), (np.array([2.0, 0.0, -1.5]), np.array([1.0, -1.0, -2.5]))),
    Sample(scalar(0.5, 2.0), (4.0, 3.0)),
    Sample(rand(3, low=0.5, high=2.0), (0.0, -1.0)),
    Sample(rand(3, low=0.5, high=2.0), _factor(3.0, 2.0, [0.5, -1.0, 2.0])).named("factor").wrt(0),
    Sample(rand(2, 3, low=0.5, high=2.0), _factor(1.5, 3.0, [[0.5], [-2.0]])).named("broadcast factor").wrt(0),
    Sample(rand(3, low=0.5, high=2.0), _factor(np.array([[1.5], [2.0]]), 3.0, [[0.5], [-2.0]])).named("a larger term").wrt(0),
    Sample(scalar(0.5, 2.0), _factor(np.array([2.0, -1.0]), 3.0, [1.0, -0.5])).named("scalar, array factor").wrt(0),
)


power = binary(
    "power",
    np.power,
    _power_dx,
    lambda ans, x, y: ans * log(where_nonzero(x)),
    complex=True,
    low=0.5,
    high=2.0,
)
power.def_vjp(_power_vjp_x, power.vjps[1])  # g joins the derivative's constants (_scaled_term)
float_power = binary(
    "float_power",
    np.float_power,
    array_likes(lambda ans, x, y: y * float_power(x, y - 1)),
    lambda ans, x, y: ans * log(where_nonzero(x)),
    complex=True,
    low=0.5,
    high=2.0,
)
float_power.dtypes = ("float64",)  # float_power always computes in double precision
pow = power.alias("numpy.pow", np.pow)  # NumPy 2's array-API name, the same ufunc


def _balanced(ans: Any, x: Any, y: Any) -> Any:
    # 1 where x is the result, 1/2 at ties: the subgradient splits evenly.
    a, xv, yv = getval(ans), getval(x), getval(y)
    if _holds_nan(a):
        return _balanced_at_nan(a, xv, yv)
    return (xv == a) / (1.0 + (xv == yv))


def _balanced_at_nan(a: Any, xv: Any, yv: Any) -> Any:
    # maximum and minimum propagate NaN: a NaN result came from the NaN argument, which takes
    # its derivative (two NaNs split it, as ties do), so the NaN is not hidden behind a clean
    # zero gradient (as the reductions max and min do).
    x_nan = xv != xv
    at_nan = a != a
    return ((xv == a) | (x_nan & at_nan)) / (1.0 + ((xv == yv) | (x_nan & (yv != yv))))


def _balanced_skipping_nan(ans: Any, x: Any, y: Any) -> Any:
    # fmax and fmin skip NaN: their result is the number, whose weight this gives as
    # _balanced does. A NaN result (both NaN) is absent, as nanmax's all-NaN slice is: 0.
    a, xv, yv = getval(ans), getval(x), getval(y)
    return (xv == a) / (1.0 + (xv == yv))


def _holds_nan(a: Any) -> bool:
    """Whether the output ``a`` may hold NaN: the only check the rules of a result without
    NaN pay (one comparison of the output)."""
    if type(a) is _ndarray:
        return bool((a != a).any())
    if isinstance(a, (float, np.generic)):  # a NumPy scalar's .any() would cost a microsecond
        return bool(a != a)
    return _may_hold_true(a != a)  # another library's array: not computed to ask


def _balanced_vjp(g: Any, ans: Any, own: Any, other: Any, propagates_nan: bool = True) -> Any:
    """The cotangent of ``own``, one argument of ``maximum`` (a ReLU) or its kin."""
    if (
        type(g) is _ndarray
        and type(own) is _ndarray
        and type(ans) is _ndarray
        and not isinstance(other, Box)
        and not (propagates_nan and _holds_nan(ans))
    ):
        # First order: g where own is the result, half of it at ties, as _balanced's weights
        # give, bit for bit, but with one array of floats made instead of three.
        ct = np.multiply(g, own == ans)
        tie = own == other
        if tie.any():
            ct[tie] *= 0.5
        return unbroadcast(ct, own)
    weights = _balanced if propagates_nan else _balanced_skipping_nan
    return unbroadcast(weights(ans, own, other) * g, own)


def _extremum(name: str, fun: Callable[..., Any], *, propagates_nan: bool = True) -> Primitive:
    weights = _balanced if propagates_nan else _balanced_skipping_nan
    prim = binary(name, fun, weights, lambda ans, x, y: weights(ans, y, x))
    if not propagates_nan:
        # fmax and fmin skip a NaN argument: its tangent and cotangent, often NaN too, are
        # selected out, not multiplied by its weight 0 (0 * NaN is NaN).
        prim.def_vjp(
            lambda g, ans, x, y: _numbers_only(_balanced_vjp(g, ans, x, y, False), x),
            lambda g, ans, x, y: _numbers_only(_balanced_vjp(g, ans, y, x, False), y),
        )
        prim.def_jvp(
            lambda t, ans, x, y: broadcast_like(_numbers_only(t, x) * weights(ans, x, y), ans),
            lambda t, ans, x, y: broadcast_like(_numbers_only(t, y) * weights(ans, y, x), ans),
        )
        return prim
    prim.def_vjp(
        lambda g, ans, x, y: _balanced_vjp(g, ans, x, y, propagates_nan),
        lambda g, ans, x, y: _balanced_vjp(g, ans, y, x, propagates_nan),
    )
    return prim


maximum = _extremum("maximum", np.maximum)
minimum = _extremum("minimum", np.minimum)
fmax = _extremum("fmax", np.fmax, propagates_nan=False)
fmin = _extremum("fmin", np.fmin, propagates_nan=False)
_ONE_SIDED_NANS = (  # NaNs in one argument or the other, broadcast too: the number is the result
    Sample(gen(_with_nans((3, 4), 1, 6)), rand(3, 4)),
    Sample(rand(2, 3), gen(_with_nans((3,), 0))),
)
fmax.def_samples(*_ONE_SIDED_NANS)
fmin.def_samples(*_ONE_SIDED_NANS)


def _over_squared_norm(a: Any, x: Any, y: Any) -> Any:
    r = hypot(x, y)
    return a / r / r


arctan2 = binary(
    "arctan2",
    np.arctan2,
    # (x / r) / r with r = hypot(x, y): x * x + y * y overflows beyond 1e154 and underflows
    # below 1e-154.
    array_likes(poles_as_numpy(lambda ans, x, y: _over_squared_norm(y, x, y))),
    array_likes(poles_as_numpy(lambda ans, x, y: _over_squared_norm(-x, x, y))),
    saves=("args",),
    low=0.2,
    high=1.0,
)
atan2 = arctan2.alias("numpy.atan2", np.atan2)  # NumPy 2's array-API name, the same ufunc
hypot = binary(
    "hypot", np.hypot, poles_as_numpy(lambda ans, x, y: x / ans), poles_as_numpy(lambda ans, x, y: y / ans), low=0.2, high=1.0
)


def _share(x: Any, y: Any, power: Callable[[Any], Any]) -> Any:
    """``1 / (1 + power(y - x))``: the partial derivative in ``x`` of ``logaddexp``
    (``power`` exp) or ``logaddexp2`` (exp2), read off the arguments. ``power(x - ans)``
    reads 1 wherever ``ans`` rounds to ``x`` (equal arguments beyond 1e16, where the
    derivative is 1/2); here the power is taken of ``-|x - y|``, which cannot overflow,
    with the sign read off the values, so that a derivative of it is exact at ``x == y``
    too (``abs``'s derivative there is 0)."""
    d = x - y
    v = getval(d)
    if np.ndim(v) == 0 and not isinstance(v, np.ndarray):  # numbers: Python's arithmetic
        if v >= 0:
            return 1.0 / (1.0 + power(-d))
        e = power(d)
        return e / (1.0 + e)
    up = v >= 0  # (an array's stays lazy for a Dask array)
    e = power(d * np.where(up, -1, 1).astype(v.dtype))
    return (up + e * ~up) / (1 + e)  # (booleans keep float32 float32)


logaddexp = binary(
    "logaddexp",
    np.logaddexp,
    lambda ans, x, y: _share(x, y, exp),
    lambda ans, x, y: _share(y, x, exp),
    saves=("args",),
)
logaddexp2 = binary(
    "logaddexp2",
    np.logaddexp2,
    lambda ans, x, y: _share(x, y, exp2),
    lambda ans, x, y: _share(y, x, exp2),
    saves=("args",),
)


def _floor(x: Any) -> Any:
    return np.floor(getval(x))


def _trunc(x: Any) -> Any:
    return np.trunc(getval(x))


def _modulo(name: str, fun: Callable[..., Any], quotient: Callable[[Any], Any]) -> Primitive:
    # x - quotient(x / y) * y, whose quotient is piecewise constant.
    return binary(
        name,
        fun,
        lambda ans, x, y: 1.0,
        poles_as_numpy(lambda ans, x, y: -quotient(x / y)),
        saves=("args",),
        low=0.3,
        high=3.0,
        low2=0.7,
        high2=1.3,
    )


remainder = _modulo("remainder", np.remainder, _floor)
mod = _modulo("mod", np.mod, _floor)
fmod = _modulo("fmod", np.fmod, _trunc)
copysign = binary(
    "copysign", np.copysign, lambda ans, x, y: real_sign(x) * real_sign(ans), lambda ans, x, y: 0.0, low=0.2, high=1.0
)
copysign.def_samples(Sample(rand(4, low=-1.0, high=-0.2), rand(4, low=0.2, high=1.0)))
# heaviside(x, h) is h where x == 0: constant in x (a step), and its derivative in h is 1
# exactly there.
heaviside = binary(
    "heaviside", np.heaviside, lambda ans, x, y: 0.0, lambda ans, x, y: np.equal(getval(x), 0).astype(getval(ans).dtype)
)
heaviside.def_samples(
    Sample(gen(lambda rng, dtype: np.array([-0.5, 0.0, 0.7, 0.0], dtype)), rand(4)).wrt(1).named("steps"),
    Sample(gen(lambda rng, dtype: np.array([[0.0], [0.3]], dtype)), rand(3)).wrt(1).named("broadcast"),
    Sample(rand(2, 3, low=0.2, high=1.0), rand(1, 3)),
    Sample(rand(3, low=-1.0, high=-0.2), scalar()),
)
ldexp = Primitive("numpy.ldexp", np.ldexp, saves=("shapes",))  # the exponents are integers: kept
ldexp.def_vjp(lambda g, ans, x, i: unbroadcast(g * np.exp2(i), x))
ldexp.def_jvp(lambda t, ans, x, i: broadcast_like(t * np.exp2(i), ans))
ldexp.def_samples(
    Sample(rand(3), np.array([1, 2, -1])), Sample(rand(2, 3), 2), Sample(rand(3), np.array([[1], [-2]]))
)

floor_divide = NonDifferentiable("numpy.floor_divide", np.floor_divide)


def _python_pow(x: Any, y: Any) -> Any:
    """``x ** y``, but NumPy's nan where Python would leave the reals (``(-0.7) ** 0.5`` is
    complex in Python): the value NumPy's power, and autograd, give."""
    ans = x**y
    if type(ans) is complex and type(x) is not complex and type(y) is not complex:
        return np.power(x, y)
    return ans


# The operators of traced values: numpy's rules, Python's arithmetic.
# Where Python's arithmetic raises (1.0 / 0.0, 2.0 ** 5000, 2.0 * [1, 2]), NumPy's
# function computes the value, as it does in autograd (fallback=True).
op_add = add.alias("operator.add", operator.add, fallback=True)
op_sub = subtract.alias("operator.sub", operator.sub, fallback=True)
op_mul = multiply.alias("operator.mul", operator.mul, fallback=True)
op_truediv = true_divide.alias("operator.truediv", operator.truediv, fallback=True)
op_pow = power.alias("operator.pow", _python_pow, fallback=True)  # (one Python frame more per **)
op_mod = remainder.alias("operator.mod", operator.mod, fallback=True)


with_ufunc_methods(globals())  # np.add.reduce, np.multiply.outer, ...
