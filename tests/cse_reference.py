"""The reference for ``symgrad.cse.cse``: SymPy's ``cse(..., order="none")`` with its
``opt_cse`` told that no sum can take out a minus sign (symgrad's keeps a sum's sign:
``-a - 0.3`` is 0.0 where ``-(a + 0.3)`` is -0.0)."""

from __future__ import annotations

import sys

import pytest
import sympy as sp
from sympy.simplify import cse_main

_FIND_OPTS = next(c for c in cse_main.opt_cse.__code__.co_consts
                  if getattr(c, "co_name", None) == "_find_opts")


def sums_keep_their_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    """SymPy's opt_cse, asking of the node it visits whether it can take out a minus sign,
    hears no from a sum (and from nothing else: a sum in an exponent still can)."""
    asked = sp.Add.could_extract_minus_sign

    def could_extract_minus_sign(self: sp.Add) -> bool:
        caller = sys._getframe(1)
        if caller.f_code is _FIND_OPTS and caller.f_locals.get("expr") is self:
            return False
        return asked(self)

    monkeypatch.setattr(sp.Add, "could_extract_minus_sign", could_extract_minus_sign)


def sympys_cse(exprs: list, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """``sympy.cse`` of ``exprs`` (temporaries t0, t1, ... real), sums keeping their signs."""
    with monkeypatch.context() as patched:
        sums_keep_their_signs(patched)
        return sp.cse(exprs, symbols=sp.numbered_symbols("t", real=True), order="none")
