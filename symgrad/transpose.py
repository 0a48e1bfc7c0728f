"""Reverse mode through a ``@symgrad.custom_jvp`` function: its jvp, transposed.

JAX transposes a custom jvp's linear part. symgrad does it by differentiating: for a jvp
linear in its tangents, ``tangent_out = J(x) dx``, so the gradient of ``<g, tangent_out>``
with respect to ``dx`` is ``J(x)^T g`` at any ``dx`` (zeros, here). symgrad generates that
gradient from the rule's own source (``f_jvp_lin`` below, the rule called and its tangent
contracted with ``g``), checks that it reads no tangent's value (else the jvp is not linear
in the tangents and the gradient would be wrong: refused), and wraps the generated module in
one function ``f_jvp_transposed(g, *args, out)``, which the reverse pass calls as it calls a
custom vjp's backward.
"""

from __future__ import annotations

import linecache
import textwrap
from typing import Any

import numpy as np
import sympy as sp

from symgrad.errors import SymgradError


def _linear_part(obj: Any) -> tuple[Any, list[str], list[str]]:
    """The generated gradient of ``<g, jvp(primals, tangents)[1]>`` by the tangents, with
    the primal and tangent parameter names; checked linear."""
    import inspect

    from symgrad.api import GradFunction

    fn, jvp = obj.fn, obj.jvp
    primals = [p.name for p in inspect.signature(fn).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    taken = set(primals) | {"g", "np", jvp.__name__}
    tangents = []
    for p in primals:
        t = f"d{p}"
        while t in taken:
            t = f"d{t}"
        taken.add(t)
        tangents.append(t)
    g = "g"

    def packed(xs: list[str]) -> str:
        return f"({xs[0]},)" if len(xs) == 1 else f"({', '.join(xs)})"

    name = f"{fn.__name__}_jvp_lin"
    text = (f"def {name}({', '.join(primals + tangents)}, {g}):\n"
            f"    _, tangent = {jvp.__name__}({packed(primals)}, {packed(tangents)})\n"
            f"    return np.sum({g} * tangent)\n")
    filename = f"<symgrad transpose of {fn.__qualname__}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace: dict[str, Any] = {"np": np, jvp.__name__: jvp,
                                 "__name__": f"symgrad_generated.{fn.__name__}"}
    exec(compile(text, filename, "exec"), namespace)
    lin = GradFunction(namespace[name], tangents)
    _check_linear(obj, lin._adjoint, tangents)
    return lin, primals, tangents


def _check_linear(obj: Any, adjoint: Any, tangents: list[str]) -> None:
    """Refuse a jvp whose gradient by the tangents reads a tangent's value: not linear."""
    from symgrad.adjoint.activity import active_values
    from symgrad.adjoint.program import Stmt
    from symgrad.adjoint.regions import diff_symbols

    where = {"filename": obj.jvp.__code__.co_filename,
             "lineno": obj.jvp.__code__.co_firstlineno}
    if not all(isinstance(s, Stmt) for s in adjoint.backward):
        raise SymgradError(f"reverse mode through {obj.fn.__name__}, a custom_jvp function: "
                           f"its jvp {obj.jvp.__name__} has loops or branches, which symgrad "
                           "does not transpose yet", **where,
                           hint="use forward mode (G.jvp), or give it a custom_vjp")
    depends = set(active_values(adjoint.forward, tangents))
    for s in adjoint.backward:
        if diff_symbols(s.expr) & depends:
            depends.add(sp.Symbol(s.target, real=True))
    if any(sp.Symbol(name, real=True) in depends for name in adjoint.grads):
        raise SymgradError(f"reverse mode through {obj.fn.__name__}, a custom_jvp function, "
                           f"transposes its jvp {obj.jvp.__name__}, whose tangent output is "
                           "not linear in the tangents", **where,
                           hint="return a tangent linear in the tangents (as JAX requires), "
                           "or use forward mode only (G.jvp)")


def backward_source(obj: Any) -> tuple[str, str]:
    """``(name, source)`` of ``f_jvp_transposed(g, *args, out)`` -> one cotangent per
    argument: the generated module of the linear part, nested in one function."""
    cached = obj.__dict__.get("_transposed")
    if cached is not None and cached[0] is obj.jvp:
        return cached[1]
    lin, primals, tangents = _linear_part(obj)
    body = _defs(lin.source, {lin._generated.primal_name, lin._generated.value_and_grad_name})
    zeros = ", ".join(f"np.zeros(np.shape({p}))" for p in primals)
    call = f"{lin._generated.grad_name}({', '.join(primals)}, {zeros}, g)"
    result = call if len(tangents) > 1 else f"({call},)"
    name = f"{obj.fn.__name__}_jvp_transposed"
    out = "out_" if "out" in primals else "out"
    text = (f"def {name}(g, {', '.join(primals)}, {out}):\n"
            f'    """The vjp of {obj.fn.__name__}: its custom jvp {obj.jvp.__name__} '
            'transposed by symgrad\n    (the gradient of <g, tangent> by the tangents, '
            'which it is linear in)."""\n'
            + textwrap.indent("\n".join(body).strip("\n"), "    ") + "\n\n"
            f"    return {result}\n")
    obj.__dict__["_transposed"] = (obj.jvp, (name, text))
    return name, text


def _defs(source: str, dropped: set[str]) -> list[str]:
    """The module's function definitions (its helpers and its gradient), without its
    docstring, its import and the functions named in ``dropped``."""
    import ast

    lines = source.splitlines()
    out: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name not in dropped:
            out += lines[node.lineno - 1:node.end_lineno] + ["", ""]
    return out


def transposed(obj: Any) -> Any:
    """The transposed jvp as a Python function ``(g, *args, out)`` (the Tensor runtime's
    backward of a custom_jvp function)."""
    name, text = backward_source(obj)
    namespace: dict[str, Any] = {"np": np}
    exec(compile(text, f"<symgrad transpose of {obj.fn.__qualname__}>", "exec"), namespace)
    return namespace[name]
