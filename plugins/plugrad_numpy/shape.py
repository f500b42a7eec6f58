"""Functions that rearrange elements without changing them: all linear, so each
JVP is the function itself applied to the tangent and each VJP the inverse
rearrangement of the cotangent."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand, scalar
from plugrad_numpy._util import shape_of, unbroadcast


def _reshape(x: Any, shape: Any, *args: Any, **kwargs: Any) -> Any:
    return np.reshape(x, shape, *args, **kwargs)


reshape = Primitive("numpy.reshape", _reshape, complex=True)
reshape.def_vjp(lambda g, ans, x, shape, *a, **k: reshape(g, shape_of(x), *a, **k))
reshape.def_linear()
reshape.def_samples(Sample(rand(6), (2, 3)), Sample(rand(2, 3), -1), Sample(rand(2, 3, 2), (3, 4)), Sample(scalar(), (1, 1)))

broadcast_to = Primitive("numpy.broadcast_to", np.broadcast_to, complex=True)
broadcast_to.def_vjp(lambda g, ans, x, shape, **k: unbroadcast(g, x))
broadcast_to.def_linear()
broadcast_to.def_samples(Sample(rand(3), (2, 3)), Sample(rand(2, 1), (2, 4)), Sample(scalar(), (3,)), Sample(rand(1, 3), (2, 2, 3)))


def _inverse_axes(axes: Any, ndim: int) -> Any:
    return None if axes is None else tuple(np.argsort([a % ndim for a in axes]))


transpose = Primitive("numpy.transpose", np.transpose, complex=True)
transpose.def_vjp(lambda g, ans, x, axes=None: transpose(g, _inverse_axes(axes, len(shape_of(x)))))
transpose.def_linear()
transpose.def_samples(Sample(rand(2, 3)), Sample(rand(2, 3, 4), (1, 2, 0)), Sample(rand(2, 3, 4), axes=(2, 0, 1)), Sample(rand(3)))

ravel = Primitive("numpy.ravel", np.ravel, complex=True)
ravel.def_vjp(lambda g, ans, x, order="C": reshape(g, shape_of(x), order=order))
ravel.def_linear()
ravel.def_samples(Sample(rand(2, 3)), Sample(rand(2, 3), order="F"), Sample(scalar()))

expand_dims = Primitive("numpy.expand_dims", np.expand_dims, complex=True)
expand_dims.def_vjp(lambda g, ans, x, axis: reshape(g, shape_of(x)))
expand_dims.def_linear()
expand_dims.def_samples(Sample(rand(3), 0), Sample(rand(2, 3), -1), Sample(rand(2, 3), (0, 2)))

squeeze = Primitive("numpy.squeeze", np.squeeze, complex=True)
squeeze.def_vjp(lambda g, ans, x, axis=None: reshape(g, shape_of(x)))
squeeze.def_linear()
squeeze.def_samples(Sample(rand(1, 3, 1)), Sample(rand(1, 3, 1), axis=0), Sample(rand(2, 1), 1))

swapaxes = Primitive("numpy.swapaxes", np.swapaxes, complex=True)
swapaxes.def_vjp(lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))
swapaxes.def_linear()
swapaxes.def_samples(Sample(rand(2, 3), 0, 1), Sample(rand(2, 3, 4), -1, 0))

moveaxis = Primitive("numpy.moveaxis", np.moveaxis, complex=True)
moveaxis.def_vjp(lambda g, ans, x, source, destination: moveaxis(g, destination, source))
moveaxis.def_linear()
moveaxis.def_samples(Sample(rand(2, 3, 4), 0, -1), Sample(rand(2, 3, 4), (0, 1), (2, 0)))
