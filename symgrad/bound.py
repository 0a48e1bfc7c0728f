"""``G.grad`` as a bound method with ``.source``, as ``G.jvp.source`` and the other
transformations have."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from symgrad.errors import SymgradError


class _BoundWithSource:
    """``G.grad``: the method bound to G, with ``.source`` (the module it runs), as
    ``G.jvp.source`` and the other transformations have."""

    __slots__ = ("_method", "_owner")

    def __init__(self, method: Callable, owner: Any) -> None:
        self._method, self._owner = method, owner

    def grad(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._method(self._owner, *args, **kwargs)
        except SymgradError as error:  # one symgrad frame in the traceback, named "grad"
            raise error.with_traceback(None) from error.__cause__

    __call__ = grad  # (the only method so wrapped: its frame reads as the method's)

    @property
    def source(self) -> str:
        return self._owner.source

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._method.__doc__

    @property
    def __name__(self) -> str:
        return self._method.__name__

    @property
    def __self__(self) -> Any:  # as a bound method's
        return self._owner

    @property
    def __func__(self) -> Callable:
        return self._method

    def __repr__(self) -> str:
        return f"<{self._method.__name__} of {self._owner!r}>"


class _with_source:  # noqa: N801 (a decorator, spelled as one)
    """A method whose bound form has ``.source`` (``G.grad.source``)."""

    def __init__(self, method: Callable) -> None:
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        return self if obj is None else _BoundWithSource(self.method, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # GradFunction.grad(G, x), too
        return self.method(*args, **kwargs)
