"""torch's smaller APIs that teaching programs use, symgrad against torch: devices and
accelerators, linspace (bit for bit), out=, keyword spellings, new_*, equal, the in-place
elementwise family, register_hook, Variable, the legacy constructors, next_functions order,
grad_fn._saved_*."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
LIBS = [symgrad, torch]


def _err(fn):
    try:
        fn()
    except BaseException as e:  # noqa: BLE001  (AssertionError is torch's CUDA error)
        return type(e).__name__, str(e)
    return None


def _names(edges):
    return tuple((None if n is None else type(n).__name__, i) for n, i in edges)


# -- devices -------------------------------------------------------------------------------------

def test_cuda_accelerator_and_default_device():
    for lib in LIBS:
        assert lib.cuda.is_available() is False
        assert lib.cuda.device_count() == 0
        assert lib.accelerator.is_available() is False
        assert lib.accelerator.current_accelerator() is None
        lib.set_default_device("cpu")
        lib.set_default_device(None)
        x = lib.ones(2)
        assert f"{x.device}" == "cpu" and str(x.device) == "cpu"
        assert repr(x.device) == "device(type='cpu')"
        assert x.device == lib.device("cpu") and x.device.type == "cpu"
        assert lib.get_default_device() == lib.device("cpu")
    assert repr(symgrad.device("cpu", 0)) == repr(torch.device("cpu", 0))
    assert str(symgrad.device("cuda:1")) == str(torch.device("cuda:1"))
    assert symgrad.device("cuda") != symgrad.device("cpu")
    assert isinstance(symgrad.ones(1).device, symgrad.device)
    for make in ('lambda lib: lib.ones(2).to("cuda")', 'lambda lib: lib.device("tpu")',
                 'lambda lib: lib.linspace(0, 1, 3, device="cuda")',
                 'lambda lib: lib.ones(2).to(lib.device("cuda"))'):
        f = eval(make)
        assert _err(lambda f=f: f(symgrad)) == _err(lambda f=f: f(torch)), make
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        symgrad.set_default_device("cuda")


@pytest.mark.parametrize("dtype", ["float32", "float64", None])
@pytest.mark.parametrize("args", [(-math.pi, math.pi, 2000), (0, 1, 7), (0, 1, 1), (1, 0, 10),
                                  (-3, 5.5, 101), (0, 10, 0), (2, 2, 5), (-1e-3, 7.3, 9999),
                                  (0.1, 1e6, 12345)])
def test_linspace_bit_for_bit(args, dtype):
    s = symgrad.linspace(*args, dtype=None if dtype is None else getattr(symgrad, dtype),
                         device="cpu")
    t = torch.linspace(*args, dtype=None if dtype is None else getattr(torch, dtype),
                       device="cpu")
    assert str(s.dtype) == str(t.dtype)
    assert s.numpy().tobytes() == t.numpy().tobytes()


def test_linspace_integer_and_requires_grad():
    for dt in ("int64", "int32"):
        np.testing.assert_array_equal(
            symgrad.linspace(0, 10, 4, dtype=getattr(symgrad, dt)).numpy(),
            torch.linspace(0, 10, 4, dtype=getattr(torch, dt)).numpy())
    assert symgrad.linspace(0, 1, 3, requires_grad=True).requires_grad


# -- out= and keywords -------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_out_argument(op):
    a, b = RNG.standard_normal((3, 3)).astype(np.float32), RNG.standard_normal((3, 3)).astype(np.float32)
    res = []
    for lib in LIBS:
        out = lib.empty(3, 3)
        r = getattr(lib, op)(lib.tensor(a), lib.tensor(b), out=out)
        assert r is out
        out64 = lib.empty(3, 3, dtype=lib.float64)
        if op == "matmul":  # torch refuses another dtype here
            out64 = lib.mm(lib.tensor(a), lib.tensor(b)).double()
            errs = [_err(lambda lib=lib: lib.matmul(lib.ones(2, 2), lib.ones(2, 2),
                                                    out=lib.empty(2, 2, dtype=lib.float64)))
                    for lib in LIBS]
            assert errs[0] == errs[1]
        else:
            getattr(lib, op)(lib.tensor(a), lib.tensor(b), out=out64)
        res.append((out.numpy().copy(), out64.numpy().copy()))
    for x, y in zip(*res, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-6)
    errs = [_err(lambda lib=lib: getattr(lib, op)(lib.ones(3, 3, requires_grad=True),
                                                  lib.ones(3, 3), out=lib.empty(3, 3)))
            for lib in LIBS]
    assert errs[0] == errs[1]
    if op != "matmul":
        errs = [_err(lambda lib=lib: getattr(lib, op)(lib.ones(2), lib.ones(2),
                                                      out=lib.empty(2, dtype=lib.int64)))
                for lib in LIBS]
        assert errs[0] == errs[1]


def test_out_resize_warning_and_alpha():
    msgs = []
    for lib in LIBS:
        out = lib.empty(5)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.add(lib.ones(2), lib.ones(2), alpha=3, out=out)
        assert out.tolist() == [4.0, 4.0]
        msgs.append(str(w[0].message).split(" (Triggered")[0])
    assert msgs[0] == msgs[1]


def test_matmul_keywords():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    r = [lib.matmul(input=lib.tensor(a), other=lib.tensor(b)).numpy() for lib in LIBS]
    np.testing.assert_allclose(r[0], r[1], rtol=1e-14)


@pytest.mark.parametrize("call", [
    "x.argmax(axis=1)", "x.argmin(axis=0, keepdims=True)", "x.sum(axis=0)",
    "x.sum(axis=1, keepdims=True)", "x.mean(axis=-1)", "x.max(axis=0).values",
    "x.min(axis=1, keepdims=True).indices", "x.prod(axis=0)", "x.std(axis=1)",
    "x.var(axis=0, keepdims=True)", "lib.sum(x, axis=0)", "lib.argmax(x, axis=1)",
    "x.sum(dim=1, keepdims=True)",
])
def test_numpy_keyword_aliases(call):
    v = RNG.standard_normal((3, 4))
    res = []
    for lib in LIBS:
        x = lib.tensor(v)
        res.append(eval(call, {"x": x, "lib": lib}))
    assert res[0].shape == res[1].shape and str(res[0].dtype) == str(res[1].dtype)
    np.testing.assert_allclose(res[0].numpy(), res[1].numpy(), rtol=1e-13)


# -- new_*, equal, constructors ---------------------------------------------------------------

@pytest.mark.parametrize("call", [
    "x.new_ones(2, 3)", "x.new_ones((2,))", "x.new_zeros(2, dtype=lib.int64)",
    "x.new_full((2, 2), 7)", "x.new_tensor([1, 2])", "x.new_tensor([[1.5]], dtype=lib.float32)",
    "x.new_empty(3).shape", "x.new_ones(2, requires_grad=True)",
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_new_family(call, dtype):
    out = []
    for lib in LIBS:
        x = lib.ones(2, dtype=getattr(lib, dtype))
        r = eval(call, {"x": x, "lib": lib})
        out.append(repr(r) if "empty" not in call else tuple(r))
    assert out[0] == out[1]


@pytest.mark.parametrize("pair", [
    ("[1.0, 2.0]", "[1.0, 2.0]"), ("[1.0, 2.0]", "[1.0, 2.5]"), ("[1.0, 2.0]", "[1, 2]"),
    ("[1.0, 2.0]", "[[1.0, 2.0]]"), ("[]", "[]"), ("[float('nan')]", "[float('nan')]"),
])
def test_equal(pair):
    for lib in LIBS:
        a, b = (lib.tensor(eval(p)) for p in pair)
        assert a.equal(b) == lib.equal(a, b)
    got = [symgrad.equal(*(symgrad.tensor(eval(p)) for p in pair)),
           torch.equal(*(torch.tensor(eval(p)) for p in pair))]
    assert got[0] == got[1]


def test_legacy_constructors_and_variable():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor"):
        for args in ([[1, 2]], [[[1.5]]] if name != "LongTensor" else [[[1]]]):
            s, t = getattr(symgrad, name)(*args), getattr(torch, name)(*args)
            assert repr(s) == repr(t)
        s, t = getattr(symgrad, name)(2, 3), getattr(torch, name)(2, 3)  # (uninitialized)
        assert s.shape == t.shape and str(s.dtype) == str(t.dtype)
    assert isinstance(symgrad.ones(2), symgrad.FloatTensor)
    assert not isinstance(symgrad.ones(2), symgrad.DoubleTensor)
    assert isinstance(symgrad.ones(2, dtype=symgrad.float64), symgrad.DoubleTensor)
    assert isinstance(symgrad.tensor([1]), symgrad.LongTensor)
    for lib in LIBS:
        v = lib.autograd.Variable(lib.ones(2), requires_grad=True)
        assert type(v) is lib.Tensor and v.requires_grad and v.is_leaf
        assert repr(v) == "tensor([1., 1.], requires_grad=True)"
        assert lib.autograd.Variable(lib.ones(1)).requires_grad is False


# -- the in-place elementwise family ----------------------------------------------------------

INPLACE = {
    "cos_": (), "sin_": (), "exp_": (), "tanh_": (), "sigmoid_": (), "relu_": (), "abs_": (),
    "neg_": (), "sqrt_": (), "log_": (), "square_": (), "reciprocal_": (), "tan_": (),
    "atan_": (), "log1p_": (), "expm1_": (), "sign_": (), "erf_": (), "sinh_": (),
    "clamp_": (0.3, 1.2), "clamp_min_": (0.5,), "clamp_max_": (0.9,), "atan2_": ("other",),
    "pow_": (3,), "hypot_": ("other",),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@pytest.mark.parametrize("shape", [(4,), (2, 3), ()])
def test_inplace_family(name, shape):
    v = RNG.uniform(0.1, 1.5, shape)
    w = RNG.uniform(0.1, 1.5, shape)
    res = []
    for lib in LIBS:
        a = lib.tensor(v, requires_grad=True)
        b = a * 1
        args = [lib.tensor(w) if x == "other" else x for x in INPLACE[name]]
        r = getattr(b, name)(*args)
        assert r is b
        assert b._version if lib is torch else True
        (b * lib.tensor(w)).sum().backward()
        res.append((b.detach().numpy().copy(), a.grad.numpy(), type(b.grad_fn).__name__))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-14)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-13, atol=1e-14)
    assert res[0][2] == res[1][2]

    def value(x):
        t = symgrad.tensor(np.asarray(x, dtype=np.float64)) * 1
        args = [symgrad.tensor(w) if x == "other" else x for x in INPLACE[name]]
        return (getattr(t, name)(*args) * symgrad.tensor(w)).sum().item()

    if name not in ("sign_", "relu_", "abs_"):
        np.testing.assert_allclose(res[0][1], numeric_grad(value, [v], 0), rtol=1e-6, atol=1e-8)


def test_inplace_on_leaf_refused_like_torch():
    errs = [_err(lambda lib=lib: lib.ones(2, requires_grad=True).cos_()) for lib in LIBS]
    assert errs[0] == errs[1]


# -- hooks ----------------------------------------------------------------------------------------

def test_register_hook_leaf_nonleaf_replacement_and_remove():
    logs = []
    for lib in LIBS:
        log = []
        v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = v.register_hook(lambda g, log=log: log.append(("leaf", g.tolist())) or g * 2)
        w = v * 3
        w.retain_grad()
        h2 = w.register_hook(lambda g, log=log: log.append(("mid", g.tolist())))
        h3 = w.register_hook(lambda g: g + 1)
        (w * w).sum().backward()
        log.append(("grads", v.grad.tolist(), w.grad.tolist()))
        h.remove()
        h2.remove()
        h3.remove()
        v.grad = None
        (v * 3).sum().backward()
        log.append(("after remove", v.grad.tolist()))
        y = v.exp()
        y.register_hook(lambda g, log=log: log.append(("exp", [round(x, 12) for x in g.tolist()])))
        lib.autograd.grad(y.sum() * 2, v)
        logs.append(log)
    assert logs[0] == logs[1]


def test_register_hook_errors_and_create_graph():
    errs = [_err(lambda lib=lib: lib.ones(2).register_hook(lambda g: g)) for lib in LIBS]
    assert errs[0] == errs[1]
    res = []
    for lib in LIBS:
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        y = x ** 3
        y.register_hook(lambda g, x=x: g * x)  # the replacement depends on x: differentiated too
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        res.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-14)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-14)


# -- printing: next_functions order, _saved_* ---------------------------------------------------

@pytest.mark.parametrize("expr", ["2 * b", "b * 2", "b + 2", "2 + b", "b - 2", "2 / b", "b / 2",
                                  "b * b", "a * b", "b + a", "2.5 * b * 3", "b.mul(2)",
                                  "b.add(3)", "2 - b", "2.0 - b", "2 ** b", "b ** 2", "b.pow(3)",
                                  "b ** 0.5", "b ** b", "b - b", "3 - 2 * b", "-b"])
def test_next_functions_order(expr):
    got = []
    for lib in LIBS:
        a = lib.tensor([0.5, 1.0], requires_grad=True)
        b = lib.sin(a)
        y = eval(expr, {"a": a, "b": b})
        got.append((type(y.grad_fn).__name__, _names(y.grad_fn.next_functions)))
        (y * lib.tensor([0.3, -0.7])).sum().backward()
        got.append(a.grad.tolist())
    assert got[0] == got[2]
    np.testing.assert_allclose(got[1], got[3], rtol=1e-6)


def test_tutorial_next_functions_chain():
    """the autograd tutorial walks grad_fn.next_functions[0][0] down to AccumulateGrad"""
    out = []
    for lib in LIBS:
        a = lib.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
        b = lib.sin(a)
        c = 2 * b
        d = c + 1
        out_ = d.sum()
        names = []
        fn = out_.grad_fn
        while fn is not None and fn.next_functions:
            names.append(type(fn).__name__)
            fn = fn.next_functions[0][0]
        names.append(type(fn).__name__)
        out.append((names, re.sub(r"0x[0-9a-f]+", "?", repr(d.grad_fn.next_functions[0][0]))))
    assert out[0] == out[1]


def test_saved_tensors_of_common_nodes():
    for lib in LIBS:
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a.sin()
        assert b.grad_fn._saved_self is a
        assert (2 * b).grad_fn._saved_self is None
        assert (a * b).grad_fn._saved_other is b and (a * b).grad_fn._saved_self is a
        e = a.exp()
        r = e.grad_fn._saved_result
        assert r is not e and r.tolist() == e.tolist()
        assert type(r.grad_fn).__name__ == "ExpBackward0"
        assert (a ** 3).grad_fn._saved_self is a
        assert (a ** 3).grad_fn._saved_exponent == 3
        e.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            e.grad_fn._saved_result  # noqa: B018


@pytest.mark.parametrize("expr", ["2 - b", "2 ** b", "b ** 3", "b ** 0.5", "1.5 * b"])
def test_scalar_operand_nodes_double_backward(expr):
    res = []
    for lib in LIBS:
        a = lib.tensor([0.5, 1.0, 1.3], dtype=lib.float64, requires_grad=True)
        b = a.sin() + 1
        y = eval(expr, {"b": b})
        (g,) = lib.autograd.grad(y.sum(), a, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), a)
        res.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-13)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-13)


@pytest.mark.parametrize("target", ["lib.DoubleTensor", "'torch.DoubleTensor'", "lib.FloatTensor",
                                    "lib.LongTensor", "lib.float64", "None"])
def test_type_casts_like_torch(target):
    got = []
    for lib in LIBS:
        x = lib.tensor([1.5, 2.0])
        r = x.type(eval(target, {"lib": lib}))
        got.append(r if isinstance(r, str) else repr(r))
    assert got[0] == got[1]


def test_save_load_tensor_and_state_dict_match_torch(tmp_path):
    """torch.save / torch.load round-trip a tensor (requires_grad kept) and a Linear's
    state_dict, as torch's do; the loaded state_dict reloads into a fresh module."""
    import io

    import torch

    import symgrad

    for lib in (torch, symgrad):
        a = lib.tensor([1.5, -2.0], requires_grad=True)
        buf = io.BytesIO()
        lib.save(a, buf)
        buf.seek(0)
        b = lib.load(buf)
        assert b.tolist() == [1.5, -2.0] and b.requires_grad and b.is_leaf
        m = lib.nn.Linear(3, 2)
        lib.save(m.state_dict(), tmp_path / "m.pt")
        d = lib.load(tmp_path / "m.pt")
        assert list(d) == ["weight", "bias"]
        m2 = lib.nn.Linear(3, 2)
        m2.load_state_dict(d)
        assert m2.weight.tolist() == m.weight.tolist()
