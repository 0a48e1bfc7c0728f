"""The Tensor's arithmetic: operators, elementwise functions, comparisons, ``matmul`` and
``where``, each recorded under PyTorch's node name with the rule table's key for the op.
"""

from __future__ import annotations

import numbers

import numpy as np

from symgrad.runtime.dtypes import DEFAULT
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import _TYPE_SHORT, _broadcast_error, _long_name, _matmul_error
from symgrad.runtime.promotion import _scalar_cat, promote_arrays, promote_with_scalar
from symgrad.runtime.tensor import (
    Tensor,
    _from_data,
    _ndarray,
    _record,
    _wants_grad,
    _wrap,
    install_methods,
)

# ---------------------------------------------------------------------------------------------
# names

_TORCH_NAMES = {
    "add": "AddBackward0",
    "subtract": "SubBackward0",
    "multiply": "MulBackward0",
    "divide": "DivBackward0",
    "negative": "NegBackward0",
    "power": "PowBackward0",
    "exp": "ExpBackward0",
    "log": "LogBackward0",
    "log1p": "Log1PBackward0",
    "expm1": "Expm1Backward0",
    "sqrt": "SqrtBackward0",
    "sin": "SinBackward0",
    "cos": "CosBackward0",
    "tan": "TanBackward0",
    "arcsin": "AsinBackward0",
    "arccos": "AcosBackward0",
    "arctan": "AtanBackward0",
    "arctan2": "Atan2Backward0",
    "sinh": "SinhBackward0",
    "cosh": "CoshBackward0",
    "tanh": "TanhBackward0",
    "abs": "AbsBackward0",
    "sign": "SignBackward0",
    "square": "PowBackward0",
    "reciprocal": "ReciprocalBackward0",
    "maximum": "MaximumBackward0",
    "minimum": "MinimumBackward0",
    "clip": "ClampBackward1",
    "where": "WhereBackward0",
    "sigmoid": "SigmoidBackward0",
    "relu": "ReluBackward0",
}
_NO_SAVE = frozenset({"add", "subtract", "negative"})


def _sigmoid_np(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _relu_np(x):
    return np.maximum(x, x.dtype.type(0))


_UNARY_NP = {
    "negative": np.negative,
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "abs": np.abs,
    "sign": np.sign,
    "square": np.square,
    "reciprocal": lambda x: np.divide(1, x),
    "sigmoid": _sigmoid_np,
    "relu": _relu_np,
}
_FLOAT_ONLY = frozenset(
    "exp log log1p expm1 sqrt sin cos tan arcsin arccos arctan sinh cosh tanh sigmoid reciprocal".split()
)
_BINARY_NP = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "power": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "arctan2": np.arctan2,
}
_WARNS = frozenset({"divide", "power", "arctan2"})
_KEYS = {op: (op, ()) for op in list(_UNARY_NP) + list(_BINARY_NP) + ["where", "clip", "matmul"]}


def _operand(a, like):
    """``a`` (Tensor, Python/numpy scalar, array, list) as (value for numpy, is_tensor)."""
    if type(a) is Tensor:
        return a
    if isinstance(a, (numbers.Number, np.generic)):
        return a.item() if isinstance(a, np.generic) else a
    if isinstance(a, (np.ndarray, list, tuple)):
        return _from_data(a)
    return NotImplemented


def _binary_arrays(a, b):
    """The numpy operands for ``a op b`` after PyTorch's type promotion."""
    if type(b) is Tensor:
        return promote_arrays(a._data, b._data)
    return promote_with_scalar(a._data, b), b


def _unary(op, x, name=None):
    d = x._data
    if op in _FLOAT_ONLY and d.dtype.kind not in "fc":
        d = d.astype(DEFAULT[0]._np)
    with np.errstate(all="ignore"):
        out = _wrap(_UNARY_NP[op](d))
    if x._requires_grad and _Mode.enabled:
        _record(out, name or _TORCH_NAMES[op], _KEYS[op], (x,), saves=op not in _NO_SAVE)
    return out


def _binary(op, a, b, name=None, reverse=False):
    """``a op b`` (or ``b op a`` when ``reverse``) for a Tensor ``a``."""
    b = _operand(b, a)
    if b is NotImplemented:
        return NotImplemented
    ad, bd = _binary_arrays(a, b)
    if op == "divide" and ad.dtype.kind not in "fc" and (type(b) is Tensor or _scalar_cat(b) < 2):
        ad = ad.astype(DEFAULT[0]._np)
        if type(bd) is _ndarray:
            bd = bd.astype(DEFAULT[0]._np)
    x, y = (bd, ad) if reverse else (ad, bd)
    try:
        if op in _WARNS:
            with np.errstate(all="ignore"):
                res = _BINARY_NP[op](x, y)
        else:
            res = _BINARY_NP[op](x, y)
    except ValueError:
        raise _broadcast_error(np.asarray(x), np.asarray(y)) from None
    out = _wrap(res)
    if _Mode.enabled and (a._requires_grad or (type(b) is Tensor and b._requires_grad)):
        ops = (b, a) if reverse else (a, b)
        _record(out, name or _TORCH_NAMES[op], _KEYS[op], ops, saves=op not in _NO_SAVE)
    return out


def _nograd_binary(fn, a, b):
    b = _operand(b, a)
    if b is NotImplemented:
        return NotImplemented
    ad, bd = _binary_arrays(a, b)
    return _wrap(fn(ad, bd))


class _ArithmeticMethods:
    # -- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", self, other, reverse=True)

    def __sub__(self, other):
        return _binary("subtract", self, other)

    def __rsub__(self, other):
        return _binary("subtract", self, other, name="RsubBackward1", reverse=True)

    def __mul__(self, other):
        return _binary("multiply", self, other)

    def __rmul__(self, other):
        return _binary("multiply", self, other, reverse=True)

    def __truediv__(self, other):
        return _binary("divide", self, other)

    def __rtruediv__(self, other):
        # torch computes ``s / x`` as ``x.reciprocal() * s``: two nodes
        if type(other) is Tensor:
            return _binary("divide", other, self)
        return _binary("multiply", self.reciprocal(), other, reverse=True)

    def __pow__(self, other):
        if type(other) is Tensor:
            return _binary("power", self, other, name="PowBackward1")
        return _binary("power", self, other)

    def __rpow__(self, other):
        return _binary("power", self, other, name="PowBackward2", reverse=True)

    def __neg__(self):
        return _unary("negative", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary("abs", self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_from_data(other) if type(other) is not Tensor else other, self)

    def __floordiv__(self, other):
        return _nograd_binary(np.floor_divide, self, other)

    def __mod__(self, other):
        return _nograd_binary(np.remainder, self, other)

    # comparisons: results never require grad
    def __eq__(self, other):
        return _nograd_binary(np.equal, self, other)

    def __ne__(self, other):
        return _nograd_binary(np.not_equal, self, other)

    def __lt__(self, other):
        return _nograd_binary(np.less, self, other)

    def __le__(self, other):
        return _nograd_binary(np.less_equal, self, other)

    def __gt__(self, other):
        return _nograd_binary(np.greater, self, other)

    def __ge__(self, other):
        return _nograd_binary(np.greater_equal, self, other)

    def __and__(self, other):
        return _nograd_binary(np.bitwise_and, self, other)

    def __or__(self, other):
        return _nograd_binary(np.bitwise_or, self, other)

    def __xor__(self, other):
        return _nograd_binary(np.bitwise_xor, self, other)

    def __invert__(self):
        return _wrap(np.invert(self._data))

    # -- named elementwise methods ------------------------------------------------------------

    def add(self, other, *, alpha=1):
        return _binary("add", self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return _binary("subtract", self, other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return _binary("multiply", self, other)

    multiply = mul

    def div(self, other):
        return self.__truediv__(other)

    divide = true_divide = div

    def pow(self, exponent):
        return self.__pow__(exponent)

    def neg(self):
        return _unary("negative", self)

    negative = neg

    def exp(self):
        return _unary("exp", self)

    def log(self):
        return _unary("log", self)

    def log1p(self):
        return _unary("log1p", self)

    def expm1(self):
        return _unary("expm1", self)

    def sqrt(self):
        return _unary("sqrt", self)

    def rsqrt(self):
        return _unary("reciprocal", _unary("sqrt", self))

    def sin(self):
        return _unary("sin", self)

    def cos(self):
        return _unary("cos", self)

    def tan(self):
        return _unary("tan", self)

    def asin(self):
        return _unary("arcsin", self)

    def acos(self):
        return _unary("arccos", self)

    def atan(self):
        return _unary("arctan", self)

    arcsin, arccos, arctan = asin, acos, atan

    def sinh(self):
        return _unary("sinh", self)

    def cosh(self):
        return _unary("cosh", self)

    def tanh(self):
        return _unary("tanh", self)

    def sigmoid(self):
        return _unary("sigmoid", self)

    def relu(self):
        return _unary("relu", self)

    def abs(self):
        return _unary("abs", self)

    absolute = abs

    def sign(self):
        return _unary("sign", self)

    def square(self):
        return _unary("square", self)

    def reciprocal(self):
        return _unary("reciprocal", self)

    def maximum(self, other):
        return _binary("maximum", self, other)

    def minimum(self, other):
        return _binary("minimum", self, other)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        d = self._data
        lo = -np.inf if min is None else (min._data if type(min) is Tensor else min)
        hi = np.inf if max is None else (max._data if type(max) is Tensor else max)
        out = _wrap(np.minimum(np.maximum(d, lo) if min is not None else d, hi) if max is not None else np.maximum(d, lo))
        if self._requires_grad and _Mode.enabled:
            _record(out, "ClampBackward1", _KEYS["clip"], (self, lo, hi))
        return out

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    # -- reductions ----------------------------------------------------------------------------

    # -- linear algebra ------------------------------------------------------------------------

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        if self._data.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if other._data.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        return matmul(self, other)

    def mv(self, vec):
        return matmul(self, vec)

    def dot(self, other):
        if self._data.ndim != 1 or other._data.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self._data.ndim}D and {other._data.ndim}D tensors"
            )
        return matmul(self, other)


install_methods(_ArithmeticMethods)


def matmul(a, b):
    """Matrix product with PyTorch's node names (MmBackward0, MvBackward0, DotBackward0, ...)."""
    if type(a) is not Tensor:
        a = _from_data(a)
    if type(b) is not Tensor:
        b = _from_data(b)
    ad, bd = a._data, b._data
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {ad.ndim}D and {bd.ndim}D"
        )
    if ad.dtype != bd.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{ad.dtype.name if False else _long_name(ad.dtype)} != {_long_name(bd.dtype)}"
        )
    try:
        res = np.matmul(ad, bd)
    except ValueError:
        raise _matmul_error(ad, bd) from None
    out = _wrap(res)
    if _Mode.enabled and (a._requires_grad or b._requires_grad):
        na, nb = ad.ndim, bd.ndim
        if na == 2 and nb == 2:
            name = "MmBackward0"
        elif na == 2 and nb == 1:
            name = "MvBackward0"
        elif na == 1 and nb == 1:
            name = "DotBackward0"
        elif na == 1 and nb == 2:
            name = "SqueezeBackward4"
        elif nb == 1 or na == 1:
            name = "ViewBackward0"
        else:
            name = "UnsafeViewBackward0" if na != nb or na > 3 else "BmmBackward0"
        _record(out, name, _KEYS["matmul"], (a, b))
    return out


def mm(a, b):
    return a.mm(b)


def where(condition, input=None, other=None):
    """``torch.where(cond, x, y)``; ``torch.where(cond)`` gives the indices (a tuple)."""
    if input is None and other is None:
        c = condition._data if type(condition) is Tensor else np.asarray(condition)
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(c))
    c = condition._data if type(condition) is Tensor else np.asarray(condition)
    if c.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {_TYPE_SHORT.get(c.dtype.name, c.dtype.name)}")
    x = input if type(input) is Tensor else None
    y = other if type(other) is Tensor else None
    if x is not None and y is not None:
        xd, yd = _binary_arrays(x, y)
    elif x is not None:
        xd, yd = _binary_arrays(x, other)
    elif y is not None:
        yd, xd = _binary_arrays(y, input)
    else:
        xd, yd = input, other
    out = _wrap(np.where(c, xd, yd))
    if _wants_grad(input, other):
        _record(out, "WhereBackward0", _KEYS["where"], (c, input if x is not None else xd, other if y is not None else yd))
    return out

