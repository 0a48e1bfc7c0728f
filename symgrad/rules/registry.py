"""The primitive registry: one entry per primitive, and every table derived from the entries.

An entry (``Primitive``) says everything symgrad knows about one numpy operation: the numpy
objects and names it binds, its parameters (which are arrays, which are decoration-time
constants), its SymPy form (elementwise) or its rule class (structural), its traits, its
torch spelling and its eager forward. The frontend's call binding, the aliasing and view
lists, the adjoint's traits, the Tensor's methods and node names, ``runtime/ops.py`` and the
formula printer all read these entries; nothing else lists primitives.

This module and the family modules that register entries import no SymPy: the Tensor's
backward with a warm cache never needs it. A structural rule is a plain class (``Rule``)
whose SymPy node class (a subclass of it and of ``base.Structural``) is built the first time
a node is made, so ``Flip(g, axis)`` inside a vjp makes the node.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LINEAR", "MULTILINEAR", "VIEW", "ALLOCATES", "SHAPE_ONLY", "COSTLY", "NONDIFF", "REQUIRED",
    "Params", "Primitive", "Rule", "Torch", "by_method", "by_name", "by_object", "entries",
    "has_trait", "is_view", "unregister", "lazy_home", "lazy_module", "methods", "numpy_names", "parameters", "primitive", "register",
    "reads_shape_of", "rules", "shape_readers", "view_rules", "with_trait",
]

# traits
VIEW = "view"  # may return a view of its first array argument (in-place writes alias)
ALLOCATES = "allocates"  # always returns a fresh array
LINEAR = "linear"  # linear in its array arguments: jvp(t) is the op applied to t
# linear in each array argument with the others held (a product: matmul, einsum): jvp is the
# sum over arguments of the op with that argument's tangent in its place
MULTILINEAR = "multilinear"
SHAPE_ONLY = "shape_only"  # reads only its argument's shape (np.shape, len): no gradient
COSTLY = "costly"  # worth taping rather than recomputing in the backward pass
NONDIFF = "nondiff"  # piecewise constant (argmax, floor): no gradient flows


def lazy_module(name: str) -> Any:
    """A module imported on first attribute access: rules reach SymPy through this."""

    class _Lazy:
        def __getattr__(self, attr: str) -> Any:
            return getattr(importlib.import_module(name), attr)

        def __repr__(self) -> str:
            return f"<lazy module {name}>"

    return _Lazy()


@dataclass(frozen=True)
class Torch:
    """How the Tensor (and ``import symgrad as torch``) spells a primitive.

    ``methods``: Tensor method names (the first is also ``symgrad.<name>``); ``node``: the
    grad_fn class name PyTorch prints; ``params``: torch parameter -> numpy parameter
    (``dims`` -> ``axis``); ``overloads``: the node another overload prints (``"dim"``:
    ``SumBackward1`` for ``x.sum(0)``, where ``x.sum()`` prints ``SumBackward0``)."""

    methods: tuple[str, ...]
    node: str
    params: dict[str, str] = field(default_factory=dict)
    overloads: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.methods, self.node))


@dataclass(eq=False)
class Primitive:
    """One registry entry.

    ``params`` is numpy's parameter list as written in its docs (``"m, axis=None"``);
    ``arrays`` names the parameters that are arrays (and carry gradient unless listed in
    ``nondiff_args``); every other parameter is ``static``: known at decoration time.
    ``variadic``: the one array parameter is a sequence of arrays (np.concatenate's).
    ``values``: static parameters the node takes as SymPy values, which need not be known at
    decoration time (a reshape's computed shape). ``method_params``: the ndarray method's own
    parameter list, when it is not ``params`` after the array (``x.reshape(3, 4)``:
    ``"*shape, order='C'"``). ``operator``: the Python operator the function is (``"+"`` for
    np.add), so ``np.add(x, y)`` is lowered as ``x + y`` is.
    Exactly one of ``form`` (elementwise: ``form(sympy, *args)`` is the SymPy expression numpy
    computes) and ``rule`` (structural: a ``Rule`` subclass) is given, or ``lower``: the name
    of the frontend method (``frontend/calls.py``) that binds a call with binding of its own
    (np.linalg.norm's ``ord``, np.array's nested lists). Several entries may share a rule
    (``flatten`` makes a ``Ravel`` node); the first registered is ``rule.primitive`` and gives
    it its traits.
    """

    name: str
    binds: tuple[Any, ...] = ()  # numpy / math / builtin objects this primitive is
    # objects named by path ("scipy.special.expit"): bound once the user has imported the
    # module (optional dependencies: the registry never imports them)
    lazy_binds: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # ndarray method spellings
    params: str = "a"
    arrays: tuple[str, ...] = ("a",)
    nondiff_args: tuple[int, ...] = ()  # positions (in ``arrays``) with no gradient
    variadic: bool = False
    values: tuple[str, ...] = ()  # static parameters taken as SymPy values (a computed shape)
    method_params: str | None = None  # the ndarray method's parameters, when not ``params``
    synonyms: dict[str, str] = field(default_factory=dict)  # keyword -> parameter (min=a_min)
    operator: str | None = None  # the Python operator this function is ("+" for np.add)
    node_args: tuple[str, ...] | None = None  # default: the rule's ``node_args``
    form: Callable[..., Any] | None = None
    rule: type | None = None
    lower: str | None = None  # the frontend method that binds this call (calls.py)
    traits: frozenset[str] = frozenset()
    torch: Torch | None = None
    eager: Callable[..., Any] | None = None  # the numpy forward (default: binds[0])
    shape: Callable[..., Any] | None = None  # shape(*input_shapes, **static) -> out shape
    doc: str = ""

    def __post_init__(self) -> None:
        self.traits = frozenset(self.traits)
        if self.rule is not None and "primitive" not in self.rule.__dict__:
            # the rule's traits (NONDIFF, declared on the class or a base) and the entry's: one set
            self.traits |= frozenset(getattr(self.rule, "traits", ()))
            self.rule.primitive = self
            self.rule.traits = self.traits

    @property
    def arity(self) -> int:
        return len(self.arrays)

    @property
    def param_names(self) -> list[str]:
        return list(_parse_params(self.params))

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: v for k, v in _parse_params(self.params).items() if v is not REQUIRED}

    @property
    def static_names(self) -> list[str]:
        return [p for p in self.param_names if p not in self.arrays]

    @property
    def forward(self) -> Callable[..., Any]:
        """The eager numpy forward (a ``lazy_binds`` object is imported here, if need be)."""
        if self.eager is not None:
            return self.eager
        if not self.binds and self.lazy_binds:
            module, _, attr = self.lazy_binds[0].rpartition(".")
            return getattr(importlib.import_module(module), attr)
        return self.binds[0]

    def has(self, trait: str) -> bool:
        return trait in self.traits

    @property
    def node(self) -> type:
        """The SymPy node class of a structural primitive (built on first use)."""
        if self.rule is None:
            raise TypeError(f"{self.name} is elementwise: it has a form, not a node")
        return node_class(self.rule)

    def bind(self, **given: Any) -> dict[str, Any]:
        """Every parameter's value: ``given`` over numpy's defaults (a missing required one
        raises TypeError, as numpy would)."""
        unknown = [k for k in given if k not in self.param_names]
        if unknown:
            raise TypeError(f"{self.name}() got an unexpected argument {unknown[0]!r}")
        args = {**self.defaults, **given}
        missing = [p for p in self.param_names if p not in args]
        if missing:
            raise TypeError(f"{self.name}() missing required argument {missing[0]!r}")
        return args

    def build(self, **given: Any) -> Any:
        """The SymPy value of this primitive applied to named arguments (numpy's names):
        arrays are SymPy expressions (a sequence of them for a variadic entry), the other
        parameters Python values known at decoration time, or SymPy expressions where the
        rule takes them as values (a reshape's computed shape). Missing parameters take
        numpy's defaults; a parameter the rule does not model (``dtype``, ``out``) must keep
        its default, never be dropped silently."""
        args = self.bind(**given)
        if self.form is not None:
            from symgrad.rules.elementwise import sympy_form

            return sympy_form(self.name, *[args[a] for a in self.arrays])
        if self.rule is None:
            raise TypeError(f"{self.name} is lowered by its own function, not built")
        names = self._node_params()
        for p, default in self.defaults.items():
            if p not in names and p in given and given[p] is not default and \
                    given[p] != default:
                raise ValueError(f"{self.name}(): the {p}= argument is not supported")
        make = getattr(self.rule, "make", None)
        if make is not None:
            return make(*[args[n] for n in names])
        items: list[Any] = []
        for n in names:
            if n not in self.arrays:
                items.append(_static_arg(args[n]))
            elif self.variadic:
                items.extend(args[n])
            else:
                items.append(args[n])
        return self.rule(*items)

    def out_shape(self, *shapes: tuple[int, ...], **given: Any) -> tuple[int, ...]:
        """The output shape from the input arrays' shapes (in ``arrays`` order; one per item
        for a variadic entry) and the static parameters: numpy's shape, without running it."""
        args = {k: v for k, v in self.bind(**{**dict.fromkeys(self.arrays), **given}).items()
                if k not in self.arrays}
        if self.shape is not None:
            return tuple(self.shape(*shapes, **args))
        if self.form is not None:
            import numpy as np

            return tuple(np.broadcast_shapes(*shapes))
        rule_shape = getattr(self.rule, "out_shape", None)
        if rule_shape is None:
            raise NotImplementedError(f"{self.name} has no shape rule")
        return tuple(rule_shape(*shapes, **{n: args[n] for n in self._node_params() if n in args}))

    def _node_params(self) -> tuple[str, ...]:
        """The parameters the node takes, in its argument order."""
        return self.node_args or self.rule.node_args or tuple(self.param_names)


def _static_arg(value: Any) -> Any:
    """A decoration-time value as a node argument: Static, lists made tuples (``axis=[0, 1]``
    is ``axis=(0, 1)``); a SymPy expression stays itself."""
    base = importlib.import_module("symgrad.rules.base")
    if isinstance(value, base.sp.Basic):
        return value
    return base.static(_frozen(value))


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


REQUIRED = object()  # the default of a parameter that has none
_PARAMS: dict[str, Params] = {}


@dataclass(frozen=True)
class Params:
    """A parameter list as numpy's docs write it: ``"a, axis=None, *, keepdims=False"``.

    ``positional``: the names positional arguments bind to, in order; ``vararg``: the name
    a ``*shape`` gathers every positional argument into (one argument stays itself, several
    make a tuple, as ``x.reshape(3, 4)`` does), or None; ``defaults``: every named parameter
    -> its default (``REQUIRED`` for none)."""

    positional: tuple[str, ...]
    vararg: str | None
    defaults: dict[str, Any]

    def __hash__(self) -> int:
        return hash((self.positional, self.vararg))


def parameters(text: str) -> Params:
    """``"m, axis=None"`` parsed (defaults are Python literals)."""
    parsed = _PARAMS.get(text)
    if parsed is None:
        import ast

        args = ast.parse(f"def f({text}): pass").body[0].args
        names = [a.arg for a in args.posonlyargs + args.args]
        defaults = [ast.literal_eval(d) for d in args.defaults]
        values = [REQUIRED] * (len(names) - len(defaults)) + defaults
        every = dict(zip(names, values, strict=True))
        every.update({a.arg: ast.literal_eval(d) if d is not None else REQUIRED
                      for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)})
        vararg = args.vararg.arg if args.vararg else None
        parsed = Params(tuple(names), vararg, every)
        _PARAMS[text] = parsed
    return parsed


def _parse_params(text: str) -> dict[str, Any]:
    """``"m, axis=None"`` -> {"m": REQUIRED, "axis": None}."""
    return parameters(text).defaults


# ------------------------------------------------------------------------ the registry

_BY_NAME: dict[str, Primitive] = {}
_BY_OBJECT: dict[int, Primitive] = {}
_BY_METHOD: dict[str, Primitive] = {}
_LAZY: dict[str, list[tuple[str, Primitive]]] = {}  # module -> (attribute, entry) not bound yet
_LAZY_MODULES: set[str] = set()  # every module a lazy_binds path names
_FAMILIES = ("elementwise", "shape", "grads", "operators", "reductions", "linalg", "indexing",
             "creation", "joining", "moving", "contractions", "inverses", "decompositions",
             "ordering", "special", "selecting", "padding", "custom")
_LOADED: list[bool] = []


def register(entry: Primitive, *aliases: str) -> Primitive:
    """Add an entry; ``aliases`` are other names it answers to (``absolute`` for ``abs``)."""
    for name in (entry.name, *aliases):
        if name in _BY_NAME:
            raise ValueError(f"primitive {name!r} is registered twice")
        _BY_NAME[name] = entry
    for obj in entry.binds:
        _BY_OBJECT[id(obj)] = entry
    for method in entry.methods:
        _BY_METHOD.setdefault(method, entry)
    for path in entry.lazy_binds:
        module, _, attr = path.rpartition(".")
        _LAZY.setdefault(module, []).append((attr, entry))
        _LAZY_MODULES.add(module)
    return entry


def unregister(name: str) -> None:
    """Remove the entry ``name`` (a custom rule defined again), if there is one."""
    entry = _BY_NAME.pop(name, None)
    if entry is not None:
        for obj in entry.binds:
            _BY_OBJECT.pop(id(obj), None)


def lazy_home(obj: Any) -> str | None:
    """``scipy.special.ndtr`` for an object of a module ``lazy_binds`` name (imported by the
    user), whether or not an entry binds it: a scipy ufunc does not say its module."""
    _load()
    name = getattr(obj, "__name__", None)
    for module in sorted(_LAZY_MODULES):
        if name and getattr(sys.modules.get(module), name, None) is obj:
            return f"{module}.{name}"
    return None


def _bind_imported() -> None:
    """Bind the ``lazy_binds`` of every module imported by now (``sys.modules``): the user's
    ``import scipy.special`` made its objects the ones a call can name."""
    for module in [m for m in _LAZY if m in sys.modules]:
        for attr, entry in _LAZY.pop(module):
            obj = getattr(sys.modules[module], attr, None)
            if obj is not None:
                _BY_OBJECT.setdefault(id(obj), entry)


def primitive(name: str, *binds: Any, **fields: Any) -> Callable[[type], type]:
    """Class decorator: register the decorated ``Rule`` as primitive ``name``."""

    def decorate(rule: type) -> type:
        register(Primitive(name, binds=binds, rule=rule, doc=(rule.__doc__ or "").strip(),
                           **fields))
        return rule

    return decorate


def _load() -> None:
    if not _LOADED:
        _LOADED.append(True)
        for family in _FAMILIES:
            try:
                importlib.import_module(f"symgrad.rules.{family}")
            except ModuleNotFoundError as e:  # a family not written yet
                if e.name != f"symgrad.rules.{family}":
                    raise


def by_name(name: str) -> Primitive | None:
    _load()
    return _BY_NAME.get(name)


def by_object(obj: Any) -> Primitive | None:
    """The entry a numpy/math/builtin object binds (``np.flip`` -> flip), or None; an
    optional dependency's object (``scipy.special.expit``) once its module is imported."""
    _load()
    found = _BY_OBJECT.get(id(obj))
    if found is None and _LAZY:
        _bind_imported()
        found = _BY_OBJECT.get(id(obj))
    return found


def by_method(name: str) -> Primitive | None:
    """The entry an ndarray method spelling binds (``x.sum(...)`` -> sum), or None."""
    _load()
    return _BY_METHOD.get(name)


def entries() -> Iterator[Primitive]:
    """Every entry once, in registration order."""
    _load()
    seen: set[int] = set()
    for entry in _BY_NAME.values():
        if id(entry) not in seen:
            seen.add(id(entry))
            yield entry


def with_trait(trait: str) -> list[Primitive]:
    return [e for e in entries() if trait in e.traits]


def rules() -> list[type]:
    """Every rule class of the family modules (entries' and internal nodes'), base classes
    included, in definition order."""
    _load()
    nodes = set(_NODES.values())
    out: list[type] = []
    stack = list(Rule.__subclasses__())
    while stack:
        cls = stack.pop(0)
        if cls not in out and cls.__module__.startswith("symgrad.rules."):
            out.append(cls)
            stack.extend(c for c in cls.__subclasses__() if c not in nodes)
    return out


def view_rules() -> tuple[type, ...]:
    """The rule classes whose result may be (a view of) their first argument: an in-place
    write to it shows through. Use ``is_view`` on a node: a subclass may allocate instead
    (``FullLike`` is a ``BroadcastLike`` that always copies)."""
    return tuple(r for r in rules() if VIEW in r.traits)


def has_trait(node: Any, trait: str) -> bool:
    """Whether a node's rule has ``trait`` (any SymPy expression may be asked)."""
    return trait in getattr(type(node), "traits", ())


def is_view(node: Any) -> bool:
    """Whether a node may return (a view of) its first argument."""
    return has_trait(node, VIEW)


def reads_shape_of(node: Any) -> int | None:
    """The argument a node reads only for its shape (``_sum_to(g, x)``: 1, x), or None."""
    return getattr(type(node), "reads_shape_of", None)


def shape_readers() -> dict[type, int]:
    """Rule class -> the argument it reads only for its shape (``SumTo(g, x)``: 1), so a value
    of the same shape may stand in for it."""
    return {r: r.reads_shape_of for r in rules() if r.reads_shape_of is not None}


def methods() -> list[str]:
    """Every ndarray method spelling an entry binds (``sum``, ``reshape``), in registration
    order."""
    _load()
    return list(_BY_METHOD)


def numpy_names(entry: Primitive) -> set[str]:
    """Every spelling of an entry in user code: function names and method names."""
    return {getattr(obj, "__name__", "") for obj in entry.binds} | set(entry.methods) | \
        {path.rpartition(".")[2] for path in entry.lazy_binds}


# ------------------------------------------------------------------------ rule classes

_NODES: dict[type, type] = {}


class Rule:
    """Base of the structural rules: plain Python, no SymPy.

    Subclasses give ``vjp(self, g)``, ``_numpycode(self, printer)`` and traits as class
    attributes (see ``base.Structural`` for their meaning). Calling a rule class makes a SymPy
    node: an instance of the node class built from the rule and ``base.Structural``.

    ``traits``: the entry's traits (set by ``@primitive``), or an internal node's own
    (``NONDIFF``: piecewise constant, no gradient flows); ``node_args``: the numpy parameters
    the node takes, in its argument order (arrays as they are, the others as Static), when it
    is not ``params`` whole; ``reads_shape_of``: an argument read only for its shape. Optional
    classmethods: ``make(**args)`` builds the node when ``node_args`` cannot say how, and
    ``out_shape(*shapes, **static)`` is the numeric shape rule.
    """

    primitive: Primitive | None = None
    traits: frozenset[str] = frozenset()
    node_args: tuple[str, ...] | None = None
    reads_shape_of: int | None = None

    def __new__(cls, *args: Any, **options: Any) -> Any:
        return node_class(cls)(*args, **options)


def node_class(rule: type) -> type:
    """The SymPy node class of ``rule`` (made once): ``rule``'s methods over Structural's.

    Node classes mirror the rules' hierarchy (the node class of ``FullLike(BroadcastLike)``
    derives from the node class of ``BroadcastLike``), so isinstance and ``type(node)``
    agree whether a reader holds a rule class or a node class."""
    cls = _NODES.get(rule)
    if cls is None:
        from symgrad.rules.base import Structural

        if issubclass(rule, Structural):
            return rule
        parents = [b for b in rule.__bases__ if issubclass(b, Rule) and b is not Rule]
        if len(parents) > 1:
            raise TypeError(f"rule {rule.__name__} has more than one parent rule")
        cls = type(rule.__name__, (rule, node_class(parents[0]) if parents else Structural), {
            "__new__": _function_new(),
            "__module__": rule.__module__, "__qualname__": rule.__qualname__,
            "__doc__": rule.__doc__})
        _NODES[rule] = cls
    return cls


def _function_new() -> Any:
    import sympy

    return sympy.Function.__new__
