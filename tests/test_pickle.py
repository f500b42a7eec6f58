"""plugrad's functions pickle by reference, as Python functions do, so they can be sent to
other processes (multiprocessing, joblib, Dask's distributed scheduler)."""

from __future__ import annotations

import functools
import pickle
import subprocess
import sys
from typing import Any

import numpy as onp
import pytest

import plugrad.numpy as np
import plugrad.numpy.linalg
import plugrad.scipy.special as special
from plugrad import NonDifferentiable, Primitive, grad
from plugrad.extend import defvjp, notrace_primitive, primitive


@primitive
def cube(x: Any) -> Any:
    return x**3


defvjp(cube, lambda ans, x: lambda g: 3 * x**2 * g)


@notrace_primitive
def positive(x: Any) -> Any:
    return x > 0


PUBLISHED = {
    "primitive": np.tanh,
    "operator's primitive": np.multiply,
    "non-differentiable": np.argmax,
    "composite": np.vstack,
    "linalg": np.linalg.slogdet,
    "scipy.special": special.gammaln,
    "unregistered": np.busday_count,
}


@pytest.mark.parametrize("kind", PUBLISHED)
def test_a_namespace_function_pickles_as_a_reference_to_itself(kind: str) -> None:
    fun = PUBLISHED[kind]
    data = pickle.dumps(fun)
    assert pickle.loads(data) is fun
    assert len(data) < 120  # a name, not the rules and closures


def test_a_module_level_primitive_pickles_by_its_module_and_name() -> None:
    assert isinstance(cube, Primitive) and isinstance(positive, NonDifferentiable)
    assert pickle.loads(pickle.dumps(cube)) is cube
    assert pickle.loads(pickle.dumps(positive)) is positive
    again = pickle.loads(pickle.dumps(functools.partial(cube)))
    assert grad(again)(2.0) == 12.0


def test_a_primitive_with_nothing_to_find_it_by_cannot_be_pickled() -> None:
    anonymous = primitive(lambda x: x)
    with pytest.raises((pickle.PicklingError, AttributeError), match="<lambda>"):
        pickle.dumps(anonymous)
    nameless = Primitive("nowhere.f", abs)  # neither a pack's nor a module's
    with pytest.raises(pickle.PicklingError, match="Define it at module level"):
        pickle.dumps(nameless)
    nameless.pack = "nowhere"  # as a registry built in a test marks it: no namespace publishes it
    with pytest.raises(pickle.PicklingError, match="Define it at module level"):
        pickle.dumps(nameless)


def test_pickled_functions_are_differentiable_in_a_fresh_interpreter() -> None:
    payload = pickle.dumps((np.tanh, functools.partial(np.sum, axis=0), np.vstack, special.gammaln))
    child = (
        "import pickle, sys\n"
        "import numpy\n"
        "tanh, total, vstack, gammaln = pickle.load(sys.stdin.buffer)\n"
        "from plugrad import grad\n"
        "f = lambda x: total(vstack([tanh(x), gammaln(x + 1.0)])).sum()\n"
        "print(repr(grad(f)(numpy.array([0.5, 2.0])).tolist()))\n"
    )
    out = subprocess.run([sys.executable, "-c", child], input=payload, capture_output=True, check=True).stdout
    expected = grad(lambda x: np.sum(np.sum(np.vstack([np.tanh(x), special.gammaln(x + 1.0)]), axis=0)))(
        onp.array([0.5, 2.0])
    )
    assert eval(out.decode()) == expected.tolist()


# autograd's ``autograd.misc.flatten`` is a module and a function; plugrad's is a module
# whose import replaces the function as plugrad.misc's attribute. The function read before
# that import did not pickle after it ("not the same object as plugrad.misc.flatten"), nor
# did the module, read after it.
_FLATTEN_BEFORE_AND_AFTER = """
import pickle
import plugrad.misc
early = plugrad.misc.flatten
import plugrad.misc.flatten
late = plugrad.misc.flatten
from plugrad.misc.flatten import flatten
assert late.__function__ is early is flatten
assert pickle.loads(pickle.dumps(early)) is early and pickle.loads(pickle.dumps(late)) is late
assert pickle.loads(pickle.dumps(late))([1.0, (2.0,)])[0].tolist() == [1.0, 2.0]
"""


def test_flatten_pickles_before_and_after_its_module_is_imported() -> None:
    done = subprocess.run([sys.executable, "-c", _FLATTEN_BEFORE_AND_AFTER], capture_output=True, check=False, text=True)
    assert done.returncode == 0, done.stderr
