"""The scipy.integrate pack: odeint through the gradient checker, against the analytic
derivatives (first, second and third) of exponential decay, and against finite
differences, to second order, on Lotka–Volterra and other systems."""

from __future__ import annotations

import subprocess
import sys

import numpy
import pytest
import scipy.integrate

import plugrad
import plugrad.numpy as np
from plugrad import Composite, NotDifferentiableError, Primitive, grad
from plugrad.gradcheck import check_primitive
from plugrad.scipy.integrate import odeint
from plugrad.test_util import check_grads

TIGHT = {"rtol": 1e-11, "atol": 1e-11}


def test_odeint_passes_the_gradient_checker() -> None:
    registry = plugrad.default_registry()
    assert isinstance(registry.lookup("scipy.integrate.odeint"), Composite)
    prim = registry.lookup("scipy.integrate._odeint")
    assert isinstance(prim, Primitive) and prim.pack == "scipy_integrate"
    assert check_primitive(prim) > 0


def decay(y, t, k):
    return -k * y


def test_exponential_decay_against_its_analytic_derivatives() -> None:
    y0, t, k = numpy.array([1.5, 0.7]), numpy.array([0.0, 0.4, 1.1]), 0.8
    exact = y0 * numpy.exp(-k * t[:, None])  # y(t_i) = y0 exp(-k t_i)
    assert numpy.allclose(odeint(decay, y0, t, (k,), **TIGHT), exact)

    def loss(y0, t, k):
        return np.sum(odeint(decay, y0, t, args=(k,), **TIGHT) ** 2)

    # L = sum_i |y0|^2 exp(-2 k (t_i - t_0)); its derivatives, by hand:
    dt = t - t[0]
    weights = numpy.exp(-2 * k * dt)
    assert numpy.allclose(grad(loss, 0)(y0, t, k), 2 * y0 * weights.sum(), rtol=1e-7)
    assert numpy.allclose(grad(loss, 2)(y0, t, k), -2 * numpy.sum(y0**2) * numpy.sum(dt * weights), rtol=1e-7)
    dlt = -2 * k * numpy.sum(y0**2) * weights
    dlt[0] = -dlt[1:].sum()  # moving the start moves every later point
    assert numpy.allclose(grad(loss, 1)(y0, t, k), dlt, rtol=1e-7)
    # Forward mode agrees, one argument at a time.
    assert numpy.isclose(plugrad.make_jvp(loss, 2)(y0, t, k)(1.0)[1], grad(loss, 2)(y0, t, k), rtol=1e-7)
    u = numpy.array([0.3, -0.2, 0.5])
    assert numpy.isclose(plugrad.make_jvp(loss, 1)(y0, t, k)(u)[1], dlt @ u, rtol=1e-7)


def lotka_volterra(y, t, alpha, beta):
    prey, predator = y[0], y[1]
    return np.array([alpha * prey - beta * prey * predator, beta * prey * predator - 0.5 * predator])


def test_lotka_volterra_gradient_against_finite_differences() -> None:
    y0, t, params = numpy.array([1.0, 0.5]), numpy.linspace(0.0, 2.0, 5), numpy.array([1.1, 0.6])

    def loss(params):
        ys = odeint(lotka_volterra, y0, t, (params[0], params[1]), **TIGHT)
        return np.sum(ys[1:, 0] * ys[1:, 1])

    g = grad(loss)(params)
    eps = 1e-5
    fd = [(loss(params + eps * e) - loss(params - eps * e)) / (2 * eps) for e in numpy.eye(2)]
    assert numpy.allclose(g, fd, rtol=1e-5)
    check_grads(loss, modes=("fwd", "rev"), order=2)(params)
    check_grads(lambda y0, t: odeint(lotka_volterra, y0, t, (1.1, 0.6), **TIGHT), argnum=(0, 1), order=2)(
        y0, t
    )


def test_args_may_be_keyword_and_hold_arrays(rng: numpy.random.Generator) -> None:
    weights = rng.uniform(0.5, 1.0, (2, 2))

    def linear(y, t, w, shift):
        return -w @ y + shift

    y0, t = numpy.array([1.0, -1.0]), numpy.array([0.0, 0.5, 1.0])
    check_grads(lambda w, s: odeint(linear, y0, t, args=(w, s), **TIGHT), argnum=(0, 1), order=2)(
        weights, 0.3
    )


def test_matches_scipy_and_passes_options_through() -> None:
    y0, t = numpy.array([1.0, 0.5]), numpy.linspace(0.0, 1.0, 4)
    expected = scipy.integrate.odeint(lotka_volterra, y0, t, (1.1, 0.6), **TIGHT)
    assert numpy.allclose(odeint(lotka_volterra, y0, t, (1.1, 0.6), **TIGHT), expected)
    solution, info = odeint(lotka_volterra, y0, t, (1.1, 0.6), full_output=True)
    assert numpy.allclose(solution, expected, rtol=1e-5) and "nfe" in info

    def loss(y0):
        return np.sum(odeint(lambda t, y: -y * t, y0, t, tfirst=True, **TIGHT))

    assert numpy.allclose(grad(loss)(y0), numpy.exp(-(t**2) / 2).sum() * numpy.ones(2), rtol=1e-7)


def test_second_and_third_derivatives_of_exponential_decay() -> None:
    y0, t, k = numpy.array([1.5, 0.7]), numpy.array([0.0, 0.4, 1.1]), 0.8
    dt = t - t[0]

    def total(k):  # sum_i y0 exp(-k dt_i): its n-th derivative is sum_i y0 (-dt_i)^n exp(-k dt_i)
        return np.sum(odeint(decay, y0, t, (k,), rtol=1e-12, atol=1e-12))

    def exact(n):
        return y0.sum() * numpy.sum((-dt) ** n * numpy.exp(-k * dt))

    def first(k):  # d total / dk in forward mode
        return plugrad.make_jvp(total)(k)(1.0)[1]

    # The second derivative in all four ways: rev over rev, fwd over rev, rev over fwd, fwd over fwd.
    assert numpy.isclose(grad(grad(total))(k), exact(2), rtol=1e-8)
    assert numpy.isclose(plugrad.make_jvp(grad(total))(k)(1.0)[1], exact(2), rtol=1e-8)
    assert numpy.isclose(grad(first)(k), exact(2), rtol=1e-8)
    assert numpy.isclose(plugrad.make_jvp(first)(k)(1.0)[1], exact(2), rtol=1e-8)
    assert numpy.isclose(grad(grad(grad(total)))(k), exact(3), rtol=1e-7)

    # The Hessian of L = |y0|^2 sum_i exp(-2 k (t_i - t_0)) in the times, by hand.
    def loss(t):
        return np.sum(odeint(decay, y0, t, (k,), **TIGHT) ** 2)

    curvature = 4 * k**2 * numpy.sum(y0**2) * numpy.exp(-2 * k * dt)  # d2L/dt_i2 for i > 0
    expected = numpy.diag(curvature)
    expected[0, 1:] = expected[1:, 0] = -curvature[1:]
    expected[0, 0] = curvature[1:].sum()
    assert numpy.allclose(plugrad.hessian(loss)(t), expected, rtol=1e-6)


def test_second_derivatives_against_finite_differences(rng: numpy.random.Generator) -> None:
    def forced(t, y, w):  # tfirst=True, and the time appears explicitly
        return np.array([y[1], -w[0] * np.sin(y[0]) + w[1] * np.cos(2.0 * t)])

    y0, t, w = numpy.array([0.3, -0.2]), numpy.array([0.1, 0.6, 1.2]), rng.uniform(0.5, 1.5, 2)
    check_grads(
        lambda y0, t, w: odeint(forced, y0, t, (w,), tfirst=True, **TIGHT), argnum=(0, 1, 2), order=2
    )(y0, t, w)

    def nested(y, t, ws, c):  # args holding a list and a dict
        return -ws[0] * y + ws[1]["b"] * c * np.sin(y)

    ws = [rng.uniform(0.5, 1.0, 2), {"b": 0.4}]
    check_grads(lambda ws, c: odeint(nested, y0, t, (ws, c), **TIGHT), argnum=(0, 1), order=2)(ws, 0.7)


def power_law(y, t, a, n, label, nothing, signs):  # a is differentiated; the rest are constants
    assert type(n) is int and label == "decay" and nothing is None and signs.dtype.kind == "i"
    return -a * signs[0] * y**n


def test_args_hold_constants_beside_traced_values() -> None:
    # y' = -a y^2, y(0) = 1: y(t) = 1 / (1 + a t), so dy(1)/da = -1 / (1 + a)^2 and d2y(1)/da2 = 2 / (1 + a)^3
    y0, t, a = numpy.array([1.0]), numpy.array([0.0, 1.0]), 0.7

    def args(a):
        return (a, 2, "decay", None, numpy.array([1]))

    def final(a):
        return odeint(power_law, y0, t, args(a), **TIGHT)[-1, 0]

    expected = scipy.integrate.odeint(power_law, y0, t, args(a))
    assert numpy.array_equal(odeint(power_law, y0, t, args(a)), expected)
    assert numpy.isclose(grad(final)(a), -1 / (1 + a) ** 2, rtol=1e-8)
    assert numpy.isclose(plugrad.make_jvp(final)(a)(1.0)[1], -1 / (1 + a) ** 2, rtol=1e-8)
    assert numpy.isclose(grad(grad(final))(a), 2 / (1 + a) ** 3, rtol=1e-7)
    solution = lambda a, y0, t: odeint(power_law, y0, t, args(a), **TIGHT)
    check_grads(solution, argnum=(0, 1, 2), order=2)(a, y0, t)

    def jacobian(y, t, a, n, label, nothing, signs):  # SciPy passes args to Dfun too
        return numpy.array([[-a * signs[0] * n * y[0] ** (n - 1)]])

    with_dfun = grad(lambda a: odeint(power_law, y0, t, args(a), Dfun=jacobian, **TIGHT)[-1, 0])(a)
    assert numpy.isclose(with_dfun, -1 / (1 + a) ** 2, rtol=1e-8)
    first = lambda a: odeint(lambda t, y, a, n: -a * y**n, y0, t, (a, 2), tfirst=True, **TIGHT)[-1, 0]
    assert numpy.isclose(grad(first)(a), -1 / (1 + a) ** 2, rtol=1e-8)


def test_what_is_not_differentiated_says_so() -> None:
    y0, t = numpy.array([1.0]), numpy.array([0.0, 1.0])
    with pytest.raises(NotDifferentiableError, match="full_output"):
        grad(lambda k: np.sum(odeint(decay, y0, t, (k,), full_output=True)[0]))(0.5)
    with pytest.raises(NotDifferentiableError, match=r"args\[0\] holds traced values beside"):
        grad(lambda k: np.sum(odeint(lambda y, t, p: -p[0] * y ** p[1], y0, t, ((k, 2),))))(0.5)


def test_importing_the_pack_imports_neither_scipy_nor_its_module() -> None:
    code = (
        "import sys, plugrad_scipy_integrate\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'plugrad_scipy_integrate.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
