"""Shared fixtures."""

from __future__ import annotations

import numpy
import pytest


@pytest.fixture
def rng() -> numpy.random.Generator:
    return numpy.random.default_rng(0)
