"""A function's generated modules as ``symgrad.api`` keeps them: made now (``transformed``),
or checked only and generated when something needs them (``Pending``, ``ready``), and run
(``run``: each function in a namespace of its own)."""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from symgrad.frontend.pauses import without_cycle_collection


@dataclass
class Pending:
    """How to generate a module that was checked, not generated (``api._module(lazy=True)``)."""

    wrt: list[str]
    has_aux: bool
    statics: dict[str, Any] | None
    disk_key: str | None
    lowered: Any  # the IR lowered when it was checked; taken by the first transformation

    def take(self) -> Any:
        """The IR lowered at decoration, once (None after): each transformation gets an IR of
        its own, as when it lowers itself."""
        ir, self.lowered = self.lowered, None
        return ir


@dataclass
class Module:
    """A generated module, shared by every function with the same content (``api._module``);
    ``pending`` while only checked (``generated`` then None): ``ready`` generates it."""

    generated: Any  # generated.Generated: made by codegen, or restored by the disk cache
    code: types.CodeType | None  # the module text, compiled
    adjoint: Any  # the SymPy-level result; None when the module came from the disk cache
    keep: list = field(default_factory=list)  # values keyed by identity: kept alive
    tag: str = ""  # the argument ranks it is specialised for ("" for the generic module)
    pending: Pending | None = None


def transformed(fn: Callable, wrt: list[str], has_aux: bool, disk_key: str | None,
                statics: dict[str, Any] | None, ranks: dict[str, Any] | None,
                lowered: Any, tag: str) -> Module:
    """The module generated now (from ``lowered``, fn's IR, when given), stored on disk."""
    from symgrad import cache, slow
    from symgrad.transform import transform

    start = slow.clock()
    with without_cycle_collection():
        generated, adjoint = transform(fn, wrt, has_aux, statics, ranks, lowered=lowered)
    slow.report(fn, slow.clock() - start,
                str(cache.cache_dir()) if disk_key is not None and cache.cache_dir() else None)
    module = Module(generated, code(fn, generated, tag), adjoint, tag=tag)
    run(fn, module)
    cache.store(disk_key, generated)
    return module


def ready(fn: Callable, module: Module) -> Module:
    """``module``, generated now (in place: every function sharing it gets it) if pending."""
    pending = module.pending
    if pending is not None:
        made = transformed(fn, pending.wrt, pending.has_aux, pending.disk_key,
                            pending.statics, None, pending.take(), module.tag)
        module.generated, module.code, module.adjoint = made.generated, made.code, made.adjoint
        module.pending = None
    return module


def file_name(fn: Callable, tag: str = "") -> str:
    return f"<symgrad:{fn.__module__}.{fn.__qualname__}{' for ' + tag if tag else ''}>"


def code(fn: Callable, generated: Any, tag: str = "") -> types.CodeType:
    from symgrad.generated import compiled

    return compiled(generated.source, file_name(fn, tag))


def run(fn: Callable, module: Module) -> dict[str, Any]:
    """A fresh namespace running the module (each function binds its own live globals)."""
    generated, filename = module.generated, file_name(fn, module.tag)
    linecache.cache[filename] = (len(generated.source), None,
                                 generated.source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"symgrad_generated.{fn.__name__}"}
    exec(module.code, namespace)
    for name in (generated.primal_name, generated.grad_name, generated.value_and_grad_name):
        if not callable(namespace.get(name)):
            raise RuntimeError(f"generated module defines no {name}")
    namespace["__symgrad_filename__"] = filename
    return namespace
