"""Entry points of the installed distributions, read without importing ``importlib.metadata``.

Importing ``importlib.metadata`` costs about 20 ms (it brings ``email``, ``csv``,
``zipfile``...), as much as the rest of ``import plugrad.numpy``. The registry needs
one group, so it reads ``entry_points.txt`` in each ``*.dist-info`` and ``*.egg-info``
folder on ``sys.path`` itself, by importlib.metadata's rules: a distribution is known
by its normalized name (``Plugrad_Example`` is ``plugrad-example``) and the first one
on ``sys.path`` wins. What the scan does not read itself, it leaves to
importlib.metadata: an archive on ``sys.path`` (a zip file), and everything when a
finder on ``sys.meta_path`` other than the standard one provides distributions.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from typing import Any

__all__ = ["Distribution", "EntryPoint", "entry_points", "normalize"]


class Distribution:
    """An installed distribution's metadata folder; its name and version are read on first use."""

    __slots__ = ("path", "_headers")

    def __init__(self, path: str, headers: dict[str, str] | None = None) -> None:
        self.path = path
        self._headers = headers

    def __repr__(self) -> str:
        return f"<Distribution {self.name} {self.version} at {self.path}>"

    @property
    def name(self) -> str:
        return self._header("Name") or _stem_name(os.path.basename(self.path))

    @property
    def version(self) -> str | None:
        return self._header("Version")

    def _header(self, key: str) -> str | None:
        if self._headers is None:
            self._headers = _read_headers(self.path)
        return self._headers.get(key)


class EntryPoint:
    """One ``name = value`` line of a distribution's entry points."""

    __slots__ = ("name", "value", "group", "dist")

    def __init__(self, name: str, value: str, group: str, dist: Distribution | None) -> None:
        self.name = name
        self.value = value
        self.group = group
        self.dist = dist

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"

    def load(self) -> Any:
        """Import the module of ``module:attr.path [extras]`` and look up the attributes, if any."""
        module, colon, attrs = self.value.partition("[")[0].partition(":")  # extras play no part
        module, path = module.strip(), attrs.strip().split(".") if colon else []
        if not all(part.isidentifier() for part in (*module.split("."), *path)):
            raise ValueError(f"entry point {self.name} = {self.value!r} is not of the form 'module:attr'")
        target: Any = importlib.import_module(module)
        for attr in path:
            target = getattr(target, attr)
        return target


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points in ``group`` on ``sys.path``: those importlib.metadata would return."""
    finders = [f for f in sys.meta_path if f is not importlib.machinery.PathFinder]
    if any(hasattr(finder, "find_distributions") for finder in finders):
        return _from_importlib_metadata(group)
    found: list[EntryPoint] = []
    seen: set[str] = set()
    header = f"[{group}]".encode()
    for entry in sys.path:
        for key, dist, data in _distributions(entry or "."):
            if key not in seen:
                seen.add(key)
                if header in data:  # most distributions have no plugrad entry points: skip the parse
                    pairs = _section(data.decode("utf-8"), group)
                    found += [EntryPoint(name, value, group, dist) for name, value in pairs]
    return found


def _distributions(entry: str) -> list[tuple[str, Distribution, bytes]]:
    """(normalized name, distribution, its entry_points.txt) for each distribution in a sys.path entry."""
    try:
        children = sorted(os.listdir(entry))
    except OSError:
        return _archive(entry) if os.path.isfile(entry) else []
    found = []
    for child in children:
        if child.lower().endswith((".dist-info", ".egg-info")):
            found.append((normalize(_stem_name(child)), os.path.join(entry, child)))
    if entry.lower().endswith(".egg") and "EGG-INFO" in children:  # an unzipped egg
        found.append((normalize(os.path.basename(entry).partition("-")[0]), os.path.join(entry, "EGG-INFO")))
    return [(key, Distribution(path), _read(path + os.sep + "entry_points.txt")) for key, path in found]


def _archive(entry: str) -> list[tuple[str, Distribution, bytes]]:
    import importlib.metadata

    return [
        (normalize(dist.name), _converted(dist), (dist.read_text("entry_points.txt") or "").encode())
        for dist in importlib.metadata.distributions(path=[entry])
    ]


def _from_importlib_metadata(group: str) -> list[EntryPoint]:
    import importlib.metadata

    return [
        EntryPoint(ep.name, ep.value, group, _converted(ep.dist) if ep.dist else None)
        for ep in importlib.metadata.entry_points(group=group)
    ]


def _converted(dist: Any) -> Distribution:
    return Distribution(str(getattr(dist, "_path", "")), {"Name": dist.name, "Version": dist.version})


def normalize(name: str) -> str:
    """PEP 503's normal form: ``re.sub(r"[-_.]+", "-", name).lower()``, without compiling a regex."""
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


def _stem_name(folder: str) -> str:
    """``plugrad_example`` of ``plugrad_example-0.1.0.dist-info``."""
    return folder.rpartition(".")[0].partition("-")[0]


def _read(path: str) -> bytes:
    """The file's bytes, ``b""`` if it is missing (os.open: twice as fast as open() for this)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no entry points (or an egg-info that is a file, not a folder)
        return b""
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` pairs under ``[group]`` of an entry_points.txt."""
    pairs, current = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[]")
        elif current == group and "=" in line:  # importlib.metadata raises on a line without one
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs


def _read_headers(path: str) -> dict[str, str]:
    """The header fields of a METADATA file (an egg's PKG-INFO): the lines before the first blank one."""
    for name in ("METADATA", "PKG-INFO"):
        headers: dict[str, str] = {}
        try:
            with open(os.path.join(path, name), encoding="utf-8") as file:
                for line in file:
                    if not line.strip():
                        break
                    key, sep, value = line.partition(":")
                    if sep and not line[0].isspace():  # not a continuation line
                        headers.setdefault(key.strip(), value.strip())
        except OSError:
            continue
        return headers
    return {}
