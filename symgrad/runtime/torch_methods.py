"""Tensor methods torch has around the registry's operations: the in-place forms of the
elementwise entries (``x.cos_()``, ``x.atan2_(y)``, made from the entries, not written out),
the ``new_*`` constructors, ``equal``, and numpy's keyword spellings on the reductions
(``x.sum(axis=0, keepdims=True)``, ``x.argmax(axis=1)``), which torch accepts too.
"""

from __future__ import annotations

import functools

import numpy as np

from symgrad.runtime import arithmetic, inplace, reductions  # noqa: F401  (their methods first)
from symgrad.runtime import dtypes as _dt
from symgrad.runtime.creation import _leafify
from symgrad.runtime.primitives import elementwise_ops
from symgrad.runtime.tensor import Tensor, _from_data, _shape_arg, _wrap, check_device

# torch's in-place elementwise methods (Tensor.<name>_); an entry's method gets its in-place
# form when torch has one
_TORCH_INPLACE = frozenset((
    "abs absolute acos acosh arccos arccosh arcsin arcsinh arctan arctan2 arctanh asin asinh "
    "atan atan2 atanh copysign cos cosh deg2rad div divide erf erfc exp exp2 expm1 fmod hypot "
    "log log10 log1p log2 mul multiply neg negative pow rad2deg reciprocal relu remainder "
    "sigmoid sign sin sinc sinh sqrt square sub subtract tan tanh true_divide add clamp clip "
    "clamp_min clamp_max logaddexp"
).split())


def _inplace_method(name: str, arity: int):
    method_out = getattr(Tensor, name)
    if arity == 1:
        def method(self):
            return self._inplace(method_out)
    else:
        def method(self, *args, **kwargs):
            return self._inplace(lambda s: method_out(s, *args, **kwargs))
    method.__name__, method.__qualname__ = f"{name}_", f"Tensor.{name}_"
    method.__doc__ = f"In-place ``x.{name}(...)``: writes the result into x, recorded as x.{name}."
    return method


def _install_inplace() -> None:
    names = {}
    for op in elementwise_ops():
        for name in op.methods:
            names[name] = op.arity
    names.update(clamp_min=2, clamp_max=2)  # (not rsqrt_: x.rsqrt() is two nodes here)
    for name, arity in names.items():
        if name in _TORCH_INPLACE and not hasattr(Tensor, f"{name}_") and hasattr(Tensor, name):
            setattr(Tensor, f"{name}_", _inplace_method(name, arity))


_install_inplace()


# -- numpy's keyword names on the reductions ---------------------------------------------------

_ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _with_aliases(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        for alias, name in _ALIASES.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{method.__name__}() received both '{alias}' and '{name}'")
                kwargs[name] = kwargs.pop(alias)
        return method(self, *args, **kwargs)

    return wrapper


for _name in ("sum", "mean", "prod", "max", "min", "argmax", "argmin", "std", "var", "amax",
              "amin", "all", "any", "cumsum", "logsumexp", "norm", "nansum", "median"):
    if hasattr(Tensor, _name):
        setattr(Tensor, _name, _with_aliases(getattr(Tensor, _name)))


# -- new_* and equal ------------------------------------------------------------------------------

class _TorchMethods:
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        check_device(device)
        return _leafify(_from_data(data, dtype or self.dtype), requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self.new_full(_shape_arg(size), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        check_device(device)
        npd = self._data.dtype if dtype is None else _dt.to_np(dtype)
        return _leafify(_wrap(np.full(_shape_arg((size,)), fill_value, dtype=npd)), requires_grad)

    def equal(self, other):
        """``torch.equal``: True when both have the same shape and values."""
        if type(other) is not Tensor:
            raise TypeError(f"equal(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        a, b = self._data, other._data
        return a.shape == b.shape and bool(np.array_equal(a, b))


_LEGACY = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64",
           "torch.HalfTensor": "float16", "torch.LongTensor": "int64", "torch.IntTensor": "int32",
           "torch.BoolTensor": "bool"}
_type = Tensor.type


def _type_method(self, dtype=None, non_blocking=False):
    """``x.type()`` names the legacy class; ``x.type(torch.DoubleTensor)``, ``x.type(
    "torch.DoubleTensor")`` and ``x.type(torch.float64)`` cast."""
    name = dtype if isinstance(dtype, str) else \
        f"torch.{dtype.__name__}" if isinstance(dtype, type) else None
    if name is not None:
        if name not in _LEGACY:
            raise ValueError(f"invalid type: '{name}'")
        return self.to(getattr(_dt, _LEGACY[name]))
    return _type(self, dtype)


_type_method.__qualname__ = "Tensor.type"
Tensor.type = _type_method

from symgrad.runtime.tensor import install_methods  # noqa: E402

install_methods(_TorchMethods)
