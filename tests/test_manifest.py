"""Deferred names: a pack's modules imported when one of their names is first used.

Each test writes a small package into a temporary folder and builds its own Registry;
the last tests check the built-in packs' manifests and laziness in a fresh interpreter.
"""

from __future__ import annotations

import importlib
import itertools
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugrad import NonDifferentiable, PackError, Primitive, Registry, Rules, hookimpl
from plugrad.manifest import FILENAME, Deferred, build, deferred, main, render
from plugrad.registry import PackWarning

_names = itertools.count()

DOUBLE = """\
from plugrad import Primitive

def double(name, override=False):
    prim = Primitive(name, lambda x: 2.0 * x, override=override)
    return prim.def_vjp(lambda g, ans, x: 2.0 * g).def_jvp(lambda t, ans, x: 2.0 * t)
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``make({module: source})`` writes a fresh package and returns its name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(modules: dict[str, str], *, listed: bool = True) -> str:
        name = f"lazy_pack_{next(_names)}"
        folder = tmp_path / name
        folder.mkdir()
        (folder / "__init__.py").write_text(f"MODULES = {tuple(modules)!r}\n" if listed else "")
        for module, source in {"_double": DOUBLE, **modules}.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        made.append(name)
        return name

    yield make
    for name in list(sys.modules):
        if any(name == m or name.startswith(m + ".") for m in made):
            del sys.modules[name]


class LazyPack:
    """A pack returning the deferred names of ``manifest`` (and ``extra`` items as they are)."""

    def __init__(self, package: str, manifest: dict[str, Any], override: Any = (), extra: Any = ()) -> None:
        self.package, self.manifest, self.override, self.extra = package, manifest, override, list(extra)

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return ["demo"]

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Any]:
        return [*deferred(self.package, self.manifest, namespace, self.override), *self.extra]


class EagerPack:
    def __init__(self, *items: Any) -> None:
        self.items = list(items)

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return ["demo"]

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Any]:
        return self.items


def loaded(*, strict: bool = False, **packs: Any) -> Registry:
    registry = Registry(strict=strict)
    for name, pack in packs.items():
        registry.register_pack(pack, name)
    return registry


TWO_MODULES = {
    "first": "from ._double import double\nf = double('demo.f')\ng = double('demo.g')\n",
    "second": "from ._double import double\nh = double('demo.h')\n",
}


def test_build_says_which_module_defines_each_name(package: Any) -> None:
    pkg = package({**TWO_MODULES, "third": "from .first import f\nfrom ._double import double\nk = double('other.k', override=True)\n"})
    by_module, overriding = build(pkg, ["first", "second", "third"])
    assert by_module == {"first": ["demo.f", "demo.g"], "second": ["demo.h"], "third": ["other.k"]}
    assert overriding == ["other.k"]  # f, imported by third, stays first's
    assert [(d.name, d.module, d.override) for d in deferred(pkg, by_module, "other", overriding)] == [
        ("other.k", f"{pkg}.third", True)
    ]


def test_a_module_is_imported_when_one_of_its_names_is_first_used(package: Any) -> None:
    pkg = package(TWO_MODULES)
    manifest, _ = build(pkg, ["first", "second"])
    for module in ("first", "second"):
        del sys.modules[f"{pkg}.{module}"]  # build imported them; start again
    registry = loaded(lazy=LazyPack(pkg, manifest))
    assert sorted(registry.names("demo")) == ["f", "g", "h"]
    assert f"{pkg}.first" not in sys.modules and f"{pkg}.second" not in sys.modules

    f = registry.lookup("demo.f")
    assert isinstance(f, Primitive) and f is sys.modules[f"{pkg}.first"].f and f.pack == "lazy"
    assert f(3.0) == 6.0
    assert f"{pkg}.second" not in sys.modules
    assert registry.choices()["demo.f"].entry is f

    assert sorted(registry.namespace("demo")) == ["f", "g", "h"]  # every function, so every module
    assert registry.lookup("demo.h") is sys.modules[f"{pkg}.second"].h
    assert not any(isinstance(e, Deferred) for e in registry.entries().values())


def test_an_override_is_settled_from_the_manifest_without_importing(package: Any) -> None:
    pkg = package(TWO_MODULES)
    manifest, _ = build(pkg, ["first", "second"])
    del sys.modules[f"{pkg}.first"]
    replacement = Primitive("demo.f", lambda x: 3.0 * x, override=True)
    registry = loaded(lazy=LazyPack(pkg, manifest), other=EagerPack(replacement))
    assert registry.lookup("demo.f") is replacement
    assert f"{pkg}.first" not in sys.modules
    assert registry.overrides() == {"demo.f": ("other", ["lazy"])}

    # The other way round: the manifest's override wins over an eager function.
    plain = Primitive("demo.f", lambda x: 3.0 * x)
    registry = loaded(lazy=LazyPack(pkg, manifest, override=["demo.f"]), other=EagerPack(plain))
    with pytest.warns(PackWarning, match="declares override=False, its manifest the opposite; regenerate"):
        assert registry.lookup("demo.f") is plain  # the manifest lied: its name is dropped, the other wins
    assert registry.overrides() == {} and registry.packs["lazy"].overrides == []


def test_rules_for_a_deferred_primitive_import_it_and_apply(package: Any) -> None:
    pkg = package({"first": "from plugrad import Primitive\nf = Primitive('demo.f', lambda x: 2.0 * x)\n"})
    manifest, _ = build(pkg, ["first"])
    rule = lambda g, ans, x: 2.0 * g  # noqa: E731
    registry = loaded(lazy=LazyPack(pkg, manifest), rules=EagerPack(Rules("demo.f", vjps={0: rule})))
    f = registry.lookup("demo.f")
    assert isinstance(f, Primitive) and f.vjps[0] is rule
    assert [(x.pack, x.target) for x in registry.extensions()] == [("rules", "demo.f")]


@pytest.mark.parametrize(
    "manifest, modules, match",
    [
        ({"first": ["demo.f", "demo.g", "demo.gone"]}, TWO_MODULES, "rejected demo.gone: its manifest says .*first defines it, but it does not"),
        ({"first": ["demo.f"]}, TWO_MODULES, "first defines demo.g, which its manifest lacks"),
        ({"first": ["demo.f", "demo.g"], "broken": ["demo.b"]}, {**TWO_MODULES, "broken": "raise RuntimeError('oops')\n"},
         "importing '.*broken' raised RuntimeError: oops; its functions demo.b are missing"),
    ],
    ids=["a name the module lacks", "a name the manifest lacks", "a module that fails to import"],
)
def test_a_stale_manifest_is_the_packs_fault_alone(package: Any, manifest: Any, modules: Any, match: str) -> None:
    pkg = package(modules)
    registry = loaded(lazy=LazyPack(pkg, manifest), other=EagerPack(Primitive("demo.other", abs)))
    with pytest.warns(PackWarning, match=match) as record:
        registry.load_all()
    assert all("regenerate the manifest" in str(w.message) or "importing" in str(w.message) for w in record)
    assert registry.lookup("demo.f") is sys.modules[f"{pkg}.first"].f  # the rest of the pack works
    assert registry.lookup("demo.other") is not None  # and the other packs
    assert registry.packs["lazy"].problems

    strict = loaded(strict=True, lazy=LazyPack(pkg, manifest))
    with pytest.raises(PackError, match=match):
        strict.load_all()


def test_a_star_import_leaves_out_a_name_its_pack_failed_to_define(
    package: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugrad import registry as registry_module

    manifest = {"first": ["demo.f", "demo.g", "demo.gone"]}
    registry = loaded(lazy=LazyPack(package(TWO_MODULES), manifest), other=EagerPack(Primitive("demo.other", abs)))
    monkeypatch.setattr(registry_module, "_default", registry)
    sys.modules.pop("plugrad.demo", None)
    scope: dict[str, Any] = {}
    try:
        with pytest.warns(PackWarning, match="rejected demo.gone"):
            exec("from plugrad.demo import *", scope)
    finally:
        sys.modules.pop("plugrad.demo", None)
    assert {"f", "g", "other"} <= set(scope) and "gone" not in scope


@pytest.mark.parametrize("eager", [False, True], ids=["both deferred", "one eager"])
def test_one_object_handed_over_by_two_packs_is_no_conflict(package: Any, eager: bool) -> None:
    base = package({"m": "from ._double import double\nf = double('demo.f')\n"})
    ext = package({"mod": f"from {base}.m import f\nfrom ._double import double\ng = double('demo.g')\n"})
    base_manifest, _ = build(base, ["m"])
    ext_manifest, _ = build(ext, ["mod"])
    assert ext_manifest == {"mod": ["demo.f", "demo.g"]}  # as collect() would return it
    shared = sys.modules[f"{base}.m"].f
    other = EagerPack(shared) if eager else LazyPack(ext, ext_manifest)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry = loaded(base=LazyPack(base, base_manifest), ext=other)
        assert registry.lookup("demo.f") is shared
        registry.load_all()
    assert registry.conflicts() == {} and registry.overrides() == {}


def test_a_rejected_override_leaves_the_name_to_the_function_it_overrode(package: Any) -> None:
    pkg = package({"m": "import not_installed_dependency_of_this_test\n"})
    plain = Primitive("demo.f", abs)
    registry = loaded(lazy=LazyPack(pkg, {"m": ["demo.f", "demo.g"]}, override=["demo.f"]), other=EagerPack(plain))
    assert sorted(registry.names("demo")) == ["f", "g"]  # nothing imported yet
    assert registry.overrides() == {"demo.f": ("lazy", ["other"])}  # as the manifest declares
    with pytest.warns(PackWarning) as record:
        assert registry.lookup("demo.f") is plain
        with pytest.raises(PackError, match="rejected demo.g: importing .* raised ModuleNotFoundError"):
            registry.lookup("demo.g")
    assert len(record) == 1  # one module, one fault, one warning
    assert "No module named" in str(record[0].message) and "its functions demo.f, demo.g are missing" in str(record[0].message)
    assert registry.overrides() == {} and registry.packs["lazy"].overrides == []
    assert len(registry.packs["lazy"].problems) == 1


def test_a_rejected_override_between_two_packs_sharing_one_object(package: Any) -> None:
    failing = package({"m": "import not_installed_dependency_of_this_test\n"})
    base = package({"m": "from plugrad import Primitive\nf = Primitive('demo.f', lambda x: 2.0 * x)\n"})
    ext = package({"mod": f"from {base}.m import f\n"})
    rule = lambda t, ans, x: 2.0 * t  # noqa: E731 - f has no JVP: the Rules add one
    registry = loaded(
        over=LazyPack(failing, {"m": ["demo.f"]}, override=["demo.f"]),
        base=LazyPack(base, {"m": ["demo.f"]}),
        ext=LazyPack(ext, {"mod": ["demo.f"]}),
        rules=EagerPack(Rules("demo.f", jvps={0: rule})),
    )
    with pytest.warns(PackWarning) as record:
        f = registry.lookup("demo.f")  # the override fails: the object base and ext share wins
    assert f is sys.modules[f"{base}.m"].f and f.jvps[0] is rule
    assert [str(w.message).split(":")[0] for w in record] == ["plugrad pack 'over'"]  # no conflict, no rules fault
    assert registry.conflicts() == {} and registry.overrides() == {}
    assert registry.packs["rules"].problems == [] and [x.pack for x in registry.extensions()] == ["rules"]


def test_an_override_that_loses_its_rival_is_no_override(package: Any) -> None:
    failing = package({"m": "import not_installed_dependency_of_this_test\n"})
    winner = Primitive("demo.f", abs, override=True)
    registry = loaded(over=EagerPack(winner), lazy=LazyPack(failing, {"m": ["demo.f"]}))
    assert registry.lookup("demo.f") is winner and registry.packs["over"].overrides == ["demo.f"]
    with pytest.warns(PackWarning, match="its functions demo.f are missing"):
        registry.load_all()
    assert registry.overrides() == {} and registry.packs["over"].overrides == []


def test_strict_mode_raises_each_time_and_still_applies_the_other_rules(package: Any) -> None:
    failing = package({"m": "import not_installed_dependency_of_this_test\n"})
    plain = Primitive("demo.g", abs)
    jvp = lambda t, ans, x: t  # noqa: E731
    registry = loaded(
        strict=True,
        lazy=LazyPack(failing, {"m": ["demo.f"]}),
        other=EagerPack(plain),
        rules=EagerPack(Rules("demo.f", jvps={0: jvp}), Rules("demo.g", jvps={0: jvp})),
    )
    with pytest.raises(PackError, match="importing '.*' raised ModuleNotFoundError"):
        registry.names("demo")  # the rules for demo.f import its module
    assert plain.jvps[0] is jvp  # the other pack's rules were applied all the same
    for name in ("demo.f", "demo.f", "demo.g"):  # as with eager packs: each use of the namespace raises
        with pytest.raises(PackError, match="importing '.*' raised ModuleNotFoundError"):
            registry.lookup(name)


def test_rules_are_reported_once_when_a_rejected_target_settles_the_namespace_anew(package: Any) -> None:
    failing = package({"m": "import not_installed_dependency_of_this_test\n"})
    nd = NonDifferentiable("demo.nd", abs)
    rules = EagerPack(Rules("demo.f", jvps={0: lambda t, ans, x: t}), Rules("demo.nd", jvps={0: lambda t, ans, x: t}))
    with pytest.warns(PackWarning) as record:
        loaded(lazy=LazyPack(failing, {"m": ["demo.f"]}), other=EagerPack(nd), rules=rules).names("demo")
    about_nd = [w for w in record if "cannot add rules to demo.nd" in str(w.message)]
    assert len(about_nd) == 1


def test_strict_mode_identifies_every_shared_name_past_a_fault(package: Any) -> None:
    failing = package({"m": "import not_installed_dependency_of_this_test\n"})
    base = package({"m": "from ._double import double\nf = double('demo.f')\n"})
    ext = package({"mod": f"from {base}.m import f\n"})
    registry = loaded(
        strict=True,
        a=LazyPack(failing, {"m": ["demo.x"]}),
        q=EagerPack(Primitive("demo.x", abs)),
        b=LazyPack(base, {"m": ["demo.f"]}),
        c=LazyPack(ext, {"mod": ["demo.f"]}),
    )
    for _ in range(3):  # the fault, at each use; never a conflict for the name b and c share
        with pytest.raises(PackError, match="importing '.*' raised ModuleNotFoundError"):
            registry.lookup("demo.f")
    assert list(registry.conflicts()) == ["demo.x"]  # a's failing demo.x against q's
    assert registry.choices()["demo.f"].entry is sys.modules[f"{base}.m"].f


def test_many_failing_modules_in_a_namespace_in_use(package: Any) -> None:
    # Each rejected module settles the namespace anew; nested, that recursed once per module.
    n = 400
    registry = loaded(z=EagerPack(Primitive("demo.z", abs)))
    registry.lookup("demo.z")
    registry.register_pack(EagerPack(*(Primitive(f"demo.f{i}", abs) for i in range(n))), "q")
    missing = LazyPack("", {}, extra=[Deferred(f"demo.f{i}", f"not_installed_module_{i}") for i in range(n)])
    with pytest.warns(PackWarning) as record:
        registry.register_pack(missing, "a")
    assert len(record) == n  # one per failing module, each once
    assert registry.lookup("demo.f0") is not None and registry.packs["a"].status == "loaded"


def test_strict_mode_keeps_a_fault_to_its_namespace(package: Any) -> None:
    pkg = package(
        {
            "m": "from plugrad import Primitive\nf = Primitive('demo.f', abs)\ng = Primitive('other.g', abs)\ng.vjps = 'oops'\n",
            "n": "from plugrad import Primitive\nh = Primitive('other.h', abs)\n",
        }
    )

    class TwoNamespaces(LazyPack):
        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["demo", "other"]

    for first in ([], ["other.h"]):  # whichever namespace is used first
        registry = loaded(strict=True, lazy=TwoNamespaces(pkg, {"m": ["demo.f", "other.g"], "n": ["other.h"]}))
        for name in first:
            registry.lookup(name)
        for _ in range(2):
            assert registry.lookup("demo.f") is sys.modules[f"{pkg}.m"].f
            with pytest.raises(PackError, match="its VJP rules are 'oops'"):
                registry.lookup("other.g")


def test_a_namespace_is_not_used_before_its_rules_are_in(package: Any) -> None:
    slow = package({"m": "import time\ntime.sleep(0.5)\nfrom plugrad import Primitive\nslow = Primitive('demo.slow', abs)\n"})
    f = Primitive("demo.f", abs)
    vjp = lambda g, ans, x: g  # noqa: E731
    rules = EagerPack(Rules("demo.slow", jvps={0: vjp}), Rules("demo.f", vjps={0: vjp}))
    registry = loaded(lazy=LazyPack(slow, {"m": ["demo.slow"]}, extra=[f]), rules=rules)
    loader = threading.Thread(target=registry.lookup, args=("demo.slow",))
    loader.start()  # applying the rules imports the slow module
    time.sleep(0.1)
    assert registry.lookup("demo.f").has_vjp(0)  # waited for the rules, did not take f without them
    loader.join()


def test_a_deferred_module_may_use_its_namespace_while_rules_are_applied(package: Any) -> None:
    g = Primitive("demo.g", abs)
    pkg = package(
        {"m": "import builtins\nfrom plugrad import Primitive\n"
              "g = builtins._plugrad_test_registry.lookup('demo.g')\nf = Primitive('demo.f', lambda x: g(x) * 2)\n"}
    )
    rule = lambda t, ans, x: 2 * t  # noqa: E731
    registry = loaded(lazy=LazyPack(pkg, {"m": ["demo.f"]}, extra=[g]), rules=EagerPack(Rules("demo.f", jvps={0: rule})))
    import builtins

    builtins._plugrad_test_registry = registry  # type: ignore[attr-defined]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PackWarning)
            assert sorted(registry.names("demo")) == ["f", "g"]  # the rules imported m, which used demo.g
    finally:
        del builtins._plugrad_test_registry  # type: ignore[attr-defined]
    assert registry.lookup("demo.f").jvps[0] is rule


def test_deferred_objects_a_pack_shares_or_gets_wrong(package: Any) -> None:
    pkg = package(TWO_MODULES)
    cached = deferred(pkg, {"first": ["demo.f", "demo.g"]}, "demo")  # one list, handed out again and again
    for name in ("one", "two"):  # two registries, the pack under two names: each keeps its own
        registry = loaded(**{name: EagerPack(*cached)})
        assert registry.lookup("demo.f") is sys.modules[f"{pkg}.first"].f
    with warnings.catch_warnings():
        warnings.simplefilter("error", PackWarning)
        shared = loaded(a=EagerPack(*cached), b=EagerPack(*cached))  # the same Deferreds from two packs
        assert shared.lookup("demo.f") is sys.modules[f"{pkg}.first"].f and shared.conflicts() == {}
    bad = loaded(lazy=EagerPack(Deferred("demo.bad", ["not", "a", "name"]), Primitive("demo.ok", abs)))  # type: ignore[arg-type]
    with pytest.warns(PackWarning, match=r"rejected <Deferred demo.bad .*is not a dotted module name"):
        assert bad.lookup("demo.ok") is not None


def test_a_lookup_racing_a_rejection_gets_the_function_left(package: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Primitive("demo.f", abs)
    registry = loaded(lazy=LazyPack("", {}, extra=[Deferred("demo.f", "not_installed_module_x", override=True)]), other=EagerPack(plain))
    registry.names("demo")
    identify = Registry._identify

    def slow_identify(self: Registry, ns: str) -> None:  # widens the window between rejecting and settling
        if threading.current_thread().name == "first":
            time.sleep(0.3)
        identify(self, ns)

    monkeypatch.setattr(Registry, "_identify", slow_identify)
    got: dict[str, Any] = {}
    first = threading.Thread(target=lambda: got.setdefault("first", registry.lookup("demo.f")), name="first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PackWarning)
        first.start()
        time.sleep(0.1)
        assert registry.lookup("demo.f") is plain
        first.join()
    assert got["first"] is plain


def test_a_rejected_name_stays_out_when_its_namespace_is_settled_again(package: Any) -> None:
    pkg = package(TWO_MODULES)
    registry = loaded(lazy=LazyPack(pkg, {"first": ["demo.f", "demo.g", "demo.gone"]}))
    with pytest.warns(PackWarning, match="rejected demo.gone"):
        registry.load_all()
    registry.register_pack(EagerPack(Primitive("demo.late", abs)), "late")  # settles demo anew
    assert sorted(registry.names("demo")) == ["f", "g", "late"]
    gone = Primitive("demo.gone", abs)
    registry.register_pack(EagerPack(gone), "later")
    assert registry.lookup("demo.gone") is gone and registry.conflicts() == {}


def test_rules_aimed_at_a_rejected_name_say_so(package: Any) -> None:
    pkg = package({"m": "raise RuntimeError('oops')\n"})
    rules = EagerPack(Rules("demo.f", vjps={0: lambda g, ans, x: g}))
    with pytest.warns(PackWarning) as record:
        loaded(lazy=LazyPack(pkg, {"m": ["demo.f"]}), rules=rules).names("demo")
    assert any("cannot add rules to demo.f: it was rejected (plugrad pack 'lazy'" in str(w.message) for w in record)


def test_a_name_the_manifest_lacks_is_an_error_each_time_it_is_used(package: Any) -> None:
    pkg = package(TWO_MODULES)
    registry = loaded(lazy=LazyPack(pkg, {"first": ["demo.f"]}))
    with pytest.warns(PackWarning, match="first defines demo.g, which its manifest lacks"):
        assert registry.lookup("demo.f") is sys.modules[f"{pkg}.first"].f
    for _ in range(2):
        with pytest.raises(PackError, match="defines demo.g, which its manifest lacks; regenerate"):
            registry.lookup("demo.g")


def test_a_deferred_subclass_is_deferred_too(package: Any) -> None:
    class Named(Deferred):
        __slots__ = ()

    pkg = package(TWO_MODULES)

    class Pack(LazyPack):
        @hookimpl
        def plugrad_primitives(self, namespace: str) -> list[Any]:
            return [Named(d.name, d.module, d.override) for d in deferred(pkg, {"second": ["demo.h"]}, namespace)]

    registry = loaded(strict=True, lazy=Pack(pkg, {}))
    assert registry.namespace("demo") == {"h": sys.modules[f"{pkg}.second"].h}


def test_a_deferred_module_may_use_the_registry_from_another_thread(package: Any) -> None:
    # Thread B imports a helper whose top level looks a name up; thread A's first use of
    # demo.f imports a module that imports the same helper. Importing under the registry's
    # lock would leave each waiting for the other.
    pkg = package(
        {
            "helper": "import time, builtins\ntime.sleep(0.2)\nbuiltins._plugrad_test_registry.lookup('demo.g')\n",
            "first": "from . import helper\nfrom ._double import double\nf = double('demo.f')\n",
            "second": "from ._double import double\ng = double('demo.g')\n",
        }
    )
    registry = loaded(lazy=LazyPack(pkg, {"first": ["demo.f"], "second": ["demo.g"]}))
    registry.names("demo")
    import builtins

    builtins._plugrad_test_registry = registry  # type: ignore[attr-defined]
    try:
        b = threading.Thread(target=importlib.import_module, args=(f"{pkg}.helper",), daemon=True)
        b.start()
        time.sleep(0.05)
        a = threading.Thread(target=registry.lookup, args=("demo.f",), daemon=True)
        a.start()
        a.join(10)
        b.join(10)
        assert not a.is_alive() and not b.is_alive(), "deadlocked"
    finally:
        del builtins._plugrad_test_registry  # type: ignore[attr-defined]
    assert registry.lookup("demo.f") is sys.modules[f"{pkg}.first"].f


def test_deferred_names_resolve_once_under_threads(package: Any) -> None:
    pkg = package({"first": "import time\ntime.sleep(0.05)\nfrom ._double import double\n"
                   + "".join(f"f{i} = double('demo.f{i}')\n" for i in range(8))})
    manifest = {"first": [f"demo.f{i}" for i in range(8)]}
    registry = loaded(lazy=LazyPack(pkg, manifest))
    registry.names("demo")
    barrier = threading.Barrier(8)
    found: list[Any] = [None] * 8

    def look(i: int) -> None:
        barrier.wait()
        found[i] = registry.lookup(f"demo.f{i}")

    threads = [threading.Thread(target=look, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    module = sys.modules[f"{pkg}.first"]
    assert found == [getattr(module, f"f{i}") for i in range(8)]


def test_the_manifest_command_writes_and_checks(package: Any, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = package(TWO_MODULES)
    path = Path(importlib.import_module(pkg).__file__).with_name(FILENAME)  # type: ignore[arg-type]
    assert main([pkg, "--check"]) == 1
    assert "out of date: run python -m plugrad manifest" in capsys.readouterr().err
    assert main([pkg]) == 0 and path.read_text() == render(pkg, ["first", "second"])
    written = importlib.import_module(f"{pkg}._manifest")
    assert written.MODULES == {"first": ("demo.f", "demo.g"), "second": ("demo.h",)} and written.OVERRIDE == ()
    assert main([pkg, "--check"]) == 0

    assert main([package(TWO_MODULES, listed=False)]) == 2
    assert "has no MODULES" in capsys.readouterr().err
    assert main(["no_such_pack_anywhere"]) == 2
    assert "importing no_such_pack_anywhere raised ModuleNotFoundError" in capsys.readouterr().err
    assert main([package({"broken": "raise RuntimeError('oops')\n"})]) == 2
    assert "modules raised RuntimeError: oops" in capsys.readouterr().err


BUILT_IN = sorted(p.parent.name for p in (Path(__file__).parents[1] / "plugins").glob(f"*/{FILENAME}"))


def test_the_packs_with_many_modules_have_manifests() -> None:
    assert BUILT_IN == [
        "plugrad_dask",
        "plugrad_fft",
        "plugrad_linalg",
        "plugrad_numpy",
        "plugrad_scipy_linalg",
        "plugrad_scipy_special",
    ]


@pytest.mark.parametrize("pack", BUILT_IN)
def test_the_built_in_manifests_are_up_to_date(pack: str) -> None:
    module = importlib.import_module(pack)
    path = Path(module.__file__).with_name(FILENAME)  # type: ignore[arg-type]
    assert path.read_text() == render(pack, module.MODULES), f"run: python -m plugrad manifest {pack}"


def test_the_numpy_pack_imports_only_what_is_used() -> None:
    code = textwrap.dedent(
        """
        import sys
        import plugrad.numpy as np
        np.sin(1.0)
        print(sorted(m for m in sys.modules if m.startswith("plugrad_numpy.")))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["plugrad_numpy._manifest", "plugrad_numpy._util", "plugrad_numpy.unary"]


def test_threads_first_touching_the_numpy_packs_modules_at_once() -> None:
    # A fresh interpreter, so each thread's first use imports a module of the pack.
    code = textwrap.dedent(
        """
        import sys, threading
        import numpy
        import plugrad.numpy as np
        from plugrad import grad

        x = numpy.linspace(0.1, 0.9, 6)
        cases = {
            "sort": (lambda v: np.sum(np.sort(v) * x), x[numpy.argsort(numpy.argsort(x))]),
            "var": (lambda v: np.var(v), 2 * (x - x.mean()) / x.size),
            "concatenate": (lambda v: np.sum(np.concatenate([v, v])), 2 * numpy.ones(6)),
            "cumsum": (lambda v: np.sum(np.cumsum(v)), numpy.arange(6, 0, -1.0)),
            "clip": (lambda v: np.sum(np.clip(v, 0.3, 0.7)), ((x > 0.3) & (x < 0.7)) * 1.0),
            "maximum": (lambda v: np.sum(np.maximum(v, 0.5)), (x > 0.5) * 1.0),
            "sinh": (lambda v: np.sum(np.sinh(v)), numpy.cosh(x)),
            "take": (lambda v: np.sum(np.take(v, [0, 0, 5])), numpy.array([2.0, 0, 0, 0, 0, 1])),
        }
        barrier = threading.Barrier(len(cases))
        errors = []

        def run(name):
            f, want = cases[name]
            barrier.wait()
            try:
                assert numpy.allclose(grad(f)(x), want), name
            except Exception as exc:
                errors.append(f"{name}: {exc!r}")

        threads = [threading.Thread(target=run, args=(n,)) for n in cases]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(errors, len([m for m in sys.modules if m.startswith("plugrad_numpy.")]))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "[]", out
    assert int(out[1]) >= 10  # the cases reached most of the pack's modules
