"""The namespace ``plugrad.misc``, autograd's ``autograd.misc`` (``flatten``, ``optimizers``...),
found on disk as ``plugrad.numpy`` is: see ``plugrad/numpy/__init__.py`` for why, and
:func:`plugrad.namespace.stand_in`. Its names come from the pack that declares it, one plugrad
ships; with no such pack loaded, importing it fails as for any missing module."""

import importlib
import sys
import typing

importlib.import_module("plugrad")  # (an import statement would bind `plugrad` here)
importlib.import_module("plugrad.namespace").stand_in(sys.modules[__name__])

if typing.TYPE_CHECKING:

    def __getattr__(name: str) -> typing.Any: ...  # for type checkers: the packs' names are not listed here


del importlib, sys, typing  # (the namespace's names are the pack's)
