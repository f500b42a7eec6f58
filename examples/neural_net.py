"""A small multilayer perceptron that learns to tell two interleaved spirals apart, trained with Adam.

Run ``python examples/neural_net.py [out.png]``; prints the loss and accuracy as it trains and
plots the loss curve and the learned class regions (default examples/neural_net.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

import plugrad.numpy as np
from plugrad import grad
from plugrad.misc.optimizers import adam
from plugrad.scipy.special import logsumexp


def make_spirals(num_points, noise=0.2, seed=0):
    """``num_points`` inputs on two spiral arms (class 0 and class 1), with Gaussian jitter."""
    rng = numpy.random.default_rng(seed)
    labels = numpy.arange(num_points) % 2
    radius = rng.uniform(0.25, 1.0, num_points)
    angle = 3.5 * numpy.pi * radius + numpy.pi * labels
    inputs = 3 * radius[:, None] * numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    return inputs + noise * rng.normal(size=inputs.shape), labels


def init_params(layer_sizes, seed=0):
    """A list of (weights, biases), one per layer, scaled so each unit starts with unit-variance input."""
    rng = numpy.random.default_rng(seed)
    return [
        (rng.normal(size=(m, n)) / numpy.sqrt(m), numpy.zeros(n))
        for m, n in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def log_probs(params, inputs):
    """Log class probabilities, shape (num_inputs, num_classes): tanh hidden layers, softmax output."""
    activations = inputs
    for weights, biases in params[:-1]:
        activations = np.tanh(np.dot(activations, weights) + biases)
    weights, biases = params[-1]
    scores = np.dot(activations, weights) + biases
    return scores - logsumexp(scores, axis=1, keepdims=True)


def loss(params, inputs, labels, l2=1e-4):
    """Mean cross-entropy plus a small L2 penalty on the weights."""
    picked = np.take_along_axis(log_probs(params, inputs), labels[:, None], axis=1)
    penalty = sum(np.sum(w**2) for w, _ in params)
    return -np.mean(picked) + l2 * penalty


def accuracy(params, inputs, labels):
    return numpy.mean(numpy.argmax(log_probs(params, inputs), axis=1) == labels)


def train(params, inputs, labels, num_iters, batch_size=64, step_size=0.03):
    """Adam on minibatches taken in turn from a shuffled copy of the data (wrapping around
    at its end); returns the parameters and the full-data loss before each step and at the end."""
    order = numpy.random.default_rng(1).permutation(len(labels))

    def batch(i):
        idx = order[(i * batch_size + numpy.arange(batch_size)) % len(order)]
        return inputs[idx], labels[idx]

    def objective_grad(params, i):
        return grad(loss)(params, *batch(i))

    losses = []

    def record(params, i, g):
        losses.append(float(loss(params, inputs, labels)))
        if i % max(1, num_iters // 10) == 0:
            print(f"iteration {i:4d}  loss {losses[-1]:.4f}  accuracy {accuracy(params, inputs, labels):.1%}")

    params = adam(objective_grad, params, record, num_iters=num_iters, step_size=step_size)
    losses.append(float(loss(params, inputs, labels)))
    return params, losses


def main(out: str, num_points: int = 400, hidden: int = 32, num_iters: int = 600) -> dict:
    """Trains a 2-``hidden``-``hidden``-2 network, plots to ``out``; returns params, losses, accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inputs, labels = make_spirals(num_points)
    params = init_params([2, hidden, hidden, 2])
    params, losses = train(params, inputs, labels, num_iters)
    acc = accuracy(params, inputs, labels)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {acc:.1%}")

    fig, (ax_loss, ax_data) = plt.subplots(1, 2, figsize=(10, 4.4))
    ax_loss.plot(losses)
    ax_loss.set_xlabel("Adam iteration")
    ax_loss.set_ylabel("cross-entropy + L2 on all points")
    ax_loss.set_title("training loss")
    grid = numpy.linspace(-4, 4, 150)
    gx, gy = numpy.meshgrid(grid, grid)
    p1 = numpy.exp(log_probs(params, numpy.stack([gx.ravel(), gy.ravel()], axis=1))[:, 1])
    ax_data.contourf(gx, gy, p1.reshape(gx.shape), levels=20, cmap="coolwarm", alpha=0.5, vmin=0, vmax=1)
    ax_data.scatter(*inputs[labels == 0].T, s=8, c="tab:blue", label="class 0")
    ax_data.scatter(*inputs[labels == 1].T, s=8, c="tab:red", label="class 1")
    ax_data.set_aspect("equal")
    ax_data.legend(fontsize="small", loc="upper right")
    ax_data.set_title(f"P(class 1) and data (accuracy {acc:.1%})")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return {"params": params, "losses": losses, "accuracy": acc}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("neural_net.png")))
