"""Debug mode: the first NaN, infinity or malformed cotangent is caught where it is made."""

from __future__ import annotations

from typing import Any

import os
import subprocess
import sys

import numpy
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

import plugrad.numpy as np
from plugrad import Primitive, detect_anomaly, grad, make_jvp, make_vjp
from plugrad.debug import AnomalyError
from plugrad.extend import defvjp, primitive


def nan_at_zero(x):
    return np.sum(np.sqrt(x) * 0.0 + x)


def test_off_by_default_gives_nan_silently():
    g = grad(nan_at_zero)(numpy.array([0.0, 1.0]))
    assert numpy.isnan(g[0])


def test_debug_mode_names_primitive_pack_argument_and_call_site():
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            grad(nan_at_zero)(numpy.array([0.0, 1.0]))
    message = str(info.value)
    assert "numpy.sqrt (pack numpy)" in message
    assert "argument 0" in message
    assert f"{__file__}:" in message and "nan_at_zero" in message


def test_the_call_site_skips_pythons_own_modules():
    # check_grads calls the primitive it is given through functools: the site named is the
    # line that asked for the check, in forward and in reverse mode.
    from plugrad.test_util import check_grads

    for modes in (["fwd"], ["rev"]):
        with detect_anomaly(), pytest.raises(AnomalyError) as info:
            check_grads(np.sqrt, modes=modes, order=1)(numpy.array([0.0, 0.5]))
        assert f"called at {__file__}:" in str(info.value) and "functools" not in str(info.value)


def test_forward_mode_tangent_checked():
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="numpy.log.*non-finite tangent"):
            make_jvp(lambda x: np.log(x))(numpy.zeros(2))(numpy.ones(2))


def test_a_rule_with_wrong_shape_is_caught_naming_the_rule():
    # (A rule given with plugrad.extend.defvjp is checked as it returns, debug mode or not;
    # a pack's, with Primitive.def_vjp, here.)
    total = Primitive("test.total", numpy.sum)
    total.def_vjp(lambda g, ans, x: g)  # forgets to broadcast back to x's shape
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"total.*VJP for argument 0.*shape \(\) .*shape \(3,\)"):
        grad(total)(numpy.ones(3))


def test_environment_variable_turns_it_on():
    code = (
        "import numpy, plugrad.numpy as np\n"
        "from plugrad import grad\n"
        "grad(lambda x: np.sum(np.sqrt(x)))(numpy.zeros(2))\n"
    )
    env = dict(os.environ, PLUGRAD_DEBUG="1")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "AnomalyError" in result.stderr


def test_state_is_per_context():
    import threading

    seen = []
    with detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(__import__("plugrad").debug.enabled()))
        t.start()
        t.join()
    assert seen == [os.environ.get("PLUGRAD_DEBUG", "") not in ("", "0")]


def test_user_rules_of_the_wrong_precision_or_tangent_shape_are_caught():
    from plugrad.extend import defjvp

    @primitive
    def double(x):
        return x * 2

    defvjp(double, lambda ans, x: lambda g: (g * 2).astype(numpy.float32))
    defjvp(double, lambda t, ans, x: numpy.ones(7))
    # A custom VJP's cotangent is put in its argument's dtype (a complex one for a real
    # argument is refused: tests/test_extend.py), so it is no anomaly.
    assert grad(lambda x: np.sum(double(x)))(numpy.ones(3)).dtype == numpy.float64
    with detect_anomaly():
        assert grad(lambda x: np.sum(double(x)))(numpy.ones(3)).dtype == numpy.float64
        double.def_vjp(lambda g, ans, x: (g * 2).astype(numpy.float32))  # a pack's rule, as written
        with pytest.raises(AnomalyError, match=r"VJP for argument 0 \(x\) returned a cotangent with shape \(3,\) dtype float32 for an argument with shape \(3,\) dtype float64"):
            grad(lambda x: np.sum(double(x)))(numpy.ones(3))
        # A tangent's shape is checked as the rule returns it, debug mode or not: a custom
        # JVP's, and a pack's.
        with pytest.raises(ValueError, match=r"JVP of .*double for argument 0 \(\w+\) returned a tangent of shape \(7,\)"):
            make_jvp(double)(numpy.ones(3))(numpy.ones(3))
        double.def_jvp(lambda t, ans, x: numpy.ones(7))
        with pytest.raises(ValueError, match=r"JVP of .*double for argument 0 \(x\) returned a tangent of shape \(7,\) for an output of shape \(3,\)"):
            make_jvp(double)(numpy.ones(3))(numpy.ones(3))
        double.def_jvp(lambda t, ans, x: (t * 2).astype(numpy.float32))
        with pytest.raises(AnomalyError, match=r"double produced a tangent with shape \(3,\) dtype float32 for an output with shape \(3,\) dtype float64"):
            make_jvp(double)(numpy.ones(3))(numpy.ones(3))


def test_precision_the_rule_was_given_is_not_its_fault():
    # A Python-float parameter times float32 data gives a float32 cotangent (NumPy's weak
    # scalars), and a user's float64 cotangent for a float32 output runs the rules in
    # float64: neither is a rule's fault. (make_vjp then gives the gradient its argument's
    # dtype; a user's float64 tangent gives a float64 output tangent.)
    data32 = numpy.ones(3, numpy.float32)
    with detect_anomaly():
        assert grad(lambda s: np.sum(s * data32))(2.0) == 3.0
        assert make_vjp(np.sin)(data32)[0](numpy.ones(3)).dtype == numpy.float32
        assert make_jvp(np.sin)(data32)(numpy.ones(3))[1].dtype == numpy.float64


def test_anomaly_mode_names_the_rule_that_gave_an_array_for_a_packs_value(quats: Any) -> None:
    # The space of four coefficients and an array of four have one shape: told apart by kind,
    # so the rule named is the one that returned the array, not the next that met it.
    Quat = quats
    norm2 = Primitive("test.quat_norm2", lambda q: float(q.c @ q.c))
    norm2.def_vjp(lambda g, ans, q: 2 * g * q.c)  # an array: wrong, a Quat is wanted
    double = Primitive("test.quat_double", lambda q: Quat(2 * q.c))
    double.def_vjp(lambda g, ans, q: Quat(2 * g.c))
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"test.quat_norm2, VJP for argument 0 \(q\) returned a cotangent with shape \(4,\) dtype float64 for an argument with type Quat in QuatSpace\(shape=\(4,\), dtype=float64\)"):
        grad(lambda q: norm2(double(q)))(Quat([1.0, 0.0, 0.0, 0.0]))
