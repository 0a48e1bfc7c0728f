"""rules/padding.py under @symgrad.grad: np.pad (every supported mode), np.gradient and
np.cumprod (zeros in the input included), against central differences and torch
(torch.nn.functional.pad, torch.gradient, torch.cumprod) on several shapes."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")
R = np.random.default_rng(1337)


def _torch_pad_last(mode):
    """np.pad of the last axis by (1, 2) in ``mode`` as torch pads it (a batch axis added)."""
    return lambda t, x: F.pad(x[None], (1, 2), mode=mode)[0]


def pad_int(x, w):
    return np.sum(np.pad(x, 2) * w)


def pad_pairs(x, w):
    return np.sum(np.pad(x, ((1, 0), (2, 1)), constant_values=1.5) * w)


def pad_pair(x, w):
    return np.sum(np.pad(x, (1, 2), "constant") * w)


def pad_edge(x, w):
    return np.sum(np.pad(x, ((0, 0), (1, 2)), mode="edge") * w)


def pad_reflect(x, w):
    return np.sum(np.pad(x, ((0, 0), (1, 2)), mode="reflect") * w)


def pad_wrap(x, w):
    return np.sum(np.pad(x, ((0, 0), (1, 2)), mode="wrap") * w)


def pad_symmetric(x, w):
    return np.sum(np.pad(x, 2, mode="symmetric") * w)


def pad_reflect_all(x, w):
    return np.sum(np.pad(x, 1, mode="reflect") * w)


# (function, numpy's padding of x alone, torch's, x's shapes)
CASES = [
    (pad_int, lambda x: np.pad(x, 2), None, [(), (3,), (2, 3), (2, 1, 2), (0, 2)]),
    (pad_pairs, lambda x: np.pad(x, ((1, 0), (2, 1))),
     lambda t, x: F.pad(x, (2, 1, 1, 0), value=1.5), [(2, 3), (1, 4)]),
    (pad_pair, lambda x: np.pad(x, (1, 2)), lambda t, x: F.pad(x, (1, 2) * x.ndim), [(3,), (2, 2)]),
    (pad_edge, lambda x: np.pad(x, ((0, 0), (1, 2)), mode="edge"),
     _torch_pad_last("replicate"), [(2, 3), (1, 1)]),
    (pad_reflect, lambda x: np.pad(x, ((0, 0), (1, 2)), mode="reflect"),
     _torch_pad_last("reflect"), [(2, 3), (3, 4)]),
    (pad_wrap, lambda x: np.pad(x, ((0, 0), (1, 2)), mode="wrap"),
     _torch_pad_last("circular"), [(2, 3), (1, 2)]),
    (pad_symmetric, lambda x: np.pad(x, 2, mode="symmetric"), None, [(3,), (2, 3), (1, 2, 2)]),
    (pad_reflect_all, lambda x: np.pad(x, 1, mode="reflect"), None, [(3,), (2, 3), (3, 2, 2)]),
]
ALL = [(f, probe, tf, s) for f, probe, tf, shapes in CASES for s in shapes]


@pytest.mark.parametrize("f, probe, torch_f, shape", ALL,
                         ids=[f"{f.__name__}-{s}" for f, _, _, s in ALL])
def test_pad_matches_central_differences_and_torch(f, probe, torch_f, shape):
    x = R.standard_normal(shape)
    w = R.standard_normal(np.shape(probe(x)))
    G = symgrad.grad(f, wrt=("x", "w"))
    assert_same_array(G(x, w), f(x, w))
    gx, _ = check_grads(G, x, w)
    if torch_f is not None:
        tx = torch.tensor(x, requires_grad=True)
        torch.sum(torch_f(torch, tx) * torch.tensor(w)).backward()
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def pad_stat(x):
    return np.sum(np.pad(x, 1, mode="mean"))


def pad_odd(x):
    return np.sum(np.pad(x, 1, mode="reflect", reflect_type="odd"))


def pad_computed(x):
    return np.sum(np.pad(x, x.shape[0]))


def test_unsupported_pads_are_refused():
    with pytest.raises(symgrad.SymgradError, match="mode='mean' is not supported"):
        symgrad.grad(pad_stat)
    with pytest.raises(symgrad.SymgradError, match="reflect_type='odd'"):
        symgrad.grad(pad_odd)
    with pytest.raises(symgrad.SymgradError, match="pad_width must be integers known now"):
        symgrad.grad(pad_computed)


# ---------------------------------------------------------------- np.gradient


def gradient_1d(x, w):
    return np.sum(np.gradient(x) * w)


def gradient_spacing(x, w):
    return np.sum(np.gradient(x, 0.5, axis=-1) * w)


def gradient_axes(x, w):
    a, b = np.gradient(x, 2.0, axis=(0, -1))
    return np.sum(a * w) + np.sum(b * w ** 2)


def gradient_all(x, w):
    parts = np.gradient(x)
    return np.sum(parts[0] * w) + np.sum(np.sin(parts[1]))


CASES_GRADIENT = [
    (gradient_1d, lambda t, x, w: (t.gradient(x)[0] * w).sum(), [(2,), (5,)]),
    (gradient_spacing, lambda t, x, w: (t.gradient(x, spacing=0.5, dim=-1)[0] * w).sum(),
     [(3,), (2, 4), (2, 3, 2)]),
    (gradient_axes, lambda t, x, w: (lambda a, b: (a * w).sum() + (b * w ** 2).sum())(
        *t.gradient(x, spacing=2.0, dim=(0, -1))), [(3, 4), (2, 3, 2)]),
    (gradient_all, lambda t, x, w: (lambda p: (p[0] * w).sum() + t.sin(p[1]).sum())(
        t.gradient(x)), [(3, 4), (2, 2, 3)]),
]
ALL_GRADIENT = [(f, tf, s) for f, tf, shapes in CASES_GRADIENT for s in shapes]


@pytest.mark.parametrize("f, torch_f, shape", ALL_GRADIENT,
                         ids=[f"{f.__name__}-{s}" for f, _, s in ALL_GRADIENT])
def test_gradient_matches_central_differences_and_torch(f, torch_f, shape):
    x, w = R.standard_normal(shape), R.standard_normal(shape)
    G = symgrad.grad(f, wrt=("x", "w"))
    assert_same_array(G(x, w), f(x, w))
    gx, gw = check_grads(G, x, w)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    torch_f(torch, tx, tw).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12, atol=1e-14)


def gradient_as_array(x, w):
    return np.sum(np.gradient(x) * w)  # n-d: numpy stacks the list of per-axis gradients


def gradient_summed(x):
    return np.sum(np.gradient(x))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_gradient_of_every_axis_used_as_an_array(shape):
    x = R.standard_normal(shape)
    w = R.standard_normal(np.shape(np.gradient(x)))
    G = symgrad.grad(gradient_as_array, wrt=("x",))
    assert_same_array(G(x, w), gradient_as_array(x, w))
    check_grads(G, x, w)
    check_grads(symgrad.grad(gradient_summed), x)


def gradient_coords(x):
    return np.sum(np.gradient(x, np.arange(3.0)))


def gradient_order2(x):
    return np.sum(np.gradient(x, edge_order=2))


def test_unsupported_gradients_are_refused():
    with pytest.raises(symgrad.SymgradError, match="only constant scalar spacings"):
        symgrad.grad(gradient_coords)
    with pytest.raises(symgrad.SymgradError, match="only edge_order=1"):
        symgrad.grad(gradient_order2)


# ---------------------------------------------------------------- np.cumprod


def cumprod_axis(x, w):
    return np.sum(np.cumprod(x, axis=-1) * w)


def cumprod_first(x, w):
    return np.sum(np.cumprod(x, 0) * w)


def cumprod_flat(x, w):
    return np.sum(np.cumprod(x) * w)


def cumprod_method(x, w):
    return np.sum(x.cumprod(-1) * w)


def cumprod_method_flat(x, w):
    return np.sum(x.cumprod() * w)


CASES_CUMPROD = [
    (cumprod_axis, lambda x: x, lambda t, x: t.cumprod(x, -1), [(4,), (3, 4), (2, 3, 4), (2, 0)]),
    (cumprod_first, lambda x: x, lambda t, x: t.cumprod(x, 0), [(4,), (4, 3)]),
    (cumprod_flat, lambda x: x.reshape(-1), lambda t, x: t.cumprod(x.reshape(-1), 0),
     [(), (5,), (2, 3)]),
    (cumprod_method, lambda x: x, lambda t, x: t.cumprod(x, -1), [(5,), (2, 3)]),
    (cumprod_method_flat, lambda x: x.reshape(-1), lambda t, x: t.cumprod(x.reshape(-1), 0),
     [(5,), (2, 3)]),
]
ALL_CUMPROD = [(f, probe, tf, s, zeros) for f, probe, tf, shapes in CASES_CUMPROD
               for s in shapes for zeros in (0, 1, 2)]


@pytest.mark.parametrize("f, probe, torch_f, shape, zeros", ALL_CUMPROD,
                         ids=[f"{f.__name__}-{s}-{z}zeros" for f, _, _, s, z in ALL_CUMPROD])
def test_cumprod_matches_central_differences_and_torch(f, probe, torch_f, shape, zeros):
    x = R.standard_normal(shape)
    if x.size:
        flat = x.reshape(-1)
        flat[R.choice(x.size, min(zeros, x.size), replace=False)] = 0.0
    w = R.standard_normal(np.shape(probe(x)))
    G = symgrad.grad(f, wrt=("x", "w"))
    assert_same_array(G(x, w), f(x, w))
    gx, _ = check_grads(G, x, w)
    tx = torch.tensor(x, requires_grad=True)
    torch.sum(torch_f(torch, tx) * torch.tensor(w)).backward()
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert np.all(np.isfinite(gx))


def test_tensor_cumprod_follows_torch_with_zeros_and_twice():
    a = np.array([[0.5, 0.0, 2.0, -1.5], [0.0, 0.0, 3.0, 1.0]])
    s, t = (lib.tensor(a, requires_grad=True) for lib in (symgrad, torch))
    ys, yt = s.cumprod(1), t.cumprod(1)
    assert ys.grad_fn.name() == yt.grad_fn.name() == "CumprodBackward0"
    (gs,), (gt,) = (lib.autograd.grad((y ** 2).sum(), x, create_graph=True)
                    for lib, y, x in ((symgrad, ys, s), (torch, yt, t)))
    np.testing.assert_allclose(gs.detach().numpy(), gt.detach().numpy(), rtol=1e-12)
    (hs,), (ht,) = (lib.autograd.grad(g.sum(), x) for lib, g, x in ((symgrad, gs, s),
                                                                    (torch, gt, t)))
    np.testing.assert_allclose(hs.numpy(), ht.numpy(), rtol=1e-12)


def test_generated_code_reads_like_a_hand_written_gradient():
    src = symgrad.grad(cumprod_axis, wrt=("x",)).source
    assert "np.cumprod(x, axis=-1)" in src and "_cumprod_grad(" in src.split("grad_x =")[1]
    src = symgrad.grad(pad_reflect, wrt=("x",)).source
    assert "np.pad(x, ((0, 0), (1, 2)), mode='reflect')" in src
    assert "_pad_grad(" in src.split("grad_x =")[1]
    src = symgrad.grad(gradient_axes, wrt=("x",)).source
    assert "a = np.gradient(x, 2.0, axis=0)" in src and "b = np.gradient(x, 2.0, axis=-1)" in src
