"""The names autograd code imports from ``autograd.core``: the unary ``make_vjp(fun, x)``
and ``make_jvp(fun, x)`` of the kernel, vector spaces and the rule definitions. Nothing
is defined here; new code should import them from :mod:`plugrad.extend` (and use the
differential operators of :mod:`plugrad`, which take any argument numbers)."""

from plugrad.box import Box, getval, isbox
from plugrad.extend import (
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    primitive,
)
from plugrad.forward import make_jvp
from plugrad.reverse import make_vjp
from plugrad.vspace import VSpace, vspace

__all__ = [
    "Box",
    "VSpace",
    "def_linear",
    "defjvp",
    "defjvp_argnum",
    "defjvp_argnums",
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "getval",
    "isbox",
    "make_jvp",
    "make_vjp",
    "primitive",
    "vspace",
]
