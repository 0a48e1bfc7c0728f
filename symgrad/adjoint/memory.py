"""Memory planning for loops: what the tape records, and which writes may go in place.

The forward IR is single-assignment: ``h_3 = SetItem(h_2, ...)`` is a new array, printed
as a copy. Here the sweep's result decides where the copy can be skipped (nothing reads the
overwritten version), which rows a write in place must snapshot, where a loop's gradient
can be updated in place, and what each loop iteration records for its backward. The
decisions go into a ``MemoryPlan`` beside the forward IR, which they leave as it was.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.adjoint.program import MemoryPlan, Stmt, Tape, all_backward_reads, backward_reads
from symgrad.frontend.ir import Assign, Function, Loop, Names, iteration_names, reads, walk
from symgrad.rules import registry
from symgrad.rules.base import Static, Structural, sval
from symgrad.rules.creation import NpConstant
from symgrad.rules.grads import FullLike, GradZeros
from symgrad.rules.indexing import ClearItem, GetItem, ScatterInto, SetItem, SliceOf
from symgrad.rules.operators import FloorDiv, IntOf, Mod
from symgrad.rules.shape import _Meta


def allocates(expr: Any) -> bool:
    """A fresh array (np.zeros, a gradient's zeros): its own memory, never shared. A node
    with the ALLOCATES trait, or a numpy call with no gradient whose entry has it (np.eye)."""
    if isinstance(expr, NpConstant):
        entry = registry.by_name(sval(expr.args[0]))
        return entry is not None and entry.has(registry.ALLOCATES)
    return registry.has_trait(expr, registry.ALLOCATES)


def may_share(expr: Any, g: Any, defs: dict[str, Any]) -> bool:
    """Whether ``expr`` may be ``g`` itself or a view of it: followed back through the
    backward body's names and the operations that can return their input (the registry's
    views: indexing, reshapes, un-broadcasting, broadcasting); any arithmetic makes a new
    array."""
    seen = set()
    while True:
        if expr == g:
            return True
        if isinstance(expr, sp.Symbol) and expr.name in defs and expr.name not in seen:
            seen.add(expr.name)
            expr = defs[expr.name]
        elif registry.is_view(expr):
            expr = expr.args[0]
        else:
            return False


def plan_tape(s: Loop, body: list[Any], fn: Function, names: Names, plan: MemoryPlan) -> Tape:
    """What each iteration of ``s`` records for its backward ``body`` (the tapes of the loops
    inside it too), and the tape's name: none when the backward can replay the loop's header
    instead."""
    read = backward_reads(body)
    taped = [n for n in iteration_names(s, plan.loop_names) if n in read]
    tape = Tape("" if _replayable(s, taped, fn) else names.fresh("tape" if taped else "steps"),
                taped)
    plan.tapes[s] = tape
    return tape


def _replayable(s: Loop, taped: list[str], fn: Function) -> bool:
    """A loop the backward pass can re-run from its header: nothing taped, no break, and
    bounds that read only parameters (never rebound), so no counter is needed."""
    params = {p.name for p in fn.params}
    return (not taped and s.kind == "for" and s.stop is None and
            all(x.name in params for b in s.bounds for x in b.free_symbols))


# ---------------------------------------------------------------- writes in place


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
        if isinstance(expr, SetItem) and expr.args[0] == current:
            if any(a.free_symbols & versions for a in expr.args[1:]):
                return None
            writes.append(stmt)
            current = sp.Symbol(stmt.target, real=True)
            versions.add(current)
        elif isinstance(expr, GetItem) and expr.args[0] == current and \
                not any(a.free_symbols & versions for a in expr.args[1:]):
            rows.append(stmt)
        else:
            return None  # a whole-array read: it would need a copy of its own
    header = [s.stop, *(k.exit for k in s.carried if k is not c)]
    if not writes or c.exit != current or \
            any(e is not None and e.free_symbols & versions for e in header):
        return None
    return versions, writes, rows


def write_in_place(s: Loop, backward_reads: set[str], plan: MemoryPlan) -> set[str]:
    """Let a loop's ``buf[i] = v`` write into the array instead of a copy of it.

    Each write is a new value in the IR (``h_3 = SetItem(h_2, ...)``), printed as a copy:
    O(size) per iteration, and the tape would keep every copy. The write can go into
    the array itself when nothing reads an overwritten version: the forward pass reads
    only the newest one, the backward pass none. A row read from it (``h_at = h_2[t]``)
    is copied, so later writes cannot reach it (nor the tape, which keeps the row). The
    loop then starts from a copy of its input array. Returns the entries written in place.
    """
    done: set[str] = set()
    for c in s.carried:
        chain = _write_chain(s, c)
        if chain is None:
            continue
        versions, writes, rows = chain
        if any(v.name in backward_reads for v in versions):
            continue  # the backward pass reads a whole version: keep the copies
        plan.in_place.update(w.target for w in writes)
        # a row is a view: the next write in place would change it
        plan.snapshots.update(r.target for r in rows)
        plan.copies.add(c.entry)
        done.add(c.entry)
    return done


def accumulate_in_place(body: list[Any], before: list[Stmt], updates: list[tuple[Any, Any]],
                        buffers: dict[Any, str], loop_vars: set[str]) -> None:
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
        new = _in_place_ops(g, total, grads, defs, loop_vars) if g in buffers else None
        if new is None:
            kept.append((g, total))
        else:
            ops += new
    converted = grads - {g for g, _ in kept}
    if not ops or any(may_share(t, c, defs) for _, t in kept for c in converted):
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
                isinstance(b.expr, (FullLike, GradZeros)) or b.expr.is_Add
                or b.expr.is_Mul):
            entry = sp.Symbol(buffers[sp.Symbol(b.target, real=True)], real=True)
            before[i] = Stmt(b.target, FullLike(b.expr, entry), b.comment)


def _in_place_ops(g: Any, total: Any, grads: set[Any], defs: dict[str, Any],
                  loop_vars: set[str]) -> list[Stmt] | None:
    terms = sp.Add.make_args(total)
    clears = [t for t in terms if isinstance(t, ClearItem) and t.args[0] == g]
    scatters = [t for t in terms if isinstance(t, ScatterInto)]
    if len(clears) != 1 or len(scatters) + 1 != len(terms):
        return None
    for part in [*clears[0].args[1:], *(p for sc in scatters for p in sc.args[2:])]:
        if not plain_index(part, loop_vars):
            return None
    for sc in scatters:
        if sc.args[0].free_symbols & grads or may_share(sc.args[0], g, defs):
            return None
    return [Stmt(g.name, sp.Integer(0), index=tuple(clears[0].args[1:])),
            *(Stmt(g.name, sc.args[0], augment=True, index=tuple(sc.args[2:]))
              for sc in scatters)]


# integer arithmetic an index may be made of: i % n, i // 2, int(...), x.shape[0]
_SCALAR_INT = (Mod, FloorDiv, IntOf, _Meta)


def plain_index(part: Any, loop_vars: set[str]) -> bool:
    """An integer or a slice for sure: constants, loop counters and their arithmetic."""
    if isinstance(part, Static):
        return part.value is None or isinstance(part.value, (int, slice))
    if isinstance(part, SliceOf):
        return all(plain_index(a, loop_vars) for a in part.args)
    if any(isinstance(n, Structural) and not isinstance(n, _SCALAR_INT)
           for n in sp.preorder_traversal(part)):
        return False  # x[[i, i]], x[np.array([i, i])]: a repeated position adds up, += not
    return isinstance(part, sp.Expr) and all(x.name in loop_vars for x in part.free_symbols)


def each_once(loop: Loop, index: tuple) -> bool:
    """Whether no two iterations of ``loop`` write the same position ``index`` names: a
    ``for`` loop's own counter at one place (range's values are distinct and, none negative,
    name distinct rows), constants at the others. An accumulator of zeros written there
    once per iteration takes ``g[t] = v``, as a person writes it, not ``g[t] += v``."""
    if loop.kind != "for" or not loop.var or not _counts_up_from_zero(loop.bounds):
        return False
    counter = [p for p in index if isinstance(p, sp.Symbol) and p.name == loop.var]
    return len(counter) == 1 and all(p is counter[0] or not getattr(p, "free_symbols", ())
                                     for p in index)


def _counts_up_from_zero(bounds: list[Any]) -> bool:
    """range(*bounds) gives no negative number (x[-1] and x[n - 1] are one row)."""
    start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else \
        (bounds[0], bounds[1], bounds[2] if len(bounds) == 3 else 1)
    step = _literal_int(step)
    if not step:
        return False
    edge = _literal_int(start) if step > 0 else _literal_int(stop)  # the smallest value...
    return edge is not None and (edge >= 0 if step > 0 else edge >= -1)  # ...or one below it


def _literal_int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, sp.Integer)) and \
        not isinstance(value, bool) else None


def skip_needless_copies(fn: Function, forward: list[Any], backward: list[Any],
                         plan: MemoryPlan) -> None:
    """A loop that writes into its input array in place starts from a copy of it, unless
    that array is a fresh one (np.zeros, an earlier copy) that nothing else reads."""
    if not plan.copies:
        return  # (no loop starts from a copy)
    stmts = list(walk(forward))
    fresh = {s.target for s in stmts if isinstance(s, Assign) and s.target not in plan.in_place and
             (isinstance(s.expr, SetItem) or allocates(s.expr))}
    read_elsewhere = all_backward_reads(backward) | set(fn.returns)
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
                if c.entry in plan.copies and isinstance(c.init, sp.Symbol) and \
                        c.init.name in fresh and c.init.name not in read_elsewhere and \
                        inits.count(c.init.name) == 1:
                    plan.copies.discard(c.entry)
