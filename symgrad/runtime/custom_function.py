"""``torch.autograd.Function``: a user-written forward and backward as one graph node.

As in torch, the context ``ctx`` passed to ``forward`` and ``backward`` *is* the graph node
(``y.grad_fn``), of a class named ``<Name>Backward``. ``forward`` runs with grad mode off;
``backward`` runs with it off too, unless the graph of the derivative is being recorded
(``create_graph=True``): then it runs on Tensors with grad mode on, so a backward written with
Tensor operations is differentiated in turn (double backward), exactly as any other code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.runtime.engine import Node as _Node
from symgrad.runtime.engine import _EnableGrad, node_class
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import FREED_MSG, _desc, version_error
from symgrad.runtime.saved_hooks import HOOKS, pack_saved, unpack
from symgrad.runtime.tensor import Tensor, _box, _edge, _wrap

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What ``forward``/``backward`` may call on ``ctx`` (the node's class derives from it)."""

    needs_input_grad: tuple = ()
    _to_save: tuple | None = None
    _packed: dict | None = None  # under saved_tensors_hooks: {"s<i>": (packed, tensor)}
    _unpack: Any = None
    _saved_vers: tuple = ()
    _freed = False
    _non_diff: frozenset = frozenset()
    materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and type(t) is not Tensor:
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(FREED_MSG)
        saved = self._to_save or ()
        if self._packed is not None:  # under saved_tensors_hooks: unpacked at each read
            return tuple(None if t is None else unpack(self, f"s{i}") for i, t in enumerate(saved))
        for t, (box, v) in zip(saved, self._saved_vers, strict=False):
            if t is not None and box[0] != v:
                raise version_error(box[0], v, *_desc(t, t._grad_fn, t._output_nr))
        return tuple(saved)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_diff = frozenset(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Any) -> None:
        pass  # (the in-place change already happened on the array; nothing else to track)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class BackwardNode(FunctionCtx, _Node):
    """The graph node of one ``Function.apply`` call (also its ``ctx``)."""

    _saves = False
    _function: Any = None

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    def _free(self) -> None:
        if self._to_save is not None:
            self._freed = True

    def _run(self, g: Any, create_graph: bool) -> tuple:
        grads = g if self._n_out > 1 else [g]
        gts = []
        for gi, (shape, dt) in zip(grads, self._out_meta, strict=True):
            if gi is None:
                gi = _wrap(np.zeros(shape, dt)) if self.materialize_grads else None
            elif type(gi) is not Tensor:
                gi = _wrap(np.asarray(gi))
            gts.append(gi)
        if create_graph:
            with _EnableGrad():
                result = self._function.backward(self, *gts)
        else:
            prev = _Mode.enabled
            _Mode.enabled = False
            try:
                result = self._function.backward(self, *gts)
            finally:
                _Mode.enabled = prev
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._arg_is_tensor)
        if len(result) != n:
            if len(result) < n or any(r is not None for r in result[n:]):
                raise RuntimeError(
                    f"function {type(self).__name__} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(result)})")
            result = result[:n]
        out = []
        for r, is_t in zip(result, self._arg_is_tensor, strict=True):
            if not is_t:
                continue
            if r is None:
                out.append(None)
            elif type(r) is Tensor:
                out.append(r if create_graph else r._data)
            else:
                out.append(np.asarray(r))
        return tuple(out)


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, ns: dict) -> None:
        super().__init__(name, bases, ns)
        cls._backward_cls = node_class(f"{name}Backward", BackwardNode)


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` (or
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``), and call ``apply``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        node = object.__new__(cls._backward_cls)
        node._function = cls
        tensors = [a for a in args if type(a) is Tensor]
        record = _Mode.enabled and any(t._requires_grad for t in tensors)
        node.needs_input_grad = tuple(type(a) is Tensor and a._requires_grad and record
                                      for a in args)
        prev = _Mode.enabled
        _Mode.enabled = False
        try:
            if cls.setup_context is Function.setup_context:
                result = cls.forward(node, *args, **kwargs)
            else:
                result = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, result)
        finally:
            _Mode.enabled = prev
        multi = isinstance(result, tuple)
        outs = list(result) if multi else [result]
        ids = {id(t) for t in tensors}
        for i, o in enumerate(outs):
            if type(o) is Tensor and (id(o) in ids or o._grad_fn is not None):
                v = _wrap(o._data)  # an input returned as is: a new Tensor on its memory
                v._ver = _box(o)
                if id(o) in node._non_diff:
                    node._non_diff = node._non_diff | {id(v)}
                outs[i] = v
        if record:
            node.next_functions = tuple(_edge(t) for t in tensors)
            node._meta = tuple((t._data.shape, t._data.dtype) for t in tensors)
            node._arg_is_tensor = tuple(type(a) is Tensor for a in args)
            t_outs = [o for o in outs if type(o) is Tensor]
            node._n_out = len(t_outs)
            node._out_meta = tuple((o._data.shape, o._data.dtype) for o in t_outs)
            for nr, o in enumerate(t_outs):
                if id(o) in node._non_diff or o._data.dtype.kind not in "fc":
                    continue
                o._grad_fn = node
                o._requires_grad = True
                o._output_nr = nr
        saved = node._to_save or ()
        if record and HOOKS and saved:
            pack_saved(node, [(f"s{i}", t) for i, t in enumerate(saved) if t is not None])
        node._saved_vers = tuple((_box(t), _box(t)[0]) if t is not None else (None, 0)
                                 for t in saved)
        return tuple(outs) if multi else outs[0]


def once_differentiable(fn: Any) -> Any:
    """``@once_differentiable`` on a backward: it runs without recording (the result cannot be
    differentiated again)."""
    def wrapper(ctx: Any, *args: Any) -> Any:
        prev = _Mode.enabled
        _Mode.enabled = False
        try:
            args = tuple(a.detach() if type(a) is Tensor else a for a in args)
            return fn(ctx, *args)
        finally:
            _Mode.enabled = prev

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper
