"""The names autograd code imports from ``autograd.core``: the unary ``make_vjp(fun, x)``
and ``make_jvp(fun, x)`` of the kernel, vector spaces and the rule definitions. Nothing
is defined here; new code should import them from :mod:`plugrad.extend` (and use the
differential operators of :mod:`plugrad`, which take any argument numbers). ``primitive``
here is autograd.core's: with the methods autograd 1.2 deprecated."""

from plugrad.box import Box, getval, isbox
from plugrad.extend import (
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
)
from plugrad.extend import deprecated_primitive as primitive  # as autograd.core's, with its old methods
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
