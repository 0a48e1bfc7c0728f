"""Lower a function's AST to the IR: SSA statements over SymPy expressions.

Every name is resolved against the function's globals and closure, so ``import numpy as xp``,
``from numpy import exp`` and module-level constants all work. Anything the lowering does not
understand raises SymgradError pointing at the offending code.
"""

from __future__ import annotations

import ast
import copy
import inspect
import math
import numbers
import operator
import sysconfig
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symgrad.errors import SymgradError
from symgrad.frontend import desugar, exact
from symgrad.frontend.aliasing import SharedMemory, sources_of
from symgrad.frontend.ir import (
    Assign,
    Block,
    Carry,
    Function,
    If,
    Loop,
    Param,
    Phi,
    first_free,
    reads,
    substitute,
)
from symgrad.frontend.parse import MISSING, Parsed, parse_function, resolve_name
from symgrad.rules import elementwise as ew
from symgrad.rules import masks
from symgrad.rules import structural as st
from symgrad.rules.structural import static

_ELEMENTWISE_BY_OBJECT: dict[int, str] = {}
_STRUCTURAL_BY_OBJECT: dict[int, str] = {}


def _tables() -> None:
    if _ELEMENTWISE_BY_OBJECT:
        return
    for name in list(ew.ELEMENTWISE_NAMES) + list(ew.ALIASES):
        canonical = ew.ALIASES.get(name, name)
        if canonical in ew.ELEMENTWISE_NAMES and hasattr(np, name):
            _ELEMENTWISE_BY_OBJECT[id(getattr(np, name))] = canonical
    for name, canonical in {
        "exp": "exp", "log": "log", "log1p": "log1p", "expm1": "expm1", "sqrt": "sqrt",
        "sin": "sin", "cos": "cos", "tan": "tan", "asin": "arcsin", "acos": "arccos",
        "atan": "arctan", "atan2": "arctan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
        "fabs": "abs", "pow": "power", "log2": "log2", "log10": "log10",
    }.items():
        _ELEMENTWISE_BY_OBJECT[id(getattr(math, name))] = canonical
    _ELEMENTWISE_BY_OBJECT[id(abs)] = "abs"
    for name in [
        "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "dot", "matmul",
        "inner", "outer", "transpose", "reshape", "ravel", "expand_dims", "squeeze",
        "concatenate", "stack", "zeros", "ones", "zeros_like", "ones_like", "array", "asarray",
        "copy", "cumsum",
        "shape", "size", "ndim",
    ]:
        _STRUCTURAL_BY_OBJECT[id(getattr(np, name))] = ew.ALIASES.get(name, name)
    _STRUCTURAL_BY_OBJECT[id(len)] = "len"


_CONSTANT_BY_OBJECT: dict[int, str] = {
    id(getattr(np, n)): n for n in ["arange", "eye", "identity", "full", "tri",
                                    # no gradient flows through these
                                    "all", "any", "argmax", "argmin", "isnan", "isfinite",
                                    "isinf", "floor", "ceil", "round", "rint", "count_nonzero"]
}
_CONSTANT_METHODS = {"all", "any", "argmax", "argmin", "round"}

_REDUCTION_METHODS = {"sum", "mean", "prod", "max", "min", "var", "std"}
# numpy's signatures, in positional order (after the array itself)
_REDUCTION_PARAMS = {
    "sum": ["axis", "dtype", "out", "keepdims"], "mean": ["axis", "dtype", "out", "keepdims"],
    "prod": ["axis", "dtype", "out", "keepdims"], "max": ["axis", "out", "keepdims"],
    "min": ["axis", "out", "keepdims"], "var": ["axis", "dtype", "out", "ddof", "keepdims"],
    "std": ["axis", "dtype", "out", "ddof", "keepdims"],
}
_DEFAULT_ONLY = {"dtype", "out"}  # parameters accepted only as None
# array parameters: a list passed there is the array numpy makes of it
_ARRAY_PARAMS = {"a", "b", "c", "x", "start", "stop", "fill_value"}
_LITERAL_PARAMS = {"order"}  # string arguments, read from the source

_INDEX = "<index>"  # the env key of the position in `for v in x` (no user name shadowed)
_STOP = "<stop>"  # the env key of "the current loop iteration ended in `break`"
_MAX_INLINE_DEPTH = 32
_LIBRARY_ROOTS = {"numpy", "scipy", "sympy", "symgrad", "torch", "jax", "autograd", "pandas"}


class Lowerer:
    """Turns one parsed function into an IR Function; calls to user functions are inlined."""

    def __init__(self, parsed: Parsed, parent: Lowerer | None = None) -> None:
        _tables()
        self.p = parsed
        self.fn = parsed.fn
        self.env: dict[str, Any] = {}  # local name -> SymPy value, container or local function
        # which names may share memory (in-place writes)
        self.memory = SharedMemory(lambda name: name in self.locals or name in self.env)
        names = {n.id for n in ast.walk(parsed.tree) if isinstance(n, ast.Name)}
        names |= {a.arg for a in ast.walk(parsed.tree) if isinstance(a, ast.arg)}
        if parent is None:
            self.block = Block()
            self.used_names: set[str] = set()
            self.versions: dict[str, int] = {}
            self.constants: dict[str, Any] = {}
            # generated name -> (module, function, global name) the array came from
            self.constant_origins: dict[str, tuple[str, str, str]] = {}
            self.no_grad_depth = 0
            self.call_stack: list[Any] = [parsed.fn]
            self.int_names: set[str] = set()  # loop counters: surely integers
            self.defs: dict[str, Any] = {}  # emitted name -> its value (or a join's two)
            self.mask_names: set[Any] = set()  # emitted symbols holding a mask
        else:
            self.block = parent.block
            self.used_names = parent.used_names
            self.versions = parent.versions
            self.constants = parent.constants
            self.constant_origins = parent.constant_origins
            self.no_grad_depth = parent.no_grad_depth
            self.call_stack = parent.call_stack
            self.int_names = parent.int_names
            self.defs = parent.defs
            self.mask_names = parent.mask_names
        self.used_names |= names
        self.stmt_lines: list[str] = []
        self.returns: list[str] = []
        self.returns_tuple = False
        self.returned = False  # every path so far ended in `return`
        self.done = False  # the current path ended (return, break or continue)
        self.loop_outer: list[set[str]] = []  # per enclosing loop: the names defined outside it
        self.loop_locals: set[str] = set()
        self.loop_nodes: list[ast.AST] = []  # the enclosing loops' statements
        self.var_min: dict[str, int] = {}  # range loop variable -> its smallest value
        self.loop_vars: set[str] = set()  # for-loop variables dropped after their loop
        self.kept_loop_vars: set[str] = set()  # ... and those still bound after it
        self.loop_names: set[str] = set()  # carried values and loop variables
        self.branch_locals: set[str] = set()
        self.name_hint: str | None = None
        self.return_base = "out"
        self.locals = self._assigned_names()

    # ------------------------------------------------------------ entry

    def lower(self) -> Function:
        tree = self.p.tree
        params = self.bind_params(tree.args)
        self.body(tree)
        return Function(tree.name, params, self.block, self.returns, self.returns_tuple,
                        self.p.filename, self.p.firstlineno, self.constants, self.p.source,
                        dict(self.constant_origins))

    def bind_params(self, args: ast.arguments) -> list[Param]:
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise self.p.error(self.p.tree, "*args, **kwargs, keyword-only and positional-only "
                               "parameters are not supported", "use plain positional parameters")
        params = []
        # the defaults as values: the source's expression (beta=BETA) may name a global
        values = list(getattr(self.fn, "__defaults__", None) or ())
        values = [MISSING] * (len(args.args) - len(values)) + values
        nodes = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        for a, d, v in zip(args.args, nodes, values, strict=True):
            text = None if v is MISSING else self.default_text(v, a.arg, d or a)
            params.append(Param(a.arg, text, v is not MISSING))
            self.env[a.arg] = sp.Symbol(a.arg, real=True)
            self.versions[a.arg] = 0
        return params

    def default_text(self, value: Any, name: str, node: ast.AST) -> str:
        """A parameter's default value as Python text; an array becomes a module constant."""
        from symgrad.export import literal

        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            cname = first_free(f"{name}_default", lambda n: n in self.versions or
                               n in self.constants, sep="", start=2)
            self.constants[cname] = value
            self.versions.setdefault(cname, 0)
            return cname
        if isinstance(value, np.ufunc) and getattr(np, value.__name__, None) is value:
            return f"np.{value.__name__}"
        try:
            return literal(name, value)
        except SymgradError:
            raise self.p.error(node, f"the default value of parameter {name!r} (a "
                               f"{type(value).__name__}) cannot be written into the generated "
                               "module", "use a number, a numpy array, a string, None or a "
                               "tuple of these as the default, or pass the value at each "
                               "call") from None

    def body(self, tree: ast.FunctionDef) -> None:
        body = list(tree.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        self.stmts(body)
        if not self.returned:
            raise self.p.error(tree, f"{tree.name!r} has no return statement"
                               + (" on every path" if self.returns else ""),
                               "a differentiable function must return its value")

    def _assigned_names(self) -> set[str]:
        names = set()
        for node in _walk_scope(self.p.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
        return names | {a.arg for a in self.p.tree.args.args}

    # ------------------------------------------------------------ statements

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

    def user_fresh(self, base: str) -> str:
        """A variable name the user's code does not use."""
        name = first_free(base, lambda n: n in self.used_names or n in self.locals, sep="")
        self.used_names.add(name)
        self.locals.add(name)
        return name

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
            self.env[node.name] = _LocalFunction(node, self)
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
            if isinstance(v, sp.Symbol) and v.name in self.versions and \
                    v.name not in self.loop_names:
                names.append(v.name)
                continue
            base = self.return_base if len(values) == 1 else f"{self.return_base}{i}"
            item = node.value.elts[i] if isinstance(node.value, (ast.Tuple, ast.List)) and \
                len(node.value.elts) == len(values) else node.value
            names.append(self.emit(base, _as_python_typed(v, item), node))
        self.returns = names
        self.returned = self.done = True

    def jump(self, node: ast.stmt, break_: bool) -> None:
        if not self.loop_outer:
            raise self.p.error(node, f"`{'break' if break_ else 'continue'}` outside a loop")
        if break_:
            self.env[_STOP] = sp.true
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
            if isinstance(value, (tuple, list, dict, _LocalFunction)):
                self.env[target.id] = value  # containers live at decoration time
                return
            if value is None:
                raise self.p.error(value_node, "None cannot be assigned here",
                                   "symgrad differentiates numbers and arrays")
            value = _as_python_typed(value, value_node)  # s = 0.0 stays a float
            name = self.emit(target.id, value, node)
            if fresh:  # x * 1.0 is a new array even where SymPy's value is x itself
                self.defs[name] = None
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
            current = self.name(ast.Name(target.id, ast.Load(), **_loc(target)))
        elif isinstance(target, ast.Subscript):
            current = self.expr(ast.Subscript(target.value, target.slice, ast.Load(),
                                              **_loc(target)))
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

    def surely_int(self, part: Any) -> bool:
        """An index part that is an integer or a slice, never an array."""
        if isinstance(part, st.Static):
            return not isinstance(part.value, (list, tuple))
        if isinstance(part, st.SliceOf):
            return all(self.surely_int(a) for a in part.args)
        if isinstance(part, (st._Meta, st.IntOf)):  # len(x), x.shape[0], int(...)
            return True
        if isinstance(part, sp.Number):
            return bool(part.is_integer)
        if isinstance(part, sp.Symbol):
            return part.name in self.int_names
        if isinstance(part, (sp.Add, sp.Mul, st.Mod, st.FloorDiv)):
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
                if self.defs.get(v.name) is not None and v.name not in seen:  # a helper's result
                    seen.add(v.name)
                    walk(self.defs[v.name], partial)
            elif isinstance(v, st.GetItem):
                walk(v.args[0], True)
            elif isinstance(v, (st.Transpose, st.Reshape, st.Ravel, st.ExpandDims, st.Squeeze)):
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
            if name not in _assigned_in(loop.body) and any(
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
                isinstance(n, (sp.Function, st.Structural)) for n in sp.preorder_traversal(value)):
            # a value of its own, so the backward pass can reuse it (tanh' = 1 - y**2)
            value = sp.Symbol(self.emit(f"{name}_item", value, node), real=True)
        # an index that may hold an integer array may repeat a position: the last write wins
        cls = st.SetItem if all(self.surely_int(p) for p in parts) else st.FancySetItem
        self.env[name] = sp.Symbol(self.emit(name, cls(base, value, *parts), node), real=True)

    def unpack(self, value: Any, n: int, node: ast.expr) -> list[Any]:
        if isinstance(value, (tuple, list, sp.Tuple)):
            if len(value) != n:
                raise self.p.error(node, f"cannot unpack {len(value)} values into {n} names")
            return list(value)
        if isinstance(value, st.Shape):
            return [st.ShapeAt(value.args[0], static(i)) for i in range(n)]
        if isinstance(value, sp.Expr) and value.free_symbols:
            return [st.GetItem(value, static(i)) for i in range(n)]  # rows of an array
        raise self.p.error(node, "cannot unpack this value", "unpack tuples, arrays or `x.shape`")

    def emit(self, user_name: str, value: Any, node: ast.AST) -> str:
        if isinstance(value, (tuple, list, dict, _LocalFunction)):
            raise self.p.error(node, "a tuple, list or function cannot be used as an array here",
                               "unpack it, index it, or wrap it in np.stack([...])")
        value = sp.sympify(value)
        if self.no_grad_depth and value.free_symbols:
            value = st.StopGradient(value)
        name = self.fresh(user_name)
        self.block.stmts.append(Assign(name, value, self.p.file_lineno(node),
                                       list(self.stmt_lines), user_name))
        self.defs[name] = value
        if self.is_mask(value):
            self.mask_names.add(sp.Symbol(name, real=True))
        return name

    def as_symbol(self, value: Any, user_name: str, node: ast.AST) -> Any:
        """A value fit for a join or a loop: a symbol or a constant, emitting it if needed."""
        if isinstance(value, sp.Symbol) or (isinstance(value, sp.Basic) and
                                            not value.free_symbols and not
                                            isinstance(value, st.Structural)):
            return value
        return sp.Symbol(self.emit(user_name, value, node), real=True)

    def fresh(self, base: str) -> str:
        if base not in self.versions and base not in self.constants:
            self.versions[base] = 0
            return base
        self.versions.setdefault(base, 0)
        name = first_free(base, lambda n: n in self.used_names or n in self.versions)
        self.versions[name] = 0
        return name

    # ------------------------------------------------------------ branches

    def condition(self, node: ast.expr, name_it: bool = True) -> Any:
        cond = self.expr(node)
        if isinstance(cond, (tuple, list, dict)) or cond is None:
            return sp.true if cond else sp.false  # Python truthiness of a container
        if isinstance(cond, (bool, int)):
            return sp.true if cond else sp.false
        if cond.is_Number:
            return sp.true if cond != 0 else sp.false
        if name_it and any(isinstance(n, st.Structural) and not isinstance(n, st._Meta)
                           for n in sp.preorder_traversal(cond)):
            # worth computing once: the backward pass reads it again to take the same branch
            return sp.Symbol(self.emit("cond", st.StopGradient(cond), node), real=True)
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
                if key == _STOP and {a, b} == {sp.true, sp.false}:
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
        target = self.fresh("stop" if key == _STOP else key)
        phis.append(Phi(target, a, b))
        self.defs[target] = (a, b)  # either side, for value_sources
        return sp.Symbol(target, real=True)

    def expr_IfExp(self, node: ast.IfExp) -> Any:
        cond = self.condition(node.test)
        if cond in (sp.true, sp.false):
            return self.expr(node.body if cond == sp.true else node.orelse)
        base = self.name_hint or "value"
        results = []

        def side(e: ast.expr) -> Any:
            def lower() -> None:
                value = self.expr(e)
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
        self.defs[target] = (a, b)
        return sp.Symbol(target, real=True)

    # ------------------------------------------------------------ loops

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
        written = {n.value.id for n in _walk_scope_list(node.body)
                   if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
                   and isinstance(n.value, ast.Name)}
        for source in ([it] if func is None else list(it.args)):
            if isinstance(source, ast.Name) and source.id in written:
                # numpy's iterator would see the writes as it goes; symgrad iterates over the
                # array as it was when the loop began
                raise self.p.error(source, f"the loop iterates over {source.id!r} and its body "
                                   "writes into it", f"loop over range(len({source.id})) and "
                                   f"index {source.id}[i] where you mean its current value")
        if func is enumerate:
            starts = [*it.args[1:], *(k.value for k in it.keywords if k.arg == "start")]
            if not 1 <= len(it.args) <= 2 or len(starts) > 1 or \
                    any(k.arg != "start" for k in it.keywords) or not (
                    isinstance(node.target, ast.Tuple) and len(node.target.elts) == 2 and
                    isinstance(node.target.elts[0], ast.Name)):
                raise self.p.error(it, "write `for i, v in enumerate(x):` "
                                   "or `enumerate(x, start)`")
            start = self.scalar_arg(starts[0]) if starts else sp.Integer(0)
            seq = self.iterable(it.args[0])
            if isinstance(seq, (tuple, list)) and start.is_Integer:
                self.unrolled(node, [(sp.Integer(i), v) for i, v in enumerate(seq, int(start))])
                return
            if isinstance(seq, (tuple, list)):
                raise self.p.error(it, "enumerate over a list needs a constant start")
            item = node.target.elts[1]
            bounds = [st.Len(seq)] if start == 0 else [start, st.Len(seq) + start]
            self.loop(node, "for", node.target.elts[0].id, bounds, None,
                      lambda i: self.assign(item, st.GetItem(seq, i - start),
                                            _item_of(it.args[0]), node))
            return
        if func is zip:
            if it.keywords or not it.args or not isinstance(node.target, ast.Tuple) or \
                    len(node.target.elts) != len(it.args):
                raise self.p.error(it, "write `for a, b in zip(x, y):`")
            seqs = [self.iterable(a) for a in it.args]
            if all(isinstance(q, (tuple, list)) for q in seqs):
                self.unrolled(node, list(zip(*seqs, strict=False)))
                return
            if any(isinstance(q, (tuple, list, dict)) for q in seqs):
                raise self.p.error(it, "zip of lists and arrays together is not supported")
            n = st.Len(seqs[0]) if len(seqs) == 1 else sp.Min(*[st.Len(q) for q in seqs])

            def bind(i: Any) -> None:
                for t, q, a in zip(node.target.elts, seqs, it.args, strict=True):
                    self.assign(t, st.GetItem(q, i), _item_of(a), node)

            self.loop(node, "for", _INDEX, [n], None, bind)
            return
        seq = self.iterable(it)
        if isinstance(seq, (tuple, list, dict)):
            self.unrolled(node, list(seq))
            return
        self.loop(node, "for", _INDEX, [st.Len(seq)], None,
                  lambda i: self.assign(node.target, st.GetItem(seq, i), _item_of(it), node))

    def iterable(self, node: ast.expr) -> Any:
        value = self.expr(node)
        if isinstance(value, (tuple, list, dict)):
            return value
        if isinstance(value, _LocalFunction) or value is None:
            raise self.p.error(node, "cannot iterate over this value",
                               "iterate over range(...), an array, or a list of arrays")
        return self.as_symbol(value, "seq", node)

    def unrolled(self, node: ast.For, items: list[Any]) -> None:
        """A loop over a list known at decoration time: its body once per element."""
        if any(isinstance(n, (ast.Break, ast.Continue)) for n in _walk_scope_list(node.body)):
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
        for n in _walk_scope_list(node.body):  # a later iteration sees names the body binds
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and \
                    isinstance(n.targets[0], ast.Name):
                for src in sources_of(n.value):
                    self.memory.share(n.targets[0].id, *src, merge=True)
            elif isinstance(n, ast.For) and isinstance(n.target, ast.Name):
                for src in sources_of(_item_of(n.iter)):
                    self.memory.share(n.target.id, *src, merge=True)
        carried: list[tuple[str, str, Any]] = []
        for name in sorted(_assigned_in(node.body)):
            value = self.env.get(name, MISSING)
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
            carried.append((name, entry, init))
        outer_block, self.block = self.block, Block()
        outer_stop = self.env.get(_STOP, MISSING)
        self.env[_STOP] = sp.false
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
            self.int_names.add(var)
            self.env[var_name] = sp.Symbol(var, real=True)
            if bind is not None:
                bind(sp.Symbol(var, real=True))
        self.done = False
        self.stmts(node.body)
        self.done = False
        outer_names = self.loop_outer.pop()
        self.loop_nodes.pop()
        stop = self.env.get(_STOP, sp.false)
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
            stop = sp.Symbol(self.emit("stop", st.StopGradient(stop), node), real=True)
        # `for i in range(n)` leaves i bound to its last value, as in Python (and unbound
        # after no iterations: the generated loop behaves the same)
        keeps_var = kind == "for" and var_name not in (None, _INDEX) and \
            var_name not in outer_names and var_name not in _assigned_in(node.body)
        for name in list(self.env):
            if keeps_var and name == var_name:
                continue
            if name not in outer_names or name == var_name:
                self.loop_locals.add(name)
                if name == var_name or name in self.kept_loop_vars:
                    self.loop_vars.add(name)
                del self.env[name]
        if keeps_var:
            self.kept_loop_vars.add(var_name)
        if outer_stop is MISSING:
            self.env.pop(_STOP, None)
        else:
            self.env[_STOP] = outer_stop
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

    # ------------------------------------------------------------ calls to user functions

    def call_statement(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "append" and \
                isinstance(func.value, ast.Name):
            base = self.env.get(func.value.id)
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

    def inline(self, node: ast.Call, target: Any) -> Any:
        """Lower a call to a user function by lowering its body in place (arguments bound)."""
        if isinstance(target, _LocalFunction):
            parsed = Parsed(self.fn, target.node, target.definer.p.source,
                            target.definer.p.filename, target.definer.p.firstlineno,
                            target.definer.p.lines)
            parsed.fn = target.definer.fn
            key: Any = target.node
            defaults = [None] * (len(target.node.args.args) - len(target.node.args.defaults)) \
                + list(target.node.args.defaults)
        else:
            parsed = parse_function(target)
            key = target
            defaults = [None] * len(parsed.tree.args.args)
            values = parsed.fn.__defaults__ or ()  # (a wrapper's are not its function's)
            for i, d in enumerate(values):
                defaults[len(defaults) - len(values) + i] = ("value", d)
        if self.call_stack.count(key) >= _MAX_INLINE_DEPTH:
            raise self.p.error(node, f"recursion deeper than {_MAX_INLINE_DEPTH} calls",
                               "symgrad inlines calls, so recursion needs a base case decided "
                               "by constant arguments (like a literal depth)")
        args = parsed.tree.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise self.p.error(node, "calls to functions with *args, **kwargs or keyword-only "
                               "parameters are not supported", "use plain positional parameters")
        names = [a.arg for a in args.args]
        bound: dict[str, Any] = {}
        if len(node.args) > len(names):
            raise self.p.error(node, f"too many arguments: {parsed.tree.name} takes "
                               f"{len(names)}")
        arg_nodes = dict(zip(names, node.args, strict=False))
        for name, a in arg_nodes.items():
            bound[name] = self.arg(a)
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in bound:
                raise self.p.error(node, f"unexpected keyword argument {kw.arg!r}")
            bound[kw.arg] = self.arg(kw.value)
            arg_nodes[kw.arg] = kw.value
        child = Lowerer(parsed, parent=self)
        for name, a in arg_nodes.items():  # an argument is the caller's memory, not a copy
            for i, (source, partial) in enumerate(sources_of(a)):
                caller = f"the caller's {source!r}"
                child.memory.names[caller] = self.memory.of(source)
                child.memory.share(name, caller, partial, merge=i > 0)
        child.return_base = parsed.tree.name if parsed.tree.name.isidentifier() else "value"
        if isinstance(target, _LocalFunction):
            child.env = {k: v for k, v in target.definer.env.items() if k not in child.locals}
        for name, d in zip(names, defaults, strict=True):
            if name in bound:
                value = bound[name]
            elif d is None:
                raise self.p.error(node, f"missing argument {name!r}")
            elif isinstance(d, tuple) and d and d[0] == "value":
                value = self.constant(d[1], name, node)
            else:
                value = child.expr(d)
            if isinstance(value, sp.Basic) and value.free_symbols and \
                    not isinstance(value, sp.Symbol):
                child.stmt_lines = list(self.stmt_lines)
                value = sp.Symbol(self.emit(name, value, node), real=True)
            child.env[name] = value
        self.call_stack.append(key)
        try:
            child.body(parsed.tree)
        finally:
            self.call_stack.pop()
        values = [sp.Symbol(n, real=True) for n in child.returns]
        return tuple(values) if child.returns_tuple else values[0]

    # ------------------------------------------------------------ expressions

    def name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in self.loop_vars:
            raise self.p.error(node, f"{node.id!r}, a for loop's variable, is read after its "
                               "loop", "symgrad supports that for a loop variable that has no "
                               "value before the loop and is not inside another loop; "
                               "otherwise copy it into a variable of your own (assigned "
                               "before the loop, last = i inside it)")
        if node.id in self.loop_locals:
            raise self.p.error(node, f"{node.id!r} is assigned only inside a loop",
                               "assign it before the loop so it has a value on every path")
        if node.id in self.branch_locals:
            raise self.p.error(node, f"{node.id!r} is assigned on only some paths of an `if`",
                               "assign it before the `if` or in every branch")
        if node.id in self.locals:
            raise self.p.error(node, f"{node.id!r} is used before it is assigned")
        obj = resolve_name(self.fn, node.id)
        if obj is MISSING:
            raise self.p.error(node, f"name {node.id!r} is not defined",
                               "define it before decorating the function")
        return self.constant(obj, node.id, node)

    def constant(self, obj: Any, name: str, node: ast.AST) -> Any:
        if obj is None:
            return None
        if isinstance(obj, tuple) and all(isinstance(v, (numbers.Number, tuple)) for v in obj):
            return tuple(self.constant(v, name, node) for v in obj)
        if isinstance(obj, bool):
            return sp.true if obj else sp.false
        if isinstance(obj, numbers.Integral):
            return sp.Integer(int(obj))
        if isinstance(obj, numbers.Real) and not math.isfinite(float(obj)):
            # SymPy's nan absorbs a whole product (nan*x is nan, whose derivative is 0):
            # keep it a named value, as numpy would compute with it
            return self.constant(np.array(float(obj)), name, node)
        if isinstance(obj, numbers.Real):
            value = float(obj)
            if value == math.pi:
                return sp.pi
            if value == math.e:
                return sp.E
            num, den = value.as_integer_ratio() if math.isfinite(value) else (0, 0)
            if den and den <= 1024 and abs(num) < 2**53:
                return sp.Rational(num, den)  # 0.5 -> 1/2: exact, and prints as a Python float
            return sp.Float(value)
        if isinstance(obj, np.ndarray):
            if not np.issubdtype(obj.dtype, np.number):
                raise self.p.error(node, f"global array {name!r} must be numeric")
            origin = (getattr(self.fn, "__module__", "") or "",
                      getattr(self.fn, "__qualname__", ""), name)
            for cname, seen in self.constant_origins.items():
                if seen == origin and self.constants[cname] is obj:
                    return sp.Symbol(cname, real=True)
            # a name of its own: a helper's global W is not the caller's parameter W
            base = name.replace(".", "_")  # cfg.W -> cfg_W
            taken = lambda n: n in self.versions or n in self.constants
            cname = first_free(f"{base}_global", taken, sep="", start=2) if taken(base) else base
            self.constants[cname] = obj
            self.constant_origins[cname] = origin
            self.versions.setdefault(cname, 0)  # and no later local takes it
            return sp.Symbol(cname, real=True)
        return _Opaque(obj)

    def static_object(self, node: ast.expr) -> Any:
        """The Python object an expression like ``np.exp`` or ``symgrad.no_grad`` names."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return None
            obj = resolve_name(self.fn, node.id)
            return None if obj is MISSING else obj
        if isinstance(node, ast.Attribute):
            base = self.static_object(node.value)
            if base is None:
                return None
            return getattr(base, node.attr, None)
        return None

    def expr(self, node: ast.expr) -> Any:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.p.error(node, f"unsupported expression: {type(node).__name__}",
                               "use numpy arithmetic, numpy functions and indexing")
        result = method(node)
        if isinstance(result, _Opaque):
            raise self.p.error(node, f"{_describe(result.obj)} cannot be used as a value here",
                               "symgrad differentiates numpy arrays and numbers")
        return result

    def expr_Name(self, node: ast.Name) -> Any:
        return self.name(node)

    def expr_Constant(self, node: ast.Constant) -> Any:
        if node.value is None:
            return None
        if isinstance(node.value, (bool, int, float)):
            return self.constant(node.value, repr(node.value), node)
        raise self.p.error(node, f"constant {node.value!r} is not a number",
                           "only numbers can enter differentiable code")

    def expr_Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.expr(e) for e in node.elts)

    expr_List = expr_Tuple

    def expr_ListComp(self, node: ast.ListComp | ast.GeneratorExp) -> Any:
        """A comprehension over values known at decoration time, unrolled into a list."""
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

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            if operand in (sp.true, sp.false) or isinstance(operand, sp.Number):
                return sp.false if operand else sp.true
            return masks.LogicalNot(operand)
        if isinstance(node.op, ast.Invert):
            if isinstance(operand, sp.Integer) or operand in (sp.true, sp.false):
                return sp.Integer(~int(bool(operand) if operand in (sp.true, sp.false)
                                       else operand))
            if isinstance(operand, sp.Basic) and not operand.is_Number:
                return masks.Invert(operand)  # a mask's elementwise not
        raise self.p.error(node, "unsupported unary operator", "use -, +, not or ~")

    def expr_BinOp(self, node: ast.BinOp) -> Any:
        return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)

    def binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        for v in (a, b):
            if v is None or isinstance(v, (tuple, list, dict, _LocalFunction)):
                raise self.p.error(node, "arithmetic on a tuple, list or None is not supported",
                                   "wrap the values in np.stack([...]) to compute with them")
        if isinstance(op, ast.Add) and self.mask_sum(a, b):
            return st.AsWritten(static("+"), a, b)
        if type(op) not in _BITWISE:  # True/False constants count as 1/0 in arithmetic
            a, b = (sp.Integer(int(bool(v))) if v in (sp.true, sp.false) else v for v in (a, b))
            a, b = self.float_literals(a, b, node)
        if type(op) in _OPERATOR_TEXT and isinstance(a, sp.Basic) and isinstance(b, sp.Basic):
            return self.arithmetic(op, a, b, node)
        return self._binop(op, a, b, node)

    def float_literals(self, a: Any, b: Any, node: ast.AST) -> tuple[Any, Any]:
        """A whole float literal (``1.0``, lowered to SymPy's exact 1) stays a float next to
        a bool array: ``mask * 1.0`` is a float array, ``mask * 1`` an int one, and SymPy's
        ``1 * mask`` is the bool mask itself."""
        operands = (node.left, node.right) if isinstance(node, ast.BinOp) else \
            tuple(getattr(node, "args", ())[:2])
        values = [a, b]
        for i in range(len(operands) if len(operands) == 2 else 0):
            other = values[1 - i]
            if isinstance(values[i], sp.Integer) and isinstance(other, sp.Basic) and \
                    masks.bool_valued(other, self.bool_names()):
                values[i] = _as_python_typed(values[i], operands[i])
        return values[0], values[1]

    def bool_names(self) -> frozenset:
        """The values known to be bool arrays: masks given names, bool constant arrays."""
        return frozenset(sp.Symbol(n, real=True) for n, v in self.defs.items()
                         if isinstance(v, sp.Basic) and masks.bool_valued(v)) | frozenset(
            sp.Symbol(n, real=True) for n, v in self.constants.items()
            if getattr(v, "dtype", None) == np.bool_)

    def arithmetic(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        """``a + b``, ``a - b``, ``a * b``, ``a / b``, ``a ** b`` as numpy computes them.

        SymPy's value where it is numpy's (``exact.combine``); where it is not
        (``np.sqrt(x)**2`` is x to SymPy, ``y + x - x`` is y), the compound operands get names
        of their own first, which SymPy cannot see through; what is left (``x - x``,
        ``0 * x``, ``x ** 0``) is kept as written: numpy's shape, dtype and NaNs stay.
        """
        if isinstance(op, ast.Add) and self.mask_sum(a, b):
            return st.AsWritten(static("+"), a, b)
        if isinstance(op, ast.Div) and b.is_Number and b.is_zero and a.free_symbols:
            raise self.p.error(node, "division by the constant 0",
                               "numpy gives inf or nan here, which has no gradient to take; "
                               "divide by a nonzero value")
        value = _combine_operator(op, a, b)
        if value is None:
            a, b = self.named(a, node), self.named(b, node)
            value = _combine_operator(op, a, b)
        if value is None or _not_real(value, (a, b)):
            # (-1.0) ** 0.5: Python's complex number, computed as written
            return st.AsWritten(static(_OPERATOR_TEXT[type(op)]), a, b)
        return value if a.free_symbols or b.free_symbols else _python_number(value)

    def mask_sum(self, a: Any, b: Any) -> bool:
        """Whether ``a + b`` adds a mask to a mask (or to True/False): numpy's `or` of bool
        arrays (Python's 0/1 sum of bools), never SymPy's sum of 0/1 numbers, so it is kept
        as written, whatever the values are at run time."""
        def mask(v: Any) -> bool:
            return isinstance(v, sp.Basic) and self.is_mask(v)

        constants = [v in (sp.true, sp.false) for v in (a, b)]
        return not all(constants) and all(c or mask(v) for c, v in zip(constants, (a, b),
                                                                          strict=True))

    def is_mask(self, value: Any) -> bool:
        """Whether numpy computes ``value`` as a bool array (``masks.bool_valued``), seeing
        through the names the lowering emitted."""
        return masks.bool_valued(value, frozenset(self.mask_names & value.free_symbols))

    def named(self, value: Any, node: ast.AST) -> Any:
        """A compound operand as a value of its own (a symbol), so SymPy cannot simplify it
        together with what it is combined with."""
        if not isinstance(value, sp.Expr) or isinstance(value, sp.Symbol) or \
                not value.free_symbols:
            return value
        name = _part_name(value, self.name_hint or self.return_base)
        return sp.Symbol(self.emit(name, value, node), real=True)

    def _binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        bitwise = _BITWISE.get(type(op))
        if bitwise is not None:
            known = [v if v in (sp.true, sp.false) else int(v) if isinstance(v, sp.Integer)
                     else None for v in (a, b)]
            if None not in known:  # constants: Python's value (True & False is False)
                value = bitwise[0](*(bool(v) if v in (sp.true, sp.false) else v
                                     for v in known))
                return (sp.true if value else sp.false) if isinstance(value, bool) \
                    else sp.Integer(value)
            return bitwise[1](a, b)
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            return a / b
        if isinstance(op, ast.Pow):
            return a**b
        if isinstance(op, ast.MatMult):
            return st.MatMul(a, b)
        if isinstance(op, ast.Mod):
            return sp.Integer(int(a) % int(b)) if _ints(a, b) else \
                sp.Float(float(a) % float(b)) if _floats(a, b) else st.Mod(a, b)
        if isinstance(op, ast.FloorDiv):
            return sp.Integer(int(a) // int(b)) if _ints(a, b) else \
                sp.Float(float(a) // float(b)) if _floats(a, b) else st.FloorDiv(a, b)
        raise self.p.error(node, f"operator {type(op).__name__} is not supported",
                           "use + - * / // % ** @, and & | on masks")

    def expr_Compare(self, node: ast.Compare) -> Any:
        ops = {ast.Lt: (sp.Lt, "<"), ast.LtE: (sp.Le, "<="), ast.Gt: (sp.Gt, ">"),
               ast.GtE: (sp.Ge, ">="), ast.Eq: (sp.Eq, "=="), ast.NotEq: (sp.Ne, "!=")}
        values = [self.expr(node.left)] + [self.expr(c) for c in node.comparators]
        parts = []
        for op, a, b in zip(node.ops, values, values[1:], strict=False):
            if isinstance(op, (ast.Is, ast.IsNot)):
                parts.append(self.is_none(node, a, b, isinstance(op, ast.IsNot)))
                continue
            if type(op) not in ops:
                raise self.p.error(node, "unsupported comparison", "use < <= > >= == !=")
            rel, spelling = ops[type(op)]
            if not (isinstance(a, sp.Basic) and isinstance(b, sp.Basic)):
                raise self.p.error(node, "only numbers and arrays can be compared")
            if a.is_Number and b.is_Number:
                parts.append(sp.true if rel(a, b) else sp.false)  # known now: a static branch
            else:  # as written: SymPy's relationals decide `exp(z) > 0` and drop z's shape
                parts.append(masks.COMPARISONS[spelling](a, b))
        return parts[0] if len(parts) == 1 else _logical(True, parts)

    def is_none(self, node: ast.AST, a: Any, b: Any, negate: bool) -> Any:
        """``x is None``: decided now unless x is a parameter (an optional argument)."""
        if b is not None:
            a, b = b, a
        if b is not None:
            raise self.p.error(node, "`is` is supported only to compare with None")
        if a is None or not isinstance(a, sp.Symbol) or a.name not in self.versions:
            return sp.true if (a is None) != negate else sp.false
        return st.IsNone(a, static(negate))

    def expr_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.expr(v) for v in node.values]
        for v, n in zip(values, node.values, strict=True):
            if not isinstance(v, sp.Basic):
                raise self.p.error(n, "`and`/`or` work on conditions here")
        # 0 and 1 decide now, as False and True; another number is a value `and`/`or` may
        # give back (Python's `c and 2` is 2 where c holds, `~False or c` is -1)
        values = [sp.true if v == 1 else sp.false if v == 0 else v for v in values]
        return _logical(isinstance(node.op, ast.And), values)

    def expr_Dict(self, node: ast.Dict) -> Any:
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if not isinstance(k, ast.Constant):
                raise self.p.error(node, "dict keys must be constants", "write {'w': w}")
            out[k.value] = self.expr(v)
        return out

    def expr_Lambda(self, node: ast.Lambda) -> Any:
        fn = ast.FunctionDef(name="<lambda>", args=node.args,
                             body=[ast.Return(node.body, **_loc(node.body))],
                             decorator_list=[], returns=None, **_loc(node))
        fn.type_params = []
        return _LocalFunction(fn, self)

    def container_key(self, node: ast.Subscript, base: Any) -> Any:
        """A constant index into a list, tuple or dict."""
        if isinstance(base, dict):
            if isinstance(node.slice, ast.Constant) and node.slice.value in base:
                return node.slice.value
            raise self.p.error(node, "a dict must be indexed with one of its constant keys")
        if isinstance(node.slice, ast.Slice):
            bounds = [None if b is None else self.expr(b) for b in (node.slice.lower,
                                                                     node.slice.upper,
                                                                     node.slice.step)]
            if all(b is None or isinstance(b, sp.Integer) for b in bounds):
                return slice(*[None if b is None else int(b) for b in bounds])
        else:
            key = self.expr(node.slice)
            if isinstance(key, sp.Integer) and -len(base) <= int(key) < len(base):
                return int(key)
        raise self.p.error(node, "a list or tuple must be indexed with a constant in range",
                           "loops over lists are unrolled: use `for v in items:` or "
                           "stack them into an array")

    def expr_Attribute(self, node: ast.Attribute) -> Any:
        obj = self.static_object(node)
        if obj is not None:
            return self.constant(obj, ast.unparse(node), node)
        base = self.expr(node.value)
        attr = node.attr
        if attr == "T":
            return st.Transpose(base, static(None))
        if attr == "shape":
            return st.Shape(base)
        if attr == "size":
            return st.Size(base)
        if attr == "ndim":
            return st.Ndim(base)
        if attr in ("data", "real"):
            return st.StopGradient(base) if attr == "data" else base
        raise self.p.error(node, f"attribute .{attr} is not supported",
                           "supported: .T .shape .size .ndim .data")

    def expr_Subscript(self, node: ast.Subscript) -> Any:
        base = self.expr(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if isinstance(base, st.Shape):
            if len(parts) == 1 and isinstance(parts[0], ast.Constant):
                return st.ShapeAt(base.args[0], static(parts[0].value))
            raise self.p.error(node, "only constant indices into .shape are supported")
        if isinstance(base, (tuple, list, dict)):
            return base[self.container_key(node, base)]
        if isinstance(base, _LocalFunction) or base is None:
            raise self.p.error(node, "this value cannot be indexed")
        return st.GetItem(base, *self.index_parts(node))

    def index_parts(self, node: ast.Subscript) -> list[Any]:
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return [self.index_part(p) for p in parts]

    def index_part(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            bounds = [None if b is None else self.expr(b) for b in (node.lower, node.upper,
                                                                     node.step)]
            if all(b is None or isinstance(b, sp.Integer) for b in bounds):
                return static(slice(*[None if b is None else int(b) for b in bounds]))
            return st.SliceOf(*[static(None) if b is None else b for b in bounds])
        if isinstance(node, ast.Constant) and node.value is None:
            return static(None)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return static(Ellipsis)
        value = self.expr(node)
        if isinstance(value, sp.Integer):
            return static(int(value))
        if value is None:
            return static(None)
        if isinstance(value, (tuple, list)):
            raise self.p.error(node, "indexing with a list is not supported",
                               "use slices or integers")
        return value

    # ------------------------------------------------------------ calls

    def expr_Call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name) and isinstance(self.env.get(func.id), _LocalFunction):
            return self.inline(node, self.env[func.id])
        obj = self.static_object(func)
        if obj is None and isinstance(func, ast.Attribute):
            return self.method_call(node, self.expr(func.value), func.attr)
        if obj is None:
            raise self.p.error(func, f"cannot call {ast.unparse(func)!r}")
        obj = getattr(obj, "__symgrad_wrapped__", obj)  # a @symgrad.grad function: its source
        builtin = self.builtin_call(node, obj)
        if builtin is not MISSING:
            return builtin
        if getattr(obj, "__symgrad_stop_gradient__", False):
            return st.StopGradient(self.expr(node.args[0]))
        if obj is np.linalg.norm:
            return self.norm_call(node)
        if obj is np.linspace:
            return self.linspace_call(node)
        if obj in (np.full, np.arange):
            return self.full_call(node) if obj is np.full else self.arange_call(node)
        name = _ELEMENTWISE_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.elementwise_call(
                node, name, python=getattr(obj, "__module__", None) == "math")
        name = _STRUCTURAL_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.structural_call(node, name, None)
        name = _CONSTANT_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.constant_call(node, name)
        if _is_user_function(obj):
            return self.inline(node, obj)
        raise self.p.error(func, f"call to {_describe(obj)} is not supported",
                           "supported: numpy elementwise functions, reductions, products, "
                           "reshaping, and your own Python functions")

    def builtin_call(self, node: ast.Call, obj: Any) -> Any:
        """sum/len/float/int/range of decoration-time values; MISSING for anything else."""
        if obj is sum and len(node.args) == 1 and not node.keywords:
            items = self.expr(node.args[0])
            if isinstance(items, (tuple, list)):
                total = sp.Integer(0)
                for item in items:  # Python adds left to right
                    total = self.binop(ast.Add(), total, item, node)
                return total
            return st.NpSum(items, static(0), static(False))  # Python sums over the first axis
        if obj in (max, min) and len(node.args) >= 2 and not node.keywords and \
                not any(isinstance(a, ast.Starred) for a in node.args):
            # Python's max(a, b, ...) of numbers: the first of equal values wins
            values = [self.arg(a) for a in node.args]
            if any(isinstance(v, (tuple, list, dict)) or v is None for v in values):
                raise self.p.error(node, f"{obj.__name__}() of containers is not supported")
            out = values[0]
            for v in values[1:]:
                out = (masks.PyMax if obj is max else masks.PyMin)(out, v)
            return out
        if obj in (float, int) and len(node.args) == 1 and not node.keywords:
            value = self.expr(node.args[0])
            if isinstance(value, sp.Basic) and value.is_Number:
                return sp.Float(float(value)) if obj is float else sp.Integer(int(value))
            if obj is float:
                return value
            if not isinstance(value, sp.Basic):
                raise self.p.error(node, "int() of a container is not supported")
            return st.IntOf(value)  # int(np.argmax(p)), int(len(x) / 2): a step, slope 0
        if obj is len and len(node.args) == 1:
            value = self.expr(node.args[0])
            if isinstance(value, (tuple, list, dict)):
                return sp.Integer(len(value))
            return st.Len(value)
        if obj is range:
            raise self.p.error(node, "range() is supported only as the iterable of a for loop")
        return MISSING

    def call_args(self, node: ast.Call, names: list[str], first: Any = None,
                  literal: bool = False) -> dict[str, Any]:
        """Bind positional and keyword arguments to ``names`` (the numpy signature, in its
        order). A name in ``_DEFAULT_ONLY`` (dtype, out) is accepted only as None: symgrad
        would otherwise drop it. A list or tuple passed for an array parameter is the array
        numpy makes of it. ``literal`` keeps a float literal a float (np.full(3, 2.0))."""
        positional = ([first] if first is not None else []) + list(node.args)
        if len(positional) > len(names):
            raise self.p.error(node, f"too many arguments (expected at most {len(names)})")
        given = dict(zip(names, positional, strict=False))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in names or kw.arg in given:
                supported = [n for n in names if n not in _DEFAULT_ONLY]
                raise self.p.error(node, f"unsupported keyword argument {kw.arg!r}",
                                   f"supported: {', '.join(supported)}")
            given[kw.arg] = kw.value
        bound: dict[str, Any] = {}
        for name, value in given.items():
            if name in _DEFAULT_ONLY:
                if not (isinstance(value, ast.Constant) and value.value is None):
                    raise self.p.error(node, f"the {name}= argument is not supported",
                                       f"leave {name} out (compute in the inputs' dtype and "
                                       "use the returned array)")
                continue
            if name in _LITERAL_PARAMS:  # order="F": a string known at decoration time
                if not isinstance(value, ast.Constant):
                    raise self.p.error(node, f"{name} must be a literal",
                                       f"write {name}='C' or {name}='F'")
                bound[name] = value.value
                continue
            if isinstance(value, ast.AST):
                value = self.literal_arg(value) if literal else self.arg(value)
            bound[name] = self.array_arg(value, node) if name in _ARRAY_PARAMS else value
        return bound

    def array_arg(self, value: Any, node: ast.AST) -> Any:
        """What numpy makes of an array argument: a list or tuple of values is stacked."""
        if not isinstance(value, (tuple, list)):
            return value
        if not value or any(v is None or isinstance(v, (dict, _LocalFunction)) for v in value):
            raise self.p.error(node, "an array argument must be a list of numbers or arrays",
                               "build the array with np.stack([...]) first")
        return st.Stack(*[self.array_arg(v, node) for v in value], static(0))

    def constant_call(self, node: ast.Call, name: str) -> Any:
        """A numpy call whose result has no gradient (np.eye(n), np.arange(n), np.argmax)."""
        kwargs = tuple((k.arg, self.static_value(self.expr(k.value), node, k.arg))
                       for k in node.keywords)
        return st.NpConstant(static(name), static(kwargs),
                             *[self.literal_arg(a) for a in node.args])

    def full_call(self, node: ast.Call) -> Any:
        """np.full(shape, value): value broadcast to shape, so value gets the summed gradient."""
        bound = self.call_args(node, ["shape", "fill_value", "dtype", "order"], literal=True)
        value = bound.get("fill_value")
        if not (isinstance(value, sp.Basic) and value.free_symbols):
            return self.constant_call(node, "full")
        if "shape" not in bound:
            raise self.p.error(node, "np.full needs a shape and a value")
        return st.Full(value, self.shape_arg(bound["shape"], node))

    def arange_call(self, node: ast.Call) -> Any:
        """np.arange(start, stop, step): start + i * step, so start and step get gradients
        (the count is a step function of them, with no gradient)."""
        bound = self.call_args(node, ["start", "stop", "step", "dtype"], literal=True)
        start, step = bound.get("start"), bound.get("step")
        if "stop" not in bound or not any(isinstance(v, sp.Basic) and v.free_symbols
                                          for v in (start, step)):
            return self.constant_call(node, "arange")  # np.arange(n): integers, no gradient
        return st.Arange(start, step if step is not None else static(None), bound["stop"])

    def literal_arg(self, node: ast.expr) -> Any:
        """An argument that keeps a float literal a float: np.arange(3.0) is a float array."""
        if isinstance(node, ast.Constant) and type(node.value) is float:
            return sp.Float(node.value)
        return self.arg(node)

    def arg(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Starred):
            raise self.p.error(node, "starred arguments are not supported")
        return self.expr(node)

    def elementwise_call(self, node: ast.Call, name: str, first: Any = None,
                         python: bool = False) -> Any:
        """A numpy (or, ``python``, a math module) function applied elementwise."""
        n = ew.arity(name)
        bound = self.call_args(node, ["a", "b", "c"][:n], first)
        if len(bound) != n:
            raise self.p.error(node, f"{name} takes {n} argument(s)")
        args = [bound[k] for k in ["a", "b", "c"][:n]]
        if name == "clip":
            args = [a if a is not None else (sp.oo if i == 2 else -sp.oo)
                    for i, a in enumerate(args)]
        if name in _UFUNC_OPERATORS and all(isinstance(a, sp.Basic) for a in args):
            return self.binop(_UFUNC_OPERATORS[name](), *args, node)  # np.subtract(x, x)
        value = _checked_form(name, args)
        if value is None:  # np.exp(np.log(x)): the inner call as a value of its own
            args = [self.named(a, node) for a in args]
            value = _checked_form(name, args)
        if value is None:  # np.maximum(x, x) is x: of names, SymPy's value is numpy's
            value = ew.sympy_form(name, *args)
        if _not_real(value, args):  # np.log(-0.3) is nan to numpy, log(0.3) + I*pi to SymPy
            return st.NpConstant(static(name), static(()), *args)
        if python and isinstance(value, sp.Basic) and value.is_number:
            value = sp.Float(float(value))  # math.sqrt(2 / math.pi) is a Python float
        return value

    def norm_call(self, node: ast.Call) -> Any:
        """np.linalg.norm for the 2-norm of vectors and the Frobenius norm of matrices."""
        def fro(a: ast.expr) -> bool:
            return isinstance(a, ast.Constant) and a.value == "fro"

        if any(fro(a) for a in node.args) or any(fro(k.value) for k in node.keywords):
            # ord="fro": the square root of the sum of squares, as for ord=None
            node = copy.copy(node)
            node.args = [ast.Constant(None) if fro(a) else a for a in node.args]
            node.keywords = [k for k in node.keywords if not fro(k.value)]
        bound = self.call_args(node, ["x", "ord", "axis", "keepdims"])
        order = bound.get("ord")
        if not (order is None or isinstance(order, sp.Basic) and order == 2):
            raise self.p.error(node, "np.linalg.norm: only the 2-norm (ord=None) is supported",
                               "write the norm out, e.g. np.sum(np.abs(x)) for ord=1")
        axis = self.static_value(bound.get("axis"), node, "axis")
        if order is not None and not isinstance(axis, int):
            raise self.p.error(node, "np.linalg.norm: ord=2 of a matrix is its largest "
                               "singular value, which is not supported",
                               "leave ord out for the Frobenius norm")
        keepdims = self.static_value(bound.get("keepdims", False), node, "keepdims")
        x = bound["x"]
        return sp.sqrt(st.NpSum(x**2, static(axis), static(bool(keepdims))))

    def linspace_call(self, node: ast.Call) -> Any:
        """np.linspace: differentiable in start and stop (numpy's signature)."""
        bound = self.call_args(node, ["start", "stop", "num", "endpoint", "retstep", "dtype",
                                      "axis"])
        if self.static_value(bound.get("retstep", False), node, "retstep"):
            raise self.p.error(node, "np.linspace(..., retstep=True) is not supported",
                               "compute the step yourself: (stop - start) / (num - 1)")
        if "start" not in bound or "stop" not in bound:
            raise self.p.error(node, "np.linspace needs start and stop")
        endpoint = self.static_value(bound.get("endpoint", True), node, "endpoint")
        axis = self.static_value(bound.get("axis", 0), node, "axis")
        if not isinstance(axis, int):
            raise self.p.error(node, "np.linspace: axis must be an integer")
        num = bound.get("num", sp.Integer(50))
        if not isinstance(num, sp.Basic) or num.is_Number and not num.is_Integer:
            raise self.p.error(node, "np.linspace: num must be an integer")
        return st.Linspace(bound["start"], bound["stop"], num, static(bool(endpoint)),
                           static(axis))

    def static_value(self, value: Any, node: ast.AST, what: str) -> Any:
        """A value that must be known at decoration time (axis, keepdims, ddof)."""
        if value is None or isinstance(value, (bool, int)):
            return value
        if value in (sp.true, sp.false):
            return bool(value)
        if isinstance(value, sp.Integer):
            return int(value)
        if isinstance(value, tuple):
            return tuple(self.static_value(v, node, what) for v in value)
        raise self.p.error(node, f"{what} must be a constant", f"write {what} as a literal")

    def structural_call(self, node: ast.Call, name: str, first: Any) -> Any:
        if name in st.REDUCTIONS:
            bound = self.call_args(node, ["a"] + _REDUCTION_PARAMS[name], first)
            x = bound.get("a")  # np.sum([a, b]) sums the stacked array
            axis = self.static_value(bound.get("axis"), node, "axis")
            keepdims = self.static_value(bound.get("keepdims", False), node, "keepdims")
            extra = [static(self.static_value(bound.get("ddof", 0), node, "ddof"))] \
                if name in ("var", "std") else []
            return st.REDUCTIONS[name](x, static(axis), static(bool(keepdims)), *extra)
        if name in ("dot", "matmul", "inner", "outer"):
            bound = self.call_args(node, ["a", "b"] + ([] if name == "inner" else ["out"]),
                                   first)
            cls = {"dot": st.Dot, "matmul": st.MatMul, "inner": st.Inner, "outer": st.Outer}
            return cls[name](bound["a"], bound["b"])
        if name == "transpose":
            bound = self.call_args(node, ["a", "axes"], first)
            axes = self.static_value(bound.get("axes"), node, "axes")
            return st.Transpose(bound["a"], static(axes))
        if name == "reshape":
            bound = self.call_args(node, ["a", "shape", "order"], first)
            return st.Reshape(bound["a"], self.shape_arg(bound["shape"], node),
                              *self.order_arg(bound, node))
        if name == "ravel":
            bound = self.call_args(node, ["a", "order"], first)
            return st.Ravel(bound["a"], *self.order_arg(bound, node))
        if name == "cumsum":
            bound = self.call_args(node, ["a", "axis", "dtype", "out"], first)
            return st.CumSum(bound["a"], static(self.static_value(bound.get("axis"), node,
                                                                  "axis")))
        if name in ("expand_dims", "squeeze"):
            bound = self.call_args(node, ["a", "axis"], first)
            axis = self.static_value(bound.get("axis"), node, "axis")
            return (st.ExpandDims if name == "expand_dims" else st.Squeeze)(bound["a"],
                                                                             static(axis))
        if name in ("concatenate", "stack"):
            bound = self.call_args(node, ["arrays", "axis", "out"], first)
            arrays = bound["arrays"]
            if not isinstance(arrays, (tuple, list)):
                raise self.p.error(node, f"{name} needs a literal list of arrays",
                                   f"write np.{name}([a, b], axis=...)")
            axis = self.static_value(bound.get("axis", 0), node, "axis")
            cls = st.Concatenate if name == "concatenate" else st.Stack
            return cls(*arrays, static(axis))
        if name in ("zeros", "ones"):
            bound = self.call_args(node, ["shape"], first)
            cls = st.Zeros if name == "zeros" else st.Ones
            return cls(self.shape_arg(bound["shape"], node))
        if name in ("zeros_like", "ones_like"):
            bound = self.call_args(node, ["a"], first)
            return (st.ZerosLike if name == "zeros_like" else st.OnesLike)(bound["a"])
        if name in ("array", "asarray", "copy"):
            return self.array_literal(node)
        if name in ("shape", "size", "ndim", "len"):
            bound = self.call_args(node, ["a"], first)
            cls = {"shape": st.Shape, "size": st.Size, "ndim": st.Ndim, "len": st.Len}
            return cls[name](bound["a"])
        raise self.p.error(node, f"np.{name} is not supported")  # pragma: no cover

    def order_arg(self, bound: dict[str, Any], node: ast.AST) -> list[Any]:
        """The memory order of a reshape or ravel: [] for 'C', [Static('F')] for 'F'."""
        order = bound.get("order")
        if order not in (None, "C", "F"):
            raise self.p.error(node, f"order={order!r} is not supported", "order='C' or "
                               "order='F' (order='A' and 'K' depend on the memory layout of "
                               "the argument at run time)")
        return [static("F")] if order == "F" else []

    def shape_arg(self, shape: Any, node: ast.AST) -> Any:
        if isinstance(shape, st.Shape):
            return shape
        items = shape if isinstance(shape, (tuple, list)) else (shape,)
        if all(isinstance(i, sp.Integer) for i in items):
            return static(tuple(int(i) for i in items))
        return sp.Tuple(*items)

    def array_literal(self, node: ast.Call) -> Any:
        if len(node.args) != 1 or node.keywords:
            raise self.p.error(node, "np.array takes one list literal here")
        layout: list[tuple[int, ...]] = []
        elements: list[Any] = []
        if not isinstance(node.args[0], (ast.List, ast.Tuple)):
            value = self.expr(node.args[0])  # np.array(x): a copy, and values are never written
            if isinstance(value, (list, tuple)) and \
                    any(isinstance(v, (list, tuple)) for v in value):
                def walk_values(v: Any, prefix: tuple[int, ...]) -> None:  # a comprehension
                    if isinstance(v, (list, tuple)):
                        for i, e in enumerate(v):
                            walk_values(e, prefix + (i,))
                        return
                    if v is None:
                        raise self.p.error(node, "np.array elements must be numbers")
                    layout.append(prefix)
                    elements.append(v)

                walk_values(value, ())
                return st.ArrayOf(static(tuple(layout)), *_as_float(elements, False))
            if isinstance(value, (list, tuple)):
                return st.Stack(*value, static(0))
            return value

        def walk(n: ast.expr, prefix: tuple[int, ...]) -> None:
            if isinstance(n, (ast.List, ast.Tuple)):
                for i, e in enumerate(n.elts):
                    walk(e, prefix + (i,))
                return
            value = self.expr(n)
            if isinstance(value, (tuple, list)) or value is None:
                raise self.p.error(n, "np.array elements must be scalars")
            layout.append(prefix)
            elements.append(value)

        walk(node.args[0], ())
        if not layout or any(len(p) == 0 for p in layout):
            raise self.p.error(node, "np.array needs a list literal of scalars")
        ints = all(_int_literal(n) for n in ast.walk(node.args[0])
                   if not isinstance(n, (ast.List, ast.Tuple, ast.Load, ast.USub, ast.UnaryOp)))
        return st.ArrayOf(static(tuple(layout)), *_as_float(elements, ints))

    def method_call(self, node: ast.Call, base: Any, method: str) -> Any:
        if method in _REDUCTION_METHODS or method in ("cumsum", "squeeze", "dot"):
            return self.structural_call(node, method, base)
        if method in ("reshape", "transpose"):
            # x.reshape(3, 4) or x.reshape((3, 4)), x.transpose(1, 0) or x.transpose((1, 0))
            items = [self.arg(a) for a in node.args]
            packed = items[0] if len(items) == 1 else tuple(items)
            if method == "reshape":
                if not items:
                    raise self.p.error(node, ".reshape() needs a shape")
                bound = self.call_args(_keywords_only(node), ["order"])
                return st.Reshape(base, self.shape_arg(packed, node),
                                  *self.order_arg(bound, node))
            if node.keywords:
                raise self.p.error(node, ".transpose() takes no keyword arguments",
                                   "write x.transpose(2, 0, 1) or np.transpose(x, axes=...)")
            axes = packed if items else None
            return st.Transpose(base, static(self.static_value(axes, node, "axes")))
        if method in ("ravel", "flatten"):
            return st.Ravel(base, *self.order_arg(self.call_args(node, ["order"]), node))
        if method == "detach" and not node.args and not node.keywords:
            return st.StopGradient(base)
        if method == "copy":
            self.call_args(node, ["order"])  # the values are the same in any memory order
            return base
        if method == "clip":
            return self.elementwise_call(node, "clip", base)
        if method in _CONSTANT_METHODS:
            kwargs = tuple((k.arg, self.static_value(self.expr(k.value), node, k.arg))
                           for k in node.keywords)
            return st.NpConstant(static(method), static(kwargs), base,
                                 *[self.arg(a) for a in node.args])
        raise self.p.error(node, f"method .{method}() is not supported",
                           "supported: .sum .mean .max .min .prod .var .std .reshape .ravel "
                           ".transpose .squeeze .dot .clip .copy .detach")


class _Opaque:
    """A Python object met during lowering that is not a value (a module, a function)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def lower(parsed: Parsed) -> Function:
    return Lowerer(parsed).lower()


@dataclass
class _Outcome:
    env: dict[str, Any]
    block: Block
    returned: bool
    returns: list[str]
    returns_tuple: bool


class _LocalFunction:
    """A nested ``def`` or lambda: inlined where it is called, reading its definer's names."""

    def __init__(self, node: ast.FunctionDef, definer: Lowerer) -> None:
        self.node = node
        self.definer = definer


_STATEMENT_HINTS = {
    "Try": "exceptions are not differentiable control flow: check inputs before calling",
    "Raise": "raise errors before calling the differentiated function",
    "ClassDef": "define classes outside the differentiated function",
    "Global": "a differentiated function cannot write globals: return the value instead",
    "Nonlocal": "return the value instead of writing an enclosing function's variable",
    "Delete": "drop the `del`: names go out of scope at the end of the function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "Assert": "check inputs before calling the differentiated function",
    "AsyncFunctionDef": "async functions are not supported",
    "Match": "use if/elif/else",
}
_STDLIB_PATHS = tuple(p for p in {sysconfig.get_paths().get(k) for k in
                                  ("stdlib", "platstdlib")} if p)


def _is_user_function(obj: Any) -> bool:
    """A plain Python function of the user's own code (not numpy's or the standard library's)."""
    if not inspect.isfunction(obj):
        return False
    if (getattr(obj, "__module__", "") or "").split(".")[0] in _LIBRARY_ROOTS:
        return False
    return not obj.__code__.co_filename.startswith(_STDLIB_PATHS)


# & and | of masks (x ^ 2 is more often a power written wrong than a mask's xor: refused)
_BITWISE = {ast.BitAnd: (operator.and_, masks.BitAnd), ast.BitOr: (operator.or_, masks.BitOr)}


def _logical(conjunction: bool, values: list[Any]) -> Any:
    """Python's ``a and b`` (``a or b``) of conditions: the first value that decides it (a
    false one for ``and``, a true one for ``or``), else the last; the constants decided now
    (True/False decide as themselves: their truth is all that differs from the value)."""
    rest: list[Any] = []
    for i, v in enumerate(values):
        if not (v in (sp.true, sp.false) or isinstance(v, sp.Number)):
            rest.append(v)
        elif bool(v) != conjunction:  # it decides: nothing after it is evaluated
            if v in (sp.true, sp.false):
                return v
            rest.append(v)
            break
        elif i == len(values) - 1 and (not rest or v not in (sp.true, sp.false)):
            rest.append(v)  # all passed: Python gives the last value (`c and True` is c's truth)
    if len(rest) == 1:
        return rest[0]
    return (masks.LogicalAnd if conjunction else masks.LogicalOr)(*rest)


_OPERATOR_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UFUNC_OPERATORS = {"add": ast.Add, "subtract": ast.Sub, "multiply": ast.Mult,
                    "divide": ast.Div, "power": ast.Pow}


def _combine_operator(op: ast.operator, a: Any, b: Any) -> Any:
    """SymPy's value of ``a <op> b``, or None where it is not numpy's (see ``exact``)."""
    if isinstance(op, ast.Add):
        return exact.combine(sp.Add, a, b)
    if isinstance(op, ast.Sub):
        minus_b = exact.combine(sp.Mul, sp.S.NegativeOne, b)
        return None if minus_b is None else exact.combine(sp.Add, a, minus_b)
    if isinstance(op, ast.Mult):
        return exact.combine(sp.Mul, a, b)
    if isinstance(op, ast.Div):
        inverse = exact.combine(sp.Pow, b, sp.S.NegativeOne)
        return None if inverse is None else exact.combine(sp.Mul, a, inverse)
    return exact.combine(sp.Pow, a, b)


def _checked_form(name: str, args: list[Any]) -> Any:
    """``ew.sympy_form(name, *args)``, or None where SymPy's evaluation is not numpy's."""
    with sp.evaluate(False):
        raw = ew.sympy_form(name, *args)
    return exact.rebuild(raw)


def _not_real(value: Any, operands: Any) -> bool:
    """Whether SymPy's value of an operation on real constants is not a real number (a
    complex one, zoo, nan): numpy's (nan, inf) or Python's (a complex) is computed instead."""
    return isinstance(value, sp.Basic) and not value.free_symbols and \
        value.is_extended_real is not True and \
        all(isinstance(a, sp.Basic) and a.is_extended_real for a in operands)


def _python_number(value: Any) -> Any:
    """A constant Python computes (``2 ** 0.5``) as a Python float, not ``np.sqrt(2)``:
    a numpy scalar would turn a float32 result into float64."""
    if isinstance(value, sp.Basic) and value.is_number and not value.is_Rational and \
            any(isinstance(n, sp.Function) or n.is_Pow for n in sp.preorder_traversal(value)):
        try:
            return sp.Float(float(value))
        except TypeError:  # complex: numpy has its own say
            return value
    return value


def _as_python_typed(value: Any, node: ast.AST) -> Any:
    """A whole number that Python computes as a float (``3.0``, ``6 / 2``, ``2 * 1.5``) stays
    a float: SymPy's Integer would print as an int."""
    if isinstance(value, sp.Integer) and any(
            isinstance(n, ast.Constant) and type(n.value) is float or
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in ast.walk(node)):
        return sp.Float(int(value))
    return value


def _part_name(value: Any, hint: str | None) -> str:
    """A name for an operand that becomes a value of its own: ``sqrt_x`` for np.sqrt(x)."""
    head = "sqrt" if value.is_Pow and value.exp == sp.S.Half else \
        type(value).__name__.lower() if isinstance(value, sp.Function) else None
    inner = value.args[0] if head else None
    if head and isinstance(inner, sp.Symbol) and not isinstance(value, st.Structural):
        return f"{_NUMPY_NAMES.get(head, head)}_{inner.name}"
    return f"{hint or 'value'}_part"


_NUMPY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}


def _ints(a: Any, b: Any) -> bool:
    return isinstance(a, sp.Integer) and isinstance(b, sp.Integer) and b != 0


def _floats(a: Any, b: Any) -> bool:
    """Two real constants, not both integers, that Python divides (``0.5 // 0.7`` is 0.0, as
    numpy's): a FloorDiv of numbers left unevaluated is not comparable inside Max or clip."""
    return all(isinstance(v, sp.Number) and v.is_real and v.is_finite for v in (a, b)) \
        and b != 0


def _keywords_only(node: ast.Call) -> ast.Call:
    """The call with its positional arguments left out (bound separately)."""
    out = copy.copy(node)
    out.args = []
    return out


def _loc(node: ast.AST) -> dict[str, int]:
    return {k: getattr(node, k) for k in ("lineno", "col_offset", "end_lineno",
                                          "end_col_offset") if hasattr(node, k)}


def _walk_scope_list(body: list[ast.stmt]) -> Any:
    """ast.walk over statements without entering nested functions, lambdas or classes."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                      ast.ClassDef)):
                stack.append(child)
            else:
                yield child


def _walk_scope(tree: ast.FunctionDef) -> Any:
    return _walk_scope_list(list(tree.body))


def _assigned_in(body: list[ast.stmt]) -> set[str]:
    """Names a block rebinds: plain and augmented assignment, ``name[i] = ...``, loop targets."""
    out = set()
    for node in _walk_scope_list(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name):
            out.add(node.value.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
    return out


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


def _as_float(elements: list[Any], ints: bool) -> list[Any]:
    """np.array([0, 2, 2]) written with integer literals stays an integer array (an index,
    as in numpy); otherwise integers become floats (np.array([1.0, 2.0]) is float)."""
    if ints and all(isinstance(e, sp.Integer) for e in elements):
        return elements
    return [sp.Float(int(e)) if isinstance(e, sp.Integer) else e for e in elements]


def _int_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


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


def _item_of(node: ast.expr) -> ast.expr:
    """``node[0]``: what a loop over ``node`` binds, for the shared-memory tracking."""
    return ast.Subscript(node, ast.Constant(0), ast.Load(), **_loc(node))
