"""``symgrad.gradcheck``: the generated gradient against central differences.

Like ``torch.autograd.gradcheck``: every entry of every floating ``wrt`` argument is
perturbed by ``±eps`` in float64, and the result must satisfy
``|analytic - numeric| <= atol + rtol * |numeric|``. A non-scalar output (or a tuple of
outputs) is contracted with a fixed random cotangent, so one gradient call checks them all:
a vector-Jacobian product is exactly what the generated code computes. The rounding noise
of the differences themselves (a few ulps of the contracted output, divided by the step) is
allowed on top of ``atol``, so a large output with tiny gradient entries does not fail
spuriously.

An entry that fails is differenced again with a step ten times smaller. When the two
estimates disagree with each other beyond the tolerance and by a tenth of their size or more
(a chaotic recurrence, a kink within the step), central differences cannot judge the
gradient there: the report says "finite differences unstable here" rather than FAILED. (Two
estimates that agree with each other and not with symgrad are a failure, however large.)
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgrad.errors import SymgradError, api_boundary

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
    step: float = 0.0  # the finite-difference step
    numeric_fine: float | None = None  # with a 10x smaller step, if differenced again

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
    disagrees: bool = False  # some entry fails where central differences are stable
    shaky: Mismatch | None = None  # the worst entry where two steps disagree with each other
    shaky_count: int = 0

    @property
    def unstable(self) -> bool:
        """No entry fails, but at some central differences disagree with themselves."""
        return self.shaky is not None and not self.disagrees

    def summary(self) -> str:
        if self.worst is None and self.shaky is None:
            return f"{self.function}: nothing to check (no floating wrt arguments)"
        if self.unstable:
            w = self.shaky
            assert w is not None
            return (f"{self.function}: finite differences unstable here: at {w.where} central "
                    f"differences give {w.numeric:.10g} with step {w.step:.3g} and "
                    f"{w.numeric_fine:.10g} with step {w.step / 10:.3g} (symgrad "
                    f"{w.analytic:.10g}), so they cannot check the gradient at these inputs "
                    f"({self.shaky_count} of {self.checked} entries)")
        w = self.worst
        assert w is not None
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


@api_boundary
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
    try:
        outputs = call(values)
    except Exception as exc:  # the user's own function refuses these arguments
        raise _cannot_run(g, values, exc) from None
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

    def central(name: str, x: np.ndarray, pos: tuple, h: float) -> tuple[float, float]:
        """The central difference at ``pos`` with step ``h``, and its rounding noise."""
        plus, minus = x.copy(), x.copy()
        plus[pos] += h
        minus[pos] -= h
        f_plus = contracted({**values, name: plus})
        f_minus = contracted({**values, name: minus})
        return (f_plus - f_minus) / (2 * h), 4 * _EPS * (abs(f_plus) + abs(f_minus)) / (2 * h)

    grads = g.value_and_grad(*[values[n] for n in names], **{g.seed_name: seed})[1]
    grads = grads if isinstance(grads, tuple) else (grads,)
    worst: Mismatch | None = None  # among the entries central differences can judge
    shaky: Mismatch | None = None
    checked = shaky_count = 0
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
            numeric, noise = central(name, x, pos, h)
            analytic = float(grad[pos])
            scale = atol / rtol + abs(numeric)
            error = abs(analytic - numeric) / scale
            beyond_noise = max(0.0, abs(analytic - numeric) - noise) / scale
            if np.isnan(error):
                error = beyond_noise = float("inf")
            checked += 1
            entry = Mismatch(name, tuple(int(i) for i in pos), analytic, numeric, error, h)
            if beyond_noise > rtol:
                entry.numeric_fine, noise_fine = central(name, x, pos, h / 10)
                spread = max(0.0, abs(entry.numeric_fine - numeric) - noise - noise_fine)
                if spread > rtol * scale and \
                        10 * spread >= max(abs(numeric), abs(entry.numeric_fine)):
                    shaky_count += 1  # the differences disagree with themselves
                    if shaky is None or error > shaky.error:
                        shaky = entry
                    continue
                failing = True
            if worst is None or error > worst.error:
                worst = entry
    ok = not failing and shaky is None
    return Report(ok, worst, checked, rtol, atol, f"gradient of {g.fn.__name__}",
                  disagrees=failing, shaky=shaky, shaky_count=shaky_count)


def _cannot_run(g: Any, values: dict, exc: BaseException) -> SymgradError:
    """The user's function fails at the arguments given: say so at its failing line."""
    code = g.fn.__code__
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename == code.co_filename]
    frame = frames[-1] if frames else None
    given = ", ".join(f"{n} {np.shape(v)}" for n, v in values.items()
                      if isinstance(v, (np.ndarray, float, int)) and not isinstance(v, bool))
    return SymgradError(
        f"{g.fn.__name__} cannot run at these arguments ({given}): "
        f"{type(exc).__name__}: {exc}",
        filename=code.co_filename if frame is None else frame.filename,
        lineno=code.co_firstlineno if frame is None else frame.lineno,
        source_line=None if frame is None else frame.line,
        hint="give shapes that fit together as the function needs them (x @ w needs x's "
        "last axis as long as w's first); call the function on them to see")


@api_boundary
def gradcheck(fn: Any, *args: Any, wrt: Any = None, eps: float = 1e-6, rtol: float = 1e-5,
              atol: float = 1e-8, raise_exception: bool = False, **kwargs: Any) -> bool:
    """True when ``fn``'s generated gradient matches central differences at ``args``.

    ``fn`` is a ``symgrad.grad`` function or a plain numpy function (differentiated here,
    with respect to ``wrt``). Floating arguments are checked in float64. With
    ``raise_exception=True`` a mismatch raises GradcheckError naming the worst entry's
    position and both values, like ``torch.autograd.gradcheck``. Where central differences
    are unstable (two step sizes disagree with each other), the gradient cannot be confirmed:
    False, or a GradcheckError saying so.
    """
    report = check(fn, *args, wrt=wrt, eps=eps, rtol=rtol, atol=atol, **kwargs)
    if report.unstable and raise_exception:
        raise GradcheckError(
            f"{report.summary()}",
            hint="check at other inputs, or with another eps= (a recurrence that amplifies "
            "perturbations, or a kink within the step, makes central differences unreliable)")
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
