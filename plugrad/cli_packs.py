"""``python -m plugrad packs [--json]``: every pack, its status, and what it contributes.

For each pack: name, distribution and version, status (loaded, failed and why,
blocked and why), namespaces, the functions it registers with VJP and JVP
coverage per argument, the names it overrides or lost, the rules it adds to
other packs' primitives, and the value types it registers. :func:`report` gives
the same as plain data (what ``--json`` prints).

The number of arguments of a primitive is read from what it declares: its rule
tables (``len(prim.vjps)``, ``len(prim.jvps)``) and the arguments its samples
differentiate. A ``def_vjp_argnum`` / ``def_jvp_argnum`` rule covers every argument.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from plugrad.errors import PackError
from plugrad.primitive import Composite, NonDifferentiable, Primitive
from plugrad.registry import PackInfo, PackWarning, Registry, default_registry

__all__ = ["main", "report", "coverage", "render"]


def coverage(prim: Primitive) -> dict[str, Any]:
    """Which arguments of ``prim`` have a VJP and a JVP: those its rule tables name, and
    every positional argument its samples pass (a constant one, ``huber(x, delta)`` with
    ``def_vjp(rule, None)``, has none)."""
    try:
        samples = prim.samples()
    except Exception:  # noqa: BLE001 - a broken lazy sample must not break the listing
        samples = []
    nargs = max(len(prim.vjps), len(prim.jvps), max((len(s.args) for s in samples), default=0))
    args = [{"argnum": i, "vjp": prim.has_vjp(i), "jvp": prim.has_jvp(i)} for i in range(nargs)]
    vjp_all, jvp_all = prim.vjp_argnum is not None, prim.jvp_argnum is not None
    ruled = [a for a in args if a["vjp"] or a["jvp"]]
    if ruled:
        both = all(a["vjp"] and a["jvp"] for a in ruled)
    else:
        both = vjp_all and jvp_all
    return {
        "nargs": nargs,
        "vjp_all": vjp_all,
        "jvp_all": jvp_all,
        "args": args,
        "vjp_and_jvp": both,
        "samples": len(samples),
    }


def _kind(entry: Any) -> str:
    if isinstance(entry, Primitive):
        return "primitive"
    if isinstance(entry, NonDifferentiable):
        return "nondifferentiable"
    if isinstance(entry, Composite):
        return "composite"
    return type(entry).__name__


def report(registry: Registry, only: Sequence[str] | None = None) -> dict[str, Any]:
    """Everything ``python -m plugrad packs --json`` prints, for ``registry``: of every
    pack, or of the packs named in ``only`` (the overrides, conflicts and extensions that
    involve them)."""
    unknown = _unknown(registry, only)
    if unknown:
        raise ValueError(unknown)
    registry.load_all()
    registry.verify_types()
    contributed: dict[str, list[dict[str, Any]]] = {name: [] for name in registry.packs}
    choices = registry.choices()
    for name, choice in sorted(choices.items()):
        # Won by override=True, or kept by plugrad's own pack with the others' registrations ignored.
        overriding = choice.winner is not None and name in registry.packs[choice.winner].overrides
        for pack, entry in choice.candidates:
            others = [p for p in choice.packs if p != pack]
            if choice.winner is None:
                status = "conflict"
            elif pack != choice.winner:
                status = "overridden" if overriding else "ignored"
            else:
                status = "overrides" if others and overriding else "active"
            item: dict[str, Any] = {"name": name, "kind": _kind(entry), "status": status, "others": others}
            if choice.winner is not None and pack != choice.winner:
                item["overridden_by"] = choice.winner
            if isinstance(entry, Primitive):
                item.update(coverage(entry))
                item["extended_by"] = [
                    f"{x.pack}: {x.kind} {x.argnum}" for x in registry.extensions() if x.target == name
                ]
            contributed[pack].append(item)
    chosen = set(registry.packs if only is None else only)
    packs = [_pack_report(info, contributed[info.name]) for info in registry.packs.values() if info.name in chosen]
    statuses = [p["status"] for p in packs]
    overrides = {n: (w, losers) for n, (w, losers) in registry.overrides().items() if chosen & {w, *losers}}
    conflicts = {n: ps for n, ps in registry.conflicts().items() if chosen & set(ps)}
    # (rules another pack adds to a function show in the listing of every pack registering it)
    extensions = [x for x in registry.extensions() if x.pack in chosen or (x.target in choices and chosen & set(choices[x.target].packs))]
    primitives = [i for p in packs for i in p["primitives"] if i["status"] in ("active", "overrides")]
    return {
        "strict": registry.strict,
        "packs": packs,
        "overrides": [{"name": name, "pack": winner, "over": losers} for name, (winner, losers) in sorted(overrides.items())],
        "conflicts": [{"name": name, "packs": packs_} for name, packs_ in sorted(conflicts.items())],
        "extensions": [{"pack": x.pack, "target": x.target, "kind": x.kind, "argnum": x.argnum} for x in extensions],
        "summary": {
            "packs": len(packs),
            "loaded": statuses.count("loaded"),
            "with_problems": sum(1 for p in packs if p["status"] == "loaded" and p["problems"]),
            "failed": statuses.count("failed"),
            "blocked": statuses.count("blocked"),
            "functions": len(primitives),
            "primitives": sum(1 for i in primitives if i["kind"] == "primitive"),
            "vjp_and_jvp": sum(1 for i in primitives if i.get("vjp_and_jvp")),
            "overrides": len(overrides),
            "conflicts": len(conflicts),
            "extensions": len(extensions),
        },
    }


def _unknown(registry: Registry, only: Sequence[str] | None) -> str | None:
    """What is wrong with the pack names ``only``, where some is not installed (None: all are)."""
    unknown = [n for n in only or () if n not in registry.packs]
    if not unknown:
        return None
    return f"no installed pack is named {', '.join(map(repr, unknown))}; installed: {', '.join(sorted(registry.packs))}"


def _pack_report(info: PackInfo, items: list[dict[str, Any]]) -> dict[str, Any]:
    prims = [i for i in items if i["kind"] == "primitive"]
    return {
        "name": info.name,
        "distribution": info.distribution,
        "version": info.version,
        "builtin": info.builtin,
        "status": info.status,
        "reason": info.error,
        "problems": list(info.problems),
        "namespaces": list(info.namespaces),
        "primitives": items,
        "overrides": list(info.overrides),
        "extends": list(info.extends),
        "types": [{"kind": t.kind, "type": t.type, "handler": t.handler} for t in info.types],
        "counts": {
            "functions": len(items),
            "primitives": len(prims),
            "vjp_and_jvp": sum(1 for i in prims if i["vjp_and_jvp"]),
            "nondifferentiable": sum(1 for i in items if i["kind"] == "nondifferentiable"),
            "composites": sum(1 for i in items if i["kind"] == "composite"),
        },
    }


def _rules(item: dict[str, Any], mode: str) -> str:
    if item[f"{mode}_all"]:
        return "all"
    return " ".join(str(a["argnum"]) if a[mode] else "-" for a in item["args"]) or "-"


def _note(item: dict[str, Any]) -> str:
    notes = []
    if item["kind"] != "primitive":
        notes.append("non-differentiable" if item["kind"] == "nondifferentiable" else "composite")
    if item["status"] == "overrides":
        notes.append(f"overrides {', '.join(item['others'])}")
    elif item["status"] == "overridden":
        notes.append(f"overridden by {item['overridden_by']}")
    elif item["status"] == "ignored":
        notes.append(f"ignored: plugrad's own pack {item['overridden_by']} keeps it (override=True would replace it)")
    elif item["status"] == "conflict":
        notes.append(f"CONFLICT with {', '.join(item['others'])}: unavailable")
    if item.get("extended_by"):
        notes.append(f"rules added by {'; '.join(item['extended_by'])}")
    return "; ".join(notes)


def render(data: dict[str, Any]) -> list[str]:
    """The human listing: a table per pack, then a summary line."""
    lines: list[str] = []
    for pack in data["packs"]:
        dist = f"distribution {pack['distribution']} {pack['version'] or ''}".rstrip() if pack["distribution"] else "registered in code"
        origin = f"{dist}, built-in" if pack["builtin"] else dist
        status = pack["status"] if not pack["reason"] else f"{pack['status']}: {pack['reason']}"
        lines.append(f"{pack['name']}  ({origin})  {status}")
        if pack["status"] == "loaded" and not any(pack[k] for k in ("namespaces", "types", "primitives", "overrides", "extends")):
            # (the Dask pack without Dask: loaded, and rightly silent, but a bare "loaded" reads as broken)
            lines.append("  registers nothing here (a pack for a library that is not installed registers nothing)")
        if pack["namespaces"]:
            lines.append(f"  namespaces: {', '.join(pack['namespaces'])}")
        for problem in pack["problems"]:
            lines.append(f"  problem: {problem}")
        for name in pack["overrides"]:
            lines.append(f"  overrides: {name}")
        for target in pack["extends"]:
            lines.append(f"  extends: {target}")
        lines.extend(_types_lines(pack["types"]))
        items = pack["primitives"]
        if items:
            rows = [("name", "args", "VJP", "JVP", "samples", "note")]
            for item in items:
                if item["kind"] == "primitive":
                    nargs = "*" if item["nargs"] == 0 else str(item["nargs"])
                    rows.append((item["name"], nargs, _rules(item, "vjp"), _rules(item, "jvp"), str(item["samples"]), _note(item)))
                else:
                    rows.append((item["name"], "", "", "", "", _note(item)))
            widths = [max(len(r[i]) for r in rows) for i in range(5)]
            for row in rows:
                cells = [row[i].ljust(widths[i]) for i in range(5)] + [row[5]]
                lines.append(("  " + "  ".join(cells)).rstrip())
            c = pack["counts"]
            lines.append(
                f"  {_n(c['primitives'], 'primitive')}, {c['vjp_and_jvp']} with VJP and JVP for every "
                f"argument that has a rule; {c['nondifferentiable']} non-differentiable, "
                f"{_n(c['composites'], 'composite')}"
            )
        lines.append("")
    s = data["summary"]
    problems = f" ({s['with_problems']} with problems)" if s["with_problems"] else ""
    lines.append(
        f"{_n(s['packs'], 'pack')}: {s['loaded']} loaded{problems}, {s['failed']} failed, {s['blocked']} blocked; "
        f"{_n(s['functions'], 'function')}, {_n(s['primitives'], 'primitive')} ({s['vjp_and_jvp']} with "
        f"VJP and JVP); {_n(s['overrides'], 'override')}, {_n(s['conflicts'], 'conflict')}, "
        f"{_n(s['extensions'], 'rule extension')}"
    )
    return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _types_lines(types: list[dict[str, str]]) -> list[str]:
    groups: dict[tuple[str, str], list[str]] = {}
    for t in types:
        # (a refusal's handler is its reason, which --json gives: one line for them all)
        groups.setdefault((t["kind"], "" if t["kind"] == "refuse" else t["handler"]), []).append(t["type"])
    lines = []
    for (kind, handler), names in groups.items():
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        if kind == "refuse":
            lines.append(f"  types: refused (derivatives would be wrong): {shown}")
        elif kind == "sequences":
            lines.append(f"  types: {shown} holding traced values read by {handler}")
        else:
            what = "vector space" if kind == "vspace" else "box"
            lines.append(f"  types: {what} {handler} for {shown}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m plugrad packs",
        description="List the installed plugrad packs and the functions they contribute.",
    )
    parser.add_argument("--json", action="store_true", help="print the listing as JSON")
    parser.add_argument(
        "--pack", action="append", metavar="NAME", help="only this pack (repeat, or comma-separate); the exit status is then its own"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    only = None if args.pack is None else [n.strip() for arg in args.pack for n in arg.split(",") if n.strip()]
    if only == []:  # (--pack "$NAME" with NAME unset must not pass, listing nothing)
        print("plugrad packs: --pack names no pack", file=sys.stderr)
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PackWarning)  # the listing reports every fault itself
        try:
            registry = default_registry()
            unknown = _unknown(registry, only)  # (a usage error, unlike any error of the listing)
            if unknown:
                print(f"plugrad packs: {unknown}", file=sys.stderr)
                return 2
            data = report(registry, only)
        except PackError as exc:
            print(f"plugrad packs: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print("\n".join(render(data)))
    # Exit 1 where the installation has a fault, so a script or CI can check it; packs
    # disabled on purpose are no fault.
    summary = data["summary"]
    conflicts = summary["conflicts"]
    faults = {"failed": summary["failed"], "with problems": summary["with_problems"], "conflict" + "s" * (conflicts != 1): conflicts}
    if any(faults.values()):
        said = ", ".join(f"{n} {what}" for what, n in faults.items() if n)
        print(f"plugrad packs: {said} (listed above)", file=sys.stderr)
        return 1
    return 0
