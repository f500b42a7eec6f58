"""autograd's spellings that are not differential operators: the containers and type
checks at the top level, the ``core``, ``tracer`` and ``wrap_util`` modules, the testing
helpers, and behaviours autograd code relies on (found by running autograd's own test
suite against plugrad)."""

from __future__ import annotations

import builtins as py
import functools

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import NotDifferentiableError, grad, jacobian, tensor_jacobian_product
from plugrad.test_util import check_equivalent, check_grads, scalar_close


def test_containers_and_type_checks_at_the_top_level() -> None:
    from plugrad import dict as tdict
    from plugrad import isinstance as tisinstance
    from plugrad import list as tlist
    from plugrad import tuple as ttuple
    from plugrad import type as ttype

    def f(x: float) -> float:
        pair = ttuple((x, 2.0 * x))
        items = tlist([x, x * x])
        named = tdict(a=x, b=3.0 * x)
        assert tisinstance(pair, ttuple) and tisinstance(pair, py.tuple)
        assert tisinstance(items, tlist) and not tisinstance(items, ttuple)
        assert tisinstance(named, tdict) and ttype(named) is py.dict
        return pair[1] + items[1] + named["b"]

    assert grad(f)(1.5) == pytest.approx(2.0 + 3.0 + 3.0)


def test_the_container_classes_answer_isinstance_for_plain_values() -> None:
    assert isinstance([1.0], plugrad.list) and isinstance((1.0,), plugrad.tuple)
    assert isinstance({"a": 1.0}, plugrad.dict)
    assert not isinstance((1.0,), plugrad.list) and not isinstance([1.0], plugrad.dict)
    assert plugrad.tuple([1.0, 2.0]) == (1.0, 2.0) and plugrad.list((1.0,)) == [1.0]


def test_star_import_does_not_shadow_python_builtins() -> None:
    scope: dict[str, object] = {}
    exec("from plugrad import *", scope)
    for name in ("dict", "list", "tuple", "type", "isinstance"):
        assert name not in scope


def test_core_tracer_and_wrap_util_modules() -> None:
    from plugrad.core import defvjp, make_jvp, make_vjp, primitive, vspace
    from plugrad.tracer import getval, isbox
    from plugrad.wrap_util import unary_to_nary

    @primitive
    def cube(x: float) -> float:
        return x**3

    defvjp(cube, lambda ans, x: lambda g: 3.0 * x**2 * g)
    vjp, ans = make_vjp(cube, 2.0)
    assert ans == 8.0 and vjp(1.0) == 12.0
    assert make_jvp(lambda x: x * x, 3.0)(1.0) == (9.0, 6.0)
    assert vspace(1.0).size == 1

    seen = []

    def f(x: float) -> float:
        seen.append((isbox(x), getval(x)))
        return x * x

    grad(f)(2.0)
    assert seen == [(True, 2.0)]

    @unary_to_nary
    def directional(fun, x, v):  # type: ignore[no-untyped-def]
        return make_jvp(fun, x)(v)[1]

    assert directional(lambda a, b: a * b * b, 1, 2.0)(3.0, 5.0) == pytest.approx(2.0 * 3.0 * 2 * 5.0)
    assert directional.__name__ == "directional"

    def product(a: float, b: float) -> float:
        return a * b

    assert directional(product, 0, 1.0).__name__ == "directional(test_core_tracer_and_wrap_util_modules.<locals>.product)"
    with pytest.raises(TypeError, match=r"directional needs a function.*directional\(f\)\(x\)"):
        directional(product(1.0, 2.0), 0, 1.0)


def test_a_missing_rule_is_also_a_not_implemented_error() -> None:
    from plugrad.extend import primitive

    double = primitive(lambda x: 2.0 * x)
    with pytest.raises(NotImplementedError, match="VJP|vjp|reverse"):
        grad(double)(1.0)
    assert issubclass(NotDifferentiableError, TypeError)


def test_scalar_close_and_check_equivalent() -> None:
    assert scalar_close(1.0, 1.0 + 1e-9) and scalar_close(1e3, 1e3 * (1 + 1e-7))
    assert not scalar_close(1.0, 1.001)
    check_equivalent({"a": numpy.ones(3), "b": [2.0]}, {"a": numpy.ones(3), "b": [2.0]})
    with pytest.raises(AssertionError, match="different vector spaces"):
        check_equivalent(numpy.ones(3), numpy.ones(4))
    with pytest.raises(AssertionError, match="values differ"):
        check_equivalent(numpy.ones(3), numpy.arange(3.0))


def test_check_grads_names_the_function_that_failed() -> None:
    from plugrad.extend import defvjp, primitive

    @primitive
    def wrongly_differentiated(x: float) -> float:
        return x * x

    defvjp(wrongly_differentiated, lambda ans, x: lambda g: 3.0 * x * g)
    with pytest.raises(AssertionError, match=r"check_grads\(.*wrongly_differentiated\)"):
        check_grads(wrongly_differentiated, modes=["rev"])(1.3)

    @primitive
    def product(x: float, y: float) -> float:
        return x * y

    defvjp(product, lambda ans, x, y: lambda g: g * y, lambda ans, x, y: lambda g: g * x * 1.01)
    check_grads(product, modes=["rev"])(1.0, 2.0)  # argument 0, as autograd's: its rule is right
    with pytest.raises(AssertionError, match=r"check_grads\(.*product, argnum=1\)"):  # and the error says which
        check_grads(product, argnum=1, modes=["rev"])(1.0, 2.0)


@pytest.mark.parametrize(
    "fun, params, expected",
    [
        (lambda x: x[1:3][0], [1.0, 2.0, 3.0], [0.0, 1.0, 0.0]),
        (lambda x: x[0], [1.0, 2.0, 3.0], [1.0, 0.0, 0.0]),
        (lambda x: x[1:][0], [[1.0], 2.0, 1.5], [[0.0], 1.0, 0.0]),
        (lambda x: x["b"], {"a": 1.0, "b": 2.0}, {"a": 0.0, "b": 1.0}),
    ],
)
def test_output_that_is_one_of_the_parameters(fun, params, expected) -> None:  # type: ignore[no-untyped-def]
    # The output is a start node before the last one: the sweep still returns a cotangent
    # for every parameter.
    assert grad(fun)(params) == expected


def test_tensor_jacobian_product_with_a_tensor_of_fewer_axes() -> None:
    rng = numpy.random.default_rng(0)
    fun = lambda a: np.roll(np.sin(a), 1)  # noqa: E731
    a = rng.standard_normal((5, 4, 3))
    full = jacobian(fun)(a)  # (5, 4, 3, 5, 4, 3)
    for v in (rng.standard_normal((5, 4, 3)), rng.standard_normal((5, 4)), rng.standard_normal(5)):
        expected = numpy.tensordot(v, full, axes=v.ndim)
        numpy.testing.assert_allclose(tensor_jacobian_product(fun)(a, v), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="leading part"):
        tensor_jacobian_product(fun)(a, rng.standard_normal((4, 3)))


def test_tensor_jacobian_product_is_differentiable_in_the_tensor() -> None:
    rng = numpy.random.default_rng(1)
    a, v = rng.standard_normal((3, 2)), rng.standard_normal(3)
    check_grads(lambda v: tensor_jacobian_product(lambda a: np.tanh(a) * a, 0)(a, v), modes=["rev"])(v)


@pytest.mark.parametrize(
    "value", [numpy.zeros((3, 2)), 0.0, 1j * numpy.zeros((2, 1)), [1.0, numpy.zeros(2)], {"a": 1.0, "b": (numpy.zeros(2),)}]
)
def test_vector_space_operations_are_differentiable(value) -> None:  # type: ignore[no-untyped-def]
    vs = plugrad.vspace(value)
    rng = numpy.random.default_rng(2)
    x, y = vs.randn(rng), vs.randn(rng)
    check_grads(vs.inner_prod)(x, y)
    check_grads(vs.add)(x, y)
    check_grads(vs.scalar_mul)(x, 0.7)


def test_sizes_count_real_dimensions() -> None:
    for value, size in ((1.0, 1), (1j, 2), (numpy.zeros(3, complex), 6), ([1j, numpy.zeros(2)], 4)):
        vs = plugrad.vspace(value)
        assert vs.size == size == len(list(vs.standard_basis())) == len(vs.flatten(vs.zeros()))


def test_namespaces_report_the_mirrored_librarys_version() -> None:
    import scipy

    import plugrad.scipy

    assert np.__version__ == numpy.__version__
    assert plugrad.scipy.__version__ == scipy.__version__
    with pytest.raises(AttributeError):
        np.linalg.__version__  # noqa: B018 - numpy.linalg has none either


def test_tensor_jacobian_product_of_fewer_axes_needs_one_array_argument() -> None:
    x, y = numpy.ones((2, 3)), numpy.ones((2, 3))
    with pytest.raises(TypeError, match="one argument at a time"):
        tensor_jacobian_product(lambda x, y: x * y, (0, 1))(x, y, numpy.ones(2))


def test_util_helpers() -> None:
    from plugrad.util import func, subval, subvals

    assert func(len) is len
    assert subval((1, 2, 3), 1, "b") == (1, "b", 3) and subval((1, 2, 3), -1, 9) == (1, 2, 9)
    assert subvals([1, 2, 3], [(0, "a"), (2, "c")]) == ("a", 2, "c")


def test_a_primitive_defined_in_a_class_body_binds_self() -> None:
    from plugrad.extend import defvjp, primitive

    class Scale:
        def __init__(self, k: float) -> None:
            self.k = k

        @primitive
        def __call__(self, x: float) -> float:
            return self.k * x

        @primitive
        def times(self, x: float) -> float:
            return self.k * x

    defvjp(Scale.__call__, None, lambda ans, self, x: lambda g: self.k * g)
    defvjp(Scale.times, None, lambda ans, self, x: lambda g: self.k * g)
    s = Scale(3.0)
    assert s(2.0) == 6.0 and s.times(2.0) == 6.0
    assert grad(lambda x: s(x) ** 2)(2.0) == pytest.approx(36.0)
    assert grad(lambda x: s.times(x) * x)(2.0) == pytest.approx(12.0)


class _Point:
    def __init__(self, v: float) -> None:
        self.v = v


def test_a_box_class_that_derives_from_its_values_class_as_in_autograd() -> None:
    from plugrad.extend import Box, VSpace, defvjp, primitive

    class PointBox(Box, _Point):
        pass

    class PointSpace(VSpace):
        def __init__(self, value: _Point) -> None:
            self.shape = ()

        def zeros(self) -> _Point:
            return _Point(0.0)

        def _add(self, p: _Point, q: _Point) -> _Point:
            return _Point(p.v + q.v)

        def _scalar_mul(self, p: _Point, a: float) -> _Point:
            return _Point(p.v * a)

        def _inner_prod(self, p: _Point, q: _Point) -> float:
            return p.v * q.v

    PointBox.register(_Point)
    PointSpace.register(_Point)

    @primitive
    def square(p: _Point) -> float:
        return p.v**2

    defvjp(square, lambda ans, p: lambda g: _Point(2.0 * g * p.v))
    assert grad(square)(_Point(3.0)).v == pytest.approx(6.0)
    # two uses: the cotangents are added by the space's _add
    assert grad(lambda p: square(p) + 3.0 * square(p))(_Point(3.0)).v == pytest.approx(24.0)
    space = plugrad.vspace(_Point(1.0))
    assert space.add(_Point(1.0), _Point(2.0)).v == 3.0
    assert space.scalar_mul(_Point(2.0), 3.0).v == 6.0
    assert space.inner_prod(_Point(2.0), _Point(3.0)) == 6.0


class _Knot:
    def __init__(self, v: float) -> None:
        self.v = v


def test_a_space_whose_randn_takes_no_generator_as_in_autograd_is_checked() -> None:
    # autograd's VSpace.randn(self) draws from NumPy's global generator; the checker, and a
    # list's space on behalf of its elements, pass their own generator, which such a space
    # cannot take.
    from plugrad.extend import Box, VSpace, defvjp, primitive
    from plugrad.test_util import check_grads

    class KnotBox(Box):
        pass

    class KnotSpace(VSpace):
        def __init__(self, value: _Knot) -> None:
            self.shape = ()

        def zeros(self) -> _Knot:
            return _Knot(0.0)

        def randn(self) -> _Knot:
            return _Knot(float(numpy.random.randn()))

        def _add(self, p: _Knot, q: _Knot) -> _Knot:
            return _Knot(p.v + q.v)

        def _scalar_mul(self, p: _Knot, a: float) -> _Knot:
            return _Knot(p.v * a)

        def _inner_prod(self, p: _Knot, q: _Knot) -> float:
            return p.v * q.v

    KnotBox.register(_Knot)
    KnotSpace.register(_Knot)

    @primitive
    def cube(p: _Knot) -> float:
        return p.v**3

    defvjp(cube, lambda ans, p: lambda g: _Knot(3.0 * g * p.v**2))
    numpy.random.seed(0)
    first = KnotSpace(_Knot(1.0)).randn(numpy.random.default_rng(1)).v
    numpy.random.seed(0)
    assert plugrad.vspace([_Knot(1.0)]).randn(numpy.random.default_rng(1))[0].v == first  # NumPy's, not rng's
    assert KnotSpace.randn.__qualname__.endswith("KnotSpace.randn")

    def wrapped(method):  # type: ignore[no-untyped-def]
        @functools.wraps(method)
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            return method(*args, **kwargs)

        return call

    class Keyword(VSpace):  # takes the generator, by keyword only
        def randn(self, *, rng: numpy.random.Generator | None = None) -> float:
            return float(rng.standard_normal()) if rng is not None else 0.0

    class Wrapped(VSpace):
        @wrapped
        def randn(self) -> float:
            return 1.0

    class Static(VSpace):
        @staticmethod
        def randn() -> float:
            return 2.0

    assert Keyword().randn(numpy.random.default_rng(1)) == numpy.random.default_rng(1).standard_normal()
    class OfClass(VSpace):
        @classmethod
        def randn(cls) -> float:
            return 3.0

    class StaticKeyword(VSpace):
        @staticmethod
        @wrapped
        def randn(*, rng: numpy.random.Generator | None = None) -> float:
            return 4.0 if rng is not None else 0.0

    assert Wrapped().randn(numpy.random.default_rng(1)) == 1.0 and Static().randn(numpy.random.default_rng(1)) == 2.0
    assert OfClass().randn(numpy.random.default_rng(1)) == 3.0 and OfClass().randn() == 3.0
    assert StaticKeyword().randn(numpy.random.default_rng(1)) == 4.0 and StaticKeyword().randn() == 0.0
    check_grads(cube, modes=["rev"], order=1)(_Knot(1.5))
    check_grads(lambda ps: cube(ps[0]) * cube(ps[1]), modes=["rev"], order=1)([_Knot(1.5), _Knot(-0.5)])


def test_a_space_may_set_its_size_and_says_when_it_has_no_inner_product() -> None:
    from plugrad.extend import VSpace

    class Three(VSpace):
        def __init__(self, value: object) -> None:
            self.size = 3

    space = Three(None)
    assert space.size == 3
    with pytest.raises(NotImplementedError, match="Three defines no inner product"):
        space.inner_prod(1.0, 2.0)
    assert plugrad.vspace(numpy.ones((2, 3), complex)).size == 12  # computed where not set


def test_tracer_builds_a_graph_of_the_users_node_class() -> None:
    from plugrad.tracer import Node, trace

    class Recorder(Node):
        def __init__(self, value, fun, args, kwargs, parent_argnums, parents):  # type: ignore[no-untyped-def]
            self.value, self.name = value, fun.__name__
            self.parents = dict(zip(parent_argnums, parents))
            self.constants = [a for i, a in enumerate(args) if i not in self.parents]

        def initialize_root(self, label: str) -> None:
            self.name, self.parents = label, {}

    def f(x: float) -> float:
        y = np.sin(x)
        return np.exp(x) * y - 0.5

    root = Recorder.new_root("input")
    value, end = trace(root, f, 1.0)
    assert value == pytest.approx(numpy.exp(1.0) * numpy.sin(1.0) - 0.5)
    assert end is not None and end.value == value and end.constants == [0.5]
    product = end.parents[0]
    assert {p.name for p in product.parents.values()} == {"exp", "sin"}
    assert all(p.parents[0] is root for p in product.parents.values())
    with pytest.warns(UserWarning, match="independent"):
        assert trace(Recorder.new_root("input"), lambda x: 2.0, 1.0) == (2.0, None)


def test_a_primitive_as_a_class_attribute_binds_as_the_function_it_wraps() -> None:
    from plugrad.extend import notrace_primitive

    class Model:
        activation = np.tanh  # a ufunc: no binding, as with numpy.tanh
        total = np.sum  # a Python function (as numpy.sum binds, so does this)

        @notrace_primitive
        def count(self, x):  # type: ignore[no-untyped-def]
            return len(x)

        def loss(self, x):  # type: ignore[no-untyped-def]
            return np.sum(self.activation(x)) * self.count(x)

    assert grad(Model().loss)(numpy.zeros(3)).tolist() == [3.0, 3.0, 3.0]
    assert Model.__dict__["total"] is np.sum and callable(Model().total)


def test_a_container_of_traced_values_is_traced_where_the_primitive_has_a_rule() -> None:
    from plugrad.extend import defvjp, primitive

    @primitive
    def weighted(c, ab):  # type: ignore[no-untyped-def]
        return c * ab[0] * ab[1]

    defvjp(weighted, None, lambda ans, c, ab: lambda g: (g * c * ab[1], g * c * ab[0]))
    assert grad(lambda p: weighted(2.0, (p[0], p[1])))([3.0, 5.0]) == [10.0, 6.0]  # c untraced
    # An index list beside a traced array, where take has no rule: left as it is.
    assert grad(lambda x: np.sum(np.take(x, [0, 2, 2])))(numpy.ones(3)).tolist() == [1.0, 0.0, 2.0]


def test_the_top_level_primitive_decorator_as_in_autograd() -> None:
    from plugrad import primitive
    from plugrad.extend import defvjp

    @primitive
    def cube(x):  # type: ignore[no-untyped-def]
        return x**3

    defvjp(cube, lambda ans, x: lambda g: 3 * g * x**2)
    assert isinstance(cube, plugrad.Primitive)
    assert grad(cube)(2.0) == 12.0
    assert primitive.Primitive is plugrad.Primitive  # still the kernel module


def test_the_interfaces_autograd_deprecated_in_1_2_still_work_and_warn() -> None:
    from plugrad.core import primitive
    from plugrad.util import quick_grad_check

    @primitive
    def mul(x, y):  # type: ignore[no-untyped-def]
        return x * y

    with pytest.warns(DeprecationWarning, match=r"mul\.defgrad, autograd's interface from before version 1\.2"):
        mul.defgrad(lambda ans, x, y: lambda g: y * g)
    with pytest.warns(DeprecationWarning, match=r"mul\.defvjp"):  # vjp(g, ans, vs, gvs, *args)
        mul.defvjp(lambda g, ans, vs, gvs, x, y: x * g * vs.ones() * gvs.ones(), argnum=1)
    x, y = numpy.array([1.0, 2.0]), numpy.array([3.0, 5.0])
    assert [list(g) for g in grad(lambda x, y: np.sum(mul(x, y)), (0, 1))(x, y)] == [[3.0, 5.0], [1.0, 2.0]]
    with pytest.warns(DeprecationWarning, match="quick_grad_check"):
        quick_grad_check(lambda x, y: np.sum(mul(x, y) ** 2), x, (y,))

    @primitive
    def flat(x, y):  # type: ignore[no-untyped-def]
        return 0 * x * y

    with pytest.warns(DeprecationWarning, match=r"flat\.defvjp_is_zero"):
        flat.defvjp_is_zero([0, 1])
    assert grad(lambda x: flat(x, 2.0) + x)(1.0) == 1.0
    wrong = primitive(lambda x: 2 * x)
    with pytest.warns(DeprecationWarning):
        wrong.defgrad(lambda ans, x: lambda g: 3 * g)
    with pytest.warns(DeprecationWarning), pytest.raises(AssertionError):
        quick_grad_check(wrong, 1.0)  # it checks: a wrong rule fails it
    assert not hasattr(plugrad.extend.primitive(lambda x: x), "defgrad")  # only the old decorators'


def test_differential_operators_module_core_getval_and_container_take() -> None:
    from plugrad.builtins import container_take
    from plugrad.core import getval, isbox
    from plugrad.differential_operators import grad as grad_, make_jvp_reversemode

    x, t = numpy.array([0.3, 0.7]), numpy.array([1.0, 2.0])
    numpy.testing.assert_allclose(
        make_jvp_reversemode(lambda x: np.sin(x) * x)(x)(t), (numpy.cos(x) * x + numpy.sin(x)) * t
    )
    assert grad_ is grad
    assert grad(lambda v: container_take(v, 1) * 2.0)([1.0, 3.0]) == [0.0, 2.0]
    assert grad(lambda x: getval(x) * 0.0 + x * isbox(x))(1.0) == 1.0


def test_grad_and_aux_of_an_array_loss_is_the_gradient_of_its_sum() -> None:
    from plugrad import grad_and_aux

    g, aux = grad_and_aux(lambda a: (a * a, a))(numpy.array([2.0, 1.0]))
    assert g.tolist() == [4.0, 2.0] and aux.tolist() == [2.0, 1.0]


def test_defvjp_argnums_maker_may_return_a_generator() -> None:
    from plugrad.extend import defvjp_argnums, primitive

    @primitive
    def mul(x, y):  # type: ignore[no-untyped-def]
        return x * y

    defvjp_argnums(mul, lambda argnums, ans, args, kwargs: lambda g: (g * args[1 - i] for i in argnums))
    assert grad(mul)(2.0, 3.0) == 3.0
    assert grad(mul, (0, 1))(2.0, 3.0) == (3.0, 2.0)


def test_traced_containers_have_autograds_methods() -> None:
    tdict, tlist = plugrad.builtins.dict, plugrad.builtins.list
    assert grad(lambda x: tdict({"a": x, "b": 2 * x}).values()[1])(1.5) == 2.0
    assert grad(lambda x: tdict({"a": x, "b": 2 * x}).items()[0][1] * 3)(1.5) == 3.0
    assert grad(lambda x: py.sum(tdict({"a": x, "b": 2 * x}).itervalues()))(1.5) == 3.0
    assert grad(lambda x: x * tdict({"a": x}).keys().index("a") + x)(1.5) == 1.0
    assert grad(lambda x: x * tlist([x, 2.0]).index(2.0) + x * tlist([x, 2.0]).count(2.0))(1.5) == 2.0
