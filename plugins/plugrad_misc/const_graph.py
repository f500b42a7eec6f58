"""``const_graph``: trace a function once, then replay its operations on new arguments.

``fast = const_graph(f)`` runs ``f`` normally the first time, recording every primitive
operation that depends on the arguments. Later calls do not run ``f``: they evaluate the
recorded operations again, in order, on the new arguments, which skips the Python
around them (loops, attribute lookups, building closures). ``const_graph(f, *args,
**kwargs)`` binds leading positional and keyword arguments first; the result takes the
remaining positional ones.

The graph is constant, as the name says. Comparisons, masks and the other
non-differentiable array functions of the arguments (``x > 0``, ``np.where(x > 0, x, 0)``,
``x[np.argmax(x)]``, ``np.floor``) are recorded and computed anew at each replay. What
Python itself decides from a value is fixed at the first call: a branch taken on it
(``if x > 0:``), a loop's length, a Python number read from it (a shape, ``int(...)``).
Use ``const_graph`` only for functions whose sequence of operations is the same for every
argument. A traced value the function reads from elsewhere (a global traced by an
enclosing derivative) cannot be replayed: recording raises ``ValueError``. Replays are
differentiable like any other call: each recorded operation is a primitive, so
``grad(fast)`` traces them as it would ``f``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from plugrad import Primitive
from plugrad.box import holds_box
from plugrad.tracer import record

__all__ = ["const_graph"]


class _Graph:
    """The operations a traced call made that its output depends on, in creation order,
    as two Python functions of the arguments: one straight-line statement per operation,
    calling each primitive's own computation (``plain``), or the primitive itself, which
    traces, when an argument is traced (``traced``, a derivative of the replay). Generated
    code, so a replay costs one call per operation and nothing around it."""

    __slots__ = ("plain", "traced")

    def __init__(self, tape: list[tuple[Any, ...]], starts: int, end: int, name: str) -> None:
        needed = [False] * len(tape)
        needed[end] = True
        for i in range(end, starts - 1, -1):  # the tape is in creation order: parents come first
            if needed[i]:
                for _, j in tape[i][4]:
                    needed[j] = True
        scope: dict[str, Any] = {}  # the functions and constants the generated code names
        params = ", ".join(f"v{i}" for i in range(starts))
        body = []
        for i in range(starts, end + 1):
            if not needed[i]:
                continue
            prim, args, kwargs, ans, links = tape[i]
            linked = dict(links)  # argument number -> node read there
            constants = {f"c{i}_{k}": a for k, a in enumerate(args) if k not in linked}
            if holds_box(list(constants.values())) or holds_box(kwargs):
                raise ValueError(
                    f"const_graph({name}): {prim.name} read a traced value that is not an "
                    "argument (a global, a closure or an attribute traced by an enclosing "
                    "derivative); a replay could not use it. Pass it to the function as an argument."
                )
            scope.update(constants)
            names = [f"v{linked[k]}" if k in linked else f"c{i}_{k}" for k in range(len(args))]
            if kwargs:
                scope[f"k{i}"] = kwargs
                names.append(f"**k{i}")
            # On plain values: the function itself, without the check for traced arguments
            # a call makes (where the first call computed a Python float, the primitive's
            # evaluate, which keeps floats floats).
            plain_float = isinstance(prim, Primitive) and type(ans) is float
            scope[f"d{i}"] = prim.evaluate if plain_float else prim.fun
            scope[f"p{i}"] = prim
            body.append(f"    v{i} = {{f}}{i}({', '.join(names)})")
        body.append(f"    return v{end}")
        lines = [f"def plain({params}):", *(b.format(f="d") for b in body)]
        lines += [f"def traced({params}):", *(b.format(f="p") for b in body)]
        exec(compile("\n".join(lines), f"<const_graph of {name}>", "exec"), scope)  # noqa: S102 - our own code
        self.plain, self.traced = scope["plain"], scope["traced"]

    def replay(self, xs: tuple[Any, ...]) -> Any:
        return self.traced(*xs) if holds_box(xs) else self.plain(*xs)


def _record(fun: Callable[..., Any], xs: tuple[Any, ...], name: str) -> tuple[Any, _Graph]:
    """Call ``fun(*xs)`` with each argument traced; return its value and the graph."""
    end, tape = record(fun, xs, replayable=True)
    if tape is None:
        raise ValueError(
            f"const_graph({name}): the output does not depend on the arguments, so there "
            "is no graph to replay. Call the function itself."
        )
    return end._value, _Graph(tape, len(xs), end._index, name)


def const_graph(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``fun`` with ``args`` and ``kwargs`` bound, traced at its first call and replayed
    at the later ones (see the module's description for when that is valid)."""
    bound = functools.partial(fun, *args, **kwargs) if args or kwargs else fun
    name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)
    graph: list[_Graph] = []  # empty until the first call has been traced
    unreplayed = [bound]  # dropped once traced, with any arguments bound to it

    @functools.wraps(fun)
    def replayed(*xs: Any) -> Any:
        if graph:
            return graph[0].replay(xs)
        try:
            target = unreplayed[0]
        except IndexError:  # another thread has just traced it
            return graph[0].replay(xs)
        value, recorded = _record(target, xs, name)
        if not graph:  # two first calls in two threads: both graphs are the same; keep one
            graph.append(recorded)
            unreplayed.clear()
        return value

    return replayed
