"""Hypergeometric functions, complete elliptic integrals and the dilogarithm.

The hypergeometric functions are differentiable in their argument ``z`` (DLMF 13.3.15,
13.3.22, 15.5.1, 16.3.1); their parameters have no closed-form derivative and no rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc

from plugrad import Sample, rand, scalar
from plugrad_numpy._util import broadcast_like, unbroadcast
from plugrad_numpy.unary import log
from plugrad_scipy_special._rules import elementwise, special, with_order


def _in_z(name: str, fun: Any, deriv: Any, samples: list[Sample], *, complex: bool) -> Any:
    """``fun(*params, z)`` differentiable in its last argument, ``z``, only."""
    prim = special(name, fun, complex=complex, saves=("args",))
    nparams = len(samples[0].args) - 1
    prim.def_vjp(lambda g, ans, *args: unbroadcast(g * deriv(ans, *args), args[-1]), argnums=(nparams,))
    prim.def_jvp(lambda t, ans, *args: broadcast_like(t * deriv(ans, *args), ans), argnums=(nparams,))
    prim.def_samples(*samples)
    return prim


hyp0f1 = with_order(
    "hyp0f1",
    sc.hyp0f1,
    lambda ans, v, z: hyp0f1(v + 1, z) / v,
    [
        Sample(1.5, rand(3, low=-2.0, high=2.0)),
        Sample(np.array([0.5, 2.5]), rand(2, low=-2.0, high=2.0)),
        Sample(np.array([[0.5], [2.5]]), rand(3, low=-2.0, high=2.0)),  # z broadcast
        Sample(0.7, scalar()),
    ],
    complex=True,
)
hyp1f1 = _in_z(
    "hyp1f1",
    sc.hyp1f1,
    lambda ans, a, b, z: a / b * hyp1f1(a + 1, b + 1, z),
    [
        Sample(1.5, 2.5, rand(3, low=-2.0, high=2.0)),
        Sample(np.array([0.5, -0.5]), 1.5, rand(2, low=-2.0, high=2.0)),
        Sample(2.0, np.array([[1.5], [3.0]]), rand(3)),
        Sample(-1.3, 0.7, scalar(-2.0, 2.0)),
    ],
    complex=True,
)
hyperu = _in_z(
    "hyperu",
    sc.hyperu,
    lambda ans, a, b, x: -a * hyperu(a + 1, b + 1, x),
    [
        Sample(1.5, 2.5, rand(3, low=0.3, high=3.0)),
        Sample(np.array([0.5, 2.0]), 0.5, rand(2, low=0.3, high=3.0)),
        Sample(np.array([[0.5], [2.0]]), 0.5, rand(3, low=0.3, high=3.0)),  # x broadcast
    ],
    complex=False,
)
hyp2f1 = _in_z(
    "hyp2f1",
    sc.hyp2f1,
    lambda ans, a, b, c, z: a * b / c * hyp2f1(a + 1, b + 1, c + 1, z),
    [
        Sample(1.5, 0.5, 2.5, rand(3, low=-0.8, high=0.8)),
        Sample(np.array([0.5, -1.5]), 1.0, 3.0, rand(2, low=-0.8, high=0.8)),
        Sample(1.5, np.array([[0.5], [-1.5]]), 2.5, rand(3, low=-0.8, high=0.8)),  # z broadcast
        Sample(0.3, 0.6, 1.2, scalar(-0.8, 0.8)),
    ],
    complex=True,
)

# Complete elliptic integrals K(m), E(m) (DLMF 19.4.1).
ellipk = elementwise(
    "ellipk",
    sc.ellipk,
    lambda ans, m: (ellipe(m) - (1 - m) * ans) / (2 * m * (1 - m)),
    low=0.1,
    high=0.9,
    saves=("ans", "args"),
)
ellipk.def_samples(Sample(rand(3, low=-2.0, high=-0.1)))
ellipe = elementwise(
    "ellipe", sc.ellipe, lambda ans, m: (ans - ellipk(m)) / (2 * m), low=0.1, high=0.9, saves=("ans", "args")
)
ellipe.def_samples(Sample(rand(3, low=-2.0, high=-0.1)))
# ellipkm1(p) = K(1 - p).
ellipkm1 = elementwise(
    "ellipkm1",
    sc.ellipkm1,
    lambda ans, p: -(ellipe(1 - p) - p * ans) / (2 * p * (1 - p)),
    low=0.1,
    high=0.9,
    saves=("ans", "args"),
)

# SciPy's dilogarithm: spence(z) = int_1^z log(t) / (1 - t) dt.
spence = elementwise("spence", sc.spence, lambda ans, z: log(z) / (1 - z), low=0.2, high=0.8, complex=True)
spence.def_samples(Sample(rand(3, low=1.2, high=3.0)))
