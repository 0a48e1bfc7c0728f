"""``symgrad.gradcheck``: the generated gradient against central differences.

Like ``torch.autograd.gradcheck``: every entry of every floating ``wrt`` argument is
perturbed by ``±eps`` in float64, and the result must satisfy
``|analytic - numeric| <= atol + rtol * |numeric|``. A non-scalar output (or a tuple of
outputs) is contracted with a fixed random cotangent, so one gradient call checks them all:
a vector-Jacobian product is exactly what the generated code computes. The rounding noise
of the differences themselves (a few ulps of the contracted output, divided by the step) is
allowed on top of ``atol``, so a large output with tiny gradient entries does not fail
spuriously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from symgrad.errors import SymgradError

_EPS = float(np.finfo(np.float64).eps)


class GradcheckError(SymgradError):
    """The generated gradient disagrees with central differences."""


@dataclass
class Mismatch:
    """The worst entry found by a gradient check."""

    name: str  # the parameter
    index: tuple  # position inside it (() for a scalar)
    analytic: float
    numeric: float
    error: float  # |analytic - numeric| / (atol / rtol + |numeric|)

    @property
    def where(self) -> str:
        return self.name + (str(list(self.index)) if self.index else "")


@dataclass
class Report:
    ok: bool
    worst: Mismatch | None
    checked: int  # entries perturbed
    rtol: float
    atol: float
    function: str

    def summary(self) -> str:
        if self.worst is None:
            return f"{self.function}: nothing to check (no floating wrt arguments)"
        w = self.worst
        text = (f"{self.function}: worst relative error {w.error:.3g} at {w.where} "
                f"(symgrad {w.analytic:.10g}, central differences {w.numeric:.10g}; "
                f"{self.checked} entries checked)")
        return text + (" ok" if self.ok else f" FAILED (rtol={self.rtol:g}, atol={self.atol:g})")


def _as_grad_function(fn: Any, wrt: Any) -> Any:
    from symgrad.api import GradFunction, grad

    if isinstance(fn, GradFunction):
        if wrt is None or tuple([wrt] if isinstance(wrt, (str, int)) else wrt) == fn.wrt:
            return fn
        return grad(fn.fn, wrt=wrt, has_aux=fn.has_aux)
    return grad(fn, wrt=wrt)


def _is_real(a: Any) -> bool:
    return isinstance(a, (float, np.floating)) or (
        isinstance(a, np.ndarray) and a.dtype.kind == "f")


def check(fn: Any, *args: Any, wrt: Any = None, eps: float = 1e-6, rtol: float = 1e-5,
          atol: float = 1e-8, max_points: int | None = None, rng_seed: int = 0,
          **kwargs: Any) -> Report:
    """Check ``fn``'s generated gradient at ``args`` against central differences of ``fn``
    itself; a Report with the worst entry."""
    g = _as_grad_function(fn, wrt)
    bound = g._bind(args, kwargs)
    values = dict(bound.arguments)
    for name, v in values.items():  # check in float64, like torch.autograd.gradcheck
        if _is_real(v):
            values[name] = np.array(v, dtype=np.float64)
    names = list(values)

    def call(vals: dict) -> Any:
        # differences of the user's own function (on copies: it may write into its
        # arguments), so that a primal symgrad got wrong cannot pass
        result = g.fn(*[np.array(vals[n], copy=True) if isinstance(vals[n], np.ndarray)
                        else vals[n] for n in names])
        return result[0] if g.has_aux else result  # the aux outputs are not differentiated

    rng = np.random.default_rng(rng_seed)
    outputs = call(values)
    multiple = isinstance(outputs, tuple)
    outs = outputs if multiple else (outputs,)
    seeds = tuple(np.float64(1.0) if np.ndim(o) == 0 else rng.standard_normal(np.shape(o))
                  for o in outs)
    seed = seeds if multiple else seeds[0]

    def contracted(vals: dict) -> float:
        result = call(vals)
        results = result if multiple else (result,)
        return float(sum(np.sum(s * np.asarray(r, dtype=np.float64))
                         for s, r in zip(seeds, results, strict=True)))

    grads = g.grad(*[values[n] for n in names], seed=seed)
    if g.has_aux:
        grads = grads[0]
    grads = grads if isinstance(grads, tuple) else (grads,)
    worst: Mismatch | None = None
    checked = 0
    failing = False
    for name, grad in zip(g.wrt, grads, strict=True):
        x = values[name]
        if not _is_real(x) or grad is None:
            continue
        grad = np.broadcast_to(np.asarray(grad, dtype=np.float64), np.shape(x))
        size = int(np.size(x))
        points = range(size) if max_points is None or size <= max_points else \
            rng.choice(size, max_points, replace=False)
        for flat in points:
            pos = np.unravel_index(int(flat), np.shape(x))
            h = eps * max(1.0, abs(float(x[pos])))
            plus, minus = x.copy(), x.copy()
            plus[pos] += h
            minus[pos] -= h
            f_plus = contracted({**values, name: plus})
            f_minus = contracted({**values, name: minus})
            numeric = (f_plus - f_minus) / (2 * h)
            noise = 4 * _EPS * (abs(f_plus) + abs(f_minus)) / (2 * h)
            analytic = float(grad[pos])
            scale = atol / rtol + abs(numeric)
            error = abs(analytic - numeric) / scale
            beyond_noise = max(0.0, abs(analytic - numeric) - noise) / scale
            if np.isnan(error):
                error = beyond_noise = float("inf")
            checked += 1
            failing = failing or beyond_noise > rtol
            if worst is None or error > worst.error:
                worst = Mismatch(name, tuple(int(i) for i in pos), analytic, numeric, error)
    ok = not failing
    return Report(ok, worst, checked, rtol, atol, f"gradient of {g.fn.__name__}")


def gradcheck(fn: Any, *args: Any, wrt: Any = None, eps: float = 1e-6, rtol: float = 1e-5,
              atol: float = 1e-8, raise_exception: bool = False, **kwargs: Any) -> bool:
    """True when ``fn``'s generated gradient matches central differences at ``args``.

    ``fn`` is a ``symgrad.grad`` function or a plain numpy function (differentiated here,
    with respect to ``wrt``). Floating arguments are checked in float64. With
    ``raise_exception=True`` a mismatch raises GradcheckError naming the worst entry's
    position and both values, like ``torch.autograd.gradcheck``.
    """
    report = check(fn, *args, wrt=wrt, eps=eps, rtol=rtol, atol=atol, **kwargs)
    if not report.ok and raise_exception:
        w = report.worst
        assert w is not None
        raise GradcheckError(
            f"{report.function} is wrong at {w.where}: symgrad gives {w.analytic!r}, central "
            f"differences give {w.numeric!r} (relative error {w.error:.3g} > rtol={rtol:g}, "
            f"atol={atol:g}, eps={eps:g})",
            hint="if the function is not differentiable at this point (abs, max, relu at 0), "
            "check at another point; otherwise this is a symgrad bug: please report it",
        )
    return report.ok
