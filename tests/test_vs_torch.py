"""symgrad's gradients against PyTorch's, where torch is installed (skips cleanly otherwise)."""

import numpy as np
import pytest
from test_grad_core import logreg, mlp, seed_fn

import symgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(7)


def torch_grads(fn_torch, args, wrt):
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=(i in wrt))
               for i, a in enumerate(args)]
    fn_torch(*tensors).backward()
    return [tensors[i].grad.numpy() for i in wrt]


def test_seed_function():
    x = rng.normal(size=(2, 2))
    expected, = torch_grads(lambda t: (3 * (t + 2) ** 2).mean(), [x], [0])
    np.testing.assert_allclose(seed_fn.grad(x), expected, rtol=1e-12)


def test_logreg():
    X, label = rng.normal(size=(16, 4)), (rng.uniform(size=16) > 0.5).astype(float)
    W, b = rng.normal(size=4), np.array(0.3)

    def t_logreg(W, b, X, label):
        p = 0.5 * (torch.tanh(X @ W + b) + 1)
        return -torch.sum(torch.log(p * label + (1 - p) * (1 - label)))

    expected = torch_grads(t_logreg, [W, b, X, label], [0, 1])
    got = symgrad.grad(logreg, wrt=("W", "b")).grad(W, b, X, label)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10)


def test_mlp():
    args = [rng.normal(size=s) for s in [(4, 5), (5,), (5, 2), (2,), (6, 4), (6, 2)]]

    def t_mlp(W1, b1, W2, b2, X, y):
        h = torch.tanh(X @ W1 + b1)
        return torch.mean((h @ W2 + b2 - y) ** 2)

    expected = torch_grads(t_mlp, args, [0, 1, 2, 3])
    got = symgrad.grad(mlp, wrt=(0, 1, 2, 3)).grad(*args)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10)


UNARY = ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "arcsin", "arccos",
         "arctan", "sinh", "cosh", "tanh", "abs", "sign", "square", "reciprocal"]
TORCH_NAME = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    f = getattr(np, name)

    def fn(x):
        return np.sum(f(x) * np.arange(1.0, 7.0).reshape(2, 3))

    x = rng.uniform(0.2, 0.8, size=(2, 3)) * rng.choice([-1, 1], size=(2, 3))
    if name in ("log", "sqrt", "log1p"):
        x = np.abs(x)
    tf = getattr(torch, TORCH_NAME.get(name, name))
    w = torch.arange(1.0, 7.0, dtype=torch.float64).reshape(2, 3)
    expected, = torch_grads(lambda t: torch.sum(tf(t) * w), [x], [0])
    np.testing.assert_allclose(symgrad.grad(fn).grad(x), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["maximum", "minimum", "arctan2", "power", "divide"])
def test_binary_broadcast(name):
    f = getattr(np, name)

    def fn(a, b):
        return np.sum(f(a, b) ** 2)

    a, b = rng.uniform(0.5, 1.5, size=(3, 4)), rng.uniform(0.5, 1.5, size=(4,))
    tf = {"arctan2": torch.atan2, "power": torch.pow, "divide": torch.div}.get(
        name, getattr(torch, name, None))
    expected = torch_grads(lambda s, t: torch.sum(tf(s, t) ** 2), [a, b], [0, 1])
    for g, e in zip(symgrad.grad(fn).grad(a, b), expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "prod", "var", "std"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_reductions(name, axis):
    f = getattr(np, name.replace("amax", "max").replace("amin", "min"))

    def fn(x):
        return np.sum(f(x, axis=axis) ** 2)

    x = rng.permutation(np.linspace(0.5, 2.0, 12)).reshape(3, 4)
    dims = {} if axis is None else {"dim": axis}
    if name in ("var", "std"):
        dims["correction"] = 0
    tf = getattr(torch, name)
    if name == "prod" and axis is None:
        expected, = torch_grads(lambda t: torch.sum(torch.prod(t) ** 2), [x], [0])
    else:
        expected, = torch_grads(lambda t: torch.sum(tf(t, **dims) ** 2), [x], [0])
    np.testing.assert_allclose(symgrad.grad(fn).grad(x), expected, rtol=1e-10)


def test_structure():
    def fn(a, b):
        c = np.concatenate([a, b.T], axis=0)
        d = np.stack([a[0], b[:, 1]])
        return np.sum((c @ b) ** 2) + np.sum(d.reshape(-1) ** 3) + np.sum(np.outer(a[1], b[0]))

    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))

    def t_fn(a, b):
        c = torch.cat([a, b.T], dim=0)
        d = torch.stack([a[0], b[:, 1]])
        return (torch.sum((c @ b) ** 2) + torch.sum(d.reshape(-1) ** 3)
                + torch.sum(torch.outer(a[1], b[0])))

    expected = torch_grads(t_fn, [a, b], [0, 1])
    for g, e in zip(symgrad.grad(fn).grad(a, b), expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10)
