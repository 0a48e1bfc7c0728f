"""The pipeline in one place: source -> IR -> SymPy adjoints -> numpy module text."""

from __future__ import annotations

from typing import Any

from symgrad.codegen import Generated


def transform(fn: Any, wrt: list[str]) -> tuple[Generated, Any]:
    """Differentiate ``fn`` with respect to ``wrt``: the module text and the SymPy adjoint."""
    from sympy.core.parameters import distribute

    from symgrad.adjoint import build
    from symgrad.codegen import generate
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function

    # 0.8*(x + y) stays a product, as written: SymPy would make it 0.8*x + 0.8*y
    with distribute(False):
        adjoint = build(lower(parse_function(fn)), wrt)
        return generate(adjoint), adjoint
