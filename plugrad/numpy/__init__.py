"""Stands on disk for the namespace ``plugrad.numpy``, and hands over to it on import.

plugrad's import hook serves its namespaces, and is installed when ``plugrad`` is
executed; but Python puts ``plugrad`` in ``sys.modules`` before it reads the package's
code, and lets another thread import a submodule then, with no hook yet to find it.
This package is found even then: it waits for ``plugrad`` to be complete and puts the
namespace module in its place (:func:`plugrad.namespace.replace`). A pack's own
namespace (``plugrad.misc``) has no such stand-in: see the docs' "Threads and memory".
"""

import importlib
import sys
from typing import Any

importlib.import_module("plugrad")  # (an import statement would bind `plugrad` here)
importlib.import_module("plugrad.namespace").replace(__name__)


def __getattr__(name: str) -> Any:  # for type checkers, which read this file: any name
    return getattr(sys.modules[__name__], name)
