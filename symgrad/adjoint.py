"""Reverse sweep over the IR: the adjoint of every active value as a SymPy expression.

Elementwise regions are differentiated by ``sympy.diff``; structural nodes are boundaries
whose ``vjp`` templates carry the cotangent through. Broadcasting is undone only where shape
analysis cannot prove the shapes already match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symgrad.errors import SymgradError
from symgrad.frontend import exact
from symgrad.frontend.ir import Assign, Block, Function, If, Loop, Phi, defines, reads
from symgrad.rules import elementwise as ew
from symgrad.rules import masks
from symgrad.rules import structural as st
from symgrad.rules.structural import SCALAR, Structural

_ARITHMETIC_NODES = (sp.Add, sp.Mul, sp.Pow, sp.Symbol, sp.Number)


@dataclass
class Stmt:
    """One generated assignment: ``target = expr``, commented with the source it came from.

    ``augment`` makes it ``target += expr`` (``target[index] += expr`` with an index): the
    accumulation of a loop's gradient into an array the backward pass owns.
    """

    target: str
    expr: Any
    comment: list[str] = field(default_factory=list)
    augment: bool = False
    index: tuple = ()


@dataclass
class BIf:
    """The backward of an ``if``: the same condition, each branch's adjoint."""

    cond: Any
    then: list
    orelse: list
    comment: list[str]


@dataclass
class BLoop:
    """The backward of a loop: the iterations in reverse, reading what the forward taped."""

    loop: Loop
    body: list
    comment: list[str]


@dataclass
class Adjoint:
    """What codegen needs: the fused primal, the backward statements and the gradients."""

    fn: Function
    wrt: list[str]
    forward: list[Any]  # after fusion: Assign, If, Loop
    seeds: list[str]  # adjoint names of the outputs, in return order
    backward: list[Stmt]
    grads: list[str]  # the adjoint name of each wrt parameter
    names: set[str]  # every name the generated code uses
    inlined: dict[Any, str] = field(default_factory=dict)  # fused expression -> user's name
    # whether an expression is provably a scalar (codegen prints scalar factors first)
    is_scalar: Callable[[Any], bool] = lambda expr: False


def _region_leaves(expr: Any, differentiable: bool = False) -> list[Any]:
    """The symbols and maximal structural nodes of an elementwise region, in preorder; with
    ``differentiable``, only those a gradient reaches (not a mask's or a where's condition)."""
    out: list[Any] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (sp.Symbol, Structural)):
            out.append(e)
        elif isinstance(e, st.Static):
            continue
        elif differentiable and isinstance(e, masks.Elementwise):
            stack.extend(reversed(e.diff_args()))
        else:
            stack.extend(reversed(e.args))
    return out


def diff_symbols(expr: Any) -> set[Any]:
    """Free symbols through which a gradient can flow (not through metadata or stop_gradient)."""
    out: set[Any] = set()
    for leaf in _region_leaves(expr, differentiable=True):
        if isinstance(leaf, sp.Symbol):
            out.add(leaf)
        else:
            for a in leaf.diff_args():
                out |= diff_symbols(a)
    return out


def _arithmetic(expr: Any) -> bool:
    """Only + - * / ** on names and numbers: nothing worth a name of its own."""
    return all(isinstance(n, _ARITHMETIC_NODES) for n in sp.preorder_traversal(expr))


def fuse(fn: Function) -> tuple[list[Any], dict[Any, str]]:
    """Inline single-use and cheap elementwise values into their consumers.

    ``y = x + 2; z = 3 * y**2`` becomes one region ``z = 3*(x + 2)**2`` that ``sympy.diff``
    sees whole, which is what gives closed-form gradients. A value is inlined only within its
    own block, and never into a branch condition, a join or a loop header. Also returns each
    inlined expression's user name, so codegen can reuse it if the value is computed again.
    """
    uses: dict[str, int] = {}
    for s in _walk_all(fn.body.stmts):
        for sym in (s.expr.free_symbols if isinstance(s, Assign) else _header_reads(s)):
            uses[sym.name] = uses.get(sym.name, 0) + (1 if isinstance(s, Assign) else 2)
    for s in _walk_all(fn.body.stmts):  # names that are never read are taken too
        for name in defines(s):
            uses.setdefault(name, 0)
    for p in fn.params:
        uses.setdefault(p.name, 0)
    inlined: dict[Any, str] = {}
    return _fuse_block(fn.body.stmts, uses, set(fn.returns), inlined, False), inlined


def _walk_all(stmts: list[Any]) -> Any:
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from _walk_all(s.then.stmts)
            yield from _walk_all(s.orelse.stmts)
        elif isinstance(s, Loop):
            yield from _walk_all(s.body.stmts)


def _header_reads(s: Any) -> set[Any]:
    """What a compound statement reads itself (not through its nested statements)."""
    out: set[Any] = set()
    if isinstance(s, If):
        out |= s.cond.free_symbols
        for phi in s.phis:
            out |= phi.then.free_symbols | phi.orelse.free_symbols
    elif isinstance(s, Loop):
        for e in [*s.bounds, s.cond, s.stop, *(c.init for c in s.carried),
                  *(c.exit for c in s.carried)]:
            if e is not None:
                out |= e.free_symbols
    return out


def allocates(expr: Any) -> bool:
    """A fresh array (np.zeros, a gradient's zeros): its own memory, never shared."""
    return isinstance(expr, (st.GradZeros, st.FullLike, st.Zeros, st.Ones, st.ZerosLike,
                             st.OnesLike)) or \
        isinstance(expr, st.NpConstant) and st.sval(expr.args[0]) in _FRESH_ARRAYS


_FRESH_ARRAYS = frozenset({"zeros", "ones", "zeros_like", "ones_like", "full", "full_like",
                           "empty", "empty_like", "eye", "identity"})
_COSTLY = (st.MatMul, st.Dot, st.Inner, st.Outer, *st.REDUCTIONS.values())
# gradient nodes that read one argument only for its shape: node type -> argument position
# (not FullLike: np.full_like takes the dtype too)
_SHAPE_ONLY = {st.SumTo: 1, st.BroadcastLike: 1, st.ScatterInto: 1, st.GradZeros: 0}


def _hoist(s: Assign, taken: dict[str, int], buffers: set[Any]) -> list[Assign]:
    """In a loop body, give products, reductions and reads of written arrays inside a region
    names of their own.

    The backward pass of an iteration can then read them from the tape instead of
    computing them again (a straight-line function shares them through cse instead). A read
    of an array the loop writes into (``h[t]`` of ``h[t + 1] = ...``) gets a name so the
    backward pass can keep just that row rather than the whole array.
    """
    out, replace = [], {}
    if buffers and not isinstance(s.expr, Structural):
        reads = [n for n in sp.preorder_traversal(s.expr) if isinstance(n, st.GetItem)
                 and n.args[0] in buffers]
        for node in dict.fromkeys(reads):
            name = _fresh_name(f"{_user_base(node.args[0].name)}_at", taken)
            replace[node] = sp.Symbol(name, real=True)
            out.append(Assign(name, node, s.lineno, [], name))
        if replace:
            s = Assign(s.target, s.expr.xreplace(replace), s.lineno, s.lines, s.user_name)
    found = [n for n in sp.preorder_traversal(s.expr) if isinstance(n, _COSTLY)]
    if not found or isinstance(s.expr, Structural):
        return out + [s]
    replace = {}
    for node in dict.fromkeys(found):
        if any(node.has(other) for other in replace):
            continue
        name = _fresh_name(f"{s.target}_in", taken)
        replace[node] = sp.Symbol(name, real=True)
        out.append(Assign(name, node, s.lineno, [], name))
    if not replace:
        return out + [s]
    return out + [Assign(s.target, s.expr.xreplace(replace), s.lineno, s.lines, s.user_name)]


def _fresh_name(base: str, taken: dict[str, int]) -> str:
    """``base``, or ``base1``, ``base2``...: a name no other value of the function has."""
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}{k}"
    taken[name] = 0
    return name


def _user_base(ssa_name: str) -> str:
    """``h`` for ``h_2``: the user's name under the single-assignment suffix."""
    return re.sub(r"_\d+$", "", ssa_name)


def _fuse_block(stmts: list[Any], uses: dict[str, int], keep: set[str],
                inlined: dict[Any, str], in_loop: bool) -> list[Any]:
    direct: dict[str, int] = {}
    for s in stmts:
        if isinstance(s, Assign):
            for sym in s.expr.free_symbols:
                direct[sym.name] = direct.get(sym.name, 0) + 1
    out: list[Any] = []
    replace: dict[Any, Any] = {}
    held: dict[Any, Assign] = {}
    inlined_lines: dict[str, list[tuple[int, list[str]]]] = {}
    # arrays this block writes into (x[i] = ...): their reads get names in a loop body
    buffers = {s.expr.args[0] for s in stmts if isinstance(s, Assign)
               and isinstance(s.expr, st.SetItem) and isinstance(s.expr.args[0], sp.Symbol)}
    for s in stmts:
        if isinstance(s, If):
            out.append(If(s.cond, Block(_fuse_block(s.then.stmts, uses, keep, inlined, in_loop)),
                          Block(_fuse_block(s.orelse.stmts, uses, keep, inlined, in_loop)),
                          [Phi(p.target, p.then, p.orelse) for p in s.phis], s.lineno,
                          s.lines))
            continue
        if isinstance(s, Loop):
            out.append(Loop(s.kind, s.var, s.bounds, s.cond,
                            Block(_fuse_block(s.body.stmts, uses, keep, inlined, True)),
                            s.carried,
                            s.stop, s.lineno, s.lines))
            continue
        expr = s.expr
        for sym in sorted(s.expr.free_symbols & replace.keys(), key=lambda x: x.name):
            # inlined only where SymPy's evaluation stays numpy's: y = np.sqrt(x) is not
            # inlined into y**2, which SymPy would make x
            inlined_expr = exact.rebuild(expr, {sym: replace[sym]})
            if inlined_expr is not None:
                expr = inlined_expr
                continue
            kept = held.pop(sym)
            out.extend(_hoist(kept, uses, buffers) if in_loop else [kept])
            del replace[sym]
            inlined_lines.pop(sym.name, None)
        lines = [(s.lineno, s.lines)]
        for sym in s.expr.free_symbols:
            lines = inlined_lines.pop(sym.name, []) + lines
        merged: list[str] = []
        for _, ls in sorted(lines, key=lambda t: t[0]):
            merged.extend(line for line in ls if line not in merged)
        fused = Assign(s.target, expr, s.lineno, merged, s.user_name)
        n_uses = uses.get(s.target, 0)
        if s.target not in keep and n_uses > 0 and n_uses == direct.get(s.target, 0) and \
                _arithmetic(expr) and (n_uses == 1 or sp.count_ops(expr) <= 2):
            sym = sp.Symbol(s.target, real=True)
            replace[sym] = expr
            held[sym] = fused  # emitted after all where a use cannot inline it
            inlined[expr] = s.target
            inlined_lines[s.target] = lines
            continue
        out.extend(_hoist(fused, uses, buffers) if in_loop else [fused])
    return out


class Sweep:
    """The reverse sweep for one function and one choice of ``wrt``."""

    def __init__(self, fn: Function, wrt: list[str], has_aux: bool = False) -> None:
        self.fn = fn
        self.wrt = wrt
        self.outputs = fn.returns[:1] if has_aux else fn.returns  # the differentiated ones
        self.forward, self.inlined = fuse(fn)
        self.classes: dict[Any, int] = {}
        self.rep: dict[int, Any] = {}
        self._next_class = 1
        self._class_memo: dict[Any, int] = {}
        self._joins: dict[frozenset, int] = {}
        self._members: dict[int, frozenset] = {}
        self._masked: set[Any] = set()  # cotangents a where or a mask makes 0 somewhere
        for p in fn.params:
            self._register(sp.Symbol(p.name, real=True), self._fresh())
        for name in fn.constants:
            self._register(sp.Symbol(name, real=True), self._fresh())
        self._register_block(self.forward, top=True)
        self.loop_defined = {n for s in _walk_all(self.forward) if isinstance(s, Loop)
                             for n in self._defined_in_loop(s)}
        self.loop_vars = {s.var for s in _walk_all(self.forward) if isinstance(s, Loop)
                          and s.var and s.kind == "for"}
        self.names = {p.name for p in fn.params} | set(fn.constants)
        for s in self.forward:
            self.names.update(defines(s))
        self.active = self._active()
        # reuse primal values in derivatives: d tanh(u) = 1 - h**2 where h = tanh(u)
        self.primal_of = self._primal_of(self.forward)
        self.acc: dict[Any, list[Any]] = {}
        self.backward: list[Any] = []
        self._top = self.backward
        self._finished: set[str] = set()
        self.leftover_comment: list[str] = []
        self._comment: list[str] = []

    def _primal_of(self, stmts: list[Any]) -> dict[Any, Any]:
        """Values a block computes, by expression: only these (and outer ones) are in scope."""
        out = {s.expr: sp.Symbol(s.target, real=True) for s in stmts
               if isinstance(s, Assign) and s.expr.args
               and not isinstance(s.expr, (st.StopGradient, st.SetItem))}
        for expr, sym in list(out.items()):  # d sqrt(x) = 1/(2*sqrt(x)) reads y = sqrt(x)
            if expr.is_Pow and expr.exp.is_Rational and not expr.exp.is_Integer:
                out.setdefault(expr.base**-expr.exp, 1 / sym)
        return out

    def _register_block(self, stmts: list[Any], top: bool) -> None:
        """Shape classes of every value; only top-level values may stand for a shape later."""
        for s in stmts:
            if isinstance(s, Assign):
                self._register(sp.Symbol(s.target, real=True), self.class_of(s.expr),
                               top and not isinstance(s.expr, st.StopGradient))
            elif isinstance(s, If):
                self._register_block(s.then.stmts, top=False)
                self._register_block(s.orelse.stmts, top=False)
                for phi in s.phis:
                    a, b = self.class_of(phi.then), self.class_of(phi.orelse)
                    self._register(sp.Symbol(phi.target, real=True),
                                   a if a == b else self._fresh(), top)
            elif isinstance(s, Loop):
                if s.var:
                    self._register(sp.Symbol(s.var, real=True), SCALAR, False)
                for c in s.carried:
                    self._register(sp.Symbol(c.entry, real=True), self.class_of(c.init), False)
                self._register_block(s.body.stmts, top=False)
                changed = [c for c in s.carried
                           if self.class_of(c.exit) != self.classes[sp.Symbol(c.entry, real=True)]]
                if changed:  # the loop changes a value's shape: nothing is known about it
                    for c in changed:
                        self.classes[sp.Symbol(c.entry, real=True)] = self._fresh()
                    self._class_memo.clear()
                    self._register_block(s.body.stmts, top=False)
                if top:
                    for c in s.carried:
                        sym = sp.Symbol(c.entry, real=True)
                        self.rep.setdefault(self.classes[sym], sym)

    # ------------------------------------------------------------ shapes

    def _fresh(self) -> int:
        self._next_class += 1
        return self._next_class

    def _register(self, sym: Any, cls: int, rep: bool = True) -> None:
        self.classes[sym] = cls
        if rep:
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
            if type(node) in _SHAPE_ONLY:
                i = _SHAPE_ONLY[type(node)]
                like = outer(node.args[i])
                if like is not node.args[i]:
                    swaps[node] = node.func(*node.args[:i], like, *node.args[i + 1:])
        return expr.xreplace(swaps) if swaps else expr

    # ------------------------------------------------------------ activity

    def _active(self) -> set[Any]:
        active = {sp.Symbol(w, real=True) for w in self.wrt}
        size = -1
        while size != len(active):  # a loop feeds values back: iterate to a fixed point
            size = len(active)
            self._mark_active(self.forward, active)
        return active

    def _mark_active(self, stmts: list[Any], active: set[Any]) -> None:
        for s in stmts:
            if isinstance(s, Assign):
                if diff_symbols(s.expr) & active:
                    active.add(sp.Symbol(s.target, real=True))
            elif isinstance(s, If):
                self._mark_active(s.then.stmts, active)
                self._mark_active(s.orelse.stmts, active)
                for phi in s.phis:
                    if (phi.then.free_symbols | phi.orelse.free_symbols) & active:
                        active.add(sp.Symbol(phi.target, real=True))
            elif isinstance(s, Loop):
                for c in s.carried:
                    if diff_symbols(c.init) & active:
                        active.add(sp.Symbol(c.entry, real=True))
                self._mark_active(s.body.stmts, active)
                for c in s.carried:
                    if diff_symbols(c.exit) & active:
                        active.add(sp.Symbol(c.entry, real=True))

    def is_active(self, expr: Any) -> bool:
        return bool(diff_symbols(expr) & self.active)

    # ------------------------------------------------------------ sweep

    def run(self) -> Adjoint:
        seeds = []
        for name in self.outputs:
            seed = self.grad_name(name)
            seeds.append(seed)
            self._register(sp.Symbol(seed, real=True), self.classes[sp.Symbol(name, real=True)])
            self.acc.setdefault(sp.Symbol(name, real=True), []).append(sp.Symbol(seed, real=True))
        first_use = self._first_uses()
        grads: dict[str, str] = {}
        for i in range(len(self.forward) - 1, -1, -1):
            self.reverse_stmt(self.forward[i])
            for p in first_use.get(i, []):
                grads[p] = self.finish_param(p)
        self._comment = []
        for p in self.wrt:
            if p not in grads:
                grads[p] = self.finish_param(p)
        self._skip_needless_copies()
        return Adjoint(self.fn, self.wrt, self.forward, seeds, self.backward,
                       [grads[p] for p in self.wrt], self.names, self.inlined,
                       lambda expr: self.class_of(expr) == SCALAR)

    def _first_uses(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for p in self.wrt:
            sym = sp.Symbol(p, real=True)
            for i, s in enumerate(self.forward):
                if sym in reads(s):
                    out.setdefault(i, []).append(p)
                    break
        return out

    def settle_pending(self, names: set[str]) -> None:
        """Compute now the pending contributions that read ``names``.

        A backward loop rebinds its loop's names to each iteration's values; a contribution
        waiting in ``acc`` that reads the value a loop left behind must not see them.
        """
        rebound = {sp.Symbol(n, real=True) for n in names}
        for sym in sorted(self.acc, key=lambda x: x.name):
            contribs = self.acc[sym]
            if contribs and any(c.free_symbols & rebound for c in contribs):
                self.acc[sym] = [self.materialise(sym.name, sp.Add(*contribs))]

    def reverse_stmt(self, s: Any) -> None:
        if isinstance(s, If):
            self.reverse_if(s)
            return
        if isinstance(s, Loop):
            self.reverse_loop(s)
            return
        sym = sp.Symbol(s.target, real=True)
        contribs = self.acc.pop(sym, [])
        self._comment = s.lines + self._comment  # quote lines whose adjoint had no statement
        if contribs and sym in self.active:
            g = self.materialise(s.target, sp.Add(*contribs))
            self.backprop(s.expr, g)

    def reverse_block(self, stmts: list[Any], acc: dict[Any, list[Any]]) -> tuple[list, dict]:
        """The backward statements of a nested block, starting from the cotangents ``acc``.

        Returns them with what is left in ``acc``: the contributions to values defined
        outside the block, which the caller turns into joins or loop accumulations.
        """
        saved = self.acc, self.backward, self._comment, self.primal_of, self.rep
        self.acc, self.backward, self._comment = acc, [], []
        self.primal_of = {**self.primal_of, **self._primal_of(stmts)}
        local: dict[int, Any] = {}  # this block's values may stand for shapes in its backward
        for s in stmts:
            if isinstance(s, Assign) and isinstance(s.expr, st.StopGradient):
                continue  # a condition or a constant: a poor name for a shape (_sum_to(g, cond))
            names = [s.target] if isinstance(s, Assign) else \
                [p.target for p in s.phis] if isinstance(s, If) else [c.entry for c in s.carried]
            for n in names:
                sym = sp.Symbol(n, real=True)
                local.setdefault(self.classes.get(sym, -1), sym)
        self.rep = {**local, **self.rep}
        for s in reversed(stmts):
            self.reverse_stmt(s)
        out, left = self.backward, self.acc
        self.leftover_comment = self._comment
        self.acc, self.backward, self._comment, self.primal_of, self.rep = saved
        return out, left

    def reverse_if(self, s: If) -> None:
        seeds = []
        for phi in s.phis:
            sym = sp.Symbol(phi.target, real=True)
            contribs = self.acc.pop(sym, [])
            if contribs and sym in self.active:
                seeds.append((phi, self.materialise(phi.target, sp.Add(*contribs))))
        if not seeds:
            return  # no gradient flows through this branch
        if any(isinstance(x, Loop) for x in _walk_all([s])):
            self.settle_pending(set(defines(s)))  # a loop inside: its backward rebinds names
        sides, comments = [], []
        for side in ("then", "orelse"):
            acc: dict[Any, list[Any]] = {}
            for phi, g in seeds:
                v = getattr(phi, side)
                if isinstance(v, sp.Symbol) and v in self.active:
                    acc.setdefault(v, []).append(g)
            sides.append(self.reverse_block(getattr(s, side).stmts, acc))
            comments.append(self.leftover_comment)
        outer = sorted({sym for _, left in sides for sym in left}, key=lambda x: x.name)
        for sym in outer:  # each outer value gets one adjoint name, assigned on both paths
            name = self.grad_name(sym.name)
            for (stmts, left), comment in zip(sides, comments, strict=True):
                total = sp.Add(*left[sym]) if left.get(sym) else st.GradZeros(sym)
                if self.class_of(total) != self.classes.get(sym):
                    total = st.FullLike(total, sym)
                stmts.append(Stmt(name, simplify_adjoint(self.canon(total)), list(comment)))
                comment.clear()
            gsym = sp.Symbol(name, real=True)
            self._register(gsym, self.class_of(sym), rep=False)
            self.contribute(sym, gsym)
        self.backward.append(BIf(s.cond, sides[0][0], sides[1][0], self.take_comment([])))

    def reverse_loop(self, s: Loop) -> None:
        carried = [c for c in s.carried if sp.Symbol(c.entry, real=True) in self.active]
        pending = {c.entry: self.acc.pop(sp.Symbol(c.entry, real=True), []) for c in carried}
        if not any(pending.values()):
            return  # nothing after the loop needs a gradient through it
        self.settle_pending(set(self._defined_in_loop(s)))
        before: list[Any] = []
        names: dict[str, Any] = {}
        acc: dict[Any, list[Any]] = {}
        for c in carried:  # the adjoint of each carried value, kept in one variable
            sym = sp.Symbol(c.entry, real=True)
            name = self.grad_name(c.entry)
            total = sp.Add(*pending[c.entry]) if pending[c.entry] else st.GradZeros(sym)
            if self.class_of(total) != self.classes[sym]:
                total = st.FullLike(total, sym)  # a lazily broadcast cotangent: make it whole
            before.append(Stmt(name, simplify_adjoint(self.canon(total))))
            names[c.entry] = gsym = sp.Symbol(name, real=True)
            self._register(gsym, self.classes[sym], rep=False)
            if isinstance(c.exit, sp.Symbol) and c.exit in self.active:
                acc.setdefault(c.exit, []).append(gsym)
        rebound = {sp.Symbol(n, real=True) for n in self._defined_in_loop(s)}
        outer_primal = self.primal_of
        self.primal_of = {e: v for e, v in outer_primal.items()
                          if not (e.free_symbols & rebound) and v not in rebound}
        body, left = self.reverse_block(s.body.stmts, acc)
        self.primal_of = outer_primal
        comment = self.leftover_comment
        updates = []
        for c in carried:  # the cotangent of this iteration's entry is the previous exit's
            sym = sp.Symbol(c.entry, real=True)
            contribs = left.pop(sym, [])
            total = sp.Add(*contribs) if contribs else st.GradZeros(sym)
            if self.class_of(total) != self.classes[sym]:
                total = st.FullLike(total, sym)
            updates.append((names[c.entry], simplify_adjoint(self.canon(total))))
        for sym in sorted(left, key=lambda x: x.name):  # loop-invariant inputs accumulate
            name = self.grad_name(sym.name)
            before.append(Stmt(name, st.GradZeros(sym)))
            rest = []
            for g in left[sym]:
                if isinstance(g, st.ScatterInto) and g.args[1] == sym:
                    body.append(Stmt(name, g.args[0], list(comment), augment=True,
                                     index=tuple(g.args[2:])))
                    comment = []
                else:
                    rest.append(g)
            if rest:
                body.append(Stmt(name, simplify_adjoint(self.canon(sp.Add(*rest))),
                                 list(comment), augment=True))
                comment = []
            gsym = sp.Symbol(name, real=True)
            self._register(gsym, self.classes.get(sym, self._fresh()), rep=False)
            self.contribute(sym, gsym)
        if len(updates) == 1:
            body.append(Stmt(updates[0][0].name, updates[0][1], list(comment)))
        elif updates:
            body.append(Stmt(", ".join(n.name for n, _ in updates),
                             sp.Tuple(*[e for _, e in updates]), list(comment)))
        for c in carried:
            if isinstance(c.init, sp.Symbol) and c.init in self.active:
                self.contribute(c.init, names[c.entry])
        in_place = self._write_in_place(s, _backward_reads(body))
        if in_place and updates:
            self._accumulate_in_place(body, before, updates,
                                      {names[e]: e for e in in_place if e in names})
        variant = self._defined_in_loop(s)
        s.taped = [n for n in variant if n in _backward_reads(body)]
        s.tape = "" if self._replayable(s) else self._unique("tape" if s.taped else "steps")
        self.backward.extend(before)
        self.backward.append(BLoop(s, body, self.take_comment(s.lines)))

    def _write_in_place(self, s: Loop, backward_reads: set[str]) -> set[str]:
        """Let a loop's ``buf[i] = v`` write into the array instead of a copy of it.

        Each write is a new value in the IR (``h_3 = SetItem(h_2, ...)``), printed as a copy:
        O(size) per iteration, and the tape would keep every copy. The write can go into
        the array itself when nothing reads an overwritten version: the forward pass reads
        only the newest one, the backward pass none. A row read from it (``h_at = h_2[t]``)
        is copied, so later writes cannot reach it (nor the tape, which keeps the row). The loop then starts from a copy of its input array.
        Returns the entries written in place.
        """
        done: set[str] = set()
        for c in s.carried:
            chain = _write_chain(s, c)
            if chain is None:
                continue
            versions, writes, reads = chain
            if any(v.name in backward_reads for v in versions):
                continue  # the backward pass reads a whole version: keep the copies
            for w in writes:
                w.in_place = True
            for r in reads:  # a row is a view: the next write in place would change it
                r.snapshot = True
            c.copy = True
            done.add(c.entry)
        return done

    def _accumulate_in_place(self, body: list[Any], before: list[Stmt],
                             updates: list[tuple[Any, Any]], buffers: dict[Any, str]) -> None:
        """The gradient of an array written in place is updated in place too.

        Its per-iteration update, ``g = _zero_at(g, i) + _getitem_grad(v, x, j)``, allocates
        two arrays of the buffer's size; ``g[i] = 0; g[j] += v`` touches two rows. Done only
        where no value the update reads may share memory with ``g`` and the indices are plain
        integers and slices (``+=`` at a repeated fancy index would add once).
        """
        grads = {g for g, _ in updates}
        defs = {st_.target: st_.expr for st_ in body if isinstance(st_, Stmt)
                and not st_.augment and not st_.index and ", " not in st_.target}
        kept, ops = [], []
        for g, total in updates:
            new = self._in_place_ops(g, total, grads, defs) if g in buffers else None
            if new is None:
                kept.append((g, total))
            else:
                ops += new
        converted = grads - {g for g, _ in kept}
        if not ops or any(_may_share(t, c, defs) for _, t in kept for c in converted):
            return
        last = body.pop()  # the update statement, rebuilt
        if len(kept) == 1:
            body.append(Stmt(kept[0][0].name, kept[0][1], list(last.comment)))
        elif kept:
            body.append(Stmt(", ".join(g.name for g, _ in kept),
                             sp.Tuple(*[t for _, t in kept]), list(last.comment)))
        else:
            ops[0].comment = list(last.comment)
        body.extend(ops)
        for i, b in enumerate(before):  # the array updated in place must be its own
            if sp.Symbol(b.target, real=True) in converted and not (
                    isinstance(b.expr, (st.FullLike, st.GradZeros)) or b.expr.is_Add
                    or b.expr.is_Mul):
                entry = sp.Symbol(buffers[sp.Symbol(b.target, real=True)], real=True)
                before[i] = Stmt(b.target, st.FullLike(b.expr, entry), b.comment)

    def _in_place_ops(self, g: Any, total: Any, grads: set[Any],
                      defs: dict[str, Any]) -> list[Stmt] | None:
        terms = sp.Add.make_args(total)
        clears = [t for t in terms if isinstance(t, st.ClearItem) and t.args[0] == g]
        scatters = [t for t in terms if isinstance(t, st.ScatterInto)]
        if len(clears) != 1 or len(scatters) + 1 != len(terms):
            return None
        for part in [*clears[0].args[1:], *(p for sc in scatters for p in sc.args[2:])]:
            if not self._plain_index(part):
                return None
        for sc in scatters:
            if sc.args[0].free_symbols & grads or _may_share(sc.args[0], g, defs):
                return None
        return [Stmt(g.name, sp.Integer(0), index=tuple(clears[0].args[1:])),
                *(Stmt(g.name, sc.args[0], augment=True, index=tuple(sc.args[2:]))
                  for sc in scatters)]

    def _plain_index(self, part: Any) -> bool:
        """An integer or a slice for sure: constants, loop counters and their arithmetic."""
        if isinstance(part, st.Static):
            return part.value is None or isinstance(part.value, (int, slice))
        if isinstance(part, st.SliceOf):
            return all(self._plain_index(a) for a in part.args)
        return isinstance(part, sp.Expr) and all(x.name in self.loop_vars
                                                 for x in part.free_symbols)

    def _skip_needless_copies(self) -> None:
        """A loop that writes into its input array in place starts from a copy of it, unless
        that array is a fresh one (np.zeros, an earlier copy) that nothing else reads."""
        stmts = list(_walk_all(self.forward))
        fresh = {s.target for s in stmts if isinstance(s, Assign) and not s.in_place and
                 (isinstance(s.expr, st.SetItem) or allocates(s.expr))}
        read_elsewhere = _all_backward_reads(self.backward) | set(self.fn.returns)
        for s in stmts:
            others = [s] if not isinstance(s, Loop) else []
            if isinstance(s, Loop):
                headers = [*s.bounds, s.cond, s.stop, *(c.exit for c in s.carried)]
                read_elsewhere |= {x.name for e in headers if e is not None
                                   for x in e.free_symbols}
            read_elsewhere |= {x.name for o in others for x in reads(o)}
        inits = [c.init.name for s in stmts if isinstance(s, Loop) for c in s.carried
                 if isinstance(c.init, sp.Symbol)]
        for s in stmts:
            if isinstance(s, Loop):
                for c in s.carried:
                    if c.copy and isinstance(c.init, sp.Symbol) and c.init.name in fresh and \
                            c.init.name not in read_elsewhere and inits.count(c.init.name) == 1:
                        c.copy = False

    def _replayable(self, s: Loop) -> bool:
        """A loop the backward pass can re-run from its header: nothing taped, no break, and
        bounds that read only parameters (never rebound), so no counter is needed."""
        params = {p.name for p in self.fn.params}
        return (not s.taped and s.kind == "for" and s.stop is None and
                all(x.name in params for b in s.bounds for x in b.free_symbols))

    def _defined_in_loop(self, s: Loop) -> list[str]:
        return [*([s.var] if s.var else []), *(c.entry for c in s.carried),
                *(n for x in s.body.stmts for n in defines(x))]

    def _unique(self, base: str) -> str:
        candidate, k = base, 0
        while candidate in self.names:
            k += 1
            candidate = f"{base}_{k}"
        self.names.add(candidate)
        return candidate

    def take_comment(self, lines: list[str]) -> list[str]:
        out = list(self._comment) + list(lines)
        self._comment = []
        return out

    def grad_name(self, name: str) -> str:
        return self._unique(f"grad_{name}")

    def materialise(self, target: str, total: Any) -> Any:
        """Name a value's complete adjoint ``grad_<name>`` unless it is a bare symbol or number."""
        total = simplify_adjoint(self.canon(total))
        if isinstance(total, (sp.Symbol, sp.Number)):
            return total
        name = self.grad_name(target)
        self.backward.append(Stmt(name, total, list(self._comment)))
        self._comment = []
        sym = sp.Symbol(name, real=True)
        if self.masked(total):
            self._masked.add(sym)
        self._register(sym, self.class_of(total), rep=self.backward is self._top)
        return sym

    def finish_param(self, p: str) -> str:
        sym = sp.Symbol(p, real=True)
        contribs = self.acc.pop(sym, [])
        total = sp.Add(*contribs) if contribs else sp.Integer(0)
        if self.class_of(total) != self.classes[sym]:
            total = st.FullLike(total, sym)
        total = simplify_adjoint(self.canon(total))
        if isinstance(total, sp.Symbol) and total.name not in self._finished and \
                total.name not in {q.name for q in self.fn.params} and not self.fn.straight_line:
            self._finished.add(total.name)  # already a complete adjoint: return it as it is
            return total.name
        name = self.grad_name(p)
        self._finished.add(name)
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
        leaves = [leaf for leaf in dict.fromkeys(_region_leaves(expr, differentiable=True))
                  if self.is_active(leaf)]
        if not leaves:
            return
        # every structural node is opaque to sympy.diff, active or not
        dummies = {leaf: sp.Dummy(real=True) for leaf in all_leaves if isinstance(leaf, Structural)}
        region = expr.xreplace(dummies) if dummies else expr
        back = {d: leaf for leaf, d in dummies.items()}
        for leaf in leaves:
            var = dummies.get(leaf, leaf)
            d = derivative(region, var)
            if d == 0:
                continue
            c = clean(g * d)
            if self.masked(g) and _may_be_infinite(d):
                c = masks.Where(masks.IsEqual(g, 0), 0, c)
            c = _select_by_masks(c, region)
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

    def masked(self, g: Any) -> bool:
        """Whether cotangent ``g`` is 0 where a where discards a branch (or a mask zeroes a
        value): there the chain rule's 0 times an infinite or NaN slope of the discarded
        branch (``np.sqrt(x)`` at x < 0, ``1/x`` at 0) is NaN, where the derivative is 0."""
        return bool(g.free_symbols & self._masked) or g.has(masks.Where) or \
            any(masks.bool_valued(e) for e in sp.preorder_traversal(g))

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


def _may_share(expr: Any, g: Any, defs: dict[str, Any]) -> bool:
    """Whether ``expr`` may be ``g`` itself or a view of it: followed back through the
    backward body's names and the operations that can return their input (indexing,
    un-broadcasting, broadcasting); any arithmetic makes a new array."""
    seen = set()
    while True:
        if expr == g:
            return True
        if isinstance(expr, sp.Symbol) and expr.name in defs and expr.name not in seen:
            seen.add(expr.name)
            expr = defs[expr.name]
        elif isinstance(expr, (st.GetItem, st.SumTo, st.BroadcastLike, st.Transpose,
                               st.Reshape)) and not isinstance(expr, st.FullLike):
            expr = expr.args[0]
        else:
            return False


def _write_chain(s: Loop, c: Any) -> tuple[set, list, list] | None:
    """The versions of a carried array that the loop body writes into, the writes, and the
    reads of single elements or rows; None unless each version is read only while it is the
    newest one (by the next write, or by ``v[index]``) and only at the top of the body."""
    current = sp.Symbol(c.entry, real=True)
    versions, writes, rows = {current}, [], []
    for stmt in s.body.stmts:
        if not isinstance(stmt, Assign):
            if reads(stmt) & versions:
                return None  # read inside a branch or an inner loop
            continue
        seen = stmt.expr.free_symbols & versions
        if not seen:
            continue
        expr = stmt.expr
        if seen != {current}:
            return None  # an older version read after a write
        if isinstance(expr, st.SetItem) and expr.args[0] == current:
            if any(a.free_symbols & versions for a in expr.args[1:]):
                return None
            writes.append(stmt)
            current = sp.Symbol(stmt.target, real=True)
            versions.add(current)
        elif isinstance(expr, st.GetItem) and expr.args[0] == current and \
                not any(a.free_symbols & versions for a in expr.args[1:]):
            rows.append(stmt)
        else:
            return None  # a whole-array read: it would need a copy of its own
    header = [s.stop, *(k.exit for k in s.carried if k is not c)]
    if not writes or c.exit != current or \
            any(e is not None and e.free_symbols & versions for e in header):
        return None
    return versions, writes, rows


def _all_backward_reads(stmts: list[Any]) -> set[str]:
    """Every name any backward statement reads, inside loops too (taped or not)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, Stmt):
            out |= _backward_reads([s])
        elif isinstance(s, BIf):
            out |= {x.name for x in s.cond.free_symbols}
            out |= _all_backward_reads(s.then) | _all_backward_reads(s.orelse)
        elif isinstance(s, BLoop):
            out |= _all_backward_reads(s.body)
    return out


def _backward_reads(stmts: list[Any]) -> set[str]:
    """Names the backward statements read (a nested loop reads its tape, not its body's values)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, Stmt):
            out |= {x.name for x in s.expr.free_symbols}
            for part in s.index:
                out |= {x.name for x in part.free_symbols}
            if s.augment or s.index:  # written into, so read too
                out.add(s.target)
        elif isinstance(s, BIf):
            out |= {x.name for x in s.cond.free_symbols}
            out |= _backward_reads(s.then) | _backward_reads(s.orelse)
        elif isinstance(s, BLoop):
            if s.loop.tape:
                out.add(s.loop.tape)
            out |= _backward_reads(s.body) - set(s.loop.taped)
    return out


def derivative(expr: Any, var: Any) -> Any:
    """``sympy.diff(expr, var)``, with the slopes of symbolic powers finite where they are:
    ``d x**k/dx`` at k = 0 and ``d 0**y/dy`` (see ``elementwise.power_functions``), and of
    ``abs`` of any expression ``sign(a)*a'`` (see ``elementwise.abs_function``)."""
    if expr.has(sp.Abs):
        real_abs = ew.abs_function(sp)
        return derivative(expr.replace(sp.Abs, real_abs), var).replace(real_abs, sp.Abs)
    if not any(p.is_Pow and not p.exp.is_Number for p in sp.preorder_traversal(expr)):
        return _keeping_roots(expr, var, sp.diff(expr, var))
    power = ew.power_functions(sp)[0]
    wrapped = expr.replace(lambda e: e.is_Pow and not e.exp.is_Number,
                           lambda e: power(*e.args))
    return sp.diff(wrapped, var).replace(lambda e: isinstance(e, power),
                                         lambda e: e.args[0]**e.args[1])


def _fractional_bases(expr: Any, var: Any) -> set:
    return {p.base for p in expr.atoms(sp.Pow)
            if p.exp.is_Rational and not p.exp.is_Integer and p.base.has(var)}


def _keeping_roots(expr: Any, var: Any, slope: Any) -> Any:
    """``slope``, unless SymPy merged a root of a base that can be negative into an integer
    power of it (``d log(sqrt(t))`` as ``1/(2*t)``): then again with the roots kept apart
    (``elementwise.root_function``), nan where numpy's chain rule is nan."""
    lost = _fractional_bases(expr, var) - _fractional_bases(slope, var)
    lost = {b for b in lost if not b.is_nonnegative and slope.has(b)}
    if not lost:
        return slope
    root = ew.root_function(sp)
    kept = expr.replace(lambda e: e.is_Pow and e.base in lost and e.exp.is_Rational and
                        not e.exp.is_Integer, lambda e: root(e.base, e.exp))
    return sp.diff(kept, var)


def _may_be_infinite(slope: Any) -> bool:
    """Whether a slope can be inf or NaN at a finite point: a division, a fractional power,
    a logarithm."""
    root = ew.root_function(sp)
    return any(e.is_Pow and not (e.exp.is_Integer and e.exp >= 0) or isinstance(e, sp.log)
               or isinstance(e, root) and e.args[1] < 0 for e in sp.preorder_traversal(slope))


def _select_by_masks(expr: Any, primal: Any) -> Any:
    """``_select_by_mask`` on each term of ``expr`` and of its where's branches (a masked
    cotangent, ``where(c, m*y, 0)``, is selected inside)."""
    if isinstance(expr, masks.Where):
        c, a, b = expr.args
        return masks.Where(c, _select_by_masks(a, primal), _select_by_masks(b, primal))
    return sp.Add(*[_select_by_mask(t, primal) for t in sp.Add.make_args(expr)])


def _select_by_mask(term: Any, primal: Any) -> Any:
    """``m*y`` as ``where(m, y, 0)`` where y can be inf or NaN and m is a slope's mask (of
    clip, maximum, ...: not in ``primal``): 0 where the mask is off, as torch's backward of
    clamp and maximum selects, where the product would be NaN. A mask the user multiplies
    by (``m*x``) stays a factor, as torch multiplies by it too."""
    factors = sp.Mul.make_args(term)
    bools = [f for f in factors if masks.bool_valued(f) and not primal.has(f)]
    rest = sp.Mul(*[f for f in factors if f not in bools])
    if not bools or not _may_be_infinite(rest):
        return term
    cond = bools[0] if len(bools) == 1 else masks.BitAnd(*bools)
    return masks.Where(cond, rest, 0)


def clean(expr: Any) -> Any:
    """Drop what sympy.diff leaves at non-differentiable points (DiracDelta) and mask the
    cotangent of a where."""
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *a: sp.Integer(0))
    expr = masks.where_of_cotangent(expr)
    if any(isinstance(p, sp.Pow) and not p.exp.is_Number for p in expr.atoms(sp.Pow)):
        expr = sp.powsimp(expr)  # y*x**y/x -> y*x**(y - 1): finite at x = 0
    if expr.has(sp.exp):
        expr = expr.replace(lambda e: e.is_Mul, _stable_logistic_slope)
    return expr


def _stable_logistic_slope(product: Any) -> Any:
    """``exp(a)/(1 + exp(a))**2`` (the slope of ``1/(1 + exp(-a))``) overflows to inf/inf
    for large ``|a|``; ``(1 - tanh(a/2)**2)/4`` is the same number and saturates to 0, as
    torch's sigmoid backward does."""
    factors = list(product.args)
    for p in factors:
        if not (p.is_Pow and p.exp == -2 and p.base.is_Add and len(p.base.args) == 2):
            continue
        one, e = sorted(p.base.args, key=lambda t: not t.is_Number)
        if one == 1 and isinstance(e, sp.exp) and e in factors:
            rest = list(factors)
            rest.remove(p)
            rest.remove(e)
            return sp.Mul(*rest) * (1 - sp.tanh(e.args[0] / 2) ** 2) / 4
    return product


def simplify_adjoint(expr: Any) -> Any:
    """Cheap, predictable simplification: the shorter of collected and factored forms."""
    if isinstance(expr, (sp.Symbol, sp.Number)):
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


def build(fn: Function, wrt: list[str], has_aux: bool = False) -> Adjoint:
    """The adjoint of ``fn``'s outputs (only the first one with ``has_aux``)."""
    if has_aux and not (fn.returns_tuple and len(fn.returns) >= 2):
        raise SymgradError(f"has_aux=True, but {fn.name} does not return a tuple "
                           "(value, aux, ...)", filename=fn.filename, lineno=fn.firstlineno,
                           hint="return the value to differentiate first and the auxiliary "
                           "outputs after it, or drop has_aux")
    return Sweep(fn, wrt, has_aux).run()
