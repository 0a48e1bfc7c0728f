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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LINEAR", "VIEW", "ALLOCATES", "SHAPE_ONLY", "COSTLY", "NONDIFF",
    "Primitive", "Rule", "Torch", "by_method", "by_name", "by_object", "entries",
    "lazy_module", "primitive", "register", "with_trait",
]

# traits
VIEW = "view"  # may return a view of its first array argument (in-place writes alias)
ALLOCATES = "allocates"  # always returns a fresh array
LINEAR = "linear"  # linear in its array arguments: jvp(t) is the op applied to t
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
    (``dims`` -> ``axis``)."""

    methods: tuple[str, ...]
    node: str
    params: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.methods, self.node))


@dataclass(eq=False)
class Primitive:
    """One registry entry.

    ``params`` is numpy's parameter list as written in its docs (``"m, axis=None"``);
    ``arrays`` names the parameters that are arrays (and carry gradient unless listed in
    ``nondiff_args``); every other parameter is ``static``: known at decoration time.
    Exactly one of ``form`` (elementwise: ``form(sympy, *args)`` is the SymPy expression numpy
    computes) and ``rule`` (structural: a ``Rule`` subclass) is given, or ``lower`` for an
    entry bound by its own function.
    """

    name: str
    binds: tuple[Any, ...] = ()  # numpy / math / builtin objects this primitive is
    methods: tuple[str, ...] = ()  # ndarray method spellings
    params: str = "a"
    arrays: tuple[str, ...] = ("a",)
    nondiff_args: tuple[int, ...] = ()  # positions (in ``arrays``) with no gradient
    form: Callable[..., Any] | None = None
    rule: type | None = None
    lower: Callable[..., Any] | None = None  # lower(lowerer, call_node, bound) -> value
    traits: frozenset[str] = frozenset()
    torch: Torch | None = None
    eager: Callable[..., Any] | None = None  # the numpy forward (default: binds[0])
    shape: Callable[..., Any] | None = None  # shape(*input_shapes, **static) -> out shape
    doc: str = ""

    def __post_init__(self) -> None:
        self.traits = frozenset(self.traits)
        if self.rule is not None:
            self.rule.primitive = self

    @property
    def arity(self) -> int:
        return len(self.arrays)

    @property
    def param_names(self) -> list[str]:
        return list(_parse_params(self.params))

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: v for k, v in _parse_params(self.params).items() if v is not _REQUIRED}

    @property
    def static_names(self) -> list[str]:
        return [p for p in self.param_names if p not in self.arrays]

    @property
    def forward(self) -> Callable[..., Any]:
        """The eager numpy forward."""
        return self.eager if self.eager is not None else self.binds[0]

    def has(self, trait: str) -> bool:
        return trait in self.traits

    @property
    def node(self) -> type:
        """The SymPy node class of a structural primitive (built on first use)."""
        if self.rule is None:
            raise TypeError(f"{self.name} is elementwise: it has a form, not a node")
        return node_class(self.rule)


_REQUIRED = object()
_PARAMS: dict[str, dict[str, Any]] = {}


def _parse_params(text: str) -> dict[str, Any]:
    """``"m, axis=None"`` -> {"m": REQUIRED, "axis": None} (defaults are Python literals)."""
    parsed = _PARAMS.get(text)
    if parsed is None:
        import ast

        args = ast.parse(f"def f({text}): pass").body[0].args
        names = [a.arg for a in args.posonlyargs + args.args]
        defaults = [ast.literal_eval(d) for d in args.defaults]
        values = [_REQUIRED] * (len(names) - len(defaults)) + defaults
        parsed = dict(zip(names, values, strict=True))
        parsed.update({a.arg: ast.literal_eval(d) if d is not None else _REQUIRED
                       for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)})
        _PARAMS[text] = parsed
    return parsed


# ------------------------------------------------------------------------ the registry

_BY_NAME: dict[str, Primitive] = {}
_BY_OBJECT: dict[int, Primitive] = {}
_BY_METHOD: dict[str, Primitive] = {}
_FAMILIES = ("elementwise", "reductions", "linalg", "shape", "indexing", "creation", "grads")
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
    return entry


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
    """The entry a numpy/math/builtin object binds (``np.flip`` -> flip), or None."""
    _load()
    return _BY_OBJECT.get(id(obj))


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


def numpy_names(entry: Primitive) -> set[str]:
    """Every spelling of an entry in user code: function names and method names."""
    return {getattr(obj, "__name__", "") for obj in entry.binds} | set(entry.methods)


# ------------------------------------------------------------------------ rule classes

_NODES: dict[type, type] = {}


class Rule:
    """Base of the structural rules: plain Python, no SymPy.

    Subclasses give ``vjp(self, g)``, ``_numpycode(self, printer)`` and traits as class
    attributes (see ``base.Structural`` for their meaning). Calling a rule class makes a SymPy
    node: an instance of the node class built from the rule and ``base.Structural``.
    """

    primitive: Primitive | None = None

    def __new__(cls, *args: Any, **options: Any) -> Any:
        return node_class(cls)(*args, **options)


def node_class(rule: type) -> type:
    """The SymPy node class of ``rule`` (made once): ``rule``'s methods over Structural's."""
    cls = _NODES.get(rule)
    if cls is None:
        from symgrad.rules.base import Structural

        if issubclass(rule, Structural):
            return rule
        cls = type(rule.__name__, (rule, Structural), {
            "__new__": Structural.__dict__.get("__new__", _function_new()),
            "__module__": rule.__module__, "__qualname__": rule.__qualname__,
            "__doc__": rule.__doc__})
        _NODES[rule] = cls
    return cls


def _function_new() -> Any:
    import sympy

    return sympy.Function.__new__
