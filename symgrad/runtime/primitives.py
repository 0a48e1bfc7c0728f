"""The registry's entries as the Tensor runs them: one ``Op`` per entry with a torch spec.

An ``Op`` holds what a Tensor operation reads on every call, taken from its entry once: the
rule key its node resolves its vjp from, PyTorch's node names (``entry.torch``), the numpy
forward (``entry.forward``), whether the node must save its inputs, and, for an elementwise
op, how it treats integers and floating-point warnings (probed from the forward, below).
``apply`` runs any entry on Tensors and records its node: the numpy protocol and the
structural methods without torch-specific semantics use it.

Only the plain entries are read (``registry.entries()``, never a rule class or
``Primitive.node``), so importing this module imports no SymPy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.rules import registry
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.tensor import Tensor, _make_view, _record, _wrap

__all__ = ["OPS", "Op", "apply", "by_object", "elementwise_ops", "static_key"]


class Op:
    """One registry entry (with a torch spec) as the Tensor runs it."""

    __slots__ = ("entry", "name", "key", "node", "overloads", "node_tensor", "node_reflected",
                 "methods", "forward", "arity", "elementwise", "view", "saves", "float_only",
                 "quiet")

    def __init__(self, entry: registry.Primitive) -> None:
        torch = entry.torch
        self.entry = entry
        self.name = entry.name
        self.key = (entry.name, ())  # the rule key with no static parameters
        self.node = torch.node
        self.overloads = torch.overloads
        self.node_tensor = self.overload("tensor")  # a Tensor second operand (x ** y)
        self.node_reflected = self.overload("reflected")  # a number first (2 - x)
        self.methods = torch.methods
        self.forward = entry.forward
        self.arity = entry.arity
        self.elementwise = entry.form is not None or (
            isinstance(self.forward, np.ufunc) and self.forward.signature is None)
        self.view = entry.has(registry.VIEW)
        self.saves = _saves(entry, self.elementwise)
        self.float_only, self.quiet = _numerics(self.forward, self.arity) \
            if self.elementwise and self.arity <= 2 else (False, True)

    def overload(self, key: str) -> str:
        """The node PyTorch prints for overload ``key`` (``entry.torch.overloads``), or the
        entry's node when that overload prints the same."""
        return self.overloads.get(key, self.node)

    def node_for(self, static: dict[str, Any]) -> str:
        """The node for a call with these (non-default) numpy parameters: the ``dim`` overload
        when the torch ``dim`` parameter's numpy twin is given (``dims`` for a tuple of them),
        as ``x.sum(0)`` prints ``SumBackward1`` where ``x.sum()`` prints ``SumBackward0``."""
        axis = self.entry.torch.params.get("dim")
        if axis is not None and static.get(axis) is not None:
            if type(static[axis]) is tuple and "dims" in self.overloads:
                return self.overloads["dims"]
            return self.overload("dim")
        return self.node

    def __repr__(self) -> str:
        return f"<Op {self.name}: {self.node}>"


def _saves(entry: registry.Primitive, elementwise: bool) -> bool:
    """Whether the node keeps its inputs for backward (and so frees them after it, and
    checks their versions). A linear op's vjp reads only shapes; a product is linear in each
    factor, and each factor's gradient reads the other."""
    if not entry.has(registry.LINEAR):
        return True
    return not elementwise and entry.arity > 1 and not entry.variadic


def _numerics(forward: Callable[..., Any], arity: int) -> tuple[bool, bool]:
    """(float_only, quiet) of an elementwise forward, probed once.

    ``float_only``: PyTorch computes the op on integer tensors in the default float dtype
    exactly when its values on integers are not integers (exp, sigmoid, true division; not
    abs, square, pow): the forward of integers returns floats, or differs from the forward of
    the same numbers as floats. ``quiet``: the op runs without numpy's floating-point
    warnings (PyTorch has none) when it leaves the integers or numpy warns at an ordinary
    input (log(0), x / 0, 0 ** -1); the other ops skip the cost of ``np.errstate``."""
    ints = [np.array([-2, -1, 0, 1, 2, 3]), np.array([1, 2, 3, 1, 2, 3])][:arity]
    try:
        with np.errstate(all="ignore"):
            on_ints = np.asarray(forward(*ints))
            on_floats = np.asarray(forward(*[i.astype(np.float64) for i in ints]))
        float_only = on_ints.dtype.kind in "fc" or not np.array_equal(on_ints, on_floats)
    except (TypeError, ValueError, ArithmeticError):
        float_only = True
    grid = np.array([-1.0, 0.0, 0.5, 2.0])
    args = [grid[:, None], grid[None, :]][:arity] if arity == 2 else [grid]
    try:
        with np.errstate(all="raise"):
            forward(*args)
        warns = False
    except FloatingPointError:
        warns = True
    return float_only, float_only or warns


def static_key(static: dict[str, Any]) -> tuple:
    """A node's rule-key items for numpy parameters (lists made tuples, so it hashes)."""
    return tuple((k, _frozen(v) if type(v) in (list, tuple) else v) for k, v in static.items())


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def apply(op: Op, operands: list[Any], static: dict[str, Any], node: str | None = None,
          torch_strides: bool = False) -> Tensor:
    """``op``'s numpy forward on the operands' arrays with ``static`` (numpy's parameter
    names; defaults left out), recorded as one node (``node``, or ``op.node_for(static)``).

    A result that is a view of the first operand shares its version counter; with
    ``torch_strides``, a view with a negative stride (np.flip's) is copied instead, since a
    torch tensor has none. A view entry whose result is a copy prints its ``copy`` overload
    (a reshape of a transposed tensor)."""
    arrays = [a._data if type(a) is Tensor else a for a in operands]
    items = static_key(static)
    static = dict(items)
    res = op.forward(arrays, **static) if op.entry.variadic else op.forward(*arrays, **static)
    if type(res) is not np.ndarray:
        res = np.asarray(res)
    first = operands[0] if operands else None
    shares = op.view and type(first) is Tensor and np.may_share_memory(res, first._data)
    if shares and torch_strides and any(s < 0 for s in res.strides):
        res, shares = res.copy(), False
    out = _wrap(res)
    if shares:
        _make_view(out, first)
    if _Mode.enabled:
        for a in operands:
            if type(a) is Tensor and a._requires_grad:
                if node is None:
                    node = op.node_for(static) if shares or not op.view else op.overload("copy")
                _record(out, node, (op.name, items), tuple(operands), saves=op.saves)
                break
    return out


OPS: dict[str, Op] = {e.name: Op(e) for e in registry.entries() if e.torch is not None}
_BY_OBJECT: dict[int, Op] = {id(b): op for op in OPS.values() for b in op.entry.binds}


def by_object(obj: Any) -> Op | None:
    """The Op of the entry a numpy object binds (``np.add`` -> add), or None."""
    return _BY_OBJECT.get(id(obj))


def elementwise_ops() -> list[Op]:
    return [op for op in OPS.values() if op.elementwise]
