"""Character-level language models on a short text: a plain recurrent network and an LSTM.

Both read the text one character at a time and predict the next one; they share everything but
the cell that updates the state. plugrad differentiates through the Python loop over time steps.

Run ``python examples/rnn.py [out.png]``; trains both models with Adam, prints the loss and a
greedy continuation of a prompt from each, and plots both loss curves (default examples/rnn.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy

import plugrad.numpy as np
from plugrad import value_and_grad
from plugrad.misc.optimizers import adam
from plugrad.scipy.special import logsumexp

TEXT = """a plugin brings a rule,
a rule brings a gradient,
a gradient brings a step,
and every step brings the loss down.
"""


class Alphabet:
    """Characters of a text and one-hot codes for them."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    def one_hot(self, text):
        """Shape (len(text), len(self.chars))."""
        return numpy.eye(len(self.chars))[[self.index[ch] for ch in text]]


def windows(codes, length, stride):
    """Overlapping windows of ``length`` steps, stacked as a batch: shape (length, batch, chars)."""
    starts = range(0, len(codes) - length + 1, stride)
    return numpy.stack([codes[s : s + length] for s in starts], axis=1)


def init_params(kind, num_chars, hidden, seed=0):
    """Input and recurrent weights for one gate (RNN) or four (LSTM: input, forget, output, candidate)."""
    rng = numpy.random.default_rng(seed)
    gates = {"rnn": 1, "lstm": 4}[kind]
    fan_in = num_chars + hidden
    return {
        "cell": rng.normal(size=(fan_in, gates * hidden)) / numpy.sqrt(fan_in),
        "cell_bias": numpy.zeros(gates * hidden),
        "out": rng.normal(size=(hidden, num_chars)) / numpy.sqrt(hidden),
        "out_bias": numpy.zeros(num_chars),
    }


def rnn_cell(params, state, x):
    """h ← tanh([x, h] W + b). The state is the hidden vector itself."""
    h = np.tanh(np.dot(np.concatenate([x, state], axis=1), params["cell"]) + params["cell_bias"])
    return h, h


def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1)


def lstm_cell(params, state, x):
    """Gated memory: c ← f c + i tanh(candidate), h ← o tanh(c). The state is (h, c)."""
    h, c = state
    z = np.dot(np.concatenate([x, h], axis=1), params["cell"]) + params["cell_bias"]
    i, f, o, candidate = np.split(z, 4, axis=1)
    c = sigmoid(f + 1.0) * c + sigmoid(i) * np.tanh(candidate)  # +1: start by remembering
    h = sigmoid(o) * np.tanh(c)
    return h, (h, c)


CELLS = {"rnn": rnn_cell, "lstm": lstm_cell}


def initial_state(kind, batch, hidden):
    zeros = numpy.zeros((batch, hidden))
    return zeros if kind == "rnn" else (zeros, zeros)


def log_predictions(kind, params, inputs):
    """Log probabilities of the next character after each step: shape (steps, batch, chars)."""
    hidden = params["out"].shape[0]
    state, cell, outputs = initial_state(kind, inputs.shape[1], hidden), CELLS[kind], []
    for x in inputs:
        h, state = cell(params, state, x)
        scores = np.dot(h, params["out"]) + params["out_bias"]
        outputs.append(scores - logsumexp(scores, axis=1, keepdims=True))
    return np.stack(outputs)


def loss(kind, params, sequences):
    """Mean negative log-probability (nats per character) of each character given those before it."""
    log_probs = log_predictions(kind, params, sequences[:-1])
    return -np.sum(log_probs * sequences[1:]) / (sequences.shape[0] - 1) / sequences.shape[1]


def continue_text(kind, params, alphabet, prompt, num_chars):
    """The prompt followed by the model's most likely next character, ``num_chars`` times."""
    text = prompt
    for _ in range(num_chars):
        log_probs = log_predictions(kind, params, alphabet.one_hot(text)[:, None, :])
        text += alphabet.chars[int(numpy.argmax(log_probs[-1, 0]))]
    return text


def train(kind, sequences, hidden, num_iters, step_size=0.02):
    """Adam on the whole batch; returns params and the loss before each step and at the end."""
    params = init_params(kind, sequences.shape[2], hidden)
    losses = []

    def objective_grad(params, i):
        value, g = value_and_grad(loss, 1)(kind, params, sequences)
        losses.append(float(value))
        return g

    params = adam(objective_grad, params, num_iters=num_iters, step_size=step_size)
    losses.append(float(loss(kind, params, sequences)))
    return params, losses


def main(out: str, hidden: int = 32, length: int = 24, num_iters: int = 150, text: str = TEXT) -> dict:
    """Trains both models on windows of ``text``, plots to ``out``; returns {kind: (params, losses)}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alphabet = Alphabet(text)
    sequences = windows(alphabet.one_hot(text), length, stride=3)
    results = {}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for kind in CELLS:
        params, losses = train(kind, sequences, hidden, num_iters)
        results[kind] = (params, losses)
        print(f"{kind}: loss {losses[0]:.3f} -> {losses[-1]:.3f} nats per character")
        print(f"  {continue_text(kind, params, alphabet, text[:10], 30)!r}")
        ax.plot(losses, label=kind.upper())
    ax.axhline(numpy.log(len(alphabet.chars)), color="0.7", ls="--", lw=1, label="uniform guess")
    ax.set_xlabel("Adam iteration")
    ax.set_ylabel("nats per character")
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.set_title(f"next-character loss, {sequences.shape[1]} windows of {length} characters")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("wrote", out)
    return results


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("rnn.png")))
