"""The gradient checker catches real faults, each with a message naming the culprit.

Every faulty primitive is built here and loaded into a private registry as the
pack ``fake``; the default registry is used only by the test of the built-in packs.
"""

from __future__ import annotations

import io
import math
import operator
import types
import warnings
from typing import Any

import numpy as np
import plugrad.numpy as pnp
import pytest

from plugrad import Box, Primitive, Registry, Sample, hookimpl, rand, scalar
from plugrad.box import getval
from plugrad.gradcheck import CheckFailure, cases, check_primitive, plan, run, runner
from plugrad.gradcheck.checks import check_jacobian, tolerance_for
from plugrad.registry import PackWarning, default_registry, ensure_types


@pytest.fixture(autouse=True)
def _types() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # packs other engineers have declared but not written yet
        ensure_types()  # the numpy pack's boxes, which the fake rules' arithmetic needs


class FakePack:
    """A pack object (what an entry point would load) defining ``prims`` in namespace ``fake``."""

    def __init__(self, *prims: Primitive) -> None:
        self.prims = prims

    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return ["fake"]

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> list[Primitive] | None:
        return list(self.prims) if namespace == "fake" else None


def check_pack(*prims: Primitive, **options: Any) -> Any:
    """Load ``prims`` as pack ``fake`` into a private registry and run every check."""
    registry = Registry()
    registry.register_pack(FakePack(*prims), name="fake")
    return run(plan(registry, packs=["fake"], **options))


def failed(report: Any) -> set[tuple[str | None, str, str | None, int | None]]:
    """``(primitive, check, dtype, argnum)`` of every failure."""
    return {(o.case.primitive, o.case.check, o.case.dtype, o.case.argnum) for o in report.failures()}


def message(report: Any, check: str) -> str:
    return next(o.message for o in report.failures() if o.case.check == check)


def sin_like(name: str, vjp: Any, jvp: Any = None, **kwargs: Any) -> Primitive:
    prim = Primitive(f"fake.{name}", np.sin, **kwargs)
    prim.def_vjp(vjp)
    prim.def_jvp(jvp or (lambda t, ans, x: t * pnp.cos(x)))
    prim.def_samples(Sample(rand(3)), Sample(rand(2, 3)))
    return prim


def test_a_correct_primitive_passes_every_check():
    report = check_pack(sin_like("sin", lambda g, ans, x: g * pnp.cos(x), complex=True))
    assert report.failed == 0 and report.passed > 40
    checks = {o.case.check for o in report.outcomes}
    assert checks >= {"load", "coverage", "primal", "vjp", "jvp", "transpose", "types"}
    assert checks >= {"rev_over_rev", "fwd_over_rev", "rev_over_fwd", "fwd_over_fwd"}
    assert report.summary_line() == f"{report.passed} passed, 0 failed"


def test_sign_flipped_vjp():
    report = check_pack(sin_like("bad_sin", lambda g, ans, x: -g * pnp.cos(x)))
    assert {check for _, check, _, _ in failed(report)} == {"vjp", "transpose"}
    text = message(report, "vjp")
    assert text.startswith("fake.bad_sin (pack fake): check 'vjp'")
    for expected in ("reverse mode vs finite differences", "argument 0", "float64[3]", "dtype: float64", "seed: 0"):
        assert expected in text
    assert "analytic (<VJP(v), u>, from the rules)" in text and "numeric (<v, central difference" in text
    assert "rerun: python -m plugrad gradcheck --pack fake --primitive 'fake.bad_sin' --seed 0" in text


def test_a_primitive_of_no_pack_is_rerun_with_check_primitive_and_a_wrong_shaped_tangent_named():
    from plugrad.gradcheck import check_primitive

    total = Primitive("demo.total", lambda x: np.sum(x**2))
    total.def_vjp(lambda g, ans, x: 2 * g * x)
    total.def_jvp(lambda t, ans, x: 2 * t * x)  # a tangent of x's shape, not the scalar output's
    total.def_samples(Sample(rand(2)))
    with pytest.raises(CheckFailure) as caught:
        check_primitive(total)
    text = str(caught.value)
    assert "rerun: check_primitive(total, seed=0)" in text
    assert "the JVP of demo.total for argument 0 (x) returned a tangent of shape (2,) for an output of shape ()" in text


def test_jvp_wrong_only_for_complex_input():
    square = Primitive("fake.square", np.square, complex=True)
    square.def_vjp(lambda g, ans, x: g * 2 * x)
    square.def_jvp(lambda t, ans, x: t * 2 * pnp.conj(x))  # conj is invisible on real input
    square.def_samples(Sample(rand(3)), Sample(scalar()))
    report = check_pack(square)
    assert {check for _, check, _, _ in failed(report)} == {"jvp", "transpose"}
    assert {dtype for _, _, dtype, _ in failed(report)} == {"complex128"}
    text = message(report, "jvp")
    assert "fake.square" in text and "dtype: complex128" in text and "forward mode vs finite differences" in text


def test_vjp_returning_complex_for_a_python_float_input():
    # The cotangent is not cut to its real part on the way out (NumPy's ComplexWarning
    # alone): the checker sees it, and says so.
    double = Primitive("fake.double", lambda x: np.multiply(x, 2))
    double.def_vjp(lambda g, ans, x: g * 2 + 0j)
    double.def_jvp(lambda t, ans, x: t * 2)
    double.def_samples(Sample(scalar()))
    report = check_pack(double)
    assert ("fake.double", "types", "float64", 0) in failed(report)
    assert "complex" in message(report, "types")


def test_vjp_returning_float64_for_float32_input():
    double = Primitive("fake.double", lambda x: np.multiply(x, 2))
    double.def_vjp(lambda g, ans, x: g * np.float64(2.0))  # a NumPy float64 scalar promotes float32
    double.def_jvp(lambda t, ans, x: t * 2)
    double.def_samples(Sample(rand(3)))
    report = check_pack(double)
    assert failed(report) == {("fake.double", "types", "float32", 0)}
    text = message(report, "types")
    assert "VJP returned a cotangent in ArrayVSpace(shape=(3,), dtype=float64)" in text
    assert "for an argument in ArrayVSpace(shape=(3,), dtype=float32)" in text


def test_vjp_wrong_only_under_broadcasting():
    add = Primitive("fake.add", np.add)
    add.def_vjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)  # forgets to unbroadcast
    add.def_jvp(
        lambda t, ans, x, y: pnp.broadcast_to(t, np.shape(ans)),
        lambda t, ans, x, y: pnp.broadcast_to(t, np.shape(ans)),
    )
    add.def_samples(Sample(rand(3), rand(3)), Sample(rand(2, 3), rand(3)))
    report = check_pack(add)
    assert report.failed
    alone = {(o.case.sample, o.case.argnum) for o in report.failures() if o.case.check not in ("coverage", "mixed")}
    assert alone == {(1, 1)}
    assert "argument 0 (x1) has a rule, but no sample broadcasts it" in message(report, "coverage")
    assert {o.case.check for o in report.failures()} >= {"vjp", "types", "mixed"}
    # plugrad itself refuses the (2, 3) cotangent for the (3,) argument, alone or with the other
    shape = "the derivative computed for an argument has shape (2, 3), but the argument has shape (3,)"
    assert all(shape in message(report, check) for check in ("vjp", "mixed", "types"))
    assert "argument 1" in message(report, "vjp")


def test_second_order_error_with_raw_numpy_on_values():
    # Right at first order; the derivative of the rule with respect to x is lost.
    cos = Primitive("fake.cos", np.cos)
    cos.def_vjp(lambda g, ans, x: -g * np.sin(getval(x)))
    cos.def_jvp(lambda t, ans, x: -t * pnp.sin(x))
    cos.def_samples(Sample(rand(3)))
    report = check_pack(cos)
    assert {check for _, check, _, _ in failed(report)} == {"rev_over_rev", "fwd_over_rev"}
    text = message(report, "rev_over_rev")
    assert "fake.cos (pack fake): check 'rev_over_rev'" in text and "(x, v) -> VJP(x)(v)" in text
    assert "analytic" in text and "numeric" in text


def test_second_order_error_with_raw_numpy_that_cannot_trace():
    cos = Primitive("fake.cos2", np.cos)
    cos.def_vjp(lambda g, ans, x: -g * np.sin(np.asarray(x)))  # fine on values, not on traced ones
    cos.def_jvp(lambda t, ans, x: -t * pnp.sin(x))
    cos.def_samples(Sample(rand(3)))
    report = check_pack(cos)
    # The second-order type check (at every dtype) trips over it too.
    assert {check for _, check, _, _ in failed(report)} == {"rev_over_rev", "fwd_over_rev", "types"}
    text = message(report, "rev_over_rev")
    assert "raised TraceError" in text and "np.sin(np.asarray(x))" in text  # the traceback shows the line


def _product(name: str, vjp_x: Any, jvp_x: Any) -> Primitive:
    prim = Primitive(f"fake.{name}", operator.mul)  # (not a ufunc: no sample needs to broadcast)
    prim.def_vjp(vjp_x, lambda g, ans, x, y: g * x)
    prim.def_jvp(jvp_x, lambda t, ans, x, y: t * x)
    prim.def_samples(Sample(rand(3), rand(3)))
    return prim


def test_a_rule_reading_another_argument_untraced_fails_only_the_mixed_check():
    # Right along x alone and along y alone; d2f/dx dy is lost in reverse mode.
    reverse = _product("mul_rev", lambda g, ans, x, y: g * getval(y), lambda t, ans, x, y: t * y)
    report = check_pack(reverse)
    assert {(check, argnum) for _, check, _, argnum in failed(report)} == {("mixed", 0)}
    text = message(report, "mixed")
    assert "fake.mul_rev (pack fake): check 'mixed'" in text and "derivative of the rev rule" in text
    assert "differentiated: argument 0 (a), float64[3] and argument 1 (b), float64[3] together" in text
    assert report.failures()[0].case.id == "fake.mul_rev[0-float64-arg0+1-mixed]"
    # The same fault in a JVP rule.
    forward = _product("mul_fwd", lambda g, ans, x, y: g * y, lambda t, ans, x, y: t * getval(y))
    assert {check for _, check, _, _ in failed(check_pack(forward))} == {"mixed"}
    honest = _product("mul", lambda g, ans, x, y: g * y, lambda t, ans, x, y: t * y)
    assert not failed(check_pack(honest))


def test_primitive_with_no_samples():
    lonely = Primitive("fake.lonely", np.sin)
    lonely.def_vjp(lambda g, ans, x: g * pnp.cos(x))
    report = check_pack(lonely)
    assert failed(report) == {("fake.lonely", "coverage", None, None)}
    assert "fake.lonely declares no samples" in message(report, "coverage")


def test_argument_with_a_rule_that_no_sample_exercises():
    mul = Primitive("fake.mul", np.multiply)
    mul.def_vjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    mul.def_jvp(lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x)
    mul.def_samples(Sample(rand(3), 2.0), Sample(rand(3), rand(3)).wrt(0))
    report = check_pack(mul)
    assert failed(report) == {("fake.mul", "coverage", None, None)}
    text = message(report, "coverage")
    assert "argument 1" in text and "has a VJP and a JVP rule, but no sample differentiates it" in text


def test_a_ufuncs_argument_that_no_sample_broadcasts():
    # The rule for x ignores broadcasting; no sample gives x a smaller shape than the output.
    mul = Primitive("fake.mul_bcast", np.multiply)
    mul.def_vjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: pnp.sum(pnp.reshape(g * x, (-1, 3)), axis=0))
    mul.def_jvp(lambda t, ans, x, y: t * y, lambda t, ans, x, y: t * x)
    mul.def_samples(Sample(rand(3), rand(3)), Sample(rand(2, 3), rand(3)))
    report = check_pack(mul)
    assert failed(report) == {("fake.mul_bcast", "coverage", None, None)}
    text = message(report, "coverage")
    assert "argument 0 (x1) has a rule, but no sample broadcasts it" in text and "argument 1" not in text


def test_a_float_fun_needs_a_sample_of_one_python_float():
    sin = Primitive("fake.sin_float", np.sin, float_fun=math.sin)
    sin.def_vjp(lambda g, ans, x: g * pnp.cos(x))
    sin.def_jvp(lambda t, ans, x: t * pnp.cos(x))
    sin.def_samples(Sample(rand(3)))
    report = check_pack(sin)
    assert failed(report) == {("fake.sin_float", "coverage", None, None)}
    assert "it has a float_fun" in message(report, "coverage")
    sin.def_samples(Sample(scalar()))
    assert not failed(check_pack(sin))


def test_xfail_that_passes_fails_the_run_and_one_that_fails_does_not():
    good = sin_like("good", lambda g, ans, x: g * pnp.cos(x))
    good.xfail[("vjp", "float32")] = "thought float32 was too coarse"
    report = check_pack(good)
    assert {(o.case.check, o.case.dtype) for o in report.failures()} == {("vjp", "float32")}
    assert {o.status for o in report.failures()} == {"xpassed"}
    text = report.failures()[0].message
    assert "marked as an expected failure (thought float32 was too coarse) but passed" in text
    assert "remove ('vjp', 'float32') from fake.good.xfail" in text

    bad = sin_like("bad", lambda g, ans, x: -g * pnp.cos(x))
    bad.xfail[("vjp", "*")] = bad.xfail[("transpose", "*")] = "known sign error"
    report = check_pack(bad)
    assert report.failed == 0 and report.xfailed == 8  # 2 checks x 2 samples x 2 dtypes


def test_xfail_entry_naming_no_check_is_a_coverage_failure():
    prim = sin_like("typo", lambda g, ans, x: g * pnp.cos(x))
    prim.xfail[("vjps", "float64")] = "typo"
    prim.xfail[("vjp", "complex128")] = "never checked: not complex"
    text = message(check_pack(prim), "coverage")
    assert "xfail entry ('vjps', 'float64') names no check" in text
    assert "xfail entry ('vjp', 'complex128') names a dtype no sample is checked at" in text


def test_a_pair_rule_needs_a_sample_that_traces_both_arguments():
    prim = Primitive("fake.times", operator.mul)
    prim.def_vjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    prim.def_jvp(lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)
    prim.def_vjp_pair(lambda g, ans, x, y: (g * y, g * x))
    prim.def_samples(Sample(rand(3), rand(3)).wrt(0), Sample(rand(3), rand(3)).wrt(1))
    assert "no sample is such a call: add one that differentiates both" in message(check_pack(prim), "coverage")
    prim.def_samples(Sample(rand(3), rand(3)))
    report = check_pack(prim)
    assert report.failed == 0 and any(o.case.check == "vjp_pair" for o in report.outcomes)


class Stripping(Primitive):
    """A wrapper that drops the trace of argument 1 instead of refusing to differentiate it."""

    def __call__(self, x: Any, y: Any) -> Any:
        return super().__call__(x, getval(y))


def test_declared_non_differentiable_argument_that_does_not_raise():
    prim = Stripping("fake.scale", operator.mul)  # (not a ufunc: no sample needs to broadcast)
    prim.def_vjp(lambda g, ans, x, y: g * y)  # argument 1: no rule, so it must raise
    prim.def_jvp(lambda t, ans, x, y: t * y)
    prim.def_samples(Sample(rand(3), rand(3)))
    report = check_pack(prim)
    assert {(check, argnum) for _, check, _, argnum in failed(report)} == {("no_vjp", 1), ("no_jvp", 1)}
    text = message(report, "no_vjp")
    assert "declared not differentiable in reverse mode (no rule), but differentiating returned" in text
    assert "instead of raising NotDifferentiableError" in text and "argument 1" in text


def test_declared_non_differentiable_float_constant_is_checked_and_passes_when_honest():
    prim = Primitive("fake.scale2", operator.mul)
    prim.def_vjp(lambda g, ans, x, y: g * y).def_jvp(lambda t, ans, x, y: t * y)
    prim.def_samples(Sample(rand(3), np.array([1.0, 2.0, 3.0])).only("float64"))
    report = check_pack(prim)
    assert report.failed == 0
    assert {(o.case.check, o.case.argnum) for o in report.outcomes} >= {("no_vjp", 1), ("no_jvp", 1)}


class Lossy(Primitive):
    """Traced, it returns float64 whatever its function returns."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = super().__call__(*args, **kwargs)
        if isinstance(out, Box):
            out._value = np.asarray(out._value, np.float64)
        return out


def test_primal_mismatch_between_traced_and_raw_call():
    prim = Lossy("fake.lossy", np.sin)
    prim.def_vjp(lambda g, ans, x: g * pnp.cos(x)).def_jvp(lambda t, ans, x: t * pnp.cos(x))
    prim.def_samples(Sample(rand(3)))
    report = check_pack(prim, order=1)
    assert ("fake.lossy", "primal", "float32", 0) in failed(report)
    assert "returned dtype float64 instead of float32 returned by the untraced function" in message(report, "primal")


class RaisingPack:
    @hookimpl
    def plugrad_namespaces(self) -> list[str]:
        return ["broken"]

    @hookimpl
    def plugrad_primitives(self, namespace: str) -> Any:
        raise ImportError("No module named 'scipy_but_misspelled'")


def test_pack_that_fails_to_import_fails_the_run():
    registry = Registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the registry warns; the checker must fail
        registry.register_pack(RaisingPack(), name="broken")
        registry.register_pack(FakePack(sin_like("ok", lambda g, ans, x: g * pnp.cos(x))), name="fake")
        report = run(plan(registry))
    assert [o.case.id for o in report.failures()] == ["pack:broken[load]"]
    text = report.failures()[0].message
    assert "pack 'broken'" in text and "scipy_but_misspelled" in text
    assert report.passed > 0  # the healthy pack was still checked
    assert report.summary_line() == f"{report.passed} passed, 1 failed"


class GarbageNamespacesPack:
    @hookimpl
    def plugrad_namespaces(self) -> Any:
        return 42


def test_a_pack_fault_is_filed_under_that_pack_only():
    # The registry's message about a broken pack quotes an example that names another
    # pack ("a list of names such as ['fake']"); the healthy pack must still pass.
    registry = Registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry.register_pack(FakePack(sin_like("ok", lambda g, ans, x: g * pnp.cos(x))), name="fake")
        registry.register_pack(GarbageNamespacesPack(), name="garbage")
    own = PackWarning("plugrad pack 'garbage': it returned 42, not a list such as ['fake']", "garbage")
    faults = runner.pack_faults(registry, [own])
    assert faults["fake"] == [] and len(faults["garbage"]) == 2
    conflict = "numpy.f is registered by 'fake' and 'garbage'"  # a fault of no single pack: filed under each
    assert runner.pack_faults(registry, [PackWarning(conflict)])["fake"] == [conflict]


def test_a_pack_blocked_by_the_environment_but_asked_for_fails(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PLUGRAD_PACKS", "numpy")
    report = run(plan(packs=["fft"]))
    assert report.summary_line() == "0 passed, 1 failed"
    assert "asked for, but not loaded: not among the packs to load" in report.failures()[0].message


def test_the_checker_collects_faults_even_under_strict_packs(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PLUGRAD_STRICT_PACKS", "1")
    registry, faults = runner.load_registry(packs=["fft"])
    assert registry is not None and not registry.strict and registry.packs["fft"].status == "loaded"


def test_a_pack_using_a_namespace_at_import_fails_the_check_as_it_fails_users(monkeypatch: pytest.MonkeyPatch):
    class UsesNumpyWhenImported:
        def load(self) -> Any:
            return default_registry()  # what a first use of plugrad.numpy does, during the pack's import

        name, value = "busy", "busy_pack"
        dist = types.SimpleNamespace(name="busy-pack", version="1.0")

    monkeypatch.setattr("plugrad.registry.entry_points", lambda group: [UsesNumpyWhenImported()])
    registry = Registry()
    with pytest.warns(PackWarning, match="'busy'.*raised RegistryBusy: plugrad's pack registry was used while packs were being loaded"):
        registry.load_entry_points()
    assert registry.packs["busy"].status == "failed"


def test_asking_for_a_pack_that_is_not_installed_fails():
    report = run(plan(Registry(), packs=["nope"]))
    assert report.failed == 1 and "no installed pack is named 'nope'" in report.failures()[0].message


def test_tolerances_per_dtype_per_primitive_and_per_sample():
    prim = sin_like("tol", lambda g, ans, x: g * pnp.cos(x) * 1.0001)  # 1e-4 relative error
    assert {c for _, c, _, _ in failed(check_pack(prim, order=1))} >= {"vjp"}
    prim.tolerances["float64"] = (1e-3, 1e-3)
    # Finite differences now pass; the exact transpose identity still sees the error.
    assert {(c, d) for _, c, d, _ in failed(check_pack(prim, order=1))} == {("transpose", "float64")}

    point = cases(prim)[1].point
    assert point is not None
    assert (point.tolerance().rtol, point.tolerance().atol) == (1e-3, 1e-3)
    point.sample.tol(rtol=5e-3)
    assert (point.tolerance().rtol, point.tolerance().atol) == (5e-3, 1e-3)
    assert tolerance_for("float32").eps > tolerance_for("float64").eps


def test_a_case_is_reproducible_alone():
    prim = sin_like("again", lambda g, ans, x: -g * pnp.cos(x))
    report = check_pack(prim)
    failure = report.failures()[-1]
    with pytest.raises(CheckFailure) as info:
        failure.case.run()
    assert str(info.value) == failure.message
    with pytest.raises(CheckFailure, match="check 'vjp'"):
        check_primitive(prim)


def test_full_jacobian_mode():
    prim = sin_like("jac", lambda g, ans, x: g * pnp.cos(x) * np.array([1.0, 1.0, 0.5])[: np.size(x)])
    prim.def_samples()
    prim.sample_sets[:] = [Sample(rand(3))]
    report = check_pack(prim, full_jacobian=True, order=1)
    assert ("fake.jac", "jacobian", "float64", 0) in failed(report)
    assert "rerun: python -m plugrad gradcheck --pack fake --primitive 'fake.jac' --seed 0 --full-jacobian" in message(report, "jacobian")
    assert "worst at output coordinate 2, input coordinate 2" in message(report, "jacobian")

    ok = sin_like("jac_ok", lambda g, ans, x: g * pnp.cos(x), complex=True)
    report = check_pack(ok, full_jacobian=True, order=1)
    assert report.failed == 0 and any(o.case.check == "jacobian" for o in report.outcomes)
    with pytest.raises(CheckFailure, match="full Jacobian"), pytest.warns(UserWarning, match="independent"):
        check_jacobian(lambda x: np.sin(getval(x)), 0.3, tolerance_for("float64"))  # no derivative at all


BUILTIN = ["numpy.sin", "numpy.add", "numpy.prod", "numpy.matmul", "numpy.abs", "numpy._reshape", "numpy._getitem", "operator.mul"]


def test_builtin_primitives_pass():
    report = run(plan(packs=["numpy"], primitives=BUILTIN))
    assert report.failed == 0, "\n\n".join(o.message for o in report.failures()[:3])
    assert {o.case.primitive for o in report.outcomes} >= set(BUILTIN)
    assert report.passed > 500


def test_a_primitive_of_a_packs_value_type_is_checked_through_its_vector_space(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fixture pack's dataclass of parameters has no __array__: the checker pairs and
    # measures its values through their vector space, and refuses a VJP that returns an
    # array for it, or wrong values.
    from pathlib import Path

    from plugrad import gen
    from plugrad.box import register_box_type
    from plugrad.vspace import register_vspace

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "fixtures" / "packs" / "good"))
    from plugrad_fixture_good.params import DataclassBox, DataclassVSpace, Params

    register_vspace(Params, DataclassVSpace)
    register_box_type(Params, DataclassBox)
    energy = Primitive("test.energy", lambda p: float(np.sum(p.w**2) + p.b**2), dtypes=("float64",))
    energy.def_jvp(lambda t, ans, p: 2 * (np.sum(getval(p).w * t.w) + getval(p).b * t.b))
    energy.def_samples(Sample(gen(lambda rng, dtype: Params(w=rng.standard_normal(3), b=float(rng.standard_normal())))))
    energy.def_vjp(lambda g, ans, p: Params(w=2 * g * getval(p).w, b=2 * g * getval(p).b))
    assert check_primitive(energy, order=1) > 0  # (the fixture's box gives first derivatives only)
    # One that returns a Params: its == compares arrays (undecided), so its value is compared
    # in the space's coordinates, as a class with no __eq__ would be.
    doubled = Primitive("test.doubled", lambda p: Params(w=2 * p.w, b=2 * p.b), dtypes=("float64",))
    doubled.def_vjp(lambda g, ans, p: Params(w=2 * g.w, b=2 * g.b))
    doubled.def_jvp(lambda t, ans, p: Params(w=2 * t.w, b=2 * t.b))
    doubled.def_samples(*energy.sample_sets)
    assert check_primitive(doubled, order=1) > 0
    for wrong in (
        lambda g, ans, p: 2 * g * np.concatenate([getval(p).w, [getval(p).b]]),  # an array, not a Params
        lambda g, ans, p: Params(w=3 * g * getval(p).w, b=2 * g * getval(p).b),
    ):
        energy.def_vjp(wrong)
        with pytest.raises(CheckFailure, match="check 'vjp'"):
            check_primitive(energy, order=1)


class MisnamedBox(FakePack):
    """Pack ``fake`` whose box class for the type lazy_things.Thing is named as a class its
    module does not define."""

    @hookimpl
    def plugrad_types(self, register: Any) -> None:
        register.vspace("lazy_things.Thing", "lazy_rules:ThingVSpace")
        register.box("lazy_things.Thing", "lazy_rules:ThingBx")  # ThingBox, misspelt


_THING_RULES = """
from plugrad import Box
from plugrad.vspace import ArrayVSpace
from lazy_things import Thing

class ThingVSpace(ArrayVSpace):
    def __init__(self, value):
        super().__init__(value.c)

    def zeros(self):
        return Thing(super().zeros())

    def randn(self, rng=None):
        return Thing(super().randn(rng))

    def flatten(self, x):
        return super().flatten(x.c)

class ThingBox(Box):
    __slots__ = ()
"""


def test_a_named_class_that_does_not_load_is_reported_once_and_the_checks_it_stops_fail_short(named_types: Any) -> None:
    from plugrad.gradcheck.checks import NotRun
    from plugrad.gradcheck.cli import print_failures

    (named_types / "lazy_things.py").write_text("class Thing:\n    def __init__(self, c):\n        self.c = c\n")
    (named_types / "lazy_rules.py").write_text(_THING_RULES)
    import lazy_things

    wrap = Primitive("fake.wrap", lambda x: lazy_things.Thing(x))  # an array in, a Thing out
    wrap.def_vjp(lambda g, ans, x: g.c).def_jvp(lambda t, ans, x: lazy_things.Thing(t))
    wrap.def_samples(Sample(rand(3)), Sample(rand(2, 3)))
    wrap.xfail[("vjp", "*")] = "excuses a wrong derivative, never a check that did not run"
    registry = Registry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the registry warns of the pack's fault; the checker fails it)
        registry.register_pack(MisnamedBox(wrap), name="fake")
        registry.register_pack(FakePack(sin_like("ok", lambda g, ans, x: g * pnp.cos(x))), name="fine")
        report = run(plan(registry))

    load, *stopped = [o for o in report.failures() if o.case.pack == "fake"]
    assert load.case.id == "pack:fake[load]" and "'lazy_rules:ThingBx'" in load.message
    cause = stopped[0].cause
    assert cause.startswith("the box class of lazy_things.Thing, which pack fake registered as 'lazy_rules:ThingBx' at tests/test_gradcheck.py:")
    assert cause in load.message  # the one cause, reported by the load check
    checks = {o.case.check for o in stopped}
    assert {"primal", "vjp", "jvp"} <= checks and len(stopped) > 10
    for o in stopped:  # each a failure (the xfail entry excuses none), short, naming the cause
        assert o.status == "failed" and o.cause == cause
        assert o.message.startswith(f"{o.case.id} not run: {cause}\n") and o.message.count("\n") == 1
    assert report.count("passed", "fine") > 0 and report.count("failed", "fine") == 0  # the other pack unaffected
    out = io.StringIO()
    print_failures(report, out, verbose=False)
    text = out.getvalue()
    assert f"FAILED {len(stopped)} checks of 1 primitive(s), not run: {cause}\n  primitives (-v lists each check): fake.wrap\n" in text
    assert text.count(cause) == 2 and text.count("FAILED") == 2  # the load check's, then the checks it stopped
    with pytest.raises(NotRun, match="not run: the box class of lazy_things.Thing"):
        check_primitive(wrap)


def test_a_sample_the_function_refuses_fails_primal_and_the_rest_say_not_run():
    trace = Primitive("demo.trace_of", np.trace)
    trace.def_vjp(lambda g, ans, x: g * np.eye(x.shape[0])).def_jvp(lambda t, ans, x: np.trace(t))
    trace.def_samples(Sample(rand(3, 3)), Sample(rand(4)))  # np.trace refuses a vector
    messages = []
    for case in cases(trace):
        if case.point is not None and case.point.index == 1:
            with pytest.raises(CheckFailure) as caught:
                case.run()
            messages.append((case.check, str(caught.value)))
    primal = [m for check, m in messages if check == "primal"]
    assert primal and all("raised ValueError: diag requires" in m and "Traceback" in m for m in primal)
    others = [m for check, m in messages if check != "primal"]
    assert others and all("not run: the function raised on this sample (ValueError" in m for m in others)
    assert not any("Traceback" in m or m.count("unavailable") > 1 for m in others)


def test_a_derivative_in_the_wrong_dtype_or_shape_is_told_what_to_return():
    from plugrad.gradcheck import check_primitive

    scale = Primitive("demo.scale", lambda x: x * 2.0)
    scale.def_vjp(lambda g, ans, x: g * np.float64(2.0))  # promotes float32 to float64
    scale.def_jvp(lambda t, ans, x: t * 2.0)
    scale.def_samples(Sample(rand(3)))
    with pytest.raises(CheckFailure, match=r"(?s)check 'types'.*dtype: float32.*return one of the argument's dtype float32: .*\.astype\(x\.dtype\)"):
        check_primitive(scale)


def test_a_rule_that_cannot_be_differentiated_is_told_how_to_check_first_order_only():
    from plugrad.gradcheck import check_primitive

    square = Primitive("demo.square_raw", lambda x: x * x)
    square.def_vjp(lambda g, ans, x: g * 2.0 * np.asarray(x))  # raw NumPy: not differentiable
    square.def_jvp(lambda t, ans, x: t * 2.0 * x)
    square.def_samples(Sample(rand(3)))
    with pytest.raises(CheckFailure, match=r"raised while differentiating the rules themselves.*Sample\(\.\.\.\)\.first_order\(\)"):
        check_primitive(square)
    square.sample_sets.clear()
    square.def_samples(Sample(rand(3)).first_order())
    check_primitive(square)  # (first order: passes)
