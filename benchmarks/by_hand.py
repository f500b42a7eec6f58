"""Hand-written forward and backward passes: the floor an AD library is measured against."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["mlp_forward", "mlp_grad", "scalar_loop_grad"]


def mlp_forward(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Two tanh hidden layers, a linear output, mean squared error."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    d = h2 @ w3 + b3 - y
    return float(np.mean(d * d))


def mlp_grad(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The gradient of :func:`mlp_forward` with respect to ``params``, by the chain rule."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    d = h2 @ w3 + b3 - y
    g_out = d * (2.0 / d.size)
    g_a2 = (g_out @ w3.T) * (1.0 - h2 * h2)
    g_a1 = (g_a2 @ w2.T) * (1.0 - h1 * h1)
    return [x.T @ g_a1, g_a1.sum(0), h1.T @ g_a2, g_a2.sum(0), h2.T @ g_out, g_out.sum(0)]


def scalar_loop_grad(x: float, steps: int) -> float:
    """d/dx of ``steps`` times ``x = x * 0.9 + sin(x) / 3 - 0.1``, with ``math`` on floats."""
    xs: list[Any] = []
    for _ in range(steps):
        xs.append(x)
        x = x * 0.9 + math.sin(x) / 3.0 - 0.1
    g = 1.0
    for x in reversed(xs):
        g *= 0.9 + math.cos(x) / 3.0
    return g
