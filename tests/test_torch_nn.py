"""symgrad.nn against torch.nn: values, gradients (also against central differences),
printed modules and parameters, registration, train/eval, zero_grad."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad
from symgrad import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _pair(a, requires_grad=True):
    return (symgrad.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _same(s, t, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(s.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    assert str(s.dtype) == str(t.dtype)


def _fd_check(fn, x, *rest):
    """fn(symgrad tensor, *rest) -> scalar; its gradient against central differences."""
    xs = symgrad.tensor(x, requires_grad=True)
    fn(xs, *rest).sum().backward()

    def value(v):
        with symgrad.no_grad():
            return fn(symgrad.tensor(np.asarray(v, dtype=np.float64)), *rest).sum().item()

    np.testing.assert_allclose(xs.grad.numpy(), numeric_grad(value, [x], 0), rtol=1e-6, atol=1e-8)


SHAPES = [(5,), (3, 4), (2, 3, 4)]
F_OPS = {
    "relu": lambda F, x: F.relu(x),
    "softmax0": lambda F, x: F.softmax(x, dim=0),
    "softmax_last": lambda F, x: F.softmax(x, dim=-1),
    "log_softmax0": lambda F, x: F.log_softmax(x, dim=0),
    "log_softmax_last": lambda F, x: F.log_softmax(x, dim=-1),
    "sigmoid": lambda F, x: F.sigmoid(x),
}


@pytest.mark.parametrize("name", sorted(F_OPS))
@pytest.mark.parametrize("shape", SHAPES)
def test_functional_activations(name, shape):
    x = RNG.standard_normal(shape)
    x.flat[0] = 0.0  # relu's kink: torch's gradient there is 0
    s, t = _pair(x)
    w = RNG.standard_normal(shape)
    ys, yt = F_OPS[name](nn.functional, s), F_OPS[name](torch.nn.functional, t)
    _same(ys, yt)
    (ys * symgrad.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    _same(s.grad, t.grad)
    assert type(ys.grad_fn).__name__ == type(yt.grad_fn).__name__
    if name != "relu":
        _fd_check(lambda v: F_OPS[name](nn.functional, v) * symgrad.tensor(w), x)


def test_softmax_large_values_and_float32():
    x = np.array([[1000.0, 0.0, -1000.0], [3.0, 3.0, 3.0]], dtype=np.float32)
    s, t = _pair(x)
    _same(nn.functional.softmax(s, dim=1), torch.nn.functional.softmax(t, dim=1), rtol=1e-6,
          atol=1e-7)
    _same(nn.functional.log_softmax(s, dim=1), torch.nn.functional.log_softmax(t, dim=1),
          rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4,), (3, 2), ()])
def test_mse_loss(reduction, shape):
    x, y = RNG.standard_normal(shape), RNG.standard_normal(shape)
    s, t = _pair(x)
    ls = nn.functional.mse_loss(s, symgrad.tensor(y), reduction=reduction)
    lt = torch.nn.functional.mse_loss(t, torch.tensor(y), reduction=reduction)
    _same(ls, lt)
    assert type(ls.grad_fn).__name__ == type(lt.grad_fn).__name__ == "MseLossBackward0"
    ls.sum().backward()
    lt.sum().backward()
    _same(s.grad, t.grad)
    ms, mt = nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction)
    _same(ms(s, symgrad.tensor(y)), mt(t, torch.tensor(y)))
    _fd_check(lambda v: nn.functional.mse_loss(v, symgrad.tensor(y), reduction=reduction), x)


def test_mse_loss_broadcast_warning_matches_torch():
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        nn.functional.mse_loss(symgrad.ones(3, 1), symgrad.ones(3))
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        torch.nn.functional.mse_loss(torch.ones(3, 1), torch.ones(3))
    assert [str(w.message) for w in ws] == [str(w.message) for w in wt]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy(reduction, weighted, ignore):
    x = RNG.standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    if ignore:
        target[2] = -100
    w = RNG.uniform(0.5, 2, 4) if weighted else None
    s, t = _pair(x)
    ls = nn.functional.cross_entropy(s, symgrad.tensor(target), None if w is None else
                                     symgrad.tensor(w), reduction=reduction)
    lt = torch.nn.functional.cross_entropy(t, torch.tensor(target), None if w is None else
                                           torch.tensor(w), reduction=reduction)
    _same(ls, lt)
    assert type(ls.grad_fn).__name__ == type(lt.grad_fn).__name__
    ls.sum().backward()
    lt.sum().backward()
    _same(s.grad, t.grad)
    _fd_check(lambda v: nn.functional.cross_entropy(
        v, symgrad.tensor(target), None if w is None else symgrad.tensor(w),
        reduction=reduction), x)
    module = nn.CrossEntropyLoss(reduction=reduction)(s, symgrad.tensor(target))
    _same(module, torch.nn.CrossEntropyLoss(reduction=reduction)(t, torch.tensor(target)))


def test_cross_entropy_single_sample_and_errors():
    x = RNG.standard_normal(4)
    s, t = _pair(x)
    _same(nn.functional.cross_entropy(s, symgrad.tensor(2)),
          torch.nn.functional.cross_entropy(t, torch.tensor(2)))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        nn.functional.cross_entropy(symgrad.zeros(2, 3), symgrad.tensor([0, 7]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 7]))
    with pytest.raises(ValueError) as es:
        nn.functional.cross_entropy(symgrad.zeros(2, 3), symgrad.tensor([0, 1, 1]))
    with pytest.raises(ValueError) as et:
        torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 1]))
    assert str(es.value) == str(et.value)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weight", [False, True])
def test_bce_with_logits(reduction, pos_weight):
    x = RNG.standard_normal((4, 3)) * 3
    x[0, 0], x[0, 1], x[0, 2] = 0.0, 60.0, -60.0  # smooth at 0; no overflow far out
    y = RNG.uniform(0, 1, (4, 3))
    pw = RNG.uniform(0.5, 2, 3) if pos_weight else None
    s, t = _pair(x)
    ls = nn.functional.binary_cross_entropy_with_logits(
        s, symgrad.tensor(y), reduction=reduction,
        pos_weight=None if pw is None else symgrad.tensor(pw))
    lt = torch.nn.functional.binary_cross_entropy_with_logits(
        t, torch.tensor(y), reduction=reduction,
        pos_weight=None if pw is None else torch.tensor(pw))
    _same(ls, lt)
    assert type(ls.grad_fn).__name__ == type(lt.grad_fn).__name__
    ls.sum().backward()
    lt.sum().backward()
    _same(s.grad, t.grad)
    _fd_check(lambda v: nn.functional.binary_cross_entropy_with_logits(
        v, symgrad.tensor(y), reduction=reduction,
        pos_weight=None if pw is None else symgrad.tensor(pw)), x)


def _copy_weights(ms, mt):
    """Give both models the same (random) parameters: symgrad's RNG is not torch's."""
    for (ns, ps), (nt, pt) in zip(ms.named_parameters(), mt.named_parameters(), strict=True):
        assert ns == nt
        v = RNG.standard_normal(tuple(pt.shape))
        with symgrad.no_grad():
            ps.copy_(symgrad.tensor(v, dtype=ps.dtype))
        with torch.no_grad():
            pt.copy_(torch.tensor(v, dtype=pt.dtype))


def _mlp(lib, bias=True):
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.ReLU(), lib.nn.Linear(5, 2, bias=bias))


@pytest.mark.parametrize("batch", [(4,), (), (2, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_sequential_linear_forward_backward(batch, bias):
    ms, mt = _mlp(symgrad, bias), _mlp(torch, bias)
    ms.double()
    mt.double()
    _copy_weights(ms, mt)
    x = RNG.standard_normal((*batch, 3))
    ys, yt = ms(symgrad.tensor(x)), mt(torch.tensor(x))
    _same(ys, yt)
    assert type(ys.grad_fn).__name__ == type(yt.grad_fn).__name__
    w = RNG.standard_normal(tuple(yt.shape))
    (ys * symgrad.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for ps, pt in zip(ms.parameters(), mt.parameters(), strict=True):
        _same(ps.grad, pt.grad)


def test_printing_matches_torch():
    ms, mt = _mlp(symgrad), _mlp(torch)
    assert repr(ms) == repr(mt)
    assert repr(ms[0]) == repr(mt[0])
    assert repr(ms[1:]) == repr(mt[1:])

    def net(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = lib.nn.Sequential(lib.nn.Linear(2, 2, bias=False),
                                              lib.nn.ReLU(inplace=True))
                self.head = lib.nn.Linear(2, 1)
                self.loss = lib.nn.MSELoss()

            def forward(self, x):
                return self.head(self.body(x))

        return Net()

    assert repr(net(symgrad)) == repr(net(torch))
    ps = nn.Parameter(symgrad.tensor([[1.0, 2.0], [3.0, 4.5]]))
    pt = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.5]]))
    assert repr(ps) == repr(pt)
    assert str(ps) == str(pt)
    assert repr(nn.Parameter(symgrad.ones(2), requires_grad=False)) == \
        repr(torch.nn.Parameter(torch.ones(2), requires_grad=False))


def test_registration_and_state():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)
            self.b = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
            self.scale = nn.Parameter(symgrad.ones(1))
            self.plain = symgrad.ones(2)  # a Tensor, not a Parameter: not registered

        def forward(self, x):
            return self.b(self.a(x)) * self.scale

    n = Net()
    names = [k for k, _ in n.named_parameters()]
    assert names == ["scale", "a.weight", "a.bias", "b.0.weight", "b.0.bias"]
    assert all(isinstance(p, nn.Parameter) and isinstance(p, symgrad.Tensor)
               for p in n.parameters())
    assert not isinstance(n.plain, nn.Parameter)
    assert [type(c).__name__ for c in n.children()] == ["Linear", "Sequential"]
    assert [type(m).__name__ for m in n.modules()] == ["Net", "Linear", "Sequential", "Linear",
                                                        "ReLU"]
    assert n.training and n.b[1].training
    assert n.eval() is n and not n.training and not n.b[1].training
    n.train()
    assert n.b[0].training
    out = n(symgrad.ones(4, 2)).sum()
    out.backward()
    assert all(p.grad is not None for p in n.parameters())
    n.zero_grad()
    assert all(p.grad is None for p in n.parameters())
    n(symgrad.ones(4, 2)).sum().backward()
    n.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in n.parameters())
    assert len(n.b) == 2 and isinstance(n.b[-1], nn.ReLU)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        n.missing  # noqa: B018
    sd = n.state_dict()
    assert list(sd) == ["scale", "a.weight", "a.bias", "b.0.weight", "b.0.bias"]


def test_linear_init_bounds_and_dtype():
    symgrad.manual_seed(0)
    lin = nn.Linear(16, 8)
    bound = 1 / 4
    assert lin.weight.shape == (8, 16) and lin.bias.shape == (8,)
    assert lin.weight.dtype == symgrad.float32
    assert np.abs(lin.weight.detach().numpy()).max() <= bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    assert lin.weight.requires_grad and lin.weight.is_leaf
    assert nn.Linear(2, 2, dtype=symgrad.float64).weight.dtype == symgrad.float64
    assert nn.Linear(2, 2, bias=False).bias is None


def test_module_without_forward_and_bad_assignment():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=re.escape(
            'Module [Empty] is missing the required "forward" function')):
        Empty()(1)
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        lin.weight = symgrad.ones(2, 2)
