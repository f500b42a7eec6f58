"""Hand-written forward and backward passes: the floor an AD library is measured against."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["mlp_forward", "mlp_value_and_grad", "rnn_value_and_grad", "scalar_loop_grad"]


def mlp_forward(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Two tanh hidden layers, a linear output, mean squared error."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    d = h2 @ w3 + b3 - y
    return float(np.mean(d * d))


def mlp_value_and_grad(
    params: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """:func:`mlp_forward` and its gradient with respect to ``params``: the forward pass,
    keeping what the chain rule reads, then the backward pass."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    d = h2 @ w3 + b3 - y
    loss = float(np.mean(d * d))
    g_out = d * (2.0 / d.size)
    g_a2 = (g_out @ w3.T) * (1.0 - h2 * h2)
    g_a1 = (g_a2 @ w2.T) * (1.0 - h1 * h1)
    return loss, [x.T @ g_a1, g_a1.sum(0), h1.T @ g_a2, g_a2.sum(0), h2.T @ g_out, g_out.sum(0)]


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


def rnn_value_and_grad(
    wx: np.ndarray, wh: np.ndarray, b: np.ndarray, xs: np.ndarray, y: np.ndarray
) -> tuple[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The mean squared error of the last state of ``h = tanh(x_t @ wx + h @ wh + b)``
    and its gradient with respect to ``(wx, wh, b)``: backpropagation through time,
    written out."""
    h = np.zeros(y.shape)
    hs = [h]
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ wx + h @ wh + b)
        hs.append(h)
    d = h - y
    loss = float(np.mean(d * d))
    g = d * (2.0 / y.size)
    gwx, gwh, gb = np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(b)
    for t in range(xs.shape[0] - 1, -1, -1):
        ga = g * (1.0 - hs[t + 1] * hs[t + 1])
        gwx += xs[t].T @ ga
        gwh += hs[t].T @ ga
        gb += ga.sum(0)
        g = ga @ wh.T
    return loss, (gwx, gwh, gb)
