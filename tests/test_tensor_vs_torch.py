"""Differential tests: symgrad's Tensor against real PyTorch (skipped when torch is absent).

For each op: same value, same dtype, same grad_fn name, same gradients; and the same error
messages for the misuse cases."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
B = RNG.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
M = RNG.uniform(-1.0, 1.0, (3, 4)).astype(np.float32)
V = RNG.uniform(-1.0, 1.0, (3,)).astype(np.float32)
S = np.float32(1.3)

# name -> f(lib, a, b, m, v): a, b are (2, 3), m is (3, 4), v is (3,), all requiring grad
OPS = {
    "add": lambda t, a, b, m, v: a + b,
    "add_scalar": lambda t, a, b, m, v: a + 2,
    "radd_scalar": lambda t, a, b, m, v: 2 + a,
    "add_broadcast": lambda t, a, b, m, v: a + v,
    "sub": lambda t, a, b, m, v: a - b,
    "rsub": lambda t, a, b, m, v: 2 - a,
    "mul": lambda t, a, b, m, v: a * b,
    "mul_scalar": lambda t, a, b, m, v: a * 3,
    "rmul_scalar": lambda t, a, b, m, v: 3 * a,
    "mul_broadcast": lambda t, a, b, m, v: a * v,
    "div": lambda t, a, b, m, v: a / b,
    "div_scalar": lambda t, a, b, m, v: a / 2,
    "rdiv_scalar": lambda t, a, b, m, v: 2 / a,
    "neg": lambda t, a, b, m, v: -a,
    "pow_scalar": lambda t, a, b, m, v: a**2,
    "pow_half": lambda t, a, b, m, v: a**0.5,
    "pow_tensor": lambda t, a, b, m, v: a**b,
    "rpow": lambda t, a, b, m, v: 2**a,
    "pow_method": lambda t, a, b, m, v: a.pow(3),
    "torch_pow": lambda t, a, b, m, v: t.pow(a, b),
    "exp": lambda t, a, b, m, v: a.exp(),
    "torch_exp": lambda t, a, b, m, v: t.exp(a),
    "log": lambda t, a, b, m, v: t.log(a),
    "sin": lambda t, a, b, m, v: a.sin(),
    "cos": lambda t, a, b, m, v: t.cos(a),
    "tanh": lambda t, a, b, m, v: a.tanh(),
    "sigmoid": lambda t, a, b, m, v: t.sigmoid(a - 1),
    "relu": lambda t, a, b, m, v: (a - 1).relu(),
    "torch_relu": lambda t, a, b, m, v: t.relu(a - 1),
    "sqrt": lambda t, a, b, m, v: a.sqrt(),
    "abs": lambda t, a, b, m, v: (a - 1).abs(),
    "torch_abs": lambda t, a, b, m, v: t.abs(a - 1),
    "where": lambda t, a, b, m, v: t.where(a > b, a, b * 2),
    "where_scalar": lambda t, a, b, m, v: t.where(a > 1, a, 0.0),
    "sum": lambda t, a, b, m, v: a.sum(),
    "sum_dim": lambda t, a, b, m, v: a.sum(0),
    "sum_dim_keepdim": lambda t, a, b, m, v: a.sum(dim=1, keepdim=True),
    "torch_sum": lambda t, a, b, m, v: t.sum(a, 1),
    "mean": lambda t, a, b, m, v: a.mean(),
    "mean_dim": lambda t, a, b, m, v: a.mean(1),
    "mean_keepdim": lambda t, a, b, m, v: a.mean(0, keepdim=True),
    "mean_tuple": lambda t, a, b, m, v: a.mean((0, 1)),
    "max": lambda t, a, b, m, v: a.max(),
    "min": lambda t, a, b, m, v: a.min(),
    "max_dim_values": lambda t, a, b, m, v: a.max(1)[0],
    "max_dim_values_attr": lambda t, a, b, m, v: a.max(dim=0).values,
    "maximum": lambda t, a, b, m, v: t.max(a, b),
    "mm": lambda t, a, b, m, v: a.mm(m),
    "matmul_op": lambda t, a, b, m, v: a @ m,
    "torch_matmul": lambda t, a, b, m, v: t.matmul(a, m),
    "torch_mm": lambda t, a, b, m, v: t.mm(a, m),
    "mv": lambda t, a, b, m, v: a @ v,
    "dot": lambda t, a, b, m, v: v @ v,
    "vecmat": lambda t, a, b, m, v: v @ m,
    "view": lambda t, a, b, m, v: a.view(3, 2),
    "view_infer": lambda t, a, b, m, v: a.view(-1),
    "reshape": lambda t, a, b, m, v: a.reshape(6),
    "reshape_noncontig": lambda t, a, b, m, v: a.t().reshape(6),
    "t": lambda t, a, b, m, v: a.t(),
    "T": lambda t, a, b, m, v: a.T,
    "transpose": lambda t, a, b, m, v: a.transpose(0, 1),
    "select": lambda t, a, b, m, v: a[1],
    "select2": lambda t, a, b, m, v: a[0][2],
    "select_tuple": lambda t, a, b, m, v: a[1, 2],
    "slice": lambda t, a, b, m, v: a[:, 1:],
    "column": lambda t, a, b, m, v: a[:, 0],
    "index_list": lambda t, a, b, m, v: a[[0, 1, 1]],
    "index_bool": lambda t, a, b, m, v: a[a > 1],
    "unsqueeze": lambda t, a, b, m, v: a.unsqueeze(0),
    "clone": lambda t, a, b, m, v: a.clone(),
    "square": lambda t, a, b, m, v: a.square(),
    "clamp": lambda t, a, b, m, v: a.clamp(0.8, 1.5),
    "cat": lambda t, a, b, m, v: t.cat([a, b], 1),
    "stack": lambda t, a, b, m, v: t.stack([a, b]),
    "chain": lambda t, a, b, m, v: ((a * b + 1).exp().sum(0) / 3).tanh(),
    "expand": lambda t, a, b, m, v: v.expand(2, 3),
    "double": lambda t, a, b, m, v: a.double(),
    "log1p": lambda t, a, b, m, v: a.log1p(),
    "var": lambda t, a, b, m, v: a.var(),
    "std_dim": lambda t, a, b, m, v: a.std(1),
    "prod": lambda t, a, b, m, v: a.prod(),
}


def _leaves(lib, dtype=np.float32):
    return [lib.tensor(x.astype(dtype), requires_grad=True) for x in (A, B, M, V)]


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_torch(name):
    f = OPS[name]
    ts = _leaves(torch)
    ss = _leaves(symgrad)
    rt = f(torch, *ts)
    rs = f(symgrad, *ss)
    assert type(rs.grad_fn).__name__ == type(rt.grad_fn).__name__
    assert str(rs.dtype) == str(rt.dtype)
    assert tuple(rs.shape) == tuple(rt.shape)
    np.testing.assert_allclose(_np(rs), _np(rt), rtol=1e-5, atol=1e-6)
    w = RNG.uniform(-1, 1, tuple(rt.shape)).astype(_np(rt).dtype)
    rt.backward(torch.tensor(w))
    rs.backward(symgrad.tensor(w))
    for t_leaf, s_leaf in zip(ts, ss, strict=True):
        if t_leaf.grad is None:
            assert s_leaf.grad is None
        else:
            assert s_leaf.grad is not None, name
            assert str(s_leaf.grad.dtype) == str(t_leaf.grad.dtype)
            np.testing.assert_allclose(_np(s_leaf.grad), _np(t_leaf.grad), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_backward_freed_like_torch(name):
    """A graph whose nodes saved tensors cannot be walked twice; one that saved none can."""
    f = OPS[name]

    def twice(lib):
        out = f(lib, *_leaves(lib)).sum()
        out.backward()
        try:
            out.backward()
        except RuntimeError as e:
            return str(e)
        return "ok"

    assert twice(symgrad) == twice(torch)


def test_printing_of_results_matches_torch():
    for name in ("add", "mul", "mean", "sum_dim", "view", "select", "mm", "pow_scalar", "where"):
        rt = OPS[name](torch, *_leaves(torch))
        rs = OPS[name](symgrad, *_leaves(symgrad))
        assert repr(rs) == repr(rt), name
        assert str(rs) == str(rt)


# --- dtype promotion --------------------------------------------------------------------------

PROMO = [
    ("int + float scalar", lambda t: t.tensor([1, 2]) + 2.5),
    ("int * int scalar", lambda t: t.tensor([1, 2]) * 3),
    ("int / int", lambda t: t.tensor([1, 2]) / t.tensor([2, 2])),
    ("int / scalar", lambda t: t.tensor([1, 2]) / 2),
    ("float32 + float64 0-d", lambda t: t.ones(2) + t.tensor(2.5, dtype=t.float64)),
    ("int32 + float64 0-d", lambda t: t.ones(2, dtype=t.int32) + t.tensor(2.5, dtype=t.float64)),
    ("int64 + float32", lambda t: t.ones(2, dtype=t.int64) + t.ones(2)),
    ("float32 + float64", lambda t: t.ones(2) + t.ones(2, dtype=t.float64)),
    ("bool + int", lambda t: t.tensor([True, False]) + 1),
    ("int sum", lambda t: t.tensor([1, 2]).sum()),
    ("bool sum", lambda t: t.tensor([True, True]).sum()),
    ("int exp", lambda t: t.tensor([1, 2]).exp()),
    ("comparison", lambda t: t.ones(2) > 0),
    ("arange int", lambda t: t.arange(5)),
    ("arange float", lambda t: t.arange(0, 1, 0.25)),
    ("arange float end", lambda t: t.arange(5.0)),
    ("tensor floats", lambda t: t.tensor([1.0, 2.0])),
    ("tensor ints", lambda t: t.tensor([1, 2])),
    ("tensor bool", lambda t: t.tensor(True)),
    ("tensor f64", lambda t: t.tensor(3.5, dtype=t.float64)),
    ("tensor of tensors", lambda t: t.tensor([t.tensor(1.0), t.tensor(2.0)])),
    ("from_numpy f64", lambda t: t.from_numpy(np.ones(2))),
    ("zeros_like", lambda t: t.zeros_like(t.ones(2, 2, dtype=t.float64))),
    ("ones long", lambda t: t.ones(2, dtype=t.long)),
    ("double", lambda t: t.ones(2).double()),
    ("float of long", lambda t: t.ones(2, dtype=t.long).float()),
]


@pytest.mark.parametrize("name,f", PROMO, ids=[p[0] for p in PROMO])
def test_dtype_promotion_and_printing_match_torch(name, f):
    assert repr(f(symgrad)) == repr(f(torch))


# --- error messages ---------------------------------------------------------------------------


def _err(lib, f):
    try:
        f(lib)
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    return "no error"


def _used_twice(t):
    x = t.ones(2, 2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _modified_saved(t):
    x = t.ones(2, 2, requires_grad=True)
    y = x.exp()
    z = y * 2
    y.mul_(2)
    z.sum().backward()


def _modified_saved_leaf(t):
    x = t.ones(2, 2, requires_grad=True)
    w = t.ones(2, 2, requires_grad=True)
    d = x.detach()
    c = x * w
    d.mul_(2)
    c.sum().backward()


def _autograd_grad_twice(t):
    x = t.ones(2, requires_grad=True)
    o = (x * x).sum()
    t.autograd.grad(o, x)
    t.autograd.grad(o, x)


ERRORS = {
    "nonscalar backward": lambda t: (t.ones(2, 2, requires_grad=True) * 2).backward(),
    "second backward": _used_twice,
    "no grad": lambda t: t.ones(2).sum().backward(),
    "no grad under no_grad": lambda t: _under_no_grad(t),
    "leaf add_": lambda t: t.ones(2, requires_grad=True).add_(1),
    "leaf mul_": lambda t: t.ones(2, requires_grad=True).mul_(2),
    "leaf sub_": lambda t: t.ones(2, requires_grad=True).sub_(2),
    "leaf div_": lambda t: t.ones(2, requires_grad=True).div_(2),
    "leaf zero_": lambda t: t.ones(2, requires_grad=True).zero_(),
    "leaf fill_": lambda t: t.ones(2, requires_grad=True).fill_(3),
    "leaf iadd": lambda t: t.ones(2, requires_grad=True).__iadd__(1),
    "leaf setitem": lambda t: t.ones(2, requires_grad=True).__setitem__(0, 1.0),
    "view of leaf in-place": lambda t: t.ones(2, 2, requires_grad=True)[0].add_(1),
    "nonleaf requires_grad=False": lambda t: setattr(t.ones(2, requires_grad=True) * 2, "requires_grad", False),
    "nonleaf requires_grad_(False)": lambda t: (t.ones(2, requires_grad=True) * 2).requires_grad_(False),
    "int requires_grad_": lambda t: t.ones(2, dtype=t.long).requires_grad_(),
    "int factory requires_grad": lambda t: t.tensor([1, 2], requires_grad=True),
    "int ones requires_grad": lambda t: t.ones(2, dtype=t.long, requires_grad=True),
    "numpy of requires_grad": lambda t: t.ones(2, requires_grad=True).numpy(),
    "item of many": lambda t: t.ones(2, 2).item(),
    "gradient shape mismatch": lambda t: (t.ones(2, 2, requires_grad=True) * 2).backward(t.ones(3)),
    "view invalid": lambda t: t.ones(2, 2).view(3),
    "view infer invalid": lambda t: t.ones(2, 2).view(-1, 3),
    "view non-contiguous": lambda t: t.ones(2, 3).t().view(6),
    "reshape invalid": lambda t: t.ones(2, 2).reshape(3),
    "grad unused": lambda t: t.autograd.grad((t.ones(2, requires_grad=True) * 2).sum(), [t.ones(2, requires_grad=True)]),
    "grad of non-requires-grad input": lambda t: t.autograd.grad((t.ones(2, requires_grad=True) * 2).sum(), [t.ones(2)]),
    "grad nonscalar": lambda t: t.autograd.grad(t.ones(2, requires_grad=True) * 2, t.ones(2)),
    "autograd.grad twice": _autograd_grad_twice,
    "modified saved output": _modified_saved,
    "modified saved leaf": _modified_saved_leaf,
    "mm shapes": lambda t: t.ones(2, 3).mm(t.ones(2, 3)),
    "matmul shapes": lambda t: t.ones(2, 3) @ t.ones(2, 3),
    "broadcast": lambda t: t.ones(2, 3) + t.ones(2, 2),
    "t on 3d": lambda t: t.ones(2, 2, 2).t(),
    "mean of int": lambda t: t.ones(2, dtype=t.long).mean(),
    "index out of range": lambda t: t.ones(2, 2)[5],
    "dim out of range": lambda t: t.ones(2, 2).sum(3),
    "size out of range": lambda t: t.ones(2, 2).size(3),
    "assign grad of wrong size": lambda t: setattr(t.ones(2, 2, requires_grad=True), "grad", t.ones(3)),
    "retain_grad without requires_grad": lambda t: t.ones(2).retain_grad(),
    "bool requires grad": lambda t: t.tensor(True, requires_grad=True),
}


def _under_no_grad(t):
    x = t.ones(2, requires_grad=True)
    with t.no_grad():
        y = x * 2
    y.sum().backward()


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_message_matches_torch(name):
    assert _err(symgrad, ERRORS[name]) == _err(torch, ERRORS[name])


def test_nonleaf_grad_warning_matches_torch():
    import warnings

    msgs = []
    for lib in (torch, symgrad):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = lib.ones(2, requires_grad=True) * 2
            assert y.grad is None
        assert len(w) == 1 and w[0].category is UserWarning
        msgs.append(str(w[0].message).split(" (Triggered internally")[0])
    assert msgs[0] == msgs[1]


# --- higher order -----------------------------------------------------------------------------

SECOND = {
    "cube": lambda t, x: (x**3).sum(),
    "exp": lambda t, x: x.exp().sum(),
    "sin_cos": lambda t, x: (x.sin() * x.cos()).sum(),
    "tanh": lambda t, x: x.tanh().sum(),
    "sigmoid": lambda t, x: t.sigmoid(x).sum(),
    "log": lambda t, x: (x.log() * x).sum(),
    "sqrt_div": lambda t, x: (x.sqrt() / (x + 1)).mean(),
    "pow_tensor": lambda t, x: (x**x).sum(),
    "mean_sq": lambda t, x: ((x - x.mean()) ** 2).mean(),
    "view_sum": lambda t, x: (x.view(2, 2) * x.view(2, 2).t()).sum(),
    "max": lambda t, x: (x * x).max(),
    "where": lambda t, x: t.where(x > 1, x**2, x**3).sum(),
    "select": lambda t, x: (x[0] * x[1] ** 2),
    "slice": lambda t, x: (x[1:] * x[:-1] ** 2).sum(),
    "fancy": lambda t, x: (x[t.tensor([0, 2, 2])] ** 3).sum(),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivative_matches_torch(name):
    xv = np.array([0.7, 1.3, 0.4, 2.1])
    res = []
    for lib in (torch, symgrad):
        x = lib.tensor(xv, requires_grad=True)
        y = SECOND[name](lib, x)
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad
        (h,) = lib.autograd.grad((g * lib.tensor([1.0, -2.0, 0.5, 3.0], dtype=lib.float64)).sum(), x)
        res.append((_np(g), _np(h)))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-10, atol=1e-12)


def test_backward_create_graph_grad_has_graph_like_torch():
    out = []
    for lib in (torch, symgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x**3).sum()
        y.backward(create_graph=True)
        g = x.grad
        assert g.requires_grad
        x.grad = None
        g.sum().backward()
        out.append(_np(x.grad))
    np.testing.assert_allclose(out[1], out[0])


# edge values where a naive derivative is nan (x**y at 0, sigmoid far left); torch gives 0
EDGE = {
    "square at 0": lambda t, x: (x**2).sum(),
    "sigmoid far left": lambda t, x: t.sigmoid(x * 100 - 100).sum(),
}


@pytest.mark.parametrize("name", sorted(EDGE))
def test_gradient_edge_values_match_torch(name):
    grads = []
    for lib in (torch, symgrad):
        x = lib.tensor([0.0, -1.0, 1.0], requires_grad=True)
        EDGE[name](lib, x).backward()
        grads.append(_np(x.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6, atol=1e-30)


def test_sign_backward_and_vector_at_batched_matrix_match_torch():
    x = np.array([-0.5, 0.2, 0.0])
    for lib in (torch, symgrad):
        t = lib.tensor(x, requires_grad=True)
        t.sign().sum().backward()
        np.testing.assert_array_equal(_np(t.grad), np.zeros(3))
    v, B = np.array([0.3, -1.0, 2.0]), np.arange(24.0).reshape(2, 3, 4) / 10
    grads = []
    for lib in (torch, symgrad):
        tB = lib.tensor(B, requires_grad=True)
        (lib.tensor(v) @ tB).pow(2).sum().backward()
        grads.append(_np(tB.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_clamp_slope_at_the_bounds_matches_torch():
    x = np.array([-0.5, 0.2, 0.5, 0.9, -1.0, 0.0])
    grads = []
    for lib in (torch, symgrad):
        t = lib.tensor(x, requires_grad=True)
        ((t.clamp(-0.5, 0.5) * t).sum() + t.clamp(min=0).sum()).backward()
        grads.append(_np(t.grad))
    np.testing.assert_allclose(grads[1], grads[0])
