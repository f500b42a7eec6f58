"""Boxes and traces: the only state plugrad keeps while it differentiates.

A :class:`Box` wraps a value computed while a function is being traced, with its
trace and its position on the trace's tape; the tape holds one flat tuple per
operation (see :mod:`plugrad.primitive`). So an operation allocates a box and a
tuple, and the box holds nothing the backward pass needs: a dropped intermediate
is freed at once unless a rule reads it.

A :class:`Trace` is one differentiation in progress. Traces are ordered by
``level``; a box of a higher level wraps values that may themselves be boxes of
lower levels, which is how derivatives of derivatives work. Nothing here is
global: a trace is reachable only through its boxes, so concurrent gradients in
different threads never meet.
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
from collections.abc import Callable
from typing import Any, ClassVar

from plugrad.debug import _enabled
from plugrad.errors import NamedClassError, NotDifferentiableError, TraceError

__all__ = ["Box", "Meta", "Trace", "box_type", "register_box_type", "refuse_type", "getval", "plain_value", "isbox"]

_levels = itertools.count(1)  # next() on a count is atomic under the GIL
_debugging = _enabled.get  # debug.enabled, one call cheaper


class Trace:
    """One reverse- or forward-mode differentiation in progress."""

    __slots__ = ("level", "forward", "tape", "sites", "fast_tape", "nested", "recording")

    def __init__(self, forward: bool = False) -> None:
        self.level: int = next(_levels)
        self.forward: bool = forward
        # Reverse mode records one node per operation here, in creation order (the
        # layouts are described in plugrad.primitive). The backward pass walks it
        # backwards, so no graph sort is needed. ``None`` once the trace is closed.
        self.tape: list[tuple[Any, ...]] | None = None if forward else []
        # In debug mode: tape index (reverse) or box id (forward) -> where the user called it.
        self.sites: dict[int, str] | None = {} if _debugging() else None
        # The tape while the fast paths may append to it (reverse mode, not debugging,
        # trace still open); None otherwise, so they check one attribute.
        self.fast_tape: list[tuple[Any, ...]] | None = self.tape if self.sites is None else None
        # Whether a box of this trace may hold a box of a lower level (a derivative of a
        # derivative): set when the start value holds one and when an operation mixes
        # levels. While it is False the fast paths need not look under values.
        self.nested: bool = False
        # A trace that records a function's operations to replay them (misc.const_graph),
        # not to differentiate: non-differentiable functions and comparisons of its boxes
        # are recorded too, so a replay recomputes masks and indices.
        self.recording: bool = False

    def close(self) -> None:
        """End tracing: a box that escapes the function cannot be traced further."""
        self.tape = self.fast_tape = None

    def __repr__(self) -> str:
        mode = "forward" if self.forward else "reverse"
        return f"<Trace level={self.level} {mode}>"


class Box:
    """A traced value.

    ``_value`` is the value at this trace's level (it may be a box of a lower
    level). In reverse mode ``_index`` is the position of the box's node on the
    trace's tape; in forward mode ``_tangent`` is its tangent. The box holds
    nothing else, so an intermediate the rules do not need is freed as soon as
    the user's code drops it.
    """

    __slots__ = ("_value", "_trace", "_index", "_tangent", "__weakref__")

    _value: Any
    _trace: Trace
    _index: int
    _tangent: Any
    _sequence: ClassVar[bool] = False  # a traced list or tuple (plugrad.builtins.SequenceBox)

    # No __init__: primitives build boxes with ``cls()`` and fill the slots, which is
    # the fastest way CPython makes an object.

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A box class may also derive from the class of the values it wraps, as autograd
        # allowed (``class PointBox(Box, Point)``). ``cls()`` must not run that class's
        # __init__, which expects the value's own arguments: the box's is a no-op.
        for klass in cls.__mro__:
            if "__init__" in vars(klass):
                if klass is not object and not issubclass(klass, Box):
                    cls.__init__ = _no_init  # type: ignore[method-assign,assignment]
                break

    @classmethod
    def new(cls, value: Any, trace: Trace) -> Box:
        """A box of ``trace`` holding ``value``: the start of a trace."""
        box = cls()
        box._value = value
        box._trace = trace
        box._index = 0
        box._tangent = None
        return box

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value!r}, level={self._trace.level})"

    def __bool__(self) -> bool:
        return bool(self._value)

    # Boxes are graph nodes: identity hashing, so they can key dicts and sets.
    __hash__ = object.__hash__

    # A traced value never changes, so a copy of it, shallow or deep, is the value itself,
    # still traced: copy.deepcopy of parameters inside a loss keeps their derivative (a
    # copy of the box's slots would copy the trace too, which no differentiation knows).
    def __copy__(self) -> Box:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Box:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TraceError(
            f"a traced {type(self._value).__name__} cannot be pickled: its derivative lives in the "
            "differentiation tracing it, which a pickle cannot carry (pickle.loads would give an "
            "untraced copy, a constant). Pickle the result of the differentiation, or plain values."
        )

    @classmethod
    def register(cls, value_type: type) -> None:
        """Wrap traced values of ``value_type`` in this class (autograd's spelling)."""
        register_box_type(value_type, cls)


def _no_init(self: Box, *args: Any, **kwargs: Any) -> None:
    """The __init__ of a box class that also derives from its values' class."""


class Meta:
    """What a rule that needs only shapes keeps of an array argument: shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for k in self.shape:
            n *= k
        return n

    def __repr__(self) -> str:
        return f"Meta(shape={self.shape}, dtype={self.dtype})"


# Type of the value -> Box subclass used to wrap it. Packs extend it through the
# ``plugrad_types`` hook (a numpy pack registers a box with array methods and
# operators); anything unregistered is wrapped in a plain Box.
_box_types: dict[type, type[Box]] = {}


_box_types_by_name: dict[str, type[Box] | str] = {}
_packs_asked = False  # whether box_type has had the packs register their box classes


def register_box_type(value_type: type | str, box_cls: type[Box] | str, *, by: str = "") -> None:
    """Wrap traced values of ``value_type`` in ``box_cls``. A qualified name such as
    ``"dask.array.core.Array"`` registers a type without importing its library; the box
    class may then be named too, as ``"module:Class"`` (``"plugrad_dask.box:DaskArrayBox"``),
    and its module is imported when the first value of that type is traced. ``by`` says
    who registered it (``"pack dask"``), for the error if it cannot be loaded then."""
    check_type_name(value_type)
    if isinstance(box_cls, str):
        record_class_name(value_type, box_cls, "box class", by)
    if isinstance(value_type, str):
        _box_types_by_name[value_type] = box_cls
    else:
        _box_types[value_type] = box_cls  # type: ignore[assignment]  # (a class: checked above)


def check_type_name(value_type: Any) -> None:
    """Refuse a type given by a name that cannot be a class's qualified name (``"mylib:Poly"``):
    values are matched by their class's module and ``__qualname__``, dotted."""
    if isinstance(value_type, str) and not all(part.isidentifier() for part in value_type.split(".")):
        raise TypeError(
            f"a type is named by its module and qualified name, dotted ('dask.array.core.Array'), not {value_type!r}"
        )


def type_named(name: str) -> str:
    """Why the class named ``name`` (a type registered by name) does not match its values, or
    ``""`` where it does: it must import, and its class's own module and ``__qualname__`` must
    spell ``name`` (``dask.array.Array`` re-exports ``dask.array.core.Array``, which its
    values' type names). Imports the type's module: for diagnostics, not for derivatives."""
    parts = name.split(".")
    error: Exception | None = None
    for split in range(len(parts) - 1, 0, -1):  # the longest importable module first
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except Exception as exc:  # noqa: BLE001 - (a module may raise anything on import: reported)
            error = exc
            continue
        try:
            for part in parts[split:]:
                found = getattr(found, part)
        except AttributeError as exc:
            error = exc
            continue
        if not isinstance(found, type):
            return f"it names {found!r}, not a class"
        actual = qualified_names(found)[0]
        if actual != name:
            return f"the class it names is {actual} by its module and __qualname__, which its values are matched by: register {actual!r}"
        return ""
    if error is None:  # (no dot: no module)
        return "it names no module: a type is named by its module and qualified name (builtins.float)"
    return f"it names no class that imports ({type(error).__name__}: {error})"


def record_class_name(value_type: Any, name: str, what: str, by: str) -> None:
    """Accept ``name`` as the ``what`` (box class, vector space) of ``value_type``, registered
    ``by`` (``"pack dask"``), only as ``"module:Class"`` and for a type given by name too: a
    class named for a class would be imported at once anyway."""
    module, colon, attr = name.partition(":")
    if not isinstance(value_type, str):
        raise TypeError(f"a {what} named by a string ({name!r}) needs its type named by one too")
    if not (colon and all(p.isidentifier() for p in module.split(".") + attr.split("."))):
        dotted = not colon and all(p.isidentifier() for p in name.split(".")) and "." in name
        hint = f" (for a class of module {name.rpartition('.')[0]}: {':'.join(name.rsplit('.', 1))!r})" if dotted else ""
        raise TypeError(f"a {what} is named as 'module:Class', not {name!r}{hint}")
    _named_by[value_type, what, name] = (by, _registering_line())


# (type's name, what it is, "module:Class") -> who registered it ("pack dask") and where (its file and
# line), for load errors: met later, in plugrad's own code, they would otherwise point there.
# (By the type too: two packs may name one class for their types.)
_named_by: dict[tuple[str, str, str], tuple[str, str]] = {}
_KERNEL = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _registering_line() -> str:
    """``folder/file.py:line`` of the innermost caller outside plugrad's kernel: the pack's
    line that registers a name (its plugrad_types hook's call of register.box)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_KERNEL):
        frame = frame.f_back
    return _at(frame.f_code.co_filename, frame.f_lineno)


def _at(filename: str, line: int) -> str:
    """``folder/file.py:line``: enough of a path to find the file, short enough to read."""
    return f"{'/'.join(filename.replace(chr(92), '/').split('/')[-2:])}:{line}"


def load_named(name: str, of: str, what: str, fits: Callable[[Any], bool], otherwise: str) -> Any:
    """The object ``"module:Class"`` names, registered for the type named ``of`` as ``what``
    (``"box class"``), which ``fits`` must accept. An error loading it, or an object that
    does not fit (then described by ``otherwise``), is a NamedClassError that says what it
    was registered as, by whom and where."""
    module, _, attr = name.partition(":")
    by, line = _named_by.get((of, what, name)) or ("", "")
    registered = f"the {what} of {of}, which {by or 'a pack'} registered as {name!r}{f' at {line}' if line else ''},"
    try:
        found: Any = importlib.import_module(module)
        for part in attr.split("."):
            found = getattr(found, part)
    except Exception as exc:  # (its module may raise anything: the registration is at fault)
        raise NamedClassError(f"{registered} could not be loaded: {type(exc).__name__}: {exc}{_raised_in(exc)}") from exc
    if not fits(found):
        raise NamedClassError(f"{registered} is {found!r}{otherwise}")
    return found


def _raised_in(exc: BaseException) -> str:
    """`` (raised at folder/file.py:line)``, the innermost line of the named module's own code
    (or of what it imported) that raised ``exc``; empty where the import machinery or plugrad
    raised it (a module or class that does not exist, which the registering line locates)."""
    tb, line = exc.__traceback__, ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        machinery = filename.startswith("<frozen ") or tb.tb_frame.f_globals.get("__name__", "").startswith("importlib")
        if not (machinery or filename.startswith(_KERNEL)):
            line = f" (raised at {_at(filename, tb.tb_lineno)})"
        tb = tb.tb_next
    return line


def load_box_class(name: str, of: str) -> type[Box]:
    """The box class ``"module:Class"`` registered for the type named ``of``."""
    is_box = lambda cls: isinstance(cls, type) and issubclass(cls, Box)  # noqa: E731
    return load_named(name, of, "box class", is_box, ", not a subclass of plugrad.Box")  # type: ignore[no-any-return]


def qualified_names(t: type) -> list[str]:
    """``module.QualName`` of ``t`` and of each of its bases, most specific first."""
    return [f"{c.__module__}.{c.__qualname__}" for c in t.__mro__]


# Qualified type name -> why values of that type (or a subclass) are neither traced nor
# differentiated: subclasses of a supported type whose operations mean something else.
_refused: dict[str, str] = {}


def refuse_type(value_type: type | str, reason: str) -> None:
    """Refuse to trace values of ``value_type`` or its subclasses, or differentiate with
    respect to them, saying ``reason`` (what to do instead): for a subclass of a type plugrad
    differentiates whose operations mean something its rules do not (NumPy's masked arrays
    skip masked elements). A qualified name registers a type without importing its library."""
    check_type_name(value_type)
    name = value_type if isinstance(value_type, str) else qualified_names(value_type)[0]
    _refused[name] = reason
    _refusals.clear()


_refusals: dict[type, str | None] = {}  # type -> its refusal's message, or None: check_refused's answers


def check_refused(t: type) -> None:
    """Raise NotDifferentiableError if values of type ``t`` are refused (see :func:`refuse_type`)."""
    try:
        message = _refusals[t]
    except KeyError:
        message = None
        for name in qualified_names(t):
            reason = _refused.get(name)
            if reason is not None:
                message = f"plugrad cannot differentiate through a {qualified_names(t)[0]}: {reason}"
                break
        _refusals[t] = message
    if message is not None:
        raise NotDifferentiableError(message)


def box_type(value: Any) -> type[Box]:
    """The Box subclass for ``value`` (boxes of lower levels keep their own class)."""
    t = type(value)
    cls = _box_types.get(t)
    if cls is not None:
        return cls
    if issubclass(t, Box):
        if t is not BareBox:  # (a BareBox's is looked up each time: see _binary_apply's operators)
            _box_types[t] = t  # a box of a lower level keeps its class; cached for the fast paths
        return t
    check_refused(t)  # (a refused type is never cached: each of its values comes here)
    for base, cls in list(_box_types.items()):
        if isinstance(value, base):
            _box_types[t] = cls
            return cls
    if _box_types_by_name:
        for name in qualified_names(t):
            named = _box_types_by_name.get(name)
            if named is not None:
                if isinstance(named, str):  # (registered by name: imported now, once)
                    named = _box_types_by_name[name] = load_box_class(named, name)
                _box_types[t] = named
                return named
    global _packs_asked
    if not _packs_asked:  # a first trace begun below the API (reverse.make_vjp): the packs' boxes
        from plugrad.registry import ensure_types

        # Asked first, then marked: another thread's first trace, meanwhile, waits in
        # ensure_types for the boxes rather than taking BareBox for an array. (A types hook
        # that traces, in this thread, returns at once from ensure_types: no loop.)
        ensure_types()
        _packs_asked = True
        return box_type(value)
    return BareBox


def _unsupported(what: str) -> Callable[..., Any]:
    """A BareBox method that raises, saying that its value's type has no ``what`` (``"calls"``)."""

    def method(self: BareBox, *args: Any, **kwargs: Any) -> Any:
        raise self._error(what)

    return method


def _unsupported_operator(what: str, reflection: str) -> Callable[[BareBox, Any], Any]:
    """The BareBox operator that ``what`` names (``"the operator +"``, ``__add__``, whose
    ``reflection`` is ``__radd__``). Python would try the other operand's reflection were the
    operator missing, so it does that first (``bare + x`` may be ``x``'s to compute); only
    where that declines too does it raise."""

    def method(self: BareBox, other: Any, *modulo: Any) -> Any:  # (pow's third argument)
        if not isinstance(other, BareBox) and not modulo:  # (two BareBoxes: Python tries no reflection either)
            reflected = getattr(type(other), reflection, None)
            if reflected is not None:
                result = reflected(other, self)
                if result is not NotImplemented:
                    return result
        raise self._error(what)

    return method


class BareBox(Box):
    """The box of a value whose type no pack gave a box class: it has no methods nor operators,
    and says so. (So ``callable`` and ``collections.abc.Iterable`` answer yes for it: calling or
    iterating it raises the error that says why it cannot.)"""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        # Reached only where the normal lookup failed.
        if name.startswith("__") or name in Box.__slots__:
            raise AttributeError(name)
        try:
            kind = type(getval(self)).__name__
        except AttributeError:  # (a box being built: no value yet)
            raise AttributeError(name) from None
        raise AttributeError(
            f"a traced {kind} has no attribute {name!r}: no pack registered a box class for {kind} "
            "(register.box in the plugrad_types hook of the pack that registers its vector space), "
            "whose methods keep traced values traced."
        )

    def _error(self, what: str) -> TraceError:
        kind = type(getval(self)).__name__
        return TraceError(
            f"a traced {kind} does not support {what}: no pack registered a box class for {kind}, whose "
            "methods and operators keep traced values traced. Register one with register.box in the "
            "plugrad_types hook of the pack that registers its vector space, or use that pack's primitives on it."
        )

    __call__ = _unsupported("calls")
    __len__ = _unsupported("len()")
    __iter__ = _unsupported("iteration")
    __getitem__ = _unsupported("indexing")
    __setitem__ = _unsupported("item assignment")
    __delitem__ = _unsupported("item deletion")
    __contains__ = _unsupported("the operator in")
    __reversed__ = _unsupported("reversed()")
    __float__ = _unsupported("float()")
    __int__ = _unsupported("int()")
    __complex__ = _unsupported("complex()")
    __index__ = _unsupported("use as an index")
    __round__ = _unsupported("round()")
    __trunc__ = _unsupported("math.trunc()")
    __floor__ = _unsupported("math.floor()")
    __ceil__ = _unsupported("math.ceil()")
    __neg__ = _unsupported("the operator -")
    __pos__ = _unsupported("the operator +")
    __abs__ = _unsupported("abs()")
    __invert__ = _unsupported("the operator ~")

    __add__ = _unsupported_operator("the operator +", "__radd__")
    __sub__ = _unsupported_operator("the operator -", "__rsub__")
    __mul__ = _unsupported_operator("the operator *", "__rmul__")
    __matmul__ = _unsupported_operator("the operator @", "__rmatmul__")
    __truediv__ = _unsupported_operator("the operator /", "__rtruediv__")
    __floordiv__ = _unsupported_operator("the operator //", "__rfloordiv__")
    __mod__ = _unsupported_operator("the operator %", "__rmod__")
    __divmod__ = _unsupported_operator("divmod()", "__rdivmod__")
    __pow__ = _unsupported_operator("the operator **", "__rpow__")
    __and__ = _unsupported_operator("the operator &", "__rand__")
    __or__ = _unsupported_operator("the operator |", "__ror__")
    __xor__ = _unsupported_operator("the operator ^", "__rxor__")
    __lshift__ = _unsupported_operator("the operator <<", "__rlshift__")
    __rshift__ = _unsupported_operator("the operator >>", "__rrshift__")
    __lt__ = _unsupported_operator("comparisons (<, <=, >, >=)", "__gt__")
    __le__ = _unsupported_operator("comparisons (<, <=, >, >=)", "__ge__")
    __gt__ = _unsupported_operator("comparisons (<, <=, >, >=)", "__lt__")
    __ge__ = _unsupported_operator("comparisons (<, <=, >, >=)", "__le__")

    # Reached only after the other operand's own operator declined (x + bare): nothing to try.
    __radd__ = _unsupported("the operator +")
    __rsub__ = _unsupported("the operator -")
    __rmul__ = _unsupported("the operator *")
    __rmatmul__ = _unsupported("the operator @")
    __rtruediv__ = _unsupported("the operator /")
    __rfloordiv__ = _unsupported("the operator //")
    __rmod__ = _unsupported("the operator %")
    __rdivmod__ = _unsupported("divmod()")
    __rpow__ = _unsupported("the operator **")
    __rand__ = _unsupported("the operator &")
    __ror__ = _unsupported("the operator |")
    __rxor__ = _unsupported("the operator ^")
    __rlshift__ = _unsupported("the operator <<")
    __rrshift__ = _unsupported("the operator >>")


def holds_box(x: Any) -> bool:
    """Whether ``x`` is a box, or a list, tuple or dict holding one at any depth."""
    if isinstance(x, Box):
        return True
    if isinstance(x, (list, tuple)):
        for v in x:
            if isinstance(v, Box) or (isinstance(v, (list, tuple, dict)) and holds_box(v)):
                return True
        return False
    if isinstance(x, dict):
        return any(holds_box(v) for v in x.values())
    return False


def isbox(x: Any) -> bool:
    """Whether ``x`` is a traced value."""
    return isinstance(x, Box)


def getval(x: Any) -> Any:
    """The plain value under any number of boxes."""
    while isinstance(x, Box):
        x = x._value
    return x


def plain_value(x: Any) -> Any:
    """:func:`getval` of ``x``, and of each element of its lists and tuples at any depth (a
    list stays a list, any tuple becomes a plain tuple): an argument holding traced numbers,
    such as a histogram's ``range`` or a sampler's probabilities, made plain for NumPy."""
    x = getval(x)
    if isinstance(x, (list, tuple)):
        elements = [plain_value(e) for e in x]
        return elements if isinstance(x, list) else tuple(elements)
    return x
