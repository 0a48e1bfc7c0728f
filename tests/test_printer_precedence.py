"""Operators whose printed form needs parentheses: `//`, `%`, powers, unary minus, `@`, `/`.

Found as wrong values and gradients: ``t - (t // p) * p`` printed as ``-p*t // p + t``, and the
cotangent of ``x % y`` printed as ``-g*x // y`` (Python reads ``((-g)*x)//y``). Each function
here is checked three ways: the primal against the user's function, the gradient against
central differences in float64, and against torch where it is installed.
"""

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

rng = np.random.default_rng(11)


# quotients of these (and of the remainders below) stay far from a jump of // and %
X = np.array([5.35, 7.15, -2.55, 0.45, -6.05])
Y = np.array([2.0, -3.0, 0.7, 1.5, 2.5])
Z = np.array([1.3, 2.1, -0.9, 0.6, 1.1])


def mod_identity(t, p):
    return np.sum(t - (t // p) * p)


def mod(x, y):
    return np.sum(x % y)


def floordiv(x, y):
    return np.sum(x // y)


def floordiv_squared(x, y):
    return np.sum((x // y) ** 2 * x + x)


def minus_mod(x, y):
    return np.sum(-(x % y) * x)


def mod_squared(x, y):
    return np.sum((x % y) ** 2 - 3 * (x % y) / (x // y + 10))


def mod_chains(x, y, z):
    return np.sum((x % y) % z + x % (y % z) + (x // y) // z * x)


def mod_of_products(x, y, z):
    return np.sum((x * y) % (z * y) - (x - y) // (z + 3) * y)


def powers(x, y):
    return np.sum(-x**2 + (-x) ** 2 + (-x) ** 3 + x**-1 + 2**-x + (-y) ** -2 - -x**3
                  + 0.5**x * y)


def divisions(x, y, z):
    return np.sum(x / y / z + x / (y / z) + (x / y) / (z / x) + 1 / x / y - x / -y)


def matmuls(A, B, C):
    return np.sum((A @ B) ** 2 - 2 * A @ B + (A @ B) / (1 + (A @ B) ** 2)
                  + (A @ B) % 1.5 - (A @ B) // 1.5 * (A @ B)) + \
        np.sum(-A @ B @ C * 2 @ (C.T / 3)) - np.sum(A @ (B @ C) / 2)


def _check(fn, *args):
    G = symgrad.grad(fn)
    np.testing.assert_allclose(G(*args), fn(*args), rtol=1e-12)
    check_grads(G, *args)
    return G


@pytest.mark.parametrize("fn", [mod_identity, mod, floordiv, floordiv_squared, minus_mod,
                                mod_squared])
def test_floordiv_and_mod(fn):
    _check(fn, X, Y)


@pytest.mark.parametrize("fn", [mod_chains, mod_of_products, divisions])
def test_chains(fn):
    _check(fn, X, Y, Z)


def test_powers_with_negative_bases_and_unary_minus():
    _check(powers, X, Y)


def test_matmul_combined_with_other_operators():
    A, B, C = (rng.uniform(0.1, 0.9, size=s) for s in [(2, 3), (3, 4), (4, 2)])
    _check(matmuls, A, B, C)


def test_printed_source_groups_floordiv_and_mod():
    text = symgrad.grad(mod_identity).source
    assert "np.sum(t - p*(t // p))" in text
    text = symgrad.grad(mod).source
    assert "*(x // y)" in text and "*x // y" not in text


# ------------------------------------------------------------------ against torch


def _torch_grads(fn, args):
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
    out = fn(torch, *ts)
    out.backward()
    return out.item(), [t.grad.numpy() for t in ts]


def _floordiv_torch(a, b):
    return a.detach() // b.detach()  # floor division: a step function, no gradient


TORCH_TWINS = {
    mod_identity: lambda torch, t, p: torch.sum(t - _floordiv_torch(t, p) * p),
    mod: lambda torch, x, y: torch.sum(x % y),
    floordiv: lambda torch, x, y: torch.sum(_floordiv_torch(x, y) + 0 * x + 0 * y),
    floordiv_squared: lambda torch, x, y: torch.sum(_floordiv_torch(x, y) ** 2 * x + x + 0 * y),
    minus_mod: lambda torch, x, y: torch.sum(-(x % y) * x),
    mod_squared: lambda torch, x, y: torch.sum(
        (x % y) ** 2 - 3 * (x % y) / (_floordiv_torch(x, y) + 10)),
    powers: lambda torch, x, y: torch.sum(
        -x**2 + (-x) ** 2 + (-x) ** 3 + x**-1 + 2**-x + (-y) ** -2 - -x**3 + 0.5**x * y),
}


@pytest.mark.parametrize("fn", list(TORCH_TWINS), ids=lambda f: f.__name__)
def test_against_torch(fn):
    value, expected = _torch_grads(TORCH_TWINS[fn], [X, Y])
    G = symgrad.grad(fn)
    got_value, got = G.value_and_grad(X, Y)
    np.testing.assert_allclose(got_value, value, rtol=1e-12)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_mod_gradient_wrt_divisor_is_minus_floor_like_torch():
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    y = torch.tensor(Y, requires_grad=True)
    torch.sum(x % y).backward()
    np.testing.assert_array_equal(y.grad.numpy(), -np.floor(X / Y))
    np.testing.assert_array_equal(symgrad.grad(mod).grad(X, Y)[1], y.grad.numpy())


def test_matmul_against_torch():
    args = [rng.uniform(0.1, 0.9, size=s) for s in [(2, 3), (3, 4), (4, 2)]]

    def twin(torch, A, B, C):
        AB = A @ B
        return torch.sum(AB**2 - 2 * A @ B + AB / (1 + AB**2) + AB % 1.5
                         - _floordiv_torch(AB, torch.tensor(1.5)) * AB) + \
            torch.sum(-A @ B @ C * 2 @ (C.T / 3)) - torch.sum(A @ (B @ C) / 2)

    value, expected = _torch_grads(twin, args)
    got_value, got = symgrad.grad(matmuls).value_and_grad(*args)
    np.testing.assert_allclose(got_value, value, rtol=1e-12)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def tanh_of_product(x, W, b):
    return np.sum(np.tanh(x @ W) + 2 * (x @ W) - (x @ W) @ b)


def test_a_matrix_product_is_grouped_only_where_its_place_needs_it():
    src = symgrad.grad(tanh_of_product).source
    assert "np.tanh(x @ W)" in src and "np.tanh((x @ W))" not in src
    assert "2*(x @ W)" in src and "(x @ W) @ b" in src
    x, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(2, 2))
    np.testing.assert_allclose(symgrad.grad(tanh_of_product)(x, W, b),
                               tanh_of_product(x, W, b), rtol=1e-13)
