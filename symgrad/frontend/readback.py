"""A generated gradient rewritten into forms the lowering reads (``regrad.py``), the same
function: its tapes, its fresh gradient arrays and the arrays it writes in place.

A value one branch computes is bound to 0.0 before the branch (and ``y = None  # set in a
branch`` before a loop is ``y = 0.0``): it is read only where that branch ran.

Fresh arrays: ``np.full_like(x, v, dtype=float)`` is read as ``np.zeros(np.shape(x)) + v``
(always float, whatever x's dtype). Writes in place: where the code generator proved a
copy needless (``b_1 = b`` and then ``b_1[i] = v``, with no one reading ``b`` after), the
lowering, which does not model shared memory, reads the copy (``b_1 = b.copy()``).

Tapes:
The reverse code of a loop records each iteration's values as one tuple on a list
(``tape.append((h_1, x, h_2))``) and walks the list backwards (``for h_1, x, h_2 in
reversed(tape):``). The lowering keeps runtime lists of arrays and numbers, not of tuples,
so before it reads a generated gradient each tape becomes one list per position
(``tape_h_1.append(h_1)``), read by index in a descending loop (``for at in
reversed(range(len(tape_h_1))): h_1 = tape_h_1[at]``).

A loop nested in a taped loop has a tape per outer iteration, which the outer tape holds.
It becomes one flat list for all outer iterations (made before the function's first
statement), and the outer tape holds where each iteration's stretch of it starts and stops
(``tape = len(tape_j)`` where the inner tape was made): the backward walks the iterations in
the reverse of the order the forward appended them, so each inner backward loop reads its
stretch, ``for at in reversed(range(tape, tape_stop))``.

Only the exact forms the code generator prints are rewritten (``codegen._Structured``);
anything else is left to the lowering, which refuses what it does not read.
"""

from __future__ import annotations

import ast
import copy
from typing import Any


def _at(node: Any, where: ast.AST) -> Any:
    """``node`` placed on the first line of ``where`` (a statement written for a loop is
    on its header's line, not on the whole loop's: generated comments quote the lines)."""
    ast.copy_location(node, where)
    if getattr(where, "end_lineno", None) != getattr(where, "lineno", None):
        node.end_lineno = node.lineno
        node.end_col_offset = node.col_offset + 1
    return node


def _is_append(node: ast.stmt) -> tuple[str, ast.expr] | None:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        f = call.func
        if isinstance(f, ast.Attribute) and f.attr == "append" and \
                isinstance(f.value, ast.Name) and len(call.args) == 1 and not call.keywords:
            return f.value.id, call.args[0]
    return None


def _is_backward(node: ast.stmt) -> str | None:
    """The tape a ``for ... in reversed(tape):`` walks."""
    if isinstance(node, ast.For):
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                it.func.id == "reversed" and len(it.args) == 1 and \
                isinstance(it.args[0], ast.Name) and not it.keywords:
            return it.args[0].id
    return None


def _items(e: ast.expr) -> list[ast.expr]:
    return list(e.elts) if isinstance(e, ast.Tuple) else [e]


def _name(id_: str, store: bool, at: ast.AST) -> ast.Name:
    return _at(ast.Name(id_, ast.Store() if store else ast.Load()), at)


def _assign(target: str, value: ast.expr, at: ast.AST) -> ast.Assign:
    return _at(ast.Assign([_name(target, True, at)], value), at)


def _call(func: str, args: list[ast.expr], at: ast.AST) -> ast.Call:
    return _at(ast.Call(_name(func, False, at), args, []), at)


def _append(lst: str, value: ast.expr, at: ast.AST) -> ast.Expr:
    f = _at(ast.Attribute(_name(lst, False, at), "append", ast.Load()), at)
    return _at(ast.Expr(_at(ast.Call(f, [value], []), at)), at)


def readable(tree: ast.FunctionDef) -> tuple[ast.FunctionDef, bool]:
    """``tree`` (a generated function) in the forms the lowering reads (``tree`` itself when
    it is read as it is), and whether it kept a tape (now lists)."""
    out = _untape(tree)
    fixer = _Fixes(_written_in_place(out))
    fixed = fixer.visit(copy.deepcopy(out))
    fixer.changed |= _one_sided(fixed.body, set(_names_stored(fixed.args)))
    fixer.changed |= _list_copies(fixed.body, fixed)
    return (ast.fix_missing_locations(fixed) if fixer.changed else out), out is not tree


def _names_stored(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Store)] + [a.arg for a in ast.walk(node)
                                             if isinstance(a, ast.arg)]


def _one_sided(stmts: list[ast.stmt], bound: set[str]) -> bool:
    """A value the forward pass computes in one branch only, which the backward reads under
    the same condition (``if cond: ... else: y = ...``, later ``if cond: ... else: ...y``):
    bound to 0.0 before the first branch (never read there), so that the lowering, which
    reads a name after an ``if`` only when every path binds it, reads it."""
    changed = False
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if isinstance(s, ast.If):
            sides = [set(_names_stored(ast.Module(b, []))) for b in (s.body, s.orelse)]
            missing = sorted((sides[0] ^ sides[1]) - bound)
            for name in missing:
                stmts.insert(i, _assign(name, _at(ast.Constant(0.0), s), s))
                i += 1
                changed = True
            changed |= _one_sided(s.body, set(bound)) | _one_sided(s.orelse, set(bound))
        bound.update(_names_stored(s))
        i += 1
    return changed


def _written_in_place(tree: ast.AST) -> set[str]:
    return {t.value.id for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AugAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}


class _Fixes(ast.NodeTransformer):
    def __init__(self, written: set[str]) -> None:
        self.written = written
        self.changed = False

    def visit_Assign(self, node: ast.Assign) -> Any:
        self.generic_visit(node)
        if isinstance(node.value, ast.Constant) and node.value.value is None:
            self.changed = True  # ``y = None  # set in a branch``: a number on the tape
            node.value = _at(ast.Constant(0.0), node.value)
            return node
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id in self.written and isinstance(node.value, ast.Name):
            self.changed = True  # b_1 = b, then written in place: the copy
            copy_ = _at(ast.Attribute(node.value, "copy", ast.Load()), node)
            node.value = _at(ast.Call(copy_, [], []), node)
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "full_like" and \
                isinstance(f.value, ast.Name) and f.value.id == "np" and len(node.args) == 2 \
                and [(k.arg, ast.unparse(k.value)) for k in node.keywords] == \
                [("dtype", "float")]:
            self.changed = True
            a, v = node.args
            shape = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "shape", ast.Load()),
                             [a], [])
            zeros = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "zeros", ast.Load()),
                             [shape], [])
            return _at(ast.BinOp(zeros, ast.Add(), v), node)
        return node


def _untape(tree: ast.FunctionDef) -> ast.FunctionDef:
    """``tree`` (a generated function) with its tapes as lists of arrays; ``tree`` itself
    when it keeps none."""
    made = {n.targets[0].id for n in ast.walk(tree) if isinstance(n, ast.Assign) and
            len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and
            isinstance(n.value, ast.List) and not n.value.elts}
    appends: dict[str, list[ast.expr]] = {}
    for n in ast.walk(tree):
        hit = _is_append(n) if isinstance(n, ast.stmt) else None
        if hit and hit[0] in made:
            items = _items(hit[1])
            if not all(isinstance(i, ast.Name) for i in items) or \
                    len(appends.setdefault(hit[0], items)) != len(items):
                return tree  # (not a form the code generator prints)
    if not appends:
        return tree
    tree = copy.deepcopy(tree)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}

    def fresh(base: str) -> str:
        name, k = base, 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        return name

    # a tape an outer tape holds: its position there stores its stretch (start and stop)
    nested = {i.id for items in appends.values() for i in items if i.id in appends}
    lists = {t: [fresh(f"{t}_{i.id}") for i in items] for t, items in appends.items()}
    stop_lists = {(t, k): fresh(f"{lists[t][k]}_stop") for t, items in appends.items()
                  for k, i in enumerate(items) if i.id in nested}
    stops = {t: fresh(f"{t}_stop") for t in nested}
    hoisted: list[ast.stmt] = []

    def rewrite(stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                    isinstance(s.targets[0], ast.Name) and s.targets[0].id in lists and \
                    isinstance(s.value, ast.List):
                t = s.targets[0].id
                names = lists[t] + [v for (u, _), v in stop_lists.items() if u == t]
                made_ = [_assign(lst, _at(ast.List([], ast.Load()), s), s)
                         for lst in names]
                if t in nested:  # one flat list; here, where this stretch of it starts
                    hoisted.extend(made_)
                    out.append(_assign(t, _call("len", [_name(lists[t][0], False, s)], s), s))
                else:
                    out.extend(made_)
                continue
            hit = _is_append(s)
            if hit and hit[0] in lists:
                t = hit[0]
                for k, (lst, item) in enumerate(zip(lists[t], _items(hit[1]), strict=True)):
                    out.append(_append(lst, _name(item.id, False, s), s))
                    if (t, k) in stop_lists:
                        out.append(_append(stop_lists[t, k], _call(
                            "len", [_name(lists[item.id][0], False, s)], s), s))
                continue
            t = _is_backward(s)
            targets = _items(s.target) if t in lists else []
            if t in lists and len(targets) == len(lists[t]) and \
                    all(isinstance(n, ast.Name) for n in targets):
                at = fresh("at")
                if t in nested:
                    bounds = [_name(t, False, s), _name(stops[t], False, s)]
                else:
                    bounds = [_call("len", [_name(lists[t][0], False, s)], s)]
                s.iter = _call("reversed", [_call("range", bounds, s)], s)
                s.target = _name(at, True, s)
                reads: list[ast.stmt] = []
                for k, (lst, item, n) in enumerate(zip(lists[t], appends[t], targets,
                                                       strict=True)):
                    reads.append(_assign(n.id, _subscript(lst, at, s), s))
                    if (t, k) in stop_lists:
                        reads.append(_assign(stops[item.id], _subscript(stop_lists[t, k], at,
                                                                        s), s))
                s.body = reads + rewrite(s.body)
                out.append(s)
                continue
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, rewrite(getattr(s, field)))
            out.append(s)
        return out

    body = rewrite(tree.body)
    docstring = body[:1] if isinstance(body[0], ast.Expr) and \
        isinstance(body[0].value, ast.Constant) else []
    tree.body = docstring + hoisted + body[len(docstring):]
    return ast.fix_missing_locations(tree)


def _subscript(lst: str, at: str, where: ast.AST) -> ast.Subscript:
    return _at(ast.Subscript(_name(lst, False, where), _name(at, False, where),
                                           ast.Load()), where)


def _list_copies(stmts: list[ast.stmt], tree: ast.AST) -> bool:
    """A list a generated loop extends by a copy (forward mode's ``outs_2 = outs_1 + [h]``,
    carried back by ``..., outs_1, ... = ..., outs_2, ...`` at the end of the body) read as
    the append the lowering reads (``outs_1.append(h)``), where nothing else in the body
    reads the old list and nothing after the loop reads the new one."""
    changed = False
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                changed |= _list_copies(getattr(s, field), tree)
        if isinstance(s, (ast.For, ast.While)) and s.body:
            changed |= _appends_in(s, tree)
    return changed


def _appends_in(loop: ast.For | ast.While, tree: ast.AST) -> bool:
    carry = loop.body[-1]
    if not (isinstance(carry, ast.Assign) and len(carry.targets) == 1):
        return False
    targets, values = _items(carry.targets[0]), _items(carry.value)
    if len(targets) != len(values) or not all(isinstance(t, ast.Name) for t in targets):
        return False
    changed = False
    for i, s in enumerate(loop.body[:-1]):
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and
                isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.BinOp) and
                isinstance(s.value.op, ast.Add) and isinstance(s.value.left, ast.Name) and
                isinstance(s.value.right, ast.List) and len(s.value.right.elts) == 1):
            continue
        new, old = s.targets[0].id, s.value.left.id
        k = next((k for k, (t, v) in enumerate(zip(targets, values, strict=True))
                  if t.id == old and isinstance(v, ast.Name) and v.id == new), None)
        others = [n for j, b in enumerate(loop.body[:-1]) if j != i for n in ast.walk(b)]
        rest = [v for j, v in enumerate(values) if j != k]
        outside = [n for n in ast.walk(tree) if n not in set(ast.walk(loop))]
        if k is None or any(isinstance(n, ast.Name) and n.id == old for n in others) or \
                any(isinstance(n, ast.Name) and n.id == new for v in rest
                    for n in ast.walk(v)) or \
                any(isinstance(n, ast.Name) and n.id in (new, old) and
                    isinstance(n.ctx, ast.Store) for n in others) or \
                any(isinstance(n, ast.Name) and n.id == new for n in outside):
            continue
        loop.body[i] = _append(old, s.value.right.elts[0], s)
        for b in loop.body[i + 1:-1]:  # (later reads of the new list: the same list)
            for n in ast.walk(b):
                if isinstance(n, ast.Name) and n.id == new:
                    n.id = old
        del targets[k], values[k]
        changed = True
    if changed:
        if not targets:
            loop.body[-1] = _at(ast.Pass(), carry)
        elif len(targets) == 1:
            carry.targets, carry.value = [targets[0]], values[0]
        else:
            carry.targets[0] = _at(ast.Tuple(targets, ast.Store()), carry)
            carry.value = _at(ast.Tuple(values, ast.Load()), carry)
    return changed
