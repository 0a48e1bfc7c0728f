"""Globals a generated module depends on, checked at each call so that it never runs stale.

The transform reads global numbers into its formulas and global arrays into the module, at
decoration time. A numpy user expects later changes to count, as they do for the original
function: so global arrays are bound live into the module (an in-place change is seen, a
rebinding to an array of the same shape rebinds), and a changed number (or an array of
another shape) makes the module be generated again.

This module must not import SymPy: ``symgrad.api`` imports it on the fast path.
"""

from __future__ import annotations

import numbers
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

_MISSING = object()


class Watched:
    """One global (or closure) value the generated code baked in, as last seen."""

    __slots__ = ("get", "origin", "seen")

    def __init__(self, get: Callable[[], Any], origin: tuple[str, str, str], seen: Any) -> None:
        self.get = get
        self.origin = origin  # (module, function, name): how the generated module knows it
        self.seen = seen


def watch(fn: Callable) -> list[Watched]:
    """The numbers, arrays and functions ``fn`` (and the functions it calls) read from
    outside."""
    out: list[Watched] = []
    _watch(fn, out, set(), 0)
    return out


def _watch(fn: Any, out: list[Watched], done: set[int], depth: int) -> None:
    fn = getattr(fn, "__symgrad_wrapped__", fn)
    if not isinstance(fn, types.FunctionType) or id(fn) in done or depth > 16 or \
            fn.__module__.split(".")[0] in ("numpy", "symgrad"):
        return
    done.add(id(fn))
    variant = getattr(fn, "__symgrad_variant__", None)
    if variant is not None:  # a method rewritten for an instance (methods.py): which rewrite
        out.append(Watched(lambda: variant, (fn.__module__ or "", fn.__qualname__,
                                             "__symgrad_variant__"), variant))
    if fn.__defaults__:  # inlined calls bake the defaults in too
        out.append(Watched(_defaults_getter(fn), (fn.__module__ or "", fn.__qualname__,
                                                   "__defaults__"), fn.__defaults__))
    code = fn.__code__
    cells = dict(zip(code.co_freevars, fn.__closure__ or (), strict=True))
    names = code_names(code)
    for name in sorted(names):
        if name in cells:
            get = _cell_getter(cells[name])
        elif name in fn.__globals__:
            get = _global_getter(fn.__globals__, name)
        else:
            continue
        value = get()
        origin = (fn.__module__ or "", fn.__qualname__, name)
        if _baked(value):
            out.append(Watched(get, origin, value))
            continue
        if not isinstance(value, (types.ModuleType, type)):
            out.append(Watched(get, origin, value))  # a function: rebinding it counts
            _watch(value, out, done, depth + 1)
        if hasattr(value, "__symgrad_rule__"):  # a custom rule defvjp'd (defjvp'd) again counts
            rule = "bwd" if hasattr(value, "bwd") else "jvp"
            out.append(Watched(_attribute_getter(get, rule), (*origin[:2], f"{name}.{rule}"),
                               getattr(value, rule)))
        if isinstance(value, types.FunctionType) or _library(value):
            continue
        for attr in sorted(names):  # cfg.LR, settings.W, helpers.step: through an attribute
            inner = getattr(value, attr, None)
            if attr == name or inner is None:
                continue
            if _baked(inner) or isinstance(inner, types.FunctionType):
                out.append(Watched(_attribute_getter(get, attr), (*origin[:2], f"{name}.{attr}"),
                                   inner))
            if isinstance(inner, types.FunctionType):
                _watch(inner, out, done, depth + 1)


def code_names(code: types.CodeType) -> set[str]:
    """Every global, attribute and free name the code (and the code nested in it) reads."""
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def _cell_getter(cell: Any) -> Callable[[], Any]:
    def get() -> Any:
        try:
            return cell.cell_contents
        except ValueError:
            return _MISSING
    return get


def _defaults_getter(fn: types.FunctionType) -> Callable[[], Any]:
    return lambda: fn.__defaults__


def _attribute_getter(get: Callable[[], Any], attr: str) -> Callable[[], Any]:
    return lambda: getattr(get(), attr, _MISSING)


def _library(value: Any) -> bool:
    """numpy, the standard library, symgrad: objects whose attributes are not settings."""
    if isinstance(value, types.ModuleType):
        root = value.__name__.split(".")[0]
        return root in ("numpy", "symgrad") or root in sys.stdlib_module_names
    root = (getattr(type(value), "__module__", "") or "").split(".")[0]
    return root in ("numpy", "symgrad")  # (a SimpleNamespace of settings is watched)


def _global_getter(namespace: dict, name: str) -> Callable[[], Any]:
    return lambda: namespace.get(name, _MISSING)


def _baked(value: Any) -> bool:
    if isinstance(value, (numbers.Number, np.generic, np.ndarray)):
        return True
    return isinstance(value, tuple) and all(isinstance(v, numbers.Number) for v in value)


def constant_names(constants_json: str) -> dict[tuple[str, str, str], str]:
    """(module, function, global name) -> the generated module's name for that array."""
    import json

    return {(m, f, g): name for name, m, f, g in json.loads(constants_json or "[]")}


def bind(watched: list[Watched], namespace: dict[str, Any],
         names: dict[tuple[str, str, str], str]) -> None:
    """Point the module's copies of global arrays at the arrays themselves."""
    for w in watched:
        name = names.get(w.origin)
        if name is not None and isinstance(w.seen, np.ndarray):
            namespace[name] = w.seen


def stale(watched: list[Watched], namespace: dict[str, Any],
          names: dict[tuple[str, str, str], str], others: Any = ()) -> bool:
    """Whether a baked-in value changed (the module must be generated again); rebinds a
    global array that was replaced by another of the same shape and dtype (in ``others``
    too: the namespaces of the module's specialisations)."""
    for w in watched:
        now = w.get()
        if now is w.seen:
            continue
        if isinstance(w.seen, np.ndarray):
            if not (isinstance(now, np.ndarray) and now.shape == w.seen.shape and
                    now.dtype == w.seen.dtype):
                return True
            name = names.get(w.origin)
            if name is not None:
                namespace[name] = now
                for other in others:
                    other[name] = now
        elif not _baked(w.seen) or type(now) is not type(w.seen) or not bool(now == w.seen):
            return True  # (a function or another object: only the same object will do)
        w.seen = now
    return False
