"""The Tensor's ordering and gathering: ``sort``, ``argsort``, ``topk``, ``gather``.

Each value these return is ``x`` read at integer positions along a dim, so each is recorded as
the registry's ``take_along_axis`` entry (np.take_along_axis: its vjp adds the cotangent back
at those positions) under the node name torch prints (``SortBackward0``, ``TopkBackward0``,
``GatherBackward0``). There is no second copy of a derivative: np.sort's own rule scatters
through the same ``TakeAlongAxisGrad``.

The sort is always stable, as torch's ``stable=True``: tied elements keep their order in
``x`` (descending too), and NaN sorts above every number (last ascending, first
descending). torch's default ``stable=False`` gives the same order along a dim of up to 16
elements (measured: torch 2.13, CPU); along a longer one its tie order is its unstable
sort's, which symgrad does not reproduce: the values agree, the indices of tied elements
(and so which of them gets a gradient) may not. topk's tie order is unspecified in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.runtime.primitives import OPS, apply
from symgrad.runtime.reductions import _ReturnTypes
from symgrad.runtime.tensor import Tensor, _from_data, _named, _norm_dim, _wrap, install_methods

__all__ = ["sort", "argsort", "topk", "gather"]


def _order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The stable sorting permutation of ``data`` along ``axis`` (int64), torch's tie order."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable").astype(np.int64, copy=False)
    # the reverse of the stable ascending order of the reversed data: ties stay in x's
    # order, NaN (last ascending) comes first
    n = data.shape[axis]
    rev = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(rev, axis)).astype(np.int64, copy=False)


def _take(x: Tensor, indices: np.ndarray, axis: int, node: str) -> Tensor:
    """``x`` read at ``indices`` along ``axis``, recorded as take_along_axis named ``node``."""
    return apply(OPS["take_along_axis"], [x, _wrap(indices)], {"axis": axis}, node=node)


def _scalar(x: Tensor, name: str, node: str) -> _ReturnTypes:
    """sort/topk of a 0-d tensor: itself (a copy, recorded) and index 0."""
    return _ReturnTypes(name, _named(x.reshape(1).reshape(()), node),
                        _wrap(np.zeros((), np.int64)))


class _OrderingMethods:
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool | None = None
             ) -> _ReturnTypes:
        """``torch.sort``: ``(values, indices)`` along ``dim``, ascending unless
        ``descending``; ties in their order in x (see the module's note on ``stable``). The
        ``stable=`` overload prints ``SortBackward1``, as torch's."""
        node = "SortBackward0" if stable is None else "SortBackward1"
        axis = _norm_dim(dim, self._data.ndim)
        if axis is None:
            return _scalar(self, "sort", node)
        idx = _order(self._data, axis, descending)
        return _ReturnTypes("sort", _take(self, idx, axis, node), _wrap(idx))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """``torch.argsort``: the indices ``sort`` returns (int64, no gradient)."""
        axis = _norm_dim(dim, self._data.ndim)
        if axis is None:
            return _wrap(np.zeros((), np.int64))
        return _wrap(_order(self._data, axis, descending))

    def msort(self) -> Tensor:
        """``torch.msort``: ``sort`` along dim 0, values only."""
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
             ) -> _ReturnTypes:
        """``torch.topk``: the ``k`` largest (``largest=False``: smallest) along ``dim``, in
        sorted order, ``sorted=False`` too (torch's order then is unspecified). Ties: the
        first in x first; torch leaves their order unspecified."""
        d = self._data
        axis = _norm_dim(dim, d.ndim)
        n = 1 if axis is None else d.shape[axis]
        if not 0 <= k <= n:
            raise RuntimeError("selected index k out of range")
        if axis is None:
            return _scalar(self, "topk", "TopkBackward0")
        idx = np.take(_order(d, axis, largest), np.arange(k), axis=axis)
        return _ReturnTypes("topk", _take(self, idx, axis, "TopkBackward0"), _wrap(idx))

    def gather(self, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
        """``torch.gather``: ``out[i][j] = x[index[i][j]][j]`` (dim 0); ``index`` has x's
        number of dims and is no larger than x apart from ``dim``."""
        if type(index) is not Tensor:
            raise TypeError(f"gather(): argument 'index' (position 2) must be Tensor, not "
                            f"{type(index).__name__}")
        d, idx = self._data, index._data
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        ndim = max(d.ndim, 1)
        axis = _norm_dim(dim, d.ndim)
        if max(idx.ndim, 1) != ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input "
                               "tensor")
        if d.ndim == 0 or idx.ndim == 0:
            return _named(self.reshape(-1).gather(0, index.reshape(-1)).reshape(idx.shape),
                          "GatherBackward0")
        for i in range(ndim):
            if i != axis and idx.shape[i] > d.shape[i]:
                raise RuntimeError(
                    f"Size does not match at dimension {i} expected index {list(idx.shape)} to "
                    f"be no larger than self {list(d.shape)} apart from dimension {axis}")
        bad = (idx < 0) | (idx >= d.shape[axis])
        if bad.any():
            raise RuntimeError(f"index {int(idx[bad].flat[0])} is out of bounds for dimension "
                               f"{axis} with size {d.shape[axis]}")
        x = self
        if any(i != axis and idx.shape[i] < d.shape[i] for i in range(ndim)):
            # (a smaller index reads the leading block: take_along_axis needs equal sizes)
            x = self[tuple(slice(None) if i == axis else slice(0, idx.shape[i])
                           for i in range(ndim))]
        return _take(x, idx.astype(np.int64, copy=False), axis,
                     "GatherBackward0")


install_methods(_OrderingMethods)


def _function(name: str) -> Any:
    method = getattr(Tensor, name)

    def fn(input: Any, *args: Any, **kwargs: Any) -> Any:
        return method(input if type(input) is Tensor else _from_data(input), *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``symgrad.{name}(input, ...)`` is ``input.{name}(...)``."
    return fn


sort = _function("sort")
argsort = _function("argsort")
msort = _function("msort")
topk = _function("topk")
gather = _function("gather")
__all__.append("msort")
