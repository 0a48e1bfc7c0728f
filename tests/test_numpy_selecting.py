"""np.select, np.piecewise and np.nan_to_num under @symgrad.grad, against central differences
and torch (nested torch.where, torch.nan_to_num) on several shapes. A choice gets the gradient
only where it was chosen; a mask is never simplified away."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(1313)


def _away_from(x, *edges):
    """x moved off the conditions' edges (central differences must not cross them)."""
    for e in edges:
        x = np.where(np.abs(x - e) < 1e-3, x + 0.01, x)
    return x


def select_(x, y):
    return np.sum(np.select([x > 0, y > 0.5], [x * y, np.sin(x)], 0.5) ** 2)


def select_overlap(x, y):
    # both conditions hold where x > 1: the first wins
    return np.sum(np.select([x > 1, x > 0], [x ** 3, y * x], default=y))


def select_broadcast(x, y):
    return np.sum(np.select([x < 0], [y]) * x)


def _sel_torch(t, x, y):
    return (t.where(x > 0, x * y, t.where(y > 0.5, t.sin(x), 0.5)) ** 2).sum()


def _overlap_torch(t, x, y):
    return t.where(x > 1, x ** 3, t.where(x > 0, y * x, y)).sum()


def _broadcast_torch(t, x, y):
    return (t.where(x < 0, y, 0.0) * x).sum()


CASES = [
    (select_, _sel_torch, [((5,), (5,)), ((2, 3), (3,)), ((), ()), ((2, 1, 3), (4, 1))]),
    (select_overlap, _overlap_torch, [((6,), (6,)), ((3, 4), (1, 4))]),
    (select_broadcast, _broadcast_torch, [((3, 4), (4,)), ((4,), ())]),
]


def piecewise_(x):
    return np.sum(np.piecewise(x, [x < 0, x > 1], [lambda v: v ** 2, 2.0, lambda v: np.exp(v)]))


def _cube(v):
    return v ** 3


def piecewise_functions(x, w):
    # overlapping conditions: the last one that holds wins (numpy writes each in turn)
    return np.sum(np.piecewise(x, [x > 0, x > 0.5], [_cube, np.sin]) * w)


def piecewise_one(x):
    return np.sum(np.piecewise(x, [x > 0], [lambda v: v * 3.0]))


def _piecewise_torch(t, x):
    return t.where(x > 1, 2.0, t.where(x < 0, x ** 2, t.exp(x))).sum()


def _functions_torch(t, x, w):
    return (t.where(x > 0.5, t.sin(x), t.where(x > 0, x ** 3, 0.0)) * w).sum()


@pytest.mark.parametrize("f, torch_f, shapes", [(f, tf, s) for f, tf, ss in CASES for s in ss],
                         ids=[f"{f.__name__}-{s}" for f, _, ss in CASES for s in ss])
def test_select_matches_central_differences_and_torch(f, torch_f, shapes):
    x = _away_from(R.standard_normal(shapes[0]), 0.0, 1.0)
    y = _away_from(R.standard_normal(shapes[1]), 0.5)
    G = symgrad.grad(f)
    assert_same_array(G(x, y), f(x, y))
    gx, gy = check_grads(G, x, y)
    tx, ty = (torch.tensor(a, requires_grad=True) for a in (x, y))
    torch_f(torch, tx, ty).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gy, ty.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 2, 3), ()])
def test_piecewise_matches_central_differences_and_torch(shape):
    x = _away_from(R.standard_normal(shape) * 2, 0.0, 0.5, 1.0)
    w = R.standard_normal(shape)
    for f, torch_f, args in [(piecewise_, _piecewise_torch, (x,)),
                             (piecewise_functions, _functions_torch, (x, w)),
                             (piecewise_one, lambda t, x: t.where(x > 0, x * 3.0, 0.0).sum(),
                              (x,))]:
        G = symgrad.grad(f)
        assert_same_array(G(*args), f(*args))
        grads = check_grads(G, *args)
        tensors = [torch.tensor(a, requires_grad=True) for a in args]
        torch_f(torch, *tensors).backward()
        for g, t in zip(grads, tensors, strict=True):
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def masked_sum(x):
    m = x > 0
    return np.sum(np.select([m], [x], 0)) + np.sum(np.piecewise(x, [m], [lambda v: v * 2.0, 0.0]))


def masked_sqrt(x):
    return np.sum(np.piecewise(x, [x > 0], [lambda v: np.sqrt(v), 0.0]))


def test_masks_are_never_simplified_away():
    x = np.array([-1.0, 2.0, -3.0, 0.5])
    G = symgrad.grad(masked_sum)
    np.testing.assert_array_equal(G.grad(x), [0.0, 3.0, 0.0, 3.0])
    check_grads(G, x)
    # the unchosen branch's slope (sqrt at x < 0: nan) never reaches the gradient
    G = symgrad.grad(masked_sqrt)
    with np.errstate(invalid="ignore"):
        got = G.grad(x)
    np.testing.assert_allclose(got, [0.0, 0.5 / np.sqrt(2.0), 0.0, 0.5 / np.sqrt(0.5)])


def select_unequal(x):
    return np.sum(np.select([x > 0, x < 0], [x]))


def piecewise_count(x):
    return np.sum(np.piecewise(x, [x > 0], [1.0, 2.0, 3.0]))


def piecewise_bare(x):
    return np.sum(np.piecewise(x, x > 0, [1.0, 2.0]))


def test_unsupported_selections_are_refused():
    with pytest.raises(symgrad.SymgradError, match="conditions must be a list literal"):
        symgrad.grad(piecewise_bare)
    with pytest.raises(symgrad.SymgradError, match="same length"):
        symgrad.grad(select_unequal)
    with pytest.raises(symgrad.SymgradError, match="1 conditions need 1 or 2 functions"):
        symgrad.grad(piecewise_count)


# ---------------------------------------------------------------- nan_to_num


def nan_to_num_(x, w):
    return np.sum(np.nan_to_num(np.log(x)) * w)


def nan_to_num_values(x, w):
    return np.sum(np.nan_to_num(1.0 / x - 1.0, nan=0.5, posinf=3.0, neginf=-2.0) * w)


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 2, 2), ()])
def test_nan_to_num_matches_central_differences_and_torch(shape):
    x = np.abs(R.standard_normal(shape)) + 0.2
    w = R.standard_normal(shape)
    for f, torch_f in [(nan_to_num_, lambda t, x: t.nan_to_num(t.log(x))),
                       (nan_to_num_values,
                        lambda t, x: t.nan_to_num(1.0 / x - 1.0, 0.5, 3.0, -2.0))]:
        G = symgrad.grad(f, wrt=("x",))
        assert_same_array(G(x, w), f(x, w))
        gx = check_grads(G, x, w)[0]
        tx = torch.tensor(x, requires_grad=True)
        (torch_f(torch, tx) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def nan_to_num_of_x(x):
    return np.sum(np.nan_to_num(x, posinf=7.0, neginf=-5.0) * 2.0)


def test_nan_to_num_gradient_is_zero_where_x_is_not_finite():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    G = symgrad.grad(nan_to_num_of_x)
    assert G(x) == nan_to_num_of_x(x)
    tx = torch.tensor(x, requires_grad=True)
    (torch.nan_to_num(tx, posinf=7.0, neginf=-5.0) * 2.0).sum().backward()
    np.testing.assert_array_equal(G.grad(x), [2.0, 0.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(G.grad(x), tx.grad.numpy())
    assert "np.where(np.isfinite(x), " in G.source.split("grad_x =")[1]
    s = symgrad.tensor(x, requires_grad=True)
    y = s.nan_to_num(0.0, 7.0, -5.0)
    assert y.grad_fn.name() == "NanToNumBackward0"
    (y * 2.0).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), tx.grad.numpy())


def test_generated_code_reads_like_a_hand_written_gradient():
    src = symgrad.grad(select_overlap).source
    assert "np.where(x > 1, x**3, np.where(x > 0, x*y, y))" in src
