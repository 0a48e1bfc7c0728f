"""Print SymPy expressions as numpy code that keeps the input dtype (Python literals only)."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef, Function, UndefinedFunction, _coeff_isneg
from sympy.core.relational import Relational
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symgrad.cse import product
from symgrad.precedence import precedence
from symgrad.rules.masks import bool_valued
from symgrad.str_mul import print_mul
from symgrad.term_order import ordered_terms

_NUMPY_FUNCTIONS = {
    "exp": "np.exp", "log": "np.log", "sin": "np.sin", "cos": "np.cos", "tan": "np.tan",
    "asin": "np.arcsin", "acos": "np.arccos", "atan": "np.arctan", "atan2": "np.arctan2",
    "sinh": "np.sinh", "cosh": "np.cosh", "tanh": "np.tanh", "sign": "np.sign",
    "Abs": "np.abs", "log1p": "np.log1p", "expm1": "np.expm1", "sec": "1/np.cos",
    "asinh": "np.arcsinh", "acosh": "np.arccosh", "atanh": "np.arctanh",
}


class NumpyPrinter(StrPrinter):
    """SymPy's StrPrinter with numpy spellings; structural nodes print themselves."""

    printmethod = "_numpycode"

    def __init__(self, settings: dict | None = None,
                 is_scalar: Callable[[Any], bool] | None = None,
                 arrays: frozenset[str] = frozenset()) -> None:
        super().__init__(settings)
        self.helpers: set[str] = set()
        self.imports: set[str] = set()  # modules beyond numpy the code calls (scipy.special)
        self.sources: dict[str, str] = {}  # the user's rule functions it calls (custom_vjp)
        self.is_scalar = is_scalar  # shape knowledge from the adjoint, when it has some
        self.arrays = arrays  # names bound to numpy arrays for sure: see `shape_of`
        # in a rank-specialised module (``arrays`` given): the names bound to numpy values
        # (arrays or numpy scalars, never a Python number) for sure, module-wide and in the
        # current function's cse temporaries (``numpy_temps``): see `is_numpy`
        self.numpy_names: frozenset[str] = arrays
        self.numpy_temps: frozenset[str] = frozenset()
        self._numpy_known: tuple | None = None  # (names, temps, both): _numpy_memo's
        self._numpy_memo: dict[Any, bool] = {}

    def shape_of(self, expr: Any) -> str:
        """``x.shape`` for a name bound to a numpy array for sure (a rank-specialised
        module's array argument), else ``np.shape(x)``, which also takes a Python number
        but is a Python-level call (a few hundred ns, a tenth of a small gradient)."""
        return self._meta("shape", expr)

    def size_of(self, expr: Any) -> str:
        """``x.size`` or ``np.size(x)``: as ``shape_of``."""
        return self._meta("size", expr)

    def _meta(self, attr: str, expr: Any) -> str:
        if self.is_numpy(expr):
            return f"{self.doprint_atom(expr)}.{attr}"
        return f"np.{attr}({self.doprint_expr(expr)})"

    def reduction(self, name: str, expr: Any, kw: str) -> str:
        """``x.sum(axis=0)`` for a numpy value ``x`` (as ``shape_of``: the method skips
        np.sum's Python-level dispatch, about a microsecond), else ``np.sum(x, axis=0)``;
        ``np.sum(a*b)`` stays so, as a person writes it, rather than ``(a*b).sum()``."""
        text = self.doprint_expr(expr)
        if is_atomic(text) and self.is_numpy(expr):
            return f"{text}.{name}({kw.removeprefix(', ')})"
        return f"np.{name}({text}{kw})"

    def is_numpy(self, expr: Any) -> bool:
        """Whether ``expr`` evaluates to a numpy array or a numpy scalar for sure (both have
        ``.sum()``, ``.size``, ``.shape``), never to a Python number: only in a
        rank-specialised module. A name is known by ``numpy_names``/``numpy_temps``; numpy's
        functions return numpy values; an operator does where an operand is one (numpy
        arithmetic on a Python float and a numpy one gives a numpy one). A cotangent
        parameter (the seed) may be a Python float: it is never in ``numpy_names``."""
        if not self.arrays:
            return False  # the generic module: any argument may be a Python number
        known = self._numpy_known
        if known is None or known[0] is not self.numpy_names or \
                known[1] is not self.numpy_temps:
            known = self._numpy_known = (self.numpy_names, self.numpy_temps,
                                         self.numpy_names | self.numpy_temps)
            self._numpy_memo = {}
        return _numpy_valued(expr, known[2], self._numpy_memo)

    def know_temps(self, replacements: list) -> None:
        """``numpy_temps``: the cse temporaries (``(t, expr)`` in order) that name numpy
        values, each known from the names and the temporaries before it."""
        self.numpy_temps = frozenset()
        if not self.arrays:
            return
        # (one memo for the whole pass: an expression of a temporary reads only the ones
        # before it, so what is known of it stays true as the names grow)
        names, temps, memo = set(self.numpy_names), set(), {}
        for t, texpr in replacements:
            if _numpy_valued(texpr, names, memo):
                names.add(t.name)
                temps.add(t.name)
        self.numpy_temps = frozenset(temps)

    def use_helper(self, name: str) -> None:
        self.helpers.add(name)

    def use_source(self, name: str, source: str) -> None:
        """The printed code calls the user's function ``name``: the module defines it."""
        self.sources[name] = source

    def use_import(self, module: str) -> None:
        """The printed code calls ``module`` (``scipy.special``): the module imports it."""
        self.imports.add(module)

    def _print(self, expr: Any, **kwargs: Any) -> str:
        """Every node prints as text that binds at least as tightly as its context assumes.

        SymPy's StrPrinter places parentheses by precedence for the operators it lays out
        itself (sums, products, powers, numbers, and/or). Anything else (a relation, a
        function, a structural node such as ``a // b``, ``a % b``, a ``~``) is placed as
        if it were an atom, so text of it that is not one gets grouped here, once, for
        every such node, present and future.
        """
        if type(expr) is sp.Symbol and not kwargs and _PLAIN_SYMBOLS[type(self)]:
            text = expr.name  # (StrPrinter's _print_Symbol, without the dispatch)
        else:
            text = self._dispatch(expr, **kwargs)
        return f"({text})" if _needs_group(expr, text) else text

    def _dispatch(self, expr: Any, **kwargs: Any) -> str:
        """SymPy's ``Printer._print``: the node's own ``_numpycode``, else the printer's
        ``_print_<class>`` of the first class of its MRO that has one; which it is, looked
        up once per class (SymPy looks it up along the MRO at every node)."""
        kind = type(expr)
        key = (type(self), kind)
        method = _METHODS.get(key)
        if method is None:
            if isinstance(expr, type):  # (a class printed as a value: SymPy's own way)
                return StrPrinter._print(self, expr, **kwargs)
            method = _METHODS[key] = _print_method(type(self), kind, self.printmethod)
        self._print_level += 1
        try:
            return method(self, expr, **kwargs)
        finally:
            self._print_level -= 1

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        if isinstance(item, sp.Basic) and not isinstance(item, _LAID_OUT):
            return self._print(item)  # prints as an atom (grouped by _print when needed)
        prec = precedence(item)  # (StrPrinter's, with the same numbers made for less)
        if prec < level or not strict and prec <= level:
            return f"({self._print(item)})"
        return self._print(item)

    def doprint_expr(self, expr: Any) -> str:
        """Print ``expr`` for a place that needs no grouping: an argument, a right-hand side."""
        return self._dispatch(expr)

    def doprint_atom(self, expr: Any) -> str:
        """Print ``expr`` so that ``.attr``, ``[i]`` or ``@`` can follow it safely."""
        text = self._print(expr)
        return text if is_atomic(text) else f"({text})"

    def statement(self, expr: Any) -> str:
        """Print a whole right-hand side: no redundant outer parentheses."""
        text = self.doprint_expr(expr)
        if getattr(expr, "is_slice", False):  # a slice pulled out of x[a:b] into a name
            return f"np.s_[{text}]"
        if text.startswith("(") and text.endswith(")") and is_atomic(text) and \
                _outer_group_closes_at_end(text):
            return text[1:-1]
        return text

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        """SymPy's sum, with a matrix product term written bare: ``b + x @ w`` (``@`` binds
        as ``*`` does, more tightly than ``+``), not ``b + (x @ w)``."""
        text = self._sum(expr, order)
        for term in expr.args:
            if type(term).__name__ == "MatMul":
                grouped = self._print(term)
                bare = grouped[1:-1]
                if grouped.startswith("(") and _outer_group_closes_at_end(grouped) and \
                        not bare.startswith("-"):
                    text = _replace_term(text, grouped, bare)
        return text

    def _sum(self, expr: Any, order: Any) -> str:
        """StrPrinter's ``_print_Add``, with the same precedences made for less."""
        terms = self._as_ordered_terms(expr, order=order)
        prec = precedence(expr)
        parts = []
        for term in terms:
            t = self._print(term)
            if t.startswith("-") and not term.is_Add:
                sign, t = "-", t[1:]
            else:
                sign = "+"
            parts += [sign, f"({t})" if precedence(term) < prec or term.is_Add else t]
        sign = parts.pop(0)
        return ("" if sign == "+" else sign) + " ".join(parts)

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list:
        """A sum starts with a term that is added, as a person writes it: ``y - x``, not
        ``-x + y``; so a negated mask (``-m``, which numpy refuses) is never the first."""
        if (order or self.order) is None and isinstance(expr, sp.Add):
            terms = ordered_terms(expr)  # (SymPy's order, made for less)
        else:
            terms = list(super()._as_ordered_terms(expr, order=order))
        if expr.is_Add and _coeff_isneg(terms[0]):
            added = next((i for i, t in enumerate(terms) if not _coeff_isneg(t)), None)
            if added is not None:
                terms.insert(0, terms.pop(added))
        return terms

    def _print_Function(self, expr: Any) -> str:
        name = type(expr).__name__
        func = _NUMPY_FUNCTIONS.get(name)
        if func is None:
            raise TypeError(f"no numpy spelling for {name}")
        return f"{func}({', '.join(self.doprint_expr(a) for a in expr.args)})"

    def _print_Mul(self, expr: Any) -> str:
        """Scalar factors first: numpy evaluates ``a*b*c`` left to right, so
        ``6*grad_out/np.size(x)*t0`` makes one pass over the array where
        ``6*grad_out*t0/np.size(x)`` makes two."""
        if self.is_scalar is None:
            return print_mul(self, expr)
        coeff, factors = expr.as_coeff_mul()
        scalars = [f for f in factors if self.is_scalar(f)]
        arrays = [f for f in factors if f not in scalars]
        if not arrays or not scalars and (coeff.is_Integer or not coeff.is_Rational) or \
                all(f.is_Pow and f.exp.is_negative for f in arrays):
            return print_mul(self, expr)  # (g/t3 already divides the scalar first)
        parts = scalars if coeff == 1 else [coeff, *scalars]
        if len(parts) > 1:  # a product reads left to right: safe before '*' unparenthesized
            text = print_mul(self, sp.Mul(*parts, evaluate=False))
        elif coeff != 1:
            text = _short_float(coeff) or self._print(coeff)
        else:
            text = self.parenthesize(parts[0], PRECEDENCE["Mul"])
        if text == "-1":
            text = "-"
        elif text != "1":
            text += "*"
        # a product that starts with a minus sign ranks as a sum: parenthesized after '*'
        return text + self.parenthesize(product(arrays), PRECEDENCE["Mul"], strict=True)

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exp = expr.args
        if exp == sp.S.Half:
            return f"np.sqrt({self._print(base)})"
        if exp == -sp.S.Half:
            return f"1/np.sqrt({self._print(base)})"
        if exp.is_Integer and exp < -1 and bool_valued(base):
            # SymPy's (m*x)**(-2) is m**(-2)*x**(-2); numpy raises on a bool ** -2
            return f"1/{self.parenthesize(sp.Pow(base, -exp), PRECEDENCE['Mul'], strict=True)}"
        return super()._print_Pow(expr, rational)

    def _print_Float(self, expr: Any) -> str:
        value = float(expr)
        if value != value:
            return "np.nan"
        if value in (float("inf"), float("-inf")):
            return "np.inf" if value > 0 else "-np.inf"
        return repr(value)

    def _print_NaN(self, expr: Any) -> str:
        return "np.nan"

    def _print_Rational(self, expr: Any) -> str:
        return f"{expr.p}/{expr.q}"

    def _print_Pi(self, expr: Any) -> str:
        return "np.pi"

    def _print_Exp1(self, expr: Any) -> str:
        return "np.e"

    def _print_Infinity(self, expr: Any) -> str:
        return "np.inf"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "-np.inf"

    def _print_BooleanTrue(self, expr: Any) -> str:
        return "True"

    def _print_BooleanFalse(self, expr: Any) -> str:
        return "False"

    def _minmax(self, func: str, args: Any) -> str:
        args = list(args)
        text = self.doprint_expr(args[0])
        for a in args[1:]:
            text = f"{func}({text}, {self.doprint_expr(a)})"
        return text

    def _print_Max(self, expr: Any) -> str:
        return self._minmax("np.maximum", expr.args)

    def _print_Min(self, expr: Any) -> str:
        if all(type(a).__name__ == "Len" for a in expr.args):  # zip's trip count
            return f"min({', '.join(self.doprint_expr(a) for a in expr.args)})"
        return self._minmax("np.minimum", expr.args)

    def _print_Heaviside(self, expr: Any) -> str:
        return f"np.heaviside({self.doprint_expr(expr.args[0])}, 0.5)"

    def _print_Piecewise(self, expr: Any) -> str:
        *branches, (last, cond) = expr.args
        arg = self.doprint_expr
        text = arg(last) if cond == sp.true else f"np.where({arg(cond)}, {arg(last)}, np.nan)"
        for value, c in reversed(branches):
            text = f"np.where({arg(c)}, {arg(value)}, {text})"
        return text

    def _print_Relational(self, expr: Any) -> str:
        # any operand binds more tightly than a comparison (relations print their own group)
        return f"({self.doprint_expr(expr.lhs)} {expr.rel_op} {self.doprint_expr(expr.rhs)})"

    def _print_And(self, expr: Any) -> str:
        return " & ".join(self.doprint_atom(a) for a in expr.args)

    def _print_Or(self, expr: Any) -> str:
        return " | ".join(self.doprint_atom(a) for a in expr.args)

    def _print_Not(self, expr: Any) -> str:
        return f"~{self.doprint_atom(expr.args[0])}"

    def _print_Tuple(self, expr: Any) -> str:
        items = [self.doprint_expr(a) for a in expr.args]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


_METHODS: dict[tuple[type, type], Callable[..., str]] = {}  # NumpyPrinter._dispatch's


class _PlainSymbols(dict):
    """printer class -> whether it prints a symbol as StrPrinter does (its name)."""

    def __missing__(self, printer: type) -> bool:
        plain = _print_method(printer, sp.Symbol, printer.printmethod) is \
            StrPrinter._print_Symbol
        self[printer] = plain
        return plain


_PLAIN_SYMBOLS = _PlainSymbols()


def _print_method(printer: type, kind: type, printmethod: str) -> Callable[..., str]:
    """What SymPy's ``Printer._print`` calls to print a node of class ``kind``."""
    if printmethod and hasattr(kind, printmethod):
        return lambda self, expr, **kwargs: getattr(expr, printmethod)(self, **kwargs)
    classes = kind.__mro__
    if AppliedUndef in classes:
        classes = classes[classes.index(AppliedUndef):]
    if UndefinedFunction in classes:
        classes = classes[classes.index(UndefinedFunction):]
    if Function in classes:
        i = classes.index(Function)
        classes = tuple(c for c in classes[:i] if c.__name__ == classes[0].__name__ or
                        c.__name__.endswith("Base")) + classes[i:]
    for cls in classes:
        method = getattr(printer, "_print_" + cls.__name__, None)
        if method is not None:
            return method
    return lambda self, expr, **kwargs: self.emptyPrinter(expr)


_OPERATORS = (sp.Add, sp.Mul, sp.Pow, Relational, sp.And, sp.Or, sp.Not)


def _numpy_valued(expr: Any, names: AbstractSet[str], memo: dict[Any, bool]) -> bool:
    """``NumpyPrinter.is_numpy`` with ``names`` the names bound to numpy values."""
    if isinstance(expr, sp.Symbol):
        return expr.name in names
    known = memo.get(expr)
    if known is None:
        known = memo[expr] = _numpy_node(expr, names, memo)
    return known


def _numpy_node(expr: Any, names: AbstractSet[str], memo: dict[Any, bool]) -> bool:
    if isinstance(expr, sp.Symbol):
        return expr.name in names
    if isinstance(expr, (sp.Piecewise, sp.Heaviside)) or \
            type(expr).__name__ in _NUMPY_FUNCTIONS:
        return True  # np.where, np.heaviside, np.exp, ...: numpy values, of any argument
    if isinstance(expr, (sp.Max, sp.Min)):  # np.maximum, except min(len(a), len(b))
        return not all(type(a).__name__ == "Len" for a in expr.args)
    if isinstance(expr, _OPERATORS):
        return any(_numpy_valued(a, names, memo) for a in expr.args)
    # a structural node says which of its results are numpy values, beside the method that
    # prints it (a subclass that prints otherwise says nothing)
    kind = next((k.__dict__.get("numpy_valued") for k in type(expr).__mro__
                 if "_numpycode" in k.__dict__), None)
    if kind == "always":
        return True
    if kind == "operand":
        return any(_numpy_valued(a, names, memo) for a in expr.args
                   if isinstance(a, sp.Basic))
    if kind == "first":
        return _numpy_valued(expr.args[0], names, memo)
    return False


# the nodes StrPrinter lays out by operator precedence; every other node prints as an atom
# (a relation prints its own parentheses, like an atom)
_LAID_OUT = (sp.Add, sp.Mul, sp.Pow, sp.Number, sp.And, sp.Or)
_NUMBER = re.compile(r"\d+(\.\d*)?(e[-+]?\d+)?")


def _needs_group(expr: Any, text: str) -> bool:
    """Text of a node placed as an atom that is not one: ``x // y``, ``~m``, ``1/np.cos(x)``."""
    return isinstance(expr, sp.Basic) and not isinstance(expr, _LAID_OUT) and \
        not getattr(expr, "is_slice", False) and not is_atomic(text) and \
        not _NUMBER.fullmatch(text)


def is_atomic(text: str) -> bool:
    """No operator at bracket depth 0: names, attributes, calls, subscripts, groups, numbers."""
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and not (ch.isalnum() or ch in "._"):
            return False
    return bool(text)


def _replace_term(text: str, grouped: str, bare: str) -> str:
    """``text`` (a sum) with its whole term ``grouped`` written as ``bare``: only where it
    stands between the sum's own signs, never inside another term."""
    for start in range(len(text)):
        if text.startswith(grouped, start) and \
                (start == 0 or text[max(0, start - 3):start] in (" + ", " - ")) and \
                (start + len(grouped) == len(text) or
                 text[start + len(grouped):start + len(grouped) + 3] in (" + ", " - ")):
            return text[:start] + bare + text[start + len(grouped):]
    return text


def _outer_group_closes_at_end(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def _short_float(r: Any) -> str | None:
    """``0.5`` for 1/2: a rational coefficient that a short float literal states exactly."""
    known = _SHORT.get(r, False)
    if known is False:
        text = repr(float(r))
        known = text if sp.Rational(text) == r and len(text) <= 6 else None
        if len(_SHORT) < 4096:
            _SHORT[r] = known
    return known


_SHORT: dict[Any, str | None] = {}  # _short_float's (the coefficients are few numbers)
