"""The whole Hessian in one pass: the forward-over-reverse program with its tangents batched.

``build_hvp`` gives the gradient's tangent along one direction v (H v). Here every tangent
carries one more, trailing, axis of size n (the number of parameters): the tangent of the
parameters is the identity, so the gradient's tangent is H itself, column j along e_j.

A trailing axis keeps the program's own form. Elementwise operations broadcast as they did
(a value multiplying a tangent gains ``[:, None]``), a matrix product with a vector's tangent
is a product with a matrix (``X @ dw`` is ``X @ I``, that is ``X``), and the gradient's
``X.T @ g`` becomes ``X.T @ (d[:, None] * X)``: the textbook Hessian, not a loop over
columns. What this does not know how to batch (a product of two matrices' tangents, an
indexing of one) raises ``Unbatchable``, and the Hessian is then built a column at a time.

Shapes decide the batching (``c[:, None]`` or not, which axes ``SumTo`` sums), so the
program is made for the concrete argument shapes: the primal and the single-direction
tangent program are evaluated once on them, and each subexpression's shape read off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symgrad.adjoint.tangent import TangentProgram, _needed
from symgrad.frontend.ir import Assign
from symgrad.rules import base, masks
from symgrad.rules.contractions import Einsum as NpEinsum
from symgrad.rules.grads import BroadcastLike, GradZeros, SumTo
from symgrad.rules.indexing import (
    ClearItem,
    Concatenate,
    GetItem,
    ScatterInto,
    SetItem,
    SliceAlong,
    Stack,
    TakeAlong,
)
from symgrad.rules.linalg import Dot, Inner, MatMul, Outer, ProductGrad
from symgrad.rules.moving import Swapaxes
from symgrad.rules.reductions import CumSum, CumSumGrad, NpMean, NpSum, ProdOthersGrad
from symgrad.rules.shape import ExpandDims, Flip, Ravel, Reshape, Transpose


class Unbatchable(Exception):
    """The program holds an operation this pass cannot batch (the Hessian falls back)."""


class NewAxis(sp.Function):
    """``c[:, None]`` (``c[..., None]`` for more axes): a value that multiplies a batched
    tangent, given the trailing batch axis to broadcast along. args: (c, ndim of c)."""

    is_real = True

    def _numpycode(self, printer: Any) -> str:
        index = ":, None" if int(self.args[1]) == 1 else "..., None"
        return f"{printer.doprint_atom(self.args[0])}[{index}]"

    def _symgrad_formula_str(self, printer: Any) -> str:  # (G.formula's printer)
        c = self.args[0]
        text = printer._print(c)
        return f"{text if c.is_Symbol else f'({text})'}[:, None]"


class Scaled(sp.Function):
    """``d[:, None] * t``: a batched tangent scaled by a named value, written as the
    textbook writes it (the factor first). args: (d, t, ndim of d)."""

    is_real = True

    def _numpycode(self, printer: Any) -> str:
        index = ":, None" if int(self.args[2]) == 1 else "..., None"
        t = self.args[1]
        text = printer.doprint_atom(t) if t.is_Add else printer._print(t)
        return f"{printer.doprint_atom(self.args[0])}[{index}] * {text}"

    def _symgrad_formula_str(self, printer: Any) -> str:  # (G.formula's printer)
        d, t = self.args[:2]
        text = printer._print(t)
        text = f"({text})" if t.is_Add else text
        d_text = printer._print(d)
        return f"{d_text if d.is_Symbol else f'({d_text})'}[:, None] * {text}"

    def _symgrad_formula_latex(self, printer: Any) -> str:
        return rf"\operatorname{{diag}}\left({printer._print(self.args[0])}\right) " \
            f"{printer._print(self.args[1])}"


class Identity(sp.Symbol):
    """``I``: the identity matrix, a vector parameter's tangent in every direction."""

    def __new__(cls) -> Any:
        return super().__new__(cls, "I")


class Directions(sp.Function):
    """The tangents of every parameter along every direction at once: ``np.eye(n)``
    (``np.ones(1)`` for one scalar parameter). args: the parameters."""

    def _numpycode(self, printer: Any) -> str:
        sizes = " + ".join(f"np.size({printer.doprint_expr(a)})" for a in self.args)
        return f"np.eye({sizes})"


class DirectionsOf(sp.Function):
    """One parameter's rows of the identity, shaped as the parameter plus the batch axis:
    args (eye, start, stop, parameter, ndim)."""

    def _numpycode(self, printer: Any) -> str:
        eye, start, stop, x, ndim = self.args
        eye = printer.doprint_atom(eye)
        if int(ndim) == 0:
            return f"{eye}[{int(start)}]"
        rows = f"{eye}[{int(start) or ''}:{int(stop)}]"
        if int(ndim) == 1:
            return rows
        return f"{rows}.reshape(np.shape({printer.doprint_expr(x)}) + (-1,))"


class Einsum(sp.Function):
    """``np.einsum("ij,jkn->ikn", a, t)``: a contraction with a batched tangent (the batch
    axis ``n``, last). args: (subscripts, a, b)."""

    def _numpycode(self, printer: Any) -> str:
        operands = ", ".join(printer.doprint_expr(a) for a in self.args[1:])
        return f'np.einsum("{base.sval(self.args[0])}", {operands})'


class BatchedZeros(sp.Function):
    """A zero tangent of ``x`` in every direction: args (x, n)."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.zeros(np.shape({printer.doprint_expr(self.args[0])}) + ({int(self.args[1])},))"


class BatchedBroadcast(sp.Function):
    """A batched tangent broadcast to ``like``'s shape, the batch axis kept: args (g, like)."""

    def _numpycode(self, printer: Any) -> str:
        g = printer.doprint_atom(self.args[0])
        return f"np.broadcast_to({g}, np.shape({printer.doprint_expr(self.args[1])}) + " \
            f"{g}.shape[-1:])"


class Repeated(sp.Function):
    """``x`` repeated along a trailing batch axis: args (x, n)."""

    def _numpycode(self, printer: Any) -> str:
        x = printer.doprint_atom(self.args[0])
        return f"np.broadcast_to({x}[..., None], np.shape({x}) + ({int(self.args[1])},))"


def _spelled(node: Any) -> str:
    """What a node is to the user: ``np.swapaxes (Swapaxes)``, or for a node of symgrad's
    own (a derivative's), ``the derivative node CumSumGrad``."""
    from symgrad.rules import registry

    name = type(node).__name__
    for entry in registry.entries():
        if entry.rule is not None and isinstance(node, entry.node):
            return f"np.{entry.name} ({name})"
    return f"the derivative node {name}"


def _leading(index: Any) -> list[Any]:
    """An index of a value's own (leading) axes, for the value with its batch axis last:
    as written, with ``:`` for the batch axis after an ``...``."""
    index = list(index)
    if any(base.sval(p) is Ellipsis for p in index):
        index.append(base.static(slice(None)))
    return index


@dataclass
class HessianProgram:
    """The batched program and what its caller needs to split the result into blocks."""

    program: TangentProgram  # tangent_params: none (they are made inside); tangents: rows
    sizes: list[int]  # each wrt argument's number of elements, in wrt order


class _Batcher:
    def __init__(self, tp: TangentProgram, value_of: Any, n: int) -> None:
        self.value_of = value_of
        self.n = n
        self.tangents = {sp.Symbol(t, real=True) for t in tp.tangent_params}
        self.identity: set[Any] = set()
        self.coefficients: dict[Any, sp.Symbol] = {}  # a product's primal factor -> its name
        self.new: list[Assign] = []
        self.primals = [s for s in tp.program if not s.expr.free_symbols & self.tangents]
        self.names = tp.names
        self.fresh = _fresh_names(tp.names)

    def has_tangent(self, expr: Any) -> bool:
        return bool(expr.free_symbols & self.tangents)

    def shape_of(self, expr: Any) -> tuple:
        return np.shape(self.value_of(expr))

    def ndim(self, expr: Any) -> int:
        return len(self.shape_of(expr))

    def primal(self, expr: Any) -> Any:
        """A tangent-free value beside batched ones: given the batch axis when it has axes."""
        ndim = self.ndim(expr)
        return NewAxis(expr, sp.Integer(ndim)) if ndim else expr

    def named(self, expr: Any) -> Any:
        """A product's tangent-free factor, named ``d`` (``d1``, ...) unless it is a name:
        the product then reads ``d[:, None] * t``."""
        if isinstance(expr, sp.Symbol) or any(s.expr.has(expr) for s in self.primals):
            return expr  # (a value the primal computes anyway: cse names it)
        if expr not in self.coefficients:
            target = next(self.fresh)
            self.coefficients[expr] = sp.Symbol(target, real=True)
            self.new.append(Assign(target, _tidy(expr), 0, [], target))
        return self.coefficients[expr]

    def batch(self, expr: Any) -> Any:
        if not self.has_tangent(expr):
            return self.primal(expr)
        if isinstance(expr, sp.Symbol):
            return expr
        if isinstance(expr, base.Structural) and not isinstance(expr, masks.Elementwise):
            return self.structural(expr)
        if expr.is_Mul:
            own = [a for a in expr.args if not self.has_tangent(a)]
            rest = [self.batch(a) for a in expr.args if self.has_tangent(a)]
            coeff = sp.Mul(*own)
            if own and self.ndim(coeff):
                return Scaled(self.named(coeff), sp.Mul(*rest), sp.Integer(self.ndim(coeff)))
            return sp.Mul(coeff, *rest)
        if isinstance(expr, (sp.Add, sp.Pow, sp.Function, sp.Rel, masks.Elementwise)):
            return expr.func(*[self.batch(a) for a in expr.args])
        raise Unbatchable(f"{_spelled(expr)} has no batched form yet")

    def structural(self, node: Any) -> Any:
        if isinstance(node, (MatMul, Dot, Inner, Outer)):
            kind = "_matmul" if isinstance(node, MatMul) else "_dot" if isinstance(node, Dot) \
                else "_inner" if isinstance(node, Inner) else "_outer"
            a, b = node.args[:2]
            sa, sb, out = _product_subscripts(kind, self.ndim(a), self.ndim(b))
            return self.contract(a, sa, b, sb, out)
        if isinstance(node, ProductGrad):
            return self.product_grad(base.sval(node.args[0]), *node.args[1:])
        if isinstance(node, (NpSum, NpMean)) and len(node.args) == 3:
            ndim = self.ndim(node.args[0])
            if ndim == 0:  # (the sum of a scalar: itself)
                return self.batch(node.args[0])
            axis = base.sval(node.args[1])
            axes = tuple(range(ndim)) if axis is None else \
                tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))
            axes = axes[0] if len(axes) == 1 else axes
            return type(node)(self.batch(node.args[0]), base.static(axes), node.args[2])
        if isinstance(node, Transpose):  # the value's axes permuted; the batch axis stays
            ndim = self.ndim(node.args[0])
            axes = base.sval(node.args[1])
            axes = tuple(range(ndim))[::-1] if axes is None else tuple(a % ndim for a in axes)
            return Transpose(self.batch(node.args[0]), base.static(axes + (ndim,)))
        if isinstance(node, ExpandDims):  # new axes among the value's own: the same
            axis = base.sval(node.args[1])
            ndim = self.ndim(node)
            axes = tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
            return ExpandDims(self.batch(node.args[0]),
                              base.static(axes[0] if len(axes) == 1 else axes))
        if isinstance(node, GetItem) and not any(self.has_tangent(p) for p in node.args[1:]):
            return GetItem(self.batch(node.args[0]), *_leading(node.args[1:]))
        if isinstance(node, ScatterInto) and not any(self.has_tangent(a)
                                                     for a in node.args[1:]):
            g, x, *index = node.args
            if not isinstance(self.value_of(x), (np.ndarray, float, int, np.generic)):
                raise Unbatchable("a scatter into a container")
            # zeros shaped like x and the directions, with g added at the index
            return ScatterInto(self.batch(g), BatchedZeros(x, sp.Integer(self.n)),
                               *_leading(index))
        if isinstance(node, SetItem) and not any(self.has_tangent(p) for p in node.args[2:]):
            # x[index] = v of tangents: the batch axis is the last, the index leads
            x, v, *index = node.args
            return SetItem(self.batched_or_zero(x), self.batch(v), *_leading(index))
        if isinstance(node, ClearItem) and not any(self.has_tangent(p) for p in node.args[1:]):
            return ClearItem(self.batch(node.args[0]), *_leading(node.args[1:]))
        if isinstance(node, ProdOthersGrad) and not any(self.has_tangent(a)
                                                        for a in node.args[1:]):
            return self.prod_others_grad(*node.args)
        if isinstance(node, NpEinsum):
            return self.einsum(node)
        moved = self.along_axes(node)
        if moved is not None:
            return moved
        if isinstance(node, SumTo):
            return self.sum_to(*node.args)
        if isinstance(node, BroadcastLike):
            g, like = node.args
            if self.has_tangent(like):
                raise Unbatchable("a broadcast to a shape that has a tangent")
            if self.shape_of(g) == self.shape_of(like):
                return self.batch(g)
            return BatchedBroadcast(self.batch(g), like)
        if isinstance(node, GradZeros):
            return BatchedZeros(node.args[0], sp.Integer(self.n))
        raise Unbatchable(f"{_spelled(node)} has no batched form yet")

    def einsum(self, node: Any) -> Any:
        """``np.einsum`` of one tangent and values (the tangent program is linear): the
        tangent's subscripts and the output's gain the batch axis, a letter of its own."""
        operands, spec = node.args[:-1], base.sval(node.args[-1])
        moving = [i for i, x in enumerate(operands) if self.has_tangent(x)]
        if len(moving) != 1 or "->" not in spec:
            raise Unbatchable("np.einsum of more than one tangent")
        (k,) = moving
        letter = next(c for c in "nNmMpPqQrRsStTuUvVwWxXyYzZ" if c not in spec)
        inputs, out = spec.split("->")
        terms = inputs.split(",")
        terms[k] += letter
        new = [self.batch(x) if i == k else x for i, x in enumerate(operands)]
        return NpEinsum(*new, base.static(f"{','.join(terms)}->{out}{letter}"))

    def along_axes(self, node: Any) -> Any:
        """The linear operations along a value's own axes (swapaxes, flips, slices and
        items along an axis, cumulative sums, C-order reshapes): the same along the same
        axes, named as non-negative so the trailing batch axis is never one of them; None
        for any other node."""
        if isinstance(node, (Swapaxes, Flip, SliceAlong, TakeAlong, CumSum, CumSumGrad,
                             Reshape, Ravel)) and \
                any(self.has_tangent(a) for a in node.args[1:]):
            raise Unbatchable(f"{_spelled(node)} of a value with a tangent in its parameters")
        if isinstance(node, Swapaxes):
            ndim = self.ndim(node.args[0])
            a1, a2 = (base.sval(a) % ndim for a in node.args[1:3])
            return Swapaxes(self.batch(node.args[0]), base.static(a1), base.static(a2))
        if isinstance(node, Flip):
            ndim = self.ndim(node.args[0])
            axis = base.sval(node.args[1])
            axes = tuple(range(ndim)) if axis is None else tuple(
                a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
            return Flip(self.batch(node.args[0]), base.static(axes[0] if len(axes) == 1
                                                                else axes))
        if isinstance(node, (SliceAlong, TakeAlong)):
            axis = base.sval(node.args[1]) % self.ndim(node.args[0])
            return type(node)(self.batch(node.args[0]), base.static(axis), *node.args[2:])
        if isinstance(node, (Reshape, Ravel)):
            order = [base.sval(a) for a in node.args[2 if isinstance(node, Reshape) else 1:]]
            if any(o not in ("C", None) for o in order):
                raise Unbatchable(f"{_spelled(node)} in Fortran order")
            shape = tuple(self.shape_of(node)) + (self.n,)
            return Reshape(self.batch(node.args[0]), base.static(shape))
        if isinstance(node, (Concatenate, Stack)):
            xs, axis = node.args[:-1], base.sval(node.args[-1])
            parts = []
            for x in xs:  # (a part no direction reaches: zeros in every direction)
                if not self.has_tangent(x) and not isinstance(x, GradZeros):
                    raise Unbatchable(f"{_spelled(node)} of a value with no tangent")
                parts.append(self.batch(x) if self.has_tangent(x) else
                             BatchedZeros(x.args[0], sp.Integer(self.n)))
            if axis is None:  # np.concatenate flattens each array first
                parts = [p if self.ndim(x) == 1 else Reshape(p, base.static((-1, self.n)))
                         for p, x in zip(parts, xs, strict=True)]
                return Concatenate(*parts, base.static(0))
            ndim = self.ndim(xs[0]) + isinstance(node, Stack)
            return type(node)(*parts, base.static(axis % ndim))
        if isinstance(node, (CumSum, CumSumGrad)):
            g, axis = node.args[0], base.sval(node.args[-1])
            x = node.args[0] if isinstance(node, CumSum) else node.args[1]
            gb = self.batch(g)
            flat = axis is None or self.ndim(x) == 0  # (over the flattened value)
            if flat and self.ndim(g) != 1:
                gb = Reshape(gb, base.static((-1, self.n)))
            axis = base.static(axis % self.ndim(g) if not flat else 0)
            # (cumsum's transpose: each input reaches every later output, summed from the end)
            out = CumSum(gb, axis) if isinstance(node, CumSum) else \
                Flip(CumSum(Flip(gb, axis), axis), axis)
            shape = tuple(self.shape_of(node)) + (self.n,)
            return Reshape(out, base.static(shape)) if flat and len(shape) != 2 else out
        return None

    def batched_or_zero(self, x: Any) -> Any:
        """A tangent batched, or a tangent known to be zero (``GradZeros``, 0) as zeros in
        every direction; any other value has no place in the (linear) tangent program."""
        if self.has_tangent(x):
            return self.batch(x)
        if isinstance(x, GradZeros) or x == 0:
            return BatchedZeros(x.args[0] if isinstance(x, GradZeros) else x, sp.Integer(self.n))
        raise Unbatchable(f"a write into {x}, which has no tangent")

    def prod_others_grad(self, t: Any, x: Any, axis: Any) -> Any:
        """np.prod's second derivative along every direction: ``_prod_others_grad`` is
        linear in ``t`` and independent along the axes it does not reduce, so the batch axis
        is one more of those (x repeated along it, the reduced axes named as non-negative)."""
        ndim = self.ndim(x)
        if ndim == 0:  # a number: no other elements, no curvature
            return BatchedZeros(x, sp.Integer(self.n))
        value = base.sval(axis)
        axes = tuple(range(ndim)) if value is None else tuple(
            a % ndim for a in (value if isinstance(value, tuple) else (value,)))
        g = self.batch(t)
        if self.shape_of(t) != self.shape_of(x):
            g = BatchedBroadcast(g, x)
        return ProdOthersGrad(g, Repeated(x, sp.Integer(self.n)), base.static(axes))

    def product_grad(self, helper: str, g: Any, a: Any, b: Any) -> Any:
        """One side of a product's vjp (``_matmul_grad_b(g, a, b)`` is ``a.T @ g``), as
        the contraction it is: g's subscripts with the other side's, to this side's (an
        axis that a @ b broadcast from more axes is summed by the einsum, as _sum_to does)."""
        name, _, side = helper.rpartition("_grad_")
        if name not in ("_matmul", "_dot", "_inner", "_outer"):
            raise Unbatchable(f"{helper}, a derivative of a product, has no batched form yet")
        sa, sb, sg = _product_subscripts(name, self.ndim(a), self.ndim(b))
        shapes = dict(zip(sa, self.shape_of(a), strict=True))
        for label, size in zip(sb, self.shape_of(b), strict=True):
            shapes[label] = max(shapes.get(label, 1), size)
        mine = (sb, self.shape_of(b)) if side == "b" else (sa, self.shape_of(a))
        # a size-1 axis the product broadcast: summed by the einsum, then kept as 1
        spread = tuple(i for i, (label, size) in enumerate(zip(*mine, strict=True))
                       if shapes[label] != size)
        out = "".join(label for i, label in enumerate(mine[0]) if i not in spread)
        grad = self.contract(a, sa, g, sg, out) if side == "b" else \
            self.contract(g, sg, b, sb, out)
        if spread:
            return ExpandDims(grad, base.static(spread[0] if len(spread) == 1 else spread))
        return grad

    def contract(self, x: Any, xs: str, y: Any, ys: str, out: str) -> Any:
        """``np.einsum(f"{xs},{ys}->{out}", x, y)`` of one tangent and one value, batched: as
        a matrix product where it is one (``a @ t``, ``a.T @ t``), else as an einsum."""
        if self.has_tangent(x) == self.has_tangent(y):
            raise Unbatchable("a product of two tangents")
        t, (v, vs), ts = (y, (x, xs), ys) if self.has_tangent(y) else (x, (y, ys), xs)
        ident = t in self.identity
        if not vs:  # a scalar times the tangent
            return sp.Mul(v, self.batch(t))
        if not ts:  # a value times a scalar's tangent: the outer product
            return sp.Mul(self.primal(v), self.batch(t))
        if len(ts) == 1 and ts in vs and out == vs.replace(ts, "") and \
                (vs[-1] == ts or len(vs) == 2):  # a matrix (or stack of them) times a vector
            m = v if vs[-1] == ts else Transpose(v, base.static(None))
            return m if ident else MatMul(m, self.batch(t))
        operands = (self.batch(t), v) if t is x else (v, self.batch(t))
        subs = f"{ts}n,{vs}" if t is x else f"{vs},{ts}n"
        return Einsum(base.static(f"{subs}->{out}n"), *operands)

    def sum_to(self, g: Any, like: Any) -> Any:
        sg, sl = self.shape_of(g), self.shape_of(like)
        out = self.batch(g)
        if sg == sl:
            return out
        lead = len(sg) - len(sl)
        if lead < 0:
            raise Unbatchable("a sum to a shape of more axes")
        if lead:
            axes = tuple(range(lead))
            out = NpSum(out, base.static(axes[0] if lead == 1 else axes), base.static(False))
        keep = tuple(i for i, d in enumerate(sl) if d == 1 and sg[lead + i] != 1)
        if keep:
            out = NpSum(out, base.static(keep[0] if len(keep) == 1 else keep),
                        base.static(True))
        return out


def _tidy(expr: Any) -> Any:
    """A curvature factor as a person writes it: ``2*(t - 1)*(t + 1)*(3*t**2 - 1)``, not
    ``6.0*(t - 1)*(t + 1)*(1.0*t**2 - 0.3333333333333333)`` (the floats the simplifier left
    read back as the fractions they are, then factored); unchanged where that is not
    shorter, or not the same value."""
    if sp.count_ops(expr) > 60 or not expr.atoms(sp.Float):
        return expr
    try:
        exact = sp.nsimplify(expr, rational=True, tolerance=1e-15)
        factored = sp.factor(exact)
    except Exception:  # (sympy gives up on some expressions)
        return expr
    if factored.atoms(sp.Float) or sp.count_ops(factored) > sp.count_ops(expr):
        return expr
    if any(abs(float(sp.nsimplify(f, rational=True, tolerance=1e-15)) - float(f)) >
           1e-15 * max(1.0, abs(float(f))) for f in expr.atoms(sp.Float)):
        return expr
    return factored


def _product_subscripts(kind: str, ra: int, rb: int) -> tuple[str, str, str]:
    """The einsum subscripts of ``a @ b`` (``kind`` "_matmul"), ``np.dot(a, b)`` ("_dot") or
    ``np.inner(a, b)`` ("_inner") of arrays of ``ra`` and ``rb`` axes: (a's, b's, the out's).
    Vectors and matrices read ``ij,jk->ik``; a stack of matrices has leading axes ``A``,
    ``B``, ... (matmul broadcasts them, as einsum does a size-1 axis)."""
    if kind == "_outer":  # (np.outer flattens its arguments: vectors only here)
        if (ra, rb) != (1, 1):
            raise Unbatchable("np.outer of arrays that are not vectors")
        return "i", "j", "ij"
    if ra == 0 or rb == 0:
        raise Unbatchable(f"{kind[1:]} of a scalar")
    if ra <= 2 and rb <= 2 and (kind != "_inner" or rb == 1):
        sa, sb = "ij"[2 - ra:], "jk"[:rb]
        return sa, sb, sa[:-1] + sb[1:]
    if kind == "_matmul":
        la, lb = max(ra - 2, 0), max(rb - 2, 0)
        lead = "ABCDEFGH"[:max(la, lb)]
        sa = lead[len(lead) - la:] + ("ij" if ra >= 2 else "j")
        sb = lead[len(lead) - lb:] + ("jk" if rb >= 2 else "j")
        return sa, sb, lead + ("i" if ra >= 2 else "") + ("k" if rb >= 2 else "")
    sa = "abcdefgh"[:ra - 1] + "z"
    if kind == "_dot":  # a's last axis with b's second to last
        sb = "z" if rb == 1 else "opqrstuv"[:rb - 2] + "zy"
    else:  # np.inner: the last axes of both
        sb = "opqrstuv"[:rb - 1] + "z"
    return sa, sb, sa[:-1] + sb.replace("z", "")


def _fresh_names(taken: set[str]) -> Any:
    """``d``, ``d1``, ``d2``, ...: names for the curvature factors, none already used."""
    k = 0
    while True:
        name = "d" if k == 0 else f"d{k}"
        k += 1
        if name not in taken:
            taken.add(name)
            yield name


def batch_hvp(tp: TangentProgram, args: dict[str, Any], namespace: dict[str, Any],
              printer: Any) -> HessianProgram:
    """The batched form of ``build_hvp``'s program ``tp`` for these argument values (by
    parameter name): its tangents' trailing axis runs over every parameter direction.
    ``namespace`` and ``printer`` evaluate the program once, for the shapes."""
    from symgrad import helpers

    env = {k: v for k, v in vars(helpers).items() if k.startswith("_") and callable(v)}
    env.update(namespace)
    env.update(args)
    rng = np.random.default_rng(0)
    wrt_values = [np.asarray(args[x]) for x in tp.wrt]
    for t, x in zip(tp.tangent_params, wrt_values, strict=True):
        env[t] = rng.normal(size=x.shape) if x.ndim else float(rng.normal())
    stmts = [s for s in tp.program if isinstance(s, Assign)]
    if len(stmts) != len(tp.program):
        raise Unbatchable("a loop or branch")
    for s in stmts:
        try:
            env[s.target] = eval(printer.doprint(s.expr), env)  # noqa: S307 (our own code)
        except Exception as error:  # (not what this pass can evaluate: the columns then)
            raise Unbatchable(f"no value for {s.target}: {error}") from error
    values: dict[Any, Any] = {}

    def value_of(expr: Any) -> Any:
        if expr not in values:
            try:
                values[expr] = eval(printer.doprint(expr), env)  # noqa: S307
            except Exception as error:  # (a subexpression that needs its context)
                raise Unbatchable(f"no value for {expr}") from error
        return values[expr]

    sizes = [x.size for x in wrt_values]
    n = sum(sizes)
    b = _Batcher(tp, value_of, n)
    wrt_syms = [sp.Symbol(x, real=True) for x in tp.wrt]
    out: list[Assign] = []
    if len(tp.wrt) == 1 and wrt_values[0].ndim == 1:
        t = tp.tangent_params[0]
        out.append(Assign(t, Directions(wrt_syms[0]), 0, [], t))
        b.identity.add(sp.Symbol(t, real=True))
    else:
        eye = next(b.fresh).replace("d", "eye", 1)
        b.names.add(eye)
        out.append(Assign(eye, Directions(*wrt_syms), 0, [], eye))
        start = 0
        for t, x, xs, size in zip(tp.tangent_params, wrt_syms, wrt_values, sizes,
                                  strict=True):
            out.append(Assign(t, DirectionsOf(sp.Symbol(eye, real=True), sp.Integer(start),
                                              sp.Integer(start + size), x,
                                              sp.Integer(xs.ndim)), 0, [], t))
            start += size
    outputs = set(tp.tangents)
    for s in stmts:
        if s.target in outputs and not b.has_tangent(s.expr):
            if not isinstance(s.expr, GradZeros):  # (a gradient that no direction reaches)
                raise Unbatchable(f"the tangent {s.target} = {s.expr}")
            zeros = BatchedZeros(s.expr.args[0], sp.Integer(n))
            out.append(Assign(s.target, zeros, s.lineno, s.lines, s.target))
            continue
        if not b.has_tangent(s.expr):
            out.append(s)
            continue
        b.tangents.add(sp.Symbol(s.target, real=True))
        expr = b.batch(s.expr)
        out.extend(b.new)
        b.new.clear()
        out.append(Assign(s.target, expr, s.lineno, s.lines, s.target))
    program = TangentProgram(tp.fn, tp.wrt, _needed(out, set(tp.tangents)), [],
                             list(tp.tangents), list(tp.tangents), b.names, tp.inlined,
                             tp.is_scalar, tp.plan)
    return HessianProgram(program, sizes)


def _without(expr: Any, zero: set[Any]) -> Any:
    """``expr`` with the directions ``zero`` set to 0, products and sums of 0 dropped."""
    if expr in zero:
        return sp.Integer(0)
    if not expr.args or not (expr.free_symbols & zero) or isinstance(expr, base.Static):
        return expr
    args = [_without(a, zero) for a in expr.args]
    linear = {MatMul: (0, 1), ProductGrad: (1,), NpSum: (0,), NpMean: (0,), SumTo: (0,),
              BroadcastLike: (0,)}
    for cls, which in linear.items():
        if isinstance(expr, cls) and any(args[i] == 0 for i in which):
            return sp.Integer(0)
    return expr.func(*args)


def matrix_form(expr: Any, v: Any, vector: bool, env: dict[str, Any],
                factors: dict[Any, Any], others: set[Any] = frozenset()) -> Any:
    """``expr``, linear in the direction ``v``, as the matrix of its columns along every
    direction: ``X @ v`` -> ``X``, ``d * t`` -> ``d[:, None] * t`` (``d`` named in
    ``factors``, expression -> symbol), ``a.T @ g`` batched by its ``g``. A scalar ``v`` is
    1; the directions ``others`` are 0. None where the expression has another form (the
    formula then shows H v only)."""
    from symgrad.printer import NumpyPrinter

    expr = _without(expr, others)
    if not vector:
        return expr.xreplace({v: sp.Integer(1)})
    printer = NumpyPrinter()

    def ndim(e: Any) -> int:
        with np.errstate(all="ignore"):
            return np.ndim(eval(printer.doprint(e), env))  # noqa: S307 (our own code)

    def name(e: Any) -> Any:
        if e.is_Symbol:
            return e
        if e not in factors:
            factors[e] = sp.Symbol("d" if not factors else f"d{len(factors)}", real=True)
        return factors[e]

    def m(e: Any) -> Any:
        if e == v:
            return Identity()
        if v not in e.free_symbols:
            raise Unbatchable("a term without the direction")
        if e.is_Add:
            return sp.Add(*[m(a) for a in e.args])
        if e.is_Mul:
            own = [a for a in e.args if v not in a.free_symbols]
            rest = [a for a in e.args if v in a.free_symbols]
            if len(rest) != 1:
                raise Unbatchable("a product of directions")
            coeff = sp.Mul(*own)
            inner = m(rest[0])
            if not own or ndim(coeff) == 0:
                return coeff * inner
            return Scaled(name(coeff), inner, sp.Integer(ndim(coeff)))
        if isinstance(e, MatMul) and v not in e.args[0].free_symbols and ndim(e.args[0]) == 2:
            inner = m(e.args[1])
            return e.args[0] if isinstance(inner, Identity) else MatMul(e.args[0], inner)
        if isinstance(e, NpSum) and base.sval(e.args[1]) is None and ndim(e.args[0]) == 1:
            return NpSum(m(e.args[0]), base.static(0), base.static(False))  # per column
        if isinstance(e, ProductGrad) and base.sval(e.args[0]) == "_matmul_grad_b" and \
                v not in (e.args[2].free_symbols | e.args[3].free_symbols) and \
                ndim(e.args[2]) == 2 and ndim(e.args[3]) == 1:
            return ProductGrad(e.args[0], m(e.args[1]), *e.args[2:])  # (a.T @ ...)
        raise Unbatchable(type(e).__name__)

    try:
        return m(sp.expand(expr) if expr.is_Add else expr)
    except Exception:  # (an expression this reading does not cover: H v is shown alone)
        return None
