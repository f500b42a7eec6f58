"""The benchmark harness's own promises, without timing anything: a wrong answer fails
the run, every contender is timed in every repetition, and the table's ratios are the
columns' ratios. (How fast anything is belongs in ``benchmarks/``, not here.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench_modules() -> Any:
    """``(harness, run)`` from ``benchmarks/``. Importing ``run`` sets the thread variables,
    and its modules have short names (``run``, ``libs``): both are put back afterwards."""
    saved, modules = dict(os.environ), set(sys.modules)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import harness
        import run

        yield harness, run
    finally:
        sys.path.remove(str(BENCHMARKS))
        for name in set(sys.modules) - modules:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(BENCHMARKS)):
                del sys.modules[name]
        os.environ.clear()
        os.environ.update(saved)


def test_a_wrong_answer_fails_the_run(bench_modules: Any) -> None:
    harness, _ = bench_modules
    bench = harness.Bench(reps=1, sample_s=0.0, log=lambda s: None)
    right = [np.ones(3), {"b": 2.0}]
    bench.check("w", {"ref": right, "same": [np.ones(3), {"b": 2.0 + 1e-12}]}, "ref")
    assert bench.failures == []
    bench.check("w", {"ref": right, "off": [np.ones(3), {"b": 2.1}]}, "ref")
    bench.check("w", {"ref": np.ones(3), "shape": np.ones((1, 3))}, "ref")  # broadcasts, but is not equal
    assert bench.failures == [
        "w: off disagrees with ref (np.allclose failed)",
        "w: shape disagrees with ref (np.allclose failed)",
    ]


def test_every_contender_runs_in_every_repetition(bench_modules: Any) -> None:
    harness, _ = bench_modules
    calls: list[str] = []

    def contender(label: str) -> Any:
        def fun() -> str:
            calls.append(label)
            return label

        return fun

    bench = harness.Bench(reps=3, sample_s=0.0, log=lambda s: None)
    timings, answers = bench.time({k: contender(k) for k in "abc"})
    assert answers == {"a": "a", "b": "b", "c": "c"}
    assert all(len(timings[k].samples) == 3 and timings[k].calls_per_sample == 1 for k in "abc")
    # two calls each to warm up and size the samples, then one per repetition, the order
    # rotating (and reversed in every other full rotation, from the fourth repetition)
    assert calls == list("aabbcc") + list("abc") + list("bca") + list("cab")
    calls.clear()
    harness.Bench(reps=4, sample_s=0.0, log=lambda s: None).time({k: contender(k) for k in "ab"})
    assert calls == list("aabb") + list("ab") + list("ba") + list("ba") + list("ab")  # each goes first


def _env() -> dict[str, Any]:
    env = {"date": "today", "mode": "quick", "wall_s": 1.0, "reps": 3}
    return env | {k: "x" for k in ("plugrad", "autograd", "torch", "numpy", "python", "machine", "blas")}


def _cells(table: str, metric: str) -> list[str]:
    (line,) = [line for line in table.splitlines() if f"| {metric} |" in line]
    return [c.strip() for c in line.strip("|").split("|")]


def test_the_table_gives_both_ratios(bench_modules: Any) -> None:
    harness, run = bench_modules
    rows = [
        harness.Row("1. loop", "time", "s", {"plugrad": 1e-6, "autograd": 4e-6, "torch": 8e-6}),
        harness.Row("1. loop", "no torch", "s", {"plugrad": 1e-6, "autograd": 2e-6, "torch": None}),
        harness.Row("2. import", "first access", "s", {"plugrad": 1e-3, "torch": 1e-9}, compare=False),
    ]
    table = run.markdown(rows, _env(), ["w: off disagrees with ref"], with_torch=True)
    head = _cells(table, "metric")
    assert head[-4:] == ["plugrad / autograd", "plugrad / PyTorch", "noise", "notes"]
    assert _cells(table, "time")[-4:-2] == ["0.25×", "0.12×"]
    assert _cells(table, "no torch")[-4:-2] == ["0.50×", "—"]
    assert _cells(table, "first access")[-4:-2] == ["—", "—"]  # a ratio that means nothing is left out
    assert "- w: off disagrees with ref" in table

    table = run.markdown(rows[:1], _env() | {"torch": None}, [], with_torch=False)
    assert "PyTorch" not in _cells(table, "metric")
    assert _cells(table, "time")[-3] == "0.25×"
    assert "- torch: not installed (its column is left out)" in table


def test_the_scaling_script_compares_the_libraries_answers(bench_modules: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import scaling

    libs = [scaling.plugrad_lib()]
    try:
        libs.append(scaling.autograd_lib())
    except ImportError:
        pass
    times = scaling.measure(libs, [5, 10], repeat=1)
    assert len(times) == 4 * 2 * len(libs)
    text = scaling.table(libs, [5, 10], times)
    assert text.count("\n|") == 5 and "growth" in text


def test_the_instruction_counts_run_the_suites_contenders(bench_modules: Any) -> None:
    # benchmarks/instructions.py counts what these calls execute under Valgrind; here they
    # run plainly, and plugrad's gradient must be the by-hand one.
    import instructions

    for workload in ("mlp_small", "rnn"):
        ours = instructions._contender(workload, "plugrad")()
        hand = instructions._contender(workload, "numpy")()
        assert np.allclose(ours[0], hand[0])
        for g, h in zip(ours[1], hand[1]):
            assert np.allclose(g, h)
    assert instructions.parse_count("==7== \n==7== I   refs:      1,312,600,875\n") == 1312600875
    assert instructions.parse_count("valgrind: command not found") is None
