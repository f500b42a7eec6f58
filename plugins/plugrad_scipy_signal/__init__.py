"""plugrad's scipy.signal pack: ``plugrad.scipy.signal.convolve``, ``correlate``,
``fftconvolve``, ``oaconvolve``, ``convolve2d`` and ``correlate2d``, differentiable in
both inputs.

Every one of them is a window of the full convolution of its inputs (the second one
reversed and conjugated for a correlation), so one private primitive,
``scipy.signal._convolve_window``, carries all their reverse-mode rules: the transpose
of a window of a convolution with ``b`` is a window of the convolution with ``b``
reversed. Forward mode applies the function itself to the tangent, each function being
linear in each input.

Importing this module defines the hooks and nothing else; SciPy and the module that
defines the functions are imported only when plugrad first asks for ``scipy.signal``.

``convolve`` also accepts autograd's ``convolve(A, B, axes=None, dot_axes=[(), ()],
mode='full')``, which pairs convolved axes and contracts others.

``convolve2d`` and ``correlate2d`` are differentiable with every boundary: ``'fill'`` (any
``fillvalue``), ``'wrap'`` and ``'symm'``, the last two being a convolution of the input
extended by NumPy's ``pad`` (modes ``'wrap'`` and ``'symmetric'``), whose derivative adds
each element's cotangent up where it was read.
"""

from __future__ import annotations

from typing import Any

from plugrad import hookimpl

__version__ = "0.1.0"

NAMESPACE = "scipy.signal"


@hookimpl
def plugrad_namespaces() -> list[str]:
    return [NAMESPACE]


@hookimpl
def plugrad_primitives(namespace: str) -> list[Any] | None:
    if namespace != NAMESPACE:
        return None
    from plugrad_scipy_signal import convolution

    return list(convolution.ENTRIES)


@hookimpl
def plugrad_types(register: Any) -> None:
    from plugrad_numpy import as_array

    register.sequences(as_array)  # a list of traced values is an array, as in the numpy pack
