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

    @functools.wraps(optimize)
    def optimize_nested(grad: Fun, x0: Any, callback: Fun | None = None, *args: Any, **kwargs: Any) -> Any:
        flat_x0, unflatten = flatten(x0)

        def flat_grad(x: Any, i: int) -> Any:
            return flatten(grad(unflatten(x), i))[0]

        flat_callback = (
            None if callback is None else (lambda x, i, g: callback(unflatten(x), i, unflatten(g)))
        )
        return unflatten(optimize(flat_grad, flat_x0, flat_callback, *args, **kwargs))

    return optimize_nested


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
