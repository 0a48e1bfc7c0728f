"""Transitional facade: ``st.X`` for the readers not yet moved to the family modules.

The structural rules now live in their families (``shape``, ``grads``, ``operators``,
``reductions``, ``linalg``, ``indexing``, ``creation``; the SymPy side in ``base``). This
module re-exports them under their old names until lower.py, adjoint.py, codegen.py,
formula.py and exact.py import from the families; then it is deleted. A rule class is
exported as its SymPy node class, so ``type(node) is st.SumTo`` holds as it did.
"""

from __future__ import annotations

import importlib
from typing import Any

from symgrad.rules.base import (  # noqa: F401  (re-exported)
    SCALAR,
    Static,
    Structural,
    _a,
    _axes,
    _kw,
    _p,
    join_classes,
    static,
    sval,
)
from symgrad.rules.registry import _FAMILIES, Rule, node_class


def __getattr__(name: str) -> Any:
    for family in (f for f in _FAMILIES if f != "elementwise"):  # the families with rules
        module = importlib.import_module(f"symgrad.rules.{family}")
        if name in vars(module):
            value = vars(module)[name]
            if isinstance(value, type) and issubclass(value, Rule):
                value = node_class(value)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
