"""The differential operators, with autograd's names, signatures and semantics.

Each takes a function and ``argnum`` (an int, or a tuple of ints to
differentiate with respect to several arguments at once) and returns a function
of the same arguments.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from plugrad.reverse import _numeric, check_given, given, in_dtype_of
from plugrad.reverse import make_vjp as trace_vjp
from plugrad.builtins import tangents_in_order
from plugrad.box import Box, Trace, getval
from plugrad.errors import ArgumentError, NotDifferentiableError, TraceError
from plugrad.primitive import Primitive
from plugrad.vspace import (
    ArrayVSpace,
    DictVSpace,
    ScalarVSpace,
    SequenceVSpace,
    VSpace,
    holds_arrays,
    first_bad_leaf,
    output_space_of,
    vspace,
)
from plugrad.vspace import check as check_vspace

__all__ = [
    "grad",
    "elementwise_grad",
    "deriv",
    "jacobian",
    "hessian",
    "holomorphic_grad",
    "grad_named",
    "make_hvp",
    "hessian_tensor_product",
    "hessian_vector_product",
    "tensor_jacobian_product",
    "vector_jacobian_product",
    "make_jvp",
    "make_jvp_reversemode",
    "make_vjp",
    "make_ggnvp",
    "value_and_grad",
    "grad_and_aux",
    "multigrad_dict",
    "checkpoint",
]

Argnum = int | Sequence[int]
Fun = Callable[..., Any]


def _name(fun: Any) -> str:
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _unary(op: str, fun: Fun, argnum: Argnum, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Fun, Any]:
    """``fun`` as a function of the argument(s) ``argnum`` alone, and their value."""
    _ensure_types()
    n = len(args)
    if type(argnum) is int and -n <= argnum < n:  # the common case: one argument, by position
        single = True
        nums: tuple[Any, ...] = (argnum,)
    else:
        single = isinstance(argnum, (int, np.integer))
        if isinstance(argnum, str):  # (not its letters, as tuple() would make it)
            nums = (argnum,)
        elif isinstance(argnum, (int, np.integer)):
            nums = (argnum,)
        elif isinstance(argnum, Box) or _numeric(argnum):  # a float or float array: grad(f, x)(x)
            raise ArgumentError(
                f"{op}({_name(fun)}, argnum={_short(argnum)}): argnum is the position of the argument to "
                f"differentiate with respect to (an int, or a tuple of ints), but it was given "
                f"{_a_value(argnum)}. To evaluate the derivative at a point, call the function "
                f"{op} returns: {op}(f)(x), not {op}(f, x)."
            )
        else:
            try:
                nums = tuple(argnum)
            except TypeError:
                raise TypeError(
                    f"{op}({_name(fun)}, argnum={argnum!r}): argnum must be an int or a tuple of "
                    "ints, the positions of the arguments to differentiate with respect to."
                ) from None
        for i in nums:
            if isinstance(i, str):
                raise ArgumentError(
                    f"{op}({_name(fun)}, argnum={argnum!r}): argnum takes positions, not names. Pass "
                    f"the argument {i!r} positionally and give its index (argnum=1 for f(x, y)'s y), or "
                    f"use grad_named(f, {i!r}); keyword arguments are passed through, not differentiated."
                )
            if not isinstance(i, (int, np.integer)) or not -n <= i < n:
                given = f" and keyword argument(s) {', '.join(kwargs)}" if kwargs else ""
                raise ArgumentError(
                    f"{op}({_name(fun)}, argnum={argnum!r}): argument {i!r} does not exist, the "
                    f"function was called with {n} positional argument(s){given}. Pass the "
                    "argument to differentiate positionally (keyword arguments cannot be "
                    f"differentiated), and argnum as the index of a positional one."
                )
        if not nums:
            raise ArgumentError(
                f"{op}({_name(fun)}, argnum={argnum!r}) names no argument: give the position of at "
                "least one argument to differentiate with respect to (argnum=0 for the first)."
            )
        if len({int(i) % n for i in nums}) < len(nums):
            raise ArgumentError(
                f"{op}({_name(fun)}, argnum={argnum!r}) names an argument twice: give each "
                "position once (the derivative with respect to one argument is one array)."
            )
    for i in nums:
        try:
            check_vspace(args[i])
        except NotDifferentiableError as exc:
            raise NotDifferentiableError(f"{op}({_name(fun)}), argument {i}{_bad_leaf(args[i])}: {exc}") from None
    if single:
        if n == 1 and not kwargs:
            return fun, args[0]  # already a function of that one argument
        pos = nums[0]

        def unary(x: Any) -> Any:
            full = list(args)
            full[pos] = x
            return fun(*full, **kwargs)

        return unary, args[pos]

    def unary_multi(xs: Any) -> Any:
        full = list(args)
        for i, x in zip(nums, xs):
            full[i] = x
        return fun(*full, **kwargs)

    return unary_multi, tuple(args[i] for i in nums)


def _short(value: Any) -> str:
    """``repr(value)``, cut short for an error message."""
    text = repr(getval(value))
    return text if len(text) <= 40 else text[:37] + "..."


def _a_value(value: Any) -> str:
    value = getval(value)
    shape = getattr(value, "shape", None)
    return f"an array of shape {shape}" if shape else f"the {type(value).__name__} {value!r}"


def _bad_leaf(value: Any) -> str:
    """Where, inside the container ``value``, the first value plugrad cannot differentiate
    lies (``['n']``, ``[1][0]``; empty for ``value`` itself), for the error that names it."""
    return first_bad_leaf(value)[0]


def _ensure_types() -> None:
    """Install the packs' box and vector-space types (the registry module is imported
    on first use, not with plugrad: importing plugrad.numpy should not wait for it)."""
    global _ensure_types
    from plugrad.registry import ensure_types

    ensure_types()
    _ensure_types = ensure_types


def _wrap(op: str, fun: Fun, body: Callable[..., Any]) -> Fun:
    """``body``, a new closure, dressed with ``fun``'s docstring and module and named
    ``op(fun)``: no wrapper around it, so calling it costs one frame."""
    if not callable(fun):
        raise TypeError(
            f"{op} needs a function, but got {type(fun).__name__} {fun!r}. Pass the function "
            f"itself and call what {op} returns: {op}(f)(x), not {op}(f(x))."
        )
    functools.update_wrapper(body, fun)
    body.__name__ = body.__qualname__ = f"{op}({_name(fun)})"
    del body.__wrapped__  # type: ignore[attr-defined]  # not a transparent wrapper: its signature is fun's, its meaning is not
    return body


def _scalar_space(op: str, fun: Fun, ans: Any, hint: str) -> Any:
    try:
        space = vspace(ans)
    except NotDifferentiableError:
        value = getval(ans)
        if value is None:
            hint = "Does it end with a return statement?"
        elif isinstance(value, (int, np.integer, np.bool_)) or getattr(value, "dtype", _F64).kind in "iub":
            hint = (
                "An integer (a count, an index, a comparison) has no derivative: return the "
                "float quantity it counts or compares."
            )
        else:
            hint = "Return the float to differentiate (a Python float, or a NumPy one)."
        raise TypeError(
            f"{op}({_name(fun)}) needs a function returning a float; it returned "
            f"{type(ans).__name__}. {hint}"
        ) from None
    if isinstance(space, _CONTAINER_SPACES):  # (a dict of one entry has shape (1,): not a scalar)
        kind = type(getval(ans)).__name__
        raise TypeError(
            f"{op}({_name(fun)}) needs a scalar output, but the function returned a {kind}: "
            f"return the value to differentiate itself, not a {kind} holding it"
            + (" (to return other values beside it, use grad_and_aux: f returns (value, aux))." if kind in ("tuple", "list") else ".")
        )
    if math.prod(space.shape) != 1:
        raise TypeError(
            f"{op}({_name(fun)}) needs a scalar output, but the function returned shape "
            f"{space.shape}. {hint}"
        )
    if space.iscomplex:
        raise TypeError(_complex_output(op, fun))
    return space


_F64 = np.dtype(np.float64)
_ARRAY_OUTPUT_HINT = (
    "For an array output use elementwise_grad (sum of the gradients of each element) or jacobian."
)


def _value_and_grad(
    op: str, fun: Fun, argnum: Argnum, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any]:
    """``fun``'s real scalar value and its gradient, from one forward and one backward pass."""
    unary, x = _unary(op, fun, argnum, args, kwargs)
    vjp, ans = trace_vjp(unary, x)
    value = ans
    while isinstance(value, Box):  # a gradient inside a derivative: a traced scalar
        value = value._value
    t = type(value)
    if t is float or t is np.float64:  # a real scalar: its cotangent is one
        return ans, vjp(t(1.0))
    return ans, vjp(_scalar_space(op, fun, ans, _ARRAY_OUTPUT_HINT).ones())


def make_vjp(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``make_vjp(f)(*args)`` returns ``(vjp, f(*args))``; ``vjp(g)`` is the cotangent of the argument."""

    def vjp_maker(*args: Any, **kwargs: Any) -> tuple[Fun, Any]:
        unary, x = _unary("make_vjp", fun, argnum, args, kwargs)
        vjp, ans = trace_vjp(unary, x)
        # A gradient has its argument's dtype, whatever the cotangent's (float64 for float32).
        return (lambda g: in_dtype_of(vjp(g), x)), ans

    return _wrap("make_vjp", fun, vjp_maker)


def make_jvp(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``make_jvp(f)(*args)`` returns ``jvp``; ``jvp(t)`` is ``(f(*args), tangent of the output)``."""

    def jvp_maker(*args: Any, **kwargs: Any) -> Fun:
        from plugrad import forward  # (on first use: a reverse-mode program never loads it)

        unary, x = _unary("make_jvp", fun, argnum, args, kwargs)
        return forward.make_jvp(unary, x)

    return _wrap("make_jvp", fun, jvp_maker)


def make_jvp_reversemode(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``make_jvp`` by two reverse passes: the VJP is linear in its cotangent, so the VJP
    of the VJP is the JVP. ``make_jvp_reversemode(f)(*args)`` returns ``jvp``, and
    ``jvp(t)`` is the tangent of the output (for functions some primitive of which has
    only a VJP)."""

    def jvp_maker(*args: Any, **kwargs: Any) -> Fun:
        unary, x = _unary("make_jvp_reversemode", fun, argnum, args, kwargs)
        vjp, ans = trace_vjp(unary, x)
        return trace_vjp(vjp, vspace(ans).zeros())[0]

    return _wrap("make_jvp_reversemode", fun, jvp_maker)


def value_and_grad(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``(f(*args), grad(f)(*args))`` from a single forward pass."""

    def body(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _value_and_grad("value_and_grad", fun, argnum, args, kwargs)

    return _wrap("value_and_grad", fun, body)


def _complex_output(op: str, fun: Fun) -> str:
    return (
        f"{op}({_name(fun)}) needs a real output, but the function returned a complex number. "
        "For a holomorphic function use holomorphic_grad; otherwise differentiate a real "
        "quantity such as np.real(f(z)) or np.abs(f(z))**2."
    )


def grad(fun: Fun, argnum: Argnum = 0) -> Fun:
    """The gradient of a real scalar-valued function with respect to argument ``argnum``.

    ``grad(f)(*args)`` has the type and shape of that argument: an array's is an array, a
    Python float's a float, a list, tuple or dict of arrays' the same container of their
    gradients. With a tuple ``argnum`` it is a tuple of the gradients with respect to each.
    Keyword arguments are passed through and not differentiated."""

    def body(*args: Any, **kwargs: Any) -> Any:
        return _value_and_grad("grad", fun, argnum, args, kwargs)[1]

    return _wrap("grad", fun, body)


def elementwise_grad(fun: Fun, argnum: Argnum = 0) -> Fun:
    """The gradient of the sum of the outputs: for elementwise functions, each element's derivative."""

    def body(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary("elementwise_grad", fun, argnum, args, kwargs)
        vjp, ans = trace_vjp(unary, x)
        value = ans
        while isinstance(value, Box):  # inside another derivative: a traced array
            value = value._value
        if type(value) is np.ndarray and value.dtype.kind == "f":  # the common case, without a vector space
            ones = np.empty(value.shape, value.dtype)  # (np.ones is a Python function around these two)
            ones.fill(1)
            return vjp(ones)
        space = output_space_of(f"elementwise_grad({_name(fun)})", ans)  # (an integer output's derivative is zero)
        if space.iscomplex:
            raise TypeError(_complex_output("elementwise_grad", fun))
        return vjp(space.ones())

    return _wrap("elementwise_grad", fun, body)


def holomorphic_grad(fun: Fun, argnum: Argnum = 0) -> Fun:
    """The complex derivative of a holomorphic function. For an array output it is, as
    :func:`elementwise_grad`'s, the sum of the derivatives of its elements: each element's
    derivative for a function that acts elementwise (``z**2`` of an array), and no single
    derivative otherwise (autograd's raises for an array output)."""

    def body(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary("holomorphic_grad", fun, argnum, args, kwargs)
        if not vspace(x).iscomplex:
            warnings.warn("Input to holomorphic_grad is not complex", UserWarning, stacklevel=2)
        vjp, ans = trace_vjp(unary, x)
        return vjp(output_space_of(f"holomorphic_grad({_name(fun)})", ans).ones())

    return _wrap("holomorphic_grad", fun, body)


def deriv(fun: Fun, argnum: Argnum = 0) -> Fun:
    """The derivative along a tangent of ones, by forward mode."""

    def body(*args: Any, **kwargs: Any) -> Any:
        from plugrad import forward

        unary, x = _unary("deriv", fun, argnum, args, kwargs)
        return forward.make_jvp(unary, x)(vspace(x).ones())[1]

    return _wrap("deriv", fun, body)


def _stack_basis(shape: tuple[int, ...], *rows: Any) -> np.ndarray:
    return np.reshape(np.stack([np.asarray(r) for r in rows]), shape)


# Gathers the rows of a Jacobian into one array, differentiably (hessian needs it).
stack_rows = Primitive("plugrad.stack_rows", _stack_basis)
stack_rows.def_vjp_argnums(lambda argnums, g, ans, shape, *rows: [_row(g, i - 1, rows) for i in argnums])
stack_rows.def_jvp_argnums(
    lambda argnums, ts, ans, shape, *rows: stack_rows(shape, *tangents_in_order(argnums, ts, (shape, *rows), 1))
)


def _row(g: Any, i: int, rows: tuple[Any, ...]) -> Any:
    return g.reshape((len(rows),) + np.shape(rows[i]))[i]


def jacobian(fun: Fun, argnum: Argnum = 0) -> Fun:
    """The Jacobian: shape ``f(x).shape + x.shape``, by one VJP per output element.

    With respect to several arguments (``argnum=(0, 1)``), or a list, tuple or dict of
    arrays, it is the same container of Jacobians, one per array; of a function returning
    a container, a container of those: ``J[i][j]`` is the Jacobian of output ``i`` with
    respect to argument ``j``, of shape ``out[i].shape + args[j].shape``."""

    def body(*args: Any, **kwargs: Any) -> Any:
        unary, x = _unary("jacobian", fun, argnum, args, kwargs)
        vjp, ans = trace_vjp(unary, x)
        out_space, in_space = output_space_of(f"jacobian({_name(fun)})", ans), vspace(x)
        _refuse_packs_types("jacobian", fun, "argument", in_space, x)
        _refuse_packs_types("jacobian", fun, "output", out_space, ans)
        if out_space.iscomplex:  # (a complex input's rows are grad's of each output, as autograd's)
            raise TypeError(
                f"jacobian({_name(fun)}) needs a real output; split a complex one into its real "
                "and imaginary parts (np.real, np.imag)."
            )
        rows = [vjp(b) for b in out_space.standard_basis()]
        if not isinstance(in_space, _CONTAINER_SPACES) and not isinstance(out_space, _CONTAINER_SPACES):
            return _jacobian_block(out_space, in_space, rows)
        # Containers: one block per (output array, argument array), rows grouped by output.
        ins = _leaves(in_space)
        blocks, start = [], 0
        for _, out_leaf in _leaves(out_space):
            mine = rows[start : start + out_leaf.size]
            start += out_leaf.size
            row = [_jacobian_block(out_leaf, leaf, [_at(r, path) for r in mine]) for path, leaf in ins]
            blocks.append(_shaped(in_space, iter(row)))
        return _shaped(out_space, iter(blocks))

    return _wrap("jacobian", fun, body)


_CONTAINER_SPACES = (SequenceVSpace, DictVSpace)


def _jacobian_block(out_space: VSpace, in_space: VSpace, rows: list[Any]) -> Any:
    """The Jacobian of one array or scalar output with respect to one array or scalar
    argument, from the argument's cotangents for each output element (``rows``)."""
    if not rows:  # an empty output: an empty Jacobian, of the argument's dtype
        return np.zeros(out_space.shape + in_space.shape, in_space.dtype)
    return stack_rows(out_space.shape + in_space.shape, *rows)


def _leaves(space: VSpace, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], VSpace]]:
    """The array and scalar spaces that a list, tuple or dict space is made of, each with
    the keys that reach it, in the order of :meth:`~plugrad.VSpace.standard_basis`."""
    if isinstance(space, SequenceVSpace):
        return [leaf for i, vs in enumerate(space.spaces) for leaf in _leaves(vs, (*path, i))]
    if isinstance(space, DictVSpace):
        return [leaf for k, vs in space.spaces.items() for leaf in _leaves(vs, (*path, k))]
    return [(path, space)]


def _shaped(space: VSpace, values: Iterator[Any]) -> Any:
    """A container of the structure of ``space`` holding the next of ``values`` at each of
    its :func:`_leaves`."""
    if isinstance(space, SequenceVSpace):
        return space.build([_shaped(vs, values) for vs in space.spaces])
    if isinstance(space, DictVSpace):
        return space.build({k: _shaped(vs, values) for k, vs in space.spaces.items()})
    return next(values)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _refuse_packs_types(op: str, fun: Fun, what: str, space: VSpace, value: Any) -> None:
    """Raise where ``value`` (``fun``'s argument or output) holds a pack's type that is not an
    array: ``op``'s matrix of derivatives has rows and columns of numbers."""
    for path, leaf in _leaves(space):
        if type(leaf) not in (ArrayVSpace, ScalarVSpace) and not holds_arrays(leaf):  # a user's class
            kind = type(getval(_at(getval(value), path))).__name__
            raise TypeError(
                f"{op}({_name(fun)}) takes arrays, floats and lists, tuples and dicts of "
                f"them, but the {what} holds a {kind}: take the {op.capitalize()} in its coordinates "
                "(of a function of its array of coefficients, say)."
            )


def hessian(fun: Fun, argnum: Argnum = 0) -> Fun:
    """The Hessian of a scalar function: the Jacobian of its gradient. With respect to
    several arguments (``argnum=(0, 1)``) it is a tuple of tuples of blocks: ``H[i][j]``,
    of shape ``args[i].shape + args[j].shape``, holds the second derivatives with respect to
    arguments ``i`` and ``j``."""
    twice = jacobian(jacobian(fun, argnum), argnum)

    def body(*args: Any, **kwargs: Any) -> Any:
        _, x = _unary("hessian", fun, argnum, args, kwargs)
        space = vspace(x)
        _refuse_packs_types("hessian", fun, "argument", space, x)
        if space.iscomplex:
            raise TypeError(
                f"hessian({_name(fun)}) needs a real argument: the second derivatives of a "
                "real function of a complex z are those with respect to its real and imaginary "
                "parts. Take them with respect to those: hessian(lambda v: f(v[0] + 1j * v[1]))."
            )
        return twice(*args, **kwargs)

    return _wrap("hessian", fun, body)


def _dot(a: Any, b: Any) -> Any:
    """Sum of the elementwise product of two values of one vector space, traceably."""
    value = a._value if isinstance(a, Box) else a
    if isinstance(value, (list, tuple)):
        return sum(_dot(a[i], b[i]) for i in range(len(value)))
    if isinstance(value, dict):
        return sum(_dot(a[k], b[k]) for k in value)
    prod = a * b
    return prod.sum() if hasattr(prod, "sum") else prod


def make_hvp(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``make_hvp(f)(*args)`` returns ``(hvp, grad(f)(*args))``; ``hvp(v)`` is the Hessian times ``v``."""
    vjp_maker = make_vjp(grad(fun, argnum), argnum)

    def hvp_maker(*args: Any, **kwargs: Any) -> tuple[Fun, Any]:
        vjp, g = vjp_maker(*args, **kwargs)

        def hvp(v: Any) -> Any:
            # The vector is the argument's, not an output's cotangent, as vjp would call it.
            v = given(v, g)
            check_given(v, g, "vector", f"the hvp of make_hvp({_name(fun)})", "the argument")
            return vjp(v)

        return hvp, g

    return _wrap("make_hvp", fun, hvp_maker)


def hessian_tensor_product(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``hessian_tensor_product(f)(*args, v)``: the Hessian of ``f`` at ``args`` applied to ``v``."""
    return _hessian_product("hessian_tensor_product", fun, argnum)


def hessian_vector_product(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``hessian_vector_product(f)(*args, v)``: the Hessian of ``f`` at ``args`` applied to
    the vector ``v`` (:func:`hessian_tensor_product`, under the name errors then use)."""
    return _hessian_product("hessian_vector_product", fun, argnum)


def _hessian_product(op: str, fun: Fun, argnum: Argnum) -> Fun:
    fun_grad = grad(fun, argnum)

    def vector_dot_grad(*args: Any, **kwargs: Any) -> Any:
        args, vector = args[:-1], args[-1]
        g = fun_grad(*args, **kwargs)
        # The vector's shape and structure, the argument's (its dtype may be any: SciPy's hessp
        # passes integers).
        check_given(getval(vector), g, "vector", f"{op}({_name(fun)})", "the argument")
        product = _dot(g, vector)
        value = getval(product)
        if type(value) is complex or getattr(getattr(value, "dtype", None), "kind", None) == "c":  # (grad would say the output is complex, not why)
            raise TypeError(
                f"{op}({_name(fun)}) needs a real argument: the Hessian of a real function of a complex "
                "z acts on its real and imaginary parts. Take it with respect to those: "
                f"{op}(lambda v: f(v[0] + 1j * v[1]))(np.stack([z.real, z.imag]), np.stack([u.real, u.imag]))."
            )
        return product

    vector_dot_grad.__name__ = vector_dot_grad.__qualname__ = f"{op}({_name(fun)})"  # (grad's errors name it)
    # vector_dot_grad has one more argument, the vector, at the end: a negative argnum
    # counts from the last of fun's own arguments, as it does for fun_grad.
    return grad(vector_dot_grad, _before_last(argnum))


def _before_last(argnum: Argnum) -> Argnum:
    """``argnum`` for a function that takes one more argument at the end."""
    if isinstance(argnum, (int, np.integer)):
        return argnum - 1 if argnum < 0 else argnum
    if isinstance(argnum, (tuple, list)):
        return tuple(i - 1 if isinstance(i, (int, np.integer)) and i < 0 else i for i in argnum)
    return argnum  # not an argnum: grad names it in its error


def tensor_jacobian_product(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``tensor_jacobian_product(f)(*args, v)``: ``v`` contracted with the leading axes of
    the Jacobian. A ``v`` of the output's shape gives one VJP; a ``v`` of fewer axes (the
    output's leading ones) leaves the rest: shape ``f(x).shape[v.ndim:] + x.shape``."""
    return _jacobian_product("tensor_jacobian_product", fun, argnum)


def vector_jacobian_product(fun: Fun, argnum: Argnum = 0) -> Fun:
    """``vector_jacobian_product(f)(*args, v)``: :func:`tensor_jacobian_product`, under the
    name errors then use."""
    return _jacobian_product("vector_jacobian_product", fun, argnum)


def _jacobian_product(op: str, fun: Fun, argnum: Argnum) -> Fun:
    def body(*args: Any, **kwargs: Any) -> Any:
        args, vector = args[:-1], args[-1]
        unary, x = _unary(op, fun, argnum, args, kwargs)
        vjp, ans = trace_vjp(unary, x)
        if isinstance(vspace(ans), (SequenceVSpace, DictVSpace)):
            return vjp(vector)  # a container output: the tensor is its cotangent
        out_shape, v_shape = np.shape(getval(ans)), np.shape(getval(vector))
        if v_shape == out_shape:
            return vjp(vector)
        if len(v_shape) >= len(out_shape) or out_shape[: len(v_shape)] != v_shape:
            raise ValueError(
                f"{op}({_name(fun)}): the tensor's shape {v_shape} is not "
                f"the leading part of the output's shape {out_shape}."
            )
        if isinstance(vspace(x), (SequenceVSpace, DictVSpace)):
            raise TypeError(
                f"{op}({_name(fun)}): a tensor of fewer axes than the output "
                "needs one array argument; take it with respect to one argument at a time (argnum)."
            )
        rest = out_shape[len(v_shape) :]
        # (a traced tensor reshapes with its own method: the kernel calls no pack's function)
        spread = vector.reshape(v_shape + (1,) * len(rest)) if isinstance(vector, Box) else np.reshape(vector, v_shape + (1,) * len(rest))  # type: ignore[attr-defined]
        rows = []
        dtype = np.result_type(getval(ans))
        for idx in np.ndindex(*rest):  # one VJP per trailing output coordinate: v times its unit vector
            unit = np.zeros(rest, dtype)
            unit[idx] = 1
            rows.append(vjp(spread * unit))
        return stack_rows(rest + np.shape(getval(x)), *rows)

    return _wrap(op, fun, body)


def _half_sum_of_squares(x: Any) -> Any:
    return 0.5 * (x * x).sum(axis=-1)


def make_ggnvp(f: Fun, g: Fun = _half_sum_of_squares, f_argnum: Argnum = 0) -> Fun:
    """Generalised Gauss-Newton products ``J_f^T H_g J_f v`` for the composition ``g(f(x))``.

    ``make_ggnvp(f, g)(*args)`` returns ``ggnvp``, and ``ggnvp(v)`` is that product for a
    ``v`` shaped like argument ``f_argnum`` of ``f``: ``J_f`` is the Jacobian of ``f`` with
    respect to it, at ``args``, and ``H_g`` the Hessian of the scalar function ``g`` at
    ``f(*args)``. The default ``g``, half the sum of squares over the last axis, gives
    ``J_f^T J_f v``, the Gauss-Newton product of a least-squares fit of residuals ``f``.
    The product is positive semi-definite wherever ``g`` is convex, unlike the Hessian of
    ``g(f(x))``, whose term in the second derivatives of ``f`` it leaves out."""

    def body(*args: Any, **kwargs: Any) -> Fun:
        unary, x = _unary("make_ggnvp", f, f_argnum, args, kwargs)
        f_vjp, f_x = trace_vjp(unary, x)
        g_hvp, grad_g_x = trace_vjp(grad(g), f_x)
        f_jvp, _ = trace_vjp(f_vjp, vspace(grad_g_x).zeros())

        def ggnvp(v: Any) -> Any:
            return f_vjp(g_hvp(f_jvp(v)))

        return ggnvp

    return _wrap("make_ggnvp", f, body)


def grad_and_aux(fun: Fun, argnum: Argnum = 0) -> Fun:
    """For ``fun`` returning ``(loss, aux)``: ``(grad of loss, aux)``. As in autograd, a
    loss that is an array gives the gradient of its sum."""

    def body(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        unary, x = _unary("grad_and_aux", fun, argnum, args, kwargs)

        def pair(x: Any) -> tuple[Any, Any]:
            out: Any = unary(x)
            value, items = getval(out), out  # (items: not narrowed by the checks below)
            if not (isinstance(out, (tuple, list)) or (isinstance(out, Box) and out._sequence)) or len(value) != 2:
                n = len(value) if isinstance(value, (tuple, list)) else -1
                got = type(value).__name__ if n < 0 else f"{n} value{'s' if n != 1 else ''}"
                raise TypeError(
                    f"grad_and_aux({_name(fun)}): the function must return a pair (value, aux), the "
                    f"value to differentiate and anything else to pass back; it returned {got}. For "
                    "the gradient of the value alone, use grad."
                )
            first, second = items  # (a traced pair's elements, each traced)
            return first, second

        # a plain (loss, aux) pair: make_vjp unwraps traced values inside aux's containers too
        vjp, (ans, aux) = trace_vjp(pair, x)
        space = vspace(ans)
        if space.iscomplex:
            raise TypeError(_complex_output("grad_and_aux", fun))
        # aux's cotangent is None: no rule reads it, whatever aux holds (strings, ints, arrays)
        return vjp((space.ones(), None)), aux

    return _wrap("grad_and_aux", fun, body)


def grad_named(fun: Fun, argname: str) -> Fun:
    """The gradient with respect to the parameter called ``argname``, however the call
    passes it (by position or by keyword; a keyword-only one too), or at its default."""
    sig = inspect.signature(fun)
    param = sig.parameters.get(argname)
    if param is None or param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
        named = [n for n, p in sig.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if param is None:
            has = f"it has {named}" if named else "it has no named parameters"
        elif param.kind is inspect.Parameter.VAR_POSITIONAL:  # many values, or none, under one name
            has = f"*{argname} collects the call's extra arguments: differentiate one of them with grad(f, argnum)"
        else:
            has = f"**{argname} collects the call's extra keywords: make the one to differentiate a parameter"
        raise ArgumentError(
            f"grad_named({_name(fun)}, {argname!r}): the function has no parameter {argname!r} of its own "
            f"to differentiate; {has}."
        )

    def body(*args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        value = bound.arguments.get(argname, param.default)

        @functools.wraps(fun, assigned=("__name__", "__qualname__"), updated=())
        def of(v: Any) -> Any:
            bound.arguments[argname] = v
            return fun(*bound.args, **bound.kwargs)

        return _value_and_grad("grad", of, 0, (value,), {})[1]

    return _wrap("grad", fun, body)


def multigrad_dict(fun: Fun) -> Fun:
    """The gradient with respect to every argument, as an ordered dict keyed by parameter name."""
    from plugrad import builtins

    sig = inspect.signature(fun)

    def body(*args: Any, **kwargs: Any) -> dict[str, Any]:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        kinds = {name: p.kind for name, p in sig.parameters.items()}

        def of_dict(d: Any) -> Any:
            pos: list[Any] = []
            kw: dict[str, Any] = {}
            for name in values:
                kind = kinds[name]
                if kind is inspect.Parameter.VAR_POSITIONAL:
                    pos.extend(d[name])
                elif kind is inspect.Parameter.VAR_KEYWORD:
                    kw.update({k: d[name][k] for k in values[name]})
                elif kind is inspect.Parameter.KEYWORD_ONLY:
                    kw[name] = d[name]
                else:
                    pos.append(d[name])
            return fun(*pos, **kw)

        grads = grad(of_dict)(builtins.dict(values))
        return OrderedDict((name, grads[name]) for name in values)  # (autograd's type)

    return _wrap("multigrad_dict", fun, body)


def checkpoint(fun: Fun) -> Fun:
    """``fun`` as one primitive that saves only its inputs and recomputes its
    intermediates in the backward pass: less memory for a second forward pass. Pass it
    every value being differentiated that it uses, as an argument: the backward pass
    recomputes it from its arguments alone. ``fun`` must be deterministic: a function that
    draws random numbers or counts its calls gives the gradient of its second run, not of
    the first (pass random draws in as arguments)."""
    if not callable(fun):
        raise TypeError(f"checkpoint needs a function, but got {type(fun).__name__} {fun!r}: checkpoint(f)(x), not checkpoint(f(x)).")
    name = f"checkpoint({getattr(fun, '__name__', None) or _name(fun)})"

    # One rule call per use for all the traced arguments: the function is run again once,
    # however many of its arguments are traced.
    def vjp(argnums: tuple[int, ...], g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        return make_vjp(fun, argnums)(*args, **kwargs)[0](g)

    def jvp(argnums: tuple[int, ...], ts: tuple[Any, ...], ans: Any, *args: Any, **kwargs: Any) -> Any:
        return make_jvp(fun, argnums)(*args, **kwargs)(ts)[1]

    prim = Primitive(name, fun)
    prim.def_vjp_argnums(vjp).def_jvp_argnums(jvp)

    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        out = prim(*args, **kwargs)
        if _closes_over_traced(out, _traces((args, kwargs))):
            raise TraceError(
                f"{name}: the function uses a value being differentiated that it was not given as "
                "an argument (a variable it closes over, or a global), and the backward pass "
                "recomputes it from its arguments alone. Pass that value as an argument: "
                "checkpoint(lambda x, w: ...)(x, w)."
            )
        return out

    functools.update_wrapper(checkpointed, fun)
    checkpointed.__name__ = checkpointed.__qualname__ = name
    del checkpointed.__wrapped__  # type: ignore[attr-defined]  # (its meaning is not fun's)
    return checkpointed


def _closes_over_traced(out: Any, recorded_on: set[Trace]) -> bool:
    """Whether a checkpointed function's value ``out`` was computed, at one of the
    differentiations ``recorded_on`` (its arguments', each of which recorded the primitive,
    nested), from traced values of that differentiation, or of one begun inside it, which
    the arguments do not carry: the rules, recomputing it from the arguments, would not see
    them. (Values of an outer differentiation are followed as they are, except where that
    differentiation is an argument's too, at a lower level: its own backward pass would
    recompute the value without them.)"""
    box = out
    while isinstance(box, Box) and box._trace in recorded_on:
        if any(t.level >= box._trace.level for t in _traces(box._value)):
            return True
        box = box._value
    return False


def _traces(value: Any) -> set[Trace]:
    """The traces of the boxes in ``value`` (a box, or a list, tuple or dict holding some, at
    any depth), and of the boxes under them."""
    found = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Box):
            found.add(v._trace)
            stack.append(v._value)
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return found
