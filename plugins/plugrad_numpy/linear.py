"""Products: matmul, dot and their relatives. Each is linear in each argument, so
its JVP is itself with one argument replaced by the tangent."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand
from plugrad_numpy._util import unbroadcast
from plugrad_numpy.shape import swapaxes


def _ndim(x: Any) -> int:
    return len(getattr(x, "shape", ()))


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _ndim(a) == 1 and _ndim(b) == 1:
        return unbroadcast(g * b, a)
    if _ndim(b) == 1:  # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(matmul(g[..., None], b[None, :]), a)
    if _ndim(a) == 1:  # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(matmul(b, g[..., None])[..., 0], a)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _ndim(a) == 1 and _ndim(b) == 1:
        return unbroadcast(g * a, b)
    if _ndim(a) == 1:  # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(matmul(a[:, None], g[..., None, :]), b)
    if _ndim(b) == 1:  # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(matmul(g[..., None, :], a)[..., 0, :], b)
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


matmul = Primitive("numpy.matmul", np.matmul, complex=True)
matmul.def_vjp(_matmul_vjp_a, _matmul_vjp_b)
matmul.def_linear(0, 1)
matmul.def_samples(
    Sample(rand(2, 3), rand(3, 4)),
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(3), rand(3, 2)),
    Sample(rand(2, 2, 3), rand(3, 4)),
    Sample(rand(3), rand(2, 3, 4)),
    Sample(rand(2, 4, 3), rand(3, 2)),
    Sample(rand(2, 1, 4, 3), rand(3, 3, 2)),
)
