"""Which local names may share memory, so in-place writes through one of them are refused.

symgrad models every in-place write (``a += b``, ``a[i] = v``) as a new value bound to the
written name. numpy writes the shared buffer instead, so a second name for the same memory
(``s = x``, ``row = Y[0]``, ``for row in Y``, ``Z = Y.T``) would see the write there and not
here: a silently wrong value and gradient. The tracking is syntactic and conservative: a name
bound from another name, a view or a loop over an array may share; a name bound to any other
expression gets fresh memory. Branches merge by union.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from symgrad.rules import registry

_COUNTER = itertools.count()


def _view_names() -> tuple[frozenset[str], frozenset[str]]:
    """The numpy functions and ndarray methods that may return a view of (or the same array
    as) their input: the spellings of the registry entries with the VIEW trait. (A numpy
    view symgrad does not lower, np.swapaxes, fails at lowering before aliasing matters.)"""
    views = registry.with_trait(registry.VIEW)
    return (frozenset(obj.__name__ for e in views for obj in e.binds),
            frozenset(m for e in views for m in e.methods))


_VIEW_FUNCTIONS, _VIEW_METHODS = _view_names()


@dataclass(frozen=True)
class Memory:
    buffers: frozenset[int]
    partial: bool  # a view of part of the buffer (x[i], a row in `for row in x`)


def sources_of(node: ast.expr) -> list[tuple[str, bool]]:
    """(name, partial) for each local name whose memory ``node`` may evaluate to a view of."""
    if isinstance(node, ast.Name):
        return [(node.id, False)]
    if isinstance(node, ast.Subscript):
        return [(name, True) for name, _ in sources_of(node.value)]
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return sources_of(node.value)
    if isinstance(node, ast.IfExp):
        return sources_of(node.body) + sources_of(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func  # x.reshape(...) or np.reshape(x, ...): either may be the case
        out = sources_of(func.value) if func.attr in _VIEW_METHODS else []
        if func.attr in _VIEW_FUNCTIONS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                for a in node.args[1:]:  # np.einsum('ii->i', a): a view of an operand
                    out += sources_of(a)
            else:
                out += sources_of(first)
        return out
    return []


class SharedMemory:
    """Per lowering scope: name -> the buffers it may point into."""

    def __init__(self, is_local: Callable[[str], bool] = lambda name: True) -> None:
        self.is_local = is_local  # np in np.squeeze(x) is no array of ours
        self.names: dict[str, Memory] = {}
        self.views: dict[str, tuple[str, ast.expr]] = {}  # r = x[i]: r -> (x, the index i)

    def of(self, name: str) -> Memory:
        if name not in self.names:
            self.names[name] = Memory(frozenset([next(_COUNTER)]), False)
        return self.names[name]

    def fresh(self, name: str) -> None:
        self.names[name] = Memory(frozenset([next(_COUNTER)]), False)

    def share(self, name: str, source: str, partial: bool, merge: bool = False) -> None:
        """``name`` now (or, with merge, also) points into ``source``'s memory."""
        src = self.of(source)
        mem = Memory(src.buffers, src.partial or partial)
        if merge and name in self.names:
            old = self.names[name]
            mem = Memory(old.buffers | mem.buffers, old.partial or mem.partial)
        self.names[name] = mem

    def shares(self, a: str, b: str) -> bool:
        return bool(self.of(a).buffers & self.of(b).buffers)

    def bind(self, name: str, value_node: ast.expr | None) -> None:
        """``name = value_node`` (not in place)."""
        self.views.pop(name, None)
        if isinstance(value_node, ast.Subscript) and isinstance(value_node.value, ast.Name):
            self.views[name] = (value_node.value.id, value_node.slice)
        sources = [s for s in (sources_of(value_node) if value_node is not None else [])
                   if s != (name, False) and self.is_local(s[0])]
        if not sources:
            if (name, False) not in (sources_of(value_node) if value_node is not None else []):
                self.fresh(name)  # (x = x.T keeps x's memory)
            return
        for i, (source, partial) in enumerate(sources):
            self.share(name, source, partial, merge=i > 0)

    def conflict(self, name: str, whole: bool) -> tuple[str, str] | None:
        """(other name, how) when an in-place write to ``name`` would show through another
        live name. ``whole``: the write covers the whole array (``a += b``), not ``a[i] = v``."""
        mine = self.of(name)
        for other, mem in self.names.items():
            if other == name or not (mem.buffers & mine.buffers):
                continue
            if mine.partial:
                return other, f"{name!r} may be a view into {_quote(other)}"
            if not mem.partial:
                return other, f"{name!r} and {_quote(other)} share memory"
            if whole:
                return other, f"{_quote(other)} may be a view into {name!r}"
        return None

    def copy(self) -> SharedMemory:
        out = SharedMemory(self.is_local)
        out.names = dict(self.names)
        out.views = dict(self.views)
        return out

    def merge(self, other: SharedMemory) -> None:
        """After a branch: a name may point wherever either path left it."""
        for name, mem in other.names.items():
            old = self.names.get(name)
            self.names[name] = mem if old is None else \
                Memory(old.buffers | mem.buffers, old.partial or mem.partial)
        for name, view in other.views.items():
            self.views.setdefault(name, view)


def _quote(name: str) -> str:
    return name if name.startswith("the caller's") else repr(name)
