"""``unary_to_nary``, autograd's way to write a differential operator of your own.

Write the operator for a function of one argument, ``op(fun, x, *op_args)``, and the
decorator gives it the calling convention of :func:`plugrad.grad` and the rest:
``op(fun, argnum=0, *op_args)(*args, **kwargs)`` differentiates with respect to
``args[argnum]`` (a tuple of argument numbers passes ``op`` the tuple of them)::

    @unary_to_nary
    def directional(fun, x, v):
        return make_jvp(fun, x)(v)[1]

    directional(f, 1, v)(a, b)   # the derivative of f along v in its second argument
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from plugrad.api import Argnum, _unary, _wrap

__all__ = ["unary_to_nary"]


def unary_to_nary(unary_operator: Callable[..., Any]) -> Callable[..., Any]:
    """Lift ``unary_operator(fun, x, *op_args, **op_kwargs)`` to a differential operator
    taking ``(fun, argnum=0, *op_args, **op_kwargs)`` and returning a function of all of
    ``fun``'s arguments."""
    op_name = getattr(unary_operator, "__name__", "operator")

    @functools.wraps(unary_operator)
    def nary_operator(fun: Callable[..., Any], argnum: Argnum = 0, *op_args: Any, **op_kwargs: Any) -> Callable[..., Any]:
        def nary_f(*args: Any, **kwargs: Any) -> Any:
            unary, x = _unary(op_name, fun, argnum, args, kwargs)
            return unary_operator(unary, x, *op_args, **op_kwargs)

        return _wrap(op_name, fun, nary_f)  # named op(fun), as grad(fun) is; refuses a non-function

    return nary_operator
