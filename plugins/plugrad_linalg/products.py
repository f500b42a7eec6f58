"""The products and views NumPy 2 adds to ``numpy.linalg`` for the array API:
``matmul``, ``matrix_transpose``, ``diagonal``, ``trace``, ``outer``, ``cross``,
``tensordot``, ``vecdot``, and ``multi_dot``; and two helpers autograd's ``numpy.linalg``
module exposes, which code written against autograd calls: ``T`` (the transpose of the
last two axes) and ``_dot`` (the product of two stacks of matrices).

Where the core numpy pack has a primitive with the same semantics it is reused
(``matmul``, ``matrix_transpose`` as aliases; ``diagonal`` and ``trace`` as composites
over NumPy's axis-taking versions). The others differ from their ``numpy.*`` namesakes
(1-d only ``outer``, 3-vectors only ``cross``, keyword-only ``axes``) and are defined
here. All are linear in each argument: each JVP is the function applied to the tangent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, rand
from plugrad.box import Box
from plugrad_numpy import linear as L
from plugrad_numpy import shape as S
from plugrad_numpy._util import iscomplex, shape_of, unbroadcast
from plugrad_numpy.unary import conj

matmul = L.matmul.alias("numpy.linalg.matmul", np.linalg.matmul)
matrix_transpose = S.matrix_transpose.alias("numpy.linalg.matrix_transpose", np.linalg.matrix_transpose)


def _diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """The diagonals of a stack of matrices ``(..., m, n)`` (``numpy.linalg.diagonal``)."""
    return S.diagonal(x, offset, -2, -1)


def _trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """The traces of a stack of matrices ``(..., m, n)`` (``numpy.linalg.trace``)."""
    return S.trace(x, offset, -2, -1, dtype)


diagonal = Composite("numpy.linalg.diagonal", _diagonal)
trace = Composite("numpy.linalg.trace", _trace)


def _conj(x: Any) -> Any:
    return conj(x) if iscomplex(x) else x


# outer(x1, x2) = x1[:, None] * x2[None, :], for 1-d arguments only.
outer = Primitive("numpy.linalg.outer", np.linalg.outer, complex=True, saves=("args",))
outer.def_vjp(
    lambda g, ans, x1, x2: unbroadcast(L.matmul(g, x2), x1),
    lambda g, ans, x1, x2: unbroadcast(L.matmul(x1, g), x2),
)
outer.def_linear(0, 1)
outer.def_samples(Sample(rand(3), rand(4)), Sample(rand(1), rand(2)))

# <g, x1 x x2> = <x1, x2 x g> = <x2, g x x1>: the scalar triple product, rotated.
cross = Primitive("numpy.linalg.cross", np.linalg.cross, complex=True, saves=("args",))
cross.def_vjp(
    lambda g, ans, x1, x2, axis=-1: unbroadcast(cross(x2, g, axis=axis), x1),
    lambda g, ans, x1, x2, axis=-1: unbroadcast(cross(g, x1, axis=axis), x2),
)
cross.def_linear(0, 1)
cross.def_samples(
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(4, 1, 3), rand(2, 3)),
    Sample(rand(3, 2), rand(3, 2), axis=0),
)


def _contraction(axes: Any, nd1: int, nd2: int) -> tuple[list[int], list[int]]:
    """``axes`` of ``tensordot`` as two lists of nonnegative axes, paired in order."""
    if isinstance(axes, (int, np.integer)):
        return list(range(nd1 - axes, nd1)), list(range(axes))
    a, b = axes
    a = [a] if isinstance(a, (int, np.integer)) else list(a)
    b = [b] if isinstance(b, (int, np.integer)) else list(b)
    return [i % nd1 for i in a], [i % nd2 for i in b]


def _tensordot_vjp_x1(g: Any, ans: Any, x1: Any, x2: Any, axes: Any = 2) -> Any:
    nd1, nd2 = len(shape_of(x1)), len(shape_of(x2))
    ax1, ax2 = _contraction(axes, nd1, nd2)
    free1 = [i for i in range(nd1) if i not in ax1]
    free2 = [i for i in range(nd2) if i not in ax2]
    r = tensordot(g, x2, axes=(list(range(len(free1), len(shape_of(g)))), free2))
    held = free1 + [ax1[ax2.index(b)] for b in sorted(ax2)]  # the x1 axis each axis of r is
    return unbroadcast(S.transpose(r, tuple(int(i) for i in np.argsort(held))), x1)


def _tensordot_vjp_x2(g: Any, ans: Any, x1: Any, x2: Any, axes: Any = 2) -> Any:
    nd1, nd2 = len(shape_of(x1)), len(shape_of(x2))
    ax1, ax2 = _contraction(axes, nd1, nd2)
    free1 = [i for i in range(nd1) if i not in ax1]
    free2 = [i for i in range(nd2) if i not in ax2]
    r = tensordot(x1, g, axes=(free1, list(range(len(free1)))))
    held = [ax2[ax1.index(a)] for a in sorted(ax1)] + free2  # the x2 axis each axis of r is
    return unbroadcast(S.transpose(r, tuple(int(i) for i in np.argsort(held))), x2)


tensordot = Primitive("numpy.linalg.tensordot", np.linalg.tensordot, complex=True, saves=("args",))
tensordot.def_vjp(_tensordot_vjp_x1, _tensordot_vjp_x2)
tensordot.def_linear(0, 1)
tensordot.def_samples(
    Sample(rand(2, 3, 4), rand(3, 4, 5)),
    Sample(rand(3, 4), rand(4, 2), axes=1),
    Sample(rand(3), rand(4), axes=0),
    Sample(rand(2, 3, 4), rand(4, 2, 3), axes=([1, 2], [2, 0])),
    Sample(rand(2, 3), rand(3, 2), axes=([0, 1], [1, 0])),
)


def _expand(g: Any, x1: Any, x2: Any, axis: int) -> Any:
    """The cotangent of ``vecdot`` with the summed axis put back (size 1)."""
    nd = max(len(shape_of(x1)), len(shape_of(x2)))
    return S.expand_dims(g, axis - nd if axis >= 0 else axis)


# vecdot(x1, x2) = sum(conj(x1) * x2, axis): conjugate-linear in x1, linear in x2.
vecdot = Primitive("numpy.linalg.vecdot", np.linalg.vecdot, complex=True, saves=("args",))
vecdot.def_vjp(
    lambda g, ans, x1, x2, axis=-1: unbroadcast(_conj(_expand(g, x1, x2, axis) * x2), x1),
    lambda g, ans, x1, x2, axis=-1: unbroadcast(_expand(g, x1, x2, axis) * _conj(x1), x2),
)
vecdot.def_linear(0, 1)
vecdot.def_samples(
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(2, 1, 4), rand(3, 4)),
    Sample(rand(3, 2), rand(3, 2), axis=0),
    Sample(rand(2, 3, 4), rand(2, 3, 4), axis=-2),
)


def _chain_order(shapes: list[tuple[int, ...]]) -> list[list[int]]:
    """The cheapest parenthesization of a chain of matrix products (dynamic programming
    over the chain's sub-ranges): ``split[i][j]`` is where the product of ``i..j`` splits."""
    n = len(shapes)
    dims = [s[0] for s in shapes] + [shapes[-1][1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(arrays: list[Any], split: list[list[int]], i: int, j: int) -> Any:
    if i == j:
        return arrays[i]
    k = split[i][j]
    return L.matmul(_chain(arrays, split, i, k), _chain(arrays, split, k + 1, j))


def _multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """``numpy.linalg.multi_dot``: the product of a chain of matrices, in the cheapest
    order; the first and last may be vectors."""
    arrays = list(arrays)
    if not any(isinstance(a, Box) for a in arrays):
        return np.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise TypeError(
            "plugrad.numpy.linalg.multi_dot cannot write a traced result into out=; "
            "drop out= and use the returned value"
        )
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    row, column = len(shape_of(arrays[0])) == 1, len(shape_of(arrays[-1])) == 1
    if row:
        arrays[0] = S.reshape(arrays[0], (1, -1))
    if column:
        arrays[-1] = S.reshape(arrays[-1], (-1, 1))
    result = _chain(arrays, _chain_order([shape_of(a) for a in arrays]), 0, len(arrays) - 1)
    if row and column:
        return result[0, 0]
    return result[0] if row else result[:, 0] if column else result


multi_dot = Composite("numpy.linalg.multi_dot", _multi_dot)


# autograd's numpy.linalg also exposes two helpers of its own rules; code (and tests)
# written against autograd call them, so they are provided under the same names.


def _T(x: Any) -> Any:
    """The transpose of the last two axes of ``x`` (autograd's ``numpy.linalg.T``)."""
    return S.swapaxes(x, -1, -2)


def _dot(a: Any, b: Any) -> Any:
    """The products of two stacks of matrices, ``(..., i, j) @ (..., j, k)``, broadcast
    along the leading axes (autograd's ``numpy.linalg._dot``)."""
    if len(shape_of(a)) < 2 or len(shape_of(b)) < 2:
        raise ValueError(
            f"plugrad.numpy.linalg._dot multiplies stacks of matrices, but got arguments of shapes "
            f"{shape_of(a)} and {shape_of(b)}; use plugrad.numpy.matmul or dot for vectors"
        )
    return L.matmul(a, b)


T = Composite("numpy.linalg.T", _T)
dot = Composite("numpy.linalg._dot", _dot)
