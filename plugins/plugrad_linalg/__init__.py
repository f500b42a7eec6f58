"""plugrad's linear-algebra pack: the differentiable ``plugrad.numpy.linalg`` namespace.

Importing this module defines the hooks and :class:`NotHermitianWarning`, nothing else;
the modules that define the primitives are imported only when one of their functions is
first used.

Conventions shared by every rule in the pack (the docs page on linear algebra is
written from these notes and the module docstrings):

- Matrices may be stacked, ``(..., m, n)``, wherever NumPy accepts stacks, and
  complex wherever NumPy accepts complex input. Cotangents follow plugrad's
  unconjugated convention (a cotangent ``c`` is the functional ``u -> Re sum(c * u)``),
  so a holomorphic function such as ``inv`` or ``det`` has the same rules, with plain
  transposes, for real and complex input.
- Derivatives exist only where the decomposition is locally unique: distinct
  eigenvalues (``eigh``, ``eig``), distinct nonzero singular values (``svd``),
  full rank (``qr``, ``lstsq``, ``pinv``), positive definiteness (``cholesky``).
  Elsewhere the rules return infinities or NaNs, or raise NumPy's ``LinAlgError``;
  see each module.
- Functions that read one triangle of a Hermitian matrix (``cholesky``, ``eigh``,
  ``eigvalsh``, and ``svd`` / ``pinv`` with ``hermitian=True``) are computed on the
  Hermitian part ``(a + a^H) / 2``. For Hermitian input that part is the input itself,
  so the result is NumPy's (up to the phase of complex vectors, below); it makes the
  derivative the symmetric one, valid along any perturbation.
  For input that is not Hermitian beyond rounding they warn (:class:`NotHermitianWarning`),
  since NumPy, reading one triangle, returns something else.
- Complex eigenvectors (``eigh``) and singular vectors (``svd``) are returned with the
  largest-magnitude entry of each eigenvector (each row of ``Vh``) real and positive,
  so that they are smooth functions of the input; NumPy leaves that phase to LAPACK.
  ``eig`` keeps LAPACK's own normalization (unit norm, largest entry real), which
  its rules differentiate.
"""

from __future__ import annotations

from typing import Any

from plugrad import deferred, hookimpl

__version__ = "0.1.0"


class NotHermitianWarning(UserWarning):
    """A function that reads one triangle of a Hermitian matrix in NumPy or SciPy was given a
    matrix that is not Hermitian: plugrad computes on its Hermitian part, so the result
    differs from NumPy's or SciPy's."""


NAMESPACE = "numpy.linalg"

# The modules that define the pack's functions, in dependency order.
MODULES = (
    "products",
    "svd",
    "inverses",
    "determinants",
    "factorizations",
    "eigen",
    "norms",
)


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == NAMESPACE:
        # Each module is imported when one of its names is first used (see plugrad.manifest).
        from plugrad_linalg._manifest import MODULES as DEFINED, OVERRIDE

        return deferred(__name__, DEFINED, NAMESPACE, OVERRIDE)
    return None


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy import as_array

    register.sequences(as_array)  # a list of traced values is an array, as in the numpy pack
