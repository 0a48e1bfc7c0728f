"""The printer round trip: printed text means what the SymPy tree means.

Hypothesis draws a random Python expression over scalars ``a, b``, 2x2 arrays ``x, y, z`` and
a boolean mask ``m``, using every operator symgrad lowers (``+ - * / // % ** @``, unary minus,
comparisons and chained comparisons, ``and``/``or``/``not`` on scalar conditions, ``& | ~`` on
masks, ``np.where`` (in a condition too), masks used as numbers, ``np.maximum``/``np.minimum``
and a few numpy functions). The expression is turned into SymPy by symgrad's own lowering
(``Lowerer.expr``), so the trees have exactly the forms the lowering builds: the masks.py
functions (``Where``, ``IsLess``, ``LogicalAnd``, ``BitOr``, ``Invert``...), ``AsWritten`` for
what SymPy would fold (``x - x``), and the statements the lowering emits on the way (an
operand SymPy must not see through gets a name of its own: ``out_part = ...``). Then, for
both printers codegen uses (plain, and scalar factors first), the printed program (the
emitted statements in order, then the expression) is parsed with ``ast`` and checked:

- value: the printed program, evaluated with numpy, gives the numbers of the SymPy trees, as
  a reference evaluator in this file computes them by walking the trees (never by printing
  them); masks are numpy bools, and in arithmetic (``Add``, ``Mul``, ``Pow``) the 0/1 numbers
  SymPy takes them for. And where the user's source itself evaluates, the printed program
  gives its numbers too (the lowering kept numpy's meaning);
- structure: each printed line, read back into SymPy operator by operator, is the same tree
  (a lost parenthesis changes the operator structure even where the numbers happen to agree).

``SYMGRAD_ROUNDTRIP_EXAMPLES`` (default 25) sets the number of expressions per test.
"""

from __future__ import annotations

import ast
import operator
import os
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as hs

from symgrad.frontend import exact
from symgrad.frontend.ir import Assign
from symgrad.frontend.lower import Lowerer
from symgrad.frontend.parse import parse_function
from symgrad.printer import NumpyPrinter
from symgrad.rules import elementwise as ew
from symgrad.rules import masks as mk
from symgrad.rules import registry
from symgrad.rules.base import static, sval
from symgrad.rules.creation import NpConstant
from symgrad.rules.linalg import MatMul
from symgrad.rules.operators import AsWritten, FloorDiv, Mod

EXAMPLES = int(os.environ.get("SYMGRAD_ROUNDTRIP_EXAMPLES", "25"))
SCALARS = ("a", "b")
ARRAYS = ("x", "y", "z")
VALUES = {
    "a": np.float64(0.7), "b": np.float64(-1.3),
    "x": np.array([[0.4, -0.9], [1.6, 2.5]]), "y": np.array([[1.2, 0.3], [-0.5, -2.0]]),
    "z": np.array([[-1.1, 0.8], [0.6, 1.9]]), "m": np.array([[True, False], [False, True]]),
}
CONSTANTS = ("2", "3", "0.5", "1.5", "0.25", "2.0")
EXPONENTS = ("2", "3", "-1", "-2", "0.5", "(-0.5)", "1.5", "(1/3)")
FUNCTIONS = ("np.sin", "np.tanh", "np.abs", "np.exp", "np.cbrt")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def _scope(a, b, x, y, z, m):  # the parameters the lowering binds (its source is what it reads)
    return a


# ================================================================== expressions as source


@hs.composite
def numeric(draw, depth=3, array=False, scalar=False):
    """Python source of a number-valued expression; ``array``: surely 2x2 (for ``@``);
    ``scalar``: surely 0-d (an operand of ``and``/``or``/``not`` or of a chain)."""
    if depth <= 0 or draw(hs.integers(0, 5)) == 0:
        if array:
            return draw(hs.sampled_from(ARRAYS))
        return draw(hs.sampled_from(SCALARS + CONSTANTS if scalar else
                                    SCALARS + ARRAYS + CONSTANTS))

    def sub(arr=False):
        return numeric(depth - 1, arr, scalar)

    kind = draw(hs.sampled_from(["binary", "binary", "binary", "unary", "power", "where",
                                 "function", "maximum", "mask"] + ["matmul"] * (not scalar)))
    if kind == "binary":
        op = draw(hs.sampled_from(["+", "-", "*", "/", "//", "%"]))
        left_array = array and draw(hs.booleans())
        return f"({draw(sub(left_array))}) {op} ({draw(sub(array and not left_array))})"
    if kind == "unary":
        return f"-({draw(sub(array))})"
    if kind == "power":
        if draw(hs.booleans()):
            return f"({draw(sub(array))}) ** {draw(hs.sampled_from(EXPONENTS))}"
        base = draw(hs.sampled_from(["2", "0.5", "(-2)"]))
        return f"{base} ** ({draw(sub(array))})"
    if kind == "matmul":
        return f"({draw(sub(True))}) @ ({draw(sub(True))})"
    if kind == "where":  # the condition may hold a where itself (issue 11, defect 7)
        cond = draw(condition(depth - 1, scalar))
        return f"np.where({cond}, {draw(sub(array))}, {draw(sub())})"
    if kind == "function":
        return f"{draw(hs.sampled_from(FUNCTIONS))}({draw(sub(array))})"
    if kind == "mask":  # a condition used as a number (issue 11, defect 15)
        # (not the parameter m itself: its dtype is unknown to the lowering, so SymPy's
        # m + mask is a 0/1 sum where numpy's is an `or`; a mask the code computes is known)
        cond = draw(condition(depth - 1, scalar).filter(lambda c: c != "m"))
        form = draw(hs.sampled_from(["c*n", "c+n", "c-n", "n*c", "n+c", "n-c", "c+c", "c*c",
                                     "-c"]))
        if form == "-c":
            return f"-({cond})"
        other = draw(condition(depth - 1, scalar).filter(lambda c: c != "m")) if form[-1] == "c" and form[0] == "c" \
            else draw(sub(array))
        left, right = (cond, other) if form[0] == "c" else (other, cond)
        return f"({left}) {form[1]} ({right})"
    name = draw(hs.sampled_from(["np.maximum", "np.minimum"]))
    return f"{name}({draw(sub(array))}, {draw(sub())})"


@hs.composite
def condition(draw, depth, scalar=False):
    """Python source of a condition: comparisons (of where's too), chains and and/or/not of
    scalar conditions, & | ~ of masks, the mask ``m``."""
    kinds = ["compare", "compare", "chain", "and", "or", "not", "&", "|", "~"] \
        if depth > 0 else ["compare"]
    kind = draw(hs.sampled_from(kinds + ["mask"] * (not scalar)))
    # Python's and/or/not and a chain ask for one truth value: of scalars
    logical = scalar or kind in ("chain", "and", "or", "not")
    sub = numeric(max(depth - 1, 0), scalar=logical)
    if kind == "compare":
        return f"({draw(sub)}) {draw(hs.sampled_from(COMPARISONS))} ({draw(sub)})"
    if kind == "chain":
        ops = draw(hs.lists(hs.sampled_from(COMPARISONS), min_size=2, max_size=2))
        return f"({draw(sub)}) {ops[0]} ({draw(sub)}) {ops[1]} ({draw(sub)})"
    if kind in ("and", "or", "&", "|"):
        return f"({draw(condition(depth - 1, logical))}) {kind} " \
            f"({draw(condition(depth - 1, logical))})"
    if kind == "not":
        return f"not ({draw(condition(depth - 1, True))})"
    if kind == "~":  # (of a mask: Python's ~True is -2, and `p and True` is True, not p)
        return f"~({draw(condition(depth - 1, scalar).filter(_not_python_logic))})"
    return "m"


def _not_python_logic(source: str) -> bool:
    node = ast.parse(source, mode="eval").body
    return not (isinstance(node, ast.BoolOp) or isinstance(node, ast.UnaryOp) and
                isinstance(node.op, ast.Not) or isinstance(node, ast.Compare) and
                len(node.ops) > 1)


def lower(source: str):
    """The program symgrad's lowering builds for one expression: the statements it emits on
    the way, as (name, SymPy tree) in order, and the expression's SymPy tree.

    This file tests the printer: an expression the lowering refuses or crashes on, or folds
    into a complex number (``(-2) ** 0.5`` is ``sqrt(2)*I`` to SymPy, nan to numpy; ``x / 0``
    is ``zoo*x``), or keeps as a root of a negative number (``(-2)**(1/4)``: complex in
    Python, nan in numpy), is discarded here; those belong to the lowering's tests and the
    fuzzer.
    """
    note(f"source:  {source}")
    lowerer = Lowerer(parse_function(_scope))
    lowerer.bind_params(lowerer.p.tree.args)
    try:
        expr = lowerer.expr(ast.parse(source, mode="eval").body)
    except Exception as exc:  # noqa: BLE001
        note(f"the lowering failed: {type(exc).__name__}: {exc}")
        assume(False)
    assume(isinstance(expr, sp.Basic))
    stmts = lowerer.block.stmts
    assert all(isinstance(s, Assign) for s in stmts), stmts  # an expression has no branches
    # as the adjoint hands them to codegen: sums and negations of masks count them as numbers
    names = frozenset(sp.Symbol(s.target, real=True) for s in stmts if mk.bool_valued(s.expr))
    program = [(s.target, mk.as_numbers(s.expr, names)) for s in stmts]
    expr = mk.as_numbers(expr, names)
    for e in [e for _, e in program] + [expr]:
        assume(not e.has(sp.I, sp.zoo))
        assume(not any(p.base.is_number and p.base.is_negative and not p.exp.is_integer
                       for p in e.atoms(sp.Pow)))
        assume(not any(w.args[1].is_number and w.args[1].is_negative and
                       not w.args[2].is_integer for w in e.atoms(AsWritten)
                       if len(w.args) == 3 and sval(w.args[0]) == "**"))
    for name, e in program:
        note(f"         {name} = {sp.srepr(e)}")
    note(f"sympy:   {sp.srepr(expr)}")
    return program, expr


# ======================================================================== the reference

_FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "exp": np.exp, "log": np.log,
              "Abs": np.abs, "sign": np.sign, "Cbrt": np.cbrt}
_INFIX = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "**": operator.pow}
_MASKS = {
    **{c: getattr(np, name) for c, name in [
        (mk.IsLess, "less"), (mk.IsLessEqual, "less_equal"), (mk.IsGreater, "greater"),
        (mk.IsGreaterEqual, "greater_equal"), (mk.IsEqual, "equal"),
        (mk.IsNotEqual, "not_equal"), (mk.Maximum, "maximum"), (mk.Minimum, "minimum"),
        (mk.Where, "where")]},
    mk.LogicalAnd: lambda *v: _fold(lambda p, q: p and q, v),  # Python's: one truth value
    mk.LogicalOr: lambda *v: _fold(lambda p, q: p or q, v),
    mk.LogicalNot: lambda v: not v,
    mk.BitAnd: lambda *v: _fold(operator.and_, v), mk.BitOr: lambda *v: _fold(operator.or_, v),
    mk.Invert: operator.invert, mk.AsNumber: lambda v: 1 * v,
    # keyed by node class (type(expr)): the registry entries' nodes
    registry.by_name("floor_divide").node: np.floor_divide,
    registry.by_name("remainder").node: np.mod, registry.by_name("matmul").node: np.matmul,
}


def reference_program(program, expr, values):
    """(value, scale) of ``expr`` after the statements of ``program`` (see ``reference``)."""
    env, scale = dict(values), 0.0
    for name, e in program:
        env[name], s = reference(e, env)
        scale = max(scale, s)
    value, s = reference(expr, env)
    return value, max(scale, s)


def reference(expr, values):
    """(value, scale): ``expr`` evaluated by walking the SymPy tree with numpy; ``scale`` is
    the largest magnitude met on the way (what rounding errors are relative to)."""
    if isinstance(expr, sp.Symbol):
        v = values[expr.name]
        return v, _mag(v)
    if expr is sp.true or expr is sp.false:
        return np.bool_(bool(expr)), 0.0
    if isinstance(expr, sp.Number):
        v = np.float64(float(expr))
        return v, _mag(v)
    operands = expr.args[1:] if isinstance(expr, AsWritten) else expr.args
    args = [reference(a, values) for a in operands]
    vals = [v for v, _ in args]
    scale = max([s for _, s in args], default=0.0)
    v = _apply(expr, vals)
    return v, max(scale, _mag(v))


def _apply(expr, vals):
    if isinstance(expr, (sp.Add, sp.Mul, sp.Pow)):  # SymPy's arithmetic: a mask is 0 or 1
        vals = [np.asarray(v, dtype=float) if np.asarray(v).dtype.kind == "b" else v
                for v in vals]
    if isinstance(expr, sp.Add):
        return _fold(np.add, vals)
    if isinstance(expr, sp.Mul):
        return _fold(np.multiply, vals)
    if isinstance(expr, sp.Pow):
        return np.power(np.float64(1.0) * vals[0], vals[1])
    if isinstance(expr, AsWritten):  # the user's operator on the user's values
        return _INFIX[sval(expr.args[0])](*vals)
    if isinstance(expr, (FloorDiv, Mod)):
        _robust(np.true_divide(*vals), np.round(np.true_divide(*vals)))
        if np.any(np.asarray(vals[1]) == 0):
            raise Fragile  # 1 // 0 or 1 // -0.0: the sign of a zero (Python's int 0 has none)
    if isinstance(expr, sp.Pow) and np.any((np.asarray(vals[0]) == 0) &
                                           (np.asarray(vals[1]) < 0)):
        raise Fragile
    if isinstance(expr, mk.Compare):
        _robust(*vals)
    if type(expr) in _MASKS:
        return _MASKS[type(expr)](*vals)
    name = type(expr).__name__
    if name in _FUNCTIONS:
        return _FUNCTIONS[name](*vals)
    return _elementwise_by_sympy(expr, vals)


def _elementwise_by_sympy(expr, vals):
    """A node this file has no rule for: SymPy's own numeric evaluation, element by element."""
    def one(*numbers):
        out = expr.func(*[sp.sympify(bool(n) if isinstance(n, np.bool_) else float(n))
                          for n in numbers])
        if out in (sp.true, sp.false):
            return bool(out)
        if not out.is_number:
            raise AssertionError(f"the reference evaluator has no rule for {expr.func}: "
                                 f"add one to _apply")
        return float(out)
    return np.vectorize(one)(*vals)


class Fragile(Exception):
    """A comparison or a floor within rounding of its tie: ``a + (y + 2)`` and the
    printed ``a + y + 2`` may fall on either side."""


def _robust(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    gap = np.abs(p - q)
    if np.any((gap > 0) & (gap < 1e-9 * (1 + np.abs(p) + np.abs(q)))):
        raise Fragile


def _fold(f, vals):
    out = vals[0]
    for v in vals[1:]:
        out = f(out, v)
    return out


def _mag(v) -> float:
    v = np.asarray(v, dtype=float)
    finite = v[np.isfinite(v)]
    return float(np.max(np.abs(finite))) if finite.size else 0.0


# ==================================================================== reading text back

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FLAT = {ast.BitAnd: mk.BitAnd, ast.BitOr: mk.BitOr, ast.And: mk.LogicalAnd,
         ast.Or: mk.LogicalOr}
_CALLS = {"np.where": mk.Where, "np.maximum": mk.Maximum, "np.minimum": mk.Minimum}


def unprint(node, names=frozenset()):
    """SymPy from printed Python, operator by operator (the forms the printer writes)."""
    if isinstance(node, ast.Expression):
        return unprint(node.body, names)
    if isinstance(node, ast.Name):
        return sp.Symbol(node.id, real=True)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return sp.true if node.value else sp.false
        return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
    if isinstance(node, ast.UnaryOp):
        operand = unprint(node.operand, names)
        return {ast.USub: lambda v: -v, ast.UAdd: lambda v: v, ast.Not: mk.LogicalNot,
                ast.Invert: mk.Invert}[type(node.op)](operand)
    if isinstance(node, ast.BinOp):
        a, b = unprint(node.left, names), unprint(node.right, names)
        if isinstance(node.op, ast.Mult) and ast.unparse(node.left) == "1" and \
                mk.bool_valued(b, names):
            return mk.AsNumber(b)  # 1*m: a mask counted as a number
        if type(node.op) in _BINARY:
            return _arithmetic(_BINARY[type(node.op)], a, b, names)
        if type(node.op) in _FLAT:
            return _FLAT[type(node.op)](a, b)
        return {ast.FloorDiv: FloorDiv, ast.Mod: Mod,
                ast.MatMult: MatMul}[type(node.op)](a, b)
    if isinstance(node, ast.BoolOp):
        return _FLAT[type(node.op)](*[unprint(v, names) for v in node.values])
    if isinstance(node, ast.Compare):
        assert len(node.ops) == 1, "the printer writes one comparison per group"
        op = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
              ast.NotEq: "!="}[type(node.ops[0])]
        return mk.COMPARISONS[op](unprint(node.left, names),
                                  unprint(node.comparators[0], names))
    if isinstance(node, ast.Attribute) and ast.unparse(node) in _NP_CONSTANTS:
        return _NP_CONSTANTS[ast.unparse(node)]
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        args = [unprint(a, names) for a in node.args]
        if func in _CALLS:
            return _CALLS[func](*args)
        name = func.removeprefix("np.")
        if func.startswith("np.") and args and all(isinstance(a, sp.Number) for a in args):
            return NpConstant(static(name), static(()), *args)  # numpy's call of numbers
        return ew.sympy_form(ew.ALIASES.get(name, name), *args)
    raise AssertionError(f"unprint has no rule for {ast.dump(node)}")


def _arithmetic(op, a, b, names):
    """``a op b`` as SymPy evaluates it, or ``AsWritten`` where that is not numpy's value
    (``x - x``, ``0*x``, ``m1 + m2`` of masks: their `or`), as the lowering writes it."""
    if op == "+" and all(v in (sp.true, sp.false) or mk.bool_valued(v, names) for v in (a, b)):
        return AsWritten(static(op), a, b)
    value = _INFIX[op](a, b)
    if (a.free_symbols | b.free_symbols) <= value.free_symbols and \
            (not value.args or exact.combine(value.func, *value.args) is not None):
        return value
    return AsWritten(static(op), a, b)


_NP_CONSTANTS = {"np.nan": sp.nan, "np.inf": sp.oo, "np.pi": sp.pi, "np.e": sp.E}


def _exact(expr):
    """Float literals as the decimals they spell: ``0.2*x`` is the printer's ``x/5``."""
    return expr.xreplace({f: sp.Rational(repr(float(f))) for f in expr.atoms(sp.Float)})


# ============================================================================ the tests

_ARRAY_NAMES = {"x", "y", "z", "m"}


def _printer(kind, arrays):
    if kind == "plain":
        return NumpyPrinter()
    # codegen's printer: factors without an array first (here: those free of array values)
    return NumpyPrinter(is_scalar=lambda e: not {s.name for s in e.free_symbols} & arrays)


def _printed(kind, program, expr):
    """The printed program: (name, text) lines, the expression's last (name None)."""
    arrays = set(_ARRAY_NAMES)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = dict(VALUES)
        for name, e in program:  # which emitted names hold arrays (for the printer's order)
            env[name] = reference(e, env)[0]
            if np.ndim(env[name]):
                arrays.add(name)
    lines = [(name, _printer(kind, arrays).statement(e)) for name, e in program]
    lines.append((None, _printer(kind, arrays).statement(expr)))
    for name, text in lines:
        note(f"printed: {name or 'result'} = {text}")
    return lines


PRINTERS = ("plain", "scalar-first")
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


def _evaluate(lines):
    env = dict(VALUES)
    for name, text in lines:
        tree = ast.parse(text, mode="eval")  # each printed text is a Python expression
        value = eval(compile(tree, "<printed>", "eval"), {"np": np}, env)  # noqa: S307
        if name is not None:
            env[name] = value
    return value


def _lowered(source: str):
    program, expr = lower(source)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected, scale = reference_program(program, expr, VALUES)
        except (ValueError, TypeError, Fragile):  # `and` of arrays, `~` of a float: the
            assume(False)  # user's code raises too (as does a matmul of a folded scalar)
    assume(scale < 1e8)  # far from overflow: reassociation stays within rounding
    return program, expr, np.asarray(expected), scale


def _assert_same_numbers(got, expected, scale, text):
    got = np.asarray(got)
    assert got.shape == expected.shape, (text, got.shape, expected.shape)
    if expected.dtype.kind == "b":
        assert got.dtype.kind == "b", text
    got, expected = got.astype(float), expected.astype(float)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=text)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(expected)],
                                  expected[~finite & ~np.isnan(expected)], err_msg=text)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-9,
                               atol=1e-12 * (1 + scale), err_msg=text)


def _quiet(f, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args)


def check_values(printer, source):
    program, expr, expected, scale = _lowered(source)
    lines = _printed(printer, program, expr)
    text = "\n".join(f"{n or 'result'} = {t}" for n, t in lines)
    try:
        got = _quiet(_evaluate, lines)
    except ZeroDivisionError:  # Python numbers: 2 / (2 % 0.5) (np.maximum(2, 2) / ... is
        assume(False)           # numpy's inf, but the lowering folds it into Python's 2)
    except (TypeError, ValueError) as exc:  # -m, False ** -2: the user's code raises too
        with pytest.raises(type(exc)):
            _quiet(_evaluate, [(None, source)])
        assume(False)
    _assert_same_numbers(got, expected, scale, text)
    try:  # the user's own code, where numpy runs it: the lowering kept its meaning
        user = _quiet(_evaluate, [(None, source)])
    except (ValueError, TypeError, ZeroDivisionError):  # `-mask`, `and` of arrays, 1 % 0
        return
    user = np.asarray(user)  # (the same numbers: False * ~m is bool, 0 * ~m is not)
    _assert_same_numbers(got, user.astype(float) if user.dtype.kind == "b" else user, scale,
                         f"{text}\n  the user's: {source}")


def check_structure(printer, source):
    program, expr = lower(source)
    names: set = set()
    for name, e in program:  # the emitted masks
        if mk.bool_valued(e, frozenset(names)):
            names.add(sp.Symbol(name, real=True))
    for (name, e), (_, text) in zip(program + [(None, expr)],
                                    _printed(printer, program, expr), strict=True):
        back = _exact(unprint(ast.parse(text, mode="eval"), frozenset(names)))
        e = _exact(e)
        # the same tree up to SymPy's own canonical algebra (reading -(a + b)/a back
        # distributes the minus); every opaque operator (// % @ where, a function, a
        # comparison, & | ~, and/or/not) must match argument for argument, so a lost
        # parenthesis anywhere shows
        assert back == e or sp.expand(back - e) == 0 or sp.simplify(back - e) == 0, \
            f"{name or 'result'} = {text}\n  reads back as {sp.srepr(back)}\n  not {sp.srepr(e)}"


@pytest.mark.parametrize("printer", PRINTERS)
@SETTINGS
@given(source=numeric(4))
def test_printed_text_evaluates_to_the_numbers_of_the_sympy_tree(printer, source):
    check_values(printer, source)


@pytest.mark.parametrize("printer", PRINTERS)
@SETTINGS
@given(source=numeric(4))
def test_printed_text_has_the_operator_structure_of_the_sympy_tree(printer, source):
    check_structure(printer, source)


# ------------------------------- forms issue 11 found broken (defects 7 and 15), drawn often

FOCUSED = settings(SETTINGS, max_examples=max(EXAMPLES // 3, 10))


@FOCUSED
@given(inner=numeric(2), rest=numeric(3))
def test_a_where_inside_a_where_condition_round_trips(inner, rest):
    source = f"np.where(np.where((x) > (y), {inner}, z) > (a), {rest}, x)"
    check_values("scalar-first", source)
    check_structure("scalar-first", source)


@FOCUSED
@given(cond=condition(2), rest=numeric(3))
def test_a_condition_used_as_a_number_round_trips(cond, rest):
    source = f"({cond}) * ({rest})"
    check_values("scalar-first", source)
    check_structure("scalar-first", source)
