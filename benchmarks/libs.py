"""The libraries under test, behind one small interface, so every workload is
written once and run by plugrad and autograd alike (PyTorch has its own
spellings, in ``torch_workloads.py``)."""

from __future__ import annotations

import dataclasses
import importlib
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["Lib", "autograd_lib", "plugrad_lib", "torch_module"]


@dataclasses.dataclass(frozen=True)
class Lib:
    """A NumPy-style AD library: its ``numpy`` namespace and differential operators.

    ``linalg`` and ``special`` are ``None`` where the library does not (yet)
    differentiate them; ``missing`` then says why, for the table's notes.
    """

    name: str
    np: Any
    grad: Callable[..., Any]
    value_and_grad: Callable[..., Any]
    elementwise_grad: Callable[..., Any]
    hessian_vector_product: Callable[..., Any]
    linalg: Any | None
    special: Any | None
    missing: dict[str, str]


def plugrad_lib() -> Lib:
    with warnings.catch_warnings():
        # Packs still being written (linalg, scipy.special) warn that they failed to
        # load; the table says so in its notes instead.
        warnings.simplefilter("ignore")
        import plugrad.numpy as pnp

        import plugrad

        registry = plugrad.default_registry()
        missing: dict[str, str] = {}
        linalg = special = None
        need = {
            "linalg": ["numpy.linalg.slogdet", "numpy.linalg.solve"],
            "special": ["scipy.special.gammaln", "scipy.special.erf", "scipy.special.digamma"],
        }
        absent = {
            kind: [name for name in names if registry.lookup(name) is None] for kind, names in need.items()
        }
        if absent["linalg"]:
            missing["linalg"] = _absent_note(registry, absent["linalg"])
        else:
            linalg = importlib.import_module("plugrad.numpy.linalg")
        if absent["special"]:
            missing["special"] = _absent_note(registry, absent["special"])
        else:
            special = importlib.import_module("plugrad.scipy.special")
    return Lib(
        "plugrad",
        pnp,
        plugrad.grad,
        plugrad.value_and_grad,
        plugrad.elementwise_grad,
        plugrad.hessian_vector_product,
        linalg,
        special,
        missing,
    )


def _absent_note(registry: Any, names: list[str]) -> str:
    failed = [p.name for p in registry.packs.values() if p.status != "loaded"]
    why = f" (packs not loaded: {', '.join(failed)})" if failed else ""
    return f"skipped for plugrad: no pack registers {', '.join(names)}{why}"


def autograd_lib() -> Lib:
    import autograd
    import autograd.numpy as anp
    import autograd.scipy.special as asp

    return Lib(
        "autograd",
        anp,
        autograd.grad,
        autograd.value_and_grad,
        autograd.elementwise_grad,
        autograd.hessian_vector_product,
        anp.linalg,
        asp,
        {},
    )


def torch_module() -> Any | None:
    """``torch``, single-threaded, or ``None`` where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch
