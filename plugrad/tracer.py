"""autograd's ``autograd.tracer`` names: the box helpers (new code imports them from
:mod:`plugrad.extend` and :mod:`plugrad.box`), and :class:`Node` with :func:`trace`, which
build a graph of the user's own node class from one evaluation of a function (to print
or draw it)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from plugrad.box import Box, Trace, getval, holds_box, isbox
from plugrad.errors import user_stacklevel
from plugrad.builtins import pack
from plugrad.reverse import _start_flat
from plugrad.extend import notrace_primitive, primitive

__all__ = ["Box", "Node", "getval", "isbox", "notrace_primitive", "primitive", "record", "trace"]


class Node:
    """One operation of an evaluation, as :func:`trace` reports it. Subclass it, as for
    autograd: ``__init__`` receives ``(value, fun, args, kwargs, parent_argnums, parents)``
    for each primitive operation (``args`` with the traced arguments' values, ``parents``
    the nodes of the arguments at ``parent_argnums``), and :meth:`initialize_root` the
    arguments given to :meth:`new_root`, for the input."""

    def __init__(
        self,
        value: Any,
        fun: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        parent_argnums: tuple[int, ...],
        parents: tuple[Node, ...],
    ) -> None:
        pass

    def initialize_root(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def new_root(cls, *args: Any, **kwargs: Any) -> Node:
        """The node of a function's input: built without ``__init__``, then
        :meth:`initialize_root` given these arguments."""
        root = cls.__new__(cls)
        root.initialize_root(*args, **kwargs)
        return root


def record(
    fun: Callable[..., Any], xs: tuple[Any, ...], *, replayable: bool = False
) -> tuple[Any, list[tuple[Any, ...]] | None]:
    """Call ``fun(*xs)`` with each argument traced, recording every primitive operation on
    values computed from them with its arguments whole. Returns the output and the tape,
    whose first ``len(xs)`` nodes are the arguments and whose node ``end._index`` is the
    output's; the tape is None where the output does not depend on ``xs``. With
    ``replayable``, comparisons and non-differentiable functions are recorded too, so a
    replay recomputes masks and indices (see ``plugrad.misc.const_graph``). Nothing pulls
    cotangents back through the record."""
    recording = Trace()
    recording.sites = {}  # the general path, which keeps each operation's arguments (debug mode's)
    recording.fast_tape = None
    recording.recording = replayable
    tape = recording.tape
    assert tape is not None
    boxes = _start_flat(xs, tuple, xs, recording, tape)  # reverse mode's start nodes
    recording.nested = holds_box(xs)  # inside another derivative
    try:
        end = fun(*boxes)
        if isinstance(end, (list, tuple, dict)) and holds_box(end):
            end = pack(end)  # a plain container of traced values
    finally:
        recording.close()
    return end, tape if isinstance(end, Box) and end._trace is recording else None


def trace(start_node: Node, fun: Callable[[Any], Any], x: Any) -> tuple[Any, Node | None]:
    """Evaluate ``fun(x)`` with ``start_node`` as the node of ``x``, building a node of
    ``start_node``'s class for each primitive operation on values computed from ``x``, in
    the order they ran. Returns ``fun(x)`` and its node (None, with a warning, if the
    output does not depend on ``x``).

    The nodes are built once ``fun`` has returned, from a record of its operations, so
    anything an ``__init__`` prints follows whatever ``fun`` prints.
    """
    end, tape = record(fun, (x,))
    if tape is None:
        warnings.warn("Output seems independent of input.", UserWarning, stacklevel=user_stacklevel())
        return end, None
    kind = type(start_node)
    nodes: list[Node] = [start_node]
    for prim, args, kwargs, ans, links in tape[1:]:
        node = kind(
            ans,
            prim,
            args,
            kwargs,
            tuple([argnum for argnum, _ in links]),
            tuple([nodes[j] for _, j in links]),
        )
        nodes.append(node)
    return end._value, nodes[end._index]
