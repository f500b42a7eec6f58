"""Packs as users get them: real distributions, installed into a fresh virtual environment.

The module builds wheels, offline, with hatchling -- of plugrad itself (this checkout),
of the test distributions under ``tests/fixtures/packs/`` (see its README) and of the
example pack ``plugins/plugrad-example`` -- installs them with pip into one virtual
environment, and runs Python in it. The environment sees this interpreter's packages
(numpy, scipy, pluggy, pytest) but installs nothing from an index.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hatchling", reason="building the test distributions needs hatchling (pip install hatchling)")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "packs"
EXAMPLE = ROOT / "plugins" / "plugrad-example"
FIXTURE_PACKS = ("badentry", "broken", "dup_a", "dup_b", "good", "invalid", "override", "unknownhook")
THIRD_PARTY = (*FIXTURE_PACKS, "example")

BUILD = """
import os, sys
from hatchling.build import build_wheel
for source in sys.argv[2:]:
    os.chdir(source)
    build_wheel(sys.argv[1])
"""


class Venv:
    """A virtual environment with plugrad and the test packs installed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        bindir = "Scripts" if os.name == "nt" else "bin"
        self.python = root / "venv" / bindir / ("python.exe" if os.name == "nt" else "python")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGRAD_", "PYTHON"))}
        self.env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args],
            cwd=self.root,  # not the checkout, whose plugrad/ would shadow the installed one
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def script(self, code: str, env: dict[str, str] | None = None) -> Any:
        """Run ``code``, which prints one JSON document last; return it."""
        done = self.run("-c", textwrap.dedent(code), env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


def _check(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    env = Venv(tmp_path_factory.mktemp("packs"))
    _check(subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env.root / "venv")]))
    # See this interpreter's packages even when it is itself a virtual environment.
    purelib = env.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    parents = [*site.getsitepackages(), site.getusersitepackages()]
    Path(purelib, "_plugrad_test_parent.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents if os.path.isdir(p))
    )
    wheels = env.root / "wheels"
    sources = [ROOT, EXAMPLE, *(FIXTURES / name for name in FIXTURE_PACKS)]
    _check(env.run("-c", BUILD, str(wheels), *map(str, sources)))
    _check(env.run("-m", "pip", "install", "-q", "--no-index", "--no-deps", *map(str, sorted(wheels.glob("*.whl")))))
    yield env


def _pack_warnings(code: str) -> str:
    """``code`` run with every PackWarning recorded, as (message, file) pairs in ``out["warnings"]``."""
    return (
        "import json, warnings\n"
        "out = {}\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        + textwrap.indent(textwrap.dedent(code), "    ")
        + "\nout['warnings'] = [[str(w.message), w.filename] for w in caught if w.category.__name__ == 'PackWarning']\n"
        "print(json.dumps(out))\n"
    )


def _mentioning(warnings: list[list[str]], *packs: str) -> list[str]:
    return [m for m, _ in warnings if any(f"'{p}'" in m for p in packs)]


# -- faults are reported, and everything else keeps working ---------------------------


def test_faulty_packs_warn_and_the_others_keep_working(venv: Venv) -> None:
    out = venv.script(
        _pack_warnings(
            """
            import plugrad
            import plugrad.numpy as pnp
            out["sin"] = float(plugrad.grad(pnp.sin)(0.0))  # the first use loads every pack
            import plugrad.example as ex, plugrad.invalid, plugrad.dup
            out["softplus"] = float(plugrad.grad(ex.softplus)(0.0))
            out["fine"] = float(plugrad.grad(plugrad.invalid.fine)(1.0))
            out["only_a"] = float(plugrad.grad(plugrad.dup.only_a)(1.0))
            for name in ("dup.twin", "invalid.bad_rule"):
                try:
                    plugrad.default_registry().lookup(name)
                except plugrad.PackError as exc:
                    out[name] = [type(exc).__name__, str(exc)]
            out["hasattr"] = [hasattr(plugrad.invalid, "bad_rule"), hasattr(plugrad.dup, "twin"), hasattr(plugrad.dup, "only_a")]
            try:
                plugrad.invalid.bad_rule
            except AttributeError as exc:
                out["read"] = [type(exc).__name__, str(exc)]
            """
        )
    )
    assert (out["sin"], out["softplus"], out["fine"], out["only_a"]) == (1.0, 0.5, 3.0, 2.0)
    messages = "\n".join(m for m, _ in out["warnings"])

    broken = _mentioning(out["warnings"], "broken")
    assert broken == [
        "plugrad pack 'broken' (distribution plugrad-fixture-broken 0.1.0) was not loaded: importing "
        "'plugrad_fixture_broken' raised RuntimeError: plugrad_fixture_broken is broken on purpose (at "
        "plugrad_fixture_broken/__init__.py:3). The other packs still work; PLUGRAD_DISABLE_PACKS=broken stops "
        "loading it. PLUGRAD_STRICT_PACKS=1 raises it, with its traceback."
    ]
    # Attributed to the user's line, not to plugrad's internals.
    assert [f for m, f in out["warnings"] if m in broken] == ["<string>"]

    assert (
        "plugrad pack 'badentry' (distribution plugrad-fixture-badentry 0.1.0) was not loaded: importing "
        "'plugrad_fixture_badentry.pack' raised ModuleNotFoundError: No module named 'plugrad_fixture_badentry.pack'"
        in messages
    )
    assert "the entry point badentry = 'plugrad_fixture_badentry.pack' (group 'plugrad') names a module that is not installed" in messages
    assert (
        "plugrad pack 'unknownhook' (distribution plugrad-fixture-unknownhook 0.1.0) was not loaded: it "
        "implements the unknown hook plugrad_primitivs (did you mean plugrad_primitives?)" in messages
    )
    assert (
        "plugrad pack 'invalid' (distribution plugrad-fixture-invalid 0.1.0): rejected <Primitive elsewhere.sin> "
        "from namespace 'invalid': its name must be 'invalid' + '.' + a Python identifier" in messages
    )
    assert "rejected <Primitive invalid.bad_rule> from namespace 'invalid': its VJP for argument 0 is 'minus sine'" in messages
    assert (
        "plugrad packs 'dup_a' (distribution plugrad-fixture-dup-a 0.1.0) and 'dup_b' (distribution "
        "plugrad-fixture-dup-b 0.1.0) both register dup.twin and neither declares override=True" in messages
    )
    kind, text = out["dup.twin"]
    assert kind == "PackConflictError" and "'dup_a'" in text and "'dup_b'" in text
    kind, text = out["invalid.bad_rule"]
    assert kind == "PackNameError" and "not callable" in text
    # Feature detection sees the name as missing; reading it says why.
    assert out["hasattr"] == [False, False, True]
    assert out["read"][0] == "PackNameError" and "not callable" in out["read"][1]


def test_strict_mode_makes_each_fault_an_error(venv: Venv) -> None:
    out = venv.script(
        """
        import json, os, plugrad
        out = {}
        for fault in ("broken", "unknownhook", "invalid", "dup_a,dup_b"):
            os.environ["PLUGRAD_PACKS"] = "numpy," + fault
            try:
                plugrad.Registry.from_environment().load_all()
            except plugrad.PackError as exc:
                out[fault] = [type(exc).__name__, str(exc)]
        print(json.dumps(out))
        """,
        env={"PLUGRAD_STRICT_PACKS": "1"},
    )
    assert out["broken"][0] == "PackError" and "RuntimeError: plugrad_fixture_broken is broken" in out["broken"][1]
    assert out["unknownhook"][0] == "PackError" and "plugrad_primitivs" in out["unknownhook"][1]
    assert out["invalid"][0] == "PackError" and "elsewhere.sin" in out["invalid"][1]
    assert out["dup_a,dup_b"][0] == "PackConflictError" and "dup.twin" in out["dup_a,dup_b"][1]
    # The default registry is strict too: the first use of plugrad raises, naming the pack.
    done = venv.run("-c", "import plugrad.numpy as pnp; pnp.sin", env={"PLUGRAD_STRICT_PACKS": "1"})
    assert done.returncode == 1 and "plugrad.errors.PackError: plugrad pack" in done.stderr
    done = venv.run("-m", "plugrad", "packs", env={"PLUGRAD_STRICT_PACKS": "1"})
    assert done.returncode == 1 and done.stderr.startswith("plugrad packs: plugrad pack")


# -- the user's controls ---------------------------------------------------------------

STATUS = "out['status'] = {n: p.status for n, p in plugrad.default_registry().packs.items()}\n"


def test_disable_autoload_loads_only_plugrads_own_packs(venv: Venv) -> None:
    code = _pack_warnings("import plugrad\n" + STATUS)
    out = venv.script(code, env={"PLUGRAD_DISABLE_PACK_AUTOLOAD": "1"})
    assert out["status"]["numpy"] == "loaded"
    assert {p: out["status"][p] for p in THIRD_PARTY} == dict.fromkeys(THIRD_PARTY, "blocked")
    assert _mentioning(out["warnings"], *THIRD_PARTY) == []  # not even imported
    done = venv.run("-c", "import plugrad.example", env={"PLUGRAD_DISABLE_PACK_AUTOLOAD": "1"})
    assert "ModuleNotFoundError: No module named 'plugrad.example'" in done.stderr
    # As with pytest, a pack named explicitly still loads.
    out = venv.script(code, env={"PLUGRAD_DISABLE_PACK_AUTOLOAD": "1", "PLUGRAD_PACKS": "numpy,example"})
    assert (out["status"]["numpy"], out["status"]["example"], out["status"]["good"]) == ("loaded", "loaded", "blocked")


def test_packs_loads_only_the_packs_named(venv: Venv) -> None:
    out = venv.script(_pack_warnings("import plugrad\n" + STATUS), env={"PLUGRAD_PACKS": "numpy,good,example"})
    loaded = sorted(n for n, s in out["status"].items() if s == "loaded")
    assert loaded == ["example", "good", "numpy"]
    assert set(out["status"].values()) == {"loaded", "blocked"}
    assert out["warnings"] == []  # the faulty packs were never imported


def test_disable_packs_blocks_the_packs_named(venv: Venv) -> None:
    code = _pack_warnings(
        """
        import plugrad, plugrad.dup
        out["twin"] = plugrad.dup.twin(1.0)  # dup_a's, now that dup_b is blocked
        blocked = plugrad.default_registry().pm.is_blocked
        out["pm_blocked"] = [n for n in ("broken", "dup_b", "good") if blocked(n)]
        """
        + STATUS
    )
    out = venv.script(code, env={"PLUGRAD_DISABLE_PACKS": "badentry,broken,unknownhook,invalid,dup_b"})
    assert out["twin"] == 2.0
    assert out["pm_blocked"] == ["broken", "dup_b"]
    assert [out["status"][p] for p in ("badentry", "broken", "unknownhook", "invalid", "dup_b")] == ["blocked"] * 5
    assert [out["status"][p] for p in ("dup_a", "good", "override", "example")] == ["loaded"] * 4
    assert _mentioning(out["warnings"], *THIRD_PARTY) == []


# -- overrides, rule extensions and types -------------------------------------------------

WELL_FORMED = {"PLUGRAD_PACKS": "numpy,good,override,example"}


def test_override_and_added_rules_are_used_and_listed(venv: Venv) -> None:
    out = venv.script(
        """
        import json, numpy as np, plugrad, plugrad.numpy as pnp, plugrad.good
        out = {"tanh_pack": pnp.tanh.pack, "tanh_doc": pnp.tanh.__doc__}
        # good.scale has no JVP of its own; the override pack added one.
        out["jvp"] = float(plugrad.make_jvp(lambda x: plugrad.good.scale(x, 2.5))(1.0)(1.0)[1])
        print(json.dumps(out))
        """,
        env=WELL_FORMED,
    )
    assert out == {"tanh_pack": "override", "tanh_doc": "numpy.tanh, from the override pack.", "jvp": 2.5}

    listing = venv.run("-m", "plugrad", "packs", env=WELL_FORMED)
    _check(listing)
    text = listing.stdout
    assert "  overrides: numpy.tanh\n" in text
    assert "  extends: good.scale JVP 0\n" in text
    numpy_tanh = [line for line in text.splitlines() if line.strip().startswith("numpy.tanh ")]
    assert any(line.endswith("overridden by override") for line in numpy_tanh)
    assert any(line.endswith("overrides numpy") for line in numpy_tanh)
    assert [line for line in text.splitlines() if line.strip().startswith("good.scale ")][0].endswith(
        "rules added by override: JVP 0"
    )

    # the numpy pack's checks no longer reach the name it lost: the checker says who has it
    done = venv.run("-m", "plugrad", "gradcheck", "--pack", "numpy", "--primitive", "numpy.tanh", env=WELL_FORMED)
    assert done.returncode != 0
    assert "numpy.tanh is overridden by pack 'override' (check it with --pack override)" in done.stderr, done.stderr

    data = json.loads(_stdout(venv.run("-m", "plugrad", "packs", "--json", env=WELL_FORMED)))
    assert data["overrides"] == [{"name": "numpy.tanh", "pack": "override", "over": ["numpy"]}]
    assert data["extensions"] == [{"pack": "override", "target": "good.scale", "kind": "JVP", "argnum": 0}]
    good = next(p for p in data["packs"] if p["name"] == "good")
    (scale,) = good["primitives"]
    assert scale["args"] == [{"argnum": 0, "vjp": True, "jvp": True}, {"argnum": 1, "vjp": False, "jvp": False}]
    assert good["types"] == [
        {"kind": "vspace", "type": "plugrad_fixture_good.params.Params", "handler": "plugrad_fixture_good.params.DataclassVSpace"},
        {"kind": "box", "type": "plugrad_fixture_good.params.Params", "handler": "plugrad_fixture_good.params.DataclassBox"},
    ]


def test_grad_with_respect_to_a_dataclass_registered_by_a_pack(venv: Venv) -> None:
    out = venv.script(
        """
        import json, numpy as np, plugrad, plugrad.numpy as pnp
        from plugrad_fixture_good.params import Params

        x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 5.0])

        def loss(p):
            r = p.w * x + p.b - y
            return pnp.sum(r * r)

        p = Params(w=np.array([0.5, -1.0, 2.0]), b=0.25)
        g = plugrad.grad(loss)(p)
        _, tangent = plugrad.make_jvp(loss)(p)(Params(w=np.array([1.0, 0.0, 0.0]), b=1.0))
        print(json.dumps({"type": type(g).__name__, "w": g.w.tolist(), "b": float(g.b), "jvp": float(tangent)}))
        """,
        env=WELL_FORMED,
    )
    r = [0.5 * 1 + 0.25 - 2, -1.0 * 2 + 0.25 - 3, 2.0 * 3 + 0.25 - 5]
    assert out["type"] == "Params"
    assert out["w"] == pytest.approx([2 * r[0] * 1, 2 * r[1] * 2, 2 * r[2] * 3])
    assert out["b"] == pytest.approx(2 * sum(r))
    assert out["jvp"] == pytest.approx(out["w"][0] + out["b"])


def test_listing_shows_every_status(venv: Venv) -> None:
    env = {"PLUGRAD_PACKS": ",".join(("numpy", *THIRD_PARTY))}  # the other built-in packs: blocked
    done = venv.run("-m", "plugrad", "packs", "--json", env=env)
    # failed packs, one with problems and a conflict: listed, and the exit status says so
    assert done.returncode == 1 and done.stderr.endswith("plugrad packs: 3 failed, 1 with problems, 1 conflict (listed above)\n"), done.stderr
    data = json.loads(done.stdout)
    packs = {p["name"]: p for p in data["packs"]}
    assert packs["broken"]["status"] == "failed" and "RuntimeError" in packs["broken"]["reason"]
    assert packs["broken"]["distribution"] == "plugrad-fixture-broken" and packs["broken"]["version"] == "0.1.0"
    assert packs["unknownhook"]["status"] == "failed" and "plugrad_primitivs" in packs["unknownhook"]["reason"]
    assert packs["badentry"]["status"] == "failed" and "ModuleNotFoundError" in packs["badentry"]["reason"]
    assert packs["invalid"]["status"] == "loaded" and len(packs["invalid"]["problems"]) == 2
    assert [p["name"] for p in packs["invalid"]["primitives"]] == ["invalid.fine"]
    assert data["conflicts"] == [{"name": "dup.twin", "packs": ["dup_a", "dup_b"]}]
    twins = [i for p in ("dup_a", "dup_b") for i in packs[p]["primitives"] if i["name"] == "dup.twin"]
    assert [t["status"] for t in twins] == ["conflict", "conflict"]
    assert packs["numpy"]["builtin"] and not packs["example"]["builtin"]
    assert {p["status"] for n, p in packs.items() if n not in ("numpy", *THIRD_PARTY)} <= {"blocked"}
    summary = data["summary"]
    assert (summary["conflicts"], summary["overrides"], summary["extensions"], summary["failed"]) == (1, 1, 1, 3)
    text = venv.run("-m", "plugrad", "packs", env=env).stdout
    assert "broken  (distribution plugrad-fixture-broken 0.1.0)  failed: importing 'plugrad_fixture_broken'" in text
    assert "CONFLICT with dup_b: unavailable" in text
    assert text.rstrip().splitlines()[-1].startswith(f"{summary['packs']} packs: ")


# -- the example pack, installed from its wheel ------------------------------------------


def test_example_pack_from_its_wheel(venv: Venv) -> None:
    out = venv.script(
        """
        import importlib.metadata, json, numpy as np, plugrad
        import plugrad.example as ex
        dist = importlib.metadata.distribution("plugrad-example")
        x = np.array([-800.0, 0.0, 800.0])
        print(json.dumps({
            "functions": ex.__all__,
            "installed": str(dist.locate_file("plugrad_example/functions.py")),
            "module": ex.softplus.fun.__module__,
            "d_softplus": plugrad.elementwise_grad(ex.softplus)(x).tolist(),
            "d2_logcosh": float(plugrad.grad(plugrad.grad(ex.logcosh))(0.0)),
            "d_log1mexp": float(plugrad.grad(ex.log1mexp)(np.log(2.0))),
        }))
        """,
        env={"PLUGRAD_PACKS": "numpy,example"},
    )
    assert out["functions"] == ["log1mexp", "log_sigmoid", "logcosh", "softplus", "softsign"]
    assert "site-packages" in out["installed"] and str(EXAMPLE) not in out["installed"]
    assert out["d_softplus"] == [0.0, 0.5, 1.0]
    assert out["d2_logcosh"] == pytest.approx(1.0)
    assert out["d_log1mexp"] == pytest.approx(1.0)

    done = venv.run("-m", "plugrad", "gradcheck", "--pack", "example", "-q", env={"PLUGRAD_PACKS": "numpy,example"})
    _check(done)
    assert done.stdout.rstrip().splitlines()[-1].endswith("passed, 0 failed")


def test_example_pack_own_tests_pass_against_the_wheel(venv: Venv) -> None:
    done = venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests"), env={"PLUGRAD_PACKS": "numpy,example"})
    _check(done)


def _stdout(done: subprocess.CompletedProcess[str]) -> str:
    _check(done)
    return done.stdout
