"""The one exception users see: where, what, and what to write instead."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class SymgradError(Exception):
    """Raised at decoration time for code symgrad cannot differentiate, and for bad input.

    The message names the file and line (a notebook cell as IPython does, ``Cell In[3],
    line 2``), quotes the offending source with a caret under the offending expression (like
    Python's SyntaxError) and gives a hint.
    """

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        lineno: int | None = None,
        source_line: str | None = None,
        col: int | None = None,
        end_col: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line = source_line
        self.col = col
        self.end_col = end_col
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.filename is not None or self.lineno is not None:
            cell = notebook_cell(self.filename)
            where = cell if cell is not None else f'File "{self.filename or "<unknown>"}"'
            if self.lineno is not None:
                where += f", line {self.lineno}"
            parts.append(where)
        if self.source_line is not None:
            text = self.source_line.rstrip("\n")
            stripped = text.lstrip()
            indent = len(text) - len(stripped)
            parts.append("    " + stripped)
            if self.col is not None and self.col >= indent:
                width = max(1, (self.end_col or self.col + 1) - self.col)
                parts.append("    " + " " * (self.col - indent) + "^" * width)
        parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


def notebook_cell(filename: str | None) -> str | None:
    """``Cell In[3]`` for code IPython or Jupyter compiled from a cell, else None.

    A cell's code is compiled under a file name such as ``/tmp/ipykernel_4242/123.py`` (or
    ``<ipython-input-3-...>``); IPython's traceback names it through its compiler's
    ``format_code_name``, and so does symgrad. IPython is never imported here: only a running
    shell has cells to name.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if filename is None or get_ipython is None:
        return None
    try:
        name = get_ipython().compile.format_code_name(filename)
    except Exception:  # no shell running, or an IPython without format_code_name
        return None
    if not name:
        return None
    label, cell = name
    return f"{label} {cell}"


def api_boundary(fn: F) -> F:
    """Let a SymgradError leave symgrad from here, with symgrad's own frames cut.

    The message already names the user's file and line and quotes the source: twenty frames
    of the lowering above it only hide it. The outermost boundary wins, so a user sees their
    own line and one line of symgrad. Other exceptions (symgrad's bugs) keep every frame.
    """

    @functools.wraps(fn)
    def boundary(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SymgradError as error:
            # symgrad's own frames cut: the message names your line (a cause stays shown)
            raise error.with_traceback(None) from error.__cause__  # symgrad frames cut

    return boundary  # type: ignore[return-value]


def a_or_an(noun: str) -> str:
    """``an int``, ``a str``: the article English puts before a (type) name."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
