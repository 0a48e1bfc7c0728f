"""Forward mode (G.jvp) and G.jacobian / G.vjp: each against central directional differences
in float64 and against torch.func.jvp, on straight-line code, branches, loops and buffers."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(14)


def directional(f, args, wrt_index, tangents, eps=1e-6):
    """d/de f(args + e * tangents) by central differences (tuple outputs elementwise)."""
    def at(e):
        moved = list(args)
        for i, t in zip(wrt_index, tangents, strict=True):
            moved[i] = np.asarray(args[i], dtype=float) + e * t
        return f(*moved)
    plus, minus = at(eps), at(-eps)
    if isinstance(plus, tuple):
        return tuple((np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus, strict=True))
    return (np.asarray(plus) - np.asarray(minus)) / (2 * eps)


def seed(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


def mlp(W1, b1, W2, x):
    h = np.tanh(x @ W1 + b1)
    return np.sum((h @ W2) ** 2)


def vector_out(x, w):
    return np.tanh(x * w) + np.sum(x ** 2) * w


def looped(x, n):
    s = x
    for _ in range(n):
        s = np.sin(s) * x
    return np.sum(s)


def branchy(x):
    if np.sum(x) > 0:
        y = x ** 2
    else:
        y = -x
    return np.max(y, axis=0)


def buffered(x):
    h = np.zeros((4, 3))
    for t in range(3):
        h[t + 1] = np.tanh(h[t] + x)
    return h


def reductions(x):
    return np.stack([np.prod(x, axis=1), np.std(x, axis=1), np.var(x, axis=1, ddof=1),
                     np.min(x, axis=1), np.mean(x % 0.7, axis=1)])


def broadcast_only_b(x, b):
    return np.exp(x + b)


def two_outputs(x, w):
    return np.sin(x) * w, np.sum(x * w)


CASES = [
    (seed, (R.normal(size=(2, 2)),), ("x",)),
    (mlp, (R.normal(size=(3, 4)), R.normal(size=4), R.normal(size=(4, 2)),
           R.normal(size=(5, 3))), ("W1", "b1", "W2")),
    (vector_out, (R.normal(size=5), R.normal(size=5)), ("x", "w")),
    (looped, (R.normal(size=3), 4), ("x",)),
    (branchy, (R.normal(size=(3, 2)) + 0.5,), ("x",)),
    (branchy, (R.normal(size=(3, 2)) - 2.0,), ("x",)),
    (buffered, (R.normal(size=3),), ("x",)),
    (reductions, (R.uniform(0.2, 1.5, size=(3, 4)),), ("x",)),
    (broadcast_only_b, (R.normal(size=(3, 4)), R.normal(size=4)), ("b",)),
    (two_outputs, (R.normal(size=3), R.normal(size=3)), ("x", "w")),
]


def _ids():
    return [f"{f.__name__}-{'-'.join(w)}" for f, _, w in CASES]


@pytest.mark.parametrize(("fn", "args", "wrt"), CASES, ids=_ids())
def test_jvp_matches_directional_differences(fn, args, wrt):
    G = symgrad.grad(fn, wrt=wrt)
    idx = [G.params.index(w) for w in wrt]
    tangents = tuple(R.normal(size=np.shape(args[i])) for i in idx)
    value, tangent = G.jvp(*args, tangents=tangents)
    expected = directional(fn, args, idx, tangents)
    if isinstance(expected, tuple):
        for got, want, v, fv in zip(tangent, expected, value, fn(*args), strict=True):
            assert np.shape(got) == np.shape(want)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(v, fv, rtol=1e-12)
    else:
        assert np.shape(tangent) == np.shape(fn(*args))
        np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(value, fn(*args), rtol=1e-12)


def _torch_mlp(W1, b1, W2, x):
    h = torch.tanh(x @ W1 + b1)
    return torch.sum((h @ W2) ** 2)


def test_jvp_matches_torch_func_jvp():
    W1, b1, W2, x = R.normal(size=(3, 4)), R.normal(size=4), R.normal(size=(4, 2)), \
        R.normal(size=(5, 3))
    tW1, tb1, tW2 = R.normal(size=(3, 4)), R.normal(size=4), R.normal(size=(4, 2))
    G = symgrad.grad(mlp, wrt=("W1", "b1", "W2"))
    value, tangent = G.jvp(W1, b1, W2, x, tangents=(tW1, tb1, tW2))
    T = torch.tensor
    tv, tt = torch.func.jvp(lambda a, b, c: _torch_mlp(a, b, c, T(x)), (T(W1), T(b1), T(W2)),
                            (T(tW1), T(tb1), T(tW2)))
    np.testing.assert_allclose(value, tv.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent, tt.numpy(), rtol=1e-10)


def test_jvp_source_reads_like_hand_written_forward_mode():
    G = symgrad.grad(mlp, wrt=("W1", "b1", "W2"))
    src = G.jvp.source
    assert "def mlp_jvp(W1, b1, W2, x, dW1, db1, dW2):" in src
    assert "dh = (1 - h**2)*(db1 + x @ dW1)" in src
    assert "dh @ W2 + h @ dW2" in src
    assert "_broadcast_to" not in src and "_sum_to" not in src  # nothing to undo
    buf = symgrad.grad(buffered).jvp.source
    assert "dh_1[t + 1] = dh_item" in buf  # the tangent buffer is written in place, too


def test_jvp_refuses_a_tangent_of_the_wrong_shape():
    G = symgrad.grad(seed)
    with pytest.raises(symgrad.SymgradError, match="tangent of 'x' has shape"):
        G.jvp(np.ones((2, 2)), tangents=(np.ones(3),))
    with pytest.raises(symgrad.SymgradError, match="one tangent per wrt argument"):
        G.jvp(np.ones((2, 2)), tangents=(np.ones((2, 2)), np.ones((2, 2))))


@pytest.mark.parametrize("mode", [None, "fwd", "rev"])
def test_jacobian_matches_torch(mode):
    x, w = R.normal(size=4), R.normal(size=4)
    G = symgrad.grad(vector_out)
    jx, jw = G.jacobian(x, w, mode=mode)
    T = torch.tensor
    tx, tw = torch.autograd.functional.jacobian(
        lambda a, b: torch.tanh(a * b) + torch.sum(a ** 2) * b, (T(x), T(w)))
    np.testing.assert_allclose(jx, tx.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jw, tw.numpy(), rtol=1e-10, atol=1e-12)


def test_jacobian_has_the_output_then_the_input_shape():
    x = R.normal(size=3)
    J = symgrad.grad(buffered).jacobian(x)
    assert J.shape == (4, 3, 3)
    np.testing.assert_allclose(J, symgrad.grad(buffered).jacobian(x, mode="rev"), atol=1e-12)


def test_vjp_gives_the_value_and_the_gradient_as_a_function_of_the_cotangent():
    x, w = R.normal(size=4), R.normal(size=4)
    G = symgrad.grad(vector_out, wrt="x")
    value, vjp_fn = G.vjp(x, w)
    np.testing.assert_allclose(value, vector_out(x, w))
    ct = R.normal(size=4)
    T = torch.tensor
    tx = T(x, requires_grad=True)
    (torch.tanh(tx * T(w)) + torch.sum(tx ** 2) * T(w)).backward(T(ct))
    np.testing.assert_allclose(vjp_fn(ct), tx.grad.numpy(), rtol=1e-12)


def logistic(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def two_layer(W1, W2, x):
    h = np.tanh(x @ W1)
    return np.sum((h @ W2) ** 2)


def test_hessian_matches_torch_for_logistic_regression():
    w, X = R.normal(size=3), R.normal(size=(6, 3))
    y = (R.uniform(size=6) > 0.5) * 1.0
    H = symgrad.grad(logistic, wrt="w").hessian(w, X, y)
    T = torch.tensor
    tH = torch.autograd.functional.hessian(
        lambda a: -torch.mean(T(y) * torch.log(1 / (1 + torch.exp(-(T(X) @ a)))) +
                              (1 - T(y)) * torch.log(1 - 1 / (1 + torch.exp(-(T(X) @ a))))),
        T(w))
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H, tH.numpy(), rtol=1e-9, atol=1e-12)


def test_hessian_of_several_arguments_is_nested_as_jax_hessian():
    W1, W2, x = R.normal(size=(3, 4)), R.normal(size=(4, 2)), R.normal(size=(5, 3))
    G = symgrad.grad(two_layer, wrt=("W1", "W2"))
    H = G.hessian(W1, W2, x)
    T = torch.tensor
    tH = torch.autograd.functional.hessian(
        lambda a, b: torch.sum((torch.tanh(T(x) @ a) @ b) ** 2), (T(W1), T(W2)))
    for i in range(2):
        for j in range(2):
            assert H[i][j].shape == tH[i][j].shape
            np.testing.assert_allclose(H[i][j], tH[i][j].numpy(), rtol=1e-9, atol=1e-10)


def test_hvp_is_the_directional_difference_of_the_gradient():
    W1, W2, x = R.normal(size=(3, 4)), R.normal(size=(4, 2)), R.normal(size=(5, 3))
    v = (R.normal(size=(3, 4)), R.normal(size=(4, 2)))
    G = symgrad.grad(two_layer, wrt=("W1", "W2"))
    hv = G.hvp(W1, W2, x, v=v)
    eps = 1e-6
    plus = G.grad(W1 + eps * v[0], W2 + eps * v[1], x)
    minus = G.grad(W1 - eps * v[0], W2 - eps * v[1], x)
    for got, p, m in zip(hv, plus, minus, strict=True):
        np.testing.assert_allclose(got, (p - m) / (2 * eps), rtol=1e-6, atol=1e-8)
    src = G.hvp.source
    assert "def two_layer_hvp(W1, W2, x, dW1, dW2):" in src
    assert "dout" not in src  # the tangent of the value is not needed: pruned


def test_hessians_of_loops_and_branches_go_reverse_over_forward():
    x = R.normal(size=3)
    for fn, args, twin in [
            (looped, (x, 3), lambda a: _t_looped(a, 3)),
            (branchy_sum, (x + 1.0,), lambda a: torch.sum(torch.max(a ** 3, dim=0).values)),
    ]:
        G = symgrad.grad(fn, wrt="x")
        H = G.hessian(*args)
        tH = torch.func.hessian(twin)(torch.tensor(args[0]))
        np.testing.assert_allclose(H, tH.numpy(), rtol=1e-9, atol=1e-12)
        v = R.normal(size=3)
        np.testing.assert_allclose(G.hvp(*args, v=(v,)), tH.numpy() @ v, rtol=1e-9, atol=1e-12)
    src = symgrad.grad(looped, wrt="x").hvp.source
    assert "def looped_tangent(x, n, dx):" in src and "def looped_tangent_grad(" in src


def _t_looped(a, n):
    s = a
    for _ in range(n):
        s = torch.sin(s) * a
    return torch.sum(s)


def branchy_sum(x):
    if np.sum(x) > 0:
        y = x ** 3
    else:
        y = -x
    return np.sum(np.max(y, axis=0))


def test_jax_style_functions_match_torch_func():
    x, w = R.normal(size=4), R.normal(size=4)
    T = torch.tensor

    def t_vector_out(a, b):
        return torch.tanh(a * b) + torch.sum(a ** 2) * b

    tx, tw = R.normal(size=4), R.normal(size=4)
    value, tangent = symgrad.jvp(vector_out, (x, w), (tx, tw))
    tv, tt = torch.func.jvp(t_vector_out, (T(x), T(w)), (T(tx), T(tw)))
    np.testing.assert_allclose(value, tv.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent, tt.numpy(), rtol=1e-10)

    value, vjp_fn = symgrad.vjp(vector_out, x, w)
    ct = R.normal(size=4)
    _, t_vjp = torch.func.vjp(t_vector_out, T(x), T(w))
    for got, want in zip(vjp_fn(ct), t_vjp(T(ct)), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10)

    for ours, theirs in ((symgrad.jacfwd, torch.func.jacfwd), (symgrad.jacrev, torch.func.jacrev)):
        np.testing.assert_allclose(ours(vector_out, argnums=1)(x, w),
                                   theirs(t_vector_out, argnums=1)(T(x), T(w)).numpy(),
                                   rtol=1e-10, atol=1e-12)
    w3, X = R.normal(size=3), R.normal(size=(6, 3))
    y = (R.uniform(size=6) > 0.5) * 1.0
    H = symgrad.hessian(logistic)(w3, X, y)
    tH = torch.func.hessian(lambda a: -torch.mean(
        T(y) * torch.log(torch.sigmoid(T(X) @ a)) +
        (1 - T(y)) * torch.log(1 - torch.sigmoid(T(X) @ a))))(T(w3))
    np.testing.assert_allclose(H, tH.numpy(), rtol=1e-8, atol=1e-12)


def test_symgrad_show_prints_the_jvp_and_hvp_modules(tmp_path, capsys):
    from symgrad.cli import main

    path = tmp_path / "m.py"
    path.write_text("import numpy as np\n\n\ndef loss(w, x):\n"
                    "    return np.sum(np.tanh(x @ w) ** 2)\n")
    assert main(["show", f"{path}:loss", "--wrt", "w", "--jvp", "--color", "never"]) == 0
    assert "def loss_jvp(w, x, dw):" in capsys.readouterr().out
    assert main(["show", f"{path}:loss", "--wrt", "w", "--hvp", "--color", "never"]) == 0
    assert "def loss_hvp(w, x, dw):" in capsys.readouterr().out


def loss_with_aux(w, x):
    pred = np.tanh(x @ w)
    return np.sum(pred ** 2), np.mean(pred)


def test_has_aux_works_for_every_transformation_as_in_jax():
    w, x = R.normal(size=3), R.normal(size=(4, 3))
    G = symgrad.grad(loss_with_aux, wrt="w", has_aux=True)
    plain = symgrad.grad(lambda_free_loss, wrt="w")
    t = R.normal(size=3)
    value, tangent, aux = G.jvp(w, x, tangents=(t,))
    v2, t2 = plain.jvp(w, x, tangents=(t,))
    np.testing.assert_allclose((value, tangent), (v2, t2), rtol=1e-12)
    np.testing.assert_allclose(aux, np.mean(np.tanh(x @ w)), rtol=1e-12)
    value, vjp_fn, aux = G.vjp(w, x)
    np.testing.assert_allclose(vjp_fn(1.0), plain.grad(w, x), rtol=1e-12)
    H, aux = G.hessian(w, x)
    np.testing.assert_allclose(H, plain.hessian(w, x), rtol=1e-12)
    np.testing.assert_allclose(aux, np.mean(np.tanh(x @ w)), rtol=1e-12)
    jac, aux = G.jacobian(w, x)
    np.testing.assert_allclose(jac, plain.grad(w, x), rtol=1e-12)


def lambda_free_loss(w, x):
    pred = np.tanh(x @ w)
    return np.sum(pred ** 2)


def test_export_writes_every_transformation_used_so_far(tmp_path):
    import subprocess
    import sys

    G = symgrad.grad(two_layer, wrt=("W1", "W2"))
    W1, W2, x = R.normal(size=(3, 4)), R.normal(size=(4, 2)), R.normal(size=(5, 3))
    G.grad(W1, W2, x)
    G.jvp(W1, W2, x, tangents=(W1, W2))
    G.hvp(W1, W2, x, v=(W1, W2))
    path = G.export(tmp_path / "two_layer_all.py")
    text = path.read_text()
    for name in ("def two_layer(", "def two_layer_grad(", "def two_layer_jvp(",
                 "def two_layer_hvp("):
        assert text.count(name) == 1, name
    assert text.count("def _matmul_grad_b(") == 1  # each helper once
    assert subprocess.run([sys.executable, str(path)], capture_output=True).returncode == 0


def reduced_loss(x, reduction="mean"):
    if reduction == "mean":
        return np.mean(x ** 3)
    return np.sum(x ** 3)


def test_jvp_and_hessian_follow_static_parameters():
    x = R.normal(size=4)
    G = symgrad.grad(reduced_loss, wrt="x")
    t = R.normal(size=4)
    _, mean_t = G.jvp(x, "mean", tangents=(t,))
    _, sum_t = G.jvp(x, "sum", tangents=(t,))
    np.testing.assert_allclose(mean_t, np.mean(3 * x ** 2 * t), rtol=1e-12)
    np.testing.assert_allclose(sum_t, np.sum(3 * x ** 2 * t), rtol=1e-12)
    np.testing.assert_allclose(G.hessian(x, "sum"), np.diag(6 * x), rtol=1e-12, atol=1e-15)


def rnn_collecting(W, x):
    h = np.zeros(3)
    outs = []
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
        outs.append(h)
    return np.sum(np.stack(outs) ** 2)


def test_forward_mode_keeps_lists_built_with_append_as_lists():
    W, x = R.normal(size=(3, 3)) * 0.5, R.normal(size=(4, 3))
    G = symgrad.grad(rnn_collecting, wrt="W")
    t = R.normal(size=(3, 3))
    value, tangent = G.jvp(W, x, tangents=(t,))
    np.testing.assert_allclose(tangent, np.sum(G.grad(W, x) * t), rtol=1e-10)
    assert "douts = douts_1 + [dh]" in G.jvp.source

    def t_rnn(a):
        h, outs = torch.zeros(3, dtype=torch.float64), []
        for step in range(4):
            h = torch.tanh(a @ h + torch.tensor(x[step]))
            outs.append(h)
        return torch.sum(torch.stack(outs) ** 2)

    tH = torch.func.hessian(t_rnn)(torch.tensor(W))
    np.testing.assert_allclose(G.hessian(W, x), tH.numpy(), rtol=1e-9, atol=1e-12)


def test_transformations_see_global_arrays_and_numbers_as_they_are_now(tmp_path, monkeypatch):
    import importlib

    (tmp_path / "live_module.py").write_text(
        "import numpy as np\nA = np.array([1.0, 2.0, 3.0])\nSCALE = 2.0\n\n\n"
        "def f(x):\n    return np.sum(np.sin(x) * A) * SCALE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module("live_module")
    G = symgrad.grad(m.f)
    x, t = np.array([0.1, 0.2, 0.3]), np.ones(3)
    for A, scale in [(m.A, 2.0), (np.array([5.0, 5.0, 5.0]), 2.0), (m.A, 10.0)]:
        m.A, m.SCALE = A, scale
        np.testing.assert_allclose(G.jvp(x, tangents=(t,))[1], np.sum(np.cos(x) * A) * scale)
        np.testing.assert_allclose(G.hessian(x), np.diag(-np.sin(x) * A * scale), atol=1e-15)


def test_every_transformation_is_callable_with_its_source():
    G = symgrad.grad(mlp, wrt=("W1", "b1", "W2"))
    for name, def_line in [("grad", "def mlp_grad("), ("jvp", "def mlp_jvp("),
                           ("vjp", "def mlp_grad("), ("jacobian", "def mlp_jvp("),
                           ("hvp", "def mlp_hvp("), ("hessian", "def mlp_hvp(")]:
        transformation = getattr(G, name)
        assert callable(transformation), name
        assert def_line in transformation.source, name
