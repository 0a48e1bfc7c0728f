"""symgrad: source-transforming symbolic differentiation for Python and numpy."""

from symgrad import runtime as _runtime
from symgrad.api import GradFunction, grad
from symgrad.custom import custom_vjp, defvjp
from symgrad.errors import SymgradError
from symgrad.gradcheck import gradcheck
from symgrad.gradients import stop_gradient
from symgrad.runtime import *  # noqa: F403  (the Tensor runtime: import symgrad as torch)
from symgrad.runtime.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from symgrad.transformations import hessian, jacfwd, jacrev, jvp, vjp

__version__ = "0.1.0"

__all__ = [
    "GradFunction", "SymgradError", "grad", "gradcheck", "stop_gradient", "__version__",
    "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
    "hessian", "jacfwd", "jacrev", "jvp", "vjp", "custom_vjp", "defvjp",
    *_runtime.__all__,
]
