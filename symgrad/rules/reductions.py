"""Reductions (sum, mean, prod, max, min, var, std) and the running sum, with the nodes their
gradients are made of."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.operators import EqMask
from symgrad.rules.registry import COSTLY, LINEAR, Rule, Torch, lazy_module, primitive
from symgrad.rules.shape import ExpandDims, ShapeAt, Size, normalize_axes

base = lazy_module("symgrad.rules.base")
masks = lazy_module("symgrad.rules.masks")
sp = lazy_module("sympy")

_TORCH_REDUCE = {"dim": "axis", "keepdim": "keepdims"}


def expand_reduced(g: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduction's cotangent back the reduced axes so it broadcasts against the input."""
    axes = base._axes(axis)
    if axes is None or keepdims or sorted(axes) == list(range(len(axes))):
        return g  # numpy broadcasting aligns trailing axes: leading axes come back by themselves
    return ExpandDims(g, base.static(axis if isinstance(axis, int) else tuple(axis)))


def reduced_count(x: Any, axis: Any) -> Any:
    axes = base._axes(axis)
    if axes is None:
        return Size(x)
    return sp.Mul(*[ShapeAt(x, base.static(a)) for a in axes])


def _torch(name: str, node: str, dim_node: str | None = None) -> Torch:
    return Torch((name,), node, _TORCH_REDUCE, {"dim": dim_node} if dim_node else {})


class Reduction(Rule):
    """args: (x, axis, keepdims[, ddof])"""

    numpy_name = ""
    vjp_exact = False  # the cotangent comes back broadcastable, not broadcast
    node_args = ("a", "axis", "keepdims")

    @property
    def needs_full_g(self) -> bool:  # a scalar cotangent cannot be expand_dims-ed
        return self.axis is not None

    @property
    def axis(self) -> Any:
        return base.sval(self.args[1])

    @property
    def keepdims(self) -> bool:
        return bool(base.sval(self.args[2]))

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        if self.axis is None and not self.keepdims:
            return base.SCALAR
        return fresh

    def extra_kw(self) -> str:
        return ""

    numpy_valued = "always"  # (np.sum of a Python float is a numpy float)

    def _numpycode(self, printer: Any) -> str:
        kw = base._kw(axis=(self.axis, None), keepdims=(self.keepdims, False)) + self.extra_kw()
        if self.numpy_name in ("sum", "mean") and hasattr(printer, "reduction"):
            return printer.reduction(self.numpy_name, self.args[0], kw)  # x.sum(axis=0)
        return f"np.{self.numpy_name}({base._a(printer, self.args[0])}{kw})"

    def reduced(self, x: Any) -> Any:
        """np.sum(x) over this reduction's axes (its keepdims): a tangent's reduction."""
        return NpSum(x, *self.args[1:3])

    def keep(self, cls: type, x: Any) -> Any:
        """The same reduction of x with keepdims=True, so it broadcasts against x."""
        return cls(x, base.static(self.axis), base.static(True), *self.args[3:])

    @classmethod
    def make(cls, a: Any, axis: Any = None, keepdims: bool = False, *ddof: Any) -> Any:
        axis = tuple(axis) if isinstance(axis, list) else axis
        return cls(a, base.static(axis), base.static(bool(keepdims)),
                   *[base.static(v) for v in ddof])

    @staticmethod
    def out_shape(shape: tuple[int, ...], axis: Any = None, keepdims: bool = False,
                  **extra: Any) -> tuple[int, ...]:
        axes = normalize_axes(axis, len(shape))
        if keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)


_SUM = "a, axis=None, dtype=None, out=None, keepdims=False"
_EXTREMUM = "a, axis=None, out=None, keepdims=False"
_MOMENT = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False"


@primitive("sum", np.sum, methods=("sum",), params=_SUM, traits={LINEAR, COSTLY},
           torch=_torch("sum", "SumBackward0", "SumBackward1"))
class NpSum(Reduction):
    numpy_name = "sum"

    def vjp(self, g: Any) -> list[Any]:
        return [expand_reduced(g, self.axis, self.keepdims)]


@primitive("mean", np.mean, methods=("mean",), params=_SUM, traits={LINEAR, COSTLY},
           torch=_torch("mean", "MeanBackward0", "MeanBackward1"))
class NpMean(Reduction):
    numpy_name = "mean"

    def vjp(self, g: Any) -> list[Any]:
        x = self.args[0]
        return [expand_reduced(g, self.axis, self.keepdims) / reduced_count(x, self.axis)]


@primitive("prod", np.prod, methods=("prod",), params=_SUM, traits={COSTLY},
           torch=_torch("prod", "ProdBackward0", "ProdBackward1"))
class NpProd(Reduction):
    numpy_name = "prod"

    def vjp(self, g: Any) -> list[Any]:
        # the product of the other elements: prod(x)/x would be 0/0 where x has a zero
        return [expand_reduced(g, self.axis, self.keepdims) * ProdOthers(*self.args[:2])]

    def masked_vjp(self, g: Any) -> list[Any]:
        # 0 where g is: not 0 times the product of others that has a NaN element
        spread = expand_reduced(g, self.axis, self.keepdims)
        return [masks.Where(masks.IsEqual(spread, 0), 0, spread * ProdOthers(*self.args[:2]))]

    def jvp(self, tangents: list[Any]) -> Any:
        return self.reduced(tangents[0] * ProdOthers(*self.args[:2]))


class ProdOthers(Rule):
    """For each element of x, the product of the others along the axis; args (x, axis)."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_prod_others", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [ProdOthersGrad(g, *self.args)]

    def jvp(self, tangents: list[Any]) -> Any:
        # element j moves by sum over k != j of t_k times the product of the elements other
        # than j and k: that matrix is symmetric, so this is the vjp's ProdOthersGrad with t
        return ProdOthersGrad(tangents[0], *self.args)


class ProdOthersGrad(Rule):
    """The vjp of ProdOthers (np.prod's second derivative): element j gets the sum over
    i != j of g_i times the product of the elements other than i and j; args (g, x, axis)."""

    n_diff = 2
    shape_like = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_prod_others_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        raise NotImplementedError("a third derivative of np.prod is not supported "
                                  "(ProdOthersGrad has no vjp)")


class _Extremum(Reduction):
    def vjp(self, g: Any) -> list[Any]:
        # like torch.amax: ties share the gradient equally
        x = self.args[0]
        mask = EqMask(x, self.keep(type(self), x))
        count = NpSum(mask, base.static(self.axis), base.static(True))
        return [expand_reduced(g, self.axis, self.keepdims) * mask / count]

    def jvp(self, tangents: list[Any]) -> Any:
        # the mean of the tangent over the ties, as the vjp shares g among them
        x = self.args[0]
        mask = EqMask(x, self.keep(type(self), x))
        return self.reduced(tangents[0] * mask) / self.reduced(mask)


@primitive("max", np.max, np.amax, methods=("max",), params=_EXTREMUM, traits={COSTLY},
           torch=_torch("max", "MaxBackward1", "MaxBackward0"))
class NpMax(_Extremum):
    numpy_name = "max"


@primitive("min", np.min, np.amin, methods=("min",), params=_EXTREMUM, traits={COSTLY},
           torch=_torch("min", "MinBackward1", "MinBackward0"))
class NpMin(_Extremum):
    numpy_name = "min"


_TORCH_MOMENT = {**_TORCH_REDUCE, "correction": "ddof"}


@primitive("var", np.var, methods=("var",), params=_MOMENT, traits={COSTLY},
           torch=Torch(("var",), "VarBackward0", _TORCH_MOMENT))
class NpVar(Reduction):
    """args: (x, axis, keepdims, ddof)"""

    numpy_name = "var"
    node_args = ("a", "axis", "keepdims", "ddof")

    def extra_kw(self) -> str:
        return base._kw(ddof=(base.sval(self.args[3]), 0))

    def centred_over_n(self) -> Any:
        x = self.args[0]
        centred = x - NpMean(x, base.static(self.axis), base.static(True))
        return centred / (reduced_count(x, self.axis) - base.sval(self.args[3]))

    def vjp(self, g: Any) -> list[Any]:
        return [2 * expand_reduced(g, self.axis, self.keepdims) * self.centred_over_n()]

    def jvp(self, tangents: list[Any]) -> Any:
        return self.reduced(2 * tangents[0] * self.centred_over_n())


@primitive("std", np.std, methods=("std",), params=_MOMENT, traits={COSTLY},
           torch=Torch(("std",), "StdBackward0", _TORCH_MOMENT))
class NpStd(NpVar):
    numpy_name = "std"

    def vjp(self, g: Any) -> list[Any]:
        # expand g and std separately: g/std may cancel to a scalar that has lost its axes
        back = expand_reduced(g, self.axis, self.keepdims)
        # where std is 0 every deviation is 0 (one element, equal elements): slope 0, as
        # torch has it, not 0/0
        std = NonzeroOr1(expand_reduced(self, self.axis, self.keepdims))
        return [back / std * self.centred_over_n()]

    def jvp(self, tangents: list[Any]) -> Any:
        return self.reduced(tangents[0] * self.centred_over_n()) / NonzeroOr1(self)


class NonzeroOr1(Rule):
    """A divisor with its zeros replaced by 1 (``_nonzero_or_1``): slope 1, and 0 where the
    constant 1 stands in."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_nonzero_or_1", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [masks.Where(masks.IsEqual(self.args[0], 0), 0, g)]

    def jvp(self, tangents: list[Any]) -> Any:
        return masks.Where(masks.IsEqual(self.args[0], 0), 0, tangents[0])


REDUCTIONS = {
    "sum": NpSum,
    "mean": NpMean,
    "prod": NpProd,
    "max": NpMax,
    "min": NpMin,
    "var": NpVar,
    "std": NpStd,
}


# ---------------------------------------------------------------- running sums


@primitive("cumsum", np.cumsum, methods=("cumsum",), params="a, axis=None, dtype=None, out=None",
           traits={LINEAR}, torch=Torch(("cumsum",), "CumsumBackward0", {"dim": "axis"}))
class CumSum(Rule):
    """np.cumsum: args (x, axis); axis None runs over the flattened array."""

    node_args = ("a", "axis")

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if base.sval(self.args[1]) is None else arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[1])
        kw = "" if axis is None else f", axis={axis!r}"
        return f"np.cumsum({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [CumSumGrad(g, self.args[0], self.args[1])]

    @staticmethod
    def out_shape(shape: tuple[int, ...], axis: Any = None) -> tuple[int, ...]:
        if axis is None:
            return (int(np.prod(shape, dtype=int)),)
        normalize_axes(axis, len(shape))
        return shape


class CumSumGrad(Rule):
    """The cotangent of np.cumsum: g summed from the end backwards; args (g, x, axis). It is
    cumsum's transpose, so its own vjp is a cumsum."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    shape_like = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_cumsum_grad", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [CumSum(g, self.args[2])]
