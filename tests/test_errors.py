"""Errors that teach: file, line, the source line with a caret, what is wrong, what to write.

And at run time: a shape error inside generated gradient code names the source line whose
gradient failed; one in the primal is raised from the user's own line.
"""

from __future__ import annotations

import inspect
import traceback

import numpy as np
import pytest

import symgrad
from symgrad import SymgradError

THIS_FILE = inspect.getsourcefile(lambda: None)


def fft(x):
    return np.sum(np.fft.fft(x))




def undefined(x):
    return np.sum(x * not_defined_anywhere)  # noqa: F821


def listcomp(x):
    return np.sum(np.stack([v for v in x if np.sum(v) > 0]))


def varargs(*xs):
    return xs[0]



def method(x):
    return x.tobytes().sum()


def no_return(x):
    y = x * 2  # noqa: F841


def fancy_index(x):
    return x[[x[0, 0], 0]].sum()





def try_stmt(x):
    try:
        y = x * 2
    except Exception:
        y = x
    return y.sum()


def bit_xor(x):
    return np.sum(x ^ 2)



def string_constant(x):
    return x * "a"


def tuple_arithmetic(x):
    return np.sum(x * (1, 2))


CASES = [
    (fft, "np.fft.fft", "not supported"),
    (undefined, "not_defined_anywhere", "not defined"),
    (listcomp, "[v for v in x if np.sum(v) > 0]", "one `for` and no `if`"),
    (varargs, "def varargs(*xs):", "*args"),
    (method, "x.tobytes", "tobytes"),
    (no_return, "def no_return(x):", "no return"),
    (fancy_index, "[x[0, 0], 0]", "list"),
    (try_stmt, "try:", "Try"),
    (bit_xor, "x ^ 2", "BitXor"),
    (string_constant, '"a"', "not a number"),
    (tuple_arithmetic, "(1, 2)", "tuple"),
]


@pytest.mark.parametrize("fn, culprit, what", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_unsupported_code_is_explained(fn, culprit, what):
    with pytest.raises(SymgradError) as info:
        symgrad.grad(fn)
    err = info.value
    text = str(err)
    lines, first = inspect.getsourcelines(fn)
    expected_line = next(first + i for i, line in enumerate(lines) if culprit in line)
    # where: file and line, like a Python traceback
    assert err.filename == THIS_FILE and err.lineno == expected_line
    assert text.splitlines()[0] == f'File "{THIS_FILE}", line {expected_line}'
    # the source line, and a caret under the offending expression, like SyntaxError
    quoted, caret = text.splitlines()[1:3]
    assert culprit in quoted
    assert set(caret.strip()) == {"^"}
    start = len(caret) - len(caret.lstrip())
    assert quoted[start:].startswith(culprit.split("(")[0][:4]) or culprit.startswith("def")
    # what is unsupported, and what to write instead
    assert what in text
    assert err.hint and text.splitlines()[-1].startswith("hint: ")


# ---------------------------------------------------------------- at run time


@symgrad.grad(wrt="w")
def layer(w, x):
    h = x @ w
    return np.tanh(h)


def test_shape_error_in_gradient_code_names_the_source_line():
    w, x = np.ones((3, 2)), np.ones((4, 3))
    with pytest.raises(SymgradError) as info:
        layer.grad(w, x, seed=np.ones((5, 2)))  # a seed shaped unlike the output
    err = info.value
    text = str(err)
    assert err.filename == THIS_FILE
    assert err.lineno == inspect.getsourcelines(layer.fn)[1] + 3  # `return np.tanh(h)`
    assert "return np.tanh(h)" in text and "gradient of layer" in text
    assert "ValueError" in text and "generated code" in text
    assert isinstance(err.__cause__, ValueError)


def test_shape_error_in_the_primal_is_raised_from_the_users_line():
    with pytest.raises(ValueError) as info:
        layer(np.ones((3, 2)), np.ones((4, 4)))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(f.filename == THIS_FILE and f.line == "h = x @ w" for f in frames)
    with pytest.raises(ValueError):
        layer.value_and_grad(np.ones((3, 2)), np.ones((4, 4)))


def test_errors_not_from_generated_code_pass_through():
    @symgrad.grad
    def f(x):
        return np.sum(x)

    with pytest.raises(SymgradError, match="takes 1 positional argument|too many"):
        f.grad(1.0, 2.0)


def test_a_misspelled_numpy_function_is_named_with_close_names():
    def f(x):
        return np.sum(np.tanhh(x))

    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(f)
    message = str(info.value)
    assert "module 'numpy' has no attribute 'tanhh'" in message
    assert "tanh" in message.split("hint:")[1]
