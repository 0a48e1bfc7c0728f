"""Making tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``eye``, ``arange``, ``linspace``,
the ``*_like`` forms, and the random ones (``rand``, ``randn``, ``randint``) with the generator
``manual_seed`` seeds.
"""

from __future__ import annotations

import builtins

import numpy as np

from symgrad.runtime import dtypes as _dt
from symgrad.runtime.dtypes import DEFAULT, NP2DT
from symgrad.runtime.tensor import Tensor, _from_data, _shape_arg, _wrap, check_device

_pyfloat = builtins.float
_pyint = builtins.int
_pybool = builtins.bool


class _LazyRng:
    """numpy's default generator, made on first use (importing numpy.random is not free)."""

    def __getitem__(self, i):
        g = self.__dict__.get("g")
        if g is None:
            g = self.g = np.random.default_rng()
        return g

    def __setitem__(self, i, value):
        self.g = value


_RNG = _LazyRng()


def manual_seed(seed):
    """Seed symgrad's random generator (numpy's PCG64, so values differ from PyTorch's)."""
    _RNG[0] = np.random.default_rng(_pyint(seed))
    return _Generator(seed)


class _Generator:
    def __init__(self, seed):
        self._seed = seed

    def initial_seed(self):
        return self._seed


def seed():
    s = _pyint(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def _leafify(t, requires_grad, factory=True):
    if requires_grad:
        if t._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors)."""
    return _leafify(_from_data(data, dtype), requires_grad)


as_tensor = tensor


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in NP2DT:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{ndarray.dtype.name}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        )
    return _wrap(ndarray)


def _factory_dtype(dtype):
    return DEFAULT[0]._np if dtype is None else _dt.to_np(dtype)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _leafify(_wrap(np.ones(_shape_arg(size), _factory_dtype(dtype))), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _leafify(_wrap(np.zeros(_shape_arg(size), _factory_dtype(dtype))), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _leafify(_wrap(np.empty(_shape_arg(size), _factory_dtype(dtype))), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (_dt.bool if isinstance(fill_value, _pybool) else _dt.int64 if isinstance(fill_value, _pyint)
                 else DEFAULT[0])
    return _leafify(_wrap(np.full(_shape_arg((size,)), fill_value, _dt.to_np(dtype))), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _leafify(_wrap(np.eye(n, m, dtype=_factory_dtype(dtype))), requires_grad)


def _like(fn, t, dtype, requires_grad, *extra):
    npd = t._data.dtype if dtype is None else _dt.to_np(dtype)
    return _leafify(_wrap(fn(t._data.shape, *extra, dtype=npd)), requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return _like(np.ones, input, dtype, requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return _like(np.zeros, input, dtype, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return _like(np.empty, input, dtype, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    npd = input._data.dtype if dtype is None else _dt.to_np(dtype)
    return _leafify(_wrap(np.full(input._data.shape, fill_value, dtype=npd)), requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    npd = _factory_dtype(dtype)
    return _leafify(_wrap(_RNG[0].standard_normal(_shape_arg(size)).astype(npd)), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    npd = _factory_dtype(dtype)
    return _leafify(_wrap(_RNG[0].random(_shape_arg(size)).astype(npd)), requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """``torch.normal``: samples of N(mean, std**2), from symgrad's generator (so under
    ``manual_seed`` not torch's numbers). ``mean`` and ``std`` are numbers (then ``size`` is
    needed) or Tensors, broadcast together. The samples carry no gradient (torch's
    ``NormalBackward`` gives the mean a zero gradient)."""
    check_device(device)
    m_t, s_t = type(mean) is Tensor, type(std) is Tensor
    if not m_t and not s_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected a "
                            "size with a float mean and a float std")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        npd = _factory_dtype(dtype)
        sample = _RNG[0].standard_normal(_shape_arg((size,)))
        return _leafify(_wrap((mean + std * sample).astype(npd)), requires_grad)
    m = mean._data if m_t else np.asarray(mean)
    sd = std._data if s_t else np.asarray(std)
    if s_t and (sd < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not s_t and sd < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(sd):g}")
    npd = np.result_type(*[a.dtype for a, t in ((m, m_t), (sd, s_t)) if t])
    shape = _broadcast(m.shape, sd.shape)
    sample = _RNG[0].standard_normal(shape)
    return _wrap((m + sd * sample).astype(npd, copy=False))


def _broadcast(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        for i in range(1, max(len(a), len(b)) + 1):
            x, y = (a[-i] if i <= len(a) else 1), (b[-i] if i <= len(b) else 1)
            if x != y and 1 not in (x, y):
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension {max(len(a), len(b)) - i}"
                                   ) from None
        raise


def randn_like(input, dtype=None, requires_grad=False):
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def rand_like(input, dtype=None, requires_grad=False):
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    npd = np.int64 if dtype is None else _dt.to_np(dtype)
    return _leafify(_wrap(_RNG[0].integers(low, high, _shape_arg((size,))).astype(npd)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if type(v) is Tensor else v for v in (start, end, step)]
    if dtype is None:
        npd = DEFAULT[0]._np if any(isinstance(v, _pyfloat) for v in vals) else np.dtype(np.int64)
    else:
        npd = _dt.to_np(dtype)
    s, e, st = vals
    n = max(0, -(-(e - s) // st)) if not any(isinstance(v, _pyfloat) for v in vals) else max(0, int(np.ceil((e - s) / st)))
    arr = (s + np.arange(n, dtype=np.float64 if npd.kind == "f" else np.int64) * st).astype(npd)
    return _leafify(_wrap(arr), requires_grad)


def _fma(a, b, c):
    """``a * b + c`` rounded once (float64; Dekker's product and Knuth's sum, error-free)."""
    p = a * b
    ah = a * 134217729.0
    ah = ah - (ah - a)
    al = a - ah
    bh = b * 134217729.0
    bh = bh - (bh - b)
    bl = b - bh
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    bb = s - p
    return s + (err + ((p - (s - bb)) + (c - bb)))


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """torch's linspace, with the values of torch's CPU kernel: in the result's dtype,
    ``step = (end - start) / (steps - 1)``, then ``fma(step, i, start)`` for the first half and
    ``fma(-step, steps-1-i, end)`` for the second (the kernel's compiler contracts them)."""
    from symgrad.runtime.tensor import check_device

    check_device(device)
    start, end = (v.item() if type(v) is Tensor else v for v in (start, end))
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    npd = _factory_dtype(dtype)
    if npd.kind not in "f" or npd.itemsize < 4:
        return _leafify(_wrap(np.linspace(start, end, steps).astype(npd)), requires_grad)
    s, e = npd.type(start), npd.type(end)
    step = np.float64((e - s) / npd.type(max(steps - 1, 1)))
    i = np.arange(steps)
    first = i < steps // 2
    k = np.where(first, i, steps - 1 - i).astype(np.float64)
    with np.errstate(all="ignore"):
        if npd.itemsize == 4:  # (the float64 product of two float32s is exact)
            v = np.where(first, step * k + np.float64(s), np.float64(e) - step * k)
        else:
            v = np.where(first, _fma(step, k, np.float64(s)), _fma(-step, k, np.float64(e)))
    if steps == 1:
        v = np.array([s], dtype=npd)
    return _leafify(_wrap(v.astype(npd)), requires_grad)


def is_tensor(obj):
    return type(obj) is Tensor


def numel(t):
    return t.numel()
