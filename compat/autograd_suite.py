"""Run autograd's own test suite against plugrad, changing only the import name.

The brief plugrad keeps is that code written against autograd runs on plugrad once
``autograd`` is renamed ``plugrad``. autograd's tests are that code: this script downloads
the source distribution of the autograd release below from PyPI, renames the imports in
its ``tests/`` and runs them with pytest against the installed plugrad. Nothing of
autograd is kept in this repository.

A test may fail only where plugrad differs on purpose; each such test is listed in
``KNOWN`` with the reason (the user-facing list is "Known differences" in
docs/migrating.rst). The run fails if any other test fails, and also if a listed test
passes, so the list cannot go stale.

Usage: ``nox -s autograd-suite`` or ``python compat/autograd_suite.py [WORKDIR]``.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

VERSION = "1.9.1"

KNOWN = {
    "test_fft.py::test_rfftn_odd_not_implemented": (
        "plugrad differentiates rfftn for an odd last axis, where autograd raises NotImplementedError"
    ),
    "test_tests.py::test_check_vjp_1st_order_fail": "check_grads' failure message is plugrad's own wording",
    "test_tests.py::test_check_vjp_2nd_order_fail": "check_grads' failure message is plugrad's own wording",
    "test_vspaces.py::test_array_vspace_complex": (
        "a complex vector space's ones() is 1 in every element (numpy.ones), not 1 + 1j"
    ),
    "test_wrappers.py::test_custom_where_dtypes[int-True-1-2]": "numpy.where returns NumPy's array, not a Python number",
    "test_wrappers.py::test_custom_where_dtypes[float-True-3.0-4.0]": "numpy.where returns NumPy's array, not a Python number",
    "test_wrappers.py::test_custom_where_dtypes[float-False-1-2.0]": "numpy.where returns NumPy's array, not a Python number",
    "test_wrappers.py::test_custom_where_dtypes[list-True-x3-y3]": "numpy.where returns NumPy's array, not a list",
    "test_wrappers.py::test_custom_where": "numpy.where takes NumPy's positional arguments, not keywords",
    "test_wrappers.py::test_wrapped_name_and_docs": "a differential operator's result is named grad(f), with f's docstring",
}

# Imports of autograd internals that plugrad does not have, replaced so that the rest of
# the file still runs (the tests that need them are listed in KNOWN_PATCHED).
PATCHES = {
    "test_logic.py": (
        "from plugrad.core import primitive_vjps",
        "primitive_vjps = {}  # autograd's internal rule table; plugrad keeps rules on each Primitive",
    ),
}
# Tests that pass only because of a patch above, and so prove nothing: not run.
KNOWN_PATCHED = {
    "test_logic.py::test_unimplemented_falseyness": "removes a rule through autograd's internal primitive_vjps table",
}


def fetch(workdir: pathlib.Path) -> pathlib.Path:
    """autograd's tests, renamed, in ``workdir/tests``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"autograd=={VERSION}", "--no-binary", ":all:",
         "--no-deps", "--quiet", "--disable-pip-version-check", "-d", str(workdir)],
        check=True,
    )
    (sdist,) = workdir.glob(f"autograd-{VERSION}.tar.gz")
    tests = workdir / "tests"
    tests.mkdir(exist_ok=True)
    prefix = f"autograd-{VERSION}/tests/"
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith(prefix) and member.name.endswith(".py"):
                name = member.name[len(prefix):]
                if "/" in name:
                    continue
                source = archive.extractfile(member)
                assert source is not None
                text = re.sub(r"\bautograd\b", "plugrad", source.read().decode())
                if name in PATCHES:
                    old, new = PATCHES[name]
                    assert old in text, f"{name} no longer has {old!r}: update PATCHES"
                    text = text.replace(old, new)
                (tests / name).write_text(text)
    return tests


# A pytest plugin, written beside the tests, that deselects exactly the listed tests
# (``--deselect`` matches prefixes: ``test_custom_where`` would take the passing
# ``test_custom_where_dtypes[...]`` cases with it).
_DESELECT_PLUGIN = """
import json, pathlib

SKIP = set(json.loads(pathlib.Path(__file__).with_suffix(".json").read_text()))


def pytest_collection_modifyitems(config, items):
    kept = [item for item in items if item.nodeid not in SKIP]
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid in SKIP])
    items[:] = kept
"""


def pytest(tests: pathlib.Path, *args: str, skip: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    (tests / "_exact_deselect.py").write_text(_DESELECT_PLUGIN)
    (tests / "_exact_deselect.json").write_text(json.dumps(list(skip)))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "_exact_deselect", "-W", "ignore", "-q", *args]
    return subprocess.run(command, cwd=tests, text=True, capture_output=True)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", nargs="?", help="where to download and run the tests (default: a temporary folder)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(options.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        tests = fetch(workdir)
        skipped = [*KNOWN, *KNOWN_PATCHED]
        run = pytest(tests, "--tb=short", skip=tuple(skipped))
        print(run.stdout[-20000:], run.stderr[-5000:], sep="\n")
        if run.returncode != 0:
            print(f"autograd {VERSION}'s tests: failures beyond the known differences (above)")
            return 1
        known = pytest(tests, "--tb=no", "-rA", *KNOWN)
        passed = sorted(t for t in KNOWN if f"PASSED {t}" in known.stdout)
        if passed:
            print("these tests listed in KNOWN now pass; remove them from the list:", *passed, sep="\n  ")
            return 1
        print(f"autograd {VERSION}'s tests pass on plugrad, except {len(KNOWN)} known differences:")
        for test, why in KNOWN.items():
            print(f"  {test}: {why}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
