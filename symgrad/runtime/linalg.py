"""``symgrad.linalg``: torch.linalg's functions over the registry's linear-algebra entries
(``rules/inverses.py``, ``rules/linalg.py``), and ``Tensor.cross`` with torch's ``dim``.

Each runs numpy's forward and records the entry's node (``primitives.apply``), so its
backward is the entry's vjp. Where torch's conventions differ from numpy's they are
translated here: torch.linalg.solve reads B as a batch of vectors also when
``B.shape == A.shape[:-1]``; torch's cross ``dim`` counts in the broadcast shape (numpy's
axes count in each array's own, so it is passed counted from the end).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.runtime.primitives import OPS, apply
from symgrad.runtime.tensor import Tensor, _from_data

__all__ = ["cholesky", "cross", "det", "inv", "matrix_norm", "matrix_power", "multi_dot", "norm",
           "pinv", "solve", "vector_norm"]


def _t(x: Any) -> Tensor:
    return x if type(x) is Tensor else _from_data(x)


def inv(A: Any) -> Tensor:
    """``torch.linalg.inv``: the inverse of each matrix of ``A (*, n, n)``."""
    return apply(OPS["inv"], [_t(A)], {})


def det(A: Any) -> Tensor:
    """``torch.linalg.det``."""
    return apply(OPS["det"], [_t(A)], {})


def pinv(A: Any, *, hermitian: bool = False) -> Tensor:
    """``torch.linalg.pinv`` with its default tolerances (numpy's cutoff may differ from
    torch's at tiny singular values)."""
    if hermitian:
        raise NotImplementedError("symgrad.linalg.pinv(hermitian=True) is not supported")
    return apply(OPS["pinv"], [_t(A)], {})


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """``torch.linalg.cholesky``: lower (or, ``upper=True``, upper) Cholesky factors."""
    return apply(OPS["cholesky"], [_t(A)], {"upper": True} if upper else {})


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """``torch.linalg.solve(A, B)``: X with ``A @ X == B``. As torch, B is a batch of vectors
    when it is 1-d or ``B.shape == A.shape[:-1]`` (numpy 2 reads only a 1-d b as one)."""
    if not left:
        raise NotImplementedError("symgrad.linalg.solve(left=False) is not supported")
    A, B = _t(A), _t(B)
    vectors = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vectors and B.ndim > 1:
        return apply(OPS["solve"], [A, B.unsqueeze(-1)], {})[..., 0]
    return apply(OPS["solve"], [A, B], {})


def cross(input: Any, other: Any, *, dim: int = -1) -> Tensor:
    """``torch.linalg.cross``: the cross product of 3-vectors along ``dim`` (broadcast)."""
    return _cross(_t(input), _t(other), dim)


def _cross(a: Tensor, b: Tensor, dim: int | None) -> Tensor:
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if dim is None:  # torch's deprecated default: the first dimension of size 3
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    if not -len(shape) <= dim < len(shape):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got {dim})")
    axis = dim - len(shape) if dim >= 0 else dim
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[axis]} and {b.shape[axis]}")
    return apply(OPS["cross"], [a, b], {"axis": axis})


def matrix_power(A: Any, n: int) -> Tensor:
    """``torch.linalg.matrix_power``: A to the integer power n, with the node torch prints
    (its matrix_power is a chain of products, an inverse, a clone or a copy)."""
    A = _t(A)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    op = OPS["matrix_power"]
    if n == 0:  # torch's identity, a copy into ones on the diagonal
        return apply(op, [A], {"n": 0}, node="CopyBackwards")
    if n == 1:  # torch's is a copy (numpy's is A itself)
        return A.clone()
    node = {-1: "n=-1"}.get(int(n), "batched" if A.ndim > 2 else None)
    return apply(op, [A], {"n": int(n)}, node=op.overload(node) if node else op.node)


def multi_dot(tensors: Any) -> Tensor:
    """``torch.linalg.multi_dot``: the product of a sequence of matrices (the first and the
    last may be vectors)."""
    return apply(OPS["multi_dot"], [_t(x) for x in tensors], {})


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.vector_norm``: the ord-norm of the elements over dim (None: all of
    them, a tuple: those dims flattened together), as ``Tensor.norm``."""
    return _t(x).norm(p=ord, dim=dim, keepdim=keepdim)


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:
    """``torch.linalg.matrix_norm``: np.linalg.norm's matrix norm ('fro', 'nuc', +-1, +-2,
    +-inf) of the matrices over the two dims."""
    A = _t(A)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple")
    dims = tuple(d % A.ndim if -A.ndim <= d < A.ndim else d for d in dim)
    if any(not 0 <= d < A.ndim for d in dims) or dims[0] == dims[1]:
        raise IndexError(f"linalg.matrix_norm: dims {tuple(dim)} are not two dims of a "
                         f"{A.ndim}-d tensor")
    return apply(OPS["norm"], [A], {"ord": ord, "axis": dims, "keepdims": bool(keepdim)})


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.norm``: a vector norm for an int dim (or ord None and dim None: every
    element), a matrix norm for a 2-tuple dim or, dim None, a 2-d A."""
    A = _t(A)
    if isinstance(dim, (tuple, list)) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim)


def _tensor_cross(self: Tensor, other: Any, dim: int | None = None) -> Tensor:
    """``Tensor.cross(other, dim=None)``, as torch's."""
    return _cross(self, _t(other), dim)


_tensor_cross.__name__, _tensor_cross.__qualname__ = "cross", "Tensor.cross"
Tensor.cross = _tensor_cross


def _tensor_matrix_power(self: Tensor, n: int) -> Tensor:
    """``Tensor.matrix_power(n)``, as torch's."""
    return matrix_power(self, n)


_tensor_matrix_power.__name__ = "matrix_power"
_tensor_matrix_power.__qualname__ = "Tensor.matrix_power"
Tensor.matrix_power = _tensor_matrix_power
