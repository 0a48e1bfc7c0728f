"""Rank patterns: an array's rank and which of its axes have length 1, the key of the
generated code's specialisations (``GradFunction._ranked_for``; ``adjoint.ranks`` decides
shapes from them). No SymPy here: a call with new ranks on a warm disk cache needs none.

A pattern is a tuple with one flag per axis: True where the axis has length 1, False where
it does not, None where that is unknown; the pattern itself is None where even the rank is
unknown. ``np.zeros((8, 1))`` has ``(False, True)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Pattern = tuple[bool | None, ...] | None


def of_shape(shape: tuple[int, ...]) -> tuple[bool, ...]:
    """The pattern of an array of this shape."""
    return tuple(d == 1 for d in shape)


def of_value(value: Any) -> Pattern:
    """The pattern of a call's argument: known for a numpy array, None for anything else (a
    Python number, a tuple of arrays: the generic code serves them)."""
    return of_shape(value.shape) if type(value) is np.ndarray else None


def spelled(pattern: Pattern) -> str:
    """``(N, 1)`` for ``(False, True)``; ``?`` for an unknown pattern (a cache key, a name)."""
    if pattern is None:
        return "?"
    return "(" + ", ".join("1" if f else "N" for f in pattern) + ("," if len(pattern) == 1
                                                                  else "") + ")"


def broadcast(patterns: list[Pattern]) -> Pattern:
    """The pattern of numpy's broadcast of operands with these patterns."""
    if any(p is None for p in patterns):
        return None
    n = max((len(p) for p in patterns), default=0)
    out: list[bool | None] = []
    for i in range(n):
        flags = [p[i - n + len(p)] for p in patterns if i - n + len(p) >= 0]
        out.append(False if False in flags else True if all(flags) else None)
    return tuple(out)


def merge(a: Pattern, b: Pattern) -> Pattern:
    """What a value that is either ``a`` or ``b`` is known to have."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b, strict=True))


def refines(a: Pattern, b: Pattern) -> bool:
    """Whether every value with pattern ``a`` also has pattern ``b`` (``b`` knows less)."""
    if b is None:
        return True
    return a is not None and len(a) == len(b) and \
        all(y is None or x == y for x, y in zip(a, b, strict=True))


def fills(small: Pattern, big: Pattern) -> bool:
    """Whether a value that broadcasts against ``big`` without growing it has exactly its
    shape: the same rank, and no axis of length 1 where ``big`` may be longer."""
    return small is not None and big is not None and len(small) == len(big) and \
        all(s is False or b is True for s, b in zip(small, big, strict=True))


