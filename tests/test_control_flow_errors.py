"""Code that control-flow support still rejects: a SymgradError naming the file and the line.

Each function marks the offending statement with ``# <-``; where reasonable people could
point at either of two lines (``global`` or the write it allows, ``for`` or its ``else``),
both are marked and either is accepted. The error may come at decoration time or, at the
latest, at the first ``.grad`` call.
"""

from __future__ import annotations

import inspect
import random
import types

import numpy as np
import pytest

import symgrad
from symgrad import SymgradError

THIS_FILE = inspect.getsourcefile(lambda: None)

STATE = 0.0


def try_except(x):
    try:  # <-
        y = np.log(x)
    except FloatingPointError:
        y = x
    return np.sum(y)


def uses_yield(x):
    y = x * 2
    yield y  # <-
    return np.sum(y)


def class_in_body(x):
    class Scale:  # <-
        factor = 2.0

    return np.sum(x * Scale.factor)


def global_write(x):
    global STATE  # <-
    STATE = np.sum(x)  # <-
    return np.sum(x ** 2)


def uses_nonlocal(x):
    total = np.sum(x)

    def add(v):
        nonlocal total  # <-
        total = total + v  # <-

    add(np.sum(x ** 2))
    return total


def unbounded_recursion(x):
    return unbounded_recursion(x) * 2  # <-


def return_in_nested_loop(x):
    for i in range(len(x)):
        for j in range(i):
            if x[j] > x[i]:
                return x[j] * 2  # <-
    return np.sum(x)


def return_two_values_in_loop(x):
    for i in range(len(x)):
        if x[i] > 0:
            return x[i], x[0]  # <-
    return np.sum(x), x[0]


def extend_in_loop(x, n):
    parts = []
    for i in range(n):
        parts.extend([x * i])  # <-
    return np.sum(np.stack(parts))


def attribute_assignment(x, obj):
    obj.scale = np.sum(x)  # <-
    return np.sum(x * 2)


def unknown_call(x):
    noise = random.random()  # <-
    return np.sum(x * noise)


def delete_name(x):
    y = x * 2
    del y  # <-
    return np.sum(x)


X = np.array([0.5, 1.5, 2.0])

# (function, call arguments, wrt, a word the message should use for the construct)
CASES = [
    (try_except, (X,), None, "try"),
    (uses_yield, (X,), None, "yield"),
    (class_in_body, (X,), None, "class"),
    (global_write, (X,), None, "global"),
    (uses_nonlocal, (X,), None, "nonlocal"),
    (unbounded_recursion, (X,), None, "recurs"),
    (return_in_nested_loop, (X,), None, "return"),
    (return_two_values_in_loop, (X,), None, "return"),
    (extend_in_loop, (X, 3), "x", "extend"),
    (attribute_assignment, (X, types.SimpleNamespace()), "x", "attribute"),
    (unknown_call, (X,), None, "random"),
    (delete_name, (X,), None, "del"),
]
IDS = [case[0].__name__ for case in CASES]


def _raise(fn, args, wrt):
    with pytest.raises(SymgradError) as info:
        G = symgrad.grad(fn, wrt=wrt)  # at decoration time, or at the latest...
        G.grad(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args])
    return info.value


def _marked_lines(fn):
    lines, first = inspect.getsourcelines(fn)
    marked = {first + i: line for i, line in enumerate(lines) if line.rstrip().endswith("# <-")}
    assert marked, fn.__name__
    return marked


@pytest.mark.parametrize("fn, args, wrt, word", CASES, ids=IDS)
def test_unsupported_code_raises_at_its_line(fn, args, wrt, word):
    err = _raise(fn, args, wrt)
    marked = _marked_lines(fn)
    assert err.filename == THIS_FILE
    assert err.lineno in marked, (err.lineno, sorted(marked), str(err))
    if err.source_line is not None:
        assert err.source_line.strip() == marked[err.lineno].strip()
    assert isinstance(err.hint, str) and err.hint.strip()
    assert str(err).splitlines()[0] == f'File "{THIS_FILE}", line {err.lineno}'


@pytest.mark.parametrize("fn, args, wrt, word", CASES, ids=IDS)
def test_message_names_the_construct(fn, args, wrt, word):
    err = _raise(fn, args, wrt)
    assert word in err.message.lower() + " " + (err.hint or "").lower(), str(err)


def test_cases_are_valid_python_that_runs():
    """The rejected functions are plain Python: what fails is symgrad, not the example."""
    for fn, args, _, _ in CASES:
        if fn is unbounded_recursion:
            with pytest.raises(RecursionError):
                fn(*args)
            continue
        out = fn(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args])
        if inspect.isgenerator(out):
            assert list(out)
