"""plugrad's random pack: ``plugrad.numpy.random``, usable inside differentiated code.

Sampling is not differentiated: every function accepts traced arguments, looks
through them and returns NumPy's sample, from NumPy's own global state, so
``plugrad.numpy.random.seed(0)`` seeds ``numpy.random`` and values match NumPy's
exactly. A traced ``loc`` or ``scale`` gives a plain sample, not a reparameterised
gradient, and a warning that says so; for one, write the reparameterisation:
``mu + sigma * np.random.standard_normal(shape)``, and to sample at a constant
parameter, pass ``getval(mu)``.
``permutation`` and ``choice`` of a traced array are differentiable selections of its
elements. ``Generator``, ``RandomState`` and the bit generators are NumPy's classes,
passed through unchanged (their methods take plain arguments).

Importing this module defines the hooks and nothing else.
"""

from __future__ import annotations

from typing import Any

from plugrad import hookimpl

__version__ = "0.1.0"

NAMESPACE = "numpy.random"


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == NAMESPACE:
        from plugrad_random import sampling

        return sampling.entries()
    return None
