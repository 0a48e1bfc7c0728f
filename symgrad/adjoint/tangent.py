"""Forward mode: the tangent sweep, which interleaves each value's tangent with the value.

The result is a program of the IR's own kinds (``Assign``, ``If``, ``Loop``): the primal's
statements, each active one followed by ``dy = ...``, its tangent. Branches keep their
conditions and joins (a ``Phi`` per tangent), loops carry each active value's tangent
beside it. Nothing is taped: forward mode reads values as it makes them.

Elementwise regions are differentiated by ``sympy.diff`` (the reverse sweep's
``derivative``), the slope times the leaf's tangent; structural nodes give their tangent by
their rule's ``jvp`` or by a trait: ``LINEAR`` (the op applied to the tangents),
``MULTILINEAR`` (a product: one term per argument), ``NONDIFF`` (none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symgrad.adjoint.activity import active_values
from symgrad.adjoint.fusion import fuse
from symgrad.adjoint.memory import write_in_place
from symgrad.adjoint.program import MemoryPlan
from symgrad.adjoint.regions import diff_symbols, region_leaves
from symgrad.adjoint.shapes import Shapes
from symgrad.derivative import derivative, may_be_infinite, select_by_masks
from symgrad.errors import SymgradError
from symgrad.frontend.common import UNBOUND
from symgrad.frontend.ir import (
    Assign,
    Block,
    Carry,
    Function,
    If,
    Loop,
    Names,
    Phi,
    defines,
    reads,
    walk,
)
from symgrad.rules import masks
from symgrad.rules.base import Structural, node_jvp
from symgrad.rules.grads import BroadcastLike, GradZeros
from symgrad.rules.indexing import SetItem
from symgrad.rules.operators import Broadcasting, StopGradient
from symgrad.simplify import clean, simplify_adjoint


@dataclass
class TangentProgram:
    """What codegen needs to print a jvp: the program, its tangent inputs and outputs."""

    fn: Function
    wrt: list[str]
    program: list[Any]  # Assign | If | Loop: the primal with its tangents interleaved
    tangent_params: list[str]  # the tangent of each wrt parameter, in wrt order
    outputs: list[str]  # the primal outputs, in return order
    tangents: list[str]  # the tangent of each output
    names: set[str]
    inlined: dict[Any, str]
    is_scalar: Any
    plan: MemoryPlan
    aux: list[str] = field(default_factory=list)  # has_aux: the outputs not differentiated


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


class TangentSweep:
    """The forward sweep for one function and one choice of ``wrt``."""

    def __init__(self, fn: Function, wrt: list[str], has_aux: bool = False,
                 prefix: str = "d") -> None:
        self.prefix = prefix  # dx; d2x for a second direction (forward over forward)
        self.fn = fn
        self.wrt = wrt
        self.outputs = fn.returns[:1] if has_aux else fn.returns
        self.forward, self.inlined = fuse(fn)
        self.shapes = Shapes(fn, self.forward)
        # a shape is read off a value already computed: the representatives Shapes chose
        # over the whole program come into scope one top-level statement at a time (the
        # program of an hvp holds gradients that a shape read earlier must not name)
        self._reps = self.shapes.rep
        defined = {_sym(n) for s in self.forward for n in defines(s)}
        self.shapes.rep = {c: r for c, r in self._reps.items() if r not in defined}
        self._depth = 0
        self.active = active_values(self.forward, wrt)
        self.names = Names({p.name for p in fn.params} | set(fn.constants))
        for s in self.forward:
            self.names.update(defines(s))
        # values computed so far on the path being swept, by expression: a slope reuses
        # them (d tanh(u) = 1 - h**2 where h = tanh(u)); a branch's or a loop body's own
        # values leave scope when it ends (after a loop they hold the last iteration's)
        self.primal_of: dict[Any, Any] = {}
        self.lists = list_names(self.forward)  # values that are Python lists
        self.tangent: dict[Any, Any] = {}  # a value -> its tangent (absent: zero)
        self._masked: set[Any] = set()
        self.tangent_params = []
        for p in wrt:
            self.tangent_params.append(self._name_tangent(_sym(p), p))

    def _name_tangent(self, sym: Any, user_name: str) -> str:
        name = self.names.fresh(f"{self.prefix}{user_name}")
        tsym = _sym(name)
        self.tangent[sym] = tsym
        self.shapes.register(tsym, self.shapes.classes.get(sym, self.shapes.fresh()), rep=False)
        return name

    # ------------------------------------------------------------ sweep

    def run(self) -> TangentProgram:
        program = self.block(self.forward)
        tangents = []
        for name in self.outputs:
            t = self.tangent.get(_sym(name))
            if t is None:  # the output does not depend on wrt: a zero tangent shaped like it
                out = self.names.fresh(f"{self.prefix}{name}")
                program.append(Assign(out, GradZeros(_sym(name)), 0, [], out))
                tangents.append(out)
            else:
                tangents.append(t.name)
        plan = MemoryPlan()
        for s in walk(program):  # nothing reads an overwritten version: write in place
            if isinstance(s, Loop):
                write_in_place(s, set(), plan)
        return TangentProgram(self.fn, self.wrt, program, self.tangent_params,
                              list(self.outputs), tangents, self.names.taken, self.inlined,
                              self.shapes.is_scalar, plan, self.fn.returns[len(self.outputs):])

    def block(self, stmts: list[Any]) -> list[Any]:
        out: list[Any] = []
        self._depth += 1
        for s in stmts:
            if self._depth == 1:
                self._in_scope(s)
            if isinstance(s, Assign):
                out.append(s)
                self.computed(s)  # its own value, too: dh = (1 - h**2)*du
                out.extend(self.assign(s))
            else:
                outer = dict(self.primal_of)
                out.append(self.branch(s) if isinstance(s, If) else self.loop(s))
                self.primal_of = outer
        self._depth -= 1
        return out

    def _in_scope(self, s: Any) -> None:
        """The shape representatives ``s`` defines, usable from its own tangent on."""
        names = [s.target] if isinstance(s, Assign) else \
            [p.target for p in s.phis] if isinstance(s, If) else [c.entry for c in s.carried]
        for name in names:
            sym = _sym(name)
            cls = self.shapes.classes.get(sym)
            if self._reps.get(cls) == sym:
                self.shapes.rep.setdefault(cls, sym)

    def computed(self, s: Assign) -> None:
        if s.expr.args and not isinstance(s.expr, (StopGradient, SetItem)):
            sym = _sym(s.target)
            self.primal_of.setdefault(s.expr, sym)
            expr = s.expr  # d sqrt(x) = 1/(2*sqrt(x)) reads y = sqrt(x)
            if expr.is_Pow and expr.exp.is_Rational and not expr.exp.is_Integer:
                self.primal_of.setdefault(expr.base**-expr.exp, 1 / sym)

    def assign(self, s: Assign) -> list[Assign]:
        sym = _sym(s.target)
        if sym not in self.active:
            return []
        t = self.jvp(s.expr)
        if t == 0:
            return []
        if isinstance(t, sp.Symbol):  # y = x: the same tangent
            self.tangent[sym] = t
            return []
        name = self._name_tangent(sym, s.user_name or s.target)
        if self.masked(t):
            self._masked.add(_sym(name))
        return [Assign(name, t, s.lineno, s.lines, name)]

    def zero_or(self, value: Any) -> Any:
        """The tangent of ``value``, or a zero tangent shaped like it (a list of zeros for a
        list: ``outs = []`` before a loop appends)."""
        from symgrad.rules.lists import LIST_VALUED, ListZeros

        t = self.tangent.get(value) if isinstance(value, sp.Symbol) else self.jvp(value)
        if t is not None and t != 0:
            return t
        return ListZeros(value) if isinstance(value, LIST_VALUED) or \
            isinstance(value, sp.Symbol) and value.name in self.lists else GradZeros(value)

    def branch(self, s: If) -> If:
        outer = dict(self.primal_of)
        then = self.block(s.then.stmts)
        self.primal_of = dict(outer)
        orelse = self.block(s.orelse.stmts)
        phis = list(s.phis)
        for phi in s.phis:
            sym = _sym(phi.target)
            if sym not in self.active:
                continue
            sides = [self.tangent.get(v) if isinstance(v, sp.Symbol) else None
                     for v in (phi.then, phi.orelse)]
            if all(t is None for t in sides):
                continue
            name = self._name_tangent(sym, phi.target)
            phis.append(Phi(name, self.zero_or(phi.then), self.zero_or(phi.orelse)))
        return If(s.cond, Block(then), Block(orelse), phis, s.lineno, s.lines)

    def loop(self, s: Loop) -> Loop:
        active = [c for c in s.carried if _sym(c.entry) in self.active]
        entries = {c.entry: self._name_tangent(_sym(c.entry), c.entry) for c in active}
        body = self.block(s.body.stmts)
        carried = list(s.carried)
        for c in active:  # (a name first assigned in the body: its tangent is too)
            init = UNBOUND if c.init == UNBOUND else self.zero_or(c.init)
            carried.append(Carry(entries[c.entry], init, self.zero_or(c.exit)))
        return Loop(s.kind, s.var, s.bounds, s.cond, Block(body), carried, s.stop, s.lineno,
                    s.lines)

    # ------------------------------------------------------------ expressions

    def jvp(self, expr: Any) -> Any:
        """The tangent of ``expr``, shaped like it (0 when no tangent reaches it)."""
        if isinstance(expr, sp.Symbol):
            return self.tangent.get(expr, 0)
        if not (diff_symbols(expr) & self.active):
            return 0
        if isinstance(expr, Structural):
            return self.jvp_node(expr)
        leaves = [leaf for leaf in dict.fromkeys(region_leaves(expr, differentiable=True))
                  if diff_symbols(leaf) & self.active]
        dummies = {leaf: sp.Dummy(real=True) for leaf in dict.fromkeys(region_leaves(expr))
                   if isinstance(leaf, Structural)}
        region = expr.xreplace(dummies) if dummies else expr
        back = {d: leaf for leaf, d in dummies.items()}
        terms = []
        for leaf in leaves:
            t = self.jvp(leaf)
            if t == 0:
                continue
            d = derivative(region, dummies.get(leaf, leaf))
            if d == 0:
                continue
            c = clean(t * d)
            if self.masked(t) and may_be_infinite(d):
                c = masks.Where(masks.IsEqual(t, 0), 0, c)
            c = select_by_masks(c, region)
            c = c.xreplace(back) if back else c
            terms.append(c.xreplace(self.primal_of))
        if not terms:
            return 0
        return self.shaped_like(sp.Add(*terms), expr)

    def shaped_like(self, t: Any, expr: Any) -> Any:
        """``t`` broadcast to ``expr``'s shape where it may lack axes (x + y, y inactive)."""
        t = simplify_adjoint(self.shapes.canon(t))
        if self.shapes.class_of(t) != self.shapes.class_of(expr):
            t = BroadcastLike(t, self.shapes.shape_source(expr))
        return t

    def jvp_node(self, node: Any) -> Any:
        args = node.diff_args()
        tangents = [self.jvp(a) for a in args]
        if all(t == 0 for t in tangents):
            return 0
        try:
            t = sp.sympify(node_jvp(node, tangents))  # a rule's `... else 0` sum: int 0
        except NotImplementedError:
            entry = getattr(node, "primitive", None)
            what = type(node).__name__ if entry is None else \
                f"{entry.name.split(':')[1]}, a custom_vjp function," \
                if entry.name.startswith("custom:") else f"np.{entry.name}"
            raise SymgradError(f"forward mode (jvp) of {what} is not supported yet",
                               filename=self.fn.filename, lineno=self.fn.firstlineno,
                               hint="use G.vjp, or G.jacobian(..., mode='rev')") from None
        if t == 0:  # (a product's vjp along the side it reads only for its shape)
            return 0
        t = t.xreplace(self.primal_of)  # d inv(A) reads the inverse already computed
        if isinstance(node, Broadcasting):  # a % b's tangent may have only a's shape
            return self.shaped_like(t, node)
        # each tangent is shaped like its value, so the op's tangent is shaped like the op's
        t = simplify_adjoint(self.shapes.canon(t))
        self.shapes.assume(t, self.shapes.class_of(node))
        return t

    def masked(self, t: Any) -> bool:
        """Whether tangent ``t`` is 0 where a where discards a branch: there 0 times an
        infinite slope of the discarded branch is NaN where the derivative is 0 (as the
        reverse sweep's ``masked``)."""
        # (only a mask at the top of t zeroes it elementwise: one inside a reduction, as
        # max's tie mask, does not)
        return bool(t.free_symbols & self._masked) or any(
            isinstance(f, masks.Where) or masks.bool_valued(f) for term in sp.Add.make_args(t)
            for f in sp.Mul.make_args(term))


def list_names(stmts: list[Any]) -> set[str]:
    """The names bound to Python lists (``outs = []``, ``outs.append``): assigned a list
    node, or joined or carried from one."""
    from symgrad.rules.lists import LIST_VALUED

    names: set[str] = set()

    def is_list(v: Any) -> bool:
        return isinstance(v, LIST_VALUED) or isinstance(v, sp.Symbol) and v.name in names

    size = -1
    while size != len(names):
        size = len(names)
        for s in walk(stmts):
            if isinstance(s, Assign) and is_list(s.expr):
                names.add(s.target)
            elif isinstance(s, If):
                names.update(p.target for p in s.phis if is_list(p.then) or is_list(p.orelse))
            elif isinstance(s, Loop):
                names.update(c.entry for c in s.carried if is_list(c.init) or is_list(c.exit))
    return names


def build_tangent(fn: Function, wrt: list[str], has_aux: bool = False) -> TangentProgram:
    """The forward-mode program of ``fn``: its outputs and their tangents."""
    return TangentSweep(fn, wrt, has_aux).run()


def build_hvp(fn: Function, wrt: list[str], has_aux: bool = False) -> TangentProgram:
    """Forward over reverse: the tangent program of ``fn``'s gradient program, whose
    tangents along v are the Hessian-vector products H v (one per wrt argument).

    The gradient program is the reverse sweep's forward and backward statements as one
    straight-line function of the parameters (the output's cotangent 1). Through loops and
    branches G.hvp goes reverse over forward instead (``build_directional``)."""
    from symgrad.adjoint.program import Stmt
    from symgrad.adjoint.sweep import build

    if not fn.straight_line:
        raise SymgradError(f"the Hessian of {fn.name} is supported for straight-line code "
                           "only (no loops or branches) for now", filename=fn.filename,
                           lineno=fn.firstlineno, hint="use G.jacobian of a gradient "
                           "function, or unroll the loop")
    adj = build(fn, wrt, has_aux)
    if len(adj.seeds) != 1 or any(not isinstance(s, Stmt) or s.augment or s.index
                                  for s in adj.backward):
        raise SymgradError(f"the Hessian of {fn.name} needs one scalar output",
                           filename=fn.filename, lineno=fn.firstlineno)
    stmts = list(adj.forward) + [Assign(adj.seeds[0], sp.Float(1.0), 0, [], adj.seeds[0])]
    stmts += [Assign(s.target, s.expr, 0, list(s.comment), s.target) for s in adj.backward]
    grad_fn = Function(fn.name, fn.params, Block(stmts), list(adj.grads), len(wrt) > 1,
                       fn.filename, fn.firstlineno, fn.constants, fn.source,
                       fn.constant_origins)
    program = TangentSweep(grad_fn, wrt).run()
    program.program = _needed(program.program, set(program.outputs) | set(program.tangents))
    return program


def build_directional(fn: Function, wrt: list[str], has_aux: bool = False) -> TangentProgram:
    """The tangent of ``fn``'s first output alone along the tangents of ``wrt``: for a
    scalar output, ``<grad f, v>``, whose gradient with respect to ``wrt`` is ``H v``
    (reverse over forward: ``G.hvp`` through loops and branches, one pass). The top-level
    statements that tangent does not read (the primal outputs) are left out."""
    tp = TangentSweep(fn, wrt, has_aux).run()
    tp.tangents, tp.outputs, tp.aux = tp.tangents[:1], [], []
    live = set(tp.tangents)
    kept: list[Any] = []
    for s in reversed(tp.program):
        if not isinstance(s, Assign):
            kept.append(s)
            live |= {x.name for x in reads(s)}
        elif s.target in live:
            kept.append(s)
            live |= {x.name for x in s.expr.free_symbols}
    tp.program = kept[::-1]
    return tp


def build_second_order(fn: Function, wrt: list[str], has_aux: bool = False) -> TangentProgram:
    """Forward over forward, for code with loops and branches: the tangent program of the
    tangent program. ``f_jvp_jvp(x, ..., dx, ..., d2x, ...)`` returns the first output's
    tangent along dx and its tangent along d2x: ``dx^T H d2x`` for a scalar output, G.hvp's
    way (one pass per element) where ``build_directional``'s gradient cannot be read back."""
    from symgrad.frontend.ir import Param

    first = TangentSweep(fn, wrt, has_aux).run()
    params = list(fn.params) + [Param(t) for t in first.tangent_params]
    tangent_fn = Function(fn.name, params, Block(first.program), [first.tangents[0]], False,
                          fn.filename, fn.firstlineno, fn.constants, fn.source,
                          fn.constant_origins)
    return TangentSweep(tangent_fn, wrt, prefix="d2").run()


def _needed(stmts: list[Any], live: set[str]) -> list[Any]:
    """The straight-line statements the names ``live`` depend on, in order."""
    kept: list[Any] = []
    for s in reversed(stmts):
        if s.target in live:
            kept.append(s)
            live |= {x.name for x in s.expr.free_symbols}
    return kept[::-1]
