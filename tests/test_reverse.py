"""plugrad.reverse: the tape, the backward pass, memory."""

from __future__ import annotations

import collections
import gc
import subprocess
import sys
import weakref

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import NotDifferentiableError, grad, make_vjp
from plugrad.extend import defvjp, primitive
from plugrad.box import getval
from plugrad.reverse import make_vjp as make_vjp_unary
from plugrad.test_util import check_grads


def test_deep_chain_does_not_recurse():
    n = 1_000_000
    assert n > sys.getrecursionlimit() * 100

    def chain(x):
        for _ in range(n):
            x = x * 1.0000001
        return x

    assert grad(chain)(1.0) == pytest.approx(1.0000001**n, rel=1e-9)


def test_vjp_can_be_called_many_times():
    vjp, ans = make_vjp_unary(lambda x: np.sin(x) * 3.0, numpy.array([0.1, 0.2]))
    first = vjp(numpy.ones(2))
    numpy.testing.assert_allclose(vjp(numpy.ones(2)), first)
    numpy.testing.assert_allclose(vjp(2 * numpy.ones(2)), 2 * first)


def test_fan_out_accumulates():
    def f(x):
        y = np.sin(x)
        return y * y + y + np.exp(y)

    x = 0.4
    s = numpy.sin(x)
    expected = (2 * s + 1 + numpy.exp(s)) * numpy.cos(x)
    assert grad(f)(x) == pytest.approx(expected)



def test_fan_out_of_arrays_adds_in_place_but_writes_no_array_it_did_not_make():
    # w gets one cotangent per step. The sweep adds them into the first sum it made; the
    # cotangent given to vjp and the arrays the rules return (add passes its cotangent
    # to both arguments) must come through unchanged.
    w0 = numpy.array([[0.5, -1.0], [2.0, 0.25]])
    steps = 6

    def f(w):
        h = w
        for _ in range(steps):
            h = h + w  # pass-through cotangents: one array for both arguments
        return h * 1.0

    g = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    kept = g.copy()
    vjp, _ = make_vjp(f)(w0)
    numpy.testing.assert_array_equal(vjp(g), (steps + 1) * kept)
    numpy.testing.assert_array_equal(g, kept)
    numpy.testing.assert_array_equal(vjp(g), (steps + 1) * kept)  # a second sweep starts afresh

    def shared(w):  # one cotangent array reaching a node twice, and the node summed again
        y = w * 2.0
        z = y + y
        return z + y * 3.0 + np.sin(y)

    expected = 2.0 * (2.0 + 3.0 + numpy.cos(2.0 * w0))
    numpy.testing.assert_allclose(grad(lambda w: np.sum(shared(w)))(w0), expected, rtol=1e-15)
    vjp, _ = make_vjp(shared)(w0)
    ones = numpy.ones_like(w0)
    numpy.testing.assert_allclose(vjp(ones), expected, rtol=1e-15)
    numpy.testing.assert_array_equal(ones, 1.0)

def test_fan_out_of_zero_dimensional_arrays():
    # Two 0-d arrays (the cotangents of np.sum here) add up to a NumPy scalar, which
    # cannot be added into in place.
    vjp, _ = make_vjp(lambda x: np.sum(x) + np.sum(x) * 2.0 + np.sum(x) * 3.0 + np.sum(x))(numpy.array(1.5))
    assert vjp(1.0) == 7.0


def test_finished_gradient_holds_no_memory():
    refs = []

    def f(x):
        big = np.sin(x) * 2.0
        refs.append(weakref.ref(big))
        return np.sum(big)

    grad(f)(numpy.ones(10_000))
    # No reference cycles: freed by reference counting alone, without the collector.
    assert refs[0]() is None
    gc.collect()


def test_vjp_closure_releases_its_tape_when_dropped():
    refs = []

    def f(x):
        y = np.exp(x)  # exp's rule reads its output, so the tape keeps it
        refs.append(weakref.ref(y._value))
        return np.sum(y)

    vjp, _ = make_vjp(f)(numpy.ones(3))
    assert refs[0]() is not None
    del vjp
    assert refs[0]() is None


def test_tape_keeps_only_what_rules_read():
    # tanh's rule reads only its output and multiply's only its arguments, so the
    # products x * 1.5 are freed during the forward pass: one array per step remains.
    products = []

    def f(x):
        for _ in range(5):
            p = x * 1.5
            products.append(weakref.ref(p._value))
            x = np.tanh(p)
        return np.sum(x)

    vjp, _ = make_vjp(f)(numpy.ones(4))
    assert all(r() is None for r in products)
    numpy.testing.assert_allclose(vjp(1.0), grad(f)(numpy.ones(4)))


# -- Python floats stay floats (float_fun) ---------------------------------------------


def test_traced_python_floats_stay_floats():
    seen = []

    def f(x):
        y = np.sin(x) * np.exp(x) / np.sqrt(x + 1.0)
        seen.append(type(getval(y)))
        return y

    g = grad(f)(0.7)
    assert seen == [float]
    assert type(g) is float
    expected = (numpy.cos(0.7) * numpy.exp(0.7) + numpy.sin(0.7) * numpy.exp(0.7)) / numpy.sqrt(1.7) - (
        numpy.sin(0.7) * numpy.exp(0.7) * 0.5 * 1.7**-1.5
    )
    assert g == pytest.approx(expected, rel=1e-12)


def test_the_gradient_with_respect_to_a_python_number_is_one_whatever_the_rules_return():
    # NumPy rules give NumPy scalars: the sum of an array times b, the sign in abs.
    x = numpy.arange(3.0)
    assert type(grad(lambda b: np.sum(x * b))(0.5)) is float
    assert grad(lambda b: abs(b))(-2.0) == -1.0 and type(grad(lambda b: abs(b))(-2.0)) is float
    g = grad(lambda p: np.sum(p["w"] * x) * p["b"] + p["c"][0] ** 2)({"w": x, "b": 0.5, "c": [3.0]})
    assert type(g["w"]) is numpy.ndarray and type(g["b"]) is float and type(g["c"][0]) is float
    assert g["b"] == 5.0 and g["c"][0] == 6.0
    assert [type(v) for v in grad(lambda p: np.sum(p[0] * x))([1.0, 2.0])] == [float, float]  # unused: 0.0
    assert type(grad(grad(lambda b: np.sum(x * b**3)))(1.0)) is float
    z = grad(lambda z: np.abs(z) ** 2)(1.0 + 2.0j)
    assert type(z) is complex and z == 2.0 - 4.0j
    assert type(grad(lambda b: np.sum(x * b))(numpy.float64(0.5))) is numpy.float64  # a NumPy scalar's is one

    @primitive
    def double(b):
        return 2.0 * b

    defvjp(double, lambda ans, b: lambda g: numpy.asarray(2.0 * g))  # a rule giving a 0-d array
    assert type(grad(double)(1.5)) is float
    assert [type(v) for v in grad(lambda p: double(p[0]) + np.sum(p[1]))([1.5, x])] == [float, numpy.ndarray]


def test_untraced_calls_keep_numpy_semantics():
    assert type(np.sin(0.5)) is numpy.float64  # float_fun is for traced values only


@pytest.mark.parametrize(
    "fun, x, expected",
    [
        (np.log, -1.0, float("nan")),  # math.log raises ValueError; NumPy returns nan
        (np.sqrt, -4.0, float("nan")),
        (np.exp, 1000.0, float("inf")),  # math.exp raises OverflowError; NumPy returns inf
        (np.sin, float("inf"), float("nan")),
    ],
)
def test_float_fun_falls_back_to_numpy_where_math_raises(fun, x, expected):
    with numpy.errstate(all="ignore"):
        vjp, ans = make_vjp_unary(fun, x)
        numpy.testing.assert_equal(ans, expected)
        # The same derivative as NumPy's path, taken at a NumPy scalar (no float_fun there).
        numpy.testing.assert_equal(grad(fun)(x), grad(fun)(numpy.float64(x)))


# -- derivatives of derivatives: values of lower levels under boxes ----------------------


def test_inner_gradient_closing_over_an_outer_traced_value():
    # d/dx [ d/dy (x**2 * sin(y)) at y=0.5 ] = 2x cos(0.5): the inner trace mixes levels.
    def outer(x):
        return grad(lambda y: x * x * np.sin(y))(0.5)

    assert grad(outer)(3.0) == pytest.approx(2 * 3.0 * numpy.cos(0.5), rel=1e-12)


def test_nested_gradient_over_a_list_of_arrays():
    # The Hessian-vector product of f(p) = sum(a * b**2) for p = [a, b], through two levels.
    a, b = numpy.array([0.3, -1.2]), numpy.array([0.7, 2.0])
    va, vb = numpy.array([1.0, 0.5]), numpy.array([-0.4, 2.0])

    def f(p):
        return np.sum(p[0] * p[1] ** 2)

    def dot_grad(p):
        ga, gb = grad(f)(p)
        return np.sum(ga * va) + np.sum(gb * vb)

    ha, hb = grad(dot_grad)([a, b])
    numpy.testing.assert_allclose(ha, 2 * b * vb, rtol=1e-12)
    numpy.testing.assert_allclose(hb, 2 * b * va + 2 * a * vb, rtol=1e-12)


@pytest.mark.parametrize("saves", [("shapes",), ("ans",), (), ("ans", "args")])
def test_rules_receive_what_the_primitive_saves(saves):
    # "shapes" shrinks a float NumPy array to its Meta and keeps everything else as it is:
    # integers, a dtype given as a class, an ndarray subclass (its rules may read the mask).
    from plugrad import Primitive
    from plugrad.box import Meta

    seen = {}

    def vjp(g, ans, x, dtype, n, m):
        seen.update(ans=ans, x=x, dtype=dtype, n=n, m=m)
        return g * 2.0

    prim = Primitive("test.double", lambda x, dtype, n, m: (x * 2.0).astype(dtype), saves=saves)
    prim.def_vjp(vjp)
    x = numpy.arange(3.0)
    mask = numpy.ma.masked_array(numpy.ones(3), mask=[0, 1, 0])
    numpy.testing.assert_array_equal(grad(lambda v: np.sum(prim(v, numpy.float64, 2, mask)))(x), [2.0, 2.0, 2.0])
    if "args" in saves:
        assert seen["x"] is not None and type(seen["x"]) is numpy.ndarray
    elif "shapes" in saves:
        assert type(seen["x"]) is Meta and seen["x"].shape == (3,) and seen["x"].dtype == numpy.float64
    else:
        assert seen["x"] is None
    if "shapes" in saves or "args" in saves:
        assert seen["dtype"] is numpy.float64 and seen["n"] == 2 and seen["m"] is mask
    assert (seen["ans"] is not None) == ("ans" in saves)


@pytest.mark.parametrize("traced", [(0,), (1,), (0, 1)])
@pytest.mark.parametrize("layout", ["two arguments", "general"])
def test_saves_others_keeps_the_value_of_an_argument_only_for_another_ones_rule(traced, layout):
    # A product's rule for x reads y and the shape of x: with y a constant, x shrinks to its
    # Meta; with both traced, both stay, as each rule reads the other.
    from plugrad import Primitive
    from plugrad.box import Meta

    seen = {}

    def rule(i):
        def vjp(g, ans, x, y, *rest, **kwargs):
            seen[i] = (x, y)
            return g * (y if i == 0 else x)

        return vjp

    if layout == "two arguments":
        prim = Primitive("test.product", lambda x, y: x * y, saves=("others",))
        call = prim
    else:  # a keyword argument sends it down the general path
        prim = Primitive("test.product", lambda x, y, scale=1.0: x * y * scale, saves=("others",))

        def call(x, y):
            return prim(x, y, scale=1.0)

    prim.def_vjp(rule(0), rule(1))
    a, b = numpy.arange(1.0, 4.0), numpy.arange(4.0, 7.0)

    def f(args):
        xy = [a, b]  # the constants, with the traced arguments put in their places
        for i, v in zip(traced, args):
            xy[i] = v
        return np.sum(call(*xy))

    grads = grad(f)([(a, b)[i] for i in traced])
    expected = {0: b, 1: a}
    for k, i in enumerate(traced):
        numpy.testing.assert_array_equal(grads[k], expected[i])
        own, other = seen[i][i], seen[i][1 - i]
        assert type(other) is numpy.ndarray
        if len(traced) == 1:
            assert type(own) is Meta and own.shape == (3,) and own.dtype == numpy.float64
        else:
            assert type(own) is numpy.ndarray


def test_products_with_a_constant_free_their_traced_operand():
    # x * c and x @ A keep c and A, not the intermediate x: it is freed as soon as the
    # user's code drops it, and the gradient (first and second order) is unchanged.
    A = numpy.linspace(-1.0, 1.0, 16).reshape(4, 4)
    c = numpy.linspace(0.5, 2.0, 4)
    kept = []

    def f(x):
        for _ in range(3):
            p = np.sin(x)  # an intermediate only the products read
            kept.append(weakref.ref(getval(p)))
            x = (p * c) @ A
        return np.sum(x * x)

    vjp, _ = make_vjp(f)(numpy.ones(4))
    assert all(r() is None for r in kept)
    numpy.testing.assert_allclose(vjp(1.0), grad(f)(numpy.ones(4)))

    def plain(x):
        for _ in range(3):
            x = (numpy.sin(x) * c) @ A
        return x

    x0 = numpy.linspace(0.1, 0.4, 4)
    eps = 1e-6
    numeric = [(numpy.sum(plain(x0 + eps * e) ** 2) - numpy.sum(plain(x0 - eps * e) ** 2)) / (2 * eps) for e in numpy.eye(4)]
    numpy.testing.assert_allclose(grad(f)(x0), numeric, rtol=1e-6)
    check_grads(f, modes=["rev"], order=2)(x0)


def test_kernel_entry_points_trace_with_the_packs_boxes_in_a_fresh_interpreter():
    # reverse.make_vjp and forward.make_jvp (documented, and autograd.core's spelling) may be
    # the first derivative a program takes: the packs' box classes must be there for them
    # too, not only for the operators of plugrad.api.
    code = """
import numpy
from plugrad.reverse import make_vjp
from plugrad.forward import make_jvp
vjp, ans = make_vjp(lambda x: x * 2.0 + 1.0, numpy.ones(3))
assert (vjp(numpy.ones(3)) == 2.0).all() and (ans == 3.0).all()
vjp, ans = make_vjp(lambda x: x * x, 3.0)
assert vjp(1.0) == 6.0 and ans == 9.0
assert make_jvp(lambda x: x * 3.0, numpy.ones(2))(numpy.ones(2))[1].tolist() == [3.0, 3.0]
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_gradient_has_its_arguments_dtype_whatever_the_cotangents() -> None:
    x = numpy.linspace(0.1, 1.0, 4, dtype=numpy.float32)
    for f in (lambda x: x**2, np.sin, lambda x: x):
        vjp, out = plugrad.make_vjp(f)(x)
        assert out.dtype == numpy.float32 and vjp(numpy.ones(4)).dtype == numpy.float32  # a float64 cotangent
    vjp, _ = plugrad.make_vjp(lambda p: [p[0] * 2.0, p[1]])([x, x.astype(numpy.float64)])
    assert [g.dtype for g in vjp([numpy.ones(4), numpy.ones(4, numpy.float32)])] == [numpy.float32, numpy.float64]
    pair = collections.namedtuple("pair", "a b")
    vjp, _ = plugrad.make_vjp(lambda p: p.a * 2.0 + p.b)(pair(x, x))
    g = vjp(numpy.ones(4))
    assert type(g) is pair and (g.a.dtype, g.b.dtype) == (numpy.float32, numpy.float32)
    big_endian = numpy.ones(3, ">f8")  # the same precision: left in NumPy's native order
    assert plugrad.make_vjp(lambda x: x * 2.0)(big_endian)[0](numpy.ones(3)).dtype == numpy.float64
    for f in (lambda x: x, lambda x: x * 2.0, lambda x: x + x):  # rules that give a Python float
        assert type(plugrad.make_vjp(f)(numpy.float32(0.5))[0](1.0)) is numpy.float32


def test_the_gradient_of_a_numpy_scalar_is_a_numpy_scalar_of_its_dtype() -> None:
    for dtype in (numpy.float64, numpy.float32):
        for f in (np.mean, np.sum, lambda x: np.clip(x, 0.0, 1.0), lambda x: np.cumsum(x)[0]):
            g = plugrad.grad(f)(dtype(0.5))
            assert type(g) is dtype and g == 1.0


def test_a_pair_rule_serves_two_traced_arguments_in_one_call() -> None:
    from plugrad import Primitive

    calls = []

    def pair(g, ans, x, y):
        calls.append("pair")
        return g * y, g * x

    prod = Primitive("demo.prod", numpy.multiply)
    prod.def_vjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x).def_vjp_pair(pair)
    x, y = numpy.array([1.0, 2.0]), numpy.array([3.0, 4.0])
    gx, gy = grad(lambda a, b: np.sum(prod(a, b)), (0, 1))(x, y)
    assert calls == ["pair"] and numpy.array_equal(gx, y) and numpy.array_equal(gy, x)
    calls.clear()  # one argument traced: its own rule
    assert numpy.array_equal(grad(lambda a: np.sum(prod(a, y)))(x), y) and not calls
    # one value for both, and a value read by three pairs: the cotangents add up, the one
    # the pass owns in place (as a weight read at each step of a loop)
    assert numpy.array_equal(grad(lambda a: np.sum(prod(a, a)))(x), 2 * x)

    def loop(w, h):
        for _ in range(3):
            h = prod(h, w)
        return np.sum(h)

    assert numpy.allclose(grad(loop)(x, y), 3 * x**2 * y) and calls.count("pair") == 3
    assert prod.alias("demo.prod2", numpy.multiply).vjp_pair is pair  # aliases share it
    prod.def_vjp(lambda g, ans, x, y: g * y, argnums=(0,))  # new rules drop the old pair
    assert prod.vjp_pair is None
    prod.def_vjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    both = lambda a, b: np.sum(prod(a, b))  # noqa: E731
    prod.def_vjp_pair(lambda g, ans, x, y: (g * y, None))  # a forgotten cotangent is an error
    with pytest.raises(TypeError, match=r"the VJP pair rule \(def_vjp_pair\) of demo.prod for argument 1 .* returned None"):
        grad(both, (0, 1))(x, y)
    prod.def_vjp_pair(lambda g, ans, x, y: None)
    with pytest.raises(TypeError, match=r"returned None; it must return a tuple of two, .*missing return"):
        grad(both, (0, 1))(x, y)
    prod.def_vjp_pair(lambda g, ans, x, y: numpy.stack([g * y, g * x]))  # two rows would unpack
    with pytest.raises(TypeError, match=r"returned a value of type ndarray and shape \(2, 2\); it must return a tuple of two"):
        grad(both, (0, 1))(x, y)
    prod.def_vjp_pair(lambda g, ans, x, y: (g * y, g * x, g))
    with pytest.raises(TypeError, match=r"returned a tuple of 3; it must return a tuple of two"):
        grad(both, (0, 1))(x, y)
    named = collections.namedtuple("named", "x y")
    prod.def_vjp_pair(lambda g, ans, x, y: named(g * y, g * x))  # a named tuple is a tuple
    assert numpy.array_equal(grad(both, (0, 1))(x, y)[1], x)
    wrong = lambda g, ans, x, y: (g * y * 2, g * x)  # noqa: E731
    prod.def_vjp_pair(wrong)  # debug mode runs the pair too, as a normal pass does
    with plugrad.detect_anomaly():
        assert numpy.array_equal(grad(both, (0, 1))(x, y)[0], 2 * y)
    prod.def_vjp_pair(lambda g, ans, x, y: (g * y, numpy.stack([g, g])))  # and names it in its errors
    with plugrad.detect_anomaly(), pytest.raises(plugrad.debug.AnomalyError, match=r"VJP pair rule \(def_vjp_pair\) for argument 1"):
        grad(both, (0, 1))(x, y)
    prod.def_vjp_argnum(lambda argnum, g, ans, x, y: g * (y if argnum == 0 else x))
    assert prod.vjp_pair is None  # a rule for every argument drops the pair too
    half = Primitive("demo.half", numpy.multiply).def_vjp(lambda g, ans, x, y: g * y)
    with pytest.raises(ValueError, match=r"demo.half.def_vjp_pair: argument 1 .* has no VJP rule of its own"):
        half.def_vjp_pair(pair)
    with pytest.raises(TypeError, match=r"demo.half.def_vjp_pair: the rule is 42, which is not callable"):
        half.def_vjp_pair(42)
    three = Primitive("demo.three", lambda x, y, z: x * y * z).def_vjp(*[lambda g, ans, x, y, z: g] * 3)
    with pytest.raises(ValueError, match=r"demo.three.def_vjp_pair: a pair rule serves a function of two arguments"):
        three.def_vjp_pair(pair)
    prod.def_vjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    prod.def_vjp_pair(lambda g, ans, x: (g, g))  # a pair rule that fails is named in a note
    with pytest.raises(TypeError) as caught:
        grad(lambda a, b: np.sum(prod(a, b)), (0, 1))(x, y)
    assert "demo.prod" in "".join(getattr(caught.value, "__notes__", []))


class _Coeffs:
    """A pack's value type (not an array): coefficients, whose vector space has their shape."""

    def __init__(self, c: object) -> None:
        self.c = numpy.asarray(c)


def test_a_cotangent_of_a_packs_type_is_checked_in_its_vector_space(named_types: object) -> None:
    # NumPy would broadcast a Coeffs of 1 coefficient over 3 silently, and refuse 2 in its own words.
    from plugrad import Box, Primitive
    from plugrad.box import register_box_type
    from plugrad.vspace import ArrayVSpace, register_vspace

    class CoeffsVSpace(ArrayVSpace):
        def __init__(self, value: _Coeffs) -> None:
            super().__init__(value.c)

    class CoeffsBox(Box):
        __slots__ = ()

    register_vspace(_Coeffs, CoeffsVSpace)
    register_box_type(_Coeffs, CoeffsBox)
    scale = Primitive("test.scale", lambda a, p: _Coeffs(a * p.c))
    scale.def_vjp(lambda g, ans, a, p: float(numpy.sum(g.c * p.c)))
    scale.def_jvp(lambda t, ans, a, p: _Coeffs(t * p.c), lambda t, ans, a, p: _Coeffs(a * t.c))
    p = _Coeffs([1.0, 2.0, 3.0])
    vjp, _ = plugrad.make_vjp(lambda a: scale(a, p))(2.0)
    assert vjp(_Coeffs([1.0, 1.0, 1.0])) == 6.0
    space = r"CoeffsVSpace\(shape=\(3,\), dtype=float64\)"
    for wrong, given in [
        (_Coeffs([1.0]), r"a _Coeffs in CoeffsVSpace\(shape=\(1,\), dtype=float64\)"),
        (_Coeffs([1.0, 1.0]), r"a _Coeffs in CoeffsVSpace\(shape=\(2,\), dtype=float64\)"),
        (_Coeffs([1j, 1j, 1j]), r"a _Coeffs in CoeffsVSpace\(shape=\(3,\), dtype=complex128\)"),
        # another precision: a space is its own judge (NumPy's arrays, and Dask's, may differ)
        (_Coeffs(numpy.ones(3, numpy.float32)), r"a _Coeffs in CoeffsVSpace\(shape=\(3,\), dtype=float32\)"),
        (numpy.ones(3), r"an ndarray in ArrayVSpace\(shape=\(3,\), dtype=float64\)"),
        ("x", "a str, which has no vector space"),
        # numbers, whose shape () NumPy also gives a value without one, and None (no zero here)
        (1.0, r"a float in ScalarVSpace\(shape=\(\), dtype=float64\)"),
        (1, r"an int, which has no vector space"),
        (numpy.float32(1.0), r"a float32 in ArrayVSpace\(shape=\(\), dtype=float32\)"),
        (numpy.array(1.0), r"an ndarray in ArrayVSpace\(shape=\(\), dtype=float64\)"),
        (None, "None"),
    ]:
        with pytest.raises(ValueError, match=rf"the cotangent given to vjp is {given}, but the function's output is a _Coeffs in {space}: give vjp a cotangent in that space"):
            vjp(wrong)
    jvp = plugrad.make_jvp(lambda q: scale(2.0, q))(p)  # a tangent, the same
    assert jvp(_Coeffs([1.0, 0.0, 0.0]))[1].c.tolist() == [2.0, 0.0, 0.0]
    with pytest.raises(ValueError, match=rf"the tangent given to jvp is a _Coeffs in CoeffsVSpace\(shape=\(1,\), dtype=float64\), but the argument is a _Coeffs in {space}"):
        jvp(_Coeffs([1.0]))


class _Poly:
    def __init__(self, c: list[float]) -> None:
        self.c = list(c)


def test_a_cotangent_of_a_space_that_sets_its_size_is_checked_by_its_size(named_types: object) -> None:
    # A space of no shape whose size is its number of coefficients: equal by shape and dtype,
    # a cotangent of 1 coefficient for 3 would be broadcast by the rule into a wrong number.
    from plugrad import Box, Primitive, VSpace
    from plugrad.box import register_box_type
    from plugrad.vspace import register_vspace

    class PolySpace(VSpace):
        def __init__(self, p: _Poly) -> None:
            self.size = len(p.c)

        def zeros(self) -> _Poly:
            return _Poly([0.0] * self.size)

    class PolyBox(Box):
        __slots__ = ()

    register_vspace(_Poly, PolySpace)
    register_box_type(_Poly, PolyBox)
    times = Primitive("test.times", lambda a, p: _Poly([a * c for c in p.c]))
    times.def_vjp(lambda g, ans, a, p: float(numpy.dot(numpy.broadcast_to(g.c, len(p.c)), p.c)))
    vjp, _ = plugrad.make_vjp(lambda a: times(a, _Poly([1.0, 2.0, 3.0])))(2.0)
    assert vjp(_Poly([1.0, 1.0, 1.0])) == 6.0
    with pytest.raises(ValueError, match=r"the cotangent given to vjp is a _Poly in PolySpace.*, but the function's output is a _Poly"):
        vjp(_Poly([1.0]))


class _Shaped:
    """A pack's value with a shape and a dtype that does not convert to a NumPy array."""

    def __init__(self, c: object) -> None:
        self.c = numpy.asarray(c, float)
        self.shape, self.dtype = self.c.shape, self.c.dtype


def test_a_rules_cotangent_for_a_packs_type_is_judged_by_its_spaces_own_equality(named_types: object) -> None:
    # A space equal by its own _key (its fields' shapes): a rule's cotangent of the right size
    # but another layout, or a NumPy array for a type that is not one, is not the gradient.
    from plugrad import Box, Primitive, VSpace, grad
    from plugrad.box import register_box_type
    from plugrad.vspace import register_vspace

    class ShapedSpace(VSpace):
        def __init__(self, value: _Shaped) -> None:
            self.shape, self.dtype = value.shape, value.dtype

        def zeros(self) -> _Shaped:
            return _Shaped(numpy.zeros(self.shape))

    class ShapedBox(Box):
        __slots__ = ()

    register_vspace(_Shaped, ShapedSpace)
    register_box_type(_Shaped, ShapedBox)
    total = Primitive("test.shaped_total", lambda x: float(numpy.sum(x.c)))
    total.def_vjp(lambda g, ans, x: _Shaped(numpy.full(x.shape, g)))
    assert grad(total)(_Shaped([[1.0, 2.0], [3.0, 4.0]])).c.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    for wrong in (lambda g, ans, x: _Shaped(numpy.full(4, g)), lambda g, ans, x: numpy.full(x.shape, g)):
        total.def_vjp(wrong)
        with pytest.raises(ValueError, match=r"the derivative computed for an argument of type _Shaped .* a VJP rule returned a cotangent of the wrong kind"):
            grad(total)(_Shaped([[1.0, 2.0], [3.0, 4.0]]))


def test_an_array_given_for_a_list_argument_or_output_is_taken_as_its_elements() -> None:
    assert plugrad.make_jvp(lambda p: p[0] * p[1])([1.0, 2.0])(numpy.array([1.0, 1.0]))[1] == 3.0
    assert plugrad.hessian_vector_product(lambda p: p[0] ** 2 * p[1])([1.0, 2.0], numpy.array([1.0, 0.0])) == [4.0, 2.0]
    assert plugrad.make_vjp(lambda x: (x[0], x[1]))(numpy.ones(2))[0](numpy.array([1.0, 2.0])).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"the cotangent given to vjp is an int, but the function's output is a list of 2: give vjp a cotangent of the same structure"):
        plugrad.make_vjp(lambda x: [x[0], x[1]])(numpy.ones(2))[0](1)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_a_cotangent_of_another_kind_is_checked_by_its_shape_and_a_matrix_is_refused() -> None:
    # A NumPy matrix's * is a matrix product, which the rules do not expect: a wrong gradient.
    y = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(NotDifferentiableError, match="numpy.matrix: its \\* and \\*\\* are matrix products"):
        plugrad.make_vjp(lambda a: a * a)(y)[0](numpy.matrix(numpy.eye(2)))
    # a list, or a traced value inside another derivative, of another shape: broadcast silently before
    with pytest.raises(ValueError, match=r"the tangent given to jvp has shape \(1,\) and type list, but the argument has shape \(3,\)"):
        plugrad.make_jvp(lambda x: x * x)(numpy.ones(3))([1.0])
    with pytest.raises(ValueError, match=r"the cotangent given to vjp has shape \(1,\) and dtype float64, but the function's output has shape \(3,\)"):
        grad(lambda x: np.sum(plugrad.make_vjp(lambda y: y * y)(numpy.ones(3))[0](x)))(numpy.ones(1))
    assert plugrad.make_vjp(lambda x: x * 2.0)(numpy.ones(3))[0]([1.0, 2.0, 3.0]).tolist() == [2.0, 4.0, 6.0]
    # a pack's value for a number or array output: NumPy's shape of it, (), matched a float's
    with pytest.raises(ValueError, match=r"the cotangent given to vjp is a _Q, but the function's output is a float: give vjp a NumPy array or number of its shape"):
        plugrad.make_vjp(lambda x: x**2)(1.5)[0](_Q(1.0))
    # a number for a dict or a ragged list: told their structure, not NumPy's or Python's error
    for out, structure in ((lambda x: {"a": x * 2.0, "b": x * 3.0}, "a dict with keys 'a', 'b'"), (lambda x: [x, np.sum(x)], "a list of 2")):
        with pytest.raises(ValueError, match=f"the cotangent given to vjp is an int, but the function's output is {structure}: give vjp a cotangent of the same structure"):
            plugrad.make_vjp(out)(numpy.ones(2))[0](1)


def test_a_list_or_integer_cotangent_or_tangent_is_read_as_a_float_array() -> None:
    # Read as NumPy reads it, not by list arithmetic (2 * [1.0, 2.0, 3.0] repeats the list),
    # and in the value's dtype (an integer cotangent gave an integer gradient).
    x = numpy.array([1.0, 2.0, 3.0])
    for f in (lambda x: x + 1.0, lambda x: x * 2, lambda x: 3 * x, lambda x: np.sin(x)):
        vjp = plugrad.make_vjp(f)(x)[0]
        expected = vjp(numpy.array([1.0, 2.0, 3.0]))
        for g in ([1.0, 2.0, 3.0], (1, 2, 3), numpy.array([1, 2, 3])):
            got = vjp(g)
            assert type(got) is numpy.ndarray and got.dtype == numpy.float64
            numpy.testing.assert_array_equal(got, expected)
        t = plugrad.make_jvp(f)(x)([1, 0, 0])[1]
        assert type(t) is numpy.ndarray and t.dtype == numpy.float64
        numpy.testing.assert_array_equal(t, plugrad.make_jvp(f)(x)(numpy.array([1.0, 0.0, 0.0]))[1])
    g32 = plugrad.make_vjp(lambda x: x * 2)(x.astype(numpy.float32))[0]([1, 2, 3])
    assert g32.dtype == numpy.float32 and g32.tolist() == [2.0, 4.0, 6.0]
    scalar = plugrad.make_vjp(lambda x: x * 2.0)(1.5)[0](1)
    assert type(scalar) is float and scalar == 2.0
    # element by element in a container output
    both = plugrad.make_vjp(lambda x: [x * 2.0, {"b": x}])(x)[0]([[1, 1, 1], {"b": [1.0, 1.0, 1.0]}])
    assert type(both) is numpy.ndarray and both.tolist() == [3.0, 3.0, 3.0]
    # a complex list for a real output is still refused, as a complex array is
    with pytest.raises(ValueError, match="real for a real value"):
        plugrad.make_vjp(lambda x: x * 2.0)(x)[0]([1j, 2, 3])


class _Q:
    def __init__(self, v: float) -> None:
        self.v = v


def test_a_packs_scalar_type_takes_any_real_number_as_its_cotangent(named_types: object) -> None:
    from plugrad import Box, Primitive
    from plugrad.box import register_box_type
    from plugrad.vspace import ScalarVSpace, register_vspace

    class QBox(Box):
        __slots__ = ()

    register_vspace(_Q, lambda q: ScalarVSpace(q.v))
    register_box_type(_Q, QBox)
    times = Primitive("test.q_times", lambda a, q: _Q(a * q.v))
    times.def_vjp(lambda g, ans, a, q: float(numpy.real(g)) * q.v)
    vjp, _ = plugrad.make_vjp(lambda a: times(a, _Q(3.0)))(2.0)
    for g in (1.0, 1, True, numpy.float32(1.0), numpy.array(1.0)):
        assert vjp(g) == 3.0
    with pytest.raises(ValueError, match="the cotangent given to vjp is a complex"):
        vjp(1j)
