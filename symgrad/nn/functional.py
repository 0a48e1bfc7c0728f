"""``nn.functional``: torch's activation and loss functions, built from Tensor operations.

Each function is a composition of the Tensor's recorded operations, so its backward is the
registry's rules (there is no fused kernel and no second copy of a derivative). The graph
therefore has several nodes where torch has one; the last one is renamed to torch's fused
node name (``MseLossBackward0``, ``NllLossBackward0``, ``SoftmaxBackward0``, ...) so that
``loss.grad_fn`` prints as torch's, while its ``next_functions`` are the composition's.

softmax / log_softmax subtract the (non-differentiated) maximum along ``dim`` first, as torch's
kernels do; the shift has zero gradient, so the derivative is unchanged.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from symgrad.runtime.tensor import Tensor, _from_data, _named, _norm_dim, _wrap

_REDUCTIONS = ("none", "mean", "sum")


def _tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else _from_data(x)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``F.relu``: ``max(x, 0)``; the gradient at 0 is 0, as torch's."""
    return input.relu_() if inplace else input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``F.leaky_relu``: ``x`` where ``x > 0``, else ``negative_slope * x`` (so the gradient at
    0 is ``negative_slope``, as torch's)."""
    from symgrad.runtime.arithmetic import where

    out = _named(where(input > 0, input, input * negative_slope), "LeakyReluBackward0")
    return input.copy_(out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """``F.dropout``: in training, zero each element with probability ``p`` and scale the rest
    by ``1 / (1 - p)``; otherwise ``input`` itself. The mask comes from symgrad's generator, so
    under ``manual_seed`` it differs from torch's."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    from symgrad.runtime.creation import _RNG

    d = input._data
    keep = _RNG[0].random(d.shape) >= p
    scale = np.where(keep, 1.0 / (1.0 - p) if p < 1 else 0.0, 0.0).astype(d.dtype)
    out = input * _wrap(scale)  # MulBackward0, as torch's
    return input.copy_(out) if inplace else out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``F.one_hot``: int64 ``(..., num_classes)``, 1 at each index."""
    t = tensor._data if type(tensor) is Tensor else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(t.max()) + 1 if num_classes == -1 else num_classes
    if t.size and t.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap((t[..., None] == np.arange(n)).astype(np.int64))


def _stable_dim(input: Tensor, dim: Any, name: str) -> int:
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.", UserWarning, stacklevel=3)
        nd = input.dim()
        dim = 0 if nd in (0, 1, 3) else 1
    return _norm_dim(dim, input.dim()) if input.dim() else None


def _shifted(input: Tensor, dim: Any) -> Tensor:
    d = input._data
    if d.ndim == 0:
        return input - _wrap(d.copy())
    with np.errstate(all="ignore"):
        m = np.max(d, axis=dim, keepdims=True)
    return input - _wrap(np.where(np.isfinite(m), m, 0).astype(d.dtype))


def _as_dtype(input: Tensor, dtype: Any) -> Tensor:
    return input if dtype is None else input.to(dtype)


def softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``F.softmax(x, dim)``: ``exp(x) / exp(x).sum(dim)``."""
    input = _as_dtype(_tensor(input), dtype)
    dim = _stable_dim(input, dim, "softmax")
    e = _shifted(input, dim).exp()
    out = e / (e.sum(dim, keepdim=True) if dim is not None else e)
    return _named(out, "SoftmaxBackward0")


def log_softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``F.log_softmax(x, dim)``: ``x - log(exp(x).sum(dim))``."""
    input = _as_dtype(_tensor(input), dtype)
    dim = _stable_dim(input, dim, "log_softmax")
    z = _shifted(input, dim)
    out = z - (z.exp().sum(dim, keepdim=True).log() if dim is not None else z.exp().log())
    return _named(out, "LogSoftmaxBackward0")


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``F.linear``: ``input @ weight.T + bias``; the last node is named as torch's
    (``AddmmBackward0`` for a matrix input, ``ViewBackward0`` otherwise)."""
    out = input.matmul(weight.t())
    if bias is None:
        return out
    out = out + bias
    return _named(out, "AddmmBackward0" if input.dim() == 2 else "ViewBackward0")


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Tensor:
    """``F.mse_loss``: the (mean, summed or elementwise) squared error."""
    input, target = _tensor(input), _tensor(target)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=2)
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    loss = (input - target) ** 2
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "MseLossBackward0")


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """``F.l1_loss``: the absolute error (gradient 0 where input == target, as torch's)."""
    input, target = _tensor(input), _tensor(target)
    reduction = _legacy(size_average, reduce, reduction)
    return _named(_reduce((input - target).abs(), reduction), "L1LossBackward0")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``F.nll_loss`` with class-index targets: ``-input[n, target[n]]`` (weighted)."""
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    t = target._data if type(target) is Tensor else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected scalar type Long but found {_TORCH_NAMES.get(t.dtype.name, t.dtype.name)}")
    if input.dim() == 1:  # one sample: (C,) and a 0-d target
        if t.ndim != 0:
            raise ValueError(f"Expected input batch_size (1) to match target batch_size ({t.shape[0]}).")
        input, t = input.unsqueeze(0), t.reshape(1)
        single = True
    else:
        single = False
        if input.dim() != 2:
            raise NotImplementedError("symgrad's nll_loss/cross_entropy take (N, C) or (C,) inputs")
        if t.shape != (input.shape[0],):
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({t.shape[0] if t.ndim else 1}).")
    n_classes = input.shape[1]
    keep = t != ignore_index
    bad = t[keep]
    if bad.size and (bad.min() < 0 or bad.max() >= n_classes):
        raise IndexError(f"Target {int(bad[(bad < 0) | (bad >= n_classes)][0])} is out of bounds.")
    safe = np.where(keep, t, 0).astype(np.int64)
    picked = -input[_wrap(np.arange(len(safe))), _wrap(safe)]
    w = np.ones(len(safe), dtype=input._data.dtype) if weight is None \
        else np.asarray(weight._data if type(weight) is Tensor else weight)[safe].astype(input._data.dtype)
    w = np.where(keep, w, 0).astype(input._data.dtype)
    loss = picked * _wrap(w) if weight is not None or not keep.all() else picked
    if reduction == "none":
        out = loss[0] if single else loss
    elif reduction == "sum":
        out = loss.sum()
    else:
        out = loss.sum() / _wrap(np.asarray(w.sum(), dtype=input._data.dtype))
    return _named(out, "NllLossBackward0")


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "int32": "Int", "bool": "Bool"}


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``F.cross_entropy`` with class-index targets: ``nll_loss(log_softmax(input, 1), target)``.
    (Class-probability targets and ``label_smoothing`` are not supported.)"""
    input = _tensor(input)
    t = target._data if type(target) is Tensor else np.asarray(target)
    if t.dtype.kind == "f":
        raise NotImplementedError("symgrad's cross_entropy takes class-index targets only")
    if label_smoothing:
        raise NotImplementedError("symgrad's cross_entropy does not support label_smoothing")
    lsm = log_softmax(input, 0 if input.dim() == 1 else 1)
    return nll_loss(lsm, target, weight, size_average, ignore_index, reduce, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """``F.binary_cross_entropy_with_logits``: ``(1 - y) x + logaddexp(0, -x)``, the stable
    form of ``-(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))`` (smooth everywhere)."""
    input, target = _tensor(input), _tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    softplus_neg = _wrap(np.zeros((), input._data.dtype)).logaddexp(-input)  # log(1 + exp(-x))
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        lw = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + lw * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Any = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``F.binary_cross_entropy`` on probabilities (logs clamped at -100, as torch's)."""
    input, target = _tensor(input), _tensor(target)
    reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")
