"""``odeint(func, y0, t, args=(), **kwargs)``: SciPy's LSODA solution of
``dy/dt = func(y, t, *args)``, ``y(t[0]) = y0``, at the times ``t``, differentiable with
respect to ``y0``, ``t`` and the float and complex arrays and numbers in ``args``, to any
order. The other entries of ``args`` (an int, a str, None, any object) are constants: they
are put back into ``func``'s arguments, and the rules see only the differentiated ones.

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

Each of those integrations is itself a call of ``odeint``, whose initial state, times
and ``args`` carry everything the rule reads (``g``, ``ans``, ``y0``, ``t``, ``args``,
the tangent ``dargs``), and whose right-hand side is written with plugrad, so the rules
are differentiable like any other plugrad code: second and higher derivatives, in
either mode, are further, larger augmented integrations. ``func`` must be written with
``plugrad.numpy``: the n-th derivative of ``odeint`` differentiates it n times.

Every integration uses the tolerances given (``rtol``, ``atol``, ``mxstep``, ...; pass
tight ones, say ``1e-10``, for accurate derivatives); ``Dfun`` and ``full_output`` are
used for the solution only. The derivatives are those of the exact solution, accurate
to those tolerances, not the derivatives of SciPy's particular steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.integrate as si

from plugrad import Composite, NotDifferentiableError, Primitive, Sample, gen, make_jvp, make_vjp, rand
from plugrad.box import Box, getval, holds_box
from plugrad.builtins import pack
from plugrad_misc.flatten import flatten
from plugrad_numpy.joining import asarray, concatenate, stack
from plugrad_numpy.linear import dot
from plugrad_numpy.shape import ravel, reshape
from plugrad_numpy.unary import cos, sin

Fun = Callable[..., Any]

# The options that tune any integration; the others (Dfun, full_output, tcrit, ...)
# concern the solution's own system only.
_TOLERANCES = ("rtol", "atol", "h0", "hmax", "hmin", "mxstep", "mxhnil", "mxordn", "mxords")


def _odeint_fun(func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    return si.odeint(func, y0, t, args, **kwargs)


odeint_ = Primitive("scipy.integrate._odeint", _odeint_fun, doc="``odeint(func, y0, t, args, **kwargs)``.")
odeint_.public_name = "scipy.integrate.odeint"


# -- the pieces the rules share -----------------------------------------------------------
# The rules' inputs may be traced (a derivative of a derivative), so they use plugrad's
# operations only, and every traced value reaches an integration through its y0, t or
# args: the right-hand sides below close over constants alone (func, sizes, options).


class _System:
    """``func`` with ``odeint``'s options, and the augmented systems of its rules."""

    def __init__(self, func: Fun, y0: Any, kwargs: dict[str, Any]) -> None:
        self.func = func
        self.tfirst = bool(kwargs.get("tfirst", False))
        self.size = int(np.size(getval(y0)))
        self.options = {k: v for k, v in kwargs.items() if k in _TOLERANCES}
        for key in ("rtol", "atol"):  # per component: the augmented systems are longer, use the tightest
            if np.ndim(self.options.get(key, 0.0)) > 0:
                self.options[key] = float(np.min(self.options[key]))

    def field(self, y: Any, s: Any, args: Any) -> Any:
        """``f(y, s)`` as a flat array."""
        out = self.func(s, y, *args) if self.tfirst else self.func(y, s, *args)
        return reshape(asarray(out), (self.size,))

    def solve(self, dynamics: Fun, z0: Any, times: Any, args: Any) -> Any:
        """``odeint`` of an augmented system, itself differentiable."""
        return odeint_(dynamics, z0, times, pack(tuple(args)), **self.options)

    def adjoint(self, wrt_args: bool) -> Fun:
        """The backward system in ``z = (y, a)``, or ``(y, a, p)`` with ``wrt_args``."""
        d = self.size

        def dynamics(z: Any, s: float, *args: Any) -> Any:
            y, a = z[:d], z[d : 2 * d]
            if not wrt_args:
                vjp, fy = make_vjp(lambda y: self.field(y, s, args))(y)
                return concatenate([fy, -vjp(a)])
            vjp, fy = make_vjp(lambda y, args: self.field(y, s, args), (0, 1))(y, args)
            ay, aargs = vjp(a)
            return concatenate([fy, -ay, *[-x for x in _pieces(aargs)]])

        return dynamics

    def tangent(self, nargs: int | None) -> Fun:
        """The forward system in ``z = (y, s)``; its args are ``args``, then ``dargs``
        when ``nargs`` (the number of ``args``) is given."""
        d = self.size

        def dynamics(z: Any, s: float, *params: Any) -> Any:
            y, u = z[:d], z[d:]
            if nargs is None:
                fy, du = make_jvp(lambda y: self.field(y, s, params))(y)(u)
            else:
                args, dargs = params[:nargs], params[nargs:]
                fy, du = make_jvp(lambda y, args: self.field(y, s, args), (0, 1))(y, args)((u, dargs))
            return concatenate([fy, du])

        return dynamics


def _pieces(args: Any) -> list[Any]:
    """The leaves of each of ``args`` as a vector: together, ``flatten(args)``'s layout
    (containers in ``args`` are flattened; arrays and floats, the common case, just raveled)."""
    return [flatten(x)[0] if isinstance(getval(x), (list, tuple, dict)) else ravel(x) for x in args]


def _like(x: Any, vector: Any) -> Any:
    """``vector`` as a cotangent of ``x``: its shape, dtype and container."""
    return flatten(x)[1](vector)


def _adjoint(g: Any, ans: Any, system: _System, t: Any, args: Any, wrt_args: bool) -> tuple[Any, Any, Any]:
    """The cotangents ``(y0-bar, t-bar, flat args-bar)`` from the backward pass."""
    d, times = system.size, asarray(t)
    n = len(getval(times))
    g, ys = reshape(g, (n, d)), reshape(ans, (n, d))
    dynamics = system.adjoint(wrt_args)
    a = np.zeros(d)
    p = np.zeros(np.size(getval(flatten(args)[0])) if wrt_args else 0)
    gt: list[Any] = [0.0] * n
    for i in range(n - 1, 0, -1):
        a = a + g[i]
        gt[i] = dot(g[i], system.field(ys[i], times[i], args))
        z = system.solve(dynamics, concatenate([ys[i], a, p]), stack([times[i], times[i - 1]]), args)[1]
        a, p = z[d : 2 * d], z[2 * d :]
    gt[0] = -dot(a, system.field(ys[0], times[0], args))
    return a + g[0], stack(gt), p


def _tangent(system: _System, y0: Any, t: Any, args: Any, s0: Any, dargs: Any = None) -> Any:
    """The tangents ``s(t_i)`` of ``ds/dt = df/dy s + df/dargs dargs``, ``s(t_0) = s0``."""
    nargs = None if dargs is None else len(args)
    params = tuple(args) if dargs is None else (*args, *dargs)
    z0 = concatenate([ravel(y0), s0])
    return system.solve(system.tangent(nargs), z0, t, params)[:, system.size :]


# -- the rules, one per argument: y0, t, args ---------------------------------------------


def _vjp_y0(g: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    return _like(y0, _adjoint(g, ans, _System(func, y0, kwargs), t, args, False)[0])


def _vjp_t(g: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    return _like(t, _adjoint(g, ans, _System(func, y0, kwargs), t, args, False)[1])


def _vjp_args(g: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    return _like(args, _adjoint(g, ans, _System(func, y0, kwargs), t, args, True)[2])


def _jvp_y0(dy0: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    system = _System(func, y0, kwargs)
    return reshape(_tangent(system, y0, t, args, ravel(dy0)), np.shape(getval(ans)))


def _jvp_t(dt: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    system = _System(func, y0, kwargs)
    times = asarray(t)
    n = len(getval(times))
    ys = reshape(ans, (n, system.size))
    flows = stack([system.field(ys[i], times[i], args) for i in range(n)])  # f(y_i, t_i)
    s = _tangent(system, y0, t, args, -flows[0] * dt[0])
    return reshape(s + flows * reshape(dt, (n, 1)), np.shape(getval(ans)))


def _jvp_args(dargs: Any, ans: Any, func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    system = _System(func, y0, kwargs)
    return reshape(_tangent(system, y0, t, args, np.zeros(system.size), dargs), np.shape(getval(ans)))


odeint_.def_vjp(None, _vjp_y0, _vjp_t, _vjp_args).def_jvp(None, _jvp_y0, _jvp_t, _jvp_args)


def _odeint(func: Fun, y0: Any, t: Any, args: Any = (), **kwargs: Any) -> Any:
    """``scipy.integrate.odeint``, differentiable with respect to ``y0``, ``t`` and the float
    and complex arrays and numbers in ``args`` (the others, such as an int or a str, are
    constants); ``func(y, t, *args)`` written with ``plugrad.numpy``."""
    traced = any(isinstance(x, Box) for x in (y0, t)) or (
        isinstance(args, tuple) and any(holds_box(x) for x in args)
    )
    if traced and kwargs.get("full_output"):
        raise NotDifferentiableError(
            "scipy.integrate.odeint(full_output=True) is not differentiated: the information "
            "dictionary has no derivative. Call it without full_output for the solution."
        )
    if traced and isinstance(args, tuple):
        func, args, kwargs = _constants_apart(func, args, kwargs)
    return odeint_(func, y0, t, pack(args) if isinstance(args, tuple) else args, **kwargs)


def _takes_part(x: Any) -> bool:
    """Whether an entry of ``args`` is differentiated: a traced value, a float or complex
    array or number, or a list, tuple or dict of only those."""
    if isinstance(x, Box):
        return True
    if isinstance(x, (list, tuple, dict)):
        return all(_takes_part(v) for v in (x.values() if isinstance(x, dict) else x))
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return isinstance(x, (float, complex, np.floating, np.complexfloating))


def _constants_apart(
    func: Fun, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Fun, tuple[Any, ...], dict[str, Any]]:
    """``func``, ``args`` and ``kwargs`` with the entries of ``args`` that take no part in the
    derivative (ints, strings, None, other objects) moved out of ``args`` into ``func`` (and
    ``Dfun``, which SciPy calls with ``args`` too): the rules differentiate every entry of
    ``args``, and these have no derivative."""
    keep = [_takes_part(x) for x in args]
    if all(keep):
        return func, args, kwargs
    for i, x in enumerate(args):
        if not keep[i] and holds_box(x):
            raise NotDifferentiableError(
                f"scipy.integrate.odeint: args[{i}] holds traced values beside values that have no "
                "derivative (ints, strings, None, ...), so it can be neither differentiated nor held "
                "constant. Pass the constants and the traced values as separate entries of args."
            )

    def with_constants(f: Fun) -> Fun:
        def call(a: Any, b: Any, *values: Any) -> Any:  # (y, t) or, with tfirst, (t, y)
            taken = iter(values)
            return f(a, b, *[next(taken) if k else x for x, k in zip(args, keep)])

        return call

    if kwargs.get("Dfun") is not None:
        kwargs = {**kwargs, "Dfun": with_constants(kwargs["Dfun"])}
    return with_constants(func), tuple(x for x, k in zip(args, keep) if k), kwargs


odeint = Composite("scipy.integrate.odeint", _odeint)


# -- samples: func is a constant; y0, t and args are differentiated -------------------------


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
    Sample(_decay, rand(2, low=0.5, high=1.5), gen(_times(3, 1.0)), gen(_params((2,))), **_TIGHT),
    Sample(
        _lotka_volterra, rand(2, low=0.5, high=1.5), gen(_times(4, 1.5)), gen(_params(None, None)), **_TIGHT
    ).only("float64"),
    Sample(_forced, rand(2), gen(_times(3, 1.0)), gen(_params((2,))), tfirst=True, **_TIGHT).only("float64"),
)
