"""Sample inputs, declared with each primitive, from which its gradient checks are made.

A :class:`Sample` holds the arguments of one call. Arguments that are *specs*
(:func:`rand`, :func:`scalar`, :func:`gen`) are made by the checker, once per
dtype it tries, from a seeded generator; they are the arguments differentiated
by default. Anything else (an axis, an index array) is passed as given::

    Sample(rand(3, 4), axis=1)                 # random float array, axis=1
    Sample(rand(3, low=0.1, high=2.0))         # inside a domain
    Sample(rand(2, 3), rand(3)).wrt(0)         # broadcasting; check argument 0 only
    Sample(gen(spd(3)))                        # built by a function of (rng, dtype)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Sample", "Spec", "rand", "scalar", "gen", "spd", "materialize"]


class Spec:
    """An argument the checker generates for each dtype it tries."""

    def make(self, rng: np.random.Generator, dtype: str) -> Any:
        raise NotImplementedError


class Rand(Spec):
    """Uniform random values in ``[low, high)`` (real and imaginary parts alike)."""

    # A plain slotted class, not a frozen dataclass: packs build about a thousand of
    # these when they are imported, and dataclasses cost import time.
    __slots__ = ("shape", "low", "high")

    def __init__(self, shape: tuple[int, ...] | None, low: float = -1.0, high: float = 1.0) -> None:
        self.shape = shape
        self.low = low
        self.high = high

    def __eq__(self, other: object) -> bool:
        if type(other) is not Rand:
            return NotImplemented
        return (self.shape, self.low, self.high) == (other.shape, other.low, other.high)

    def __hash__(self) -> int:
        return hash((self.shape, self.low, self.high))

    def __repr__(self) -> str:
        return f"Rand(shape={self.shape!r}, low={self.low!r}, high={self.high!r})"

    def make(self, rng: np.random.Generator, dtype: str) -> Any:
        shape = () if self.shape is None else self.shape
        x = rng.uniform(self.low, self.high, shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.uniform(self.low, self.high, shape)
        if self.shape is None:
            return complex(x) if np.dtype(dtype).kind == "c" else float(x) if dtype == "float64" else np.dtype(dtype).type(x)
        return np.asarray(x, dtype)


class Gen(Spec):
    """Values made by ``fn(rng, dtype)``: for structured domains (SPD matrices, simplices)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[np.random.Generator, str], Any]) -> None:
        self.fn = fn

    def __eq__(self, other: object) -> bool:
        if type(other) is not Gen:
            return NotImplemented
        return self.fn == other.fn

    def __hash__(self) -> int:
        return hash(self.fn)

    def __repr__(self) -> str:
        return f"Gen(fn={self.fn!r})"

    def make(self, rng: np.random.Generator, dtype: str) -> Any:
        return self.fn(rng, dtype)


def rand(*shape: int, low: float = -1.0, high: float = 1.0) -> Rand:
    """A random array of ``shape`` (``rand()`` is a 0-d array)."""
    return Rand(tuple(shape), low, high)


def scalar(low: float = -1.0, high: float = 1.0) -> Rand:
    """A random Python float (or complex, or NumPy scalar of the checked dtype)."""
    return Rand(None, low, high)


def gen(fn: Callable[[np.random.Generator, str], Any]) -> Gen:
    """An argument built by ``fn(rng, dtype)``."""
    return Gen(fn)


def spd(n: int, *batch: int) -> Callable[[np.random.Generator, str], Any]:
    """A maker of well-conditioned symmetric (Hermitian) positive-definite matrices."""

    def make(rng: np.random.Generator, dtype: str) -> Any:
        a = rng.standard_normal((*batch, n, n))
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal((*batch, n, n))
        m = a @ np.conj(np.swapaxes(a, -1, -2)) / n + np.eye(n)
        return np.asarray(m, dtype)

    return make


class Sample:
    """The arguments of one call of a primitive, and how to check it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.argnums: tuple[int, ...] | None = None
        self.rtol: float | None = None
        self.atol: float | None = None
        self.name: str | None = None
        self.dtypes: tuple[str, ...] | None = None
        self.order: int = 2

    def wrt(self, *argnums: int) -> Sample:
        """Differentiate with respect to these arguments only."""
        self.argnums = argnums
        return self

    def tol(self, rtol: float | None = None, atol: float | None = None) -> Sample:
        """Loosen (or tighten) the finite-difference tolerances for this sample."""
        self.rtol, self.atol = rtol, atol
        return self

    def named(self, name: str) -> Sample:
        self.name = name
        return self

    def only(self, *dtypes: str) -> Sample:
        """Check this sample at these dtypes only (say, where float32 is too coarse)."""
        self.dtypes = dtypes
        return self

    def first_order(self) -> Sample:
        """Skip the second-order checks (for rules whose derivative is not smooth here)."""
        self.order = 1
        return self

    def spec_argnums(self) -> tuple[int, ...]:
        """The arguments differentiated: those given by :meth:`wrt`, else every spec."""
        if self.argnums is not None:
            return self.argnums
        return tuple(i for i, a in enumerate(self.args) if isinstance(a, Spec))

    def describe(self) -> str:
        def one(a: Any) -> str:
            if isinstance(a, Rand):
                return "scalar" if a.shape is None else f"rand{a.shape}"
            if isinstance(a, Gen):
                return f"gen({getattr(a.fn, '__qualname__', 'fn')})"
            if isinstance(a, np.ndarray):
                return f"array{a.shape}"
            return repr(a)

        parts = [one(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        text = f"({', '.join(parts)})"
        return f"{self.name} {text}" if self.name else text

    def __repr__(self) -> str:
        return f"Sample{self.describe()}"


def materialize(sample: Sample, rng: np.random.Generator, dtype: str) -> tuple[list[Any], dict[str, Any]]:
    """The concrete arguments of ``sample`` at ``dtype``."""
    args = [a.make(rng, dtype) if isinstance(a, Spec) else a for a in sample.args]
    kwargs = {k: v.make(rng, dtype) if isinstance(v, Spec) else v for k, v in sample.kwargs.items()}
    return args, kwargs
