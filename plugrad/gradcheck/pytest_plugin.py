"""pytest plugin: one test per gradient check of a pack's primitives.

pytest loads it into every run (``pytest11`` entry point), so until it is asked
for it only declares its options: no pack is loaded and nothing is imported.
Like ``pytester``, it serves pack authors in two ways. Ask for the generated
tests on the command line (or with ``plugrad_gradcheck = example`` in the ini file)::

    pytest --plugrad-gradcheck=example               # every check of pack "example"
    pytest --plugrad-gradcheck=example -k "square and vjp"

or parametrize a test of your own::

    from plugrad.gradcheck.pytest_plugin import gradcheck_tests

    @pytest.mark.parametrize("case", gradcheck_tests("example"))
    def test_gradcheck(case):
        case.run()

Each test is one check of one primitive at one sample, dtype and argument, named
like ``example.square[1-float32-arg0-vjp]``; a ``prim.xfail`` entry becomes a strict
``xfail`` mark, so an expected failure that passes fails the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from plugrad.gradcheck.primitive_checks import Case

__all__ = ["GradcheckItem", "gradcheck_tests"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plugrad", "plugrad gradient checks")
    group.addoption(
        "--plugrad-gradcheck",
        action="append",
        default=[],
        metavar="PACK",
        help="add one test per gradient check of every primitive of plugrad pack PACK (repeat for more packs)",
    )
    group.addoption(
        "--plugrad-gradcheck-seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the generated inputs and directions (default 0)",
    )
    parser.addini("plugrad_gradcheck", "plugrad packs to add gradient-check tests for", type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    packs = config.getoption("plugrad_gradcheck") or config.getini("plugrad_gradcheck")
    if packs:
        packs = [p.strip() for value in packs for p in value.split(",") if p.strip()]
        seed = config.getoption("plugrad_gradcheck_seed")
        config.pluginmanager.register(_Generator(packs, seed), "plugrad-gradcheck-generator")


class _Generator:
    """Registered only when tests were asked for: adds them to the collected items."""

    def __init__(self, packs: list[str], seed: int) -> None:
        self.packs = packs
        self.seed = seed

    def pytest_report_header(self) -> str:
        return f"plugrad gradcheck: packs {', '.join(self.packs)} (seed {self.seed})"

    @pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        for pack in self.packs:
            name = f"plugrad-gradcheck[{pack}]"
            collector = GradcheckPack.from_parent(session, name=name, nodeid=name, pack=pack, seed=self.seed)
            generated = collector.collect()
            # Report them as collected, so that counts and --collect-only include them.
            report = pytest.CollectReport(collector.nodeid, "passed", None, list[pytest.Item | pytest.Collector](generated))
            session.ihook.pytest_collectreport(report=report)
            items.extend(generated)


class GradcheckPack(pytest.Collector):
    """The generated tests of one pack."""

    def __init__(self, *, pack: str, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pack = pack
        self.seed = seed

    def collect(self) -> list[pytest.Item]:
        items: list[pytest.Item] = []
        for case in _cases([self.pack], seed=self.seed):
            item = GradcheckItem.from_parent(self, name=case.id, case=case)
            for mark in _marks(case):
                item.add_marker(mark)
            items.append(item)
        return items


class GradcheckItem(pytest.Item):
    """One check of one primitive; its failure report is the checker's message."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.extra_keyword_matches.update(k for k in (case.check, case.dtype, case.pack, case.primitive) if k)

    def runtest(self) -> None:
        self.case.run()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from plugrad.gradcheck.checks import CheckFailure, NotRun

        if isinstance(excinfo.value, (CheckFailure, NotRun)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"plugrad gradcheck: {self.case.id}"


def _cases(packs: Iterable[str], seed: int = 0, primitives: Iterable[str] | None = None) -> list[Case]:
    from plugrad.gradcheck.runner import plan

    return plan(packs=list(packs), primitives=primitives, seed=seed).cases


def _marks(case: Case) -> list[Any]:
    from plugrad.gradcheck.checks import CheckFailure

    reason = case.xfail_reason()
    return [pytest.mark.xfail(reason=reason, strict=True, raises=CheckFailure)] if reason else []


def gradcheck_tests(*packs: str, seed: int = 0, primitives: Iterable[str] | None = None) -> list[Any]:
    """``pytest.param`` objects, one per check of ``packs`` (and primitives matching the
    glob patterns ``primitives``), for ``@pytest.mark.parametrize("case", ...)``; the test
    body calls ``case.run()``."""
    return [pytest.param(case, id=case.id, marks=_marks(case)) for case in _cases(packs, seed, primitives)]
