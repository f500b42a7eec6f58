"""The misc pack: flatten and unflatten through the gradient checker and end to end,
flatten_func, the optimizers on nested parameters, and fixed points differentiated by
the implicit function theorem."""

from __future__ import annotations

import collections
import subprocess
import sys
from typing import Any

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import Primitive, grad, make_jvp
from plugrad.gradcheck import check_primitive
from plugrad.misc import fixed_point, flatten, flatten_func
from plugrad.misc.optimizers import adam, rmsprop, sgd
from plugrad.test_util import check_grads

Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    "name", ["misc._flatten", "misc._unflatten", "misc.fixed_point", "misc.fixed_points.fixed_point"]
)
def test_primitive(name: str) -> None:
    prim = plugrad.default_registry().lookup(name)
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


def params(rng: numpy.random.Generator) -> dict[str, Any]:
    return {
        "w": rng.standard_normal((2, 3)),
        "b": [rng.standard_normal(2).astype(numpy.float32), (1.5, numpy.float64(-2.0))],
        "p": Point(rng.standard_normal(()), numpy.array([0.5 + 1j])),
    }


def assert_same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert numpy.shape(a) == numpy.shape(b) and numpy.result_type(a) == numpy.result_type(b)
        assert numpy.array_equal(a, b)


def test_flatten_round_trip(rng: numpy.random.Generator) -> None:
    value = params(rng)
    flat, unflatten = flatten(value)
    assert flat.shape == (6 + 2 + 2 + 1 + 1,) and flat.dtype == numpy.complex128
    assert_same(unflatten(flat), value)
    # Dict entries are laid out by sorted key, whatever the insertion order.
    assert numpy.array_equal(flatten({"b": 1.0, "a": numpy.array([2.0, 3.0])})[0], [2.0, 3.0, 1.0])
    assert flatten([])[0].shape == (0,)
    with pytest.raises(TypeError, match=r"value\['s'\]"):
        flatten({"s": "text"})


def test_gradients_through_flatten_and_unflatten(rng: numpy.random.Generator) -> None:
    value = {"w": rng.standard_normal((2, 3)), "b": [rng.standard_normal(2), 0.5]}
    flat, unflatten = flatten(value)

    def loss(p: Any) -> Any:
        return np.sum(np.sin(p["w"]) @ np.cos(p["b"][0][:, None] * numpy.ones(3)).T) + p["b"][1] ** 3

    g_flat = grad(lambda v: loss(unflatten(v)))(flat)
    assert numpy.allclose(g_flat, flatten(grad(loss)(value))[0])
    g = grad(lambda p: np.sum(flatten(p)[0] ** 2))(value)
    assert_same(g, {"w": 2 * value["w"], "b": [2 * value["b"][0], 1.0]})
    # A plain container of traced values flattens as one traced vector.
    x = rng.standard_normal(3)
    assert numpy.allclose(grad(lambda x: np.sum(flatten([x, {"y": 2.0 * x}])[0] ** 2))(x), 10 * x)
    check_grads(lambda v: unflatten(v)["w"] * unflatten(v)["b"][1], modes=("fwd", "rev"), order=2)(flat)
    _, tangent = make_jvp(lambda v: unflatten(v))(flat)(numpy.ones_like(flat))
    assert_same(tangent, {"w": numpy.ones((2, 3)), "b": [numpy.ones(2), 1.0]})


def test_unflatten_warns_where_it_drops_an_imaginary_part() -> None:
    import warnings

    vector, unflatten = flatten([numpy.array([1j]), 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert unflatten(vector * 2)[1] == 4.0  # the real leaf's imaginary part is 0: silent
    with pytest.warns(numpy.exceptions.ComplexWarning, match="imaginary part where the container holds real"):
        assert unflatten(vector + 1j)[1] == 2.0


def test_unflatten_refuses_a_vector_of_another_length() -> None:
    flat, unflatten = flatten([numpy.ones(2), 1.0])
    for wrong in (numpy.arange(5.0), numpy.arange(2.0), numpy.ones((1, 3))):
        with pytest.raises(ValueError, match=r"unflatten was given a vector of shape .* holds 3 numbers: give it a vector of shape \(3,\)"):
            unflatten(wrong)
    with pytest.raises(ValueError, match="unflatten was given"):
        grad(lambda v: unflatten(v)[1])(numpy.arange(4.0))
    assert unflatten(flat * 2)[1] == 2.0


def test_optimizers_name_themselves_when_grad_or_callback_is_misused() -> None:
    x0 = numpy.ones(3)
    loss = lambda x, i: np.sum(x**2)  # noqa: E731
    with pytest.raises(ValueError, match=r"adam: grad\(x, i\) returned a gradient of 2 numbers, but the parameters hold 3"):
        adam(lambda x, i: numpy.ones(2), x0, num_iters=2)
    with pytest.raises(TypeError, match=r"sgd: grad\(x, i\) returned NoneType None, not a gradient"):
        sgd(lambda x, i: None, x0, num_iters=2)

    class Long:  # (a value whose repr is long, a lazy Dask array's: cut visibly, not mid-word)
        def __repr__(self) -> str:
            return "Long(" + "x" * 100 + ")"

    with pytest.raises(TypeError, match=r"sgd: grad\(x, i\) returned Long Long\(x{52}\.\.\., not a gradient"):
        sgd(lambda x, i: Long(), x0, num_iters=2)
    with pytest.raises(TypeError, match=r"rmsprop: grad is called as grad\(x, i\), but .* cannot take 2 .*lambda x, i: grad\(loss\)\(x\)"):
        rmsprop(lambda x: 2 * x, x0, num_iters=2)
    with pytest.raises(TypeError, match=r"adam: callback is called as callback\(x, i, g\)"):
        adam(grad(loss), x0, callback=lambda x: None, num_iters=2)
    with pytest.raises(TypeError, match="adam: grad must be a function"):
        adam(3.0, x0)
    assert adam(grad(loss), x0, callback=lambda *args: None, num_iters=2).shape == (3,)


def test_flatten_func(rng: numpy.random.Generator) -> None:
    value = {"a": rng.standard_normal(3), "b": (rng.standard_normal((2, 2)),)}
    func = lambda p, k: {"out": [p["a"] * k, np.sum(p["b"][0])]}
    flat_func, unflatten, flat_example = flatten_func(func, value)
    assert numpy.array_equal(flat_example, flatten(value)[0])
    assert_same(unflatten(flat_example), value)
    assert numpy.allclose(flat_func(flat_example, 2.0), numpy.r_[value["a"] * 2.0, numpy.sum(value["b"][0])])
    check_grads(lambda v: flat_func(v, 3.0), modes=("fwd", "rev"))(flat_example)


def quadratic(target: dict[str, Any]) -> Any:
    def loss(p: Any, i: int = 0) -> Any:
        return np.sum((p["w"] - target["w"]) ** 2) + (p["c"][0] - target["c"][0]) ** 2

    return loss


@pytest.mark.parametrize(
    "optimizer, kwargs",
    [
        (adam, {"num_iters": 300, "step_size": 0.1}),
        (sgd, {"num_iters": 300, "step_size": 0.5}),
        (rmsprop, {"num_iters": 300, "step_size": 0.05}),
    ],
)
def test_optimizers_minimise_a_quadratic_over_a_dict(optimizer: Any, kwargs: dict[str, Any]) -> None:
    target = {"w": numpy.array([[1.0, -2.0], [0.5, 3.0]]), "c": [4.0]}
    x0 = {"w": numpy.zeros((2, 2)), "c": [0.0]}
    loss = quadratic(target)
    seen = []

    def callback(x: Any, i: int, g: Any) -> None:
        assert isinstance(x, dict) and isinstance(g["c"], list) and g["w"].shape == (2, 2)
        seen.append(i)

    result = optimizer(grad(loss), x0, callback, **kwargs)
    assert seen == list(range(kwargs["num_iters"]))
    assert isinstance(result["c"], list) and isinstance(result["c"][0], float)
    assert numpy.allclose(result["w"], target["w"], atol=1e-2) and abs(result["c"][0] - 4.0) < 1e-2


def test_adam_first_step_is_step_size_times_sign() -> None:
    out = adam(lambda x, i: numpy.array([3.0, -0.5]), numpy.zeros(2), num_iters=1, step_size=0.1)
    assert numpy.allclose(out, [-0.1, 0.1])


def test_differentiating_through_an_optimizer() -> None:
    loss = lambda x, i=0: np.sum((x - 1.0) ** 2 * numpy.array([1.0, 3.0]))

    def final_loss(step_size: float) -> Any:
        return loss(sgd(grad(loss), numpy.zeros(2), num_iters=5, step_size=step_size))

    eps = 1e-6
    fd = (final_loss(0.3 + eps) - final_loss(0.3 - eps)) / (2 * eps)
    assert numpy.isclose(grad(final_loss)(0.3), fd, rtol=1e-6)


def max_abs(x: Any, y: Any) -> float:
    return float(numpy.max(numpy.abs(x - y)))


def test_fixed_point_gradient_matches_finite_differences(rng: numpy.random.Generator) -> None:
    a = rng.uniform(0.2, 0.8, 4)
    solve = lambda a: fixed_point(lambda a: lambda x: a * np.cos(x), a, numpy.zeros(4), max_abs, 1e-14)
    x = solve(a)
    assert numpy.allclose(x, a * numpy.cos(x), atol=1e-13)
    # x = a cos x, so dx/da = cos x / (1 + a sin x), elementwise.
    dxda = numpy.cos(x) / (1 + a * numpy.sin(x))
    assert numpy.allclose(grad(lambda a: np.sum(solve(a)))(a), dxda)
    assert numpy.allclose(make_jvp(solve)(a)(numpy.ones(4))[1], dxda)
    eps = 1e-6
    fd = [(numpy.sum(solve(a + eps * e)) - numpy.sum(solve(a - eps * e))) / (2 * eps) for e in numpy.eye(4)]
    assert numpy.allclose(grad(lambda a: np.sum(solve(a)))(a), fd, atol=1e-7)
    check_grads(lambda a: solve(a) ** 2, modes=("fwd", "rev"), order=2)(a)


def test_fixed_point_of_a_container(rng: numpy.random.Generator) -> None:
    # x = (scale * tanh(x) + shift, 0.5 * x[0]): parameters and iterate are containers.
    def f(p: Any) -> Any:
        return lambda x: (p["scale"] * np.tanh(x[1]) + p["shift"], 0.5 * x[0])

    def dist(x: Any, y: Any) -> float:
        return max(max_abs(x[0], y[0]), max_abs(x[1], y[1]))

    p = {"scale": rng.uniform(0.2, 0.6, 3), "shift": rng.standard_normal(3)}
    solve = lambda p: fixed_point(f, p, (numpy.zeros(3), numpy.zeros(3)), dist, 1e-14)
    combine = lambda x: x[0] * 2.0 + x[1]
    check_grads(lambda p: combine(solve(p)), modes=("fwd", "rev"), order=1)(p)


def test_the_fixed_point_does_not_depend_on_x0() -> None:
    # autograd's rule for x0 is zero too
    fun = lambda x0: np.sum(fixed_point(lambda a: lambda x: a * np.cos(x), 0.5, x0, max_abs, 1e-12))  # noqa: E731
    assert grad(fun)(numpy.zeros(2)).tolist() == [0.0, 0.0]
    assert make_jvp(fun)(numpy.zeros(2))(numpy.ones(2))[1] == 0.0


def test_namespaces() -> None:
    import plugrad.misc
    import plugrad.misc.fixed_points
    import plugrad.misc.optimizers

    assert plugrad.misc.fixed_points.fixed_point.name == "misc.fixed_points.fixed_point"
    assert {"flatten", "flatten_func", "fixed_point"} <= set(plugrad.misc.__all__)
    assert {"sgd", "rmsprop", "adam", "unflatten_optimizer"} <= set(plugrad.misc.optimizers.__all__)


def test_importing_the_pack_imports_no_primitives() -> None:
    code = "import sys, plugrad_misc; assert not [m for m in sys.modules if m.startswith('plugrad_misc.')]"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- const_graph ------------------------------------------------------------------------------


def test_const_graph_replays_without_running_the_function() -> None:
    from plugrad.misc import const_graph

    calls = []

    def f(x, w):  # type: ignore[no-untyped-def]
        calls.append(None)
        for _ in range(5):
            x = np.tanh(x * w) + 0.1 * x
        return np.sum(x**2)

    fast = const_graph(f)
    rng = numpy.random.default_rng(0)
    for _ in range(3):
        x, w = rng.standard_normal(4), float(rng.standard_normal())
        assert fast(x, w) == pytest.approx(f(x, w), rel=1e-14)
    assert len(calls) == 3 + 1  # f itself three times, the first call of fast once
    x, w = rng.standard_normal(4), 0.3
    numpy.testing.assert_allclose(grad(fast)(x, w), grad(f)(x, w), rtol=1e-13)
    assert grad(fast, 1)(x, w) == pytest.approx(grad(f, 1)(x, w), rel=1e-13)
    check_grads(fast, modes=["rev"])(x, w)
    assert len(calls) == 4 + 2  # the two gradients of f ran f; the replays did not


def test_const_graph_binds_arguments_and_replays_only_what_depends_on_them() -> None:
    from plugrad.extend import defvjp, primitive
    from plugrad.misc import const_graph

    log = []

    @primitive
    def tagged(x, tag):  # type: ignore[no-untyped-def]
        log.append(tag)
        return x

    defvjp(tagged, lambda ans, x, tag: lambda g: g)

    def f(x, y, z):  # type: ignore[no-untyped-def]
        return tagged(x, "x") + 2.0 * tagged(y, "y") + 3.0 * tagged(z, "z")

    fast = const_graph(f, 1.0, z=3.0)
    assert fast(2.0) == f(1.0, 2.0, 3.0) == 14.0
    log.clear()
    assert fast(5.0) == 20.0
    assert log == ["y"]  # x and z are constants of the graph


def test_const_graph_keeps_the_first_calls_branches_and_refuses_a_constant_output() -> None:
    from plugrad.misc import const_graph

    fast = const_graph(lambda x: x * 2.0 if x > 0 else x * -3.0)
    assert fast(1.0) == 2.0
    assert fast(-1.0) == -2.0  # the graph is the first call's, as documented
    with pytest.raises(ValueError, match="does not depend on the arguments"):
        const_graph(lambda x: 1.0)(2.0)


def test_const_graph_with_an_inner_derivative_and_a_container_output() -> None:
    from plugrad.misc import const_graph

    def f(x, y):  # type: ignore[no-untyped-def]
        d = grad(lambda t: np.sin(t) * t)(x * y)
        return [d, x + y]

    fast = const_graph(f)
    fast(0.3, 0.5)
    for x, y in ((1.0, 0.5), (2.0, -1.5)):
        got, want = fast(x, y), f(x, y)
        assert got[0] == pytest.approx(want[0], rel=1e-14) and got[1] == want[1]


def test_misc_flatten_is_a_function_and_a_module_as_in_autograd() -> None:
    code = """
import numpy
import plugrad.misc
from plugrad.misc.flatten import flatten, flatten_func
assert flatten is plugrad.misc.flatten.flatten and callable(flatten_func)
vector, unflatten = plugrad.misc.flatten({"a": numpy.ones(2), "b": 3.0})  # the parent's name still calls
assert list(vector) == [1.0, 1.0, 3.0] and unflatten(vector)["b"] == 3.0
from plugrad.misc import flatten as from_parent
assert list(from_parent([1.0, 2.0])[0]) == [1.0, 2.0]
"""
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda np_: lambda x: np_.sum(np_.where(x > 0, x, 0.0)),
        lambda np_: lambda x: np_.sum(x * (x >= 0.5)),
        lambda np_: lambda x: np_.sum(x[x > 0] ** 2),
        lambda np_: lambda x: x[np_.argmax(x)] * 2.0,
        lambda np_: lambda x: np_.sum(np_.sign(x) * np_.floor(x) * x),
    ],
)
def test_const_graph_replays_comparisons_and_masks(make) -> None:  # type: ignore[no-untyped-def]
    from plugrad.misc import const_graph

    fast = const_graph(make(np))
    fast(numpy.array([1.5, -2.0, 3.2]))  # recorded with this sign pattern
    for x in (numpy.array([-1.2, 2.5, -3.1]), numpy.array([0.7, 0.6, -0.1])):
        assert fast(x) == pytest.approx(make(numpy)(x), rel=1e-14)
        numpy.testing.assert_allclose(grad(fast)(x), grad(make(np))(x), rtol=1e-14)


def test_const_graph_refuses_a_traced_value_that_is_not_an_argument() -> None:
    from plugrad.misc import const_graph

    def outer(w):  # type: ignore[no-untyped-def]
        fast = const_graph(lambda x: x * w)  # w is traced by grad, and not an argument
        return fast(2.0)

    with pytest.raises(ValueError, match="not an argument"):
        grad(outer)(3.0)


def test_const_graph_replays_floats_as_floats_and_arrays_as_arrays() -> None:
    from plugrad.misc import const_graph

    def f(x):  # type: ignore[no-untyped-def]
        for _ in range(3):
            x = x * 0.9 + np.sin(x) / 3.0
        return x

    fast = const_graph(f)
    fast(0.3)
    assert type(fast(0.4)) is float and fast(0.4) == f(0.4)
    arrays = const_graph(f)
    arrays(numpy.ones(2))
    numpy.testing.assert_array_equal(arrays(numpy.arange(2.0)), f(numpy.arange(2.0)))
