"""A user's ``nn.Module`` whose ``forward`` is plain tensor code, as ONE graph node whose
backward is the generated gradient -- the way a ``@symgrad.grad`` function called on
Tensors is one node (``runtime.function.grad_function_call``).

``forward`` is rewritten into a numpy function of the module's parameters and inputs:
``self.fc.weight`` becomes a parameter ``fc_weight``, a sub-module call ``self.fc(x)`` a
call of the sub-module's own numpy form (inlined by the transformation), and a torch
operation (``torch.tanh``, ``F.relu``, ``x.pow(2)``, ``torch.maximum``, ``x.sum()``, ...) the
numpy function of its registry entry (``_registry_forms``; an entry numpy has no function for,
such as relu, is its SymPy form printed), or one of a few composite forms (``F.linear``,
``x.t()``). symgrad's own layers (Linear, ReLU, Tanh, Sigmoid,
LeakyReLU, Identity, Sequential) have a written numpy form. That function is differentiated
by ``symgrad.grad`` and called with the Tensors.

Anything outside that subset -- another call, a method or attribute not in the table, a
statement other than an assignment or ``return``, a global name, control flow, keyword
arguments -- and any transformation error leaves the module to ``forward`` run op by op, as
before; so does a call with no Tensor requiring grad (there is no graph to build). The
first fused call of each module structure, and of each new kind of inputs (their and the
parameters' dtypes and ranks: torch and numpy promote dtypes differently), also runs
``forward`` op by op and compares the outputs: a mismatch (or different dtype or shape)
turns fusing off for that structure, so a rewrite that read the code wrongly is never used. That op-by-op run also gives the node its
name: torch's name for the output's last operation (``AddmmBackward0`` for a Linear last
layer), so that ``print(net(x))`` prints what torch prints; its ``next_functions`` are the
parameters' and inputs' edges, not torch's chain of nodes.

symgrad's own layers called on their own stay op by op, so that their outputs' ``grad_fn``
are torch's nodes.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import itertools
import linecache
import sys
import textwrap
from typing import Any

import numpy as np

from symgrad.runtime.engine import node_class
from symgrad.runtime.function import FunctionNode
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.tensor import Tensor

__all__ = ["fused_call"]

# The torch operations a fused forward may call come from the registry (``_registry_forms``):
# every elementwise entry with a torch spec, and these whole-array ones, whose torch call
# without dim/keyword arguments is numpy's (torch.cross's default dim is not, say).
_WHOLE_ARRAY = ("sum", "mean", "prod", "matmul", "dot", "outer")
# what is not one registry entry: torch's spelling, and the composite layers' numpy forms
_ALIASES = {"mm": "matmul"}
_COMPOSITES = '''
def _linear(x, weight, bias):
    return x @ weight.T + bias


def _linear_nobias(x, weight):
    return x @ weight.T


def _leaky_relu(x, negative_slope):
    return np.where(x > 0, x, x * negative_slope)


def _t(x):
    return x.T
'''
_SAFE_NODES = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant, ast.Name, ast.Load,
               ast.Store, ast.operator, ast.unaryop, ast.cmpop, ast.Tuple, ast.Slice,
               ast.Subscript)


class NotFusable(Exception):
    """The forward is outside what is rewritten (the module then runs op by op)."""


@functools.cache
def _registry_forms() -> tuple[dict[str, tuple[str, int]], dict[int, tuple[str, int]], str]:
    """From the registry's entries: Tensor method -> (the function a fused form calls, the
    number of arguments after the tensor); id(torch function) -> (that function, its number
    of arguments); and the source of the functions for entries numpy has none for (relu,
    sigmoid: their SymPy forms, printed)."""
    import sympy

    import symgrad
    import symgrad.nn.functional as F
    from symgrad.printer import NumpyPrinter
    from symgrad.runtime.primitives import OPS

    methods = {"t": ("_t", 0)}
    functions = {id(F.linear): ("_linear", 3)}
    helpers = [_COMPOSITES]
    for op in OPS.values():
        if not (op.elementwise or op.name in _WHOLE_ARRAY):
            continue
        bind = next((b for b in op.entry.binds
                     if getattr(np, getattr(b, "__name__", ""), None) is b), None)
        if bind is not None:
            name = f"np.{bind.__name__}"
        elif op.entry.form is not None:
            name = f"_{op.name}"
            xs = sympy.symbols(f"x0:{op.arity}", real=True)
            body = NumpyPrinter().doprint_expr(op.entry.form(sympy, *xs))
            helpers.append(f"def {name}({', '.join(map(str, xs))}):\n    return {body}\n")
        else:
            continue
        for method in op.methods:
            methods[method] = (name, op.arity - 1)
            for namespace in (symgrad, F):
                fn = getattr(namespace, method, None)
                if callable(fn):
                    functions.setdefault(id(fn), (name, op.arity))
    for alias, method in _ALIASES.items():
        methods[alias] = methods[method]
        functions[id(getattr(symgrad, alias))] = functions[id(getattr(symgrad, method))]
    return methods, functions, "\n\n".join(helpers)


class _Form:
    """The numpy source of one module (and of the sub-modules it calls), being built."""

    def __init__(self) -> None:
        self.defs: list[str] = []
        self.counter = itertools.count()
        self.methods, self.functions, self.helpers = _registry_forms()


def _known_layer(m: Any, form: _Form, params: list) -> tuple[str, list] | None:
    """The numpy function for one of symgrad's layers, or None when ``m`` is not one."""
    from symgrad.nn import layers

    name = f"_{type(m).__name__}_{next(form.counter)}"
    if type(m) is layers.Linear:
        w = _param(m, "weight", params)
        if m.bias is None:
            body = f"return _linear_nobias(input, {w})"
            args = [w]
        else:
            b = _param(m, "bias", params)
            body = f"return _linear(input, {w}, {b})"
            args = [w, b]
    elif type(m) is layers.ReLU and not m.inplace:
        args, body = [], f"return {form.methods['relu'][0]}(input)"
    elif type(m) is layers.LeakyReLU and not m.inplace:
        args, body = [], f"return _leaky_relu(input, {float(m.negative_slope)!r})"
    elif type(m) is layers.Tanh:
        args, body = [], f"return {form.methods['tanh'][0]}(input)"
    elif type(m) is layers.Sigmoid:
        args, body = [], f"return {form.methods['sigmoid'][0]}(input)"
    elif type(m) is layers.Identity:
        args, body = [], "return input"
    elif type(m) is layers.Sequential:
        args, lines = [], []
        for child in m._modules.values():
            if child is None:
                raise NotFusable("a None child")
            sub, sub_args = _module_form(child, form, params)
            args += [a for a in sub_args if a not in args]
            lines.append(f"input = {sub}({', '.join([*sub_args, 'input'])})")
        body = "\n    ".join([*lines, "return input"])
    else:
        return None
    form.defs.append(f"def {name}({', '.join([*args, 'input'])}):\n    {body}\n")
    return name, args


def _param(m: Any, attr: str, params: list) -> str:
    """The function parameter standing for tensor ``m.<attr>`` (one per distinct tensor)."""
    t = getattr(m, attr)
    for name, other in params:
        if other is t:
            return name
    name = f"p{len(params)}_{attr}"
    params.append((name, t))
    return name


def _module_form(m: Any, form: _Form, params: list) -> tuple[str, list]:
    """(function name, its parameter names before the inputs) of ``m``'s numpy form."""
    known = _known_layer(m, form, params)
    if known is not None:
        return known
    if type(m).__module__.startswith("symgrad."):
        raise NotFusable(f"{type(m).__name__} has no numpy form")
    return _user_form(m, form, params)


def _user_form(m: Any, form: _Form, params: list) -> tuple[str, list]:
    forward = type(m).forward
    if not inspect.isfunction(forward):
        raise NotFusable("forward is not a Python function")
    try:
        source = textwrap.dedent(inspect.getsource(forward))
    except (OSError, TypeError) as exc:
        raise NotFusable(str(exc)) from None
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise NotFusable("forward is not a def")
    a = tree.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs or not a.args:
        raise NotFusable("forward's parameters")
    inputs = [x.arg for x in a.args[1:]]
    self_name = a.args[0].arg
    rewriter = _Rewriter(m, self_name, form, params, set(inputs))
    body = []
    for i, stmt in enumerate(tree.body):
        if i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring
        body.append(rewriter.statement(stmt))
    if not body or not isinstance(body[-1], ast.Return):
        raise NotFusable("forward does not end in return")
    name = f"_{type(m).__name__}_{next(form.counter)}"
    args = list(dict.fromkeys(rewriter.used))
    fn = ast.FunctionDef(name=name, args=ast.arguments(
        posonlyargs=[], args=[ast.arg(arg=n) for n in [*args, *inputs]], kwonlyargs=[],
        kw_defaults=[], defaults=[]), body=body, decorator_list=[], returns=None)
    form.defs.append(ast.unparse(ast.fix_missing_locations(fn)) + "\n")
    return name, args


class _Rewriter:
    """forward's statements with ``self`` read and torch calls written in numpy."""

    def __init__(self, m: Any, self_name: str, form: _Form, params: list,
                 names: set) -> None:
        self.m, self.self_name, self.form, self.params = m, self_name, form, params
        self.names = names  # the inputs and the names assigned so far
        self.used: list[str] = []  # the parameters read (function arguments, in order)
        forward = type(m).forward
        self.globals = dict(forward.__globals__)  # with the closure's names (a local class)
        for var, cell in zip(forward.__code__.co_freevars, forward.__closure__ or (),
                             strict=True):
            try:
                self.globals[var] = cell.cell_contents
            except ValueError:  # (an empty cell)
                pass

    def statement(self, stmt: ast.stmt) -> ast.stmt:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            return ast.Return(value=self.expr(stmt.value))
        if isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value)
            for target in stmt.targets:
                self._targets(target)
            return ast.Assign(targets=stmt.targets, value=value)
        raise NotFusable(f"statement {type(stmt).__name__}")

    def _targets(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.names.add(target.id)
        elif isinstance(target, ast.Tuple):
            for t in target.elts:
                self._targets(t)
        else:
            raise NotFusable("an assignment to something other than a name")

    def _self_path(self, node: ast.expr) -> list[str] | None:
        path = []
        while isinstance(node, ast.Attribute):
            path.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id == self.self_name:
            return path[::-1]
        return None

    def _resolve_self(self, path: list[str]) -> tuple[Any, Any, str]:
        obj, owner = self.m, None
        from symgrad.nn.module import Module

        for attr in path:
            if not isinstance(obj, Module):
                raise NotFusable(f"self.{'.'.join(path)}")
            owner = obj
            d = obj.__dict__
            if attr in d["_parameters"]:
                obj = d["_parameters"][attr]
            elif attr in d["_buffers"]:
                obj = d["_buffers"][attr]
            elif attr in d["_modules"]:
                obj = d["_modules"][attr]
            elif attr in d:
                obj = d[attr]
            else:
                raise NotFusable(f"self.{'.'.join(path)}")
        return obj, owner, path[-1]

    def _global(self, node: ast.expr) -> Any:
        """The object a dotted global name (``torch.tanh``, ``F.relu``) is, or raise."""
        path = []
        while isinstance(node, ast.Attribute):
            path.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id in self.names:
            raise NotFusable("a call of a value")
        if node.id in self.globals:
            obj = self.globals[node.id]
        elif hasattr(builtins, node.id):
            obj = getattr(builtins, node.id)
        else:
            raise NotFusable(f"name {node.id}")
        for attr in reversed(path):
            obj = getattr(obj, attr)
        return obj

    def expr(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute):
            path = self._self_path(node)
            if path is not None:
                obj, owner, attr = self._resolve_self(path)
                if type(obj) is Tensor:
                    name = _param(owner, attr, self.params)
                    self.used.append(name)
                    return ast.Name(id=name, ctx=ast.Load())
                if type(obj) in (int, float, bool):
                    return ast.Constant(value=obj)
                raise NotFusable(f"self.{'.'.join(path)}")
            if node.attr == "T":
                return ast.Attribute(value=self.expr(node.value), attr="T", ctx=ast.Load())
            raise NotFusable(f"attribute .{node.attr}")
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise NotFusable(f"global name {node.id}")
            return node
        if isinstance(node, ast.Subscript):
            _check_index(node.slice)
            return ast.Subscript(value=self.expr(node.value), slice=node.slice, ctx=ast.Load())
        if not isinstance(node, _SAFE_NODES):
            raise NotFusable(type(node).__name__)
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, field, self.expr(value))
            elif isinstance(value, list):
                setattr(node, field, [self.expr(v) if isinstance(v, ast.expr) else v
                                      for v in value])
        return node

    def _call(self, node: ast.Call) -> ast.expr:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise NotFusable("keyword or starred arguments")
        args = [self.expr(a) for a in node.args]
        path = self._self_path(node.func)
        if path is not None and len(path) > 1 and path[-1] in self.form.methods and type(
                self._resolve_self(path[:-1])[0]) is Tensor:
            path = None  # a method of a parameter: self.w.t()
        if path is not None:
            sub, _, _ = self._resolve_self(path)
            from symgrad.nn.module import Module

            if not isinstance(sub, Module):
                raise NotFusable(f"self.{'.'.join(path)}(...)")
            name, sub_args = _module_form(sub, self.form, self.params)
            self.used += sub_args
            return _call_node(name, [ast.Name(id=a, ctx=ast.Load()) for a in sub_args] + args)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in self.form.methods and not _is_global(
                func.value, self.names, self.globals):
            helper, arity = self.form.methods[func.attr]
            if len(args) != arity:
                raise NotFusable(f".{func.attr}() with these arguments")
            return _call_node(helper, [self.expr(func.value), *args])
        known = self.form.functions.get(id(self._global(func)))
        if known is None:
            raise NotFusable("a call outside the table")
        helper, arity = known
        if helper == "_linear" and len(args) == 2:  # F.linear(x, W)
            helper, arity = "_linear_nobias", 2
        if len(args) != arity:
            raise NotFusable(f"{helper[1:]} with {len(args)} arguments")
        return _call_node(helper, args)


def _is_global(node: ast.expr, names: set, globals_: dict) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in names and (
        node.id in globals_ or hasattr(builtins, node.id))


def _check_index(node: ast.expr) -> None:
    """Basic indexing only (ints, slices, None, ...), where numpy's and torch's agree."""
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    for item in items:
        if isinstance(item, ast.Slice):
            for part in (item.lower, item.upper, item.step):
                if part is not None:
                    _check_index(part)
        elif isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.USub):
            _check_index(item.operand)
        elif not (isinstance(item, ast.Constant) and (
                item.value is None or item.value is Ellipsis or type(item.value) is int)):
            raise NotFusable("an index other than ints, slices, None and ...")


def _call_node(name: str, args: list) -> ast.Call:
    """``name(*args)``; ``name`` may be dotted (``np.tanh``)."""
    return ast.Call(func=ast.parse(name, mode="eval").body, args=args, keywords=[])


# -- building and calling ----------------------------------------------------------------------

class ModuleNode(FunctionNode):
    """The node of one fused module call (no ``_saved_*`` fields: its saved values are the
    parameters and inputs)."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


class _Fused:
    """One module structure's gradient function, its parameter tensors (in the function's
    order) and the node's name."""

    def __init__(self, G: Any, params: list) -> None:
        self.G, self.params = G, params
        self.node_name: str | None = None  # known after the first (checked) call
        # the parameters' and inputs' (dtype, rank)s a checked call has agreed for: torch
        # and numpy promote differently (a 0-d or an integer input with float32 weights
        # is float32 to torch, float64 to numpy), so each new kind is checked again
        self.checked: set[tuple] = set()


_CACHE: dict = {}  # structure signature -> _Fused, or None: not fusable
_MAX_CACHED = 64
_counter = itertools.count()


def _signature(m: Any) -> tuple:
    """What the generated form depends on: classes, the parameters and buffers (the very
    tensors: the form is called with them), children, numbers."""
    d = m.__dict__
    statics = tuple((k, v) if type(v) is not Tensor else (k, "tensor", id(v))
                    for k, v in d.items() if type(v) in (int, float, bool, str, Tensor))
    return (type(m), tuple((k, id(v)) for k, v in d["_parameters"].items()),
            tuple((k, id(v)) for k, v in d["_buffers"].items()), statics,
            tuple((k, None if c is None else _signature(c)) for k, c in d["_modules"].items()))


def _build(m: Any) -> _Fused | None:
    from symgrad.api import grad
    from symgrad.errors import SymgradError

    form, params = _Form(), []
    try:
        name, args = _module_form(m, form, params)
    except NotFusable:
        return None
    top = f"{type(m).__name__}_forward"
    n_in = type(m).forward.__code__.co_argcount - 1
    inputs = [f"input{i}" for i in range(n_in)]
    all_args = [p for p, _ in params]
    call = f"{name}({', '.join([*args, *inputs])})"
    source = (form.helpers + "\n\n" + "\n\n".join(form.defs) + "\n\n"
              + f"def {top}({', '.join([*all_args, *inputs])}):\n    return {call}\n")
    filename = f"<symgrad fused module {type(m).__qualname__} {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np, "__name__": "symgrad_fused_forms"}
    try:
        exec(compile(source, filename, "exec"), namespace)
        G = grad(namespace[top])
    except (SymgradError, SyntaxError, NameError, TypeError, ValueError):
        return None
    return _Fused(G, [t for _, t in params])


def fused_call(m: Any, args: tuple) -> Any:
    """``m(*args)`` as one node, or NotImplemented (then ``forward`` runs op by op, as it
    also does under a profiler, so that the profile lists the module's operations)."""
    if not _Mode.enabled or not args or any(type(a) is not Tensor for a in args):
        return NotImplemented
    if _profiling():
        return NotImplemented
    if type(m).forward.__code__.co_argcount - 1 != len(args):
        return NotImplemented
    key = _signature(m)
    entry = _CACHE.get(key)
    if entry is None and key not in _CACHE:
        if len(_CACHE) >= _MAX_CACHED:  # (each entry keeps its module's parameters alive)
            del _CACHE[next(iter(_CACHE))]
        _CACHE[key] = entry = _build(m)
    if entry is None:
        return NotImplemented
    params = entry.params
    if not any(t._requires_grad for t in (*params, *args)):
        return NotImplemented
    if entry.node_name is None or _kind(params, args) not in entry.checked:
        return _first_call(m, entry, key, params, args)
    try:
        return _call(entry, params, args)
    except Exception:  # noqa: BLE001  (e.g. a shape error: forward raises torch's own)
        return NotImplemented


def _profiling() -> bool:
    profiler = sys.modules.get("symgrad.profiler")
    return profiler is not None and profiler._Recorder.profile is not None


def _call(entry: _Fused, params: list, args: tuple) -> Any:
    from symgrad.runtime.function import grad_function_call

    out = grad_function_call(entry.G, (*params, *args))
    fn = out._grad_fn
    if fn is not None:  # the same node, under torch's name for the last operation
        renamed = object.__new__(node_class(entry.node_name, ModuleNode))
        renamed.__dict__.update(fn.__dict__)
        out._grad_fn = renamed
    return out


def _kind(params: list, args: tuple) -> tuple:
    return tuple((t._data.dtype, t._data.ndim) for t in (*params, *args))


def _first_call(m: Any, entry: _Fused, key: tuple, params: list, args: tuple) -> Any:
    """Run forward op by op and fused; keep fusing only when they agree (for these
    dtypes and ranks: ``entry.checked``)."""
    reference = m.forward(*args)
    if type(reference) is not Tensor or reference._grad_fn is None:  # (one Tensor out only)
        _CACHE[key] = None
        return reference
    try:
        entry.node_name = type(reference._grad_fn).__name__
        out = _call(entry, params, args)
    except Exception:  # noqa: BLE001  (any failure: the module is not fused)
        _CACHE[key] = None
        return reference
    a, b = reference._data, out._data if type(out) is Tensor else None
    if b is None or a.shape != b.shape or a.dtype != b.dtype or not np.allclose(
            a, b, rtol=1e-4 if a.dtype == np.float32 else 1e-10, atol=0, equal_nan=True):
        _CACHE[key] = None
        return reference
    entry.checked.add(_kind(params, args))
    return out
