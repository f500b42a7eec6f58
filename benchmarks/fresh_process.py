"""Workloads 9 and 10: import time and peak memory, each library in fresh
subprocesses (``probes.py`` is the child), so nothing one library loaded or
allocated is counted against another."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# isort: split
import probes
from harness import Bench, Row, same

PROBE = Path(__file__).with_name("probes.py")
MIB = 2**20

IMPORTS = {  # column -> (module, attribute whose first access completes the import)
    "plugrad": ("plugrad.numpy", "sin"),
    "autograd": ("autograd.numpy", "sin"),
    "torch": ("torch", "sin"),
}


def run_child(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(PROBE), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"probe {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_imports(bench: Bench, reps: int, with_torch: bool) -> None:
    name = "9. import time (fresh interpreters)"
    columns = [c for c in IMPORTS if with_torch or c != "torch"]
    numpy_alone: list[float] = []
    imports: dict[str, list[float]] = {c: [] for c in columns}
    attrs: dict[str, list[float]] = {c: [] for c in columns}
    grads: dict[str, list[float]] = {c: [] for c in columns}
    gradients: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="plugrad-bench-pycache-") as cache:
        env = _bytecode_cached(cache)
        for column in columns:
            run_child("import", *IMPORTS[column], env=env)  # fills the bytecode cache; not timed
        for rep in range(reps):
            shift = rep % len(columns)
            for column in columns[shift:] + columns[:shift]:
                out = run_child("import", *IMPORTS[column], env=env)
                numpy_alone.append(out["numpy"])  # each child imports numpy first, alone
                imports[column].append(out["import"])
                attrs[column].append(out["attr"])
                grads[column].append(out["grad"])
                gradients[column] = out["g"]
    for column, g in gradients.items():
        if not same(g, gradients["autograd"]):
            bench.fail(f"imports: {column}'s first gradient {g} differs from autograd's {gradients['autograd']}")

    def ms(samples: dict[str, list[float]]) -> dict[str, float | None]:
        return {c: statistics.median(s) * 1e3 for c, s in samples.items()}

    both = {c: [i + a for i, a in zip(imports[c], attrs[c])] for c in columns}
    first = {c: f"{IMPORTS[c][0]}.{IMPORTS[c][1]}" for c in columns}
    bench.add(
        Row(
            name,
            "import, over `import numpy`",
            "ms",
            {**ms(imports), "numpy": statistics.median(numpy_alone) * 1e3},
            note=f"plain NumPy: `import numpy` itself; medians of {reps} fresh interpreters each, "
            "bytecode cached",
        )
    )
    bench.add(
        Row(
            name,
            "first attribute access",
            "ms",
            ms(attrs),
            note=", ".join(first.values()) + "; plugrad's discovers its packs by entry point here",
            compare=False,
        )
    )
    bench.add(Row(name, "import + first access, over `import numpy`", "ms", ms(both)))
    to_grad = {c: [b + g for b, g in zip(both[c], grads[c])] for c in columns}
    bench.add(
        Row(
            name,
            "import + first gradient, over `import numpy`",
            "ms",
            ms(to_grad),
            note="the above, then the gradient of sum(tanh(2x) * x): what loads only for a derivative",
        )
    )


def _bytecode_cached(cache: str) -> dict[str, str]:
    """The environment for import timings: bytecode cached, as after ``pip install``.

    Where ``PYTHONDONTWRITEBYTECODE`` is set, a source checkout (plugrad here) would be
    compiled anew by every interpreter while installed packages load cached bytecode;
    the cache goes to a temporary folder so nothing is written beside the sources.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def run_memory(bench: Bench, steps: int, with_torch: bool) -> None:
    name = f"10. memory of grad through {steps} steps of x = tanh(x * w), 1000 floats"
    columns = ["plugrad", "autograd"] + (["torch"] if with_torch else [])
    results = {c: run_child("memory", c, str(steps)) for c in columns}
    answers = {c: np.array(r["grad"]) for c, r in results.items()}
    answers["numpy"] = tanh_loop_grad(steps)
    bench.check(name, answers, "numpy", rtol=1e-6, atol=0.0)  # gradients reach 1e-20: no atol
    per_step = steps * 1000 * 8 / MIB  # one float64 array of 1000 per step
    peak = {c: results[c]["tracemalloc_peak"] / MIB for c in columns if c != "torch"}
    note = "torch allocates outside Python's allocators, so tracemalloc cannot see it" if with_torch else ""
    bench.add(Row(name, "tracemalloc peak during grad", "MiB", dict(peak), note=note))
    bench.add(
        Row(
            name,
            f"peak / {per_step:.1f} MiB (one float64 array per step)",
            "x",
            {c: p / per_step for c, p in peak.items()},
        )
    )
    bench.add(
        Row(
            name,
            "RSS high-water rise during grad",
            "MiB",
            {c: _mib(results[c]["rss_rise"]) for c in columns},
            note="peak RSS (VmHWM, reset first) minus RSS before; one run each; Linux only",
        )
    )


def _mib(n: int | None) -> float | None:
    return n / MIB if n is not None else None


def tanh_loop_grad(steps: int) -> np.ndarray:
    """The gradient of workload 10 by hand: the product of each step's derivative."""
    x, w = probes.memory_inputs()
    g = np.ones_like(x)
    for _ in range(steps):
        x = np.tanh(x * w)
        g *= w * (1.0 - x * x)
    return g
