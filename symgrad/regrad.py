"""Differentiating generated code again: ``symgrad.grad(G.grad)``, ``symgrad.grad(G.jvp)``.

A generated module is Python and numpy, so symgrad reads it as it reads the user's code:
``symgrad.grad(G.grad)`` differentiates the generated ``f_grad`` (its text is in
``linecache``, under the module's ``<symgrad:...>`` name), and ``symgrad.grad`` of that
gradient differentiates ``f_grad_grad``, to any order.

What makes generated code more than numpy is its helpers (``_sum_to(g, x)``,
``_matmul_grad_b(g, a, b)``): each is the printed form of a node the adjoint made
(``SumTo``, ``ProductGrad``), and that node has its own vjp and jvp. So a helper called
from a generated module is read back as its node, through the registry entries here (bound
to ``symgrad.helpers``' functions; the module's copies are tagged with
``__symgrad_wrapped__``, as a decorated function is). A helper with no node to read it as is
refused by name at its line, not inlined (its body tests types, as only Python can).
"""

from __future__ import annotations

import copy
from typing import Any

from symgrad import helpers
from symgrad.errors import SymgradError

# helper -> (params, arrays) of the nodes they print: one entry per helper, none a
# derivative of its own (each builds the existing node, whose rule has the derivatives)
_PRODUCT_HELPERS = tuple(f"_{p}_grad_{s}" for p in ("matmul", "dot", "inner", "outer", "kron")
                         for s in "ab")
_LIST_HELPERS = ("_list_zeros", "_list_item_grad")  # read back as ListGradZeros, ListItemGrad
_registered = False


def _register() -> None:
    """The entries binding the helpers (made once, on the first generated function read)."""
    global _registered
    if _registered:
        return
    import sympy

    from symgrad.rules import base
    from symgrad.rules.grads import BroadcastLike, SumTo
    from symgrad.rules.indexing import ClearItem, ScatterInto, SetItem
    from symgrad.rules.linalg import ProductGrad
    from symgrad.rules.registry import NONDIFF, Primitive, Rule, register
    from symgrad.rules.shape import Shape

    class SumToCall(Rule):
        """``_sum_to(g, like)`` read back: a ``SumTo`` node."""

        @classmethod
        def make(cls, g: Any, like: Any) -> Any:
            return SumTo(g, like)

    class BroadcastToCall(Rule):
        """``_broadcast_to(g, np.shape(x))`` read back: a ``BroadcastLike`` node."""

        @classmethod
        def make(cls, g: Any, shape: Any) -> Any:
            if not isinstance(shape, Shape):
                raise ValueError("only _broadcast_to(g, np.shape(x)) is read back")
            return BroadcastLike(g, shape.args[0])

    class ZerosLikeCall(Rule):
        """``_zeros_like(x)`` read back: a ``TreeZeros`` node for a name (an array or a
        dict or list of them), ``np.zeros(np.shape(x))`` for an array expression."""

        @classmethod
        def make(cls, x: Any) -> Any:
            from symgrad.rules.creation import Zeros
            from symgrad.rules.grads import TreeZeros

            if not isinstance(x, sympy.Basic):
                raise ValueError("only _zeros_like of an array or a parameter is read back")
            # (a parameter a loop indexes may be a dict or a list of arrays: its zeros are
            # one per item, as the generated code made them, not np.zeros(np.shape(p)))
            return TreeZeros(x) if isinstance(x, sympy.Symbol) else Zeros.make(Shape(x))

    register(Primitive("generated:_zeros_like", binds=(helpers._zeros_like,), params="x",
                       arrays=("x",), traits={NONDIFF}, rule=ZerosLikeCall))
    def index(parts: Any) -> list[Any]:
        from symgrad.frontend.expressions import IndexParts

        if not isinstance(parts, IndexParts):
            raise ValueError("the index is read back as np.s_[...]")
        return list(parts)

    class GetItemGradCall(Rule):
        """``_getitem_grad(g, x, np.s_[i])`` read back: a ``ScatterInto`` node."""

        @classmethod
        def make(cls, g: Any, x: Any, at: Any) -> Any:
            if not isinstance(x, sympy.Basic):
                raise ValueError("only _getitem_grad into an array is read back")
            return ScatterInto(g, x, *index(at))

    class ZeroAtCall(Rule):
        """``_zero_at(g, np.s_[i])`` read back: a ``ClearItem`` node."""

        @classmethod
        def make(cls, g: Any, at: Any) -> Any:
            return ClearItem(g, *index(at))

    class SetItemCall(Rule):
        """``_set_item(x, np.s_[i], v)`` (a write on a copy) read back: a ``SetItem`` node."""

        @classmethod
        def make(cls, x: Any, at: Any, value: Any) -> Any:
            return SetItem(x, value, *index(at))

    class ProdOthersCall(Rule):
        """``_prod_others(x, axis)`` (np.prod's gradient) read back: a ``ProdOthers`` node."""

        @classmethod
        def make(cls, x: Any, axis: Any) -> Any:
            from symgrad.rules.reductions import ProdOthers

            return ProdOthers(x, base.static(axis))

    register(Primitive("generated:_prod_others", binds=(helpers._prod_others,),
                       params="x, axis", arrays=("x",), rule=ProdOthersCall))
    register(Primitive("generated:_set_item", binds=(helpers._set_item,),
                       params="x, index, value", arrays=("x", "value"), values=("index",),
                       rule=SetItemCall))
    register(Primitive("generated:_getitem_grad", binds=(helpers._getitem_grad,),
                       params="g, x, index", arrays=("g", "x"), values=("index",),
                       rule=GetItemGradCall))
    register(Primitive("generated:_zero_at", binds=(helpers._zero_at,), params="g, index",
                       arrays=("g",), values=("index",), rule=ZeroAtCall))
    register(Primitive("generated:_sum_to", binds=(helpers._sum_to,), params="g, like",
                       arrays=("g", "like"), rule=SumToCall))
    register(Primitive("generated:_broadcast_to", binds=(helpers._broadcast_to,),
                       params="g, shape", arrays=("g",), values=("shape",),
                       rule=BroadcastToCall))
    for name in _PRODUCT_HELPERS:
        rule = type(f"ProductGradCall{name}", (Rule,), {
            "make": classmethod(lambda cls, g, a, b, _n=name: ProductGrad(
                base.static(_n), g, a, b)),
            "__doc__": f"``{name}(g, a, b)`` read back: a ``ProductGrad`` node."})
        register(Primitive(f"generated:{name}", binds=(getattr(helpers, name),),
                           params="g, a, b", arrays=("g", "a", "b"), rule=rule))
    _registered = True


def _refused(name: str) -> Any:
    """A helper with no node to read it back as: refused at its line, by name."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise SymgradError(f"differentiating generated code through its helper {name} is not "
                           "supported yet", hint="differentiate the original function with "
                           "G.hessian / G.hvp / G.jacobian instead")
    refuse.__name__ = name
    return refuse


def tag(namespace: dict[str, Any]) -> None:
    """Mark the helpers a generated module defined as symgrad's own (read back as nodes)."""
    _register()
    for name, value in list(namespace.items()):
        original = getattr(helpers, name, None) if name.startswith("_") else None
        if callable(original) and callable(value) and \
                getattr(value, "__name__", None) == name:
            from symgrad.rules.registry import by_object

            try:  # (a list's cotangent helpers: read by the lowering's list calls)
                value.__symgrad_wrapped__ = original if by_object(original) is not None or \
                    name in _LIST_HELPERS else _Unsupported(name)
            except AttributeError:  # (not a plain function)
                continue


class _Unsupported:
    """What a helper without a node reads as: a callable the frontend cannot read, whose
    refusal names the helper."""

    def __init__(self, name: str) -> None:
        self.__name__ = self.__qualname__ = name
        self.__module__ = "symgrad.helpers"

    def __repr__(self) -> str:
        return f"the generated helper {self.__name__} (not differentiable again yet)"


def _untaped(fn: Any, origin: Any) -> None:
    """A loop's generated gradient keeps a tape (a list of each iteration's values as
    tuples), which the lowering does not read: it reads ``fn`` with its tapes as lists of
    arrays instead (``frontend/readback.py``), the same function. ``origin``: the decorated
    function whose gradient ``fn`` is."""
    if getattr(fn, "__symgrad_parsed__", None) is not None:
        return
    from symgrad.frontend.parse import Parsed, parse_function
    from symgrad.frontend.readback import readable

    p = parse_function(fn)
    tree, taped = readable(p.tree)
    if tree is p.tree:
        return

    def parsed() -> Parsed:
        return Parsed(p.fn, copy.deepcopy(tree), p.source, p.filename, p.firstlineno, p.lines)

    fn.__symgrad_parsed__ = parsed
    if taped:  # (its gradient keeps those lists: see refuse_lists_in_loops)
        fn.__symgrad_untaped__ = origin


def refuse_lists_in_loops(g: Any, cause: SymgradError) -> None:
    """The gradient of a gradient read with its tapes as lists (``_untaped``) keeps those
    lists in its loops; where ``symgrad.grad`` of it failed (``cause``: a form of them the
    lowering does not read yet, as a nested loop's tape), third order through a loop is
    refused here, with the way that works (reverse over forward over reverse: the jvp's
    gradient, differentiated again). Nothing is raised for any other gradient."""
    origin = getattr(g.fn, "__symgrad_untaped__", None)
    if origin is None or not any(t.taped for t in g._adjoint.plan.tapes.values()):
        return
    loops = [s for s, t in origin._adjoint.plan.tapes.items() if t.taped] or [None]
    loop = min(loops, key=lambda s: getattr(s, "lineno", 0) or 0)
    code = origin.fn.__code__
    lines = getattr(loop, "lines", None)
    raise SymgradError(
        f"symgrad.grad of {g.fn.__name__}'s gradient: a third derivative through the loop "
        f"here (the gradient of {origin.fn.__name__}'s gradient, differentiated again) is "
        f"not supported yet for this loop ({cause.message})", filename=code.co_filename,
        lineno=getattr(loop, "lineno", None) or code.co_firstlineno,
        source_line=lines[0].strip() if lines else None,
        hint="differentiate the forward mode's gradient instead: J = symgrad.grad(G.jvp); "
        "symgrad.grad(J.grad).grad(..., seed=(0.0, 1.0), seed_1=u) is d/dw (u . H v) for "
        "the tangent v") from cause


def generated_function(obj: Any) -> tuple[Any, tuple[str, ...]] | None:
    """``(function, default wrt)`` for a transformation of a decorated function
    (``G.grad``, ``G.vjp``, ``G.jvp``, ``G.hvp``): its generated function, tagged; the
    default wrt is G's. None for anything else."""
    from symgrad.api import GradFunction, _BoundWithSource
    from symgrad.transformations import Hessian, Hvp, Jacobian, Jvp, Vjp, _straight_line

    if isinstance(obj, _BoundWithSource) and isinstance(obj.__self__, GradFunction) and \
            obj.__func__ is GradFunction.grad.method:
        g = obj.__self__
        g._fresh()
        if g.has_aux:
            raise SymgradError(f"symgrad.grad of {g.fn.__name__}'s gradient: a function "
                               "with has_aux is not supported yet",
                               hint="differentiate a function without aux outputs")
        tag(g._namespace)
        fn = g._namespace[g._generated.grad_name]
        _untaped(fn, g)
        return fn, g.wrt
    if isinstance(obj, Vjp):
        return generated_function(obj._owner.grad)
    if isinstance(obj, (Hessian, Jacobian)):
        raise SymgradError(f"symgrad.grad of G.{type(obj).__name__.lower()}: it is assembled "
                           "from many calls, not one generated function",
                           hint="differentiate G.hvp or G.jvp (one generated function each)")
    if isinstance(obj, Jvp):  # G.jvp, G.hvp (forward over reverse, straight-line code)
        g = obj._owner
        if isinstance(obj, Hvp) and not _straight_line(g):
            raise SymgradError(f"symgrad.grad of G.hvp: {g.fn.__name__} has loops or "
                               "branches, whose hvp is not one generated function",
                               hint="differentiate G.jvp instead")
        fn = obj._module()[1]
        tag(fn.__globals__)
        return fn, g.wrt
    return None
