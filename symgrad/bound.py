"""``G.grad`` as a bound method with ``.source``, as ``G.jvp.source`` and the other
transformations have."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class _BoundWithSource(functools.partial):
    """``G.grad``: the method bound to G, with ``.source`` (the module it runs), as
    ``G.jvp.source`` and the other transformations have. A ``functools.partial``, so that a
    call is the method's own frame and nothing more (``G.grad(x)`` is on the fast path)."""

    @property
    def source(self) -> str:
        return self.args[0].source

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self.func.__doc__

    @property
    def __name__(self) -> str:
        return self.func.__name__

    @property
    def __self__(self) -> Any:  # as a bound method's
        return self.args[0]

    @property
    def __func__(self) -> Callable:
        return self.func

    def __repr__(self) -> str:
        return f"<{self.func.__name__} of {self.args[0]!r}>"


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
        bound = obj.__dict__[self.name] = _BoundWithSource(self.method, obj)
        return bound

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # GradFunction.grad(G, x), too
        return self.method(*args, **kwargs)
