"""rules/ordering.py under @symgrad.grad: np.sort, np.partition, np.take, np.take_along_axis
(np.argsort carries no gradient), each against central differences and torch, on several
shapes; sort ties follow torch.sort; a running maximum written as a loop against
torch.cummax."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(1313)


def sort_last(x, w):
    return np.sum(np.sort(x) * w)


def sort_first(x, w):
    return np.sum(np.sort(x, axis=0, kind="mergesort") * w)


def sort_neg(x, w):
    return np.sum(np.sort(x, -2, stable=True) * w)


def sort_flat(x, w):
    return np.sum(np.sort(x, axis=None) * w)


def take_along_last(x, w):
    i = np.argsort(x, axis=-1)
    return np.sum(np.take_along_axis(x, i, axis=-1) ** 2 * w)


def take_along_first(x, w):
    i = np.argsort(-x, axis=0)[:1]  # the largest of each column, kept 2-d
    return np.sum(np.take_along_axis(x, i, 0) * w)


def take_list(x, w):
    return np.sum(np.take(x, [0, 2, 2, -1], axis=-1) * w)


def take_axis0(x, w):
    return np.sum(np.take(x, np.array([[1, 0], [1, 1]]), axis=0) * w)


def take_flat(x, w):
    return np.sum(np.take(x, [3, 0, 3]) * w)


def take_scalar(x, w):
    return np.sum(np.take(x, 1, axis=-1) * w) + np.take(x, 0) * 2.0


def take_first(x, w):
    return np.sum(np.take(x, [0, 0]) * w)


def take_method(x, w):
    return np.sum(x.take([1, 0], 1) * w)


def sort_torch(t, x, axis):
    return t.sort(x.reshape(-1) if axis is None else x, dim=-1 if axis is None else axis).values


def _cols(x):
    i = np.argsort(-x, axis=0)[:1]
    return i


# (function, x -> the array f sums against w, torch's spelling, x's shapes)
CASES = [
    (sort_last, lambda x: np.sort(x), lambda t, x: sort_torch(t, x, -1),
     [(5,), (3, 4), (2, 3, 4), (3, 0)]),
    (sort_first, lambda x: np.sort(x, 0), lambda t, x: sort_torch(t, x, 0),
     [(4,), (4, 3), (3, 2, 2)]),
    (sort_neg, lambda x: np.sort(x, -2), lambda t, x: sort_torch(t, x, -2), [(4, 3), (2, 3, 4)]),
    (sort_flat, lambda x: np.sort(x, None), lambda t, x: sort_torch(t, x, None),
     [(), (5,), (3, 4)]),
    (take_along_last, lambda x: x, None, [(5,), (3, 4), (2, 3, 4), (3, 0)]),
    (take_along_first, lambda x: x[:1], lambda t, x: t.take_along_dim(
        x, t.tensor(_cols(x.detach().numpy())), 0), [(4,), (4, 3), (3, 2, 2)]),
    (take_list, lambda x: np.take(x, [0, 2, 2, -1], axis=-1),
     lambda t, x: t.index_select(x, -1, t.tensor([0, 2, 2, x.shape[-1] - 1])),
     [(3,), (2, 3), (2, 2, 4)]),
    (take_axis0, lambda x: np.take(x, [[1, 0], [1, 1]], axis=0), None, [(2,), (3, 2)]),
    (take_flat, lambda x: np.take(x, [3, 0, 3]),
     lambda t, x: t.take(x, t.tensor([3, 0, 3])), [(4,), (2, 3)]),
    (take_scalar, lambda x: np.take(x, 1, axis=-1), None, [(2,), (3, 2)]),
    (take_first, lambda x: np.take(x, [0, 0]), lambda t, x: t.take(x, t.tensor([0, 0])),
     [(), (3,), (2, 2)]),
    (take_method, lambda x: x.take([1, 0], 1), None, [(2, 3), (2, 2, 1)]),
]
ALL = [(f, probe, tf, s) for f, probe, tf, shapes in CASES for s in shapes]


@pytest.mark.parametrize("f, probe, torch_f, shape", ALL,
                         ids=[f"{f.__name__}-{s}" for f, _, _, s in ALL])
def test_gradient_matches_central_differences_and_torch(f, probe, torch_f, shape):
    x = R.standard_normal(shape)
    w = R.standard_normal(np.shape(probe(x)))
    G = symgrad.grad(f, wrt=("x", "w"))
    assert_same_array(G(x, w), f(x, w))
    gx, _ = check_grads(G, x, w)
    if torch_f is not None and x.size:
        tx = torch.tensor(x, requires_grad=True)
        out = torch_f(torch, tx)
        torch.sum(out * torch.tensor(w).reshape(out.shape)).backward()
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_sort_ties_follow_torch():
    """Of equal elements, the first in x gets the first sorted position's gradient."""
    x = np.array([[1.0, 0.0, 1.0, 0.0, 1.0], [2.0, 2.0, 2.0, -1.0, 2.0]])
    w = np.arange(10.0).reshape(2, 5)
    G = symgrad.grad(sort_last, wrt=("x",))
    tx = torch.tensor(x, requires_grad=True)
    (torch.sort(tx, dim=-1).values * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(G.grad(x, w), tx.grad.numpy())
    np.testing.assert_array_equal(G.grad(x, w)[0], [2.0, 0.0, 3.0, 1.0, 4.0])


def partition_(x, w):
    return np.sum(np.partition(x, 1) * w)


def partition_axis(x, w):
    return np.sum(np.partition(x, (0, 2), axis=0) * w)


def partition_kth(x):
    return np.partition(x, 2, axis=-1)[..., 2] ** 2  # the third smallest of each row


@pytest.mark.parametrize("f, shape", [(partition_, (4,)), (partition_, (3, 5)),
                                      (partition_, (2, 3, 4)), (partition_axis, (4, 3)),
                                      (partition_axis, (3, 2, 2))])
def test_partition_gradient(f, shape):
    x = R.standard_normal(shape)
    w = R.standard_normal(shape)
    G = symgrad.grad(f, wrt=("x", "w"))
    assert_same_array(G(x, w), f(x, w))
    check_grads(G, x, w)


def test_partition_kth_element_matches_torch_kthvalue():
    x = R.standard_normal((3, 6))
    G = symgrad.grad(partition_kth)
    seed = R.standard_normal(3)
    tx = torch.tensor(x, requires_grad=True)
    (torch.kthvalue(tx, 3, dim=-1).values ** 2 * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(G.grad(x, seed=seed), tx.grad.numpy(), rtol=1e-12)
    check_grads(G, x, seed=seed)


def argsort_weights(x):
    order = np.argsort(x)
    return np.sum(x * order) + np.sum(x * x.argsort(axis=0)) + np.sum(x * np.argpartition(x, 1))


def test_argsort_is_bound_and_carries_no_gradient():
    x = R.standard_normal((3, 4))
    G = symgrad.grad(argsort_weights)
    assert_same_array(G(x), argsort_weights(x))
    expected = np.argsort(x) + x.argsort(axis=0) + np.argpartition(x, 1)
    np.testing.assert_array_equal(G.grad(x), expected)
    check_grads(G, x)


def sorts_in_place(x):
    y = x * 2.0
    y.sort()
    return np.sum(y)


def partitions_in_place(x):
    y = x * 2.0
    y.partition(1)
    return np.sum(y)


def take_wrap(x):
    return np.sum(np.take(x, [0, 5], mode="wrap"))


def test_in_place_sorts_and_unsupported_modes_are_refused():
    with pytest.raises(symgrad.SymgradError, match=r"x\.sort\(\) sorts the array in place"):
        symgrad.grad(sorts_in_place)
    with pytest.raises(symgrad.SymgradError, match=r"np\.partition\(x, kth\)"):
        symgrad.grad(partitions_in_place)
    with pytest.raises(symgrad.SymgradError, match="mode= argument is not supported"):
        symgrad.grad(take_wrap)


def test_generated_code_reads_like_a_hand_written_gradient():
    src = symgrad.grad(sort_first, wrt=("x",)).source.split("grad_x =")[1]
    assert "_take_along_axis_grad(" in src
    assert "np.argsort(x, axis=0, kind='stable')" in src
    assert "np.sort(x, axis=0)" in symgrad.grad(sort_first).source
    src = symgrad.grad(take_list, wrt=("x",)).source
    assert "np.take(x, " in src and "_getitem_grad(" in src.split("grad_x =")[1]
    assert "np.s_[..., " in src.split("grad_x =")[1]


def running_max(x):
    n = x.shape[0]
    out = np.zeros_like(x)
    m = x[0]
    out[0] = m
    for i in range(1, n):
        m = np.maximum(m, x[i])
        out[i] = m
    return out


@pytest.mark.parametrize("shape", [(5,), (4, 3), (6, 2, 2)])
def test_a_running_maximum_loop_matches_torch_cummax(shape):
    x = R.standard_normal(shape)
    seed = R.standard_normal(shape)
    G = symgrad.grad(running_max)
    assert_same_array(G(x), np.maximum.accumulate(x, axis=0))
    check_grads(G, x, seed=seed)
    tx = torch.tensor(x, requires_grad=True)
    (torch.cummax(tx, dim=0).values * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(G.grad(x, seed=seed), tx.grad.numpy(), rtol=1e-12)


def test_tensor_take_along_dim_follows_torch():
    a = R.standard_normal((3, 4))
    idx = np.argsort(a, axis=1)[:, :2]
    s, t = (lib.tensor(a, requires_grad=True) for lib in (symgrad, torch))
    ys = s.take_along_dim(symgrad.tensor(idx), dim=1)
    yt = t.take_along_dim(torch.tensor(idx), dim=1)
    assert ys.grad_fn.name() == yt.grad_fn.name() == "GatherBackward0"
    (ys ** 2).sum().backward()
    (yt ** 2).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12)
