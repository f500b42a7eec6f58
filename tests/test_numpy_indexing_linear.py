"""Indexing and selection, sorting, products and the remaining elementwise functions of
the numpy pack: every primitive through the gradient checker, the composites through
check_grads, and gradients end to end through ``plugrad.numpy``."""

from __future__ import annotations

from typing import Any

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import NonDifferentiable, Primitive, grad
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

PRIMITIVES = [
    "_getitem", "_untake", "_where", "clip", "take", "take_along_axis", "nan_to_num",
    "sort", "partition",
    "matmul", "dot", "vdot", "inner", "outer", "tensordot", "_einsum", "kron", "cross",
    "vecdot", "matvec", "vecmat",
    "angle", "i0", "_i1", "_fractional_part",
]  # fmt: skip
NEWER = {"vecdot": "2.0", "matvec": "2.2", "vecmat": "2.2"}  # NumPy versions that added them
PRIMITIVES = [name for name in PRIMITIVES if name not in NEWER or hasattr(numpy, name)]


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = plugrad.default_registry().lookup(f"numpy.{name}")
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


@pytest.mark.parametrize("name", ["argsort", "argpartition", "lexsort", "searchsorted"])
def test_nondifferentiable(name: str) -> None:
    assert isinstance(plugrad.default_registry().lookup(f"numpy.{name}"), NonDifferentiable)


def _r(*shape: int, seed: int = 0) -> numpy.ndarray:
    return numpy.random.default_rng(seed).uniform(-1.0, 1.0, shape)


MASK = numpy.array([[True, False, True], [False, False, True]])

# Composites, checked in both modes to second order with respect to their first argument.
COMPOSITES = {
    "where": (lambda x: np.where(MASK, x, 2 * x[0]), _r(2, 3)),
    "where raw numpy": (lambda x: numpy.where(MASK, x * x, 0.0), _r(2, 3)),
    "choose": (lambda x: np.choose(numpy.array([0, 2, 1, 2]), [x, x * x, 3.0]), _r(4)),
    "choose wrap": (lambda x: np.choose(numpy.array([[0], [5]]), [x, -x, np.sin(x)], mode="wrap"), _r(3)),
    "choose array": (lambda x: np.choose(numpy.array([1, 0, 1]), x), _r(2, 3)),
    "select": (lambda x: np.select([x > 0.5, x < -0.5], [x, x * x], default=np.cos(x)), _r(6)),
    "compress": (lambda x: np.compress([True, False, True], x, axis=1), _r(2, 3)),
    "compress flat": (lambda x: np.compress(numpy.array([0, 1, 1, 0, 1]), x), _r(2, 3)),
    "extract": (lambda x: np.extract(MASK, x), _r(2, 3)),
    "einsum implicit": (lambda x: np.einsum("ij,jk", x, x.T), _r(2, 3)),
    "einsum ellipsis": (lambda x: np.einsum("...ij,...j->...i", x, x[0, 0]), _r(2, 3, 3)),
    "einsum trace": (lambda x: np.einsum("ii", x), _r(3, 3)),
    "einsum sublists": (lambda x: np.einsum(x, [0, 1], x, [1, 2], [0, 2]), _r(3, 3)),
    "modf": (lambda x: np.modf(x)[0] * 2, _r(5) * 3),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_composite(name: str) -> None:
    fun, x = COMPOSITES[name]
    check_grads(fun, modes=("fwd", "rev"), order=2)(x)


EINSUMS = [
    ("ij,jk", (2, 3), (3, 4)),
    ("ij,jk->ki", (2, 3), (3, 4)),
    ("ii", (3, 3)),
    ("ii->i", (3, 3)),
    ("ji", (2, 3)),
    ("a,B", (2,), (3,)),
    ("...ij,...jk", (5, 2, 3), (3, 4)),
    ("ij...,jk...->ik...", (2, 3, 5), (3, 4, 1)),
    ("i...i", (3, 2, 3)),
    ("b...,c", (2, 3), (4,)),
    ("i ,i", (3,), (3,)),
    (",i->i", (), (3,)),
]


@pytest.mark.parametrize("case", EINSUMS, ids=[c[0] for c in EINSUMS])
def test_einsum_matches_numpy(case: tuple[Any, ...]) -> None:
    subscripts, *shapes = case
    ops = [_r(*s, seed=k) for k, s in enumerate(shapes)]
    ours, theirs = np.einsum(subscripts, *ops), numpy.einsum(subscripts, *ops)
    assert numpy.shape(ours) == numpy.shape(theirs)
    numpy.testing.assert_allclose(ours, theirs)


def test_einsum_missing_ellipsis_in_output() -> None:
    with pytest.raises(ValueError, match="ellipsis"):
        np.einsum("...i->i", _r(2, 3))


def test_einsum_of_an_operand_whose_axis_another_broadcasts() -> None:
    # x's axis i has length 3, a's length 1: the cotangent must be broadcast back along it.
    x, a = _r(3, 4), _r(1, 4, seed=1)
    for subscripts in ("ij,ij->j", "i...,i...->..."):
        g = grad(lambda x: np.sum(np.einsum(subscripts, x, a) ** 2))(x)
        numpy.testing.assert_allclose(g, numpy.broadcast_to(2 * numpy.einsum(subscripts, x, a) * a, x.shape))
    numpy.testing.assert_allclose(grad(lambda a: np.sum(np.einsum("ij,ij->j", x, a)))(a), x.sum(0, keepdims=True))
    empty = grad(lambda x: np.sum(np.einsum("...ij,...jk->...ik", x, numpy.ones((0, 3, 4)))))(numpy.ones((0, 2, 3)))
    assert empty.shape == (0, 2, 3)  # (a length 0 is a length, not a broadcast 1)


def test_where_with_a_mask() -> None:
    x = numpy.array([-1.0, 2.0, -3.0])
    g = grad(lambda x: np.sum(np.where(x > 0, x**2, -x)))(x)
    numpy.testing.assert_allclose(g, [-1.0, 4.0, -1.0])
    assert len(np.where(numpy.array([0, 1, 1]))[0]) == 2  # the one-argument form


def test_sort_gradient_follows_the_permutation() -> None:
    x = numpy.array([3.0, 1.0, 2.0])
    weights = numpy.array([1.0, 10.0, 100.0])
    g = grad(lambda x: np.sum(np.sort(x) * weights))(x)
    numpy.testing.assert_allclose(g, [100.0, 1.0, 10.0])


def test_sort_ties_follow_the_stable_order() -> None:
    x = numpy.array([2.0, 1.0, 2.0])
    g = grad(lambda x: np.sum(np.sort(x) * numpy.array([1.0, 10.0, 100.0])))(x)
    numpy.testing.assert_allclose(g, [10.0, 1.0, 100.0])


def test_einsum_matmul() -> None:
    a, b = _r(2, 3), _r(3, 4, seed=1)
    g = grad(lambda a: np.sum(np.einsum("ij,jk->ik", a, b)))(a)
    numpy.testing.assert_allclose(g, numpy.broadcast_to(b.sum(1), (2, 3)))


def test_box_dot_method() -> None:
    a, b = _r(2, 3), _r(3, seed=1)
    g = grad(lambda a: np.sum(a.dot(b)))(a)
    numpy.testing.assert_allclose(g, numpy.broadcast_to(b, (2, 3)))


def test_clip_is_differentiable_in_numpy_2s_min_and_max_keywords() -> None:
    x = numpy.array([0.0, 1.0, 2.0, 3.0])
    assert grad(lambda lo: np.sum(np.clip(x, min=lo, max=2.5)))(0.5) == 1.0
    numpy.testing.assert_allclose(grad(lambda hi: np.sum(np.clip(x, min=0.5, max=hi)))(numpy.full(4, 2.5)), [0, 0, 0, 1])
    check_grads(lambda lo, hi: np.clip(x, min=lo, max=hi), modes=["fwd", "rev"], order=2)(0.5, 2.5)


def test_a_traced_keyword_only_argument_is_refused_with_advice_that_can_be_followed() -> None:
    import plugrad.scipy.special as sp

    with pytest.raises(plugrad.TraceError, match=r"takes by keyword only.*pass a constant as constant_values="):
        grad(lambda c: np.sum(np.pad(numpy.ones(2), 1, constant_values=c)))(2.0)
    with pytest.raises(plugrad.TraceError, match=r"numpy.sum takes no keyword argument 'wieghts'"):
        grad(lambda w: np.sum(numpy.ones(3) * w, wieghts=w))(2.0)
    with pytest.raises(plugrad.TraceError, match=r"keyword argument 'z'.*Pass it positionally \(argument 1\)"):
        grad(lambda z: sp.jv(1.0, z=z))(2.0)  # (a ufunc takes no keywords; its documented name is z)


def test_clip_at_the_bounds_passes_to_x() -> None:
    x = numpy.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    g = grad(lambda x: np.sum(np.clip(x, -1.0, 1.0)))(x)
    numpy.testing.assert_allclose(g, [0.0, 1.0, 1.0, 1.0, 0.0])
    lo = grad(lambda lo: np.sum(np.clip(x, lo, 1.0)), 0)(-1.0)
    assert lo == 1.0  # only x = -2 is below; x = -1 sits on the bound and goes to x


def test_vdot_conjugates_its_first_argument() -> None:
    a, b = numpy.array([1 + 2j, 3 - 1j]), numpy.array([2 - 1j, 1j])
    check_grads(lambda a: np.vdot(a, b), modes=("fwd", "rev"))(a)
    check_grads(lambda b: np.vdot(a, b), modes=("fwd", "rev"))(b)
    g = grad(lambda a: np.real(np.vdot(a, b)))(a)
    numpy.testing.assert_allclose(g, numpy.conj(b))  # d Re(conj(a) b) pairs with conj(b)


def test_nan_to_num_gradient_is_zero_where_replaced() -> None:
    x = numpy.array([1.0, numpy.nan, numpy.inf, -2.0])
    g = grad(lambda x: np.sum(np.nan_to_num(x) * 0.5))(x)
    numpy.testing.assert_allclose(g, [0.5, 0.0, 0.0, 0.5])


def test_matmul_and_dot_with_a_constant_written_as_a_list():
    x = numpy.array([0.5, -1.0, 2.0])
    numpy.testing.assert_array_equal(grad(lambda v: np.matmul(v, [1.0, 2.0, 3.0]))(x), [1.0, 2.0, 3.0])
    numpy.testing.assert_array_equal(grad(lambda v: np.sum(np.matmul([[1.0, 2.0, 3.0]], v)))(x), [1.0, 2.0, 3.0])
    numpy.testing.assert_array_equal(grad(lambda v: np.dot(v, [1.0, 2.0, 3.0]))(x), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_reading_an_array_piece_by_piece_adds_every_read(dtype: str) -> None:
    # From the third read of x on, each read's cotangent is added into the sum in place.
    x = (numpy.arange(12.0).reshape(4, 3) / 7).astype(dtype)

    def f(x):
        total = 0.0
        for i in range(4):
            total = total + np.sum(np.sin(x[i]) * (i + 1))  # rows
            total = total + np.sin(x[i, 1]) * 2.0  # single elements (NumPy scalars)
        total = total + np.sum(x[numpy.array([0, 2, 0, 0])] ** 2)  # repeated rows
        total = total + np.sum(x[x.real > 0.5] * 3.0)  # a mask
        total = total + np.sum(x[1:, ::2] * x[:-1, 1:])  # overlapping slices
        return np.real(total)

    g = grad(f)(x)
    assert g.dtype == x.dtype
    expected = numpy.zeros_like(x)
    for i in range(4):
        expected[i] += numpy.cos(x[i]) * (i + 1)
        expected[i, 1] += numpy.cos(x[i, 1]) * 2.0
    for i in (0, 2, 0, 0):
        expected[i] += 2 * x[i]
    expected[x.real > 0.5] += 3.0
    expected[1:, ::2] += x[:-1, 1:]
    expected[:-1, 1:] += x[1:, ::2]
    if dtype == "complex128":
        expected = expected.conj()  # the cotangent of a real function of a complex argument
    tol = 1e-5 if dtype == "float32" else 1e-12
    numpy.testing.assert_allclose(g, expected, rtol=tol, atol=tol)
