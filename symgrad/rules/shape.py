"""Shape primitives: transposes, reshapes, flips, added and removed axes, shape metadata.

Each entry is a ``Rule`` beside its registration; see ``registry`` for the fields.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symgrad.rules.registry import (
    ALLOCATES,
    LINEAR,
    NONDIFF,
    SHAPE_ONLY,
    VIEW,
    Rule,
    Torch,
    lazy_module,
    primitive,
    register,
)
from symgrad.rules.registry import Primitive as _Entry

base = lazy_module("symgrad.rules.base")
sp = lazy_module("sympy")

Dims = tuple[int, ...]


def _order_kw(args: tuple) -> str:
    """The ``order='F'`` of a reshape or ravel (an optional last Static argument)."""
    return f", order={base.sval(args[0])!r}" if args else ""


def _order_args(order: str) -> list[Any]:
    """A reshape's or ravel's memory order as node arguments: none for 'C', Static('F')."""
    if order not in ("C", "F"):
        raise ValueError(f"order={order!r} is not supported: only order='C' and order='F' "
                         "(order='A' and 'K' depend on the memory layout of the argument at "
                         "run time)")
    return [base.static("F")] if order == "F" else []


def shape_node_arg(shape: Any) -> Any:
    """A shape argument (numpy's: an int or a sequence of them) as a node argument: Static of
    integers; a SymPy Tuple where a size is computed (``(n, -1)``); ``x.shape`` (a Shape
    node), a Static or a Tuple as it is."""
    if isinstance(shape, (base.Static, sp.Tuple, Shape)) or isinstance(shape, ShapeAt) and \
            isinstance(base.sval(shape.args[1]), slice):  # x.shape[-2:]: a tuple too
        return shape
    items = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if all(isinstance(i, (int, np.integer, sp.Integer)) for i in items):
        return base.static(tuple(int(i) for i in items))
    return sp.Tuple(*items)


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """numpy's axis argument (an int, a tuple, None for all) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
    out = tuple(sorted(a % ndim for a in axes))
    if len(set(out)) != len(out):
        raise ValueError("repeated axis")
    return out


@primitive("transpose", np.transpose, methods=("transpose",), params="a, axes=None",
           method_params="*axes", traits={VIEW, LINEAR},
           torch=Torch(("permute",), "PermuteBackward0", {"dims": "axes"},
                       {"t": "TBackward0", "transpose": "TransposeBackward0"}))
class Transpose(Rule):
    """args: (x, axes)"""

    numpy_valued = "first"  # (a Python float has no .T)

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

    @staticmethod
    def out_shape(shape: Dims, axes: Any = None) -> Dims:
        if axes is None:
            return shape[::-1]
        if sorted(a % len(shape) for a in axes) != list(range(len(shape))):
            raise ValueError("axes don't match array")
        return tuple(shape[a] for a in axes)


@primitive("reshape", np.reshape, methods=("reshape",), params="a, shape, order='C'",
           values=("shape",), method_params="*shape, order='C'", traits={VIEW, LINEAR},
           torch=Torch(("reshape", "view"), "ViewBackward0", {}, {"copy": "UnsafeViewBackward0"}))
class Reshape(Rule):
    """args: (x, shape[, order]): shape is a Static tuple, a SymPy Tuple, or a Shape node;
    order is Static('F') when the elements are read and written in Fortran order."""

    def _numpycode(self, printer: Any) -> str:
        if isinstance(self.args[1], Shape):  # shaped like x: a gradient, maybe a Python float
            return (f"np.reshape({base._a(printer, self.args[0])}, "
                    f"{base._a(printer, self.args[1])}{_order_kw(self.args[2:])})")
        return (f"{base._p(printer, self.args[0])}.reshape({base._a(printer, self.args[1])}"
                f"{_order_kw(self.args[2:])})")

    def vjp(self, g: Any) -> list[Any]:
        # the same order back: element k of the order is element k of the input
        return [Reshape(g, Shape(self.args[0]), *self.args[2:])]

    @classmethod
    def make(cls, a: Any, shape: Any, order: str = "C") -> Any:
        return cls(a, shape_node_arg(shape), *_order_args(order))

    @staticmethod
    def out_shape(shape_in: Dims, shape: Any, order: str = "C") -> Dims:
        target = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        size = math.prod(shape_in)
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            target = tuple(size // known if d == -1 else d for d in target)
        if math.prod(target) != size:
            raise ValueError(f"cannot reshape an array of size {size} into shape {shape}")
        return target


@primitive("ravel", np.ravel, methods=("ravel",), params="a, order='C'",
           traits={VIEW, LINEAR}, torch=Torch(("ravel",), "ViewBackward0"))
class Ravel(Rule):
    """args: (x[, order])"""

    def _numpycode(self, printer: Any) -> str:
        return f"np.ravel({base._a(printer, self.args[0])}{_order_kw(self.args[1:])})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]), *self.args[1:])]

    @classmethod
    def make(cls, a: Any, order: str = "C") -> Any:
        return cls(a, *_order_args(order))

    @staticmethod
    def out_shape(shape: Dims, order: str = "C") -> Dims:
        return (math.prod(shape),)


# x.flatten() is a ravel that always copies: never a view of x
register(_Entry("flatten", methods=("flatten",), params="a, order='C'", rule=Ravel,
                traits=frozenset({ALLOCATES, LINEAR}), torch=Torch(("flatten",), "ViewBackward0"),
                eager=lambda a, order="C": np.asarray(a).flatten(order)))


@primitive("flip", np.flip, params="m, axis=None", arrays=("m",), traits={VIEW, LINEAR},
           torch=Torch(("flip",), "FlipBackward0", {"dims": "axis"}))
class Flip(Rule):
    """args: (x, axis): x reversed along axis (an int, a tuple, None for every axis); a
    permutation of the elements that is its own inverse, so its vjp is the same flip."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[1])
        kw = "" if axis is None else f", {axis!r}"
        return f"np.flip({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [Flip(g, self.args[1])]

    @staticmethod
    def out_shape(shape: Dims, axis: Any = None) -> Dims:
        normalize_axes(axis, len(shape))
        return shape


@primitive("rot90", np.rot90, params="m, k=1, axes=(0, 1)", arrays=("m",),
           traits={VIEW, LINEAR},
           torch=Torch(("rot90",), "Rot90Backward0", {"k": "k", "dims": "axes"}))
class Rot90(Rule):
    """args: (x, k, axes): x turned k quarter turns in the plane of axes; turning back
    (-k quarter turns) is its vjp."""

    def _numpycode(self, printer: Any) -> str:
        k, axes = base.sval(self.args[1]), base.sval(self.args[2])
        kw = ("" if k == 1 else f", {k!r}") + ("" if tuple(axes) == (0, 1) else
                                               f", axes={tuple(axes)!r}")
        return f"np.rot90({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [Rot90(g, base.static(-base.sval(self.args[1])), self.args[2])]

    @staticmethod
    def out_shape(shape: Dims, k: int = 1, axes: Any = (0, 1)) -> Dims:
        a, b = (ax % len(shape) for ax in axes)
        if k % 2 == 0:
            return shape
        out = list(shape)
        out[a], out[b] = shape[b], shape[a]
        return tuple(out)


@primitive("expand_dims", np.expand_dims, params="a, axis", traits={VIEW, LINEAR},
           torch=Torch(("unsqueeze",), "UnsqueezeBackward0", {"dim": "axis"}))
class ExpandDims(Rule):
    """args: (x, axis)"""

    numpy_valued = "always"

    def _numpycode(self, printer: Any) -> str:
        return f"np.expand_dims({base._a(printer, self.args[0])}, {base.sval(self.args[1])!r})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]))]

    @staticmethod
    def out_shape(shape: Dims, axis: Any) -> Dims:
        n = len(shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
        new = normalize_axes(axis, n)
        rest = iter(shape)
        return tuple(1 if i in new else next(rest) for i in range(n))


@primitive("squeeze", np.squeeze, methods=("squeeze",), params="a, axis=None",
           traits={VIEW, LINEAR},
           torch=Torch(("squeeze",), "SqueezeBackward0", {"dim": "axis"},
                       {"dim": "SqueezeBackward1", "dims": "SqueezeBackward2"}))
class Squeeze(Rule):
    """args: (x, axis)"""

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[1])
        kw = "" if axis is None else f", {axis!r}"
        return f"np.squeeze({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]))]

    @staticmethod
    def out_shape(shape: Dims, axis: Any = None) -> Dims:
        if axis is None:
            return tuple(d for d in shape if d != 1)
        axes = normalize_axes(axis, len(shape))
        if any(shape[a] != 1 for a in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal "
                             "to one")
        return tuple(d for i, d in enumerate(shape) if i not in axes)


# ---------------------------------------------------------------- shape metadata


class _Meta(Rule):
    """Shape metadata: a constant for the gradient."""

    traits = frozenset({NONDIFF})

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return base.SCALAR


@primitive("broadcast", np.broadcast, params="*args", arrays=(), lower="broadcast_call",
           traits={SHAPE_ONLY})
class Broadcast(_Meta):
    """np.broadcast(a, b, ...): the broadcast shape of operands, computed without the result
    (read for its ``.shape`` and ``.size``, in the user's code or in generated code read
    back: ``_broadcast_to(g, np.broadcast(a, b).shape)``)."""

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        # np.shape of it is the operands' broadcast shape, not a scalar's (read back from a
        # generated gradient, ``t = np.broadcast(a, b)`` is a value like any other)
        return fresh

    def _numpycode(self, printer: Any) -> str:
        return f"np.broadcast({', '.join(base._a(printer, a) for a in self.args)})"


register(_Entry("broadcast_shapes", binds=(np.broadcast_shapes,), params="*args", arrays=(),
                lower="broadcast_shapes_call", traits=frozenset({SHAPE_ONLY})))


@primitive("size", np.size, traits={SHAPE_ONLY})
class Size(_Meta):
    def _numpycode(self, printer: Any) -> str:
        if isinstance(self.args[0], Broadcast):
            return f"{base._p(printer, self.args[0])}.size"
        return printer.size_of(self.args[0])  # np.size: for Python floats and Tensors too

    @staticmethod
    def out_shape(shape: Dims) -> Dims:
        return ()


@primitive("shape", np.shape, traits={SHAPE_ONLY})
class Shape(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return printer.shape_of(self.args[0])

    @staticmethod
    def out_shape(shape: Dims) -> Dims:
        return (len(shape),)


class ShapeAt(_Meta):
    """args: (x, i): ``x.shape[i]``; i a Static int or slice, or an integer expression (a
    loop counter)."""

    def _numpycode(self, printer: Any) -> str:
        from symgrad.rules.indexing import format_index_part

        return f"{base._p(printer, self.args[0])}.shape[{format_index_part(printer, self.args[1])}]"


@primitive("ndim", np.ndim, traits={SHAPE_ONLY})
class Ndim(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return f"np.ndim({base._a(printer, self.args[0])})"

    @staticmethod
    def out_shape(shape: Dims) -> Dims:
        return ()


@primitive("len", len, params="obj", arrays=("obj",), traits={SHAPE_ONLY})
class Len(_Meta):
    def _numpycode(self, printer: Any) -> str:
        return f"len({base._a(printer, self.args[0])})"

    @classmethod
    def make(cls, obj: Any) -> Any:
        # len(x.shape) is x's rank (a shape is no array whose own shape the adjoint tracks)
        return Ndim(obj.args[0]) if isinstance(obj, Shape) else cls(obj)

    @staticmethod
    def out_shape(shape: Dims) -> Dims:
        return ()
