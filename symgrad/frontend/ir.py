"""The IR: single-assignment statements whose right-hand sides are SymPy expressions.

Array values are SymPy symbols; elementwise arithmetic is plain SymPy; structural operations
are the opaque nodes of ``symgrad.rules.structural``. Statements live in blocks so control
flow can keep its structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Assign:
    """``target = expr``: target is a fresh SSA name; ``lines`` quotes the user's source."""

    target: str
    expr: Any
    lineno: int
    lines: list[str]
    user_name: str


@dataclass
class Block:
    stmts: list[Assign] = field(default_factory=list)


@dataclass
class Param:
    name: str
    default: Any = None  # repr of the default value, or None when it has none
    has_default: bool = False


@dataclass
class Function:
    name: str
    params: list[Param]
    body: Block
    returns: list[str]  # SSA names of the returned values
    returns_tuple: bool
    filename: str
    firstlineno: int
    constants: dict[str, Any] = field(default_factory=dict)  # global arrays the code reads
    source: str = ""
