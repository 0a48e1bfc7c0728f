"""Joining and splitting: np.hstack/vstack/dstack/column_stack, np.append, np.atleast_1d/2d/3d,
np.broadcast_to and np.split/array_split/hsplit/vsplit/dsplit (one node per part).

Every vjp here is made of existing nodes: a join's is a slice of the cotangent per input
(``SliceAlong``) reshaped back (``Reshape``), the sizes read at run time from the inputs'
shapes; an ``atleast`` view's is a reshape; a broadcast's a ``SumTo``. np.append is
np.concatenate (with numpy's ``axis=None``: both flattened). See ``registry`` for the fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.indexing import Concatenate, SliceAlong, _joined_shape
from symgrad.rules.registry import (
    ALLOCATES,
    LINEAR,
    VIEW,
    Rule,
    Torch,
    lazy_module,
    primitive,
    register,
)
from symgrad.rules.registry import Primitive as _Entry
from symgrad.rules.shape import Reshape, Shape, ShapeAt, Transpose, shape_node_arg

base = lazy_module("symgrad.rules.base")
sp = lazy_module("sympy")

Dims = tuple[int, ...]


# ---------------------------------------------------------------- atleast_1d/2d/3d


def _atleast_shape(shape: Dims, ndmin: int) -> Dims:
    """numpy's: a 0-d array is (1,)*ndmin; 1-d (n,) is (1, n) in 2-d and (1, n, 1) in 3-d;
    a 2-d (m, n) is (m, n, 1) in 3-d."""
    if len(shape) >= ndmin:
        return shape
    if ndmin == 3 and len(shape) == 2:
        return shape + (1,)
    if ndmin == 3 and len(shape) == 1:
        return (1,) + shape + (1,)
    return (1,) * (ndmin - len(shape)) + shape


class _AtLeast(Rule):
    """args: (x,): x with at least ``ndmin`` axes, a view (x itself when it has them); the
    vjp reshapes the cotangent back."""

    ndmin = 1

    def _numpycode(self, printer: Any) -> str:
        return f"np.atleast_{self.ndmin}d({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]))]

    @classmethod
    def out_shape(cls, shape: Dims) -> Dims:
        return _atleast_shape(shape, cls.ndmin)


# numpy's atleast_Nd(*arys) of several arrays returns a list: one array is bound here
@primitive("atleast_1d", np.atleast_1d, params="arys", arrays=("arys",), traits={VIEW, LINEAR})
class AtLeast1d(_AtLeast):
    ndmin = 1


@primitive("atleast_2d", np.atleast_2d, params="arys", arrays=("arys",), traits={VIEW, LINEAR})
class AtLeast2d(_AtLeast):
    ndmin = 2


@primitive("atleast_3d", np.atleast_3d, params="arys", arrays=("arys",), traits={VIEW, LINEAR})
class AtLeast3d(_AtLeast):
    ndmin = 3


# ---------------------------------------------------------------- broadcast_to


@primitive("broadcast_to", np.broadcast_to, params="array, shape, subok=False",
           arrays=("array",), values=("shape",), node_args=("array", "shape"),
           traits={VIEW, LINEAR},
           torch=Torch(("broadcast_to",), "ExpandBackward0", {"size": "shape"}))
class BroadcastTo(Rule):
    """args: (x, shape): a read-only view of x repeated to ``shape``; each element of x is
    read wherever it was repeated, so its gradient is the cotangent summed back."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.broadcast_to({base._a(printer, self.args[0])}, {base._a(printer, self.args[1])})"

    def vjp(self, g: Any) -> list[Any]:
        from symgrad.rules.grads import SumTo

        return [SumTo(g, self.args[0])]

    @classmethod
    def make(cls, array: Any, shape: Any) -> Any:
        return cls(array, shape_node_arg(shape))

    @staticmethod
    def out_shape(shape_in: Dims, shape: Any) -> Dims:
        target = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if tuple(np.broadcast_shapes(shape_in, target)) != target:
            raise ValueError(f"cannot broadcast an array of shape {shape_in} to {target}")
        return target


# ---------------------------------------------------------------- hstack, vstack, dstack, ...


class _Join(Rule):
    """args: (*xs): numpy's join of the inputs, each made ``ndmin``-d (``adapt``) first, along
    ``axis``. The vjp slices the cotangent (``cotangent(g)``, in the joined layout) along the
    axis at the inputs' sizes there, and reshapes each slice to its input's shape."""

    axis = 0
    ndmin = 1

    def diff_args(self) -> tuple:
        return self.args  # every argument is an array

    def _numpycode(self, printer: Any) -> str:
        xs = ", ".join(base._a(printer, x) for x in self.args)
        return f"np.{self.primitive.name}([{xs}])"

    def adapt(self, x: Any) -> Any:
        """x as numpy joins it (``np.atleast_2d(x)`` for vstack)."""
        return {1: AtLeast1d, 2: AtLeast2d, 3: AtLeast3d}[self.ndmin](x)

    def cotangent(self, g: Any) -> Any:
        return g

    def vjp(self, g: Any) -> list[Any]:
        g = self.cotangent(g)
        axis = base.static(self.axis)
        start: Any = sp.Integer(0)
        out = []
        for x in self.args:
            stop = start + ShapeAt(self.adapt(x), axis)
            out.append(Reshape(SliceAlong(g, axis, start, stop), Shape(x)))
            start = stop
        return out

    @classmethod
    def out_shape(cls, *shapes: Dims) -> Dims:
        return _joined_shape(tuple(cls.adapt_shape(s) for s in shapes), cls.axis, False)

    @classmethod
    def adapt_shape(cls, shape: Dims) -> Dims:
        return _atleast_shape(shape, cls.ndmin)


_JOIN: dict[str, Any] = dict(params="tup, *, dtype=None, casting='same_kind'", arrays=("tup",),
                             node_args=("tup",), variadic=True, traits={ALLOCATES, LINEAR})


@primitive("vstack", np.vstack, **_JOIN)
class Vstack(_Join):
    """np.vstack: rows, 1-d inputs as (1, n)."""

    axis, ndmin = 0, 2


# np.row_stack: numpy 2's deprecated alias of vstack (it warns; symgrad prints np.vstack)
if hasattr(np, "row_stack"):
    register(_Entry("row_stack", binds=(np.row_stack,), rule=Vstack, eager=np.vstack,
                    **{**_JOIN, "traits": frozenset(_JOIN["traits"])}))


@primitive("hstack", np.hstack, **_JOIN)
class Hstack(_Join):
    """np.hstack: along axis 1, or axis 0 when the inputs are 1-d. Both are axis 1 of the
    inputs and the output made at least 2-d (a 1-d (n,) as (1, n)), so the vjp slices
    ``np.atleast_2d(g)``."""

    axis, ndmin = 1, 2

    def cotangent(self, g: Any) -> Any:
        return AtLeast2d(g)

    @classmethod
    def out_shape(cls, *shapes: Dims) -> Dims:
        shapes = tuple(_atleast_shape(s, 1) for s in shapes)
        return _joined_shape(shapes, 0 if shapes and len(shapes[0]) == 1 else 1, False)


@primitive("dstack", np.dstack, **_JOIN)
class Dstack(_Join):
    """np.dstack: along axis 2 of the inputs made at least 3-d."""

    axis, ndmin = 2, 3


@primitive("column_stack", np.column_stack, **{**_JOIN, "params": "tup"})
class ColumnStack(_Join):
    """np.column_stack: along axis 1, a 0-d or 1-d input as a column (n, 1). The width an
    input takes is axis -2 of ``np.atleast_2d(x.T)`` (1 for a column, x.shape[1] else)."""

    axis, ndmin = 1, 2

    def vjp(self, g: Any) -> list[Any]:
        start: Any = sp.Integer(0)
        out = []
        for x in self.args:
            stop = start + ShapeAt(AtLeast2d(Transpose(x, base.static(None))), base.static(-2))
            out.append(Reshape(SliceAlong(g, base.static(1), start, stop), Shape(x)))
            start = stop
        return out

    @classmethod
    def adapt_shape(cls, shape: Dims) -> Dims:
        return shape if len(shape) >= 2 else (int(np.prod(shape, dtype=int)), 1)


# ---------------------------------------------------------------- append


def _append(arr: Any, values: Any, axis: Any = None) -> Any:
    return np.append(arr, values, axis=axis)


# np.append(arr, values, axis) is np.concatenate([arr, values], axis): axis=None flattens both
register(_Entry("append", binds=(np.append,), params="arr, values, axis=None",
                arrays=("arr", "values"), node_args=("arr", "values", "axis"), rule=Concatenate,
                traits=frozenset({ALLOCATES, LINEAR}), eager=_append,
                shape=lambda a, b, axis=None: Concatenate.out_shape(a, b, axis=axis)))


# ---------------------------------------------------------------- split, array_split, ...


class SplitPart(Rule):
    """args: (x, split, sections, axis, i): part i of ``np.<split>(x, sections, axis)`` (a
    view of x; axis None for hsplit, vsplit and dsplit, which choose their own). A split
    returns a list whose length is known at decoration time (an int of sections, or one more
    than the split points), so the frontend makes one node per part, printed as the user's
    call indexed; numpy refuses an unequal np.split at run time as it would anyway. Its vjp
    puts g where the part was in zeros shaped like x (``_split_grad``)."""

    traits = frozenset({VIEW, LINEAR})

    def _numpycode(self, printer: Any) -> str:
        split, sections, axis, i = (base.sval(a) for a in self.args[1:])
        kw = "" if axis in (None, 0) else f", axis={axis!r}"
        return f"np.{split}({base._a(printer, self.args[0])}, {sections!r}{kw})[{i}]"

    def vjp(self, g: Any) -> list[Any]:
        return [SplitGrad(g, *self.args)]

    @staticmethod
    def out_shape(shape: Dims, split: str, sections: Any, axis: Any, i: int) -> Dims:
        args = (sections,) if axis is None else (sections, axis)
        return np.shape(getattr(np, split)(np.zeros(shape), *args)[i])


class SplitGrad(Rule):
    """args: (g, x, split, sections, axis, i): zeros shaped like x with g where part i of the
    split was; its transpose reads the part."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    n_diff = 1
    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_split_grad")
        g, x = (base._a(printer, a) for a in self.args[:2])
        split, sections, axis, i = (base.sval(a) for a in self.args[2:])
        return f"_split_grad({g}, {x}, np.{split}, {sections!r}, {axis!r}, {i!r})"

    def vjp(self, g: Any) -> list[Any]:
        return [SplitPart(g, *self.args[2:])]


for _split, _params in [("split", "ary, indices_or_sections, axis=0"),
                        ("array_split", "ary, indices_or_sections, axis=0"),
                        ("hsplit", "ary, indices_or_sections"),
                        ("vsplit", "ary, indices_or_sections"),
                        ("dsplit", "ary, indices_or_sections")]:
    register(_Entry(_split, binds=(getattr(np, _split),), params=_params, arrays=("ary",),
                    values=("indices_or_sections",), lower="split_call",
                    traits=frozenset({VIEW, LINEAR}),
                    doc=f"np.{_split}: a tuple of parts (see SplitPart)"))
del _split, _params
# ---------------------------------------------------------------- np.r_ and np.c_


class RConcat(_Join):
    """``np.r_[a, b, 0.0]``, printed as written (numpy's own dtype rules for the scalars):
    each item made at least 1-d and joined along axis 0, so the vjp is a slice of g per
    item, reshaped back; a number takes one place. Not bound to a callable (np.r_ is indexed,
    not called): the frontend's subscript lowering makes it."""

    axis, ndmin = 0, 1
    bracket = "r_"

    def diff_args(self) -> tuple:
        return tuple(a for a in self.args if getattr(a, "free_symbols", None))

    def _numpycode(self, printer: Any) -> str:
        return f"np.{self.bracket}[{', '.join(base._a(printer, x) for x in self.args)}]"

    def width(self, x: Any) -> Any:
        """The places ``x`` takes along the joined axis."""
        return ShapeAt(self.adapt(x), base.static(self.axis))

    def vjp(self, g: Any) -> list[Any]:
        axis = base.static(self.axis)
        start: Any = sp.Integer(0)
        out = []
        for x in self.args:
            stop = start + (self.width(x) if x.free_symbols else sp.Integer(1))
            if x.free_symbols:
                out.append(Reshape(SliceAlong(g, axis, start, stop), Shape(x)))
            start = stop
        return out

    def jvp(self, tangents: list[Any]) -> Any:
        # affine: each array's tangent in its place, each number's 0
        from symgrad.rules.grads import GradZeros

        given = iter(tangents)
        items = []
        for x in self.args:
            if x.free_symbols:
                t = next(given)
                items.append(t if t != 0 else GradZeros(x))
            else:
                items.append(sp.Float(0.0))
        return type(self)(*items)


class CConcat(RConcat):
    """``np.c_[a, b]``: each item made at least 2-d with a 1-d (n,) as a column (n, 1), joined
    along the last axis (np.column_stack for 1-d and 2-d items). An item's width there is axis
    0 of ``np.atleast_2d(x.T)``: 1 for a number or a 1-d array, x.shape[-1] else."""

    axis, ndmin = -1, 2
    bracket = "c_"

    def width(self, x: Any) -> Any:
        return ShapeAt(AtLeast2d(Transpose(x, base.static(None))), base.static(0))
