"""Checks of one primitive over its declared samples (the harness builds on this)."""

from __future__ import annotations

from typing import Any

import numpy as np

from plugrad.gradcheck.checks import (
    check_jvp_numeric,
    check_transpose,
    check_types,
    check_vjp_numeric,
    tolerance_for,
)
from plugrad.primitive import Primitive
from plugrad.sample import materialize

__all__ = ["check_primitive"]


def _partial(prim: Primitive, args: list[Any], kwargs: dict[str, Any], argnum: int) -> Any:
    def f(x: Any) -> Any:
        full = list(args)
        full[argnum] = x
        return prim(*full, **kwargs)

    return f


def check_primitive(prim: Primitive, *, seed: int = 0, order: int = 2) -> int:
    """Run every check on every sample, dtype and differentiable argument; raise on the
    first failure (the message names the primitive, sample, dtype and argument). Returns
    how many checks ran."""
    from plugrad.test_util import _check

    samples = prim.samples()
    if not samples:
        raise AssertionError(f"{prim.name} declares no samples")
    ran = 0
    for k, sample in enumerate(samples):
        dtypes = list(sample.dtypes or prim.dtypes)
        if prim.complex and sample.dtypes is None:
            dtypes.append("complex128")
        for dtype in dtypes:
            rng = np.random.default_rng(seed + k)
            args, kwargs = materialize(sample, rng, dtype)
            for argnum in sample.spec_argnums():
                label = f"{prim.name} sample {k} {sample.describe()} dtype {dtype} argument {argnum}"
                f = _partial(prim, args, kwargs, argnum)
                x = args[argnum]
                tol = tolerance_for(dtype, sample.rtol, sample.atol)
                check_vjp_numeric(f, x, rng, tol, label)
                check_jvp_numeric(f, x, rng, tol, label)
                check_transpose(f, x, rng, tol, label)
                check_types(f, x, rng, label)
                ran += 4
                if min(order, sample.order) > 1 and dtype in ("float64", "complex128"):
                    try:
                        _check(f, x, ("fwd", "rev"), 2, rng, sample.rtol, sample.atol)
                    except AssertionError as exc:
                        raise AssertionError(f"second order: {label}\n{exc}") from exc
                    ran += 1
    return ran
