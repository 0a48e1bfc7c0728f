"""The SymPy side of structural primitives: the node base class and the Static atom.

Imported lazily (rules themselves are plain ``registry.Rule`` classes): this is where SymPy
comes in.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from symgrad.rules.registry import NONDIFF

SCALAR = 0  # the shape class of 0-d values and Python numbers


class Static(sp.Atom):
    """A constant Python value (axis, slice, None) carried inside a SymPy expression."""

    def __new__(cls, value: Any) -> Static:
        obj = sp.Atom.__new__(cls)
        obj.value = value
        return obj

    def _hashable_content(self) -> tuple:
        return (repr(self.value),)

    def _sympystr(self, printer: Any) -> str:
        return repr(self.value)

    _numpycode = _sympystr


def static(value: Any) -> Static:
    return Static(value)


_BASIC_FREE_SYMBOLS = sp.Basic.free_symbols  # the property: a union over the arguments


@lru_cache(maxsize=1 << 17)
def free_symbols(expr: Any) -> frozenset:
    """``expr.free_symbols``, memoised by subexpression (SymPy computes it afresh from the
    leaves at each call: asked of every node of every printed expression, that was a twentieth
    of a long function's transformation)."""
    if type(expr).free_symbols is _BASIC_FREE_SYMBOLS:
        return frozenset().union(*map(free_symbols, expr.args))
    return frozenset(expr.free_symbols)


def sval(arg: Any) -> Any:
    """The Python value of a Static argument (or the expression itself)."""
    return arg.value if isinstance(arg, Static) else arg


class Structural(sp.Function):
    """Base of the opaque array operations: the node class of a rule is (rule, Structural).

    Traits read by the adjoint: ``n_diff`` leading arguments carry gradient (None: all but
    the last; none at all with the NONDIFF trait); ``needs_full_g``: the vjp needs g with
    exactly the output's shape; ``vjp_exact``: given such a g, each cotangent has exactly its
    input's shape; ``shape_like``: the output has the shape of argument ``shape_like`` (None:
    its own).
    """

    is_real = True
    traits: frozenset[str] = frozenset()
    n_diff: int | None = 1  # leading arguments that carry gradient; None means all but the last
    needs_full_g = True  # the VJP needs g with exactly the output's shape
    vjp_exact = True  # given such a g, each cotangent has exactly its input's shape
    shape_like: int | None = None

    @classmethod
    def eval(cls, *args: Any) -> None:
        return None

    def _eval_derivative(self, s: Any) -> Any:  # pragma: no cover - guarded by the adjoint
        raise TypeError(f"{type(self).__name__} is differentiated by its vjp, not sympy.diff")

    def _sympystr(self, printer: Any) -> str:
        # our own spelling: sympy's printers have methods for same-named classes (MatMul)
        return f"{type(self).__name__}({', '.join(printer._print(a) for a in self.args)})"

    def diff_args(self) -> tuple:
        if NONDIFF in self.traits:  # piecewise constant
            return ()
        n = len(self.args) - 1 if self.n_diff is None else self.n_diff
        return self.args[:n]

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh if self.shape_like is None else arg_classes[self.shape_like]

    def vjp(self, g: Any) -> list[Any]:
        """Cotangent for each of ``diff_args()`` (None where no gradient flows)."""
        if not self.diff_args():
            return []
        raise NotImplementedError(
            f"{type(self).__name__} has array arguments that carry gradient but no vjp rule: "
            "give it one (or the NONDIFF trait if it is piecewise constant)")

    def masked_vjp(self, g: Any) -> list[Any]:
        """``vjp(g)`` for a g that is 0 where a where discards this node's value: there the
        derivative is 0, so a rule whose slope is NaN wherever an input is NaN (a product of
        the others) selects 0 rather than multiply 0 by NaN. Others keep their vjp."""
        return self.vjp(g)


def node_jvp(node: Any, tangents: list[Any]) -> Any:
    """The tangent of a structural node, given one tangent per ``diff_args()`` (0 where
    none reaches it): its rule's ``jvp``, or what its traits say. ``MULTILINEAR`` (a product):
    one term per argument; ``LINEAR``: the op applied to the tangents (a zero one replaced by
    zeros shaped like its argument). Raises NotImplementedError for a rule with neither."""
    from symgrad.rules.grads import GradZeros
    from symgrad.rules.registry import LINEAR, MULTILINEAR

    rule_jvp = getattr(node, "jvp", None)
    if rule_jvp is not None:
        return rule_jvp(tangents)
    args = node.diff_args()
    slots, j = [], 0  # where each gradient argument sits among the node's arguments
    for i, a in enumerate(node.args):
        if j < len(args) and a is args[j]:
            slots.append(i)
            j += 1

    def with_(replacements: dict[int, Any]) -> Any:
        return node.func(*[replacements.get(i, a) for i, a in enumerate(node.args)])

    if MULTILINEAR in node.traits:
        return sp.Add(*[with_({slots[k]: t}) for k, t in enumerate(tangents) if t != 0])
    if LINEAR in node.traits:
        return with_({slots[k]: t if t != 0 else GradZeros(args[k])
                      for k, t in enumerate(tangents)})
    raise NotImplementedError(f"{type(node).__name__} has no jvp rule")


def _p(printer: Any, expr: Any) -> str:
    return printer.doprint_atom(expr)


def _a(printer: Any, expr: Any) -> str:
    return printer.doprint_expr(expr)


def helper_call(printer: Any, name: str, args: Any) -> str:
    """A call of one of ``symgrad.helpers`` (copied into the generated module that uses it);
    a Static argument prints as its value's repr."""
    printer.use_helper(name)
    return f"{name}({', '.join(printer.doprint_expr(a) for a in args)})"


def _kw(**items: Any) -> str:
    out = ""
    for key, (value, default) in items.items():
        if value != default:
            out += f", {key}={value!r}"
    return out


def _axes(axis: Any) -> tuple[int, ...] | None:
    if axis is None:
        return None
    return tuple(axis) if isinstance(axis, tuple) else (axis,)


def join_classes(classes: list[int], fresh: int) -> int:
    """Shape class of an elementwise result: broadcasting against scalars keeps the shape."""
    found = {c for c in classes if c != SCALAR}
    if not found:
        return SCALAR
    if len(found) == 1:
        return found.pop()
    return fresh
