"""SymPy's automatic evaluation, accepted only where it is still what numpy computes.

SymPy evaluates as it builds: ``sqrt(x)**2`` is ``x``, ``exp(log(x))`` is ``x``, ``x - x``
is ``0``. For real scalars that is algebra; for numpy arrays it drops a domain (numpy's
``np.sqrt(x)**2`` is nan where x < 0), a NaN or an inf (inf - inf is nan) and a broadcast
(``y + x - x`` has the shape of both). The IR's expressions are built here, one operation
at a time, and SymPy's result is kept only where it keeps

- every symbol of the operands (no value, hence no shape and no NaN, is dropped);
- every operation that restricts a domain: each function call and each fractional or
  symbolic power of the operands, and the one being built;
- the terms of a sum and the factors of a product apart where they would cancel
  (``2*x - x``, ``x**2/x``): same-sign terms and powers may merge (``x + x`` is ``2*x``);
- the sign of a sum a function is applied to (``sin(b - a)`` is not ``-sin(a - b)``: the
  two differ in the sign of the zero at a = b).

Everything else SymPy does (ordering, flattening, folding numbers, ``x*x`` as ``x**2``)
computes the same numbers up to rounding. Where ``combine`` or ``rebuild`` says no, the
caller gives the operands names of their own, so SymPy cannot see through them.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.core.parameters import distribute, global_parameters

from symgrad.frontend import renaming
from symgrad.rules.base import Static, Structural, free_symbols


def combine(func: Any, *args: Any) -> Any:
    """``func(*args)`` as SymPy evaluates it, or None where that is not numpy's value."""
    return _combined(func, args, False)


def combine_written(func: Any, *args: Any) -> Any:
    """``combine`` for an operator of the source (the lowering's ``a + b``, ``2.0 * v``):
    one on a few nodes is renamed too (``renaming``), since a long function's statements
    repeat a few shapes of them. (A fused region's sums and products, ``combine``'s, are of
    whole regions: they seldom repeat, and renaming them costs more than it saves.)"""
    return _combined(func, args, True)


def _combined(func: Any, args: tuple, written: bool) -> Any:
    key = _memo_key(func, args)
    if key is None:
        return _kept(func, args)
    if key in _COMBINED:
        return _COMBINED[key]
    # Sums and products SymPy builds at once, except a product with an exp's (it asks
    # whether the exponent is zero): that is renamed wherever it is, the others only as a
    # statement writes them (a shape's key holds SymPy's parameters: 2*(a + b) is
    # 2*a + 2*b under distribute(True)). (A renamed node is not in SymPy's cache for a
    # later step that builds it again; that costs less than the lowering saves.)
    shaped = renaming.shape(func, args) if func not in _OPERATORS or \
        written and _small(args) or func is sp.Mul and any(map(_has_exp_factor, args)) \
        else None
    out = _kept(func, args) if shaped is None else \
        renaming.value_of(shaped, args, lambda: _kept(func, args))
    if len(_COMBINED) >= _MEMO_SIZE:
        _COMBINED.clear()
    _COMBINED[key] = out
    return out


# SymPy's own classes (Add, sin, Piecewise, ...) evaluate the same arguments the same way
# under the same global parameters: their value (or refusal) is kept, by (class, arguments,
# distribute, evaluate). A rebuild evaluates again the operands the lowering built, and the
# fusion pass the same expressions at each specialisation. Not symgrad's own nodes (a test
# may replace a rule), and only where equal SymPy expressions are the same expression: SymPy
# before 1.13 has 2.0 == 2, so that 2.0*x would find the value of 2*x.
_COMBINED: dict[tuple, Any] = {}
_MEMO_SIZE = 1 << 16
_EXACT_EQUALITY = sp.Float(2.0) != sp.Integer(2) and sp.Float(0.5) != sp.Rational(1, 2)


def _kept(func: Any, args: tuple) -> Any:
    value = evaluated(func, *args)
    return value if _keeps(func, args, value) else None


def _memo_key(func: Any, args: tuple) -> tuple | None:
    if not _EXACT_EQUALITY or not (func in _OPERATORS or isinstance(func, type) and
                                   func.__module__.startswith("sympy.")):
        return None
    for a in args:
        if not isinstance(a, sp.Basic) or _holds_static(a):
            return None  # (a Static is equal to another of the same repr: a long array's)
    return func, args, global_parameters.distribute, global_parameters.evaluate


@lru_cache(maxsize=1 << 16)
def _holds_static(expr: Any) -> bool:
    return isinstance(expr, Static) or any(map(_holds_static, expr.args))


_OPERATORS = (sp.Add, sp.Mul, sp.Pow)
_SMALL = 8


def _small(args: tuple) -> bool:
    """Whether the operands are of a few nodes in all (``2.0``, ``v``; ``np.tanh(2.0 * a)``,
    ``np.sin(b)``): an operation whose shape repeats, so renaming it costs less than SymPy's
    evaluation; a longer one seldom repeats (``a*b*c + d*e``)."""
    total = 0
    for a in args:
        if not isinstance(a, sp.Basic):
            return False
        total += _nodes(a)
    return total <= _SMALL


@lru_cache(maxsize=1 << 16)
def _nodes(expr: Any) -> int:
    return 1 + sum(map(_nodes, expr.args))


def _has_exp_factor(expr: Any) -> bool:
    return isinstance(expr, sp.exp) or expr.is_Mul and \
        any(isinstance(f, sp.exp) for f in expr.args)


def evaluated(func: Any, *args: Any) -> Any:
    """``func(*args)``; a function (not + * **) with a number distributed over a sum, as
    SymPy expects: under ``distribute(False)`` (see transform), ``-(-u - v)`` stays
    ``-1*(-u - v)`` and an odd function's sign rule (``tanh(-a)`` is ``-tanh(a)``) recurses
    forever between the two spellings."""
    if func in (sp.Add, sp.Mul, sp.Pow) or not any(
            isinstance(a, sp.Basic) and a.has(sp.Add) for a in args):
        return func(*args)
    with distribute(True):
        return func(*args)


def rebuild(expr: Any, mapping: dict[Any, Any] | None = None) -> Any:
    """``expr`` with ``mapping`` substituted (``xreplace``), evaluated bottom-up through
    ``combine``; None where an evaluation on the way is not numpy's value. Applied to an
    expression built under ``sympy.evaluate(False)`` it evaluates it, checked."""
    mapping = mapping or {}
    keys = set(mapping)
    memo: dict[Any, Any] = {}

    def walk(e: Any) -> Any:
        if e in mapping:
            return mapping[e]
        if not e.args or isinstance(e, Static) or keys and not (free_symbols(e) & keys):
            return e  # (with a mapping, what it does not reach is evaluated already)
        if e in memo:
            return memo[e]
        args = []
        for a in e.args:
            new = walk(a)
            if new is None:
                return None
            args.append(new)
        out = combine(e.func, *args)
        memo[e] = out
        return out

    return walk(expr)


def rebuilt_call(func: Any, args: list[Any]) -> Any:
    """``rebuild(func(*args, evaluate=False))``, without making that unevaluated node (a
    SymPy function's: its ``nargs`` set and all, made for every call of a long function)."""
    args = [sp.sympify(a) for a in args]
    if not args:
        return func(evaluate=False)
    built = []
    for a in args:
        new = rebuild(a)
        if new is None:
            return None
        built.append(new)
    return combine(func, *built)


def _keeps(func: Any, args: tuple, value: Any) -> bool:
    if not all(isinstance(a, sp.Basic) for a in args) or not isinstance(value, sp.Basic):
        return True
    if type(value) is func and func is not sp.Add and func is not sp.Mul and \
            value.args == args:
        return True  # built as it is: the operands' values and operations, and its own
    symbols = set().union(*(_values(a) for a in args))
    if not symbols:
        return True  # numbers: constants fold
    if _negates_a_sum(func, args, value):
        return False  # sin(b - a) as -sin(a - b): 0.0 against -0.0 where a = b
    if not symbols <= _values(value):
        return False  # x - x, 0*x, x**0: numpy's shape, NaNs and infs are gone
    need = Counter(_own(func, args))
    for a in args:
        need.update(dict(_operations(a)))
    have = dict(_operations(value))
    if any(have.get(k, 0) < n for k, n in need.items()):
        return False  # sqrt(x)**2, exp(log(x)), sqrt(x**2): a domain is gone
    if func is sp.Add:
        return not _cancels(args, _terms)
    if func is sp.Mul:
        return not _cancels(args, _factors)
    return True


def _negates_a_sum(func: Any, args: tuple, value: Any) -> bool:
    """Whether ``value`` is an odd function's sign rule applied to a sum: SymPy builds
    ``sin(b - a)`` as ``-sin(a - b)`` (and atan, tanh, erf, ... alike), which is -0.0 where
    numpy's is 0.0 (a = b); a division or atan2 downstream makes that -inf or -pi. (Of a
    product it is exact: ``sin(-2*x)`` is ``-sin(2*x)``.)"""
    if func in _OPERATORS or not any(isinstance(a, sp.Add) for a in args) or \
            not value.could_extract_minus_sign():
        return False
    inner = -value
    return type(inner) is func and inner.args != args


@lru_cache(maxsize=1 << 16)
def _values(expr: Any) -> frozenset:
    """The values ``expr`` computes with: its symbols and its constant arrays
    (``np.array([True, True])``, ``np.log(-0.3)``), each with a shape, NaNs or infs."""
    return free_symbols(expr) | _constant_arrays(expr)


@lru_cache(maxsize=1 << 17)
def _constant_arrays(expr: Any) -> frozenset:
    """``expr.atoms(Structural)`` without free symbols, from its arguments' (memoised by
    subexpression: an expression built from its operands has most of them already)."""
    own = frozenset((expr,)) if isinstance(expr, Structural) and not free_symbols(expr) \
        else _NONE
    if not expr.args:
        return own
    return own.union(*map(_constant_arrays, expr.args))


_NONE: frozenset = frozenset()


def _cancels(args: tuple, parts: Any) -> bool:
    """Whether two operands have a like term (or factor) of opposite sign, which SymPy would
    merge: ``2*x - x`` is x but inf - inf is nan; ``x**2/x`` is x but 0/0 is nan."""
    seen: dict[Any, Any] = {}
    for a in args:
        for key, sign in parts(a):
            if key in seen and (sign is None or seen[key] is None or seen[key] != sign):
                return True
            seen[key] = sign
    return False


def _terms(expr: Any) -> Any:
    for t in sp.Add.make_args(expr):
        coeff, rest = t.as_coeff_Mul()
        yield rest, _sign(coeff)


def _factors(expr: Any) -> Any:
    for f in sp.Mul.make_args(expr):
        if f.is_Number:
            continue  # numbers fold
        base, exp = f.as_base_exp() if f.is_Pow else (f, sp.S.One)
        yield base, exp if not exp.is_Number else _sign(exp)


def _sign(number: Any) -> Any:
    if number.is_extended_positive:
        return 1
    if number.is_extended_negative:
        return -1
    return None  # zero or nan: anything merged with it changes


def _own(func: Any, args: tuple) -> list[Any]:
    """The domain-restricting operation ``func(*args)`` performs itself."""
    if func is sp.Pow:
        key = _power_key(args[1])
        return [] if key is None or not args[0].free_symbols and not args[1].free_symbols \
            else [key]
    if func in (sp.Add, sp.Mul) or not any(getattr(a, "free_symbols", None) for a in args):
        return []
    if isinstance(func, type) and issubclass(func, (sp.Function, sp.Piecewise)) or \
            func in (sp.Max, sp.Min):
        return [func.__name__]
    return []


def _power_key(exp: Any) -> Any:
    if exp.is_Integer:
        return None
    if exp.is_Number:
        return ("pow", abs(exp))  # x**(-1/2) is 1/sqrt(x): the same domain as sqrt(x)
    return ("pow", -exp if exp.could_extract_minus_sign() else exp)


@lru_cache(maxsize=1 << 17)
def _operations(expr: Any) -> tuple[tuple[Any, int], ...]:
    """The domain-restricting operations in ``expr`` that depend on a value, counted (each
    occurrence), from its arguments' (memoised by subexpression)."""
    if isinstance(expr, Static) or not free_symbols(expr):
        return ()  # numbers fold
    own = None
    if expr.is_Pow:
        own = _power_key(expr.exp)
    elif isinstance(expr, (sp.Function, sp.Piecewise, sp.Max, sp.Min)):
        own = type(expr).__name__
    parts = [p for p in map(_operations, expr.args) if p]
    if not parts:
        return () if own is None else ((own, 1),)
    if own is None and len(parts) == 1:
        return parts[0]
    found: Counter = Counter()
    if own is not None:
        found[own] += 1
    for p in parts:
        for k, n in p:
            found[k] += n
    return tuple(found.items())
