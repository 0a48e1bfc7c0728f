"""PyTorch-named dtypes over numpy dtypes, ``Size``, and the default dtype."""

from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type; prints like PyTorch's (``torch.float32``)."""

    __slots__ = ("_name", "_np", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype) -> None:
        self._name = name
        self._np = np.dtype(np_dtype)
        self.is_floating_point = self._np.kind == "f"
        self.is_complex = self._np.kind == "c"
        self.is_signed = self._np.kind in "fic"
        self.itemsize = self._np.itemsize

    def __repr__(self) -> str:
        return "torch." + self._name

    def __reduce__(self):
        return (_by_name, (self._name,))


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
complex64 = cfloat = dtype("complex64", np.complex64)
complex128 = cdouble = dtype("complex128", np.complex128)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001  (torch.bool)

_ALL = (float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64, bool)
NP2DT = {d._np: d for d in _ALL}
_BY_NAME = {d._name: d for d in _ALL}


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def to_np(d) -> np.dtype:
    """numpy dtype for a symgrad dtype, a numpy dtype, or a Python type."""
    if type(d) is dtype:
        return d._np
    import builtins

    if d is builtins.float:
        return DEFAULT[0]._np
    if d is builtins.int:
        return np.dtype(np.int64)
    if d is builtins.bool:
        return np.dtype(np.bool_)
    return np.dtype(d)


def from_np(npd) -> dtype:
    d = NP2DT.get(npd)
    if d is None:
        raise TypeError(f"unsupported dtype {npd}")
    return d


DEFAULT = [float32]


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (float32 unless changed)."""
    return DEFAULT[0]


def set_default_dtype(d) -> None:
    d = from_np(to_np(d))
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    DEFAULT[0] = d


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 2])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)!r})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n
