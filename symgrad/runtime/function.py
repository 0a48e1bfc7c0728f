"""Custom graph nodes: run any numpy function on Tensors as ONE recorded operation.

This is how a ``@symgrad.grad`` function called with Tensors joins the autograd graph: its
forward is the primal numpy code and its backward is the generated gradient code.
"""

from __future__ import annotations

import numpy as np

from symgrad.runtime.engine import OpNode, node_class
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.tensor import Tensor, _box, _edge, _wrap

__all__ = ["apply"]


class FunctionNode(OpNode):
    """An OpNode whose backward is a user-supplied ``backward(g, *inputs)``."""

    @property
    def _n_out(self):
        return self._n_outputs

    def _run(self, g, create_graph):
        saved = self._saved
        if saved is None:
            from symgrad.runtime.engine import FREED_MSG

            raise RuntimeError(FREED_MSG)
        if self._vers:
            self._check_versions(None)
        if self._n_outputs > 1:
            # outputs nobody differentiated get a zero gradient
            g = tuple(
                gi if gi is not None else np.zeros(shape, dt)
                for gi, (shape, dt) in zip(g, self._out_meta, strict=True)
            )
        if create_graph:
            from symgrad.runtime.engine import _EnableGrad

            args = [t if t is not None else a for t, a in zip(self._tensors, saved[0], strict=True)]
            with _EnableGrad():
                grads = self._backward(g, *args)
        else:
            grads = self._backward(g, *saved[0])
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(self._tensors):
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients "
                f"(expected {len(self._tensors)}, got {len(grads)})"
            )
        return tuple(
            None if gi is None else (gi if type(gi) in (np.ndarray, Tensor) else np.asarray(gi))
            for gi in grads
        )


def apply(name, forward, backward, *inputs):
    """Run ``forward`` on the inputs' arrays and record one graph node for the whole call.

    ``name``      shown in the graph: the node prints as ``<{name}Backward object at 0x...>``
                  and tensors as ``grad_fn=<{name}Backward>``.
    ``forward``   ``forward(*arrays) -> ndarray | tuple[ndarray, ...]``: called with each Tensor
                  input replaced by its ndarray (other inputs are passed unchanged).
    ``backward``  ``backward(g, *arrays) -> tuple``: ``g`` is the gradient of the output (an
                  ndarray), or a tuple of them when ``forward`` returned a tuple (outputs that
                  received no gradient get zeros).  Return one entry per input: an ndarray
                  (broadcast-shaped is fine: it is summed back to the input's shape and cast to
                  its dtype) or None.  Under ``create_graph=True`` backward receives Tensors and
                  should use numpy functions/operators only, so its work is recorded in turn.
    ``inputs``    Tensors and/or constants, in ``forward``'s argument order.

    Returns a Tensor (or a tuple of Tensors, matching ``forward``).  Nothing is recorded when grad
    mode is off or no input requires grad; otherwise every output requires grad and shares the
    node.  Inputs are saved for backward and freed after it (unless ``retain_graph=True``), so a
    second backward raises PyTorch's "Trying to backward through the graph a second time" error;
    modifying a saved input in place before backward raises PyTorch's version-counter error.

    Example::

        y = apply("Square", lambda x: x * x, lambda g, x: (2 * g * x,), x)
    """
    arrays = tuple(a._data if type(a) is Tensor else a for a in inputs)
    result = forward(*arrays)
    multi = isinstance(result, tuple)
    outs_arr = result if multi else (result,)
    outs = tuple(_wrap(np.asarray(r)) for r in outs_arr)
    if _Mode.enabled and any(type(a) is Tensor and a._requires_grad for a in inputs):
        node = object.__new__(node_class(f"{name}Backward", FunctionNode))
        node.next_functions = tuple(_edge(a) if type(a) is Tensor else (None, 0) for a in inputs)
        node._key = None
        node._vjp = None
        node._backward = backward
        node._n_outputs = len(outs)
        node._out_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
        node._saved = (arrays, outs[0]._data)
        node._tensors = tuple(a if type(a) is Tensor else None for a in inputs)
        node._meta = tuple((a._data.shape, a._data.dtype) if type(a) is Tensor else None for a in inputs)
        node._saves = True
        vers = []
        for a in inputs:
            if type(a) is Tensor:
                b = _box(a)
                vers.append((b, b[0], (a, a._grad_fn, a._output_nr), None))
        node._vers = tuple(vers)
        for i, o in enumerate(outs):
            o._grad_fn = node
            o._requires_grad = True
            o._output_nr = i
    return outs if multi else outs[0]
