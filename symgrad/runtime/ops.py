"""Function forms of the Tensor methods: ``symgrad.exp(x)`` is ``x.exp()``, as in PyTorch."""

from __future__ import annotations

# (the families whose methods are wrapped here: importing them adds those methods to Tensor)
from symgrad.runtime import arithmetic, reductions, shape  # noqa: F401
from symgrad.runtime.creation import tensor
from symgrad.runtime.tensor import Tensor

_METHODS = (
    "exp log log1p expm1 sqrt rsqrt sin cos tan asin acos atan arcsin arccos arctan sinh cosh "
    "tanh sigmoid relu abs absolute sign square reciprocal neg negative add sub subtract mul "
    "multiply div divide true_divide pow maximum minimum clamp clip clamp_min clamp_max sum mean "
    "prod var std argmax argmin max min dot mv reshape view_as flatten transpose swapaxes permute "
    "t squeeze unsqueeze expand_as detach clone"
).split()

__all__ = list(_METHODS)


def _make(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        if type(input) is not Tensor:
            input = tensor(input)
        return method(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``symgrad.{name}(input, ...)`` is ``input.{name}(...)``."
    return fn


for _name in _METHODS:
    globals()[_name] = _make(_name)
del _name
