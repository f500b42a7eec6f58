"""The functions of ``numpy.random``: samplers and state with no derivative, and the two
that select elements of an array, whose derivative is that selection."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from plugrad import Box, Composite, NonDifferentiable, TraceError
from plugrad.box import getval, plain_value
from plugrad.errors import user_stacklevel

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


def _nondifferentiable(names: tuple[str, ...], kind: type[NonDifferentiable] = NonDifferentiable) -> list[Any]:
    # A name this NumPy lacks (added or removed in another version) is skipped.
    return [kind(f"numpy.random.{n}", getattr(np.random, n)) for n in names if hasattr(np.random, n)]


class Sampler(NonDifferentiable):
    """A sampler of a distribution. Given a traced parameter it samples at the parameter's
    value, with no derivative, and warns that it does: a sample is not reparameterised."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        traced = [name for name, value in (*enumerate(args), *kwargs.items()) if _traced(value)]
        if traced:
            short = self.name.rpartition(".")[2]
            noise = _FROM_NOISE.get(short)
            how = (
                f"For a reparameterised sample, write it from noise with fixed parameters: {noise}."
                if noise
                else "It has no reparameterisation from noise with fixed parameters here."
            )
            warnings.warn(
                f"numpy.random.{short} was given a traced value (argument {', '.join(map(str, traced))}): "
                f"its sample has no derivative with respect to it. {how} To sample at the value as a "
                "constant (a score-function estimator), pass plugrad.box.getval(...) of it instead, "
                "which says so and silences this warning.",
                UserWarning,
                stacklevel=2,
            )
        return super().__call__(*args, **kwargs)


# The samplers whose draws are a differentiable function of their parameters and of noise
# that does not depend on them: each written so, for the warning above.
_FROM_NOISE = {
    "normal": "loc + scale * np.random.standard_normal(size)",
    "uniform": "low + (high - low) * np.random.random(size)",
    "lognormal": "np.exp(mean + sigma * np.random.standard_normal(size))",
    "exponential": "scale * np.random.standard_exponential(size)",
    "laplace": "loc + scale * np.random.laplace(size=size)",
    "logistic": "loc + scale * np.random.logistic(size=size)",
    "gumbel": "loc + scale * np.random.gumbel(size=size)",
    "rayleigh": "scale * np.random.rayleigh(size=size)",
    "weibull": "np.random.standard_exponential(size) ** (1 / a)",
    "pareto": "np.expm1(np.random.standard_exponential(size) / a)",
    "power": "np.random.random(size) ** (1 / a)",
    "multivariate_normal": "mean + np.random.standard_normal((n, len(mean))) @ np.linalg.cholesky(cov).T",
}


def _traced(value: Any) -> bool:
    if isinstance(value, Box):
        return True
    return isinstance(value, (list, tuple)) and any(_traced(v) for v in value)


def permutation(x: Any) -> Any:
    if isinstance(x, Box):  # x[permutation(len(x))] draws exactly what permutation(x) draws
        return x[np.random.permutation(len(getval(x)))]
    return np.random.permutation(x)


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
    if _traced(p):
        warnings.warn(
            "numpy.random.choice was given traced probabilities p: its draw has no derivative with "
            "respect to them (which elements are drawn does not vary smoothly with p). To draw at "
            "p's value as a constant (for a score-function estimator, whose gradient is f(draw) "
            "times that of np.log(p[draw])), pass plugrad.box.getval(p), which silences this warning.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    p = plain_value(p)
    if isinstance(a, Box):  # likewise a[choice(len(a), ...)] for choice(a, ...)
        return a[np.random.choice(len(getval(a)), getval(size), getval(replace), p)]
    return np.random.choice(a, getval(size), getval(replace), p)


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
    return [*_nondifferentiable(DISTRIBUTIONS, Sampler), *_nondifferentiable(SIMPLE + STATE), *selections]
