"""The modules users import, ``plugrad.<namespace>``, served from the registry."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pathlib
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import plugrad
from plugrad import Composite, NonDifferentiable, NotDifferentiableError, Primitive, Registry, hookimpl
from plugrad import registry as registry_module
from plugrad.namespace import Unregistered, is_namespace_module
from plugrad.registry import RegistryBusy, kernel_modules


class Pack:
    def __init__(self, items: dict[str, list[Any]]) -> None:
        self.items = items

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return list(self.items)

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Any] | None:
        return self.items.get(namespace)


triple = Primitive("nstest.triple", lambda x: 3.0 * x)
triple.def_vjp(lambda g, ans, x: 3.0 * g).def_jvp(lambda t, ans, x: 3.0 * t)
ninefold = Composite("nstest.ninefold", lambda x: triple(triple(x)), doc="Nine times x.")
flag = NonDifferentiable("nstest.flag", lambda x: x > 0)
inner = Primitive("nstest.sub.inner", lambda x: x)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A registry of the test pack, standing in for the default one."""
    registry = Registry()
    registry.register_pack(Pack({"nstest": [triple, ninefold, flag], "nstest.sub": [inner]}), "nstest")
    monkeypatch.setattr(registry_module, "_default", registry)
    yield registry
    for name in [m for m in sys.modules if m == "plugrad.nstest" or m.startswith("plugrad.nstest.")]:
        del sys.modules[name]


def test_a_namespace_is_a_module_filled_from_the_registry(registry: Registry) -> None:
    import plugrad.nstest as ns

    assert is_namespace_module(ns)
    assert ns.triple is triple
    assert ns.ninefold.__code__ is ninefold.fun.__code__  # a composite is its function, renamed
    assert (ns.ninefold.__name__, ns.ninefold.__module__) == ("ninefold", "plugrad.nstest")
    assert ns.ninefold.__doc__ == "Nine times x." == ninefold.__doc__  # (a lambda's is None)
    assert ns.flag is flag
    assert ns.__all__ == ["flag", "ninefold", "triple"]
    assert {"flag", "ninefold", "triple"} <= set(dir(ns))
    assert plugrad.grad(ns.ninefold)(1.0) == 9.0


def test_a_composite_is_published_under_its_public_name_with_the_librarys_docs() -> None:
    import numpy

    import plugrad.numpy as pnp
    import plugrad.numpy.linalg
    from plugrad_numpy import joining

    vstack = pnp.vstack
    assert (vstack.__name__, vstack.__qualname__, vstack.__module__) == ("vstack", "vstack", "plugrad.numpy")
    assert vstack.__doc__ == numpy.vstack.__doc__  # the implementation has none of its own
    assert joining._vstack.__name__ == "_vstack"  # the pack's own function is not renamed
    assert inspect.signature(vstack) == inspect.signature(joining._vstack)
    norm = pnp.linalg.norm
    assert norm.__module__ == "plugrad.numpy.linalg"
    assert "vector norm" in norm.__doc__  # its own docstring wins
    assert plugrad.grad(lambda x: pnp.sum(vstack([x, 2.0 * x])))(numpy.ones(3)).tolist() == [3.0, 3.0, 3.0]


def test_sub_namespaces_are_submodules(registry: Registry) -> None:
    import plugrad.nstest.sub

    assert plugrad.nstest.sub.inner is inner
    assert importlib.import_module("plugrad.nstest").sub is plugrad.nstest.sub


def test_a_missing_name_says_which_packs_are_loaded(registry: Registry) -> None:
    import plugrad.nstest as ns

    with pytest.raises(AttributeError, match=r"no loaded pack registers nstest.cube \(packs loaded: nstest; `python -m plugrad packs`"):
        ns.cube


def test_unknown_namespaces_do_not_import(registry: Registry) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("plugrad.nstest_nothing")


def test_mirrored_functions_pass_through_and_refuse_traced_arguments(registry: Registry) -> None:
    fun = Unregistered("numpy.frexp", np.frexp)
    assert fun(8.0) == np.frexp(8.0)
    with pytest.raises(NotDifferentiableError, match=r"plugrad.numpy.frexp is not differentiable, and its argument 0 \(x\) is traced: no loaded pack registers"):
        plugrad.grad(lambda x: fun(x)[0])(8.0)


def test_plugrads_own_modules_never_consult_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode() -> Registry:
        raise AssertionError("the registry was consulted")

    monkeypatch.setattr(registry_module, "default_registry", explode)
    assert {"api", "box", "gradcheck", "registry"} <= kernel_modules()
    assert importlib.util.find_spec("plugrad.gradcheck.not_a_module") is None


def test_find_spec_of_a_mirrored_namespace_asks_the_mirrored_library() -> None:
    import plugrad.numpy

    plugrad.numpy.sin  # (the registry is built: until then a pack may yet declare any name)
    found = {name: importlib.util.find_spec(f"plugrad.{name}") is not None for name in (
        "numpy.linalg", "numpy.lib", "numpy.lib.stride_tricks", "scipy.stats.norm",  # a pack's, NumPy's, a pack's object
        "numpy.no_such_module", "numpy.lib.no_such_module", "scipy.no_such_module")}
    assert found == dict.fromkeys(list(found)[:4], True) | dict.fromkeys(list(found)[4:], False)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("plugrad.numpy.no_such_module")


def test_importing_a_namespace_while_the_registry_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def busy() -> Registry:
        raise RegistryBusy("plugrad's pack registry was used while it was being built")

    monkeypatch.setattr(registry_module, "default_registry", busy)
    monkeypatch.setattr(registry_module, "declares", lambda ns: None)  # (not built yet: being built)
    with pytest.raises(ModuleNotFoundError, match="cannot import plugrad.nstest_early: plugrad's pack registry was used"):
        importlib.import_module("plugrad.nstest_early")


def test_star_import_gives_numpys_names_too() -> None:
    names: dict[str, Any] = {}
    exec("from plugrad.numpy import *", names)
    assert names["pi"] == np.pi and names["newaxis"] is None and names["float64"] is np.float64
    assert names["arange"](3.0).tolist() == [0.0, 1.0, 2.0]
    assert isinstance(names["sin"], Primitive)  # plugrad's own where it has one


def test_numpys_other_names_for_a_registered_function_are_registered_too() -> None:
    # NumPy 2's array-API names are the same ufuncs as the old ones (np.acos is np.arccos,
    # np.pow is np.power): differentiable under both, as autograd's are.
    import plugrad.numpy as pnp
    from plugrad.registry import default_registry

    names = set(default_registry().names("numpy"))
    missing = [
        f"{other} (= {name})"
        for name in sorted(names)
        for other in dir(np)
        if other not in names and not other.startswith("_") and callable(getattr(np, name, None))
        and getattr(np, other) is getattr(np, name)
    ]
    assert missing == []
    x = np.array([0.2, 0.5])
    assert np.array_equal(plugrad.elementwise_grad(pnp.acos)(x), plugrad.elementwise_grad(pnp.arccos)(x))
    assert plugrad.grad(pnp.pow)(2.0, 3.0) == 12.0 and plugrad.grad(pnp.atan2, 1)(1.0, 0.0) == -1.0


def test_plugrad_imported_from_a_zip_file(tmp_path: pathlib.Path) -> None:
    # Its own modules are listed from the zip, not a directory (os.listdir raised there).
    root = pathlib.Path(plugrad.__file__).parent
    archive = tmp_path / "plugrad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in root.rglob("*.py"):
            zf.write(path, path.relative_to(root.parent))
    code = "import plugrad, plugrad.numpy.linalg as la; assert '.zip' in plugrad.__file__; print(la.norm([3.0, 4.0]))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(archive), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "5.0", done.stderr


def test_the_namespaces_found_on_disk_hold_no_names_of_their_own() -> None:
    # plugrad/numpy/__init__.py imports importlib and sys to fill itself: not the namespace's
    import plugrad.numpy
    import plugrad.scipy

    for module in (plugrad.numpy, plugrad.scipy):
        assert is_namespace_module(module)
        for name in ("importlib", "sys", "TYPE_CHECKING", "Any"):
            assert name not in dir(module) and name not in vars(module), (module, name)


def test_import_plugrad_alone_reaches_its_submodules_as_attributes() -> None:
    # autograd's `import autograd; autograd.numpy.sum(...)`, `autograd.extend.primitive`:
    # imported on first access, in a fresh process where nothing imported them before.
    code = (
        "import sys, plugrad\n"
        "assert 'plugrad.numpy' not in sys.modules and 'plugrad.extend' not in sys.modules\n"
        "print(plugrad.numpy.sum(plugrad.numpy.ones(3)), plugrad.numpy.linalg.det(plugrad.numpy.eye(2)))\n"
        "print(callable(plugrad.extend.defvjp), plugrad.scipy.special.expit(0.0))\n"
        "print(plugrad.core.make_vjp is not None, plugrad.differential_operators.grad is plugrad.grad)\n"
        "print(hasattr(plugrad, '__main__'), hasattr(plugrad, 'nosuch'), 'numpy' in dir(plugrad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["3.0", "1.0", "True", "0.5", "True", "True", "False", "False", "True"], done.stderr
