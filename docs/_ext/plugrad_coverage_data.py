"""The data behind the coverage page, and its reStructuredText: no Sphinx needed.

:func:`collect` reads a :class:`~plugrad.registry.Registry` (every pack, every function
with its rules per argument); :func:`gradcheck` runs plugrad's gradient checker and
counts the outcomes per primitive; :func:`render` turns both into reST. Run as a script,
``python plugrad_coverage_data.py ORDER OUT.json``, it writes :func:`gradcheck`'s result
to ``OUT.json``: the Sphinx extension starts it in a subprocess when the build begins,
so the check runs on a second core while Sphinx reads the other pages.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import platform
import sys
import time
import warnings
from typing import Any

import numpy
import scipy

import plugrad
from plugrad.cli_packs import coverage
from plugrad.primitive import Composite, NonDifferentiable, Primitive
from plugrad.registry import PackWarning, Registry

__all__ = ["Row", "collect", "gradcheck", "render", "escape", "literal"]


@dataclasses.dataclass
class Row:
    """One function of one namespace, as the coverage table shows it."""

    name: str
    pack: str
    kind: str  # primitive | non-differentiable | composite
    arguments: list[tuple[str, str]]  # (argument, "VJP, JVP" / "VJP" / "JVP" / "none")
    samples: int

    @property
    def namespace(self) -> str:
        return self.name.rpartition(".")[0]


def _param_names(fun: Any) -> list[str]:
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in params if p.kind in kinds]


def _rules(vjp: bool, jvp: bool) -> str:
    return ", ".join(k for k, has in (("VJP", vjp), ("JVP", jvp)) if has) or "none"


def _arguments(prim: Primitive) -> list[tuple[str, str]]:
    cov = coverage(prim)
    if cov["vjp_all"] or cov["jvp_all"]:  # one rule for every argument (variadic primitives)
        return [("every argument", _rules(cov["vjp_all"], cov["jvp_all"]))]
    names = _param_names(prim.fun)
    return [
        (names[a["argnum"]] if a["argnum"] < len(names) else f"arg {a['argnum']}", _rules(a["vjp"], a["jvp"]))
        for a in cov["args"]
    ]


def _samples(prim: Primitive) -> int:
    try:
        return len(prim.samples())
    except Exception:  # noqa: BLE001 - a broken lazy sample list shows as 0; the checker reports it
        return 0


def collect(registry: Registry) -> dict[str, Any]:
    """Packs and functions of ``registry``, every namespace loaded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PackWarning)  # the page lists every fault itself
        entries = registry.entries()
        registry.install_types()
    rows = []
    for name, entry in sorted(entries.items()):
        if isinstance(entry, Primitive):
            rows.append(Row(name, entry.pack or "", "primitive", _arguments(entry), _samples(entry)))
        elif isinstance(entry, NonDifferentiable):
            rows.append(Row(name, entry.pack or "", "non-differentiable", [], 0))
        elif isinstance(entry, Composite):
            rows.append(Row(name, entry.pack or "", "composite", [], 0))
    return {
        "packs": list(registry.packs.values()),
        "rows": rows,
        "conflicts": registry.conflicts(),
        "overrides": registry.overrides(),
        "extensions": registry.extensions(),
    }


def gradcheck(order: int) -> dict[str, Any]:
    """Run the gradient checker over every installed pack, as ``nox -s gradcheck`` does
    (``order`` 1: first-order checks only); outcomes counted per primitive and per pack."""
    from plugrad.gradcheck import plan, run

    start = time.perf_counter()
    report = run(plan(order=order))
    per: dict[str, dict[str, Any]] = {}
    for outcome in report.outcomes:
        case = outcome.case
        key = case.primitive or f"pack:{case.pack}"
        counts = per.setdefault(key, {"passed": 0, "failed": 0, "xfailed": 0, "failing": []})
        if outcome.failed:
            counts["failed"] += 1
            if len(counts["failing"]) < 3:
                counts["failing"].append(case.id if case.primitive else outcome.message)
        elif outcome.status == "xfailed":
            counts["xfailed"] += 1
        else:
            counts["passed"] += 1
    return {
        "order": order,
        "seconds": round(time.perf_counter() - start, 1),
        "summary": report.summary_line(),
        "packs": report.rows(),
        "primitives": per,
    }


# -- reStructuredText --------------------------------------------------------------------

_SPECIAL = "\\`*_|[]<>:"


def escape(text: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in str(text)).replace("\n", " ")


def literal(text: str) -> str:
    text = str(text).replace("\n", " ")
    return f"``{text}``" if "``" not in text and text.strip() == text and text else escape(text)


def _table(header: list[str], rows: list[list[str]], widths: list[int] | None = None) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1"]
    if widths:
        lines.append(f"   :widths: {' '.join(map(str, widths))}")
    lines.append("")
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            lines.append(f"   {'*' if i == 0 else ' '} - {cell or ' '}")
    lines.append("")
    return lines


def _check_cell(result: dict[str, Any] | None, ran: bool) -> str:
    if not ran:
        return "not run"
    if result is None:
        return "no checks"
    text = f"{result['passed']} passed"
    if result["xfailed"]:
        text += f", {result['xfailed']} expected failures"
    if result["failed"]:
        failing = ", ".join(literal(c) for c in result["failing"])
        text = f"**{result['failed']} FAILED** ({failing}), {text}"
    return text


def render(data: dict[str, Any], checks: dict[str, Any] | None, note: str = "") -> list[str]:
    """The body of the coverage page: summary, packs, then one table per namespace."""
    rows: list[Row] = data["rows"]
    per = (checks or {}).get("primitives", {})
    ran = checks is not None
    prims = [r for r in rows if r.kind == "primitive"]
    full = [
        r
        for r in prims
        if any(rules == "VJP, JVP" for _, rules in r.arguments)
        and all(rules in ("VJP, JVP", "none") for _, rules in r.arguments)
    ]
    lines = [
        f"Generated while this site was built, with plugrad {plugrad.__version__}, NumPy {numpy.__version__}, "
        f"SciPy {scipy.__version__} and Python {platform.python_version()}: "
        f"**{len(rows)} functions** in {len({r.namespace for r in rows})} namespaces, of which "
        f"**{len(prims)} primitives** ({len(full)} with a VJP and a JVP for every differentiable argument), "
        f"{sum(r.kind == 'non-differentiable' for r in rows)} non-differentiable functions and "
        f"{sum(r.kind == 'composite' for r in rows)} composites.",
        "",
    ]
    if ran:
        lines += [
            f"Gradient check (``python -m plugrad gradcheck --order {checks['order']}``): "
            f"**{escape(checks['summary'])}** in {checks['seconds']} s.",
            "",
        ]
    elif note:
        lines += [note, ""]

    lines += ["Packs", "-----", ""]
    pack_checks = {r["pack"]: r for r in (checks or {}).get("packs", [])}
    table = []
    for info in data["packs"]:
        r = pack_checks.get(info.name)
        checked = "not run" if not ran else ("—" if r is None else f"{r['passed']} passed, {r['failed']} failed")
        if r and r.get("xfailed"):
            checked += f", {r['xfailed']} expected failures"
        n = sum(1 for row in rows if row.pack == info.name)
        dist = f"{escape(info.distribution)} {escape(info.version or '')}".strip() if info.distribution else "in code"
        table.append(
            [literal(info.name), dist, escape(info.status), ", ".join(literal(ns) for ns in info.namespaces) or "—", str(n), checked]
        )
    lines += _table(["pack", "distribution", "status", "namespaces", "functions", "gradient checks"], table)
    troubled = [p for p in data["packs"] if p.status != "loaded" or p.problems]
    if troubled:
        lines += ["Packs that did not load, or loaded only in part:", ""]
        for p in troubled:
            why = p.error or "; ".join(p.problems)
            lines += [f"* {literal(p.name)} ({escape(p.status)}): {escape(why)}", ""]
    for title, items in (
        ("Conflicts (unavailable until one pack overrides)", [f"{literal(n)}: {', '.join(map(literal, ps))}" for n, ps in data["conflicts"].items()]),
        ("Overrides", [f"{literal(n)}: {literal(w)} over {', '.join(map(literal, ls))}" for n, (w, ls) in data["overrides"].items()]),
        ("Rules added to another pack's primitive", [f"{literal(x.target)} {x.kind} {x.argnum}, by {literal(x.pack)}" for x in data["extensions"]]),
    ):
        lines += [f"{title}: {'none.' if not items else ''}", ""]
        lines += [f"* {item}" for item in items] + ([""] if items else [])

    for ns in sorted({r.namespace for r in rows}):
        title = f"``plugrad.{ns}``"
        lines += [title, "-" * len(title), ""]
        mine = [r for r in rows if r.namespace == ns]
        table = []
        for r in mine:
            if r.kind == "primitive":
                args = "; ".join(f"{literal(a)}: {rules}" for a, rules in r.arguments) or "none declared"
                check = _check_cell(per.get(r.name), ran)
            else:
                args = "— (no derivative)" if r.kind == "non-differentiable" else "— (differentiated through)"
                check = "—"
            short = r.name.rpartition(".")[2]
            kind = r.kind + (", internal" if short.startswith("_") else "")
            table.append([literal(short), literal(r.pack), kind, args, str(r.samples) if r.kind == "primitive" else "—", check])
        lines += _table(["function", "pack", "kind", "rules per argument", "samples", "gradient checks"], table, [18, 9, 12, 30, 7, 24])
    return lines


def main(argv: list[str]) -> int:
    order, out = int(argv[0]), argv[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pack faults are counted as failed "load" checks
        result = gradcheck(order)
    tmp = f"{out}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
