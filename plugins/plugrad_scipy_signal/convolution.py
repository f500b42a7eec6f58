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

``fftconvolve`` and ``oaconvolve`` broadcast the axes they do not convolve, but their
'same' mode crops every axis to ``in1``'s length: where ``in1`` has length 1 and ``in2``
``n2``, it keeps ``in2``'s slice ``(n2 - 1) // 2``. Broadcasting a length 1 is convolving
with it, and that slice is then the 'same' window, so their plans convolve such axes too.

``convolve`` also takes autograd's generalization, ``convolve(A, B, axes, dot_axes, mode)``
(told from SciPy's ``(in1, in2, mode, method)`` by its third argument, a mode being a
string): the axes ``axes`` pairs are convolved, the ``dot_axes`` pairs contracted, the
others kept as an outer product. That is a window of ``C`` again, after laying the inputs
out so that ``C`` broadcasts along the kept axes, summed over the contracted ones (see
:class:`Pairing`); its rules are ``_convolve_window``'s, laid out the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.signal as sg

from plugrad import Primitive, Sample, rand
from plugrad_numpy._util import iscomplex, shape_of, unbroadcast
from plugrad_numpy.indexing import getitem, scatter
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import flip, reshape, transpose
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
    if mode == "same" and any(a.shape[k] < b.shape[k] for k in range(a.ndim) if k not in axes):
        mode = None  # SciPy's 'same' crops the axes not convolved to in1's, undoing the broadcast
    run = mode or "full"
    if method == "auto" and len(axes) == a.ndim == b.ndim:
        out = _shortcut(a, b, window, mode)
        if out is not None:
            return out
    if method == "oa":
        out = sg.oaconvolve(a, b, run, axes)
    elif len(axes) == a.ndim:
        out = sg.convolve(a, b, run, method)
    else:
        out = sg.fftconvolve(a, b, run, axes)
    return out if mode is not None else _cut(out, axes, window)


# Convolutions of float arrays along all their axes (SciPy's convolve with method 'auto', and
# the rules' windows) take shortcuts where SciPy's convolve costs more: its call alone costs
# 10-90 us (choosing a method), its direct method in two or more dimensions is slow, and it
# chooses an FFT of the larger input where the result is a few long sums.


def _shortcut(a: np.ndarray, b: np.ndarray, window: Window, mode: str | None) -> np.ndarray | None:
    """``window`` of the full convolution of ``a`` and ``b`` (SciPy's ``mode``, or None),
    if a shortcut applies: NumPy's direct loop in 1-D, shifted products where one input
    has a few elements (a 3x3 kernel), or one sum per output element for a small 'valid'
    result."""
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc" or a.ndim == 0 or not (a.size and b.size):
        return None
    axes = tuple(range(a.ndim))
    small, large = (a, b) if a.size <= b.size else (b, a)
    if a.ndim == 1:
        run = "valid" if mode == "valid" else "full"
        products = small.size * (large.size - small.size + 1 if run == "valid" else large.size)
        if products > 1 << 22:  # (NumPy's direct loop: a few ms at most)
            return None
        out = np.convolve(large, small, run)
        return out if mode == run else _cut(out, axes, window)
    if small.size <= 9:  # a 3x3 kernel: 0.3-0.7 times SciPy's time for 20x20 to 500x500 (5x5: 0.8-1.4)
        return _cut(_full_by_shifts(large, small), axes, window)
    if mode == "valid" and _few_long_sums(small, large):
        return _valid_by_sums(large, small)
    return None


def _full_by_shifts(large: np.ndarray, small: np.ndarray) -> np.ndarray:
    """The full convolution of ``large`` with ``small``, of a few elements: ``small[m] *
    large`` added at offset ``m``, for each ``m``."""
    shape = tuple(m + n - 1 for m, n in zip(large.shape, small.shape))
    out = np.zeros(shape, np.result_type(large.dtype, small.dtype))
    for m in np.ndindex(*small.shape):
        out[tuple(slice(i, i + n) for i, n in zip(m, large.shape))] += small[m] * large
    return out


def _few_long_sums(small: np.ndarray, large: np.ndarray) -> bool:
    """Whether the 'valid' convolution of ``small`` with ``large`` (as large along every
    axis) is a few long inner products, as the cotangent of a kernel convolved with a large
    array is: one per output element, over ``small``, which costs less than the FFT of
    ``large`` that SciPy chooses (4-9 times less for a 5x5 kernel and a 200x200 array)."""
    outputs = np.prod([m - n + 1 for m, n in zip(large.shape, small.shape)])
    return all(m >= n for m, n in zip(large.shape, small.shape)) and outputs <= 16 * np.log2(large.size)


def _valid_by_sums(large: np.ndarray, small: np.ndarray) -> np.ndarray:
    """The 'valid' convolution of ``large`` with ``small``, each output element the sum of
    ``small`` reversed times the window of ``large`` under it."""
    shape = tuple(m - n + 1 for m, n in zip(large.shape, small.shape))
    reverse = np.conj(small[(slice(None, None, -1),) * small.ndim])  # (vdot conjugates its first argument)
    out = np.empty(shape, np.result_type(large.dtype, small.dtype))
    for k in np.ndindex(*shape):
        out[k] = np.vdot(reverse, large[tuple(slice(i, i + n) for i, n in zip(k, small.shape))])
    return out


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
    Sample(rand(1, 5), rand(3, 3), (1,), ((1, 5),), "auto"),  # SciPy's 'same' window, broadcast along axis 0
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
    extend: Any = None  # an index of a: the window is of C(a[extend], b') (convolve2d's 'wrap', 'symm')


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


def _fft_axes(a: Any, b: Any, axes: Any) -> tuple[int, ...]:
    """``axes``, and every other axis along which ``a`` has length 1 and ``b`` does not."""
    shape_a, shape_b = shape_of(a), shape_of(b)
    ndim = len(shape_a)
    convolved = set(range(ndim)) if axes is None else {int(ax) % ndim for ax in np.atleast_1d(axes)}
    # broadcasting a length 1 is convolving with it, and SciPy's 'same' crops it to that 1
    return tuple(k for k in range(ndim) if k in convolved or shape_a[k] == 1 != shape_b[k])


def _plan_fftconvolve(a: Any, b: Any, mode: str = "full", axes: Any = None) -> Plan:
    axes = _fft_axes(a, b, axes)
    return Plan(axes, _windows(a, b, axes, mode), "fft")


def _plan_oaconvolve(a: Any, b: Any, mode: str = "full", axes: Any = None) -> Plan:
    axes = _fft_axes(a, b, axes)
    return Plan(axes, _windows(a, b, axes, mode), "oa")


_FILL = ("fill", "pad")
# SciPy's other boundaries extend a as NumPy's pad of these modes does, by as much as b
# reaches beyond it, whatever their lengths (b longer than a wraps or reflects again).
_EXTENDED = {"wrap": "wrap", "circular": "wrap", "symm": "symmetric", "symmetric": "symmetric"}


def _plan_2d(name: str, correlate: bool) -> Callable[..., Plan]:
    def plan(a: Any, b: Any, mode: str = "full", boundary: str = "fill", fillvalue: Any = 0) -> Plan:
        axes = (0, 1)
        # correlate2d centres 'same' half a sample the other way; its swapped 'valid' mode
        # correlates b with a and reverses, the conjugate of correlating a with b
        swapped = mode == "valid" and not all(x >= y for x, y in zip(shape_of(a), shape_of(b)))
        window = _windows(a, b, axes, mode, same_shift=1 if correlate else 0)
        if mode == "valid" or boundary in _FILL:  # ('valid' reads no boundary)
            fill = 0 if mode == "valid" else fillvalue
            return Plan(axes, window, correlate=correlate, conj_out=correlate and swapped, fill=fill)
        pad = _EXTENDED.get(boundary) if isinstance(boundary, str) else None
        if pad is None:
            raise ValueError(
                f"scipy.signal.{name}: boundary={boundary!r} is not one of SciPy's boundaries; give 'fill', "
                "'wrap' or 'symm'."
            )
        # a extended by n2 - 1 on each side, of which the output is the window that
        # starts n2 - 1 later: the same convolution as with a fill, of a longer input
        reach = _lengths(b, axes)
        extend = np.ix_(*(np.pad(np.arange(n), r - 1, mode=pad) for n, r in zip(_lengths(a, axes), reach)))
        window = tuple((start + r - 1, length) for (start, length), r in zip(window, reach))
        return Plan(axes, window, correlate=correlate, extend=extend)

    return plan


def _public_vjps(plan_of: Callable[..., Plan]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The VJPs in ``a`` and ``b`` of the function ``plan_of`` describes. Every rule names
    the inputs as SciPy does, ``in1`` and ``in2``, so that one passed by keyword (a constant
    ``in2=``, which the kernel leaves a keyword) reaches it as it reaches the function."""

    def cotangent(g: Any, plan: Plan) -> Any:
        return conj(g) if plan.conj_out and iscomplex(g) else g

    def vjp_a(g: Any, ans: Any, in1: Any, in2: Any, *params: Any, **kwargs: Any) -> Any:
        a, b = in1, in2
        plan = plan_of(a, b, *params, **kwargs)
        reversed_b = (conj(b) if iscomplex(b) else b) if plan.correlate else flip(b, plan.axes)  # reverse(b')
        lengths = _lengths(a, plan.axes) if plan.extend is None else [len(i.ravel()) for i in plan.extend]
        w = _transpose(plan.window, lengths, _lengths(b, plan.axes))
        ct = convolve_window(cotangent(g, plan), reversed_b, plan.axes, w, plan.method)
        # (of a's extension: each element's added up where it was read from)
        return unbroadcast(ct, a) if plan.extend is None else scatter(ct, plan.extend, a)

    def vjp_b(g: Any, ans: Any, in1: Any, in2: Any, *params: Any, **kwargs: Any) -> Any:
        a, b = in1, in2
        plan = plan_of(a, b, *params, **kwargs)
        g = cotangent(g, plan)
        if plan.extend is not None:
            a = getitem(a, plan.extend)
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


def _public(
    fun: Callable[..., Any],
    plan_of: Callable[..., Plan],
    samples: list[Sample],
    jvps: Any = None,
    vjps: Any = None,
) -> Primitive:
    """``fun`` with the VJPs ``plan_of`` gives (or ``vjps(those)``), and JVPs
    ``jvps(prim, plan_of)`` (by default the function of the tangent: it is linear in each input)."""
    prim = Primitive(f"scipy.signal.{fun.__name__}", fun, complex=True, saves=("args",))
    prim.def_vjp(*(_public_vjps(plan_of) if vjps is None else vjps(_public_vjps(plan_of))))
    if jvps is None:
        prim.def_linear(0, 1)
    else:
        prim.def_jvp(*jvps(prim, plan_of))
    prim.def_samples(*samples)
    return prim


def _jvps_2d(prim: Primitive, plan_of: Callable[..., Plan]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The function of the tangent; in ``a`` with ``fillvalue`` 0, as the function is affine in
    ``a`` when the fill is not 0 (with any boundary it is linear in ``b``)."""

    def jvp_a(
        t: Any, ans: Any, in1: Any, in2: Any, mode: str = "full", boundary: str = "fill", fillvalue: Any = 0
    ) -> Any:
        return prim(t, in2, mode, boundary, 0)

    def jvp_b(t: Any, ans: Any, in1: Any, in2: Any, *params: Any, **kwargs: Any) -> Any:
        return prim(in1, t, *params, **kwargs)

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
        Sample(rand(4, 5), rand(2, 2), "same"),  # shifted products (a kernel of a few elements)
        Sample(rand(6, 7), rand(4, 4), "valid"),  # one sum per output element
        Sample(rand(4, 6), rand(5, 3)),  # SciPy's own choice
        Sample(rand(5), in2=rand(3), mode="same").named("in2 by keyword"),
    ]


def _axes_samples() -> list[Sample]:
    return [
        Sample(rand(6), rand(3)),
        Sample(rand(4, 5), rand(2, 2), "same"),
        Sample(rand(3, 7), rand(1, 4), "same", 1),  # broadcast along axis 0
        Sample(rand(2, 6), rand(2, 3), "valid", axes=-1),
        Sample(rand(3, 2), rand(5, 1), mode="full", axes=[0]),
        Sample(rand(1, 5), rand(3, 3), "same", axes=1),  # 'same' keeps in2's middle row
        Sample(rand(2, 1, 5), rand(1, 4, 3), "same", -1),  # broadcast both ways, in2's row 1 of 4
        Sample(rand(1, 4), rand(3, 2), "valid", axes=1),
        Sample(rand(1, 3), rand(2, 4), mode="full", axes=-1),
        Sample(rand(2, 6), in2=rand(2, 3), axes=-1).named("in2 by keyword"),
    ]


# -- autograd's convolve: paired axes, contracted axes, outer products -----------------------


@dataclasses.dataclass(frozen=True)
class Pairing:
    """autograd's ``convolve(A, B, axes, dot_axes, mode)``: ``A``'s axes ``axes[0]`` convolved
    with ``B``'s ``axes[1]`` (pair by pair), ``dot_axes[0]`` contracted with ``dot_axes[1]``,
    every other axis of either kept, in the output order (A's others, B's others, convolved).

    That is the sum over the contracted axes of a window of the full convolution ``C(A', B')``,
    where ``A'`` lays ``A`` out as (its others, 1 for each of B's others, contracted,
    convolved) and ``B'`` lays ``B`` out as (1 for each of A's others, its others,
    contracted, convolved): ``C`` broadcasts along the rest.
    """

    perms: tuple[tuple[int, ...], tuple[int, ...]]  # each input's axes in layout order
    shapes: tuple[tuple[int, ...], tuple[int, ...]]  # A', B'
    dots: tuple[int, ...]  # the contracted axes of the layout
    axes: tuple[int, ...]  # the convolved axes of the layout
    window: Window
    method: str

    def lay(self, x: Any, i: int) -> Any:
        return reshape(transpose(x, self.perms[i]), self.shapes[i])

    def unlay(self, y: Any, i: int, shape: tuple[int, ...]) -> Any:
        y = reshape(y, tuple(shape[k] for k in self.perms[i]))
        return transpose(y, tuple(int(k) for k in np.argsort(self.perms[i])))

    def apply(self, a: Any, b: Any) -> Any:
        out = convolve_window(self.lay(a, 0), self.lay(b, 1), self.axes, self.window, self.method)
        return sum_(out, axis=self.dots) if self.dots else out

    def vjp(self, argnum: int, g: Any, a: Any, b: Any) -> Any:
        if self.dots:  # the contracted axes back, as 1s
            n, shape = self.dots[0], tuple(shape_of(g))
            g = reshape(g, shape[:n] + (1,) * len(self.dots) + shape[n:])
        c = _window_vjp(argnum, g, None, self.lay(a, 0), self.lay(b, 1), self.axes, self.window, self.method)
        return self.unlay(c, argnum, tuple(shape_of(a if argnum == 0 else b)))


def _axis_list(axes: Any, ndim: int) -> list[int]:
    return [operator.index(k) % ndim for k in axes]


def _pairing(a: Any, b: Any, axes: Any, dot_axes: Any, mode: str, method: str) -> Pairing:
    shape_a, shape_b = tuple(shape_of(a)), tuple(shape_of(b))
    dot_a, dot_b = (_axis_list(d, len(s)) for d, s in zip(dot_axes or ((), ()), (shape_a, shape_b)))
    if axes is None:  # every axis not contracted, in order
        conv_a = [k for k in range(len(shape_a)) if k not in dot_a]
        conv_b = [k for k in range(len(shape_b)) if k not in dot_b]
    else:
        conv_a, conv_b = (_axis_list(c, len(s)) for c, s in zip(axes, (shape_a, shape_b)))
    for name, pa, pb in (("axes", conv_a, conv_b), ("dot_axes", dot_a, dot_b)):
        if len(pa) != len(pb):
            raise ValueError(
                f"scipy.signal.convolve: {name} pairs axes {pa} of in1 with {pb} of in2; give as many of each"
            )
    if [shape_a[k] for k in dot_a] != [shape_b[k] for k in dot_b]:
        raise ValueError(
            f"scipy.signal.convolve: dot_axes {dot_a} of in1 and {dot_b} of in2 differ in length "
            f"(shapes {shape_a} and {shape_b})"
        )
    for used in (conv_a + dot_a, conv_b + dot_b):
        if len(set(used)) != len(used):
            raise ValueError(f"scipy.signal.convolve: an axis appears twice in axes and dot_axes ({used})")
    rest_a = [k for k in range(len(shape_a)) if k not in conv_a + dot_a]
    rest_b = [k for k in range(len(shape_b)) if k not in conv_b + dot_b]
    n1, n2 = [shape_a[k] for k in conv_a], [shape_b[k] for k in conv_b]
    if mode == "valid" and not (all(x >= y for x, y in zip(n1, n2)) or all(x <= y for x, y in zip(n1, n2))):
        raise ValueError(
            "scipy.signal.convolve: for 'valid' mode, one input must be at least as large as the other "
            f"along every convolved axis, but they are {n1} and {n2} long"
        )
    dots = tuple(shape_a[k] for k in dot_a)
    ones_a, ones_b = (1,) * len(rest_a), (1,) * len(rest_b)
    start = len(rest_a) + len(rest_b)
    return Pairing(
        perms=(tuple(rest_a + dot_a + conv_a), tuple(rest_b + dot_b + conv_b)),
        shapes=(
            tuple(shape_a[k] for k in rest_a) + ones_b + dots + tuple(n1),
            ones_a + tuple(shape_b[k] for k in rest_b) + dots + tuple(n2),
        ),
        dots=tuple(range(start, start + len(dots))),
        axes=tuple(range(start + len(dots), start + len(dots) + len(n1))),
        window=tuple(mode_window(x, y, mode) for x, y in zip(n1, n2)),
        method=method,
    )


def _scipy_order(
    mode: str = "full", method: str = "auto", *, axes: Any = None, dot_axes: Any = None
) -> tuple[Any, ...]:
    return mode, method, axes, dot_axes


def _autograd_order(
    axes: Any = None, dot_axes: Any = None, mode: str = "full", *, method: str = "auto"
) -> tuple[Any, ...]:
    return mode, method, axes, dot_axes


def _convolve_call(a: Any, b: Any, *args: Any, **kwargs: Any) -> tuple[str, str, Pairing | None]:
    """SciPy's ``(mode, method)`` or autograd's ``(axes, dot_axes, mode)`` after the inputs (told
    apart by the first: a mode is a string), and autograd's pairing when axes are given."""
    autograd = bool(args) and not isinstance(args[0], str)
    mode, method, axes, dot_axes = (_autograd_order if autograd else _scipy_order)(*args, **kwargs)
    if axes is None and not any(len(d) for d in dot_axes or ()):
        return mode, method, None
    return mode, method, _pairing(a, b, axes, dot_axes, mode, method)


def _convolve(in1: Any, in2: Any, *args: Any, **kwargs: Any) -> Any:
    mode, method, pairing = _convolve_call(in1, in2, *args, **kwargs)
    if pairing is not None:
        return pairing.apply(in1, in2)
    if method == "auto" and type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == in2.ndim:
        n1, n2 = in1.shape, in2.shape
        if mode != "valid" or all(x >= y for x, y in zip(n1, n2)) or all(x <= y for x, y in zip(n1, n2)):
            window = tuple(mode_window(x, y, mode) for x, y in zip(n1, n2))  # (mode_window checks mode)
            out = _shortcut(in1, in2, window, mode)
            if out is not None:
                return out
    return sg.convolve(in1, in2, mode, method)


_convolve.__name__ = "convolve"
_convolve.__doc__ = """``scipy.signal.convolve(in1, in2, mode='full', method='auto')``, and autograd's
generalization ``convolve(A, B, axes=None, dot_axes=[(), ()], mode='full')``: ``axes``
pairs the convolved axes of ``A`` and ``B``, ``dot_axes`` the contracted ones, the
others are kept (A's, then B's, then the convolved ones). Differentiable in both inputs."""


def _convolve_vjps(plain: tuple[Callable[..., Any], Callable[..., Any]]) -> tuple[Callable[..., Any], ...]:
    """SciPy's rules (``plain``) for SciPy's calls, the pairing's for autograd's."""

    def rule(argnum: int) -> Callable[..., Any]:
        def vjp(g: Any, ans: Any, in1: Any, in2: Any, *args: Any, **kwargs: Any) -> Any:
            mode, method, pairing = _convolve_call(in1, in2, *args, **kwargs)
            if pairing is None:
                return plain[argnum](g, ans, in1, in2, mode, method)
            return pairing.vjp(argnum, g, in1, in2)

        return vjp

    return rule(0), rule(1)


def _pairing_samples() -> list[Sample]:
    return [
        Sample(rand(4, 3), rand(3, 2), axes=([0], [1]), mode="same"),
        Sample(rand(4, 3), rand(2, 2), axes=([1, 0], [1, 0]), mode="valid"),
        Sample(rand(3, 3, 2), rand(3, 2, 3), axes=([1], [1]), dot_axes=([0], [2]), mode="valid"),
        Sample(rand(3, 4), rand(3, 2), ([1], [1]), ([0], [0]), "full"),  # autograd's positional order
        Sample(rand(2, 3), rand(2, 4), axes=([], []), dot_axes=([0], [0])),  # a tensordot
        Sample(rand(2, 5, 3), rand(3, 2, 2), axes=([1], [2]), dot_axes=([2, 0], [0, 1]), mode="full"),
        Sample(rand(4, 3), in2=rand(3, 2), axes=([0], [1])).named("in2 by keyword"),
    ]


def _2d_samples() -> list[Sample]:
    return [
        Sample(rand(4, 5), rand(2, 3)),
        Sample(rand(4, 5), rand(2, 2), "same"),
        Sample(rand(3, 4), rand(3, 3), "same", "fill", 0.7),
        Sample(rand(4, 5), rand(2, 3), "valid", "wrap"),
        Sample(rand(3, 4), rand(2, 3), "full", "wrap"),
        Sample(rand(4, 3), rand(3, 2), "same", "symm"),
        Sample(rand(2, 3), rand(4, 2), "same", "wrap").named("a kernel longer than the input, wrapped twice"),
        Sample(rand(2, 2), rand(3, 4), "full", "symm").named("a kernel longer than the input, reflected twice"),
        Sample(rand(2, 3), rand(4, 4), "valid"),
        Sample(rand(2, 3), rand(4, 3), "valid"),
        Sample(rand(2, 3), rand(3, 2), "full", "fill", -1.5),
        Sample(rand(4, 5), in2=rand(2, 3), boundary="wrap", mode="same").named("in2 by keyword"),
        Sample(rand(3, 4), in2=rand(2, 2), fillvalue=0.5, mode="same").named("in2 by keyword, a fill"),
    ]


convolve = _public(_convolve, _plan_convolve, _nd_samples() + _pairing_samples(), vjps=_convolve_vjps)
correlate = _public(sg.correlate, _plan_correlate, _nd_samples())
fftconvolve = _public(sg.fftconvolve, _plan_fftconvolve, _axes_samples())
oaconvolve = _public(sg.oaconvolve, _plan_oaconvolve, _axes_samples())
convolve2d = _public(sg.convolve2d, _plan_2d("convolve2d", False), _2d_samples(), _jvps_2d)
correlate2d = _public(sg.correlate2d, _plan_2d("correlate2d", True), _2d_samples(), _jvps_2d)

ENTRIES = [convolve_window, convolve, correlate, fftconvolve, oaconvolve, convolve2d, correlate2d]
