"""The primal is the user's code; the gradient is finite where the true slope is.

SymPy evaluates as it builds (``sqrt(x)**2`` is x, ``x - x`` is 0), which for numpy arrays
drops a domain, a NaN, a broadcast or a dtype. These check that the generated primal computes
what numpy computes on the user's source (NaN positions, shapes and dtypes included), and
that gradients are nan where torch's are and finite where the function is smooth.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradutil import assert_same_array, numeric_grad

import symgrad

X = np.array([-2.0, -0.5, 1.5, 3.0])


def sqrt_squared(x):
    return np.sum(np.sqrt(x) ** 2)


def exp_of_log(x):
    return np.sum(np.exp(np.log(x)))


def cube_root_of_cube(x):
    return np.sum((x**3) ** (1 / 3))


def sqrt_then_square(x):
    y = np.sqrt(x)
    z = y**2
    return np.sum(z)


def arcsin_inverse(x):
    return np.sum(np.sin(np.arcsin(x)))


def sqrt_of_square(x):
    return np.sum(np.sqrt(x**2))


DOMAIN_CASES = [sqrt_squared, exp_of_log, cube_root_of_cube, sqrt_then_square,
                arcsin_inverse]


@pytest.mark.parametrize("fn", DOMAIN_CASES, ids=lambda f: f.__name__)
def test_primal_keeps_the_domain(fn):
    G = symgrad.grad(fn)
    with np.errstate(all="ignore"):
        assert_same_array(G(X), fn(X))
        assert_same_array(G.value_and_grad(X)[0], fn(X))
        # where the function is defined, the gradient is the true one
        x = np.array([0.3, 0.7])
        np.testing.assert_allclose(G.grad(x), numeric_grad(fn, [x], 0), rtol=1e-6)


def test_sqrt_of_square_is_not_abs():
    G = symgrad.grad(sqrt_of_square)
    x = np.array([1e200, -3.0])  # x**2 overflows: numpy's value is inf, |x| is not
    with np.errstate(all="ignore"):
        assert_same_array(G(x), sqrt_of_square(x))


@pytest.mark.parametrize("fn", [sqrt_squared, exp_of_log, sqrt_then_square],
                         ids=lambda f: f.__name__)
def test_gradient_is_nan_outside_the_domain_like_torch(fn):
    torch = pytest.importorskip("torch")
    G = symgrad.grad(fn)
    with np.errstate(all="ignore"):
        got = G.grad(X)
    t = torch.tensor(X, requires_grad=True)
    spelled = {sqrt_squared: lambda v: torch.sum(torch.sqrt(v) ** 2),
               exp_of_log: lambda v: torch.sum(torch.exp(torch.log(v))),
               sqrt_then_square: lambda v: torch.sum(torch.sqrt(v) ** 2)}[fn]
    spelled(t).backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, equal_nan=True)


def test_cbrt_is_real_for_negative_numbers_and_cube_root_power_is_not():
    def f(x):
        return np.sum(np.cbrt(x) + x ** (1 / 3))

    def g(x):
        return np.sum(np.cbrt(x) * x)

    with np.errstate(all="ignore"):
        assert_same_array(symgrad.grad(f)(X), f(X))
    x = np.array([-8.0, -0.5, 1.5, 3.0])
    np.testing.assert_allclose(symgrad.grad(g).grad(x), numeric_grad(g, [x], 0), rtol=1e-6)


def test_cancelled_values_keep_their_nans_shapes_and_dtypes():
    def minus_itself(x):
        return x - x

    def times_zero(x):
        return 0 * x

    def power_zero(x):
        return x**0

    def over_itself(x):
        return x / x

    def added_and_taken_away(x, y):
        return y + x - x

    def twice_minus_once(x):
        return 2 * x - x

    def one_added_and_taken_away(x):
        return (x + 1.0) - 1.0

    x = np.array([[np.inf], [0.0], [1e-20]])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    with np.errstate(all="ignore"):
        for fn in (minus_itself, times_zero, power_zero, over_itself, twice_minus_once,
                   one_added_and_taken_away):
            G = symgrad.grad(fn)
            assert_same_array(G(x), fn(x))
            assert_same_array(G.value_and_grad(x, seed=np.ones((3, 1)))[0], fn(x))
            v = np.array([1.0, 2.0])
            np.testing.assert_allclose(G.grad(v, seed=np.ones(2)), numeric_grad(fn, [v], 0),
                                       atol=1e-8)
        G = symgrad.grad(added_and_taken_away, wrt="y")
        assert_same_array(G(x, y), added_and_taken_away(x, y))  # (3, 4): y broadcast against x
        np.testing.assert_allclose(G.grad(np.ones((3, 1)), y, seed=np.ones((3, 4))),
                                   np.full(4, 3.0))


def test_cancellation_across_statements_is_not_fused():
    def f(x, y):
        s = x + y
        return np.sum(s - y)

    x, y = np.array([1.0, 2.0]), np.array([[np.inf], [1.0]])
    G = symgrad.grad(f, wrt="x")
    with np.errstate(all="ignore"):
        assert_same_array(G(x, y), f(x, y))
    np.testing.assert_allclose(G.grad(x, np.ones((3, 1))), np.full(2, 3.0))


def test_python_constants_stay_python_numbers():
    def constant(x):
        return 3.0

    def half(x):
        return 6 / 2

    G = symgrad.grad(constant)
    assert type(G(np.ones(2))) is float and G(np.ones(2)) == 3.0
    assert type(symgrad.grad(half)(np.ones(2))) is float


def gelu(x):
    return np.sum(0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))))


def scaled(x):
    return np.sum(x * math.sqrt(2 / math.pi) * 2**0.5)


@pytest.mark.parametrize("fn", [gelu, scaled], ids=lambda f: f.__name__)
def test_float32_stays_float32_next_to_python_float_constants(fn):
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    G = symgrad.grad(fn)
    value, grad = G.value_and_grad(x)
    assert np.asarray(value).dtype == np.float32 == np.asarray(fn(x)).dtype
    assert grad.dtype == np.float32
    assert G(x).dtype == np.float32
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(G.grad(x64), numeric_grad(fn, [x64], 0), rtol=1e-6)


def test_numpy_scalar_constants_upcast_as_numpy_does():
    def f(x):
        return x * np.sqrt(2.0)

    x = np.ones(2, dtype=np.float32)
    assert symgrad.grad(f)(x).dtype == f(x).dtype


# ---------------------------------------------------------------- finite slopes


def polynomial(x, c):
    s = 0.0
    for k in range(3):
        s = s + c[k] * x**k
    return s


@pytest.mark.parametrize("x", [0.0, np.array([0.0, 1.5, -2.0])])
def test_polynomial_slope_at_zero(x):
    c = np.array([1.0, 2.0, 3.0])
    G = symgrad.grad(polynomial, wrt="x")
    got = G.grad(x, c, seed=np.ones_like(x))
    np.testing.assert_allclose(got, numeric_grad(polynomial, [x, c], 0), rtol=1e-6, atol=1e-8)


def test_power_with_exponent_array_at_zero_base_like_torch():
    torch = pytest.importorskip("torch")

    def f(x, e):
        return np.sum(x**e)

    x, e = np.array([0.0, 1.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0, 2.5])
    gx, ge = symgrad.grad(f).grad(x, e)
    tx = torch.tensor(x, requires_grad=True)
    te = torch.tensor(e, requires_grad=True)
    torch.sum(tx**te).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy())
    np.testing.assert_allclose(ge, te.grad.numpy())


def test_zero_to_a_power_slope_in_the_exponent():
    def f(y):
        return np.sum(np.power(0.0, y))

    y = np.array([1.0, 2.0])
    np.testing.assert_array_equal(symgrad.grad(f).grad(y), [0.0, 0.0])
    np.testing.assert_array_equal(numeric_grad(f, [y], 0), [0.0, 0.0])


def test_eager_tensor_power_slopes_at_zero():
    torch = pytest.importorskip("torch")
    x = symgrad.tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x**0).sum().backward()
    t = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (t**0).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad.numpy()), t.grad.numpy())


def std(x):
    return np.std(x)


def var(x):
    return np.var(x)


@pytest.mark.parametrize("value", [[1.5], [2.0, 2.0, 2.0]])
@pytest.mark.parametrize("reduction", ["std", "var"])
def test_std_and_var_of_equal_elements_have_slope_zero_like_torch(value, reduction):
    torch = pytest.importorskip("torch")
    f = {"std": std, "var": var}[reduction]

    x = np.array(value)
    got = symgrad.grad(f).grad(x)
    t = torch.tensor(x, requires_grad=True)
    getattr(torch, reduction)(t, correction=0).backward()
    np.testing.assert_array_equal(got, t.grad.numpy())
    if len(value) == 1:  # identically 0
        np.testing.assert_array_equal(got, numeric_grad(f, [x], 0))
    y = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(symgrad.grad(f).grad(y), numeric_grad(f, [y], 0), rtol=1e-6)


def test_a_number_times_a_sum_is_not_distributed():
    def f(x):
        return 0.7 * (x + 0.1)

    x = np.random.default_rng(0).normal(size=1000)
    G = symgrad.grad(f)
    np.testing.assert_array_equal(G(x), f(x))  # bit for bit: 0.7*x + 0.07 rounds otherwise
    np.testing.assert_array_equal(G.value_and_grad(x, seed=np.ones_like(x))[0], f(x))
