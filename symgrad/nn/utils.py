"""``nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``, as torch's (the total norm over
every gradient, each gradient scaled by ``min(1, max_norm / (total + 1e-6))``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.runtime.tensor import Tensor, _wrap

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Any) -> list:
    ps = [parameters] if type(parameters) is Tensor else list(parameters)
    return [p._grad for p in ps if p._grad is not None]


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """Scale the gradients in place so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the norm before clipping."""
    grads = _grads(parameters)
    if not grads:
        return _wrap(np.array(0.0, dtype=np.float32))
    norm_type = float(norm_type)
    norms = [np.linalg.norm(g._data.reshape(-1), ord=norm_type) for g in grads]
    total = np.linalg.norm(np.array(norms, dtype=grads[0]._data.dtype), ord=norm_type)
    total = np.asarray(total, dtype=grads[0]._data.dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coef = np.minimum(np.asarray(max_norm, total.dtype) / (total + np.asarray(1e-6, total.dtype)),
                      np.asarray(1.0, total.dtype))
    for g in grads:
        g._data *= coef.astype(g._data.dtype)
    return _wrap(total)


def clip_grad_value_(parameters: Any, clip_value: float, foreach: Any = None) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``."""
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
