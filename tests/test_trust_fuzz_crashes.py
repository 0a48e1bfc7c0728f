"""Minimal programs from the differential fuzzer (tests/fuzz_arrays_gen.py) that crashed
symgrad or gave a primal other than numpy's, one per class of defect."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad


def _plain(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args)


# 1. A constant SymPy evaluates to a complex number (log(-0.3) is log(0.3) + I*pi) printed
#    as `I`, a NameError at run time; numpy computes nan there, Python a complex number.

def complex_python_power(s):
    return np.where(s >= np.where(2.0 > s, (-1.0) ** 0.5, s), s, s * s)


def log_of_negative_constant(u):
    return np.where(0.5 > u, -0.5 * u, np.log(-0.3) ** 2)


def exp_log_of_negative_constant(w):
    return np.sum(np.where(np.exp(np.log(-0.3)) <= 0.7, w, 0.2) ** 2)


@pytest.mark.parametrize("f, arg, finite", [
    (complex_python_power, np.float64(-0.9), np.float64(-0.9)),
    (complex_python_power, np.float64(2.5), np.float64(2.5)),
    (log_of_negative_constant, np.array([[0.4], [1.4], [0.9]]), np.array([[0.1], [0.4]])),
    (exp_log_of_negative_constant, np.array([0.3, 0.7, 1.1]), np.array([0.3, 0.7, 1.1])),
])
def test_a_constant_outside_the_real_domain_is_numpys_value(f, arg, finite):
    G = symgrad.grad(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_array(G(arg), f(arg))
        assert_same_array(G(finite), f(finite))
        check_grads(G, finite, seed=np.ones_like(f(finite)))
    assert " I" not in G.source and "I*" not in G.source


# 2. Under transform's distribute(False), -(-u - v) stays -1*(-u - v), and SymPy's odd
#    functions (tanh(-a) is -tanh(a), |-a| is |a|, cos(-a) is cos(a)) recursed forever.

def abs_of_negative_sum(w):
    return np.sum(np.abs((-1.0) - w))


def tanh_of_negative_sum(u):
    return np.sum(np.tanh((-u) - np.tanh(u)))


def cos_sinh_of_negative_sums(u):
    t = -u - np.tanh(u)
    return np.sum(np.cos(t) * np.sinh(-u - 1.0))


@pytest.mark.parametrize("f", [abs_of_negative_sum, tanh_of_negative_sum,
                               cos_sinh_of_negative_sums])
def test_an_odd_function_of_a_negated_sum_decorates(f):
    torch = pytest.importorskip("torch")
    x = np.array([0.39, 0.77, -0.43, -1.6])
    G = symgrad.grad(f)
    assert_same_array(G(x), f(x))
    (g,) = check_grads(G, x)
    t = torch.tensor(x, requires_grad=True)
    tf = {"abs_of_negative_sum": lambda t: torch.sum(torch.abs(-1.0 - t)),
          "tanh_of_negative_sum": lambda t: torch.sum(torch.tanh(-t - torch.tanh(t))),
          "cos_sinh_of_negative_sums": lambda t: torch.sum(
              torch.cos(-t - torch.tanh(t)) * torch.sinh(-t - 1.0))}[f.__name__]
    tf(t).backward()
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)


# 4./5. A whole float literal is SymPy's exact integer (1.0 is 1), so `mask * 1.0` was the
#    bool mask itself and `mask + 1.0` an int array; and a constant array (np.array of
#    literals) counted as a number, so `c * 0.0 + u` lost c's broadcast shape.

U = np.array([[-0.25], [-1.2], [1.47]])
S = np.float64(-0.55)


def mask_times_float(u, s):
    return (u <= s) * 1.0


def mask_plus_float(u, s):
    return (s <= s) + 1.0 + 0 * u


def float_times_mask_product(u, s):
    return np.sum((u > 0.5) * (2.0 * (0.0 <= s)))


def sin_of_negated_mask(u, s):
    return np.prod(np.sin((u > -0.5) * (-1.0)), axis=0) * s


def tanh_of_constant_mask(u, s):
    return np.sum(np.where(0.5 >= -1.0, np.tanh(np.array([False, True, True]) * 1.0 * 1.0),
                           np.clip(u, 0.0, 1.0) - s))


def constant_array_times_zero(u, s):
    return np.array([True, True]) * 1.0 * ((-1.0) - (-1.0)) + u


def mask_variable_times_float(u, s):
    m = u <= s
    return m * 1.0 + s


@pytest.mark.parametrize("f", [mask_times_float, mask_plus_float, float_times_mask_product,
                               sin_of_negated_mask, tanh_of_constant_mask,
                               constant_array_times_zero, mask_variable_times_float])
def test_the_primal_keeps_numpys_dtype_and_shape(f):
    G = symgrad.grad(f, wrt=("u", "s"))
    assert_same_array(G(U, S), f(U, S))
    assert_same_array(G.value_and_grad(U, S, seed=np.ones_like(f(U, S)))[0], f(U, S))
    check_grads(G, U, S, seed=np.ones_like(f(U, S)))


# 3. SymPy distributes a power over a product, (m * x) ** -2 is m**(-2) * x**(-2), and numpy
#    raises on a bool array to a negative integer power: the call failed with SymgradError.

def negative_power_of_a_masked_product(u, s):
    return ((s < 0.5) * 1.0 * np.max(u, axis=-1)) ** (-2)


@pytest.mark.parametrize("s", [np.float64(0.3), 0.3])
def test_a_negative_power_of_a_masked_product_computes(s):
    u = np.array([[0.19, 0.7], [0.21, -0.4], [1.3, 0.2]])
    G = symgrad.grad(negative_power_of_a_masked_product, wrt=("u", "s"))
    assert_same_array(G(u, s), negative_power_of_a_masked_product(u, s))
    check_grads(G, u, s, seed=np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_array(G(u, 0.7), negative_power_of_a_masked_product(u, 0.7))  # inf, as numpy's


# The gradient code's arithmetic on a Python float argument raised ZeroDivisionError where
# numpy gives inf or nan (d/ds log(s % s) divides by s % s, which is 0.0).

def log_of_remainder(x, s):
    return np.sum(np.log(s % s) + x)


def test_a_python_float_argument_computes_as_numpy_does():
    x = np.array([0.5, 1.5])
    G = symgrad.grad(log_of_remainder, wrt=("x", "s"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, (gx, gs) = G.value_and_grad(x, 0.3)
        value64, (gx64, gs64) = G.value_and_grad(x, np.float64(0.3))
    assert_same_array(value, value64)
    assert_same_array(gx, gx64)
    assert_same_array(gs, gs64)
    assert type(gs) is float or isinstance(gs, np.floating)


def test_a_python_float_does_not_upcast_float32():
    def f(x, s):
        return np.sum(x * s)

    G = symgrad.grad(f, wrt="x")
    x = np.array([0.5, 1.5], dtype=np.float32)
    value, g = G.value_and_grad(x, 2.0)
    assert np.asarray(value).dtype == np.float32 and g.dtype == np.float32


def test_a_python_float_keeps_pythons_semantics_in_value_and_grad():
    def f(u, s):
        return np.where(s**1.5 < np.min((1.5 <= s) * np.sum(u, axis=1), axis=-1), 2.0, 0.3)

    u = np.array([[-0.57], [-1.1], [-0.12]])
    G = symgrad.grad(f, wrt=("u", "s"))
    assert_same_array(G.value_and_grad(u, -0.39)[0], f(u, -0.39))  # (-0.39) ** 1.5 is complex
