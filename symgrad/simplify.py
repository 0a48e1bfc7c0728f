"""The SymPy-side tidying of derivatives, shared by the adjoint and the eager vjp table.

Below the pipeline: it imports only SymPy, the rules, ``symgrad.factor_terms`` (SymPy's
factor_terms, memoised) and ``frontend.renaming`` (SymPy's answers by shape), so that
``symgrad.rules`` can print its vjps without importing the adjoint. What it computes is
plain SymPy's (``tests/test_simplify_equivalence.py``); the fast paths only skip work
whose result is known, or known from an adjoint of the same shape (``frontend.renaming``;
``tests/test_simplify_shapes.py``).
"""

from __future__ import annotations

from functools import cmp_to_key, lru_cache
from typing import Any

import sympy as sp
from sympy.core.parameters import global_parameters
from sympy.polys.polyutils import _re_gen as _RE_GEN
from sympy.polys.polyutils import _sort_gens

from symgrad.factor_terms import factor_terms
from symgrad.frontend import renaming
from symgrad.rules import masks
from symgrad.rules.base import free_symbols


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


def cleaned_by_clean(node: Any) -> bool:
    """Whether ``clean`` may rewrite ``node`` itself: a DiracDelta, a where, a symbolic
    power (powsimp) or a power -2 of a two-term sum (a logistic slope). The sweep skips
    ``clean`` of an adjoint with no such node (``adjoint.kinds``): add here what clean
    learns to rewrite."""
    return isinstance(node, (sp.DiracDelta, masks.Where)) or node.is_Pow and (
        not node.exp.is_Number or node.exp == -2 and node.base.is_Add and
        len(node.base.args) == 2)


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
    """``_computed(expr)``, known from an adjoint of the same shape where one was seen
    (``frontend.renaming``: a shape is trusted once a second adjoint of it confirmed
    the first's value, renamed)."""
    shaped = _shape(expr, distribute)
    if shaped is None:
        return _computed(expr)
    return renaming.value_of(shaped, expr.args, lambda: _computed(expr))


_SHAPE_MAX_SYMBOLS = 3
_SIMPLIFIED = "simplify_adjoint"  # (its keys in renaming.SHAPES, apart from exact.combine's)


def _shape(expr: Any, distribute: bool) -> tuple[tuple, list[Any]] | None:
    """``(key, symbols)`` of ``expr``'s shape (``renaming.shape``), the key holding
    ``sympy.factor``'s order of generators too: unlike SymPy's other orders it reads the
    digits ending a name as a number (``v9`` before ``v10``). None where ``expr`` takes
    no part."""
    if len(free_symbols(expr)) > _SHAPE_MAX_SYMBOLS:
        return None
    shaped = renaming.shape(expr.func, expr.args)
    if shaped is None:
        return None
    (func, args), symbols = shaped
    if any(s.name.startswith("_Dummy") for s in symbols) or _gens_tie(symbols):
        return None  # (sorting among the held nodes' Dummies: _gens_order)
    return ((_SIMPLIFIED, func, bool(distribute), _gens_order(symbols)), args), symbols


def _gens_order(symbols: list[Any]) -> tuple[int, ...]:
    """Where ``_sort_gens`` puts each of ``symbols`` and the Dummies that stand for held
    nodes (all of them together: they are ordered by their numbers alone, and none of
    ``symbols`` is named like them)."""
    held = _HELD_SENTINEL
    order = _sort_gens([*symbols, held])
    rank = {v: i for i, v in enumerate(order)}
    return tuple(rank[v] for v in symbols) + (rank[held],)


_HELD_SENTINEL = sp.Dummy(real=True)


def _gens_tie(variables: list[Any]) -> bool:
    """Whether ``_sort_gens`` ties two of ``variables`` (``x`` and ``x0``, ``x1`` and
    ``x01``: one name, one number): it then keeps them in the order it was given them,
    which inside ``sympy.factor`` is a set's (their hashes'), not an order of their names."""
    keys = set()
    for v in variables:
        name, index = _RE_GEN.match(str(v)).groups()
        keys.add((name, int(index) if index else 0))
    return len(keys) != len(variables)


def _computed(expr: Any) -> Any:
    """The shorter of ``factor_terms(expr)`` and its factored form."""
    best = factor_terms(expr)  # (SymPy's, memoised per subexpression)
    variables, monomial = _skeleton(best)
    if variables > _FACTOR_MAX_VARIABLES or monomial:
        # (before count_ops; sympy.factor of a monomial is the monomial)
        return best
    ops = sp.count_ops(best)
    if ops < _FACTOR_MAX_OPS:
        try:
            factored = _factor_outside_functions(best)
        except (sp.PolynomialError, NotImplementedError, TypeError):  # pragma: no cover
            factored = None
        if factored is not None and sp.count_ops(factored) < ops:
            best = factored
    return best


def _skeleton(expr: Any) -> tuple[int, bool]:
    """The number of variables of the polynomial ``_factor_outside_functions`` factors
    (its symbols and held nodes), and whether it is a monomial (has no sum), found
    without building it."""
    seen: set[Any] = set()
    sums = False

    def visit(e: Any) -> None:
        nonlocal sums
        if isinstance(e, (sp.Add, sp.Mul)) or e.is_Pow and e.exp.is_Integer:
            sums = sums or isinstance(e, sp.Add)
            for a in e.args:
                visit(a)
        elif e.is_Atom:
            seen.update(e.free_symbols)
        else:
            seen.add(("held", e))

    visit(expr)
    return len(seen), not sums


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
    factored = _factor(polynomial)
    return factored.xreplace({d: e for e, d in held.items()}) if held else factored


# sympy.factor of the skeletons seen, each with its variables renamed in order (the
# adjoints of a long function have a few dozen skeletons: ``g*(1 - v**2)``, ``g*v*w/2``)
_FACTORED: dict[Any, Any] = {}
_PLACEHOLDERS: dict[Any, Any] = {}


def _factor(polynomial: Any) -> Any:
    """``sympy.factor(polynomial)``, remembered up to a renaming of its variables.

    ``factor`` sees its variables' names only through the orders they sort in (its own
    order of generators, SymPy's canonical order of sums and products, and
    ``default_sort_key``) and their assumptions: two polynomials alike but for
    variables renamed so that all three orders and the assumptions stay are factored
    alike. Not under ``distribute(True)``, where rebuilding a factored form can
    distribute a number that ``factor`` left outside a sum."""
    variables = list(polynomial.free_symbols)
    if global_parameters.distribute or not variables:
        return sp.factor(polynomial)
    by_key = sorted(variables, key=sp.default_sort_key)
    keys = [sp.default_sort_key(v) for v in by_key]
    if len(set(keys)) != len(keys):
        return sp.factor(polynomial)  # (ties: the order would be the set's)
    rank = {v: i for i, v in enumerate(by_key)}
    compared = sorted(variables, key=cmp_to_key(sp.Basic.compare))
    gens = _sort_gens(variables)
    if len({str(v) for v in variables}) != len(variables) or _gens_tie(variables):
        return sp.factor(polynomial)
    placeholders = [_placeholder(i, v) for i, v in enumerate(by_key)]
    canonical = polynomial.xreplace(dict(zip(by_key, placeholders, strict=True)))
    key = (canonical, tuple(rank[v] for v in compared), tuple(rank[v] for v in gens))
    cached = _FACTORED.get(key)
    if cached is None:
        factored = sp.factor(polynomial)
        if len(_FACTORED) > 4096:
            _FACTORED.clear()
        _FACTORED[key] = factored.xreplace(dict(zip(by_key, placeholders, strict=True)))
        return factored
    return cached.xreplace(dict(zip(placeholders, by_key, strict=True)))


def _placeholder(i: int, variable: Any) -> Any:
    """The ``i``-th placeholder with ``variable``'s assumptions and kind (a Dummy, as
    a held node's, sorts apart from a Symbol)."""
    kind = type(variable)
    key = (i, kind, tuple(sorted(variable.assumptions0.items())))
    if key not in _PLACEHOLDERS:
        _PLACEHOLDERS[key] = sp.Dummy(f"c{i}", **variable.assumptions0)
    return _PLACEHOLDERS[key]
