"""Adversarial review of the second wave (row-assigned loop gradients, float literals,
batched Hessians, shape plumbing in formulas, grad of grad through loops, fused modules):
each test is a bug the review found, checked against numpy (primal and dtype), central
differences in float64 and torch."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, numeric_grad

import symgrad
from symgrad import helpers
from symgrad.formula import FormulaStrPrinter

torch = pytest.importorskip("torch")

rng = np.random.default_rng(11)
X32 = np.array([0.5, 1.5, -2.0], dtype=np.float32)
INTS = np.array([1, 2, 3])


# ---------------------------------------------------------------- float literals' dtype
def builtin_abs_of_float(x):
    return x * abs(-2.0)  # a Python float: a float32 array stays float32


def exp_of_one(x):
    return x * np.exp(1.0)  # numpy's float64 scalar (SymPy's E printed as np.e was weak)


def exp_of_int(x):
    return x * np.exp(1)


def maximum_of_mixed(x):
    return x * np.maximum(0, 1.5)  # 1.5 is SymPy's 3/2: still numpy's float64


def sin_of_pi(x):
    return x * np.sin(np.pi)  # numpy's 1.2e-16 in float64, not SymPy's exact 0


def sqrt_of_int(x):
    return x * np.sqrt(4)


@pytest.mark.parametrize("f", [builtin_abs_of_float, exp_of_one, exp_of_int,
                               maximum_of_mixed, sin_of_pi, sqrt_of_int],
                         ids=lambda f: f.__name__)
def test_a_numpy_function_of_numbers_is_numpys_scalar(f):
    G = symgrad.grad(f)
    for _ in range(2):  # the generic module and the rank-specialised one
        assert_same_array(G(X32), f(X32))
    g = G.grad(X32.astype(np.float64), seed=np.ones(3))
    np.testing.assert_allclose(g, numeric_grad(f, [X32.astype(np.float64)], 0), rtol=1e-6)


def sqrt_of_int_times_ints(x, i):
    return np.sum(x) * 0.0 + i * np.sqrt(4)  # float64 to numpy, not an int array


def test_a_numpy_function_of_ints_is_float_where_numpy_says_so():
    G = symgrad.grad(sqrt_of_int_times_ints, wrt="x")
    x = np.ones(3)
    for _ in range(2):
        assert_same_array(G(x, INTS), sqrt_of_int_times_ints(x, INTS))


# ---------------------------------------------------- formula of a named shape unpacked
def unpacked_named_shape(x, y):
    s = x.shape
    n, m = s  # the generated code checks len(s) == 2 (an assert): not a value to read
    return np.sum(np.sin(y.reshape(n, m)) * x ** 2)


def test_the_formula_reads_past_the_unpacking_check():
    x, y = rng.normal(size=(2, 3)), rng.normal(size=6)
    G = symgrad.grad(unpacked_named_shape)
    form = G.formula(x, y)
    ns = {"x": x, "y": y, "sin": np.sin, "cos": np.cos, "sum": np.sum, "shape": np.shape,
          "sum_to": helpers._sum_to, "broadcast_to": np.broadcast_to,
          "broadcast": np.broadcast, "reshape": np.reshape}
    printer = FormulaStrPrinter()
    for name, want in zip(("x", "y"), G.grad(x, y), strict=True):
        got = eval(printer.doprint(form[name]), ns)  # noqa: S307
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(want)), want, rtol=1e-10)
    hform = G.formula(x, y, hessian=True)
    v = (rng.normal(size=(2, 3)), rng.normal(size=6))
    ns.update({"v_x": v[0], "v_y": v[1]})
    for name, want in zip(("x", "y"), G.hvp(x, y, v=v), strict=True):
        got = eval(printer.doprint(hform[name]), ns)  # noqa: S307
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(want)), want, rtol=1e-10,
                                   atol=1e-12)
