"""Lower a function's AST to the IR: SSA statements over SymPy expressions.

Every name is resolved against the function's globals and closure, so ``import numpy as xp``,
``from numpy import exp`` and module-level constants all work. Anything the lowering does not
understand raises SymgradError pointing at the offending code.

``Lowerer`` holds the state of one function's lowering; its methods come from one mixin per
kind of code: statements.py, loops.py, inlining.py (calls to user functions), names.py,
expressions.py, calls.py (calls to numpy, math and builtins) and arraycalls.py (the list-valued
and list-taking ones: np.split, np.select, np.piecewise, np.gradient).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from symgrad.errors import SymgradError
from symgrad.frontend.aliasing import SharedMemory
from symgrad.frontend.arraycalls import ArrayCallLowering
from symgrad.frontend.calls import CallLowering
from symgrad.frontend.expressions import ExpressionLowering
from symgrad.frontend.inlining import InlineLowering
from symgrad.frontend.ir import Block, Function, Param, first_free
from symgrad.frontend.lists import ListLowering
from symgrad.frontend.loops import LoopLowering
from symgrad.frontend.names import NameLowering
from symgrad.frontend.parse import MISSING, Parsed
from symgrad.frontend.statements import StatementLowering


@dataclass
class LoweringContext:
    """What all the Lowerers of one decorated function share: the body of a call is lowered
    by a Lowerer of its own (inlining.py) that emits into the same program, so the names
    taken, the module constants and what is known about emitted values are one set."""

    call_stack: list[Any]  # the functions being inlined, the decorated one first
    used_names: set[str] = field(default_factory=set)  # the user's names, and user_fresh's
    versions: dict[str, int] = field(default_factory=dict)  # name -> its latest SSA version
    constants: dict[str, Any] = field(default_factory=dict)  # the generated module's arrays
    # generated name -> (module, function, global name) the array came from
    constant_origins: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    int_names: set[str] = field(default_factory=set)  # loop counters: surely integers
    # emitted name -> its value (or a join's two values)
    defs: dict[str, Any] = field(default_factory=dict)
    mask_names: set[Any] = field(default_factory=set)  # emitted symbols holding a mask
    # the parameters not differentiated: they may be bool arrays (m + n is numpy's or)
    maybe_bool: frozenset[str] = frozenset()
    list_names: set[str] = field(default_factory=set)  # values that are lists (lists.py)
    pending_comprehension: Any = None  # (node, value) lowered by lists.named_list


class Lowerer(StatementLowering, LoopLowering, ListLowering, InlineLowering, NameLowering,
              ExpressionLowering, CallLowering, ArrayCallLowering):
    """Turns one parsed function into an IR Function; calls to user functions are inlined."""

    def __init__(self, parsed: Parsed, context: LoweringContext | None = None,
                 block: Block | None = None, no_grad_depth: int = 0) -> None:
        """A child Lowerer (a call being inlined) gets its caller's ``context``, and starts
        emitting into the caller's current ``block`` at its ``no_grad_depth``."""
        self.p = parsed
        self.fn = parsed.fn
        self.ctx = context if context is not None else LoweringContext([parsed.fn])
        self.block = block if block is not None else Block()  # where statements go now
        self.no_grad_depth = no_grad_depth  # how many `with no_grad():` enclose the code
        self.env: dict[str, Any] = {}  # local name -> SymPy value, container or local function
        # which names may share memory (in-place writes)
        self.memory = SharedMemory(lambda name: name in self.locals or name in self.env)
        read, args, assigned = parsed.names()
        self.ctx.used_names |= read | args
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
        self.maybe_unbound: set[Any] = set()  # values unbound after a loop of no iterations
        self.loop_names: set[str] = set()  # carried values and loop variables
        self.branch_locals: set[str] = set()
        self.name_hint: str | None = None
        self.return_base = "out"
        # the names the body binds, and the parameters
        self.locals = set(assigned) | {a.arg for a in parsed.tree.args.args}
        self.statics: dict[str, Any] = {}  # parameter -> its static value (lower())

    def lower(self) -> Function:
        tree = self.p.tree
        params = self.bind_params(tree.args)
        self.body(tree)
        return Function(tree.name, params, self.block, self.returns, self.returns_tuple,
                        self.p.filename, self.p.firstlineno, self.ctx.constants, self.p.source,
                        dict(self.ctx.constant_origins))

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
            if a.arg in self.statics:  # the default is the value specialised for
                v = self.statics[a.arg]
            text = None if v is MISSING else self.default_text(v, a.arg, d or a)
            params.append(Param(a.arg, text, v is not MISSING))
            self.env[a.arg] = sp.Symbol(a.arg, real=True)
            self.ctx.versions[a.arg] = 0
            if a.arg in self.statics:  # specialised: the value is a constant here
                self.env[a.arg] = self.static_param(self.statics[a.arg], a.arg, a)
        return params

    def static_param(self, value: Any, name: str, node: ast.AST) -> Any:
        """A static parameter's value as the lowering holds constants: a string stays a
        Python str (compared with ``==`` at decoration time), a tuple a tuple."""
        if isinstance(value, str) or value is None:
            return value
        if isinstance(value, tuple):
            return tuple(self.static_param(v, name, node) for v in value)
        return self.constant(value, name, node)

    def default_text(self, value: Any, name: str, node: ast.AST) -> str:
        """A parameter's default value as Python text; an array becomes a module constant."""
        from symgrad.export import literal

        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            cname = first_free(f"{name}_default", lambda n: n in self.ctx.versions or
                               n in self.ctx.constants, sep="", start=2)
            self.ctx.constants[cname] = value
            self.ctx.versions.setdefault(cname, 0)
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


def lower(parsed: Parsed, maybe_bool: frozenset[str] = frozenset(),
          statics: dict[str, Any] | None = None) -> Function:
    """``maybe_bool``: the parameters that are not differentiated, which may be bool arrays;
    ``statics``: parameters read as the constants given (a specialisation, see api.py)."""
    context = LoweringContext([parsed.fn], maybe_bool=frozenset(maybe_bool))
    lowerer = Lowerer(parsed, context)
    lowerer.statics = dict(statics or {})
    return lowerer.lower()
