"""Tests of the example pack, run against the installed distribution.

    pip install -e plugins/plugrad-example && pytest plugins/plugrad-example/tests

Every primitive goes through plugrad's shared gradient checker, one test per check
(finite differences in both modes, the transpose identity, types, second order, at
each declared sample, dtype and argument), from the pytest plugin plugrad installs;
``pytest --plugrad-gradcheck=example`` would generate the same tests. The rest checks
what the checker cannot know: the values far out in the tails, and that users reach
the functions as ``plugrad.example``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import plugrad
from plugrad.gradcheck import Case
from plugrad.gradcheck.pytest_plugin import gradcheck_tests
from plugrad_example import functions


@pytest.fixture(scope="module", autouse=True)
def registry() -> plugrad.Registry:
    # The default registry loads the packs and their types (the NumPy pack's array boxes).
    return plugrad.default_registry()


@pytest.mark.parametrize("case", gradcheck_tests("example"))
def test_gradcheck(case: Case) -> None:
    case.run()


def test_reached_as_plugrad_example(registry: plugrad.Registry) -> None:
    import plugrad.example as ex

    assert ex.softplus is functions.softplus
    assert sorted(ex.__all__) == ["log1mexp", "log_sigmoid", "logcosh", "softplus", "softsign"]
    info = registry.packs["example"]
    assert (info.status, info.distribution, info.namespaces) == ("loaded", "plugrad-example", ["example"])


def test_tails_are_finite_and_quiet() -> None:
    big = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, underflow or division warnings
        np.testing.assert_allclose(functions.softplus(big), [0.0, np.exp(-50.0), 50.0, 1000.0], rtol=1e-15)
        np.testing.assert_allclose(functions.logcosh(big), np.abs(big) - np.log(2.0), rtol=1e-15)
        np.testing.assert_allclose(functions.log1mexp(np.array([1e-20, 50.0])), [np.log(1e-20), -np.exp(-50.0)], rtol=1e-15)
        np.testing.assert_allclose(functions.softsign(big), big / (1 + np.abs(big)))


def test_gradients_in_the_tails() -> None:
    x = np.array([-800.0, -5.0, 0.0, 5.0, 800.0])
    sigmoid = np.exp(-np.logaddexp(0.0, -x))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow in the tails (another pack's PackWarning is not this pack's)
        np.testing.assert_allclose(plugrad.elementwise_grad(functions.softplus)(x), sigmoid)
        np.testing.assert_allclose(plugrad.elementwise_grad(functions.logcosh)(x), np.tanh(x))
        np.testing.assert_allclose(plugrad.elementwise_grad(functions.log_sigmoid)(x), 1 - sigmoid)


def test_second_derivatives() -> None:
    d2 = plugrad.grad(plugrad.grad(functions.softplus))
    s = 1 / (1 + np.exp(-0.3))
    assert d2(0.3) == pytest.approx(s * (1 - s))
    assert plugrad.grad(plugrad.grad(functions.logcosh))(0.7) == pytest.approx(1 - np.tanh(0.7) ** 2)
    assert plugrad.grad(plugrad.grad(functions.log1mexp))(1.5) == pytest.approx(-np.exp(1.5) / np.expm1(1.5) ** 2)
