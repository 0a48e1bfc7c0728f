"""Structural primitives: opaque SymPy functions with a short adjoint template each.

An elementwise region of an expression is differentiated by ``sympy.diff``; a structural node
(a reduction, a matmul, a reshape, an index) is a boundary. Each class here says three
things: how numpy spells it (``_numpycode``), which input shapes its output keeps
(``shape_class``), and its vector-Jacobian product (``vjp``) written with other nodes of
this module, so the same template serves the source transform and the eager Tensor.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.rules.base import (  # noqa: F401  (re-exported)
    SCALAR,
    Static,
    Structural,
    _a,
    _axes,
    _kw,
    _p,
    join_classes,
    static,
    sval,
)
from symgrad.rules.shape import (  # noqa: F401  (re-exported)
    Broadcast,
    ExpandDims,
    Len,
    Ndim,
    Ravel,
    Reshape,
    Shape,
    ShapeAt,
    Size,
    Squeeze,
    Transpose,
    _Meta,
)


def expand_reduced(g: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduction's cotangent back the reduced axes so it broadcasts against the input."""
    axes = _axes(axis)
    if axes is None or keepdims or sorted(axes) == list(range(len(axes))):
        return g  # numpy broadcasting aligns trailing axes: leading axes come back by themselves
    return ExpandDims(g, static(axis if isinstance(axis, int) else tuple(axis)))


def reduced_count(x: Any, axis: Any) -> Any:
    axes = _axes(axis)
    if axes is None:
        return Size(x)
    return sp.Mul(*[ShapeAt(x, static(a)) for a in axes])


# ---------------------------------------------------------------- reductions


class Reduction(Structural):
    """args: (x, axis, keepdims[, ddof])"""

    numpy_name = ""
    vjp_exact = False  # the cotangent comes back broadcastable, not broadcast

    @property
    def needs_full_g(self) -> bool:  # a scalar cotangent cannot be expand_dims-ed
        return self.axis is not None

    @property
    def axis(self) -> Any:
        return sval(self.args[1])

    @property
    def keepdims(self) -> bool:
        return bool(sval(self.args[2]))

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        if self.axis is None and not self.keepdims:
            return SCALAR
        return fresh

    def extra_kw(self) -> str:
        return ""

    def _numpycode(self, printer: Any) -> str:
        kw = _kw(axis=(self.axis, None), keepdims=(self.keepdims, False)) + self.extra_kw()
        return f"np.{self.numpy_name}({_a(printer, self.args[0])}{kw})"

    def keep(self, cls: type, x: Any) -> Any:
        """The same reduction of x with keepdims=True, so it broadcasts against x."""
        return cls(x, static(self.axis), static(True), *self.args[3:])


class NpSum(Reduction):
    numpy_name = "sum"

    def vjp(self, g: Any) -> list[Any]:
        return [expand_reduced(g, self.axis, self.keepdims)]


class NpMean(Reduction):
    numpy_name = "mean"

    def vjp(self, g: Any) -> list[Any]:
        x = self.args[0]
        return [expand_reduced(g, self.axis, self.keepdims) / reduced_count(x, self.axis)]


class NpProd(Reduction):
    numpy_name = "prod"

    def vjp(self, g: Any) -> list[Any]:
        # the product of the other elements: prod(x)/x would be 0/0 where x has a zero
        return [expand_reduced(g, self.axis, self.keepdims) * ProdOthers(*self.args[:2])]


class ProdOthers(Structural):
    """For each element of x, the product of the others along the axis; args (x, axis)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_prod_others")
        return f"_prod_others({_a(printer, self.args[0])}, {sval(self.args[1])!r})"


class _Extremum(Reduction):
    def vjp(self, g: Any) -> list[Any]:
        # like torch.amax: ties share the gradient equally
        x = self.args[0]
        mask = EqMask(x, self.keep(type(self), x))
        count = NpSum(mask, static(self.axis), static(True))
        return [expand_reduced(g, self.axis, self.keepdims) * mask / count]


class NpMax(_Extremum):
    numpy_name = "max"


class NpMin(_Extremum):
    numpy_name = "min"


class NpVar(Reduction):
    """args: (x, axis, keepdims, ddof)"""

    numpy_name = "var"

    def extra_kw(self) -> str:
        return _kw(ddof=(sval(self.args[3]), 0))

    def centred_over_n(self) -> Any:
        x = self.args[0]
        centred = x - NpMean(x, static(self.axis), static(True))
        return centred / (reduced_count(x, self.axis) - sval(self.args[3]))

    def vjp(self, g: Any) -> list[Any]:
        return [2 * expand_reduced(g, self.axis, self.keepdims) * self.centred_over_n()]


class NpStd(NpVar):
    numpy_name = "std"

    def vjp(self, g: Any) -> list[Any]:
        # expand g and std separately: g/std may cancel to a scalar that has lost its axes
        back = expand_reduced(g, self.axis, self.keepdims)
        # where std is 0 every deviation is 0 (one element, equal elements): slope 0, as
        # torch has it, not 0/0
        std = NonzeroOr1(expand_reduced(self, self.axis, self.keepdims))
        return [back / std * self.centred_over_n()]


class NonzeroOr1(Structural):
    """A divisor with its zeros replaced by 1 (``_nonzero_or_1``)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_nonzero_or_1")
        return f"_nonzero_or_1({_a(printer, self.args[0])})"


REDUCTIONS = {
    "sum": NpSum,
    "mean": NpMean,
    "prod": NpProd,
    "max": NpMax,
    "min": NpMin,
    "var": NpVar,
    "std": NpStd,
}

# ---------------------------------------------------------------- products


class _Product(Structural):
    n_diff = 2
    helper = ""

    def vjp(self, g: Any) -> list[Any]:
        a, b = self.args
        return [ProductGrad(static(self.helper + "_a"), g, a, b),
                ProductGrad(static(self.helper + "_b"), g, a, b)]


class MatMul(_Product):
    helper = "_matmul_grad"

    def _numpycode(self, printer: Any) -> str:
        return f"({_p(printer, self.args[0])} @ {_p(printer, self.args[1])})"


class Dot(_Product):
    helper = "_dot_grad"

    def _numpycode(self, printer: Any) -> str:
        return f"np.dot({_a(printer, self.args[0])}, {_a(printer, self.args[1])})"


class Inner(_Product):
    helper = "_inner_grad"

    def _numpycode(self, printer: Any) -> str:
        return f"np.inner({_a(printer, self.args[0])}, {_a(printer, self.args[1])})"


class Outer(_Product):
    helper = "_outer_grad"

    def _numpycode(self, printer: Any) -> str:
        return f"np.outer({_a(printer, self.args[0])}, {_a(printer, self.args[1])})"


class ProductGrad(Structural):
    """args: (helper name, g, a, b): one side of a product's VJP, via an inlined helper."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[2] if sval(self.args[0]).endswith("_a") else arg_classes[3]

    def _numpycode(self, printer: Any) -> str:
        name = sval(self.args[0])
        printer.use_helper(name)
        return f"{name}({', '.join(_a(printer, x) for x in self.args[1:])})"


# ---------------------------------------------------------------- shape changes


class CumSum(Structural):
    """np.cumsum: args (x, axis); axis None runs over the flattened array."""

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if sval(self.args[1]) is None else arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        axis = sval(self.args[1])
        kw = "" if axis is None else f", axis={axis!r}"
        return f"np.cumsum({_a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [CumSumGrad(g, self.args[0], self.args[1])]


class CumSumGrad(Structural):
    """The cotangent of np.cumsum: g summed from the end backwards; args (g, x, axis)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[1]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_cumsum_grad")
        return (f"_cumsum_grad({_a(printer, self.args[0])}, {_a(printer, self.args[1])}, "
                f"{sval(self.args[2])!r})")


def _index_prefix(axis: int) -> str:
    return ":, " * axis if axis >= 0 else "..., "


def _index_suffix(axis: int) -> str:
    return "" if axis >= 0 or axis == -1 else ", :" * (-axis - 1)


class Concatenate(Structural):
    """args: (*xs, axis)"""

    n_diff = None

    def _numpycode(self, printer: Any) -> str:
        xs = ", ".join(_a(printer, x) for x in self.args[:-1])
        return f"np.concatenate([{xs}]{_kw(axis=(sval(self.args[-1]), 0))})"

    def vjp(self, g: Any) -> list[Any]:
        axis = sval(self.args[-1])
        start: Any = sp.Integer(0)
        out = []
        for x in self.args[:-1]:
            if axis is None:  # numpy flattens each array first
                stop = start + Size(x)
                out.append(Reshape(SliceAlong(g, static(0), start, stop), Shape(x)))
            else:
                stop = start + ShapeAt(x, static(axis))
                out.append(SliceAlong(g, static(axis), start, stop))
            start = stop
        return out


class SliceAlong(Structural):
    """args: (g, axis, start, stop): g[..., start:stop, ...] along one axis."""

    n_diff = 0

    def _numpycode(self, printer: Any) -> str:
        axis = sval(self.args[1])
        start = "" if self.args[2] == 0 else _a(printer, self.args[2])
        span = f"{start}:{_a(printer, self.args[3])}"
        return f"{_p(printer, self.args[0])}[{_index_prefix(axis)}{span}{_index_suffix(axis)}]"


class Stack(Structural):
    """args: (*xs, axis)"""

    n_diff = None

    def _numpycode(self, printer: Any) -> str:
        xs = ", ".join(_a(printer, x) for x in self.args[:-1])
        return f"np.stack([{xs}]{_kw(axis=(sval(self.args[-1]), 0))})"

    def vjp(self, g: Any) -> list[Any]:
        axis = sval(self.args[-1])
        return [TakeAlong(g, static(axis), static(i)) for i in range(len(self.args) - 1)]


class TakeAlong(Structural):
    """args: (g, axis, i): g[..., i, ...] along one axis."""

    n_diff = 0

    def _numpycode(self, printer: Any) -> str:
        axis, i = sval(self.args[1]), sval(self.args[2])
        return f"{_p(printer, self.args[0])}[{_index_prefix(axis)}{i}{_index_suffix(axis)}]"


def format_index_part(printer: Any, part: Any) -> str:
    if isinstance(part, Static):
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
    return _a(printer, part)


class SliceOf(Structural):
    """A slice with computed bounds: args (start, stop, step), each an expression or Static."""

    n_diff = 0
    is_slice = True  # a statement of its own prints as np.s_[start:stop]

    def _numpycode(self, printer: Any) -> str:
        start, stop, step = (
            "" if isinstance(a, Static) and a.value is None else _a(printer, a) for a in self.args
        )
        return f"{start}:{stop}" + (f":{step}" if step else "")


class GetItem(Structural):
    """args: (x, *index parts)"""

    needs_full_g = False  # np.add.at broadcasts the cotangent

    def _numpycode(self, printer: Any) -> str:
        parts = ", ".join(format_index_part(printer, p) for p in self.args[1:])
        return f"{_p(printer, self.args[0])}[{parts or '()'}]"

    def vjp(self, g: Any) -> list[Any]:
        return [ScatterInto(g, self.args[0], *self.args[1:])]


class ScatterInto(Structural):
    """args: (g, x, *index parts): zeros like x with g added at the index."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[1]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_getitem_grad")
        parts = ", ".join(format_index_part(printer, p) for p in self.args[2:])
        index = f"({parts},)" if len(self.args) == 3 else f"({parts})"
        g, x = _a(printer, self.args[0]), _a(printer, self.args[1])
        return f"_getitem_grad({g}, {x}, np.s_[{index[1:-1].rstrip(',') or '()'}])"


class SetItem(Structural):
    """``x[index] = v`` as a value: a copy of x with v written at the index; args (x, v, *index).

    The copy is what keeps the caller's arrays (and any value the backward pass reads)
    unchanged; codegen prints it as ``y = x.copy(); y[index] = v``.
    """

    n_diff = 2

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def index_text(self, printer: Any) -> str:
        return ", ".join(format_index_part(printer, p) for p in self.args[2:]) or "()"

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_set_item")
        return (f"_set_item({_a(printer, self.args[0])}, np.s_[{self.index_text(printer)}], "
                f"{_a(printer, self.args[1])})")

    def vjp(self, g: Any) -> list[Any]:
        index = self.args[2:]
        return [ClearItem(g, *index), SumTo(GetItem(g, *index), self.args[1])]


class IntOf(Structural):
    """Python's int(x): a step function, so no gradient flows; args (x,)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return SCALAR

    def _numpycode(self, printer: Any) -> str:
        return f"int({printer.doprint_expr(self.args[0])})"


class FancySetItem(SetItem):
    """``x[index] = v`` where the index may hold integer arrays: numpy keeps the last write to
    a repeated position, so only that position of v gets its gradient."""

    def vjp(self, g: Any) -> list[Any]:
        index = self.args[2:]
        return [ClearItem(g, *index), SumTo(WrittenGrad(g, *index), self.args[1])]


class WrittenGrad(Structural):
    """``g[index]``, zero where a later position of an integer-array index is the same
    element; args (g, *index)."""

    n_diff = 0

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_written_grad")
        parts = ", ".join(format_index_part(printer, p) for p in self.args[1:]) or "()"
        return f"_written_grad({_a(printer, self.args[0])}, np.s_[{parts}])"


class ClearItem(Structural):
    """The cotangent of the overwritten array: g with zeros where it was written; args (g, *index)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_zero_at")
        parts = ", ".join(format_index_part(printer, p) for p in self.args[1:]) or "()"
        return f"_zero_at({_a(printer, self.args[0])}, np.s_[{parts}])"


class GradZeros(Structural):
    """A float64 zero gradient shaped like x (never x's integer dtype): args (x,)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        return f"np.zeros(np.shape({_a(printer, self.args[0])}))"


# ---------------------------------------------------------------- constructors


class Zeros(Structural):
    """args: (shape,)"""

    n_diff = 0

    def _numpycode(self, printer: Any) -> str:
        return f"np.zeros({_a(printer, self.args[0])})"


class Ones(Structural):
    n_diff = 0

    def _numpycode(self, printer: Any) -> str:
        return f"np.ones({_a(printer, self.args[0])})"


class NpConstant(Structural):
    """A numpy call with no gradient (np.arange, np.eye, ...): args (name, kwargs, *args)."""

    n_diff = 0

    def _numpycode(self, printer: Any) -> str:
        items = [_a(printer, a) for a in self.args[2:]]
        items += [f"{k}={v!r}" for k, v in sval(self.args[1])]
        return f"np.{sval(self.args[0])}({', '.join(items)})"


class Full(Structural):
    """np.full(shape, value): args (value, shape)."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.full({_a(printer, self.args[1])}, {_a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [SumTo(g, self.args[0])]


class Arange(Structural):
    """np.arange(start, stop, step) with a start or step that carries gradient: args
    (start, step, stop), step Static(None) when left out. Element i is start + i * step."""

    n_diff = 2

    def _numpycode(self, printer: Any) -> str:
        start, step, stop = self.args
        items = [_a(printer, start), _a(printer, stop)]
        if sval(step) is not None:
            items.append(_a(printer, step))
        return f"np.arange({', '.join(items)})"

    def vjp(self, g: Any) -> list[Any]:
        start, step, _ = self.args
        index = NpConstant(static("arange"), static(()), Len(g))
        return [SumTo(g, start), None if sval(step) is None else SumTo(g * index, step)]


class Linspace(Structural):
    """np.linspace: args (start, stop, num, Static(endpoint), Static(axis)). Each sample is
    start * (1 - t) + stop * t for t in np.linspace(0, 1, num, endpoint): linear in both."""

    n_diff = 2

    def _numpycode(self, printer: Any) -> str:
        start, stop, num = (_a(printer, a) for a in self.args[:3])
        kw = _kw(endpoint=(sval(self.args[3]), True), axis=(sval(self.args[4]), 0))
        return f"np.linspace({start}, {stop}, {num}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [LinspaceGrad(static(end), g, *self.args) for end in (False, True)]


class LinspaceGrad(Structural):
    """The cotangent of np.linspace's start (Static(False)) or stop (Static(True)):
    args (end, g, start, stop, num, endpoint, axis)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[3] if sval(self.args[0]) else arg_classes[2]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_linspace_grad")
        args = ", ".join(_a(printer, a) for a in self.args[1:5])
        return (f"_linspace_grad({args}, {sval(self.args[5])!r}, {sval(self.args[6])!r}, "
                f"{sval(self.args[0])!r})")


class ZerosLike(Structural):
    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        return f"np.zeros_like({_a(printer, self.args[0])})"


class OnesLike(ZerosLike):
    def _numpycode(self, printer: Any) -> str:
        return f"np.ones_like({_a(printer, self.args[0])})"


class ArrayOf(Structural):
    """np.array of scalars: args (nested structure as Static, *elements)."""

    n_diff = None

    def diff_args(self) -> tuple:
        return self.args[1:]

    def _layout(self) -> list[tuple[int, ...]]:
        return list(sval(self.args[0]))

    @property
    def bool_array(self) -> bool:  # a constant bool array (read by masks.bool_valued)
        return all(e in (sp.true, sp.false) for e in self.args[1:])

    def _numpycode(self, printer: Any) -> str:
        layout = self._layout()
        elements = [_a(printer, e) for e in self.args[1:]]

        def build(prefix: tuple[int, ...]) -> str:
            children = sorted({idx[len(prefix)] for idx in layout if idx[: len(prefix)] == prefix})
            if any(len(idx) == len(prefix) + 1 for idx in layout if idx[: len(prefix)] == prefix):
                return "[" + ", ".join(elements[layout.index(prefix + (c,))] for c in children) + "]"
            return "[" + ", ".join(build(prefix + (c,)) for c in children) + "]"

        return f"np.array({build(())})"

    def vjp(self, g: Any) -> list[Any]:
        return [GetItem(g, *[static(i) for i in idx]) for idx in self._layout()]


# ---------------------------------------------------------------- metadata and helpers


class AsWritten(Structural):
    """``a - b``, ``a * b``, ... exactly as the user wrote it, where SymPy's value is a
    constant but numpy's is not (``x - x``: zeros shaped like x, nan where x is inf;
    ``x ** 0``: ones shaped like x): args (Static(operator), a, b). Constant, so no gradient.
    """

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return join_classes(arg_classes[1:], fresh)

    @property
    def precedence(self) -> int:  # read by the printer's parenthesize
        from sympy.printing.precedence import PRECEDENCE

        op = sval(self.args[0])
        return PRECEDENCE["Add" if op in "+-" else "Pow" if op == "**" else "Mul"]

    def _numpycode(self, printer: Any) -> str:
        a, b = (_p(printer, v) for v in self.args[1:])
        return f"{a} {sval(self.args[0])} {b}"


class IsNone(_Meta):
    """``x is None`` (args: x, Static(negate)): a runtime test of an optional argument."""

    def _numpycode(self, printer: Any) -> str:
        return f"{_p(printer, self.args[0])} is {'not ' if sval(self.args[1]) else ''}None"


class FloorDiv(Structural):
    """``a // b``: piecewise constant, no gradient."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return join_classes(arg_classes, fresh)

    def _numpycode(self, printer: Any) -> str:
        return f"{_p(printer, self.args[0])} // {_p(printer, self.args[1])}"


class Mod(Structural):
    """``a % b`` (Python's sign convention, like np.mod): d/da = 1, d/db = -(a // b)."""

    n_diff = 2  # needs_full_g: d/da = 1 sums g over what a was broadcast to
    vjp_exact = False

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return join_classes(arg_classes, fresh)

    def _numpycode(self, printer: Any) -> str:
        return f"{_p(printer, self.args[0])} % {_p(printer, self.args[1])}"

    def vjp(self, g: Any) -> list[Any]:
        a, b = self.args
        return [SumTo(g, a), SumTo(-g * FloorDiv(a, b), b)]


class StopGradient(Structural):
    """x.detach(), symgrad.stop_gradient(x), or a value computed under no_grad."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[0]

    def _numpycode(self, printer: Any) -> str:
        return _a(printer, self.args[0])


class EqMask(Structural):
    """(x == m): where an extremum is attained."""

    n_diff = 0
    bool_array = True

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return join_classes(arg_classes, fresh)

    def _numpycode(self, printer: Any) -> str:
        return f"({_a(printer, self.args[0])} == {_a(printer, self.args[1])})"


class SumTo(Structural):
    """Sum a broadcast cotangent back to the shape of x: args (g, x)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[1]

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_sum_to")
        return f"_sum_to({_a(printer, self.args[0])}, {_a(printer, self.args[1])})"


class BroadcastLike(Structural):
    """Give a cotangent exactly the shape of x: args (g, x)."""

    n_diff = 0

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[1]

    def _numpycode(self, printer: Any) -> str:
        like = self.args[1]
        shape = f"{_a(printer, like)}.shape" if isinstance(like, Broadcast) else \
            f"np.shape({_a(printer, like)})"
        printer.use_helper("_broadcast_to")
        return f"_broadcast_to({_a(printer, self.args[0])}, {shape})"


class FullLike(BroadcastLike):
    """A fresh, writable gradient array shaped like x: args (g, x). Always floating: x may be
    an integer array (a buffer from np.arange), whose gradient must not be truncated."""

    def _numpycode(self, printer: Any) -> str:
        if self.args[0] == 0:
            return f"np.zeros_like({_a(printer, self.args[1])}, dtype=float)"
        return (f"np.full_like({_a(printer, self.args[1])}, {_a(printer, self.args[0])}, "
                "dtype=float)")
