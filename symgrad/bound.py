"""``G.grad`` as a bound method with ``.source``, as ``G.jvp.source`` and the other
transformations have."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any


class _BoundWithSource(functools.partial):
    """``G.grad``: the method bound to G, with ``.source`` (the module it runs), as
    ``G.jvp.source`` and the other transformations have. A ``functools.partial``, so that a
    call is the method's own frame and nothing more (``G.grad(x)`` is on the fast path).
    ``owner`` and ``method`` are set when it wraps G's entry point for the ordinary call
    (``symgrad.hot``) instead of the method."""

    owner: Any = None
    method: Any = None

    @property
    def source(self) -> str:
        return self.__self__.source

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.__func__.__doc__

    @property
    def __name__(self) -> str:
        return self.__func__.__name__

    @property
    def __self__(self) -> Any:  # as a bound method's
        return self.args[0] if self.owner is None else self.owner

    @property
    def __func__(self) -> Callable:
        return self.func if self.method is None else self.method

    def __repr__(self) -> str:
        return f"<{self.__func__.__name__} of {self.__self__!r}>"


class _with_source:  # noqa: N801 (a decorator, spelled as one)
    """A method whose bound form has ``.source`` (``G.grad.source``); made once per object
    (kept in its ``__dict__``, which a non-data descriptor leaves in front)."""

    def __init__(self, method: Callable) -> None:
        self.method = method
        self.name = method.__name__
        functools.update_wrapper(self, method)

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        hot = obj.__dict__.get(f"_hot_{self.name}")
        if hot is None:
            bound = _BoundWithSource(self.method, obj)
        else:
            bound = _BoundWithSource(hot)
            bound.owner, bound.method = obj, self.method
        obj.__dict__[self.name] = bound
        return bound

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # GradFunction.grad(G, x), too
        return self.method(*args, **kwargs)

    @staticmethod
    def method_of(cls: type, name: str) -> Callable:
        """The function of ``cls``'s method ``name`` (a plain one, if it was patched)."""
        attr = cls.__dict__.get(name) or getattr(cls, name)
        return attr.method if isinstance(attr, _with_source) else attr


class _with_hot(_with_source):  # noqa: N801 (a decorator, spelled as one)
    """A method whose bound form is the object's entry point for the ordinary call
    (``_hot_<name>`` in its ``__dict__``, ``symgrad.hot``) where it has one: a plain function,
    kept in its ``__dict__`` at the first read. Patching the class's attribute still counts
    for every object that has not read it yet."""

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        hot = obj.__dict__.get(f"_hot_{self.name}")
        bound = obj.__dict__[self.name] = types.MethodType(self.method, obj) if hot is None \
            else hot
        return bound
