"""``optim.Adagrad``: torch's single-tensor update, step for step:

    g = grad (+ weight_decay * p);  maximize negates it
    clr = lr / (1 + (t - 1) * lr_decay)
    sum = sum + g * g          (starting at initial_accumulator_value)
    p = p + (-clr * g) / (sqrt(sum) + eps)

torch's CPU kernels fuse ``g + weight_decay * p`` and ``sum + g * g`` (one rounding: a fused
multiply-add), so these are computed rounded once too (float32 through float64, which is
exact; float64 by an error-free product and sum). torch's vectorized ``sqrt`` is not
correctly rounded (it differs from numpy's in the last bit for about 1 float64 in 80 and 1
float32 in 6 on an AVX2 CPU), so the parameters agree with torch's to an ulp or so, not
bit for bit.

As torch's, the state (``step``, ``sum``) is made for every parameter at construction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.optim.optimizer import Optimizer, _bump
from symgrad.runtime.creation import _fma
from symgrad.runtime.tensor import _wrap


def _fused(a: Any, b: Any, c: np.ndarray) -> np.ndarray:
    """``a * b + c`` rounded once, in ``c``'s dtype (torch's fused multiply-add)."""
    a = np.asarray(a, c.dtype)  # (torch casts a number to the tensor's dtype first)
    if c.dtype == np.float64:
        return _fma(a, b, c)
    wide = a.astype(np.float64) * np.asarray(b, np.float64) + c.astype(np.float64)
    return wide.astype(c.dtype)


class Adagrad(Optimizer):
    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: Any = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: Any = None) -> None:
        for name, v in (("learning rate", lr), ("lr_decay value", lr_decay),
                        ("weight_decay value", weight_decay),
                        ("initial_accumulator_value value", initial_accumulator_value),
                        ("epsilon value", eps)):
            if not 0.0 <= v:
                raise ValueError(f"Invalid {name}: {v}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {
                    "step": _wrap(np.array(0.0, dtype=np.float32)),
                    "sum": _wrap(np.full_like(p._data, initial_accumulator_value)),
                }

    def step(self, closure: Any = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            wd = group["weight_decay"]
            for p, d, g in self._with_grads(group):
                state = self.state[p]
                state["step"]._data += 1
                step = float(state["step"]._data)
                if wd != 0:
                    g = _fused(wd, d, g)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                s[...] = _fused(g, g, s)
                std = np.sqrt(s) + d.dtype.type(eps)
                d += d.dtype.type(-clr) * g / std
                _bump(p)
        return loss
