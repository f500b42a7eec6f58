"""``numpy.vectorize``, differentiably: a vectorized Python function that also takes
traced arguments.

Without a traced argument it is NumPy's own class at work (a subclass that changes
nothing else), so results, dtypes and errors are NumPy's. With one, NumPy's loop would
put the traced scalars into an object array and cast that to numbers, losing the trace;
so the loop runs here instead: the vectorized arguments are broadcast, ``pyfunc`` is
called once per element (or per core subarray, with ``signature=``) on traced
elements read by ``getitem``, and the results are stacked into arrays of the broadcast
shape. Each element is then an ordinary traced computation, so every mode and order of
derivative works, whatever ``pyfunc`` does with its scalars. The same loop serves plain
arguments whose results are traced through ``pyfunc``'s closure (``lambda v: w * v``),
found when NumPy fails to cast them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad import Box, Composite, NotDifferentiableError, TraceError
from plugrad.box import getval
from plugrad_numpy._util import shape_of
from plugrad_numpy.indexing import getitem
from plugrad_numpy.joining import _build, _finish, _stack, _traced
from plugrad_numpy.shape import broadcast_to, reshape

CoreDims = list[tuple[str, ...]]


class vectorize(np.vectorize):  # noqa: N801 - numpy's name
    """``numpy.vectorize`` whose vectorized function also takes traced arguments.

    Called on plain values it is ``numpy.vectorize``. Called with a traced argument
    (vectorized or excluded), it calls ``pyfunc`` once per element of the broadcast
    arguments (NumPy calls it once more for the first element when ``otypes`` is not
    given; here ``cache=True`` and ``False`` alike call it once) and stacks the results
    differentiably, cast to ``otypes`` or to the type of the first result, as NumPy
    does. Where only the results are traced (by ``pyfunc``'s closure), NumPy's loop
    fails, and ``pyfunc`` is called again for the first element, then for every one.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.pyfunc is not np._NoValue and _traced((args, tuple(kwargs.values()))):
            return self._traced_call(args, kwargs)
        try:
            # NumPy's loop (or, while pyfunc is unset, its decorator: ``@vectorize(otypes="d")``)
            return super().__call__(*args, **kwargs)
        except (TraceError, ValueError):
            # Results traced through pyfunc's closure (``lambda v: w * v``), which NumPy
            # cannot cast to numbers, are differentiable here instead.
            if self.pyfunc is np._NoValue or not self._first_result_traced(args, kwargs):
                raise
        return self._traced_call(args, kwargs)

    def _first_result_traced(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether pyfunc's result for some element (or core subarray) of these plain
        arguments is traced, trying them in order until one is (``w * v if v > 0 else 0.0``
        is plain for the first element and traced for the second); False where none is,
        or a call fails, so that NumPy's error stands."""
        func, vargs = self._positional(args, kwargs)
        arrays = [np.asanyarray(a, dtype=object if self.signature is None else None) for a in vargs]
        ins = [()] * len(arrays) if self.signature is None else _core_dims(self.signature)[0]
        if not arrays or len(ins) != len(arrays):
            return False
        if any(a.ndim < len(core) or a.size == 0 for a, core in zip(arrays, ins)):
            return False
        try:
            loops = np.broadcast_shapes(*[a.shape[: a.ndim - len(c)] for a, c in zip(arrays, ins)])
            views = [np.broadcast_to(a, loops + a.shape[a.ndim - len(c) :]) for a, c in zip(arrays, ins)]
            for index in np.ndindex(*loops):
                if _traced(func(*[v[index] for v in views])):
                    return True
        except Exception:
            return False
        return False

    def _traced_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The vectorized call, looping here: some argument, or pyfunc's result, is traced."""
        func, vargs = self._positional(args, kwargs)
        if not vargs:
            return func()
        arrays = [_build(a) if _traced(a) else np.asarray(a) for a in vargs]
        ins: CoreDims
        outs: CoreDims | None
        if self.signature is None:
            ins, outs = [()] * len(arrays), None
        else:
            ins, outs = _core_dims(self.signature)
            if len(arrays) != len(ins):
                got = len(arrays)
                raise TypeError(f"wrong number of positional arguments: expected {len(ins)}, got {got}")
        sizes, loop_shape = _dimensions(arrays, ins)
        if 0 in loop_shape:  # pyfunc is never called: NumPy's result (or error) is a constant
            plain_kwargs = {k: getval(v) for k, v in kwargs.items()}
            return super().__call__(*[getval(a) for a in args], **plain_kwargs)
        return self._loop(func, arrays, ins, outs, sizes, loop_shape)

    def _positional(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Callable[..., Any], list[Any]]:
        """``pyfunc`` as a function of the vectorized arguments alone (positional ones, then
        keyword ones), and those arguments; excluded ones are passed to ``pyfunc`` as given."""
        if not kwargs and not self.excluded:
            return self.pyfunc, list(args)
        positions = [i for i in range(len(args)) if i not in self.excluded]
        names = [n for n in kwargs if n not in self.excluded]

        def func(*vargs: Any) -> Any:
            call_args = list(args)
            for i, value in zip(positions, vargs):
                call_args[i] = value
            return self.pyfunc(*call_args, **{**kwargs, **dict(zip(names, vargs[len(positions) :]))})

        return func, [args[i] for i in positions] + [kwargs[n] for n in names]

    def _loop(
        self,
        func: Callable[..., Any],
        arrays: list[Any],
        ins: CoreDims,
        outs: CoreDims | None,
        sizes: dict[str, int],
        loop_shape: tuple[int, ...],
    ) -> Any:
        """``func`` called at each index of ``loop_shape`` on the arguments' elements (or core
        subarrays), its results stacked into one array per output."""
        objects = self.signature is None  # NumPy's elementwise loop passes Python objects
        sources = [_elements_of(a, loop_shape + _core_shape(c, sizes), objects) for a, c in zip(arrays, ins)]
        counted, nout = ("signature", len(outs)) if outs is not None else ("its first call", None)
        if outs is None and self.otypes is not None:
            counted, nout = "otypes", len(self.otypes)
        results: list[tuple[Any, ...]] = []
        for index in np.ndindex(*loop_shape):
            result = func(*[s[index] if isinstance(s, np.ndarray) else getitem(s, index) for s in sources])
            result = result if isinstance(result, tuple) else (result,)
            nout = len(result) if nout is None else nout
            if len(result) != nout:
                raise ValueError(
                    f"plugrad.numpy.vectorize: pyfunc returned {len(result)} outputs at index {index}, "
                    f"but {counted} gives {nout}; return a tuple of {nout} every time."
                )
            results.append(result)
        if outs is None:
            outs = [()] * len(results[0])
        otypes = self.otypes
        outputs = []
        for k, core in enumerate(outs):
            column = [r[k] for r in results]
            for index, value in zip(np.ndindex(*loop_shape), column):
                _check_core(value, core, sizes, index)
            dtype = np.dtype(otypes[k]) if otypes is not None else _result_dtype(column[0], objects)
            outputs.append(_assemble(column, loop_shape + _core_shape(core, sizes), dtype))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


numpy_vectorize = Composite("numpy.vectorize", vectorize)


def _core_dims(signature: str) -> tuple[CoreDims, CoreDims]:
    """The core dimensions of each input and output of a gufunc signature (which NumPy
    validated when the instance was made): ``"(m,n),(n)->(m)"`` gives
    ``([("m", "n"), ("n",)], [("m",)])``."""
    inputs, outputs = re.sub(r"\s+", "", signature).split("->")

    def parse(side: str) -> CoreDims:
        return [tuple(d for d in dims.split(",") if d) for dims in re.findall(r"\(([^()]*)\)", side)]

    return parse(inputs), parse(outputs)


def _dimensions(arrays: list[Any], ins: CoreDims) -> tuple[dict[str, int], tuple[int, ...]]:
    """The size of each named core dimension, read from the trailing axes of the inputs,
    and the shape their other (leading) axes broadcast to: the loop's."""
    sizes: dict[str, int] = {}
    for a, core in zip(arrays, ins):
        _bind(sizes, shape_of(a), core, "argument")
    leading = [shape_of(a)[: len(shape_of(a)) - len(core)] for a, core in zip(arrays, ins)]
    return sizes, np.broadcast_shapes(*leading)


def _bind(sizes: dict[str, int], shape: tuple[int, ...], core: tuple[str, ...], what: str) -> None:
    if len(shape) < len(core):
        raise ValueError(
            f"{len(shape)}-dimensional {what} does not have enough dimensions "
            f"for all core dimensions {core!r}"
        )
    for dim, size in zip(core, shape[len(shape) - len(core) :]):
        if sizes.setdefault(dim, size) != size:
            raise ValueError(f"inconsistent size for core dimension {dim!r}: {size} vs {sizes[dim]}")


def _elements_of(a: Any, shape: tuple[int, ...], objects: bool) -> Any:
    """``a`` broadcast to ``shape`` (the loop's, then its core axes), for the loop to index:
    traced, or plain and holding what NumPy's loop passes (Python objects, with ``objects``)."""
    if isinstance(a, Box):
        # (a traced Python number becomes an array, which the loop can index with ())
        return a if shape_of(a) == shape and isinstance(getval(a), np.ndarray) else broadcast_to(a, shape)
    return np.broadcast_to(np.asanyarray(a, dtype=object) if objects else a, shape)


def _core_shape(core: tuple[str, ...], sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(sizes[d] for d in core)


def _check_core(value: Any, core: tuple[str, ...], sizes: dict[str, int], index: tuple[int, ...]) -> None:
    """That one result has the output's core shape (its new dimensions named by the first)."""
    shape = shape_of(value)
    if len(shape) != len(core):
        raise ValueError(
            f"plugrad.numpy.vectorize: pyfunc returned an array of shape {shape} at index {index}, "
            f"where the output's core dimensions are {core!r}"
            + (
                "; each call must return a scalar, or pass signature= (such as '()->(n)') to return arrays"
                if not core
                else ""
            )
        )
    _bind(sizes, shape, core, "output")


def _result_dtype(value: Any, elementwise: bool) -> np.dtype:
    """The dtype NumPy gives every result when ``otypes`` is not set: that of the first
    (only its kind, elementwise, so that strings of any length fit)."""
    dtype = np.asarray(getval(value)).dtype
    return np.dtype(dtype.char) if elementwise else dtype


def _assemble(column: list[Any], shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """The results of one output, each traced or plain, as one array of ``shape`` and ``dtype``."""
    if not any(_traced(v) for v in column):
        return np.array(column, dtype=dtype).reshape(shape)
    if dtype == np.dtype(object):
        raise NotDifferentiableError(
            "plugrad.numpy.vectorize: otypes asks for an object array, which cannot hold a "
            "differentiable result; give a numeric otype (such as otypes=[float]) instead."
        )
    stacked = _stack(0, *[_build(v) for v in column])
    return reshape(_finish(stacked, dtype), shape)
