"""G.hessian's generated f_hessian: forward over reverse with every direction at once, which
reads as the textbook Hessian (``X.T @ (d[:, None] * X)``), checked against torch.func's
Hessian and central differences of the gradient, one wrt argument and several (the nested
tuple of jax.hessian)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(7)
X = rng.normal(size=(6, 3))
Y = rng.normal(size=6)
W = rng.normal(size=(3, 2))


def tanh_loss(X, w):
    return np.sum(np.tanh(X @ w) ** 2)


def leaky_regression(X, w, b, y):
    z = X @ w + b
    p = np.where(z > 0, z, 0.1 * z)
    return np.mean((p - y) ** 2) + 0.5 * np.sum(w ** 2)


def layer(X, W, c):
    z = np.tanh(X @ W + c)
    return np.sum(np.mean(z ** 2, axis=0)) + np.sum(np.exp(-z.sum(axis=1)))


def products(x, y):
    return np.sum(x * y) ** 2 + np.log(1 + np.exp(np.dot(x, y))) + np.sum(np.sin(x[1:]) * y[:-1])


def logistic(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def row_softplus(W, x):
    return np.sum(np.log(1 + np.exp(x @ W))) + np.sum(W ** 3) / 3


def affine(x, s, A):
    return np.sum(A @ x) + np.sum(s ** 3)


def _t(f):
    """The torch twin of each function above (written again by hand, not translated)."""
    return {
        "tanh_loss": lambda X, w: torch.sum(torch.tanh(X @ w) ** 2),
        "leaky_regression": lambda X, w, b, y: torch.mean(
            (torch.where(X @ w + b > 0, X @ w + b, 0.1 * (X @ w + b)) - y) ** 2)
        + 0.5 * torch.sum(w ** 2),
        "layer": lambda X, W, c: torch.sum(torch.mean(torch.tanh(X @ W + c) ** 2, 0))
        + torch.sum(torch.exp(-torch.tanh(X @ W + c).sum(1))),
        "products": lambda x, y: torch.sum(x * y) ** 2 + torch.log(1 + torch.exp(torch.dot(x, y)))
        + torch.sum(torch.sin(x[1:]) * y[:-1]),
        "logistic": lambda w, X, y: -torch.mean(
            y * torch.log(torch.sigmoid(X @ w)) + (1 - y) * torch.log(1 - torch.sigmoid(X @ w))),
        "affine": lambda x, s, A: torch.sum(A @ x) + torch.sum(s ** 3),
        "row_softplus": lambda W, x: torch.sum(torch.log(1 + torch.exp(x @ W)))
        + torch.sum(W ** 3) / 3,
    }[f.__name__]


CASES = [
    (tanh_loss, ("w",), lambda: (X, rng.normal(size=3))),
    (leaky_regression, ("w",), lambda: (X, rng.normal(size=3), 0.3, Y)),
    (leaky_regression, ("w", "b"), lambda: (X, rng.normal(size=3), 0.3, Y)),
    (layer, ("W", "c"), lambda: (X, W, rng.normal(size=2))),
    (layer, ("c",), lambda: (X, W, rng.normal(size=2))),
    (products, ("x", "y"), lambda: (rng.normal(size=4), rng.normal(size=4))),
    (logistic, ("w",), lambda: (rng.normal(size=3), X, (Y > 0).astype(float))),
    (row_softplus, ("W",), lambda: (W, rng.normal(size=3))),
    (affine, ("x",), lambda: (rng.normal(size=3), 0.5, W.T)),  # a zero Hessian
    (affine, ("x", "s"), lambda: (rng.normal(size=3), 0.5, W.T)),  # a zero block beside one
]


def _torch_hessian(f, args, wrt):
    names = list(f.__code__.co_varnames[:f.__code__.co_argcount])
    argnums = tuple(names.index(x) for x in wrt)
    targs = [torch.tensor(np.asarray(a, dtype=float)) for a in args]
    H = torch.func.hessian(_t(f), argnums=argnums)(*targs)
    return [[np.asarray(H[i][j]) for j in range(len(wrt))] for i in range(len(wrt))]


def _fd_hessian(G, args, wrt, eps=1e-5):
    """Central differences of the generated gradient, block by block."""
    names = list(G.params)
    index = [names.index(x) for x in wrt]
    grads = (lambda a: G.grad(*a)) if len(wrt) > 1 else (lambda a: (G.grad(*a),))
    blocks = [[None] * len(wrt) for _ in wrt]
    for j, k in enumerate(index):
        xj = np.asarray(args[k], dtype=float)
        cols = {i: np.zeros(np.shape(args[index[i]]) + xj.shape) for i in range(len(wrt))}
        for idx in np.ndindex(xj.shape):
            up, down = list(args), list(args)
            e = np.zeros(xj.shape)
            e[idx] = eps
            up[k], down[k] = xj + e, xj - e
            if not xj.shape:
                up[k], down[k] = float(up[k]), float(down[k])
            gu, gd = grads(up), grads(down)
            for i in range(len(wrt)):
                cols[i][(...,) + idx] = (np.asarray(gu[i]) - np.asarray(gd[i])) / (2 * eps)
        for i in range(len(wrt)):
            blocks[i][j] = cols[i]
    return blocks


@pytest.mark.parametrize("f, wrt, make", CASES, ids=[f"{c[0].__name__}-{'-'.join(c[1])}"
                                                      for c in CASES])
def test_the_batched_hessian_matches_torch_and_differences(f, wrt, make):
    args = make()
    G = symgrad.grad(f, wrt=wrt if len(wrt) > 1 else wrt[0])
    H = G.hessian(*args)
    assert G.hessian.fallback_reason is None
    assert "_hessian(" in G.hessian.source and "_hvp(" not in G.hessian.source
    blocks = [[H]] if len(wrt) == 1 else H
    if len(wrt) > 1:  # the nested tuple of jax.hessian
        assert isinstance(H, tuple) and all(isinstance(r, tuple) and len(r) == len(wrt)
                                            for r in H)
    want, fd = _torch_hessian(f, args, wrt), _fd_hessian(G, args, wrt)
    for i in range(len(wrt)):
        for j in range(len(wrt)):
            xi, xj = np.shape(args[G.params.index(wrt[i])]), np.shape(args[G.params.index(wrt[j])])
            assert np.shape(blocks[i][j]) == xi + xj
            np.testing.assert_allclose(blocks[i][j], want[i][j], rtol=1e-9, atol=1e-10)
            np.testing.assert_allclose(blocks[i][j], fd[i][j], rtol=1e-5, atol=1e-6)


def _function(source: str, name: str) -> ast.FunctionDef:
    return next(n for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.FunctionDef) and n.name == name)


def test_the_hessian_of_a_tanh_loss_reads_as_the_textbook_form():
    G = symgrad.grad(tanh_loss, wrt="w")
    w = rng.normal(size=3)
    G.hessian(X, w)
    fn = _function(G.hessian.source, "tanh_loss_hessian")
    body = ast.unparse(fn)
    # no loop over columns, no helper calls: numpy products, one X.T @ on the outside
    assert not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(fn))
    assert not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                   and n.func.id.startswith("_") for n in ast.walk(fn))
    ret = fn.body[-1]
    assert isinstance(ret, ast.Return)
    last = next(s for s in fn.body if isinstance(s, ast.Assign)
                and s.targets[0].id == ret.value.id)
    assert ast.unparse(last.value) == "X.T @ (d[:, None] * X)", body
    # d is elementwise in X @ w: d_k = (d/du)^2 tanh(u)^2 at u = X_k . w
    ns = {"np": np}
    exec(compile(ast.Module([fn], []), "<test>", "exec"), ns)  # noqa: S102
    u = np.tanh(X @ w)
    d = 2 * (1 - u ** 2) * (1 - 3 * u ** 2)
    np.testing.assert_allclose(ns["tanh_loss_hessian"](X, w), X.T @ (d[:, None] * X),
                               rtol=1e-12)


def test_the_batched_hessian_makes_no_hvp_per_column():
    """The point of batching: n columns in one pass (n = 40 here), where the fallback makes
    one Hessian-vector product per column. (Times: benchmarks/transforms.py.)"""
    Xb, wb = rng.normal(size=(80, 40)), rng.normal(size=40) * 0.1
    G = symgrad.grad(tanh_loss, wrt="w")
    H = G.hessian(Xb, wb)  # (the first call checks the module against one G.hvp)
    calls = []
    products = G.hvp._products
    G.hvp._products = lambda *a, **k: calls.append(1) or products(*a, **k)
    np.testing.assert_allclose(G.hessian(Xb, wb), H, rtol=1e-12)
    assert calls == []
    H2 = G.hessian.by_columns(Xb, wb)
    assert len(calls) == 40
    np.testing.assert_allclose(H, H2, rtol=1e-10, atol=1e-12)


def test_loops_fall_back_to_columns_and_stay_right():
    def rnn(w, xs):
        h = 0.0
        for x in xs:
            h = np.tanh(w[0] * h + w[1] * x)
        return h ** 2

    G = symgrad.grad(rnn, wrt="w")
    w, xs = np.array([0.5, -0.3]), rng.normal(size=4)
    H = G.hessian(w, xs)

    def rnn_t(w_):
        h = torch.zeros((), dtype=torch.float64)
        for x in xs:
            h = torch.tanh(w_[0] * h + w_[1] * float(x))
        return h ** 2

    np.testing.assert_allclose(H, torch.func.hessian(rnn_t)(torch.tensor(w)).numpy(),
                               rtol=1e-9, atol=1e-12)
    assert "_hessian(" not in G.hessian.source
    assert G.hessian.fallback_reason.startswith("loops or branches")


def test_a_gram_matrix_transposes_its_tangent():
    def gram(A):
        return np.sum(np.tanh(A @ A.T))

    G = symgrad.grad(gram)
    A = rng.normal(size=(3, 2))
    H = G.hessian(A)
    assert G.hessian.fallback_reason is None and H.shape == (3, 2, 3, 2)
    want = torch.func.hessian(lambda a: torch.sum(torch.tanh(a @ a.T)))(torch.tensor(A))
    np.testing.assert_allclose(H, want.numpy(), rtol=1e-9, atol=1e-12)


def test_what_is_not_batched_falls_back_to_columns_and_says_why():
    def ranked(w):
        return np.sum(np.sort(w) ** 3 * np.arange(4.0)) + np.sum(np.sin(w))

    G = symgrad.grad(ranked)
    w = rng.normal(size=4)
    H = G.hessian(w)
    assert G.hessian.fallback_reason == ("not batched (the derivative node TakeAlongAxisGrad "
                                         "has no batched form yet): built a column at a "
                                         "time, one G.hvp per element")
    want = torch.func.hessian(lambda v: torch.sum(torch.sort(v).values ** 3 * torch.arange(
        4.0, dtype=v.dtype)) + torch.sum(torch.sin(v)))(torch.tensor(w))
    np.testing.assert_allclose(H, want.numpy(), rtol=1e-9, atol=1e-12)
    assert "ranked_hvp(" in G.hessian.source


def test_the_exported_module_carries_f_hessian(tmp_path):
    import importlib.util

    G = symgrad.grad(tanh_loss, wrt="w")
    w = rng.normal(size=3)
    H = G.hessian(X, w)
    path = G.export(tmp_path / "tanh_loss_module.py")
    spec = importlib.util.spec_from_file_location("tanh_loss_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(module.tanh_loss_hessian(X, w), H, rtol=1e-12)


def test_symgrad_show_hessian_prints_f_hessian_for_the_shapes_given(tmp_path, capsys):
    from symgrad.cli import main

    (tmp_path / "loss.py").write_text("import numpy as np\n\n\ndef tanh_loss(X, w):\n"
                                      "    return np.sum(np.tanh(X @ w) ** 2)\n")
    target = f"{tmp_path / 'loss.py'}:tanh_loss"
    assert main(["show", target, "--wrt", "w", "--hessian", "--shape", "X=5,3",
                 "--shape", "w=3", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "def tanh_loss_hessian(X, w):" in out and "X.T @ (d[:, None] * X)" in out
    assert main(["show", target, "--wrt", "w", "--hessian", "--color", "never"]) == 0
    assert "def tanh_loss_hvp(" in capsys.readouterr().out  # (no shapes: what it is built from)


def test_has_aux_and_float32_keep_their_layout_when_batched():
    def loss(X, w):
        z = np.tanh(X @ w)
        return np.sum(z ** 2), z

    G = symgrad.grad(loss, wrt="w", has_aux=True)
    w = rng.normal(size=3)
    H, aux = G.hessian(X, w)
    assert G.hessian.fallback_reason is None
    np.testing.assert_allclose(aux, np.tanh(X @ w))
    want = torch.func.hessian(lambda w_: torch.sum(torch.tanh(torch.tensor(X) @ w_) ** 2))(
        torch.tensor(w))
    np.testing.assert_allclose(H, want.numpy(), rtol=1e-10)
    H32, _ = G.hessian(X.astype(np.float32), w.astype(np.float32))
    assert H32.dtype == np.float32 and G.hessian.fallback_reason is None
    np.testing.assert_allclose(H32, want.numpy(), rtol=1e-3, atol=1e-4)
