"""The random pack: all of ``numpy.random`` usable on traced values, NumPy's exact samples,
noise as a constant, and the selections (``permutation``, ``choice``) differentiable."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import Composite, NonDifferentiable, TraceError, grad, make_jvp
from plugrad.test_util import check_grads


def test_every_numpy_random_function_is_registered() -> None:
    registered = plugrad.default_registry().namespace("numpy.random")
    for name in dir(numpy.random):
        value = getattr(numpy.random, name)
        if name.startswith("_") or name == "test" or not callable(value) or isinstance(value, type):
            continue
        assert isinstance(registered.get(name), (NonDifferentiable, Composite)), name


def test_classes_pass_through() -> None:
    for name in ("Generator", "RandomState", "SeedSequence", "PCG64", "MT19937", "BitGenerator"):
        assert getattr(np.random, name) is getattr(numpy.random, name)


def test_seed_and_global_state_are_numpys() -> None:
    np.random.seed(0)
    a = numpy.random.randn(3)
    numpy.random.seed(0)
    assert numpy.array_equal(a, np.random.randn(3))
    state = np.random.get_state()
    b = np.random.normal(1.0, 2.0, size=(2, 2))
    numpy.random.set_state(state)
    assert numpy.array_equal(b, numpy.random.normal(1.0, 2.0, size=(2, 2)))


def test_generators() -> None:
    rng = np.random.default_rng(0)
    assert isinstance(rng, numpy.random.Generator)
    assert numpy.array_equal(rng.normal(size=3), numpy.random.default_rng(0).normal(size=3))
    assert numpy.array_equal(np.random.RandomState(1).rand(2), numpy.random.RandomState(1).rand(2))


def test_noise_is_a_constant() -> None:
    mu = numpy.array([0.5, -1.0, 2.0])
    assert numpy.array_equal(grad(lambda mu: np.sum(mu + np.random.normal(size=3)))(mu), numpy.ones(3))
    ans, tangent = make_jvp(lambda mu: mu * np.random.uniform(size=3))(mu)(numpy.ones(3))
    assert numpy.array_equal(tangent, ans / mu)


def test_traced_parameters_give_a_plain_sample() -> None:
    seen = []

    def f(mu: numpy.ndarray) -> numpy.ndarray:
        numpy.random.seed(1)
        with pytest.warns(UserWarning, match=r"normal was given a traced value \(argument 0, scale\).*standard_normal"):
            sample = np.random.normal(mu, scale=np.exp(mu))  # not reparameterised: no derivative
        seen.append(sample)
        numpy.random.seed(1)
        noise = np.random.standard_normal(3)  # the reparameterised sample
        return np.sum(sample + mu + np.exp(mu) * noise)

    mu = numpy.array([0.1, 0.2, 0.3])
    g = grad(f)(mu)
    assert type(seen[0]) is numpy.ndarray
    with pytest.warns(UserWarning, match=r"uniform was given .*write it from noise with fixed parameters: low \+ \(high - low\)"):
        grad(lambda a: a * np.random.uniform(a, a + 1.0))(0.5)
    with pytest.warns(UserWarning, match=r"gamma was given .*has no reparameterisation from noise with fixed parameters"):
        grad(lambda a: a * np.random.gamma(a))(2.0)
    with pytest.warns(UserWarning, match=r"choice was given traced probabilities p: .*pass plugrad.box.getval\(p\)") as caught:
        grad(lambda p: p[np.random.choice(3, p=p)])(numpy.array([0.2, 0.3, 0.5]))
    assert caught[0].filename == __file__  # (where the user called it)
    with pytest.warns(UserWarning, match="choice was given traced probabilities"):  # (a list holding them: drawn at their values)
        assert grad(lambda q: np.random.choice(3, p=[q, 0.5, 0.5 - q]) * q)(0.0) in (0.0, 1.0, 2.0)
    numpy.random.seed(1)
    assert numpy.allclose(seen[0], numpy.random.normal(mu, numpy.exp(mu)))
    numpy.random.seed(1)
    assert numpy.allclose(g, 1 + numpy.exp(mu) * numpy.random.standard_normal(3))


DRAWS = {
    "permutation": lambda x: np.random.permutation(x),
    "choice": lambda x: np.random.choice(x[:, 0], size=(2, 3)),
    "choice_p": lambda x: np.random.choice(x[:, 1], 4, replace=False, p=numpy.full(5, 0.2)),
}


@pytest.mark.parametrize("name", DRAWS)
def test_selections_are_differentiable_and_numpys(rng: numpy.random.Generator, name: str) -> None:
    def seeded(x: Any) -> Any:  # one draw, the same at every call
        np.random.seed(7)
        return DRAWS[name](x)

    x = rng.standard_normal((5, 2))
    traced = []
    grad(lambda x: np.sum(np.sin(traced.append(seeded(x)) or traced[-1])))(x)
    plain = seeded(x)
    assert type(plain) is numpy.ndarray and numpy.array_equal(plugrad.box.getval(traced[0]), plain)
    check_grads(seeded, modes=("fwd", "rev"))(x)


def test_shuffle_refuses_a_traced_array() -> None:
    plain = numpy.arange(5.0)
    np.random.shuffle(plain)
    assert sorted(plain) == [0.0, 1.0, 2.0, 3.0, 4.0]
    with pytest.raises(TraceError, match="permutation"):
        grad(lambda x: np.sum(np.random.shuffle(x)))(numpy.arange(3.0))


def test_importing_the_pack_imports_no_primitives() -> None:
    code = (
        "import sys, plugrad_random; assert not [m for m in sys.modules if m.startswith('plugrad_random.')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
