"""The transformations of a decorated function beside ``grad``: ``G.jvp`` (forward mode,
generated code of its own), ``G.vjp`` and ``G.jacobian`` (built on ``jvp`` and the
generated gradient).

Each is an object reached as an attribute of the ``GradFunction`` (``G.jvp``): callable,
with ``.source``, the generated module text of that transformation, made on first use.
"""

from __future__ import annotations

import linecache
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.errors import SymgradError
from symgrad.foreign import numpy_only


class Jvp:
    """``G.jvp(*args, tangents=(t1, ...))`` -> ``(value, tangent_out)`` (with ``has_aux``:
    ``(value, tangent_out, aux)``, as ``jax.jvp(..., has_aux=True)``), as ``jax.jvp``:
    one tangent per ``wrt`` argument (shaped like it), the outputs' tangents shaped like
    the outputs (a tuple for several). Forward mode: the generated ``f_jvp`` computes the
    values and their tangents together in one pass and keeps no tape."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        self._compiled: tuple[str, Callable] | None = None  # for the module now in use
        # one module per gradient module of the owner (a static specialisation, or one
        # generated again when a global number it baked in changed): (that module, ours)
        self._by_module: dict[int, tuple[Any, tuple[str, Callable], dict[str, Any]]] = {}

    kind = "jvp"

    def _build(self, ir: Any, wrt: list[str], has_aux: bool) -> tuple[str, str]:
        from symgrad.adjoint.tangent import build_tangent
        from symgrad.codegen import generate_jvp

        return generate_jvp(build_tangent(ir, wrt, has_aux))

    def _module(self) -> tuple[str, Callable]:

        g = self._owner
        g._fresh()  # (a global number baked in may have changed: G.grad's module, again)
        key = id(g._module)
        if key not in self._by_module or self._by_module[key][0] is not g._module:
            from sympy.core.parameters import distribute

            from symgrad.frontend.lower import lower
            from symgrad.frontend.parse import parse_function

            with distribute(False):
                parsed = parse_function(g.fn)
                ir = lower(parsed, frozenset(set(g.params) - set(g.wrt)), dict(g._statics))
                text, name = self._build(ir, list(g.wrt), g.has_aux)
            namespace: dict[str, Any] = {"__name__": f"symgrad_generated.{g.fn.__name__}"}
            filename = f"<symgrad {self.kind} of {g.fn.__qualname__}>"
            # (in linecache: symgrad.grad(G.jvp) reads the generated function's source)
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
            exec(compile(text, filename, "exec"), namespace)
            self._by_module[key] = g._module, (text, namespace[name]), namespace
        _, self._compiled, namespace = self._by_module[key]
        for name in g._constants.values():  # the global arrays themselves, as G.grad reads
            if name in namespace and name in g._namespace:
                namespace[name] = g._namespace[name]
        return self._compiled

    @property
    def source(self) -> str:
        """The generated forward-mode module: ``f_jvp(x, ..., dx, ...)``."""
        return self._module()[0]

    def __call__(self, *args: Any, tangents: Any, **kwargs: Any) -> tuple[Any, Any]:
        g = self._owner
        try:
            args = g._checked_arguments(args, kwargs)  # (switches to the statics given)
            numpy_only(g, self.kind, args)
            from symgrad.export import describe_call

            g._last_call = describe_call(args, {})  # G.export's self-check runs at it
            fn = self._module()[1]
            tangents = _tangents(g, args, tangents)
            named = dict(zip(self._owner_tangent_names(), tangents, strict=True))
            try:
                return fn(*args, **named)
            except ZeroDivisionError:  # arithmetic on Python floats: numpy's inf/nan, as grad
                from symgrad.arguments import _numpy_floats

                return fn(*_numpy_floats(args, 1.0)[:-1], **named)
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__

    def _owner_tangent_names(self) -> list[str]:
        import inspect

        fn = self._module()[1]
        params = list(inspect.signature(fn).parameters)
        return params[len(self._owner.params):] if len(params) > len(self._owner.params) \
            else []


def _tangents(g: Any, args: tuple, tangents: Any) -> list[Any]:
    """One tangent per wrt argument, each shaped like its argument, as float arrays (a
    dict, list or tuple argument's: the same structure, each leaf shaped like its own)."""
    if len(g.wrt) == 1:
        arg = args[g._wrt_index[0]]
        container = isinstance(arg, (dict, list, tuple))
        if not isinstance(tangents, (tuple, list)) or type(tangents) is list and (
                container or _numbers_shaped(tangents, arg)) or container and not (
                type(tangents) is tuple and len(tangents) == 1 and len(arg) != 1):
            tangents = (tangents,)  # (a list shaped like x is x's tangent)
    tangents = tuple(tangents)
    if len(tangents) != len(g.wrt):
        raise SymgradError(f"{g.fn.__name__}: jvp takes one tangent per wrt argument "
                           f"({', '.join(g.wrt)}): {len(tangents)} given",
                           hint="pass tangents=(t1, ...) in wrt order")
    return [_tangent(g, name, args[i], t)
            for name, i, t in zip(g.wrt, g._wrt_index, tangents, strict=True)]


def _tangent(g: Any, name: str, arg: Any, t: Any) -> Any:
    if isinstance(arg, dict):
        if not isinstance(t, dict) or set(t) != set(arg):
            raise SymgradError(f"{g.fn.__name__}: the tangent of {name!r} must be a dict "
                               f"with its keys ({', '.join(map(repr, arg))})",
                               hint="give each tangent its argument's structure")
        return {k: _tangent(g, f"{name}[{k!r}]", v, t[k]) for k, v in arg.items()}
    if isinstance(arg, (list, tuple)):
        if not isinstance(t, (list, tuple)) or len(t) != len(arg):
            raise SymgradError(f"{g.fn.__name__}: the tangent of {name!r} must be a "
                               f"{type(arg).__name__} of {len(arg)}",
                               hint="give each tangent its argument's structure")
        return type(arg)(_tangent(g, f"{name}[{k}]", v, tk)
                         for k, (v, tk) in enumerate(zip(arg, t, strict=True)))
    dtype = np.asarray(arg).dtype
    t = np.asarray(t, dtype=dtype if dtype.kind == "f" else np.result_type(dtype, np.float64))
    if t.shape != np.shape(arg):
        raise SymgradError(f"{g.fn.__name__}: the tangent of {name!r} has shape "
                           f"{t.shape}, but {name} has shape {np.shape(arg)}",
                           hint="give each tangent its argument's shape")
    return t if np.ndim(arg) else t[()]


def _numbers_shaped(items: list, like: Any) -> bool:
    try:
        return np.asarray(items).dtype.kind in "biuf" and np.shape(items) == np.shape(like)
    except ValueError:  # ragged
        return False


class Hvp(Jvp):
    """``G.hvp(*args, v=(v1, ...))``: the Hessian-vector products H v, one per wrt
    argument (shaped like it), without forming the Hessian, one pass each. Straight-line
    code goes forward over reverse (``f_hvp`` returns the gradient and its tangent along
    v); loops and branches reverse over forward: the gradient of ``<grad f, v>``, the
    tangent of the output along v (``Directional``), which the reverse sweep tapes through
    the loops as it tapes any other."""

    kind = "hvp"
    _by_directional: tuple[Callable, Any] | None = None  # (f_tangent, its symgrad.grad)
    fallback_reason: str | None = None  # why loops go forward over forward, per element

    def _build(self, ir: Any, wrt: list[str], has_aux: bool) -> tuple[str, str]:
        from symgrad.adjoint.tangent import build_hvp
        from symgrad.codegen import generate_jvp

        program = build_hvp(ir, wrt, has_aux)
        doc = (f"The gradient of {ir.name} with respect to {', '.join(wrt)}, and its "
               f"tangent along ({', '.join(program.tangent_params)}): Hessian-vector "
               "products, forward over reverse.")
        return generate_jvp(program, "hvp", doc)

    @property
    def source(self) -> str:
        """The generated module: ``f_hvp(x, ..., dx, ...)`` -> (gradient, H dx); for loops
        and branches, the gradient of the tangent, ``f_tangent_grad(x, ..., dx, ...)`` ->
        H dx, under a comment saying so (or, where that cannot be read back, forward over
        forward's ``f_jvp_jvp``, one pass per element)."""
        g = self._owner
        if _straight_line(g):
            return self._module()[0]
        grad = self._reverse()
        name, wrt = g.fn.__name__, ", ".join(g.wrt)
        if grad is None:
            return _comment(f"G.hvp of {name} runs f_jvp_jvp below, forward over forward, one "
                            f"pass per element of {wrt}: {self.fallback_reason}.") + \
                g._second_order.source
        tangents = ", ".join(g._directional._owner_tangent_names())
        return _comment(f"G.hvp of {name}, a function with loops or branches, runs "
                        f"{grad._generated.grad_name} below: the gradient with respect to "
                        f"{wrt} of <grad {name}, ({tangents})>, the tangent of {name} along "
                        f"({tangents}), which is H ({tangents}): reverse over forward, one "
                        "pass.") + grad.source

    def _reverse(self) -> Any:
        """``symgrad.grad`` of the owner's ``Directional`` function, for its current module
        (made again where a global number it baked in changed); None where the lowering
        cannot read that function (``fallback_reason`` says why)."""
        from symgrad import regrad
        from symgrad.api import grad

        fn = self._owner._directional._module()[1]
        if self._by_directional is None or self._by_directional[0] is not fn:
            regrad.tag(fn.__globals__)  # (its helpers read back as their nodes, as G.jvp's)
            regrad._untaped(fn, self._owner)  # (a list it copies in a loop: an append)
            try:
                reverse = grad(fn, wrt=tuple(self._owner.wrt))
                reverse.source  # noqa: B018  (read now: a refusal is known before a call)
                self.fallback_reason = None
            except SymgradError as error:
                reverse = None
                where = f", line {error.lineno}" if error.lineno else ""
                self.fallback_reason = f"its tangent {fn.__name__} is not read back " \
                    f"({error.message}{where})"
            self._by_directional = fn, reverse
        return self._by_directional[1]

    def __call__(self, *args: Any, v: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        g = self._owner
        numpy_only(g, "hvp", args + tuple(kwargs.values()))
        _check_scalar_output(g, args, kwargs)
        if _straight_line(g):
            return self._products(*args, v=v, **kwargs)
        try:
            return self._through_loops(g._checked_arguments(args, kwargs), v)
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__

    def _through_loops(self, full: tuple, v: Any) -> Any:
        """H v for loops and branches: one gradient pass of the tangent along v (or, where
        it cannot be read back, (H v)_i = e_i^T H v, one forward-over-forward pass each)."""
        g = self._owner
        reverse = self._reverse()
        if reverse is None:
            xs = _arrays_of_wrt(g, full, "hvp of a loop or branch")
            v = (v,) if len(xs) == 1 and not isinstance(v, (tuple, list)) else tuple(v)
            out = [np.zeros(x.shape) for x in xs]
            for k, x in enumerate(xs):
                for idx in np.ndindex(x.shape):
                    e = [np.zeros(y.shape) for y in xs]
                    e[k][idx] = 1.0
                    out[k][idx] = g._second_order(*full, d1=tuple(e), d2=v)
            return out[0] if len(xs) == 1 else tuple(out)
        named = dict(zip(g.params, full, strict=True))
        names = g._directional._owner_tangent_names()
        named.update(zip(names, _tangents(g, full, v), strict=True))
        return reverse.grad(**named)

    def _products(self, *args: Any, v: Any, **kwargs: Any) -> Any:
        from symgrad.arguments import _finish

        g = self._owner
        _, products = Jvp.__call__(self, *args, tangents=v, **kwargs)
        full = g._arguments(args, kwargs)
        if not any(isinstance(full[i], (dict, list, tuple)) for i in g._wrt_index):
            return products
        # typed like each argument, as G.grad's gradients (a dict's per key)
        if len(g.wrt) == 1:
            return _finish(products, full[g._wrt_index[0]])
        return tuple(_finish(p, full[i]) for p, i in zip(products, g._wrt_index, strict=True))


def _check_scalar_output(g: Any, args: tuple, kwargs: dict) -> None:
    """A Hessian is of a scalar: refuse an array output (the generated gradient would seed
    every element with 1, the Hessian of its sum)."""
    try:
        out = g(*args, **kwargs)
    except SymgradError as error:
        raise error.with_traceback(None) from error.__cause__
    if g.has_aux:
        out = out[0]
    if isinstance(out, tuple) or np.size(out) != 1:
        what = f"{len(out)} outputs" if isinstance(out, tuple) else \
            f"an array of shape {np.shape(out)}"
        raise SymgradError(f"{g.fn.__name__} returns {what}: hvp and hessian take a function "
                           "of one scalar output", hint="return np.sum(...) of it, or take "
                           "G.jacobian of a function returning its gradient")


class Directional(Jvp):
    """``f_tangent(x, ..., dx, ...)``: the tangent of the first output along dx alone
    (forward mode), ``<grad f, dx>`` for a scalar output: what ``G.hvp`` differentiates
    through loops and branches (its gradient is H dx)."""

    kind = "tangent"

    def _build(self, ir: Any, wrt: list[str], has_aux: bool) -> tuple[str, str]:
        from symgrad.adjoint.tangent import build_directional
        from symgrad.codegen import generate_jvp

        program = build_directional(ir, wrt, has_aux)
        along = ", ".join(program.tangent_params)
        doc = (f"The tangent of {ir.name} along ({along}) alone: <grad {ir.name}, ({along})>, "
               "forward mode; its gradient is the Hessian-vector product.")
        return generate_jvp(program, "tangent", doc, tangent_only=True)


class SecondOrder(Jvp):
    """``dx^T H d2x`` by forward over forward (``f_jvp_jvp``): G.hvp's way, one pass per
    element, through loops whose tangent's gradient cannot be read back (``Directional``:
    a list the tangent loop copies, ``outs + [h]``)."""

    kind = "jvp_jvp"

    def _build(self, ir: Any, wrt: list[str], has_aux: bool) -> tuple[str, str]:
        from symgrad.adjoint.tangent import build_second_order
        from symgrad.codegen import generate_jvp

        program = build_second_order(ir, wrt, has_aux)
        doc = (f"The tangent of {ir.name} along the first tangents, and its tangent along "
               f"({', '.join(program.tangent_params)}): second derivatives, forward over "
               "forward.")
        return generate_jvp(program, "jvp_jvp", doc)

    def _owner_tangent_names(self) -> list[str]:
        import inspect

        own = set(self._owner.params)
        return [p for p in inspect.signature(self._module()[1]).parameters if p not in own]

    def __call__(self, *args: Any, d1: Any, d2: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        g = self._owner
        args = g._checked_arguments(args, kwargs)
        numpy_only(g, "hessian", args)
        fn = self._module()[1]
        tangents = _tangents(g, args, d1) + _tangents(g, args, d2)
        # by name: the first tangents are parameters without defaults, placed before the
        # function's own defaulted ones
        named = dict(zip(g.params, args, strict=True))
        named.update(zip(self._owner_tangent_names(), tangents, strict=True))
        return fn(**named)[1]


def _straight_line(g: Any) -> bool:
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function

    if "_straight" not in g.__dict__:
        from sympy.core.parameters import distribute

        with distribute(False):
            ir = lower(parse_function(g.fn), frozenset(set(g.params) - set(g.wrt)),
                       dict(g._statics))
        g.__dict__["_straight"] = ir.straight_line
    return g.__dict__["_straight"]


class Hessian:
    """``G.hessian(*args)``: the second derivatives of a scalar output, ``x.shape +
    x.shape`` for one wrt argument, a nested tuple ``H[i][j]`` (``x_i.shape + x_j.shape``)
    for several, as ``jax.hessian``.

    For straight-line code it runs the generated ``f_hessian``: forward over reverse with
    every direction at once (the tangents carry a trailing axis over the parameters), which
    reads as the textbook form, ``X.T @ (d[:, None] * X)``. What that cannot batch (and
    loops and branches) is built a column at a time from ``G.hvp``; ``fallback_reason``
    says why, for the last call (None: batched)."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        # (hvp module, argument shapes) -> (text, f_hessian, sizes), or None: not batchable
        self._batched: dict[tuple, tuple[str, Callable, tuple[int, ...]] | None] = {}
        self._last: tuple[str, Callable, tuple[int, ...]] | None = None
        self._checked: set[tuple] = set()  # the modules checked against G.hvp once
        self._reasons: dict[tuple, str] = {}  # why a key is not batched
        self.fallback_reason: str | None = None

    @property
    def source(self) -> str:
        """The generated ``f_hessian`` module for the last call's argument shapes (its
        batching depends on them). Before a Hessian call, the one for the shapes of G's own
        last call, if G was called with arrays; else (or where it cannot batch) the module
        it is built from, ``G.hvp``'s, under a comment that says what G.hessian will run."""
        if self._last is not None:
            return self._last[0]
        g = self._owner
        straight = _straight_line(g)
        example = _example_of_last_call(g) if straight else None
        if example is not None:
            reason = self.fallback_reason
            try:
                built = self._batched_for(example)
            except Exception:  # (what the Hessian call would report: shown with G.hvp's)
                built = None
            self.fallback_reason = reason  # (no Hessian has run: the last call's reason)
            if built is not None:
                shapes = ", ".join(f"{p} {np.shape(a)}" for p, a in zip(g.params, example,
                                                                         strict=True)
                                   if p in g.wrt or isinstance(a, np.ndarray))
                return (f"# G.hessian has not run yet: this f_hessian is made for the shapes "
                        f"of {g.fn.__name__}'s last call\n# ({shapes}); other shapes get "
                        "one of their own.\n" + built[0])
        return _pending_note(g, straight, self.fallback_reason) + g.hvp.source

    def source_for(self, *args: Any, **kwargs: Any) -> str:
        """The generated Hessian module for these arguments' shapes."""
        g = self._owner
        full = g._checked_arguments(args, kwargs)
        built = self._batched_for(full) if _straight_line(g) else None
        return built[0] if built is not None else g.hvp.source

    def formula(self, *example_args: Any, shapes: dict | None = None) -> Any:
        """The Hessian as mathematics (straight-line functions): ``G.formula(hessian=True)``."""
        return self._owner.formula(*example_args, shapes=shapes, hessian=True)

    def by_columns(self, *args: Any, **kwargs: Any) -> Any:
        """The Hessian a column at a time, one ``G.hvp`` per wrt element: what ``G.hessian``
        falls back to, for comparison (the same layout, no batched module)."""
        g = self._owner
        try:
            full = g._checked_arguments(args, kwargs)
            xs = _arrays_of_wrt(g, full, "Hessian")
            _check_scalar_output(g, full, {})
            blocks = _by_columns(g, full, xs, _float_type(*xs), _straight_line(g))
            return blocks[0][0] if len(xs) == 1 else tuple(tuple(row) for row in blocks)
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__

    def _key(self, full: tuple) -> tuple:
        """What f_hessian is made for: the hvp module (a static specialisation, the global
        numbers baked in) and the arguments' shapes and dtypes."""
        hvp_fn = self._owner.hvp._module()[1]
        try:
            shapes = tuple((np.shape(a), np.asarray(a).dtype.str) for a in full)
        except (ValueError, TypeError):  # (a ragged or non-array argument: by type)
            shapes = tuple(type(a).__name__ for a in full)
        return id(hvp_fn), shapes

    def _batched_for(self, full: tuple) -> tuple[str, Callable, tuple[int, ...]] | None:
        """The batched ``f_hessian`` for these arguments (made once per shapes), or None."""
        g = self._owner
        key = self._key(full)
        if key not in self._batched:
            self._batched[key] = None
            try:
                self._batched[key] = _build_batched(g, full, g.hvp._module()[1])
            except _unbatchable() as error:
                self._reasons[key] = f"not batched ({error}): built a column at a time, " \
                    "one G.hvp per element"
        built = self._batched[key]
        self.fallback_reason = self._reasons.get(key) if built is None else None
        if built is not None:  # the global arrays themselves, as they are now (as G.grad)
            namespace = built[1].__globals__
            for name in g._constants.values():
                if name in namespace and name in g._namespace:
                    namespace[name] = g._namespace[name]
        return built

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        g = self._owner
        try:
            full = g._checked_arguments(args, kwargs)
            numpy_only(g, "hessian", full)
            xs = _arrays_of_wrt(g, full, "Hessian")
            straight = _straight_line(g)  # else reverse over forward, through G.hvp
            if not straight or self._batched.get(self._key(full)) not in self._checked:
                _check_scalar_output(g, full, {})  # (once per module: shapes decide it)
            dtype = _float_type(*xs)  # float32 inputs: a float32 Hessian, as torch.func's
            built = self._batched_for(full) if straight else None
            if not straight:
                self.fallback_reason = "loops or branches: a column at a time, one G.hvp " \
                    "(reverse over forward) per element"
            blocks = None
            if built is not None:
                blocks = _blocks(built, full, xs, dtype)
                if blocks is None or built not in self._checked and \
                        not _agrees(g, full, xs, blocks):
                    self.fallback_reason = "the batched Hessian disagreed with G.hvp"
                    self._reasons = dict.fromkeys(self._batched, self.fallback_reason)
                    self._batched = dict.fromkeys(self._batched)
                    blocks = None
                else:
                    self._checked.add(built)
                    self._last = built
            if blocks is None:
                blocks = _by_columns(g, full, xs, dtype, straight)
            hessian = blocks[0][0] if len(xs) == 1 else tuple(tuple(row) for row in blocks)
            if g.has_aux:  # (H, aux), as jax.hessian(..., has_aux=True)
                out = g(*full)
                return hessian, out[1] if len(out) == 2 else out[1:]
            return hessian
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__


def _example_of_last_call(g: Any) -> tuple | None:
    """Arguments shaped as G's last call's (its floating arrays by shape and dtype, filled
    with numbers in (0.1, 0.9); other values as they were), or None: no call to go by."""
    from symgrad.export import _Shaped

    last = g._last_call
    if last is None:
        return None
    args, kwargs = last
    rng = np.random.default_rng(0)

    def filled(v: Any) -> Any:
        if isinstance(v, _Shaped):
            return rng.uniform(0.1, 0.9, size=v.shape).astype(v.dtype)
        return v

    values = [filled(a) for a in args]
    if not any(isinstance(a, np.ndarray) for a in values):
        return None  # (numbers only: the Hessian of scalars is built at its call)
    try:
        return g._checked_arguments(tuple(values), {k: filled(v) for k, v in kwargs.items()})
    except (SymgradError, TypeError, ValueError):
        return None


def _pending_note(g: Any, straight: bool, reason: str | None) -> str:
    """The comment over ``G.hvp``'s module where G.hessian shows no f_hessian of its own."""

    name = g.fn.__name__
    if not straight:
        text = (f"G.hessian of {name}, a function with loops or branches, runs G.hvp's "
                "module below a column at a time (one pass per input element); there is no "
                "batched f_hessian.")
    elif reason is not None:
        text = f"G.hessian of {name}'s last call ran this f_hvp: {reason}."
    else:
        shapes = " ".join(f"--shape {p}=..." for p in g.params)
        text = (f"G.hessian has not run yet. At its first call it builds {name}_hessian for "
                "the arguments' shapes: the gradient's tangent along every direction at once "
                "(forward over reverse), made from the f_hvp below, which it runs a column at "
                "a time where it cannot batch (G.hessian.fallback_reason says why). "
                f"G.hessian.source_for(*args), or `symgrad show --hessian {shapes}`, shows "
                "it now.")
    return _comment(text)


def _comment(text: str) -> str:
    """``text`` as a comment over a generated module, filled to 90 columns."""
    import textwrap

    return textwrap.fill(text, 90, initial_indent="# ", subsequent_indent="# ",
                         break_on_hyphens=False, break_long_words=False) + "\n"


def _unbatchable() -> type[Exception]:
    from symgrad.adjoint.batched import Unbatchable

    return Unbatchable


def _build_batched(g: Any, full: tuple, hvp_fn: Callable) -> tuple[str, Callable, tuple[int, ...]]:
    """Generate and compile ``f_hessian`` for these arguments' shapes."""
    from sympy.core.parameters import distribute

    from symgrad.adjoint.batched import batch_hvp
    from symgrad.adjoint.tangent import build_hvp
    from symgrad.codegen import generate_hessian
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function
    from symgrad.printer import NumpyPrinter

    with distribute(False):
        ir = lower(parse_function(g.fn), frozenset(set(g.params) - set(g.wrt)),
                   dict(g._statics))
        tp = build_hvp(ir, list(g.wrt), g.has_aux)
        values = dict(zip(g.params, full, strict=True))
        batched = batch_hvp(tp, values, hvp_fn.__globals__, NumpyPrinter(is_scalar=tp.is_scalar))
        one = len(g.wrt) == 1 and np.ndim(values[g.wrt[0]]) == 1
        doc = (f"The Hessian of {ir.name} with respect to {g.wrt[0]}: its gradient's "
               "tangent along every direction at once (forward over reverse)." if one else
               f"The Hessian of {ir.name}, a row per wrt argument ({', '.join(g.wrt)}): "
               "each gradient's tangent along every direction at once, the directions on "
               "the last axis, in wrt order (forward over reverse).")
        text, name = generate_hessian(batched.program, doc)
    namespace: dict[str, Any] = dict(hvp_fn.__globals__)  # (the global arrays G reads)
    filename = f"<symgrad hessian of {g.fn.__qualname__}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), namespace)
    return text, namespace[name], tuple(batched.sizes)


def _blocks(built: tuple, full: tuple, xs: list, dtype: Any) -> list[list[Any]] | None:
    """The blocks ``H[i][j]`` from ``f_hessian``'s rows (None: not shaped as expected)."""
    _, fn, sizes = built
    wrt_values = list(full)
    rows = fn(*wrt_values)
    rows = rows if isinstance(rows, tuple) else (rows,)
    n = sum(sizes)
    offsets = np.cumsum((0,) + sizes)
    blocks = []
    for xi, row in zip(xs, rows, strict=True):
        row = np.asarray(row)
        if row.shape != xi.shape + (n,):
            return None
        # (a fresh, writable array per block, as the columns' zeros were)
        blocks.append([np.array(row[..., offsets[j]:offsets[j + 1]].reshape(
            xi.shape + xj.shape), dtype=dtype) for j, xj in enumerate(xs)])
    return blocks


def _agrees(g: Any, full: tuple, xs: list, blocks: list[list[Any]]) -> bool:
    """Whether the batched Hessian times a random v is G.hvp's H v: a check, on the first
    call for each shape, that costs one Hessian-vector product."""
    rng = np.random.default_rng(1)
    v = [rng.normal(size=x.shape) for x in xs]
    products = g.hvp._products(*full, v=tuple(v) if len(xs) > 1 else v[0])
    products = (products,) if len(xs) == 1 else products
    for i, hv in enumerate(products):
        mine = sum(np.tensordot(blocks[i][j], v[j], axes=v[j].ndim) for j in range(len(xs)))
        hv = np.asarray(hv, dtype=float)
        scale = 1.0 + float(np.nanmax(np.abs(hv), initial=0.0))
        if not np.allclose(mine, hv, rtol=1e-4, atol=1e-4 * scale, equal_nan=True):
            return False
    return True


def _by_columns(g: Any, full: tuple, xs: list, dtype: Any, straight: bool) -> list[list[Any]]:
    """The Hessian a column at a time: one Hessian-vector product per wrt element."""
    blocks = [[np.zeros(xi.shape + xj.shape, dtype) for xj in xs] for xi in xs]
    for j, xj in enumerate(xs):
        for idx in np.ndindex(xj.shape):
            v = [np.zeros(x.shape) for x in xs]
            v[j][idx] = 1.0
            products = g.hvp._products(*full, v=tuple(v)) if straight else \
                g.hvp._through_loops(full, tuple(v))
            products = (products,) if len(xs) == 1 else products
            for i, hv in enumerate(products):
                blocks[i][j][(...,) + idx] = hv
    return blocks


class Vjp:
    """``G.vjp(*args)`` -> ``(value, vjp_fn)``, as ``jax.vjp``: ``vjp_fn(cotangent)`` is the
    generated gradient with that output cotangent (one gradient per wrt argument, a tuple
    for several, as ``G.grad``)."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    @property
    def source(self) -> str:
        """The generated module: its ``f_grad(..., seed)`` is the vjp."""
        return self._owner.source

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], Any]]:
        g = self._owner
        value = g(*args, **kwargs)

        out = value[0] if g.has_aux else value

        def vjp_fn(cotangent: Any) -> Any:
            _check_cotangent(g, out, cotangent)
            grads = g.grad(*args, **{g.seed_name: cotangent}, **kwargs)
            return grads[0] if g.has_aux else grads

        if g.has_aux:  # (value, vjp_fn, aux), as jax.vjp(..., has_aux=True)
            return value[0], vjp_fn, value[1] if len(value) == 2 else value[1:]
        return value, vjp_fn


def _check_cotangent(g: Any, out: Any, cotangent: Any) -> None:
    """A cotangent shaped like the output (one per output), as jax.vjp and torch's backward
    require: a broadcast one would be the vjp of a sum, silently."""
    outs, cts = (out, cotangent) if isinstance(out, tuple) else ((out,), (cotangent,))
    if not isinstance(cts, (tuple, list)) or len(cts) != len(outs):
        raise SymgradError(f"{g.fn.__name__}: vjp_fn takes one cotangent per output "
                           f"({len(outs)})", hint="pass a tuple shaped like the outputs")
    for i, (o, ct) in enumerate(zip(outs, cts, strict=True)):
        if np.shape(ct) != np.shape(o):
            which = f"output {i}" if len(outs) > 1 else "the output"
            raise SymgradError(f"{g.fn.__name__}: the cotangent has shape {np.shape(ct)}, but "
                               f"{which} has shape {np.shape(o)}",
                               hint="give the cotangent the output's shape (as jax.vjp)")


class Jacobian:
    """``G.jacobian(*args, mode=None)``: the derivative of every output element by every
    wrt element, ``out.shape + x.shape`` per wrt argument (a tuple for several).

    ``mode="fwd"`` builds it a column at a time from ``G.jvp`` (one pass per input
    element), ``mode="rev"`` a row at a time from the generated gradient (one pass per
    output element). By default the smaller side is chosen: forward when the wrt arguments
    have fewer elements than the output, reverse otherwise (as jax.jacfwd suits tall
    Jacobians and jax.jacrev wide ones), and reverse where forward mode cannot go (a
    custom_vjp function has no jvp)."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    @property
    def source(self) -> str:
        """The module the chosen mode runs: the jvp module (forward) or the gradient's."""
        return self._owner.jvp.source + "\n\n" + self._owner.source

    def __call__(self, *args: Any, mode: str | None = None, **kwargs: Any) -> Any:
        g = self._owner
        try:
            if mode not in (None, "fwd", "rev"):
                raise SymgradError(f"jacobian: mode must be 'fwd' or 'rev', not {mode!r}")
            full = g._checked_arguments(args, kwargs)
            numpy_only(g, "jacobian", full)
            out = g(*full)
            aux = None
            if g.has_aux:  # (jacobian, aux), as jax.jacfwd(..., has_aux=True)
                out, aux = out[0], out[1] if len(out) == 2 else out[1:]
            if isinstance(out, tuple):
                raise SymgradError(f"{g.fn.__name__} returns {len(out)} outputs: jacobian "
                                   "takes a function of one output",
                                   hint="return one array (np.concatenate the outputs)")
            out_shape = np.shape(out)
            xs = _arrays_of_wrt(g, full, "Jacobian")
            n_in = sum(x.size for x in xs)
            if mode is None:
                mode = "fwd" if n_in <= math.prod(out_shape) and _has_jvp(g) else "rev"
            dtype = _float_type(np.asarray(out), *xs)  # (float32 in and out: float32)
            jac = _jac_fwd(g, full, xs, out_shape, dtype) if mode == "fwd" else \
                _jac_rev(g, full, xs, out_shape, dtype)
            jac = jac[0] if len(g.wrt) == 1 else tuple(jac)
            return (jac, aux) if g.has_aux else jac
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__


def _has_jvp(g: Any) -> bool:
    """Whether forward mode can differentiate ``g`` (the default mode falls back to reverse
    where it cannot, as for a custom_vjp function, which has no jvp)."""
    try:
        g.jvp._module()
    except SymgradError:
        return False
    return True


def _arrays_of_wrt(g: Any, args: tuple, what: str) -> list[Any]:
    """The wrt arguments as arrays; a dict, list or tuple of arrays (a pytree) is refused:
    its Jacobian would be nested by its keys, which is not built yet."""
    for name, i in zip(g.wrt, g._wrt_index, strict=True):
        if isinstance(args[i], (dict, list, tuple)):
            raise SymgradError(f"{g.fn.__name__}: the {what} of {name!r}, a "
                               f"{type(args[i]).__name__} of arrays, is not supported yet",
                               hint="pass its arrays as parameters of their own, or use "
                               "G.jvp / G.hvp (they take a tangent of the same structure)")
    return [np.asarray(args[i]) for i in g._wrt_index]


def _float_type(*arrays: Any) -> Any:
    """The floating type of a derivative of these arrays: their common one, at least
    float32 where all are float16 or float32, float64 for integers (torch's and jax's)."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.float64


def _jac_fwd(g: Any, args: tuple, xs: list, out_shape: tuple, dtype: Any) -> list[Any]:
    jacs = []
    for k, x in enumerate(xs):
        cols = np.zeros(out_shape + x.shape, dtype)
        for idx in np.ndindex(x.shape):
            tangents = [np.zeros(y.shape) for y in xs]
            tangents[k][idx] = 1.0
            t = g.jvp(*args, tangents=tuple(tangents))[1]
            cols[(...,) + idx] = t
        jacs.append(cols)
    return jacs


def _jac_rev(g: Any, args: tuple, xs: list, out_shape: tuple, dtype: Any) -> list[Any]:
    jacs = [np.zeros(out_shape + x.shape, dtype) for x in xs]
    for idx in np.ndindex(out_shape):
        seed = np.zeros(out_shape)
        seed[idx] = 1.0
        grads = g.grad(*args, **{g.seed_name: seed if out_shape else 1.0})
        grads = grads[0] if g.has_aux else grads
        grads = (grads,) if len(xs) == 1 else grads
        for jac, gr in zip(jacs, grads, strict=True):
            jac[idx] = gr
    return jacs
