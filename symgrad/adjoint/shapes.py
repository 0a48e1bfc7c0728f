"""Shape analysis: which values provably have the same shape, and a name standing for each.

Values get shape classes (small ints; ``SCALAR`` for scalars). Broadcasting is undone only
where two classes differ, and shape metadata reads a named value of the right class
(``x.size``) instead of recomputing the value.

Given the argument ranks of a call (``ranks``: each array parameter's axes, whether each has
length 1), each class also gets a rank pattern (``symgrad.adjoint.ranks``), and the
plumbing that stands where shapes are unknown (``_sum_to``, ``_broadcast_to``,
``_matmul_grad_*``, ``np.broadcast(...)``) is resolved at transformation time
(``resolve``): into nothing, ``np.sum(g, axis=0)``, ``x.T @ g``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from symgrad import patterns as _patterns
from symgrad.adjoint import ranks as _ranks
from symgrad.adjoint.kinds import META, PLUMBING, kinds
from symgrad.adjoint.regions import region_leaves
from symgrad.frontend.ir import Assign, Function, If, Loop, iteration_names, walk
from symgrad.rules import registry
from symgrad.rules.base import SCALAR, Static, Structural
from symgrad.rules.operators import StopGradient
from symgrad.rules.shape import Broadcast, _Meta


class Shapes:
    """The shape classes of one function's values, and a representative value of each."""

    def __init__(self, fn: Function, forward: list[Any],
                 ranks: dict[str, Any] | None = None) -> None:
        self.classes: dict[Any, int] = {}
        # class -> its rank pattern (None: unknown); only with ``ranks`` (see adjoint.ranks)
        self.patterns: dict[int, Any] | None = {SCALAR: ()} if ranks else None
        self.rep: dict[int, Any] = {}  # class -> a value in scope that has that shape
        self._next_class = 1
        self._memo: dict[Any, int] = {}
        self._joins: dict[frozenset, int] = {}
        self._members: dict[int, frozenset] = {}
        for p in fn.params:
            self.register(sp.Symbol(p.name, real=True), self.fresh())
            if self.patterns is not None and ranks.get(p.name) is not None:
                self.patterns[self._next_class] = ranks[p.name]
        for name, value in fn.constants.items():  # (their shapes are the module's own)
            self.register(sp.Symbol(name, real=True), self.fresh())
            if self.patterns is not None and hasattr(value, "shape"):
                self.patterns[self._next_class] = _patterns.of_shape(np.shape(value))
        self.params = {sp.Symbol(p.name, real=True) for p in fn.params}
        self.range_vars = {s.var for s in walk(forward) if isinstance(s, Loop)
                           and s.var and s.kind == "for"}  # integers: range's
        self._register_block(forward, top=True)
        # values a loop rebinds each iteration: the tape keeps them, so avoid reading them
        self.loop_defined = {n for s in walk(forward) if isinstance(s, Loop)
                             for n in iteration_names(s)}

    def _register_block(self, stmts: list[Any], top: bool) -> None:
        """Shape classes of every value; only top-level values may stand for a shape later."""
        for s in stmts:
            if isinstance(s, Assign):
                self.register(sp.Symbol(s.target, real=True), self.class_of(s.expr),
                              top and not isinstance(s.expr, StopGradient), s.expr)
            elif isinstance(s, If):
                self._register_block(s.then.stmts, top=False)
                self._register_block(s.orelse.stmts, top=False)
                for phi in s.phis:
                    a, b = self.class_of(phi.then), self.class_of(phi.orelse)
                    cls = a if a == b else self.fresh()
                    if self.patterns is not None and a != b:  # either side's shape
                        self.patterns[cls] = _patterns.merge(self.pattern_of(phi.then),
                                                          self.pattern_of(phi.orelse))
                    self.register(sp.Symbol(phi.target, real=True), cls, top, phi.then)
            elif isinstance(s, Loop):
                if s.var:
                    self.register(sp.Symbol(s.var, real=True), SCALAR, False)
                for c in s.carried:
                    self.register(sp.Symbol(c.entry, real=True), self.class_of(c.init), False,
                                  c.init)
                self._register_block(s.body.stmts, top=False)
                changed = [c for c in s.carried
                           if self.class_of(c.exit) != self.classes[sp.Symbol(c.entry, real=True)]]
                if changed:  # the loop changes a value's shape: nothing is known about it
                    guesses = [self.pattern_of(c.init) for c in changed] \
                        if self.patterns is not None else []
                    for c in changed:
                        self.classes[sp.Symbol(c.entry, real=True)] = self.fresh()
                    if guesses:
                        self._loop_patterns(s, changed, guesses)
                    else:
                        self._memo.clear()
                        self._register_block(s.body.stmts, top=False)
                if top:
                    for c in s.carried:
                        sym = sp.Symbol(c.entry, real=True)
                        self.rep.setdefault(self.classes[sym], sym)

    def _loop_patterns(self, s: Loop, changed: list[Any], guesses: list[Any]) -> None:
        """The body's classes again, and the rank patterns of the values a loop changes the
        shape class of: a pattern the body keeps (entry pattern in, the same or a more
        precise one out) holds for every iteration, by induction. Tried with the initial values' patterns, then with
        what two rounds share; else unknown. Patterns found under a wrong guess are
        forgotten."""
        entries = [self.classes[sp.Symbol(c.entry, real=True)] for c in changed]
        for attempt in range(4):
            before = set(self.patterns)
            for cls, guess in zip(entries, guesses, strict=True):
                self.patterns[cls] = guess
            self._memo.clear()
            self._register_block(s.body.stmts, top=False)
            exits = [self.pattern_of(c.exit) for c in changed]
            if attempt == 3 or all(_patterns.refines(e, g)
                                   for e, g in zip(exits, guesses, strict=True)):
                return
            for cls in set(self.patterns) - before:
                del self.patterns[cls]
            guesses = [_patterns.merge(g, e) for g, e in zip(guesses, exits, strict=True)]
            if attempt == 2:
                guesses = [None] * len(entries)

    def pattern_of(self, expr: Any) -> Any:
        """The rank pattern of ``expr`` (see ``adjoint.ranks``), None where unknown."""
        if self.patterns is None:
            return None
        cls = self.class_of(expr)
        if cls in self.patterns:
            return self.patterns[cls]
        if isinstance(expr, sp.Symbol):
            return None  # a value whose class has no pattern (yet): not to be remembered
        pattern = _ranks.infer(expr, self)
        self.patterns[cls] = pattern
        return pattern

    def resolve(self, expr: Any) -> Any:
        """``expr`` with the shape plumbing its rank patterns decide written out (or left
        out): see ``adjoint.ranks.resolve``."""
        if self.patterns is None or isinstance(expr, sp.Basic) and \
                not kinds(expr) & PLUMBING:
            return expr  # (nothing to resolve: ranks.resolve would give it back)
        return _ranks.resolve(expr, self)

    def fresh(self) -> int:
        """A new class: a shape nothing else is known to have."""
        self._next_class += 1
        return self._next_class

    def register(self, sym: Any, cls: int, rep: bool = True, expr: Any = None) -> None:
        """``sym`` has shape class ``cls`` (and, with ``rep``, may stand for it); ``expr``,
        its value (or a value of its shape), gives the class its rank pattern."""
        self.classes[sym] = cls
        if rep:
            self.rep.setdefault(cls, sym)
        if expr is not None and self.patterns is not None and cls not in self.patterns:
            pattern = self.pattern_of(expr)
            self.patterns.setdefault(cls, pattern)

    def assume(self, expr: Any, cls: int) -> None:
        """``expr`` is known to have class ``cls`` (a vjp that keeps its argument's shape)."""
        self._memo[expr] = cls

    def class_of(self, expr: Any) -> int:
        cls = self._memo.get(expr)
        if cls is not None:
            return cls
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
            found: set[int] = set()
            members = self._members
            for a in expr.args:  # a broadcast of broadcasts: flatten to the shapes it joins
                c = self.class_of(a)
                joined = members.get(c)
                if joined is None:
                    found.add(c)
                else:
                    found |= joined
            found.discard(SCALAR)
            if len(found) > 1:  # the same set of shapes broadcast together: the same shape
                key = frozenset(found)
                cls = self._joins.setdefault(key, self.fresh())
                members[cls] = key
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

        metas = [n for n in sp.preorder_traversal(expr) if isinstance(n, _Meta)] \
            if kinds(expr) & META else []
        if metas:
            expr = expr.xreplace({m: repl(m) for m in metas})
        return self.resolve(self._outer_likes(expr))

    def _outer_likes(self, expr: Any) -> Any:
        """A loop value read only for its shape (``_sum_to(g, h_2)``) is replaced by a value
        of the same shape from outside every loop, so the tape need not keep it."""
        if not self.loop_defined:
            return expr  # (no loop: no value a loop rebinds)

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
