"""Adversarial review of the registry redesign: programs users write, checked against numpy,
central differences and torch. Each xfail names a bug left open."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

torch = pytest.importorskip("torch")


def sin_times_square(a, b):
    return np.sum(np.sin(a) * b ** 2)


def test_grad_of_tensors_gives_the_gradient_not_an_attribute_error():
    a = np.array([0.3, -1.2, 2.0])
    b = np.array([1.5, 0.5, -2.0])
    G = symgrad.grad(sin_times_square, wrt="a")
    g = G.grad(symgrad.tensor(a, requires_grad=True), b)
    at = torch.tensor(a, requires_grad=True)
    (torch.sin(at) * torch.tensor(b) ** 2).sum().backward()
    np.testing.assert_allclose(np.asarray(g.detach().numpy()), at.grad.numpy(), rtol=1e-12)


def clip_keywords(x):
    return np.sum(np.clip(x, a_min=-0.5, a_max=None) * x)


def test_clip_binds_numpys_keyword_names():
    x = np.array([-1.0, 0.2, 0.7])
    G = symgrad.grad(clip_keywords)
    np.testing.assert_allclose(G.grad(x), numeric_grad(clip_keywords, [x], 0), atol=1e-7)


def mask_or(x, m, n):
    return np.sum(x * (m + n))


def test_sum_of_two_bool_parameters_is_numpys_or():
    x = np.array([1.0, 2.0, 3.0])
    m, n = np.array([True, True, False]), np.array([True, False, False])
    value, grad = symgrad.grad(mask_or, wrt="x").value_and_grad(x, m, n)
    assert value == pytest.approx(mask_or(x, m, n))
    np.testing.assert_allclose(grad, [1.0, 1.0, 0.0])


def asarray_of_list(a, b):
    return np.sum(np.asarray(a) * b ** 2)


def test_a_list_of_integers_read_with_asarray_has_a_gradient_for_the_others():
    b = np.array([3.0, 4.0])
    G = symgrad.grad(asarray_of_list, wrt="b")
    g = G.grad([1, 2], b)
    np.testing.assert_allclose(g, [6.0, 16.0])
    assert G([1, 2], b) == asarray_of_list([1, 2], b)
    value, g2 = G.value_and_grad([1, 2], b)
    assert value == asarray_of_list([1, 2], b)
    np.testing.assert_allclose(g2, numeric_grad(asarray_of_list, [[1, 2], b], 1))
    at = torch.tensor(b, requires_grad=True)
    (torch.tensor([1, 2]) * at ** 2).sum().backward()
    np.testing.assert_allclose(g, at.grad.numpy(), rtol=1e-12)


def test_a_list_read_with_asarray_gets_its_own_gradient():
    a, b = [0.5, -1.0], np.array([3.0, 4.0])
    g = symgrad.grad(asarray_of_list, wrt="a").grad(a, b)
    np.testing.assert_allclose(g, b ** 2)


def test_in_place_multiply_of_a_view_by_a_tensor_matches_torch():
    base = np.arange(12.0).reshape(3, 4) / 10 + 0.5
    grads = []
    for lib in (torch, symgrad):
        b = lib.tensor(base, requires_grad=True)
        c = b * 2
        c[1:].mul_(b[:2])
        c.sum().backward()
        grads.append(b.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_in_place_multiply_by_itself_raises_at_backward_as_torch_does():
    # torch saves the original self, not an ``other`` that is self: its backward refuses
    for lib in (torch, symgrad):
        b = lib.tensor(np.array([0.5, 1.5]), requires_grad=True)
        c = b * 2
        c.mul_(c)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            c.sum().backward()


def clip_method_keywords(x):
    return np.sum(x.clip(min=0.1) * x + np.clip(x, max=0.5))


def test_clip_takes_numpy_2s_min_and_max_keywords():
    x = np.array([-1.0, 0.2, 0.7])
    G = symgrad.grad(clip_method_keywords)
    np.testing.assert_allclose(G(x), clip_method_keywords(x), rtol=1e-12)
    np.testing.assert_allclose(G.grad(x), numeric_grad(clip_method_keywords, [x], 0), atol=1e-7)
