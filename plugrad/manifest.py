"""How a pack's ``plugrad_primitives`` hook gathers its functions: all at once from its
modules (:func:`collect`), or named by a generated manifest and imported on demand
(:func:`deferred`). Both say what they leave out that looks meant for the namespace.

:func:`collect` returns the functions of one namespace that the pack's modules hold.
Leaving out the others is right for another pack's function a module imported, but wrong
for a function whose name was meant for the namespace and is not in it: a misspelt
namespace, or a ``plugrad.extend.primitive`` named after its module for want of
``name=``. Those are said -- to the registry, which asked for the functions, as the pack's
problems; to the caller otherwise, as warnings -- so that no function goes missing
without a word.

A pack whose modules should load on demand returns :class:`Deferred` items instead of
its functions: one per name, saying which module defines it. The registry imports
that module the first time one of its names is used: ``plugrad.numpy.sin``
imports the NumPy pack's module defining ``sin``, not those defining ``cov`` or ``sort``.
When it does, it checks the module against the manifest: a name the module does
not define, or defines with another ``override``, is the pack's fault like any other.

The manifest is generated from the pack's modules, never written by hand::

    python -m plugrad manifest plugrad_example           # writes plugrad_example/_manifest.py
    python -m plugrad manifest plugrad_example --check   # exits 1 if the file is out of date

and the pack's hook returns :func:`deferred` of it::

    @hookimpl
    def plugrad_primitives(namespace):
        from plugrad_example._manifest import MODULES, OVERRIDE

        return deferred(__name__, MODULES, namespace, OVERRIDE)

:class:`~plugrad.Rules` are not deferred: the registry applies them when the
namespace loads, so a pack returns them itself, beside its deferred names.
"""

from __future__ import annotations

import contextvars
import importlib
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from plugrad.primitive import Composite, NonDifferentiable, Primitive, Rules

__all__ = ["Deferred", "collect", "deferred", "held", "build", "render", "main"]

FILENAME = "_manifest.py"


class Deferred:
    """A function of a pack, named but not yet imported: ``module`` defines ``name``.

    ``override`` is what the function declares, read from the manifest, so the
    registry settles who owns a name without importing the module.
    """

    __slots__ = ("name", "module", "override", "pack")

    def __init__(self, name: str, module: str, override: bool = False) -> None:
        self.name = name
        self.module = module
        self.override = override
        self.pack: str | None = None  # set on the copy each registry keeps of a pack's names

    def __repr__(self) -> str:
        return f"<Deferred {self.name} from {self.module}>"


def deferred(
    package: str, modules: Mapping[str, Sequence[str]], namespace: str, override: Iterable[str] = ()
) -> list[Deferred]:
    """The :class:`Deferred` names of ``namespace`` in a manifest: ``modules`` maps a module
    of ``package`` to the qualified names it defines; ``override`` lists those declaring
    ``override=True``. What it leaves out that looks meant for the namespace, it says, as
    :func:`~plugrad.collect` does."""
    overriding = frozenset(override)
    prefix = namespace + "."
    mine = [
        Deferred(name, f"{package}.{module}", name in overriding)
        for module, names in modules.items()
        for name in names
        if name.startswith(prefix) and "." not in name[len(prefix) :]
    ]
    pairs = [(m, n) for m, listed in modules.items() for n in listed]
    if len(mine) < len(pairs):
        left_out("deferred", package, namespace, pairs, not mine)
    return mine


def build(package: str, modules: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Import ``package.<module>`` for each of ``modules``, in order, and say which module
    first holds each function: ``({module: [qualified names]}, [names with override=True])``.

    A function a module imports from an earlier one belongs to the earlier one, as in
    :func:`~plugrad.collect`, which returns the same functions.
    """
    by_module: dict[str, list[str]] = {module: [] for module in modules}
    overriding: list[str] = []
    for module, value in held(package, by_module):
        if not isinstance(value, Rules):  # applied when the namespace loads: never deferred
            by_module[module].append(value.name)
            if value.override:
                overriding.append(value.name)
    return {m: sorted(n) for m, n in by_module.items()}, sorted(overriding)


def render(package: str, modules: Iterable[str]) -> str:
    """The text of ``package/_manifest.py`` for ``modules``."""
    by_module, overriding = build(package, modules)
    lines = [
        f'"""Which module of {package} defines each of its functions, for the registry to',
        "import a module only when one of its names is used (see plugrad.manifest).",
        "",
        f"Generated by ``python -m plugrad manifest {package}``; do not edit.",
        '"""',
        "",
        "MODULES = {",
    ]
    for module, names in by_module.items():
        lines.append(f'    "{module}": (')  # identifiers and dotted names: no quoting to escape
        lines.extend(f'        "{name}",' for name in names)
        lines.append("    ),")
    lines.append("}")
    quoted = [f'"{name}"' for name in overriding]
    lines.append(f"OVERRIDE = ({', '.join(quoted)}{',' if len(quoted) == 1 else ''})")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # here, not at the top: the registry imports this module with plugrad
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="python -m plugrad manifest",
        description="Write a pack's manifest (PACKAGE/_manifest.py) from the modules in PACKAGE.MODULES.",
    )
    parser.add_argument("package", help="the pack's import name, such as plugrad_example")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is out of date")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        pack = importlib.import_module(args.package)
    except Exception as exc:  # noqa: BLE001 - say what failed, without a traceback
        print(f"plugrad manifest: importing {args.package} raised {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    modules = getattr(pack, "MODULES", None)
    if pack.__file__ is None:
        print(f"plugrad manifest: {args.package} is not a regular package (no __init__.py)", file=sys.stderr)
        return 2
    if not isinstance(modules, (list, tuple)) or not all(isinstance(m, str) for m in modules):
        print(
            f"plugrad manifest: {args.package} has no MODULES, the tuple of its modules that define "
            "functions (in dependency order); add one",
            file=sys.stderr,
        )
        return 2
    try:
        text = render(args.package, modules)
    except Exception as exc:  # noqa: BLE001
        print(f"plugrad manifest: importing {args.package}'s modules raised {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    path = Path(pack.__file__).with_name(FILENAME)
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if args.check:
        if current != text:
            print(f"{path} is out of date: run python -m plugrad manifest {args.package}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    if current != text:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    else:
        print(f"{path} is up to date")
    return 0


def collect(package: str, modules: Iterable[str], namespace: str | None = None) -> list[Any]:
    """Every Primitive, NonDifferentiable, Composite and Rules defined at module level in
    ``package.<module>`` for each of ``modules`` (imported now), in order, each once; with
    ``namespace``, only those whose name lies directly in it, saying which of the others
    look meant for it (see :doc:`/packs`). The usual body of a pack's
    ``plugrad_primitives`` hook::

        return collect("plugrad_example", ["functions"], "example")
    """
    pairs = list(held(package, modules))
    found = [value for _, value in pairs]
    if namespace is None:
        return found
    mine = [e for e in found if e.name.rpartition(".")[0] == namespace]
    if len(mine) < len(found):
        left_out("collect", package, namespace, [(module, e.name) for module, e in pairs], not mine)
    return mine


def held(package: str, modules: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """``(module, function)`` for each Primitive, NonDifferentiable, Composite and Rules at
    module level in ``package.<module>`` for each of ``modules``, importing them in order;
    a function several modules hold counts once, for the first (what :func:`collect`
    returns, and what a manifest records)."""
    kinds = (Primitive, NonDifferentiable, Composite, Rules)
    seen: set[int] = set()
    for name in modules:
        for value in vars(importlib.import_module(f"{package}.{name}")).values():
            if isinstance(value, kinds) and id(value) not in seen:
                seen.add(id(value))
                yield name, value


class Request:
    """A registry's request for a pack's functions of one namespace, while its hook runs:
    what :func:`left_out` reads (the namespaces declared) and writes (its notes, and the
    names it left out that no note covers)."""

    __slots__ = ("declared", "own", "notes", "noted", "left")

    def __init__(self, declared: Iterable[str], own: Iterable[str]) -> None:
        self.declared = frozenset(declared)  # the namespaces the loaded packs declare
        self.own = tuple(own)  # those of the pack asked
        self.notes: list[str] = []  # become the pack's problems
        self.noted: set[str] = set()  # the names they name
        self.left: list[str] = []  # the other names of undeclared namespaces: a missing name's hint


request: contextvars.ContextVar[Request | None] = contextvars.ContextVar("plugrad_request", default=None)


def left_out(
    how: str, package: str, namespace: str, pairs: Iterable[tuple[str, str]], nothing: bool = False
) -> None:
    """Say what ``how`` (collect, deferred) left out of ``namespace`` that looks meant for
    it, given ``(module, name)`` of each function the modules hold (``nothing``: none was
    kept): names of undeclared namespaces, public ones (a private ``ns._helper`` is left
    out quietly)."""
    asked = request.get()
    declared = asked.declared if asked is not None else frozenset()
    out = []  # (module, namespace, name) of each name left out that may be a mistake
    loose = set()  # those public and of an undeclared namespace (all of them, unless nothing was kept)
    for module, name in pairs:
        space, _, short = name.rpartition(".")
        public_undeclared = space not in declared and not short.startswith("_")
        if space != namespace and (nothing or public_undeclared):
            out.append((module, space, name))
            if public_undeclared:
                loose.add(name)
    if not out:
        return
    unnamed = sorted(n for m, s, n in out if n in loose and s == f"{package}.{m}")
    rest = [(space, name) for _, space, name in out if name not in unnamed]
    notes = []
    noted = set(unnamed)
    if unnamed:
        notes.append(_unnamed_note(how, package, unnamed, asked.own if asked is not None else (namespace,)))
    if nothing and rest:  # (its note names namespaces: the names stay for a missing name's hint)
        notes.append(_nothing_note(how, package, namespace, sorted({space for space, _ in rest})))
    elif asked is not None:  # (by hand, nothing is known of the other packs' namespaces)
        for note, strays in _near_misses(how, package, namespace, rest):
            notes.append(note)
            noted.update(strays)
            rest = [(s, n) for s, n in rest if n not in strays]
    if asked is not None:
        asked.notes += notes
        asked.noted |= noted
        asked.left += [n for _, n in rest if n in loose]
        return
    if notes:
        import warnings

        from plugrad.errors import PackWarning

        for note in notes:
            warnings.warn(note, PackWarning, stacklevel=3)


def _unnamed_note(how: str, package: str, unnamed: list[str], own: tuple[str, ...]) -> str:
    """Functions named after their module, as ``plugrad.extend.primitive`` names one without ``name=``."""
    short = unnamed[0].rpartition(".")[2]
    spaces = "" if len(own) == 1 else f" (its namespaces: {', '.join(map(repr, own))})"
    return (
        f"{how}({package!r}, ...) left out {', '.join(unnamed)}: named after "
        f"{'its module' if len(unnamed) == 1 else 'their modules'}, as plugrad.extend.primitive names "
        "a function without name=. Name it as the pack publishes it: "
        f"@primitive(name='{own[0]}.{short}'){spaces}."
    )


def _nothing_note(how: str, package: str, namespace: str, spaces: list[str]) -> str:
    """No function kept, though the modules hold some: a misspelt namespace, most likely."""
    return (
        f"{how}({package!r}, ..., {namespace!r}) found no functions in namespace {namespace!r}, but the "
        f"modules hold functions of namespace{'s' * (len(spaces) > 1)} {', '.join(map(repr, spaces))}: is "
        "the namespace misspelt? (A function's name is <namespace>.<identifier>.)"
    )


def _near_misses(
    how: str, package: str, namespace: str, rest: list[tuple[str, str]]
) -> Iterator[tuple[str, list[str]]]:
    """(note, names) for the functions of each undeclared namespace an edit or two from
    ``namespace``: misspelt, most likely. One that extends it or that it extends (``mylib2``
    beside ``mylib``, left undeclared while its optional dependency is missing) is a sibling
    named on purpose, not a slip."""
    for space in sorted({s for s, _ in rest}):
        if space.startswith(namespace) or namespace.startswith(space):
            continue
        if _edits(space, namespace) <= (1 if len(namespace) < 8 else 2):
            strays = sorted(n for s, n in rest if s == space)
            yield (
                f"{how}({package!r}, ..., {namespace!r}) left out {', '.join(strays)}: namespace "
                f"{space!r} is declared by no loaded pack, and is close to {namespace!r}. Is it misspelt? "
                "(A function's name is <namespace>.<identifier>.)"
            ), strays


def _edits(a: str, b: str) -> int:
    """The number of single-character insertions, deletions, substitutions and swaps of
    neighbours that turn ``a`` into ``b`` (``exmaple`` is one from ``example``)."""
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        earlier, before, row = before, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], earlier[j - 2] + 1)
    return row[-1]
