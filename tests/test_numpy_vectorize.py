"""``plugrad.numpy.vectorize``: NumPy's class on plain values, and on traced ones a loop
whose results are stacked differentiably -- checked against autograd (where it works),
against finite differences in both modes to second order, and against NumPy's values."""

from __future__ import annotations

import importlib.util
import warnings

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import NotDifferentiableError, elementwise_grad, grad, hessian, jacobian, make_jvp, make_vjp
from plugrad.test_util import check_grads

rng = numpy.random.default_rng(3)
x3 = numpy.array([0.5, -1.5, 2.0])


def traced_value(fun, x):
    """``fun(x)`` computed while ``x`` is traced."""
    return make_vjp(fun)(x)[1]


def test_the_reported_example() -> None:
    fun = lambda x: np.sum(np.vectorize(lambda v: v**2 if v > 0 else -v)(x))  # noqa: E731
    assert numpy.allclose(grad(fun)(numpy.array([1.0, -2.0])), [2.0, -1.0])


def test_published_as_a_subclass_of_numpys() -> None:
    assert plugrad.default_registry().lookup("numpy.vectorize") is not None
    assert issubclass(np.vectorize, numpy.vectorize)
    assert np.vectorize is not numpy.vectorize


# -- against autograd: the gradient of the sum, which autograd gets right -----------------

# Each case takes the namespace (autograd's or plugrad's) and gives a function of x.
CASES = {
    "branch": lambda np: np.vectorize(lambda v: v**2 if v > 0 else -v),
    "two arguments": lambda np: lambda x: np.vectorize(lambda a, b: a * b + np.sin(a))(x, 2.0),
    "exp or identity": lambda np: np.vectorize(lambda v: np.exp(v) if v < 1 else v),
    "broadcast outer": lambda np: lambda x: np.vectorize(lambda a, b: a * b**2)(x[:, None], x[None, :]),
    "weighted": lambda np: lambda x: np.vectorize(np.tanh)(x) * np.arange(3.0),
}


@pytest.mark.parametrize("name", CASES)
def test_gradient_of_the_sum_matches_autograd(name: str) -> None:
    autograd = pytest.importorskip("autograd")  # (a benchmark dependency, not a test one)
    anp = pytest.importorskip("autograd.numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = autograd.grad(lambda x: anp.sum(CASES[name](anp)(x)))(x3)
    assert numpy.allclose(grad(lambda x: np.sum(CASES[name](np)(x)))(x3), expected)


# -- against finite differences, both modes, second order ---------------------------------

smooth = np.vectorize(lambda v: np.sin(v) * v if v > 0 else v**3 + 0.5 * v)
pair = np.vectorize(lambda a, b: a * np.exp(b) - b**2)
split = np.vectorize(lambda v: (np.sin(v), v**2))
row_dot = np.vectorize(lambda a, b: np.dot(a, b), signature="(n),(n)->()")
powers = np.vectorize(lambda v: np.stack([v, v**2, v**3]), signature="()->(k)")
normalize = np.vectorize(lambda a: (a / np.sum(a**2), np.sum(a)), signature="(n)->(n),()")
b4 = rng.uniform(0.2, 1.0, 4)
A24 = rng.uniform(0.2, 1.0, (2, 4))

FUNCTIONS = {
    "elementwise": (smooth, rng.standard_normal((2, 3))),
    "0-d array": (smooth, numpy.array(0.7)),
    "Python float": (smooth, -0.4),
    "broadcast against a constant": (lambda x: pair(x, numpy.array([[0.1], [0.3]])), rng.uniform(-1, 1, 3)),
    "broadcast against itself": (lambda x: pair(x[:, None], x), rng.uniform(-1, 1, 3)),
    "second output": (lambda x: split(x)[1] + split(x)[0], rng.standard_normal(4)),
    "keyword argument": (lambda x: pair(0.3, b=x), rng.uniform(-1, 1, (2, 2))),
    "otypes float32": (np.vectorize(lambda v: v**3, otypes="f"), rng.uniform(0.5, 1, 3).astype("f")),
    "otypes complex": (np.vectorize(lambda v: v**3 * (1 + 1j), otypes="D"), rng.uniform(0.5, 1, 3)),
    "signature, reduced": (lambda A: row_dot(A, b4), rng.uniform(0.2, 1.0, (3, 4))),
    "signature, broadcast vector": (lambda b: row_dot(A24, b), b4),
    "signature, new core dimension": (powers, rng.uniform(0.2, 1.0, 3)),
    "signature, two outputs": (lambda A: normalize(A)[0] * normalize(A)[1][:, None], b4[:3] * b4[:2, None]),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_derivatives_match_finite_differences(name: str) -> None:
    fun, x = FUNCTIONS[name]
    check_grads(fun, modes=["rev", "fwd"], order=2)(x)


def test_excluded_arguments_may_be_traced() -> None:
    def poly(v, coefs, *, shift):
        return coefs[0] + coefs[1] * (v - shift) + coefs[2] * (v - shift) ** 2

    by_position = np.vectorize(poly, excluded={1, "shift"})
    v = rng.standard_normal(4)
    coefs = numpy.array([0.3, -1.2, 0.7])
    check_grads(lambda c: by_position(v, c, shift=0.5), modes=["rev", "fwd"], order=2)(coefs)
    check_grads(lambda s: by_position(v, coefs, shift=s), modes=["rev", "fwd"], order=2)(0.2)
    check_grads(lambda v: by_position(v, coefs, shift=0.5), modes=["rev", "fwd"], order=2)(v)
    expected = numpy.vectorize(poly, excluded={1, "shift"})(v, coefs, shift=0.5)
    assert numpy.allclose(by_position(v, coefs, shift=0.5), expected)


CLOSURES = {
    "elementwise": {},
    "otypes": {"otypes": [float]},
    "signature": {"signature": "()->()"},
}


@pytest.mark.parametrize("name", CLOSURES)
def test_results_traced_through_the_closure(name: str) -> None:
    # Plain arguments, traced results: NumPy's loop cannot cast them, so plugrad's runs.
    data = numpy.array([[0.5, -1.0, 2.0]])

    def model(np):
        return lambda w: np.vectorize(lambda v: w[0] * np.sin(w[1] * v), **CLOSURES[name])(data)

    w = numpy.array([0.7, 1.3])
    check_grads(model(np), modes=["rev", "fwd"], order=2)(w)
    if name != "otypes" and importlib.util.find_spec("autograd") is not None:  # (autograd fails to cast to otypes)
        import autograd
        import autograd.numpy as anp

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = autograd.grad(lambda w: anp.sum(model(anp)(w)))(w)
        assert numpy.allclose(grad(lambda w: np.sum(model(np)(w)))(w), expected)


def test_numpys_errors_on_plain_arguments_are_kept() -> None:
    with pytest.raises(ValueError, match="setting an array element with a sequence") as info:
        np.vectorize(lambda v: numpy.ones(2))(x3)
    assert info.value.__context__ is None
    with pytest.raises(ValueError, match="size 0"):
        np.vectorize(lambda v: v)(numpy.zeros(0))


def test_forward_mode_higher_order_and_jacobian() -> None:
    f = np.vectorize(lambda v: v**3 if v > 0 else -v)
    x = numpy.array([1.0, -2.0, 0.5])
    _, tangent = make_jvp(f)(x)(numpy.ones(3))
    assert numpy.allclose(tangent, [3.0, -1.0, 0.75])
    assert numpy.allclose(jacobian(f)(x), numpy.diag([3.0, -1.0, 0.75]))
    assert numpy.allclose(elementwise_grad(elementwise_grad(f))(x), [6.0, 0.0, 3.0])
    assert numpy.allclose(hessian(lambda x: np.sum(f(x)))(x), numpy.diag([6.0, 0.0, 3.0]))


def test_a_list_of_traced_scalars_is_an_argument() -> None:
    f = np.vectorize(lambda v: v**2)
    g = grad(lambda x: np.sum(f([x[0], x[1] * 2, 1.0])))(numpy.array([1.0, 2.0]))
    assert numpy.allclose(g, [2.0, 16.0])


# -- values and dtypes: NumPy's -----------------------------------------------------------

VALUES = {
    "float": (lambda v: v**2 if v > 0 else -v, {}, x3),
    "int first, as NumPy casts": (lambda v: v**2 if v > 0 else 0, {}, numpy.array([-1.0, 2.5])),
    "otypes float32": (lambda v: v * 2, {"otypes": [numpy.float32]}, x3),
    "otypes complex": (lambda v: v * 1j, {"otypes": "D"}, x3),
    "two outputs": (lambda v: (v, v * 2), {}, x3.reshape(3, 1)),
    "signature": (lambda a: a[::-1], {"signature": "(n)->(n)"}, rng.standard_normal((2, 3))),
}


def outputs(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name", VALUES)
def test_traced_values_and_dtypes_are_numpys(name: str) -> None:
    pyfunc, options, x = VALUES[name]
    expected = outputs(numpy.vectorize(pyfunc, **options)(x))
    got = traced_value(lambda x: plugrad.builtins.tuple(outputs(np.vectorize(pyfunc, **options)(x))), x)
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert numpy.array_equal(e, g) and e.dtype == g.dtype and e.shape == g.shape


def test_constant_results_mix_with_traced_ones() -> None:
    f = np.vectorize(lambda v: v**2 if v > 0 else 0.0)
    assert numpy.allclose(grad(lambda x: np.sum(f(x)))(numpy.array([1.0, -2.0, 3.0])), [2.0, 0.0, 6.0])
    constant = np.vectorize(lambda v: 1.5)  # no result depends on the traced value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert numpy.allclose(grad(lambda x: np.sum(constant(x) * x))(numpy.ones(2)), [1.5, 1.5])


def test_size_zero_is_numpys_result() -> None:
    f = np.vectorize(lambda v: v**2, otypes=[float])
    out = traced_value(lambda x: np.sum(f(x)) + np.sum(x), numpy.zeros(0))
    assert out == 0.0
    with pytest.raises(ValueError, match="size 0"):
        grad(lambda x: np.sum(np.vectorize(lambda v: v)(x)))(numpy.zeros(0))


def test_many_elements_take_linear_time() -> None:
    # Quadratic reading or joining would make this take minutes.
    x = rng.standard_normal(20000)
    assert numpy.allclose(grad(lambda x: np.sum(np.vectorize(lambda v: v * v)(x)))(x), 2 * x)


# -- plain values: numpy.vectorize itself -------------------------------------------------


def square(v):
    """Squares."""
    return v * v


def test_plain_calls_behave_as_numpy() -> None:
    ours, theirs = np.vectorize(square), numpy.vectorize(square)
    assert ours.pyfunc is square and ours.__doc__ == theirs.__doc__ == "Squares."
    assert ours.__name__ == "square"
    assert type(ours(x3)) is numpy.ndarray and numpy.array_equal(ours(x3), theirs(x3))
    assert np.vectorize(square, doc="mine").__doc__ == "mine"
    ints = numpy.arange(3)
    assert ours(ints).dtype == theirs(ints).dtype
    options = {"otypes": "f", "excluded": {1}, "cache": True}
    add = lambda a, b: a + b[0]  # noqa: E731
    ours, theirs = np.vectorize(add, **options), numpy.vectorize(add, **options)
    assert (ours.otypes, ours.excluded, ours.cache) == (theirs.otypes, theirs.excluded, theirs.cache)
    assert numpy.array_equal(ours(x3, [1.0]), theirs(x3, [1.0])) and ours(x3, [1.0]).dtype == numpy.float32
    with_signature = np.vectorize(numpy.sum, signature="(n)->()")
    assert with_signature.signature == "(n)->()"
    assert numpy.array_equal(with_signature(numpy.ones((2, 3))), [3.0, 3.0])


def test_usable_as_a_decorator() -> None:
    @np.vectorize
    def plain(v):
        return v * 3

    @np.vectorize(otypes=[float], excluded={"scale"})
    def scaled(v, scale=1.0):
        return v * scale

    assert isinstance(plain, np.vectorize) and isinstance(scaled, np.vectorize)
    assert numpy.array_equal(plain(numpy.arange(3)), [0, 3, 6])
    assert numpy.allclose(grad(lambda x: np.sum(scaled(x, scale=x[0])))(numpy.array([1.0, 2.0])), [4.0, 1.0])


# -- errors -------------------------------------------------------------------------------


def test_an_array_from_an_elementwise_call_says_to_give_a_signature() -> None:
    f = np.vectorize(lambda v: np.stack([v, v]))
    with pytest.raises(ValueError, match=r"vectorize.*signature="):
        grad(lambda x: np.sum(f(x)))(x3)


def test_an_object_array_of_traced_results_is_refused() -> None:
    f = np.vectorize(lambda v: v * 2, otypes=[object])
    with pytest.raises(NotDifferentiableError, match=r"vectorize.*otypes"):
        grad(lambda x: np.sum(f(x)))(x3)


def test_a_changing_number_of_outputs_is_refused() -> None:
    f = np.vectorize(lambda v: (v, v) if v > 0 else v)
    with pytest.raises(ValueError, match=r"vectorize: pyfunc returned 1 outputs"):
        grad(lambda x: np.sum(f(x)[0]))(numpy.array([1.0, -1.0]))


def test_signature_errors_are_numpys() -> None:
    f = np.vectorize(lambda a, b: np.dot(a, b), signature="(n),(n)->()")
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'n'"):
        grad(lambda x: np.sum(f(x, numpy.ones(2))))(numpy.ones(3))
    with pytest.raises(TypeError, match="wrong number of positional arguments"):
        grad(lambda x: np.sum(f(x)))(numpy.ones(3))


def test_results_traced_through_a_closure_for_some_elements_only() -> None:
    # The first element's result is a plain 0.0: the others are traced through w.
    f = lambda w: np.sum(np.vectorize(lambda v: w * v if v > 0 else 0.0)(numpy.array([-1.0, 2.0, 3.0])))  # noqa: E731
    assert grad(f)(1.5) == 5.0
