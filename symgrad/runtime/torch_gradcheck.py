"""``torch.autograd.gradcheck`` / ``gradgradcheck`` for Tensor functions: the backward's
Jacobian against central finite differences, with torch's tolerances, warning and error.

(``symgrad.gradcheck`` is the other one: it checks a ``@symgrad.grad`` function of arrays.)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from symgrad.runtime.engine import grad as _autograd_grad
from symgrad.runtime.tensor import Tensor, _wrap

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func: Any, inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)))


def _numerical(func: Any, inputs: tuple, i: int, outs_meta: list, eps: float) -> list:
    """d out_k / d inputs[i] as (n_in, n_out_k) arrays, by central differences in place."""
    x = inputs[i]._data
    flat = x.reshape(-1)  # (a view: the inputs are contiguous copies in the checks below)
    jac = [np.zeros((x.size, size), dt) for size, dt in outs_meta]
    for j in range(x.size):
        orig = flat[j].copy()
        flat[j] = orig - eps
        lo = [np.array(o._data if type(o) is Tensor else o, copy=True).reshape(-1)
              for o in _outputs(func, inputs)]
        flat[j] = orig + eps
        hi = [np.array(o._data if type(o) is Tensor else o, copy=True).reshape(-1)
              for o in _outputs(func, inputs)]
        flat[j] = orig
        for k, (a, b) in enumerate(zip(lo, hi, strict=True)):
            if k < len(jac):
                jac[k][j] = (b - a) / (2 * eps)
    return jac


def gradcheck(func: Any, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: Any = None) -> bool:
    """True when the gradients ``func``'s backward gives every input that requires grad match
    central differences (``allclose(analytical, numerical, rtol, atol)``); otherwise raises
    torch's ``GradcheckError`` ("Jacobian mismatch for output k with respect to input i")
    or, with ``raise_exception=False``, returns False."""
    inputs = _as_tuple(inputs)
    diff = [i for i, a in enumerate(inputs) if type(a) is Tensor and a._requires_grad]
    for n, i in enumerate(diff):
        if inputs[i]._data.dtype not in (np.float64, np.complex128):
            warnings.warn(
                f"Input #{n} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", UserWarning, stacklevel=2)
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    outs = _outputs(func, inputs)
    douts = [o for o in outs if type(o) is Tensor and o._data.dtype.kind in "fc"]
    meta = [(o._data.size, o._data.dtype) for o in douts]
    # analytical: one backward per output element
    analytical = {(i, k): np.zeros((inputs[i]._data.size, size), dt)
                  for i in diff for k, (size, dt) in enumerate(meta)}
    for k, o in enumerate(douts):
        if not o._requires_grad:
            continue
        for e in range(o._data.size):
            seed = np.zeros(o._data.size, o._data.dtype)
            seed[e] = 1
            grads = _autograd_grad(o, [inputs[i] for i in diff], _wrap(seed.reshape(o._data.shape)),
                                   retain_graph=True, allow_unused=True)
            for i, g in zip(diff, grads, strict=True):
                if g is not None:
                    analytical[i, k][:, e] = g._data.reshape(-1)
    for n, i in enumerate(diff):
        numerical = _numerical(func, inputs, i, meta, eps)
        for k in range(len(douts)):
            a, num = analytical[i, k], numerical[k]
            if not np.allclose(a, num, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {k:d} with respect to input {n:d},\n"
                    f"numerical:{_wrap(num)}\nanalytical:{_wrap(a)}\n")
    return True


def gradgradcheck(func: Any, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the map (inputs, grad_outputs) -> the gradients of ``func`` (computed with
    ``create_graph=True``): checks second derivatives. Random ``grad_outputs`` (requiring
    grad) are made when none are given."""
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(rng.uniform(-9, 9, o._data.shape).astype(o._data.dtype)).requires_grad_()
            for o in outs if type(o) is Tensor and o._data.dtype.kind in "fc")
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff = [i for i, a in enumerate(inputs) if type(a) is Tensor and a._requires_grad]

    def new_func(*args: Any) -> tuple:
        ins, gos = args[:n_in], args[n_in:]
        os = [o for o in _outputs(func, ins) if type(o) is Tensor and o._data.dtype.kind in "fc"]
        pairs = [(o, g) for o, g in zip(os, gos, strict=True) if o._requires_grad]
        grads = _autograd_grad([o for o, _ in pairs], [ins[i] for i in diff],
                               [g for _, g in pairs], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
