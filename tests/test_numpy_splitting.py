"""np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit under @symgrad.grad: unpacked,
indexed and iterated, against central differences and torch.tensor_split, on several
shapes; the parts are views (writes through them are refused)."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(1331)


def split_two(x):
    a, b = np.split(x, 2)
    return np.sum(a * b) + np.sum(b ** 3)


def split_indexed(x):
    parts = np.split(x, [1, 3], axis=-1)
    return np.sum(parts[0] ** 2) + np.sum(np.sin(parts[2])) + np.sum(parts[1] * 3.0)


def array_split_loop(x):
    total = 0.0
    for i, p in enumerate(np.array_split(x, 3, axis=0)):
        total = total + (i + 1) * np.sum(p ** 2)
    return total


def hsplit_(x):
    a, b = np.hsplit(x, 2)
    return np.sum(a ** 2 * 2.0) + np.sum(np.exp(b))


def vsplit_(x):
    a, b, c = np.vsplit(x, [1, 2])
    return np.sum(a ** 2) + np.sum(c * 3.0) + np.sum(b ** 3)


def dsplit_(x):
    a, b = np.dsplit(x, 2)
    return np.sum(a * b)


def _weighted(parts, powers):
    return sum(np.sum(p ** k) for p, k in zip(parts, powers, strict=True))


# (function, shapes, its value from torch's split: tensor -> number)
CASES = [
    (split_two, [(4,), (2, 3), (6, 2, 1)],
     lambda t, x: (lambda a, b: (a * b).sum() + (b ** 3).sum())(*t.tensor_split(x, 2))),
    (split_indexed, [(4,), (2, 5), (2, 2, 3)],
     lambda t, x: (lambda p: (p[0] ** 2).sum() + t.sin(p[2]).sum() + (p[1] * 3.0).sum())(
         t.tensor_split(x, [1, 3], dim=-1))),
    (array_split_loop, [(5,), (4, 2), (7, 1, 2), (2, 3)],
     lambda t, x: sum((i + 1) * (p ** 2).sum() for i, p in enumerate(t.tensor_split(x, 3)))),
    (hsplit_, [(4,), (3, 4), (2, 2, 3)],
     lambda t, x: (lambda a, b: (a ** 2 * 2.0).sum() + t.exp(b).sum())(*t.hsplit(x, 2))),
    (vsplit_, [(3, 2), (4, 1, 2)],
     lambda t, x: (lambda a, b, c: (a ** 2).sum() + (c * 3.0).sum() + (b ** 3).sum())(
         *t.vsplit(x, [1, 2]))),
    (dsplit_, [(1, 2, 4), (2, 3, 2, 1)],
     lambda t, x: (lambda a, b: (a * b).sum())(*t.dsplit(x, 2))),
]
ALL = [(f, s, tf) for f, shapes, tf in CASES for s in shapes]


@pytest.mark.parametrize("f, shape, torch_f", ALL, ids=[f"{f.__name__}-{s}" for f, s, _ in ALL])
def test_gradient_matches_central_differences_and_torch(f, shape, torch_f):
    x = R.standard_normal(shape)
    G = symgrad.grad(f)
    assert_same_array(G(x), f(x))
    gx = check_grads(G, x)[0]
    tx = torch.tensor(x, requires_grad=True)
    torch_f(torch, tx).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def split_empty_part(x):
    a, b, c = np.split(x, [0, 2])
    return np.sum(a) + np.sum(b ** 2) + np.sum(c * 2.0)


def test_empty_parts_and_empty_arrays():
    for shape in [(3,), (4, 2), (2,)]:
        x = R.standard_normal(shape)
        G = symgrad.grad(split_empty_part)
        assert_same_array(G(x), split_empty_part(x))
        check_grads(G, x)
    G = symgrad.grad(split_two)
    x = np.zeros((0, 3))
    assert G.grad(x).shape == (0, 3)


def test_an_unequal_split_raises_as_numpy_does():
    G = symgrad.grad(split_two)
    with pytest.raises(ValueError, match="equal division"):
        G(np.ones(3))


def unpack_wrong(x):
    a, b = np.split(x, 3)
    return np.sum(a)


def split_computed(x):
    n = x.shape[0]
    a, b = np.split(x, [n // 2])
    return np.sum(a)


def write_through_part(x):
    y = x * 2.0
    a, b = np.split(y, 2)
    a[0] = 5.0  # numpy writes into y too
    return np.sum(y * x)


def test_unsupported_splits_are_refused_with_a_reason():
    with pytest.raises(symgrad.SymgradError, match="cannot unpack 3 values into 2 names"):
        symgrad.grad(unpack_wrong)
    with pytest.raises(symgrad.SymgradError, match="sections must be an integer or a list"):
        symgrad.grad(split_computed)
    with pytest.raises(symgrad.SymgradError, match="share memory"):
        symgrad.grad(write_through_part)


def test_generated_code_reads_like_a_hand_written_gradient():
    G = symgrad.grad(split_two)
    assert "a = np.split(x, 2)[0]" in G.source and "b = np.split(x, 2)[1]" in G.source
    grad = G.source.split("def split_two_grad")[1].split("grad_x =")[1]
    assert "_split_grad(grad_a, x, np.split, 2, 0, 0)" in grad
    assert "_split_grad(grad_b, x, np.split, 2, 0, 1)" in grad
    assert "np.hsplit(x, 2)[1]" in symgrad.grad(hsplit_).source
