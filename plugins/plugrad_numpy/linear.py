"""Products: matmul, dot, tensordot, einsum and their relatives.

Each is linear in each argument, so its JVP is itself with one argument replaced
by the tangent (``def_linear``), and its VJP contracts the cotangent with the
other arguments. Bilinear products conjugate nothing (the cotangent convention
has no conjugation); ``vdot``, ``vecdot`` and ``vecmat`` conjugate their first
argument, so the cotangent of that argument is ``conj(g * other)``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from plugrad import Composite, Primitive, Sample, rand, scalar
from plugrad.box import Meta, getval
from plugrad_numpy._util import _array_like, broadcast_like, dtype_of, shape_of, unbroadcast, with_ufunc_methods
from plugrad_numpy.binary import multiply
from plugrad_numpy.reductions import sum as sum_
from plugrad_numpy.shape import broadcast_to, expand_dims, moveaxis, ravel, reshape, swapaxes, transpose
from plugrad_numpy.unary import conj


def _ndim(x: Any) -> int:
    return len(shape_of(x))


# -- matmul ------------------------------------------------------------------------


# First order, plain matrices of one dtype (NumPy's built-in dtypes are singletons):
# each rule is one NumPy product, whose result already has the argument's shape and
# dtype. Written out in both rules, as a helper would cost a call per rule. A rule reads
# the other argument and only the dtype of its own, which the tape keeps as a Meta where
# the other argument is a constant (saves "others"). The cotangent has the output's
# shape: with one argument 2-D, the output is 2-D exactly when the other one is.
_ndarray = np.ndarray


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if type(g) is _ndarray and type(b) is _ndarray and (type(a) is _ndarray or type(a) is Meta):
        dtype = g.dtype
        if g.ndim == 2 and b.ndim == 2 and a.dtype is dtype and b.dtype is dtype:
            return g @ b.T
    b = _array_like(b)  # a constant written as a list, as NumPy allows
    if _ndim(a) == 1 and _ndim(b) == 1:
        return unbroadcast(g * b, a)
    if _ndim(b) == 1:  # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(matmul(g[..., None], b[None, :]), a)
    if _ndim(a) == 1:  # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(matmul(b, g[..., None])[..., 0], a)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if type(g) is _ndarray and type(a) is _ndarray and (type(b) is _ndarray or type(b) is Meta):
        dtype = g.dtype
        if a.ndim == 2 and g.ndim == 2 and a.dtype is dtype and b.dtype is dtype:
            return a.T @ g
    a = _array_like(a)
    if _ndim(a) == 1 and _ndim(b) == 1:
        return unbroadcast(g * a, b)
    if _ndim(a) == 1:  # (k,) @ (..., k, m) -> (..., m)
        return unbroadcast(matmul(a[:, None], g[..., None, :]), b)
    if _ndim(b) == 1:  # (..., n, k) @ (k,) -> (..., n)
        return unbroadcast(matmul(g[..., None, :], a)[..., 0, :], b)
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


def _matmul_vjp_pair(g: Any, ans: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # Both arguments traced (a hidden layer times a weight): the two rules in one call.
    if type(g) is _ndarray and type(a) is _ndarray and type(b) is _ndarray:
        dtype = g.dtype
        if a.ndim == 2 and b.ndim == 2 and a.dtype is dtype and b.dtype is dtype:
            return g @ b.T, a.T @ g
    return _matmul_vjp_a(g, ans, a, b), _matmul_vjp_b(g, ans, a, b)


matmul = Primitive("numpy.matmul", np.matmul, complex=True, saves=("others",))
matmul.def_vjp(_matmul_vjp_a, _matmul_vjp_b)
matmul.def_vjp_pair(_matmul_vjp_pair)
matmul.def_linear(0, 1)
matmul.def_samples(
    Sample(rand(2, 3), rand(3, 4)),
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(3), rand(3, 2)),
    Sample(rand(2, 2, 3), rand(3, 4)),
    Sample(rand(2, 2, 3), rand(3)),
    Sample(rand(3), rand(2, 3, 4)),
    Sample(rand(2, 4, 3), rand(3, 2)),
    Sample(rand(2, 1, 4, 3), rand(3, 3, 2)),
    Sample(rand(1, 2, 3), rand(2, 3, 1)),
)


# -- tensordot and the products built on it ---------------------------------------------


def _contraction(axes: Any, nda: int, ndb: int) -> tuple[list[int], list[int]]:
    """``tensordot``'s ``axes`` as two lists of non-negative axes, paired in order."""
    if isinstance(axes, (int, np.integer)):
        return list(range(nda - int(axes), nda)), list(range(int(axes)))
    axa, axb = axes
    axa = [axa] if isinstance(axa, (int, np.integer)) else list(axa)
    axb = [axb] if isinstance(axb, (int, np.integer)) else list(axb)
    return [int(i) % nda for i in axa], [int(j) % ndb for j in axb]


def _contract_vjp_a(g: Any, a: Any, b: Any, axa: list[int], axb: list[int]) -> Any:
    """Cotangent of ``a`` in ``tensordot(a, b, (axa, axb))``: ``g`` contracted with ``b``
    over ``b``'s free axes, then its axes put back in ``a``'s order."""
    a_free = [i for i in range(_ndim(a)) if i not in axa]
    b_free = [j for j in range(_ndim(b)) if j not in axb]
    nfa = len(a_free)
    h = tensordot(g, b, (list(range(nfa, nfa + len(b_free))), b_free))
    order = a_free + [axa[axb.index(j)] for j in sorted(axb)]
    return unbroadcast(transpose(h, tuple(int(i) for i in np.argsort(order))), a)


def _contract_vjp_b(g: Any, a: Any, b: Any, axa: list[int], axb: list[int]) -> Any:
    a_free = [i for i in range(_ndim(a)) if i not in axa]
    b_free = [j for j in range(_ndim(b)) if j not in axb]
    h = tensordot(a, g, (a_free, list(range(len(a_free)))))
    order = [axb[axa.index(i)] for i in sorted(axa)] + b_free
    return unbroadcast(transpose(h, tuple(int(j) for j in np.argsort(order))), b)


def _tensordot_vjp(which: int) -> Any:
    def vjp(g: Any, ans: Any, a: Any, b: Any, axes: Any = 2) -> Any:
        axa, axb = _contraction(axes, _ndim(a), _ndim(b))
        return (_contract_vjp_a, _contract_vjp_b)[which](g, a, b, axa, axb)

    return vjp


tensordot = Primitive("numpy.tensordot", np.tensordot, complex=True, saves=("args",))
tensordot.def_vjp(_tensordot_vjp(0), _tensordot_vjp(1))
tensordot.def_linear(0, 1)
tensordot.def_samples(
    Sample(rand(2, 3, 4), rand(3, 4, 2)),
    Sample(rand(2, 3), rand(3, 4), 1),
    Sample(rand(2, 3), rand(4), 0),
    Sample(rand(2, 3, 4), rand(4, 2, 3), ([1, 2], [2, 0])),
    Sample(rand(3, 2), rand(3, 4), axes=(0, 0)),
    Sample(rand(2, 3, 4), rand(4, 3), axes=([-1, 1], [0, -1])),
    Sample(rand(3), rand(3), 1),
)


def _dot_axes(a: Any, b: Any) -> tuple[list[int], list[int]]:
    # dot contracts a's last axis with b's second-to-last (its only one, if 1-D).
    return [_ndim(a) - 1], [max(_ndim(b) - 2, 0)]


def _inner_axes(a: Any, b: Any) -> tuple[list[int], list[int]]:
    return [_ndim(a) - 1], [_ndim(b) - 1]


def _product_vjp(which: int, axes_of: Any) -> Any:
    """VJP of ``dot``/``inner``: a tensordot contraction, or a product when one is 0-d."""

    def vjp(g: Any, ans: Any, a: Any, b: Any) -> Any:
        x, other = (a, b) if which == 0 else (b, a)
        if _ndim(a) == 0 or _ndim(b) == 0:
            return unbroadcast(multiply(g, other), x)
        return (_contract_vjp_a, _contract_vjp_b)[which](g, a, b, *axes_of(a, b))

    return vjp


dot = Primitive("numpy.dot", np.dot, complex=True, saves=("args",))
dot.def_vjp(_product_vjp(0, _dot_axes), _product_vjp(1, _dot_axes))
dot.def_linear(0, 1)
dot.def_samples(
    Sample(scalar(), scalar()),
    Sample(scalar(), rand(2, 3)),
    Sample(rand(3), rand()),
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(3), rand(3, 2)),
    Sample(rand(2, 3), rand(3, 4)),
    Sample(rand(2, 2, 3), rand(3)),
    Sample(rand(2, 3), rand(2, 3, 4)),
    Sample(rand(2, 1, 3), rand(4, 3, 2)),
)

inner = Primitive("numpy.inner", np.inner, complex=True, saves=("args",))
inner.def_vjp(_product_vjp(0, _inner_axes), _product_vjp(1, _inner_axes))
inner.def_linear(0, 1)
inner.def_samples(
    Sample(scalar(), rand(3)),
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(2, 3), rand(4, 3)),
    Sample(rand(2, 2, 3), rand(2, 3)),
)


# outer flattens both arguments: out[i, j] = ravel(a)[i] * ravel(b)[j].
outer = Primitive("numpy.outer", np.outer, complex=True, saves=("args",))
outer.def_vjp(
    lambda g, ans, a, b, out=None: unbroadcast(reshape(dot(g, ravel(b)), shape_of(a)), a),
    lambda g, ans, a, b, out=None: unbroadcast(reshape(dot(ravel(a), g), shape_of(b)), b),
)
outer.def_linear(0, 1)
outer.def_samples(Sample(rand(3), rand(4)), Sample(rand(2, 2), rand(3)), Sample(scalar(), rand(2)))


# vdot(a, b) = sum(conj(ravel(a)) * ravel(b)): conjugate-linear in a. For a scalar
# cotangent g, Re(g * vdot(u, b)) = Re(conj(g * b) * u), so a's cotangent is conj(g * b).
vdot = Primitive("numpy.vdot", np.vdot, complex=True, saves=("args",))
vdot.def_vjp(
    lambda g, ans, a, b: unbroadcast(reshape(conj(multiply(g, b)), shape_of(a)), a),
    lambda g, ans, a, b: unbroadcast(reshape(multiply(g, conj(a)), shape_of(b)), b),
)
vdot.def_linear(0, 1)
vdot.def_samples(Sample(rand(3), rand(3)), Sample(rand(2, 3), rand(3, 2)), Sample(scalar(), scalar()))


# vecdot(x1, x2, axis) = sum(conj(x1) * x2, axis), broadcasting the other axes (NumPy 2.0).
def _vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    return np.vecdot(x1, x2, axis=axis)


def _vecdot_vjp(which: int) -> Any:
    def vjp(g: Any, ans: Any, x1: Any, x2: Any, *, axis: int = -1) -> Any:
        g = expand_dims(g, -1)
        v1, v2 = moveaxis(x1, axis, -1), moveaxis(x2, axis, -1)
        ct = conj(multiply(g, v2)) if which == 0 else multiply(g, conj(v1))
        x = (x1, x2)[which]
        return moveaxis(unbroadcast(ct, np.moveaxis(getval(x), axis, -1)), -1, axis)

    return vjp


if hasattr(np, "vecdot"):
    vecdot = Primitive("numpy.vecdot", _vecdot, complex=True, saves=("args",), doc=np.vecdot.__doc__)
    vecdot.def_vjp(_vecdot_vjp(0), _vecdot_vjp(1))
    vecdot.def_linear(0, 1)
    vecdot.def_samples(
        Sample(rand(3), rand(3)),
        Sample(rand(2, 3), rand(3)),
        Sample(rand(2, 1, 3), rand(4, 3)),
        Sample(rand(3, 2), rand(3, 1), axis=0),
    )


# matvec(A, v) = A @ v; vecmat(v, A) = conj(v) @ A (NumPy 2.2).
if hasattr(np, "matvec"):
    matvec = Primitive("numpy.matvec", np.matvec, complex=True, saves=("args",))
    matvec.def_vjp(
        lambda g, ans, x1, x2: unbroadcast(multiply(expand_dims(g, -1), expand_dims(x2, -2)), x1),
        lambda g, ans, x1, x2: unbroadcast(matvec(swapaxes(x1, -1, -2), g), x2),
    )
    matvec.def_linear(0, 1)
    matvec.def_samples(
        Sample(rand(2, 3), rand(3)), Sample(rand(4, 2, 3), rand(3)), Sample(rand(2, 3), rand(4, 1, 3))
    )

    vecmat = Primitive("numpy.vecmat", np.vecmat, complex=True, saves=("args",))
    vecmat.def_vjp(
        lambda g, ans, x1, x2: unbroadcast(conj(matvec(x2, g)), x1),
        lambda g, ans, x1, x2: unbroadcast(multiply(expand_dims(conj(x1), -1), expand_dims(g, -2)), x2),
    )
    vecmat.def_linear(0, 1)
    vecmat.def_samples(
        Sample(rand(3), rand(3, 2)), Sample(rand(4, 3), rand(3, 2)), Sample(rand(2, 1, 3), rand(4, 3, 2))
    )


# -- einsum ----------------------------------------------------------------------------

# NumPy's labels, in the order of its sublist integers (and of implicit outputs).
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # not string's: it compiles a regex on import


def _split(subscripts: str) -> tuple[list[str], str]:
    lhs, out = subscripts.split("->")
    return lhs.split(","), out


def _explicit(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """``subscripts`` with ellipses replaced by unused labels and the output spelled out."""
    s = subscripts.replace(" ", "")
    lhs, arrow, out = s.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"numpy.einsum: {len(ins)} operand subscripts for {len(shapes)} operands")
    unused = [c for c in _LETTERS if c not in s]
    rank = max([len(shp) - (len(sub) - 3) for sub, shp in zip(ins, shapes) if "..." in sub], default=0)
    if rank > len(unused):
        raise ValueError("numpy.einsum: too many broadcast dimensions for the unused labels")
    ell = "".join(unused[:rank])
    if arrow:
        if rank and "..." not in out:
            raise ValueError(
                "numpy.einsum: output has more dimensions than subscripts given in einstein sum, "
                "but no '...' ellipsis provided to broadcast the extra dimensions."
            )
    else:
        counts = Counter("".join(ins).replace(".", ""))
        out = "..." + "".join(sorted(c for c, n in counts.items() if n == 1))
    # An operand with fewer broadcast axes takes the last of the labels (right alignment).
    expanded = [
        sub.replace("...", ell[rank - (len(shp) - (len(sub) - 3)) :]) if "..." in sub else sub
        for sub, shp in zip(ins, shapes)
    ]
    return ",".join(expanded) + "->" + out.replace("...", ell)


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """The interleaved form ``einsum(op0, sub0, op1, sub1, ..., [out])`` as a string."""

    def spell(sub: Any) -> str:
        return "".join("..." if k is Ellipsis else _LETTERS[k] for k in sub)

    operands = list(args[0::2])
    subs = [spell(sub) for sub in args[1::2]]
    if len(args) % 2:
        operands.pop()
        return ",".join(subs) + "->" + spell(args[-1]), operands
    return ",".join(subs), operands


def _einsum_vjp(argnum: int, g: Any, ans: Any, subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    """``g`` contracted with the other operands, labelled as operand ``k``. A label repeated
    in operand ``k`` (a diagonal) gets a fresh label and an identity matrix joining the two;
    a label found nowhere else (summed away) gets a vector of ones."""
    k = argnum - 1
    ins, out = _split(subscripts)
    sizes: dict[str, int] = {}
    for sub, op in zip(ins, operands):
        for c, n in zip(sub, shape_of(op)):
            if sizes.get(c, 1) == 1:  # broadcast: the length other than 1 (which may be 0)
                sizes[c] = n
    dtype = np.result_type(dtype_of(getval(g)), np.float16)
    fresh = iter(c for c in _LETTERS if c not in subscripts)
    labels: list[str] = []
    subs = [out] + [sub for j, sub in enumerate(ins) if j != k]
    ops = [g] + [op for j, op in enumerate(operands) if j != k]
    for c in ins[k]:
        if c in labels:
            f = next(fresh)
            sizes[f] = sizes[c]
            labels.append(f)
            subs.append(c + f)
            ops.append(np.eye(sizes[c], dtype=dtype))
        else:
            labels.append(c)
    present = set("".join(subs))
    for c in dict.fromkeys(ins[k]):
        if c not in present:
            subs.append(c)
            ops.append(np.ones(sizes[c], dtype=dtype))
    optimize = {"optimize": kwargs["optimize"]} if "optimize" in kwargs else {}
    h = einsum_(",".join(subs) + "->" + "".join(labels), *ops, **optimize)
    full = tuple(sizes[c] for c in labels)
    if shape_of(h) != full:  # a label of length 1 everywhere but in operand k, broadcast to its length
        h = broadcast_to(h, full)
    return unbroadcast(h, operands[k])


def _einsum_jvp(argnum: int, t: Any, ans: Any, subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    ops = list(operands)
    ops[argnum - 1] = t
    return broadcast_like(einsum_(subscripts, *ops, **kwargs), ans)


einsum_ = Primitive(
    "numpy._einsum",
    np.einsum,
    complex=True,
    saves=("args",),
    doc="``numpy.einsum`` with explicit subscripts: labels only (no ellipsis) and an output.",
)
einsum_.public_name = "numpy.einsum"
einsum_.def_vjp_argnum(_einsum_vjp)
einsum_.def_jvp_argnum(_einsum_jvp)
einsum_.def_samples(
    Sample("ij,jk->ik", rand(2, 3), rand(3, 4)),
    Sample("i,i->", rand(3), rand(3)),
    Sample("ii->i", rand(3, 3)),
    Sample("iji->j", rand(2, 3, 2)),
    Sample("ij->", rand(2, 3)),
    Sample("ij,jk,kl->il", rand(2, 3), rand(3, 2), rand(2, 2)),
    Sample("Aij,Ajk->Aik", rand(2, 2, 3), rand(1, 3, 2)),
    Sample("Bi,ABi->Ai", rand(3, 2), rand(1, 3, 2)),
    Sample(",i->i", scalar(), rand(3)),
    Sample("i,j->ij", rand(2), rand(3)),
    Sample("ij,ij->j", rand(3, 4), rand(1, 4)),  # i broadcast: length 1 in one operand
    Sample("i,i->", rand(3), rand(1)),
)


def _einsum(*args: Any, **kwargs: Any) -> Any:
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _from_sublists(args)
    return einsum_(_explicit(subscripts, [shape_of(op) for op in operands]), *operands, **kwargs)


einsum = Composite("numpy.einsum", _einsum)
einsum.__doc__ = np.einsum.__doc__


# -- kron and cross --------------------------------------------------------------------


def _kron_layout(a: Any, b: Any) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Shapes that interleave the axes of ``a`` and ``b`` so that, with them,
    ``kron(a, b) == reshape(reshape(a, sa) * reshape(b, sb), shape)`` via ``sg``."""
    sa, sb = shape_of(a), shape_of(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
    return (
        tuple(n for m in sa for n in (m, 1)),
        tuple(n for m in sb for n in (1, m)),
        tuple(n for pair in zip(sa, sb) for n in pair),
    )


def _kron_vjp(which: int) -> Any:
    def vjp(g: Any, ans: Any, a: Any, b: Any) -> Any:
        la, lb, lg = _kron_layout(a, b)
        x, other, lother = (a, b, lb) if which == 0 else (b, a, la)
        axes = tuple(range(1 - which, len(lg), 2))  # the other argument's axes
        h = sum_(multiply(reshape(g, lg), reshape(other, lother)), axis=axes)
        return unbroadcast(reshape(h, shape_of(x)), x)

    return vjp


kron = Primitive("numpy.kron", np.kron, complex=True, saves=("args",))
kron.def_vjp(_kron_vjp(0), _kron_vjp(1))
kron.def_linear(0, 1)
kron.def_samples(
    Sample(rand(2), rand(3)),
    Sample(rand(2, 3), rand(2, 2)),
    Sample(rand(3), rand(2, 2)),
    Sample(rand(2, 1, 2), rand(2, 3)),
    Sample(scalar(), rand(2)),
)


def _levi_civita(na: int, nb: int) -> np.ndarray:
    """``E`` with ``cross(a, b)[i] = E[i, j, k] a[j] b[k]``; 2-vectors lack a z component,
    and the cross product of two 2-vectors is its z component alone."""
    eps = np.zeros((3, 3, 3))
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        eps[i, j, k], eps[i, k, j] = 1.0, -1.0
    e = eps[:, :na, :nb]
    return e[2] if na == nb == 2 else e


def _cross_vjp(which: int) -> Any:
    def vjp(
        g: Any, ans: Any, a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None
    ) -> Any:
        if axis is not None:
            axisa = axisb = axisc = axis
        x, axis_x, other, axis_o = (a, axisa, b, axisb) if which == 0 else (b, axisb, a, axisa)
        na, nb = shape_of(a)[axisa], shape_of(b)[axisb]
        e = _levi_civita(na, nb)
        v = moveaxis(other, axis_o, -1)
        if e.ndim == 3:  # the output has a vector axis, at axisc
            spec = "...i,ijk,...k->...j" if which == 0 else "...i,ijk,...j->...k"
            h = einsum(spec, moveaxis(g, axisc, -1), e, v)
        else:
            spec = "...,jk,...k->...j" if which == 0 else "...,jk,...j->...k"
            h = einsum(spec, g, e, v)
        return moveaxis(unbroadcast(h, np.moveaxis(getval(x), axis_x, -1)), -1, axis_x)

    return vjp


cross = Primitive("numpy.cross", np.cross, complex=True, saves=("args",))
cross.def_vjp(_cross_vjp(0), _cross_vjp(1))
cross.def_linear(0, 1)
cross.def_samples(
    Sample(rand(3), rand(3)),
    Sample(rand(2, 3), rand(3)),
    Sample(rand(3, 2), rand(4, 1, 3), axisa=0),
    Sample(rand(3, 2), rand(2, 3), axisa=0, axisc=0),
    Sample(rand(2, 3), rand(3, 2), axisb=0),
    Sample(rand(3, 4), rand(3, 4), axis=0),
)


with_ufunc_methods(globals())  # np.matmul.nin, ...
