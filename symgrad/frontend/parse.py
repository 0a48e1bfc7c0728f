"""Read a function's source and resolve the names it uses, without running it."""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import sysconfig
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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

    def names(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """``(read, params, assigned)``: the ids of the tree's ``ast.Name`` nodes and the names
        of its ``ast.arg`` nodes (nested functions' too), and the names its body binds (plain
        assignment targets, and the functions and classes it defines) outside nested
        functions, lambdas and classes, as ``common.walk_scope`` sees them. Found in one pass
        and kept: the lowering adds no node to the tree (desugar rewrites copies)."""
        found = self.__dict__.get("_names")
        if found is None:
            found = self.__dict__["_names"] = _names(self.tree)
        return found

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


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _names(tree: ast.FunctionDef) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    read: set[str] = set()
    stored: set[str] = set()
    params: set[str] = set()
    nested = False
    body = {id(s) for s in tree.body}
    for part in ast.iter_child_nodes(tree):  # the body, and the parameters and decorators
        in_body = id(part) in body
        for node in ast.walk(part):
            kind = type(node)
            if kind is ast.Name:
                read.add(node.id)
                if in_body and type(node.ctx) is ast.Store:
                    stored.add(node.id)
            elif kind is ast.arg:
                params.add(node.arg)
            elif in_body and isinstance(node, _SCOPES):
                nested = True
    if not nested:  # (a nested function, lambda or class: walk_scope does not enter it)
        return frozenset(read), frozenset(params), frozenset(stored)
    return frozenset(read), frozenset(params), _scoped_names(tree)


def _scoped_names(tree: ast.FunctionDef) -> frozenset[str]:
    """The names the body binds, as walk_scope sees them."""
    assigned: set[str] = set()
    # (node, whether it is in the body's scope: walk_scope yields it, expanded: it walks its
    # children); walk_scope starts from the body's statements and expands each of them
    stack: list[tuple[ast.AST, bool, bool]] = [(tree, False, True)]
    body = {id(s) for s in tree.body}
    while stack:
        node, scoped, expanded = stack.pop()
        if type(node) is ast.Name:
            if scoped and isinstance(node.ctx, ast.Store):
                assigned.add(node.id)
        elif scoped and isinstance(node, _DEFINITIONS):
            assigned.add(node.name)
        for child in ast.iter_child_nodes(node):
            if node is tree:
                inside = id(child) in body
                stack.append((child, inside, inside))
            elif not scoped or not expanded:
                stack.append((child, False, False))
            else:
                stack.append((child, True, not isinstance(child, _SCOPES)))
    return frozenset(assigned)


def parse_function(fn: Any) -> Parsed:
    """The function's AST with decorators dropped; SymgradError when the source is unavailable.

    A ``functools.wraps`` wrapper is seen through (``Parsed.fn`` is then the function it
    wraps) only when it passes its arguments and its result through unchanged."""
    name = getattr(fn, "__name__", repr(fn))
    if not inspect.isfunction(fn):
        raise SymgradError(
            f"symgrad.grad needs a Python function defined with `def`; got {name!r} ({type(fn).__name__})",
            hint="wrap builtins and numpy functions in a `def` of your own",
        )
    method = getattr(fn, "__symgrad_parsed__", None)
    if method is not None:  # a method rewritten for an instance's attributes (methods.py)
        return method()
    fn = unwrap(fn)
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    try:
        lines, firstlineno = source_lines(fn)
    except (OSError, TypeError) as exc:
        raise SymgradError(
            f"cannot read the source of {name!r}: {exc}",
            filename=filename,
            lineno=fn.__code__.co_firstlineno,
            hint=_where_source_lives(filename),
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
    code = fn.__code__
    written = [a.arg for a in node.args.posonlyargs + node.args.args]
    if written != list(code.co_varnames[:code.co_argcount]):
        raise SymgradError(
            f"the source of {name!r} in {filename} does not match the function Python runs "
            f"(parameters {written} there, {list(code.co_varnames[:code.co_argcount])} in "
            "the function): the file changed after it was imported",
            filename=filename, lineno=firstlineno,
            hint="reload the module (importlib.reload) or restart Python, so that the "
            "function and its source agree")
    node.decorator_list = []  # node line numbers count from the first decorator's line
    return Parsed(fn, node, source, filename, firstlineno, source.splitlines())


_READING = threading.local()  # .lines: (code, its file) -> (lines, firstlineno) of one reading


@contextmanager
def one_reading() -> Iterator[None]:
    """Inside it, each function's source is read from its file once (``source_lines``): a
    decoration reads it to parse the parameters, to key the cache and to lower the body, and
    ``inspect.getsourcelines`` tokenizes the whole function each time."""
    outer = getattr(_READING, "lines", None)
    if outer is None:
        _READING.lines = {}
    try:
        yield
    finally:
        if outer is None:
            _READING.lines = None


def source_lines(fn: Any) -> tuple[list[str], int]:
    """``inspect.getsourcelines(fn)``, read once per ``one_reading``."""
    memo = getattr(_READING, "lines", None)
    code = getattr(fn, "__code__", None)
    if memo is None or code is None:
        return inspect.getsourcelines(fn)
    key = code, code.co_filename  # (equal code objects of two files: not one source)
    if key not in memo:
        memo[key] = inspect.getsourcelines(fn)
    lines, firstlineno = memo[key]
    return list(lines), firstlineno


def _where_source_lives(filename: str) -> str:
    """Where a function must be defined for its source to be readable."""
    if filename == "<stdin>":  # the plain `python` prompt before 3.13 keeps no source
        return ("the `python` prompt of Python 3.10-3.12 keeps no source: define the function "
                "in a .py file and import it, or use IPython, Jupyter or the Python 3.13 "
                "prompt, which keep the source of what you type")
    return ("define the function in a .py file, an IPython or Jupyter cell or at the Python "
            "3.13 prompt (functions made by exec or compile() have no source to read)")


def unwrap(fn: Any) -> Any:
    """The function a chain of pass-through ``functools.wraps`` wrappers calls.

    ``inspect`` reads the source of ``fn.__wrapped__``, not the wrapper's: a wrapper that does
    anything with the value (``return -f(*args)``) would be silently ignored, so it is refused.
    """
    while inspect.isfunction(fn) and hasattr(fn, "__wrapped__"):
        if not _passes_through(fn, fn.__wrapped__):
            code = fn.__code__
            raise SymgradError(
                f"{fn.__qualname__!r} is wrapped by a decorator (functools.wraps): symgrad would "
                f"read the source of the function it wraps, but the wrapper "
                f"{getattr(code, 'co_qualname', code.co_name)!r} here may change the arguments "
                "or the value, and symgrad cannot differentiate it",
                filename=code.co_filename, lineno=code.co_firstlineno,
                source_line=linecache.getline(code.co_filename, code.co_firstlineno) or None,
                hint="apply symgrad.grad to the undecorated function (or put @symgrad.grad "
                "below the decorator) and write what the wrapper does into the function; "
                "wrappers that only `return f(*args, **kwargs)` are seen through")
        fn = getattr(fn.__wrapped__, "__symgrad_wrapped__", fn.__wrapped__)  # (@symgrad.grad)
    return fn


def _passes_through(wrapper: Any, inner: Any) -> bool:
    """Whether ``wrapper`` returns ``inner(*args, **kwargs)`` unchanged, with its own
    ``*args, **kwargs`` unchanged (logging, timing and ``with`` blocks around it are fine)."""
    try:
        lines, _ = inspect.getsourcelines(wrapper.__code__)  # (not __wrapped__'s source)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef) or node.name != wrapper.__code__.co_name:
        return False
    a = node.args
    if a.args or a.posonlyargs or a.kwonlyargs or a.vararg is None:
        return False
    args, kwargs = a.vararg.arg, a.kwarg.arg if a.kwarg else None

    def is_name(e: Any, name: str | None) -> bool:
        return isinstance(e, ast.Name) and e.id == name

    def is_call(e: Any) -> bool:  # inner(*args) or inner(*args, **kwargs)
        return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
            resolve_name(wrapper, e.func.id) is inner and len(e.args) == 1 and \
            isinstance(e.args[0], ast.Starred) and is_name(e.args[0].value, args) and \
            len(e.keywords) == (kwargs is not None) and \
            all(k.arg is None and is_name(k.value, kwargs) for k in e.keywords)

    body = list(ast.walk(ast.Module(node.body, [])))
    if any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.FunctionDef, ast.Lambda))
           for n in body):
        return False
    results = {t.id for n in body if isinstance(n, ast.Assign) and is_call(n.value)
               for t in n.targets if isinstance(t, ast.Name)}
    stored = [n.id for n in body if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
    if {args, kwargs} & set(stored) or any(stored.count(r) != 1 for r in results):
        return False  # the arguments or a result rebound
    if any(isinstance(n, (ast.Subscript, ast.Attribute)) and not isinstance(n.ctx, ast.Load)
           and isinstance(n.value, ast.Name) and n.value.id in results | {args, kwargs}
           for n in body):
        return False  # written into
    returns = [n for n in body if isinstance(n, ast.Return)]
    return bool(returns) and all(
        r.value is not None and (is_call(r.value) or
                                 isinstance(r.value, ast.Name) and r.value.id in results)
        for r in returns)


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


_LIBRARY_ROOTS = {"numpy", "scipy", "sympy", "symgrad", "torch", "jax", "autograd", "pandas"}
_STDLIB_PATHS = tuple(p for p in {sysconfig.get_paths().get(k) for k in
                                  ("stdlib", "platstdlib")} if p)


def is_user_function(obj: Any) -> bool:
    """A plain Python function of the user's own code (not numpy's or the standard library's)."""
    if not inspect.isfunction(obj):
        return False
    if (getattr(obj, "__module__", "") or "").split(".")[0] in _LIBRARY_ROOTS:
        return False
    return not obj.__code__.co_filename.startswith(_STDLIB_PATHS)
