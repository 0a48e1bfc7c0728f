"""``nn.Module`` and ``nn.Parameter``: torch's module tree, over symgrad's Tensor.

A Parameter is a Tensor (the same class, flagged): it records and differentiates exactly as any
Tensor does, through the registry's rules. ``isinstance(p, nn.Parameter)`` holds and it prints
``Parameter containing:``; unlike torch, ``type(p)`` is ``Tensor``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.tensor import Tensor, _box, _wrap


class _ParameterMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return type(obj) is Tensor and obj._is_param


class Parameter(Tensor, metaclass=_ParameterMeta):
    """``nn.Parameter(data, requires_grad=True)``: a leaf Tensor sharing ``data``'s memory that a
    Module registers as its parameter when assigned to one of its attributes."""

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Any:
        if data is None:
            from symgrad.runtime.creation import empty

            data = empty(0)
        if type(data) is not Tensor:
            raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")
        p = _wrap(data._data)
        p._ver = _box(data)
        p._is_param = True
        if requires_grad:
            p.requires_grad_(True)
        return p


def _addindent(text: str, n: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


def fused_call(module: Any, args: tuple) -> Any:
    from symgrad.nn.fused import fused_call

    return fused_call(module, args)


class Module:
    """``nn.Module``: parameters and sub-modules registered by attribute assignment,
    ``__call__`` runs ``forward`` (for a module of your own whose forward is plain tensor
    code, as one graph node with the generated backward: ``nn/fused.py``),
    ``train()``/``eval()`` set ``training``."""

    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes no arguments")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    # -- registration --------------------------------------------------------------------------

    def _dicts(self) -> tuple:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                "cannot assign parameters or modules before Module.__init__() call")
        return d["_parameters"], d["_buffers"], d["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            params, buffers, modules = self._dicts()
            self.__dict__.pop(name, None)
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params, buffers, modules = self._dicts()
            self.__dict__.pop(name, None)
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        else:
            d = self.__dict__
            if name in d.get("_parameters", ()):
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__module__}.{type(value).__name__}'"
                                    f" as parameter '{name}' (torch.nn.Parameter or None expected)")
                d["_parameters"][name] = None
            elif name in d.get("_modules", ()):
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__module__}.{type(value).__name__}'"
                                    f" as child module '{name}' (torch.nn.Module or None expected)")
                d["_modules"][name] = None
            elif name in d.get("_buffers", ()):
                d["_buffers"][name] = value
            else:
                object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            sub = d.get(key)
            if sub is not None and name in sub:
                return sub[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            sub = self.__dict__.get(key)
            if sub is not None and name in sub:
                del sub[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Any) -> None:
        self._dicts()[0][name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        self._dicts()[1][name] = tensor
        skip = self.__dict__.setdefault("_non_persistent", set())
        (skip.discard if persistent else skip.add)(name)

    def add_module(self, name: str, module: Any) -> None:
        self._dicts()[2][name] = module

    register_module = add_module

    # -- traversal -----------------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "") -> Iterator:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self) -> Iterator:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator:
        seen: set = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, p in m._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield mprefix + ("." if mprefix else "") + name, p

    def parameters(self, recurse: bool = True) -> Iterator:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator:
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, b in m._buffers.items():
                if b is not None:
                    yield mprefix + ("." if mprefix else "") + name, b

    def buffers(self, recurse: bool = True) -> Iterator:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _state_items(self, prefix: str, keep_vars: bool) -> Iterator:
        # torch's state_dict walks every child under each of its names (a module shared by
        # two attributes appears twice), unlike parameters()
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p if keep_vars else p.detach()
        skip = self.__dict__.get("_non_persistent", ())
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                yield prefix + name, b if keep_vars or type(b) is not Tensor else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                yield from m._state_items(prefix + name + ".", keep_vars)

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        out = OrderedDict() if destination is None else destination
        out.update(self._state_items(prefix, keep_vars))
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        own = dict(self._state_items("", True))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               f"missing keys {missing}, unexpected keys {unexpected}")
        from symgrad.runtime.grad_mode import no_grad

        with no_grad():
            for k, v in state_dict.items():
                if k in own:
                    own[k].copy_(v)
        return missing, unexpected

    # -- state ---------------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p._grad is not None:
                if set_to_none:
                    p._grad = None
                else:
                    g = p._grad
                    if g._grad_fn is not None:
                        p._grad = g = g.detach()
                    g._data[...] = 0

    def apply(self, fn: Any) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def double(self) -> Module:
        return self._cast("float64")

    def float(self) -> Module:
        return self._cast("float32")

    def _cast(self, name: str) -> Module:
        import numpy as np

        for p in self.parameters():
            p._data = p._data.astype(np.dtype(name))
            if p._grad is not None:
                p._grad = p._grad.to(p.dtype)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        from symgrad.runtime import dtypes

        for a in (*args, *kwargs.values()):
            if type(a) is dtypes.dtype:
                return self._cast(a._name)
        return self

    def cpu(self) -> Module:
        return self

    # -- calling -------------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and _Mode.enabled and not type(self).__module__.startswith("symgrad."):
            out = fused_call(self, args)  # plain tensor code: one node (nn/fused.py)
            if out is not NotImplemented:
                return out
        return self.forward(*args, **kwargs)

    # -- printing ------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(m), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list:
        return sorted(set(object.__dir__(self)) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))
