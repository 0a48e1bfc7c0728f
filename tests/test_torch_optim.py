"""symgrad.optim against torch.optim: a few steps on the same float64 model and data give
torch's parameters (to 1e-12); zero_grad, parameter groups, closures, argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((8, 3))
Y = RNG.standard_normal((8, 2))


def _model(lib, weights):
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2)).double()
    with lib.no_grad():
        for p, w in zip(m.parameters(), weights, strict=True):
            p.copy_(lib.tensor(w))
    return m


def _weights():
    return [RNG.standard_normal(s) for s in ((4, 3), (4,), (2, 4), (2,))]


def _train(lib, make_opt, weights, steps=5, groups=False):
    m = _model(lib, weights)
    params = ([{"params": m[0].parameters()}, {"params": m[2].parameters(), "lr": 0.05}]
              if groups else m.parameters())
    opt = make_opt(lib, params)
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(m(lib.tensor(X)), lib.tensor(Y))
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in m.parameters()], loss.item()


OPTIMIZERS = {
    "sgd": lambda lib, p: lib.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_dampening_wd": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.3,
                                                     weight_decay=0.01),
    "sgd_nesterov": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "sgd_maximize": lambda lib, p: lib.optim.SGD(p, lr=0.01, maximize=True),
    "adam": lambda lib, p: lib.optim.Adam(p, lr=0.01),
    "adam_betas_eps": lambda lib, p: lib.optim.Adam(p, lr=0.02, betas=(0.3, 0.7), eps=1e-3),
    "adam_wd": lambda lib, p: lib.optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adam_amsgrad": lambda lib, p: lib.optim.Adam(p, lr=0.01, amsgrad=True),
    "rmsprop": lambda lib, p: lib.optim.RMSprop(p, lr=0.01),
    "rmsprop_momentum_centered": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.5,
                                                                  centered=True, alpha=0.3,
                                                                  weight_decay=0.1),
    "adam_decoupled": lambda lib, p: lib.optim.Adam(p, lr=0.01, weight_decay=0.1,
                                                    decoupled_weight_decay=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("groups", [False, True])
def test_steps_match_torch(name, groups):
    w = _weights()
    ps, ls = _train(symgrad, OPTIMIZERS[name], w, groups=groups)
    pt, lt = _train(torch, OPTIMIZERS[name], w, groups=groups)
    for a, b in zip(ps, pt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert abs(ls - lt) <= 1e-12 * max(1.0, abs(lt))
    assert not np.allclose(ps[0], w[0])  # it did move


def test_float32_adam_close_to_torch():
    w = [a.astype(np.float32) for a in _weights()]

    def run(lib):
        m = lib.nn.Linear(3, 1)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w[2][:1, :3]))
            m.bias.copy_(lib.tensor(w[1][:1]))
        opt = lib.optim.Adam(m.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            lib.nn.functional.mse_loss(m(lib.tensor(X, dtype=lib.float32)),
                                       lib.tensor(Y[:, :1], dtype=lib.float32)).backward()
            opt.step()
        return m.weight.detach().numpy()

    np.testing.assert_allclose(run(symgrad), run(torch), rtol=1e-5, atol=1e-6)


def test_zero_grad_set_to_none_and_zeroing():
    for lib in (symgrad, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        (p * p).sum().backward()
        opt.zero_grad()
        assert p.grad is None
        (p * p).sum().backward()
        g = p.grad
        opt.zero_grad(set_to_none=False)
        assert p.grad is g and p.grad.tolist() == [0.0, 0.0]


def test_skips_params_without_grad_and_param_group_state():
    a = symgrad.tensor([1.0], requires_grad=True)
    b = symgrad.tensor([2.0], requires_grad=True)
    opt = symgrad.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.5, momentum=0.1)
    (a * 3).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(1 - 0.5 * 3) and b.item() == 2.0
    assert [g["lr"] for g in opt.param_groups] == [0.5, 1.0]
    assert opt.param_groups[1]["momentum"] == 0.1
    assert "momentum_buffer" in opt.state[a] and b not in opt.state


def test_closure_and_version_bump():
    p = symgrad.tensor([1.0, -1.0], dtype=symgrad.float64, requires_grad=True)
    opt = symgrad.optim.Adam([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    y = p * 2  # p is saved by nothing here, but p's version moves with each step
    assert opt.step(closure).item() == 2.0
    pt = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    optt = torch.optim.Adam([pt], lr=0.1)

    def closure_t():
        optt.zero_grad()
        loss = (pt ** 2).sum()
        loss.backward()
        return loss

    optt.step(closure_t)
    np.testing.assert_allclose(p.detach().numpy(), pt.detach().numpy(), rtol=1e-14)
    q = symgrad.tensor([3.0], requires_grad=True)
    z = q.sin()  # sin saves q: a step that changes q in place must make backward refuse
    q.grad = symgrad.tensor([1.0])
    symgrad.optim.SGD([q], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    del y


def test_argument_errors_match_torch():
    for lib in (symgrad, torch):
        p = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(ValueError, match="Invalid learning rate: -1"):
            lib.optim.SGD([p], lr=-1)
        with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
            lib.optim.Adam([p], betas=(1.0, 0.9))
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            lib.optim.Adam([])
        with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                                             "dampening"):
            lib.optim.SGD([p], lr=0.1, nesterov=True)
