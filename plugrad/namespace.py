"""The modules users import, ``plugrad.numpy``, ``plugrad.scipy.special`` and so on,
filled from the registry.

An import hook (``plugrad._Finder``) serves ``plugrad.<ns>`` for every namespace a
loaded pack declares (and for NumPy's and SciPy's submodules); ``plugrad.numpy`` and
``plugrad.scipy`` are packages on disk that fill themselves (:func:`fill`), so they are
found before the hook is installed. Attribute lookup on such a module asks
the registry for ``<ns>.<name>``: a registered primitive is returned as it is;
anything else comes from the mirrored library (``numpy`` for ``plugrad.numpy``):
constants, dtypes and classes unchanged, functions wrapped so that a traced
argument raises a clear error instead of being silently dropped. Each attribute
is resolved once and then cached on the module.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

from plugrad.box import Box, getval
from plugrad.errors import NotDifferentiableError, PlugradError
from plugrad.primitive import Composite, published_function

__all__ = ["Unregistered", "create", "fill", "is_namespace_module", "namespace_module", "published", "stand_in"]


def _mirrored(ns: str) -> bool:
    """Whether ``plugrad.<ns>`` mirrors a library's module (``numpy.fft``)."""
    import plugrad  # (its import hook needs the names first)

    return ns.split(".")[0] in plugrad._MIRRORED_ROOTS


def _mirror(ns: str) -> types.ModuleType | None:
    if not _mirrored(ns):
        return None
    try:
        return importlib.import_module(ns)
    except ImportError:
        return None


# Parameters that take a shape, size, count or index, by NumPy's names for them.
_SIZES = frozenset(
    {"shape", "size", "n", "N", "M", "k", "num", "start", "stop", "step", "start_or_stop", "repeats", "reps", "newshape"}
)


def _traced(a: Any) -> bool:
    """Whether ``a`` is traced, or is a list or tuple holding a traced value."""
    return isinstance(a, Box) or (type(a) in (list, tuple) and any(isinstance(e, Box) for e in a))


def _ndim(value: Any) -> int:
    while isinstance(value, Box):
        value = value._value
    return len(getattr(value, "shape", ()))  # (a Python number: 0; NumPy is not imported here)


class Unregistered:
    """A library function no loaded pack differentiates: plain calls pass through,
    traced arguments raise :class:`~plugrad.errors.NotDifferentiableError`."""

    __slots__ = ("name", "fun", "__dict__")

    def __init__(self, name: str, fun: Any) -> None:
        self.name = name
        self.fun = fun
        self.__doc__ = getattr(fun, "__doc__", None)
        self.__wrapped__ = fun

    def __repr__(self) -> str:
        return f"<Unregistered {self.name}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return published_function, (self.name,)  # by reference, as a function is pickled

    @property
    def __name__(self) -> str:
        return self.name.rpartition(".")[2]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for a in (*args, *kwargs.values()):
            if _traced(a):
                raise self._refusal(args, kwargs)
        return self.fun(*args, **kwargs)

    def _refusal(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> NotDifferentiableError:
        """The error for a call given a traced argument, naming the first one."""
        from plugrad.registry import default_registry, describe_blocked, describe_packs

        keyed: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
        key, a = next((k, a) for k, a in keyed if _traced(a))
        packs = (", ".join(describe_packs(default_registry())) or "none") + describe_blocked()
        traced = [e for e in (a if type(a) in (list, tuple) else (a,)) if isinstance(e, Box)]
        sizes = (  # a traced number where a shape, size or count goes: said first
            "A shape, size, count or index has no derivative (np.zeros(n), np.arange(n)): "
            "pass a plain value, plugrad.box.getval(n), len(...) or x.shape. "
            if self._parameter(key) in _SIZES and any(_ndim(getval(e)) == 0 for e in traced)
            else ""
        )
        return NotDifferentiableError(
            f"plugrad.{self.name} is not differentiable, and its {self._argument(key)} is "
            f"traced: no loaded pack registers {self.name} (packs loaded: {packs}). {sizes}If "
            "the result does not depend on the traced value, call it on plain values; if "
            "it does, define it as a primitive with plugrad.extend.primitive and defvjp, or "
            "install a pack that provides it."
        )

    def _argument(self, key: int | str) -> str:
        """``argument 0 (shape)``, or ``argument dtype`` for a keyword."""
        name = self._parameter(key)
        return f"argument {key}" if name is None or name == key else f"argument {key} ({name})"

    def _parameter(self, key: int | str) -> str | None:
        """The name of the parameter that takes argument ``key``, where it can be read."""
        import inspect  # (only for this error: not at import)

        if isinstance(key, str):
            return key
        try:
            params = list(inspect.signature(self.fun).parameters.values())
        except (TypeError, ValueError):
            return None
        if key < len(params) and params[key].kind in (params[key].POSITIONAL_ONLY, params[key].POSITIONAL_OR_KEYWORD):
            return params[key].name
        return None

    def __getattr__(self, name: str) -> Any:
        # An attribute of the library's object (scipy.stats.expon.logpdf): its methods are
        # unregistered functions too.
        if name.startswith("__") or name in ("fun", "name"):  # (not set yet: no recursion)
            raise AttributeError(name)
        attr = getattr(self.fun, name)
        return Unregistered(f"{self.name}.{name}", attr) if callable(attr) and not isinstance(attr, type) else attr


def namespace_module(fullname: str) -> types.ModuleType:
    """A module whose attributes come from the registry, then from the mirrored library.

    A plain module with PEP 562's module ``__getattr__`` and ``__dir__``, not a
    ModuleType subclass: a subclass with ``__getattr__`` makes every attribute read
    (``np.tanh`` in a loop) three times slower. A name, once resolved, is stored in
    the module, so it is resolved once.
    """
    module = types.ModuleType(fullname)
    fill(module)
    return module


def fill(module: types.ModuleType) -> None:
    """Make ``module`` a namespace module: give it the ``__getattr__`` and ``__dir__`` of
    :func:`namespace_module`, and :func:`stand_in` for the packages that stand for their
    namespaces on disk (see ``plugrad/numpy/__init__.py``)."""
    fullname = module.__name__
    ns = fullname.partition(".")[2]

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            from plugrad.registry import default_registry

            # Every function loaded, so that a name its pack failed to define is left out:
            # ``from plugrad.numpy import *`` reads them all, and one pack's fault must not
            # stop it.
            names = {n for n in default_registry().namespace(ns) if not n.startswith("_")}
            mirror = _mirror(ns)  # NumPy's own public names pass through, as autograd's star import gives them
            if mirror is not None:
                names |= {n for n in getattr(mirror, "__all__", ()) if not n.startswith("_") and hasattr(mirror, n)}
            return sorted(names)
        if name == "__version__":  # the mirrored library's (``plugrad.numpy.__version__``), as autograd's
            mirror = _mirror(ns)
            if mirror is not None and hasattr(mirror, "__version__"):
                return mirror.__version__
        if name.startswith("__"):
            raise AttributeError(f"module {fullname!r} has no attribute {name!r}")
        # Two threads reading a name first both resolve it; the first stored is the one
        # both get, so each published function is one object (pickle looks it up by name).
        return module.__dict__.setdefault(name, _resolve(ns, name))

    def __dir__() -> list[str]:
        from plugrad.registry import default_registry

        names = set(module.__dict__) | set(default_registry().names(ns))
        mirror = _mirror(ns)
        if mirror is not None:
            names |= {n for n in dir(mirror) if not n.startswith("_")}
        return sorted(names)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    module.__namespace__ = ns  # type: ignore[attr-defined]  # (what is_namespace_module reads)
    module.__doc__ = f"plugrad's differentiable ``{ns}`` namespace, filled from the loaded packs."


def is_namespace_module(module: Any) -> bool:
    """Whether ``module`` is one of plugrad's namespace modules (``plugrad.numpy``...)."""
    return isinstance(module, types.ModuleType) and "__namespace__" in module.__dict__


def _resolve(ns: str, name: str) -> Any:
    from plugrad.registry import default_registry

    registry = default_registry()
    qualname = f"{ns}.{name}"
    entry = registry.lookup(qualname)
    if entry is not None:
        return published(entry, ns) if isinstance(entry, Composite) else entry
    if registry.is_namespace(qualname):
        return importlib.import_module(f"plugrad.{qualname}")
    mirror = _mirror(ns)
    if mirror is None or not hasattr(mirror, name):
        from plugrad.registry import describe_blocked, describe_left_out, describe_packs

        # what is loaded, what is not and what the packs got wrong (each clause starts "; ")
        loaded = ", ".join(describe_packs(registry)) or "none"
        faults = describe_blocked(registry, ns) + describe_left_out(qualname, registry)
        raise AttributeError(
            f"module 'plugrad.{ns}' has no attribute {name!r}: no loaded pack registers {qualname} "
            f"(packs loaded: {loaded}{faults}; `python -m plugrad packs` lists what each provides)"
        )
    value = getattr(mirror, name)
    if isinstance(value, types.ModuleType):
        sub = value.__name__
        if _mirrored(sub) and sub == qualname:
            return importlib.import_module(f"plugrad.{qualname}")
        return value
    if callable(value) and not isinstance(value, type):
        return Unregistered(qualname, value)
    return value


def published(entry: Composite, ns: str) -> Callable[..., Any]:
    """A Composite's function as namespace ``ns`` publishes it: a copy of a Python
    function (the same code, so calling it costs nothing more) named as the namespace
    names it, so that ``np.vstack.__name__`` is ``"vstack"``, and documented by the
    mirrored library's function of that name where it has no docstring of its own (given
    as ``doc=``, or its function's), as a Primitive is. Anything else callable is published as it is."""
    fun = entry.fun
    if not isinstance(fun, types.FunctionType):
        return fun
    name = entry.name.rpartition(".")[2]
    public = types.FunctionType(fun.__code__, fun.__globals__, name, fun.__defaults__, fun.__closure__)
    public.__kwdefaults__ = fun.__kwdefaults__
    public.__annotations__ = fun.__annotations__
    public.__dict__.update(fun.__dict__)
    public.__qualname__ = name
    public.__module__ = f"plugrad.{ns}"
    doc = entry.__doc__  # (one set on the Composite, or its function's)
    if doc is None:
        mirror = _mirror(ns)
        doc = getattr(getattr(mirror, name, None), "__doc__", None) if mirror is not None else None
    public.__doc__ = doc
    return public


class _FunctionNamespace(types.ModuleType):
    """A namespace that is also a function of its parent namespace, as autograd's
    ``autograd.misc.flatten`` is a module and a function. Importing the module makes it
    the parent's attribute (Python sets that), so calling it calls the function."""

    __function__: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__function__(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return importlib.import_module, (self.__name__,)  # pickled by reference, as the function is


def _check_declared(fullname: str) -> None:
    """ModuleNotFoundError unless a pack declares ``plugrad.<ns>`` or a library is mirrored there."""
    from plugrad.registry import RegistryBusy, default_registry

    ns = fullname.partition(".")[2]
    if _mirror(ns) is None:
        try:
            registry = default_registry()
        except RegistryBusy as exc:  # a pack imported us while the registry was being built
            raise ModuleNotFoundError(f"cannot import {fullname}: {exc}", name=fullname) from None
        if not registry.is_namespace(ns):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def stand_in(module: types.ModuleType) -> None:
    """Make ``module``, a package that stands for its namespace on disk
    (``plugrad/numpy/__init__.py``), that namespace: as :func:`create` would, in place."""
    _check_declared(module.__name__)
    fill(module)


def create(fullname: str) -> types.ModuleType:
    """The module for ``plugrad.<ns>``, which the import hook (``plugrad._Finder``) serves;
    ModuleNotFoundError if no pack declares the namespace and no library is mirrored there."""
    from plugrad.registry import default_registry

    _check_declared(fullname)
    ns = fullname.partition(".")[2]
    module = namespace_module(fullname)
    module.__path__ = []  # a package, so submodules can be imported
    if "." in ns:
        try:
            entry = default_registry().lookup(ns)
        except PlugradError:  # a faulty entry: the namespace is still a module
            entry = None
        if entry is not None:
            parent, _, name = ns.rpartition(".")
            # The function the parent namespace gives out, the same object before this
            # module replaces it as the parent's attribute and after (Python sets that).
            fun = getattr(sys.modules[f"plugrad.{parent}"], name)
            module.__class__ = _FunctionNamespace
            module.__function__ = fun  # type: ignore[attr-defined]
            if isinstance(fun, types.FunctionType) and _same_function(getattr(module, name, None), fun):
                # Pickled by reference as plugrad.misc.flatten.flatten, which stays itself,
                # where plugrad.misc.flatten no longer does.
                module.__dict__[name] = fun
                fun.__module__ = fullname
    return module


def _same_function(a: Any, b: Any) -> bool:
    """Whether two published functions are copies of one (the same code and closure)."""
    return (
        isinstance(a, types.FunctionType) and a.__code__ is b.__code__ and a.__closure__ == b.__closure__ and a.__defaults__ == b.__defaults__
    )
