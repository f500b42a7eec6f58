"""The numerical checks, for any function of one argument.

Every check pairs a cotangent ``v`` with a tangent ``u`` by the real bilinear
form ``<a, b> = Re sum(a * b)``: plugrad's convention is that a cotangent ``c``
represents the linear functional ``u -> <c, u>``, so for every function
``<v, JVP(u)> == <VJP(v), u>`` exactly, real or complex.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.box import getval
from plugrad.forward import make_jvp
from plugrad.reverse import make_vjp
from plugrad.vspace import VSpace, vspace

__all__ = [
    "CheckFailure",
    "Tolerance",
    "pair",
    "numeric_jvp",
    "check_vjp_numeric",
    "check_jvp_numeric",
    "check_transpose",
    "check_types",
    "tolerance_for",
    "upcast",
]


class CheckFailure(AssertionError):
    """A derivative disagreed with its reference; the message says which number is which."""


@dataclasses.dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    eps: float  # finite-difference step
    exact: float  # relative tolerance of identities that involve no finite differences


_TOLERANCES = {
    "float64": Tolerance(1e-5, 1e-6, 1e-6, 1e-10),
    "complex128": Tolerance(1e-5, 1e-6, 1e-6, 1e-10),
    "float32": Tolerance(2e-3, 2e-3, 1e-6, 1e-4),
    "complex64": Tolerance(2e-3, 2e-3, 1e-6, 1e-4),
    "float16": Tolerance(3e-2, 3e-2, 1e-6, 1e-2),
}


def tolerance_for(dtype: str, rtol: float | None = None, atol: float | None = None) -> Tolerance:
    """Default tolerances for ``dtype``, with overrides."""
    base = _TOLERANCES.get(str(dtype), _TOLERANCES["float64"])
    return dataclasses.replace(base, rtol=rtol if rtol is not None else base.rtol, atol=atol if atol is not None else base.atol)


def pair(a: Any, b: Any) -> float:
    """``Re sum(a * b)`` over arrays, scalars and containers of them (no conjugation)."""
    a, b = getval(a), getval(b)
    if isinstance(a, (list, tuple)):
        return float(sum(pair(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        return float(sum(pair(a[k], b[k]) for k in a))
    return float(np.real(np.sum(np.asarray(a, np.complex128) * np.asarray(b, np.complex128))))


def upcast(x: Any) -> Any:
    """``x`` with every float or complex array and scalar at double precision."""
    x = getval(x)
    if isinstance(x, (list, tuple)):
        return type(x)(upcast(e) for e in x) if type(x) in (list, tuple) else type(x)(*[upcast(e) for e in x])
    if isinstance(x, dict):
        return type(x)({k: upcast(v) for k, v in x.items()})
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind == "f":
            return x.astype(np.float64)
        if x.dtype.kind == "c":
            return x.astype(np.complex128)
    return x


def _axpy(space: VSpace, x: Any, a: float, u: Any) -> Any:
    return space.add(x, space.scalar_mul(u, a))


def numeric_jvp(f: Callable[[Any], Any], x: Any, u: Any, eps: float) -> Any:
    """Central difference of ``f`` at ``x`` along ``u``, computed in double precision
    (with a larger step where ``f`` itself rounds to single precision)."""
    if _single_precision(f(x)):
        eps = max(eps, 1e-3)
    x, u = upcast(x), upcast(u)
    space = vspace(x)
    hi, lo = upcast(f(_axpy(space, x, eps, u))), upcast(f(_axpy(space, x, -eps, u)))
    out_space = vspace(hi)
    return out_space.scalar_mul(out_space.add(hi, out_space.scalar_mul(lo, -1.0)), 1.0 / (2 * eps))


def _single_precision(y: Any) -> bool:
    y = getval(y)
    if isinstance(y, (list, tuple)):
        return any(_single_precision(e) for e in y)
    if isinstance(y, dict):
        return any(_single_precision(e) for e in y.values())
    dtype = getattr(y, "dtype", None)
    return dtype is not None and dtype.kind in "fc" and dtype.itemsize <= (4 if dtype.kind == "f" else 8)


def _for_output(tol: Tolerance, y: Any) -> Tolerance:
    """No tighter than single precision allows where the output is single precision."""
    if not _single_precision(y):
        return tol
    single = _TOLERANCES["float32"]
    return dataclasses.replace(tol, rtol=max(tol.rtol, single.rtol), atol=max(tol.atol, single.atol), exact=max(tol.exact, single.exact))


def _close(analytic: float, numeric: float, tol: Tolerance, scale: float) -> bool:
    return abs(analytic - numeric) <= tol.atol * max(1.0, scale) + tol.rtol * abs(numeric)


def _fail(what: str, analytic: float, numeric: float, label: str) -> CheckFailure:
    return CheckFailure(
        f"{what} failed{': ' + label if label else ''}\n"
        f"  analytic (plugrad's rule):  {analytic!r}\n"
        f"  numeric (reference):        {numeric!r}\n"
        f"  difference:                 {abs(analytic - numeric):.3e}"
    )


def _scale(*values: Any) -> float:
    return max([float(np.max(np.abs(vspace(v).flatten(v)))) if vspace(v).size else 0.0 for v in values] + [0.0])


def check_vjp_numeric(f: Callable[[Any], Any], x: Any, rng: np.random.Generator, tol: Tolerance, label: str = "") -> None:
    """``<VJP(v), u>`` against ``<v, (f(x + eps u) - f(x - eps u)) / 2 eps>``."""
    vjp, y = make_vjp(f, x)
    tol = _for_output(tol, y)
    u, v = vspace(x).randn(rng), vspace(y).randn(rng)
    analytic = pair(vjp(v), u)
    fd = numeric_jvp(f, x, u, tol.eps)
    numeric = pair(v, fd)
    if not _close(analytic, numeric, tol, _scale(fd) * _scale(v) * max(1, vspace(y).size) ** 0.5):
        raise _fail("reverse mode vs finite differences", analytic, numeric, label)


def check_jvp_numeric(f: Callable[[Any], Any], x: Any, rng: np.random.Generator, tol: Tolerance, label: str = "") -> None:
    """``<v, JVP(u)>`` against the same central difference."""
    u = vspace(x).randn(rng)
    y, t = make_jvp(f, x)(u)
    tol = _for_output(tol, y)
    v = vspace(y).randn(rng)
    analytic = pair(v, t)
    fd = numeric_jvp(f, x, u, tol.eps)
    numeric = pair(v, fd)
    if not _close(analytic, numeric, tol, _scale(fd) * _scale(v) * max(1, vspace(y).size) ** 0.5):
        raise _fail("forward mode vs finite differences", analytic, numeric, label)


def check_transpose(f: Callable[[Any], Any], x: Any, rng: np.random.Generator, tol: Tolerance, label: str = "") -> None:
    """``<v, JVP(u)> == <VJP(v), u>``, with no finite differences."""
    space = vspace(x)
    u = space.randn(rng)
    y, t = make_jvp(f, x)(u)
    tol = _for_output(tol, y)
    v = vspace(y).randn(rng)
    vjp, _ = make_vjp(f, x)
    ct = vjp(v)
    fwd, rev = pair(v, t), pair(ct, u)
    scale = _scale(v) * _scale(t) + _scale(ct) * _scale(u)
    if abs(fwd - rev) > tol.exact * max(1.0, scale * max(1, space.size, vspace(y).size)):
        raise _fail("transpose identity <v, JVP(u)> == <VJP(v), u>", rev, fwd, label + " (numeric column is forward mode)")


def check_types(f: Callable[[Any], Any], x: Any, rng: np.random.Generator, label: str = "") -> None:
    """The cotangent lies in the argument's space, the tangent in the output's: shape and dtype."""
    vjp, y = make_vjp(f, x)
    space, out = vspace(x), vspace(y)
    ct = vjp(out.randn(rng))
    got = vspace(ct)
    if got != space:
        raise CheckFailure(f"VJP returned {got} for an argument in {space}{': ' + label if label else ''}")
    _, t = make_jvp(f, x)(space.randn(rng))
    got = vspace(t)
    if got != out:
        raise CheckFailure(f"JVP returned {got} for an output in {out}{': ' + label if label else ''}")
