"""Builders the pack's modules share: a one-argument calculus table, functions of an order
and ``x``, two-argument functions with broadcasting, and the samples that go with them.

Every rule passes through :func:`unbroadcast` or :func:`broadcast_like`: besides shapes,
they fix dtypes, which matters here because SciPy often answers a float32 argument in
float64 (``polygamma``, ``expn``) and a real argument in complex (``lambertw``, ``wofz``).

Most derivatives are written in the arguments alone, so the builders keep only those on
the tape (``saves=("args",)``); a derivative that reads ``ans`` declares it, with
``("ans", "shapes")`` where the arguments only give the cotangent its shape.

Every derivative passes through :func:`poles_as_numpy`: at a pole (``logit`` at 0,
``xlogy``'s ``x / y`` at ``y = 0``) a Python float's ``1 / 0.0`` raises ZeroDivisionError
where a float64 gives NumPy's inf or nan, and the rule must give what NumPy gives.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand, scalar
from plugrad_numpy._util import broadcast_like, poles_as_numpy, unbroadcast
from plugrad_numpy.binary import samples as pair_samples
from plugrad_numpy.unary import samples as unary_samples

__all__ = [
    "special",
    "elementwise",
    "with_order",
    "binary",
    "unary_samples",
    "pair_samples",
    "order_samples",
    "complex_samples",
    "by_branch",
    "anywhere",
]

Deriv = Callable[..., Any]
Saves = Sequence[str]


def special(name: str, fun: Callable[..., Any], **kwargs: Any) -> Primitive:
    """A primitive named ``scipy.special.<name>``; a ufunc's arguments named as SciPy
    documents them (``jv(v, z)``), not ``x1, x2`` as its signature has them."""
    prim = Primitive(f"scipy.special.{name}", fun, **kwargs)
    if isinstance(fun, np.ufunc):
        prim.arg_names = functools.partial(documented_names, fun)
    return prim


def documented_names(ufunc: np.ufunc) -> tuple[str, ...] | None:
    """The argument names of the call line in ``ufunc``'s docstring, ``jv(v, z, out=None)``
    (after NumPy's own line, ``jv(x1, x2, /, out=None, ...)``); None if there is none with
    one name per input."""
    for line in (ufunc.__doc__ or "").splitlines()[:12]:
        found = re.fullmatch(rf"\s*{re.escape(ufunc.__name__)}\(([^()]*)\)\s*", line)
        if found is None:
            continue
        names = tuple(n.strip() for n in found.group(1).split(","))
        names = tuple(n for n in names if n.isidentifier() and n != "out")
        if len(names) == ufunc.nin and names[0] != "x1":
            return names
    return None


def elementwise(
    name: str,
    fun: Callable[..., Any],
    deriv: Deriv,
    *,
    low: float = -1.0,
    high: float = 1.0,
    complex: bool = False,
    saves: Saves = ("args",),
) -> Primitive:
    """An elementwise function whose derivative is ``deriv(ans, x)`` (holomorphic where
    ``complex``: then one derivative serves real and complex arguments)."""
    prim = special(name, fun, complex=complex, saves=saves)
    deriv = poles_as_numpy(deriv)
    prim.def_vjp(lambda g, ans, x: unbroadcast(g * deriv(ans, x), x))
    prim.def_jvp(lambda t, ans, x: broadcast_like(t * deriv(ans, x), ans))
    prim.def_samples(*unary_samples(low, high))
    return prim


def with_order(
    name: str,
    fun: Callable[..., Any],
    deriv: Deriv,
    samples: Sequence[Sample],
    *,
    complex: bool = False,
    saves: Saves = ("args",),
) -> Primitive:
    """``fun(n, x, ...)`` differentiable in ``x`` only, with derivative ``deriv(ans, n, x, ...)``;
    the order ``n`` (an integer, or a real order with no known derivative) has no rule."""
    prim = special(name, fun, complex=complex, saves=saves)
    deriv = poles_as_numpy(deriv)
    prim.def_vjp(None, lambda g, ans, n, x, *a, **k: unbroadcast(g * deriv(ans, n, x, *a, **k), x))
    prim.def_jvp(None, lambda t, ans, n, x, *a, **k: broadcast_like(t * deriv(ans, n, x, *a, **k), ans))
    prim.def_samples(*samples)
    return prim


def binary(
    name: str,
    fun: Callable[..., Any],
    dx: Deriv,
    dy: Deriv,
    samples: Sequence[Sample],
    *,
    complex: bool = False,
    saves: Saves = ("args",),
) -> Primitive:
    """``fun(x, y)`` with partial derivatives ``dx(ans, x, y)`` and ``dy(ans, x, y)``."""
    prim = special(name, fun, complex=complex, saves=saves)
    dx, dy = poles_as_numpy(dx), poles_as_numpy(dy)
    prim.def_vjp(
        lambda g, ans, x, y: unbroadcast(g * dx(ans, x, y), x),
        lambda g, ans, x, y: unbroadcast(g * dy(ans, x, y), y),
    )
    prim.def_jvp(
        lambda t, ans, x, y: broadcast_like(t * dx(ans, x, y), ans),
        lambda t, ans, x, y: broadcast_like(t * dy(ans, x, y), ans),
    )
    prim.def_samples(*samples)
    return prim


def order_samples(orders: Sequence[Any], low: float = -1.0, high: float = 1.0) -> list[Sample]:
    """``(n, x)`` calls: each order with a scalar and a vector, then broadcasting an array
    of orders against ``x``."""
    out = []
    for n in orders:
        out.append(Sample(n, scalar(low, high)))
        out.append(Sample(n, rand(3, low=low, high=high)))
    out.append(Sample(np.array(list(orders)), rand(len(orders), low=low, high=high)))
    out.append(Sample(np.array(list(orders))[:, None], rand(2, low=low, high=high)))
    return out


def complex_samples(low: float, high: float) -> list[Sample]:
    """Complex arguments (real and imaginary parts in ``[low, high)``), first order only:
    for functions whose second derivative SciPy cannot evaluate at complex arguments
    (it has no complex ``polygamma``)."""
    return [
        Sample(scalar(low, high)).only("complex128").first_order(),
        Sample(rand(3, low=low, high=high)).only("complex128").first_order(),
    ]


def anywhere(mask: Any) -> bool:
    """``mask.any()``, without NumPy's overhead where ``mask`` is one bool (a Python float
    compared): for the test a rule makes before taking an edge case's branch."""
    return bool(mask) if isinstance(mask, (bool, np.bool_)) else bool(np.asarray(mask).any())


def by_branch(take: Any, x: Any, safe_first: float, first: Deriv, safe_second: float, second: Deriv) -> Any:
    """``first(x)`` where the mask ``take`` (of ``x``'s values) holds, else ``second(x)``: where
    every value takes one branch (one value, say), only that branch; else both, each at a
    harmless stand-in (``safe_*``) where the other is taken, so that neither warns nor sends
    a NaN into the other's derivative (as ``where`` alone would, in reverse mode). A branch
    may also read values computed at the true ``x`` (a rule's ``ans``): those it reads at the
    stand-ins are discarded, so they need only be finite."""
    from plugrad_numpy.indexing import where

    take = np.asarray(take)
    if not take.any():
        return second(x)
    if take.all():
        return first(x)
    return where(take, first(where(take, x, safe_first)), second(where(take, safe_second, x)))
