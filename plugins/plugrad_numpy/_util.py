"""Helpers the numpy pack's rules share: shapes, broadcasting and dtypes of cotangents."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.box import Box, Meta, getval, holds_box, plain_value

__all__ = [
    "shape_of",
    "sum_jvp",
    "dtype_of",
    "unbroadcast",
    "broadcast_like",
    "iscomplex",
    "zeros_like_value",
    "integral",
    "array_likes",
    "as_array_value",
    "lists_as_arrays",
    "poles_as_numpy",
    "sum_fun",
    "mean_fun",
]


_DOUBLE = frozenset({float, np.float64})
_ndarray = np.ndarray


def shape_of(x: Any) -> tuple[int, ...]:
    """``np.shape`` without converting Python numbers to arrays (20x faster for floats)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return shape
    if isinstance(x, (int, float, complex)):
        return ()
    if isinstance(x, (list, tuple, Box)):  # may hold traced numbers (np.std([a, b]) in a derivative)
        return np.shape(plain_value(x))
    return np.shape(x)


def dtype_of(x: Any) -> np.dtype:
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return dtype
    # np.result_type reads a list or tuple as the fields of a structured dtype.
    return np.asarray(plain_value(x)).dtype if isinstance(x, (list, tuple)) else np.result_type(x)


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
    if tg is _ndarray:  # a plain cotangent: NumPy directly
        if tx is Meta or tx is _ndarray:  # first order, an array argument
            xdtype = x.dtype
            if g.dtype is xdtype and g.shape == x.shape:
                return g
            return _unbroadcast_array(g, x.shape, xdtype, xdtype.kind == "c")
        xv = x  # the argument may be traced: look under its boxes
        while isinstance(xv, Box):
            xv = xv._value
        t = type(xv)
        if t is _ndarray or t is Meta:
            xdtype = xv.dtype
            if g.dtype is xdtype and g.shape == xv.shape:
                return g
            return _unbroadcast_array(g, xv.shape, xdtype, xdtype.kind == "c")
        xdtype = getattr(xv, "dtype", None)
        target = getattr(xv, "shape", None)
        if target is None:
            target = shape_of(xv)
        if g.dtype is xdtype and g.shape == target:
            return g
        xcomplex = xdtype.kind == "c" if xdtype is not None else isinstance(xv, complex)
        return _unbroadcast_array(g, target, xdtype, xcomplex)
    if tx in _DOUBLE and tg in _DOUBLE:
        return g  # the scalar fast path: nothing to sum, no dtype to match
    # A traced cotangent (a derivative of a derivative): nothing to do where the values
    # under the boxes have the same shape and dtype.
    xv, gv = x, g
    while isinstance(xv, Box):
        xv = xv._value
    while isinstance(gv, Box):
        gv = gv._value
    tx, tg = type(xv), type(gv)
    if (tx is _ndarray or tx is Meta) and tg is _ndarray:
        if gv.shape == xv.shape and gv.dtype == xv.dtype:
            return g
    elif tx in _DOUBLE and tg in _DOUBLE:
        return g
    from plugrad_numpy.reductions import sum as sum_
    from plugrad_numpy.shape import reshape
    from plugrad_numpy.unary import real

    target = shape_of(x)
    gshape = shape_of(g)
    if gshape != target:
        axes = _summed_axes(gshape, target)
        if axes:
            g = sum_(g, axis=axes)
        if shape_of(g) != target:
            g = reshape(g, target)
    if iscomplex(g) and not iscomplex(x):
        g = real(g)
    return match_dtype(g, x)


def _summed_axes(gshape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    lead = len(gshape) - len(target)
    axes = tuple(range(lead))
    if 1 in target:  # axes of length 1 in the argument, broadcast in the result
        axes += tuple([lead + i for i, n in enumerate(target) if n == 1 and gshape[lead + i] != 1])
    return axes


_add_reduce = np.add.reduce


def _unbroadcast_array(g: np.ndarray, target: tuple[int, ...], xdtype: Any, xcomplex: bool) -> Any:
    # unbroadcast of a plain array (first-order derivatives): NumPy's ufunc methods directly.
    gshape = g.shape
    if gshape != target:
        lead = len(gshape) - len(target)
        if lead > 0 and gshape[lead:] == target:  # only leading axes were added: a bias
            g = _add_reduce(g, _LEADING[lead] if lead < 8 else tuple(range(lead)))
        else:
            axes = _summed_axes(gshape, target)
            if axes:
                g = _add_reduce(g, axes)
            if g.shape != target:
                g = g.reshape(target)
    gdtype = g.dtype
    if gdtype is not xdtype:
        if gdtype.kind == "c" and not xcomplex:
            g = g.real
        if xdtype is not None and xdtype.kind in "fc" and g.dtype != xdtype:
            g = g.astype(xdtype)
    return g


_LEADING = [tuple(range(n)) for n in range(8)]


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

    tv, av = t, ans
    while isinstance(tv, Box):
        tv = tv._value
    while isinstance(av, Box):
        av = av._value
    tt, ta = type(tv), type(av)
    if (tt in _DOUBLE and ta in _DOUBLE) or (
        tt is np.ndarray and ta is np.ndarray and tv.shape == av.shape and tv.dtype == av.dtype
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
    """The zero cotangent of ``x``: a Python number for a Python number, else an array
    of ``x``'s shape and dtype (``x`` may be traced, or an array's Meta)."""
    x = getval(x)
    if isinstance(x, (float, complex)):
        return type(x)(0)
    return np.zeros(shape_of(x), dtype_of(x))


def _array_like(v: Any) -> Any:
    if (type(v) is list or type(v) is tuple) and not holds_box(v):
        return np.asarray(v)
    return v


def as_array_value(v: Any) -> Any:
    """``v`` as NumPy would take it, an array, without losing a derivative: a traced value
    as it is, a list or tuple holding traced values as the traced array NumPy makes of it."""
    if isinstance(v, Box):
        return v
    if (type(v) is list or type(v) is tuple) and holds_box(v):
        from plugrad_numpy import as_array

        return as_array(v)
    return np.asarray(v)


def array_likes(rule: Callable[..., Any]) -> Callable[..., Any]:
    """``rule`` (or a partial derivative) with each constant list or tuple among its
    arguments made an array, as NumPy makes it: ``np.interp(x, [0, 1, 2], [1, 3, 2])``
    must differentiate as it does with arrays, and a rule's arithmetic and indexing
    need arrays. For rules whose arguments are all array-like, not shapes or axes."""

    @functools.wraps(rule)
    def on_arrays(*args: Any, **kwargs: Any) -> Any:
        return rule(*[_array_like(a) for a in args], **{k: _array_like(v) for k, v in kwargs.items()})

    return on_arrays


def lists_as_arrays(prim: Any) -> Any:
    """Wrap every VJP and JVP rule of ``prim`` with :func:`array_likes`; returns ``prim``."""
    prim.def_vjp(*[None if r is None else array_likes(r) for r in prim.vjps])
    prim.def_jvp(*[None if r is None else array_likes(r) for r in prim.jvps])
    return prim


def poles_as_numpy(factor: Callable[..., Any]) -> Callable[..., Any]:
    """``factor``, a rule's derivative computed from the values (``1 / x`` for ``log``), made
    to give NumPy's inf or nan at a pole where the values are Python floats or complex
    numbers, on which ``1 / 0.0`` raises ZeroDivisionError. A float64 gives inf there, and so
    does autograd (its arithmetic is NumPy's); traced floats stay floats in plugrad, so this
    retries the division on float64 (complex128) only when it fails. Keyword arguments
    are options (an order, a flag), passed through as they are."""

    @functools.wraps(factor)
    def at(*values: Any, **options: Any) -> Any:
        try:
            return factor(*values, **options)
        except ZeroDivisionError:
            return factor(*[_numpy_scalar(v) for v in values], **options)

    return at


_NUMPY_SCALAR = {float: np.float64, complex: np.complex128}


def _numpy_scalar(v: Any) -> Any:
    """A Python float (complex) as a float64 (complex128); a traced one (a higher derivative)
    as a traced float64 (complex128)."""
    scalar = _NUMPY_SCALAR.get(type(v))
    if scalar is not None:
        return scalar(v)
    if isinstance(v, Box):
        scalar = _NUMPY_SCALAR.get(type(getval(v)))
        if scalar is not None:
            return v + scalar(0.0)  # a traced Python number + a NumPy scalar is a NumPy scalar, traced
    return v


def integral(dtype: Any) -> bool:
    """Whether ``dtype`` holds integers or booleans, whose values have no derivative."""
    return dtype is not None and np.dtype(dtype).kind in "biu"


# np.sum and np.mean are Python functions that reach np.add.reduce through several more
# (np.mean of a small array costs 7 us, the reduction 1.5 us). Loss functions end in one
# of them, so for a plain NumPy array the primitives call the reduction directly; the
# results are bit for bit NumPy's (the same reduction, divided by the same count).
_sum_reduce = np.add.reduce
_F64 = np.dtype(np.float64)


@functools.wraps(np.sum)
def sum_fun(a: Any, *args: Any, **kwargs: Any) -> Any:
    if type(a) is np.ndarray and not kwargs and not args:
        return _sum_reduce(a, None)
    return np.sum(a, *args, **kwargs)


def sum_jvp(prim: Any) -> Callable[..., Any]:
    """The JVP of ``prim``, a sum: linear in its argument but for ``initial=``, a constant it
    adds once, so the tangent's sum is taken with ``initial`` 0."""

    def jvp(t: Any, ans: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) > 4:  # sum(a, axis, dtype, out, keepdims, initial, where)
            args = (*args[:4], 0, *args[5:])
        elif "initial" in kwargs:
            kwargs = {**kwargs, "initial": 0}
        return prim(t, *args, **kwargs)

    return jvp


@functools.wraps(np.mean)
def mean_fun(a: Any, *args: Any, **kwargs: Any) -> Any:
    # float64 only: NumPy divides a float32 sum in float64 and rounds back.
    if type(a) is np.ndarray and not kwargs and not args and a.dtype is _F64 and a.size:
        return _sum_reduce(a, None) / a.size
    return np.mean(a, *args, **kwargs)


# What a NumPy ufunc has beside being called: its methods and the attributes code reads.
_UFUNC_ATTRIBUTES = ("reduce", "accumulate", "reduceat", "outer", "at", "nin", "nout", "nargs", "ntypes", "types", "identity", "signature")


def with_ufunc_methods(namespace: dict[str, Any]) -> None:
    """Give each primitive in ``namespace`` (a module's globals) whose function is a NumPy
    ufunc that ufunc's methods and attributes, as code written for NumPy reads them
    (``np.add.reduce(x)``, ``np.multiply.outer(a, b)``, ``np.sin.nin``): NumPy's own, which
    hand a traced argument to the box's ``__array_ufunc__``, and so to the pack's
    functions that compute them (``add.reduce`` is ``sum`` along axis 0)."""
    from plugrad import NonDifferentiable, Primitive

    for value in list(namespace.values()):
        if not isinstance(value, (Primitive, NonDifferentiable)) or not value.name.startswith("numpy."):
            continue
        ufunc = value.fun if isinstance(value.fun, np.ufunc) else getattr(np, value.name[6:], None)
        if isinstance(ufunc, np.ufunc):  # (np.vecdot's primitive wraps a function of its own)
            for name in _UFUNC_ATTRIBUTES:
                value.__dict__.setdefault(name, getattr(ufunc, name))

