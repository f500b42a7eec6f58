"""Primitives: functions plugrad differentiates by rule rather than by tracing through.

A :class:`Primitive` carries its implementation, one VJP and one JVP rule per
differentiable argument, and the sample inputs the gradient checker uses::

    sin = Primitive("numpy.sin", np.sin)
    sin.def_vjp(lambda g, ans, x: g * cos(x))
    sin.def_jvp(lambda t, ans, x: t * cos(x))
    sin.def_samples(Sample(rand(3)), Sample(rand(2, 3)))

Rules have a flat signature: ``vjp(g, ans, *args, **kwargs)`` returns the
cotangent of one argument given the cotangent ``g`` of the output ``ans``;
``jvp(t, ans, *args, **kwargs)`` returns the tangent of the output given the
tangent ``t`` of one argument. Rules are evaluated lazily, in the backward pass,
with plugrad's own primitives, so they can be differentiated again.
"""

from __future__ import annotations

import functools
import importlib
import pickle
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from plugrad.debug import call_site, check_tangent
from plugrad.box import BareBox, Box, Meta, Trace, _box_types, box_type, getval, holds_box
from plugrad.errors import NotDifferentiableError, PlugradError, TraceError
from plugrad.vspace import vspace

__all__ = [
    "Primitive",
    "NonDifferentiable",
    "Composite",
    "Rules",
    "Rule",
    "add_any",
    "binary_method",
    "by_reference",
    "published_function",
    "node_ans",
    "node_uses",
    "unary_method",
    "record",
]

Rule = Callable[..., Any]


class _LazyDoc:
    """``__doc__`` of Primitive, NonDifferentiable and Composite: the class's docstring on
    the class, the function's on an instance, read on first use (NumPy formats a
    ufunc's docstring on every read, and a pack defines hundreds of primitives at import)."""

    def __init__(self, class_doc: str | None) -> None:
        self.class_doc = class_doc

    def __get__(self, obj: Any, owner: Any = None) -> str | None:
        if obj is None:
            return self.class_doc
        d = obj.__dict__
        if "_doc" not in d:
            source = d.get("_doc_from")
            d["_doc"] = source.__doc__ if source is not None else getattr(obj.fun, "__doc__", None)
        doc: str | None = d["_doc"]
        return doc

    def __set__(self, obj: Any, value: str | None) -> None:
        obj.__dict__["_doc"] = value


class Primitive:
    """A function with differentiation rules. Calling it traces it.

    ``Primitive(name, fun, *, dtypes=("float64", "float32"), complex=False, override=False,
    saves=("ans", "args"), float_fun=None, doc=None)``: ``name`` is the qualified name,
    ``<namespace>.<identifier>``, under which a pack registers it; ``fun`` computes the
    value on plain arguments; ``dtypes`` are the real dtypes the gradient checker tries,
    and ``complex`` adds complex128; ``override`` replaces another pack's function of the
    same name; ``doc`` is the docstring (``fun``'s by default). The rules are set with
    :meth:`def_vjp`, :meth:`def_jvp` (or their ``_argnum`` and ``_argnums`` forms,
    :meth:`def_linear`, :meth:`def_vjp_add` and :meth:`def_vjp_pair`), the checker's
    inputs with :meth:`def_samples`.

    ``saves`` declares what the VJP rules read (see :meth:`set_saves`), so the tape keeps
    nothing else. ``float_fun``, for a function of one argument, is the same function on
    a Python float returning a Python float (``math.sin`` beside ``numpy.sin``): tracing
    uses it so floats stay floats, which makes scalar code several times faster; the
    gradient checker verifies that it agrees with ``fun``.

    Two attributes are set after construction, not passed to it. ``fallback`` computes the
    value where ``fun`` raises an ArithmeticError or TypeError: ``alias(..., fallback=True)``
    sets it to the original's function, so ``operator.truediv`` on ``1.0 / 0.0`` gives
    NumPy's inf. ``same_args``, for a product, is the primitive of one argument that
    computes it on two equal ones: ``x * x`` of one traced value is recorded as
    ``square(x)``, one rule in the backward pass instead of two and a sum.

    A pack's box class gets its operators from :func:`binary_method` and
    :func:`unary_method` (``__mul__ = binary_method(multiply)``), which record the
    operation in one Python call.
    """

    __slots__ = (
        "name",
        "fun",
        "vjps",
        "jvps",
        "vjp_argnum",
        "jvp_argnum",
        "vjp_argnums",
        "jvp_argnums",
        "vjp_add",
        "vjp_pair",
        "sample_sets",
        "dtypes",
        "complex",
        "pack",
        "override",
        "xfail",
        "tolerances",
        "keep_ans",
        "keep_args",
        "float_fun",
        "fallback",
        "same_args",
        "none_is_zero",
        "_apply1",
        "_apply2",
        "_vjp0",
        "_vjp1",
        "_family",
        "__dict__",  # holds the docstring and __wrapped__, for help() and inspect
        "__weakref__",
    )

    def __init__(
        self,
        name: str,
        fun: Callable[..., Any],
        *,
        dtypes: Iterable[str] = ("float64", "float32"),
        complex: bool = False,
        override: bool = False,
        saves: Iterable[str] = ("ans", "args"),
        float_fun: Callable[[float], float] | None = None,
        doc: str | None = None,
    ) -> None:
        self.name = name
        self.fun = fun
        # For a unary primitive: the same function on a Python float, returning a float
        # (``math.sin`` beside ``numpy.sin``), used while tracing so floats stay floats.
        self.float_fun = float_fun
        # What computes the value where ``fun`` raises an ArithmeticError or TypeError, or
        # None: ``alias(..., fallback=True)`` sets the original's (``numpy.true_divide`` where
        # ``operator.truediv`` meets ``1.0 / 0.0``, ``numpy.multiply`` where ``operator.mul``
        # meets a list).
        self.fallback: Callable[..., Any] | None = None
        # For a product (saves "others"): the primitive of one argument that computes
        # ``prim(x, x)``, or None. Where both arguments are one traced value (``d * d``)
        # the fast path records that primitive instead, so the backward pass runs one rule
        # rather than two and a sum (``numpy.square`` for ``multiply``).
        self.same_args: Primitive | None = None
        # Whether a rule's None is a zero: the kernel's container primitives', whose
        # cotangents hold None for an element not used. Any other rule's None is a
        # forgotten return, and an error (see returned_none).
        self.none_is_zero = False
        self._apply1 = _unary_apply(self)
        self._apply2 = _binary_apply(self, False)
        #: VJP rules by argument number (None where there is none). Set them with
        #: :meth:`def_vjp`, which also updates the slots the backward pass calls them through.
        self.vjps: list[Rule | None] = []
        #: JVP rules by argument number (None where there is none); set them with :meth:`def_jvp`.
        self.jvps: list[Rule | None] = []
        # The backward pass calls the VJP rules of arguments 0 and 1 through these two
        # slots, which always hold a callable (see _resolve_vjps). Primitives made by
        # alias share their rule tables: each is in the others' family, so a rule set
        # on one reaches them all.
        self._family: list[Primitive] = [self]
        self._resolve_vjps()
        # Rules taking the argument number first, for variadic primitives.
        self.vjp_argnum: Rule | None = None
        self.jvp_argnum: Rule | None = None
        # Rules taking several arguments' numbers at once (def_vjp_argnums, def_jvp_argnums).
        self.vjp_argnums: Rule | None = None
        self.jvp_argnums: Rule | None = None
        # Argument 0's VJP added into an array in place, or None (def_vjp_add).
        self.vjp_add: Callable[..., bool] | None = None
        # Both arguments' VJPs in one call, or None (def_vjp_pair).
        self.vjp_pair: Rule | None = None
        self.sample_sets: list[Any] = []
        self.dtypes: tuple[str, ...] = tuple(dtypes)
        self.complex = complex  # whether the gradient checker also tries complex inputs
        self.pack: str | None = None  # set by the registry that loaded it
        self.override = override  # replaces another pack's primitive of the same name
        self.xfail: dict[tuple[str, str], str] = {}  # (check, dtype) -> reason
        self.tolerances: dict[str, tuple[float, float]] = {}  # dtype -> (rtol, atol)
        self.set_saves(saves)
        if doc is not None:
            self.__doc__ = doc  # otherwise fun's, read when asked for (see _LazyDoc)
        self.__wrapped__ = fun
        #: The public function users call this primitive through, where that has another
        #: name (``scipy.stats.norm.logpdf`` for ``scipy.stats.norm._logpdf``, behind a
        #: :class:`Composite` that binds SciPy's signature): errors name it first.
        self.public_name: str | None = None

    def __repr__(self) -> str:
        return f"<Primitive {self.name}>"

    def __reduce__(self) -> str | tuple[Any, ...]:
        return by_reference(self)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        # As a class attribute it binds as the function it wraps does: a Python function
        # (``@primitive def __call__(self, x)`` in a class body) binds the instance, a ufunc
        # (``activation = np.tanh``) does not.
        if obj is None or not hasattr(type(self.fun), "__get__"):
            return self
        return types.MethodType(self, obj)

    @property
    def __name__(self) -> str:
        return self.name.rpartition(".")[2]

    def alias(self, name: str, fun: Callable[..., Any], *, fallback: bool = False) -> Primitive:
        """Another primitive with the same rules and samples but implementation ``fun``
        (``operator.mul`` beside ``numpy.multiply``: Python floats stay floats); with
        ``fallback``, this primitive's function computes the value where ``fun`` raises."""
        twin = Primitive(name, fun, dtypes=self.dtypes, complex=self.complex, doc=self.__dict__.get("_doc"))
        if "_doc" not in self.__dict__:
            twin.__dict__["_doc_from"] = self
        twin.float_fun = self.float_fun
        twin.fallback = self.fun if fallback else None
        twin.same_args = self.same_args
        twin.vjps, twin.jvps, twin.sample_sets = self.vjps, self.jvps, self.sample_sets
        twin._family = self._family
        self._family.append(twin)
        twin._resolve_vjps()
        twin.vjp_argnum, twin.jvp_argnum = self.vjp_argnum, self.jvp_argnum
        twin.vjp_argnums, twin.jvp_argnums = self.vjp_argnums, self.jvp_argnums
        if twin.vjp_argnums is not None:
            twin._apply2 = _general_apply2(twin)
        twin.vjp_add, twin.vjp_pair = self.vjp_add, self.vjp_pair
        twin.xfail, twin.tolerances = self.xfail, self.tolerances
        twin.keep_ans, twin.keep_args = self.keep_ans, self.keep_args
        for key in ("arg_names", "keyword_aliases"):  # (what a pack set on the original)
            if key in self.__dict__:
                twin.__dict__[key] = self.__dict__[key]
        return twin

    def set_saves(self, saves: Iterable[str]) -> Primitive:
        """Declare what the VJP rules read, so the tape keeps nothing else.

        ``"ans"``: the output; ``"args"``: the arguments' values; ``"shapes"``: only the
        shapes and dtypes of float and complex NumPy arrays (they reach the rules as
        :class:`~plugrad.box.Meta`), every other argument as it is; ``"others"``: each
        argument's rule reads the other arguments' values and only the shape and dtype of
        its own, as a product's does (``x * c`` keeps ``c`` and the ``Meta`` of ``x``, so
        an intermediate ``x`` is freed when the user's code drops it). Arguments not kept
        reach the rules as ``None``.
        The gradient checker runs every rule through the same tape, so a rule that
        reads more than it declares fails there.
        """
        saves = set(saves)
        unknown = saves - {"ans", "args", "shapes", "others"}
        if unknown:
            raise ValueError(f"{self.name}: unknown saves {sorted(unknown)}; use 'ans', 'args', 'shapes', 'others'")
        self.keep_ans = "ans" in saves
        self.keep_args: bool | str | None = (
            True if "args" in saves else _OTHERS if "others" in saves else False if "shapes" in saves else None
        )
        return self

    # -- calling -----------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # (Each function held in an attribute is read into a local before it is called: CPython
        # 3.11 specializes the read of an attribute, not the call of one, self.fun(x).)
        if not kwargs:
            n = len(args)
            if n == 1:
                x = args[0]
                if isinstance(x, Box):
                    if x._sequence and self.pack in _sequences_as:
                        return self._sequence_call(args, kwargs)
                    apply1 = self._apply1
                    return apply1(x)
                if not (isinstance(x, _CONTAINERS) and holds_box(x)):
                    fun = self.fun
                    return fun(x)
            elif n == 2:
                x, y = args
                if isinstance(x, Box):
                    if not (
                        isinstance(y, _CONTAINERS) and self._traces(1, y) or x._sequence or isinstance(y, Box) and y._sequence
                    ):
                        apply2 = self._apply2
                        return apply2(x, y)
                elif isinstance(y, Box):
                    if not (isinstance(x, _CONTAINERS) and holds_box(x) or y._sequence):
                        apply2 = self._apply2
                        return apply2(x, y)
                elif not (
                    (isinstance(x, _CONTAINERS) and holds_box(x)) or (isinstance(y, _CONTAINERS) and self._traces(1, y))
                ):
                    fun = self.fun
                    return fun(x, y)
        if kwargs:
            for v in kwargs.values():
                if isinstance(v, (Box, list, tuple, dict)):  # (a traced argument may be among them)
                    args, kwargs = _as_positional(self, args, kwargs)
                    break
        as_value = _sequences_as.get(self.pack)  # (None: a container stays a container)
        for i, a in enumerate(args):
            if (isinstance(a, _CONTAINERS) and self._traces(i, a)) or (as_value and isinstance(a, Box) and a._sequence):
                return self._sequence_call(args, kwargs)
        trace = _top_trace(args)
        if trace is None:
            if kwargs:
                _check_kwargs(self, kwargs)
            return self.fun(*args, **kwargs)
        return self.bind(trace, args, kwargs)

    def _sequence_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The call with each list, tuple or dict argument that holds traced values (or is
        traced) made one traced value: see :meth:`_packed`."""
        as_value = _sequences_as.get(self.pack)
        packed = [self._packed(j, b, as_value) for j, b in enumerate(args)]
        if any(isinstance(b, Box) and b._sequence for b in packed) and as_value is not None:
            as_value = None  # the pack's conversion kept a traced sequence: trace it as one
            packed = [self._packed(j, b, None) for j, b in enumerate(args)]
        if as_value is None and all(p is a for p, a in zip(packed, args)):
            trace = _top_trace(args)  # nothing left to convert
            assert trace is not None
            return self.bind(trace, args, kwargs)
        return self(*packed, **kwargs)

    def _packed(self, argnum: int, arg: Any, as_value: Callable[[Any], Any] | None) -> Any:
        """Argument ``argnum`` as the primitive takes it: a container that :meth:`_traces`
        as one traced value, or as the value its pack makes of a list or tuple
        (``as_value``: the NumPy pack's ``array``, as NumPy reads a list as an array)."""
        if as_value is not None and (
            (type(arg) in (list, tuple) and self._traces(argnum, arg)) or (isinstance(arg, Box) and arg._sequence)
        ):
            return as_value(arg)
        if isinstance(arg, _CONTAINERS) and self._traces(argnum, arg):
            from plugrad.builtins import pack

            return pack(arg)
        return arg

    def _traces(self, argnum: int, container: Any) -> bool:
        """Whether the plain list, tuple or dict ``container`` given as argument ``argnum`` is
        traced as one value (the parameters a gradient passes in are one), whether or not
        another argument is traced: where it holds a traced value, and it is the first
        argument or one with a rule. (Others, such as a list of indices, are not scanned.)"""
        if argnum and self.vjp_argnum is None and self.jvp_argnum is None:  # has_vjp, has_jvp inlined
            vjps, jvps = self.vjps, self.jvps
            if not ((argnum < len(vjps) and vjps[argnum] is not None) or (argnum < len(jvps) and jvps[argnum] is not None)):
                return False  # an option, such as _power_term's constants: not scanned
        return holds_box(container)

    def bind(self, trace: Trace, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Box:
        """Apply to ``args`` whose highest-level boxes belong to ``trace``; record it."""
        if kwargs:
            _check_kwargs(self, kwargs)
            if kwargs.get("out") is not None:
                name = self.public_name or self.name  # (as the user called it: numpy.einsum)
                raise TraceError(
                    f"{name}(..., out=...) on a traced value would write the result into an "
                    "existing array, which tracing cannot follow: drop out= and use the returned "
                    f"value instead (y = {name}(...))."
                )
            if "out" in kwargs:  # out=None, NumPy's default: said of nothing, so left out
                kwargs = {k: v for k, v in kwargs.items() if k != "out"}
        raw = list(args)
        parents = []
        lower = False
        for i, a in enumerate(args):
            if isinstance(a, Box):
                if a._trace is trace:
                    if kwargs:
                        _check_rule_kwargs(self, i, kwargs, trace.forward)
                    raw[i] = value = a._value
                    parents.append((i, a))
                    if isinstance(value, Box) or (isinstance(value, _CONTAINERS) and holds_box(value)):
                        lower = True
                else:
                    lower = True
        if lower:
            trace.nested = True  # its boxes may now hold boxes of lower levels
            ans = self(*raw, **kwargs)
        else:
            ans = self.evaluate(*raw, **kwargs)
        return record(self, trace, ans, tuple(raw), kwargs, tuple(parents))

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        """What tracing computes on plain arguments: ``fun``, or ``float_fun`` on a
        single Python float (so traced floats stay floats)."""
        if self.float_fun is not None and len(args) == 1 and type(args[0]) is float and not kwargs:
            try:
                return self.float_fun(args[0])
            except (ValueError, OverflowError):  # math raises where NumPy returns nan or inf
                pass
        try:
            return self.fun(*args, **kwargs)
        except (ArithmeticError, TypeError) as exc:
            if self.fallback is None or isinstance(exc, TraceError):
                raise
            return _retried(self.fallback, args, kwargs)

    def forward(
        self, parents: tuple[tuple[int, Box], ...], ans: Any, raw: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """The output tangent: the sum of each boxed argument's JVP (one call of a
        ``def_jvp_argnums`` rule for them all)."""
        try:
            return self._forward(parents, ans, raw, kwargs)
        except Exception as exc:  # (costs nothing until raised)
            if self.name not in str(exc):
                exc.add_note(f"(raised in the JVP rules of {self.describe()})")
            raise

    def _forward(
        self, parents: tuple[tuple[int, Box], ...], ans: Any, raw: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if self.jvp_argnums is not None and len(parents) > 1 and not any(self.jvps):
            argnums = tuple([i for i, _ in parents])
            tangent = self.jvp_argnums(argnums, tuple([p._tangent for _, p in parents]), ans, *raw, **kwargs)
            if tangent is None and not self.none_is_zero:
                raise returned_none(self, "JVP", argnums)
            if _shape_differs(tangent, ans):
                raise misshapen(self, "JVP", argnums, tangent, ans)
            return tangent
        tangent = None
        for i, parent in parents:
            jvp = self.jvp_rule(i)
            t = jvp(parent._tangent, ans, *raw, **kwargs)
            if t is None and not self.none_is_zero:  # (a forgotten return, read as no tangent)
                raise returned_none(self, "JVP", i)
            # A tangent array of another shape than the output (a rule that forgot to broadcast,
            # or summed an axis) would be broadcast by NumPy, or summed, into a wrong number
            # wherever it went next: refused as the rule returns it.
            if type(t) is _ndarray and type(ans) is _ndarray:  # (the common case, inline)
                if t.shape != ans.shape:
                    raise misshapen(self, "JVP", i, t, ans)
            elif _shape_differs(t, ans):
                raise misshapen(self, "JVP", i, t, ans)
            tangent = t if tangent is None else add_any(tangent, t)
        return tangent

    # -- rules -------------------------------------------------------------------

    def def_vjp(self, *rules: Rule | None, argnums: Iterable[int] | None = None) -> Primitive:
        """Set VJP rules, one per argument in order (``None`` leaves an argument's rule as it
        is: none, on a new primitive), or for ``argnums`` (where ``None`` removes it). A
        :meth:`def_vjp_pair` rule made from the old rules is dropped: set it again."""
        for rule in rules:
            code = getattr(rule, "__code__", None)
            if code is not None and code.co_argcount and code.co_varnames[0] == "ans":
                raise TypeError(
                    f"def_vjp of {self.describe()}: the rule {getattr(rule, '__name__', rule)}"
                    f"({', '.join(code.co_varnames[: code.co_argcount])}) is written as autograd's VJP "
                    "maker, "
                    "(ans, *args) -> (g -> cotangent); def_vjp takes the rule itself, (g, ans, *args) -> "
                    "cotangent: def_vjp(lambda g, ans, x: ...). Or give the maker to plugrad.extend.defvjp."
                )
        _set_rules(self.vjps, rules, argnums)
        for prim in self._family:
            prim.vjp_pair = None
            prim._resolve_vjps()
        return self

    def _resolve_vjps(self) -> None:
        """Fill the slots the backward pass calls: argument 0's and 1's rule from the
        table, or, where the table has none, a callable that looks the rule up when it
        is called (``def_vjp_argnum``'s rule, or the error saying there is none)."""
        rules = self.vjps
        self._vjp0 = rules[0] if rules and rules[0] is not None else functools.partial(_vjp_by_lookup, self, 0)
        self._vjp1 = (
            rules[1] if len(rules) > 1 and rules[1] is not None else functools.partial(_vjp_by_lookup, self, 1)
        )

    def def_jvp(self, *rules: Rule | None, argnums: Iterable[int] | None = None) -> Primitive:
        """Set JVP rules, one per argument in order, or for ``argnums`` (``None`` as in :meth:`def_vjp`)."""
        _set_rules(self.jvps, rules, argnums)
        return self

    def def_vjp_argnum(self, rule: Rule) -> Primitive:
        """One VJP rule for every argument: ``rule(argnum, g, ans, *args, **kwargs)``."""
        for prim in self._family:  # aliases share every rule, as they share the tables
            if prim.vjp_argnums is not None:
                prim._apply2 = _binary_apply(prim, False)
            prim.vjp_argnum, prim.vjp_argnums = rule, None
            prim.vjp_pair = None  # (made from the rules this one may replace)
        return self

    def def_jvp_argnum(self, rule: Rule) -> Primitive:
        """One JVP rule for every argument: ``rule(argnum, t, ans, *args, **kwargs)``."""
        for prim in self._family:
            prim.jvp_argnum, prim.jvp_argnums = rule, None
        return self

    def def_vjp_argnums(self, rule: Rule) -> Primitive:
        """One VJP rule for several arguments at once: ``rule(argnums, g, ans, *args,
        **kwargs)`` returns the cotangents of the arguments numbered ``argnums`` (a tuple),
        in that order. The backward pass calls it once per operation, with every traced
        argument's number, where a ``def_vjp_argnum`` rule is called once per traced
        argument and takes all the arguments each time: for a variadic primitive such as
        ``concatenate``, that is quadratic in their number. It serves each argument
        without a rule of its own from :meth:`def_vjp`, one at a time where an argument has one."""
        one = functools.partial(_one_vjp, rule)
        for prim in self._family:
            prim.vjp_argnum, prim.vjp_argnums = one, rule
            # Two traced arguments are recorded in the general layout, whose pull-back
            # makes the one call for both (the two-argument layout calls a rule per argument).
            prim._apply2 = _general_apply2(prim)
        return self

    def def_jvp_argnums(self, rule: Rule) -> Primitive:
        """One JVP rule for several arguments at once: ``rule(argnums, tangents, ans, *args,
        **kwargs)`` returns the output's tangent given the tangents of the arguments
        numbered ``argnums``, in order (the sum of their contributions)."""
        one = functools.partial(_one_jvp, rule)
        for prim in self._family:
            prim.jvp_argnum, prim.jvp_argnums = one, rule
        return self

    def def_vjp_add(self, rule: Callable[..., bool]) -> Primitive:
        """Argument 0's VJP in place, for a two-argument primitive that reads part of its
        first argument (``x[index]``): ``rule(total, g, ans, x, y)`` adds the cotangent of
        ``x`` into ``total`` and returns True, or changes nothing and returns False where
        it cannot (the VJP rule is then called). The backward pass calls it where ``x``
        already has a cotangent, ``total``, that is an array of its own making, so a loop
        reading ``x`` element by element costs O(elements) rather than a new array of
        ``x``'s shape per read. The gradient checker compares it with the VJP rule."""
        for prim in self._family:
            prim.vjp_add = rule
        return self

    def def_vjp_pair(self, rule: Rule) -> Primitive:
        """Both VJPs of a two-argument primitive in one call: ``rule(g, ans, x, y)`` returns
        the pair ``(cotangent of x, cotangent of y)``, the same as argument 0's and argument
        1's :meth:`def_vjp` rules give. The backward pass calls it for an operation whose
        two arguments are both traced, in a call without keyword options (``h @ w`` and
        ``a + b`` in a network's layers), one call instead of two, sharing whatever checks the
        two make. The gradient checker's ``vjp_pair`` check compares it with the two rules.
        Setting the rules again with :meth:`def_vjp` or :meth:`def_vjp_argnum` drops it."""
        where = f"{self.name}.def_vjp_pair"
        if not callable(rule):
            raise TypeError(f"{where}: the rule is {rule!r}, which is not callable; give a function (g, ans, x, y) -> (cotangent of x, cotangent of y).")
        ruled = [i for i, r in enumerate(self.vjps) if r is not None]
        if any(i > 1 for i in ruled):
            raise ValueError(
                f"{where}: a pair rule serves a function of two arguments, each with a VJP rule of its "
                f"own from def_vjp; {self.name} has rules for {ruled[-1] + 1} arguments."
            )
        missing = [self.arg_name(i) for i in (0, 1) if i not in ruled]
        if missing:
            raise ValueError(
                f"{where}: {' and '.join(missing)} {'has' if len(missing) == 1 else 'have'} no VJP rule of "
                "its own. A pair rule serves a function of two arguments, giving what their two rules "
                "give where both are traced: set them first with def_vjp (an argument without a "
                "derivative has no rule, and no pair)."
            )
        for prim in self._family:
            prim.vjp_pair = rule
        return self

    def def_linear(self, *argnums: int) -> Primitive:
        """Declare the primitive linear in ``argnums`` (default 0): its JVP applies it to the tangent."""
        for i in argnums or (0,):
            self.def_jvp(_linear_jvp(self, i), argnums=(i,))
        return self

    def vjp_rule(self, argnum: int) -> Rule:
        """The VJP rule for ``argnum``, or a clear error if there is none."""
        rules = self.vjps
        rule = rules[argnum] if argnum < len(rules) else None
        if rule is not None:
            return rule
        if self.vjp_argnum is not None:
            return functools.partial(self.vjp_argnum, argnum)
        raise NotDifferentiableError(self._missing("VJP", argnum))

    def jvp_rule(self, argnum: int) -> Rule:
        """The JVP rule for ``argnum``, or a clear error if there is none."""
        rules = self.jvps
        rule = rules[argnum] if argnum < len(rules) else None
        if rule is not None:
            return rule
        if self.jvp_argnum is not None:
            return functools.partial(self.jvp_argnum, argnum)
        raise NotDifferentiableError(self._missing("JVP", argnum))

    def has_vjp(self, argnum: int) -> bool:
        return self.vjp_argnum is not None or (argnum < len(self.vjps) and self.vjps[argnum] is not None)

    def has_jvp(self, argnum: int) -> bool:
        return self.jvp_argnum is not None or (argnum < len(self.jvps) and self.jvps[argnum] is not None)

    def arg_name(self, argnum: int) -> str:
        """A readable name for argument ``argnum``: its parameter name where known. A pack
        may name the arguments where the function's signature does not (a ufunc's are
        ``x1, x2``) by setting ``arg_names`` on the primitive: a tuple of names, or a
        function of no arguments that returns one (called only when an error needs it)."""
        import inspect

        names = _arg_names(self)
        if argnum < len(names):
            return f"argument {argnum} ({names[argnum]})"
        try:
            params = list(inspect.signature(self.fun).parameters.values())
        except (TypeError, ValueError):
            params = []
        if argnum < len(params) and params[argnum].kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            return f"argument {argnum} ({params[argnum].name})"
        return f"argument {argnum}"

    def describe(self) -> str:
        """The primitive as errors name it: ``numpy.sin (pack numpy)`` (a primitive of no
        pack, ``__main__.f``, by its name alone), or by the public function it is called
        through, ``scipy.stats.norm.logpdf (primitive scipy.stats.norm._logpdf, pack
        scipy_stats)``."""
        pack = f", pack {self.pack}" if self.pack else ""
        if self.public_name is None:
            return f"{self.name} (pack {self.pack})" if self.pack else self.name
        return f"{self.public_name} (primitive {self.name}{pack})"

    def _missing(self, kind: str, argnum: int) -> str:
        mode = "reverse" if kind == "VJP" else "forward"
        method = "def_vjp" if kind == "VJP" else "def_jvp"
        target = self.name.rpartition(".")[2] if self.public_name is None else self.name
        return (
            f"{self.describe()} has no {kind} for {self.arg_name(argnum)}, so it cannot be "
            f"differentiated with respect to it in {mode} mode. Pass that argument as a "
            f"constant, or register a rule with {target}.{method}(..., "
            f"argnums=({argnum},)) or plugrad.extend.def{kind.lower()}."
        )

    # -- samples -----------------------------------------------------------------

    def def_samples(self, *samples: Any) -> Primitive:
        """Declare sample inputs for the gradient checker (``Sample`` objects or a
        callable returning them, evaluated only when the checker runs)."""
        self.sample_sets.extend(samples)
        return self

    def samples(self) -> list[Any]:
        """The declared samples, with lazy ones expanded."""
        out: list[Any] = []
        for s in self.sample_sets:
            if callable(s) and not hasattr(s, "args"):
                out.extend(s())
            else:
                out.append(s)
        return out


def by_reference(fun: Primitive | NonDifferentiable) -> str | tuple[Any, ...]:
    """How ``fun`` is pickled: by reference, as Python pickles a function, so that
    ``functools.partial(f, act=np.tanh)`` reaches another process (multiprocessing,
    joblib, Dask's distributed scheduler). A pack's function that its namespace publishes
    (``plugrad.numpy.sin``) is found there by its name; any other by its module and
    qualified name (``@primitive def f(x)`` at module level)."""
    ns, _, short = fun.name.rpartition(".")
    if fun.pack is not None and ns:
        try:
            published = getattr(importlib.import_module(f"plugrad.{ns}"), short, None)
        except (ImportError, PlugradError):  # another registry's, or a broken pack's name
            published = None
        if published is fun:
            return published_function, (fun.name,)
    qualname = getattr(fun.__wrapped__, "__qualname__", None)
    if "__module__" in fun.__dict__ and qualname is not None:
        return str(qualname)  # pickle looks it up in fun.__module__, and checks it is fun
    raise pickle.PicklingError(
        f"cannot pickle {fun!r}: it has no module and name to find it by. Define it at module "
        "level (@primitive def f(x): ...) to pickle it."
    )


def published_function(qualname: str) -> Any:
    """``plugrad.<qualname>``: a pickled function of a namespace, found again."""
    ns, _, short = qualname.rpartition(".")
    return getattr(importlib.import_module(f"plugrad.{ns}"), short)


def _vjp_by_lookup(prim: Primitive, argnum: int, *args: Any, **kwargs: Any) -> Any:
    return prim.vjp_rule(argnum)(*args, **kwargs)


def _one_vjp(rule: Rule, argnum: int, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    """A ``def_vjp_argnums`` rule asked for one argument's cotangent."""
    return only_cotangent(rule, (argnum,), rule((argnum,), g, ans, *args, **kwargs))[0]


def _one_jvp(rule: Rule, argnum: int, t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    """A ``def_jvp_argnums`` rule given one argument's tangent."""
    return rule((argnum,), (t,), ans, *args, **kwargs)


def only_cotangent(rule: Rule, argnums: tuple[int, ...], cts: Any) -> Any:
    """``cts``, what a ``def_vjp_argnums`` rule returned for ``argnums``: one cotangent per
    argument, or an error naming the rule."""
    try:
        n = len(cts)
    except TypeError:
        n = -1
    if n != len(argnums):
        name = getattr(rule, "__qualname__", None) or repr(rule)
        raise TypeError(
            f"the def_vjp_argnums rule {name} returned {type(cts).__name__} {cts!r:.60} for "
            f"arguments {argnums}: it must return a sequence of {len(argnums)} cotangent(s), "
            "one per argument number, in order"
        )
    return cts


def _set_rules(table: list[Rule | None], rules: tuple[Rule | None, ...], argnums: Iterable[int] | None) -> None:
    nums = list(argnums) if argnums is not None else list(range(len(rules)))
    if len(nums) != len(rules):
        raise TypeError(f"got {len(rules)} rules for argnums {nums}; give one rule per argnum")
    for i, rule in zip(nums, rules):
        if rule is None and argnums is None:
            continue  # positional None: leave that argument as it was
        while len(table) <= i:
            table.append(None)
        table[i] = rule


def _linear_jvp(prim: Primitive, argnum: int) -> Rule:
    def jvp(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        full = list(args)
        full[argnum] = t
        return prim(*full, **kwargs)

    return jvp


def _check_kwargs(prim: Primitive, kwargs: dict[str, Any]) -> None:
    for key, value in kwargs.items():
        if isinstance(value, Box):
            if _keyword_only(prim, key):
                raise TraceError(
                    f"{prim.name} got a traced value as its keyword-only argument {key!r}, which "
                    "plugrad cannot differentiate (it differentiates positional arguments only). "
                    f"Pass a constant as {key}=, or leave it out."
                )
            params = _positional_names(prim)
            if key in params and not (prim.has_vjp(params.index(key)) or prim.has_jvp(params.index(key))):
                raise TraceError(
                    f"{prim.name} got a traced value as its argument {key!r}, which it has no "
                    f"derivative rule for: pass a constant as {key}=, or register a rule with "
                    f"{prim.name.rpartition('.')[2]}.def_vjp(..., argnums=({params.index(key)},))."
                )
            named = _arg_names(prim)  # (the names errors give: jv's argument 1 is z)
            if key in params or key in named:
                where = params.index(key) if key in params else named.index(key)
                raise TraceError(
                    f"{prim.name} got a traced value as keyword argument {key!r}; plugrad "
                    f"differentiates positional arguments only. Pass it positionally (argument {where})."
                )
            kinds = [p.kind for p in _parameters(prim).values()]
            if kinds and not any(k == k.VAR_KEYWORD for k in kinds):  # a name the function does not take
                raise TraceError(
                    f"{prim.name} takes no keyword argument {key!r} (it was given a traced value): "
                    "check the name, or pass the value by position."
                )
            raise TraceError(
                f"{prim.name} got a traced value as its keyword argument {key!r}, which it takes by "
                "keyword only, and plugrad differentiates positional arguments only: pass a constant "
                f"as {key}=, or compute the part of the result that depends on it with other "
                "differentiable operations."
            )


def _arg_names(prim: Primitive) -> list[str]:
    """The argument names a pack set on ``prim`` (``arg_names``: a tuple, or a function
    returning one), or none."""
    names = prim.__dict__.get("arg_names")
    return list((names() if callable(names) else names) or ())


def _parameters(prim: Primitive) -> dict[str, Any]:
    """The parameters of ``prim``'s function by name, in order (none where its signature is
    unknown); kept on the primitive, as signatures are slow to read."""
    cached = prim.__dict__.get("_parameters")
    if cached is None:
        import inspect

        try:
            cached = dict(inspect.signature(prim.fun).parameters)
        except (TypeError, ValueError):
            cached = {}
        prim.__dict__["_parameters"] = cached
    return cached


def _positional_parameters(prim: Primitive) -> list[Any]:
    """The parameters of ``prim``'s function that can be passed by position, in order."""
    positional = []
    for p in _parameters(prim).values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        positional.append(p)
    return positional


def _positional_names(prim: Primitive) -> list[str]:
    return [p.name for p in _positional_parameters(prim)]


def _as_positional(prim: Primitive, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``args`` and ``kwargs`` with each traced keyword argument that ``prim`` also takes by
    position, and has a rule for, moved to its position (``np.average(x, weights=w)`` as
    ``np.average(x, None, w)``), the parameters before it filled from ``kwargs`` or their
    defaults, so that it is differentiated as a positional argument is. Unchanged where
    that cannot be done. A keyword the primitive's ``keyword_aliases`` maps to a parameter's
    name (NumPy 2.1's ``clip(x, min=lo)`` for ``a_min``) counts as that parameter's."""
    params = _positional_parameters(prim)
    if not params:
        return args, kwargs
    aliases = prim.__dict__.get("keyword_aliases")
    if aliases:
        kwargs = {aliases[k] if k in aliases and aliases[k] not in kwargs else k: v for k, v in kwargs.items()}
    last = max(
        (
            i
            for i, p in enumerate(params)
            if p.name in kwargs and (prim.has_vjp(i) or prim.has_jvp(i)) and _traced_argument(kwargs[p.name])
        ),
        default=-1,
    )
    if last < len(args):
        return args, kwargs
    moved, rest = list(args), dict(kwargs)
    for p in params[len(args) : last + 1]:
        if p.name in rest:
            moved.append(rest.pop(p.name))
        elif p.default is not p.empty:
            moved.append(p.default)
        else:
            return args, kwargs
    return tuple(moved), rest


def _check_rule_kwargs(prim: Primitive, argnum: int, kwargs: dict[str, Any], forward: bool) -> None:
    """Refuse, before anything is recorded, keyword arguments that the rule this trace will
    run for a traced argument (``forward``: the JVP, else the VJP) cannot take
    (``np.exp(x, dtype=...)``): the rule would fail on them later. A rule found to take
    them is remembered on the primitive."""
    rules, every = (prim.jvps, prim.jvp_argnum) if forward else (prim.vjps, prim.vjp_argnum)
    rule = rules[argnum] if argnum < len(rules) else None
    if rule is None:
        rule = every
    if rule is None:
        return  # no rule at all: the pass that needs one says so
    if isinstance(rule, functools.partial) and rule.func in (_one_vjp, _one_jvp):
        rule = rule.args[0]  # a def_*_argnums rule: the keywords are its
    key = (rule, *kwargs)
    taking = prim.__dict__.setdefault("_rules_taking", set())
    if key in taking:
        return
    target = rule.func if isinstance(rule, functools.partial) else rule
    if not _takes_keywords(target, tuple(kwargs)):
        keys = sorted(kwargs)
        hint = " (cast the result with .astype for another dtype)" if "dtype" in kwargs else ""
        raise TypeError(
            f"{prim.name}(..., {', '.join(f'{k}=' for k in keys)}) on a traced value: its "
            f"{'JVP' if forward else 'VJP'} rule takes no such keyword argument, so it cannot be "
            f"differentiated with {'it' if len(keys) == 1 else 'them'}. Leave "
            f"{'it' if len(keys) == 1 else 'them'} out{hint}."
        )
    taking.add(key)


def _takes_keywords(rule: Callable[..., Any], keys: tuple[str, ...]) -> bool:
    import inspect

    try:
        params = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):
        return True
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return True
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return all(k in names for k in keys)


def _traced_argument(value: Any) -> bool:
    return isinstance(value, Box) or (isinstance(value, _CONTAINERS) and holds_box(value))


def _keyword_only(prim: Primitive, key: str) -> bool:
    param = _parameters(prim).get(key)
    return param is not None and param.kind is param.KEYWORD_ONLY


def add_any(a: Any, b: Any) -> Any:
    """Add two tangents or cotangents: ``+`` for numbers and NumPy arrays, the vector
    space's addition for containers (where ``+`` would concatenate) and for a pack's types,
    whose ``+`` may mean something else (a polynomial's that trims trailing zeros). Traced
    values of a pack's type (in a derivative of a derivative) add by their box's operator."""
    t = type(a)
    if t is np.ndarray or t is float:
        return a + b
    value = getval(a)
    try:
        if (
            isinstance(value, (tuple, list, dict))
            or not hasattr(type(value), "__add__")
            or (value is a and not isinstance(value, _VECTOR_PLUS))
        ):
            try:
                return vspace(a).add(a, b)
            except NotDifferentiableError:
                pass
        return a + b
    except TypeError as exc:  # (costs nothing until raised)
        if isinstance(a, Box) and not isinstance(value, _VECTOR_PLUS):
            raise TypeError(
                f"plugrad adds two traced derivatives of a {type(value).__name__} (the tangents of two "
                "arguments in forward mode, or cotangents inside a derivative of a derivative) with "
                f"their box's +, which {type(a).__name__} does not support ({exc}): give the box class "
                "__add__ (and __radd__), built on the pack's primitive that adds its values."
            ) from exc
        raise


_VECTOR_PLUS = (np.ndarray, np.generic, float, complex, int)  # the types whose + is vector addition


_EMPTY: dict[str, Any] = {}

# The tape holds one tuple per operation, in creation order. Three layouts, so the
# common cases build and unpack small flat tuples (``parent`` entries are tape indices,
# -1 for an argument that is not traced):
#
#   (prim, x, ans, parent)                       one argument, traced
#   (prim, x, y, ans, parent_x, parent_y)        two arguments, one or both traced
#   (prim, args, kwargs, ans, links)             anything else; ``links`` pairs
#                                                (argument number, tape index)
#
# ``x``, ``y`` and ``args`` hold what the VJP rules read (see Primitive.set_saves),
# ``ans`` is None unless they read it. Debug mode records every node in the last layout.


def node_ans(node: tuple[Any, ...]) -> Any:
    """The output a tape node kept (None where its rules do not read it)."""
    return node[2] if len(node) == 4 else node[3]


def node_uses(node: tuple[Any, ...]) -> list[tuple[Any, int]]:
    """``(what the node kept of the argument, the argument's tape index)`` for each traced
    argument of a tape node (the index is -1 for an argument that is not traced)."""
    if len(node) == 4:
        return [(node[1], node[3])]
    if len(node) == 6:
        return [(node[1], node[4]), (node[2], node[5])]
    args = node[1]
    return [(args[a] if a < len(args) else None, j) for a, j in node[4]]


def record(
    prim: Primitive,
    trace: Trace,
    ans: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    parents: tuple[tuple[int, Box], ...],
) -> Box:
    """Box ``ans``, the result of ``prim`` on ``args``, as a node of ``trace``: the
    general path, which every mode and layout can take."""
    box = (_box_types.get(type(ans)) or box_type(ans))()
    box._value = ans
    box._trace = trace
    if trace.forward:
        box._tangent = tangent = prim.forward(parents, ans, args, kwargs)
        if trace.sites is not None:
            check_tangent(prim, tangent, ans, args, call_site(), [p._tangent for _, p in parents])
        return box
    tape = trace.tape
    if tape is None:
        raise TraceError(
            f"{prim.name} was called on a value traced by a differentiation that has "
            "already finished. A traced value must not escape the function being "
            "differentiated; return it instead (see grad_and_aux)."
        )
    if len(parents) == 1:  # the common case, without a comprehension's frame
        argnum, parent = parents[0]
        links: tuple[tuple[int, int], ...] = ((argnum, parent._index),)
    else:
        links = tuple([(argnum, parent._index) for argnum, parent in parents])
    index = box._index = len(tape)
    if trace.sites is None:
        keep = prim.keep_args
        if keep is False:
            args = tuple([_meta(a) if type(a) is _ndarray else a for a in args])
        elif keep is None:
            args = (None,) * len(args)
        elif keep is _OTHERS and len(parents) == 1:  # one traced argument, whose rule reads its shape
            i = parents[0][0]
            if type(args[i]) is _ndarray:
                args = (*args[:i], _meta(args[i]), *args[i + 1 :])
        tape.append((prim, args, kwargs, ans if prim.keep_ans else None, links))
    else:  # debug mode keeps everything, to describe what went wrong
        tape.append((prim, args, kwargs, ans, links))
        trace.sites[index] = call_site()
    return box


_ndarray = np.ndarray
_new = object.__new__
_OTHERS = "others"  # Primitive.keep_args for saves=("others",)
_CONTAINERS = (list, tuple, dict)

# How each pack's primitives take a list or tuple that holds traced values, or a traced
# one: by pack name, what a pack's plugrad_types hook gave register.sequences.
_sequences_as: dict[str | None, Callable[[Any], Any]] = {}


def register_sequences(pack: str, as_value: Callable[[Any], Any]) -> None:
    """Give the primitives of ``pack`` a list or tuple holding traced values, or a traced
    list or tuple, as ``as_value(sequence)``, a traced value, instead of the container."""
    _sequences_as[pack] = as_value


def _meta(a: np.ndarray) -> Any:
    """What a shapes-only node keeps of NumPy array ``a``: its Meta, or ``a`` itself if it
    is not a float or complex array (integer index arrays are small, and a rule may read
    them) or has no axes.

    Only NumPy arrays come here; every other argument is kept as it is. A box of a lower
    level (a derivative of a derivative) answers shape and dtype itself, and shrinking it
    costs more time than the memory it would free. Other array types (a Dask array, an
    ndarray subclass) carry what their own rules may read, such as chunks or a mask, and
    a lazy Dask array holds no data.
    """
    if a.dtype is _f64:  # the common dtype: its Metas are keyed by shape alone
        meta = _metas64.get(a.shape)
        if meta is not None:
            return meta
    key = (a.shape, a.dtype)
    meta = _metas.get(key, _UNSEEN)
    if meta is _UNSEEN:
        meta = _make_meta(a.shape, a.dtype)
        if len(_metas) >= 1024:
            _metas.clear()
            _metas64.clear()
        _metas[key] = meta
        if meta is not None and meta.dtype is _f64:
            _metas64[meta.shape] = meta
    return a if meta is None else meta


# Metas are immutable values: one per (shape, dtype) serves every node (None: keep the value).
_metas: dict[tuple[Any, Any], Meta | None] = {}
_metas64: dict[tuple[int, ...], Meta] = {}  # the float64 entries of _metas, by shape
_f64 = np.dtype(np.float64)  # NumPy's built-in dtypes are singletons
_UNSEEN: Any = object()


def _make_meta(shape: tuple[int, ...], dtype: Any) -> Meta | None:
    if dtype is None or dtype.kind not in "fc" or not shape:
        return None
    meta = _new(Meta)  # skips Meta.__init__
    meta.shape = shape
    meta.dtype = dtype
    return meta


def _unary_apply(prim: Primitive) -> Callable[[Box], Box]:
    """``prim(x)`` for a traced ``x``, recording straight onto the tape: the fast path of
    unary functions and of operators such as ``-x`` (one Python frame per operation)."""

    def apply(x: Box) -> Box:
        trace = x._trace
        tape = trace.fast_tape
        if tape is None:  # forward mode, debug mode or a closed trace: the general path
            return prim.bind(trace, (x,), _EMPTY)
        value = x._value
        ans: Any
        float_fun = prim.float_fun  # (functions are read into locals to be called: see Primitive.__call__)
        if type(value) is float and float_fun is not None:  # Primitive.evaluate, inlined
            try:
                ans = float_fun(value)
            except (ValueError, OverflowError):  # math raises where NumPy returns nan or inf
                ans = prim.fun(value)
        elif trace.nested and isinstance(value, Box):
            apply1 = prim._apply1
            ans = apply1(value)  # a derivative of a derivative: trace the lower level too
        else:
            fun = prim.fun
            ans = fun(value)
        try:
            box = _box_types[type(ans)]()
        except KeyError:
            box = box_type(ans)()
        box._value = ans
        box._trace = trace
        box._index = len(tape)
        keep = prim.keep_args
        if keep is not True:
            if keep is None:
                value = None
            elif type(value) is _ndarray:
                value = (value.dtype is _f64 and _metas64.get(value.shape)) or _meta(value)
        tape.append((prim, value, ans if prim.keep_ans else None, x._index))
        return box

    return apply


def _binary_apply(prim: Primitive, reflected: bool, method: bool = False) -> Callable[[Any, Any], Box]:
    """``prim(x, y)`` where one or both are traced, recording straight onto the tape: the
    fast path of binary functions. As a ``method``, ``x`` is ``self``, a box; with
    ``reflected`` it computes ``prim(other, self)``, as ``__rmul__(self, other)`` must."""

    operator = method or reflected

    def apply(x: Any, y: Any) -> Box:
        if reflected:
            x, y = y, x
        # Forward mode, debug mode, a closed trace (no fast tape) or boxes of two levels
        # take the general path.
        if method or isinstance(x, Box):
            trace = x._trace
            tape = trace.fast_tape
            if tape is None:
                return _bind_operands(prim, x, y, operator)
            xv, jx = x._value, x._index
            if isinstance(y, Box):
                if y._trace is not trace:
                    return _bind(prim, (x, y))
                yv, jy = y._value, y._index
            else:
                yv, jy = y, -1
        else:
            trace = y._trace
            tape = trace.fast_tape
            if tape is None:
                return _bind_operands(prim, x, y, operator)
            xv, jx, yv, jy = x, -1, y._value, y._index
        if trace.nested and (isinstance(xv, Box) or isinstance(yv, Box)):
            apply2 = prim._apply2  # (a local: see Primitive.__call__)
            ans = apply2(xv, yv)  # a derivative of a derivative: trace the lower level too
        else:
            fun = prim.fun  # (a local: see Primitive.__call__)
            try:
                ans = fun(xv, yv)
            except (ArithmeticError, TypeError) as exc:  # (costs nothing until raised)
                if prim.fallback is None or isinstance(exc, TraceError):
                    raise
                ans = _retried(prim.fallback, (xv, yv), _EMPTY)  # Primitive.evaluate's, inlined
        # Boxed as in _unary_apply, written out in both: a shared helper would cost each
        # operation one more Python frame.
        try:
            box = _box_types[type(ans)]()
        except KeyError:
            cls = box_type(ans)  # (a BareBox, never in _box_types, always comes here)
            if cls is BareBox and operator and _defers_to(xv, yv):
                # An operator with an array-like no pack boxes (box * xarray.DataArray): its
                # reflected operator wraps the traced value instead, as NumPy defers to it.
                return NotImplemented  # type: ignore[no-any-return]
            box = cls()
        box._value = ans
        box._trace = trace
        box._index = len(tape)
        keep = prim.keep_args
        if keep is False:  # only shapes: a NumPy array shrinks to its Meta, the rest stays
            # (a float64 array's Meta looked up inline: _meta's first lines)
            if type(xv) is _ndarray:
                xv = (xv.dtype is _f64 and _metas64.get(xv.shape)) or _meta(xv)
            if type(yv) is _ndarray:
                yv = (yv.dtype is _f64 and _metas64.get(yv.shape)) or _meta(yv)
        elif keep is not True:
            if keep is None:
                xv = yv = None
            elif jy < 0:  # "others", y a constant: x's rule reads y and the shape of x
                if type(xv) is _ndarray:
                    xv = (xv.dtype is _f64 and _metas64.get(xv.shape)) or _meta(xv)
            elif jx < 0:
                if type(yv) is _ndarray:
                    yv = (yv.dtype is _f64 and _metas64.get(yv.shape)) or _meta(yv)
            elif jx == jy and prim.same_args is not None:  # x * x: one rule, of one argument
                same = prim.same_args
                tape.append((same, xv, ans if same.keep_ans else None, jx))
                return box
        tape.append((prim, xv, yv, ans if prim.keep_ans else None, jx, jy))
        return box

    return apply


NUMERIC = (np.ndarray, np.generic, float, complex)  # the values a derivative's shape is read of


def _shape_differs(t: Any, ans: Any) -> bool:
    """Whether tangent ``t`` has another shape than the output ``ans`` (both arrays or
    numbers; anything else is not judged here). Python floats and arrays are read without
    np.shape, which costs a microsecond."""
    tt, ta = type(t), type(ans)
    if tt is float and ta is float:
        return False
    if tt is _ndarray and ta is _ndarray:
        return bool(t.shape != ans.shape)
    if isinstance(t, (int, *NUMERIC)):
        if isinstance(ans, NUMERIC):
            return bool(np.shape(t) != np.shape(ans))
        return not_an_array(ans)  # a number or array for a pack's value (a Quaternion)
    return isinstance(ans, NUMERIC) and not_an_array(t)  # a pack's value for an array or number


def not_an_array(value: Any) -> bool:
    """Whether ``value`` is of a pack's type that is no array (a Quaternion; not a Dask array,
    which converts to one), and not traced, a container or None."""
    if isinstance(value, (Box, list, tuple, dict)) or value is None or hasattr(value, "__array__"):
        return False
    return not isinstance(value, (int, *NUMERIC))


# What a rule returns, said once for every error about a derivative of the wrong shape.
VJP_SHAPE = (
    "a VJP returns a cotangent of its argument's shape, summed over the axes the argument was broadcast along"
)
JVP_SHAPE = "a JVP returns a tangent of the output's shape, an argument's tangent broadcast as the argument was"


def rule_of(prim: Primitive, kind: str, argnum: int | tuple[int, ...]) -> str:
    """``the VJP of numpy.sin (pack numpy) for argument 0 (x)``: a rule, in errors."""
    which = f"arguments {argnum}" if isinstance(argnum, tuple) else prim.arg_name(argnum)
    return f"the {kind} of {prim.describe()} for {which}"


def misshapen(prim: Primitive, kind: str, argnum: int | tuple[int, ...], d: Any, like: Any) -> ValueError:
    """The error for a rule of ``prim`` (VJP, JVP) that returned the derivative ``d`` of
    another shape than ``like``'s (its argument's, the output's)."""
    vjp = kind == "VJP"
    what, of, rule = ("cotangent", "argument", VJP_SHAPE) if vjp else ("tangent", "output", JVP_SHAPE)
    if not_an_array(d) or not_an_array(like):  # (a pack's type, of NumPy's shape ())
        return ValueError(
            f"{rule_of(prim, kind, argnum)} returned a {what} of type {type(d).__name__} for an {of} of "
            f"type {type(like).__name__}: a rule returns a {what} of its {of}'s type and shape."
        )
    return ValueError(
        f"{rule_of(prim, kind, argnum)} returned a {what} of shape {np.shape(d)} for an {of} of shape "
        f"{np.shape(like)}: {rule}."
    )


def returned_none(
    prim: Primitive, kind: str, argnum: int | tuple[int, ...], zero: str | None = None
) -> TypeError:
    """The error for a rule of ``prim`` that returned None, as one that forgot its
    ``return`` does: read as a zero derivative, it would be silently wrong. ``zero`` says
    how to declare a zero derivative instead (by default: return zeros)."""
    what = "the argument's cotangent" if kind.startswith("VJP") else "the output's tangent"
    if zero is None:
        zero = f"return zeros of the {'argument' if kind.startswith('VJP') else 'output'}'s shape"
    return TypeError(
        f"{rule_of(prim, kind, argnum)} returned None: return {what} (check for a missing return "
        f"statement). Where the derivative is zero, declare it so ({zero})."
    )


def _retried(fallback: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fallback(*args, **kwargs)``, where a primitive's own function raised; an error of
    the fallback is reported on its own, not as raised while handling the first."""
    try:
        return fallback(*args, **kwargs)
    except Exception as exc:
        raise exc from None


def _top_trace(args: tuple[Any, ...]) -> Trace | None:
    """The trace of the highest level among the boxes in ``args`` (None: no box)."""
    trace = None
    for a in args:
        if isinstance(a, Box) and (trace is None or a._trace.level > trace.level):
            trace = a._trace
    return trace


def _bind(prim: Primitive, args: tuple[Any, ...]) -> Box:
    trace = _top_trace(args)
    assert trace is not None
    return prim.bind(trace, args, _EMPTY)


def _bind_operands(prim: Primitive, x: Any, y: Any, operator: bool) -> Box:
    """``_bind(prim, (x, y))``; but an operator with an array-like no pack boxes (``box *
    xarray.DataArray``) defers to that array's reflected operator, which wraps the traced
    value (as the fast path does, once it sees the result's type)."""
    if operator and _defers_to(x, y):
        return NotImplemented  # type: ignore[no-any-return]
    return _bind(prim, (x, y))


def _defers_to(x: Any, y: Any) -> bool:
    """Whether ``x`` or ``y`` is an array-like that no pack boxes, whose reflected operator
    an operator of a box defers to."""
    for v in (x, y):
        t = type(v)
        if hasattr(t, "__array_ufunc__") and not issubclass(t, (Box, np.ndarray, np.generic)) and box_type(v) is BareBox:
            return True
    return False


def _general_apply2(prim: Primitive) -> Callable[[Any, Any], Box]:
    """``prim(x, y)`` recorded by :meth:`Primitive.bind`, in the general layout."""
    return lambda x, y: _bind(prim, (x, y))


def unary_method(prim: Primitive) -> Callable[[Box], Box]:
    """``prim`` as a method of a Box subclass (``__neg__ = unary_method(negative)``): the
    primitive's own fast path, whose one argument is ``self``."""
    return prim._apply1


def binary_method(prim: Primitive, reflected: bool = False) -> Callable[[Any, Any], Box]:
    """``prim`` as an operator method of a Box subclass: ``__mul__ = binary_method(mul)``
    and ``__rmul__ = binary_method(mul, reflected=True)``. The method records the
    operation itself, so an operator costs one Python call."""
    return _binary_apply(prim, reflected, method=not reflected)


class NonDifferentiable:
    """A function with no derivative (``argmax``, ``floor``, ``shape``): it accepts
    traced arguments, strips them, and returns a plain value."""

    __slots__ = ("name", "fun", "pack", "override", "__dict__")

    def __init__(self, name: str, fun: Callable[..., Any], *, override: bool = False) -> None:
        self.name = name
        self.fun = fun
        self.pack: str | None = None
        self.override = override
        self.__wrapped__ = fun

    def __repr__(self) -> str:
        return f"<NonDifferentiable {self.name}>"

    def __reduce__(self) -> str | tuple[Any, ...]:
        return by_reference(self)

    __get__ = Primitive.__get__

    @property
    def __name__(self) -> str:
        return self.name.rpartition(".")[2]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from plugrad.box import getval

        for a in args:
            if isinstance(a, Box) and a._trace.recording:
                return self._record(a._trace, args, kwargs)
        return self.fun(
            *[_strip(a, getval) for a in args],
            **{k: _strip(v, getval) for k, v in kwargs.items()},
        )

    def _record(self, trace: Trace, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The call on a trace being recorded for replay: an array result is recorded
        and boxed, so a replay computes it again. (Anything else, a shape or a Python
        number, stays a constant of the recording.)"""
        raw = list(args)
        parents = []
        for i, a in enumerate(args):
            if isinstance(a, Box) and a._trace is trace:
                raw[i] = a._value
                parents.append((i, a))
        ans = self(*raw, **kwargs)
        if not isinstance(ans, (np.ndarray, np.generic)):
            return ans
        return record(self, trace, ans, tuple(raw), kwargs, tuple(parents))  # type: ignore[arg-type]


def _strip(x: Any, getval: Callable[[Any], Any]) -> Any:
    if isinstance(x, Box):
        return getval(x)
    if type(x) in (list, tuple) and any(isinstance(e, (Box, list, tuple)) for e in x):
        return type(x)(_strip(e, getval) for e in x)
    return x


class Composite:
    """A differentiable function built from other primitives, published under a name;
    ``doc`` is its docstring (``fun``'s by default), as a Primitive's."""

    __slots__ = ("name", "fun", "pack", "override", "__dict__")

    def __init__(self, name: str, fun: Callable[..., Any], *, override: bool = False, doc: str | None = None) -> None:
        self.name = name
        self.fun = fun
        self.pack: str | None = None
        self.override = override
        self.__wrapped__ = fun
        if doc is not None:
            self.__doc__ = doc  # otherwise fun's, read when asked for (see _LazyDoc)

    def __repr__(self) -> str:
        return f"<Composite {self.name}>"

    __get__ = Primitive.__get__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fun(*args, **kwargs)


class Rules:
    """Rules one pack adds to another pack's primitive ``target`` (say, a JVP it lacks)."""

    __slots__ = ("target", "vjps", "jvps", "pack")

    def __init__(
        self,
        target: str,
        *,
        vjps: dict[int, Rule] | None = None,
        jvps: dict[int, Rule] | None = None,
    ) -> None:
        self.target = target
        self.vjps = dict(vjps or {})
        self.jvps = dict(jvps or {})
        self.pack: str | None = None

    @property
    def name(self) -> str:
        return self.target

    def __repr__(self) -> str:
        return f"<Rules for {self.target}: vjp {sorted(self.vjps)}, jvp {sorted(self.jvps)}>"


for _cls in (Primitive, NonDifferentiable, Composite):
    _cls.__doc__ = _LazyDoc(_cls.__doc__)  # type: ignore[assignment]


class _CallableModule(types.ModuleType):
    """This module, callable as autograd's top-level ``primitive`` is: after
    ``from plugrad import primitive``, ``@primitive`` makes a primitive as
    ``@plugrad.extend.primitive`` does, with autograd's deprecated methods too (see
    :func:`plugrad.extend.deprecated_primitive`), and ``plugrad.primitive.Primitive`` is
    still the class."""

    def __call__(self, fun: Callable[..., Any]) -> Primitive:
        from plugrad.extend import deprecated_primitive

        return deprecated_primitive(fun)


sys.modules[__name__].__class__ = _CallableModule
