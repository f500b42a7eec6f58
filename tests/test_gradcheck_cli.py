"""``python -m plugrad gradcheck``: exit status, progress, table, JSON, and the last line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import plugrad.numpy as pnp
import pytest

from plugrad import Primitive, Registry, Sample, hookimpl, rand
from plugrad.gradcheck import cli, runner
from plugrad.registry import ensure_types

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


class FakePack:
    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return ["fake"]

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Primitive] | None:
        if namespace != "fake":
            return None
        good = Primitive("fake.sin", np.sin)
        good.def_vjp(lambda g, ans, x: g * pnp.cos(x)).def_jvp(lambda t, ans, x: t * pnp.cos(x))
        good.def_samples(Sample(rand(3)))
        bad = Primitive("fake.bad_sin", np.sin)
        bad.def_vjp(lambda g, ans, x: -g * pnp.cos(x)).def_jvp(lambda t, ans, x: t * pnp.cos(x))
        bad.def_samples(Sample(rand(3)), Sample(rand(2, 2)))
        return [good, bad]


@pytest.fixture
def fake_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command sees one installed pack, ``fake``, with one good and one bad primitive."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ensure_types()
    load = runner.load_registry

    def load_fake(registry: Registry | None = None, packs: Any = None) -> Any:
        if registry is None:
            registry = Registry()
            registry.register_pack(FakePack(), name="fake")
        return load(registry, packs)

    monkeypatch.setattr(runner, "load_registry", load_fake)


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def test_passing_run_exits_0_and_ends_with_the_summary(fake_environment: None, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["--primitive", "fake.sin"]) == 0
    out, err = capsys.readouterr()
    passed, failed = map(int, SUMMARY.match(last_line(out)).groups())  # type: ignore[union-attr]
    assert passed > 10 and failed == 0
    assert re.search(r"^fake\s+loaded\s+1\s+1\s+\d+\s+\d+\s+0\s+0", out, re.MULTILINE)  # pack, primitives, samples, ...
    assert err.startswith("fake ..")  # progress: one mark per pack load and primitive


def test_failing_run_exits_1_names_the_culprit_and_counts_it(fake_environment: None, capsys: pytest.CaptureFixture[str]):
    assert cli.main([]) == 1
    out, err = capsys.readouterr()
    passed, failed = map(int, SUMMARY.match(last_line(out)).groups())  # type: ignore[union-attr]
    assert failed > 0 and passed > 0
    assert "FAILED fake.bad_sin[0-float64-arg0-vjp]" in out
    assert "fake.bad_sin (pack fake): check 'vjp'" in out and "analytic" in out
    assert "more failures of fake.bad_sin (-v shows them)" in out
    assert "F" in err
    assert cli.main(["-v", "-q"]) == 1
    out, err = capsys.readouterr()
    assert out.count("\nFAILED fake.bad_sin[") + out.startswith("FAILED") == failed and err == ""


def test_json_report(fake_environment: None, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["--json", "-q"]) == 1
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["summary"]["failed"] > 0
    assert {f["primitive"] for f in report["failures"]} == {"fake.bad_sin"}
    first = report["failures"][0]
    assert {"id", "pack", "check", "dtype", "argnum", "seed", "message"} <= set(first)
    assert [row["pack"] for row in report["packs"]] == ["fake"]
    assert last_line(err) == f"{report['summary']['passed']} passed, {report['summary']['failed']} failed"


def test_exitfirst_stops_at_the_first_failure(fake_environment: None, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["-x", "-q", "--primitive", "fake.bad_sin"]) == 1
    out, _ = capsys.readouterr()
    assert last_line(out).endswith(" 1 failed") and "stopped at the first failure" in out


def test_usage_errors_exit_2(fake_environment: None, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["--primitive", "fake.nothing*"]) == 2
    assert "no primitive matches 'fake.nothing*'" in capsys.readouterr().err
    assert cli.main(["--order", "3"]) == 2


def test_an_unknown_pack_fails(fake_environment: None, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["--pack", "nope", "-q"]) == 1
    out, _ = capsys.readouterr()
    assert "no installed pack is named 'nope'; installed: fake" in out and last_line(out) == "0 passed, 1 failed"


def test_python_dash_m_plugrad_gradcheck():
    done = subprocess.run(
        [sys.executable, "-m", "plugrad", "gradcheck", "--pack", "numpy", "--primitive", "numpy.negative"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert SUMMARY.match(last_line(done.stdout)) and last_line(done.stdout).endswith(" 0 failed")
