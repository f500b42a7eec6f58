"""The child processes of workloads 9 and 10 (see ``fresh_process.py``)::

    python benchmarks/probes.py import plugrad.numpy sin   # seconds to import, to get .sin, then
                                                           # to take a first gradient
    python benchmarks/probes.py memory plugrad 2000         # peak memory of one gradient

Each prints one line of JSON. Nothing is imported at module level that the
interpreter has not already loaded, so the import timings start clean.
"""

from __future__ import annotations

import sys
import time


import importlib


def child_import(module: str, attr: str) -> None:
    # Nothing is imported before this point but what the interpreter itself loads.
    t0 = time.perf_counter()
    import numpy  # noqa: F401

    t1 = time.perf_counter()
    mod = importlib.import_module(module)  # not __import__(fromlist=...), which probes attributes
    t2 = time.perf_counter()
    getattr(mod, attr)
    t3 = time.perf_counter()
    g = first_gradient(module.partition(".")[0], numpy.linspace(-1.0, 1.0, 5))
    t4 = time.perf_counter()
    import json

    print(json.dumps({"numpy": t1 - t0, "import": t2 - t1, "attr": t3 - t2, "grad": t4 - t3, "g": list(map(float, g))}))


def first_gradient(lib: str, x: object) -> object:
    """The gradient of ``sum(tanh(2 x) * x)``: what a first derivative has left to load
    (the differential operators, the tracer, every pack's types) after the first access."""
    if lib == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        (g,) = torch.autograd.grad(torch.sum(torch.tanh(2.0 * xt) * xt), xt)
        return g.numpy()
    np = importlib.import_module(f"{lib}.numpy")
    grad = importlib.import_module(lib).grad
    return grad(lambda v: np.sum(np.tanh(2.0 * v) * v))(x)


def memory_inputs() -> tuple[object, object]:
    """``x0`` and ``w`` of workload 10; ``w`` near 1 keeps every gradient well clear of 0."""
    import numpy as np

    return np.linspace(-1.0, 1.0, 1000), np.linspace(0.99, 1.01, 1000)


def child_memory(lib_name: str, steps: int) -> None:
    import json
    import tracemalloc

    import numpy as np

    x0, w = memory_inputs()
    if lib_name == "torch":
        grad = _torch_grad(w)
    else:
        import libs

        lib = libs.plugrad_lib() if lib_name == "plugrad" else libs.autograd_lib()
        tanh = lib.np.tanh

        def f(x: object, n: int) -> object:
            for _ in range(n):
                x = tanh(x * w)
            return lib.np.sum(x)

        grad = lambda n: lib.grad(f)(x0, n)
    grad(10)  # load whatever loads lazily, at a negligible high-water mark
    try:
        rss0 = _reset_peak_rss()
    except OSError:  # not Linux: no resettable peak-RSS mark
        rss0 = None
    g = grad(steps)
    rss = _peak_rss() - rss0 if rss0 is not None else None
    del g
    tracemalloc.start()
    g = grad(steps)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"tracemalloc_peak": peak, "rss_rise": rss, "grad": np.asarray(g).tolist()}))


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux); return that RSS in bytes."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status_kib("VmRSS") * 1024


def _peak_rss() -> int:
    return _status_kib("VmHWM") * 1024


def _torch_grad(w: object) -> object:
    import torch

    torch.set_num_threads(1)
    wt = torch.tensor(w)
    x0, _ = memory_inputs()

    def grad(n: int) -> object:
        x = xt = torch.tensor(x0, requires_grad=True)
        for _ in range(n):
            x = torch.tanh(x * wt)
        (g,) = torch.autograd.grad(torch.sum(x), xt)
        return g.numpy()

    return grad


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    if kind == "import":
        child_import(rest[0], rest[1])
    elif kind == "memory":
        child_memory(rest[0], int(rest[1]))
    else:
        raise SystemExit(f"unknown probe {kind!r}; use 'import' or 'memory'")
