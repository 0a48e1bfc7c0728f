"""Function forms of the Tensor methods: ``symgrad.exp(x)`` is ``x.exp()``, as in PyTorch.

The names are the registry entries' torch methods (``entry.torch.methods``), and the few
Tensor methods no entry has; the functions the runtime defines with torch's own signature
(``where``, ``matmul``, ``cat``, ``stack``) are not rewrapped.
"""

from __future__ import annotations

# (the families whose methods are wrapped here: importing them adds those methods to Tensor)
from symgrad.runtime import arithmetic, derived, reductions, shape  # noqa: F401
from symgrad.runtime.creation import tensor
from symgrad.runtime.primitives import OPS
from symgrad.runtime.tensor import Tensor

# Tensor methods with a function form that no registry entry spells
_TENSOR_ONLY = (
    "rsqrt clamp_min clamp_max argmax argmin mv view_as transpose swapaxes t expand_as detach "
    "clone"
).split()
_OWN_FUNCTIONS = frozenset({"where", "matmul", "cat", "stack"})  # (arithmetic.py, shape.py)

_METHODS = tuple(dict.fromkeys(
    [name for op in OPS.values() for name in op.methods
     if not name.startswith("__") and name not in _OWN_FUNCTIONS] + _TENSOR_ONLY))

__all__ = list(_METHODS)


def _make(name):
    def fn(input, *args, **kwargs):
        if type(input) is not Tensor:
            input = tensor(input)
        # (looked up now: torch_methods wraps some methods after this module is imported)
        return getattr(Tensor, name)(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``symgrad.{name}(input, ...)`` is ``input.{name}(...)``."
    return fn


for _name in _METHODS:
    globals()[_name] = _make(_name)
del _name
