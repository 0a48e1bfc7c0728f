"""``symgrad.autograd``: PyTorch's ``torch.autograd`` namespace for symgrad's Tensor."""

from symgrad.runtime.engine import backward, grad
from symgrad.runtime.function import apply as _apply  # noqa: F401
from symgrad.runtime.grad_mode import enable_grad, no_grad, set_grad_enabled

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled"]
