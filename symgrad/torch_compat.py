"""torch's namespaces and functions around the Tensor that teaching programs use:
``torch.cuda`` / ``torch.accelerator`` (no accelerator: ``is_available()`` is False),
``set_default_device`` (the CPU only), the legacy ``FloatTensor``-style constructors, and
the ``out=`` forms of ``add``, ``mul`` and ``matmul``.
"""

from __future__ import annotations

import types
import warnings
from typing import Any

import numpy as np

from symgrad.runtime import dtypes as _dt
from symgrad.runtime.arithmetic import matmul as _matmul
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import _TYPE_SHORT
from symgrad.runtime.tensor import Tensor, _from_data, check_device, device

__all__ = ["cuda", "accelerator", "set_default_device", "get_default_device", "add", "mul",
           "multiply", "matmul", "equal", "FloatTensor", "DoubleTensor", "LongTensor",
           "IntTensor", "BoolTensor", "HalfTensor", "save", "load"]


# -- devices ------------------------------------------------------------------------------------

def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


cuda = types.ModuleType("symgrad.cuda", "torch.cuda: symgrad has no CUDA device.")
cuda.is_available = _false
cuda.is_initialized = _false
cuda.device_count = _zero
cuda.manual_seed = cuda.manual_seed_all = cuda.synchronize = cuda.empty_cache = _nothing

accelerator = types.ModuleType("symgrad.accelerator", "torch.accelerator: none in symgrad.")
accelerator.is_available = _false
accelerator.device_count = _zero
accelerator.current_accelerator = _nothing
accelerator.synchronize = _nothing


def set_default_device(device: Any) -> None:
    """``torch.set_default_device``: the CPU (or None) only; CUDA raises torch's
    ``AssertionError: Torch not compiled with CUDA enabled``, another device a RuntimeError."""
    check_device(device)


def get_default_device() -> device:
    return device("cpu")


# -- out= -----------------------------------------------------------------------------------------

def _into(name: str, result: Tensor, out: Any, inputs: tuple) -> Tensor:
    if type(out) is not Tensor:
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _Mode.enabled and (out._requires_grad
                          or any(type(a) is Tensor and a._requires_grad for a in inputs)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    r = result._data
    if name == "matmul" and out._data.dtype != r.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_C10.get(r.dtype.name)}, but got "
                           f"{_C10.get(out._data.dtype.name)} instead")
    if out._data.dtype.kind in "iub" and r.dtype.kind in "fc":
        raise RuntimeError(f"result type {_TYPE_SHORT.get(r.dtype.name, r.dtype.name)} can't be "
                           "cast to the desired output type "
                           f"{_TYPE_SHORT.get(out._data.dtype.name, out._data.dtype.name)}")
    if out._data.shape != r.shape:
        if out._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(r.shape)}. This behavior is deprecated, and in a future PyTorch release "
                "outputs will not be resized unless they have zero elements. You can explicitly "
                "reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).", UserWarning, stacklevel=3)
        out._data = np.empty(r.shape, out._data.dtype)
    np.copyto(out._data, r, casting="unsafe")
    if out._ver is not None:
        out._ver[0] += 1
    return out


_C10 = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
        "int32": "int", "bool": "bool", "complex64": "c10::complex<float>",
        "complex128": "c10::complex<double>"}


def _t(x: Any) -> Tensor:
    return x if type(x) is Tensor else _from_data(x)


def add(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Tensor:
    """``torch.add(input, other, alpha=1, out=None)``."""
    res = _t(input).add(other, alpha=alpha)
    return res if out is None else _into("add", res, out, (input, other))


def mul(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """``torch.mul(input, other, out=None)``."""
    res = _t(input).mul(other)
    return res if out is None else _into("mul", res, out, (input, other))


multiply = mul


def matmul(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """``torch.matmul(input, other, out=None)``."""
    res = _matmul(input, other)
    return res if out is None else _into("matmul", res, out, (input, other))


def equal(input: Tensor, other: Tensor) -> bool:
    """``torch.equal``: same shape and the same values (any dtypes)."""
    return input.equal(other)


# -- legacy constructors --------------------------------------------------------------------------

class _LegacyMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return type(obj) is Tensor and obj._data.dtype == cls._np


def _legacy(name: str, dtype: Any) -> type:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Tensor:
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return _from_data(args[0], dtype)
        from symgrad.runtime.creation import empty

        return empty(*args, dtype=dtype) if args else empty(0, dtype=dtype)

    return _LegacyMeta(name, (), {"__new__": __new__, "_np": np.dtype(dtype._name),
                                  "__doc__": f"``torch.{name}(data)`` / ``torch.{name}(*size)``"})


FloatTensor = _legacy("FloatTensor", _dt.float32)
DoubleTensor = _legacy("DoubleTensor", _dt.float64)
HalfTensor = _legacy("HalfTensor", _dt.float16)
LongTensor = _legacy("LongTensor", _dt.int64)
IntTensor = _legacy("IntTensor", _dt.int32)
BoolTensor = _legacy("BoolTensor", _dt.bool)


# -- save / load ------------------------------------------------------------------------------------

def save(obj: Any, f: Any, pickle_protocol: int = 2, **kwargs: Any) -> None:
    """``torch.save(obj, f)``: pickles ``obj`` (tensors, state_dicts, containers of them) to a
    path or a binary file object. The file is a plain pickle, not torch's zip format."""
    import pickle

    if hasattr(f, "write"):
        pickle.dump(obj, f, protocol=pickle_protocol)
    else:
        with open(f, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle_protocol)


def load(f: Any, map_location: Any = None, weights_only: Any = None, **kwargs: Any) -> Any:
    """``torch.load(f)``: reads what ``save`` wrote (a path or a binary file object).
    ``map_location`` may only name the CPU; ``weights_only`` is accepted but, unlike torch,
    not enforced: load only files you trust."""
    import pickle

    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location)
    if hasattr(f, "read"):
        return pickle.load(f)
    with open(f, "rb") as fh:
        return pickle.load(fh)
