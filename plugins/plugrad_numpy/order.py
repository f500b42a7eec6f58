"""Order statistics: median, quantile and percentile, with their ``nan*`` variants.

The derivative of an order statistic with respect to the data is the weight the
chosen interpolation method gives each entry: one entry for ``lower``, ``higher``
and ``nearest``, two for ``linear`` and ``midpoint``. Ties follow NumPy's sorted
order. ``q`` is a constant.
"""

from __future__ import annotations

import math

from functools import partial
from typing import Any

import numpy as np

from plugrad import NotDifferentiableError, Primitive, Sample, gen
from plugrad.box import getval
from plugrad_numpy._util import match_dtype, shape_of
from plugrad_numpy.reductions import _const, _distinct, _norm_axes, _numbers_only, _with_nans
from plugrad_numpy.reductions import sum  # noqa: A004 - numpy's name


# -- order statistics ------------------------------------------------------------------

_ORDER_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _pick(lanes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``lanes[..., positions]`` lane by lane (positions clipped into range)."""
    index = np.clip(positions, 0, lanes.shape[-1] - 1).astype(np.intp)
    return np.take_along_axis(lanes, index[..., None], -1)[..., 0]


def _order_weights(x: Any, q: Any, axis: Any, method: str, nan: bool, ans: Any) -> np.ndarray:
    """The constant weights ``W`` (shape ``q.shape + x.shape``) with
    ``quantile(x, q) == sum(W * x)`` over ``axis``: one or two order statistics of
    each lane, interpolated. Ties pick the order ``argsort`` gives, a valid subgradient."""
    if method not in _ORDER_METHODS:
        raise NotDifferentiableError(
            f"numpy.quantile with method={method!r} has no derivative rule; "
            f"use one of {', '.join(_ORDER_METHODS)}"
        )
    xv = np.asarray(getval(x))
    axes = _norm_axes(axis, xv.ndim)
    rest = tuple(i for i in range(xv.ndim) if i not in axes)
    perm = rest + axes
    lanes = np.transpose(xv, perm).reshape(tuple(xv.shape[i] for i in rest) + (math.prod(xv.shape[i] for i in axes),))
    n = lanes.shape[-1]
    if n == 0:  # empty lanes: their statistic (nan) depends on no element
        return _const(np.zeros(np.shape(q) + xv.shape), x)
    order = np.argsort(lanes, axis=-1, kind="stable")  # NaNs sort last
    valid = np.sum(~np.isnan(lanes), axis=-1) if nan else np.full(lanes.shape[:-1], n)
    qv = np.asarray(q, np.float64)
    pos = qv.reshape(qv.shape + (1,) * (lanes.ndim - 1)) * (valid - 1)
    lo = np.floor(pos)
    hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
    frac = pos - lo
    if method == "lower":
        frac = np.zeros_like(pos)
    elif method == "higher":
        lo, frac = np.ceil(pos), np.zeros_like(pos)
    elif method == "midpoint":
        frac = np.where(frac > 0, 0.5, 0.0)
    elif method == "nearest":  # whichever neighbour numpy chose: the one equal to the answer
        sorted_lanes = np.take_along_axis(lanes, order, axis=-1)
        target = np.asarray(getval(ans)).reshape(pos.shape)
        at_hi = _pick(np.broadcast_to(sorted_lanes, pos.shape + (n,)), hi) == target
        lo, frac = np.where(at_hi & (frac > 0), hi, lo), np.zeros_like(pos)
    ranks = np.broadcast_to(order, pos.shape + (n,))
    slots = np.arange(n)
    w = (1 - frac)[..., None] * (slots == _pick(ranks, lo)[..., None])
    w = w + frac[..., None] * (slots == _pick(ranks, hi)[..., None])
    w = w * (valid > 0)[..., None]
    if not nan:
        w = _to_nans(w, lanes, order)
    w = w.reshape(qv.shape + tuple(xv.shape[i] for i in perm))
    lead = tuple(range(qv.ndim))
    return _const(np.transpose(w, lead + tuple(qv.ndim + int(i) for i in np.argsort(perm))), x)


def _to_nans(w: np.ndarray, lanes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The weights ``w`` with those of each lane holding NaN moved onto its NaN entries,
    split evenly: NumPy's statistic of such a lane is NaN, which came from them, and a clean
    zero gradient would hide it (as max gives). ``argsort`` sorts NaNs last, so the lanes'
    last entries tell, at the cost of one entry a lane, whether there is anything to do."""
    last = _pick(lanes, order[..., -1])
    nan_lanes = last != last
    if not nan_lanes.any():
        return w
    nans = lanes != lanes
    shares = nans / np.maximum(np.sum(nans, axis=-1, keepdims=True), 1)
    return np.where(nan_lanes[..., None], shares, w)


def _quantile_params(
    x: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
    interpolation: Any = None,
) -> Any:
    if weights is not None:
        raise NotDifferentiableError("numpy.quantile with weights= has no derivative rule")
    return q, axis, interpolation or method, bool(keepdims)


def _median_params(
    x: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False
) -> Any:
    return 0.5, axis, "linear", bool(keepdims)  # the median is the linear quantile at 1/2


def _order_vjp(
    g: Any, ans: Any, x: Any, *args: Any, params: Any, scale: float, nan: bool, **kwargs: Any
) -> Any:
    q, axis, method, keepdims = params(x, *args, **kwargs)
    w = _order_weights(x, np.asarray(q) / scale, axis, method, nan, ans)
    lead = w.ndim - len(shape_of(x))  # the axes of q
    if not keepdims:
        from plugrad_numpy.shape import reshape

        axes = _norm_axes(axis, len(shape_of(x)))
        g = reshape(g, w.shape[:lead] + tuple(1 if i in axes else n for i, n in enumerate(shape_of(x))))
    ct = g * w
    ct = sum(ct, axis=tuple(range(lead))) if lead else ct
    return match_dtype(_numbers_only(ct, x) if nan else ct, x)  # the nan* versions skip NaNs


def _order_jvp(
    t: Any, ans: Any, x: Any, *args: Any, params: Any, scale: float, nan: bool, **kwargs: Any
) -> Any:
    q, axis, method, keepdims = params(x, *args, **kwargs)
    w = _order_weights(x, np.asarray(q) / scale, axis, method, nan, ans)
    lead = w.ndim - len(shape_of(x))
    axes = tuple(lead + a for a in _norm_axes(axis, len(shape_of(x))))
    if nan:  # a NaN skipped may have a NaN tangent: selected out, as 0 * NaN is NaN
        t = _numbers_only(t, x)
    return match_dtype(sum(t * w, axis=axes, keepdims=keepdims), ans)


def _order_statistic(
    name: str,
    fun: Any,
    params: Any,
    *,
    scale: float = 1.0,
    nan: bool = False,
    saves: tuple[str, ...] = ("ans", "args"),
) -> Primitive:
    rules = {"params": params, "scale": scale, "nan": nan}
    prim = Primitive(f"numpy.{name}", fun, saves=saves)
    return prim.def_vjp(partial(_order_vjp, **rules)).def_jvp(partial(_order_jvp, **rules))


def _quantile_samples(scale: float) -> list[Sample]:
    def d(*shape: int) -> Any:
        return gen(_distinct(shape))

    return [
        Sample(d(5), 0.3 * scale),
        Sample(d(4), np.array([0.1, 0.5, 1.0]) * scale),
        Sample(d(3, 4), 0.7 * scale, 1),
        Sample(d(3, 5), np.array([0.25, 0.6]) * scale, axis=0, keepdims=True),
        Sample(d(2, 3, 4), 0.4 * scale, axis=(0, 2)),
        Sample(d(6), 0.35 * scale, method="lower"),
        Sample(d(6), 0.35 * scale, method="higher"),
        Sample(d(6), 0.35 * scale, method="nearest"),
        Sample(d(6), 0.35 * scale, method="midpoint"),
    ]


def _median_samples() -> list[Sample]:
    return [
        Sample(gen(_distinct((5,)))),
        Sample(gen(_distinct((4,)))),
        Sample(gen(_distinct((3, 4))), 0),
        Sample(gen(_distinct((3, 4))), axis=-1, keepdims=True),
        Sample(gen(_distinct((2, 3, 4))), axis=(0, 2)),
    ]


# The rules read ans only for method="nearest", which the median never uses.
median = _order_statistic("median", np.median, _median_params, saves=("args",))
nanmedian = _order_statistic("nanmedian", np.nanmedian, _median_params, nan=True, saves=("args",))
quantile = _order_statistic("quantile", np.quantile, _quantile_params)
percentile = _order_statistic("percentile", np.percentile, _quantile_params, scale=100.0)
nanquantile = _order_statistic("nanquantile", np.nanquantile, _quantile_params, nan=True)
nanpercentile = _order_statistic("nanpercentile", np.nanpercentile, _quantile_params, scale=100.0, nan=True)
median.def_samples(*_median_samples())
nanmedian.def_samples(
    *_median_samples(), Sample(gen(_with_nans((5,), 2))), Sample(gen(_with_nans((3, 4), 0, 5, 7)), axis=1)
)
quantile.def_samples(*_quantile_samples(1.0))
percentile.def_samples(*_quantile_samples(100.0))
nanquantile.def_samples(
    *_quantile_samples(1.0)[:5], Sample(gen(_with_nans((3, 5), 2, 6)), np.array([0.2, 0.9]), axis=1)
)
nanpercentile.def_samples(*_quantile_samples(100.0)[:5], Sample(gen(_with_nans((6,), 0, 4)), 35.0))
