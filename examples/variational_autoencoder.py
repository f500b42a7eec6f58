"""A tiny variational autoencoder on synthetic binary images of bars, trained with Adam.

Each 6x6 image shows one bar, a row or a column, with a few pixels flipped. The encoder
maps an image to a Gaussian over a 2-dimensional code; a code drawn by the reparameterisation
trick (mean + std * noise, the noise from ``plugrad.numpy.random``) is decoded to Bernoulli pixel
probabilities. Training maximises the evidence lower bound (ELBO).

Run ``python examples/variational_autoencoder.py [out.png]``; prints the ELBO as it trains and
plots the ELBO curve, images with their reconstructions, and images decoded from random codes
(default examples/variational_autoencoder.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

import plugrad.numpy as np
from plugrad import grad
from plugrad.misc.optimizers import adam

SIDE = 6
LATENT = 2


def make_bars(num_images, flip=0.03, seed=0):
    """Binary images, shape (num_images, SIDE * SIDE): one row or one column on, some pixels flipped."""
    rng = numpy.random.default_rng(seed)
    images = numpy.zeros((num_images, SIDE, SIDE))
    images[numpy.arange(num_images), rng.integers(0, SIDE, num_images), :] = 1
    columns = rng.random(num_images) < 0.5
    images[columns] = images[columns].transpose(0, 2, 1)
    flips = rng.random(images.shape) < flip
    return numpy.where(flips, 1 - images, images).reshape(num_images, -1)


def init_mlp(layer_sizes, rng):
    return [
        (rng.normal(size=(m, n)) / numpy.sqrt(m), numpy.zeros(n))
        for m, n in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def mlp(params, inputs):
    """tanh hidden layers, linear output."""
    for weights, biases in params[:-1]:
        inputs = np.tanh(np.dot(inputs, weights) + biases)
    weights, biases = params[-1]
    return np.dot(inputs, weights) + biases


def init_params(hidden, seed=0):
    rng = numpy.random.default_rng(seed)
    pixels = SIDE * SIDE
    return {
        "encoder": init_mlp([pixels, hidden, 2 * LATENT], rng),  # code mean and log std
        "decoder": init_mlp([LATENT, hidden, pixels], rng),  # pixel logits
    }


def encode(params, images):
    out = mlp(params["encoder"], images)
    return out[:, :LATENT], out[:, LATENT:]


def bernoulli_log_likelihood(images, logits):
    """log p(images | logits), summed over pixels: x z - log(1 + e^z)."""
    return np.sum(images * logits - np.logaddexp(0.0, logits), axis=1)


def gaussian_kl(mean, log_std):
    """KL(N(mean, std²) || N(0, 1)), summed over code dimensions."""
    return 0.5 * np.sum(mean**2 + np.exp(2 * log_std) - 1 - 2 * log_std, axis=1)


def elbo(params, images, noise):
    """The mean ELBO of ``images``, with the code drawn as mean + std * ``noise``."""
    mean, log_std = encode(params, images)
    code = mean + np.exp(log_std) * noise  # the reparameterisation trick
    logits = mlp(params["decoder"], code)
    return np.mean(bernoulli_log_likelihood(images, logits) - gaussian_kl(mean, log_std))


def train(params, images, num_iters, batch_size=50, step_size=0.01):
    """Adam on minibatches in turn (wrapping around at the end of the data), each with fresh
    noise; returns params and the full-data ELBO before each step."""
    elbos = []

    def objective(params, i):
        batch = images[(i * batch_size + numpy.arange(batch_size)) % len(images)]
        noise = np.random.standard_normal((len(batch), LATENT))
        return -elbo(params, batch, noise)

    def record(params, i, g):
        noise = np.random.standard_normal((len(images), LATENT))
        elbos.append(float(elbo(params, images, noise)))
        if i % max(1, num_iters // 10) == 0:
            print(f"iteration {i:4d}  ELBO {elbos[-1]:.3f} nats")

    params = adam(grad(objective), params, record, num_iters=num_iters, step_size=step_size)
    return params, elbos


def main(out: str, num_images: int = 500, hidden: int = 64, num_iters: int = 800, seed: int = 0) -> dict:
    """Trains the VAE, plots to ``out``; returns params and the ELBO curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    np.random.seed(seed)  # the reparameterisation noise comes from NumPy's global state
    images = make_bars(num_images, seed=seed)
    params, elbos = train(init_params(hidden, seed), images, num_iters)
    print(f"ELBO {elbos[0]:.3f} -> {elbos[-1]:.3f} nats per image")

    shown = images[:8]
    mean, _ = encode(params, shown)
    recon = 1 / (1 + numpy.exp(-mlp(params["decoder"], mean)))
    samples = 1 / (1 + numpy.exp(-mlp(params["decoder"], np.random.standard_normal((8, LATENT)))))
    fig = plt.figure(figsize=(12, 4.2), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.4])
    ax = left.subplots()
    ax.plot(elbos)
    ax.set_xlabel("Adam iteration")
    ax.set_ylabel("ELBO per image (nats)")
    ax.set_title("training ELBO")
    rows = [("data", shown), ("reconstructions", recon), ("decoded from N(0, I) codes", samples)]
    for row, (title, pictures) in zip(right.subfigures(len(rows), 1), rows):
        row.suptitle(title, fontsize="medium")
        for ax, picture in zip(row.subplots(1, len(pictures)), pictures):
            ax.imshow(picture.reshape(SIDE, SIDE), cmap="Greys", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return {"params": params, "elbos": elbos}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("variational_autoencoder.png")))
