"""The pipeline in one place: source -> IR -> SymPy adjoints -> numpy module text."""

from __future__ import annotations

from typing import Any

from symgrad.codegen import Generated


def transform(fn: Any, wrt: list[str]) -> tuple[Generated, Any]:
    """Differentiate ``fn`` with respect to ``wrt``: the module text and the SymPy adjoint."""
    from symgrad.adjoint import build
    from symgrad.codegen import generate
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function

    adjoint = build(lower(parse_function(fn)), wrt)
    return generate(adjoint), adjoint
