"""Debug mode: catch the first NaN or infinity, or a malformed cotangent, where it is made.

Switch it on for a block with ``with plugrad.debug.detect_anomaly():`` or for a
whole process with ``PLUGRAD_DEBUG=1``. The state is a context variable, so each
thread and task decides for itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from plugrad.errors import PlugradError

__all__ = ["detect_anomaly", "enabled", "AnomalyError"]

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "plugrad_debug", default=os.environ.get("PLUGRAD_DEBUG", "") not in ("", "0")
)


class AnomalyError(PlugradError, FloatingPointError):
    """A rule produced a NaN, an infinity, or a value of the wrong shape or dtype."""


def enabled() -> bool:
    return _enabled.get()


@contextlib.contextmanager
def detect_anomaly(enable: bool = True) -> Iterator[None]:
    """Within the block, check every cotangent and tangent plugrad computes."""
    token = _enabled.set(enable)
    try:
        yield
    finally:
        _enabled.reset(token)


def _describe(x: Any) -> str:
    from plugrad.box import getval

    v = getval(x)
    return f"shape {np.shape(v)} dtype {np.asarray(v).dtype}" if not isinstance(v, (tuple, list, dict)) else type(v).__name__


def check_cotangent(prim: Any, argnum: int, ct: Any, parent: Any, box: Any) -> None:
    """Raise :class:`AnomalyError` if ``ct`` is not finite or not in the argument's space."""
    from plugrad.box import getval
    from plugrad.vspace import vspace

    value = getval(ct)
    where = f"{prim.name} (pack {prim.pack or 'none'}), VJP for {prim.arg_name(argnum)}"
    try:
        got, want = vspace(value), vspace(parent._value)
    except PlugradError:
        got = want = None
    if got is not None and (got.shape != want.shape or (not want.iscomplex and got.iscomplex)):
        raise AnomalyError(
            f"{where} returned a cotangent with {_describe(value)} for an argument with "
            f"{_describe(parent._value)}; a VJP must return a value shaped like its argument "
            "(unbroadcast the cotangent)."
        )
    if isinstance(value, (tuple, list, dict)):
        return
    arr = np.asarray(value)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise AnomalyError(
            f"{where} produced a non-finite cotangent ({_describe(value)}) from a cotangent "
            f"with {_describe(getattr(box, '_value', None))}. The primitive was called "
            f"with arguments of {', '.join(_describe(a) for a in box._args)}."
        )
