"""``symgrad.grad`` on methods, bound methods and ``functools.partial`` objects.

A method is differentiated as the plain function of what it reads through ``self``. For an
instance whose ``W`` and ``b`` are arrays and whose ``scale`` is 0.5, ::

    def loss(self, x):
        return np.sum((self.W @ x - self.b) ** 2) * self.scale

is differentiated as ``def loss(self_W, self_b, x)`` with 0.5 read in, the way a global
number is. That function is an ordinary ``GradFunction``: its ``.source`` is what the bound
method's ``.source`` shows, and ``wrt=("self.W", "x")`` is its ``wrt=("self_W", "x")``.

Attributes are live, as globals are (live.py): they are read from the instance at each call.
Arrays are passed as arguments, so an array changed in place or replaced is simply used;
anything else (numbers, strings, tuples, functions) is read into the generated code, so a
changed number selects another generated module (made once per set of such values).
``self.layer.W`` reads through plain objects, and ``self.forward(x)`` or ``self.layer(x)``
inline the method called, rewritten the same way. ``self`` itself is never a value: the
method may not store into it, pass it on, or differentiate it (checked when decorated; the
rest of the transformation waits for the first call, when the attributes' types are known).

A method is rewritten per set of attribute kinds and values: its AST, with each
``self.a.b`` replaced by a name, is compiled into a real function (the method's globals, its
closure plus the read-in values as cells, the original file and lines), which parse.py
hands back to the lowering (``__symgrad_parsed__``) and which runs as the method would when
symgrad re-runs the original to report an error.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import inspect
import linecache
import numbers
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symgrad.errors import SymgradError, api_boundary
from symgrad.frontend.parse import Parsed, is_user_function, parse_function, unwrap

Path = tuple[str, ...]
_MAX_VARIANTS = 32  # generated modules kept per method (one per set of read-in values)
_MAX_DEPTH = 16  # methods calling methods through self


def is_method(fn: Any) -> bool:
    """A function defined in a class body whose first parameter is ``self``."""
    if not inspect.isfunction(fn):
        return False
    parts = fn.__qualname__.split(".")
    if len(parts) < 2 or parts[-2] == "<locals>":
        return False
    code = unwrap(fn).__code__
    return code.co_argcount > 0 and code.co_varnames[0] == "self"


def wrap(fn: Any, wrt: Any, has_aux: bool, factory: Callable,
         named: bool | None = None) -> Any:
    """The grad object for a method, bound method or partial; None for a plain function.

    ``factory`` is ``GradFunction`` (passed in, so that this module does not import api).
    ``named``: whether ``wrt`` was the user's (else integer arguments get None)."""
    if isinstance(fn, functools.partial):
        return PartialGrad(fn, wrt, has_aux, factory)
    if isinstance(fn, BoundMethodGrad):
        return MethodGrad(fn.method.fn, wrt, has_aux, factory, named).bind(fn.obj, eager=True)
    if isinstance(fn, MethodGrad):
        return MethodGrad(fn.fn, wrt, has_aux, factory, named)
    if isinstance(fn, types.MethodType) and inspect.isfunction(fn.__func__):
        return MethodGrad(fn.__func__, wrt, has_aux, factory, named).bind(fn.__self__,
                                                                          eager=True)
    if is_method(fn):
        return MethodGrad(fn, wrt, has_aux, factory, named)
    return None


# ---------------------------------------------------------------- reading the method


@dataclass
class _Read:
    """One ``self.a.b...`` in the source: its attributes, node, and whether it is called."""

    attrs: Path
    node: ast.Attribute
    call: bool


class _Method:
    """What a method's source reads through its first parameter (checked once)."""

    def __init__(self, fn: Callable) -> None:
        self.parsed = parse_function(fn)
        self.fn = self.parsed.fn  # (a pass-through functools.wraps wrapper seen through)
        tree = self.parsed.tree
        if tree.args.posonlyargs or not tree.args.args:
            raise self.parsed.error(tree, f"{tree.name!r} takes no `self` parameter",
                                    "a method's first parameter is its instance")
        self.self_name = tree.args.args[0].arg
        self.params = [a.arg for a in tree.args.args[1:]]
        parts = self.fn.__qualname__.split(".")
        self.cls = parts[-2].lstrip("_") if len(parts) >= 2 and parts[-2] != "<locals>" \
            else ""
        self.reads: list[_Read] = []
        self._walk(tree, None)
        self.used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
            {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}

    def chain(self, node: ast.AST) -> Path | None:
        """``("a", "b")`` for ``self.a.b``; None for anything not read through self."""
        attrs = []
        while isinstance(node, ast.Attribute):
            attrs.append(_mangle(node.attr, self.cls))
            node = node.value
        if isinstance(node, ast.Name) and node.id == self.self_name and attrs:
            return tuple(reversed(attrs))
        return None

    def _walk(self, node: ast.AST, parent: ast.AST | None) -> None:
        s, err = self.self_name, self.parsed.error
        if isinstance(node, ast.Attribute) and self.chain(node) is not None:
            text = f"{s}.{'.'.join(self.chain(node))}"
            if not isinstance(node.ctx, ast.Load):
                raise err(node, f"{self.parsed.tree.name} assigns to {text}: a differentiated "
                          f"method cannot change its instance", "compute the new value in a "
                          "local variable and return it (has_aux=True returns it beside the "
                          f"value), then set {text} outside the method")
            self.reads.append(_Read(self.chain(node), node,
                                    isinstance(parent, ast.Call) and parent.func is node))
            return
        if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            base = node.value
            while isinstance(base, ast.Subscript):
                base = base.value
            path = self.chain(base)
            if path is not None or isinstance(base, ast.Name) and base.id == s:
                text = ".".join((s, *(path or ())))
                raise err(node, f"{self.parsed.tree.name} writes into {text}: a differentiated "
                          "method cannot change its instance", f"copy it first ({s}_new = "
                          f"{text}.copy()) or write the update outside the method")
        if isinstance(node, ast.Name) and node.id == s:
            if isinstance(node.ctx, ast.Load):
                raise err(node, f"{s!r} is used as a value: symgrad reads a method's "
                          f"instance only through its attributes ({s}.W)",
                          f"pass the attributes the code needs ({s}.W) instead of {s}")
            raise err(node, f"{self.parsed.tree.name} rebinds {s!r}",
                      "use another name for the new value")
        if isinstance(node, (ast.FunctionDef, ast.Lambda)) and parent is not None and \
                s in {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}:
            raise err(node, f"a nested function's parameter is named {s!r}, like the method's "
                      "instance", "rename the nested function's parameter")
        for child in ast.iter_child_nodes(node):
            if node is self.parsed.tree and child is node.args:
                continue
            self._walk(child, node)

    def wrt(self, wrt: Any) -> list[str | Path]:
        """``wrt=`` as parameter names and attribute paths; by default the parameters."""
        name, s = self.parsed.tree.name, self.self_name
        if wrt is None:
            if not self.params:
                raise self.parsed.error(self.parsed.tree, f"{name} has no parameter after "
                                        f"{s!r} to differentiate", f"name the attributes: "
                                        f"wrt=\"{s}.W\" ({s} itself is never differentiated)")
            return list(self.params)
        read = sorted({f"{s}.{r.attrs[0]}" for r in self.reads})
        options = f"parameters: {', '.join(self.params) or '(none)'}; attributes read: " \
            f"{', '.join(read) or '(none)'}"
        out: list[str | Path] = []
        for item in [wrt] if isinstance(wrt, (str, int)) else list(wrt):
            if isinstance(item, int) and not isinstance(item, bool):
                if not -len(self.params) <= item < len(self.params):
                    raise self.parsed.error(self.parsed.tree, f"wrt={item} is out of range: "
                                            f"{name} has {len(self.params)} parameters after "
                                            f"{s!r}", "positions count from the parameter "
                                            f"after {s!r}")
                out.append(self.params[item])
            elif isinstance(item, str) and item in self.params:
                out.append(item)
            elif isinstance(item, str) and item.startswith(f"{s}.") and \
                    all(a.isidentifier() for a in item.split(".")[1:]):
                path = tuple(_mangle(a, self.cls) for a in item.split(".")[1:])
                if not any(r.attrs[0] == path[0] or r.call for r in self.reads):
                    # (a method called through self may read it: known at the first call)
                    raise self.parsed.error(self.parsed.tree, f"wrt={item!r}: {name} never "
                                            f"reads {s}.{item.split('.')[1]}", options)
                out.append(path)
            elif item == s:
                raise self.parsed.error(self.parsed.tree, f"wrt={item!r}: a method's instance "
                                        "is never differentiated", "name its attributes: "
                                        f"wrt=\"{s}.W\"")
            else:
                raise self.parsed.error(self.parsed.tree, f"wrt={item!r} is neither a "
                                        f"parameter of {name} nor an attribute it reads",
                                        options)
        return out

    def resolve(self, obj: Any, wrt: set[Path], depth: int = 0) -> _Resolved:
        """What each ``self.a.b`` is on ``obj`` now: an array (an argument), a value read
        in, or a method (inlined)."""
        items: dict[Path, tuple[str, Any]] = {}
        s, err, name = self.self_name, self.parsed.error, self.parsed.tree.name
        for read in self.reads:
            value, path, owner = obj, (), None
            for attr in read.attrs:
                if path and not _descends(value):
                    break  # self.W.T, self.W.shape: the rest is read from the value
                try:
                    owner, value = value, getattr(value, attr)
                except AttributeError as exc:
                    text = ".".join((s, *path, attr))
                    raise err(read.node, f"{name} reads {text}, which {type(obj).__name__} "
                              f"object {_short(obj)} does not have ({exc})",
                              f"set {text} before calling {name}") from None
                path += (attr,)
            known = items.get(path)
            if known is not None:
                if known[0] == "method" and not read.call:
                    raise err(read.node, f"{s}.{'.'.join(path)} is a method: it can only be "
                              "called here")
                continue
            callee = _callee(value) if read.call and path == read.attrs else None
            if callee is None and isinstance(value, np.ndarray):
                items[path] = ("param", value)
                continue
            text = ".".join((s, *path))
            if callee is not None:
                if depth >= _MAX_DEPTH:
                    raise err(read.node, f"{text}: methods calling methods through {s} "
                              f"deeper than {_MAX_DEPTH}", "recursion through self is not "
                              "supported: call a module-level function with the values")
                # the callee's self.W is our self.W when it is a method of ours (or of
                # self.layer: self.layer.W); another object's arrays get labels of their own
                prefix = path[:-1] if callee[1] is owner and callee[1] is not value else path
                sub = {p[len(prefix):] for p in wrt if p[:len(prefix)] == prefix and
                       len(p) > len(prefix)}
                items[path] = ("method", (_analysis(callee[0]).resolve(callee[1], sub,
                                                                       depth + 1), prefix))
            elif _descends(value):
                raise err(read.node, f"{text} is a {type(value).__name__} object: symgrad reads "
                          f"numbers and arrays through {s} ({text}.W), or calls its methods",
                          f"read the attributes the code needs ({text}.W)")
            elif isinstance(value, (list, tuple, dict)) and any(
                    _descends(v) for v in (value.values() if isinstance(value, dict) else value)):
                raise err(read.node, f"{text} is a {type(value).__name__} of objects: symgrad "
                          f"reads arrays through {s}'s attributes, not through containers",
                          f"make each an attribute of its own ({s}.layer1, {s}.layer2) and "
                          "call them one by one")
            elif path in wrt and not isinstance(value, numbers.Number):
                raise err(read.node, f"{text}, named in wrt=, is a {type(value).__name__}: "
                          "only numbers and arrays can be differentiated")
            else:
                items[path] = ("param" if path in wrt else "value", value)
        return _Resolved(self, items)


@dataclass
class _Resolved:
    """A method's reads on one instance; ``key`` says which generated module fits.

    ``params``: the arrays (and differentiated numbers) passed to the generated function, one
    per array object (an array reached by two paths, tied weights, is one parameter, so its
    gradient is the whole of it); ``canon``: each path read -> the path that names its
    parameter."""

    method: _Method
    items: dict[Path, tuple[str, Any]]  # path -> ("param" | "value", value) or
    #                                      ("method", (callee's _Resolved, its object's path))
    key: tuple = ()
    keep: list = field(default_factory=list)  # objects keyed by identity, kept alive
    params: list[tuple[Path, Any]] = field(default_factory=list)
    canon: dict[Path, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts: list = []
        for path, (kind, value) in self.items.items():
            if kind == "param":
                parts.append((path, kind))
            elif kind == "method":
                sub, prefix = value
                parts.append((path, kind, id(sub.method.fn), prefix, sub.key))
                self.keep += [sub.method.fn, *sub.keep]
            else:
                parts.append((path, kind, self._value_key(value)))
        first: dict[Any, Path] = {}
        for path, value in self.uses():
            ident = ("id", id(value)) if isinstance(value, np.ndarray) else ("path", path)
            if ident not in first:
                first[ident] = path
                self.params.append((path, value))
            self.canon[path] = first[ident]
        self.key = (tuple(parts), tuple(self.canon.items()))

    def uses(self) -> list[tuple[Path, Any]]:
        """Every parameter read, by the path it is read through (callees' too)."""
        out = []
        for path, (kind, value) in self.items.items():
            if kind == "param":
                out.append((path, value))
            elif kind == "method":
                sub, prefix = value
                out += [(prefix + p, v) for p, v in sub.uses()]
        return out

    def _value_key(self, value: Any) -> Any:
        """Equal for values the generated code cannot tell apart (as live.stale compares)."""
        if value is None or isinstance(value, (bool, int, str, bytes)):
            return type(value), value
        if isinstance(value, (float, np.generic)) or isinstance(value, tuple) and all(
                isinstance(v, numbers.Number) for v in value):
            return type(value), repr(value)  # (repr: -0.0 is not 0.0, nan is nan)
        self.keep.append(value)
        return "id", id(value)


def _analysis(fn: Callable) -> _Method:
    found = _ANALYSES.get(fn)
    if found is None:
        found = _ANALYSES[fn] = _Method(fn)
    return found


_ANALYSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _mangle(attr: str, cls: str) -> str:
    """``self.__W`` in class ``Model`` reads ``_Model__W``, as Python compiles it."""
    if cls and attr.startswith("__") and not attr.endswith("__"):
        return f"_{cls}{attr}"
    return attr


_LEAVES = (numbers.Number, np.ndarray, np.generic, str, bytes, tuple, list, dict, set,
           frozenset, type(None), types.ModuleType, type, types.FunctionType,
           types.BuiltinFunctionType, types.MethodType, np.ufunc, functools.partial)


_COMMON_LEAVES = frozenset((np.ndarray, float, int, bool, str, tuple, type(None),
                            np.float64))


def _descends(value: Any) -> bool:
    """Whether attributes are read through ``value`` (an object of the user's, a namespace)."""
    if type(value) in _COMMON_LEAVES or isinstance(value, _LEAVES):
        return False
    root = (getattr(type(value), "__module__", "") or "").split(".")[0]
    return root not in ("numpy", "symgrad", "builtins", "sympy")


def _callee(value: Any) -> tuple[Callable, Any] | None:
    """(function, instance) of a method called through self; None for anything else."""
    if isinstance(value, BoundMethodGrad):
        return value.method.fn, value.obj
    if isinstance(value, types.MethodType) and is_user_function(value.__func__):
        return value.__func__, value.__self__
    call = getattr(type(value), "__call__", None)  # noqa: B004  (its function, to inline)
    call = call.fn if isinstance(call, MethodGrad) else call
    if _descends(value) and is_user_function(call):
        return call, value
    return None


def _short(obj: Any) -> str:
    text = object.__repr__(obj)
    return text if len(text) < 80 else text[:77] + "..."


# ---------------------------------------------------------------- the rewritten function


def _build(r: _Resolved, label: str | None = None) -> tuple[types.FunctionType,
                                                           dict[Path, str]]:
    """The method as a function of ``r.params`` (then its own parameters), values read in.

    Returns the function and the names of its leading parameters, by ``r.params`` path.
    ``label``: the attribute a called object is read through (``self.layer(x)``): the values
    an inlined ``__call__`` returns are named after it."""
    m = r.method
    taken = set(m.used)

    def fresh(path: Path) -> str:
        base = "_".join((m.self_name, *path))
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    param_names = {p: fresh(p) for p, _ in r.params}
    names: dict[Path, str] = {}  # every self.a.b of the source -> the name it becomes
    cells: dict[str, Any] = {}
    calls: dict[Path, tuple[str, list[str]]] = {}
    variant = hashlib.sha256()
    for path, (kind, value) in r.items.items():
        if kind == "param":
            names[path] = param_names[r.canon[path]]
        elif kind == "value":
            names[path] = fresh(path)
            cells[names[path]] = value
        else:
            sub, prefix = value
            fn, sub_names = _build(sub, path[-1])
            variant.update(fn.__symgrad_variant__.encode())  # type: ignore[attr-defined]
            calls[path] = (fresh(path), [param_names[r.canon[prefix + p]] for p in sub_names])
            cells[calls[path][0]] = fn

    tree = _Rewrite(m, names, calls).visit(copy.deepcopy(m.parsed.tree))
    first = tree.args.args[0]
    tree.args.args = [ast.arg(param_names[p], lineno=first.lineno, col_offset=first.col_offset)
                      for p, _ in r.params] + tree.args.args[1:]
    ast.fix_missing_locations(tree)
    flat = _compile(m, tree, cells)
    variant.update(ast.dump(tree).encode())
    # the rewrite, in the cache key (live.watch): the values read in are there already, but
    # not which attributes became which parameters (two tied arrays are one)
    flat.__symgrad_variant__ = variant.hexdigest()  # type: ignore[attr-defined]
    if label is not None and tree.name == "__call__" and label.isidentifier():
        tree.name = label  # (the inliner names a call's values after the function)

    def parsed() -> Parsed:
        p = m.parsed
        return Parsed(flat, copy.deepcopy(tree), p.source, p.filename, p.firstlineno, p.lines)

    flat.__symgrad_parsed__ = parsed  # type: ignore[attr-defined]  (read by parse.py)
    return flat, param_names


class _Rewrite(ast.NodeTransformer):
    """``self.a.b`` -> its name; ``self.f(x)`` -> ``self_f(<f's arrays>, x)``."""

    def __init__(self, m: _Method, names: dict[Path, str],
                 calls: dict[Path, tuple[str, list[str]]]) -> None:
        self.m, self.names, self.calls = m, names, calls

    def visit_Call(self, node: ast.Call) -> ast.AST:
        path = self.m.chain(node.func)
        if path in self.calls:
            name, arrays = self.calls[path]
            node.func = ast.copy_location(ast.Name(name, ast.Load()), node.func)
            node.args = [ast.copy_location(ast.Name(a, ast.Load()), node.func)
                         for a in arrays] + [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        path = self.m.chain(node)
        if path in self.names:
            return ast.copy_location(ast.Name(self.names[path], ast.Load()), node)
        return self.generic_visit(node)


def _compile(m: _Method, tree: ast.FunctionDef, cells: dict[str, Any]) -> types.FunctionType:
    """A real function of the rewritten tree: the method's globals, its closure cells and
    a cell per value read in, compiled at the method's own file lines."""
    fn, p = m.fn, m.parsed
    run = copy.deepcopy(tree)
    ast.increment_lineno(run, p.firstlineno - 1)
    raw = linecache.getline(p.filename, p.firstlineno)
    indent = len(raw) - len(raw.lstrip()) if raw.strip() else 0
    for node in ast.walk(run):
        for attr in ("col_offset", "end_col_offset"):
            if getattr(node, attr, None) is not None:
                setattr(node, attr, getattr(node, attr) + indent)
    run.lineno = fn.__code__.co_firstlineno  # inspect reads the source from there
    free = list(cells) + [n for n in fn.__code__.co_freevars if n not in cells]
    outer = ast.parse(f"def __symgrad_outer__({', '.join(free)}):\n    pass").body[0]
    outer.body = [run, ast.Return(ast.Name(run.name, ast.Load()))]
    module = ast.Module([outer], type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, p.filename, "exec", dont_inherit=True)
    code = _const_code(_const_code(code, "__symgrad_outer__"), run.name)
    closure = dict(zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True))
    made = tuple(closure[n] if n in closure and n not in cells else types.CellType(cells[n])
                 for n in code.co_freevars)
    flat = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__,
                              made or None)
    flat.__qualname__ = fn.__qualname__
    flat.__module__ = fn.__module__
    flat.__doc__ = fn.__doc__
    return flat


def _const_code(code: types.CodeType, name: str) -> types.CodeType:
    return next(c for c in code.co_consts if isinstance(c, types.CodeType) and
                c.co_name == name)


# ---------------------------------------------------------------- the grad objects


class MethodGrad:
    """``@symgrad.grad`` on a method: a descriptor whose instance access is bound."""

    def __init__(self, fn: Callable, wrt: Any, has_aux: bool, factory: Callable,
                 named: bool | None = None) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.method = _analysis(fn)
        self._wrt_items = self.method.wrt(wrt)
        self._wrt_named = wrt is not None if named is None else named
        self._wrt_paths = {w for w in self._wrt_items if isinstance(w, tuple)}
        s = self.method.self_name
        self.wrt = tuple(w if isinstance(w, str) else ".".join((s, *w))
                         for w in self._wrt_items)
        self.has_aux = bool(has_aux)
        self._factory = factory
        self._inners: OrderedDict[tuple, tuple[Any, dict[Path, str], list]] = OrderedDict()

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else BoundMethodGrad(self, obj)

    def bind(self, obj: Any, eager: bool = False) -> BoundMethodGrad:
        """This method on ``obj``; ``eager``: transformed now, so that errors show now."""
        bound = BoundMethodGrad(self, obj)
        if eager:
            bound._target()
        return bound

    def _target(self, obj: Any) -> tuple[Any, list, dict[Path, str]]:
        """The GradFunction for ``obj``'s attributes now, and the arrays to pass it."""
        r = self.method.resolve(obj, self._wrt_paths)
        entry = self._inners.get(r.key)
        if entry is None:
            flat, param_names = _build(r)
            names = {p: param_names[c] for p, c in r.canon.items()}
            s, err, tree = self.method.self_name, self.method.parsed.error, \
                self.method.parsed.tree
            inner_wrt = []
            for w in self._wrt_items:
                text = w if isinstance(w, str) else ".".join((s, *w))
                if isinstance(w, tuple) and w not in names:  # (read only through an object)
                    raise err(tree, f"wrt={text!r} is not an array or number that "
                              f"{self.fn.__name__} reads")
                name = w if isinstance(w, str) else names[w]
                if name in inner_wrt:
                    raise err(tree, f"wrt={text!r} is the same array as another name in wrt=",
                              "name each array once")
                inner_wrt.append(name)
            inner = self._factory(flat, inner_wrt, self.has_aux)
            inner._wrt_named = self._wrt_named  # integers in the default wrt get None
            entry = (inner, names, r.keep)
            self._inners[r.key] = entry
            if len(self._inners) > _MAX_VARIANTS:
                self._inners.popitem(last=False)
        else:
            self._inners.move_to_end(r.key)
        return entry[0], [v for _, v in r.params], entry[1]

    @api_boundary
    def __call__(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        return BoundMethodGrad(self, obj)(*args, **kwargs)

    @api_boundary
    def grad(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        return BoundMethodGrad(self, obj).grad(*args, **kwargs)

    @api_boundary
    def value_and_grad(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        return BoundMethodGrad(self, obj).value_and_grad(*args, **kwargs)

    @property
    def source(self) -> str:
        raise SymgradError(f"{self.fn.__qualname__} is a method: its generated code depends "
                           "on an instance's attributes", hint=f"read it from an instance: "
                           f"obj.{self.fn.__name__}.source")

    def __repr__(self) -> str:
        return f"<symgrad.grad of method {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


class BoundMethodGrad:
    """A differentiated method on one instance: call it, ``.grad`` it, read its ``.source``.

    Its attributes are read at each call (see the module docstring)."""

    def __init__(self, method: MethodGrad, obj: Any) -> None:
        self.method = method
        self.obj = obj
        self.__name__ = method.fn.__name__
        self.__qualname__ = method.fn.__qualname__
        self.__doc__ = method.fn.__doc__

    @property
    def wrt(self) -> tuple[str, ...]:
        return self.method.wrt

    @property
    def __signature__(self) -> inspect.Signature:  # (help() and IDEs: the method's, no self)
        sig = inspect.signature(self.method.fn)
        return sig.replace(parameters=list(sig.parameters.values())[1:])

    @property
    def has_aux(self) -> bool:
        return self.method.has_aux

    def _target(self) -> tuple[Any, list]:
        inner, arrays, _ = self.method._target(self.obj)
        return inner, arrays

    @api_boundary
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inner, arrays = self._target()
        return inner(*arrays, *args, **kwargs)

    @api_boundary
    def grad(self, *args: Any, **kwargs: Any) -> Any:
        """The gradient: one array for one ``wrt`` name, else a tuple in ``wrt`` order."""
        inner, arrays = self._target()
        return inner.grad(*arrays, *args, **kwargs)

    @api_boundary
    def value_and_grad(self, *args: Any, **kwargs: Any) -> Any:
        """``(value, gradient)``, as ``GradFunction.value_and_grad``."""
        inner, arrays = self._target()
        return inner.value_and_grad(*arrays, *args, **kwargs)

    @property
    def source(self) -> str:
        """The generated module for the instance's attributes now: ``self.W`` is the
        parameter ``self_W`` (``self.layer.W`` is ``self_layer_W``)."""
        return self._target()[0].source

    @property
    def function(self) -> Any:
        """The ``GradFunction`` of the rewritten method, for the attributes now."""
        return self._target()[0]

    def export(self, path: Any, example_args: Any = None) -> Any:
        """``GradFunction.export`` of the rewritten function (arrays first)."""
        inner, arrays = self._target()
        if example_args is not None:
            example_args = (*arrays, *example_args)
        return inner.export(path, example_args)

    def formula(self, *example_args: Any, shapes: dict | None = None) -> Any:
        """``GradFunction.formula``; ``shapes`` may name attributes as ``"self.W"``."""
        inner, arrays, names = self.method._target(self.obj)
        if example_args:
            example_args = (*arrays, *example_args)
        if shapes is not None:
            s = self.method.method.self_name
            by_text = {".".join((s, *p)): n for p, n in names.items()}
            shapes = {by_text.get(k, k): v for k, v in shapes.items()}
        return inner.formula(*example_args, shapes=shapes)

    def _repr_html_(self) -> str:
        return self._target()[0]._repr_html_()

    def __repr__(self) -> str:
        return f"<bound symgrad.grad of method {self.__qualname__} of {_short(self.obj)} " \
            f"wrt {', '.join(self.wrt)}>"


class PartialGrad:
    """``symgrad.grad(functools.partial(f, ...))``: the arguments the partial binds are
    passed at each call and, by default, not differentiated."""

    def __init__(self, p: functools.partial, wrt: Any, has_aux: bool,
                 factory: Callable) -> None:
        self.partial = p
        args, keywords = tuple(p.args), dict(p.keywords)
        func = p.func
        if isinstance(func, MethodGrad) or is_method(func):
            fn = func.fn if isinstance(func, MethodGrad) else func
            s = _analysis(fn).self_name
            if args or s in keywords:  # partial(Model.loss, m): bound to m
                obj = args[0] if args else keywords.pop(s)
                func, args = types.MethodType(fn, obj), args[1:]
        names = self._names(func)
        free = [n for n in names[len(args):] if n not in keywords]
        inner_wrt: list = []
        for w in free if wrt is None else [wrt] if isinstance(wrt, (str, int)) else wrt:
            if isinstance(w, int) and not isinstance(w, bool):
                if not -len(free) <= w < len(free):
                    raise SymgradError(f"wrt={w} is out of range: the partial leaves "
                                       f"{len(free)} parameters ({', '.join(free)})")
                w = free[w]
            inner_wrt.append(w)
        func = getattr(func, "__symgrad_wrapped__", func)  # a @symgrad.grad function
        inner = wrap(func, inner_wrt, has_aux, factory, named=wrt is not None)
        if inner is None:
            inner = factory(func, inner_wrt, has_aux)
            inner._wrt_named = wrt is not None  # integers in the default wrt get None
        self.inner = inner
        self.args, self.keywords = args, keywords
        self.wrt = self.inner.wrt
        self.has_aux = bool(has_aux)
        functools.update_wrapper(self, unwrap(getattr(func, "__func__", func)))

    @staticmethod
    def _names(func: Any) -> list[str]:
        if isinstance(func, BoundMethodGrad):
            return list(func.method.method.params)
        if isinstance(func, types.MethodType) and inspect.isfunction(func.__func__):
            return list(_analysis(func.__func__).params)
        func = getattr(func, "__symgrad_wrapped__", func)
        return [a.arg for a in parse_function(func).tree.args.args]

    def _merge(self, kwargs: dict) -> dict:
        return {**self.keywords, **kwargs} if self.keywords else kwargs

    @api_boundary
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner(*self.args, *args, **self._merge(kwargs))

    @api_boundary
    def grad(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.grad(*self.args, *args, **self._merge(kwargs))

    @api_boundary
    def value_and_grad(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.value_and_grad(*self.args, *args, **self._merge(kwargs))

    @property
    def source(self) -> str:
        return self.inner.source

    def __repr__(self) -> str:
        return f"<symgrad.grad of {self.partial!r} wrt {', '.join(self.wrt)}>"
