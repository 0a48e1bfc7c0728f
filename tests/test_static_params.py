"""Static parameters, inferred: a string mode or an axis passed as a parameter specialises
the generated code per value (as jax.jit's static_argnames). Each value: the primal against
the plain function, the gradient against central differences and torch."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

rng = np.random.default_rng(15)


def loss(x, reduction="mean"):
    if reduction == "mean":
        return np.mean(x ** 2)
    elif reduction == "sum":
        return np.sum(x ** 2)
    return np.max(x ** 2)


def summed(x, axis=0):
    return np.sum(np.sum(x ** 2, axis=axis) ** 2)


def both(x, w, axis=-1, mode="l2", keepdims=False):
    s = np.sum(x * w, axis=axis, keepdims=keepdims)
    if mode != "l2":
        return np.sum(np.abs(s))
    return np.sum(s ** 2)


def counted(x, n=2):
    s = 0.0
    for i in range(n):
        s = s + np.sum(x[i] ** 2)
    return s


@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 3, 2)])
def test_string_mode(shape):
    x = rng.normal(size=shape)
    G = symgrad.grad(loss, wrt="x")
    for r in ("mean", "sum", "max", "mean"):
        assert_same_array(G(x, r), loss(x, r))
        assert_same_array(G(x, reduction=r), loss(x, reduction=r))
        check_grads(G, x, r)
    assert_same_array(G(x), loss(x))  # the default


def test_source_shows_the_latest_specialisation():
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(loss, wrt="x")
    assert "np.mean(x**2)" in G.source and "reduction ==" not in G.source
    G(x, "sum")
    assert "np.sum(x**2)" in G.source and "np.mean" not in G.source
    assert "reduction='sum'" in G.source
    G.grad(x, "mean")
    assert "np.mean(x**2)" in G.source


@pytest.mark.parametrize("axis", [0, 1, -1, None, (0, 1)])
def test_axis_parameter(axis):
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(summed, wrt="x")
    assert_same_array(G(x, axis), summed(x, axis))
    check_grads(G, x, axis)


def test_several_statics_and_torch():
    torch = pytest.importorskip("torch")
    x, w = rng.normal(size=(3, 4)), rng.normal(size=4)
    G = symgrad.grad(both, wrt=("x", "w"))
    for axis, mode, keepdims in [(-1, "l2", False), (0, "l1", True), (1, "l2", True)]:
        assert_same_array(G(x, w, axis, mode, keepdims), both(x, w, axis, mode, keepdims))
        grads = check_grads(G, x, w, axis, mode, keepdims)
        tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
        s = (tx * tw).sum(dim=axis, keepdim=keepdims)
        (s ** 2 if mode == "l2" else s.abs()).sum().backward()
        np.testing.assert_allclose(grads[0], tx.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(grads[1], tw.grad.numpy(), rtol=1e-10)


def test_a_number_used_as_a_number_stays_an_argument():
    G = symgrad.grad(counted, wrt="x")
    assert "range(n)" in G.source
    x = rng.normal(size=(4, 2))
    for n in (1, 3):
        assert_same_array(G(x, n), counted(x, n))


def test_one_transformation_per_value():
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(summed, wrt="x")
    for axis in (0, 1, 0, 1, 0):
        G(x, axis)
    assert len(G._specialised) == 2
    G(x, np.int64(1))  # another type: a value of its own
    assert len(G._specialised) == 3


def test_a_non_static_value_is_refused_naming_the_parameter():
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(summed, wrt="x")
    with pytest.raises(symgrad.SymgradError, match="argument 'axis' is a static parameter"):
        G(x, np.array(1))
    with pytest.raises(symgrad.SymgradError, match="argument 'axis' is a static parameter"):
        G.grad(x, 1.5)


def no_default_mode(x, mode):
    if mode == "a":
        return np.sum(x)
    return np.sum(x * 2)


def test_without_a_default_the_string_is_still_refused():
    with pytest.raises(symgrad.SymgradError, match="a string can be compared .* only with "
                       "a string known at decoration time"):
        symgrad.grad(no_default_mode, wrt="x")


def string_arithmetic(x, mode="a"):
    return np.sum(x * mode)


def test_a_string_used_as_a_number_is_not_static():
    G = symgrad.grad(string_arithmetic, wrt="x")  # not static: numpy refuses it at the call
    assert G._statics == {}
    with pytest.raises(symgrad.SymgradError, match="argument 'mode' is a str"):
        G(rng.normal(size=3))
