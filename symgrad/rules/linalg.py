"""Products: matmul, dot, inner, outer, and one side of a product's vjp (``ProductGrad``);
np.linalg.norm."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symgrad.rules.registry import (
    COSTLY,
    LINEAR,
    Rule,
    Torch,
    lazy_module,
    primitive,
)

base = lazy_module("symgrad.rules.base")


class _Product(Rule):
    """args: (a, b); bilinear: each side's cotangent is a ``ProductGrad``."""

    n_diff = 2
    helper = ""
    numpy_name = ""

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._a(printer, x) for x in self.args)
        return f"np.{self.numpy_name}({a}, {b})"

    def vjp(self, g: Any) -> list[Any]:
        a, b = self.args
        return [ProductGrad(base.static(self.helper + "_a"), g, a, b),
                ProductGrad(base.static(self.helper + "_b"), g, a, b)]


Dims = tuple[int, ...]


def _summed(n: int, m: int, what: str) -> None:
    if n != m:
        raise ValueError(f"{what}: shapes not aligned ({n} != {m})")


@primitive("matmul", np.matmul, params="x1, x2, /, out=None", arrays=("x1", "x2"),
           traits={LINEAR, COSTLY},
           torch=Torch(("matmul",), "MmBackward0", {}, {
               "2-d @ 1-d": "MvBackward0", "1-d @ 1-d": "DotBackward0",
               "1-d @ 2-d": "SqueezeBackward4", "2-d @ n-d": "CloneBackward0",
               "batched": "UnsafeViewBackward0"}))
class MatMul(_Product):
    helper = "_matmul_grad"
    node_args = ("x1", "x2")

    def _numpycode(self, printer: Any) -> str:
        return f"({base._p(printer, self.args[0])} @ {base._p(printer, self.args[1])})"

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        if not a or not b:
            raise ValueError("matmul: input operand does not have enough dimensions")
        a2, b2 = (a if len(a) > 1 else (1,) + a), (b if len(b) > 1 else b + (1,))
        if a2[-1] != b2[-2]:
            raise ValueError(f"matmul: mismatch in its core dimension ({a2[-1]} != {b2[-2]})")
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
        return batch + (a2[-2:-1] if len(a) > 1 else ()) + (b2[-1:] if len(b) > 1 else ())


@primitive("dot", np.dot, methods=("dot",), params="a, b, out=None", arrays=("a", "b"),
           traits={LINEAR, COSTLY}, torch=Torch(("dot",), "DotBackward0"))
class Dot(_Product):
    helper = "_dot_grad"
    numpy_name = "dot"
    node_args = ("a", "b")

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        if not a or not b:
            return a or b  # a number times an array
        _summed(a[-1], b[0] if len(b) == 1 else b[-2], "dot")
        return a[:-1] + b[:-2] + b[-1:] if len(b) > 1 else a[:-1]


@primitive("inner", np.inner, params="a, b", arrays=("a", "b"), traits={LINEAR, COSTLY},
           torch=Torch(("inner",), "ViewBackward0"))
class Inner(_Product):
    helper = "_inner_grad"
    numpy_name = "inner"

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        if not a or not b:
            return a or b
        _summed(a[-1], b[-1], "inner")
        return a[:-1] + b[:-1]


@primitive("outer", np.outer, params="a, b, out=None", arrays=("a", "b"),
           traits={LINEAR, COSTLY}, torch=Torch(("outer",), "MulBackward0"))
class Outer(_Product):
    helper = "_outer_grad"
    numpy_name = "outer"
    node_args = ("a", "b")

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        return (math.prod(a), math.prod(b))


_PRODUCTS = {cls.helper: cls for cls in (MatMul, Dot, Inner, Outer)}


class ProductGrad(Rule):
    """args: (helper name, g, a, b): one side of a product's VJP, via an inlined helper.

    ``_matmul_grad_a(g, a, b)`` is the transpose of a -> a @ b applied to g, and reads a only
    for its shape; it is linear in g (its transpose is the product itself, u @ b) and in b
    (the other side's ProductGrad, with u in a's place)."""

    def diff_args(self) -> tuple:
        return self.args[1:]  # g, a, b (not the helper's name)

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[2] if base.sval(self.args[0]).endswith("_a") else arg_classes[3]

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, base.sval(self.args[0]), self.args[1:])

    def vjp(self, u: Any) -> list[Any]:
        name = base.sval(self.args[0])
        g, a, b = self.args[1:]
        product = _PRODUCTS[name[:-2]]
        if name.endswith("_a"):  # the cotangent of a: a is read for its shape only
            return [product(u, b), None, ProductGrad(base.static(product.helper + "_b"), g, u, b)]
        return [product(a, u), ProductGrad(base.static(product.helper + "_a"), g, a, u), None]
