"""Tensor methods made from registry entries alone: ``x.flip(dims)``, ``x.ravel()``.

An entry with a torch spec whose methods the family modules (arithmetic, reductions, shape)
do not write out gets them here, in torch's calling convention: the entry's other arrays,
then the torch parameters named in ``entry.torch.params`` (required, as torch's are; a
``dims`` list also takes its items as separate arguments, ``x.flip(0, 1)``), each passed to
the entry's numpy parameter. ``dim``/``dims`` values are checked and made non-negative as
torch does. The value is numpy's forward's, recorded as the entry's node, except that a
view with a negative stride (np.flip's) is copied: a torch tensor has none.

So adding an entry with a torch spec adds its Tensor method (and ``symgrad.<method>``).
"""

from __future__ import annotations

from typing import Any

# (the family modules first: a method they write out is not made here)
from symgrad.rules import registry
from symgrad.rules.registry import REQUIRED
from symgrad.runtime import arithmetic, linalg, reductions, shape  # noqa: F401
from symgrad.runtime.primitives import OPS, Op, apply
from symgrad.runtime.tensor import Tensor, _from_data, _norm_dim

_DIMS = ("dim", "dims")
_NUMPY_DIMS = ("diff", "rot90")  # torch's default dim is numpy's: -1, (0, 1)


def _dims(value: Any, ndim: int) -> Any:
    """A torch ``dim`` (an int) or ``dims`` (a sequence) made non-negative, with torch's
    errors for one out of range or repeated."""
    if isinstance(value, (tuple, list)):
        dims = _norm_dim(tuple(value), ndim) or ()
        for i, d in enumerate(dims):
            if d in dims[:i]:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return dims
    return _norm_dim(value, ndim)


def _method(op: Op, name: str) -> Any:
    # (an optional array, logsumexp's b=None, is no torch argument)
    others = tuple(a for a in op.entry.arrays[1:] if a not in op.entry.defaults)
    params = tuple(op.entry.torch.params.items())  # (torch name, numpy name)
    names = (*others, *(t for t, _ in params))
    # torch's optional parameters whose default is numpy's (x.tril(), x.nan_to_num(),
    # x.diff(), x.rot90()); a dim otherwise has none (x.flip() and x.cumsum() need theirs)
    defaults = {**op.entry.defaults, **registry.parameters(op.entry.params).defaults}
    optional = {t: defaults[n] for t, n in params
                if defaults.get(n, REQUIRED) is not REQUIRED and t != "correction" and
                (t not in _DIMS or op.entry.name in _NUMPY_DIMS)}

    def method(self, *args, **kwargs):
        if params and params[-1][0] == "dims" and len(args) > len(names):
            args = (*args[:len(names) - 1], args[len(names) - 1:])  # x.flip(0, 1)
        if len(args) > len(names):
            raise TypeError(f"{name}() takes {len(names)} positional arguments but "
                            f"{len(args)} were given")
        given = dict(zip(names, args, strict=False))
        for k, v in kwargs.items():
            if k not in names or k in given:
                raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
            given[k] = v
        for n in names:
            if n not in given and n in optional:  # torch's default is numpy's
                given[n] = optional[n]
            elif n not in given:
                raise TypeError(f'{name}() missing 1 required positional arguments: "{n}"')
        operands = [self] + [v if type(v) is Tensor else _from_data(v)
                             for v in (given[n] for n in others)]
        static = {}
        for torch_name, numpy_name in params:
            value = given[torch_name]
            static[numpy_name] = _dims(value, self._data.ndim) if torch_name in _DIMS else value
        return apply(op, operands, static, torch_strides=True)

    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    return method


for _op in OPS.values():
    if not _op.elementwise and not _op.entry.variadic:  # (torch.cat is no Tensor method)
        for _name in _op.methods:
            if not hasattr(Tensor, _name) and not _name.startswith("__"):
                setattr(Tensor, _name, _method(_op, _name))
