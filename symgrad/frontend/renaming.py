"""SymPy's value of an operation, known from an operation of the same shape on other names.

SymPy sees the name of a symbol only through the order of names: it sorts the terms of a sum
and the factors of a product by them, and compares sort keys (``tanh(b - a)`` is
``-tanh(a - b)`` because ``a`` sorts first). Renaming the symbols of an operation in a way
that keeps their order and their assumptions renames SymPy's value of it the same way. A long
function computes a few shapes many times over (``np.tanh(2.0 * v)`` for a hundred ``v``):
``exact.combine`` evaluates a shape once, on probe symbols standing for the operation's
symbols in their order, and renames that value back for each operation of the shape. Any
other operation on SymPy's expressions whose value sees names only through their order can
do the same: ``value_of(shape_of(op, args), args, compute)`` (the sweep's partials,
``derivative.scaled_derivatives``); its value may be an expression or a tuple of them.

A shape is trusted only once it has been checked: its first two operations are evaluated
as written, and the shape is kept only where the second's value is the first's renamed
(``SHAPES`` marks the others ``UNSAFE``, and every operation of such a shape is evaluated as
written). Only SymPy's own arithmetic and functions of real symbols and
numbers take part: symgrad's nodes (a rule may change), constant arrays (``Static``) and
symbols with other assumptions are evaluated as written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.core.function import DefinedFunction
from sympy.core.parameters import global_parameters

from symgrad.rules.base import free_symbols

UNSAFE = object()  # a shape whose value is not its first operation's, renamed
SHAPES: dict[tuple, Any] = {}  # shape key -> the probes' value (None: refused), or UNSAFE
_MAX_SHAPES = 1 << 14
_REAL = sp.Symbol("_", real=True).assumptions0
_PROBES: list[Any] = []
_PROBES_LOCK = threading.Lock()


def probes(n: int) -> list[Any]:
    """The first ``n`` probe symbols: real, and named in the order of their numbers (made
    under a lock: two threads adding the same number would make two probes one symbol,
    and renaming would merge two names into one)."""
    if len(_PROBES) < n:
        with _PROBES_LOCK:
            while len(_PROBES) < n:
                _PROBES.append(sp.Symbol(f"_symgrad_probe{len(_PROBES):06d}", real=True))
    return _PROBES[:n]


def evaluates_as_sympy(func: Any) -> bool:
    """SymPy's + * ** or one of its functions (``sin``, ``tanh``, ``exp``, ``Abs``...)."""
    return func in (sp.Add, sp.Mul, sp.Pow) or isinstance(func, type) and \
        issubclass(func, DefinedFunction) and func.__module__.startswith("sympy.functions.")


@lru_cache(maxsize=1 << 16)
def native(expr: Any) -> bool:
    """Whether ``expr`` is made of real symbols, SymPy's numbers (pi, E too), + * ** and
    SymPy's functions only: what ``renamed`` rebuilds exactly."""
    kind = type(expr)
    if kind is sp.Symbol:
        return expr.assumptions0 == _REAL
    if not expr.args:
        return kind.__module__ == "sympy.core.numbers"
    return evaluates_as_sympy(kind) and all(map(native, expr.args))


class Shape:
    """What is known of a shape: its first operation (``first``: arguments, symbols, value)
    until a second comes; then its arguments on the probes (the first operation's, renamed:
    the nodes that carry what SymPy has learned of them), its value on the probes (None:
    refused), and whether the second confirmed it. (A shape seen once is never renamed.)"""

    __slots__ = ("args", "value", "checked", "first")

    def __init__(self, first: tuple) -> None:
        self.first, self.args, self.value, self.checked = first, (), None, False


def shape(func: Any, args: tuple) -> tuple[tuple, list[Any]] | None:
    """``(key, symbols)``: the operation on the probes (its key in ``SHAPES``) and the
    symbols they stand for, in order; None for an operation that takes no part. The key
    holds SymPy's global parameters, which its evaluation reads (``sin(-x)`` is
    ``-sin(x)`` but under ``evaluate(False)``)."""
    if not evaluates_as_sympy(func):
        return None
    return shape_of((func, global_parameters.distribute, global_parameters.evaluate), args)


def shape_of(op: Hashable, args: tuple) -> tuple[tuple, list[Any]] | None:
    """``shape``, for any operation ``op`` on SymPy expressions whose value depends on
    their symbols' names only through the order of the names
    (``derivative.scaled_derivatives``): ``op`` names the operation and whatever else its
    value depends on (SymPy's global parameters)."""
    names: frozenset = frozenset()
    for a in args:
        if not isinstance(a, sp.Basic) or not native(a):
            return None
        names |= free_symbols(a)
    if not names:
        return None
    symbols = sorted(names, key=_name)
    forward = dict(zip(symbols, probes(len(symbols)), strict=True))
    return (op, tuple(_pattern(a, forward) for a in args)), symbols


def _pattern(expr: Any, forward: dict[Any, Any]) -> Any:
    """``expr`` renamed by ``forward``, as nested tuples ``(class, *arguments)``: equal
    where the renamed trees are, without building them."""
    if not expr.args:
        return forward.get(expr, expr)
    return (type(expr), *(_pattern(a, forward) for a in expr.args))


def value_of(shaped: tuple[tuple, list[Any]], args: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, the value of the operation on ``args`` whose shape is ``shaped``
    (``shape`` or ``shape_of``), or, once the shape is trusted, its first operation's value
    renamed. The value is a SymPy expression, a tuple of them, or None (refused)."""
    key, symbols = shaped
    known = SHAPES.get(key)
    if isinstance(known, Shape) and known.checked:
        return recalled(known, args, symbols)
    value = compute()
    if known is None:  # the shape's first operation
        remember(key, args, symbols, value)
    elif isinstance(known, Shape):  # its second
        confirm(key, known, symbols, value)
    return value


def _name(symbol: Any) -> str:
    return symbol.name


def _renamed(expr: Any, nodes: dict[Any, Any], learn: bool = False) -> Any:
    """``expr`` with its symbols (and the subexpressions in ``nodes``) replaced by ``nodes``,
    each other node rebuilt from its new arguments as they are: SymPy's evaluation would put
    them in the order of the new names, which is the order they are in. ``learn``: a node
    made shares what SymPy knows of the node it is made from (``_share``)."""
    def walk(e: Any) -> Any:
        out = nodes.get(e)
        if out is not None:
            return out
        if not e.args:
            return e
        args = tuple(walk(a) for a in e.args)
        kind = type(e)
        if kind is sp.Add or kind is sp.Mul:
            out = kind._from_args(args, e.is_commutative)
        else:
            out = kind(*args, evaluate=False)
        if learn:
            _share(e, out)
        nodes[e] = out
        return out

    return walk(expr)


def _matched(a: Any, b: Any, nodes: dict[Any, Any]) -> None:
    """``nodes``: each node of ``a`` -> the node of ``b`` it stands for (``a`` and ``b`` are
    one tree up to a renaming of its symbols: a probes' and a real one, either way), each
    sharing what SymPy knows of the other."""
    if a in nodes or not a.args:
        return
    nodes[a] = b
    _share(a, b)
    for p, r in zip(a.args, b.args, strict=True):
        _matched(p, r, nodes)


def _share(source: Any, target: Any) -> None:
    """What SymPy has found out about ``source`` (its assumptions: ``is_zero``,
    ``is_positive``...), for ``target``, a renaming of it, which has the same: assumptions
    depend on the tree and on the symbols' assumptions, not on names. The two share one
    record of them, so what SymPy finds out later about either holds for both. A node
    that has found out something of its own keeps it."""
    facts = getattr(source, "_assumptions", None)
    mine = getattr(target, "_assumptions", None)
    if facts is None or mine is None:
        return  # (a SymPy that keeps them elsewhere: each finds them out itself)
    if facts is not type(source).default_assumptions and \
            mine is type(target).default_assumptions:
        target._assumptions = facts
    elif mine is not type(target).default_assumptions and \
            facts is type(source).default_assumptions:
        source._assumptions = mine


def _parts(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _fits(value: Any, symbols: list[Any]) -> bool:
    """Whether ``value`` (not None) is made of what ``_renamed`` rebuilds, of ``symbols``."""
    names = frozenset(symbols)
    return all(isinstance(v, sp.Basic) and native(v) and free_symbols(v) <= names
               for v in _parts(value))


def _renamed_value(value: Any, nodes: dict[Any, Any], learn: bool = False) -> Any:
    if isinstance(value, tuple):
        return tuple(_renamed(v, nodes, learn) for v in value)
    return _renamed(value, nodes, learn)


def remember(key: tuple, args: tuple, symbols: list[Any], value: Any) -> None:
    """A shape's first operation, on ``args``, and its ``value`` (None: refused)."""
    if len(SHAPES) >= _MAX_SHAPES:
        SHAPES.clear()
    SHAPES[key] = Shape((args, symbols, value))


def confirm(key: tuple, known: Shape, symbols: list[Any], value: Any) -> None:
    """A shape's second operation, evaluated as written: the shape is trusted from now on
    where its ``value`` is the first's renamed, and never again where not."""
    if known.first is None:
        return  # (another thread's second operation came first, or is checking it)
    (args, first_symbols, first), known.first = known.first, None
    if first is not None and not _fits(first, first_symbols):
        SHAPES[key] = UNSAFE
        return
    nodes = dict(zip(first_symbols, probes(len(first_symbols)), strict=True))
    known.args = tuple(_renamed(a, dict(nodes)) for a in args)
    for p, r in zip(known.args, args, strict=True):
        _matched(r, p, nodes)  # (each node of the real tree -> its probe node)
    known.value = None if first is None else _renamed_value(first, nodes, True)
    if value is None or known.value is None:
        same = value is None and known.value is None
    else:
        same = _fits(value, symbols) and type(value) is type(known.value) and \
            _renamed_value(value, dict(zip(symbols, probes(len(symbols)), strict=True))) \
            == known.value
    if same:
        known.checked = True
    else:
        SHAPES[key] = UNSAFE


def recalled(known: Shape, args: tuple, symbols: list[Any]) -> Any:
    """The value of the operation on ``args`` (whose symbols are ``symbols``, in order) of
    the shape ``known``: its value on the probes, renamed, made of ``args``' own nodes."""
    if known.value is None:
        return None
    nodes = dict(zip(probes(len(symbols)), symbols, strict=True))
    for p, r in zip(known.args, args, strict=True):
        _matched(p, r, nodes)
    return _renamed_value(known.value, nodes, True)
