"""Python loop forms rewritten into ones the lowering knows, before it sees them.

``return`` inside a loop becomes ``break`` plus a flag and a value; ``for/while ... else``
becomes a flag set at each ``break``. The rewritten code is plain Python over fresh names.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from typing import Any

Fresh = Callable[[str], str]  # a variable name the user's code does not use
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def loop_returns(loop: ast.For | ast.While) -> bool:
    """Whether a `return` sits in the loop's body (not in a nested function)."""
    return _returns_in(loop.body)


def _returns_in(stmts: list[ast.stmt]) -> bool:
    stack: list[ast.AST] = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, _SCOPES):
            continue  # its returns are its own
        if isinstance(n, ast.Return):
            return True
        stack.extend(ast.iter_child_nodes(n))
    return False


def return_as_break(loop: ast.For | ast.While, rest: list[ast.stmt], fresh: Fresh,
                    error: Callable[..., Exception]) -> list[ast.stmt]:
    """``for ...: if c: return v`` as ``found = False; for ...: if c: result = v;
    found = True; break`` then ``if found: return result`` before the rest."""
    found, result = fresh("found"), fresh("result")

    class Rewrite(_ThisLoopOnly):
        def visit_Return(self, node: ast.Return) -> Any:
            if node.value is None or isinstance(node.value, (ast.Tuple, ast.List)):
                raise error(node, "`return` of several values (or of nothing) inside a loop "
                            "is not supported", "`break` out of the loop and return after it")
            return [_store(result, node.value, node), _store(found, ast.Constant(True), node),
                    ast.copy_location(ast.Break(), node)]

        def visit_For(self, node: ast.AST) -> Any:
            if _returns_in(node.body):
                bad = next(n for s in node.body for n in ast.walk(s)
                           if isinstance(n, ast.Return))
                raise error(bad, "`return` inside a nested loop is not supported",
                            "set a flag, `break` out of both loops, return after")
            return super().visit_For(node)

        visit_While = visit_For

    give = ast.copy_location(ast.Return(ast.Name(result, ast.Load())), loop)
    if _endless(loop):  # while True with no break of its own: it only ends by returning
        after: ast.stmt = give
    else:
        after = ast.If(ast.Name(found, ast.Load()), [give], list(rest))
    return [_store(found, ast.Constant(False), loop), _store(result, ast.Constant(0.0), loop),
            _rewritten(loop, Rewrite()), _located(after, loop)]


def _endless(loop: ast.For | ast.While) -> bool:
    if not (isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and
            loop.test.value is True):
        return False
    stack: list[ast.AST] = list(loop.body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Break):
            return False
        if isinstance(n, (ast.For, ast.While)):
            stack.extend(n.orelse)  # (its body's breaks are its own)
        elif not isinstance(n, _SCOPES):
            stack.extend(ast.iter_child_nodes(n))
    return True


def else_as_flag(loop: ast.For | ast.While, fresh: Fresh) -> list[ast.stmt]:
    """``for ...: ... else: E`` as ``broke = False; for ...: (broke = True; break);
    if not broke: E``: the else runs when the loop ended without ``break``."""
    broke = fresh("broke")

    class Rewrite(_ThisLoopOnly):
        def visit_Break(self, node: ast.Break) -> Any:
            return [_store(broke, ast.Constant(True), node), node]

    rewritten = _rewritten(loop, Rewrite())
    rewritten.orelse = []
    after = ast.If(ast.UnaryOp(ast.Not(), ast.Name(broke, ast.Load())), list(loop.orelse), [])
    return [_store(broke, ast.Constant(False), loop), rewritten,
            _located(after, loop.orelse[0])]


class _ThisLoopOnly(ast.NodeTransformer):
    """Leaves nested functions and the bodies of nested loops alone (their break and return
    are their own); a nested loop's ``else:`` runs in this loop, so its break is this one's."""

    def visit_For(self, node: Any) -> Any:
        orelse: list[ast.stmt] = []
        for stmt in node.orelse:
            out = self.visit(stmt)
            orelse.extend(out if isinstance(out, list) else [out])
        node.orelse = orelse
        return node

    visit_While = visit_For

    def visit_FunctionDef(self, node: ast.AST) -> Any:
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def _rewritten(loop: ast.For | ast.While, rewrite: ast.NodeTransformer) -> ast.stmt:
    body: list[ast.stmt] = []
    for stmt in copy.deepcopy(loop.body):
        out = rewrite.visit(stmt)
        body.extend(out if isinstance(out, list) else [out])
    new = copy.copy(loop)
    new.body = body
    return ast.fix_missing_locations(new)


def _store(name: str, value: ast.expr, at: ast.AST) -> ast.stmt:
    return _located(ast.Assign([ast.Name(name, ast.Store())], value), at)


def _located(node: ast.AST, at: ast.AST) -> Any:
    return ast.fix_missing_locations(ast.copy_location(node, at))
