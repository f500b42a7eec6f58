"""Indexing: reading elements by basic or advanced index, and its transpose, which
scatters a cotangent into zeros (adding where an index repeats)."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Primitive, Sample, rand
from plugrad_numpy._util import dtype_of, shape_of, unbroadcast


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


def _untake(g: Any, index: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    out = np.zeros(shape, np.result_type(dtype, dtype_of(g)))
    np.add.at(out, index, g)
    return out


getitem = Primitive("numpy._getitem", _getitem, complex=True, doc="``x[index]``, differentiably.")
untake = Primitive("numpy._untake", _untake, complex=True, doc="Zeros of ``shape`` with ``g`` added at ``index``.")
getitem.def_vjp(lambda g, ans, x, index: unbroadcast(untake(g, index, shape_of(x), dtype_of(x)), x))
getitem.def_linear()
untake.def_vjp(lambda g, ans, x, index, shape, dtype: unbroadcast(getitem(g, index), x))
untake.def_linear()
getitem.def_samples(
    Sample(rand(5), 2),
    Sample(rand(5), slice(1, 4)),
    Sample(rand(3, 4), (1, slice(None, None, 2))),
    Sample(rand(3, 4), np.array([0, 2, 0])),
    Sample(rand(3, 4), (Ellipsis, None, 1)),
    Sample(rand(4), np.array([True, False, True, True])),
)
untake.def_samples(
    Sample(rand(3), np.array([0, 2, 0]), (4,), np.dtype(np.float64)),
    Sample(rand(2), (1, slice(0, 2)), (3, 2), np.dtype(np.float64)),
)
