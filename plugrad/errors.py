"""Exceptions plugrad raises for mistakes a user or a pack author can make."""

from __future__ import annotations

import os
import sys

__all__ = [
    "PlugradError",
    "ArgumentError",
    "NotDifferentiableError",
    "TraceError",
    "PackError",
    "PackConflictError",
]


class PlugradError(Exception):
    """Base class of every error plugrad raises on purpose."""


class ArgumentError(PlugradError, TypeError, ValueError, IndexError):
    """A differential operator's ``argnum`` or ``argname`` that names no argument of the
    function. A ``TypeError``, as for a call with the wrong arguments; also the
    ``IndexError`` and ``ValueError`` autograd raised for them, so code catching those
    keeps working."""


class NotDifferentiableError(PlugradError, TypeError, NotImplementedError):
    """A function, argument or value that no loaded pack can differentiate.

    It is a ``TypeError`` (a value of the wrong kind) and a ``NotImplementedError`` (a
    missing rule, as autograd reports one), so code catching either keeps working."""


class TraceError(PlugradError, TypeError):
    """A traced value used where tracing cannot follow it."""


class PackError(PlugradError):
    """A primitive pack that failed to load or registered something invalid."""


class PackConflictError(PackError):
    """Two packs registered the same qualified name and neither overrides the other."""


_KERNEL = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning plugrad's kernel issues point at the first
    line outside the kernel, the user's call that asked for the derivative, however many
    of the kernel's frames lie between (``grad`` has one more than ``make_vjp``)."""
    frame = sys._getframe(1)  # the function about to warn: stacklevel 1
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_KERNEL):
        frame = frame.f_back
        level += 1
    return level
