"""The same workloads in PyTorch (CPU, one thread), for scale. Each builder takes
``torch`` and the NumPy inputs and returns a function of no arguments whose
answer the harness compares with autograd's; tensors are built once, outside
the timed function, as the NumPy workloads' arrays are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Thunk = Callable[[], Any]


def _leaf(torch: Any, a: np.ndarray) -> Any:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def poly4(torch: Any, x: np.ndarray) -> Thunk:
    xt = _leaf(torch, x)

    def run() -> Any:
        y = 3 * xt**3 - 20 * xt**2 + 40 * xt - 2
        for _ in range(4):
            (y,) = torch.autograd.grad(y.sum(), xt, create_graph=True)
        return y.detach()

    return run


def scalar_loop(torch: Any, x: float, steps: int) -> tuple[Thunk, Thunk]:
    """``(grad, forward)`` of the scalar loop on a 0-d tensor."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    plain = torch.tensor(x, dtype=torch.float64)

    def loop(z: Any) -> Any:
        for _ in range(steps):
            z = z * 0.9 + torch.sin(z) / 3.0 - 0.1
        return z

    def grad() -> Any:
        (g,) = torch.autograd.grad(loop(xt), xt)
        return g

    def forward() -> Any:
        with torch.no_grad():
            return loop(plain)

    return grad, forward


def mlp(torch: Any, params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[Thunk, Thunk]:
    """``(value_and_grad, forward)`` of the MLP loss with respect to its parameters."""
    ps = [_leaf(torch, p) for p in params]
    plain = [torch.tensor(p) for p in params]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def loss(w1: Any, b1: Any, w2: Any, b2: Any, w3: Any, b3: Any) -> Any:
        h1 = torch.tanh(xt @ w1 + b1)
        h2 = torch.tanh(h1 @ w2 + b2)
        d = h2 @ w3 + b3 - yt
        return torch.mean(d * d)

    def value_and_grad() -> Any:
        value = loss(*ps)
        return value.detach(), torch.autograd.grad(value, ps)

    def forward() -> Any:
        with torch.no_grad():
            return loss(*plain)

    return value_and_grad, forward


def rnn(torch: Any, wx: np.ndarray, wh: np.ndarray, b: np.ndarray, xs: np.ndarray, y: np.ndarray) -> Thunk:
    ps = [_leaf(torch, p) for p in (wx, wh, b)]
    xst, yt = torch.tensor(xs), torch.tensor(y)

    def run() -> Any:
        wxt, wht, bt = ps
        h = torch.zeros(y.shape, dtype=torch.float64)
        for t in range(xst.shape[0]):
            h = torch.tanh(xst[t] @ wxt + h @ wht + bt)
        d = h - yt
        value = torch.mean(d * d)
        return value.detach(), torch.autograd.grad(value, ps)

    return run


def rosenbrock_hvp(torch: Any, x: np.ndarray, v: np.ndarray) -> Thunk:
    xt, vt = _leaf(torch, x), torch.tensor(v)

    def run() -> Any:
        f = torch.sum(100.0 * (xt[1:] - xt[:-1] ** 2) ** 2 + (1.0 - xt[:-1]) ** 2)
        (g,) = torch.autograd.grad(f, xt, create_graph=True)
        (hv,) = torch.autograd.grad(g @ vt, xt)
        return hv

    return run


def slogdet_solve(torch: Any, a: np.ndarray, b: np.ndarray) -> Thunk:
    at, bt = _leaf(torch, a), torch.tensor(b)

    def run() -> Any:
        _, logdet = torch.linalg.slogdet(at)
        f = logdet + torch.sum(torch.linalg.solve(at, bt))
        (g,) = torch.autograd.grad(f, at)
        return g

    return run


def special(torch: Any, x: np.ndarray) -> Thunk:
    xt = _leaf(torch, x)

    def run() -> Any:
        f = torch.sum(torch.special.gammaln(xt) + torch.special.erf(xt) + torch.special.digamma(xt))
        (g,) = torch.autograd.grad(f, xt)
        return g

    return run
