"""What the pack's rules share: recognising Dask values without importing Dask."""

from __future__ import annotations

from typing import Any

from plugrad.box import getval

__all__ = ["chunks_of", "is_dask"]


def is_dask(x: Any) -> bool:
    """Whether ``x`` (or the value under its boxes) is a Dask array. Checked by module
    name, so NumPy values never cause Dask to be imported."""
    return type(getval(x)).__module__.startswith("dask.")


def chunks_of(x: Any) -> tuple[tuple[int, ...], ...]:
    return getval(x).chunks
