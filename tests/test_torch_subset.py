"""The torch APIs teaching programs reach for beyond the core (issue 17), each symgrad against
torch 2.13 in float64: sort / argsort / topk / gather, gelu, softplus, smooth_l1 and Huber
losses, cross_entropy with probability targets and label smoothing, Embedding,
ParameterList, normal, Adagrad and the learning-rate schedulers. Values, grad_fn names,
first and second derivatives, printed reprs and error messages; the first derivatives also
against central finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

torch = pytest.importorskip("torch")
LIBS = [symgrad, torch]
RNG = np.random.default_rng(1713)
X = RNG.normal(size=(3, 5)) * 2
TIES = np.array([[3.0, 1.0, 2.0, 1.0, 2.0], [0.0, 5.0, 5.0, -1.0, 0.0], [2.0, 2.0, 2.0, 1.0, 7.0]])


def _np(t):
    return t.detach().numpy(force=True)


def _derivatives(lib, f, x0, weights):
    """(y, dy/dx weighted by weights[0], the gradient of sum(g * weights[1]))."""
    x = lib.tensor(x0, requires_grad=True)
    y = f(lib, x)
    g, = lib.autograd.grad(y, x, lib.tensor(weights[0]), create_graph=True)
    if g.requires_grad:
        h, = lib.autograd.grad((g * lib.tensor(weights[1])).sum(), x, allow_unused=True)
    else:
        h = None
    return y, _np(g), np.zeros_like(x0) if h is None else _np(h)


CASES = {
    "sort": (lambda t, x: t.sort(x * x, 1).values, X),
    "sort_desc": (lambda t, x: x.sort(0, descending=True)[0] * x, X),
    "sort_ties": (lambda t, x: t.sort(x, stable=True, dim=-1).values, TIES),
    "sort_ties_desc": (lambda t, x: x.sort(descending=True).values, TIES),
    "sort_ties_desc_stable": (lambda t, x: x.sort(stable=False, dim=0, descending=True).values, TIES.T),
    "topk": (lambda t, x: x.topk(2).values, X),
    "topk_small": (lambda t, x: t.topk(x * x, 2, dim=0, largest=False).values, X),
    "gather": (lambda t, x: x.gather(1, t.tensor([[0, 4, 4], [1, 0, 2], [3, 3, 3]])), X),
    "gather_smaller": (lambda t, x: t.gather(x * x, 0, t.tensor([[2, 0], [1, 1]])), X),
    "gelu": (lambda t, x: t.nn.functional.gelu(x), X),
    "gelu_tanh": (lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), X),
    "GELU": (lambda t, x: t.nn.GELU("tanh")(x * x), X),
    "softplus": (lambda t, x: t.nn.functional.softplus(x), X),
    "softplus_beta": (lambda t, x: t.nn.functional.softplus(x, 2.0, 3.0), X),
    "Softplus": (lambda t, x: t.nn.Softplus(0.5, 0.4)(x), X),
    # (finite gradients where exp(beta x) overflows; either side of the threshold)
    "softplus_extremes": (lambda t, x: t.nn.functional.softplus(x),
                          np.array([-1000.0, -30.0, 0.0, 19.9, 20.1, 1000.0])),
    "smooth_l1": (lambda t, x: t.nn.functional.smooth_l1_loss(x, t.tensor(X[::-1].copy()),
                                                              beta=0.7), X),
    "smooth_l1_none": (lambda t, x: t.nn.functional.smooth_l1_loss(
        x, t.tensor(X[::-1].copy()), reduction="none"), X),
    "smooth_l1_beta0": (lambda t, x: t.nn.functional.smooth_l1_loss(
        x, t.tensor(X[::-1].copy()), beta=0.0, reduction="sum"), X),
    "SmoothL1Loss": (lambda t, x: t.nn.SmoothL1Loss(beta=2.0)(x, t.tensor(X[::-1] * 0.5)), X),
    "huber": (lambda t, x: t.nn.functional.huber_loss(x, t.tensor(X[::-1].copy()), delta=2.0), X),
    "huber_weight": (lambda t, x: t.nn.functional.huber_loss(
        x, t.tensor(X[::-1].copy()), "sum", 0.5, weight=t.tensor(X * X)), X),
    "HuberLoss": (lambda t, x: t.nn.HuberLoss("none", 1.5)(x, t.tensor(X[::-1].copy())), X),
    "l1": (lambda t, x: t.nn.functional.l1_loss(x, t.tensor(X[::-1].copy())), X),
    "ce_probs": (lambda t, x: t.nn.functional.cross_entropy(x, t.softmax(t.tensor(X[::-1].copy()), 1)),
                 X),
    "ce_probs_weight": (lambda t, x: t.nn.functional.cross_entropy(
        x, t.softmax(t.tensor(X[::-1].copy()), 1), weight=t.tensor(np.arange(1.0, 6.0)),
        reduction="none", label_smoothing=0.2), X),
    "ce_probs_sum_1d": (lambda t, x: t.nn.functional.cross_entropy(
        x[0], t.softmax(t.tensor(X[1]), 0), reduction="sum", label_smoothing=0.1), X),
    "ce_smoothing": (lambda t, x: t.nn.functional.cross_entropy(
        x, t.tensor([0, 4, 2]), label_smoothing=0.3), X),
    "ce_smoothing_ignore": (lambda t, x: t.nn.CrossEntropyLoss(
        weight=t.tensor(np.arange(1.0, 6.0)), ignore_index=2, label_smoothing=0.25)(
        x, t.tensor([0, 2, 3])), X),
    "ce_smoothing_sum": (lambda t, x: t.nn.functional.cross_entropy(
        x, t.tensor([1, 2, 3]), weight=t.tensor(np.arange(1.0, 6.0)), reduction="sum",
        label_smoothing=0.5), X),
    "embedding": (lambda t, x: t.nn.functional.embedding(t.tensor([[0, 2], [2, 1]]), x), X),
    "embedding_padding": (lambda t, x: t.nn.functional.embedding(
        t.tensor([[0, 2, 1], [2, 1, 1]]), x * x, padding_idx=1), X),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    f, x0 = CASES[name]
    out_shape = tuple(f(torch, torch.tensor(x0)).shape)
    weights = [RNG.uniform(-1, 1, out_shape), RNG.uniform(-1, 1, x0.shape)]
    (sy, sg, sh), (ty, tg, th) = (_derivatives(lib, f, x0, weights) for lib in LIBS)
    assert type(sy.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert str(sy.dtype) == str(ty.dtype) and tuple(sy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(_np(sy), _np(ty), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(sg, tg, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sh, th, rtol=1e-10, atol=1e-12)
    # and the first derivative against central differences (not at ties; the padding row
    # gets no gradient by design)
    if "ties" not in name and "padding" not in name:
        w = weights[0]

        def scalar(a):
            return float((_np(f(symgrad, symgrad.tensor(a))) * w).sum())

        np.testing.assert_allclose(sg, numeric_grad(scalar, [x0], 0), rtol=1e-6, atol=1e-7)


def test_sort_order_of_ties_is_torchs_stable_order():
    """Along long dims too (torch's default sort is stable only up to 16 elements)."""
    a = RNG.integers(0, 4, (3, 40)).astype(float)
    for descending in (False, True):
        s = symgrad.tensor(a).sort(descending=descending).indices
        t = torch.tensor(a).sort(descending=descending, stable=True).indices
        np.testing.assert_array_equal(_np(s), _np(t))
        s = symgrad.tensor(a[:, :16]).sort(descending=descending).indices
        t = torch.tensor(a[:, :16]).sort(descending=descending).indices
        np.testing.assert_array_equal(_np(s), _np(t))


def test_sort_and_topk_return_torch_namedtuples():
    x0 = np.array([[3.0, np.nan, 1.0], [2.0, 2.0, -1.0]])
    for call in (lambda t, x: t.sort(x, 1), lambda t, x: x.sort(0, descending=True),
                 lambda t, x: x.topk(2, 1, largest=False), lambda t, x: t.sort(t.tensor(3.0))):
        s, t = (call(lib, lib.tensor(x0, requires_grad=True)) for lib in LIBS)
        assert repr(s) == repr(t)
        assert repr(s.values) == repr(t.values) and repr(s[1]) == repr(t[1])
        values, indices = s
        assert indices.dtype == symgrad.int64
    for lib in LIBS:
        x = lib.tensor(x0)
        np.testing.assert_array_equal(_np(lib.argsort(x, 1, descending=True)),
                                      [[1, 0, 2], [0, 1, 2]])
        np.testing.assert_array_equal(_np(x.argsort(0)), [[1, 1, 1], [0, 0, 0]])


@pytest.mark.parametrize("call", [
    lambda t, x: x.topk(6), lambda t, x: x.gather(1, t.tensor([[0.0]])),
    lambda t, x: x.gather(1, t.tensor([0])), lambda t, x: x.gather(1, t.tensor([[9]])),
    lambda t, x: x.gather(1, t.tensor([[-1]])), lambda t, x: x.gather(0, t.tensor([[0] * 6])),
    lambda t, x: x.sort(2), lambda t, x: t.nn.functional.gelu(x, approximate="erf"),
    lambda t, x: t.nn.functional.smooth_l1_loss(x, x, beta=-1.0),
    lambda t, x: t.nn.functional.huber_loss(x, x, delta=0.0),
    lambda t, x: t.nn.functional.huber_loss(x, x, weight=x[0]),
    lambda t, x: t.nn.functional.huber_loss(x, x, reduction="avg"),
    lambda t, x: t.nn.functional.cross_entropy(x, t.softmax(x, 1), label_smoothing=1.5),
    lambda t, x: t.nn.functional.cross_entropy(x, t.softmax(x, 1), weight=t.ones(3)),
    lambda t, x: t.nn.functional.cross_entropy(x, t.softmax(x, 1)[:1]),
    lambda t, x: t.nn.Embedding(5, 2)(t.tensor([5])),
    lambda t, x: t.nn.Embedding(5, 2)(t.tensor([1.0])),
    lambda t, x: t.nn.Embedding(5, 2, padding_idx=5),
    lambda t, x: t.nn.Embedding.from_pretrained(x[0]),
    lambda t, x: t.normal(0.0, -1.0, (2,)), lambda t, x: t.normal(x, -2.0),
    lambda t, x: t.normal(x, x - 1), lambda t, x: t.normal(x, t.ones(3)),
    lambda t, x: t.optim.Adagrad([x], lr_decay=-1),
])
def test_errors_match_torch(call):
    errors = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            call(lib, lib.tensor(X[:2], requires_grad=True))
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1])


def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3, padding_idx=-1, max_norm=2.0)
            self.act = nn.Sequential(nn.GELU(), nn.GELU("tanh"), nn.Softplus(2, 10))
            self.ps = nn.ParameterList([nn.Parameter(lib.ones(3, 2)), lib.zeros(4)])
            self.losses = nn.ModuleList([nn.HuberLoss(delta=2.0), nn.SmoothL1Loss()])

    return Net()


def test_modules_print_as_torch():
    reprs = []
    for lib in LIBS:
        nn = lib.nn
        net = _net(lib)
        net.ps.append(nn.Parameter(lib.ones(2, dtype=lib.float64)))
        reprs.append((repr(net), [n for n, _ in net.named_parameters()], repr(net.ps[1:]),
                      repr(nn.ParameterList()), len(net.ps), net.ps[-1].requires_grad,
                      isinstance(net.ps[1], nn.Parameter), repr(net.ps[2])))
    assert reprs[0] == reprs[1]


def test_embedding_module_matches_torch():
    w0 = np.arange(12.0).reshape(6, 2) / 3
    out = []
    for lib in LIBS:
        nn = lib.nn
        e = nn.Embedding(6, 2, padding_idx=1)
        padded_row = _np(e.weight[1]).copy()
        w = lib.tensor(w0, requires_grad=True)
        pre = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
        idx = lib.tensor([[0, 1, 5], [5, 1, 3]])
        y = pre(idx)
        (y * y).sum().backward()
        frozen = nn.Embedding.from_pretrained(lib.tensor(w0))
        capped = nn.Embedding.from_pretrained(lib.tensor(w0), max_norm=2.5, norm_type=1.0)
        z = capped(lib.tensor([5, 0, 5]))
        out.append((padded_row, repr(y), _np(pre.weight.grad), pre.weight is w,
                     frozen.weight.requires_grad, repr(z), _np(capped.weight), repr(capped),
                     tuple(e(lib.tensor(2)).shape)))
    (s_row, *s), (t_row, *t) = out
    np.testing.assert_array_equal(s_row, t_row)
    np.testing.assert_array_equal(s_row, [0.0, 0.0])
    for a, b in zip(s, t, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=1e-15)
        else:
            assert a == b


def test_normal_samples_and_shapes():
    symgrad.manual_seed(0)
    x = symgrad.normal(3.0, 2.0, (200000,))
    assert x.dtype == symgrad.float32 and x.shape == (200000,)
    assert abs(float(x.mean()) - 3.0) < 0.02 and abs(float(x.std()) - 2.0) < 0.02
    for lib in LIBS:
        m = lib.tensor(np.zeros((2, 1)))
        assert tuple(lib.normal(m, lib.ones(3, dtype=lib.float64)).shape) == (2, 3)
        assert lib.normal(m, 1.0).dtype == lib.float64
        assert lib.normal(0.0, 1.0, (2,), dtype=lib.float64).dtype == lib.float64
    big = symgrad.normal(symgrad.tensor([0.0, 100.0]).expand(50000, 2), 1e-3)
    np.testing.assert_allclose(_np(big).mean(0), [0.0, 100.0], atol=1e-4)


def _train(lib, make_scheduler, opt_kwargs, steps=12):
    w = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    b = lib.tensor(np.ones(3), requires_grad=True)
    opt = lib.optim.Adagrad([{"params": [w]}, {"params": [b], "lr": 0.3}], **opt_kwargs)
    sched = make_scheduler(lib.optim.lr_scheduler, opt)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        ((w.sin() * w).sum() + (b * b * b).sum()).backward()
        opt.step()
        if sched is not None:
            sched.step()
        history.append((sched.get_last_lr() if sched else None,
                        [g["lr"] for g in opt.param_groups], _np(w).copy(), _np(b).copy()))
    state = opt.state[w]
    return history, (_np(state["sum"]).copy(), float(state["step"]))


SCHEDULERS = {
    "none": lambda s, o: None,
    "StepLR": lambda s, o: s.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, [2, 5, 5, 9], 0.3),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, 0.9),
    "LambdaLR": lambda s, o: s.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, 4, 0.01),
}


@pytest.mark.parametrize("opt_kwargs", [
    dict(lr=0.1), dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2),
    dict(lr=0.05, eps=1e-3, maximize=True)])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_adagrad_and_schedulers_match_torch(name, opt_kwargs):
    (s_hist, s_state), (t_hist, t_state) = (_train(lib, SCHEDULERS[name], opt_kwargs)
                                            for lib in LIBS)
    for (sl, sg, sw, sb), (tl, tg, tw, tb) in zip(s_hist, t_hist, strict=True):
        assert sl == tl and sg == tg  # the learning rates: the same floats
        # (an ulp or so: torch's vectorized sqrt is not correctly rounded)
        np.testing.assert_allclose(sw, tw, rtol=1e-13)
        np.testing.assert_allclose(sb, tb, rtol=1e-13)
    np.testing.assert_allclose(s_state[0], t_state[0], rtol=1e-13)
    assert s_state[1] == t_state[1] == 12.0


def test_schedulers_closed_form_and_warnings_match_torch():
    out = []
    for lib in LIBS:
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=1.0)
        sched = lib.optim.lr_scheduler.MultiStepLR(opt, [2, 4], 0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()  # before optimizer.step(): torch warns
            sched.get_lr()  # outside step(): torch warns
            sched.step(5)  # the epoch argument: deprecated, the closed form
        out.append(([str(c.message) for c in caught], sched.get_last_lr(), sched.last_epoch,
                     opt.param_groups[0]["initial_lr"], sorted(sched.state_dict())))
    assert out[0] == out[1]
    assert len(out[0][0]) == 3 and out[0][1] == [0.25]


def test_adagrad_state_and_repr_match_torch():
    out = []
    for lib in LIBS:
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.Adagrad([w], initial_accumulator_value=0.5)
        state = opt.state[w]  # made at construction, as torch's
        out.append((repr(opt), sorted(state), _np(state["sum"]).tolist(), float(state["step"])))
    assert out[0] == out[1]
