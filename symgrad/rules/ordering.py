"""Ordering and gathering: np.sort, np.partition, np.take, np.take_along_axis (and the
index-valued np.argsort / np.argpartition, which carry no gradient).

Each of these reads elements of x at positions: its vjp puts the cotangent back at those
positions of zeros shaped like x, adding where a position is read twice. A sort reads x
through the permutation ``np.argsort(x, kind='stable')``, so its vjp scatters g through it
(``TakeAlongAxisGrad``). See ``registry`` for the fields of an entry.

Ties (sort and partition): the vjp scatters through the stable argsort, so of equal elements
the first in x gets the gradient of the first sorted position among them, as torch.sort's
gradient (torch.sort's indices order ties stably on CPU). Any assignment of tied positions is
a valid subgradient; this one is torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.creation import NpConstant, constant
from symgrad.rules.indexing import ScatterInto, _along
from symgrad.rules.registry import (
    ALLOCATES,
    LINEAR,
    Primitive,
    Rule,
    Torch,
    lazy_module,
    primitive,
    register,
)
from symgrad.rules.shape import Ravel, Reshape, Shape

base = lazy_module("symgrad.rules.base")

Dims = tuple[int, ...]


def _shape_of(fn: Any, shape: Dims, *args: Any, **kw: Any) -> Dims:
    """numpy's output shape of ``fn`` on an array of ``shape``."""
    return tuple(np.shape(fn(np.zeros(shape), *args, **kw)))


def _axis_kw(axis: Any, default: Any = -1) -> str:
    return "" if axis == default else f", axis={axis!r}"


def _indices(name: str, x: Any, *args: Any, **kw: Any) -> Any:
    """``np.<name>(x, *args, **kw)`` as a node with no gradient (an argsort's permutation)."""
    return NpConstant(base.static(name), base.static(tuple(kw.items())), x,
                      *[base.static(a) for a in args])


# ---------------------------------------------------------------- argsort, argpartition

# the permutations themselves: integers, no gradient (x.argsort() too)
constant("argsort", methods=("argsort",))
constant("argpartition", methods=("argpartition",))


def _in_place(name: str) -> None:
    """``x.sort()`` / ``x.partition(k)``: in place, returning None; refused at the call."""
    register(Primitive(f"ndarray.{name}", methods=(name,), params="*args, **kwargs", arrays=(),
                       lower="in_place_call"))


_in_place("sort")
_in_place("partition")


# ---------------------------------------------------------------- take_along_axis


@primitive("take_along_axis", np.take_along_axis, params="arr, indices, axis=-1",
           arrays=("arr", "indices"), nondiff_args=(1,), traits={ALLOCATES, LINEAR},
           torch=Torch(("take_along_dim",), "GatherBackward0",
                       {"dim": "axis"}))
class TakeAlongAxis(Rule):
    """args: (x, indices, axis): x read at ``indices`` along axis (axis None: of the flattened
    x). Its vjp adds g into zeros shaped like x at the same positions."""

    n_diff = 1
    node_args = ("arr", "indices", "axis")

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[2])
        return (f"np.take_along_axis({base._a(printer, self.args[0])}, "
                f"{base._a(printer, self.args[1])}, {axis!r})")

    def vjp(self, g: Any) -> list[Any]:
        return [TakeAlongAxisGrad(g, self.args[0], self.args[1], self.args[2])]

    @staticmethod
    def out_shape(shape: Dims, indices: Dims, axis: Any = -1) -> Dims:
        return _shape_of(np.take_along_axis, shape, np.zeros(indices, dtype=int), axis)


class TakeAlongAxisGrad(Rule):
    """args: (g, x, indices, axis): zeros shaped like x with g added where
    ``np.take_along_axis(x, indices, axis)`` read (twice read: added twice). Its transpose
    is that read."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    n_diff = 1
    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_take_along_axis_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [TakeAlongAxis(g, self.args[2], self.args[3])]


# ---------------------------------------------------------------- sort, partition


@primitive("sort", np.sort, params="a, axis=-1, kind='quicksort', order=None, *, stable=None",
           node_args=("a", "axis", "kind", "stable"), traits={ALLOCATES})
class Sort(Rule):
    """args: (x, axis): x sorted along axis (None: flattened). Its vjp scatters g back
    through ``np.argsort(x, axis, kind='stable')``: of tied elements the first in x gets the
    first sorted position's gradient, as torch.sort. ``kind`` and ``stable`` change no value,
    so they are ignored; ``x.sort()`` (in place) is refused. (No Tensor spelling: torch.sort
    returns values and indices.)"""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return f"np.sort({base._a(printer, self.args[0])}{_axis_kw(base.sval(self.args[1]))})"

    def vjp(self, g: Any) -> list[Any]:
        x, axis = self.args[0], base.sval(self.args[1])
        order = _indices("argsort", x, axis=axis, kind="stable")
        return [TakeAlongAxisGrad(g, x, order, self.args[1])]

    def jvp(self, tangents: list[Any]) -> Any:
        # the tangent moves with its element: read through the same permutation
        x, axis = self.args[0], base.sval(self.args[1])
        return TakeAlongAxis(tangents[0], _indices("argsort", x, axis=axis, kind="stable"),
                             self.args[1])

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if base.sval(self.args[1]) is None else arg_classes[0]

    @classmethod
    def make(cls, a: Any, axis: Any = -1, kind: Any = "quicksort", stable: Any = None) -> Any:
        return cls(a, base.static(axis))

    @staticmethod
    def out_shape(shape: Dims, axis: Any = -1, kind: Any = "quicksort",
                  stable: Any = None) -> Dims:
        return _shape_of(np.sort, shape, axis)


@primitive("partition", np.partition, params="a, kth, axis=-1, kind='introselect', order=None",
           node_args=("a", "kth", "axis"), traits={ALLOCATES})
class Partition(Rule):
    """args: (x, kth, axis): x with the element that sorts to each position ``kth`` there,
    the smaller ones before it and the larger after. Its vjp scatters g back through
    ``np.argpartition(x, kth, axis)``, which numpy computes by the same selection, so it
    is the permutation np.partition applied (ties: any tied element is a valid choice)."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        kth, axis = base.sval(self.args[1]), base.sval(self.args[2])
        return f"np.partition({base._a(printer, self.args[0])}, {kth!r}{_axis_kw(axis)})"

    def vjp(self, g: Any) -> list[Any]:
        x, kth, axis = self.args[0], base.sval(self.args[1]), base.sval(self.args[2])
        order = _indices("argpartition", x, kth, axis=axis)
        return [TakeAlongAxisGrad(g, x, order, self.args[2])]

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if base.sval(self.args[2]) is None else arg_classes[0]

    @classmethod
    def make(cls, a: Any, kth: Any, axis: Any = -1) -> Any:
        kth = tuple(int(k) for k in kth) if isinstance(kth, (list, tuple)) else kth
        if not isinstance(kth, (int, tuple)):
            raise ValueError("kth must be an integer or a tuple of integers known now")
        return cls(a, base.static(kth), base.static(axis))

    @staticmethod
    def out_shape(shape: Dims, kth: Any, axis: Any = -1) -> Dims:
        return _shape_of(np.partition, shape, kth, axis)


# ---------------------------------------------------------------- take


@primitive("take", np.take, methods=("take",),
           params="a, indices, axis=None, out=None, mode='raise'",
           arrays=("a", "indices"), nondiff_args=(1,), node_args=("a", "indices", "axis"),
           traits={ALLOCATES, LINEAR})
class Take(Rule):
    """args: (x, indices, axis): x read at ``indices`` along axis (None: of the flattened
    x); only numpy's default ``mode='raise'``. Its vjp adds g at those positions of zeros
    shaped like x. (No Tensor spelling: torch.take reads the flattened x only.)"""

    n_diff = 1

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[2])
        return (f"np.take({base._a(printer, self.args[0])}, {base._a(printer, self.args[1])}"
                f"{_axis_kw(axis, None)})")

    def vjp(self, g: Any) -> list[Any]:
        x, indices, axis = self.args[0], self.args[1], base.sval(self.args[2])
        if axis is None:  # positions in the flattened x
            return [Reshape(ScatterInto(g, Ravel(x), indices), Shape(x))]
        return [ScatterInto(g, x, *_along(axis, indices))]

    @staticmethod
    def out_shape(shape: Dims, indices: Dims, axis: Any = None) -> Dims:
        return _shape_of(np.take, shape, np.zeros(indices, dtype=int), axis)
