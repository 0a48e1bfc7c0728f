"""Lower a function's AST to the IR: SSA statements over SymPy expressions.

Every name is resolved against the function's globals and closure, so ``import numpy as xp``,
``from numpy import exp`` and module-level constants all work. Anything the lowering does not
understand raises SymgradError pointing at the offending code.

``Lowerer`` holds the state of one function's lowering; its methods come from one mixin per
kind of code: statements.py, loops.py, inlining.py (calls to user functions), names.py,
expressions.py and calls.py (calls to numpy, math and builtins).
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import sympy as sp

from symgrad.errors import SymgradError
from symgrad.frontend.aliasing import SharedMemory
from symgrad.frontend.calls import CallLowering
from symgrad.frontend.common import walk_scope
from symgrad.frontend.expressions import ExpressionLowering
from symgrad.frontend.inlining import InlineLowering
from symgrad.frontend.ir import Block, Function, Param
from symgrad.frontend.loops import LoopLowering
from symgrad.frontend.names import NameLowering
from symgrad.frontend.parse import MISSING, Parsed
from symgrad.frontend.statements import StatementLowering


class Lowerer(StatementLowering, LoopLowering, InlineLowering, NameLowering,
              ExpressionLowering, CallLowering):
    """Turns one parsed function into an IR Function; calls to user functions are inlined."""

    def __init__(self, parsed: Parsed, parent: Lowerer | None = None) -> None:
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
            cname, k = f"{name}_default", 1
            while cname in self.versions or cname in self.constants:
                k += 1
                cname = f"{name}_default{k}"
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
        for node in walk_scope(self.p.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
        return names | {a.arg for a in self.p.tree.args.args}


def lower(parsed: Parsed) -> Function:
    return Lowerer(parsed).lower()
