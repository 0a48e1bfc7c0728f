"""``n + 0.0``, ``n * 1.0``, ``n / 1``: numpy's float result even where n is an int or bool.

SymPy drops an identity element (``n + 0.0`` is ``n``), so the primal returned the count
``np.sum(x < y)`` as an int64 and ``(x < y) + 0.0`` as a bool array (found by
tools/peer_harness.py on autograd's test_binary_ops.py::test_comparison_values).
"""

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

X = np.array([1.0, 3.0, -0.5, 2.0])
Y = np.array([2.0, 2.0, 0.0, 2.0])


def count_plus(x, y):
    return np.sum(x < y) + 0.0


def plus_count(x, y):
    return 0.0 + np.sum(x < y)


def mask_plus(x, y):
    return (x < y) + 0.0


def mask_minus(x, y):
    return (x < y) - 0.0


def count_times(x, y):
    return np.sum(x < y) * 1.0


def times_count(x, y):
    return 1.0 * np.sum(x < y)


def count_over_int(x, y):
    return np.sum(x < y) / 1


def count_over_float(x, y):
    return np.sum(x < y) / 1.0


def len_plus(x, y):
    return len(x) + 0.0


def argmax_times(x, y):
    return np.argmax(x) * 1.0


def add_call(x, y):
    return np.add(np.sum(x < y), 0.0)


def augmented(x, y):
    n = np.sum(x < y)
    n += 0.0
    return n


@pytest.mark.parametrize("f", [count_plus, plus_count, mask_plus, mask_minus, count_times,
                               times_count, count_over_int, count_over_float, len_plus,
                               argmax_times, add_call, augmented])
def test_primal_is_numpys_float(f):
    G = symgrad.grad(f)
    assert_same_array(G(X, Y), f(X, Y))
    gx, gy = G.grad(X, Y, seed=np.ones(np.shape(f(X, Y))))
    np.testing.assert_array_equal(gx, 0.0)
    np.testing.assert_array_equal(gy, 0.0)


def with_float(x, y):
    return x * 1.0 + (y - 0.0) / 1 + (0.0 + x) * np.sum(x < y)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 3), (3,)), ((), ())])
def test_float_operands_keep_value_and_gradient(shapes):
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(s) for s in shapes)
    G = symgrad.grad(with_float)
    assert_same_array(G(x, y), with_float(x, y))
    check_grads(G, x, y, seed=np.ones(np.broadcast_shapes(*shapes)))
