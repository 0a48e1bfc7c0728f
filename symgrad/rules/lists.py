"""Lists built at run time: ``outs = []`` then ``outs.append(h)`` inside a loop symgrad keeps.

A list the loop appends to is a value of the generated code (a Python list), carried by the
loop like any other value. These internal nodes (not registry entries: numpy has no such
functions) are everything symgrad lets the code do with it: build it (``ListOf``), append
(``Append``), stack it (``StackList``: ``np.stack``/``np.array``/``np.asarray``), concatenate
it (``ConcatList``), add its items (``SumList``: the builtin ``sum``) and read one item
(``ListItem``); ``len`` is ``shape.Len``. Anything else (``outs * 2`` would repeat the list)
is refused by the frontend.

Forward mode keeps lists as lists: a list's tangent is the list of its items' tangents
(``ListZeros`` where none reaches it), so each of these nodes is linear in its list.

The cotangent of such a list is one array: its items' cotangents stacked on a new first axis
(``_list_zeros(outs)``, ``np.zeros(np.shape(outs))``, is its zero), so cotangents add up
with ``+`` and ``np.shape(outs)`` is its shape. A ragged list (items of different shapes)
has an object array of its items' cotangents instead, which adds up item by item and is
read and sliced as the stacked one; stacking or summing it fails at run time, loudly. Appending copies the list (``outs + [h]``: the
old value stays valid for the backward pass); only references are copied.
"""

from __future__ import annotations

from typing import Any

from symgrad.rules.indexing import GetItem
from symgrad.rules.moving import Moveaxis
from symgrad.rules.registry import LINEAR, NONDIFF, Rule, lazy_module
from symgrad.rules.shape import Reshape, Shape

base = lazy_module("symgrad.rules.base")


class ListOf(Rule):
    """args: (*items): the list ``[a, b]`` (``[]`` with none): a loop's list before it."""

    needs_full_g = False  # (its cotangent is always a whole stacked array)

    def diff_args(self) -> tuple:
        return self.args

    def _numpycode(self, printer: Any) -> str:
        return f"[{', '.join(base._a(printer, a) for a in self.args)}]"

    def vjp(self, g: Any) -> list[Any]:
        return [GetItem(g, base.static(i)) for i in range(len(self.args))]

    def jvp(self, tangents: list[Any]) -> Any:
        from symgrad.rules.grads import GradZeros

        return ListOf(*[t if t != 0 else GradZeros(a)
                        for a, t in zip(self.args, tangents, strict=True)])


class Append(Rule):
    """args: (xs, x): the list xs with x appended (a new list: xs is unchanged). Its
    cotangent's last row is x's, the rows before it xs's."""

    n_diff = 2
    needs_full_g = False  # a list's cotangent is always whole (see the module docstring)
    whole_cotangent = True  # ... so the vjp's are exactly xs's and x's shapes

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])} + [{base._a(printer, self.args[1])}]"

    def vjp(self, g: Any) -> list[Any]:
        return [GetItem(g, base.static(slice(None, -1))), GetItem(g, base.static(-1))]

    def jvp(self, tangents: list[Any]) -> Any:
        from symgrad.rules.grads import GradZeros

        xs, x = self.args
        t_xs, t_x = tangents
        return Append(t_xs if t_xs != 0 else ListZeros(xs), t_x if t_x != 0 else GradZeros(x))


class StackList(Rule):
    """args: (xs, Static(spelling), Static(axis)): ``np.stack(xs, axis)`` (or ``np.array``,
    ``np.asarray``: axis 0): stacked on axis 0 it is the list's cotangent layout itself."""

    traits = frozenset({LINEAR})

    def _numpycode(self, printer: Any) -> str:
        axis = base.sval(self.args[2])
        return (f"{base.sval(self.args[1])}({base._a(printer, self.args[0])}"
                f"{f', axis={axis}' if axis else ''})")

    def vjp(self, g: Any) -> list[Any]:
        axis = base.sval(self.args[2])
        return [Moveaxis(g, base.static(axis), base.static(0)) if axis else g]


class ConcatList(Rule):
    """args: (xs,): ``np.concatenate(xs)`` along the first axis; the cotangent, reshaped to
    the stacked items' shape, is the list's."""

    traits = frozenset({LINEAR})

    def _numpycode(self, printer: Any) -> str:
        return f"np.concatenate({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [Reshape(g, Shape(self.args[0]))]


class SumList(Rule):
    """args: (xs,): Python's ``sum(xs)`` (0 + xs[0] + xs[1] + ..., left to right): each item
    gets the whole cotangent."""

    traits = frozenset({LINEAR})

    def _numpycode(self, printer: Any) -> str:
        return f"sum({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [ListBroadcast(g, self.args[0])]


class ListBroadcast(Rule):
    """args: (g, xs): g repeated once per item of xs (a writable array)."""

    traits = frozenset({LINEAR})  # in g

    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        g, xs = base._a(printer, self.args[0]), base._a(printer, self.args[1])
        return f"np.array(np.broadcast_to({g}, np.shape({xs})))"

    def vjp(self, g: Any) -> list[Any]:
        return [SumList(g)]


class ListItem(Rule):
    """args: (xs, i): ``xs[i]``, one item; its cotangent is zeros like the stacked list with
    g in row i."""

    traits = frozenset({LINEAR})

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])}[{base._a(printer, self.args[1])}]"

    def vjp(self, g: Any) -> list[Any]:
        return [ListItemGrad(g, *self.args)]


class ListItemGrad(Rule):
    """args: (g, xs, i): zeros shaped like the stacked list xs, with g written in row i."""

    traits = frozenset({LINEAR})  # in g

    shape_like = 1
    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_list_item_grad")
        return f"_list_item_grad({', '.join(base._a(printer, a) for a in self.args)})"

    def vjp(self, g: Any) -> list[Any]:
        return [ListItem(g, self.args[2])]


class ListZeros(Rule):
    """args: (xs,): a list of zeros shaped like xs's items: the tangent of a list no
    tangent reaches (forward mode)."""

    traits = frozenset({NONDIFF})

    def _numpycode(self, printer: Any) -> str:
        return f"[np.zeros(np.shape(v)) for v in {base._a(printer, self.args[0])}]"


class ListGradZeros(Rule):
    """args: (xs,): the zero cotangent of a list built in a loop (reverse mode): its items'
    zeros stacked, or, when the items' shapes differ (a value a loop carries, broadcast up
    by its first iteration: ``s = 0.0``, then ``s = s + x``), an object array of them."""

    traits = frozenset({NONDIFF})
    shape_like = 0
    reads_shape_of = 0

    def _numpycode(self, printer: Any) -> str:
        printer.use_helper("_list_zeros")
        return f"_list_zeros({base._a(printer, self.args[0])})"


LIST_VALUED = (ListOf, Append, ListZeros)  # the nodes whose value is a Python list
