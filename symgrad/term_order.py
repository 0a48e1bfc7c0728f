"""The order in which a sum's terms print: SymPy 1.14's ``Add.as_ordered_terms()`` (what
``StrPrinter`` asks), the same list for less.

SymPy converts each term's numeric coefficient with ``complex(coeff)``, an ``evalf`` of
about 25 microseconds, for every term of every sum printed: on a 1000-statement function
that was half of the sums' printing. The coefficients are few distinct numbers (1, -1, 2.0,
0.5): here each is converted once. Everything else is SymPy's code, step for step
(another SymPy version asks SymPy).
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.core import Add, Basic, Mul
from sympy.core.exprtools import decompose_power
from sympy.core.numbers import Number, NumberSymbol
from sympy.core.singleton import S
from sympy.core.sorting import default_sort_key

_COMPLEX: dict[Any, complex] = {}  # coefficient -> complex(coefficient)
_AS_ORDERED_TERMS = Add.as_ordered_terms
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
    indices = {g: i for i, g in enumerate(sorted(gens, key=_sort_key))}
    result = []
    for term, (coeff, cpart, ncpart) in terms:
        monom = [0] * len(indices)
        for base, exp in cpart.items():
            monom[indices[base]] = exp
        result.append((term, (coeff, tuple(monom), ncpart)))
    return result


def _sort_key(item: Any) -> Any:
    """``default_sort_key(item)`` (which imports two names at every call, then asks a SymPy
    object its ``sort_key()``)."""
    return item.sort_key() if isinstance(item, Basic) else default_sort_key(item)


def _key(term: Any) -> tuple:
    """``Expr._parse_order(None)``'s key: lex order of the monomials, reversed."""
    _, ((re, im), monom, ncpart) = term
    return (_neg(monom), tuple([e.sort_key() for e in ncpart]), ((bool(im), im), (re, im)))


def _neg(monom: tuple) -> tuple:
    return tuple([_neg(m) if isinstance(m, tuple) else -m for m in monom])
