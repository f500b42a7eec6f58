"""The gradient checker: every registered primitive, every sample, every mode it claims.

:mod:`~plugrad.gradcheck.checks` holds the numerical checks of any function of one
argument; :mod:`~plugrad.gradcheck.primitive_checks` turns a primitive's samples into
independent cases; :mod:`~plugrad.gradcheck.runner` plans and runs them for whole packs;
:mod:`~plugrad.gradcheck.cli` is ``python -m plugrad gradcheck`` and
:mod:`~plugrad.gradcheck.pytest_plugin` gives a pack author one test per case.

The names below are imported on first use: pytest imports this package in every
run (for its plugin), and a run that does not check gradients should not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plugrad.gradcheck.checks import CheckFailure as CheckFailure
    from plugrad.gradcheck.checks import Tolerance as Tolerance
    from plugrad.gradcheck.checks import tolerance_for as tolerance_for
    from plugrad.gradcheck.primitive_checks import CHECKS as CHECKS
    from plugrad.gradcheck.primitive_checks import Case as Case
    from plugrad.gradcheck.primitive_checks import cases as cases
    from plugrad.gradcheck.primitive_checks import check_primitive as check_primitive
    from plugrad.gradcheck.runner import Outcome as Outcome
    from plugrad.gradcheck.runner import Plan as Plan
    from plugrad.gradcheck.runner import Report as Report
    from plugrad.gradcheck.runner import load_registry as load_registry
    from plugrad.gradcheck.runner import plan as plan
    from plugrad.gradcheck.runner import run as run

_HOME = {
    "CheckFailure": "checks",
    "Tolerance": "checks",
    "tolerance_for": "checks",
    "CHECKS": "primitive_checks",
    "Case": "primitive_checks",
    "cases": "primitive_checks",
    "check_primitive": "primitive_checks",
    "Outcome": "runner",
    "Plan": "runner",
    "Report": "runner",
    "load_registry": "runner",
    "plan": "runner",
    "run": "runner",
}

__all__ = [
    "CHECKS",
    "Case",
    "CheckFailure",
    "Outcome",
    "Plan",
    "Report",
    "Tolerance",
    "cases",
    "check_primitive",
    "load_registry",
    "plan",
    "run",
    "tolerance_for",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'plugrad.gradcheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"plugrad.gradcheck.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
