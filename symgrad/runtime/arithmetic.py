"""The Tensor's arithmetic: operators, elementwise functions, comparisons, ``matmul`` and
``where``, each recorded under PyTorch's node name with the rule table's key for the op.

The elementwise methods and operators come from the registry's entries (``primitives.OPS``):
an entry with a torch spec gives the Tensor its methods (``x.asinh()``, ``x.arcsinh()``), and
Python's operators are numpy's ufuncs (``a + b`` is ``np.add``), so ``__add__`` is the entry
that binds ``np.add``. Written out here are only the methods whose torch signature is not
the entry's: ``add``/``sub`` (``alpha=``), ``clamp`` (optional bounds), ``x.where(c, y)``,
``s / x`` (two nodes in torch), and ``matmul`` (a node name per operand rank).
"""

from __future__ import annotations

import numbers

import numpy as np

from symgrad.runtime.dtypes import DEFAULT
from symgrad.runtime.engine import resolve_vjp
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import _TYPE_SHORT, _broadcast_error, _long_name, _matmul_error
from symgrad.runtime.primitives import OPS, apply, by_object, elementwise_ops
from symgrad.runtime.promotion import promote_arrays, promote_with_scalar
from symgrad.runtime.tensor import (
    Tensor,
    _from_data,
    _named,
    _ndarray,
    _record,
    _wants_grad,
    _wrap,
    install_methods,
)


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


def _unary(op, x):
    """``op`` (an elementwise ``primitives.Op``) on the Tensor ``x``."""
    d = x._data
    if op.float_only and d.dtype.kind not in "fc":
        d = d.astype(DEFAULT[0]._np)
    if op.quiet:
        with np.errstate(all="ignore"):
            out = _wrap(op.forward(d))
    else:
        out = _wrap(op.forward(d))
    if x._requires_grad and _Mode.enabled:
        _record(out, op.node, op.key, (x,), saves=op.saves)
    return out


_COMMUTATIVE = frozenset({"add", "multiply"})  # (exactly: x + s == s + x in IEEE arithmetic)


def _binary(op, a, b, reverse=False):
    """``a op b`` (or ``b op a`` when ``reverse``) for a Tensor ``a``; the node is the entry's
    overload for a Tensor ``b`` (``x ** y``) or a reflected number (``2 - x``)."""
    if reverse and type(b) is not Tensor and op.name in _COMMUTATIVE:
        reverse = False  # torch records ``2 * x`` as ``x * 2``: the tensor's edge first
    node = op.node_tensor if type(b) is Tensor else op.node_reflected if reverse else op.node
    b = _operand(b, a)
    if b is NotImplemented:
        return NotImplemented
    ad, bd = _binary_arrays(a, b)
    if op.float_only and ad.dtype.kind not in "fc":
        ad = ad.astype(DEFAULT[0]._np)
        if type(bd) is _ndarray:
            bd = bd.astype(DEFAULT[0]._np)
    x, y = (bd, ad) if reverse else (ad, bd)
    try:
        if op.quiet:
            with np.errstate(all="ignore"):
                res = op.forward(x, y)
        else:
            res = op.forward(x, y)
    except ValueError:
        raise _broadcast_error(np.asarray(x), np.asarray(y)) from None
    if op.name == "power" and not reverse and type(b) is not Tensor and x.dtype.kind == "f":
        res = _torch_pow(x, y, res)
    out = _wrap(res)
    if _Mode.enabled and (a._requires_grad or (type(b) is Tensor and b._requires_grad)):
        _record(out, node, op.key, (b, a) if reverse else (a, b), saves=op.saves)
        if type(b) is not Tensor and (reverse or op.name == "power"):
            _drop_constant_edge(out._grad_fn, 0 if reverse else 1)
    return out


def _torch_pow(x, e, res):
    """``x ** e`` for a number ``e`` as torch's CPU kernel rounds it: the exponents it
    special-cases (2, 3, -2, -1, -0.5) are products, quotients and a square root, not
    ``pow()`` (whose result numpy returns, ``res``, and which differs in the last bit for
    about a quarter of the float32 cubes). Other exponents go through SLEEF's vectorised
    ``pow`` in torch, which this does not reproduce (1 ulp apart at some values)."""
    if np.ndim(e) != 0:
        return res
    e = float(e)
    with np.errstate(all="ignore"):
        if e == 3.0:
            return x * x * x
        if e == 2.0:
            return x * x
        if e == -2.0:
            return x.dtype.type(1) / (x * x)
        if e == -0.5:
            return x.dtype.type(1) / np.sqrt(x)
        if e == -1.0:
            return x.dtype.type(1) / x
    return res


def _drop_constant_edge(node, i):
    """torch's graph has no edge for the number in ``2 - x``, ``2 ** x`` and ``x ** 2`` (as it
    has ``(None, 0)`` for the one in ``x - 2``): drop edge ``i`` and the gradient the rule
    gives that operand (the rule still receives every operand)."""
    full = resolve_vjp(node._key)
    keep = 1 - i

    def vjp(g, *args):
        return (full(g, *args)[keep],)

    node._vjp = vjp
    node.next_functions = (node.next_functions[keep],)
    node._meta = (node._meta[keep],)


def _nograd_binary(fn, a, b):
    b = _operand(b, a)
    if b is NotImplemented:
        return NotImplemented
    ad, bd = _binary_arrays(a, b)
    return _wrap(fn(ad, bd))


def _unary_method(op, name):
    def method(self):
        return _unary(op, self)

    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    return method


def _binary_method(op, name, reverse=False):
    def method(self, other):
        return _binary(op, self, other, reverse)

    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    return method


def _nograd_method(ufunc, name):
    if ufunc.nin == 1:
        def method(self):
            return _wrap(ufunc(self._data))
    else:
        def method(self, other):
            return _nograd_binary(ufunc, self, other)

    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    return method


# Python's operators on arrays are numpy's ufuncs (numpy's own mapping); the Tensor's are the
# entries binding them, recorded when the entry has a torch spec (floor division and the
# comparisons have none: their results never require grad)
_OPERATORS = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.divide,
    "pow": np.power, "mod": np.remainder, "floordiv": np.floor_divide,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "neg": np.negative, "abs": np.absolute, "invert": np.invert,
}
_REFLECTED = ("add", "sub", "mul", "pow")  # (``s / x`` is written out below)


def _install_elementwise():
    for op in elementwise_ops():
        if op.arity <= 2:
            make = _unary_method if op.arity == 1 else _binary_method
            for name in op.methods:
                setattr(Tensor, name, make(op, name))
    for py, ufunc in _OPERATORS.items():
        op = by_object(ufunc)
        dunder = f"__{py}__"
        if op is None:
            setattr(Tensor, dunder, _nograd_method(ufunc, dunder))
            continue
        make = _unary_method if op.arity == 1 else _binary_method
        setattr(Tensor, dunder, make(op, dunder))
        if py in _REFLECTED:
            setattr(Tensor, f"__r{py}__", _binary_method(op, f"__r{py}__", reverse=True))


_install_elementwise()

_ADD, _SUB, _MUL, _DIV, _RECIPROCAL, _CLIP, _WHERE, _MATMUL = (
    OPS[n] for n in ("add", "subtract", "multiply", "divide", "reciprocal", "clip", "where",
                     "matmul"))


class _ArithmeticMethods:
    """The methods whose torch signature differs from the entry's."""

    def __rtruediv__(self, other):
        # torch computes ``s / x`` as ``x.reciprocal() * s``: two nodes
        if type(other) is Tensor:
            return _binary(_DIV, other, self)
        return _binary(_MUL, _unary(_RECIPROCAL, self), other, reverse=True)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_from_data(other) if type(other) is not Tensor else other, self)

    def add(self, other, *, alpha=1):
        return _binary(_ADD, self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return _binary(_SUB, self, other if alpha == 1 else other * alpha)

    subtract = sub

    def rsqrt(self):
        return _unary(_RECIPROCAL, _unary(OPS["sqrt"], self))

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        d = self._data
        lo = -np.inf if min is None else min
        hi = np.inf if max is None else max
        lod = lo._data if type(lo) is Tensor else lo
        hid = hi._data if type(hi) is Tensor else hi
        out = _wrap(np.minimum(np.maximum(d, lod) if min is not None else d, hid) if max is not None else np.maximum(d, lod))
        if _wants_grad(self, lo, hi):
            tensor_bound = type(lo) is Tensor or type(hi) is Tensor
            _record(out, _CLIP.overload("tensor") if tensor_bound else _CLIP.node, _CLIP.key,
                    (self, lo, hi), saves=_CLIP.saves)
        return out

    clip = clamp

    def clamp_min(self, min):
        return _named(self.clamp(min=min), "ClampMinBackward0")  # (torch's name for this form)

    def clamp_max(self, max):
        return _named(self.clamp(max=max), "ClampMaxBackward0")

    def where(self, condition, other):
        return where(condition, self, other)

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

    def inner(self, other):
        other = other if type(other) is Tensor else _from_data(other)
        a, b = self._data.shape, other._data.shape
        if a and b and a[-1] != b[-1]:
            raise RuntimeError("inner() the last dimension must match on both input tensors but "
                               f"got shapes {list(a)} and {list(b)}")
        return apply(OPS["inner"], [self, other], {})

    def outer(self, vec2):
        vec2 = vec2 if type(vec2) is Tensor else _from_data(vec2)
        for name, t in (("self", self), ("vec2", vec2)):
            if t._data.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
        return apply(OPS["outer"], [self, vec2], {})


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
            name = _MATMUL.node
        elif na == 2 and nb == 1:
            name = _MATMUL.overload("2-d @ 1-d")
        elif na == 1 and nb == 1:
            name = _MATMUL.overload("1-d @ 1-d")
        elif na == 1 and nb == 2:
            name = _MATMUL.overload("1-d @ 2-d")
        elif na == 2:
            name = _MATMUL.overload("2-d @ n-d")
        else:
            name = _MATMUL.overload("batched")
        _record(out, name, _MATMUL.key, (a, b), saves=_MATMUL.saves)
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
        _record(out, _WHERE.node, _WHERE.key, (c, input if x is not None else xd, other if y is not None else yd), saves=_WHERE.saves)
    return out

