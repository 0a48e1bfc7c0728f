"""Print SymPy expressions as numpy code that keeps the input dtype (Python literals only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symgrad.rules.masks import bool_valued

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
                 is_scalar: Callable[[Any], bool] | None = None) -> None:
        super().__init__(settings)
        self.helpers: set[str] = set()
        self.is_scalar = is_scalar  # shape knowledge from the adjoint, when it has some

    def use_helper(self, name: str) -> None:
        self.helpers.add(name)

    def doprint_expr(self, expr: Any) -> str:
        return self._print(expr)

    def doprint_atom(self, expr: Any) -> str:
        """Print ``expr`` so that ``.attr``, ``[i]`` or ``@`` can follow it safely."""
        text = self._print(expr)
        return text if is_atomic(text) else f"({text})"

    def statement(self, expr: Any) -> str:
        """Print a whole right-hand side: no redundant outer parentheses."""
        text = self._print(expr)
        if getattr(expr, "is_slice", False):  # a slice pulled out of x[a:b] into a name
            return f"np.s_[{text}]"
        if text.startswith("(") and text.endswith(")") and is_atomic(text) and \
                _outer_group_closes_at_end(text):
            return text[1:-1]
        return text

    def _print_Function(self, expr: Any) -> str:
        name = type(expr).__name__
        func = _NUMPY_FUNCTIONS.get(name)
        if func is None:
            raise TypeError(f"no numpy spelling for {name}")
        return f"{func}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Mul(self, expr: Any) -> str:
        """Scalar factors first: numpy evaluates ``a*b*c`` left to right, so
        ``6*grad_out/np.size(x)*t0`` makes one pass over the array where
        ``6*grad_out*t0/np.size(x)`` makes two."""
        if self.is_scalar is None:
            return super()._print_Mul(expr)
        coeff, factors = expr.as_coeff_mul()
        scalars = [f for f in factors if self.is_scalar(f)]
        arrays = [f for f in factors if f not in scalars]
        if not arrays or not scalars and (coeff.is_Integer or not coeff.is_Rational) or \
                all(f.is_Pow and f.exp.is_negative for f in arrays):
            return super()._print_Mul(expr)  # (g/t3 already divides the scalar first)
        parts = scalars if coeff == 1 else [coeff, *scalars]
        if len(parts) > 1:  # a product reads left to right: safe before '*' unparenthesized
            text = super()._print_Mul(sp.Mul(*parts, evaluate=False))
        elif coeff != 1:
            text = _short_float(coeff) or self._print(coeff)
        else:
            text = self.parenthesize(parts[0], PRECEDENCE["Mul"])
        if text == "-1":
            text = "-"
        elif text != "1":
            text += "*"
        # a product that starts with a minus sign ranks as a sum: parenthesized after '*'
        return text + self.parenthesize(sp.Mul(*arrays), PRECEDENCE["Mul"], strict=True)

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
        text = self._print(args[0])
        for a in args[1:]:
            text = f"{func}({text}, {self._print(a)})"
        return text

    def _print_Max(self, expr: Any) -> str:
        return self._minmax("np.maximum", expr.args)

    def _print_Min(self, expr: Any) -> str:
        if all(type(a).__name__ == "Len" for a in expr.args):  # zip's trip count
            return f"min({', '.join(self._print(a) for a in expr.args)})"
        return self._minmax("np.minimum", expr.args)

    def _print_Heaviside(self, expr: Any) -> str:
        return f"np.heaviside({self._print(expr.args[0])}, 0.5)"

    def _print_Piecewise(self, expr: Any) -> str:
        *branches, (last, cond) = expr.args
        text = self._print(last) if cond == sp.true else \
            f"np.where({self._print(cond)}, {self._print(last)}, np.nan)"
        for value, c in reversed(branches):
            text = f"np.where({self._print(c)}, {self._print(value)}, {text})"
        return text

    def _print_Relational(self, expr: Any) -> str:
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr: Any) -> str:
        return " & ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr: Any) -> str:
        return " | ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr: Any) -> str:
        return f"~({self._print(expr.args[0])})"

    def _print_Tuple(self, expr: Any) -> str:
        items = [self._print(a) for a in expr.args]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


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
    text = repr(float(r))
    return text if sp.Rational(text) == r and len(text) <= 6 else None
