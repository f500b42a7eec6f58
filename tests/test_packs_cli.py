"""``python -m plugrad packs``: the listing's data and its two formats, in process."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from plugrad import Composite, NonDifferentiable, PackError, Primitive, Registry, Rules, Sample, hookimpl, rand
from plugrad import cli_packs
from plugrad import registry as registry_module
from plugrad.registry import PackWarning
from plugrad.__main__ import main as plugrad_main


class Pack:
    def __init__(self, items: dict[str, list[Any]]) -> None:
        self.items = items

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return list(self.items)

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Any] | None:
        return self.items.get(namespace)


def rule(*args: Any) -> Any:
    return args[0]


def test_coverage_per_argument() -> None:
    both = Primitive("d.both", np.add).def_vjp(rule, rule).def_jvp(rule, rule)
    assert cli_packs.coverage(both)["args"] == [{"argnum": 0, "vjp": True, "jvp": True}, {"argnum": 1, "vjp": True, "jvp": True}]
    assert cli_packs.coverage(both)["vjp_and_jvp"]
    # Argument 0 has no rule at all (an index, say): still "both" for those that have rules.
    second = Primitive("d.second", np.add).def_vjp(None, rule).def_jvp(None, rule)
    assert [(a["vjp"], a["jvp"]) for a in cli_packs.coverage(second)["args"]] == [(False, False), (True, True)]
    assert cli_packs.coverage(second)["vjp_and_jvp"]
    # A VJP without a JVP is not.
    vjp_only = Primitive("d.vjp_only", np.sin).def_vjp(rule)
    assert [(a["vjp"], a["jvp"]) for a in cli_packs.coverage(vjp_only)["args"]] == [(True, False)]
    assert not cli_packs.coverage(vjp_only)["vjp_and_jvp"]
    # A constant last argument (def_vjp(rule, None)) still counts, without rules.
    constant = Primitive("d.constant", np.add).def_vjp(rule, None).def_jvp(rule, None)
    constant.def_samples(Sample(rand(2), 1.5))
    assert [(a["vjp"], a["jvp"]) for a in cli_packs.coverage(constant)["args"]] == [(True, True), (False, False)]
    assert cli_packs.coverage(constant)["vjp_and_jvp"]
    # Rules for every argument: the samples say how many arguments there are.
    variadic = Primitive("d.variadic", lambda *xs: sum(xs)).def_vjp_argnum(rule).def_jvp_argnum(rule)
    variadic.def_samples(Sample(rand(2), rand(2), rand(2)))
    cov = cli_packs.coverage(variadic)
    assert (cov["nargs"], cov["vjp_all"], cov["jvp_all"], cov["vjp_and_jvp"], cov["samples"]) == (3, True, True, True, 1)
    assert all(a["vjp"] and a["jvp"] for a in cov["args"])


@pytest.fixture
def registry() -> Registry:
    base = Primitive("demo.f", np.sin).def_vjp(rule)
    registry = Registry()
    registry.register_pack(
        Pack({"demo": [base, NonDifferentiable("demo.flag", bool), Composite("demo.g", np.cos), Primitive("demo.h", np.tan).def_vjp(rule).def_jvp(rule)]}),
        "base",
        distribution="plugrad-base",
        version="1.2",
    )
    registry.register_pack(
        Pack({"demo": [Rules("demo.f", jvps={0: rule}), Primitive("demo.h", np.tan, override=True).def_vjp(rule).def_jvp(rule)]}),
        "ext",
    )
    registry.register_pack(Pack({}), "off")  # stands for a blocked pack below
    registry.packs["off"].status, registry.packs["off"].error = "blocked", "disabled (PLUGRAD_DISABLE_PACKS)"
    return registry


def test_report_json(registry: Registry) -> None:
    data = json.loads(json.dumps(cli_packs.report(registry)))  # plain data
    base, ext, off = data["packs"]
    assert (base["name"], base["distribution"], base["version"], base["status"]) == ("base", "plugrad-base", "1.2", "loaded")
    items = {i["name"]: i for i in base["primitives"]}
    assert items["demo.f"]["args"] == [{"argnum": 0, "vjp": True, "jvp": True}]  # the JVP came from ext
    assert items["demo.f"]["extended_by"] == ["ext: JVP 0"]
    assert (items["demo.flag"]["kind"], items["demo.g"]["kind"]) == ("nondifferentiable", "composite")
    assert (items["demo.h"]["status"], items["demo.h"]["overridden_by"]) == ("overridden", "ext")
    assert base["counts"] == {"functions": 4, "primitives": 2, "vjp_and_jvp": 2, "nondifferentiable": 1, "composites": 1}
    assert ext["overrides"] == ["demo.h"] and ext["extends"] == ["demo.f JVP 0"]
    assert [(i["name"], i["status"], i["others"]) for i in ext["primitives"]] == [("demo.h", "overrides", ["base"])]
    assert (off["status"], off["reason"]) == ("blocked", "disabled (PLUGRAD_DISABLE_PACKS)")
    assert data["overrides"] == [{"name": "demo.h", "pack": "ext", "over": ["base"]}]
    assert data["extensions"] == [{"pack": "ext", "target": "demo.f", "kind": "JVP", "argnum": 0}]
    assert data["summary"] == {
        "packs": 3, "loaded": 2, "with_problems": 0, "failed": 0, "blocked": 1, "functions": 4, "primitives": 2,
        "vjp_and_jvp": 2, "overrides": 1, "conflicts": 0, "extensions": 1,
    }  # fmt: skip


def test_render_a_table_per_pack_and_a_summary(registry: Registry) -> None:
    lines = cli_packs.render(cli_packs.report(registry))
    assert lines[:8] == [
        "base  (distribution plugrad-base 1.2)  loaded",
        "  namespaces: demo",
        "  name       args  VJP  JVP  samples  note",
        "  demo.f     1     0    0    0        rules added by ext: JVP 0",
        "  demo.flag                           non-differentiable",
        "  demo.g                              composite",
        "  demo.h     1     0    0    0        overridden by ext",
        "  2 primitives, 2 with VJP and JVP for every argument that has a rule; 1 non-differentiable, 1 composite",
    ]
    assert "  overrides: demo.h" in lines and "  extends: demo.f JVP 0" in lines
    assert "off  (registered in code)  blocked: disabled (PLUGRAD_DISABLE_PACKS)" in lines
    assert lines[-1] == (
        "3 packs: 2 loaded, 0 failed, 1 blocked; 4 functions, 2 primitives (2 with VJP and JVP); "
        "1 override, 0 conflicts, 1 rule extension"
    )


def test_a_name_plugrad_keeps_is_not_an_override() -> None:
    # A third-party pack that registers a built-in name without override=True is ignored.
    registry = Registry()
    registry.register_pack(Pack({"demo": [Primitive("demo.f", np.sin).def_vjp(rule)]}), "own", distribution="plugrad")
    registry.register_pack(Pack({"demo": [Primitive("demo.f", np.cos).def_vjp(rule)]}), "third")
    with pytest.warns(PackWarning, match="its registration is ignored"):
        data = cli_packs.report(registry)
    own, third = data["packs"]
    assert [(i["status"], i["others"]) for i in own["primitives"]] == [("active", ["third"])]
    assert [i["status"] for i in third["primitives"]] == ["ignored"]
    assert data["overrides"] == [] and data["summary"]["overrides"] == 0 and registry.overrides() == {}
    assert "ignored: plugrad's own pack own keeps it (override=True would replace it)" in "\n".join(cli_packs.render(data))


class RaisingPack:
    """A pack whose plugrad_primitives raises: loaded, with a problem."""

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return ["demo"]

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Any]:
        raise RuntimeError("boom")


def with_a_problem() -> Registry:
    """A good pack, and one with a problem."""
    registry = Registry()
    registry.register_pack(Pack({"demo": [Primitive("demo.f", np.sin).def_vjp(rule)]}), "good")
    registry.register_pack(RaisingPack(), "bad")
    return registry


def test_the_summary_counts_a_loaded_pack_with_problems() -> None:
    with pytest.warns(PackWarning, match="boom"):
        data = cli_packs.report(with_a_problem())
    assert data["summary"]["with_problems"] == 1 and data["packs"][1]["problems"]
    assert cli_packs.render(data)[-1].startswith("2 packs: 2 loaded (1 with problems), 0 failed, 0 blocked; ")


def test_a_loaded_pack_that_registers_nothing_says_so() -> None:
    # (the Dask pack without Dask: loaded, rightly empty, which a bare "loaded" hides)
    registry = Registry()
    registry.register_pack(Pack({}), "empty")
    registry.register_pack(Pack({"full": [Primitive("full.f", np.sin)]}), "full")
    lines = cli_packs.render(cli_packs.report(registry))
    at = lines.index(next(line for line in lines if line.startswith("empty")))
    assert lines[at + 1] == "  registers nothing here (a pack for a library that is not installed registers nothing)"
    assert sum("registers nothing" in line for line in lines) == 1


def test_main_exits_1_where_a_pack_failed_or_has_problems(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    registry = with_a_problem()
    monkeypatch.setattr(cli_packs, "default_registry", lambda: registry)
    assert cli_packs.main([]) == 1
    captured = capsys.readouterr()
    assert "boom" in captured.out and captured.err == "plugrad packs: 1 with problems (listed above)\n"


def test_main(registry: Registry, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(registry_module, "_default", registry)
    assert plugrad_main(["packs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["packs"] == 3
    assert plugrad_main(["packs"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("3 packs: ")

    def strict() -> Registry:
        raise PackError("plugrad pack 'x' (distribution plugrad-x 1.0) was not loaded: boom")

    monkeypatch.setattr(cli_packs, "default_registry", strict)
    assert cli_packs.main([]) == 1
    assert capsys.readouterr().err == "plugrad packs: plugrad pack 'x' (distribution plugrad-x 1.0) was not loaded: boom\n"


def test_one_pack_and_what_involves_it(registry: Registry, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_packs.report(registry, ["ext"])
    assert [p["name"] for p in data["packs"]] == ["ext"]
    assert data["overrides"] == [{"name": "demo.h", "pack": "ext", "over": ["base"]}] and len(data["extensions"]) == 1
    data = cli_packs.report(registry, ["off"])
    assert (data["overrides"], data["extensions"], data["summary"]["packs"], data["summary"]["blocked"]) == ([], [], 1, 1)
    with pytest.raises(ValueError, match=r"no installed pack is named 'nope'; installed: base, ext, off"):
        cli_packs.report(registry, ["nope"])
    monkeypatch.setattr(cli_packs, "default_registry", lambda: registry)
    assert cli_packs.main(["--pack", "base,ext"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("2 packs: 2 loaded")
    assert cli_packs.main(["--pack", "nope"]) == 2
    assert "no installed pack is named 'nope'" in capsys.readouterr().err
    assert cli_packs.main(["--pack", " , "]) == 2  # an unset variable: no silent pass
    assert capsys.readouterr().err == "plugrad packs: --pack names no pack\n"
    # rules another pack adds to a function count for every pack that registers it
    assert cli_packs.report(registry, ["base"])["extensions"] == [{"pack": "ext", "target": "demo.f", "kind": "JVP", "argnum": 0}]
    problem = with_a_problem()
    monkeypatch.setattr(cli_packs, "default_registry", lambda: problem)
    healthy = [p for p in problem.packs if not problem.packs[p].problems][0]
    assert cli_packs.main(["--pack", healthy]) == 0  # the exit status is the listed packs'
