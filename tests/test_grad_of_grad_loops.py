"""``symgrad.grad(G.grad)`` through loops (for-range, rows of an array, nested, buffer
writes, a branch inside, an RNN): second derivatives against central differences of G.grad
and against torch's nested autograd (``create_graph=True``)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gradutil import numeric_grad

import symgrad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from workloads import rnn  # noqa: E402


def for_range(x, n):
    s = np.zeros(np.shape(x))
    for i in range(n):
        s = s + np.sin(x * i) * s + x ** 2
    return np.sum(s)


def rows(w, xs):
    h = 0.0
    for x in xs:
        h = np.tanh(w[0] * h + w[1] * x)
    return h ** 2


def nested(x, n):
    s = 0.0
    for i in range(n):
        for j in range(3):
            s = np.sin(s * x[j] + i)
    return s


def buffer(x):
    b = np.zeros(3)
    for i in range(3):
        b[i] = x[i] * x[(i + 1) % 3] ** 2
    return np.sum(np.sin(b))


def branch_inside(x):
    s = 0.5
    for i in range(3):
        if x[i] > 0:
            s = s + np.sin(x[i] * s + 1.0)
        else:
            s = s * x[i]
    return s ** 2


def t_for_range(x, n):
    s = torch.zeros_like(x)
    for i in range(n):
        s = s + torch.sin(x * i) * s + x ** 2
    return torch.sum(s)


def t_rows(w, xs):
    h = torch.zeros((), dtype=torch.float64)
    for x in xs:
        h = torch.tanh(w[0] * h + w[1] * x)
    return h ** 2


def t_nested(x, n):
    s = torch.zeros((), dtype=torch.float64)
    for i in range(n):
        for j in range(3):
            s = torch.sin(s * x[j] + i)
    return s


def t_buffer(x):
    b = torch.stack([x[i] * x[(i + 1) % 3] ** 2 for i in range(3)])
    return torch.sum(torch.sin(b))


def t_branch_inside(x):
    s = torch.tensor(0.5, dtype=torch.float64)
    for i in range(3):
        if x[i] > 0:
            s = s + torch.sin(x[i] * s + 1.0)
        else:
            s = s * x[i]
    return s ** 2


def t_rnn(W, x, h0):
    h = h0
    for t in range(20):
        h = torch.tanh(W @ h + x[t])
    return torch.sum(h)


rng = np.random.default_rng(7)
x3 = np.array([0.3, -0.5, 0.8])  # (both sides of branch_inside's `if` run)
w2, xs3 = np.array([0.5, -0.3]), np.array([0.1, 0.2, -0.3])
W3, X3, H3 = rng.normal(size=(3, 3)) / 2, 0.5 * rng.normal(size=(20, 3)), 0.1 * rng.normal(size=3)
CASES = {  # f, its torch twin, args, inner wrt, outer wrt
    "for-range": (for_range, t_for_range, (np.array([0.3, -0.2]), 3), ("x",), ("x",)),
    "rows": (rows, t_rows, (w2, xs3), ("w",), ("w",)),
    "rows, d/dxs of grad_w": (rows, t_rows, (w2, xs3), ("w",), ("xs",)),
    "rows, both": (rows, t_rows, (w2, xs3), ("w", "xs"), ("w", "xs")),
    "nested": (nested, t_nested, (x3, 2), ("x",), ("x",)),
    "buffer writes": (buffer, t_buffer, (x3,), ("x",), ("x",)),
    "branch inside, both sides": (branch_inside, t_branch_inside, (x3,), ("x",), ("x",)),
    "rnn": (rnn, t_rnn, (W3, X3, H3), ("W",), ("W",)),
    "rnn, d/dx and d/dh0 of grad_W": (rnn, t_rnn, (W3, X3, H3), ("W",), ("x", "h0")),
}


@pytest.mark.parametrize("case", CASES)
def test_grad_of_a_loops_gradient_matches_fd_and_torch(case):
    f, tf, args, inner, outer = CASES[case]
    G = symgrad.grad(f, wrt=inner)
    G2 = symgrad.grad(G.grad, wrt=outer)
    s = 1.3
    g = G.grad(*args, seed=s)
    g = g if len(inner) > 1 else (g,)
    u = tuple(rng.normal(size=np.shape(a)) for a in g)
    got = G2.grad(*args, s, **{G2.seed_name: u if len(inner) > 1 else u[0]})
    got = got if len(outer) > 1 else (got,)
    # torch: d/d(outer) <u, s * d f / d(inner)>, nested autograd
    ts = [torch.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a
          for a in args]
    first = torch.autograd.grad(s * tf(*ts), [ts[G.params.index(n)] for n in inner],
                                create_graph=True)
    inner_product = sum(torch.sum(d * torch.tensor(ui)) for d, ui in zip(first, u, strict=True))
    want = torch.autograd.grad(inner_product, [ts[G.params.index(n)] for n in outer])
    for name, got_i, want_i in zip(outer, got, want, strict=True):
        assert np.shape(got_i) == np.shape(args[G.params.index(name)])
        assert np.allclose(got_i, want_i.numpy(), rtol=1e-9, atol=1e-12), name
        fd = numeric_grad(lambda *a: G.grad(*a, seed=s), list(args), G.params.index(name),
                          seed=u if len(inner) > 1 else u[0])
        assert np.allclose(got_i, fd, rtol=1e-6, atol=1e-8), name


def test_the_hessian_of_a_loop_as_the_jacobian_of_its_gradient():
    G2 = symgrad.grad(symgrad.grad(nested, wrt="x").grad)
    H = G2.jacobian(x3, 2)
    t = torch.func.hessian(lambda x_: t_nested(x_, 2))(torch.tensor(x3)).numpy()
    assert np.allclose(H, t, rtol=1e-9, atol=1e-12)
    assert np.allclose(H, H.T, rtol=1e-9, atol=1e-12)


def scalar_start(x, n):
    s = 0.0  # a scalar, then an array: the tape holds both shapes
    for i in range(n):
        s = s + np.sin(x * i) * s + x ** 2
    return np.sum(s)


def while_broadcast(x, u):
    k = 0
    acc = 0.0
    while k < 2:
        acc = acc + np.sin(np.sum(x, axis=1)) * np.sum(np.where(x >= u, u, 0.5), axis=1)
        x = np.sin(x)
        k = k + 1
    return np.sum(acc)


def one_sided(u, s):
    if np.sum(u) > 0.1:
        return np.sum(u * s)
    return np.sum(np.cos(u * s) - u * 0.5)


def product(x):
    return np.sum(np.prod(x, axis=1) ** 2)


@pytest.mark.parametrize("f, args", [
    (scalar_start, (np.array([0.3, -0.2]), 3)),
    (while_broadcast, (np.array([[0.5, 1.4], [-0.5, 0.8], [1.1, -0.3]]),
                       np.array([[-0.2], [0.6], [-1.2]]))),
    (one_sided, (np.array([0.2, 0.5]), 0.7)),
    (one_sided, (np.array([-0.2, -0.5]), 0.7)),
    (product, (np.array([[0.3, -0.5, 0.8], [1.1, 0.4, -0.7]]),)),
])
def test_grad_of_grad_of_what_the_generated_gradient_writes(f, args):
    # the forms a generated gradient takes beyond plain numpy: a ragged tape, np.broadcast,
    # a value one branch computes, _prod_others, np.full_like(..., dtype=float)
    params = list(symgrad.grad(f).params)
    wrt = tuple(params[i] for i, a in enumerate(args) if isinstance(a, (np.ndarray, float)))
    G = symgrad.grad(f, wrt=wrt)
    G2 = symgrad.grad(G.grad)
    u = tuple(rng.normal(size=np.shape(args[params.index(n)])) for n in wrt)
    seed = u if len(wrt) > 1 else u[0]
    got = G2.grad(*args, 1.0, **{G2.seed_name: seed})
    got = got if len(wrt) > 1 else (got,)
    for name, g in zip(wrt, got, strict=True):
        fd = numeric_grad(G.grad, list(args), params.index(name), seed=seed)
        assert np.allclose(g, fd, rtol=1e-6, atol=1e-8), name


def test_a_list_a_loop_broadcasts_up_has_its_gradient():
    def ragged(x):
        outs = []
        s = 0.0
        for i in range(3):
            outs.append(s)  # 0.0, then arrays
            s = s + x * (i + 1)
        return np.sum(outs[0] + outs[2] * outs[1])

    x = np.array([0.3, -0.2])
    assert np.allclose(symgrad.grad(ragged).grad(x), numeric_grad(ragged, [x], 0),
                       rtol=1e-6, atol=1e-9)


def test_a_helper_with_no_rule_is_refused_by_name_with_a_way_that_works():
    G2 = symgrad.grad(symgrad.grad(product).grad)
    assert "_prod_others(" in G2.source
    with pytest.raises(symgrad.SymgradError, match="_prod_others_grad has no rule") as info:
        symgrad.grad(G2.grad)
    assert "G.hessian" in str(info.value)


def with_break(x):
    s = 1.0
    k = 0
    while True:
        s = s * np.sin(x[k]) + x[k] ** 2
        k = k + 1
        if s > 1.5 or k >= 3:
            break
    return s


def zipped(w, xs, ys):
    tot = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):  # noqa: B905  (symgrad reads no strict=)
        tot = tot + np.tanh(w * a + b) * i
    return np.sum(tot ** 2)


def early_return(x):
    for i in range(3):
        if x[i] > 0.7:
            return x[i] ** 3
        x = x * 1.1
    return np.sum(x ** 2)


@pytest.mark.parametrize("f, args, wrt", [
    (with_break, (np.array([0.3, 0.9, 1.2]),), "x"),  # breaks after 2 iterations
    (with_break, (np.array([0.3, 0.2, 0.1]),), "x"),  # runs all 3
    (zipped, (0.7, np.array([0.1, 0.5, -0.3]), np.array([0.2, -0.4, 0.9])), "w"),
    (zipped, (0.7, np.array([0.1, 0.5, -0.3]), np.array([0.2, -0.4, 0.9])), "ys"),
    (early_return, (np.array([0.3, 0.2, 0.8]),), "x"),
    (early_return, (np.array([0.3, 0.2, 0.1]),), "x"),
])
def test_grad_of_grad_through_break_zip_and_return(f, args, wrt):
    G = symgrad.grad(f, wrt=wrt)
    G2 = symgrad.grad(G.grad)
    i = G.params.index(wrt)
    u = rng.normal(size=np.shape(args[i]))
    got = G2.grad(*args, 1.0, **{G2.seed_name: u})
    assert np.allclose(got, numeric_grad(G.grad, list(args), i, seed=u), rtol=1e-6, atol=1e-8)


def test_grad_of_grad_of_a_tuple_parameter():
    def layers(ps, x):
        W, b = ps
        h = x
        for _ in range(2):
            h = np.tanh(W @ h + b)
        return np.sum(h)

    W, b, x = rng.normal(size=(2, 2)), rng.normal(size=2), rng.normal(size=2)
    G = symgrad.grad(layers, wrt="ps")
    G2 = symgrad.grad(G.grad)
    U = (rng.normal(size=(2, 2)), rng.normal(size=2))
    gW, gb = G2.grad((W, b), x, 1.0, **{G2.seed_name: U})
    ts = [torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)]
    h = torch.tensor(x)
    for _ in range(2):
        h = torch.tanh(ts[0] @ h + ts[1])
    first = torch.autograd.grad(h.sum(), ts, create_graph=True)
    want = torch.autograd.grad(sum(torch.sum(d * torch.tensor(u)) for d, u in
                                   zip(first, U, strict=True)), ts)
    assert np.allclose(gW, want[0].numpy(), rtol=1e-9, atol=1e-12)
    assert np.allclose(gb, want[1].numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["for-range", "rows", "branch inside, both sides", "rnn"])
def test_third_order_through_a_loop_matches_torch_and_fd(case):
    # symgrad.grad(G2.grad): G2's tapes are lists it copies in its loops (read back as
    # appends) and their cotangents' helpers (read back as ListGradZeros, ListItemGrad)
    f, tf, args, (name,), _ = CASES[case]
    G = symgrad.grad(f, wrt=name)
    G2 = symgrad.grad(G.grad)
    G3 = symgrad.grad(G2.grad)
    i = G.params.index(name)
    u, w = rng.normal(size=np.shape(args[i])), rng.normal(size=np.shape(args[i]))
    got = G3.grad(*args, 1.0, u, **{G3.seed_name: w})  # d/dx <w, H(x) u>
    ts = [torch.tensor(a, requires_grad=k == i) if isinstance(a, np.ndarray) else a
          for k, a in enumerate(args)]
    (g1,) = torch.autograd.grad(tf(*ts), ts[i], create_graph=True)
    (g2,) = torch.autograd.grad(torch.sum(g1 * torch.tensor(u)), ts[i], create_graph=True)
    (g3,) = torch.autograd.grad(torch.sum(g2 * torch.tensor(w)), ts[i])
    assert np.allclose(got, g3.numpy(), rtol=1e-9, atol=1e-12)
    fd = numeric_grad(lambda *a: G2.grad(*a, 1.0, **{G2.seed_name: u}), list(args), i, seed=w)
    assert np.allclose(got, fd, rtol=1e-6, atol=1e-8)
