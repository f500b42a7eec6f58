"""Evaluating what a differential operator returns lazily."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["computed"]


def computed(fun: Callable[..., Any], **compute_kwargs: Any) -> Callable[..., Any]:
    """``fun`` with its result computed: every Dask array in it (inside tuples, lists and
    dicts too) evaluated in one ``dask.compute``, so work shared by the value and the
    gradient is done once. ``compute_kwargs`` go to ``dask.compute``.

    ``computed(value_and_grad(loss))(w)`` returns ``(float, ndarray)``, what
    ``scipy.optimize.minimize(..., jac=True)`` wants.
    """

    @functools.wraps(fun)
    def evaluated(*args: Any, **kwargs: Any) -> Any:
        import dask

        (result,) = dask.compute(fun(*args, **kwargs), **compute_kwargs)
        return result

    return evaluated
