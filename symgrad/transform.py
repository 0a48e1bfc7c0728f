"""The pipeline in one place: source -> IR -> SymPy adjoints -> numpy module text.

``lowered`` runs its first step alone: everything a decoration must refuse (unsupported code,
with file, line and hint) is refused there, and the adjoint and the module text wait for the
first call, which makes them for its arguments' ranks (``api``)."""

from __future__ import annotations

from typing import Any

from symgrad.generated import Generated


def lowered(fn: Any, wrt: list[str], has_aux: bool = False,
            statics: dict[str, Any] | None = None, parsed: Any = None) -> tuple[Any, bool]:
    """``(ir, complete)``: ``fn`` lowered to the IR, which ``transform(lowered=ir)`` takes,
    after every check that refuses code at decoration time. ``complete`` is False when one
    check needs the module text itself: a name of ``fn``'s that is also the name of one of
    the generated code's helpers (refused only where the code calls that helper), so the
    caller should transform now to refuse it at decoration. ``parsed``: ``parse_function(fn)``
    if the caller has it (the lowering may change its tree)."""
    from sympy.core.parameters import distribute

    from symgrad import helpers
    from symgrad.adjoint import build
    from symgrad.frontend.ir import defines, walk
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function
    from symgrad.frontend.pauses import without_cycle_collection

    with distribute(False), without_cycle_collection():  # (distribute: as transform lowers)
        parsed = parsed or parse_function(fn)
        ir = lower(parsed, _not_differentiated(parsed, wrt), statics or {})
    if has_aux and not (ir.returns_tuple and len(ir.returns) >= 2):
        build(ir, wrt, has_aux)  # (refuses it at once, naming the line)
    _transpose_custom_jvps(ir)
    names = {p.name for p in ir.params} | {n for s in walk(ir.body) for n in defines(s)} | \
        parsed.names()[0]
    return ir, not any(callable(getattr(helpers, n, None)) for n in names if n.startswith("_"))


def transform(fn: Any, wrt: list[str], has_aux: bool = False,
              statics: dict[str, Any] | None = None,
              ranks: dict[str, Any] | None = None, lowered: Any = None) -> tuple[Generated, Any]:
    """Differentiate ``fn`` with respect to ``wrt``: the module text and the SymPy adjoint.

    ``has_aux``: ``fn`` returns ``(value, aux...)`` and only ``value`` is differentiated.
    ``statics``: parameter -> the value the module is specialised for (a ``reduction="mean"``
    string, an ``axis`` number): the code reads it as a constant. ``ranks``: parameter -> the
    rank pattern of its array argument (``symgrad.adjoint.ranks``): the gradient is written
    for arrays of those ranks, its shape plumbing decided here. ``lowered``: ``fn``'s IR from
    ``lowered`` (for the same ``wrt`` and ``statics``), not lowered again."""
    from sympy.core.parameters import distribute

    from symgrad.adjoint import build
    from symgrad.codegen import generate
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function

    # 0.8*(x + y) stays a product, as written: SymPy would make it 0.8*x + 0.8*y
    with distribute(False):
        if lowered is None:
            parsed = parse_function(fn)
            lowered = lower(parsed, _not_differentiated(parsed, wrt), statics or {})
        adjoint = build(lowered, wrt, has_aux, ranks)
        note = ""
        if ranks:  # which arrays the code is for (N: an axis whose length is not 1)
            from symgrad.patterns import spelled

            note = " on arrays " + ", ".join(f"{n} {spelled(p)}" for n, p in ranks.items()) \
                + " (N: a length other than 1)"
        return generate(adjoint, note), adjoint


def _transpose_custom_jvps(ir: Any) -> None:
    """Each ``@symgrad.custom_jvp`` function called: its jvp transposed now (cached), as
    reverse mode reads it, so that a rule symgrad cannot transpose (one not linear in its
    tangents) is refused at decoration, not at the first call."""
    from symgrad.frontend.ir import Assign, walk
    from symgrad.rules.custom import CustomJvpCall
    from symgrad.transpose import backward_source

    for s in walk(ir.body):
        if isinstance(s, Assign):
            for call in s.expr.atoms(CustomJvpCall):
                if call.owner not in _TRANSPOSING:  # (its jvp may call it: no recursion)
                    _TRANSPOSING.append(call.owner)
                    try:
                        backward_source(call.owner)
                    finally:
                        _TRANSPOSING.remove(call.owner)


_TRANSPOSING: list[Any] = []  # the custom_jvp functions whose jvp is being transposed


def _not_differentiated(parsed: Any, wrt: list[str]) -> frozenset[str]:
    args = parsed.tree.args
    return frozenset({a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} - set(wrt))
