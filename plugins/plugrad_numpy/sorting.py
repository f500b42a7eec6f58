"""Sorting: ``sort`` and ``partition`` return a permutation of their input, so each is
``take_along_axis(a, perm, axis)`` for a constant permutation ``perm``; the VJP
scatters the cotangent back through ``perm`` and the JVP permutes the tangent.

Ties: where elements are equal the derivative is not defined (a kink). ``sort``
uses the stable ``argsort`` permutation, so tied elements keep their input order
and each output element's derivative comes from the first unclaimed input
element equal to it; forward and reverse mode agree exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad import NonDifferentiable, Primitive, Sample, rand, scalar
from plugrad.box import getval
from plugrad_numpy._util import broadcast_like, shape_of
from plugrad_numpy.indexing import _along_axis_index, scatter, take_along_axis
from plugrad_numpy.shape import ravel


def permutation_rules(prim: Primitive, perm: Any) -> None:
    """VJP and JVP of ``prim(a, ...) == take_along_axis(a, perm(a, ...), axis)``."""

    def vjp(g: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
        p, axis = perm(getval(a), *args, **kwargs)
        index, flat = _along_axis_index(shape_of(a), p, axis)
        return scatter(g, index, a, flat)

    def jvp(t: Any, ans: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
        p, axis = perm(getval(a), *args, **kwargs)
        if axis is None:  # the flattened array (NumPy's take_along_axis cannot take a float's)
            t, axis = ravel(t), 0
        return broadcast_like(take_along_axis(t, p, axis=axis), ans)

    prim.def_vjp(vjp)
    prim.def_jvp(jvp)


def _sort_perm(
    a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None
) -> tuple[Any, Any]:
    # Where no two elements of a lane are equal (nor NaN), every sort gives the one
    # permutation, and NumPy's default argsort finds it six times as fast as the stable
    # one (at 10^5 elements): only ties, seen in the sorted values, need the stable sort.
    perm = np.argsort(a, axis=axis)
    along = -1 if axis is None else axis
    values = np.take_along_axis(np.ravel(a) if axis is None else np.asarray(a), perm, axis=along)
    lanes = np.moveaxis(values, along, -1)
    if (lanes[..., 1:] == lanes[..., :-1]).any() or np.isnan(lanes[..., -1:]).any():  # NaNs sort last
        perm = np.argsort(a, axis=axis, kind="stable")
    return perm, axis


sort = Primitive("numpy.sort", np.sort, complex=True, saves=("args",))
permutation_rules(sort, _sort_perm)
sort.def_samples(
    Sample(rand(6)),
    Sample(rand(3, 4)),
    Sample(rand(3, 4), axis=0),
    Sample(rand(3, 4), -1, kind="stable"),
    Sample(rand(2, 3, 2), axis=None),
    Sample(scalar(), axis=None),  # a number, flattened to one element
)


def _partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    # Built on argpartition so that the rules below use the very permutation of the result
    # (numpy.partition leaves the order of the elements besides kth unspecified).
    perm = np.argpartition(a, kth, axis=axis, kind=kind, order=order)
    return np.take_along_axis(np.asarray(a), perm, axis=axis)


def _partition_perm(
    a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None
) -> tuple[Any, Any]:
    return np.argpartition(a, kth, axis=axis, kind=kind, order=order), axis


partition = Primitive("numpy.partition", _partition, complex=True, saves=("args",), doc=np.partition.__doc__)
permutation_rules(partition, _partition_perm)
partition.def_samples(
    Sample(rand(7), 3),
    Sample(rand(3, 5), (1, 3)),
    Sample(rand(4, 3), 0, axis=0),
    Sample(rand(2, 3), -1, axis=None),
)

# Orders and positions are integers: no derivative.
argsort = NonDifferentiable("numpy.argsort", np.argsort)
argpartition = NonDifferentiable("numpy.argpartition", np.argpartition)
lexsort = NonDifferentiable("numpy.lexsort", np.lexsort)
searchsorted = NonDifferentiable("numpy.searchsorted", np.searchsorted)
