"""Indexing and joining: ``x[index]``, ``x[index] = v``, np.concatenate and np.stack, with the
scatters, slices and masks their gradients are made of."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.grads import GradZeros, SumTo
from symgrad.rules.registry import (
    ALLOCATES,
    LINEAR,
    NONDIFF,
    VIEW,
    Rule,
    Torch,
    lazy_module,
    primitive,
)
from symgrad.rules.shape import Reshape, Shape, ShapeAt, Size, normalize_axes

base = lazy_module("symgrad.rules.base")
sp = lazy_module("sympy")


def format_index_part(printer: Any, part: Any) -> str:
    if isinstance(part, base.Static):
        value = part.value
        if value is None:
            return "None"
        if value is Ellipsis:
            return "..."
        if isinstance(value, slice):
            start, stop, step = ("" if v is None else repr(v)
                                 for v in (value.start, value.stop, value.step))
            return f"{start}:{stop}" + (f":{step}" if step else "")
        return repr(value)
    if isinstance(part, SliceOf):
        return part._numpycode(printer)
    return base._a(printer, part)


def _index_parts(index: Any) -> list[Any]:
    """An index known at decoration time (``(0, slice(1, None))``) as node arguments."""
    items = index if isinstance(index, tuple) else (index,)
    return [i if isinstance(i, sp.Basic) else base.static(i) for i in items]


class SliceOf(Rule):
    """A slice with computed bounds: args (start, stop, step), each an expression or Static."""

    traits = frozenset({NONDIFF})
    is_slice = True  # a statement of its own prints as np.s_[start:stop]

    def _numpycode(self, printer: Any) -> str:
        start, stop, step = (
            "" if isinstance(a, base.Static) and a.value is None else base._a(printer, a)
            for a in self.args
        )
        return f"{start}:{stop}" + (f":{step}" if step else "")


class ListOf(Rule):
    """``x[[i, i + 1]]``: a list of computed integers as an index, printed as written (numpy's
    integer-array index); args: the elements."""

    traits = frozenset({NONDIFF})

    def _numpycode(self, printer: Any) -> str:
        return f"[{', '.join(base._a(printer, e) for e in self.args)}]"


def _getitem(a: Any, index: Any) -> Any:
    return a[index]


def _setitem(a: Any, value: Any, index: Any) -> Any:
    out = np.array(a, copy=True)
    out[index] = value
    return out


@primitive("getitem", params="a, index", traits={VIEW, LINEAR}, eager=_getitem,
           torch=Torch(("__getitem__",), "SelectBackward0", {}, {
               "slice": "SliceBackward0", "index array": "IndexBackward0",
               "None": "UnsqueezeBackward0", "whole": "AliasBackward0"}))
class GetItem(Rule):
    """args: (x, *index parts)"""

    needs_full_g = False  # np.add.at broadcasts the cotangent

    numpy_valued = "first"  # an array's item or slice: a numpy value

    def _numpycode(self, printer: Any) -> str:
        parts = ", ".join(format_index_part(printer, p) for p in self.args[1:])
        return f"{base._p(printer, self.args[0])}[{parts or '()'}]"

    def vjp(self, g: Any) -> list[Any]:
        return [ScatterInto(g, self.args[0], *self.args[1:])]

    @classmethod
    def make(cls, a: Any, index: Any) -> Any:
        return cls(a, *_index_parts(index))

    @staticmethod
    def out_shape(shape: tuple[int, ...], index: Any) -> tuple[int, ...]:
        return np.broadcast_to(np.zeros(()), shape)[index].shape  # a view: no memory


class ScatterInto(Rule):
    """args: (g, x, *index parts): zeros like x with g added at the index. Its transpose is
    the read ``g[index]`` (summed to g's shape: np.add.at broadcasts g)."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_getitem_grad")
        parts = ", ".join(format_index_part(printer, p) for p in self.args[2:])
        index = f"({parts},)" if len(self.args) == 3 else f"({parts})"
        g, x = base._a(printer, self.args[0]), base._a(printer, self.args[1])
        return f"_getitem_grad({g}, {x}, np.s_[{index[1:-1].rstrip(',') or '()'}])"

    def vjp(self, g: Any) -> list[Any]:
        return [SumTo(GetItem(g, *self.args[2:]), self.args[0])]


@primitive("setitem", params="a, value, index", arrays=("a", "value"), traits={ALLOCATES, LINEAR},
           eager=_setitem,
           torch=Torch(("__setitem__",), "CopySlices"))
class SetItem(Rule):
    """``x[index] = v`` as a value: a copy of x with v written at the index; args (x, v, *index).

    The copy is what keeps the caller's arrays (and any value the backward pass reads)
    unchanged; codegen prints it as ``y = x.copy(); y[index] = v``.
    """

    n_diff = 2
    shape_like = 0

    def index_text(self, printer: Any) -> str:
        return ", ".join(format_index_part(printer, p) for p in self.args[2:]) or "()"

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_set_item")
        return (f"_set_item({base._a(printer, self.args[0])}, np.s_[{self.index_text(printer)}], "
                f"{base._a(printer, self.args[1])})")

    def vjp(self, g: Any) -> list[Any]:
        index = self.args[2:]
        return [ClearItem(g, *index), SumTo(GetItem(g, *index), self.args[1])]

    @classmethod
    def make(cls, a: Any, value: Any, index: Any) -> Any:
        return cls(a, value, *_index_parts(index))

    @staticmethod
    def out_shape(shape: tuple[int, ...], value: tuple[int, ...], index: Any) -> tuple[int, ...]:
        return shape


class FancySetItem(SetItem):
    """``x[index] = v`` where the index may hold integer arrays: numpy keeps the last write to
    a repeated position, so only that position of v gets its gradient."""

    def vjp(self, g: Any) -> list[Any]:
        index = self.args[2:]
        return [ClearItem(g, *index), SumTo(WrittenGrad(g, *index), self.args[1])]


class WrittenGrad(Rule):
    """``g[index]``, zero where a later position of an integer-array index is the same
    element; args (g, *index). Its transpose writes u at the index into zeros: numpy's
    assignment keeps the last of repeated positions, the one read here."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_written_grad")
        parts = ", ".join(format_index_part(printer, p) for p in self.args[1:]) or "()"
        return f"_written_grad({base._a(printer, self.args[0])}, np.s_[{parts}])"

    def vjp(self, g: Any) -> list[Any]:
        return [SetItem(GradZeros(self.args[0]), g, *self.args[1:])]


class ClearItem(Rule):
    """The cotangent of the overwritten array: g with zeros where it was written; args (g, *index).
    A mask, so it is its own transpose."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_zero_at")
        parts = ", ".join(format_index_part(printer, p) for p in self.args[1:]) or "()"
        return f"_zero_at({base._a(printer, self.args[0])}, np.s_[{parts}])"

    def vjp(self, g: Any) -> list[Any]:
        return [ClearItem(g, *self.args[1:])]


# ---------------------------------------------------------------- joining


def _index_prefix(axis: int) -> str:
    return ":, " * axis if axis >= 0 else "..., "


def _index_suffix(axis: int) -> str:
    return "" if axis >= 0 or axis == -1 else ", :" * (-axis - 1)


def _along(axis: int, part: Any) -> list[Any]:
    """Index parts that select ``part`` along one axis (as ``_index_prefix`` spells them)."""
    every = base.static(slice(None))
    if axis >= 0:
        return [every] * axis + [part]
    return [base.static(Ellipsis), part] + [every] * (-axis - 1)


def _joined_shape(shapes: tuple[tuple[int, ...], ...], axis: Any, new_axis: bool
                  ) -> tuple[int, ...]:
    if not shapes:
        raise ValueError("need at least one array to join")
    if new_axis:
        if len(set(shapes)) > 1:
            raise ValueError("all input arrays must have the same shape")
        (a,) = normalize_axes(axis, len(shapes[0]) + 1)
        return shapes[0][:a] + (len(shapes),) + shapes[0][a:]
    if axis is None:
        return (sum(int(np.prod(s, dtype=int)) for s in shapes),)
    (a,) = normalize_axes(axis, len(shapes[0]))
    rest = {s[:a] + s[a + 1:] for s in shapes}
    if len(rest) > 1 or len({len(s) for s in shapes}) > 1:
        raise ValueError("all the input array dimensions except for the concatenation axis "
                         "must match exactly")
    return shapes[0][:a] + (sum(s[a] for s in shapes),) + shapes[0][a + 1:]


@primitive("concatenate", np.concatenate, params="arrays, axis=0, out=None", arrays=("arrays",),
           variadic=True, traits={ALLOCATES, LINEAR},
           torch=Torch(("cat",), "CatBackward0", {"dim": "axis"}))
class Concatenate(Rule):
    """args: (*xs, axis)"""

    n_diff = None
    node_args = ("arrays", "axis")

    def _numpycode(self, printer: Any) -> str:
        xs = ", ".join(base._a(printer, x) for x in self.args[:-1])
        return f"np.concatenate([{xs}]{base._kw(axis=(base.sval(self.args[-1]), 0))})"

    def vjp(self, g: Any) -> list[Any]:
        axis = base.sval(self.args[-1])
        start: Any = sp.Integer(0)
        out = []
        for x in self.args[:-1]:
            if axis is None:  # numpy flattens each array first
                stop = start + Size(x)
                out.append(Reshape(SliceAlong(g, base.static(0), start, stop), Shape(x)))
            else:
                stop = start + ShapeAt(x, base.static(axis))
                out.append(SliceAlong(g, base.static(axis), start, stop))
            start = stop
        return out

    @staticmethod
    def out_shape(*shapes: tuple[int, ...], axis: Any = 0) -> tuple[int, ...]:
        return _joined_shape(shapes, axis, new_axis=False)


class SliceAlong(Rule):
    """args: (g, axis, start, stop): g[..., start:stop, ...] along one axis. Its transpose puts
    u back into zeros shaped like g."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[1])
        start = "" if self.args[2] == 0 else base._a(printer, self.args[2])
        span = f"{start}:{base._a(printer, self.args[3])}"
        return (f"{base._p(printer, self.args[0])}[{_index_prefix(axis)}{span}"
                f"{_index_suffix(axis)}]")

    def vjp(self, g: Any) -> list[Any]:
        x, axis, start, stop = self.args
        span = SliceOf(start, stop, base.static(None))
        return [ScatterInto(g, x, *_along(base.sval(axis), span))]


@primitive("stack", np.stack, params="arrays, axis=0, out=None", arrays=("arrays",),
           variadic=True, traits={ALLOCATES, LINEAR},
           torch=Torch(("stack",), "StackBackward0", {"dim": "axis"}))
class Stack(Rule):
    """args: (*xs, axis)"""

    n_diff = None
    node_args = ("arrays", "axis")

    def _numpycode(self, printer: Any) -> str:
        xs = ", ".join(base._a(printer, x) for x in self.args[:-1])
        return f"np.stack([{xs}]{base._kw(axis=(base.sval(self.args[-1]), 0))})"

    def vjp(self, g: Any) -> list[Any]:
        axis = base.sval(self.args[-1])
        return [TakeAlong(g, base.static(axis), base.static(i))
                for i in range(len(self.args) - 1)]

    @staticmethod
    def out_shape(*shapes: tuple[int, ...], axis: Any = 0) -> tuple[int, ...]:
        return _joined_shape(shapes, axis, new_axis=True)


class TakeAlong(Rule):
    """args: (g, axis, i): g[..., i, ...] along one axis. Its transpose puts u back into zeros
    shaped like g."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    def _numpycode(self, printer: Any) -> str:
        axis, i = base.sval(self.args[1]), base.sval(self.args[2])
        return f"{base._p(printer, self.args[0])}[{_index_prefix(axis)}{i}{_index_suffix(axis)}]"

    def vjp(self, g: Any) -> list[Any]:
        x, axis, i = self.args
        return [ScatterInto(g, x, *_along(base.sval(axis), i))]
