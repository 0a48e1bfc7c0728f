"""Lowering expressions: operators, comparisons, `and`/`or`, containers and indexing."""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np
import sympy as sp

from symgrad.frontend import exact
from symgrad.frontend.common import (
    Opaque,
    as_python_typed,
    describe,
    loc,
    not_real,
)
from symgrad.frontend.inlining import LocalFunction
from symgrad.rules import masks
from symgrad.rules.base import Static, Structural, free_symbols, static
from symgrad.rules.indexing import GetItem, ListOf, SliceOf
from symgrad.rules.joining import CConcat, RConcat
from symgrad.rules.linalg import MatMul
from symgrad.rules.operators import AsWritten, FloorDiv, IsNone, Mod
from symgrad.rules.shape import Shape, ShapeAt


class IndexParts(tuple):
    """``np.s_[i, 1:]`` read as its index parts (node arguments), as a generated gradient
    passes an index to a helper (``_getitem_grad(g, x, np.s_[i])``, ``regrad.py``)."""


class ExpressionLowering:
    """Expressions other than names and calls, mixed into ``Lowerer``."""

    def expr(self, node: ast.expr) -> Any:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.p.error(node, f"unsupported expression: {type(node).__name__}",
                               "use numpy arithmetic, numpy functions and indexing")
        result = method(node)
        if isinstance(result, str):  # only a comparison reads a string (expr_Compare)
            raise self.p.error(node, f"constant {result!r} is not a number",
                               "only numbers can enter differentiable code (a string can be "
                               "compared with == to a parameter with a string default)")
        if isinstance(result, Opaque):
            raise self.p.error(node, f"{ast.unparse(node)} ({describe(result.obj)}) cannot be "
                               "used as a value here",
                               "symgrad differentiates numpy arrays and numbers")
        return result

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
            if operand in (sp.true, sp.false) or isinstance(operand, sp.Number):
                return sp.false if operand else sp.true
            return masks.LogicalNot(operand)
        if isinstance(node.op, ast.Invert):
            if isinstance(operand, sp.Integer) or operand in (sp.true, sp.false):
                return sp.Integer(~int(bool(operand) if operand in (sp.true, sp.false)
                                       else operand))
            if isinstance(operand, sp.Basic) and not operand.is_Number:
                return masks.Invert(operand)  # a mask's elementwise not
        raise self.p.error(node, "unsupported unary operator", "use -, +, not or ~")

    def expr_BinOp(self, node: ast.BinOp) -> Any:
        return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)

    def binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        for v in (a, b):
            if v is None or isinstance(v, (tuple, list, dict, LocalFunction)):
                raise self.p.error(node, "arithmetic on a tuple, list or None is not supported",
                                   "wrap the values in np.stack([...]) to compute with them")
        if isinstance(op, ast.Add) and self.mask_sum(a, b):
            return AsWritten(static("+"), a, b)
        if type(op) not in _BITWISE:  # True/False constants count as 1/0 in arithmetic
            a, b = (sp.Integer(int(bool(v))) if v in (sp.true, sp.false) else v for v in (a, b))
            a, b = self.float_literals(a, b, node)
        if type(op) in _OPERATOR_TEXT and isinstance(a, sp.Basic) and isinstance(b, sp.Basic):
            other = _float_identity(op, a, b, node)
            if other is not None:  # n + 0.0 is 1.0*n: a float, whatever n's dtype
                return self.arithmetic(ast.Mult(), sp.Float(1.0), other, node)
            return self.arithmetic(op, a, b, node)
        return self._binop(op, a, b, node)

    def float_literals(self, a: Any, b: Any, node: ast.AST) -> tuple[Any, Any]:
        """A whole float literal (``1.0``, lowered to SymPy's exact 1) stays a float next to
        a bool array: ``mask * 1.0`` is a float array, ``mask * 1`` an int one, and SymPy's
        ``1 * mask`` is the bool mask itself."""
        operands = (node.left, node.right) if isinstance(node, ast.BinOp) else \
            tuple(getattr(node, "args", ())[:2])
        values = [a, b]
        for i in range(len(operands) if len(operands) == 2 else 0):
            other = values[1 - i]
            if isinstance(values[i], sp.Integer) and isinstance(other, sp.Basic) and \
                    masks.bool_valued(other, self.bool_names(free_symbols(other))):
                values[i] = as_python_typed(values[i], operands[i])
        return values[0], values[1]

    def bool_names(self, among: Any = None) -> frozenset:
        """The values known to be bool arrays: masks given names, bool constant arrays;
        ``among``: of these symbols only (``masks.bool_valued`` looks a name up only where
        it is one of the expression's symbols)."""
        defs, constants = self.ctx.defs, self.ctx.constants
        if among is None:
            among = [sp.Symbol(n, real=True) for n in [*defs, *constants]]
        return frozenset(
            s for s in among if s == sp.Symbol(s.name, real=True) and (
                isinstance(defs.get(s.name), sp.Basic) and masks.bool_valued(defs[s.name]) or
                getattr(constants.get(s.name), "dtype", None) == np.bool_))

    def arithmetic(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        """``a + b``, ``a - b``, ``a * b``, ``a / b``, ``a ** b`` as numpy computes them.

        SymPy's value where it is numpy's (``exact.combine``); where it is not
        (``np.sqrt(x)**2`` is x to SymPy, ``y + x - x`` is y), the compound operands get names
        of their own first, which SymPy cannot see through; what is left (``x - x``,
        ``0 * x``, ``x ** 0``) is kept as written: numpy's shape, dtype and NaNs stay.
        """
        if isinstance(op, ast.Add) and self.mask_sum(a, b):
            return AsWritten(static("+"), a, b)
        if isinstance(op, ast.Div) and b.is_Number and b.is_zero and free_symbols(a):
            raise self.p.error(node, "division by the constant 0",
                               "numpy gives inf or nan here, which has no gradient to take; "
                               "divide by a nonzero value")
        value = _combine_operator(op, a, b)
        if value is None:
            a, b = self.named(a, node), self.named(b, node)
            value = _combine_operator(op, a, b)
        if value is None or not_real(value, (a, b)):
            # (-1.0) ** 0.5: Python's complex number, computed as written
            return AsWritten(static(_OPERATOR_TEXT[type(op)]), a, b)
        return value if free_symbols(a) or free_symbols(b) else _python_number(value)

    def mask_sum(self, a: Any, b: Any) -> bool:
        """Whether ``a + b`` adds a mask to a mask (or to True/False): numpy's `or` of bool
        arrays (Python's 0/1 sum of bools), never SymPy's sum of 0/1 numbers, so it is kept
        as written, whatever the values are at run time."""
        def mask(v: Any) -> bool:  # (a parameter not differentiated may be a bool array)
            return isinstance(v, sp.Basic) and self.is_mask(v) or \
                isinstance(v, sp.Symbol) and v.name in self.ctx.maybe_bool

        constants = [v in (sp.true, sp.false) for v in (a, b)]
        return not all(constants) and all(c or mask(v) for c, v in zip(constants, (a, b),
                                                                          strict=True))

    def is_mask(self, value: Any) -> bool:
        """Whether numpy computes ``value`` as a bool array (``masks.bool_valued``), seeing
        through the names the lowering emitted."""
        return masks.bool_valued(value, free_symbols(value) & self.ctx.mask_names)

    def named(self, value: Any, node: ast.AST) -> Any:
        """A compound operand as a value of its own (a symbol), so SymPy cannot simplify it
        together with what it is combined with."""
        if not isinstance(value, sp.Expr) or isinstance(value, sp.Symbol) or \
                not value.free_symbols:
            return value
        name = _part_name(value, self.name_hint or self.return_base)
        return sp.Symbol(self.emit(name, value, node), real=True)

    def _binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        bitwise = _BITWISE.get(type(op))
        if bitwise is not None:
            known = [v if v in (sp.true, sp.false) else int(v) if isinstance(v, sp.Integer)
                     else None for v in (a, b)]
            if None not in known:  # constants: Python's value (True & False is False)
                value = bitwise[0](*(bool(v) if v in (sp.true, sp.false) else v
                                     for v in known))
                return (sp.true if value else sp.false) if isinstance(value, bool) \
                    else sp.Integer(value)
            return bitwise[1](a, b)
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
            return MatMul(a, b)
        if isinstance(op, ast.Mod):
            return sp.Integer(int(a) % int(b)) if _ints(a, b) else \
                sp.Float(float(a) % float(b)) if _floats(a, b) else Mod(a, b)
        if isinstance(op, ast.FloorDiv):
            return sp.Integer(int(a) // int(b)) if _ints(a, b) else \
                sp.Float(float(a) // float(b)) if _floats(a, b) else FloorDiv(a, b)
        raise self.p.error(node, f"operator {type(op).__name__} is not supported",
                           "use + - * / // % ** @, and & | on masks")

    def expr_Compare(self, node: ast.Compare) -> Any:
        ops = {ast.Lt: (sp.Lt, "<"), ast.LtE: (sp.Le, "<="), ast.Gt: (sp.Gt, ">"),
               ast.GtE: (sp.Ge, ">="), ast.Eq: (sp.Eq, "=="), ast.NotEq: (sp.Ne, "!=")}
        # a name or a constant may be a string: a static parameter and what it is compared to
        values = [getattr(self, "expr_" + type(n).__name__)(n)
                  if isinstance(n, (ast.Name, ast.Constant)) else self.expr(n)
                  for n in [node.left, *node.comparators]]
        parts = []
        for op, a, b in zip(node.ops, values, values[1:], strict=False):
            if isinstance(op, (ast.Is, ast.IsNot)):
                parts.append(self.is_none(node, a, b, isinstance(op, ast.IsNot)))
                continue
            if type(op) not in ops:
                raise self.p.error(node, "unsupported comparison", "use < <= > >= == !=")
            rel, spelling = ops[type(op)]
            if isinstance(a, str) or isinstance(b, str):  # a static parameter (statics.py)
                if spelling not in ("==", "!=") or not (isinstance(a, str) and
                                                        isinstance(b, str)):
                    # (a parameter not static may hold a string too at run time)
                    raise self.p.error(node, "a string can be compared (== and !=) only with "
                                       "a string known at decoration time",
                                       "give the parameter a string default: it is then "
                                       "static, the code specialised for its value")
                parts.append(sp.true if (a == b) == (spelling == "==") else sp.false)
                continue
            if not (isinstance(a, sp.Basic) and isinstance(b, sp.Basic)):
                raise self.p.error(node, "only numbers and arrays can be compared")
            if a.is_Number and b.is_Number:
                parts.append(sp.true if rel(a, b) else sp.false)  # known now: a static branch
            else:  # as written: SymPy's relationals decide `exp(z) > 0` and drop z's shape
                parts.append(masks.COMPARISONS[spelling](a, b))
        return parts[0] if len(parts) == 1 else _logical(True, parts)

    def is_none(self, node: ast.AST, a: Any, b: Any, negate: bool) -> Any:
        """``x is None``: decided now unless x is a parameter (an optional argument)."""
        if b is not None:
            a, b = b, a
        if b is not None:
            raise self.p.error(node, "`is` is supported only to compare with None")
        if a is None or not isinstance(a, sp.Symbol) or a.name not in self.ctx.versions:
            return sp.true if (a is None) != negate else sp.false
        return IsNone(a, static(negate))

    def expr_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.expr(v) for v in node.values]
        for v, n in zip(values, node.values, strict=True):
            if not isinstance(v, sp.Basic):
                raise self.p.error(n, "`and`/`or` work on conditions here")
        # 0 and 1 decide now, as False and True; another number is a value `and`/`or` may
        # give back (Python's `c and 2` is 2 where c holds, `~False or c` is -1)
        values = [sp.true if v == 1 else sp.false if v == 0 else v for v in values]
        return _logical(isinstance(node.op, ast.And), values)

    def expr_Dict(self, node: ast.Dict) -> Any:
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if not isinstance(k, ast.Constant):
                raise self.p.error(node, "dict keys must be constants", "write {'w': w}")
            out[k.value] = self.expr(v)
        return out

    def expr_Lambda(self, node: ast.Lambda) -> Any:
        fn = ast.FunctionDef(name="<lambda>", args=node.args,
                             body=[ast.Return(node.body, **loc(node.body))],
                             decorator_list=[], returns=None, **loc(node))
        fn.type_params = []
        return LocalFunction(fn, self)

    def container_key(self, node: ast.Subscript, base: Any) -> Any:
        """A constant index into a list, tuple or dict."""
        if isinstance(base, dict):
            if isinstance(node.slice, ast.Constant) and node.slice.value in base:
                return node.slice.value
            raise self.p.error(node, "a dict must be indexed with one of its constant keys")
        if isinstance(node.slice, ast.Slice):
            bounds = [None if b is None else self.expr(b) for b in (node.slice.lower,
                                                                     node.slice.upper,
                                                                     node.slice.step)]
            if all(b is None or isinstance(b, sp.Integer) for b in bounds):
                return slice(*[None if b is None else int(b) for b in bounds])
        else:
            key = self.expr(node.slice)
            if isinstance(key, sp.Integer) and -len(base) <= int(key) < len(base):
                return int(key)
        raise self.p.error(node, "a list or tuple must be indexed with a constant in range",
                           "loops over lists are unrolled: use `for v in items:` or "
                           "stack them into an array")

    def expr_Subscript(self, node: ast.Subscript) -> Any:
        if self.named_list(node.value) is not None:  # outs[i] of a list built in a loop
            return self.list_item(node, self.named_list(node.value))
        obj = self.static_object(node.value)
        if obj is np.r_ or obj is np.c_:
            return self.r_or_c(node, obj is np.r_)
        if obj is np.s_:  # (the index argument of a generated helper: regrad.py)
            return IndexParts(self.index_parts(node))
        if obj is not None and type(obj).__module__.startswith("numpy.lib"):
            raise self.p.error(node, f"{ast.unparse(node.value)}[...] is not supported",
                               "symgrad supports np.r_[...] and np.c_[...]; build index arrays "
                               "and grids with np.arange, np.stack or broadcasting (x[:, None])")
        base = self.expr(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if isinstance(base, Shape):
            return self.shape_item(node, base, parts)
        if isinstance(base, (tuple, list, dict)):
            return base[self.container_key(node, base)]
        if isinstance(base, LocalFunction) or base is None:
            raise self.p.error(node, "this value cannot be indexed")
        return GetItem(base, *self.index_parts(node))

    def shape_item(self, node: ast.Subscript, shape: Shape, parts: list[ast.expr]) -> Any:
        """``x.shape[-1]``, ``x.shape[i]`` (a loop counter or a parameter) and
        ``x.shape[-2:]`` (a tuple whose length is x's rank, read at run time)."""
        if len(parts) == 1:
            part = self.index_part(parts[0])
            value = part.value if isinstance(part, Static) else None
            # a computed index (a loop counter, a parameter) is numpy's to check at run time
            if isinstance(value, slice) or isinstance(value, int) and \
                    not isinstance(value, bool) or isinstance(part, sp.Expr) and \
                    not isinstance(part, Static) and part.free_symbols:
                return ShapeAt(shape.args[0], part)
        raise self.p.error(node, f"{ast.unparse(node)}: .shape is indexed with an integer or "
                           "a slice here", "write x.shape[0], x.shape[-1], x.shape[i] or "
                           "x.shape[1:]")

    def r_or_c(self, node: ast.Subscript, rows: bool) -> Any:
        """``np.r_[a, b, 0.0, 0:3]`` (np.c_): arrays and numbers joined as numpy joins them;
        a slice of constants is np.arange's constant array."""
        spelling = "np.r_" if rows else "np.c_"
        items = []
        for part in node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]:
            if isinstance(part, ast.Slice):
                bounds = [None if b is None else self.expr(b) for b in
                          (part.lower, part.upper, part.step)]
                if not all(b is None or isinstance(b, sp.Integer) for b in bounds):
                    raise self.p.error(part, f"a slice inside {spelling}[...] must have "
                                       "constant integer bounds", "write np.arange(start, "
                                       "stop) or np.linspace(start, stop, n)")
                start, stop, step = (None if b is None else int(b) for b in bounds)
                items.append(self.constant(np.arange(start or 0, stop, step or 1),
                                           "r_arange", part))
                continue
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                raise self.p.error(part, f"{spelling}[...] with the directive "
                                   f"{part.value!r} is not supported",
                                   "use np.concatenate([...], axis=...) or np.stack")
            value = self.expr(part)
            if not isinstance(value, sp.Basic) or value in (sp.true, sp.false):
                raise self.p.error(part, f"{spelling}[...] joins arrays and numbers",
                                   "write each array or number as an item")
            items.append(as_python_typed(value, part))
        return (RConcat if rows else CConcat)(*items)

    def index_parts(self, node: ast.Subscript) -> list[Any]:
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return [self.index_part(p) for p in parts]

    def index_part(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            bounds = [None if b is None else self.expr(b) for b in (node.lower, node.upper,
                                                                     node.step)]
            if all(b is None or isinstance(b, sp.Integer) for b in bounds):
                return static(slice(*[None if b is None else int(b) for b in bounds]))
            return SliceOf(*[static(None) if b is None else b for b in bounds])
        if isinstance(node, ast.Constant) and node.value is None:
            return static(None)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return static(Ellipsis)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return static(node.value)  # params["W"] of a dict argument
        value = self.expr(node)
        if isinstance(value, sp.Integer):
            return static(int(value))
        if value is None:
            return static(None)
        if isinstance(value, (tuple, list)):
            return self.list_index(node, value)
        return value

    def list_index(self, node: ast.expr, value: Any) -> Any:
        """``x[[0, 2]]``: a list of constant integers (or of bools: numpy's mask) is numpy's
        integer-array index, kept as written; a repeated index adds its gradients up."""
        def plain(v: Any) -> Any:
            if isinstance(v, (tuple, list)):
                return [plain(w) for w in v]
            if v in (sp.true, sp.false):
                return bool(v)
            if isinstance(v, sp.Integer):
                return int(v)
            raise ValueError

        try:
            items = plain(value)
        except ValueError:
            if value and all(isinstance(v, sp.Expr) and self.surely_int(v) for v in value):
                return ListOf(*value)  # x[[i, i + 1]]: integers computed at run time
            raise self.p.error(node, f"indexing with the list {ast.unparse(node)} of computed "
                               "values is not supported", "index with a list of integers: "
                               "constants, loop counters, x.shape[...] or int(...) of a "
                               "value") from None
        kinds = {type(v) for v in np.ravel(np.array(items, dtype=object))} if items else set()
        if len(kinds) > 1:
            raise self.p.error(node, f"the index {ast.unparse(node)} mixes bools and integers",
                               "numpy would read the bools as 0 and 1: write integers")
        return static(items)


# & and | of masks (x ^ 2 is more often a power written wrong than a mask's xor: refused)
_BITWISE = {ast.BitAnd: (operator.and_, masks.BitAnd), ast.BitOr: (operator.or_, masks.BitOr)}


def _logical(conjunction: bool, values: list[Any]) -> Any:
    """Python's ``a and b`` (``a or b``) of conditions: the first value that decides it (a
    false one for ``and``, a true one for ``or``), else the last; the constants decided now
    (True/False decide as themselves: their truth is all that differs from the value)."""
    rest: list[Any] = []
    for i, v in enumerate(values):
        if not (v in (sp.true, sp.false) or isinstance(v, sp.Number)):
            rest.append(v)
        elif bool(v) != conjunction:  # it decides: nothing after it is evaluated
            if v in (sp.true, sp.false):
                return v
            rest.append(v)
            break
        elif i == len(values) - 1 and (not rest or v not in (sp.true, sp.false)):
            rest.append(v)  # all passed: Python gives the last value (`c and True` is c's truth)
    if len(rest) == 1:
        return rest[0]
    return (masks.LogicalAnd if conjunction else masks.LogicalOr)(*rest)


_OPERATOR_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _float_identity(op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
    """The operand ``n`` of ``n + 0.0``, ``0.0 + n``, ``n - 0.0``, ``n * 1.0``, ``1.0 * n``,
    ``n / 1.0`` or ``n / 1``, else None. SymPy drops the identity and keeps ``n``, but numpy's
    result is a float even where ``n`` is an int or bool array (``np.sum(x < y) + 0.0``, the
    count as a float): the caller writes ``1.0*n``, which SymPy keeps, and which is the same
    value and derivative for a float ``n``."""
    if isinstance(node, ast.BinOp):
        nodes: tuple = (node.left, node.right)
    elif isinstance(node, ast.AugAssign):
        nodes = (node.target, node.value)
    elif isinstance(node, ast.Call) and len(node.args) >= 2:
        nodes = tuple(node.args[:2])
    else:
        return None
    identity = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1}.get(type(op))
    for i, (value, operand) in enumerate(zip((a, b), nodes, strict=True)):
        other = (a, b)[1 - i]
        if identity is None or not isinstance(value, sp.Number) or float(value) != identity or \
                not free_symbols(other) or i == 0 and type(op) in (ast.Sub, ast.Div):
            continue
        if type(op) is ast.Div or isinstance(operand, ast.Constant) and \
                type(operand.value) is float:
            return other
    return None


def _combine_operator(op: ast.operator, a: Any, b: Any) -> Any:
    """SymPy's value of ``a <op> b``, or None where it is not numpy's (see ``exact``)."""
    if isinstance(op, ast.Add):
        return exact.combine_written(sp.Add, a, b)
    if isinstance(op, ast.Sub):
        minus_b = exact.combine_written(sp.Mul, sp.S.NegativeOne, b)
        return None if minus_b is None else exact.combine_written(sp.Add, a, minus_b)
    if isinstance(op, ast.Mult):
        return exact.combine_written(sp.Mul, a, b)
    if isinstance(op, ast.Div):
        inverse = exact.combine_written(sp.Pow, b, sp.S.NegativeOne)
        return None if inverse is None else exact.combine_written(sp.Mul, a, inverse)
    return exact.combine_written(sp.Pow, a, b)


def _python_number(value: Any) -> Any:
    """A constant Python computes (``2 ** 0.5``) as a Python float, not ``np.sqrt(2)``:
    a numpy scalar would turn a float32 result into float64."""
    if isinstance(value, sp.Basic) and value.is_number and not value.is_Rational and \
            any(isinstance(n, sp.Function) or n.is_Pow for n in sp.preorder_traversal(value)):
        try:
            return sp.Float(float(value))
        except TypeError:  # complex: numpy has its own say
            return value
    return value


def _part_name(value: Any, hint: str | None) -> str:
    """A name for an operand that becomes a value of its own: ``sqrt_x`` for np.sqrt(x)."""
    head = "sqrt" if value.is_Pow and value.exp == sp.S.Half else \
        type(value).__name__.lower() if isinstance(value, sp.Function) else None
    inner = value.args[0] if head else None
    if head and isinstance(inner, sp.Symbol) and not isinstance(value, Structural):
        return f"{_NUMPY_NAMES.get(head, head)}_{inner.name}"
    return f"{hint or 'value'}_part"


_NUMPY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}


def _ints(a: Any, b: Any) -> bool:
    return isinstance(a, sp.Integer) and isinstance(b, sp.Integer) and b != 0


def _floats(a: Any, b: Any) -> bool:
    """Two real constants, not both integers, that Python divides (``0.5 // 0.7`` is 0.0, as
    numpy's): a FloorDiv of numbers left unevaluated is not comparable inside Max or clip."""
    return all(isinstance(v, sp.Number) and v.is_real and v.is_finite for v in (a, b)) \
        and b != 0
