"""Array creation: zeros and ones, np.full, np.arange, np.linspace, np.array of scalars, and
the numpy calls whose result carries no gradient (``NpConstant``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.grads import BroadcastLike, SumTo
from symgrad.rules.indexing import GetItem
from symgrad.rules.registry import (
    ALLOCATES,
    LINEAR,
    NONDIFF,
    VIEW,
    Primitive,
    Rule,
    lazy_module,
    primitive,
    register,
)
from symgrad.rules.shape import Len, normalize_axes, shape_node_arg

base = lazy_module("symgrad.rules.base")
sp = lazy_module("sympy")


def _shape_tuple(shape: Any) -> tuple[int, ...]:
    return tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)


class _Filled(Rule):
    """np.zeros / np.ones: args (shape,)"""

    traits = frozenset({NONDIFF, ALLOCATES})
    node_args = ("shape",)
    fill = ""

    def _numpycode(self, printer: Any) -> str:
        return f"np.{self.fill}({base._a(printer, self.args[0])})"

    @classmethod
    def make(cls, shape: Any) -> Any:
        return cls(shape_node_arg(shape))

    @staticmethod
    def out_shape(shape: Any) -> tuple[int, ...]:
        return _shape_tuple(shape)


@primitive("zeros", np.zeros, params="shape, dtype=None, order='C'", arrays=(),
           values=("shape",))
class Zeros(_Filled):
    """args: (shape,)"""

    fill = "zeros"


@primitive("ones", np.ones, params="shape, dtype=None, order='C'", arrays=(),
           values=("shape",))
class Ones(_Filled):
    fill = "ones"


_LIKE = "a, dtype=None, order='K', subok=True, shape=None"


@primitive("zeros_like", np.zeros_like, params=_LIKE, traits={NONDIFF, ALLOCATES})
class ZerosLike(Rule):
    shape_like = 0
    node_args = ("a",)

    def _numpycode(self, printer: Any) -> str:
        return f"np.zeros_like({base._a(printer, self.args[0])})"

    @staticmethod
    def out_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape


@primitive("ones_like", np.ones_like, params=_LIKE, traits={NONDIFF, ALLOCATES})
class OnesLike(ZerosLike):
    def _numpycode(self, printer: Any) -> str:
        return f"np.ones_like({base._a(printer, self.args[0])})"


class NpConstant(Rule):
    """A numpy call with no gradient (np.arange, np.eye, ...): args (name, kwargs, *args)."""

    traits = frozenset({NONDIFF})

    def _numpycode(self, printer: Any) -> str:
        items = [base._a(printer, a) for a in self.args[2:]]
        items += [f"{k}={v!r}" for k, v in base.sval(self.args[1])]
        return f"np.{base.sval(self.args[0])}({', '.join(items)})"


def constant(name: str, methods: tuple[str, ...] = (), traits: frozenset[str] = frozenset()
             ) -> Primitive:
    """Register a numpy function whose result carries no gradient (piecewise constant, or a
    constant array): it is called as written, its arguments passed on (an ``NpConstant``)."""
    return register(Primitive(name, binds=(getattr(np, name),), methods=methods,
                              params="*args, **kwargs", arrays=(), lower="constant_call",
                              traits=frozenset({NONDIFF}) | traits))


# (np.arange(n) and np.full(shape, 2.0) are constants too: see their entries below)
for _name in ("eye", "identity", "tri"):
    constant(_name, traits=frozenset({ALLOCATES}))
for _name in ("all", "any", "argmax", "argmin", "round"):
    constant(_name, methods=(_name,))
for _name in ("isnan", "isfinite", "isinf", "floor", "ceil", "rint", "count_nonzero"):
    constant(_name)
del _name


@primitive("full", np.full, params="shape, fill_value, dtype=None, order='C'",
           arrays=("fill_value",), values=("shape",), lower="full_call",
           traits={ALLOCATES, LINEAR})
class Full(Rule):
    """np.full(shape, value): args (value, shape)."""

    node_args = ("shape", "fill_value", "order")

    def _numpycode(self, printer: Any) -> str:
        return f"np.full({base._a(printer, self.args[1])}, {base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [SumTo(g, self.args[0])]

    @classmethod
    def make(cls, shape: Any, fill_value: Any, order: str = "C") -> Any:
        # (any memory order holds the same values: every reader sees them in C order)
        return cls(fill_value, shape_node_arg(shape))

    @staticmethod
    def out_shape(fill_value: tuple[int, ...], shape: Any, order: str = "C") -> tuple[int, ...]:
        return tuple(np.broadcast_shapes(fill_value, _shape_tuple(shape)))


@primitive("arange", np.arange, params="start, stop=None, step=None, dtype=None",
           arrays=("start", "stop", "step"), nondiff_args=(1,), lower="arange_call",
           traits={ALLOCATES, LINEAR})
class Arange(Rule):
    """np.arange(start, stop, step) with a start or step that carries gradient: args
    (start, step, stop), step Static(None) when left out. Element i is start + i * step."""

    n_diff = 2
    node_args = ("start", "stop", "step")

    def _numpycode(self, printer: Any) -> str:
        start, step, stop = self.args
        items = [base._a(printer, start), base._a(printer, stop)]
        if base.sval(step) is not None:
            items.append(base._a(printer, step))
        return f"np.arange({', '.join(items)})"

    def vjp(self, g: Any) -> list[Any]:
        start, step, _ = self.args
        index = NpConstant(base.static("arange"), base.static(()), Len(g))
        return [SumTo(g, start), None if base.sval(step) is None else SumTo(g * index, step)]

    def jvp(self, tangents: list[Any]) -> Any:
        # element i is start + i * step: the stop sets only the length
        t_start, t_step = tangents
        index = NpConstant(base.static("arange"), base.static(()), Len(self))
        t = (t_start if t_start != 0 else 0) + (index * t_step if t_step != 0 else 0)
        return t if t_step != 0 else BroadcastLike(t, self)

    @classmethod
    def make(cls, start: Any, stop: Any = None, step: Any = None) -> Any:
        if stop is None:  # np.arange(stop)
            start, stop = sp.Integer(0), start
        return cls(start, base.static(None) if step is None else step, stop)


@primitive("linspace", np.linspace,
           params="start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0",
           arrays=("start", "stop"), values=("num",), lower="linspace_call",
           traits={ALLOCATES, LINEAR})
class Linspace(Rule):
    """np.linspace: args (start, stop, num, Static(endpoint), Static(axis)). Each sample is
    start * (1 - t) + stop * t for t in np.linspace(0, 1, num, endpoint): linear in both."""

    n_diff = 2
    node_args = ("start", "stop", "num", "endpoint", "axis")

    def _numpycode(self, printer: Any) -> str:
        start, stop, num = (base._a(printer, a) for a in self.args[:3])
        kw = base._kw(endpoint=(base.sval(self.args[3]), True), axis=(base.sval(self.args[4]), 0))
        return f"np.linspace({start}, {stop}, {num}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        return [LinspaceGrad(base.static(end), g, *self.args) for end in (False, True)]

    @classmethod
    def make(cls, start: Any, stop: Any, num: Any = 50, endpoint: bool = True,
             axis: int = 0) -> Any:
        num = sp.Integer(num) if isinstance(num, (int, np.integer)) else num
        return cls(start, stop, num, base.static(bool(endpoint)), base.static(axis))

    @staticmethod
    def out_shape(start: tuple[int, ...], stop: tuple[int, ...], num: int = 50,
                  endpoint: bool = True, axis: int = 0) -> tuple[int, ...]:
        both = tuple(np.broadcast_shapes(start, stop))
        (a,) = normalize_axes(axis, len(both) + 1)
        return both[:a] + (int(num),) + both[a:]


class LinspaceGrad(Rule):
    """The cotangent of np.linspace's start (Static(False)) or stop (Static(True)):
    args (end, g, start, stop, num, endpoint, axis). Its transpose is the linspace from u to
    zeros like the stop (from zeros like the start to u): the samples' exact shape."""

    def diff_args(self) -> tuple:
        return self.args[1:2]  # g (start and stop are read for their shapes)

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return arg_classes[3] if base.sval(self.args[0]) else arg_classes[2]

    def _numpycode(self, printer: Any) -> str:
        # _linspace_grad(g, start, stop, num, endpoint, axis, end)
        return base.helper_call(printer, "_linspace_grad", self.args[1:] + self.args[:1])

    def vjp(self, g: Any) -> list[Any]:
        start, stop = self.args[2:4]
        ends = (ZerosLike(start), g) if base.sval(self.args[0]) else (g, ZerosLike(stop))
        return [Linspace(*ends, *self.args[4:])]


# ---------------------------------------------------------------- np.array of scalars


@primitive("array", np.array, params="object, dtype=None, copy=True", arrays=("object",),
           lower="array_call", traits={ALLOCATES, LINEAR})
class ArrayOf(Rule):
    """np.array of scalars: args (nested structure as Static, *elements)."""

    n_diff = None
    node_args = ("object",)

    def diff_args(self) -> tuple:
        return self.args[1:]

    def _layout(self) -> list[tuple[int, ...]]:
        return list(base.sval(self.args[0]))

    @property
    def bool_array(self) -> bool:  # a constant bool array (read by masks.bool_valued)
        return all(e in (sp.true, sp.false) for e in self.args[1:])

    def _numpycode(self, printer: Any) -> str:
        layout = self._layout()
        elements = [base._a(printer, e) for e in self.args[1:]]

        def build(prefix: tuple[int, ...]) -> str:
            children = sorted({idx[len(prefix)] for idx in layout if idx[: len(prefix)] == prefix})
            if any(len(idx) == len(prefix) + 1 for idx in layout if idx[: len(prefix)] == prefix):
                return "[" + ", ".join(elements[layout.index(prefix + (c,))] for c in children) + "]"
            return "[" + ", ".join(build(prefix + (c,)) for c in children) + "]"

        return f"np.array({build(())})"

    def vjp(self, g: Any) -> list[Any]:
        return [GetItem(g, *[base.static(i) for i in idx]) for idx in self._layout()]

    @classmethod
    def make(cls, object: Any) -> Any:
        """A nested list of SymPy scalars; an expression is its own array (np.array(x))."""
        if not isinstance(object, (list, tuple)):
            return object
        layout: list[tuple[int, ...]] = []
        elements: list[Any] = []

        def walk(v: Any, prefix: tuple[int, ...]) -> None:
            if isinstance(v, (list, tuple)):
                for i, e in enumerate(v):
                    walk(e, prefix + (i,))
            else:
                layout.append(prefix)
                elements.append(v)

        walk(object, ())
        return cls(base.static(tuple(layout)), *elements)

    @staticmethod
    def out_shape(object: tuple[int, ...]) -> tuple[int, ...]:
        return object  # the shape of the nested list


# np.asarray(x) is x itself, np.copy(x) a copy: both are np.array's values
primitive("asarray", np.asarray, np.asanyarray, params="a, dtype=None, order=None",
          node_args=("a",), lower="array_call", traits={VIEW, LINEAR})(ArrayOf)
primitive("copy", np.copy, methods=("copy",), params="a, order='K', subok=False", node_args=("a",),
          method_params="order='C'", lower="array_call", traits={ALLOCATES, LINEAR})(ArrayOf)


class AsArray(Rule):
    """``np.asarray(p)`` / ``np.array(p)`` of a parameter, kept as written (args: p,
    Static(name)): the caller may pass a list, which every later operation (and the
    gradient code) must see as numpy's array. The values are p's: the gradient is g."""

    traits = frozenset({VIEW, LINEAR})
    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return f"np.{base.sval(self.args[1])}({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [g]
