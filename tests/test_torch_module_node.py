"""A user's nn.Module whose forward is plain tensor code is one graph node whose backward is
the generated gradient (symgrad/nn/fused.py): the parameters' gradients against torch's
(float64 tightly, float32 within float32 rounding), against central finite differences,
double backward, a short training loop, and the modules left op by op."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad
from symgrad.runtime.engine import AccumulateGrad

torch = pytest.importorskip("torch")
LIBS = [symgrad, torch]
RTOL = {"float64": 1e-12, "float32": 2e-5}


def _models(lib):
    nn, F = lib.nn, lib.nn.functional

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(4, 8)
            self.out = nn.Linear(8, 3)

        def forward(self, X):
            return self.out(F.relu(self.hidden(X)))

    class Poly(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(lib.tensor(0.1))
            self.b = nn.Parameter(lib.tensor(-0.2))
            self.c = nn.Parameter(lib.tensor(0.3))
            self.d = nn.Parameter(lib.tensor(-0.05))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    class Tied(nn.Module):
        """One weight used twice, a Sequential inside, methods and torch functions."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(lib.ones(4, 4))
            self.body = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4, bias=False),
                                      nn.Sigmoid(), nn.LeakyReLU(0.2))
            self.scale = 0.5

        def forward(self, x):
            h = x @ self.w.t()
            h = self.body(h).exp() * self.scale
            return lib.tanh(h @ self.w)[:, 1:]

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x, y):
            return (self.lin(x) * y).sin().sum()

    class Wide(nn.Module):
        """Operations the fused form takes from the registry's entries, not from a table."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(lib.ones(3))

        def forward(self, x):
            h = lib.maximum(x * self.w, x.sin()).clamp(-0.5, 0.8)
            return lib.where(h > 0, h.expm1(), lib.sinh(h)).sub(x.square()).pow(3).mean()

    return {"MLP": MLP, "Poly": Poly, "Tied": Tied, "Two": Two, "Wide": Wide}


_INPUTS = {"MLP": [(5, 4)], "Poly": [(7,)], "Tied": [(3, 4)], "Two": [(4, 3), (4, 2)],
           "Wide": [(4, 3)]}


def _make(lib, name, dtype, seed=0):
    rng = np.random.default_rng(seed)
    m = _models(lib)[name]().to(getattr(lib, dtype))
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.7))
    inputs = [lib.tensor(rng.standard_normal(s), dtype=getattr(lib, dtype))
              for s in _INPUTS[name]]
    return m, inputs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(_INPUTS))
def test_one_node_and_the_gradients_of_torch(name, dtype):
    results = []
    for lib in LIBS:
        m, inputs = _make(lib, name, dtype)
        for _ in range(2):  # the first call is checked against op by op, the second fused
            out = m(*inputs)
            (out ** 2).sum().backward()
        results.append((out, {n: p.grad for n, p in m.named_parameters()}))
        if lib is symgrad:
            assert all(fn is None or type(fn) is AccumulateGrad
                       for fn, _ in out.grad_fn.next_functions), "not one node"
    (s_out, s_grads), (t_out, t_grads) = results
    assert type(s_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    assert s_out.dtype == s_out.dtype and tuple(s_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(s_out.detach().numpy(), t_out.detach().numpy(),
                               rtol=RTOL[dtype], atol=1e-6 if dtype == "float32" else 0)
    assert s_grads.keys() == t_grads.keys()
    for n in s_grads:
        np.testing.assert_allclose(s_grads[n].numpy(), t_grads[n].numpy(), rtol=RTOL[dtype],
                                   atol=1e-5 if dtype == "float32" else 1e-13, err_msg=n)


def test_input_gradients_and_finite_differences():
    m, (x,) = _make(symgrad, "Tied", "float64")
    x.requires_grad_(True)
    m(x)
    loss = m(x).sum()
    loss.backward()
    w = m.w
    analytic = w.grad.numpy().copy()

    def f(arr):
        with symgrad.no_grad():
            w.copy_(symgrad.tensor(arr))
            return m(x).sum().item()

    base = w.detach().numpy().copy()
    numeric = np.zeros_like(base)
    h = 1e-6
    for idx in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (f(up) - f(down)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_double_backward_through_a_fused_module():
    out = []
    for lib in LIBS:
        m, (x,) = _make(lib, "Poly", "float64")
        x.requires_grad_(True)
        m(x)
        (g,) = lib.autograd.grad(m(x).sum(), x, create_graph=True)
        (g * g).sum().backward()
        out.append((g.detach().numpy(), x.grad.numpy(), m.d.grad.item()))
    for a, b in zip(out[0], out[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_training_loop_matches_torch():
    finals = []
    for lib in LIBS:
        m, (X,) = _make(lib, "MLP", "float64", seed=3)
        target = lib.tensor(np.linspace(-1, 1, 15).reshape(5, 3))
        opt = lib.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        for _ in range(20):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(m(X), target)
            loss.backward()
            opt.step()
        finals.append([p.detach().numpy().copy() for p in m.parameters()] + [loss.item()])
    for a, b in zip(*finals, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def _op_by_op_models(lib):
    nn = lib.nn

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            if x.sum() > 0:  # control flow: not rewritten
                return self.lin(x).relu()
            return self.lin(x)

    class Loops(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    return Branchy, Loops


def test_modules_outside_the_subset_run_op_by_op_with_the_same_gradients():
    results = []
    for lib in LIBS:
        outs = []
        for cls in _op_by_op_models(lib):
            lib.manual_seed(0)
            m = cls().double()
            with lib.no_grad():
                for i, p in enumerate(m.parameters()):
                    p.copy_(lib.linspace(-1, 1, p.numel(), dtype=lib.float64).reshape(p.shape)
                            * (i + 1))
            x = lib.tensor([[0.5, -1.0, 2.0]], dtype=lib.float64)
            y = m(x)
            y.sum().backward()
            outs.append((type(y.grad_fn).__name__, [p.grad.numpy().copy() for p in m.parameters()]))
            if lib is symgrad:  # op by op: the chain of torch's nodes
                assert any(fn is not None and type(fn) is not AccumulateGrad
                           for fn, _ in y.grad_fn.next_functions)
        results.append(outs)
    for (n1, g1), (n2, g2) in zip(*results, strict=True):
        assert n1 == n2
        for a, b in zip(g1, g2, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13)


def test_no_graph_without_grad_and_the_builtin_layers_keep_torchs_nodes():
    m, (x,) = _make(symgrad, "MLP", "float64")
    with symgrad.no_grad():
        assert m(x).grad_fn is None
    lin = symgrad.nn.Linear(4, 2).double()
    y = lin(x)
    assert type(y.grad_fn).__name__ == "AddmmBackward0"
    assert any(type(fn) is not AccumulateGrad for fn, _ in y.grad_fn.next_functions if fn)


def test_a_rewrite_that_disagrees_with_forward_is_never_used(monkeypatch):
    """The first call compares the fused output with forward's: a numpy form that computed
    something else (here a wrong relu) turns fusing off for that structure."""
    from symgrad.nn import fused

    methods, functions, helpers = fused._registry_forms()
    relu = methods["relu"][0]
    wrong = ({**methods, "relu": ("np.abs", 0)},
             {k: ("np.abs", 1) if v[0] == relu else v for k, v in functions.items()}, helpers)
    monkeypatch.setattr(fused, "_registry_forms", lambda: wrong)
    monkeypatch.setattr(fused, "_CACHE", {})
    m, (x,) = _make(symgrad, "MLP", "float64", seed=5)
    tm, (tx,) = _make(torch, "MLP", "float64", seed=5)
    for _ in range(2):
        y = m(x)
        (y ** 2).sum().backward()
        (tm(tx) ** 2).sum().backward()
    assert any(fn is not None and type(fn) is not AccumulateGrad
               for fn, _ in y.grad_fn.next_functions)  # op by op
    for p, q in zip(m.parameters(), tm.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_what_forward_reads_from_self_is_read_at_each_call():
    """A number, a flag (training) or a plain tensor attribute that forward reads, changed
    between calls, is used (another structure: generated again), as op by op would."""
    nn = symgrad.nn

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2).double()
            self.scale = 2.0
            self.offset = symgrad.ones(2, dtype=symgrad.float64)

        def forward(self, x):
            return self.lin(x) * self.scale + self.offset * self.training

    m = Scaled()
    x = symgrad.tensor([[1.0, -2.0]], dtype=symgrad.float64)

    def op_by_op():
        with symgrad.no_grad():
            return m.lin(x) * m.scale + m.offset * m.training

    for change in (lambda: None, lambda: setattr(m, "scale", -3.0), m.eval,
                   lambda: setattr(m, "offset", symgrad.full((2,), 5.0, dtype=symgrad.float64)),
                   m.train):
        change()
        for _ in range(2):
            y = m(x)
            np.testing.assert_array_equal(y.detach().numpy(), op_by_op().numpy())
        assert all(fn is None or type(fn) is AccumulateGrad for fn, _ in y.grad_fn.next_functions)


def test_under_a_profiler_the_modules_operations_are_listed():
    got = []
    for lib in LIBS:
        m, (x,) = _make(lib, "MLP", "float64")
        m(x)
        with lib.autograd.profiler.profile() as prof:
            m(x).sum().backward()
        keys = {e.key for e in prof.key_averages()}
        got.append({"aten::relu", "aten::linear", "aten::sum", "ReluBackward0"} <= keys)
        if lib is symgrad:
            assert m(x).grad_fn.next_functions[0][0].__class__ is AccumulateGrad  # fused again
    assert got == [True, True]
