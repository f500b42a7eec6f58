"""The examples in examples/, each run through its ``main`` at a small size.

Each test checks what the example claims (a loss that falls, a likelihood that rises,
derivatives equal to their closed forms) and checks the gradient of the example's model
against finite differences at a random point. An example whose pack is not installed is
skipped, naming the missing primitive.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy
import pytest

import plugrad
from plugrad.test_util import check_grads

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def needs(*names: str) -> None:
    """Skip unless every primitive named is registered by a loaded pack."""
    registry = plugrad.default_registry()
    missing = [name for name in names if registry.lookup(name) is None]
    if missing:
        pytest.skip(f"no loaded pack registers {', '.join(missing)}")


def load(name: str):
    """examples/<name>.py as a module, without running its script part."""
    spec = importlib.util.spec_from_file_location(f"plugrad_examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plotted(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000


def tanh_derivative_closed_forms(x, order):
    """tanh⁽ⁿ⁾ = Pₙ(tanh x) with P₀(y) = y and Pₙ₊₁(y) = Pₙ'(y)(1 - y²)."""
    poly, one_minus_sq = numpy.polynomial.Polynomial([0, 1]), numpy.polynomial.Polynomial([1, 0, -1])
    values = []
    for _ in range(order + 1):
        values.append(poly(numpy.tanh(x)))
        poly = poly.deriv() * one_minus_sq
    return values


def test_tanh(tmp_path):
    example, out = load("tanh"), tmp_path / "tanh.png"
    curves = example.main(str(out), num_points=41)
    x = numpy.linspace(-7, 7, 41)
    expected = tanh_derivative_closed_forms(x, 6)
    assert len(curves) == 7
    for n, (got, want) in enumerate(zip(curves, expected)):
        numpy.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=f"derivative {n}")
    assert plotted(out)


def test_logistic_regression(tmp_path):
    example, out = load("logistic_regression"), tmp_path / "lr.png"
    result = example.main(str(out), num_points=120, num_iters=40)
    losses = result["losses"]
    assert losses[0] == pytest.approx(numpy.log(2))  # zero weights: every probability is 1/2
    assert losses[-1] < 0.6 * losses[0]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # a convex loss, a small step
    assert result["accuracy"] > 0.8
    assert plotted(out)

    inputs, labels = example.make_data(10, seed=1)
    weights = numpy.random.default_rng(2).normal(size=3)
    check_grads(example.loss, modes=("fwd", "rev"), order=2)(weights, inputs, labels)


def test_neural_net(tmp_path):
    needs("misc.optimizers.adam", "scipy.special.logsumexp")
    example, out = load("neural_net"), tmp_path / "nn.png"
    result = example.main(str(out), num_points=100, hidden=16, num_iters=150)
    losses = result["losses"]
    assert len(losses) == 151
    assert losses[-1] < 0.5 * losses[0]
    assert result["accuracy"] > 0.85
    assert plotted(out)

    inputs, labels = example.make_spirals(6, seed=1)
    params = example.init_params([2, 3, 2], seed=2)
    check_grads(example.loss, modes=("rev",), order=2)(params, inputs, labels)


def test_gaussian_process(tmp_path):
    needs("numpy.linalg.cholesky", "numpy.linalg.solve")
    import scipy.stats

    example, out = load("gaussian_process"), tmp_path / "gp.png"
    result = example.main(str(out), num_points=20)
    assert result["lml_fitted"] > result["lml_initial"] + 10
    assert plotted(out)

    x, y = example.make_data(20)
    p = result["params"]
    cov = example.covariance(p, x)
    reference = scipy.stats.multivariate_normal(numpy.full(len(x), p[3]), cov).logpdf(y)
    assert example.log_marginal_likelihood(p, x, y) == pytest.approx(reference, rel=1e-8)
    # At the maximum the gradient vanishes (up to L-BFGS-B's tolerance).
    g = plugrad.grad(example.log_marginal_likelihood)(p, x, y)
    assert numpy.max(numpy.abs(g)) < 1e-2

    x, y = example.make_data(6, seed=1)
    params = numpy.array([0.1, -0.3, -1.0, 0.4])
    check_grads(example.log_marginal_likelihood, modes=("fwd", "rev"), order=2)(params, x, y)


def test_variational_autoencoder(tmp_path):
    needs("misc.optimizers.adam", "numpy.random.standard_normal")
    example, out = load("variational_autoencoder"), tmp_path / "vae.png"
    result = example.main(str(out), num_images=100, hidden=12, num_iters=80)
    elbos = result["elbos"]
    assert len(elbos) == 80
    assert numpy.mean(elbos[-10:]) > numpy.mean(elbos[:10]) + 3  # nats per image
    assert plotted(out)

    rng = numpy.random.default_rng(1)
    images = example.make_bars(4, seed=1)
    params = example.init_params(3, seed=2)
    noise = rng.normal(size=(4, example.LATENT))
    check_grads(example.elbo, modes=("rev",), order=2)(params, images, noise)


def test_rnn_and_lstm(tmp_path):
    needs("misc.optimizers.adam", "scipy.special.logsumexp")
    example, out = load("rnn"), tmp_path / "rnn.png"
    text = "a rule brings a gradient,\na gradient brings a step.\n"
    results = example.main(str(out), hidden=12, length=10, num_iters=40, text=text)
    assert set(results) == {"rnn", "lstm"}
    for kind, (_, losses) in results.items():
        assert losses[0] == pytest.approx(numpy.log(len(set(text))), rel=0.15), kind  # near uniform
        assert losses[-1] < 0.6 * losses[0], kind
    assert plotted(out)

    alphabet = example.Alphabet("abcab")
    sequences = example.windows(alphabet.one_hot("abcabca"), 4, stride=2)
    for kind in example.CELLS:
        params = example.init_params(kind, len(alphabet.chars), 2, seed=3)
        check_grads(lambda p: example.loss(kind, p, sequences), modes=("rev",), order=2)(params)


def test_ode_fit(tmp_path):
    needs("scipy.integrate.odeint")
    example, out = load("ode_fit"), tmp_path / "ode.png"
    result = example.main(str(out), num_points=15, t_end=6.0)
    assert result["misfit_fitted"] < 0.05 * result["misfit_initial"]
    numpy.testing.assert_allclose(numpy.exp(result["fitted"]), example.TRUE_RATES, rtol=0.1)
    assert plotted(out)

    times, observed = example.make_data(5, t_end=2.0, seed=1)
    log_rates = numpy.log(example.TRUE_RATES) + numpy.random.default_rng(2).normal(scale=0.2, size=4)
    # odeint is differentiable once, and each mode is its own integration, accurate to the
    # solver's tolerances: each mode is checked against finite differences on its own, since
    # check_grads holds the transpose identity between the two modes to 1e-10 whatever rtol says.
    for mode in ("fwd", "rev"):
        check_grads(example.misfit, modes=(mode,), order=1, rtol=1e-4, atol=1e-6)(log_rates, times, observed)
