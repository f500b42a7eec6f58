"""Logistic regression by plain gradient descent on two overlapping Gaussian clouds.

Run ``python examples/logistic_regression.py [out.png]``; prints the loss and the training
accuracy, and plots the data with the learned decision boundary and the loss curve
(default examples/logistic_regression.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

import plugrad.numpy as np
from plugrad import value_and_grad


def make_data(num_points, seed=0):
    """Inputs of shape (num_points, 2) and labels in {0, 1}: two Gaussian clouds that overlap a little."""
    rng = numpy.random.default_rng(seed)
    labels = rng.integers(0, 2, num_points)
    centres = numpy.array([[-1.0, -0.5], [1.0, 0.8]])
    inputs = centres[labels] + rng.normal(scale=0.9, size=(num_points, 2))
    return inputs, labels.astype(float)


def logits(weights, inputs):
    """The log-odds of class 1: weights[:-1] · x + weights[-1]."""
    return np.dot(inputs, weights[:-1]) + weights[-1]


def loss(weights, inputs, labels):
    """Mean negative log-likelihood: log(1 + exp(-z)) for label 1, log(1 + exp(z)) for label 0."""
    z = logits(weights, inputs)
    signs = 2 * labels - 1
    return np.mean(np.logaddexp(0.0, -signs * z))


def accuracy(weights, inputs, labels):
    return numpy.mean((logits(weights, inputs) > 0) == (labels == 1))


def train(inputs, labels, num_iters, step_size=0.5):
    """Gradient descent from zero weights; returns the weights and the loss before each step."""
    loss_and_grad = value_and_grad(loss)
    weights, losses = numpy.zeros(inputs.shape[1] + 1), []
    for _ in range(num_iters):
        value, g = loss_and_grad(weights, inputs, labels)
        losses.append(float(value))
        weights = weights - step_size * g
    losses.append(float(loss(weights, inputs, labels)))
    return weights, losses


def main(out: str, num_points: int = 300, num_iters: int = 100) -> dict:
    """Trains, reports, plots to ``out``; returns the weights, losses and accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inputs, labels = make_data(num_points)
    weights, losses = train(inputs, labels, num_iters)
    acc = accuracy(weights, inputs, labels)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {acc:.1%}")

    fig, (ax_data, ax_loss) = plt.subplots(1, 2, figsize=(10, 4.2))
    ax_data.scatter(*inputs[labels == 0].T, s=12, label="class 0")
    ax_data.scatter(*inputs[labels == 1].T, s=12, label="class 1")
    x0 = numpy.linspace(inputs[:, 0].min(), inputs[:, 0].max(), 2)
    w0, w1, b = weights  # boundary: w0 x0 + w1 x1 + b = 0
    ax_data.plot(x0, -(w0 * x0 + b) / w1, "k-", label="decision boundary")
    ax_data.set_ylim(inputs[:, 1].min() - 0.5, inputs[:, 1].max() + 0.5)
    ax_data.legend(fontsize="small")
    ax_data.set_title(f"data and boundary (accuracy {acc:.1%})")
    ax_loss.plot(losses)
    ax_loss.set_xlabel("gradient-descent step")
    ax_loss.set_ylabel("mean negative log-likelihood")
    ax_loss.set_title("training loss")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return {"weights": weights, "losses": losses, "accuracy": acc}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("logistic_regression.png")))
