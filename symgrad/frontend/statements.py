"""Lowering statements: assignment, in-place writes, `return`, `with no_grad()`, and `if`
with the join of its branches."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symgrad.frontend import desugar
from symgrad.frontend.common import (
    STOP,
    as_python_typed,
    assigned_in,
    loc,
)
from symgrad.frontend.inlining import LocalFunction
from symgrad.frontend.ir import (
    Block,
    If,
    Phi,
)
from symgrad.frontend.parse import MISSING
from symgrad.rules import masks, registry
from symgrad.rules.base import Static, Structural, static
from symgrad.rules.indexing import FancySetItem, GetItem, SetItem, SliceOf
from symgrad.rules.operators import Assert, FloorDiv, IntOf, Mod, StopGradient
from symgrad.rules.shape import (
    Len,
    Shape,
    ShapeAt,
    _Meta,
)


class StatementLowering:
    """Statements, mixed into ``Lowerer``."""

    def stmts(self, body: list[ast.stmt]) -> None:
        for i, node in enumerate(body):
            if self.done:
                raise self.p.error(node, "unreachable code after `return`, `break` or "
                                   "`continue`", "remove the unreachable code")
            if isinstance(node, ast.If) and _jumps(node):
                # the rest of the block runs only on the paths that do not jump: move it into
                # those branches so every branch ends where the block ends
                self.if_(node, body[i + 1:])
                return
            if isinstance(node, (ast.For, ast.While)) and node.orelse:
                self.stmts(desugar.else_as_flag(node, self.user_fresh) + body[i + 1:])
                return
            if isinstance(node, (ast.For, ast.While)) and desugar.loop_returns(node):
                self.stmts(desugar.return_as_break(node, body[i + 1:], self.user_fresh,
                                                   self.p.error))
                return
            self.stmt(node)

    def stmt(self, node: ast.stmt) -> None:
        self.stmt_lines = self.p.lines[node.lineno - 1: node.end_lineno]
        self.name_hint = None
        if isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.name_hint = node.targets[0].id
            value = self.expr(node.value)
            for target in node.targets:
                self.assign(target, value, node.value, node)
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            for other in names[1:]:  # a = b = ...: one array under two names
                self.memory.share(other, names[0], False, merge=True)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.expr(node.value), node.value, node)
        elif isinstance(node, ast.AugAssign):
            self.aug_assign(node)
        elif isinstance(node, ast.Return):
            self.return_(node)
        elif isinstance(node, ast.With):
            self.with_(node)
        elif isinstance(node, ast.If):
            self.if_(node, [])
        elif isinstance(node, ast.Assert):
            self.assert_statement(node)
        elif isinstance(node, ast.For):
            self.for_(node)
        elif isinstance(node, ast.While):
            self.while_(node)
        elif isinstance(node, ast.Break):
            self.jump(node, break_=True)
        elif isinstance(node, ast.Continue):
            self.jump(node, break_=False)
        elif isinstance(node, ast.FunctionDef):
            if node.decorator_list:
                raise self.p.error(node, "decorated nested functions are not supported",
                                   "define the helper without decorators")
            self.env[node.name] = LocalFunction(node, self)
        elif isinstance(node, ast.Pass):
            pass
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            pass
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.call_statement(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, (ast.Yield, ast.YieldFrom,
                                                                    ast.Await)):
            raise self.p.error(node, "generators (`yield`) and `await` are not supported",
                               "return the values (a tuple) instead of yielding them")
        else:
            raise self.p.error(node, f"unsupported statement: {type(node).__name__}",
                               _STATEMENT_HINTS.get(type(node).__name__,
                                                    "symgrad differentiates assignments, "
                                                    "if/for/while, calls and `return`"))

    def with_(self, node: ast.With) -> None:
        if len(node.items) != 1 or node.items[0].optional_vars is not None or \
                not self._is_no_grad(node.items[0].context_expr):
            raise self.p.error(node, "only `with no_grad():` blocks are supported",
                               "use `with symgrad.no_grad():` to mark constants")
        self.no_grad_depth += 1
        self.stmts(node.body)
        self.no_grad_depth -= 1

    def _is_no_grad(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call) or node.args or node.keywords:
            return False
        obj = self.static_object(node.func)
        return getattr(obj, "__name__", None) == "no_grad" or \
            getattr(obj, "__symgrad_no_grad__", False)

    def return_(self, node: ast.Return) -> None:
        if node.value is None:
            raise self.p.error(node, "`return` without a value", "return the function's output")
        self.returns_tuple = isinstance(node.value, (ast.Tuple, ast.List))
        value = self.expr(node.value)
        if isinstance(value, dict):
            raise self.p.error(node, "returning a dict is not supported",
                               "return a tuple of values")
        values = list(value) if isinstance(value, (tuple, list)) else [value]
        self.returns_tuple = isinstance(value, (tuple, list))
        names = []
        for i, v in enumerate(values):
            if isinstance(v, sp.Symbol) and v.name in self.ctx.versions and \
                    v.name not in self.loop_names:
                names.append(v.name)
                continue
            base = self.return_base if len(values) == 1 else f"{self.return_base}{i}"
            item = node.value.elts[i] if isinstance(node.value, (ast.Tuple, ast.List)) and \
                len(node.value.elts) == len(values) else node.value
            names.append(self.emit(base, as_python_typed(v, item), node))
        self.returns = names
        self.returned = self.done = True

    def jump(self, node: ast.stmt, break_: bool) -> None:
        if not self.loop_outer:
            raise self.p.error(node, f"`{'break' if break_ else 'continue'}` outside a loop")
        if break_:
            self.env[STOP] = sp.true
        self.done = True

    def assign(self, target: ast.expr, value: Any, value_node: ast.expr, node: ast.stmt,
               in_place: bool = False) -> None:
        if isinstance(target, ast.Name):
            fresh = isinstance(value_node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp)) \
                or isinstance(value_node, ast.Call) and _copies(value_node)
            if not in_place:
                self.memory.bind(target.id, value_node)
                if not fresh:
                    # what the value is made of: s = helper(y) that returns y (or y[0], y.T),
                    # rows = [Y[0], Y[1]], a = (b, c)[0] share the arrays they hold
                    for other, partial in self.value_sources(value, target.id):
                        self.memory.share(target.id, other, partial, merge=True)
                        if partial:
                            self.memory.views.setdefault(target.id, (other, None))
            if isinstance(value, (tuple, list, dict, LocalFunction)):
                if isinstance(value, tuple) and isinstance(value_node, (ast.List, ast.ListComp)):
                    value = list(value)  # (a list can be appended to)
                self.env[target.id] = value  # containers live at decoration time
                return
            if self.is_runtime_list(value) and isinstance(value_node, (ast.ListComp,
                                                                       ast.GeneratorExp)):
                self.env[target.id] = value  # a new list built in a loop: a name for it
                return
            if value is None:
                raise self.p.error(value_node, "None cannot be assigned here",
                                   "symgrad differentiates numbers and arrays")
            value = as_python_typed(value, value_node)  # s = 0.0 stays a float
            name = self.emit(target.id, value, node)
            if fresh:  # x * 1.0 is a new array even where SymPy's value is x itself
                self.ctx.defs[name] = None
            self.env[target.id] = sp.Symbol(name, real=True)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), value_node)
            nodes = value_node.elts if isinstance(value_node, (ast.Tuple, ast.List)) and \
                len(value_node.elts) == len(items) else [value_node] * len(items)
            before = {n.id: self.memory.of(n.id) for n in nodes if isinstance(n, ast.Name)}
            for t, v, n in zip(target.elts, items, nodes, strict=True):
                self.assign(t, v, n, node)
                if isinstance(t, ast.Name) and isinstance(n, ast.Name):  # a, b = b, a
                    self.memory.names[t.id] = before[n.id]
            return
        if isinstance(target, ast.Subscript):
            self.set_item(target, value, node)
            return
        raise self.p.error(target, f"assignment to {type(target).__name__.lower()} "
                           "is not supported", "assign to names and array elements")

    def aug_assign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            current = self.name(ast.Name(target.id, ast.Load(), **loc(target)))
        elif isinstance(target, ast.Subscript):
            current = self.expr(ast.Subscript(target.value, target.slice, ast.Load(),
                                              **loc(target)))
        else:
            raise self.p.error(target, "augmented assignment to an attribute is not supported",
                               "assign to names and array elements")
        value = self.binop(node.op, current, self.expr(node.value), node)
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and \
                isinstance(self.env.get(target.value.id), (list, dict, tuple)) and \
                isinstance(current, sp.Symbol):
            holders = [n for n, v in self.env.items() if v == current]
            if holders:  # d["a"] += 1 where d["a"] is the array y: numpy changes y too
                raise self.p.error(node, f"in-place write to an element of "
                                   f"{target.value.id!r}, which is the array {holders[0]!r}, "
                                   "so numpy would change it too; symgrad does not model "
                                   "shared memory", "write the element as a new value: "
                                   f"{ast.unparse(target)} = {ast.unparse(target)} + ...")
        if isinstance(current, sp.Basic) and current.free_symbols:  # an array: written in place
            name = target.id if isinstance(target, ast.Name) else \
                target.value.id if isinstance(target.value, ast.Name) else None
            if name is not None:
                self.check_in_place(name, isinstance(target, ast.Name), node)
        self.assign(target, value, node.value, node, in_place=True)

    def assert_statement(self, node: ast.Assert) -> None:
        """``assert cond, "msg"``: kept as written; a condition known now is decided now."""
        cond = self.expr(node.test)
        if not isinstance(cond, sp.Basic):
            cond = sp.true if cond else sp.false
        msg = None
        if node.msg is not None:
            if not (isinstance(node.msg, ast.Constant) and isinstance(node.msg.value, str)):
                raise self.p.error(node.msg, "an assert's message must be a constant string",
                                   'write assert cond, "message"')
            msg = node.msg.value
        if cond == sp.true or isinstance(cond, sp.Number) and cond != 0:
            return
        self.emit("check", Assert(cond, static(msg)), node)

    def surely_int(self, part: Any) -> bool:
        """An index part that is an integer or a slice, never an array."""
        if isinstance(part, Static):
            return not isinstance(part.value, (list, tuple))
        if isinstance(part, SliceOf):
            return all(self.surely_int(a) for a in part.args)
        if isinstance(part, (_Meta, IntOf)):  # len(x), x.shape[0], int(...)
            return True
        if isinstance(part, sp.Number):
            return bool(part.is_integer)
        if isinstance(part, sp.Symbol):
            return part.name in self.ctx.int_names
        if isinstance(part, (sp.Add, sp.Mul, Mod, FloorDiv)):
            return all(self.surely_int(a) for a in part.args)
        return False

    def value_sources(self, value: Any, target: str) -> list[tuple[str, bool]]:
        """(name, partial) for each other name whose array ``value`` is, or views, or holds."""
        roots: list[tuple[Any, bool]] = []
        seen: set[str] = set()

        def walk(v: Any, partial: bool) -> None:
            if isinstance(v, (tuple, list)):
                for e in v:
                    walk(e, True)
            elif isinstance(v, dict):
                for e in v.values():
                    walk(e, True)
            elif isinstance(v, sp.Symbol):
                roots.append((v, partial))
                if self.ctx.defs.get(v.name) is not None and v.name not in seen:  # a helper's result
                    seen.add(v.name)
                    walk(self.ctx.defs[v.name], partial)
            elif isinstance(v, GetItem):
                walk(v.args[0], True)
            elif registry.is_view(v):  # x.T, x.reshape(...), np.flip(x): x's memory
                walk(v.args[0], partial)

        walk(value, False)
        return [(name, partial) for sym, partial in roots for name, held in self.env.items()
                if name != target and isinstance(held, sp.Symbol) and held == sym]

    def check_views_of(self, name: str, index: ast.expr, node: ast.stmt) -> None:
        """Refuse ``x[i] = v`` while ``r = x[j]`` may see it: read after the write, at an index
        that may be the same. (For a 1-D x, r is a number and would not change; for rows it
        is a view and would: symgrad cannot tell them apart before the call.)"""
        for view, (base, where) in list(self.memory.views.items()):
            if base != name or view == name or _disjoint(where, index, self.var_min) or \
                    not self.memory.shares(view, name) or not self.read_after(view, node):
                continue
            raise self.p.error(node, f"write into {name!r} while {view!r} = {name}[...] may "
                               "be a view of the same elements and is read afterwards",
                               f"copy what you keep: {view} = {name}[...].copy(), or "
                               f"float({name}[i]) for a number")

    def read_after(self, name: str, node: ast.stmt) -> bool:
        """Whether ``name`` may be read after ``node`` runs: later in the code, or anywhere in
        an enclosing loop it was bound outside of (the next iteration)."""
        end = (node.end_lineno, node.end_col_offset)
        loads = [n for n in ast.walk(self.p.tree) if isinstance(n, ast.Name) and n.id == name
                 and isinstance(n.ctx, ast.Load)]
        if any((n.lineno, n.col_offset) > end for n in loads):
            return True
        for loop in self.loop_nodes:
            if name not in assigned_in(loop.body) and any(
                    isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
                    for n in ast.walk(loop)):
                return True
        return False

    def check_in_place(self, name: str, whole: bool, node: ast.stmt) -> None:
        """Refuse an in-place write that another name for the same memory would see."""
        found = self.memory.conflict(name, whole)
        if found is None:
            return
        other, how = found
        other = other if other.startswith("the caller's") else repr(other)
        raise self.p.error(node, f"in-place write to {name!r}: {how}, so numpy would change "
                           f"{other} too; symgrad does not model shared memory",
                           f"make the copy explicit ({name} = {name}.copy() before writing) "
                           f"or build a new array ({name} = {name} + ...)")

    def set_item(self, target: ast.Subscript, value: Any, node: ast.stmt) -> None:
        """``x[i] = v``: rebind x to a copy with v written in; containers are copied too."""
        if not isinstance(target.value, ast.Name):
            raise self.p.error(target, "only `name[index] = value` is supported",
                               "index a plain variable")
        name = target.value.id
        base = self.name(target.value)
        if isinstance(base, (list, dict)):
            key = self.container_key(target, base)
            new = dict(base) if isinstance(base, dict) else list(base)
            new[key] = value
            self.env[name] = new
            return
        if isinstance(base, tuple):
            raise self.p.error(target, "tuples are immutable", "use a list or an array")
        if isinstance(value, (tuple, list, dict)) or value is None:
            raise self.p.error(node, "only numbers and arrays can be written into an array")
        if name not in self.locals:
            raise self.p.error(node, f"write into {name!r}, an array of the enclosing function "
                               "or a global: numpy would change it there too, symgrad only "
                               "here", f"return the new array and assign it where {name!r} "
                               "lives, or copy it first")
        if not isinstance(node, ast.AugAssign):
            self.check_in_place(name, False, node)
        self.check_views_of(name, target.slice, node)
        parts = self.index_parts(target)
        if isinstance(value, sp.Basic) and any(
                isinstance(n, (sp.Function, Structural)) for n in sp.preorder_traversal(value)):
            # a value of its own, so the backward pass can reuse it (tanh' = 1 - y**2)
            value = sp.Symbol(self.emit(f"{name}_item", value, node), real=True)
        # an index that may hold an integer array may repeat a position: the last write wins
        cls = SetItem if all(self.surely_int(p) for p in parts) else FancySetItem
        self.env[name] = sp.Symbol(self.emit(name, cls(base, value, *parts), node), real=True)

    def unpack(self, value: Any, n: int, node: ast.expr) -> list[Any]:
        value = self.shape_def(value)  # s = x.shape; n, m = s: n, m = x.shape
        if isinstance(value, (tuple, list, sp.Tuple)):
            if len(value) != n:
                raise self.p.error(node, f"cannot unpack {len(value)} values into {n} names")
            return list(value)
        if isinstance(value, Shape):
            return [ShapeAt(value.args[0], static(i)) for i in range(n)]
        if isinstance(value, sp.Expr) and value.free_symbols:
            # rows of an array (or items of a tuple argument): Python refuses another count
            self.emit("check", Assert(sp.Eq(Len(value), n), static(
                f"cannot unpack {ast.unparse(node)} into {n} names")), node)
            return [GetItem(value, static(i)) for i in range(n)]
        raise self.p.error(node, "cannot unpack this value", "unpack tuples, arrays or `x.shape`")

    def condition(self, node: ast.expr, name_it: bool = True) -> Any:
        cond = self.expr(node)
        if isinstance(cond, (tuple, list, dict)) or cond is None:
            return sp.true if cond else sp.false  # Python truthiness of a container
        if isinstance(cond, (bool, int)):
            return sp.true if cond else sp.false
        if cond.is_Number:
            return sp.true if cond != 0 else sp.false
        if name_it and any(isinstance(n, Structural) and not isinstance(n, _Meta)
                           for n in sp.preorder_traversal(cond)):
            # worth computing once: the backward pass reads it again to take the same branch
            return sp.Symbol(self.emit("cond", StopGradient(cond), node), real=True)
        return cond

    def if_(self, node: ast.If, rest: list[ast.stmt]) -> None:
        self.stmt_lines = header = self.p.lines[node.lineno - 1: node.lineno]
        cond = self.condition(node.test)
        branches = [list(node.body), list(node.orelse)]
        if rest:
            branches = [b if _terminates(b) else b + rest for b in branches]
        if cond in (sp.true, sp.false):  # decided at decoration time (shapes, constants)
            self.stmts(branches[0] if cond == sp.true else branches[1])
            return
        outcomes = [self.branch(lambda b=b: self.stmts(b)) for b in branches]
        self.stmt_lines = header
        self.join(cond, outcomes, node)

    def branch(self, lower: Any) -> _Outcome:
        """Lower one side of a branch in a copy of the environment."""
        env, block, memory = self.env, self.block, self.memory
        self.env, self.block, self.memory = dict(env), Block(), memory.copy()
        self.done = self.returned = False
        self.returns = []
        lower()
        out = _Outcome(self.env, self.block, self.returned, list(self.returns),
                       self.returns_tuple)
        memory.merge(self.memory)  # a name may point wherever either path left it
        self.env, self.block, self.memory = env, block, memory
        return out

    def join(self, cond: Any, outcomes: list[_Outcome], node: ast.AST,
             phis: list[Phi] | None = None) -> None:
        then, orelse = outcomes
        phis = list(phis or [])
        if then.returned != orelse.returned:
            raise self.p.error(node, "one branch returns and the other does not",
                               "return on every path (or on none) of this `if`")
        if then.returned:
            if then.returns_tuple != orelse.returns_tuple or \
                    len(then.returns) != len(orelse.returns):
                raise self.p.error(node, "the branches return different numbers of values")
            names = []
            for i, (a, b) in enumerate(zip(then.returns, orelse.returns, strict=True)):
                base = self.return_base if len(then.returns) == 1 else f"{self.return_base}{i}"
                target = self.fresh(base)
                phis.append(Phi(target, sp.Symbol(a, real=True), sp.Symbol(b, real=True)))
                names.append(target)
            self.returns, self.returns_tuple = names, then.returns_tuple
            self.returned = self.done = True
        else:
            self.done = False
            env: dict[str, Any] = {}
            for key in dict.fromkeys([*then.env, *orelse.env]):
                a, b = then.env.get(key, MISSING), orelse.env.get(key, MISSING)
                if a is MISSING or b is MISSING:
                    self.branch_locals.add(key)
                    continue
                if key == STOP and {a, b} == {sp.true, sp.false}:
                    env[key] = cond if a == sp.true else masks.LogicalNot(cond)  # break when cond
                    continue
                env[key] = self.join_value(key, a, b, phis, node)
            self.env = env
        if phis or then.block.stmts or orelse.block.stmts:
            self.block.stmts.append(If(cond, then.block, orelse.block, phis,
                                       self.p.file_lineno(node), list(self.stmt_lines)))

    def join_value(self, key: str, a: Any, b: Any, phis: list[Phi], node: ast.AST) -> Any:
        if a is b or (isinstance(a, sp.Basic) and isinstance(b, sp.Basic) and a == b):
            return a
        if isinstance(a, (tuple, list)) and type(a) is type(b) and len(a) == len(b):
            return type(a)(self.join_value(key, x, y, phis, node) for x, y in zip(a, b,
                                                                                strict=True))
        if not (isinstance(a, sp.Basic) and isinstance(b, sp.Basic)):
            raise self.p.error(node, f"{key!r} holds different containers or functions after "
                               "the branches", "give it the same structure on both paths")
        target = self.fresh("stop" if key == STOP else key)
        if self.is_runtime_list(a) or self.is_runtime_list(b):  # lists.py
            self.ctx.list_names.add(target)
        phis.append(Phi(target, a, b))
        self.ctx.defs[target] = (a, b)  # either side, for value_sources
        return sp.Symbol(target, real=True)

    def expr_IfExp(self, node: ast.IfExp) -> Any:
        cond = self.condition(node.test)
        if cond in (sp.true, sp.false):
            return self.expr(node.body if cond == sp.true else node.orelse)
        base = self.name_hint or "value"
        results = []

        def side(e: ast.expr) -> Any:
            def lower() -> None:
                value = as_python_typed(self.expr(e), e)  # 0.0 if c else 1.0: a float
                results.append(self.as_symbol(value, base, node))
            return lower

        lines = list(self.stmt_lines)
        outcomes = [self.branch(side(node.body)), self.branch(side(node.orelse))]
        self.stmt_lines = lines
        a, b = results
        if a == b:
            self.join(cond, outcomes, node)
            return a
        target = self.fresh(base)
        self.join(cond, outcomes, node, [Phi(target, a, b)])
        self.ctx.defs[target] = (a, b)
        return sp.Symbol(target, real=True)

    def call_statement(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("append", "extend") and \
                isinstance(func.value, ast.Name):
            base = self.env.get(func.value.id)
            if self.is_runtime_list(base):
                if func.attr == "extend":
                    raise self.p.error(node, "list.extend of a list built in a loop is not "
                                       "supported", "append each item")
                self.list_append(node, func.value.id, base)
                return
            if func.attr == "extend" and isinstance(base, list):
                if self.loop_outer and func.value.id in self.loop_outer[-1]:
                    raise self.p.error(node, "list.extend inside a loop is not supported",
                                       f"append each item: {func.value.id}.append(v)")
                items = self.expr(node.args[0]) if len(node.args) == 1 and \
                    not node.keywords else None
                if not isinstance(items, (tuple, list)):
                    raise self.p.error(node, "list.extend takes one list or tuple",
                                       "append each item")
                self.env[func.value.id] = [*base, *items]
                return
            if isinstance(base, list):
                if self.loop_outer and func.value.id in self.loop_outer[-1]:
                    raise self.p.error(node, "appending to a list inside a loop is not "
                                       "supported: its length would depend on the trip count",
                                       "preallocate an array, hs = np.zeros((T, n)), and "
                                       "write hs[t] = ...")
                if len(node.args) != 1 or node.keywords:
                    raise self.p.error(node, "list.append takes one argument")
                self.env[func.value.id] = [*base, self.expr(node.args[0])]
                return
        value = self.expr(node)
        if isinstance(value, sp.Basic) and value.free_symbols:
            pass  # a call for its value only: nothing to record


@dataclass
class _Outcome:
    env: dict[str, Any]
    block: Block
    returned: bool
    returns: list[str]
    returns_tuple: bool


_STATEMENT_HINTS = {
    "Try": "exceptions are not differentiable control flow: check inputs before calling",
    "Raise": "raise errors before calling the differentiated function",
    "ClassDef": "define classes outside the differentiated function",
    "Global": "a differentiated function cannot write globals: return the value instead",
    "Nonlocal": "return the value instead of writing an enclosing function's variable",
    "Delete": "drop the `del`: names go out of scope at the end of the function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "AsyncFunctionDef": "async functions are not supported",
    "Match": "use if/elif/else",
}


def _jumps(node: ast.If) -> bool:
    """Whether a branch contains return, or break/continue of the enclosing loop."""
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Return, ast.Break, ast.Continue)):
            return True
        for child in ast.iter_child_nodes(n):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                  ast.ClassDef)):
                continue
            if isinstance(child, (ast.For, ast.While)):
                # break/continue inside belong to that loop; a return would still jump
                if any(isinstance(x, ast.Return) for x in ast.walk(child)):
                    return True
                continue
            stack.append(child)
    return False


def _terminates(body: list[ast.stmt]) -> bool:
    """Whether every path through the statements ends in return, break or continue."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Return, ast.Break, ast.Continue, ast.Raise)):
        return True
    if isinstance(last, ast.If):
        return _terminates(last.body) and _terminates(last.orelse)
    return False


def _copies(call: ast.Call) -> bool:
    """``x.copy()``, ``np.copy(x)``, ``np.array(x)``: a new array, whatever symgrad's value."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else ""
    return name in ("copy", "array", "flatten", "astype")


def _disjoint(a: ast.expr | None, b: ast.expr | None, mins: dict[str, int]) -> bool:
    """Two indices that are surely different: ``t`` and ``t + 1``, ``0`` and ``2``."""
    def split(e: ast.expr) -> tuple[str, int] | None:
        if isinstance(e, ast.Constant) and type(e.value) is int:
            return "", e.value
        if isinstance(e, ast.Name):
            return e.id, 0
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)) and \
                isinstance(e.left, ast.Name) and isinstance(e.right, ast.Constant) and \
                type(e.right.value) is int:
            return e.left.id, e.right.value if isinstance(e.op, ast.Add) else -e.right.value
        return None

    def span(e: ast.expr) -> tuple[int, int] | None:  # [lo, hi) of a constant index
        if isinstance(e, ast.Constant) and type(e.value) is int and e.value >= 0:
            return e.value, e.value + 1
        if isinstance(e, ast.Slice) and e.step is None and all(
                isinstance(b, ast.Constant) and type(b.value) is int and b.value >= 0
                for b in (e.lower, e.upper) if b is not None) and e.upper is not None:
            return (e.lower.value if e.lower is not None else 0), e.upper.value
        return None

    if a is None or b is None:
        return False
    ra, rb = span(a), span(b)
    if ra is not None and rb is not None:  # y[2:4] and y[0]
        return ra[1] <= rb[0] or rb[1] <= ra[0]
    x, y = split(a), split(b)
    if x is None or y is None or x[0] != y[0] or x[1] == y[1]:
        return False
    # both surely >= 0 (t - 3 could wrap around to the same row as t, unless t >= 3)
    low = 0 if x[0] == "" else mins.get(x[0])
    return low is not None and low + x[1] >= 0 and low + y[1] >= 0
