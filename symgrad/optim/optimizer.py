"""``optim.Optimizer``: parameter groups, per-parameter state, ``zero_grad``.

The updates work on the parameters' arrays in place (under no_grad, as torch's do), each
write bumping the parameter's version counter as an in-place Tensor op would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from symgrad.runtime.tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    @staticmethod
    def _closure_loss(closure: Any) -> Any:
        """``step(closure)``: the closure re-evaluates the loss with grad enabled, as torch's."""
        if closure is None:
            return None
        from symgrad.runtime.grad_mode import enable_grad

        with enable_grad():
            return closure()

    @staticmethod
    def _with_grads(group: dict) -> Iterator[tuple[Tensor, Any, Any]]:
        """(parameter, its data, its gradient's data) for each parameter of ``group`` that
        has a gradient; the gradient negated under ``maximize``, as torch's update reads it."""
        for p in group["params"]:
            if p._grad is not None:
                g = p._grad._data
                yield p, p._data, -g if group["maximize"] else g

    def __init__(self, params: Any, defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        if type(params) is Tensor:
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got torch.FloatTensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if type(params) is Tensor else list(params)
        for p in group["params"]:
            if type(p) is not Tensor:
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {k}")
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``.grad`` to None (torch 2.x's default), or zero it in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    g = p._grad
                    if g._grad_fn is not None:
                        p._grad = g = g.detach()
                    g._data[...] = 0

    def state_dict(self) -> dict:
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: s for group in self.param_groups for p in group["params"]
                 if (s := self.state.get(p)) is not None}
        return {"state": state, "param_groups": groups}

    def __repr__(self) -> str:
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):  # torch's: a blank line between groups
            out += f"\nParameter Group {i}\n"
            for k in sorted(group):
                if k != "params":
                    out += f"    {k}: {group[k]}\n"
        return out + ")"


def _bump(p: Tensor) -> None:
    if p._ver is not None:
        p._ver[0] += 1
