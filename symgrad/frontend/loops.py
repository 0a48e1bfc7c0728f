"""Lowering loops: `for` over ranges, arrays, enumerate and zip (nested, of arrays and
lists), `while`, loops over lists (unrolled), and comprehensions (unrolled at decoration time
over constants; over a runtime range or array, a kept loop building a list: lists.py).

A name first assigned inside a loop is carried with an UNBOUND init (common.py): after the
loop it holds the last iteration's value, and reading it after no iterations raises
UnboundLocalError in the generated code, as in Python. A list the loop appends to is
carried as a value of the generated code (lists.py)."""

from __future__ import annotations

import ast
from typing import Any

import sympy as sp

from symgrad.frontend.aliasing import sources_of
from symgrad.frontend.common import (
    STOP,
    UNBOUND,
    assigned_in,
    loc,
    walk_scope_list,
)
from symgrad.frontend.inlining import LocalFunction
from symgrad.frontend.ir import (
    Block,
    Carry,
    Loop,
    reads,
    substitute,
)
from symgrad.frontend.parse import MISSING
from symgrad.rules.indexing import GetItem
from symgrad.rules.lists import ListItem
from symgrad.rules.operators import StopGradient
from symgrad.rules.shape import Len

_INDEX = "<index>"  # the env key of the position in `for v in x` (no user name shadowed)


class LoopLowering:
    """Loops and comprehensions, mixed into ``Lowerer``."""

    def for_(self, node: ast.For) -> None:
        self.stmt_lines = self.p.lines[node.lineno - 1: node.lineno]
        it = node.iter
        func = self.static_object(it.func) if isinstance(it, ast.Call) else None
        backwards = func is reversed and len(it.args) == 1 and not it.keywords and \
            isinstance(it.args[0], ast.Call) and self.static_object(it.args[0].func) is range
        if backwards:
            it, func = it.args[0], range
        if func is range:
            if it.keywords or not 1 <= len(it.args) <= 3:
                raise self.p.error(it, "range() takes 1 to 3 positional arguments")
            bounds = [self.scalar_arg(a) for a in it.args]
            if backwards:  # reversed(range(a, b)) is range(b - 1, a - 1, -1)
                if len(bounds) == 3:
                    raise self.p.error(it, "reversed(range(a, b, step)) is not supported",
                                       "write the descending range(...) out")
                start, stop = ([sp.Integer(0)] + bounds)[-2:]
                bounds = [stop - 1, start - 1, sp.Integer(-1)]
            if not isinstance(node.target, ast.Name):
                raise self.p.error(node.target, "a range loop needs a plain loop variable")
            name = node.target.id
            low = sp.Integer(0) if len(bounds) == 1 else bounds[0]
            ascending = len(bounds) < 3 or isinstance(bounds[2], sp.Integer) and bounds[2] > 0
            saved = self.var_min.pop(name, None)
            if not backwards and ascending and isinstance(low, sp.Integer) and low >= 0:
                self.var_min[name] = int(low)  # t - 1 >= 0 in range(1, n): no wrap-around
            try:
                self.loop(node, "for", name, bounds, None, None)
            finally:
                self.var_min.pop(name, None)
                if saved is not None:
                    self.var_min[name] = saved
            return
        written = {
            n.value.id for n in walk_scope_list(node.body)
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
            and isinstance(n.value, ast.Name)}
        source = self.loop_source(it, written)
        if source[0] == "static":
            self.unrolled(node, source[1])
            return
        _, n, item_of, counter = source
        var_name = _INDEX
        target = node.target
        if counter is not None:  # enumerate: the user's index is the loop variable
            if not (isinstance(target, ast.Tuple) and len(target.elts) == 2 and
                    isinstance(target.elts[0], ast.Name)):
                raise self.p.error(it, "write `for i, v in enumerate(x):` "
                                   "or `enumerate(x, start)`")
            var_name, target = target.elts[0].id, target.elts[1]
        start = counter if counter is not None else sp.Integer(0)
        bounds = [n] if start == 0 else [start, n + start]

        def bind(i: Any) -> None:
            value, value_node = item_of(i - start)
            self.assign(target, value, value_node, node)

        self.loop(node, "for", var_name, bounds, None, bind)

    def loop_source(self, it: ast.expr, written: set[str]) -> tuple[Any, ...]:
        """What ``for ... in it`` iterates over: ``("static", items)`` for a list, tuple or
        dict known at decoration time (the loop is unrolled), or ``("runtime", n, item_of,
        start)``: ``n`` items, ``item_of(i)`` the i-th as (value, the ast node it is read
        from), ``start`` the enumerate counter's start (None without enumerate). ``written``:
        the names the loop body writes into (iterating over one of them is refused)."""
        func = self.static_object(it.func) if isinstance(it, ast.Call) else None
        if func is enumerate:
            starts = [*it.args[1:], *(k.value for k in it.keywords if k.arg == "start")]
            if not 1 <= len(it.args) <= 2 or len(starts) > 1 or \
                    any(k.arg != "start" for k in it.keywords):
                raise self.p.error(it, "write `for i, v in enumerate(x):` "
                                   "or `enumerate(x, start)`")
            start = self.scalar_arg(starts[0]) if starts else sp.Integer(0)
            inner = self.loop_source(it.args[0], written)
            if inner[0] == "static":
                if not start.is_Integer:
                    raise self.p.error(it, "enumerate over a list needs a constant start")
                return "static", [(sp.Integer(i), v) for i, v in enumerate(inner[1],
                                                                           int(start))]
            if inner[3] is not None:
                raise self.p.error(it, "enumerate(enumerate(...)) is not supported",
                                   "enumerate once and compute the other counter")
            return "runtime", inner[1], inner[2], start
        if func is zip:
            strict = [k for k in it.keywords if k.arg == "strict"]
            if len(strict) != len(it.keywords) or not it.args or strict and not (
                    isinstance(strict[0].value, ast.Constant) and
                    strict[0].value.value is False):
                raise self.p.error(it, "write `for a, b in zip(x, y):`",
                                   "zip(..., strict=True) is not supported: check the "
                                   "lengths before the loop")
            parts = [self.loop_source(a, written) for a in it.args]
            if any(q[0] == "runtime" and q[3] is not None for q in parts):
                raise self.p.error(it, "zip of enumerate(...) is not supported",
                                   "write enumerate(zip(...)) instead")
            static_parts = [q[1] for q in parts if q[0] == "static"]
            if static_parts:
                # a list fixes the length at decoration time; an array zipped with it is
                # indexed at 0..len-1 (numpy raises IndexError if it is shorter, where zip
                # would stop early)
                k = min(len(q) for q in static_parts)
                return "static", [tuple(q[1][j] if q[0] == "static" else q[2](sp.Integer(j))[0]
                                        for q in parts) for j in range(k)]
            n = parts[0][1] if len(parts) == 1 else sp.Min(*[q[1] for q in parts])

            def item_of(i: Any) -> tuple[Any, ast.expr]:
                items = [q[2](i) for q in parts]
                return tuple(v for v, _ in items), ast.Tuple([a for _, a in items], ast.Load(),
                                                            **loc(it))

            return "runtime", n, item_of, None
        if isinstance(it, ast.Name) and it.id in written:
            # numpy's iterator would see the writes as it goes; symgrad iterates over the
            # array as it was when the loop began
            raise self.p.error(it, f"the loop iterates over {it.id!r} and its body "
                               "writes into it", f"loop over range(len({it.id})) and "
                               f"index {it.id}[i] where you mean its current value")
        seq = self.iterable(it)
        if isinstance(seq, (tuple, list, dict)):
            return "static", list(seq)
        item = ListItem if self.is_runtime_list(seq) else GetItem  # a list built in a loop
        return "runtime", Len(seq), lambda i: (item(seq, i), _item_of(it)), None

    def iterable(self, node: ast.expr) -> Any:
        value = self.expr(node)
        if isinstance(value, (tuple, list, dict)):
            return value
        if isinstance(value, LocalFunction) or value is None:
            raise self.p.error(node, "cannot iterate over this value",
                               "iterate over range(...), an array, or a list of arrays")
        return self.as_symbol(value, "seq", node)

    def unrolled(self, node: ast.For, items: list[Any]) -> None:
        """A loop over a list known at decoration time: its body once per element."""
        if any(isinstance(n, (ast.Break, ast.Continue)) for n in walk_scope_list(node.body)):
            raise self.p.error(node, "break/continue in a loop over a list is not supported",
                               "loop over range(len(...)) instead")
        for item in items:
            self.assign(node.target, item, node.iter, node)
            self.stmts(node.body)

    def while_(self, node: ast.While) -> None:
        self.stmt_lines = self.p.lines[node.lineno - 1: node.lineno]
        self.loop(node, "while", None, [], node.test, None)

    def scalar_arg(self, node: ast.expr) -> Any:
        value = self.expr(node)
        if not isinstance(value, sp.Basic):
            raise self.p.error(node, "a loop bound must be a number")
        return value

    def loop(self, node: ast.For | ast.While, kind: str, var_name: str | None,
             bounds: list[Any], test: ast.expr | None, bind: Any) -> None:
        header_lines = list(self.stmt_lines)
        for n in walk_scope_list(node.body):  # a later iteration sees names the body binds
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and \
                    isinstance(n.targets[0], ast.Name):
                for src in sources_of(n.value):
                    self.memory.share(n.targets[0].id, *src, merge=True)
            elif isinstance(n, ast.For) and isinstance(n.target, ast.Name):
                for src in sources_of(_item_of(n.iter)):
                    self.memory.share(n.target.id, *src, merge=True)
        carried: list[tuple[str, str, Any]] = []
        first: dict[str, str] = {}  # a name first assigned in the body and read after the loop
        appended = {n.func.value.id for n in walk_scope_list(node.body)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
                    n.func.attr == "append" and isinstance(n.func.value, ast.Name)}
        for name in sorted(assigned_in(node.body) | appended):
            value = self.env.get(name, MISSING)
            if name in appended and isinstance(value, list) and \
                    name not in assigned_in(node.body):
                value = self.list_init(value, name, node)  # a list the generated code holds
            if value is MISSING and name != var_name and name not in self.loop_vars and \
                    name not in self.kept_loop_vars and self.read_after(name, node):
                first[name] = self.fresh(name)
            if value is MISSING or name == var_name:
                continue
            if not isinstance(value, sp.Basic):
                raise self.p.error(node, f"{name!r} is a list, tuple, dict or function that "
                                   "the loop reassigns",
                                   "containers are built at decoration time; inside a runtime "
                                   "loop write into a preallocated array (np.zeros) instead")
            init = self.as_symbol(value, name, node)
            entry = self.fresh(name)
            self.env[name] = sp.Symbol(entry, real=True)
            if self.is_runtime_list(init):
                self.mark_list(self.env[name])
            carried.append((name, entry, init))
        outer_block, self.block = self.block, Block()
        outer_stop = self.env.get(STOP, MISSING)
        self.env[STOP] = sp.false
        self.loop_outer.append(set(self.env))
        self.loop_nodes.append(node)
        cond = None
        if test is not None:
            cond = self.condition(test, name_it=False)  # the header tests it every iteration
            if self.block.stmts:
                raise self.p.error(test, "a while condition must be a plain expression",
                                   "compute the value in the loop body and test a name")
        var = None
        if var_name is not None:
            var = self.fresh("i" if var_name == _INDEX else var_name)
            self.ctx.int_names.add(var)
            self.env[var_name] = sp.Symbol(var, real=True)
            if bind is not None:
                bind(sp.Symbol(var, real=True))
        self.done = False
        self.stmts(node.body)
        self.done = False
        outer_names = self.loop_outer.pop()
        self.loop_nodes.pop()
        stop = self.env.get(STOP, sp.false)
        gone = [(name, entry) for name, entry, _ in carried if name not in self.env]
        if gone:  # an inner loop's variable (unbound after it): not carried by this loop
            used = set().union(*(reads(s) for s in self.block.stmts))
            for name, entry in gone:
                if sp.Symbol(entry, real=True) in used:
                    raise self.p.error(node, f"{name!r} is read in this loop before an inner "
                                       "loop that uses it as its variable",
                                       "give the inner loop's variable a name of its own")
            carried = [c for c in carried if c[0] in self.env]
        exits = {name: self.env[name] for name, _, _ in carried}
        rebound = {sp.Symbol(entry, real=True) for name, entry, _ in carried
                   if exits[name] != sp.Symbol(entry, real=True)}
        if isinstance(stop, sp.Basic) and stop.free_symbols & rebound:
            # the loop tests it after the carried names are rebound: keep the value it had
            stop = sp.Symbol(self.emit("stop", StopGradient(stop), node), real=True)
        # `for i in range(n)` leaves i bound to its last value, as in Python (and unbound
        # after no iterations: the generated loop behaves the same)
        keeps_var = kind == "for" and var_name not in (None, _INDEX) and \
            var_name not in outer_names and var_name not in assigned_in(node.body)
        for name, entry in list(first.items()):
            exit_ = self.env.get(name, MISSING)
            # (not a value an inner loop may have left unbound: after a later outer
            # iteration runs the inner loop, Python would still hold it)
            if isinstance(exit_, sp.Basic) and name not in outer_names and \
                    exit_ not in self.maybe_unbound:
                # Python: the last iteration's value (unbound after no iterations)
                carried.append((name, entry, UNBOUND))
                exits[name] = exit_
            else:
                del first[name]
        for name in list(self.env):
            if keeps_var and name == var_name:
                continue
            if name in first:
                continue
            if name not in outer_names or name == var_name:
                self.loop_locals.add(name)
                if name == var_name or name in self.kept_loop_vars:
                    self.loop_vars.add(name)
                del self.env[name]
        runs = kind == "for" and all(isinstance(b, sp.Integer) for b in bounds) and \
            len(range(*[int(b) for b in bounds])) > 0  # surely: what it binds is bound
        if keeps_var:
            self.kept_loop_vars.add(var_name)
            if not runs:
                self.maybe_unbound.add(sp.Symbol(var, real=True))
        if not runs:
            self.maybe_unbound |= {sp.Symbol(entry, real=True) for entry in first.values()}
        if outer_stop is MISSING:
            self.env.pop(STOP, None)
        else:
            self.env[STOP] = outer_stop
        body, self.block = self.block, outer_block
        carries, unchanged = [], {}
        for name, entry, init in carried:
            exit_ = exits[name]
            if not isinstance(exit_, sp.Basic):
                raise self.p.error(node, f"the loop turns {name!r} into a container",
                                   "keep loop-carried values arrays or numbers")
            if exit_ == sp.Symbol(entry, real=True):
                unchanged[sp.Symbol(entry, real=True)] = init
                self.env[name] = init
            else:
                carries.append(Carry(entry, init, exit_))
                self.env[name] = sp.Symbol(entry, real=True)
        if unchanged:
            substitute(body, unchanged)
            cond = cond.xreplace(unchanged) if cond is not None else None
            stop = stop.xreplace(unchanged)
            carries = [Carry(c.entry, c.init, c.exit.xreplace(unchanged)) for c in carries]
        self.loop_names |= {c.entry for c in carries}
        self.block.stmts.append(Loop(kind, var, bounds, cond, body, carries,
                                     None if stop == sp.false else stop,
                                     self.p.file_lineno(node), header_lines))

    def expr_ListComp(self, node: ast.ListComp | ast.GeneratorExp) -> Any:
        """A comprehension over values known at decoration time, unrolled into a list; over
        a runtime range or array, a loop building a list (lists.runtime_comprehension)."""
        pending, self.ctx.pending_comprehension = self.ctx.pending_comprehension, None
        if pending is not None and pending[0] is node:
            return pending[1]
        gen = node.generators[0]
        if self.runtime_iterable(gen.iter):
            return self.runtime_comprehension(node)
        items: list[Any] = []
        targets = {n.id for g in node.generators for n in ast.walk(g.target)
                   if isinstance(n, ast.Name)}
        saved = {name: self.env[name] for name in targets if name in self.env}
        self._comprehend(node, 0, items)
        for name in targets:  # like Python 3, the loop names do not leak out
            self.env.pop(name, None)
        self.env.update(saved)
        return tuple(items)

    expr_GeneratorExp = expr_ListComp

    def _comprehend(self, node: ast.ListComp | ast.GeneratorExp, level: int,
                    items: list[Any]) -> None:
        if level == len(node.generators):
            items.append(self.expr(node.elt))
            return
        gen = node.generators[level]
        for item in self.static_iterable(gen.iter, node):
            if isinstance(gen.target, ast.Name) and isinstance(item, sp.Basic) and \
                    item.is_Number:
                self.env[gen.target.id] = item  # a constant: `if k != 2` decides now
                self.memory.fresh(gen.target.id)
            else:
                self.assign(gen.target, item, gen.iter, node)
            keep = True
            for test in gen.ifs:
                cond = self.condition(test, name_it=False)
                if cond not in (sp.true, sp.false):
                    raise self.p.error(test, "a comprehension's `if` must be decided at "
                                       "decoration time", "use np.where(...) on whole "
                                       "arrays, or a for loop with an if")
                keep = keep and cond == sp.true
            if keep:
                self._comprehend(node, level + 1, items)

    def runtime_iterable(self, node: ast.expr) -> bool:
        """Whether a comprehension's iterable is known only at run time: a range with a
        runtime bound, or an array (read without lowering anything)."""
        func = self.static_object(node.func) if isinstance(node, ast.Call) else None
        if func in (enumerate, zip, reversed) and node.args:
            return any(self.runtime_iterable(a) for a in node.args[:1 if func is
                                                                      enumerate else None])
        if func is range:
            return not all(isinstance(a, ast.Constant) or isinstance(a, ast.Name) and
                           isinstance(self.env.get(a.id), sp.Integer) for a in node.args) \
                and any(isinstance(a, ast.Name) and isinstance(self.env.get(a.id), sp.Symbol)
                        or isinstance(a, (ast.Attribute, ast.Subscript, ast.Call))
                        for a in node.args)
        if isinstance(node, ast.Name):
            return isinstance(self.env.get(node.id), sp.Symbol)
        return isinstance(node, (ast.Subscript, ast.Attribute)) and \
            isinstance(node.value, ast.Name) and isinstance(self.env.get(node.value.id),
                                                             sp.Symbol)

    def static_iterable(self, node: ast.expr, where: ast.expr) -> list[Any]:
        """The items of ``range(...)`` with constant bounds, or of a tuple or list."""
        hint = ("write a for loop (symgrad keeps runtime loops), or compute on whole arrays "
                "(np.sum(x ** 2) rather than sum(v ** 2 for v in x))")
        func = self.static_object(node.func) if isinstance(node, ast.Call) else None
        if func is enumerate and node.args and len(node.args) + len(node.keywords) <= 2 and \
                all(k.arg == "start" for k in node.keywords):
            start = self.expr((node.args[1:] or [k.value for k in node.keywords] or
                               [ast.Constant(0)])[0])
            if isinstance(start, sp.Integer):
                items = self.static_iterable(node.args[0], where)
                return [(sp.Integer(i), v) for i, v in enumerate(items, int(start))]
        if func in (zip, reversed) and not node.keywords and node.args:
            items = [self.static_iterable(a, where) for a in node.args]
            if func is zip:
                return [tuple(t) for t in zip(*items, strict=False)]
            if len(items) == 1:
                return items[0][::-1]
        if isinstance(node, ast.Call) and func is range and not node.keywords:
            bounds = [self.expr(a) for a in node.args]
            if not 1 <= len(bounds) <= 3 or not all(
                    isinstance(b, sp.Basic) and b.is_Integer for b in bounds):
                raise self.p.error(node, "a comprehension over range() needs bounds known at "
                                   "decoration time", hint)
            return [sp.Integer(i) for i in range(*[int(b) for b in bounds])]
        value = self.expr(node)
        if isinstance(value, (tuple, list)):
            return list(value)
        raise self.p.error(where, "a comprehension must iterate over a range with constant "
                           "bounds, a tuple or a list", hint)


def _item_of(node: ast.expr) -> ast.expr:
    """``node[0]``: what a loop over ``node`` binds, for the shared-memory tracking."""
    return ast.Subscript(node, ast.Constant(0), ast.Load(), **loc(node))
