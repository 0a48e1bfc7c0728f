"""Adversarial review of the transformations beyond grad (issue 14): jvp, vjp, jacobian,
hvp, hessian and custom rules, each finding as a minimal reproducer against torch.func and
central differences in float64. Fixed findings are regression tests; open ones strict
xfails."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")


def _torch_hessian(f, *args):
    return torch.func.hessian(f, argnums=tuple(range(len(args))))(
        *(torch.tensor(np.asarray(a, dtype=float)) for a in args))


def _assert_nested(got, want):
    for i, row in enumerate(want):
        for j, block in enumerate(row):
            np.testing.assert_allclose(np.asarray(got[i][j], dtype=float),
                                       block.detach().numpy(), rtol=1e-6, atol=1e-9)


def sum_pow(x, p):
    return np.sum(x ** p)


def scalar_pow(x, p):
    return x ** p


@pytest.mark.parametrize("x, p", [
    (np.array([0.5, 1.5, 2.0]), 2.5),
    (np.array([0.0, 1.5]), 2.5),
    (np.array([0.0, 2.0]), 2.0),
    (np.array([0.0, 1.5]), 0.0),
])
def test_hessian_of_a_symbolic_power_matches_torch(x, p):
    # was: 'internal error ... reads names it never defines: Subs, Derivative' (the
    # slopes of b**e had no derivatives of their own)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        H = symgrad.grad(sum_pow, wrt=(0, 1)).hessian(x, p)
        Hx = symgrad.grad(sum_pow, wrt=0).hessian(x, p)
    want = _torch_hessian(lambda x, p: torch.sum(x ** p), x, p)
    _assert_nested(H, want)
    np.testing.assert_allclose(Hx, want[0][0].numpy(), rtol=1e-6, atol=1e-9)


def test_hessian_of_a_symbolic_power_matches_differences_of_the_gradient():
    G = symgrad.grad(sum_pow, wrt=(0, 1))
    x, p, eps = np.array([0.7, 1.3, 2.1]), 1.7, 1e-6
    H = G.hessian(x, p)
    for j in range(3):
        e = np.zeros(3)
        e[j] = eps
        gp, gm = G.grad(x + e, p), G.grad(x - e, p)
        for i in range(2):
            col = (np.asarray(gp[i]) - np.asarray(gm[i])) / (2 * eps)
            np.testing.assert_allclose(np.asarray(H[i][0])[..., j], col, rtol=1e-5)
    gp, gm = G.grad(x, p + eps), G.grad(x, p - eps)
    np.testing.assert_allclose(H[0][1], (gp[0] - gm[0]) / (2 * eps), rtol=1e-5)
    np.testing.assert_allclose(H[1][1], (gp[1] - gm[1]) / (2 * eps), rtol=1e-5)


@pytest.mark.parametrize("x, p", [(0.0, 0.5), (0.0, 2.0), (0.0, 1.0), (2.0, 0.0)])
def test_jvp_and_hessian_at_python_floats_where_the_slope_divides_by_zero(x, p):
    # was: ZeroDivisionError from the generated jvp/hvp on Python floats (G.grad retries
    # with numpy floats; the forward-mode modules did not)
    G = symgrad.grad(scalar_pow, wrt=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value, tangent = G.jvp(x, p, tangents=(1.0, 1.0))
        H = G.hessian(x, p)
    tv, tt = torch.func.jvp(lambda x, p: x ** p, (torch.tensor(x), torch.tensor(p)),
                            (torch.tensor(1.0, dtype=torch.float64),
                             torch.tensor(1.0, dtype=torch.float64)))
    assert value == tv.item()
    np.testing.assert_allclose(tangent, tt.item())
    _assert_nested(H, _torch_hessian(lambda x, p: x ** p, x, p))
