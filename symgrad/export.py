"""Standalone modules: ``G.export(path)`` writes the generated code plus a self-check.

The exported module imports numpy and nothing else. Its docstring says where it came from
and how to call it; ``python module.py`` checks the gradient against central differences at
the example arguments (or at random arguments of the shapes given, or shaped like the last
call), prints the worst relative error and exits 0 when it agrees, 1 when it does not, 2
when it has nothing to check at (``G.export`` warns then).

This module must not import SymPy: ``symgrad.api`` imports it on the fast path.
"""

from __future__ import annotations

import ast
import html
import inspect
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from symgrad.errors import SymgradError

_LITERAL_MAX = 64  # arrays larger than this are embedded as hex bytes


# ---------------------------------------------------------------- the last call's shapes


def describe_call(args: tuple, kwargs: dict) -> tuple:
    """A cheap description of a call: floating arrays by shape, everything else by value."""
    return tuple(map(_describe, args)), ({k: _describe(v) for k, v in kwargs.items()}
                                         if kwargs else {})


class _Shaped:
    """A floating array seen in a call, remembered only by its shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple, dtype: str) -> None:
        self.shape = shape
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"<array {self.shape} {self.dtype}>"


class _Opaque:
    """An argument the self-check cannot rebuild (kept by type name, not by reference)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name


def _describe(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        dtype = value.dtype
        if dtype.kind in "fc":
            return _Shaped(value.shape, dtype)  # np.dtype(...) accepts the dtype itself
        return value if value.size <= 10_000 else _Opaque("large integer array")
    if value is None or isinstance(value, (bool, int, float, complex, str, np.generic, tuple)):
        return value
    dtype = getattr(value, "dtype", None)  # array-likes, e.g. symgrad.Tensor
    if dtype is not None and hasattr(value, "shape"):
        try:
            kind = np.dtype(dtype).kind
        except TypeError:  # torch-style dtypes: symgrad.float32
            kind = "f" if "float" in str(dtype) else "?"
        if kind in "fc":
            try:
                return _Shaped(tuple(int(n) for n in value.shape), "<f8")
            except (TypeError, ValueError):
                pass
    return _Opaque(type(value).__name__)


# ---------------------------------------------------------------- highlighting


def highlight_html(source: str) -> str:
    """The code as HTML: highlighted by pygments when it is installed, else a plain <pre>."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<pre><code>{html.escape(source)}</code></pre>"
    return highlight(source, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))


def highlight_terminal(source: str) -> str:
    """The code with ANSI colours when pygments is installed; unchanged otherwise."""
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return highlight(source, PythonLexer(), TerminalFormatter())


# ---------------------------------------------------------------- export


class ExportWarning(UserWarning):
    """An exported module will not be able to check itself (no arguments to check at)."""


def export(g: Any, path: Any, example_args: Any = None,
           shapes: dict[str, Any] | None = None) -> Path:
    """Write ``g``'s generated module, documented and self-checking, to ``path``."""
    path = Path(os.fspath(path))
    if shapes is not None:
        if example_args is not None:
            raise SymgradError("pass example_args= or shapes=, not both")
        example_args = _shaped_arguments(g, shapes)
    text = module_text(g, example_args)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SymgradError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _with_transformations(g: Any, body: str) -> str:
    """``body`` and the functions of every transformation used so far (``G.jvp``,
    ``G.hvp``, ``G.hessian``'s ``f_hessian``, and through loops the gradient of the tangent,
    G.hvp's way there): one module, each helper and import once."""
    hvp = g.__dict__.get("hvp")
    extra = [t._compiled[0] for t in (g.__dict__.get("jvp"), hvp)
             if t is not None and t._compiled is not None]
    if hvp is not None and hvp._by_directional is not None:  # (its f_tangent and gradient)
        extra.append(hvp._by_directional[1].source)
    hessian = g.__dict__.get("hessian")  # the batched f_hessian of the last call's shapes
    if hessian is not None and hessian._last is not None:
        extra.append(hessian._last[0])
    if not extra:
        return body
    tree = ast.parse(body)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    imports = {ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    head, tail = [], []
    for text in extra:
        for node in ast.parse(text).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and ast.unparse(node) not in imports:
                imports.add(ast.unparse(node))
                head.append(ast.unparse(node))
            elif isinstance(node, ast.FunctionDef) and node.name not in defined:
                defined.add(node.name)
                tail.append(ast.get_source_segment(text, node))
    lines = body.rstrip("\n").split("\n")
    if head:  # after the module's own imports
        last = max(i for i, line in enumerate(lines) if line.startswith(("import ", "from ")))
        lines[last + 1:last + 1] = head
    return "\n".join(lines) + "\n\n\n" + "\n\n\n".join(tail) + "\n"


def module_text(g: Any, example_args: Any = None) -> str:
    """The text of the exported module."""
    gen = g._generated
    names = list(g.params)
    args = _example_arguments(g, example_args)
    body = _with_transformations(g, _strip_docstring(gen.source))
    from symgrad.export_xp import array_api_part

    body = body.rstrip("\n") + "\n" + array_api_part(g, _containers(g, args))
    parts = [_docstring(g), "", body.rstrip("\n"), "", ""]
    if args is not None:
        parts.append(_example_function(names, args))
        parts.append("")
    parts.append(_SELF_CHECK.format(
        primal=gen.primal_name, grad=gen.grad_name, seed=gen.seed_param,
        first="[0]" if getattr(g, "has_aux", False) else "",  # aux outputs: not differentiated
        wrt=tuple(names.index(w) for w in g.wrt), names=tuple(g.wrt),
        nparams=len(names),
    ).rstrip("\n"))
    parts.append("")
    parts.append("")
    parts.append('if __name__ == "__main__":')
    parts.append("    raise SystemExit(_main())")
    text = "\n".join(parts) + "\n"
    ast.parse(text)
    return text


def _containers(g: Any, args: list[tuple[str, Any]] | None) -> frozenset[str]:
    """The parameters the example (or last) call gave tuples, lists or dicts: the array-API
    form indexes those as containers."""
    return frozenset(name for name, value in args or ()
                     if isinstance(value, (tuple, list, dict)))


def _strip_docstring(source: str) -> str:
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[0], ast.Expr) and \
            isinstance(getattr(tree.body[0], "value", None), ast.Constant) and \
            isinstance(tree.body[0].value.value, str):
        lines = source.splitlines(True)
        return "".join(lines[tree.body[0].end_lineno:]).lstrip("\n")
    return source


def _docstring(g: Any) -> str:
    import symgrad

    fn = g.fn
    gen = g._generated
    try:
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except TypeError:
        filename = fn.__code__.co_filename
    line = fn.__code__.co_firstlineno
    params = ", ".join(g.params)
    grads = ", ".join(f"grad_{w}" for w in g.wrt)
    if len(g.wrt) > 1:
        grads = f"({grads})"
    wrt = ", ".join(g.wrt)
    call_params = f"{params}, " if params else ""
    text = f'''"""Gradient of `{fn.__qualname__}` with respect to {wrt}, generated by symgrad.

Source: {filename}, line {line}, function `{fn.__qualname__}`.
Generated by symgrad {symgrad.__version__}. numpy is the only dependency; nothing here
imports symgrad or sympy. On torch, JAX, dask or CuPy arrays the same functions run in the
caller's library, through array-api-compat (imported then).

Use:

    value = {gen.primal_name}({params})
    {grads.strip("()")} = {gen.grad_name}({params})
    value, {grads} = {gen.value_and_grad_name}({params})

`{gen.seed_param}` (default 1.0) is the cotangent of the output, as in PyTorch's
`out.backward(gradient)`: pass an array shaped like the output for a non-scalar output, e.g.
`{gen.grad_name}({call_params}{gen.seed_param}=np.ones_like(value))`.

Self-check: `python {{this file}}` compares the gradient with central differences and exits
0 when they agree, 1 when they do not.
"""'''
    return text.replace("{this file}", "<this file>")


def _shaped_arguments(g: Any, shapes: dict[str, Any]) -> dict[str, Any]:
    """Random float64 arrays of these shapes (by parameter name) for the self-check."""
    unknown = [n for n in shapes if n not in g.params]
    if unknown:
        raise SymgradError(f"shapes= names {unknown[0]!r}, which is not a parameter of "
                           f"{g.fn.__name__}", hint=f"parameters: {', '.join(g.params)}")
    sig = inspect.signature(g.fn)
    missing = [n for n in g.params if n not in shapes
               and sig.parameters[n].default is inspect.Parameter.empty]
    if missing:
        raise SymgradError(f"shapes= has no shape for {', '.join(map(repr, missing))}",
                           hint=f"pass shapes={{{missing[0]!r}: (...)}}, () for a scalar")
    out = {}
    for name, shape in shapes.items():
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        out[name] = _Shaped(shape, np.dtype(np.float64))
    return out


def _example_arguments(g: Any, example_args: Any) -> list[tuple[str, Any]] | None:
    """(parameter name, value or _Shaped) for each parameter, or None when unknown."""
    sig = inspect.signature(g.fn)
    if example_args is not None:
        if isinstance(example_args, dict):
            pos, kw = (), dict(example_args)
        elif isinstance(example_args, (tuple, list)):
            pos, kw = tuple(example_args), {}
        else:
            pos, kw = (example_args,), {}
    elif g._last_call is not None:
        pos, kw = g._last_call
    else:
        return None
    try:
        bound = sig.bind(*pos, **kw)
    except TypeError as exc:
        raise SymgradError(f"example_args do not fit {g.fn.__name__}{sig}: {exc}") from None
    bound.apply_defaults()
    return list(bound.arguments.items())


def _example_function(names: list[str], args: list[tuple[str, Any]]) -> str:
    lines = [
        "def _example_args():",
        '    """The arguments the self-check differentiates at (recorded by symgrad)."""',
    ]
    exprs = []
    uses_rng = any(isinstance(v, _Shaped) for _, v in args)
    if uses_rng:
        lines.append("    rng = np.random.default_rng(0)")
    for name, value in args:
        exprs.append(f"    {name} = {literal(name, value)}")
    lines.extend(exprs)
    lines.append(f"    return [{', '.join(n for n, _ in args)}]")
    return "\n".join(lines) + "\n"


def literal(name: str, value: Any) -> str:
    """Python source that rebuilds ``value`` using numpy only."""
    if isinstance(value, _Shaped):
        # values in (0.1, 0.9): inside the domain of log, sqrt, 1/x, arcsin, arctanh, ...
        kind = np.dtype(value.dtype).kind
        expr = f"rng.uniform(0.1, 0.9, size={value.shape!r})"
        if kind == "c":
            expr += f" + 1j * rng.uniform(0.1, 0.9, size={value.shape!r})"
        return expr
    if isinstance(value, _Opaque):
        raise SymgradError(
            f"the last call passed {name!r} as a {value.type_name}, which the exported "
            "self-check cannot rebuild", hint="pass example_args= with numpy arrays and numbers")
    if isinstance(value, (bool, str, bytes)) or value is None:
        return repr(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return f"float({str(value)!r})"
        return repr(value)
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        # str: the shortest digits of the scalar's own precision (float32's 0.001)
        text = str(value) if np.isfinite(value) else literal(name, value.item())
        return f"np.{value.dtype.name}({text})"
    if isinstance(value, (list, tuple)):
        try:
            if ast.literal_eval(repr(value)) == value:
                return repr(value)
        except (ValueError, SyntaxError):
            pass
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        dtype = value.dtype.name
        if value.size <= _LITERAL_MAX and value.dtype.kind != "c" and \
                np.all(np.isfinite(value)):
            text = f"np.array({value.tolist()!r}, dtype=np.{dtype})"
            # (an empty array's list, [[], []] or [], may not say its shape: (0, 4) is [])
            return text if value.size else f"{text}.reshape({value.shape!r})"
        data = np.ascontiguousarray(value).tobytes().hex()
        chunks = [data[i:i + 88] for i in range(0, len(data), 88)] or [""]
        hexed = "\n".join(f'        "{c}"' for c in chunks)
        return (f"np.frombuffer(bytes.fromhex(\n{hexed}\n    ), "
                f"dtype={value.dtype.str!r}).reshape({value.shape!r}).copy()")
    raise SymgradError(
        f"cannot write the example value of {name!r} ({type(value).__name__}) into the "
        "exported module",
        hint="pass example_args= with numpy arrays and numbers",
    )


_SELF_CHECK = '''\
def _self_check(args, eps=1e-6, rtol=1e-5, atol=1e-8, max_points=100):
    """Worst relative error of {grad} against central differences at ``args``, in float64.

    The output is contracted with a fixed random cotangent, so one gradient call checks
    every output; at most ``max_points`` entries of each argument are perturbed. Returns
    ``(ok, (error, where, analytic, numeric))`` for the worst relative error
    |analytic - numeric| / (atol / rtol + |numeric|); ok when |analytic - numeric| <=
    atol + rtol * |numeric| everywhere, beyond the rounding noise of the differences.
    """
    args = [np.asarray(a, dtype=np.float64) if _is_real(a) else a for a in args]
    rng = np.random.default_rng(1)
    outputs = {primal}(*args){first}
    multiple = isinstance(outputs, tuple)
    outs = outputs if multiple else (outputs,)
    seeds = tuple(1.0 if np.ndim(o) == 0 else rng.standard_normal(np.shape(o)) for o in outs)

    def contracted(values):
        result = {primal}(*values){first}
        results = result if multiple else (result,)
        return sum(float(np.sum(s * np.asarray(r, dtype=np.float64)))
                   for s, r in zip(seeds, results))

    grads = {grad}(*args, {seed}=seeds if multiple else seeds[0])
    grads = grads if len(_WRT) > 1 else (grads,)
    worst = (0.0, None, 0.0, 0.0)
    ok = True
    for index, name, grad in zip(_WRT, _NAMES, grads):
        x = args[index]
        if not _is_real(x):
            continue
        grad = np.broadcast_to(np.asarray(grad, dtype=np.float64), np.shape(x))
        size = int(np.size(x))
        points = range(size) if size <= max_points else \\
            rng.choice(size, max_points, replace=False)
        for flat in points:
            pos = np.unravel_index(int(flat), np.shape(x))
            h = eps * max(1.0, abs(float(x[pos])))
            plus, minus = x.copy(), x.copy()
            plus[pos] += h
            minus[pos] -= h
            f_plus = contracted(_with(args, index, plus))
            f_minus = contracted(_with(args, index, minus))
            numeric = (f_plus - f_minus) / (2 * h)
            # rounding in f itself limits what central differences can resolve
            noise = 4 * np.finfo(np.float64).eps * (abs(f_plus) + abs(f_minus)) / (2 * h)
            analytic = float(grad[pos])
            scale = atol / rtol + abs(numeric)
            error = abs(analytic - numeric) / scale
            beyond_noise = max(0.0, abs(analytic - numeric) - noise) / scale
            if np.isnan(error):  # a gradient or a value is nan
                error = beyond_noise = float("inf")
            ok = ok and beyond_noise <= rtol
            if worst[1] is None or error > worst[0]:
                where = name + (str(list(map(int, pos))) if pos else "")
                worst = (error, where, analytic, numeric)
    return ok, worst


def _is_real(a):
    return isinstance(a, (float, np.floating)) or \\
        (isinstance(a, np.ndarray) and a.dtype.kind == "f")


def _with(args, index, value):
    out = list(args)
    out[index] = value
    return out


_WRT = {wrt!r}  # positions of the parameters the gradient is taken with respect to
_NAMES = {names!r}


def _main(rtol=1e-5):
    example = globals().get("_example_args")
    if example is None:
        print("no example arguments were recorded at export: call "
              "_self_check([...]) with your own arguments")
        return 2
    ok, (error, where, analytic, numeric) = _self_check(example(), rtol=rtol)
    print(f"{grad} vs central differences: worst relative error {{error:.3g}}"
          + (f" at {{where}} (symgrad {{analytic:.10g}}, numeric {{numeric:.10g}})" if where else "")
          + (" ok" if ok else f" FAILED (tolerance {{rtol:g}})"))
    return 0 if ok else 1
'''
