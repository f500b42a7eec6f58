"""The gradient checker against deliberately broken rules of the real, installed primitives.

Each test swaps one rule of a registered primitive for a subtly wrong one (a factor of
1.001, a conjugate, a rule that reads another argument untraced), runs the checker on
that primitive alone, and puts the rule back. A checker that let one through would pass
every pack while proving nothing. These are a fixed cross-section of a sweep over every
primitive with more kinds of fault, which caught every fault that changes a derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from plugrad import Primitive
from plugrad.box import getval
from plugrad.gradcheck import cases
from plugrad.gradcheck.checks import CheckFailure
from plugrad.registry import default_registry, ensure_types

Rule = Callable[..., Any]


def prim(name: str) -> Primitive:
    ensure_types()
    entry = default_registry().lookup(name)
    if not isinstance(entry, Primitive):
        pytest.skip(f"no loaded pack registers {name}")
    return entry


@contextmanager
def swapped(p: Primitive, kind: str, argnum: int, wrap: Callable[[Rule], Rule]) -> Iterator[None]:
    """``p``'s ``kind`` ("vjp" or "jvp") rule for ``argnum`` replaced by ``wrap(rule)``."""
    table = p.vjps if kind == "vjp" else p.jvps
    rule = table[argnum]
    assert rule is not None
    define = p.def_vjp if kind == "vjp" else p.def_jvp
    pair = p.vjp_pair  # (which def_vjp drops, as made from the old rules)
    define(wrap(rule), argnums=(argnum,))
    try:
        yield
    finally:
        define(rule, argnums=(argnum,))
        if pair is not None:
            p.def_vjp_pair(pair)


def failing_checks(p: Primitive) -> set[str]:
    failed = set()
    for case in cases(p, seed=0, order=2):
        try:
            case.run()
        except CheckFailure:
            if case.xfail_reason() is None:
                failed.add(case.check)
    return failed


def scaled(rule: Rule) -> Rule:
    return lambda *args, **kwargs: rule(*args, **kwargs) * 1.001


CROSS_SECTION = [
    ("numpy.sin", 0),
    ("numpy.multiply", 1),
    ("numpy.arctan2", 0),
    ("numpy.sum", 0),
    ("numpy.matmul", 0),
    ("numpy.linalg.inv", 0),
    ("numpy.linalg.slogdet", 0),
    ("scipy.special.gammaln", 0),
    ("scipy.special.erf", 0),
    ("scipy.special.xlogy", 1),
]


@pytest.mark.parametrize(("name", "argnum"), CROSS_SECTION)
def test_a_rule_off_by_a_thousandth_fails(name: str, argnum: int) -> None:
    p = prim(name)
    assert not failing_checks(p)
    with swapped(p, "vjp", argnum, scaled):
        assert {"vjp", "transpose"} <= failing_checks(p)
    with swapped(p, "jvp", argnum, scaled):
        assert {"jvp", "transpose"} <= failing_checks(p)
    assert not failing_checks(p)  # put back


def test_a_conjugated_cotangent_fails_at_complex_inputs() -> None:
    p = prim("numpy.exp")
    with swapped(p, "vjp", 0, lambda rule: lambda *a, **k: rule(*a, **k).conj()):
        assert "vjp" in failing_checks(p)


@pytest.mark.parametrize(
    ("name", "argnum"),
    [("numpy.multiply", 0), ("numpy.matmul", 0), ("numpy.arctan2", 0), ("numpy.linalg.solve", 1)],
)
def test_a_rule_reading_the_other_argument_untraced_fails_the_mixed_check(name: str, argnum: int) -> None:
    # Right along each argument alone: only the mixed second partials see it.
    p = prim(name)

    def untraced_other(rule: Rule) -> Rule:
        def wrong(g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
            args = tuple(a if i == argnum else getval(a) for i, a in enumerate(args))
            return rule(g, ans, *args, **kwargs)

        return wrong

    with swapped(p, "vjp", argnum, untraced_other):
        assert failing_checks(p) == {"mixed"}


def test_an_in_place_vjp_that_adds_the_wrong_amount_fails_and_a_right_one_is_used() -> None:
    getitem = prim("numpy._getitem")
    rule = getitem.vjp_add
    assert rule is not None
    calls = []

    def counted(total: Any, g: Any, ans: Any, x: Any, index: Any) -> bool:
        calls.append(index)
        return rule(total, g, ans, x, index)

    def doubled(total: Any, g: Any, ans: Any, x: Any, index: Any) -> bool:
        return rule(total, g * 2, ans, x, index)

    try:
        getitem.def_vjp_add(counted)
        assert "vjp_add" not in failing_checks(getitem)
        assert calls  # the check took the in-place path
        getitem.def_vjp_add(doubled)
        assert "vjp_add" in failing_checks(getitem)
    finally:
        getitem.def_vjp_add(rule)


@pytest.mark.parametrize("name", ["numpy.add", "numpy.matmul"])
def test_a_pair_rule_that_differs_from_the_two_rules_fails_and_a_right_one_is_used(name: str) -> None:
    p = prim(name)
    rule = p.vjp_pair
    assert rule is not None
    calls = []

    def counted(g: Any, ans: Any, x: Any, y: Any) -> Any:
        calls.append(1)
        return rule(g, ans, x, y)

    def off(g: Any, ans: Any, x: Any, y: Any) -> Any:
        cx, cy = rule(g, ans, x, y)
        return cx, cy * 1.001

    try:
        p.def_vjp_pair(counted)
        assert "vjp_pair" not in failing_checks(p)
        assert calls  # the check took the pair's path
        p.def_vjp_pair(off)
        assert "vjp_pair" in failing_checks(p)
    finally:
        p.def_vjp_pair(rule)
