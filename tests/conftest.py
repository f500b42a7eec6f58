"""Shared fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy
import pytest


@pytest.fixture
def rng() -> numpy.random.Generator:
    return numpy.random.default_rng(0)


@pytest.fixture
def named_types(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for a test's modules (named lazy_*), and the process-wide tables
    of boxes and vector spaces restored after the test, which may register types by name."""
    from plugrad import registry

    registry.ensure_types()  # (the installed packs' own registrations: kept)
    box, space = sys.modules["plugrad.box"], sys.modules["plugrad.vspace"]
    tables = (box._box_types, box._box_types_by_name, box._named_by, space._vspace_types, space._vspace_types_by_name, space._named_types_by)
    saved = [(t, dict(t)) for t in tables]
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for table, before in saved:
        table.clear()
        table.update(before)
    for name in ("lazy_values", "lazy_rules", "lazy_things", "lazy_rulez", "lazy_broken"):
        sys.modules.pop(name, None)


class Quat:
    """A pack's value type that is no array: a quaternion's four coefficients."""

    def __init__(self, c: object) -> None:
        self.c = numpy.asarray(c, float)


@pytest.fixture
def quats(named_types: Path) -> type[Quat]:
    """:class:`Quat`, registered for the test with a vector space of its coefficients (an
    ArrayVSpace of shape (4,): an array of four has its shape) and a box class."""
    from plugrad import Box
    from plugrad.box import register_box_type
    from plugrad.vspace import ArrayVSpace, register_vspace

    class QuatSpace(ArrayVSpace):
        def __init__(self, q: Quat) -> None:
            super().__init__(q.c)

    class QuatBox(Box):
        __slots__ = ()

    register_vspace(Quat, QuatSpace)
    register_box_type(Quat, QuatBox)
    return Quat
