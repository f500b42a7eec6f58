"""A polynomial and its first four derivatives, each one differentiating the last.

Run ``python examples/poly.py [out.png]``; writes the plot (default examples/poly.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import plugrad.numpy as np
from plugrad import elementwise_grad, grad


def poly(x):
    return 3 * x**3 - 20 * x**2 + 40 * x - 2


def derivatives(x, n=4):
    """``[poly(x), poly'(x), ..., poly^(n)(x)]`` by nesting elementwise_grad."""
    curves, f = [poly(x)], poly
    for _ in range(n):
        f = elementwise_grad(f)
        curves.append(f(x))
    return curves


def main(out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    print("grad(poly)(1.0) =", grad(poly)(1.0))
    x = np.linspace(-1, 4, 500)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = ["p(x)", "p'(x)", "p''(x)", "p'''(x)", "p''''(x)"]
    for curve, label in zip(derivatives(x), labels):
        ax.plot(x, curve, label=label)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("x")
    ax.legend()
    ax.set_title("3x³ − 20x² + 40x − 2 and its derivatives, by plugrad")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("poly.png")))
