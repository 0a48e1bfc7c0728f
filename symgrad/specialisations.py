"""One function's gradients specialised on argument ranks, made at the first call with them.

A call with numpy arrays runs the module made for their ranks (each array's ndim and which
of its axes have length 1, ``symgrad.patterns``), whose shape plumbing the transformation
decided (``symgrad.adjoint.ranks``). The generic module serves everything else: Python
numbers, tuples of arrays, other array libraries, and every transformation built on it
(``jvp``, ``symgrad.grad(G.grad)``, export), which must hold for any ranks.

No SymPy here: the fast path reads ``by_shapes`` (argument shapes and dtypes -> what to run), and a
call with new ranks on a warm disk cache loads its module without transforming.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from symgrad import live
from symgrad.hot import straight
from symgrad.patterns import of_value

MAX_RANKED = 8  # specialisations kept per function (the least recently used goes)
MAX_SHAPES = 256  # argument shapes remembered per function, each naming its specialisation
# what a specialisation writes out: a generic module with none of these has nothing to gain
_PLUMBING = ("_sum_to(", "_broadcast_to(", "_matmul_grad_", "np.broadcast(", "_zeros_like(")
_MISSING: Any = object()


def plumbed(generic_source: str) -> bool:
    """Whether a generic module has shape plumbing for a specialisation to write out."""
    return any(name in generic_source for name in _PLUMBING)


class Ranked:
    """The module specialised for one pattern of argument ranks, running."""

    __slots__ = ("module", "namespace", "primal", "value_and_grad")

    def __init__(self, owner: Any, module: Any, namespace: dict[str, Any]) -> None:
        self.module = module
        self.namespace = namespace
        live.bind(owner._watched, namespace, live.constant_names(module.generated.constants))
        self.primal = namespace[module.generated.primal_name]
        self.value_and_grad = namespace[module.generated.value_and_grad_name]


class Fast:
    """What the fast path runs for one key (the arguments' shapes and dtypes): a
    specialisation's functions, or the generic module's (``entry`` None). ``checked``: a call
    returned gradients already typed and shaped as their arguments, so the next calls only
    check their types and dtypes; ``exact``: and not even those (straight-line code,
    ``hot.straight``). A fast call records only its ``Fast``: ``described`` is its arguments
    as ``export.describe_call`` would describe them."""

    __slots__ = ("checked", "entry", "exact", "key", "primal", "straight", "value_and_grad")

    def __init__(self, entry: Ranked | None, primal: Any, value_and_grad: Any,
                 key: tuple = (), straight: bool = False) -> None:
        self.entry, self.primal, self.value_and_grad = entry, primal, value_and_grad
        self.key, self.straight = key, straight
        self.checked = self.exact = False

    def described(self) -> tuple:
        from symgrad.export import _Shaped

        key = self.key
        return tuple(_Shaped(key[i], key[i + 1]) for i in range(0, len(key), 2)), {}


class Specialisations:
    """A GradFunction's specialisations: rank patterns -> ``Ranked`` (None where the generic
    module serves), least recently used first, at most ``MAX_RANKED``."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, Ranked | None] = OrderedDict()
        # argument shapes and dtypes -> specialisation, for the fast path (cleared, never
        # replaced)
        self.by_shapes: dict[tuple, Fast] = {}
        self.namespaces: list[dict[str, Any]] = []  # theirs: live.stale rebinds globals there
        self.plumbed = False

    def reset(self) -> None:
        """Forget every specialisation: the generic module was made again (``plumbed`` is
        True until it is generated: then ``plumbed(its source)``)."""
        self.entries.clear()
        self.by_shapes.clear()
        self.namespaces.clear()
        self.plumbed = True

    def for_shapes(self, g: Any, args: tuple, key: tuple) -> Fast:
        """``for_args`` as the fast path runs it, remembered under ``key`` (the arguments'
        shapes and dtypes)."""
        if len(self.by_shapes) >= MAX_SHAPES:
            self.by_shapes.clear()
        entry = self.for_args(g, args)
        if entry is None:
            generated, namespace, fns = g._generated, g._namespace, (g._primal,
                                                                     g._value_and_grad)
        else:
            generated, namespace, fns = entry.module.generated, entry.namespace, (
                entry.primal, entry.value_and_grad)
        exact = g.backend == "numpy" and straight(generated.source,
                                                  generated.value_and_grad_name, namespace)
        fast = self.by_shapes[key] = Fast(entry, *fns, key=key, straight=exact)
        return fast

    def for_args(self, g: Any, args: tuple) -> Ranked | None:
        """The specialisation for the ranks of ``args``, made now the first time (from
        memory or the disk cache when it can); None where the generic module serves."""
        patterns = tuple(map(of_value, args))
        entry = self.entries.get(patterns, _MISSING)
        if entry is not _MISSING:
            self.entries.move_to_end(patterns)
            return entry
        entry = None
        if g._module.pending is not None and any(self.entries.values()):
            g._generated  # noqa: B018 (a second pattern: the generic module now, which says
            # whether it has any plumbing to write out: without, it serves every pattern)
        if self.plumbed and g.backend == "numpy" and any(p is not None for p in patterns):
            from symgrad import api

            ranks = {n: p for n, p in zip(g.params, patterns, strict=True) if p is not None}
            generic = g._module  # (pending: not generated, and none of its text to compare)
            try:
                module = api._module(g.fn, g.wrt, g.has_aux, g._statics, ranks,
                                     generic=generic)
            except Exception:  # (its source file gone since decoration, say): the generic
                module = None  # module, right for any ranks, serves these too
            if module is not None and (generic.pending is not None or
                                       module.generated.source.partition("\n")[2] !=
                                       g._generated.source.partition("\n")[2]):
                entry = Ranked(g, module, api._exec(g.fn, module))  # (past the header line)
                self.namespaces.append(entry.namespace)
                if generic.pending is not None and g._seed_default is api._MISSING:
                    g._learn(entry.value_and_grad, module.generated.constants)
        self.entries[patterns] = entry
        if len(self.entries) > MAX_RANKED:
            oldest = next(iter(self.entries))
            if g._shown is not None and self.entries[oldest] is g._shown:
                self.entries.move_to_end(oldest)  # (fast-path calls use it without a move)
            dropped = self.entries.popitem(last=False)[1]
            if dropped is not None:
                self.namespaces.remove(dropped.namespace)
            self.by_shapes.clear()  # (some of them name the one dropped)
        return entry
