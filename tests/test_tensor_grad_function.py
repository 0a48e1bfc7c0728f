"""A ``@symgrad.grad`` function called on Tensors is one node of their graph, whose backward
is the generated gradient: values, node names, gradients and second derivatives against
torch."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad
from symgrad.runtime import function

torch = pytest.importorskip("torch")

R = np.random.default_rng(12)


def layer(w, x):
    h = np.tanh(x @ w)
    return np.mean(h * h)


def weighted(a, b, c):
    return np.sum(np.sin(a) * b + a * c ** 2)


def two_outputs(a, b):
    return np.sum(a * b), np.sum(np.exp(a))


def with_aux(a, b):
    y = np.sum(np.exp(a) * b)
    return y, a * 2


def identity(x):
    return x


def rnn(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h ** 2)


def _t(a, requires_grad=True):
    return torch.tensor(a, requires_grad=requires_grad)


def _s(a, requires_grad=True):
    return symgrad.tensor(a, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def test_one_node_named_after_the_function():
    W, X = R.standard_normal((4, 2)), R.standard_normal((3, 4))
    G = symgrad.grad(layer)
    w = _s(W)
    out = G(w, X)
    assert type(out.grad_fn).__name__ == "layerBackward"
    assert repr(out.grad_fn).startswith("<layerBackward object at 0x")
    (leaf, _), edge_x = out.grad_fn.next_functions
    assert type(leaf).__name__ == "AccumulateGrad" and leaf.variable is w
    assert edge_x == (None, 0)  # x, an ndarray: no edge
    wt = _t(W)
    expected = torch.mean(torch.tanh(torch.tensor(X) @ wt) ** 2)
    np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-14)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_every_tensor_that_requires_grad_gets_its_gradient_whatever_wrt_says():
    A, B, C = (R.standard_normal(5) for _ in range(3))
    G = symgrad.grad(weighted, wrt="b")
    a, b, c = _s(A), _s(B), _s(C)
    G(a, b, c).backward()
    at, bt, ct = _t(A), _t(B), _t(C)
    torch.sum(torch.sin(at) * bt + at * ct ** 2).backward()
    for got, want in ((a, at), (b, bt), (c, ct)):
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-12)
    assert G.wrt == ("b",) and G.grad(A, B, C).shape == (5,)  # G itself is unchanged


def test_mixed_tensor_ndarray_and_a_tensor_not_requiring_grad():
    A, B, C = (R.standard_normal(4) for _ in range(3))
    G = symgrad.grad(weighted)
    a, b = _s(A), _s(B, requires_grad=False)
    out = G(a, b, C)
    assert type(out.grad_fn).__name__ == "weightedBackward"
    out.backward()
    assert b.grad is None
    at = _t(A)
    torch.sum(torch.sin(at) * torch.tensor(B) + at * torch.tensor(C) ** 2).backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12)
    # no Tensor requires grad: a value, no node
    plain = G(_s(A, False), b, C)
    assert plain.grad_fn is None and not plain.requires_grad
    np.testing.assert_allclose(plain.numpy(), G(A, B, C), rtol=1e-15)
    with symgrad.no_grad():
        assert G(_s(A), b, C).grad_fn is None


def test_second_derivative_with_create_graph(monkeypatch):
    # the generated gradient itself runs on the Tensors, recorded: no taped fallback
    monkeypatch.setattr(function, "_taped_gradient", None)
    W, X = R.standard_normal((4, 2)), R.standard_normal((3, 4))
    G = symgrad.grad(layer)
    w = _s(W)
    (g,) = symgrad.autograd.grad(G(w, X), w, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    (gg,) = symgrad.autograd.grad((g * g).sum(), w)
    wt = _t(W)
    (gt,) = torch.autograd.grad(torch.mean(torch.tanh(torch.tensor(X) @ wt) ** 2), wt,
                                create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), wt)
    np.testing.assert_allclose(_np(g), _np(gt), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-14)


def test_second_derivative_of_a_function_with_a_loop():
    # its generated gradient accumulates into arrays, which the Tensor does not record: the
    # gradient is then taken through the primal taped op by op
    W, xs, h = R.standard_normal((3, 3)) * 0.5, R.standard_normal((4, 3)), R.standard_normal(3)
    G = symgrad.grad(rnn)
    Wt, ht = _s(W), _s(h)
    gW, gh = symgrad.autograd.grad(G(Wt, xs, ht), (Wt, ht), create_graph=True)
    (ggW,) = symgrad.autograd.grad(gW.sum() + gh.sum(), Wt)
    Wr, hr = _t(W), _t(h)
    hh = hr
    for t in range(4):
        hh = torch.tanh(Wr @ hh + torch.tensor(xs[t]))
    rW, rh = torch.autograd.grad((hh ** 2).sum(), (Wr, hr), create_graph=True)
    (rrW,) = torch.autograd.grad(rW.sum() + rh.sum(), Wr)
    np.testing.assert_allclose(_np(gW), _np(rW), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ggW.numpy(), rrW.numpy(), rtol=1e-10, atol=1e-13)
    # an input computed from another (h from W) gets its share once through the fallback
    Wt = _s(W)
    (gW,) = symgrad.autograd.grad(G(Wt, xs, Wt[0] * 2.0), Wt, create_graph=True)
    (ggW,) = symgrad.autograd.grad((gW ** 2).sum(), Wt)
    Wr = _t(W)
    hh = Wr[0] * 2.0
    for t in range(4):
        hh = torch.tanh(Wr @ hh + torch.tensor(xs[t]))
    (rW,) = torch.autograd.grad((hh ** 2).sum(), Wr, create_graph=True)
    (rrW,) = torch.autograd.grad((rW ** 2).sum(), Wr)
    np.testing.assert_allclose(_np(gW), _np(rW), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ggW.numpy(), rrW.numpy(), rtol=1e-10, atol=1e-13)


def test_an_input_computed_from_another_gets_its_share_once():
    A, C = R.standard_normal(3), R.standard_normal(3)
    G = symgrad.grad(weighted)
    a = _s(A)
    b = a * 3.0
    G(a, b, C).backward()
    at = _t(A)
    bt = at * 3.0
    torch.sum(torch.sin(at) * bt + at * torch.tensor(C) ** 2).backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12)
    # and so under create_graph, on the second derivative too
    a = _s(A)
    (g,) = symgrad.autograd.grad(G(a, a * 3.0, C), a, create_graph=True)
    (gg,) = symgrad.autograd.grad(g.sum(), a)
    at = _t(A)
    (gt,) = torch.autograd.grad(torch.sum(torch.sin(at) * at * 3.0 + at * torch.tensor(C) ** 2),
                                at, create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), at)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-12)


def test_two_outputs_share_the_node():
    A, B = R.standard_normal(3), R.standard_normal(3)
    G = symgrad.grad(two_outputs)
    a = _s(A)
    s1, s2 = G(a, B)
    assert s1.grad_fn is s2.grad_fn and type(s1.grad_fn).__name__ == "two_outputsBackward"
    s2.backward()  # the other output gets a zero cotangent
    np.testing.assert_allclose(a.grad.numpy(), np.exp(A), rtol=1e-12)
    a.grad = None
    s1, s2 = G(a, B)
    (s1 + 2 * s2).backward()
    np.testing.assert_allclose(a.grad.numpy(), B + 2 * np.exp(A), rtol=1e-12)


def test_aux_outputs_are_not_differentiated():
    A, B = R.standard_normal(3), R.standard_normal(3)
    G = symgrad.grad(with_aux, has_aux=True)
    a = _s(A)
    y, aux = G(a, B)
    assert type(y.grad_fn).__name__ == "with_auxBackward"
    assert isinstance(aux, symgrad.Tensor) and not aux.requires_grad
    np.testing.assert_allclose(aux.numpy(), A * 2)
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.exp(A) * B, rtol=1e-12)


def test_the_node_keeps_torchs_rules_for_saved_inputs():
    W, X = R.standard_normal((4, 2)), R.standard_normal((3, 4))
    G = symgrad.grad(layer)
    w = _s(W)
    out = G(w.clone(), X)
    out.backward(retain_graph=True)
    out.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()
    v = w * 1.0
    out = G(v, X)
    v.add_(1.0)  # a saved input modified in place
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_an_output_is_never_an_input_array():
    G = symgrad.grad(identity)
    x = _s(np.ones(3))
    y = G(x)
    assert type(y.grad_fn).__name__ == "identityBackward"
    with symgrad.no_grad():
        y.add_(1.0)
    np.testing.assert_array_equal(x.detach().numpy(), np.ones(3))
    z = G(symgrad.tensor(np.ones(3)))  # no node: still its own array
    z.add_(1.0)
    np.testing.assert_array_equal(z.numpy(), 2.0)


def ignores_x(x, y):
    for _ in range(2):
        y = np.tanh(y)
    return np.sum(y)


def test_the_taped_gradient_of_an_output_that_does_not_depend_on_the_tensor():
    G = symgrad.grad(ignores_x)
    x = _s(np.ones(3))
    assert function._taped_gradient(G, (x, np.ones(3)), (0,), symgrad.tensor(1.0)) == (None,)
    (gx,) = symgrad.autograd.grad(G(x, np.ones(3)) + (x * 0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(_np(gx), np.zeros(3))
