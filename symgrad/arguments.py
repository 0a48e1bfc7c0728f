"""The arguments of a generated function's call, checked and converted (lists of numbers
as arrays, refusing what symgrad would compute wrong), and its gradients finished (shaped and
typed like their arguments, containers rebuilt)."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.errors import SymgradError, a_or_an
from symgrad.runtime.tensor import Tensor as _Tensor

_SCALAR_TYPES = {float, int, np.float64, np.float32, np.float16, np.int64}


def _check_scalar(name: str, value: Any, seed_name: str = "seed") -> None:
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if type(v) in _SCALAR_TYPES:
            continue
        if np.ndim(v) != 0:
            raise SymgradError(
                f"{name} returned an array of shape {np.shape(v)}: grad can be implicitly "
                "created only for scalar outputs",
                hint=f"pass {seed_name}=<array shaped like the output> (PyTorch's "
                "backward(gradient))",
            )


def _check_value(fn_name: str, label: str, value: Any) -> None:
    """A SymgradError for an input symgrad would silently compute wrong."""
    what, hint = None, None
    if isinstance(value, np.matrix):
        what = "an np.matrix, whose * is a matrix product (symgrad reads * as numpy's)"
        hint = f"pass np.asarray({label}) (and write @ for a matrix product)"
    elif isinstance(value, np.ma.MaskedArray):
        what = "a masked array: its mask would be ignored"
        hint = f"pass {label}.filled(fill_value) or np.asarray({label}), and apply the mask " \
            "with np.where"
    elif isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "c" or \
            isinstance(value, complex):
        what = "complex" + (f" (dtype {value.dtype})" if hasattr(value, "dtype") else "")
        what += ": symgrad differentiates real-valued code"
        hint = f"pass the real and imaginary parts as two float arguments ({label}.real, " \
            f"{label}.imag)"
    elif isinstance(value, np.ndarray) and value.dtype.kind == "O":
        what = "an array of Python objects (dtype object)"
        hint = f"pass {label}.astype(float)"
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            _check_value(fn_name, f"{label}[{i}]", v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_value(fn_name, f"{label}[{k!r}]", v)
    if what is not None:
        raise SymgradError(f"{fn_name}: argument {label!r} is {what}", hint=hint)


def _check_leaves(fn_name: str, label: str, value: Any) -> None:
    """Refuse a leaf of a differentiated container that is no number or array."""
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, (tuple, list)) else None
    if items is None:
        if not _numeric(value) or isinstance(value, bool):
            raise SymgradError(f"{fn_name}: argument {label} is {a_or_an(type(value).__name__)}"
                               ", which has no gradient",
                               hint="a differentiated tuple, list or dict holds numbers and "
                               "arrays (or tuples, lists and dicts of them)")
        return
    for k, v in items:
        _check_leaves(fn_name, f"{label}[{k!r}]", v)


def _integer(value: Any) -> bool:
    """Whether a value is an integer (or bool) number or array, or a container of them."""
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biu"
    if isinstance(value, (tuple, list)) and value:
        return all(_integer(v) for v in value)
    return False


def _describe_integer(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an integer array (dtype {value.dtype})" if value.dtype.kind != "b" else \
            "a bool array"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of integers"
    return f"the {type(value).__name__} {value!r}"


def _as_float_hint(name: str, value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{name}.astype(float)"
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return f"{float(value)!r} (a float)"
    return "floats"


def _numpy_floats(args: tuple, seed: Any) -> tuple:
    """The arguments and the cotangent with Python floats as numpy floats, for gradient code
    whose arithmetic on them (``1.0 / np.size(x)`` for an empty x, ``1.0 / (s % s)``) raised
    ZeroDivisionError where numpy gives inf or nan, with its warning. Only then: a Python
    float is what the user's code computes with (a negative one ** 1.5 is complex, a
    np.float64's is nan). Python float arguments stay next to a float32 or float16 value,
    which a np.float64 (unlike a Python float) would upcast; a float cotangent takes the
    arguments' float type."""
    narrow = [a.dtype for a in args if getattr(a, "dtype", None) in (np.float32, np.float16)]
    dtype = np.result_type(*narrow).type if narrow else np.float64

    def cotangent(s: Any) -> Any:
        if isinstance(s, tuple):
            return tuple(map(cotangent, s))
        return dtype(s) if type(s) in (float, int) else s

    if not narrow:
        args = tuple(np.float64(a) if type(a) is float else a for a in args)
    return (*args, cotangent(seed))


_CONTAINERS = frozenset((list, tuple, dict))


def _as_arrays(args: tuple) -> tuple:
    """Each list or tuple of numbers (one float at least) read as numpy reads it, once.

    The generated code does numpy's arithmetic, which Python lists do not: ``[1.0, 2.0] +
    2`` raises. Lists of integers stay (shapes, indices: they have no gradient), and so do
    containers of arrays (``W, b = params``), whose lists of numbers are converted inside."""
    if _CONTAINERS.isdisjoint(map(type, args)):
        return args
    out = tuple(map(_as_array, args))
    return args if all(a is b for a, b in zip(out, args, strict=True)) else out


def _as_array(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        items = {k: _as_array(v) for k, v in value.items()}
        return items if any(items[k] is not v for k, v in value.items()) else value
    if kind not in (list, tuple) or not value:
        return value
    if _numbers(value):
        try:
            array = np.asarray(value)
        except ValueError:  # ragged: each row on its own
            array = None
        if array is not None:
            return array if array.dtype.kind == "f" else value
    items = [_as_array(v) for v in value]
    return kind(items) if any(a is not b for a, b in zip(items, value, strict=True)) else value


def _unshared(grads: Any, seed: Any) -> Any:
    """``grads`` with a copy of each gradient that is (a view of) an array of the cotangent
    passed in (``grad_x = seed`` of ``f(x) = x + 0``): an update of the gradient in place
    (``g *= lr``) must not change the caller's seed, as it does not in torch."""
    seeds = [s for s in (seed if isinstance(seed, tuple) else (seed,))
             if isinstance(s, np.ndarray)]
    if not seeds:
        return grads

    def own(g: Any) -> Any:
        if isinstance(g, np.ndarray):
            return g.copy() if any(np.may_share_memory(g, s) for s in seeds) else g
        if isinstance(g, (tuple, list)):
            return type(g)(own(item) for item in g)
        if isinstance(g, dict):
            return {k: own(v) for k, v in g.items()}
        return g

    return own(grads)


def _as_given(grad: Any, given: Any) -> Any:
    """A gradient, in the structure of the argument as given: a list of numbers read as an
    array gets a list of gradients, as any list argument does (``_finish``)."""
    kind = type(given)
    if grad is None or kind not in (list, tuple, dict):
        return grad
    if kind is dict:
        return {k: _as_given(grad[k], v) for k, v in given.items()}
    return kind(_as_given(grad[i], v) for i, v in enumerate(given))


def _numbers(value: Any) -> bool:
    """Whether a nest of lists and tuples holds only real numbers."""
    if type(value) in (list, tuple):
        return all(_numbers(v) for v in value)
    return isinstance(value, (int, float, np.integer, np.floating))


def _finish(g: Any, arg: Any) -> Any:
    """None for non-float arguments; otherwise the gradient typed like ``arg``. A tuple or
    list argument gets a tuple or list of gradients, one per item (as JAX does)."""
    if isinstance(arg, dict):  # one gradient per key (in key order), as jax.grad gives
        items = _items(g, arg, list(arg.values()))
        return {k: _finish(gi, v) for gi, (k, v) in zip(items, arg.items(), strict=True)}
    if isinstance(arg, (tuple, list)):
        items = _items(g, arg, list(arg))
        return type(arg)(_finish(gi, ai) for gi, ai in zip(items, arg, strict=True))
    if isinstance(arg, _Tensor):  # G.grad(tensor): the traced gradient, a Tensor
        return g if arg.is_floating_point() else None
    dtype = getattr(arg, "dtype", None)
    if dtype is None:
        dtype = np.result_type(arg) if not isinstance(arg, float) else np.dtype(np.float64)
    if dtype.kind not in "fc":
        return None
    if type(g) is not np.ndarray or g.dtype != dtype:
        g = np.asarray(g, dtype=dtype)
    if g.shape != np.shape(arg):  # a gradient is shaped like its argument, or symgrad erred
        raise SymgradError(f"symgrad computed a gradient of shape {g.shape} for an argument "
                           f"of shape {np.shape(arg)}: this is a symgrad bug, please report it",
                           hint="np.einsum broadcasting a named index of size 1 is one known "
                           "cause: write '...' for broadcast axes")
    if isinstance(arg, (float, np.floating)) and g.ndim == 0:
        return g[()]
    return g


def _items(g: Any, arg: Any, values: list) -> list:
    """The gradients of a container's items: ``g`` holds one per item (an object array), is
    a zero (the argument was not read), or the container was read as one array."""
    if isinstance(g, np.ndarray) and g.dtype == object:
        return list(g)
    if np.ndim(g) == 0:
        return [g if type(v) in _CONTAINERS else np.broadcast_to(g, np.shape(v))
                for v in values]
    return list(np.broadcast_to(g, np.shape(arg)))


def _numeric(value: Any) -> bool:
    if isinstance(value, (bool, int, float, np.ndarray)) or \
            isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return True
    if isinstance(value, (list, tuple)):
        return all(map(_numeric, value))
    if isinstance(value, dict):
        return all(map(_numeric, value.values()))
    return value is not None and hasattr(value, "__array__")  # array-likes, symgrad.Tensor


def _seed_like(name: str, seed: Any, out: Any) -> Any:
    """``seed`` broadcast to the shape of the output ``out`` (each of a tuple's to each),
    or None where it has that shape already. The generated code takes the cotangent to be
    shaped like the output (code specialised on ranks sums it as such), as torch's
    ``backward(gradient)`` requires; a smaller one broadcasts, as ``seed=1.0`` means ones."""
    if isinstance(seed, tuple):
        if not isinstance(out, tuple) or len(out) != len(seed):
            return None
        parts = [_seed_like(name, s, o) for s, o in zip(seed, out, strict=True)]
        return None if all(p is None for p in parts) else \
            tuple(s if p is None else p for s, p in zip(seed, parts, strict=True))
    if not isinstance(out, (np.ndarray, np.generic, float, int)) or \
            not isinstance(seed, (np.ndarray, np.generic, float, int)):
        return None  # (a pytree or a foreign array: as it is)
    want, have = np.shape(out), np.shape(seed)
    if have == want:
        return None
    try:
        if np.broadcast_shapes(have, want) == want:
            return np.array(np.broadcast_to(seed, want))
    except ValueError:
        pass
    raise SymgradError(f"{name}: the cotangent (seed) has shape {have}, and the output "
                       f"shape {want}", hint="pass a seed shaped like the output, or one "
                       "that broadcasts to it")


def normalise_wrt(wrt: Any, names: list[str], parsed: Any) -> list[str]:
    """``wrt`` (a name, an index, a sequence of them, or None: all) as parameter names,
    refused at the ``def`` when out of range, unknown or repeated."""
    if wrt is None:
        return list(names)
    items = [wrt] if isinstance(wrt, (str, int)) else list(wrt)
    out = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if not -len(names) <= item < len(names):
                raise parsed.error(parsed.tree, f"wrt={item} is out of range: "
                                   f"{parsed.tree.name} has {len(names)} parameters")
            out.append(names[item])
        elif isinstance(item, str) and item in names:
            out.append(item)
        else:
            raise parsed.error(parsed.tree, f"wrt={item!r} is not a parameter of "
                               f"{parsed.tree.name}", f"parameters: {', '.join(names)}")
    repeated = sorted({w for w in out if out.count(w) > 1}, key=out.index)
    if repeated:  # the generated code has one gradient per parameter
        raise parsed.error(parsed.tree, f"wrt names {repeated[0]!r} more than once",
                           f"name each parameter once: wrt={tuple(dict.fromkeys(out))!r}")
    return out
