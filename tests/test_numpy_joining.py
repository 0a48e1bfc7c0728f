"""numpy's joins (rules/joining.py): hstack, vstack, dstack, column_stack, row_stack, append,
atleast_1d/2d/3d, broadcast_to, and concatenate/stack of a tuple or list variable.

Each gradient is checked against central differences in float64 on several shapes (1-d,
batched 3-d, 0-d, mixed ranks where numpy allows them) and against torch's autograd.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

R = np.random.default_rng(1313)


def rand(*shape):
    return R.standard_normal(shape)


def hstack_loss(a, b):
    y = np.hstack([a, b])
    return np.sum(np.sin(y) * np.cos(np.arange(y.size).reshape(y.shape)))


def vstack_loss(a, b):
    y = np.vstack((a, b))
    return np.sum(np.sin(y) * np.cos(np.arange(y.size).reshape(y.shape)))


def dstack_loss(a, b):
    y = np.dstack([a, b])
    return np.sum(np.sin(y) * np.cos(np.arange(y.size).reshape(y.shape)))


def column_stack_loss(a, b):
    y = np.column_stack([a, b])
    return np.sum(np.sin(y) * np.cos(np.arange(y.size).reshape(y.shape)))


def row_stack_loss(a, b):
    y = np.row_stack([a, b])
    return np.sum(np.sin(y) * np.cos(np.arange(y.size).reshape(y.shape)))


def append_loss(a, b):
    y = np.append(a, b)
    return np.sum(np.sin(y) * np.cos(np.arange(y.size)))


def append_axis_loss(a, b):
    y = np.append(a, b, axis=0)
    return np.sum(np.sin(y) * np.cos(np.arange(y.size).reshape(y.shape)))


JOINS = {
    hstack_loss: ("hstack", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3, 4), (2, 1, 4)), ((), ()),
                             ((), (2,))]),
    vstack_loss: ("vstack", [((3,), (3,)), ((2, 3), (3,)), ((2, 3, 4), (1, 3, 4)), ((), ())]),
    dstack_loss: ("dstack", [((3,), (3,)), ((2, 3), (2, 3, 2)), ((2, 3, 4), (2, 3, 1)),
                             ((), ())]),
    column_stack_loss: ("column_stack", [((3,), (3,)), ((3, 2), (3,)), ((2, 3, 4), (2, 1, 4)),
                                         ((), ())]),
    row_stack_loss: ("vstack", [((3,), (3,)), ((2, 3), (1, 3))]),
    append_loss: (None, [((3,), (2, 2)), ((), (2,)), ((2, 3), ())]),
    append_axis_loss: (None, [((2, 3), (1, 3)), ((3,), (2,))]),
}
CASES = [(f, sa, sb) for f, (_, shapes) in JOINS.items() for sa, sb in shapes]


@pytest.mark.parametrize("f, sa, sb", CASES, ids=[f"{f.__name__}-{sa}-{sb}" for f, sa, sb in CASES])
def test_joins_match_finite_differences(f, sa, sb):
    a, b = rand(*sa), rand(*sb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.row_stack's
        G = symgrad.grad(f)
        np.testing.assert_allclose(G(a, b), f(a, b), rtol=1e-12)
        check_grads(G, a, b)


@pytest.mark.parametrize("f, sa, sb", [c for c in CASES if JOINS[c[0]][0]],
                         ids=[f"{f.__name__}-{sa}-{sb}" for f, sa, sb in CASES if JOINS[f][0]])
def test_joins_match_torch(f, sa, sb):
    torch = pytest.importorskip("torch")
    a, b = rand(*sa), rand(*sb)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    y = getattr(torch, JOINS[f][0])([ta, tb])
    w = np.cos(np.arange(y.numel()).reshape(tuple(y.shape)))
    torch.sum(torch.sin(y) * torch.tensor(w)).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ga, gb = symgrad.grad(f).grad(a, b)
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-12)


def test_join_gradients_read_like_slices_of_the_cotangent():
    source = symgrad.grad(vstack_loss).source
    assert "np.vstack([a, b])" in source
    grad = source.split("def vstack_loss_grad")[1].split("\ndef ")[0]
    assert "np.atleast_2d(a).shape[0]" in grad and "np.reshape(grad_y[:t0], np.shape(a))" in grad
    assert "np.atleast_2d(g" not in grad  # a vstack's cotangent is sliced as it is
    hgrad = symgrad.grad(hstack_loss).source.split("def hstack_loss_grad")[1]
    assert "np.atleast_2d(" in hgrad and "[:, " in hgrad
    # row_stack prints as vstack (numpy 2 deprecates the alias)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert "np.vstack([a, b])" in symgrad.grad(row_stack_loss).source
    assert "np.concatenate([a, b], axis=None)" in symgrad.grad(append_loss).source


def atleast_loss(a, b, c):
    return np.sum(np.sin(np.atleast_1d(a)) * 2.0) + np.sum(np.atleast_2d(b) ** 2) + \
        np.sum(np.cos(np.atleast_3d(c)) * np.arange(np.atleast_3d(c).size).reshape(
            np.atleast_3d(c).shape))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_atleast_views_match_finite_differences_and_torch(shape):
    torch = pytest.importorskip("torch")
    a, b, c = rand(*shape), rand(*shape), rand(*shape)
    G = symgrad.grad(atleast_loss)
    np.testing.assert_allclose(G(a, b, c), atleast_loss(a, b, c), rtol=1e-12)
    grads = check_grads(G, a, b, c)
    ts = [torch.tensor(v, requires_grad=True) for v in (a, b, c)]
    c3 = torch.atleast_3d(ts[2])
    w = torch.arange(c3.numel(), dtype=torch.float64).reshape(c3.shape)
    (torch.sum(torch.sin(torch.atleast_1d(ts[0])) * 2.0) + torch.sum(torch.atleast_2d(ts[1]) ** 2)
     + torch.sum(torch.cos(c3) * w)).backward()
    for got, t in zip(grads, ts, strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12)
        assert np.shape(got) == tuple(t.shape)


def test_atleast_results_are_views_for_in_place_writes():
    def write_through(x):
        y = np.atleast_2d(x)
        y[0] = 1.0
        return np.sum(x * y)

    with pytest.raises(symgrad.SymgradError, match="share memory"):
        symgrad.grad(write_through)


def test_atleast_of_several_arrays_is_refused_with_numpys_signature():
    def two(a, b):
        return np.atleast_1d(a, b)

    with pytest.raises(symgrad.SymgradError, match="too many arguments"):
        symgrad.grad(two)


def broadcast_loss(a, b):
    return np.sum(np.sin(np.broadcast_to(a, b.shape)) * b)


def broadcast_literal_loss(a):
    return np.sum(np.broadcast_to(a, (2, 3, 4)) ** 3)


@pytest.mark.parametrize("sa, sb", [((), (2,)), ((3,), (2, 3)), ((3, 1), (2, 3, 4)),
                                    ((1, 1), (2, 2)), ((2,), (2,))])
def test_broadcast_to_sums_its_gradient_back(sa, sb):
    torch = pytest.importorskip("torch")
    a, b = rand(*sa), rand(*sb)
    G = symgrad.grad(broadcast_loss)
    np.testing.assert_allclose(G(a, b), broadcast_loss(a, b), rtol=1e-12)
    ga, gb = check_grads(G, a, b)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    torch.sum(torch.sin(torch.broadcast_to(ta, tb.shape)) * tb).backward()
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-12)


def test_broadcast_to_a_literal_shape_and_the_tensor_method():
    torch = pytest.importorskip("torch")
    a = rand(3, 1)
    G = symgrad.grad(broadcast_literal_loss)
    check_grads(G, a)
    assert "np.broadcast_to(a, (2, 3, 4))" in G.source
    s, t = symgrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for x in (s, t):
        y = x.broadcast_to((2, 3, 4))
        assert y.grad_fn.name() == "ExpandBackward0"
        (y ** 3).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(G.grad(a), t.grad.numpy(), rtol=1e-12)


def concatenate_tuple_variable(a, b):
    parts = (a, b * 2.0)
    return np.sum(np.sin(np.concatenate(parts, axis=-1)))


def concatenate_list_variable(a, b):
    parts = [a, b]
    return np.sum(np.sin(np.concatenate(parts)))


def stack_list_variable(a, b):
    rows = [a, b, a * b]
    return np.sum(np.cos(np.stack(rows, axis=1)))


def vstack_list_variable(a, b):
    rows = [a, b]
    return np.sum(np.cos(np.vstack(rows)) * 3.0)


@pytest.mark.parametrize("f, sa, sb", [(concatenate_tuple_variable, (2, 3), (2, 2)),
                                       (concatenate_list_variable, (3,), (2,)),
                                       (stack_list_variable, (2, 3), (2, 3)),
                                       (vstack_list_variable, (3,), (2, 3))])
def test_joins_of_a_tuple_or_list_variable(f, sa, sb):
    a, b = rand(*sa), rand(*sb)
    G = symgrad.grad(f)
    np.testing.assert_allclose(G(a, b), f(a, b), rtol=1e-12)
    check_grads(G, a, b)


def test_a_join_of_one_array_is_not_a_literal_list():
    def join_array(x):
        return np.sum(np.vstack(x))

    with pytest.raises(symgrad.SymgradError, match="needs a literal list of arrays"):
        symgrad.grad(join_array)


def test_casting_and_dtype_keywords_are_refused():
    def cast(a, b):
        return np.sum(np.hstack([a, b], casting="unsafe"))

    with pytest.raises(symgrad.SymgradError, match="casting"):
        symgrad.grad(cast)
