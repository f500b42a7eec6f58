"""The registry: which packs are loaded and which function each qualified name means.

A :class:`Registry` wraps one pluggy ``PluginManager``. The default registry,
built on first use, loads every distribution's entry points in the group
``plugrad`` (the built-in packs come through the same path as a third party's).
Each pack is loaded in isolation: one that fails to import, registers something
invalid or implements an unknown hook is reported and skipped, and the others
keep working. Tests build their own registries.

Environment controls (read by :func:`default_registry`):

``PLUGRAD_DISABLE_PACK_AUTOLOAD=1``  load only the packs of the ``plugrad`` distribution itself
``PLUGRAD_PACKS=a,b``                load only the packs named
``PLUGRAD_DISABLE_PACKS=a,b``        block the packs named
``PLUGRAD_STRICT_PACKS=1``           any pack fault is an error, not a warning
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pluggy

from plugrad import hookspecs
from plugrad.box import Box, register_box_type
from plugrad.errors import PackConflictError, PackError
from plugrad.primitive import Composite, NonDifferentiable, Primitive, Rules
from plugrad.vspace import VSpace, register_vspace

__all__ = [
    "Registry",
    "PackInfo",
    "PackWarning",
    "Entry",
    "default_registry",
    "ensure_types",
    "ENTRY_POINT_GROUP",
    "BUILTIN_DISTRIBUTION",
]

ENTRY_POINT_GROUP = "plugrad"
BUILTIN_DISTRIBUTION = "plugrad"

Entry = Primitive | NonDifferentiable | Composite


class PackWarning(UserWarning):
    """A pack could not be loaded, or part of it was rejected; the others still work."""


@dataclasses.dataclass
class PackInfo:
    """One pack as the registry sees it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    status: str = "loaded"  # loaded | failed | blocked
    error: str | None = None
    namespaces: list[str] = dataclasses.field(default_factory=list)
    overrides: list[str] = dataclasses.field(default_factory=list)
    extends: list[str] = dataclasses.field(default_factory=list)

    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name, "").strip()
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip() not in ("", "0", "false", "False", "no")


class Registry:
    """Packs, and the qualified names they define, over one pluggy ``PluginManager``."""

    def __init__(
        self,
        *,
        only: Iterable[str] | None = None,
        disabled: Iterable[str] = (),
        strict: bool = False,
    ) -> None:
        self.pm = pluggy.PluginManager("plugrad")
        self.pm.add_hookspecs(hookspecs.PackSpec)
        self.only = set(only) if only is not None else None
        self.strict = strict
        for name in disabled:
            self.pm.set_blocked(name)
        self.packs: dict[str, PackInfo] = {}
        self._namespaces: dict[str, list[str]] = {}  # namespace -> packs declaring it
        self._entries: dict[str, Entry] = {}
        self._conflicts: dict[str, list[Entry]] = {}
        self._loaded: set[str] = set()
        self._types_installed = False
        self._lock = threading.RLock()

    # -- loading packs -------------------------------------------------------------

    @classmethod
    def from_environment(cls) -> Registry:
        """A registry configured by the ``PLUGRAD_*`` environment variables, with entry points loaded."""
        registry = cls(
            only=_env_list("PLUGRAD_PACKS"),
            disabled=_env_list("PLUGRAD_DISABLE_PACKS") or (),
            strict=_env_flag("PLUGRAD_STRICT_PACKS"),
        )
        registry.load_entry_points(autoload=not _env_flag("PLUGRAD_DISABLE_PACK_AUTOLOAD"))
        return registry

    def load_entry_points(self, *, autoload: bool = True, group: str = ENTRY_POINT_GROUP) -> None:
        """Load the packs advertised in the entry-point ``group``, each in isolation.

        With ``autoload=False`` only the packs of plugrad's own distribution load.
        """
        for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            if not autoload and dist != BUILTIN_DISTRIBUTION:
                continue
            if ep.name in self.packs:
                continue  # the same distribution seen twice on sys.path
            info = PackInfo(ep.name, dist, version)
            if not self._admit(info):
                continue
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is the pack's fault
                self._fail(info, f"import of {ep.value!r} failed: {type(exc).__name__}: {exc}", exc)
                continue
            self._add(module, info)

    def register_pack(self, module: Any, name: str, *, distribution: str | None = None, version: str | None = None) -> PackInfo:
        """Load a pack object directly (a module or any object with hookimpls)."""
        info = PackInfo(name, distribution, version)
        if self._admit(info):
            self._add(module, info)
        return self.packs[name]

    def _admit(self, info: PackInfo) -> bool:
        if self.pm.is_blocked(info.name) or (self.only is not None and info.name not in self.only):
            info.status = "blocked"
            self.packs[info.name] = info
            return False
        return True

    def _add(self, module: Any, info: PackInfo) -> None:
        self.packs[info.name] = info
        try:
            self.pm.register(module, name=info.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            self._fail(info, f"invalid hook implementation: {exc}", exc)
            return
        unknown = [hc.name for hc in self.pm.get_hookcallers(module) or [] if hc.spec is None]
        if unknown:
            self.pm.unregister(module)
            self._fail(
                info,
                f"implements unknown hook(s) {', '.join(unknown)}; the hooks are "
                f"{', '.join(sorted(n for n in dir(hookspecs.PackSpec) if n.startswith('plugrad_')))}",
                None,
            )
            return
        result = self._call(info, "plugrad_namespaces", {})
        if info.status == "failed":
            return
        names = list(result or [])
        if not all(isinstance(n, str) for n in names):
            self.pm.unregister(module)
            self._fail(info, f"plugrad_namespaces returned {names!r}; expected a list of strings", None)
            return
        info.namespaces = names
        for ns in names:
            self._namespaces.setdefault(ns, []).append(info.name)

    def _fail(self, info: PackInfo, message: str, exc: BaseException | None) -> None:
        info.status = "failed"
        info.error = message
        self.packs[info.name] = info
        dist = f" (distribution {info.distribution} {info.version})" if info.distribution else ""
        text = f"plugrad pack {info.name!r}{dist} was not loaded: {message}"
        if self.strict:
            raise PackError(text) from exc
        warnings.warn(text + ". The other packs still work; PLUGRAD_DISABLE_PACKS=" f"{info.name} silences this.", PackWarning, stacklevel=4)

    def _call(self, info: PackInfo, hook: str, kwargs: dict[str, Any]) -> Any:
        """Call one pack's implementation of ``hook``, isolating its failures."""
        plugin = self.pm.get_plugin(info.name)
        if plugin is None:
            return None
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin is plugin:
                try:
                    return impl.function(**{k: kwargs[k] for k in impl.argnames})
                except Exception as exc:  # noqa: BLE001
                    self._fail(info, f"{hook} raised {type(exc).__name__}: {exc}", exc)
                    return None
        return None

    def loaded_packs(self) -> list[PackInfo]:
        return [p for p in self.packs.values() if p.status == "loaded"]

    # -- namespaces and names ------------------------------------------------------

    def namespaces(self) -> list[str]:
        """Every namespace some loaded pack declares."""
        return sorted(ns for ns, packs in self._namespaces.items() if any(self.packs[p].status == "loaded" for p in packs))

    def is_namespace(self, name: str) -> bool:
        """Whether ``name`` is a namespace, or a prefix of one (``scipy`` for ``scipy.special``)."""
        return any(ns == name or ns.startswith(name + ".") for ns in self.namespaces())

    def namespace(self, ns: str) -> dict[str, Entry]:
        """The entries of ``ns`` by short name, loading its packs' primitives on first use."""
        self._load_namespace(ns)
        prefix = ns + "."
        return {
            name[len(prefix) :]: entry
            for name, entry in self._entries.items()
            if name.startswith(prefix) and "." not in name[len(prefix) :]
        }

    def lookup(self, qualname: str) -> Entry | None:
        """The entry for ``numpy.sin``-style ``qualname``, or ``None``."""
        ns = qualname.rpartition(".")[0]
        self._load_namespace(ns)
        if qualname in self._conflicts:
            packs = [e.pack for e in self._conflicts[qualname]]
            raise PackConflictError(
                f"{qualname} is registered by packs {' and '.join(map(repr, packs))} and neither "
                "declares override=True. Disable one (PLUGRAD_DISABLE_PACKS=name) or have the "
                "intended one declare override=True."
            )
        return self._entries.get(qualname)

    def entries(self) -> dict[str, Entry]:
        """Every entry of every namespace, all loaded."""
        for ns in self.namespaces():
            self._load_namespace(ns)
        return dict(self._entries)

    def primitives(self) -> list[Primitive]:
        """Every registered :class:`Primitive`, sorted by name."""
        return sorted((e for e in self.entries().values() if isinstance(e, Primitive)), key=lambda p: p.name)

    def _load_namespace(self, ns: str) -> None:
        if ns in self._loaded:
            return
        with self._lock:
            if ns in self._loaded:
                return
            for pack in self._namespaces.get(ns, []):
                info = self.packs[pack]
                if info.status != "loaded":
                    continue
                items = self._call(info, "plugrad_primitives", {"namespace": ns})
                if info.status != "loaded" or items is None:
                    continue
                try:
                    checked = [self._validate(item, ns, info) for item in items]
                except (PackError, TypeError) as exc:
                    self._fail(info, str(exc), exc)
                    continue
                for item in checked:
                    self._insert(item, info)
            self._loaded.add(ns)

    def _validate(self, item: Any, ns: str, info: PackInfo) -> Any:
        what = f"pack {info.name!r} registered {item!r} in namespace {ns!r}"
        if not isinstance(item, (Primitive, NonDifferentiable, Composite, Rules)):
            raise PackError(f"{what}: expected Primitive, NonDifferentiable, Composite or Rules")
        if not isinstance(item.name, str) or not item.name.startswith(ns + "."):
            raise PackError(f"{what}: its name must start with {ns + '.'!r}")
        if isinstance(item, Rules):
            rules = list(item.vjps.values()) + list(item.jvps.values())
        elif isinstance(item, Primitive):
            rules = [r for r in item.vjps + item.jvps if r is not None]
            rules += [r for r in (item.vjp_argnum, item.jvp_argnum) if r is not None]
            if not callable(item.fun):
                raise PackError(f"{what}: its implementation {item.fun!r} is not callable")
        else:
            rules = [item.fun]
        for rule in rules:
            if not callable(rule):
                raise PackError(f"{what}: rule {rule!r} is not callable")
        return item

    def _insert(self, item: Any, info: PackInfo) -> None:
        if isinstance(item, Rules):
            item.pack = info.name
            target = self.lookup(item.target)
            if not isinstance(target, Primitive):
                self._fail(info, f"Rules for {item.target}: no primitive of that name is loaded", None)
                return
            for argnum, rule in item.vjps.items():
                target.def_vjp(rule, argnums=(argnum,))
            for argnum, rule in item.jvps.items():
                target.def_jvp(rule, argnums=(argnum,))
            info.extends.append(item.target)
            return
        if item.pack is None or isinstance(item, Primitive):
            item.pack = item.pack or info.name
        name = item.name
        current = self._entries.get(name)
        if current is None and name not in self._conflicts:
            self._entries[name] = item
            return
        if name in self._conflicts:
            self._conflicts[name].append(item)
            return
        assert current is not None
        if item.override and not current.override:
            self._entries[name] = item
            info.overrides.append(name)
        elif current.override and not item.override:
            self.packs[current.pack].overrides.append(name) if current.pack in self.packs else None
        else:
            del self._entries[name]
            self._conflicts[name] = [current, item]
            message = (
                f"packs {current.pack!r} and {info.name!r} both register {name} and "
                f"{'both' if item.override else 'neither'} declare override=True"
            )
            if self.strict:
                raise PackConflictError(message)
            warnings.warn(message + f"; {name} is unavailable until one is disabled.", PackWarning, stacklevel=5)

    def conflicts(self) -> dict[str, list[str]]:
        return {name: [str(e.pack) for e in entries] for name, entries in self._conflicts.items()}

    # -- types -------------------------------------------------------------------

    def install_types(self) -> None:
        """Call every pack's ``plugrad_types`` hook once, registering its spaces and boxes."""
        if self._types_installed:
            return
        with self._lock:
            if self._types_installed:
                return
            registrar = _TypeRegistrar()
            for info in self.loaded_packs():
                self._call(info, "plugrad_types", {"register": registrar})
            self._types_installed = True


class _TypeRegistrar:
    def vspace(self, value_type: type, factory: Callable[[Any], VSpace]) -> None:
        if not isinstance(value_type, type) or not callable(factory):
            raise TypeError(f"register.vspace needs a type and a factory, got {value_type!r}, {factory!r}")
        register_vspace(value_type, factory)

    def box(self, value_type: type, box_cls: type[Box]) -> None:
        if not (isinstance(box_cls, type) and issubclass(box_cls, Box)):
            raise TypeError(f"register.box needs a Box subclass, got {box_cls!r}")
        register_box_type(value_type, box_cls)


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, built from entry points and the environment on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                registry = Registry.from_environment()
                registry.install_types()
                _default = registry
    return _default


def ensure_types() -> None:
    """Make sure the default registry's packs have registered their types."""
    if _default is None:
        default_registry()


def describe_packs(registry: Registry) -> Sequence[str]:
    """``name version`` of each loaded pack, for error messages."""
    return [p.label() for p in registry.loaded_packs()]
