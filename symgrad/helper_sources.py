"""The source of the helper functions (``symgrad.helpers``) a generated module copies in:
which ones a module needs (the ones its code calls, and the ones they call), in order.

``inspect.getsource`` finds a function's lines and tokenizes them to find where it ends:
asked of every helper at every generation (to find which helpers call which), that was a
hundredth of a long function's; here each function's source is read once."""

from __future__ import annotations

import inspect
import re
from functools import lru_cache

from symgrad import helpers


def helper_sources() -> dict[str, str]:
    """Each helper's name -> its source, in ``inspect.getmembers`` order (read again where
    a helper was replaced)."""
    return _sources(tuple(inspect.getmembers(helpers, inspect.isfunction)))


@lru_cache(maxsize=8)
def _sources(functions: tuple) -> dict[str, str]:
    return {name: inspect.getsource(f) for name, f in functions}


def helper_closure(used: set[str]) -> list[str]:
    """The helpers used plus the helpers they call, in the order of helpers.py."""
    sources = helper_sources()
    order = list(sources)
    want = set(used)
    changed = True
    while changed:
        changed = False
        for n in list(want):
            for m in order:
                if m not in want and re.search(rf"\b{m}\(", sources[n]):
                    want.add(m)
                    changed = True
    line = {n: getattr(helpers, n).__code__.co_firstlineno for n in want}
    return sorted(want, key=line.get)
