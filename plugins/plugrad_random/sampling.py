"""The functions of ``numpy.random``: samplers and state with no derivative, and the two
that select elements of an array, whose derivative is that selection."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Box, Composite, NonDifferentiable, TraceError
from plugrad.box import getval

# Samples of distributions: no derivative with respect to their parameters.
DISTRIBUTIONS = (
    "beta", "binomial", "chisquare", "dirichlet", "exponential", "f", "gamma", "geometric",
    "gumbel", "hypergeometric", "laplace", "logistic", "lognormal", "logseries", "multinomial",
    "multivariate_normal", "negative_binomial", "noncentral_chisquare", "noncentral_f", "normal",
    "pareto", "poisson", "power", "rayleigh", "standard_cauchy", "standard_exponential",
    "standard_gamma", "standard_normal", "standard_t", "triangular", "uniform", "vonmises",
    "wald", "weibull", "zipf",
)  # fmt: skip

# Simple random data.
SIMPLE = ("rand", "randn", "randint", "random", "random_integers", "random_sample", "ranf", "sample", "bytes")

# The global state and new generators.
STATE = ("seed", "get_state", "set_state", "get_bit_generator", "set_bit_generator", "default_rng")


def _nondifferentiable(names: tuple[str, ...]) -> list[NonDifferentiable]:
    # A name this NumPy lacks (added or removed in another version) is skipped.
    return [
        NonDifferentiable(f"numpy.random.{n}", getattr(np.random, n)) for n in names if hasattr(np.random, n)
    ]


def permutation(x: Any) -> Any:
    if isinstance(x, Box):  # x[permutation(len(x))] draws exactly what permutation(x) draws
        return x[np.random.permutation(len(getval(x)))]
    return np.random.permutation(x)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    if isinstance(a, Box):  # likewise a[choice(len(a), ...)] for choice(a, ...)
        return a[np.random.choice(len(getval(a)), getval(size), getval(replace), getval(p))]
    return np.random.choice(a, getval(size), getval(replace), getval(p))


def shuffle(x: Any) -> None:
    if isinstance(x, Box):
        raise TraceError(
            "plugrad.numpy.random.shuffle was called on a traced array; it shuffles in place, "
            "which would change a value the derivative still needs. Use "
            "x = np.random.permutation(x) instead: the same order for the same random state, "
            "and differentiable."
        )
    np.random.shuffle(x)


for _fun in (permutation, choice, shuffle):
    _fun.__doc__ = getattr(np.random, _fun.__name__).__doc__


def entries() -> list[Any]:
    """Every function of the namespace."""
    selections = [Composite(f"numpy.random.{f.__name__}", f) for f in (permutation, choice, shuffle)]
    return [*_nondifferentiable(DISTRIBUTIONS + SIMPLE + STATE), *selections]
