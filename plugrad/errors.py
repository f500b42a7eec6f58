"""Exceptions plugrad raises for mistakes a user or a pack author can make."""

from __future__ import annotations

import sys

__all__ = [
    "PlugradError",
    "ArgumentError",
    "NotDifferentiableError",
    "TraceError",
    "PackError",
    "PackNameError",
    "PackConflictError",
    "NamedClassError",
    "PackWarning",
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


class PackNameError(PackError, AttributeError):
    """A function a pack registers that no pack can provide: the pack registered something
    invalid under its name, or two packs claim it (:class:`PackConflictError`).

    It is an ``AttributeError``, as reading the name from its namespace
    (``plugrad.numpy.name``) is, so ``hasattr`` is False for it and ``getattr`` with a
    default returns the default; read directly, it says why the name is missing."""


class PackConflictError(PackNameError):
    """Two packs registered the same qualified name and neither overrides the other."""


class NamedClassError(PackError, ImportError):
    """A box class or vector space a pack named as ``"module:Class"`` that does not load, or
    is not one, met where a value of its type first needs it. The message says where the pack
    registered it. An ``ImportError``, as ``from module import Class`` raises for a name it
    cannot import."""


class PackWarning(UserWarning):
    """A pack could not be loaded, or part of it was rejected; the others still work.
    ``pack`` names the pack at fault, where one is (a conflict between packs names none)."""

    def __init__(self, message: str, pack: str | None = None) -> None:
        super().__init__(message)
        self.pack = pack


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning plugrad issues (its kernel or a pack) point at
    the first line outside them, the user's call that asked for it, however many of their
    frames lie between (``grad`` has one more than ``make_vjp``; a pack's rule, several)."""
    frame = sys._getframe(1)  # the function about to warn: stacklevel 1
    level = 1
    while frame.f_back is not None and _ours(frame.f_globals.get("__name__")):
        frame = frame.f_back
        level += 1
    return level


def _ours(module: object) -> bool:
    """Whether ``module`` is plugrad's or one of its packs' (a package that defines the pack
    hooks), not a user's module that happens to be called ``plugrad_something``."""
    top = str(module).partition(".")[0]
    return top == "plugrad" or (top.startswith("plugrad_") and hasattr(sys.modules.get(top), "plugrad_namespaces"))
