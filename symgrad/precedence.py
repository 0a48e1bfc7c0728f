"""SymPy's ``precedence(item)`` (``sympy.printing.precedence``), the same number for less:
the printer asks it of every operand it places. SymPy looks the rule up along the item's
MRO each time, and a product's rule asks ``could_extract_minus_sign``, which negates the
product (a new Mul) to compare it with itself; here the rule is looked up once per class,
and the product is negated only where its first factor is a negative number (the only case
where the answer can be yes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from sympy.core import Mul
from sympy.core.function import Function
from sympy.printing.precedence import (
    PRECEDENCE,
    PRECEDENCE_FUNCTIONS,
    PRECEDENCE_VALUES,
    precedence_Mul,
)
from sympy.printing.precedence import precedence as sympy_precedence

_MUL, _ADD = PRECEDENCE["Mul"], PRECEDENCE["Add"]
_MUL_MINUS = Mul.could_extract_minus_sign
_RULES: dict[type, int | Callable[[Any], int]] = {}
_CHECKED = sympy.__version__ == "1.14.0"  # the version whose rules these repeat


def precedence(item: Any) -> int:
    """``sympy.printing.precedence.precedence(item)``."""
    if not _CHECKED:
        return sympy_precedence(item)
    if hasattr(item, "precedence"):
        return item.precedence
    if isinstance(item, type):
        return sympy_precedence(item)
    kind = type(item)
    rule = _RULES.get(kind)
    if rule is None:
        rule = _RULES[kind] = _rule(kind)
    return rule if isinstance(rule, int) else rule(item)


def _rule(kind: type) -> int | Callable[[Any], int]:
    for cls in kind.mro():
        name = cls.__name__
        if name in PRECEDENCE_FUNCTIONS:
            rule = PRECEDENCE_FUNCTIONS[name]
            return _precedence_mul if rule is precedence_Mul else rule
        if name in PRECEDENCE_VALUES:
            return PRECEDENCE_VALUES[name]
    return PRECEDENCE["Atom"]


def _precedence_mul(item: Any) -> int:
    """``precedence_Mul``."""
    if any(hasattr(arg, "precedence") and isinstance(arg, Function) and arg.precedence < _MUL
           for arg in item.args):
        return _MUL
    return _ADD if extracts_minus(item) else _MUL


def extracts_minus(item: Any) -> bool:
    """``item.could_extract_minus_sign()``; for a product (SymPy's: false where
    ``item == -item``, else whether its first factor is a negative number) without making
    ``-item`` unless the first factor is a negative number."""
    if type(item).could_extract_minus_sign is not _MUL_MINUS:
        return item.could_extract_minus_sign()
    c = item.args[0]
    return bool(c.is_Number and c.is_extended_negative) and not item == -item
