"""The one derivative table, read by both the source transform and the eager Tensor.

``registry`` holds one entry per primitive: an elementwise primitive's SymPy form
(derivatives come from ``sympy.diff``), or a structural primitive's rule with its adjoint
template (in the family modules). The eager Tensor gets its backward functions from
``eager_vjp``, which prints those same rules to numpy code once per (op, static arguments)
and caches the compiled function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.rules import registry
from symgrad.rules.elementwise import ALIASES, ELEMENTWISE_NAMES, NON_DIFFERENTIABLE_ARGS

__all__ = ["ELEMENTWISE_NAMES", "STRUCTURAL_NAMES", "eager_vjp", "eager_vjp_source", "sum_to"]

_CACHE: dict[tuple, Callable] = {}

# the structural primitives with a derivative: every rule entry with arrays, not constant
STRUCTURAL_NAMES = frozenset(
    e.name for e in registry.entries()
    if e.rule is not None and e.arrays and not e.has(registry.NONDIFF))


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Undo numpy broadcasting: sum ``g`` down to ``shape``."""
    from symgrad.helpers import _sum_to_shape

    return _sum_to_shape(g, tuple(shape))


def _key(op: str, static: dict[str, Any]) -> tuple:
    return (op, tuple(sorted((k, repr(v)) for k, v in static.items())))


def eager_vjp(op: str, **static: Any) -> Callable[..., tuple]:
    """The backward function of one primitive: ``vjp(g, *inputs, out) -> grads``.

    One entry per input (None where no gradient flows); elementwise grads may still be
    broadcast-shaped (reduce them with ``sum_to``). Generated once per (op, static), cached.
    """
    op = ALIASES.get(op, op)
    if op in _INDEX_VJPS:
        return _INDEX_VJPS[op](static["index"])
    if op in ("concatenate", "stack"):
        return _variadic_vjp(op, static)
    key = _key(op, static)
    fn = _CACHE.get(key)
    if fn is None:
        fn = _CACHE[key] = _compile(key, *_vjp_source_and_reads(op, static))
    return fn


def _variadic_vjp(op: str, static: dict[str, Any]) -> Callable[..., tuple]:
    def vjp(g: Any, *args: Any) -> tuple:
        n = len(args) - 1
        key = _key(op, {**static, "n": n})
        fn = _CACHE.get(key)
        if fn is None:
            fn = _CACHE[key] = _compile(key, *_vjp_source_and_reads(op, {**static, "n": n}))
        return fn(g, *args)

    return vjp


def _getitem_vjp(index: Any) -> Callable[..., tuple]:
    """``x[index]``: zeros like x with g added where x was read (``structural.GetItem``)."""
    from symgrad.helpers import _getitem_grad

    def vjp(g: Any, x: Any, out: Any) -> tuple:
        return (_getitem_grad(g, x, index),)

    return vjp


def _setitem_vjp(index: Any) -> Callable[..., tuple]:
    """``x[index] = v``: x gets g zeroed at the index, v gets ``g[index]`` (to be summed to
    v's shape) -- ``structural.SetItem`` (PyTorch's rule: a repeated position feeds v each time)."""
    from symgrad.helpers import _zero_at

    def vjp(g: Any, x: Any, v: Any, out: Any) -> tuple:
        return (_zero_at(g, index), g[index])

    return vjp


def _add_at_vjp(index: Any) -> Callable[..., tuple]:
    """``np.add.at(x, index, v)`` (x + v scattered at the index, the gradient of a getitem): x
    gets g, v gets ``g[index]`` (to be summed to v's shape)."""

    def vjp(g: Any, x: Any, v: Any, out: Any) -> tuple:
        return (g, g[index])

    return vjp


_INDEX_VJPS = {"getitem": _getitem_vjp, "setitem": _setitem_vjp, "add_at": _add_at_vjp}


def _compile(key: tuple, source: str, reads: tuple) -> Callable[..., tuple]:
    from symgrad import helpers
    from symgrad.generated import check_module

    namespace: dict[str, Any] = {"np": np}
    namespace.update({k: v for k, v in vars(helpers).items() if k.startswith("_") and
                      callable(v)})
    check_module(source, f"the derivative of {key[0]}", provided=frozenset(namespace))
    exec(compile(source, f"<symgrad vjp {key[0]}>", "exec"), namespace)
    fn = namespace["vjp"]
    fn.reads = reads  # per input: the argument names its gradient reads (for version checks)
    return fn


def eager_vjp_source(op: str, **static: Any) -> str:
    """The numpy source of ``eager_vjp(op, **static)``: printed from the one rule table."""
    return _vjp_source_and_reads(op, static)[0]


def _vjp_source_and_reads(op: str, static: dict[str, Any]) -> tuple[str, tuple]:
    """The vjp's source, and for each input the argument names its gradient expression reads."""
    import sympy as sp

    from symgrad.derivative import derivative
    from symgrad.printer import NumpyPrinter
    from symgrad.rules import elementwise as ew
    from symgrad.simplify import clean

    op = ALIASES.get(op, op)
    g, out = sp.Symbol("g", real=True), sp.Symbol("out", real=True)
    if op in ELEMENTWISE_NAMES:
        xs = [sp.Symbol(f"x{i}", real=True) for i in range(ew.arity(op))]
        expr = ew.sympy_form(op, *xs)
        grads = []
        for i, x in enumerate(xs):
            if i in NON_DIFFERENTIABLE_ARGS.get(op, ()):
                grads.append(None)
                continue
            d = ew.as_numbers(clean(g * derivative(expr, x)))
            grads.append(d.xreplace({expr: out}) if expr.args else d)
    elif op in STRUCTURAL_NAMES:
        xs, node = _structural_node(op, static)
        grads = [None if v is None else v.xreplace({node: out}) for v in node.vjp(g)]
    else:
        raise KeyError(f"symgrad has no derivative rule for {op!r}")
    reads = tuple(frozenset() if e is None else frozenset(x.name for x in e.free_symbols)
                  for e in grads)
    printer = NumpyPrinter()
    present = [e for e in grads if e is not None]
    temps, reduced = sp.cse(present, symbols=sp.numbered_symbols("t", real=True), order="none")
    reduced_iter = iter(reduced)
    items = ["None" if e is None else printer.statement(next(reduced_iter)) for e in grads]
    params = ", ".join(["g"] + [x.name for x in xs] + ["out"])
    body = ", ".join(items) + ("," if len(items) == 1 else "")
    lines = [f"def vjp({params}):"]
    lines += [f"    {t} = {printer.statement(e)}" for t, e in temps]
    return "\n".join(lines) + f"\n    return ({body})\n", reads


def _structural_node(op: str, static: dict[str, Any]) -> tuple[list, Any]:
    """The node of ``op`` on symbols x0, x1, ... (one per array; ``n`` of them for a variadic
    entry), built by the registry entry from numpy's parameter names."""
    import sympy as sp

    from symgrad.rules.base import Structural

    entry = registry.by_name(op)
    static = dict(static)
    n = static.pop("n") if entry.variadic else len(entry.arrays)
    xs = [sp.Symbol(f"x{i}", real=True) for i in range(n)]
    arrays = {entry.arrays[0]: xs} if entry.variadic else dict(zip(entry.arrays, xs, strict=True))
    node = entry.build(**arrays, **static)
    if not isinstance(node, Structural):
        raise KeyError(f"symgrad has no derivative rule for {op!r} (it builds {node})")
    return xs, node
