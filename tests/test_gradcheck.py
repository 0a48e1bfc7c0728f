"""symgrad.gradcheck: generated gradients against central differences."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad
from symgrad.gradcheck import GradcheckError, check

rng = np.random.default_rng(0)


@symgrad.grad
def loss(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


def plain(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def vector(a):
    return np.exp(a) * 2


def pair(a, b):
    return a * b, np.sum(a + b ** 2)


def _sabotaged(g, factor=1.0 + 1e-3, where=None):
    """A copy of ``g`` whose gradient is wrong (everywhere, or at one entry)."""
    bad = symgrad.grad(g.fn, wrt=g.wrt)
    original = bad._value_and_grad

    def wrong(*args, **kwargs):
        value, grad = original(*args, **kwargs)
        grad = np.array(grad, dtype=float)
        if where is None:
            grad *= factor
        else:
            grad[where] += 0.5
        return value, grad

    bad._value_and_grad = wrong
    return bad


def test_correct_gradients_pass():
    assert symgrad.gradcheck(loss, rng.standard_normal((3, 4)))
    assert symgrad.gradcheck(plain, rng.standard_normal((4, 2)), rng.standard_normal((3, 4)))
    assert symgrad.gradcheck(plain, rng.standard_normal((4, 2)), rng.standard_normal((3, 4)),
                             wrt="w")
    assert symgrad.gradcheck(vector, rng.standard_normal(5))  # non-scalar output
    assert symgrad.gradcheck(pair, rng.standard_normal(3), rng.standard_normal(3))  # tuple
    assert symgrad.gradcheck(loss, rng.standard_normal(3).astype(np.float32))  # in float64


def test_a_wrong_gradient_is_caught():
    bad = _sabotaged(loss)
    assert not symgrad.gradcheck(bad, rng.standard_normal((2, 3)))


def test_raise_exception_names_the_worst_entry_and_both_values():
    bad = _sabotaged(loss, where=(1, 2))
    x = rng.standard_normal((2, 3))
    right = loss.grad(x)[1, 2]
    with pytest.raises(GradcheckError) as exc:
        symgrad.gradcheck(bad, x, raise_exception=True)
    message = str(exc.value)
    assert "x[1, 2]" in message
    assert repr(float(right + 0.5)) in message
    assert isinstance(exc.value, symgrad.SymgradError)
    report = check(bad, x)
    assert not report.ok and report.worst.index == (1, 2)
    assert abs(report.worst.numeric - right) < 1e-6


def test_tolerances_are_honoured():
    bad = _sabotaged(loss, factor=1 + 1e-4)
    x = rng.uniform(1, 2, 4)
    assert not symgrad.gradcheck(bad, x)
    assert symgrad.gradcheck(bad, x, rtol=1e-3)


def test_non_float_arguments_are_skipped():
    def f(x, n):
        return np.sum(x ** n)

    assert symgrad.gradcheck(f, rng.uniform(0.5, 1, 3), 3)
