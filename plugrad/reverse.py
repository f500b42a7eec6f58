"""Reverse mode: trace a function once, then pull cotangents back along the tape."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import builtins, debug
from plugrad.box import Box, Trace, box_type, holds_box
from plugrad.primitive import add_any, node_ans
from plugrad.builtins import take as _take
from plugrad.vspace import DictVSpace, SequenceVSpace, vspace

__all__ = ["make_vjp", "backward"]

_debugging = debug._enabled.get  # debug.enabled, one call cheaper
# Cotangent types whose ``+`` is vector addition (containers' ``+`` concatenates).
_PLUS = frozenset({float, complex, np.ndarray, np.float64, np.float32, np.complex128, np.complex64})


def make_vjp(fun: Callable[[Any], Any], x: Any) -> tuple[Callable[[Any], Any], Any]:
    """Trace ``fun`` at ``x``; return ``(vjp, fun(x))``, where ``vjp(g)`` pulls the
    cotangent ``g`` of the output back to a cotangent of ``x``."""
    trace = Trace()
    trace.nested = holds_box(x)
    start = box_type(x).new(x, trace)
    tape = trace.tape
    assert tape is not None
    tape.append((None, (), {}, x, ()))
    try:
        end = fun(start)
        if isinstance(end, (list, tuple, dict)):
            end = builtins.pack(end)  # a plain container of traced values
    finally:
        trace.close()
    if not (isinstance(end, Box) and end._trace is trace):
        warnings.warn(
            "Output seems independent of input; its derivative is zero.", UserWarning, stacklevel=3
        )
        space = vspace(x)
        return (lambda g: space.zeros()), end
    last, sites = end._index, trace.sites

    def vjp(g: Any) -> Any:
        return backward(tape, last, g, sites)

    return vjp, end._value


def backward(tape: list[tuple[Any, ...]], last: int, g: Any, sites: dict[int, str] | None = None) -> Any:
    """Accumulate cotangents from node ``last`` back to the start of ``tape``.

    The tape is in creation order, which is a topological order of the graph, so
    one reverse sweep visits every node after all of its consumers. The node layouts
    are described in :mod:`plugrad.primitive`; the two small ones are unpacked inline.
    """
    check = sites is not None or _debugging()
    cts: list[Any] = [None] * (last + 1)
    cts[last] = g
    for i in range(last, 0, -1):
        g = cts[i]
        if g is None:
            continue
        cts[i] = None  # release each cotangent as soon as it has been used
        if type(g) is _Parts:
            g = g.dense()
        node = tape[i]
        if check:
            node = _general(node)
        n = len(node)
        if n == 4:  # one traced argument
            prim, x, ans, j = node
            rules = prim.vjps
            rule = rules[0] if rules else None
            ct = (rule or prim.vjp_rule(0))(g, ans, x)
            prev = cts[j]
            cts[j] = ct if prev is None else _add(prev, ct)
        elif n == 6:  # two arguments
            prim, x, y, ans, jx, jy = node
            if prim is _take and _Parts.accepts(y):
                _take_back(cts, jx, x, y, g)
                continue
            rules = prim.vjps
            if jx >= 0:
                rule = rules[0] if rules else None
                ct = (rule or prim.vjp_rule(0))(g, ans, x, y)
                prev = cts[jx]
                cts[jx] = ct if prev is None else _add(prev, ct)
            if jy >= 0:
                rule = rules[1] if len(rules) > 1 else None
                ct = (rule or prim.vjp_rule(1))(g, ans, x, y)
                prev = cts[jy]
                cts[jy] = ct if prev is None else _add(prev, ct)
        else:
            prim, args, kwargs, ans, links = _general(node)
            if prim is _take and not check and _Parts.accepts(args[1]):
                _take_back(cts, links[0][1], args[0], args[1], g)
                continue
            for argnum, j in links:
                ct = prim.vjp_rule(argnum)(g, ans, *args, **kwargs)
                if check:
                    debug.check_cotangent(prim, argnum, ct, node_ans(tape[j]), args, (sites or {}).get(i))
                prev = cts[j]
                cts[j] = ct if prev is None else _add(prev, ct)
    result = cts[0]
    if result is None:
        return vspace(tape[0][3]).zeros()
    if type(result) is _Parts:
        return result.dense()
    return result


def _general(node: tuple[Any, ...]) -> tuple[Any, ...]:
    """Any tape node in the general layout ``(prim, args, kwargs, ans, links)``."""
    n = len(node)
    if n == 5:
        return node
    if n == 4:
        prim, x, ans, j = node
        return prim, (x,), {}, ans, ((0, j),)
    prim, x, y, ans, jx, jy = node
    return prim, (x, y), {}, ans, tuple((argnum, j) for argnum, j in ((0, jx), (1, jy)) if j >= 0)


def _add(prev: Any, ct: Any) -> Any:
    """``prev + ct`` for cotangents of any kind."""
    if type(prev) in _PLUS:
        return prev + ct
    if type(prev) is _Parts:
        return add_any(prev.dense(), ct)
    return add_any(prev, ct)


def _take_back(cts: list[Any], j: int, container: Any, index: Any, g: Any) -> None:
    """The cotangent of ``container[index]``: gathered element by element, sparsely,
    instead of a container of zeros per element read."""
    if type(index) is int and index < 0:
        index += len(container)  # x[-1] and x[n - 1] are one element
    prev = cts[j]
    if prev is None:
        cts[j] = _Parts(container, {index: g})
    elif type(prev) is _Parts:
        prev.add(index, g)
    else:
        cts[j] = add_any(prev, _Parts(container, {index: g}).dense())


class _Parts:
    """The cotangent of a container, known element by element so far."""

    __slots__ = ("container", "parts")

    def __init__(self, container: Any, parts: dict[Any, Any]) -> None:
        self.container = container
        self.parts = parts

    @staticmethod
    def accepts(index: Any) -> bool:
        return type(index) is int or type(index) is str

    def add(self, index: Any, g: Any) -> None:
        prev = self.parts.get(index)
        self.parts[index] = g if prev is None else _add(prev, g)

    def dense(self) -> Any:
        """The whole cotangent: zeros for the elements nobody read."""
        container, parts = self.container, self.parts
        kind = type(container)
        if kind is list or kind is tuple:  # the common case, without building vector spaces
            elems = [parts[k] if k in parts else vspace(v).zeros() for k, v in enumerate(container)]
            for e in elems:
                if isinstance(e, Box):  # a derivative of a derivative: a traced container
                    return builtins.list(elems) if kind is list else builtins.tuple(elems)
            return elems if kind is list else tuple(elems)
        if kind is dict:
            return builtins.dict({k: parts[k] if k in parts else vspace(v).zeros() for k, v in container.items()})
        space = vspace(container)
        if isinstance(space, SequenceVSpace):
            return space.build([parts[k] if k in parts else vs.zeros() for k, vs in enumerate(space.spaces)])
        assert isinstance(space, DictVSpace)
        return space.build({k: parts[k] if k in parts else vs.zeros() for k, vs in space.spaces.items()})
