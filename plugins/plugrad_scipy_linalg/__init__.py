"""plugrad's SciPy linear-algebra pack: the differentiable ``plugrad.scipy.linalg`` namespace.

Importing this module defines the hooks and nothing else; SciPy and each module that
defines primitives are imported only when one of its functions is first used.

Conventions shared by every rule in the pack (those of the numpy.linalg pack, whose
primitives and rules it reuses where the mathematics is the same):

- Matrices may be stacked, ``(..., m, n)``, wherever SciPy accepts batches, and complex
  wherever SciPy accepts complex input. Cotangents follow plugrad's unconjugated
  convention (a cotangent ``c`` is the functional ``u -> Re sum(c * u)``), so a
  holomorphic function has the same rules, with plain transposes, for real and complex
  input; the conjugations of ``trans='C'``, ``assume_a='her'`` and of Cholesky factors
  get rules of their own.
- An argument read only in part gets a derivative only there: the triangle
  ``solve_triangular``, ``cho_solve`` or ``solve(..., assume_a='sym')`` reads, the band of
  ``solve_banded``. Entries SciPy ignores have a zero derivative.
- Functions of a Hermitian matrix that read one triangle (``cholesky``, ``cho_factor``,
  ``eigh``, ``eigvalsh``) are computed on the Hermitian part ``(a + a^H) / 2``, as in
  the numpy.linalg pack: SciPy's result for Hermitian input, and a derivative that is
  the symmetric one, valid along any perturbation. Eigenvectors, real or complex, have
  their largest-magnitude entry real and positive, so that they are smooth (LAPACK's
  signs are not).
- Functions that take or return a tuple (``cho_factor``, ``cho_solve``, ``lu``,
  ``lu_factor``, ``lu_solve``, ``lstsq``) are composites over primitives with array
  arguments (``_cho_solve(c, b, lower)``, ``_lu_packed(a)``, ``_lu_solve(lu, piv, b,
  trans)``); integer pivots, ranks and flags have no derivative.
- Derivatives exist where the result is locally unique and smooth: invertible matrices
  for the solvers, ``inv`` and ``det``; positive definite ones for Cholesky; pivots that
  do not change nearby for LU; distinct eigenvalues for ``eigh``; no eigenvalue on the
  closed negative real axis for ``sqrtm`` and ``logm`` (their principal branches); ``a``
  and ``-b`` without a common eigenvalue for ``solve_sylvester``; full rank for
  ``lstsq``. See each module.
"""

from __future__ import annotations

from typing import Any

from plugrad import deferred, hookimpl

__version__ = "0.1.0"

NAMESPACE = "scipy.linalg"

# The modules that define the pack's functions, in dependency order.
MODULES = ("solvers", "decompositions", "matfuncs")


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == NAMESPACE:
        # Each module is imported when one of its names is first used (see plugrad.manifest).
        from plugrad_scipy_linalg._manifest import MODULES as DEFINED, OVERRIDE

        return deferred(__name__, DEFINED, NAMESPACE, OVERRIDE)
    return None


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy import as_array

    register.sequences(as_array)  # a list of traced values is an array, as in the numpy pack
