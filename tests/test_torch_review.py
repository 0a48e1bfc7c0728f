"""Findings of the review of the PyTorch compatibility (issue 17), each symgrad against torch:
zero_/fill_/copy_ overwrite NaN, inf and -0; float() of a Tensor requiring grad warns once;
torch.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against torch and against
central finite differences; and the APIs a probe of tutorials found missing, now built
(their differential tests: tests/test_torch_subset.py)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

torch = pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]
LIBS = [symgrad, torch]
SPECIAL = [-1.5, float("nan"), float("inf"), -float("inf"), -0.0]


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(a, b):
    """Same values, NaN positions and signs of zero (the printed -0. of torch is a finding)."""
    a, b = _np(a), _np(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


# -- zero_ / fill_ / copy_ ---------------------------------------------------------------------

@pytest.mark.parametrize("op", ["zero_", "fill_", "fill_tensor", "copy_", "copy_broadcast",
                                "copy_slice", "copy_int"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_overwriting_ops_write_exactly_the_value(op, dtype):
    def run(lib):
        t = lib.tensor(SPECIAL, dtype=getattr(lib, dtype))
        if op == "zero_":
            t.zero_()
        elif op == "fill_":
            t.fill_(2.5)
        elif op == "fill_tensor":
            t.fill_(lib.tensor(-3))
        elif op == "copy_":
            t.copy_(lib.tensor([1.0, 2.0, -0.0, 4.0, 5.0], dtype=lib.float64))
        elif op == "copy_broadcast":
            t.copy_(lib.tensor(7.0))
        elif op == "copy_slice":
            t[1:3].copy_(lib.tensor([0.5, -0.5]))
        else:
            t.copy_(lib.tensor([1, 2, 3, 4, 5]))
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'invalid value encountered in multiply'
        _same(run(symgrad), run(torch))


def test_sgd_by_hand_zeroes_grads_to_plus_zero():
    """d2l's ``param.grad.zero_()`` printed ``tensor([[-0.], [0.]])`` before."""
    outs = []
    for lib in LIBS:
        w = lib.tensor([[0.5], [-0.25]], requires_grad=True)
        (w * lib.tensor([[-2.0], [3.0]])).sum().backward()
        w.grad.zero_()
        outs.append(w.grad)
        assert str(w.grad) == "tensor([[0.],\n        [0.]])"
    _same(*outs)


@pytest.mark.parametrize("op", ["zero_", "fill_", "copy_"])
def test_overwriting_ops_gradients(op):
    """The gradient through the old value is zero, the copied source's is passed through."""
    grads = []
    for lib in LIBS:
        a = lib.tensor([1.0, float("inf"), -2.0], dtype=lib.float64, requires_grad=True)
        src = lib.tensor([3.0, 4.0, 5.0], dtype=lib.float64, requires_grad=True)
        b = a * 1
        if op == "zero_":
            b.zero_()
        elif op == "fill_":
            b.fill_(2.0)
        else:
            b.copy_(src)
        (b * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        grads.append((a.grad, src.grad))
        assert type(b.grad_fn).__name__ == {"zero_": "ZeroBackward0", "fill_": "FillBackward2",
                                            "copy_": "CopyBackwards"}[op]
    _same(grads[0][0], grads[1][0])
    if op == "copy_":
        _same(grads[0][1], grads[1][1])


def test_fill_with_a_tensor_is_fill_backward3():
    for lib in LIBS:
        b = lib.ones(2, requires_grad=True) * 1
        b.fill_(lib.tensor(2.0))
        assert type(b.grad_fn).__name__ == "FillBackward3"


# -- float() warns once --------------------------------------------------------------------------

_WARN_SCRIPT = """
import sys, warnings
if sys.argv[1] == "torch":
    import torch as lib
else:
    import symgrad as lib
warnings.simplefilter("always")
t = lib.tensor(2.5, requires_grad=True)
with lib.no_grad():
    float(t)
t.item(); int(t); bool(t); float(t.detach())
print("before")
sys.stdout.flush()
float(t * 2)
float(t)
"""


@pytest.mark.parametrize("lib", ["symgrad", "torch"])
def test_float_of_a_tensor_requiring_grad_warns_once(lib):
    proc = subprocess.run([sys.executable, "-c", _WARN_SCRIPT, lib], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [ln.split(" (Triggered internally")[0] for ln in proc.stderr.splitlines()]
    assert lines == ["<string>:14: UserWarning: Converting a tensor with requires_grad=True to "
                     "a scalar may lead to unexpected behavior.",
                     "Consider using tensor.detach() first."]


# -- autograd.functional -------------------------------------------------------------------------

def _f_reduce(lib):
    return lambda x: x.exp().sum(dim=1)


def _f_pair(lib):
    return lambda x, y: (2 * x.exp() + 3 * y * x, y.sin())


def _f_scalar(lib):
    return lambda x: (x.pow(3) * x.sin()).sum()


def _f_scalar2(lib):
    return lambda x, y: (2 * x.pow(2) * y + 3 * y.pow(3)).sum()


X1 = np.linspace(-1.1, 1.3, 8).reshape(2, 4)
X2 = (np.array([0.2, -0.4, 0.7]), np.array([1.0, 0.5, -0.3]))


def _args(lib, arrays, tup):
    ts = tuple(lib.tensor(a, dtype=lib.float64) for a in arrays)
    return ts if tup else ts[0]


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for e in x for y in _flat(e)]
    return [x]


def _compare(a, b, create_graph=False):
    fa, fb = _flat(a), _flat(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb, strict=True):
        assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(_np(x), _np(y), rtol=1e-12, atol=1e-14)
        assert x.requires_grad == y.requires_grad
        assert (x.grad_fn is None) == (y.grad_fn is None)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", ["reduce", "pair", "scalar", "scalar2"])
def test_jacobian_and_hessian_match_torch(case, create_graph):
    f, arrays, tup = {"reduce": (_f_reduce, (X1,), False), "pair": (_f_pair, X2, True),
                      "scalar": (_f_scalar, (X1,), False),
                      "scalar2": (_f_scalar2, X2, True)}[case]
    res = []
    for lib in LIBS:
        fn = lib.autograd.functional
        out = [fn.jacobian(f(lib), _args(lib, arrays, tup), create_graph=create_graph)]
        if case.startswith("scalar"):
            out.append(fn.hessian(f(lib), _args(lib, arrays, tup), create_graph=create_graph))
        res.append(out)
    _compare(res[0], res[1])


def test_jacobian_against_finite_differences():
    fn = symgrad.autograd.functional
    x = symgrad.tensor(X1)
    jac = fn.jacobian(_f_reduce(symgrad), x).numpy()
    for i in range(2):
        num = numeric_grad(lambda a, i=i: np.exp(a).sum(axis=1)[i], [X1], 0)
        np.testing.assert_allclose(jac[i], num, rtol=1e-6, atol=1e-8)
    hess = fn.hessian(_f_scalar(symgrad), x).numpy().reshape(8, 8)
    for k in range(8):
        def g(a, k=k):
            return (3 * a ** 2 * np.sin(a) + a ** 3 * np.cos(a)).reshape(-1)[k]
        np.testing.assert_allclose(hess[k], numeric_grad(g, [X1], 0).reshape(-1), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("which", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_torch(which, create_graph):
    res = []
    for lib in LIBS:
        fn = lib.autograd.functional
        if which == "vjp":
            args = (_f_pair(lib), _args(lib, X2, True),
                    (lib.ones(3, dtype=lib.float64), lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)))
        elif which == "jvp":
            args = (_f_reduce(lib), _args(lib, (X1,), False),
                    lib.tensor(X1[::-1].copy(), dtype=lib.float64))
        else:
            args = (_f_scalar2(lib), _args(lib, X2, True),
                    (lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64),
                     lib.tensor([-1.0, 0.0, 0.5], dtype=lib.float64)))
        res.append(getattr(fn, which)(*args, create_graph=create_graph))
    _compare(res[0], res[1])


def test_functional_defaults_and_imports():
    from symgrad.autograd.functional import vjp

    for lib in LIBS:
        fn = lib.autograd.functional
        x = lib.tensor(0.7, dtype=lib.float64)
        out, g = fn.vjp(lambda t: t.sin() * 2, x)
        assert abs(g.item() - 2 * np.cos(0.7)) < 1e-15
        out, g = fn.jvp(lambda t: t.sin() * 2, x)
        assert abs(g.item() - 2 * np.cos(0.7)) < 1e-15
        # a function not using one input: zeros
        jac = fn.jacobian(lambda a, b: a * 2, (lib.ones(2), lib.ones(3)))
        assert tuple(jac[1].shape) == (2, 3) and not jac[1].numpy().any()
    assert vjp is symgrad.autograd.functional.vjp
    with pytest.raises(RuntimeError, match="The vector v can only be None"):
        symgrad.autograd.functional.vjp(lambda t: t * 2, symgrad.ones(2))


# -- left out ------------------------------------------------------------------------------------

@pytest.mark.xfail(strict=True, reason="nn.functional losses are compositions: the last node is "
                   "renamed MseLossBackward0 but its next_functions are the composition's "
                   "((PowBackward0, 0),), not torch's ((AddmmBackward0, 0), (None, 0))")
def test_loss_next_functions_are_torch_s():
    names = []
    for lib in LIBS:
        lin = lib.nn.Linear(2, 1)
        loss = lib.nn.MSELoss()(lin(lib.ones(3, 2)), lib.zeros(3, 1))
        names.append(tuple((type(n).__name__ if n is not None else None, i)
                           for n, i in loss.grad_fn.next_functions))
    assert names[0] == names[1]


# -- nn.init and state_dict ----------------------------------------------------------------------

@pytest.mark.parametrize("init", ["constant_", "zeros_", "ones_", "eye_"])
def test_deterministic_initializers_match_torch(init):
    outs = []
    for lib in LIBS:
        w = lib.nn.Linear(5, 3).weight
        args = (0.25,) if init == "constant_" else ()
        r = getattr(lib.nn.init, init)(w, *args)
        assert r is w and w.requires_grad and w.grad_fn is None
        outs.append(w)
    _same(outs[0], outs[1])


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("relu", None), ("tanh", None),
                                                ("leaky_relu", None), ("leaky_relu", 0.2),
                                                ("selu", None), ("sigmoid", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert symgrad.nn.init.calculate_gain(nonlinearity, param) == \
        torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("init,kw,bound", [
    ("uniform_", dict(a=-0.5, b=0.25), (-0.5, 0.25)),
    ("xavier_uniform_", {}, (-np.sqrt(6 / (40 + 30)),) * 2),
    ("kaiming_uniform_", dict(nonlinearity="relu"), (-np.sqrt(6 / 40),) * 2),
])
def test_random_initializers_keep_torch_s_bounds(init, kw, bound):
    lo, hi = bound[0], abs(bound[1])
    w = symgrad.empty(30, 40)
    getattr(symgrad.nn.init, init)(w, **kw)
    d = w.numpy()
    assert d.min() >= lo and d.max() <= hi and d.max() - d.min() > 0.9 * (hi - lo)


@pytest.mark.parametrize("init,kw,std", [("normal_", dict(std=0.3), 0.3),
                                         ("xavier_normal_", {}, np.sqrt(2 / 700)),
                                         ("kaiming_normal_", dict(mode="fan_out"), np.sqrt(2 / 300)),
                                         ("trunc_normal_", dict(std=1.0, a=-1, b=1), None)])
def test_normal_initializers_have_torch_s_std(init, kw, std):
    w = symgrad.empty(300, 400)
    getattr(symgrad.nn.init, init)(w, **kw)
    d = w.numpy()
    if std is None:
        assert d.min() >= -1 and d.max() <= 1
    else:
        assert abs(d.std() / std - 1) < 0.02


def _shared(lib):
    shared = lib.nn.Linear(3, 3)
    net = lib.nn.Sequential(lib.nn.Linear(2, 3), shared, lib.nn.ReLU(), shared)
    net[0].register_buffer("steps", lib.tensor(4))
    net[0].register_buffer("scratch", lib.ones(2), persistent=False)
    return net


def test_state_dict_lists_a_shared_module_under_each_name():
    keys = [list(_shared(lib).state_dict()) for lib in LIBS]
    assert keys[0] == keys[1] == ["0.weight", "0.bias", "0.steps", "1.weight", "1.bias",
                                  "3.weight", "3.bias"]
    for lib in LIBS:
        sd = _shared(lib).state_dict()
        assert not sd["1.weight"].requires_grad
        kv = _shared(lib).state_dict(keep_vars=True)
        assert kv["1.weight"].requires_grad


def test_load_state_dict_of_a_shared_module():
    for lib in LIBS:
        a, b = _shared(lib), _shared(lib)
        b.load_state_dict(a.state_dict())
        for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
            assert na == nb and lib.equal(pa, pb)


@pytest.mark.xfail(strict=True, reason="nn.Parameter is a flagged Tensor: isinstance works, but "
                   "type(p) prints <class 'symgrad.runtime.tensor.Tensor'>, not torch's "
                   "<class 'torch.nn.parameter.Parameter'> (d2l's parameter-management chapter)")
def test_type_of_a_parameter_is_parameter():
    p = symgrad.nn.Linear(2, 1).bias
    assert type(p) is symgrad.nn.Parameter


# -- small additions: optimizer repr, AdamW, LeakyReLU, Dropout, ModuleList, one_hot, clipping ----

def _two_layer(lib):
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for i, p in enumerate(net.parameters()):
            k = lib.arange(p.numel(), dtype=lib.float64)
            p.copy_((lib.cos(k * 0.7 + i) * 0.5).reshape(p.shape))
    return net.double()


X3 = np.linspace(-1, 1, 15).reshape(5, 3)


def test_optimizer_repr_separates_groups_as_torch():
    reprs = []
    for lib in LIBS:
        net = _two_layer(lib)
        reprs.append(repr(lib.optim.SGD([{"params": net[0].weight, "weight_decay": 0.1},
                                         {"params": net[0].bias}], lr=0.1)))
    assert reprs[0] == reprs[1]
    assert "\n\nParameter Group 1\n" in reprs[0]


@pytest.mark.parametrize("kw", [{}, dict(weight_decay=0.3, amsgrad=True)])
def test_adamw_trains_as_torch(kw):
    out = []
    for lib in LIBS:
        net = _two_layer(lib)
        opt = lib.optim.AdamW(net.parameters(), lr=0.05, **kw)
        x = lib.tensor(X3)
        for _ in range(20):
            opt.zero_grad()
            net(x).pow(2).sum().backward()
            opt.step()
        out.append([p.detach().numpy().copy() for p in net.parameters()])
        assert repr(opt).startswith("AdamW (")
    for a, b in zip(*out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_values_and_gradients(slope):
    xs = np.array([-1.5, -0.0, 0.0, 0.25, 2.0])
    res = []
    for lib in LIBS:
        x = lib.tensor(xs, requires_grad=True)
        y = lib.nn.functional.leaky_relu(x * 1, slope)
        assert type(y.grad_fn).__name__ == "LeakyReluBackward0"
        (y * lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64)).sum().backward()
        res.append((y, x.grad, repr(lib.nn.LeakyReLU(slope)), lib.nn.LeakyReLU(slope)(x)))
    _same(res[0][0], res[1][0])
    _same(res[0][1], res[1][1])
    assert res[0][2] == res[1][2]
    _same(res[0][3], res[1][3])
    seed = np.arange(1.0, 6.0)
    num = numeric_grad(lambda v: np.where(v > 0, v, slope * v), [xs[[0, 3, 4]]], 0,
                       seed=seed[[0, 3, 4]])
    np.testing.assert_allclose(res[0][1].numpy()[[0, 3, 4]], num, rtol=1e-7)
    assert res[0][1].numpy()[2] == 3 * slope  # at 0: the negative side's slope, as torch's


def test_dropout():
    x = symgrad.ones(200, 100, dtype=symgrad.float64, requires_grad=True)
    drop = symgrad.nn.Dropout(0.25)
    assert repr(drop) == repr(torch.nn.Dropout(0.25))
    y = drop(x * 1)
    d = y.detach().numpy()
    assert set(np.unique(d)) <= {0.0, 1 / 0.75}
    assert abs((d == 0).mean() - 0.25) < 0.02
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), d)  # the gradient is the scaled mask
    for lib in LIBS:
        xe = lib.ones(3, requires_grad=True)
        assert lib.nn.Dropout(0.5).eval()(xe) is xe
        assert lib.nn.functional.dropout(xe, 0.5, training=False) is xe
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            lib.nn.Dropout(1.5)


def test_module_list_registers_its_modules():
    reps, counts = [], []
    for lib in LIBS:
        ml = lib.nn.ModuleList([lib.nn.Linear(2, 3), lib.nn.ReLU()])
        ml.append(lib.nn.Linear(3, 1))
        net = _list_net(lib, ml)
        reps.append(repr(net))
        counts.append([n for n, _ in net.named_parameters()])
        assert len(ml) == 3 and isinstance(ml[-1], lib.nn.Linear)
        assert isinstance(ml[1:], lib.nn.ModuleList)
        assert net(lib.ones(4, 2)).shape == (4, 1)
    assert reps[0] == reps[1] and counts[0] == counts[1]


def _list_net(lib, ml):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = ml

        def forward(self, x):
            for m in self.layers:
                x = m(x)
            return x

    return Net()


@pytest.mark.parametrize("num_classes", [-1, 5])
def test_one_hot(num_classes):
    outs = [lib.nn.functional.one_hot(lib.tensor([[0, 2], [1, 3]]), num_classes) for lib in LIBS]
    _same(outs[0], outs[1])
    assert outs[0].dtype == symgrad.int64


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    out = []
    for lib in LIBS:
        net = _two_layer(lib)
        net(lib.tensor(X3)).pow(2).sum().backward()
        total = lib.nn.utils.clip_grad_norm_(net.parameters(), max_norm, norm_type)
        out.append((total, [p.grad.numpy().copy() for p in net.parameters()]))
    np.testing.assert_allclose(out[0][0].numpy(), out[1][0].numpy(), rtol=1e-12)
    for a, b in zip(out[0][1], out[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_clip_grad_value_matches_torch():
    out = []
    for lib in LIBS:
        net = _two_layer(lib)
        net(lib.tensor(X3)).pow(2).sum().backward()
        lib.nn.utils.clip_grad_value_(net.parameters(), 0.3)
        out.append([p.grad.numpy().copy() for p in net.parameters()])
    for a, b in zip(*out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
        assert np.abs(a).max() == 0.3


# -- gaps a probe of tutorial-level APIs found (now built; tests/test_torch_subset.py) ------------

@pytest.mark.parametrize("name", ["sort", "topk", "argsort", "gather", "normal", "nn.GELU",
                                  "nn.HuberLoss", "nn.SmoothL1Loss", "nn.Softplus",
                                  "nn.Embedding", "nn.ParameterList", "nn.functional.gelu",
                                  "nn.functional.softplus", "nn.functional.smooth_l1_loss",
                                  "nn.functional.huber_loss", "nn.functional.embedding",
                                  "optim.Adagrad", "optim.lr_scheduler"])
def test_tutorial_api_exists(name):
    obj_t, obj_s = torch, symgrad
    for part in name.split("."):
        obj_t = getattr(obj_t, part)
        obj_s = getattr(obj_s, part)


def test_cross_entropy_with_probability_targets():
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    vals = [lib.nn.functional.cross_entropy(lib.tensor(x), lib.softmax(lib.tensor(x[::-1].copy()), 1))
            for lib in LIBS]
    np.testing.assert_allclose(vals[0].numpy(), vals[1].numpy())
