"""plugrad's scipy.stats pack: ``plugrad.scipy.stats.norm``, ``t``, ``beta``, ``gamma``,
``chi2``, ``poisson``, ``multivariate_normal`` and ``dirichlet``.

Each distribution is a namespace, ``scipy.stats.<distribution>``, so that
``plugrad.scipy.stats.norm.logpdf`` resolves as SciPy's ``scipy.stats.norm.logpdf`` does.
Its public functions (``logpdf``, ``cdf``, ...) are composites that take SciPy's
signature, keywords included, and call a positional primitive of the same name with a
leading underscore (``_logpdf``): plugrad differentiates positional arguments only, so
``norm.logpdf(x, loc=m, scale=s)`` with traced ``m`` and ``s`` works this way. Besides
these, as in autograd: ``multivariate_normal.entropy`` (a composite) and
``dirichlet.rvs`` (SciPy's sampler, with no derivative).

Importing this module defines the hooks and nothing else; SciPy and the modules that
define the functions are imported only when plugrad first asks for one of the namespaces.

Derivatives exist in every continuous argument: the point, ``loc``, ``scale`` and the
shape parameters (``df``, ``a``, ``b``, ``mean``, ``cov``, ``alpha``), cdfs included (their
shape-parameter derivatives come from the scipy.special pack's derivatives of the
incomplete beta and gamma functions). Poisson's ``k`` and ``loc`` are integers and have
none. Outside the support the derivatives are zero; at invalid parameters (a scale or
shape parameter not positive) the values are NaN, as SciPy's are. A singular
``multivariate_normal`` ``cov`` (``allow_singular=True``) has none (see ``multivariate``).
"""

from __future__ import annotations

from typing import Any

from plugrad import hookimpl

__version__ = "0.1.0"

# distribution -> the module that defines it
DISTRIBUTIONS = {
    "norm": "continuous",
    "t": "continuous",
    "beta": "continuous",
    "gamma": "continuous",
    "chi2": "continuous",
    "poisson": "discrete",
    "multivariate_normal": "multivariate",
    "dirichlet": "multivariate",
}
PREFIX = "scipy.stats."


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [PREFIX + name for name in DISTRIBUTIONS]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    distribution = namespace[len(PREFIX) :] if namespace.startswith(PREFIX) else None
    if distribution not in DISTRIBUTIONS:
        return None
    import importlib

    module = importlib.import_module(f"plugrad_scipy_stats.{DISTRIBUTIONS[distribution]}")
    return list(module.ENTRIES[distribution])


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy import as_array

    register.sequences(as_array)  # a list of traced values is an array, as in the numpy pack
