"""Convolutions and correlations, each a window of one full convolution.

``C(a, b)[k] = sum_i a[i] b[k - i]`` along the convolved axes (elementwise, with
broadcasting, along the others), zero outside ``0 <= k < n1 + n2 - 1``. Every function
here is the window ``[start, start + length)`` of ``C(a, b')`` along each convolved
axis, with ``b' = b`` for a convolution and ``b' = conj(reverse(b))`` for a correlation:

    mode    start              length
    full    0                  n1 + n2 - 1
    same    (n2 - 1) // 2      n1                 (correlate2d: n2 // 2)
    valid   min(n1, n2) - 1    |n1 - n2| + 1

Transposed, the window is in ``a`` the window from ``n2 - 1 - start`` (length ``n1``)
of ``C(g, reverse(b'))``, and in ``b'`` the window from ``n1 - 1 - start`` (length
``n2``) of ``C(g, reverse(a))``: windows of full convolutions again, so
``_convolve_window`` carries the rules of every function here and its own, to any order.
Each function is linear in each input, so its JVP is the function of the tangent.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.signal as sg

from plugrad import Primitive, Sample, rand
from plugrad.errors import NotDifferentiableError
from plugrad_numpy._util import iscomplex, shape_of, unbroadcast
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import flip
from plugrad_numpy.unary import conj

Window = tuple[tuple[int, int], ...]  # (start, length) along each convolved axis


def mode_window(n1: int, n2: int, mode: str, same_start: int | None = None) -> tuple[int, int]:
    """The window of SciPy's ``mode`` in the full convolution of lengths ``n1`` and ``n2``."""
    if mode == "full":
        return 0, n1 + n2 - 1
    if mode == "same":
        return ((n2 - 1) // 2 if same_start is None else same_start), n1
    if mode == "valid":
        return min(n1, n2) - 1, abs(n1 - n2) + 1
    raise ValueError(f"acceptable mode flags are 'valid', 'same', or 'full', not {mode!r}")


# -- the window of a full convolution --------------------------------------------------------


def _scipy_mode(n1: Sequence[int], n2: Sequence[int], window: Window) -> str | None:
    """The mode in which SciPy computes exactly ``window``, if there is one."""
    for mode in ("full", "valid", "same"):
        if mode == "valid" and not (all(x >= y for x, y in zip(n1, n2)) or all(x <= y for x, y in zip(n1, n2))):
            continue
        if tuple(mode_window(x, y, mode) for x, y in zip(n1, n2)) == tuple(window):
            return mode
    return None


def _cut(full: np.ndarray, axes: tuple[int, ...], window: Window) -> np.ndarray:
    """``window`` of ``full`` along ``axes``, zeros where it reaches beyond ``full``."""
    index = [slice(None)] * full.ndim
    pads = [(0, 0)] * full.ndim
    for ax, (start, length) in zip(axes, window):
        n = full.shape[ax]
        lo, hi = min(max(start, 0), n), min(max(start + length, 0), n)
        index[ax] = slice(lo, hi)
        before = min(length, max(-start, 0))
        pads[ax] = (before, length - before - max(hi - lo, 0))
    out = full[tuple(index)]
    return np.pad(out, pads) if any(p != (0, 0) for p in pads) else out


def _convolve_window(a: Any, b: Any, axes: tuple[int, ...], window: Window, method: str = "auto") -> Any:
    if not axes:
        return np.multiply(a, b)
    a, b = np.asarray(a), np.asarray(b)
    n1, n2 = [a.shape[i] for i in axes], [b.shape[i] for i in axes]
    mode = _scipy_mode(n1, n2, window)
    run = mode or "full"
    if method == "oa":
        out = sg.oaconvolve(a, b, run, axes)
    elif len(axes) == a.ndim:
        out = sg.convolve(a, b, run, method)
    else:
        out = sg.fftconvolve(a, b, run, axes)
    return out if mode is not None else _cut(out, axes, window)


def _lengths(x: Any, axes: tuple[int, ...]) -> list[int]:
    shape = shape_of(x)
    return [shape[i] for i in axes]


def _transpose(window: Window, n_mine: Sequence[int], n_other: Sequence[int]) -> Window:
    """The window of ``C(g, reverse(other))`` that is the cotangent of ``mine``."""
    return tuple((m - 1 - start, n) for (start, _), n, m in zip(window, n_mine, n_other))


def _window_vjp(argnum: int, g: Any, ans: Any, a: Any, b: Any, axes: Any, window: Any, method: str = "auto") -> Any:
    mine, other = (a, b) if argnum == 0 else (b, a)  # C is symmetric in its inputs
    w = _transpose(window, _lengths(mine, axes), _lengths(other, axes))
    return unbroadcast(convolve_window(g, flip(other, axes), axes, w, method), mine)


convolve_window = Primitive("scipy.signal._convolve_window", _convolve_window, complex=True, saves=("args",))
convolve_window.def_vjp(functools.partial(_window_vjp, 0), functools.partial(_window_vjp, 1))
convolve_window.def_linear(0, 1)
convolve_window.def_samples(
    Sample(rand(5), rand(3), (0,), ((1, 4),), "auto"),
    Sample(rand(3, 4), rand(2, 3), (0, 1), ((-1, 3), (2, 6)), "direct"),  # reaches beyond the full convolution
    Sample(rand(2, 5), rand(1, 3), (1,), ((0, 7),), "fft"),  # broadcast along axis 0
    Sample(rand(4, 3), rand(4, 1), (0,), ((2, 3),), "oa"),
)


# -- SciPy's functions -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    """A SciPy call as a window of ``C(a, b')``: see the module's docstring."""

    axes: tuple[int, ...]
    window: Window
    method: str = "auto"
    correlate: bool = False  # b' = conj(reverse(b))
    conj_out: bool = False  # the output is conjugated (correlate2d's swapped 'valid' mode)
    fill: Any = 0  # a is extended by this value, not by zeros (convolve2d's fillvalue)


def _windows(a: Any, b: Any, axes: tuple[int, ...], mode: str, same_shift: int = 0) -> Window:
    return tuple(
        mode_window(n1, n2, mode, (n2 - 1 + same_shift) // 2) for n1, n2 in zip(_lengths(a, axes), _lengths(b, axes))
    )


def _all_axes(a: Any) -> tuple[int, ...]:
    return tuple(range(len(shape_of(a))))


def _plan_convolve(a: Any, b: Any, mode: str = "full", method: str = "auto") -> Plan:
    axes = _all_axes(a)
    return Plan(axes, _windows(a, b, axes, mode), method)


def _plan_correlate(a: Any, b: Any, mode: str = "full", method: str = "auto") -> Plan:
    axes = _all_axes(a)
    return Plan(axes, _windows(a, b, axes, mode), method, correlate=True)


def _fft_axes(a: Any, axes: Any) -> tuple[int, ...]:
    ndim = len(shape_of(a))
    if axes is None:
        return tuple(range(ndim))
    return tuple(sorted({int(ax) % ndim for ax in np.atleast_1d(axes)}))


def _plan_fftconvolve(a: Any, b: Any, mode: str = "full", axes: Any = None) -> Plan:
    axes = _fft_axes(a, axes)
    return Plan(axes, _windows(a, b, axes, mode), "fft")


def _plan_oaconvolve(a: Any, b: Any, mode: str = "full", axes: Any = None) -> Plan:
    axes = _fft_axes(a, axes)
    return Plan(axes, _windows(a, b, axes, mode), "oa")


_FILL = ("fill", "pad")


def _plan_2d(name: str, correlate: bool) -> Callable[..., Plan]:
    def plan(a: Any, b: Any, mode: str = "full", boundary: str = "fill", fillvalue: Any = 0) -> Plan:
        if boundary not in _FILL and mode != "valid":  # 'valid' reads no boundary
            raise NotDifferentiableError(
                f"scipy.signal.{name} is differentiable with boundary='fill' only (or in mode 'valid', which "
                f"reads no boundary), not boundary={boundary!r}. Extend the input with plugrad.numpy.pad "
                f"(mode='wrap' or 'symmetric', differentiable) and use mode='valid' instead."
            )
        axes = (0, 1)
        # correlate2d centres 'same' half a sample the other way; its swapped 'valid' mode
        # correlates b with a and reverses, the conjugate of correlating a with b
        swapped = mode == "valid" and not all(x >= y for x, y in zip(shape_of(a), shape_of(b)))
        window = _windows(a, b, axes, mode, same_shift=1 if correlate else 0)
        fill = 0 if mode == "valid" else fillvalue
        return Plan(axes, window, correlate=correlate, conj_out=correlate and swapped, fill=fill)

    return plan


def _public_vjps(plan_of: Callable[..., Plan]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The VJPs in ``a`` and ``b`` of the function ``plan_of`` describes."""

    def cotangent(g: Any, plan: Plan) -> Any:
        return conj(g) if plan.conj_out and iscomplex(g) else g

    def vjp_a(g: Any, ans: Any, a: Any, b: Any, *params: Any, **kwargs: Any) -> Any:
        plan = plan_of(a, b, *params, **kwargs)
        reversed_b = (conj(b) if iscomplex(b) else b) if plan.correlate else flip(b, plan.axes)  # reverse(b')
        w = _transpose(plan.window, _lengths(a, plan.axes), _lengths(b, plan.axes))
        return unbroadcast(convolve_window(cotangent(g, plan), reversed_b, plan.axes, w, plan.method), a)

    def vjp_b(g: Any, ans: Any, a: Any, b: Any, *params: Any, **kwargs: Any) -> Any:
        plan = plan_of(a, b, *params, **kwargs)
        g = cotangent(g, plan)
        w = _transpose(plan.window, _lengths(b, plan.axes), _lengths(a, plan.axes))
        h = convolve_window(g, flip(a, plan.axes), plan.axes, w, plan.method)  # the cotangent of b'
        if plan.fill != 0:  # a's extension by fill: fill times the sum of g over the points outside a
            ones = np.ones(shape_of(a))
            h = h + plan.fill * (sum_(g) - convolve_window(g, ones, plan.axes, w, plan.method))
        if plan.correlate:
            h = flip(h, plan.axes)
            h = conj(h) if iscomplex(h) else h
        return unbroadcast(h, b)

    return vjp_a, vjp_b


def _public(fun: Callable[..., Any], plan_of: Callable[..., Plan], samples: list[Sample], jvps: Any = None) -> Primitive:
    """``fun`` with the VJPs ``plan_of`` gives, and JVPs ``jvps(prim, plan_of)`` (by default
    the function of the tangent: it is linear in each input)."""
    prim = Primitive(f"scipy.signal.{fun.__name__}", fun, complex=True, saves=("args",))
    prim.def_vjp(*_public_vjps(plan_of))
    if jvps is None:
        prim.def_linear(0, 1)
    else:
        prim.def_jvp(*jvps(prim, plan_of))
    prim.def_samples(*samples)
    return prim


def _jvps_2d(prim: Primitive, plan_of: Callable[..., Plan]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The function of the tangent, after checking the boundary; in ``a`` with ``fillvalue`` 0,
    as the function is affine in ``a`` when the fill is not 0."""

    def jvp_a(t: Any, ans: Any, a: Any, b: Any, mode: str = "full", boundary: str = "fill", fillvalue: Any = 0) -> Any:
        plan_of(a, b, mode, boundary, fillvalue)
        return prim(t, b, mode, boundary, 0)

    def jvp_b(t: Any, ans: Any, a: Any, b: Any, *params: Any, **kwargs: Any) -> Any:
        plan_of(a, b, *params, **kwargs)
        return prim(a, t, *params, **kwargs)

    return jvp_a, jvp_b


def _nd_samples() -> list[Sample]:
    return [
        Sample(rand(5), rand(3)),
        Sample(rand(5), rand(4), "same"),
        Sample(rand(3), rand(6), "same"),
        Sample(rand(6), rand(3), "valid", "direct"),
        Sample(rand(3), rand(5), mode="valid"),  # SciPy swaps the inputs
        Sample(rand(4, 5), rand(2, 3), "same", "fft"),
        Sample(rand(3, 4), rand(2, 2), mode="full", method="direct"),
        Sample(rand(3, 2, 4), rand(2, 2, 2), "valid"),
    ]


def _axes_samples() -> list[Sample]:
    return [
        Sample(rand(6), rand(3)),
        Sample(rand(4, 5), rand(2, 2), "same"),
        Sample(rand(3, 7), rand(1, 4), "same", 1),  # broadcast along axis 0
        Sample(rand(2, 6), rand(2, 3), "valid", axes=-1),
        Sample(rand(3, 2), rand(5, 1), mode="full", axes=[0]),
    ]


def _2d_samples() -> list[Sample]:
    return [
        Sample(rand(4, 5), rand(2, 3)),
        Sample(rand(4, 5), rand(2, 2), "same"),
        Sample(rand(3, 4), rand(3, 3), "same", "fill", 0.7),
        Sample(rand(4, 5), rand(2, 3), "valid", "wrap"),
        Sample(rand(2, 3), rand(4, 4), "valid"),
        Sample(rand(2, 3), rand(4, 3), "valid"),
        Sample(rand(2, 3), rand(3, 2), "full", "fill", -1.5),
    ]


convolve = _public(sg.convolve, _plan_convolve, _nd_samples())
correlate = _public(sg.correlate, _plan_correlate, _nd_samples())
fftconvolve = _public(sg.fftconvolve, _plan_fftconvolve, _axes_samples())
oaconvolve = _public(sg.oaconvolve, _plan_oaconvolve, _axes_samples())
convolve2d = _public(sg.convolve2d, _plan_2d("convolve2d", False), _2d_samples(), _jvps_2d)
correlate2d = _public(sg.correlate2d, _plan_2d("correlate2d", True), _2d_samples(), _jvps_2d)

ENTRIES = [convolve_window, convolve, correlate, fftconvolve, oaconvolve, convolve2d, correlate2d]
