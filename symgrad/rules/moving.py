"""Moving elements around: flips, rolls, axis moves, repeats and tiles, differences, and the
triangles and diagonals of matrices (trace, diagonal, diag, tril, triu).

Each is linear, so each vjp is the op's transpose: a flip or roll back, the inverse axis
move, a sum over the copies a repeat or tile made, the zeros with g on a diagonal. See
``registry`` for the fields of an entry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.registry import ALLOCATES, LINEAR, VIEW, Rule, Torch, lazy_module, primitive
from symgrad.rules.shape import ExpandDims

base = lazy_module("symgrad.rules.base")

Dims = tuple[int, ...]


def _shape_of(fn: Any, shape: Dims, *args: Any, **kw: Any) -> Dims:
    """numpy's output shape of ``fn`` on an array of ``shape`` (zeros that take no memory)."""
    return tuple(np.shape(fn(np.broadcast_to(np.zeros(()), shape), *args, **kw)))


def _x(printer: Any, node: Any) -> str:
    return base._a(printer, node.args[0])


def _statics(node: Any, start: int = 1) -> list[Any]:
    return [base.sval(a) for a in node.args[start:]]


# ---------------------------------------------------------------- flips, rolls, axis moves


class _OwnInverse(Rule):
    """args: (x,): a reversal along a fixed axis (``numpy_name``); its own inverse, so its
    own vjp."""

    shape_like = 0
    numpy_name = ""

    def _numpycode(self, printer: Any) -> str:
        return f"np.{self.numpy_name}({_x(printer, self)})"

    def vjp(self, g: Any) -> list[Any]:
        return [type(self)(g)]

    @classmethod
    def out_shape(cls, shape: Dims) -> Dims:
        return _shape_of(getattr(np, cls.numpy_name), shape)


@primitive("fliplr", np.fliplr, params="m", arrays=("m",), traits={VIEW, LINEAR},
           torch=Torch(("fliplr",), "FlipBackward0"))
class Fliplr(_OwnInverse):
    """x reversed along axis 1."""

    numpy_name = "fliplr"


@primitive("flipud", np.flipud, params="m", arrays=("m",), traits={VIEW, LINEAR},
           torch=Torch(("flipud",), "FlipBackward0"))
class Flipud(_OwnInverse):
    """x reversed along axis 0."""

    numpy_name = "flipud"


def _negated(shift: Any) -> Any:
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


@primitive("roll", np.roll, params="a, shift, axis=None", traits={ALLOCATES, LINEAR},
           torch=Torch(("roll",), "RollBackward0", {"shifts": "shift", "dims": "axis"}))
class Roll(Rule):
    """args: (x, shift, axis): x rolled by shift along axis (None: the flattened array);
    rolling back by -shift is its vjp."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        shift, axis = _statics(self)
        kw = "" if axis is None else f", {axis!r}"
        return f"np.roll({_x(printer, self)}, {shift!r}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [Roll(g, base.static(_negated(base.sval(self.args[1]))), self.args[2])]

    @staticmethod
    def out_shape(shape: Dims, shift: Any, axis: Any = None) -> Dims:
        return _shape_of(np.roll, shape, shift, axis)


@primitive("swapaxes", np.swapaxes, methods=("swapaxes",), params="a, axis1, axis2",
           traits={VIEW, LINEAR})
class Swapaxes(Rule):
    """args: (x, axis1, axis2): its own inverse, so its own vjp. (No torch spec: the Tensor
    writes swapaxes out, as torch's transpose.)"""

    def _numpycode(self, printer: Any) -> str:
        a1, a2 = _statics(self)
        return f"np.swapaxes({_x(printer, self)}, {a1!r}, {a2!r})"

    def vjp(self, g: Any) -> list[Any]:
        return [Swapaxes(g, *self.args[1:])]

    @staticmethod
    def out_shape(shape: Dims, axis1: int, axis2: int) -> Dims:
        return _shape_of(np.swapaxes, shape, axis1, axis2)


@primitive("moveaxis", np.moveaxis, params="a, source, destination", traits={VIEW, LINEAR},
           torch=Torch(("moveaxis", "movedim"), "PermuteBackward0",
                       {"source": "source", "destination": "destination"}))
class Moveaxis(Rule):
    """args: (x, source, destination): moving the axes back (destination to source) is its
    vjp."""

    def _numpycode(self, printer: Any) -> str:
        src, dst = _statics(self)
        return f"np.moveaxis({_x(printer, self)}, {src!r}, {dst!r})"

    def vjp(self, g: Any) -> list[Any]:
        return [Moveaxis(g, self.args[2], self.args[1])]

    @staticmethod
    def out_shape(shape: Dims, source: Any, destination: Any) -> Dims:
        return _shape_of(np.moveaxis, shape, source, destination)

    @classmethod
    def make(cls, a: Any, source: Any, destination: Any) -> Any:
        frozen = [tuple(v) if isinstance(v, (list, tuple)) else v for v in (source, destination)]
        return cls(a, *map(base.static, frozen))


def rollaxis_destination(axis: int, start: int) -> int:
    """Where np.rollaxis(x, axis, start) puts the axis, as np.moveaxis would be told it,
    without knowing x's number of dimensions n: numpy moves axis to start - 1 when axis
    comes before start, else to start (each read from the end when negative)."""
    if start == 0:
        return 0
    if (axis >= 0) == (start >= 0):  # both counted from the same end: their order is known
        return start - 1 if axis < start else start
    raise ValueError(f"np.rollaxis(x, {axis}, {start}) with one position counted from the end "
                     "and the other from the start is not supported: where the axis lands "
                     "depends on x's number of dimensions (write np.moveaxis(x, source, "
                     "destination) instead)")


@primitive("rollaxis", np.rollaxis, params="a, axis, start=0", traits={VIEW, LINEAR})
class Rollaxis(Rule):
    """args: (x, axis, start): numpy's older np.moveaxis; its vjp moves the axis back."""

    def _numpycode(self, printer: Any) -> str:
        axis, start = _statics(self)
        return f"np.rollaxis({_x(printer, self)}, {axis!r}{'' if start == 0 else f', {start!r}'})"

    def vjp(self, g: Any) -> list[Any]:
        axis, start = _statics(self)
        return [Moveaxis(g, base.static(rollaxis_destination(axis, start)), base.static(axis))]

    @classmethod
    def make(cls, a: Any, axis: int, start: int = 0) -> Any:
        rollaxis_destination(axis, start)  # refused here, at decoration time
        return cls(a, base.static(axis), base.static(start))

    @staticmethod
    def out_shape(shape: Dims, axis: int, start: int = 0) -> Dims:
        return _shape_of(np.rollaxis, shape, axis, start)


# ---------------------------------------------------------------- triangles and diagonals


@primitive("tril", np.tril, params="m, k=0", arrays=("m",), traits={ALLOCATES, LINEAR},
           torch=Torch(("tril",), "TrilBackward0", {"diagonal": "k"}))
class Tril(Rule):
    """args: (x, k): x with zeros above diagonal k (of the last two axes); a mask, so its own
    vjp."""

    shape_like = 0
    numpy_name = "tril"

    def _numpycode(self, printer: Any) -> str:
        k = base.sval(self.args[1])
        return f"np.{self.numpy_name}({_x(printer, self)}{'' if k == 0 else f', {k!r}'})"

    def vjp(self, g: Any) -> list[Any]:
        return [type(self)(g, self.args[1])]

    @staticmethod
    def out_shape(shape: Dims, k: int = 0) -> Dims:
        return _shape_of(np.tril, shape, k)


@primitive("triu", np.triu, params="m, k=0", arrays=("m",), traits={ALLOCATES, LINEAR},
           torch=Torch(("triu",), "TriuBackward0", {"diagonal": "k"}))
class Triu(Tril):
    """args: (x, k): x with zeros below diagonal k (of the last two axes)."""

    numpy_name = "triu"


@primitive("diagonal", np.diagonal, methods=("diagonal",), params="a, offset=0, axis1=0, axis2=1",
           traits={VIEW, LINEAR},
           torch=Torch(("diagonal",), "DiagonalBackward0",
                       {"offset": "offset", "dim1": "axis1", "dim2": "axis2"}))
class Diagonal(Rule):
    """args: (x, offset, axis1, axis2): the diagonal as the last axis (a read-only view); its
    vjp puts g on that diagonal of zeros shaped like x."""

    def _numpycode(self, printer: Any) -> str:
        kw = base._kw(offset=(base.sval(self.args[1]), 0), axis1=(base.sval(self.args[2]), 0),
                      axis2=(base.sval(self.args[3]), 1))
        return f"np.diagonal({_x(printer, self)}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [DiagonalGrad(g, self.args[0], *self.args[1:])]

    @staticmethod
    def out_shape(shape: Dims, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Dims:
        return _shape_of(np.diagonal, shape, offset, axis1, axis2)


class DiagonalGrad(Rule):
    """args: (g, x, offset, axis1, axis2): zeros shaped like x with g (broadcast to the
    diagonal's shape) on the diagonal; its transpose reads the diagonal back."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    n_diff = 1
    shape_like = 1
    reads_shape_of = 1
    vjp_exact = False  # g may have been broadcast (a trace's)

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_diagonal_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [Diagonal(g, *self.args[2:])]


@primitive("trace", np.trace, methods=("trace",),
           params="a, offset=0, axis1=0, axis2=1, dtype=None, out=None",
           node_args=("a", "offset", "axis1", "axis2"), traits={LINEAR},
           torch=Torch(("trace",), "TraceBackward0"))
class Trace(Rule):
    """args: (x, offset, axis1, axis2): the sum of a diagonal; its vjp puts g on every
    element of that diagonal."""

    def _numpycode(self, printer: Any) -> str:
        kw = base._kw(offset=(base.sval(self.args[1]), 0), axis1=(base.sval(self.args[2]), 0),
                      axis2=(base.sval(self.args[3]), 1))
        return f"np.trace({_x(printer, self)}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [DiagonalGrad(ExpandDims(g, base.static(-1)), self.args[0], *self.args[1:])]

    @staticmethod
    def out_shape(shape: Dims, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Dims:
        return _shape_of(np.trace, shape, offset, axis1, axis2)


@primitive("diag", np.diag, params="v, k=0", arrays=("v",), traits={VIEW, LINEAR})
class Diag(Rule):
    """args: (x, k): a 1-d x made the diagonal k of a square matrix, or the diagonal k of a
    2-d x (a view). Each direction is the other's transpose, so its vjp is np.diag of g
    (2-d x: g put on the diagonal of zeros shaped like x, which may not be square). No torch
    spec: torch.diag prints a different node for each direction."""

    def _numpycode(self, printer: Any) -> str:
        k = base.sval(self.args[1])
        return f"np.diag({_x(printer, self)}{'' if k == 0 else f', {k!r}'})"

    def vjp(self, g: Any) -> list[Any]:
        return [DiagGrad(g, self.args[0], self.args[1])]

    @staticmethod
    def out_shape(shape: Dims, k: int = 0) -> Dims:
        return _shape_of(np.diag, shape, k)


class DiagGrad(Rule):
    """args: (g, x, k): the vjp of np.diag(x, k), shaped like x; its transpose is np.diag."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    n_diff = 1
    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_diag_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [Diag(g, self.args[2])]


# ---------------------------------------------------------------- differences, copies


@primitive("diff", np.diff, params="a, n=1, axis=-1", traits={ALLOCATES, LINEAR},
           torch=Torch(("diff",), "SubBackward0", {"n": "n", "dim": "axis"}))
class Diff(Rule):
    """args: (x, n, axis): the n-th difference along axis. Its vjp is the n-th difference of g
    padded with n zeros at both ends, negated n times (a difference's transpose is minus the
    difference of the padded cotangent)."""

    def _numpycode(self, printer: Any) -> str:
        kw = ("" if base.sval(self.args[1]) == 1 else f", {base.sval(self.args[1])!r}")
        axis = base.sval(self.args[2])
        kw += "" if axis == -1 else f", axis={axis!r}"
        return f"np.diff({_x(printer, self)}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [DiffGrad(g, *self.args[1:])]

    @classmethod
    def make(cls, a: Any, n: int = 1, axis: int = -1) -> Any:
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"np.diff(a, n={n!r}) is not supported: n must be an integer of "
                             "at least 1 (n=0 returns a itself)")
        return cls(a, base.static(int(n)), base.static(axis))

    @staticmethod
    def out_shape(shape: Dims, n: int = 1, axis: int = -1) -> Dims:
        return _shape_of(np.diff, shape, n, axis)


class DiffGrad(Rule):
    """args: (g, n, axis): the vjp of np.diff(x, n, axis); its transpose is that np.diff."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_diff_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [Diff(g, *self.args[1:])]


def _frozen(value: Any) -> Any:
    return tuple(int(v) for v in value) if isinstance(value, (list, tuple, np.ndarray)) \
        else value


@primitive("repeat", np.repeat, methods=("repeat",), params="a, repeats, axis=None",
           traits={ALLOCATES, LINEAR},
           torch=Torch(("repeat_interleave",), "ViewBackward0", {"repeats": "repeats",
                                                                  "dim": "axis"}))
class Repeat(Rule):
    """args: (x, repeats, axis): each element repeated (axis None: of the flattened x).
    Its vjp sums each element's copies. (torch's repeat_interleave; torch's x.repeat is
    np.tile.)"""

    def _numpycode(self, printer: Any) -> str:
        repeats, axis = _statics(self)
        kw = "" if axis is None else f", axis={axis!r}"
        return f"np.repeat({_x(printer, self)}, {repeats!r}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [RepeatGrad(g, self.args[0], *self.args[1:])]

    @classmethod
    def make(cls, a: Any, repeats: Any, axis: Any = None) -> Any:
        return cls(a, base.static(_frozen(repeats)), base.static(axis))

    @staticmethod
    def out_shape(shape: Dims, repeats: Any, axis: Any = None) -> Dims:
        return _shape_of(np.repeat, shape, repeats, axis)


class RepeatGrad(Rule):
    """args: (g, x, repeats, axis): the vjp of np.repeat, shaped like x; its transpose is
    np.repeat."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_repeat_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [Repeat(g, *self.args[2:])]


@primitive("tile", np.tile, params="A, reps", arrays=("A",), traits={ALLOCATES, LINEAR},
           torch=Torch(("tile",), "RepeatBackward0", {"reps": "reps"}))
class Tile(Rule):
    """args: (x, reps): x copied reps times along each axis; its vjp sums the copies. (The
    Tensor's tile takes its reps as one sequence: x.tile((2, 1)).)"""

    def _numpycode(self, printer: Any) -> str:
        return f"np.tile({_x(printer, self)}, {base.sval(self.args[1])!r})"

    def vjp(self, g: Any) -> list[Any]:
        return [TileGrad(g, self.args[0], self.args[1])]

    @classmethod
    def make(cls, A: Any, reps: Any) -> Any:
        return cls(A, base.static(_frozen(reps)))

    @staticmethod
    def out_shape(shape: Dims, reps: Any) -> Dims:
        return _shape_of(np.tile, shape, reps)


class TileGrad(Rule):
    """args: (g, x, reps): the vjp of np.tile, shaped like x; its transpose is np.tile."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_tile_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [Tile(g, self.args[2])]
