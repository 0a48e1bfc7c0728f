"""Reverse sweep over the IR: the adjoint of every active value as a SymPy expression.

Elementwise regions are differentiated by ``sympy.diff``; structural nodes are boundaries
whose ``vjp`` templates carry the cotangent through. Broadcasting is undone only where shape
analysis cannot prove the shapes already match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symgrad.frontend.ir import Assign, Function
from symgrad.rules import structural as st
from symgrad.rules.structural import SCALAR, Structural

_ARITHMETIC_NODES = (sp.Add, sp.Mul, sp.Pow, sp.Symbol, sp.Number)


@dataclass
class Stmt:
    """One generated assignment: ``target = expr``, commented with the source it came from."""

    target: str
    expr: Any
    comment: list[str] = field(default_factory=list)


@dataclass
class Adjoint:
    """What codegen needs: the fused primal, the backward statements and the gradients."""

    fn: Function
    wrt: list[str]
    forward: list[Assign]  # after fusion
    seeds: list[str]  # adjoint names of the outputs, in return order
    backward: list[Stmt]
    grads: list[str]  # the adjoint name of each wrt parameter
    names: set[str]  # every name the generated code uses
    inlined: dict[Any, str] = field(default_factory=dict)  # fused expression -> user's name


def _region_leaves(expr: Any) -> list[Any]:
    """The symbols and maximal structural nodes of an elementwise region, in preorder."""
    out: list[Any] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (sp.Symbol, Structural)):
            out.append(e)
        elif isinstance(e, st.Static):
            continue
        else:
            stack.extend(reversed(e.args))
    return out


def diff_symbols(expr: Any) -> set[Any]:
    """Free symbols through which a gradient can flow (not through metadata or stop_gradient)."""
    out: set[Any] = set()
    for leaf in _region_leaves(expr):
        if isinstance(leaf, sp.Symbol):
            out.add(leaf)
        else:
            for a in leaf.diff_args():
                out |= diff_symbols(a)
    return out


def _arithmetic(expr: Any) -> bool:
    """Only + - * / ** on names and numbers: nothing worth a name of its own."""
    return all(isinstance(n, _ARITHMETIC_NODES) for n in sp.preorder_traversal(expr))


def fuse(fn: Function) -> tuple[list[Assign], dict[Any, str]]:
    """Inline single-use and cheap elementwise values into their consumers.

    ``y = x + 2; z = 3 * y**2`` becomes one region ``z = 3*(x + 2)**2`` that ``sympy.diff``
    sees whole, which is what gives closed-form gradients. Also returns each inlined
    expression's user name, so codegen can reuse it if the value is computed on its own again.
    """
    stmts = [Assign(s.target, s.expr, s.lineno, list(s.lines), s.user_name) for s in fn.body.stmts]
    uses: dict[str, int] = {}
    for s in stmts:
        for sym in s.expr.free_symbols:
            uses[sym.name] = uses.get(sym.name, 0) + 1
    keep = set(fn.returns)
    out: list[Assign] = []
    replace: dict[Any, Any] = {}
    inlined_lines: dict[str, list[tuple[int, list[str]]]] = {}
    for s in stmts:
        expr = s.expr.xreplace(replace) if replace else s.expr
        lines = [(s.lineno, s.lines)]
        for sym in s.expr.free_symbols:
            lines = inlined_lines.pop(sym.name, []) + lines
        n_uses = uses.get(s.target, 0)
        if s.target not in keep and n_uses > 0 and _arithmetic(expr) and \
                (n_uses == 1 or sp.count_ops(expr) <= 2):
            replace[sp.Symbol(s.target, real=True)] = expr
            inlined_lines[s.target] = lines
            continue
        merged: list[str] = []
        for _, ls in sorted(lines, key=lambda t: t[0]):
            merged.extend(line for line in ls if line not in merged)
        out.append(Assign(s.target, expr, s.lineno, merged, s.user_name))
    return out, {expr: sym.name for sym, expr in replace.items()}


class Sweep:
    """The reverse sweep for one function and one choice of ``wrt``."""

    def __init__(self, fn: Function, wrt: list[str]) -> None:
        self.fn = fn
        self.wrt = wrt
        self.forward, self.inlined = fuse(fn)
        self.classes: dict[Any, int] = {}
        self.rep: dict[int, Any] = {}
        self._next_class = 1
        self._class_memo: dict[Any, int] = {}
        self._joins: dict[frozenset, int] = {}
        self._members: dict[int, frozenset] = {}
        for p in fn.params:
            self._register(sp.Symbol(p.name, real=True), self._fresh())
        for name in fn.constants:
            self._register(sp.Symbol(name, real=True), self._fresh())
        for s in self.forward:
            self._register(sp.Symbol(s.target, real=True), self.class_of(s.expr))
        self.names = {p.name for p in fn.params} | {s.target for s in self.forward} | \
            set(fn.constants)
        self.active = self._active()
        # reuse primal values in derivatives: d tanh(u) = 1 - h**2 where h = tanh(u)
        self.primal_of = {s.expr: sp.Symbol(s.target, real=True) for s in self.forward
                          if s.expr.args and not isinstance(s.expr, st.StopGradient)}
        self.acc: dict[Any, list[Any]] = {}
        self.backward: list[Stmt] = []
        self._comment: list[str] = []

    # ------------------------------------------------------------ shapes

    def _fresh(self) -> int:
        self._next_class += 1
        return self._next_class

    def _register(self, sym: Any, cls: int) -> None:
        self.classes[sym] = cls
        self.rep.setdefault(cls, sym)

    def class_of(self, expr: Any) -> int:
        if expr in self._class_memo:
            return self._class_memo[expr]
        if isinstance(expr, sp.Symbol):
            cls = self.classes.get(expr)
            if cls is None:
                cls = self._fresh()
                self.classes[expr] = cls
        elif isinstance(expr, st.Static) or not expr.args:
            cls = SCALAR
        elif isinstance(expr, Structural):
            arg_classes = [self.class_of(a) for a in expr.args]
            cls = expr.shape_class(arg_classes, self._fresh())
        else:
            found: frozenset = frozenset()
            for a in expr.args:  # a broadcast of broadcasts: flatten to the shapes it joins
                c = self.class_of(a)
                found |= self._members.get(c, frozenset((c,)))
            found -= {SCALAR}
            if len(found) > 1:  # the same set of shapes broadcast together: the same shape
                cls = self._joins.setdefault(found, self._fresh())
                self._members[cls] = found
            else:
                cls = next(iter(found), SCALAR)
        self._class_memo[expr] = cls
        return cls

    def canon(self, expr: Any) -> Any:
        """Point shape metadata at a named value of the same shape: ``x.size``, not a recompute."""
        def repl(node: Any) -> Any:
            arg = node.args[0]
            if isinstance(arg, sp.Symbol):
                return node
            rep = self.rep.get(self.class_of(arg))
            if rep is None and not isinstance(arg, Structural):
                # the shape of an elementwise result is its operands' broadcast shape
                leaves = [leaf for leaf in dict.fromkeys(_region_leaves(arg))
                          if self.class_of(leaf) != SCALAR]
                rep = leaves[0] if len(leaves) == 1 else st.Broadcast(*leaves)
            return node.func(rep, *node.args[1:]) if rep is not None else node

        metas = [n for n in sp.preorder_traversal(expr) if isinstance(n, st._Meta)]
        if not metas:
            return expr
        return expr.xreplace({m: repl(m) for m in metas})

    # ------------------------------------------------------------ activity

    def _active(self) -> set[Any]:
        active = {sp.Symbol(w, real=True) for w in self.wrt}
        for s in self.forward:
            if diff_symbols(s.expr) & active:
                active.add(sp.Symbol(s.target, real=True))
        return active

    def is_active(self, expr: Any) -> bool:
        return bool(diff_symbols(expr) & self.active)

    # ------------------------------------------------------------ sweep

    def run(self) -> Adjoint:
        seeds = []
        for name in self.fn.returns:
            seed = self.grad_name(name)
            seeds.append(seed)
            self._register(sp.Symbol(seed, real=True), self.classes[sp.Symbol(name, real=True)])
            self.acc.setdefault(sp.Symbol(name, real=True), []).append(sp.Symbol(seed, real=True))
        first_use = self._first_uses()
        grads: dict[str, str] = {}
        for i in range(len(self.forward) - 1, -1, -1):
            s = self.forward[i]
            sym = sp.Symbol(s.target, real=True)
            contribs = self.acc.pop(sym, [])
            self._comment = s.lines + self._comment  # quote lines whose adjoint had no statement
            if contribs and sym in self.active:
                g = self.materialise(s.target, sp.Add(*contribs))
                self.backprop(s.expr, g)
            for p in first_use.get(i, []):
                grads[p] = self.finish_param(p)
        self._comment = []
        for p in self.wrt:
            if p not in grads:
                grads[p] = self.finish_param(p)
        return Adjoint(self.fn, self.wrt, self.forward, seeds, self.backward,
                       [grads[p] for p in self.wrt], self.names, self.inlined)

    def _first_uses(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for p in self.wrt:
            sym = sp.Symbol(p, real=True)
            for i, s in enumerate(self.forward):
                if sym in s.expr.free_symbols:
                    out.setdefault(i, []).append(p)
                    break
        return out

    def grad_name(self, name: str) -> str:
        base = f"grad_{name}"
        candidate, k = base, 0
        while candidate in self.names:
            k += 1
            candidate = f"{base}_{k}"
        self.names.add(candidate)
        return candidate

    def materialise(self, target: str, total: Any) -> Any:
        """Name a value's complete adjoint ``grad_<name>`` unless it is a bare symbol or number."""
        total = simplify_adjoint(self.canon(total))
        if isinstance(total, (sp.Symbol, sp.Number)):
            return total
        name = self.grad_name(target)
        self.backward.append(Stmt(name, total, list(self._comment)))
        self._comment = []
        sym = sp.Symbol(name, real=True)
        self._register(sym, self.class_of(total))
        return sym

    def finish_param(self, p: str) -> str:
        sym = sp.Symbol(p, real=True)
        contribs = self.acc.pop(sym, [])
        total = sp.Add(*contribs) if contribs else sp.Integer(0)
        if self.class_of(total) != self.classes[sym]:
            total = st.FullLike(total, sym)
        name = self.grad_name(p)
        total = simplify_adjoint(self.canon(total))
        self.backward.append(Stmt(name, total, list(self._comment)))
        self._comment = []
        return name

    def contribute(self, sym: Any, g: Any) -> None:
        self.acc.setdefault(sym, []).append(g)

    def backprop(self, expr: Any, g: Any) -> None:
        """Add the contributions of cotangent ``g`` of ``expr`` to its leaves."""
        if isinstance(expr, sp.Symbol):
            if expr in self.active:
                self.contribute(expr, g)
            return
        if isinstance(expr, Structural):
            self.backprop_structural(expr, g)
            return
        root_class = self.class_of(expr)
        all_leaves = list(dict.fromkeys(_region_leaves(expr)))
        leaves = [leaf for leaf in all_leaves if self.is_active(leaf)]
        if not leaves:
            return
        # every structural node is opaque to sympy.diff, active or not
        dummies = {leaf: sp.Dummy(real=True) for leaf in all_leaves if isinstance(leaf, Structural)}
        region = expr.xreplace(dummies) if dummies else expr
        back = {d: leaf for leaf, d in dummies.items()}
        for leaf in leaves:
            var = dummies.get(leaf, leaf)
            d = sp.diff(region, var)
            if d == 0:
                continue
            c = clean(g * d)
            c = c.xreplace(back) if back else c
            c = c.xreplace(self.primal_of)
            if self.class_of(leaf) != root_class:
                if self.class_of(c) != root_class:
                    # a lazily broadcast cotangent must be broadcast before it is summed
                    c = st.BroadcastLike(c, self.shape_source(expr))
                c = st.NpSum(c, st.static(None), st.static(False)) \
                    if self.class_of(leaf) == SCALAR else st.SumTo(c, self.shape_rep(leaf))
            if isinstance(leaf, Structural):
                self.backprop_structural(leaf, c)
            else:
                self.contribute(leaf, c)

    def shape_source(self, expr: Any) -> Any:
        """Something cheap with the shape of elementwise ``expr``: a name, or np.broadcast."""
        rep = self.rep.get(self.class_of(expr))
        if rep is not None:
            return rep
        leaves = [leaf for leaf in dict.fromkeys(_region_leaves(expr))
                  if self.class_of(leaf) != SCALAR]
        return leaves[0] if len(leaves) == 1 else st.Broadcast(*leaves)

    def shape_rep(self, expr: Any) -> Any:
        return expr if isinstance(expr, sp.Symbol) else self.rep.get(self.class_of(expr), expr)

    def backprop_structural(self, node: Structural, g: Any) -> None:
        if not any(self.is_active(a) for a in node.diff_args()):
            return
        if node.needs_full_g and self.class_of(g) != self.class_of(node):
            g = st.BroadcastLike(g, self.shape_rep(node))
        exact = node.vjp_exact and self.class_of(g) == self.class_of(node)
        for arg, v in zip(node.diff_args(), node.vjp(g), strict=True):
            if v is not None and self.is_active(arg):
                if exact:
                    self._class_memo[v] = self.class_of(arg)
                self.backprop(arg, v)


def clean(expr: Any) -> Any:
    """Drop what sympy.diff leaves at non-differentiable points (DiracDelta) and fold branches."""
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *a: sp.Integer(0))
    if expr.has(sp.Piecewise):
        expr = sp.piecewise_fold(expr)
    if any(isinstance(p, sp.Pow) and not p.exp.is_Number for p in expr.atoms(sp.Pow)):
        expr = sp.powsimp(expr)  # y*x**y/x -> y*x**(y - 1): finite at x = 0
    return expr


def simplify_adjoint(expr: Any) -> Any:
    """Cheap, predictable simplification: the shorter of collected and factored forms."""
    if isinstance(expr, (sp.Symbol, sp.Number)) or expr.has(sp.Piecewise):
        return expr
    best = sp.factor_terms(expr)
    if sp.count_ops(best) < 40:
        try:
            factored = sp.factor(best)
        except (sp.PolynomialError, NotImplementedError, TypeError):  # pragma: no cover
            factored = best
        if sp.count_ops(factored) < sp.count_ops(best):
            best = factored
    return best


def build(fn: Function, wrt: list[str]) -> Adjoint:
    return Sweep(fn, wrt).run()
