"""plugrad's Sphinx extension: pages generated from the installed packs while the site builds.

``.. plugrad-checks::`` renders the gradient checker's list of checks
(:data:`plugrad.gradcheck.CHECKS`). ``.. plugrad-coverage::`` lists every function of every installed pack from
:func:`plugrad.default_registry` -- namespace, pack, VJP and JVP per argument -- with the
outcome of plugrad's gradient checker for each primitive. The checker runs in a
subprocess started when the build begins (``builder-inited``), so it overlaps with
Sphinx reading the other pages; the directive waits for it. Its depth is set by the
environment variable ``PLUGRAD_DOCS_GRADCHECK`` (``2`` by default, ``1`` or ``0`` to skip),
and the page is re-read on every build, since the packs installed may have changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import plugrad
from plugrad.registry import PackWarning
from plugrad_coverage_data import collect, escape, render

logger = logging.getLogger(__name__)

_SCRIPT = Path(__file__).with_name("plugrad_coverage_data.py")
_TIMEOUT_S = 600


def _order() -> int:
    value = os.environ.get("PLUGRAD_DOCS_GRADCHECK", "2").strip() or "2"
    if value not in ("0", "1", "2"):
        raise ValueError(f"PLUGRAD_DOCS_GRADCHECK={value!r}: use 2 (full check), 1 (first order) or 0 (skip)")
    return int(value)


def start_gradcheck(app: Sphinx) -> None:
    """Start the gradient checker in the background, for HTML builds."""
    app.plugrad_gradcheck = None  # type: ignore[attr-defined]
    order = _order()
    if order == 0 or app.builder.format != "html":
        return
    out = Path(app.doctreedir) / "plugrad-gradcheck.json"
    out.unlink(missing_ok=True)
    log = open(Path(app.doctreedir) / "plugrad-gradcheck.log", "w", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, str(_SCRIPT), str(order), str(out)], stdout=log, stderr=log)
    app.plugrad_gradcheck = (proc, out, log, time.perf_counter())  # type: ignore[attr-defined]
    logger.info(f"plugrad: gradient checker started (order {order}, pid {proc.pid})")


def wait_gradcheck(app: Sphinx) -> dict[str, Any] | None:
    """The checker's result, once it is done; ``None`` if it was not run."""
    job = getattr(app, "plugrad_gradcheck", None)
    if job is None:
        return None
    if isinstance(job, dict):
        return job  # already collected
    proc, out, log, started = job
    try:
        code = proc.wait(timeout=_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    log.close()
    if code != 0 or not out.exists():
        text = Path(log.name).read_text(encoding="utf-8")[-3000:]
        raise RuntimeError(f"the gradient checker exited with status {code}:\n{text}")
    result = json.loads(out.read_text(encoding="utf-8"))
    logger.info(f"plugrad: gradient checker done after {time.perf_counter() - started:.0f} s: {result['summary']}")
    app.plugrad_gradcheck = result  # type: ignore[attr-defined]
    return result


class ChecksDirective(SphinxDirective):
    """``.. plugrad-checks::`` -- the checker's checks, from :data:`plugrad.gradcheck.CHECKS`."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from plugrad.gradcheck import CHECKS

        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 15 60", "", "   * - check", "     - what it verifies"]
        for name, what in CHECKS.items():
            lines += [f"   * - ``{name}``", f"     - {escape(what)}"]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="<plugrad-checks>"), self.content_offset, container)
        return list(container.children)


class CoverageDirective(SphinxDirective):
    """``.. plugrad-coverage::`` -- the generated body of the coverage page."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.plugrad_coverage_docs = getattr(self.env, "plugrad_coverage_docs", set()) | {self.env.docname}
        try:
            checks = wait_gradcheck(self.env.app)
        except RuntimeError as exc:
            logger.warning(f"plugrad-coverage: {exc}", location=self.get_location())
            checks = None
        note = (
            "The gradient check was skipped for this build (``PLUGRAD_DOCS_GRADCHECK=0``, or not an HTML build)."
            if checks is None
            else ""
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PackWarning)  # the page lists every pack fault
            registry = plugrad.default_registry()
        lines = render(collect(registry), checks, note)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="<plugrad-coverage>"), container)
        return list(container.children)


def always_reread(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """The coverage page depends on what is installed, not on its source: read it every time."""
    return sorted(getattr(env, "plugrad_coverage_docs", set()) - removed)


def resolve_reexports(app: Sphinx, env: Any, node: nodes.Element, contnode: nodes.Node) -> nodes.Node | None:
    """Docstrings name objects by their home (``plugrad.registry.Registry``, or ``load_registry``
    inside :mod:`plugrad.gradcheck.runner`); the reference documents them under their public
    name (``plugrad.Registry``, ``plugrad.gradcheck.load_registry``). Resolve such a reference
    to the one documented plugrad object of that name, if there is exactly one."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    if "." in target and not target.startswith("plugrad."):
        return None
    name = target.rpartition(".")[2]
    domain = env.get_domain("py")
    kinds = domain.objtypes_for_role(node["reftype"]) or ()
    matches = [
        full
        for full, entry in domain.objects.items()
        if full.startswith("plugrad.") and full.rpartition(".")[2] == name and entry.objtype in kinds
    ]
    if len(matches) != 1 or matches[0] == target:
        return None
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], matches[0], node, contnode)


def stop_gradcheck(app: Sphinx, exception: BaseException | None) -> None:
    """Never leave the checker running after the build (if no page waited for it)."""
    job = getattr(app, "plugrad_gradcheck", None)
    if isinstance(job, tuple) and job[0].poll() is None:
        job[0].kill()
        job[0].wait()
        job[2].close()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("plugrad-checks", ChecksDirective)
    app.add_directive("plugrad-coverage", CoverageDirective)
    app.connect("builder-inited", start_gradcheck)
    app.connect("env-get-outdated", always_reread)
    app.connect("build-finished", stop_gradcheck)
    app.connect("missing-reference", resolve_reexports)
    return {"version": plugrad.__version__, "parallel_read_safe": False, "parallel_write_safe": True}
