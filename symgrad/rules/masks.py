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

from typing import Any

import sympy as sp


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
    backward does (the same numbers elementwise, with broadcasting); products of one where
    with a zero branch only."""
    def fold(product: Any) -> Any:
        found = [f for f in product.args if isinstance(f, Where)]
        if len(found) != 1 or not any(a.is_Number and a.is_zero for a in found[0].args[1:]):
            return product
        w = found[0]
        rest = sp.Mul(*[f for f in product.args if f is not w])
        return Where(w.args[0], rest * w.args[1], rest * w.args[2])

    if not expr.has(Where):
        return expr
    return expr.replace(lambda e: e.is_Mul and any(isinstance(f, Where) for f in e.args), fold)
