"""``symgrad.grad``: the decorated-function object and its cache."""

from __future__ import annotations

import functools
import inspect
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symgrad import foreign as _foreign
from symgrad import hot as _hot
from symgrad import live
from symgrad.arguments import (
    _CONTAINERS,
    _as_arrays,
    _as_float_hint,
    _as_given,
    _check_leaves,
    _check_scalar,
    _check_value,
    _describe_integer,
    _finish,
    _integer,
    _numpy_floats,
    _seed_like,
    _unshared,
    normalise_wrt,
)
from symgrad.bound import _BoundWithSource, _with_hot, _with_source  # noqa: F401 (regrad)
from symgrad.call_errors import reraise as _reraise
from symgrad.compiled import check_backend, compiled_functions
from symgrad.errors import SymgradError, a_or_an, api_boundary
from symgrad.export import describe_call
from symgrad.hot import _fast_finish, _fast_key
from symgrad.modules import Module as _Module
from symgrad.modules import Pending as _Pending
from symgrad.modules import code as _code
from symgrad.modules import ready as _ready
from symgrad.modules import run as _exec
from symgrad.modules import transformed as _transformed
from symgrad.patterns import spelled as _spelled
from symgrad.runtime import function as _tensor_calls
from symgrad.runtime.tensor import Tensor as _Tensor
from symgrad.specialisations import MAX_RANKED, Ranked, Specialisations  # noqa: F401
from symgrad.specialisations import plumbed as _plumbed
from symgrad.statics import MAX_SPECIALISATIONS, infer_statics, same_statics, static_ok
from symgrad.transformations import Directional, Hessian, Hvp, Jacobian, Jvp, SecondOrder, Vjp

_UNSET: Any = object()  # no cotangent keyword given
_MISSING: Any = object()
_FAST_SCALARS = frozenset({float, np.float64, np.float32, np.float16})  # a scalar, quickly


_TRANSFORMS: dict[str, _Module] = {}  # cache.cache_key (by content) -> module
# GradFunction's attributes made from its generic module: missing while it is pending
_GENERIC = ("_generated", "_namespace", "_filename", "_primal", "_grad", "_value_and_grad")


class GradFunction:
    """A function with its generated gradient: call it, ``.grad`` it, read its ``.source``.

    ``.grad(*args, seed=ct)`` takes the output cotangent as ``seed``, PyTorch's
    ``backward(gradient)``. A function with a parameter of its own named ``seed`` gets that
    parameter from ``seed=``, and the cotangent keyword is then the generated code's own name
    for it (``seed_1``; ``G.seed_name`` says which), as ``f_grad(x, seed, seed_1=ct)`` of the
    exported module.

    Called with Tensors (``G(w, x)``, w a ``symgrad.tensor`` that requires grad), it is one
    node of their graph, named after the function (``f(w, x).grad_fn`` is
    ``<fBackward object at ...>``), whose backward is the generated gradient with respect to
    every Tensor argument that requires grad, whatever ``wrt`` says (see
    ``symgrad.runtime.function.grad_function_call``).
    """

    @api_boundary
    def __init__(self, fn: Callable, wrt: str | int | Sequence[str | int] | None,
                 has_aux: bool = False, backend: str = "numpy") -> None:
        from symgrad.frontend.parse import one_reading
        from symgrad.frontend.pauses import without_cycle_collection

        # the source is read from its file once, not once per step
        with one_reading(), without_cycle_collection():
            self._make(fn, wrt, has_aux, backend)

    def _make(self, fn: Callable, wrt: str | int | Sequence[str | int] | None,
              has_aux: bool, backend: str) -> None:
        from symgrad.frontend.parse import parse_function

        self.backend = check_backend(backend)  # "numba": symgrad.compiled
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.__symgrad_wrapped__ = fn  # calls from other differentiated code inline fn
        parsed = parse_function(fn)  # fails early, before any transformation
        names = [a.arg for a in parsed.tree.args.args]
        self.params = names
        self.wrt = tuple(normalise_wrt(wrt, names, parsed))
        self._wrt_named = wrt is not None  # an integer argument named in wrt is an error
        self.has_aux = bool(has_aux)
        self._signature = inspect.signature(fn)
        self._statics: dict[str, Any] = {}  # static parameter -> the value now specialised for
        self._static_index: tuple[int, ...] = ()
        self._specialised: dict[tuple, _Module] = {}
        self._ranked = Specialisations()  # on argument ranks (symgrad.specialisations)
        self._by_shapes = self._ranked.by_shapes  # (the fast path's lookup)
        self._recent: Any = None  # the last call's Fast, when it took the hot path (_settle)
        self._shown_at: Ranked | None = None  # the last call's specialisation (see _shown)
        # generated when a call needs it (one transformation, for the call's ranks), checked
        # now; numba runs the generic module, and a parameter named seed needs its name
        self._lazy = self.backend == "numpy" and "seed" not in names
        try:
            module = _module(fn, self.wrt, self.has_aux, lazy=self._lazy, parsed=parsed)
        except SymgradError as error:  # maybe a parameter the code needs as a constant
            trial = self.wrt
            if wrt is None:  # every parameter by default: not one with a static default
                defaults = self._signature.parameters
                trial = tuple(n for n in self.wrt if defaults[n].default is
                              inspect.Parameter.empty or not static_ok(defaults[n].default))
            statics = infer_statics(fn, trial, self.has_aux, self._signature, error)
            if wrt is None:  # reduction="mean", axis=0: constants, not differentiated
                self.wrt = tuple(n for n in self.wrt if n not in statics)
            self._statics = statics
            self._static_index = tuple(names.index(n) for n in statics)
            self._lazy = False
            module = _module(fn, self.wrt, self.has_aux, statics)
            self._specialised[tuple((type(v), v) for v in statics.values())] = module
        self._use(module)
        self._last_args: tuple | None = None  # the last call's arguments (see _last_call)
        self._last_described: tuple | None = None
        self._wrt_index = tuple(names.index(w) for w in self.wrt)
        self._wrt_one = self._wrt_index[0] if len(self._wrt_index) == 1 else -1
        self._fast_key = _fast_key(len(names))
        self._by_wrt: dict[tuple[str, ...], GradFunction] = {self.wrt: self}
        if names and not self._static_index and not self.has_aux and "seed" not in names:
            # G.value_and_grad and G.grad: plain functions for the ordinary call (symgrad.hot)
            self._hot_value_and_grad, self._hot_grad = _hot.entry_points(
                self, types.MethodType(_with_hot.method_of(GradFunction, "value_and_grad"),
                                       self),
                types.MethodType(_with_hot.method_of(GradFunction, "grad"), self), _UNSET)

    def _with_wrt(self, wrt: tuple[str, ...]) -> GradFunction:
        """This function differentiated with respect to ``wrt`` (made once, then kept)."""
        other = self._by_wrt.get(wrt)
        if other is None:
            other = self._by_wrt[wrt] = GradFunction(self.fn, wrt, self.has_aux,
                                                     self.backend)
        other._fresh()
        return other

    def _use(self, module: _Module) -> None:
        """Run ``module`` as the generic module; while it is pending, the attributes made from
        it (``_GENERIC``) are missing, and the first read generates it (``__getattr__``)."""
        self._module = module
        for name in _GENERIC:
            self.__dict__.pop(name, None)
        self.seed_name = "seed"  # (a parameter so named: the generated code's name, below)
        self._watched = live.watch(self.fn)  # globals baked into the module, as seen now
        self._constants: dict[tuple[str, str, str], str] = {}
        self._ranked.reset()
        self._shown = None
        # the ordinary call (every parameter by position, the default cotangent) takes the
        # fast path when it has this many arguments; -1: never (statics, aux, several outputs)
        # or not yet (no module generated: the first call goes the checked way)
        self._fast_arity = -1
        self._seed_default: Any = _MISSING
        if module.pending is None:
            self._run_generic()

    def _run_generic(self) -> None:
        """Bind the generic module, generated, to this function (its live globals)."""
        module = self._module
        self._generated = module.generated
        namespace = _exec(self.fn, module)  # its own: the live globals bound below are fn's
        self._filename = namespace["__symgrad_filename__"]
        self._primal = namespace[self._generated.primal_name]
        self._grad = namespace[self._generated.grad_name]
        self._value_and_grad = namespace[self._generated.value_and_grad_name]
        self._namespace = namespace
        # the cotangent keyword: `seed`, unless one of the function's parameters is so named
        self.seed_name = self._generated.seed_param if "seed" in self.params else "seed"
        self._learn(self._value_and_grad, self._generated.constants)
        live.bind(self._watched, namespace, self._constants)
        if self.backend != "numpy":  # the same functions, compiled (numpy where not)
            self._primal, self._grad, self._value_and_grad = compiled_functions(
                self._generated, namespace)
        self._ranked.plumbed = _plumbed(self._generated.source)

    def _learn(self, value_and_grad: Callable, constants: str) -> None:
        """What the calls read of the first module generated (generic, or a specialisation:
        the same function, so the same outputs and global arrays)."""
        self._constants = live.constant_names(constants)
        self._seed_default = value_and_grad.__defaults__[-1]
        self._fast_arity = -1 if self._static_index or self.has_aux or \
            self.seed_name != "seed" or type(self._seed_default) is tuple else len(self.params)

    def __getattr__(self, name: str) -> Any:
        """Only for an attribute missing: one made from the generic module while it is pending,
        which is generated now (``.source`` before any call, a jvp, a Python number...)."""
        if name in _GENERIC and self.__dict__.get("_module") is not None:
            self._fresh()  # (a pending module is generated with the globals it was keyed by)
            if "_generated" not in self.__dict__:  # (another function may have generated
                _ready(self.fn, self._module)     # the module they share)
                self._run_generic()
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _fresh(self) -> None:
        """Generate the module again when a global number it baked in has changed."""
        if self._watched and live.stale(self._watched, self.__dict__.get("_namespace", {}),
                                        self._constants, self._ranked.namespaces):
            self._use(_module(self.fn, self.wrt, self.has_aux, self._statics,
                              lazy=self._lazy))

    def _specialise(self, args: tuple) -> None:
        """Switch to the module specialised for the static arguments given (made once per
        set of values: transformed now the first time)."""
        values = tuple(args[i] for i in self._static_index)
        if same_statics(values, tuple(self._statics.values())):
            return
        for name, value in zip(self._statics, values, strict=True):
            if not static_ok(value):
                raise SymgradError(
                    f"{self.fn.__name__}: argument {name!r} is a static parameter (the "
                    f"generated code is specialised for its value), and "
                    f"{a_or_an(type(value).__name__)} cannot be one",
                    hint=f"pass a str, int, bool, None or a tuple of these as {name!r}")
        key = tuple((type(v), v) for v in values)
        module = self._specialised.get(key)
        if module is None:
            if len(self._specialised) >= MAX_SPECIALISATIONS:
                raise SymgradError(
                    f"{self.fn.__name__}: {len(self._specialised)} specialisations for the "
                    f"static parameters {', '.join(self._statics)} already",
                    hint="a static parameter should take few values (a mode, an axis); "
                    "pass data as an array")
            statics = dict(zip(self._statics, values, strict=True))
            module = self._specialised[key] = _module(self.fn, self.wrt, self.has_aux,
                                                      statics)
        self._statics = dict(zip(self._statics, values, strict=True))
        self._use(module)
        self._fresh()  # (a global it baked in may have changed since it was made)

    def _settle(self) -> None:
        """Record the last hot call's specialisation and arguments (see ``symgrad.hot``) as
        every other call records them (``_shown``, ``_last_described``)."""
        recent = self._recent
        if recent is not None:
            self._recent = None
            self._shown_at, self._last_args = recent.entry, None
            self._last_described = recent.described()

    @property
    def _shown(self) -> Ranked | None:
        """The last call's specialisation (None: the generic module): ``.source`` shows it."""
        self._settle()
        return self._shown_at

    @_shown.setter
    def _shown(self, entry: Ranked | None) -> None:
        self._settle()
        self._shown_at = entry

    @property
    def _last_call(self) -> tuple | None:
        """The last call's arguments as ``describe_call`` records them (shapes of floating
        arrays, other values as they are), for export's self-check. A call keeps only a
        reference to its argument tuple; it is described here, when export asks, so calls
        do not pay for it (the arguments stay alive until the next call)."""
        self._settle()
        if self._last_args is not None:
            self._last_described, self._last_args = describe_call(self._last_args, {}), None
        return self._last_described

    @_last_call.setter
    def _last_call(self, value: tuple | None) -> None:
        self._settle()
        self._last_args, self._last_described = None, value

    @property
    def source(self) -> str:
        """The generated module's text: numpy is its only import. After a call with numpy
        arrays, the module specialised for that call's argument ranks; before any call (or
        after a call with no array), the generic one, which serves any ranks."""
        shown = self._shown
        return (self._generated if shown is None else shown.module.generated).source

    def source_for(self, *args: Any, **kwargs: Any) -> str:
        """The module ``G`` runs when called with these arguments: for numpy arrays, the code
        specialised for their ranks (``symgrad show --shape``); for torch tensors, JAX, dask or
        CuPy arrays, the array-API form. ``G.source`` is the last call's (numpy) module."""
        given = self._arguments(args, kwargs)
        self._fresh()
        self._specialise(given)  # (the module for their static values, as a call picks it)
        if any(_foreign.is_foreign(a) for a in given):
            return _foreign.source(self, *given)
        entry = self._ranked.for_args(self, _as_arrays(given))
        return (self._generated if entry is None else entry.module.generated).source

    @property
    def _entry(self) -> tuple[Any, dict[str, Any], Any]:
        """(generated, namespace, adjoint); adjoint is None for a module from the disk cache."""
        return self._generated, self._namespace, self._module.adjoint

    @property
    def _adjoint(self) -> Any:
        """The SymPy-level result; computed now if the module came from the disk cache."""
        self._generated  # noqa: B018 (generated now, with its adjoint, if pending)
        if self._module.adjoint is None:
            from symgrad.transform import transform

            self._module.adjoint = transform(self.fn, list(self.wrt), self.has_aux,
                                             self._statics)[1]
        return self._module.adjoint

    @api_boundary
    def export(self, path: Any, example_args: Any = None, *,
               shapes: dict[str, Any] | None = None) -> Any:
        """Write a standalone module (numpy its only import) with a ``python path`` self-check.

        The self-check runs at ``example_args`` (the arguments as a tuple, or a dict by name),
        at random arrays of the given ``shapes`` (``{"x": (3, 4)}``, as ``symgrad export
        --shape`` does), or else at random arrays shaped like the last call's. With none of
        these the module has nothing to check at: an ``ExportWarning`` says so.
        """
        from symgrad.export import ExportWarning, export

        self._fresh()
        if any(isinstance(w.seen, np.ndarray) for w in self._watched):
            # the module text holds global arrays as they were: write them as they are now
            self._use(_module(self.fn, self.wrt, self.has_aux, self._statics))
        if example_args is None and shapes is None and self._last_call is None:
            warnings.warn(ExportWarning(
                f"{self.fn.__name__} was never called and no example_args= or shapes= were "
                f"given: the self-check of {path} will have nothing to check at (it exits 2); "
                f"pass shapes={{{self.params[0]!r}: (...), ...}} or example_args=(...)"
                if self.params else
                f"{self.fn.__name__} was never called: the self-check of {path} will have "
                "nothing to check at"), stacklevel=3)  # (1 here, 2 the boundary, 3 the caller)
        return export(self, path, example_args, shapes)

    @api_boundary
    def formula(self, *example_args: Any, shapes: dict | None = None,
                hessian: bool = False) -> Any:
        """The gradients as SymPy expressions over the parameters (straight-line functions);
        ``hessian=True``: the Hessian times a vector ``v`` (and, for scalar parameters, the
        Hessian matrix), as ``G.hessian.formula()``."""
        from symgrad.formula import formula, hessian_formula

        if hessian:
            return hessian_formula(self, *example_args, shapes=shapes)
        return formula(self, *example_args, shapes=shapes)

    def _repr_html_(self) -> str:
        from symgrad.export import highlight_html

        return highlight_html(self.source)

    def __repr__(self) -> str:
        return f"<symgrad.grad of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            if self._watched:
                self._fresh()
            if len(args) == self._fast_arity and not kwargs:  # floating arrays seen before
                fast = self._by_shapes.get(self._fast_key(*args))
                if fast is not None:
                    if self._recent is not None:
                        self._settle()
                    self._last_args = args
                    try:
                        return fast.primal(*args)
                    except Exception:  # noqa: S110 (the checked call below says what is wrong)
                        pass
            args = _as_arrays(self._arguments(args, kwargs))
            if self._static_index:
                self._specialise(args)
            if _Tensor in map(type, args) and _tensor_calls.one_node(args):
                return _tensor_calls.grad_function_call(self, args)  # one graph node
            if self._check_values(args):  # dask, torch, JAX arrays: the array-API module
                return _foreign.call(self, args, "primal")
            self._settle()
            self._last_args = args  # described only when export asks (off the hot path)
            if "_primal" not in self.__dict__:  # pending: the module for these ranks, as
                entry = self._ranked.for_args(self, args)  # a gradient would make next
                if entry is not None:
                    try:
                        return entry.primal(*args)
                    except (ValueError, IndexError, TypeError, KeyError):
                        pass  # (the generic module's error names the source line)
            try:
                return self._primal(*args)
            except (ValueError, IndexError, TypeError, KeyError) as exc:
                _reraise(self, exc, args, {})
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__  # symgrad frames cut

    @functools.cached_property
    def jvp(self) -> Jvp:
        """Forward mode: ``G.jvp(*args, tangents=(t1, ...))`` -> ``(value, tangent)``."""
        return Jvp(self)

    @functools.cached_property
    def vjp(self) -> Vjp:
        """``G.vjp(*args)`` -> ``(value, vjp_fn)``: vjp_fn(cotangent) is the gradient."""
        return Vjp(self)

    @functools.cached_property
    def hvp(self) -> Hvp:
        """``G.hvp(*args, v=(v1, ...))``: Hessian-vector products, forward over reverse."""
        return Hvp(self)

    @functools.cached_property
    def _second_order(self) -> SecondOrder:
        """``dx^T H d2x`` by forward over forward (G.hvp where _directional cannot go)."""
        return SecondOrder(self)

    @functools.cached_property
    def _directional(self) -> Directional:
        """``<grad f, dx>`` by forward mode: G.hvp differentiates it through loops."""
        return Directional(self)

    @functools.cached_property
    def hessian(self) -> Hessian:
        """``G.hessian(*args)``: ``x.shape + x.shape`` (a nested tuple for several wrt)."""
        return Hessian(self)

    @functools.cached_property
    def jacobian(self) -> Jacobian:
        """``G.jacobian(*args, mode=None)``: ``out.shape + x.shape`` per wrt argument."""
        return Jacobian(self)

    def _checked_arguments(self, args: tuple, kwargs: dict) -> tuple:
        """Every argument by position, checked as a call's are (for the transformations)."""
        self._fresh()
        args = _as_arrays(self._arguments(args, kwargs))
        if self._static_index:
            self._specialise(args)
        self._check_values(args)
        self._check_wrt(args)
        return args

    def _arguments(self, args: tuple, kwargs: dict) -> tuple:
        """Every argument by position, defaults the original function's own objects."""
        if not kwargs and len(args) == len(self.params):  # the common call needs no binding
            return args
        return tuple(self._bind(args, kwargs).args)

    def _bind(self, args: tuple, kwargs: dict) -> inspect.BoundArguments:
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise SymgradError(f"{self.fn.__name__}: {exc}") from None
        bound.apply_defaults()
        return bound

    def _check_values(self, args: tuple) -> bool:
        """Refuse the inputs symgrad would compute wrong (complex, np.matrix, masked, object);
        True when an argument is an array of another library (dask, torch, JAX, ...)."""
        foreign = False
        for name, value in zip(self.params, args, strict=True):
            if type(value) in (float, int) or \
                    type(value) is np.ndarray and value.dtype.kind in "biuf":
                continue  # the common case, quickly
            if _foreign.is_foreign(value):
                foreign = True  # (checked by symgrad.foreign, in its library's terms)
                continue
            _check_value(self.fn.__name__, name, value)
        return foreign

    def _check_wrt(self, args: tuple) -> None:
        """An integer has no gradient: refuse one named in ``wrt``, or when all are integer.
        A differentiated tuple, list or dict holds numbers and arrays (or more of them)."""
        for i in self._wrt_index:
            if type(args[i]) in _CONTAINERS:
                _check_leaves(self.fn.__name__, self.params[i], args[i])
        integer = [_integer(args[i]) for i in self._wrt_index]
        if not any(integer):
            return
        for i, is_int in zip(self._wrt_index, integer, strict=True):
            if is_int and (self._wrt_named or all(integer)):
                name, value = self.params[i], args[i]
                what = f"{self.fn.__name__}: argument {name!r} is {_describe_integer(value)}"
                if self._wrt_named:
                    raise SymgradError(f"{what}, named in wrt=: integers have no gradient",
                                       hint=f"pass {_as_float_hint(name, value)} to "
                                       "differentiate it, or leave it out of wrt=")
                raise SymgradError(f"{what}, and no differentiated argument is floating "
                                   "point: integers have no gradient",
                                   hint=f"pass {_as_float_hint(name, value)} (jax.grad, too, "
                                   "refuses integer inputs)")

    def _cotangent(self, seed: Any, kwargs: dict) -> Any:
        """The cotangent passed (None: the default), taken out of ``kwargs``."""
        if self.seed_name == "seed":
            return None if seed is _UNSET else seed
        if seed is not _UNSET:
            kwargs["seed"] = seed  # the function's own parameter named seed
        return kwargs.pop(self.seed_name, None)

    # (grad, value_and_grad and __call__ cut symgrad's frames themselves, as api_boundary
    # does: a wrapper's call would cost every call a microsecond)

    @_with_hot
    def value_and_grad(self, *args: Any, seed: Any = _UNSET, **kwargs: Any) -> tuple[Any, Any]:
        """``(f(*args), gradient)``; ``seed`` is the output cotangent (torch's ``gradient``).

        With ``has_aux``: ``((value, aux), gradient)``, ``seed`` the cotangent of ``value``.
        For a function with a parameter named ``seed``, the cotangent is ``G.seed_name``.
        """
        try:
            if len(args) == self._fast_arity and seed is _UNSET and not kwargs:
                out = self._fast_run(args)
                if out is not None:
                    return out
            return self._slow_run(args, self._cotangent(seed, kwargs), kwargs)
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__  # symgrad frames cut

    @_with_source
    def grad(self, *args: Any, seed: Any = _UNSET, **kwargs: Any) -> Any:
        """The gradient: one array for one ``wrt`` name, else a tuple in ``wrt`` order.

        With ``has_aux``: ``(gradient, aux)``. ``seed`` is as in ``value_and_grad``.
        """
        try:
            if len(args) == self._fast_arity and seed is _UNSET and not kwargs:
                out = self._fast_run(args)
                if out is not None:
                    return out[1]
            value, grads = self._slow_run(args, self._cotangent(seed, kwargs), kwargs)
        except SymgradError as error:
            raise error.with_traceback(None) from error.__cause__  # symgrad frames cut
        return (grads, value[1]) if self.has_aux else grads

    def _run(self, args: tuple, seed: Any, kwargs: dict) -> tuple[Any, Any]:
        if seed is None and not kwargs and len(args) == self._fast_arity:
            fast = self._fast_run(args)
            if fast is not None:
                return fast
        return self._slow_run(args, seed, kwargs)

    def _fast_run(self, args: tuple, fast: Any = _MISSING) -> tuple[Any, Any] | None:
        """``_run`` for floating numpy arrays by position: no checks to make (such inputs
        pass them all), so only the generated function runs, found by one lookup of the
        arguments' shapes and dtypes. Its outputs are checked: a gradient of another type
        (a 0-d argument's np.float64) is typed as its argument; once a key's gradients came
        typed and shaped as their arguments, only their types and dtypes are (their shapes
        follow from the arguments'). None when anything is unusual (a tuple of outputs, a
        non-scalar value, an exception): ``_slow_run`` then does the call again, checked,
        and says what is wrong."""
        if fast is _MISSING:  # (else looked up by the caller, after _fresh)
            if self._watched:
                self._fresh()
            fast = self._by_shapes.get(self._fast_key(*args))
        if fast is None:  # not seen yet: floating arrays only, their ranks' module
            key = self._fast_key(*args)  # None unless every argument is a numpy array
            if key is None or any(a.dtype.kind != "f" for a in args):
                return None
            fast = self._ranked.for_shapes(self, args, key)
        self._recent = fast  # (settled when .source or export asks)
        try:
            value, grads = fast.value_and_grad(*args)  # (its default cotangent)
        except Exception:  # bad input: the checked call names the argument
            return None
        return self._fast_outputs(fast, args, value, grads)

    def _fast_outputs(self, fast: Any, args: tuple, value: Any,
                      grads: Any) -> tuple[Any, Any] | None:
        """The fast call's outputs, checked (see ``_fast_run``); None: call again, checked."""
        i = self._wrt_one
        if fast.checked and type(value) in _FAST_SCALARS:
            if i >= 0:
                if type(grads) is np.ndarray and grads.dtype is args[i].dtype:
                    return value, grads
            else:
                for g, j in zip(grads, self._wrt_index, strict=True):
                    if type(g) is not np.ndarray or g.dtype is not args[j].dtype:
                        break
                else:
                    return value, grads
        if type(value) not in _FAST_SCALARS and np.ndim(value) != 0:
            return None
        if i >= 0:
            a = args[i]
            if type(grads) is np.ndarray and grads.dtype is a.dtype and \
                    grads.shape == a.shape:
                fast.checked, fast.exact = True, fast.straight
                return value, grads
            return value, _fast_finish(grads, a)
        finished, checked = [], True  # (loops: a generator costs microseconds here)
        for g, j in zip(grads, self._wrt_index, strict=True):
            a = args[j]
            if type(g) is not np.ndarray or g.dtype is not a.dtype or g.shape != a.shape:
                g, checked = _fast_finish(g, a), False
            finished.append(g)
        fast.checked, fast.exact = checked, checked and fast.straight
        return value, tuple(finished)

    def _slow_run(self, args: tuple, seed: Any, kwargs: dict) -> tuple[Any, Any]:
        self._fresh()
        self._settle()
        given = self._arguments(args, kwargs)
        if self._static_index:
            self._specialise(given)
        args = _as_arrays(given)  # lists of numbers as arrays; gradients shaped like `given`
        foreign = self._check_values(args)
        if not foreign:
            self._check_wrt(args)
            self._last_args = args  # described only when export asks (off the hot path)
        # (for numpy arrays, their ranks' module: the first call's one transformation)
        entry = self._shown = None if foreign else self._ranked.for_args(self, args)
        if self._seed_default is _MISSING:  # no module generated yet: the generic, now
            self._generated  # noqa: B018
        seed_value = self._seed_default if seed is None else seed
        if seed is None and isinstance(seed_value, tuple):
            raise SymgradError(
                f"{self.fn.__name__} returns {len(seed_value)} outputs: which one to "
                "differentiate is ambiguous (their sum is seldom what is meant)",
                hint="differentiate the first and get the others back as aux with "
                f"symgrad.grad(f, has_aux=True), or pass {self.seed_name}=(...) with one "
                "cotangent per output")
        if foreign:  # dask, torch, JAX arrays: the array-API module, in their type
            return _foreign.run(self, args, seed, seed_value)
        try:
            value, grads = _checked_call(self._value_and_grad if entry is None else
                                         entry.value_and_grad, args, seed_value)
        except (ValueError, IndexError, TypeError, KeyError) as exc:
            if entry is None:
                _reraise(self, exc, args, {})
            try:  # the generic module's error names the source line (or it runs after all)
                value, grads = _checked_call(self._value_and_grad, args, seed_value)
            except (ValueError, IndexError, TypeError, KeyError) as generic:
                _reraise(self, generic, args, {})
        if seed is not None:  # a cotangent of fewer axes than the output: broadcast up to it
            widened = _seed_like(self.fn.__name__, seed_value,
                                 value[0] if self.has_aux else value)
            if widened is not None:
                value, grads = _checked_call(self._value_and_grad if entry is None else
                                             entry.value_and_grad, args, widened)
        out = value
        if self.has_aux:
            out, aux = value[0], value[1] if len(value) == 2 else value[1:]
        if seed is None:
            _check_scalar(self.fn.__name__, out, self.seed_name)
        if len(self.wrt) == 1:
            grads = _finish(grads, args[self._wrt_index[0]])
        else:
            grads = tuple(_finish(g, args[i]) for g, i in zip(grads, self._wrt_index,
                                                               strict=True))
        if seed is not None:
            grads = _unshared(grads, seed)
        if given is not args:  # a list of numbers was read as an array: give back a list
            grads = _as_given(grads, given[self._wrt_index[0]]) if len(self.wrt) == 1 else \
                tuple(_as_given(g, given[i]) for g, i in zip(grads, self._wrt_index,
                                                              strict=True))
        return ((out, aux), grads) if self.has_aux else (value, grads)


def _checked_call(value_and_grad: Callable, args: tuple, seed_value: Any) -> tuple[Any, Any]:
    try:
        return value_and_grad(*args, seed_value)
    except ZeroDivisionError:  # the gradient's arithmetic on Python floats
        return value_and_grad(*_numpy_floats(args, seed_value))


def _module(fn: Callable, wrt: Sequence[str], has_aux: bool,
            statics: dict[str, Any] | None = None,
            ranks: dict[str, Any] | None = None, *, lazy: bool = False,
            generic: _Module | None = None, parsed: Any = None) -> _Module:
    """The module for ``fn``: from memory, from the disk cache, or generated now;
    ``ranks`` (parameter -> rank pattern, ``adjoint.ranks``): the module specialised for
    arrays of those ranks. ``lazy``: when it must be generated, only checked now (every
    error a decoration raises is raised), and generated by ``_ready`` when something needs
    it. ``generic``: the generic module of the same function, whose IR (lowered when it was
    checked) a specialisation made now takes instead of lowering again. ``parsed``: ``fn``
    parsed already (``parse_function``), which a lowering now takes (and may change) instead
    of parsing the source again.

    The key describes the function by content (its source, and every value it reads, arrays
    by value), never by ``id()``: ids are reused once an object is garbage collected, so a
    closure made later could get an earlier closure's module. A value with no content
    description is keyed by identity, and the module keeps it alive.
    """
    from symgrad import cache

    keep: list = []
    key = cache.cache_key(fn, wrt, keep, has_aux, statics, ranks)
    module = _TRANSFORMS.get(key) if key is not None else None
    if module is None:
        module = _compile(fn, list(wrt), has_aux, None if keep else key, statics, ranks,
                          lazy=lazy, generic=generic, parsed=parsed)
        module.keep = keep
        if key is not None:
            _TRANSFORMS[key] = module
    return module


def _compile(fn: Callable, wrt: list[str], has_aux: bool, disk_key: str | None,
             statics: dict[str, Any] | None = None,
             ranks: dict[str, Any] | None = None, *, lazy: bool = False,
             generic: _Module | None = None, parsed: Any = None) -> _Module:
    """Load the module from the disk cache, or generate it (and store it there); ``lazy``:
    or check it, to be generated later (see ``_module``)."""
    from symgrad import cache

    tag = " ".join(f"{n}{_spelled(p)}" for n, p in ranks.items()) if ranks else ""
    generated = cache.load(disk_key)
    if generated is not None:
        try:  # a disk-cache hit: SymPy is never imported
            module = _Module(generated, _code(fn, generated, tag), None, tag=tag)
            _exec(fn, module)
            return module
        except Exception:  # an entry that does not run is as good as corrupt: regenerate
            pass
    ir = None
    if lazy:
        pending = _Pending(wrt, has_aux, statics, disk_key, None)
        if cache.load(cache.checked_key(disk_key), cache.Checked) is not None:
            return _Module(None, None, None, tag=tag, pending=pending)  # checked before
        from symgrad.transform import lowered

        ir, complete = lowered(fn, wrt, has_aux, statics, parsed)
        if complete:
            pending.lowered = ir
            cache.store(cache.checked_key(disk_key), cache.Checked(fn.__qualname__))
            return _Module(None, None, None, tag=tag, pending=pending)
    elif generic is not None and generic.pending is not None:
        ir = generic.pending.take()
    return _transformed(fn, wrt, has_aux, disk_key, statics, ranks, ir, tag)


@api_boundary
def grad(fn: Callable | None = None, *, wrt: str | int | Sequence[str | int] | None = None,
         has_aux: bool = False, backend: str = "numpy") -> Any:
    """Differentiate a numpy function by transforming its source.

    Use as ``@grad``, ``@grad(wrt="w")`` or ``grad(f, wrt=("a", "b"))``. ``wrt`` takes
    parameter names or positions; by default every parameter (integer arguments then get
    ``None``). ``has_aux=True``: ``f`` returns ``(value, aux)`` (or ``(value, aux1, aux2,
    ...)``); only ``value`` is differentiated, and ``.grad`` returns ``(grads, aux)``,
    ``.value_and_grad`` returns ``((value, aux), grads)``, as in JAX.

    A tuple, list or dict argument gets gradients of the same structure (JAX's pytrees).
    Static parameters are inferred: one not differentiated, whose default is a str, int,
    bool, tuple or None, that the code needs as a constant (``if reduction == "mean":``,
    ``np.sum(x, axis=axis)``) specialises the generated code for its value, as
    ``jax.jit(static_argnames=...)`` would; a call with another value transforms once more
    (once per value, at most 32), and ``.source`` shows the latest.

    The gradient is specialised on the ranks of the numpy arrays it gets, at the first call
    with them (``symgrad.specialisations``): ``x.T @ g``, not a helper that reads shapes at
    run time. ``.source`` shows the last call's; before any call, the generic code.

    ``backend="numba"`` (the ``numba`` extra) runs the same generated functions compiled by
    numba at their first call per argument types; where numba cannot compile one, it runs
    its numpy code, and a ``symgrad.compiled.BackendWarning`` says why (see
    ``symgrad.compiled``).
    """
    check_backend(backend)
    if fn is None:
        return api_boundary(lambda f: grad(f, wrt=wrt, has_aux=has_aux, backend=backend))
    from symgrad import methods, regrad

    owner = getattr(fn, "__self__", None)
    found = regrad.generated_function(fn)  # G.grad, G.jvp, ...: its generated function
    if found is not None:
        fn, wrt = found[0], found[1] if wrt is None else wrt
    factory = GradFunction if backend == "numpy" else functools.partial(GradFunction,
                                                                        backend=backend)
    try:
        special = methods.wrap(fn, wrt, has_aux, factory)  # methods, bound methods, partials
        return special if special is not None else GradFunction(fn, wrt, has_aux, backend)
    except SymgradError as error:
        if found is not None and isinstance(owner, GradFunction):  # (third order, a loop)
            regrad.refuse_lists_in_loops(owner, error)
        raise
