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
from functools import cache
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
                 provided: frozenset[str] = frozenset(),
                 scanned: list[Scanned] | None = None) -> None:
    """The generated module is valid Python and reads only names it defines or imports
    (or that its runner ``provided`` in its namespace).

    A SymPy name leaking into the text (``Derivative``, ``ITE``, ``Piecewise``) would fail
    only when the gradient runs, with a NameError; here it is an internal error at once,
    naming the name and the generated line. ``scanned``: ``scan(text)``, where the caller
    has it already (a long module's parse and walk are a tenth of its generation).
    """
    if scanned is None:
        scanned = scan(text)  # generated code must always be valid Python
    first: dict[str, int] = {}
    for what, node in _undefined_names(scanned, provided):
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
    return {what for what, _ in _undefined_names(scan(text), provided)}


class Scanned:
    """One top-level statement of a module, walked once (in ``ast.walk``'s order): the
    names it binds, reads and calls, for ``check_module`` and codegen's shadowing check."""

    def __init__(self, stmt: ast.stmt) -> None:
        self.stmt = stmt
        is_def = isinstance(stmt, ast.FunctionDef)
        self.bound: set[str] = set()  # ``_bound`` of a def's body, or of the statement
        self.stored: set[str] = set()  # Name targets (not del) anywhere in it
        self.args: set[str] = set()  # parameters anywhere in it (nested defs' too)
        self.called: set[str] = set()  # f of every call f(...)
        self.loads: list[ast.AST] = []  # Names read and attributes, in walk order
        nodes, inside = [stmt], [not is_def]
        i = 0
        while i < len(nodes):  # ast.walk, inlined: on a long function it is most of the cost
            node, flag = nodes[i], inside[i]
            i += 1
            kind = type(node)
            if kind is ast.Name:
                ctx = type(node.ctx)
                if ctx is ast.Load:
                    self.loads.append(node)
                else:
                    if ctx is ast.Store:
                        self.stored.add(node.id)
                    if flag:
                        self.bound.add(node.id)
                continue  # (a Name's only child is its context)
            if kind is ast.Attribute:
                self.loads.append(node)
            elif kind is ast.Call and type(node.func) is ast.Name:
                self.called.add(node.func.id)
            elif kind is ast.arg:
                self.args.add(node.arg)
            elif flag and kind in (ast.FunctionDef, ast.ClassDef):
                self.bound.add(node.name)
            elif flag and kind in (ast.Import, ast.ImportFrom):
                self.bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif flag and kind is ast.ExceptHandler and node.name:
                self.bound.add(node.name)
            for field in node._fields:
                value = getattr(node, field, None)
                child_flag = flag or node is stmt and field == "body"
                if isinstance(value, ast.AST):
                    if type(value) not in _INERT:
                        nodes.append(value)
                        inside.append(child_flag)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST) and type(item) not in _INERT:
                            nodes.append(item)
                            inside.append(child_flag)


# nodes that bind, read and call nothing and have no nodes under them (an operator, a
# context, a constant): left out of `Scanned`'s walk, which would only step over them
_INERT = frozenset({ast.Constant, *(kind for base in (
    ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)
    for kind in base.__subclasses__())})


def scan(text: str) -> list[Scanned]:
    """Each top-level statement of ``text``, walked (``Scanned``)."""
    tree = ast.parse(text)
    _LAST_PARSED[:] = [(text, tree)]
    return [Scanned(s) for s in tree.body]


_LAST_PARSED: list[tuple[str, ast.Module]] = []  # the text scan parsed last, and its tree


def compiled(text: str, filename: str) -> Any:
    """``compile(text, filename, "exec")``; from the tree ``scan`` made of this very text
    where it was the last one scanned (a generated module is checked, then compiled: its
    parse was a third of the compile)."""
    if _LAST_PARSED and _LAST_PARSED[0][0] is text:
        tree = _LAST_PARSED.pop()[1]
        return compile(tree, filename, "exec")
    return compile(text, filename, "exec")


def _undefined_names(scanned: list[Scanned],
                     provided: frozenset[str]) -> list[tuple[str, ast.AST]]:
    """Each free name of the module and each ``np.attr`` numpy does not have, with its node."""
    module = set(dir(builtins)) | provided | {n for s in scanned for n in (
        {s.stmt.name} if isinstance(s.stmt, (ast.FunctionDef, ast.ClassDef)) else s.bound)}
    out: list[tuple[str, ast.AST]] = []
    for s in scanned:
        local = module
        if isinstance(s.stmt, ast.FunctionDef):  # its parameters and every name it binds
            local = module | s.bound | s.args
        for node in s.loads:
            if type(node) is ast.Name:
                if node.id not in local:
                    out.append((f"{node.id!r}", node))
            else:
                path = _numpy_path(node)
                if path and not _numpy_has(tuple(path)):
                    out.append((f"{'.'.join(path)!r} (numpy has no such name)", node))
    return out


def _numpy_path(node: ast.Attribute) -> list[str] | None:
    """``np.linalg.norm`` -> ["np", "linalg", "norm"]; None for anything not read off np."""
    parts: list[str] = []
    value: ast.AST = node
    while isinstance(value, ast.Attribute):
        parts.insert(0, value.attr)
        value = value.value
    return ["np", *parts] if isinstance(value, ast.Name) and value.id == "np" else None


@cache
def _numpy_has(path: tuple[str, ...]) -> bool:
    obj: Any = np
    for part in path[1:]:
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


