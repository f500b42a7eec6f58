"""Elementwise functions of one argument.

Most are holomorphic, so one derivative ``d(ans, x)`` serves both modes:
``vjp = g * d`` and ``jvp = t * d`` (plugrad does not conjugate; see the
complex-numbers convention in the docs). The table below reads as calculus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import math

import numpy as np

from plugrad_numpy._util import as_array_value, integral, iscomplex, poles_as_numpy, shape_of, unbroadcast, with_ufunc_methods, zeros_like_value
from plugrad import Box, Composite, NonDifferentiable, Primitive, Sample, gen, rand, scalar
from plugrad.box import getval

_ndarray = np.ndarray

Deriv = Callable[[Any, Any], Any]


def samples(low: float = -1.0, high: float = 1.0) -> list[Sample]:
    """Scalars, 0-d, vectors and matrices inside ``[low, high)``."""
    return [
        Sample(scalar(low, high)),
        Sample(rand(low=low, high=high)),
        Sample(rand(4, low=low, high=high)),
        Sample(rand(2, 3, low=low, high=high)),
    ]


def elementwise(
    name: str,
    fun: Callable[..., Any],
    deriv: Deriv,
    *,
    low: float = -1.0,
    high: float = 1.0,
    complex: bool = True,
    saves: tuple[str, ...] = ("args",),
    on_float: Callable[[float], float] | None = None,
    float_deriv: Callable[[float], float] | None = None,
) -> Primitive:
    """An elementwise primitive whose derivative is ``deriv(ans, x)``; ``saves`` says
    whether ``deriv`` reads ``x`` (the default), ``ans``, or both.

    ``on_float`` is the ``math`` function for a traced Python float, and
    ``float_deriv(x)`` the derivative on a plain float where ``deriv`` would call a
    primitive: NumPy on a Python float costs ten times ``math`` and returns a NumPy scalar.
    """
    prim = Primitive(f"numpy.{name}", fun, complex=complex, saves=saves, float_fun=on_float)
    if float_deriv is None:
        prim.def_vjp(lambda g, ans, x: deriv(ans, x) * g)  # (order: see binary.py)
        prim.def_jvp(lambda t, ans, x: t * deriv(ans, x))
        prim.def_samples(lambda: samples(low, high))  # (built when the checker asks: not at import)
        return prim

    def vjp(g: Any, ans: Any, x: Any) -> Any:
        if type(x) is float:
            try:
                return g * float_deriv(x)
            except (ValueError, OverflowError):  # math raises where NumPy returns nan or inf
                pass
        return deriv(ans, x) * g

    def jvp(t: Any, ans: Any, x: Any) -> Any:
        return vjp(t, ans, x)  # elementwise and holomorphic: the same product

    prim.def_vjp(vjp).def_jvp(jvp)
    prim.def_samples(lambda: samples(low, high))
    return prim


def _linear(
    name: str, fun: Callable[..., Any], *, complex: bool = True, saves: tuple[str, ...] = ()
) -> Primitive:
    prim = Primitive(f"numpy.{name}", fun, complex=complex, saves=saves)
    prim.def_samples(samples)
    return prim


# Linear maps, each its own transpose (conj and real/imag need care with complex). Only
# real and imag read anything of x: whether it is complex.
negative = _linear("negative", np.negative)
negative.def_vjp(lambda g, ans, x: -g).def_jvp(lambda t, ans, x: -t)
positive = _linear("positive", np.positive)
positive.def_vjp(lambda g, ans, x: g).def_jvp(lambda t, ans, x: t)
conjugate = _linear("conjugate", np.conjugate)
conjugate.def_vjp(lambda g, ans, x: conjugate(g)).def_jvp(lambda t, ans, x: conjugate(t))
conj = _linear("conj", np.conj)
conj.def_vjp(lambda g, ans, x: conj(g)).def_jvp(lambda t, ans, x: conj(t))
real = _linear("real", np.real, saves=("shapes",))
real.def_vjp(lambda g, ans, x: real(g) if not iscomplex(x) else real(g) + 0j)
real.def_jvp(lambda t, ans, x: real(t))
imag = _linear("imag", np.imag, saves=("shapes",))
imag.def_vjp(lambda g, ans, x: real(g) * 0 if not iscomplex(x) else -1j * real(g))
imag.def_jvp(lambda t, ans, x: imag(t))

# real_if_close is real (when it drops the imaginary parts) or the identity: which one,
# the output's dtype says.
real_if_close = Primitive("numpy.real_if_close", np.real_if_close, complex=True, saves=("ans", "shapes"))
real_if_close.def_vjp(lambda g, ans, a, tol=100: g + 0j if iscomplex(a) and not iscomplex(ans) else g)
real_if_close.def_jvp(lambda t, ans, a, tol=100: real(t) if iscomplex(t) and not iscomplex(ans) else t)
real_if_close.def_samples(*samples(), Sample(rand(3), tol=1000))

# The calculus table.
exp = elementwise("exp", np.exp, lambda ans, x: ans, saves=("ans",), on_float=math.exp)
exp2 = elementwise("exp2", np.exp2, lambda ans, x: ans * math.log(2.0), saves=("ans",))
# exp(x), not ans + 1, which cancels to 0 below x = -37 (and loses digits from -20 on).
expm1 = elementwise("expm1", np.expm1, lambda ans, x: exp(x), on_float=math.expm1, float_deriv=math.exp)
log = elementwise("log", np.log, poles_as_numpy(lambda ans, x: 1 / x), low=0.2, high=2.0, on_float=math.log)
# (1 / ln b) / x: x * ln b would overflow for x near the largest float.
log2 = elementwise("log2", np.log2, poles_as_numpy(lambda ans, x: (1 / math.log(2.0)) / x), low=0.2, high=2.0, on_float=math.log2)
log10 = elementwise("log10", np.log10, poles_as_numpy(lambda ans, x: (1 / math.log(10.0)) / x), low=0.2, high=2.0, on_float=math.log10)
log1p = elementwise("log1p", np.log1p, poles_as_numpy(lambda ans, x: 1 / (x + 1)), low=-0.5, high=2.0, on_float=math.log1p)
sqrt = elementwise("sqrt", np.sqrt, poles_as_numpy(lambda ans, x: 0.5 / ans), low=0.2, high=2.0, saves=("ans",), on_float=math.sqrt)
square = elementwise("square", np.square, lambda ans, x: 2 * x)


def _square_vjp(g: Any, ans: Any, x: Any) -> Any:
    # The sum of multiply's two rules for x * x, bit for bit: the fast path records x * x
    # of one traced value as square(x) (see Primitive.same_args).
    ct = x * g
    if not (type(ct) is _ndarray and type(x) is _ndarray and ct.shape == x.shape and ct.dtype is x.dtype):
        ct = unbroadcast(ct, x)  # (unbroadcast's own first test, inline: the commonest case)
    if type(ct) is _ndarray:
        ct += ct  # a new array: doubled in place
        return ct
    return ct + ct


square.def_vjp(_square_vjp)
reciprocal = elementwise(
    "reciprocal", np.reciprocal, lambda ans, x: -(ans * ans), low=0.5, high=2.0, saves=("ans",)
)
sin = elementwise("sin", np.sin, lambda ans, x: cos(x), on_float=math.sin, float_deriv=math.cos)
cos = elementwise("cos", np.cos, lambda ans, x: -sin(x), on_float=math.cos, float_deriv=lambda x: -math.sin(x))
tan = elementwise("tan", np.tan, lambda ans, x: 1 + ans * ans, saves=("ans",), on_float=math.tan)
arcsin = elementwise("arcsin", np.arcsin, lambda ans, x: 1 / sqrt(1 - x * x), low=-0.8, high=0.8)
arccos = elementwise("arccos", np.arccos, lambda ans, x: -1 / sqrt(1 - x * x), low=-0.8, high=0.8)
arctan = elementwise("arctan", np.arctan, lambda ans, x: 1 / (1 + x * x), on_float=math.atan)
sinh = elementwise("sinh", np.sinh, lambda ans, x: cosh(x), on_float=math.sinh)
cosh = elementwise("cosh", np.cosh, lambda ans, x: sinh(x), on_float=math.cosh)
tanh = elementwise("tanh", np.tanh, lambda ans, x: 1 - ans * ans, saves=("ans",), on_float=math.tanh)


def _tanh_vjp(g: Any, ans: Any, x: Any) -> Any:
    # The usual activation, so its own rule (one call fewer per use). At first order the
    # product ans * ans is this rule's own new array, and the rest is computed into it:
    # the same operations in the same order, with one array allocated instead of three
    # (on a 256 x 1024 array, 0.44 ms instead of 1.36: no fresh pages to fault in).
    if type(g) is _ndarray and type(ans) is _ndarray and g.dtype is ans.dtype and g.shape == ans.shape:
        d = ans * ans
        if type(d) is _ndarray:  # (not for 0-d arrays, whose products are NumPy scalars)
            np.subtract(1, d, d)  # (out positionally: a keyword costs the call a dict)
            np.multiply(d, g, d)
            return d
        return (1 - d) * g
    return (1 - ans * ans) * g


tanh.def_vjp(_tanh_vjp)


def _arcsinh_deriv(ans: Any, x: Any) -> Any:
    # 1 / hypot(x, 1) for real x: x * x + 1 overflows for |x| > 1e154, where the derivative
    # is 1 / |x|.
    if iscomplex(x):
        return 1 / sqrt(x * x + 1)
    from plugrad_numpy.binary import hypot  # (binary.py imports this module)

    return 1 / hypot(x, 1.0)


arcsinh = elementwise("arcsinh", np.arcsinh, _arcsinh_deriv, float_deriv=lambda x: 1 / math.hypot(x, 1.0))
# 1 / sqrt(x - 1) sqrt(x + 1), not 1 / sqrt(x * x - 1): the same for real x >= 1, but for
# complex x with a negative real part the single root has the other sign (arccosh's branch
# is that of the two roots), and x * x overflows for |x| > 1e154.
arccosh = elementwise("arccosh", np.arccosh, lambda ans, x: 1 / (sqrt(x - 1) * sqrt(x + 1)), low=1.2, high=3.0)


def _left_half_plane(rng: np.random.Generator, dtype: str) -> Any:
    """Complex values with real parts in [-3, -1.2] and imaginary parts away from the cut."""
    shape = (4,)
    z = rng.uniform(-3.0, -1.2, shape) + 1j * rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.0, shape)
    return np.asarray(z, dtype)


arccosh.def_samples(lambda: [*samples(1.2, 3.0), Sample(gen(_left_half_plane)).only("complex128", "complex64")])
arctanh = elementwise("arctanh", np.arctanh, poles_as_numpy(lambda ans, x: 1 / (1 - x * x)), low=-0.8, high=0.8)
# NumPy 2's array-API names for the inverse functions, the same ufuncs: np.acos is np.arccos.
asin = arcsin.alias("numpy.asin", np.asin)
acos = arccos.alias("numpy.acos", np.acos)
atan = arctan.alias("numpy.atan", np.atan)
asinh = arcsinh.alias("numpy.asinh", np.asinh)
acosh = arccosh.alias("numpy.acosh", np.acosh)
atanh = arctanh.alias("numpy.atanh", np.atanh)
# sinc' = (cos(pi x) - sinc(x)) / x is 0/0 at 0 and cancels badly near it. Below 0.1 its
# Taylor series, sum over k >= 1 of (-1)^k 2k pi^2k x^(2k-1) / (2k+1)!, with terms to
# x^15: exact to rounding there (the first term left out is below 1e-22), and so are its
# derivatives to the 15th order; at 0.1 the formula loses at most a few digits of float32.
_SINC_SERIES_BELOW = 0.1
_SINC_SERIES = [(-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1) for k in range(1, 9)]


def _sinc_series(x: Any) -> Any:
    x2 = x * x
    total = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        total = total * x2 + c
    return x * total


def _sinc_deriv(ans: Any, x: Any) -> Any:
    near = np.abs(np.asarray(getval(x))) < _SINC_SERIES_BELOW
    if not near.any():
        return (cos(math.pi * x) - ans) / x
    if near.all():
        return _sinc_series(x)
    from plugrad_numpy.indexing import where3

    away = where3(near, 1.0, x)  # (the formula's branch at points where it is not taken)
    return where3(near, _sinc_series(x), (cos(math.pi * away) - sinc(away)) / away)


sinc = elementwise("sinc", np.sinc, _sinc_deriv, saves=("ans", "args"))
sinc.def_samples(Sample(gen(lambda rng, dtype: np.array([0.0, 0.4, -1e-4, 1.3], dtype))).named("through 0"))
cbrt = elementwise(
    "cbrt", np.cbrt, lambda ans, x: 1 / (3 * ans * ans), low=0.2, high=2.0, complex=False, saves=("ans",)
)
deg2rad = elementwise("deg2rad", np.deg2rad, lambda ans, x: math.pi / 180, complex=False, saves=())
rad2deg = elementwise("rad2deg", np.rad2deg, lambda ans, x: 180 / math.pi, complex=False, saves=())
radians = elementwise("radians", np.radians, lambda ans, x: math.pi / 180, complex=False, saves=())
degrees = elementwise("degrees", np.degrees, lambda ans, x: 180 / math.pi, complex=False, saves=())


# Not holomorphic: |z| and sign need the conjugate; their kinks get the subgradient 0.
def _abs_vjp(g: Any, ans: Any, x: Any) -> Any:
    return g * conj(x) / where_nonzero(ans) if iscomplex(x) else g * real_sign(x)


def _abs_jvp(t: Any, ans: Any, x: Any) -> Any:
    return real(conj(x) * t) / where_nonzero(ans) if iscomplex(x) else t * real_sign(x)


absolute = Primitive("numpy.absolute", np.absolute, complex=True)
absolute.def_vjp(_abs_vjp).def_jvp(_abs_jvp)
absolute.def_samples(*samples(0.1, 1.0), Sample(rand(4, low=-1.0, high=-0.1)))
abs = Primitive("numpy.abs", np.abs, complex=True)  # noqa: A001 - numpy's name
abs.def_vjp(_abs_vjp).def_jvp(_abs_jvp)
abs.def_samples(*samples(0.1, 1.0), Sample(rand(4, low=-1.0, high=-0.1)))
fabs = Primitive("numpy.fabs", np.fabs, saves=("args",))
fabs.def_vjp(lambda g, ans, x: g * real_sign(x)).def_jvp(lambda t, ans, x: t * real_sign(x))
fabs.def_samples(*samples(0.1, 1.0), Sample(rand(4, low=-1.0, high=-0.1)))


def _where_nonzero(x: Any) -> Any:
    # Numbers take the scalar branch; arrays of any kind (NumPy, or a Dask array, whose
    # truth value is undefined) go through np.where, which stays lazy for Dask.
    if np.isscalar(x):
        return x if x != 0 else 1.0
    return np.where(np.equal(x, 0), 1.0, x)  # (np.equal: x may be a list)


where_nonzero = Primitive("numpy._where_nonzero", _where_nonzero, saves=("args",))
where_nonzero.def_vjp(lambda g, ans, x: g * (x != 0)).def_jvp(lambda t, ans, x: t * (x != 0))
where_nonzero.def_samples(*samples(0.1, 1.0))
# The sign of a real number is piecewise constant; NumPy's of a complex number is z / |z|
# (0 at 0), which has a derivative away from 0.
real_sign = NonDifferentiable("numpy._real_sign", np.sign)


def _sign(x: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(x, (list, tuple)):
        x = as_array_value(x)
    if not (isinstance(x, Box) and iscomplex(x)):
        return real_sign(x, *args, **kwargs)
    if args or any(v is not None for v in kwargs.values()):
        raise TypeError(
            "numpy.sign of a traced complex value takes no other arguments (out=, where=, dtype=): "
            "leave them out and use the returned value."
        )
    zero = np.asarray(getval(x)) == 0
    if not zero.any():
        return x / absolute(x)
    from plugrad_numpy.indexing import where3

    away = where3(zero, 1.0, x)
    return where3(zero, 0.0, away / absolute(away))


sign = Composite("numpy.sign", _sign)
sign.__doc__ = np.sign.__doc__


def _astype(x: Any, dtype: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(x, np.generic):
        return x.astype(dtype)
    # Another library's array casts itself: np.asarray would compute a lazy (Dask) array.
    foreign = hasattr(x, "__array_function__") and not isinstance(x, np.ndarray)
    return (x if foreign else np.asarray(x)).astype(dtype, *args, **kwargs)


# A cast to integers or booleans is piecewise constant: derivative zero.
def _astype_vjp(g: Any, ans: Any, x: Any, dtype: Any, *a: Any, **k: Any) -> Any:
    return zeros_like_value(x) if integral(dtype) else _cast_back(g, x)


def _astype_jvp(t: Any, ans: Any, x: Any, dtype: Any, *a: Any, **k: Any) -> Any:
    if integral(ans.dtype):
        return np.zeros(shape_of(ans))
    return astype(t, ans.dtype)


astype = Primitive("numpy.astype", _astype, saves=("shapes",))
astype.def_vjp(_astype_vjp)
astype.def_jvp(_astype_jvp)
astype.def_samples(Sample(rand(3), np.float64), Sample(rand(2, 2), np.float32).first_order(), Sample(rand(3), np.complex128))


def _cast_back(g: Any, x: Any) -> Any:
    from plugrad_numpy._util import match_dtype

    if iscomplex(g) and not iscomplex(x):
        g = real(g)
    return match_dtype(g, x)


with_ufunc_methods(globals())  # np.add.reduce, np.multiply.outer, ...
