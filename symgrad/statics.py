"""Static parameters: the ones a function needs as constants (``reduction="mean"``,
``axis=0``), for which the generated code is specialised by value (``api.GradFunction``
switches modules when a call passes another value; the cache key holds the values).

Like ``jax.jit``'s ``static_argnames``, but inferred: a parameter that is not differentiated,
whose default is a str, int, bool, tuple or None, and without which the transformation
fails. An int used only as a number (``range(n)``) stays an ordinary argument.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symgrad.errors import SymgradError

MAX_SPECIALISATIONS = 32  # distinct values of a function's static parameters


def static_ok(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(map(static_ok, value))
    return value is None or type(value) in (str, int, bool) or isinstance(value, np.integer)


def same_statics(a: tuple, b: tuple) -> bool:
    """Equal static values, of the same types (1 and True and 1.0 are not one value)."""
    return len(a) == len(b) and all(type(x) is type(y) and (x == y if not isinstance(
        x, tuple) else same_statics(x, y)) for x, y in zip(a, b, strict=True))


def infer_statics(fn: Callable, wrt: Sequence[str], has_aux: bool,
                  signature: inspect.Signature, error: SymgradError) -> dict[str, Any]:
    """The parameters ``fn`` needs as constants (``reduction="mean"``, ``axis=0``): those not
    differentiated whose default is a str, int, bool, tuple or None, and without which the
    transformation fails; their defaults are the first values specialised for. Re-raises
    ``error`` when no such set makes it work."""
    from symgrad.transform import transform

    candidates = {n: p.default for n, p in signature.parameters.items()
                  if n not in wrt and p.default is not inspect.Parameter.empty and
                  static_ok(p.default)}
    if not candidates:
        raise error

    def works(statics: dict[str, Any]) -> bool:
        try:
            transform(fn, list(wrt), has_aux, statics)
        except SymgradError:
            return False
        return True

    if not works(candidates):
        raise error
    needed = dict(candidates)
    for name in list(candidates):  # the fewest: a number used as a number stays an argument
        trial = {k: v for k, v in needed.items() if k != name}
        if trial and works(trial):
            needed = trial
    return needed
