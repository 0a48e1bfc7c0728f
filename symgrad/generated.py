"""A generated module: its text and the names of its functions (a function's gradient
module, or one primitive's eager backward), and the check every generated text passes
before anyone runs it.

No SymPy here: the disk cache rebuilds a ``Generated`` from a file, and the eager vjp table
checks its printed text, without the pipeline above them.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgrad.errors import SymgradError


@dataclass
class Generated:
    """A generated numpy module and the names of its three functions; made by codegen, stored
    and restored field by field by the disk cache."""

    source: str
    primal_name: str
    grad_name: str
    value_and_grad_name: str
    seed_param: str
    constants: str = "[]"  # JSON: [generated name, module, function, global name] per array


@dataclass
class VjpModule:
    """The generated module of one primitive's eager backward: it defines ``vjp(g, x0, ...,
    out)``, returning one cotangent (or None) per input. Made by ``codegen.vjp_module``,
    stored and restored field by field by the disk cache, as a ``Generated`` is."""

    source: str
    op: str  # the primitive, with its static arguments: `sum(axis=0)`
    reads: str  # JSON: per input, the parameters its cotangent reads (for version checks)


def check_module(text: str, name: str, filename: str | None = None, lineno: int | None = None,
                 provided: frozenset[str] = frozenset()) -> None:
    """The generated module is valid Python and reads only names it defines or imports
    (or that its runner ``provided`` in its namespace).

    A SymPy name leaking into the text (``Derivative``, ``ITE``, ``Piecewise``) would fail
    only when the gradient runs, with a NameError; here it is an internal error at once,
    naming the name and the generated line.
    """
    tree = ast.parse(text)  # generated code must always be valid Python
    first: dict[str, int] = {}
    for what, node in _undefined_names(tree, provided):
        first.setdefault(what, node.lineno)
    lines = text.splitlines()
    problems = [f"{what} (generated line {n}: {lines[n - 1].strip()})"
                for what, n in first.items()]
    if problems:
        raise SymgradError(
            f"internal error: the code symgrad generated for {name} reads names it never "
            "defines:\n  " + "\n  ".join(problems), filename=filename, lineno=lineno,
            hint="this is a bug in symgrad, not in your code: please report it with this "
            "function")


def undefined_names(text: str, provided: frozenset[str] = frozenset()) -> set[str]:
    """The names a piece of module text reads but never defines (``check_module``'s test)."""
    return {what for what, _ in _undefined_names(ast.parse(text), provided)}


def _undefined_names(tree: ast.Module, provided: frozenset[str]) -> list[tuple[str, ast.AST]]:
    """Each free name of the module and each ``np.attr`` numpy does not have, with its node."""
    module = set(dir(builtins)) | provided | {n for s in tree.body for n in (
        {s.name} if isinstance(s, (ast.FunctionDef, ast.ClassDef)) else _bound([s]))}
    out: list[tuple[str, ast.AST]] = []
    for stmt in tree.body:
        local = set(module)
        if isinstance(stmt, ast.FunctionDef):  # its parameters and every name it binds
            local |= _bound(stmt.body) | {a.arg for a in ast.walk(stmt) if isinstance(a, ast.arg)}
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                    node.id not in local:
                out.append((f"{node.id!r}", node))
            elif isinstance(node, ast.Attribute) and _numpy_path(node) and \
                    not _numpy_has(_numpy_path(node)):
                out.append((f"{'.'.join(_numpy_path(node))!r} (numpy has no such name)", node))
    return out


def _bound(stmts: list[ast.stmt]) -> set[str]:
    """Names bound anywhere in ``stmts``: assignment and loop targets, defs, imports."""
    names: set[str] = set()
    for node in (n for s in stmts for n in ast.walk(s)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _numpy_path(node: ast.Attribute) -> list[str] | None:
    """``np.linalg.norm`` -> ["np", "linalg", "norm"]; None for anything not read off np."""
    parts: list[str] = []
    value: ast.AST = node
    while isinstance(value, ast.Attribute):
        parts.insert(0, value.attr)
        value = value.value
    return ["np", *parts] if isinstance(value, ast.Name) and value.id == "np" else None


def _numpy_has(path: list[str]) -> bool:
    obj: Any = np
    for part in path[1:]:
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


