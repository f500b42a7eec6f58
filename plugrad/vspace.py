"""Vector spaces: what counts as a vector, so the AD machinery never has to ask.

``vspace(x)`` gives the space ``x`` lives in: Python floats and complex numbers,
NumPy arrays and scalars of a float or complex dtype, and lists, tuples,
named tuples and dicts of those, nested as deep as you like. A pack adds
spaces for new types (a Dask array, a dataclass of parameters) through the
``plugrad_types`` hook, which calls :func:`register_vspace`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.box import Box, check_refused, check_type_name, getval, load_named, qualified_names, record_class_name
from plugrad.errors import NotDifferentiableError, user_stacklevel

__all__ = [
    "VSpace",
    "ArrayVSpace",
    "ScalarVSpace",
    "SequenceVSpace",
    "DictVSpace",
    "vspace",
    "register_vspace",
]


_CO_VARARGS = 0x04  # inspect.CO_VARARGS, without importing inspect (an import-time cost)


def _generator_taken(method: Any) -> str:
    """How ``randn`` takes a generator: ``"position"`` (``randn(self, rng)``, or ``*args``),
    ``"keyword"`` (``randn(self, *, rng)``) or ``""`` (``randn(self)``, autograd's, or a static
    ``randn()`` or class method ``randn(cls)``), read off the function under any
    ``functools.wraps`` decorators."""
    static = isinstance(method, staticmethod)
    function = method.__func__ if isinstance(method, (staticmethod, classmethod)) else method
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    code = getattr(function, "__code__", None)
    if code is None:  # (not a plain function: a callable object, a builtin; assumed to)
        return "position"
    if code.co_argcount > (0 if static else 1) or code.co_flags & _CO_VARARGS:
        return "position"
    keywords = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    return "keyword" if "rng" in keywords else ""


class VSpace:
    """A real vector space: zeros, ones, addition, scaling, inner products, a basis."""

    __slots__ = ()
    shape: tuple[int, ...] = ()
    dtype: Any = None
    iscomplex: bool = False

    def __init__(self, value: Any = None) -> None:
        """A space is built from one of its values (``ArrayVSpace(x)``); this one reads nothing."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own: Any = cls.__dict__.get("randn")
        taken = _generator_taken(own) if own is not None else "position"
        if taken != "position":
            # A space written for autograd draws from NumPy's global generator, as its
            # ``randn(self)`` does: given the checker's generator (and a container's space
            # passing it down to its elements' spaces), it is called without it; one that
            # takes the generator by keyword only gets it so.
            # (a static or class method takes no instance: bound now, to its class)
            unbound = isinstance(own, (staticmethod, classmethod))
            call = own.__get__(None, cls) if unbound else own

            def randn(self: VSpace, rng: np.random.Generator | None = None) -> Any:
                given = (self,) if not unbound else ()
                return call(*given, rng=rng) if taken == "keyword" else call(*given)

            randn.__doc__ = getattr(own, "__doc__", None)
            randn.__qualname__ = f"{cls.__qualname__}.randn"
            cls.randn = randn  # type: ignore[method-assign]

    @property
    def size(self) -> int:
        """The dimension as a real vector space: two per complex element, as many as
        :meth:`standard_basis` yields. A subclass may also set it (``self.size = n``)."""
        own = getattr(self, "__dict__", None)
        if own and "size" in own:
            return own["size"]  # type: ignore[no-any-return]
        return math.prod(self.shape) * (2 if self.iscomplex else 1)

    @size.setter
    def size(self, value: int) -> None:
        try:
            self.__dict__["size"] = value
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} has __slots__ without a 'size' slot, so its size cannot be "
                "set; it is computed from shape and iscomplex (or override the size property)."
            ) from None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def zeros(self) -> Any:
        raise NotImplementedError

    def ones(self) -> Any:
        raise NotImplementedError

    def standard_basis(self) -> Any:
        raise NotImplementedError

    def randn(self, rng: np.random.Generator | None = None) -> Any:
        """A random vector of standard normal entries, drawn from ``rng`` (the gradient
        checker passes its own), or without one from NumPy's global generator, so that
        ``np.random.seed`` makes it reproducible, as in autograd."""
        raise NotImplementedError

    # The arithmetic. A subclass overrides these methods or, as a space written for autograd
    # does, the underscore hooks they call.
    def add(self, x: Any, y: Any) -> Any:
        return self._add(x, y)

    def mut_add(self, x: Any, y: Any) -> Any:
        """``x + y``, possibly written into ``x``."""
        return self._mut_add(x, y)

    def scalar_mul(self, x: Any, a: Any) -> Any:
        return self._scalar_mul(x, a)

    def inner_prod(self, x: Any, y: Any) -> float:
        """The real inner product Re <x, y>, conjugating ``x``."""
        return self._inner_prod(x, y)

    def covector(self, x: Any) -> Any:
        return self._covector(x)

    def _add(self, x: Any, y: Any) -> Any:
        return x + y

    def _mut_add(self, x: Any, y: Any) -> Any:
        return self.add(x, y)

    def _scalar_mul(self, x: Any, a: Any) -> Any:
        return x * a

    def _inner_prod(self, x: Any, y: Any) -> float:
        raise NotImplementedError(
            f"{type(self).__name__} defines no inner product: override inner_prod (or _inner_prod)."
        )

    def _covector(self, x: Any) -> Any:
        return np.conj(x) if self.iscomplex else x

    def flatten(self, x: Any) -> np.ndarray:
        """``x`` as a flat real array (complex parts interleaved)."""
        raise NotImplementedError

    def unflatten(self, flat: np.ndarray) -> Any:
        """Inverse of :meth:`flatten`."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        # Python floats and NumPy scalars and arrays of one shape and dtype are one space; a
        # space of another kind (a pack's type) equals only spaces of its own class.
        return isinstance(other, VSpace) and _kind(self) is _kind(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((_kind(self), self._key()))

    def _key(self) -> Any:
        return (self.shape, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype})"

    # autograd spelling
    @classmethod
    def register(cls, value_type: type, factory: Callable[[Any], VSpace] | None = None) -> None:
        register_vspace(value_type, factory or cls)


def _source(rng: np.random.Generator | None) -> Any:
    """``rng``, or NumPy's global generator (the ``numpy.random`` module's functions)."""
    return np.random if rng is None else rng


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.empty((), dtype).real.dtype


class ArrayVSpace(VSpace):
    """NumPy arrays and NumPy scalars of one shape and a float or complex dtype."""

    __slots__ = ("shape", "dtype", "iscomplex", "scalar")

    def __init__(self, value: Any) -> None:
        arr = value if type(value) is np.ndarray else np.asarray(value)
        kind = arr.dtype.kind
        if kind != "f" and kind != "c":
            raise NotDifferentiableError(_bad_type_message(value))
        self.shape = arr.shape
        self.dtype = arr.dtype
        self.iscomplex = kind == "c"
        self.scalar = not isinstance(value, np.ndarray)  # numpy scalar: keep results scalars

    @property  # type: ignore[misc]  # computed: a slotted space has nowhere to set it
    def size(self) -> int:
        return math.prod(self.shape) * (2 if self.iscomplex else 1)

    def _out(self, arr: np.ndarray) -> Any:
        return arr[()] if self.scalar else arr

    def zeros(self) -> Any:
        return self._out(np.zeros(self.shape, self.dtype))

    def ones(self) -> Any:
        return self._out(np.ones(self.shape, self.dtype))

    def standard_basis(self) -> Any:
        for idx in np.ndindex(*self.shape):
            vec = np.zeros(self.shape, self.dtype)
            vec[idx] = 1
            yield self._out(vec)
            if self.iscomplex:
                vec = np.zeros(self.shape, self.dtype)
                vec[idx] = 1j
                yield self._out(vec)

    def randn(self, rng: np.random.Generator | None = None) -> Any:
        source = _source(rng)
        x = source.standard_normal(self.shape)
        if self.iscomplex:
            x = x + 1j * source.standard_normal(self.shape)
        return self._out(np.asarray(x, self.dtype))

    def inner_prod(self, x: Any, y: Any) -> float:
        if isinstance(x, Box) or isinstance(y, Box):
            return _traced_inner_prod(x, y, self.iscomplex)
        return float(np.real(np.vdot(np.ravel(x), np.ravel(y))))

    def flatten(self, x: Any) -> np.ndarray:
        flat = np.ravel(getval(x))
        if self.iscomplex:
            return np.concatenate([flat.real, flat.imag])
        return flat

    def unflatten(self, flat: np.ndarray) -> Any:
        if self.iscomplex:
            n = math.prod(self.shape)
            flat = flat[:n] + 1j * flat[n:]
        return self._out(np.reshape(np.asarray(flat, self.dtype), self.shape))


class ScalarVSpace(VSpace):
    """Python ``float`` and ``complex``: results stay Python numbers."""

    __slots__ = ("dtype", "iscomplex", "kind")
    shape = ()

    def _key(self) -> Any:
        return ((), self.dtype)

    def __init__(self, value: Any) -> None:
        self.kind: type = type(value)
        self.iscomplex = self.kind is complex
        self.dtype = np.dtype(np.complex128 if self.iscomplex else np.float64)

    @property  # type: ignore[misc]  # computed: a slotted space has nowhere to set it
    def size(self) -> int:
        return 2 if self.iscomplex else 1

    def zeros(self) -> Any:
        return self.kind(0.0)

    def ones(self) -> Any:
        return self.kind(1.0)

    def standard_basis(self) -> Any:
        yield self.kind(1.0)
        if self.iscomplex:
            yield 1j

    def randn(self, rng: np.random.Generator | None = None) -> Any:
        source = _source(rng)
        x = float(source.standard_normal())
        return complex(x, float(source.standard_normal())) if self.iscomplex else x

    def inner_prod(self, x: Any, y: Any) -> float:
        if isinstance(x, Box) or isinstance(y, Box):
            return _traced_inner_prod(x, y, self.iscomplex)
        return float((np.conj(x) * y).real)

    def flatten(self, x: Any) -> np.ndarray:
        x = getval(x)
        return np.array([x.real, x.imag]) if self.iscomplex else np.array([float(x)])

    def unflatten(self, flat: np.ndarray) -> Any:
        return complex(flat[0], flat[1]) if self.iscomplex else float(flat[0])


def _traced_inner_prod(x: Any, y: Any, iscomplex: bool) -> float:
    """Re <x, y> where ``x`` or ``y`` is traced: written with the values' own operators and
    methods (a pack's box class), so it is differentiable, to any order. (A traced float,
    which stands for a float wherever one is expected.)"""
    prod = x.real * y.real + x.imag * y.imag if iscomplex else x * y
    total: float = prod.sum() if hasattr(prod, "sum") else prod
    return total


class SequenceVSpace(VSpace):
    """Lists, tuples and named tuples: the direct sum of their elements' spaces."""

    __slots__ = ("kind", "spaces")

    def __init__(self, value: Any) -> None:
        self.kind: type = type(value)
        self.spaces: tuple[VSpace, ...] = tuple(vspace(v) for v in value)

    def _key(self) -> Any:
        return (self.kind, self.spaces)

    def __repr__(self) -> str:
        return f"SequenceVSpace({self.kind.__name__}, {list(self.spaces)})"

    @property
    def shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (len(self.spaces),)

    @property  # type: ignore[misc]  # computed: a slotted space has nowhere to set it
    def size(self) -> int:
        return sum(vs.size for vs in self.spaces)

    @property
    def iscomplex(self) -> bool:  # type: ignore[override]
        return any(vs.iscomplex for vs in self.spaces)

    def build(self, elems: list[Any]) -> Any:
        from plugrad import builtins

        if self.kind is list:
            return builtins.list(elems)
        if self.kind is tuple:
            return builtins.tuple(elems)
        return builtins.make_sequence(self.kind, *elems)

    def zeros(self) -> Any:
        return self.build([vs.zeros() for vs in self.spaces])

    def ones(self) -> Any:
        return self.build([vs.ones() for vs in self.spaces])

    def randn(self, rng: np.random.Generator | None = None) -> Any:
        return self.build([vs.randn(rng) for vs in self.spaces])

    def standard_basis(self) -> Any:
        for i, space in enumerate(self.spaces):
            for basis in space.standard_basis():
                elems = [vs.zeros() for vs in self.spaces]
                elems[i] = basis
                yield self.build(elems)

    def add(self, x: Any, y: Any) -> Any:
        return self.build([vs.add(x[i], y[i]) for i, vs in enumerate(self.spaces)])

    def scalar_mul(self, x: Any, a: Any) -> Any:
        return self.build([vs.scalar_mul(x[i], a) for i, vs in enumerate(self.spaces)])

    def covector(self, x: Any) -> Any:
        return self.build([vs.covector(x[i]) for i, vs in enumerate(self.spaces)])

    def inner_prod(self, x: Any, y: Any) -> float:
        return sum(vs.inner_prod(x[i], y[i]) for i, vs in enumerate(self.spaces))

    def flatten(self, x: Any) -> np.ndarray:
        parts = [vs.flatten(x[i]) for i, vs in enumerate(self.spaces)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflatten(self, flat: np.ndarray) -> Any:
        elems, start = [], 0
        for vs in self.spaces:
            n = len(vs.flatten(vs.zeros()))
            elems.append(vs.unflatten(flat[start : start + n]))
            start += n
        if self.kind in (list, tuple):
            return self.kind(elems)
        return self.kind(*elems)


class DictVSpace(VSpace):
    """Dicts: the direct sum of their values' spaces, keyed as the dict is."""

    __slots__ = ("kind", "spaces")

    def __init__(self, value: Any) -> None:
        self.kind: type = type(value)
        self.spaces: dict[Any, VSpace] = {k: vspace(v) for k, v in value.items()}

    def _key(self) -> Any:
        return (self.kind, tuple(self.spaces.items()))

    def __repr__(self) -> str:
        return f"DictVSpace({self.spaces})"

    @property
    def shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return (len(self.spaces),)

    @property  # type: ignore[misc]  # computed: a slotted space has nowhere to set it
    def size(self) -> int:
        return sum(vs.size for vs in self.spaces.values())

    @property
    def iscomplex(self) -> bool:  # type: ignore[override]
        return any(vs.iscomplex for vs in self.spaces.values())

    def build(self, items: dict[Any, Any]) -> Any:
        from plugrad import builtins

        return builtins.dict(items) if self.kind is dict else builtins.make_mapping(self.kind, items)

    def zeros(self) -> Any:
        return self.build({k: vs.zeros() for k, vs in self.spaces.items()})

    def ones(self) -> Any:
        return self.build({k: vs.ones() for k, vs in self.spaces.items()})

    def randn(self, rng: np.random.Generator | None = None) -> Any:
        return self.build({k: vs.randn(rng) for k, vs in self.spaces.items()})

    def standard_basis(self) -> Any:
        for key, space in self.spaces.items():
            for basis in space.standard_basis():
                items = {k: vs.zeros() for k, vs in self.spaces.items()}
                items[key] = basis
                yield self.build(items)

    def add(self, x: Any, y: Any) -> Any:
        return self.build({k: vs.add(x[k], y[k]) for k, vs in self.spaces.items()})

    def scalar_mul(self, x: Any, a: Any) -> Any:
        return self.build({k: vs.scalar_mul(x[k], a) for k, vs in self.spaces.items()})

    def covector(self, x: Any) -> Any:
        return self.build({k: vs.covector(x[k]) for k, vs in self.spaces.items()})

    def inner_prod(self, x: Any, y: Any) -> float:
        return sum(vs.inner_prod(x[k], y[k]) for k, vs in self.spaces.items())

    def flatten(self, x: Any) -> np.ndarray:
        parts = [vs.flatten(x[k]) for k, vs in self.spaces.items()]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflatten(self, flat: np.ndarray) -> Any:
        items, start = {}, 0
        for k, vs in self.spaces.items():
            n = len(vs.flatten(vs.zeros()))
            items[k] = vs.unflatten(flat[start : start + n])
            start += n
        return self.kind(items)


def _kind(space: VSpace) -> type:
    """The class that tells ``space``'s kind for equality: one for NumPy's and Python's numbers."""
    t = type(space)
    return ArrayVSpace if t is ScalarVSpace else t


# value type -> factory(value) -> VSpace. Packs extend it through the ``plugrad_types`` hook.
_vspace_types: dict[type, Callable[[Any], VSpace]] = {
    float: ScalarVSpace,
    complex: ScalarVSpace,
    np.ndarray: ArrayVSpace,
    list: SequenceVSpace,
    tuple: SequenceVSpace,
    dict: DictVSpace,
}
for _t in (np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, np.clongdouble):
    _vspace_types[_t] = ArrayVSpace


_array_spaces: dict[tuple[Any, ...], ArrayVSpace] = {}


def _array_space(value: np.ndarray) -> ArrayVSpace:
    # Spaces are immutable values: one per shape and dtype serves every array of them
    # (each gradient of a list of arrays asks for several).
    key = (value.shape, value.dtype)
    space = _array_spaces.get(key)
    if space is None:
        space = ArrayVSpace(value)
        if len(_array_spaces) >= 1024:
            _array_spaces.clear()
        _array_spaces[key] = space
    return space


_vspace_types[np.ndarray] = _array_space


_vspace_types_by_name: dict[str, Callable[[Any], VSpace] | str] = {}
_named_types_by: dict[str, str] = {}  # a type's qualified name -> who registered its space ("pack quat")


def register_vspace(value_type: type | str, factory: Callable[[Any], VSpace] | str, *, by: str = "") -> None:
    """Let plugrad differentiate with respect to values of ``value_type``. A qualified
    name such as ``"dask.array.core.Array"`` registers a type without importing its library;
    the factory may then be named too, as ``"module:Class"``, and its module is imported
    when the first value of that type needs its space. ``by`` says who registered it."""
    check_type_name(value_type)
    if isinstance(factory, str):
        record_class_name(value_type, factory, "vector space", by)
    if isinstance(value_type, str):
        _vspace_types_by_name[value_type] = factory
        _named_types_by[value_type] = by
    else:
        _vspace_types[value_type] = factory  # type: ignore[assignment]  # (a factory: checked above)


def vspace(value: Any) -> VSpace:
    """The vector space ``value`` (or the value under a box) belongs to."""
    while isinstance(value, Box):
        value = value._value
    t = type(value)
    factory = _vspace_types.get(t)
    if factory is None:
        check_refused(t)  # (before a base's space: a masked array is an ndarray)
        for base, f in list(_vspace_types.items()):
            if isinstance(value, base):
                factory = f
                break
        else:
            for name in qualified_names(t):
                named = _vspace_types_by_name.get(name)
                if isinstance(named, str):  # (registered by name: imported now, once)
                    named = _vspace_types_by_name[name] = load_vspace(named, name)
                if named is not None:
                    factory = named
                    break
            else:
                raise NotDifferentiableError(_bad_type_message(value))
        _vspace_types[t] = factory
    space = factory(value)
    if not isinstance(space, VSpace):  # (a pack's factory's mistake, said where it is made)
        raise TypeError(
            f"the vector space factory {getattr(factory, '__qualname__', factory)!r} registered for "
            f"{qualified_names(t)[0]} returned {space!r}, not a plugrad.VSpace: return the space of the value"
        )
    return space


def load_vspace(name: str, of: str) -> Callable[[Any], VSpace]:
    """The vector space (a VSpace subclass, or a function of a value) ``"module:Class"``
    registered for the type named ``of``."""
    # A class must be a VSpace subclass (a class is not a factory of spaces: its instances
    # would be refused at every value); a function returning one is judged when it is called.
    is_space = lambda f: issubclass(f, VSpace) if isinstance(f, type) else callable(f)  # noqa: E731
    return load_named(name, of, "vector space", is_space, ", not a subclass of plugrad.VSpace (nor a function returning a space)")  # type: ignore[no-any-return]


def holds_arrays(space: VSpace) -> bool:
    """Whether ``space``'s values are arrays of numbers (a Dask array's are; a user's class of
    coefficients is not), as its zeros, made a NumPy array, tell."""
    return np.asarray(space.zeros()).dtype.kind in "fc"


def output_space(value: Any) -> VSpace:
    """The space of the derivatives of an output ``value``: :func:`vspace`'s, but for an
    integer or boolean array or number (a step function's, ``np.where(x > 0, 1, 0)``), whose
    derivative is zero, the float64 space of its shape, as autograd's operators take it."""
    if _integral(value):
        return vspace(np.zeros(np.shape(value)))
    return vspace(value)


def _integral(value: Any) -> bool:
    """Whether ``value`` is an integer or boolean number or NumPy array."""
    t = type(value)
    return t is bool or t is int or (isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biu")


def output_space_of(op: str, value: Any) -> VSpace:
    """:func:`output_space`, or NotDifferentiableError saying that ``op`` (``"jacobian(f)"``)
    needs another kind of output, where ``value``, a function's output, has no space (None,
    a string, a container holding one)."""
    if _integral(value):
        kind = "booleans" if type(value) is bool or np.asarray(value).dtype.kind == "b" else "integers"
        warnings.warn(
            f"{op}: the function returned {kind}, which have no derivative: the result is zero. "
            "Return the float quantity they count or compare.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    try:
        return output_space(value)
    except NotDifferentiableError:
        value = getval(value)
        if value is None:
            what = "None. Does it end with a return statement?"
        else:
            where, leaf = first_bad_leaf(value)
            inside = f" holding {_a(type(leaf).__name__)} at {where}" if where else ""
            what = f"{_a(type(value).__name__)}{inside}, which has no derivative"
            try:
                check_refused(type(leaf))
            except NotDifferentiableError as refusal:  # (a masked array: why, and what instead)
                what += f": {refusal}"
            else:
                if isinstance(leaf, (bool, int, np.bool_, np.integer)):
                    what += " (return floats, 3.0 rather than 3, or leave the integer out)"
                elif not isinstance(leaf, (str, bytes)) and leaf is not None:
                    what += " (no loaded pack registers a vector space for its type)"
        raise NotDifferentiableError(
            f"{op} needs a function returning floats, complex numbers or arrays of them (or "
            f"lists, tuples and dicts of those); it returned {what}"
        ) from None


def _a(noun: str) -> str:
    """``noun`` with its indefinite article, as read aloud: an ndarray, an Array, a float."""
    return f"{'an' if noun[:1].lower() in 'aeiou' or noun.startswith('nd') else 'a'} {noun}"


def first_bad_leaf(value: Any) -> tuple[str, Any]:
    """The path (``[1]['n']``; empty for ``value`` itself) to the first element of the
    container ``value`` that has no vector space, and that element."""
    items = value.items() if type(value) is dict else enumerate(value) if type(value) in (list, tuple) else ()
    for key, v in items:
        try:
            check(v)
        except NotDifferentiableError:
            where, leaf = first_bad_leaf(v)
            return f"[{key!r}]{where}", leaf
    return "", value


def space_or_none(value: Any) -> VSpace | None:
    """The vector space of ``value``, or None where it has none (a string, an integer)."""
    try:
        return vspace(value)
    except NotDifferentiableError:
        return None


_ndarray = np.ndarray  # (NumPy defines a module __getattr__, so CPython does not specialize np.ndarray)
# The native-order float and complex dtypes: one set lookup, cheaper than reading dtype.kind
# (any other dtype, a byte-swapped one, takes the full check).
_FLOAT_DTYPES = frozenset(np.dtype(code) for code in "efdgFDG")


def check(value: Any) -> None:
    """Raise NotDifferentiableError, saying why, unless ``value`` belongs to a vector
    space. The same verdict as :func:`vspace`, without building spaces for the common types."""
    t = type(value)
    if t is float or t is complex:
        return
    if t is _ndarray:
        if value.dtype.kind in "fc":
            return
    elif t is list or t is tuple:
        for v in value:  # parameters: float arrays and floats, checked inline
            tv = type(v)
            if (tv is _ndarray and v.dtype in _FLOAT_DTYPES) or tv is float:
                continue
            check(v)
        return
    elif t is dict:
        for v in value.values():
            check(v)
        return
    elif isinstance(value, Box):  # inside another derivative: the value under the boxes
        while isinstance(value, Box):
            value = value._value
        check(value)
        return
    vspace(value)


def _bad_type_message(value: Any) -> str:
    t = type(value)
    what = f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__name__
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == bool):
        hint = "Booleans have no derivative."
    elif isinstance(value, (int, np.integer)) or (
        isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer)
    ):
        hint = "Integers have no derivative: pass a float (3.0 rather than 3, or x.astype(float))."
    else:
        hint = (
            "Differentiate with respect to floats, complex numbers, float or complex arrays, "
            "or lists, tuples and dicts of them; a pack can add a type with the plugrad_types hook."
        )
        # A pack that registered the class under another module's name (a re-export: the
        # values are matched by their class's own module and __qualname__).
        near = sorted(n for n in _vspace_types_by_name if n.rpartition(".")[2] == t.__qualname__ and n != what)
        if near:
            by = _named_types_by.get(near[0])
            hint = (
                f"{(by or 'a pack').capitalize()} registered the type as {near[0]!r}, but values are matched by their "
                f"class's own module and __qualname__, {what!r}: register that name."
            )
    dtype = f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else ""
    return f"cannot differentiate with respect to a value of type {what}{dtype}. {hint}"
