"""Issue 11, where / comparisons / masks: numpy's where and comparisons are not SymPy's
Piecewise and relationals. Each case once gave a wrong value, a wrong gradient or a crash.

Gradients are checked against central differences (away from ties) and, where torch is
installed, against torch (ties included: torch's conventions are the reference there).
"""

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

X5 = np.array([0.3, -0.5, 0.8, 1.1, -0.2])
M5 = np.array([True, False, True, True, False])


def _torch():
    return pytest.importorskip("torch")


def _t(a, grad=False):
    torch = _torch()
    return torch.tensor(a, dtype=torch.float64 if np.asarray(a).dtype.kind == "f" else None,
                        requires_grad=grad)


def _no_sympy_names(G):
    for name in ("Derivative", "ITE", "Piecewise", "Heaviside", "Max(", "Min(", "Is"):
        assert name not in G.source, name


# ---------------------------------------------------------------- 1: a where in a reduction


def where_in_sum_squared(x, m):
    return np.sum(np.where(m, np.sin(x), 0.0)) ** 2


def masked_rmse(pred, target, m):
    return np.sqrt(np.sum(np.where(m, (pred - target) ** 2, 0.0)) / np.sum(m))


def noisy_or(p, mask):
    return np.sum(1 - np.prod(np.where(mask, 1 - p, 1.0), axis=1))


def impute_rms(X, missing):
    return np.sum(np.where(missing, np.sqrt(np.mean(X**2, axis=0, keepdims=True)), X) ** 2)


def test_where_inside_a_reduction_keeps_its_mask():
    G = symgrad.grad(where_in_sum_squared, wrt="x")
    g = check_grads(G, X5, M5)[0]
    np.testing.assert_allclose(g, [3.638081, 0, 2.653176, 1.727370, 0], rtol=1e-6)
    _no_sympy_names(G)


def test_masked_rmse_noisy_or_and_imputation():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=6), rng.normal(size=6)
    check_grads(symgrad.grad(masked_rmse, wrt=("pred", "target")), pred, target, M5[[0, 1, 2,
                                                                                     3, 4, 0]])
    p, mask = rng.uniform(0.1, 0.9, size=(3, 4)), rng.uniform(size=(3, 4)) > 0.4
    check_grads(symgrad.grad(noisy_or, wrt="p"), p, mask)
    X, missing = rng.normal(size=(4, 3)), rng.uniform(size=(4, 3)) > 0.6
    check_grads(symgrad.grad(impute_rms, wrt="X"), X, missing)


def test_where_in_a_reduction_against_torch():
    torch = _torch()
    rng = np.random.default_rng(1)
    p, mask = rng.uniform(0.1, 0.9, size=(3, 4)), rng.uniform(size=(3, 4)) > 0.4
    tp = _t(p, True)
    (1 - torch.prod(torch.where(_t(mask), 1 - tp, 1.0), dim=1)).sum().backward()
    np.testing.assert_allclose(symgrad.grad(noisy_or, wrt="p").grad(p, mask), tp.grad.numpy(),
                               rtol=1e-12)


# ---------------------------------------------------------------- 2: an always-true condition


def always_true(x, Z):
    return np.sum(np.where(np.exp(Z) > 0, x**2, 0.0))


def maximum_decided(x, z):
    return np.sum(np.maximum(np.exp(x), -np.exp(z)))


def test_a_condition_sympy_can_decide_keeps_its_broadcast():
    x, Z = np.array([0.1, 0.2, 0.3, 0.4]), np.zeros((3, 4))
    G = symgrad.grad(always_true, wrt="x")
    assert G(x, Z) == pytest.approx(always_true(x, Z))
    np.testing.assert_allclose(check_grads(G, x, Z)[0], 6 * x)
    G = symgrad.grad(maximum_decided)
    x, z = np.array([0.1, -0.3, 0.5]), np.zeros((2, 3))
    assert G(x, z) == pytest.approx(maximum_decided(x, z))
    check_grads(G, x, z)


# ---------------------------------------------------------------- 3: ties made by broadcasting


def max_of_broadcast(col, b):
    return np.sum(np.max(np.where(b > -5.0, col, 0.3), axis=-1))


def min_of_broadcast(col, b):
    return np.sum(np.min(np.where(b > -5.0, col, 9.0), axis=-1) ** 2)


def test_max_over_broadcast_ties_shares_the_gradient():
    col, b = np.array([[1.0], [2.0], [3.0]]), np.zeros((1, 4))
    G = symgrad.grad(max_of_broadcast, wrt="col")
    np.testing.assert_allclose(check_grads(G, col, b)[0].ravel(), [1, 1, 1])
    check_grads(symgrad.grad(min_of_broadcast, wrt="col"), col, b)


def test_max_ties_and_maximum_ties_like_torch():
    torch = _torch()
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    tx = _t(x, True)
    torch.amax(tx, dim=1).sum().backward()
    got = symgrad.grad(lambda_max).grad(x)
    np.testing.assert_allclose(got, tx.grad.numpy())
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    ta, tb = _t(a, True), _t(b, True)
    (torch.maximum(ta, tb) * 2 + torch.minimum(ta, tb)).sum().backward()
    ga, gb = symgrad.grad(maximum_minimum).grad(a, b)
    np.testing.assert_allclose(ga, ta.grad.numpy())  # half to each side at a tie
    np.testing.assert_allclose(gb, tb.grad.numpy())


def lambda_max(x):
    return np.sum(np.max(x, axis=1))


def maximum_minimum(a, b):
    return np.sum(np.maximum(a, b) * 2 + np.minimum(a, b))


def builtin_max_min(a, b):
    return max(a, b) * 3.0 + min(a, 2.0 * b)


def test_builtin_max_min_keep_pythons_first_at_a_tie_like_torch():
    for a, b in [(1.0, 1.0), (2.0, 1.0), (0.5, 1.0), (1.0, 0.5)]:
        ta, tb = _t(a, True), _t(b, True)
        (max(ta, tb) * 3.0 + min(ta, 2.0 * tb)).backward()
        G = symgrad.grad(builtin_max_min)
        assert G(a, b) == builtin_max_min(a, b)
        ga, gb = G.grad(a, b)
        expected = [0.0 if t.grad is None else t.grad.item() for t in (ta, tb)]
        assert [ga, gb] == expected, (a, b)
    assert "max(a, b)" in G.source and "min(a, 2" in G.source  # Python's, as written


# ---------------------------------------------------------------- 7, 16h: no SymPy names


def mask_from_arguments(x, y):
    m = x > y
    return np.sum(m * (x - y) ** 2)


def where_in_where(x):
    return np.sum(np.where(np.where(x > 0, x, -x) > 1, x**2, x))


def count_plus_zero(x, y):
    return np.sum(x < y) + 0.0


def test_masks_of_differentiated_arguments_print_no_sympy_names():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 1.5])
    G = symgrad.grad(mask_from_arguments)
    check_grads(G, x, y)
    _no_sympy_names(G)
    G = symgrad.grad(where_in_where)
    check_grads(G, np.array([-2.0, 0.5, 3.0, -0.7]))
    _no_sympy_names(G)
    G = symgrad.grad(count_plus_zero)
    assert G(x, y) == 1.0
    for g in G.grad(x, y):
        np.testing.assert_array_equal(g, 0.0)
    _no_sympy_names(G)


# ---------------------------------------------------------------- 15: masks as numbers


def relu_left(x):
    return np.sum((x > 0) * x)


def relu_right(z):
    return np.sum(z * (z > 0))


def relu_float(x):
    return np.sum((x > 0) * 1.0 * x**2)


def mask_plus(x):
    return np.sum((x > 0) + x)


def two_masks(x):
    return np.sum((x > 0) * x + (x > 1) * x)  # gradient 1 + 1 where x > 1, not numpy's or


def negated_named_mask(x, y):
    above = x > y
    return np.sum(above * (x - y) + (y > 0.5) * np.sin(y))


@pytest.mark.parametrize("fn", [relu_left, relu_right, relu_float, mask_plus, two_masks,
                                negated_named_mask])
def test_comparisons_used_as_numbers(fn):
    rng = np.random.default_rng(2)
    args = [np.array([-1.0, 0.4, 2.0, 1.7]), np.array([0.3, -0.2, 0.9, 0.1])]
    args = args[:fn.__code__.co_argcount]
    G = symgrad.grad(fn)
    np.testing.assert_allclose(G(*args), fn(*args))
    check_grads(G, *args)
    check_grads(G, *[rng.normal(size=(3, 4)) for _ in args])
    _no_sympy_names(G)


def test_relu_idiom_against_torch():
    x = np.array([-1.0, 0.0, 2.0, 3.0])
    tx = _t(x, True)
    ((tx > 0) * tx + (tx > 1) * tx).sum().backward()
    np.testing.assert_allclose(symgrad.grad(two_masks).grad(x), tx.grad.numpy())


def masks_and_or_not(x):
    return np.sum(np.where((x > 0) & ~(x > 2) | (x < -1), x**2, -x))


def scalar_and_not(x, y):
    if x > 0 and not y > 1:
        return x * y
    return x


def test_and_or_not_on_masks_and_conditions():
    G = symgrad.grad(masks_and_or_not)
    x = np.array([-1.5, -0.5, 0.5, 1.5, 2.5])
    np.testing.assert_allclose(G(x), masks_and_or_not(x))
    check_grads(G, x)
    G = symgrad.grad(scalar_and_not)
    for a, b in [(1.0, 0.5), (1.0, 2.0), (-1.0, 0.5)]:
        assert G(a, b) == scalar_and_not(a, b)
        check_grads(G, a, b)


def not_nan(x):
    return np.sum(np.where(~(x > 0.0), 1.0, x))


def test_not_of_a_comparison_keeps_nan():
    # SymPy rewrites Not(x > 0) as x <= 0, which is False for NaN where ~(x > 0) is True
    x = np.array([np.nan, 1.0, -1.0])
    np.testing.assert_array_equal(symgrad.grad(not_nan)(x), not_nan(x))


# ---------------------------------------------------------------- 16b, 16d


def constant_mask(x):
    return np.sum(np.where(np.array([True, False, True]), x, 0.0))


def scalar_branch(x, active):
    return np.sum(np.where(active, np.sum(x**2), 0.0))


def test_constant_mask_and_scalar_branch():
    G = symgrad.grad(constant_mask)
    np.testing.assert_array_equal(check_grads(G, np.array([1.0, 2.0, 3.0]))[0], [1, 0, 1])
    G = symgrad.grad(scalar_branch, wrt="x")
    for active in (np.array([True, False]), np.array([True, True, False]), np.array(True)):
        g = check_grads(G, np.array([1.0, 2.0]), active)[0]
        np.testing.assert_allclose(g, 2 * np.array([1.0, 2.0]) * active.sum())


def test_eager_tensor_where_and_relu_still_like_torch():
    torch = _torch()
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    t = symgrad.tensor(x, requires_grad=True)
    (symgrad.where(t > 0.2, t * t, -t).sum() + t.relu().sum() + t.maximum(t * 0 + 0.5).sum()
     ).backward()
    tx = _t(x, True)
    (torch.where(tx > 0.2, tx * tx, -tx).sum() + tx.relu().sum() +
     tx.maximum(tx * 0 + 0.5).sum()).backward()
    np.testing.assert_allclose(t.grad.numpy() if hasattr(t.grad, "numpy") else t.grad,
                               tx.grad.numpy())


# ------------------------------ found by the printer round trip: masks used as numbers


def sum_of_masks(x, y):
    return np.sum(((x > y) + (x > 0.5)) * x)  # numpy: the `or` of the masks


def sum_of_named_masks(x, y):
    s = x > y
    t = s + s  # still s: True + True is True for numpy's bools
    return np.sum(t * x + (s + True) * y)


def mask_times_negation(x, y):
    return np.sum((x > y) * (-x))  # SymPy writes -x*(x > y); numpy refuses -(x > y)


def named_mask_times_negation(x, y):
    s = x > y
    return np.sum(s * (-x) - np.tanh(y) * s)


@pytest.mark.parametrize("fn", [sum_of_masks, sum_of_named_masks, mask_times_negation,
                                named_mask_times_negation])
def test_masks_as_numbers_keep_numpys_value_and_gradient(fn):
    x = np.array([1.0, 2.0, -1.0, 0.3]); y = np.array([0.0, 1.0, 1.0, 0.7])  # noqa: E702
    G = symgrad.grad(fn)
    value, grads = G.value_and_grad(x, y)
    np.testing.assert_allclose(value, fn(x, y))
    for g, expected in zip(grads, check_grads(G, x, y), strict=True):
        np.testing.assert_allclose(g, expected)
    _no_sympy_names(G)
    torch = _torch()
    tx, ty = _t(x, True), _t(y, True)
    {sum_of_masks: lambda: (((tx > ty) | (tx > 0.5)) * tx).sum(),
     sum_of_named_masks: lambda: ((tx > ty) * tx + ty).sum(),
     mask_times_negation: lambda: ((tx > ty) * (-tx)).sum(),
     named_mask_times_negation: lambda: ((tx > ty) * (-tx) - torch.tanh(ty) * (tx > ty)).sum(),
     }[fn]().backward()
    for g, t in zip(grads, (tx, ty), strict=True):  # (None: no gradient reaches it)
        np.testing.assert_allclose(g, 0 * x if t.grad is None else t.grad.numpy())


def and_of_a_number(x, a):
    return np.sum((a > 0 and 2) * x + (a < 0 or 3) * x + (-1 or a > 0) * x)  # 2, 3, -1


def test_and_or_keep_their_last_value_when_it_is_a_number():
    x = np.array([1.0, -2.0, 0.5])
    for a in (0.7, -0.7):
        G = symgrad.grad(and_of_a_number, wrt="x")
        value, g = G.value_and_grad(x, a)
        np.testing.assert_allclose(value, and_of_a_number(x, a))
        np.testing.assert_allclose(g, check_grads(G, x, a)[0])
