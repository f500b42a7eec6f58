"""The namespace ``plugrad.numpy``, found on disk; its names come from the loaded packs.

plugrad's import hook serves its namespaces, and is installed when ``plugrad`` is
executed; but Python puts ``plugrad`` in ``sys.modules`` before it reads the package's
code, and lets another thread import a submodule then, with no hook yet to find it.
This package is found even then: it waits for ``plugrad`` to be complete and makes
itself the namespace module (:func:`plugrad.namespace.stand_in`). Each namespace of the
packs plugrad ships has one (``plugrad/scipy/``, ``plugrad/misc/``, ``plugrad/operator/``);
a third-party pack's namespace has none: see the docs' "Threads and memory".
"""

import importlib
import sys
import typing

importlib.import_module("plugrad")  # (an import statement would bind `plugrad` here)
importlib.import_module("plugrad.namespace").stand_in(sys.modules[__name__])

if typing.TYPE_CHECKING:

    def __getattr__(name: str) -> typing.Any: ...  # for type checkers: the packs' names are not listed here


del importlib, sys, typing  # (the namespace's names are the packs' and NumPy's)
