"""``python -m plugrad gradcheck``: check every primitive of every installed pack.

Progress goes to stderr; the failures, a table per pack and, last, a line
``N passed, M failed`` go to stdout (to stderr with ``--json``, which prints the
machine-readable report on stdout). The exit status is 0 when nothing failed, 1
when something did, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from typing import IO

from plugrad.gradcheck.runner import Outcome, Report, plan, run

__all__ = ["main"]

_SHOWN_PER_PRIMITIVE = 3  # failures printed in full for each primitive, without --verbose


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m plugrad gradcheck",
        description="Check the derivatives of every primitive of every installed plugrad pack "
        "against finite differences, each other, and their declared claims.",
    )
    parser.add_argument("--pack", action="append", metavar="NAME", help="only this pack (repeat, or comma-separate)")
    parser.add_argument(
        "--primitive", action="append", metavar="GLOB", help="only primitives matching, e.g. 'numpy.log*' (repeat, or comma-separate)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report on stdout (the table goes to stderr)")
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    parser.add_argument("--seed", type=int, default=0, help="seed of every generated input and direction (default 0)")
    parser.add_argument("--order", type=int, choices=(1, 2), default=2, help="highest derivative order checked (default 2)")
    parser.add_argument("--full-jacobian", action="store_true", help="also compare every Jacobian entry, for small inputs")
    parser.add_argument("--durations", type=int, default=0, metavar="N", help="show the N slowest primitives")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failure in full")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return parser


class Progress:
    """Progress on ``stream``: one character per primitive (``.`` passed, ``F`` failed,
    ``x`` only expected failures), a line per pack; a counter on a terminal."""

    def __init__(self, stream: IO[str], total: int, enabled: bool = True) -> None:
        self.stream = stream
        self.total = total
        self.enabled = enabled
        self.tty = enabled and stream.isatty()
        self.done = self.failed = 0
        self.key: tuple[str | None, str | None] | None = None
        self.mark = "."
        self.column = 0
        self.last_draw = 0.0

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        self.failed += outcome.failed
        if not self.enabled:
            return
        case = outcome.case
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw > 0.1 or self.done == self.total:
                self.last_draw = now
                text = f"\r[{self.done}/{self.total}] {self.failed} failed  {case.primitive or case.pack}"
                self.stream.write(text[:100].ljust(100))
                self.stream.flush()
            return
        key = (case.pack, case.primitive)
        if key != self.key:
            self._flush(new_pack=self.key is None or key[0] != self.key[0], pack=case.pack)
            self.key, self.mark = key, "."
        if outcome.failed:
            self.mark = "F"
        elif outcome.status == "xfailed" and self.mark == ".":
            self.mark = "x"

    def _flush(self, new_pack: bool = False, pack: str | None = None) -> None:
        if self.key is not None:
            self.stream.write(self.mark)
            self.column += 1
        if new_pack and pack is not None:
            self.stream.write(("\n" if self.key is not None else "") + f"{pack} ")
            self.column = len(pack) + 1
        elif self.column >= 79:
            self.stream.write("\n  ")
            self.column = 2
        self.stream.flush()

    def finish(self) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
        else:
            self._flush()
            self.stream.write("\n")
        self.stream.flush()


def print_failures(report: Report, out: IO[str], verbose: bool) -> None:
    """Each failure in full (at most a few per primitive unless ``verbose``); the checks one
    fault stopped from running (a box class a pack named that does not load), once per fault."""
    by_primitive: dict[str, list[Outcome]] = {}
    by_cause: dict[str, list[Outcome]] = {}
    for o in report.failures():
        if o.cause and not verbose:
            by_cause.setdefault(o.cause, []).append(o)
        else:
            by_primitive.setdefault(o.case.primitive or f"pack {o.case.pack}", []).append(o)
    for name, failures in by_primitive.items():
        shown = failures if verbose else failures[:_SHOWN_PER_PRIMITIVE]
        for o in shown:
            print(f"FAILED {o.case.id}" + (" (unexpectedly passed)" if o.status == "xpassed" else ""), file=out)
            print(o.message, file=out)
            print(file=out)
        rest = failures[len(shown) :]
        if rest:
            ids = ", ".join(o.case.id.partition("[")[2].rstrip("]") for o in rest[:30])
            more = f", ... ({len(rest) - 30} more)" if len(rest) > 30 else ""
            print(f"... and {len(rest)} more failures of {name} (-v shows them): {ids}{more}\n", file=out)
    for cause, stopped in by_cause.items():
        names = list(dict.fromkeys(o.case.primitive or f"pack {o.case.pack}" for o in stopped))
        more = f", ... ({len(names) - 30} more)" if len(names) > 30 else ""
        print(f"FAILED {len(stopped)} checks of {len(names)} primitive(s), not run: {cause}", file=out)
        print(f"  primitives (-v lists each check): {', '.join(names[:30])}{more}\n", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, or a usage error
        return int(exc.code or 0)
    if args.seed < 0:
        parser.print_usage(sys.stderr)
        print("python -m plugrad gradcheck: --seed must be 0 or more", file=sys.stderr)
        return 2
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Pack faults become failed checks; numerical warnings of the samples are noise here.
        warnings.simplefilter("ignore")
        try:
            the_plan = plan(
                packs=_split(args.pack),
                primitives=_split(args.primitive),
                seed=args.seed,
                order=args.order,
                full_jacobian=args.full_jacobian,
            )
        except ValueError as exc:
            print(f"python -m plugrad gradcheck: {exc}", file=sys.stderr)
            return 2
        progress = Progress(sys.stderr, len(the_plan.cases), enabled=not args.quiet)
        report = run(the_plan, fail_fast=args.exitfirst, on_outcome=progress)
        progress.finish()
    human = sys.stderr if args.json else sys.stdout
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
        sys.stdout.flush()
    print_failures(report, human, args.verbose)
    if args.durations:
        print(f"slowest {args.durations} primitives:", file=human)
        for seconds, name in report.slowest(args.durations):
            print(f"  {seconds:7.2f}s  {name}", file=human)
    print(report.table(), file=human)
    stopped = " (stopped at the first failure: -x)" if report.stopped_early else ""
    print(f"seed {args.seed}; {time.perf_counter() - start:.1f}s in all{stopped}", file=human)
    print(report.summary_line(), file=human)
    return 0 if report.ok else 1
