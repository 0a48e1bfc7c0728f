"""numpy's ``where``, comparisons and logical operators as SymPy functions that stay as written.

SymPy's own ``Piecewise`` and relationals reason about scalars: Piecewise substitutes a
branch's condition into the branch (wrong once a reduction over the whole array sits
inside it), a relational SymPy can decide (``exp(z) > 0``) becomes ``True`` and drops the
broadcast against ``z``, ``Not(x > y)`` becomes ``x <= y`` (wrong for NaN), and a relational
cannot be multiplied. The functions here never simplify: each prints as the user wrote it,
takes part in arithmetic as a 0/1 number (as a numpy bool array does), and has no gradient
through a condition. ``where(c, a, b)`` is elementwise with broadcasting over all three
arguments; its derivative is the ``where`` of the branches' derivatives.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.logic.boolalg import BooleanFunction

from symgrad.rules.base import sval
from symgrad.rules.operators import AsWritten


class Elementwise(sp.Function):
    """Base: an elementwise numpy operation SymPy must not simplify."""

    is_real = True

    @classmethod
    def eval(cls, *args: Any) -> None:
        return None

    def diff_args(self) -> tuple:
        """The arguments a gradient flows through."""
        return ()

    def text(self, p: Any, atom: Any) -> str:  # pragma: no cover - every subclass has one
        raise NotImplementedError

    def _numpycode(self, printer: Any) -> str:
        return self.text(printer.doprint_expr, printer.doprint_atom)

    def _sympystr(self, printer: Any) -> str:
        return self.text(printer._print, lambda e: _group(printer._print(e), e))

    _symgrad_formula_str = _sympystr


def _group(text: str, expr: Any) -> str:
    return text if isinstance(expr, (sp.Symbol, sp.Number, Elementwise)) or \
        (not expr.args and not text.startswith("-")) else f"({text})"


class Mask(Elementwise):
    """A boolean result: 0 or 1 as a number, and no gradient through its arguments."""

    bool_array = True  # numpy computes it as a bool array (see ``bool_valued``)

    def _eval_derivative(self, s: Any) -> Any:
        return sp.S.Zero

    def fdiff(self, argindex: int = 1) -> Any:
        return sp.S.Zero


class Compare(Mask):
    """``(a op b)``, parenthesized so that it can stand anywhere."""

    nargs = 2
    op = ""

    def text(self, p: Any, atom: Any) -> str:
        a, b = self.args
        return f"({p(a)} {self.op} {p(b)})"


class IsLess(Compare):
    op = "<"


class IsLessEqual(Compare):
    op = "<="


class IsGreater(Compare):
    op = ">"


class IsGreaterEqual(Compare):
    op = ">="


class IsEqual(Compare):
    op = "=="


class IsNotEqual(Compare):
    op = "!="


COMPARISONS: dict[str, type[Compare]] = {c.op: c for c in (
    IsLess, IsLessEqual, IsGreater, IsGreaterEqual, IsEqual, IsNotEqual)}


class _Infix(Mask):
    op = ""

    def text(self, p: Any, atom: Any) -> str:
        return "(" + f" {self.op} ".join(atom(a) for a in self.args) + ")"


class LogicalAnd(_Infix):
    """Python's ``a and b`` (a scalar condition)."""

    op = "and"


class LogicalOr(_Infix):
    """Python's ``a or b``."""

    op = "or"


class LogicalNot(Mask):
    """Python's ``not a``."""

    nargs = 1

    def text(self, p: Any, atom: Any) -> str:
        return f"(not {atom(self.args[0])})"


class BitAnd(_Infix):
    """``a & b``: elementwise and of masks."""

    op = "&"


class BitOr(_Infix):
    """``a | b``."""

    op = "|"


class Invert(Mask):
    """``~a``: elementwise not of a mask."""

    nargs = 1

    def text(self, p: Any, atom: Any) -> str:
        return f"(~{atom(self.args[0])})"


class Where(Elementwise):
    """``np.where(c, a, b)``: shaped like the broadcast of all three arguments."""

    nargs = 3

    def diff_args(self) -> tuple:
        return self.args[1:]

    def _eval_derivative(self, s: Any) -> Any:
        c, a, b = self.args
        da, db = sp.diff(a, s), sp.diff(b, s)
        if da == 0 and db == 0:
            return sp.S.Zero
        return Where(c, da, db)

    def text(self, p: Any, atom: Any) -> str:
        return f"np.where({', '.join(p(a) for a in self.args)})"

    def _numpycode(self, printer: Any) -> str:  # np.where(x > 0, ...): no parentheses needed
        return self.text(printer.statement, printer.doprint_atom)


def where_of_cotangent(expr: Any) -> Any:
    """``g*where(c, a, 0)`` as ``where(c, g*a, 0)``: the cotangent masked as torch's where
    backward does (the same numbers elementwise, with broadcasting). A where with a zero
    branch is folded whatever else the product holds (a primal where too), and so is each
    branch's new product, so nested masks (``g*where(c, where(d, 0, a), 0)``) all select."""
    def fold(product: Any) -> Any:
        if not product.is_Mul:
            return product
        found = [f for f in product.args
                 if isinstance(f, Where) and any(a.is_Number and a.is_zero for a in f.args[1:])]
        if not found:
            return product
        w = found[0]
        rest = sp.Mul(*[f for f in product.args if f is not w])
        return Where(w.args[0], fold(rest * w.args[1]), fold(rest * w.args[2]))

    if not expr.has(Where):
        return expr
    return expr.replace(lambda e: e.is_Mul and any(isinstance(f, Where) for f in e.args), fold)


def _decided(a: Any, b: Any) -> bool:
    """Two numbers (not nan) whose order is known now."""
    return a.is_Number and b.is_Number and sp.nan not in (a, b)


class Maximum(Elementwise):
    """``np.maximum(a, b)``: as torch.maximum, a tie gives half the gradient to each side
    and a NaN all of it to both.
    (SymPy's Max would decide ``Max(exp(x), -exp(z))`` is ``exp(x)`` and drop z's shape.)"""

    nargs = 2
    name = "np.maximum"

    @classmethod
    def eval(cls, a: Any, b: Any) -> Any:
        if _decided(a, b):
            return (sp.Min if cls is Minimum else sp.Max)(a, b)
        return None

    def diff_args(self) -> tuple:
        return self.args

    def fdiff(self, argindex: int = 1) -> Any:
        """torch's slope: 0 where the other side wins (selected, so a NaN cotangent there
        gives 0), half at a tie, else 1 (both sides get all of it at a NaN)."""
        a, b = self.args if argindex == 1 else self.args[::-1]
        loses = IsGreater(a, b) if isinstance(self, Minimum) else IsLess(a, b)
        return Where(loses, 0, Where(IsEqual(a, b), sp.Rational(1, 2), 1))

    def text(self, p: Any, atom: Any) -> str:
        return f"{self.name}({p(self.args[0])}, {p(self.args[1])})"

    def _numpycode(self, printer: Any) -> str:
        return self.text(printer.statement, printer.doprint_atom)


class Minimum(Maximum):
    """``np.minimum(a, b)``: half the gradient to each side at a tie."""

    name = "np.minimum"


class IsNan(Mask):
    """``np.isnan(a)``."""

    nargs = 1

    def text(self, p: Any, atom: Any) -> str:
        return f"np.isnan({p(self.args[0])})"


class Fmax(Maximum):
    """``np.fmax(a, b)``: a NaN is ignored (the other side is the value). As torch.fmax, the
    gradient goes all to a where ``a >= b`` or b is NaN, else all to b (a tie: all to a)."""

    name = "np.fmax"

    @classmethod
    def eval(cls, a: Any, b: Any) -> Any:
        if a.is_Number and b.is_Number:
            if sp.nan in (a, b):
                return b if a is sp.nan else a
            return (sp.Min if cls is Fmin else sp.Max)(a, b)
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        wins = IsLessEqual(a, b) if isinstance(self, Fmin) else IsGreaterEqual(a, b)
        first = BitOr(wins, IsNan(b))
        return Where(first, 1, 0) if argindex == 1 else Where(first, 0, 1)


class Fmin(Fmax):
    """``np.fmin(a, b)``: a NaN is ignored; the gradient to a where ``a <= b`` or b is NaN."""

    name = "np.fmin"


class PyMax(Maximum):
    """Python's ``max(a, b)`` (of numbers): ``b if b > a else a``, so the first argument
    keeps the whole gradient at a tie (as torch gives it for max() of two tensors) and a
    NaN is kept only where it comes first."""

    name = "max"

    @classmethod
    def eval(cls, a: Any, b: Any) -> Any:
        if _decided(a, b):
            return b if (b < a if cls is PyMin else b > a) else a
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        later = IsLess(b, a) if isinstance(self, PyMin) else IsGreater(b, a)
        return later if argindex == 2 else LogicalNot(later)

    def text(self, p: Any, atom: Any) -> str:
        items, first = [], self
        while type(first.args[0]) is type(self):  # max(max(a, b), c) is max(a, b, c)
            items.append(first.args[1])
            first = first.args[0]
        items += [first.args[1], first.args[0]]
        return f"{self.name}({', '.join(p(a) for a in reversed(items))})"


class PyMin(PyMax):
    """Python's ``min(a, b)``: ``b if b < a else a``."""

    name = "min"


def bool_valued(expr: Any, names: frozenset = frozenset()) -> bool:
    """Whether numpy computes ``expr`` as a bool array (a mask, a product of masks, a where
    between masks, one of ``names``): as an operand of ``-``, or of ``+`` with another mask,
    it is not the 0/1 number SymPy takes it for (``m1 + m2`` is their ``or``). A function
    that prints a bool array says so with a true ``bool_array`` attribute."""
    if getattr(expr, "bool_array", False) or isinstance(expr, (sp.Rel, BooleanFunction)) or \
            expr in names:
        return True
    if isinstance(expr, Where):
        return all(bool_valued(a, names) for a in expr.args[1:])
    if isinstance(expr, AsWritten) and sval(expr.args[0]) in "+*":  # the user's m1 + m2
        return all(bool_valued(a, names) for a in expr.args[1:])
    return bool(expr.is_Mul) and all(bool_valued(f, names) for f in expr.args)


@lru_cache(maxsize=1 << 16)
def has_bool_valued(expr: Any) -> bool:
    """Whether ``expr`` or a node under it is ``bool_valued`` (``sp.preorder_traversal``'s
    nodes; memoised by subexpression: codegen asks it of every printed expression, three
    times, and of the parts they share)."""
    if not isinstance(expr, sp.Basic):
        return any(bool_valued(e) for e in sp.preorder_traversal(expr))
    return bool_valued(expr) or any(has_bool_valued(a) for a in expr.args)


class AsNumber(Elementwise):
    """A mask counted as 0/1 where numpy would not (``1*m1 + m2``, ``-1*m``)."""

    nargs = 1
    precedence = 50  # a product (sympy's PRECEDENCE["Mul"]): parenthesized as one

    def text(self, p: Any, atom: Any) -> str:
        return f"1*{atom(self.args[0])}"

    def _numpycode(self, printer: Any) -> str:  # a product: safe wherever a product is
        return self.text(printer.doprint_expr, printer.doprint_atom)


def as_numbers(expr: Any, names: frozenset = frozenset()) -> Any:
    """Sums, negations and functions of masks made to count them as numbers: ``1*m1 + m2``
    for ``m1 + m2`` (numpy's ``or`` of two bool arrays), ``-1*m*x`` for ``-m*x`` (numpy
    refuses ``-m``), ``np.sign(1*m)`` (np.sign has no bool loop). ``names`` are the values
    known to be masks."""
    def boolish(term: Any) -> bool:
        coeff, rest = term.as_coeff_Mul()
        return coeff in (1, -1) and bool_valued(rest, names)

    def fix_sum(total: Any) -> Any:
        n = sum(boolish(t) for t in total.args)
        # the printer puts an added term first (printer._as_ordered_terms): a mask subtracted
        # from it is numpy's float - bool, which is fine; a sum of negated terms only is not
        added = any(not t.as_coeff_Mul()[0].is_negative for t in total.args)
        out = []
        for t in total.args:
            coeff, rest = t.as_coeff_Mul()
            negated = coeff == -1 and not added
            out.append(coeff * AsNumber(rest) if boolish(t) and (n > 1 or negated) else t)
        return sp.Add(*out)

    def fix_negation(product: Any) -> Any:
        coeff, rest = product.as_coeff_Mul()
        if not (coeff.is_Rational and coeff.p == -1):  # -m/2 is (-m)/2; -2*m is fine
            return product
        factors = sp.Mul.make_args(rest)
        bools = [f for f in factors if bool_valued(f, names)]
        if not bools:
            return product
        return coeff * AsNumber(sp.Mul(*bools)) * sp.Mul(*[f for f in factors if f not in bools])

    def elementary(e: Any) -> bool:  # a SymPy function of numbers: np.sign has no bool loop
        return isinstance(e, sp.Function) and type(e).__module__.startswith("sympy.") and \
            any(bool_valued(a, names) for a in e.args)

    def fix_call(call: Any) -> Any:
        return call.func(*[AsNumber(a) if bool_valued(a, names) else a for a in call.args])

    if not (names and names & expr.free_symbols or has_bool_valued(expr)):
        return expr
    def fix(e: Any, subtracted: bool = False) -> Any:
        """``subtracted``: a term of a sum that starts with an added term, which the printer
        prints as ``a - m*x`` (numpy's float - bool): no negation of its own is evaluated."""
        if not e.args or isinstance(e, AsNumber):
            return e
        if e.is_Add:
            added = any(not t.as_coeff_Mul()[0].is_negative for t in e.args)
            return fix_sum(sp.Add(*[fix(t, added) for t in e.args]))
        args = [fix(a) for a in e.args]
        if args != list(e.args):
            e = e.func(*args)
        return e if subtracted or not e.is_Mul else fix_negation(e)

    return fix(expr.replace(elementary, fix_call))
