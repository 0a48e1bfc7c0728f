"""The binding of numpy calls whose results are lists or whose arguments are lists of arrays
and functions: np.split and its kin, np.select, np.piecewise, np.gradient, and the in-place
ndarray methods that are refused (``x.sort()``). Mixed into ``Lowerer``; each method is an
entry's ``lower`` (see ``calls.py``)."""

from __future__ import annotations

import ast
import copy
from typing import Any

import sympy as sp

from symgrad.frontend.common import typed_numbers
from symgrad.frontend.inlining import LocalFunction
from symgrad.frontend.parse import MISSING
from symgrad.rules import masks
from symgrad.rules.base import static
from symgrad.rules.registry import Primitive


class ArrayCallLowering:
    """Calls of list-valued and list-taking numpy functions, mixed into ``Lowerer``."""

    def in_place_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """``x.sort()``, ``x.partition(k)``: numpy sorts x in place and returns None."""
        name = entry.name.split(".")[-1]
        raise self.p.error(node, f"x.{name}() {name}s the array in place (and returns None), "
                           "which is not supported",
                           f"write x = np.{name}(x{', kth' if name == 'partition' else ''}) "
                           "instead: a sorted copy")

    def split_call(self, node: ast.Call, entry: Primitive, first: Any) -> tuple:
        """np.split(x, 3) or np.split(x, [1, 4], axis=1) (and array_split, hsplit, vsplit,
        dsplit): a tuple of parts, its length known now."""
        from symgrad.rules.joining import SplitPart

        bound = self.bind(node, entry, first)
        what = ast.unparse(node.func)
        hint = f"write {what}(x, 3) or {what}(x, [1, 4]) with constant sections"
        if "ary" not in bound or "indices_or_sections" not in bound:
            raise self.p.error(node, f"{what} needs an array and its sections", hint)
        sections = bound["indices_or_sections"]
        if isinstance(sections, sp.Integer):
            sections, n = int(sections), int(sections)
            if n < 1:
                raise self.p.error(node, f"{what}: the number of sections must be at least 1")
        elif isinstance(sections, (list, tuple)) and \
                all(isinstance(s, sp.Integer) for s in sections):
            sections = tuple(int(s) for s in sections)
            n = len(sections) + 1
        else:
            raise self.p.error(node, f"{what}: the sections must be an integer or a list of "
                               "integers known now", hint)
        axis = bound.get("axis", 0) if "axis" in entry.param_names else None
        if not (axis is None or isinstance(axis, int)):
            raise self.p.error(node, f"{what}: axis must be an integer")
        x = bound["ary"]
        return tuple(SplitPart(x, static(entry.name), static(sections), static(axis),
                               static(i)) for i in range(n))

    def select_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.select(condlist, choicelist, default=0): the choice of the first condition
        that holds, so ``np.where(c0, a0, np.where(c1, a1, default))`` (each choice gets the
        gradient where it was chosen, as nested np.where)."""
        nodes: dict[str, ast.AST] = {}
        bound = self.bind(node, entry, first, nodes=nodes)
        conds, choices = bound.get("condlist"), bound.get("choicelist")
        hint = "write np.select([c0, c1], [a0, a1], default) with list literals"
        if not isinstance(conds, (list, tuple)) or not isinstance(choices, (list, tuple)):
            raise self.p.error(node, "np.select needs a list of conditions and a list of "
                               "choices", hint)
        if len(conds) != len(choices):
            raise self.p.error(node, "np.select: list of cases must be same length as list "
                               "of conditions", hint)
        if not conds:
            raise self.p.error(node, "np.select needs at least one condition", hint)
        out = self.array_arg(bound.get("default", sp.Integer(0)), node)
        listed = nodes.get("choicelist")
        if isinstance(listed, (ast.List, ast.Tuple)) and len(listed.elts) == len(choices):
            # np.select([c], [1.0]) is a float array: its numbers keep the type written
            values = typed_numbers([*choices, out], [*listed.elts, nodes.get("default", node)],
                                   selected=True)
            choices, out = values[:-1], values[-1]
        for c, a in reversed(list(zip(conds, choices, strict=True))):
            out = masks.Where(self.array_arg(c, node), self.array_arg(a, node), out)
        return out

    def piecewise_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.piecewise(x, condlist, funclist): each function (or constant) where its
        condition holds, a later condition over an earlier one, an extra last function where
        none holds, 0 elsewhere: nested np.where of the functions applied to x (numpy applies
        each to x[cond] only; their values where they are chosen are the same)."""
        hint = ("write np.piecewise(x, [c0, c1], [f0, f1]) with list literals of conditions "
                "and of constants, lambdas or functions of x")
        if first is not MISSING or len(node.args) != 3 or node.keywords:
            raise self.p.error(node, "np.piecewise takes x, a list of conditions and a list "
                               "of functions by position here", hint)
        x_node, cond_node, func_node = node.args
        conds = self.arg(cond_node)
        if not isinstance(cond_node, (ast.List, ast.Tuple)):
            # numpy reads a bare condition array of an n-d x as a list of its rows
            raise self.p.error(node, "np.piecewise: the conditions must be a list literal",
                               hint)
        if not isinstance(func_node, (ast.List, ast.Tuple)):
            raise self.p.error(node, "np.piecewise: the functions must be a list literal", hint)
        funcs = func_node.elts
        if len(funcs) not in (len(conds), len(conds) + 1):
            raise self.p.error(node, f"np.piecewise: {len(conds)} conditions need "
                               f"{len(conds)} or {len(conds) + 1} functions", hint)
        conds = [self.array_arg(c, node) for c in conds]
        values = [self.piece_value(f, x_node, node, hint) for f in funcs]
        out: Any = sp.Float(0)  # numpy's y = zeros_like(x), x a float array
        if len(funcs) == len(conds) + 1:  # the last applies where no condition holds
            out = values.pop()
        for c, value in zip(conds, values, strict=True):
            out = masks.Where(c, value, out)
        return out

    def piece_value(self, func: ast.expr, x_node: ast.expr, node: ast.Call, hint: str) -> Any:
        """A piecewise function applied to x (a lambda or function inlined), or a constant."""
        function = isinstance(func, ast.Lambda)
        if isinstance(func, ast.Name) and isinstance(self.env.get(func.id), LocalFunction):
            function = True
        elif isinstance(func, (ast.Name, ast.Attribute)) and not function:
            obj = self.static_object(func)
            function = callable(obj) and not isinstance(obj, (sp.Basic, type))
        if function:
            call = ast.Call(func=func, args=[copy.deepcopy(x_node)], keywords=[])
            call = ast.fix_missing_locations(ast.copy_location(call, func))
            value = self.inline(call, self.expr(func)) if isinstance(func, ast.Lambda) \
                else self.expr(call)
        else:
            value = self.arg(func)
            if isinstance(value, sp.Integer):
                value = sp.Float(int(value))  # numpy's y = zeros_like(x) of a float x
        if isinstance(value, (list, tuple, dict)) or value is None:
            raise self.p.error(func, "np.piecewise: each function must give an array", hint)
        return value

    def gradient_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.gradient(f, *spacing, axis=None, edge_order=1) with constant scalar spacings:
        one GradientAlong per axis (a tuple for a tuple of axes), or for axis None the one
        node of ``np.gradient(f)`` (see GradientAlong)."""
        from symgrad.rules.padding import GradientAlong

        hint = "write np.gradient(f, h, axis=0) with a constant spacing h"
        if first is not MISSING or not node.args or \
                any(isinstance(a, ast.Starred) for a in node.args):
            raise self.p.error(node, "np.gradient needs an array", hint)
        f = self.array_arg(self.arg(node.args[0]), node)
        spacings = []
        for a in node.args[1:]:
            h = self.literal_arg(a)
            if not (isinstance(h, sp.Number) and h.is_real and h != 0):
                raise self.p.error(a, "np.gradient: only constant scalar spacings are "
                                   "supported (not coordinate arrays)", hint)
            spacings.append(int(h) if h.is_Integer else float(h))
        axis: Any = None
        for kw in node.keywords:
            value = self.static_value(self.arg(kw.value), node, kw.arg or "**")
            if kw.arg == "axis":
                axis = value
            elif kw.arg == "edge_order":
                if value != 1:
                    raise self.p.error(node, "np.gradient: only edge_order=1 is supported")
            else:
                raise self.p.error(node, f"unsupported keyword argument {kw.arg!r}",
                                   "supported: axis, edge_order")
        axes = axis if isinstance(axis, tuple) else (axis,)
        if axis is None and len(spacings) > 1:  # (the rank is not known at decoration time)
            raise self.p.error(node, "np.gradient: one spacing per axis needs axis=(...)",
                               f"write np.gradient(f, {', '.join(map(repr, spacings))}, "
                               f"axis={tuple(range(len(spacings)))!r})")
        if len(spacings) not in (0, 1, len(axes)):
            raise self.p.error(node, "np.gradient: give one spacing, or one per axis", hint)
        spacings = spacings * len(axes) if len(spacings) == 1 else spacings or [1] * len(axes)
        parts = tuple(GradientAlong(f, static(h), static(a))
                      for h, a in zip(spacings, axes, strict=True))
        return parts if isinstance(axis, tuple) else parts[0]
