"""The gradient of a logistic regression over Dask arrays on a local dask.distributed cluster.

Two tables, in Markdown, printed and written to ``--out``:

1. **Scaling.** ``value_and_grad`` of ``mean(logaddexp(0, -y * (X @ w))) + lam * sum(w**2)``
   for data of ``chunks x rows`` rows, chunked by rows and kept on the workers, with 1, 2 and 4
   worker processes (one thread each), against the same gradient on NumPy arrays in this process.
2. **Per-chunk overhead.** Tiny chunks (1,000 rows), many of them, on 2 workers: the slope of
   time against the number of chunks is what each chunk costs, split into plugrad's tracing on the
   client and the cluster's computing, beside the same gradient written by hand in Dask.

Each time is the median of ``--repeat`` runs, after one warm-up. BLAS runs one thread in every
process. Usage::

    python benchmarks/dask_scaling.py                 # about 2-3 minutes on 2 cores
    python benchmarks/dask_scaling.py --quick         # a smoke test, under a minute
    python benchmarks/dask_scaling.py --workers 1,2 --chunks 8,32 --rows 100000
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads; the workers inherit it

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import distributed
import numpy as np
import plugrad_dask
from distributed import Client, LocalCluster, wait

import plugrad
from plugrad import value_and_grad

LAM = 1e-3
SEED = 0


def loss(w: Any, X: Any, y: Any) -> Any:
    return np.mean(np.logaddexp(0, -y * (X @ w))) + LAM * np.sum(w**2)


def by_hand(w: Any, X: Any, y: Any) -> tuple[Any, Any]:
    """The same value and gradient, written directly in Dask (or NumPy)."""
    margin = -y * (X @ w)
    s = 1 / (1 + np.exp(-margin))  # d logaddexp(0, m) / dm
    return np.mean(np.logaddexp(0, margin)) + LAM * np.sum(w**2), X.T @ (-y * s) / len(y) + 2 * LAM * w


def dataset(n: int, d: int, rows: int) -> tuple[Any, Any]:
    """Data made block by block on the workers: nothing of it passes through this process."""
    rng = da.random.default_rng(SEED)
    X = rng.standard_normal((n, d), chunks=(rows, d))
    y = da.sign(X @ np.linspace(-1, 1, d) + 0.5 * rng.standard_normal(n, chunks=rows))
    return X, y


def median_time(fun: Callable[[], Any], repeat: int) -> float:
    fun()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fun()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gradient_times(w: np.ndarray, X: Any, y: Any, repeat: int) -> tuple[float, float]:
    """(plugrad's tracing alone, tracing and computing on the cluster), medians."""
    trace = median_time(lambda: value_and_grad(loss)(w, X, y), repeat)
    total = median_time(lambda: dask.compute(*value_and_grad(loss)(w, X, y)), repeat)
    return trace, total


def ensure_pack() -> None:
    registry = plugrad.default_registry()
    if "dask" not in registry.packs:  # until pyproject.toml declares the entry point
        registry.register_pack(plugrad_dask, "dask", distribution="plugrad")


def cluster(workers: int) -> tuple[LocalCluster, Client]:
    c = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    return c, Client(c)


def fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def scaling(args: argparse.Namespace) -> list[str]:
    d, rows = args.d, args.rows
    w = np.full(d, 0.1)
    sizes = args.chunks
    dask_times: dict[tuple[int, int], tuple[float, float]] = {}
    for workers in args.workers:
        c, client = cluster(workers)
        try:
            for chunks in sizes:
                X, y = client.persist(dataset(chunks * rows, d, rows))
                wait([X, y])
                dask_times[workers, chunks] = gradient_times(w, X, y, args.repeat)
                if workers == args.workers[0] and chunks == sizes[0]:
                    check_against_numpy(w, X, y)
                del X, y  # released on the workers
        finally:
            client.close()
            c.close()
        print(f"  {workers} worker(s) done", file=sys.stderr)
    numpy_times, thread_times = {}, {}
    for chunks in sizes:
        n = chunks * rows
        if n * d * 8 > args.numpy_limit:
            continue
        rng = np.random.default_rng(SEED)
        Xn = rng.standard_normal((n, d))
        yn = np.sign(Xn @ np.linspace(-1, 1, d) + 0.5 * rng.standard_normal(n))
        numpy_times[chunks] = median_time(lambda Xn=Xn, yn=yn: value_and_grad(loss)(w, Xn, yn), args.repeat)
        X, y = da.from_array(Xn, chunks=(rows, d)), da.from_array(yn, chunks=rows)
        thread_times[chunks] = median_time(
            lambda X=X, y=y: dask.compute(*value_and_grad(loss)(w, X, y), scheduler="threads"), args.repeat
        )

    base = args.workers[0]
    header = ["chunks x rows", "data", "NumPy, 1 process", "Dask, threads, no cluster"] + [
        f"Dask, {k} worker{'s' if k > 1 else ''}" for k in args.workers
    ]
    header += [f"speed-up {base}->{k}" for k in args.workers[1:]] + ["plugrad tracing"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for chunks in sizes:
        n = chunks * rows
        cells = [f"{chunks} x {rows:,}", f"{n * d * 8 / 2**20:,.0f} MB"]
        cells.append(fmt(numpy_times[chunks]) if chunks in numpy_times else "(too big)")
        cells.append(fmt(thread_times[chunks]) if chunks in thread_times else "(too big)")
        cells += [fmt(dask_times[k, chunks][1]) for k in args.workers]
        cells += [f"{dask_times[base, chunks][1] / dask_times[k, chunks][1]:.2f}x" for k in args.workers[1:]]
        cells.append(fmt(dask_times[base, chunks][0]))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def check_against_numpy(w: np.ndarray, X: Any, y: Any) -> None:
    """The cluster's answer against plugrad on the same data gathered into NumPy."""
    value, grad = dask.compute(*value_and_grad(loss)(w, X, y))
    Xn, yn = dask.compute(X, y)
    expected = value_and_grad(loss)(w, Xn, yn)
    if not (np.allclose(value, expected[0], rtol=1e-10) and np.allclose(grad, expected[1], rtol=1e-10)):
        raise SystemExit("the Dask gradient disagrees with the NumPy gradient")


def overhead(args: argparse.Namespace) -> list[str]:
    rows, d = 1_000, args.d
    w = np.full(d, 0.1)
    counts = args.overhead_chunks
    measured = {}
    c, client = cluster(2)
    try:
        for chunks in counts:
            X, y = client.persist(dataset(chunks * rows, d, rows))
            wait([X, y])
            trace, total = gradient_times(w, X, y, args.repeat)
            hand = median_time(lambda X=X, y=y: dask.compute(*by_hand(w, X, y)), args.repeat)
            measured[chunks] = (trace, total, hand)
            del X, y
    finally:
        client.close()
        c.close()
    lines = [
        "| chunks of 1,000 rows | plugrad tracing | plugrad, traced and computed | hand-written Dask |",
        "|---|---|---|---|",
    ]
    for chunks in counts:
        trace, total, hand = measured[chunks]
        lines.append(f"| {chunks} | {fmt(trace)} | {fmt(total)} | {fmt(hand)} |")
    x = np.array(counts, float)
    slope = {i: np.polyfit(x, [measured[k][i] for k in counts], 1)[0] for i in range(3)}
    lines += [
        "",
        (
            f"Per chunk: **{slope[1] * 1000:.1f} ms** with plugrad (of which {slope[0] * 1000:.2f} ms "
            f"tracing on the client), {slope[2] * 1000:.1f} ms for the hand-written Dask gradient."
        ),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--chunks", default="4,16,48", help="chunk counts (default 4,16,48)")
    parser.add_argument("--rows", type=int, default=50_000, help="rows per chunk (default 50,000)")
    parser.add_argument("--d", type=int, default=20, help="features (default 20)")
    parser.add_argument("--overhead-chunks", default="16,48,128", help="chunk counts of the overhead sweep")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per point (default 3)")
    parser.add_argument("--numpy-limit", type=float, default=2**30, help="largest NumPy dataset, bytes")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--out", default="benchmarks/results/dask_scaling.md", help="Markdown output")
    args = parser.parse_args(argv)
    if args.quick:
        args.chunks, args.rows, args.overhead_chunks, args.repeat = "2,8", 20_000, "8,32", 1
    args.workers = [int(k) for k in args.workers.split(",")]
    args.chunks = [int(k) for k in args.chunks.split(",")]
    args.overhead_chunks = [int(k) for k in args.overhead_chunks.split(",")]
    ensure_pack()

    started = time.perf_counter()
    table = scaling(args)
    per_chunk = overhead(args)

    text = "\n".join(
        [
            "# plugrad over Dask: a logistic regression's gradient on a LocalCluster",
            "",
            (
                f"`value_and_grad(loss)(w, X, y)` computed with `dask.compute`, d = {args.d} features, "
                "data made and kept on the workers (one process and one thread each, BLAS one thread), "
                f"medians of {args.repeat} after a warm-up. NumPy: plugrad on NumPy arrays in this process; "
                "threads: the same data as Dask arrays in this process, Dask's threaded scheduler."
            ),
            "",
            *table,
            "",
            *per_chunk,
            "",
            (
                f"{os.cpu_count()} cores, Python {platform.python_version()}, NumPy {np.__version__}, "
                f"Dask {dask.__version__}, distributed {distributed.__version__}; "
                f"{time.perf_counter() - started:.0f} s in all; load average {os.getloadavg()[0]:.1f} at the end "
                "(the machine is shared). More workers than cores share them."
            ),
        ]
    )
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
