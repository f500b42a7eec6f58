"""plugrad's FFT pack: the differentiable ``plugrad.numpy.fft`` namespace.

Importing this module defines the hooks and nothing else; the modules that define
the primitives are imported only when one of their functions is first used.

Every transform is linear, so its JVP is the transform of the tangent. Its VJP is
the transpose under plugrad's unconjugated cotangent convention (a cotangent ``c``
is the functional ``u -> Re sum(c * u)``): ``fft`` and ``ifft`` are symmetric
matrices, so each is its own transpose; the real transforms (``rfft``, ``irfft``,
``hfft``, ``ihfft``) are only real-linear, and their transposes are the partner
transform with the Hermitian weights (1 for the zero frequency and, for even
lengths, the Nyquist frequency; 2 for the others). See ``transforms.py``.
"""

from __future__ import annotations

from typing import Any

from plugrad import deferred, hookimpl

__version__ = "0.1.0"

NAMESPACE = "numpy.fft"

# The modules that define the pack's functions, in dependency order.
MODULES = ("transforms", "helpers")


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace == NAMESPACE:
        # Each module is imported when one of its names is first used (see plugrad.manifest).
        from plugrad_fft._manifest import MODULES as DEFINED, OVERRIDE

        return deferred(__name__, DEFINED, NAMESPACE, OVERRIDE)
    return None


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy import as_array

    register.sequences(as_array)  # a list of traced values is an array, as in the numpy pack
