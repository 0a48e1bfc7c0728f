"""Products: matmul, dot, inner, outer, kron, cross, and one side of a product's vjp
(``ProductGrad``); np.linalg.norm. (Inverses and factorizations: ``inverses.py``.)"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symgrad.rules.registry import (
    COSTLY,
    LINEAR,
    MULTILINEAR,
    Rule,
    Torch,
    lazy_module,
    primitive,
)

base = lazy_module("symgrad.rules.base")
grads = lazy_module("symgrad.rules.grads")


class _Product(Rule):
    """args: (a, b); bilinear: each side's cotangent is a ``ProductGrad``."""

    n_diff = 2
    helper = ""
    numpy_name = ""
    numpy_valued = "always"

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
           traits={LINEAR, MULTILINEAR, COSTLY},
           torch=Torch(("matmul",), "MmBackward0", {}, {
               "2-d @ 1-d": "MvBackward0", "1-d @ 1-d": "DotBackward0",
               "1-d @ 2-d": "SqueezeBackward4", "2-d @ n-d": "CloneBackward0",
               "batched": "UnsafeViewBackward0"}))
class MatMul(_Product):
    helper = "_matmul_grad"
    node_args = ("x1", "x2")
    numpy_valued = "operand"

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])} @ {base._p(printer, self.args[1])}"

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
           traits={LINEAR, MULTILINEAR, COSTLY}, torch=Torch(("dot",), "DotBackward0"))
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


@primitive("inner", np.inner, params="a, b", arrays=("a", "b"), traits={LINEAR, MULTILINEAR, COSTLY},
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
           traits={LINEAR, MULTILINEAR, COSTLY}, torch=Torch(("outer",), "MulBackward0"))
class Outer(_Product):
    helper = "_outer_grad"
    numpy_name = "outer"
    node_args = ("a", "b")

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        return (math.prod(a), math.prod(b))


@primitive("kron", np.kron, params="a, b", arrays=("a", "b"), traits={LINEAR, MULTILINEAR, COSTLY},
           torch=Torch(("kron",), "UnsafeViewBackward0"))
class Kron(_Product):
    """np.kron: every element of a times all of b, blocks laid out along each axis (the
    shorter shape padded with leading ones). Each side's cotangent sums g's blocks against
    the other factor (``_kron_grad_a``, ``_kron_grad_b``). torch prints UnsafeViewBackward0
    (its kron is a reshaped product), not a node of its own."""

    helper = "_kron_grad"
    numpy_name = "kron"

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        return tuple(x * y for x, y in zip(a, b, strict=True))


_PRODUCTS = {cls.helper: cls for cls in (MatMul, Dot, Inner, Outer, Kron)}


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

    def jvp(self, tangents: list[Any]) -> Any:
        # bilinear in g and the other operand; the own operand is read for its shape only
        name, g, a, b = self.args
        tg, ta, tb = tangents
        if base.sval(name).endswith("_a"):
            t_other, other = tb, (g, a, tb)
        else:
            t_other, other = ta, (g, ta, b)
        return (ProductGrad(name, tg, a, b) if tg != 0 else 0) + \
            (ProductGrad(name, *other) if t_other != 0 else 0)

    def vjp(self, u: Any) -> list[Any]:
        name = base.sval(self.args[0])
        g, a, b = self.args[1:]
        product = _PRODUCTS[name[:-2]]
        if name.endswith("_a"):  # the cotangent of a: a is read for its shape only
            return [product(u, b), None, ProductGrad(base.static(product.helper + "_b"), g, u, b)]
        return [product(a, u), ProductGrad(base.static(product.helper + "_a"), g, a, u), None]


def _cross_axis(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value >= 0:
        raise ValueError(f"np.cross({what}={value!r}) is not supported: give the vector axis "
                         "counted from the end (a negative integer, as the default -1): where "
                         "a non-negative axis lands after broadcasting depends on the "
                         "arrays' number of dimensions")
    return value


@primitive("cross", np.cross, params="a, b, axisa=-1, axisb=-1, axisc=-1, axis=None",
           arrays=("a", "b"), traits={LINEAR, MULTILINEAR, COSTLY},
           torch=Torch(("cross",), "LinalgCrossBackward0", {"dim": "axis"}))
class Cross(Rule):
    """args: (a, b, axisa, axisb, axisc): the cross product of 3-vectors along axisa of a and
    axisb of b (broadcast), the result's vectors along axisc (``axis=`` sets all three).

    Bilinear: ``grad_a = cross(b, g)`` and ``grad_b = cross(g, a)``, with the axes carried
    along (each summed back over broadcast dimensions). Axes count from the end (negative),
    so they mean the same before and after broadcasting. numpy's deprecated 2-vectors (whose
    product is a number) are not supported: the vjp's crosses (``Cross3``) raise a
    ValueError for them, where np.cross would misread g's axes."""

    n_diff = 2

    @classmethod
    def make(cls, a: Any, b: Any, axisa: Any = -1, axisb: Any = -1, axisc: Any = -1,
             axis: Any = None) -> Any:
        if axis is not None:
            axisa = axisb = axisc = axis
        axes = [_cross_axis(v, n) for v, n in ((axisa, "axisa"), (axisb, "axisb"),
                                                (axisc, "axisc"))]
        return cls(a, b, *map(base.static, axes))

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._a(printer, x) for x in self.args[:2])
        axes = [base.sval(x) for x in self.args[2:]]
        if len(set(axes)) == 1:
            kw = "" if axes[0] == -1 else f", axis={axes[0]!r}"
        else:
            kw = base._kw(axisa=(axes[0], -1), axisb=(axes[1], -1), axisc=(axes[2], -1))
        return f"np.cross({a}, {b}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        a, b, xa, xb, xc = self.args
        return [grads.SumTo(Cross3(b, g, xb, xc, xa), a),
                grads.SumTo(Cross3(g, a, xc, xa, xb), b)]

    @staticmethod
    def out_shape(a: Dims, b: Dims, axisa: int = -1, axisb: int = -1, axisc: int = -1,
                  axis: Any = None) -> Dims:
        if axis is not None:
            axisa = axisb = axisc = axis
        x = np.broadcast_to(np.zeros(()), a)
        y = np.broadcast_to(np.zeros(()), b)
        return tuple(np.shape(np.cross(x, y, axisa, axisb, axisc)))


@primitive("multi_dot", np.linalg.multi_dot, params="arrays, *, out=None", arrays=("arrays",),
           variadic=True, node_args=("arrays",), traits={LINEAR, MULTILINEAR, COSTLY},
           torch=Torch((), "ViewBackward0"))
class MultiDot(Rule):
    """args: (*xs): ``xs[0] @ xs[1] @ ... @ xs[-1]`` (numpy picks the cheapest order); the
    first and last may be 1-d (a row and a column), the others are 2-d.

    Each operand's cotangent is one side of a product (``ProductGrad``) of the operands
    before it and the operands after it, each multiplied out by matmul."""

    def diff_args(self) -> tuple:
        return self.args

    def _numpycode(self, printer: Any) -> str:
        return f"np.linalg.multi_dot([{', '.join(base._a(printer, x) for x in self.args)}])"

    def vjp(self, g: Any) -> list[Any]:
        xs = self.args
        out = []
        for k, x in enumerate(xs):
            left, right = _chain(xs[:k]), _chain(xs[k + 1:])
            if right is None:  # the last: g = left @ x
                out.append(ProductGrad(base.static("_matmul_grad_b"), g, left, x))
                continue
            gx_left = ProductGrad(base.static("_matmul_grad_a"), g,
                                  x if left is None else MatMul(left, x), right)
            out.append(gx_left if left is None else
                       ProductGrad(base.static("_matmul_grad_b"), gx_left, left, x))
        return out

    @staticmethod
    def out_shape(*shapes: Dims) -> Dims:
        if len(shapes) < 2:
            raise ValueError("multi_dot: expecting at least two arrays")
        return tuple(np.shape(np.linalg.multi_dot([np.zeros(s) for s in shapes])))


class Cross3(Cross):
    """args: (a, b, axisa, axisb, axisc): a cross inside np.cross's vjp, through
    ``_cross3``: np.cross after checking that both have 3-vectors (for np.cross of
    2-vectors, g has no vector axis, and np.cross would read one of its other axes)."""

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._a(printer, x) for x in self.args[:2])
        axes = [base.sval(x) for x in self.args[2:]]
        kw = base._kw(axisa=(axes[0], -1), axisb=(axes[1], -1), axisc=(axes[2], -1))
        printer.use_helper("_cross3")
        return f"_cross3({a}, {b}{kw})"


def _chain(xs: Any) -> Any:
    """``xs[0] @ ... @ xs[-1]`` as MatMul nodes (None for no operands)."""
    if not xs:
        return None
    out = xs[0]
    for x in xs[1:]:
        out = MatMul(out, x)
    return out
