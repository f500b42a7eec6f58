"""plugrad's SciPy pack: the differentiable ``plugrad.scipy.special`` namespace.

Importing this module defines the hooks and nothing else; SciPy and each module that
defines primitives are imported only when one of its functions is first used.

Arguments with no rule (differentiating with respect to them raises plugrad's
``NotDifferentiableError``): integer orders (``polygamma``'s ``n``, ``jn``, ``yn``,
``expn``, the spherical Bessel functions, ``multigammaln``'s ``d``); real orders of the
Bessel, Hankel and Struve functions and the parameters of ``hyp0f1``, ``hyp1f1``,
``hyperu`` and ``hyp2f1`` (no closed form; SciPy has no derivative to build one from);
``lambertw``'s branch ``k``. ``gammasgn`` is not differentiable. SciPy has no complex
``polygamma``, so ``gamma``, ``loggamma`` and ``rgamma`` differentiate once at complex
arguments (twice at real ones) and ``digamma`` only at real ones.
"""

from __future__ import annotations

from typing import Any

from plugrad import deferred, hookimpl

__version__ = "0.1.0"

NAMESPACE = "scipy.special"

# The modules that define the pack's functions, in dependency order.
MODULES = (
    "gamma",
    "exponential",
    "erf",
    "logistic",
    "information",
    "incomplete",
    "bessel",
    "hypergeometric",
)


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == NAMESPACE:
        # Each module is imported when one of its names is first used (see plugrad.manifest).
        from plugrad_scipy_special._manifest import MODULES as DEFINED, OVERRIDE

        return deferred(__name__, DEFINED, NAMESPACE, OVERRIDE)
    return None


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy import as_array

    register.sequences(as_array)  # a list of traced values is an array, as in the numpy pack
