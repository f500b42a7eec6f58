"""Sphinx configuration for plugrad's documentation.

Build with ``nox -s docs`` (``sphinx-build -W --keep-going -b html docs docs/_build/html``).
Nothing generated is checked in: the figures are drawn by matplotlib's ``plot``
directive and the coverage page by ``_ext/plugrad_sphinx.py`` while the site builds.
``PLUGRAD_DOCS_GRADCHECK`` sets how far the coverage page's gradient check goes:
``2`` (default, what ``nox -s gradcheck`` runs), ``1`` (first order only) or ``0`` (skip it).
"""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import plugrad

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "plugrad"
author = "plugrad developers"
copyright = "plugrad developers"  # noqa: A001 - Sphinx's name
release = version = plugrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "plugrad_sphinx",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_theme = "alabaster"
html_theme_options = {
    "description": "Automatic differentiation of Python and NumPy, with primitives from plugin packs",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_title = f"plugrad {release}"
pygments_style = "sphinx"

# autodoc: the reference pages render the docstrings; nothing restates them.
autodoc_member_order = "bysource"
# Signatures read like autograd's, grad(fun, argnum=0); types appear beside documented parameters.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_default_options = {"undoc-members": False}
python_use_unqualified_type_names = True
# The gradient checker's pytest plugin is documented without pytest installed (``.[docs]``).
autodoc_mock_imports = ["pytest"]

# The examples in the pages are checked by tests/test_docs.py (and by ``-b doctest``);
# the pack-writing page loads the example pack from the repository, installed or not.
doctest_default_flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
doctest_path = [str(DOCS.parent / "plugins" / "plugrad-example")]

# matplotlib's plot directive runs each figure's code while the site builds.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (7.0, 4.2), "axes.grid": True, "grid.alpha": 0.3}
plot_apply_rcparams = True
