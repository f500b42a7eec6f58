"""Benchmarks: plugrad against autograd (and PyTorch CPU, where installed).

    python benchmarks/run.py [--quick] [--out FILE.md] [--json FILE] [--only NAME,...]

Every library runs the same workloads in this one process, interleaved and
repeated; the table gives medians and the ratios plugrad / autograd and, where
PyTorch is installed, plugrad / PyTorch (below 1: plugrad is faster). The answers
are compared between libraries in the same run, and the run exits 1 if any
disagree, so a fast wrong answer cannot pass.
See benchmarks/README.md for the workloads.
"""

from __future__ import annotations

import os

# One thread everywhere, set before NumPy (and its BLAS) is first imported;
# the subprocesses of workloads 9 and 10 inherit it.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"

import argparse
import datetime
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# isort: split
import fresh_process  # the benchmark's own modules, beside this file
import libs
import workloads
from harness import Bench, Row

COLUMNS = {"plugrad": "plugrad", "autograd": "autograd", "torch": "PyTorch CPU", "numpy": "plain NumPy"}
NAMES = [name for name, _ in workloads.IN_PROCESS] + ["imports", "memory"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer, shorter repetitions: a smoke test (< 60 s)"
    )
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    parser.add_argument("--json", type=Path, help="write every sample and the environment here")
    parser.add_argument("--only", help=f"comma-separated workloads to run, of: {', '.join(NAMES)}")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else set(NAMES)
    if only - set(NAMES):
        parser.error(
            f"unknown workload(s) {', '.join(sorted(only - set(NAMES)))}; choose from {', '.join(NAMES)}"
        )

    try:
        libraries = [libs.plugrad_lib(), libs.autograd_lib()]
    except ImportError as exc:
        print(
            f"benchmarks need autograd to compare against: pip install 'plugrad[bench]' ({exc})",
            file=sys.stderr,
        )
        return 2
    torch = None if args.no_torch else libs.torch_module()
    reps, sample_s, import_reps = (3, 0.01, 3) if args.quick else (9, 0.1, 9)
    bench = Bench(reps=reps, sample_s=sample_s, log=lambda s: print(s, file=sys.stderr))
    ctx = workloads.Context(libraries, torch, args.quick)
    env = environment(torch, args.quick, reps, import_reps)

    started = time.perf_counter()
    for name, run in workloads.IN_PROCESS:
        if name in only:
            _step(bench, name, lambda run=run: run(bench, ctx))
    if "imports" in only:
        # Importing torch takes seconds: the smoke test leaves it out.
        with_torch = torch is not None and not args.quick
        _step(bench, "imports", lambda: fresh_process.run_imports(bench, import_reps, with_torch))
    if "memory" in only:
        _step(bench, "memory", lambda: fresh_process.run_memory(bench, 2000, torch is not None))
    env["wall_s"] = round(time.perf_counter() - started, 1)
    env["load_average_end"] = _loadavg()

    table = markdown(bench.rows, env, bench.failures, with_torch=torch is not None)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"environment": env, "failures": bench.failures, "rows": [vars(r) for r in bench.rows]}
        args.json.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    if bench.failures:
        print(f"{len(bench.failures)} check(s) failed:\n  " + "\n  ".join(bench.failures), file=sys.stderr)
        return 1
    return 0


def _step(bench: Bench, name: str, run: Any) -> None:
    start = time.perf_counter()
    print(f"{name} ...", file=sys.stderr, flush=True)
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - one broken workload must not hide the others
        bench.fail(f"{name} raised {type(exc).__name__}: {exc}")
    print(f"{name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)


# -- the report -----------------------------------------------------------------------------------


def environment(torch: Any, quick: bool, reps: int, import_reps: int) -> dict[str, Any]:
    from importlib.metadata import version

    import autograd  # noqa: F401 - for its version

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "plugrad": _git_describe(),
        "autograd": version("autograd"),
        "torch": torch.__version__ if torch is not None else None,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": f"{_cpu_model()}, {os.cpu_count()} logical CPUs",
        "blas": _blas(),
        "threads": {v: os.environ[v] for v in THREAD_VARS},
        "openblas_env": {v: os.environ.get(v, "unset") for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "mode": "quick" if quick else "full",
        "reps": reps,
        "import_reps": import_reps,
        "load_average_start": _loadavg(),
    }


def _git_describe() -> str:
    """The commit of the plugrad that was imported (not necessarily this checkout's)."""
    import plugrad

    root = Path(plugrad.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    top = git("rev-parse", "--show-toplevel")
    if not commit or Path(top).resolve() != root:
        # An installed copy (``nox -s bench`` builds a wheel into .nox/, inside the checkout):
        # the checkout's HEAD and status would not describe what was built into it.
        return f"unknown commit (an installed copy, not a git checkout: {root})"
    dirty = git("status", "--porcelain", "--", "plugrad", "plugins")
    return commit + (" + uncommitted changes" if dirty else "") + f" ({root})"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    """The BLAS NumPy runs and the kernel it picked (OPENBLAS_CORETYPE overrides the pick)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _openblas_core()
    pools = []
    for p in threadpool_info():
        what = " ".join(str(p[k]) for k in ("internal_api", "version", "architecture") if p.get(k))
        pools.append(f"{what} ({p.get('num_threads')} thread(s), {Path(p.get('filepath', '?')).name})")
    return "; ".join(pools)


def _openblas_core() -> str:
    """Without threadpoolctl: ask the OpenBLAS NumPy loaded for its configuration (Linux)."""
    import ctypes

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "unknown (install threadpoolctl to record it)"
    for path in sorted({line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()}):
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_config64_", "scipy_openblas_get_config", "openblas_get_config"):
            get = getattr(lib, symbol, None)
            if get is not None:
                get.restype = ctypes.c_char_p
                return get().decode()
    return "unknown (install threadpoolctl to record it)"


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if value >= scale or suffix == "µs":
                return f"{value / scale:.3g} {suffix}"
    if unit == "us":
        return f"{value:.2f} µs"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:.1f} {unit}"


def markdown(rows: list[Row], env: dict[str, Any], failures: list[str], *, with_torch: bool) -> str:
    columns = [c for c in COLUMNS if with_torch or c != "torch"]
    ratios = ["plugrad / autograd"] + (["plugrad / PyTorch"] if with_torch else [])
    head = ["workload", "metric", *(COLUMNS[c] for c in columns), *ratios, "noise", "notes"]
    intro = (
        f"{env['date']}; {env['mode']} run, {env['wall_s']} s. Times are medians of {env['reps']} "
        "interleaved repetitions (libraries alternate within each repetition); a ratio "
        "below 1 means plugrad is faster or smaller. `noise` is the largest interquartile range over "
        "median among the columns: the machine is shared, so treat differences within it as noise."
    )
    lines = [
        "# plugrad benchmarks",
        "",
        intro,
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * (len(columns) + len(ratios) + 1) + ["---"]) + "|",
    ]
    for row in rows:
        cells = [row.workload, row.metric]
        cells += [_fmt(row.values.get(c), row.unit) if c in row.values else "" for c in columns]
        cells.append(f"{row.ratio:.2f}×" if row.ratio is not None else "—")
        if with_torch:
            versus = row.versus("torch")
            cells.append(f"{versus:.2f}×" if versus is not None else "—")
        cells.append(f"{max(row.spreads.values()):.0%}" if row.spreads else "")
        cells.append(row.note)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Environment:", ""]
    for key in (
        "plugrad",
        "autograd",
        "torch",
        "numpy",
        "python",
        "machine",
        "blas",
        "threads",
        "openblas_env",
        "load_average_start",
        "load_average_end",
    ):
        value = env.get(key)
        if key == "torch" and value is None:
            value = "not installed (its column is left out)"
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        lines.append(f"- {key}: {value}")
    if failures:
        lines += ["", "**Checks failed** (answers disagree between libraries, or a workload raised):", ""]
        lines += [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
