"""The scipy.signal pack: every primitive through the gradient checker, convolution
gradients end to end against finite differences in every mode and method, the boundaries
without a derivative, and the promise that importing the pack does not import SciPy."""

from __future__ import annotations

import subprocess
import sys

import numpy
import pytest
import scipy.signal

import plugrad
import plugrad.numpy as np
import plugrad.scipy.signal as sg
from plugrad import Primitive, grad
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

PRIMITIVES = ["_convolve_window", "convolve", "correlate", "fftconvolve", "oaconvolve", "convolve2d", "correlate2d"]
MODES = ("full", "same", "valid")


def lookup(name: str) -> object:
    return plugrad.default_registry().lookup(f"scipy.signal.{name}")


def test_every_primitive_is_listed() -> None:
    registered = {p.name for p in plugrad.default_registry().primitives() if p.name.startswith("scipy.signal.")}
    assert registered == {f"scipy.signal.{name}" for name in PRIMITIVES}
    assert all(lookup(name).has_vjp(i) and lookup(name).has_jvp(i) for name in PRIMITIVES for i in (0, 1))


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive)
    assert check_primitive(prim) > 0


# -- end to end --------------------------------------------------------------------------

RNG = numpy.random.default_rng(0)
SIGNAL, KERNEL = RNG.normal(size=(5, 6)), RNG.normal(size=(2, 3))


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("mode", MODES)
def test_convolve_in_both_inputs(mode: str, method: str) -> None:
    numpy.testing.assert_allclose(
        sg.convolve(SIGNAL, KERNEL, mode, method), scipy.signal.convolve(SIGNAL, KERNEL, mode, method)
    )
    check_grads(lambda a, b: sg.convolve(a, b, mode, method), argnum=(0, 1))(SIGNAL, KERNEL)
    # the kernel longer than the signal: 'valid' swaps them, 'same' keeps the signal's length
    check_grads(lambda a, b: sg.convolve(a, b, mode=mode, method=method), argnum=(0, 1), order=1)(KERNEL, SIGNAL)


@pytest.mark.parametrize("mode", MODES)
def test_methods_give_the_same_gradients(mode: str) -> None:
    def loss(b: object, method: str) -> object:
        return np.sum(np.sin(sg.convolve(SIGNAL, b, mode, method)))

    expected = grad(loss)(KERNEL, "direct")
    for method in ("fft", "auto"):
        numpy.testing.assert_allclose(grad(loss)(KERNEL, method), expected, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_correlations_in_both_inputs(mode: str) -> None:
    a = SIGNAL + 1j * RNG.normal(size=SIGNAL.shape)
    check_grads(lambda a, b: sg.correlate(a, b, mode), argnum=(0, 1), order=1)(a, KERNEL)
    check_grads(lambda a, b: sg.correlate2d(a, b, mode), argnum=(0, 1), order=1)(SIGNAL, KERNEL)
    check_grads(lambda a, b: sg.correlate2d(a, b, mode), argnum=(0, 1), order=1)(KERNEL, a)


def test_fftconvolve_and_oaconvolve_along_axes() -> None:
    rows = RNG.normal(size=(3, 8))
    for fun in (sg.fftconvolve, sg.oaconvolve):
        for mode in MODES:
            expected = numpy.stack([numpy.convolve(r, KERNEL[0], mode) for r in rows]) if mode != "same" else None
            if expected is not None:
                numpy.testing.assert_allclose(fun(rows, KERNEL[:1], mode, axes=1), expected, atol=1e-12)
            check_grads(lambda a, b: fun(a, b, mode, axes=-1), argnum=(0, 1), order=1)(rows, KERNEL[:1])


# (in1's shape, in2's shape, the axes convolved): in1 or in2 of length 1 on another axis, or both
BROADCASTS = [
    ((1, 5), (3, 3), 1),
    ((1, 4), (4, 6), -1),
    ((3, 5), (1, 3), 1),
    ((2, 1, 5), (1, 4, 3), 2),
    ((1, 4, 2), (3, 1, 3), (2,)),
    ((1, 5, 3), (2, 2, 1), (1,)),  # in2 of length 1 on a convolved axis
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
@pytest.mark.parametrize("name", ["fftconvolve", "oaconvolve"])
def test_broadcasting_along_axes_not_convolved(name: str, shapes: tuple, mode: str) -> None:
    # SciPy's 'same' crops in1's length 1 too, keeping the middle of in2 there
    shape_a, shape_b, axes = shapes
    a, b = RNG.normal(size=shape_a), RNG.normal(size=shape_b) + 1j * RNG.normal(size=shape_b)
    ours, scipys = getattr(sg, name), getattr(scipy.signal, name)
    numpy.testing.assert_allclose(ours(a, b, mode, axes), scipys(a, b, mode, axes), atol=1e-12)
    check_grads(lambda a, b: ours(a, b, mode, axes=axes), argnum=(0, 1))(a, b)


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_axes_of_length_one(name: str, mode: str, method: str) -> None:
    ours, scipys = getattr(sg, name), getattr(scipy.signal, name)
    for shape_a, shape_b in (((1, 5), (3, 3)), ((3, 5), (1, 3)), ((1, 3), (4, 5)), ((1, 4), (3, 1))):
        a, b = RNG.normal(size=shape_a), RNG.normal(size=shape_b)
        if mode == "valid" and len({numpy.sign(x - y) for x, y in zip(shape_a, shape_b)} - {0}) > 1:
            continue  # neither at least as large as the other: SciPy refuses
        numpy.testing.assert_allclose(ours(a, b, mode, method), scipys(a, b, mode, method), atol=1e-12)
        check_grads(lambda a, b: ours(a, b, mode, method), argnum=(0, 1), order=1)(a, b)


def test_convolve2d_fill_value_and_boundaries() -> None:
    check_grads(lambda a, b: sg.convolve2d(a, b, "same", "fill", 0.5), argnum=(0, 1))(SIGNAL, KERNEL)
    check_grads(lambda a: sg.convolve2d(a, KERNEL, "valid", "symm"), order=1)(SIGNAL)  # reads no boundary


@pytest.mark.parametrize("boundary", ["wrap", "symm", "circular", "symmetric"])
@pytest.mark.parametrize("mode", ["full", "same"])
@pytest.mark.parametrize("name", ["convolve2d", "correlate2d"])
def test_2d_wrapped_and_reflected_boundaries(name: str, mode: str, boundary: str) -> None:
    ours, scipys = getattr(sg, name), getattr(scipy.signal, name)
    # a kernel longer than the input along an axis wraps (or reflects) the input more than once
    for shape_a, shape_b in (((4, 5), (2, 3)), ((2, 3), (4, 2)), ((1, 1), (3, 3))):
        a = RNG.normal(size=shape_a) + 1j * RNG.normal(size=shape_a)
        b = RNG.normal(size=shape_b)
        numpy.testing.assert_allclose(ours(a, b, mode, boundary), scipys(a, b, mode, boundary), atol=1e-12)
        check_grads(lambda a, b: ours(a, b, mode, boundary), argnum=(0, 1))(a, b)


def test_wrapped_boundary_gradient_sums_where_each_element_was_read() -> None:
    # 'same' with 'wrap' is a circular convolution, which reads each element of a once
    # with each element of b, even a kernel longer than a: the gradient of the sum of
    # the output is the sum of b, everywhere
    a = RNG.normal(size=(3, 4))
    for b in (RNG.normal(size=(2, 3)), RNG.normal(size=(5, 9))):
        g = grad(lambda a: np.sum(sg.convolve2d(a, b, "same", "wrap")))(a)
        numpy.testing.assert_allclose(g, numpy.full(a.shape, b.sum()), rtol=1e-12)


# (function, keyword options in SciPy's spelling, in2): every keyword of SciPy's signatures
KEYWORD_CALLS = [
    ("convolve", {"mode": "same", "method": "fft"}, KERNEL),
    ("convolve", {"axes": ([0], [1]), "dot_axes": ([1], [0]), "mode": "valid"}, KERNEL.T.repeat(2, 0)),
    ("correlate", {"method": "direct", "mode": "valid"}, KERNEL),
    ("fftconvolve", {"mode": "same", "axes": 1}, KERNEL[:1]),
    ("oaconvolve", {"axes": [0, 1], "mode": "full"}, KERNEL),
    ("convolve2d", {"mode": "same", "boundary": "wrap"}, KERNEL),
    ("convolve2d", {"fillvalue": 0.5, "mode": "full"}, KERNEL),
    ("correlate2d", {"boundary": "symm", "mode": "same"}, KERNEL),
]
KEYWORD_IDS = [f"{name}-{'-'.join(options)}" for name, options, _ in KEYWORD_CALLS]


@pytest.mark.parametrize("name, options, kernel", KEYWORD_CALLS, ids=KEYWORD_IDS)
def test_inputs_and_options_by_keyword_in_both_modes(
    name: str, options: dict, kernel: numpy.ndarray, rng: numpy.random.Generator
) -> None:
    # in1= and in2= by keyword, traced or constant, differentiate as by position
    fun = getattr(sg, name)
    expected = fun(SIGNAL, kernel, **options)
    cotangent = rng.normal(size=expected.shape)
    tangents = rng.normal(size=SIGNAL.shape), rng.normal(size=kernel.shape)
    spellings = [  # (of the signal, of the kernel)
        (lambda a: fun(a, kernel, **options), lambda b: fun(SIGNAL, b, **options)),
        (lambda a: fun(a, in2=kernel, **options), lambda b: fun(SIGNAL, in2=b, **options)),
        (lambda a: fun(in1=a, in2=kernel, **options), lambda b: fun(in1=SIGNAL, in2=b, **options)),
        (lambda a: fun(in2=kernel, in1=a, **options), lambda b: fun(in2=b, in1=SIGNAL, **options)),
    ]
    for argnum, point in enumerate((SIGNAL, kernel)):
        reference = spellings[0][argnum]
        reverse = grad(lambda x: np.sum(cotangent * reference(x)))(point)
        forward = plugrad.make_jvp(reference)(point)(tangents[argnum])[1]
        for spelling in spellings[1:]:
            f = spelling[argnum]
            numpy.testing.assert_allclose(f(point), expected)
            cotangent_x = grad(lambda x: np.sum(cotangent * f(x)))(point)
            numpy.testing.assert_allclose(cotangent_x, reverse, atol=1e-12)
            tangent = plugrad.make_jvp(f)(point)(tangents[argnum])[1]
            numpy.testing.assert_allclose(tangent, forward, atol=1e-12)
    check_grads(lambda a: fun(a, in2=kernel, **options), modes=("fwd", "rev"), order=2)(SIGNAL)


def test_in2_by_keyword_matches_the_closed_form() -> None:
    # d/dx sum(convolve(x, k)**2) = 2 correlate(convolve(x, k), k, 'valid'), for x = 0..4
    loss = lambda x: np.sum(sg.convolve(x, in2=np.array([1.0, 2.0, 0.5])) ** 2)
    numpy.testing.assert_allclose(grad(loss)(numpy.arange(5.0)), [8, 25.5, 49, 68.5, 62])


def test_float32_in_float32_out() -> None:
    a, b = SIGNAL.astype(numpy.float32), KERNEL.astype(numpy.float32)
    assert grad(lambda b: np.sum(sg.convolve(a, b, "same") ** 2))(b).dtype == numpy.float32
    assert grad(lambda a: np.sum(sg.fftconvolve(a, b) ** 2))(a).dtype == numpy.float32


def test_importing_the_pack_does_not_import_scipy() -> None:
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "import plugrad_scipy_signal\n"
        "import plugrad.numpy as np\n"
        "np.sin(1.0)\n"
        "assert not [m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')], 'scipy imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
