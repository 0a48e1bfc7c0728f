"""Defects the generative fuzzer (tests/fuzz_arrays_gen.py) found, each as its minimal program.

Gradients are checked against central differences in float64 and, where torch is installed,
against torch.
"""

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

X = np.array([[0.3, -0.7, 0.9], [1.2, 0.1, -1.4]])
W = np.array([0.4, -0.9, 1.3])


def _torch():
    return pytest.importorskip("torch")


def _torch_grads(f_torch, args, wrt):
    torch = _torch()
    ts = [torch.tensor(a, dtype=torch.float64 if np.asarray(a).dtype.kind == "f" else None,
                       requires_grad=i in wrt) for i, a in enumerate(args)]
    f_torch(*ts).sum().backward()
    return [ts[i].grad.numpy() for i in wrt]


# ------------------------------------------------- masks used as numbers, printed by numpy
# SymPy counts a mask as 0/1; numpy refuses -m and m1 - m2 and computes m1 + m2 as their or.
# cse can pull a mask out into a temp (t0 = v > 0.5) and leave -t0*(s + 1) behind.


def negated_masked_product(v, s):
    t = -((v > 0.5) * (s + 1.0))
    return np.sum(np.mean(t, axis=0))


def mask_minus_clip_slope(u, s):
    return np.sum((s <= s) * u - np.clip(u, -0.5, 0.5))


def negated_mask_input(x, m):
    return np.sum(np.maximum(m * -1.0 - 0.6, x))


def sign_of_a_mask(v, w):  # d|(m*w)**1.5| has np.sign(m) (SymPy splits sign(m*w))
    return np.sum(np.abs(((v < 0.5) * w) ** 1.5))


@pytest.mark.parametrize("f, args", [
    (negated_masked_product, (X, 0.3)),
    (mask_minus_clip_slope, (X, 0.2)),
    (sign_of_a_mask, (X - 2.0, np.abs(W))),
])
def test_a_mask_used_as_a_number_runs_and_differentiates(f, args):
    G = symgrad.grad(f, wrt=f.__code__.co_varnames[:2])
    np.testing.assert_allclose(G(*args), f(*args))
    check_grads(G, *args)
    value, _ = G.value_and_grad(*args)
    np.testing.assert_allclose(value, f(*args))


def test_a_bool_array_passed_in_is_negated_as_a_number():
    m = np.array([True, False, True])
    G = symgrad.grad(negated_mask_input, wrt="x")
    np.testing.assert_allclose(G(X, m), negated_mask_input(X, m))
    check_grads(G, X, m)
    torch = _torch()
    (expected,) = _torch_grads(lambda x, m: torch.maximum(m * -1.0 - 0.6, x), (X, m), [0])
    np.testing.assert_allclose(G.grad(X, m), expected)


# ------------------------------------ a zero cotangent times an infinite or NaN slope is 0
# The chain rule through a branch a where discards multiplies a 0 cotangent by the slope of
# that branch, NaN where the branch is (np.sqrt(s) at s < 0): the derivative there is 0, as
# central differences say (torch gives NaN). And a slope's mask (clip's, maximum's) selects,
# as torch's backward of clamp does, instead of multiplying 0 by an infinite cotangent.


def where_discards_a_nan_branch(s):
    return np.sum(np.where(0.5 > s, 0.5, np.sqrt(s) ** 2))


def where_discards_a_nan_branch_broadcast(x, u, s):
    return np.sum(np.where(s <= u ** -2, 0.3, np.sqrt(x) ** 2))


def division_by_a_saturated_clip(v, s):
    return np.sum(s / np.clip(np.clip(v, 0, 1), 0, 1))


def test_a_discarded_nan_branch_has_gradient_zero():
    s = np.array([-0.2, 0.7, 1.3])
    G = symgrad.grad(where_discards_a_nan_branch)
    np.testing.assert_allclose(G.grad(s), [0.0, 1.0, 1.0])
    check_grads(G, s)


def test_a_discarded_nan_branch_summed_over_a_broadcast_has_gradient_zero():
    x = np.array([[-0.6, -0.3], [-0.1, -0.5], [0.2, 0.7]])
    u = np.array([[1.5], [-0.8], [3.0]])
    G = symgrad.grad(where_discards_a_nan_branch_broadcast, wrt="x")
    np.testing.assert_allclose(G.grad(x, u, 0.3)[2], [1.0, 1.0])
    check_grads(G, x, u, 0.3)


def test_a_saturated_clip_under_a_division_has_gradient_zero_as_in_torch():
    torch = _torch()
    v = np.array([-0.5, 0.3, 1.5])
    G = symgrad.grad(division_by_a_saturated_clip, wrt=("v", "s"))
    gv, gs = G.grad(v, 0.7)
    tv, ts = _torch_grads(lambda v, s: s / torch.clamp(torch.clamp(v, 0, 1), 0, 1),
                          (v, np.float64(0.7)), [0, 1])
    np.testing.assert_allclose(gv, tv)
    np.testing.assert_allclose(gv, [0.0, -0.7 / 0.09, 0.0])
    np.testing.assert_allclose(gs, ts)


# --------------------------------- np.maximum / np.minimum: torch's slope, selected, at NaN
# torch.maximum's backward is where(a == b, g/2, g) with 0 filled in where the other side
# wins: a NaN cotangent on the losing side gives 0, and at a NaN operand (no side wins) both
# sides get the whole gradient. symgrad gave 0 to both there, and NaN to the losing side.


def maximum_of_a_nan(v):
    return np.sum(np.maximum(np.log(v), v))


def sqrt_of_a_negated_maximum(w, s):
    return np.sum(np.sqrt(-np.maximum(w, s)))


def minimum_with_a_nan_inside_a_sum(u, w, s):  # fuzz seed 78
    return np.sum(np.minimum(u ** 0.5, np.maximum(w, s).sum(axis=-1)))


@pytest.mark.parametrize("f, torch_f, args", [
    (maximum_of_a_nan, lambda t, v: t.maximum(t.log(v), v), (np.array([-0.16, 0.07, 2.0]),)),
    (sqrt_of_a_negated_maximum, lambda t, w, s: t.sqrt(-t.maximum(w, s)),
     (np.array([0.15, 1.46]), np.float64(-0.93))),
    (minimum_with_a_nan_inside_a_sum,
     lambda t, u, w, s: t.minimum(u ** 0.5, t.maximum(w, s).sum(dim=-1)),
     (np.array([[-0.5], [0.2], [4.0]]), np.array([0.3, -0.4]), np.float64(0.1))),
])
def test_maximum_and_minimum_gradients_are_torchs_at_nan(f, torch_f, args):
    torch = _torch()
    names = f.__code__.co_varnames[:f.__code__.co_argcount]
    G = symgrad.grad(f, wrt=names)
    ours = G.grad(*args)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = _torch_grads(lambda *a: torch_f(torch, *a), args, list(range(len(args))))
    for name, g, t in zip(names, ours, theirs, strict=True):
        np.testing.assert_allclose(g, t, err_msg=f"d/d{name}")


def test_abs_of_an_expression_has_torchs_slope_sign():
    """SymPy's slope of Abs of a non-real-provable expression was the complex form
    (re*re' + im*im')/|a|: unreadable, and 0/0 = nan at u = 1, where torch's slope of
    |log(u)| is sign(0)/1 = 0."""
    import torch

    def f(u):
        return np.sum(np.abs(np.log(u)) - np.tanh(np.tanh(u)))

    u = np.array([0.3, 1.0, 0.53, 2.0])
    G = symgrad.grad(f)
    t = torch.tensor(u, requires_grad=True)
    (torch.abs(torch.log(t)) - torch.tanh(torch.tanh(t))).sum().backward()
    np.testing.assert_allclose(G.grad(u), t.grad.numpy(), rtol=1e-12)


def test_a_root_merged_by_the_product_rule_keeps_its_nan():
    """d log(sqrt(t)) is 1/(2t) to SymPy, finite where t < 0; numpy's chain rule and torch
    give nan there (the value is nan), and 1/(2t) elsewhere."""
    import torch

    def f(v):
        return np.sum(np.log(np.sqrt(0.3 - v)))

    v = np.array([0.41804496682156955, 0.14860382262770955, -1.2870331820064793])
    t = torch.tensor(v, requires_grad=True)
    torch.log(torch.sqrt(0.3 - t)).sum().backward()
    with np.errstate(invalid="ignore"):
        got = symgrad.grad(f).grad(v)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(t.grad.numpy()))
    np.testing.assert_allclose(got[1:], t.grad.numpy()[1:], rtol=1e-12)


def _mod_sum(w, s):
    return np.sum(s % w) + np.sum(w % s)


def _mod_mean(w, s):
    return np.mean(s % w) + np.sum(w % s)


@pytest.mark.parametrize("f, reduce", [(_mod_sum, "sum"), (_mod_mean, "mean")])
def test_a_scalar_broadcast_through_mod_gets_the_summed_gradient(f, reduce):
    """``s % w`` with a scalar s: d/ds is 1 at each of w's entries, summed back to s. The
    cotangent stayed a scalar (``_sum_to(grad_out, s)``): d/ds came out 1/len(w) of it."""
    import torch

    w = np.array([0.35, -0.92, 0.0104, -0.81])
    s = np.float64(-1.098)
    gw, gs = symgrad.grad(f).grad(w, s)
    tw = torch.tensor(w, requires_grad=True)
    ts = torch.tensor(s, requires_grad=True)
    (getattr(torch, reduce)(torch.remainder(ts, tw)) + torch.remainder(tw, ts).sum()).backward()
    np.testing.assert_allclose(gs, ts.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12)


def _cancelling(u, s):
    return np.sum(((1.5 - u) + (1.0 + s)) - ((2.0 - u) - (2.0 + s)))


def test_value_and_grad_keeps_a_broadcast_that_cse_would_cancel():
    """value_and_grad's cse rebuilt ``s - u - (-u - (s + 2) + 2)`` as ``2*s + 5/2``: u and its
    broadcast were gone, so its value was summed over one element instead of four (fuzz seed
    4428; the plain primal, printed without cse, was right)."""
    u = np.array([[-0.64], [-0.45], [1.46], [-1.18]])
    s = -0.568
    G = symgrad.grad(_cancelling)
    value, (gu, gs) = G.value_and_grad(u, s)
    np.testing.assert_allclose(value, _cancelling(u, s), rtol=1e-12)
    np.testing.assert_allclose(G(u, s), _cancelling(u, s), rtol=1e-12)
    np.testing.assert_array_equal(gu, np.zeros_like(u))
    np.testing.assert_allclose(gs, 8.0)


def _clip_of_a_constant_floordiv(s):
    return np.clip((0.5 // 0.7), (-1.0), 0.2) * np.maximum(((2.0 >= 1.5) * 1.0) * s, s * s) \
        + (7.5 % 2.0) * s


def test_floordiv_and_mod_of_float_constants_are_numbers():
    """``0.5 // 0.7`` stayed an unevaluated FloorDiv, which SymPy cannot compare inside clip
    or Max: decoration crashed ("not comparable"; fuzz seed 3159)."""
    G = symgrad.grad(_clip_of_a_constant_floordiv)
    for s in (-1.4368679509159816, 0.3):
        np.testing.assert_allclose(G(s), _clip_of_a_constant_floordiv(s), rtol=1e-12)
        np.testing.assert_allclose(G.grad(s), 1.5, rtol=1e-12)


def _over_zero(x):
    return np.sum(x / 0.0 + x)


def test_a_value_divided_by_a_constant_zero_is_refused_at_decoration():
    """``x / 0.0`` was SymPy's ``zoo*x``: refused only by the generated-code guard, as an
    internal error; it is the user's division by zero, refused with their line."""
    with pytest.raises(symgrad.SymgradError, match="division by the constant 0"):
        symgrad.grad(_over_zero)


# ------------------------------- a NaN cotangent under nested masks: selected, as in torch
# where_of_cotangent folded g*where(c, a, 0) into where(c, g*a, 0) one level deep and only in
# a product of a single where: a mask inside the folded branch (minimum's slope inside a
# user's where), a product that also holds a primal where, and clip's mask inside maximum's
# folded slope stayed factors, so 0*nan = nan reached the gradient where torch selects 0.


def minimum_inside_a_where(w, s):  # fuzz seeds 389, 390
    return np.sum(np.exp(np.log(s * np.where(0.5 >= s * -0.5, np.abs(0.7),
                                             np.minimum(w / (1.0 + w ** 2), 0.0)))))


def square_of_a_where(v, s, mrow):  # fuzz seed 1260
    return np.sum(np.sqrt(np.where(mrow, (v >= s) * ((s ** 2 >= -1.0) * -1.0),
                                   np.mean(v, axis=-2)) ** 2))


def maximum_of_a_clip(x, w):  # fuzz seed 1534
    return np.sum(np.sum(x - np.exp(np.log(np.maximum(np.clip(w, 0.0, 1.0), 0.0))), axis=0))


@pytest.mark.parametrize("f, torch_f, args, wrt", [
    (minimum_inside_a_where,
     lambda t, w, s: t.exp(t.log(s * t.where(0.5 >= s * -0.5, t.abs(t.tensor(0.7)),
                                             t.minimum(w / (1.0 + w ** 2), t.tensor(0.0))))),
     (np.array([-1.1551, 0.1429, 0.2421]), np.float64(-1.0233)), "w"),
    (square_of_a_where,
     lambda t, v, s, mrow: t.sqrt(t.where(mrow, (v >= s) * ((s ** 2 >= -1.0) * -1.0),
                                          t.mean(v, dim=-2)) ** 2),
     (np.array([[-1.2601, -0.7304, -0.5355, -0.1354]]), np.float64(0.3179),
      np.array([False, True, True, True])), "v"),
    (maximum_of_a_clip,
     lambda t, x, w: t.sum(x - t.exp(t.log(t.maximum(t.clamp(w, 0.0, 1.0), t.tensor(0.0))))),
     (np.array([[-1.19, 1.17, -1.29], [0.41, -0.25, -1.05]]), np.array([-0.129, -1.146, 0.74])),
     "w"),
])
def test_a_nan_cotangent_under_nested_masks_is_selected_as_in_torch(f, torch_f, args, wrt):
    torch = _torch()
    G = symgrad.grad(f, wrt=wrt)
    i = G.params.index(wrt)
    theirs, = _torch_grads(lambda *a: torch_f(torch, *a), args, [i])
    np.testing.assert_allclose(G.grad(*args), theirs)
    assert not np.isnan(theirs).any()
    check_grads(G, *args)


# ------------------------------------ a fractional root's exponent printed unparenthesized
# Root(b, 3/2) printed as b**3/2, which Python reads as (b**3)/2: log(u**1.5) had the slope
# 1.5*sqrt(u)/(u**3/2) (fuzz seeds 1648, 1809, 2758).


def log_of_a_fractional_power(u):
    return np.sum(np.log(u ** 1.5))


def log_of_a_cube_root_of_a_sum(x):
    return np.sum(np.log(np.sum(x, axis=-1) ** (1 / 3)))


@pytest.mark.parametrize("f, torch_f, x", [
    (log_of_a_fractional_power, lambda t, u: t.log(u ** 1.5), np.array([1.34, 0.94, 0.21])),
    (log_of_a_cube_root_of_a_sum, lambda t, x: t.log(t.sum(x, dim=-1) ** (1 / 3)),
     np.array([[1.42, 0.87], [0.52, 0.37]])),
])
def test_a_fractional_root_in_a_slope_keeps_its_exponent(f, torch_f, x):
    torch = _torch()
    G = symgrad.grad(f)
    theirs, = _torch_grads(lambda a: torch_f(torch, a), (x,), [0])
    np.testing.assert_allclose(G.grad(x), theirs)
    check_grads(G, x)
