"""Fusion: inline single-use and cheap elementwise values, so ``sympy.diff`` sees whole regions."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from symgrad.frontend import exact
from symgrad.frontend.ir import Assign, Block, Function, If, Loop, Phi, defines, first_free, walk
from symgrad.frontend.pauses import without_cycle_collection
from symgrad.rules import registry
from symgrad.rules.base import Structural, free_symbols
from symgrad.rules.indexing import GetItem, SetItem

_ARITHMETIC_NODES = (sp.Add, sp.Mul, sp.Pow, sp.Symbol, sp.Number)


def fuse(fn: Function) -> tuple[list[Any], dict[Any, str]]:
    """Inline single-use and cheap elementwise values into their consumers.

    ``y = x + 2; z = 3 * y**2`` becomes one region ``z = 3*(x + 2)**2`` that ``sympy.diff``
    sees whole, which is what gives closed-form gradients. A value is inlined only within its
    own block, and never into a branch condition, a join or a loop header. Also returns each
    inlined expression's user name, so codegen can reuse it if the value is computed again.
    """
    uses: dict[str, int] = {}
    for s in walk(fn.body):
        for sym in (free_symbols(s.expr) if isinstance(s, Assign) else _header_reads(s)):
            uses[sym.name] = uses.get(sym.name, 0) + (1 if isinstance(s, Assign) else 2)
    for s in walk(fn.body):  # names that are never read are taken too
        for name in defines(s):
            uses.setdefault(name, 0)
    for p in fn.params:
        uses.setdefault(p.name, 0)
    inlined: dict[Any, str] = {}
    with without_cycle_collection():
        return _fuse_block(fn.body.stmts, uses, set(fn.returns), inlined, False), inlined


def _arithmetic(expr: Any) -> bool:
    """Only + - * / ** on names and numbers: nothing worth a name of its own."""
    return all(isinstance(n, _ARITHMETIC_NODES) for n in sp.preorder_traversal(expr))


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
        reads = [n for n in sp.preorder_traversal(s.expr) if isinstance(n, GetItem)
                 and n.args[0] in buffers]
        for node in dict.fromkeys(reads):
            name = _fresh_name(f"{_user_base(node.args[0].name)}_at", taken)
            replace[node] = sp.Symbol(name, real=True)
            out.append(Assign(name, node, s.lineno, [], name))
        if replace:
            s = Assign(s.target, s.expr.xreplace(replace), s.lineno, s.lines, s.user_name)
    # worth a name of their own in a loop body, so the backward pass reads them from the tape
    found = [n for n in sp.preorder_traversal(s.expr) if registry.has_trait(n, registry.COSTLY)]
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
    name = first_free(base, taken, sep="")
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
            for sym in free_symbols(s.expr):
                direct[sym.name] = direct.get(sym.name, 0) + 1
    out: list[Any] = []
    replace: dict[Any, Any] = {}
    held: dict[Any, Assign] = {}
    inlined_lines: dict[str, list[tuple[int, list[str]]]] = {}
    # arrays this block writes into (x[i] = ...): their reads get names in a loop body
    buffers = {s.expr.args[0] for s in stmts if isinstance(s, Assign)
               and isinstance(s.expr, SetItem) and isinstance(s.expr.args[0], sp.Symbol)}
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
        for sym in sorted(free_symbols(s.expr) & replace.keys(), key=lambda x: x.name):
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
