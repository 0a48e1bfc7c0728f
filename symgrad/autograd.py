"""``symgrad.autograd``: PyTorch's ``torch.autograd`` namespace for symgrad's Tensor."""

import sys as _sys

import symgrad.autograd_graph as graph
import symgrad.runtime.autograd_functional as functional
from symgrad.profiler import autograd_profiler as profiler
from symgrad.runtime.creation import _leafify
from symgrad.runtime.custom_function import Function, FunctionCtx, once_differentiable
from symgrad.runtime.engine import backward, grad
from symgrad.runtime.function import apply as _apply  # noqa: F401
from symgrad.runtime.grad_mode import enable_grad, no_grad, set_grad_enabled
from symgrad.runtime.tensor import Tensor, _from_data
from symgrad.runtime.torch_gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "Function",
           "FunctionCtx", "once_differentiable", "gradcheck", "gradgradcheck", "GradcheckError",
           "Variable", "functional", "graph", "profiler"]

_sys.modules[__name__ + ".functional"] = functional  # from symgrad.autograd.functional import
_sys.modules[__name__ + ".graph"] = graph
_sys.modules[__name__ + ".profiler"] = profiler


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802  (torch's name)
    """``torch.autograd.Variable(t, requires_grad=False)``: since torch 0.4 simply the Tensor
    ``t`` (made a leaf requiring grad when asked)."""
    t = data if type(data) is Tensor else _from_data(data)
    return _leafify(t, requires_grad) if requires_grad else t
