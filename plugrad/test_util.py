"""autograd's testing helpers: ``check_grads``, ``check_vjp``, ``check_jvp``, ``combo_check``,
``check_equivalent`` and ``scalar_close``, on plugrad's checks.

They run the checks the gradient checker runs on primitives (:mod:`plugrad.gradcheck.checks`)
on any function: each mode against finite differences, the transpose identity between
them, and the same again for the derivative functions up to ``order``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from plugrad.api import _unary
from plugrad.gradcheck.checks import check_function, tolerance_for
from plugrad.vspace import vspace

__all__ = ["check_equivalent", "check_grads", "check_jvp", "check_vjp", "combo_check", "scalar_close"]


def _dtype_of(x: Any) -> str:
    """The dtype whose tolerances apply: ``x``'s if it is below double precision."""
    space = vspace(x)
    dtype = getattr(space, "dtype", None)
    if dtype is not None and str(np.dtype(dtype)) in ("float16", "float32", "complex64"):
        return str(np.dtype(dtype))
    return "complex128" if space.iscomplex else "float64"


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
    derivative of ``f`` up to ``order`` with respect to argument ``argnum`` (a tuple: those
    arguments together) disagrees with finite differences or if forward and reverse mode
    are not each other's transpose. The error names ``f`` and, where not 0, ``argnum``."""
    modes = tuple(modes)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: unknown modes {sorted(unknown)}; use 'fwd' and/or 'rev'")

    def checker(*args: Any, **kwargs: Any) -> None:
        unary, x = _unary("check_grads", fun, argnum, args, kwargs)
        tol = tolerance_for(_dtype_of(x), rtol, atol)
        if rtol is not None:
            # A function whose derivatives are right only to a tolerance (an ODE solve, an
            # iteration) cannot meet the exact transpose identity either: loosen it alike.
            tol = dataclasses.replace(tol, exact=max(tol.exact, rtol))
        name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)
        label = f"check_grads({name})" if argnum == 0 else f"check_grads({name}, argnum={argnum!r})"
        check_function(unary, x, modes, order, np.random.default_rng(seed), tol, label)

    return checker


def check_vjp(fun: Callable[[Any], Any], x: Any, *, seed: int = 0) -> None:
    """Raise ``AssertionError`` unless reverse mode's first derivative of the one-argument
    ``fun`` at ``x`` agrees with finite differences: ``check_grads(fun, modes=["rev"],
    order=1)(x)``."""
    check_grads(fun, modes=("rev",), order=1, seed=seed)(x)


def check_jvp(fun: Callable[[Any], Any], x: Any, *, seed: int = 0) -> None:
    """Raise ``AssertionError`` unless forward mode's first derivative of the one-argument
    ``fun`` at ``x`` agrees with finite differences: ``check_grads(fun, modes=["fwd"],
    order=1)(x)``."""
    check_grads(fun, modes=("fwd",), order=1, seed=seed)(x)


def combo_check(fun: Callable[..., Any], *check_args: Any, **check_kwargs: Any) -> Callable[..., None]:
    """``combo_check(f, argnums, modes=..., order=...)(xs, ys, axis=[0, 1])`` runs
    ``check_grads`` on every combination of the listed argument values."""

    def checker(*arg_options: Iterable[Any], **kwarg_options: Iterable[Any]) -> None:
        kw_items = [[(k, v) for v in values] for k, values in kwarg_options.items()]
        for args in itertools.product(*arg_options):
            for kws in itertools.product(*kw_items):
                check_grads(fun, *check_args, **check_kwargs)(*args, **dict(kws))

    return checker


def scalar_close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6) -> bool:
    """Whether numbers ``a`` and ``b`` agree to ``atol`` absolutely or ``rtol`` relative
    to their mean magnitude."""
    diff = abs(a - b)
    return bool(diff < atol or diff < rtol * 0.5 * (abs(a) + abs(b)))


def check_equivalent(x: Any, y: Any, seed: int = 0) -> None:
    """Raise ``AssertionError`` unless ``x`` and ``y`` are values of the same vector space
    (same structure, shapes and dtypes) whose inner products with a random vector agree."""
    space = vspace(x)
    other = vspace(y)
    assert space == other, f"check_equivalent: different vector spaces\nx: {space}\ny: {other}"
    v = space.randn(np.random.default_rng(seed))
    a, b = space.inner_prod(x, v), space.inner_prod(y, v)
    assert scalar_close(a, b), f"check_equivalent: values differ (<x, v> = {a}, <y, v> = {b})\nx: {x}\ny: {y}"
