"""The printer round trip: printed text means what the SymPy tree means.

Hypothesis draws a random Python expression over scalars ``a, b``, 2x2 arrays ``x, y, z`` and
a boolean mask ``m``, using every operator symgrad lowers (``+ - * / // % ** @``, unary minus,
comparisons and chained comparisons, ``and``/``or``/``not`` on conditions, which print as
``& | ~``, ``np.where``, a few numpy functions). The expression is turned into SymPy by
symgrad's own lowering (``Lowerer.expr``), so the trees have exactly the forms the lowering
builds, whatever they become. Then, for both printers codegen uses (plain, and scalar factors
first), the printed text is parsed with ``ast`` and checked two ways:

- value: the parsed code, evaluated with numpy, gives the numbers of the SymPy tree, as a
  reference evaluator in this file computes them by walking the tree (never by printing it);
- structure: the parsed code, read back into SymPy operator by operator, is the same tree
  (a lost parenthesis changes the operator structure even where the numbers happen to agree).

``SYMGRAD_ROUNDTRIP_EXAMPLES`` (default 300) sets the number of expressions per test.
"""

from __future__ import annotations

import ast
import os
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as hs

from symgrad.frontend.lower import Lowerer
from symgrad.frontend.parse import parse_function
from symgrad.printer import NumpyPrinter
from symgrad.rules import elementwise as ew
from symgrad.rules import structural as st

EXAMPLES = int(os.environ.get("SYMGRAD_ROUNDTRIP_EXAMPLES", "300"))
SCALARS = ("a", "b")
ARRAYS = ("x", "y", "z")
VALUES = {
    "a": np.float64(0.7), "b": np.float64(-1.3),
    "x": np.array([[0.4, -0.9], [1.6, 2.5]]), "y": np.array([[1.2, 0.3], [-0.5, -2.0]]),
    "z": np.array([[-1.1, 0.8], [0.6, 1.9]]), "m": np.array([[True, False], [False, True]]),
}
CONSTANTS = ("2", "3", "0.5", "1.5", "0.25", "2.0")
EXPONENTS = ("2", "3", "-1", "-2", "0.5", "(-0.5)", "1.5")  # (1/3 prints as np.cbrt: see below)
FUNCTIONS = ("np.sin", "np.tanh", "np.abs", "np.exp")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def _scope(a, b, x, y, z, m):  # the parameters the lowering binds (its source is what it reads)
    return a


# ================================================================== expressions as source


@hs.composite
def numeric(draw, depth=3, array=False, nested=False, masks=False):
    """Python source of a number-valued expression; ``array``: surely 2x2 (for ``@``).

    ``nested``: conditions may hold a ``np.where`` themselves; ``masks``: a condition may be
    used as a number (``(x > 0) * x``). Both are off in the main tests until the lowering
    supports them (issue 11, defects 7 and 15; the strict xfails at the end say when).
    """
    if depth <= 0 or draw(hs.integers(0, 5)) == 0:
        if array:
            return draw(hs.sampled_from(ARRAYS))
        return draw(hs.sampled_from(SCALARS + ARRAYS + CONSTANTS))

    def sub(arr=False):
        return numeric(depth - 1, arr, nested, masks)

    kind = draw(hs.sampled_from(["binary", "binary", "binary", "unary", "power", "matmul",
                                 "where", "function", "maximum"] + ["mask"] * masks))
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
    if kind == "where":
        cond = draw(condition(depth - 1, nested, masks))
        return f"np.where({cond}, {draw(sub(array))}, {draw(sub())})"
    if kind == "function":
        return f"{draw(hs.sampled_from(FUNCTIONS))}({draw(sub(array))})"
    if kind == "mask":
        op = draw(hs.sampled_from(["*", "+", "-"]))
        return f"({draw(condition(depth - 1, nested, masks))}) {op} ({draw(sub(array))})"
    return f"np.maximum({draw(sub(array))}, {draw(sub())})"


@hs.composite
def condition(draw, depth, nested=False, masks=False):
    """Python source of a condition: comparisons, chains, and/or/not, the mask."""
    kind = draw(hs.sampled_from(["compare", "compare", "chain", "and", "or", "not", "mask"]
                                if depth > 0 else ["compare", "mask"]))
    sub = numeric(max(depth - 1, 0), nested=nested, masks=masks)
    if not nested:  # no np.where in the operands of a comparison
        sub = sub.filter(lambda text: "np.where" not in text)
    if kind == "compare":
        return f"({draw(sub)}) {draw(hs.sampled_from(COMPARISONS))} ({draw(sub)})"
    if kind == "chain":
        ops = draw(hs.lists(hs.sampled_from(COMPARISONS), min_size=2, max_size=2))
        return f"({draw(sub)}) {ops[0]} ({draw(sub)}) {ops[1]} ({draw(sub)})"
    if kind in ("and", "or"):
        return f"({draw(condition(depth - 1, nested, masks))}) {kind} " \
            f"({draw(condition(depth - 1, nested, masks))})"
    if kind == "not":
        return f"not ({draw(condition(depth - 1, nested, masks))})"
    return "m"


def lower(source: str):
    """The SymPy tree symgrad's lowering builds for one expression.

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
    assume(isinstance(expr, sp.Basic) and not expr.has(sp.I, sp.zoo))
    assume(not any(p.base.is_number and p.base.is_negative and not p.exp.is_integer
                   for p in expr.atoms(sp.Pow)))
    note(f"sympy:   {sp.srepr(expr)}")
    return expr


# ======================================================================== the reference

_FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "exp": np.exp, "log": np.log,
              "Abs": np.abs, "sign": np.sign, "Max": np.maximum, "Min": np.minimum}
_RELATIONS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
              "==": np.equal, "!=": np.not_equal}


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
    args = [reference(a, values) for a in _operands(expr)]
    vals = [v for v, _ in args]
    scale = max([s for _, s in args], default=0.0)
    v = _apply(expr, vals)
    return v, max(scale, _mag(v))


def _operands(expr):
    if isinstance(expr, sp.Piecewise):
        return [x for pair in expr.args for x in pair]
    return expr.args


def _apply(expr, vals):
    if isinstance(expr, sp.Add):
        return _fold(np.add, vals)
    if isinstance(expr, sp.Mul):
        return _fold(np.multiply, vals)
    if isinstance(expr, sp.Pow):
        return np.power(np.float64(1.0) * vals[0], vals[1])
    if isinstance(expr, st.FloorDiv):
        return np.floor_divide(*vals)
    if isinstance(expr, st.Mod):
        return np.mod(*vals)
    if isinstance(expr, st.MatMul):
        return np.matmul(*vals)
    if isinstance(expr, st.ConstantLike):
        return np.full(np.broadcast(*vals[1:]).shape, vals[0])
    if isinstance(expr, sp.Rel):
        return _RELATIONS[expr.rel_op](*vals)
    if isinstance(expr, sp.And):
        return _fold(np.logical_and, vals)
    if isinstance(expr, sp.Or):
        return _fold(np.logical_or, vals)
    if isinstance(expr, sp.Not):
        return np.logical_not(vals[0])
    if isinstance(expr, sp.Piecewise):  # (value, condition) pairs, the first that holds
        out = np.float64(np.nan)
        for value, cond in reversed(list(zip(vals[::2], vals[1::2], strict=True))):
            out = np.where(cond, value, out)
        return out
    name = type(expr).__name__
    if name in _FUNCTIONS:
        return _FUNCTIONS[name](*vals) if name not in ("Max", "Min") else _fold(_FUNCTIONS[name], vals)
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


def unprint(node):
    """SymPy from printed Python, operator by operator (the forms the printer writes)."""
    if isinstance(node, ast.Expression):
        return unprint(node.body)
    if isinstance(node, ast.Name):
        return sp.Symbol(node.id, real=True)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return sp.true if node.value else sp.false
        return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
    if isinstance(node, ast.UnaryOp):
        operand = unprint(node.operand)
        return {ast.USub: lambda v: -v, ast.UAdd: lambda v: v,
                ast.Invert: sp.Not}[type(node.op)](operand)
    if isinstance(node, ast.BinOp):
        a, b = unprint(node.left), unprint(node.right)
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                ast.Div: lambda: a / b, ast.Pow: lambda: a**b,
                ast.FloorDiv: lambda: st.FloorDiv(a, b), ast.Mod: lambda: st.Mod(a, b),
                ast.MatMult: lambda: st.MatMul(a, b), ast.BitAnd: lambda: sp.And(a, b),
                ast.BitOr: lambda: sp.Or(a, b)}[type(node.op)]()
    if isinstance(node, ast.Compare):
        assert len(node.ops) == 1, "the printer writes one comparison per group"
        rel = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq,
               ast.NotEq: sp.Ne}[type(node.ops[0])]
        return rel(unprint(node.left), unprint(node.comparators[0]), evaluate=False)
    if isinstance(node, ast.Attribute) and ast.unparse(node) in _NP_CONSTANTS:
        return _NP_CONSTANTS[ast.unparse(node)]
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        if func == "np.full":  # ConstantLike: np.full(np.shape(x) | np.broadcast(...).shape, v)
            shape = node.args[0]
            operands = shape.args if func_name(shape) == "np.shape" else shape.value.args
            return st.ConstantLike(unprint(node.args[1]), *[unprint(o) for o in operands])
        args = [unprint(a) for a in node.args]
        name = func.removeprefix("np.")
        return ew.sympy_form(ew.ALIASES.get(name, name), *args)
    raise AssertionError(f"unprint has no rule for {ast.dump(node)}")


def func_name(node) -> str:
    return ast.unparse(node.func) if isinstance(node, ast.Call) else ""


_NP_CONSTANTS = {"np.nan": sp.nan, "np.inf": sp.oo, "np.pi": sp.pi, "np.e": sp.E}


def _exact(expr):
    """Float literals as the decimals they spell: ``0.2*x`` is the printer's ``x/5``."""
    return expr.xreplace({f: sp.Rational(repr(float(f))) for f in expr.atoms(sp.Float)})


# ============================================================================ the tests

PRINTERS = {
    "plain": NumpyPrinter,
    # codegen's printer: factors without an array first (here: those free of x, y, z, m)
    "scalar-first": lambda: NumpyPrinter(is_scalar=lambda e: not e.free_symbols & set(
        sp.symbols("x y z m", real=True))),
}
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


def _evaluate(text: str):
    tree = ast.parse(text, mode="eval")  # the printed text is a Python expression
    return eval(compile(tree, "<printed>", "eval"), {"np": np}, dict(VALUES))  # noqa: S307


def _lowered(source: str):
    expr = lower(source)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected, scale = reference(expr, VALUES)
        except ValueError:  # a matmul of a folded scalar, say: numpy refuses it too
            assume(False)
    assume(scale < 1e8)  # far from overflow: reassociation stays within rounding
    return expr, np.asarray(expected), scale


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


@pytest.mark.parametrize("printer", list(PRINTERS))
@SETTINGS
@given(source=numeric(4))
def test_printed_text_evaluates_to_the_numbers_of_the_sympy_tree(printer, source):
    expr, expected, scale = _lowered(source)
    text = PRINTERS[printer]().statement(expr)
    note(f"printed: {text}")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = _evaluate(text)
        except ZeroDivisionError:  # Python numbers (2 % 0.5 is 0.0): the user's code raises too
            assert not (expr.free_symbols & set(sp.symbols("x y z m", real=True))), text
            assume(False)
    _assert_same_numbers(got, expected, scale, text)


@pytest.mark.parametrize("printer", list(PRINTERS))
@SETTINGS
@given(source=numeric(4))
def test_printed_text_has_the_operator_structure_of_the_sympy_tree(printer, source):
    expr = lower(source)
    text = PRINTERS[printer]().statement(expr)
    note(f"printed: {text}")
    back = _exact(unprint(ast.parse(text, mode="eval")))
    expr = _exact(expr)
    # the same tree up to SymPy's own canonical algebra (reading -(a + b)/a back distributes
    # the minus); every opaque operator (// % @ where, a function, a comparison, & | ~) must
    # match argument for argument, so a lost parenthesis anywhere shows
    assert back == expr or sp.expand(back - expr) == 0, f"{text}\n  reads back as {sp.srepr(back)}\n  not {sp.srepr(expr)}"


# ------------------------------------------------- forms the lowering does not support yet

# (expected to fail for now: a few examples, no shrinking)
XFAIL_SETTINGS = settings(SETTINGS, max_examples=min(EXAMPLES, 40),
                          phases=[Phase.explicit, Phase.generate])


@pytest.mark.xfail(strict=True, reason="issue 11 defect 7: a where inside a where's condition "
                   "leaks ITE; remove this mark when it passes")
@XFAIL_SETTINGS
@given(inner=numeric(2, nested=True), rest=numeric(3, nested=True))
def test_a_where_inside_a_where_condition_round_trips(inner, rest):
    source = f"np.where(np.where((x) > (y), {inner}, z) > (a), {rest}, x)"
    test_printed_text_evaluates_to_the_numbers_of_the_sympy_tree.hypothesis.inner_test(
        "scalar-first", source)


@pytest.mark.xfail(strict=True, reason="issue 11 defect 15: a comparison used as a number "
                   "fails in the lowering; remove this mark when it passes")
@XFAIL_SETTINGS
@given(cond=condition(2, masks=True), rest=numeric(3, masks=True))
def test_a_condition_used_as_a_number_round_trips(cond, rest):
    source = f"({cond}) * ({rest})"
    test_printed_text_evaluates_to_the_numbers_of_the_sympy_tree.hypothesis.inner_test(
        "scalar-first", source)
