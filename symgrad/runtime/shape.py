"""The Tensor's shape operations: views (view, transpose, squeeze, expand, indexing), reshapes,
and ``cat``/``stack``.  A view shares its base's memory and version counter
(``_make_view``).  Node names and rule keys come from the registry's entries
(``primitives.OPS``); these methods keep torch's argument conventions (``dim``, ``-1`` sizes).
"""

from __future__ import annotations

import numpy as np

from symgrad.runtime import dtypes as _dt
from symgrad.runtime.engine import eager_vjp
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import _index_error
from symgrad.runtime.primitives import OPS, apply
from symgrad.runtime.promotion import _promote2
from symgrad.runtime.tensor import (
    Tensor,
    _from_data,
    _infer_shape,
    _make_view,
    _norm_dim,
    _record,
    _shape_arg,
    _wants_grad,
    _wrap,
    install_methods,
)


def _index_parts(index):
    """The index with Tensors replaced by arrays, and whether it uses advanced indexing."""
    parts = index if type(index) is tuple else (index,)
    out = []
    adv = False
    for p in parts:
        if type(p) is Tensor:
            p = p._data
        if isinstance(p, (list, np.ndarray)):
            p = np.asarray(p)
            if p.dtype == np.float64 and p.size == 0:
                p = p.astype(np.int64)
            adv = True
        elif isinstance(p, np.generic):
            p = p.item()
        out.append(p)
    return (tuple(out) if type(index) is tuple else out[0]), adv, out


def _hashable_index(idx):
    try:
        hash(idx)
        return idx
    except TypeError:
        return None


_RESHAPE, _TRANSPOSE, _EXPAND_DIMS, _SQUEEZE, _GETITEM, _ADD = (
    OPS[n] for n in ("reshape", "transpose", "expand_dims", "squeeze", "getitem", "add"))


def _getitem_name(parts, adv):
    if adv:
        return _GETITEM.overload("index array")
    for p in reversed(parts):
        if p is Ellipsis:
            continue
        if p is None:
            return _GETITEM.overload("None")
        if isinstance(p, slice):
            return _GETITEM.overload("slice")
        return _GETITEM.node
    return _GETITEM.overload("whole")


class _IndexKey:
    """A hashable stand-in for an index holding arrays (compared by identity)."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _index_key(op, idx):
    """A node's rule key for ``op`` (getitem, setitem, add_at) at ``idx``, and its vjp made
    now when the index is unhashable (it holds arrays), else None (resolved from the key)."""
    h = _hashable_index(idx)
    if h is not None:
        return (op, (("index", h),)), None
    return (op, (("index", _IndexKey(idx)),)), eager_vjp(op, index=idx)



class _ShapeMethods:
    def view(self, *shape):
        if len(shape) == 1 and type(shape[0]) is _dt.dtype:
            raise NotImplementedError("view(dtype) is not supported by symgrad")
        d = self._data
        shape = _infer_shape(_shape_arg(shape), d.size)
        if not d.flags.c_contiguous and shape != d.shape:
            try:
                arr = d.view()
                arr.shape = shape
            except AttributeError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least one "
                    "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
                ) from None
        else:
            arr = d.reshape(shape)
        out = _wrap(arr)
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, _RESHAPE.node, ("reshape", (("shape", shape),)), (self,), saves=False)
        return out

    def reshape(self, *shape, order="C"):
        d = self._data
        shape = _infer_shape(_shape_arg(shape), d.size)
        if order != "C":  # (numpy's order="F", which the reshape vjp passes under create_graph)
            return apply(_RESHAPE, [self], {"shape": shape, "order": order})
        if d.flags.c_contiguous:
            return self.view(shape)
        out = _wrap(np.reshape(d, shape))
        if self._requires_grad and _Mode.enabled:
            _record(out, _RESHAPE.overload("copy"), ("reshape", (("shape", shape),)), (self,),
                    saves=False)
        return out

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        nd = self._data.ndim
        if nd == 0:
            return self.reshape(1)
        s = _norm_dim(start_dim, nd)
        e = _norm_dim(end_dim, nd)
        shp = self._data.shape
        if s == e:
            return self
        mid = 1
        for v in shp[s : e + 1]:
            mid *= v
        return self.reshape(shp[:s] + (mid,) + shp[e + 1 :])

    def _transpose(self, axes, name=None):
        out = _wrap(np.transpose(self._data, axes))
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, name or _TRANSPOSE.node, ("transpose", (("axes", axes),)), (self,),
                    saves=False)
        return out

    def t(self):
        nd = self._data.ndim
        if nd > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
        return self._transpose(tuple(range(nd))[::-1], _TRANSPOSE.overload("t"))

    @property
    def T(self):
        nd = self._data.ndim
        return self._transpose(tuple(range(nd))[::-1])

    @property
    def mT(self):
        nd = self._data.ndim
        axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
        return self._transpose(axes, _TRANSPOSE.overload("transpose"))

    def transpose(self, dim0, dim1):
        nd = self._data.ndim
        a = _norm_dim(dim0, nd)
        b = _norm_dim(dim1, nd)
        if nd == 0:
            return self
        axes = list(range(nd))
        axes[a], axes[b] = axes[b], axes[a]
        return self._transpose(tuple(axes), _TRANSPOSE.overload("transpose"))

    swapaxes = transpose

    def permute(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the "
                f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                f"to len(dims) = {len(dims)}"
            )
        return self._transpose(tuple(d % nd for d in dims))

    def unsqueeze(self, dim):
        nd = self._data.ndim + 1
        axis = _norm_dim(dim, nd)
        out = _wrap(np.expand_dims(self._data, axis))
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, _EXPAND_DIMS.node, ("expand_dims", (("axis", axis),)), (self,),
                    saves=False)
        return out

    def squeeze(self, dim=None):
        d = self._data
        if dim is None:
            axis = tuple(i for i, s in enumerate(d.shape) if s == 1)
            name = _SQUEEZE.node
        else:
            axis = _norm_dim(dim, d.ndim)
            if axis is None:
                return self.view(self.shape)
            axes = axis if type(axis) is tuple else (axis,)
            axis = tuple(a for a in axes if d.shape[a] == 1)
            name = _SQUEEZE.overload("dims" if isinstance(dim, (tuple, list)) else "dim")
        out = _wrap(np.squeeze(d, axis))
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, name, ("squeeze", (("axis", axis),)), (self,), saves=False)
        return out

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        d = self._data
        lead = len(sizes) - d.ndim
        shape = tuple(d.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
        zeros = np.broadcast_to(np.zeros((), d.dtype), shape)
        try:
            arr = np.broadcast_to(d, shape)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                f"({d.shape[-1]}) at non-singleton dimension {len(shape) - 1}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(d.shape)}"
            ) from None
        out = _wrap(arr)
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            # an expand is ``x + zeros(shape)``: the add rule, its gradient summed back to x's shape
            _record(out, "ExpandBackward0", _ADD.key, (self, zeros), saves=False)
        return out

    def expand_as(self, other):
        return self.expand(other.shape)

    # -- indexing ------------------------------------------------------------------------------

    def __getitem__(self, index):
        idx, adv, parts = _index_parts(index)
        try:
            arr = self._data[idx]
        except IndexError as e:
            raise IndexError(_index_error(e, parts, self._data.shape)) from None
        out = _wrap(arr)
        if not adv:
            _make_view(out, self)
            out._view_index = idx
        if self._requires_grad and _Mode.enabled:
            key, vjp = _index_key("getitem", idx)
            _record(out, _getitem_name(parts, adv), key, (self,), saves=adv, vjp=vjp)
        return out


install_methods(_ShapeMethods)


def _cat_like(op, tensors, dim, torch_name):
    tensors = [t if type(t) is Tensor else _from_data(t) for t in tensors]
    if not tensors:
        raise RuntimeError(f"{torch_name}(): expected a non-empty list of Tensors")
    arrays = [t._data for t in tensors]
    nd = arrays[0].ndim + (1 if op == "stack" else 0)
    axis = _norm_dim(dim, nd)
    rd = arrays[0].dtype
    for a in arrays[1:]:
        rd = _promote2(rd, a.dtype, True, True)
    arrays = [a.astype(rd, copy=False) for a in arrays]
    try:
        res = np.concatenate(arrays, axis=axis) if op == "concatenate" else np.stack(arrays, axis=axis)
    except ValueError as e:
        raise RuntimeError(f"{torch_name}(): {e}") from None
    out = _wrap(res)
    if _wants_grad(*tensors):
        _record(out, OPS[op].node, (op, (("axis", axis),)), tuple(tensors), saves=False)
    return out


def cat(tensors, dim=0):
    return _cat_like("concatenate", tensors, dim, "torch.cat")


concat = concatenate = cat


def stack(tensors, dim=0):
    return _cat_like("stack", tensors, dim, "stack")

