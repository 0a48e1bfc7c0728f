"""numba versions of the shape helpers generated modules call (``symgrad/helpers.py``).

The numpy helpers branch on shapes at run time (``if g.ndim > len(shape)``); numba types
each call with its arguments' ranks, so here each helper is a ``numba.extending.overload``
that picks its code by rank when numba types the call, and leaves the shape tests that
ranks cannot decide (an axis of length 1) to run time. A rank these do not handle matches
no overload: numba's typing error, and the function then runs its numpy code
(``symgrad.compiled``). The values are the numpy helpers' values, with one difference of
type: where a helper returns a 0-d array in numpy, it returns a scalar here (the gradient is
made an array of the argument's type afterwards, as for the numpy backend).

Importing this module imports numba: ``symgrad.compiled`` does so only on demand.
"""

from __future__ import annotations

import warnings
from typing import Any

import numba
import numpy as np
from numba import types
from numba.core.errors import NumbaPerformanceWarning
from numba.extending import overload

# numba's advice that np.dot is faster on contiguous arrays (`a.T @ g`, `g @ b.T`), about
# code symgrad generated, is no news to its user
warnings.filterwarnings("ignore", category=NumbaPerformanceWarning,
                        module=r".*(<symgrad-numba:|symgrad[/\\]compiled_helpers)")

# (no annotations on an overload: numba compares its signature with the implementation's)


def _stub(name: str) -> Any:
    def stub(*args: Any) -> Any:
        raise RuntimeError(f"{name} runs only inside numba-compiled code")

    stub.__name__ = stub.__qualname__ = name
    return stub


_sum_to = _stub("_sum_to")
_sum_to_shape = _stub("_sum_to_shape")
_broadcast_to = _stub("_broadcast_to")
_matmul_grad_a = _stub("_matmul_grad_a")
_matmul_grad_b = _stub("_matmul_grad_b")
_zeros_like = _stub("_zeros_like")
_nb_ndim = _stub("_nb_ndim")
_nb_broadcast_size = _stub("_nb_broadcast_size")
_nb_broadcast_shape = _stub("_nb_broadcast_shape")
_nb_full_like = _stub("_nb_full_like")
_nb_copy = _stub("_nb_copy")
_nb_iadd_matmul_grad_a = _stub("_nb_iadd_matmul_grad_a")
_nb_iadd_matmul_grad_b = _stub("_nb_iadd_matmul_grad_b")


def _rank(shape: Any) -> int | None:
    """The length of a shape tuple's type (None: not a tuple of integers)."""
    if isinstance(shape, types.BaseTuple) and all(isinstance(t, types.Integer)
                                                  for t in shape.types):
        return len(shape.types)
    return None


def _number(t: Any) -> bool:
    return isinstance(t, (types.Number, types.Boolean))


@numba.njit(error_model="numpy")
def _same_rank(g, shape):
    """``g`` summed over the axes where ``shape`` is 1 (kept), and broadcast up where g's
    own axis is 1: numpy's broadcast of ``shape`` to ``g.shape``, undone."""
    if g.shape == shape:
        return g
    gb = np.broadcast_to(g, np.broadcast_shapes(g.shape, shape))
    out = np.zeros(shape, g.dtype)
    flat = out.reshape(-1)
    for idx in np.ndindex(gb.shape):
        j = 0
        for i in range(len(shape)):
            j = j * shape[i] + (0 if shape[i] == 1 else idx[i])
        flat[j] += gb[idx]
    return out


_LEADING: dict[int, Any] = {}


def _sum_leading(m: int) -> Any:
    """A compiled function summing an array over its first ``m`` axes."""
    if m not in _LEADING:
        scope: dict[str, Any] = {}
        exec(f"def sum_leading(g):\n    return g{'.sum(axis=0)' * m}\n", scope)
        _LEADING[m] = numba.njit(scope["sum_leading"], error_model="numpy")
    return _LEADING[m]


@overload(_sum_to_shape)
def _sum_to_shape_ov(g, shape):
    k = _rank(shape)
    if k is None:
        return None
    if _number(g):
        if k == 0:
            return lambda g, shape: g
        return lambda g, shape: np.full(shape, g)
    if not isinstance(g, types.Array):
        return None
    if k == 0:
        return lambda g, shape: g.sum()
    if g.ndim > k:
        lead = _sum_leading(g.ndim - k)
        return lambda g, shape: _same_rank(lead(g), shape)
    if g.ndim < k:  # broadcast up first (numpy's rank rule), then as for equal ranks
        return lambda g, shape: _same_rank(
            np.broadcast_to(g, np.broadcast_shapes(g.shape, shape)).copy(), shape)
    return lambda g, shape: _same_rank(g, shape)


@overload(_sum_to)
def _sum_to_ov(g, like):
    if not (_number(like) or isinstance(like, types.Array)):
        return None
    return lambda g, like: _sum_to_shape(g, np.shape(like))


@overload(_broadcast_to)
def _broadcast_to_ov(g, shape):
    k = _rank(shape)
    if k is None:
        return None
    if _number(g):
        if k == 0:
            return lambda g, shape: g
        return lambda g, shape: np.full(shape, g)
    if not isinstance(g, types.Array):
        return None
    if g.ndim == k == 0:
        return lambda g, shape: g
    if g.ndim == k:
        def same(g, shape):
            if g.shape == shape:
                return g
            return np.broadcast_to(g, shape).copy()  # (numpy's view is read-only: a copy)
        return same
    if k == 0:
        return None
    return lambda g, shape: np.broadcast_to(g, shape).copy()


@overload(_matmul_grad_a)
def _matmul_grad_a_ov(g, a, b):
    if not (isinstance(a, types.Array) and isinstance(b, types.Array)):
        return None
    ranks = (a.ndim, b.ndim)
    if ranks in ((2, 2), (1, 2)):  # (g @ b.T; for a 1-d a, g[None] @ b.T summed to a[None])
        return lambda g, a, b: g @ b.T
    if ranks == (2, 1):
        return lambda g, a, b: np.outer(g, b)
    if ranks == (1, 1):
        return lambda g, a, b: g * b
    return None


@overload(_matmul_grad_b)
def _matmul_grad_b_ov(g, a, b):
    if not (isinstance(a, types.Array) and isinstance(b, types.Array)):
        return None
    ranks = (a.ndim, b.ndim)
    if ranks in ((2, 2), (2, 1)):
        return lambda g, a, b: a.T @ g
    if ranks == (1, 2):
        return lambda g, a, b: np.outer(a, g)
    if ranks == (1, 1):
        return lambda g, a, b: g * a
    return None


@numba.njit(error_model="numpy")
def _add_outer(acc, u, v):
    """``acc += np.outer(u, v)`` for a 2-d float64 ``acc`` of shape (u.size, v.size), in
    one pass and no temporary (else, or where u or v lie in acc's memory, numpy's way)."""
    lo, hi = acc.ctypes.data, acc.ctypes.data + acc.nbytes
    apart = (u.ctypes.data + u.nbytes <= lo or u.ctypes.data >= hi) and \
        (v.ctypes.data + v.nbytes <= lo or v.ctypes.data >= hi)
    if acc.shape != (u.size, v.size) or not apart:
        acc += np.outer(u, v)
        return acc
    for i in range(u.size):
        ui = u[i]
        for j in range(v.size):
            acc[i, j] += ui * v[j]
    return acc


def _float_array(t: Any, ndim: int) -> bool:
    return isinstance(t, types.Array) and t.ndim == ndim and t.dtype == types.float64


def _iadd_overload(grad: Any, outer_case: Any) -> Any:
    """``acc += grad(g, a, b)`` as ``acc = <this>(acc, g, a, b)``: a rank-1 update in place
    where ``outer_case(g, a, b)`` gives the outer product's two factors' positions (the
    tape loop's ``grad_W += np.outer(...)``), else the sum as numba makes it (in place for
    an array, a new value for a number: what ``+=`` does)."""

    def overload_(acc, g, a, b):
        pair = outer_case(g, a, b) if _float_array(acc, 2) else None
        if pair == (0, 2):
            return lambda acc, g, a, b: _add_outer(acc, g, b)
        if pair == (1, 0):
            return lambda acc, g, a, b: _add_outer(acc, a, g)
        if isinstance(acc, types.Array):
            def in_place(acc, g, a, b):
                acc += grad(g, a, b)
                return acc
            return in_place
        if _number(acc):
            return lambda acc, g, a, b: acc + grad(g, a, b)
        return None

    return overload_


_iadd_a_ov = overload(_nb_iadd_matmul_grad_a)(_iadd_overload(
    _matmul_grad_a, lambda g, a, b: (0, 2) if _float_array(g, 1) and _float_array(a, 2)
    and _float_array(b, 1) else None))
_iadd_b_ov = overload(_nb_iadd_matmul_grad_b)(_iadd_overload(
    _matmul_grad_b, lambda g, a, b: (1, 0) if _float_array(g, 1) and _float_array(a, 1)
    and _float_array(b, 2) else None))


@overload(_zeros_like)
def _zeros_like_ov(x):
    if _number(x) or isinstance(x, types.Array):
        return lambda x: np.zeros(np.shape(x))
    return None  # a tuple, list or dict: its object array of zeros is numpy's alone


@overload(_nb_ndim)
def _nb_ndim_ov(x):
    if _number(x):
        return lambda x: 0
    if isinstance(x, types.Array):
        n = x.ndim
        return lambda x: n
    return None


def _broadcast_overload(attribute: str, body: str) -> Any:
    """An overload of ``np.broadcast(*args).<attribute>`` for numba, one function per
    argument count (numba's overloads cannot loop over a tuple of arrays of mixed ranks)."""
    made: dict[int, Any] = {}

    def overload_(*args):
        if len(args) == 1 and isinstance(args[0], types.StarArgTuple):
            args = tuple(args[0].types)
        if not all(_number(t) or isinstance(t, types.Array) for t in args):
            return None
        n = len(args)
        if n not in made:
            shapes = ", ".join(f"np.shape(args[{i}])" for i in range(n))
            scope: dict[str, Any] = {"np": np}
            exec(f"def {attribute}(*args):\n" + body.format(shapes=shapes), scope)
            made[n] = scope[attribute]
        return made[n]

    overload_.__doc__ = f"``np.broadcast(*args).{attribute}``."
    return overload_


_nb_broadcast_size_ov = overload(_nb_broadcast_size)(_broadcast_overload(
    "size", "    p = 1\n    for d in np.broadcast_shapes({shapes}):\n        p *= d\n"
            "    return p\n"))
_nb_broadcast_shape_ov = overload(_nb_broadcast_shape)(_broadcast_overload(
    "shape", "    return np.broadcast_shapes({shapes})\n"))


@overload(_nb_full_like)
def _nb_full_like_ov(a, v):
    """``np.full_like(a, v, dtype=float)`` (a float where ``a`` is a number)."""
    if _number(a) and _number(v):
        return lambda a, v: np.float64(v)
    if isinstance(a, types.Array) and _number(v):
        if a.ndim == 0:
            return lambda a, v: np.float64(v)
        return lambda a, v: np.full(a.shape, v, np.float64)
    if isinstance(a, types.Array) and isinstance(v, types.Array) and a.ndim > 0:
        return lambda a, v: np.broadcast_to(v, a.shape).astype(np.float64)
    return None


@overload(_nb_copy)
def _nb_copy_ov(x):
    """``x.copy()``, of a number too (an item of a 1-d array is a float in numba)."""
    if _number(x):
        return lambda x: x
    if isinstance(x, (types.Array, types.List)):
        return lambda x: x.copy()
    return None


HELPERS: dict[str, Any] = {
    "_nb_broadcast_shape": _nb_broadcast_shape, "_nb_full_like": _nb_full_like,
    "_nb_copy": _nb_copy, "_nb_iadd_matmul_grad_a": _nb_iadd_matmul_grad_a,
    "_nb_iadd_matmul_grad_b": _nb_iadd_matmul_grad_b,
    "_sum_to": _sum_to, "_sum_to_shape": _sum_to_shape, "_broadcast_to": _broadcast_to,
    "_matmul_grad_a": _matmul_grad_a, "_matmul_grad_b": _matmul_grad_b,
    "_zeros_like": _zeros_like, "_nb_ndim": _nb_ndim, "_nb_broadcast_size": _nb_broadcast_size,
}
