"""``psi(a + b) - psi(a)``, the derivative of the logs of ``beta``, ``poch`` and ``binom``,
without the cancellation of its two digammas where ``b`` is small against ``a``.

There the difference, of size about ``b / a``, has a relative error of about
``eps a ln(a) / b``: 2e-3 at ``a = 1e12, b = 1``, all of it from ``a = 1e15``.
:func:`psi_step` takes it instead from the recurrence ``psi(x + 1) = psi(x) + 1/x``
(DLMF 5.5.2) and the asymptotic series (DLMF 5.11.2), each rearranged so that no difference
of near terms is left, in traced operations: the derivatives of every order (steps of
polygammas, which cancel the same way) come from it, as accurate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.box import Box, getval
from plugrad_numpy.indexing import untake, where
from plugrad_numpy.shape import broadcast_to
from plugrad_numpy.unary import log1p

__all__ = ["BERNOULLI", "log_less_digamma", "psi_step"]

# Both arguments are shifted past this before the series.
_SHIFT = 10.0
# B_2k, k = 1 .. 9: from _SHIFT on, the first term left out (below B_20 / z^20 of the value,
# see _series_part) is below 1e-17.
BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798)
_TERMS = tuple(b / (2 * k) for k, b in enumerate(BERNOULLI, 1))  # B_2k / 2k
_LOG_SMALLEST = math.log(1e-17)  # of the smallest relative size of a term kept
_PLAIN = (np.ndarray, np.generic, float, int)  # values whose masks can be read (not a Dask array)
_F64 = np.dtype(np.float64)


def psi_step(a: Any, b: Any, direct: Callable[[Any, Any], Any]) -> Any:
    """``psi(a + b) - psi(a)``: ``direct(a, b)``, the difference of the two digammas, where it
    keeps all but 3 bits (see :func:`_cancels`), else by :func:`_step` (``a > 0``, ``a + b >
    0``). Single precision is worked in double (a rule's result takes its argument's dtype).
    For values of another type (a Dask array), whose masks are not read while tracing, both
    ways everywhere."""
    av, bv = getval(a), getval(b)
    if _single(av) or _single(bv):
        a, b = a * np.float64(1.0), b * np.float64(1.0)
        av, bv = getval(a), getval(b)
    with np.errstate(all="ignore"):
        take = _cancels(av, bv)
    if not (isinstance(av, _PLAIN) and isinstance(bv, _PLAIN)):
        # Each way at a harmless stand-in where the other is taken (see by_branch): no NaN
        # reaches a derivative.
        stepped = _step(where(take, a, 2 * _SHIFT), where(take, b, 1.0), math.ceil(_SHIFT), len(_TERMS))
        return where(take, stepped, direct(where(take, 1.0, a), where(take, 1.0, b)))
    if not take.any():
        return direct(a, b)
    if take.all():
        return _step(a, b, *_lengths(av, bv))
    # The steps on the elements that need them only, put in place.
    shape = take.shape
    index = np.nonzero(take)
    a_, b_ = broadcast_to(a, shape)[index], broadcast_to(b, shape)[index]
    stepped = _step(a_, b_, *_lengths(getval(a_), getval(b_)))
    if not isinstance(a, Box) and not isinstance(b, Box):  # (first order: in place)
        out = direct(a, b)
        out[index] = stepped
        return out
    # Traced, the difference on its own elements: psi' may overflow at the others (1e-200).
    rest = np.nonzero(~take)
    plain = direct(broadcast_to(a, shape)[rest], broadcast_to(b, shape)[rest])
    return untake(stepped, (index, shape, _F64)) + untake(plain, (rest, shape, _F64))


def log_less_digamma(a: Any) -> Any:
    """``log(a) - psi(a)`` for ``a > 8``, by the asymptotic series (DLMF 5.11.2), ``1/(2a) +
    sum_k (B_2k / 2k) / a^2k``, in traced operations: so ``log(y) - psi(a)`` near ``y = a``
    is ``log1p((y - a) / a)`` plus this, with nothing left to cancel."""
    inv2 = 1 / (a * a)
    total: Any = 0.0
    for c in reversed(_TERMS):
        total = (total + c) * inv2
    return 0.5 / a + total


def _single(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.kind == "f" and dtype.itemsize < 8


def _cancels(a: Any, b: Any) -> Any:
    """Where ``a > 0``, ``a + b > 0`` and the larger digamma may be more than 8 times their
    difference. For ``s = min(a, a + b)``, ``t = max(a, a + b)`` and ``r = t / s``, the
    difference is above ``ln r`` (psi' > 1/x) and the digammas at most ``ln t`` where both are
    positive: there nothing cancels where ``t <= r^8``. Where both are negative (``t < 1.47``),
    and for the derivatives' polygammas (whose difference is about ``(r - 1) / r`` of the
    larger), where ``r >= 1.15``. (At 2e6 points from 1e-6 to 1e8, outside the mask the
    digammas are at most 8.0 times their difference, the trigammas 6.6.) In place where the
    values are arrays: this runs on every call."""
    t = a + b
    out = t if isinstance(t, np.ndarray) else None  # (not a Dask array, nor a number)
    s = np.minimum(a, t)
    t = np.maximum(a, t, out=out)
    positive = s > 0
    r = np.divide(t, s, out=None if out is None else s)
    near = r < 1.15
    for _ in range(3):  # r^8
        r = np.multiply(r, r, out=None if out is None else r)
    return positive & ((t > r) | near)


def _lengths(a: Any, b: Any) -> tuple[int, int]:
    """The shifts and series terms :func:`_step` needs at these values."""
    low = min(float(np.min(a)), float(np.min(a + b)))  # the least s = min(a, a + b)
    steps = max(0, math.ceil(_SHIFT - low))
    log_z = math.log(low + steps)
    terms = sum(1 for k, b in enumerate(BERNOULLI, 1) if math.log(abs(b)) - 2 * k * log_z > _LOG_SMALLEST)
    return steps, terms


def _step(a: Any, b: Any, steps: int, terms: int) -> Any:
    """``psi(a + b) - psi(a)`` for ``a > 0``, ``a + b > 0``: ``sign(b) (psi(s + c) - psi(s))``
    with ``c = |b|``, ``s = min(a, a + b)``, where ``steps`` shifts (``psi(s + c) - psi(s) =
    sum_k c / ((s + k)(s + k + c))`` plus the same at ``s + steps``) take ``s`` past ``_SHIFT``
    and the series with ``terms`` terms gives the rest. Every term has the sign of ``b``; ``a +
    b`` is never rounded on its own (only ``a + b - a`` would keep ``b``'s digits)."""
    negative = getval(b) < 0
    sign = None if isinstance(negative, _PLAIN) and not np.any(negative) else np.where(negative, -1.0, 1.0)
    c, s = (b, a) if sign is None else (b * sign, where(negative, a + b, a))
    total = _series_part(s + steps if steps else s, c, terms)
    for k in range(steps):
        sk = s + k
        total = total + c / sk / (sk + c)
    return total if sign is None else total * sign


def _series_part(z: Any, c: Any, terms: int) -> Any:
    """``psi(z + c) - psi(z)``, ``z >= _SHIFT``, ``c >= 0``, from psi's asymptotic series:
    with ``w = 1/z``, ``v = 1/(z + c)``, ``log1p(c w) + c v w / 2 + sum_k (B_2k / 2k)
    (w^2k - v^2k)``, where ``w^2k - v^2k = c v w (v + w) h_(k-1)(v^2, w^2)`` with ``h_m(p, q) =
    sum_(i+j=m) p^i q^j``: no difference of near terms is left, and the k-th term is below
    ``|B_2k| / z^2k`` of the value. The sum ``sum_k (B_2k / 2k) h_(k-1)(p, q)`` is
    ``sum_i p^i T_i`` with ``T_i = sum_j (B_2(i+j+1) / 2(i+j+1)) q^j``, both by Horner's rule."""
    w = 1 / z
    v = 1 / (z + c)
    tail: Any = 0.5
    if terms == 1:
        tail = tail + (v + w) * _TERMS[0]
    elif terms:
        p, q = v * v, w * w
        inner: Any = _TERMS[terms - 1]  # T_i
        outer: Any = inner  # sum_(j >= i) p^(j - i) T_j
        for coefficient in reversed(_TERMS[: terms - 1]):
            inner = coefficient + q * inner
            outer = inner + p * outer
        tail = tail + (v + w) * outer
    return log1p(c * w) + c * v * w * tail
