"""The SymPy-side tidying of derivatives, shared by the adjoint and the eager vjp table.

Below the pipeline: it imports only SymPy and the rules, so that ``symgrad.rules`` can print
its vjps without importing the adjoint.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.core.parameters import global_parameters

from symgrad.factor_terms import factor_terms
from symgrad.rules import masks


def clean(expr: Any) -> Any:
    """Drop what sympy.diff leaves at non-differentiable points (DiracDelta) and mask the
    cotangent of a where."""
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *a: sp.Integer(0))
    expr = masks.where_of_cotangent(expr)
    if any(isinstance(p, sp.Pow) and not p.exp.is_Number for p in expr.atoms(sp.Pow)):
        expr = sp.powsimp(expr)  # y*x**y/x -> y*x**(y - 1): finite at x = 0
    if expr.has(sp.exp):
        expr = expr.replace(lambda e: e.is_Mul, _stable_logistic_slope)
    return expr


def _stable_logistic_slope(product: Any) -> Any:
    """``exp(a)/(1 + exp(a))**2`` (the slope of ``1/(1 + exp(-a))``) overflows to inf/inf
    for large ``|a|``; ``(1 - tanh(a/2)**2)/4`` is the same number and saturates to 0, as
    torch's sigmoid backward does."""
    factors = list(product.args)
    for p in factors:
        if not (p.is_Pow and p.exp == -2 and p.base.is_Add and len(p.base.args) == 2):
            continue
        one, e = sorted(p.base.args, key=lambda t: not t.is_Number)
        if one == 1 and isinstance(e, sp.exp) and e in factors:
            rest = list(factors)
            rest.remove(p)
            rest.remove(e)
            return sp.Mul(*rest) * (1 - sp.tanh(e.args[0] / 2) ** 2) / 4
    return product


# ``sympy.factor`` costs grows with the number of variables of the polynomial it factors
# (up to 0.1 s an adjoint at 10 of them), and on adjoints of that size it practically never
# gives a shorter form than ``factor_terms``; within these bounds it is a few milliseconds.
_FACTOR_MAX_OPS = 40
_FACTOR_MAX_VARIABLES = 3


def simplify_adjoint(expr: Any) -> Any:
    """Cheap, predictable simplification: the shorter of collected and factored forms.

    Memoised: the sweep simplifies equal expressions again (a contribution, then the sum it
    is part of), and a process transforms many functions with the same adjoints."""
    if isinstance(expr, (sp.Symbol, sp.Number)):
        return expr
    return _simplified(expr, global_parameters.distribute)


@lru_cache(maxsize=4096)
def _simplified(expr: Any, distribute: bool) -> Any:  # (distribute: part of the key)
    best = factor_terms(expr)  # (SymPy's, memoised per subexpression)
    if _skeleton_variables(best) > _FACTOR_MAX_VARIABLES:
        return best  # (before count_ops: most adjoints have more variables)
    ops = sp.count_ops(best)
    if ops < _FACTOR_MAX_OPS:
        try:
            factored = _factor_outside_functions(best)
        except (sp.PolynomialError, NotImplementedError, TypeError):  # pragma: no cover
            factored = None
        if factored is not None and sp.count_ops(factored) < ops:
            best = factored
    return best


def _skeleton_variables(expr: Any) -> int:
    """The number of variables of the polynomial ``_factor_outside_functions`` factors
    (its symbols and held nodes), counted without building it."""
    seen: set[Any] = set()

    def visit(e: Any) -> None:
        if isinstance(e, (sp.Add, sp.Mul)) or e.is_Pow and e.exp.is_Integer:
            for a in e.args:
                visit(a)
        elif e.is_Atom:
            seen.update(e.free_symbols)
        else:
            seen.add(("held", e))

    visit(expr)
    return len(seen)


def _factor_outside_functions(expr: Any) -> Any | None:
    """``sympy.factor`` of the + * ** skeleton of ``expr``, every other node held as a symbol.

    ``factor`` expands inside function arguments (``tanh(2*(x - y))`` becomes
    ``tanh(2*x - 2*y)``), which rewrites the user's arguments and, under the pipeline's
    ``distribute(False)``, can make an odd function's sign rule (``tanh(-a) = -tanh(a)``)
    recurse forever on an expanded argument. Holding each function application as a symbol
    keeps the arguments as written, and the polynomial to factor small. None where it has
    more than ``_FACTOR_MAX_VARIABLES`` variables.
    """
    held: dict[Any, Any] = {}

    def skeleton(e: Any) -> Any:
        if isinstance(e, (sp.Add, sp.Mul)) or e.is_Pow and e.exp.is_Integer:
            args = [skeleton(a) for a in e.args]
            return e.func(*args) if args != list(e.args) else e
        if e.is_Atom:
            return e
        if e not in held:
            held[e] = sp.Dummy(real=True)
        return held[e]

    polynomial = skeleton(expr)
    if len(polynomial.free_symbols) > _FACTOR_MAX_VARIABLES:
        return None
    factored = sp.factor(polynomial)
    return factored.xreplace({d: e for e, d in held.items()}) if held else factored
