"""G.value_and_grad and G.grad as plain functions for the ordinary call (symgrad.hot): the
same results, errors and records as the checked methods, whatever the path a call takes."""

import numpy as np
import pytest
import torch

import symgrad
from symgrad import SymgradError, api
from symgrad.hot import straight


def affine(w, b, x):
    return np.sum(np.tanh(x @ w + b) ** 2)


def torch_affine(w, b, x):
    return torch.sum(torch.tanh(x @ w + b) ** 2)


def _torch_grads(w, b, x):
    tw, tb = (torch.tensor(a, requires_grad=True) for a in (w, b))
    torch_affine(tw, tb, torch.tensor(x)).backward()
    return tw.grad.numpy(), tb.grad.numpy()


def _args(b_shape, rng):
    return rng.normal(size=(3, 4)), rng.normal(size=b_shape), rng.normal(size=(5, 3))


def test_hot_calls_match_torch_and_record_the_last_call():
    G = symgrad.grad(affine, wrt=("w", "b"))
    rng = np.random.default_rng(0)
    row, full = _args((4,), rng), _args((1, 4), rng)
    for args in (row, full, row, full, row):
        for _ in range(3):  # the first checks the key, the next ones are hot
            value, grads = G.value_and_grad(*args)
            assert value == pytest.approx(affine(*args), rel=1e-12)
            for got, want in zip(grads, _torch_grads(*args[:2], args[2]), strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-10)
            assert [g.shape for g in G.grad(*args)] == [(3, 4), args[1].shape]
    pos, kw = G._last_call  # the last (hot) call's shapes, for export
    assert [a.shape for a in pos] == [(3, 4), (4,), (5, 3)] and kw == {}
    assert G.source == G.source_for(*row) != G.source_for(*full)
    G.grad(*full)
    assert G.source == G.source_for(*full)
    assert G.grad.source == G.source and G.grad.__self__ is G


def test_keywords_seed_and_missing_arguments_take_the_checked_path():
    G = symgrad.grad(affine, wrt=("w", "b"))
    w, b, x = _args((4,), np.random.default_rng(1))
    for _ in range(3):
        G.grad(w, b, x)
    want = _torch_grads(w, b, x)
    for got, expected in zip(G.grad(w, b=b, x=x), want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-10)
    for got, expected in zip(G.value_and_grad(w, b, x, seed=2.0)[1], want, strict=True):
        np.testing.assert_allclose(got, 2.0 * expected, rtol=1e-10)
    with pytest.raises(SymgradError, match="missing a required argument: 'x'"):
        G.grad(w, b)
    with pytest.raises(SymgradError, match="too many positional arguments"):
        G.value_and_grad(w, b, x, x)
    with pytest.raises(SymgradError, match="'b'.*complex"):
        G.grad(w, b.astype(complex), x)


def mean_square(x):
    return np.mean(3 * (x + 2) ** 2)


W64 = np.array([2.0, -1.0, 0.5])


def branch_promotes(x):
    if np.sum(x) > 0:
        return np.sum(np.sin(x) * W64)
    return np.sum(np.sin(x) * 2.0)


def test_only_straight_line_code_skips_the_output_check():
    x = np.array([0.5, 1.0, 2.0])
    for fn, exact in ((mean_square, True), (branch_promotes, False)):
        G = symgrad.grad(fn)
        for _ in range(3):
            G.grad(x)
        assert G._by_shapes[G._fast_key(x)].exact is exact
    assert not straight("def f(x):\n    return helper(x)\n", "f", {"helper": print})
    assert not straight("def f(x):\n    return x if x else 0.0\n", "f", {})
    assert straight("def f(x):\n    t = x + 1\n    return np.sum(t), t.T\n", "f", {"np": np})


def test_a_patched_class_method_counts_for_a_function_made_after():
    original = api.GradFunction.value_and_grad
    x = np.array([0.5, 1.0])
    try:
        api.GradFunction.value_and_grad = lambda self, *a, **k: (0.0, 2 * original(self, *a,
                                                                                    **k)[1])
        G = symgrad.grad(mean_square)
        np.testing.assert_allclose(G.value_and_grad(x)[1], 2 * 6 / 2 * (x + 2))
    finally:
        api.GradFunction.value_and_grad = original
    G = symgrad.grad(mean_square)
    for _ in range(3):
        np.testing.assert_allclose(G.value_and_grad(x)[1], 6 / 2 * (x + 2))


def scaled_tanh(x, b):
    return np.sum(np.tanh(x * b))


def test_a_0d_argument_gets_a_0d_array_gradient_on_every_hot_call():
    G = symgrad.grad(scaled_tanh)
    x, b = np.array([0.1, -0.4, 0.7], dtype=np.float32), np.array(1.5, dtype=np.float32)
    tx, tb = (torch.tensor(a.astype(np.float64), requires_grad=True) for a in (x, b))
    torch.sum(torch.tanh(tx * tb)).backward()
    for _ in range(4):  # the key is never "checked" (np.float64 comes back for b): finished
        value, (gx, gb) = G.value_and_grad(x, b)
        assert type(gb) is np.ndarray and gb.shape == () and gb.dtype == np.float32
        assert gx.dtype == np.float32 and value == pytest.approx(scaled_tanh(x, b), rel=1e-6)
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-5)
        np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-5)
        assert G.grad(x, b)[1].shape == ()
