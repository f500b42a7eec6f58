"""Sessions: ``nox -s tests``, ``nox -s gradcheck``, ``nox -s docs``, ``nox -s dask``, ``nox -s typecheck``,
``nox -s bench``, ``nox -s example``, ``nox -s example-pack``, ``nox -s autograd-suite``,
``nox -s newer-pythons``, ``nox -s oldest-deps``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["tests", "gradcheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (installs plugrad with its test extras into the session)."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", *(session.posargs or ["-q"]))


@nox.session
def gradcheck(session: nox.Session) -> None:
    """Check every primitive of every installed pack: FD both modes, transpose, types, 2nd order."""
    session.install(".")
    session.run("python", "-m", "plugrad", "gradcheck", *session.posargs)


@nox.session(name="newer-pythons", python=["3.12", "3.13"])
def newer_pythons(session: nox.Session) -> None:
    """The tests and the gradient check on Python 3.12 and 3.13, which get newer NumPy and
    SciPy releases than 3.11 does (NumPy 2.5 dropped ``row_stack``; SciPy 1.18 changed
    ``cho_factor``). ``.ci/run`` runs it where the machine has those interpreters."""
    session.install(".[test]")
    session.run("python", "-c", "import numpy, scipy; print('NumPy', numpy.__version__, 'SciPy', scipy.__version__)")
    _tests_and_gradcheck(session)


@nox.session(name="oldest-deps")
def oldest_deps(session: nox.Session) -> None:
    """The tests and the gradient check with the oldest release of each dependency that
    pyproject.toml allows (``numpy>=2.4`` installs NumPy 2.4.0), so the lower bounds it
    declares are ones that work."""
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = [re.sub(r"\s*>=\s*", "==", r) for r in requirements if ">=" in r]
    # In the virtualenv's folder: session.create_tmp() would point TMPDIR into the project,
    # where pytester's runs would find its pyproject.toml.
    constraints = Path(session.virtualenv.location) / "oldest.txt"
    constraints.write_text("\n".join(pins) + "\n")
    session.install("-c", str(constraints), ".[test]")
    session.run("python", "-m", "pip", "freeze")
    _tests_and_gradcheck(session)


def _tests_and_gradcheck(session: nox.Session) -> None:
    session.run("python", "-m", "pytest", "-q")
    session.run("python", "-m", "plugrad", "gradcheck", "-q")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the Sphinx site with warnings as errors; its examples and plots run during the build."""
    session.install(".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html", *session.posargs)


@nox.session
def dask(session: nox.Session) -> None:
    """The Dask pack: its tests on a local cluster, and its primitives through the gradient checker."""
    session.install(".[test,dask]")
    session.run("python", "-m", "pytest", "tests/test_dask.py", "-q", *session.posargs)
    session.run("python", "-m", "plugrad", "gradcheck", "--pack", "dask")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over the kernel, whose annotations ship with it (``py.typed``): strict, as pyproject.toml sets."""
    session.install(".[test]", "mypy>=1.11,<3")  # pytest too: the gradcheck plugin imports it
    session.run("mypy", "plugrad", *session.posargs)


@nox.session(name="autograd-suite")
def autograd_suite(session: nox.Session) -> None:
    """autograd's own test suite (downloaded from PyPI) run on plugrad with only the import
    renamed; fails on any failure but the known differences compat/autograd_suite.py lists.
    xarray only for its tests of ufuncs and operators through xarray.DataArray."""
    session.install(".[test]", "xarray")
    session.run("python", "compat/autograd_suite.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against autograd (and PyTorch CPU where installed) in one process; writes
    benchmarks/results/latest.md and .json. ``nox -s bench -- --quick`` is the < 60 s smoke test."""
    session.install(".[bench]")
    session.run(
        "python",
        "benchmarks/run.py",
        "--out",
        "benchmarks/results/latest.md",
        "--json",
        "benchmarks/results/latest.json",
        *session.posargs,
    )


@nox.session(name="example-pack")
def example_pack(session: nox.Session) -> None:
    """The third-party example pack, installed from its own distribution, and its tests."""
    session.install(".[test]", "./plugins/plugrad-example")
    session.run("python", "-m", "pytest", "plugins/plugrad-example/tests", "-q")
    session.run("python", "-m", "plugrad", "gradcheck", "--pack", "example")


@nox.session
def example(session: nox.Session) -> None:
    """The canonical example: derivatives of a polynomial, plotted to examples/poly.png."""
    session.install(".", "matplotlib")
    session.run("python", "examples/poly.py")
