"""What the backward pass says about a cotangent of the wrong shape: which operations'
rules may have made it. Imported on the first error that needs it, so that a gradient
never loads it."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad.box import Meta, getval
from plugrad.primitive import node_ans

__all__ = ["blame_users"]


def blame_users(
    exc: BaseException, tape: list[tuple[Any, ...]], i: int, g: Any, verb: str, prim: Any = None, sweep_file: str = ""
) -> None:
    """Note on ``exc`` (a NumPy shape error in the backward pass, or the check of a
    gradient's shape) the operations whose rules may have made the misshapen cotangent
    ``g`` of tape node ``i``: those that used its output, or one further along whose
    cotangent reached it through them. A rule returning a cotangent of another shape than
    its argument's (one that forgot to sum over a broadcast axis) makes NumPy fail, or
    broadcast, only further back. Where ``g`` fits, and the error was raised adding two
    cotangents of one value (``prim``'s rule, node ``i``'s, made one), the operations that
    used node ``i``'s arguments. Never raises: a note must not replace the error it explains."""
    try:
        note = _misfit(tape, i, g, verb)
        if note is None and prim is not None and _raised_in(exc, sweep_file):
            # (node i's rule made one of the two, or an earlier-run rule the other: the users
            # of node i's arguments are named, none of them singled out)
            parents = {j for _, j in _uses(tape[i]) if j >= 0}
            users = sorted({node[0].describe() for node in tape[min(parents, default=i) + 1 :] for _, j in _uses(node) if j in parents})
            if users:
                note = (
                    "(adding two cotangents of one value failed: a VJP rule of one of the operations that used "
                    f"it, {', '.join(users)}, returned a cotangent of the wrong shape. A VJP returns one of its "
                    "argument's shape: where the argument was broadcast, sum over the broadcast axes. "
                    "`with plugrad.detect_anomaly():` names the rule.)"
                )
    except Exception:  # noqa: BLE001
        return
    if note is not None:
        exc.add_note(note)


def _misfit(tape: list[tuple[Any, ...]], i: int, g: Any, verb: str) -> str | None:
    value = getval(g)
    if not isinstance(value, (np.ndarray, np.generic, float, complex)):
        return None  # (a string or a list: the errors say it is of the wrong kind)
    shape = _output_shape(tape, i)
    if shape is None or np.shape(value) == shape:
        return None
    users = sorted({node[0].describe() for node in tape[i + 1 :] for _, j in _uses(node) if j == i})
    if not users:
        return None
    what = "the output of " + tape[i][0].describe() if tape[i][0] is not None else "an argument"
    return (
        f"(the cotangent that {verb} {what} has shape {np.shape(value)}, but the value has shape {shape}: "
        f"a VJP rule returned a cotangent of the wrong shape -- that of {'the operation' if len(users) == 1 else 'an operation'} "
        f"that used it, {', '.join(users)}, or of one further along, whose cotangent reached it through "
        f"{'that' if len(users) == 1 else 'them'}. A VJP returns one of its argument's shape: where the argument "
        "was broadcast, sum over the broadcast axes. `with plugrad.detect_anomaly():` names the rule.)"
    )


def _raised_in(exc: BaseException, filename: str) -> bool:
    """Whether ``exc`` was raised in the code of ``filename`` (the sweep adding cotangents),
    not in a rule."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename == filename


def _uses(node: tuple[Any, ...]) -> list[tuple[Any, int]]:
    """(what the node kept of the argument, the argument's tape index) for each traced argument."""
    if len(node) == 4:
        return [(node[1], node[3])]
    if len(node) == 6:
        return [(node[1], node[4]), (node[2], node[5])]
    args = node[1]
    return [(args[a] if a < len(args) else None, j) for a, j in node[4]]


def _output_shape(tape: list[tuple[Any, ...]], i: int) -> tuple[int, ...] | None:
    """The shape of tape node ``i``'s output, an array or a number, from what it or an
    operation using it kept (None where nothing was kept, or it is neither)."""
    kept = [node_ans(tape[i])] + [value for node in tape[i + 1 :] for value, j in _uses(node) if j == i]
    for value in kept:
        if isinstance(value, Meta):
            return tuple(value.shape)
        value = getval(value)
        if isinstance(value, (np.ndarray, np.generic, float, complex)):
            return tuple(np.shape(value))
    return None
