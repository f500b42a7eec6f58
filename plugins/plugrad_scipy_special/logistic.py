"""The logistic function and its inverse, and the log-sum-exp family: ``logsumexp``
(weights ``b``, ``axis``, ``keepdims``, ``return_sign``), ``softmax`` and ``log_softmax``."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Composite, Sample, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import broadcast_like, shape_of, unbroadcast
from plugrad_numpy.reductions import sum
from plugrad_numpy.shape import reshape
from plugrad_numpy.unary import exp
from plugrad_scipy_special._rules import elementwise, special

# The calculus table.
# expit(x) * expit(-x), not ans * (1 - ans): 1 - ans loses digits as x grows (half of them by
# x = 18) and rounds to 0 past x = 37, where the derivative, about e^-x, is representable to
# x = 745 (a subnormal number past 708).
expit = elementwise("expit", sc.expit, lambda ans, x: ans * expit(-x), low=-3.0, high=3.0, saves=("ans", "args"))


def _expit_vjp(g: Any, ans: Any, x: Any) -> Any:
    # At first order, in one new array (as tanh's rule is), with expit(-x) evaluated only
    # where 1 - ans loses more than a digit (x > 3; below, ans's rounding leaves it within
    # 10 ulps): expit is most of the cost of a gradient, and computed everywhere it would
    # double it.
    if type(g) is _ndarray and type(x) is _ndarray and type(ans) is _ndarray:
        if g.dtype is ans.dtype is x.dtype and g.shape == ans.shape == x.shape and x.ndim:
            d = np.subtract(1, ans)
            far = np.flatnonzero(x > 3.0)  # (one pass over a mask, then only the few)
            if far.size:
                d.reshape(-1)[far] = sc.expit(-x.reshape(-1)[far])
            d *= ans
            d *= g
            return d
    return unbroadcast(g * (ans * expit(-x)), x)


expit.def_vjp(_expit_vjp)
_ndarray = np.ndarray
logit = elementwise("logit", sc.logit, lambda ans, p: 1 / (p * (1 - p)), low=0.1, high=0.9)
log_expit = elementwise("log_expit", sc.log_expit, lambda ans, x: expit(-x), low=-3.0, high=3.0)


def _reduction_samples() -> list[Sample]:
    return [
        Sample(scalar(-2.0, 2.0)),
        Sample(rand(5, low=-2.0, high=2.0)),
        Sample(rand(3, 4, low=-2.0, high=2.0), axis=1),
        Sample(rand(3, 4, low=-2.0, high=2.0), axis=0),
        Sample(rand(2, 3, 4, low=-2.0, high=2.0), axis=(0, 2)),
        Sample(rand(2, 1, 3, low=-2.0, high=2.0), axis=-1),
    ]


# softmax and log_softmax: their Jacobians diag(s) - s s^T and I - 1 s^T act along ``axis``.
# The rules read ``ans`` and ``axis``; "shapes" keeps an ``axis`` passed by position.
softmax = special("softmax", sc.softmax, saves=("ans", "shapes"))
softmax.def_vjp(lambda g, ans, x, axis=None: ans * (g - sum(g * ans, axis=axis, keepdims=True)))
softmax.def_jvp(lambda t, ans, x, axis=None: ans * (t - sum(t * ans, axis=axis, keepdims=True)))
softmax.def_samples(*_reduction_samples())
log_softmax = special("log_softmax", sc.log_softmax, saves=("ans", "shapes"))
log_softmax.def_vjp(lambda g, ans, x, axis=None: g - exp(ans) * sum(g, axis=axis, keepdims=True))
log_softmax.def_jvp(lambda t, ans, x, axis=None: t - sum(exp(ans) * t, axis=axis, keepdims=True))
log_softmax.def_samples(*_reduction_samples())


# -- logsumexp ---------------------------------------------------------------------------


def _logsumexp(a: Any, b: Any = None, **kw: Any) -> Any:
    out = sc.logsumexp(a, b=b, **kw)
    return out[0] if kw.get("return_sign") else out


def _full_shape(a: Any, b: Any) -> tuple[int, ...]:
    return shape_of(a) if b is None else np.broadcast_shapes(shape_of(a), shape_of(b))


def _kept(v: Any, a: Any, b: Any, axis: Any = None, **kw: Any) -> Any:
    """The reduced ``v`` (an output or its cotangent) with the reduced axes kept, size 1."""
    shape = _full_shape(a, b)
    axes = range(len(shape)) if axis is None else [ax % len(shape) for ax in np.atleast_1d(axis)]
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return v if shape_of(v) == kept else reshape(v, kept)


def _d_b(ans: Any, a: Any, b: Any, **kw: Any) -> Any:
    """``d lse / d b = e^(a - lse)``, times the sign of the sum where ``return_sign``."""
    w = exp(a - _kept(ans, a, b, **kw))
    if not kw.get("return_sign"):
        return w
    axis = kw.get("axis")
    return w * sc.logsumexp(getval(a), axis=axis, b=getval(b), keepdims=True, return_sign=True)[1]


def _d_a(ans: Any, a: Any, b: Any, **kw: Any) -> Any:
    """``d lse / d a = b e^(a - lse)`` (times the sign)."""
    return _d_b(ans, a, b, **kw) if b is None else _d_b(ans, a, b, **kw) * b


def _reduce(v: Any, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    return sum(v, axis=axis, keepdims=keepdims)


# log |sum(b e^a)| over ``axis``, with the weights ``b`` a positional argument so they can be
# traced; ``logsumexp`` below gives it SciPy's signature.
weighted_logsumexp = special("_logsumexp", _logsumexp)
weighted_logsumexp.def_vjp(
    lambda g, ans, a, b=None, **kw: unbroadcast(_kept(g, a, b, **kw) * _d_a(ans, a, b, **kw), a),
    lambda g, ans, a, b, **kw: unbroadcast(_kept(g, a, b, **kw) * _d_b(ans, a, b, **kw), b),
)
weighted_logsumexp.def_jvp(
    lambda t, ans, a, b=None, **kw: broadcast_like(_reduce(t * _d_a(ans, a, b, **kw), **kw), ans),
    lambda t, ans, a, b, **kw: broadcast_like(_reduce(t * _d_b(ans, a, b, **kw), **kw), ans),
)
weighted_logsumexp.def_samples(
    *_reduction_samples(),
    Sample(rand(3, 4), None, axis=1, keepdims=True),
    Sample(rand(3, 4), rand(3, 4, low=0.5, high=2.0), axis=0),
    Sample(rand(3, 4), rand(4, low=0.5, high=2.0), axis=-1, keepdims=True),
    Sample(rand(4), rand(2, 4, low=0.5, high=2.0), axis=1),  # b broadcasts a
    Sample(rand(2, 3), scalar(0.5, 2.0)),
    Sample(rand(3, 4), rand(3, 4, low=-2.0, high=-0.5), axis=1, return_sign=True),  # a negative sum
)


def _logsumexp_api(
    a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False
) -> Any:
    out = weighted_logsumexp(a, b, axis=axis, keepdims=keepdims, return_sign=return_sign)
    if not return_sign:
        return out
    sign = sc.logsumexp(getval(a), axis=axis, b=getval(b), keepdims=keepdims, return_sign=True)[1]
    return out, sign


_logsumexp_api.__name__ = _logsumexp_api.__qualname__ = "logsumexp"
_logsumexp_api.__doc__ = sc.logsumexp.__doc__
logsumexp = Composite("scipy.special.logsumexp", _logsumexp_api)
