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


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``F.gelu``: ``x * Phi(x)`` with the normal CDF ``Phi(x) = (1 + erf(x / sqrt(2))) / 2``
    (``approximate='tanh'``: ``(1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3))) / 2``), in the
    order torch's kernel computes it."""
    input = _tensor(input)
    if approximate == "none":
        out = input * 0.5 * ((input * _SQRT1_2).erf() + 1)
    elif approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        out = input * 0.5 * (inner.tanh() + 1)
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _named(out, "GeluBackward0")


_SQRT1_2 = 0.7071067811865476  # M_SQRT1_2
_SQRT_2_OVER_PI = 0.7978845608028654  # M_SQRT2 * M_2_SQRTPI * 0.5, torch's kBeta


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``F.softplus``: ``log(1 + exp(beta x)) / beta``, and ``x`` itself where
    ``beta x > threshold`` (as torch's). The exponent is clamped at the threshold inside the
    unselected branch, so its gradient stays finite where ``exp(beta x)`` would overflow."""
    from symgrad.runtime.arithmetic import where

    input = _tensor(input)
    z = input * beta
    smooth = z.clamp(max=threshold).exp().log1p() / beta
    return _named(where(z > threshold, input, smooth), "SoftplusBackward0")


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
    """``F.l1_loss``: the absolute error (gradient 0 where input == target, as torch's).
    torch 2.13 composes it too: its nodes are ``AbsBackward0`` and ``MeanBackward0``."""
    input, target = _tensor(input), _tensor(target)
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce((input - target).abs(), reduction)


def _pointwise_loss(input: Any, target: Any, stacklevel: int = 3) -> tuple[Tensor, Tensor]:
    input, target = _tensor(input), _tensor(target)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=stacklevel)
    return input, target


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``F.smooth_l1_loss``: ``0.5 d**2 / beta`` where ``|d| < beta``, else
    ``|d| - 0.5 beta`` (``d = input - target``); ``beta=0`` is ``l1_loss``, as torch's."""
    input, target = _pointwise_loss(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    from symgrad.runtime.arithmetic import where

    d = input - target
    z = d.abs()
    loss = where(z < beta, d * d * 0.5 / beta, z - 0.5 * beta)
    return _named(_reduce(loss, reduction), "SmoothL1LossBackward0")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``F.huber_loss``: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``;
    with ``weight``, the elementwise loss times it, then reduced (as torch's)."""
    input, target = _pointwise_loss(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    from symgrad.runtime.arithmetic import where

    d = input - target
    z = d.abs()
    loss = where(z < delta, d * d * 0.5, (z - 0.5 * delta) * delta)
    if weight is None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return _named(_reduce(loss, reduction), "HuberLossBackward0")
    weight = _tensor(weight)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = _named(loss, "HuberLossBackward0") * weight
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                         "'mean', 'sum'.")
    return _reduce(loss, reduction)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """``F.embedding``: the rows of ``weight`` at the indices ``input`` (shape
    ``input.shape + (embedding_dim,)``). The row ``padding_idx`` gets no gradient; with
    ``max_norm``, each row looked up whose ``norm_type``-norm exceeds it is first scaled (in
    place, not recorded) to ``max_norm``, as torch's."""
    idx = input._data if type(input) is Tensor else np.asarray(input)
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= n or padding_idx < 0 and padding_idx < -n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {_tensor(input).type()} instead (while checking "
            "arguments for embedding)")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if sparse or scale_grad_by_freq:
        raise NotImplementedError("symgrad's embedding has dense, unscaled gradients only "
                                  "(sparse=False, scale_grad_by_freq=False)")
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), max_norm, norm_type)
    rows = weight[_wrap(idx.astype(np.int64, copy=False))]
    if padding_idx is not None and (idx == padding_idx).any():
        from symgrad.runtime.arithmetic import where

        keep = _wrap(idx[..., None] != padding_idx)
        rows = where(keep, rows, rows.detach())  # (the padding rows' values, no gradient)
    return _named(rows, "EmbeddingBackward0")


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's ``embedding_renorm_``: rows with norm above ``max_norm`` scaled to it."""
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
        if weight._ver is not None:
            weight._ver[0] += 1


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
    """``F.cross_entropy``: ``nll_loss(log_softmax(input, 1), target)`` for class-index
    targets; for class-probability targets (floats shaped like ``input``)
    ``-sum_c w_c p_c log_softmax(input)_c``, averaged over the samples. ``label_smoothing``
    mixes the target with the uniform distribution, in torch's formulas (so the graph's last
    node is torch's: ``AddBackward0``, ``DivBackward1``, ``NegBackward0``)."""
    input = _tensor(input)
    t = target._data if type(target) is Tensor else np.asarray(target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    reduction = _legacy(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if weight is not None:
        weight = _tensor(weight)
        if weight.dim() != 1 or weight.numel() != n_classes:
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {n_classes} "
                f"classes or no classes but got weight tensor of shape: {list(weight.shape)}")
    lsm = log_softmax(input, class_dim)
    if t.dtype.kind == "f":
        return _cross_entropy_probabilities(lsm, _tensor(target), weight, reduction,
                                            label_smoothing, class_dim)
    nll = nll_loss(lsm, target, weight, None, ignore_index, None, reduction)
    if not label_smoothing:
        return nll
    # torch's smoothing term: -sum_c w_c log p_c per sample, 0 at ignored targets
    w = lsm if weight is None else lsm * _class_shaped(weight, lsm, class_dim)
    ignored = t == ignore_index
    smooth = -w.sum(class_dim)
    if ignored.any():
        from symgrad.runtime.arithmetic import where

        smooth = where(_wrap(~ignored), smooth, 0.0)
    if reduction == "mean":
        if weight is None:
            denom = float((~ignored).sum())
        else:
            denom = float(weight._data[t[~ignored].astype(np.int64)].sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_shaped(weight: Tensor, like: Tensor, class_dim: int) -> Tensor:
    """The class weights shaped to broadcast along ``class_dim`` of ``like``."""
    return weight.reshape(*[-1 if i == class_dim else 1 for i in range(like.dim())])


def _cross_entropy_probabilities(lsm: Tensor, target: Tensor, weight: Tensor | None,
                                 reduction: str, label_smoothing: float,
                                 class_dim: int) -> Tensor:
    if target.shape != lsm.shape:
        raise ValueError(f"Expected input batch_size ({lsm.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.dim() else 1}).")
    n_classes = lsm.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = lsm * target
    if weight is not None:
        terms = terms * _class_shaped(weight, lsm, class_dim)
    if reduction == "mean":
        return _named(-terms.sum() / (lsm.numel() / n_classes), "DivBackward1")  # (C++ div by a Scalar)
    if reduction == "sum":
        return -terms.sum()
    if reduction == "none":
        return -terms.sum(class_dim)
    raise ValueError(f"{reduction} is not a valid value for reduction")


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
