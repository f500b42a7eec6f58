"""The namespace ``plugrad.scipy``, found on disk as ``plugrad.numpy`` is: see
``plugrad/numpy/__init__.py`` for why, and :func:`plugrad.namespace.stand_in`."""

import importlib
import sys
import typing

importlib.import_module("plugrad")  # (an import statement would bind `plugrad` here)
importlib.import_module("plugrad.namespace").stand_in(sys.modules[__name__])

if typing.TYPE_CHECKING:

    def __getattr__(name: str) -> typing.Any: ...  # for type checkers: the packs' names are not listed here


del importlib, sys, typing  # (the namespace's names are the packs' and SciPy's)
