"""Custom rules: @symgrad.custom_vjp with .defvjp, and symgrad.defvjp for a function symgrad
cannot read. Each against torch.autograd.Function with the same rule, and finite differences
where the rule is the true derivative; the generated module stays standalone."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

torch = pytest.importorskip("torch")
try:
    import scipy.linalg
    import scipy.special
except ImportError:  # pragma: no cover
    scipy = None
R = np.random.default_rng(7)


@symgrad.custom_vjp
def round_ste(x):
    return np.round(x)


@round_ste.defvjp
def round_ste_bwd(g, x, out):
    return (g,)  # straight through: the rounding passes the gradient unchanged


@symgrad.custom_vjp
def clip_gradient(x):
    return x


@clip_gradient.defvjp
def clip_gradient_bwd(g, x, out):
    return (np.clip(g, -1.0, 1.0),)


@symgrad.custom_vjp
def safe_log(x):
    return np.log(np.maximum(x, 1e-12))


@safe_log.defvjp
def safe_log_bwd(g, x, out):
    return (g / np.maximum(x, 1e-12),)


@symgrad.custom_vjp
def scaled_product(a, b):
    return a * b


@scaled_product.defvjp
def scaled_product_bwd(g, a, b, out):
    return g * b, g * a  # the true derivative: checked against differences


def quantised_loss(w, x):
    return np.sum((round_ste(w * 4.0) / 4.0 * x) ** 2)


def clipped_loss(w):
    return np.sum(clip_gradient(w * 5.0) ** 2) + np.sum(safe_log(w ** 2))


def product_loss(a, b):
    return np.sum(np.tanh(scaled_product(a, b)))


class _TorchSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, g):
        return g


class _TorchClip(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g.clamp(-1.0, 1.0)


def test_a_straight_through_estimator_matches_torch():
    w, x = R.normal(size=5), R.normal(size=5)
    G = symgrad.grad(quantised_loss, wrt="w")
    tw = torch.tensor(w, requires_grad=True)
    torch.sum((_TorchSTE.apply(tw * 4.0) / 4.0 * torch.tensor(x)) ** 2).backward()
    np.testing.assert_allclose(G.grad(w, x), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(G(w, x), quantised_loss(w, x), rtol=1e-12)


def test_gradient_clipping_and_a_safe_log_match_torch():
    w = np.array([0.05, 0.5, -2.0])
    G = symgrad.grad(clipped_loss)
    tw = torch.tensor(w, requires_grad=True)
    (torch.sum(_TorchClip.apply(tw * 5.0) ** 2) + torch.sum(torch.log(tw ** 2))).backward()
    np.testing.assert_allclose(G.grad(w), tw.grad.numpy(), rtol=1e-12)


def test_a_true_derivative_as_a_rule_matches_finite_differences():
    a, b = R.normal(size=(2, 3)), R.normal(size=(2, 3))
    ga, gb = symgrad.grad(product_loss).grad(a, b)
    np.testing.assert_allclose(ga, numeric_grad(product_loss, [a, b], 0), rtol=1e-6)
    np.testing.assert_allclose(gb, numeric_grad(product_loss, [a, b], 1), rtol=1e-6)


def test_the_module_defines_the_rule_and_runs_standalone(tmp_path):
    G = symgrad.grad(clipped_loss)
    src = G.source
    assert "def clip_gradient_bwd(g, x, out):" in src and "def safe_log(x):" in src
    assert "@" not in src  # the decorators are not copied
    path = tmp_path / "clipped.py"
    path.write_text(src)
    out = subprocess.run([sys.executable, "-c", "import sys, numpy as np; sys.path.insert(0, "
                          f"{str(tmp_path)!r}); import clipped; "
                          "print(clipped.clipped_loss_grad(np.array([0.05, 0.5, -2.0])))"],
                         capture_output=True, text=True, check=True)
    assert "42.5" in out.stdout


def test_on_tensors_the_function_is_one_node_with_the_rule_as_backward():
    w = symgrad.tensor(np.array([0.05, 0.5, -2.0]), requires_grad=True)
    y = clip_gradient(w * 5.0)
    assert type(y.grad_fn).__name__ == "clip_gradientBackward"
    (y ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.5, 5.0, -5.0])


def expm_bwd(g, a, out):
    """The vjp of the matrix exponential: a block of the exponential of [[A^T, g], [0, A^T]]."""
    n = a.shape[-1]
    block = np.zeros((2 * n, 2 * n))
    block[:n, :n] = a.T
    block[n:, n:] = a.T
    block[:n, n:] = g
    return (scipy.linalg.expm(block)[:n, n:],)


def expm_loss(a):
    return np.sum(np.sin(scipy.linalg.expm(a)))


def test_defvjp_registers_a_rule_for_a_compiled_function():
    if scipy is None:  # pragma: no cover
        pytest.skip("scipy is not installed")
    symgrad.defvjp(scipy.linalg.expm, expm_bwd)
    a = R.normal(size=(3, 3)) * 0.5
    G = symgrad.grad(expm_loss)
    assert "import scipy.linalg" in G.source and "scipy.linalg.expm(a)" in G.source
    np.testing.assert_allclose(G.grad(a), numeric_grad(expm_loss, [a], 0), rtol=1e-6,
                               atol=1e-9)


def ndtr_bwd(g, x, out):
    return (g * np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi),)


def ndtr_loss(x):
    return np.sum(scipy.special.ndtr(x) * x)


def test_defvjp_takes_a_ufunc_that_names_no_module():
    """scipy.special's functions are ufuncs: no __module__, so the module that has them
    (scipy.special) is found among the imported ones."""
    if scipy is None:  # pragma: no cover
        pytest.skip("scipy is not installed")

    from symgrad.rules.registry import unregister

    symgrad.defvjp(scipy.special.ndtr, ndtr_bwd)
    try:
        x = R.normal(size=5)
        G = symgrad.grad(ndtr_loss)
        np.testing.assert_allclose(G.grad(x), numeric_grad(ndtr_loss, [x], 0), rtol=1e-6,
                                   atol=1e-9)
        assert "import scipy.special" in G.source and "scipy.special.ndtr(x)" in G.source
    finally:  # (a rule is the process's: test_scipy_special expects ndtr refused)
        unregister(f"custom:ndtr:{id(scipy.special.ndtr)}")


def test_a_rule_reading_a_global_is_refused_at_defvjp():
    def bwd(g, x, out):
        return (_HELPER_SCALE * g,)

    with pytest.raises(symgrad.SymgradError, match="reads '_HELPER_SCALE'"):
        symgrad.custom_vjp(_identity).defvjp(bwd)


_HELPER_SCALE = 2.0


def _identity(x):
    return x


def test_forward_mode_through_a_custom_vjp_is_refused_clearly():
    with pytest.raises(symgrad.SymgradError, match="clip_gradient, a custom_vjp function"):
        symgrad.grad(clipped_loss).jvp(np.ones(3), tangents=(np.ones(3),))


def test_a_backward_returning_the_wrong_number_of_cotangents_is_named():
    @symgrad.custom_vjp
    def double(x):
        return 2 * x

    @double.defvjp
    def double_bwd(g, x, out):
        return 2 * g  # not a tuple

    def uses(x):
        return np.sum(double(x))

    with pytest.raises(symgrad.SymgradError, match="double_bwd must return a tuple"):
        symgrad.grad(uses).grad(np.ones(3))


def test_a_hessian_through_a_custom_rule_is_refused_not_zero():
    with pytest.raises(symgrad.SymgradError, match="custom_vjp|custom vjp|jvp"):
        symgrad.grad(product_loss, wrt="a").hessian(np.ones(2), np.ones(2))


@symgrad.custom_vjp
def doubled(x):
    return 2 * x


@doubled.defvjp
def doubled_bwd_no_tuple(g, x, out):
    return 2 * g  # wrong: a vjp returns a tuple, one cotangent per argument


def uses_doubled(x):
    y = np.sin(x)
    return np.sum(doubled(y))


def test_a_rule_returning_no_tuple_names_the_gradient_and_the_users_line():
    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(uses_doubled).grad(np.ones(3))
    text = str(info.value)
    assert "the gradient of uses_doubled failed" in text
    assert "doubled_bwd_no_tuple must return a tuple of 1 cotangent" in text
    assert info.value.filename == __file__ and "return np.sum(doubled(y))" in text
