"""The one exception users see: where, what, and what to write instead."""

from __future__ import annotations


class SymgradError(Exception):
    """Raised at decoration time for code symgrad cannot differentiate, and for bad input.

    The message names the file and line, quotes the offending source with a caret
    under the offending expression (like Python's SyntaxError) and gives a hint.
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
            where = f'File "{self.filename or "<unknown>"}"'
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
