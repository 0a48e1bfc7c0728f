"""The fast path of G.grad / G.value_and_grad (floating numpy arrays by position): the same
results as the checked path, checked against finite differences and torch; bad input still
gives a SymgradError; export's record of the last call is made lazily but still made."""

import numpy as np
import pytest
import torch

import symgrad
from symgrad import SymgradError

SCALE = 2.0


def _fd(f, args, i, eps=1e-6):
    args = [np.array(a, dtype=np.float64) for a in args]
    g = np.zeros_like(args[i])
    for k in np.ndindex(args[i].shape):
        up = [a.copy() for a in args]
        dn = [a.copy() for a in args]
        up[i][k] += eps
        dn[i][k] -= eps
        g[k] = (f(*up) - f(*dn)) / (2 * eps)
    return g


def mlp(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(h * h)


def torch_mlp(W, b, x):
    h = torch.tanh(x @ W + b)
    return torch.sum(h * h)


SHAPES = [((3, 4), (4,), (5, 3)), ((3, 4), (1, 4), (5, 3)), ((3, 1), (4,), (2, 3)),
          ((3, 4), (), (3,)), ((3, 4), (1,), (2, 5, 3))]


@pytest.mark.parametrize("shapes", SHAPES)
def test_fast_path_matches_fd_torch_and_the_checked_path(shapes):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in shapes]
    G = symgrad.grad(mlp)
    value, grads = G.value_and_grad(*args)  # fast path
    checked_value, checked = G.value_and_grad(*args, seed=1.0)  # a seed: the checked path
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    torch_mlp(*tensors).backward()
    assert np.isclose(value, mlp(*args)) and np.isclose(value, checked_value)
    for i, g in enumerate(grads):
        assert g.shape == args[i].shape and g.dtype == np.float64
        np.testing.assert_allclose(g, checked[i], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, tensors[i].grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g, _fd(mlp, args, i), rtol=1e-6, atol=1e-8)


def sinx(x):
    return np.sum(np.sin(x) * x)


def elementwise(x):
    return np.sin(x)


def square(x):
    return np.sum(x * x)


def test_fast_path_float32_keeps_the_dtype():
    G = symgrad.grad(sinx)
    x = np.linspace(0.1, 1.0, 4, dtype=np.float32)
    g = G.grad(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.sin(x) + x * np.cos(x), rtol=1e-5)


def test_bad_shapes_on_the_fast_path_fail_as_the_checked_path_does():
    G = symgrad.grad(mlp)
    bad = (np.ones((3, 4)), np.ones(4), np.ones((5, 2)))  # x @ W cannot multiply
    with pytest.raises(ValueError) as checked:
        G.grad(*bad, seed=1.0)
    with pytest.raises(ValueError) as fast:
        G.grad(*bad)
    assert type(fast.value) is type(checked.value) and str(fast.value) == str(checked.value)
    # the original function's own error, raised from the user's line (not generated code)
    assert fast.traceback[-1].frame.code.name == "mlp"


def test_a_non_scalar_output_on_the_fast_path_is_refused():
    G = symgrad.grad(elementwise)
    with pytest.raises(SymgradError, match="scalar outputs"):
        G.grad(np.ones(3))


def test_integer_and_list_inputs_take_the_checked_path():
    G = symgrad.grad(square, wrt="x")
    with pytest.raises(SymgradError, match="integer"):
        G.grad(np.arange(3))
    assert G.grad([1.0, 2.0]) == [2.0, 4.0]


def test_the_last_call_is_recorded_for_export(tmp_path):
    G = symgrad.grad(mlp)
    assert G._last_call is None
    G.grad(np.ones((3, 4)), np.ones(4), np.ones((5, 3)))
    G.grad(np.ones((2, 4)), np.ones(4), np.ones((6, 2)))
    pos, kw = G._last_call
    assert [a.shape for a in pos] == [(2, 4), (4,), (6, 2)] and kw == {}
    G._last_call = None
    assert G._last_call is None


def scaled(x):
    return SCALE * np.sum(x * x)


def test_a_changed_global_is_seen_on_the_fast_path():
    global SCALE
    G = symgrad.grad(scaled)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(G.grad(x), 4.0 * x)
    try:
        SCALE = 3.0
        np.testing.assert_allclose(G.grad(x), 6.0 * x)
    finally:
        SCALE = 2.0


W64 = np.array([2.0, -1.0, 0.5])


def branch_promotes(x):
    if np.sum(x) > 0:  # a float64 global array: this branch's gradient is float64
        return np.sum(np.sin(x) * W64)
    return np.sum(np.sin(x) * 2.0)  # a Python float: this one keeps float32


def test_a_key_checked_once_still_types_a_gradient_that_comes_otherwise():
    G = symgrad.grad(branch_promotes)
    down = np.array([-0.5, -0.2, -0.1], dtype=np.float32)
    up = -down
    for _ in range(3):  # the first call checks the key, the next ones take the hot path
        g = G.grad(down)
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, 2.0 * np.cos(down), rtol=1e-6)
    assert G._by_shapes[G._fast_key(down)].checked
    value, g = G.value_and_grad(up)  # the same shapes and dtypes, the float64 branch
    assert g.dtype == np.float32 and value == pytest.approx(branch_promotes(up), rel=1e-6)
    np.testing.assert_allclose(g, np.cos(up) * W64, rtol=1e-6)
    torch_up = torch.tensor(up.astype(np.float64), requires_grad=True)
    torch.sum(torch.sin(torch_up) * torch.tensor(W64)).backward()
    np.testing.assert_allclose(g, torch_up.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(G.grad(up), _fd(branch_promotes, [up.astype(np.float64)], 0),
                               rtol=1e-5)


def sum_of_logs(x):
    return np.sum(np.log(x))


def test_a_hot_call_that_raises_raises_as_the_checked_call_does():
    G = symgrad.grad(sum_of_logs)
    x, zero = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    for _ in range(3):  # the key checked, then the hot path
        np.testing.assert_allclose(G.grad(x), 1.0 / x)
        assert G(x) == pytest.approx(np.log(2.0))
    with np.errstate(all="raise"):  # the same key, data numpy refuses under errstate
        with pytest.raises(FloatingPointError) as checked:
            G.grad(zero, seed=1.0)
        with pytest.raises(FloatingPointError) as hot:
            G.grad(zero)
        with pytest.raises(FloatingPointError) as primal:
            G(zero)
    assert str(hot.value) == str(checked.value) == str(primal.value)
    np.testing.assert_allclose(G.grad(x), 1.0 / x)
