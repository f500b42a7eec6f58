"""The pytest plugin, as a third-party pack author uses it, run through ``pytester``.

Each test installs a pack ``example`` the way a distribution does: a module and a
``.dist-info`` folder whose ``entry_points.txt`` names it in the group ``plugrad``.
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

PACK = '''
import numpy as np
from plugrad import Primitive, Sample, hookimpl, rand
from plugrad.box import getval

square = Primitive("example.square", np.square)
square.def_vjp(lambda g, ans, x: g * 2 * x).def_jvp(lambda t, ans, x: t * 2 * x)
square.def_samples(Sample(rand(3)))

bad_cube = Primitive("example.bad_cube", lambda x: x ** 3)
bad_cube.def_vjp(lambda g, ans, x: g * 3 * x * x)
bad_cube.def_jvp(lambda t, ans, x: t * 3 * getval(x) * getval(x))  # wrong at second order
bad_cube.def_samples(Sample(rand(2)).only("float64"))
{extra}

@hookimpl
def plugrad_namespaces():
    return ["example"]

@hookimpl
def plugrad_primitives(namespace):
    return [square, bad_cube] if namespace == "example" else None
'''


@pytest.fixture
def example(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester directory with the pack ``example`` installed on its path."""
    install(pytester)
    return pytester


def install(pytester: pytest.Pytester, extra: str = "") -> None:
    pytester.makepyfile(plugrad_example_pack=PACK.format(extra=textwrap.dedent(extra)))
    info = pytester.mkdir("plugrad_example_pack-1.0.dist-info")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugrad-example-pack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[plugrad]\nexample = plugrad_example_pack\n")
    pytester.syspathinsert()


def test_option_generates_one_test_per_check(example: pytest.Pytester):
    result = example.runpytest("--plugrad-gradcheck=example", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["plugrad gradcheck: packs example (seed 0)", "*collected 26 items*"])
    outcomes = result.parseoutcomes()
    # bad_cube's JVP is right at first order and wrong at second: exactly those checks fail.
    assert outcomes["failed"] == 2 and outcomes["passed"] > 20
    result.stdout.fnmatch_lines(
        [
            "FAILED plugrad-gradcheck[[]example[]]::example.bad_cube[[]0-float64-arg0-rev_over_fwd[]]*",
            "FAILED plugrad-gradcheck[[]example[]]::example.bad_cube[[]0-float64-arg0-fwd_over_fwd[]]*",
        ]
    )
    # The report is the checker's message, naming primitive, pack and both numbers.
    result.stdout.fnmatch_lines(["*example.bad_cube (pack example): check 'fwd_over_fwd'*", "*analytic*", "*numeric*"])


def test_k_selects_by_primitive_and_check(example: pytest.Pytester):
    result = example.runpytest("--plugrad-gradcheck=example", "-p", "no:cacheprovider", "-k", "example.square and vjp")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 2 and "failed" not in outcomes  # float64 and float32


def test_collect_only_lists_the_generated_tests(example: pytest.Pytester):
    result = example.runpytest("--plugrad-gradcheck=example", "--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        ["plugrad-gradcheck[[]example[]]::pack:example[[]load[]]", "*example.square[[]coverage[]]", "26 tests collected*"]
    )


def test_xfail_entries_become_strict_xfail_marks(pytester: pytest.Pytester):
    install(
        pytester,
        extra="""
        bad_cube.xfail[("fwd_over_fwd", "float64")] = "JVP not differentiable yet"
        bad_cube.xfail[("rev_over_fwd", "*")] = "JVP not differentiable yet"
        square.xfail[("vjp", "float32")] = "stale: it passes"
        """,
    )
    result = pytester.runpytest("--plugrad-gradcheck=example", "-p", "no:cacheprovider", "-rxX")
    outcomes = result.parseoutcomes()
    assert outcomes["xfailed"] == 2 and outcomes["failed"] == 1  # the stale entry XPASSes, strictly
    result.stdout.fnmatch_lines(["*XPASS(strict)*stale: it passes*"])


def test_gradcheck_tests_helper_with_parametrize(example: pytest.Pytester):
    example.makepyfile(
        test_mine="""
        import pytest
        from plugrad.gradcheck.pytest_plugin import gradcheck_tests

        @pytest.mark.parametrize("case", gradcheck_tests("example", primitives=["example.square"]))
        def test_gradcheck(case):
            case.run()
        """
    )
    result = example.runpytest("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] > 10 and "failed" not in outcomes
    result = example.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_mine.py::test_gradcheck[[]example.square[[]0-float32-arg0-vjp[]][]]"])


def test_a_pack_that_fails_to_import_is_a_failing_test(pytester: pytest.Pytester):
    install(pytester, extra="raise ImportError('plugrad_example_pack needs scipy_but_misspelled')")
    result = pytester.runpytest("--plugrad-gradcheck=example", "-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"failed": 1}
    result.stdout.fnmatch_lines(["*pack:example[[]load[]]*", "*scipy_but_misspelled*"])


def test_without_the_option_the_plugin_adds_nothing_and_loads_no_pack(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_quiet="""
        import sys

        def test_nothing_loaded():
            loaded = [m for m in sys.modules if m.startswith(("plugrad.gradcheck.", "plugrad_"))]
            assert loaded == ["plugrad.gradcheck.pytest_plugin"], loaded
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.parseoutcomes() == {"passed": 1}
    assert "plugrad gradcheck" not in result.stdout.str()
