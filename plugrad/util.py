"""autograd's ``autograd.util`` helpers that user code imports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

__all__ = ["func", "subval", "subvals"]

F = TypeVar("F")


def func(f: F) -> F:
    """``f`` itself: autograd code wraps a function in it (``func(len)``) to use a
    function as a value where it might be taken for a method."""
    return f


def subval(x: tuple[Any, ...], i: int, v: Any) -> tuple[Any, ...]:
    """The tuple ``x`` with element ``i`` replaced by ``v``."""
    return subvals(x, [(i, v)])


def subvals(x: Iterable[Any], ivs: Iterable[tuple[int, Any]]) -> tuple[Any, ...]:
    """The tuple ``x`` with element ``i`` replaced by ``v`` for each pair ``(i, v)``."""
    out = list(x)
    for i, v in ivs:
        out[i] = v
    return tuple(out)
