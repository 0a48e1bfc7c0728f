"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``is_grad_enabled``.

Each is a context manager and a decorator, like PyTorch's.  The source transform reads
``with symgrad.no_grad():`` only syntactically, so the same class serves both worlds.
"""

from __future__ import annotations

import functools
import inspect


class _Mode:
    """The one switch the Tensor ops read (a class attribute: cheapest lookup there is)."""

    enabled = True
    # > 0 while a rule's vjp runs on Tensors (create_graph=True): converting a Tensor that
    # requires grad to an ndarray then would silently cut the graph, so it raises instead
    strict = 0


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return _Mode.enabled


class _GradModeContext:
    """Base: subclasses set ``_target``; usable as ``with`` block and as a decorator."""

    _target = True

    def __enter__(self):
        self._prev = _Mode.enabled
        _Mode.enabled = self._target
        return None

    def __exit__(self, exc_type, exc, tb):
        _Mode.enabled = self._prev
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError("Decorating classes is deprecated and will be disabled in future versions. "
                               "You should only decorate functions or methods. To preserve the current "
                               "behavior of class decoration, you can directly decorate the `__init__` method "
                               "and nothing else.")
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with self.clone():
                        response = gen.send(None)
                except StopIteration as stop:
                    return stop.value
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as exc:
                        try:
                            with self.clone():
                                response = gen.throw(exc)
                        except StopIteration as stop:
                            return stop.value
                    else:
                        try:
                            with self.clone():
                                response = gen.send(request)
                        except StopIteration as stop:
                            return stop.value

            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator that disables gradient recording.

    Results computed inside have ``requires_grad=False`` even when their inputs require grad.
    """

    _target = False

    def __init__(self, orig_func=None):
        # like torch, ``@no_grad`` without parentheses is accepted too
        self._orig = orig_func

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class enable_grad(_GradModeContext):
    """Context manager / decorator that enables gradient recording (e.g. inside ``no_grad``)."""

    _target = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off.

    Called as a function it takes effect at once; as a context manager it restores the
    previous mode on exit; as a decorator it applies around each call.
    """

    def __init__(self, mode: bool) -> None:
        self._prev = _Mode.enabled
        self._target = bool(mode)
        _Mode.enabled = self._target

    def __enter__(self):
        _Mode.enabled = self._target
        return None

    def __exit__(self, exc_type, exc, tb):
        _Mode.enabled = self._prev
        return False

    def __call__(self, func):
        _Mode.enabled = self._prev
        return super().__call__(func)

    def clone(self):
        return self.__class__(self._target)
