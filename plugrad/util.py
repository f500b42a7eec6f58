"""autograd's ``autograd.util`` helpers that user code imports."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["func", "subval", "subvals", "quick_grad_check"]

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


def quick_grad_check(
    fun: Callable[..., Any],
    arg0: Any,
    extra_args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    verbose: bool = True,
    eps: float = 1e-4,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    rs: Any = None,
) -> None:
    """autograd's deprecated check of ``fun``'s gradient in its first argument: runs
    ``check_grads(lambda a: fun(a, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)``,
    which new code should call itself (``verbose``, ``eps``, ``rtol``, ``atol`` and ``rs``
    are accepted and ignored, as autograd 1.9 ignores them)."""
    from plugrad.test_util import check_grads

    warnings.warn(
        "quick_grad_check, autograd's interface from before version 1.2, is deprecated there and "
        "here: use plugrad.test_util.check_grads(fun, modes=['rev'], order=1)(x) instead.",
        DeprecationWarning,
        stacklevel=2,
    )
    extra = dict(kwargs or {})
    check_grads(lambda a: fun(a, *extra_args, **extra), modes=["rev"], order=1)(arg0)
