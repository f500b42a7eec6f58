"""Exceptions plugrad raises for mistakes a user or a pack author can make."""

from __future__ import annotations

__all__ = [
    "PlugradError",
    "NotDifferentiableError",
    "TraceError",
    "PackError",
    "PackConflictError",
]


class PlugradError(Exception):
    """Base class of every error plugrad raises on purpose."""


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
