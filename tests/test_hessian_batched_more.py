"""The batched f_hessian beyond vectors and matrices: np.prod (its second derivative,
``_prod_others_grad``, batched along one more axis), writes into arrays (``y[i] = ...``
into a buffer or a copy, ``+=``, ``...``), products of stacks of matrices (``@``, np.dot,
np.inner of more than two axes, as einsums), operations along a value's own axes
(swapaxes, flip, cumsum, reshape, concatenate, stack; np.linalg.inv's derivative),
np.einsum and np.outer. Each is checked against torch.func's Hessian and central
differences of the generated gradient, in float64; what stays a column at a time says
why."""

from __future__ import annotations

import ast

import numpy as np
import pytest
from test_hessian_readable import _fd_hessian

import symgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(11)


def prod_plus_sin(w):
    return np.prod(w) + np.sum(np.sin(w))


def prod_of_columns(x):
    return np.sum(np.prod(x, axis=0) ** 2) + np.prod(np.cos(x[:, 1]))


def buffer_writes(x):
    y = np.zeros(3)
    y[0] = x[0] * x[1]
    y[1:] = np.sin(x[1:])
    return np.sum(y ** 2) + y[0] * y[2]


def copy_and_add(x):
    y = x.copy()
    y[1] = x[0] ** 2
    y[2] += x[0] * x[3]
    return np.sum(np.exp(y))


def matrix_buffer(X):
    Y = np.zeros((2, 3))
    Y[:, 0] = X[:, 1] * X[:, 2]
    Y[..., 1:] = np.tanh(X[:, :2])
    return np.sum(Y[..., None] ** 2 * Y[:, None, :])


def stacked_matmul(A, x):
    return np.sum(np.tanh(A @ x) ** 2)


def stack_squared(B):
    return np.sum(np.sin(B @ B))


def broadcast_stacks(A, x):
    return np.sum(np.tanh(A @ x) ** 2)


def vector_times_stack(v, A):
    return np.sum(np.cos(v @ A)) + np.sum(v ** 3)


def nd_dot(A, x):
    return np.sum(np.cos(np.dot(A, x))) + np.sum(np.dot(x, x[0].T) ** 2)


def nd_inner(x):
    return np.sum(np.inner(x, x) ** 2)


def inverse(A):
    return np.sum(np.linalg.inv(A) ** 2)


def running_sums(x):
    return np.sum(np.cumsum(x, axis=1) ** 3) + np.sum(np.cumsum(x) ** 2)


def reshaped(x):
    m = np.reshape(x, (2, 3))
    return np.sum(np.tanh(m @ m.T)) + np.sum(np.ravel(m.T) ** 3 * np.arange(6.0))


def joined(x, y):
    z = np.concatenate([x, y ** 2], axis=-1)
    s = np.stack([x * y, np.sin(x)], axis=-1)
    return np.sum(z ** 3) + np.sum(s[..., 0] * s[..., 1]) + \
        np.sum(np.concatenate([x, y], axis=None) ** 4)


def moved(x):
    return np.sum(np.swapaxes(x, 0, -1) ** 3 * np.flip(x, axis=-1).T) + \
        np.sum(np.flip(x) * x ** 2)


def contractions(A, x):
    return np.einsum("bij,j->", np.tanh(A), x ** 2) ** 2 + \
        np.sum(np.einsum("...ij,...jk->...ik", A, A) ** 2) + np.einsum("ii->", A[0]) ** 3 + \
        np.sum(np.tanh(np.outer(x, np.sin(x))) * A[1])


def _t(name):
    """torch twins, written by hand."""
    def matrix_buffer_t(X):
        Y = torch.stack([X[:, 1] * X[:, 2], torch.tanh(X[:, 0]), torch.tanh(X[:, 1])], dim=1)
        return torch.sum(Y[..., None] ** 2 * Y[:, None, :])

    def buffer_writes_t(x):
        y = torch.stack([x[0] * x[1], torch.sin(x[1]), torch.sin(x[2])])
        return torch.sum(y ** 2) + y[0] * y[2]

    def copy_and_add_t(x):
        y = torch.stack([x[0], x[0] ** 2, x[2] + x[0] * x[3], x[3]])
        return torch.sum(torch.exp(y))

    return {
        "prod_plus_sin": lambda w: torch.prod(w) + torch.sum(torch.sin(w)),
        "prod_of_columns": lambda x: torch.sum(torch.prod(x, 0) ** 2)
        + torch.prod(torch.cos(x[:, 1])),
        "buffer_writes": buffer_writes_t,
        "copy_and_add": copy_and_add_t,
        "matrix_buffer": matrix_buffer_t,
        "stacked_matmul": lambda A, x: torch.sum(torch.tanh(A @ x) ** 2),
        "stack_squared": lambda B: torch.sum(torch.sin(B @ B)),
        "broadcast_stacks": lambda A, x: torch.sum(torch.tanh(A @ x) ** 2),
        "vector_times_stack": lambda v, A: torch.sum(torch.cos(v @ A)) + torch.sum(v ** 3),
        "nd_dot": lambda A, x: torch.sum(torch.cos(torch.tensordot(A, x, dims=([2], [1]))))
        + torch.sum(torch.tensordot(x, x[0].T, dims=([2], [0])) ** 2),
        "nd_inner": lambda x: torch.sum(torch.inner(x, x) ** 2),
        "inverse": lambda A: torch.sum(torch.linalg.inv(A) ** 2),
        "running_sums": lambda x: torch.sum(torch.cumsum(x, 1) ** 3)
        + torch.sum(torch.cumsum(x.reshape(-1), 0) ** 2),
        "reshaped": lambda x: torch.sum(torch.tanh(x.reshape(2, 3) @ x.reshape(2, 3).T))
        + torch.sum(x.reshape(2, 3).T.reshape(-1) ** 3 * torch.arange(6.0, dtype=x.dtype)),
        "joined": lambda x, y: torch.sum(torch.cat([x, y ** 2], -1) ** 3)
        + torch.sum(x * y * torch.sin(x)) + torch.sum(torch.cat([x.reshape(-1),
                                                                 y.reshape(-1)]) ** 4),
        "moved": lambda x: torch.sum(torch.swapaxes(x, 0, -1) ** 3 * torch.flip(x, [-1]).T)
        + torch.sum(torch.flip(x, [0, 1]) * x ** 2),
        "contractions": lambda A, x: torch.einsum("bij,j->", torch.tanh(A), x ** 2) ** 2
        + torch.sum(torch.einsum("...ij,...jk->...ik", A, A) ** 2)
        + torch.einsum("ii->", A[0]) ** 3
        + torch.sum(torch.tanh(torch.outer(x, torch.sin(x))) * A[1]),
    }[name]


def _zeros(shape, where):
    x = rng.normal(size=shape)
    x.reshape(-1)[list(where)] = 0.0
    return x


CASES = [
    (prod_plus_sin, ("w",), lambda: (rng.normal(size=4),)),
    (prod_plus_sin, ("w",), lambda: (_zeros(4, [1]),)),  # exact where an element is 0
    (prod_plus_sin, ("w",), lambda: (_zeros(5, [0, 3]),)),  # and where two are
    (prod_of_columns, ("x",), lambda: (rng.normal(size=(3, 2)),)),
    (buffer_writes, ("x",), lambda: (rng.normal(size=3),)),
    (copy_and_add, ("x",), lambda: (rng.normal(size=4),)),
    (matrix_buffer, ("X",), lambda: (rng.normal(size=(2, 3)),)),
    (stacked_matmul, ("x",), lambda: (rng.normal(size=(2, 3, 4)), rng.normal(size=4))),
    (stacked_matmul, ("A", "x"), lambda: (rng.normal(size=(2, 3, 4)), rng.normal(size=4))),
    (stack_squared, ("B",), lambda: (rng.normal(size=(2, 3, 3)),)),
    (broadcast_stacks, ("A", "x"), lambda: (rng.normal(size=(2, 1, 3, 4)),
                                            rng.normal(size=(3, 4, 2)))),
    (vector_times_stack, ("v", "A"), lambda: (rng.normal(size=3), rng.normal(size=(2, 3, 2)))),
    (nd_dot, ("A", "x"), lambda: (rng.normal(size=(2, 2, 4)), rng.normal(size=(3, 4, 2)))),
    (nd_inner, ("x",), lambda: (rng.normal(size=(2, 3)),)),
    (inverse, ("A",), lambda: (rng.normal(size=(3, 3)) + 3 * np.eye(3),)),
    (running_sums, ("x",), lambda: (rng.normal(size=(2, 3)),)),
    (reshaped, ("x",), lambda: (rng.normal(size=6),)),
    (joined, ("x", "y"), lambda: (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))),
    (moved, ("x",), lambda: (rng.normal(size=(2, 3)),)),
    (contractions, ("A", "x"), lambda: (rng.normal(size=(2, 3, 3)), rng.normal(size=3))),
]


def _torch_hessian(f, args, wrt):
    names = list(f.__code__.co_varnames[:f.__code__.co_argcount])
    argnums = tuple(names.index(x) for x in wrt)
    H = torch.func.hessian(_t(f.__name__), argnums=argnums)(
        *[torch.tensor(np.asarray(a, dtype=float)) for a in args])
    return [[np.asarray(H[i][j]) for j in range(len(wrt))] for i in range(len(wrt))]


@pytest.mark.parametrize("f, wrt, make", CASES, ids=[f"{c[0].__name__}-{'-'.join(c[1])}-{i}"
                                                      for i, c in enumerate(CASES)])
def test_batched_against_torch_and_differences(f, wrt, make):
    args = make()
    G = symgrad.grad(f, wrt=wrt if len(wrt) > 1 else wrt[0])
    H = G.hessian(*args)
    assert G.hessian.fallback_reason is None, G.hessian.fallback_reason
    assert f"def {f.__name__}_hessian(" in G.hessian.source
    blocks = [[H]] if len(wrt) == 1 else H
    want, fd = _torch_hessian(f, args, wrt), _fd_hessian(G, args, wrt)
    for i in range(len(wrt)):
        for j in range(len(wrt)):
            np.testing.assert_allclose(blocks[i][j], want[i][j], rtol=1e-9, atol=1e-10)
            np.testing.assert_allclose(blocks[i][j], fd[i][j], rtol=1e-5, atol=1e-6)


def test_the_batched_product_reads_as_a_contraction_with_the_directions():
    G = symgrad.grad(stack_squared)
    G.hessian(rng.normal(size=(2, 3, 3)))
    text = G.hessian.source
    fn = next(n for n in ast.walk(ast.parse(text))
              if isinstance(n, ast.FunctionDef) and n.name == "stack_squared_hessian")
    assert not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(fn))
    assert "np.einsum(" in ast.unparse(fn) and "_hvp(" not in text


def test_what_stays_a_column_at_a_time_says_what_and_why():
    def sorted_weights(x):
        return np.sum(np.sort(np.tanh(x)) * np.arange(4.0)) ** 2

    G = symgrad.grad(sorted_weights)
    x = rng.normal(size=4)
    H = G.hessian(x)
    reason = G.hessian.fallback_reason
    assert reason.startswith("not batched (the derivative node TakeAlongAxisGrad has no "
                             "batched form yet)")
    assert reason.endswith("a column at a time, one G.hvp per element")
    want = torch.func.hessian(lambda v: torch.sum(torch.sort(torch.tanh(v)).values
                                                  * torch.arange(4.0, dtype=v.dtype)) ** 2)(
        torch.tensor(x))
    np.testing.assert_allclose(H, want.numpy(), rtol=1e-9, atol=1e-12)


def test_the_source_before_a_hessian_call_says_what_will_run():
    G = symgrad.grad(stacked_matmul, wrt="x")
    before = G.hessian.source
    assert before.startswith("# G.hessian has not run yet. At its first call it builds "
                             "stacked_matmul_hessian")
    assert "def stacked_matmul_hvp(" in before
    A, x = rng.normal(size=(2, 3, 4)), rng.normal(size=4)
    G.grad(A, x)  # a call of G: its shapes are the ones to show the Hessian for
    shown = G.hessian.source
    assert shown.startswith("# G.hessian has not run yet: this f_hessian is made for the "
                            "shapes of stacked_matmul's last call\n# (A (2, 3, 4), x (4,))")
    assert "def stacked_matmul_hessian(A, x):" in shown and "_hvp(" not in shown
    assert G.hessian.fallback_reason is None
    H = G.hessian(A, x)
    assert G.hessian.source == shown.split("\n", 2)[2]  # what ran, the same module
    np.testing.assert_allclose(H, _torch_hessian(stacked_matmul, (A, x), ("x",))[0][0],
                               rtol=1e-9, atol=1e-10)


def test_the_source_of_a_loop_says_it_runs_columns():
    def rnn(w, xs):
        h = 0.0
        for x in xs:
            h = np.tanh(w[0] * h + w[1] * x)
        return h ** 2

    G = symgrad.grad(rnn, wrt="w")
    G.grad(np.array([0.5, -0.3]), rng.normal(size=3))
    text = G.hessian.source
    assert text.replace("\n# ", " ").startswith(
        "# G.hessian of rnn, a function with loops or branches, runs G.hvp's module below a "
        "column at a time")
    assert "def rnn_tangent_grad(" in text


def test_symgrad_show_hessian_without_shapes_says_what_it_shows(tmp_path, capsys):
    from symgrad.cli import main

    (tmp_path / "loss.py").write_text("import numpy as np\n\n\ndef loss(A, x):\n"
                                      "    return np.sum(np.tanh(A @ x) ** 2)\n")
    target = f"{tmp_path / 'loss.py'}:loss"
    assert main(["show", target, "--wrt", "x", "--hessian", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# G.hessian has not run yet.") and "def loss_hvp(" in out
    assert "--shape A=... --shape x=..." in out.replace("\n# ", " ")
    assert main(["show", target, "--wrt", "x", "--hessian", "--shape", "A=2,3,4",
                 "--shape", "x=4", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "def loss_hessian(A, x):" in out and "_hvp(" not in out
