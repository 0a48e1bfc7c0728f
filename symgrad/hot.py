"""``G.value_and_grad`` and ``G.grad`` for the ordinary call: every parameter by position,
floating numpy arrays of shapes and dtypes seen before, the default cotangent.

Each is a plain function made for the function's number of parameters (no ``*args`` tuple
to measure, no method to bind), kept in the GradFunction's ``__dict__`` (in front of the
methods): a call checks the arguments' types, looks their shapes and dtypes up
(``Specialisations.by_shapes``), records the ``Fast`` found (``.source`` and export derive the
call's specialisation and shapes from it), and calls the generated function. Its outputs are
checked (typed as their arguments, ``api._fast_outputs``) only while a key may return another
type (``Fast.exact``: straight-line code gives the types it gave once). Anything else goes
to the method, which checks everything.

No SymPy here.
"""

from __future__ import annotations

import ast
import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.arguments import _finish

_SCALARS = frozenset({float, np.float64, np.float32, np.float16})

_TEMPLATE = '''
def make(g, by_shapes, slow, finish, ndarray, scalars, _M, _UNSET):
    def {name}({params}, /, *rest, seed=_UNSET, **kwargs):
        if {types} and not rest and seed is _UNSET and not kwargs:
            if g._watched:
                g._fresh()
            fast = by_shapes.get(({key},))
            if fast is not None:
                g._recent = fast
                try:
                    out = fast.value_and_grad({args})
                except Exception:  # bad input: the method's checked call names it
                    pass
                else:
                    if fast.exact:
                        return out{pick}
                    value, grads = out
                    if type(value) in scalars and {check}:
                        return out{pick}
                    out = finish(fast, ({args},), value, grads)
                    if out is not None:
                        return out{pick}
        return slow(*[a for a in ({params_plain},) if a is not _M], *rest, seed=seed,
                    **kwargs)
    return {name}
'''


@functools.lru_cache(maxsize=256)
def _template(n: int, wrt: tuple[int, ...], name: str) -> Callable:
    names = [f"a{i}" for i in range(n)]
    if len(wrt) == 1:
        check = f"type(grads) is ndarray and grads.dtype is a{wrt[0]}.dtype"
    else:
        check = f"type(grads) is tuple and len(grads) == {len(wrt)} and " + " and ".join(
            f"type(grads[{k}]) is ndarray and grads[{k}].dtype is a{j}.dtype"
            for k, j in enumerate(wrt))
    text = _TEMPLATE.format(
        name=name, params=", ".join(f"{a}=_M" for a in names),
        params_plain=", ".join(names),
        types=" and ".join(f"type({a}) is ndarray" for a in names),
        key=", ".join(f"{a}.shape, {a}.dtype" for a in names), args=", ".join(names),
        check=check, pick="[1]" if name == "grad" else "")
    namespace: dict[str, Any] = {}
    exec(compile(text, f"<symgrad hot {name}/{n}>", "exec"), namespace)  # noqa: S102 (ours)
    return namespace["make"]


def entry_points(g: Any, value_and_grad: Callable, grad: Callable,
                 unset: Any) -> tuple[Callable, Callable]:
    """``(value_and_grad, grad)`` for ``g``, falling back to the methods given (bound);
    ``unset``: their ``seed`` default."""
    n, wrt = len(g.params), g._wrt_index
    made = []
    for name, slow in (("value_and_grad", value_and_grad), ("grad", grad)):
        fn = _template(n, wrt, name)(g, g._by_shapes, slow, g._fast_outputs, np.ndarray,
                                     _SCALARS, _MISSING, unset)
        fn.__doc__ = slow.__doc__
        fn.__qualname__ = f"{type(g).__name__}.{name}"
        made.append(fn)
    return made[0], made[1]


_MISSING: Any = object()  # an argument not given

_FAST_KEYS: dict[int, Callable[..., tuple | None]] = {}


def _fast_key(n: int) -> Callable[..., tuple | None]:
    """For ``n`` arguments, the fast path's key: ``(a0.shape, a0.dtype, a1.shape, ...)`` when
    each is a numpy array (exactly ``np.ndarray``), else None; one expression, no loop."""
    key = _FAST_KEYS.get(n)
    if key is None:
        names = [f"a{i}" for i in range(n)]
        text = (f"lambda {', '.join(names)}: ({''.join(f'{a}.shape, {a}.dtype, ' for a in names)})"
                + (f" if {' and '.join(f'type({a}) is ndarray' for a in names)} else None"
                   if names else ""))
        key = _FAST_KEYS[n] = eval(text, {"ndarray": np.ndarray})  # noqa: S307 (our text)
    return key


def _fast_finish(g: Any, a: np.ndarray) -> Any:
    """``_finish(g, a)`` for a floating numpy array ``a``; a 0-d one's np.float64, quickly."""
    if a.ndim == 0 and type(g) in _SCALARS:
        return np.asarray(g, dtype=a.dtype)
    return _finish(g, a)


def straight(source: str, name: str, namespace: dict[str, Any]) -> bool:
    """Whether function ``name`` of a generated module is straight-line numpy: no branch, loop
    or ``and``/``or``, every call one of numpy's, of symgrad's helpers or a method of a local
    (an array), so that the types of its outputs follow from its arguments' types, shapes and
    dtypes (NumPy 2's promotion reads no values) and one call that gave the right ones proves
    every later call gives them."""
    called = _called(source, name)
    if called is None:
        return False
    for root in called:
        value = namespace.get(root)
        module = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else \
            getattr(value, "__module__", None) or ""
        if module.split(".")[0] not in ("numpy", "symgrad"):
            return False
    return True


@functools.lru_cache(maxsize=256)
def _called(source: str, name: str) -> frozenset[str] | None:
    """The global names function ``name`` calls (or calls a method of), None where it is not
    straight-line (see ``straight``)."""
    if int(np.__version__.split(".")[0]) < 2:
        return None  # (value-based casting: a 0-d argument's value can change a dtype)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name),
              None)
    if fn is None:
        return None
    local = {a.arg for a in fn.args.args} | {
        t.id for node in ast.walk(fn) if isinstance(node, ast.Assign)
        for t in node.targets for t in ast.walk(t) if isinstance(t, ast.Name)}
    called = set()
    for node in ast.walk(fn):
        if isinstance(node, (ast.If, ast.IfExp, ast.For, ast.While, ast.Try, ast.With,
                             ast.BoolOp, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp, ast.Match, ast.Yield, ast.Await,
                             ast.FunctionDef, ast.AsyncFunctionDef, ast.AugAssign,
                             ast.AnnAssign, ast.NamedExpr)) and node is not fn:
            return None
        if isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, (ast.Attribute, ast.Subscript)):
                func = func.value
            if not isinstance(func, ast.Name):
                return None
            if func.id not in local:
                called.add(func.id)
    return frozenset(called)
