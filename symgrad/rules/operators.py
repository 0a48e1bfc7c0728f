"""Python operators and markers that SymPy must not evaluate: ``//``, ``%``, ``int()``, ``is
None``, an operation kept as written, a stopped gradient, an extremum's mask."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.gradients import stop_gradient
from symgrad.rules.grads import SumTo
from symgrad.rules.registry import NONDIFF, Rule, Torch, lazy_module, primitive
from symgrad.rules.shape import _Meta

base = lazy_module("symgrad.rules.base")


class Broadcasting(Rule):
    """An elementwise node: its result has its operands' broadcast shape."""

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return base.join_classes(arg_classes, fresh)

    @staticmethod
    def out_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
        return np.broadcast_shapes(*shapes)


class AsWritten(Rule):
    """``a - b``, ``a * b``, ... exactly as the user wrote it, where SymPy's value is a
    constant but numpy's is not (``x - x``: zeros shaped like x, nan where x is inf;
    ``x ** 0``: ones shaped like x): args (Static(operator), a, b). Constant, so no gradient.
    """

    traits = frozenset({NONDIFF})

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return base.join_classes(arg_classes[1:], fresh)

    @property
    def precedence(self) -> int:  # read by the printer's parenthesize
        from sympy.printing.precedence import PRECEDENCE

        op = base.sval(self.args[0])
        return PRECEDENCE["Add" if op in "+-" else "Pow" if op == "**" else "Mul"]

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._p(printer, v) for v in self.args[1:])
        return f"{a} {base.sval(self.args[0])} {b}"


class IsNone(_Meta):
    """``x is None`` (args: x, Static(negate)): a runtime test of an optional argument."""

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])} is {'not ' if base.sval(self.args[1]) else ''}None"


@primitive("floor_divide", np.floor_divide, params="x1, x2", arrays=("x1", "x2"),
           operator="//", traits={NONDIFF})
class FloorDiv(Broadcasting):
    """``a // b``: piecewise constant, no gradient."""

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])} // {base._p(printer, self.args[1])}"


@primitive("remainder", np.remainder, params="x1, x2", arrays=("x1", "x2"), operator="%",
           torch=Torch(("remainder",), "RemainderBackward0", {}, {"tensor": "RemainderBackward1"}))
class Mod(Broadcasting):
    """``a % b`` (Python's sign convention, like np.mod): d/da = 1, d/db = -(a // b)."""

    n_diff = 2  # needs_full_g: d/da = 1 sums g over what a was broadcast to
    vjp_exact = False

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])} % {base._p(printer, self.args[1])}"

    def vjp(self, g: Any) -> list[Any]:
        a, b = self.args
        return [SumTo(g, a), SumTo(-g * FloorDiv(a, b), b)]

    def jvp(self, tangents: list[Any]) -> Any:
        ta, tb = tangents
        return ta - tb * FloorDiv(*self.args)


@primitive("stop_gradient", stop_gradient, methods=("detach",), traits={NONDIFF})
class StopGradient(Rule):
    """x.detach(), symgrad.stop_gradient(x), or a value computed under no_grad."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return base._a(printer, self.args[0])


class EqMask(Broadcasting):
    """(x == m): where an extremum is attained."""

    traits = frozenset({NONDIFF})
    bool_array = True

    def _numpycode(self, printer: Any) -> str:
        return f"({base._a(printer, self.args[0])} == {base._a(printer, self.args[1])})"


class IntOf(Rule):
    """Python's int(x): a step function, so no gradient flows; args (x,)."""

    traits = frozenset({NONDIFF})

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return base.SCALAR

    def _numpycode(self, printer: Any) -> str:
        return f"int({printer.doprint_expr(self.args[0])})"


class Assert(_Meta):
    """``assert cond, msg`` (args: cond, Static(msg or None)), kept where the user wrote it in
    the primal, the gradient and value_and_grad: a statement, not a value (codegen prints it
    alone), and always kept, since numpy code relies on it for its shape checks."""

    is_statement = True

    def _numpycode(self, printer: Any) -> str:
        msg = base.sval(self.args[1])
        return f"assert {printer.statement(self.args[0])}" + ("" if msg is None else
                                                               f", {msg!r}")


def _astype(a: Any, dtype: Any) -> Any:
    return np.asarray(a).astype(dtype)


@primitive("astype", params="a, dtype, order='K', casting='unsafe', subok=True, copy=True",
           methods=("astype",), method_params="dtype, order='K', casting='unsafe', subok=True, "
           "copy=True", lower="astype_call", eager=_astype)
class AsType(Rule):
    """``x.astype(np.float32)``, ``np.float32(x)``, ``float(x)``: a real cast (args: x,
    Static(dtype name), Static(spelling: "astype", "call" or "float")). To a float dtype the
    gradient is g cast back to x's own dtype, as torch's ``x.float()`` gives a float64 x a
    float64 gradient; to an integer or bool dtype (numpy truncates) there is none."""

    shape_like = 0

    @property
    def dtype(self) -> Any:
        return np.dtype(base.sval(self.args[1]))

    def diff_args(self) -> tuple:
        return self.args[:1] if self.dtype.kind in "fc" else ()

    def _numpycode(self, printer: Any) -> str:
        spelling, name = base.sval(self.args[2]), self.dtype.name
        if spelling == "float":
            return f"float({printer.doprint_expr(self.args[0])})"
        if spelling == "call":
            return f"np.{name}({printer.doprint_expr(self.args[0])})"
        text = "float" if name == "float64" else "int" if name == "int64" else f"np.{name}"
        return f"{base._p(printer, self.args[0])}.astype({text})"

    def vjp(self, g: Any) -> list[Any]:
        return [CastLike(g, self.args[0])]

    def jvp(self, tangents: list[Any]) -> Any:
        return type(self)(tangents[0], *self.args[1:])  # the tangent cast as the value is


class CastLike(Rule):
    """args: (g, x): g in x's own float dtype (the gradient through a cast)."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_cast_like", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [g]

    def jvp(self, tangents: list[Any]) -> Any:
        return CastLike(tangents[0], self.args[1])
