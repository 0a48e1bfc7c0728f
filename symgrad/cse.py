"""``sympy.cse(exprs, symbols, order="none")`` (no pre/post optimizations), made for less:
SymPy 1.14's algorithm (``sympy/simplify/cse_main.py``: ``opt_cse`` and ``tree_cse``), step
for step, with its bookkeeping done on plain dicts and ints, but for one step left out.

SymPy's ``opt_cse`` takes a minus sign out of a sum, to share the sum with its negation:
``-a - 0.3`` becomes ``-(a + 0.3)``. In floating point the two differ in the sign of a zero
(at a = -0.3, ``-a - 0.3`` is 0.0 and ``-(a + 0.3)`` is -0.0, and 1.0 over them inf and -inf),
so a sum keeps its sign here. A product's minus sign is still taken out (``-2*x`` as
``-(2*x)``): negation commutes with a product exactly.

On a 1000-statement function, SymPy's cse was 40% of the module's generation; this is the
one codegen calls. Where the input holds anything this copy was not checked for (a matrix),
or SymPy is another version, it is SymPy's own cse that runs.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.calculus.accumulationbounds import AccumBounds
from sympy.core import Add, Basic, Mul, Pow, Symbol
from sympy.core.basic import _args_sortkey
from sympy.core.parameters import global_parameters
from sympy.core.singleton import S
from sympy.matrices import MatrixBase
from sympy.matrices.expressions import MatrixExpr, MatrixSymbol
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.polys.rootoftools import RootOf
from sympy.simplify.cse_main import Unevaluated
from sympy.utilities.iterables import iterable, topological_sort

_CHECKED = sp.__version__ == "1.14.0"  # the version whose cse this one repeats


def cse(exprs: list[Any], symbols: Any) -> tuple[list, list]:
    """``sympy.cse(exprs, symbols=symbols, order="none")``: the replacements and the reduced
    expressions, each the same (equal, in the same order) as SymPy's."""
    if not _CHECKED or not all(isinstance(e, Basic) for e in exprs) or \
            any(isinstance(e, MatrixBase) for e in exprs) or _has_matrix(exprs):
        return sp.cse(exprs, symbols=symbols, order="none")
    exprs = list(exprs)
    opt_subs = _opt_cse(exprs)
    return _tree_cse(exprs, iter(symbols), opt_subs)


def _has_matrix(exprs: list[Any]) -> bool:
    """``any(e.has(MatrixExpr) for e in exprs)``, each shared subexpression walked once."""
    seen: set = set()
    todo = list(exprs)
    while todo:
        e = todo.pop()
        if isinstance(e, MatrixExpr):
            return True
        if e.args and e not in seen:
            seen.add(e)
            todo.extend(e.args)
    return False


_ITERABLE: dict[type, bool] = {}


def _is_iterable(expr: Any) -> bool:
    kind = type(expr)
    known = _ITERABLE.get(kind)
    if known is None:
        known = _ITERABLE[kind] = iterable(expr)
    return known


_MUL_MINUS = Mul.could_extract_minus_sign


def _minus(expr: Any) -> bool:
    """``expr.could_extract_minus_sign()``, of anything but a sum."""
    if type(expr).could_extract_minus_sign is _MUL_MINUS:
        # (Mul's: False where self == -self, else a negative number first; -self is
        # made only where the answer hangs on it)
        c = expr.args[0]
        return bool(c.is_Number and c.is_extended_negative) and not expr == -expr
    return expr.could_extract_minus_sign()


def _opt_cse(exprs: list[Any]) -> dict:
    """SymPy's ``opt_cse(exprs, order="none")``."""
    opt_subs: dict = {}
    adds: dict = {}  # (ordered sets)
    muls: dict = {}
    seen: set = set()
    collapsible: dict = {}

    def find(expr: Any) -> None:
        if not isinstance(expr, (Basic, Unevaluated)):
            return
        if expr.is_Atom or expr.is_Order:
            return
        if _is_iterable(expr):
            for e in expr:
                find(e)
            return
        if expr in seen:
            return
        seen.add(expr)
        for a in expr.args:
            find(a)
        if not isinstance(expr, Add) and _minus(expr):  # (a sum's: see the module's doc)
            neg_expr = -expr
            if not neg_expr.is_Atom:
                opt_subs[expr] = Unevaluated(Mul, (S.NegativeOne, neg_expr))
                seen.add(neg_expr)
                expr = neg_expr
        if isinstance(expr, Mul):
            if len(expr.args) == 1:
                collapsible[expr] = None
            else:
                muls[expr] = None
        elif isinstance(expr, Add):
            if len(expr.args) == 1:
                collapsible[expr] = None
            else:
                adds[expr] = None
        elif isinstance(expr, Pow):
            base, exp = expr.base, expr.exp
            if exp.could_extract_minus_sign():
                opt_subs[expr] = Unevaluated(Pow, (Pow(base, -exp), -1))

    for e in exprs:
        find(e)

    if collapsible:
        edges = [(s, s.args[0]) for s in collapsible if s.args[0] in collapsible]
        for e in reversed(topological_sort((list(collapsible), edges))):
            opt_subs[e] = opt_subs.get(e.args[0], e.args[0])

    commutative_muls: dict = {}
    for m in muls:
        c, nc = m.args_cnc(cset=False)
        if c:
            # (SymPy makes Mul(*c) again: where c is all of m's arguments, that is m)
            c_mul = m if not nc and type(m) is Mul else m.func(*c)
            if nc:
                if c_mul == 1:
                    new_obj = m.func(*nc)
                else:
                    new_obj = m.func(c_mul, m.func(*nc), evaluate=False)
                opt_subs[m] = new_obj
            if len(c) > 1:
                commutative_muls[c_mul] = None

    _match_common_args(Add, list(adds), opt_subs)
    _match_common_args(Mul, list(commutative_muls), opt_subs)
    return opt_subs


class _ArgTracker:
    """SymPy's ``FuncArgTracker``, its ordered sets dicts (insertion-ordered keys)."""

    def __init__(self, funcs: list[Any]) -> None:
        self.value_numbers: dict = {}
        self.value_number_to_value: list = []
        self.arg_to_funcset: list[dict] = []
        self.func_to_argset: list[dict] = []
        for func_i, func in enumerate(funcs):
            argset: dict = {}
            for arg in func.args:
                n = self.number(arg)
                argset[n] = None
                self.arg_to_funcset[n][func_i] = None
            self.func_to_argset.append(argset)

    def in_value_order(self, argset: Any) -> list:
        return [self.value_number_to_value[n] for n in sorted(argset)]

    def number(self, value: Any) -> int:
        n = len(self.value_numbers)
        number = self.value_numbers.setdefault(value, n)
        if number == n:
            self.value_number_to_value.append(value)
            self.arg_to_funcset.append({})
        return number

    def stop(self, func_i: int) -> None:
        for arg in self.func_to_argset[func_i]:
            del self.arg_to_funcset[arg][func_i]

    def common_candidates(self, argset: dict, min_func_i: int) -> dict:
        count_map: dict = {}
        if not argset:
            return count_map
        funcsets = [self.arg_to_funcset[arg] for arg in argset]
        largest = max(funcsets, key=len)
        for funcset in funcsets:
            if largest is funcset:
                continue
            for func_i in funcset:
                if func_i >= min_func_i:
                    count_map[func_i] = count_map.get(func_i, 0) + 1
        # (SymPy's defaultdict gains a 0 entry for each func it only looks up: dropped
        # below with the rest under 2, so the result is the same)
        if len(largest) <= len(count_map):
            for func_i in largest:
                if count_map.get(func_i, 0) >= 1:
                    count_map[func_i] += 1
        else:
            for func_i in count_map:
                if func_i in largest:
                    count_map[func_i] += 1
        return {k: v for k, v in count_map.items() if v >= 2}

    def subset_candidates(self, argset: dict, restrict: dict) -> dict:
        it = iter(argset)
        indices = {fi: None for fi in self.arg_to_funcset[next(it)] if fi in restrict}
        for arg in it:
            funcset = self.arg_to_funcset[arg]
            indices = {fi: None for fi in indices if fi in funcset}
        return indices

    def update(self, func_i: int, new_args: dict) -> None:
        old_args = self.func_to_argset[func_i]
        for arg in old_args:
            if arg not in new_args:
                del self.arg_to_funcset[arg][func_i]
        for arg in new_args:
            if arg not in old_args:
                self.arg_to_funcset[arg][func_i] = None
        self.func_to_argset[func_i] = dict(new_args)


def _match_common_args(func_class: Any, funcs: list[Any], opt_subs: dict) -> None:
    """SymPy's ``match_common_args``."""
    funcs = sorted(funcs, key=lambda f: len(f.args))
    tracker = _ArgTracker(funcs)
    argsets = tracker.func_to_argset
    changed: set = set()
    for i in range(len(funcs)):
        counts = tracker.common_candidates(argsets[i], min_func_i=i + 1)
        candidates = dict.fromkeys(sorted(counts, key=lambda k: (counts[k], k)))
        while candidates:
            j = next(iter(candidates))
            del candidates[j]
            com_args = {a: None for a in argsets[i] if a in argsets[j]}
            if len(com_args) <= 1:
                continue
            diff_i = {a: None for a in argsets[i] if a not in com_args}
            if diff_i:
                com_func = Unevaluated(func_class, tracker.in_value_order(com_args))
                com_number = tracker.number(com_func)
                diff_i[com_number] = None
                tracker.update(i, diff_i)
                changed.add(i)
            else:
                com_number = tracker.number(funcs[i])
            diff_j = {a: None for a in argsets[j] if a not in com_args}
            diff_j[com_number] = None
            tracker.update(j, diff_j)
            changed.add(j)
            for k in tracker.subset_candidates(com_args, candidates):
                diff_k = {a: None for a in argsets[k] if a not in com_args}
                diff_k[com_number] = None
                tracker.update(k, diff_k)
                changed.add(k)
        if i in changed:
            opt_subs[funcs[i]] = Unevaluated(func_class, tracker.in_value_order(argsets[i]))
        tracker.stop(i)


def _tree_cse(exprs: list[Any], symbols: Any, opt_subs: dict) -> tuple[list, list]:
    """SymPy's ``tree_cse(exprs, symbols, opt_subs, order="none")``."""
    to_eliminate: set = set()
    seen: set = set()
    excluded: set = set()

    def find_repeated(expr: Any) -> None:
        if not isinstance(expr, (Basic, Unevaluated)):
            return
        if isinstance(expr, RootOf):
            return
        if isinstance(expr, Basic) and (expr.is_Atom or expr.is_Order or
                                        isinstance(expr, (MatrixSymbol, MatrixElement))):
            if expr.is_Symbol:
                excluded.add(expr.name)
            return
        if _is_iterable(expr):
            args = expr
        else:
            if expr in seen:
                to_eliminate.add(expr)
                return
            seen.add(expr)
            if expr in opt_subs:
                expr = opt_subs[expr]
            args = expr.args
        for a in args:
            find_repeated(a)

    for e in exprs:
        find_repeated(e)

    symbols = (s for s in symbols if s.name not in excluded)
    replacements: list = []
    subs: dict = {}

    def rebuild(expr: Any) -> Any:
        if not isinstance(expr, (Basic, Unevaluated)):
            return expr
        if not expr.args:
            return expr
        if _is_iterable(expr):
            return expr.func(*[rebuild(a) for a in expr.args])
        if expr in subs:
            return subs[expr]
        orig_expr = expr
        if expr in opt_subs:
            expr = opt_subs[expr]
        args = expr.args
        new_args = [rebuild(a) for a in args]
        # SymPy makes every node again (it compares the list new_args with the tuple args:
        # never equal), re-evaluating it; a node whose arguments are the same objects is kept
        # here, as it is: SymPy's expr.func(*expr.args) == expr (and the pipeline made each
        # node evaluated)
        if isinstance(expr, Unevaluated):
            if expr.func is Mul and len(new_args) == 2 and new_args[0] is S.NegativeOne and \
                    type(new_args[1]) is Symbol:
                new_expr = -new_args[1]  # (Mul(-1, t): -t, made without Mul's flatten)
            else:
                new_expr = expr.func(*new_args)
        elif any(a is not b for a, b in zip(new_args, args, strict=True)):
            new_expr = rebuilt(expr, new_args)
        else:
            new_expr = expr
        if orig_expr in to_eliminate:
            try:
                sym = next(symbols)
            except StopIteration:
                raise ValueError("Symbols iterator ran out of symbols.") from None
            subs[orig_expr] = sym
            replacements.append((sym, new_expr))
            return sym
        return new_expr

    return replacements, [rebuild(e) for e in exprs]


def rebuilt(expr: Any, new_args: list) -> Any:
    """``expr.func(*new_args)``, where ``new_args`` are ``expr``'s arguments, some made
    again (each an evaluated expression: cse's temporaries, the names codegen gives them,
    the nodes rebuilt under them).

    A sum or product evaluated (``Add.flatten``, ``Mul.flatten``) of arguments none of
    which combines with another or is numeric (`_plain`: another base, another term) is
    its arguments sorted, the number first. Made so here; anything else is evaluated by
    SymPy (``tests/test_cse_rebuild.py`` checks the two). On a 1000-statement function,
    most of the nodes cse rebuilds are such sums and products."""
    made = _sorted_args(expr, new_args)
    return expr.func(*new_args) if made is None else made


def xreplaced(expr: Any, nodes: dict) -> Any:
    """``expr.xreplace(rule)`` where ``nodes`` is ``rule``, each node made once (`rebuilt`)
    and kept in ``nodes`` for the next expression."""
    if not isinstance(expr, Basic):
        return expr
    out = nodes.get(expr)
    if out is None:
        args = expr.args
        new_args = [xreplaced(a, nodes) for a in args]
        same = all(a is b for a, b in zip(new_args, args, strict=True))
        out = nodes[expr] = expr if same else rebuilt(expr, new_args)
    return out


def _sorted_args(expr: Any, new_args: list) -> Any:
    """`rebuilt`'s sum or product made without evaluating it, or None."""
    kind = type(expr)
    if not (kind is Mul or kind is Add) or not global_parameters.evaluate or \
            not _plain(tuple(new_args), kind):
        return None
    start = 1 if new_args[0].is_Number else 0
    if kind is Mul and start and len(new_args) == 2 and new_args[1].is_Add:
        return None  # (2*(x + y): distributed, under distribute(True))
    rest = new_args[start:]
    rest.sort(key=_args_sortkey)
    obj = kind._from_args(new_args[:start] + rest, True)
    return kind._exec_constructor_postprocessors(obj)


def product(factors: list) -> Any:
    """``Mul(*factors)`` of some of an evaluated product's factors other than its number
    (the printer's array factors, placed after its scalar ones): where none combines with
    another or is numeric (`_plain`), ``Mul.flatten`` only sorts them."""
    if len(factors) > 1 and global_parameters.evaluate and not factors[0].is_Number and \
            _plain(tuple(factors), Mul):
        obj = Mul._from_args(sorted(factors, key=_args_sortkey), True)
        return Mul._exec_constructor_postprocessors(obj)
    return Mul(*factors)


def _plain(args: tuple, kind: type) -> bool:
    """Nothing among a sum's or a product's arguments that its evaluation would combine or
    treat as a number (but a finite nonzero number in front): no nested sum (product), no
    two terms of one term (two powers of one base: ``exp(x)*exp(y)`` is one), no other
    power than a Pow or exp, nothing
    numeric (``sqrt(2)``, ``I``, ``pi``, ``zoo``) nor a power of it, no ``O(x)``, interval,
    non-commuting symbol."""
    first = args[0]
    if first.is_Number and not (first.is_finite and not first.is_zero) or \
            kind is Mul and first is S.One:
        return False
    parts = set()
    for i, a in enumerate(args):
        if a.is_Number:
            if i:
                return False
            continue
        if (a.is_Add if kind is Add else a.is_Mul) or a.is_number or a.is_Order or \
                isinstance(a, AccumBounds) or not a.is_commutative:
            return False
        if a.is_Pow and a.base.is_number:
            return False
        if kind is Add:
            part = a.as_coeff_Mul()[1]
        else:
            part = a.as_base_exp()[0]
            if part is not a and not a.is_Pow and type(a) is not sp.exp:
                return False  # (Mul.flatten makes Pow(base, exp) of it)
        if part in parts:
            return False
        parts.add(part)
    return True
