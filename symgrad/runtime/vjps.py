"""The Tensor's backward functions, one per (primitive, static arguments).

Each is the module ``codegen.vjp_module`` prints from the rule table, compiled once per
process; the disk cache (``symgrad.cache``, signed entries) keeps the printed text, so that
with a warm cache the Tensor's backward imports neither SymPy nor codegen.
"""

from __future__ import annotations

import json
import linecache
from collections.abc import Callable
from typing import Any

from symgrad import cache
from symgrad.generated import VjpModule
from symgrad.rules import INDEXED, is_variadic

__all__ = ["eager_vjp", "eager_vjp_source"]

_COMPILED: dict[tuple, Callable[..., tuple]] = {}


def eager_vjp(op: str, **static: Any) -> Callable[..., tuple]:
    """The backward function of one primitive: ``vjp(g, *inputs, out) -> grads``.

    One entry per input (None where no gradient flows); elementwise grads may still be
    broadcast-shaped (the engine sums them to their input's shape). An INDEXED op's
    ``index`` is bound here (one compiled function serves every index); a variadic op's is
    compiled per number of inputs.
    """
    if op in INDEXED:
        index = static.pop("index")
        fn = _compiled(op, static)

        def vjp(g: Any, *args: Any) -> tuple:
            return fn(g, *args, index)

        vjp.reads = fn.reads
        return vjp
    if is_variadic(op):
        def variadic(g: Any, *args: Any) -> tuple:
            return _compiled(op, {**static, "n": len(args) - 1})(g, *args)

        return variadic
    return _compiled(op, static)


def eager_vjp_source(op: str, **static: Any) -> str:
    """The numpy module text behind ``eager_vjp(op, **static)`` (an INDEXED op's index is
    its parameter ``index``; a variadic op's ``n`` says how many arrays)."""
    static.pop("index", None)
    return _module(op, static)[0].source


def _compiled(op: str, static: dict[str, Any]) -> Callable[..., tuple]:
    key = (op, tuple(sorted((k, repr(v)) for k, v in static.items())))
    fn = _COMPILED.get(key)
    if fn is None:
        fn = _COMPILED[key] = _module(op, static)[1]
    return fn


def _module(op: str, static: dict[str, Any]) -> tuple[VjpModule, Callable[..., tuple]]:
    """The module and its ``vjp``: from the disk cache, or printed by codegen (and stored)."""
    disk_key = cache.vjp_key(op, static)
    module = cache.load(disk_key, VjpModule)
    if module is not None:
        try:
            return module, _run(module)
        except Exception:  # an entry that does not run is as good as corrupt: regenerate
            pass
    from symgrad.codegen import vjp_module

    module = vjp_module(op, static)
    fn = _run(module)
    cache.store(disk_key, module)
    return module, fn


def _run(module: VjpModule) -> Callable[..., tuple]:
    filename = f"<symgrad vjp {module.op}>"
    linecache.cache[filename] = (len(module.source), None, module.source.splitlines(True),
                                 filename)
    namespace: dict[str, Any] = {"__name__": f"symgrad_vjp.{module.op.split('(')[0]}"}
    exec(compile(module.source, filename, "exec"), namespace)
    fn = namespace["vjp"]
    reads = json.loads(module.reads)
    if not callable(fn) or not isinstance(reads, list):
        raise TypeError(f"the module of {module.op} defines no vjp")
    fn.reads = tuple(frozenset(r) for r in reads)  # per input: the parameters it reads
    return fn
