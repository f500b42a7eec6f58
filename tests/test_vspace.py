"""plugrad.vspace: the spaces of floats, complex numbers, arrays and containers."""

from __future__ import annotations

import collections
from typing import Any

import numpy
import pytest

from plugrad import NotDifferentiableError, vspace
from plugrad.vspace import ArrayVSpace, DictVSpace, ScalarVSpace, SequenceVSpace

Pair = collections.namedtuple("Pair", "a b")


@pytest.mark.parametrize(
    "value, cls, size",
    [
        (1.0, ScalarVSpace, 1),
        (1j, ScalarVSpace, 2),  # sizes are real dimensions, as in autograd
        (numpy.float32(1.0), ArrayVSpace, 1),
        (numpy.ones((2, 3)), ArrayVSpace, 6),
        (numpy.ones(2, complex), ArrayVSpace, 4),
        ([1.0, numpy.ones(3)], SequenceVSpace, 4),
        (Pair(1.0, 2.0), SequenceVSpace, 2),
        ({"w": numpy.ones(2), "b": 0.5}, DictVSpace, 3),
    ],
)
def test_spaces_of_each_kind(value, cls, size, rng):
    vs = vspace(value)
    assert isinstance(vs, cls)
    assert vs.size == size
    zeros, ones = vs.zeros(), vs.ones()
    assert vspace(zeros) == vs == vspace(ones)
    assert type(zeros) is type(value)
    x = vs.randn(rng)
    assert vspace(x) == vs
    assert vs.inner_prod(x, x) == pytest.approx(float(numpy.sum(numpy.abs(vs.flatten(x)) ** 2)))
    numpy.testing.assert_allclose(vs.flatten(vs.unflatten(vs.flatten(x))), vs.flatten(x))
    basis = list(vs.standard_basis())
    assert len(basis) == size == len(vs.flatten(x))
    total = basis[0]
    for b in basis[1:]:
        total = vs.add(total, b)
    assert vs.inner_prod(total, total) == pytest.approx(len(basis))
    numpy.testing.assert_allclose(vs.flatten(vs.scalar_mul(ones, 2.0)), 2 * vs.flatten(ones))


def test_dtype_and_scalar_kind_are_preserved():
    assert vspace(numpy.ones(2, numpy.float32)).zeros().dtype == numpy.float32
    assert isinstance(vspace(numpy.float32(2)).ones(), numpy.float32)
    assert isinstance(vspace(2.0).ones(), float)
    assert vspace(2.0) == vspace(numpy.float64(3.0))  # a Python float and a NumPy scalar share a space
    assert vspace(numpy.ones(2)) != vspace(numpy.ones(3))


@pytest.mark.parametrize("value", [1, numpy.arange(3), True, "text", None, object()])
def test_non_vectors_are_refused(value):
    with pytest.raises(NotDifferentiableError):
        vspace(value)


@pytest.mark.parametrize(
    "value", [numpy.zeros((2, 3)), 1.0, 1.0j, [numpy.zeros(2), 2.0], {"a": numpy.zeros(2, numpy.complex64)}]
)
def test_randn_without_a_generator_follows_numpy_random_seed(value):
    space = vspace(value)
    numpy.random.seed(7)
    first = space.randn()
    numpy.random.seed(7)
    second = space.randn()
    assert vspace(first) == space
    assert repr(first) == repr(second)  # reproducible, as autograd's np.random.randn is
    numpy.random.seed(7)
    assert numpy.ravel(space.flatten(first))[0] == numpy.random.standard_normal()  # from the global generator


class _Coeffs:
    """A pack's value type: coefficients in an array, not an array itself."""

    def __init__(self, c: numpy.ndarray) -> None:
        self.c = c


class _CoeffsVSpace(ArrayVSpace):
    def __init__(self, value: _Coeffs) -> None:
        super().__init__(value.c)

    def zeros(self) -> _Coeffs:
        return _Coeffs(super().zeros())


def test_a_pack_types_space_is_not_an_arrays_and_a_cotangent_of_another_kind_is_refused() -> None:
    from plugrad import Box, Primitive, grad
    from plugrad.box import register_box_type
    from plugrad.vspace import register_vspace

    class CoeffsBox(Box):
        __slots__ = ()

    register_vspace(_Coeffs, _CoeffsVSpace)
    register_box_type(_Coeffs, CoeffsBox)
    p = _Coeffs(numpy.array([1.0, 2.0, 3.0]))
    space = vspace(p)
    assert space != vspace(p.c) and space == vspace(_Coeffs(numpy.zeros(3)))
    assert vspace(1.0) == vspace(numpy.float64(2.0)) and hash(vspace(1.0)) == hash(vspace(numpy.float64(2.0)))
    total = Primitive("test.coeffs_total", lambda p: float(numpy.sum(p.c)))
    total.def_vjp(lambda g, ans, p: numpy.full(3, g))  # an array, where the argument is a _Coeffs
    with pytest.raises(ValueError, match=r"argument of type _Coeffs .* is an ndarray .*wrong kind"):
        grad(total)(p)
    total.def_vjp(lambda g, ans, p: numpy.full(4, g))
    with pytest.raises(ValueError, match="wrong kind"):
        grad(total)(p)
    total.def_vjp(lambda g, ans, p: _Coeffs(numpy.full(3, g)))
    assert grad(total)(p).c.tolist() == [1.0, 1.0, 1.0]
    from plugrad import hessian, jacobian

    for op, name in ((jacobian, "Jacobian"), (hessian, "Hessian")):  # (its rows could not be stacked into an array)
        with pytest.raises(TypeError, match=rf"^{name.lower()}\(.*\) takes arrays, floats and lists, tuples and dicts of them, but the argument holds a _Coeffs: take the {name} in its coordinates"):
            op(total)(p)


class _Trimmed:
    """A pack's value type whose ``+`` is not vector addition (here the elementwise maximum,
    as a polynomial's may trim trailing zeros): its cotangents must add in its vector space."""

    def __init__(self, c: Any) -> None:
        self.c = numpy.asarray(c, float)

    def __add__(self, other: Any) -> Any:
        return _Trimmed(numpy.maximum(self.c, other.c))


class _TrimmedVSpace(ArrayVSpace):
    def __init__(self, value: _Trimmed) -> None:
        super().__init__(value.c)

    def zeros(self) -> _Trimmed:
        return _Trimmed(super().zeros())

    def add(self, x: _Trimmed, y: _Trimmed) -> _Trimmed:
        return _Trimmed(x.c + y.c)


def test_cotangents_of_a_pack_type_add_in_its_vector_space_not_by_its_plus() -> None:
    from plugrad import Box, Primitive, grad
    from plugrad.box import register_box_type
    from plugrad.vspace import register_vspace

    class TrimmedBox(Box):
        __slots__ = ()

    register_vspace(_Trimmed, _TrimmedVSpace)
    register_box_type(_Trimmed, TrimmedBox)
    at = Primitive("test.trimmed_at", lambda p, x: float(numpy.polyval(p.c[::-1], x)))
    at.def_vjp(lambda g, ans, p, x: _Trimmed(g * x ** numpy.arange(len(p.c))), None)
    g = grad(lambda p: at(p, 1.0) + at(p, 2.0))(_Trimmed([1.0, 2.0, 3.0]))
    assert g.c.tolist() == [2.0, 3.0, 5.0]  # (1, 1, 1) + (1, 2, 4), not their maximum


def test_a_vector_space_factory_that_returns_no_vspace_is_named_at_the_first_value() -> None:
    from plugrad.vspace import register_vspace

    class Odd:
        pass

    def not_a_space(value: Any) -> None:
        return None

    register_vspace(Odd, not_a_space)
    for _ in range(2):  # (not cached: said again)
        with pytest.raises(TypeError, match=r"factory '.*not_a_space' registered for .*Odd returned None, not a plugrad.VSpace"):
            vspace(Odd())


def test_a_value_of_a_class_a_pack_registered_under_a_re_exported_name_is_told_the_right_name(named_types: Any) -> None:
    (named_types / "lazy_values.py").write_text("class Coeffs:\n    pass\n")
    (named_types / "lazy_things.py").write_text("from lazy_values import Coeffs\n")
    import lazy_values

    from plugrad.vspace import register_vspace

    register_vspace("lazy_things.Coeffs", ScalarVSpace, by="pack lazy")
    with pytest.raises(NotDifferentiableError, match=r"type lazy_values.Coeffs. Pack lazy registered the type as 'lazy_things.Coeffs', but values are matched by their class's own module and __qualname__, 'lazy_values.Coeffs': register that name"):
        vspace(lazy_values.Coeffs())
