"""The reverse sweep: the adjoint of every active value as a SymPy expression.

Elementwise regions are differentiated by ``sympy.diff``; structural nodes are boundaries
whose ``vjp`` templates carry the cotangent through. Branches and loops get backward
branches and loops (``BIf``, ``BLoop``) over the same conditions and iterations in reverse.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.adjoint.activity import active_values
from symgrad.adjoint.fusion import fuse
from symgrad.adjoint.kinds import CLEAN, WHERE, kinds
from symgrad.adjoint.memory import (
    accumulate_in_place,
    each_once,
    plain_index,
    plan_tape,
    skip_needless_copies,
    write_in_place,
)
from symgrad.adjoint.program import Adjoint, BIf, BLoop, MemoryPlan, Stmt, backward_reads
from symgrad.adjoint.regions import diff_symbols, region_leaves
from symgrad.adjoint.shapes import Shapes
from symgrad.adjoint.tangent import list_names
from symgrad.derivative import may_be_infinite, scaled_derivatives, select_by_masks
from symgrad.errors import SymgradError
from symgrad.frontend.common import UNBOUND
from symgrad.frontend.ir import (
    Assign,
    Function,
    If,
    Loop,
    Names,
    defines,
    iteration_names,
    reads,
    walk,
)
from symgrad.rules import masks
from symgrad.rules.base import SCALAR, Structural, free_symbols, static
from symgrad.rules.grads import BroadcastLike, FullLike, GradZeros, SumTo, TreeZeros
from symgrad.rules.indexing import ScatterInto, SetItem
from symgrad.rules.lists import ListGradZeros
from symgrad.rules.operators import StopGradient
from symgrad.rules.reductions import NpSum
from symgrad.simplify import clean, simplify_adjoint


class Sweep:
    """The reverse sweep for one function and one choice of ``wrt``."""

    def __init__(self, fn: Function, wrt: list[str], has_aux: bool = False,
                 ranks: dict[str, Any] | None = None) -> None:
        self.fn = fn
        self.wrt = wrt
        self.outputs = fn.returns[:1] if has_aux else fn.returns  # the differentiated ones
        self.forward, self.inlined = fuse(fn)
        self.shapes = Shapes(fn, self.forward, ranks)
        # the parameters a rank-specialised module gets numpy arrays for (patterns.of_value)
        self.arrays = frozenset(n for n, p in (ranks or {}).items() if p is not None)
        self._masked: set[Any] = set()  # cotangents a where or a mask makes 0 somewhere
        self.loop_vars = {s.var for s in walk(self.forward) if isinstance(s, Loop)
                          and s.var and s.kind == "for"}
        self.names = Names({p.name for p in fn.params} | set(fn.constants))
        for s in self.forward:
            self.names.update(defines(s))
        self.active = active_values(self.forward, wrt)
        self.lists = list_names(self.forward)  # values that are Python lists
        self.plan = MemoryPlan()  # tapes and writes in place: beside the forward, not in it
        # reuse primal values in derivatives: d tanh(u) = 1 - h**2 where h = tanh(u)
        self.primal_of = self._primal_of(self.forward)
        self.acc: dict[Any, list[Any]] = {}
        self.slopes: dict[Any, Any] = {}  # each function's own slope, for every region (fdiff)
        self.backward: list[Any] = []
        self._top = self.backward
        self._finished: set[str] = set()
        self.leftover_comment: list[str] = []
        self._comment: list[str] = []

    def _primal_of(self, stmts: list[Any]) -> dict[Any, Any]:
        """Values a block computes, by expression: only these (and outer ones) are in scope."""
        out = {s.expr: sp.Symbol(s.target, real=True) for s in stmts
               if isinstance(s, Assign) and s.expr.args
               and not isinstance(s.expr, (StopGradient, SetItem))}
        for expr, sym in list(out.items()):  # d sqrt(x) = 1/(2*sqrt(x)) reads y = sqrt(x)
            if expr.is_Pow and expr.exp.is_Rational and not expr.exp.is_Integer:
                out.setdefault(expr.base**-expr.exp, 1 / sym)
        return out

    # ------------------------------------------------------------ sweep

    def run(self) -> Adjoint:
        seeds = []
        for name in self.outputs:
            seed = self.grad_name(name)
            seeds.append(seed)
            self.shapes.register(sp.Symbol(seed, real=True),
                                 self.shapes.classes[sp.Symbol(name, real=True)],
                                 expr=sp.Symbol(name, real=True))
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
        skip_needless_copies(self.fn, self.forward, self.backward, self.plan)
        return Adjoint(self.fn, self.wrt, self.forward, seeds, self.backward,
                       [grads[p] for p in self.wrt], self.names.taken, self.inlined,
                       self.shapes.is_scalar, self.plan, self.arrays)

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
        due = [sym for sym, contribs in self.acc.items()
               if any(free_symbols(c) & rebound for c in contribs)]
        for sym in sorted(due, key=lambda x: x.name):
            self.acc[sym] = [self.materialise(sym.name, sp.Add(*self.acc[sym]))]

    def reverse_stmt(self, s: Any) -> None:
        if isinstance(s, If):
            self.reverse_if(s)
            return
        if isinstance(s, Loop):
            self.reverse_loop(s)
            return
        sym = sp.Symbol(s.target, real=True)
        contribs = self.acc.pop(sym, [])
        if not getattr(s.expr, "is_statement", False):  # an assert has no adjoint to quote
            self._comment = s.lines + self._comment  # quote lines whose adjoint had none
        if contribs and sym in self.active:
            g = self.materialise(s.target, sp.Add(*contribs))
            self.backprop(s.expr, g)

    def reverse_block(self, stmts: list[Any], acc: dict[Any, list[Any]]) -> tuple[list, dict]:
        """The backward statements of a nested block, starting from the cotangents ``acc``.

        Returns them with what is left in ``acc``: the contributions to values defined
        outside the block, which the caller turns into joins or loop accumulations.
        """
        saved = self.acc, self.backward, self._comment, self.primal_of, self.shapes.rep
        self.acc, self.backward, self._comment = acc, [], []
        self.primal_of = {**self.primal_of, **self._primal_of(stmts)}
        local: dict[int, Any] = {}  # this block's values may stand for shapes in its backward
        for s in stmts:
            if isinstance(s, Assign) and isinstance(s.expr, StopGradient):
                continue  # a condition or a constant: a poor name for a shape (_sum_to(g, cond))
            names = [s.target] if isinstance(s, Assign) else \
                [p.target for p in s.phis] if isinstance(s, If) else [c.entry for c in s.carried]
            for n in names:
                sym = sp.Symbol(n, real=True)
                local.setdefault(self.shapes.classes.get(sym, -1), sym)
        self.shapes.rep = {**local, **self.shapes.rep}
        for s in reversed(stmts):
            self.reverse_stmt(s)
        out, left = self.backward, self.acc
        self.leftover_comment = self._comment
        self.acc, self.backward, self._comment, self.primal_of, self.shapes.rep = saved
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
        if any(isinstance(x, Loop) for x in walk([s])):
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
                total = self.whole(sym, left.get(sym), self.zeros(sym))
                stmts.append(Stmt(name, total, list(comment)))
                comment.clear()
            gsym = sp.Symbol(name, real=True)
            self.shapes.register(gsym, self.shapes.class_of(sym), rep=False, expr=sym)
            self.contribute(sym, gsym)
        self.backward.append(BIf(s.cond, sides[0][0], sides[1][0], self.take_comment([])))

    def reverse_loop(self, s: Loop) -> None:
        carried = [c for c in s.carried if sp.Symbol(c.entry, real=True) in self.active]
        pending = {c.entry: self.acc.pop(sp.Symbol(c.entry, real=True), []) for c in carried}
        if not any(pending.values()):
            return  # nothing after the loop needs a gradient through it
        self.settle_pending(set(iteration_names(s)))
        before: list[Any] = []
        names: dict[str, Any] = {}
        acc: dict[Any, list[Any]] = {}
        for c in carried:  # the adjoint of each carried value, kept in one variable
            sym = sp.Symbol(c.entry, real=True)
            name = self.grad_name(c.entry)
            before.append(Stmt(name, self.whole(sym, pending[c.entry], self.zeros(sym))))
            names[c.entry] = gsym = sp.Symbol(name, real=True)
            self.shapes.register(gsym, self.shapes.classes[sym], rep=False, expr=sym)
            if isinstance(c.exit, sp.Symbol) and c.exit in self.active:
                acc.setdefault(c.exit, []).append(gsym)
        rebound = {sp.Symbol(n, real=True) for n in iteration_names(s)}
        outer_primal = self.primal_of
        self.primal_of = {e: v for e, v in outer_primal.items()
                          if not (e.free_symbols & rebound) and v not in rebound}
        body, left = self.reverse_block(s.body.stmts, acc)
        self.primal_of = outer_primal
        comment = self.leftover_comment
        updates = []
        for c in carried:  # the cotangent of this iteration's entry is the previous exit's
            sym = sp.Symbol(c.entry, real=True)
            # a name first assigned in the body: its entry is never read there (and unbound
            # in the first iteration), so its zero cotangent is shaped like the current one
            zeros = GradZeros(names[c.entry]) if c.init == UNBOUND else self.zeros(sym)
            updates.append((names[c.entry], self.whole(sym, left.pop(sym, []), zeros)))
        for sym in sorted(left, key=lambda x: x.name):  # loop-invariant inputs accumulate
            name = self.grad_name(sym.name)
            zeros = self.accumulator_zeros(sym, left[sym])
            before.append(Stmt(name, zeros))
            rest = []
            for g in left[sym]:
                if isinstance(g, ScatterInto) and g.args[1] == sym and \
                        all(plain_index(p, self.loop_vars) for p in g.args[2:]):
                    # (`+=` at an index array would add a repeated position once: np.add.at)
                    once = len(left[sym]) == 1 and isinstance(zeros, GradZeros) and \
                        not isinstance(zeros, TreeZeros) and each_once(s, g.args[2:])
                    body.append(Stmt(name, self._named(body, self.shapes.resolve(g.args[0])),
                                     list(comment), augment=not once,
                                     index=tuple(g.args[2:])))
                    comment = []
                else:
                    rest.append(g)
            if rest:
                body.append(Stmt(name, simplify_adjoint(self.shapes.canon(sp.Add(*rest))),
                                 list(comment), augment=True))
                comment = []
            gsym = sp.Symbol(name, real=True)
            self.shapes.register(gsym, self.shapes.classes.get(sym, self.shapes.fresh()),
                                 rep=False)
            self.contribute(sym, gsym)
        if len(updates) == 1:
            body.append(Stmt(updates[0][0].name, updates[0][1], list(comment)))
        elif updates:
            body.append(Stmt(", ".join(n.name for n, _ in updates),
                             sp.Tuple(*[e for _, e in updates]), list(comment)))
        for c in carried:
            if isinstance(c.init, sp.Symbol) and c.init in self.active:
                self.contribute(c.init, names[c.entry])
        in_place = write_in_place(s, backward_reads(body), self.plan)
        if in_place and updates:
            accumulate_in_place(body, before, updates,
                                {names[e]: e for e in in_place if e in names}, self.loop_vars)
        tape = plan_tape(s, body, self.fn, self.names, self.plan)
        self.backward.extend(before)
        self.backward.append(BLoop(s, body, self.take_comment(s.lines), tape))

    @staticmethod
    def _named(body: list[Any], value: Any) -> Any:
        """``value``, or the name the loop body already gave it (a cotangent both a value
        and a row of an array receive: ``grad_x[t] += grad_h_in``, not the sum again)."""
        for s in body:
            if isinstance(s, Stmt) and not s.augment and not s.index and s.expr == value \
                    and "," not in s.target:
                return sp.Symbol(s.target, real=True)
        return value

    def zeros(self, sym: Any) -> Any:
        """The zero cotangent of ``sym``: of a list built in a loop, the list's (which may
        be ragged: ``ListGradZeros``)."""
        return ListGradZeros(sym) if sym.name in self.lists else GradZeros(sym)

    def accumulator_zeros(self, sym: Any, contributions: list[Any]) -> Any:
        """The start of a loop's gradient accumulator: zeros like ``sym``, or, for a
        parameter the loop indexes (``for W in Ws``, ``params["Ws"][i]``: it may hold
        arrays of different shapes), zeros like each array it holds."""
        indexed = sym.name in {p.name for p in self.fn.params} and any(
            isinstance(n, ScatterInto) and n.args[1] == sym
            for g in contributions for n in sp.preorder_traversal(g))
        return self.shapes.resolve(TreeZeros(sym)) if indexed else self.zeros(sym)

    def take_comment(self, lines: list[str]) -> list[str]:
        out = list(self._comment) + list(lines)
        self._comment = []
        return out

    def grad_name(self, name: str) -> str:
        return self.names.fresh(f"grad_{name}")

    def whole(self, sym: Any, contribs: list[Any] | None, empty: Any) -> Any:
        """The complete adjoint of ``sym``: its contributions summed (``empty`` if none),
        made whole where they are a lazily broadcast cotangent, and simplified."""
        total = sp.Add(*contribs) if contribs else empty
        # (a list's cotangent is a list, whole whatever its class: np.full_like of a
        # ragged list fails, as a tape of a carry that changes shape is)
        if self.shapes.class_of(total) != self.shapes.classes.get(sym) and \
                getattr(sym, "name", None) not in self.lists:
            total = FullLike(total, sym)
        return simplify_adjoint(self.shapes.canon(total))

    def materialise(self, target: str, total: Any) -> Any:
        """Name a value's complete adjoint ``grad_<name>`` unless it is a bare symbol or number."""
        total = simplify_adjoint(self.shapes.canon(total))
        if isinstance(total, (sp.Symbol, sp.Number)):
            return total
        name = self.grad_name(target)
        self.backward.append(Stmt(name, total, list(self._comment)))
        self._comment = []
        sym = sp.Symbol(name, real=True)
        if self.masked(total):
            self._masked.add(sym)
        self.shapes.register(sym, self.shapes.class_of(total), rep=self.backward is self._top,
                             expr=total)
        return sym

    def finish_param(self, p: str) -> str:
        sym = sp.Symbol(p, real=True)
        total = self.whole(sym, self.acc.pop(sym, []), sp.Integer(0))
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
        shapes = self.shapes
        root_class = shapes.class_of(expr)
        leaves = [leaf for leaf in dict.fromkeys(region_leaves(expr, differentiable=True))
                  if self.is_active(leaf)]
        if not leaves:
            return
        # every structural node is opaque to sympy.diff, active or not
        dummies = {leaf: sp.Dummy(real=True) for leaf in dict.fromkeys(region_leaves(expr))
                   if isinstance(leaf, Structural)}
        region = expr.xreplace(dummies) if dummies else expr
        back = {d: leaf for leaf, d in dummies.items()}
        terms = scaled_derivatives(g, region, [dummies.get(leaf, leaf) for leaf in leaves],
                                   self.slopes)
        masked = self.masked(g)
        for leaf, (d, c) in zip(leaves, terms, strict=True):
            if d == 0:
                continue
            c = clean(c) if kinds(c) & CLEAN else c
            if masked and may_be_infinite(d):
                c = masks.Where(masks.IsEqual(g, 0), 0, c)
            c = select_by_masks(c, region)
            c = c.xreplace(back) if back else c
            c = c.xreplace(self.primal_of)
            if shapes.class_of(leaf) != root_class:
                if shapes.class_of(c) != root_class:
                    # a lazily broadcast cotangent must be broadcast before it is summed
                    c = BroadcastLike(c, shapes.shape_source(expr))
                c = NpSum(c, static(None), static(False)) \
                    if shapes.class_of(leaf) == SCALAR else SumTo(c, shapes.shape_rep(leaf))
            if isinstance(leaf, Structural):
                self.backprop_structural(leaf, c)
            else:
                self.contribute(leaf, c)

    def is_active(self, expr: Any) -> bool:
        if isinstance(expr, sp.Symbol):
            return expr in self.active
        return bool(diff_symbols(expr) & self.active)

    def masked(self, g: Any) -> bool:
        """Whether cotangent ``g`` is 0 where a where discards a branch (or a mask zeroes a
        value): there the chain rule's 0 times an infinite or NaN slope of the discarded
        branch (``np.sqrt(x)`` at x < 0, ``1/x`` at 0) is NaN, where the derivative is 0."""
        return bool(self._masked and free_symbols(g) & self._masked or kinds(g) & WHERE or
                    masks.has_bool_valued(g))

    def backprop_structural(self, node: Structural, g: Any) -> None:
        if not any(self.is_active(a) for a in node.diff_args()):
            return
        if node.needs_full_g and self.shapes.class_of(g) != self.shapes.class_of(node):
            g = BroadcastLike(g, self.shapes.shape_rep(node))
        # (a list built in a loop has a whole cotangent whatever its class: rules/lists.py)
        exact = node.vjp_exact and (self.shapes.class_of(g) == self.shapes.class_of(node) or
                                    getattr(node, "whole_cotangent", False))
        vjps = node.masked_vjp(g) if self.masked(g) else node.vjp(g)
        for arg, v in zip(node.diff_args(), vjps, strict=True):
            if v is not None and self.is_active(arg):
                if exact:
                    self.shapes.assume(v, self.shapes.class_of(arg))
                self.backprop(arg, v)


def build(fn: Function, wrt: list[str], has_aux: bool = False,
          ranks: dict[str, Any] | None = None) -> Adjoint:
    """The adjoint of ``fn``'s outputs (only the first one with ``has_aux``); ``ranks``:
    parameter -> rank pattern of its argument (``adjoint.ranks``), the code specialised."""
    if has_aux and not (fn.returns_tuple and len(fn.returns) >= 2):
        raise SymgradError(f"has_aux=True, but {fn.name} does not return a tuple "
                           "(value, aux, ...)", filename=fn.filename, lineno=fn.firstlineno,
                           hint="return the value to differentiate first and the auxiliary "
                           "outputs after it, or drop has_aux")
    return Sweep(fn, wrt, has_aux, ranks).run()
