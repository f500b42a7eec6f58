"""The hooks a primitive pack implements.

A pack is a module (usually the target of an entry point in the ``plugrad``
group) that defines some of these functions, each decorated with
:data:`hookimpl`. plugrad calls them through one pluggy ``PluginManager`` per
:class:`~plugrad.registry.Registry`. Importing a pack must register nothing and
import nothing heavy: plugrad asks for a namespace's primitives only when that
namespace is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from plugrad.box import Box
    from plugrad.vspace import VSpace

__all__ = ["hookspec", "hookimpl", "TypeRegistrar", "PackSpec"]

hookspec = pluggy.HookspecMarker("plugrad")
hookimpl = pluggy.HookimplMarker("plugrad")


class TypeRegistrar(Protocol):
    """What :func:`PackSpec.plugrad_types` receives."""

    def vspace(self, value_type: type, factory: Callable[[Any], VSpace]) -> None:
        """Differentiate with respect to values of ``value_type``, in the space ``factory(value)``."""

    def box(self, value_type: type, box_cls: type[Box]) -> None:
        """Wrap traced values of ``value_type`` in ``box_cls`` (which adds methods and operators)."""


class PackSpec:
    """The hook specifications: pluggy reads this class, the docs render it."""

    @hookspec
    def plugrad_namespaces(self) -> Sequence[str]:
        """Name the namespaces this pack adds functions to. Called when the pack is loaded.

        A namespace ``"numpy.linalg"`` appears to users as the module
        ``plugrad.numpy.linalg``. Return names only; import nothing heavy here.

        :returns: the namespaces, for example ``["numpy.linalg"]``.

        Example::

            @hookimpl
            def plugrad_namespaces():
                return ["example"]
        """
        raise NotImplementedError

    @hookspec
    def plugrad_primitives(self, namespace: str) -> Iterable[Any] | None:
        """Return the functions this pack defines in ``namespace``, or ``None``.

        Called once per namespace, the first time a user touches it (or when the
        gradient checker or ``python -m plugrad packs`` needs everything). This is
        the place to import the modules that define the primitives.

        Each item is a :class:`~plugrad.Primitive`, a
        :class:`~plugrad.NonDifferentiable`, a :class:`~plugrad.Composite` (a
        differentiable function built from other primitives), or
        :class:`~plugrad.Rules` adding rules to another pack's primitive. Every
        name must start with ``namespace + "."``.

        :param namespace: the namespace asked for, one of those from :func:`plugrad_namespaces`.

        Example::

            @hookimpl
            def plugrad_primitives(namespace):
                if namespace == "example":
                    from plugrad_example import functions
                    return functions.PRIMITIVES
        """
        raise NotImplementedError

    @hookspec
    def plugrad_types(self, register: TypeRegistrar) -> None:
        """Register vector spaces and box classes for new value types.

        Called once per process, before the first derivative is taken, so keep it
        cheap: register a type only if its library is already importable and
        needed, and never import a heavy library just to register it.

        :param register: has ``register.vspace(type, factory)`` and ``register.box(type, box_cls)``.

        Example::

            @hookimpl
            def plugrad_types(register):
                register.vspace(Params, ParamsVSpace)
        """
        raise NotImplementedError
