"""Float literals keep numpy's dtype wherever they reach the output.

SymPy lowers ``1.0`` to its exact 1, which printed as the int ``1``: ``np.where(c, 0.0, 1.0)``
was an int64 array in the generated primal, a float64 one in numpy (found by the review).
Each program runs as written and as generated; the primal's dtype, shape and values must be
numpy's, and its gradient float64 matching central differences."""

import numpy as np
import pytest
from gradutil import assert_same_array, numeric_grad

import symgrad


def where_floors(s):
    return np.sum(np.where(s < 0.0, 0.0, 1.0) // 1.0)


def where_array(s):
    return np.where(s < 0.0, 0.0, 1.0)


def where_int_and_float(s):
    return np.where(s < 0.0, 0, 1.0)


def where_named(s):
    m = np.where(s < 0.0, -1.0, 2.0)
    return np.cumsum(m) // 1


def where_times(s):
    return np.where(s < 0.0, 0.0, 1.0) * s


def select_floats(s):
    return np.select([s < 0.0, s > 1.0], [0.0, 2.0], 1.0)


def select_default_float(s):
    return np.sum(np.select([s < 0.0], [1], 0.0))


def piecewise_constants(s):
    return np.piecewise(s, [s < 0.0], [0.0, 1.0])


def full_of_float(s):
    return np.full(s.shape, 1.0)


def returned_constant(s):
    return 1.0


def times_zero_plus(s):
    return s * 0 + 1.0


def constant_maximum(s):
    return np.sum(s) * 0 + np.maximum(0.0, 1.0) // 1


def if_expression(s):
    return (0.0 if s[0] > 0 else 1.0) // 1


def sum_of_a_float(s):
    return np.sum(1.0)


def stacked_floats(s):
    return np.stack([0.0, 1.0])


def numbers_of_a_mask(s):
    return np.where(s < 0.0, 1.0, 2.0) @ np.where(s > 1.0, 0.0, 1.0) + np.sum(s ** 2)


PROGRAMS = [where_floors, where_array, where_int_and_float, where_named, where_times,
            select_floats, select_default_float, piecewise_constants, full_of_float,
            returned_constant, times_zero_plus, constant_maximum, if_expression,
            sum_of_a_float, stacked_floats, numbers_of_a_mask]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_primal_keeps_numpys_dtype_and_gradient_is_float(f):
    s = np.array([-1.0, 0.5, 2.0])
    G = symgrad.grad(f)
    expected = f(s)
    value, vjp = G.vjp(s)
    assert_same_array(value, expected)
    seed = np.linspace(0.5, 1.5, np.size(expected)).reshape(np.shape(expected))
    grad = vjp(seed)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, numeric_grad(f, [s], 0, seed=seed), atol=1e-7)


def maximum_of_floats_times(s):
    return np.maximum(0.0, 1.0) * s + np.exp(0.0) * np.abs(-1.0)


@pytest.mark.parametrize("f", [where_array, select_floats, where_int_and_float,
                               constant_maximum, maximum_of_floats_times],
                         ids=lambda f: f.__name__)
def test_float32_inputs_give_numpys_dtype(f):
    """(numpy's np.maximum(0.0, 1.0) is a float64 scalar: a float32 array upcasts to it)"""
    s = np.array([-1.0, 0.5, 2.0], dtype=np.float32)
    value, _ = symgrad.grad(f).vjp(s)
    assert_same_array(value, f(s))


def test_the_where_prints_its_floats_as_written():
    text = symgrad.grad(where_floors).source
    code = [line for line in text.splitlines() if "np.where" in line and
            not line.strip().startswith("#")]  # (the comments quote the source)
    assert code and all("0.0, 1.0)" in line for line in code), text
