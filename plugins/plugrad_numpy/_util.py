"""Helpers the numpy pack's rules share: shapes, broadcasting and dtypes of cotangents."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad.box import Box, Meta

__all__ = ["shape_of", "dtype_of", "unbroadcast", "broadcast_like", "iscomplex", "zeros_like_value"]


_DOUBLE = frozenset({float, np.float64})


def shape_of(x: Any) -> tuple[int, ...]:
    """``np.shape`` without converting Python numbers to arrays (20x faster for floats)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return shape
    if isinstance(x, (int, float, complex)):
        return ()
    return np.shape(x)


def dtype_of(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None else np.result_type(x)


def iscomplex(x: Any) -> bool:
    if isinstance(x, Box):
        x = x._value
        while isinstance(x, Box):
            x = x._value
    if isinstance(x, complex):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype.kind == "c"


def unbroadcast(g: Any, x: Any) -> Any:
    """Sum ``g`` over the axes along which ``x`` was broadcast, and match ``x``'s dtype
    (a real argument gets a real cotangent; a float32 argument a float32 one)."""
    tx, tg = type(x), type(g)
    if tx in _DOUBLE and tg in _DOUBLE:
        return g  # the scalar fast path: nothing to sum, no dtype to match
    if (tx is np.ndarray or tx is Meta) and tg is np.ndarray and g.shape == x.shape and g.dtype == x.dtype:
        return g
    from plugrad_numpy.reductions import sum as sum_
    from plugrad_numpy.shape import reshape
    from plugrad_numpy.unary import real

    target = shape_of(x)
    gshape = shape_of(g)
    if gshape != target:
        lead = len(gshape) - len(target)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(target) if n == 1 and gshape[lead + i] != 1
        )
        if axes:
            g = sum_(g, axis=axes)
        if shape_of(g) != target:
            g = reshape(g, target)
    if iscomplex(g) and not iscomplex(x):
        g = real(g)
    return match_dtype(g, x)


def match_dtype(g: Any, x: Any) -> Any:
    """``g`` cast to the floating dtype of array or NumPy-scalar ``x``, if it differs."""
    xd = getattr(x, "dtype", None)
    if xd is None or xd.kind not in "fc":
        return g
    gd = getattr(g, "dtype", None)
    if gd is None or gd == xd:
        return g
    from plugrad_numpy.unary import astype

    return astype(g, xd)


def broadcast_like(t: Any, ans: Any) -> Any:
    """A tangent ``t`` of one input broadcast to the shape and dtype of the output ``ans``."""
    from plugrad_numpy.shape import broadcast_to

    tt, ta = type(t), type(ans)
    if (tt in _DOUBLE and ta in _DOUBLE) or (
        tt is np.ndarray and ta is np.ndarray and t.shape == ans.shape and t.dtype == ans.dtype
    ):
        return t
    target = shape_of(ans)
    if shape_of(t) != target:
        t = broadcast_to(t, target)
    if iscomplex(ans) and not iscomplex(t) and getattr(ans, "dtype", None) is None:
        return t * (1 + 0j)  # a real tangent of a Python complex output
    if iscomplex(ans) or not iscomplex(t):
        return match_dtype(t, ans)
    return t


def zeros_like_value(x: Any) -> Any:
    from plugrad.box import getval

    return np.zeros(shape_of(x), dtype_of(getval(x)))
