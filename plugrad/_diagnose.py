"""What the backward pass says about a cotangent of the wrong shape: which operations'
rules may have made it. Imported on the first error that needs it, so that a gradient
never loads it."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad.box import Meta, getval
from plugrad.primitive import NUMERIC, VJP_SHAPE, Primitive, node_ans, node_uses

__all__ = ["blame_users"]

_NAMES = "`with plugrad.detect_anomaly():` names the rule."


def blame_users(
    exc: BaseException,
    tape: list[tuple[Any, ...]],
    i: int,
    g: Any,
    said: bool,
    prim: Primitive | None,
    adding: bool,
) -> bool:
    """Note on ``exc`` the operations whose VJP rules may have made a cotangent of the
    wrong shape, and say whether it did. ``exc`` is NumPy's shape error in the backward
    pass, or the check of a gradient's shape (``said``: its message gives the shapes
    already). Where ``g``, the cotangent of tape node ``i``, does not fit node ``i``'s
    output, the culprit used that output, or lies further along (a cotangent passes
    through elementwise rules unchanged in shape). Where ``g`` fits and the error was
    raised ``adding`` two cotangents (node ``i``'s rule, ``prim``'s, made one), it used
    one of node ``i``'s arguments. Never raises: a note must not replace its error."""
    try:
        note = _misfit_note(tape, i, g, said)
        if note is None and adding and prim is not None:
            parents = {j for _, j in node_uses(tape[i]) if j >= 0}
            users = _users(tape, parents)
            if users:
                note = (
                    "(adding two cotangents of one value failed: a VJP rule of one of the operations "
                    f"that used it, {', '.join(users)}, returned a cotangent of the wrong shape; "
                    f"{VJP_SHAPE}. {_NAMES})"
                )
    except Exception:  # noqa: BLE001
        return False
    if note is None:
        return False
    exc.add_note(note)
    return True


def _misfit_note(tape: list[tuple[Any, ...]], i: int, g: Any, said: bool) -> str | None:
    value = getval(g)
    if not isinstance(value, NUMERIC):
        return None  # (a string or a list: the errors say it is of the wrong kind)
    shape = _output_shape(tape, i)
    if shape is None or np.shape(value) == shape:
        return None
    users = _users(tape, {i})
    if not users:
        return None
    one = len(users) == 1
    whose = (
        f"made by the VJP rule of {'the operation' if one else 'an operation'} that used the value, "
        f"{', '.join(users)}, or of one further along, whose cotangent passed through "
        f"{'that one' if one else 'them'}"
    )
    if said:  # (the error gives the shapes and what a rule returns)
        return f"(the cotangent was {whose}.)"
    return (
        f"(the cotangent that reached the output of {tape[i][0].describe()} has shape {np.shape(value)}, but "
        f"the output has shape {shape}: it was {whose}; {VJP_SHAPE}. {_NAMES})"
    )


def _users(tape: list[tuple[Any, ...]], nodes: set[int]) -> list[str]:
    """The operations on ``tape`` that used the output of any of ``nodes``."""
    start = min(nodes, default=len(tape)) + 1
    return sorted({node[0].describe() for node in tape[start:] for _, j in node_uses(node) if j in nodes})


def _output_shape(tape: list[tuple[Any, ...]], i: int) -> tuple[int, ...] | None:
    """The shape of tape node ``i``'s output, an array or a number, from what it or an
    operation using it kept (None where nothing was kept, or it is neither)."""
    kept = [node_ans(tape[i])] + [value for node in tape[i + 1 :] for value, j in node_uses(node) if j == i]
    for value in kept:
        if isinstance(value, Meta):
            return tuple(value.shape)
        value = getval(value)
        if isinstance(value, NUMERIC):
            return tuple(np.shape(value))
    return None
