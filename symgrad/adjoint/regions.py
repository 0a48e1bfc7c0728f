"""Elementwise regions: the leaves ``sympy.diff`` sees, and which of them a gradient reaches."""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgrad.rules import masks
from symgrad.rules.base import Static, Structural


def region_leaves(expr: Any, differentiable: bool = False) -> list[Any]:
    """The symbols and maximal structural nodes of an elementwise region, in preorder; with
    ``differentiable``, only those a gradient reaches (not a mask's or a where's condition)."""
    out: list[Any] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (sp.Symbol, Structural)):
            out.append(e)
        elif isinstance(e, Static):
            continue
        elif differentiable and isinstance(e, masks.Elementwise):
            stack.extend(reversed(e.diff_args()))
        else:
            stack.extend(reversed(e.args))
    return out


def diff_symbols(expr: Any) -> set[Any]:
    """Free symbols through which a gradient can flow (not through metadata or stop_gradient)."""
    out: set[Any] = set()
    for leaf in region_leaves(expr, differentiable=True):
        if isinstance(leaf, sp.Symbol):
            out.add(leaf)
        else:
            for a in leaf.diff_args():
                out |= diff_symbols(a)
    return out
