"""``symgrad.grad(G.grad)``: the generated gradient differentiated again, to order 3,
against central differences of the order below and against torch's nested autograd."""

import numpy as np
import pytest
import torch
from gradutil import numeric_grad

import symgrad
from symgrad import SymgradError


def scalar_f(x):
    return np.sin(x) * x ** 2 + np.exp(0.3 * x)


def tanh_loss(X, w):
    return np.sum(np.tanh(X @ w) ** 2)


def branchy(x):
    if np.sum(x) > 0:
        y = x * 2 + np.cos(x)
    else:
        y = np.sin(x)
    return np.sum(y ** 3)


def test_scalar_grad_to_order_3_matches_fd_and_torch():
    G1 = symgrad.grad(scalar_f)
    G2 = symgrad.grad(G1.grad)
    G3 = symgrad.grad(G2.grad)
    x = 0.7
    # each order against central differences of the order below
    assert np.isclose(G2.grad(x), numeric_grad(G1.grad, [x], 0), rtol=1e-6)
    assert np.isclose(G3.grad(x), numeric_grad(G2.grad, [x], 0), rtol=1e-6)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    d = t
    derivs = []
    y = torch.sin(t) * t ** 2 + torch.exp(0.3 * t)
    for _ in range(3):
        (y,) = torch.autograd.grad(y, d, create_graph=True)
        derivs.append(float(y.detach()))
    assert np.allclose([G1.grad(x), G2.grad(x), G3.grad(x)], derivs, rtol=1e-12)


def test_matrix_hessian_and_third_order_match_torch():
    rng = np.random.default_rng(3)
    X, w = rng.normal(size=(5, 3)), rng.normal(size=3)
    u, v = rng.normal(size=3), rng.normal(size=3)
    G1 = symgrad.grad(tanh_loss, wrt="w")
    G2 = symgrad.grad(G1.grad)  # f_grad(X, w, seed): differentiated with respect to w
    assert G2.wrt == ("w",)
    H = G2.jacobian(X, w)
    Xt = torch.tensor(X)
    wt = torch.tensor(w, requires_grad=True)

    def loss(w_):
        return torch.sum(torch.tanh(Xt @ w_) ** 2)

    assert np.allclose(H, torch.func.hessian(loss)(wt).detach().numpy(), rtol=1e-10)
    # H v as the vjp of the gradient, and d/dw (u^T H(w) v): the third derivative
    assert np.allclose(G2.grad(X, w, **{G2.seed_name: v}), H @ v, rtol=1e-10)
    G3 = symgrad.grad(G2.grad)
    got = G3.grad(X, w, **{G2.seed_name: v, G3.seed_name: u})
    g = torch.autograd.grad(loss(wt), wt, create_graph=True)[0]
    hv = torch.autograd.grad(g @ torch.tensor(v), wt, create_graph=True)[0]
    third = torch.autograd.grad(hv @ torch.tensor(u), wt)[0].numpy()
    assert np.allclose(got, third, rtol=1e-10)
    fd = numeric_grad(lambda w_: G2.grad(X, w_, **{G2.seed_name: v}), [w], 0, seed=u)
    assert np.allclose(got, fd, rtol=1e-6, atol=1e-8)


def test_grad_of_grad_through_a_branch_keeps_it():
    G2 = symgrad.grad(symgrad.grad(branchy).grad)
    assert "if cond:" in G2.source
    for x in (np.array([0.4, 0.9, -0.2]), np.array([-0.4, -0.9, 0.2])):
        H = G2.jacobian(x)
        fd = np.stack([numeric_grad(lambda x_: symgrad.grad(branchy).grad(x_), [x], 0,
                                    seed=np.eye(3)[i]) for i in range(3)])
        assert np.allclose(H, fd, rtol=1e-6, atol=1e-8)


def test_grad_of_jvp_is_the_hvp():
    rng = np.random.default_rng(4)
    X, w, dw = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    G = symgrad.grad(tanh_loss, wrt="w")
    J = symgrad.grad(G.jvp)  # f_jvp(X, w, dw) -> (value, tangent); d tangent / dw = H dw
    got = J.grad(X, w, dw, seed=(0.0, 1.0))
    assert np.allclose(got, G.hvp(X, w, v=dw), rtol=1e-10)
    Hv = symgrad.grad(G.hvp)  # f_hvp -> (gradient, H dw): its derivative is third order
    got = Hv.grad(X, w, dw, seed=(np.zeros(3), np.ones(3)))
    fd = numeric_grad(lambda w_: G.hvp(X, w_, v=dw), [w], 0, seed=np.ones(3))
    assert np.allclose(got, fd, rtol=1e-6, atol=1e-8)


def test_refused_transformations_say_so():
    G = symgrad.grad(tanh_loss, wrt="w")
    with pytest.raises(SymgradError, match="assembled from many calls"):
        symgrad.grad(G.hessian)
    A = symgrad.grad(lambda_free_aux, has_aux=True)
    with pytest.raises(SymgradError, match="has_aux is not supported"):
        symgrad.grad(A.grad)


def lambda_free_aux(x):
    return np.sum(x ** 2), x


def rnn_loss(w, xs):
    h = 0.0
    for x in xs:
        h = np.tanh(w[0] * h + w[1] * x)
    return h ** 2


def test_grad_of_a_loops_gradient_matches_fd_and_torch_and_order_3_too():
    G = symgrad.grad(rnn_loss, wrt="w")
    G2 = symgrad.grad(G.grad)
    # the tape, read back as one list per taped value, walked by index
    assert "tape_h_1 = []" in G2.source and "for at in range(len(tape_h_1_1) - 1, -1, -1)" \
        in G2.source
    w, xs = np.array([0.5, -0.3]), np.array([0.1, 0.2, -0.3])
    u, v = np.array([0.7, -1.1]), np.array([0.3, 0.8])

    def rnn_t(w_):
        h = torch.zeros((), dtype=torch.float64)
        for x in xs:
            h = torch.tanh(w_[0] * h + w_[1] * float(x))
        return h ** 2

    H = torch.func.hessian(rnn_t)(torch.tensor(w)).numpy()
    assert np.allclose(G2.grad(w, xs, 2.0, **{G2.seed_name: u}), 2.0 * H @ u, rtol=1e-10)
    fd = numeric_grad(lambda w_: G.grad(w_, xs), [w], 0, seed=u)
    assert np.allclose(G2.grad(w, xs, **{G2.seed_name: u}), fd, rtol=1e-6, atol=1e-9)
    assert np.allclose(G2.jacobian(w, xs), H, rtol=1e-10)
    G3 = symgrad.grad(G2.grad)  # (the lists read back as appends, their cotangent helpers
    got3 = G3.grad(w, xs, 1.0, v, **{G3.seed_name: u})  # as nodes): d/dw (u . H(w) v)
    # the way the refusal's hint gives works too: the jvp's gradient, differentiated again
    J = symgrad.grad(G.jvp, wrt="w")
    assert np.allclose(J.grad(w, xs, v, seed=(0.0, 1.0)), H @ v, rtol=1e-10)
    J2 = symgrad.grad(J.grad)
    got = J2.grad(w, xs, v, seed=(0.0, 1.0), seed_1=u)  # as the hint spells it
    wt = torch.tensor(w, requires_grad=True)
    g = torch.autograd.grad(rnn_t(wt), wt, create_graph=True)[0]
    hv = torch.autograd.grad(g @ torch.tensor(v), wt, create_graph=True)[0]
    third = torch.autograd.grad(hv @ torch.tensor(u), wt)[0].numpy()
    assert np.allclose(got, third, rtol=1e-9)
    assert np.allclose(got3, third, rtol=1e-9)


def nested_loops(x, n):
    s = 0.0
    for i in range(n):
        for j in range(2):
            s = np.sin(s * x[j] + i)
    return s


def test_order_3_through_a_nested_loop_is_refused_with_a_way():
    G2 = symgrad.grad(symgrad.grad(nested_loops, wrt="x").grad)
    with pytest.raises(SymgradError, match="third derivative through the loop") as info:
        symgrad.grad(G2.grad)
    assert info.value.filename == __file__ and "for i in range(n)" in str(info.value)
    assert "symgrad.grad(G.jvp)" in str(info.value)
