"""``torch.autograd.functional``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp``,
``hvp``, built as torch builds them (its reverse-mode strategy) on ``autograd.grad``:

- ``jacobian``: one backward per output element, rows stacked and viewed to
  ``output.shape + input.shape``; ``hessian`` is the jacobian of that jacobian;
- ``jvp`` and ``hvp`` by the double-backward trick (the vjp of a vjp, with respect to a dummy
  zero cotangent), so each costs two backward passes, as torch's does.

Inputs are detached and made to require grad (or viewed, under ``create_graph=True`` when
they already require grad); results are detached unless ``create_graph=True``. Left out:
``vectorize=True`` (accepted, ignored: the result is the same), ``strategy="forward-mode"``,
and the ``strict=True`` checks beyond an input the function does not use.
"""

from __future__ import annotations

from typing import Any

from symgrad.runtime.creation import ones_like, zeros_like
from symgrad.runtime.engine import grad as _grad
from symgrad.runtime.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from symgrad.runtime.shape import stack
from symgrad.runtime.tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"]


def _as_tuple(x: Any, arg: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, t in enumerate(xs):
        if type(t) is not Tensor:
            what = f"The {arg}" if not is_tuple else f"Entry {i} in the {arg}"
            raise TypeError(f"{what} given to {fn} must be either a Tensor or a tuple of Tensors "
                            f"but the given {arg} has type {type(t).__name__}.")
    return is_tuple, xs


def _preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in inputs)


def _postprocess(xs: Any, create_graph: bool) -> Any:
    if type(xs) is Tensor:
        return xs if create_graph else xs.detach()
    if xs is None:
        return None
    return tuple(_postprocess(x, create_graph) for x in xs)


def _untuple(res: Any, flags: Any) -> Any:
    if isinstance(flags, tuple):
        if not flags[1]:
            res = tuple(r[0] for r in res)
        if not flags[0]:
            res = res[0]
        return res
    return res if flags else res[0]


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: Any = None,
                   create_graph: bool = False, retain_graph: Any = None) -> tuple:
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    keep = [(o, g) for o, g in zip(outputs, grad_outputs, strict=True) if o is not None and o.requires_grad]
    if not keep:
        return (None,) * len(inputs)
    return _grad(tuple(o for o, _ in keep), inputs, tuple(g for _, g in keep),
                 allow_unused=True, create_graph=create_graph, retain_graph=retain_graph)


def _fill_zeros(grads: tuple, refs: tuple, strict: bool) -> tuple:
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            g = zeros_like(refs[i])
        out.append(g)
    return tuple(out)


def _check_v(v: Any, refs: tuple, what: str, fn: str) -> tuple:
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got "
                           f"{len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, refs, strict=True)):
        if a.shape != b.shape:
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")
    return vs


def jacobian(func: Any, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """``torch.autograd.functional.jacobian``: ``J[i][j]`` of shape
    ``outputs[i].shape + inputs[j].shape`` (tuples collapsed as the arguments were given)."""
    if strategy != "reverse-mode":
        raise NotImplementedError("symgrad's autograd.functional.jacobian: reverse-mode only")
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          "jacobian")
        jac: list = []
        for out in outputs:
            rows: tuple = tuple([] for _ in inputs)
            flat = out.reshape(-1)
            for k in range(out.numel()):
                vj = _autograd_grad((flat[k],), inputs, retain_graph=True,
                                    create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(vj, inputs, strict=True)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {len(jac)} of the user-provided function "
                                               f"is independent of input {j}. This is not "
                                               "allowed in strict mode.")
                        g = zeros_like(inp)
                    rows[j].append(g)
            jac.append(tuple(stack(r, 0).view(*out.shape, *inputs[j].shape) if r
                             else zeros_like(inputs[j]).new_zeros((*out.shape, *inputs[j].shape))
                             for j, r in enumerate(rows)))
        jac_t = _postprocess(tuple(jac), create_graph)
        return _untuple(jac_t, (is_out_tuple, is_in_tuple))


def hessian(func: Any, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """``torch.autograd.functional.hessian`` of a function returning one element: the jacobian
    of its jacobian."""
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def single(*inp: Any) -> Any:
        out = func(*inp)
        is_tuple, t = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_tuple or t[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element.")
        return t[0].squeeze()

    def jac_func(*inp: Any) -> Any:
        return jacobian(single, inp, create_graph=True)

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict)
    return _untuple(res, (is_in_tuple, is_in_tuple))


def vjp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``torch.autograd.functional.vjp``: ``(func(inputs), v^T J)``."""
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        if v is not None:
            v = _check_v(v, outputs, "outputs", "vjp")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
            res = _fill_zeros(res, inputs, strict)
    return (_untuple(_postprocess(outputs, create_graph), is_out_tuple),
            _untuple(_postprocess(res, create_graph), is_in_tuple))


def jvp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``torch.autograd.functional.jvp``: ``(func(inputs), J v)``, by the double-backward
    trick."""
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _check_v(v, inputs, "inputs", "jvp")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        dummy = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummy, create_graph=True)
        v = v if v is not None else (ones_like(inputs[0]),)
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            res = _autograd_grad(grad_inputs, dummy, v, create_graph=create_graph)
            res = _fill_zeros(res, outputs, strict)
    return (_untuple(_postprocess(outputs, create_graph), is_out_tuple),
            _untuple(_postprocess(res, create_graph), is_out_tuple))


def _scalar_output(func: Any, inputs: tuple, fn: str) -> Tensor:
    out = func(*inputs)
    is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn)
    if is_tuple or outs[0].numel() != 1:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor with a "
                           "single element.") if is_tuple else RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single element")
    return outs[0]


def vhp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``torch.autograd.functional.vhp``: ``(func(inputs), v^T H)``."""
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        v = _check_v(v, inputs, "inputs", "vhp") if v is not None else (ones_like(inputs[0]),)
        out = _scalar_output(func, inputs, "vhp")
        jac = _autograd_grad((out,), inputs, create_graph=True)
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
            res = _fill_zeros(res, inputs, strict)
    return _postprocess(out, create_graph), _untuple(_postprocess(res, create_graph), is_in_tuple)


def hvp(func: Any, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``torch.autograd.functional.hvp``: ``(func(inputs), H v)``, by the double-backward trick
    (for a symmetric Hessian it equals vhp, at twice the cost, as torch's docstring says)."""
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        v = _check_v(v, inputs, "inputs", "hvp") if v is not None else (ones_like(inputs[0]),)
        out = _scalar_output(func, inputs, "hvp")
        jac = _autograd_grad((out,), inputs, create_graph=True)
        dummy = tuple(zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _autograd_grad(jac, inputs, dummy, create_graph=True)
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            res = _autograd_grad(double_back, dummy, v, create_graph=create_graph)
            res = _fill_zeros(res, inputs, strict)
    return _postprocess(out, create_graph), _untuple(_postprocess(res, create_graph), is_in_tuple)
