"""The hooks a primitive pack implements.

A pack is a module, the target of an entry point in the ``plugrad`` group::

    # pyproject.toml of the distribution plugrad-example
    [project.entry-points.plugrad]
    example = "plugrad_example"

that defines some of these functions, each decorated with :data:`hookimpl`. The
entry point's name (``example``) is the pack's name, used by
``PLUGRAD_PACKS`` / ``PLUGRAD_DISABLE_PACKS`` and shown by
``python -m plugrad packs``. plugrad calls the hooks through one pluggy
``PluginManager`` per :class:`~plugrad.registry.Registry`, each pack's in
isolation: a pack that raises is reported and skipped, the others keep working.

Importing a pack must register nothing and import nothing heavy: plugrad asks
for a namespace's functions only when that namespace is first used.
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
    """What :meth:`PackSpec.plugrad_types` receives."""

    def vspace(self, value_type: type | str, factory: Callable[[Any], VSpace] | str) -> None:
        """Differentiate with respect to values of ``value_type``, in the space ``factory(value)``.
        A qualified name (``"dask.array.core.Array"``: the defining module and the class's
        ``__qualname__``) registers a type without importing its library; the factory may then
        be named too (``"plugrad_dask.vspace:DaskVSpace"``), and its module is imported when a
        value of the type first needs its space. ``python -m plugrad packs`` and the gradient
        checker load it at once, so a name that does not load is reported there."""

    def box(self, value_type: type | str, box_cls: type[Box] | str) -> None:
        """Wrap traced values of ``value_type`` in ``box_cls`` (which adds methods and operators).
        As with :meth:`vspace`, a type given by name may have its box class named
        ``"module:Class"``, imported when a value of the type is first traced."""

    def refuse(self, value_type: type | str, reason: str) -> None:
        """Refuse values of ``value_type`` and its subclasses (a qualified name such as
        ``"numpy.ma.MaskedArray"`` imports nothing), with ``reason``, what to do instead:
        for a subclass of a type plugrad differentiates whose operations mean something
        the pack's rules do not. Tracing one, or differentiating with respect to one, raises
        :class:`~plugrad.NotDifferentiableError` saying so."""

    def sequences(self, as_value: Callable[[Any], Any]) -> None:
        """Give this pack's primitives a list or tuple that holds traced values (or is
        traced) as ``as_value(sequence)``, one traced value: the NumPy pack gives
        ``numpy.array``, as NumPy reads a list as an array. Without it, such a list
        reaches the primitive as a traced list."""


class PackSpec:
    """The hook specifications: pluggy reads this class, the docs render it."""

    @hookspec
    def plugrad_namespaces(self) -> Sequence[str]:
        """Name the namespaces this pack adds functions to. Called once, when the pack is loaded.

        A namespace ``"numpy.linalg"`` appears to users as the module
        ``plugrad.numpy.linalg``. Several packs may add to one namespace. Return
        names only; import nothing heavy here, and do not use ``plugrad.<namespace>``
        (the registry is still being built).

        :returns: the namespaces, each a dotted Python name, for example ``["example"]``.

        Example::

            @hookimpl
            def plugrad_namespaces():
                return ["example"]
        """
        raise NotImplementedError

    @hookspec
    def plugrad_primitives(self, namespace: str) -> Iterable[Any] | None:
        """Return the functions this pack defines in ``namespace``.

        Called once per namespace, the first time a user touches it (or when the
        gradient checker or ``python -m plugrad packs`` needs everything). This is
        the place to import the modules that define the functions.

        Each item is a :class:`~plugrad.Primitive`, a
        :class:`~plugrad.NonDifferentiable`, a :class:`~plugrad.Composite` (a
        differentiable function built from other primitives),
        :class:`~plugrad.Rules` adding missing rules to another pack's primitive
        of this namespace, or a :class:`~plugrad.Deferred` name whose module is
        imported when the name is first used (see :func:`~plugrad.deferred`). Every
        name is ``namespace + "." + identifier``. An item that is not well formed is
        rejected with a warning; the others are kept.

        A name another pack also registers is a conflict unless exactly one of
        them is created with ``override=True`` (``Primitive(name, fun,
        override=True)``); see :mod:`plugrad.registry` for the rule.

        :param namespace: the namespace asked for, one of those from :meth:`plugrad_namespaces`.
        :returns: the functions (a list, empty if there are none). It is asked only for the
            namespaces the pack declares, so ``None`` is a fault of the pack (a comparison
            with the namespace's name that never holds, say), reported as one.

        Example::

            from plugrad import collect, hookimpl

            @hookimpl
            def plugrad_primitives(namespace):
                if namespace == "example":
                    return collect("plugrad_example", ["functions"], "example")
        """
        raise NotImplementedError

    @hookspec
    def plugrad_types(self, register: TypeRegistrar) -> None:
        """Register vector spaces and box classes for new value types.

        Called once per process, before the first derivative is taken, so keep it
        cheap: register a type only if its library is already importable and
        needed, and never import a heavy library just to register it. Spaces and
        boxes are process-wide.

        :param register: has ``register.vspace(type, factory)`` (``factory(value)``
            returns the :class:`~plugrad.VSpace` of a value, usually a ``VSpace``
            subclass), ``register.box(type, box_cls)`` (``box_cls`` a
            :class:`~plugrad.Box` subclass whose methods keep traced values traced; a
            type given by its qualified name may have both named as ``"module:Class"``,
            imported only when a value of the type appears),
            ``register.sequences(as_value)`` (how the pack's primitives take a
            list of traced values) and ``register.refuse(type, reason)`` (a subclass
            of a differentiable type that the rules would get wrong).

        Example::

            @hookimpl
            def plugrad_types(register):
                register.vspace(Params, ParamsVSpace)
                register.box(Params, ParamsBox)
        """
        raise NotImplementedError
