"""SymPy 1.14's ``StrPrinter._print_Mul``, the same text for less: its sign tests on
numbers (``c < 0``, SymPy's comparison, a sympify and a Boolean each) asked of a
rational as ``c.p < 0``, its precedence looked up as ``symgrad.precedence`` does, its
factors ordered by ``term_order.ordered_factors``.
An unevaluated product (SymPy's other branch) and any other SymPy version: SymPy's own."""

from __future__ import annotations

from typing import Any

import sympy
from sympy.core import Mul, Pow, S
from sympy.core.mul import _keep_coeff
from sympy.core.numbers import Number, Rational
from sympy.printing.str import StrPrinter

from symgrad.precedence import precedence
from symgrad.term_order import ordered_factors

_CHECKED = sympy.__version__ == "1.14.0"  # the version whose code this repeats


def print_mul(printer: Any, expr: Any) -> str:
    """``StrPrinter._print_Mul(printer, expr)``."""
    args = expr.args
    if not _CHECKED or args[0] is S.One or any(
            isinstance(a, Number) or a.is_Pow and all(ai.is_Integer for ai in a.args)
            for a in args[1:]):
        return StrPrinter._print_Mul(printer, expr)
    prec = precedence(expr)
    c, e = expr.as_coeff_Mul()
    if _negative(c):
        expr = _keep_coeff(-c, e)
        sign = "-"
    else:
        sign = ""
    a: list = []  # items in the numerator
    b: list = []  # items that are in the denominator (if any)
    pow_paren = []  # Pow with more than one base element and exp = -1
    if printer.order not in ("old", "none"):
        args = ordered_factors(expr)
    else:
        args = Mul.make_args(expr)
    for item in args:
        if item.is_commutative and isinstance(item, Pow) and \
                _negative(item.exp.as_coeff_Mul()[0]):
            if item.exp is not S.NegativeOne:
                b.append(_apow(item))
            else:
                if len(item.args[0].args) != 1 and isinstance(item.base, (Mul, Pow)):
                    pow_paren.append(item)  # (SymPy's #14160)
                b.append(item.base)
        elif item.is_Rational and item is not S.Infinity:
            if item.p != 1:
                a.append(Rational(item.p))
            if item.q != 1:
                b.append(Rational(item.q))
        else:
            a.append(item)
    a = a or [S.One]
    a_str = [printer.parenthesize(x, prec, strict=False) for x in a]
    b_str = [printer.parenthesize(x, prec, strict=False) for x in b]
    for item in pow_paren:
        if item.base in b:
            b_str[b.index(item.base)] = f"({b_str[b.index(item.base)]})"
    if not b:
        return sign + "*".join(a_str)
    if len(b) == 1:
        return sign + "*".join(a_str) + "/" + b_str[0]
    return sign + "*".join(a_str) + f"/({'*'.join(b_str)})"


def _negative(c: Any) -> bool:
    """``bool(c < 0)`` for a number ``c``."""
    if c.is_Rational:
        return c.p < 0
    return bool(c < 0)


def _apow(i: Any) -> Any:
    b, e = i.as_base_exp()
    eargs = list(Mul.make_args(e))
    if eargs[0] is S.NegativeOne:
        eargs = eargs[1:]
    else:
        eargs[0] = -eargs[0]
    e = Mul._from_args(eargs)
    if isinstance(i, Pow):
        return i.func(b, e, evaluate=False)
    return i.func(e, evaluate=False)
