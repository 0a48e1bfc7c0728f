"""Adversarial review of issue 13's numpy API: realistic code combining the new primitives and
language features. Each test is a bug found (fixed, or a strict xfail naming it); every
gradient against central differences in float64, and torch where torch has the op."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

rng = np.random.default_rng(1313)


def mse(pred, target, reduction="mean"):
    err = (pred - target) ** 2
    if reduction == "mean":
        return err.mean()
    elif reduction == "sum":
        return err.sum()
    return err.max()


def summed_over(x, axis=0, keepdims=False):
    return np.sum(np.sum(x ** 2, axis=axis, keepdims=keepdims) ** 2)


def test_static_parameter_inferred_without_wrt():
    """@symgrad.grad with no wrt= (every parameter) on loss(pred, target, reduction="mean")
    was refused ("give the parameter a string default", which it has): a parameter with a
    static default is a constant when the code needs it so, and drops out of the default wrt."""
    p, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    G = symgrad.grad(mse)
    assert G.wrt == ("pred", "target")
    for r in ("mean", "sum", "max"):
        assert_same_array(G(p, t, r), mse(p, t, r))
        check_grads(G, p, t, r)
    H = symgrad.grad(summed_over)
    assert H.wrt == ("x",)
    for axis, keepdims in [(0, False), (-1, True), (None, False)]:
        assert_same_array(H(p, axis, keepdims), summed_over(p, axis, keepdims))
        check_grads(H, p, axis, keepdims)


def normed(x, ord=None):
    return np.linalg.norm(x, ord=ord)


def test_norm_ord_as_a_static_string_or_none():
    """norm(x, ord=ord) with ord a parameter: 1 and 2 were inferred static, but None, 'fro'
    and 'nuc' were refused ("ord must be a constant")."""
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(normed, wrt="x")
    for order, tord in [(None, None), ("fro", "fro"), ("nuc", "nuc"), (2, 2), (1, 1)]:
        assert_same_array(G(x, order), normed(x, order))
        (g,) = check_grads(G, x, order)
        t = torch.tensor(x, requires_grad=True)
        torch.linalg.matrix_norm(t, ord=tord or "fro").backward()
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-6, atol=1e-8)


def padded(x, w, mode="constant"):
    return np.sum(np.pad(x, ((1, 2), (2, 1)), mode=mode) * w)


def spectrum(a, w, uplo="L"):
    return np.sum(np.linalg.eigvalsh(a, UPLO=uplo) * w)


@pytest.mark.parametrize("mode,tmode", [("constant", "constant"), ("edge", "replicate"),
                                        ("reflect", "reflect"), ("wrap", "circular"),
                                        ("symmetric", None)])
def test_string_keyword_from_a_static_parameter(mode, tmode):
    """np.pad(x, ..., mode=mode) with mode a parameter was refused ("mode must be a
    literal"): every string keyword (pad's mode, eigh's UPLO) takes a static parameter."""
    torch = pytest.importorskip("torch")
    x, w = rng.normal(size=(3, 4)), rng.normal(size=(6, 7))
    G = symgrad.grad(padded, wrt="x")
    assert_same_array(G(x, w, mode), padded(x, w, mode))
    (g,) = check_grads(G, x, w, mode)
    if tmode is not None:
        t = torch.tensor(x, requires_grad=True)
        out = torch.nn.functional.pad(t[None, None], (2, 1, 1, 2), mode=tmode)[0, 0]
        (out * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)


def test_uplo_from_a_static_parameter():
    a, w = rng.normal(size=(3, 3)) + np.diag([3.0, 6.0, 9.0]), rng.normal(size=3)
    G = symgrad.grad(spectrum, wrt="a")
    for uplo in ("L", "U"):
        assert_same_array(G(a, w, uplo), spectrum(a, w, uplo))
        check_grads(G, a, w, uplo)


@pytest.mark.parametrize("code", [
    "a.tril()", "a.triu()", "a.diagonal()", "a.diff()", "a.rot90()", "t.nan_to_num(a)",
    "a.nan_to_num()", "t.nan_to_num(a, posinf=2.0)", "t.logsumexp(a, 1, keepdim=True)",
    "t.logsumexp(a, dim=0, keepdim=False)", "a.logsumexp(-1)"])
def test_tensor_optional_parameters_as_torch(code):
    """torch's optional parameters were required by the Tensor methods the registry makes
    (x.tril(), torch.nan_to_num(x), x.diff(): TypeError "missing 1 required positional
    arguments"), and torch.logsumexp took no keepdim."""
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(3, 4))
    if "nan_to_num" in code:
        x[0, 1], x[2, 2], x[1, 0] = np.inf, -np.inf, np.nan
    w = rng.normal(size=eval(code, {"t": torch, "a": torch.tensor(x)}).shape)
    grads = []
    for t in (torch, symgrad):
        a = t.tensor(x, requires_grad=True)
        out = eval(code, {"t": t, "a": a})
        (out * t.tensor(w)).sum().backward()
        grads.append((out.detach().numpy(), a.grad.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-12)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-12)


def residual_sum(a, b):
    x, res, rank, s = np.linalg.lstsq(a, b)
    return np.sum(x ** 2) + np.sum(res)


@pytest.mark.xfail(strict=True, reason="lstsq's residuals are empty (shape (0,)) when a has "
                   "m <= n rows or is rank-deficient; their vjp 2 r g broadcasts r (m, k) "
                   "against the empty g and the gradient fails ('operands could not be "
                   "broadcast together'); it should be 0 from the residuals")
@pytest.mark.parametrize("shapes", [((3, 3), (3,)), ((3, 5), (3, 2))])
def test_lstsq_empty_residuals(shapes):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    G = symgrad.grad(residual_sum)
    check_grads(G, a, b, rtol=1e-5, atol=1e-6)


def spaced(f):
    gy, gx = np.gradient(f, 0.5, 2.0)
    return np.sum(gy * gx)


def spaced_axes(f):
    gy, gx = np.gradient(f, 0.5, 2.0, axis=(0, 1))
    return np.sum(gy * gx)


def test_gradient_spacing_per_axis_without_axis():
    """np.gradient(f, 0.5, 2.0) (a spacing per axis of a 2-d f, as numpy allows) was
    refused with "give one spacing, or one per axis", which it did: the refusal now says
    what to write (axis=(0, 1)), and that form works."""
    with pytest.raises(symgrad.SymgradError, match=r"axis=\(0, 1\)"):
        symgrad.grad(spaced)
    f = rng.normal(size=(3, 4))
    G = symgrad.grad(spaced_axes)
    assert_same_array(G(f), spaced(f))
    check_grads(G, f)


def mlp_list(Ws, X):
    h = X
    for W in Ws:
        h = np.tanh(h @ W)
    return np.sum(h)


def mlp_dict_of_lists(params, X):
    h = X
    for i in range(len(params["Ws"])):
        h = np.tanh(h @ params["Ws"][i] + params["bs"][i])
    return np.sum(h)


def mlp_list_of_dicts(params, X):
    h = X
    for layer in params:
        h = np.tanh(h @ layer["W"] + layer["b"])
    return np.sum(h)


def mlp_layers(params, X):
    h = X
    for W, b in params["layers"]:
        h = np.tanh(h @ W + b)
    return np.sum(h)


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for k in tree for leaf in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [tree]


_LAYERS_XFAIL = pytest.mark.xfail(strict=True, reason=(
    "a loop over a parameter's (W, b) pairs (`for W, b in params['layers']`) fails when the "
    "gradient runs: the pairs are unpacked inside the loop, whose accumulator for them is "
    "not yet the pytree's zeros (loops indexing Ws, params['Ws'][i] or a list of dicts "
    "work: the loop's accumulator is _zeros_like)"))


@pytest.mark.parametrize("f", [mlp_list, mlp_dict_of_lists, mlp_list_of_dicts,
                               pytest.param(mlp_layers, marks=_LAYERS_XFAIL)])
def test_loop_over_a_pytree_of_layers(f):
    torch = pytest.importorskip("torch")
    sizes = [(2, 3), (3, 4), (4, 1)]
    Ws = [rng.normal(size=s) for s in sizes]
    bs = [rng.normal(size=s[1]) for s in sizes]
    X = rng.normal(size=(5, 2))
    params = {mlp_list: Ws, mlp_dict_of_lists: {"Ws": Ws, "bs": bs},
              mlp_list_of_dicts: [{"W": W, "b": b} for W, b in zip(Ws, bs, strict=True)],
              mlp_layers: {"layers": list(zip(Ws, bs, strict=True))}}[f]
    G = symgrad.grad(f, wrt="params" if f is not mlp_list else "Ws")
    got = _leaves(G.grad(params, X))
    leaves = [torch.tensor(v, requires_grad=True) for v in _leaves(params)]
    h = torch.tensor(X)
    pairs = list(zip(leaves[::2], leaves[1::2], strict=True)) if f is not mlp_list else \
        [(W, None) for W in leaves]
    if f is mlp_dict_of_lists:
        pairs = list(zip(leaves[:3], leaves[3:], strict=True))
    for W, b in pairs:
        h = torch.tanh(h @ W + (0 if b is None else b))
    h.sum().backward()
    for g, t in zip(got, leaves, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)


def gradient_energy(f):
    g = np.gradient(f)
    return np.sum(np.asarray(g) ** 2)


def gradient_energy_inline(f, w):
    return np.sum(np.array(np.gradient(f)) * w)


def gradient_stacked(f, w):
    return np.sum(np.asarray(np.gradient(f)) * w) + np.sum(np.gradient(f))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_asarray_of_np_gradient(shape):
    """np.asarray(np.gradient(f)) was printed as np.gradient(f) itself, a tuple for a 2-d f:
    the primal failed ('unsupported operand type(s) for ** or pow(): tuple and int')."""
    torch = pytest.importorskip("torch")
    f = rng.normal(size=shape)
    G = symgrad.grad(gradient_energy)
    assert_same_array(G(f), gradient_energy(f))
    (g,) = check_grads(G, f),
    t = torch.tensor(f, requires_grad=True)
    parts = torch.gradient(t)
    sum((p ** 2).sum() for p in parts).backward()
    np.testing.assert_allclose(g[0], t.grad.numpy(), rtol=1e-10)
    w = rng.normal(size=np.shape(np.asarray(np.gradient(f))))
    for fn in (gradient_energy_inline, gradient_stacked):
        G = symgrad.grad(fn, wrt="f")
        assert_same_array(G(f, w), fn(f, w))
        check_grads(G, f, w)


def _loss(p, t, reduction="mean"):
    err = (p - t) ** 2
    if reduction == "mean":
        return np.mean(err)
    return np.sum(err)


def step_default(p, t):
    return _loss(p, t)


def step_literals(p, t):
    return _loss(p, t, "sum") + 2 * _loss(p, t, reduction="mean")


def step_forwarded(p, t, reduction="sum"):
    return _loss(p, t, reduction=reduction) + _loss(p, t, reduction)


def step_local(p, t):
    def inner(x, mode="l2"):
        if mode == "l2":
            return np.sum(x ** 2)
        return np.sum(np.abs(x))
    return inner(p - t) + inner(p * t, "l1") + inner(p, mode="l2")


def test_string_argument_to_an_inlined_function():
    """A helper loss(p, t, reduction="mean") called from the differentiated function was
    refused: with its default ("a string can be compared only with a string known at
    decoration time"), with a literal ("constant 'sum' is not a number") and with a static
    parameter passed on."""
    p, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for f in (step_default, step_literals, step_forwarded, step_local):
        G = symgrad.grad(f, wrt=("p", "t"))
        assert_same_array(G(p, t), f(p, t))
        check_grads(G, p, t)
    G = symgrad.grad(step_forwarded, wrt=("p", "t"))
    for r in ("mean", "sum"):
        assert_same_array(G(p, t, r), step_forwarded(p, t, r))
        check_grads(G, p, t, r)


def like_dtypes(x, n):
    return np.sum((np.zeros_like(x, dtype=np.float64) + x) * np.ones_like(n, dtype=float))


def test_zeros_like_ones_like_with_dtype():
    """np.zeros_like(x, dtype=float) / np.ones_like(n, dtype=float) were refused ("the dtype=
    argument is not supported") where np.zeros(..., dtype=) works."""
    x = rng.normal(size=(2, 3))
    for n in (np.arange(3), np.arange(6).reshape(2, 3)):
        G = symgrad.grad(like_dtypes, wrt="x")
        assert_same_array(G(x, n), like_dtypes(x, n))
        check_grads(G, x, n)
    x32 = x.astype(np.float32)
    assert_same_array(G(x32, np.arange(3)), like_dtypes(x32, np.arange(3)))


def ranked_rows(x, w):
    order = np.argsort(-x[:, 0], kind="stable")
    return np.sum(x[order] * w)


def test_argsort_with_a_string_keyword():
    """np.argsort(x, kind="stable") was refused ("constant 'stable' is not a number") where
    np.sort(x, kind="stable") works."""
    torch = pytest.importorskip("torch")
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    G = symgrad.grad(ranked_rows, wrt="x")
    assert_same_array(G(x, w), ranked_rows(x, w))
    (g,) = check_grads(G, x, w)
    t = torch.tensor(x, requires_grad=True)
    (t[torch.argsort(-t[:, 0], stable=True)] * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def qr_loss(a, w):
    q, r = np.linalg.qr(a)
    return np.sum(q * w[:, :q.shape[1]]) + np.sum(r ** 2)


@pytest.mark.xfail(strict=True, reason="np.linalg.qr of a wide a (m < n): the reduced QR is "
                   "differentiable there (torch's linalg_qr_backward handles it), but the "
                   "generated gradient inverts the non-square R and fails at call time with "
                   "LinAlgError 'Last 2 dimensions of the array must be square'")
def test_qr_of_a_wide_matrix():
    torch = pytest.importorskip("torch")
    a, w = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    G = symgrad.grad(qr_loss, wrt="a")
    (g,) = check_grads(G, a, w)
    t = torch.tensor(a, requires_grad=True)
    q, r = torch.linalg.qr(t)
    ((q * torch.tensor(w)[:, :3]).sum() + (r ** 2).sum()).backward()
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-8)


def dict_keys_loop(params, x):
    s = 0.0
    for k in params:
        s = s + np.sum(params[k] * x)
    return s


@pytest.mark.xfail(strict=True, reason="`for k in params` over a dict parameter is lowered as "
                   "iteration over an array: the call fails with \"argument 'params' has no key "
                   "0\" (params.items()/.values() are refused at decoration time, clearly)")
def test_loop_over_dict_keys():
    params = {"a": rng.normal(size=3), "b": rng.normal(size=3)}
    x = rng.normal(size=3)
    G = symgrad.grad(dict_keys_loop, wrt="params")
    g = G.grad(params, x)
    for k in params:
        np.testing.assert_allclose(g[k], x)


def lstsq_cut(a, b):
    return np.sum(np.linalg.lstsq(a, b, rcond=1e-3)[0] ** 2)


def test_lstsq_with_a_float_rcond():
    """np.linalg.lstsq(a, b, rcond=1e-3) was refused ("rcond must be a constant ... write
    rcond as a literal", which it was): a float rcond is a static parameter."""
    torch = pytest.importorskip("torch")
    a, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    G = symgrad.grad(lstsq_cut)
    assert_same_array(G(a, b), lstsq_cut(a, b))
    grads = check_grads(G, a, b)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    (torch.linalg.pinv(ta) @ tb).pow(2).sum().backward()
    for g, t in zip(grads, (ta, tb), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-8)
    u, _ = np.linalg.qr(rng.normal(size=(5, 3)))
    v, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    low = u @ np.diag([1.0, 0.5, 0.0]) @ v.T  # rank 2: the cutoff decides the rank
    assert_same_array(G(low, b), lstsq_cut(low, b))
    check_grads(G, low, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,shape,kw", [
    ("norm", (3, 4), {}), ("norm", (4,), {"ord": 1}), ("norm", (3, 4), {"ord": "nuc"}),
    ("norm", (3, 4), {"ord": -2}), ("norm", (3, 4), {"ord": np.inf}),
    ("norm", (2, 3, 4), {"dim": 1}), ("norm", (2, 3, 4), {"dim": (0, 2), "ord": 1}),
    ("norm", (2, 3, 4), {"dim": -1, "ord": 3, "keepdim": True}), ("norm", (2, 3, 4), {}),
    ("vector_norm", (2, 3, 4), {"ord": 1, "dim": (0, 2)}),
    ("vector_norm", (2, 3, 4), {"ord": np.inf, "dim": -1, "keepdim": True}),
    ("matrix_norm", (2, 3, 4), {}), ("matrix_norm", (2, 3, 4), {"ord": "nuc", "keepdim": True}),
    ("matrix_norm", (2, 3, 4), {"ord": -1, "dim": (0, 2)}),
    ("matrix_norm", (2, 3, 4), {"ord": 2, "dim": (2, 1)})])
def test_torch_linalg_norms(name, shape, kw):
    """torch.linalg.norm / vector_norm / matrix_norm were missing from `import symgrad as
    torch` (AttributeError), though the registry's np.linalg.norm has every ord."""
    torch = pytest.importorskip("torch")
    x = rng.normal(size=shape)
    out = []
    for t in (torch, symgrad):
        a = t.tensor(x, requires_grad=True)
        r = getattr(t.linalg, name)(a, **kw)
        w = t.tensor(np.linspace(0.5, 1.5, r.numel()).reshape(tuple(r.shape)))
        (r * w).sum().backward()
        out.append((r.detach().numpy(), a.grad.numpy()))
    assert out[1][0].shape == out[0][0].shape
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-12)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("code", [
    "(d * ls).sum()", "t.exp(-0.5 * d / ls ** 2).sum()",
    "t.linalg.solve(d * ls + 5 * t.eye(4, dtype=t.float64), t.ones(4, dtype=t.float64)).sum()",
    "t.log(t.diagonal(t.linalg.cholesky(d * ls + 5 * t.eye(4, dtype=t.float64)))).sum()"])
def test_tensor_float32_scalar_times_float64_matrix(code):
    """A 0-d float32 leaf (torch.tensor(0.7), a GP's length scale) scaling a float64 matrix:
    backward crashed ("'numpy.float64' object has no attribute 'to'"): the summed gradient
    was a numpy scalar, cast as if it were a Tensor."""
    torch = pytest.importorskip("torch")
    d = np.abs(rng.normal(size=(4, 4)))
    grads = []
    for t in (torch, symgrad):
        ls = t.tensor(0.7, requires_grad=True)
        eval(code, {"t": t, "d": t.tensor(d), "ls": ls}).backward()
        assert ls.grad.dtype == t.float32
        grads.append(ls.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)
