"""Custom derivative rules, as JAX has them: ``@symgrad.custom_vjp`` with ``@f.defvjp``,
``@symgrad.custom_jvp`` with ``@f.defjvp``, and ``symgrad.defvjp(func, bwd)`` for a function
symgrad cannot read (a compiled routine).

A custom jvp is ``jvp(primals, tangents)`` -> ``(primal_out, tangent_out)``, as JAX's: forward
mode calls it; reverse mode transposes it (``symgrad/transpose.py``), which needs it to be
linear in the tangents, as JAX's transposition does.

The backward is ``bwd(g, *args, out)`` -> one cotangent per argument (a tuple), ``out``
being ``f(*args)``. Each rule becomes a registry entry (``rules/custom.py``): wherever
differentiated code calls ``f``, the generated module calls ``f`` forward and ``bwd``
backward, both copied into the module from your source (a compiled ``func`` is imported
from its module instead), so the module stays standalone and readable. Called on Tensors,
``f`` is one graph node whose backward is ``bwd``.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from symgrad.errors import SymgradError

__all__ = ["custom_jvp", "custom_vjp", "defvjp"]


class CustomVjp:
    """A function with a vjp of your own: call it as the function; ``.defvjp(bwd)`` sets
    the rule (as a decorator too)."""

    def __init__(self, fn: Callable) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.bwd: Callable | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from symgrad.runtime.function import apply
        from symgrad.runtime.tensor import Tensor

        if kwargs or len(args) < len(inspect.signature(self.fn).parameters):
            bound = inspect.signature(self.fn).bind(*args, **kwargs)
            bound.apply_defaults()  # (the rule takes every argument by position)
            args = bound.args
        if self.bwd is not None and any(type(a) is Tensor for a in args):
            bwd = self.bwd
            fn = self.fn
            return apply(self.fn.__name__, fn, lambda g, *xs: bwd(g, *xs, fn(*xs)), *args)
        return self.fn(*args)

    def defvjp(self, bwd: Callable) -> Callable:
        """Use ``bwd(g, *args, out)`` as this function's vjp; returns ``bwd``."""
        _register(self, self.fn, bwd, inline=True)
        self.bwd = bwd
        return bwd

    def __repr__(self) -> str:
        return f"<symgrad.custom_vjp {self.fn.__qualname__}>"

    @property
    def __symgrad_rule__(self) -> tuple[Callable, Callable | None]:
        """What the disk cache fingerprints: the function and its rule."""
        return self.fn, self.bwd


class CustomJvp:
    """A function with a jvp of your own: call it as the function; ``.defjvp(jvp)`` sets the
    rule (as a decorator too), ``jvp(primals, tangents)`` -> ``(primal_out, tangent_out)``."""

    def __init__(self, fn: Callable) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.jvp: Callable | None = None
        self._entry: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from symgrad.runtime.function import apply
        from symgrad.runtime.tensor import Tensor

        if kwargs or len(args) < len(inspect.signature(self.fn).parameters):
            bound = inspect.signature(self.fn).bind(*args, **kwargs)
            bound.apply_defaults()
            args = bound.args
        if self.jvp is not None and any(type(a) is Tensor for a in args):
            from symgrad.transpose import transposed

            backward = transposed(self)  # the jvp transposed: a function (g, *args, out)
            fn = self.fn
            return apply(self.fn.__name__, fn, lambda g, *xs: backward(g, *xs, fn(*xs)),
                         *args)
        return self.fn(*args)

    def defjvp(self, jvp: Callable) -> Callable:
        """Use ``jvp(primals, tangents)`` -> ``(primal_out, tangent_out)`` as this function's
        forward-mode rule; returns ``jvp``."""
        from symgrad.rules.custom import register_custom_jvp

        params = [p for p in inspect.signature(jvp).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(params) != 2:
            raise SymgradError(f"{jvp.__name__} takes ({', '.join(p.name for p in params)}): "
                               "a custom jvp takes (primals, tangents)",
                               hint="def f_jvp(primals, tangents): x, = primals; ...; "
                               "return y, dy")
        own = [p for p in inspect.signature(self.fn).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        function = (self.fn.__name__, _standalone_source(self.fn, "the function"), None)
        rule = (jvp.__name__, _standalone_source(
            jvp, "its jvp", frozenset({"np", self.fn.__name__})))
        self.jvp = jvp
        spelled = [p.name if p.default is p.empty or type(p.default) not in (
            int, float, bool) else f"{p.name}={p.default!r}" for p in own]
        self._entry = register_custom_jvp(self, self.fn.__name__, ", ".join(spelled),
                                          function, rule)
        return jvp

    def __repr__(self) -> str:
        return f"<symgrad.custom_jvp {self.fn.__qualname__}>"

    @property
    def __symgrad_rule__(self) -> tuple[Callable, Callable | None]:
        """What the disk cache fingerprints: the function and its rule."""
        return self.fn, self.jvp


def custom_jvp(fn: Callable) -> CustomJvp:
    """``@symgrad.custom_jvp`` on a ``def``; then ``@f.defjvp`` on ``jvp(primals, tangents)``
    returning ``(primal_out, tangent_out)``, as ``jax.custom_jvp``. Forward mode (``G.jvp``,
    Hessians through loops) calls the rule; reverse mode (``G.grad``) transposes it, which
    needs ``tangent_out`` linear in the tangents (as JAX's)."""
    if not inspect.isfunction(fn):
        raise SymgradError(f"symgrad.custom_jvp takes a def, not {type(fn).__name__}",
                           hint="wrap the function in a def of your own")
    return CustomJvp(fn)


def custom_vjp(fn: Callable) -> CustomVjp:
    """``@symgrad.custom_vjp`` on a ``def``; then ``@f.defvjp`` on ``bwd(g, *args, out)``
    returning one cotangent per argument. Typical: a straight-through estimator, a safe
    log, gradient clipping."""
    if not inspect.isfunction(fn):
        raise SymgradError(f"symgrad.custom_vjp takes a def, not {type(fn).__name__}",
                           hint="for a compiled function, use symgrad.defvjp(func, bwd)")
    return CustomVjp(fn)


def defvjp(func: Callable, bwd: Callable) -> None:
    """Register ``bwd(g, *args, out)`` as the vjp of ``func``, a function symgrad cannot read
    (``scipy.linalg.expm``, a C extension's): the generated module imports ``func`` from its
    module and calls it forward, and calls ``bwd`` (copied from your source) backward."""
    _register(func, func, bwd, inline=False)


def _register(obj: Any, fn: Callable, bwd: Callable, inline: bool) -> None:
    from symgrad.rules.custom import register_custom

    n_args = _n_args(fn, bwd)
    if inline:
        function = (fn.__name__, _standalone_source(fn, "the function"), None)
    else:
        module = _public_module(fn)
        if module is None:
            raise SymgradError(f"symgrad.defvjp: {fn!r} cannot be imported by name from a "
                               "module, so a generated module could not call it",
                               hint="wrap it in a def and use @symgrad.custom_vjp")
        function = (f"{module}.{fn.__name__}", None, module)
    # the module imports the compiled function's module: the vjp may call it too
    imported = frozenset({"np"} | ({function[2].split(".")[0]} if function[2] else set()))
    backward = (bwd.__name__, _standalone_source(bwd, "its vjp", imported))
    register_custom(obj, fn.__name__, _params(fn, bwd, n_args), function, backward)


def _public_module(fn: Callable) -> str | None:
    """The shortest module path that has ``fn`` under its name: ``scipy.linalg`` for
    ``expm``, whose home is ``scipy.linalg._matfuncs``."""
    import importlib

    home = getattr(inspect.getmodule(fn), "__name__", None) or getattr(fn, "__module__", None)
    if not home:  # a ufunc (scipy.special.ndtr) names no module: find one that has it
        return _module_having(fn)
    parts = home.split(".")
    for i in range(1, len(parts) + 1):
        path = ".".join(parts[:i])
        try:
            if getattr(importlib.import_module(path), fn.__name__, None) is fn:
                return path
        except ImportError:
            continue
    return None


def _module_having(fn: Callable) -> str | None:
    """The shortest public imported module path with ``fn`` under its name, or None."""
    import sys

    found = [name for name, module in list(sys.modules.items())
             if module is not None and not any(p.startswith("_") for p in name.split("."))
             and getattr(module, fn.__name__, None) is fn]
    return min(found, key=lambda name: (name.count("."), len(name)), default=None)


def _params(fn: Callable, bwd: Callable, n_args: int) -> str:
    """The parameter list calls of the function are bound by: its own (names and number
    defaults) where it has ``n_args`` positional ones, else the rule's (``bwd(g, x, k, out)``
    names x and k), so ``f(x, k=2.0)`` reads as ``f(x, 2.0)``."""
    try:
        own = [p for p in inspect.signature(fn).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # a compiled function without a signature
        own = []
    if len(own) == n_args:
        def spelled(p: inspect.Parameter) -> str:
            default = p.default
            if default is p.empty or type(default) not in (int, float, bool, type(None)):
                return p.name
            return f"{p.name}={default!r}"
        return ", ".join(map(spelled, own))
    names = [p.name for p in inspect.signature(bwd).parameters.values()][1:n_args + 1]
    return ", ".join(names)


def _n_args(fn: Callable, bwd: Callable) -> int:
    """The number of array arguments: bwd's parameters but g and out."""
    params = [p for p in inspect.signature(bwd).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(params) < 3:
        raise SymgradError(f"{bwd.__name__} takes ({', '.join(p.name for p in params)}): a "
                           "vjp takes (g, *args, out)", hint="def bwd(g, x, out): ...")
    return len(params) - 2


def _standalone_source(fn: Callable, what: str, provided: frozenset[str] = frozenset({"np"})
                       ) -> str:
    """``fn``'s source without decorators, refused if it reads anything but numpy and its
    own parameters and locals (it is copied into a module that has only numpy)."""
    from symgrad.generated import undefined_names

    try:
        text = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as exc:
        raise SymgradError(f"symgrad cannot read the source of {what}, {fn.__qualname__}",
                           hint="define it in a .py file") from exc
    tree = ast.parse(text)
    func = tree.body[0]
    if not isinstance(func, ast.FunctionDef):
        raise SymgradError(f"{what}, {fn.__qualname__}, must be a plain def")
    func.decorator_list = []
    source = ast.unparse(func)
    missing = sorted(undefined_names(source, provided))
    if missing:
        raise SymgradError(f"{what}, {fn.__qualname__}, reads {', '.join(missing)}: it is "
                           "copied into the generated module, which has only numpy",
                           filename=inspect.getsourcefile(fn), lineno=fn.__code__.co_firstlineno,
                           hint="use numpy (as np), its parameters and its own variables")
    return source
