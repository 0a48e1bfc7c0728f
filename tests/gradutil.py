"""Central finite differences in float64: the referee for every gradient test."""

from __future__ import annotations

import numpy as np


def numeric_grad(f, args, index, seed=None, eps=1e-6):
    """d <seed, f(*args)> / d args[index] by central differences."""
    args = [np.array(a, dtype=np.float64) if isinstance(a, float) or
            isinstance(a, np.ndarray) and a.dtype.kind in "fc" else a
            for a in args]  # (integer arrays are indices: kept as they are)
    x = args[index]
    scalar = np.ndim(x) == 0
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)

    def value(v):
        new = list(args)
        new[index] = v.reshape(x.shape) if not scalar else float(v.reshape(()))
        out = f(*new)
        if seed is None:
            return float(np.sum(out))
        if isinstance(out, tuple):
            return float(sum(np.sum(o * s) for o, s in zip(out, seed, strict=True)))
        return float(np.sum(out * seed))

    for i in range(flat.size):
        orig = flat[i]
        plus, minus = flat.copy(), flat.copy()
        plus[i] = orig + eps
        minus[i] = orig - eps
        grad.reshape(-1)[i] = (value(plus) - value(minus)) / (2 * eps)
    return grad


def check_grads(G, *args, seed=None, rtol=1e-5, atol=1e-7):
    """Assert that every gradient of G matches central differences."""
    grads = G.grad(*args, seed=seed)
    if len(G.wrt) == 1:
        grads = (grads,)
    for name, g in zip(G.wrt, grads, strict=True):
        i = G.params.index(name)
        expected = numeric_grad(G.fn, args, i, seed=seed)
        assert g is not None, name
        assert np.shape(g) == np.shape(args[i]), (name, np.shape(g), np.shape(args[i]))
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol, err_msg=f"d/d{name}")
    return grads


def assert_same_array(got, expected):
    """numpy's own answer: equal values, NaNs in the same places, same shape and dtype."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
