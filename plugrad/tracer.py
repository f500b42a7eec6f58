"""The names autograd code imports from ``autograd.tracer``: ``from plugrad.tracer import
getval`` works as the autograd spelling did. Nothing is defined here; new code should
import them from :mod:`plugrad.extend` and :mod:`plugrad.box`."""

from plugrad.box import Box, getval, isbox
from plugrad.extend import notrace_primitive, primitive

__all__ = ["Box", "getval", "isbox", "notrace_primitive", "primitive"]
