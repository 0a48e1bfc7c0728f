"""``G.hvp`` through loops and branches in one pass (reverse over forward: the gradient of
``f_tangent``, the output's tangent along v): for-range loops, loops over rows, nested
loops, buffer writes, a branch, several wrt arguments, against torch's
``torch.autograd.functional.hvp`` and central differences of ``G.grad``, in float64."""

import numpy as np
import pytest
import torch
from test_grad_of_grad_loops import CASES, branch_inside, t_branch_inside

import symgrad

rng = np.random.default_rng(11)


def _torch_hvp(tf, args, params, wrt, v):
    ts = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    at = [params.index(n) for n in wrt]

    def f(*w):
        a = list(ts)
        for i, wi in zip(at, w, strict=True):
            a[i] = wi
        return tf(*a)

    _, hv = torch.autograd.functional.hvp(f, tuple(ts[i] for i in at),
                                          tuple(torch.tensor(x) for x in v))
    return [h.numpy() for h in hv]


def _fd_of_grad(G, args, v, eps=1e-6):
    """(grad(x + eps v) - grad(x - eps v)) / (2 eps): H v by central differences."""
    def at(s):
        a = list(args)
        for name, vi in zip(G.wrt, v, strict=True):
            i = G.params.index(name)
            a[i] = np.asarray(a[i]) + s * vi
        g = G.grad(*a)
        return g if len(G.wrt) > 1 else (g,)
    return [(p - m) / (2 * eps) for p, m in zip(at(eps), at(-eps), strict=True)]


@pytest.mark.parametrize("case", CASES)
def test_hvp_of_a_loop_matches_torch_and_central_differences(case):
    f, tf, args, wrt, _ = CASES[case]
    G = symgrad.grad(f, wrt=wrt)
    v = tuple(rng.normal(size=np.shape(args[G.params.index(n)])) for n in wrt)
    got = G.hvp(*args, v=v if len(v) > 1 else v[0])
    got = got if len(v) > 1 else (got,)
    want = _torch_hvp(tf, args, G.params, wrt, v)
    fd = _fd_of_grad(G, args, v)
    for name, g, w, d in zip(wrt, got, want, fd, strict=True):
        assert np.shape(g) == np.shape(args[G.params.index(name)]) and g.dtype == np.float64
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(g, d, rtol=1e-6, atol=1e-8, err_msg=name)


def test_a_loops_hvp_is_one_pass_of_the_tangents_gradient():
    G = symgrad.grad(branch_inside, wrt="x")
    x = np.array([0.3, -0.5, 0.8])
    calls = []
    second = G._second_order
    G.__dict__["_second_order"] = lambda *a, **k: calls.append(1) or second(*a, **k)
    v = rng.normal(size=3)
    hv = G.hvp(x, v=v)
    assert calls == []  # (no forward-over-forward pass per element)
    tH = torch.func.hessian(t_branch_inside)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(hv, tH @ v, rtol=1e-9, atol=1e-12)
    src = G.hvp.source
    assert src.replace("\n# ", " ").startswith(
        "# G.hvp of branch_inside, a function with loops or branches, runs "
        "branch_inside_tangent_grad below")
    assert "def branch_inside_tangent(x, dx):" in src
    assert "def branch_inside_tangent_grad(x, dx, seed=1.0):" in src
    assert "jvp_jvp" not in src


def looped_aux(x, n, scale):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * s + i) * scale
    return np.sum(s ** 2), s


def test_hvp_of_a_loop_with_aux_and_arguments_not_in_wrt():
    x, scale = np.array([0.3, -0.4]), 0.7
    G = symgrad.grad(looped_aux, wrt="x", has_aux=True)
    v = rng.normal(size=2)
    hv = G.hvp(x, 3, scale, v=v)  # (as straight-line code's: H v alone, no aux)

    def t(x_):
        s = torch.zeros((), dtype=torch.float64)
        for i in range(3):
            s = s + torch.sin(x_ * s + i) * scale
        return torch.sum(s ** 2)

    tH = torch.func.hessian(t)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(hv, tH @ v, rtol=1e-9, atol=1e-12)
    H, aux = G.hessian(x, 3, scale)
    np.testing.assert_allclose(H, tH, rtol=1e-9, atol=1e-12)


def layers(p, x):
    h = x
    for _ in range(2):
        h = np.tanh(p["W"] @ h + p["b"])
    return np.sum(h ** 2)


def test_hvp_of_a_loop_over_a_dict_parameter_is_shaped_like_it():
    p = {"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
    x = rng.normal(size=2)
    t = {"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
    hv = symgrad.grad(layers, wrt="p").hvp(p, x, v=t)
    assert set(hv) == {"W", "b"}

    def tl(W, b):
        h = torch.tensor(x)
        for _ in range(2):
            h = torch.tanh(W @ h + b)
        return torch.sum(h ** 2)

    _, want = torch.autograd.functional.hvp(
        tl, (torch.tensor(p["W"]), torch.tensor(p["b"])),
        (torch.tensor(t["W"]), torch.tensor(t["b"])))
    np.testing.assert_allclose(hv["W"], want[0].numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hv["b"], want[1].numpy(), rtol=1e-9, atol=1e-12)


def test_hvp_of_a_loop_with_an_array_output_is_refused():
    def states(x):
        for _ in range(2):
            x = np.sin(x)
        return x

    with pytest.raises(symgrad.SymgradError, match=r"shape \(3,\): hvp and hessian take"):
        symgrad.grad(states).hvp(np.ones(3), v=np.ones(3))


def collecting(W, x):
    h = np.zeros(2)
    outs = []
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
        outs.append(h)
    return np.sum(np.stack(outs) ** 2)


def t_collecting(W, x):
    h, outs = torch.zeros(2, dtype=torch.float64), []
    for t in range(x.shape[0]):
        h = torch.tanh(W @ h + x[t])
        outs.append(h)
    return torch.sum(torch.stack(outs) ** 2)


def test_a_list_built_in_the_loop_is_read_back_as_appends_one_pass():
    # the tangent copies the list each iteration (douts = douts_1 + [dh]), read back as
    # douts_1.append(dh), the form the lowering reads
    W, x = rng.normal(size=(2, 2)) * 0.5, rng.normal(size=(3, 2))
    G = symgrad.grad(collecting, wrt="W")
    V = rng.normal(size=(2, 2))
    hv = G.hvp(W, x, v=V)
    assert G.hvp.fallback_reason is None
    want = _torch_hvp(t_collecting, (W, torch.tensor(x)), G.params, ("W",), (V,))[0]
    np.testing.assert_allclose(hv, want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hv, _fd_of_grad(G, (W, x), (V,))[0], rtol=1e-6, atol=1e-8)
    assert "def collecting_tangent_grad(W, x, dW, seed=1.0):" in G.hvp.source


def appends_in_a_branch(x):
    outs = [x[0]]
    s = x[0]
    for i in range(3):
        s = np.sin(s * x[i])
        if s > 0:
            outs.append(s)
    return np.sum(np.stack(outs) ** 2)


def test_a_list_the_tangent_copies_in_a_branch_goes_forward_over_forward_and_says_so():
    x = np.array([0.5, 0.9, 1.2])  # (s > 0 every iteration: three appends)
    G = symgrad.grad(appends_in_a_branch)
    v = rng.normal(size=3)
    hv = G.hvp(x, v=v)
    np.testing.assert_allclose(hv, _fd_of_grad(G, (x,), (v,))[0], rtol=1e-6, atol=1e-8)
    assert "is not read back" in G.hvp.fallback_reason
    src = G.hvp.source
    assert src.replace("\n# ", " ").startswith(
        "# G.hvp of appends_in_a_branch runs f_jvp_jvp below, forward over forward")
    assert "def appends_in_a_branch_jvp_jvp(" in src


def test_the_hessian_of_a_loop_is_one_hvp_per_column():
    f, tf, args, wrt, _ = CASES["rows, both"]
    G = symgrad.grad(f, wrt=wrt)
    calls = []
    through = G.hvp._through_loops
    G.hvp._through_loops = lambda *a: calls.append(1) or through(*a)
    H = G.hessian(*args)
    assert len(calls) == sum(np.size(args[G.params.index(n)]) for n in wrt)  # 2 + 3
    ts = tuple(torch.tensor(args[G.params.index(n)]) for n in wrt)
    tH = torch.autograd.functional.hessian(lambda w, xs: tf(w, xs), ts)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], tH[i][j].numpy(), rtol=1e-9, atol=1e-12)
    assert "reverse over forward" in G.hessian.fallback_reason
