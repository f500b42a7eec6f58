"""Where plugrad's time goes on workloads 1-6, by part of the machinery.

    python benchmarks/profile_plugrad.py [WORKLOAD ...] [--top N]

Runs plugrad's gradient of each workload under cProfile and sorts every
function's own time into a few categories (dispatch, node creation, rule lookup,
rule bodies, unbroadcast, accumulation, vspace, containers, NumPy). Cheap
built-ins (``isinstance``, ``len``, ``getattr``...) are charged to whoever
called them; NumPy's and ``operator``'s kernels count as numeric work. cProfile
cannot see a ufunc being called, so each primitive whose implementation is not
a Python function is wrapped in one (:func:`kernel`) for the profile; NumPy
arithmetic written inline in a rule (``g * y``) stays in that rule's time.

cProfile adds a fixed cost to every Python call, so small functions look
bigger than they are: read the shares as a ranking, and the "µs per primitive
call" column as the profile's shares scaled to the unprofiled time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import types
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import libs
import workloads

Key = tuple[str, int, str]  # pstats' (file, line, function)

# (category, file suffix, function names or None for any), first match wins.
RULES: list[tuple[str, str, set[str] | None]] = [
    ("NumPy (numeric work and its Python layer)", "benchmarks/profile_plugrad.py", {"kernel"}),
    ("node creation: the general path, Metas", "plugrad/primitive.py", {"record", "_meta", "_make_meta"}),
    ("node creation: the general path, Metas", "plugrad/box.py", {"box_type", "new"}),
    ("rule lookup", "plugrad/primitive.py", {"vjp_rule", "jvp_rule", "_vjp_by_lookup"}),
    ("cotangent accumulation", "plugrad/primitive.py", {"add_any"}),
    ("forward mode", "plugrad/primitive.py", {"forward"}),
    # the fast paths (the `apply` closures: unbox, compute, box, append a node), __call__, bind
    ("recording: unboxing, boxing, tape", "plugrad/primitive.py", None),
    ("backward loop (rule lookup, accumulation)", "plugrad/reverse.py", {"backward", "sweep", "vjp", "_accumulate", "_add", "_take_back", "_with_parts"}),
    ("API wrappers, trace setup", "plugrad/reverse.py", None),
    ("API wrappers, trace setup", "plugrad/api.py", None),
    ("API wrappers, trace setup", "plugrad/registry.py", None),
    ("API wrappers, trace setup", "plugrad/forward.py", None),
    ("vspace dispatch", "plugrad/vspace.py", None),
    ("containers: take/untake", "plugrad/builtins.py", None),
    ("unbroadcast, shape and dtype checks", "plugrad_numpy/_util.py", None),
    ("ArrayBox operators, __array_ufunc__", "plugrad_numpy/box.py", None),
    ("pack code: rule bodies, inline NumPy arithmetic in them", "plugins/plugrad_numpy/", None),
    ("NumPy (numeric work and its Python layer)", "site-packages/numpy/", None),
    ("the workload's own code", "benchmarks/", None),
]
NUMERIC = "NumPy (numeric work and its Python layer)"
COMPREHENSIONS = {"<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>"}


def category(key: Key) -> str | None:
    """The category of one function, or ``None`` for a built-in charged to its callers."""
    file, _, name = key
    if file == "~":
        return NUMERIC if ("numpy" in name or "_operator" in name or "math." in name) else None
    if name in COMPREHENSIONS or (file.endswith("plugrad/box.py") and name in ("getval", "isbox")):
        return None  # part of the function it is written in, or a helper as cheap as a built-in
    for cat, suffix, names in RULES:
        if suffix in file.replace(os.sep, "/") and (names is None or name in names):
            return cat
    return "other"


def expose_kernels(registry: Any) -> None:
    """Route every primitive whose implementation cProfile cannot see (a ufunc, an
    array-function dispatcher) through :func:`kernel`, which it can."""
    for prim in registry.primitives():
        if not isinstance(prim.fun, types.FunctionType):
            prim.fun = kernel(prim.fun)


def kernel(fun: Callable[..., Any]) -> Callable[..., Any]:
    def kernel(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)

    return kernel


def breakdown(stats: pstats.Stats) -> tuple[dict[str, float], int]:
    """Own time by category, and how many nodes were recorded (fast-path ``apply`` and ``record`` calls)."""
    totals: dict[str, float] = defaultdict(float)
    records = 0
    raw: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    for key, (_, ncalls, tottime, _, callers) in raw.items():
        if key[2] in ("record", "apply") and key[0].endswith("primitive.py"):
            records += ncalls  # the general path and the fast paths each record one node
        cat = category(key)
        if cat is not None:
            totals[cat] += tottime
            continue
        # A built-in: split its time over its callers' categories, by the time spent under each.
        spent = sum(edge[2] for edge in callers.values()) or 1.0
        for caller, edge in callers.items():
            totals[category(caller) or "other"] += tottime * edge[2] / spent
    return dict(totals), records


def profile(name: str, run: Callable[[], Any], top: int, explain: int) -> None:
    run()  # warm up: lazy namespace loading is not part of a gradient
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            run()
        wall = time.perf_counter() - start
        if wall > 0.5:
            break
        n *= 2
    per_call = wall / n
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        run()
    prof.disable()
    stats = pstats.Stats(prof)
    totals, records = breakdown(stats)
    profiled = sum(totals.values())
    prims = records / n
    print(
        f"\n## {name}: {per_call * 1e3:.3f} ms per gradient unprofiled "
        f"({profiled / n * 1e3:.3f} ms profiled), {prims:.0f} primitive calls recorded per gradient\n"
    )
    print("| category | share | ms per gradient | µs per primitive call |")
    print("|---|---:|---:|---:|")
    for cat, t in sorted(totals.items(), key=lambda kv: -kv[1]):
        share = t / profiled
        per_prim = share * per_call * 1e6 / prims if prims else float("nan")
        print(f"| {cat} | {share:.1%} | {share * per_call * 1e3:.3f} | {per_prim:.2f} |")
    if explain:
        raw: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
        print("\nThe costliest functions by own time, and where they count:\n")
        for key, entry in sorted(raw.items(), key=lambda kv: -kv[1][2])[:explain]:
            where = category(key) or "charged to its callers"
            print(f"- {key[2]} ({key[0]}:{key[1]}): {entry[2] / n * 1e3:.3f} ms, {where}")
    if top:
        print(f"\nTop {top} functions by own time:\n")
        print("```")
        stats.sort_stats("tottime").print_stats(top)
        print("```")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", help=f"any of {', '.join(workloads.PROFILED)} (default: all)")
    parser.add_argument("--top", type=int, default=0, help="also print the N functions with most own time")
    parser.add_argument("--explain", type=int, default=0, help="also list N functions and their categories")
    args = parser.parse_args(argv)
    unknown = set(args.workloads) - set(workloads.PROFILED)
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(sorted(unknown))}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = libs.plugrad_lib()
        import plugrad

        expose_kernels(plugrad.default_registry())
    for name in args.workloads or workloads.PROFILED:
        profile(name, workloads.PROFILED[name](lib), args.top, args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
