"""Every structural rule's vjp against central differences, gradient-side nodes included.

A gradient is made of nodes (SumTo, ScatterInto, ProductGrad, ...). Each has a vjp of its own
so that a generated gradient can be differentiated again; each is checked here as any
primitive is: for a random cotangent u and direction v, <u, d node[v]> must equal
<vjp(u), v>. Nodes are evaluated by printing them with the numpy printer (the code symgrad
generates), not by a second implementation. A node with gradient-carrying arguments and no
rule raises instead of passing a zero.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symgrad import helpers
from symgrad.printer import NumpyPrinter
from symgrad.rules import (
    contractions,
    creation,
    custom,
    decompositions,
    grads,
    indexing,
    inverses,
    joining,
    linalg,
    moving,
    operators,
    ordering,
    padding,
    reductions,
    registry,
    selecting,
    shape,
    special,
)
from symgrad.rules.base import static

NAMESPACE = {"np": np, **{k: v for k, v in vars(helpers).items()
                          if k.startswith("_") and callable(v)}}
try:  # rules/special.py's nodes print scipy.special calls (scipy is optional)
    import scipy.special

    NAMESPACE["scipy"] = scipy
except ImportError:  # pragma: no cover
    scipy = None
COTANGENT = sp.Symbol("cotangent", real=True)


def S(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


a, b, g, x, v, idx = (S(n) for n in ("a", "b", "g", "x", "v", "idx"))


def evaluate(expr, values):
    """The value of a SymPy expression of nodes: its generated numpy code, run."""
    return eval(NumpyPrinter().statement(expr), dict(NAMESPACE), dict(values))


def check_vjp(node, values, seed=0, eps=1e-6, symmetric=False):
    """<u, (node(x + eps v) - node(x - eps v)) / 2 eps> == <vjp(u), v> per gradient argument;
    an argument with no vjp (None) must not change the value. ``symmetric``: the directions
    v are symmetric matrices (a function of a symmetric matrix, np.linalg.cholesky's)."""
    rng = np.random.default_rng(seed)
    out = np.asarray(evaluate(node, values), dtype=float)
    u = rng.standard_normal(out.shape)
    vjps = node.vjp(COTANGENT)
    assert len(vjps) == len(node.diff_args())
    checked = 0
    for arg, back_expr in zip(node.diff_args(), vjps, strict=True):
        if not isinstance(arg, sp.Symbol):
            continue
        x0 = np.asarray(values[arg.name], dtype=float)
        direction = rng.standard_normal(x0.shape)
        if symmetric:
            direction = direction + np.swapaxes(direction, -1, -2)

        def at(t, arg=arg, x0=x0, direction=direction):
            return np.asarray(evaluate(node, {**values, arg.name: x0 + t * direction}), float)

        slope = (at(eps) - at(-eps)) / (2 * eps)
        if back_expr is None:
            np.testing.assert_allclose(slope, 0, atol=1e-8, err_msg=f"{node}: d/d{arg} is not 0")
            continue
        back = np.asarray(evaluate(back_expr, {**values, COTANGENT.name: u}), dtype=float)
        back = helpers._sum_to_shape(back, x0.shape)  # a broadcastable cotangent
        np.testing.assert_allclose(np.sum(back * direction), np.sum(u * slope), rtol=1e-6,
                                   atol=1e-8, err_msg=f"{node}: d/d{arg}")
        checked += 1
    assert checked, f"{node}: no argument checked"


R = np.random.default_rng(42)


def rand(*shape):
    return R.standard_normal(shape)


def _s(value):
    return static(value)


def _product_cases():
    cases = []
    shapes = {
        linalg.MatMul: [((3, 4), (4, 5)), ((4,), (4, 5)), ((2, 3, 4), (4,)), ((2, 3, 4), (4, 2)),
                        ((4,), (4,))],
        linalg.Dot: [((3, 4), (4,)), ((2, 3), (4, 3, 5)), ((), (3,)), ((3,), (3,))],
        linalg.Inner: [((2, 3), (4, 3)), ((3,), (3,)), ((), (2, 2))],
        linalg.Outer: [((3,), (2, 2)), ((2, 2), (3,))],
        linalg.Kron: [((2, 3), (3, 2)), ((3,), (2, 2)), ((2, 1, 2), (3,)), ((), (3,))],
    }
    for cls, pairs in shapes.items():
        for sa, sb in pairs:
            values = {"a": rand(*sa), "b": rand(*sb)}
            out = cls.primitive.forward(values["a"], values["b"])
            cases.append((cls(a, b), values))
            for side in ("_a", "_b"):
                node = linalg.ProductGrad(_s(cls.helper + side), g, a, b)
                cases.append((node, {**values, "g": rand(*np.shape(out))}))
    return cases


def _reduction_cases():
    cases = []
    for cls in reductions.REDUCTIONS.values():
        for axis, keepdims in [(None, False), (1, False), (0, True), ((0, 2), False), (-1, True)]:
            extra = [_s(1)] if cls in (reductions.NpVar, reductions.NpStd) else []
            cases.append((cls(x, _s(axis), _s(keepdims), *extra), {"x": rand(3, 4, 2)}))
    with_zeros = rand(3, 4)
    with_zeros[0, 1] = 0.0
    with_zeros[1, 1:3] = 0.0
    for axis in (None, 1, 0, (0, 1)):
        cases.append((reductions.ProdOthers(x, _s(axis)), {"x": with_zeros}))
        cases.append((reductions.NpProd(x, _s(axis), _s(False)), {"x": with_zeros}))
    cases.append((reductions.NonzeroOr1(x), {"x": rand(3, 4)}))
    for axis, shape_ in [(None, (3, 4)), (1, (3, 4)), (-2, (3, 4))]:
        cases.append((reductions.CumSum(x, _s(axis)), {"x": rand(*shape_)}))
        n = int(np.prod(shape_)) if axis is None else None
        gshape = (n,) if n else shape_
        cases.append((reductions.CumSumGrad(g, x, _s(axis)),
                      {"g": rand(*gshape), "x": rand(*shape_)}))
    return cases


def _shape_cases():
    return [
        (shape.Transpose(x, _s(None)), {"x": rand(3, 4)}),
        (shape.Transpose(x, _s((1, -1, 0))), {"x": rand(2, 3, 4)}),
        (shape.Reshape(x, _s((4, 3))), {"x": rand(3, 4)}),
        (shape.Reshape(x, _s((4, -1)), _s("F")), {"x": rand(3, 4)}),
        (shape.Ravel(x, _s("F")), {"x": rand(3, 4)}),
        (shape.ExpandDims(x, _s((0, -1))), {"x": rand(3, 4)}),
        (shape.Squeeze(x, _s(1)), {"x": rand(3, 1, 4)}),
        (shape.Flip(x, _s(None)), {"x": rand(3, 4)}),
        (shape.Flip(x, _s((0, -1))), {"x": rand(2, 3, 4)}),
        (shape.Rot90(x, _s(1), _s((0, 1))), {"x": rand(2, 3, 4)}),
        (shape.Rot90(x, _s(-3), _s((2, 0))), {"x": rand(2, 3, 4)}),
    ]


def _index_cases():
    rows = np.array([0, 2, 0, 3])
    return [
        (indexing.GetItem(x, _s(1), _s(slice(None, None, 2))), {"x": rand(3, 5)}),
        (indexing.GetItem(x, idx), {"x": rand(5, 3), "idx": rows}),
        (indexing.ScatterInto(g, x, _s(1)), {"g": rand(3), "x": rand(5, 3)}),
        (indexing.ScatterInto(g, x, idx), {"g": rand(4, 3), "x": rand(5, 3), "idx": rows}),
        (indexing.ScatterInto(g, x, idx), {"g": rand(3), "x": rand(5, 3), "idx": rows}),
        (indexing.SetItem(x, v, _s(slice(1, 3))), {"x": rand(5, 3), "v": rand(3)}),
        (indexing.FancySetItem(x, v, idx), {"x": rand(5, 3), "v": rand(4, 3), "idx": rows}),
        (indexing.ClearItem(g, _s(slice(1, 3)), _s(0)), {"g": rand(5, 3)}),
        (indexing.WrittenGrad(g, idx), {"g": rand(5, 3), "idx": rows}),
        (indexing.SliceAlong(g, _s(1), sp.Integer(1), sp.Integer(4)), {"g": rand(3, 6)}),
        (indexing.SliceAlong(g, _s(-2), sp.Integer(0), sp.Integer(2)), {"g": rand(4, 3, 2)}),
        (indexing.TakeAlong(g, _s(0), _s(2)), {"g": rand(3, 4)}),
        (indexing.TakeAlong(g, _s(-2), _s(1)), {"g": rand(2, 3, 4)}),
        (indexing.TakeAlong(g, _s(-1), _s(0)), {"g": rand(2, 3)}),
        (indexing.Concatenate(a, b, _s(1)), {"a": rand(2, 3), "b": rand(2, 2)}),
        (indexing.Concatenate(a, b, _s(None)), {"a": rand(2, 3), "b": rand(4)}),
        (indexing.Stack(a, b, _s(-1)), {"a": rand(2, 3), "b": rand(2, 3)}),
    ]


def _grad_and_creation_cases():
    return [
        (grads.SumTo(g, x), {"g": rand(3, 4), "x": rand(4)}),
        (grads.SumTo(g, x), {"g": rand(2, 3, 4), "x": rand(3, 1)}),
        (grads.BroadcastLike(g, x), {"g": rand(4), "x": rand(3, 4)}),
        (grads.FullLike(g, x), {"g": rand(3, 1), "x": rand(3, 4)}),
        (creation.Full(v, _s((3, 4))), {"v": rand(4)}),
        (creation.Arange(a, b, sp.Integer(3)), {"a": np.float64(0.5), "b": np.float64(0.3)}),
        (creation.Linspace(a, b, sp.Integer(5), _s(True), _s(0)), {"a": rand(3), "b": rand(3)}),
        (creation.Linspace(a, b, sp.Integer(4), _s(False), _s(-1)),
         {"a": np.float64(0.2), "b": rand(2)}),
        (creation.ArrayOf(_s(((0, 0), (0, 1), (1, 0), (1, 1))), a, b, v, x),
         {"a": np.float64(0.5), "b": np.float64(-1.5), "v": np.float64(2.0),
          "x": np.float64(0.25)}),
        (operators.Mod(a, b), {"a": rand(3, 4) * 5, "b": np.abs(rand(4)) + 1}),
        (creation.AsArray(x, _s("asarray")), {"x": rand(3, 2)}),
    ] + [(creation.LinspaceGrad(_s(end), g, a, b, sp.Integer(5), _s(endpoint), _s(axis)),
          {"g": rand(*gshape), "a": rand(*sa), "b": rand(*sb)})
         for end in (False, True) for endpoint in (True, False)
         for axis, sa, sb, gshape in [(0, (3,), (3,), (5, 3)), (1, (), (2,), (2, 5)),
                                      (-1, (2, 1), (3,), (2, 3, 5))]]


def _joining_cases():
    shapes = [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3, 4), (2, 1, 4)), ((), ())]
    cases = [(joining.Hstack(a, b), {"a": rand(*sa), "b": rand(*sb)}) for sa, sb in shapes]
    cases += [(joining.Vstack(a, b), {"a": rand(*sa), "b": rand(*sb)})
              for sa, sb in [((3,), (2, 3)), ((2, 3, 4), (1, 3, 4)), ((), ())]]
    cases += [(joining.Dstack(a, b), {"a": rand(*sa), "b": rand(*sb)})
              for sa, sb in [((3,), (1, 3)), ((2, 3), (2, 3, 2)), ((), ())]]
    cases += [(joining.ColumnStack(a, b), {"a": rand(*sa), "b": rand(*sb)})
              for sa, sb in [((3,), (3, 2)), ((2, 3, 4), (2, 1, 4)), ((), ())]]
    for cls in (joining.AtLeast1d, joining.AtLeast2d, joining.AtLeast3d):
        cases += [(cls(x), {"x": rand(*s)}) for s in [(), (3,), (2, 3), (2, 3, 4)]]
    cases += [(joining.BroadcastTo(x, _s(s)), {"x": rand(*sx)})
              for sx, s in [((), (2, 3)), ((3,), (2, 3)), ((3, 1), (2, 3, 4))]]
    cases += [(joining.RConcat(a, sp.Float(0.5), b), {"a": rand(*sa), "b": rand(*sb)})
              for sa, sb in [((3,), (2,)), ((), (2,))]]
    cases += [(joining.RConcat(a, b), {"a": rand(2, 3), "b": rand(1, 3)})]
    cases += [(joining.CConcat(a, b), {"a": rand(*sa), "b": rand(*sb)})
              for sa, sb in [((3,), (3, 2)), ((1,), ()), ((2, 3, 4), (2, 3, 1))]]
    cases += [(operators.AsType(x, _s("float64"), _s(spelling)), {"x": rand(*sx)})
              for spelling, sx in [("astype", (3, 4)), ("call", ()), ("float", ())]]
    cases += [(operators.CastLike(g, x), {"g": rand(3, 4), "x": rand(3, 4)})]
    return cases


def _moving_cases():
    m = moving
    return [
        (m.Fliplr(x), {"x": rand(3, 4, 2)}),
        (m.Flipud(x), {"x": rand(3, 4)}),
        (m.Roll(x, _s(2), _s(None)), {"x": rand(3, 4)}),
        (m.Roll(x, _s((1, -2)), _s((0, -1))), {"x": rand(2, 3, 4)}),
        (m.Swapaxes(x, _s(0), _s(-1)), {"x": rand(2, 3, 4)}),
        (m.Moveaxis(x, _s((0, 1)), _s((-1, 0))), {"x": rand(2, 3, 4)}),
        (m.Rollaxis(x, _s(-1), _s(0)), {"x": rand(2, 3, 4)}),
        (m.Rollaxis(x, _s(0), _s(3)), {"x": rand(2, 3, 4)}),
        (m.Rollaxis(x, _s(-3), _s(-1)), {"x": rand(2, 3, 4)}),
        (m.Tril(x, _s(-1)), {"x": rand(2, 3, 4)}),
        (m.Triu(x, _s(1)), {"x": rand(4, 3)}),
        (m.Diagonal(x, _s(0), _s(0), _s(1)), {"x": rand(3, 4)}),
        (m.Diagonal(x, _s(-1), _s(2), _s(0)), {"x": rand(3, 2, 4)}),
        (m.DiagonalGrad(g, x, _s(1), _s(-1), _s(1)), {"g": rand(2, 2), "x": rand(2, 3, 4)}),
        (m.DiagonalGrad(g, x, _s(0), _s(0), _s(1)), {"g": rand(1), "x": rand(3, 3)}),
        (m.Trace(x, _s(0), _s(0), _s(1)), {"x": rand(3, 4)}),
        (m.Trace(x, _s(1), _s(1), _s(2)), {"x": rand(2, 3, 4)}),
        (m.Diag(x, _s(0)), {"x": rand(3)}),
        (m.Diag(x, _s(-2)), {"x": rand(3)}),
        (m.Diag(x, _s(1)), {"x": rand(3, 5)}),
        (m.DiagGrad(g, x, _s(1)), {"g": rand(4, 4), "x": rand(3)}),
        (m.DiagGrad(g, x, _s(-1)), {"g": rand(3), "x": rand(4, 5)}),
        (m.Diff(x, _s(1), _s(-1)), {"x": rand(3, 4)}),
        (m.Diff(x, _s(3), _s(0)), {"x": rand(5, 2)}),
        (m.DiffGrad(g, _s(2), _s(1)), {"g": rand(3, 2)}),
        (m.Repeat(x, _s(2), _s(None)), {"x": rand(2, 3)}),
        (m.Repeat(x, _s((1, 0, 3)), _s(-1)), {"x": rand(2, 3)}),
        (m.RepeatGrad(g, x, _s(2), _s(0)), {"g": rand(4, 3), "x": rand(2, 3)}),
        (m.RepeatGrad(g, x, _s(3), _s(None)), {"g": rand(18), "x": rand(2, 3)}),
        (m.Tile(x, _s((2, 1, 3))), {"x": rand(2, 3)}),
        (m.Tile(x, _s(2)), {"x": rand(2, 3)}),
        (m.TileGrad(g, x, _s((2, 1, 3))), {"g": rand(2, 2, 9), "x": rand(2, 3)}),
    ]


def _contraction_cases():
    E, T, TG = contractions.Einsum, contractions.Tensordot, contractions.TensordotGrad
    return [
        (E(a, b, _s("ij,jk->ik")), {"a": rand(2, 3), "b": rand(3, 4)}),
        (E(a, b, _s("...ij,...jk->...ik")), {"a": rand(3, 4), "b": rand(2, 4, 2)}),
        (E(a, _s("ii->i")), {"a": rand(3, 3)}),
        (E(a, _s("ii->")), {"a": rand(3, 3)}),
        (E(a, _s("...ii->...i")), {"a": rand(2, 3, 3)}),
        (E(a, b, _s("iij,j->i")), {"a": rand(3, 3, 2), "b": rand(2)}),
        (E(a, b, x, _s("i,ij,j->")), {"a": rand(3), "b": rand(3, 4), "x": rand(4)}),
        (E(a, _s("ij->j")), {"a": rand(3, 4)}),
        (T(a, b, _s(1)), {"a": rand(2, 3), "b": rand(3, 4)}),
        (T(a, b, _s(2)), {"a": rand(2, 3, 4), "b": rand(3, 4)}),
        (T(a, b, _s(0)), {"a": rand(2), "b": rand(3)}),
        (TG(_s("a"), g, b, _s(1)), {"g": rand(2, 4), "b": rand(3, 4)}),
        (TG(_s("b"), a, g, _s(1)), {"a": rand(2, 3), "g": rand(2, 4)}),
        (TG(_s("a"), g, b, _s(2)), {"g": rand(2, 5), "b": rand(3, 4, 5)}),
        (TG(_s("b"), a, g, _s(0)), {"a": rand(2), "g": rand(2, 3)}),
        (contractions.TensordotPairs.make(a, b, ([1, 0], [0, 1])),
         {"a": rand(3, 4, 2), "b": rand(4, 3, 5)}),
        (contractions.TensordotPairs.make(a, b, ([-1], [0])), {"a": rand(2, 3), "b": rand(3)}),
    ]


def _special_cases():
    if scipy is None:  # pragma: no cover
        return []
    L, W, S_, LS = special.Logsumexp, special.WeightedLogsumexp, special.Softmax, \
        special.LogSoftmax
    return [
        (L(a, _s(None), _s(False)), {"a": rand(3, 4)}),
        (L(a, _s(1), _s(False)), {"a": rand(2, 3, 4) * 30}),
        (L(a, _s((0, 2)), _s(True)), {"a": rand(2, 3, 4)}),
        (L(a, _s(None), _s(False)), {"a": np.float64(0.3)}),
        (W(a, b, _s(-1), _s(False)), {"a": rand(3, 4), "b": np.abs(rand(4)) + 0.1}),
        (W(a, b, _s(None), _s(True)), {"a": rand(4), "b": np.abs(rand(3, 1)) + 0.1}),
        (S_(x, _s(None)), {"x": rand(3, 4)}),
        (S_(x, _s(0)), {"x": rand(3, 4)}),
        (S_(x, _s((0, 2))), {"x": rand(2, 3, 4)}),
        (LS(x, _s(None)), {"x": rand(3, 4)}),
        (LS(x, _s(-1)), {"x": rand(2, 3, 4)}),
    ]


def well_conditioned(*shape):
    return rand(*shape) + shape[-1] * np.eye(shape[-1])


def _linalg_cases():
    inv = inverses
    return [
        (inv.Inv(a), {"a": well_conditioned(3, 3)}),
        (inv.Inv(a), {"a": well_conditioned(2, 3, 3)}),
        (inv.Det(a), {"a": well_conditioned(3, 3)}),
        (inv.Det(a), {"a": well_conditioned(2, 3, 3)}),
        (inv.Cofactor(a), {"a": well_conditioned(3, 3)}),
        (inv.Cofactor(a), {"a": well_conditioned(2, 4, 4)}),
        (inv.Solve(a, b), {"a": well_conditioned(3, 3), "b": rand(3)}),
        (inv.Solve(a, b), {"a": well_conditioned(2, 3, 3), "b": rand(3)}),
        (inv.Solve(a, b), {"a": well_conditioned(3, 3), "b": rand(2, 3, 2)}),
        (inv.Solve(a, b), {"a": well_conditioned(2, 1, 3, 3), "b": rand(4, 3, 2)}),
        (inv.AsColumns(g, b), {"g": rand(3), "b": rand(3)}),
        (inv.AsColumns(g, b), {"g": rand(2, 3, 2), "b": rand(3, 2)}),
        (inv.FromColumns(g, b), {"g": rand(2, 3, 1), "b": rand(3)}),
        (inv.FromColumns(g, b), {"g": rand(3, 2), "b": rand(3, 2)}),
        (inv.Pinv(a), {"a": rand(3, 4)}),
        (inv.Pinv(a), {"a": rand(2, 4, 3)}),
        (inv.Pinv(a), {"a": well_conditioned(3, 3)}),
        (inv.MatrixPower(a, _s(3)), {"a": rand(3, 3)}),
        (inv.MatrixPower(a, _s(2)), {"a": rand(2, 3, 3)}),
        (inv.MatrixPower(a, _s(-2)), {"a": well_conditioned(2, 3, 3)}),
        (linalg.MultiDot(a, b, x), {"a": rand(3), "b": rand(3, 4), "x": rand(4)}),
        (linalg.MultiDot(a, b, x, v), {"a": rand(2, 3), "b": rand(3, 4), "x": rand(4, 5),
                                       "v": rand(5, 2)}),
        (linalg.MultiDot(a, b), {"a": rand(2, 3), "b": rand(3)}),
        (linalg.Cross(a, b, _s(-1), _s(-1), _s(-1)), {"a": rand(4, 3), "b": rand(3)}),
        (linalg.Cross(a, b, _s(-2), _s(-1), _s(-2)), {"a": rand(3, 5), "b": rand(2, 5, 3)}),
        (linalg.Cross3(a, b, _s(-1), _s(-2), _s(-1)), {"a": rand(2, 3), "b": rand(3, 2)}),
    ]


def _spd(*shape):
    m = rand(*shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


# functions of a symmetric matrix: checked along symmetric directions
SYMMETRIC_CASES = [
    (inverses.Cholesky(a, _s(False)), {"a": _spd(3, 3)}),
    (inverses.Cholesky(a, _s(False)), {"a": _spd(2, 3, 3)}),
    (inverses.Cholesky(a, _s(True)), {"a": _spd(2, 4, 4)}),
]

def _array_cases():
    o, p, j = ordering, padding, joining
    perm = np.array([[2, 0, 1, 1], [0, 0, 2, 1]])
    cases = [
        (o.TakeAlongAxis(x, idx, _s(0)), {"x": rand(3, 4), "idx": perm}),
        (o.TakeAlongAxis(x, idx, _s(-1)), {"x": rand(2, 3), "idx": perm}),
        (o.TakeAlongAxis(x, idx, _s(None)), {"x": rand(2, 3), "idx": np.array([5, 0, 0, 2])}),
        (o.TakeAlongAxisGrad(g, x, idx, _s(0)), {"g": rand(2, 4), "x": rand(3, 4), "idx": perm}),
        (o.TakeAlongAxisGrad(g, x, idx, _s(None)),
         {"g": rand(4), "x": rand(2, 3), "idx": np.array([5, 0, 0, 2])}),
        (o.Sort(x, _s(-1)), {"x": rand(3, 4)}),
        (o.Sort(x, _s(0)), {"x": rand(3, 4, 2)}),
        (o.Sort(x, _s(None)), {"x": rand(3, 4)}),
        (o.Partition(x, _s(1), _s(-1)), {"x": rand(2, 5)}),
        (o.Partition(x, _s((0, 3)), _s(0)), {"x": rand(5, 2)}),
        (o.Take(x, idx, _s(1)), {"x": rand(2, 3, 4), "idx": np.array([2, 0, 2, -1])}),
        (o.Take(x, idx, _s(-2)), {"x": rand(2, 3, 4), "idx": perm - 1}),
        (o.Take(x, idx, _s(None)), {"x": rand(2, 3), "idx": perm + 2}),
        (selecting.NanToNum(x, _s(0.0), _s(None), _s(None)), {"x": rand(3, 4)}),
        (p.Cumprod(x, _s(1)), {"x": rand(3, 4)}),
        (p.Cumprod(x, _s(None)), {"x": rand(2, 3)}),
        (p.Pad(x, _s(((1, 2), (0, 1))), _s("constant"), _s(1.5)), {"x": rand(2, 3)}),
        (p.GradientAlong(x, _s(0.5), _s(-1)), {"x": rand(3, 4)}),
        (p.GradientAlong(x, _s(1), _s(0)), {"x": rand(2, 3)}),
        (p.GradientAlong(x, _s(2.0), _s(None)), {"x": rand(5)}),
        (p.GradientGrad(g, x, _s(0.5), _s(1)), {"g": rand(3, 4), "x": rand(3, 4)}),
        (p.GradientGrad(g, x, _s(1), _s(0)), {"g": rand(2, 3), "x": rand(2, 3)}),
        (p.GradientGrad(g, x, _s(1.5), _s(None)), {"g": rand(4), "x": rand(4)}),
    ]
    for mode in ("edge", "reflect", "symmetric", "wrap"):
        cases += [(p.Pad(x, _s((2, 1)), _s(mode), _s(0)), {"x": rand(3, 4)}),
                  (p.PadGrad(g, x, _s(((1, 2), (2, 0))), _s(mode)),
                   {"g": rand(6, 6), "x": rand(3, 4)})]
    cases.append((p.PadGrad(g, x, _s(1), _s("constant")), {"g": rand(5, 6), "x": rand(3, 4)}))
    for split, sections, axis, i in [("split", 2, 0, 1), ("array_split", 3, -1, 2),
                                     ("split", (1, 3), 1, 0), ("hsplit", 2, None, 1),
                                     ("vsplit", (1,), None, 1), ("dsplit", 2, None, 0)]:
        args = (_s(split), _s(sections), _s(axis), _s(i))
        cases += [(j.SplitPart(x, *args), {"x": rand(4, 4, 2)})]
        part = j.SplitPart.out_shape((4, 4, 2), split, sections, axis, i)
        cases += [(j.SplitGrad(g, x, *args), {"g": rand(*part), "x": rand(4, 4, 2)})]
    return cases


def _spread(*shape):
    """Square matrices with well-separated eigenvalues and singular values."""
    return rand(*shape) + np.diag(np.arange(1.0, shape[-1] + 1) * 3)


def _decomposition_cases():
    d = decompositions
    inf = float("inf")
    norms = [(None, None, False, (2, 3)), (2, 0, False, (3, 4)), (1, -1, True, (3, 4)),
             (inf, 1, False, (2, 3, 4)), (-inf, 0, False, (3, 4)), (3, 0, False, (3, 4)),
             (0.5, 1, True, (3, 4)), (-1.5, 0, False, (3, 4)),
             ("fro", (0, 1), False, (3, 4)), ("nuc", (1, 2), False, (2, 3, 4)),
             ("nuc", None, False, (3, 3)), (2, (0, 2), True, (3, 2, 4)),
             (-2, (-2, -1), False, (2, 4, 3)), (1, (0, 1), False, (3, 4)),
             (-inf, (1, 0), True, (3, 4)), (2, None, False, (4,)), (2, None, False, (3, 4)),
             (inf, None, False, (3, 4)), (-1, None, False, (5,))]
    cases = [(d.Norm.make(x, p, axis, keep), {"x": rand(*dims)})
             for p, axis, keep, dims in norms]
    cases += [(d.ByRank(x, a, b), {"x": rand(3), "a": rand(3), "b": rand(3)}),
              (d.ByRank(x, a, b), {"x": rand(2, 3), "a": rand(2, 3), "b": rand(2, 3)})]
    for uplo in ("L", "U"):
        for i in range(2):
            cases.append((d.eigh_outputs(a, uplo)[i], {"a": _spread(2, 4, 4)}))
        cases.append((d.EigvalsOf(a, _s(uplo)), {"a": _spread(3, 3)}))
    for dims in [(4, 3), (3, 5), (2, 3, 3)]:
        for full in (False, True):
            for i in range(3):
                if full and i != 1 and dims[-1] != dims[-2]:
                    continue  # (the columns beyond min(m, n) carry no gradient)
                cases.append((d.svd_outputs(a, full)[i], {"a": rand(*dims)}))
        cases.append((d.SingularValues(a), {"a": rand(*dims)}))
    for dims in [(4, 3), (2, 3, 3)]:
        q = d.QrOf(a)
        cases += [(d.QrOutput(q, a, _s(i)), {"a": rand(*dims)}) for i in range(2)]
    s_ = d.SlogdetOf(a)
    cases += [(d.SlogdetOutput(s_, a, _s(1)), {"a": _spread(2, 3, 3)})]
    for sa, sb in [((5, 3), (5,)), ((5, 3), (5, 2)), ((2, 4), (2, 3))]:
        ls = d.LstsqOf(a, b, _s(None))
        for i in (0, 1, 3):
            if i == 1 and sa[0] <= sa[1]:
                continue  # (no residuals where m <= n)
            cases.append((d.LstsqOutput(ls, a, b, _s(None), _s(i)),
                          {"a": rand(*sa), "b": rand(*sb)}))
    return cases


CASES = (_product_cases() + _reduction_cases() + _shape_cases() + _index_cases()
         + _grad_and_creation_cases() + _joining_cases() + _moving_cases()
         + _contraction_cases() + _linalg_cases() + _special_cases() + _array_cases()
         + _decomposition_cases())


@pytest.mark.parametrize("node, values", CASES, ids=[str(n)[:60] for n, _ in CASES])
def test_vjp_matches_central_differences(node, values):
    check_vjp(node, values)


@pytest.mark.parametrize("node, values", SYMMETRIC_CASES,
                         ids=[str(n)[:60] for n, _ in SYMMETRIC_CASES])
def test_vjp_of_a_symmetric_argument_matches_central_differences(node, values):
    check_vjp(node, values, symmetric=True)


def test_every_rule_with_gradient_arguments_is_checked_or_raises():
    covered = {type(n).__mro__[1] for n, _ in CASES + SYMMETRIC_CASES}  # the rule class under each node class
    from test_language_loops import LIST_CASES  # (lists' rules take Python lists there)

    covered |= {type(n).__mro__[1] for n, _, _ in LIST_CASES}
    # np.prod's third derivative, np.cumprod's second
    no_rule = {reductions.ProdOthersGrad, padding.CumprodGrad}
    for rule in registry.rules():
        if registry.NONDIFF in rule.traits or \
                rule not in covered and any(issubclass(c, rule) for c in covered):
            continue  # no gradient, or an abstract base (Reduction) of checked rules
        if issubclass(rule, (custom.CustomCall, custom.CustomBackward, custom.CustomCotangent,
                             custom.CustomTangent)):
            continue  # the user's rule: tests/test_custom_vjp.py (_jvp.py) check it end to end
        assert rule in covered | no_rule, f"{rule.__name__} has no vjp test"


def test_piecewise_constant_outputs_have_no_gradient():
    """np.linalg.norm(x, 0) counts nonzeros; slogdet's sign is a sign."""
    d = decompositions
    assert d.Norm.make(x, 0, 0).vjp(COTANGENT) == [None]
    assert d.SlogdetOutput(d.SlogdetOf(a), a, _s(0)).vjp(COTANGENT) == [None]


def test_a_third_derivative_of_prod_raises():
    node = reductions.ProdOthersGrad(g, x, _s(None))
    with pytest.raises(NotImplementedError, match="third derivative of np.prod"):
        node.vjp(COTANGENT)


def test_a_second_derivative_of_cumprod_raises():
    node = padding.CumprodGrad(g, x, _s(0))
    with pytest.raises(NotImplementedError, match="second derivative of np.cumprod"):
        node.vjp(COTANGENT)


def test_a_node_without_a_rule_raises_instead_of_a_zero_gradient():
    class Opaque(registry.Rule):
        """An array operation someone forgot to give a vjp."""

    node = Opaque(x)
    assert node.diff_args() == (x,)
    with pytest.raises(NotImplementedError, match="Opaque has array arguments"):
        node.vjp(COTANGENT)


def test_piecewise_constant_nodes_carry_no_gradient():
    for node in [operators.FloorDiv(a, b), operators.EqMask(a, b), operators.IntOf(a),
                 operators.StopGradient(a), shape.Size(a), grads.GradZeros(a),
                 creation.ZerosLike(a), creation.NpConstant(_s("floor"), _s(()), a),
                 operators.AsWritten(_s("-"), a, a)]:
        assert node.diff_args() == () and node.vjp(COTANGENT) == [], node
