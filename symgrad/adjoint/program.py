"""What the sweep hands codegen: the backward program (statements, branches, loops) and the
memory plan, reverse mode's decisions about the forward's memory kept beside the forward IR.
"""

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
class Tape:
    """What a loop's forward records for its backward: ``taped`` names each iteration's values
    on the list ``name`` (with nothing taped, ``name`` counts the iterations); ``name`` is ""
    when the backward can replay the loop's header instead."""

    name: str = ""
    taped: list[str] = field(default_factory=list)


@dataclass
class BLoop:
    """The backward of a loop: the iterations in reverse, reading what the forward taped."""

    loop: Loop
    body: list
    comment: list[str]
    tape: Tape = field(default_factory=Tape)


@dataclass
class MemoryPlan:
    """How the forward of a gradient uses memory: which writes go into the array itself, which
    copies they need, what each loop tapes. Beside the IR, not in it, so that the forward IR
    stays free of reverse mode's state."""

    in_place: set[str] = field(default_factory=set)  # SetItem targets written into their array
    snapshots: set[str] = field(default_factory=set)  # rows read from such an array: copied
    copies: set[str] = field(default_factory=set)  # carried entries that start from a copy
    tapes: dict[Loop, Tape] = field(default_factory=dict)

    def tape(self, loop: Loop) -> Tape:
        return self.tapes.get(loop, Tape())

    def loop_names(self, loop: Loop) -> list[str]:
        """The names the plan adds to a loop: its tape (``ir.defines``'s ``also``)."""
        name = self.tape(loop).name
        return [name] if name else []


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
    plan: MemoryPlan = field(default_factory=MemoryPlan)
    # parameters bound to numpy arrays for sure (a rank-specialised module's array arguments)
    arrays: frozenset[str] = frozenset()


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
            if s.tape.name:
                out.add(s.tape.name)
            out |= backward_reads(s.body) - set(s.tape.taped)
    return out
