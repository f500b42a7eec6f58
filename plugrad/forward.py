"""Forward mode: push a tangent through a function alongside its value."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.builtins import pack as pack_container
from plugrad.box import Box, Trace, box_type, holds_box
from plugrad.errors import NotDifferentiableError, user_stacklevel
from plugrad.reverse import _numeric, check_given, given, wrong_shape
from plugrad.vspace import output_space_of

__all__ = ["make_jvp"]

_ARRAYS = (np.ndarray, np.generic, float, complex)


def make_jvp(fun: Callable[[Any], Any], x: Any) -> Callable[[Any], tuple[Any, Any]]:
    """Return ``jvp`` with ``jvp(t) == (fun(x), tangent of fun at x along t)``.

    Each call runs ``fun`` once; every primitive computes its output tangent as it runs.
    """

    def jvp(t: Any) -> tuple[Any, Any]:
        t = given(t, x)
        check_given(t, x, "tangent", "jvp", "the argument")
        trace = Trace(forward=True)
        trace.nested = holds_box(x)
        end = fun(_start(x, t, trace))
        if isinstance(end, (list, tuple, dict)):
            try:
                end = pack_container(end)  # a plain container of traced values
            except NotDifferentiableError:  # (a container holding a string): say so of the output
                output_space_of("make_jvp", end)
                raise
        if isinstance(end, Box) and end._trace is trace:
            value, tangent = end._value, end._tangent
            if isinstance(value, _ARRAYS):
                if isinstance(tangent, _ARRAYS):
                    if np.shape(tangent) != np.shape(value):
                        wrong_shape(tangent, value, "JVP")  # (a safety net: rules' are refused as returned)
                elif isinstance(tangent, (str, bytes, list, tuple, dict)):  # (a rule's string or list)
                    raise ValueError(
                        f"the derivative computed for the output, of shape {np.shape(value)}, is a "
                        f"{type(tangent).__name__}: a JVP rule returned a tangent of the wrong kind (a "
                        "custom primitive's, or a pack's). Run the derivative inside `with "
                        "plugrad.detect_anomaly():` to be told which rule, and where it was called."
                    )
            return value, tangent
        if _numeric(end):  # (None, an int or a generator: the operator says what is wrong)
            warnings.warn(
                "Output seems independent of input; its derivative is zero.", UserWarning, stacklevel=user_stacklevel()
            )
        return end, output_space_of("make_jvp", end).zeros()  # (a float zero for an integer output)

    return jvp


def _start(x: Any, t: Any, trace: Trace) -> Any:
    """``x`` traced with tangent ``t``. As in reverse mode, a plain list, tuple, named tuple
    or dict (at any depth) is not traced as one container: each element is traced with its
    part of ``t``, and ``fun`` gets a container of the same kind holding their boxes."""
    kind = type(x)
    if kind is dict:
        return {k: _start(v, t[k], trace) for k, v in x.items()}
    if kind is list or kind is tuple or (issubclass(kind, tuple) and hasattr(kind, "_fields")):
        elems = [_start(v, t[i], trace) for i, v in enumerate(x)]
        return elems if kind is list else tuple(elems) if kind is tuple else kind(*elems)
    start = box_type(x).new(x, trace)
    start._tangent = t
    return start
