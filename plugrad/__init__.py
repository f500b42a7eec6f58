"""plugrad: automatic differentiation of native Python and NumPy code, with primitives from plugin packs.

Reading order of the kernel:

1. :mod:`plugrad.box`        traced values (one slotted object per operation) and traces
2. :mod:`plugrad.primitive`  primitives: calling one unboxes, applies, records and reboxes
3. :mod:`plugrad.reverse`    the backward pass;  :mod:`plugrad.forward`  forward mode
4. :mod:`plugrad.vspace`     what counts as a vector: floats, complex, arrays, containers
5. :mod:`plugrad.api`        grad, jacobian, hessian and the rest, in autograd's terms
6. :mod:`plugrad.hookspecs`, :mod:`plugrad.registry`, :mod:`plugrad.namespace`
                             packs found by entry point, and the modules they fill
7. :mod:`plugrad.sample`, :mod:`plugrad.gradcheck`   sample inputs and the checker

The kernel imports NumPy, pluggy and the standard library only; every
differentiable NumPy or SciPy function comes from a pack.
"""

import importlib as _importlib
import importlib.machinery as _machinery
import os as _os
import sys as _sys
import types as _types
from typing import TYPE_CHECKING, Any

# The libraries whose modules a namespace mirrors: plugrad.numpy.fft for numpy.fft.
_MIRRORED_ROOTS = ("numpy", "scipy")
# The namespaces with a package of their own on disk (plugrad/numpy/...), which another
# thread finds while this file is still being read: those of the packs plugrad ships.
_ON_DISK = (*_MIRRORED_ROOTS, "misc", "operator")
_kernel_names: frozenset[str] | None = None


def _kernel_modules() -> frozenset[str]:
    """The names of plugrad's own submodules and subpackages, which no namespace may hide."""
    global _kernel_names
    if _kernel_names is None:
        here = _os.path.dirname(__file__)
        names = set()
        try:
            children = _os.listdir(here)  # what pkgutil.iter_modules finds, without importing pkgutil
        except OSError:  # not a directory: plugrad imported from a zip file
            import pkgutil

            children = []
            names = {m.name for m in pkgutil.iter_modules([here])}
        for child in children:
            stem, dot, ext = child.partition(".")
            package = not dot and _os.path.isfile(_os.path.join(here, child, "__init__.py"))
            if (ext == "py" or package) and stem.isidentifier() and stem != "__init__":
                names.add(stem)
        _kernel_names = frozenset(names) - set(_ON_DISK)
    return _kernel_names


class _Finder:
    """The import hook that serves ``plugrad.<ns>`` (``plugrad.numpy.linalg``...): a meta
    path finder and loader by its methods; :func:`plugrad.namespace.create` makes the modules.

    It is defined and installed here, before anything else of plugrad is imported. Python
    lets a thread import a submodule of a package that another thread is still
    initializing: ``import plugrad.misc`` in one thread while another runs ``import
    plugrad`` finds the hook, and waits in :meth:`create_module` for ``plugrad`` to be
    complete. (Python puts ``plugrad`` in ``sys.modules`` before it reads this file, so
    the namespaces of the packs plugrad ships have packages on disk, ``plugrad/numpy/``,
    ``plugrad/scipy/``, ``plugrad/misc/`` and ``plugrad/operator/``, which that thread
    finds without the hook.)
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> _machinery.ModuleSpec | None:
        if not fullname.startswith("plugrad."):
            return None
        ns = fullname.partition(".")[2]
        root = ns.split(".")[0]
        if root in _kernel_modules():
            return None  # plugrad's own modules; no namespace may hide them
        # Python calls find_spec holding its global import lock, so nothing is decided here
        # that needs an import: building the registry (it imports the packs), importing the
        # mirrored library's module, or plugrad's own modules, which another thread may be
        # importing. Any of them would wait, under that lock, for a thread that waits for
        # the lock: a deadlock. create_module decides, under the module's own lock only.
        # (Until the registry is built, importlib.util.find_spec answers for a name no pack
        # declares.)
        declares = getattr(_sys.modules.get("plugrad.registry"), "declares", None)
        if declares is None or declares(ns) is not False or (root in _MIRRORED_ROOTS and self._mirror_found(ns)):
            return _machinery.ModuleSpec(fullname, self, is_package=True)  # type: ignore[arg-type]
        return None

    def _mirror_found(self, ns: str) -> bool:
        """Whether the mirrored module ``ns`` (``numpy.fft``) exists, asked of the finders
        Python would ask, as no import may be made here; True where that needs an import."""
        parent_name = ns.rpartition(".")[0]
        parent = _sys.modules.get(parent_name)
        if ns in _sys.modules or parent is None or getattr(parent.__spec__, "_initializing", False):
            return True  # (numpy itself, or a parent not imported yet: create_module decides)
        path = getattr(parent, "__path__", None)
        if path is None:
            return False
        for finder in _sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is not self and find is not None and find(ns, path) is not None:
                return True
        return False

    def create_module(self, spec: _machinery.ModuleSpec) -> _types.ModuleType:
        _importlib.import_module("plugrad")  # waits for another thread's `import plugrad` to finish
        from plugrad.namespace import create

        return create(spec.name)

    def exec_module(self, module: _types.ModuleType) -> None:
        pass  # (create_module made it whole)


_finder: _Finder = globals().get("_finder") or _Finder()  # (one, if plugrad is reloaded)
if _finder not in _sys.meta_path:
    _sys.meta_path.append(_finder)

from plugrad.box import Box
from plugrad.debug import detect_anomaly
from plugrad.errors import ArgumentError
from plugrad.errors import NotDifferentiableError
from plugrad.errors import PackConflictError
from plugrad.errors import PackError
from plugrad.errors import PackNameError
from plugrad.errors import PlugradError
from plugrad.errors import TraceError
from plugrad.hookspecs import hookimpl
from plugrad.manifest import Deferred
from plugrad.manifest import deferred
from plugrad.primitive import Composite
from plugrad.primitive import NonDifferentiable
from plugrad.primitive import Primitive
from plugrad.primitive import Rules
from plugrad.manifest import collect
from plugrad.registry import Registry
from plugrad.registry import default_registry
from plugrad.sample import Sample
from plugrad.sample import gen
from plugrad.sample import rand
from plugrad.sample import scalar
from plugrad.vspace import VSpace
from plugrad.vspace import vspace

# The differential operators, with reverse and forward mode under them, are imported
# on first use (by __getattr__ below): packs define their primitives without them, so
# `import plugrad.numpy; plugrad.numpy.sin` does not wait for them.
if TYPE_CHECKING:
    from plugrad import builtins as builtins
    from plugrad.api import checkpoint
    from plugrad.api import deriv
    from plugrad.api import elementwise_grad
    from plugrad.api import grad
    from plugrad.api import grad_and_aux
    from plugrad.api import grad_named
    from plugrad.api import hessian
    from plugrad.api import hessian_tensor_product
    from plugrad.api import hessian_vector_product
    from plugrad.api import holomorphic_grad
    from plugrad.api import jacobian
    from plugrad.api import make_ggnvp
    from plugrad.api import make_hvp
    from plugrad.api import make_jvp
    from plugrad.api import make_vjp
    from plugrad.api import multigrad_dict
    from plugrad.api import tensor_jacobian_product
    from plugrad.api import value_and_grad
    from plugrad.api import vector_jacobian_product

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "Box",
    "Composite",
    "Deferred",
    "NonDifferentiable",
    "NotDifferentiableError",
    "PackConflictError",
    "PackError",
    "PackNameError",
    "PlugradError",
    "Primitive",
    "Registry",
    "Rules",
    "Sample",
    "TraceError",
    "VSpace",
    "builtins",
    "checkpoint",
    "collect",
    "default_registry",
    "deferred",
    "deriv",
    "detect_anomaly",
    "elementwise_grad",
    "gen",
    "grad",
    "grad_and_aux",
    "grad_named",
    "hessian",
    "hessian_tensor_product",
    "hessian_vector_product",
    "holomorphic_grad",
    "hookimpl",
    "jacobian",
    "make_ggnvp",
    "make_hvp",
    "make_jvp",
    "make_vjp",
    "multigrad_dict",
    "rand",
    "scalar",
    "tensor_jacobian_product",
    "value_and_grad",
    "vector_jacobian_product",
    "vspace",
]


# autograd's top level also offers its traceable containers and type checks (``from
# autograd import tuple, isinstance``). They are reached as attributes only: a star import
# does not shadow Python's builtins with them.
_BUILTINS = frozenset({"dict", "isinstance", "list", "tuple", "type"})


def __getattr__(name: str) -> Any:
    import importlib

    if name in _ON_DISK or (name in _kernel_modules() and not name.startswith("_")):
        # A submodule not imported yet: `import plugrad` then plugrad.numpy.sin, or
        # plugrad.extend.primitive, as autograd's top level offers its own.
        return importlib.import_module(f"plugrad.{name}")  # (which sets it here)
    if name not in __all__ and name not in _BUILTINS:
        # the names in __all__ not yet imported are those listed under TYPE_CHECKING
        raise AttributeError(f"module 'plugrad' has no attribute {name!r}")
    if name == "builtins":
        value = importlib.import_module("plugrad.builtins")
    elif name in _BUILTINS:
        value = getattr(importlib.import_module("plugrad.builtins"), name)
    else:
        value = getattr(importlib.import_module("plugrad.api"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    public = {name for name in _kernel_modules() if not name.startswith("_")}
    return sorted(set(globals()) | set(__all__) | _BUILTINS | set(_ON_DISK) | public)
