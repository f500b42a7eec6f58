"""Timing and checking, shared by every in-process workload.

Each workload hands :meth:`Bench.time` a dict of contenders (label -> a
function of no arguments). The harness calls each once to warm it up and keep
its answer, picks how many calls make one sample, then takes ``reps`` samples of
every contender, rotating the order each round and reversing it in every other
full rotation, so no library always runs first or always right after the same other one. The reported figure is the median sample.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Bench", "Row", "Timing", "same"]


@dataclasses.dataclass
class Timing:
    """Seconds per call: the median sample, and every sample for the JSON."""

    median: float
    samples: list[float]
    calls_per_sample: int

    @property
    def spread(self) -> float:
        """Interquartile range over median: how noisy the samples were (the full range
        over median with fewer than 4 samples, as in a ``--quick`` run)."""
        if len(self.samples) < 4:
            return (max(self.samples) - min(self.samples)) / self.median
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median


@dataclasses.dataclass
class Row:
    """One line of the table: a metric of one workload, with a value per column."""

    workload: str
    metric: str
    unit: str  # "s" (formatted as µs/ms/s), "us", "ms", "MiB", "x" (a ratio)
    values: dict[str, float | None]
    note: str = ""
    # The ratio plugrad/autograd, when both have a value (lower is better for plugrad).
    ratio: float | None = None
    spreads: dict[str, float] = dataclasses.field(default_factory=dict)
    compare: bool = True  # False where the ratio means nothing (a denominator near zero)

    def __post_init__(self) -> None:
        if self.ratio is None:
            self.ratio = self.versus("autograd")

    def versus(self, column: str) -> float | None:
        """plugrad's value over ``column``'s, where both have one and the ratio means something."""
        p, other = self.values.get("plugrad"), self.values.get(column)
        return p / other if self.compare and p is not None and other else None


def same(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """``np.allclose`` through lists, tuples and dicts; shapes must agree too."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, rtol, atol) for x, y in zip(a, b))
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


class Bench:
    """Runs contenders interleaved and repeated; collects rows and failures."""

    def __init__(self, *, reps: int, sample_s: float, log: Callable[[str], None] = print) -> None:
        self.reps = reps
        self.sample_s = sample_s  # aim for samples at least this long
        self.rows: list[Row] = []
        self.failures: list[str] = []
        self.log = log

    def time(self, contenders: dict[str, Callable[[], Any]]) -> tuple[dict[str, Timing], dict[str, Any]]:
        """Median seconds per call of each contender, and the answer each gave."""
        answers: dict[str, Any] = {}
        calls: dict[str, int] = {}
        for label, fun in contenders.items():
            answers[label] = fun()  # warm-up; also the answer the checks compare
            gc.collect()
            start = time.perf_counter()
            fun()
            once = max(time.perf_counter() - start, 1e-7)
            calls[label] = max(1, math.ceil(self.sample_s / once))
        samples: dict[str, list[float]] = {label: [] for label in contenders}
        labels = list(contenders)
        for rep in range(self.reps):
            shift = rep % len(labels)
            order = labels[shift:] + labels[:shift]
            if (rep // len(labels)) % 2:  # every other full rotation reversed: each follows different ones
                order.reverse()  # (reversing every other round would undo the rotation of two labels)
            for label in order:
                fun, n = contenders[label], calls[label]
                gc.collect()
                start = time.perf_counter()
                for _ in range(n):
                    fun()
                samples[label].append((time.perf_counter() - start) / n)
        timings = {label: Timing(statistics.median(s), s, calls[label]) for label, s in samples.items()}
        return timings, answers

    def check(self, workload: str, answers: dict[str, Any], reference: str, **tol: float) -> None:
        """Every answer must match ``answers[reference]``; a mismatch fails the run."""
        ref = answers[reference]
        for label, value in answers.items():
            if label != reference and not same(value, ref, **tol):
                self.fail(f"{workload}: {label} disagrees with {reference} (np.allclose failed)")

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.log(f"  FAILED: {message}")

    def add(self, row: Row) -> None:
        self.rows.append(row)
