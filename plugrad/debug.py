"""Debug mode: catch the first NaN or infinity, or a malformed cotangent, where it is made.

Switch it on for a block with ``with plugrad.detect_anomaly():`` or for a whole
process with ``PLUGRAD_DEBUG=1``. The state is a context variable, so each thread
and task decides for itself. While it is on, every traced operation remembers the
line of user code that called it, and every cotangent (reverse mode) and tangent
(forward mode) is checked as soon as a rule produces it: a NaN or infinity, or a
value of the wrong shape or dtype, raises :class:`AnomalyError` naming the
primitive, its pack, the argument, the shapes and that line.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from plugrad.errors import PlugradError

if TYPE_CHECKING:
    import types

    from plugrad.vspace import VSpace

__all__ = ["detect_anomaly", "enabled", "AnomalyError", "call_site"]

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "plugrad_debug", default=os.environ.get("PLUGRAD_DEBUG", "") not in ("", "0")
)
_KERNEL_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB = os.path.dirname(os.path.abspath(os.__file__)) + os.sep  # Python's own modules


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


def _is_library(filename: str) -> bool:
    """Whether ``filename`` is plugrad's, a pack's, NumPy's, SciPy's or Python's own (not a
    third party's in site-packages): frames a call site skips, to reach the user's line
    (``functools`` calls the primitive that ``check_grads(np.sqrt)`` is given)."""
    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    if path.startswith(_KERNEL_DIR):
        return True
    parts = path.split(os.sep)
    if path.startswith(_STDLIB) and "site-packages" not in parts and "dist-packages" not in parts:
        return True
    return any(p.startswith("plugrad_") or p in ("numpy", "scipy") for p in parts[:-1])


def call_site() -> str:
    """``file:line in function`` of the innermost caller outside plugrad, its packs, NumPy,
    SciPy and Python's own modules: the user's line."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and _is_library(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _describe(x: Any) -> str:
    from plugrad.box import getval

    v = getval(x)
    if isinstance(v, (tuple, list, dict)):
        return type(v).__name__
    if v is None or isinstance(v, (str, bytes)):
        return f"a {type(v).__name__}"
    from plugrad.primitive import not_an_array

    if not_an_array(v):
        space = _space(v)  # a pack's type (a Quaternion), whose NumPy shape and dtype, () object, say nothing
        return f"type {type(v).__name__}" + (f" in {space!r}" if space is not None else "")
    return f"shape {np.shape(v)} dtype {np.asarray(v).dtype}"


def _nonfinite(value: Any) -> bool:
    from plugrad.box import getval

    value = getval(value)
    if isinstance(value, (tuple, list)):
        return any(_nonfinite(v) for v in value)
    if isinstance(value, dict):
        return any(_nonfinite(v) for v in value.values())
    arr = np.asarray(value)
    return arr.dtype.kind in "fc" and not bool(np.all(np.isfinite(arr)))


def check_cotangent(
    prim: Any, argnum: int, ct: Any, parent_value: Any, args: Any, site: str | None, g: Any = None, rule: str = "VJP"
) -> None:
    """Raise :class:`AnomalyError` if ``ct`` is not finite or not in the argument's space.
    ``g`` is the cotangent the rule was given (see :func:`_misfits`); ``rule`` says which
    rule gave ``ct`` (the pair rule gives two arguments' cotangents)."""
    from plugrad.box import getval

    value = getval(ct)
    where = f"{prim.describe()}, {rule} for {prim.arg_name(argnum)}"
    called = f"; the primitive was called at {site}" if site else ""
    if _misfits(value, parent_value, (g,)):
        raise AnomalyError(
            f"{where} returned a cotangent with {_describe(value)} for an argument with "
            f"{_describe(parent_value)}{called}. A VJP must return a value shaped like its "
            "argument (sum over broadcast axes), real for a real argument, and of the "
            "argument's precision (float32 for float32)."
        )
    if _nonfinite(value):
        raise AnomalyError(
            f"{where} produced a non-finite cotangent ({_describe(value)}) from arguments of "
            f"{', '.join(_describe(a) for a in args)}{called}."
        )


def _misfits(value: Any, target: Any, given: Any) -> bool:
    """Whether ``value``, the (co)tangent a rule returned, cannot belong to ``target``'s space:
    another shape, complex for real, or another floating precision (float32 for float64, or
    back). A rule that kept the precision of one of ``given``, the (co)tangents it was
    handed, is not at fault for it: a user's float64 ``g`` for a float32 output, or a
    Python float argument, which NumPy's weak scalars give the other operand's precision."""
    got, want = _space(value), _space(target)
    if want is None:
        return False
    if got is None:  # (a string, say, for an array: in no space at all)
        return value is not None
    if got.shape != want.shape or (got.iscomplex and not want.iscomplex):
        return True
    if _of_a_pack(got) or _of_a_pack(want):  # (their shapes alike: a Quaternion's (4,), an array's)
        from plugrad.box import getval
        from plugrad.reverse import _fits

        if _of_a_pack(want):
            return not _fits(value, getval(target), want)  # as grad judges a rule's cotangent
        return not hasattr(getval(value), "__array__")  # (a Dask array's for a NumPy array is one)
    precision, wanted = _precision(got), _precision(want)
    if precision is None or wanted is None or precision == wanted:
        return False  # (containers and types a pack registered decide for themselves)
    for t in given:
        kept = _precision(_space(t)) if t is not None else None
        if kept is not None and kept == precision:  # (None first: a dtype compares equal to None)
            return False
    return True


def _of_a_pack(space: VSpace) -> bool:
    """Whether ``space`` is a pack's type's, not a number's, an array's or a container's."""
    from plugrad.vspace import ArrayVSpace, DictVSpace, ScalarVSpace, SequenceVSpace

    return type(space) not in (ArrayVSpace, ScalarVSpace, SequenceVSpace, DictVSpace)


def _space(value: Any) -> VSpace | None:
    from plugrad.box import getval
    from plugrad.vspace import vspace

    try:
        return vspace(getval(value))
    except PlugradError:
        return None


def _precision(space: VSpace | None) -> Any:
    """The real floating dtype of a float or complex space (float32 for complex64), else None."""
    dtype = None if space is None else space.dtype
    if dtype is None or dtype.kind not in "fc":
        return None
    return np.finfo(dtype).dtype


def check_tangent(prim: Any, tangent: Any, ans: Any, args: Any, site: str, inputs: Any = ()) -> None:
    """Raise :class:`AnomalyError` if a forward-mode tangent is not finite, or not in the
    output's space. ``inputs`` are the tangents of the traced arguments (see :func:`_misfits`)."""
    from plugrad.box import getval

    if _misfits(tangent, ans, inputs):
        raise AnomalyError(
            f"{prim.describe()} produced a tangent with "
            f"{_describe(getval(tangent))} for an output with {_describe(getval(ans))}; the primitive "
            f"was called at {site}. A JVP must return a value shaped like the output, real for a "
            "real output, and of the output's precision."
        )
    if _nonfinite(tangent):
        raise AnomalyError(
            f"{prim.describe()} produced a non-finite tangent "
            f"({_describe(tangent)}) from arguments of {', '.join(_describe(a) for a in args)}; "
            f"the primitive was called at {site}."
        )
