"""Review of the speed changes (chain_rule, the printer cache, the gradient's reused cse, the
batched Hessian): properties on random expressions and regressions of what the review found."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp
from random_forms import random_form, x, y
from sympy.core.parameters import distribute

import symgrad
from symgrad.derivative import chain_rule

torch = pytest.importorskip("torch")

_random_expression = random_form


def test_chain_rule_is_sympy_diff_on_random_compositions_of_the_rules():
    """(Up to how a power's slope is written.)"""
    checked = 0
    for seed in range(80):
        expr = _random_expression(random.Random(seed), 3)
        for var in (x, y):
            with distribute(False):
                expected = sp.diff(expr, var)
                got = chain_rule(expr, var)
                if expected.has(sp.Derivative):  # (sign of what SymPy cannot tell is real)
                    assert not got.has(sp.Derivative), (seed, expr, var, got)
                    continue
                # sign's slope is 0, SymPy's 2*DiracDelta(u)*du: what the adjoint drops
                expected = expected.replace(sp.DiracDelta, lambda *a: sp.Integer(0))
                # a power's slope is written exp*base**(exp - 1)*dbase, SymPy's
                # e*exp*dbase/base, which cancels: equal as algebra
                assert got == expected or sp.simplify(got - expected) == 0, \
                    (seed, expr, var)
            checked += expected != 0
    assert checked > 40  # most of them do depend on the variable


def _hvp_shape_read_program(B, v):
    h0 = np.mean(np.abs(B)[0], axis=0, keepdims=True)
    return np.sum(np.mean(h0, axis=0, keepdims=False) * np.sum(v, axis=0, keepdims=False))


def test_hessian_where_a_shape_is_read_before_the_gradient_of_that_shape_is_named():
    # The hvp's tangent read the shape of mean(h0) off grad_h0, a gradient its program
    # computes only later (UnboundLocalError in G.hessian, G.hessian.by_columns and G.hvp).
    rng = np.random.default_rng(186)
    B, v = rng.normal(size=(3, 3)), rng.normal(size=(2, 1))
    G = symgrad.grad(_hvp_shape_read_program, wrt=("B", "v"))

    def f_torch(B_, v_):
        h0 = torch.mean(torch.abs(B_)[0], dim=0, keepdim=True)
        return torch.sum(torch.mean(h0, dim=0) * torch.sum(v_, dim=0))

    expected = torch.func.hessian(f_torch, argnums=(0, 1))(torch.tensor(B), torch.tensor(v))
    for H in (G.hessian(B, v), G.hessian.by_columns(B, v)):
        for row, row_t in zip(H, expected, strict=True):
            for block, block_t in zip(row, row_t, strict=True):
                want = np.zeros(block_t.shape) if block_t._is_zerotensor() else block_t.numpy()
                np.testing.assert_allclose(block, want, rtol=1e-10, atol=1e-12)


def _dropped_statements(x, y):
    p = (x - y) ** 2
    q = np.sum(p)
    r = np.mean(np.log(1 + p)) + q
    return r + np.sum((x - y) ** 2 * x)


def test_the_gradient_with_value_and_grads_cse_equals_value_and_grad_and_fd():
    G = symgrad.grad(_dropped_statements, wrt=("x", "y"))
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=4), rng.normal(size=4)
    grads = G.grad(a, b)
    _, grads2 = G.value_and_grad(a, b)
    eps = 1e-6
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, grads2[i], rtol=1e-13)
        for k in range(4):
            plus, minus = [a.copy(), b.copy()], [a.copy(), b.copy()]
            plus[i][k] += eps
            minus[i][k] -= eps
            fd = (_dropped_statements(*plus) - _dropped_statements(*minus)) / (2 * eps)
            assert abs(g[k] - fd) < 1e-6
