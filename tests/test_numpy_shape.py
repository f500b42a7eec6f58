"""Shape manipulation, joining and splitting in the numpy pack: every primitive
through the gradient checker, the composites through check_grads, and gradients
end to end through ``plugrad.numpy``."""

from __future__ import annotations

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import Primitive, builtins, grad, jacobian, make_jvp
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

PRIMITIVES = [
    "_reshape", "broadcast_to", "transpose", "_ravel", "expand_dims", "squeeze", "swapaxes",
    "moveaxis", "matrix_transpose", "permute_dims", "copy", "flip", "fliplr", "flipud", "roll",
    "rot90", "triu", "tril", "tile", "repeat", "pad", "diag", "diagflat", "diagonal", "trace",
    "delete", "insert", "_concatenate", "_stack",
]  # fmt: skip


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = plugrad.default_registry().lookup(f"numpy.{name}")
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


@pytest.fixture
def x() -> numpy.ndarray:
    return numpy.random.default_rng(0).standard_normal((2, 3))


# Functions returning several arrays give a plain list or tuple, as NumPy does;
# builtins.tuple makes it a traced output.
COMPOSITES = {
    "array nested": lambda x: np.array([[x[0, 0], 1.0], [x[1, 2], x[0, 1] * x[1, 1]]]),
    "array of arrays": lambda x: np.array([x[0], x[1], x[0] * 2]),
    "array ndmin": lambda x: np.array(x, ndmin=4),
    "asarray tuple": lambda x: np.asarray((x[0, 0], x[1, 1], 0.5)),
    "asanyarray": lambda x: np.asanyarray([x, x]),
    "ascontiguousarray": lambda x: np.ascontiguousarray(x[0, 0]),
    "concatenate": lambda x: np.concatenate([x, numpy.ones((1, 3)), x * 2]),
    "concatenate axis -1": lambda x: np.concatenate((x, x[:, :1]), axis=-1),
    "concatenate axis None": lambda x: np.concatenate([x, x[0], [1.0]], axis=None),
    "concatenate a traced array": lambda x: np.concatenate(x),
    "concat": lambda x: np.concat((x, x), axis=1),
    "stack": lambda x: np.stack([x, x**2]),
    "stack axis -1": lambda x: np.stack((x[0], x[1]), axis=-1),
    "hstack": lambda x: np.hstack([x, x]),
    "hstack 1-d": lambda x: np.hstack([x[0], 1.0, x[1]]),
    "vstack": lambda x: np.vstack([x, x[0]]),
    "dstack": lambda x: np.dstack([x, x]),
    "column_stack": lambda x: np.column_stack([x[0], x.T, x[1]]),
    "block 2-d": lambda x: np.block([[x, x], [x, numpy.zeros((2, 3))]]),
    "block 1-d": lambda x: np.block([x[0], 1.0, x[1]]),
    "append": lambda x: np.append(x, x[0]),
    "append axis": lambda x: np.append(x, x, axis=0),
    "split": lambda x: np.split(x, 3, axis=1)[1],
    "split at indices": lambda x: np.split(x, [1, 1], axis=-1)[2],
    "array_split": lambda x: np.array_split(x, 2, axis=1)[1],
    "hsplit": lambda x: np.hsplit(x, [1])[1],
    "vsplit": lambda x: np.vsplit(x, 2)[1],
    "dsplit": lambda x: np.dsplit(x[..., None] * x[:, :, None], [2])[0],
    "unstack": lambda x: np.unstack(x, axis=-1)[2],
    "meshgrid xy": lambda x: builtins.tuple(np.meshgrid(x[0], x[1, :2])),
    "meshgrid ij sparse": lambda x: builtins.tuple(np.meshgrid(x[0], x[1, :2], indexing="ij", sparse=True)),
    "broadcast_arrays": lambda x: builtins.tuple(np.broadcast_arrays(x, x[0], 1.0)),
    "atleast_1d": lambda x: np.atleast_1d(x[0, 0]),
    "atleast_2d several": lambda x: builtins.tuple(np.atleast_2d(x[0], x)),
    "atleast_3d": lambda x: np.atleast_3d(x),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_composite(name: str, x: numpy.ndarray) -> None:
    check_grads(COMPOSITES[name])(x)


def test_composites_are_registered() -> None:
    registry = plugrad.default_registry()
    for name in ["array", "asarray", "concatenate", "stack", "split", "block", "meshgrid", "atleast_2d"]:
        assert isinstance(registry.lookup(f"numpy.{name}"), plugrad.Composite), name


def test_grad_through_array_of_traced_scalars() -> None:
    assert grad(lambda x: np.sum(np.array([x, 2 * x]) ** 2))(1.5) == pytest.approx(15.0)
    assert grad(lambda x: np.trace(np.array([[x, 1.0], [0.0, 3 * x]])))(2.0) == pytest.approx(4.0)


def test_grad_through_concatenate_of_traced_and_constant() -> None:
    g = grad(lambda x: np.sum(np.concatenate([x, numpy.ones(2), x * 2]) ** 2))(numpy.arange(3.0))
    numpy.testing.assert_allclose(g, 10 * numpy.arange(3.0))


@pytest.mark.parametrize("join", ["concatenate", "concatenate_flat", "stack", "array"])
def test_joining_many_traced_pieces_among_constants(join: str) -> None:
    # Every traced piece's cotangent and tangent comes from one rule call per join.
    def f(x):
        pieces = [x[i] * (i + 1.0) if i % 3 else numpy.full(2, float(i)) for i in range(40)]
        if join == "concatenate":
            joined = np.concatenate(pieces)
        elif join == "concatenate_flat":
            joined = np.concatenate([p[None, :] for p in pieces], axis=None)
        elif join == "stack":
            joined = np.stack(pieces, axis=1)
        else:
            joined = np.array([p[1] for p in pieces])
        return np.sum(np.sin(joined))

    x = numpy.linspace(0, 1, 80).reshape(40, 2)
    check_grads(f, modes=["rev", "fwd"], order=1)(x)
    g = grad(f)(x)
    assert not g[::3].any() and g[1:].any()


def test_fromiter_of_traced_values_is_differentiable() -> None:
    # numpy.fromiter converts each element with float() (autograd's fails the same way);
    # plugrad's stacks traced elements, and hands any other iterable to NumPy unread.
    def f(x):
        return np.fromiter((np.sin(x * k) for k in range(4)), float, count=3)

    x = 0.7
    numpy.testing.assert_allclose(jacobian(f)(x), numpy.cos(x * numpy.arange(3.0)) * numpy.arange(3.0))
    check_grads(lambda x: np.sum(f(x) ** 2), modes=["rev", "fwd"], order=2)(x)
    assert np.fromiter(iter([1, 2, 3]), numpy.float32).dtype == numpy.float32
    numpy.testing.assert_array_equal(np.fromiter((k * k for k in range(9)), int, 3), [0, 1, 4])
    with pytest.raises(ValueError, match=r"^iterator too short: Expected 5 but iterator had only 2 items\.$"):
        grad(lambda x: np.sum(np.fromiter([x, x], float, 5)))(1.0)


def test_split_pieces_used_partially() -> None:
    g = grad(lambda x: np.sum(np.split(x, 3)[1] ** 2))(numpy.arange(6.0))
    numpy.testing.assert_allclose(g, [0, 0, 4, 6, 0, 0])


def test_stack_along_last_axis() -> None:
    g = grad(lambda x: np.sum(np.stack([x, x**2], axis=-1)[:, 1]))(numpy.arange(3.0))
    numpy.testing.assert_allclose(g, [0, 2, 4])


def test_forward_mode_through_stack_and_split() -> None:
    y, t = make_jvp(lambda x: np.stack(np.split(x, 2)))(numpy.arange(4.0))(numpy.ones(4))
    numpy.testing.assert_allclose(y, [[0, 1], [2, 3]])
    numpy.testing.assert_allclose(t, numpy.ones((2, 2)))


def test_float32_cotangents_stay_float32() -> None:
    x = numpy.arange(3, dtype=numpy.float32)
    g = grad(lambda x: np.sum(np.concatenate([np.flip(x), np.pad(x, 1, "reflect")])))(x)
    assert g.dtype == numpy.float32
    numpy.testing.assert_allclose(g, [2, 4, 2])


def test_methods_and_raw_numpy_dispatch() -> None:
    def f(x):
        return numpy.concatenate([x.repeat(2), x.diagonal(), [x.trace(), x.copy().sum()]])

    check_grads(f)(numpy.random.default_rng(1).standard_normal((2, 2)))


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("array", ([1, 2],), {}),
        ("array", ([[1, 2]],), {"dtype": numpy.float32}),
        ("array", (3,), {"ndmin": 2}),
        ("asarray", ([1.0, 2.0],), {"dtype": complex}),
        ("ascontiguousarray", (5.0,), {}),
        ("concatenate", ([[1], [2, 3]],), {}),
        ("stack", ([[1, 2], [3, 4]],), {"axis": 1}),
        ("block", ([[1, 2], [3, 4]],), {}),
        ("append", ([1, 2], 3), {}),
        ("meshgrid", ([1, 2], [3]), {}),
        ("split", (numpy.arange(4), 2), {}),
        ("atleast_2d", (1, [2]), {}),
    ],
)
def test_plain_values_give_numpy_results(name: str, args: tuple, kwargs: dict) -> None:
    ours, theirs = getattr(np, name)(*args, **kwargs), getattr(numpy, name)(*args, **kwargs)
    assert type(ours) is type(theirs)
    for a, b in zip(*map(_arrays, (ours, theirs)), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        numpy.testing.assert_array_equal(a, b)


def _arrays(x: object) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _layouts() -> dict[str, numpy.ndarray]:
    base = numpy.arange(1.0, 25.0).reshape(4, 3, 2)  # distinct values: each names its element
    return {
        "Fortran": numpy.asfortranarray(base[0]),
        "strided": base[::2].transpose(1, 0, 2),
        "reversed": base[:, ::-1],
        "broadcast": numpy.broadcast_to(base[0, :, :1], (3, 4)),
        "broadcast, transposed": numpy.broadcast_to(base[:3, :2, :1], (3, 2, 5)).transpose(2, 0, 1),
    }


def _weights_at(x: numpy.ndarray, flat: numpy.ndarray, w: numpy.ndarray) -> numpy.ndarray:
    """The gradient of sum(flat * w), where flat holds each element of x once, in some order:
    found by value where x's values are distinct, else in the order NumPy's iterator visits
    x (a broadcast, whose elements share memory; none of these layouts has a negative stride)."""
    if numpy.unique(x).size == x.size:
        position = {v: k for k, v in enumerate(flat.tolist())}
        return numpy.vectorize(lambda v: w[position[v]])(x)
    grad_ = numpy.zeros(x.shape)
    visits = numpy.nditer(x, flags=["multi_index"], order="K")
    for k, _ in enumerate(visits):
        grad_[visits.multi_index] = w[k]
    return grad_


@pytest.mark.parametrize("layout", ["Fortran", "strided", "reversed", "broadcast", "broadcast, transposed"])
@pytest.mark.parametrize("order", ["A", "K"])
def test_ravel_in_memory_order_differentiates_in_that_order(layout: str, order: str) -> None:
    # orders "A" and "K" read x as it lies in memory; its derivative must too, whatever the
    # layout of the tangent
    x = _layouts()[layout]
    w = numpy.linspace(1.0, 2.0, x.size)
    flat = numpy.ravel(x, order=order)
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(np.ravel(x, order=order) * w))(x), _weights_at(x, flat, w))
    tangent = numpy.ascontiguousarray(x * 10.0)  # the same values, laid out in C order
    numpy.testing.assert_array_equal(make_jvp(lambda x: np.ravel(x, order=order))(x)(tangent)[1], 10.0 * flat)
    numpy.testing.assert_array_equal(grad(lambda x: np.sum(x.flatten(order) * w))(x), _weights_at(x, flat, w))


def test_reshape_in_order_a_of_a_fortran_array() -> None:
    x = _layouts()["Fortran"]
    w = numpy.linspace(1.0, 2.0, 6)
    flat = numpy.reshape(x, (3, 2), order="A").ravel()
    fun = lambda x: np.sum(np.ravel(np.reshape(x, (3, 2), order="A")) * w)  # noqa: E731
    numpy.testing.assert_array_equal(grad(fun)(x), _weights_at(x, flat, w))
    tangent = numpy.ascontiguousarray(x)
    numpy.testing.assert_array_equal(make_jvp(lambda x: np.reshape(x, (3, 2), order="A"))(x)(tangent)[1], x.reshape(3, 2, order="F"))
