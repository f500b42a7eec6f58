"""Gaussian-process regression whose kernel hyperparameters maximise the log marginal likelihood.

The likelihood goes through a Cholesky factor and a linear solve; plugrad differentiates both,
and SciPy's L-BFGS-B takes the value and the gradient together (``jac=True``).

Run ``python examples/gaussian_process.py [out.png]``; prints the log marginal likelihood before
and after fitting and plots the posterior with its 95% band (default examples/gaussian_process.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy
import scipy.optimize

import plugrad.numpy as np
from plugrad import value_and_grad

# Hyperparameters, unconstrained: log amplitude, log length scale, log noise std, constant mean.
NAMES = ("log_amplitude", "log_length_scale", "log_noise", "mean")


def make_data(num_points, seed=0):
    """Noisy samples of a smooth function at random points of [-4, 4]."""
    rng = numpy.random.default_rng(seed)
    x = numpy.sort(rng.uniform(-4, 4, num_points))
    y = numpy.sin(1.3 * x) + 0.4 * x + 1.0 + rng.normal(scale=0.15, size=num_points)
    return x, y


def rbf_kernel(params, xa, xb):
    """Squared-exponential covariance: amplitude² exp(-(a - b)² / (2 length_scale²))."""
    log_amplitude, log_length_scale = params[0], params[1]
    sq_dists = (xa[:, None] - xb[None, :]) ** 2
    return np.exp(2 * log_amplitude - 0.5 * sq_dists / np.exp(2 * log_length_scale))


def covariance(params, x):
    """The covariance of the noisy observations: kernel plus noise variance (and a little jitter)."""
    return rbf_kernel(params, x, x) + (np.exp(2 * params[2]) + 1e-6) * np.eye(len(x))


def log_marginal_likelihood(params, x, y):
    """log N(y | mean, K) = -½ rᵀK⁻¹r - ½ log det K - (n/2) log 2π, with K = L Lᵀ."""
    chol = np.linalg.cholesky(covariance(params, x))
    white = np.linalg.solve(chol, y - params[3])  # L⁻¹ r, so rᵀK⁻¹r = |L⁻¹ r|²
    return (
        -0.5 * np.sum(white**2)
        - np.sum(np.log(np.diagonal(chol)))
        - 0.5 * len(x) * numpy.log(2 * numpy.pi)
    )


def predict(params, x, y, x_new):
    """Posterior mean and variance of the latent function at ``x_new``."""
    cov = covariance(params, x)
    cross = rbf_kernel(params, x_new, x)
    mean = params[3] + np.dot(cross, np.linalg.solve(cov, y - params[3]))
    var = numpy.exp(2 * params[0]) - np.sum(cross * np.linalg.solve(cov, cross.T).T, axis=1)
    return mean, var


def fit(params, x, y):
    """Maximises the log marginal likelihood with L-BFGS-B on its value and gradient."""
    objective = value_and_grad(lambda p: -log_marginal_likelihood(p, x, y))
    result = scipy.optimize.minimize(objective, params, jac=True, method="L-BFGS-B")
    return result.x


def main(out: str, num_points: int = 40) -> dict:
    """Fits the hyperparameters, plots the posterior to ``out``; returns them and the likelihoods."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = make_data(num_points)
    # A deliberately poor start: short length scale, large noise.
    initial = numpy.array([0.0, numpy.log(0.2), 0.0, 0.0])
    params = fit(initial, x, y)
    before, after = log_marginal_likelihood(initial, x, y), log_marginal_likelihood(params, x, y)
    print(f"log marginal likelihood {before:.3f} -> {after:.3f}")
    for name, value in zip(NAMES, params):
        print(f"  {name:18s} {value: .3f}")

    x_plot = numpy.linspace(-5, 5, 300)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, p, title in [(axes[0], initial, "initial"), (axes[1], params, "fitted")]:
        mean, var = predict(p, x, y, x_plot)
        std = numpy.sqrt(numpy.maximum(var, 0))
        ax.fill_between(x_plot, mean - 2 * std, mean + 2 * std, color="tab:blue", alpha=0.2, label="±2 std")
        ax.plot(x_plot, mean, color="tab:blue", label="posterior mean")
        ax.plot(x, y, "k.", label="data")
        lml = log_marginal_likelihood(p, x, y)
        ax.set_title(f"{title}: length scale {numpy.exp(p[1]):.2f}, log ML {lml:.1f}")
        ax.set_xlabel("x")
    axes[0].legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return {"initial": initial, "params": params, "lml_initial": float(before), "lml_fitted": float(after)}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("gaussian_process.png")))
