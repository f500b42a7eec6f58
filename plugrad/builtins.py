"""Differentiable containers: lists, tuples, named tuples and dicts of traced values.

``plugrad.builtins.list``, ``tuple`` and ``dict`` build containers that stay
traced, so a function may return or take a structure of parameters;
``isinstance`` and ``type`` look through boxes. Indexing a traced container is
the primitive :data:`take`; its transpose :data:`untake` places a value into a
container of zeros.
"""

from __future__ import annotations

import builtins as _py
import operator
from collections.abc import Iterable, Iterator
from typing import Any

from plugrad.box import Box, getval, register_box_type
from plugrad.primitive import Primitive, binary_method

__all__ = [
    "list",
    "tuple",
    "dict",
    "isinstance",
    "type",
    "take",
    "untake",
    "container_take",
    "container_untake",
    "SequenceBox",
    "DictBox",
]


def _untake(x: Any, index: Any, space: Any) -> Any:
    from plugrad.vspace import DictVSpace, SequenceVSpace

    zeros = space.zeros()
    if _py.isinstance(space, SequenceVSpace):
        elems = _py.list(zeros)
        elems[index] = x
        return elems if space.kind is _py.list else (_py.tuple(elems) if space.kind is _py.tuple else space.kind(*elems))
    if _py.isinstance(space, DictVSpace):
        items = _py.dict(zeros)
        items[index] = x
        return space.kind(items)
    # An array read element by element (a rule's cotangent for a list may be an array).
    zeros[index] = x
    return zeros


# operator.getitem: a C function, so reading a parameter out of a traced list costs no frame.
take = Primitive("builtins.take", operator.getitem, doc="``container[index]``, differentiably.")
untake = Primitive("builtins.untake", _untake, doc="A container of zeros with ``x`` at ``index``.")


def _space(x: Any) -> Any:
    from plugrad.vspace import vspace

    return vspace(x)


take.def_vjp(lambda g, ans, container, index: untake(g, index, _space(container)))
take.def_jvp(lambda t, ans, container, index: take(t, index))
untake.def_vjp(lambda g, ans, x, index, space: take(g, index))
untake.def_jvp(lambda t, ans, x, index, space: untake(t, index, space))
container_take, container_untake = take, untake  # autograd's names


# The containers' rules serve every traced element in one call (def_vjp_argnums), so a
# container of n traced values costs O(n) to pull back, not O(n) per element.
def _sequence_vjp(offset: int) -> Any:
    return lambda argnums, g, ans, *args: [take(g, argnum - offset) for argnum in argnums]


def tangents_in_order(argnums: Any, ts: Any, args: Any, offset: int) -> _py.list[Any]:
    """The tangents of ``args[offset:]`` in order, for a ``def_jvp_argnums`` rule: ``ts`` for
    the arguments numbered ``argnums``, zeros elsewhere (one pass, however many there are)."""
    given = _py.dict(_py.zip(argnums, ts))
    return [given[j] if j in given else _space(args[j]).zeros() for j in _py.range(offset, _py.len(args))]


make_tuple = Primitive("builtins.make_tuple", lambda *args: args)
make_tuple.def_vjp_argnums(_sequence_vjp(0))
make_tuple.def_jvp_argnums(lambda argnums, ts, ans, *args: make_tuple(*tangents_in_order(argnums, ts, args, 0)))
make_list = Primitive("builtins.make_list", lambda *args: _py.list(args))
make_list.def_vjp_argnums(_sequence_vjp(0))
make_list.def_jvp_argnums(lambda argnums, ts, ans, *args: make_list(*tangents_in_order(argnums, ts, args, 0)))


def _make_sequence(kind: Any, *args: Any) -> Any:
    if kind is _py.tuple or kind is _py.list:
        return kind(args)
    return kind(*args)  # a named tuple


make_sequence = Primitive("builtins.make_sequence", _make_sequence)
make_sequence.def_vjp_argnums(_sequence_vjp(1))
make_sequence.def_jvp_argnums(
    lambda argnums, ts, ans, kind, *args: make_sequence(kind, *tangents_in_order(argnums, ts, (kind, *args), 1))
)


def _make_dict(kind: Any, keys: Any, *values: Any) -> Any:
    return kind(_py.zip(keys, values))


def _dict_vjp(argnums: Any, g: Any, ans: Any, kind: Any, keys: Any, *values: Any) -> Any:
    return [take(g, keys[argnum - 2]) for argnum in argnums]


def _dict_jvp(argnums: Any, ts: Any, ans: Any, kind: Any, keys: Any, *values: Any) -> Any:
    return make_dict(kind, keys, *tangents_in_order(argnums, ts, (kind, keys, *values), 2))


make_dict = Primitive("builtins.make_dict", _make_dict)
make_dict.def_vjp_argnums(_dict_vjp).def_jvp_argnums(_dict_jvp)


# A container's cotangent holds None for an element not used (a zero): their rules pass it on.
for _prim in (take, untake, make_tuple, make_list, make_sequence, make_dict):
    _prim.none_is_zero = True


def make_mapping(kind: Any, items: Any) -> Any:
    """A dict (or dict subclass ``kind``) whose values may be traced."""
    items = _py.dict(items)
    return make_dict(kind, _py.tuple(items), *items.values())


def pack(value: Any) -> Any:
    """A plain list, tuple or dict holding traced values, as one traced container."""
    if _py.isinstance(value, (_py.list, _py.tuple)):
        elems = [pack(e) for e in value]
        if not _py.any(_py.isinstance(e, Box) for e in elems):
            return value
        kind = _py.type(value)
        if kind is _py.list:
            return make_list(*elems)
        return make_tuple(*elems) if kind is _py.tuple else make_sequence(kind, *elems)
    if _py.isinstance(value, _py.dict):
        items = {k: pack(v) for k, v in value.items()}
        if not _py.any(_py.isinstance(v, Box) for v in items.values()):
            return value
        return make_mapping(_py.type(value), items)
    return value


class _Kind(_py.type):
    """The metaclass of :class:`tuple`, :class:`list` and :class:`dict`: an instance of
    one is any value whose plain kind it names, traced or not, so ``isinstance(x,
    plugrad.builtins.list)`` holds for a list, a list subclass, and a traced list."""

    _plain: _py.type

    def __instancecheck__(cls, obj: Any) -> bool:
        return _py.isinstance(getval(obj), cls._plain)


class tuple(_py.tuple, metaclass=_Kind):  # type: ignore[type-arg]  # noqa: A001 - autograd's name
    """A tuple that stays traced when its elements are: calling the class builds one."""

    _plain = _py.tuple

    def __new__(cls, iterable: Iterable[Any] = ()) -> Any:
        return make_tuple(*iterable)


class list(_py.list, metaclass=_Kind):  # type: ignore[type-arg]  # noqa: A001 - autograd's name
    """A list that stays traced when its elements are: calling the class builds one."""

    _plain = _py.list

    def __new__(cls, iterable: Iterable[Any] = ()) -> Any:
        return make_list(*iterable)


class dict(_py.dict, metaclass=_Kind):  # type: ignore[type-arg]  # noqa: A001 - autograd's name
    """A dict that stays traced when its values are: calling the class builds one."""

    _plain = _py.dict

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return make_mapping(_py.dict, _py.dict(*args, **kwargs))


def isinstance(obj: Any, classinfo: Any) -> bool:  # noqa: A001 - autograd's name
    """``isinstance`` of the value under any boxes."""
    return _py.isinstance(getval(obj), classinfo)


def type(obj: Any) -> Any:  # noqa: A001 - autograd's name
    """``type`` of the value under any boxes."""
    return _py.type(getval(obj))


class SequenceBox(Box):
    """A traced list or tuple: indexing, ``len`` and iteration stay traced."""

    __slots__ = ()
    _sequence = True

    __getitem__ = binary_method(take)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        # Every element at once (unpacking, as in ``w, b = params``, reads them all).
        read = take._apply2
        return iter([read(self, i) for i in range(len(self._value))])

    def index(self, value: Any, *bounds: Any) -> int:
        return self._value.index(getval(value), *bounds)  # type: ignore[no-any-return]

    def count(self, value: Any) -> int:
        return self._value.count(getval(value))  # type: ignore[no-any-return]

    def __add__(self, other: Any) -> Any:
        return _join(self, other)

    def __radd__(self, other: Any) -> Any:
        return _join(other, self)

    def __getattr__(self, name: str) -> Any:
        # Fields of a traced named tuple.
        kind = _py.type(getval(self))
        fields = getattr(kind, "_fields", ())
        if name in fields:
            return take(self, fields.index(name))
        raise AttributeError(f"{kind.__name__} has no attribute {name!r}")


def _join(left: Any, right: Any) -> Any:
    """``left + right`` for two lists or two tuples, one of them or both traced: a traced
    list or tuple (a tuple for a named tuple, as Python's ``+`` gives)."""
    lv, rv = getval(left), getval(right)
    if not (_py.isinstance(lv, (_py.list, _py.tuple)) and _py.isinstance(rv, (_py.list, _py.tuple))):
        return NotImplemented
    if _py.isinstance(lv, _py.list) != _py.isinstance(rv, _py.list):
        return NotImplemented  # a list and a tuple: Python's TypeError
    elems = [*_elements(left), *_elements(right)]
    return make_list(*elems) if _py.isinstance(lv, _py.list) else make_tuple(*elems)


def _elements(seq: Any) -> _py.list[Any]:
    if _py.isinstance(seq, Box):
        return [take(seq, i) for i in range(len(seq._value))]
    return _py.list(seq)


class DictBox(Box):
    """A traced dict: indexing, ``keys``, ``values``, ``items`` and iteration."""

    __slots__ = ()

    __getitem__ = binary_method(take)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._value)

    def __contains__(self, key: Any) -> bool:
        return key in self._value

    # Lists, as autograd's DictBox gives (it indexes them: d.values()[0]).
    def keys(self) -> _py.list[Any]:
        return _py.list(self._value.keys())

    def values(self) -> _py.list[Any]:
        return [take(self, k) for k in self._value]

    def items(self) -> _py.list[_py.tuple[Any, Any]]:
        return [(k, take(self, k)) for k in self._value]

    def iterkeys(self) -> Iterator[Any]:
        return iter(self._value)

    def itervalues(self) -> Iterator[Any]:
        return (take(self, k) for k in self._value)

    def iteritems(self) -> Iterator[Any]:
        return ((k, take(self, k)) for k in self._value)

    def get(self, key: Any, default: Any = None) -> Any:
        return take(self, key) if key in self._value else default


register_box_type(_py.tuple, SequenceBox)
register_box_type(_py.list, SequenceBox)
register_box_type(_py.dict, DictBox)
