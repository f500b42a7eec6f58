"""ArrayBox: a traced float, complex, NumPy scalar or array, with the operators,
attributes and methods of an ndarray."""

from __future__ import annotations

import dis
import functools
import operator
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from plugrad import Box, Primitive, TraceError
from plugrad.box import check_refused, getval
from plugrad.primitive import binary_method, unary_method
from plugrad_numpy import binary as B
from plugrad_numpy import unary as U
from plugrad_numpy._util import integral

__all__ = ["ArrayBox", "BOXED_TYPES"]

BOXED_TYPES = (
    float,
    complex,
    np.ndarray,
    np.float16,
    np.float32,
    np.float64,
    np.longdouble,
    np.complex64,
    np.complex128,
    np.clongdouble,
)


class _Later:
    """A module of this pack imported where a method first needs it, then put in this
    module's globals in place of this stand-in, so later calls read the module directly.
    The first gradient imports ArrayBox; a gradient that never indexes, reshapes or
    multiplies matrices does not wait for those modules (about 4 ms)."""

    __slots__ = ("alias", "module")

    def __init__(self, alias: str, module: str) -> None:
        self.alias = alias
        self.module = module

    def __getattr__(self, attr: str) -> Any:
        import importlib

        module = importlib.import_module(self.module)
        globals()[self.alias] = module
        return getattr(module, attr)


I: Any = _Later("I", "plugrad_numpy.indexing")
L: Any = _Later("L", "plugrad_numpy.linear")
R: Any = _Later("R", "plugrad_numpy.reductions")
S: Any = _Later("S", "plugrad_numpy.shape")


def _fast_operators(kind: str) -> None:
    """Put the one-call fast paths of ``@`` or of indexing on ArrayBox, in place of the
    methods below that import their module on first use."""
    if kind == "matmul":
        setattr(ArrayBox, "__matmul__", binary_method(L.matmul))
        setattr(ArrayBox, "__rmatmul__", binary_method(L.matmul, reflected=True))
    else:
        setattr(ArrayBox, "__getitem__", binary_method(I.getitem))


def _compare(name: str, x: Any, y: Any) -> Any:
    from plugrad_numpy import nondiff  # only while recording: not imported for gradients

    return getattr(nondiff, name)(x, y)


class ArrayBox(Box):
    """A traced numeric value that behaves like an ndarray."""

    __slots__ = ()
    __array_priority__ = 100.0

    # Arithmetic. Operators use the ``operator.*`` twins so Python floats stay floats.
    __add__ = binary_method(B.op_add)
    __radd__ = binary_method(B.op_add, reflected=True)
    __sub__ = binary_method(B.op_sub)
    __rsub__ = binary_method(B.op_sub, reflected=True)
    __mul__ = binary_method(B.op_mul)
    __rmul__ = binary_method(B.op_mul, reflected=True)
    __truediv__ = binary_method(B.op_truediv)
    __rtruediv__ = binary_method(B.op_truediv, reflected=True)
    __pow__ = binary_method(B.op_pow)
    __rpow__ = binary_method(B.op_pow, reflected=True)
    __mod__ = binary_method(B.op_mod)
    __rmod__ = binary_method(B.op_mod, reflected=True)

    def __floordiv__(self, other: Any) -> Any:
        return _floor_divide(getval(self), getval(other))

    def __rfloordiv__(self, other: Any) -> Any:
        return _floor_divide(getval(other), getval(self))

    def __divmod__(self, other: Any) -> Any:
        return self // other, self % other  # the quotient is piecewise constant

    def __rdivmod__(self, other: Any) -> Any:
        return other // self, other % self

    def __format__(self, spec: str) -> str:
        return format(getval(self), spec)  # f"{x:.3f}" prints the value

    # The operators of modules imported on first use (see _Later): the first call installs
    # their fast paths, binary_method(...) as above, in place of these methods.
    def __matmul__(self, other: Any) -> Any:
        _fast_operators("matmul")
        return ArrayBox.__matmul__(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        _fast_operators("matmul")
        return ArrayBox.__rmatmul__(self, other)

    __neg__ = unary_method(U.negative)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return U.abs(self)

    # Comparisons are not differentiable: they return plain booleans. On a trace recorded
    # for replay (misc.const_graph) they are recorded, so a replay compares anew.
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if self._trace.recording:
            return _compare("equal", self, other)
        return getval(self) == getval(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        if self._trace.recording:
            return _compare("not_equal", self, other)
        return getval(self) != getval(other)

    def __lt__(self, other: Any) -> Any:
        if self._trace.recording:
            return _compare("less", self, other)
        return getval(self) < getval(other)

    def __le__(self, other: Any) -> Any:
        if self._trace.recording:
            return _compare("less_equal", self, other)
        return getval(self) <= getval(other)

    def __gt__(self, other: Any) -> Any:
        if self._trace.recording:
            return _compare("greater", self, other)
        return getval(self) > getval(other)

    def __ge__(self, other: Any) -> Any:
        if self._trace.recording:
            return _compare("greater_equal", self, other)
        return getval(self) >= getval(other)

    __hash__ = Box.__hash__

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TraceError(
            "item assignment (A[i] = x) on a traced array is not supported: it would change a "
            "value the derivative still needs. Build a new array instead, e.g. "
            "np.where(mask, x, A), np.concatenate([...]) or np.stack([...]); or collect the "
            "pieces in a list and combine them at the end."
        )

    # Container protocol.
    def __getitem__(self, index: Any) -> Any:
        _fast_operators("getitem")
        return ArrayBox.__getitem__(self, index)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Any]:
        return (I.getitem(self, i) for i in range(len(self._value)))

    # Converting to a plain number would silently drop the derivative (y[0] = x into a
    # NumPy array, float(x) in a formula): refuse, and say how to write it.
    def __float__(self) -> float:
        raise _plain_number_error("float")

    def __int__(self) -> int:
        raise _plain_number_error("int")

    def __complex__(self) -> complex:
        raise _plain_number_error("complex")

    def __index__(self) -> int:
        return operator.index(getval(self))  # an int's; a float's TypeError, as Python's own

    def __round__(self, ndigits: int | None = None) -> Any:
        # round(x, n) is np.round(x, n), traced, as on a NumPy scalar; round(x) is an int,
        # which would drop the derivative as int(x) would.
        if ndigits is None:
            raise _plain_number_error("round")
        return _method("round")(self, ndigits)

    # Attributes.
    @property
    def shape(self) -> tuple[int, ...]:
        return getattr(getval(self), "shape", ())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self) -> np.dtype:
        value = getval(self)
        dtype = getattr(value, "dtype", None)
        return dtype if dtype is not None else np.result_type(value)

    # How the value lies in memory, which has no derivative: the value's.
    @property
    def itemsize(self) -> int:
        return int(self.dtype.itemsize)

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def strides(self) -> tuple[int, ...]:
        return np.asarray(getval(self)).strides

    @property
    def flags(self) -> Any:
        return np.asarray(getval(self)).flags

    @property
    def T(self) -> Any:
        return S.transpose(self)

    @property
    def mT(self) -> Any:
        return S.swapaxes(self, -1, -2)

    @property
    def real(self) -> Any:
        return U.real(self)

    @property
    def imag(self) -> Any:
        return U.imag(self)

    # Methods, as the functions of the same name.
    def conj(self) -> Any:
        return U.conj(self)

    def conjugate(self) -> Any:
        return U.conjugate(self)

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        return U.astype(self, dtype, *args, **kwargs)

    def reshape(self, *shape: Any, **kwargs: Any) -> Any:
        reshape = S.numpy_reshape if kwargs else S.reshape  # (the order may depend on the layout)
        return reshape(self, shape[0] if len(shape) == 1 else shape, **kwargs)

    def transpose(self, *axes: Any) -> Any:
        return S.transpose(self, (axes[0] if len(axes) == 1 else axes) if axes else None)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        return S.swapaxes(self, axis1, axis2)

    def ravel(self, order: str = "C") -> Any:
        return S.numpy_ravel(self, order)

    def flatten(self, order: str = "C") -> Any:
        return S.numpy_ravel(self, order)

    def squeeze(self, axis: Any = None) -> Any:
        return S.squeeze(self, axis)

    def sum(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if axis is None and dtype is None and out is None and not keepdims and not kwargs:
            return R.sum(self)  # one argument: the primitive's fast path
        if out is not None:
            kwargs["out"] = out  # refused by the primitive, as np.sum(x, out=...) is
        return R.sum(self, axis=axis, dtype=dtype, keepdims=keepdims, **kwargs)  # initial=, where=

    def mean(self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if axis is None and dtype is None and out is None and not keepdims and not kwargs:
            return R.mean(self)
        if out is not None:
            kwargs["out"] = out
        return R.mean(self, axis=axis, dtype=dtype, keepdims=keepdims, **kwargs)  # where=

    def dot(self, other: Any) -> Any:
        return L.dot(self, other)

    def compress(self, condition: Any, axis: Any = None) -> Any:
        return _method("compress")(condition, self, axis=axis)

    def _in_place(self, name: str) -> TraceError:
        return TraceError(
            f"ndarray.{name} changes the array in place, which a traced array cannot do: the "
            f"derivative still needs the old value. Build a new array instead: {_INSTEAD[name]}."
        )

    def sort(self, *args: Any, **kwargs: Any) -> None:
        raise self._in_place("sort")

    def partition(self, *args: Any, **kwargs: Any) -> None:
        raise self._in_place("partition")

    def fill(self, *args: Any, **kwargs: Any) -> None:
        raise self._in_place("fill")

    def put(self, *args: Any, **kwargs: Any) -> None:
        raise self._in_place("put")

    def resize(self, *args: Any, **kwargs: Any) -> None:
        raise self._in_place("resize")

    # Raw NumPy calls on traced values: dispatch to the pack's primitive of the same
    # name, or explain how to write it.
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "__call__" and not kwargs:  # ndarray @ box, ndarray * box: the common case
            entry = _ufuncs.get(ufunc)
            if entry is not None:
                if len(inputs) == 2 and type(entry) is Primitive:
                    apply2 = entry._apply2  # (a local: see Primitive.__call__)
                    return apply2(*inputs)  # one of them is this box
                return entry(*inputs)
        name = ufunc.__name__
        if "out" in kwargs:
            out = kwargs["out"]
            if any(o is i for o in (out if isinstance(out, tuple) else (out,)) for i in inputs):
                op = _OPERATORS.get(name, "+")
                raise TraceError(  # acc += x, with acc a NumPy array and x traced
                    f"an in-place {name} (acc {op}= x) of a NumPy array with a traced value would "
                    "write the value into the array and drop its derivative: rebind the name "
                    f"instead (acc = acc {op} x)."
                )
            raise TraceError(
                f"{name}(..., out=...) writes its result into an existing array, which a traced "
                f"value cannot do: drop out= and use the returned value (y = np.{name}(...))."
            )
        if method == "__call__":
            entry = _lookup("numpy", name) or _lookup("scipy.special", name)
            if entry is not None:
                _ufuncs[ufunc] = entry
                return entry(*inputs, **kwargs)
        elif method in ("reduce", "accumulate") and (name, method) in _UFUNC_METHODS:
            entry = _lookup("numpy", _UFUNC_METHODS[name, method])  # np.add.reduce(x): np.sum(x, axis=0)
            if entry is not None:
                kwargs.setdefault("axis", 0)
                if method == "accumulate" and not isinstance(kwargs["axis"], (int, np.integer)):
                    raise ValueError(f"accumulate does not allow multiple axes (numpy.{name}.accumulate, axis={kwargs['axis']!r})")
                if name in ("maximum", "minimum") and "dtype" in kwargs:  # (max and min take none)
                    dtype = kwargs.pop("dtype")
                    if dtype is not None:  # (as NumPy casts: a monotone cast commutes with max)
                        return _lookup("numpy", "asarray")(entry(*inputs, **kwargs), dtype)
                return entry(*inputs, **kwargs)
        elif method == "outer" and len(inputs) == 2 and not kwargs:
            entry = _lookup("numpy", name)
            if entry is not None:  # np.multiply.outer(a, b): a, with an axis of length 1 per axis of b, times b
                a, b = inputs
                return entry(_lookup("numpy", "reshape")(a, (*np.shape(a), *(1,) * np.ndim(b))), b)
        raise _ufunc_method_error(name, method)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        module = (getattr(func, "__module__", None) or "numpy").replace("numpy._core", "numpy").replace("numpy.core", "numpy")
        if module.startswith("numpy.lib") or module.startswith("numpy._"):
            module = "numpy"
        entry = _lookup(module, func.__name__)
        if entry is not None:
            return entry(*args, **kwargs)
        raise _raw_numpy_error(f"{module}.{func.__name__}")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # A cast to integers or booleans (np.int64(x), as autograd allows) has derivative
        # zero: give the plain values. Any other conversion would drop a derivative.
        if integral(dtype):
            return np.asarray(getval(self), dtype, copy=copy)
        if self._trace.tape is None and not self._trace.forward:
            raise TraceError(
                "A traced value from a differentiation that has already finished was converted "
                "to a NumPy array. A traced value must not escape the function being "
                "differentiated; return it instead (see grad_and_aux)."
            )
        caller = _frame(1)  # the Python code that handed the box to NumPy (NumPy is C)
        if _stores(caller):
            raise _store_error()
        _check_owners(caller)
        raise TraceError(
            f"{_site(caller)}NumPy tried to convert a traced value to a plain array (numpy.array or numpy.asarray "
            "of it, a NumPy function given a list that holds traced values, or a numpy.random "
            "sampler given one, or an ndarray method such as A.dot(x) given one, or a traced "
            "value used as an index, which has no derivative: index with getval(i)), which would "
            "drop its derivative. Use plugrad's namespace: "
            "`import plugrad.numpy as np`, then np.array([...]), np.stack, np.sum and the rest "
            "keep it traced (np.dot(A, x) or A @ x for A.dot(x)); np.random's samplers take "
            "traced parameters but do not "
            "differentiate them (write mu + sigma * np.random.standard_normal(shape))."
        )


class _PackMethod:
    """``box.name`` for an ndarray method that ArrayBox does not define (prod, max, cumsum,
    clip, ...): the loaded pack's ``numpy.name`` with the box as first argument, so it is
    differentiable wherever that function is.

    A descriptor per name rather than ``__getattr__``: a class with ``__getattr__`` makes
    every attribute read of its instances slow, ``box._value`` included, which the
    kernel does several times per operation.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, box: Any, owner: type | None = None) -> Any:
        if box is None:
            return self
        if self.name in _TO_PYTHON:  # AttributeError, so hasattr(x, "item") stays False
            raise AttributeError(
                f"ndarray.{self.name}() of a traced array would drop its derivative: "
                f"{_TO_PYTHON[self.name]}; for a constant, plugrad.box.getval(x).{self.name}()."
            )
        entry = _method(self.name)
        if entry is None:
            instead = _NO_METHOD.get(self.name, f"plugrad.box.getval(x).{self.name} for the plain value, which has no derivative")
            raise AttributeError(
                f"ndarray.{self.name} is not differentiable: no loaded pack registers numpy.{self.name}. "
                f"Instead: {instead}."
            )
        return lambda *args, **kwargs: entry(box, *args, **kwargs)


# What to write for the ndarray attributes no pack differentiates.
_NO_METHOD = {
    "flat": "np.ravel(x), which x.flat[i] reads as np.ravel(x)[i]",
    "view": "x itself, which holds the same values (a view as another dtype reinterprets the bits, which has no derivative)",
}


for _name in [*dir(np.ndarray), "ptp"]:  # (NumPy 2 dropped ndarray.ptp; autograd's boxes have it)
    if not _name.startswith("_") and not hasattr(ArrayBox, _name):
        setattr(ArrayBox, _name, _PackMethod(_name))


_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**", "matmul": "@"}


def _floor_divide(x: Any, y: Any) -> Any:
    try:
        return x // y
    except ZeroDivisionError:  # a Python float by 0.0: NumPy's inf or nan, as for x % 0.0
        return np.floor_divide(x, y)


_TO_PYTHON = {  # ndarray methods that return plain Python numbers
    "item": "use the array itself (x[i] for an element, x.reshape(()) for a 0-d value)",
    "tolist": "use list(x) or x[i], whose elements stay traced",
}

_INSTEAD = {
    "sort": "x = np.sort(x)",
    "partition": "x = np.partition(x, kth)",
    "fill": "x = np.full_like(x, value)",
    "put": "x = np.where(mask, values, x), or np.concatenate of the pieces",
    "resize": "x = np.resize(x, shape) or np.reshape(x, shape)",
}


def _plain_number_error(kind: str) -> TraceError:
    if _stores(_frame(2)):  # (here <- __float__ <- the caller)
        return _store_error()
    return TraceError(
        f"{kind}() of a traced value would drop its derivative. The functions of Python's "
        "math module (math.sin(x), math.exp(x), math.floor(x)...) call it too: use "
        "plugrad.numpy's (np.sin(x), ...) instead. Keep the value traced: use it itself in "
        "formulas and build arrays with np.array([...]) or np.stack. For a plain number that "
        "is meant to be constant (a log line, a step size), use plugrad.box.getval(x); to "
        "print one, f'{x:.3f}' formats its value."
    )


def _store_error() -> TraceError:
    return TraceError(
        "a[i] = x stores a traced value into a plain NumPy array, which cannot hold its "
        "derivative (NumPy then reports 'setting an array element with a sequence'). Build the "
        "array from traced values instead: np.array([x, y]) or np.stack([...]); or write the "
        "update as a formula with a mask of a's shape: mask = np.zeros(a.shape, bool); "
        "mask[i] = True; a = np.where(mask, x, a), with x shaped to broadcast against a (for "
        "a[:, j] = x with x an array, x[:, None])."
    )


def _frame(depth: int) -> Any:
    """The frame ``depth`` calls above the caller, or None."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


def _stores(frame: Any) -> bool:
    """Whether ``frame`` is at a subscript store (``a[i] = x``): NumPy converting the box to
    put it into an array."""
    try:
        return dis.opname[frame.f_code.co_code[frame.f_lasti]] in ("STORE_SUBSCR", "STORE_SLICE")  # (3.12+: a[i:j] = x)
    except (AttributeError, IndexError, TypeError):  # no frame, or another interpreter
        return False


def _check_owners(frame: Any) -> None:
    """Raise the refusal of a refused array type (a masked array) one of whose methods, in
    library code calling down to ``frame``, was handed a box (``masked * x``): it says why."""
    libraries = _library_dirs()
    while frame is not None and frame.f_code.co_filename.startswith(libraries):
        if "self" in frame.f_code.co_varnames:
            check_refused(type(frame.f_locals["self"]))
        frame = frame.f_back


def _site(frame: Any) -> str:
    """Where the conversion happened: ``"In solve (scipy/linalg/_basic.py), called at
    model.py:12: "`` where a library function (SciPy's, NumPy's) did it, else ``"In loss
    (model.py:12): "``."""
    libraries = _library_dirs()
    entry = None  # the outermost frame of library code, the function the user called
    while frame is not None and frame.f_code.co_filename.startswith(libraries):
        entry, frame = frame, frame.f_back
    if frame is None:
        return ""
    here = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    if entry is None:
        return f"In {frame.f_code.co_name} ({here}): "
    path = entry.f_code.co_filename
    for root in libraries:
        if path.startswith(root):
            path = path[len(root) :].lstrip(os.sep)
            break
    return f"In {entry.f_code.co_name} ({path}), called at {here}: "


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    """Where installed libraries and the standard library live, and plugrad itself."""
    import sysconfig

    import plugrad

    paths = sysconfig.get_paths()
    dirs = {paths[k] for k in ("purelib", "platlib", "stdlib", "platstdlib") if k in paths}
    dirs |= {os.path.dirname(plugrad.__file__), os.path.dirname(os.path.dirname(__file__))}  # (the packs)
    return tuple(sorted((os.path.join(d, "") for d in dirs), key=len, reverse=True))


def _method(name: str) -> Any:
    from plugrad.registry import default_registry

    return default_registry().lookup(f"numpy.{name}")


_dispatch: dict[str, Any] = {}  # "numpy.sin" -> the default registry's entry (or None)
_ufuncs: dict[Any, Any] = {}  # numpy.sin -> the same entry, found without building its name


def _lookup(module: str, name: str) -> Any:
    qualname = f"{module}.{name}"
    try:
        return _dispatch[qualname]
    except KeyError:
        pass
    from plugrad.registry import default_registry

    try:
        entry = default_registry().lookup(qualname)
    except Exception:  # noqa: BLE001 - fall through to the explanatory error
        return None
    entry = _dispatch[qualname] = entry if callable(entry) else None
    return entry


# Ufunc methods given a traced value, as the pack's functions that compute them.
_UFUNC_METHODS = {
    ("add", "reduce"): "sum",
    ("multiply", "reduce"): "prod",
    ("maximum", "reduce"): "max",
    ("minimum", "reduce"): "min",
    ("add", "accumulate"): "cumsum",
    ("multiply", "accumulate"): "cumprod",
}


def _ufunc_method_error(name: str, method: str) -> TraceError:
    if method == "__call__":
        return _raw_numpy_error(f"numpy.{name}")
    if method == "at":
        how = (
            "it changes an array in place, which a traced value cannot take part in: build the "
            "result as a new array (np.where, np.concatenate, or a sum over a mask)"
        )
    else:
        how = (
            "no pack differentiates it: write it with the functions that do (np.add.reduce is "
            "np.sum(x, axis=0), np.multiply.accumulate np.cumprod(x, axis=0), np.f.outer(a, b) "
            "np.f of a reshaped to a.shape + (1,) * b.ndim, and b; reduceat: np.sum of each slice, "
            "then np.stack)"
        )
    return TraceError(f"numpy.{name}.{method} was called on a traced value, but {how}.")


def _raw_numpy_error(name: str) -> TraceError:
    return TraceError(
        f"{name} was called on a traced value, which plain NumPy cannot differentiate. "
        f"Use plugrad's namespace instead: `import plugrad.numpy as np` (plugrad.{name}), "
        "or, if no pack differentiates it, define it with plugrad.extend.primitive."
    )
