"""Reverse mode: trace a function once, then pull cotangents back along the tape."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import builtins, debug
from plugrad.box import Box, Trace, box_type
from plugrad.primitive import add_any
from plugrad.builtins import take as _take
from plugrad.vspace import DictVSpace, SequenceVSpace, vspace

__all__ = ["make_vjp", "backward"]

# Cotangent types whose ``+`` is vector addition (containers' ``+`` concatenates).
_PLUS = frozenset({float, complex, np.ndarray, np.float64, np.float32, np.complex128, np.complex64})


def make_vjp(fun: Callable[[Any], Any], x: Any) -> tuple[Callable[[Any], Any], Any]:
    """Trace ``fun`` at ``x``; return ``(vjp, fun(x))``, where ``vjp(g)`` pulls the
    cotangent ``g`` of the output back to a cotangent of ``x``."""
    trace = Trace()
    start = box_type(x)(x, trace)
    tape = trace.tape
    assert tape is not None
    tape.append((None, (), {}, (), x))
    try:
        end = fun(start)
        if isinstance(end, (list, tuple, dict)):
            end = builtins.pack(end)  # a plain container of traced values
    finally:
        # Close the trace: a box that escapes cannot be traced further.
        trace.tape = None
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
    one reverse sweep visits every node after all of its consumers.
    """
    check = sites is not None or debug.enabled()
    cts: list[Any] = [None] * (last + 1)
    cts[last] = g
    for i in range(last, 0, -1):
        g = cts[i]
        if g is None:
            continue
        cts[i] = None  # release each cotangent as soon as it has been used
        prim, args, kwargs, parents, ans = tape[i]
        if type(g) is _Parts:
            g = g.dense()
        if prim is _take and not check and _Parts.accepts(args[1]):
            # Reading one element of a container: gather the cotangents of its elements
            # sparsely, instead of a container of zeros per element read.
            j = parents[0][1]
            container, index = args
            if type(index) is int and index < 0:
                index += len(container)  # x[-1] and x[n - 1] are one element
            prev = cts[j]
            if prev is None:
                cts[j] = _Parts(container, {index: g})
            elif type(prev) is _Parts:
                prev.add(index, g)
            else:
                cts[j] = add_any(prev, _Parts(container, {index: g}).dense())
            continue
        rules = prim.vjps
        for argnum, j in parents:
            rule = rules[argnum] if argnum < len(rules) else None
            if rule is None:
                rule = prim.vjp_rule(argnum)
            ct = rule(g, ans, *args, **kwargs) if kwargs else rule(g, ans, *args)
            if check:
                debug.check_cotangent(prim, argnum, ct, tape[j][4], args, (sites or {}).get(i))
            prev = cts[j]
            if prev is None:
                cts[j] = ct
            elif type(prev) in _PLUS:
                cts[j] = prev + ct
            elif type(prev) is _Parts:
                cts[j] = add_any(prev.dense(), ct)
            else:
                cts[j] = add_any(prev, ct)
    result = cts[0]
    if result is None:
        return vspace(tape[0][4]).zeros()
    if type(result) is _Parts:
        return result.dense()
    return result


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
        self.parts[index] = g if prev is None else add_any(prev, g)

    def dense(self) -> Any:
        """The whole cotangent: zeros for the elements nobody read."""
        space = vspace(self.container)
        parts = self.parts
        if isinstance(space, SequenceVSpace):
            return space.build([parts[k] if k in parts else vs.zeros() for k, vs in enumerate(space.spaces)])
        assert isinstance(space, DictVSpace)
        return space.build({k: parts[k] if k in parts else vs.zeros() for k, vs in space.spaces.items()})
