"""The numerical checks, for any function of one argument.

Every check pairs a cotangent ``v`` with a tangent ``u`` by the real bilinear
form ``<a, b> = Re sum(a * b)``: plugrad's convention is that a cotangent ``c``
represents the linear functional ``u -> <c, u>``, so for every function
``<v, JVP(u)> == <VJP(v), u>`` exactly, real or complex.

Second derivatives are first derivatives of a derivative: :func:`cotangent_as_input`
turns ``f`` into ``(x, v) -> VJP_f(x)(v)`` and :func:`tangent_as_input` into
``(x, u) -> JVP_f(x)(u)``, and the first-order checks apply to those.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from plugrad.box import getval
from plugrad.errors import NamedClassError, NotDifferentiableError
from plugrad.forward import make_jvp
from plugrad.primitive import JVP_SHAPE, VJP_SHAPE
from plugrad.reverse import make_vjp
from plugrad.vspace import VSpace, space_or_none, vspace

__all__ = [
    "CheckFailure",
    "NotRun",
    "Probe",
    "Tolerance",
    "check_function",
    "check_jacobian",
    "check_jvp_numeric",
    "check_not_differentiable",
    "check_primal",
    "check_transpose",
    "check_types",
    "check_vjp_numeric",
    "cotangent_as_input",
    "jvp_vs_fd",
    "numeric_jvp",
    "pair",
    "primal",
    "tangent_as_input",
    "tolerance_for",
    "transpose",
    "types",
    "upcast",
    "vjp_vs_fd",
]

Fun = Callable[[Any], Any]


class CheckFailure(AssertionError):
    """A derivative disagreed with its reference; the message says which number is which."""


class NotRun(AssertionError):
    """A check that could not run for a fault reported on its own, ``cause`` (a box class a
    pack named that does not load), which stops every check of values of its type. Not a
    CheckFailure, which an expected failure's entry excuses: it fails wherever it is raised."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


@dataclasses.dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    eps: float  # finite-difference step, taken in double precision
    exact: float  # relative tolerance of identities that involve no finite differences


_TOLERANCES = {
    "float64": Tolerance(1e-5, 1e-6, 1e-6, 1e-10),
    "complex128": Tolerance(1e-5, 1e-6, 1e-6, 1e-10),
    "float32": Tolerance(2e-3, 2e-3, 1e-3, 1e-4),
    "complex64": Tolerance(2e-3, 2e-3, 1e-3, 1e-4),
    "float16": Tolerance(3e-2, 3e-2, 1e-2, 1e-2),
}


def tolerance_for(dtype: str, rtol: float | None = None, atol: float | None = None) -> Tolerance:
    """Default tolerances and step for ``dtype``, with ``rtol`` / ``atol`` overrides."""
    base = _TOLERANCES.get(str(dtype), _TOLERANCES["float64"])
    return dataclasses.replace(base, rtol=base.rtol if rtol is None else rtol, atol=base.atol if atol is None else atol)


def pair(a: Any, b: Any) -> float:
    """``Re sum(a * b)`` over arrays, scalars and containers of them (no conjugation)."""
    a, b = getval(a), getval(b)
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            raise CheckFailure(f"cannot pair a sequence of {len(a)} with {type(b).__name__} {b!r}")
        return float(sum(pair(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            raise CheckFailure(f"cannot pair a dict with keys {sorted(a, key=repr)} with {b!r}")
        return float(sum(pair(a[k], b[k]) for k in a))
    if not isinstance(a, _NUMERIC):  # a pack's type (a user's class): through its vector space
        space = vspace(a)
        if space_or_none(b) != space:
            raise CheckFailure(f"cannot pair a value in {space} with {type(b).__name__} {b!r}")
        return float(space.inner_prod(space.covector(a), b))  # Re <conj(a), b> = Re sum(a * b)
    a, b = np.asarray(a, np.complex128), np.asarray(b, np.complex128)
    if a.shape != b.shape:  # never broadcast: a cotangent or tangent of the wrong shape is a bug
        raise CheckFailure(
            f"a cotangent or tangent has the wrong shape: cannot pair shape {a.shape} with shape {b.shape}"
        )
    return float(np.real(np.sum(a * b)))


_NUMERIC = (np.ndarray, np.generic, float, complex, int)


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


def numeric_jvp(f: Fun, x: Any, u: Any, eps: float) -> Any:
    """Central difference of ``f`` at ``x`` along ``u``, computed in double precision
    (the step ``eps`` is the one of ``x``'s dtype; see :func:`tolerance_for`)."""
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
    return dataclasses.replace(
        tol,
        rtol=max(tol.rtol, single.rtol),
        atol=max(tol.atol, single.atol),
        eps=max(tol.eps, single.eps),
        exact=max(tol.exact, single.exact),
    )


def _allowed(numeric: float, tol: Tolerance, scale: float) -> float:
    return tol.atol * max(1.0, scale) + tol.rtol * abs(numeric)


def _fail(what: str, a: float, b: float, label: str, *, rows: tuple[str, str], allowed: float, how: str) -> CheckFailure:
    """A failure showing both numbers, each named by ``rows`` ("analytic, <VJP(v), u> ...")."""
    width = max(len(r) for r in rows) + 2
    return CheckFailure(
        f"{what} failed{_suffix(label)}\n"
        f"  {(rows[0] + ':').ljust(width)}{a!r}\n"
        f"  {(rows[1] + ':').ljust(width)}{b!r}\n"
        f"  difference {abs(a - b):.3e} > allowed {allowed:.3e} ({how})"
    )


def _suffix(label: str) -> str:
    return f": {label}" if label else ""


def _absmax(value: Any) -> float:
    value = getval(value)
    if isinstance(value, (list, tuple)):
        return max((_absmax(e) for e in value), default=0.0)
    if isinstance(value, dict):
        return max((_absmax(e) for e in value.values()), default=0.0)
    if not isinstance(value, _NUMERIC):  # a pack's type: its coordinates
        value = vspace(value).flatten(value)
    magnitude = np.abs(value)
    return float(np.max(magnitude)) if np.size(magnitude) else 0.0


class Probe:
    """``f`` at ``x`` with random directions ``u`` (of the input) and ``v`` (of the output),
    and the quantities the checks compare, each computed once, on first use: checks of one
    probe share the work, and each gives the same numbers whichever runs first or alone."""

    def __init__(self, f: Fun, x: Any, rng: np.random.Generator, tol: Tolerance) -> None:
        self.f, self.x, self.base_tol = f, x, tol
        self.space = vspace(x)
        self.u = self.space.randn(rng)
        self._rng = rng  # v is drawn on first use: it needs the output's space
        self._y: Any = None
        self._have_y = False

    def _seen(self, y: Any) -> None:
        if not self._have_y:
            self._y, self._have_y = getval(y), True

    @property
    def y(self) -> Any:
        """``f(x)``, as the first trace computed it (or untraced if none ran yet)."""
        if not self._have_y:
            self._seen(self.f(self.x))
        return self._y

    @functools.cached_property
    def out_space(self) -> VSpace:
        return vspace(self.y)

    @functools.cached_property
    def v(self) -> Any:
        return self.out_space.randn(self._rng)

    @functools.cached_property
    def tol(self) -> Tolerance:
        return _for_output(self.base_tol, self.y)

    @functools.cached_property
    def traced(self) -> tuple[Any, Any]:
        """``(vjp, f(x) as traced in reverse mode)``, before any VJP is taken."""
        vjp, y = _vjp(self.f, self.x)
        self._seen(y)
        return vjp, y

    @functools.cached_property
    def reverse(self) -> tuple[Any, Any]:
        """``(f(x) as traced in reverse mode, VJP(v))``."""
        vjp, y = self.traced
        return y, vjp(self.v)

    @functools.cached_property
    def forward(self) -> tuple[Any, Any]:
        """``(f(x) as traced in forward mode, JVP(u))``."""
        y, t = _jvp(self.f, self.x, self.u)
        self._seen(y)
        return y, t

    @functools.cached_property
    def numeric(self) -> Any:
        """The central difference of ``f`` along ``u``."""
        return numeric_jvp(self.f, self.x, self.u, self.tol.eps)

    def against_fd(self, what: str, rule: str, analytic: float, label: str) -> None:
        tol, fd, v = self.tol, self.numeric, self.v
        numeric = pair(v, fd)
        allowed = _allowed(numeric, tol, _absmax(fd) * _absmax(v) * max(1, self.out_space.size) ** 0.5)
        if not abs(analytic - numeric) <= allowed:  # `not <=` so that NaN fails
            how = f"rtol {tol.rtol:g}, atol {tol.atol:g}, step {tol.eps:g}"
            rows = (f"analytic ({rule}, from the rules)", "numeric (<v, central difference along u>)")
            raise _fail(what, analytic, numeric, label, rows=rows, allowed=allowed, how=how)


def vjp_vs_fd(p: Probe, label: str = "") -> None:
    """``<VJP(v), u>`` against ``<v, (f(x + eps u) - f(x - eps u)) / 2 eps>``."""
    p.against_fd("reverse mode vs finite differences", "<VJP(v), u>", pair(p.reverse[1], p.u), label)


def jvp_vs_fd(p: Probe, label: str = "") -> None:
    """``<v, JVP(u)>`` against the same central difference."""
    p.against_fd("forward mode vs finite differences", "<v, JVP(u)>", pair(p.v, p.forward[1]), label)


def transpose(p: Probe, label: str = "") -> None:
    """``<v, JVP(u)> == <VJP(v), u>``, with no finite differences."""
    ct, t = p.reverse[1], p.forward[1]
    fwd, rev = pair(p.v, t), pair(ct, p.u)
    scale = _absmax(p.v) * _absmax(t) + _absmax(ct) * _absmax(p.u)
    allowed = p.tol.exact * max(1.0, scale * max(1, p.space.size, p.out_space.size))
    if not abs(fwd - rev) <= allowed:
        raise _fail(
            "transpose identity <v, JVP(u)> == <VJP(v), u>",
            rev,
            fwd,
            label,
            rows=("analytic, reverse mode (<VJP(v), u>)", "analytic, forward mode (<v, JVP(u)>)"),
            allowed=allowed,
            how=f"exact identity, relative tolerance {p.tol.exact:g}",
        )


def types(p: Probe, label: str = "", modes: Iterable[str] = ("rev", "fwd")) -> None:
    """The cotangent lies in the argument's space, the tangent in the output's: same shape,
    same dtype (float32 stays float32, real stays real)."""
    modes = tuple(modes)
    if "rev" in modes:
        got = vspace(p.reverse[1])
        if got != p.space:
            fix = _fix(got, p.space, "argument")
            where = f"{got} for an argument in {p.space}{_suffix(label)}"
            raise CheckFailure(f"VJP returned a cotangent in {where}{fix}")
    if "fwd" in modes:
        got = vspace(p.forward[1])
        if got != p.out_space:
            fix = _fix(got, p.out_space, "output")
            where = f"{got} for an output in {p.out_space}{_suffix(label)}"
            raise CheckFailure(f"JVP returned a tangent in {where}{fix}")


def _fix(got: VSpace, want: VSpace, of: str) -> str:
    """What to do about a derivative in space ``got`` where ``want`` was due: a shape or a
    dtype the rule must keep."""
    shape, dtype = getattr(want, "shape", None), getattr(want, "dtype", None)
    if shape is not None and getattr(got, "shape", None) != shape:
        return f"\n  return one of the {of}'s shape {shape}: {VJP_SHAPE if of == 'argument' else JVP_SHAPE}"
    if dtype is not None and getattr(got, "dtype", None) != dtype:
        return (
            f"\n  return one of the {of}'s dtype {dtype}: a float64 constant (np.float64(2.0), "
            "np.zeros(shape)) promotes float32, a Python float does not; or cast the result "
            "(.astype(x.dtype))"
        )
    return ""


def primal(p: Probe, expected: Any, label: str = "", modes: Iterable[str] = ("rev", "fwd")) -> None:
    """Traced (in reverse and forward mode), ``f`` computes ``expected`` exactly: same value,
    same type, same dtype."""
    for mode in modes:
        y = p.traced[1] if mode == "rev" else p.forward[0]
        diff = same_value(getval(y), expected)
        if diff:
            raise CheckFailure(
                f"traced call ({'reverse' if mode == 'rev' else 'forward'} mode) returned {diff} "
                f"returned by the untraced function{_suffix(label)}"
            )


def check_vjp_numeric(f: Fun, x: Any, rng: np.random.Generator, tol: Tolerance, label: str = "") -> None:
    """Reverse mode of ``f`` at ``x`` against finite differences, along random directions."""
    vjp_vs_fd(Probe(f, x, rng, tol), label)


def check_jvp_numeric(f: Fun, x: Any, rng: np.random.Generator, tol: Tolerance, label: str = "") -> None:
    """Forward mode of ``f`` at ``x`` against finite differences, along random directions."""
    jvp_vs_fd(Probe(f, x, rng, tol), label)


def check_transpose(f: Fun, x: Any, rng: np.random.Generator, tol: Tolerance, label: str = "") -> None:
    """Forward and reverse mode of ``f`` at ``x`` are each other's transpose."""
    transpose(Probe(f, x, rng, tol), label)


def check_types(f: Fun, x: Any, rng: np.random.Generator, label: str = "", modes: Iterable[str] = ("rev", "fwd")) -> None:
    """Cotangents and tangents of ``f`` at ``x`` lie in the right spaces."""
    types(Probe(f, x, rng, tolerance_for("float64")), label, modes)


def _vjp(f: Fun, x: Any) -> tuple[Any, Any]:
    """``make_vjp(f, x)``, quietly: a primitive whose derivative is zero (``norm(ord=0)``)
    has an output independent of its input, which is what the checks compare, not news."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return make_vjp(f, x)


def _jvp(f: Fun, x: Any, u: Any) -> tuple[Any, Any]:
    """``make_jvp(f, x)(u)``, quietly (see :func:`_vjp`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return make_jvp(f, x)(u)


def _jacobian_rows(f: Fun, x: Any, y: Any, mode: str, tol: Tolerance) -> np.ndarray:
    """The real Jacobian ``J[i, j] = <e_i, df(x)[b_j]>`` for the standard bases ``e`` of the
    output and ``b`` of the input, by VJPs of ``e_i``, JVPs of ``b_j`` or finite differences."""
    basis_in = list(vspace(x).standard_basis())
    basis_out = list(vspace(y).standard_basis())
    jac = np.zeros((len(basis_out), len(basis_in)))
    if mode == "rev":
        vjp, _ = make_vjp(f, x)  # (not quietly: a rule that drops the trace warns here)
        for i, e in enumerate(basis_out):
            ct = vjp(e)
            jac[i] = [pair(ct, b) for b in basis_in]
        return jac
    for j, b in enumerate(basis_in):
        column = make_jvp(f, x)(b)[1] if mode == "fwd" else numeric_jvp(f, x, b, tol.eps)
        jac[:, j] = [pair(e, column) for e in basis_out]
    return jac


def check_jacobian(f: Fun, x: Any, tol: Tolerance, label: str = "", modes: Iterable[str] = ("rev", "fwd")) -> None:
    """Every entry of the Jacobian, by reverse and forward mode, against finite differences
    (for small inputs: it costs one derivative per input and output coordinate)."""
    y = f(x)
    tol = _for_output(tol, y)
    numeric = _jacobian_rows(f, x, y, "fd", tol)
    for mode in modes:
        analytic = _jacobian_rows(f, x, y, mode, tol)
        allowed = tol.atol * max(1.0, float(np.max(np.abs(numeric), initial=0.0))) + tol.rtol * np.abs(numeric)
        bad = ~(np.abs(analytic - numeric) <= allowed)
        if bad.any():
            i, j = np.unravel_index(np.argmax(np.where(bad, np.abs(analytic - numeric), -1.0)), bad.shape)
            rule = "VJP of output basis vector" if mode == "rev" else "JVP of input basis vector"
            raise _fail(
                f"full Jacobian ({'reverse' if mode == 'rev' else 'forward'} mode) vs finite differences, "
                f"{int(bad.sum())} of {bad.size} entries wrong, worst at output coordinate {i}, input coordinate {j}",
                float(analytic[i, j]),
                float(numeric[i, j]),
                label,
                rows=(f"analytic ({rule}, from the rules)", "numeric (central difference)"),
                allowed=float(allowed[i, j]),
                how=f"rtol {tol.rtol:g}, atol {tol.atol:g}, step {tol.eps:g}; real coordinates, complex parts interleaved",
            )


_ULPS = 16  # NumPy may round one call differently from the next (its first call of a loop)


def _close_values(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind not in "fc":
        return bool(np.array_equal(a, b))
    eps = np.finfo(a.dtype).eps * _ULPS
    finite = b[np.isfinite(b)]
    # Real and imaginary parts apart: |z| of a complex near the largest float overflows.
    parts = (finite.real, finite.imag) if finite.dtype.kind == "c" else (finite,)
    scale = max(float(np.max(np.abs(p), initial=1.0)) for p in parts)
    return bool(np.allclose(a, b, rtol=eps, atol=eps * scale, equal_nan=True))


def same_value(a: Any, b: Any) -> str | None:
    """``None`` if ``a`` and ``b`` have the same type, dtype and shape, and values equal to a
    few units in the last place; else what differs."""
    if type(a) is not type(b):
        return f"type {type(a).__name__} instead of {type(b).__name__}"
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{len(a)} elements instead of {len(b)}"
        for i, (p, q) in enumerate(zip(a, b)):
            diff = same_value(p, q)
            if diff:
                return f"element {i}: {diff}"
        return None
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"keys {list(a)} instead of {list(b)}"
        for k in a:
            diff = same_value(a[k], b[k])
            if diff:
                return f"key {k!r}: {diff}"
        return None
    if isinstance(a, (np.ndarray, np.generic)):
        if a.dtype != b.dtype:
            return f"dtype {a.dtype} instead of {b.dtype}"
        if a.shape != b.shape:
            return f"shape {a.shape} instead of {b.shape}"
        return None if _close_values(a, b) else f"values {a!r} instead of {b!r}"
    if isinstance(a, (float, complex)):
        return None if _close_values(a, b) else f"value {a!r} instead of {b!r}"
    try:
        equal = bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are not equal
        equal = False
    space = space_or_none(a) if not equal else None
    if space is not None:
        # A pack's type whose == is identity (another library's class) or undecided (a
        # dataclass of arrays): compared in its vector space's coordinates.
        if space != space_or_none(b):
            return f"value {a!r} (in {space}) instead of {b!r} (in {space_or_none(b)})"
        try:
            flat_a, flat_b = np.asarray(space.flatten(a)), np.asarray(vspace(b).flatten(b))
        except Exception:  # noqa: BLE001 - a space without flatten: not equal, as == said
            pass
        else:
            diff = same_value(flat_a, flat_b)
            return diff and f"value {a!r} instead of {b!r}: coordinates' {diff}"
    return None if equal else f"value {a!r} instead of {b!r}"


def check_primal(f: Fun, x: Any, expected: Any, label: str = "", modes: Iterable[str] = ("rev", "fwd")) -> None:
    """Traced at ``x``, ``f`` returns ``expected``: same value, type and dtype."""
    primal(Probe(f, x, np.random.default_rng(0), tolerance_for("float64")), expected, label, modes)


def check_not_differentiable(f: Fun, x: Any, rng: np.random.Generator, mode: str, label: str = "") -> None:
    """Differentiating ``f`` at ``x`` in ``mode`` raises :class:`NotDifferentiableError`, as
    its missing rule claims (rather than returning a silently wrong or zero derivative)."""
    name = "reverse" if mode == "rev" else "forward"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "independent of input": said below
            if mode == "rev":
                vjp, y = make_vjp(f, x)
                result = vjp(vspace(y).randn(rng))
            else:
                result = make_jvp(f, x)(vspace(x).randn(rng))[1]
    except NotDifferentiableError:
        return
    except NamedClassError:
        raise  # (the pack's registration, not the claim: the case reports it as such)
    except Exception as exc:
        raise CheckFailure(
            f"declared not differentiable in {name} mode, but differentiating raised "
            f"{type(exc).__name__}: {exc} instead of NotDifferentiableError{_suffix(label)}"
        ) from exc
    raise CheckFailure(
        f"declared not differentiable in {name} mode (no rule), but differentiating returned "
        f"{result!r} instead of raising NotDifferentiableError: the derivative is silently "
        f"dropped{_suffix(label)}"
    )


# The functions through which the second-order checks run a primitive's rules traced (an
# error raised inside one is the rules' not being differentiable).
SECOND_ORDER = ("vjp_of_f", "jvp_of_f")


def cotangent_as_input(f: Fun, x: Any, rng: np.random.Generator) -> tuple[Fun, Any]:
    """``(x, v) -> VJP_f(x)(v)`` and a point ``(x, v)`` with random ``v``: differentiating it
    is reverse-over-reverse (``rev``) or forward-over-reverse (``fwd``)."""
    v = vspace(f(x)).randn(rng)

    def vjp_of_f(xv: Any) -> Any:
        return _vjp(f, xv[0])[0](xv[1])

    return vjp_of_f, (x, v)


def tangent_as_input(f: Fun, x: Any, rng: np.random.Generator) -> tuple[Fun, Any]:
    """``(x, u) -> JVP_f(x)(u)`` and a point ``(x, u)`` with random ``u``."""
    u = vspace(x).randn(rng)

    def jvp_of_f(xu: Any) -> Any:
        return _jvp(f, xu[0], xu[1])[1]

    return jvp_of_f, (x, u)


def check_function(
    f: Fun, x: Any, modes: Iterable[str], order: int, rng: np.random.Generator, tol: Tolerance, label: str = ""
) -> None:
    """Every derivative of ``f`` up to ``order`` in ``modes`` ("rev", "fwd") against finite
    differences, and the transpose identity where both modes are checked."""
    modes = tuple(modes)
    probe = Probe(f, x, rng, tol)
    if "rev" in modes:
        vjp_vs_fd(probe, label)
    if "fwd" in modes:
        jvp_vs_fd(probe, label)
        if "rev" in modes:
            transpose(probe, label)
    if order > 1:
        for inner, lift in (("rev", cotangent_as_input), ("fwd", tangent_as_input)):
            if inner in modes:
                g, point = lift(f, x, rng)
                outer_label = f"{label}, " if label else ""
                check_function(g, point, modes, order - 1, rng, tol, f"{outer_label}derivative of the {inner} rule")
