"""JAX's spellings of the transformations: ``symgrad.jvp``, ``vjp``, ``jacfwd``, ``jacrev``
and ``hessian``, thin wrappers over a decorated function's own (``G.jvp``, ``G.hessian``),
made once per function and argnums."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

_DECORATED: dict[tuple[Any, tuple[int, ...], bool], Any] = {}


def _decorated(f: Callable, argnums: Any, has_aux: bool = False) -> Any:
    """``symgrad.grad(f, wrt=argnums, has_aux=...)``, made once per function and argnums (a
    decorated ``f`` keeps its own ``has_aux``: its function returns the aux too)."""
    from symgrad.api import GradFunction, grad

    if isinstance(f, GradFunction):
        has_aux = has_aux or f.has_aux
        f = f.fn
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    key = (f, nums, has_aux)
    if key not in _DECORATED:
        _DECORATED[key] = grad(f, wrt=nums, has_aux=has_aux)
    return _DECORATED[key]


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
    """``jax.jvp``: ``(f(*primals), J tangents)``, differentiating every primal; with
    ``has_aux``, f returns ``(value, aux)`` and this ``(value, tangent, aux)``."""
    return _decorated(f, range(len(primals)), has_aux).jvp(*primals,
                                                           tangents=tuple(tangents))


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``jax.vjp``: ``(f(*primals), vjp_fn)``; ``vjp_fn(ct)`` is a tuple, one cotangent per
    primal; with ``has_aux``, ``(value, vjp_fn, aux)``."""
    out = _decorated(f, range(len(primals)), has_aux).vjp(*primals)
    fn = out[1]

    def vjp_fn(cotangent: Any) -> tuple:
        grads = fn(cotangent)
        return grads if len(primals) > 1 else (grads,)

    return (out[0], vjp_fn, *out[2:])


def _one_of_a_sequence(argnums: Any, has_aux: bool, result: Any, wrap: Callable) -> Any:
    """JAX's structure for ``argnums=(i,)``, a sequence of one: ``wrap`` puts the single
    argument's result in a tuple (G's own methods, with one wrt argument, give it bare)."""
    if isinstance(argnums, int) or len(tuple(argnums)) != 1:
        return result
    return (wrap(result[0]), result[1]) if has_aux else wrap(result)


def _jac(mode: str | None, f: Callable, argnums: Any, has_aux: bool) -> Callable[..., Any]:
    def jacobian(*args: Any, **kwargs: Any) -> Any:
        G = _decorated(f, argnums, has_aux)
        return _one_of_a_sequence(argnums, G.has_aux, G.jacobian(*args, mode=mode, **kwargs),
                                  lambda j: (j,))

    jacobian.__name__ = f"jac{mode}_{getattr(f, '__name__', 'f')}"
    return jacobian


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """``jax.jacfwd``: the Jacobian by forward mode, ``out.shape + x.shape`` (a tuple for a
    sequence of argnums, ``(1,)`` too; with ``has_aux``: ``(jacobian, aux)``)."""
    return _jac("fwd", f, argnums, has_aux)


def jacrev(f: Callable, argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """``jax.jacrev``: the Jacobian by reverse mode, ``out.shape + x.shape`` (a tuple for a
    sequence of argnums, ``(1,)`` too; with ``has_aux``: ``(jacobian, aux)``)."""
    return _jac("rev", f, argnums, has_aux)


def hessian(f: Callable, argnums: int | Sequence[int] = 0,
            has_aux: bool = False) -> Callable[..., Any]:
    """``jax.hessian``: forward over reverse; ``x.shape + x.shape``, nested for a sequence
    of argnums (``((H,),)`` for ``(1,)``, as jax's; with ``has_aux``: ``(hessian, aux)``, as jax's)."""
    def hessian_(*args: Any, **kwargs: Any) -> Any:
        G = _decorated(f, argnums, has_aux)
        return _one_of_a_sequence(argnums, G.has_aux, G.hessian(*args, **kwargs),  # (H, aux)
                                  lambda h: ((h,),))

    return hessian_
