"""What the lowering's mixins share: the env key of `break`, opaque objects, AST walks."""

from __future__ import annotations

import ast
from typing import Any

import sympy as sp

from symgrad.rules.base import free_symbols

STOP = "<stop>"  # the env key of "the current loop iteration ended in `break`"
# the init of a loop-carried name that has no value before its loop (ir.Carry)
UNBOUND = sp.Symbol("<unbound>", real=True)


class Opaque:
    """A Python object met during lowering that is not a value (a module, a function)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    # never an object's repr (its address): its type's name where it has no name of its own
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or \
        f"{type(obj).__qualname__} object"
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def not_real(value: Any, operands: Any) -> bool:
    """Whether SymPy's value of an operation on real constants is not a real number (a
    complex one, zoo, nan): numpy's (nan, inf) or Python's (a complex) is computed instead."""
    return isinstance(value, sp.Basic) and not free_symbols(value) and \
        value.is_extended_real is not True and \
        all(isinstance(a, sp.Basic) and a.is_extended_real for a in operands)


def as_python_typed(value: Any, node: ast.AST) -> Any:
    """A whole number that Python computes as a float (``3.0``, ``6 / 2``, ``2 * 1.5``) stays
    a float: SymPy's Integer would print as an int."""
    if isinstance(value, sp.Integer) and any(
            isinstance(n, ast.Constant) and type(n.value) is float or
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in ast.walk(node)):
        return sp.Float(int(value))
    return value


def typed_numbers(values: list[Any], nodes: list[ast.AST], selected: bool = False) -> list[Any]:
    """Numbers written as floats (``1.0``, lowered to SymPy's exact 1) stay floats where they
    alone decide the result's dtype: np.where(c, 0.0, 1.0), np.maximum(0.0, 1.0) are float
    to numpy, and SymPy's 0 and 1 would print as ints. ``selected``: the values are chosen,
    never computed with (np.where's), so each keeps its type whatever the others are."""
    if not selected and not all(isinstance(v, sp.Number) for v in values):
        return values
    return [as_python_typed(v, n) for v, n in zip(values, nodes, strict=True)]


def loc(node: ast.AST) -> dict[str, int]:
    return {k: getattr(node, k) for k in ("lineno", "col_offset", "end_lineno",
                                          "end_col_offset") if hasattr(node, k)}


def walk_scope_list(body: list[ast.stmt]) -> Any:
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


def walk_scope(tree: ast.FunctionDef) -> Any:
    return walk_scope_list(list(tree.body))


def assigned_in(body: list[ast.stmt]) -> set[str]:
    """Names a block rebinds: plain and augmented assignment, ``name[i] = ...``, loop targets."""
    out = set()
    for node in walk_scope_list(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name):
            out.add(node.value.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
    return out

