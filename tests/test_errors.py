"""Mistakes a user can make get an error that names the function and says what to do."""

from __future__ import annotations

import re

import numpy
import pytest

import plugrad
import plugrad.debug
import plugrad.numpy as np
from plugrad import (
    ArgumentError,
    NotDifferentiableError,
    Primitive,
    TraceError,
    deriv,
    elementwise_grad,
    grad,
    holomorphic_grad,
    jacobian,
    make_jvp,
    make_vjp,
    value_and_grad,
)
from plugrad.extend import defvjp, primitive


def test_grad_of_non_scalar_output_points_to_elementwise_grad_and_jacobian():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(3,\).*elementwise_grad.*jacobian"):
        grad(lambda x: x * 2)(numpy.ones(3))


def test_grad_of_a_container_output_asks_for_the_value_itself():
    # autograd returns zeros here ("Output seems independent of input"). A dict of one
    # entry was once taken for a scalar, whatever the entry: {"a": x * ones(2)} summed.
    with pytest.raises(TypeError, match=r"scalar output.*returned a list: return the value to differentiate itself"):
        grad(lambda x: [x * 2.0])(1.5)
    with pytest.raises(TypeError, match=r"returned a tuple"):
        grad(lambda x: (x * 2.0,))(numpy.ones(1))
    for output in (lambda x: {"a": x * 2.0}, lambda x: {"a": x * numpy.ones(2)}, lambda x: {"a": x, "b": x**2}):
        with pytest.raises(TypeError, match=r"returned a dict: return the value to differentiate itself"):
            grad(output)(1.5)
        with pytest.raises(TypeError, match=r"returned a dict"):
            value_and_grad(output)(1.5)


def test_grad_of_complex_output_points_to_holomorphic_grad():
    with pytest.raises(TypeError, match="holomorphic_grad"):
        grad(lambda z: z * 2)(1.0 + 1.0j)


@pytest.mark.parametrize(
    "value, hint",
    [(3, "Integers have no derivative"), (True, "Booleans"), (numpy.arange(3), "Integers"), ("a", "floats")],
)
def test_differentiating_with_respect_to_a_non_float(value, hint):
    with pytest.raises(NotDifferentiableError, match=hint):
        grad(lambda x: x)(value)


def test_argnum_out_of_range():
    with pytest.raises(TypeError, match=r"argnum=2.*2 positional argument"):
        grad(lambda x, y: x * y, argnum=2)(1.0, 2.0)
    with pytest.raises(IndexError):  # what autograd raised, for code that catches it
        grad(lambda x, y: x * y, argnum=2)(1.0, 2.0)
    with pytest.raises(TypeError, match=r"argnum=None\): argnum must be an int or a tuple of ints"):
        grad(lambda x, y: x * y, argnum=None)(1.0, 2.0)


def test_an_ndarray_attribute_no_pack_differentiates_says_what_to_write():
    for attr, instead in (("flat", r"np\.ravel\(x\)"), ("view", "x itself"), ("tobytes", r"plugrad\.box\.getval\(x\)\.tobytes")):
        with pytest.raises(AttributeError, match=rf"^ndarray\.{attr} is not differentiable: .*\. Instead: {instead}"):
            grad(lambda x: getattr(x, attr))(numpy.ones(2))


def test_a_loss_returned_with_other_values_points_to_grad_and_aux():
    with pytest.raises(TypeError, match=r"returned a tuple: return the value to differentiate itself, not a tuple holding it \(to return other values beside it, use grad_and_aux"):
        grad(lambda x: (np.sum(x * x), x))(numpy.ones(2))
    with pytest.raises(TypeError, match=r"returned a dict: return the value to differentiate itself, not a dict holding it\.$"):
        value_and_grad(lambda x: {"loss": np.sum(x * x)})(numpy.ones(2))


def test_an_empty_argnum_names_no_argument():
    with pytest.raises(ArgumentError, match=r"argnum=\(\)\) names no argument"):
        grad(lambda x, y: x * y, argnum=())(1.0, 2.0)


def test_a_point_given_as_argnum_is_told_to_call_the_operators_result():
    # grad(f, x)(x), for grad(f)(x): x lands in argnum
    with pytest.raises(TypeError, match=r"argnum=1.0\): argnum is the position .* but it was given the float 1.0\. .* grad\(f\)\(x\), not grad\(f, x\)"):
        grad(lambda x, y: x * y, argnum=1.0)(1.0, 2.0)
    x = numpy.ones(3)
    with pytest.raises(TypeError, match=r"jacobian\(.*argnum=array\(\[1., 1., 1.\]\)\): .*given an array of shape \(3,\)\. .*jacobian\(f\)\(x\), not jacobian\(f, x\)"):
        jacobian(lambda x: x, x)(x)
    assert grad(lambda x, y: np.sum(x * y), numpy.array([0, 1]))(x, x)[1].tolist() == [1.0, 1.0, 1.0]  # integer positions still serve


def test_item_assignment_on_a_traced_array_says_how_to_write_it():
    def f(x):
        x[0] = 1.0
        return np.sum(x)

    with pytest.raises(TraceError, match=r"item assignment.*np\.where"):
        grad(f)(numpy.ones(3))


def test_in_place_update_of_a_plain_array_with_a_traced_value():
    def f(x):
        acc = numpy.zeros(3)
        acc += x
        return np.sum(acc)

    with pytest.raises(TraceError, match=r"in-place add \(acc \+= x.*rebind the name instead \(acc = acc \+ x\)"):
        grad(f)(numpy.ones(3))


def test_an_ndarray_method_given_a_traced_value_says_what_to_write():
    with pytest.raises(TraceError, match=r"A\.dot\(x\).*np\.dot\(A, x\) or A @ x"):
        grad(lambda x: np.sum(numpy.ones((3, 3)).dot(x)))(numpy.ones(3))


def test_rebinding_with_an_augmented_operator_is_fine():
    def f(x):
        y = x
        y += 1.0
        y *= x
        return y

    assert grad(f)(2.0) == pytest.approx(5.0)


def test_unregistered_numpy_function_names_itself_and_the_packs():
    with pytest.raises(NotDifferentiableError, match=r"plugrad\.numpy\.bartlett.*packs loaded: .*numpy"):
        grad(lambda x: np.sum(np.bartlett(x)))(5.0)
    with pytest.raises(NotDifferentiableError, match=r"numpy\.zeros is not differentiable, and its argument 0 \(shape\) is traced: .*A shape, size, count or index has no derivative"):
        grad(lambda n: np.sum(np.zeros(n)))(3.0)
    import plugrad.scipy.stats as stats

    with pytest.raises(NotDifferentiableError) as caught:  # a parameter, not a size: no such hint
        grad(lambda s: stats.lognorm.logpdf(1.0, s))(0.5)
    assert "lognorm.logpdf is not differentiable" in str(caught.value) and "shape, size" not in str(caught.value)


def test_raw_numpy_on_a_traced_value_suggests_plugrad_numpy():
    import numpy as raw

    def f(x):
        return raw.asarray(x).sum()

    with pytest.raises(TraceError, match=r"import plugrad\.numpy as np"):
        grad(f)(numpy.ones(2))


def test_raw_numpy_ufunc_dispatches_to_the_registered_primitive():
    import numpy as raw

    assert grad(lambda x: raw.sin(x))(0.3) == pytest.approx(numpy.cos(0.3))


def test_raw_numpy_ufunc_methods_dispatch_to_the_functions_that_compute_them():
    from plugrad.test_util import check_grads

    x = numpy.random.default_rng(0).standard_normal((3, 4))
    for method, same in [
        (lambda v: numpy.add.reduce(v), lambda v: numpy.sum(v, axis=0)),  # (axis 0 by default)
        (lambda v: numpy.multiply.reduce(v, 1, keepdims=True), lambda v: numpy.prod(v, 1, keepdims=True)),
        (lambda v: numpy.maximum.reduce(v, axis=None), numpy.max),
        (lambda v: numpy.minimum.reduce(v, axis=1), lambda v: numpy.min(v, 1)),
        (lambda v: numpy.add.accumulate(v, 1), lambda v: numpy.cumsum(v, 1)),
        (lambda v: numpy.multiply.accumulate(v), lambda v: numpy.cumprod(v, 0)),
        (lambda v: numpy.subtract.outer(v[:, 0], v), lambda v: v[:, 0][:, None, None] - v),
    ]:
        numpy.testing.assert_allclose(method(x), same(x))
        check_grads(method, modes=["fwd", "rev"], order=2)(x)
    # plugrad.numpy's ufuncs have them too, as code written for NumPy reads them
    numpy.testing.assert_allclose(np.add.reduce(x, 1), numpy.add.reduce(x, 1))
    check_grads(lambda v: np.multiply.outer(v[0], v[:, 1]), modes=["fwd", "rev"], order=2)(x)
    assert (np.add.nin, np.sin.nout, np.multiply.identity, np.matmul.nin) == (2, 1, 1, 2)
    masks = [numpy.array([True, False]), numpy.array([True, True])]  # the non-differentiable ones too
    assert np.logical_and.reduce(masks).tolist() == [True, False] and np.greater.outer(x[0], x[1]).shape == (4, 4)
    check_grads(lambda v: numpy.maximum.reduce(v, axis=1, dtype=float), modes=["rev"], order=1)(x)
    with pytest.raises(ValueError, match="accumulate does not allow multiple axes"):
        grad(lambda v: np.sum(numpy.add.accumulate(v, axis=None)))(x)
    with pytest.raises(TraceError, match=r"numpy.add.at was called on a traced value, but it changes an array in place"):
        grad(lambda v: numpy.add.at(v, [0], 1.0))(x)
    with pytest.raises(TraceError, match=r"numpy.subtract.reduce .* no pack differentiates it: .*np.sum"):
        grad(lambda v: numpy.sum(numpy.subtract.reduce(v)))(x)


def test_missing_vjp_names_primitive_and_argument():
    @primitive
    def scale(x, k):
        return x * k

    defvjp(scale, lambda ans, x, k: lambda g: g * k)
    assert grad(scale)(2.0, 3.0) == 3.0
    with pytest.raises(NotDifferentiableError, match=r"scale has no VJP for argument 1 \(k\)"):
        grad(scale, 1)(2.0, 3.0)


def test_a_traced_value_that_escapes_cannot_be_used_later():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0

    grad(f)(1.0)
    with pytest.raises(TraceError, match="escape"):
        make_vjp(lambda y: leaked[0] * y)(2.0)[0](1.0)


def test_traced_keyword_argument_is_explained():
    with pytest.raises(TraceError, match="its argument 'axis', which it has no derivative rule for"):
        grad(lambda x: np.sum(numpy.ones(3), axis=x))(1.0)
    with pytest.raises(TraceError, match="keyword-only argument 'mean'.*Pass a constant as mean=, or leave it out"):
        grad(lambda x: np.std(x, mean=np.mean(x, keepdims=True)))(numpy.ones(3))


def test_elementwise_grad_of_complex_output():
    with pytest.raises(TypeError, match="real output"):
        elementwise_grad(lambda z: z * 1j)(numpy.ones(2))


def test_jacobian_of_complex_is_explained():
    with pytest.raises(TypeError, match="needs a real output"):
        jacobian(lambda z: z)(numpy.ones(2) + 0j)
    z = numpy.array([1 + 2j, 3j])  # a real output of a complex input: each row is grad's
    numpy.testing.assert_allclose(jacobian(lambda z: np.real(z * z))(z), numpy.diag(2 * z))  # autograd: [[2+4j, 0], [0, 6j]]


def test_defvjp_with_the_wrong_arity_is_refused_at_definition():
    @primitive
    def cube(x):
        return x**3

    with pytest.raises(TypeError, match=r"defvjp for .*cube.*\(ans, x\)"):
        defvjp(cube, lambda g: 3 * g)  # a VJP written as the rule itself, not a maker
    with pytest.raises(TypeError, match=r"defjvp for .*cube.*\(g, ans, x\)"):
        from plugrad.extend import defjvp

        defjvp(cube, lambda g, x: g)
    defvjp(cube, lambda ans, x: lambda g: 3 * g * x**2)  # the right shape is accepted
    assert grad(cube)(2.0) == 12.0


def test_storing_a_traced_value_in_a_plain_array_or_float_of_it_raises():
    def store(x):
        table = numpy.zeros(2)
        table[0] = x
        return np.sum(table) + x

    with pytest.raises((TraceError, ValueError)):
        grad(store)(2.0)
    with pytest.raises(TraceError, match=r"float\(\) of a traced value would drop its derivative"):
        grad(lambda x: float(x) * x)(2.0)


def test_round_to_digits_is_traced_and_round_to_an_int_says_what_to_do():
    assert grad(lambda x: round(x, 1) * x)(1.26) == pytest.approx(1.3)  # np.round's derivative is zero
    g = grad(lambda x: np.sum(round(x, 1) * x))(numpy.array([1.26, 2.0]))
    assert g.tolist() == pytest.approx([1.3, 2.0])
    with pytest.raises(TraceError, match=r"round\(\) of a traced value would drop its derivative"):
        grad(lambda x: round(x) * x)(1.26)


def test_raw_scipy_special_ufunc_dispatches_to_the_pack():
    import scipy.special

    assert grad(lambda x: scipy.special.erf(x))(0.3) == pytest.approx(2 / numpy.sqrt(numpy.pi) * numpy.exp(-0.09))


def test_grad_and_aux_and_value_and_grad_refuse_a_complex_loss():
    from plugrad import grad_and_aux, value_and_grad

    with pytest.raises(TypeError, match="grad_and_aux.*holomorphic_grad"):
        grad_and_aux(lambda z: (z * 2, None))(1.0 + 1.0j)
    with pytest.raises(TypeError, match="value_and_grad.*holomorphic_grad"):
        value_and_grad(lambda z: z * 2)(1.0 + 1.0j)


def test_the_hessian_of_a_function_of_a_complex_argument_says_what_to_do():
    import numpy

    from plugrad import hessian

    with pytest.raises(TypeError, match=r"hessian\(.*<lambda>\) needs a real argument.*1j \* v\[1\]"):
        hessian(lambda z: np.sum(np.abs(z) ** 2))(numpy.array([1.0 + 1.0j]))


def test_out_argument_on_a_traced_value_is_refused_before_writing():
    from plugrad import make_jvp

    buffer = numpy.zeros(3)
    for differentiate in (grad, lambda f: lambda x: make_jvp(f)(x)(numpy.ones(3))):
        with pytest.raises(TraceError, match=r"numpy.sin\(\.\.\., out=\.\.\.\).*drop out="):
            differentiate(lambda x: np.sum(np.sin(x, out=buffer)))(numpy.ones(3))
        assert not buffer.any()
    with pytest.raises(TraceError, match=r"drop out= and use the returned value \(y = np.sin\(\.\.\.\)\)"):
        grad(lambda x: np.sum(numpy.sin(x, out=numpy.zeros(3))))(numpy.ones(3))
    assert np.sin(numpy.ones(2), out=buffer[:2]) is not None and buffer[0] == numpy.sin(1.0)  # untraced: NumPy's


def test_defvjp_and_defjvp_refuse_bad_rules_and_change_nothing():
    from plugrad import make_jvp
    from plugrad.extend import defjvp

    @primitive
    def two(x, y):
        return x * y

    with pytest.raises(TypeError, match="the rule 3 is not a function"):
        defvjp(two, 3)
    with pytest.raises(TypeError, match=r"cannot be called as \(ans, x, y\)"):
        defvjp(two, lambda ans, x, y: lambda g: g * y, lambda g: g)  # the second is refused ...
    with pytest.raises(NotDifferentiableError):
        grad(two)(2.0, 3.0)  # ... and the first was not installed either
    with pytest.raises(TypeError, match=r"cannot be called as \(g, ans, x, y\)"):
        defjvp(two, lambda g, ans, x, y: g * y, lambda g: g)
    with pytest.raises(NotDifferentiableError):
        make_jvp(two)(2.0, 3.0)(1.0)


def test_rules_for_arguments_the_function_does_not_have_are_dropped_with_a_warning():
    @primitive
    def double(x):
        return 2 * x

    # autograd accepts them (they can never run); plugrad says so
    with pytest.warns(UserWarning, match=r"rules for argument\(s\) \[1\] are ignored, because double takes 1"):
        defvjp(double, lambda ans, x: lambda g: 2 * g, lambda ans, x: lambda g: g)
    assert grad(double)(1.0) == 2.0


def test_defvjp_none_is_zero_and_defjvp_same_is_linear_as_in_autograd():
    from plugrad import make_jvp
    from plugrad.extend import defjvp

    @primitive
    def scale(x, w):
        return x * 3.0

    defvjp(scale, lambda ans, x, w: lambda g: 3.0 * g, None)
    defjvp(scale, "same", None)
    assert grad(lambda x, w: np.sum(scale(x, w)), (0, 1))(numpy.ones(2), 5.0)[1] == 0.0
    numpy.testing.assert_array_equal(make_jvp(scale, 0)(numpy.ones(2), 5.0)(numpy.ones(2))[1], [3.0, 3.0])
    numpy.testing.assert_array_equal(make_jvp(scale, 1)(numpy.ones(2), 5.0)(1.0)[1], [0.0, 0.0])


def test_converting_a_traced_value_to_python_says_what_to_write():
    import math

    with pytest.raises(TraceError, match=r"math module .*np.sin\(x\)"):
        grad(lambda x: math.sin(x))(1.0)
    with pytest.raises(AttributeError, match=r"ndarray.item\(\) of a traced array would drop its derivative"):
        grad(lambda x: x.item())(numpy.array(1.0))
    with pytest.raises(AttributeError, match=r"ndarray.tolist\(\).*list\(x\)"):
        grad(lambda x: np.sum(numpy.array(x.tolist())))(numpy.ones(2))
    with pytest.raises(TraceError, match=r"NumPy tried to convert a traced value to a plain array.*np.stack"):
        grad(lambda x: numpy.sum([x, x**2]))(numpy.ones(2))
    leaked = []
    grad(lambda x: leaked.append(x) or np.sum(x))(numpy.ones(2))
    with pytest.raises(TraceError, match="already finished was converted to a NumPy array"):
        numpy.asarray(leaked[0])


def test_calling_with_the_argument_as_a_keyword_says_to_pass_it_positionally():
    with pytest.raises(TypeError, match=r"keyword argument\(s\) x\. Pass the argument to differentiate positionally"):
        grad(lambda x: x * x)(x=2.0)


def test_a_traced_keyword_argument_with_a_rule_is_differentiated_as_a_positional_one():
    x, w = numpy.array([1.0, 2.0, 3.0]), numpy.array([0.2, 0.3, 0.5])
    numpy.testing.assert_allclose(grad(lambda w: np.average(x, weights=w))(w), [-1.3, -0.3, 0.7])
    numpy.testing.assert_allclose(grad(lambda x: np.average(x, axis=0, weights=w))(x), w)

    @primitive
    def scale(x, s=1.0):
        return x * s

    defvjp(scale, lambda ans, x, s=1.0: lambda g: g * s, lambda ans, x, s=1.0: lambda g: g * x)
    assert grad(lambda s: scale(2.0, s=s))(3.0) == 2.0


def test_a_keyword_argument_the_rules_cannot_take_is_refused_by_name():
    with pytest.raises(TypeError, match=r"numpy.exp\(\.\.\., dtype=\) on a traced value: its VJP rule takes no such"):
        grad(lambda x: np.sum(np.exp(x, dtype=numpy.float32)))(numpy.ones(2))
    assert grad(lambda x: np.sum(np.sum(x, axis=0, keepdims=True)))(numpy.ones(2)).tolist() == [1.0, 1.0]


def test_a_traced_keyword_argument_without_a_rule_is_named():
    y = numpy.array([1.0, 2.0, 3.0, 4.0])
    assert grad(lambda d: np.trapezoid(y, dx=d))(2.0) == 7.5  # moved to its position: a rule
    with pytest.raises(TraceError, match="numpy.ediff1d got a traced value as its argument 'to_begin', which it has no"):
        grad(lambda p: np.sum(np.ediff1d(y, to_begin=p)))(1.0)


def test_a_rule_that_returns_a_cotangent_of_the_wrong_shape_is_refused_not_broadcast():
    # NumPy would broadcast such a cotangent into a number of the wrong shape, or the right
    # shape and wrong values; plugrad checks the derivative it hands back against the argument.
    @primitive
    def summed(x):
        return x**2

    defvjp(summed, lambda ans, x: lambda g: np.sum(g * 2 * x))  # a scalar for an array

    @primitive
    def scale(x, a):
        return a * x

    defvjp(scale, lambda ans, x, a: lambda g: a * g, lambda ans, x, a: lambda g: g * x)  # forgets to sum for a

    x = numpy.array([1.0, 2.0, 3.0])
    # A custom rule's cotangent is checked as it returns it, so the rule is named, wherever
    # in the graph it is (sin's rule would have broadcast the scalar to the right shape).
    wrong = r"VJP of .*summed for argument 0 \(\w+\) returned a cotangent of shape \(\) for an argument of shape \(3,\)"
    with pytest.raises(ValueError, match=wrong):
        grad(lambda x: np.sum(summed(x)))(x)
    with pytest.raises(ValueError, match=wrong):
        grad(lambda x: np.sum(summed(np.sin(x)) * numpy.array([1.0, 2.0, 3.0])))(x)
    wrong = r"VJP of .*scale for argument 1 \(\w+\) returned a cotangent of shape \(3,\) for an argument of shape \(\)"
    with pytest.raises(ValueError, match=wrong):
        grad(lambda a: np.sum(scale(x, a)) + a**2)(2.0)
    with pytest.raises(ValueError, match=wrong):
        grad(lambda p: np.sum(scale(x, p["a"])) + np.sum(p["w"]))({"a": 2.0, "w": x})
    # and inside a derivative of a derivative, where the cotangent is traced (autograd gives
    # a wrong number there)
    with pytest.raises(ValueError, match=r"VJP of .*summed for argument 0 \(\w+\) returned a cotangent of shape \(\)"):
        grad(grad(lambda t: np.sum(summed(t * x) * x)))(0.9)

    @primitive
    def boxed(x):
        return x * 2.0

    defvjp(boxed, lambda ans, x: lambda g: (g * 2.0,))  # a 1-tuple for an array
    for derivative in (grad, lambda f: grad(grad(f))):
        with pytest.raises(TypeError, match=r"VJP of .*boxed for argument 0 \(\w+\) returned a tuple for an argument of type ndarray"):
            derivative(lambda t: np.sum(boxed(t * x) * x))(0.9)
    # A pack's rule (not wrapped) is caught where the cotangent reaches an argument.
    bad = Primitive("test.bad_sum_rule", numpy.square)
    bad.def_vjp(lambda g, ans, x: numpy.sum(g * 2 * x))
    with pytest.raises(ValueError, match=r"has shape \(\), but the argument has shape \(3,\).*detect_anomaly"):
        grad(lambda x: np.sum(bad(x)))(x)
    # One that forgot to sum over a broadcast axis makes NumPy fail further back, in the rule
    # of whatever made the argument: the error names the operations that used that value.
    spread = Primitive("test.spread_rule", lambda x, mu: (x - mu) ** 2)
    spread.def_vjp(None, lambda g, ans, x, mu: -2 * g * (x - mu))  # (2, 3) for mu of shape (3,)
    data = numpy.arange(6.0).reshape(2, 3)
    m = numpy.ones((2, 3))
    # (where the error gives the shapes, the note adds only who may have made it)
    blame = r"(has shape \(2, 3\), but the output has shape \(3,\): it|the cotangent) was made by the VJP rule of the operation that used the value, test.spread_rule"
    for loss, at in (
        (lambda m: np.sum(spread(data, m[0])), m),  # NumPy: could not broadcast ... in getitem's rule
        (lambda m: np.sum(spread(data, np.mean(m, axis=0))), m),  # NumPy: cannot reshape ... in mean's
        (lambda mu: np.sum(spread(data, mu)), m[0]),  # the gradient's own check
    ):
        with pytest.raises(ValueError) as caught:
            grad(loss)(at)
        assert any(re.search(blame, note) for note in getattr(caught.value, "__notes__", [])), caught.value
    # Where two cotangents of one value do not add up, the rule that made one of them is named;
    # one that passes through elementwise operations first is said to come from further along.
    loose = Primitive("test.loose_add", lambda x, y: x + y)
    loose.def_vjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)  # forgets to sum for y
    with pytest.raises(ValueError) as caught:
        grad(lambda v: np.sum(v**2) + np.sum(loose(numpy.ones((2, 3)), v)))(numpy.ones((1, 3)))
    assert any("test.loose_add" in note for note in getattr(caught.value, "__notes__", [])), caught.value
    with pytest.raises(ValueError) as caught:
        grad(lambda v: np.sum(loose(numpy.ones((2, 3)), np.exp(v))))(numpy.ones(3))
    assert any("used the value, numpy.exp (pack numpy), or of one further along" in note for note in caught.value.__notes__)
    # An error in the rule of an operation with several outputs of different shapes keeps its
    # own type and message: the note is left out, not a new error.
    with pytest.raises(numpy.linalg.LinAlgError, match="Singular matrix"):
        grad(lambda a: np.sum(np.linalg.qr(a)[0] ** 3))(numpy.zeros((4, 3)))


def test_a_custom_jvp_of_the_wrong_shape_is_refused_naming_it():
    from plugrad.extend import defjvp, defjvp_argnums

    @primitive
    def double(x):
        return x * 2.0

    defjvp(double, lambda t, ans, x: numpy.ones(3) * 2.0)  # a fixed shape, not x's

    # The tangent is checked as the rule returns it, wherever the rule is: a later sum would
    # have summed three elements for two (a wrong number), a later + with a float would
    # have raised NumPy's "cannot broadcast a non-scalar to a scalar array".
    wrong = r"JVP of .*double for argument 0 \(\w+\) returned a tangent of shape \(3,\) for an output of shape \(2,\)"
    with pytest.raises(ValueError, match=wrong):
        deriv(lambda x: np.sum(double(x)))(numpy.ones(2))
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\) for an output of shape \(\)"):
        deriv(lambda x: double(x) + x)(1.5)
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\) for an output of shape \(\)"):
        grad(deriv(lambda x: double(x) * x))(1.5)  # (a traced tangent)

    @primitive
    def rotated(x):
        return x * 2.0

    defjvp(rotated, lambda t, ans, x: t * 2j)
    with pytest.raises(TypeError, match=r"JVP of .*rotated for argument 0 \(\w+\) returned a complex tangent .* real output"):
        deriv(rotated)(1.5)

    @primitive
    def times(x, y):
        return x * y

    defjvp_argnums(times, lambda argnums, ts, ans, args, kwargs: numpy.ones(5))
    with pytest.raises(ValueError, match=r"JVP of .*times for argument 0 \(\w+\) returned a tangent of shape \(5,\)"):
        make_jvp(lambda x: times(x, numpy.ones(3)))(numpy.ones(3))(numpy.ones(3))
    with pytest.raises(ValueError, match=r"JVP of .*times for arguments \(0, 1\) returned a tangent of shape \(5,\)"):
        make_jvp(lambda x: times(x, x))(numpy.ones(3))(numpy.ones(3))


def test_a_custom_jvp_that_leaves_broadcasting_to_numpy_gets_it_spelt_out():
    from plugrad.extend import defjvp

    @primitive
    def shifted(x, y):
        return x + y

    defjvp(shifted, lambda t, ans, x, y: t, lambda t, ans, x, y: t)  # as autograd allowed
    y = numpy.arange(3.0)
    assert deriv(lambda x: np.sum(shifted(x, y=y)))(1.0) == 3.0  # (y by keyword)
    # x of shape () moves every element of the output: the sum counts it three times
    assert deriv(lambda x: np.sum(shifted(x, y)))(1.0) == 3.0
    assert deriv(lambda x: np.sum(shifted(x, y) ** 2))(1.0) == 12.0
    assert deriv(deriv(lambda x: np.sum(shifted(x, y) ** 2)))(1.0) == 6.0  # (a traced tangent)
    out, tangent = make_jvp(lambda x: shifted(x, y))(1.0)(2.0)
    assert tangent.shape == (3,) and numpy.all(tangent == 2.0)

    @primitive
    def spread(x):
        return x * numpy.ones(4)

    defjvp(spread, lambda t, ans, x: 0.0)  # autograd's zero, a number for an array output
    assert deriv(lambda x: np.sum(spread(x) ** 2))(1.0) == 0.0
    # Any other number, or an argument's shape where the primitive does not broadcast its
    # arguments elementwise (its output is not of their broadcast shape), is a mistake.
    for two in (2.0, 2):
        defjvp(spread, lambda t, ans, x: two)
        with pytest.raises(ValueError, match=r"JVP of .*spread for argument 0 \(\w+\) returned a tangent of shape \(\) for an output of shape \(4,\)"):
            deriv(lambda x: np.sum(spread(x)))(1.0)

    @primitive
    def gram(x):
        return numpy.outer(x, x)

    defjvp(gram, lambda t, ans, x: 2 * x * t)  # as if outer were elementwise
    with pytest.raises(ValueError, match=r"JVP of .*gram for argument 0 \(\w+\) returned a tangent of shape \(2,\) for an output of shape \(2, 2\)"):
        make_jvp(gram)(numpy.array([1.0, 2.0]))(numpy.array([1.0, 0.0]))

    @primitive
    def pair(x):
        return x * 2.0, x * 3.0

    defjvp(pair, lambda t, ans, x: (t * 2.0, numpy.ones(7)))  # each element of a tuple output checked
    with pytest.raises(ValueError, match=r"JVP of .*pair for argument 0 \(\w+\) returned a tangent of shape \(7,\) for an output of shape \(2,\)"):
        deriv(lambda x: np.sum(pair(x)[1]))(numpy.ones(2))
    # A float32 output gets a float32 tangent, broadcast or not.
    @primitive
    def shifted32(x, y):
        return (x + y).astype(numpy.float32)

    defjvp(shifted32, lambda t, ans, x, y: numpy.asarray(t, numpy.float64), None)
    out, tangent = make_jvp(lambda x: shifted32(x, numpy.ones(3, numpy.float32)))(numpy.float64(1.0))(numpy.float64(1.0))
    assert tangent.dtype == numpy.float32 and tangent.shape == (3,)


def test_vjp_jvp_and_hvp_refuse_vectors_of_the_wrong_shape():
    from plugrad import hessian_vector_product, make_jvp

    x = numpy.array([1.0, 2.0, 3.0])
    vjp, _ = make_vjp(lambda x: x**2)(x)
    for g in (numpy.array([1.0]), numpy.ones((2, 3)), numpy.array([1j, 1.0, 1.0])):
        with pytest.raises(ValueError, match="the cotangent given to vjp has shape"):
            vjp(g)
    assert vjp(numpy.ones(3)).tolist() == [2.0, 4.0, 6.0]
    for g in (1.0, numpy.float64(1.0)):  # a scalar is not broadcast over a vector output either
        with pytest.raises(ValueError, match=r"the cotangent given to vjp has shape \(\)"):
            vjp(g)
    sin_vjp, _ = make_vjp(np.sin)(1.0)
    with pytest.raises(ValueError, match=r"the cotangent given to vjp has shape \(\) and type complex, but the function's output"):
        sin_vjp(1j)
    assert sin_vjp(2.0) == 2 * numpy.cos(1.0)
    with pytest.raises(ValueError, match=r"the tangent given to jvp has shape \(\) and type complex"):
        make_jvp(np.sin)(1.0)(1j)
    with pytest.raises(ValueError, match=r"the tangent given to jvp has shape \(1,\)"):
        make_jvp(lambda x: np.sum(x**2))(x)(numpy.array([1.0]))
    with pytest.raises(ValueError, match=r"the vector given to hessian_vector_product\(.*\) has shape \(1,\) and dtype float64, but the argument has shape \(3,\)"):
        hessian_vector_product(lambda x: np.sum(x**3))(x, numpy.array([1.0]))
    # a vector of integers of the right shape, as scipy.optimize's trust-constr passes to hessp
    assert hessian_vector_product(lambda x: np.sum(x**3))(x, numpy.array([1, 0, 2], numpy.int8)).tolist() == [6.0, 0.0, 36.0]


def test_tangents_cotangents_and_vectors_of_containers_must_have_their_structure():
    from plugrad import hessian_vector_product, make_jvp

    structure = r"the {} given to {} is {}, but {} is {}: give {} a {} of the same structure"
    with pytest.raises(ValueError, match=structure.format("tangent", "jvp", "a dict with keys 'b'", "the argument", "a dict with keys 'a'", "jvp", "tangent")):
        make_jvp(lambda p: p["a"] * 2)({"a": 1.0})({"b": 1.0})
    with pytest.raises(ValueError, match=r"is a dict with keys 'a', 'b', but the argument is a dict with keys 'a'"):
        make_jvp(lambda p: p["a"] * 2)({"a": 1.0})({"a": 1.0, "b": 1.0})  # (an extra key had been ignored)
    for t in ([1.0], [1.0, 1.0, 1.0]):
        with pytest.raises(ValueError, match=rf"is a list of {len(t)}, but the argument is a list of 2"):
            make_jvp(lambda p: p[0] * p[1])([1.0, 2.0])(t)
    assert make_jvp(lambda p: p[0] * p[1])([1.0, 2.0])((1.0, 1.0)) == (2.0, 3.0)
    with pytest.raises(ValueError, match=r"the tangent given to jvp has shape \(3,\) .* but the argument\[0\] has shape \(2,\)"):
        make_jvp(lambda p: np.sum(p[0]) * p[1])([numpy.ones(2), 2.0])([numpy.ones(3), 1.0])
    vjp, _ = make_vjp(lambda x: {"a": x, "b": 2 * x})(1.0)
    with pytest.raises(ValueError, match=r"the cotangent given to vjp is a dict with keys 'a', but the function's output is a dict with keys 'a', 'b'"):
        vjp({"a": 1.0})
    assert vjp({"a": 1.0, "b": 2.0}) == 5.0
    with pytest.raises(ValueError, match=r"the vector given to hessian_vector_product\(.*\) is a dict with keys 'b'"):
        hessian_vector_product(lambda p: p["a"] ** 3)({"a": 1.0}, {"b": 1.0})
    with pytest.raises(ValueError, match=r"the tangent given to jvp is None, but the argument is a float"):
        make_jvp(np.sin)(1.0)(None)
    with pytest.raises(ValueError, match=r"the tangent given to jvp is None, but the argument\[1\] is a float"):
        make_jvp(lambda p: p[0] * p[1])((numpy.ones(2), 2.0))((numpy.ones(2), None))  # (a cotangent's None is a zero)
    z = numpy.array([1.0 + 2.0j, 0.5 - 1.0j])  # a real function of a complex argument; a complex vector for a real one
    with pytest.raises(TypeError, match=r"^hessian_vector_product\(.*<lambda>\) needs a real argument: .*real and imaginary parts"):
        hessian_vector_product(lambda z: np.sum(np.abs(z) ** 2))(z, z)
    with pytest.raises(ValueError, match=r"the vector given to hessian_vector_product\(.*\) has shape \(2,\) and dtype complex128, but the argument has shape \(2,\) and dtype float64"):
        hessian_vector_product(lambda x: np.sum(x**3))(z.real, z)
    with pytest.raises(NotDifferentiableError, match=r"^grad\(hessian_vector_product\(.*<lambda>\)\), argument 0"):
        hessian_vector_product(lambda x: np.sum(x**3))(numpy.array([1, 2]), numpy.ones(2))


def test_storing_a_traced_value_into_a_plain_array_says_so():
    def one(x):
        a = numpy.zeros(3)
        a[0] = x[0]  # NumPy's float(), chained under its own ValueError
        return np.sum(a)

    def rows(x):
        a = numpy.zeros(3)
        a[1:] = x  # NumPy's __array__
        return np.sum(a)

    with pytest.raises(ValueError) as caught:
        grad(one)(numpy.ones(2))
    assert isinstance(caught.value.__cause__, TraceError)
    assert "a[i] = x stores a traced value into a plain NumPy array" in str(caught.value.__cause__)
    with pytest.raises(TraceError, match=r"a\[i\] = x stores a traced value .* np.stack"):
        grad(rows)(numpy.ones(2))

    # The formula the message gives does the update, at any number of axes.
    a = numpy.arange(24.0).reshape(2, 3, 4)

    def stored(x, index, spread=lambda x: x):
        mask = numpy.zeros(a.shape, bool)
        mask[index] = True
        return np.where(mask, spread(x), a)

    x = numpy.ones((3, 4))
    expected = a.copy()
    expected[1] = x
    assert numpy.array_equal(stored(x, 1), expected)
    assert numpy.array_equal(grad(lambda x: np.sum(stored(x, 1) ** 2))(x), 2 * x)
    x = numpy.ones((2, 4))
    expected = a.copy()
    expected[:, 2] = x
    assert numpy.array_equal(stored(x, (slice(None), 2), lambda x: x[:, None]), expected)
    assert numpy.array_equal(grad(lambda x: np.sum(stored(x, (slice(None), 2), lambda x: x[:, None]) ** 2))(x), 2 * x)


def test_a_conversion_inside_a_library_names_the_function_the_user_called():
    import scipy.linalg

    with pytest.raises(TraceError, match=rf"^In solve \(scipy.linalg.\w+\.py\), called at {__file__}:\d+: NumPy tried"):
        grad(lambda x: np.sum(scipy.linalg.solve(numpy.eye(2), x)))(numpy.ones(2))
    with pytest.raises(TraceError, match=r"^In <lambda> \(.*test_errors.py:\d+\): NumPy tried"):
        grad(lambda x: numpy.sum(numpy.asarray(x)))(numpy.ones(2))


def test_grad_and_aux_and_checkpoint_say_what_they_need():
    from plugrad import checkpoint, grad_and_aux

    for f, got in ((lambda x: x**2, "float"), (lambda x: (x**2, 1, 2), "3 values"), (lambda x: [x**2], "1 value")):
        with pytest.raises(TypeError, match=rf"grad_and_aux\(.*<lambda>\): the function must return a pair \(value, aux\).*it returned {got}\."):
            grad_and_aux(f)(1.0)
    assert grad_and_aux(lambda x: [x**2, "aux"])(1.0) == (2.0, "aux")
    with pytest.raises(TypeError, match=r"checkpoint needs a function, but got float 3.0"):
        checkpoint(3.0)


def test_a_container_output_with_an_element_of_no_derivative_names_its_function():
    # Its other element's cotangent needs a zero for this one: said of checkpoint(f), not of
    # an int found somewhere in the backward pass.
    from plugrad import checkpoint

    with pytest.raises(NotDifferentiableError, match=r"^checkpoint\(<lambda>\) returned a tuple whose element 1 is an int, and another element was used: .*\(3\.0 rather than 3\)"):
        grad(lambda x: checkpoint(lambda y: (y * 2.0, 3))(x)[0])(1.0)
    with pytest.raises(NotDifferentiableError, match=r"returned a dict whose element 'label' is a str"):
        grad(lambda x: checkpoint(lambda y: {"y": y * 2.0, "label": "a"})(x)["y"])(1.0)
    assert grad(lambda x: checkpoint(lambda y: (y * 2.0, 3.0))(x)[0])(1.0) == 2.0


def test_checkpoint_of_a_closure_over_a_value_being_differentiated_says_to_pass_it():
    from plugrad import checkpoint

    x0 = numpy.ones(3)

    def loss(w):
        block = checkpoint(lambda h: np.sin(w @ h))  # w reaches the block by closure
        return np.sum(block(block(x0)) ** 2)

    with pytest.raises(TraceError, match=r"checkpoint\(<lambda>\): the function uses a value being differentiated that it was not given as an argument .* checkpoint\(lambda x, w: ...\)\(x, w\)"):
        grad(loss)(numpy.eye(3))

    def passed(w):
        block = checkpoint(lambda h, w: np.sin(w @ h))
        return np.sum(block(block(x0, w), w) ** 2)

    def plain(w):
        return np.sum(np.sin(w @ np.sin(w @ x0)) ** 2)

    numpy.testing.assert_allclose(grad(passed)(numpy.eye(3)), grad(plain)(numpy.eye(3)))

    def outer(w):  # a closure over an outer derivative's value, inside an inner one: fine
        return np.sum(grad(lambda h: np.sum(checkpoint(lambda h: np.sin(w @ h))(h) ** 2))(x0))

    def outer_plain(w):
        return np.sum(grad(lambda h: np.sum(np.sin(w @ h) ** 2))(x0))

    numpy.testing.assert_allclose(grad(outer)(numpy.eye(3)), grad(outer_plain)(numpy.eye(3)))

    def inner_closure(a):  # the arguments carry the outer differentiation, the closure an inner one
        return grad(lambda b: np.sum(checkpoint(lambda y: np.sin(y) * b)(a)))(numpy.array([0.3, 0.7]))

    with pytest.raises(TraceError, match="not given as an argument"):  # (its gradient had been 0)
        grad(lambda a: np.sum(inner_closure(a)))(numpy.array([0.3, 0.7]))

    def both(a):  # the closure and the argument both carry the outer differentiation, nested
        h = checkpoint(lambda x: a * np.sin(x))
        return grad(lambda x: h(x) * x)(a)

    # (The outer one's backward pass raised that a value of a finished differentiation was used.)
    with pytest.raises(TraceError, match="not given as an argument"):
        grad(both)(0.7)
    passing = grad(lambda a: grad(lambda x: checkpoint(lambda x, a: a * np.sin(x))(x, a) * x)(a))(0.7)
    assert passing == pytest.approx(grad(lambda a: grad(lambda x: a * np.sin(x) * x)(a))(0.7))


def test_a_leaf_that_cannot_be_differentiated_is_named_by_its_place_in_the_container():
    with pytest.raises(NotDifferentiableError, match=r"grad\(.*<lambda>\), argument 0\['n'\]: .*type int"):
        grad(lambda p: p["w"] ** 2 * p["n"])({"w": 1.5, "n": 3})
    with pytest.raises(NotDifferentiableError, match=r"argument 1\[1\]\[0\]: .*type str"):
        grad(lambda a, b: a, argnum=1)(1.0, [1.0, ("s", 2.0)])


def test_warnings_about_the_output_point_at_the_users_line():
    import warnings

    from plugrad import value_and_grad

    for op in (grad, elementwise_grad, value_and_grad, jacobian):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            op(lambda x: 3.0)(numpy.ones(1))
        assert [w.filename for w in caught] == [__file__], op


def test_mistakes_in_calling_grad_get_messages_that_fit_them(recwarn):
    with pytest.raises(TypeError, match=r"grad needs a function, but got float 2.0.*grad\(f\)\(x\), not grad\(f\(x\)\)"):
        grad(2.0)
    with pytest.raises(TypeError, match="returned NoneType. Does it end with a return statement"):
        grad(lambda x: None)(1.0)
    # The other operators say it of the output too, not as of an argument.
    for name, op in (("jacobian", jacobian), ("elementwise_grad", elementwise_grad), ("make_jvp", deriv)):
        with pytest.raises(NotDifferentiableError, match=f"{name}.*returned None. Does it end with a return"):
            op(lambda x: None)(1.0)
        with pytest.raises(NotDifferentiableError, match=f"{name}.*returned a list holding a str at \\[1\\], which has no"):
            op(lambda x: [x, "label"])(1.0)
        with pytest.raises(NotDifferentiableError, match=f"{name}.*holding an int at \\[1\\], .*3.0 rather than 3"):
            op(lambda x: [x, 1])(1.0)
    with pytest.raises(NotDifferentiableError, match=r"holomorphic_grad\(.*<lambda>\) .*returned a dict holding a str at \['s'\]"):
        holomorphic_grad(lambda z: {"z": z, "s": "label"})(1j)
    # argnum: positions, each once
    with pytest.raises(ArgumentError, match=r"argnum=\(0, -2\)\) names an argument twice"):
        grad(lambda x, y: x * y, argnum=(0, -2))(2.0, 3.0)
    with pytest.raises(ArgumentError, match="argnum takes positions, not names.*grad_named\\(f, 'sigma'\\)"):
        grad(lambda x, sigma: x * sigma, argnum="sigma")(2.0, 3.0)
    with pytest.raises(TypeError, match="returned int64. An integer .* has no derivative"):
        grad(lambda x: np.argmax(x))(numpy.ones(3))
    assert not [w for w in recwarn if "independent of input" in str(w.message)]  # the error says it all
    with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
        grad(lambda n: sum(1.0 for _ in range(n)))(3.0)

    @primitive
    def square(x):
        return x * x

    defvjp(square, lambda ans, x: lambda: 2 * x)  # the function of g forgot g
    with pytest.raises(TypeError, match=r"defvjp for .*square: the rule for argument 0 returned .* cannot be called with"):
        grad(lambda x: square(x))(1.0)


def test_a_jvp_rule_that_returns_a_tangent_of_the_wrong_shape_is_refused():
    from plugrad import make_jvp
    from plugrad.extend import defjvp

    @primitive
    def square(x):
        return x**2

    defjvp(square, lambda t, ans, x: np.sum(2 * x * t))  # a scalar for an array output
    with pytest.raises(ValueError, match=r"JVP of .*square for argument 0 \(\w+\) returned a tangent of shape \(\) for an output of shape \(2,\)"):
        make_jvp(square)(numpy.array([1.0, 2.0]))(numpy.array([1.0, 0.0]))
    # A pack's rule (Primitive.def_jvp) is checked as it returns too, wherever it is: a later
    # sin would have broadcast the scalar into three wrong numbers.
    bad = Primitive("test.bad_square_jvp", numpy.square)
    bad.def_jvp(lambda t, ans, x: numpy.sum(2 * x * t))
    wrong = r"JVP of test.bad_square_jvp for argument 0 \(x\) returned a tangent of shape \(\) for an output of shape \(2,\)"
    with pytest.raises(ValueError, match=wrong):
        make_jvp(bad)(numpy.array([1.0, 2.0]))(numpy.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=wrong):
        make_jvp(lambda x: np.sin(bad(x)))(numpy.array([1.0, 2.0]))(numpy.array([1.0, 0.0]))


def test_numpy_calls_that_do_not_fit_get_numpys_errors_and_names() -> None:
    x = numpy.arange(6.0)
    for f in (lambda v: np.reshape(v, newshape=(3, 2)), np.reshape, lambda v: np.reshape(v, (3, 2), "C", True)):
        for value in (x, None):  # plain, and traced: the same error, of numpy.reshape, not of a helper
            with pytest.raises(TypeError, match=r"^reshape\(\) (got an unexpected keyword|missing 1 required|takes from 2 to 3)"):
                f(x) if value is not None else grad(lambda v: np.sum(f(v)))(x)
    assert np.reshape(x, shape=(3, 2)).shape == (3, 2)
    with pytest.raises(TraceError, match=r"^numpy.einsum\(\.\.\., out=\.\.\.\)"):
        grad(lambda v: np.einsum("i->", v, out=numpy.empty(())))(x)
    with pytest.raises(ValueError, match=r"numpy.array of a list .* different shapes \(\(6,\), \(1,\)\)"):
        grad(lambda v: np.sum(np.array([v, v[:1]])))(x)


def test_a_traced_array_tells_how_it_lies_in_memory() -> None:
    seen = []

    def f(v):
        seen.append((v.itemsize, v.nbytes, v.strides, v.flags.c_contiguous, v.T.strides))
        return np.sum(v)

    grad(f)(numpy.ones((2, 3), numpy.float32))
    assert seen == [(4, 24, (12, 4), True, (4, 12))]


def test_a_rule_that_returns_none_or_no_derivative_is_an_error_naming_it():
    # A forgotten return would read as a zero derivative; a string or list as a gradient.
    none = Primitive("demo.none", numpy.sin).def_vjp(lambda g, ans, x: None).def_jvp(lambda t, ans, x: None)
    with pytest.raises(TypeError, match=r"the VJP of demo.none for argument 0 \(x\) returned None: return the argument's cotangent .*missing return.*zeros of the argument's shape"):
        grad(none)(0.5)
    with pytest.raises(TypeError, match=r"the JVP of demo.none for argument 0 \(x\) returned None: return the output's tangent .*zeros of the output's shape"):
        make_jvp(none)(0.5)(1.0)
    # autograd's VJP maker, (ans, x) -> (g -> cotangent), given to def_vjp, which takes the rule
    with pytest.raises(TypeError, match=r"def_vjp of demo.cube: the rule <lambda>\(ans, x\) is written as autograd's VJP maker.*plugrad.extend.defvjp"):
        Primitive("demo.cube", lambda x: x**3).def_vjp(lambda ans, x: lambda g: 3 * g * x**2)
    word = Primitive("demo.word", numpy.sin).def_vjp(lambda g, ans, x: "oops").def_jvp(lambda t, ans, x: [t])
    with pytest.raises(ValueError, match="is a str .*a VJP rule returned a cotangent of the wrong kind"):
        grad(lambda v: np.sum(word(v)))(numpy.ones(2))
    with pytest.raises(ValueError, match="is a list: a JVP rule returned a tangent of the wrong kind"):
        make_jvp(word)(numpy.ones(2))(numpy.ones(2))
    with plugrad.detect_anomaly(), pytest.raises(plugrad.debug.AnomalyError, match="demo.word, VJP .* with a str"):
        grad(lambda v: np.sum(word(v)))(numpy.ones(2))
    # an error of adding cotangents (one rule's of the wrong shape) is not pinned on the rule
    # that ran last: the operations that used the value are named, none singled out
    wide = Primitive("demo.wide", lambda x: x * 2.0).def_vjp(lambda g, ans, x: numpy.ones(2))
    with pytest.raises(ValueError, match="could not be broadcast") as caught:
        grad(lambda v: np.sum(np.sin(v)) + np.sum(wide(v)))(numpy.ones(3))
    assert [n for n in caught.value.__notes__ if "raised in" in n] == []
    assert any("one of the operations that used it, demo.wide, numpy.sin (pack numpy)," in n for n in caught.value.__notes__)
    # a rule that fails (here: takes the wrong arguments) is named in a note
    arity = Primitive("demo.arity", numpy.sin).def_vjp(lambda g, x: g).def_jvp(lambda t, x: t)
    for differentiate in (grad(arity), lambda x: make_jvp(arity)(x)(1.0)):
        with pytest.raises(TypeError, match="positional argument") as caught:
            differentiate(0.5)
        assert any("rules of demo.arity" in note for note in caught.value.__notes__)
