"""The pipeline in one place: source -> IR -> SymPy adjoints -> numpy module text."""

from __future__ import annotations

from typing import Any

from symgrad.generated import Generated


def transform(fn: Any, wrt: list[str], has_aux: bool = False,
              statics: dict[str, Any] | None = None,
              ranks: dict[str, Any] | None = None) -> tuple[Generated, Any]:
    """Differentiate ``fn`` with respect to ``wrt``: the module text and the SymPy adjoint.

    ``has_aux``: ``fn`` returns ``(value, aux...)`` and only ``value`` is differentiated.
    ``statics``: parameter -> the value the module is specialised for (a ``reduction="mean"``
    string, an ``axis`` number): the code reads it as a constant. ``ranks``: parameter -> the
    rank pattern of its array argument (``symgrad.adjoint.ranks``): the gradient is written
    for arrays of those ranks, its shape plumbing decided here."""
    from sympy.core.parameters import distribute

    from symgrad.adjoint import build
    from symgrad.codegen import generate
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function

    # 0.8*(x + y) stays a product, as written: SymPy would make it 0.8*x + 0.8*y
    with distribute(False):
        parsed = parse_function(fn)
        params = {a.arg for a in parsed.tree.args.posonlyargs + parsed.tree.args.args +
                  parsed.tree.args.kwonlyargs}
        adjoint = build(lower(parsed, frozenset(params - set(wrt)), statics or {}), wrt,
                        has_aux, ranks)
        note = ""
        if ranks:  # which arrays the code is for (N: an axis whose length is not 1)
            from symgrad.patterns import spelled

            note = " on arrays " + ", ".join(f"{n} {spelled(p)}" for n, p in ranks.items()) \
                + " (N: a length other than 1)"
        return generate(adjoint, note), adjoint
