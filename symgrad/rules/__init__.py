"""The one derivative table, read by both the source transform and the eager Tensor.

``registry`` holds one entry per primitive: an elementwise primitive's SymPy form
(derivatives come from ``sympy.diff``), or a structural primitive's rule with its adjoint
template (in the family modules). ``vjp_rule`` looks up one primitive's backward as SymPy
expressions; codegen prints it (``codegen.vjp_module``) as it prints every gradient, and the
Tensor runs the printed function (``symgrad.runtime.vjps``). Nothing here prints or runs code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symgrad.rules import registry
from symgrad.rules.elementwise import ALIASES, ELEMENTWISE_NAMES, NON_DIFFERENTIABLE_ARGS

# elementwise entries of the later families (rules/special.py) join elementwise.py's views
_LATER = [e for e in registry.entries() if e.form is not None and e.name not in ELEMENTWISE_NAMES]
ELEMENTWISE_NAMES = ELEMENTWISE_NAMES | {e.name for e in _LATER}
NON_DIFFERENTIABLE_ARGS = {**NON_DIFFERENTIABLE_ARGS,
                           **{e.name: e.nondiff_args for e in _LATER if e.nondiff_args}}
ALIASES = {**ALIASES, **{alias: e.name for alias, e in registry._BY_NAME.items()
                         if e in _LATER and alias != e.name}}
del _LATER

__all__ = ["ELEMENTWISE_NAMES", "INDEXED", "STRUCTURAL_NAMES", "VjpRule", "is_variadic",
           "vjp_rule"]

# the structural primitives with a derivative: every rule entry with arrays, not constant
STRUCTURAL_NAMES = frozenset(
    e.name for e in registry.entries()
    if e.rule is not None and e.arrays and not e.has(registry.NONDIFF))

# the ops whose index is the vjp's last parameter, ``index``, rather than a static printed
# into its text: one function serves every index (an index may hold arrays). ``add_at`` is
# ``np.add.at(x, index, v)``, x plus v scattered at the index (the Tensor's getitem gradient).
INDEXED = frozenset({"getitem", "setitem", "add_at"})


def is_variadic(op: str) -> bool:
    """Whether ``op`` takes a sequence of arrays (np.concatenate): its vjp is per count."""
    entry = registry.by_name(ALIASES.get(op, op))
    return entry is not None and entry.variadic


@dataclass(frozen=True)
class VjpRule:
    """One primitive's backward: ``grads[i]``, the cotangent of input ``inputs[i]`` (None where
    no gradient flows), is a SymPy expression over the symbols named by ``params``: the
    output's cotangent ``g``, the inputs ``x0, x1, ...``, the output ``out`` and, for an
    INDEXED op, ``index``. ``reads[i]`` names the parameters ``grads[i]`` reads (the Tensor
    checks only those for writes in place). Elementwise cotangents may still be
    broadcast-shaped: the engine sums them to their input's shape."""

    op: str
    params: tuple[str, ...]
    inputs: tuple[str, ...]
    grads: tuple[Any, ...]
    reads: tuple[frozenset[str], ...]


def vjp_rule(op: str, static: dict[str, Any]) -> VjpRule:
    """The backward of ``op`` with its static arguments (``n``, the number of arrays, for a
    variadic op); KeyError for an op with no derivative rule."""
    import sympy as sp

    from symgrad.derivative import derivative
    from symgrad.rules import elementwise as ew
    from symgrad.simplify import clean

    op = ALIASES.get(op, op)
    g, out = sp.Symbol("g", real=True), sp.Symbol("out", real=True)
    extra: list[Any] = []
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
    elif op == "add_at":
        xs = [sp.Symbol("x0", real=True), sp.Symbol("x1", real=True)]
        extra = [sp.Symbol("index", real=True)]
        grads = [g, registry.by_name("getitem").build(a=g, index=extra[0])]
    elif op in STRUCTURAL_NAMES:
        if op in INDEXED:
            extra = [sp.Symbol("index", real=True)]
            static = {**static, "index": extra[0]}
        xs, node = _structural_node(op, static)
        grads = [None if v is None else v.xreplace({node: out}) for v in node.vjp(g)]
        grads += [None] * (len(xs) - len(grads))  # arrays after the n_diff: no gradient
    else:
        raise KeyError(f"symgrad has no derivative rule for {op!r}")
    reads = tuple(frozenset() if e is None else frozenset(x.name for x in e.free_symbols)
                  for e in grads)
    inputs = tuple(x.name for x in xs)
    params = ("g", *inputs, "out", *(x.name for x in extra))
    return VjpRule(op, params, inputs, tuple(grads), reads)


def _structural_node(op: str, static: dict[str, Any]) -> tuple[list, Any]:
    """The node of ``op`` on symbols x0, x1, ... (one per array; ``n`` of them for a variadic
    entry), built by the registry entry from numpy's parameter names."""
    import sympy as sp

    from symgrad.rules.base import Structural

    entry = registry.by_name(op)
    static = dict(static)
    # (an optional array, logsumexp's b=None, is left out: the Tensor's op has none)
    required = [a for a in entry.arrays if a not in entry.defaults]
    n = static.pop("n") if entry.variadic else len(required)
    xs = [sp.Symbol(f"x{i}", real=True) for i in range(n)]
    arrays = {entry.arrays[0]: xs} if entry.variadic else dict(zip(required, xs, strict=True))
    node = entry.build(**arrays, **static)
    if not isinstance(node, Structural):
        raise KeyError(f"symgrad has no derivative rule for {op!r} (it builds {node})")
    return xs, node
