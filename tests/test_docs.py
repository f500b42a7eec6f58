"""The documentation cannot go stale: its examples run, and its reference covers the API.

* Every ``>>>`` example of every page under ``docs/`` runs as a doctest, one test per
  page, the examples of a page sharing one namespace (as ``sphinx-build -b doctest``
  would run them). No Sphinx needed.
* Every public name of plugrad's modules is rendered somewhere by an autodoc directive.
* Files the pages include exist, the figures' code runs (when matplotlib is installed),
  and the generated coverage page lists every registered function.

The site itself, with its figures and the full gradient check, is built by
``nox -s docs`` with warnings as errors.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import plugrad
from plugrad.registry import PackWarning

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _id(page: Path) -> str:
    return str(page.relative_to(DOCS))


@pytest.fixture(autouse=True)
def _quiet_packs() -> Any:
    # Packs that fail to load warn once, when the default registry is built; the pages'
    # examples do not depend on them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PackWarning)
        yield


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The pack-writing page loads the example pack from the repository, installed or not.
    monkeypatch.syspath_prepend(str(ROOT / "plugins" / "plugrad-example"))
    monkeypatch.chdir(tmp_path)
    name = _id(page)
    test = doctest.DocTestParser().get_doctest(page.read_text(encoding="utf-8"), {"__name__": "__docs__"}, name, str(page), 0)
    if not test.examples:
        pytest.skip("no examples on this page")
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


# -- the API reference ------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^\s*\.\. (auto\w+|py:\w+|currentmodule|module)::\s*([\w.]+)(?:\(.*\))?\s*$")
_OPTION = re.compile(r"^\s+:([\w-]+):\s*(.*)$")


def _resolve(dotted: str) -> Any:
    """The object a dotted name means, as autodoc finds it: attributes first, then submodules
    (``plugrad.vspace`` is the function, not the module of that name)."""
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:i]))
    return obj


def documented() -> tuple[list[int], list[str]]:
    """ids of the objects the pages render with autodoc (or ``py:`` directives), and the names."""
    ids, names = [], []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        module = None
        for i, line in enumerate(lines):
            match = _DIRECTIVE.match(line)
            if not match:
                continue
            kind, target = match.groups()
            options = {}
            for follow in lines[i + 1 :]:
                opt = _OPTION.match(follow)
                if not opt:
                    break
                options[opt.group(1)] = opt.group(2)
            if kind in ("currentmodule", "module", "automodule"):
                module = target
            if kind in ("currentmodule", "module"):
                continue
            full = target if kind == "automodule" or "." in target and target.startswith("plugrad") else f"{module}.{target}"
            names.append(full)
            ids.append(id(importlib.import_module(full) if kind == "automodule" else _resolve(full)))
            if kind == "automodule" and "members" in options:
                mod = importlib.import_module(full)
                excluded = {n.strip() for n in options.get("exclude-members", "").split(",")}
                for member in getattr(mod, "__all__", []):
                    value = getattr(mod, member)
                    # autodoc renders documented functions and classes; data needs its own directive
                    if member not in excluded and (inspect.isroutine(value) or inspect.isclass(value)):
                        names.append(f"{full}.{member}")
                        ids.append(id(value))
    return ids, names


PUBLIC = {
    "plugrad": None,
    "plugrad.extend": None,
    "plugrad.test_util": None,
    "plugrad.builtins": None,
    "plugrad.gradcheck": None,
    "plugrad.hookspecs": ["PackSpec", "TypeRegistrar"],
    "plugrad.registry": ["Registry", "PackWarning", "default_registry"],
}


def test_reference_renders_every_public_name() -> None:
    ids, names = documented()
    missing = []
    for module_name, wanted in PUBLIC.items():
        module = importlib.import_module(module_name)
        for name in wanted or module.__all__:
            if id(getattr(module, name)) not in ids:
                missing.append(f"{module_name}.{name}")
    assert not missing, (
        f"public names the docs do not render: {', '.join(missing)}. Add an autodoc directive "
        "for each to docs/api.rst (or docs/packs.rst for hooks and the pytest plugin)."
    )
    assert "plugrad.hookspecs.PackSpec" in names  # the hooks are rendered from their docstrings


# -- included files, figures, the coverage page ----------------------------------------------


def test_included_files_exist() -> None:
    pattern = re.compile(r"^\s*\.\. literalinclude::\s*(\S+)", re.M)
    for page in PAGES:
        for target in pattern.findall(page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{_id(page)} includes {target}, which does not exist"


def _plots() -> list[tuple[str, str]]:
    """``(page:line, code)`` of every ``.. plot::`` directive."""
    found = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.strip() != ".. plot::":
                continue
            body = []
            for follow in lines[i + 1 :]:
                if follow.strip() and not follow.startswith("   "):
                    break
                body.append(follow[3:])
            code = "\n".join(body[body.index("") :]) if "" in body else ""  # options come first
            found.append((f"{_id(page)}:{i + 1}", code))
    return found


@pytest.mark.parametrize(("where", "code"), _plots(), ids=[w for w, _ in _plots()])
def test_figures_code_runs(where: str, code: str) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        exec(compile(code, where, "exec"), {"__name__": "__plot__"})
        assert plt.get_fignums(), f"{where} drew no figure"
    finally:
        plt.close("all")


def test_coverage_page_lists_every_function() -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        coverage = importlib.import_module("plugrad_coverage_data")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    registry = plugrad.default_registry()
    data = coverage.collect(registry)
    text = "\n".join(coverage.render(data, None))
    for name in registry.entries():
        assert f"``{name.rpartition('.')[2]}``" in text, name
    checks = {"order": 1, "seconds": 0.0, "summary": "1 passed, 1 failed", "packs": [],
              "primitives": {"numpy.sin": {"passed": 1, "failed": 1, "xfailed": 0, "failing": ["numpy.sin[0-float64-arg0-vjp]"]}}}
    text = "\n".join(coverage.render(data, checks))
    assert "**1 FAILED** (``numpy.sin[0-float64-arg0-vjp]``), 1 passed" in text
