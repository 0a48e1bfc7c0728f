"""Lists built at run time: a list that a loop symgrad keeps appends to.

``outs = []`` is a decoration-time list (a container of the lowering, as any list is); when
a runtime loop appends to it (``outs.append(h)``), the loop carries it as a value of the
generated code instead, a Python list (``rules/lists.py`` has its nodes and its cotangent
convention). Such a list can then be appended to, stacked (``np.stack``, ``np.array``,
``np.asarray``), concatenated, summed (``sum``), measured (``len``), indexed with an integer
and iterated over; anything else is refused at decoration time: numpy would take the list
for an array (``outs * 2`` repeats it)."""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import sympy as sp

from symgrad.frontend.common import loc
from symgrad.frontend.parse import MISSING
from symgrad.rules.base import static
from symgrad.rules.lists import (
    Append,
    ConcatList,
    ListGradZeros,
    ListItem,
    ListItemGrad,
    ListOf,
    StackList,
    SumList,
)
from symgrad.rules.shape import Len

_USES = "stack it (np.stack(outs)), np.array(outs), np.concatenate(outs), sum(outs), " \
        "len(outs), outs[i] or `for o in outs`"


class ListLowering:
    """Runtime lists, mixed into ``Lowerer``."""

    def is_runtime_list(self, value: Any) -> bool:
        return isinstance(value, sp.Symbol) and value.name in self.ctx.list_names

    def named_list(self, node: ast.expr) -> Any:
        """The runtime list the name ``node`` holds, or that the comprehension ``node``
        builds (see ``runtime_comprehension``), or None."""
        if isinstance(node, ast.Name) and self.is_runtime_list(self.env.get(node.id)):
            return self.env[node.id]
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            value = self.expr(node)
            self.ctx.pending_comprehension = (node, value)  # (not lowered twice)
            return value if self.is_runtime_list(value) else None
        return None

    def runtime_comprehension(self, node: ast.ListComp | ast.GeneratorExp) -> Any:
        """``[f(v) for v in x]`` over a runtime iterable: the loop ``outs = []; for v in x:
        outs.append(f(v))``, kept in the generated code; its value is that list."""
        gen = node.generators[0]
        if len(node.generators) != 1 or gen.ifs or gen.is_async:
            raise self.p.error(node, "a comprehension over a runtime range or array can "
                               "have one `for` and no `if`", "write the for loop out")
        name = self.user_fresh("items")
        at = loc(node)
        loop = ast.For(gen.target, gen.iter, [ast.Expr(ast.Call(
            ast.Attribute(ast.Name(name, ast.Load(), **at), "append", ast.Load(), **at),
            [node.elt], [], **at), **at)], [], **at)
        targets = {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        saved = {t: self.env[t] for t in targets if t in self.env}
        lines = list(self.stmt_lines)
        self.env[name] = []
        self.stmt(loop)
        self.stmt_lines = lines
        for t in targets:  # like Python 3, the loop names do not leak out
            self.env.pop(t, None)
        self.env.update(saved)
        return self.env.pop(name)

    def list_init(self, items: list[Any], name: str, node: ast.AST) -> Any:
        """The decoration-time list ``items`` as a value of the generated code, for a loop
        that appends to it."""
        for item in items:
            if not isinstance(item, sp.Basic):
                raise self.p.error(node, f"the loop appends to {name!r}, which holds a "
                                   "container", "a list built in a runtime loop holds "
                                   "arrays or numbers")
        value = ListOf(*[self.as_symbol(v, f"{name}_item", node) for v in items])
        return self.mark_list(sp.Symbol(self.emit(name, value, node), real=True))

    def mark_list(self, sym: Any) -> Any:
        self.ctx.list_names.add(sym.name)
        return sym

    def list_append(self, node: ast.Call, name: str, xs: Any) -> None:
        if len(node.args) != 1 or node.keywords:
            raise self.p.error(node, "list.append takes one argument")
        value = self.expr(node.args[0])
        if not isinstance(value, sp.Basic) or self.is_runtime_list(value):
            raise self.p.error(node.args[0], "a list built in a runtime loop holds arrays "
                               "or numbers", "append an array (np.stack a list first)")
        item = self.as_symbol(value, f"{name}_item", node) \
            if value.free_symbols and not isinstance(value, sp.Symbol) else value
        self.env[name] = self.mark_list(sp.Symbol(self.emit(name, Append(xs, item), node),
                                                  real=True))

    def list_call(self, node: ast.Call, obj: Any) -> Any:
        """``np.stack(outs)`` and the other calls of a runtime list; MISSING if ``node`` is
        not a call of one."""
        from symgrad import helpers

        if obj is helpers._list_item_grad and len(node.args) == 3 and not node.keywords and \
                self.named_list(node.args[1]) is not None:  # (a generated gradient, read back)
            g, i = self.expr(node.args[0]), self.expr(node.args[2])
            if isinstance(g, sp.Basic) and isinstance(i, sp.Basic):  # (i: the code's counter)
                return ListItemGrad(g, self.named_list(node.args[1]), i)
        xs = self.named_list(node.args[0]) if node.args else None
        if xs is None:
            return MISSING
        rest, kws = node.args[1:], {k.arg: k.value for k in node.keywords}
        if obj is helpers._list_zeros and not rest and not kws:  # (read back, as above)
            return ListGradZeros(xs)
        name = node.args[0].id if isinstance(node.args[0], ast.Name) else "outs"
        if obj is np.stack and len(rest) + len(kws) <= 1 and set(kws) <= {"axis"}:
            axis = self.static_value(self.expr((rest or list(kws.values()))[0]), node, "axis") \
                if rest or kws else 0
            if not isinstance(axis, int):
                raise self.p.error(node, "np.stack of a list: axis must be an integer")
            return StackList(xs, static("np.stack"), static(axis))
        if obj in (np.array, np.asarray) and not rest and not kws:
            return StackList(xs, static(f"np.{obj.__name__}"), static(0))
        if obj is np.concatenate and not rest and set(kws) <= {"axis"}:
            if kws and self.static_value(self.expr(kws["axis"]), node, "axis") != 0:
                raise self.p.error(node, f"np.concatenate of {name!r}, a list built in a "
                                   "loop, is supported along axis 0 only",
                                   f"np.concatenate(np.moveaxis(np.stack({name}), 0, k)) "
                                   "style: stack it and reshape")
            return ConcatList(xs)
        if obj is sum and not rest and not kws:
            return SumList(xs)
        if obj is len and not rest and not kws:
            return Len(xs)
        raise self.p.error(node, f"{name!r} is a list built in a loop: this call of it is not "
                           "supported", f"{_USES}")

    def list_item(self, node: ast.Subscript, xs: Any) -> Any:
        """``outs[i]`` of a runtime list: one item, at an integer index."""
        if isinstance(node.slice, (ast.Slice, ast.Tuple)):
            raise self.p.error(node, f"{ast.unparse(node.value)!r} is a list built in a "
                               "loop: only one item at a time can be read",
                               f"np.stack({ast.unparse(node.value)}) first, then slice it")
        index = self.expr(node.slice)
        if not (isinstance(index, sp.Basic) and self.surely_int(index)):
            raise self.p.error(node.slice, "a list's index must be an integer")
        return ListItem(xs, index)

    def check_list_use(self, value: Any, node: ast.AST) -> None:
        """Refuse a runtime list anywhere but as the list of its own nodes (or len)."""
        if not self.ctx.list_names or not isinstance(value, sp.Basic):
            return
        allowed = (Append, StackList, ConcatList, SumList, ListItem, Len, ListGradZeros)
        bad = self.is_runtime_list(value)
        for n in sp.preorder_traversal(value):
            if bad:
                break
            for i, a in enumerate(getattr(n, "args", ())):
                if self.is_runtime_list(a) and not (isinstance(n, allowed) and i == 0 or
                                                    isinstance(n, ListItemGrad) and i == 1):
                    bad = True
        if bad:
            raise self.p.error(node, "a list built in a loop is used as an array here "
                               "(numpy would treat it so, Python's operators would not)",
                               f"{_USES}")
