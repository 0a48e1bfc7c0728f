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


# --- un-broadcasting: a rule's broadcast-shaped gradient summed to its input (on Tensors) -----


BROADCASTS = {
    "row": ((2, 3), (3,)),
    "column_and_row": ((2, 1), (1, 3)),
    "leading": ((4, 2, 3), (2, 1)),
    "scalar": ((2, 3), ()),
}


@pytest.mark.parametrize("name", sorted(BROADCASTS))
def test_broadcast_second_derivative_matches_torch(name):
    sa, sb = BROADCASTS[name]
    _assert_same(_second(lambda t, a, b: ((a * b).sin() * (a + b)).sum(),
                         RNG.standard_normal(sa), RNG.standard_normal(sb)))


# --- products (helpers._matmul_grad_a/_b through the matmul rule) ------------------------------

MATMULS = {
    "mm": ((3, 4), (4, 2)),
    "mv": ((3, 4), (4,)),  # A @ v: the helpers called np.asarray on Tensors here
    "vm": ((4,), (4, 2)),
    "dot": ((4,), (4,)),
    "bmm": ((2, 3, 4), (2, 4, 5)),
    "batched_mv": ((2, 3, 4), (4,)),
    "vector_batched": ((4,), (2, 4, 5)),
    "broadcast_batch": ((2, 3, 4), (4, 5)),
    "broadcast_matrix": ((3, 4), (2, 4, 5)),
}


@pytest.mark.parametrize("name", sorted(MATMULS))
def test_matmul_second_derivative_matches_torch(name):
    sa, sb = MATMULS[name]
    _assert_same(_second(lambda t, a, b: ((a @ b).sin()).sum(),
                         RNG.standard_normal(sa), RNG.standard_normal(sb)))


def test_numpy_dot_and_outer_on_tensors_second_derivative_matches_torch():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)

    def f(t, a, b):
        if t is torch:
            return ((a @ b).sin().sum() * torch.outer(b, b).sum())
        return np.dot(a, b).sin().sum() * np.outer(b, b).sum()

    _assert_same(_second(f, a, b))


# --- prod (helpers._prod_others), zeros included -------------------------------------------------

PRODS = {
    "all": lambda x: x.prod(),
    "dim": lambda x: x.prod(1),
    "dim0_keepdim": lambda x: x.prod(0, keepdim=True),
}
PROD_VALUES = {
    "no_zero": np.array([[0.5, -1.5, 2.0], [1.5, 3.0, -1.0]]),
    "one_zero": np.array([[0.5, 0.0, 2.0], [1.5, 3.0, -1.0]]),
    "two_zeros": np.array([[0.0, 0.0, 2.0], [1.5, 0.0, -1.0]]),
}


@pytest.mark.parametrize("op", sorted(PRODS))
@pytest.mark.parametrize("values", sorted(PROD_VALUES))
def test_prod_second_derivative_matches_torch(op, values):
    _assert_same(_second(lambda t, x: (PRODS[op](x) * t.tensor(1.5)).sin().sum(), PROD_VALUES[values]))


# --- the gradient helpers the generated code inlines, called on Tensors --------------------------
# Each helper is the vjp of one numpy op with respect to one argument: its own derivatives
# (with respect to g and to the op's inputs) must be torch's double backward of that op.


def _dot(t, a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return t.tensordot(a, b, dims=([a.ndim - 1], [max(b.ndim - 2, 0)]))


TORCH_OPS = {
    "_dot_grad": _dot,
    "_inner_grad": lambda t, a, b: a * b if a.ndim == 0 or b.ndim == 0
    else t.tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 1])),
    "_outer_grad": lambda t, a, b: t.outer(a.reshape(-1), b.reshape(-1)),
    "_matmul_grad": lambda t, a, b: a @ b,
}
HELPER_CASES = [
    ("_dot_grad", (3, 4), (4,)),
    ("_dot_grad", (2, 3, 4), (4, 5)),
    ("_dot_grad", (4,), (4, 3)),
    ("_dot_grad", (3, 4), (2, 4, 5)),
    ("_dot_grad", (), (3,)),
    ("_inner_grad", (3, 4), (4,)),
    ("_inner_grad", (2, 4), (3, 4)),
    ("_inner_grad", (3,), ()),
    ("_outer_grad", (3,), (4,)),
    ("_outer_grad", (2, 2), (3,)),
    ("_matmul_grad", (3, 4), (4,)),
    ("_matmul_grad", (4,), (2, 4, 3)),
]


@pytest.mark.parametrize("helper, sa, sb", HELPER_CASES)
@pytest.mark.parametrize("side", ["a", "b"])
def test_product_helpers_on_tensors_differentiate_like_torch(helper, sa, sb, side):
    from symgrad import helpers

    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    out_shape = np.shape(TORCH_OPS[helper](torch, torch.tensor(a), torch.tensor(b)))
    g = RNG.standard_normal(out_shape)
    w = RNG.standard_normal(sa if side == "a" else sb)
    res = []
    for lib in (torch, symgrad):
        ta, tb, tg = (lib.tensor(v, requires_grad=True) for v in (a, b, g))
        if lib is torch:
            out = TORCH_OPS[helper](torch, ta, tb)
            (vjp,) = torch.autograd.grad(out, ta if side == "a" else tb, tg, create_graph=True)
        else:
            vjp = getattr(helpers, f"{helper}_{side}")(tg, ta, tb)
        assert tuple(vjp.shape) == np.shape(w)
        grads = lib.autograd.grad((vjp * lib.tensor(w)).sum(), (tg, ta, tb), allow_unused=True)
        res.append([_np(vjp)] + [np.zeros(np.shape(v)) if d is None else _np(d)
                                 for d, v in zip(grads, (g, a, b), strict=True)])
    for s, t in zip(res[1], res[0], strict=True):
        np.testing.assert_allclose(s, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape, axis", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3), None), ((), None)])
def test_cumsum_helper_on_tensors_differentiates_like_torch(shape, axis):
    from symgrad import helpers

    x = RNG.standard_normal(shape)
    g = RNG.standard_normal(np.shape(np.cumsum(x, axis=axis)))
    w = RNG.standard_normal(shape)
    tg = torch.tensor(g, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = torch.cumsum(tx.reshape(-1), 0) if axis is None else torch.cumsum(tx, axis)
    (t_vjp,) = torch.autograd.grad(out, tx, tg, create_graph=True)
    (t_gg,) = torch.autograd.grad((t_vjp * torch.tensor(w)).sum(), tg)
    sg = symgrad.tensor(g, requires_grad=True)
    s_vjp = helpers._cumsum_grad(sg, symgrad.tensor(x), axis)
    (s_gg,) = symgrad.autograd.grad((s_vjp * symgrad.tensor(w)).sum(), sg)
    np.testing.assert_allclose(_np(s_vjp), _np(t_vjp), rtol=1e-12)
    np.testing.assert_allclose(_np(s_gg), _np(t_gg), rtol=1e-12)
    # and the ndarray path (what generated code runs) gives the same vjp
    np.testing.assert_allclose(helpers._cumsum_grad(g, x, axis), _np(t_vjp), rtol=1e-12)
