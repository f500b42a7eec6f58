"""autograd's testing helpers: ``check_grads`` and ``combo_check``, on plugrad's checks."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from plugrad.api import _unary
from plugrad.forward import make_jvp
from plugrad.gradcheck.checks import (
    check_jvp_numeric,
    check_transpose,
    check_vjp_numeric,
    tolerance_for,
)
from plugrad.reverse import make_vjp
from plugrad.vspace import vspace

__all__ = ["check_grads", "combo_check"]


def _dtype_of(x: Any) -> str:
    return "float64" if not vspace(x).iscomplex else "complex128"


def _check(f: Callable[[Any], Any], x: Any, modes: Sequence[str], order: int, rng: np.random.Generator, rtol: float | None, atol: float | None) -> None:
    tol = tolerance_for(_dtype_of(x), rtol, atol)
    if "rev" in modes:
        check_vjp_numeric(f, x, rng, tol)
    if "fwd" in modes:
        check_jvp_numeric(f, x, rng, tol)
        if "rev" in modes:
            check_transpose(f, x, rng, tol)
    if order > 1:
        from plugrad import builtins

        if "rev" in modes:
            v = vspace(f(x)).randn(rng)
            _check(lambda xv: make_vjp(f, xv[0])[0](xv[1]), builtins.tuple((x, v)), modes, order - 1, rng, rtol, atol)
        if "fwd" in modes:
            u = vspace(x).randn(rng)
            _check(lambda xu: make_jvp(f, xu[0])(xu[1])[1], builtins.tuple((x, u)), modes, order - 1, rng, rtol, atol)


def check_grads(
    fun: Callable[..., Any],
    argnum: int | Sequence[int] = 0,
    modes: Iterable[str] = ("fwd", "rev"),
    order: int = 2,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
) -> Callable[..., None]:
    """``check_grads(f, modes=["fwd", "rev"], order=2)(*args)`` raises if any
    derivative of ``f`` up to ``order`` disagrees with finite differences or
    if forward and reverse mode are not each other's transpose."""
    modes = tuple(modes)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: unknown modes {sorted(unknown)}; use 'fwd' and/or 'rev'")

    def checker(*args: Any, **kwargs: Any) -> None:
        unary, x = _unary("check_grads", fun, argnum, args, kwargs)
        _check(unary, x, modes, order, np.random.default_rng(seed), rtol, atol)

    return checker


def combo_check(fun: Callable[..., Any], *check_args: Any, **check_kwargs: Any) -> Callable[..., None]:
    """``combo_check(f, argnums, modes=..., order=...)(xs, ys, axis=[0, 1])`` runs
    ``check_grads`` on every combination of the listed argument values."""

    def checker(*arg_options: Iterable[Any], **kwarg_options: Iterable[Any]) -> None:
        kw_items = [[(k, v) for v in values] for k, values in kwarg_options.items()]
        for args in itertools.product(*arg_options):
            for kws in itertools.product(*kw_items):
                check_grads(fun, *check_args, **check_kwargs)(*args, **dict(kws))

    return checker
