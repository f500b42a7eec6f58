"""The gradient checker: every registered primitive, every sample, every mode it claims."""

from __future__ import annotations

from plugrad.gradcheck.primitive_checks import check_primitive

__all__ = ["check_primitive"]
