"""The order in which a sum's terms and a product's factors print: SymPy 1.14's
``Add.as_ordered_terms()`` and ``Mul.as_ordered_factors()`` (what ``StrPrinter`` asks), the
same lists for less.

SymPy converts each term's numeric coefficient with ``complex(coeff)``, an ``evalf`` of
about 25 microseconds, for every term of every sum printed: on a 1000-statement function
that was half of the sums' printing. The coefficients are few distinct numbers (1, -1, 2.0,
0.5): here each is converted once. The sort keys the two sort by (``Expr.sort_key``, which
orders a sum's terms SymPy's way again for each sum in a key) are made here the same way,
with the sums in them ordered by `ordered_terms`. Everything else is SymPy's code, step for
step (another SymPy version asks SymPy).
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.core import Add, Basic, Expr, Function, Mul
from sympy.core.exprtools import decompose_power
from sympy.core.numbers import Number, NumberSymbol
from sympy.core.singleton import S
from sympy.core.sorting import default_sort_key

_COMPLEX: dict[Any, complex] = {}  # coefficient -> complex(coefficient)
_KEYS: dict[Any, tuple] = {}  # expression -> sort_key(expression)
_AS_ORDERED_TERMS = Add.as_ordered_terms
_AS_ORDERED_FACTORS = Mul.as_ordered_factors
_EXPR_SORT_KEY = Expr.sort_key
_CHECKED = sympy.__version__ == "1.14.0"  # the version whose code this repeats


def ordered_terms(expr: Any) -> list:
    """``expr.as_ordered_terms()`` (``order=None``)."""
    if not _CHECKED or type(expr).as_ordered_terms is not _AS_ORDERED_TERMS or \
            type(expr).as_terms is not Add.as_terms:
        return expr.as_ordered_terms()
    add_args = sorted(Add.make_args(expr), key=_not_number)
    if len(add_args) == 2 and isinstance(add_args[0], (Number, NumberSymbol)) and \
            isinstance(add_args[1], Mul):
        # (SymPy's special case: a positive number, then a number times an expression)
        mul_args = sorted(Mul.make_args(add_args[1]), key=_not_number)
        if len(mul_args) == 2 and isinstance(mul_args[0], Number) and \
                add_args[0].is_positive and mul_args[0].is_negative:
            return add_args
    terms = _as_terms(expr)
    if any(term.is_Order for term, _ in terms):
        return expr.as_ordered_terms()
    return [term for term, _ in sorted(terms, key=_key)]


def _not_number(x: Any) -> bool:
    return not isinstance(x, (Number, NumberSymbol))


def _complex(coeff: Any) -> complex:
    known = _COMPLEX.get(coeff)
    if known is None:
        known = complex(coeff)
        if len(_COMPLEX) < 4096:
            _COMPLEX[coeff] = known
    return known


def _as_terms(expr: Any) -> list:
    """``Expr.as_terms()``'s first result."""
    gens, terms = set(), []
    for term in Add.make_args(expr):
        coeff, _term = term.as_coeff_Mul()
        coeff = _complex(coeff)
        cpart, ncpart = {}, []
        if _term is not S.One:
            for factor in Mul.make_args(_term):
                if factor.is_number:
                    try:
                        coeff *= complex(factor)
                    except (TypeError, ValueError):
                        pass
                    else:
                        continue
                if factor.is_commutative:
                    base, exp = decompose_power(factor)
                    cpart[base] = exp
                    gens.add(base)
                else:
                    ncpart.append(factor)
        terms.append((term, ((coeff.real, coeff.imag), cpart, tuple(ncpart))))
    indices = {g: i for i, g in enumerate(sorted(gens, key=sort_key))}
    result = []
    for term, (coeff, cpart, ncpart) in terms:
        monom = [0] * len(indices)
        for base, exp in cpart.items():
            monom[indices[base]] = exp
        result.append((term, (coeff, tuple(monom), ncpart)))
    return result


def ordered_factors(expr: Any) -> list:
    """``expr.as_ordered_factors()`` of a product (``order=None``)."""
    if not _CHECKED or type(expr).as_ordered_factors is not _AS_ORDERED_FACTORS:
        return expr.as_ordered_factors()
    cpart, ncpart = expr.args_cnc()
    cpart.sort(key=sort_key)
    return cpart + ncpart


def sort_key(item: Any) -> Any:
    """``default_sort_key(item)``: SymPy's ``Expr.sort_key()`` (``order=None``), its sums'
    terms and products' factors ordered by `ordered_terms` and `ordered_factors`; what a
    class of its own makes (a symbol's, a number's) asked of it."""
    if not isinstance(item, Basic):
        return default_sort_key(item)
    if not _CHECKED or type(item).sort_key is not _EXPR_SORT_KEY:
        return item.sort_key()
    known = _KEYS.get(item)
    if known is None:
        known = _expr_sort_key(item)
        if len(_KEYS) < 1 << 16:
            _KEYS[item] = known
    return known


def _expr_sort_key(self: Any) -> tuple:
    """SymPy 1.14's ``Expr.sort_key(self)``."""
    coeff, expr = self.as_coeff_Mul()
    if expr.is_Pow:
        base, exp = expr.as_base_exp()
        if base is S.Exp1:  # (SymPy: E**x sorts as the function exp(x))
            base, exp = Function("exp")(exp), S.One
        expr = base
    else:
        exp = S.One
    if expr.is_Dummy:
        args = (expr.sort_key(),)
    elif expr.is_Atom:
        args = (str(expr),)
    else:
        if expr.is_Add:
            args = ordered_terms(expr)
        elif expr.is_Mul:
            args = ordered_factors(expr)
        else:
            args = expr.args
        args = tuple([sort_key(arg) for arg in args])
    args = (len(args), tuple(args))
    return expr.class_key(), args, sort_key(exp), coeff



def _key(term: Any) -> tuple:
    """``Expr._parse_order(None)``'s key: lex order of the monomials, reversed."""
    _, ((re, im), monom, ncpart) = term
    return (_neg(monom), tuple([sort_key(e) for e in ncpart]), ((bool(im), im), (re, im)))


def _neg(monom: tuple) -> tuple:
    return tuple([_neg(m) if isinstance(m, tuple) else -m for m in monom])
