"""Higher derivatives of the Tensor against PyTorch (skipped when torch is absent).

Under ``create_graph=True`` a rule's backward runs on Tensors, so each gradient helper it
calls (``symgrad/helpers.py``) must work on Tensors and be recorded in turn: here, the
indexing rules (getitem, setitem, ``np.add.at``), the products and the un-broadcasting.
Each test takes a gradient with ``create_graph=True`` and differentiates it again, in both
libraries, in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(12)
X = RNG.standard_normal((4, 3))
W = RNG.standard_normal((4, 3))


def _np(t):
    return t.detach().numpy().copy()


def _second(f, *values, weights=None):
    """For each library: f's gradient (create_graph) and the gradient of sum(grad * weights)
    with respect to the same inputs, as numpy arrays."""
    out = []
    for lib in (torch, symgrad):
        xs = [lib.tensor(v, requires_grad=True) for v in values]
        y = f(lib, *xs)
        gs = lib.autograd.grad(y, xs, create_graph=True)
        assert all(g.requires_grad for g in gs)
        ws = weights or [np.cos(np.arange(np.size(v)) + 1.0).reshape(np.shape(v)) for v in values]
        z = sum((g * lib.tensor(w)).sum() for g, w in zip(gs, ws, strict=True))
        hs = lib.autograd.grad(z, xs, allow_unused=True)
        hs = [np.zeros(np.shape(v)) if h is None else _np(h) for h, v in zip(hs, values, strict=True)]
        out.append(([_np(g) for g in gs], hs))
    return out


def _assert_same(res):
    (tg, th), (sg, sh) = res
    for a, b in zip(sg + sh, tg + th, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# --- indexing: getitem, setitem ---------------------------------------------------------------

INDICES = {
    "int": 1,
    "slice": (slice(1, 3),),
    "fancy_repeated": ([0, 0, 2],),
    "new_axis": (Ellipsis, None),
    "slice_and_fancy": (slice(None), [2, 0, 2]),
    "bool_mask": (X > 0,),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem_second_derivative_matches_torch(name):
    idx = INDICES[name]
    _assert_same(_second(lambda t, x: (x[idx] ** 3 * t.tensor(W)[idx]).sum(), X))


def test_getitem_third_derivative_matches_torch():
    idx = ([0, 0, 2],)
    out = []
    for lib in (torch, symgrad):
        x = lib.tensor(X, requires_grad=True)
        (g,) = lib.autograd.grad((x[idx] ** 4).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(W)).sum(), x, create_graph=True)
        (k,) = lib.autograd.grad((h * lib.tensor(W)).sum(), x)
        out.append([_np(g), _np(h), _np(k)])
    for a, b in zip(*out[::-1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


SET_INDICES = {
    "int": 2,
    "slice": (slice(1, 3),),
    # a repeated position is overwritten: the old value's gradient there is 0, and the value
    # receives g[index] at each repeat (PyTorch's index_put rule)
    "fancy_repeated": ([0, 0],),
    "fancy_and_slice": ([3, 1, 3], slice(0, 2)),
}


@pytest.mark.parametrize("name", sorted(SET_INDICES))
def test_setitem_gradients_match_torch(name):
    idx = SET_INDICES[name]
    shape = np.shape(X[idx])

    def f(t, x, v):
        z = x * 1
        z[idx] = v * v  # v broadcasts over the written region
        return (z * z * t.tensor(W + 2)).sum()

    _assert_same(_second(f, X, RNG.standard_normal(shape[-1:])))


def test_add_at_on_a_tensor_is_recorded_like_torch_index_put_accumulate():
    idx = np.array([0, 2, 0])
    v = RNG.standard_normal((3, 3))
    t_v = torch.tensor(v, requires_grad=True)
    t_out = torch.zeros(4, 3, dtype=torch.float64).index_put((torch.tensor(idx),), t_v, accumulate=True)
    s_v = symgrad.tensor(v, requires_grad=True)
    s_out = symgrad.zeros(4, 3, dtype=symgrad.float64)
    np.add.at(s_out, idx, s_v)
    assert type(s_out.grad_fn).__name__ == "IndexPutBackward0"
    np.testing.assert_allclose(_np(s_out), _np(t_out))
    (t_out * torch.tensor(W)).sum().backward()
    (s_out * symgrad.tensor(W)).sum().backward()
    np.testing.assert_allclose(_np(s_v.grad), _np(t_v.grad))
