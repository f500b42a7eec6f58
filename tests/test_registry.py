"""The registry, in process: each test builds its own Registry from small pack objects.

Real installed distributions are exercised by ``test_packs_installed.py``; here entry
points are faked where a test needs them, so each fault is one short test.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import threading
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import plugrad
from plugrad import Box, Composite, NonDifferentiable, PackConflictError, PackError, Primitive, Registry, Rules, hookimpl
from plugrad import registry as registry_module
from plugrad.registry import PackWarning, RegistryBusy, TypeRegistration

FIXTURES = Path(__file__).parent / "fixtures" / "packs"


def double(name: str, *, override: bool = False) -> Primitive:
    prim = Primitive(name, lambda x: 2.0 * x, override=override)
    return prim.def_vjp(lambda g, ans, x: 2.0 * g).def_jvp(lambda t, ans, x: 2.0 * t)


class Pack:
    """A pack for a test: ``items`` maps each namespace to what plugrad_primitives returns."""

    def __init__(self, items: dict[str, Any]) -> None:
        self.items = items
        self.asked: list[str] = []

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return list(self.items)

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> Any:
        self.asked.append(namespace)
        items = self.items.get(namespace)
        if isinstance(items, Exception):
            raise items
        return items


@dataclasses.dataclass
class FakeEntryPoint:
    """What Registry.load_entry_points reads of a plugrad._entry_points.EntryPoint."""

    name: str
    target: Any  # the object load() returns, or the exception it raises
    distribution: str = "plugrad-thing"
    version: str = "1.0"

    @property
    def value(self) -> str:
        return f"plugrad_{self.name}"

    @property
    def dist(self) -> Any:
        return types.SimpleNamespace(name=self.distribution, version=self.version)

    def load(self) -> Any:
        if isinstance(self.target, BaseException):
            raise self.target
        return self.target


_RAISE_LINE = FakeEntryPoint.load.__code__.co_firstlineno + 2  # where load raises a target exception


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> list[FakeEntryPoint]:
    """The entry points Registry.load_entry_points will see: append to this list."""
    eps: list[FakeEntryPoint] = []
    monkeypatch.setattr(registry_module, "entry_points", lambda group: list(eps) if group == "plugrad" else [])
    return eps


def loaded(**packs: Any) -> Registry:
    registry = Registry()
    for name, pack in packs.items():
        registry.register_pack(pack, name)
    return registry


# -- loading and looking up ---------------------------------------------------------------


def test_lookup_namespace_and_laziness() -> None:
    sq = double("demo.sq")
    pack = Pack({"demo": [sq, NonDifferentiable("demo.flag", bool), Composite("demo.twice", lambda x: sq(sq(x)))]})
    registry = loaded(demo=pack)
    assert pack.asked == []  # nothing is asked for until the namespace is used
    assert registry.namespaces() == ["demo"] and registry.is_namespace("demo")
    assert registry.lookup("demo.sq") is sq and sq.pack == "demo"
    assert sorted(registry.namespace("demo")) == ["flag", "sq", "twice"]
    assert registry.lookup("demo.nothing") is None and registry.lookup("elsewhere.sq") is None
    assert registry.primitives() == [sq]
    assert pack.asked == ["demo"]  # once
    assert plugrad.registry.describe_packs(registry) == ["demo"]
    assert plugrad.registry.describe_blocked(registry) == ""
    kept_out = Registry(disabled=["other"])
    kept_out.register_pack(Pack({"demo": []}), "other")
    assert plugrad.registry.describe_blocked(kept_out) == "; not loaded: other (disabled (PLUGRAD_DISABLE_PACKS / Registry(disabled=...)))"
    faulty = Registry()
    with pytest.warns(PackWarning):
        faulty.register_pack(Pack({"demo": ImportError("no scipy")}), "lazy")
        faulty.names("demo")
    assert re.fullmatch(  # (with where the pack raised it, which `plugrad packs` lists too)
        r"; pack lazy: plugrad_primitives raised ImportError: no scipy; its functions in namespace 'demo' are missing "
        r"\(at tests/test_registry.py:\d+\)",
        plugrad.registry.describe_blocked(faulty, "demo"),
    )
    assert plugrad.registry.describe_blocked(faulty, "other") == ""


def test_a_pack_joining_a_namespace_in_use() -> None:
    registry = loaded(a=Pack({"demo": [double("demo.a")]}))
    assert list(registry.namespace("demo")) == ["a"]
    registry.register_pack(Pack({"demo": [double("demo.b")]}), "b")
    assert sorted(registry.namespace("demo")) == ["a", "b"]


# -- faults stay with their pack ------------------------------------------------------------


def test_import_failure_is_a_warning_naming_pack_distribution_and_error(entry_points: list[FakeEntryPoint]) -> None:
    entry_points += [FakeEntryPoint("bad", RuntimeError("boom"), "plugrad-bad", "2.0"), FakeEntryPoint("good", Pack({"g": [double("g.f")]}))]
    registry = Registry()
    with pytest.warns(PackWarning) as record:
        registry.load_entry_points()
    (message,) = [str(w.message) for w in record]
    assert message == (
        "plugrad pack 'bad' (distribution plugrad-bad 2.0) was not loaded: importing 'plugrad_bad' raised "
        f"RuntimeError: boom (at tests/test_registry.py:{_RAISE_LINE}). The other packs still work; PLUGRAD_DISABLE_PACKS=bad "
        "stops loading it. PLUGRAD_STRICT_PACKS=1 raises it, with its traceback."
    )
    assert record[0].filename == __file__  # points at the caller, not at plugrad's internals
    assert (registry.packs["bad"].status, registry.packs["good"].status) == ("failed", "loaded")
    assert registry.lookup("g.f") is not None


def test_a_failure_inside_numpy_is_placed_at_the_packs_own_line_too() -> None:
    class Reshaping(Pack):
        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            return np.reshape(np.arange(3), (2, 2))  # NumPy raises, several frames down

    registry = Registry()
    registry.register_pack(Reshaping({"r": []}), "reshaping")
    with pytest.warns(PackWarning) as record:
        registry.names("r")
    line = Reshaping.plugrad_primitives.__code__.co_firstlineno + 2
    (message,) = [str(w.message) for w in record]
    assert re.search(rf"\(at tests/test_registry\.py:{line}, in _?core/fromnumeric\.py:\d+\)", message), message

    class AsAClass:  # a pack may be a class whose hooks are static methods
        @staticmethod
        @hookimpl
        def plugrad_namespaces() -> list[str]:
            return ["c"]

        @staticmethod
        @hookimpl
        def plugrad_primitives(namespace: str) -> Any:
            return np.reshape(np.arange(3), (2, 2))

    registry = Registry()
    registry.register_pack(AsAClass, "as_a_class")
    with pytest.warns(PackWarning, match=r"\(at tests/test_registry\.py:\d+, in _?core/fromnumeric\.py:\d+\)"):
        registry.names("c")


def test_unknown_hook_fails_the_pack_and_leaves_nothing_registered() -> None:
    class Typo(Pack):
        @hookimpl
        def plugrad_primitivs(self, namespace: str) -> list[Any]:
            return []

    registry = Registry()
    with pytest.warns(PackWarning, match=r"'typo' was not loaded: it implements the unknown hook plugrad_primitivs \(did you mean plugrad_primitives\?\)"):
        info = registry.register_pack(Typo({"t": []}), "typo")
    assert info.status == "failed"
    assert registry.pm.get_plugin("typo") is None and registry.namespaces() == []


def test_a_pack_that_contributes_nothing_fails_saying_why() -> None:
    class Unmarked:  # the hook functions without @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["u"]

        def plugrad_primitives(self, namespace: str) -> list[Any]:
            return [Primitive("u.f", np.sin)]

    class Nothing:
        pass

    class Misnamed:  # a parameter named otherwise than the hook's
        @hookimpl
        def plugrad_primitives(self, ns: str) -> list[Any]:
            return []

    class NoneForItsOwn:
        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["own"]

        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            if namespace == "owns":  # (misspelt)
                return [Primitive("own.f", np.sin)]

    registry = Registry()
    for pack, name, match in (
        (Unmarked(), "unmarked", r"its plugrad_namespaces, plugrad_primitives lack the @plugrad.hookimpl marker"),
        (Nothing(), "nothing", r"it implements no plugrad hook .*plugrad_primitives\(namespace\)"),
        (Misnamed(), "misnamed", r"invalid hook implementation: .*Name a hook's parameters as plugrad's hooks do: .*plugrad_primitives\(namespace\)"),
    ):
        with pytest.warns(PackWarning, match=f"'{name}' was not loaded: {match}"):
            assert registry.register_pack(pack, name).status == "failed"
    class NoPrimitivesHook:
        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["hookless"]

    registry.register_pack(NoPrimitivesHook(), "no_primitives_hook")
    with pytest.warns(PackWarning, match=r"declares 'hookless', but it implements no plugrad_primitives hook"):
        assert registry.names("hookless") == []
    registry.register_pack(NoneForItsOwn(), "none_for_its_own")
    with pytest.warns(PackWarning, match=r"plugrad_primitives\('own'\) returned None, though its plugrad_namespaces declares 'own'"):
        assert registry.names("own") == []

    class HalfMarked:  # the namespaces hook unmarked: loaded, it would contribute nothing
        def plugrad_namespaces(self) -> list[str]:
            return ["half"]

        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            return [Primitive("half.f", np.sin)]

    with pytest.warns(PackWarning, match=r"its plugrad_namespaces lacks the @plugrad.hookimpl marker that its other hooks have"):
        assert registry.register_pack(HalfMarked(), "half_marked").status == "failed"

    def _primitives(namespace: str) -> Any:
        return [Primitive("twice.f", np.sin)]

    twice = types.SimpleNamespace(plugrad_namespaces=hookimpl(lambda: ["twice"]), _primitives=hookimpl(_primitives))
    twice.plugrad_primitives = twice._primitives  # one marked function, two names
    with pytest.warns(PackWarning, match=r"its hook plugrad_primitives is also bound to the name _primitives"):
        assert registry.register_pack(twice, "twice").status == "failed"

    class Bound:  # the same, as methods of a pack object
        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["bound"]

        @hookimpl
        def _prims(self, namespace: str) -> Any:
            return [Primitive("bound.f", np.sin)]

        plugrad_primitives = _prims

    with pytest.warns(PackWarning, match=r"its hook plugrad_primitives is also bound to the name _prims"):
        assert registry.register_pack(Bound(), "bound").status == "failed"
    lazy = types.ModuleType("lazy_pack")  # a module whose __getattr__ imports: not read for hooks
    lazy.plugrad_namespaces = hookimpl(lambda: ["lazy"])
    lazy.plugrad_primitives = hookimpl(lambda namespace: [Primitive("lazy.f", np.sin)])
    lazy.__getattr__ = lambda name: __import__("lazy_pack." + name)  # type: ignore[method-assign]
    assert registry.register_pack(lazy, "lazy").status == "loaded" and registry.names("lazy") == ["f"]

    class Empty:  # a namespace empty on purpose (an optional dependency missing): no fault
        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["empty"]

        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            return []

    registry.register_pack(Empty(), "empty")
    assert registry.names("empty") == [] and not registry.packs["empty"].problems


def test_collect_and_deferred_say_when_a_namespace_gathers_nothing_the_modules_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    from plugrad import collect
    from plugrad.manifest import deferred

    package, module = types.ModuleType("fake_pack_ns"), types.ModuleType("fake_pack_ns.functions")
    module.f = Primitive("mine.f", np.sin)
    monkeypatch.setitem(sys.modules, "fake_pack_ns", package)
    monkeypatch.setitem(sys.modules, "fake_pack_ns.functions", module)
    assert [p.name for p in collect("fake_pack_ns", ["functions"], "mine")] == ["mine.f"]
    with pytest.warns(PackWarning, match=r"collect\('fake_pack_ns', \.\.\., 'mien'\) found no functions in namespace 'mien', but the modules hold functions of namespace 'mine': is the namespace misspelt"):
        assert collect("fake_pack_ns", ["functions"], "mien") == []
    with pytest.warns(PackWarning, match=r"deferred\('fake_pack_ns', \.\.\., 'mien'\) found no functions"):
        assert deferred("fake_pack_ns", {"functions": ["mine.f"]}, "mien") == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert deferred("fake_pack_ns", {"functions": []}, "mien") == []  # none at all: nothing to say


def test_a_function_whose_namespace_is_misspelt_or_missing_is_not_dropped_without_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    from plugrad import collect
    from plugrad.manifest import deferred
    from plugrad.registry import describe_left_out

    package, module = types.ModuleType("fake_pack_typo"), types.ModuleType("fake_pack_typo.functions")
    module.f = Primitive("example.f", np.sin)
    module.g = Primitive("exmaple.g", np.cos)  # one letter swapped: its own namespace, which no pack declares
    module.sin = Primitive("other.sin", np.sin)  # another pack's function, imported: left out quietly
    module.h = Primitive("example.sub.h", np.tan)  # a sub-namespace, asked for on its own
    module.k = Primitive("fake_pack_typo.functions.k", np.exp)  # @primitive without name=
    module.u = Primitive("mylib.u", np.exp)  # a namespace far from any: said when plugrad.example.u is missing
    module.s = Primitive("example2.s", np.exp)  # a sibling left undeclared on purpose: said only where missed
    module.p = Primitive("exmaple._p", np.exp)  # a private helper: quiet
    module.q = Primitive("fake_pack_typo.functions._q", np.exp)  # @primitive def _q without name=: quiet too
    monkeypatch.setitem(sys.modules, "fake_pack_typo", package)
    monkeypatch.setitem(sys.modules, "fake_pack_typo.functions", module)

    class Typo:
        def __init__(self, how: str) -> None:
            self.how = how

        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["example", "example.sub"]

        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            if self.how == "collect":
                return collect("fake_pack_typo", ["functions"], namespace)
            if self.how == "generator":  # (collect runs as the registry lists the items)
                return (f for f in collect("fake_pack_typo", ["functions"], namespace))
            names = ["example.f", "exmaple.g", "other.sin", "example.sub.h", "fake_pack_typo.functions.k", "mylib.u", "exmaple._p", "fake_pack_typo.functions._q", "example2.s"]
            return deferred("fake_pack_typo", {"functions": names}, namespace)

    other = Pack({"other": [Primitive("other.sin", np.sin)]})
    for how in ("collect", "generator", "deferred"):
        registry = loaded(other=other, typo=Typo(how))
        call = "collect" if how == "generator" else how
        misspelt = (
            rf"{call}\('fake_pack_typo', \.\.\., 'example'\) left out exmaple.g: namespace 'exmaple' is declared by no "
            r"loaded pack, and is close to 'example'. Is it misspelt"
        )
        unnamed = (
            rf"{call}\('fake_pack_typo', \.\.\.\) left out fake_pack_typo.functions.k: named after its module, as "
            r"plugrad.extend.primitive names a function without name=. Name it as the pack publishes it: "
            r"@primitive\(name='example.k'\) \(its namespaces: 'example', 'example.sub'\)"
        )
        # The pack's problems (python -m plugrad packs lists them, the gradient checker fails
        # them), each said once, as a PackWarning naming the pack: not other.sin, example.sub.h
        # or the private helper.
        with pytest.warns(PackWarning) as caught:
            assert registry.names("example") == ["f"]
            assert registry.names("example.sub") == ["h"]
        said = [str(w.message) for w in caught]
        assert len(said) == 2 and all(m.startswith("plugrad pack 'typo': ") for m in said)
        assert re.search(unnamed, said[0]) and re.search(misspelt, said[1])
        assert [re.search(unnamed, p) is not None for p in registry.packs["typo"].problems] == [True, False]
        # A name far from any namespace is said where the function is missed.
        hint = describe_left_out("example.u", registry)
        assert "pack typo: its modules hold mylib.u, of namespace 'mylib', which no loaded pack declares" in hint
        assert describe_left_out("example.g", registry) == ""  # (exmaple.g: a problem of the pack says it)
        assert "its modules hold example2.s, of namespace 'example2'" in describe_left_out("example.s", registry)
        assert describe_left_out("example.f", registry) == ""
    # In strict mode the hook's own failure is the error raised, not a note collect made first.
    class Failing(Typo):
        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            collect("fake_pack_typo", ["functions"], namespace)
            raise ImportError("scipy missing")

    strict = Registry(strict=True)
    strict.register_pack(Failing("collect"), "failing")
    with pytest.raises(PackError, match="raised ImportError: scipy missing") as caught:
        strict.names("example")
    assert isinstance(caught.value.__cause__, ImportError)
    # Called outside a registry's request (by a tool), collect cannot tell a misspelt namespace
    # from another pack's: it says only what it can tell.
    with pytest.warns(PackWarning, match=r"named after its module") as caught:
        assert [p.name for p in collect("fake_pack_typo", ["functions"], "example")] == ["example.f"]
    assert len(caught) == 1


def test_a_pack_with_types_only() -> None:
    class TypesOnly:
        @hookimpl
        def plugrad_types(self, register: Any) -> None:
            pass

    registry = loaded(types_only=TypesOnly())
    assert (registry.packs["types_only"].status, registry.packs["types_only"].namespaces) == ("loaded", [])


def test_optional_unknown_hooks_are_allowed() -> None:
    class Future(Pack):
        @hookimpl(optionalhook=True)
        def plugrad_something_new(self) -> None:
            pass

    assert loaded(future=Future({"f": [double("f.g")]})).packs["future"].status == "loaded"


def test_a_hook_with_a_wrong_signature_is_fully_unregistered() -> None:
    # pluggy leaves the hooks it registered before the failing one in place; we do not.
    class WrongArg:
        @hookimpl
        def plugrad_namespaces(self) -> list[str]:
            return ["w"]

        @hookimpl
        def plugrad_primitives(self, ns: str) -> list[Any]:
            return []

    registry = Registry()
    with pytest.warns(PackWarning, match="invalid hook implementation"):
        registry.register_pack(WrongArg(), "wrong")
    assert registry.pm.get_plugin("wrong") is None
    assert registry.pm.hook.plugrad_namespaces.get_hookimpls() == []


@pytest.mark.parametrize(
    ("namespaces", "match"),
    [
        (RuntimeError("no"), "plugrad_namespaces raised RuntimeError: no"),
        ([1, 2], "expected a list of names"),
        (["not a name"], "not a dotted Python name"),
        (["api"], "would hide plugrad's own module plugrad.api"),
    ],
)
def test_bad_namespaces_fail_the_pack(namespaces: Any, match: str) -> None:
    class Odd:
        @hookimpl
        def plugrad_namespaces(self) -> Any:
            if isinstance(namespaces, Exception):
                raise namespaces
            return namespaces

    with pytest.warns(PackWarning, match=match):
        assert Registry().register_pack(Odd(), "odd").status == "failed"


def test_invalid_functions_are_rejected_one_by_one() -> None:
    no_rule = Primitive("demo.no_rule", np.cos).def_vjp("minus sine")  # type: ignore[arg-type]
    pack = Pack({"demo": [double("demo.fine"), double("elsewhere.f"), no_rule, "text", double("demo.fine")]})
    registry = loaded(demo=pack)
    with pytest.warns(PackWarning) as record:
        names = sorted(registry.namespace("demo"))
    assert names == ["fine"]
    messages = [str(w.message) for w in record]
    assert len(messages) == 4 and all(m.startswith("plugrad pack 'demo': rejected ") for m in messages)
    assert "its name must be 'demo' + '.' + a Python identifier" in messages[0]
    assert "its VJP for argument 0 is 'minus sine', which is not callable" in messages[1]
    assert "expected a Primitive, NonDifferentiable, Composite, Rules or Deferred" in messages[2]
    assert "registers the name twice" in messages[3]
    assert registry.packs["demo"].status == "loaded" and len(registry.packs["demo"].problems) == 4
    with pytest.raises(PackError, match="not callable"):
        registry.lookup("demo.no_rule")


def test_a_failing_primitives_hook_costs_only_that_namespace() -> None:
    registry = loaded(demo=Pack({"ok": [double("ok.f")], "bad": ImportError("no scipy")}))
    with pytest.warns(PackWarning, match="plugrad_primitives raised ImportError: no scipy; its functions in namespace 'bad' are missing"):
        assert registry.namespace("bad") == {}
    assert list(registry.namespace("ok")) == ["f"]


@pytest.mark.parametrize("fault", ["import", "hook", "item", "conflict"])
def test_strict_mode_raises_at_each_fault(fault: str, entry_points: list[FakeEntryPoint]) -> None:
    registry = Registry(strict=True)
    error = PackConflictError if fault == "conflict" else PackError
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and never warns instead
        with pytest.raises(error):
            if fault == "import":
                entry_points.append(FakeEntryPoint("bad", RuntimeError("boom")))
                registry.load_entry_points()
            elif fault == "hook":
                registry.register_pack(types.SimpleNamespace(plugrad_nope=hookimpl(lambda: None)), "nope")
            elif fault == "item":
                registry.register_pack(Pack({"demo": [double("other.f")]}), "demo")
                registry.lookup("demo.f")
            else:
                registry.register_pack(Pack({"demo": [double("demo.f")]}), "a")
                registry.register_pack(Pack({"demo": [double("demo.f")]}), "b")
                registry.lookup("demo.f")


# -- conflicts and overrides -----------------------------------------------------------------


def test_a_conflict_warns_once_and_using_the_name_raises_naming_both() -> None:
    registry = loaded(a=Pack({"demo": [double("demo.twin"), double("demo.a")]}), b=Pack({"demo": [double("demo.twin")]}))
    with pytest.warns(PackWarning) as record:
        assert sorted(registry.namespace("demo")) == ["a"]
    assert [str(w.message) for w in record] == [
        "plugrad packs 'a' and 'b' both register demo.twin and neither declares override=True: disable one "
        "(PLUGRAD_DISABLE_PACKS=b) or have the intended one declare override=True. demo.twin is unavailable; "
        "the packs' other functions still work."
    ]
    with pytest.raises(PackConflictError, match="'a' and 'b' both register demo.twin"):
        registry.lookup("demo.twin")
    assert registry.conflicts() == {"demo.twin": ["a", "b"]}


@pytest.mark.parametrize("order", [("base", "fast"), ("fast", "base")])
def test_the_one_override_wins_whatever_the_load_order(order: tuple[str, str]) -> None:
    base, fast = double("demo.f"), double("demo.f", override=True)
    packs = {"base": Pack({"demo": [base]}), "fast": Pack({"demo": [fast]})}
    registry = loaded(**{name: packs[name] for name in order})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.lookup("demo.f") is fast
    assert registry.overrides() == {"demo.f": ("fast", ["base"])}
    assert registry.packs["fast"].overrides == ["demo.f"]


def test_a_conflict_raised_as_an_error_by_a_warnings_filter_is_raised_at_each_use() -> None:
    registry = loaded(a=Pack({"demo": [double("demo.f"), double("demo.a")]}), b=Pack({"demo": [double("demo.f")]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PackWarning)  # as pytest -W error does
        for _ in range(2):
            with pytest.raises(PackWarning, match="both register demo.f"):
                registry.lookup("demo.a")


@pytest.mark.parametrize("order", [("own", "other"), ("other", "own")])
def test_a_builtin_name_registered_by_another_pack_without_override_stays_plugrads(order: tuple[str, str]) -> None:
    # A third-party pack that registers numpy.sin by mistake must not take it from every
    # program: its registration is ignored, with a warning naming it, whatever the order.
    own, other = double("demo.f"), double("demo.f")
    registry = Registry()
    for name in order:
        if name == "own":
            registry.register_pack(Pack({"demo": [own]}), "own", distribution="plugrad")
        else:
            registry.register_pack(Pack({"demo": [other, double("demo.g")]}), "other", distribution="plugrad-other")
    with pytest.warns(PackWarning) as record:
        assert registry.lookup("demo.f") is own
    assert [str(w.message) for w in record] == [
        "plugrad pack 'other' (distribution plugrad-other): it registers demo.f, which plugrad's own pack 'own' "
        "provides, without override=True: its registration is ignored (declare override=True to replace "
        "plugrad's, or rename it). The other functions and packs still work."
    ]
    assert registry.lookup("demo.g") is not None and registry.conflicts() == {}
    assert registry.packs["other"].problems and not registry.packs["own"].problems
    overriding = Registry()
    overriding.register_pack(Pack({"demo": [own]}), "own", distribution="plugrad")
    overriding.register_pack(Pack({"demo": [double("demo.f", override=True)]}), "other", distribution="plugrad-other")
    assert overriding.lookup("demo.f") is not own  # an override still wins


def test_two_overrides_are_a_conflict() -> None:
    registry = loaded(a=Pack({"demo": [double("demo.f", override=True)]}), b=Pack({"demo": [double("demo.f", override=True)]}))
    with pytest.warns(PackWarning, match="2 of them declare override=True"):
        with pytest.raises(PackConflictError):
            registry.lookup("demo.f")


def test_the_same_object_from_two_packs_is_no_conflict() -> None:
    shared = double("demo.f")
    registry = loaded(a=Pack({"demo": [shared]}), b=Pack({"demo": [shared]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.lookup("demo.f") is shared
    assert registry.conflicts() == {} and registry.overrides() == {}


# -- rules added to another pack's primitive ------------------------------------------------


def test_rules_fill_a_missing_rule_and_are_recorded() -> None:
    base = Primitive("demo.f", lambda x: 3.0 * x).def_vjp(lambda g, ans, x: 3.0 * g)
    jvp = lambda t, ans, x: 3.0 * t  # noqa: E731
    # The extension registers first and targets a name of the same namespace.
    registry = loaded(ext=Pack({"demo": [Rules("demo.f", jvps={0: jvp})]}), base=Pack({"demo": [base]}))
    assert registry.lookup("demo.f") is base and base.jvp_rule(0) is jvp
    assert registry.packs["ext"].extends == ["demo.f JVP 0"]
    assert [(x.pack, x.target, x.kind, x.argnum) for x in registry.extensions()] == [("ext", "demo.f", "JVP", 0)]
    # Rules go onto the primitive itself, so another registry loading the same packs agrees.
    again = loaded(ext=Pack({"demo": [Rules("demo.f", jvps={0: jvp})]}), base=Pack({"demo": [base]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again.load_all()
    assert again.packs["ext"].extends == ["demo.f JVP 0"]


def test_rules_never_replace_a_rule() -> None:
    base = double("demo.f")
    vjp = base.vjp_rule(0)
    registry = loaded(base=Pack({"demo": [base]}), ext=Pack({"demo": [Rules("demo.f", vjps={0: lambda g, ans, x: g})]}))
    with pytest.warns(PackWarning, match="cannot add a VJP for argument 0 of demo.f: it has one"):
        registry.load_all()
    assert base.vjp_rule(0) is vjp and registry.extensions() == []


def test_rules_for_a_missing_primitive_are_a_problem() -> None:
    registry = loaded(ext=Pack({"demo": [Rules("demo.gone", jvps={0: lambda t, ans, x: t})]}))
    with pytest.warns(PackWarning, match="cannot add rules to demo.gone: it is not registered by any loaded pack"):
        registry.load_all()


# -- which packs load ------------------------------------------------------------------------


def test_only_disabled_and_autoload(entry_points: list[FakeEntryPoint]) -> None:
    entry_points += [
        FakeEntryPoint("numpy", Pack({"n": [double("n.f")]}), "plugrad", "0.1.0"),
        FakeEntryPoint("third", Pack({"t": [double("t.f")]})),
        FakeEntryPoint("broken", RuntimeError("never imported")),
    ]

    def statuses(**options: Any) -> dict[str, str]:
        registry = Registry(**options)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the broken pack is never imported
            registry.load_entry_points()
        return {name: info.status for name, info in registry.packs.items()}

    assert statuses(autoload=False) == {"numpy": "loaded", "third": "blocked", "broken": "blocked"}
    assert statuses(autoload=False, only=["numpy", "third"]) == {"numpy": "loaded", "third": "loaded", "broken": "blocked"}
    # With autoload off, ``only`` names third-party packs to load besides the built-in ones.
    assert statuses(autoload=False, only=["third"]) == {"numpy": "loaded", "third": "loaded", "broken": "blocked"}
    assert statuses(only=["third"]) == {"numpy": "blocked", "third": "loaded", "broken": "blocked"}
    assert statuses(disabled=["broken"]) == {"numpy": "loaded", "third": "loaded", "broken": "blocked"}
    registry = Registry(disabled=["third"])
    assert registry.register_pack(Pack({}), "third").error.startswith("disabled")
    assert registry.pm.is_blocked("third")


def test_environment_controls(entry_points: list[FakeEntryPoint], monkeypatch: pytest.MonkeyPatch) -> None:
    entry_points += [FakeEntryPoint("numpy", Pack({}), "plugrad", "0.1.0"), FakeEntryPoint("third", Pack({}))]
    monkeypatch.setenv("PLUGRAD_DISABLE_PACK_AUTOLOAD", "1")
    monkeypatch.setenv("PLUGRAD_DISABLE_PACKS", "numpy")
    monkeypatch.setenv("PLUGRAD_STRICT_PACKS", "yes")
    registry = Registry.from_environment()
    assert registry.strict and not registry.autoload and registry.disabled == {"numpy"}
    assert {n: p.status for n, p in registry.packs.items()} == {"numpy": "blocked", "third": "blocked"}
    monkeypatch.setenv("PLUGRAD_PACKS", "third, numpy")
    monkeypatch.setenv("PLUGRAD_STRICT_PACKS", "0")
    registry = Registry.from_environment()
    assert registry.only == {"third", "numpy"} and not registry.strict
    assert Registry.from_environment(strict=True).strict
    monkeypatch.setenv("PLUGRAD_STRICT_PACKS", "1")
    assert not Registry.from_environment(strict=False).strict  # the gradient checker collects faults itself
    assert registry.packs["third"].status == "loaded" and registry.packs["numpy"].status == "blocked"


def test_naming_a_pack_nobody_installed_warns(entry_points: list[FakeEntryPoint]) -> None:
    entry_points.append(FakeEntryPoint("numpy", Pack({}), "plugrad", "0.1.0"))
    with pytest.warns(PackWarning, match=r"no installed distribution provides the pack\(s\) 'nmupy' named in PLUGRAD_PACKS; installed: numpy"):
        Registry(only=["nmupy"]).load_entry_points()


def test_two_distributions_offering_one_pack_name(entry_points: list[FakeEntryPoint]) -> None:
    entry_points += [FakeEntryPoint("stats", Pack({}), "plugrad-stats"), FakeEntryPoint("stats", Pack({}), "other-stats")]
    registry = Registry()
    with pytest.warns(PackWarning) as record:
        registry.load_entry_points()
    # (not PLUGRAD_DISABLE_PACKS=stats, which would disable the one that loaded)
    assert [str(w.message) for w in record] == [
        "plugrad pack 'stats (other-stats)' (distribution other-stats 1.0) was not loaded: 'stats' (distribution "
        "plugrad-stats 1.0) already provides a pack named 'stats'. The other packs still work; rename the entry "
        "point of one of them, or uninstall one (pip uninstall other-stats)."
    ]
    assert registry.packs["stats"].status == "loaded"
    assert registry.packs["stats (other-stats)"].status == "failed"
    entry_points.append(FakeEntryPoint("numpy", Pack({}), "plugrad", "0.1.0"))
    for blocked in (Registry(disabled=["stats"]), Registry(only=["numpy"])):  # the user's controls decide first
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            blocked.load_entry_points()
        assert {n: p.status for n, p in blocked.packs.items()} == {"numpy": "loaded", "stats": "blocked"}


def test_a_pack_exiting_at_import_fails_alone(entry_points: list[FakeEntryPoint]) -> None:
    entry_points += [FakeEntryPoint("exits", SystemExit(3)), FakeEntryPoint("fine", Pack({"fine": []}))]
    registry = Registry()
    with pytest.warns(PackWarning, match="'exits' .*was not loaded: importing .* raised SystemExit: 3"):
        registry.load_entry_points()
    assert registry.packs["exits"].status == "failed" and registry.packs["fine"].status == "loaded"


# -- re-entrance and threads --------------------------------------------------------------


def test_using_a_namespace_while_it_loads_is_a_clear_error() -> None:
    class Recursive(Pack):
        @hookimpl
        def plugrad_primitives(self, namespace: str) -> Any:
            return [registry.lookup("demo.other")]

    registry = loaded(rec=Recursive({"demo": []}))
    with pytest.warns(PackWarning, match="namespace 'demo' was used while its packs were still defining it"):
        assert registry.namespace("demo") == {}


def test_the_default_registry_used_while_being_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_default", None)
    monkeypatch.setattr(Registry, "from_environment", classmethod(lambda cls: registry_module.default_registry()))
    with pytest.raises(RegistryBusy, match="used while it was being built"):
        registry_module.default_registry()


def test_namespaces_load_once_under_threads() -> None:
    pack = Pack({"demo": [double(f"demo.f{i}") for i in range(50)]})
    registry = loaded(demo=pack)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(registry.namespace("demo")))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [50] * 8 and pack.asked == ["demo"]


# -- types -----------------------------------------------------------------------------------


def test_a_pack_teaches_plugrad_a_dataclass_of_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    import plugrad_numpy

    monkeypatch.syspath_prepend(str(FIXTURES / "good"))
    import plugrad_fixture_good
    from plugrad_fixture_good.params import DataclassVSpace, Params

    registry = loaded(numpy=plugrad_numpy, good=plugrad_fixture_good)
    monkeypatch.setattr(registry_module, "_default", registry)  # what grad's type check consults
    registry.install_types()
    assert [(t.kind, t.handler.rpartition(".")[2], t.name) for t in registry.packs["good"].types] == [
        ("vspace", "DataclassVSpace", None),  # (given as a class: no name)
        ("box", "DataclassBox", None),
    ]
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    total = registry.lookup("numpy.sum")

    def loss(p: Params) -> Any:
        r = p.w * x + p.b - y
        return total(r * r)

    p = Params(w=np.array([0.3, -0.2]), b=0.1)
    g = plugrad.grad(loss)(p)
    assert isinstance(g, Params)
    # Against central differences in the dataclass's own vector space.
    space = DataclassVSpace(p)
    flat, eps = space.flatten(p), 1e-6
    numeric = [
        (loss(space.unflatten(flat + eps * e)) - loss(space.unflatten(flat - eps * e))) / (2 * eps)
        for e in np.eye(flat.size)
    ]
    np.testing.assert_allclose(space.flatten(g), numeric, rtol=1e-6)


_LAZY_RULES = """
from plugrad import Box
from plugrad.vspace import ArrayVSpace
import lazy_values

class CoeffsVSpace(ArrayVSpace):
    def __init__(self, value):
        super().__init__(value.c)

    def zeros(self):
        return lazy_values.Coeffs(super().zeros())

class CoeffsBox(Box):
    __slots__ = ()

NotABox = object
"""


def _lazy_pack(*registrations: tuple[str, str, str]) -> Any:
    class Lazy(Pack):
        @hookimpl
        def plugrad_types(self, register: Any) -> None:
            for kind, value_type, name in registrations:
                getattr(register, kind)(value_type, name)

    return Lazy({})


# Where _lazy_pack's hook registers: the line a load error of a class it names points to.
_REGISTERED_AT = f"tests/test_registry.py:{_lazy_pack.__code__.co_firstlineno + 5}"


def test_a_pack_names_its_box_and_vector_space_classes_and_they_are_imported_when_first_needed(named_types: Path) -> None:
    (named_types / "lazy_values.py").write_text(
        "import numpy\n\nclass Coeffs:\n    def __init__(self, c):\n        self.c = numpy.asarray(c, float)\n"
    )
    (named_types / "lazy_rules.py").write_text(_LAZY_RULES)
    import lazy_values

    registry = loaded(
        lazy=_lazy_pack(("vspace", "lazy_values.Coeffs", "lazy_rules:CoeffsVSpace"), ("box", "lazy_values.Coeffs", "lazy_rules:CoeffsBox"))
    )
    registry.install_types()
    assert "lazy_rules" not in sys.modules
    assert [(t.kind, t.handler, t.name) for t in registry.packs["lazy"].types] == [
        ("vspace", "lazy_rules:CoeffsVSpace", "lazy_values.Coeffs"),  # the name itself, which verify_types reads
        ("box", "lazy_rules:CoeffsBox", "lazy_values.Coeffs"),
    ]
    assert TypeRegistration("box", "'m.T'", "m:TBox").name is None  # (made with three fields, as before)
    total = Primitive("test.lazy_total", lambda p: float(np.sum(p.c)))
    total.def_vjp(lambda g, ans, p: lazy_values.Coeffs(np.full(p.c.shape, g)))
    g = plugrad.grad(lambda p: total(p) ** 2)(lazy_values.Coeffs([1.0, 2.0, 3.0]))
    assert type(g) is lazy_values.Coeffs and g.c.tolist() == [12.0, 12.0, 12.0]
    assert plugrad.box.box_type(lazy_values.Coeffs([1.0])).__name__ == "CoeffsBox"
    assert "lazy_rules" in sys.modules
    registry.verify_types()
    assert registry.packs["lazy"].problems == []


def test_a_named_class_that_does_not_load_is_the_packs_problem_in_packs_and_the_checker(named_types: Path) -> None:
    (named_types / "lazy_things.py").write_text("class Thing:\n    pass\n")
    (named_types / "lazy_rules.py").write_text(_LAZY_RULES.replace("import lazy_values", ""))
    (named_types / "lazy_rulez.py").write_text("raise RuntimeError('broken at import')\n")
    import lazy_things

    registry = loaded(
        lazy=_lazy_pack(
            ("box", "lazy_things.Thing", "lazy_rules:CoeffsBx"),  # misspelt
            ("vspace", "lazy_things.Thing", "lazy_rulez:CoeffsVSpace"),  # its module raises
        )
    )
    registry.install_types()  # (not strict: nothing is imported yet)
    # Each error says where the pack registered the name, the line to fix: not plugrad's line
    # that loaded it, which is where it is raised.
    at = re.escape(_REGISTERED_AT)
    with pytest.raises(ImportError, match=rf"the box class of lazy_things.Thing, which pack lazy registered as 'lazy_rules:CoeffsBx' at {at}, could not be loaded: AttributeError: .*no attribute 'CoeffsBx'"):
        plugrad.box.box_type(lazy_things.Thing())
    with pytest.raises(ImportError, match=rf"the vector space of lazy_things.Thing, which pack lazy registered as 'lazy_rulez:CoeffsVSpace' at {at}, could not be loaded: RuntimeError: broken at import"):
        plugrad.vspace(lazy_things.Thing())
    with pytest.warns(PackWarning) as caught:
        registry.verify_types()
    problems = registry.packs["lazy"].problems
    assert len(problems) == 2 and len(caught) == 2
    assert f"plugrad_types: the box class of lazy_things.Thing, which pack lazy registered as 'lazy_rules:CoeffsBx' at {_REGISTERED_AT}," in problems[0]
    # where its module raised, the other line to read (none for the misspelt class)
    assert re.search(r"RuntimeError: broken at import \(raised at [^/)]+/lazy_rulez.py:1\)", problems[1]), problems[1]
    assert "raised at" not in problems[0]
    assert not any("plugrad/box.py" in p for p in problems)
    strict = Registry(strict=True)
    strict.register_pack(_lazy_pack(("box", "lazy_things.Thing", "lazy_rules:NotABox")), "lazy")
    with pytest.raises(PackError, match=rf"the box class of lazy_things.Thing, which pack lazy registered as 'lazy_rules:NotABox' at {at}, is <class 'object'>, not a subclass of plugrad.Box"):
        strict.install_types()
    # a class that is no VSpace, as a vector space: said at once, not at each value's space
    strict = Registry(strict=True)
    strict.register_pack(_lazy_pack(("vspace", "lazy_things.Thing", "lazy_rules:NotABox")), "lazy")
    with pytest.raises(PackError, match=rf"the vector space of lazy_things.Thing, which pack lazy registered as 'lazy_rules:NotABox' at {at}, is <class 'object'>, not a subclass of plugrad.VSpace"):
        strict.install_types()


def test_a_type_named_wrong_is_the_packs_problem_in_packs_and_the_checker(named_types: Path) -> None:
    # Values are matched by their class's module and __qualname__: a name that re-exports the
    # class, or names none, would leave the pack's values unrecognised without a word.
    (named_types / "lazy_values.py").write_text("class Coeffs:\n    pass\n\nvalue = 1.0\n")
    (named_types / "lazy_things.py").write_text("from lazy_values import Coeffs\n")
    (named_types / "lazy_rules.py").write_text(_LAZY_RULES.replace("import lazy_values", ""))
    registry = loaded(
        lazy=_lazy_pack(
            ("box", "lazy_things.Coeffs", "lazy_rules:CoeffsBox"),  # re-exported
            ("vspace", "lazy_values.Cofs", "lazy_rules:CoeffsVSpace"),  # misspelt
            ("box", "lazy_values.value", "lazy_rules:CoeffsBox"),  # not a class
            ("vspace", "lazy_nowhere.Coeffs", "lazy_rules:CoeffsVSpace"),  # a library not installed
            ("box", "lazy_broken.Coeffs", "lazy_rules:CoeffsBox"),  # a module that raises on import
            ("box", "Coeffs", "lazy_rules:CoeffsBox"),  # no module
            ("box", "lazy_values.Coeffs", "lazy_rules:CoeffsBox"),  # right
        )
    )
    (named_types / "lazy_broken.py").write_text("raise RuntimeError('broken at import')\n")
    with pytest.warns(PackWarning):
        registry.verify_types()
    problems = registry.packs["lazy"].problems
    assert len(problems) == 6
    assert "'lazy_broken.Coeffs' (box), but it names no class that imports (RuntimeError: broken at import)" in problems[4]
    assert "'Coeffs' (box), but it names no module" in problems[5]
    assert "registered the type 'lazy_things.Coeffs' (box), but the class it names is lazy_values.Coeffs by its module and __qualname__, which its values are matched by: register 'lazy_values.Coeffs'" in problems[0]
    assert "'lazy_values.Cofs' (vspace), but it names no class that imports (AttributeError: " in problems[1]
    assert "'lazy_values.value' (box), but it names 1.0, not a class" in problems[2]
    assert "'lazy_nowhere.Coeffs' (vspace), but it names no class that imports (ModuleNotFoundError: No module named 'lazy_nowhere')" in problems[3]


@pytest.mark.parametrize("kind", ["box", "vspace", "refuse"])
def test_a_type_name_that_cannot_be_a_classs_is_refused_where_it_is_registered(named_types: Path, kind: str) -> None:
    registry = loaded(named=_lazy_pack((kind, "lazy_values:Coeffs", "lazy_rules:CoeffsBox" if kind != "refuse" else "why")))
    with pytest.warns(PackWarning, match=r"plugrad_types raised TypeError: a type is named by its module and qualified name, dotted \('dask.array.core.Array'\), not 'lazy_values:Coeffs'"):
        registry.install_types()


@pytest.mark.parametrize(
    ("kind", "value_type", "name", "message"),
    [
        ("box", int, "lazy_rules:CoeffsBox", r"a box class named by a string \('lazy_rules:CoeffsBox'\) needs its type named by one too"),
        ("box", "lazy_values.Coeffs", "lazy_rules.CoeffsBox", r"a box class is named as 'module:Class', not 'lazy_rules.CoeffsBox' \(for a class of module lazy_rules: 'lazy_rules:CoeffsBox'\)"),
        ("vspace", "lazy_values.Coeffs", "lazy rules:CoeffsVSpace", r"a vector space is named as 'module:Class'"),
        ("vspace", "lazy_values.Coeffs", "lazy_rules", r"a vector space is named as 'module:Class'"),
    ],
)
def test_a_class_named_by_string_is_refused_at_registration_unless_module_colon_class_for_a_type_given_by_name(
    named_types: Path, kind: str, value_type: Any, name: str, message: str
) -> None:
    from plugrad.box import register_box_type
    from plugrad.vspace import register_vspace

    with pytest.raises(TypeError, match=message):
        (register_box_type if kind == "box" else register_vspace)(value_type, name)
    registry = loaded(named=_lazy_pack((kind, value_type, name)))
    with pytest.warns(PackWarning, match=f"plugrad_types raised TypeError: {message}"):
        registry.install_types()


def test_a_failing_types_hook_is_a_problem() -> None:
    class BadTypes(Pack):
        @hookimpl
        def plugrad_types(self, register: Any) -> None:
            register.box(int, object)

    registry = loaded(bad=BadTypes({}))
    with pytest.warns(PackWarning, match="plugrad_types raised TypeError: register.box needs a type and a Box subclass"):
        registry.install_types()
    registry.install_types()  # once per pack, not retried on every derivative


def test_a_box_class_given_as_a_vector_space_is_refused_naming_both_registrations() -> None:
    class Point:
        pass

    class PointBox(Box):
        __slots__ = ()

    class Swapped(Pack):
        @hookimpl
        def plugrad_types(self, register: Any) -> None:
            register.vspace(Point, PointBox)

    registry = loaded(swapped=Swapped({}))
    with pytest.warns(PackWarning, match=r"register.vspace got the Box subclass .*PointBox as the factory of .*Point's vector space: register it with register.box"):
        registry.install_types()
