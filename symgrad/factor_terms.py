"""``sympy.factor_terms``, memoised per subexpression and with its costly steps skipped
where they provably leave a node as it is.

SymPy's ``factor_terms`` walks the whole tree of every adjoint; the adjoints of a long
function share most of their subtrees (``1 - v**2``, ``cos(v3*v4)``, the contributions
summed again into a total), and most sums have no common factor to take out. This is
the same algorithm, step for step (``do``, ``as_content_primitive`` of a sum, a product
and a power, ``gcd_terms``), with each step's result kept per node and two shortcuts:

* the content of a product whose factors have none is its coefficient (the product is
  left as it is, not rebuilt);
* ``gcd_terms`` of a sum whose terms share no base and whose coefficients have no
  common divisor, and whose factors ``Term`` rebuilds as they are, is the sum itself (its
  terms are not decomposed into SymPy ``Term`` objects, and a sum of its own terms that
  SymPy rebuilds as it is is not built again).

Two yes/no checks that rebuild a node (does SymPy rebuild it as it is; does ``Term``)
are answered per shape for small nodes (``ShapeFacts``): the same answer for nodes alike
up to an order-keeping renaming, trusted once a second node confirmed it.

Each shortcut holds for a node in SymPy's own form (where rebuilding it from its arguments
gives it back): a product nested in a product, which SymPy's evaluation makes now and then
(``(x**3*y**2)**(-3/2)``), and a power of a power go to SymPy's code.

One step of SymPy's is left out: an elementwise function (but exp) is left as it is, its
arguments not factored (``_holds``: factoring a sum flips the sign of its zero, and the
function can turn that into pi against -pi).

Anything else goes to SymPy's own code. ``tests/test_simplify_equivalence.py`` checks the
result is SymPy's on every adjoint of a set of real functions, and
``tests/test_factor_terms_differential.py`` on random expressions.
"""

from __future__ import annotations

from functools import cache
from math import gcd
from typing import Any

import sympy as sp
from sympy.core.exprtools import Factors, decompose_power, gcd_terms
from sympy.core.mul import _keep_coeff
from sympy.core.parameters import global_parameters
from sympy.utilities.iterables import iterable

from symgrad.frontend import renaming
from symgrad.rules.base import free_symbols

_ONE = sp.S.One
_MAX_ENTRIES = 50_000  # per table; the tables are emptied when one is full


def factor_terms(expr: Any) -> Any:
    """``sympy.factor_terms(expr)`` (default options), the same expression."""
    flag = bool(global_parameters.distribute)  # (SymPy's parameters are per thread)
    memo = _MEMOS.get(flag)
    if memo is None or memo.full():
        memo = _MEMOS[flag] = _Memo()
    return memo._do(sp.sympify(expr))


def _holds(expr: Any) -> bool:
    """Whether factor_terms leaves ``expr`` as it is, arguments and all (SymPy's factors
    them too): an elementwise function, SymPy's (but exp) or a numpy operator's node
    (``a // b``). Its arguments are the primal's values, and factoring a sum changes the
    sign of its zero (``-a - b`` is 0.0 at a = -b, ``-(a + b)`` -0.0), which the function
    can make a value of its own: ``atan2(-a - b, -1)`` is pi there and
    ``atan2(-(a + b), -1)`` -pi, ``-0.3 // (-a - b)`` -inf and ``0.3 // (a + b)`` inf. (exp
    is a power to factor_terms, and exp(-0.0) is exp(0.0); the cotangent inside a
    contraction, ``X.T @ (...)``, is factored as before.)"""
    if not expr.is_Function or isinstance(expr, sp.exp):
        return False
    return _held(type(expr))


@cache
def _held(kind: type) -> bool:
    """SymPy's functions and the printed subclasses of one (``_erf``), numpy's functions
    SymPy has none of (``np.copysign``: its ``-a - b`` factored is -1 for 1 at a = -b),
    ``np.where``/``np.maximum``'s nodes (``1/np.where(m, 1.0, -a - b)``: -inf for inf) and
    the numpy operators' nodes."""
    from symgrad.rules.elementwise import _np_function  # (the rules import simplify, lazily)
    from symgrad.rules.masks import Elementwise
    from symgrad.rules.operators import Broadcasting

    sympys = kind.__module__.startswith("sympy.functions.") or \
        kind.__mro__[1].__module__.startswith("sympy.functions.")
    return sympys or issubclass(kind, (Broadcasting, Elementwise, _np_function("NpFunction")))


def _is_negative(c: Any) -> bool:
    """``c.extract_multiplicatively(-1) is not None`` for the coefficient ``c`` of a term."""
    if c.is_Rational:
        return c.p < 0
    return c.extract_multiplicatively(-1) is not None


class _Memo:
    """factor_terms's steps with their results per node, for one ``distribute`` flag
    (it changes what a number times a sum builds)."""

    def __init__(self) -> None:
        self.done: dict[Any, Any] = {}
        self.content: dict[Any, tuple[Any, Any]] = {}
        self.decomposed: dict[Any, tuple[Any, int] | None] = {}
        self.canonical: dict[Any, bool] = {}
        # the two costly yes/no checks, per shape: a long function's adjoints ask them of
        # ``1 - v**2`` and ``exp(-v**2)`` for a thousand ``v``
        self.rebuilds = ShapeFacts(lambda e: e.func(*e.args) == e)
        self.refiles = ShapeFacts(_refiled)

    def full(self) -> bool:
        return max(len(self.done), len(self.content), len(self.decomposed),
                   len(self.canonical)) > _MAX_ENTRIES

    def _do(self, expr: Any) -> Any:
        if not isinstance(expr, sp.Basic) or expr.is_Atom:
            if iterable(expr):  # pragma: no cover (factor_terms is given expressions)
                return type(expr)([self._do(i) for i in expr])
            return expr
        try:
            return self.done[expr]
        except KeyError:
            pass
        out = self.done[expr] = self._do_node(expr)
        return out

    def _do_node(self, expr: Any) -> Any:
        """sympy.core.exprtools.factor_terms.do, with radical=False, clear=False,
        fraction=False, sign=True."""
        if _holds(expr):
            return expr
        if expr.is_Pow or expr.is_Function or iterable(expr) or not hasattr(expr, "args_cnc"):
            args = expr.args
            newargs = tuple([self._do(i) for i in args])
            if newargs == args:
                return expr
            return expr.func(*newargs)
        if isinstance(expr, (sp.Sum, sp.Integral)):  # pragma: no cover (not in adjoints)
            return sp.factor_terms(expr)
        if expr.is_Mul and self._plain_factors(expr) and \
                all(self._do(a) is a for a in expr.args):
            # (its content is its number's size, the rest is left as it is, and
            # _keep_coeff of the two is the product again)
            return expr
        cont, p = self._acp(expr)
        if p.is_Add:
            list_args = [self._do(a) for a in sp.Add.make_args(p)]
            # a common negative (if there), which gcd_terms does not remove
            if all(_is_negative(a.as_coeff_Mul()[0]) for a in list_args):
                cont = -cont
                list_args = [-a for a in list_args]
            special = {}
            for i, a in enumerate(list_args):
                if a.is_Mul and len(a.args) > 1:
                    continue  # (Mul.as_base_exp gives an integer exponent, or 1)
                b, e = a.as_base_exp()
                if e.is_Mul and e != sp.Mul(*e.args):
                    list_args[i] = sp.Dummy()
                    special[list_args[i]] = a
            whole = p if all(n is a for n, a in zip(list_args, p.args, strict=True)) else None
            p = sp.Add._from_args(list_args)
            fast = None if special else self._gcd_free_sum(list_args, whole)
            if fast is not None:
                p = fast
            else:
                p = gcd_terms(p, isprimitive=True, clear=False, fraction=False).xreplace(special)
        elif p.args:
            args = p.args
            newargs = args if _holds(p) else [self._do(a) for a in args]
            if any(n is not a for n, a in zip(newargs, args, strict=True)) or \
                    not p.is_Mul and not self._canonical(p):
                # (a product's p is built anew; a single factor is the node as it was,
                # which SymPy rebuilds: Abs(Abs(x*y)), as Abs(Abs(x*y)/2) makes it)
                p = p.func(*newargs)
        return _keep_coeff(cont, p, clear=False, sign=True)

    # --- as_content_primitive(radical=False, clear=False) ------------------------------

    def _acp(self, expr: Any) -> tuple[Any, Any]:
        try:
            return self.content[expr]
        except KeyError:
            pass
        out = self.content[expr] = self._acp_node(expr)
        return out

    def _acp_node(self, expr: Any) -> tuple[Any, Any]:
        cls = type(expr)
        method = cls.as_content_primitive
        if method is sp.Mul.as_content_primitive:
            return self._acp_mul(expr)
        if method is sp.Add.as_content_primitive:
            return self._acp_add(expr)
        if method is sp.Pow.as_content_primitive:
            return self._acp_pow(expr)
        if method is sp.Expr.as_content_primitive:
            return _ONE, expr
        return expr.as_content_primitive(radical=False, clear=False)

    def _plain_factors(self, mul: Any) -> bool:
        """Whether every factor of ``mul`` but its number has no content: then the content
        of ``mul`` is its number's size, and ``_keep_coeff`` of it and the rest is ``mul``."""
        rest = [a for a in mul.args if not a.is_Number]
        if len(rest) == 1 and rest[0].is_Add:
            return False  # (n*(a + b): _keep_coeff may distribute n)
        if len(rest) != len(mul.args) - (1 if mul.args[0].is_Number else 0):
            return False
        if mul.args[0].is_Number and not mul.args[0].is_Rational:
            return False
        for a in rest:
            c, p = self._acp(a)
            if c is not _ONE or p is not a and p != a:
                return False
        # (and a product in SymPy's form: its evaluation nests one in another now and then,
        # as (x**3*y**2)**(-3/2) is (Abs(y)/y**4)*(x**3)**(-3/2), which Mul(*args) flattens)
        if any(a.is_Mul for a in rest):
            return False
        return len(rest) != 1 or not rest[0].args or self._canonical(rest[0])

    def _acp_mul(self, expr: Any) -> tuple[Any, Any]:
        coef = _ONE
        args = []
        for a in expr.args:
            c, p = self._acp(a)
            coef *= c
            if p is not _ONE:
                args.append(p)
        return coef, sp.Mul(*args)

    def _kept(self, expr: Any) -> Any:
        """``_keep_coeff(*expr.as_content_primitive())``."""
        if expr.is_Mul and self._plain_factors(expr):
            return expr
        if expr.is_Symbol:
            return expr
        return _keep_coeff(*self._acp(expr))

    def _acp_add(self, expr: Any) -> tuple[Any, Any]:
        args = [self._kept(a) for a in expr.args]
        same = all(n is a for n, a in zip(args, expr.args, strict=True))
        total = expr if same and self._canonical(expr) else expr.func(*args)
        con, prim = total.primitive()
        if not con.is_Integer and prim.is_Add:
            con, d = con.as_numer_denom()
            _p = prim / d
            if any(a.as_coeff_Mul()[0].is_Integer for a in _p.args):
                prim = _p
            else:
                con /= d
        return con, prim

    def _canonical(self, expr: Any) -> bool:
        """Whether ``expr.func(*expr.args)`` is ``expr`` (not so for a sum built unevaluated,
        or the ``Abs(Abs(x*y))`` of ``Abs(Abs(x*y)/2)``)."""
        try:
            return self.canonical[expr]
        except KeyError:
            pass
        out = self.canonical[expr] = self.rebuilds(expr)
        return out

    def _acp_pow(self, expr: Any) -> tuple[Any, Any]:
        b, e = expr.as_base_exp()
        if e.is_Integer and e is not _ONE and not (b.is_Mul or b.is_Number or b.is_Pow) and \
                self._kept(b) is b:
            # Pow.as_content_primitive: the base is kept, an integer exponent too, and the
            # power is rebuilt as it was
            return _ONE, expr
        return expr.as_content_primitive(radical=False, clear=False)

    # --- gcd_terms of a sum with nothing in common ---------------------------------------

    def _gcd_free_sum(self, terms: list[Any], whole: Any = None) -> Any | None:
        """``gcd_terms(Add(*terms), isprimitive=True, clear=False, fraction=False)`` where the
        terms (SymPy ``Term`` s: coefficient, numerator and denominator bases) share no base
        and their coefficients no divisor, and ``Term`` rebuilds each factor as it is:
        ``Add(*terms)`` (``whole`` itself where the terms are its own and SymPy rebuilds
        it from them: the sum is not built again, nor a product holding it). None
        otherwise."""
        numer: set | None = None
        denom: set | None = None
        num_gcd = 0
        den_lcm = 1
        for t in terms:
            if not t.is_commutative:
                return None
            coeff, factors = t.as_coeff_mul()
            if not coeff.is_Rational:
                return None
            up, down = set(), set()
            for f in factors:
                if f.is_Number:
                    return None  # (a Float: as_coeff_mul leaves it a factor, Term a number)
                got = self._decomposed(f)
                if got is None:
                    return None
                base, e = got
                (up if e > 0 else down).add(base)
            if len(up) + len(down) != len(factors):
                return None  # (two factors of one base: Term multiplies them)
            numer = up if numer is None else numer & up
            denom = down if denom is None else denom & down
            num_gcd = gcd(num_gcd, coeff.p)
            den_lcm = den_lcm * coeff.q // gcd(den_lcm, coeff.q)
        if numer or denom or num_gcd != 1 or den_lcm != 1:
            return None
        if whole is not None and self._canonical(whole):
            return whole
        return sp.Add(*terms)

    def _decomposed(self, factor: Any) -> tuple[Any, int] | None:
        """The base and exponent ``Term`` files ``factor`` under, where it rebuilds ``factor``
        from them (None where the base is a sum with a content, which ``Term`` moves into
        its coefficient, or where ``decompose_power`` builds a base that SymPy evaluates to
        something else: ``exp(-3*(z - 0.5))`` is filed as ``exp(z - 0.5)**-3``, and
        ``exp(z - 0.5)`` is ``0.606...*exp(z)``)."""
        try:
            return self.decomposed[factor]
        except KeyError:
            pass
        base, e = decompose_power(factor)
        out: tuple[Any, int] | None = (base, e)
        if base.is_Add:
            cont, _ = base.primitive()
            if cont is not _ONE:
                out = None
        if out is not None and base is not factor and not (
                factor.is_Pow and factor.exp.is_Integer) and \
                not self.refiles(factor):  # (x**2: x, 2, as it is)
            out = None
        self.decomposed[factor] = out
        return out


def _refiled(factor: Any) -> bool:
    """Whether ``Term`` rebuilds ``factor`` from the base and exponent ``decompose_power``
    files it under: ``Factors({base: |e|}).as_expr()``, over 1 where e < 0."""
    base, e = decompose_power(factor)
    rebuilt = Factors({base: abs(e)}).as_expr()
    return (rebuilt if e > 0 else _ONE / rebuilt) == factor


class ShapeFacts:
    """A yes/no question SymPy answers alike for expressions alike up to a renaming of
    their symbols that keeps their order (``frontend.renaming``), answered once per shape
    of at most ``_FACT_MAX_SYMBOLS`` symbols. An answer is trusted once a second
    expression of the shape confirmed the first's; a shape whose answers differ is asked
    of each expression from then on. Expressions that take no part in renaming (symgrad's
    nodes, other symbols) are always asked."""

    def __init__(self, ask: Any) -> None:
        self.ask = ask
        self.known: dict[Any, Any] = {}  # shape -> [answer, confirmed], or UNSAFE

    def __call__(self, expr: Any) -> bool:
        if len(free_symbols(expr)) > _FACT_MAX_SYMBOLS:
            return self.ask(expr)
        shaped = renaming.shape(expr.func, expr.args)
        if shaped is None:
            return self.ask(expr)
        key = shaped[0]
        known = self.known.get(key)
        if known is not None and known is not renaming.UNSAFE and known[1]:
            return known[0]
        out = bool(self.ask(expr))
        if known is None:
            if len(self.known) >= _MAX_ENTRIES:
                self.known.clear()
            self.known[key] = [out, False]
        elif known is not renaming.UNSAFE:
            if known[0] == out:
                known[1] = True
            else:
                self.known[key] = renaming.UNSAFE
        return out


_FACT_MAX_SYMBOLS = 4  # (a key costs as much as the answer for a larger expression)


_MEMOS: dict[bool, _Memo] = {}
