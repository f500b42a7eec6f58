"""The entry-point scan finds what importlib.metadata finds, without importing it.

importlib.metadata is the oracle: each layout of ``sys.path`` below is read by both.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from plugrad import _entry_points


def found(group: str) -> list[tuple[str, str, str | None, str | None]]:
    return sorted((ep.name, ep.value, ep.dist.name, ep.dist.version) for ep in _entry_points.entry_points(group))


def expected(group: str) -> list[tuple[str, str, str | None, str | None]]:
    return sorted((ep.name, ep.value, ep.dist.name, ep.dist.version) for ep in importlib.metadata.entry_points(group=group))


def dist(site: Path, folder: str, entry_points: str | None, name: str, version: str = "1.0") -> None:
    """A distribution's metadata folder, as an installer writes it."""
    path = site / folder
    path.mkdir(parents=True)
    path.joinpath("METADATA" if folder.endswith(".dist-info") else "PKG-INFO").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a test\n  continued\n\nName: not-this\n"
    )
    if entry_points is not None:
        path.joinpath("entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_agrees_with_importlib_metadata_on_this_interpreter() -> None:
    groups = importlib.metadata.entry_points().groups
    assert "plugrad" in groups
    for group in groups:
        assert found(group) == expected(group), group


def test_layouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    # The first distribution of a normalized name on sys.path wins, entry points or not.
    dist(first, "Plugrad_Shadow-2.0.dist-info", None, "Plugrad_Shadow", "2.0")
    dist(second, "plugrad.shadow-1.0.dist-info", "[plugrad]\nshadow = never\n", "plugrad.shadow")
    dist(first, "plugrad_twice-1.0.dist-info", "[plugrad]\ntwice = first\n", "plugrad-twice")
    dist(second, "plugrad_twice-1.0.dist-info", "[plugrad]\ntwice = second\n", "plugrad-twice")
    # Comments, blank lines, other groups, attributes and extras.
    entry_points = """
        # a comment
        [console_scripts]
        tool = plugrad_many.cli:main

        [plugrad]
        # another comment
        one = plugrad_many.one
        two=plugrad_many:pack [extra]
        [plugrad.other]
        three = elsewhere
    """
    dist(second, "plugrad_many-0.3.dist-info", entry_points, "plugrad-many", "0.3")
    dist(second, "plugrad_egg.egg-info", "[plugrad]\negg = plugrad_egg\n", "plugrad-egg", "0.2")
    monkeypatch.setattr(sys, "path", [str(first), str(second)])
    assert found("plugrad") == expected("plugrad") == [
        ("egg", "plugrad_egg", "plugrad-egg", "0.2"),
        ("one", "plugrad_many.one", "plugrad-many", "0.3"),
        ("twice", "first", "plugrad-twice", "1.0"),
        ("two", "plugrad_many:pack [extra]", "plugrad-many", "0.3"),
    ]
    assert found("console_scripts") == expected("console_scripts")
    assert found("plugrad.other") == expected("plugrad.other")


def test_a_zip_on_sys_path_is_read_by_importlib_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "packs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("plugrad_zipped-1.0.dist-info/METADATA", "Name: plugrad-zipped\nVersion: 1.0\n")
        z.writestr("plugrad_zipped-1.0.dist-info/entry_points.txt", "[plugrad]\nzipped = plugrad_zipped\n")
    plain = tmp_path / "site"
    dist(plain, "plugrad_zipped-2.0.dist-info", "[plugrad]\nzipped = shadowed\n", "plugrad-zipped", "2.0")
    monkeypatch.setattr(sys, "path", [str(archive), str(plain), str(tmp_path / "missing")])
    assert found("plugrad") == expected("plugrad") == [("zipped", "plugrad_zipped", "plugrad-zipped", "1.0")]


def test_a_finder_with_its_own_distributions_is_asked_through_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Finder:
        def find_spec(self, *args: Any) -> None:
            return None

        def find_distributions(self, context: Any = None) -> list[Any]:
            path = tmp_path / "plugrad_virtual-1.0.dist-info"
            return [importlib.metadata.PathDistribution(path)]

    dist(tmp_path, "plugrad_virtual-1.0.dist-info", "[plugrad]\nvirtual = plugrad_virtual\n", "plugrad-virtual")
    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    assert found("plugrad") == expected("plugrad") == [("virtual", "plugrad_virtual", "plugrad-virtual", "1.0")]


def test_load() -> None:
    def load(value: str) -> Any:
        return _entry_points.EntryPoint("x", value, "plugrad", None).load()

    assert load("plugrad._entry_points") is _entry_points
    assert load(" plugrad._entry_points : EntryPoint.load [extra] ") is _entry_points.EntryPoint.load
    for bad in ("", "plugrad:", "plugrad x", "plugrad:a b"):
        with pytest.raises(ValueError, match="is not of the form 'module:attr'"):
            load(bad)


def test_normalize() -> None:
    assert _entry_points.normalize("Plugrad__Example.pack-") == "plugrad-example-pack-"
    assert _entry_points.normalize("plugrad") == "plugrad"


def test_first_use_of_plugrad_numpy_imports_only_what_it_needs() -> None:
    code = """
        import json, sys
        import numpy
        before = set(sys.modules)
        import plugrad.numpy as pnp
        pnp.sin
        loaded = set(sys.modules) - before
        import plugrad
        grad = plugrad.grad(pnp.sin)(0.0)
        print(json.dumps({"loaded": sorted(loaded), "grad": grad}))
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.splitlines()[-1])
    loaded = set(out["loaded"])
    # Neither importlib.metadata, nor SciPy, nor the SciPy packs' functions, nor the
    # differential operators or the packs' types, which wait for the first derivative.
    unwanted = {"importlib.metadata", "email", "scipy", "plugrad_scipy_special.gamma", "plugrad.api", "plugrad_numpy.box"}
    assert loaded & unwanted == set()
    assert {"plugrad_numpy", "plugrad_numpy.unary", "plugrad_scipy_special"} <= loaded
    assert out["grad"] == 1.0
