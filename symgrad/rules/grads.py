"""Gradient-side nodes: undoing and redoing numpy broadcasting, and a gradient's zeros.

The adjoint writes these into gradients; they are linear in the cotangent, so each has a vjp
(un-broadcasting's is a broadcast and the reverse) and a generated gradient can be
differentiated again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.registry import (
    ALLOCATES,
    LINEAR,
    NONDIFF,
    VIEW,
    Primitive,
    Rule,
    lazy_module,
    register,
)
from symgrad.rules.shape import Broadcast

base = lazy_module("symgrad.rules.base")


class SumTo(Rule):
    """Sum a broadcast cotangent back to the shape of x: args (g, x)."""

    traits = frozenset({VIEW, LINEAR})  # g itself when it has x's shape
    shape_like = 1
    reads_shape_of = 1

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return _like_class(self, arg_classes, fresh)

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_sum_to", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [BroadcastLike(g, self.args[0])]


def _like_class(node: Any, arg_classes: list[int], fresh: int) -> int:
    """The class of a value shaped like ``node.args[1]``: unknown (fresh) for
    ``np.broadcast(a, b)``, a meta object whose own class is the scalars'."""
    return fresh if isinstance(node.args[1], Broadcast) else arg_classes[1]


class BroadcastLike(Rule):
    """Give a cotangent exactly the shape of x: args (g, x)."""

    traits = frozenset({VIEW, LINEAR})  # g itself when it has x's shape
    shape_like = 1
    reads_shape_of = 1
    shape_class = _like_class

    def _numpycode(self, printer: Any) -> str:
        like = self.args[1]
        shape = f"{base._a(printer, like)}.shape" if isinstance(like, Broadcast) else \
            printer.shape_of(like)
        printer.use_helper("_broadcast_to")
        return f"_broadcast_to({base._a(printer, self.args[0])}, {shape})"

    def vjp(self, g: Any) -> list[Any]:
        return [SumTo(g, self.args[0])]


class FullLike(BroadcastLike):
    """A fresh, writable gradient array shaped like x: args (g, x). Always floating: x may be
    an integer array (a buffer from np.arange), whose gradient must not be truncated."""

    traits = frozenset({ALLOCATES, LINEAR})
    reads_shape_of = None  # np.full_like takes x's dtype too

    numpy_valued = "always"

    def _numpycode(self, printer: Any) -> str:
        if self.args[0] == 0:
            return f"np.zeros_like({base._a(printer, self.args[1])}, dtype=float)"
        return (f"np.full_like({base._a(printer, self.args[1])}, "
                f"{base._a(printer, self.args[0])}, dtype=float)")


# np.full_like(a, value, dtype=float): what a generated gradient prints (read back by
# symgrad.grad(G.grad)) and a user may write; with a's own dtype it is refused (an integer a
# would truncate the value)
register(Primitive("full_like", binds=(np.full_like,), params="a, fill_value, dtype=None",
                   arrays=("a", "fill_value"), lower="full_like_call",
                   traits=frozenset({ALLOCATES, LINEAR})))


class GradZeros(Rule):
    """A float64 zero gradient shaped like x (never x's integer dtype): args (x,)."""

    traits = frozenset({NONDIFF, ALLOCATES})
    shape_like = 0
    reads_shape_of = 0

    numpy_valued = "always"

    def _numpycode(self, printer: Any) -> str:
        return f"np.zeros({printer.shape_of(self.args[0])})"


class TreeZeros(GradZeros):
    """The zero gradient of a parameter a loop indexes, which may hold several arrays (an
    MLP's list of layers, a dict of them): an object array of zeros per item, as
    ``_tuple_zeros`` gives, so each item's gradient is added in place; an array's zeros
    otherwise. args (x,)."""

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_zeros_like", self.args)
