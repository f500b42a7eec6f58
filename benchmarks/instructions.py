"""Instructions per gradient, counted by Valgrind: plugrad's overhead without the noise.

    python benchmarks/instructions.py [WORKLOAD ...] [--calls N] [--no-autograd]

Wall-clock timings on a shared two-core machine move by 10-50 % from run to run,
more than most single changes to the kernel save. An instruction count does not:
it is the same to the last few instructions in every run, so a change of 1 % is
seen at once and an A/B comparison needs one run of each side. This script runs
each contender in a child process under ``valgrind --tool=cachegrind
--cache-sim=no`` twice, with ``N`` and ``2N`` calls after two warm-up calls, and
reports the difference divided by ``N``: instructions per call, with the import
and set-up costs cancelled out.

Instructions are not time. NumPy's and BLAS's vectorised loops retire several
instructions per cycle, the interpreter's fewer, so an instruction of Python
overhead costs more time than one of numeric work, and the ratios here are
smaller than the timed ones of ``nox -s bench``. What the count measures well is
the overhead itself: plugrad minus the by-hand NumPy gradient, which does the same
numeric work with no tape. The wall-clock suite stays the measure of record.

Needs Valgrind (``apt-get install valgrind``); the contenders are those of
:mod:`workloads`, so the answers are the ones the suite checks.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))

# workload -> contenders; each contender is built in the child by ``_contender``.
WORKLOADS: dict[str, list[str]] = {
    "poly4": ["plugrad", "autograd"],
    "scalar": ["plugrad", "autograd", "numpy"],
    "mlp_small": ["plugrad", "autograd", "numpy"],
    "rnn": ["plugrad", "autograd", "numpy"],
    "hvp": ["plugrad", "autograd"],
}
DEFAULT_CALLS = {"poly4": 20, "scalar": 2, "mlp_small": 20, "rnn": 2, "hvp": 20}


def _contender(workload: str, who: str) -> Callable[[], Any]:
    """The zero-argument call timed for ``who`` (a library's name, or ``numpy`` for the
    by-hand gradient) on ``workload``: the very callables of the timed suite."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import by_hand
    import workloads as W
    from libs import autograd_lib, plugrad_lib

    if who == "numpy":
        if workload == "scalar":
            return lambda: by_hand.scalar_loop_grad(W.SCALAR_X, W.SCALAR_STEPS)
        if workload == "mlp_small":
            params, x, y = W.mlp_data(32, 64, inputs=64, outputs=10)
            return lambda: by_hand.mlp_value_and_grad(params, x, y)
        if workload == "rnn":
            data = W.rnn_data()
            return lambda: by_hand.rnn_value_and_grad(*data)
        raise ValueError(f"no by-hand gradient for {workload}")
    lib = plugrad_lib() if who == "plugrad" else autograd_lib()
    build: dict[str, Callable[[], Callable[[], Any]]] = {
        "poly4": lambda: W.poly4_grad(lib),
        "scalar": lambda: W.scalar_grad(lib),
        "mlp_small": lambda: W.mlp_grad(lib, 32, 64),
        "rnn": lambda: W.rnn_grad(lib),
        "hvp": lambda: W.hvp_grad(lib),
    }
    return build[workload]()


def child(workload: str, who: str, calls: int) -> None:
    """Build the contender, call it twice to warm up, then ``calls`` times."""
    import warnings

    warnings.simplefilter("ignore")  # (autograd's deprecation warnings on NumPy 2)
    run = _contender(workload, who)
    run()
    run()
    for _ in range(calls):
        run()


def count(workload: str, who: str, calls: int) -> int:
    """Instructions the whole child process executed with ``calls`` calls."""
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        workload,
        who,
        str(calls),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    instructions = parse_count(done.stderr)
    if done.returncode != 0 or instructions is None:
        raise RuntimeError(f"{workload}/{who} failed under valgrind:\n{done.stderr[-3000:]}")
    return instructions


def parse_count(report: str) -> int | None:
    """The instruction count in cachegrind's summary (``==12== I   refs:      1,234,567``)."""
    found = re.search(r"I\s+refs:\s+([\d,]+)", report)
    return int(found.group(1).replace(",", "")) if found else None


def per_call(workload: str, who: str, calls: int) -> float:
    return (count(workload, who, 2 * calls) - count(workload, who, calls)) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help="of: " + ", ".join(WORKLOADS) + " (default: all)")
    parser.add_argument("--calls", type=int, default=None, help="calls per count (default: per workload)")
    parser.add_argument("--no-autograd", action="store_true", help="leave autograd out")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload, who, calls = args.child
        child(workload, who, int(calls))
        return 0
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}: choose from {', '.join(WORKLOADS)}")
    if shutil.which("valgrind") is None:
        print("benchmarks/instructions.py needs Valgrind on the PATH (apt-get install valgrind).", file=sys.stderr)
        return 2
    print("| workload | plugrad | autograd | by hand | plugrad / autograd | plugrad / by hand | plugrad − by hand |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for workload in args.workloads or list(WORKLOADS):
        calls = args.calls or DEFAULT_CALLS[workload]
        who = [w for w in WORKLOADS[workload] if not (args.no_autograd and w == "autograd")]
        n = {w: per_call(workload, w, calls) for w in who}
        p, a, h = n["plugrad"], n.get("autograd"), n.get("numpy")
        cells = [
            f"{p / 1e3:,.1f} k",
            f"{a / 1e3:,.1f} k" if a else "",
            f"{h / 1e3:,.1f} k" if h else "",
            f"{p / a:.3f}×" if a else "",
            f"{p / h:.3f}×" if h else "",
            f"{(p - h) / 1e3:,.1f} k" if h else "",
        ]
        print(f"| {workload} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
