"""Gradients that once came out wrong or non-finite for ordinary numpy code."""

import numpy as np
from gradutil import check_grads

import symgrad


def binary_cross_entropy(w, x, y):
    p = 1 / (1 + np.exp(-(x @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_sum(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return np.sum(s)


def test_binary_cross_entropy_matches_finite_differences():
    # the scalar-first printer once dropped the parentheses of -g/n*(a + b) here
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(6, 3)), rng.normal(size=3)
    y = (rng.random(6) < 0.5).astype(float)
    G = symgrad.grad(binary_cross_entropy, wrt="w")
    np.testing.assert_allclose(G(w, x, y), binary_cross_entropy(w, x, y), rtol=1e-12)
    check_grads(G, w, x, y)
    p = 1 / (1 + np.exp(-(x @ w)))
    np.testing.assert_allclose(G.grad(w, x, y), x.T @ (p - y) / len(y), rtol=1e-10)


def test_logistic_slope_is_finite_in_both_tails():
    # exp(z)/(exp(z) + 1)**2 is inf/inf = nan for z > 709; the slope there is 0
    G = symgrad.grad(logistic_sum)
    z = np.array([-800.0, -3.0, 0.5, 12.0, 800.0])
    with np.errstate(over="ignore"):
        g = G.grad(z)
    assert np.all(np.isfinite(g))
    s = 1 / (1 + np.exp(-z[1:4]))
    np.testing.assert_allclose(g[1:4], s * (1 - s), rtol=1e-6)
    np.testing.assert_allclose(g[[0, 4]], 0.0, atol=1e-300)
    check_grads(G, z[1:3])


def products(x, X):
    return (np.prod(x) + np.sum(np.prod(X, axis=1) ** 2)
            + np.sum(np.prod(X, axis=0, keepdims=True) * X) + np.prod(X, axis=(0, 1)))


def test_product_gradient_at_a_zero_entry():
    # prod(x)/x is 0/0 where x has a zero: the product of the other entries is not
    x = np.array([1.5, 0.0, -2.0, 3.0])
    X = np.array([[1.5, 0.0, -2.0], [0.5, 2.0, 1.1]])
    G = symgrad.grad(products)
    gx, gX = G.grad(x, X)
    assert np.all(np.isfinite(gx)) and np.all(np.isfinite(gX))
    np.testing.assert_allclose(gx, [0.0, -9.0, 0.0, 0.0])
    check_grads(G, x, X)
    check_grads(G, np.random.default_rng(0).normal(size=4),
                np.random.default_rng(1).normal(size=(2, 3)))


def float_literal_buffers(x):
    h = np.array([0.0, 0.0, 0.0])  # float literals: a float array, written into below
    for i in range(3):
        h[i] = np.tanh(x[i]) * 0.5
    y = np.array([1.0, 2.0, 3.0])
    y[1] += 0.25 * x[1]
    r = np.arange(3.0)
    r[0] = x[0] * 0.3
    return np.sum(h) + np.sum(y * x) + np.sum(r * x)


def vector_times_batched_matrix(v, B):
    return np.sum((v @ B) ** 2)


def test_float_literal_buffers_and_vector_at_batched_matrix():
    x = np.array([0.3, -0.7, 1.1])
    G = symgrad.grad(float_literal_buffers)
    np.testing.assert_allclose(G(x), float_literal_buffers(x.copy()), rtol=1e-12)
    check_grads(G, x)
    rng = np.random.default_rng(0)
    v, B = rng.normal(size=3), rng.normal(size=(2, 3, 4))
    G = symgrad.grad(vector_times_batched_matrix)
    gv, gB = G.grad(v, B)
    assert gB.shape == B.shape
    check_grads(G, v, B)


def clipped(x, lo):
    return np.sum(np.clip(x, -0.5, 0.5) * x) + np.sum(np.clip(x, lo, None) ** 2)


def test_clip_slope_is_one_on_the_closed_interval():
    x = np.array([-0.5, 0.2, 0.5, 0.9, -1.0])  # two entries exactly at a bound
    G = symgrad.grad(clipped, wrt="x")
    # slope 1 at x = -0.5 (the low bound) and at x = 0.2 = lo, as torch.clamp
    np.testing.assert_allclose(G.grad(x, 0.2), [-0.5 - 0.5, 0.2 + 0.2 + 2 * 0.2,
                                                 0.5 + 0.5 + 2 * 0.5, 0.5 + 2 * 0.9, -0.5])
    check_grads(G, np.array([0.1, 0.7, -0.9]), 0.3)
