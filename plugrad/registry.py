"""The registry: which packs are loaded and which function each qualified name means.

A :class:`Registry` wraps one pluggy ``PluginManager``. The default registry,
built on first use, loads every distribution's entry points in the group
``plugrad`` (the built-in packs come through the same path as a third party's).
Tests and tools build their own.

**What is done when.** Building the registry reads the entry points (from the
``entry_points.txt`` files on ``sys.path``, by importlib.metadata's rules, without the
20 ms of importing it; see ``plugrad/_entry_points.py``), imports each pack's module
and asks it for its namespaces. A namespace's functions are asked for the first time
it is used, from the packs that declare it alone, so ``plugrad.numpy.sin`` imports
neither SciPy nor the SciPy packs' modules. A pack may answer with
:class:`~plugrad.manifest.Deferred` names, whose modules are imported when one of
their names is first used (see :mod:`plugrad.manifest`). Packs register their types
before the first derivative is taken (``ensure_types()``).

**Faults stay with their pack.** A pack that fails to import, implements a hook
plugrad does not define, or whose ``plugrad_namespaces`` hook fails is not
loaded; a function a pack registers that is invalid (wrong namespace, rules that
are not callable, ...) is rejected on its own. Each fault is a
:class:`PackWarning` naming the pack, its distribution and the error, and every
other pack and function keeps working. In strict mode (``strict=True``, or
``PLUGRAD_STRICT_PACKS=1``; the gradient checker always is) each fault raises
:class:`~plugrad.errors.PackError` instead.

**Which packs load** (the controls are named after pytest's)::

    PLUGRAD_DISABLE_PACK_AUTOLOAD=1  only the packs of the ``plugrad`` distribution itself,
                                     and those named in PLUGRAD_PACKS        Registry(autoload=False)
    PLUGRAD_PACKS=a,b                only the packs named (built-in ones too; Registry(only=["a", "b"])
                                     with autoload off, these besides plugrad's own)
    PLUGRAD_DISABLE_PACKS=a,b        never these (pluggy's set_blocked)      Registry(disabled=["a", "b"])
    PLUGRAD_STRICT_PACKS=1           every fault is an error                 Registry(strict=True)

A disabled pack is never loaded, whatever else is set.

**Who owns a name** (the priority rule). Every function has a qualified name,
``<namespace>.<name>``, and can be registered by several packs. The choice
depends only on what each pack declares, never on the order packs load in:

1. registered by one pack (or several packs handing over the very same object): that pack's;
2. exactly one registrant declares ``override=True``: that one wins, and the others
   are *overridden* (``python -m plugrad packs`` shows every override);
3. none declares ``override=True`` and exactly one registrant is one of plugrad's own
   packs (shipped in the plugrad distribution): it keeps the name, and each other
   registrant's is ignored, with a :class:`PackWarning` naming that pack (a pack that
   registers a built-in name by mistake does not take it away from every program);
4. otherwise (none, or more than one, declares ``override=True``) the name is a
   *conflict*: a :class:`PackWarning` when the namespace loads, and
   :class:`~plugrad.errors.PackConflictError` naming both packs when the name is used.
   Disable one of the packs, or have the intended one declare ``override=True``.

An override changes what users reach through ``plugrad.<namespace>``; a pack that
imports another pack's primitive directly keeps the one it imported.

**Adding rules to another pack's primitive.** A pack may return
``Rules("numpy.foo", vjps={argnum: rule}, jvps={argnum: rule})`` from
``plugrad_primitives("numpy")``. After every pack's functions of the namespace
are in, the rules are added to the primitive the name resolves to (to the
primitive object itself, as autograd's ``defjvp`` does, so other packs' rules
that call it see them too). Rules fill a missing rule; replacing an existing one
is rejected -- register a primitive with ``override=True`` instead.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from plugrad._entry_points import EntryPoint, entry_points, normalize
from plugrad.hookspecs import PackSpec
from plugrad.box import Box, load_box_class, refuse_type, register_box_type, type_named
from plugrad.errors import NamedClassError, PackConflictError, PackError, PackNameError, PackWarning
from plugrad.manifest import Deferred
from plugrad.manifest import Request, request
from plugrad.primitive import Composite, NonDifferentiable, Primitive, Rules, register_sequences
from plugrad.vspace import VSpace, load_vspace, register_vspace

if TYPE_CHECKING:
    import types

__all__ = [
    "Registry",
    "PackInfo",
    "PackWarning",
    "RegistryBusy",
    "Choice",
    "Extension",
    "TypeRegistration",
    "Entry",
    "default_registry",
    "ensure_types",
    "describe_blocked",
    "describe_packs",
    "ENTRY_POINT_GROUP",
    "BUILTIN_DISTRIBUTION",
]

ENTRY_POINT_GROUP = "plugrad"
BUILTIN_DISTRIBUTION = "plugrad"

Entry = Primitive | NonDifferentiable | Composite

LOADED, FAILED, BLOCKED = "loaded", "failed", "blocked"

# What a plugrad_primitives hook may not return for its list of functions (iterable, or one).
_NOT_A_LIST = (str, bytes, Primitive, NonDifferentiable, Composite, Rules, Deferred)


class _Record:
    """A small value: its fields are its ``__slots__``, and it equals a record of its class
    with equal fields. (Defining a dataclass or a NamedTuple costs 0.3 to 1.5 ms, and this
    module is imported with ``import plugrad``.)"""

    __slots__ = ()

    def __init__(self, *values: Any) -> None:
        for field, value in zip(self.__slots__, values, strict=True):  # type: ignore[var-annotated]
            setattr(self, field, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, field) for field in self.__slots__)  # type: ignore[var-annotated]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{field}={getattr(self, field)!r}" for field in self.__slots__)  # type: ignore[var-annotated]
        return f"{type(self).__name__}({fields})"


class TypeRegistration(_Record):
    """A value type a pack taught plugrad: ``kind`` is ``"vspace"``, ``"box"``, ``"sequences"``
    or ``"refuse"`` (whose ``handler`` is the reason). ``type`` is for display (a type given by
    name shown quoted); ``name`` is the qualified name the pack gave it by, or None for a class."""

    __slots__ = ("kind", "type", "handler", "name")
    kind: str
    type: str
    handler: str
    name: str | None

    def __init__(self, kind: str, type: str, handler: str, name: str | None = None) -> None:
        super().__init__(kind, type, handler, name)  # (name last, and optional: the three-field record's callers)


class Extension(_Record):
    """A rule one pack added to another pack's primitive."""

    __slots__ = ("pack", "target", "kind", "argnum")
    pack: str
    target: str
    kind: str  # "VJP" or "JVP"
    argnum: int


class PackInfo:
    """One pack as the registry sees it."""

    def __init__(
        self,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
        status: str = LOADED,
        error: str | None = None,
        builtin: bool = False,
    ) -> None:
        self.name = name
        self.distribution = distribution
        self.version = version
        self.status = status  # loaded | failed | blocked
        self.error = error  # why it failed, or why it is blocked
        self.builtin = builtin  # shipped in the plugrad distribution itself
        self.namespaces: list[str] = []
        self.problems: list[str] = []  # rejected parts of a loaded pack
        self.left_out: set[str] = set()  # names collect or deferred left out, of undeclared namespaces
        self.noted: set[str] = set()  # those of them its problems name
        self.overrides: list[str] = []  # names it took over
        self.extends: list[str] = []  # "numpy.foo JVP 0"
        self.types: list[TypeRegistration] = []
        self.package: str | None = None  # the top-level package of its code, where known

    def __repr__(self) -> str:
        return f"<PackInfo {self.where()} {self.status}>"

    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    def where(self) -> str:
        """``'name' (distribution plugrad-x 1.0)``, for messages."""
        if not self.distribution:
            return repr(self.name)
        version = f" {self.version}" if self.version else ""
        return f"{self.name!r} (distribution {self.distribution}{version})"


class Choice(_Record):
    """Who registered a qualified name and who got it: ``winner`` is ``None`` for a conflict."""

    __slots__ = ("name", "candidates", "winner")

    def __init__(self, name: str, candidates: tuple[tuple[str, Entry | Deferred], ...], winner: str | None) -> None:
        self.name = name
        self.candidates = candidates  # (pack, entry), in load order; a Deferred until imported
        self.winner = winner

    @property
    def entry(self) -> Entry | Deferred | None:
        return next((e for p, e in self.candidates if p == self.winner), None)

    @property
    def packs(self) -> list[str]:
        return [p for p, _ in self.candidates]


class RegistryBusy(PackError):
    """The default registry was used while it was being built (by a pack, at import)."""


class _Fault(Exception):
    """A pack's fault, described for the user; becomes a warning or a PackError."""


def _raised_at(exc: BaseException, package: str | None = None) -> str:
    """Where ``exc`` was raised: the file (its last two path parts) and line of its innermost
    frame, after the innermost frame of the pack's own ``package`` where that is another
    (an error raised inside NumPy or SciPy by a call of the pack's)."""
    tb, own = exc.__traceback__, None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if package and (module == package or module.startswith(package + ".")):
            own = tb
        if tb.tb_next is None:
            break
        tb = tb.tb_next
    if tb is None:
        return "an unknown place"
    if own is None or own is tb:
        return _place(tb)
    return f"{_place(own)}, in {_place(tb)}"


def _place(tb: Any) -> str:
    path = tb.tb_frame.f_code.co_filename.replace("\\", "/").split("/")
    return f"{'/'.join(path[-2:])}:{tb.tb_lineno}"


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name, "").strip()
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _normalize(dist: str | None) -> str:
    return normalize(dist or "")


def _typename(t: Any) -> str:
    module = getattr(t, "__module__", None)
    name = getattr(t, "__qualname__", repr(t))
    return name if module in (None, "builtins") else f"{module}.{name}"


_KERNEL = os.path.dirname(os.path.abspath(__file__)) + os.sep
def kernel_modules() -> frozenset[str]:
    """The names of plugrad's own submodules and subpackages, which no namespace may hide."""
    import plugrad  # (its import hook needs them first)

    return plugrad._kernel_modules()


def _warn(message: str, pack: str | None = None) -> None:
    """Warn, attributing the warning to the first caller outside plugrad and the import system."""
    level, frame = 1, sys._getframe(1)  # type: tuple[int, types.FrameType | None]
    while frame is not None:
        filename = frame.f_code.co_filename
        if "importlib" in filename and "_bootstrap" in filename:
            frame = frame.f_back  # the warnings module skips these frames itself
            continue
        level += 1
        if not filename.startswith(_KERNEL):
            break
        frame = frame.f_back
    warnings.warn(PackWarning(message, pack), stacklevel=level)


class Registry:
    """Packs, and the qualified names they define, over one pluggy ``PluginManager``.

    :param only: load only the packs of these names (``PLUGRAD_PACKS``); with
        ``autoload=False``, these besides the ``plugrad`` distribution's own.
    :param disabled: never load these packs (``PLUGRAD_DISABLE_PACKS``).
    :param autoload: load third-party entry points; with ``False`` only the packs of
        the ``plugrad`` distribution and those named in ``only`` load
        (``PLUGRAD_DISABLE_PACK_AUTOLOAD``).
    :param strict: raise :class:`~plugrad.errors.PackError` on any pack fault instead of
        warning (``PLUGRAD_STRICT_PACKS``).
    """

    def __init__(
        self,
        *,
        only: Iterable[str] | None = None,
        disabled: Iterable[str] = (),
        autoload: bool = True,
        strict: bool = False,
    ) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(PackSpec)
        self.only = frozenset(only) if only is not None else None
        self.disabled = frozenset(disabled)
        self.autoload = autoload
        self.strict = strict
        for name in self.disabled:
            self.pm.set_blocked(name)
        self.packs: dict[str, PackInfo] = {}
        self._declared: dict[str, list[str]] = {}  # namespace -> packs declaring it, in load order
        # namespace -> pack -> valid items; a Deferred name until its module is imported
        self._items: dict[str, dict[str, list[Entry | Rules | Deferred]]] = {}
        self._resolved: dict[str, dict[str, Entry | Deferred]] = {}  # namespace -> short name -> entry
        self._choices: dict[str, Choice] = {}  # qualified name -> who registered it, who got it
        self._rejected: dict[str, str] = {}  # qualified name -> why the pack's entry was rejected
        self._replaced: dict[Deferred, Entry | None] = {}  # a deferred name -> what its module defined
        self._extensions: list[Extension] = []
        self._warned: set[str] = set()
        self._warned_ignored: set[tuple[str, str]] = set()  # (name, pack): a registration ignored, said once
        self._loading: set[str] = set()
        self._identifying: set[str] = set()  # namespaces whose shared deferred names are being imported
        self._ready: set[str] = set()  # namespaces loaded, their rules applied
        self._typed: set[str] = set()  # packs whose plugrad_types hook has run
        self._types_pending = False
        self._types_installing = False
        self._lock = threading.RLock()

    # -- loading packs -------------------------------------------------------------

    @classmethod
    def from_environment(cls, *, strict: bool | None = None) -> Registry:
        """A registry configured by the ``PLUGRAD_*`` environment variables, entry points loaded.

        :param strict: ``True`` or ``False`` whatever ``PLUGRAD_STRICT_PACKS`` says; ``None``
            (the default) as it says. The gradient checker passes ``False``: it collects
            every fault itself and fails the run on each.
        """
        registry = cls(
            only=_env_list("PLUGRAD_PACKS"),
            disabled=_env_list("PLUGRAD_DISABLE_PACKS") or (),
            autoload=not _env_flag("PLUGRAD_DISABLE_PACK_AUTOLOAD"),
            strict=_env_flag("PLUGRAD_STRICT_PACKS") if strict is None else strict,
        )
        registry.load_entry_points()
        return registry

    def load_entry_points(self, *, autoload: bool | None = None, group: str = ENTRY_POINT_GROUP) -> None:
        """Load the packs advertised in the entry-point ``group``, each in isolation.

        Built-in packs load first, then the others by name. ``autoload`` overrides
        the registry's own setting for this call.
        """
        autoload = self.autoload if autoload is None else autoload

        def order(ep: EntryPoint) -> tuple[bool, str]:
            return (_normalize(_dist(ep)[0]) != BUILTIN_DISTRIBUTION, ep.name)

        offered: set[str] = set()
        for ep in sorted(entry_points(group), key=order):
            dist, version = _dist(ep)
            offered.add(ep.name)
            info = PackInfo(ep.name, dist, version, builtin=_normalize(dist) == BUILTIN_DISTRIBUTION)
            info.package = ep.value.partition(":")[0].strip().partition(".")[0]
            known = self.packs.get(ep.name)
            if known is not None:
                if (known.distribution, known.version) == (dist, version):
                    continue  # one distribution seen twice on sys.path
                if known.status == BLOCKED:
                    continue  # the user's controls block this name, whichever distribution provides it
                info.name = f"{ep.name} ({dist})"
                # (PLUGRAD_DISABLE_PACKS names packs, and would disable the one that loaded)
                self._fail(
                    info,
                    f"{known.where()} already provides a pack named {ep.name!r}",
                    None,
                    f"rename the entry point of one of them, or uninstall one (pip uninstall {dist})",
                )
                continue
            if not self._admit(info, autoload):
                continue
            _pack_imports.depth = getattr(_pack_imports, "depth", 0) + 1
            try:  # no plugrad namespace may be used meanwhile, in any registry (see default_registry)
                try:
                    module = ep.load()
                except (Exception, SystemExit) as exc:  # noqa: BLE001 - any import failure is the pack's fault
                    hint = None
                    module_name = ep.value.partition(":")[0].strip()
                    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
                    if missing and (module_name == missing or module_name.startswith(missing + ".")):
                        # the module the entry point names is not installed: the entry point's fault
                        hint = (
                            f"the entry point {ep.name} = {ep.value!r} (group 'plugrad') names a module that "
                            "is not installed: correct it in the distribution's metadata "
                            "([project.entry-points.plugrad] in pyproject.toml) and reinstall, or install its module"
                        )
                    self._fail(info, f"importing {ep.value!r} raised {type(exc).__name__}: {exc}", exc, hint)
                    continue
                self._add(module, info)
            finally:
                _pack_imports.depth -= 1
        missing = sorted((self.only or set()) - offered - set(self.packs))
        if missing:
            self._report(
                f"plugrad: no installed distribution provides the pack(s) {', '.join(map(repr, missing))} "
                f"named in PLUGRAD_PACKS; installed: {', '.join(sorted(offered)) or 'none'}",
                None,
            )

    def register_pack(
        self, module: Any, name: str, *, distribution: str | None = None, version: str | None = None
    ) -> PackInfo:
        """Load a pack object directly (a module or any object with hookimpls)."""
        info = PackInfo(name, distribution, version, builtin=_normalize(distribution) == BUILTIN_DISTRIBUTION)
        if name in self.packs:
            raise ValueError(f"a pack named {name!r} is already registered: {self.packs[name].where()}")
        if self._admit(info, autoload=True):
            self._add(module, info)
        return self.packs[name]

    def _admit(self, info: PackInfo, autoload: bool) -> bool:
        if self.pm.is_blocked(info.name):
            reason = "disabled (PLUGRAD_DISABLE_PACKS / Registry(disabled=...))"
        elif autoload and self.only is not None and info.name not in self.only:
            reason = f"not among the packs to load ({', '.join(sorted(self.only))}; PLUGRAD_PACKS)"
        elif not autoload and not info.builtin and (self.only is None or info.name not in self.only):
            # With autoload off, the built-in packs load and ``only`` names the others to load too.
            reason = "autoload is off (PLUGRAD_DISABLE_PACK_AUTOLOAD); name it in PLUGRAD_PACKS to load it"
        else:
            return True
        info.status, info.error = BLOCKED, reason
        self.packs[info.name] = info
        return False

    def _add(self, module: Any, info: PackInfo) -> None:
        if info.package is None:  # (a class, or an object: the package of its class)
            if isinstance(module, types.ModuleType):
                name = module.__name__
            else:
                name = (module if isinstance(module, type) else type(module)).__module__
            info.package = name.partition(".")[0]
        with self._lock:
            self.packs[info.name] = info
            if self.pm.is_registered(module):
                self._fail(info, f"the same object is already loaded as pack {self.pm.get_name(module)!r}", None)
                return
            try:
                self.pm.register(module, name=info.name)
            except pluggy.PluginValidationError as exc:
                self._unregister(info)
                message = f"invalid hook implementation: {'; '.join(str(exc).splitlines())}"
                if "can not be found in the hookspec" in str(exc):  # a parameter misnamed
                    message += f". Name a hook's parameters as plugrad's hooks do: {_hook_signatures()}"
                self._fail(info, message, exc)
                return
            try:
                self._check_hooks(module)
                namespaces = self._check_namespaces(self._hook(info, "plugrad_namespaces"))
            except _Fault as fault:
                self._unregister(info)
                self._fail(info, str(fault), fault.__cause__)
                return
            info.namespaces = namespaces
            self._types_pending = True
            for ns in namespaces:
                self._declared.setdefault(ns, []).append(info.name)
                if ns in self._resolved:  # already in use: bring this pack's functions in now
                    self._collect(info, ns)
                    self._identify_and_settle(ns)

    def _check_hooks(self, module: Any) -> None:
        callers = self.pm.get_hookcallers(module) or []
        known = _hook_names()
        implemented = {caller.name for caller in callers}
        # Read as pluggy reads a pack, by the names dir() lists (never through a __getattr__).
        # With no hook marked, any plugrad_* function may be one meant (a misspelt one too).
        present = {n: _attribute(module, n) for n in dir(module) if n in known or (not callers and n.startswith("plugrad_"))}
        unmarked = sorted(n for n, v in present.items() if n not in implemented and callable(v) and not hasattr(v, "plugrad_impl"))
        if unmarked:  # loaded, the pack would miss what they give, and say nothing of why
            raise _Fault(
                f"its {', '.join(unmarked)} {'lacks' if len(unmarked) == 1 else 'lack'} the @plugrad.hookimpl "
                f"marker{' that its other hooks have' if callers else ''}, so plugrad does not see "
                f"{'it' if len(unmarked) == 1 else 'them'}: mark each hook function with it"
            )
        if not callers:
            raise _Fault(
                f"it implements no plugrad hook (the object the entry point names, {_typename(module)}, "
                f"has no function marked @plugrad.hookimpl; plugrad's hooks are {_hook_signatures()})"
            )
        for caller in callers:
            for impl in caller.get_hookimpls():
                if impl.plugin is not module:
                    continue
                if caller.spec is None and not impl.optionalhook:
                    import difflib

                    also = [n for n, v in present.items() if getattr(v, "__func__", v) is getattr(impl.function, "__func__", impl.function)]
                    if also:  # one marked function under two names: pluggy reads each as a hook
                        raise _Fault(
                            f"its hook {also[0]} is also bound to the name {caller.name}, which pluggy "
                            f"reads as a hook of that name: apply @plugrad.hookimpl where {also[0]} is "
                            f"defined, or delete the name {caller.name}"
                        )
                    guess = difflib.get_close_matches(caller.name, known, n=1)
                    hint = f" (did you mean {guess[0]}?)" if guess else ""
                    raise _Fault(
                        f"it implements the unknown hook {caller.name}{hint}; plugrad's hooks are "
                        f"{', '.join(known)} (is the pack written for a newer plugrad?)"
                    )
                if impl.wrapper or impl.hookwrapper:
                    raise _Fault(f"its {caller.name} is a hook wrapper; plugrad calls each pack's hooks directly")

    def _check_namespaces(self, result: Any) -> list[str]:
        if result is None:
            return []  # no plugrad_namespaces: a pack that only registers types, say
        names = [result] if isinstance(result, str) else result
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise _Fault(f"plugrad_namespaces returned {result!r}; expected a list of names such as ['example']")
        for ns in names:
            if not ns or not all(part.isidentifier() for part in ns.split(".")):
                raise _Fault(f"plugrad_namespaces returned {ns!r}, which is not a dotted Python name")
            if ns.split(".")[0] in kernel_modules():
                raise _Fault(f"its namespace {ns!r} would hide plugrad's own module plugrad.{ns.split('.')[0]}")
        return list(dict.fromkeys(names))

    def _hook(self, info: PackInfo, hook: str, **kwargs: Any) -> Any:
        """Call one pack's implementation of ``hook``; its exceptions become a :class:`_Fault`."""
        impl = self._impl(info, hook)
        if impl is None:
            return None
        try:
            return impl.function(**{k: kwargs[k] for k in impl.argnames})
        except Exception as exc:  # noqa: BLE001 - any exception is the pack's fault
            raise _Fault(f"{hook} raised {type(exc).__name__}: {exc}") from exc

    def _impl(self, info: PackInfo, hook: str) -> Any:
        """One pack's implementation of ``hook``, or None."""
        plugin = self.pm.get_plugin(info.name)
        return next((impl for impl in getattr(self.pm.hook, hook).get_hookimpls() if impl.plugin is plugin), None)

    def _unregister(self, info: PackInfo) -> None:
        # pluggy leaves a plugin half-registered when one of its hooks fails validation.
        if self.pm.get_plugin(info.name) is not None:
            self.pm.unregister(name=info.name)

    def _fail(self, info: PackInfo, message: str, exc: BaseException | None, hint: str | None = None) -> None:
        message = self._located(message, exc, info)  # (the listing and the checker say where too)
        info.status, info.error = FAILED, message
        self.packs[info.name] = info
        self._report(
            f"plugrad pack {info.where()} was not loaded: {message}",
            exc,
            f"The other packs still work; {hint or f'PLUGRAD_DISABLE_PACKS={info.name} stops loading it'}.",
            pack=info.name,
        )

    def _problem(self, info: PackInfo, message: str, exc: BaseException | None) -> None:
        message = self._located(message, exc, info)
        _append_once(info.problems, message)
        self._report(
            f"plugrad pack {info.where()}: {message}", exc, "The other functions and packs still work.", pack=info.name
        )

    def _report(
        self,
        message: str,
        exc: BaseException | None,
        consolation: str = "",
        error: type[PackError] = PackError,
        *,
        pack: str | None = None,
    ) -> None:
        """Raise ``error`` in strict mode, else warn; ``pack`` names the pack at fault, if one is."""
        if self.strict:
            raise error(message) from exc
        if exc is not None and exc.__traceback__ is not None:  # where, and how to see the traceback
            if pack is None:  # (a pack's own message says where already: _located)
                message = f"{message.rstrip('.')} (at {_raised_at(exc)})"
            consolation = f"{consolation} PLUGRAD_STRICT_PACKS=1 raises it, with its traceback.".lstrip()
        _warn(f"{message.rstrip('.')}. {consolation}".rstrip(), pack)

    @staticmethod
    def _located(message: str, exc: BaseException | None, info: PackInfo) -> str:
        """``message``, with where ``exc`` was raised in the pack's code if it has a traceback."""
        if exc is None or exc.__traceback__ is None or isinstance(exc, NamedClassError):
            return message  # (a named class's error says where the pack registered it: plugrad loaded it)
        return f"{message.rstrip('.')} (at {_raised_at(exc, info.package)})"

    def loaded_packs(self) -> list[PackInfo]:
        return [p for p in self.packs.values() if p.status == LOADED]

    # -- namespaces and names ------------------------------------------------------

    def namespaces(self) -> list[str]:
        """Every namespace some loaded pack declares."""
        declared = list(self._declared.items())  # a pack may be registering in another thread
        return sorted(ns for ns, packs in declared if any(self.packs[p].status == LOADED for p in packs))

    def is_namespace(self, name: str) -> bool:
        """Whether ``name`` is a namespace, or a prefix of one (``scipy`` for ``scipy.special``)."""
        return any(ns == name or ns.startswith(name + ".") for ns in self.namespaces())

    def namespace(self, ns: str) -> dict[str, Entry]:
        """The entries of ``ns`` by short name, loading its packs' functions on first use."""
        self._load_namespace(ns)
        self._import_all(ns)
        return {short: e for short, e in self._resolved.get(ns, {}).items() if not isinstance(e, Deferred)}

    def names(self, ns: str) -> list[str]:
        """The short names of ``ns``, without importing the modules of deferred ones."""
        self._load_namespace(ns)
        return list(self._resolved.get(ns, {}))

    def lookup(self, qualname: str) -> Entry | None:
        """The entry for ``numpy.sin``-style ``qualname``, or ``None`` if no pack registers it.

        :raises PackConflictError: two packs register it and neither overrides the other.
        :raises PackNameError: the only pack registering it registered something invalid.
        """
        ns, _, short = qualname.rpartition(".")
        self._load_namespace(ns)
        entry = self._resolved.get(ns, {}).get(short)
        while isinstance(entry, Deferred):
            resolved = self._import_deferred(entry)
            if resolved is not None:
                return resolved
            with self._lock:  # a rejection settles the namespace anew under the lock: read after it
                again = self._resolved.get(ns, {}).get(short)
            entry = again if again is not entry else None
        if entry is not None:
            return entry
        choice = self._choices.get(qualname)
        if choice is not None and choice.winner is None:
            raise PackConflictError(_conflict_message(self, choice) + ".")
        if qualname in self._rejected:
            raise PackNameError(self._rejected[qualname])
        return None

    def entries(self) -> dict[str, Entry]:
        """Every entry of every namespace, all loaded."""
        self.load_all()
        return {
            f"{ns}.{short}": e
            for ns in self.namespaces()
            for short, e in self._resolved.get(ns, {}).items()
            if not isinstance(e, Deferred)  # none is left after load_all, but for the types
        }

    def primitives(self) -> list[Primitive]:
        """Every registered :class:`Primitive`, sorted by name."""
        return sorted((e for e in self.entries().values() if isinstance(e, Primitive)), key=lambda p: p.name)

    def load_all(self) -> None:
        """Load every namespace's functions now (the checker and the listing need them all)."""
        for ns in self.namespaces():
            self._load_namespace(ns)
            self._import_all(ns)

    def choices(self) -> dict[str, Choice]:
        """Every qualified name loaded so far: who registered it and who got it."""
        return dict(self._choices)

    def conflicts(self) -> dict[str, list[str]]:
        """Names two or more packs register with no single override: name -> packs."""
        return {name: c.packs for name, c in self._choices.items() if c.winner is None}

    def overrides(self) -> dict[str, tuple[str, list[str]]]:
        """Names one pack took over with ``override=True``: name -> (that pack, the packs it
        overrides). (A name plugrad's own pack keeps, another pack's registration of it
        ignored, is not one.) Names are settled when their namespace is first used:
        :meth:`load_all` settles every namespace first."""
        return {
            name: (c.winner, [p for p in c.packs if p != c.winner])
            for name, c in self._choices.items()
            if c.winner is not None and len(c.candidates) > 1 and name in self.packs[c.winner].overrides
        }

    def extensions(self) -> list[Extension]:
        """Rules packs added to other packs' primitives."""
        return list(self._extensions)

    def _load_namespace(self, ns: str) -> None:
        if ns in self._ready or ns not in self._declared:
            return
        with self._lock:
            if ns in self._ready:
                return
            if ns in self._loading:
                if ns in self._resolved:
                    return  # this thread, applying the rules: the table is settled (others wait)
                raise PackError(
                    f"namespace {ns!r} was used while its packs were still defining it (a pack's "
                    f"plugrad_primitives({ns!r}), or a module it imported, reached plugrad.{ns}). "
                    "Import the other functions from the pack's modules directly."
                )
            self._loading.add(ns)
            try:
                for pack in self._declared[ns]:
                    if self.packs[pack].status == LOADED:
                        self._collect(self.packs[pack], ns)
                self._identify_and_settle(ns)
                # Only now, with every pack's rules applied (their targets' modules imported):
                # until then other threads wait on the lock, not use half-loaded functions.
                self._ready.add(ns)
            finally:
                self._loading.discard(ns)

    def _collect(self, info: PackInfo, ns: str) -> None:
        """Ask one pack for its functions in ``ns`` (once); keep the valid ones."""
        per_pack = self._items.setdefault(ns, {})
        if info.name not in per_pack:
            per_pack[info.name] = self._gather(info, ns)  # in strict mode a fault raises before this

    def _gather(self, info: PackInfo, ns: str) -> list[Entry | Rules | Deferred]:
        asked = Request(self._declared, info.namespaces)  # (collect and deferred, in the hook, use it)
        token = request.set(asked)
        failure: Exception | None = None
        try:
            items = self._hook(info, "plugrad_primitives", namespace=ns)
            if isinstance(items, Iterable) and not isinstance(items, _NOT_A_LIST):
                items = list(items)  # a generator's own errors are the pack's too; its collect runs now
        except Exception as exc:  # noqa: BLE001 - raised below, with the notes kept first
            failure = exc
        finally:
            request.reset(token)
        try:
            if failure is not None:
                raise failure
            if items is None:  # (a misspelt comparison with the namespace, or no hook at all)
                if self._impl(info, "plugrad_primitives") is None:
                    raise _Fault(
                        f"its plugrad_namespaces declares {ns!r}, but it implements no plugrad_primitives "
                        "hook to give the namespace's functions: add one, or leave the namespace out"
                    )
                raise _Fault(
                    f"plugrad_primitives({ns!r}) returned None, though its plugrad_namespaces declares "
                    f"{ns!r}: return the namespace's functions (a list), or leave it out of plugrad_namespaces"
                )
            if not isinstance(items, list):
                raise _Fault(f"plugrad_primitives({ns!r}) returned {items!r}; expected a list of functions")
        except _Fault as fault:  # (the hook's own fault first: in strict mode it is the one raised)
            self._problem(info, f"{fault}; its functions in namespace {ns!r} are missing", fault.__cause__)
            items = []
        except Exception as exc:  # noqa: BLE001
            message = f"plugrad_primitives({ns!r}) raised {type(exc).__name__}: {exc}"
            self._problem(info, f"{message}; its functions in namespace {ns!r} are missing", exc)
            items = []
        self._keep_notes(info, asked)
        kept: list[Entry | Rules | Deferred] = []
        names: set[str] = set()
        for item in items:
            try:
                _check_item(item, ns)
                if not isinstance(item, Rules) and item.name in names:
                    raise _Fault("this pack registers the name twice")
            except _Fault as fault:
                message = f"rejected {item!r} from namespace {ns!r}: {fault}"
                name = getattr(item, "name", None)
                if isinstance(name, str):
                    self._rejected.setdefault(name, f"plugrad pack {info.where()} {message}")
                self._problem(info, message, None)
                continue
            if isinstance(item, Deferred):  # this registry's own, so a pack may hand out one list twice
                item = Deferred(item.name, item.module, item.override)
                item.pack = info.name
            if not isinstance(item, Rules):
                names.add(item.name)
                _claim(item, info.name)
            kept.append(item)
        return kept

    def _keep_notes(self, info: PackInfo, asked: Request) -> None:
        """Keep what collect or deferred said of the functions they left out."""
        info.noted |= asked.noted
        info.left_out = (info.left_out | set(asked.left)) - info.noted
        for note in asked.notes:
            if note not in info.problems:  # (the same note for each of its namespaces: once)
                self._problem(info, note, None)

    def _builtin_keeps(self, name: str, candidates: list[tuple[str, Any]]) -> tuple[str | None, Any]:
        """Where one of the packs registering ``name`` without an override is one of
        plugrad's own, it keeps the name: a third-party pack that registers a built-in name
        by mistake must not take the built-in function away from every program."""
        builtin = [(p, e) for p, e in candidates if self.packs[p].builtin]
        return builtin[0] if len(builtin) == 1 else (None, None)

    def _ignored(self, name: str, candidates: list[tuple[str, Any]], winner: str) -> PackError | None:
        """Report each other registrant of ``name``, whose registration is ignored (strict
        mode: return the first error, raised once all is settled)."""
        failure = None
        for pack, _ in candidates:
            if pack == winner or (name, pack) in self._warned_ignored:
                continue
            self._warned_ignored.add((name, pack))
            try:
                self._problem(
                    self.packs[pack],
                    f"it registers {name}, which plugrad's own pack {winner!r} provides, without "
                    "override=True: its registration is ignored (declare override=True to replace "
                    "plugrad's, or rename it)",
                    None,
                )
            except PackError as exc:
                failure = failure or exc
        return failure

    def _settle(self, ns: str) -> None:
        """Decide who owns each name of ``ns`` (see the module docstring), then apply Rules."""
        for info in self.packs.values():  # recomputed below, from the winners of now
            if info.overrides:
                info.overrides[:] = [n for n in info.overrides if n.rpartition(".")[0] != ns]
        by_name, rules = self._candidates(ns)
        table: dict[str, Entry | Deferred] = {}
        winner: str | None
        entry: Entry | Deferred | None
        failure: PackError | None = None  # strict mode: the first fault, raised once all is settled
        for name, candidates in by_name.items():
            winner, entry = candidates[0]  # the common case: one pack registers the name
            if len(candidates) > 1:
                overriding = [(p, e) for p, e in candidates if e.override]
                winner, entry = overriding[0] if len(overriding) == 1 else (None, None)
                if winner is not None:
                    _append_once(self.packs[winner].overrides, name)
                elif not overriding:
                    winner, entry = self._builtin_keeps(name, candidates)
                    if winner is not None:
                        failure = failure or self._ignored(name, candidates, winner)
            choice = Choice(name, tuple(candidates), winner)
            self._choices[name] = choice
            if entry is not None:
                table[name.rpartition(".")[2]] = entry
            elif name not in self._warned:
                try:
                    self._report(
                        _conflict_message(self, choice),
                        None,
                        f"{name} is unavailable; the packs' other functions still work.",
                        PackConflictError,
                    )
                except PackError as exc:
                    failure = failure or exc
                self._warned.add(name)  # not when the warning itself is raised (-W error): then each use warns
        self._resolved[ns] = table
        for pack, extra in rules:
            if self._resolved.get(ns) is not table:
                break  # a rejected deferred target settled the namespace anew, applying every rule
            try:
                self._apply_rules(self.packs[pack], extra, table)
            except PackError as exc:  # strict mode: apply the other packs' rules, then raise
                failure = failure or exc
        if failure is not None:
            raise failure

    def _candidates(
        self, ns: str
    ) -> tuple[dict[str, list[tuple[str, Entry | Deferred]]], list[tuple[str, Rules]]]:
        """The loaded packs' functions of ``ns`` by name, as ``(pack, function)`` in load
        order (an object several packs hand over, once), and their Rules."""
        by_name: dict[str, list[tuple[str, Entry | Deferred]]] = {}
        rules: list[tuple[str, Rules]] = []
        for pack, items in self._items.get(ns, {}).items():
            if self.packs[pack].status != LOADED:
                continue
            for item in items:
                if isinstance(item, Rules):
                    rules.append((pack, item))
                    continue
                candidates = by_name.get(item.name)
                if candidates is None:
                    by_name[item.name] = [(pack, item)]
                elif not any(e is item for _, e in candidates):
                    candidates.append((pack, item))
        return by_name, rules

    def _apply_rules(self, info: PackInfo, extra: Rules, table: dict[str, Entry | Deferred]) -> None:
        target = table.get(extra.target.rpartition(".")[2])
        if isinstance(target, Deferred):
            target = self._import_deferred(target)
            if target is None and self._resolved.get(extra.target.rpartition(".")[0]) is not table:
                return  # rejected, and settling the namespace anew has applied the rules
        if not isinstance(target, Primitive):
            if extra.target in self.conflicts():
                why = "is a conflict"
            elif target is not None:
                why = f"is a {type(target).__name__}"
            elif extra.target in self._rejected:
                why = f"was rejected ({self._rejected[extra.target]})"
            else:
                why = "is not registered by any loaded pack"
            self._problem(info, f"cannot add rules to {extra.target}: it {why}", None)
            return
        for kind, table_rules, current, define in (
            ("VJP", extra.vjps, target.vjps, target.def_vjp),
            ("JVP", extra.jvps, target.jvps, target.def_jvp),
        ):
            for argnum, rule in sorted(table_rules.items()):
                existing = current[argnum] if argnum < len(current) else None
                has = target.has_vjp(argnum) if kind == "VJP" else target.has_jvp(argnum)
                if existing is not rule and has:
                    self._problem(
                        info,
                        f"cannot add a {kind} for argument {argnum} of {target.name}: it has one; "
                        "Rules only fill missing rules (to replace it, register the primitive with override=True)",
                        None,
                    )
                    continue
                if existing is not rule:
                    define(rule, argnums=(argnum,))
                extension = Extension(info.name, target.name, kind, argnum)
                if extension not in self._extensions:
                    self._extensions.append(extension)
                    _append_once(info.extends, f"{target.name} {kind} {argnum}")

    # -- deferred names (see plugrad.manifest) --------------------------------------

    def _import_all(self, ns: str) -> None:
        """Import the modules of every deferred name of ``ns``, the overridden ones too."""
        for items in list(self._items.get(ns, {}).values()):
            for item in list(items):
                if isinstance(item, Deferred):
                    self._import_deferred(item)

    def _identify_and_settle(self, ns: str) -> None:
        try:
            self._identify(ns)
        except PackError:  # strict mode: settle the others' names all the same, raise the fault
            with contextlib.suppress(PackError):
                self._settle(ns)
            raise
        self._settle(ns)

    def _identify(self, ns: str) -> None:
        """Import the deferred names of ``ns`` whose owner depends on what they are: those
        several packs register where the override rule alone does not decide (one object
        handed over by two packs is no conflict, two objects are)."""
        if ns in self._identifying:
            return  # an outer call imports the rest, and settles the namespace after
        by_name, _ = self._candidates(ns)
        self._identifying.add(ns)
        failure: PackError | None = None
        try:
            for candidates in by_name.values():
                if len(candidates) > 1 and sum(bool(c.override) for _, c in candidates) != 1:
                    for _, c in candidates:
                        if isinstance(c, Deferred):
                            try:
                                self._import_deferred(c)
                            except PackError as exc:  # strict mode: identify the others all the same
                                failure = failure or exc
        finally:
            self._identifying.discard(ns)
        if failure is not None:
            raise failure

    def _import_deferred(self, item: Deferred) -> Entry | None:
        """What ``item`` names, once its module is imported (``None`` if it was rejected).

        The module is imported outside the registry's lock (Python's import lock already
        serialises importing it), so its code may use the registry from any thread.
        """
        if item not in self._replaced:
            try:
                module: Any = importlib.import_module(item.module)
            except Exception as exc:  # noqa: BLE001 - any import failure is the pack's fault
                module = exc
            with self._lock:
                if item not in self._replaced:
                    self._take(item.pack or "", item.module, module, item.name.rpartition(".")[0])
        return self._replaced.get(item)

    def _take(self, pack: str, name: str, module: Any, wanted: str) -> None:
        """Put the functions module ``name`` defines (``module``, or the exception importing
        it raised) in place of ``pack``'s deferred names from it, in every namespace,
        checking them against the manifest; drop those that fail and settle their names anew.
        In strict mode a namespace with a fault is left as it is, so every use of its names
        raises it; the fault is raised if it is in ``wanted``, the namespace asked for."""
        info = self.packs[pack]
        regenerate = f"regenerate the manifest: python -m plugrad manifest {name.rpartition('.')[0] or 'PACKAGE'}"
        error = module if isinstance(module, BaseException) else None
        found: dict[str, Entry] = {}
        for value in vars(module).values() if error is None else ():
            if isinstance(value, (Primitive, NonDifferentiable, Composite)) and isinstance(value.name, str):
                found.setdefault(value.name, value)
        plans = []
        for ns, per_pack in list(self._items.items()):
            items = per_pack.get(pack) or []
            if not any(isinstance(i, Deferred) and i.module == name for i in items):
                continue
            listed = {i.name for i in items if not isinstance(i, Rules)}
            unlisted = sorted(n for n in found if n.rpartition(".")[0] == ns and n not in listed)
            problems = {n: f"{name} defines {n}, which its manifest lacks; {regenerate}" for n in unlisted}
            taken: list[tuple[Deferred, Entry | None]] = []
            for item in items:
                if not (isinstance(item, Deferred) and item.module == name):
                    continue
                entry = found.get(item.name)
                try:
                    if error is not None:
                        raise _Fault(f"importing {name!r} raised {type(error).__name__}: {error}")
                    if entry is None:
                        raise _Fault(f"its manifest says {name} defines it, but it does not; {regenerate}")
                    if bool(entry.override) != item.override:
                        raise _Fault(f"it declares override={entry.override!r}, its manifest the opposite; {regenerate}")
                    _check_item(entry, ns)
                except _Fault as fault:
                    problems[item.name] = f"rejected {item.name}: {fault}"
                    entry = None
                taken.append((item, entry))
            dropped = [item.name for item, entry in taken if entry is None]
            reports = [p for n, p in problems.items() if error is None or n not in dropped]
            if error is not None and dropped:  # one fault, however many names it costs
                reports.append(
                    f"importing {name!r} raised {type(error).__name__}: {error}; "
                    f"its functions {', '.join(dropped)} are missing"
                )
            plans.append((ns, items, taken, dropped, problems, reports))
        faulty = [plan for plan in plans if plan[-1]] if self.strict else []
        for ns, items, taken, dropped, problems, reports in plans:
            if any(plan[0] == ns for plan in faulty):
                continue
            for n, problem in problems.items():
                self._rejected.setdefault(n, f"plugrad pack {info.where()}: {problem}")
            for item, entry in taken:
                self._replaced[item] = entry
                if entry is not None:
                    _claim(entry, pack)
                    self._swap(ns, item, entry)
            resolved = dict(taken)
            kept: list[Entry | Rules | Deferred] = []
            for i in items:
                now = resolved.get(i, i) if isinstance(i, Deferred) else i
                if now is not None:  # a rejected name leaves the pack's items
                    kept.append(now)
            items[:] = kept
            for n in dropped:
                self._choices.pop(n, None)  # settled anew, if another pack registers it
            if dropped and ns in self._resolved and ns not in self._identifying:
                self._identify(ns)
                self._settle(ns)  # another pack's function may own a dropped name now
            for report in reports:
                self._problem(info, report, error)
        for ns, *_, reports in faulty:
            if ns == wanted:
                self._problem(info, reports[0], error)  # raises

    def _swap(self, ns: str, item: Deferred, entry: Entry) -> None:
        """Put ``entry`` where the namespace's table and the name's choice hold ``item``."""
        short = item.name.rpartition(".")[2]
        table = self._resolved.get(ns, {})
        if table.get(short) is item:
            table[short] = entry
        choice = self._choices.get(item.name)
        if choice is not None:
            candidates = tuple((p, entry if e is item else e) for p, e in choice.candidates)
            self._choices[item.name] = Choice(item.name, candidates, choice.winner)

    # -- types -------------------------------------------------------------------

    def install_types(self) -> None:
        """Call each loaded pack's ``plugrad_types`` hook once, registering its spaces and boxes.

        Vector spaces and box classes are process-wide (see :mod:`plugrad.vspace`).
        """
        if not self._types_pending:
            return
        with self._lock:
            if not self._types_pending or self._types_installing:
                return  # done, or a types hook took a derivative: what is registered must do
            self._types_installing = True
            try:
                for info in self.loaded_packs():
                    if info.name in self._typed:
                        continue
                    self._typed.add(info.name)
                    try:
                        self._hook(info, "plugrad_types", register=_TypeRegistrar(info))
                    except _Fault as fault:
                        self._problem(info, str(fault), fault.__cause__)
                self._types_pending = False
            finally:
                self._types_installing = False
        if self.strict:
            self.verify_types()

    def verify_types(self) -> None:
        """Check what the packs registered by name, which a derivative reads only when a
        value of the type appears: each type's name must be its class's module and
        ``__qualname__``, and each box class or vector space named ``"module:Class"`` must
        load. One that does not is the pack's problem now. ``python -m plugrad packs``, the
        gradient checker and strict mode call it: a misspelt name fails there, not in a
        user's derivative (or, for a type, never, its values simply not recognised)."""
        self.install_types()
        for info in self.loaded_packs():
            for t in info.types:
                if t.name is None:
                    continue  # (given as a class: nothing named, since a class named "module:Class" needs a named type)
                why = type_named(t.name)
                if why:
                    self._problem(info, f"plugrad_types registered the type {t.type} ({t.kind}), but {why}", None)
                if t.kind in ("box", "vspace") and ":" in t.handler:
                    try:
                        (load_box_class if t.kind == "box" else load_vspace)(t.handler, t.name)
                    except NamedClassError as exc:
                        self._problem(info, f"plugrad_types: {exc}", exc)


def _attribute(obj: Any, name: str) -> Any:
    """``getattr(obj, name)``, or None where reading it raises (a pack's own property or
    lazy loader: not the registry's business here)."""
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001
        return None


def _hook_names() -> list[str]:
    return sorted(n for n in dir(PackSpec) if n.startswith("plugrad_"))


def _hook_signatures() -> str:
    """plugrad's hooks with their parameters: ``plugrad_primitives(namespace), ...``."""
    import inspect

    return ", ".join(
        f"{n}({', '.join(list(inspect.signature(getattr(PackSpec, n)).parameters)[1:])})" for n in _hook_names()
    )


def _dist(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    return (None, None) if dist is None else (dist.name, dist.version)


def _append_once(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def _conflict_message(registry: Registry, choice: Choice) -> str:
    packs = [registry.packs[p].where() for p in choice.packs]
    listed = ", ".join(packs[:-1]) + " and " + packs[-1]
    overriding = sum(1 for _, e in choice.candidates if e.override)
    if overriding:
        declare = f"{overriding} of them declare"
    else:
        declare = "neither declares" if len(packs) == 2 else "none declares"
    return (
        f"plugrad packs {listed} {'both' if len(packs) == 2 else 'all'} register {choice.name} and "
        f"{declare} override=True: disable one (PLUGRAD_DISABLE_PACKS={choice.packs[-1]}) or have "
        "the intended one declare override=True"
    )


def _check_item(item: Any, ns: str) -> None:
    """Raise :class:`_Fault` unless ``item`` is a well-formed function of namespace ``ns``."""
    if not isinstance(item, (Primitive, NonDifferentiable, Composite, Rules, Deferred)):
        raise _Fault("expected a Primitive, NonDifferentiable, Composite, Rules or Deferred")
    name = item.name
    head, _, short = name.rpartition(".") if isinstance(name, str) else (None, "", "")
    if head != ns or not short.isidentifier():
        raise _Fault(
            f"its name must be {ns!r} + '.' + a Python identifier, like {ns + '.f'!r} (Primitive({ns + '.f'!r}, "
            f"fun), or @plugrad.extend.primitive(name={ns + '.f'!r}), which otherwise names a function by its module)"
        )
    if isinstance(item, Deferred):
        module = item.module
        if not (type(module) is str and module in _module_names) and not _is_module_name(module):
            raise _Fault(f"its module {item.module!r} is not a dotted module name")
        return
    if isinstance(item, Rules):
        for kind, table in (("vjps", item.vjps), ("jvps", item.jvps)):
            for argnum, rule in table.items():
                if not isinstance(argnum, int) or argnum < 0:
                    raise _Fault(f"{kind} key {argnum!r} is not an argument number")
                if not callable(rule):
                    raise _Fault(f"its {kind}[{argnum}] {rule!r} is not callable")
        return
    if not callable(item.fun):
        raise _Fault(f"its implementation {item.fun!r} is not callable")
    if isinstance(item, Primitive):
        for kind, rules in (("VJP", item.vjps), ("JVP", item.jvps)):
            if not isinstance(rules, list):
                raise _Fault(f"its {kind} rules are {rules!r}, not a list (use def_{kind.lower()})")
            for argnum, maybe in enumerate(rules):
                if maybe is not None and not callable(maybe):
                    raise _Fault(f"its {kind} for argument {argnum} is {maybe!r}, which is not callable")
        for kind, every in (("VJP", item.vjp_argnum), ("JVP", item.jvp_argnum)):
            if every is not None and not callable(every):
                raise _Fault(f"its {kind} for every argument is {every!r}, which is not callable")


_module_names: set[str] = set()  # those _is_module_name accepted: a pack's deferred names share a few


def _is_module_name(module: Any) -> bool:
    if not isinstance(module, str):
        return False
    if module in _module_names or all(part.isidentifier() for part in module.split(".")):
        _module_names.add(module)
        return True
    return False


class _TypeRegistrar:
    """The ``register`` a pack's ``plugrad_types`` hook receives; records what it registers."""

    def __init__(self, info: PackInfo) -> None:
        self._info = info

    def vspace(self, value_type: type | str, factory: Callable[[Any], VSpace] | str) -> None:
        if not isinstance(value_type, (type, str)) or not (callable(factory) or isinstance(factory, str)):
            raise TypeError(
                f"register.vspace needs a type and a factory (or, for a type given by name, a "
                f"'module:Class' string), got {value_type!r}, {factory!r}"
            )
        swapped = isinstance(factory, type) and issubclass(factory, Box)
        if swapped:
            raise TypeError(
                f"register.vspace got the Box subclass {_typename(factory)} as the factory of "
                f"{_typename(value_type)}'s vector space: register it with register.box, and give "
                "register.vspace a VSpace subclass (or a function of a value returning its space)."
            )
        register_vspace(value_type, factory, by=f"pack {self._info.name}")
        self._info.types.append(TypeRegistration("vspace", _typename(value_type), _classname(factory), _name(value_type)))

    def box(self, value_type: type | str, box_cls: type[Box] | str) -> None:
        if not isinstance(value_type, (type, str)) or not (
            isinstance(box_cls, type) and issubclass(box_cls, Box) or isinstance(box_cls, str)
        ):
            raise TypeError(
                f"register.box needs a type and a Box subclass (or, for a type given by name, a "
                f"'module:Class' string), got {value_type!r}, {box_cls!r}"
            )
        register_box_type(value_type, box_cls, by=f"pack {self._info.name}")
        self._info.types.append(TypeRegistration("box", _typename(value_type), _classname(box_cls), _name(value_type)))

    def refuse(self, value_type: type | str, reason: str) -> None:
        if not isinstance(value_type, (type, str)) or not isinstance(reason, str):
            raise TypeError(f"register.refuse needs a type and a reason (a str), got {value_type!r}, {reason!r}")
        refuse_type(value_type, reason)
        self._info.types.append(TypeRegistration("refuse", _typename(value_type), reason, _name(value_type)))

    def sequences(self, as_value: Callable[[Any], Any]) -> None:
        if not callable(as_value):
            raise TypeError(f"register.sequences needs a function, got {as_value!r}")
        register_sequences(self._info.name, as_value)
        self._info.types.append(TypeRegistration("sequences", "list, tuple", _typename(as_value), None))


def _name(value_type: type | str) -> str | None:
    """The qualified name a type was registered by, or None where it was given as a class."""
    return value_type if isinstance(value_type, str) else None


def _classname(cls: Any) -> str:
    """A registered class's name: ``"module:Class"`` as given, where it is imported when first used."""
    return cls if isinstance(cls, str) else _typename(cls)


def _claim(entry: Any, pack: str) -> None:
    """Record ``pack`` as the one that defines ``entry``, and its aliases (``operator.mul``
    beside ``numpy.multiply``), which reach users only through the entry's box operators,
    so that messages about any of them name the pack."""
    if entry.pack is None:
        entry.pack = pack
    for twin in getattr(entry, "_family", ()):
        if twin.pack is None:
            twin.pack = entry.pack


_default: Registry | None = None
_default_lock = threading.RLock()
_building = False
_pack_imports = threading.local()  # .depth: entry points being imported on this thread, by any registry


def declares(ns: str) -> bool | None:
    """Whether a loaded pack declares the namespace ``ns``, for the import hook: None until
    the registry is built (this builds nothing, and imports nothing)."""
    registry = _default
    return None if registry is None else registry.is_namespace(ns)


def default_registry() -> Registry:
    """The process-wide registry, built from entry points and the environment on first use."""
    global _default, _building
    if getattr(_pack_imports, "depth", 0):
        # The same fault whichever registry is loading the pack (the gradient checker builds
        # its own), so a pack that fails to load for users also fails the check.
        raise RegistryBusy(
            "plugrad's pack registry was used while packs were being loaded: a pack used a "
            "plugrad namespace (plugrad.<name>) when it was imported or in plugrad_namespaces. "
            "Import the functions it needs inside plugrad_primitives."
        )
    registry = _default
    if registry is None:
        with _default_lock:
            if _default is None:
                if _building:
                    raise RegistryBusy(
                        "plugrad's pack registry was used while it was being built: a pack used a "
                        "plugrad namespace (plugrad.<name>) when it was imported or in "
                        "plugrad_namespaces. Import the functions it needs inside plugrad_primitives."
                    )
                _building = True
                try:
                    _default = Registry.from_environment()
                finally:
                    _building = False
            registry = _default
    return registry


def ensure_types() -> None:
    """Make sure the default registry's packs have registered their types.

    Called before a derivative is taken, not when a namespace is first used: a pack's
    box and vector space matter only to traced values, and ``plugrad.numpy.sin``
    should not wait for them. Every derivative calls it: once the types are in, it
    reads one flag.
    """
    registry = _default
    if registry is None or registry._types_pending:
        default_registry().install_types()


def describe_left_out(qualname: str, registry: Registry | None = None) -> str:
    """``"; pack mystats: its modules hold mylib.swish, ..."``: the functions of that
    identifier that a loaded pack's modules hold in a namespace no loaded pack declares,
    which no problem of the pack names already, for the error of a missing name (a mistake
    most likely); empty if none."""
    short = qualname.rpartition(".")[2]
    out = ""
    for p in (registry or default_registry()).loaded_packs():
        names = sorted(n for n in p.left_out if n.rpartition(".")[2] == short)
        if names:
            spaces = sorted({n.rpartition(".")[0] for n in names})
            out += (
                f"; pack {p.name}: its modules hold {', '.join(names)}, of "
                f"namespace{'s' * (len(spaces) > 1)} {', '.join(map(repr, spaces))}, which no loaded pack "
                "declares (if that is the function meant, its name's namespace is misspelt, or the pack "
                "declaring it is not loaded)"
            )
    return out


def describe_packs(registry: Registry | None = None) -> Sequence[str]:
    """``name version`` of each loaded pack, for error messages."""
    return [p.label() for p in (registry or default_registry()).loaded_packs()]


def describe_blocked(registry: Registry | None = None, ns: str | None = None) -> str:
    """``"; not loaded: linalg (disabled ...)"``: the installed packs a setting kept out, and
    those that failed to load, and (with ``ns``) the faults of packs that declare namespace
    ``ns``, for error messages (a name they provide may be missing because of it); empty if none."""
    packs = (registry or default_registry()).packs.values()
    blocked = [p for p in packs if p.status == BLOCKED]
    out = "; not loaded: " + ", ".join(f"{p.name} ({p.error})" for p in blocked) if blocked else ""
    failed = [p for p in packs if p.status == FAILED]
    if failed:
        out += "; failed to load: " + ", ".join(f"{p.name} ({p.error})" for p in failed)
    faulty = [p for p in packs if p.status == LOADED and ns in p.namespaces and p.problems]
    if faulty:
        out += "; " + "; ".join(f"pack {p.name}: {problem}" for p in faulty for problem in p.problems)
    return out
