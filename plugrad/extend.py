"""autograd's extension API: define primitives and their rules in autograd's style.

``defvjp`` takes autograd's *VJP makers*, ``maker(ans, *args, **kwargs)``
returning a function of the cotangent; plugrad turns each into a flat rule.
``defjvp`` takes autograd's JVP functions, which already have plugrad's flat
signature ``jvp(t, ans, *args, **kwargs)``.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from plugrad.box import Box, Meta, getval
from plugrad.primitive import NonDifferentiable, Primitive, _linear_jvp, _takes_keywords, misshapen, returned_none, rule_of
from plugrad.vspace import VSpace, vspace

__all__ = [
    "primitive",
    "notrace_primitive",
    "defvjp",
    "defvjp_argnum",
    "defvjp_argnums",
    "defjvp",
    "defjvp_argnum",
    "defjvp_argnums",
    "def_linear",
    "Box",
    "VSpace",
    "vspace",
    "Primitive",
]


def _qualname(f: Callable[..., Any]) -> str:
    module = getattr(f, "__module__", None) or "user"
    return f"{module}.{getattr(f, '__qualname__', getattr(f, '__name__', repr(f)))}"


@overload
def primitive(f: Callable[..., Any], *, name: str | None = None) -> Primitive: ...
@overload
def primitive(f: None = None, *, name: str | None = None) -> Callable[[Callable[..., Any]], Primitive]: ...
def primitive(f: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Make ``f`` a primitive: plugrad will not trace inside it, but use the rules you define.

    It is named by its module and qualified name; ``@primitive(name="mylib.cube")`` names it
    as a pack publishes it, its namespace, a dot and a Python identifier."""
    _check_name(f, name, "primitive")
    if f is None:
        return lambda f: primitive(f, name=name)
    prim = Primitive(name or _qualname(f), f)
    functools.update_wrapper(prim, f, assigned=("__module__",), updated=())
    return prim


@overload
def notrace_primitive(f: Callable[..., Any], *, name: str | None = None) -> NonDifferentiable: ...
@overload
def notrace_primitive(f: None = None, *, name: str | None = None) -> Callable[[Callable[..., Any]], NonDifferentiable]: ...
def notrace_primitive(f: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Make ``f`` a function of plain values: traced arguments are unwrapped, the result is
    constant. ``name`` as for :func:`primitive`."""
    _check_name(f, name, "notrace_primitive")
    if f is None:
        return lambda f: notrace_primitive(f, name=name)
    nd = NonDifferentiable(name or _qualname(f), f)
    functools.update_wrapper(nd, f, assigned=("__module__",), updated=())
    return nd


def _check_name(f: Any, name: Any, op: str) -> None:
    if isinstance(f, str):
        raise TypeError(f"{op} takes the function; give its name as a keyword: @{op}(name={f!r})")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{op}(name=...) takes a qualified name such as 'mylib.cube', not {name!r}")


def _check(fun: Any, op: str) -> Primitive:
    if not isinstance(fun, Primitive):
        raise TypeError(
            f"{op} needs a primitive, got {fun!r}. Decorate the function with "
            "@plugrad.extend.primitive first."
        )
    return fun


def _check_arity(fun: Primitive, what: str, rule: Callable[..., Any], leading: tuple[str, ...]) -> None:
    """Refuse a rule that cannot take ``leading`` plus the primitive's positional arguments."""
    if not callable(rule):
        raise TypeError(f"{what} for {fun.name}: the rule {rule!r} is not a function.")
    try:
        params = list(inspect.signature(fun.fun).parameters.values())
        rule_sig = inspect.signature(rule)
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    for names in (required, positional):
        try:
            rule_sig.bind(*leading, *names)
            return
        except TypeError:
            continue
    expected = ", ".join((*leading, *positional))
    raise TypeError(
        f"{what} for {fun.name}: the rule {getattr(rule, '__qualname__', rule)}{rule_sig} cannot be "
        f"called as ({expected}). Give it one parameter for {leading[0]!r} and one per argument of "
        f"{fun.name.rpartition('.')[2]}, e.g. lambda {expected}: ..."
    )


def _unused_argnums(fun: Primitive, what: str, nums: list[int]) -> set[int]:
    """The argument numbers among ``nums`` that ``fun`` has no positional parameter for:
    their rules could never run. autograd accepts them, so they are dropped with a warning."""
    try:
        params = list(inspect.signature(fun.fun).parameters.values())
    except (TypeError, ValueError):
        return set()
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return set()
    n = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    extra = [i for i in nums if not 0 <= i < n]
    if extra:
        warnings.warn(
            f"{what} for {fun.name}: rules for argument(s) {extra} are ignored, because "
            f"{fun.name.rpartition('.')[2]} takes {n} positional argument(s); give one rule per "
            "argument (None for none).",
            UserWarning,
            stacklevel=3,
        )
    return set(extra)


def _as_numpy(d: Any) -> Any:
    """A derivative as autograd's rules receive it: plugrad keeps a Python float a float (it
    is faster), autograd hands a rule NumPy's float64, whose methods (``g.reshape``,
    ``g[..., None]``, ``g.conj()``) rules written for it call."""
    t = type(d)
    return _NUMPY_SCALARS[t](d) if t in _NUMPY_SCALARS else d


_NUMPY_SCALARS: dict[type, Callable[[Any], Any]] = {float: np.float64, complex: np.complex128}


def _maker_rule(fun: Primitive, argnum: int, maker: Callable[..., Any]) -> Callable[..., Any]:
    _check_arity(fun, "defvjp", maker, ("ans",))

    def rule(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            vjp = maker(ans, *args, **kwargs)
        except TypeError as exc:
            if kwargs and not _takes_keywords(maker, tuple(kwargs)):  # (costs nothing until raised)
                raise TypeError(
                    f"defvjp for {fun.name}: the rule for argument {argnum} does not take the keyword "
                    f"argument(s) {', '.join(kwargs)} that {fun.name.rpartition('.')[2]} was called with: "
                    f"a VJP maker takes the function's arguments after ans, keywords included "
                    f"(lambda ans, x, {', '.join(f'{k}=...' for k in kwargs)}: lambda g: ...)."
                ) from exc
            raise
        try:
            ct = vjp(_as_numpy(g))
        except TypeError:
            if _takes_one(vjp):
                raise
            raise TypeError(
                f"defvjp for {fun.name}: the rule for argument {argnum} returned {vjp!r}, which "
                "cannot be called with the cotangent g. The rule makes the function of g: "
                "defvjp(f, lambda ans, x: lambda g: g * ...)."
            ) from None
        if ct is None:
            raise _returned_none(fun, "VJP", argnum)
        return _fitted(fun, "VJP", argnum, ct, args[argnum] if argnum < len(args) else None)

    rule.__qualname__ = f"{fun.name} VJP for argument {argnum}"
    return rule


def _returned_none(fun: Primitive, kind: str, argnum: int | tuple[int, ...]) -> TypeError:
    """:func:`~plugrad.primitive.returned_none`, saying how this API declares a zero."""
    zero = "give None in place of the rule: " + ("defvjp(f, ..., None)" if kind == "VJP" else "defjvp(f, ..., None)")
    return returned_none(fun, kind, argnum, zero)


def _fitted(fun: Primitive, kind: str, argnum: int | tuple[int, ...], d: Any, like: Any) -> Any:
    """The derivative ``d`` that a custom ``kind`` rule (VJP, JVP) of ``fun`` returned,
    checked against ``like`` (the argument for a cotangent, the output for a tangent) and
    cast to its dtype: a float64 argument gets a float64 cotangent from a rule that computed
    in float32 or in integers (the packs' rules keep the dtype themselves, which the
    gradient checker checks). One of another shape, which the rules before it would
    broadcast or sum silently, a complex one for a real value, or a container for one value
    is refused naming the rule, also when it is traced (in a derivative of a derivative).
    A Python number for an array argument's cotangent is refused unless it is zero, which
    autograd's rules return for a zero cotangent (``lambda g: 0.0``): it becomes zeros of the
    argument's shape. For a scalar argument it is cast to the argument's type."""
    value, like = getval(d), getval(like)
    what, of = ("cotangent", "argument") if kind == "VJP" else ("tangent", "output")
    if kind == "VJP" and type(like) in _ONE_VALUE and np.ndim(value) == 0 and isinstance(value, _NUMBERS):
        fitted = _number_cotangent(fun, argnum, d, value, like)
        if fitted is not None:
            return fitted
    if type(value) is not np.ndarray and not isinstance(value, (np.generic, complex)):
        if isinstance(value, (tuple, list, dict)) and type(like) in _ONE_VALUE:
            raise TypeError(  # (a container of traced values in a derivative of a derivative)
                f"{rule_of(fun, kind, argnum)} returned a {type(value).__name__} for an {of} of type "
                f"{type(like).__name__}: return one value of the {of}'s shape (a rule's {what} is a "
                f"container only for a container {of})."
            )
        return d  # a Python float, ...
    dtype = getattr(like, "dtype", None)
    if dtype is None:
        dtype = _FLOAT64 if type(like) is float else _COMPLEX128 if type(like) is complex else None
    if dtype is None or dtype.kind not in "fc":
        return d
    if dtype.kind == "f" and np.iscomplexobj(value):
        raise TypeError(
            f"{rule_of(fun, kind, argnum)} returned a complex {what} ({np.asarray(value).dtype}) for a real "
            f"{of} ({dtype}), which would make the {'gradient' if kind == 'VJP' else 'derivative'} complex: "
            "return its real part (np.real(...)), or check the rule's formula."
        )
    shape = like.shape if type(like) in (np.ndarray, Meta) else np.shape(like)
    if np.shape(value) != shape and type(value) is not complex:
        raise misshapen(fun, kind, argnum, value, like)
    if type(d) is np.ndarray and d.dtype is not dtype and type(like) in (np.ndarray, Meta):
        return d.astype(dtype)
    return d


def _number_cotangent(fun: Primitive, argnum: int | tuple[int, ...], d: Any, value: Any, like: Any) -> Any:
    """:func:`_fitted` of a custom VJP's cotangent ``d`` of no axes (a number, or a traced one
    of plain ``value``) for argument ``like``. For an array it must be a zero, autograd's
    ``lambda g: 0.0``, and becomes zeros of the array's shape (still traced where ``d`` is);
    any other would be broadcast by the rules before it, or handed back as the gradient. A
    Python number for a scalar argument is put in the argument's type. None: not decided here."""
    dtype = getattr(like, "dtype", None) or (_FLOAT64 if type(like) is float else _COMPLEX128)
    if dtype.kind == "f" and np.iscomplexobj(value) and np.imag(value) != 0:
        raise TypeError(
            f"{rule_of(fun, 'VJP', argnum)} returned a complex cotangent ({value!r}) for a real argument "
            f"({dtype}), which would make the gradient complex: return its real part, or check the rule's formula."
        )
    shape = np.shape(like)
    if shape == ():
        if type(d) not in (int, float, complex):
            return None  # (a NumPy number or a traced one: the checks that follow)
        number: Any = d.real if dtype.kind == "f" and type(d) is complex else d
        return type(like)(number) if type(like) in (float, complex) else dtype.type(number)
    if value == 0:  # autograd's zero cotangent
        zeros = np.zeros(shape, dtype)
        return zeros if d is value or np.iscomplexobj(value) else d + zeros
    raise misshapen(fun, "VJP", argnum, value, like)


def _tangent(
    fun: Primitive,
    argnum: int | tuple[int, ...],
    t: Any,
    ans: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None = None,
) -> Any:
    """The output tangent ``t`` that a custom JVP of ``fun`` for argument(s) ``argnum``
    returned, given the primitive's positional ``args``: :func:`_fitted`, after spelling
    out the two tangents whose broadcasting has one meaning, as autograd left it to NumPy:
    a zero number (autograd's ``0.0``), and, for a primitive that broadcasts its arguments
    elementwise (its output has their broadcast shape), the tangent of an argument of the
    argument's shape (``t`` for ``x`` in ``x + y``). Any other shape is refused: the JVP of
    ``outer(x, x)`` written as ``2 * x * t`` is a mistake, not a broadcast. A tuple or list
    output's tangent is checked element by element."""
    value, out = getval(t), getval(ans)
    kwargs = kwargs or {}
    if type(out) in (tuple, list) and type(t) in (tuple, list) and len(t) == len(out):
        return type(t)(_tangent(fun, argnum, ti, oi, ()) for ti, oi in zip(t, out))
    numeric = type(out) is np.ndarray and out.dtype.kind in "fc" and isinstance(value, _NUMBERS)
    if numeric and np.shape(value) != out.shape:
        wrt = (argnum,) if isinstance(argnum, int) else argnum
        zero = np.ndim(value) == 0 and value == 0
        passed_through = _elementwise(out.shape, (*args, *kwargs.values())) and any(
            np.shape(value) == np.shape(getval(args[i])) for i in wrt if i < len(args)
        )
        if zero or passed_through:
            t = t + np.zeros(out.shape, out.dtype)  # (differentiable, where t is traced; cast below)
    return _fitted(fun, "JVP", argnum, t, ans)


def _elementwise(shape: tuple[int, ...], args: tuple[Any, ...]) -> bool:
    """Whether ``shape`` is the broadcast shape of the arrays and numbers among ``args``
    (others, None or a string, take no part in broadcasting)."""
    shapes = []
    for a in args:
        v = getval(a)
        if isinstance(v, _NUMBERS):
            shapes.append(np.shape(v))
    try:
        return bool(shapes) and np.broadcast_shapes(*shapes) == shape
    except ValueError:
        return False


_NUMBERS = (float, int, complex, np.generic, np.ndarray)
_ONE_VALUE = (np.ndarray, Meta, float, complex, np.float64, np.float32, np.complex128, np.complex64)


_FLOAT64, _COMPLEX128 = np.dtype(np.float64), np.dtype(np.complex128)


def _checked_jvp(fun: Primitive, argnum: int, jvp: Callable[..., Any]) -> Callable[..., Any]:
    def rule(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        out = jvp(_as_numpy(t), ans, *args, **kwargs)
        if out is None:
            raise _returned_none(fun, "JVP", argnum)
        return _tangent(fun, argnum, out, ans, args, kwargs)

    rule.__qualname__ = f"{fun.name} JVP for argument {argnum}"
    rule.__wrapped__ = jvp  # type: ignore[attr-defined]  # (for the keyword-argument check)
    return rule


def _takes_one(f: Any) -> bool:
    """Whether ``f`` can be called with one positional argument (as far as can be told)."""
    try:
        inspect.signature(f).bind(None)
    except TypeError:
        return False
    except ValueError:  # no signature to read: assume it can
        pass
    return True


def _zero_vjp(argnum: int) -> Callable[..., Any]:
    def rule(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        x = args[argnum]
        if isinstance(x, Meta):  # a primitive whose tape keeps only the shapes of arrays
            return np.zeros(x.shape, x.dtype)
        return vspace(x).zeros()

    return rule


def _zero_jvp(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    return vspace(ans).zeros()


def defvjp(fun: Primitive, *vjpmakers: Callable[..., Any] | None, argnums: Any = None) -> None:
    """autograd's ``defvjp``: ``vjpmaker(ans, *args, **kwargs)`` returns ``g -> cotangent``;
    ``None`` declares that argument's cotangent zero."""
    fun = _check(fun, "defvjp")
    nums = list(argnums) if argnums is not None else list(range(len(vjpmakers)))
    if len(nums) != len(vjpmakers):
        raise TypeError(f"defvjp({fun.name}): {len(vjpmakers)} VJP makers for argnums {nums}")
    unused = _unused_argnums(fun, "defvjp", nums)
    # Check every maker before installing any, so a refused call changes nothing.
    rules = [
        (i, _zero_vjp(i) if maker is None else _maker_rule(fun, i, maker))
        for i, maker in zip(nums, vjpmakers)
        if i not in unused
    ]
    if any(maker is None for maker in vjpmakers) and fun.keep_args is None:
        # A zero cotangent needs its argument's shape, which this tape would not keep.
        for prim in fun._family:
            prim.set_saves(("args", "ans") if prim.keep_ans else ("args",))
    for i, rule in rules:
        fun.def_vjp(rule, argnums=(i,))


def _drop_rules(fun: Primitive, kind: str) -> None:
    """As in autograd, an ``*_argnum(s)`` definition replaces every rule of that kind set
    before (per-argument rules would otherwise take precedence over it)."""
    if kind == "vjp":
        fun.vjps.clear()
        fun.def_vjp()  # re-resolve the backward-pass slots of fun and its aliases
    else:
        fun.jvps.clear()


def defvjp_argnum(fun: Primitive, vjpmaker: Callable[..., Any]) -> None:
    """``vjpmaker(argnum, ans, args, kwargs)`` returns ``g -> cotangent of that argument``."""
    fun = _check(fun, "defvjp_argnum")
    _drop_rules(fun, "vjp")

    def rule(argnum: int, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        ct = _not_none(fun, "VJP", argnum, vjpmaker(argnum, ans, args, kwargs)(_as_numpy(g)))
        return _fitted(fun, "VJP", argnum, ct, args[argnum] if argnum < len(args) else None)

    rule.__qualname__ = f"{fun.name} VJP (defvjp_argnum)"
    fun.def_vjp_argnum(rule)


def defvjp_argnums(fun: Primitive, vjpmaker: Callable[..., Any]) -> None:
    """``vjpmaker(argnums, ans, args, kwargs)`` returns ``g -> cotangents of those arguments``."""
    fun = _check(fun, "defvjp_argnums")
    _drop_rules(fun, "vjp")

    # One call per operation for all its traced arguments, as in autograd (the maker may
    # return a generator).
    def rule(argnums: tuple[int, ...], g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        cts = tuple(vjpmaker(argnums, ans, args, kwargs)(_as_numpy(g)))
        return tuple(
            _fitted(fun, "VJP", i, _not_none(fun, "VJP", i, ct), args[i] if i < len(args) else None)
            for i, ct in zip(argnums, cts)
        ) + cts[len(argnums) :]  # (too many: the kernel says so, naming the maker)

    rule.__qualname__ = f"{fun.name} VJP maker (defvjp_argnums)"
    fun.def_vjp_argnums(rule)


def _not_none(fun: Primitive, kind: str, argnum: Any, value: Any) -> Any:
    if value is None:
        raise _returned_none(fun, kind, argnum)
    return value


def defjvp(fun: Primitive, *jvpfuns: Callable[..., Any] | str | None, argnums: Any = None) -> None:
    """autograd's ``defjvp``: ``jvp(t, ans, *args, **kwargs)`` for each argument; ``None``
    declares that argument's tangent contribution zero, ``"same"`` that ``fun`` is linear in it."""
    fun = _check(fun, "defjvp")
    nums = list(argnums) if argnums is not None else list(range(len(jvpfuns)))
    if len(nums) != len(jvpfuns):
        raise TypeError(f"defjvp({fun.name}): {len(jvpfuns)} JVP rules for argnums {nums}")
    unused = _unused_argnums(fun, "defjvp", nums)
    rules: list[tuple[int, Callable[..., Any]]] = []
    for i, rule in zip(nums, jvpfuns):  # check every rule before installing any
        if i in unused:
            continue
        if rule is None:
            rules.append((i, _zero_jvp))
        elif isinstance(rule, str) and rule == "same":
            rules.append((i, _linear_jvp(fun, i)))  # the rule Primitive.def_linear sets
        else:
            _check_arity(fun, "defjvp", rule, ("g", "ans"))  # type: ignore[arg-type]
            rules.append((i, _checked_jvp(fun, i, rule)))  # type: ignore[arg-type]
    for i, rule in rules:
        fun.def_jvp(rule, argnums=(i,))


def defjvp_argnum(fun: Primitive, jvpmaker: Callable[..., Any]) -> None:
    """``jvpmaker(argnum, t, ans, args, kwargs)`` returns the output tangent."""
    fun = _check(fun, "defjvp_argnum")
    _drop_rules(fun, "jvp")

    def rule(argnum: int, t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        out = _not_none(fun, "JVP", argnum, jvpmaker(argnum, _as_numpy(t), ans, args, kwargs))
        return _tangent(fun, argnum, out, ans, args, kwargs)

    fun.def_jvp_argnum(rule)


def defjvp_argnums(fun: Primitive, jvpmaker: Callable[..., Any]) -> None:
    """``jvpmaker(argnums, tangents, ans, args, kwargs)`` returns the output tangent."""
    fun = _check(fun, "defjvp_argnums")
    _drop_rules(fun, "jvp")

    def rule(argnums: tuple[int, ...], ts: tuple[Any, ...], ans: Any, *args: Any, **kwargs: Any) -> Any:
        out = _not_none(fun, "JVP", argnums, jvpmaker(argnums, tuple(map(_as_numpy, ts)), ans, args, kwargs))
        which = argnums[0] if len(argnums) == 1 else argnums
        return _tangent(fun, which, out, ans, args, kwargs)

    rule.__qualname__ = f"{fun.name} JVP (defjvp_argnums)"

    fun.def_jvp_argnums(rule)


def def_linear(fun: Primitive) -> None:
    """Declare ``fun`` linear in every argument: its JVP is ``fun`` applied to the tangent.
    Forward mode only, as autograd's: reverse mode needs the transposes, given with
    :func:`defvjp`."""
    fun = _check(fun, "def_linear")
    _drop_rules(fun, "jvp")

    def jvp(argnum: int, t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        full = list(args)
        full[argnum] = t
        return fun(*full, **kwargs)

    fun.def_jvp_argnum(jvp)


# -- autograd's interfaces from before 1.2 --------------------------------------------------

_DEPRECATED = (
    "{}, autograd's interface from before version 1.2, is deprecated there and here: "
    "use plugrad.extend.defvjp(fun, vjpmaker, ..., argnums=...) instead."
)


def deprecated_primitive(f: Callable[..., Any]) -> Primitive:
    """``autograd.primitive`` and ``autograd.core.primitive``: :func:`primitive`, whose
    result also has the methods autograd 1.2 deprecated, each warning when called:
    ``defgrad(gradmaker, argnum=0)`` (``gradmaker(ans, *args)`` returns ``g -> cotangent``),
    ``defvjp(vjp, argnum=0)`` (``vjp(g, ans, vs, gvs, *args)``, with ``vs`` and ``gvs`` the
    vector spaces of the argument and of ``g``) and ``defvjp_is_zero(argnums=(0,))``."""
    prim = primitive(f)

    def defgrad(gradmaker: Callable[..., Any], argnum: int = 0) -> None:
        warnings.warn(_DEPRECATED.format(f"{prim.__name__}.defgrad"), DeprecationWarning, stacklevel=2)
        defvjp(prim, gradmaker, argnums=(argnum,))

    def defvjp_old(vjp: Callable[..., Any], argnum: int = 0) -> None:
        warnings.warn(_DEPRECATED.format(f"{prim.__name__}.defvjp"), DeprecationWarning, stacklevel=2)

        def maker(ans: Any, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
            return lambda g: vjp(g, ans, vspace(args[argnum]), vspace(g), *args, **kwargs)

        defvjp(prim, maker, argnums=(argnum,))

    def defvjp_is_zero(argnums: Any = (0,)) -> None:
        warnings.warn(_DEPRECATED.format(f"{prim.__name__}.defvjp_is_zero"), DeprecationWarning, stacklevel=2)
        nums = list(argnums)
        defvjp(prim, *[None] * len(nums), argnums=nums)

    vars(prim).update(defgrad=defgrad, defvjp=defvjp_old, defvjp_is_zero=defvjp_is_zero)
    return prim
