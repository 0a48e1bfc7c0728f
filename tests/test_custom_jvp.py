"""``@symgrad.custom_jvp`` with ``@f.defjvp`` (JAX's semantics): forward mode calls the
rule, reverse mode transposes it (refused when it is not linear in the tangents). Checked
against central differences and torch where the rule is the true derivative, and against
the rule itself where it is not (a straight-through jvp)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradutil import numeric_grad

import symgrad
from symgrad import SymgradError

R = np.random.default_rng(11)


@symgrad.custom_jvp
def softplus(x):
    return np.log1p(np.exp(x))


@softplus.defjvp
def softplus_jvp(primals, tangents):
    x, = primals
    dx, = tangents
    return softplus(x), dx / (1 + np.exp(-x))


@symgrad.custom_jvp
def scaled(a, b):
    return a * np.sin(b)


@scaled.defjvp
def scaled_jvp(primals, tangents):
    a, b = primals
    da, db = tangents
    return a * np.sin(b), da * np.sin(b) + a * np.cos(b) * db


@symgrad.custom_jvp
def rounded(x):
    return np.round(x)


@rounded.defjvp
def rounded_jvp(primals, tangents):
    x, = primals
    dx, = tangents
    return np.round(x), 0.5 * dx  # not the derivative: a rule the result must follow


@symgrad.custom_jvp
def squared(x):
    return x ** 2


@squared.defjvp
def squared_jvp(primals, tangents):
    x, = primals
    dx, = tangents
    return x ** 2, dx * dx  # not linear in dx


def loss(w, x):
    return np.sum(softplus(x * w) * w)


def two_args(a, b):
    return np.sum(scaled(a ** 2, b) + scaled(b, a))


def with_round(x):
    return np.sum(rounded(3 * x) * x)


def test_forward_mode_calls_the_rule_and_matches_fd_and_torch():
    w, x, dw = R.normal(size=4), R.normal(size=4), R.normal(size=4)
    G = symgrad.grad(loss, wrt="w")
    assert "softplus_jvp((" in G.jvp.source
    value, tangent = G.jvp(w, x, tangents=dw)
    assert np.isclose(value, loss(w, x))
    fd = (loss(w + 1e-6 * dw, x) - loss(w - 1e-6 * dw, x)) / 2e-6
    assert np.isclose(tangent, fd, rtol=1e-6)
    wt = torch.tensor(w)
    _, t = torch.func.jvp(lambda w_: torch.sum(torch.nn.functional.softplus(
        torch.tensor(x) * w_) * w_), (wt,), (torch.tensor(dw),))
    assert np.isclose(tangent, float(t), rtol=1e-10)


def test_reverse_mode_transposes_the_rule():
    w, x = R.normal(size=4), R.normal(size=4)
    G = symgrad.grad(loss, wrt="w")
    assert "softplus_jvp_transposed" in G.source
    assert np.allclose(G.grad(w, x), numeric_grad(loss, [w, x], 0), rtol=1e-6)
    a, b = R.normal(size=3), R.normal(size=3)
    G2 = symgrad.grad(two_args)
    ga, gb = G2.grad(a, b)
    assert np.allclose(ga, numeric_grad(two_args, [a, b], 0), rtol=1e-6)
    assert np.allclose(gb, numeric_grad(two_args, [a, b], 1), rtol=1e-6)
    _, tangent = G2.jvp(a, b, tangents=(np.ones(3), np.zeros(3)))
    assert np.isclose(tangent, np.sum(ga), rtol=1e-10)


def test_a_rule_that_is_not_the_derivative_is_followed_in_both_modes():
    x = np.array([0.2, 0.45, 1.3])
    G = symgrad.grad(with_round)
    expected = 0.5 * 3 * x + np.round(3 * x)  # d/dx [r(3x) x] with r' := 0.5
    assert np.allclose(G.grad(x), expected)
    assert np.allclose(G.jacobian(x, mode="fwd"), expected)
    assert np.allclose(G.jacobian(x, mode="rev"), expected)


def test_a_rule_not_linear_in_the_tangents_is_refused_in_reverse_mode():
    with pytest.raises(SymgradError, match="not linear in the tangents"):
        symgrad.grad(lambda_free_squared)


def lambda_free_squared(x):
    return np.sum(squared(x))


def test_the_module_is_standalone(tmp_path):
    w, x = R.normal(size=4), R.normal(size=4)
    G = symgrad.grad(loss, wrt="w")
    namespace: dict = {}
    exec(compile(G.source, "<standalone>", "exec"), namespace)
    assert np.allclose(namespace["loss_grad"](w, x), G.grad(w, x))
    namespace = {}
    exec(compile(G.jvp.source, "<standalone jvp>", "exec"), namespace)
    assert np.allclose(namespace["loss_jvp"](w, x, np.ones(4))[1], G.jvp(w, x, tangents=np.ones(4))[1])


def test_tensors_backward_through_the_transposed_rule():
    x = R.normal(size=3)
    t = symgrad.tensor(x, requires_grad=True)
    y = softplus(t)
    y.sum().backward()
    assert np.allclose(t.grad.numpy(), 1 / (1 + np.exp(-x)))


def test_free_function_jvp():
    a, b = R.normal(size=3), R.normal(size=3)
    _, t = symgrad.jvp(two_args, (a, b), (np.ones(3), np.ones(3)))
    fd = (two_args(a + 1e-6, b + 1e-6) - two_args(a - 1e-6, b - 1e-6)) / 2e-6
    assert np.isclose(t, fd, rtol=1e-6)


@symgrad.custom_jvp
def scale(x, k=2.0):
    return k * np.sin(x)


@scale.defjvp
def scale_jvp(primals, tangents):
    x, k = primals
    dx, dk = tangents
    return k * np.sin(x), k * np.cos(x) * dx + np.sin(x) * dk


def with_defaults(x):
    return np.sum(scale(x) + scale(x, 3.0))


def test_default_arguments_and_second_order_refused():
    x = np.array([0.1, 0.5])
    G = symgrad.grad(with_defaults)
    assert np.allclose(G.grad(x), numeric_grad(with_defaults, [x], 0), rtol=1e-6)
    assert np.isclose(G.jvp(x, tangents=np.ones(2))[1], np.sum(5 * np.cos(x)))
    with pytest.raises(SymgradError, match="not supported"):
        G.hvp(x, v=np.ones(2))
