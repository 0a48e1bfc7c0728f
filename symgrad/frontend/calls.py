"""Binding calls to numpy, math and builtins: which primitive a called object is (the
_*_BY_OBJECT tables), how its arguments bind, and the IR node it becomes."""

from __future__ import annotations

import ast
import copy
import math
from typing import Any

import numpy as np
import sympy as sp

from symgrad.frontend import exact
from symgrad.frontend.common import (
    describe,
    not_real,
)
from symgrad.frontend.inlining import LocalFunction, is_user_function
from symgrad.frontend.parse import MISSING
from symgrad.rules import elementwise as ew
from symgrad.rules import masks
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
        "copy", "cumsum",
        "shape", "size", "ndim",
    ]:
        _STRUCTURAL_BY_OBJECT[id(getattr(np, name))] = ew.ALIASES.get(name, name)
    _STRUCTURAL_BY_OBJECT[id(len)] = "len"


_CONSTANT_BY_OBJECT: dict[int, str] = {
    id(getattr(np, n)): n for n in ["arange", "eye", "identity", "full", "tri",
                                    # no gradient flows through these
                                    "all", "any", "argmax", "argmin", "isnan", "isfinite",
                                    "isinf", "floor", "ceil", "round", "rint", "count_nonzero"]
}
_CONSTANT_METHODS = {"all", "any", "argmax", "argmin", "round"}

_REDUCTION_METHODS = {"sum", "mean", "prod", "max", "min", "var", "std"}
# numpy's signatures, in positional order (after the array itself)
_REDUCTION_PARAMS = {
    "sum": ["axis", "dtype", "out", "keepdims"], "mean": ["axis", "dtype", "out", "keepdims"],
    "prod": ["axis", "dtype", "out", "keepdims"], "max": ["axis", "out", "keepdims"],
    "min": ["axis", "out", "keepdims"], "var": ["axis", "dtype", "out", "ddof", "keepdims"],
    "std": ["axis", "dtype", "out", "ddof", "keepdims"],
}
_DEFAULT_ONLY = {"dtype", "out"}  # parameters accepted only as None
# array parameters: a list passed there is the array numpy makes of it
_ARRAY_PARAMS = {"a", "b", "c", "x", "start", "stop", "fill_value"}
_LITERAL_PARAMS = {"order"}  # string arguments, read from the source


class CallLowering:
    """Calls to numpy, math and builtins, mixed into ``Lowerer``."""

    def expr_Call(self, node: ast.Call) -> Any:
        _tables()
        func = node.func
        if isinstance(func, ast.Name) and isinstance(self.env.get(func.id), LocalFunction):
            return self.inline(node, self.env[func.id])
        obj = self.static_object(func)
        if obj is None and isinstance(func, ast.Attribute):
            return self.method_call(node, self.expr(func.value), func.attr)
        if obj is None:
            raise self.p.error(func, f"cannot call {ast.unparse(func)!r}")
        obj = getattr(obj, "__symgrad_wrapped__", obj)  # a @symgrad.grad function: its source
        builtin = self.builtin_call(node, obj)
        if builtin is not MISSING:
            return builtin
        if getattr(obj, "__symgrad_stop_gradient__", False):
            return st.StopGradient(self.expr(node.args[0]))
        if obj is np.linalg.norm:
            return self.norm_call(node)
        if obj is np.linspace:
            return self.linspace_call(node)
        if obj in (np.full, np.arange):
            return self.full_call(node) if obj is np.full else self.arange_call(node)
        name = _ELEMENTWISE_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.elementwise_call(
                node, name, python=getattr(obj, "__module__", None) == "math")
        name = _STRUCTURAL_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.structural_call(node, name, None)
        name = _CONSTANT_BY_OBJECT.get(id(obj))
        if name is not None:
            return self.constant_call(node, name)
        if is_user_function(obj):
            return self.inline(node, obj)
        raise self.p.error(func, f"call to {describe(obj)} is not supported",
                           "supported: numpy elementwise functions, reductions, products, "
                           "reshaping, and your own Python functions")

    def builtin_call(self, node: ast.Call, obj: Any) -> Any:
        """sum/len/float/int/range of decoration-time values; MISSING for anything else."""
        if obj is sum and len(node.args) == 1 and not node.keywords:
            items = self.expr(node.args[0])
            if isinstance(items, (tuple, list)):
                total = sp.Integer(0)
                for item in items:  # Python adds left to right
                    total = self.binop(ast.Add(), total, item, node)
                return total
            return st.NpSum(items, static(0), static(False))  # Python sums over the first axis
        if obj in (max, min) and len(node.args) >= 2 and not node.keywords and \
                not any(isinstance(a, ast.Starred) for a in node.args):
            # Python's max(a, b, ...) of numbers: the first of equal values wins
            values = [self.arg(a) for a in node.args]
            if any(isinstance(v, (tuple, list, dict)) or v is None for v in values):
                raise self.p.error(node, f"{obj.__name__}() of containers is not supported")
            out = values[0]
            for v in values[1:]:
                out = (masks.PyMax if obj is max else masks.PyMin)(out, v)
            return out
        if obj in (float, int) and len(node.args) == 1 and not node.keywords:
            value = self.expr(node.args[0])
            if isinstance(value, sp.Basic) and value.is_Number:
                return sp.Float(float(value)) if obj is float else sp.Integer(int(value))
            if obj is float:
                return value
            if not isinstance(value, sp.Basic):
                raise self.p.error(node, "int() of a container is not supported")
            return st.IntOf(value)  # int(np.argmax(p)), int(len(x) / 2): a step, slope 0
        if obj is len and len(node.args) == 1:
            value = self.expr(node.args[0])
            if isinstance(value, (tuple, list, dict)):
                return sp.Integer(len(value))
            return st.Len(value)
        if obj is range:
            raise self.p.error(node, "range() is supported only as the iterable of a for loop")
        return MISSING

    def call_args(self, node: ast.Call, names: list[str], first: Any = None,
                  literal: bool = False) -> dict[str, Any]:
        """Bind positional and keyword arguments to ``names`` (the numpy signature, in its
        order). A name in ``_DEFAULT_ONLY`` (dtype, out) is accepted only as None: symgrad
        would otherwise drop it. A list or tuple passed for an array parameter is the array
        numpy makes of it. ``literal`` keeps a float literal a float (np.full(3, 2.0))."""
        positional = ([first] if first is not None else []) + list(node.args)
        if len(positional) > len(names):
            raise self.p.error(node, f"too many arguments (expected at most {len(names)})")
        given = dict(zip(names, positional, strict=False))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in names or kw.arg in given:
                supported = [n for n in names if n not in _DEFAULT_ONLY]
                raise self.p.error(node, f"unsupported keyword argument {kw.arg!r}",
                                   f"supported: {', '.join(supported)}")
            given[kw.arg] = kw.value
        bound: dict[str, Any] = {}
        for name, value in given.items():
            if name in _DEFAULT_ONLY:
                if not (isinstance(value, ast.Constant) and value.value is None):
                    raise self.p.error(node, f"the {name}= argument is not supported",
                                       f"leave {name} out (compute in the inputs' dtype and "
                                       "use the returned array)")
                continue
            if name in _LITERAL_PARAMS:  # order="F": a string known at decoration time
                if not isinstance(value, ast.Constant):
                    raise self.p.error(node, f"{name} must be a literal",
                                       f"write {name}='C' or {name}='F'")
                bound[name] = value.value
                continue
            if isinstance(value, ast.AST):
                value = self.literal_arg(value) if literal else self.arg(value)
            bound[name] = self.array_arg(value, node) if name in _ARRAY_PARAMS else value
        return bound

    def array_arg(self, value: Any, node: ast.AST) -> Any:
        """What numpy makes of an array argument: a list or tuple of values is stacked."""
        if not isinstance(value, (tuple, list)):
            return value
        if not value or any(v is None or isinstance(v, (dict, LocalFunction)) for v in value):
            raise self.p.error(node, "an array argument must be a list of numbers or arrays",
                               "build the array with np.stack([...]) first")
        return st.Stack(*[self.array_arg(v, node) for v in value], static(0))

    def constant_call(self, node: ast.Call, name: str) -> Any:
        """A numpy call whose result has no gradient (np.eye(n), np.arange(n), np.argmax)."""
        kwargs = tuple((k.arg, self.static_value(self.expr(k.value), node, k.arg))
                       for k in node.keywords)
        return st.NpConstant(static(name), static(kwargs),
                             *[self.literal_arg(a) for a in node.args])

    def full_call(self, node: ast.Call) -> Any:
        """np.full(shape, value): value broadcast to shape, so value gets the summed gradient."""
        bound = self.call_args(node, ["shape", "fill_value", "dtype", "order"], literal=True)
        value = bound.get("fill_value")
        if not (isinstance(value, sp.Basic) and value.free_symbols):
            return self.constant_call(node, "full")
        if "shape" not in bound:
            raise self.p.error(node, "np.full needs a shape and a value")
        return st.Full(value, self.shape_arg(bound["shape"], node))

    def arange_call(self, node: ast.Call) -> Any:
        """np.arange(start, stop, step): start + i * step, so start and step get gradients
        (the count is a step function of them, with no gradient)."""
        bound = self.call_args(node, ["start", "stop", "step", "dtype"], literal=True)
        start, step = bound.get("start"), bound.get("step")
        if "stop" not in bound or not any(isinstance(v, sp.Basic) and v.free_symbols
                                          for v in (start, step)):
            return self.constant_call(node, "arange")  # np.arange(n): integers, no gradient
        return st.Arange(start, step if step is not None else static(None), bound["stop"])

    def literal_arg(self, node: ast.expr) -> Any:
        """An argument that keeps a float literal a float: np.arange(3.0) is a float array."""
        if isinstance(node, ast.Constant) and type(node.value) is float:
            return sp.Float(node.value)
        return self.arg(node)

    def arg(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Starred):
            raise self.p.error(node, "starred arguments are not supported")
        return self.expr(node)

    def elementwise_call(self, node: ast.Call, name: str, first: Any = None,
                         python: bool = False) -> Any:
        """A numpy (or, ``python``, a math module) function applied elementwise."""
        n = ew.arity(name)
        bound = self.call_args(node, ["a", "b", "c"][:n], first)
        if len(bound) != n:
            raise self.p.error(node, f"{name} takes {n} argument(s)")
        args = [bound[k] for k in ["a", "b", "c"][:n]]
        if name == "clip":
            args = [a if a is not None else (sp.oo if i == 2 else -sp.oo)
                    for i, a in enumerate(args)]
        if name in _UFUNC_OPERATORS and all(isinstance(a, sp.Basic) for a in args):
            return self.binop(_UFUNC_OPERATORS[name](), *args, node)  # np.subtract(x, x)
        value = _checked_form(name, args)
        if value is None:  # np.exp(np.log(x)): the inner call as a value of its own
            args = [self.named(a, node) for a in args]
            value = _checked_form(name, args)
        if value is None:  # np.maximum(x, x) is x: of names, SymPy's value is numpy's
            value = ew.sympy_form(name, *args)
        if not_real(value, args):  # np.log(-0.3) is nan to numpy, log(0.3) + I*pi to SymPy
            return st.NpConstant(static(name), static(()), *args)
        if python and isinstance(value, sp.Basic) and value.is_number:
            value = sp.Float(float(value))  # math.sqrt(2 / math.pi) is a Python float
        return value

    def norm_call(self, node: ast.Call) -> Any:
        """np.linalg.norm for the 2-norm of vectors and the Frobenius norm of matrices."""
        def fro(a: ast.expr) -> bool:
            return isinstance(a, ast.Constant) and a.value == "fro"

        if any(fro(a) for a in node.args) or any(fro(k.value) for k in node.keywords):
            # ord="fro": the square root of the sum of squares, as for ord=None
            node = copy.copy(node)
            node.args = [ast.Constant(None) if fro(a) else a for a in node.args]
            node.keywords = [k for k in node.keywords if not fro(k.value)]
        bound = self.call_args(node, ["x", "ord", "axis", "keepdims"])
        order = bound.get("ord")
        if not (order is None or isinstance(order, sp.Basic) and order == 2):
            raise self.p.error(node, "np.linalg.norm: only the 2-norm (ord=None) is supported",
                               "write the norm out, e.g. np.sum(np.abs(x)) for ord=1")
        axis = self.static_value(bound.get("axis"), node, "axis")
        if order is not None and not isinstance(axis, int):
            raise self.p.error(node, "np.linalg.norm: ord=2 of a matrix is its largest "
                               "singular value, which is not supported",
                               "leave ord out for the Frobenius norm")
        keepdims = self.static_value(bound.get("keepdims", False), node, "keepdims")
        x = bound["x"]
        return sp.sqrt(st.NpSum(x**2, static(axis), static(bool(keepdims))))

    def linspace_call(self, node: ast.Call) -> Any:
        """np.linspace: differentiable in start and stop (numpy's signature)."""
        bound = self.call_args(node, ["start", "stop", "num", "endpoint", "retstep", "dtype",
                                      "axis"])
        if self.static_value(bound.get("retstep", False), node, "retstep"):
            raise self.p.error(node, "np.linspace(..., retstep=True) is not supported",
                               "compute the step yourself: (stop - start) / (num - 1)")
        if "start" not in bound or "stop" not in bound:
            raise self.p.error(node, "np.linspace needs start and stop")
        endpoint = self.static_value(bound.get("endpoint", True), node, "endpoint")
        axis = self.static_value(bound.get("axis", 0), node, "axis")
        if not isinstance(axis, int):
            raise self.p.error(node, "np.linspace: axis must be an integer")
        num = bound.get("num", sp.Integer(50))
        if not isinstance(num, sp.Basic) or num.is_Number and not num.is_Integer:
            raise self.p.error(node, "np.linspace: num must be an integer")
        return st.Linspace(bound["start"], bound["stop"], num, static(bool(endpoint)),
                           static(axis))

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
            bound = self.call_args(node, ["a"] + _REDUCTION_PARAMS[name], first)
            x = bound.get("a")  # np.sum([a, b]) sums the stacked array
            axis = self.static_value(bound.get("axis"), node, "axis")
            keepdims = self.static_value(bound.get("keepdims", False), node, "keepdims")
            extra = [static(self.static_value(bound.get("ddof", 0), node, "ddof"))] \
                if name in ("var", "std") else []
            return st.REDUCTIONS[name](x, static(axis), static(bool(keepdims)), *extra)
        if name in ("dot", "matmul", "inner", "outer"):
            bound = self.call_args(node, ["a", "b"] + ([] if name == "inner" else ["out"]),
                                   first)
            cls = {"dot": st.Dot, "matmul": st.MatMul, "inner": st.Inner, "outer": st.Outer}
            return cls[name](bound["a"], bound["b"])
        if name == "transpose":
            bound = self.call_args(node, ["a", "axes"], first)
            axes = self.static_value(bound.get("axes"), node, "axes")
            return st.Transpose(bound["a"], static(axes))
        if name == "reshape":
            bound = self.call_args(node, ["a", "shape", "order"], first)
            return st.Reshape(bound["a"], self.shape_arg(bound["shape"], node),
                              *self.order_arg(bound, node))
        if name == "ravel":
            bound = self.call_args(node, ["a", "order"], first)
            return st.Ravel(bound["a"], *self.order_arg(bound, node))
        if name == "cumsum":
            bound = self.call_args(node, ["a", "axis", "dtype", "out"], first)
            return st.CumSum(bound["a"], static(self.static_value(bound.get("axis"), node,
                                                                  "axis")))
        if name in ("expand_dims", "squeeze"):
            bound = self.call_args(node, ["a", "axis"], first)
            axis = self.static_value(bound.get("axis"), node, "axis")
            return (st.ExpandDims if name == "expand_dims" else st.Squeeze)(bound["a"],
                                                                             static(axis))
        if name in ("concatenate", "stack"):
            bound = self.call_args(node, ["arrays", "axis", "out"], first)
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
        if name in ("array", "asarray", "copy"):
            return self.array_literal(node)
        if name in ("shape", "size", "ndim", "len"):
            bound = self.call_args(node, ["a"], first)
            cls = {"shape": st.Shape, "size": st.Size, "ndim": st.Ndim, "len": st.Len}
            return cls[name](bound["a"])
        raise self.p.error(node, f"np.{name} is not supported")  # pragma: no cover

    def order_arg(self, bound: dict[str, Any], node: ast.AST) -> list[Any]:
        """The memory order of a reshape or ravel: [] for 'C', [Static('F')] for 'F'."""
        order = bound.get("order")
        if order not in (None, "C", "F"):
            raise self.p.error(node, f"order={order!r} is not supported", "order='C' or "
                               "order='F' (order='A' and 'K' depend on the memory layout of "
                               "the argument at run time)")
        return [static("F")] if order == "F" else []

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
        if not isinstance(node.args[0], (ast.List, ast.Tuple)):
            value = self.expr(node.args[0])  # np.array(x): a copy, and values are never written
            if isinstance(value, (list, tuple)) and \
                    any(isinstance(v, (list, tuple)) for v in value):
                def walk_values(v: Any, prefix: tuple[int, ...]) -> None:  # a comprehension
                    if isinstance(v, (list, tuple)):
                        for i, e in enumerate(v):
                            walk_values(e, prefix + (i,))
                        return
                    if v is None:
                        raise self.p.error(node, "np.array elements must be numbers")
                    layout.append(prefix)
                    elements.append(v)

                walk_values(value, ())
                return st.ArrayOf(static(tuple(layout)), *_as_float(elements, False))
            if isinstance(value, (list, tuple)):
                return st.Stack(*value, static(0))
            return value

        def walk(n: ast.expr, prefix: tuple[int, ...]) -> None:
            if isinstance(n, (ast.List, ast.Tuple)):
                for i, e in enumerate(n.elts):
                    walk(e, prefix + (i,))
                return
            value = self.expr(n)
            if isinstance(value, (tuple, list)) or value is None:
                raise self.p.error(n, "np.array elements must be scalars")
            layout.append(prefix)
            elements.append(value)

        walk(node.args[0], ())
        if not layout or any(len(p) == 0 for p in layout):
            raise self.p.error(node, "np.array needs a list literal of scalars")
        ints = all(_int_literal(n) for n in ast.walk(node.args[0])
                   if not isinstance(n, (ast.List, ast.Tuple, ast.Load, ast.USub, ast.UnaryOp)))
        return st.ArrayOf(static(tuple(layout)), *_as_float(elements, ints))

    def method_call(self, node: ast.Call, base: Any, method: str) -> Any:
        if method in _REDUCTION_METHODS or method in ("cumsum", "squeeze", "dot"):
            return self.structural_call(node, method, base)
        if method in ("reshape", "transpose"):
            # x.reshape(3, 4) or x.reshape((3, 4)), x.transpose(1, 0) or x.transpose((1, 0))
            items = [self.arg(a) for a in node.args]
            packed = items[0] if len(items) == 1 else tuple(items)
            if method == "reshape":
                if not items:
                    raise self.p.error(node, ".reshape() needs a shape")
                bound = self.call_args(_keywords_only(node), ["order"])
                return st.Reshape(base, self.shape_arg(packed, node),
                                  *self.order_arg(bound, node))
            if node.keywords:
                raise self.p.error(node, ".transpose() takes no keyword arguments",
                                   "write x.transpose(2, 0, 1) or np.transpose(x, axes=...)")
            axes = packed if items else None
            return st.Transpose(base, static(self.static_value(axes, node, "axes")))
        if method in ("ravel", "flatten"):
            return st.Ravel(base, *self.order_arg(self.call_args(node, ["order"]), node))
        if method == "detach" and not node.args and not node.keywords:
            return st.StopGradient(base)
        if method == "copy":
            self.call_args(node, ["order"])  # the values are the same in any memory order
            return base
        if method == "clip":
            return self.elementwise_call(node, "clip", base)
        if method in _CONSTANT_METHODS:
            kwargs = tuple((k.arg, self.static_value(self.expr(k.value), node, k.arg))
                           for k in node.keywords)
            return st.NpConstant(static(method), static(kwargs), base,
                                 *[self.arg(a) for a in node.args])
        raise self.p.error(node, f"method .{method}() is not supported",
                           "supported: .sum .mean .max .min .prod .var .std .reshape .ravel "
                           ".transpose .squeeze .dot .clip .copy .detach")


_UFUNC_OPERATORS = {"add": ast.Add, "subtract": ast.Sub, "multiply": ast.Mult,
                    "divide": ast.Div, "power": ast.Pow}


def _checked_form(name: str, args: list[Any]) -> Any:
    """``ew.sympy_form(name, *args)``, or None where SymPy's evaluation is not numpy's."""
    with sp.evaluate(False):
        raw = ew.sympy_form(name, *args)
    return exact.rebuild(raw)


def _keywords_only(node: ast.Call) -> ast.Call:
    """The call with its positional arguments left out (bound separately)."""
    out = copy.copy(node)
    out.args = []
    return out


def _as_float(elements: list[Any], ints: bool) -> list[Any]:
    """np.array([0, 2, 2]) written with integer literals stays an integer array (an index,
    as in numpy); otherwise integers become floats (np.array([1.0, 2.0]) is float)."""
    if ints and all(isinstance(e, sp.Integer) for e in elements):
        return elements
    return [sp.Float(int(e)) if isinstance(e, sp.Integer) else e for e in elements]


def _int_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int
