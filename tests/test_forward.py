"""plugrad.forward: forward mode agrees with reverse mode and nests with it."""

from __future__ import annotations

from typing import Any

import numpy
import pytest

import plugrad.numpy as np
from plugrad import grad, hessian, make_jvp, make_vjp


def f(x):
    return np.sum(np.tanh(x) * np.exp(x / 3.0)) ** 2


def test_jvp_equals_gradient_dot_tangent(rng):
    x, u = rng.standard_normal(4), rng.standard_normal(4)
    value, tangent = make_jvp(f)(x)(u)
    assert value == pytest.approx(f(x))
    assert tangent == pytest.approx(grad(f)(x) @ u)


def test_forward_over_reverse_gives_hessian_vector_products(rng):
    x, u = rng.standard_normal(3), rng.standard_normal(3)
    _, hvp = make_jvp(grad(f))(x)(u)
    numpy.testing.assert_allclose(hvp, hessian(f)(x) @ u, rtol=1e-10)


def test_reverse_over_forward(rng):
    x, u = rng.standard_normal(3), rng.standard_normal(3)
    directional = lambda x: make_jvp(f)(x)(u)[1]  # noqa: E731
    numpy.testing.assert_allclose(grad(directional)(x), hessian(f)(x) @ u, rtol=1e-10)


def test_forward_over_forward_third_derivative():
    d = lambda g: lambda x: make_jvp(g)(x)(1.0)[1]  # noqa: E731
    assert d(d(d(np.sin)))(0.3) == pytest.approx(-numpy.cos(0.3))


def test_output_independent_of_input_has_zero_tangent():
    with pytest.warns(UserWarning, match="independent of input"):  # as reverse mode, and autograd
        value, tangent = make_jvp(lambda x: numpy.ones(2))(1.0)(1.0)
    numpy.testing.assert_array_equal(tangent, numpy.zeros(2))


def test_vjp_of_containers_output():
    vjp, ans = make_vjp(lambda x: (x * 2.0, [np.sin(x)]))(0.5)
    assert vjp((1.0, [1.0])) == pytest.approx(2.0 + numpy.cos(0.5))


def test_containers_reach_the_function_as_plain_containers_in_forward_mode_too():
    # As in reverse mode: the same function behaves the same under grad and deriv.
    seen = []

    def f(params):
        seen.append(type(params))
        w, b = params["w"], params["b"]
        return np.sum(w * w) + b

    params = {"w": numpy.array([1.0, 2.0]), "b": 0.5}
    value, tangent = make_jvp(f)(params)({"w": numpy.array([1.0, 0.0]), "b": 1.0})
    assert seen == [dict] and value == 5.5 and tangent == 3.0
    g = lambda p: p[0] * p[1] + p[2].x  # noqa: E731  # a list holding a named tuple
    import collections

    Point = collections.namedtuple("Point", "x y")
    assert make_jvp(g)([2.0, 3.0, Point(1.0, 4.0)])([1.0, 0.0, Point(1.0, 0.0)])[1] == 4.0
    with pytest.warns(UserWarning, match="independent of input"):
        assert make_jvp(lambda p: np.sum(numpy.array([1.0, 2.0]) * (p + [3.0])[2]))([1.0, 2.0])([1.0, 1.0])[1] == 0.0


def test_a_jvp_of_another_kind_than_its_output_is_refused_as_it_returns(quats: Any) -> None:
    # A pack's value (NumPy's shape ()) for an array output, or an array for a pack's value:
    # the shape check took NumPy's word for both, and the tangent went on silently.
    from plugrad import Primitive

    Quat = quats
    rotate = Primitive("test.rotate", lambda q, v: v * float(q.c @ q.c))
    rotate.def_jvp(lambda t, ans, q, v: Quat(t.c), lambda t, ans, q, v: t)  # (a Quat for a 3-vector)
    with pytest.raises(ValueError, match=r"the JVP of test.rotate .*for argument 0 \(q\) returned a tangent of type Quat for an output of type ndarray: a rule returns a tangent of its output's type"):
        make_jvp(lambda q: rotate(q, numpy.ones(3)))(Quat([1.0, 0, 0, 0]))(Quat([1.0, 0, 0, 0]))
    scale = Primitive("test.scale_quat", lambda a, q: Quat(a * q.c))
    scale.def_jvp(lambda t, ans, a, q: t * q.c)  # (an array for a Quat)
    with pytest.raises(ValueError, match=r"returned a tangent of type ndarray for an output of type Quat"):
        make_jvp(lambda a: scale(a, Quat([1.0, 2.0, 0, 0])))(2.0)(1.0)
