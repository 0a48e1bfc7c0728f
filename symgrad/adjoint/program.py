"""The backward program the sweep writes and codegen prints: statements, branches, loops."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from symgrad.frontend.ir import Function, Loop


@dataclass
class Stmt:
    """One generated assignment: ``target = expr``, commented with the source it came from.

    ``augment`` makes it ``target += expr`` (``target[index] += expr`` with an index): the
    accumulation of a loop's gradient into an array the backward pass owns.
    """

    target: str
    expr: Any
    comment: list[str] = field(default_factory=list)
    augment: bool = False
    index: tuple = ()


@dataclass
class BIf:
    """The backward of an ``if``: the same condition, each branch's adjoint."""

    cond: Any
    then: list
    orelse: list
    comment: list[str]


@dataclass
class BLoop:
    """The backward of a loop: the iterations in reverse, reading what the forward taped."""

    loop: Loop
    body: list
    comment: list[str]


@dataclass
class Adjoint:
    """What codegen needs: the fused primal, the backward statements and the gradients."""

    fn: Function
    wrt: list[str]
    forward: list[Any]  # after fusion: Assign, If, Loop
    seeds: list[str]  # adjoint names of the outputs, in return order
    backward: list[Stmt]
    grads: list[str]  # the adjoint name of each wrt parameter
    names: set[str]  # every name the generated code uses
    inlined: dict[Any, str] = field(default_factory=dict)  # fused expression -> user's name
    # whether an expression is provably a scalar (codegen prints scalar factors first)
    is_scalar: Callable[[Any], bool] = lambda expr: False


def all_backward_reads(stmts: list[Any]) -> set[str]:
    """Every name any backward statement reads, inside loops too (taped or not)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, Stmt):
            out |= backward_reads([s])
        elif isinstance(s, BIf):
            out |= {x.name for x in s.cond.free_symbols}
            out |= all_backward_reads(s.then) | all_backward_reads(s.orelse)
        elif isinstance(s, BLoop):
            out |= all_backward_reads(s.body)
    return out


def backward_reads(stmts: list[Any]) -> set[str]:
    """Names the backward statements read (a nested loop reads its tape, not its body's values)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, Stmt):
            out |= {x.name for x in s.expr.free_symbols}
            for part in s.index:
                out |= {x.name for x in part.free_symbols}
            if s.augment or s.index:  # written into, so read too
                out.add(s.target)
        elif isinstance(s, BIf):
            out |= {x.name for x in s.cond.free_symbols}
            out |= backward_reads(s.then) | backward_reads(s.orelse)
        elif isinstance(s, BLoop):
            if s.loop.tape:
                out.add(s.loop.tape)
            out |= backward_reads(s.body) - set(s.loop.taped)
    return out
