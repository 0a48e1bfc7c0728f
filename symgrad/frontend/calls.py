"""Binding calls to numpy, math and builtins through the primitive registry.

The called object (``np.sum``, ``math.exp``, ``abs``) or the ndarray method name (``x.sum``)
finds its registry entry; the call's arguments bind to the entry's numpy parameter names, and
the entry builds the IR node. An entry whose call binds in its own way names one of the
``*_call`` methods here as its ``lower`` (np.linalg.norm's ``ord``, np.array's nested lists).
Nothing in this module lists primitives.
"""

from __future__ import annotations

import ast
import copy
import difflib
import dis
import os
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import DefinedFunction

from symgrad.frontend import exact
from symgrad.frontend.common import describe, loc, not_real, typed_numbers
from symgrad.frontend.inlining import LocalFunction, is_user_function
from symgrad.frontend.parse import MISSING
from symgrad.rules import elementwise as ew
from symgrad.rules import masks, registry
from symgrad.rules.base import static, sval
from symgrad.rules.creation import ArrayOf, AsArray, NpConstant
from symgrad.rules.grads import FullLike
from symgrad.rules.indexing import Stack
from symgrad.rules.operators import AsType, IntOf
from symgrad.rules.padding import GradientAlong
from symgrad.rules.reductions import NpSum
from symgrad.rules.registry import REQUIRED, Primitive
from symgrad.rules.shape import Broadcast, Len, Shape, ShapeAt

# parameters numpy has throughout that symgrad accepts only as None: it would drop them
_DEFAULT_ONLY = {"dtype", "out"}
# the entries whose dtype= keyword is a cast of their input (numpy computes in that dtype) or
# of their result (the same values in another dtype)
_CAST_INPUT = frozenset({"sum", "mean"})
_FLOAT_STATICS = frozenset({"rcond", "rtol", "atol"})  # static parameters that are floats
_CAST_RESULT = frozenset({"zeros", "ones", "full", "array", "asarray", "arange", "zeros_like",
                          "ones_like"})  # (not full_like: its value is cast to the dtype)

# the Python operators a numpy function may be (Primitive.operator)
_OPERATORS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow,
              "//": ast.FloorDiv, "%": ast.Mod}


class CallLowering:
    """Calls to numpy, math and builtins, mixed into ``Lowerer``."""

    def expr_Call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name) and isinstance(self.env.get(func.id), LocalFunction):
            return self.inline(node, self.env[func.id])
        obj = self.static_object(func)
        if obj is None and isinstance(func, ast.Attribute):
            return self.method_call(node, self.expr(func.value), func.attr)
        if obj is None:
            raise self.p.error(func, f"cannot call {ast.unparse(func)!r}")
        obj = getattr(obj, "__symgrad_wrapped__", obj)  # a @symgrad.grad function: its source
        listed = self.list_call(node, obj)  # np.stack(outs) of a list built in a loop
        if listed is not MISSING:
            return listed
        builtin = self.builtin_call(node, obj)
        if builtin is not MISSING:
            return builtin
        if isinstance(obj, type) and issubclass(obj, np.number) and len(node.args) == 1 and \
                not node.keywords:  # np.float32(x): a cast
            return self.cast(node, self.expr(node.args[0]), obj, "call")
        entry = registry.by_object(obj)
        if entry is not None:
            return self.entry_call(node, entry, MISSING,
                                   python=getattr(obj, "__module__", None) == "math",
                                   builtin=getattr(obj, "__module__", None) == "builtins")
        if is_user_function(obj):
            return self.inline(node, obj)
        if obj is np.ix_:  # an open mesh of index lists: numpy's nested lists say the same
            raise self.p.error(func, f"{ast.unparse(func)}(...) is not supported",
                               "x[np.ix_([0, 1], [1, 2])] is x[[[0], [1]], [1, 2]]: write the "
                               "rows as a column of lists")
        if getattr(obj, "__module__", None) == "symgrad.helpers":  # (regrad.py)
            raise self.p.error(func, f"the generated helper {getattr(obj, '__name__', obj)} "
                               "has no rule to differentiate it again yet",
                               "differentiate the original function: G.hessian(...), "
                               "G.hvp(..., v=...) and G.jacobian(...) give its second "
                               "derivatives")
        raise self.p.error(func, f"call to {_spelling(obj) if _unnamed(obj) else describe(obj)}"
                           " is not supported", _supported_functions(obj))

    def method_call(self, node: ast.Call, base: Any, method: str) -> Any:
        entry = registry.by_method(method)
        if entry is None:
            raise self.p.error(node, f"method .{method}() is not supported",
                               "supported: " + " ".join(f".{m}" for m in
                                                        sorted(registry.methods())))
        return self.entry_call(node, entry, base)

    def entry_call(self, node: ast.Call, entry: Primitive, first: Any,
                   python: bool = False, builtin: bool = False) -> Any:
        """The call of a registry entry; ``first`` is a method's array (MISSING for a
        function), ``python`` a math module function (its value a Python float),
        ``builtin`` Python's own (abs(-2.0) is a Python float, not numpy's float64)."""
        if entry.name in _CAST_INPUT | _CAST_RESULT and \
                any(k.arg == "dtype" for k in node.keywords):
            return self.with_dtype(node, entry, first)
        if entry.lower is not None:
            return getattr(self, entry.lower)(node, entry, first)
        nodes: dict[str, ast.AST] = {}
        bound = self.bind(node, entry, first, nodes=nodes)
        if entry.operator is not None and len(bound) == entry.arity and \
                all(isinstance(bound[a], sp.Basic) for a in entry.arrays):
            # np.subtract(x, x) is x - x as written
            return self.binop(_OPERATORS[entry.operator](), *[bound[a] for a in entry.arrays],
                              node)
        if entry.form is not None:
            return self.elementwise_call(node, entry, bound, first, python,
                                         None if builtin else nodes)
        return self.build(node, entry, bound, first)

    # -------------------------------------------------------------- binding

    def bind(self, node: ast.Call, entry: Primitive, first: Any = MISSING,
             literal: bool = False, nodes: dict[str, ast.AST] | None = None) -> dict[str, Any]:
        """The call's arguments by ``entry``'s numpy parameter names (a method's array is the
        first; ``method_params`` where the method has parameters of its own). Arrays are
        values, a list or tuple passed for one the array numpy makes of it (a variadic
        entry's, np.concatenate's, a literal list of arrays). ``dtype`` and ``out`` are
        accepted only as None: symgrad would otherwise drop them. A parameter with a string
        default (``order='C'``) is read from the source as a literal. Every other parameter
        must be a constant known now (axis, keepdims), except ``entry.values`` (a computed
        shape). ``literal`` keeps a float literal a float (np.full(3, 2.0)). Returns the
        parameters given: ``entry.build`` fills in numpy's defaults; ``nodes`` (if given)
        gets each one's source node."""
        what = _Spelled(node, entry, first is not MISSING)  # (spelled only in an error)
        method = first is not MISSING and entry.method_params is not None
        params = registry.parameters(entry.method_params if method else entry.params)
        names = list(params.positional)
        # a method's array binds the entry's first parameter (a value, never stacked)
        bound: dict[str, Any] = {} if first is MISSING else {entry.param_names[0]: first}
        if first is not MISSING and not method:
            names = names[1:]
        given: dict[str, Any] = {}
        if params.vararg is not None:  # x.reshape(3, 4) or x.reshape((3, 4))
            items = [self.arg(a) for a in node.args]
            if items:
                given[params.vararg] = items[0] if len(items) == 1 else tuple(items)
        elif len(node.args) > len(names):
            raise self.p.error(node, f"too many arguments (expected at most {len(names)})",
                               f"numpy's parameters: {what}({what.signature()})")
        else:
            given.update(zip(names, node.args, strict=False))
        for kw in node.keywords:
            if kw.arg in entry.synonyms:  # np.clip(x, min=0): numpy's other name for a_min
                kw = ast.keyword(entry.synonyms[kw.arg], kw.value)
            if kw.arg is None or kw.arg not in params.defaults or kw.arg in given or \
                    kw.arg in bound:
                supported = [n for n in params.defaults if n not in _DEFAULT_ONLY and
                             n not in bound]
                raise self.p.error(
                    node, f"unsupported keyword argument {kw.arg!r}",
                    f"supported: {', '.join(supported)}" if supported else
                    f"{what}() takes its arguments by position: {what}({what.signature()})")
            given[kw.arg] = kw.value
        defaults = {**entry.defaults, **params.defaults}
        for name, value in given.items():
            if name in _DEFAULT_ONLY:
                if not (isinstance(value, ast.Constant) and value.value is None):
                    raise self.p.error(node, f"the {name}= argument is not supported",
                                       f"leave {name} out (compute in the inputs' dtype and "
                                       "use the returned array)")
                continue
            if isinstance(defaults.get(name), str):  # order="F": known at decoration time
                if isinstance(value, ast.Name) and value.id in self.statics and \
                        isinstance(self.env.get(value.id), str):  # a static parameter
                    value = ast.Constant(self.env[value.id])
                if not isinstance(value, ast.Constant):
                    raise self.p.error(node, f"{name} must be a literal",
                                       f"write {name}={defaults[name]!r}, for example")
                bound[name] = value.value
                continue
            if isinstance(value, ast.AST):
                if nodes is not None:
                    nodes[name] = value
                value = self.literal_arg(value) if literal else self.arg(value)
            if name in entry.arrays and entry.variadic:
                if not isinstance(value, (tuple, list)):
                    raise self.p.error(node, f"{what} needs a literal list of arrays",
                                       f"write {what}([a, b], axis=...)")
                value = [self.array_arg(v, node) for v in value]
            elif name in entry.arrays:
                value = self.array_arg(value, node)
            elif name not in entry.values:
                value = self.static_value(value, node, name)
            else:
                value = self.shape_def(value)
            bound[name] = value
        self.typed_arrays(entry, bound, given)
        return bound

    def shape_def(self, value: Any) -> Any:
        """A computed shape given a name (``s = x.shape``, ``t0 = np.shape(x)``; in
        generated code read back, ``np.broadcast(a, b).shape``) as that shape, not a size:
        ``y.reshape(s)`` is ``y.reshape(x.shape)``, never ``y.reshape((s,))``."""
        known = value
        while isinstance(known, sp.Symbol) and known.name in self.ctx.defs:
            known = self.ctx.defs[known.name]  # (shape = t0, t0 = np.shape(...))
        if isinstance(known, Shape) or isinstance(known, ShapeAt) and \
                isinstance(sval(known.args[1]), slice):
            return known
        return value

    def typed_arrays(self, entry: Primitive, bound: dict[str, Any], given: dict) -> None:
        """Array arguments written as float numbers keep their type where numbers alone
        decide the result's dtype (np.sum(1.0), np.stack([0.0, 1.0])), and np.where's
        chosen values always (np.where(c, 0.0, 1.0) is a float array)."""
        if entry.form is not None and entry.name not in _SELECTING:
            return  # (SymPy evaluates it: elementwise_call keeps numpy's float64 scalar)
        data = [a for i, a in enumerate(entry.arrays) if isinstance(given.get(a), ast.AST)
                and a in bound and i not in entry.nondiff_args]
        values, nodes = [], []
        for a in data:
            if isinstance(bound[a], list):  # a variadic entry's arrays: a literal list's
                if not isinstance(given[a], (ast.List, ast.Tuple)) or \
                        len(given[a].elts) != len(bound[a]):
                    return  # (a list built elsewhere: its numbers as they are)
                values += bound[a]
                nodes += given[a].elts
            else:
                values.append(bound[a])
                nodes.append(given[a])
        typed = iter(typed_numbers(values, nodes, selected=entry.name in _SELECTING))
        for a in data:
            bound[a] = [next(typed) for _ in bound[a]] if isinstance(bound[a], list) \
                else next(typed)

    def build(self, node: ast.Call, entry: Primitive, bound: dict[str, Any],
              first: Any = MISSING) -> Any:
        """``entry``'s node of the bound arguments; what numpy would refuse, or symgrad cannot
        model (np.zeros(3, order="F")), fails at the user's line."""
        try:
            return entry.build(**bound)
        except (TypeError, ValueError) as e:
            what = ast.unparse(node.func)
            raise self.p.error(node, f"{what}: {e}", f"numpy's parameters: "
                               f"{what}({_signature(entry, first is not MISSING)})") from None

    def array_arg(self, value: Any, node: ast.AST) -> Any:
        """What numpy makes of an array argument: a list or tuple of values is stacked."""
        if not isinstance(value, (tuple, list)):
            return value
        if not value or any(v is None or isinstance(v, (dict, LocalFunction)) for v in value):
            raise self.p.error(node, "an array argument must be a list of numbers or arrays",
                               "build the array with np.stack([...]) first")
        return Stack(*[self.array_arg(v, node) for v in value], static(0))

    def literal_arg(self, node: ast.expr) -> Any:
        """An argument that keeps a float literal a float: np.arange(3.0) is a float array."""
        if isinstance(node, ast.Constant) and type(node.value) is float:
            return sp.Float(node.value)
        return self.arg(node)

    def arg(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Starred):
            raise self.p.error(node, "starred arguments are not supported")
        return self.expr(node)

    def static_value(self, value: Any, node: ast.AST, what: str) -> Any:
        """A value that must be known at decoration time (axis, keepdims, ddof)."""
        if value is None or isinstance(value, (bool, int)):
            return value
        if value in (sp.true, sp.false):
            return bool(value)
        if isinstance(value, sp.Integer):
            return int(value)
        if isinstance(value, sp.Float) and what in _FLOAT_STATICS:  # lstsq(a, b, rcond=1e-6)
            return float(value)
        if isinstance(value, tuple):
            return tuple(self.static_value(v, node, what) for v in value)
        raise self.p.error(node, f"{what} must be a constant", f"write {what} as a literal")

    # -------------------------------------------------------------- builtins and elementwise

    def builtin_call(self, node: ast.Call, obj: Any) -> Any:
        """sum/len/float/int/range of decoration-time values; MISSING for anything else."""
        if obj is sum and len(node.args) == 1 and not node.keywords:
            items = self.expr(node.args[0])
            if isinstance(items, (tuple, list)):
                total = sp.Integer(0)
                for item in items:  # Python adds left to right
                    total = self.binop(ast.Add(), total, item, node)
                return total
            return NpSum(items, static(0), static(False))  # Python sums over the first axis
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
        if obj is float and len(node.args) == 1 and not node.keywords and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            text = node.args[0].value  # float("inf"), float("-inf"), float("nan")
            try:
                number = float(text)
            except ValueError:
                raise self.p.error(node, f"float({text!r}) is not a number") from None
            return self.constant(number, "nan" if number != number else
                                 "inf" if number > 0 else "neg_inf", node)
        if obj in (float, int) and len(node.args) == 1 and not node.keywords:
            value = self.expr(node.args[0])
            if isinstance(value, sp.Basic) and value.is_Number:
                return sp.Float(float(value)) if obj is float else sp.Integer(int(value))
            if obj is float:
                return self.cast(node, value, np.float64, "float")
            if not isinstance(value, sp.Basic):
                raise self.p.error(node, "int() of a container is not supported")
            return IntOf(value)  # int(np.argmax(p)), int(len(x) / 2): a step, slope 0
        if obj is len and len(node.args) == 1:
            value = self.expr(node.args[0])
            if isinstance(value, (tuple, list, dict)):
                return sp.Integer(len(value))
            return Len.make(value)
        if obj is range:
            raise self.p.error(node, "range() is supported only as the iterable of a for loop")
        return MISSING

    def elementwise_call(self, node: ast.Call, entry: Primitive, bound: dict[str, Any],
                         first: Any = MISSING, python: bool = False,
                         nodes: dict[str, ast.AST] | None = None) -> Any:
        """A numpy (or, ``python``, a math module) function applied elementwise: its SymPy
        form, where SymPy's evaluation is numpy's (``nodes``: the arguments' source)."""
        name, n = entry.name, entry.arity
        defaults = entry.defaults
        if any(a not in bound and a not in defaults for a in entry.arrays):
            raise self.p.error(node, f"{name} takes {n} argument(s)",
                               f"numpy's parameters: {ast.unparse(node.func)}"
                               f"({_signature(entry, first is not MISSING)})")
        args = [bound[a] if a in bound else defaults[a] for a in entry.arrays]
        value = _checked_form(name, args)
        if value is None:  # np.exp(np.log(x)): the inner call as a value of its own
            args = [self.named(a, node) for a in args]
            value = _checked_form(name, args)
        if value is None:  # np.maximum(x, x) is x: of names, SymPy's value is numpy's
            value = ew.sympy_form(name, *args)
        if not_real(value, args):  # np.log(-0.3) is nan to numpy, log(0.3) + I*pi to SymPy
            return NpConstant(static(name), static(()), *args)
        if python and isinstance(value, sp.Basic) and value.is_number:
            value = sp.Float(float(value))  # math.sqrt(2 / math.pi) is a Python float
        elif isinstance(value, sp.Basic) and value.is_number and nodes is not None and \
                all(isinstance(bound.get(a), sp.Basic) and bound[a].is_number and a in nodes
                    for a in entry.arrays):
            # np.maximum(0.0, 1.0), np.exp(1), np.sin(np.pi), np.sqrt(4): numpy's scalar
            # (float64, int64), which a float32 array upcasts to; SymPy's exact 1 would
            # print as a Python int, its E as the Python float np.e, its sin(pi) as 0
            typed = typed_numbers([bound[a] for a in entry.arrays],
                                  [nodes[a] for a in entry.arrays])
            return NpConstant(static(name), static(()), *typed)  # (np.maximum(0, 1) too)
        return value

    # -------------------------------------------------------------- entries' own binding

    def constant_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """A numpy call whose result has no gradient (np.eye(n), np.arange(n), x.argmax()):
        called as written."""
        kwargs = tuple((k.arg, self.keyword_string(k.value) or
                        self.static_value(self.expr(k.value), node, k.arg))
                       for k in node.keywords)
        if first is not MISSING:
            return NpConstant(static(entry.name), static(kwargs), first,
                              *[self.arg(a) for a in node.args])
        return NpConstant(static(entry.name), static(kwargs),
                          *[self.literal_arg(a) for a in node.args])

    def broadcast_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """``np.broadcast(a, b, ...)``: the operands' broadcast, for its ``.shape`` and
        ``.size`` (a shape, no gradient)."""
        if first is not MISSING or node.keywords or not node.args or \
                any(isinstance(a, ast.Starred) for a in node.args):
            raise self.p.error(node, "np.broadcast takes its arrays by position",
                               "write np.broadcast(a, b).shape")
        return Broadcast(*[self.array_arg(self.arg(a), node) for a in node.args])

    def full_like_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """``np.full_like(a, value, dtype=float)``: value broadcast to a's shape, float64."""
        given = [k for k in node.keywords if k.arg == "dtype"]
        dtype = self.dtype_of(given[0].value) if given else None
        if dtype != np.float64 or first is not MISSING:
            raise self.p.error(node, "np.full_like(a, value) is supported with dtype=float",
                               "np.full_like takes a's dtype (an integer a truncates the "
                               "value): write np.full_like(a, value, dtype=float), or "
                               "np.broadcast_to(value, a.shape)")
        rest = ast.Call(node.func, node.args, [k for k in node.keywords if k.arg != "dtype"],
                        **loc(node))
        bound = self.bind(rest, entry, first, literal=True)
        return FullLike(bound["fill_value"], bound["a"])

    def broadcast_shapes_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """``np.broadcast_shapes(a.shape, b.shape)``: ``np.broadcast(a, b).shape``."""
        shapes = [self.shape_def(self.arg(a)) for a in node.args]
        if node.keywords or not shapes or not all(isinstance(s, Shape) for s in shapes):
            raise self.p.error(node, "np.broadcast_shapes takes the shapes of arrays here",
                               "write np.broadcast_shapes(a.shape, b.shape), or "
                               "np.broadcast(a, b).shape")
        return Shape(Broadcast(*[s.args[0] for s in shapes]))

    def keyword_string(self, node: ast.expr) -> str | None:
        """A string keyword of a call with no gradient (np.argsort(x, kind='stable')): a
        literal, or a static parameter's value; None for anything else."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.statics and \
                isinstance(self.env.get(node.id), str):
            return self.env[node.id]
        return None

    def dtype_of(self, node: ast.expr) -> Any:
        """A dtype argument as written (float, np.float32, "float32"), as numpy's dtype."""
        obj = node.value if isinstance(node, ast.Constant) else self.static_object(node)
        try:
            return None if obj is None and isinstance(node, ast.Constant) else np.dtype(obj)
        except TypeError:
            raise self.p.error(node, f"{ast.unparse(node)} is not a dtype symgrad knows now",
                               "write float, int, np.float32 or np.float64") from None

    def cast(self, node: ast.AST, value: Any, dtype: Any, spelling: str) -> Any:
        """``x.astype(dtype)``, ``np.float32(x)``, ``float(x)``: a number is cast now."""
        dtype = np.dtype(dtype)
        if not isinstance(value, sp.Basic):
            raise self.p.error(node, f"{ast.unparse(node)}: only numbers and arrays can be cast")
        if dtype.kind not in "fbiu":  # (complex values: symgrad differentiates real code)
            raise self.p.error(node, f"a cast to {dtype} is not supported",
                               "cast to a float, int or bool dtype")
        return AsType(value, static(dtype.name), static(spelling))

    def astype_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """x.astype(dtype[, copy=False]): copy= changes no value; order= and casting= must be
        numpy's defaults."""
        if len(node.args) != 1 or any(k.arg not in ("copy",) for k in node.keywords):
            raise self.p.error(node, "x.astype() takes one dtype here",
                               "write x.astype(np.float32) or x.astype(float)")
        return self.cast(node, first, self.dtype_of(node.args[0]), "astype")

    def with_dtype(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """A call with ``dtype=``: np.zeros/ones/full/array/asarray/arange compute in the dtype
        numpy gives them and are cast after (the same values); np.sum/np.mean cast their
        input first, as numpy computes in the dtype given."""
        keyword = next(k for k in node.keywords if k.arg == "dtype")
        dtype = self.dtype_of(keyword.value)
        rest = ast.Call(node.func, node.args, [k for k in node.keywords if k is not keyword],
                        **loc(node))
        if dtype is None:
            return self.entry_call(rest, entry, first)
        if entry.name == "arange" and not all(
                isinstance(a, ast.Constant) and type(a.value) is int for a in node.args):
            # numpy steps in the dtype given: only integer bounds are the same values cast
            raise self.p.error(node, "np.arange(..., dtype=) is supported with constant "
                               "integer bounds", "write np.arange(start, stop).astype(dtype) "
                               "if that is what you mean")
        if entry.name in _CAST_INPUT:
            if first is not MISSING:
                return self.entry_call(rest, entry, self.cast(node, first, dtype, "astype"))
            array = self.cast(node, self.expr(node.args[0]), dtype, "astype")
            name = self.user_fresh("cast")
            self.env[name] = array
            rest.args = [ast.Name(name, ast.Load(), **loc(node.args[0])), *node.args[1:]]
            return self.entry_call(rest, entry, first)
        return self.cast(node, self.entry_call(rest, entry, first), dtype, "astype")

    def full_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.full(shape, value): value broadcast to shape, so value gets the summed gradient."""
        bound = self.bind(node, entry, first, literal=True)
        value = bound.get("fill_value")
        if not (isinstance(value, sp.Basic) and value.free_symbols):
            return self.constant_call(node, entry, first)
        if "shape" not in bound:
            raise self.p.error(node, "np.full needs a shape and a value",
                               "write np.full(shape, value)")
        return self.build(node, entry, bound, first)

    def arange_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.arange(start, stop, step): start + i * step, so start and step get gradients
        (the count is a step function of them, with no gradient)."""
        bound = self.bind(node, entry, first, literal=True)
        start, step = bound.get("start"), bound.get("step")
        if "stop" not in bound or not any(isinstance(v, sp.Basic) and v.free_symbols
                                          for v in (start, step)):
            return self.constant_call(node, entry, first)  # np.arange(n): no gradient
        return self.build(node, entry, bound, first)

    def linspace_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.linspace: differentiable in start and stop (numpy's signature)."""
        bound = self.bind(node, entry, first)
        if bound.get("retstep", False):
            raise self.p.error(node, "np.linspace(..., retstep=True) is not supported",
                               "compute the step yourself: (stop - start) / (num - 1)")
        if "start" not in bound or "stop" not in bound:
            raise self.p.error(node, "np.linspace needs start and stop",
                               "write np.linspace(start, stop, num)")
        if not isinstance(bound.get("axis", 0), int):
            raise self.p.error(node, "np.linspace: axis must be an integer")
        num = bound.get("num", sp.Integer(50))
        if not isinstance(num, sp.Basic) or num.is_Number and not num.is_Integer:
            raise self.p.error(node, "np.linspace: num must be an integer")
        return self.build(node, entry, bound, first)

    def norm_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.linalg.norm(x, ord, axis, keepdims): ord read from the source (a number,
        np.inf, 'fro', 'nuc'), the rest bound as numpy's parameters."""
        node = copy.copy(node)
        order_node = None
        if len(node.args) > 1:
            order_node, node.args = node.args[1], [node.args[0], ast.Constant(None),
                                                   *node.args[2:]]
        for k in node.keywords:
            if k.arg == "ord":
                order_node = k.value
        node.keywords = [k for k in node.keywords if k.arg != "ord"]
        order = None if order_node is None else self.norm_order(order_node)
        bound = self.bind(node, entry, first)
        if "x" not in bound:
            raise self.p.error(node, "np.linalg.norm needs an array", "write np.linalg.norm(x)")
        bound["ord"] = order
        return self.build(node, entry, bound, first)

    def norm_order(self, node: ast.expr) -> Any:
        """A norm's ord, known at decoration time: a number, +-np.inf, 'fro' or 'nuc'."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) and \
                not isinstance(node.value, bool) or isinstance(node, ast.Constant) and \
                node.value is None:
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.norm_order(node.operand)
            if isinstance(value, (int, float)):
                return -value if isinstance(node.op, ast.USub) else value
        obj = self.static_object(node)
        if isinstance(obj, (int, float)) and not isinstance(obj, bool):
            return obj
        if isinstance(node, ast.Call) and self.static_object(node.func) is float and \
                len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return float(node.args[0].value)
        if isinstance(node, ast.Name) and node.id in self.statics:  # a static parameter
            value = self.env.get(node.id)  # (ord='fro', ord=None: the value specialised for)
            if value is None or isinstance(value, str):
                return value
        value = self.expr(node)
        if isinstance(value, sp.Basic) and value.is_Number and value.is_finite:
            return int(value) if value.is_Integer else float(value)
        raise self.p.error(node, "np.linalg.norm: ord must be a constant",
                           "write ord as a literal: 2, 1, np.inf, -np.inf, 0, 'fro', 'nuc'")

    def decomposition_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.linalg.eigh, svd, qr, slogdet, lstsq, eigvalsh: the decomposition computed once
        (a named value of its own) and numpy's result as a named tuple of its outputs, one
        node each (rules/decompositions.py)."""
        from symgrad.rules.decompositions import OUTPUTS

        bound = self.bind(node, entry, first)
        what = ast.unparse(node.func)
        for name in entry.arrays:
            if name not in bound:
                raise self.p.error(node, f"{what} needs the array {name!r}",
                                   f"numpy's parameters: {what}({_signature(entry, False)})")
        try:
            out = OUTPUTS[entry.name](**bound)
        except (TypeError, ValueError) as e:
            raise self.p.error(node, f"{what}: {e}", f"numpy's parameters: "
                               f"{what}({_signature(entry, False)})") from None
        if not isinstance(out, tuple):  # eigvalsh, svd(compute_uv=False): one array
            return out
        decomposition = out[0].args[0]
        symbol = sp.Symbol(self.emit(entry.name, decomposition, node), real=True)
        items = [item.xreplace({decomposition: symbol}) for item in out]
        return type(out)(*items) if hasattr(out, "_fields") else tuple(items)

    def einsum_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.einsum(subscripts, *operands), or its sublist form (a, [0, 1], b, [1, 2]):
        numpy's variadic signature, the subscripts a string literal (contractions.py reads
        them)."""
        from symgrad.rules.contractions import einsum_spec, sublist_spec

        hint = "write np.einsum('ij,jk->ik', a, b) with the subscripts as a string literal"
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.p.error(node, "np.einsum takes its subscripts and operands by "
                               "position here", hint)
        if not node.args:
            raise self.p.error(node, "np.einsum needs subscripts and operands", hint)
        head = node.args[0]
        try:
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                arrays = node.args[1:]
                spec = einsum_spec(head.value, len(arrays))
            else:  # the sublist form: operand, sublist, operand, sublist, ..., [output]
                arrays = node.args[0::2][:len(node.args) // 2]
                subs = [_sublist(a) for a in node.args[1::2]]
                subs += [_sublist(node.args[-1])] if len(node.args) % 2 else []
                spec, _ = sublist_spec([v for s in subs[:len(arrays)] for v in (None, s)]
                                       + subs[len(arrays):])
        except ValueError as e:
            raise self.p.error(node, f"np.einsum: {e}", hint) from None
        operands = [self.array_arg(self.arg(a), node) for a in arrays]
        return self.build(node, entry, {"subscripts": spec, "operands": operands})

    def array_call(self, node: ast.Call, entry: Primitive, first: Any) -> Any:
        """np.array, np.asarray, np.copy of an array (its values: they are never written
        in place) or of a nested list of scalars; x.copy() in any memory order."""
        if first is not MISSING:
            self.bind(node, entry, first)  # x.copy(order="F"): the same values
            return first
        if len(node.args) != 1 or node.keywords:
            raise self.p.error(node, "np.array takes one list literal here",
                               "write np.array([...]) of numbers or arrays, with no keywords")
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
                return ArrayOf(static(tuple(layout)), *_as_float(elements, False))
            if isinstance(value, (list, tuple)):
                return Stack(*value, static(0))
            if isinstance(value, sp.Symbol) and entry.name in ("array", "asarray") and \
                    value.name in {a.arg for a in self.p.tree.args.args}:
                return AsArray(value, static(entry.name))  # the caller may pass a list
            made = self.ctx.defs.get(value.name) if isinstance(value, sp.Symbol) else value
            if isinstance(made, GradientAlong) and sval(made.args[2]) is None and \
                    entry.name in ("array", "asarray"):  # np.gradient(f): a tuple for 2-d f
                return AsArray(value, static(entry.name))
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
        # np.array([x.shape[0] - 1, 0]), np.array([i, i + 1]): integers for sure, an index
        ints = ints or all(self.surely_int(e) for e in elements) and not any(
            isinstance(n, ast.Constant) and type(n.value) is float or
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in ast.walk(node.args[0]))
        return ArrayOf(static(tuple(layout)), *_as_float(elements, ints))


def _sublist(node: ast.expr) -> list[Any]:
    """An einsum sublist literal: integers and ``...`` (or ``Ellipsis``)."""
    items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else None
    out = []
    for item in items or [None]:
        if isinstance(item, ast.Name) and item.id == "Ellipsis":
            out.append(Ellipsis)
        elif isinstance(item, ast.Constant) and (item.value is Ellipsis or
                                                 type(item.value) is int):
            out.append(item.value)
        else:
            raise ValueError("a sublist must be a literal list of integers (and ...)")
    return out


def _checked_form(name: str, args: list[Any]) -> Any:
    """``ew.sympy_form(name, *args)``, or None where SymPy's evaluation is not numpy's."""
    function = _applied_function(name, registry.by_name(name).form, len(args))
    if function is not None:  # the same unevaluated node, without sympy.evaluate(False)
        return exact.rebuilt_call(function, args)
    with sp.evaluate(False):
        raw = ew.sympy_form(name, *args)
    return exact.rebuild(raw)


@cache
def _applied_function(name: str, form: Any, arity: int) -> Any:
    """The SymPy function ``name``'s form applies to its arguments as they are (np.tanh's
    ``sp.tanh(a)``), or None. Its unevaluated node is then built with ``evaluate=False``:
    ``sympy.evaluate(False)`` clears SymPy's whole cache on the way in and again on the way
    out, and on a long function that was half the lowering's time. Only a form that does
    not branch on its arguments, read off the node it makes of symbols (keyed by the form
    too: a test may replace one)."""
    if any(i.opname.startswith(("JUMP", "POP_JUMP")) for i in dis.get_instructions(form)):
        return None
    symbols = tuple(sp.Dummy(real=True) for _ in range(arity))
    with sp.evaluate(False):
        node = ew.sympy_form(name, *symbols)
    kind = type(node)
    if isinstance(node, sp.Function) and node.args == symbols and \
            kind.__module__.startswith("sympy.") and \
            kind.__new__ in (sp.Function.__new__, DefinedFunction.__new__):
        return kind
    return None


class _Spelled:
    """A call's function as the source spells it (``np.tanh``), spelled out only when an
    error message needs it: most calls bind without one."""

    __slots__ = ("node", "entry", "method")

    def __init__(self, node: ast.Call, entry: Primitive, method: bool) -> None:
        self.node, self.entry, self.method = node, entry, method

    def __str__(self) -> str:
        return ast.unparse(self.node.func)

    def signature(self) -> str:
        return _signature(self.entry, self.method)


def _signature(entry: Primitive, method: bool) -> str:
    """numpy's parameter list of a call (a method's without its array)."""
    if method and entry.method_params is not None:
        return entry.method_params
    params = list(registry.parameters(entry.params).defaults.items())[1 if method else 0:]
    return ", ".join(n if d is REQUIRED else f"{n}={d!r}" for n, d in params)


def _unnamed(obj: Any) -> bool:
    """An object of an optional dependency that does not say its module (a scipy ufunc)."""
    return not getattr(obj, "__module__", None) and registry.lazy_home(obj) is not None


def _spelling(obj: Any) -> str:
    """How code names a bound object: np.sum, np.linalg.norm, math.exp, abs."""
    module = getattr(obj, "__module__", None) or ""
    home = None if module else registry.lazy_home(obj)  # (a scipy ufunc names no module)
    if home is not None:
        return home
    name = getattr(obj, "__name__", "")
    if module == "numpy" or module.startswith("numpy."):
        return "np" + module[len("numpy"):] + "." + name
    if module.startswith("symgrad."):  # symgrad.stop_gradient
        return f"symgrad.{name}"
    return f"{module}.{name}" if module not in ("", "builtins") else name


def _supported_functions(obj: Any) -> str:
    """The hint of an unsupported call: every function the registry binds, by module, those
    named like the call first."""
    spellings = {_spelling(o) for e in registry.entries() for o in e.binds
                 if not e.name.startswith("generated:")} | \
        {p for e in registry.entries() for p in e.lazy_binds}  # (scipy.special.expit)
    called = _spelling(obj)
    near = difflib.get_close_matches(called, sorted(spellings), n=6, cutoff=0.6)
    # a longer shared start first: np.cumprod is nearer np.cumsum than np.fmod
    near = sorted(near, key=lambda s: -len(os.path.commonprefix([called, s])))[:3]
    modules: dict[str, list[str]] = {}
    for s in sorted(spellings):
        module, _, name = s.rpartition(".")
        modules.setdefault(module, []).append(name)
    listed = "; ".join(f"{m}.{{{', '.join(names)}}}" if m and len(names) > 1 else
                       ", ".join(f"{m}.{n}" if m else n for n in names)
                       for m, names in sorted(modules.items(), key=lambda mn: -len(mn[1])))
    close = f"did you mean {' or '.join(near)}? " if near else ""
    return f"{close}supported: your own Python functions, {listed}"


_SELECTING = frozenset({"where"})  # its data arguments are chosen, never computed with


def _as_float(elements: list[Any], ints: bool) -> list[Any]:
    """np.array([0, 2, 2]) written with integer literals stays an integer array (an index,
    as in numpy); otherwise integers become floats (np.array([1.0, 2.0]) is float)."""
    if ints:  # (every element an integer for sure)
        return elements
    return [sp.Float(int(e)) if isinstance(e, sp.Integer) else e for e in elements]


def _int_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int
