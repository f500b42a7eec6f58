"""Functions with no derivative: indices, rounding, tests and comparisons, shapes and
dtypes and membership. Each accepts traced arguments, looks through
them and returns a plain value, so a function that uses one (``x * (x > 0)``,
``x[np.argmax(x)]``) stays differentiable through its other operations.

(argsort, argpartition, lexsort and searchsorted live in sorting.py, sign in
unary.py, floor_divide in binary.py.)
"""

from __future__ import annotations

import numpy as np

from plugrad import NonDifferentiable
from plugrad_numpy._util import with_ufunc_methods

# Positions of elements.
argmax = NonDifferentiable("numpy.argmax", np.argmax)
argmin = NonDifferentiable("numpy.argmin", np.argmin)
nanargmax = NonDifferentiable("numpy.nanargmax", np.nanargmax)
nanargmin = NonDifferentiable("numpy.nanargmin", np.nanargmin)
argwhere = NonDifferentiable("numpy.argwhere", np.argwhere)
nonzero = NonDifferentiable("numpy.nonzero", np.nonzero)
flatnonzero = NonDifferentiable("numpy.flatnonzero", np.flatnonzero)
digitize = NonDifferentiable("numpy.digitize", np.digitize)
tril_indices_from = NonDifferentiable("numpy.tril_indices_from", np.tril_indices_from)
triu_indices_from = NonDifferentiable("numpy.triu_indices_from", np.triu_indices_from)
diag_indices_from = NonDifferentiable("numpy.diag_indices_from", np.diag_indices_from)

# Rounding: piecewise constant, so the derivative is zero wherever it exists.
floor = NonDifferentiable("numpy.floor", np.floor)
ceil = NonDifferentiable("numpy.ceil", np.ceil)
round = NonDifferentiable("numpy.round", np.round)
around = NonDifferentiable("numpy.around", np.around)
rint = NonDifferentiable("numpy.rint", np.rint)
trunc = NonDifferentiable("numpy.trunc", np.trunc)
fix = NonDifferentiable("numpy.fix", np.fix)
spacing = NonDifferentiable("numpy.spacing", np.spacing)
signbit = NonDifferentiable("numpy.signbit", np.signbit)

# Tests of values.
isnan = NonDifferentiable("numpy.isnan", np.isnan)
isinf = NonDifferentiable("numpy.isinf", np.isinf)
isfinite = NonDifferentiable("numpy.isfinite", np.isfinite)
isneginf = NonDifferentiable("numpy.isneginf", np.isneginf)
isposinf = NonDifferentiable("numpy.isposinf", np.isposinf)
iscomplex = NonDifferentiable("numpy.iscomplex", np.iscomplex)
isreal = NonDifferentiable("numpy.isreal", np.isreal)
isclose = NonDifferentiable("numpy.isclose", np.isclose)
allclose = NonDifferentiable("numpy.allclose", np.allclose)
array_equal = NonDifferentiable("numpy.array_equal", np.array_equal)
array_equiv = NonDifferentiable("numpy.array_equiv", np.array_equiv)

# Comparisons and logic.
greater = NonDifferentiable("numpy.greater", np.greater)
greater_equal = NonDifferentiable("numpy.greater_equal", np.greater_equal)
less = NonDifferentiable("numpy.less", np.less)
less_equal = NonDifferentiable("numpy.less_equal", np.less_equal)
equal = NonDifferentiable("numpy.equal", np.equal)
not_equal = NonDifferentiable("numpy.not_equal", np.not_equal)
logical_and = NonDifferentiable("numpy.logical_and", np.logical_and)
logical_or = NonDifferentiable("numpy.logical_or", np.logical_or)
logical_xor = NonDifferentiable("numpy.logical_xor", np.logical_xor)
logical_not = NonDifferentiable("numpy.logical_not", np.logical_not)
any = NonDifferentiable("numpy.any", np.any)
all = NonDifferentiable("numpy.all", np.all)
count_nonzero = NonDifferentiable("numpy.count_nonzero", np.count_nonzero)

# Shapes, dtypes and memory.
shape = NonDifferentiable("numpy.shape", np.shape)
ndim = NonDifferentiable("numpy.ndim", np.ndim)
size = NonDifferentiable("numpy.size", np.size)
iscomplexobj = NonDifferentiable("numpy.iscomplexobj", np.iscomplexobj)
isrealobj = NonDifferentiable("numpy.isrealobj", np.isrealobj)
isscalar = NonDifferentiable("numpy.isscalar", np.isscalar)
isfortran = NonDifferentiable("numpy.isfortran", np.isfortran)
result_type = NonDifferentiable("numpy.result_type", np.result_type)
can_cast = NonDifferentiable("numpy.can_cast", np.can_cast)
min_scalar_type = NonDifferentiable("numpy.min_scalar_type", np.min_scalar_type)
shares_memory = NonDifferentiable("numpy.shares_memory", np.shares_memory)
may_share_memory = NonDifferentiable("numpy.may_share_memory", np.may_share_memory)

# New arrays that take only a shape and dtype from their argument.
zeros_like = NonDifferentiable("numpy.zeros_like", np.zeros_like)
ones_like = NonDifferentiable("numpy.ones_like", np.ones_like)
empty_like = NonDifferentiable("numpy.empty_like", np.empty_like)

# Membership (set operations and histograms are in sets.py: their values carry derivatives).
isin = NonDifferentiable("numpy.isin", np.isin)


with_ufunc_methods(globals())  # np.logical_and.reduce, np.greater.outer, ...
