"""Shape analysis: which values provably have the same shape, and a name standing for each.

Values get shape classes (small ints; ``SCALAR`` for scalars). Broadcasting is undone only
where two classes differ, and shape metadata reads a named value of the right class
(``x.size``) instead of recomputing the value.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.adjoint.regions import region_leaves
from symgrad.frontend.ir import Assign, Function, If, Loop, iteration_names, walk
from symgrad.rules import registry
from symgrad.rules.base import SCALAR, Static, Structural
from symgrad.rules.operators import StopGradient
from symgrad.rules.shape import Broadcast, _Meta


class Shapes:
    """The shape classes of one function's values, and a representative value of each."""

    def __init__(self, fn: Function, forward: list[Any]) -> None:
        self.classes: dict[Any, int] = {}
        self.rep: dict[int, Any] = {}  # class -> a value in scope that has that shape
        self._next_class = 1
        self._memo: dict[Any, int] = {}
        self._joins: dict[frozenset, int] = {}
        self._members: dict[int, frozenset] = {}
        for p in fn.params:
            self.register(sp.Symbol(p.name, real=True), self.fresh())
        for name in fn.constants:
            self.register(sp.Symbol(name, real=True), self.fresh())
        self._register_block(forward, top=True)
        # values a loop rebinds each iteration: the tape keeps them, so avoid reading them
        self.loop_defined = {n for s in walk(forward) if isinstance(s, Loop)
                             for n in iteration_names(s)}

    def _register_block(self, stmts: list[Any], top: bool) -> None:
        """Shape classes of every value; only top-level values may stand for a shape later."""
        for s in stmts:
            if isinstance(s, Assign):
                self.register(sp.Symbol(s.target, real=True), self.class_of(s.expr),
                              top and not isinstance(s.expr, StopGradient))
            elif isinstance(s, If):
                self._register_block(s.then.stmts, top=False)
                self._register_block(s.orelse.stmts, top=False)
                for phi in s.phis:
                    a, b = self.class_of(phi.then), self.class_of(phi.orelse)
                    self.register(sp.Symbol(phi.target, real=True),
                                  a if a == b else self.fresh(), top)
            elif isinstance(s, Loop):
                if s.var:
                    self.register(sp.Symbol(s.var, real=True), SCALAR, False)
                for c in s.carried:
                    self.register(sp.Symbol(c.entry, real=True), self.class_of(c.init), False)
                self._register_block(s.body.stmts, top=False)
                changed = [c for c in s.carried
                           if self.class_of(c.exit) != self.classes[sp.Symbol(c.entry, real=True)]]
                if changed:  # the loop changes a value's shape: nothing is known about it
                    for c in changed:
                        self.classes[sp.Symbol(c.entry, real=True)] = self.fresh()
                    self._memo.clear()
                    self._register_block(s.body.stmts, top=False)
                if top:
                    for c in s.carried:
                        sym = sp.Symbol(c.entry, real=True)
                        self.rep.setdefault(self.classes[sym], sym)

    def fresh(self) -> int:
        """A new class: a shape nothing else is known to have."""
        self._next_class += 1
        return self._next_class

    def register(self, sym: Any, cls: int, rep: bool = True) -> None:
        """``sym`` has shape class ``cls`` (and, with ``rep``, may stand for it)."""
        self.classes[sym] = cls
        if rep:
            self.rep.setdefault(cls, sym)

    def assume(self, expr: Any, cls: int) -> None:
        """``expr`` is known to have class ``cls`` (a vjp that keeps its argument's shape)."""
        self._memo[expr] = cls

    def class_of(self, expr: Any) -> int:
        if expr in self._memo:
            return self._memo[expr]
        if isinstance(expr, sp.Symbol):
            cls = self.classes.get(expr)
            if cls is None:
                cls = self.fresh()
                self.classes[expr] = cls
        elif isinstance(expr, Static) or not expr.args:
            cls = SCALAR
        elif isinstance(expr, Structural):
            arg_classes = [self.class_of(a) for a in expr.args]
            cls = expr.shape_class(arg_classes, self.fresh())
        else:
            found: frozenset = frozenset()
            for a in expr.args:  # a broadcast of broadcasts: flatten to the shapes it joins
                c = self.class_of(a)
                found |= self._members.get(c, frozenset((c,)))
            found -= {SCALAR}
            if len(found) > 1:  # the same set of shapes broadcast together: the same shape
                cls = self._joins.setdefault(found, self.fresh())
                self._members[cls] = found
            else:
                cls = next(iter(found), SCALAR)
        self._memo[expr] = cls
        return cls

    def is_scalar(self, expr: Any) -> bool:
        return self.class_of(expr) == SCALAR

    def canon(self, expr: Any) -> Any:
        """Point shape metadata at a named value of the same shape: ``x.size``, not a recompute."""
        def repl(node: Any) -> Any:
            arg = node.args[0]
            if isinstance(arg, (sp.Symbol, Broadcast)):
                # np.broadcast(a, b) already reads names; its own class is SCALAR (the object
                # is not an array), so a scalar's name must never stand for its size
                return node
            rep = self.rep.get(self.class_of(arg))
            if rep is None and not isinstance(arg, Structural):
                # the shape of an elementwise result is its operands' broadcast shape
                leaves = [leaf for leaf in dict.fromkeys(region_leaves(arg))
                          if self.class_of(leaf) != SCALAR]
                rep = leaves[0] if len(leaves) == 1 else Broadcast(*leaves)
            return node.func(rep, *node.args[1:]) if rep is not None else node

        metas = [n for n in sp.preorder_traversal(expr) if isinstance(n, _Meta)]
        if metas:
            expr = expr.xreplace({m: repl(m) for m in metas})
        return self._outer_likes(expr)

    def _outer_likes(self, expr: Any) -> Any:
        """A loop value read only for its shape (``_sum_to(g, h_2)``) is replaced by a value
        of the same shape from outside every loop, so the tape need not keep it."""
        def outer(sym: Any) -> Any:
            if not (isinstance(sym, sp.Symbol) and sym.name in self.loop_defined):
                return sym
            rep = self.rep.get(self.classes.get(sym))
            return rep if isinstance(rep, sp.Symbol) and rep.name not in self.loop_defined \
                else sym

        swaps = {}
        for node in sp.preorder_traversal(expr):
            i = registry.reads_shape_of(node)
            if i is not None:
                like = outer(node.args[i])
                if like is not node.args[i]:
                    swaps[node] = node.func(*node.args[:i], like, *node.args[i + 1:])
        return expr.xreplace(swaps) if swaps else expr

    def shape_source(self, expr: Any) -> Any:
        """Something cheap with the shape of elementwise ``expr``: a name, or np.broadcast."""
        rep = self.rep.get(self.class_of(expr))
        if rep is not None:
            return rep
        leaves = [leaf for leaf in dict.fromkeys(region_leaves(expr))
                  if self.class_of(leaf) != SCALAR]
        return leaves[0] if len(leaves) == 1 else Broadcast(*leaves)

    def shape_rep(self, expr: Any) -> Any:
        return expr if isinstance(expr, sp.Symbol) else self.rep.get(self.class_of(expr), expr)
