"""Gradient-descent optimizers in autograd's terms.

Each is called as ``optimize(grad, x0, callback=None, num_iters=..., step_size=..., ...)``
and returns the parameters after ``num_iters`` steps:

- ``grad(x, i)`` gives the gradient at parameters ``x`` in iteration ``i`` (counted from 0;
  a minibatch schedule can read it). Write it as ``grad(objective)`` for an
  ``objective(x, i)``, or ``lambda x, i: grad(loss)(x)``.
- ``callback(x, i, g)``, if given, is called each iteration before the step, with the
  gradient ``g`` it will take; its return value is ignored.
- ``x0`` may be an array or any nested list, tuple or dict of arrays. The optimizers work
  on its flattened vector (see ``flatten``) and give ``grad`` and ``callback`` containers
  like ``x0``, and return one.

They are written with plugrad's primitives, so one can differentiate through an
optimization (with respect to ``x0`` or a step size). The tutorial's "Training a model"
page fits a model with ``adam`` over minibatches, with a callback.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import Composite
from plugrad_misc.flatten import flatten
from plugrad_numpy.unary import sqrt

Fun = Callable[..., Any]


def unflatten_optimizer(optimize: Fun) -> Fun:
    """An optimizer of flat vectors as one of nested containers: ``x0``, the argument and
    result of ``grad`` and the ``x`` and ``g`` given to ``callback`` are all containers."""

    name = optimize.__name__

    @functools.wraps(optimize)
    def optimize_nested(grad: Fun, x0: Any, callback: Fun | None = None, *args: Any, **kwargs: Any) -> Any:
        flat_x0, unflatten = flatten(x0)
        _check_callable(name, "grad", grad, "grad(x, i)", 2)
        if callback is not None:
            _check_callable(name, "callback", callback, "callback(x, i, g)", 3)

        def flat_grad(x: Any, i: int) -> Any:
            return _flat_gradient(name, grad(unflatten(x), i), flat_x0)

        flat_callback = (
            None if callback is None else (lambda x, i, g: callback(unflatten(x), i, unflatten(g)))
        )
        return unflatten(optimize(flat_grad, flat_x0, flat_callback, *args, **kwargs))

    return optimize_nested


def _check_callable(name: str, what: str, f: Any, call: str, n: int) -> None:
    """Refuse, before the first step, a ``grad`` or ``callback`` that cannot be called as
    the optimizer calls it (a ``grad`` of ``x`` alone, say)."""
    if not callable(f):
        raise TypeError(f"{name}: {what} must be a function, called as {call}; got {type(f).__name__} {f!r:.60}")
    try:
        inspect.signature(f).bind(*range(n))
    except TypeError:
        hint = " (for a gradient of x alone: lambda x, i: grad(loss)(x))" if what == "grad" else ""
        raise TypeError(
            f"{name}: {what} is called as {call}, but {getattr(f, '__name__', f)!r} cannot take {n} "
            f"positional arguments{hint}"
        ) from None
    except ValueError:  # no signature to read (a builtin): let the call say
        pass


def _flat_gradient(name: str, g: Any, x: Any) -> Any:
    """The gradient ``grad(x, i)`` returned, as a vector like the flat parameters ``x``."""
    try:
        flat = flatten(g)[0]
    except TypeError as exc:
        shown = repr(g)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."  # (cut visibly: a Dask array's repr is long)
        raise TypeError(
            f"{name}: grad(x, i) returned {type(g).__name__} {shown}, not a gradient shaped like the "
            f"parameters ({exc})"
        ) from None
    if np.shape(flat) != np.shape(x):
        raise ValueError(
            f"{name}: grad(x, i) returned a gradient of {np.size(flat)} numbers, but the parameters "
            f"hold {np.size(x)}: it must return a gradient shaped like x (the same arrays, lists and "
            "dicts)"
        )
    return flat


@unflatten_optimizer
def sgd(
    grad: Fun,
    x: Any,
    callback: Fun | None = None,
    num_iters: int = 200,
    step_size: float = 0.1,
    mass: float = 0.9,
) -> Any:
    """Stochastic gradient descent with momentum: the velocity averages the negative
    gradients (``mass`` is the weight of the old velocity), and each step adds
    ``step_size`` times it to ``x``."""
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return x


@unflatten_optimizer
def rmsprop(
    grad: Fun,
    x: Any,
    callback: Fun | None = None,
    num_iters: int = 100,
    step_size: float = 0.1,
    gamma: float = 0.9,
    eps: float = 1e-8,
) -> Any:
    """Root-mean-square propagation: each step is ``step_size`` times the gradient divided
    by the root of a running average of squared gradients (``gamma`` is the weight of the
    old average; ``eps`` keeps the division finite)."""
    avg_sq_grad = np.ones(len(x))
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        avg_sq_grad = avg_sq_grad * gamma + g**2 * (1 - gamma)
        x = x - step_size * g / (sqrt(avg_sq_grad) + eps)
    return x


@unflatten_optimizer
def adam(
    grad: Fun,
    x: Any,
    callback: Fun | None = None,
    num_iters: int = 100,
    step_size: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> Any:
    """Adam (Kingma and Ba, 2015): steps of ``step_size`` from bias-corrected running
    moments of the gradient (``b1`` and ``b2`` are the weights of the old first and second
    moments; ``eps`` keeps the division finite)."""
    m = np.zeros(len(x))  # first moment
    v = np.zeros(len(x))  # second moment
    for i in range(num_iters):
        g = grad(x, i)
        if callback:
            callback(x, i, g)
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * (g**2) + b2 * v
        mhat = m / (1 - b1 ** (i + 1))
        vhat = v / (1 - b2 ** (i + 1))
        x = x - step_size * mhat / (sqrt(vhat) + eps)
    return x


ENTRIES = [Composite(f"misc.optimizers.{f.__name__}", f) for f in (sgd, rmsprop, adam, unflatten_optimizer)]
