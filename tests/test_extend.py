"""Custom primitives, written exactly as for autograd."""

from __future__ import annotations

from typing import Any

import numpy
import pytest

import plugrad.numpy as np
from plugrad import grad, hessian, make_jvp
from plugrad.extend import (
    Box,
    VSpace,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    notrace_primitive,
    primitive,
    vspace,
)
from plugrad.test_util import check_grads, check_jvp, check_vjp, combo_check


@primitive
def logsumexp(x):
    m = numpy.max(x)
    return m + numpy.log(numpy.sum(numpy.exp(x - m)))


def logsumexp_vjp(ans, x):
    return lambda g: g * np.exp(x - ans)


defvjp(logsumexp, logsumexp_vjp)
defjvp(logsumexp, lambda g, ans, x: np.sum(g * np.exp(x - ans)))


def test_custom_primitive_with_custom_vjp_like_autograd():
    x = numpy.array([0.5, 1.0, -2.0])
    expected = numpy.exp(x) / numpy.sum(numpy.exp(x))
    numpy.testing.assert_allclose(grad(logsumexp)(x), expected)
    check_grads(logsumexp, modes=["rev", "fwd"], order=2)(x)
    assert isinstance(logsumexp(x), float | numpy.floating)  # no tracing: the plain function


def test_defvjp_argnum_and_argnums_and_defjvp_argnum():
    @primitive
    def mul(x, y):
        return x * y

    defvjp_argnum(mul, lambda argnum, ans, args, kwargs: (lambda g: g * args[1 - argnum]))
    defjvp_argnum(mul, lambda argnum, g, ans, args, kwargs: g * args[1 - argnum])
    assert grad(mul, 1)(3.0, 4.0) == 3.0
    assert make_jvp(mul)(3.0, 4.0)(1.0)[1] == 4.0

    @primitive
    def add(x, y):
        return x + y

    defvjp_argnums(add, lambda argnums, ans, args, kwargs: (lambda g: tuple(g for _ in argnums)))
    assert grad(lambda x: add(x, x))(1.0) == 2.0


def test_argnums_makers_are_called_once_per_operation_with_every_traced_argument():
    # As in autograd: one call of the maker for all of an operation's traced arguments.
    seen = []

    @primitive
    def affine(a, x, b):
        return a * x + b

    def vjpmaker(argnums, ans, args, kwargs):
        seen.append(("vjp", argnums))
        a, x, b = args
        return lambda g: tuple({0: g * x, 1: g * a, 2: g}[i] for i in argnums)

    def jvpmaker(argnums, ts, ans, args, kwargs):
        seen.append(("jvp", argnums))
        a, x, b = args
        return sum({0: t * x, 1: t * a, 2: t}[i] for i, t in zip(argnums, ts))

    defvjp_argnums(affine, vjpmaker)
    defjvp_argnums(affine, jvpmaker)
    assert grad(affine, (0, 1, 2))(2.0, 3.0, 4.0) == (3.0, 2.0, 1.0)
    assert seen == [("vjp", (0, 1, 2))]
    del seen[:]
    assert grad(affine, 1)(2.0, 3.0, 4.0) == 2.0
    assert seen == [("vjp", (1,))]
    del seen[:]
    assert make_jvp(affine, (0, 2))(2.0, 3.0, 4.0)((1.0, 10.0))[1] == 13.0
    assert seen == [("jvp", (0, 2))]
    check_grads(affine, modes=["rev", "fwd"], order=2)(2.0, 3.0, 4.0)


def test_a_two_argument_argnums_maker_is_called_once_for_both_and_its_cotangents_fit_their_dtypes():
    calls = []

    @primitive
    def mul(a, b):
        return a * b

    def maker(argnums, ans, args, kwargs):
        calls.append(argnums)
        return lambda g: (g * args[1], g * args[0])  # both, whatever argnums says: as in autograd's examples

    defvjp_argnums(mul, maker)
    assert grad(lambda x: mul(x, x * 2))(3.0) == 12.0
    assert calls == [(0, 1)]
    with pytest.raises(TypeError, match=r"mul VJP maker \(defvjp_argnums\) returned tuple .* for arguments \(0,\): it must return a sequence of 1"):
        grad(lambda x: mul(x, 2.0))(3.0)  # autograd would take the first: wrong for argument 1

    @primitive
    def twice(a, b):
        return a * b

    defvjp_argnum(twice, lambda argnum, ans, args, kwargs: lambda g: g * args[1 - argnum] * (1 + 1j))
    with pytest.raises(TypeError, match="returned a complex cotangent .* for a real argument"):
        grad(lambda x: twice(x, 2.0))(3.0)
    defvjp_argnum(twice, lambda argnum, ans, args, kwargs: lambda g: (g * args[1 - argnum]).astype(numpy.float64))
    assert grad(lambda x: np.sum(twice(x, 2.0)))(numpy.ones(2, numpy.float32)).dtype == numpy.float32


def test_a_def_vjp_argnums_rule_returning_the_wrong_number_of_cotangents_is_named():
    from plugrad import Primitive

    def too_few(argnums, g, ans, *xs):
        return [g]

    both = Primitive("demo.both", lambda x, y, z: x + y + z).def_vjp_argnums(too_few)
    with pytest.raises(TypeError, match=r"def_vjp_argnums rule .*too_few returned list .* for arguments \(0, 2\): it must return a sequence of 2"):
        grad(lambda x: both(x, 1.0, x))(1.0)


def test_a_custom_rule_that_returns_none_is_named_not_read_as_zero():
    # A forgotten return would otherwise make a derivative silently zero.
    @primitive
    def sq(x):
        return x * x

    defvjp(sq, lambda ans, x: lambda g: None)
    with pytest.raises(TypeError, match=r"VJP of .*sq for argument 0 \(x\) returned None: .*missing return.*defvjp\(f, \.\.\., None\)"):
        grad(sq)(3.0)
    defjvp(sq, lambda t, ans, x: None)
    with pytest.raises(TypeError, match=r"JVP of .*sq for argument 0 \(x\) returned None"):
        make_jvp(lambda x: sq(x) + x)(3.0)(1.0)
    defvjp_argnum(sq, lambda argnum, ans, args, kwargs: lambda g: None)
    with pytest.raises(TypeError, match=r"VJP of .*sq for argument 0 \(x\) returned None"):
        grad(sq)(3.0)
    defjvp_argnums(sq, lambda argnums, ts, ans, args, kwargs: None)
    with pytest.raises(TypeError, match=r"JVP of .*sq for arguments \(0,\) returned None"):
        make_jvp(sq)(3.0)(1.0)
    defvjp(sq, None)  # a zero derivative, said so
    assert grad(lambda x: sq(x) + x)(3.0) == 1.0


def test_a_custom_cotangent_is_put_in_its_arguments_dtype_and_never_complex_for_a_real_one():
    @primitive
    def triple(x):
        return x * 3

    defvjp(triple, lambda ans, x: lambda g: (g * 3).astype(numpy.float32))
    g = grad(lambda x: np.sum(triple(x)))(numpy.ones(2))
    assert g.dtype == numpy.float64 and list(g) == [3.0, 3.0]
    defvjp(triple, lambda ans, x: lambda g: numpy.full(numpy.shape(g), 3))  # integers
    assert grad(lambda x: np.sum(triple(x)))(numpy.ones(2)).dtype == numpy.float64
    defvjp(triple, lambda ans, x: lambda g: g * (3 + 1j))
    for x in (2.0, numpy.ones(2)):
        with pytest.raises(TypeError, match=r"VJP of .*triple for argument 0 \(\w+\) returned a complex cotangent .* for a real argument"):
            grad(lambda x: np.sum(triple(x)))(x)
    assert grad(lambda z: np.real(triple(z)))(1.0 + 0j) == 3 + 1j  # a complex argument takes the rule's


def test_a_custom_cotangent_of_another_shape_is_refused_where_it_would_be_summed_silently():
    # A rule that forgets to sum over the axes its argument was broadcast along: the rules
    # before it (w * c unbroadcasts to w's shape) would have summed its extra rows.
    @primitive
    def double(x):
        return x * 2

    defvjp(double, lambda ans, x: lambda g: numpy.ones((2,) + numpy.shape(x)) * g * 2)
    c = numpy.full(3, 3.0)
    with pytest.raises(ValueError, match=r"VJP of .*double for argument 0 \(\w+\) returned a cotangent of shape \(2, 3\) for an argument of shape \(3,\)"):
        grad(lambda w: np.sum(double(w * c)))(numpy.ones(3))
    defvjp(double, lambda ans, x: lambda g: g * 2)
    assert list(grad(lambda w: np.sum(double(w * c)))(numpy.ones(3))) == [6.0, 6.0, 6.0]


def test_a_custom_cotangent_given_as_a_python_number_is_a_zero_or_a_scalars_and_nothing_else():
    # autograd's rules return 0.0 for a zero cotangent: zeros of the argument's shape, wherever
    # it is used. Any other number for an array would be broadcast where another use of the
    # argument adds its own cotangent, or handed back as the gradient (an int, unchecked).
    @primitive
    def double(x):
        return x * 2

    uses = (lambda x: np.sum(double(x)), lambda x: np.sum(double(x)) + np.sum(x**2))
    for zero in (0.0, 0):
        defvjp(double, lambda ans, x, zero=zero: lambda g: zero)
        assert [grad(f)(numpy.ones(2)).tolist() for f in uses] == [[0.0, 0.0], [2.0, 2.0]]
    for number in (2, 2.0):
        defvjp(double, lambda ans, x, number=number: lambda g: number)
        for f in uses:
            with pytest.raises(ValueError, match=r"VJP of .*double for argument 0 \(x\) returned a cotangent of shape \(\) for an argument of shape \(2,\)"):
                grad(f)(numpy.ones(2))
        assert type(grad(double)(1.0)) is float and grad(double)(1.0) == 2.0  # a scalar's, in its type
        assert type(grad(double)(numpy.float32(1.0))) is numpy.float32
    defvjp(double, lambda ans, x: lambda g: 2j)
    with pytest.raises(TypeError, match=r"returned a complex cotangent \(2j\) for a real argument"):
        grad(double)(1.0)

    @primitive
    def total(x):
        return float(numpy.sum(x))

    # The same whatever the number's type: a NumPy one (g * 0.0 where g is), a traced one in a
    # derivative of a derivative (where the zero stays traced).
    defvjp(total, lambda ans, x: lambda g: g * 0.0)
    assert grad(lambda x: total(x) + np.sum(x**2))(numpy.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert grad(lambda c: np.sum(grad(lambda x: c * total(x) + c * np.sum(x**2))(numpy.ones(3))))(2.0) == 6.0
    defvjp(total, lambda ans, x: lambda g: g)  # (should be g * ones: a scalar for an array)
    for f in (
        lambda: grad(lambda c: np.sum(grad(lambda x: c * total(x))(numpy.ones(3))))(2.0),
        lambda: grad(lambda x: total(x) + np.sum(x**2))(numpy.ones(3)),
    ):
        with pytest.raises(ValueError, match=r"VJP of .*total for argument 0 \(x\) returned a cotangent of shape \(\)"):
            f()


def test_def_linear_and_notrace():
    @primitive
    def double(x):
        return 2 * x

    def_linear(double)
    defvjp(double, lambda ans, x: lambda g: double(g))
    assert make_jvp(double)(1.0)(3.0)[1] == 6.0
    assert hessian(lambda x: double(x) ** 2)(numpy.ones(1))[0, 0] == pytest.approx(8.0)

    calls = []

    @notrace_primitive
    def record(x):
        calls.append(type(x))
        return 0.0

    grad(lambda x: x * record(x))(2.0)
    assert calls == [float]


def test_combo_check_runs_every_combination():
    combo_check(lambda x, axis: np.sum(np.sin(x), axis=axis), [0], modes=["rev"], order=1)(
        [numpy.ones((2, 3)), numpy.zeros((2, 3))], axis=[0, 1]
    )


def test_extension_names_are_exported():
    assert issubclass(VSpace, object) and Box is not None
    assert vspace(1.0).size == 1


def test_check_grads_catches_a_wrong_vjp():
    @primitive
    def bad_sin(x):
        return numpy.sin(x)

    defvjp(bad_sin, lambda ans, x: lambda g: -g * np.cos(x))
    with pytest.raises(AssertionError, match="reverse mode"):
        check_grads(bad_sin, modes=["rev"])(0.3)


def test_check_vjp_and_check_jvp_check_one_mode_each():
    # autograd's test_util.check_vjp(f, x) and check_jvp(f, x): first order, one mode.
    @primitive
    def cube(x):
        return x**3

    defvjp(cube, lambda ans, x: lambda g: g * 3 * x**2)
    defjvp(cube, lambda t, ans, x: t * 2 * x**2)  # wrong: caught by check_jvp alone
    check_vjp(cube, numpy.linspace(0.5, 1.5, 4))
    with pytest.raises(AssertionError, match="forward mode vs finite differences"):
        check_jvp(cube, numpy.linspace(0.5, 1.5, 4))
    check_jvp(np.sin, 0.3)
    defvjp(cube, lambda ans, x: lambda g: g * 2 * x**2)
    with pytest.raises(AssertionError, match="reverse mode vs finite differences"):
        check_vjp(cube, 0.7)


def test_primitive_taking_a_dict_of_traced_values():
    # A dict the function builds from traced values, or the parameters it was given, reaches
    # an extend.primitive as one traced container, and its VJP returns a dict.
    @primitive
    def weighted(d):  # plain NumPy inside: it must receive plain values, not traced ones
        a, b = numpy.asarray(d["a"]), numpy.asarray(d["b"])
        return numpy.sum(a * 2.0) + numpy.sum(b**2)

    defvjp(weighted, lambda ans, d: lambda g: {"a": g * 2.0 * numpy.ones_like(d["a"]), "b": g * 2 * d["b"]})
    params = {"a": numpy.ones(3), "b": numpy.array([1.0, 2.0])}
    g = grad(lambda p: weighted(p) * 3.0)(params)
    numpy.testing.assert_allclose(g["a"], [6.0, 6.0, 6.0])
    numpy.testing.assert_allclose(g["b"], [6.0, 12.0])
    ga, gb = grad(lambda a, b: weighted({"a": a, "b": b}), (0, 1))(numpy.ones(2), numpy.ones(2))
    numpy.testing.assert_allclose(ga, [2.0, 2.0])
    numpy.testing.assert_allclose(gb, [2.0, 2.0])


def test_rules_set_on_a_primitive_reach_the_primitives_aliased_from_it():
    from plugrad import NotDifferentiableError, Primitive

    twice = Primitive("test.twice", lambda x: 2.0 * x)
    alias = twice.alias("test.twice_again", lambda x: x + x)
    with pytest.raises(NotDifferentiableError, match=r"test.twice_again has no VJP for argument 0"):
        grad(alias)(1.0)
    twice.def_vjp(lambda g, ans, x: 2.0 * g)
    assert grad(alias)(1.0) == 2.0
    alias.def_vjp(lambda g, ans, x: 2.5 * g)  # a replaced rule reaches the other one too
    assert grad(twice)(1.0) == 2.5
    assert grad(alias)(1.0) == 2.5


def test_the_last_definition_wins_as_in_autograd():
    @primitive
    def cube(x):
        return x**3

    defvjp(cube, lambda ans, x: lambda g: g * x)  # wrong
    defvjp_argnum(cube, lambda argnum, ans, args, kwargs: lambda g: g * 3 * args[0] ** 2)
    assert grad(cube)(2.0) == 12.0
    defjvp(cube, lambda t, ans, x: t * x)  # wrong
    defjvp_argnum(cube, lambda argnum, t, ans, args, kwargs: t * 3 * args[0] ** 2)
    assert make_jvp(cube)(2.0)(1.0)[1] == 12.0

    @primitive
    def double(x):
        return 2 * x

    defjvp(double, lambda t, ans, x: 3 * t)  # wrong
    def_linear(double)
    assert make_jvp(double)(1.0)(1.0)[1] == 2.0


def test_argnum_rules_reach_a_primitives_aliases_and_none_works_on_shape_only_tapes():
    import plugrad.numpy as pnp
    from plugrad_numpy.binary import multiply

    saved = (list(multiply.vjps), list(multiply.jvps), multiply.vjp_argnum, multiply.jvp_argnum, multiply.keep_args)
    try:
        # autograd's * is np.multiply: a rule set for np.multiply reaches x * 3.0 (operator.mul here)
        defvjp_argnum(multiply, lambda argnum, ans, args, kwargs: lambda g: g * args[1 - argnum])
        defjvp_argnum(multiply, lambda argnum, t, ans, args, kwargs: t * args[1 - argnum])
        assert grad(lambda x: x * 3.0)(2.0) == 3.0 and make_jvp(lambda x: x * 3.0)(2.0)(1.0)[1] == 3.0
        defvjp(multiply, lambda ans, x, y: lambda g: g * y, None)  # multiply's tape keeps only shapes
        numpy.testing.assert_array_equal(grad(lambda y: pnp.sum(pnp.multiply(numpy.ones(2), y)))(numpy.ones(2)), [0.0, 0.0])
    finally:
        multiply.vjps[:], multiply.jvps[:] = saved[0], saved[1]
        for prim in multiply._family:
            prim.vjp_argnum, prim.jvp_argnum = saved[2], saved[3]
            prim.keep_args = saved[4]
        multiply.def_vjp()
    assert grad(lambda x: x * 3.0)(2.0) == 3.0


def test_a_container_of_traced_values_beside_a_traced_argument_is_traced_too():
    # The container is one traced argument whether or not another argument is traced
    # (autograd passes it through untraced, and the gradient of its elements is lost).
    @primitive
    def shifted(x, ab):
        return x * ab[0] + ab[1]

    defvjp(
        shifted,
        lambda ans, x, ab: lambda g: g * ab[0],
        lambda ans, x, ab: lambda g: (g * x, g),
    )
    assert grad(lambda p: shifted(p[0], (p[1], p[2])))([2.0, 3.0, 5.0]) == [3.0, 2.0, 1.0]
    assert grad(lambda p: shifted(p[0], [p[1], 1.0]))([2.0, 3.0]) == [3.0, 2.0]
    assert grad(lambda p: np.interp(p[2], np.array([1.0, 2.0]), [p[0], p[1]]))([2.0, 3.0, 1.5]) == [0.5, 0.5, 1.0]


def test_primitive_takes_the_name_a_pack_publishes_it_under() -> None:
    from plugrad import Registry, hookimpl
    from plugrad.extend import notrace_primitive

    @primitive(name="mylib.cube")
    def cube(x):
        return x**3

    defvjp(cube, lambda ans, x: lambda g: 3 * x * x * g)

    @notrace_primitive(name="mylib.count")
    def count(x):
        return 3

    class Pack:
        @hookimpl
        def plugrad_namespaces(self):
            return ["mylib"]

        @hookimpl
        def plugrad_primitives(self, namespace):
            return [cube, count]

    registry = Registry()
    registry.register_pack(Pack(), "mylib")
    assert sorted(registry.names("mylib")) == ["count", "cube"] and cube.__name__ == "cube"
    assert grad(registry.lookup("mylib.cube"))(2.0) == 12.0
    with pytest.raises(TypeError, match=r"give its name as a keyword: @primitive\(name='mylib.sq'\)"):
        primitive("mylib.sq")
    with pytest.raises(TypeError, match="takes a qualified name such as"):
        primitive(name=3)


def test_rules_written_for_autograd_receive_numpy_scalars_not_python_floats() -> None:
    # plugrad keeps a Python float a float; autograd hands its rules NumPy's float64, whose
    # array methods such rules call (g.reshape, g[..., None], t.conj()).
    @primitive
    def double(x: Any) -> Any:
        return x * 2.0

    defvjp(double, lambda ans, x: lambda g: g.reshape(numpy.shape(x)) * 2)
    defjvp(double, lambda t, ans, x: t.conj() * 2)

    @primitive
    def square_norm(x: Any) -> Any:
        return float(numpy.sum(x**2))

    defvjp(square_norm, lambda ans, x: lambda g: g[..., None] * 2 * x)
    assert grad(double)(2.0) == 2.0 and type(grad(double)(2.0)) is float
    assert grad(lambda x: double(x**2))(2.0) == 8.0
    assert make_jvp(double, 0)(2.0)(1.0) == (4.0, 2.0)
    assert grad(square_norm)(numpy.ones(2)).tolist() == [2.0, 2.0]


def test_a_vjp_maker_missing_the_primitives_keyword_arguments_is_told_to_take_them() -> None:
    @primitive
    def total(x, axis=0):  # type: ignore[no-untyped-def]
        return numpy.sum(x, axis=axis)

    defvjp(total, lambda ans, x: lambda g: numpy.ones_like(x) * g)
    with pytest.raises(TypeError, match=r"defvjp for .*total: the rule for argument 0 does not take the keyword argument\(s\) axis .*\(lambda ans, x, axis=\.\.\.: lambda g: \.\.\.\)"):
        grad(lambda x: np.sum(total(x, axis=1)))(numpy.ones((2, 2)))
    defvjp(total, lambda ans, x, axis=0: lambda g: numpy.ones_like(x) * numpy.expand_dims(g, axis))
    assert grad(lambda x: np.sum(total(x, axis=1)))(numpy.ones((2, 2))).tolist() == [[1.0, 1.0], [1.0, 1.0]]
