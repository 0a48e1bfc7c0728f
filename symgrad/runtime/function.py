"""Custom graph nodes: run any numpy function on Tensors as ONE recorded operation.

This is how a ``@symgrad.grad`` function called with Tensors joins the autograd graph
(``grad_function_call``): its forward is the primal numpy code and its backward is the
generated gradient code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.runtime.engine import OpNode, node_class
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.saved_hooks import HOOKS, pack_saved, unpacked_saved
from symgrad.runtime.tensor import Tensor, _box, _edge, _wrap

__all__ = ["apply", "grad_function_call", "one_node"]


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
        tensors, arrays = self._tensors, saved[0]
        if self._packed:
            tensors, arrays, _ = unpacked_saved(self, tensors, arrays, None, create_graph)
        if create_graph:
            from symgrad.runtime.engine import _EnableGrad

            args = [t if t is not None else a for t, a in zip(tensors, arrays, strict=True)]
            with _EnableGrad():
                grads = self._backward(g, *args)
        else:
            grads = self._backward(g, *arrays)
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
        if HOOKS:  # the whole call's backward may read every Tensor input
            pack_saved(node, [(f"x{i}", a) for i, a in enumerate(inputs) if type(a) is Tensor])
    return outs if multi else outs[0]


def one_node(args: tuple) -> bool:
    """Whether a call with these arguments can be one node: no Tensor inside a container
    (``W, b = params``), whose gradient would need the container's structure; such a call
    runs the primal on the Tensors, each operation recorded."""
    return not any(_holds_tensor(a) for a in args if type(a) in (list, tuple, dict))


def _holds_tensor(value: Any) -> bool:
    if type(value) is Tensor:
        return True
    if type(value) in (list, tuple):
        return any(map(_holds_tensor, value))
    return type(value) is dict and any(map(_holds_tensor, value.values()))


def grad_function_call(G: Any, args: tuple) -> Any:
    """``G(*args)`` for a ``@symgrad.grad`` function ``G`` and arguments holding Tensors:
    the primal runs on their arrays, and the output is one node, ``<{name}Backward>``, whose
    backward is G's generated gradient with respect to every Tensor argument that requires
    grad (generated once per such set). Under ``create_graph=True`` that gradient code runs
    on the Tensors and is recorded in turn. With ``has_aux``, the aux outputs are not
    differentiated (as in JAX): they come back as Tensors that do not require grad, as does
    an output that is not floating point."""
    wrt = tuple(i for i, a in enumerate(args) if type(a) is Tensor and a._requires_grad) \
        if _Mode.enabled else ()
    arrays = tuple(a._data if type(a) is Tensor else a for a in args)
    if not wrt:
        out = G(*arrays)
        if G.has_aux:
            return (_outputs(_own(out[0], arrays), False), *_outputs(out[1:], True))
        return _outputs(_own(out, arrays), False)
    gradient = G._with_wrt(tuple(G.params[i] for i in wrt))
    aux: list = []

    def forward(*values: Any) -> Any:
        out = G(*values)
        if G.has_aux:
            aux.append(out[1:])
            out = out[0]
        return _own(out, values)

    def backward(g: Any, *values: Any) -> tuple:
        try:
            grads = gradient._grad(*values, g)
            grads = (grads,) if len(wrt) == 1 else grads
        except (TypeError, RuntimeError, NotImplementedError):
            if not any(type(v) is Tensor for v in values):  # (not create_graph)
                raise
            grads = _taped_gradient(G, values, wrt, g)
        out: list = [None] * len(values)
        for i, gi in zip(wrt, grads, strict=True):
            out[i] = gi
        return tuple(out)

    outs = apply(G.__name__, forward, backward, *args)
    for o in outs if type(outs) is tuple else (outs,):
        if o._data.dtype.kind not in "fc":  # an integer output has no gradient
            o._grad_fn, o._requires_grad = None, False
    return (outs, *_outputs(aux[0], True)) if G.has_aux else outs


def _taped_gradient(G: Any, values: tuple, wrt: tuple, g: Any) -> tuple:
    """The gradient under ``create_graph=True`` where G's generated gradient uses an
    operation the Tensor does not record (the accumulations of a loop's gradient, into
    arrays): G's primal on the Tensors, taped op by op, differentiated by the engine.

    Each input is first a node of its own (a clone), so that what reaches it is the
    partial derivative, with the other inputs held fixed, as this node's backward owes: an
    input computed from another one gets its share through the graph above, once."""
    from symgrad.runtime.engine import grad

    inputs = {i: values[i].clone() for i in wrt}
    out = G._primal(*(inputs.get(i, v) for i, v in enumerate(values)))
    out = out[0] if G.has_aux else out
    pairs = [(o, s) for o, s in zip(out if type(out) is tuple else (out,),
                                    g if type(g) is tuple else (g,), strict=True)
             if type(o) is Tensor and o._requires_grad]
    if not pairs:  # no output depends on an input
        return (None,) * len(wrt)
    return grad([o for o, _ in pairs], [inputs[i] for i in wrt], [s for _, s in pairs],
                create_graph=True, allow_unused=True)


def _own(out: Any, inputs: tuple) -> Any:
    """An output array that shares no memory with an input array (a copy where it would:
    ``return x``), so that writing into one never changes the other behind the graph."""
    if type(out) is tuple:
        return tuple(_own(o, inputs) for o in out)
    if type(out) is np.ndarray and any(type(a) is np.ndarray and np.may_share_memory(out, a)
                                       for a in inputs):
        return out.copy()
    return out


def _outputs(out: Any, aux: bool) -> Any:
    """Outputs with no node, as Tensors that do not require grad: every output, or with
    ``aux`` only the arrays and numpy numbers (an aux count stays an int)."""
    if type(out) is tuple:
        return tuple(_outputs(o, aux) for o in out)
    if not aux or isinstance(out, (np.ndarray, np.generic)):
        return _wrap(np.asarray(out))
    return out
