"""Shape primitives: transposes, reshapes, flips, added and removed axes, shape metadata.

Each entry is a ``Rule`` beside its registration; see ``registry`` for the fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.registry import LINEAR, SHAPE_ONLY, VIEW, Rule, Torch, lazy_module, primitive

base = lazy_module("symgrad.rules.base")


def _order_kw(args: tuple) -> str:
    """The ``order='F'`` of a reshape or ravel (an optional last Static argument)."""
    return f", order={base.sval(args[0])!r}" if args else ""


@primitive("transpose", np.transpose, methods=("transpose",), params="a, axes=None",
           traits={VIEW, LINEAR}, torch=Torch(("permute",), "PermuteBackward0", {"dims": "axes"}))
class Transpose(Rule):
    """args: (x, axes)"""

    def _numpycode(self, printer: Any) -> str:
        axes = base.sval(self.args[1])
        if axes is None:
            return f"{base._p(printer, self.args[0])}.T"
        return f"np.transpose({base._a(printer, self.args[0])}, {axes!r})"

    def vjp(self, g: Any) -> list[Any]:
        axes = base.sval(self.args[1])
        if axes is None:
            return [Transpose(g, base.static(None))]
        n = len(axes)  # numpy reads a negative axis from the end: -1 is n - 1
        inverse = tuple(sorted(range(n), key=lambda i: axes[i] % n))
        return [Transpose(g, base.static(inverse))]


@primitive("reshape", np.reshape, methods=("reshape",), params="a, shape, order='C'",
           traits={VIEW, LINEAR}, torch=Torch(("reshape",), "ViewBackward0"))
class Reshape(Rule):
    """args: (x, shape[, order]): shape is a Static tuple, a SymPy Tuple, or a Shape node;
    order is Static('F') when the elements are read and written in Fortran order."""

    def _numpycode(self, printer: Any) -> str:
        return (f"{base._p(printer, self.args[0])}.reshape({base._a(printer, self.args[1])}"
                f"{_order_kw(self.args[2:])})")

    def vjp(self, g: Any) -> list[Any]:
        # the same order back: element k of the order is element k of the input
        return [Reshape(g, Shape(self.args[0]), *self.args[2:])]


@primitive("ravel", np.ravel, methods=("ravel", "flatten"), params="a, order='C'",
           traits={VIEW, LINEAR})
class Ravel(Rule):
    """args: (x[, order])"""

    def _numpycode(self, printer: Any) -> str:
        return f"np.ravel({base._a(printer, self.args[0])}{_order_kw(self.args[1:])})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]), *self.args[1:])]


@primitive("expand_dims", np.expand_dims, params="a, axis", traits={VIEW, LINEAR},
           torch=Torch(("unsqueeze",), "UnsqueezeBackward0", {"dim": "axis"}))
class ExpandDims(Rule):
    """args: (x, axis)"""

    def _numpycode(self, printer: Any) -> str:
        return f"np.expand_dims({base._a(printer, self.args[0])}, {base.sval(self.args[1])!r})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]))]


@primitive("squeeze", np.squeeze, methods=("squeeze",), params="a, axis=None",
           traits={VIEW, LINEAR}, torch=Torch(("squeeze",), "SqueezeBackward0", {"dim": "axis"}))
class Squeeze(Rule):
    """args: (x, axis)"""

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[1])
        kw = "" if axis is None else f", {axis!r}"
        return f"np.squeeze({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]))]


# ---------------------------------------------------------------- shape metadata


class _Meta(Rule):
    """Shape metadata: a constant for the gradient."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return base.SCALAR


class Broadcast(_Meta):
    """np.broadcast(a, b, ...): the broadcast shape of operands, computed without the result."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.broadcast({', '.join(base._a(printer, a) for a in self.args)})"


@primitive("size", np.size, traits={SHAPE_ONLY})
class Size(_Meta):
    def _numpycode(self, printer: Any) -> str:
        if isinstance(self.args[0], Broadcast):
            return f"{base._p(printer, self.args[0])}.size"
        return f"np.size({base._a(printer, self.args[0])})"  # works for Python floats and Tensors


@primitive("shape", np.shape, traits={SHAPE_ONLY})
class Shape(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return f"np.shape({base._a(printer, self.args[0])})"


class ShapeAt(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])}.shape[{base.sval(self.args[1])!r}]"


@primitive("ndim", np.ndim, traits={SHAPE_ONLY})
class Ndim(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return f"np.ndim({base._a(printer, self.args[0])})"


@primitive("len", len, traits={SHAPE_ONLY})
class Len(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return f"len({base._a(printer, self.args[0])})"
