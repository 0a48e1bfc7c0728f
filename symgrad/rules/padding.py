"""Edges and running products: np.pad, np.gradient and np.cumprod.

np.pad and np.gradient are linear: a pad's vjp adds g back onto every element it copied
(``_pad_grad``), np.gradient's is its stencil transposed (``_gradient_grad``). np.cumprod's
vjp (``_cumprod_grad``) uses running products from both ends and no division, so it is
exact where x has zeros, as torch's CumprodBackward0 is. See ``registry`` for the fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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

base = lazy_module("symgrad.rules.base")
sp = lazy_module("sympy")

Dims = tuple[int, ...]


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except TypeError:
        raise ValueError(f"{what} must be a number known now") from None


def _ints(value: Any, what: str) -> Any:
    """A nested list or tuple of integers (SymPy's or Python's) as nested tuples of ints."""
    if isinstance(value, (list, tuple)):
        return tuple(_ints(v, what) for v in value)
    if isinstance(value, (int, np.integer)) or isinstance(value, sp.Integer):
        return int(value)
    raise ValueError(f"{what} must be integers known now")


# ---------------------------------------------------------------- cumprod


@primitive("cumprod", np.cumprod, methods=("cumprod",),
           params="a, axis=None, dtype=None, out=None", node_args=("a", "axis"),
           traits={ALLOCATES},
           torch=Torch(("cumprod",), "CumprodBackward0", {"dim": "axis"}))
class Cumprod(Rule):
    """args: (x, axis): the running product along axis (None: of the flattened x). Element
    k's gradient is the sum over i >= k of g_i times the product of x_j, j <= i, j != k,
    computed without dividing by x_k (exact at zeros, as torch's)."""

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if base.sval(self.args[1]) is None else arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[1])
        kw = "" if axis is None else f", axis={axis!r}"
        return f"np.cumprod({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [CumprodGrad(g, self.args[0], self.args[1])]

    @staticmethod
    def out_shape(shape: Dims, axis: Any = None) -> Dims:
        return tuple(np.shape(np.cumprod(np.zeros(shape), axis=axis)))


class CumprodGrad(Rule):
    """args: (g, x, axis): the vjp of np.cumprod. Linear in g but not in x; its own vjp
    (np.cumprod's second derivative) is not written: differentiating it raises."""

    n_diff = 2
    shape_like = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_cumprod_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        raise NotImplementedError(
            "the second derivative of np.cumprod is not supported (its gradient, "
            "_cumprod_grad, has no derivative rule); the Tensor's create_graph=True backward "
            "differentiates it")


# ---------------------------------------------------------------- pad

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@primitive("pad", np.pad, params="array, pad_width, mode='constant', constant_values=0, "
           "reflect_type='even'", arrays=("array",), values=("pad_width", "constant_values"),
           node_args=("array", "pad_width", "mode", "constant_values", "reflect_type"),
           traits={ALLOCATES, LINEAR})
class Pad(Rule):
    """args: (x, pad_width, mode, constant_values): x padded (pad_width an int, a (before,
    after) pair or one pair per axis; modes constant, edge, reflect, symmetric, wrap). A pad
    copies elements of x, so its vjp adds g back from every place an element was copied to
    (the constant padding has no gradient). (No Tensor spelling: torch's is
    torch.nn.functional.pad, whose widths run from the last axis.)"""

    def _numpycode(self, printer: Any) -> str:
        width, mode, value = (base.sval(a) for a in self.args[1:])
        kw = "" if mode == "constant" else f", mode={mode!r}"
        kw += "" if mode != "constant" or value == 0 else f", constant_values={value!r}"
        return f"np.pad({base._a(printer, self.args[0])}, {width!r}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [PadGrad(g, self.args[0], self.args[1], self.args[2])]

    def jvp(self, tangents: list[Any]) -> Any:
        # affine in x: the padding constant has no tangent
        return Pad(tangents[0], self.args[1], self.args[2], base.static(0))

    @classmethod
    def make(cls, array: Any, pad_width: Any, mode: str = "constant",
             constant_values: Any = 0, reflect_type: str = "even") -> Any:
        if mode not in _PAD_MODES:
            raise ValueError(f"mode={mode!r} is not supported: only {', '.join(_PAD_MODES)}")
        if reflect_type != "even":
            raise ValueError("reflect_type='odd' is not supported")
        if constant_values != 0 and mode != "constant":
            raise ValueError("constant_values is for mode='constant'")
        value = _number(constant_values, "constant_values")
        value = int(value) if value == int(value) else value
        return cls(array, base.static(_ints(pad_width, "pad_width")), base.static(mode),
                   base.static(value))

    @staticmethod
    def out_shape(shape: Dims, pad_width: Any, mode: str = "constant",
                  constant_values: Any = 0, reflect_type: str = "even") -> Dims:
        return tuple(np.shape(np.pad(np.zeros(shape), _ints(pad_width, "pad_width"),
                                     mode="constant")))


class PadGrad(Rule):
    """args: (g, x, pad_width, mode): each element of x gets g summed over the places the pad
    put it. Its transpose is the pad itself (padding with zeros in mode 'constant')."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    n_diff = 1
    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_pad_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [Pad(g, self.args[2], self.args[3], base.static(0))]


# ---------------------------------------------------------------- gradient


class GradientAlong(Rule):
    """args: (f, spacing, axis): ``np.gradient(f, spacing, axis=axis)`` along one axis
    (central differences inside, one-sided at the two ends: edge_order=1); axis None is
    ``np.gradient(f)``, an array for a 1-d f, a list of one per axis otherwise (numpy makes
    it an array of them if it is computed with; its vjp takes either). Linear: its vjp is the
    stencil transposed (``_gradient_grad``)."""

    traits = frozenset({ALLOCATES, LINEAR})

    def _numpycode(self, printer: Any) -> str:
        spacing, axis = base.sval(self.args[1]), base.sval(self.args[2])
        text = base._a(printer, self.args[0])
        text += "" if spacing == 1 else f", {spacing!r}"
        text += "" if axis is None else f", axis={axis!r}"
        return f"np.gradient({text})"

    def vjp(self, g: Any) -> list[Any]:
        return [GradientGrad(g, *self.args)]

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if base.sval(self.args[2]) is None else arg_classes[0]

    @staticmethod
    def out_shape(shape: Dims, spacing: Any, axis: Any) -> Dims:
        return tuple(np.shape(np.gradient(np.zeros(shape), spacing, axis=axis)))


class GradientGrad(Rule):
    """args: (g, f, spacing, axis): the vjp of ``np.gradient(f, spacing, axis=axis)``; its
    transpose is that np.gradient (the stencil transposed twice)."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    n_diff = 1
    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_gradient_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [GradientAlong(g, *self.args[2:])]


register(Primitive("gradient", binds=(np.gradient,), params="f, *varargs, axis=None, "
                   "edge_order=1", arrays=("f",), lower="gradient_call",
                   traits=frozenset({ALLOCATES, LINEAR}),
                   doc="np.gradient: one GradientAlong per axis (a tuple for several)"))
