"""The checks of one primitive, as a list of independent :class:`Case` objects.

A case is one check of one primitive at one sample, dtype and argument. The cases of
one sample and dtype (a :class:`Point`) share its arguments and the derivatives they
compare, made on first use from the seed, so a case gives the same numbers whether
it runs alone or in a full run: the command line, the pytest plugin and
:func:`check_primitive` all run the same cases. An entry
``prim.xfail[(check, dtype)] = reason`` (``dtype`` may be ``"*"``) marks a case as an
expected failure; one that passes is a failure too, since the claim is stale.
"""

from __future__ import annotations

import shlex
import dataclasses
import functools
import textwrap
import traceback
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad.gradcheck.checks import (
    CheckFailure,
    NotRun,
    SECOND_ORDER,
    Probe,
    Tolerance,
    _vjp,
    check_jacobian,
    check_not_differentiable,
    cotangent_as_input,
    jvp_vs_fd,
    primal,
    same_value,
    tangent_as_input,
    tolerance_for,
    transpose,
    types,
    vjp_vs_fd,
)
from plugrad.box import getval
from plugrad.errors import NamedClassError
from plugrad.primitive import Primitive
from plugrad.sample import Rand, Sample, Spec, materialize

__all__ = ["CHECKS", "JACOBIAN_LIMIT", "Case", "Point", "cases", "check_primitive", "coverage_problems"]

CHECKS: dict[str, str] = {
    "load": "the pack loads, and no name it registers conflicts with another pack's",
    "coverage": (
        "the primitive has samples, and they differentiate every argument that has a rule, broadcast "
        "every argument of a ufunc that has one, call a float_fun on a Python float, and trace both "
        "arguments of a def_vjp_pair rule"
    ),
    "primal": "traced, the primitive returns what its function returns: value, type and dtype",
    "vjp": "reverse mode vs finite differences, by random projection",
    "jvp": "forward mode vs finite differences, by random projection",
    "transpose": "<v, JVP(u)> == <VJP(v), u> at near machine precision",
    "types": "cotangents and tangents lie in the argument's space: shape, dtype, real or complex",
    "jacobian": "every Jacobian entry, both modes, vs finite differences (small inputs, on request)",
    "rev_over_rev": "reverse mode of (x, v) -> VJP(x)(v), cotangent as input, vs finite differences",
    "fwd_over_rev": "forward mode of (x, v) -> VJP(x)(v), cotangent as input, vs finite differences",
    "rev_over_fwd": "reverse mode of (x, u) -> JVP(x)(u), tangent as input, vs finite differences",
    "fwd_over_fwd": "forward mode of (x, u) -> JVP(x)(u), tangent as input, vs finite differences",
    "mixed": "both modes of the VJP and the JVP of the differentiated arguments taken together, vs "
    "finite differences: the mixed second partials, which the per-argument checks hold fixed",
    "vjp_add": "argument 0's in-place VJP (def_vjp_add), adding into a cotangent summed so far, gives "
    "the sum of its VJP rule's cotangents",
    "vjp_pair": "both arguments' VJPs in one call (def_vjp_pair), with both traced, give what the two "
    "VJP rules give one at a time",
    "no_vjp": "an argument without a VJP rule raises NotDifferentiableError in reverse mode",
    "no_jvp": "an argument without a JVP rule raises NotDifferentiableError in forward mode",
}

JACOBIAN_LIMIT = 64  # largest input or output size (real coordinates) the full Jacobian is built for
_DOUBLE = ("float64", "complex128")  # second-order finite differences are too coarse below this


def _code(text: str) -> int:
    return zlib.crc32(text.encode())


@dataclasses.dataclass(eq=False)
class Point:
    """One sample of a primitive at one dtype; its arguments are made once, on first use."""

    prim: Primitive
    index: int
    sample: Sample
    dtype: str
    seed: int
    order: int  # 1 or 2: how far this point is differentiated
    _probes: dict[tuple[int, str], Probe] = dataclasses.field(default_factory=dict, repr=False)

    @functools.cached_property
    def arguments(self) -> tuple[list[Any], dict[str, Any]]:
        rng = np.random.default_rng(_code(f"{self.seed}/{self.index}/{self.dtype}"))
        return materialize(self.sample, rng, self.dtype)

    def rng(self, argnum: int, what: str) -> np.random.Generator:
        return np.random.default_rng(_code(f"{self.seed}/{self.index}/{self.dtype}/{argnum}/{what}"))

    @functools.cached_property
    def unusable(self) -> str | None:
        """Why the primitive's own function cannot be called on this point's arguments (it
        raised), or None: then only the ``primal`` check reports it, with its traceback,
        and the others say they did not run instead of failing each on their own."""
        try:
            args, kwargs = self.arguments
            self.prim.fun(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the sample's fault, whatever it is
            return f"{type(exc).__name__}: {exc}"
        return None

    def forget(self) -> None:
        """Drop the probes (their derivatives) once this point's checks have run."""
        self._probes.clear()

    def probe(self, argnum: int, level: str = "first") -> Probe:
        """The probe of argument ``argnum`` (``level`` "first"), or of its VJP ("rev") or JVP
        ("fwd") with the cotangent or tangent as a second input, made once and shared by the
        checks of this point, which compare the same derivatives in different ways."""
        key = (argnum, level)
        probe = self._probes.get(key)
        if probe is None:
            f, x, tol = self.partial(argnum), self.arguments[0][argnum], self.tolerance()
            rng = self.rng(argnum, level)
            if level != "first":
                f, x = (cotangent_as_input if level == "rev" else tangent_as_input)(f, x, rng)
            probe = self._probes[key] = Probe(f, x, rng, tol)
        return probe

    def tolerance(self) -> Tolerance:
        """The dtype's defaults, overridden by ``prim.tolerances[dtype]``, then by ``Sample.tol``."""
        rtol, atol = self.prim.tolerances.get(self.dtype, (None, None))
        rtol = self.sample.rtol if self.sample.rtol is not None else rtol
        atol = self.sample.atol if self.sample.atol is not None else atol
        return tolerance_for(self.dtype, rtol, atol)

    def joint(self, argnums: tuple[int, ...]) -> Callable[[Any], Any]:
        """The primitive as a function of the tuple of arguments ``argnums``. (A container
        argument, odeint's tuple of parameters, arrives as a container of traced values,
        which the primitive traces as one value.)"""
        args, kwargs = self.arguments
        prim = self.prim

        def f(xs: Any) -> Any:
            full = list(args)
            for i, x in zip(argnums, xs):
                full[i] = x
            return prim(*full, **kwargs)

        return f

    def partial(self, argnum: int) -> Callable[[Any], Any]:
        """The primitive as a function of argument ``argnum`` alone."""
        args, kwargs = self.arguments
        prim = self.prim

        def f(x: Any) -> Any:
            full = list(args)
            full[argnum] = x
            return prim(*full, **kwargs)

        return f


@dataclasses.dataclass(eq=False)
class Case:
    """One check: of a pack (``load``), of a primitive (``coverage``), or of a primitive at
    one point and argument. ``problems`` holds what a ``load`` or ``coverage`` check found."""

    check: str
    pack: str | None
    prim: Primitive | None = None
    point: Point | None = None
    argnum: int | None = None
    problems: tuple[str, ...] = ()
    argnums: tuple[int, ...] = ()  # a check of several arguments together ("mixed")

    @property
    def primitive(self) -> str | None:
        return self.prim.name if self.prim is not None else None

    @property
    def dtype(self) -> str | None:
        return self.point.dtype if self.point is not None else None

    @property
    def sample(self) -> int | None:
        return self.point.index if self.point is not None else None

    @property
    def id(self) -> str:
        """``numpy.sin[2-float32-arg0-vjp]``, ``numpy.sin[coverage]``, ``pack:numpy[load]``."""
        if self.prim is None:
            return f"pack:{self.pack}[{self.check}]"
        if self.point is None:
            return f"{self.prim.name}[{self.check}]"
        arg = "+".join(map(str, self.argnums)) if self.argnums else self.argnum
        return f"{self.prim.name}[{self.point.index}-{self.point.dtype}-arg{arg}-{self.check}]"

    def xfail_reason(self) -> str | None:
        """The reason this case is expected to fail, from ``prim.xfail``, or ``None``."""
        if self.prim is None or not self.prim.xfail:
            return None
        dtype = self.dtype or "*"
        xfail = self.prim.xfail
        reason: str | None = xfail.get((self.check, dtype)) or xfail.get((self.check, "*"))
        return reason

    def run(self) -> None:
        """Run the check; raise :class:`CheckFailure` with a message that names the
        primitive, pack, sample, argument, shapes, dtype and seed."""
        try:
            if self.point is None:
                if self.problems:
                    raise CheckFailure("\n".join(f"- {p}" for p in self.problems))
                return
            if self.check != "primal" and self.point.unusable is not None:
                raise CheckFailure(
                    f"not run: the function raised on this sample ({self.point.unusable}); fix the "
                    "sample, or remove it (check 'primal' shows the traceback)"
                )
            _RUNNERS[self.check](self)
        except CheckFailure as exc:
            raise CheckFailure(f"{self.context()}\n{textwrap.indent(str(exc), '  ')}") from None
        except NamedClassError as exc:  # (one fault of a pack's registration stops many checks: said short)
            raise NotRun(
                f"{self.id} not run: {exc}\n  (fix that registration: the 'load' check of the pack that made "
                "it reports it, and every check of values of that type waits on it)",
                str(exc),
            ) from None
        except Exception as exc:
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-8))
            raise CheckFailure(
                f"{self.context()}\n  raised {type(exc).__name__}: {exc}{_second_order(exc)}\n"
                f"{textwrap.indent(tb.rstrip(), '    ')}"
            ) from exc

    def context(self) -> str:
        """Who failed, where, and how to rerun it."""
        if self.prim is None:
            who = "the registry (a fault that names no pack)" if self.pack == "*" else f"pack {self.pack!r}"
            return f"{who}: check 'load' ({CHECKS['load']})"
        head = f"{self.prim.name} ({'pack ' + self.prim.pack if self.prim.pack else 'no pack'}): check {self.check!r} ({CHECKS.get(self.check, '')})"
        if self.point is None:
            return head
        point, argnums = self.point, self.argnums or (self.argnum,)
        try:
            args, kwargs = point.arguments
            shapes = ", ".join(_describe(a) for a in args)
            arg = " and ".join(
                f"{self.prim.arg_name(i)}, {_describe(args[i]) if i < len(args) else 'missing'}"
                for i in argnums
                if i is not None
            )
            out = "unavailable: the function raised" if point.unusable else _describe(self.prim.fun(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the context must not hide the failure
            out = shapes = arg = f"unavailable ({type(exc).__name__}: {exc})"
        tol = point.tolerance()
        return (
            f"{head}\n"
            f"  sample {point.index}: {point.sample.describe()}   dtype: {point.dtype}   seed: {point.seed}\n"
            f"  differentiated: {arg}{' together' if self.argnums else ''}\n"
            f"  arguments: ({shapes}) -> output {out}\n"
            f"  tolerance: rtol {tol.rtol:g}, atol {tol.atol:g}, step {tol.eps:g}\n"
            f"  rerun: {self._rerun(point.seed)}"
        )

    def _rerun(self, seed: int) -> str:
        """The command that runs this check again: the checker's, for a pack's primitive;
        ``check_primitive``, for one no installed pack registers (a test's own)."""
        assert self.prim is not None
        full = self.check == "jacobian"
        if self.prim.pack is None:
            return f"check_primitive({self.prim.__name__}, seed={seed}{', full_jacobian=True' if full else ''})"
        return (  # (--pack: the other packs' faults, which a run of every pack reports, are not this one's)
            f"python -m plugrad gradcheck --pack {shlex.quote(self.prim.pack)} --primitive '{self.prim.name}' "
            f"--seed {seed}{' --full-jacobian' if full else ''}"
        )


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"{x.dtype}{list(x.shape)}"
    if isinstance(x, np.generic):
        return f"{x.dtype} scalar"
    if isinstance(x, (float, complex)):
        return type(x).__name__
    if isinstance(x, (tuple, list)) and any(isinstance(e, (np.ndarray, np.generic, float, complex)) for e in x):
        inner = ", ".join(_describe(e) for e in x)
        return f"({inner})" if isinstance(x, tuple) else f"[{inner}]"
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


# -- the checks at one point and argument ------------------------------------------


def _modes(case: Case) -> tuple[str, ...]:
    assert case.prim is not None and case.argnum is not None
    return tuple(m for m, has in (("rev", case.prim.has_vjp(case.argnum)), ("fwd", case.prim.has_jvp(case.argnum))) if has)


def _on_probe(check: Callable[..., None], level: str = "first", **options: Any) -> Callable[[Case], None]:
    def run(case: Case) -> None:
        assert case.point is not None and case.argnum is not None
        check(case.point.probe(case.argnum, level), **options)

    return run


def _primal(case: Case) -> None:
    assert case.point is not None and case.prim is not None and case.argnum is not None
    args, kwargs = case.point.arguments
    expected = case.prim.fun(*args, **kwargs)
    if case.prim.float_fun is not None and len(args) == 1 and type(args[0]) is float and not kwargs:
        # A float_fun keeps a traced Python float a float: it must agree with fun.
        traced = case.prim.evaluate(*args)
        diff = same_value(np.float64(traced), expected)
        if diff:
            raise CheckFailure(f"float_fun returned {diff} returned by fun")
        expected = traced
    primal(case.point.probe(case.argnum), expected, modes=_modes(case))


def _types(case: Case) -> None:
    point, argnum, modes = case.point, case.argnum, _modes(case)
    assert point is not None and argnum is not None
    types(point.probe(argnum), modes=modes)
    if point.order > 1:  # second-order cotangents keep their dtype too, float32 included
        for level, what in (("rev", "(x, v) -> VJP(x)(v)"), ("fwd", "(x, u) -> JVP(x)(u)")):
            if level in modes:
                types(point.probe(argnum, level), f"second order, {what}", modes=modes)


def _jacobian(case: Case) -> None:
    point, argnum = case.point, case.argnum
    assert point is not None and argnum is not None
    check_jacobian(point.partial(argnum), point.arguments[0][argnum], point.tolerance(), modes=_modes(case))


def _claim(mode: str) -> Callable[[Case], None]:
    def run(case: Case) -> None:
        point, argnum = case.point, case.argnum
        assert point is not None and argnum is not None
        check_not_differentiable(point.partial(argnum), point.arguments[0][argnum], point.rng(argnum, case.check), mode)

    return run


def _mixed(case: Case) -> None:
    """The second-order checks of the primitive as a function of several arguments at once:
    a rule for one argument that reads another's value untraced is right along each
    argument alone, but wrong across them (in a Hessian, or in grad of grad)."""
    point, prim, argnums = case.point, case.prim, case.argnums
    assert point is not None and prim is not None
    modes = _joint_modes(prim, argnums)
    f = point.joint(argnums)
    xs = tuple(point.arguments[0][i] for i in argnums)
    for inner, lift in (("rev", cotangent_as_input), ("fwd", tangent_as_input)):
        if inner in modes:
            rng = point.rng(argnums[0], f"mixed/{inner}")
            g, at = lift(f, xs, rng)
            probe = Probe(g, at, rng, point.tolerance())
            label = f"derivative of the {inner} rule"
            if "rev" in modes:
                vjp_vs_fd(probe, label)
            if "fwd" in modes:
                jvp_vs_fd(probe, label)


def _vjp_add(case: Case) -> None:
    """Three reads of argument 0, pulled back in one pass: the first two cotangents are
    summed into an array of the pass's own, the third is added into it by the primitive's
    ``def_vjp_add`` rule. The same as the three VJPs taken one at a time and summed."""
    from plugrad.vspace import vspace

    point = case.point
    assert point is not None
    f, x = point.partial(0), point.arguments[0][0]
    rng = point.rng(0, "vjp_add")
    space = vspace(getval(f(x)))
    vs = [space.randn(rng) for _ in range(3)]
    got = _vjp(lambda x: (f(x), f(x), f(x)), x)[0](tuple(vs))
    single = _vjp(f, x)[0]
    expected = (single(vs[2]) + single(vs[1])) + single(vs[0])  # the order of the backward pass
    diff = same_value(got, expected)
    if diff:
        raise CheckFailure(
            f"reading argument 0 three times gave a cotangent of {diff} given by the VJP rule "
            "three times: the def_vjp_add rule does not add what the VJP rule gives"
        )


def _vjp_pair(case: Case) -> None:
    """Arguments 0 and 1 traced together, given positionally, so the backward pass calls
    the ``def_vjp_pair`` rule: the same cotangents as each argument traced alone."""
    from plugrad.vspace import vspace

    point = case.point
    assert point is not None
    args = point.arguments[0]
    f = point.joint((0, 1))
    rng = point.rng(0, "vjp_pair")
    v = vspace(getval(f((args[0], args[1])))).randn(rng)
    got = _vjp(f, (args[0], args[1]))[0](v)
    for argnum in (0, 1):
        diff = same_value(got[argnum], _vjp(point.partial(argnum), args[argnum])[0](v))
        if diff:
            raise CheckFailure(
                f"with both arguments traced, the def_vjp_pair rule gave {point.prim.arg_name(argnum)} a "
                f"cotangent of {diff} given by its VJP rule alone"
            )


def _pairs(sample: Sample) -> bool:
    """Whether ``sample`` traces arguments 0 and 1 of two positional ones, as a call that
    reaches a ``def_vjp_pair`` rule does (a keyword argument takes the general path)."""
    return len(sample.args) == 2 and not sample.kwargs and {0, 1} <= set(sample.spec_argnums())


def _joint_modes(prim: Primitive, argnums: tuple[int, ...]) -> tuple[str, ...]:
    """The modes every one of ``argnums`` has a rule for."""
    return tuple(
        mode for mode, has in (("rev", prim.has_vjp), ("fwd", prim.has_jvp)) if all(has(i) for i in argnums)
    )


_RUNNERS: dict[str, Callable[[Case], None]] = {
    "primal": _primal,
    "vjp": _on_probe(vjp_vs_fd),
    "jvp": _on_probe(jvp_vs_fd),
    "transpose": _on_probe(transpose),
    "types": _types,
    "jacobian": _jacobian,
    "rev_over_rev": _on_probe(vjp_vs_fd, "rev"),
    "fwd_over_rev": _on_probe(jvp_vs_fd, "rev"),
    "rev_over_fwd": _on_probe(vjp_vs_fd, "fwd"),
    "fwd_over_fwd": _on_probe(jvp_vs_fd, "fwd"),
    "no_vjp": _claim("rev"),
    "no_jvp": _claim("fwd"),
    "mixed": _mixed,
    "vjp_add": _vjp_add,
    "vjp_pair": _vjp_pair,
}


# -- which cases a primitive has -----------------------------------------------------


def _dtypes(prim: Primitive, sample: Sample) -> list[str]:
    if sample.dtypes is not None:
        return list(sample.dtypes)
    return list(prim.dtypes) + (["complex128"] if prim.complex else [])


def _is_float(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (float, complex)):
        return True
    dtype = getattr(value, "dtype", None)
    return isinstance(value, (np.ndarray, np.generic)) and dtype is not None and dtype.kind in "fc"


def _ruled(prim: Primitive) -> dict[int, list[str]]:
    """Argument number -> the rules it has (``VJP``, ``JVP``), from the per-argument tables."""
    ruled: dict[int, list[str]] = {}
    for kind, table in (("VJP", prim.vjps), ("JVP", prim.jvps)):
        for i, rule in enumerate(table):
            if rule is not None:
                ruled.setdefault(i, []).append(kind)
    return ruled


def coverage_problems(prim: Primitive, samples: list[Any]) -> list[str]:
    """What makes ``prim``'s samples insufficient: none at all, an argument with a rule
    that no sample differentiates, a malformed sample, or an xfail entry naming no check."""
    fix = "add one with prim.def_samples(Sample(...))"
    if not samples:
        return [f"{prim.name} declares no samples, so none of its rules is checked; {fix}"]
    problems = []
    exercised: set[int] = set()
    for k, sample in enumerate(samples):
        if not isinstance(sample, Sample):
            problems.append(f"sample {k} is {sample!r}, not a plugrad.Sample")
            continue
        for i in sample.spec_argnums():
            if not 0 <= i < len(sample.args):
                problems.append(
                    f"sample {k} {sample.describe()} differentiates argument {i}, but has "
                    f"{len(sample.args)} positional argument(s)"
                )
            else:
                exercised.add(i)
    for i, kinds in sorted(_ruled(prim).items()):
        if i not in exercised:
            problems.append(
                f"{prim.arg_name(i)} has a {' and a '.join(kinds)} rule, but no sample differentiates "
                f"it: give it as a spec (rand(...), scalar(), gen(...)) in some sample, or name it "
                f"with Sample(...).wrt({i})"
            )
    problems += _unbroadcast_problems(prim, samples)
    if prim.float_fun is not None and not any(_one_float(prim, s) for s in samples):
        problems.append(
            "it has a float_fun, which the primal check compares with fun only on a sample of one "
            "Python float: add Sample(scalar())"
        )
    if (prim.vjp_argnum is not None or prim.jvp_argnum is not None) and not exercised:
        problems.append("it has rules for every argument (def_vjp_argnum / def_jvp_argnum), but no sample differentiates any")
    if prim.vjp_pair is not None and not any(isinstance(s, Sample) and _pairs(s) for s in samples):
        problems.append(
            "it has a def_vjp_pair rule, which the backward pass calls where both arguments are traced "
            "in a call without keyword arguments, but no sample is such a call: add one that "
            "differentiates both and passes no keywords, such as Sample(rand(3), rand(3))"
        )
    dtypes = {d for s in samples if isinstance(s, Sample) for d in _dtypes(prim, s)}
    for check, dtype in prim.xfail:
        if check not in CHECKS:
            problems.append(f"xfail entry ({check!r}, {dtype!r}) names no check; the checks are {', '.join(CHECKS)}")
        elif dtype != "*" and dtype not in dtypes:
            problems.append(f"xfail entry ({check!r}, {dtype!r}) names a dtype no sample is checked at ({', '.join(sorted(dtypes))})")
    return problems


def _one_float(prim: Primitive, sample: Any) -> bool:
    """Whether ``sample`` calls ``prim`` on one Python float (its float_fun's case)."""
    if not isinstance(sample, Sample) or len(sample.args) != 1 or sample.kwargs:
        return False
    arg = sample.args[0]
    is_scalar = type(arg) is float or (isinstance(arg, Rand) and arg.shape is None)
    return is_scalar and "float64" in _dtypes(prim, sample)


def _unbroadcast_problems(prim: Primitive, samples: list[Any]) -> list[str]:
    """For a ufunc of several arguments (NumPy's or SciPy's): each argument with a rule
    must be differentiated, in some sample, at a shape smaller than the output's, so its
    rules' reduction of a broadcast cotangent is checked."""
    fun = prim.fun
    if not isinstance(fun, np.ufunc) or fun.nin < 2 or fun.signature is not None:  # (not matmul)
        return []
    broadcast: set[int] = set()
    for sample in samples:
        if not isinstance(sample, Sample):
            continue
        try:
            args, _ = materialize(sample, np.random.default_rng(0), _dtypes(prim, sample)[0])
            shapes = [np.shape(a) for a in args[: fun.nin]]
            out = np.broadcast_shapes(*shapes)
        except Exception:  # noqa: BLE001 - the checks of that sample will report it
            continue
        broadcast.update(i for i in sample.spec_argnums() if i < len(shapes) and shapes[i] != out)
    return [
        f"{prim.arg_name(i)} has a rule, but no sample broadcasts it (gives it fewer axes or axes of "
        "length 1 where the output has more), so the rule's reduction of a broadcast cotangent is "
        "not checked: add a sample such as Sample(rand(3), rand(2, 3))"
        for i in sorted(_ruled(prim))
        if i < fun.nin and i not in broadcast
    ]


def _point_cases(prim: Primitive, point: Point, full_jacobian: bool) -> list[Case]:
    out: list[Case] = []
    sample = point.sample

    def add(check: str, argnum: int) -> None:
        out.append(Case(check, prim.pack, prim, point, argnum))

    wrt = sample.spec_argnums()
    for argnum in wrt:
        rev, fwd = prim.has_vjp(argnum), prim.has_jvp(argnum)
        if rev or fwd:
            add("primal", argnum)
        add("vjp" if rev else "no_vjp", argnum)
        add("jvp" if fwd else "no_jvp", argnum)
        if rev and fwd:
            add("transpose", argnum)
        if rev or fwd:
            add("types", argnum)
        if full_jacobian and (rev or fwd) and _small(point, argnum):
            add("jacobian", argnum)
        if argnum == 0 and rev and prim.vjp_add is not None:
            add("vjp_add", argnum)
        if argnum == 0 and prim.vjp_pair is not None and _pairs(sample):
            add("vjp_pair", argnum)
        if point.order > 1 and point.dtype in _DOUBLE:
            for check, needs in (
                ("rev_over_rev", rev),
                ("fwd_over_rev", rev and fwd),
                ("rev_over_fwd", rev and fwd),
                ("fwd_over_fwd", fwd),
            ):
                if needs:
                    add(check, argnum)
    if point.order > 1 and point.dtype in _DOUBLE:
        ruled = tuple([i for i in wrt if prim.has_vjp(i) or prim.has_jvp(i)])
        if len(ruled) > 1 and _joint_modes(prim, ruled):
            out.append(Case("mixed", prim.pack, prim, point, ruled[0], argnums=ruled))
    # A float constant with no rule at all is declared non-differentiable: check the claim.
    for argnum, value in enumerate(sample.args):
        constant = argnum not in wrt and not isinstance(value, Spec) and _is_float(value)
        if constant and not (prim.has_vjp(argnum) or prim.has_jvp(argnum)):
            add("no_vjp", argnum)
            add("no_jvp", argnum)
    return out


def _small(point: Point, argnum: int) -> bool:
    from plugrad.vspace import vspace

    try:
        args, kwargs = point.arguments
        sizes = vspace(args[argnum]).size, vspace(point.prim.fun(*args, **kwargs)).size
    except Exception:  # noqa: BLE001 - the other checks will report it
        return False
    return max(sizes) <= JACOBIAN_LIMIT  # sizes count real dimensions: two per complex element


def cases(prim: Primitive, *, seed: int = 0, order: int = 2, full_jacobian: bool = False) -> list[Case]:
    """Every check of ``prim``: its coverage, then each sample x dtype x argument x check."""
    try:
        samples = prim.samples()
    except Exception as exc:  # noqa: BLE001 - a broken lazy sample list is the pack's fault
        return [Case("coverage", prim.pack, prim, problems=(f"prim.samples() raised {type(exc).__name__}: {exc}",))]
    out = [Case("coverage", prim.pack, prim, problems=tuple(coverage_problems(prim, samples)))]
    for k, sample in enumerate(samples):
        if not isinstance(sample, Sample):
            continue
        for dtype in _dtypes(prim, sample):
            point = Point(prim, k, sample, dtype, seed, min(order, sample.order))
            out.extend(_point_cases(prim, point, full_jacobian))
    return out


def check_primitive(prim: Primitive, *, seed: int = 0, order: int = 2, full_jacobian: bool = False) -> int:
    """Run every check of ``prim``; raise :class:`CheckFailure` at the first failure (an
    expected failure is skipped, an unexpected pass is a failure). Returns how many ran."""
    from plugrad.registry import ensure_types

    ensure_types()  # the packs' box types, so rules can run on traced values
    ran = 0
    for case in cases(prim, seed=seed, order=order, full_jacobian=full_jacobian):
        reason = case.xfail_reason()
        try:
            case.run()
        except CheckFailure:
            if reason is None:
                raise
        else:
            if reason is not None:
                raise CheckFailure(xpass_message(case, reason))
        ran += 1
    return ran


def xpass_message(case: Case, reason: str) -> str:
    return (
        f"{case.context()}\n  marked as an expected failure ({reason}) but passed: remove "
        f"({case.check!r}, {case.dtype or '*'!r}) from {case.primitive}.xfail"
    )


def _second_order(exc: BaseException) -> str:
    """A line for an error raised while the rules themselves were differentiated (the
    second-order checks run a rule traced): what that needs, and how to check first order
    only."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in SECOND_ORDER:
            return (
                "\n  (raised while differentiating the rules themselves, for the second-order checks: a "
                "rule must be written with plugrad's functions to be differentiated; where the rules "
                "cannot be, check first order only, Sample(...).first_order())"
            )
        tb = tb.tb_next
    return ""
