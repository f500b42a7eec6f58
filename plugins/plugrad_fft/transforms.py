"""Discrete Fourier transforms and their transposes.

Along one axis the input has length ``m``, the transform length is ``n`` (the input
is truncated or zero-padded to it: the map ``P``), and a half spectrum has
``k = n // 2 + 1`` entries. ``F`` is the DFT with the chosen ``norm``; it is a
symmetric matrix, and so is its inverse. A cotangent ``c`` is the functional
``u -> Re sum(c * u)``, so a complex-linear map's VJP is its plain transpose, and a
real-linear one's is the real part of that. ``w`` holds the Hermitian weights of a
half spectrum: 1 at the zero frequency and (``n`` even) at the Nyquist frequency,
2 elsewhere, as each of those stands for a frequency and its mirror image::

    fft(x, n)    = F P x                 VJP:  P^T fft(g)
    ifft(x, n)   = F^-1 P x              VJP:  P^T ifft(g)
    rfft(x, n)   = first k of F P x      VJP:  P^T hfft(g / w, n)     (Re F^T of g padded)
    ihfft(x, n)  = conj(rfft(x, n)) / n  VJP:  P^T irfft(g / w, n)
    irfft(y, n)  = Hermitian extension   VJP:  P^T (w * ihfft(g, n))
    hfft(y, n)   = irfft(conj(y), n) * n VJP:  P^T (w * rfft(g, n))

(the norms pair up as NumPy pairs them, so each line holds for every ``norm``).
An n-dimensional transform is a sequence of 1-D ones, exactly as NumPy computes
it; its VJP is the sequence of their VJPs in reverse order. All rules are written
with these primitives, so they can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand
from plugrad.box import getval
from plugrad_numpy._util import dtype_of, shape_of, unbroadcast

Step = tuple[str, int, int]  # (1-D transform, axis, n)

# -- zero-padding and truncation -------------------------------------------------------------


def _resize_fun(x: Any, n: int, axis: int) -> np.ndarray:
    x = np.asarray(x)
    shape = list(x.shape)
    shape[axis] = n
    out = np.zeros(shape, x.dtype)
    keep = tuple(slice(0, min(n, x.shape[axis])) if i == axis else slice(None) for i in range(x.ndim))
    out[keep] = x[keep]
    return out


_resize = Primitive(
    "numpy.fft._resize",
    _resize_fun,
    complex=True,
    saves=("shapes",),
    doc="``x`` truncated or zero-padded to length ``n`` along ``axis``.",
)
_resize.def_vjp(lambda g, ans, x, n, axis: _resize(g, shape_of(x)[axis], axis))
_resize.def_linear()
_resize.def_samples(
    Sample(rand(5), 3, 0),
    Sample(rand(3), 6, 0),
    Sample(rand(2, 4), 6, 1),
    Sample(rand(4, 3), 2, 0),
)


def resize(x: Any, n: int, axis: int) -> Any:
    return x if shape_of(x)[axis] == n else _resize(x, n, axis)


# -- the plan of a transform: its 1-D steps ------------------------------------------------

_HALF = ("rfft", "ihfft")  # steps whose output is a half spectrum
_LONG = ("irfft", "hfft")  # steps whose default n is 2 (m - 1)


def _default_n(kind: str, m: int) -> int:
    return 2 * (m - 1) if kind in _LONG else m


def _cook(shape: tuple[int, ...], s: Any, axes: Any, last: str) -> tuple[list[int], list[int]]:
    """NumPy's reading of ``s`` and ``axes`` (without its deprecation warnings):
    ``axes`` defaults to the last ``len(s)`` axes, or all; ``s[i]`` to the input's length
    (to ``n``'s default for the ``last`` transform, where ``s`` is not given at all)."""
    ndim = len(shape)
    if axes is None:
        axes = list(range(-(len(s) if s is not None else ndim), 0))
    axes = [int(a) % ndim for a in np.atleast_1d(axes)]
    if s is None:
        s = [shape[a] for a in axes]
        if axes:  # (no axes: no transform)
            s[-1] = _default_n(last, shape[axes[-1]])
    s = [int(shape[a]) if n is None or n == -1 else int(n) for n, a in zip(s, axes)]
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return s, axes


def _plan_1d(kind: str) -> Callable[..., list[Step]]:
    def plan(shape: tuple[int, ...], n: Any, axis: int) -> list[Step]:
        axis = int(axis) % len(shape)
        return [(kind, axis, _default_n(kind, shape[axis]) if n is None else int(n))]

    return plan


def _plan_nd(kind: str) -> Callable[..., list[Step]]:
    """The steps of ``fftn``, ``ifftn``, ``rfftn`` or ``irfftn``, in NumPy's order."""

    def plan(shape: tuple[int, ...], s: Any, axes: Any) -> list[Step]:
        s, axes = _cook(shape, s, axes, kind)
        last = len(axes) - 1
        if kind == "rfft":
            return [("rfft", axes[last], s[last])] + [("fft", axes[i], s[i]) for i in range(last - 1, -1, -1)]
        if kind == "irfft":
            return [("ifft", axes[i], s[i]) for i in range(last)] + [("irfft", axes[last], s[last])]
        return [(kind, axes[i], s[i]) for i in range(last, -1, -1)]

    return plan


# -- the transposes of the 1-D steps -------------------------------------------------------


def _weights(n: int, axis: int, g: Any) -> np.ndarray:
    """The Hermitian weights of a half spectrum of length ``n // 2 + 1``, along ``axis``."""
    w = np.full(n // 2 + 1, 2.0, np.zeros((), dtype_of(getval(g))).real.dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * len(shape_of(g))
    shape[axis] = -1
    return w.reshape(shape)


def _step_transpose(g: Any, kind: str, axis: int, n: int, m: int, norm: Any) -> Any:
    """The VJP of one 1-D step, from its output cotangent ``g`` to its input's (length ``m``)."""
    if kind == "fft":
        h = fft(g, None, axis, norm)
    elif kind == "ifft":
        h = ifft(g, None, axis, norm)
    elif kind == "rfft":
        h = hfft(g / _weights(n, axis, g), n, axis, norm)
    elif kind == "ihfft":
        h = irfft(g / _weights(n, axis, g), n, axis, norm)
    elif kind == "irfft":
        h = ihfft(g, n, axis, norm)
        h = h * _weights(n, axis, h)
    else:  # hfft
        h = rfft(g, n, axis, norm)
        h = h * _weights(n, axis, h)
    return resize(h, m, axis)


def _vjp_along(g: Any, x: Any, steps: list[Step], norm: Any) -> Any:
    """The VJP of the sequence of 1-D ``steps`` applied to ``x``: their VJPs in reverse."""
    lengths = list(shape_of(x))
    before = []  # the input length of each step
    for kind, axis, n in steps:
        before.append(lengths[axis])
        lengths[axis] = n // 2 + 1 if kind in _HALF else n
    for (kind, axis, n), m in zip(reversed(steps), reversed(before)):
        g = _step_transpose(g, kind, axis, n, m, norm)
    return unbroadcast(g, x)


def _vjp_1d(plan: Callable[..., list[Step]]) -> Callable[..., Any]:
    def vjp(
        g: Any, ans: Any, x: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None
    ) -> Any:
        return _vjp_along(g, x, plan(shape_of(x), n, axis), norm)

    return vjp


def _vjp_nd(plan: Callable[..., list[Step]], default_axes: Any) -> Callable[..., Any]:
    def vjp(
        g: Any, ans: Any, x: Any, s: Any = None, axes: Any = default_axes, norm: Any = None, out: Any = None
    ) -> Any:
        return _vjp_along(g, x, plan(shape_of(x), s, axes), norm)

    return vjp


def _transform_jvp(prim: Primitive) -> Callable[..., Any]:
    def jvp(t: Any, ans: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("out", None)  # the tangent must not overwrite the primal's output array
        return prim(t, *args[:3], **kwargs)

    return jvp


def transform(name: str, fun: Callable[..., Any], vjp: Callable[..., Any], *, complex: bool) -> Primitive:
    # The rules read the input's shape and dtype and the small arguments (n, s, axis, axes,
    # norm), which "shapes" keeps as they are: NumPy integers and integer arrays too.
    prim = Primitive(f"numpy.fft.{name}", fun, complex=complex, saves=("shapes",))
    prim.def_vjp(vjp)
    prim.def_jvp(_transform_jvp(prim))
    return prim


# -- one-dimensional transforms --------------------------------------------------------------

fft = transform("fft", np.fft.fft, _vjp_1d(_plan_1d("fft")), complex=True)
ifft = transform("ifft", np.fft.ifft, _vjp_1d(_plan_1d("ifft")), complex=True)
rfft = transform("rfft", np.fft.rfft, _vjp_1d(_plan_1d("rfft")), complex=False)  # NumPy refuses complex input
ihfft = transform("ihfft", np.fft.ihfft, _vjp_1d(_plan_1d("ihfft")), complex=False)
irfft = transform("irfft", np.fft.irfft, _vjp_1d(_plan_1d("irfft")), complex=True)
hfft = transform("hfft", np.fft.hfft, _vjp_1d(_plan_1d("hfft")), complex=True)


def _samples_1d(half_input: bool) -> list[Sample]:
    """Odd and even lengths, ``n`` shorter and longer than the input, every norm, an axis.
    ``half_input``: the input is a half spectrum (``irfft``, ``hfft``), the output length ``n``."""
    return [
        Sample(rand(5)),
        Sample(rand(4)),
        Sample(rand(6), 3),
        Sample(rand(3), 8),
        Sample(rand(4), 7 if half_input else 9, norm="ortho"),
        Sample(rand(5), norm="forward"),
        Sample(rand(3, 4), None, 0, "backward"),
        Sample(rand(2, 5), n=4 if half_input else 6, axis=-1, norm="ortho"),
        Sample(rand(1), 1),
    ]


for _prim in (fft, ifft, rfft, ihfft):
    _prim.def_samples(*_samples_1d(half_input=False))
for _prim in (irfft, hfft):
    _prim.def_samples(*_samples_1d(half_input=True)[:-1], Sample(rand(2), 2))


# -- n-dimensional transforms --------------------------------------------------------------

fftn = transform("fftn", np.fft.fftn, _vjp_nd(_plan_nd("fft"), None), complex=True)
ifftn = transform("ifftn", np.fft.ifftn, _vjp_nd(_plan_nd("ifft"), None), complex=True)
rfftn = transform("rfftn", np.fft.rfftn, _vjp_nd(_plan_nd("rfft"), None), complex=False)
irfftn = transform("irfftn", np.fft.irfftn, _vjp_nd(_plan_nd("irfft"), None), complex=True)
fft2 = transform("fft2", np.fft.fft2, _vjp_nd(_plan_nd("fft"), (-2, -1)), complex=True)
ifft2 = transform("ifft2", np.fft.ifft2, _vjp_nd(_plan_nd("ifft"), (-2, -1)), complex=True)
rfft2 = transform("rfft2", np.fft.rfft2, _vjp_nd(_plan_nd("rfft"), (-2, -1)), complex=False)
irfft2 = transform("irfft2", np.fft.irfft2, _vjp_nd(_plan_nd("irfft"), (-2, -1)), complex=True)


def _samples_nd() -> list[Sample]:
    """Default axes, ``s`` shorter and longer (odd and even), chosen and reordered axes, norms."""
    return [
        Sample(rand(3, 4)),
        Sample(rand(2, 3, 4), norm="ortho"),
        Sample(rand(3, 4), (5, 3), (0, 1)),
        Sample(rand(2, 3, 5), s=(4, 4), axes=(2, 0), norm="forward"),
        Sample(rand(3, 2, 4), s=(3, 7), axes=(-1, 0)),
        Sample(rand(3, 4, 2), axes=(-1, 0), norm="ortho"),
    ]


for _prim in (fftn, ifftn, rfftn, irfftn, fft2, ifft2, rfft2, irfft2):
    _prim.def_samples(*_samples_nd())
for _prim in (fftn, ifftn, rfftn, irfftn):
    _prim.def_samples(Sample(rand(5), (3,), (0,)), Sample(rand(2, 3, 2), axes=(1,)))
for _prim in (fftn, ifftn):
    _prim.def_samples(Sample(rand(2, 3), axes=()).named("no axes"))  # no transform at all
