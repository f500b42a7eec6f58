"""Location-scale families: one table of a standard distribution's calculus becomes six
primitives (``pdf``, ``logpdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``) and the
composites that give them SciPy's signatures.

SciPy evaluates a continuous distribution with shape parameters ``θ`` at the standardized
point ``z = (x - loc) / scale``::

    logpdf(x, θ, loc, scale) = logpdf0(z, θ) - log(scale)        cdf(x, θ, loc, scale) = cdf0(z, θ)

so a :class:`Family` gives the standard functions and their partial derivatives and the
chain rule does the rest: ``d/dx = d/dz / scale``, ``d/dloc = -d/dz / scale``,
``d/dscale = -z d/dz / scale`` (and ``-1 / scale`` more for logpdf). In ``z`` the
derivative of the cdf is the density, of the sf minus the density; the log functions
divide by their own value, in logarithms, so the far tails stay finite.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, gen, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import as_array_value, broadcast_like, poles_as_numpy, unbroadcast
from plugrad_numpy.indexing import where3
from plugrad_numpy.unary import exp

__all__ = ["Family", "KINDS", "READS_ANS", "build", "select", "log_weak", "cast_like_inputs", "public"]

Fn = Callable[..., Any]
Range = tuple[float, float]
KINDS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf")
READS_ANS = ("pdf", "logcdf", "logsf", "pmf")  # the rules of the others read the arguments only


@dataclasses.dataclass(frozen=True)
class Family:
    """A location-scale family of ``scipy.stats``: its standard functions of ``(z, *θ)``.

    ``logpdf``, ``dlogpdf`` and ``dcdf`` are written with primitives, since the rules are
    differentiated again; ``cdf`` and ``sf`` only give values.
    """

    name: str
    args: Fn  # SciPy's signature, binding keywords to positions: (x, *θ, loc=0.0, scale=1.0) -> tuple
    shapes: tuple[str, ...]  # the shape parameters, in SciPy's order
    logpdf: Fn  # log density of the standard distribution
    dlogpdf: tuple[Fn, ...]  # its partial derivatives: in z, then in each shape parameter
    cdf: Fn
    sf: Fn
    dcdf: tuple[Fn, ...]  # the cdf's partial derivatives in each shape parameter (the sf's are minus them)
    logcdf: Fn | None = None  # defaults: log(cdf), log(sf)
    logsf: Fn | None = None
    # Their derivatives in z, as functions of (ans, z, *θ), where exp(logpdf - ans) loses digits
    # (norm's far tails): defaults, that.
    dlogcdf: Fn | None = None
    dlogsf: Fn | None = None
    support: Range = (-math.inf, math.inf)
    valid: Fn = lambda *shapes: True  # where the shape parameters are allowed (on values)
    # Sample ranges: x, shapes, loc, scale; "more": lists of the four ranges, one more sample each.
    domain: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # At a pole of a derivative (gamma's (a - 1) / z at z = 0) a Python float's division
        # raises where a float64 gives NumPy's inf or nan: the rules must give NumPy's.
        for field in ("dlogpdf", "dcdf"):
            object.__setattr__(self, field, tuple(poles_as_numpy(f) for f in getattr(self, field)))

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.support[0]) or math.isfinite(self.support[1])

    def inward(self, z: Any, ans: Any) -> tuple[Any, Any, Any]:
        """``z`` and ``ans`` with the points outside the support replaced by harmless ones,
        and the mask of the points inside (``None`` when every point is)."""
        if not self.bounded:
            return z, ans, None
        lo, hi = self.support
        zv = getval(z)
        inside = (zv >= lo) & (zv <= hi)
        if np.all(inside):
            return z, ans, None
        middle = 0.5 * (lo + hi) if math.isfinite(hi) else lo + 1.0
        return where3(inside, z, middle), None if ans is None else where3(inside, ans, 0.0), inside


# -- values ------------------------------------------------------------------------


def select(keep: Any, out: Any, other: float) -> Any:
    """``out`` where ``keep`` holds, ``other`` elsewhere; a scalar stays a scalar."""
    if np.all(keep):
        return out
    out = np.where(keep, out, other)
    return out if out.ndim else out[()]


def log_weak(v: Any) -> Any:
    """``log(v)``, a Python float for a Python number, so that it does not promote float32."""
    return math.log(v) if isinstance(v, (int, float)) and v > 0 else np.log(v)


def cast_like_inputs(out: Any, *args: Any) -> Any:
    """``out`` in the floating dtype NumPy gives the arguments together: float32 stays float32
    even where a SciPy function of a Python-float parameter answered in float64; a NumPy
    scalar where the arithmetic left a Python float (``norm.logpdf(0.5)``), as SciPy's is."""
    if type(out) is float:
        out = np.float64(out)
    dtype = np.result_type(*args)
    odtype = getattr(out, "dtype", None)
    if dtype.kind == "f" and odtype is not None and odtype != dtype:
        return out.astype(dtype)
    return out


def _value(fam: Family, kind: str) -> Fn:
    lo, hi = fam.support

    @poles_as_numpy  # (scale 0 with Python floats: SciPy's nan, not ZeroDivisionError)
    def fun(x: Any, *params: Any) -> Any:
        *shapes, loc, scale = params
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = (x - loc) / scale
            inside = (z >= lo) & (z <= hi) if fam.bounded else True
            zin = np.clip(z, lo, hi) if fam.bounded else z  # the cdf is constant outside
            if kind == "logpdf":
                out = select(inside, fam.logpdf(zin, *shapes) - log_weak(scale), -np.inf)
            elif kind == "pdf":
                out = select(inside, np.exp(fam.logpdf(zin, *shapes)) / scale, 0.0)
            elif kind in ("cdf", "sf"):
                out = getattr(fam, kind)(zin, *shapes)
            else:
                direct = getattr(fam, kind)
                out = direct(zin, *shapes) if direct is not None else np.log(getattr(fam, kind[3:])(zin, *shapes))
            out = select(np.asarray(fam.valid(*shapes)) & (np.asarray(scale) > 0), out, np.nan)
        return cast_like_inputs(out, x, *params)

    fun.__name__ = fun.__qualname__ = f"{fam.name}_{kind}"
    fun.__wrapped__ = fam.args  # type: ignore[attr-defined]  # the argument names, for messages
    return fun


# -- derivatives -------------------------------------------------------------------


def _dz(fam: Family, kind: str, ans: Any, z: Any, shapes: Sequence[Any]) -> Any:
    """The derivative of the standard ``kind`` in ``z``."""
    if kind == "logpdf":
        return fam.dlogpdf[0](z, *shapes)
    if kind == "pdf":
        return ans * fam.dlogpdf[0](z, *shapes)
    sign = 1.0 if kind in ("cdf", "logcdf") else -1.0
    if kind in ("cdf", "sf"):
        return sign * exp(fam.logpdf(z, *shapes))
    own = fam.dlogcdf if kind == "logcdf" else fam.dlogsf
    if own is not None:
        return own(ans, z, *shapes)
    return sign * exp(fam.logpdf(z, *shapes) - ans)


def _dshape(fam: Family, kind: str, k: int, ans: Any, z: Any, shapes: Sequence[Any]) -> Any:
    """The derivative of ``kind`` in shape parameter ``k``."""
    if kind == "logpdf":
        return fam.dlogpdf[k + 1](z, *shapes)
    if kind == "pdf":
        return ans * fam.dlogpdf[k + 1](z, *shapes)
    sign = 1.0 if kind in ("cdf", "logcdf") else -1.0
    if kind in ("cdf", "sf"):
        return sign * fam.dcdf[k](z, *shapes)
    return sign * fam.dcdf[k](z, *shapes) * exp(-ans)


def _partial(fam: Family, kind: str, i: int) -> Fn:
    """``d kind / d argument i`` at the broadcast shape, a function of ``(ans, x, *θ, loc, scale)``."""
    n = len(fam.shapes)

    @poles_as_numpy
    def d(ans: Any, x: Any, *params: Any) -> Any:
        *shapes, loc, scale = params
        z, ans, inside = fam.inward((x - loc) / scale, ans)
        if 1 <= i <= n:
            value = _dshape(fam, kind, i - 1, ans, z, shapes)
        else:
            dz = _dz(fam, kind, ans, z, shapes)
            if i == 0:
                value = dz / scale
            elif i == n + 1:
                value = -dz / scale
            else:
                value = -z * dz / scale
                if kind == "logpdf":
                    value = value - 1 / scale
                elif kind == "pdf":
                    value = value - ans / scale
        value = value if inside is None else where3(inside, value, 0.0)
        # NaN where the parameters are not allowed (scale <= 0, a shape out of range), as the
        # value is: a constant 0 outside the support would read as a derivative there.
        allowed = np.asarray(fam.valid(*map(getval, shapes))) & (np.asarray(getval(scale)) > 0)
        return value if allowed.all() else where3(allowed, value, np.nan)

    return d


def _vjp(d: Fn, i: int) -> Fn:
    return lambda g, ans, *args: unbroadcast(g * d(ans, *args), args[i])


def _jvp(d: Fn) -> Fn:
    return lambda t, ans, *args: broadcast_like(t * d(ans, *args), ans)


# -- samples -----------------------------------------------------------------------


def _samples(fam: Family, kind: str) -> list[Sample]:
    """Scalars, equal shapes, and broadcasting; for a bounded support, points outside it too
    (where the function is constant, for the functions that stay finite there)."""
    dom = fam.domain
    ranges = [dom["x"], *dom["shapes"], dom["loc"], dom["scale"]]

    def r(k: int, *shape: int) -> Any:
        lo, hi = ranges[k]
        return rand(*shape, low=lo, high=hi)

    n = len(ranges)
    out = [
        Sample(*[scalar(*ranges[k]) for k in range(n)]),
        Sample(*[r(k, 4) for k in range(n)]),
        Sample(r(0, 2, 3), *[r(k, 3) for k in range(1, n - 2)], r(n - 2, 2, 1), scalar(*ranges[-1])),
        Sample(r(0, 3), *[r(k, 2, 1) for k in range(1, n - 2)], r(n - 2, 2, 1), r(n - 1, 1)),  # x broadcast
    ]
    for more in dom.get("more", ()):  # ranges of x, shapes, loc, scale where a rule takes another branch
        out.append(Sample(*[rand(4, low=lo, high=hi) for lo, hi in more]))
    if fam.bounded and kind in ("pdf", "cdf", "sf"):
        lo, hi = fam.support
        points = [lo - 0.5, *(dom["inside"]), *([hi + 0.5] if math.isfinite(hi) else [])]

        def across(rng: np.random.Generator, dtype: str) -> Any:
            return np.asarray(points, dtype)

        shapes = [scalar(*rng) for rng in dom["shapes"]]
        out.append(Sample(gen(across), *shapes, scalar(-0.05, 0.05), scalar(0.95, 1.05)).named("across the support"))
    return out


# -- the primitives and their composites --------------------------------------------------


def public(name: str, prim: Primitive, args: Fn, doc: str) -> Composite:
    """The composite ``name`` that binds SciPy's signature ``args`` and calls ``prim``."""

    def call(*a: Any, **k: Any) -> Any:
        return prim(*[as_array_value(v) if type(v) in (list, tuple) else v for v in args(*a, **k)])

    call.__name__ = name.rpartition(".")[2]
    call.__qualname__ = ".".join(name.split(".")[-2:])
    call.__doc__ = doc
    call.__wrapped__ = args  # type: ignore[attr-defined]  # so help() shows SciPy's signature
    prim.public_name = name
    return Composite(name, call)


def build(fam: Family) -> list[Any]:
    """The six primitives of ``fam`` and their public composites."""
    names = ("x", *fam.shapes, "loc", "scale")
    entries: list[Any] = []
    for kind in KINDS:
        saves = ("ans", "args") if kind in READS_ANS else ("args",)
        prim = Primitive(f"scipy.stats.{fam.name}._{kind}", _value(fam, kind), saves=saves)
        for i in range(len(names)):
            d = _partial(fam, kind, i)
            prim.def_vjp(_vjp(d, i), argnums=(i,))
            prim.def_jvp(_jvp(d), argnums=(i,))
        prim.def_samples(*_samples(fam, kind))
        signature = f"{kind}({', '.join(names[:-2])}, loc=0, scale=1)"
        prim.__doc__ = f"``scipy.stats.{fam.name}.{signature}``, every argument positional."
        doc = (
            f"``scipy.stats.{fam.name}.{signature}``, differentiable in {', '.join(names)}. "
            f"See SciPy's documentation of scipy.stats.{fam.name}."
        )
        entries += [prim, public(f"scipy.stats.{fam.name}.{kind}", prim, fam.args, doc)]
    return entries
