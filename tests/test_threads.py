"""Gradients taken concurrently are each right: trace state lives in the traces."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import textwrap
import threading

import numpy
import pytest

import plugrad.numpy as np
from plugrad import elementwise_grad, grad, hessian


def loss(w, x):
    inner = grad(lambda v: np.sum(np.tanh(v * x) ** 2))(w)  # nested grad inside grad
    return np.sum(np.sin(w * x)) + np.sum(inner * w)


def test_many_threads_match_single_threaded_results():
    rng = numpy.random.default_rng(0)
    inputs = [(rng.standard_normal(5), rng.standard_normal(5)) for _ in range(16)]
    expected = [grad(loss)(w, x) for w, x in inputs]
    barrier = threading.Barrier(8)

    def work(k: int) -> list[bool]:
        barrier.wait()
        return [
            numpy.array_equal(grad(loss)(*inputs[(k + i) % 16]), expected[(k + i) % 16]) for i in range(250)
        ]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = [ok for batch in pool.map(work, range(8)) for ok in batch]
    assert len(results) == 2000 and all(results)


def test_thread_pool_hessians():
    xs = [numpy.full(3, float(i)) / 10 for i in range(20)]
    f = lambda x: np.sum(np.sin(x) * x**2)  # noqa: E731
    expected = [hessian(f)(x) for x in xs]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(hessian(f), xs))
    for a, b in zip(got, expected):
        numpy.testing.assert_array_equal(a, b)


def test_shape_caches_under_concurrent_churn():
    # One Meta and one vector space per (shape, dtype) are cached, and each cache is
    # cleared at 1024 entries: 8 threads over 1600 shapes clear them while others read.
    shapes = [(m, n) for m in range(1, 41) for n in range(1, 41)]
    barrier = threading.Barrier(8)

    def work(k: int) -> bool:
        rng = numpy.random.default_rng(k)
        barrier.wait()
        ok = True
        for shape in shapes[k::8] + shapes[:200]:
            x, b = rng.standard_normal(shape), rng.standard_normal(shape[1:])
            g = grad(lambda v: np.sum((v + b) ** 2))(x)
            e = elementwise_grad(lambda v: (v + b) ** 2)(x)  # a vector space per output shape
            ok &= g.shape == shape and numpy.allclose(g, 2 * (x + b)) and numpy.allclose(e, g)
        return bool(ok)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))


# Two first imports at once, in a fresh interpreter (the lazy state exists once per process):
# Python holds its global import lock while it asks plugrad's finder, and the finder once
# built the registry (which imports the packs) or imported the mirrored SciPy module there,
# while the other thread, doing the same, waited for that lock. Each hung 9 runs in 10.
# A thread's exception fails the run too.
_FIRST_IMPORTS = """
import faulthandler, os, sys, threading
import numpy, scipy
import plugrad
import plugrad.numpy as np
first, second = {first!r}, {second!r}
barrier = threading.Barrier(2)
failures = []

def run(code):
    barrier.wait()
    try:
        exec(code, {{"np": np}})
    except BaseException as exc:
        failures.append(repr(exc))

threads = [threading.Thread(target=run, args=(code,), daemon=True) for code in (first, second)]
for t in threads:
    t.start()
for t in threads:
    t.join(20)
if any(t.is_alive() for t in threads):
    faulthandler.dump_traceback(all_threads=True)
    os._exit(3)
if failures:
    print(failures)
    os._exit(4)
"""


_FIRST_TRACE = "import plugrad.core, numpy; assert plugrad.core.make_vjp(lambda x: (x * x).sum(), numpy.ones(2))[0](1.0).tolist() == [2.0, 2.0]"


def test_first_imports_in_two_threads_do_not_deadlock() -> None:
    for first, second in (
        ("import plugrad.misc", "np.sin"),  # a pack's namespace, while another thread builds the registry
        ("import plugrad.scipy.special", "import scipy.special"),  # a mirrored module, being imported
        # two first traces below the API (plugrad.core, as autograd.core is used): the second
        # took BareBox for an array while the first installed the packs' boxes, 10 runs in 10
        (_FIRST_TRACE, _FIRST_TRACE),
    ):
        script = textwrap.dedent(_FIRST_IMPORTS.format(first=first, second=second))
        for _ in range(3):
            done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{first} beside {second}: {done.stdout}{done.stderr}"


# A first `import plugrad` beside first imports of its modules, in a fresh interpreter.
# Python lets a thread import a submodule of a package another thread is still
# initializing; a kernel module that imported `from plugrad import x` then waited for
# that package while holding its own module's lock, which the package's thread needed:
# Python broke the cycle by handing one thread a partly initialized module ("cannot import
# name 'Registry' from partially initialized module 'plugrad.registry'", 20 runs in 20).
# A namespace's import found no hook to serve it (ModuleNotFoundError: plugrad.numpy
# beside plugrad.scipy.special, 30 runs in 30): plugrad/numpy/ and plugrad/scipy/ now stand
# in for them on disk, and so do plugrad/misc/ and plugrad/operator/ for the other packs
# plugrad ships (`import plugrad.misc` beside `import plugrad.numpy` failed 5 runs in 20).
_COLD_IMPORTS = """
import importlib, os, sys, threading
import numpy
names = sys.argv[1:] or ["plugrad", "plugrad.registry", "plugrad.core", "plugrad.cli_packs", "plugrad.extend", "plugrad.numpy",
                         "plugrad.scipy.special", "plugrad.misc.flatten", "plugrad.operator"]
barrier = threading.Barrier(len(names))
failures = []

def run(name):
    barrier.wait()
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures.append(f"{name}: {exc!r}")

threads = [threading.Thread(target=run, args=(name,), daemon=True) for name in names]
for t in threads:
    t.start()
for t in threads:
    t.join(20)
import plugrad, plugrad.numpy as np
assert plugrad.grad(np.sin)(0.0) == 1.0
if failures or any(t.is_alive() for t in threads):
    print(failures)
    os._exit(4)
"""


def test_first_import_of_plugrad_beside_first_imports_of_its_modules() -> None:
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", _COLD_IMPORTS], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("first, second", [("plugrad.misc", "plugrad.numpy"), ("plugrad.operator", "plugrad"), ("plugrad.misc.optimizers", "plugrad")])
def test_a_shipped_packs_namespace_beside_the_first_import_of_plugrad(first: str, second: str) -> None:
    # Each failed 2-6 runs in 20 before plugrad/misc/ and plugrad/operator/ stood on disk.
    for _ in range(8):
        argv = [sys.executable, "-c", _COLD_IMPORTS, first, second]  # (only those two, in two threads)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_stand_in_of_a_namespace_no_pack_declares_does_not_import() -> None:
    env = {**os.environ, "PLUGRAD_DISABLE_PACKS": "misc"}
    code = "import plugrad.misc"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 1 and "ModuleNotFoundError: No module named 'plugrad.misc'" in done.stderr
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_kernel_modules_import_their_siblings_by_name() -> None:
    # What keeps the test above passing: a kernel module's own import-time statements never
    # wait for the plugrad package (`from plugrad import x`, `import plugrad.x` do, while
    # another thread initializes it); `from plugrad.x import y` waits for plugrad.x only.
    import ast
    import pathlib

    import plugrad

    root = pathlib.Path(plugrad.__file__).parent
    waits = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        body = list(ast.parse(path.read_text()).body)
        while body:
            node = body.pop()
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                continue
            if isinstance(node, ast.ClassDef | ast.If | ast.Try | ast.With):
                body += [n for field in ("body", "orelse", "finalbody", "handlers") for n in getattr(node, field, [])]
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "plugrad" for a in node.names):
                waits.append(f"{path.relative_to(root)}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and node.module in ("plugrad", "plugrad.gradcheck"):
                waits.append(f"{path.relative_to(root)}:{node.lineno}")
    assert waits == []


# plugrad/numpy/ is found on disk and makes itself the namespace module in place, so
# the standard library's lazy-import recipe and reloading work as for any module.
_LAZY_AND_RELOAD = """
import importlib, importlib.util, sys
spec = importlib.util.find_spec("plugrad.numpy")
spec.loader = importlib.util.LazyLoader(spec.loader)
np = importlib.util.module_from_spec(spec)
sys.modules["plugrad.numpy"] = np
spec.loader.exec_module(np)
import plugrad
assert plugrad.grad(np.sin)(0.0) == 1.0 and sys.modules["plugrad.numpy"] is np
from plugrad.namespace import is_namespace_module
assert importlib.reload(np) is np and is_namespace_module(np) and np.cos(0.0) == 1.0
importlib.reload(plugrad)
assert [type(f).__name__ for f in sys.meta_path].count("_Finder") == 1 and plugrad._finder in sys.meta_path
import plugrad.numpy.linalg as la
assert np.linalg is la and is_namespace_module(la)
"""


def test_namespaces_load_lazily_and_reload() -> None:
    done = subprocess.run([sys.executable, "-c", _LAZY_AND_RELOAD], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# Two threads reading a namespace's names for the first time, in lockstep: each resolved a
# published function and stored its own, so one kept an object that was not the module's,
# which pickle refuses ("not the same object as plugrad.numpy.array"), 2 runs in 2.
_FIRST_READS = """
import sys, threading
import plugrad.numpy as np
from plugrad.primitive import Composite
from plugrad.registry import default_registry
registry = default_registry()
names = sorted(n for n in registry.namespace("numpy") if isinstance(registry.lookup("numpy." + n), Composite))
assert len(names) > 20, names
sys.setswitchinterval(1e-6)
got = [{}, {}]
barrier = threading.Barrier(2)
def run(i):
    for n in names:
        barrier.wait()
        got[i][n] = getattr(np, n)
threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
differ = [n for n in names if not got[0][n] is got[1][n] is getattr(np, n)]
assert not differ, differ
"""


def test_first_reads_of_a_name_in_two_threads_give_one_object() -> None:
    done = subprocess.run([sys.executable, "-c", _FIRST_READS], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
