"""The Tensor's reductions: sum, mean, prod, var, std, max, min, argmax, argmin, norm and
cumsum.

Each keeps torch's conventions (``dim``/``keepdim``, integer sums in int64, ``max(dim)``
returning values and indices, ``correction``); the node names and rule keys come from the
registry's entries (``primitives.OPS``).
"""

from __future__ import annotations

import builtins

import numpy as np

from symgrad.runtime import dtypes as _dt
from symgrad.runtime.arithmetic import _binary
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import _TYPE_SHORT
from symgrad.runtime.primitives import OPS, apply
from symgrad.runtime.shape import _index_key
from symgrad.runtime.tensor import Tensor, _norm_dim, _record, _wrap, install_methods
from symgrad.runtime.torch_sum import sum_f32

_pybool = builtins.bool


class _ReturnTypes(tuple):
    """``torch.return_types.max(values=..., indices=...)``."""

    def __new__(cls, name, values, indices):
        self = super().__new__(cls, (values, indices))
        self._name = name
        return self

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _sum(d, axis=None, keepdims=False):
    """``np.sum``, in torch's order of additions for the float32 cases ``torch_sum`` covers
    (a float32 training loop then rounds as torch's)."""
    if d.dtype == np.float32 and (axis is None or type(axis) is int):
        out = sum_f32(d, axis, keepdims)
        if out is not None:
            return out
    return np.sum(d, axis=axis, keepdims=keepdims)


def _along(idx, axis, shape, keepdim):
    """The index tuple that reads, from an array of ``shape``, the elements ``idx`` names
    along ``axis`` (``np.take_along_axis`` as an index, shaped as ``idx``)."""
    n = idx.ndim
    parts = []
    j = 0  # idx's axis for the next axis of the input
    for d, size in enumerate(shape):
        if d == axis:
            parts.append(idx)
            j += keepdim
            continue
        at = [1] * n
        at[j] = size
        parts.append(np.arange(size).reshape(at))
        j += 1
    return tuple(parts)


def _node(op, dim):
    """The entry's node for a reduction over every element (``dim`` None) or over ``dim``."""
    return OPS[op].node if dim is None else OPS[op].overload("dim")


class _ReductionMethods:
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        d = self._data
        if dtype is not None:
            d = d.astype(_dt.to_np(dtype))
        elif d.dtype.kind in "biu":
            d = d.astype(np.int64)
        if dim is None:
            out = _wrap(np.asarray(_sum(d)))
            if self._requires_grad and _Mode.enabled:
                _record(out, _node("sum", None), ("sum", (("axis", None), ("keepdims", False))), (self,), saves=False)
            return out
        axis = _norm_dim(dim, d.ndim)
        out = _wrap(_sum(d, axis, keepdim))
        if self._requires_grad and _Mode.enabled:
            _record(out, _node("sum", dim), ("sum", (("axis", axis), ("keepdims", _pybool(keepdim)))), (self,), saves=False)
        return out

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        d = self._data
        if dtype is not None:
            d = d.astype(_dt.to_np(dtype))
        if d.dtype.kind not in "fc":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point "
                f"or complex dtype. Got: {_TYPE_SHORT.get(d.dtype.name, d.dtype.name)}"
            )
        if dim is None:
            out = _wrap(np.asarray(_sum(d) / d.size if d.size else np.mean(d)))
            if self._requires_grad and _Mode.enabled:
                _record(out, _node("mean", None), ("mean", (("axis", None), ("keepdims", False))), (self,), saves=False)
            return out
        axis = _norm_dim(dim, d.ndim)
        torch_order = sum_f32(d, axis, keepdim) if type(axis) is int else None
        out = _wrap(np.mean(d, axis=axis, keepdims=keepdim) if torch_order is None
                    else torch_order / d.dtype.type(d.shape[axis]))
        if self._requires_grad and _Mode.enabled:
            _record(out, _node("mean", dim), ("mean", (("axis", axis), ("keepdims", _pybool(keepdim)))), (self,), saves=False)
        return out

    def prod(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dim(dim, self._data.ndim)
        out = _wrap(np.asarray(np.prod(self._data, axis=axis, keepdims=keepdim and dim is not None)))
        if self._requires_grad and _Mode.enabled:
            _record(out, _node("prod", dim),
                    ("prod", (("axis", axis), ("keepdims", _pybool(keepdim and dim is not None)))), (self,))
        return out

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self._moment("var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self._moment("std", dim, unbiased, keepdim, correction)

    def _moment(self, op, dim, unbiased, keepdim, correction):
        if isinstance(dim, _pybool):
            dim, unbiased = None, dim
        ddof = correction if correction is not None else (0 if unbiased is False else 1)
        axis = None if dim is None else _norm_dim(dim, self._data.ndim)
        kd = _pybool(keepdim and dim is not None)
        with np.errstate(all="ignore"):
            out = _wrap(np.asarray(getattr(np, op)(self._data, axis=axis, keepdims=kd, ddof=ddof)))
        if self._requires_grad and _Mode.enabled:
            _record(out, _node(op, dim), (op, (("axis", axis), ("keepdims", kd), ("ddof", ddof))), (self,))
        return out

    def _extremum(self, op, dim, keepdim, other_name):
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError(
                    f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument."
                )
            out = _wrap(np.asarray(getattr(np, op)(self._data)))
            if self._requires_grad and _Mode.enabled:
                _record(out, _node(op, None), (op, (("axis", None), ("keepdims", False))), (self,))
            return out
        if type(dim) is Tensor:
            return _binary(OPS[other_name], self, dim)
        axis = _norm_dim(dim, self._data.ndim)
        arg = np.argmax if op == "max" else np.argmin
        idx = _wrap(np.asarray(arg(self._data, axis=axis, keepdims=keepdim)).astype(np.int64))
        out = _wrap(np.asarray(getattr(np, op)(self._data, axis=axis, keepdims=keepdim)))
        if self._requires_grad and _Mode.enabled:
            # torch's backward of max(dim) sends g to the index returned (the first of tied
            # values), not shared among the ties as amax's: the values read x at idx
            at = _along(idx._data.copy(), axis, self._data.shape, keepdim)
            key, vjp = _index_key("getitem", at)
            _record(out, _node(op, dim), key, (self,), vjp=vjp)
            out._grad_fn._vers = ()  # it saves the indices (freed after a backward), not x
        return _ReturnTypes(op, out, idx)

    def max(self, dim=None, keepdim=False):
        return self._extremum("max", dim, keepdim, "maximum")

    def min(self, dim=None, keepdim=False):
        return self._extremum("min", dim, keepdim, "minimum")

    def cumsum(self, dim, *, dtype=None):
        t = self
        if dtype is not None:
            t = self._cast(dtype)
        elif self._data.dtype.kind in "biu":
            t = self._cast(_dt.int64)
        if self._data.ndim == 0:  # (numpy's cumsum of a number is 1-d)
            _norm_dim(dim, 0)
            return apply(OPS["cumsum"], [t], {}).reshape(())
        return apply(OPS["cumsum"], [t], {"axis": _norm_dim(dim, self._data.ndim)})

    def norm(self, p="fro", dim=None, keepdim=False):
        """torch's ``Tensor.norm``: the vector p-norm of every element (dim None) or along
        dim (an int or a tuple, flattened together), 'fro' the 2-norm, 'nuc' the nuclear
        norm of the matrices over dim (default the last two); recorded as np.linalg.norm's
        node (``LinalgVectorNormBackward0``)."""
        ndim = self._data.ndim
        if p == "nuc":
            dims = (-2, -1) if dim is None else _norm_dim(tuple(dim), ndim)
            return apply(OPS["norm"], [self], {"ord": "nuc", "axis": tuple(dims),
                                               "keepdims": _pybool(keepdim)},
                         node="SumBackward1")  # (torch sums the singular values)
        order = 2 if p in ("fro", None) else p
        if dim is None:
            dims = tuple(range(ndim))
        else:
            dims = _norm_dim(tuple(dim) if isinstance(dim, (tuple, list)) else dim, ndim)
            dims = dims if isinstance(dims, tuple) else (dims,)
        if order == 2 and (dim is None or len(dims) == 2):  # numpy's 2-norm of them all
            return apply(OPS["norm"], [self], {"ord": None, "axis": None if dim is None else dims,
                                               "keepdims": _pybool(keepdim)})
        rest = [i for i in range(ndim) if i not in dims]
        t = self
        if len(dims) != 1:  # several dims: one vector of their elements
            t = self.permute(*rest, *dims).reshape(
                *[self._data.shape[i] for i in rest], -1)
        out = apply(OPS["norm"], [t], {"ord": order, "axis": -1 if len(dims) != 1 else dims[0],
                                       "keepdims": _pybool(keepdim) and len(dims) == 1})
        if keepdim and len(dims) != 1:
            out = out.reshape(*[1 if i in dims else n for i, n in enumerate(self._data.shape)])
        return out

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return _wrap(np.asarray(np.argmax(self._data), dtype=np.int64))
        return _wrap(np.asarray(np.argmax(self._data, axis=_norm_dim(dim, self.ndim), keepdims=keepdim), dtype=np.int64))

    def argmin(self, dim=None, keepdim=False):
        if dim is None:
            return _wrap(np.asarray(np.argmin(self._data), dtype=np.int64))
        return _wrap(np.asarray(np.argmin(self._data, axis=_norm_dim(dim, self.ndim), keepdims=keepdim), dtype=np.int64))


install_methods(_ReductionMethods)
