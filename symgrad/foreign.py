"""Calls of a GradFunction with arrays of another library (dask, torch, JAX, CuPy,
array-api-strict): the arguments checked, the array-API module of the generated code run
(made once per namespace by ``symgrad.namespaces``), and the gradients finished in the
caller's array type, lazy and placed where the caller's were (no ``np.asarray``).

The numpy path never comes here and never imports array-api-compat: ``GradFunction``'s value
check sends a call here only when an argument is such an array.
"""

from __future__ import annotations

import linecache
import math
from typing import Any

import numpy as np

from symgrad.errors import SymgradError
from symgrad.runtime.tensor import Tensor as _Tensor

_LIBRARIES = frozenset(("torch", "jax", "jaxlib", "dask", "cupy", "array_api_strict"))
_EXTRA = "pip install 'symgrad[backends]' (array-api-compat)"


def is_foreign(value: Any) -> bool:
    """Whether ``value`` is (or a tuple, list or dict of ``value`` holds) an array of a
    library other than numpy: one the numpy module would convert or refuse."""
    if isinstance(value, (np.ndarray, np.generic, _Tensor, int, float, complex)) or value is None:
        return False
    if isinstance(value, (tuple, list)):
        return any(map(is_foreign, value))
    if isinstance(value, dict):
        return any(map(is_foreign, value.values()))
    kind = type(value)
    return kind.__module__.split(".")[0] in _LIBRARIES or hasattr(kind, "__array_namespace__")


def numpy_only(g: Any, what: str, args: tuple) -> None:
    """Refuse, naming the library and the transformation, a call of ``G.jvp``, ``G.hvp``,
    ``G.hessian`` or ``G.jacobian`` with arrays of another library: their generated code is
    numpy's alone (``G.grad``, ``G.value_and_grad`` and ``G.vjp`` run on those arrays)."""
    libraries = sorted({_library(a) for a in _leaves(args) if is_foreign(a)})
    if libraries:
        raise SymgradError(
            f"{g.fn.__name__}: G.{what} runs on numpy arrays only, and was given "
            f"{', '.join(libraries)} arrays",
            hint=f"pass numpy arrays to G.{what} (np.asarray(x)); G.grad, G.value_and_grad "
            "and G.vjp run on them in their own type")


def _library(value: Any) -> str:
    return type(value).__module__.split(".")[0].replace("jaxlib", "jax")


def _compat() -> Any:
    try:
        import array_api_compat
    except ImportError:
        raise SymgradError("symgrad runs the generated code on dask, torch, JAX and CuPy "
                           "arrays through array-api-compat, which is not installed",
                           hint=_EXTRA) from None
    return array_api_compat


def _leaves(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    return [value]


def namespace(g: Any, args: tuple) -> Any:
    """The array-API namespace of the call's arrays (one library at a time)."""
    compat = _compat()
    arrays = [a for a in _leaves(args) if is_foreign(a) or isinstance(a, np.ndarray)]
    try:
        return compat.array_namespace(*arrays)
    except TypeError as exc:
        libraries = sorted({_library(a) for a in arrays})
        raise SymgradError(f"{g.fn.__name__}: arguments of several array libraries "
                           f"({', '.join(libraries)}): {exc}",
                           hint="pass arrays of one library (numpy numbers and Python "
                           "numbers mix with any)") from None


def check(g: Any, args: tuple, xp: Any, wrt: bool) -> None:
    """Refuse complex arrays, and (``wrt``) integer arrays named in wrt, naming them."""
    for name, value in zip(g.params, args, strict=True):
        for leaf in _leaves(value):
            dtype = getattr(leaf, "dtype", None)
            if dtype is None or not is_foreign(leaf):
                continue
            if xp.isdtype(dtype, "complex floating"):
                raise SymgradError(f"{g.fn.__name__}: argument {name!r} is complex (dtype "
                                   f"{dtype}): symgrad differentiates real-valued code",
                                   hint=f"pass the real and imaginary parts as two float "
                                   f"arguments ({name}.real, {name}.imag)")
    if not wrt:
        return
    integer = [_integer(args[i], xp) for i in g._wrt_index]
    for i, is_int in zip(g._wrt_index, integer, strict=True):
        if is_int and (g._wrt_named or all(integer)):
            raise SymgradError(f"{g.fn.__name__}: argument {g.params[i]!r} is an integer "
                               f"{_library(args[i])} array: integers have no gradient",
                               hint=f"pass a floating-point array as {g.params[i]!r}")


def _integer(value: Any, xp: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    if dtype is None or not is_foreign(value):
        return isinstance(value, (bool, int, np.integer)) or \
            isinstance(value, np.ndarray) and value.dtype.kind in "biu"
    return not xp.isdtype(dtype, ("real floating", "complex floating"))


def _module(g: Any, xp: Any, args: tuple) -> dict[str, Any]:
    """The namespace running the array-API form of ``g``'s module (made once per library,
    and per set of parameters given containers, which the module indexes as such)."""
    from symgrad.namespaces import to_array_api

    containers = frozenset(name for name, value in zip(g.params, args, strict=True)
                           if isinstance(value, (tuple, list, dict)))
    modules = g.__dict__.setdefault("_xp_modules", {})
    key = (id(g._generated), xp.__name__, containers)
    namespace = modules.get(key)
    if namespace is not None and namespace["__symgrad_generated__"] is g._generated:
        return namespace
    source = to_array_api(g._generated.source, g.fn.__name__, containers)
    filename = f"<symgrad-xp:{g.fn.__module__}.{g.fn.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": f"symgrad_generated_xp.{g.fn.__name__}"}
    exec(compile(source, filename, "exec"), namespace)
    for name, value in g._namespace.items():  # the live globals the numpy module binds
        namespace.setdefault(name, value)
    namespace["_XP"] = xp  # where the module's numbers alone make arrays (a float seed)
    namespace["__symgrad_generated__"] = g._generated
    namespace["__symgrad_source__"] = source
    modules[key] = namespace
    return namespace


def source(g: Any, *args: Any) -> str:
    """The array-API module ``g`` runs when called with ``args`` (arrays of one library)."""
    return _module(g, namespace(g, args), args)["__symgrad_source__"]


def call(g: Any, args: tuple, function: str, *extra: Any) -> Any:
    """Run the array-API module's ``function`` (``"primal"`` or ``"value_and_grad"``)."""
    xp = namespace(g, args)
    check(g, args, xp, wrt=function != "primal")
    module = _module(g, xp, args)
    name = g._generated.primal_name if function == "primal" else \
        g._generated.value_and_grad_name
    try:
        return module[name](*args, *extra)
    except SymgradError:
        raise
    except (ValueError, IndexError, TypeError, KeyError, AttributeError,
            NotImplementedError) as exc:
        library = sorted({_library(a) for a in _leaves(args) if is_foreign(a)})
        raise SymgradError(
            f"{g.fn.__name__}: the generated code failed on {', '.join(library)} arrays: "
            f"{type(exc).__name__}: {exc}",
            hint="on numpy arrays it runs as numpy; on others it runs the array API "
            "standard's functions (see README, 'Other array libraries', for what each "
            "library cannot run)") from exc


def finish(g: Any, arg: Any, xp: Any) -> Any:
    """The gradient of ``arg`` typed and shaped like it, in its library (None for integers)."""
    if isinstance(arg, dict):
        return {k: finish(gi, v, xp) for gi, (k, v) in zip(_items(g, arg), arg.items(),
                                                           strict=True)}
    if isinstance(arg, (tuple, list)):
        return type(arg)(finish(gi, v, xp) for gi, v in zip(_items(g, arg), arg, strict=True))
    return _finish_leaf(g, arg, xp)


def _items(g: Any, arg: Any) -> list:
    return list(g) if isinstance(g, (np.ndarray, tuple, list)) else [g] * len(arg)


def _finish_leaf(grad: Any, arg: Any, xp: Any) -> Any:
    if not is_foreign(arg):
        from symgrad.arguments import _finish

        return _finish(grad, arg)
    if not xp.isdtype(arg.dtype, "real floating"):
        return None
    if not hasattr(grad, "dtype") or not is_foreign(grad):  # a number: the zero gradient
        grad = xp.zeros_like(arg) + xp.asarray(grad, dtype=arg.dtype)
    if grad.dtype != arg.dtype:
        grad = xp.astype(grad, arg.dtype)
    shape, want = tuple(grad.shape), tuple(arg.shape)
    if shape != want and not any(isinstance(d, float) and math.isnan(d) or d is None
                                 for d in shape + want):
        if not shape:  # a 0-d zero
            return xp.broadcast_to(grad, want)
        raise SymgradError(f"symgrad computed a gradient of shape {shape} for an argument "
                           f"of shape {want}: this is a symgrad bug, please report it")
    return grad


def _default_seed(value: float, args: tuple, xp: Any) -> Any:
    """The default seed as a 0-d array of the arguments' library, on their device, of the
    first floating argument's dtype (as numpy's Python-float seed keeps float32 float32;
    and JAX without x64 has no float64 to ask for)."""
    arrays = [a for a in _leaves(args) if is_foreign(a) and hasattr(a, "dtype")]
    floating = [a for a in arrays if xp.isdtype(a.dtype, "real floating")]
    dtype = floating[0].dtype if floating else None
    device = _compat().device(arrays[0]) if arrays else None
    return xp.asarray(value, dtype=dtype, device=device)


def run(g: Any, args: tuple, seed: Any, seed_value: Any) -> tuple[Any, Any]:
    """``g._run`` for arrays of another library: (value, gradients) as ``_run`` gives them."""
    from symgrad.arguments import _check_scalar

    xp = namespace(g, args)
    if seed is None and isinstance(seed_value, float):  # the default seed, in their library
        seed_value = _default_seed(seed_value, args, xp)
    value, grads = call(g, args, "value_and_grad", seed_value)
    out = value
    if g.has_aux:
        out, aux = value[0], value[1] if len(value) == 2 else value[1:]
    if seed is None:
        _check_scalar(g.fn.__name__, out, g.seed_name)
    if len(g.wrt) == 1:
        grads = finish(grads, args[g._wrt_index[0]], xp)
    else:
        grads = tuple(finish(gr, args[i], xp) for gr, i in zip(grads, g._wrt_index,
                                                               strict=True))
    return ((out, aux), grads) if g.has_aux else (value, grads)
