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
    grads,
    indexing,
    joining,
    linalg,
    moving,
    operators,
    reductions,
    registry,
    shape,
)
from symgrad.rules.base import static

NAMESPACE = {"np": np, **{k: v for k, v in vars(helpers).items()
                          if k.startswith("_") and callable(v)}}
COTANGENT = sp.Symbol("cotangent", real=True)


def S(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


a, b, g, x, v, idx = (S(n) for n in ("a", "b", "g", "x", "v", "idx"))


def evaluate(expr, values):
    """The value of a SymPy expression of nodes: its generated numpy code, run."""
    return eval(NumpyPrinter().statement(expr), dict(NAMESPACE), dict(values))


def check_vjp(node, values, seed=0, eps=1e-6):
    """<u, (node(x + eps v) - node(x - eps v)) / 2 eps> == <vjp(u), v> per gradient argument;
    an argument with no vjp (None) must not change the value."""
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
    ]


CASES = (_product_cases() + _reduction_cases() + _shape_cases() + _index_cases()
         + _grad_and_creation_cases() + _joining_cases() + _moving_cases()
         + _contraction_cases())


@pytest.mark.parametrize("node, values", CASES, ids=[str(n)[:60] for n, _ in CASES])
def test_vjp_matches_central_differences(node, values):
    check_vjp(node, values)


def test_every_rule_with_gradient_arguments_is_checked_or_raises():
    covered = {type(n).__mro__[1] for n, _ in CASES}  # the rule class under each node class
    from test_language_loops import LIST_CASES  # (lists' rules take Python lists there)

    covered |= {type(n).__mro__[1] for n, _, _ in LIST_CASES}
    no_rule = {reductions.ProdOthersGrad}  # np.prod's third derivative
    for rule in registry.rules():
        if registry.NONDIFF in rule.traits or \
                rule not in covered and any(issubclass(c, rule) for c in covered):
            continue  # no gradient, or an abstract base (Reduction) of checked rules
        assert rule in covered | no_rule, f"{rule.__name__} has no vjp test"


def test_a_third_derivative_of_prod_raises():
    node = reductions.ProdOthersGrad(g, x, _s(None))
    with pytest.raises(NotImplementedError, match="third derivative of np.prod"):
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
