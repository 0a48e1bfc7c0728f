"""Which kinds of node an expression holds, as bits, memoised by subexpression.

The sweep asks of each new adjoint whether it holds a where, shape metadata, shape plumbing
for ``Shapes.resolve``, or what ``simplify.clean`` rewrites; each question was a pass over
the whole expression (``has``, ``preorder_traversal``). Here one pass answers all of them,
and only over the nodes not seen before: a new adjoint is mostly made of parts of earlier
ones and of the primal.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from symgrad.adjoint import ranks
from symgrad.rules import masks
from symgrad.rules.shape import _Meta
from symgrad.simplify import cleaned_by_clean

WHERE = 1  # masks.Where
META = 2  # shape metadata (x.size, np.broadcast(a, b)): Shapes.canon points it at a name
PLUMBING = 4  # what ranks.resolve rewrites (_sum_to, _broadcast_to, ...)
CLEAN = 8  # what simplify.clean may change (simplify.cleaned_by_clean)

_BY_TYPE: dict[type, int] = {}


def _type_bits(kind: type) -> int:
    bits = _BY_TYPE.get(kind)
    if bits is None:
        bits = (WHERE if issubclass(kind, masks.Where) else 0) | \
            (META if issubclass(kind, _Meta) else 0) | \
            (PLUMBING if issubclass(kind, ranks._PLUMBING) else 0)
        _BY_TYPE[kind] = bits
    return bits


@lru_cache(maxsize=1 << 17)
def kinds(expr: Any) -> int:
    """The bits of the kinds of node in ``expr`` (``expr`` included): WHERE, META,
    PLUMBING, CLEAN. Over ``expr.args``, the nodes ``sp.preorder_traversal`` and ``has``
    visit."""
    bits = _type_bits(type(expr))
    if cleaned_by_clean(expr):
        bits |= CLEAN
    for a in expr.args:
        bits |= kinds(a)
    return bits
