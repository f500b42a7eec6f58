"""Checking whole packs: choose the cases, run them, count and report the outcomes.

:func:`load_registry` loads every installed pack the way the default registry does,
but treats every pack fault (an import that fails, a rejected function, two packs
claiming one name) as a failed check rather than a warning. :func:`plan` lists the
cases for the packs and primitives asked for; :func:`run` runs them in one process
and returns a :class:`Report`::

    report = run(plan(packs=["numpy"], primitives=["numpy.sin*"]))
    print(report.table()); print(report.summary_line())   # "312 passed, 0 failed"
"""

from __future__ import annotations

import dataclasses
import fnmatch
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from plugrad.errors import PackError
from plugrad.gradcheck.checks import CheckFailure, NotRun
from plugrad.gradcheck.primitive_checks import Case, cases, xpass_message
from plugrad.primitive import Primitive
from plugrad.registry import PackWarning, Registry

__all__ = ["Outcome", "Plan", "Report", "load_registry", "pack_faults", "plan", "run", "run_case"]

ANY_PACK = "*"  # where faults that name no pack are filed


# -- loading ---------------------------------------------------------------------------


def load_registry(
    registry: Registry | None = None, packs: Iterable[str] | None = None
) -> tuple[Registry | None, dict[str, list[str]]]:
    """``registry`` (default: every installed pack, as ``PLUGRAD_*`` choose) with the
    namespaces of ``packs`` (default: all) and every type loaded, and its faults by pack.
    Strict in effect: each fault fails the run, but all are collected first, so that one
    broken pack hides no other's results."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PackWarning)
        try:
            if registry is None:
                # Not strict even under PLUGRAD_STRICT_PACKS: every fault is collected here and
                # fails the run, so one broken pack hides no other's results.
                registry = Registry.from_environment(strict=False)
            _primitives(registry, packs)
            registry.verify_types()  # (the packs' types, those named as 'module:Class' loaded too)
        except PackError as exc:  # a strict registry: the first fault stops loading
            return registry, {ANY_PACK: [str(exc)]}
    return registry, pack_faults(registry, [w.message for w in caught if isinstance(w.message, PackWarning)])


def _primitives(registry: Registry, packs: Iterable[str] | None) -> list[Primitive]:
    """The primitives of the namespaces ``packs`` declare (of every namespace by default),
    loading those namespaces only: checking one pack should not import every other."""
    if packs is None:
        return registry.primitives()
    found: dict[str, Primitive] = {}
    for name in sorted({ns for p in packs if p in registry.packs for ns in registry.packs[p].namespaces}):
        for entry in registry.namespace(name).values():
            if isinstance(entry, Primitive):
                found[entry.name] = entry
    return [found[n] for n in sorted(found)]


def pack_faults(registry: Registry, warned: Sequence[PackWarning] = ()) -> dict[str, list[str]]:
    """Faults by pack: a failed load, rejected functions, names in conflict, and any pack
    warning in ``warned`` not already among them, filed under the pack at fault (a warning
    that names none, such as a conflict, under each pack it mentions)."""
    messages = [str(w) for w in warned]
    faults: dict[str, list[str]] = {}
    for name, info in registry.packs.items():
        found = faults.setdefault(name, [])
        if info.status == "failed":
            found.append(f"not loaded: {info.error}")
        found.extend(getattr(info, "problems", []))
    for name, packs in registry.conflicts().items():
        if any(name in message for message in messages):
            continue  # the warning says it, in the registry's words
        for pack in packs:
            others = ", ".join(repr(p) for p in packs if p != pack)
            faults.setdefault(pack, []).append(
                f"{name} is also registered by {others} and no single one declares override=True"
            )
    for warning, message in zip(warned, messages):
        if warning.pack in registry.packs:  # the pack's own fault, whatever else its text names
            named = [warning.pack]
        else:
            named = [p for p in registry.packs if repr(p) in message] or [ANY_PACK]
        for pack in named:
            found = faults.setdefault(pack, [])
            if not any(known.removeprefix("not loaded: ") in message for known in found):
                found.append(message)
    return {pack: found for pack, found in faults.items() if found or pack in registry.packs}


# -- choosing the cases --------------------------------------------------------------


@dataclasses.dataclass
class Plan:
    """The cases to run, and per pack the primitives and samples they come from."""

    cases: list[Case]
    primitives: dict[str, list[Primitive]]  # pack -> primitives checked
    samples: dict[str, int]  # pack -> number of samples of those primitives
    status: dict[str, str]  # pack -> loaded | failed | blocked | missing
    seed: int = 0


def _extends(info: Any) -> set[str]:
    """Primitives a pack added rules to (``"numpy.foo"`` or ``"numpy.foo JVP 0"`` entries)."""
    return {str(e).split(" ")[0] for e in getattr(info, "extends", [])}


def plan(
    registry: Registry | None = None,
    *,
    packs: Iterable[str] | None = None,
    primitives: Iterable[str] | None = None,
    seed: int = 0,
    order: int = 2,
    full_jacobian: bool = False,
    faults: dict[str, list[str]] | None = None,
) -> Plan:
    """The cases for ``packs`` (default: all) and primitives matching any of the glob
    patterns ``primitives`` (default: all). A pack's cases include the primitives it added
    rules to. Each pack gets a ``load`` case; a pack asked for but not installed fails it.

    :raises ValueError: a pattern in ``primitives`` matches no primitive of those packs.
    """
    wanted = list(packs) if packs is not None else None
    registry, found = load_registry(registry, wanted)
    faults = {**found, **(faults or {})}
    patterns = list(primitives) if primitives is not None else None
    chosen = wanted if wanted is not None else [n for n in (registry.packs if registry else {}) if n != ANY_PACK]
    status = {n: (registry.packs[n].status if registry and n in registry.packs else "missing") for n in chosen}

    def load_case(pack: str) -> list[Case]:
        problems = list(faults.get(pack, []))
        if status.get(pack) == "missing":
            installed = ", ".join(sorted(registry.packs)) if registry else "none (the registry failed to load)"
            problems.append(f"no installed pack is named {pack!r}; installed: {installed}")
        if status.get(pack) == "blocked":
            if wanted is None:
                return []  # a full run checks the packs the environment loads
            assert registry is not None
            problems.append(f"asked for, but not loaded: {registry.packs[pack].error}")
        return [Case("load", pack, problems=tuple(problems))]

    by_pack: dict[str, list[Primitive]] = {n: [] for n in chosen}
    if registry is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PackWarning)  # reported as faults by load_registry
            everything = _primitives(registry, wanted)
        extended = {n: _extends(registry.packs[n]) for n in chosen if n in registry.packs}
        for prim in everything:
            if patterns is not None and not any(fnmatch.fnmatchcase(prim.name, p) for p in patterns):
                continue
            for name in chosen:
                if prim.pack == name or prim.name in extended.get(name, ()):
                    by_pack[name].append(prim)
                    break
    if patterns is not None and all(s == "loaded" for s in status.values()):
        matched = [p.name for prims in by_pack.values() for p in prims]
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in matched)]
        if unmatched:
            # a name another pack overrides is that pack's to check now: say which
            taken = registry.overrides() if registry is not None else {}
            notes = [
                f"{name} is overridden by pack {winner!r} (check it with --pack {winner})"
                for name, (winner, losers) in taken.items()
                if any(fnmatch.fnmatchcase(name, p) for p in unmatched) and set(losers) & set(chosen)
            ]
            raise ValueError(
                f"no primitive matches {', '.join(map(repr, unmatched))} in pack(s) {', '.join(chosen)}"
                + (f": {'; '.join(notes)}" if notes else "")
            )

    out = load_case(ANY_PACK) if faults.get(ANY_PACK) else []
    samples: dict[str, int] = {}
    for name, prims in by_pack.items():
        out.extend(load_case(name))
        samples[name] = 0
        for prim in prims:
            prim_cases = cases(prim, seed=seed, order=order, full_jacobian=full_jacobian)
            samples[name] += len({c.sample for c in prim_cases if c.sample is not None})
            out.extend(prim_cases)
    return Plan(out, by_pack, samples, status, seed)


# -- running ------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What one case did: ``passed``, ``failed``, ``xfailed`` (failed as expected) or
    ``xpassed`` (marked as an expected failure but passed: a failure of the run)."""

    case: Case
    status: str
    message: str = ""
    seconds: float = 0.0
    cause: str = ""  # for a check that did not run: the fault, reported on its own, that stopped it

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "xpassed")

    def to_dict(self) -> dict[str, Any]:
        c = self.case
        return {
            "id": c.id,
            "pack": c.pack,
            "primitive": c.primitive,
            "check": c.check,
            "sample": c.sample,
            "dtype": c.dtype,
            "argnum": c.argnum,
            "seed": c.point.seed if c.point is not None else None,
            "status": self.status,
            "message": self.message,
            "cause": self.cause,
        }


def run_case(case: Case) -> Outcome:
    """Run one case, honouring its xfail entry."""
    reason = case.xfail_reason()
    start = time.perf_counter()
    cause = ""
    try:
        case.run()
    except NotRun as exc:  # (a failure, whatever the xfail entry: the check did not run)
        status, message, cause = "failed", str(exc), exc.cause
    except CheckFailure as exc:
        status, message = ("xfailed", f"expected failure: {reason}\n{exc}") if reason else ("failed", str(exc))
    else:
        status, message = ("xpassed", xpass_message(case, reason)) if reason else ("passed", "")
    return Outcome(case, status, message, time.perf_counter() - start, cause)


@dataclasses.dataclass
class Report:
    """The outcomes of a run, with counts per pack and per primitive."""

    plan: Plan
    outcomes: list[Outcome]
    seconds: float
    stopped_early: bool = False

    def count(self, status: str, pack: str | None = None) -> int:
        return sum(1 for o in self.outcomes if o.status == status and (pack is None or o.case.pack == pack))

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.failed)

    @property
    def xfailed(self) -> int:
        return self.count("xfailed")

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.stopped_early

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]

    def summary_line(self) -> str:
        """``N passed, M failed``: the last line the command prints."""
        return f"{self.passed} passed, {self.failed} failed"

    def rows(self) -> list[dict[str, Any]]:
        """One row per pack: status, primitives, samples, checks by outcome, seconds."""
        unplanned = {o.case.pack for o in self.outcomes if o.case.pack not in self.plan.status}
        packs = list(self.plan.status) + sorted(unplanned, key=str)
        rows = []
        for pack in packs:
            mine = [o for o in self.outcomes if o.case.pack == pack]
            rows.append(
                {
                    "pack": pack,
                    "status": self.plan.status.get(pack or "", "loaded" if pack != "*" else "failed"),
                    "primitives": len(self.plan.primitives.get(pack or "", [])),
                    "samples": self.plan.samples.get(pack or "", 0),
                    "checks": len(mine),
                    "passed": sum(o.status == "passed" for o in mine),
                    "failed": sum(o.failed for o in mine),
                    "xfailed": sum(o.status == "xfailed" for o in mine),
                    "seconds": round(sum(o.seconds for o in mine), 3),
                }
            )
        return rows

    def table(self) -> str:
        """The per-pack table, aligned for a terminal."""
        head = ("pack", "status", "primitives", "samples", "checks", "passed", "failed", "xfail", "seconds")
        keys = ("pack", "status", "primitives", "samples", "checks", "passed", "failed", "xfailed", "seconds")
        body = [[str(r[k]) if k != "seconds" else f"{r[k]:.1f}" for k in keys] for r in self.rows()]
        totals = [
            "total",
            "",
            *(str(sum(int(row[i]) for row in body)) for i in range(2, 8)),
            f"{sum(float(row[8]) for row in body):.1f}",
        ]
        grid = [list(head), *body, totals]
        widths = [max(len(row[i]) for row in grid) for i in range(len(head))]
        lines = [
            "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
            for row in grid
        ]
        rule = "-" * len(lines[0])
        return "\n".join([lines[0], rule, *lines[1:-1], rule, lines[-1]])

    def slowest(self, n: int) -> list[tuple[float, str]]:
        """The ``n`` primitives that took longest, as ``(seconds, name)``."""
        per: dict[str, float] = {}
        for o in self.outcomes:
            key = o.case.primitive or f"pack:{o.case.pack}"
            per[key] = per.get(key, 0.0) + o.seconds
        return sorted(((s, k) for k, s in per.items()), reverse=True)[:n]

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable report (``--json``)."""
        return {
            "summary": {"passed": self.passed, "failed": self.failed, "xfailed": self.xfailed, "seconds": round(self.seconds, 3)},
            "seed": self.plan.seed,
            "stopped_early": self.stopped_early,
            "packs": self.rows(),
            "failures": [o.to_dict() for o in self.failures()],
            "xfailed": [o.to_dict() for o in self.outcomes if o.status == "xfailed"],
        }


def run(
    the_plan: Plan,
    *,
    fail_fast: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Report:
    """Run every case of ``the_plan`` in order (stopping at the first failure with
    ``fail_fast``), calling ``on_outcome`` after each."""
    start = time.perf_counter()
    outcomes: list[Outcome] = []
    stopped = False
    previous = None
    for case in the_plan.cases:
        if previous is not None and previous is not case.point:
            previous.forget()  # a point's cases are consecutive: its probes are done with
        previous = case.point
        outcome = run_case(case)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        if fail_fast and outcome.failed:
            stopped = len(outcomes) < len(the_plan.cases)
            break
    return Report(the_plan, outcomes, time.perf_counter() - start, stopped)
