"""The pack's functions: each primitive is one block of implementation, rules and samples.

The rules are written with the NumPy pack's primitives (``exp``, ``expm1``, ``tanh``,
``absolute``, ``square``) rather than raw NumPy, so they can be differentiated again:
second derivatives, Hessians and forward-over-reverse all work.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from plugrad_numpy.unary import absolute, exp, expm1, square, tanh

from plugrad import Composite, Primitive, Sample, rand, scalar

__all__ = ["softplus", "log1mexp", "logcosh", "softsign", "log_sigmoid", "FUNCTIONS"]

_LOG2 = math.log(2.0)


def samples(low: float, high: float) -> list[Sample]:
    """A Python float, a 0-d array, a vector and a matrix inside ``[low, high)``."""
    return [
        Sample(scalar(low, high)),
        Sample(rand(low=low, high=high)),
        Sample(rand(4, low=low, high=high)),
        Sample(rand(2, 3, low=low, high=high)),
    ]


def _like(out: np.ndarray, x: Any) -> Any:
    """``np.where`` returns arrays; give scalars back for scalar inputs, as ufuncs do."""
    return out if isinstance(x, np.ndarray) else out[()]


# softplus(x) = log(1 + e^x), as logaddexp(0, x): no overflow for large x, no
# underflow to 0 for very negative x. Its derivative is the logistic sigmoid,
# e^x / (1 + e^x) = exp(x - softplus(x)), whose exponent is never positive.
softplus = Primitive("example.softplus", lambda x: np.logaddexp(0.0, x), doc="log(1 + exp(x)), computed stably.")
softplus.def_vjp(lambda g, ans, x: g * exp(x - ans))
softplus.def_jvp(lambda t, ans, x: t * exp(x - ans))
softplus.def_samples(*samples(-3.0, 3.0), Sample(rand(6, low=-30.0, high=30.0)).only("float64"))


# log1mexp(x) = log(1 - e^-x) for x > 0 (Maechler 2012): log(-expm1(-x)) near 0, where
# 1 - e^-x cancels, and log1p(-e^-x) beyond log 2, where e^-x is small. Each branch
# sees only inputs of its own side, so the one not taken cannot warn.
def _log1mexp(x: Any) -> Any:
    near = np.log(-np.expm1(-np.minimum(x, _LOG2)))
    far = np.log1p(-np.exp(-np.maximum(x, _LOG2)))
    return _like(np.where(x <= _LOG2, near, far), x)


log1mexp = Primitive("example.log1mexp", _log1mexp, doc="log(1 - exp(-x)) for x > 0, computed stably.")
log1mexp.def_vjp(lambda g, ans, x: g / expm1(x))  # d/dx = e^-x / (1 - e^-x) = 1 / (e^x - 1)
log1mexp.def_jvp(lambda t, ans, x: t / expm1(x))
log1mexp.def_samples(*samples(0.2, 3.0), Sample(rand(5, low=0.05, high=20.0)).only("float64"))


# logcosh(x) = |x| + log1p(e^-2|x|) - log 2: cosh overflows beyond |x| ~ 710, this does not.
def _logcosh(x: Any) -> Any:
    a = np.abs(x)
    return a + np.log1p(np.exp(-2 * a)) - _LOG2


logcosh = Primitive("example.logcosh", _logcosh, doc="log(cosh(x)), computed stably.")
logcosh.def_vjp(lambda g, ans, x: g * tanh(x))
logcosh.def_jvp(lambda t, ans, x: t * tanh(x))
logcosh.def_samples(*samples(-3.0, 3.0), Sample(rand(6, low=-40.0, high=40.0)).only("float64"))


# softsign(x) = x / (1 + |x|): a bounded activation whose tails decay polynomially.
# Its second derivative jumps at 0, so the samples keep away from 0.
softsign = Primitive("example.softsign", lambda x: x / (1 + np.abs(x)), doc="x / (1 + |x|).")
softsign.def_vjp(lambda g, ans, x: g / square(1 + absolute(x)))
softsign.def_jvp(lambda t, ans, x: t / square(1 + absolute(x)))
softsign.def_samples(*samples(0.1, 3.0), Sample(rand(4, low=-3.0, high=-0.1)))


# A differentiable function built from primitives needs no rules of its own.
log_sigmoid = Composite("example.log_sigmoid", lambda x: -softplus(-x), doc="log(1 / (1 + exp(-x))), computed stably.")

FUNCTIONS = [softplus, log1mexp, logcosh, softsign, log_sigmoid]
