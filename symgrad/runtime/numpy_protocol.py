"""The Tensor under numpy's protocols: ``np.exp(t)``, ``np.sum(t)``, ``a @ t`` on Tensors run
the Tensor's own (recorded) operations.  This is what lets the vjp code the rule table prints
for ndarrays run unchanged on Tensors under ``create_graph=True``.

``__array_ufunc__`` maps ufuncs to the Tensor's elementwise ops; ``__array_function__`` looks
functions up in ``_ARRAY_FUNCTIONS``.  Anything else runs on the plain arrays when no operand
requires grad, and raises when one does (it would silently cut the graph).
"""

from __future__ import annotations

import builtins

import numpy as np

from symgrad.runtime.arithmetic import _binary, _unary, matmul, where
from symgrad.runtime.creation import full_like, ones_like, zeros_like
from symgrad.runtime.dtypes import NP2DT
from symgrad.runtime.inplace import add_at
from symgrad.runtime.shape import cat, stack
from symgrad.runtime.tensor import Tensor, _wrap, install_methods

_pyint = builtins.int


class _ProtocolMethods:
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        impl = _ARRAY_FUNCTIONS.get(func)
        if impl is None:
            if any(type(a) is Tensor and a._requires_grad for a in _flat(args)):
                raise TypeError(f"symgrad.Tensor does not support numpy.{func.__name__} with autograd")
            conv = _unwrap_tree(args)
            kw = _unwrap_tree(kwargs)
            r = func(*conv, **kw)
            return _wrap(r) if isinstance(r, (np.ndarray, np.generic)) else r
        return impl(*args, **kwargs)



install_methods(_ProtocolMethods)


_UFUNC_OPS = {
    np.add: "add",
    np.subtract: "subtract",
    np.multiply: "multiply",
    np.divide: "divide",
    np.power: "power",
    np.maximum: "maximum",
    np.minimum: "minimum",
    np.arctan2: "arctan2",
    np.negative: "negative",
    np.exp: "exp",
    np.log: "log",
    np.log1p: "log1p",
    np.expm1: "expm1",
    np.sqrt: "sqrt",
    np.sin: "sin",
    np.cos: "cos",
    np.tan: "tan",
    np.arcsin: "arcsin",
    np.arccos: "arccos",
    np.arctan: "arctan",
    np.sinh: "sinh",
    np.cosh: "cosh",
    np.tanh: "tanh",
    np.absolute: "abs",
    np.sign: "sign",
    np.square: "square",
    np.reciprocal: "reciprocal",
}


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


_NONDIFF_UFUNCS = frozenset(
    "greater greater_equal less less_equal equal not_equal logical_and logical_or logical_not "
    "logical_xor isnan isinf isfinite signbit floor ceil rint trunc".split()
)


def _af_sum(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    a = _as_operand(a)
    if type(a) is not Tensor:
        return np.sum(a, axis=axis, keepdims=keepdims)
    return a.sum(dim=axis, keepdim=keepdims) if axis is not None else (
        a.sum() if not keepdims else a.sum().reshape((1,) * a.ndim)
    )


def _af_mean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    a = _as_operand(a)
    return a.mean(dim=axis, keepdim=keepdims) if axis is not None else (
        a.mean() if not keepdims else a.mean().reshape((1,) * a.ndim)
    )


def _af_reshape(a, shape=None, order="C", **kw):
    if shape is None:
        shape = kw.get("newshape")
    a = _as_operand(a)
    shape = (shape,) if isinstance(shape, (_pyint, np.integer)) else tuple(shape)
    return a.reshape(shape)


def _af_transpose(a, axes=None):
    a = _as_operand(a)
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    return a._transpose(tuple(axes), "PermuteBackward0")


def _af_swapaxes(a, axis1, axis2):
    return _as_operand(a).transpose(axis1, axis2)


def _af_moveaxis(a, source, destination):
    a = _as_operand(a)
    src = [s % a.ndim for s in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [d % a.ndim for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return a._transpose(tuple(order), "PermuteBackward0")


def _af_broadcast_to(a, shape, subok=False):
    a = _as_operand(a)
    if type(a) is not Tensor:
        return _wrap(np.broadcast_to(a, shape))
    return a.expand(tuple(shape))


def _af_expand_dims(a, axis):
    a = _as_operand(a)
    if isinstance(axis, tuple):
        for ax in sorted(d % (a.ndim + len(axis)) for d in axis):
            a = a.unsqueeze(ax)
        return a
    return a.unsqueeze(axis)


def _af_squeeze(a, axis=None):
    a = _as_operand(a)
    return a.squeeze(axis)


def _af_zeros_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    a = _as_operand(a)
    if shape is None:
        return zeros_like(a, dtype=dtype)
    return _wrap(np.zeros(shape, a._data.dtype if dtype is None else dtype))


def _af_ones_like(a, dtype=None, **kw):
    return ones_like(_as_operand(a), dtype=dtype)


def _af_full_like(a, fill_value, dtype=None, **kw):
    return full_like(_as_operand(a), fill_value, dtype=dtype)


def _af_where(cond, x=None, y=None):
    if x is None:
        return where(_as_operand(cond))
    return where(_as_operand(cond), _as_operand(x), _as_operand(y))


def _af_clip(a, a_min=None, a_max=None, **kw):
    return _as_operand(a).clamp(a_min, a_max)


def _af_concatenate(arrays, axis=0, **kw):
    return cat([_as_operand(x) for x in arrays], dim=axis)


def _af_stack(arrays, axis=0, **kw):
    return stack([_as_operand(x) for x in arrays], dim=axis)


def _af_max(a, axis=None, keepdims=False, **kw):
    a = _as_operand(a)
    if axis is None:
        r = a.max()
        return r.reshape((1,) * a.ndim) if keepdims else r
    return a.max(axis, keepdims)[0]


def _af_min(a, axis=None, keepdims=False, **kw):
    a = _as_operand(a)
    if axis is None:
        r = a.min()
        return r.reshape((1,) * a.ndim) if keepdims else r
    return a.min(axis, keepdims)[0]


def _af_matmul(a, b):
    return matmul(_as_operand(a), _as_operand(b))


def _af_outer(a, b):
    a, b = _as_operand(a), _as_operand(b)
    return matmul(a.reshape(-1, 1), b.reshape(1, -1))


def _af_dot(a, b):
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return matmul(a, b)


def _af_shape(a):
    return tuple(_as_operand(a).shape)


def _af_ndim(a):
    return _as_operand(a).ndim


def _af_size(a, axis=None):
    a = _as_operand(a)
    return a.numel() if axis is None else a.shape[axis]


def _af_result_type(*args):
    return np.result_type(*_unwrap_tree(args))


def _af_asarray(a, dtype=None, **kw):
    a = _as_operand(a)
    if type(a) is Tensor and dtype is not None:
        return a._cast(NP2DT[np.dtype(dtype)])
    return a


def _af_prod(a, axis=None, keepdims=False, **kw):
    return _as_operand(a).prod(axis, keepdims)


def _af_var(a, axis=None, ddof=0, keepdims=False, **kw):
    return _as_operand(a).var(axis, correction=ddof, keepdim=keepdims)


def _af_std(a, axis=None, ddof=0, keepdims=False, **kw):
    return _as_operand(a).std(axis, correction=ddof, keepdim=keepdims)


_ARRAY_FUNCTIONS = {
    np.sum: _af_sum,
    np.mean: _af_mean,
    np.reshape: _af_reshape,
    np.transpose: _af_transpose,
    np.swapaxes: _af_swapaxes,
    np.moveaxis: _af_moveaxis,
    np.broadcast_to: _af_broadcast_to,
    np.expand_dims: _af_expand_dims,
    np.squeeze: _af_squeeze,
    np.zeros_like: _af_zeros_like,
    np.ones_like: _af_ones_like,
    np.full_like: _af_full_like,
    np.where: _af_where,
    np.clip: _af_clip,
    np.concatenate: _af_concatenate,
    np.stack: _af_stack,
    np.max: _af_max,
    np.amax: _af_max,
    np.min: _af_min,
    np.amin: _af_min,
    np.outer: _af_outer,
    np.dot: _af_dot,
    np.shape: _af_shape,
    np.ndim: _af_ndim,
    np.size: _af_size,
    np.result_type: _af_result_type,
    np.asarray: _af_asarray,
    np.prod: _af_prod,
    np.var: _af_var,
    np.std: _af_std,
}
