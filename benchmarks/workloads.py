"""Workloads 1-8: run in this process, every library on the same inputs.

Each ``run_*`` function builds its inputs, times every library's version of the
workload through :class:`harness.Bench` (interleaved), checks that the answers
agree, and adds its rows to the table. The functions being differentiated are
written once, against a library's ``np`` namespace, so plugrad and autograd run
the very same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

# isort: split
import by_hand
import torch_workloads as T
from harness import Bench, Row, Timing
from libs import Lib

SCALAR_STEPS = 200  # five primitive operations each: 1000 operations in all


@dataclasses.dataclass(frozen=True)
class Context:
    libs: list[Lib]  # plugrad first, then autograd
    torch: Any | None
    quick: bool


def _medians(
    timings: dict[str, Timing], key: Callable[[str], str | None]
) -> tuple[dict[str, float | None], dict[str, float]]:
    """Median seconds by column, for the contenders whose label ``key`` maps to a column."""
    values: dict[str, float | None] = {}
    spreads: dict[str, float] = {}
    for label, t in timings.items():
        column = key(label)
        if column is not None:
            values[column] = t.median
            spreads[column] = t.spread
    return values, spreads


def _metric(suffix: str) -> Callable[[str], str | None]:
    """Maps ``"plugrad/grad"`` to ``"plugrad"`` for ``suffix="grad"``."""
    return lambda label: label.rpartition("/")[0] if label.endswith("/" + suffix) else None


def _rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


# -- 1. the fourth derivative of a cubic -------------------------------------------------


def poly(x: Any) -> Any:
    return 3 * x**3 - 20 * x**2 + 40 * x - 2


POLY_X = np.linspace(-1, 4, 500)


def poly_derivatives(lib: Lib) -> list[Callable[[Any], Any]]:
    """The first four derivatives of :func:`poly` by nested ``elementwise_grad``."""
    ds = [lib.elementwise_grad(poly)]
    for _ in range(3):
        ds.append(lib.elementwise_grad(ds[-1]))
    return ds


def poly4_grad(lib: Lib) -> Callable[[], Any]:
    return partial(poly_derivatives(lib)[3], POLY_X)


def run_poly4(bench: Bench, ctx: Context) -> None:
    name = "1. 4th derivative of 3x³−20x²+40x−2"
    x = POLY_X
    exact = [9 * x**2 - 40 * x + 40, 18 * x - 40, np.full_like(x, 18.0), np.zeros_like(x)]
    contenders: dict[str, Callable[[], Any]] = {}
    for lib in ctx.libs:
        # The 4th derivative is 0, which a wrong answer could match by accident:
        # check every order against calculus first.
        for n, d in enumerate(poly_derivatives(lib)):
            if not np.allclose(d(x), exact[n]):
                bench.fail(f"{name}: {lib.name} derivative {n + 1} is wrong")
        contenders[lib.name] = poly4_grad(lib)
    if ctx.torch is not None:
        contenders["torch"] = T.poly4(ctx.torch, x)
    timings, answers = bench.time(contenders)
    answers["exact"] = exact[3]
    bench.check(name, answers, "exact")
    values, spreads = _medians(timings, lambda label: label)
    bench.add(Row(name, "4 nested elementwise_grad, 500 points", "s", values, spreads=spreads))


# -- 2. a loop of scalar operations -------------------------------------------------------


def scalar_loop(np_: Any) -> Callable[[Any], Any]:
    def loop(x: Any) -> Any:
        for _ in range(SCALAR_STEPS):
            x = x * 0.9 + np_.sin(x) / 3.0 - 0.1
        return x

    return loop


SCALAR_X = 0.3


def scalar_grad(lib: Lib) -> Callable[[], Any]:
    return partial(lib.grad(scalar_loop(lib.np)), SCALAR_X)


def run_scalar_loop(bench: Bench, ctx: Context) -> None:
    name = "2. scalar loop, 1000 ops on a Python float"
    ops = 5 * SCALAR_STEPS
    x0 = SCALAR_X
    contenders: dict[str, Callable[[], Any]] = {}
    for lib in ctx.libs:
        contenders[f"{lib.name}/grad"] = scalar_grad(lib)
        contenders[f"{lib.name}/fwd"] = partial(scalar_loop(lib.np), x0)
    if ctx.torch is not None:
        contenders["torch/grad"], contenders["torch/fwd"] = T.scalar_loop(ctx.torch, x0, SCALAR_STEPS)
    contenders["numpy/grad"] = partial(by_hand.scalar_loop_grad, x0, SCALAR_STEPS)
    contenders["numpy/fwd"] = partial(scalar_loop(np), x0)
    timings, answers = bench.time(contenders)
    # The gradient is about 2e-39 (each step scales it by 0.6 near the loop's fixed point):
    # np.allclose's default atol=1e-8 would pass any answer below 1e-8, zero included.
    grads = {label: a for label, a in answers.items() if label.endswith("/grad")}
    bench.check(name, grads, "autograd/grad", atol=0.0)
    fwds = {label: a for label, a in answers.items() if label.endswith("/fwd")}
    bench.check(name, fwds, "numpy/fwd")
    for metric, suffix in (
        ("µs per op, forward + backward", "grad"),
        ("µs per op, forward only (untraced)", "fwd"),
    ):
        values, spreads = _medians(timings, _metric(suffix))
        per_op = {k: v * 1e6 / ops for k, v in values.items() if v is not None}
        bench.add(
            Row(
                name,
                metric,
                "us",
                dict(per_op),
                spreads=spreads,
                note="by hand: math.sin/cos on floats"
                if suffix == "grad"
                else "by hand: numpy.sin on floats",
            )
        )


# -- 3, 4. multilayer perceptrons -----------------------------------------------------------


def mlp_loss(np_: Any) -> Callable[..., Any]:
    def loss(params: list[Any], x: Any, y: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = np_.tanh(x @ w1 + b1)
        h2 = np_.tanh(h1 @ w2 + b2)
        d = h2 @ w3 + b3 - y
        return np_.mean(d * d)

    return loss


def mlp_data(
    batch: int, width: int, inputs: int, outputs: int
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = _rng()
    shapes = [(inputs, width), (width,), (width, width), (width,), (width, outputs), (outputs,)]
    params = [rng.standard_normal(s) / np.sqrt(s[0]) for s in shapes]
    return params, rng.standard_normal((batch, inputs)), rng.standard_normal((batch, outputs))


def mlp_grad(lib: Lib, batch: int, width: int) -> Callable[[], Any]:
    """The loss and its gradient, as a training step needs them (``value_and_grad``: the
    same forward and backward pass as ``grad``, which discards the value)."""
    params, x, y = mlp_data(batch, width, inputs=width, outputs=10)
    return partial(lib.value_and_grad(mlp_loss(lib.np)), params, x, y)


def run_mlp(bench: Bench, ctx: Context, number: str, batch: int, width: int) -> None:
    name = f"{number}. MLP, batch {batch}, width {width}, 2 tanh layers"
    params, x, y = mlp_data(batch, width, inputs=width, outputs=10)
    contenders: dict[str, Callable[[], Any]] = {}
    for lib in ctx.libs:
        contenders[f"{lib.name}/grad"] = mlp_grad(lib, batch, width)
        contenders[f"{lib.name}/fwd"] = partial(mlp_loss(lib.np), params, x, y)
    if ctx.torch is not None:
        contenders["torch/grad"], contenders["torch/fwd"] = T.mlp(ctx.torch, params, x, y)
    contenders["numpy/grad"] = partial(by_hand.mlp_value_and_grad, params, x, y)
    contenders["numpy/fwd"] = partial(by_hand.mlp_forward, params, x, y)
    timings, answers = bench.time(contenders)
    bench.check(name, {k: v for k, v in answers.items() if k.endswith("/grad")}, "numpy/grad")
    bench.check(name, {k: v for k, v in answers.items() if k.endswith("/fwd")}, "numpy/fwd")
    grad, grad_spread = _medians(timings, _metric("grad"))
    fwd, fwd_spread = _medians(timings, _metric("fwd"))
    hand = grad["numpy"]
    assert hand is not None
    bench.add(
        Row(
            name,
            "loss and gradient (forward + backward)",
            "s",
            grad,
            spreads=grad_spread,
            note="by hand: NumPy forward and backward written out",
        )
    )
    bench.add(Row(name, "forward only (untraced)", "s", fwd, spreads=fwd_spread))
    bench.add(
        Row(
            name,
            "gradient / forward",
            "x",
            {k: _div(grad[k], fwd.get(k)) for k in grad},
            note="each library's own untraced forward",
        )
    )
    bench.add(Row(name, "gradient / by-hand gradient", "x", {k: _div(v, hand) for k, v in grad.items()}))


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# -- 5. a recurrent network -------------------------------------------------------------------


def rnn_loss(np_: Any) -> Callable[..., Any]:
    def loss(wx: Any, wh: Any, b: Any, xs: Any, y: Any) -> Any:
        h = np.zeros(y.shape)
        for t in range(xs.shape[0]):
            h = np_.tanh(xs[t] @ wx + h @ wh + b)
        d = h - y
        return np_.mean(d * d)

    return loss


def rnn_data() -> tuple[np.ndarray, ...]:
    """``(Wx, Wh, b, xs, y)``: 50 steps, batch 16, 16 inputs, hidden 64."""
    rng = _rng()
    steps, batch, inputs, hidden = 50, 16, 16, 64
    wx = rng.standard_normal((inputs, hidden)) / np.sqrt(inputs)
    wh = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    b = rng.standard_normal(hidden) * 0.1
    xs = rng.standard_normal((steps, batch, inputs))
    y = rng.standard_normal((batch, hidden)) * 0.5
    return wx, wh, b, xs, y


def rnn_grad(lib: Lib) -> Callable[[], Any]:
    """The loss and its gradient, as :func:`mlp_grad`."""
    data = rnn_data()
    return partial(lib.value_and_grad(rnn_loss(lib.np), (0, 1, 2)), *data)


def run_rnn(bench: Bench, ctx: Context) -> None:
    name = "5. RNN, 50 tanh steps, hidden 64, batch 16"
    contenders = {lib.name: rnn_grad(lib) for lib in ctx.libs}
    if ctx.torch is not None:
        contenders["torch"] = T.rnn(ctx.torch, *rnn_data())
    contenders["numpy"] = partial(by_hand.rnn_value_and_grad, *rnn_data())
    timings, answers = bench.time(contenders)
    bench.check(name, answers, "numpy")
    values, spreads = _medians(timings, lambda label: label)
    bench.add(
        Row(
            name,
            "loss and gradient w.r.t. (Wx, Wh, b)",
            "s",
            values,
            spreads=spreads,
            note="by hand: backpropagation through time written out",
        )
    )
    hand = values["numpy"]
    bench.add(Row(name, "gradient / by-hand gradient", "x", {k: _div(v, hand) for k, v in values.items()}))


# -- 6. a Hessian-vector product ----------------------------------------------------------------


def rosenbrock(np_: Any) -> Callable[[Any], Any]:
    return lambda x: np_.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def hvp_data() -> tuple[np.ndarray, np.ndarray]:
    rng = _rng()
    return rng.uniform(-1, 1, 200), rng.standard_normal(200)


def hvp_grad(lib: Lib) -> Callable[[], Any]:
    x, v = hvp_data()
    return partial(lib.hessian_vector_product(rosenbrock(lib.np)), x, v)


def run_hvp(bench: Bench, ctx: Context) -> None:
    name = "6. Hessian-vector product, 200-d Rosenbrock"
    contenders = {lib.name: hvp_grad(lib) for lib in ctx.libs}
    if ctx.torch is not None:
        contenders["torch"] = T.rosenbrock_hvp(ctx.torch, *hvp_data())
    timings, answers = bench.time(contenders)
    bench.check(name, answers, "autograd")
    values, spreads = _medians(timings, lambda label: label)
    bench.add(Row(name, "hessian_vector_product", "s", values, spreads=spreads))


# -- 7, 8. packs: linear algebra and special functions -------------------------------------------


def run_linalg(bench: Bench, ctx: Context) -> None:
    name = "7. slogdet + solve, 100×100"
    rng = _rng()
    a = rng.standard_normal((100, 100)) + 10 * np.eye(100)
    b = rng.standard_normal(100)

    def make(lib: Lib) -> Callable[[], Any]:
        la = lib.linalg

        def f(a_: Any) -> Any:
            _, logdet = la.slogdet(a_)
            return logdet + lib.np.sum(la.solve(a_, b))

        return partial(lib.grad(f), a)

    _run_pack(bench, ctx, name, "linalg", make, T.slogdet_solve, (a, b), "gradient w.r.t. the matrix")


def run_special(bench: Bench, ctx: Context) -> None:
    name = "8. gammaln + erf + digamma, 10⁵ points"
    x = np.linspace(0.5, 5.0, 100_000)

    def make(lib: Lib) -> Callable[[], Any]:
        sp = lib.special

        def f(x_: Any) -> Any:
            return lib.np.sum(sp.gammaln(x_) + sp.erf(x_) + sp.digamma(x_))

        return partial(lib.grad(f), x)

    _run_pack(bench, ctx, name, "special", make, T.special, (x,), "gradient")


def _run_pack(
    bench: Bench,
    ctx: Context,
    name: str,
    kind: str,
    make: Callable[[Lib], Callable[[], Any]],
    torch_make: Callable[..., Callable[[], Any]],
    inputs: tuple[Any, ...],
    metric: str,
) -> None:
    """A workload that needs one of a library's optional packs: skipped for a
    library that lacks it, with the reason in the notes."""
    contenders: dict[str, Callable[[], Any]] = {}
    notes = []
    for lib in ctx.libs:
        if getattr(lib, kind) is None:
            notes.append(lib.missing[kind])
        else:
            contenders[lib.name] = make(lib)
    if ctx.torch is not None:
        contenders["torch"] = torch_make(ctx.torch, *inputs)
    timings, answers = bench.time(contenders)
    bench.check(name, answers, "autograd")
    values, spreads = _medians(timings, lambda label: label)
    bench.add(Row(name, metric, "s", values, spreads=spreads, note="; ".join(notes)))


IN_PROCESS: list[tuple[str, Callable[[Bench, Context], None]]] = [
    ("poly4", run_poly4),
    ("scalar", run_scalar_loop),
    ("mlp_small", lambda bench, ctx: run_mlp(bench, ctx, "3", 32, 64)),
    ("mlp_large", lambda bench, ctx: run_mlp(bench, ctx, "4", 256, 1024)),
    ("rnn", run_rnn),
    ("hvp", run_hvp),
    ("linalg", run_linalg),
    ("special", run_special),
]

# The gradient computations of workloads 1-6, for profile_plugrad.py.
PROFILED: dict[str, Callable[[Lib], Callable[[], Any]]] = {
    "poly4": poly4_grad,
    "scalar": scalar_grad,
    "mlp_small": lambda lib: mlp_grad(lib, 32, 64),
    "mlp_large": lambda lib: mlp_grad(lib, 256, 1024),
    "rnn": rnn_grad,
    "hvp": hvp_grad,
}
