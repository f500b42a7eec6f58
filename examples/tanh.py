"""tanh and its first six derivatives, each one the elementwise gradient of the last.

Run ``python examples/tanh.py [out.png]``; writes the plot (default examples/tanh.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import plugrad.numpy as np
from plugrad import elementwise_grad


def derivatives(x, order=6):
    """``[tanh(x), tanh'(x), ..., tanh^(order)(x)]``: nested elementwise_grad, nothing by hand."""
    curves, f = [np.tanh(x)], np.tanh
    for _ in range(order):
        f = elementwise_grad(f)
        curves.append(f(x))
    return curves


def main(out: str, num_points: int = 600, order: int = 6) -> list:
    """Plots the curves to ``out`` and returns them (``num_points`` samples on [-7, 7])."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.linspace(-7, 7, num_points)
    curves = derivatives(x, order)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for n, curve in enumerate(curves):
        ax.plot(x, curve, label="tanh(x)" if n == 0 else f"order {n}")
    ax.set_xlabel("x")
    ax.set_ylim(-5.5, 5.5)
    ax.legend(ncol=2, fontsize="small")
    ax.set_title(f"tanh and its first {order} derivatives, by nested elementwise_grad")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return curves


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("tanh.png")))
