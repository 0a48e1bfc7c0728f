"""The Tensor under numpy's protocols: ``np.exp(t)``, ``np.sum(t)``, ``a @ t`` on Tensors run
the Tensor's own (recorded) operations.  This is what lets the vjp code the rule table prints
for ndarrays run unchanged on Tensors under ``create_graph=True``.

Both tables come from the registry: ``__array_ufunc__`` runs a ufunc as the elementwise entry
binding it, and ``__array_function__`` runs ``np.sum``, ``np.flip``, ``np.reshape`` ... as
their entries with numpy's own parameters (``primitives.apply``), so their semantics stay
numpy's.  The handlers written out here are for functions the registry has no torch spec
for, or whose numpy signature the entry does not spell.  Anything else runs on the plain
arrays when no operand requires grad, and raises when one does (it would silently cut the
graph).
"""

from __future__ import annotations

import numpy as np

from symgrad.rules import registry
from symgrad.runtime.arithmetic import _binary, _unary, matmul, where
from symgrad.runtime.creation import full_like
from symgrad.runtime.dtypes import NP2DT
from symgrad.runtime.inplace import add_at
from symgrad.runtime.primitives import OPS, apply, elementwise_ops
from symgrad.runtime.tensor import Tensor, _wrap, install_methods


class _ProtocolMethods:
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        impl = _ARRAY_FUNCTIONS.get(func)
        out = _UNSUPPORTED if impl is None else impl(*args, **kwargs)
        if out is _UNSUPPORTED:
            if func not in _NONDIFF_FUNCTIONS and \
                    any(type(a) is Tensor and a._requires_grad for a in _flat((args, kwargs))):
                raise TypeError(f"symgrad.Tensor does not support numpy.{func.__name__} with autograd")
            return _plain(func, args, kwargs)
        return out


install_methods(_ProtocolMethods)


_UNSUPPORTED = object()  # (a handler's answer: run numpy on the plain arrays, if no grad)

# np.<ufunc>(tensor): the elementwise entry binding the ufunc
_UFUNC_OPS = {b: op for op in elementwise_ops() if op.arity <= 2
              for b in op.entry.binds if isinstance(b, np.ufunc)}
# functions whose results carry no gradient: the registry's constant entries (np.shape,
# np.zeros_like, np.floor_divide ...), and ufuncs it has no entry for
_NONDIFF = [b for e in registry.with_trait(registry.NONDIFF) for b in e.binds]
_NONDIFF_UFUNCS = frozenset(
    "greater greater_equal less less_equal equal not_equal logical_and logical_or logical_not "
    "logical_xor isnan isinf isfinite signbit floor ceil rint trunc".split()
) | {b.__name__ for b in _NONDIFF if isinstance(b, np.ufunc)}
_NONDIFF_FUNCTIONS = frozenset(b for b in _NONDIFF if not isinstance(b, np.ufunc))


def _plain(func, args, kwargs):
    """``func`` on the arrays inside ``args`` (no graph), its array results as Tensors."""
    r = func(*_unwrap_tree(args), **_unwrap_tree(kwargs))
    return _wrap(r) if isinstance(r, (np.ndarray, np.generic)) else r


def _flat(obj):
    if isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _flat(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _flat(o)
    else:
        yield obj


def _unwrap_tree(obj):
    if type(obj) is Tensor:
        return obj._data
    if isinstance(obj, list):
        return [_unwrap_tree(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(_unwrap_tree(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _unwrap_tree(v) for k, v in obj.items()}
    return obj


def _as_operand(x):
    if type(x) is Tensor:
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    return x


def _array_ufunc(ufunc, method, inputs, kwargs):
    op = _UFUNC_OPS.get(ufunc)
    grad_needed = any(type(a) is Tensor and a._requires_grad for a in inputs)
    if method == "__call__" and op is not None and not kwargs:
        if len(inputs) == 1:
            return _unary(op, _as_operand(inputs[0]))
        a, b = inputs
        if type(a) is Tensor:
            return _binary(op, a, _as_operand(b))
        return _binary(op, b, _as_operand(a), reverse=True)
    if method == "__call__" and ufunc is np.matmul and not kwargs:
        return matmul(_as_operand(inputs[0]), _as_operand(inputs[1]))
    if method == "at" and ufunc is np.add and type(inputs[0]) is Tensor and not kwargs:
        return add_at(*inputs)
    if method == "reduce" and ufunc is np.add and grad_needed:
        axis = kwargs.get("axis", 0)
        return inputs[0].sum(dim=axis if axis is not None else None, keepdim=kwargs.get("keepdims", False))
    if grad_needed and ufunc.__name__ not in _NONDIFF_UFUNCS:
        raise TypeError(f"symgrad.Tensor does not support numpy.{ufunc.__name__}.{method} with autograd")
    args = _unwrap_tree(inputs)
    kw = _unwrap_tree(kwargs)
    r = getattr(ufunc, method)(*args, **kw)
    if isinstance(r, tuple):
        return tuple(_wrap(x) for x in r)
    return _wrap(r) if isinstance(r, (np.ndarray, np.generic)) else r


def _entry_function(op):
    """``np.<func>(...)`` on Tensors as ``op``'s entry: the arguments bound to numpy's
    parameter names (``entry.params``), the static ones given to the node only when they are
    not numpy's defaults. ``out=`` and ``dtype=`` are not recorded, nor are parameters the
    entry does not name: such calls run on the plain arrays (or raise under autograd)."""
    entry = op.entry
    names = tuple(entry.param_names)
    known = frozenset(names)
    defaults = entry.defaults
    required = [p for p in names if p not in defaults]
    statics = [p for p in entry.static_names if p not in ("out", "dtype")]
    arrays = entry.arrays

    def impl(*args, **kwargs):
        if len(args) > len(names):
            return _UNSUPPORTED
        bound = dict(zip(names, args, strict=False))
        for k, v in kwargs.items():
            if k not in known or k in bound:
                return _UNSUPPORTED
            bound[k] = v
        for p in required:
            if p not in bound:
                return _UNSUPPORTED
        if bound.get("out") is not None or bound.get("dtype") is not None:
            return _UNSUPPORTED
        static = {p: bound[p] for p in statics
                  if p in bound and not _is_default(bound[p], defaults.get(p))}
        if entry.variadic:
            operands = [_as_operand(x) for x in bound[arrays[0]]]
        else:
            operands = [_as_operand(bound[n]) for n in arrays]
        return apply(op, operands, static)

    return impl


def _is_default(value, default):
    try:
        return value is default or (type(value) is type(default) and bool(value == default))
    except (TypeError, ValueError):  # (an array)
        return False


# bespoke handlers: functions the registry has no torch spec for, or whose numpy spelling
# the entry's parameters do not cover


def _af_swapaxes(a, axis1, axis2):
    return _as_operand(a).transpose(axis1, axis2)


def _af_moveaxis(a, source, destination):
    a = _as_operand(a)
    src = [s % a.ndim for s in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [d % a.ndim for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return a._transpose(tuple(order))


def _af_broadcast_to(a, shape, subok=False):
    a = _as_operand(a)
    if type(a) is not Tensor:
        return _wrap(np.broadcast_to(a, shape))
    return a.expand(tuple(shape))


def _af_full_like(a, fill_value, dtype=None, **kw):
    return full_like(_as_operand(a), fill_value, dtype=dtype)


def _af_where(cond, x=None, y=None):
    if x is None:
        return where(_as_operand(cond))
    return where(_as_operand(cond), _as_operand(x), _as_operand(y))


def _af_clip(a, a_min=None, a_max=None, **kw):
    return _as_operand(a).clamp(a_min, a_max)


def _af_result_type(*args):
    return np.result_type(*_unwrap_tree(args))


def _af_asarray(a, dtype=None, **kw):
    a = _as_operand(a)
    if type(a) is Tensor and dtype is not None:
        return a._cast(NP2DT[np.dtype(dtype)])
    return a


# np.<func>(tensor) for every structural entry with a torch spec (np.sum, np.flip, ...), then
# the bespoke handlers
_ARRAY_FUNCTIONS = {b: _entry_function(op) for op in OPS.values() if not op.elementwise
                    for b in op.entry.binds if not isinstance(b, np.ufunc)}
_ARRAY_FUNCTIONS.update({
    np.where: _af_where,  # np.where(c) gives indices; number branches take the Tensor's dtype
    np.clip: _af_clip,  # its bounds may be None, and are named a_min/a_max
    np.asarray: _af_asarray,  # a Tensor is its own array: asarray must not cut the graph
    np.swapaxes: _af_swapaxes,  # (not registry entries, but the vjps use them)
    np.moveaxis: _af_moveaxis,
    np.broadcast_to: _af_broadcast_to,
    np.full_like: _af_full_like,
    np.result_type: _af_result_type,
})
