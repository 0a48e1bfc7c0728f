"""Read a function's source and resolve the names it uses, without running it."""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from dataclasses import dataclass
from typing import Any

from symgrad.errors import SymgradError


@dataclass
class Parsed:
    fn: Any
    tree: ast.FunctionDef
    source: str
    filename: str
    firstlineno: int  # file line of the first source line (the first decorator, if any)
    lines: list[str]  # the dedented source lines

    def line(self, node: ast.AST) -> str:
        lineno = getattr(node, "lineno", 1)
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def file_lineno(self, node: ast.AST) -> int:
        return self.firstlineno + getattr(node, "lineno", 1) - 1

    def error(self, node: ast.AST, message: str, hint: str | None = None) -> SymgradError:
        text = self.line(node)
        indent = len(text) - len(text.lstrip())
        col = getattr(node, "col_offset", None)
        end = getattr(node, "end_col_offset", None)
        if getattr(node, "end_lineno", None) != getattr(node, "lineno", None):
            end = len(text.rstrip())
        return SymgradError(
            message,
            filename=self.filename,
            lineno=self.file_lineno(node),
            source_line=text,
            col=None if col is None else max(col, indent),
            end_col=end,
            hint=hint,
        )


def parse_function(fn: Any) -> Parsed:
    """The function's AST with decorators dropped; SymgradError when the source is unavailable."""
    name = getattr(fn, "__name__", repr(fn))
    if not inspect.isfunction(fn):
        raise SymgradError(
            f"symgrad.grad needs a Python function defined with `def`; got {name!r} ({type(fn).__name__})",
            hint="wrap builtins and numpy functions in a `def` of your own",
        )
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    try:
        lines, firstlineno = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise SymgradError(
            f"cannot read the source of {name!r}: {exc}",
            filename=filename,
            lineno=fn.__code__.co_firstlineno,
            hint="define the function in a .py file (functions typed at an interactive prompt "
            "or made by exec have no source to read)",
        ) from None
    source = textwrap.dedent("".join(lines))
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise SymgradError(
            f"cannot parse the source of {name!r}: {exc.msg}",
            filename=filename,
            lineno=firstlineno,
            hint="lambdas are not supported; use a `def`",
        ) from None
    node = module.body[0] if module.body else None
    if not isinstance(node, ast.FunctionDef) or fn.__name__ == "<lambda>":
        raise SymgradError(
            f"{name!r} is not a plain `def` function",
            filename=filename,
            lineno=firstlineno,
            source_line=lines[0] if lines else None,
            hint="lambdas and async functions are not supported; write a `def`",
        )
    node.decorator_list = []  # node line numbers count from the first decorator's line
    return Parsed(fn, node, source, filename, firstlineno, source.splitlines())


_MISSING = object()


def resolve_name(fn: Any, name: str) -> Any:
    """The object a free name refers to: closure cell, then globals, then builtins."""
    code = fn.__code__
    if fn.__closure__ and name in code.co_freevars:
        cell = fn.__closure__[code.co_freevars.index(name)]
        try:
            return cell.cell_contents
        except ValueError:
            return _MISSING
    if name in fn.__globals__:
        return fn.__globals__[name]
    return getattr(builtins, name, _MISSING)


MISSING = _MISSING
