"""Reverse mode: trace a function once, then pull cotangents back along the tape."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from plugrad.debug import _enabled, check_cotangent
from plugrad.box import Box, Trace, _box_types, box_type, check_refused, getval, holds_box
from plugrad.errors import NotDifferentiableError, user_stacklevel
from plugrad.primitive import JVP_SHAPE, NUMERIC, VJP_SHAPE, add_any, node_ans, only_cotangent, returned_none
from plugrad.builtins import pack as pack_container
from plugrad.builtins import take as _take
from plugrad.vspace import ArrayVSpace, DictVSpace, ScalarVSpace, SequenceVSpace, VSpace, _a, space_or_none, vspace

__all__ = ["make_vjp", "backward"]

_debugging = _enabled.get  # debug.enabled, one call cheaper
# Cotangent types whose ``+`` is vector addition (containers' ``+`` concatenates).
_PLUS = frozenset({float, complex, np.ndarray, np.float64, np.float32, np.complex128, np.complex64})


def make_vjp(fun: Callable[[Any], Any], x: Any) -> tuple[Callable[[Any], Any], Any]:
    """Trace ``fun`` at ``x``; return ``(vjp, fun(x))``, where ``vjp(g)`` pulls the
    cotangent ``g`` of the output back to a cotangent of ``x``.

    A plain list, tuple, named tuple or dict of parameters (at any depth) is not traced as one
    container: each element starts the trace on its own, and ``fun`` gets a container
    of the same kind holding their boxes. So ``w, b = params`` and ``params["w"]`` read
    them without recording an operation, and the backward pass needs no container of
    zeros per element read.
    """
    trace = Trace()
    tape = trace.tape
    assert tape is not None
    leaves: list[Any] = []
    kind = type(x)
    flat = False
    one = kind is _ndarray or kind is float or isinstance(x, Box)  # one value, the commonest start
    if not one:
        if kind in _NESTED:  # the common case, a flat container of arrays and floats: boxed in one loop
            values = x if kind is not dict else list(x.values())
            start = _start_flat(x, kind, values, trace, tape)
            flat = start is not None
        if not flat and (kind in _NESTED or issubclass(kind, tuple)):
            start = _start(x, trace, tape, leaves)  # None for a tuple subclass that is not a named tuple
        one = not flat and not leaves  # not a container of parameters, or an empty one
    if one:
        trace.nested = kind is not _ndarray and kind is not float and holds_box(x)
        start = (_box_types.get(kind) or box_type(x)).new(x, trace)
        tape.append((None, (), _NO_KWARGS, x, ()))
    try:
        end = fun(start)
        if isinstance(end, (list, tuple, dict)):
            end = pack_container(end)  # a plain container of traced values
    finally:
        trace.close()
    if not (isinstance(end, Box) and end._trace is trace):
        if _numeric(end):  # (None, an int or a generator: the operator says what is wrong)
            warnings.warn(
                "Output seems independent of input; its derivative is zero.", UserWarning, stacklevel=user_stacklevel()
            )
        space = vspace(x)
        return (lambda g: space.zeros()), end
    last, sites, out = end._index, trace.sites, end._value
    if flat:
        n = len(values)

        def vjp(g: Any) -> Any:
            g = given(g, out)
            check_given(g, out, "cotangent", "vjp", "the function's output")
            cts = sweep(tape, last, g, sites, n)
            for k, ct in enumerate(cts):
                v = values[k]
                if type(ct) is _ndarray and type(v) is _ndarray and ct.shape == v.shape:
                    continue  # the common case, which _start_cotangent would return as it is
                if ct is None or isinstance(ct, Box):  # an unused element, or a traced cotangent
                    return _assembled(x, cts)
                try:
                    cts[k] = _start_cotangent(ct, v)
                except ValueError as exc:
                    _blame_users(exc, tape, k, ct, True)
                    raise
            return _rebuild(x, kind, cts)

    elif not leaves:

        def vjp(g: Any) -> Any:
            g = given(g, out)
            check_given(g, out, "cotangent", "vjp", "the function's output")
            ct = sweep(tape, last, g, sites, 1)[0]
            try:
                return _start_cotangent(ct, x)
            except ValueError as exc:
                _blame_users(exc, tape, 0, ct, True)
                raise

    else:

        def vjp(g: Any) -> Any:
            g = given(g, out)
            check_given(g, out, "cotangent", "vjp", "the function's output")
            return _assembled(x, sweep(tape, last, g, sites, len(leaves)))

    return vjp, out


def given(v: Any, like: Any) -> Any:
    """``v``, a cotangent or tangent given to vjp or jvp for the value ``like``, as the rules
    need it. A list or tuple of numbers for an array or number becomes an array, as NumPy
    reads it (list arithmetic would repeat it, ``2 * [1.0, 2.0]``), and integers or booleans
    for a float value become floats of its dtype (a gradient has its argument's dtype);
    anything else is returned as it is, for :func:`check_given` to judge."""
    tv = type(v)
    if tv is float or (tv is _ndarray and v.dtype.kind in "fc"):
        return v  # the common cases, first
    value = getval(like)
    if not isinstance(value, NUMERIC):
        if isinstance(value, (list, tuple)) and (tv is list or tv is tuple or _is_named_tuple(tv)) and len(v) == len(value):
            return _rebuild(v, type(v), [given(c, e) for c, e in zip(v, value)])  # element by element
        if type(value) is dict and type(v) is dict:
            return {k: given(c, value[k]) if k in value else c for k, c in v.items()}
        return v  # a pack's type's, or a structure check_given refuses
    if tv is list or tv is tuple:
        try:
            array = np.asarray(v)
        except (ValueError, TypeError):  # ragged, or holding traced values: check_given says
            return v
        if array.dtype.kind not in "biufc":
            return v
    elif tv is int or tv is bool or isinstance(v, (np.integer, np.bool_)) or (tv is _ndarray and v.dtype.kind in "biu"):
        array = np.asarray(v)
    else:
        return v
    if array.shape != np.shape(value):
        return v  # (check_given refuses it, saying what was given)
    if array.dtype.kind in "biu":
        dtype = np.result_type(value)
        array = array.astype(dtype if dtype.kind in "fc" else np.float64)
    if array.ndim == 0 and type(value) in (float, complex):
        return type(value)(array)  # a Python number's derivative is a Python number
    return array


def check_given(v: Any, like: Any, kind: str, to: str, of: str) -> None:
    """Refuse the ``kind`` (cotangent, tangent) ``v`` given to ``to`` (vjp, jvp) for ``like``,
    ``of`` (the output, the argument), where it cannot be one: of another shape, which NumPy
    would broadcast silently, complex for a real value, or a NumPy matrix (whose ``*`` is a
    matrix product). For a container, each element is checked; for a pack's type (a Dask
    array, a Poly), ``v`` must fit it as a rule's cotangent must (:func:`_fits`)."""
    tv = type(v)
    if tv in _REAL_SCALARS and type(like) in _REAL_SCALARS:  # grad's cotangent of a real scalar
        return
    value = getval(like)
    if tv is _ndarray and type(value) is _ndarray:  # the common case, first
        if v.shape == value.shape and (v.dtype.kind != "c" or value.dtype.kind == "c"):
            return
    elif isinstance(value, _CONTAINERS):
        if tv is _ndarray and v.shape == _shape_or_none(value):
            return  # an array for a list of numbers: its elements
        _check_structure(v, value, kind, to, of)  # (raises unless v is a container of its structure)
        return
    elif not isinstance(value, _PLAIN):  # a pack's type: said in its space's terms
        _check_in_space(v, value, kind, to, of)
        return
    elif v is None:
        _check_structure(v, value, kind, to, of)  # (raises, but for a value with no derivative)
        return
    elif tv is _ndarray or tv in _REAL_SCALARS or isinstance(v, _NUMBERS) or tv is int or tv is bool:
        if np.shape(v) == _shape_or_none(value) and (not np.iscomplexobj(v) or _is_complex(value)):
            return
    elif not _numeric(value):
        return  # (a value with no derivative, an integer or a string: nothing to check)
    else:  # another kind of value given: a traced one, an array-like, a list
        if isinstance(v, np.ndarray):
            check_refused(tv)  # a NumPy matrix or masked array, whose arithmetic the rules do not expect
        inner = getval(v)
        if not (isinstance(inner, (*NUMERIC, int, list, tuple)) or (hasattr(inner, "__array__") and hasattr(inner, "shape"))):
            raise ValueError(  # (a pack's type, a Quaternion, whose NumPy shape () a number's matches)
                f"the {kind} given to {to} is {_a(type(inner).__name__)}, but {of} is "
                f"{_a(type(value).__name__)}: give {to} a NumPy array or number of its shape."
            )
        shape = _shape_or_none(inner)
        if shape is None or shape == _shape_or_none(value):
            return  # (of the value's shape, or of none NumPy can read: its rules' to check)
    given = f"dtype {v.dtype}" if hasattr(v, "dtype") else f"type {type(v).__name__}"
    value = getval(like)  # (as found above: read again, unnarrowed, for its shape)
    raise ValueError(
        f"the {kind} given to {to} has shape {_shape_or_none(getval(v))} and {given}, but {of} has "
        f"shape {np.shape(value)} and dtype {getattr(value, 'dtype', type(value).__name__)}: "
        f"give {to} a {kind} shaped like it (real for a real value)."
    )


def _shape_or_none(value: Any) -> tuple[int, ...] | None:
    """``np.shape(value)``, or None where NumPy cannot read one (a ragged list)."""
    try:
        shape: tuple[int, ...] = np.shape(value)
    except ValueError:
        return None
    return shape


def _is_complex(value: Any) -> bool:
    return bool(np.iscomplexobj(value))


# The values check_given judges itself: NumPy's and Python's numbers, containers, and values
# with no derivative (None, a string); any other is a pack's type, judged by its vector space.
_PLAIN = (*NUMERIC, int, list, tuple, dict, str, type(None))


def _check_in_space(v: Any, value: Any, kind: str, to: str, of: str) -> None:
    """``check_given`` for a ``value`` of a pack's type (where it has a vector space)."""
    space = space_or_none(value)
    if space is None or _fits(v, value, space):
        return  # (no derivative, an int's or a string's: nothing to give)
    shape = getattr(value, "shape", None)
    if _array_type(value) and _shape_or_none(getval(v)) not in (None, shape):
        raise ValueError(
            f"the {kind} given to {to} has shape {_shape_or_none(getval(v))}, but {of} is "
            f"{_a(type(value).__name__)} of shape {shape}: give {to} a {kind} of its shape."
        )
    given = space_or_none(v)
    what = "None" if v is None else _a(type(v).__name__)
    where = f" in {given!r}" if given is not None else "" if v is None else ", which has no vector space"
    alike = " (the two print alike, but the space's own == or size tells them apart)" if repr(given) == repr(space) else ""
    raise ValueError(
        f"the {kind} given to {to} is {what}{where}, but {of} is {_a(type(value).__name__)} in "
        f"{space!r}{alike}: give {to} a {kind} in that space."
    )


def _array_type(value: Any) -> bool:
    """Whether ``value``, of a pack's type, is an array itself (a Dask array): it has a float
    or complex NumPy dtype and converts to a NumPy array."""
    dtype = getattr(value, "dtype", None)
    return isinstance(dtype, np.dtype) and dtype.kind in "fc" and hasattr(value, "__array__")


def _fits(d: Any, value: Any, space: VSpace) -> bool:
    """Whether ``d`` can be the derivative of ``value``, of a pack's type in ``space``, a
    cotangent given to a vjp or one a rule returns: a value of that very space (by its own
    equality, and its size, which a space may set), a number of one (a pack's scalar type,
    registered with ScalarVSpace, takes any real number); or, where the type is an array
    itself (a Dask array), a NumPy array or number, a list of numbers, or a value of its
    own type, of its shape, real where it is real, the dtype free as a NumPy array's is
    (:func:`in_dtype_of` puts the gradient in the argument's)."""
    given = space_or_none(float(d) if type(d) is int or type(d) is bool else d)
    if given is not None and given == space and given.size == space.size:
        return True
    if given is not None and type(space) is ScalarVSpace and type(given) in (ScalarVSpace, ArrayVSpace):
        return given.shape == () and (not given.iscomplex or space.iscomplex)  # (of any precision)
    if not _array_type(value):
        return False  # (a class of coefficients has neither a dtype nor a NumPy form of its own)
    if not (isinstance(d, (*NUMERIC, int, list, tuple)) or type(d) is type(value)) or _shape_or_none(d) != np.shape(value):
        return False
    return value.dtype.kind == "c" or not np.iscomplexobj(d)


def _check_structure(v: Any, value: Any, kind: str, to: str, of: str) -> None:
    """``check_given`` for a container ``value`` (a list, tuple or dict of values), or for a
    ``v`` of None: ``v`` must be a container of ``value``'s structure, each element checked in
    turn (an element of a cotangent may be None: a zero); None itself only for a value with no
    derivative."""
    v = getval(v)  # (a traced container, inside another derivative: its elements' values)
    if v is None:  # (for a value with no derivative, an integer or a string, nothing to give)
        if not _numeric(value):
            return
        fits = False
    elif isinstance(value, dict):
        fits = isinstance(v, dict) and v.keys() == value.keys()
    else:
        fits = isinstance(v, (list, tuple)) and len(v) == len(value)
    if not fits:
        raise ValueError(
            f"the {kind} given to {to} is {_structure(v)}, but {of} is {_structure(value)}: give "
            f"{to} a {kind} of the same structure."
        )
    if isinstance(value, _CONTAINERS):
        for key in value.keys() if isinstance(value, dict) else range(len(value)):
            # (None inside a cotangent: that part's is zero, as grad_and_aux's aux; a tangent's
            # parts must all be given)
            if v[key] is not None or kind != "cotangent":
                check_given(v[key], value[key], kind, to, f"{of}[{key!r}]")


def _structure(v: Any) -> str:
    if isinstance(v, dict):
        return f"a dict with keys {', '.join(sorted(map(repr, v)))}"
    if isinstance(v, (list, tuple)):
        return f"a {type(v).__name__} of {len(v)}"
    return "None" if v is None else _a(type(v).__name__)


def _wrong_shape(ct: Any, x: Any) -> None:
    wrong_shape(ct, x, "VJP")


def wrong_shape(derivative: Any, like: Any, kind: str) -> None:
    """Raise: the derivative computed for an argument (``kind`` VJP) or the output (JVP) has
    the wrong shape."""
    vjp = kind == "VJP"
    what, of, rule = ("cotangent", "argument", VJP_SHAPE) if vjp else ("tangent", "output", JVP_SHAPE)
    raise ValueError(
        f"the derivative computed for {'an argument' if vjp else 'the output'} has shape "
        f"{np.shape(derivative)}, but the {of} has shape {np.shape(like)}: a {kind} rule returned a "
        f"{what} of the wrong shape (NumPy broadcasts one on its way); {rule}. Run the derivative inside "
        "`with plugrad.detect_anomaly():` to be told which rule, and where it was called."
    )


def _numeric(value: Any) -> bool:
    """Whether ``value`` is a float, complex or inexact array, or a container holding one."""
    if isinstance(value, (list, tuple)):
        return any(_numeric(v) for v in value)
    if isinstance(value, dict):
        return any(_numeric(v) for v in value.values())
    if isinstance(value, (bool, int)) or value is None:
        return False
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return kind in "fc" if kind is not None else isinstance(value, (float, complex))


def _start_flat(x: Any, kind: type, values: Any, trace: Trace, tape: list[tuple[Any, ...]]) -> Any:
    """A flat list, tuple or dict of arrays and floats with each element boxed as a start
    node of ``trace``; None, with nothing recorded, if ``values`` is empty or holds anything
    else."""
    boxes = []
    index = 0
    for v in values:
        t = type(v)
        if t is not _ndarray and t is not float:
            del tape[:]
            return None
        box = (_box_types.get(t) or box_type(v))()
        box._value = v
        box._trace = trace
        box._index = index
        tape.append((None, (), _NO_KWARGS, v, ()))
        boxes.append(box)
        index += 1
    return _rebuild(x, kind, boxes) if boxes else None


def _assembled(x: Any, cts: list[Any]) -> Any:
    """The cotangent of container ``x`` from its leaves' cotangents: one traced container if
    any of them is traced (a derivative of a derivative)."""
    result = _assemble(x, iter(cts))
    for ct in cts:
        if isinstance(ct, Box):
            return pack_container(result)
    return result


_NUMBERS = (float, complex, np.generic)
_NOT_ARRAYS = (str, bytes, list, tuple, dict)  # no cotangent of an array or a number (a lazy array's may be)
_CONTAINERS = (list, tuple, dict)
_REAL_SCALARS = frozenset({float, np.float64})
_NO_KWARGS: dict[str, Any] = {}  # the keyword arguments of every start node (never changed)
_ndarray = np.ndarray
_NESTED = frozenset({list, tuple, dict})


def _start(x: Any, trace: Trace, tape: list[tuple[Any, ...]], leaves: list[Any]) -> Any:
    """``x`` with each element of its plain lists, tuples, named tuples and dicts boxed as
    a start node of ``trace`` (their values appended to ``leaves``); None if ``x`` is none
    of those. Marks the trace nested if an element is itself traced."""
    kind = type(x)
    if kind is dict:
        values: Any = x.values()
    elif kind is list or kind is tuple or _is_named_tuple(kind):
        values = x
    else:
        return None
    elems = []
    for v in values:
        t = type(v)
        if t in _NESTED:
            elems.append(_start(v, trace, tape, leaves))
            continue
        if t is not _ndarray and t is not float:
            if _is_named_tuple(t):
                elems.append(_start(v, trace, tape, leaves))
                continue
            if isinstance(v, Box):
                trace.nested = True  # a derivative of a derivative
        box = (_box_types.get(t) or box_type(v))()
        box._value = v
        box._trace = trace
        box._index = len(tape)
        tape.append((None, (), _NO_KWARGS, v, ()))
        leaves.append(v)
        elems.append(box)
    return _rebuild(x, kind, elems)


def _rebuild(x: Any, kind: type, elems: list[Any]) -> Any:
    """A container of ``x``'s kind (list, tuple, dict with ``x``'s keys, or named tuple)
    holding ``elems`` in ``x``'s order."""
    if kind is list:
        return elems
    if kind is tuple:
        return tuple(elems)
    if kind is dict:
        return dict(zip(x, elems))
    return kind(*elems)


def _is_named_tuple(kind: type) -> bool:
    return issubclass(kind, tuple) and hasattr(kind, "_fields")


def _assemble(x: Any, cts: Iterator[Any]) -> Any:
    """The cotangent of container ``x`` from the cotangents ``cts`` of its leaves, in the
    order :func:`_start` boxed them (None where a leaf was not used: zeros)."""
    kind = type(x)
    elems = []
    for v in x.values() if kind is dict else x:
        t = type(v)
        if t in _NESTED or (t is not _ndarray and t is not float and _is_named_tuple(t)):
            elems.append(_assemble(v, cts))
            continue
        ct = next(cts)
        elems.append(_start_cotangent(ct, v))
    return _rebuild(x, kind, elems)


def _start_cotangent(ct: Any, x: Any) -> Any:
    """The cotangent of start value ``x``: zeros where it was not used, and a Python float
    or complex number where ``x`` is one and a NumPy rule gave a NumPy scalar (a lazy
    array, such as a Dask array's sum, stays lazy)."""
    if ct is None:
        return vspace(x).zeros()
    t = type(x)
    if t is _ndarray:  # the commonest start: a NumPy array's cotangent must have its shape
        if type(ct) is _ndarray:
            if ct.shape != x.shape:
                _wrong_shape(ct, x)
        elif isinstance(ct, _NUMBERS):
            if x.shape != ():
                _wrong_shape(ct, x)
        elif isinstance(ct, _NOT_ARRAYS):  # (a rule's string or list, handed back as a gradient)
            _check_space(ct, x)
    elif t is float or t is complex:
        if isinstance(ct, np.generic):
            # (A complex one for a float stays complex, not cut to its real part with
            # NumPy's ComplexWarning: the gradient checker reports the rule that gave it.)
            return ct if t is float and ct.dtype.kind == "c" else t(ct)
        if type(ct) is _ndarray:
            if ct.shape != ():
                _wrong_shape(ct, x)
            return ct[()] if t is float and ct.dtype.kind == "c" else t(ct)  # from a 0-d array
        if isinstance(ct, _NOT_ARRAYS):
            _check_space(ct, x)
    elif isinstance(x, Box):  # (inside another derivative: the rules' to check)
        return ct
    elif isinstance(x, np.generic):  # a NumPy scalar's is one too (some rules give a 0-d array
        if type(ct) is _ndarray and ct.shape == ():  # or a Python number)
            return ct[()]
        if type(ct) is float and x.dtype.kind == "f" or type(ct) is complex and x.dtype.kind == "c":
            return x.dtype.type(ct)
    elif not isinstance(x, _NUMBERS) and not isinstance(ct, Box):
        _check_space(ct, x)  # a pack's type (a Dask array, a user's class)
    return ct


def in_dtype_of(v: Any, like: Any) -> Any:
    """``v``, an array or NumPy scalar or a list, tuple or dict of them, in the dtype of
    ``like`` (of the same structure) where both are real or both complex, of different
    precisions. ``plugrad.make_vjp`` gives its gradients their arguments' dtypes with it:
    a float64 cotangent for a float32 output computes in float64. (The gradient checker
    calls this module's ``make_vjp``, which does not, so it sees the rules' own dtypes.)"""
    if type(v) is _ndarray or isinstance(v, np.generic) or (isinstance(getattr(v, "dtype", None), np.dtype) and hasattr(v, "astype")):
        # (and a pack's array type, a Dask array: a cotangent of another precision given
        # to its vjp gives one of that precision through its rules)
        dtype = getattr(like, "dtype", None)
        if isinstance(dtype, np.dtype) and v.dtype.kind == dtype.kind and dtype.kind in "fc" and v.dtype.itemsize != dtype.itemsize:
            return v.astype(dtype)  # (another precision; not another byte order)
    elif isinstance(v, (list, tuple)) and isinstance(like, (list, tuple)) and len(v) == len(like):
        return _rebuild(v, type(v), [in_dtype_of(c, o) for c, o in zip(v, like)])
    elif type(v) is dict and isinstance(like, dict):
        return {k: in_dtype_of(c, like.get(k)) for k, c in v.items()}
    return v


def _check_space(ct: Any, x: Any) -> None:
    """Raise unless ``ct`` lies in the vector space of ``x``, a value of a pack's type: a
    rule that returned a NumPy array for it, or one of another size, would otherwise be
    handed back as the gradient."""
    space = vspace(x)
    if _fits(ct, x, space):  # (as a vjp's given cotangent is judged)
        return
    given = space_or_none(ct)
    raise ValueError(
        f"the derivative computed for an argument of type {type(x).__name__} (in {space}) is "
        f"{_a(type(ct).__name__)} (in {given or 'no vector space'}): a VJP rule returned a cotangent "
        "of the wrong kind (a custom primitive's, or a pack's). plugrad.gradcheck.check_primitive "
        "of the primitives applied to it finds the rule."
    )


def backward(tape: list[tuple[Any, ...]], last: int, g: Any, sites: dict[int, str] | None = None) -> Any:
    """The cotangent of the start of ``tape`` (node 0), given cotangent ``g`` of node ``last``."""
    return _start_cotangent(sweep(tape, last, g, sites, 1)[0], tape[0][3])


def sweep(
    tape: list[tuple[Any, ...]], last: int, g: Any, sites: dict[int, str] | None, starts: int
) -> list[Any]:
    """Accumulate cotangents from node ``last`` back to the ``starts`` start nodes at
    the beginning of ``tape``; return their cotangents (None where unused).

    The tape is in creation order, which is a topological order of the graph, so
    one reverse sweep visits every node after all of its consumers. The node layouts
    are described in :mod:`plugrad.primitive`; the two small ones are unpacked inline,
    the commonest (two arguments) first, and their rules are called through the
    primitive's ``_vjp0`` and ``_vjp1`` slots, which always hold a callable. Each is read
    into a local before it is called (``rule = prim._vjp0``): CPython 3.11 specializes the
    read of an attribute, not the call of one.
    """
    check = sites is not None or _debugging()
    cts: list[Any] = [None] * max(last + 1, starts)  # the output may be a start node before the last
    cts[last] = g
    owned: set[int] = set()  # nodes whose cotangent is a sum this sweep made (see _accumulate)
    parts: dict[int, _Parts] = {}  # containers read element by element: their cotangents so far
    prim: Any = None
    i = last
    try:
        for i in range(last, starts - 1, -1):
            g = cts[i]
            if parts and i in parts:
                g = _with_parts(g, parts.pop(i), tape[i][0])
            elif g is None:
                continue
            cts[i] = None  # release each cotangent as soon as it has been used
            node = tape[i]
            if check:
                node = _general(node)
            n = len(node)
            if n == 6:  # two arguments
                prim, x, y, ans, jx, jy = node
                if prim is _take and _Parts.accepts(x, y):
                    _take_back(parts, jx, x, y, g)
                    continue
                if jx >= 0:
                    prev = cts[jx]
                    # both at once (def_vjp_pair; read once: another thread may set the rules)
                    if jy >= 0 and (both := prim.vjp_pair) is not None:
                        pair = both(g, ans, x, y)
                        if type(pair) is not tuple:  # (an array of two rows would unpack)
                            _check_pair(prim, pair)
                        try:
                            ct, cy = pair
                        except ValueError:  # (costs nothing until raised)
                            _check_pair(prim, pair)
                        if ct is None or cy is None:
                            _check_pair(prim, pair)  # (raises, unless None is a zero here)
                        if prev is None:
                            cts[jx] = ct
                        else:
                            _accumulate(cts, owned, jx, prev, ct)
                        prev = cts[jy]
                        if prev is None:
                            cts[jy] = cy
                        elif jy in owned and type(cy) is _ndarray and cy.dtype is prev.dtype:
                            try:
                                prev += cy  # _accumulate's first case, inline (a weight read each step)
                            except ValueError:
                                _accumulate(cts, owned, jy, prev, cy)
                        else:
                            _accumulate(cts, owned, jy, prev, cy)
                        continue
                    if prev is None:
                        rule = prim._vjp0
                        ct = rule(g, ans, x, y)
                        if ct is None and not prim.none_is_zero:  # (a forgotten return, read as a zero)
                            raise returned_none(prim, "VJP", 0)
                        cts[jx] = ct
                    elif not (prim.vjp_add is not None and jx in owned and prim.vjp_add(prev, g, ans, x, y)):
                        rule = prim._vjp0
                        ct = rule(g, ans, x, y)
                        if ct is None and not prim.none_is_zero:
                            raise returned_none(prim, "VJP", 0)
                        _accumulate(cts, owned, jx, prev, ct)
                if jy >= 0:
                    rule = prim._vjp1
                    ct = rule(g, ans, x, y)
                    if ct is None and not prim.none_is_zero:
                        raise returned_none(prim, "VJP", 1)
                    prev = cts[jy]
                    if prev is None:
                        cts[jy] = ct
                    elif jy in owned and type(ct) is _ndarray and ct.dtype is prev.dtype:
                        try:
                            prev += ct  # as above
                        except ValueError:
                            _accumulate(cts, owned, jy, prev, ct)
                    else:
                        _accumulate(cts, owned, jy, prev, ct)
            elif n == 4:  # one traced argument
                prim, x, ans, j = node
                rule = prim._vjp0
                ct = rule(g, ans, x)
                if ct is None and not prim.none_is_zero:
                    raise returned_none(prim, "VJP", 0)
                prev = cts[j]
                if prev is None:
                    cts[j] = ct
                else:
                    _accumulate(cts, owned, j, prev, ct)
            else:
                prim, args, kwargs, ans, links = node
                if prim is _take and _Parts.accepts(args[0], args[1]):
                    _take_back(parts, links[0][1], args[0], args[1], g)
                    continue
                kind = "VJP"
                if prim.vjp_argnums is not None and len(links) > 1 and not any(prim.vjps):
                    argnums = tuple([argnum for argnum, _ in links])  # one call for them all
                    found = only_cotangent(prim.vjp_argnums, argnums, prim.vjp_argnums(argnums, g, ans, *args, **kwargs))
                elif (both := prim.vjp_pair) is not None and len(links) == 2 and len(args) == 2 and not kwargs:
                    found = _check_pair(prim, both(g, ans, *args))  # as the fast layout calls it
                    kind = "VJP pair rule (def_vjp_pair)"
                else:
                    found = (prim.vjp_rule(argnum)(g, ans, *args, **kwargs) for argnum, _ in links)
                for (argnum, j), ct in zip(links, found):
                    if ct is None and not prim.none_is_zero:
                        raise returned_none(prim, "VJP", argnum)
                    if check:
                        check_cotangent(prim, argnum, ct, node_ans(tape[j]), args, (sites or {}).get(i), g, kind)
                    prev = cts[j]
                    if prev is None:
                        cts[j] = ct
                    else:
                        _accumulate(cts, owned, j, prev, ct)
    except Exception as exc:  # (costs nothing until raised)
        # NumPy's shape error, further back than the rule that made a misshapen cotangent:
        # the note names the operations that may have (g: node i's cotangent, read off cts).
        shape_error = isinstance(exc, ValueError) and starts <= i < len(cts)
        if not (shape_error and _blame_users(exc, tape, i, g, False, prim)):
            _name_the_rule(exc, prim, "VJP")
        raise
    for j in parts:  # start nodes read element by element
        cts[j] = _with_parts(cts[j], parts[j])
    out = cts[:starts]
    if starts > 1 and len(set(map(id, out))) < starts:  # (C-speed test; rarely true)
        _unshare(out)
    return out


def _check_pair(prim: Any, pair: Any) -> tuple[Any, Any]:
    """``pair``, what ``prim``'s ``def_vjp_pair`` rule returned, if it is a tuple of two
    cotangents (an array of two rows would unpack as one); otherwise the error saying what
    is wrong with it."""
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise TypeError(
            f"the VJP pair rule (def_vjp_pair) of {prim.describe()} returned {_what(pair)}; it must return "
            "a tuple of two, (cotangent of argument 0, cotangent of argument 1)"
            + (": check for a missing return statement." if pair is None else ".")
        )
    for argnum in (0, 1):
        if pair[argnum] is None and not prim.none_is_zero:
            raise returned_none(prim, "VJP pair rule (def_vjp_pair)", argnum)
    return pair


def _what(value: Any) -> str:
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if value is None:
        return "None"
    shape = getattr(value, "shape", None)
    return f"a value of type {type(value).__name__}" + (f" and shape {shape}" if shape is not None else "")


def _name_the_rule(exc: BaseException, prim: Any, kind: str) -> None:
    """Note on ``exc``, raised in a rule of ``prim`` (one that takes the wrong arguments,
    or fails inside), which primitive's rule it was, where the error does not say so
    itself. Not for an error of the sweep's own (adding cotangents that do not fit, which
    an earlier rule may have made): there the next frame of the traceback is this module's.
    (None: the call of the rule itself failed, or the sweep raised, naming the primitive.)"""
    tb = exc.__traceback__
    inner = tb.tb_next if tb is not None else None
    if inner is not None and inner.tb_frame.f_code.co_filename == __file__:
        return
    if prim is not None and hasattr(prim, "describe") and prim.name not in str(exc):
        exc.add_note(f"(raised in the {kind} rules of {prim.describe()})")


def _blame_users(
    exc: BaseException, tape: list[tuple[Any, ...]], i: int, g: Any, said: bool, prim: Any = None
) -> bool:
    """:func:`plugrad._diagnose.blame_users`, imported on the first error that needs it
    (``adding``: the error was raised by this module, adding cotangents, not by a rule)."""
    from plugrad._diagnose import blame_users

    return blame_users(exc, tape, i, g, said, prim, adding=_raised_here(exc))


def _raised_here(exc: BaseException) -> bool:
    """Whether ``exc`` was raised in this module's own code (the sweep), not in a rule."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename == __file__


def _unshare(cts: list[Any]) -> None:
    """Copy any array that is the cotangent of two start nodes: a rule that passes its
    cotangent on (``add``'s) gives ``x + y`` one array for both, and a user's in-place step
    on one gradient (``g[0] *= 0.5``) would change the other."""
    seen: set[int] = set()
    for k, ct in enumerate(cts):
        if type(ct) is _ndarray:
            key = id(ct)
            if key in seen:
                cts[k] = ct.copy()
            else:
                seen.add(key)


def _general(node: tuple[Any, ...]) -> tuple[Any, ...]:
    """Any tape node in the general layout ``(prim, args, kwargs, ans, links)``."""
    n = len(node)
    if n == 5:
        return node
    if n == 4:
        prim, x, ans, j = node
        return prim, (x,), {}, ans, ((0, j),)
    prim, x, y, ans, jx, jy = node
    return prim, (x, y), {}, ans, tuple((argnum, j) for argnum, j in ((0, jx), (1, jy)) if j >= 0)


def _accumulate(cts: list[Any], owned: set[int], j: int, prev: Any, ct: Any) -> None:
    """Add cotangent ``ct`` to ``prev``, the cotangent node ``j`` has so far.

    The first sum of two NumPy arrays is a new array, which only ``cts[j]`` holds until
    node ``j`` is pulled back (every later reader of it comes after): ``j`` joins
    ``owned``, and later cotangents of its dtype are added into it in place (NumPy
    refuses one that would make it larger), as a hand-written gradient accumulates a
    weight's gradient with ``+=`` (a recurrent network's weights get one cotangent per
    step). Arrays a rule returned are never written to: they may be the cotangent of
    another node too, or a user's. Everything else is :func:`_add`'s.
    """
    if type(prev) is float and type(ct) is float:  # a loop over Python floats, without _add's frame
        cts[j] = prev + ct
        return
    if j in owned:  # prev is a NumPy array this sweep made
        if type(ct) is _ndarray and ct.dtype is prev.dtype:
            try:
                prev += ct  # in place: the same sum as prev + ct, bit for bit
                return
            except ValueError:  # ct has more elements than prev (no rule returns that)
                pass
        owned.discard(j)
    elif type(prev) is _ndarray and type(ct) is _ndarray:
        cts[j] = total = prev + ct
        if type(total) is _ndarray:  # (two 0-d arrays add up to a NumPy scalar)
            owned.add(j)
        return
    cts[j] = _add(prev, ct)


def _add(prev: Any, ct: Any) -> Any:
    """``prev + ct`` for cotangents of any kind."""
    if type(prev) in _PLUS:
        # A traced ct first: ``box + array`` is the box's fast path, ``array + box`` goes
        # through NumPy's dispatch. Addition commutes exactly.
        return ct + prev if isinstance(ct, Box) else prev + ct
    if isinstance(prev, Box) and type(getval(prev)) in _PLUS:  # a traced array or number
        return prev + ct
    return add_any(prev, ct)


def _take_back(parts: dict[int, _Parts], j: int, container: Any, index: Any, g: Any) -> None:
    """The cotangent of ``container[index]``, node ``j``'s element: gathered element by
    element, sparsely, instead of a container of zeros per element read."""
    if type(index) is int and index < 0:
        index += len(container)  # x[-1] and x[n - 1] are one element
    known = parts.get(j)
    if known is None:
        parts[j] = _Parts(container, {index: g})
    else:
        known.add(index, g)


def _with_parts(g: Any, known: _Parts, prim: Any = None) -> Any:
    """A container's whole cotangent: what was read element by element, plus ``g``
    (None, or the cotangent of uses of the container as a whole); the container is
    ``prim``'s output, or a start's where ``prim`` is None."""
    try:
        dense = known.dense()
    except NotDifferentiableError as exc:  # (a start's elements were checked when it began)
        container = getval(known.container)
        if prim is None or not hasattr(prim, "describe") or not isinstance(container, (list, tuple, dict)):
            raise
        where = container.items() if isinstance(container, dict) else enumerate(container)
        bad = next(((k, v) for k, v in where if space_or_none(getval(v)) is None), None)
        if bad is None:
            raise
        k, v = bad
        raise NotDifferentiableError(
            f"{prim.describe()} returned {_a(type(container).__name__)} whose element {k!r} is "
            f"{_a(type(getval(v)).__name__)}, and another element was used: its backward pass "
            "needs a zero derivative for every element, and that element has no derivative. "
            f"Leave it out of what {prim.describe()} returns, or, for a number, return it as a "
            "float (3.0 rather than 3)."
        ) from exc
    return dense if g is None else add_any(g, dense)


class _Parts:
    """The cotangent of a container, known element by element so far."""

    __slots__ = ("container", "parts")

    def __init__(self, container: Any, parts: dict[Any, Any]) -> None:
        self.container = container
        self.parts = parts

    @staticmethod
    def accepts(container: Any, index: Any) -> bool:
        """Whether ``container[index]`` reads one element of a list, tuple or dict."""
        if type(index) is not int and type(index) is not str:
            return False
        while isinstance(container, Box):
            container = container._value
        return isinstance(container, (list, tuple, dict))

    def add(self, index: Any, g: Any) -> None:
        prev = self.parts.get(index)
        self.parts[index] = g if prev is None else _add(prev, g)

    def dense(self) -> Any:
        """The whole cotangent: zeros for the elements nobody read.

        A plain container, even where some elements are traced (a derivative of a
        derivative): an element nobody read stays plain zeros, a constant of the outer
        derivative, which a rule can tell from a traced cotangent whose value is zero
        (``eigh``'s rule leaves out the eigenvectors' term, infinite at repeated
        eigenvalues, where their cotangent is plain zeros)."""
        container, parts = self.container, self.parts
        kind = type(container)
        if kind is list or kind is tuple:  # the common case, without building vector spaces
            elems = [parts[k] if k in parts else vspace(v).zeros() for k, v in enumerate(container)]
            return elems if kind is list else tuple(elems)
        if kind is dict:
            return {k: parts[k] if k in parts else vspace(v).zeros() for k, v in container.items()}
        space = vspace(container)
        if isinstance(space, SequenceVSpace):
            elems = [parts[k] if k in parts else vs.zeros() for k, vs in enumerate(space.spaces)]
            return _rebuild(None, space.kind, elems)
        assert isinstance(space, DictVSpace)
        return space.kind({k: parts[k] if k in parts else vs.zeros() for k, vs in space.spaces.items()})
