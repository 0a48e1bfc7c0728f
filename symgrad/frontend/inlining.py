"""Inlining calls to the user's own functions, nested functions and lambdas (closures read
their definer's names)."""

from __future__ import annotations

import ast
from typing import Any

import sympy as sp

from symgrad.frontend.aliasing import sources_of
from symgrad.frontend.parse import (
    Parsed,
    is_user_function,  # noqa: F401  (calls.py reads it here)
    parse_function,
)

_MAX_INLINE_DEPTH = 32


class InlineLowering:
    """Calls to user functions, mixed into ``Lowerer``: their bodies are lowered in place."""

    def inline(self, node: ast.Call, target: Any) -> Any:
        """Lower a call to a user function by lowering its body in place (arguments bound)."""
        if isinstance(target, LocalFunction):
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
        if self.ctx.call_stack.count(key) >= _MAX_INLINE_DEPTH:
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
            bound[name] = self.inline_arg(a)
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in bound:
                raise self.p.error(node, f"unexpected keyword argument {kw.arg!r}")
            bound[kw.arg] = self.inline_arg(kw.value)
            arg_nodes[kw.arg] = kw.value
        child = type(self)(parsed, self.ctx, self.block, self.no_grad_depth)  # a Lowerer
        for name, a in arg_nodes.items():  # an argument is the caller's memory, not a copy
            for i, (source, partial) in enumerate(sources_of(a)):
                caller = f"the caller's {source!r}"
                child.memory.names[caller] = self.memory.of(source)
                child.memory.share(name, caller, partial, merge=i > 0)
        child.return_base = parsed.tree.name if parsed.tree.name.isidentifier() else "value"
        if isinstance(target, LocalFunction):
            child.env = {k: v for k, v in target.definer.env.items() if k not in child.locals}
        for name, d in zip(names, defaults, strict=True):
            if name in bound:
                value = bound[name]
            elif d is None:
                raise self.p.error(node, f"missing argument {name!r}")
            elif isinstance(d, tuple) and d and d[0] == "value":
                value = d[1] if isinstance(d[1], str) else self.constant(d[1], name, node)
            elif isinstance(d, ast.Constant) and isinstance(d.value, str):
                value = d.value
            else:
                value = child.expr(d)
            if isinstance(value, sp.Basic) and value.free_symbols and \
                    not isinstance(value, sp.Symbol):
                child.stmt_lines = list(self.stmt_lines)
                value = sp.Symbol(self.emit(name, value, node), real=True)
            child.env[name] = value
        self.ctx.call_stack.append(key)
        try:
            child.body(parsed.tree)
        finally:
            self.ctx.call_stack.pop()
        values = [sp.Symbol(n, real=True) for n in child.returns]
        return tuple(values) if child.returns_tuple else values[0]


    def inline_arg(self, a: ast.expr) -> Any:
        """An argument of an inlined call; a string (``reduction="sum"``, or a static
        parameter's value) stays a Python str, which the callee compares with ``==``."""
        if isinstance(a, ast.Constant) and isinstance(a.value, str):
            return a.value
        if isinstance(a, ast.Name) and isinstance(self.env.get(a.id), str):
            return self.env[a.id]
        return self.arg(a)


class LocalFunction:
    """A nested ``def`` or lambda: inlined where it is called, reading its definer's names."""

    def __init__(self, node: ast.FunctionDef, definer: Any) -> None:  # definer: its Lowerer
        self.node = node
        self.definer = definer
