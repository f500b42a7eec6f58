"""Information-theory and loss functions: ``xlogy`` and ``xlog1py``, entropies and
divergences, the Huber losses, and the Box-Cox transforms and their inverses."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad.box import getval
from plugrad_numpy.indexing import where3
from plugrad_numpy.unary import absolute, exp, log, log1p, sqrt
from plugrad_scipy_special._rules import binary, elementwise, pair_samples
from plugrad_scipy_special.exponential import phi



def _xdivy(x: Any, y: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(x, y)
    return np.where(np.asarray(x) == 0, np.zeros_like(out), out)[()]


# x / y, and 0 where x is 0 (y = 0 included), as xlogy(0, y) is 0 for every y: the derivative
# of xlogy in y, and of the log-densities that use it (gamma.logpdf(0, a=1)'s in x), without
# the 0 / 0 of the plain quotient. Its derivatives are 1 / y and -xdivy(x, y) / y: 0 in y
# where x is 0, and 1 / y in x everywhere (infinite at y = 0, as it is).
xdivy = binary(
    "_xdivy",
    _xdivy,
    lambda ans, x, y: 1 / y,
    lambda ans, x, y: -xdivy(ans, y),
    pair_samples(-1.0, 1.0, 0.2, 2.0) + [Sample(np.array([0.0, 0.5]), rand(2, low=0.2, high=2.0))],
    complex=True,
    saves=("ans", "args"),
)


# x log y and friends.
xlogy = binary(
    "xlogy",
    sc.xlogy,
    lambda ans, x, y: log(y),
    lambda ans, x, y: xdivy(x, y),
    pair_samples(-1.0, 1.0, 0.2, 2.0),
    complex=True,
)
xlog1py = binary(
    "xlog1py",
    sc.xlog1py,
    lambda ans, x, y: log1p(y),
    lambda ans, x, y: xdivy(x, 1 + y),
    pair_samples(-1.0, 1.0, -0.5, 2.0),
    complex=True,
)


# log(x / y), the derivative of rel_entr and kl_div in x, but log x - log y where x and y are
# positive and their quotient over- or underflows (log(1e300 / 1e-10) is inf, not 714.8):
# the quotient stays elsewhere, more accurate where x is near y, and keeping the meaning
# it gives at x = 0 and y = 0.
def _log_ratio(x: Any, y: Any) -> Any:
    near = log(x / y)
    value = getval(near)
    if math.isfinite(value) if isinstance(value, float) else np.isfinite(value).all():  # (the common case)
        return near
    xv, yv = np.asarray(getval(x)), np.asarray(getval(y))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        q = xv / yv
    apart = (xv > 0) & (yv > 0) & ((q == 0) | np.isinf(q))
    if not apart.any():
        return near
    if apart.all():
        return log(x) - log(y)
    # Each at a stand-in 1 where the other is taken: no NaN into the other's derivative.
    far = log(where3(apart, x, 1.0)) - log(where3(apart, y, 1.0))
    return where3(apart, far, log(where3(apart, 1.0, x) / where3(apart, 1.0, y)))


entr = elementwise("entr", sc.entr, lambda ans, x: -(log(x) + 1), low=0.1, high=2.0)
rel_entr = binary(
    "rel_entr",
    sc.rel_entr,
    lambda ans, x, y: _log_ratio(x, y) + 1,
    lambda ans, x, y: -xdivy(x, y),  # (0 at x = y = 0, where rel_entr is 0 for every y)
    pair_samples(0.2, 2.0),
)
kl_div = binary(
    "kl_div",
    sc.kl_div,
    lambda ans, x, y: _log_ratio(x, y),
    lambda ans, x, y: 1 - xdivy(x, y),
    pair_samples(0.2, 2.0),
)


# Huber: r^2 / 2 inside |r| <= delta, delta (|r| - delta / 2) outside; kinks at |r| = delta.
def _inside(delta: Any, r: Any) -> Any:
    return (np.abs(getval(r)) <= getval(delta)) * 1.0


huber = binary(
    "huber",
    sc.huber,
    lambda ans, delta, r: (1 - _inside(delta, r)) * (absolute(r) - delta),
    lambda ans, delta, r: _inside(delta, r) * r + (1 - _inside(delta, r)) * delta * np.sign(getval(r)),
    pair_samples(0.3, 1.0, -2.0, 2.0),
)


# Pseudo-Huber: delta^2 (q - 1) with q = sqrt(1 + (r/delta)^2); d/d delta written without
# the cancellation in 2 delta (q - 1) - r^2 / (delta q).
def _q(delta: Any, r: Any) -> Any:
    return sqrt(1 + (r / delta) * (r / delta))


pseudo_huber = binary(
    "pseudo_huber",
    sc.pseudo_huber,
    lambda ans, delta, r: (r / delta) ** 4 * delta / (_q(delta, r) * (_q(delta, r) + 1) ** 2),
    lambda ans, delta, r: r / _q(delta, r),
    pair_samples(0.3, 2.0, -2.0, 2.0),
)


# Box-Cox: boxcox(x, l) = (x^l - 1) / l = L phi_1(l L) with L = log x, so
# d/dl = L^2 phi_1'(l L) = L^2 (phi_1 - phi_2)(l L): no cancellation as l -> 0. The inverses
# follow by implicit differentiation: dx/dl = -(d boxcox/dl) / (d boxcox/dx).
def _boxcox_dl(log_x: Any, lmbda: Any) -> Any:
    y = lmbda * log_x
    return log_x * log_x * (phi(1, y) - phi(2, y))


def _boxcox_samples(low: float, high: float) -> list[Sample]:
    return pair_samples(low, high, -1.5, 1.5) + [Sample(rand(3, low=low, high=high), scalar(-1e-3, 1e-3))]


boxcox = binary(
    "boxcox",
    sc.boxcox,
    lambda ans, x, lmbda: exp((lmbda - 1) * log(x)),
    lambda ans, x, lmbda: _boxcox_dl(log(x), lmbda),
    _boxcox_samples(0.3, 3.0),
)
boxcox1p = binary(
    "boxcox1p",
    sc.boxcox1p,
    lambda ans, x, lmbda: exp((lmbda - 1) * log1p(x)),
    lambda ans, x, lmbda: _boxcox_dl(log1p(x), lmbda),
    _boxcox_samples(-0.5, 2.0),
)
inv_boxcox = binary(
    "inv_boxcox",
    sc.inv_boxcox,
    lambda ans, y, lmbda: exp((1 - lmbda) * log(ans)),
    lambda ans, y, lmbda: -_boxcox_dl(log(ans), lmbda) * exp((1 - lmbda) * log(ans)),
    pair_samples(-0.5, 0.5, -1.0, 1.0) + [Sample(rand(3, low=-0.5, high=0.5), scalar(-1e-3, 1e-3))],
    saves=("ans", "args"),
)
inv_boxcox1p = binary(
    "inv_boxcox1p",
    sc.inv_boxcox1p,
    lambda ans, y, lmbda: exp((1 - lmbda) * log1p(ans)),
    lambda ans, y, lmbda: -_boxcox_dl(log1p(ans), lmbda) * exp((1 - lmbda) * log1p(ans)),
    pair_samples(-0.5, 0.5, -1.0, 1.0) + [Sample(rand(3, low=-0.5, high=0.5), scalar(-1e-3, 1e-3))],
    saves=("ans", "args"),
)
