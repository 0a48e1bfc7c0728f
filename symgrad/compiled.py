"""The numba backend (``symgrad.grad(f, backend="numba")``): the generated module's primal,
gradient and value_and_grad, compiled with ``numba.njit``, each falling back to its numpy
code (with one ``BackendWarning`` naming the construct) where numba cannot compile it.

The numba text is the generated module's own text with the spellings numba lacks rewritten
(``reversed(tape)`` as ``tape[::-1]``, ``np.broadcast(a, b).size`` and ``.shape``,
``np.ndim(x)``, ``np.full_like(a, v, dtype=float)``, ``x[i].copy()`` of a float, ``dtype=float``
as ``np.float64``), and with the rank-generic shape helpers (``_sum_to``, ``_broadcast_to``,
``_matmul_grad_*``, ``_zeros_like``) replaced by versions that dispatch on the ranks numba
types each call with. Those are written for ranks 0 to 2 as the generated code meets them;
other ranks raise a typing error, and the function runs its numpy code instead. Two
rewrites are for speed: ``np.exp(x)`` and its kin as ``_nb_exp(x)``, glibc's vector loop for a
float64 array where there is one (``symgrad.compiled_vecmath``), and ``acc += _matmul_grad_a(g,
a, b)`` as ``acc = _nb_iadd_matmul_grad_a(acc, g, a, b)``, an outer product added in place.

numba is imported only here, and only when a function asks for the backend.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

BACKENDS = ("numpy", "numba")


class BackendWarning(UserWarning):
    """A compiled backend runs (part of) a function's numpy code instead: it says why."""


def check_backend(backend: Any) -> str:
    """``backend`` if it is one symgrad has, else a SymgradError listing the choices."""
    from symgrad.errors import SymgradError

    if backend not in BACKENDS:
        raise SymgradError(f"unknown backend {backend!r}",
                           hint="choose one of: " + ", ".join(map(repr, BACKENDS)))
    if backend == "numba":
        try:
            import numba  # noqa: F401
        except ImportError as error:
            raise SymgradError(f"backend='numba' needs numba, which does not import here "
                               f"({error})",
                               hint="pip install 'symgrad[numba]', or use the default "
                               "backend='numpy'") from None
    return backend


def compile_module(source: str, namespace: dict[str, Any], names: tuple[str, ...],
                   filename: str) -> dict[str, Callable]:
    """Per generated function name, a function with the same signature that runs the numba
    compilation of it (compiled at its first call per argument types), or its numpy code
    from ``namespace`` where numba cannot compile it."""
    warned: set[str] = set()
    frozen = _global_arrays(namespace)
    if frozen:  # numba bakes a global array in at compile time; numpy code reads it live
        reason = (f"the generated code reads the global array {frozen[0]!r}, which numba "
                  "would freeze at compile time")
        return {name: _numpy_only(namespace[name], reason, warned) for name in names}
    nb_filename = filename.replace("<symgrad:", "<symgrad-numba:", 1)
    text = numba_text(source, tuple(_helpers()[1]))
    linecache.cache[nb_filename] = (len(text), None, text.splitlines(True), nb_filename)
    jit = dict(namespace)  # its live-bound globals among them
    exec(compile(text, nb_filename, "exec"), jit)
    jit.update(_jit_functions(jit, text))
    jit.update(_helpers()[0])
    jit.update(_helpers()[1])
    out = {}
    for name in names:
        code = namespace[name].__code__
        if code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS |
                                                      inspect.CO_VARKEYWORDS):
            out[name] = _numpy_only(namespace[name], f"{name} takes keyword-only or variable "
                                    "arguments, which the numba backend does not wrap", warned)
            continue
        out[name] = _wrapper(namespace[name], _State(name, namespace[name], jit[name], text,
                                                     warned))
    return out


def numba_text(source: str, vector: tuple[str, ...] = ()) -> str:
    """The generated module's text as numba reads it (see the module docstring); ``vector``:
    the ``_nb_<f>`` names of the vector functions to call for ``np.<f>(x)``
    (``symgrad.compiled_vecmath``)."""
    rewrite = _Rewrite({name[len("_nb_"):] for name in vector})
    return ast.unparse(ast.fix_missing_locations(rewrite.visit(ast.parse(source))))


class _Rewrite(ast.NodeTransformer):
    """The generated spellings numba does not compile, in spellings it does (same values)."""

    _DTYPES = {"float": "float64", "int": "int64", "bool": "bool_", "complex": "complex128"}

    def __init__(self, vector: set[str]) -> None:
        self.vector = vector

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in self.vector and \
                _is_np(node.func, node.func.attr) and len(node.args) == 1 and \
                not node.keywords:  # np.tanh(x): libmvec's vector loop for a float64 array
            return ast.Call(ast.Name(f"_nb_{node.func.attr}", ast.Load()), node.args, [])
        if _is_np(node.func, "full_like") and len(node.args) == 2 and \
                [(k.arg, getattr(k.value, "id", None)) for k in node.keywords] == \
                [("dtype", "float")]:  # the cotangent of a loop-carried value, as a float
            return ast.Call(ast.Name("_nb_full_like", ast.Load()), node.args, [])
        if isinstance(node.func, ast.Attribute) and node.func.attr == "copy" and \
                not node.args and not node.keywords:  # x[i].copy(): a float in numba
            return ast.Call(ast.Name("_nb_copy", ast.Load()), [node.func.value], [])
        for kw in node.keywords:  # dtype=float: numba takes numpy's scalar types
            if kw.arg == "dtype" and isinstance(kw.value, ast.Name) and \
                    kw.value.id in self._DTYPES:
                kw.value = _np_attr(self._DTYPES[kw.value.id])
        if isinstance(node.func, ast.Name) and node.func.id == "reversed" and \
                len(node.args) == 1 and not node.keywords:  # the tape, read backwards
            return ast.Subscript(node.args[0], ast.Slice(None, None, ast.Constant(-1)),
                                 ast.Load())
        if _is_np(node.func, "ndim"):
            return ast.Call(ast.Name("_nb_ndim", ast.Load()), node.args, node.keywords)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        call = node.value
        if isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name) and \
                isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                call.func.id in ("_matmul_grad_a", "_matmul_grad_b") and \
                len(call.args) == 3 and not call.keywords:  # grad_W += outer(...) in place
            return ast.Assign([ast.Name(node.target.id, ast.Store())], ast.Call(
                ast.Name(f"_nb_iadd{call.func.id}", ast.Load()),
                [ast.Name(node.target.id, ast.Load()), *call.args], []))
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        call = node.value
        if node.attr in ("size", "shape") and isinstance(call, ast.Call) and \
                _is_np(call.func, "broadcast") and not call.keywords:
            return ast.Call(ast.Name(f"_nb_broadcast_{node.attr}", ast.Load()), call.args, [])
        return node


def _np_attr(attr: str) -> ast.Attribute:
    return ast.Attribute(ast.Name("np", ast.Load()), attr, ast.Load())


def _is_np(func: ast.AST, attr: str) -> bool:
    return isinstance(func, ast.Attribute) and func.attr == attr and \
        isinstance(func.value, ast.Name) and func.value.id == "np"


def _global_arrays(namespace: dict[str, Any]) -> list[str]:
    return [k for k, v in namespace.items() if isinstance(v, np.ndarray)]


def _jit_functions(jit: dict[str, Any], text: str) -> dict[str, Any]:
    """Every function the numba text defines, as a numba dispatcher reading ``jit`` as its
    globals (the helpers without a rank-dispatching version here among them: numba
    compiles the simple ones, and fails on the others as on any construct it lacks)."""
    import numba

    defined = [s.name for s in ast.parse(text).body if isinstance(s, ast.FunctionDef)]
    return {name: numba.njit(jit[name], error_model="numpy") for name in defined}


class _State:
    """One compiled function: what it runs now (numba's dispatcher, or the numpy function
    after a failure) and how it falls back."""

    __slots__ = ("name", "py_func", "target", "text", "warned")

    def __init__(self, name: str, py_func: Callable, dispatcher: Any, text: str,
                 warned: set[str]) -> None:
        self.name, self.py_func, self.target = name, py_func, dispatcher
        self.text, self.warned = text, warned

    def recover(self, error: BaseException, args: tuple) -> Any:
        """After numba failed on ``args``: their numpy result, and numpy from now on (numba
        compiles per argument types, so a later call could fail again the same way)."""
        from numba.core.errors import NumbaError

        if isinstance(error, NumbaError):  # numpy from now on, whatever numpy makes of args
            self.target = self.py_func
            _warn(f"numba cannot compile {self.name}: {_construct(error, self.text)}",
                  self.warned)
            return self.py_func(*args)
        # numba raised where numpy may not (its errors are not numpy's): numpy's result, or
        # numpy's own error naming the generated line (then the arguments were wrong)
        result = self.py_func(*args)
        self.target = self.py_func
        _warn(f"numba raised {type(error).__name__} in {self.name} ({_first_line(error)})",
              self.warned)
        return result


def _warn(why: str, warned: set[str]) -> None:
    if why not in warned:
        warned.add(why)
        warnings.warn(BackendWarning(f"{why}; running its numpy code instead"), stacklevel=4)


def _numpy_only(py_func: Callable, reason: str, warned: set[str]) -> Callable:
    _warn(reason, warned)
    return py_func


def _first_line(error: BaseException) -> str:
    lines = [s.strip() for s in str(error).splitlines() if s.strip()]
    return lines[0] if lines else type(error).__name__


def _construct(error: BaseException, text: str) -> str:
    """numba's reason in one line: its first line after the pipeline step, and the
    generated line it was typing."""
    lines = [s.strip() for s in str(error).splitlines() if s.strip()]
    lines = [s for s in lines if not s.startswith(("Failed in ", "- Resolution failure"))]
    reason = lines[0] if lines else type(error).__name__
    reason = re.sub(r"\x1b\[[0-9;]*m", "", reason)
    where = re.findall(r'File "<symgrad-numba:[^"]*", line (\d+)', str(error))
    source = text.splitlines()
    if where and 0 < int(where[-1]) <= len(source):
        reason += f" (at `{source[int(where[-1]) - 1].strip()}`)"
    return reason


def _wrapper(py_func: Callable, state: _State) -> Callable:
    """A function with ``py_func``'s name, parameters and defaults (the API reads the
    seed's default from it) that calls ``state.target`` and recovers from a failure."""
    from numba.core.errors import NumbaError

    code = py_func.__code__
    params = list(code.co_varnames[:code.co_argcount])
    defaults = py_func.__defaults__ or ()
    first = len(params) - len(defaults)
    sig = ", ".join(p if i < first else f"{p}=_defaults[{i - first}]"
                    for i, p in enumerate(params))
    args = ", ".join(params) + ("," if len(params) == 1 else "")
    text = (f"def {py_func.__name__}({sig}):\n"
            f"    target = _state.target\n"
            f"    try:\n"
            f"        return target({args})\n"
            f"    except _NumbaError as e:\n"
            f"        error = e\n"
            f"    except Exception as e:\n"
            f"        if target is _state.py_func:\n"
            f"            raise\n"
            f"        error = e\n"
            f"    return _state.recover(error, ({args}))\n")
    scope: dict[str, Any] = {"_state": state, "_defaults": defaults, "_NumbaError": NumbaError}
    exec(compile(text, f"<symgrad-numba-call:{py_func.__name__}>", "exec"), scope)
    out = scope[py_func.__name__]
    out.__doc__ = py_func.__doc__
    out.__symgrad_state__ = state
    return out


_HELPERS: tuple[dict[str, Any], dict[str, Any]] | None = None


def _helpers() -> tuple[dict[str, Any], dict[str, Any]]:
    """The rank-dispatching helpers and the vector functions, made once (importing
    numba)."""
    global _HELPERS
    if _HELPERS is None:
        from symgrad import compiled_helpers, compiled_vecmath

        _HELPERS = compiled_helpers.HELPERS, compiled_vecmath.VECTOR_FUNCTIONS
    return _HELPERS


def compiled_functions(generated: Any, namespace: dict[str, Any]) -> tuple[Callable, ...]:
    """(primal, grad, value_and_grad) of a generated module run in ``namespace``, compiled
    with numba (``GradFunction``'s hook for ``backend="numba"``)."""
    names = (generated.primal_name, generated.grad_name, generated.value_and_grad_name)
    out = compile_module(generated.source, namespace, names,
                         namespace["__symgrad_filename__"])
    return tuple(out[name] for name in names)
