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

from typing import Any

from symgrad import helpers
from symgrad.errors import SymgradError

# helper -> (params, arrays) of the nodes they print: one entry per helper, none a
# derivative of its own (each builds the existing node, whose rule has the derivatives)
_PRODUCT_HELPERS = tuple(f"_{p}_grad_{s}" for p in ("matmul", "dot", "inner", "outer", "kron")
                         for s in "ab")
_registered = False


def _register() -> None:
    """The entries binding the helpers (made once, on the first generated function read)."""
    global _registered
    if _registered:
        return
    from symgrad.rules import base
    from symgrad.rules.grads import BroadcastLike, SumTo
    from symgrad.rules.linalg import ProductGrad
    from symgrad.rules.registry import Primitive, Rule, register
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

            try:
                value.__symgrad_wrapped__ = original if by_object(original) is not None \
                    else _Unsupported(name)
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


def _refuse_taped_loops(g: Any) -> None:
    """A loop's generated gradient records each iteration's values on a tape (a list of
    tuples), which the frontend does not read: refused here, at decoration, at the user's
    loop, with the transformations that do differentiate it twice."""
    adj = g._adjoint
    taped = [loop for loop, tape in adj.plan.tapes.items() if tape.taped]
    if not taped:
        return
    loop = min(taped, key=lambda s: s.lineno or 0)
    line = loop.lines[0].strip() if getattr(loop, "lines", None) else None
    raise SymgradError(
        f"symgrad.grad of {g.fn.__name__}'s gradient: the loop here makes its generated "
        "gradient keep a tape (a list of each iteration's values), which symgrad cannot "
        "differentiate again yet", filename=g.fn.__code__.co_filename,
        lineno=loop.lineno or g.fn.__code__.co_firstlineno, source_line=line,
        hint=f"for second derivatives use G.hessian(...) or G.hvp(..., v=...), which go "
        f"through loops; or differentiate forward mode: symgrad.grad(G.jvp, wrt="
        f"{g.wrt[0]!r}).grad(..., seed=(0.0, 1.0)) is H v")


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
        _refuse_taped_loops(g)
        tag(g._namespace)
        return g._namespace[g._generated.grad_name], g.wrt
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
