"""Activity analysis: the values a gradient with respect to ``wrt`` can flow through."""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.adjoint.regions import diff_symbols
from symgrad.frontend.ir import Assign, If, Loop, walk


def active_values(forward: list[Any], wrt: list[str]) -> set[Any]:
    """The symbols that depend differentiably on a ``wrt`` parameter."""
    active = {sp.Symbol(w, real=True) for w in wrt}
    if not any(isinstance(s, Loop) for s in walk(forward)):
        _mark_active(forward, active)  # each value is read after it is defined: one pass
        return active
    size = -1
    while size != len(active):  # a loop feeds values back: iterate to a fixed point
        size = len(active)
        _mark_active(forward, active)
    return active


def _mark_active(stmts: list[Any], active: set[Any]) -> None:
    for s in stmts:
        if isinstance(s, Assign):
            if diff_symbols(s.expr) & active:
                active.add(sp.Symbol(s.target, real=True))
        elif isinstance(s, If):
            _mark_active(s.then.stmts, active)
            _mark_active(s.orelse.stmts, active)
            for phi in s.phis:
                if (phi.then.free_symbols | phi.orelse.free_symbols) & active:
                    active.add(sp.Symbol(phi.target, real=True))
        elif isinstance(s, Loop):
            for c in s.carried:
                if diff_symbols(c.init) & active:
                    active.add(sp.Symbol(c.entry, real=True))
            _mark_active(s.body.stmts, active)
            for c in s.carried:
                if diff_symbols(c.exit) & active:
                    active.add(sp.Symbol(c.entry, real=True))
