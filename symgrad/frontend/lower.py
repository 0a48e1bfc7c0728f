"""Lower a function's AST to the IR: SSA statements over SymPy expressions.

Every name is resolved against the function's globals and closure, so ``import numpy as xp``,
``from numpy import exp`` and module-level constants all work. Anything the lowering does not
understand raises SymgradError pointing at the offending code.
"""

from __future__ import annotations

import ast
import math
import numbers
from typing import Any

import numpy as np
import sympy as sp

from symgrad.frontend.ir import Assign, Block, Function, Param
from symgrad.frontend.parse import MISSING, Parsed, resolve_name
from symgrad.rules import elementwise as ew
from symgrad.rules import structural as st
from symgrad.rules.structural import static

_ELEMENTWISE_BY_OBJECT: dict[int, str] = {}
_STRUCTURAL_BY_OBJECT: dict[int, str] = {}


def _tables() -> None:
    if _ELEMENTWISE_BY_OBJECT:
        return
    for name in list(ew.ELEMENTWISE_NAMES) + list(ew.ALIASES):
        canonical = ew.ALIASES.get(name, name)
        if canonical in ew.ELEMENTWISE_NAMES and hasattr(np, name):
            _ELEMENTWISE_BY_OBJECT[id(getattr(np, name))] = canonical
    for name, canonical in {
        "exp": "exp", "log": "log", "log1p": "log1p", "expm1": "expm1", "sqrt": "sqrt",
        "sin": "sin", "cos": "cos", "tan": "tan", "asin": "arcsin", "acos": "arccos",
        "atan": "arctan", "atan2": "arctan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
        "fabs": "abs", "pow": "power", "log2": "log2", "log10": "log10",
    }.items():
        _ELEMENTWISE_BY_OBJECT[id(getattr(math, name))] = canonical
    _ELEMENTWISE_BY_OBJECT[id(abs)] = "abs"
    for name in [
        "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "dot", "matmul",
        "inner", "outer", "transpose", "reshape", "ravel", "expand_dims", "squeeze",
        "concatenate", "stack", "zeros", "ones", "zeros_like", "ones_like", "array", "asarray",
        "shape", "size", "ndim",
    ]:
        _STRUCTURAL_BY_OBJECT[id(getattr(np, name))] = ew.ALIASES.get(name, name)
    _STRUCTURAL_BY_OBJECT[id(len)] = "len"


_CONSTANT_BY_OBJECT: dict[int, str] = {
    id(getattr(np, n)): n for n in ["arange", "linspace", "eye", "identity", "full", "tri"]
}

_REDUCTION_METHODS = {"sum", "mean", "prod", "max", "min", "var", "std"}

_HINT_CONTROL_FLOW = "control flow (if/for/while) is not supported yet; write straight-line code"


class Lowerer:
    """Turns one parsed function into an IR Function."""

    def __init__(self, parsed: Parsed) -> None:
        _tables()
        self.p = parsed
        self.fn = parsed.fn
        self.env: dict[str, Any] = {}  # local name -> SymPy expression of its current value
        self.block = Block()
        self.used_names = {n.id for n in ast.walk(parsed.tree) if isinstance(n, ast.Name)}
        self.used_names |= {a.arg for a in ast.walk(parsed.tree) if isinstance(a, ast.arg)}
        self.versions: dict[str, int] = {}
        self.constants: dict[str, Any] = {}
        self.no_grad_depth = 0
        self.stmt_lines: list[str] = []
        self.returns: list[str] = []
        self.returns_tuple = False
        self.locals = self._assigned_names()

    # ------------------------------------------------------------ entry

    def lower(self) -> Function:
        tree = self.p.tree
        args = tree.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise self.p.error(tree, "*args, **kwargs, keyword-only and positional-only "
                               "parameters are not supported", "use plain positional parameters")
        params = []
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        for a, d in zip(args.args, defaults, strict=True):
            params.append(Param(a.arg, None if d is None else ast.unparse(d), d is not None))
            self.env[a.arg] = sp.Symbol(a.arg, real=True)
            self.versions[a.arg] = 0
        body = list(tree.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        self.stmts(body)
        if not self.returns:
            raise self.p.error(tree, f"{tree.name!r} has no return statement",
                               "a differentiable function must return its value")
        return Function(tree.name, params, self.block, self.returns, self.returns_tuple,
                        self.p.filename, self.p.firstlineno, self.constants, self.p.source)

    def _assigned_names(self) -> set[str]:
        names = set()
        for node in ast.walk(self.p.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
        return names | {a.arg for a in self.p.tree.args.args}

    # ------------------------------------------------------------ statements

    def stmts(self, body: list[ast.stmt]) -> None:
        for node in body:
            if self.returns:
                raise self.p.error(node, "code after `return` is not supported",
                                   "remove the unreachable code")
            self.stmt(node)

    def stmt(self, node: ast.stmt) -> None:
        self.stmt_lines = self.p.lines[node.lineno - 1: node.end_lineno]
        if isinstance(node, ast.Assign):
            value = self.expr(node.value)
            for target in node.targets:
                self.assign(target, value, node.value, node)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.assign(node.target, self.expr(node.value), node.value, node)
        elif isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name):
                raise self.p.error(node.target, "augmented assignment to a subscript or "
                                   "attribute is not supported", "write `x = x + ...` instead")
            current = self.name(node.target)
            value = self.binop(node.op, current, self.expr(node.value), node)
            self.assign(node.target, value, node.value, node)
        elif isinstance(node, ast.Return):
            self.return_(node)
        elif isinstance(node, ast.With):
            self.with_(node)
        elif isinstance(node, ast.Pass):
            pass
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            pass
        elif isinstance(node, (ast.If, ast.For, ast.While)):
            raise self.p.error(node, f"`{type(node).__name__.lower()}` is not supported yet",
                               _HINT_CONTROL_FLOW)
        else:
            raise self.p.error(node, f"unsupported statement: {type(node).__name__}",
                               "symgrad differentiates assignments, `with no_grad():` and `return`")

    def with_(self, node: ast.With) -> None:
        if len(node.items) != 1 or node.items[0].optional_vars is not None or \
                not self._is_no_grad(node.items[0].context_expr):
            raise self.p.error(node, "only `with no_grad():` blocks are supported",
                               "use `with symgrad.no_grad():` to mark constants")
        self.no_grad_depth += 1
        self.stmts(node.body)
        self.no_grad_depth -= 1

    def _is_no_grad(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call) or node.args or node.keywords:
            return False
        obj = self.static_object(node.func)
        return getattr(obj, "__name__", None) == "no_grad" or \
            getattr(obj, "__symgrad_no_grad__", False)

    def return_(self, node: ast.Return) -> None:
        if node.value is None:
            raise self.p.error(node, "`return` without a value", "return the function's output")
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        self.returns_tuple = isinstance(node.value, ast.Tuple)
        names = []
        for i, v in enumerate(values):
            expr = self.expr(v)
            if isinstance(v, ast.Name) and isinstance(expr, sp.Symbol) and expr.name in {
                s.target for s in self.block.stmts} | set(self.versions):
                names.append(expr.name)
                continue
            base = "out" if len(values) == 1 else f"out{i}"
            names.append(self.emit(base, expr, node))
        self.returns = names

    def assign(self, target: ast.expr, value: Any, value_node: ast.expr, node: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = sp.Symbol(self.emit(target.id, value, node), real=True)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), value_node)
            for t, v in zip(target.elts, items, strict=True):
                self.assign(t, v, value_node, node)
            return
        raise self.p.error(target, f"assignment to {type(target).__name__.lower()} "
                           "is not supported yet", "assign to plain names")

    def unpack(self, value: Any, n: int, node: ast.expr) -> list[Any]:
        if isinstance(value, (tuple, list, sp.Tuple)):
            if len(value) != n:
                raise self.p.error(node, f"cannot unpack {len(value)} values into {n} names")
            return list(value)
        if isinstance(value, st.Shape):
            return [st.ShapeAt(value.args[0], static(i)) for i in range(n)]
        raise self.p.error(node, "cannot unpack this value", "unpack tuples or `x.shape`")

    def emit(self, user_name: str, value: Any, node: ast.stmt) -> str:
        if isinstance(value, (tuple, list)):
            raise self.p.error(node, "tuples and lists can only be unpacked or passed to "
                               "numpy functions here", "unpack it: `a, b = ...`")
        value = sp.sympify(value)
        if self.no_grad_depth and value.free_symbols:
            value = st.StopGradient(value)
        name = self.fresh(user_name)
        self.block.stmts.append(Assign(name, value, self.p.file_lineno(node),
                                       list(self.stmt_lines), user_name))
        return name

    def fresh(self, base: str) -> str:
        if base not in self.versions and base not in self.constants:
            self.versions[base] = 0
            return base
        k = self.versions.get(base, 0)
        while True:
            k += 1
            name = f"{base}_{k}"
            if name not in self.used_names and name not in self.versions:
                self.versions[base] = k
                self.versions[name] = 0
                return name

    # ------------------------------------------------------------ expressions

    def name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in self.locals:
            raise self.p.error(node, f"{node.id!r} is used before it is assigned")
        obj = resolve_name(self.fn, node.id)
        if obj is MISSING:
            raise self.p.error(node, f"name {node.id!r} is not defined",
                               "define it before decorating the function")
        return self.constant(obj, node.id, node)

    def constant(self, obj: Any, name: str, node: ast.AST) -> Any:
        if obj is None:
            return None
        if isinstance(obj, tuple) and all(isinstance(v, (numbers.Number, tuple)) for v in obj):
            return tuple(self.constant(v, name, node) for v in obj)
        if isinstance(obj, bool):
            return sp.true if obj else sp.false
        if isinstance(obj, numbers.Integral):
            return sp.Integer(int(obj))
        if isinstance(obj, numbers.Real):
            value = float(obj)
            if value == math.pi:
                return sp.pi
            if value == math.e:
                return sp.E
            num, den = value.as_integer_ratio() if math.isfinite(value) else (0, 0)
            if den and den <= 1024 and abs(num) < 2**53:
                return sp.Rational(num, den)  # 0.5 -> 1/2: exact, and prints as a Python float
            return sp.Float(value)
        if isinstance(obj, np.ndarray):
            if not np.issubdtype(obj.dtype, np.number):
                raise self.p.error(node, f"global array {name!r} must be numeric")
            self.constants[name] = obj
            return sp.Symbol(name, real=True)
        return _Opaque(obj)

    def static_object(self, node: ast.expr) -> Any:
        """The Python object an expression like ``np.exp`` or ``symgrad.no_grad`` names."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return None
            obj = resolve_name(self.fn, node.id)
            return None if obj is MISSING else obj
        if isinstance(node, ast.Attribute):
            base = self.static_object(node.value)
            if base is None:
                return None
            return getattr(base, node.attr, None)
        return None

    def expr(self, node: ast.expr) -> Any:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.p.error(node, f"unsupported expression: {type(node).__name__}",
                               "use numpy arithmetic, numpy functions and indexing")
        result = method(node)
        if isinstance(result, _Opaque):
            raise self.p.error(node, f"{_describe(result.obj)} cannot be used as a value here",
                               "symgrad differentiates numpy arrays and numbers")
        return result

    def expr_Name(self, node: ast.Name) -> Any:
        return self.name(node)

    def expr_Constant(self, node: ast.Constant) -> Any:
        if node.value is None:
            return None
        if isinstance(node.value, (bool, int, float)):
            return self.constant(node.value, repr(node.value), node)
        raise self.p.error(node, f"constant {node.value!r} is not a number",
                           "only numbers can enter differentiable code")

    def expr_Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.expr(e) for e in node.elts)

    expr_List = expr_Tuple

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return sp.Not(operand)
        raise self.p.error(node, "unsupported unary operator", "use - or +")

    def expr_BinOp(self, node: ast.BinOp) -> Any:
        return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)

    def binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        for v in (a, b):
            if v is None or isinstance(v, tuple):
                raise self.p.error(node, "arithmetic on a tuple or None is not supported",
                                   "wrap the values in np.array([...]) to compute with them")
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            return a / b
        if isinstance(op, ast.Pow):
            return a**b
        if isinstance(op, ast.MatMult):
            return st.MatMul(a, b)
        raise self.p.error(node, f"operator {type(op).__name__} is not supported",
                           "use + - * / ** @ (floor division and modulo have no gradient)")

    def expr_Compare(self, node: ast.Compare) -> Any:
        if len(node.ops) != 1:
            raise self.p.error(node, "chained comparisons are not supported",
                               "split them: `(a < b) & (b < c)`")
        a, b = self.expr(node.left), self.expr(node.comparators[0])
        ops = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge,
               ast.Eq: sp.Eq, ast.NotEq: sp.Ne}
        rel = ops.get(type(node.ops[0]))
        if rel is None:
            raise self.p.error(node, "unsupported comparison", "use < <= > >= == !=")
        return rel(a, b, evaluate=False)

    def expr_Attribute(self, node: ast.Attribute) -> Any:
        obj = self.static_object(node)
        if obj is not None:
            return self.constant(obj, ast.unparse(node), node)
        base = self.expr(node.value)
        attr = node.attr
        if attr == "T":
            return st.Transpose(base, static(None))
        if attr == "shape":
            return st.Shape(base)
        if attr == "size":
            return st.Size(base)
        if attr == "ndim":
            return st.Ndim(base)
        if attr in ("data", "real"):
            return st.StopGradient(base) if attr == "data" else base
        raise self.p.error(node, f"attribute .{attr} is not supported",
                           "supported: .T .shape .size .ndim .data")

    def expr_Subscript(self, node: ast.Subscript) -> Any:
        base = self.expr(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if isinstance(base, st.Shape):
            if len(parts) == 1 and isinstance(parts[0], ast.Constant):
                return st.ShapeAt(base.args[0], static(parts[0].value))
            raise self.p.error(node, "only constant indices into .shape are supported")
        if isinstance(base, tuple):
            if len(parts) == 1 and isinstance(parts[0], ast.Constant):
                return base[parts[0].value]
            raise self.p.error(node, "only constant indices into tuples are supported")
        return st.GetItem(base, *[self.index_part(p) for p in parts])

    def index_part(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            bounds = [None if b is None else self.expr(b) for b in (node.lower, node.upper,
                                                                     node.step)]
            if all(b is None or isinstance(b, sp.Integer) for b in bounds):
                return static(slice(*[None if b is None else int(b) for b in bounds]))
            return st.SliceOf(*[static(None) if b is None else b for b in bounds])
        if isinstance(node, ast.Constant) and node.value is None:
            return static(None)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return static(Ellipsis)
        value = self.expr(node)
        if isinstance(value, sp.Integer):
            return static(int(value))
        if value is None:
            return static(None)
        if isinstance(value, (tuple, list)):
            raise self.p.error(node, "indexing with a list is not supported",
                               "use slices or integers")
        return value

    # ------------------------------------------------------------ calls

    def expr_Call(self, node: ast.Call) -> Any:
        func = node.func
        obj = self.static_object(func)
        if obj is None and isinstance(func, ast.Attribute):
            return self.method_call(node, self.expr(func.value), func.attr)
        if obj is None:
            raise self.p.error(func, f"cannot call {ast.unparse(func)!r}")
        if getattr(obj, "__symgrad_stop_gradient__", False):
            return st.StopGradient(self.expr(node.args[0]))
        name = _ELEMENTWISE_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.elementwise_call(node, name)
        name = _STRUCTURAL_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.structural_call(node, name, None)
        name = _CONSTANT_BY_OBJECT.get(id(obj))
        if name is not None:
            kwargs = tuple((k.arg, self.static_value(self.expr(k.value), node, k.arg))
                           for k in node.keywords)
            return st.NpConstant(static(name), static(kwargs), *[self.arg(a) for a in node.args])
        raise self.p.error(func, f"call to {_describe(obj)} is not supported",
                           "supported: numpy elementwise functions, reductions, products and "
                           "reshaping (calls to your own functions come later)")

    def call_args(self, node: ast.Call, names: list[str], first: Any = None) -> dict[str, Any]:
        """Bind positional and keyword arguments to ``names`` (the numpy signature)."""
        bound: dict[str, Any] = {}
        positional = ([first] if first is not None else []) + [self.arg(a) for a in node.args]
        if len(positional) > len(names):
            raise self.p.error(node, f"too many arguments (expected at most {len(names)})")
        bound.update(zip(names, positional, strict=False))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in names:
                raise self.p.error(node, f"unsupported keyword argument {kw.arg!r}",
                                   f"supported: {', '.join(names)}")
            bound[kw.arg] = self.arg(kw.value)
        return bound

    def arg(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Starred):
            raise self.p.error(node, "starred arguments are not supported")
        return self.expr(node)

    def elementwise_call(self, node: ast.Call, name: str, first: Any = None) -> Any:
        n = ew.arity(name)
        bound = self.call_args(node, ["a", "b", "c"][:n], first)
        if len(bound) != n:
            raise self.p.error(node, f"{name} takes {n} argument(s)")
        args = [bound[k] for k in ["a", "b", "c"][:n]]
        if name == "clip":
            args = [a if a is not None else (sp.oo if i == 2 else -sp.oo)
                    for i, a in enumerate(args)]
        return ew.sympy_form(name, *args)

    def static_value(self, value: Any, node: ast.AST, what: str) -> Any:
        """A value that must be known at decoration time (axis, keepdims, ddof)."""
        if value is None or isinstance(value, (bool, int)):
            return value
        if value in (sp.true, sp.false):
            return bool(value)
        if isinstance(value, sp.Integer):
            return int(value)
        if isinstance(value, tuple):
            return tuple(self.static_value(v, node, what) for v in value)
        raise self.p.error(node, f"{what} must be a constant", f"write {what} as a literal")

    def structural_call(self, node: ast.Call, name: str, first: Any) -> Any:
        if name in st.REDUCTIONS:
            names = ["a", "axis", "keepdims"] + (["ddof"] if name in ("var", "std") else [])
            bound = self.call_args(node, names, first)
            x = bound.get("a")
            axis = self.static_value(bound.get("axis"), node, "axis")
            keepdims = self.static_value(bound.get("keepdims", False), node, "keepdims")
            extra = [static(self.static_value(bound.get("ddof", 0), node, "ddof"))] \
                if name in ("var", "std") else []
            return st.REDUCTIONS[name](x, static(axis), static(bool(keepdims)), *extra)
        if name in ("dot", "matmul", "inner", "outer"):
            bound = self.call_args(node, ["a", "b"], first)
            cls = {"dot": st.Dot, "matmul": st.MatMul, "inner": st.Inner, "outer": st.Outer}
            return cls[name](bound["a"], bound["b"])
        if name == "transpose":
            bound = self.call_args(node, ["a", "axes"], first)
            axes = self.static_value(bound.get("axes"), node, "axes")
            return st.Transpose(bound["a"], static(axes))
        if name == "reshape":
            bound = self.call_args(node, ["a", "shape"], first)
            return st.Reshape(bound["a"], self.shape_arg(bound["shape"], node))
        if name == "ravel":
            return st.Ravel(self.call_args(node, ["a"], first)["a"])
        if name in ("expand_dims", "squeeze"):
            bound = self.call_args(node, ["a", "axis"], first)
            axis = self.static_value(bound.get("axis"), node, "axis")
            return (st.ExpandDims if name == "expand_dims" else st.Squeeze)(bound["a"],
                                                                             static(axis))
        if name in ("concatenate", "stack"):
            bound = self.call_args(node, ["arrays", "axis"], first)
            arrays = bound["arrays"]
            if not isinstance(arrays, (tuple, list)):
                raise self.p.error(node, f"{name} needs a literal list of arrays",
                                   f"write np.{name}([a, b], axis=...)")
            axis = self.static_value(bound.get("axis", 0), node, "axis")
            cls = st.Concatenate if name == "concatenate" else st.Stack
            return cls(*arrays, static(axis))
        if name in ("zeros", "ones"):
            bound = self.call_args(node, ["shape"], first)
            cls = st.Zeros if name == "zeros" else st.Ones
            return cls(self.shape_arg(bound["shape"], node))
        if name in ("zeros_like", "ones_like"):
            bound = self.call_args(node, ["a"], first)
            return (st.ZerosLike if name == "zeros_like" else st.OnesLike)(bound["a"])
        if name in ("array", "asarray"):
            return self.array_literal(node)
        if name in ("shape", "size", "ndim", "len"):
            bound = self.call_args(node, ["a"], first)
            cls = {"shape": st.Shape, "size": st.Size, "ndim": st.Ndim, "len": st.Len}
            return cls[name](bound["a"])
        raise self.p.error(node, f"np.{name} is not supported")  # pragma: no cover

    def shape_arg(self, shape: Any, node: ast.AST) -> Any:
        if isinstance(shape, st.Shape):
            return shape
        items = shape if isinstance(shape, (tuple, list)) else (shape,)
        if all(isinstance(i, sp.Integer) for i in items):
            return static(tuple(int(i) for i in items))
        return sp.Tuple(*items)

    def array_literal(self, node: ast.Call) -> Any:
        if len(node.args) != 1 or node.keywords:
            raise self.p.error(node, "np.array takes one list literal here")
        layout: list[tuple[int, ...]] = []
        elements: list[Any] = []

        def walk(n: ast.expr, prefix: tuple[int, ...]) -> None:
            if isinstance(n, (ast.List, ast.Tuple)):
                for i, e in enumerate(n.elts):
                    walk(e, prefix + (i,))
                return
            value = self.expr(n)
            if isinstance(value, (tuple, list)) or value is None:
                raise self.p.error(n, "np.array elements must be scalars")
            layout.append(prefix)
            elements.append(value if not isinstance(value, sp.Integer) else sp.Float(int(value)))

        walk(node.args[0], ())
        if not layout or any(len(p) == 0 for p in layout):
            raise self.p.error(node, "np.array needs a list literal of scalars")
        return st.ArrayOf(static(tuple(layout)), *elements)

    def method_call(self, node: ast.Call, base: Any, method: str) -> Any:
        if method in _REDUCTION_METHODS:
            return self.structural_call(node, method, base)
        if method in ("reshape", "transpose"):
            items = [self.arg(a) for a in node.args]
            if method == "reshape":
                shape = items[0] if len(items) == 1 else tuple(items)
                return st.Reshape(base, self.shape_arg(shape, node))
            axes = None if not items else (items[0] if len(items) == 1 else tuple(items))
            return st.Transpose(base, static(self.static_value(axes, node, "axes")))
        if method in ("ravel", "flatten"):
            return st.Ravel(base)
        if method == "squeeze":
            return self.structural_call(node, "squeeze", base)
        if method == "dot":
            return self.structural_call(node, "dot", base)
        if method in ("detach", "copy"):
            return st.StopGradient(base) if method == "detach" else base
        if method == "clip":
            return self.elementwise_call(node, "clip", base)
        raise self.p.error(node, f"method .{method}() is not supported",
                           "supported: .sum .mean .max .min .prod .var .std .reshape .ravel "
                           ".transpose .squeeze .dot .clip .copy .detach")


class _Opaque:
    """A Python object met during lowering that is not a value (a module, a function)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def lower(parsed: Parsed) -> Function:
    return Lowerer(parsed).lower()
