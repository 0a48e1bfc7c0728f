"""The @grad API: seed functions, no_grad/detach, dtypes, caching, errors."""

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

rng = np.random.default_rng(1)


@symgrad.grad
def seed_fn(x):
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return out


def test_seed_document_value():
    x = np.ones((2, 2))
    np.testing.assert_allclose(seed_fn.grad(x), np.full((2, 2), 4.5))
    assert seed_fn(x) == pytest.approx(27.0)


def test_seed_gradient_is_one_closed_form():
    """mean(3*(x+2)**2) -> one assignment equivalent to 6*(x+2)/x.size times the seed."""
    body = seed_fn.source.split("def seed_fn_grad")[1].split("\ndef ")[0]
    assignments = [ln.strip() for ln in body.splitlines()
                   if "=" in ln and not ln.strip().startswith(("#", '"'))]
    grad_lines = [a for a in assignments if a.startswith("grad_x")]
    assert len(grad_lines) == 1
    assert not any(a.startswith(("t0", "grad_y", "grad_z")) for a in assignments)
    ns = {"np": np}
    x = rng.normal(size=(3, 5))
    rhs = grad_lines[0].split("=", 1)[1]
    ns.update(x=x, grad_out=0.7)
    np.testing.assert_allclose(eval(rhs, ns), 0.7 * 6 * (x + 2) / x.size)


def logreg(W, b, X, label):
    p = 0.5 * (np.tanh(X @ W + b) + 1)
    return -np.sum(np.log(p * label + (1 - p) * (1 - label)))


def mlp(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def test_logistic_regression():
    G = symgrad.grad(logreg, wrt=("W", "b"))
    X = rng.normal(size=(8, 3))
    label = (rng.uniform(size=8) > 0.5).astype(float)
    check_grads(G, rng.normal(size=3), 0.1, X, label)


def test_mlp():
    G = symgrad.grad(mlp, wrt=("W1", "b1", "W2", "b2"))
    args = [rng.normal(size=s) for s in [(4, 5), (5,), (5, 2), (2,), (6, 4), (6, 2)]]
    check_grads(G, *args)


def test_generated_code_reuses_primal_tanh():
    G = symgrad.grad(mlp, wrt=("W1",))
    code = G.source.split("def mlp_grad")[1].split("\ndef ")[0]
    statements = [ln for ln in code.splitlines() if not ln.strip().startswith("#")]
    assert sum(ln.count("np.tanh(") for ln in statements) == 1  # d tanh reads h: 1 - h**2
    assert "grad_h" in code and "# h = np.tanh(X @ W1 + b1)" in code


def test_no_grad_and_detach_are_constants():
    def fn(w, x):
        y = x + 2
        with symgrad.no_grad():
            scale = np.max(np.abs(y * w))
        z = y * w * 3
        c = (w * 2).detach()
        return np.mean(z) / scale + np.sum(c * w) + np.sum(symgrad.stop_gradient(w) ** 2)

    w, x = rng.normal(size=3), rng.normal(size=3)
    G = symgrad.grad(fn, wrt="w")
    scale = np.max(np.abs((x + 2) * w))
    expected = 3 * (x + 2) / 3 / scale + 2 * w
    np.testing.assert_allclose(G.grad(w, x), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    G = symgrad.grad(mlp, wrt=("W1", "b1"))
    args = [rng.normal(size=s).astype(dtype) for s in [(4, 5), (5,), (5, 2), (2,), (6, 4),
                                                        (6, 2)]]
    value, (g1, g2) = G.value_and_grad(*args)
    assert g1.dtype == dtype and g2.dtype == dtype
    assert np.asarray(value).dtype == dtype


def test_inputs_are_not_mutated():
    def fn(x, w):
        x = x * 2
        w += 1
        return np.sum(x * w)

    x, w = rng.normal(size=3), rng.normal(size=3)
    x0, w0 = x.copy(), w.copy()
    gx, gw = symgrad.grad(fn).grad(x, w)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_allclose(gx, 2 * (w0 + 1))


def test_integer_argument_gets_none():
    def fn(x, n):
        return np.sum(x * n)

    gx, gn = symgrad.grad(fn).grad(np.ones(3), 4)
    assert gn is None
    np.testing.assert_allclose(gx, 4.0)


def test_wrt_by_position_and_single_name():
    def fn(a, b):
        return np.sum(a * b**2)

    a, b = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(symgrad.grad(fn, wrt=1).grad(a, b), 2 * a * b)
    ga, = symgrad.grad(fn, wrt=["a"]).grad(a, b),
    np.testing.assert_allclose(ga, b**2)
    assert "grad_a" not in symgrad.grad(fn, wrt="b").source  # no work for unrequested grads


def test_value_and_grad_and_kwargs():
    def fn(a, b=2.0):
        return np.sum(a**b)

    G = symgrad.grad(fn, wrt="a")
    a = rng.uniform(0.5, 1.5, size=3)
    v, g = G.value_and_grad(a, b=3.0)
    assert v == pytest.approx(np.sum(a**3))
    np.testing.assert_allclose(g, 3 * a**2)
    np.testing.assert_allclose(G.grad(a), 2 * a)


def test_non_scalar_output_needs_seed():
    def fn(x):
        return x * 2

    with pytest.raises(symgrad.SymgradError, match="only for scalar outputs"):
        symgrad.grad(fn).grad(np.ones(3))


def test_transform_is_cached():
    calls = []
    import symgrad.api as api

    original = api._compile

    def spy(*a, **k):
        calls.append(a)
        return original(*a, **k)

    def fn(x):
        return np.sum(np.sin(x))

    api._compile = spy
    try:
        symgrad.grad(fn)
        symgrad.grad(fn)
    finally:
        api._compile = original
    assert len(calls) == 1


def test_unsupported_syntax_is_reported_at_decoration():
    def fn(x):
        try:
            y = x
        except ValueError:
            y = x
        return y

    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(fn)
    text = str(info.value)
    assert "test_grad_core.py" in text and "line" in text and "try" in text.lower()


def test_unsupported_call_points_at_code():
    def fn(x):
        return np.sum(np.fft.fft(x))

    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(fn)
    assert "np.fft.fft(x)" in str(info.value)
    assert "^" in str(info.value)


def test_lambda_and_builtin_rejected():
    with pytest.raises(symgrad.SymgradError):
        symgrad.grad(lambda x: x * 2)
    with pytest.raises(symgrad.SymgradError):
        symgrad.grad(np.sin)


def test_source_unavailable():
    ns = {}
    exec("def f(x):\n    return x * 2\n", ns)
    with pytest.raises(symgrad.SymgradError, match="source"):
        symgrad.grad(ns["f"])


def test_generated_module_imports_only_numpy():
    import ast

    tree = ast.parse(symgrad.grad(mlp).source)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [a.name for n in imports for a in n.names] == ["numpy"]
