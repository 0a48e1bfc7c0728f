"""``torch.autograd.graph.saved_tensors_hooks``: how the tensors a node saves for backward are
kept (packed when the node is recorded) and given back (unpacked when backward reads them).

As in torch 2.13: the innermost active pair applies to every node recorded inside the
context; the pack hook runs with grad mode off; a pack hook that modifies its input in place is
refused; ``unpack_hook`` must return a Tensor; the unpacked Tensor stands for the original in
the graph (same ``grad_fn`` or leaf), so ``create_graph=True`` differentiates through it; and
a value given back by a hook is not version-checked (the hook owns it). Within backward,
the unpack hook runs with grad mode off (on under ``create_graph``); reading
``grad_fn._saved_self`` runs it in the current mode.

What a node saves is what its vjp reads (the rule table's ``vjp.reads``) for the inputs that
need a gradient, in input order: ``a * b`` packs ``b`` then ``a``, ``x.exp()`` its result,
``x + y`` nothing -- torch's choices for the common ops. Where torch's derivative formula
reads something else, the tensors packed differ: ``relu`` and ``sigmoid`` save their
result in torch and their input here (one pack each), ``max()`` its input and result in
torch, its input only here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from symgrad.runtime.grad_mode import _Mode

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "HOOKS"]

# the active (pack, unpack) pairs, innermost last; the Tensor's recording reads ``if HOOKS``
HOOKS: list = []
_DISABLED: list = []  # messages of the active disable_saved_tensors_hooks contexts

_INPLACE_MSG = (
    "A saved tensor pack hook is modifying its input in place. Tensors provided as input to "
    "pack hook cannot be modified by in-place operations as this can lead to unexpected "
    "side-effects. Please open an issue if you need to perform in-place operations on the "
    "input to a pack hook.")


class saved_tensors_hooks:  # noqa: N801  (torch's name)
    """``with saved_tensors_hooks(pack_hook, unpack_hook):``: ``pack_hook(tensor) -> Any`` runs
    when a node saves ``tensor``; ``unpack_hook(packed) -> Tensor`` when backward (or
    ``grad_fn._saved_*``, or ``ctx.saved_tensors``) reads it."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _DISABLED:
            raise RuntimeError(_DISABLED[-1])
        HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc: Any) -> None:
        HOOKS.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801
    """``save_on_cpu(pin_memory=False, device_type="cuda")``: saved tensors kept on the CPU.
    symgrad has only the CPU, so a saved tensor is kept as it is."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: (t.device, t.cpu()), lambda packed: packed[1].to(packed[0]))


class disable_saved_tensors_hooks:  # noqa: N801
    """``with disable_saved_tensors_hooks(error_message):``: entering ``saved_tensors_hooks``
    inside raises ``RuntimeError(error_message)``."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        _DISABLED.append(self.error_message)

    def __exit__(self, *exc: Any) -> None:
        _DISABLED.pop()


def _pack(tensor: Any) -> Any:
    pack = HOOKS[-1][0]
    box = tensor._ver
    before = None if box is None else box[0]
    prev = _Mode.enabled
    _Mode.enabled = False
    try:
        packed = pack(tensor)
    finally:
        _Mode.enabled = prev
    box = tensor._ver
    if box is not None and box[0] != (0 if before is None else before):
        raise RuntimeError(_INPLACE_MSG)
    return packed


def pack_saved(node: Any, saved: list) -> None:
    """Pack ``saved`` -- ``[(name, tensor), ...]`` -- for ``node`` with the innermost hooks:
    ``node._packed`` maps each name to ``(packed, original)`` and ``node._unpack`` is the
    unpack hook."""
    node._unpack = HOOKS[-1][1]
    node._packed = {name: (_pack(t), t) for name, t in saved}


# nodes whose torch formula saves in another order than input by input
_TORCH_ORDER = {"MmBackward0": ("x1", "x0"), "PowBackward1": ("x1", "x0", "out")}


def read_names(node: Any, vjp: Any, names: list) -> list:
    """The saved names (``x0``.., ``out``) the vjp reads for the inputs that need a gradient,
    in torch's order: input by input, each input's reads in parameter order (``mm`` and a
    tensor ``pow`` save theirs in their own order, ``_TORCH_ORDER``)."""
    per_input = getattr(vjp, "reads", None)
    if per_input is None:
        return list(names)
    out: list = []
    for (nxt, _), reads in zip(node.next_functions, per_input, strict=False):
        if nxt is not None:
            out.extend(n for n in names if n in reads and n not in out)
    order = _TORCH_ORDER.get(type(node).__name__)
    if order is not None:
        out.sort(key=lambda n: order.index(n) if n in order else len(order))
    return out


def unpack(node: Any, name: str, grad_mode: bool | None = None) -> Any:
    """The Tensor ``unpack_hook`` gives back for saved ``name``, standing for the original in
    the graph (its ``grad_fn``, or the same leaf). The hook runs in ``grad_mode`` (backward's:
    on only under ``create_graph``), or in the current mode (``grad_fn._saved_self``)."""
    from symgrad.runtime.tensor import Tensor, _wrap

    packed, original = node._packed[name]
    prev = _Mode.enabled
    _Mode.enabled = prev if grad_mode is None else grad_mode
    try:
        t = node._unpack(packed)
    finally:
        _Mode.enabled = prev
    if type(t) is not Tensor:
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(t).__name__}")
    alias = _wrap(t._data)
    alias._ver = original._ver
    if original._requires_grad:
        alias._requires_grad = True
        if original._grad_fn is not None:
            alias._grad_fn, alias._output_nr = original._grad_fn, original._output_nr
        else:
            alias._accum = original._grad_accumulator()
    return alias


def unpacked_saved(node: Any, tensors: tuple, arrays: tuple, out: Any,
                   create_graph: bool) -> tuple:
    """(tensors, arrays, out) with every packed value replaced by its unpacked one: the input
    Tensors (None for constants) and arrays, and the output array, a backward reads."""
    tensors, arrays = list(tensors), list(arrays)
    for name in node._packed:
        t = unpack(node, name, create_graph)
        if name == "out":
            out = t._data
        else:
            i = int(name[1:])
            tensors[i], arrays[i] = t, t._data
    return tuple(tensors), tuple(arrays), out
