"""Nested containers of arrays as one flat vector, and back, differentiably.

``flatten(value)`` returns the leaves of ``value`` (arrays and numbers inside lists,
tuples, named tuples and dicts, nested as deep as you like) raveled and concatenated,
with a function that rebuilds the structure from such a vector. Dict entries are laid
out in sorted key order (insertion order where keys do not sort), so two dicts with
the same keys flatten alike. Leaves come back with their shapes and floating dtypes;
integer leaves come back as floats (the vector's dtype).

Both directions are linear primitives, each the other's transpose, so gradients flow
through ``flatten`` and through ``unflatten`` in either mode and to any order.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, gen, rand
from plugrad.box import getval
from plugrad.builtins import pack
from plugrad_numpy._util import unbroadcast


@dataclasses.dataclass(frozen=True)
class Leaf:
    """An array or number: its shape, its dtype, and whether it is a Python number
    (``float``/``complex``), a NumPy scalar or an array."""

    shape: tuple[int, ...]
    dtype: np.dtype
    kind: str  # "python", "scalar" or "array"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclasses.dataclass(frozen=True)
class Node:
    """A list, tuple, named tuple or dict: its type, keys (dicts), children, and the
    order in which the children are laid out in the vector."""

    kind: type
    keys: tuple[Any, ...] | None
    children: tuple[Any, ...]
    layout: tuple[int, ...]


def structure(value: Any, path: str = "value") -> Leaf | Node:
    """The structure of a plain (untraced) nested container."""
    if isinstance(value, (list, tuple)):
        children = tuple(structure(v, f"{path}[{i}]") for i, v in enumerate(value))
        return Node(type(value), None, children, tuple(range(len(children))))
    if isinstance(value, dict):
        keys = tuple(value)
        children = tuple(structure(value[k], f"{path}[{k!r}]") for k in keys)
        try:
            layout = tuple(sorted(range(len(keys)), key=lambda i: keys[i]))
        except TypeError:  # keys that do not sort: keep insertion order
            layout = tuple(range(len(keys)))
        return Node(type(value), keys, children, layout)
    if isinstance(value, (int, float, complex, np.generic, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind in "biufc":
            kind = (
                "array"
                if isinstance(value, np.ndarray)
                else "scalar"
                if isinstance(value, np.generic)
                else "python"
            )
            return Leaf(arr.shape, arr.dtype, kind)
    raise TypeError(
        f"flatten cannot flatten {path}, a {type(value).__name__}: its leaves must be numbers or "
        "numeric arrays, inside lists, tuples, named tuples and dicts"
    )


def _leaves(value: Any, tree: Leaf | Node) -> list[Any]:
    if isinstance(tree, Leaf):
        return [value]
    items = [value[tree.keys[i]] if tree.keys is not None else value[i] for i in tree.layout]
    return [leaf for i, item in zip(tree.layout, items) for leaf in _leaves(item, tree.children[i])]


def _flatten_fun(value: Any) -> np.ndarray:
    leaves = [np.ravel(leaf) for leaf in _leaves(value, structure(value))]
    flat = np.concatenate(leaves) if leaves else np.zeros(0)
    return flat if flat.dtype.kind in "fc" else flat.astype(np.float64)  # integer leaves become floats


def _rebuild(vector: np.ndarray, tree: Leaf | Node, start: int) -> tuple[Any, int]:
    if isinstance(tree, Leaf):
        piece = vector[start : start + tree.size]
        if tree.dtype.kind in "fc":
            piece = (piece.real if tree.dtype.kind == "f" else piece).astype(tree.dtype)
        piece = piece.reshape(tree.shape)
        if tree.kind == "python":
            piece = complex(piece) if piece.dtype.kind == "c" else float(piece)
        elif tree.kind == "scalar":
            piece = piece[()]
        return piece, start + tree.size
    children: list[Any] = [None] * len(tree.children)
    for i in tree.layout:
        children[i], start = _rebuild(vector, tree.children[i], start)
    if tree.keys is not None:
        return tree.kind(zip(tree.keys, children)), start
    if tree.kind in (list, tuple):
        return tree.kind(children), start
    return tree.kind(*children), start  # a named tuple


def _real_leaves(tree: Leaf | Node, start: int = 0) -> list[slice]:
    """Where the real leaves of a container of structure ``tree`` lie in its vector."""
    if isinstance(tree, Leaf):
        return [slice(start, start + tree.size)] if tree.dtype.kind not in "c" else []
    spans = []
    for i in tree.layout:
        spans += _real_leaves(tree.children[i], start)
        start += _size(tree.children[i])
    return spans


def _warn_if_imaginary_dropped(vector: Any, tree: Leaf | Node) -> None:
    """Warn, as NumPy's cast from complex to real does, where a complex ``vector`` has an
    imaginary part that the real leaves it rebuilds would drop (the derivative rules take
    the real part on purpose: a real leaf's cotangent is real)."""
    if not np.iscomplexobj(vector) or np.shape(vector) != (_size(tree),):
        return
    imag = np.imag(vector)
    if any(np.any(imag[span]) for span in _real_leaves(tree)):
        import warnings

        warnings.warn(
            "unflatten: the vector has an imaginary part where the container holds real "
            "numbers; it is discarded, as NumPy's cast from complex to real discards it. "
            "Make those leaves complex to keep it.",
            np.exceptions.ComplexWarning,
            stacklevel=3,
        )


def _size(tree: Leaf | Node) -> int:
    """How many numbers a container of structure ``tree`` holds."""
    if isinstance(tree, Leaf):
        return tree.size
    return sum(_size(child) for child in tree.children)


def _unflatten_fun(vector: Any, tree: Leaf | Node) -> Any:
    vector = np.asarray(vector)
    size = _size(tree)
    if vector.shape != (size,):  # (a longer vector would be cut short, a shorter one fail in reshape)
        raise ValueError(
            f"unflatten was given a vector of shape {vector.shape}, but the container it rebuilds "
            f"holds {size} numbers: give it a vector of shape ({size},), like the one flatten returned"
        )
    return _rebuild(vector, tree, 0)[0]


_flatten = Primitive(
    "misc._flatten",
    _flatten_fun,
    complex=True,
    saves=("args",),
    doc="The leaves of a container as one vector.",
)
_unflatten = Primitive(
    "misc._unflatten",
    _unflatten_fun,
    complex=True,
    saves=("shapes",),
    doc="A vector as a container shaped like ``tree``.",
)
_flatten.def_vjp(lambda g, ans, value: _unflatten(g, structure(getval(value))))
_flatten.def_jvp(lambda t, ans, value: _flatten(pack(t)))
_unflatten.def_vjp(lambda g, ans, vector, tree: unbroadcast(_flatten(pack(g)), vector))
_unflatten.def_jvp(lambda t, ans, vector, tree: _unflatten(t, tree))


def flatten(value: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(vector, unflatten)``: the leaves of ``value`` as one flat vector, and the function
    that rebuilds a container like ``value`` from such a vector. Both are differentiable."""
    packed = pack(value)  # a plain container of traced values becomes one traced value
    tree = structure(getval(packed))

    def unflatten(vector: Any) -> Any:
        _warn_if_imaginary_dropped(getval(vector), tree)
        return _unflatten(vector, tree)

    return _flatten(packed), unflatten


def flatten_func(
    func: Callable[..., Any], example: Any
) -> tuple[Callable[..., Any], Callable[[Any], Any], Any]:
    """``(flat_func, unflatten, flat_example)``: ``func`` of a container like ``example`` as a
    function of a flat vector (its output flattened too), with ``example`` flattened."""
    flat_example, unflatten = flatten(example)

    def flat_func(vector: Any, *args: Any, **kwargs: Any) -> Any:
        return flatten(func(unflatten(vector), *args, **kwargs))[0]

    return flat_func, unflatten, flat_example


FLATTEN = Composite("misc.flatten", flatten)
FLATTEN_FUNC = Composite("misc.flatten_func", flatten_func)


# -- samples -------------------------------------------------------------------------------


Pair = collections.namedtuple("Pair", "x y")


def _nested(rng: np.random.Generator, dtype: str) -> Any:
    def arr(*shape: int) -> Any:
        x = rng.uniform(-1, 1, shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.uniform(-1, 1, shape)
        return np.asarray(x, dtype)

    return {
        "w": [arr(2, 3), (arr(), arr(1))],
        "b": arr(2),
        "p": Pair(arr()[()], arr(2, 2)),
        "s": complex(arr()) if np.dtype(dtype).kind == "c" else float(arr()),
    }


_TREE = structure(
    {"w": [np.zeros((2, 3)), (np.zeros(()), np.zeros(1))], "b": np.zeros(2), "s": 0.0, "f": np.float32(0)}
)
_COMPLEX_TREE = structure([np.zeros(2, complex), 0j, (np.zeros((1, 2)),)])

_flatten.def_samples(
    Sample(gen(_nested)),
    Sample(rand(2, 3)),
    Sample(gen(lambda rng, dtype: [_nested(rng, dtype), _nested(rng, dtype)["p"]])),
)
_unflatten.def_samples(
    Sample(rand(12), _TREE),
    Sample(rand(5), _COMPLEX_TREE).only("complex128"),
    Sample(rand(6), structure(np.zeros((3, 2)))),
)
