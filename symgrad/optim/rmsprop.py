"""``optim.RMSprop`` (PyTorch's polynomial tutorial uses it): torch's single-tensor update:

    g = grad (+ weight_decay * p);  maximize negates it
    v = alpha * v + (1 - alpha) * g * g
    avg = sqrt(v - m**2) + eps, m = m + (1 - alpha) * (g - m)  (centered) | sqrt(v) + eps
    buf = momentum * buf + g / avg; p -= lr * buf  (momentum) | p -= lr * g / avg
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.optim.optimizer import Optimizer, _bump
from symgrad.runtime.tensor import _wrap


class RMSprop(Optimizer):
    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        for name, v in (("learning rate", lr), ("epsilon value", eps),
                        ("momentum value", momentum), ("weight_decay value", weight_decay),
                        ("alpha value", alpha)):
            if not 0.0 <= v:
                raise ValueError(f"Invalid {name}: {v}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def step(self, closure: Any = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p, d, g in self._with_grads(group):
                state = self.state.get(p)
                if not state:
                    state = self.state[p] = {"step": _wrap(np.array(0.0, dtype=np.float32)),
                                             "square_avg": _wrap(np.zeros_like(d))}
                    if momentum > 0:
                        state["momentum_buffer"] = _wrap(np.zeros_like(d))
                    if centered:
                        state["grad_avg"] = _wrap(np.zeros_like(d))
                state["step"]._data += 1
                if wd != 0:
                    g = g + wd * d
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if centered:
                    m = state["grad_avg"]._data
                    w = 1 - alpha
                    if w < 0.5:  # torch's lerp
                        m += w * (g - m)
                    else:
                        m[...] = g - (g - m) * (1 - w)
                    avg = np.sqrt(v - m * m) + eps
                else:
                    avg = np.sqrt(v) + eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += g / avg
                    d += (-lr * buf).astype(d.dtype, copy=False)
                else:
                    d += (-lr * (g / avg)).astype(d.dtype, copy=False)
                _bump(p)
        return loss
