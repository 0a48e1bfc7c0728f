"""The IR: single-assignment statements whose right-hand sides are SymPy expressions.

Array values are SymPy symbols; elementwise arithmetic is plain SymPy; structural operations
are the opaque nodes of the registry's rules (``symgrad.rules``). Statements live in blocks;
``If`` and ``Loop`` keep the structure of the user's branches and loops, with explicit joins
(``Phi``) and loop-carried values (``Carry``) so that every name is still assigned once.

The IR says what the program computes, never how a mode runs it: reverse mode's tapes and
writes in place live in the adjoint's ``MemoryPlan``, so a forward-mode sweep can reuse it.
Also here: the one walker over nested blocks and the one fresh-name generator.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
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
class Phi:
    """After an ``if``: ``target`` is ``then`` or ``orelse``, whichever branch ran."""

    target: str
    then: Any  # a SymPy symbol or constant
    orelse: Any


@dataclass
class If:
    cond: Any  # a SymPy symbol holding a Python/numpy bool
    then: Block
    orelse: Block
    phis: list[Phi]
    lineno: int
    lines: list[str]


@dataclass
class Carry:
    """A loop-carried variable: ``entry`` holds ``init`` first, then each iteration's ``exit``.

    After the loop, ``entry`` is the value the last iteration left behind. A name first
    assigned inside the loop has ``init`` common.UNBOUND: the generated code does not assign it
    before the loop, so after no iterations reading it raises UnboundLocalError, as Python
    does.
    """

    entry: str
    init: Any
    exit: Any


@dataclass(eq=False)
class Loop:
    """``for var in range(*bounds)`` (kind "for") or ``while cond`` (kind "while").

    One place in the program: compared and hashed by identity, so that a pass can keep its
    decisions about a loop beside the IR (the adjoint's tapes) instead of in it.
    """

    kind: str
    var: str | None
    bounds: list[Any]  # range() arguments, SymPy expressions
    cond: Any  # while: the condition over the entry values; for: None
    body: Block
    carried: list[Carry]
    stop: Any  # a body value that is true when the iteration ended in `break` (or None)
    lineno: int
    lines: list[str]


@dataclass
class Block:
    stmts: list[Any] = field(default_factory=list)  # Assign | If | Loop


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
    # constant name -> (module, function, global name): where live.py finds it at call time
    constant_origins: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def straight_line(self) -> bool:
        return all(isinstance(s, Assign) for s in self.body.stmts)


def walk(stmts: Block | list[Any]) -> Iterator[Any]:
    """Every statement of a block (or a list of statements) and of the blocks nested in it,
    in program order: the one IR walker, for lowering, the adjoint and codegen."""
    for s in stmts.stmts if isinstance(stmts, Block) else stmts:
        yield s
        if isinstance(s, If):
            yield from walk(s.then)
            yield from walk(s.orelse)
        elif isinstance(s, Loop):
            yield from walk(s.body)


def substitute(block: Block, mapping: dict[Any, Any]) -> None:
    """Replace symbols by values everywhere in a block, in place (a loop value found constant)."""
    for s in walk(block):
        if isinstance(s, Assign):
            s.expr = s.expr.xreplace(mapping)
        elif isinstance(s, If):
            s.cond = s.cond.xreplace(mapping)
            for phi in s.phis:
                phi.then, phi.orelse = phi.then.xreplace(mapping), phi.orelse.xreplace(mapping)
        elif isinstance(s, Loop):
            s.bounds = [b.xreplace(mapping) for b in s.bounds]
            s.cond = s.cond.xreplace(mapping) if s.cond is not None else None
            s.stop = s.stop.xreplace(mapping) if s.stop is not None else None
            for c in s.carried:
                c.init, c.exit = c.init.xreplace(mapping), c.exit.xreplace(mapping)


def reads(stmt: Any) -> set[Any]:
    """The symbols a statement (and everything nested in it) reads."""
    if isinstance(stmt, Assign):
        return set(stmt.expr.free_symbols)
    out: set[Any] = set()
    if isinstance(stmt, If):
        out |= stmt.cond.free_symbols
        for phi in stmt.phis:
            out |= phi.then.free_symbols | phi.orelse.free_symbols
        for s in [*stmt.then.stmts, *stmt.orelse.stmts]:
            out |= reads(s)
    elif isinstance(stmt, Loop):
        for b in stmt.bounds:
            out |= b.free_symbols
        for e in [stmt.cond, stmt.stop]:
            if e is not None:
                out |= e.free_symbols
        for c in stmt.carried:
            out |= c.init.free_symbols | c.exit.free_symbols
        for s in stmt.body.stmts:
            out |= reads(s)
    return out


def defines(stmt: Any, also: Callable[[Loop], list[str]] | None = None) -> list[str]:
    """The names a statement (and everything nested in it) assigns; ``also`` names what a
    pass adds to a loop beside its counter (the adjoint's tape)."""
    if isinstance(stmt, Assign):
        return [stmt.target]
    out: list[str] = []
    if isinstance(stmt, If):
        for s in [*stmt.then.stmts, *stmt.orelse.stmts]:
            out += defines(s, also)
        out += [phi.target for phi in stmt.phis]
    elif isinstance(stmt, Loop):
        out += [c.entry for c in stmt.carried]
        if stmt.var:
            out.append(stmt.var)
        if also is not None:
            out += also(stmt)
        for s in stmt.body.stmts:
            out += defines(s, also)
    return out


def iteration_names(loop: Loop, also: Callable[[Loop], list[str]] | None = None) -> list[str]:
    """The names each iteration of ``loop`` binds afresh: its counter, its carried entries and
    its body's values, in that order (the order a tape records them in)."""
    return [*([loop.var] if loop.var else []), *(c.entry for c in loop.carried),
            *(n for x in loop.body.stmts for n in defines(x, also))]


# ---------------------------------------------------------------- fresh names


def first_free(base: str, taken: Container[str] | Callable[[str], bool], sep: str = "_",
               start: int = 1) -> str:
    """``base`` if it is free, else ``base<sep><k>`` for the first free k from ``start``.

    With ``Names``, the one fresh-name generator: lowering numbers its versions (``x_1``) and
    the names it adds to the user's code (``found1``) with it, the adjoint its gradients and
    tapes (``grad_x_1``, ``tape``), codegen its parameters and temporaries (``seed``,
    ``t0``). ``taken`` holds the names in use, or is a predicate where they live in several
    tables.
    """
    is_taken = taken if callable(taken) else taken.__contains__
    name, k = base, start - 1
    while is_taken(name):
        k += 1
        name = f"{base}{sep}{k}"
    return name


class Names:
    """The names one generated function uses; ``fresh`` hands out new ones, each once."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken: set[str] = set(taken)

    def add(self, name: str) -> None:
        self.taken.add(name)

    def update(self, names: Iterable[str]) -> None:
        self.taken.update(names)

    def fresh(self, base: str) -> str:
        """``base``, or ``base_1``, ``base_2``, ...: the first one not taken, now taken."""
        name = first_free(base, self.taken)
        self.taken.add(name)
        return name

    def numbered(self, prefix: str) -> Iterator[str]:
        """``t0``, ``t1``, ...: the numbered names not taken (claimed by whoever uses them)."""
        k = 0
        while True:
            name = f"{prefix}{k}"
            k += 1
            if name not in self.taken:
                yield name
