"""A note on stderr when a transformation is slow, so that a long pause is never silent."""

from __future__ import annotations

import inspect
import sys
import time
from typing import Any

SLOW_SECONDS = 2.0  # a transformation longer than this says so
clock = time.perf_counter


def where(fn: Any) -> str:
    """``name (file:line)`` of the function being transformed."""
    code = getattr(inspect.unwrap(fn), "__code__", None)
    place = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    return f"{getattr(fn, '__qualname__', fn)}{place}"


def report(fn: Any, seconds: float, cached_in: str | None) -> None:
    """One line on stderr if transforming ``fn`` took longer than ``SLOW_SECONDS``."""
    if seconds <= SLOW_SECONDS:
        return
    kept = f"on disk in {cached_in}" if cached_in else "in memory for this process"
    print(f"symgrad: transforming {where(fn)} took {seconds:.1f} s; the result is cached "
          f"{kept}, so the next use is fast", file=sys.stderr)
