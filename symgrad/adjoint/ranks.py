"""Rank patterns (``symgrad.patterns``): what a call's argument ranks say about every
value's shape, and the shape plumbing they decide. Broadcasting, a matrix product, a
reduction over static axes, a transpose and an integer index each give their result's
pattern from their operands'; anything else gives None, and keeps the generic code.

With patterns known, ``resolve`` writes the shape plumbing of the generic code out at
transformation time, as a person would: ``_sum_to(g, b)`` is ``np.sum(g, axis=0)`` for a
bias (or ``g`` itself when nothing was broadcast), ``_matmul_grad_b(g, x, w)`` is
``x.T @ g``, ``_broadcast_to(g, ...)`` of a g already whole is ``g``, and
``np.broadcast(h, y).size`` is ``np.size(h)`` when h has the broadcast shape. Each rewrite
holds for every call with the same patterns: a wrong one would be a wrong gradient, so
where a flag that matters is unknown the generic node stays.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.patterns import Pattern, broadcast, fills
from symgrad.rules.base import Static, Structural, sval
from symgrad.rules.base import static as _static
from symgrad.rules.creation import Full, Ones, Zeros
from symgrad.rules.grads import BroadcastLike, FullLike, GradZeros, SumTo, TreeZeros
from symgrad.rules.indexing import GetItem
from symgrad.rules.linalg import MatMul, Outer, ProductGrad
from symgrad.rules.reductions import NpSum, Reduction
from symgrad.rules.registry import node_class
from symgrad.rules.shape import Broadcast, Len, Shape, ShapeAt, Transpose, normalize_axes

# ----------------------------------------------------------------- patterns of nodes


def infer(expr: Any, shapes: Any) -> Pattern:
    """The pattern of ``expr`` from its operands' (``shapes.pattern_of``)."""
    if isinstance(expr, sp.Symbol):
        return None  # a name: its class's pattern, if it had one, was found already
    if isinstance(expr, Static) or not expr.args:
        return ()
    if not isinstance(expr, Structural):  # elementwise: numpy's broadcasting
        return broadcast([shapes.pattern_of(a) for a in expr.args])
    rule = _RULES.get(type(expr))  # (exactly: a rule derived from one may shape otherwise)
    return None if rule is None else rule(expr, shapes)


def _like(expr: Any, shapes: Any) -> Pattern:
    """The pattern of the shape of ``expr``, which may be ``np.broadcast(a, b)``."""
    if isinstance(expr, Broadcast):
        return broadcast([shapes.pattern_of(a) for a in expr.args])
    return shapes.pattern_of(expr)


def _matmul(expr: Any, shapes: Any) -> Pattern:
    a, b = (shapes.pattern_of(x) for x in expr.args[:2])
    if a is None or b is None or not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(b) == 1:
        return a[:-1]
    if len(a) == 1:
        return b[:-2] + b[-1:]
    batch = broadcast([a[:-2], b[:-2]])
    return None if batch is None else batch + (a[-2], b[-1])


def _transpose(expr: Any, shapes: Any) -> Pattern:
    p = shapes.pattern_of(expr.args[0])
    axes = sval(expr.args[1])
    if p is None:
        return None
    if axes is None:
        return p[::-1]
    try:
        return tuple(p[a % len(p)] for a in axes) if len(axes) == len(p) else None
    except (TypeError, ZeroDivisionError):
        return None


def _reduction(expr: Any, shapes: Any) -> Pattern:
    p = shapes.pattern_of(expr.args[0])
    if p is None:
        return None
    try:
        axes = normalize_axes(expr.axis, len(p))
    except (ValueError, TypeError):
        return None
    if expr.keepdims:
        return tuple(True if i in axes else f for i, f in enumerate(p))
    return tuple(f for i, f in enumerate(p) if i not in axes)


def _getitem(expr: Any, shapes: Any) -> Pattern:
    """Integer positions drop leading axes, ``:`` keeps one; any other index: unknown."""
    p = shapes.pattern_of(expr.args[0])
    parts = expr.args[1:]
    if p is None or len(parts) > len(p):
        return None
    out: list[bool | None] = []
    for i, part in enumerate(parts):
        value = sval(part)
        if isinstance(value, slice) and value == slice(None):
            out.append(p[i])
        elif not _integer_position(part, shapes):
            return None
    return tuple(out) + p[len(parts):]


def _made(expr: Any, shapes: Any) -> Pattern:
    """np.zeros / np.ones / np.full of a literal shape (``np.zeros(3)``), of a value's
    (``np.zeros(x.shape)``) or of lengths (``np.zeros((len(x), 2))``): that shape's pattern
    (np.full's fill value must broadcast to it)."""
    shape = expr.args[1] if isinstance(expr, node_class(Full)) else expr.args[0]
    if isinstance(shape, Shape):
        return shapes.pattern_of(shape.args[0])
    if isinstance(shape, Static):
        dims = sval(shape)
        dims = dims if isinstance(dims, tuple) else (dims,)
    elif isinstance(shape, sp.Tuple):
        dims = shape.args
    else:
        return None
    return tuple(_is_one(d, shapes) for d in dims)


def _is_one(length: Any, shapes: Any) -> bool | None:
    """Whether an array length is 1: known for a literal, ``len(x)`` and ``x.shape[i]``."""
    if type(length) is int or isinstance(length, sp.Integer):
        return int(length) == 1
    if isinstance(length, (Len, ShapeAt)):
        p = shapes.pattern_of(length.args[0])
        i = sval(length.args[1]) if isinstance(length, ShapeAt) else 0
        if p is not None and type(i) is int and -len(p) <= i < len(p):
            return p[i]
    return None


def _integer_position(part: Any, shapes: Any) -> bool:
    if isinstance(part, Static):
        return type(part.value) is int
    if isinstance(part, sp.Integer):
        return True
    return isinstance(part, sp.Symbol) and part.name in shapes.range_vars


def _reductions() -> dict[str, Any]:
    out, todo = {}, [Reduction]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls is not Reduction:
            out[node_class(cls)] = _reduction
    return out


_RULES = {node_class(MatMul): _matmul, node_class(Transpose): _transpose,
          node_class(GetItem): _getitem, node_class(Zeros): _made, node_class(Ones): _made,
          node_class(Full): _made, **_reductions()}


# ----------------------------------------------------------------- resolving plumbing


def resolve(expr: Any, shapes: Any) -> Any:
    """``expr`` with each piece of shape plumbing its patterns decide rewritten, innermost
    first; a rewritten node keeps its shape class (the rewrite has the same shape)."""
    if not isinstance(expr, sp.Basic) or not any(
            isinstance(n, _PLUMBING) for n in sp.preorder_traversal(expr)):
        return expr
    memo: dict[Any, Any] = {}

    def walk(e: Any) -> Any:
        if not e.args or isinstance(e, Static):
            return e
        done = memo.get(e)
        if done is not None:
            return done
        args = [walk(a) for a in e.args]
        new = e.func(*args) if any(a is not b for a, b in zip(args, e.args, strict=True)) \
            else e
        out = _resolve_node(new, shapes) if isinstance(new, _PLUMBING) else new
        if out is not new and not isinstance(out, sp.Symbol) and out not in shapes._memo:
            shapes.assume(out, shapes.class_of(new))
        memo[e] = out
        return out

    return walk(expr)


_PLUMBING = (SumTo, BroadcastLike, ProductGrad, Broadcast, TreeZeros)


def _resolve_node(node: Any, shapes: Any) -> Any:
    if isinstance(node, FullLike):
        return node  # a fresh array on purpose (it may be written in place)
    if isinstance(node, SumTo):
        return _sum_to(node, shapes)
    if isinstance(node, BroadcastLike):
        g, like = node.args
        return g if fills(shapes.pattern_of(g), _like(like, shapes)) else node
    if isinstance(node, ProductGrad):
        return _product_grad(node, shapes)
    if isinstance(node, Broadcast):  # np.broadcast(h, y): h, when h has the broadcast shape
        whole = _like(node, shapes)
        for a in node.args:
            if fills(shapes.pattern_of(a), whole):
                return a
        return node
    if isinstance(node, TreeZeros) and isinstance(node.args[0], sp.Symbol) and \
            shapes.pattern_of(node.args[0]) is not None and node.args[0] in shapes.params:
        return GradZeros(node.args[0])  # an array argument: one array of zeros
    return node


def _sum_to(node: Any, shapes: Any) -> Any:
    """``_sum_to(g, x)``: g summed over the axes broadcasting gave it, or g itself."""
    g, x = node.args
    pg, px = shapes.pattern_of(g), _like(x, shapes)
    if pg is None or px is None or len(pg) < len(px):
        return node  # unknown, or g to be broadcast up: the helper does it
    lead = len(pg) - len(px)
    keep = []
    for i, (fg, fx) in enumerate(zip(pg[lead:], px, strict=True)):
        if fx is False:
            if fg is not False:
                return node  # g may be shorter there: it must be broadcast up
        elif fx is True:
            if fg is not True:
                keep.append(i)  # (summing an axis of length 1 changes nothing)
        else:
            return node  # x's axis may or may not have been broadcast
    out = g
    if lead and not px:  # every axis: the sum
        return NpSum(out, _static(None), _static(False))
    if lead:
        out = NpSum(out, _axis(tuple(range(lead))), _static(False))
    if keep:
        out = NpSum(out, _axis(tuple(keep)), _static(True))
    return out


def _axis(axes: tuple[int, ...]) -> Any:
    return _static(axes[0] if len(axes) == 1 else axes)


def _product_grad(node: Any, shapes: Any) -> Any:
    """One side of a 1-d or 2-d matrix product's gradient, as its textbook formula."""
    name, g, a, b = node.args
    name = sval(name)
    if name not in ("_matmul_grad_a", "_matmul_grad_b"):
        return node
    pa, pb, pg = shapes.pattern_of(a), shapes.pattern_of(b), shapes.pattern_of(g)
    if pa is None or pb is None or len(pa) not in (1, 2) or len(pb) not in (1, 2):
        return node
    ra, rb = len(pa), len(pb)
    if name == "_matmul_grad_a":
        if ra == 2 and rb == 2:
            return MatMul(g, Transpose(b, _static(None)))
        if ra == 1 and rb == 2:
            return MatMul(b, g)
        if ra == 2 and rb == 1 and pg is not None and len(pg) == 1:
            return Outer(g, b)
        if ra == 1 and rb == 1 and pg == ():
            return g * b
        return node
    if ra == 2:
        return MatMul(Transpose(a, _static(None)), g)
    if rb == 2 and pg is not None and len(pg) == 1:
        return Outer(a, g)
    if rb == 1 and pg == ():
        return g * a
    return node
