"""The helpers an array-API module calls where the standard has no function of its own
(scatters, in-place writes, numpy's shape readers): each is copied into the module that calls
it, as symgrad.helpers' are, so that module needs array-api-compat and the array library alone.

Every helper reads its namespace from its arrays (``array_api_compat``), and keeps laziness and
placement the caller's: a dask array stays a dask array, a torch tensor stays on its device.
"""

from __future__ import annotations

try:
    import array_api_compat
except ImportError:  # (symgrad copies these helpers into exported modules without it)
    array_api_compat = None

_XP = None  # the namespace of the call running the module (set by symgrad.foreign)


def _namespace(*values):
    """The array API namespace of the arrays among ``values`` (tuples, lists and dicts looked
    into; numbers and None skipped): array-api-compat's wrapper of their library."""
    arrays = []
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, (tuple, list)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif array_api_compat.is_array_api_obj(v) and not isinstance(v, (int, float, bool)):
            arrays.append(v)
    if not arrays:  # numbers alone: the caller's library (symgrad sets _XP), else numpy
        if _XP is not None:
            return _XP
        import numpy

        return array_api_compat.array_namespace(numpy.empty(0))
    return array_api_compat.array_namespace(*arrays)


def _shape(x):
    """``np.shape(x)``: the shape as a tuple (() for a number)."""
    return tuple(x.shape) if hasattr(x, "shape") else ()


def _ndim(x):
    """``np.ndim(x)`` (0 for a number)."""
    return len(x.shape) if hasattr(x, "shape") else 0


def _size(x):
    """``np.size(x)``: the number of elements (1 for a number)."""
    n = 1
    for d in _shape(x):
        n *= d
    return n


def _broadcast_size(*arrays):
    """``np.broadcast(a, b).size``: the number of elements of the broadcast shape."""
    import numpy

    n = 1
    for d in numpy.broadcast_shapes(*map(_shape, arrays)):
        n *= d
    return n


class _Broadcast:
    """What ``np.broadcast(a, b)`` is read for: the broadcast shape and size."""

    def __init__(self, shape):
        self.shape = shape
        self.size = 1
        for d in shape:
            self.size *= d


def _broadcast(*arrays):
    """``np.broadcast(a, b)``: the broadcast shape (``.shape``) and size (``.size``)."""
    import numpy

    return _Broadcast(tuple(numpy.broadcast_shapes(*map(_shape, arrays))))


def _result_type(*values):
    """``np.result_type`` over arrays, dtypes and Python numbers (float64 for numbers)."""
    xp = _namespace(*values)
    dtypes = [getattr(v, "dtype", v) for v in values
              if not isinstance(v, (bool, int, float)) and v is not float]
    if any(isinstance(v, float) or v is float for v in values) or not dtypes:
        dtypes.append(xp.float64)
    return xp.result_type(*dtypes)


def _zeros_shaped(x):
    """``np.zeros(np.shape(x))``: float64 zeros shaped like x, in x's library and on its
    device (a 0-d array for a number)."""
    xp = _namespace(x)
    if hasattr(x, "shape"):
        return xp.zeros_like(x, dtype=xp.float64)
    return xp.zeros((), dtype=xp.float64)


def _asarray(x, dtype=None):
    """``np.asarray(x)``: a Python float becomes a float64 array (as numpy makes it; torch
    would make float32), in the caller's library."""
    xp = _namespace(x)
    if dtype is None and isinstance(x, float):
        dtype = xp.float64
    return xp.asarray(x, dtype=dtype)


def _array(x, dtype=None, copy=True):
    """``np.array(x)``: as ``_asarray``, but a copy (writable where a broadcast is not)."""
    out = _asarray(x, dtype)
    return _copy(out) if copy and hasattr(x, "shape") else out


def _len(x):
    """``len(x)``: an array's first axis (the standard defines no ``len`` of an array)."""
    return x.shape[0] if hasattr(x, "shape") and not isinstance(x, (list, tuple)) else len(x)


def _float_mask(mask, like=None):
    """A boolean mask as 0 and 1, in ``like``'s floating dtype (float64 otherwise): the
    standard has no arithmetic on booleans. Anything else comes back as it is."""
    if not hasattr(mask, "dtype"):
        return mask
    xp = _namespace(mask)
    if not xp.isdtype(mask.dtype, "bool"):
        return mask
    dtype = like.dtype if hasattr(like, "dtype") and \
        xp.isdtype(like.dtype, "real floating") else xp.float64
    return xp.astype(mask, dtype)


def _copy(x):
    """``x.copy()``: a new array (JAX's are immutable: x itself); a list's own copy."""
    if isinstance(x, (list, dict)):
        return x.copy()
    if array_api_compat.is_jax_array(x):
        return x
    xp = _namespace(x)
    return xp.asarray(x, copy=True)


def _full_like(x, fill, dtype=None):
    """``np.full_like(x, fill)``, where ``fill`` may be an array that broadcasts to x."""
    xp = _namespace(x, fill)
    if not hasattr(x, "shape"):  # a number: a 0-d array of fill's value
        if not hasattr(fill, "shape"):
            return _asarray(fill, dtype)
        return fill if dtype is None else xp.astype(fill, dtype)
    if isinstance(fill, (int, float, bool)):
        return xp.full_like(x, fill, dtype=dtype)
    return xp.zeros_like(x, dtype=dtype) + fill


def _swapaxes(x, a, b):
    """``np.swapaxes`` as the standard's ``permute_dims``."""
    xp = _namespace(x)
    axes = list(range(len(x.shape)))
    axes[a], axes[b] = axes[b], axes[a]
    return xp.permute_dims(x, tuple(axes))


def _transpose(x, axes=None):
    """``np.transpose`` as the standard's ``permute_dims`` (all axes reversed by default)."""
    xp = _namespace(x)
    return xp.permute_dims(x, tuple(reversed(range(len(x.shape)))) if axes is None else
                           tuple(axes))


def _heaviside(x, h):
    """``np.heaviside(x, h)``: 0 below zero, h at zero, 1 above."""
    xp = _namespace(x)
    return xp.where(x > 0, 1.0, xp.where(x == 0, h, 0.0))


def _library(x):
    """The name of the library behind an array, for messages."""
    return type(x).__module__.split(".")[0]


def _at_set(x, index, value):
    """``x[index] = value``, as a new array where the library's arrays are immutable (JAX);
    in place otherwise. Dask's item assignment makes a new graph: nothing is computed."""
    if hasattr(x, "shape") and not isinstance(index, tuple):
        index = (index, ...)  # (the standard indexes every axis)
    if array_api_compat.is_jax_array(x):
        return x.at[index].set(value)
    if isinstance(x, (int, float)):
        raise TypeError("cannot assign into a number")
    if array_api_compat.is_dask_array(x) and 0 in x[index].shape:
        return x  # an empty selection: nothing to write (dask refuses the assignment)
    x[index] = value
    return x


def _at_add(x, index, value):
    """``x[index] += value`` (each index once, as numpy's ``+=`` reads it)."""
    if hasattr(x, "shape") and not isinstance(index, tuple):
        index = (index, ...)  # (the standard indexes every axis)
    if array_api_compat.is_jax_array(x):
        return x.at[index].add(value)
    part = x[index]
    if array_api_compat.is_dask_array(x) and 0 in part.shape:
        return x  # an empty selection: nothing to add (dask refuses the assignment)
    x[index] = part + value
    return x


def _scatter_add(x, index, value):
    """``np.add.at(x, index, value)``: repeated indices add up."""
    if array_api_compat.is_jax_array(x):
        return x.at[index].add(value)
    parts = index if isinstance(index, tuple) else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts):
        return _at_add(x, index, value)  # a basic index: no index repeats
    if array_api_compat.is_torch_array(x):
        import torch

        index = index if isinstance(index, tuple) else (index,)
        index = tuple(torch.as_tensor(i) if not isinstance(i, slice) else i for i in index)
        if all(not isinstance(i, slice) for i in index):
            xp = _namespace(x)
            return x.index_put_(index, xp.broadcast_to(xp.asarray(value, dtype=x.dtype),
                                                       x[index].shape), accumulate=True)
    if array_api_compat.is_numpy_array(x) or array_api_compat.is_cupy_array(x):
        import numpy  # (numpy's and cupy's ufuncs have .at)

        (numpy if array_api_compat.is_numpy_array(x) else __import__("cupy")).add.at(
            x, index, value)
        return x
    if not isinstance(index, tuple) and hasattr(index, "shape"):
        return _scatter_add_by_matmul(x, index, value)
    raise TypeError(f"{_library(x)} arrays have no scatter-add (np.add.at with several "
                    "arrays of indices, which may repeat): symgrad cannot run this gradient "
                    "on them")


def _scatter_add_by_matmul(x, index, value):
    """``np.add.at(x, index, value)`` for one array of indices into x's first axis, as a new
    array: ``x + hits.T @ value``, hits[j, i] = 1 where index j is i. Dask has no scatter:
    this keeps it lazy and chunked (k x n ones and zeros for k indices, n rows)."""
    xp = _namespace(x)
    index = xp.asarray(index)
    n, rest = x.shape[0], tuple(x.shape[1:])
    k = 1
    for d in index.shape:
        k *= d
    index = xp.reshape(index, (k,))
    index = xp.where(index < 0, index + n, index)
    value = xp.broadcast_to(xp.asarray(value, dtype=x.dtype), tuple(index.shape) + rest)
    hits = xp.astype(xp.reshape(index, (k, 1)) == xp.reshape(xp.arange(n), (1, n)), x.dtype)
    added = xp.matmul(xp.permute_dims(hits, (1, 0)), xp.reshape(value, (k, -1)))
    return x + xp.reshape(added, tuple(x.shape))


def _einsum(spec, *operands):
    """``np.einsum`` through the library's own (the standard has none)."""
    xp = _namespace(*operands)
    if not hasattr(xp, "einsum"):
        raise TypeError(f"{_library(operands[0])} has no einsum: symgrad cannot run "
                        "np.einsum on its arrays")
    return xp.einsum(spec, *operands)

