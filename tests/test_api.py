"""The differential operators, against closed forms."""

from __future__ import annotations

import collections
from collections import OrderedDict

import numpy
import pytest

import plugrad.numpy as np
from plugrad import (
    builtins,
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)


def poly(x):
    return 3 * x**3 - 20 * x**2 + 40 * x - 2


def test_the_canonical_example():
    assert grad(poly)(1.0) == 9.0
    x = np.linspace(-1, 4, 500)
    d1 = elementwise_grad(poly)
    d2 = elementwise_grad(d1)
    d3 = elementwise_grad(d2)
    d4 = elementwise_grad(d3)
    numpy.testing.assert_allclose(d1(x), 9 * x**2 - 40 * x + 40, rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(d2(x), 18 * x - 40, rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(d3(x), numpy.full(500, 18.0))
    numpy.testing.assert_allclose(d4(x), numpy.zeros(500))


def test_control_flow_loops_ifs_recursion_closures():
    def f(x, n=5):
        if n == 0:
            return x
        y = x
        for _ in range(2):
            y = np.sin(y) if y > 0 else -y
        return f(y * 1.1, n - 1)

    def fd(x, h=1e-6):
        return (f(x + h) - f(x - h)) / (2 * h)

    assert grad(f)(0.7) == pytest.approx(fd(0.7), rel=1e-6)
    scale = 3.0
    closure = lambda x: np.tanh(scale * x)  # noqa: E731
    assert grad(closure)(0.2) == pytest.approx(scale * (1 - numpy.tanh(0.6) ** 2))


def test_argnum_tuple_and_multiple_arguments():
    f = lambda x, y: x * y**2  # noqa: E731
    assert grad(f, 1)(3.0, 2.0) == 12.0
    gx, gy = grad(f, (0, 1))(3.0, 2.0)
    assert (gx, gy) == (4.0, 12.0)


def test_value_and_grad_and_grad_and_aux():
    val, g = value_and_grad(lambda x: np.sum(x**2))(numpy.array([1.0, 2.0]))
    assert val == 5.0
    numpy.testing.assert_allclose(g, [2.0, 4.0])
    g, aux = grad_and_aux(lambda x: (np.sum(x**2), "note"))(numpy.array([3.0]))
    assert aux == "note"
    numpy.testing.assert_allclose(g, [6.0])
    # Traced values inside a container aux come back as plain values, as the loss's do.
    g, aux = grad_and_aux(lambda x: (np.sum(x**2), {"pred": np.tanh(x), "note": "hi", "n": 3}))(numpy.array([3.0]))
    assert type(aux["pred"]) is numpy.ndarray and aux["note"] == "hi" and aux["n"] == 3
    numpy.testing.assert_allclose(aux["pred"], numpy.tanh([3.0]))
    # Nested, the outer derivative still sees both outputs.
    assert grad(lambda y: grad_and_aux(lambda x: (x * x * y, x * y))(2.0)[1])(3.0) == 2.0


def test_jacobian_and_hessian():
    A = numpy.arange(6.0).reshape(2, 3)
    numpy.testing.assert_allclose(jacobian(lambda x: np.matmul(A, x))(numpy.ones(3)), A)
    x = numpy.array([0.5, -1.0, 2.0])
    H = hessian(lambda x: np.sum(x**3))(x)
    numpy.testing.assert_allclose(H, numpy.diag(6 * x))
    assert jacobian(lambda x: x * 2.0)(numpy.ones((2, 2))).shape == (2, 2, 2, 2)


def test_jacobians_with_respect_to_several_arguments_and_of_several_outputs_are_containers_of_blocks():
    rng = numpy.random.default_rng(1)
    a, b = rng.standard_normal(3), rng.standard_normal(4)
    M = rng.standard_normal((4, 3))
    J = jacobian(lambda a, b: np.sin(a) * np.sum(b), (0, 1))(a, b)
    assert type(J) is tuple and [j.shape for j in J] == [(3, 3), (3, 4)]
    numpy.testing.assert_allclose(J[0], numpy.diag(numpy.cos(a)) * b.sum())
    numpy.testing.assert_allclose(J[1], numpy.outer(numpy.sin(a), numpy.ones(4)))
    # A dict argument, a tuple output: J[output][key], each output's shape then the key's.
    params = {"M": M, "s": 0.5}
    J = jacobian(lambda p: (p["s"] * np.matmul(p["M"], a), np.sum(p["M"] ** 2)))(params)
    assert type(J) is tuple and all(type(block) is dict for block in J)
    assert J[0]["M"].shape == (4, 4, 3) and J[0]["s"].shape == (4,) and J[1]["M"].shape == (4, 3)
    numpy.testing.assert_allclose(J[0]["s"], M @ a)
    numpy.testing.assert_allclose(J[0]["M"][2], 0.5 * numpy.outer(numpy.eye(4)[2], a))
    numpy.testing.assert_allclose(J[1]["M"], 2 * M)
    assert float(J[1]["s"]) == 0.0

    def f(a, b):
        return np.sum(a**2 * np.matmul(np.tanh(b), M)) + np.sum(b**3) * np.sum(a)

    H = hessian(f, (0, 1))(a, b)
    assert [[block.shape for block in row] for row in H] == [[(3, 3), (3, 4)], [(4, 3), (4, 4)]]
    numpy.testing.assert_allclose(H[0][1], H[1][0].T)
    whole = hessian(lambda v: f(v[:3], v[3:]))(numpy.concatenate([a, b]))  # the same, of one vector
    numpy.testing.assert_allclose(numpy.block([list(row) for row in H]), whole, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("error")
def test_jacobians_and_hessians_of_empty_arrays_are_empty():
    # No output element, no row: an empty array of the argument's dtype (autograd raises
    # "need at least one array to stack").
    empty = numpy.zeros((0, 3))
    assert jacobian(lambda x: x * 2.0)(empty).shape == (0, 3, 0, 3)
    assert jacobian(lambda t: t * numpy.ones(0))(1.5).shape == (0,)
    assert jacobian(lambda x: x * 2.0)(numpy.zeros(0, numpy.float32)).dtype == numpy.float32
    assert hessian(lambda x: np.sum(x**3))(empty).shape == (0, 3, 0, 3)
    assert hessian(lambda x: np.sum(x**3))(numpy.zeros(0)).shape == (0, 0)


def test_hessian_vector_products_agree():
    def rosen(x):
        return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    x = numpy.linspace(-1, 1, 6)
    v = numpy.arange(6.0)
    H = hessian(rosen)(x)
    numpy.testing.assert_allclose(hessian_tensor_product(rosen)(x, v), H @ v, rtol=1e-10)
    numpy.testing.assert_allclose(hessian_vector_product(rosen)(x, v), H @ v, rtol=1e-10)
    hvp, g = make_hvp(rosen)(x)
    numpy.testing.assert_allclose(hvp(v), H @ v, rtol=1e-10)
    numpy.testing.assert_allclose(g, grad(rosen)(x))


def test_vjp_jvp_and_their_products():
    A = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    f = lambda x: np.matmul(A, np.sin(x))  # noqa: E731
    x = numpy.array([0.1, 0.2])
    J = A * numpy.cos(x)
    vjp, ans = make_vjp(f)(x)
    numpy.testing.assert_allclose(ans, f(x))
    numpy.testing.assert_allclose(vjp(numpy.array([1.0, -1.0])), numpy.array([1.0, -1.0]) @ J)
    value, tangent = make_jvp(f)(x)(numpy.array([2.0, 1.0]))
    numpy.testing.assert_allclose(tangent, J @ numpy.array([2.0, 1.0]))
    numpy.testing.assert_allclose(tensor_jacobian_product(f)(x, numpy.ones(2)), numpy.ones(2) @ J)
    numpy.testing.assert_allclose(vector_jacobian_product(f)(x, numpy.ones(2)), numpy.ones(2) @ J)
    numpy.testing.assert_allclose(deriv(np.sin)(x), numpy.cos(x))


def test_make_ggnvp_is_jt_j_for_the_default_loss():
    A = numpy.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]])
    f = lambda x: np.matmul(A, x)  # noqa: E731
    v = numpy.array([1.0, 2.0])
    numpy.testing.assert_allclose(make_ggnvp(f)(numpy.ones(2))(v), A.T @ A @ v)


def test_containers_as_parameters():
    Params = collections.namedtuple("Params", "w b")

    def loss(p):
        return np.sum(p["layers"][0].w * 2.0 + p["layers"][1]) + p["bias"] ** 2

    params = {"layers": [Params(numpy.ones(2), 3.0), numpy.array([1.0, 1.0])], "bias": 2.0}
    g = grad(loss)(params)
    assert isinstance(g, dict) and isinstance(g["layers"], list)
    assert isinstance(g["layers"][0], Params)
    numpy.testing.assert_allclose(g["layers"][0].w, [2.0, 2.0])
    assert g["layers"][0].b == 0.0
    numpy.testing.assert_allclose(g["layers"][1], [1.0, 1.0])
    assert g["bias"] == 4.0


def test_builtins_containers_stay_traced():
    def f(x):
        pair = builtins.tuple((x, 2 * x))
        d = builtins.dict(a=pair[0], b=pair[1])
        items = builtins.list([d["a"], d["b"]])
        assert builtins.isinstance(x, float) and builtins.type(x) is float
        return items[0] * items[1]

    assert grad(f)(3.0) == pytest.approx(12.0)


def test_traced_container_read_element_by_element_and_used_whole():
    from plugrad.misc import flatten

    def f(x):
        pair = builtins.tuple((x, 3.0 * x))
        whole = np.sum(flatten(pair)[0])  # the container as one argument: x + 3x
        return pair[0] * pair[1] + whole + pair[1]  # 3x**2 + 4x + 3x

    assert grad(f)(2.0) == pytest.approx(19.0)
    assert grad(grad(f))(2.0) == pytest.approx(6.0)


def test_complex_convention_and_holomorphic_grad():
    # Real-valued f of complex z: the gradient is conj of (df/dx + i df/dy).
    z = 1.0 + 2.0j
    g = grad(lambda z: np.abs(z) ** 2)(z)
    assert g == pytest.approx(2 * numpy.conj(z))
    assert holomorphic_grad(lambda z: z**3)(z) == pytest.approx(3 * z**2)
    assert holomorphic_grad(np.exp)(z) == pytest.approx(numpy.exp(z))


def test_grad_named_and_multigrad_dict():
    def f(a, b, c=2.0):
        return a * b * c

    assert grad_named(f, "b")(1.0, 3.0) == 2.0
    grads = multigrad_dict(f)(1.0, 3.0)
    assert grads == {"a": 6.0, "b": 2.0, "c": 3.0} and type(grads) is OrderedDict


def test_grad_named_finds_its_parameter_however_it_is_passed():
    def f(a, *args, b=1.0):
        return a * b * sum(args)

    assert grad_named(f, "b")(2.0, 1.0, 3.0) == 8.0  # keyword-only, at its default
    assert grad_named(f, "b")(2.0, 1.0, 3.0, b=0.5) == 8.0
    assert grad_named(f, "a")(2.0, 1.0, 3.0, b=2.0) == 8.0
    assert grad_named(lambda x, y=3.0: x * y * y, "y")(x=2.0, y=1.5) == 6.0
    with pytest.raises(TypeError, match=r"no parameter 'args' of its own.*\*args collects the call's extra arguments: differentiate one"):
        grad_named(f, "args")
    with pytest.raises(TypeError, match=r"\*\*kw collects the call's extra keywords: make the one"):
        grad_named(lambda x, **kw: x, "kw")
    with pytest.raises(ValueError):  # what autograd raised, for code that catches it
        grad_named(f, "z")


def test_checkpoint_gives_the_same_gradient():
    def block(x):
        return np.sin(np.tanh(x) * 2.0)

    cblock = checkpoint(block)
    f = lambda x: np.sum(block(block(x)))  # noqa: E731
    cf = lambda x: np.sum(cblock(cblock(x)))  # noqa: E731
    x = numpy.linspace(0, 1, 5)
    numpy.testing.assert_allclose(grad(cf)(x), grad(f)(x))
    numpy.testing.assert_allclose(elementwise_grad(elementwise_grad(cblock))(x), elementwise_grad(elementwise_grad(block))(x))
    numpy.testing.assert_allclose(make_jvp(cf)(x)(numpy.ones(5))[1], make_jvp(f)(x)(numpy.ones(5))[1])


def test_checkpoint_runs_the_function_once_more_however_many_arguments_are_traced():
    calls = []

    def layer(x, w, b):
        calls.append(1)
        return np.tanh(x @ w + b)

    clayer = checkpoint(layer)
    x, w, b = numpy.ones((2, 3)), numpy.full((3, 3), 0.1), numpy.full(3, 0.2)
    loss = lambda x, w, b: np.sum(clayer(x, w, b) ** 2)  # noqa: E731
    plain = lambda x, w, b: np.sum(layer(x, w, b) ** 2)  # noqa: E731
    expected = grad(plain, (0, 1, 2))(x, w, b)
    del calls[:]
    got = grad(loss, (0, 1, 2))(x, w, b)
    assert len(calls) == 2  # the forward pass, then one recomputation for all three
    for a, e in zip(got, expected):
        numpy.testing.assert_allclose(a, e)
    del calls[:]
    grad(lambda w, b: np.sum(clayer(x, w, b)), (0, 1))(w, b)  # two traced arguments: once too
    assert len(calls) == 2
    del calls[:]
    cpair = checkpoint(lambda a, b: layer(x, a, b))  # a two-argument function, both traced
    grad(lambda w, b: np.sum(cpair(w, b)), (0, 1))(w, b)
    assert len(calls) == 2
    del calls[:]
    tangents = (numpy.ones((2, 3)), numpy.ones((3, 3)), numpy.ones(3))
    numpy.testing.assert_allclose(
        make_jvp(loss, (0, 1, 2))(x, w, b)(tangents)[1], make_jvp(plain, (0, 1, 2))(x, w, b)(tangents)[1]
    )


def test_gradients_of_different_arguments_are_different_arrays():
    # add's rule passes its cotangent on to both arguments: an in-place step on one
    # gradient must not change the other.
    w1, w2 = numpy.ones(3), numpy.ones(3)
    for g in (
        grad(lambda p: np.sum(np.tanh(p[0] + p[1])))([w1, w2]),
        grad(lambda a, b: np.sum(np.tanh(a + b)), (0, 1))(w1, w2),
        list(grad(lambda p: np.sum(np.tanh(p["a"] + p["b"])))({"a": w1, "b": w2}).values()),
        make_vjp(lambda p: p[0] + p[1])([w1, w2])[0](numpy.ones(3)),
    ):
        first, second = g
        assert first is not second
        numpy.testing.assert_array_equal(first, second)
        first *= 0.5
        assert not numpy.array_equal(first, second)


def test_independent_output_gives_zeros_with_a_warning():
    with pytest.warns(UserWarning, match="independent"):
        g = grad(lambda x: 3.0)(numpy.ones(3))
    numpy.testing.assert_array_equal(g, numpy.zeros(3))


def test_float32_in_float32_out():
    x = numpy.ones(3, numpy.float32)
    g = grad(lambda x: np.sum(np.sin(x) * 2.0))(x)
    assert g.dtype == numpy.float32


def test_container_elements_read_by_negative_and_positive_index():
    def f(params):
        return params[-1] * params[1] + params[0] * params[-2]

    assert grad(f)([2.0, 3.0]) == [4.0, 6.0]  # f = p[1]**2 + p[0]**2


def test_container_parameters_arrive_as_plain_containers_of_traced_values():
    Layer = collections.namedtuple("Layer", "w b")
    seen = {}

    def loss(params):
        seen["types"] = type(params), type(params["layers"]), type(params["layers"][0])
        layers = params["layers"]
        layers.append("ignored")  # a plain list: the caller's list is not touched
        w, b = layers[0]
        return np.sum(np.tanh(params["x"] @ w + b) ** 2)

    params = {"layers": [Layer(numpy.eye(2) * 0.5, numpy.ones(2))], "x": numpy.array([[1.0, 2.0]])}
    g = grad(loss)(params)
    assert seen["types"] == (dict, list, Layer)
    assert len(params["layers"]) == 1
    w, b, x = params["layers"][0].w, params["layers"][0].b, params["x"]
    h = numpy.tanh(x @ w + b)
    gh = 2 * h * (1 - h**2)
    numpy.testing.assert_allclose(g["layers"][0].w, x.T @ gh)
    numpy.testing.assert_allclose(g["layers"][0].b, gh[0])
    numpy.testing.assert_allclose(g["x"], gh @ w.T)


def test_reading_container_parameters_records_nothing():
    lengths = []

    def f(params):
        w, b = params
        lengths.append(len(w._trace.tape))
        return np.sum(w * b)

    grad(f)([numpy.ones(3), numpy.full(3, 2.0)])
    assert lengths == [2]  # the two start nodes, and no operation for the unpacking


def test_a_primitive_taking_the_whole_container_still_traces_it():
    from plugrad.misc import flatten

    params = {"a": numpy.array([1.0, 2.0]), "b": [3.0, numpy.array([[4.0]])]}
    g = grad(lambda p: np.sum(flatten(p)[0] ** 2))(params)
    numpy.testing.assert_allclose(g["a"], [2.0, 4.0])
    assert g["b"][0] == 6.0
    numpy.testing.assert_allclose(g["b"][1], [[8.0]])


def test_second_derivatives_through_container_parameters():
    def f(params):
        a, b = params
        return np.sum(a**2 * b)

    a, b = numpy.array([1.0, 2.0]), numpy.array([3.0, -1.0])
    # d/da of sum(d f/d a) = d/da sum(2 a b) = 2 b; the same through a list argument.
    g = grad(lambda p: np.sum(grad(f)(p)[0]))([a, b])
    numpy.testing.assert_allclose(g[0], 2 * b)
    numpy.testing.assert_allclose(g[1], 2 * a)
    h = hessian(lambda v: f([v[:2], v[2:]]))(numpy.concatenate([a, b]))
    numpy.testing.assert_allclose(h[:2, 2:], numpy.diag(2 * a))


def test_unused_container_parameters_get_zeros_of_their_kind():
    g = grad(lambda p: p[0] * 2.0)((1.5, numpy.ones((2, 2)), [numpy.float32(1.0)]))
    assert type(g) is tuple and g[0] == 2.0
    numpy.testing.assert_array_equal(g[1], numpy.zeros((2, 2)))
    assert type(g[2]) is list and g[2][0].dtype == numpy.float32


def test_traced_lists_and_tuples_concatenate_with_plus():
    def f(x):
        s = builtins.list([x[0], x[1] * 2.0])
        t = builtins.tuple((x[0] ** 2,))
        return np.sum(np.stack(s + [x[1]] + s)) + np.sum(np.stack(t + t)) + np.sum(np.stack([x[0]] + s))

    x = numpy.array([1.5, -0.5])
    numpy.testing.assert_allclose(grad(f)(x), [3 + 4 * 1.5 + 1, 2 * 2 + 1 + 2])
    assert make_jvp(lambda p: np.sum(np.stack(p + [1.0])))([1.0, 2.0])([1.0, 1.0])[1] == 2.0
    with pytest.raises(TypeError):
        grad(lambda x: np.sum(np.stack(builtins.list([x]) + (x,))))(1.0)  # list + tuple, as in Python


def test_hessian_vector_product_counts_a_negative_argnum_from_the_functions_own_arguments():
    f = lambda x, y: np.sum(x**2 * y**3)  # noqa: E731
    x, y, v = numpy.array([1.0, 2.0]), numpy.array([1.0, 2.0]), numpy.array([1.0, 1.0])
    numpy.testing.assert_allclose(hessian_vector_product(f, -1)(x, y, v), hessian_vector_product(f, 1)(x, y, v))
    numpy.testing.assert_allclose(hessian_vector_product(f, 1)(x, y, v), [6 * 1 * 1, 6 * 4 * 2])


def test_tensor_jacobian_product_refuses_a_tensor_of_the_wrong_shape():
    f = lambda x: x * 2.0  # noqa: E731
    for shape in [(4,), (1,), (3, 3), (2, 3)]:
        with pytest.raises(ValueError, match=r"is not the leading part of the output's shape \(3,\)"):
            tensor_jacobian_product(f)(numpy.ones(3), numpy.ones(shape))
    numpy.testing.assert_allclose(tensor_jacobian_product(f)(numpy.ones(3), numpy.ones(3)), [2.0, 2.0, 2.0])


def test_holomorphic_grad_of_an_array_output_is_the_elementwise_derivative():
    # as elementwise_grad's: the sum of the elements' derivatives (autograd's raises)
    z = numpy.array([1j, 2.0])
    assert holomorphic_grad(lambda z: z**2)(z).tolist() == [2j, 4.0]
    assert holomorphic_grad(lambda z: np.stack([z**2, z]))(1j) == 1 + 2j


def test_the_product_operators_errors_use_the_name_they_were_called_by():
    from plugrad import hessian_tensor_product, hessian_vector_product, tensor_jacobian_product, vector_jacobian_product

    f = lambda x: np.sum(x**3)  # noqa: E731
    for op in (hessian_vector_product, hessian_tensor_product):
        with pytest.raises(ValueError, match=rf"^the vector given to {op.__name__}\(.*<lambda>\) has shape \(3,\)"):
            op(f)(numpy.ones(2), numpy.ones(3))
    for op in (vector_jacobian_product, tensor_jacobian_product):
        with pytest.raises(ValueError, match=rf"^{op.__name__}\(.*<lambda>\): the tensor's shape \(3,\)"):
            op(lambda x: x * 2)(numpy.ones(2), numpy.ones(3))
    hvp, _ = make_hvp(f)(numpy.ones(2))  # its vector is the argument's, not a cotangent
    with pytest.raises(ValueError, match=r"^the vector given to the hvp of make_hvp\(.*<lambda>\) has shape \(3,\) .* but the argument has shape \(2,\)"):
        hvp(numpy.ones(3))
    numpy.testing.assert_allclose(hvp([1, 2]), [6.0, 12.0])  # a list of integers, as NumPy reads it


def test_an_integer_output_has_derivative_zero_as_in_autograd() -> None:
    # A step function's output, np.where(x > 0, 1, 0): zeros, not an error about the input.
    x = numpy.array([-1.0, 0.5, 2.0])
    # Said with a warning, as autograd warns that such an output seems independent of the input.
    step = lambda x: np.where(x > 0, 1, 0)  # noqa: E731
    with pytest.warns(UserWarning, match=r"^elementwise_grad\(.*<lambda>\): the function returned integers, which have no derivative: the result is zero"):
        numpy.testing.assert_array_equal(elementwise_grad(step)(x), numpy.zeros(3))
    with pytest.warns(UserWarning, match=r"^jacobian\(.*<lambda>\): the function returned integers"):
        numpy.testing.assert_array_equal(jacobian(step)(x), numpy.zeros((3, 3)))
    with pytest.warns(UserWarning, match=r"^make_jvp: the function returned integers"):
        numpy.testing.assert_array_equal(make_jvp(step)(x)(numpy.ones(3))[1], numpy.zeros(3))
    with pytest.warns(UserWarning, match=r"returned booleans"):
        numpy.testing.assert_array_equal(elementwise_grad(lambda x: x > 0)(x), numpy.zeros(3))
