"""How the cost of a gradient grows with the number of pieces a function joins or reads.

Each pattern builds one array out of ``N`` traced pieces read from ``x`` of shape
``(N, 3)``, row by row or element by element, and takes the gradient of the sum of its
squares. A rule called once per piece that looks at every piece, or a read that pulls
back to a whole array of zeros, makes the gradient quadratic in ``N``: the ``growth``
column is the time at the largest ``N`` over the time at the smallest, which a linear
cost keeps near their ratio. plugrad and autograd run in the same process, alternately,
and their gradients are compared::

    python benchmarks/scaling.py                      # N = 1000, 2000, 4000
    python benchmarks/scaling.py --sizes 2000,8000 --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as onp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from libs import Lib, autograd_lib, plugrad_lib  # noqa: E402


def patterns(np: Any) -> dict[str, Callable[[Any], Any]]:
    """The functions of ``x`` (shape ``(N, 3)``) whose gradients are timed."""

    def concatenate(x: Any) -> Any:
        return np.sum(np.concatenate([x[i] * 2.0 for i in range(x.shape[0])]) ** 2)

    def stack(x: Any) -> Any:
        return np.sum(np.stack([x[i] * 2.0 for i in range(x.shape[0])]) ** 2)

    def array_of_elements(x: Any) -> Any:
        return np.sum(np.array([x[i, 0] * 2.0 for i in range(x.shape[0])]) ** 2)

    def python_sum_of_elements(x: Any) -> Any:
        return sum([x[i, 0] * 2.0 for i in range(x.shape[0])])

    return {
        "`concatenate` of the rows": concatenate,
        "`stack` of the rows": stack,
        "`array` of the elements": array_of_elements,
        "Python `sum` of the elements": python_sum_of_elements,
    }


def measure(libs: list[Lib], sizes: list[int], repeat: int) -> dict[tuple[str, str, int], float]:
    """Seconds per gradient by (pattern, library, N), checking the libraries agree."""
    times: dict[tuple[str, str, int], float] = {}
    for n in sizes:
        x = onp.random.default_rng(n).standard_normal((n, 3))
        grads = {lib.name: {name: lib.grad(f) for name, f in patterns(lib.np).items()} for lib in libs}
        for name in patterns(onp):
            answers = [grads[lib.name][name](x) for lib in libs]  # (also the warm-up)
            for other in answers[1:]:
                if not onp.allclose(other, answers[0]):
                    raise SystemExit(f"{name}, N = {n}: the libraries' gradients differ")
            for _ in range(repeat):  # alternately, one call each; the fastest counts
                for lib in libs:
                    gc.collect()  # (the other library's garbage is not this call's to collect)
                    start = time.perf_counter()
                    grads[lib.name][name](x)
                    seconds = time.perf_counter() - start
                    key = (name, lib.name, n)
                    times[key] = min(times.get(key, seconds), seconds)
    return times


def table(libs: list[Lib], sizes: list[int], times: dict[tuple[str, str, int], float]) -> str:
    names = [lib.name for lib in libs]
    head = ["pattern"] + [f"{lib}, N = {n}" for lib in names for n in sizes] + [f"{lib} growth" for lib in names]
    if len(names) > 1:
        head.append(f"{names[0]} / {names[1]} at N = {sizes[-1]}")
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for name in patterns(onp):
        row = [name]
        row += [f"{times[(name, lib, n)] * 1e3:.1f} ms" for lib in names for n in sizes]
        row += [f"{times[(name, lib, sizes[-1])] / times[(name, lib, sizes[0])]:.1f}×" for lib in names]
        if len(names) > 1:
            row.append(f"{times[(name, names[0], sizes[-1])] / times[(name, names[1], sizes[-1])]:.3f}×")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(f"growth: the time at N = {sizes[-1]} over the time at N = {sizes[0]} ({sizes[-1] / sizes[0]:g}× the pieces)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,4000", help="comma-separated N (default 1000,2000,4000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per library and N; the fastest counts")
    parser.add_argument("--no-autograd", action="store_true", help="plugrad alone")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    libs = [plugrad_lib()]
    if not args.no_autograd:
        try:
            libs.append(autograd_lib())
        except ImportError:
            print("autograd is not installed (pip install -e '.[bench]'): plugrad alone", file=sys.stderr)
    print(table(libs, sizes, measure(libs, sizes, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
