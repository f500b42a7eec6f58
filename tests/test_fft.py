"""The FFT pack: every primitive through the gradient checker, then gradients end to end
through ``plugrad.numpy.fft`` (Parseval, round trips, shifts) and the pack's laziness."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy
import pytest

import plugrad
import plugrad.numpy as np
from plugrad import Primitive, grad, hessian, jacobian, make_jvp
from plugrad.gradcheck import check_primitive
from plugrad.test_util import check_grads

TRANSFORMS = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft",
    "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn",
]  # fmt: skip
PRIMITIVES = [*TRANSFORMS, "fftshift", "ifftshift", "_resize"]
FREQUENCIES = ["fftfreq", "rfftfreq"]


def lookup(name: str) -> Any:
    return plugrad.default_registry().lookup(f"numpy.fft.{name}")


@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive)
    assert prim.has_vjp(0) and prim.has_jvp(0)
    assert check_primitive(prim) > 0


def test_namespace_is_numpys() -> None:
    names = {n for n in dir(numpy.fft) if not n.startswith("_") and callable(getattr(numpy.fft, n))}
    assert names - {"test"} <= set(np.fft.__all__)
    assert np.fft.fft is lookup("fft")
    assert np.fft.fftfreq is lookup("fftfreq") and np.fft.rfftfreq is lookup("rfftfreq")


def test_parseval(rng: numpy.random.Generator) -> None:
    for n in (5, 8):
        x = rng.standard_normal(n)
        assert numpy.allclose(grad(lambda x: np.sum(np.abs(np.fft.fft(x)) ** 2))(x), 2 * n * x)
        z = x + 1j * rng.standard_normal(n)
        # A cotangent c is u -> Re sum(c u); d/du of n |u|^2 is 2 n conj(z).
        assert numpy.allclose(grad(lambda z: np.sum(np.abs(np.fft.fft(z)) ** 2))(z), 2 * n * numpy.conj(z))
        # The orthonormal transform preserves the norm.
        assert numpy.allclose(grad(lambda x: np.sum(np.abs(np.fft.fft(x, norm="ortho")) ** 2))(x), 2 * x)


@pytest.mark.parametrize("n", [6, 7])
def test_real_round_trip(rng: numpy.random.Generator, n: int) -> None:
    x, w = rng.standard_normal((2, n))
    f = lambda x: np.sum(w * np.fft.irfft(np.fft.rfft(x), n))
    assert numpy.allclose(grad(f)(x), w)
    g = lambda x: np.sum(w * np.fft.hfft(np.fft.ihfft(x), n))
    assert numpy.allclose(grad(g)(x), w)
    ans, tangent = make_jvp(lambda x: np.fft.irfft(np.fft.rfft(x), n))(x)(w)
    assert numpy.allclose(ans, x) and numpy.allclose(tangent, w)
    check_grads(lambda x: np.fft.irfft(np.fft.rfft(x, 2 * n), n), modes=("fwd", "rev"), order=2)(x)


def test_gradients_are_real_for_real_input(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((3, 4)).astype(numpy.float32)
    g = grad(lambda x: np.sum(np.real(np.fft.fft2(x))) + np.sum(np.imag(np.fft.rfftn(x)) ** 2))(x)
    assert g.dtype == numpy.float32


def test_nd_compositions(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal((3, 4))
    check_grads(lambda x: np.fft.fftn(x, s=(4, 2), axes=(0, 0)), modes=("fwd", "rev"), order=2)(x)
    check_grads(
        lambda x: np.fft.irfftn(np.fft.fftshift(x) * 1j + x, s=(-1, 5), axes=(0, 1)), modes=("fwd", "rev")
    )(x)
    check_grads(
        lambda x: np.abs(np.fft.ifft2(np.fft.ifftshift(x, axes=0), norm="ortho")), modes=("fwd", "rev")
    )(x)


def test_frequencies_of_a_constant_spacing_are_constants(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal(4)
    f = lambda x: np.sum(np.fft.fftfreq(len(x), 0.5) * x) + np.sum(np.fft.rfftfreq(4) * x[:3])
    assert numpy.allclose(grad(f)(x), numpy.fft.fftfreq(4, 0.5) + numpy.r_[numpy.fft.rfftfreq(4), 0])


@pytest.mark.parametrize("name", FREQUENCIES)
def test_frequencies_pass_the_gradient_checker_in_d(name: str) -> None:
    prim = lookup(name)
    assert isinstance(prim, Primitive)
    assert prim.has_vjp(1) and prim.has_jvp(1) and not prim.has_vjp(0)  # n is an integer
    assert check_primitive(prim) > 0


@pytest.mark.parametrize("n", [6, 7])
@pytest.mark.parametrize("name", FREQUENCIES)
def test_frequencies_in_d_against_their_closed_form(name: str, n: int) -> None:
    ours, numpys, d = getattr(np.fft, name), getattr(numpy.fft, name), 0.3
    assert numpy.array_equal(ours(n, d), numpys(n, d))  # NumPy's values, bit for bit
    grid = numpys(n)  # k / n: the frequencies are grid / d, whose derivative in d is -grid / d**2
    for jac in (jacobian(lambda d: ours(n, d)), jacobian(lambda d: ours(n, d=d))):
        assert numpy.allclose(jac(d), -grid / d**2)
    assert numpy.allclose(make_jvp(lambda d: ours(n, d))(d)(1.0)[1], -grid / d**2)
    assert numpy.allclose(hessian(lambda d: np.sum(ours(n, d) ** 2))(d), 6 * numpy.sum(grid**2) / d**4)
    check_grads(lambda d: ours(n, d), modes=("fwd", "rev"), order=3)(d)
    check_grads(lambda d: ours(n, d), modes=("fwd", "rev"), order=2)(numpy.array(-1.5))


def test_raw_numpy_fft_dispatches(rng: numpy.random.Generator) -> None:
    x = rng.standard_normal(5)
    assert numpy.allclose(grad(lambda x: numpy.sum(numpy.real(numpy.fft.fft(x))))(x), [5, 0, 0, 0, 0])


def test_importing_the_pack_imports_no_primitives() -> None:
    code = "import sys, plugrad_fft; assert not [m for m in sys.modules if m.startswith('plugrad_fft.')]"
    subprocess.run([sys.executable, "-c", code], check=True)
