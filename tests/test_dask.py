"""The Dask pack: gradients over Dask arrays, lazily, computed on a local dask.distributed cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import numpy
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")

import dask.array as da
import plugrad_dask
import scipy.optimize
from distributed import Client, LocalCluster
from plugrad_dask import reductions

import plugrad
from plugrad import make_vjp, value_and_grad, vspace
from plugrad.test_util import check_grads

ROWS, CHUNKS, D, HIDDEN = 250, 12, 5, 4  # data of 3000 x 5 in 12 blocks of rows
LAM = 1e-2


@pytest.fixture(scope="module", autouse=True)
def dask_pack() -> None:
    """The pack in the default registry (until pyproject.toml declares its entry point)."""
    registry = plugrad.default_registry()
    if "dask" not in registry.packs:
        registry.register_pack(plugrad_dask, "dask", distribution="plugrad")
    plugrad.registry.ensure_types()


@pytest.fixture(scope="module")
def client() -> Any:
    """A real cluster on loopback: two worker processes, one thread each."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


class Computed(Exception):
    pass


def forbid(*args: Any, **kwargs: Any) -> None:
    raise Computed("a Dask graph was computed while plugrad traced the function")


# -- the models, each a function of parameters and data, written with NumPy -------------


def logistic(w: Any, X: Any, y: Any) -> Any:
    return numpy.mean(numpy.logaddexp(0, -y * (X @ w))) + LAM * numpy.sum(w**2)


def least_squares(w: Any, X: Any, y: Any) -> Any:
    r = X @ w - y
    return 0.5 * numpy.sum(r * r) / len(y)


def mlp(params: Any, X: Any, y: Any) -> Any:
    W1, b1, w2, b2 = params
    hidden = numpy.tanh(X @ W1 + b1)
    return numpy.mean((hidden @ w2 + b2 - y) ** 2) + LAM * (numpy.sum(W1**2) + numpy.sum(w2**2))


def softmax(W: Any, X: Any, y: Any) -> Any:
    """Softmax regression over the classes -1 and 1, the logits shifted by their row maximum."""
    Z = X @ W
    Z = Z - numpy.max(Z, axis=1, keepdims=True)
    Y = y[:, None] == numpy.array([-1.0, 1.0])  # one-hot labels, a constant
    return -numpy.mean(numpy.sum(Y * Z, axis=1) - numpy.log(numpy.sum(numpy.exp(Z), axis=1)))


def data(seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    rng = numpy.random.default_rng(seed)
    X = rng.standard_normal((ROWS * CHUNKS, D))
    y = numpy.sign(X @ numpy.linspace(-1, 1, D) + 0.5 * rng.standard_normal(ROWS * CHUNKS))
    return X, y


def chunked(X: numpy.ndarray, y: numpy.ndarray) -> tuple[Any, Any]:
    return da.from_array(X, chunks=(ROWS, D)), da.from_array(y, chunks=ROWS)


def params(model: Any) -> Any:
    rng = numpy.random.default_rng(1)
    if model is mlp:
        return (
            rng.standard_normal((D, HIDDEN)),
            rng.standard_normal(HIDDEN),
            rng.standard_normal(HIDDEN),
            0.1,
        )
    if model is softmax:
        return rng.standard_normal((D, 2))
    return rng.standard_normal(D)


MODELS = [logistic, least_squares, mlp, softmax]


# -- the pack ---------------------------------------------------------------------------


def test_registers_types_by_name_and_overrides_sum_and_mean() -> None:
    registry = plugrad.default_registry()
    assert {(t.kind, t.type.strip("'")) for t in registry.packs["dask"].types} == {
        ("vspace", "dask.array.core.Array"),
        ("box", "dask.array.core.Array"),
        ("sequences", "list, tuple"),
    }
    assert {t.handler for t in registry.packs["dask"].types if t.kind in ("vspace", "box")} == {
        "plugrad_dask.vspace:DaskVSpace",  # by name: imported when a Dask array first appears
        "plugrad_dask.box:DaskArrayBox",
    }
    assert registry.lookup("numpy.sum") is reductions.sum
    assert registry.lookup("numpy.mean") is reductions.mean
    assert registry.overrides()["numpy.sum"] == ("dask", ["numpy"])
    assert registry.overrides()["numpy.mean"] == ("dask", ["numpy"])


def _fresh_python(code: str, **env: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_numpy_users_never_import_dask() -> None:
    out = _fresh_python(
        """
        import json, sys
        import numpy, plugrad, plugrad_dask
        registry = plugrad.default_registry()
        registry.packs.get("dask") or registry.register_pack(plugrad_dask, "dask")
        g = plugrad.grad(lambda x: numpy.mean(numpy.sin(x) ** 2))(numpy.arange(3.0))
        print(json.dumps({"dask": "dask" in sys.modules, "grad": list(g),
                          "box": "plugrad_dask.box" in sys.modules, "vspace": "plugrad_dask.vspace" in sys.modules}))
        """
    )
    assert out["dask"] is False
    assert out["box"] is False and out["vspace"] is False  # registered by name: imported for a Dask array
    numpy.testing.assert_allclose(out["grad"], numpy.sin(2 * numpy.arange(3.0)) / 3)


def test_without_dask_the_pack_declares_and_registers_nothing() -> None:
    out = _fresh_python(
        """
        import json, sys
        sys.modules["dask"] = None  # as if Dask were not installed
        import plugrad, plugrad_dask
        registry = plugrad.default_registry()
        info = registry.packs.get("dask") or registry.register_pack(plugrad_dask, "dask")
        plugrad.registry.ensure_types()
        registry.load_all()
        print(json.dumps({"namespaces": info.namespaces, "types": len(info.types),
                          "overrides": list(registry.overrides())}))
        """
    )
    assert out == {"namespaces": [], "types": 0, "overrides": []}


# -- laziness and agreement with NumPy ----------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_tracing_builds_a_graph_and_computes_nothing(model: Any) -> None:
    X, y = chunked(*data())
    with dask.config.set(scheduler=forbid):
        value, grad = value_and_grad(model)(params(model), X, y)
    assert isinstance(value, da.Array) and value.shape == ()
    for g in _leaves(grad):
        assert isinstance(g, da.Array), type(g)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_workers_need_numpy_and_dask_but_not_plugrad(model: Any) -> None:
    import cloudpickle

    X, y = chunked(*data())
    graph: dict[Any, Any] = {}
    value, grad = value_and_grad(model)(params(model), X, y)
    for collection in dask.optimize(value, *_leaves(grad)):
        graph.update(dict(collection.__dask_graph__()))
    assert b"plugrad" not in cloudpickle.dumps(graph)  # every task is NumPy's or Dask's


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_gradients_on_the_cluster_match_numpy(client: Any, model: Any) -> None:
    Xn, yn = data()
    X, y = client.persist(chunked(Xn, yn))
    assert X.numblocks[0] >= 8
    value, grad = plugrad_dask.computed(value_and_grad(model))(params(model), X, y)
    expected_value, expected_grad = value_and_grad(model)(params(model), Xn, yn)
    assert abs(value - expected_value) <= 1e-10 * abs(expected_value)
    for g, e in zip(_leaves(grad), _leaves(expected_grad)):
        assert isinstance(g, (numpy.ndarray, numpy.generic, float))
        numpy.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def _leaves(grad: Any) -> tuple[Any, ...]:
    return grad if isinstance(grad, tuple) else (grad,)


def test_gradient_with_respect_to_the_data_keeps_its_chunks(client: Any) -> None:
    Xn, yn = data()
    X, y = chunked(Xn, yn)
    w = params(logistic)
    g = value_and_grad(lambda X: logistic(w, X, y))(X)[1]
    assert g.chunks == X.chunks
    expected = value_and_grad(lambda X: logistic(w, X, yn))(Xn)[1]
    numpy.testing.assert_allclose(g.compute(), expected, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduce", [numpy.sum, numpy.mean, lambda x: x.sum(axis=0), lambda x: x.mean(axis=1)])
def test_reduction_cotangents_are_made_block_by_block(reduce: Any) -> None:
    X, _ = chunked(*data())
    vjp, ans = make_vjp(reduce)(X)
    ct = vjp(vspace(ans).ones())
    assert ct.chunks == X.chunks  # the numpy pack's rule would give one block of all 3000 rows
    Xn = X.compute()
    vjp, ans = make_vjp(reduce)(Xn)
    numpy.testing.assert_allclose(ct.compute(), vjp(vspace(ans).ones()))


def test_mixed_precision_stays_lazy() -> None:
    X, y = chunked(*data())
    w32 = params(least_squares).astype(numpy.float32)
    with dask.config.set(scheduler=forbid):
        grad = value_and_grad(least_squares)(w32, X.astype(numpy.float32), y)[1]
    assert grad.dtype == numpy.float32
    Xn, yn = data()
    expected = value_and_grad(least_squares)(w32, Xn.astype(numpy.float32), yn)[1]
    numpy.testing.assert_allclose(grad.compute(scheduler="sync"), expected, rtol=1e-5)


# -- the pack's primitives, against finite differences to second order -------------------


def _dask(*shape: int, dtype: str = "float64") -> Any:
    rng = numpy.random.default_rng(2)
    x = rng.uniform(-1, 1, shape)
    if numpy.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, shape)
    return da.from_array(numpy.asarray(x, dtype), chunks=tuple(max(1, n // 3) for n in shape))


CHECKS = {
    "sum axis 0": (lambda x: numpy.sum(x, axis=0), 2),
    "mean keepdims": (lambda x: numpy.mean(x, axis=-1, keepdims=True), 1),
    "slice, newaxis": (lambda x: x[1:5, None, ::-2], 2),
    "integer array": (lambda x: x[numpy.array([0, 5, 0, 3])], 1),
    "mask": (lambda x: x[numpy.array([True, False, True, True, False, True])], 1),
}


# The checker calls np.size on Dask arrays, which Dask answers by computing, with a warning.
@pytest.mark.filterwarnings("ignore:The `numpy.size` function:FutureWarning")
@pytest.mark.parametrize("name", CHECKS)
def test_rules_on_dask_arrays(name: str) -> None:
    f, order = CHECKS[name]
    with dask.config.set(scheduler="sync"):
        check_grads(f, modes=("fwd", "rev"), order=order)(_dask(6, 4))
        x = _dask(6, 4, dtype="complex128")
        ct = make_vjp(f)(x)[0](vspace(f(x)).ones())
    assert (ct.dtype, ct.chunks) == (x.dtype, x.chunks)


def test_vector_space_is_lazy_and_keeps_chunks() -> None:
    x = _dask(6, 4)
    space = vspace(x)
    with dask.config.set(scheduler=forbid):
        parts = [
            space.zeros(),
            space.ones(),
            space.randn(numpy.random.default_rng(0)),
            space.inner_prod(x, x),
        ]
    assert all(isinstance(p, da.Array) for p in parts)
    assert all(p.chunks == x.chunks for p in parts[:3])
    numpy.testing.assert_allclose(float(parts[3]), numpy.sum(x.compute() ** 2))
    flat = space.flatten(x)
    numpy.testing.assert_array_equal(space.unflatten(flat).compute(), x.compute())


# -- fitting, and the data never reaching the client -------------------------------------


def test_scipy_fits_logistic_regression_on_the_cluster(client: Any) -> None:
    Xn, yn = data()
    X, y = client.persist(chunked(Xn, yn))
    options = {"maxiter": 4}

    def numpy_loss(w: Any) -> Any:
        return value_and_grad(logistic)(w, Xn, yn)

    fit = scipy.optimize.minimize(
        plugrad_dask.computed(value_and_grad(logistic)),
        numpy.zeros(D),
        args=(X, y),
        jac=True,
        options=options,
    )
    expected = scipy.optimize.minimize(numpy_loss, numpy.zeros(D), jac=True, options=options)
    assert fit.nit == expected.nit
    assert fit.fun < logistic(numpy.zeros(D), Xn, yn) - 0.1
    numpy.testing.assert_allclose(fit.x, expected.x, rtol=1e-8)


CLIENT = """
import json, resource, sys
import numpy, dask.array as da
from distributed import Client
import plugrad, plugrad_dask
from plugrad import value_and_grad

address, n, rows, headroom = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if "dask" not in plugrad.default_registry().packs:
    plugrad.default_registry().register_pack(plugrad_dask, "dask")
client = Client(address)
rng = da.random.default_rng(1)  # the data is made on the workers, block by block
X = rng.standard_normal((n, 10), chunks=(rows, 10))
y = da.sign(X @ numpy.linspace(-1, 1, 10) + rng.standard_normal(n, chunks=rows))
loss = lambda w: numpy.mean(numpy.logaddexp(0, -y * (X @ w))) + 1e-3 * numpy.sum(w**2)
fit = plugrad_dask.computed(value_and_grad(loss))
fit(numpy.zeros(10))  # warm up every code path (and thread) the measured call uses

def mapped() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))

limit = mapped() + headroom
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # from here on, no room for the data
value, grad = fit(numpy.full(10, 0.1))
try:
    numpy.ones(X.nbytes // 8)
    control = "allocated"
except MemoryError:
    control = "MemoryError"
print(json.dumps({"value": float(value), "grad": grad.tolist(), "bytes": X.nbytes, "control": control}))
client.close()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limits and /proc are Linux's")
def test_data_larger_than_the_clients_memory_never_reaches_it(client: Any) -> None:
    headroom = 64 << 20
    n, rows = 2_000_000, 200_000  # 160 MB of data in 10 blocks, made on the workers
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, client.scheduler.address, str(n), str(rows), str(headroom)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "MALLOC_ARENA_MAX": "1"},  # glibc: no 64 MB arena per thread
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["bytes"] > 2 * headroom
    assert result["control"] == "MemoryError"  # the client could not hold the data...
    assert numpy.isfinite(result["value"]) and len(result["grad"]) == 10  # ...and did not need to


def test_a_traced_exponent_stays_lazy() -> None:
    Xn = numpy.abs(data()[0]) + 0.1
    X = da.from_array(Xn, chunks=(ROWS, D))
    f = lambda p, X: numpy.mean(X**p)  # noqa: E731
    with dask.config.set(scheduler=forbid):
        value, grad = value_and_grad(f)(1.5, X)
    expected = value_and_grad(f)(1.5, Xn)
    numpy.testing.assert_allclose(grad.compute(scheduler="sync"), expected[1])


def test_a_numpy_rules_array_cotangent_for_a_dask_argument_is_its_gradient() -> None:
    # Functions the Dask pack does not cover go through NumPy's, whose rules give NumPy
    # arrays: the gradient of a Dask argument may be one, of its shape, as the values agree.
    import warnings

    import plugrad.numpy as np

    d = da.from_array(numpy.array([0.3, 0.7]), chunks=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # (Dask's: numpy.sort is not Dask's)
        g = plugrad.grad(lambda a: np.sum(np.sort(a) * numpy.array([1.0, 2.0])))(d)
    assert numpy.asarray(g).tolist() == [1.0, 2.0]


def test_a_cotangent_or_tangent_for_a_dask_array_may_be_a_numpy_array_or_number_of_its_shape() -> None:
    import plugrad.numpy as np

    vjp, _ = make_vjp(lambda a: np.sum(a * a))(da.ones(3, chunks=2))
    for g in (1, 1.0, numpy.float64(1.0), numpy.array(1.0), da.ones((), chunks=())):
        assert numpy.asarray(vjp(g)).tolist() == [2.0, 2.0, 2.0]
    vjp, _ = make_vjp(lambda a: a * 2.0)(da.ones(3, chunks=2))
    assert numpy.asarray(vjp(numpy.ones(3))).tolist() == [2.0, 2.0, 2.0]
    for wrong in (numpy.ones(2), 1.0, numpy.ones(3, complex), "x", None):
        with pytest.raises(ValueError, match="the cotangent given to vjp"):
            vjp(wrong)
    jvp = plugrad.make_jvp(lambda a: a * a)(da.from_array(numpy.array(2.0)))
    assert float(jvp(1)[1]) == 4.0 and float(jvp(numpy.float64(1.0))[1]) == 4.0
    # A Dask cotangent of another precision, or a real one for a complex output, as a NumPy
    # array's: the gradient in the argument's dtype (the rules' check had called it misshapen)
    vjp, _ = make_vjp(lambda a: a * 2.0)(da.ones(3, chunks=2))
    g = vjp(da.ones(3, chunks=2, dtype=numpy.float32))
    assert g.dtype == numpy.float64 and numpy.asarray(g).tolist() == [2.0, 2.0, 2.0]
    vjp, _ = make_vjp(lambda a: a * 2.0)(da.ones(3, chunks=2) * (1 + 1j))
    assert numpy.asarray(vjp(da.ones(3, chunks=2))).tolist() == [2.0, 2.0, 2.0]


def test_an_integer_or_boolean_dask_cotangent_and_a_number_for_a_0d_dask_array_are_taken() -> None:
    import plugrad.numpy as np

    x = da.ones(4, chunks=2)
    assert numpy.allclose(make_vjp(np.sin)(x)[0](da.ones(4, dtype=int, chunks=2)), numpy.cos(1.0))
    assert numpy.allclose(plugrad.make_jvp(np.sin)(x)(da.ones(4, dtype=bool, chunks=2))[1], numpy.cos(1.0))
    vjp = make_vjp(lambda a: a * 2.0)(da.from_array(numpy.array(2.0)))[0]
    for g in (1.0, numpy.float32(1.0), numpy.array(1.0)):  # (a rule's float for it, as a given one)
        assert float(vjp(g)) == 2.0


def test_a_list_cotangent_for_a_dask_array_is_taken_and_a_wrong_shape_is_said() -> None:
    vjp = make_vjp(lambda a: a * 2.0)(da.ones(3, chunks=2))[0]
    assert numpy.asarray(vjp([1.0, 1.0, 1.0])).tolist() == [2.0, 2.0, 2.0]
    for wrong, shape in ((1, r"\(\)"), (numpy.ones(2, int), r"\(2,\)"), (da.ones(2, chunks=1), r"\(2,\)")):
        with pytest.raises(ValueError, match=rf"the cotangent given to vjp has shape {shape}, but the function's output is an Array of shape \(3,\): give vjp a cotangent of its shape"):
            vjp(wrong)
