"""Python's cycle collector paused while symgrad makes the many objects of a transformation.

No SymPy here: a decoration that finds its module in the disk cache never imports SymPy.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off for a while (as it was after): the lowering and the
    fusion pass make hundreds of thousands of SymPy objects, freed by their reference
    counts, and the collector walked them all over and over (a seventh of a long
    function's lowering). Garbage in cycles made meanwhile is collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
