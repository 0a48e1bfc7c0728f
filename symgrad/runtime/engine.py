"""The backward engine: graph nodes, the reverse walk, ``backward`` and ``autograd.grad``.

A recorded op is a :class:`Node` whose class name is PyTorch's (``MulBackward0``, ...).  A node
knows how to turn the gradient of its output(s) into gradients of its inputs; its ``next_functions``
point at the nodes that produced those inputs (``AccumulateGrad`` for leaves).  The engine walks
the nodes reachable from the roots in reverse topological order, summing the gradients that
reach each node before running it, and finally accumulates into the leaves' ``.grad``.

Gradients flow as plain ndarrays, except with ``create_graph=True``: then they are Tensors and
every backward computation is itself recorded, which gives higher derivatives.

The engine never imports the Tensor module (which imports it): it reaches the Tensor through
one hook, :data:`TENSOR`, that ``symgrad.runtime.tensor`` fills in at import.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.helpers import _sum_to_shape
from symgrad.runtime.dtypes import Size
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import (
    CREATE_GRAPH_WARNING,
    FREED_MSG,
    NO_GRAD_MSG,
    SCALAR_MSG,
    _desc,
    version_error,
)
from symgrad.runtime.saved_hooks import unpack, unpacked_saved
from symgrad.runtime.torch_sum import sum_f32


class TensorHook:
    """What the engine needs of the Tensor: its class, and two ways to make one."""

    cls: type | None = None  # the Tensor class
    wrap: Callable[[np.ndarray], Any] | None = None  # an ndarray as a Tensor (no copy, no grad)
    from_data: Callable[[Any], Any] | None = None  # a number/array as a new Tensor (torch.tensor)


TENSOR = TensorHook()


def install_tensor(cls: type, wrap: Callable, from_data: Callable) -> None:
    """Called once by ``symgrad.runtime.tensor`` when it defines the Tensor."""
    TENSOR.cls, TENSOR.wrap, TENSOR.from_data = cls, wrap, from_data


# ---------------------------------------------------------------------------------------------
# the backward functions codegen prints from the rule table, reached lazily

_VJP_CACHE: dict = {}
_EAGER_VJP = []


def eager_vjp(op: str, **static: Any) -> Callable[..., tuple]:
    """``symgrad.runtime.vjps.eager_vjp``: the backward function printed for ``op``."""
    if not _EAGER_VJP:
        from symgrad.runtime.vjps import eager_vjp

        _EAGER_VJP.append(eager_vjp)
    return _EAGER_VJP[0](op, **static)


def resolve_vjp(key: tuple) -> Callable[..., tuple]:
    """The vjp for a node's ``(op, static items)`` key, made once per key."""
    vjp = _VJP_CACHE.get(key)
    if vjp is None:
        op, static = key
        vjp = eager_vjp(op, **dict(static))
        _VJP_CACHE[key] = vjp
    return vjp


def _to_grad_tensor(g, like, create_graph):
    """A gradient (array or Tensor) as the Tensor stored in ``.grad``."""
    if type(g) is TENSOR.cls:
        return g if create_graph else g.detach()
    return TENSOR.wrap(np.asarray(g))


def _saved_tensor_args(node, tensors, arrays, out):
    """(inputs as Tensors or constants, output as Tensor) for a create_graph vjp call."""
    args = [t if t is not None else a for t, a in zip(tensors, arrays, strict=True)]
    out_t = TENSOR.wrap(out)
    out_t._requires_grad = True
    out_t._grad_fn = node
    args.append(out_t)
    return args


class Node:
    """A recorded operation (PyTorch calls it a grad_fn).  Subclassed per PyTorch name."""

    _retain = None  # {output_nr: weakref to a tensor that called retain_grad()}
    _hooks = None
    _pre_hooks = None  # {output_nr: {handle id: hook}}: Tensor.register_hook's, run on the gradient
    _packed = None  # {saved name: (packed, original)} under saved_tensors_hooks (saved_hooks.py)
    _unpack = None
    _recheck = frozenset()  # packed names still version-checked (an in-place op's own operand)

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    # subclasses implement: _n_out (class attr), _saves (class attr or slot),
    # _run(grads, create_graph) -> tuple of input grads, _free()

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward; a non-None result
        replaces the input gradients."""
        hooks = self._hooks
        if hooks is None:
            self._hooks = hooks = []
        hooks.append(fn)
        return fn


_NODE_CLASSES: dict = {}


class OpNode(Node):
    """A node whose backward is a vjp function from the rule table (or a custom one).

    ``_vjp``       callable ``(g, *inputs, out) -> tuple`` (resolved lazily from ``_key``)
    ``_saved``     (input arrays, output array) or None once freed
    ``_tensors``   the input Tensors (None for constants), for create_graph
    ``_vers``      ((version box, version at save), ...) to detect in-place changes
    ``_meta``      ((shape, dtype) per input)
    """

    _n_out = 1

    def __getattr__(self, name):
        if name.startswith("_saved_") and name in _SAVED_FIELDS.get(type(self).__name__, ()):
            return saved_field(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _free(self):
        if self._saves:
            self._saved = None

    def _check_versions(self, vjp):
        """Raise PyTorch's error if a saved value this backward needs was modified in place."""
        used = None
        for box, v, who, name in self._vers:
            if box[0] == v or (self._packed is not None and name in self._packed
                               and name not in self._recheck):
                continue  # (a value a saved-tensor hook gave back is the hook's)
            if used is None:
                used = _used_names(self, vjp)
            if name is not None and used is not True and name not in used:
                continue  # saved, but not needed for the gradients asked for
            if who is None:  # the node's own output
                nm = type(self).__name__.rstrip("0123456789")
                nm = nm[: -len("Backward")] if nm.endswith("Backward") else nm
                out = self._saved[1]
                shape, dt, which = out.shape, out.dtype.name, f", which is output 0 of {nm},"
            else:
                shape, dt, which = _desc(*who)
            raise version_error(box[0], v, shape, dt, which)

    def _run(self, g, create_graph):
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MSG)
        vjp = self._vjp
        if vjp is None:
            vjp = self._vjp = resolve_vjp(self._key)
        if self._vers:
            self._check_versions(vjp)
        tensors, arrays, out = self._tensors, saved[0], saved[1]
        if self._packed:
            tensors, arrays, out = unpacked_saved(self, tensors, arrays, out, create_graph)
        if create_graph:
            with _EnableGrad():
                grads = vjp(g, *_saved_tensor_args(self, tensors, arrays, out))
        else:
            grads = vjp(g, *arrays, out)
        return grads


# torch's ``grad_fn._saved_<name>`` for a few common nodes: name -> (what, condition), where
# what is an input's index or "out", and condition the input whose gradient needs the value
# (torch saves ``self`` of a product only when ``other`` requires grad), or None for always
_SAVED_FIELDS = {
    "MulBackward0": {"_saved_self": (0, 1), "_saved_other": (1, 0)},
    "DivBackward0": {"_saved_self": (0, 1), "_saved_other": (1, None)},
    "PowBackward0": {"_saved_self": (0, None), "_saved_exponent": (1, None)},
    **{n: {"_saved_self": (0, None)} for n in (
        "SinBackward0", "CosBackward0", "TanBackward0", "LogBackward0", "AbsBackward0",
        "SinhBackward0", "CoshBackward0", "Log1PBackward0", "ReciprocalBackward0")},
    **{n: {"_saved_result": ("out", None)} for n in (
        "ExpBackward0", "TanhBackward0", "SigmoidBackward0", "SqrtBackward0")},
}


def saved_field(node, name):
    """``node._saved_self`` & co. (see _SAVED_FIELDS): the saved Tensor (the input itself, as
    torch gives it, or the output with this node as its grad_fn), a number for a constant
    exponent, or None when torch would not have saved it."""
    what, cond = _SAVED_FIELDS[type(node).__name__][name]
    if cond is not None and node.next_functions[cond][0] is None:
        return None
    if node._saved is None:
        raise RuntimeError(FREED_MSG)
    key = "out" if what == "out" else f"x{what}"
    if node._packed and key in node._packed:
        return unpack(node, key)
    arrays, out = node._saved
    if what == "out":
        t = TENSOR.wrap(out)
        t._requires_grad, t._grad_fn = True, node
        return t
    t = node._tensors[what]
    if t is not None:
        return t
    if name == "_saved_exponent":
        return arrays[what].item()
    return TENSOR.wrap(np.asarray(arrays[what]))


def _used_names(node, vjp):
    """The vjp parameters (``x0``.., ``out``) that the gradients this node must produce read,
    as the rule table recorded them (``vjp.reads``); True (= all) when that is unknown."""
    per_output = getattr(vjp, "reads", None)
    if per_output is None:
        return True
    used = set()
    for (nxt, _), names in zip(node.next_functions, per_output, strict=False):
        if nxt is not None:
            used |= names
    return used


class _EnableGrad:
    """Grad mode on, and Tensor-to-ndarray conversion of differentiable values refused."""

    def __enter__(self):
        self._prev = _Mode.enabled
        _Mode.enabled = True
        _Mode.strict += 1

    def __exit__(self, *a):
        _Mode.enabled = self._prev
        _Mode.strict -= 1


def node_class(name: str, base=OpNode):
    """The Node subclass named ``name`` (e.g. ``"MulBackward0"``), made once and cached."""
    cls = _NODE_CLASSES.get((name, base))
    if cls is None:
        cls = _NODE_CLASSES[(name, base)] = type(name, (base,), {})
    return cls


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's ``.grad``."""

    _n_out = 1
    _saves = False

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def _free(self):
        pass


def _topo(roots):
    """Nodes reachable from ``roots`` with their in-degree (number of edges into each)."""
    deps: dict = {}
    stack = []
    for r in roots:
        if r is not None and r not in deps:
            deps[r] = 0
            stack.append(r)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def run_backward(
    tensors,
    grad_tensors,
    retain_graph,
    create_graph,
    capture=None,
    accumulate=True,
):
    """Walk the graph from ``tensors`` seeded with ``grad_tensors`` (arrays or Tensors).

    ``capture``: {(node, output_nr): [slots]} -- the gradients flowing into these are summed
    into the returned {slot: gradient} dict.  ``accumulate``: whether AccumulateGrad nodes
    write into ``.grad`` (``autograd.grad`` turns it off and prunes the walk to what it needs).
    """
    roots = []
    buffers: dict = {}
    for t, g in zip(tensors, grad_tensors, strict=True):
        node = t._grad_fn if t._grad_fn is not None else t._grad_accumulator()
        roots.append(node)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_out
        buf[t._output_nr] = _add(buf[t._output_nr], g)

    deps = _topo(roots)
    needed = None if capture is None else _needed(deps, capture)
    captured: dict = {}
    ready = list(dict.fromkeys(n for n in roots if deps[n] == 0))
    executed = []
    err = np.errstate(all="ignore")
    err.__enter__()
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            grads = None
            if buf is not None and (needed is None or node in needed):
                if node._pre_hooks:
                    _run_tensor_hooks(node, buf, create_graph)
                if capture is not None or node._retain is not None:
                    _capture_and_retain(node, buf, capture, captured, create_graph, _to_grad_tensor)
                if type(node) is AccumulateGrad:
                    if accumulate and buf[0] is not None:
                        _accumulate(node.variable, buf[0], create_graph, _to_grad_tensor)
                else:
                    executed.append(node)
                    if node._n_out == 1:
                        g = buf[0]
                        if g is not None:
                            grads = node._run(g, create_graph)
                    elif any(b is not None for b in buf):
                        grads = node._run(buf, create_graph)
                    if grads is not None and node._hooks:
                        for h in node._hooks:
                            r = h(grads, buf)
                            if r is not None:
                                grads = r
            i = -1
            for nxt, nr in node.next_functions:
                i += 1
                if nxt is None:
                    continue
                if grads is not None:
                    gi = grads[i]
                    if gi is not None:
                        shape, dt = node._meta[i]
                        if getattr(gi, "shape", None) != shape:  # (a constant slope: sign's 0)
                            gi = _reduce_to(gi, shape)  # a rule's grads may be broadcast
                        if gi.dtype != dt:
                            gi = np.asarray(gi).astype(dt) if isinstance(
                                gi, (np.ndarray, np.generic)) else gi.to(dt)  # (a 0-d sum)
                        nb = buffers.get(nxt)
                        if nb is None:
                            nb = buffers[nxt] = [None] * nxt._n_out
                        old = nb[nr]
                        nb[nr] = gi if old is None else old + gi
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    ready.append(nxt)
    finally:
        err.__exit__(None, None, None)
        if not retain_graph:
            for node in executed:
                node._free()
    return captured


def _reduce_to(g, shape):
    """A broadcast gradient summed back to ``shape``: a float32 one summed over all its
    elements, or a 2-d one over its rows, in torch's order (``torch_sum``), as torch's
    ``sum_to_size`` sums it; anything else as ``helpers._sum_to_shape``."""
    if type(g) is np.ndarray and g.dtype == np.float32:
        out = None
        if len(shape) == 0 or (g.ndim >= len(shape) and all(s == 1 for s in shape)):
            out = sum_f32(g)
            out = None if out is None else out.reshape(shape)
        elif g.ndim == 2 and len(shape) == 1 and shape[0] == g.shape[1]:
            out = sum_f32(g, 0)
        elif g.ndim == 2 and shape == (1, g.shape[1]):
            out = sum_f32(g, 0, True)
        if out is not None:
            return out
    return _sum_to_shape(g, shape)


def _run_tensor_hooks(node, buf, create_graph):
    """The hooks registered with ``Tensor.register_hook`` on this node's outputs, in order,
    before the gradient is used (so before ``retain_grad``'s capture, as in torch 2.x); a
    hook's non-None result replaces the gradient."""
    for nr, hooks in node._pre_hooks.items():
        for hook in list(hooks.values()):
            g = buf[nr]
            if g is None:
                break
            r = hook(g if type(g) is TENSOR.cls else TENSOR.wrap(np.asarray(g)))
            if r is not None:
                if type(r) is not TENSOR.cls:
                    raise TypeError(f"hook returned an object of type {type(r).__name__}, "
                                    "expected a Tensor or None")
                if r._data.shape != np.shape(g):
                    raise RuntimeError(
                        f"hook '{getattr(hook, '__name__', 'hook')}' has changed the size of value")
                buf[nr] = r if create_graph else r._data


class RemovableHandle:
    """What ``Tensor.register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id
        self._hooks = hooks

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_tensor_hook(node, output_nr, hook):
    """Register ``hook`` on the gradient reaching ``node``'s output ``output_nr``."""
    if node._pre_hooks is None:
        node._pre_hooks = {}
    hooks = node._pre_hooks.setdefault(output_nr, {})
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _needed(deps, capture):
    targets = {n for (n, _) in capture}
    needed = set()
    # post-order: a node is needed when it is a target or leads to a needed node
    order = _postorder(deps)
    for node in order:
        if node in targets or any(n in needed for n, _ in node.next_functions if n is not None):
            needed.add(node)
    return needed


def _postorder(deps):
    out = []
    visited = set()
    for start in deps:
        if start in visited:
            continue
        stack = [(start, iter(start.next_functions))]
        visited.add(start)
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is not None and nxt not in visited:
                    visited.add(nxt)
                    stack.append((nxt, iter(nxt.next_functions)))
                    break
            else:
                stack.pop()
                out.append(node)
    return out


def _capture_and_retain(node, buf, capture, captured, create_graph, to_grad):
    if capture is not None:
        for nr in range(node._n_out):
            slots = capture.get((node, nr))
            if slots is not None and buf[nr] is not None:
                for s in slots:
                    captured[s] = _add(captured.get(s), buf[nr])
    if node._retain:
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and buf[nr] is not None:
                g = to_grad(buf[nr], t, create_graph)
                if type(g._data) is np.ndarray and not g._data.flags.writeable:
                    g._data = g._data.copy()
                t._grad = g if t._grad is None else _acc_out_of_place(t._grad, g)


def _acc_out_of_place(old, new):
    return old + new


def _accumulate(var, g, create_graph, to_grad):
    """AccumulateGrad: the first gradient is stored (a copy), later ones are added in place."""
    old = var._grad
    if create_graph:
        gt = to_grad(g, var, True)
        var._grad = gt if old is None else old + gt
        return
    if type(g) is not np.ndarray:
        g = g._data if hasattr(g, "_data") else np.asarray(g)
    if old is None:
        var._grad = to_grad(np.array(g, dtype=var._data.dtype, copy=True), var, False)
    elif old._grad_fn is None and old._data.shape == g.shape:
        old._data += g
        if old._ver is not None:
            old._ver[0] += 1
    else:
        var._grad = old.detach() + to_grad(g, var, False)


# ---------------------------------------------------------------------------------------------
# the entry points: Tensor.backward, autograd.backward, autograd.grad


def _grad_seed(outputs, grad_tensors, create_graph):
    seeds = []
    for i, t in enumerate(outputs):
        g = None if grad_tensors is None else grad_tensors[i]
        if g is None:
            if not t._requires_grad:
                raise RuntimeError(NO_GRAD_MSG.format(i))
            if t._data.size != 1:
                raise RuntimeError(SCALAR_MSG)
            arr = np.ones(t._data.shape, t._data.dtype)
            seeds.append(TENSOR.wrap(arr) if create_graph else arr)
            continue
        if type(g) is not TENSOR.cls:
            if isinstance(g, (numbers.Number, np.ndarray)):
                g = TENSOR.from_data(g)
            else:
                raise TypeError(
                    "gradients can be either Tensors or None, but got " + type(g).__name__
                )
        if g._data.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)!r} and "
                f"output[{i}] has a shape of {Size(t._data.shape)!r}."
            )
        if not t._requires_grad:
            raise RuntimeError(NO_GRAD_MSG.format(i))
        if create_graph:
            seeds.append(g if g._data.dtype == t._data.dtype else g.to(t.dtype))
        else:
            gd = g._data
            seeds.append(gd if gd.dtype == t._data.dtype else gd.astype(t._data.dtype))
    return seeds


def _as_tuple(x):
    if x is None:
        return None
    if type(x) is TENSOR.cls:
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: accumulate gradients of ``tensors`` into the leaves."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _grad_seed(tensors, grad_tensors, create_graph)
    if create_graph:
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        capture = _capture_map(inputs)
        captured = run_backward(tensors, seeds, retain_graph, create_graph, capture=capture, accumulate=False)
        for i, t in enumerate(inputs):
            g = captured.get(i)
            if g is not None:
                _accumulate(t, g, create_graph, _to_grad_tensor)
        return
    run_backward(tensors, seeds, retain_graph, create_graph)


def _capture_map(inputs):
    capture: dict = {}
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        key = (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._grad_accumulator(), 0)
        capture.setdefault(key, []).append(i)
    return capture


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs`` (a tuple),
    without touching any ``.grad``.  With ``create_graph=True`` the results are differentiable."""
    outputs = _as_tuple(outputs)
    single = type(inputs) is TENSOR.cls
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for t in outputs:
        if not t._requires_grad:
            raise RuntimeError(NO_GRAD_MSG.format(outputs.index(t)))
    seeds = _grad_seed(outputs, grad_outputs, create_graph)
    capture = _capture_map(inputs)
    captured = run_backward(outputs, seeds, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(i)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(TENSOR.wrap(np.zeros(t._data.shape, t._data.dtype)) if materialize_grads else None)
            continue
        if type(g) is not TENSOR.cls:
            g = TENSOR.wrap(np.array(g, dtype=t._data.dtype))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    del single
    return tuple(result)
