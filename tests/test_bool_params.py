"""A parameter that is not differentiated may be a bool array (a mask): the generated code
must compute what numpy computes for it, and read as the user wrote it (``h - y``)."""

import numpy as np
import pytest

import symgrad


def sub(x, y):
    return np.sum(x - y)


def both_negated(x, y):
    return np.sum(-x - y)


def complement(x, y):
    return np.sum(x * (1 - y))


def squared(x, y):
    return np.sum((y - x) ** 2)


def mixed(x, y):
    return np.sum(np.exp(x) * y - x * y)


def negated_product(x, y):
    return np.sum(-(x * y) + y)


@pytest.mark.parametrize("f", [sub, both_negated, complement, squared, mixed, negated_product])
def test_a_bool_parameter_gives_numpys_value_and_the_finite_difference_gradient(f):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=5), rng.normal(size=5) > 0
    value, grad = symgrad.grad(f, wrt="x").value_and_grad(x, y)
    eps = 1e-6
    fd = np.array([(f(x + eps * e, y) - f(x - eps * e, y)) / (2 * eps) for e in np.eye(5)])
    assert value == pytest.approx(f(x, y), rel=1e-12)
    np.testing.assert_allclose(grad, fd, atol=1e-6)


def test_a_subtracted_parameter_prints_as_written():
    def loss(w, x, y):
        return np.mean((x @ w - y) ** 2)

    source = symgrad.grad(loss, wrt="w").source
    assert "1*y" not in source
    assert "- y" in source
