"""``odeint(func, y0, t, args=(), **kwargs)``: SciPy's LSODA solution of
``dy/dt = func(y, t, *args)``, ``y(t[0]) = y0``, at the times ``t``, differentiable with
respect to ``y0``, ``t`` and the arrays and floats in ``args``.

Reverse mode is the adjoint method. With ``g_i`` the cotangent of ``y(t_i)``, the
adjoint ``a`` (starting from zero at the last time) jumps by ``g_i`` at each ``t_i`` and,
between times, is integrated backwards together with ``y`` and the parameters' cotangent
``p``:

    dy/dt = f(y, t),    da/dt = -a^T df/dy,    dp/dt = -a^T df/dargs

(``y`` restarts from the stored solution at each ``t_i``, so no error builds up over
the backward pass). Then ``y0-bar = a(t_0) + g_0``, ``args-bar = p(t_0)``,
``t_i-bar = <g_i, f(y_i, t_i)>`` for ``i > 0`` and ``t_0-bar = -<a(t_0), f(y_0, t_0)>``
(moving the start moves every later point along the flow). The products ``a^T df/dy``
and ``a^T df/dargs`` are plugrad's own VJPs of ``func``.

Forward mode integrates the tangent ``s`` alongside ``y``,
``ds/dt = df/dy s + df/dargs dargs`` (plugrad's JVP of ``func``), from ``s(t_0) = dy0``,
or ``-f(y_0, t_0) dt_0`` for a tangent of ``t``, which also adds ``f(y_i, t_i) dt_i`` at
each time.

Every rule is a further numerical integration, with the tolerances given (``rtol``,
``atol``, ``mxstep``, ...; pass tight ones, say ``1e-10``, for accurate derivatives);
``Dfun`` and ``full_output`` are used for the solution only. The derivatives are those
of the exact solution, accurate to those tolerances, not the derivatives of SciPy's
particular steps. plugrad differentiates ``odeint`` once: its rules integrate with SciPy,
which plugrad does not trace, so a second derivative raises ``NotDifferentiableError``.
``func`` must be written with ``plugrad.numpy`` so that plugrad can differentiate it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.integrate as si

from plugrad import Composite, NotDifferentiableError, Primitive, Sample, gen, make_jvp, make_vjp, rand
from plugrad.box import Box
from plugrad.builtins import pack
from plugrad.vspace import vspace
from plugrad_numpy.joining import asarray
from plugrad_numpy.shape import reshape
from plugrad_numpy.unary import cos, sin

Fun = Callable[..., Any]

# The options that tune any integration; the others (Dfun, full_output, tcrit, ...)
# concern the solution's own system only.
_TOLERANCES = ("rtol", "atol", "h0", "hmax", "hmin", "mxstep", "mxhnil", "mxordn", "mxords")


def _odeint_fun(func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    return si.odeint(func, y0, t, args, **kwargs)


odeint_ = Primitive("scipy.integrate._odeint", _odeint_fun, doc="``odeint(func, y0, t, args, **kwargs)``.")


# -- the pieces the rules share -----------------------------------------------------------


def _first_order(*values: Any) -> None:
    for value in values:
        if isinstance(value, Box) or (isinstance(value, tuple) and any(isinstance(v, Box) for v in value)):
            raise NotDifferentiableError(
                "scipy.integrate.odeint is differentiated once only: its derivatives are further "
                "integrations by SciPy, which plugrad does not trace. Take first derivatives of "
                "odeint, or integrate with an ODE solver written in plugrad.numpy."
            )


class _System:
    """``func`` with ``odeint``'s options: its values and, traced, its VJPs and JVPs."""

    def __init__(self, func: Fun, y0: Any, args: Any, kwargs: dict[str, Any]) -> None:
        self.func = func
        self.tfirst = bool(kwargs.get("tfirst", False))
        self.args = tuple(args)
        self.size = int(np.size(y0))
        self.options = {k: v for k, v in kwargs.items() if k in _TOLERANCES}
        for key in ("rtol", "atol"):  # per component: the augmented systems are longer, use the tightest
            if np.ndim(self.options.get(key, 0.0)) > 0:
                self.options[key] = float(np.min(self.options[key]))

    def field(self, y: Any, s: float, args: tuple[Any, ...]) -> Any:
        """``f(y, s)`` as a flat array (traced when ``y`` or ``args`` are)."""
        out = self.func(s, y, *args) if self.tfirst else self.func(y, s, *args)
        return reshape(asarray(out), (self.size,))

    def value(self, y: Any, s: float) -> np.ndarray:
        return np.asarray(self.field(np.asarray(y, float), float(s), self.args), float)

    def integrate(self, dynamics: Fun, z0: np.ndarray, times: Any) -> np.ndarray:
        return si.odeint(dynamics, z0, np.asarray(times, float), **self.options)


def _adjoint(g: Any, ans: Any, system: _System, y0: Any, t: Any, wrt_args: bool) -> tuple[np.ndarray, ...]:
    """The cotangents ``(y0-bar, t-bar, flat args-bar)`` from the backward pass."""
    d, times = system.size, np.asarray(t, float)
    g = np.reshape(np.asarray(g, float), (len(times), d))
    space = vspace(system.args) if wrt_args else None

    def dynamics(z: np.ndarray, s: float) -> np.ndarray:
        y, a = z[:d], z[d : 2 * d]
        if space is None:
            vjp, fy = make_vjp(lambda y: system.field(y, s, system.args))(y)
            return np.concatenate([fy, -vjp(a)])
        vjp, fy = make_vjp(lambda y, args: system.field(y, s, args), (0, 1))(y, system.args)
        ay, aargs = vjp(a)
        return np.concatenate([fy, -ay, -space.flatten(aargs)])

    a = np.zeros(d)
    p = np.zeros(space.size if space is not None else 0)
    gt = np.zeros(len(times))
    ys = np.reshape(np.asarray(ans, float), (len(times), d))
    for i in range(len(times) - 1, 0, -1):
        a = a + g[i]
        gt[i] = g[i] @ system.value(ys[i], times[i])
        z = system.integrate(dynamics, np.concatenate([ys[i], a, p]), [times[i], times[i - 1]])[-1]
        a, p = z[d : 2 * d], z[2 * d :]
    gt[0] = -(a @ system.value(ys[0], times[0]))
    return a + g[0], gt, p


def _tangent(system: _System, y0: Any, t: Any, s0: np.ndarray, dargs: Any = None) -> np.ndarray:
    """The tangents ``s(t_i)`` of ``ds/dt = df/dy s + df/dargs dargs``, ``s(t_0) = s0``."""
    d = system.size

    def dynamics(z: np.ndarray, s: float) -> np.ndarray:
        y, u = z[:d], z[d:]
        if dargs is None:
            fy, du = make_jvp(lambda y: system.field(y, s, system.args))(y)(u)
        else:
            fy, du = make_jvp(lambda y, args: system.field(y, s, args), (0, 1))(y, system.args)((u, dargs))
        return np.concatenate([fy, du])

    z0 = np.concatenate([np.ravel(np.asarray(y0, float)), s0])
    return system.integrate(dynamics, z0, t)[:, d:]


def _output(s: np.ndarray, ans: Any) -> np.ndarray:
    return np.asarray(np.reshape(s, np.shape(ans)), np.asarray(ans).dtype)


# -- the rules, one per argument: y0, t, args ---------------------------------------------


def _vjp_y0(g: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    _first_order(g, ans, y0, t, args)
    gy0 = _adjoint(g, ans, _System(func, y0, args, kwargs), y0, t, False)[0]
    return vspace(y0).unflatten(gy0)


def _vjp_t(g: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    _first_order(g, ans, y0, t, args)
    gt = _adjoint(g, ans, _System(func, y0, args, kwargs), y0, t, False)[1]
    return vspace(t).unflatten(gt)


def _vjp_args(g: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    _first_order(g, ans, y0, t, args)
    gargs = _adjoint(g, ans, _System(func, y0, args, kwargs), y0, t, True)[2]
    return vspace(args).unflatten(gargs)


def _jvp_y0(dy0: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    _first_order(dy0, ans, y0, t, args)
    system = _System(func, y0, args, kwargs)
    return _output(_tangent(system, y0, t, np.ravel(np.asarray(dy0, float))), ans)


def _jvp_t(dt: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    _first_order(dt, ans, y0, t, args)
    system = _System(func, y0, args, kwargs)
    times, dt = np.asarray(t, float), np.asarray(dt, float)
    ys = np.reshape(np.asarray(ans, float), (len(times), system.size))
    flows = np.stack([system.value(y, s) for y, s in zip(ys, times)])  # f(y_i, t_i)
    s = _tangent(system, y0, t, -flows[0] * dt[0])
    return _output(s + flows * dt[:, None], ans)


def _jvp_args(dargs: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    _first_order(dargs, ans, y0, t, args)
    system = _System(func, y0, args, kwargs)
    return _output(_tangent(system, y0, t, np.zeros(system.size), dargs), ans)


odeint_.def_vjp(None, _vjp_y0, _vjp_t, _vjp_args).def_jvp(None, _jvp_y0, _jvp_t, _jvp_args)


def _odeint(func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    """``scipy.integrate.odeint``, differentiable with respect to ``y0``, ``t`` and ``args``
    (a tuple of arrays and floats); ``func(y, t, *args)`` written with ``plugrad.numpy``."""
    traced = any(isinstance(x, Box) for x in (y0, t)) or (
        isinstance(args, tuple) and any(isinstance(x, Box) for x in args)
    )
    if traced and kwargs.get("full_output"):
        raise NotDifferentiableError(
            "scipy.integrate.odeint(full_output=True) is not differentiated: the information "
            "dictionary has no derivative. Call it without full_output for the solution."
        )
    return odeint_(func, y0, t, pack(args) if isinstance(args, tuple) else args, **kwargs)


odeint = Composite("scipy.integrate.odeint", _odeint)


# -- samples: func is a constant; y0, t and args are differentiated -------------------------
# All first order: the rules are not differentiable again (see the module docstring).


def _decay(y: Any, t: Any, k: Any) -> Any:
    return -k * y


def _lotka_volterra(y: Any, t: Any, a: Any, b: Any) -> Any:
    prey, predator = y[0], y[1]
    return asarray([a * prey - b * prey * predator, b * prey * predator - predator])


def _forced(t: Any, y: Any, w: Any) -> Any:  # tfirst=True; depends on t explicitly
    return asarray([y[1], -w[0] * sin(y[0]) + w[1] * cos(2.0 * t)])


def _times(n: int, stop: float) -> Any:
    def make(rng: np.random.Generator, dtype: str) -> Any:
        return np.asarray(np.sort(rng.uniform(0.1, stop, n)) + np.arange(n) * 0.05, dtype)

    return make


def _params(*shapes: tuple[int, ...] | None, low: float = 0.5, high: float = 1.5) -> Any:
    def make(rng: np.random.Generator, dtype: str) -> Any:
        out = [rng.uniform(low, high, shape) for shape in shapes]
        return tuple(float(x) if shape is None else np.asarray(x, dtype) for x, shape in zip(out, shapes))

    return make


_TIGHT = {"rtol": 1e-11, "atol": 1e-11}
odeint_.def_samples(
    Sample(
        _decay, rand(2, low=0.5, high=1.5), gen(_times(3, 1.0)), gen(_params((2,))), **_TIGHT
    ).first_order(),
    Sample(
        _lotka_volterra, rand(2, low=0.5, high=1.5), gen(_times(4, 1.5)), gen(_params(None, None)), **_TIGHT
    )
    .first_order()
    .only("float64"),
    Sample(_forced, rand(2), gen(_times(3, 1.0)), gen(_params((2,))), tfirst=True, **_TIGHT)
    .first_order()
    .only("float64"),
)
