"""plugrad.box: traces, box types, getval."""

from __future__ import annotations

import operator
import re
from typing import Any

import numpy
import pytest

import plugrad.numpy as np
from plugrad import TraceError, grad
from plugrad.box import Box, Trace, box_type, getval, isbox, register_box_type


def test_trace_levels_increase_and_modes_differ():
    a, b = Trace(), Trace(forward=True)
    assert b.level > a.level
    assert a.tape == [] and b.tape is None
    assert "reverse" in repr(a) and "forward" in repr(b)


def test_getval_unwraps_nested_boxes():
    outer = Box.new(Box.new(3.0, Trace()), Trace())
    assert getval(outer) == 3.0
    assert isbox(outer) and not isbox(3.0)


def test_box_type_registration_and_subclass_lookup():
    class Thing:
        pass

    class SubThing(Thing):
        pass

    class ThingBox(Box):
        __slots__ = ()

    register_box_type(Thing, ThingBox)
    assert box_type(Thing()) is ThingBox
    assert box_type(SubThing()) is ThingBox  # found through the base class, then cached
    inner = ThingBox.new(Thing(), Trace())
    assert box_type(inner) is ThingBox  # boxes of lower levels keep their class
    assert box_type(object()).__mro__[1] is Box  # BareBox, whose missing attributes say why


def test_boxes_hash_by_identity_and_are_truthy_like_values():
    t = Trace()
    a, b = Box.new(1.0, t), Box.new(1.0, t)
    assert len({a, b}) == 2
    assert bool(Box.new(numpy.float64(0.0), t)) is False


def test_ptp_divmod_and_format_of_traced_values() -> None:
    import pytest

    from plugrad import grad

    x = numpy.array([1.0, 3.0, 2.0])
    assert grad(lambda x: x.ptp())(x).tolist() == [-1.0, 1.0, 0.0]  # NumPy 2 has no ndarray.ptp
    assert grad(lambda x: divmod(x, 0.7)[1].sum())(x).tolist() == [1.0, 1.0, 1.0]
    assert grad(lambda s: divmod(7.0, s)[1])(2.0) == pytest.approx(-3.0)  # 7 - 3 s
    shown = []
    assert grad(lambda s: (shown.append(f"{s:.3f}"), s * s)[1])(1.5) == 3.0
    assert shown == ["1.500"]


def test_a_missing_attribute_of_a_traced_value_of_a_type_without_a_box_class_says_so() -> None:
    import pytest

    plain = box_type(object()).new([1.0], Trace())  # a type no pack gave a box class
    with pytest.raises(AttributeError, match=r"a traced list has no attribute 'coef': no pack registered a box class for list \(register.box"):
        plain.coef
    assert not hasattr(plain, "sum")


class _Poly:
    """A value type with no box class (as one given only a vector space)."""


class _TakesBoxes:
    """An operand whose reflected operators accept anything: Python would reach them."""

    def __radd__(self, other: object) -> str:
        return "radd"

    def __gt__(self, other: object) -> str:
        return "gt"


def test_calls_and_operators_on_a_traced_value_of_a_type_without_a_box_class_say_so() -> None:
    from plugrad import TraceError

    trace = Trace()
    plain = box_type(_Poly()).new(_Poly(), trace)
    uses = [
        ("calls", lambda: plain(1.0)),
        ("the operator \\+", lambda: plain + 1),
        ("the operator -", lambda: 1.0 - plain),  # (float's own - declined first)
        ("the operator \\*", lambda: plain * numpy.ones(2)),  # (ndarray's reflection declined too)
        ("the operator -", lambda: -plain),
        ("comparisons \\(<, <=, >, >=\\)", lambda: plain < 1),
        ("comparisons \\(<, <=, >, >=\\)", lambda: 1 < plain),  # (int's declined: plain's >)
        ("calls", lambda: plain(x=1.0)),
        ("the operator \\*\\*", lambda: pow(plain, 2, 5)),
        ("item deletion", lambda: operator.delitem(plain, 0)),
        ("the operator in", lambda: 1.0 in plain),
        ("reversed\\(\\)", lambda: reversed(plain)),
        ("divmod\\(\\)", lambda: divmod(plain, 2)),
        ("round\\(\\)", lambda: round(plain)),
        ("use as an index", lambda: [1.0, 2.0][plain]),
        ("abs\\(\\)", lambda: abs(plain)),
        ("indexing", lambda: plain[0]),
        ("item assignment", lambda: operator.setitem(plain, 0, 1.0)),
        ("len\\(\\)", lambda: len(plain)),
        ("iteration", lambda: list(plain)),
        ("float\\(\\)", lambda: float(plain)),
        ("the operator \\+", lambda: plain + box_type(_Poly()).new(_Poly(), trace)),
    ]
    for what, use in uses:
        with pytest.raises(TraceError, match=rf"a traced _Poly does not support {what}: no pack registered a box class for _Poly, .* Register one with register.box in the plugrad_types hook of the pack that registers its vector space, or use that pack's primitives on it"):
            use()
    # The other operand's reflected operator is still tried first, as Python would.
    assert plain + _TakesBoxes() == "radd" and (plain < _TakesBoxes()) == "gt"


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_masked_arrays_and_matrices_are_refused_not_differentiated_wrongly() -> None:
    # The rules know nothing of a mask, nor of matrix's * and **: their derivatives would be
    # wrong without a word (np.mean of a masked array divides by the elements unmasked).
    import plugrad.numpy as np
    from plugrad import NotDifferentiableError, grad, make_jvp

    masked = numpy.ma.array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    matrix = numpy.matrix([[1.0, 2.0], [3.0, 4.0]])
    attempts = [
        (lambda: grad(np.mean)(masked), "grad\\(mean\\), argument 0: .*numpy.ma.MaskedArray: .*np.where"),
        (lambda: grad(lambda w: np.mean((w - masked) ** 2))(numpy.zeros(3)), "numpy.ma.MaskedArray"),
        (lambda: grad(lambda w: np.sum(masked * w))(numpy.ones(3)), "numpy.ma.MaskedArray"),  # masked's own __mul__
        (lambda: make_jvp(np.sin)(masked)(masked), "numpy.ma.MaskedArray"),
        (lambda: grad(lambda m: np.sum(m * m))(matrix), "numpy.matrix: its \\* and \\*\\* are matrix products"),
        (lambda: grad(lambda w: np.sum(matrix * w))(numpy.ones((2, 1))), "numpy.matrix.*numpy.asarray"),
    ]
    for attempt, message in attempts:
        with pytest.raises(NotDifferentiableError, match=message):
            attempt()
    # other ndarray subclasses are arrays to plugrad, as before
    view = numpy.arange(3.0).view(type("Sub", (numpy.ndarray,), {}))
    assert grad(lambda x: np.sum(x * x))(view).tolist() == [0.0, 2.0, 4.0]
    assert float(np.sum(masked)) == 4.0  # and untraced, NumPy's functions are NumPy's


def test_a_class_named_for_two_types_is_said_registered_where_each_registered_it() -> None:
    from plugrad.box import load_named, record_class_name

    record_class_name("twice.First", "no_such_module_anywhere:Box", "box class", "pack one")
    record_class_name("twice.Second", "no_such_module_anywhere:Box", "box class", "pack two")
    lines = []
    for of, by in (("twice.First", "pack one"), ("twice.Second", "pack two")):
        with pytest.raises(ImportError, match=rf"the box class of {of}, which {by} registered as 'no_such_module_anywhere:Box' at tests/test_box.py:(\d+),") as caught:
            load_named("no_such_module_anywhere:Box", of, "box class", lambda c: True, "")
        lines.append(re.search(r"test_box.py:(\d+)", str(caught.value)).group(1))  # type: ignore[union-attr]
    assert lines[0] != lines[1]


class _Pt:
    def __init__(self, v: float = 0.0) -> None:
        self.v = v


def test_adding_traced_derivatives_of_a_type_whose_box_has_no_plus_names_the_box(named_types: object) -> None:
    # Forward mode adds the tangents of two traced arguments, and a derivative of a
    # derivative adds traced cotangents, with the box's +: one a pack left out is said so.
    from plugrad import Box
    from plugrad.box import register_box_type
    from plugrad.primitive import add_any
    from plugrad.vspace import ScalarVSpace, register_vspace

    class PtBox(Box):
        __slots__ = ()

    register_vspace(_Pt, lambda p: ScalarVSpace(p.v))
    register_box_type(_Pt, PtBox)
    trace = Trace()
    a, b = PtBox.new(_Pt(1.0), trace), PtBox.new(_Pt(2.0), trace)
    with pytest.raises(TypeError, match=r"plugrad adds two traced derivatives of a _Pt .* with their box's \+, which PtBox does not support .*: give the box class __add__"):
        add_any(a, b)


def test_a_copy_of_a_traced_value_is_the_value_itself_still_traced() -> None:
    import copy

    def loss(params: dict[str, Any]) -> Any:
        mine = copy.deepcopy(params)  # (a copy of the parameters inside the loss)
        mine["w"] = mine["w"] * 2.0
        return np.sum(mine["w"] ** 2) + mine["b"] ** 2

    g = grad(loss)({"w": numpy.array([1.0, 2.0]), "b": 3.0})
    assert g["w"].tolist() == [8.0, 16.0] and g["b"] == 6.0
    assert grad(lambda x: x * copy.deepcopy(x))(3.0) == 6.0  # once a box of a box
    assert grad(lambda x: x * 1.0 + copy.deepcopy(x))(3.0) == 2.0  # once: cannot pickle operator.mul
    assert grad(lambda x: copy.copy(x) * x)(3.0) == 6.0


def test_a_traced_value_does_not_pickle() -> None:
    import pickle

    # Once an unpickled copy carried a copy of the trace: grad returned a box, or zeros.
    with pytest.raises(TraceError, match="a traced ndarray cannot be pickled.*Pickle the result"):
        grad(lambda x: np.sum(pickle.loads(pickle.dumps(x)) * x))(numpy.ones(2))
