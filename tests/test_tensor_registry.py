"""Every registry entry with a torch spec, as the Tensor spells it, against PyTorch.

The Tensor's methods, operators and node names are derived from the entries
(``symgrad/runtime/primitives.py``), so each entry's ``torch.methods`` must be Tensor methods
and each of its node names (``torch.node`` and ``torch.overloads``) must be what PyTorch
prints for the same call. Elementwise entries are called generically from their arity; the
structural ones from ``CALLS``, which must name every such entry, method and overload. Each
call is checked in float64 on random inputs: value, dtype, grad_fn name, the gradient, and
the gradient of the gradient (``create_graph=True``).
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad
from symgrad.rules import registry
from symgrad.runtime.primitives import OPS

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2013)


def _positive(*shape):
    return RNG.uniform(0.2, 0.8, shape)


def _signed(*shape):
    return RNG.uniform(0.2, 0.8, shape) * RNG.choice([-1.0, 1.0], shape)


def _well_conditioned(*shape):
    return _signed(*shape) + shape[-1] * np.eye(shape[-1])


# entry name -> [(the methods it exercises, f(lib, *tensors), input arrays)]
CALLS = {
    "transpose": [(("permute",), lambda t, x: x.permute(2, 0, 1), [_signed(2, 3, 4)]),
                  ((), lambda t, m: m.t(), [_signed(2, 3)]),
                  ((), lambda t, x: x.transpose(0, 2), [_signed(2, 3, 4)])],
    "reshape": [(("reshape",), lambda t, x: x.reshape(6, 4), [_signed(2, 3, 4)]),
                (("view",), lambda t, x: x.view(-1), [_signed(2, 3, 4)]),
                ((), lambda t, m: m.t().reshape(6), [_signed(2, 3)])],
    "ravel": [(("ravel",), lambda t, x: x.ravel(), [_signed(2, 3, 4)]),
              (("ravel",), lambda t, m: m.t().ravel(), [_signed(2, 3)])],
    "flatten": [(("flatten",), lambda t, x: x.flatten(), [_signed(2, 3, 4)]),
                (("flatten",), lambda t, x: x.flatten(1), [_signed(2, 3, 4)])],
    "flip": [(("flip",), lambda t, x: x.flip(0), [_signed(2, 3, 4)]),
             (("flip",), lambda t, x: x.flip((0, -1)), [_signed(2, 3, 4)]),
             (("flip",), lambda t, x: t.flip(x, [1]) * x, [_signed(2, 3, 4)])],
    "rot90": [(("rot90",), lambda t, x: x.rot90(1, (0, 1)), [_signed(2, 3, 4)]),
              (("rot90",), lambda t, x: t.rot90(x, -1, (2, 0)), [_signed(2, 3, 4)]),
              (("rot90",), lambda t, x: t.rot90(x, 2, [1, 2]) * x, [_signed(2, 3, 4)])],
    "fliplr": [(("fliplr",), lambda t, x: x.fliplr() * x, [_signed(3, 4)]),
               (("fliplr",), lambda t, x: t.fliplr(x), [_signed(2, 3, 4)])],
    "flipud": [(("flipud",), lambda t, x: x.flipud() * x, [_signed(3, 4)]),
               (("flipud",), lambda t, x: t.flipud(x), [_signed(4)])],
    "roll": [(("roll",), lambda t, x: x.roll(1, 0) * x, [_signed(3, 4)]),
             (("roll",), lambda t, x: t.roll(x, (1, -2), (0, 2)), [_signed(2, 3, 4)])],
    "moveaxis": [(("moveaxis",), lambda t, x: x.moveaxis(0, -1) * x[0, :, :, None],
                  [_signed(2, 3, 4)]),
                 (("movedim",), lambda t, x: x.movedim((0, 1), (2, 0)), [_signed(2, 3, 4)])],
    "tril": [(("tril",), lambda t, x: x.tril(0) * x, [_signed(3, 4)]),
             (("tril",), lambda t, x: t.tril(x, -1), [_signed(2, 3, 4)])],
    "triu": [(("triu",), lambda t, x: x.triu(1) * x, [_signed(4, 3)]),
             (("triu",), lambda t, x: t.triu(x, -2), [_signed(2, 3, 4)])],
    "diagonal": [(("diagonal",), lambda t, x: x.diagonal(0, 0, 1) ** 2, [_signed(3, 4)]),
                 (("diagonal",), lambda t, x: t.diagonal(x, -1, 2, 0) * x[0, :, :2],
                  [_signed(2, 3, 4)])],
    "trace": [(("trace",), lambda t, x: x.trace() * x, [_signed(3, 4)]),
              (("trace",), lambda t, x: t.trace(x * x), [_signed(4, 3)])],
    "diff": [(("diff",), lambda t, x: x.diff(1, -1) ** 2, [_signed(3, 4)]),
             (("diff",), lambda t, x: t.diff(x * x, 2, 0), [_signed(4, 3)])],
    "repeat": [(("repeat_interleave",), lambda t, x: x.repeat_interleave(2, 1) ** 2,
                [_signed(3, 4)]),
               (("repeat_interleave",), lambda t, x: t.repeat_interleave(x * x, 3, 0),
                [_signed(2, 3)])],
    "tile": [(("tile",), lambda t, x: x.tile((2, 1)) ** 2, [_signed(3, 4)]),
             (("tile",), lambda t, x: t.tile(x * x, (2, 1, 3)), [_signed(2, 3)])],
    "expand_dims": [(("unsqueeze",), lambda t, x: x.unsqueeze(1), [_signed(2, 3)])],
    "squeeze": [(("squeeze",), lambda t, x: x.squeeze(), [_signed(1, 3, 1)]),
                (("squeeze",), lambda t, x: x.squeeze(0), [_signed(1, 3, 1)]),
                (("squeeze",), lambda t, x: x.squeeze((0, 2)), [_signed(1, 3, 1)])],
    "sum": [(("sum",), lambda t, x: x.sum(), [_signed(2, 3, 4)]),
            (("sum",), lambda t, x: x.sum(1), [_signed(2, 3, 4)]),
            (("sum",), lambda t, x: x.sum((0, 2), keepdim=True), [_signed(2, 3, 4)])],
    "mean": [(("mean",), lambda t, x: x.mean(), [_signed(2, 3, 4)]),
             (("mean",), lambda t, x: x.mean(-1), [_signed(2, 3, 4)])],
    "prod": [(("prod",), lambda t, x: x.prod(), [_signed(2, 3)]),
             (("prod",), lambda t, x: x.prod(1), [_signed(2, 3)])],
    "max": [(("max",), lambda t, x: x.max(), [_signed(2, 3)]),
            (("max",), lambda t, x: x.max(1)[0], [_signed(2, 3)])],
    "min": [(("min",), lambda t, x: x.min(), [_signed(2, 3)]),
            (("min",), lambda t, x: x.min(0, keepdim=True).values, [_signed(2, 3)])],
    "var": [(("var",), lambda t, x: x.var(), [_signed(2, 3)]),
            (("var",), lambda t, x: x.var(1, correction=0), [_signed(2, 3)])],
    "std": [(("std",), lambda t, x: x.std(), [_signed(2, 3)]),
            (("std",), lambda t, x: x.std(0, keepdim=True), [_signed(2, 3)])],
    "cumprod": [(("cumprod",), lambda t, x: x.cumprod(1) * x, [_signed(2, 3)]),
                (("cumprod",), lambda t, x: t.cumprod(x, -1), [_signed(4)])],
    "nan_to_num": [(("nan_to_num",), lambda t, x: x.nan_to_num(0.0, None, None) * x, [_signed(2, 3)]),
                   (("nan_to_num",), lambda t, x: t.nan_to_num(x / 0.0, 1.0, 2.0, -3.0),
                    [_signed(4)])],
    "take_along_axis": [
        (("take_along_dim",), lambda t, x: x.take_along_dim(t.tensor([[2, 0], [1, 1]]), dim=1) * 2,
         [_signed(2, 3)]),
        (("take_along_dim",), lambda t, x: t.take_along_dim(x * x, t.tensor([[0], [2]]), -1),
         [_signed(2, 3)])],
    "norm": [(("norm",), lambda t, x: x.norm(), [_signed(3, 4)]),
             (("norm",), lambda t, x: t.norm(x, 3, 1, keepdim=True) * x, [_signed(3, 4)]),
             (("norm",), lambda t, x: x.norm(1, (0, 2)), [_signed(2, 3, 4)])],
    "cumsum": [(("cumsum",), lambda t, x: x.cumsum(1) * x, [_signed(2, 3)]),
               (("cumsum",), lambda t, x: t.cumsum(x, -1), [_signed(4)])],
    "matmul": [(("matmul",), lambda t, a, b: a.matmul(b), [_signed(2, 3), _signed(3, 4)]),
               ((), lambda t, a, b: a @ b, [_signed(2, 3), _signed(3)]),
               ((), lambda t, a, b: a @ b, [_signed(3), _signed(3)]),
               ((), lambda t, a, b: a @ b, [_signed(3), _signed(3, 4)]),
               ((), lambda t, a, b: a @ b, [_signed(2, 2, 3), _signed(3)]),
               ((), lambda t, a, b: a @ b, [_signed(2, 2, 3), _signed(3, 4)]),
               ((), lambda t, a, b: a @ b, [_signed(2, 2, 3), _signed(2, 3, 4)]),
               ((), lambda t, a, b: a @ b, [_signed(2, 3), _signed(2, 3, 4)])],
    "dot": [(("dot",), lambda t, a, b: a.dot(b), [_signed(3), _signed(3)])],
    "inner": [(("inner",), lambda t, a, b: a.inner(b), [_signed(3), _signed(3)]),
              (("inner",), lambda t, a, b: t.inner(a, b), [_signed(2, 3), _signed(4, 3)])],
    "outer": [(("outer",), lambda t, a, b: a.outer(b), [_signed(3), _signed(4)])],
    "getitem": [(("__getitem__",), lambda t, x: x[1], [_signed(3, 4)]),
                (("__getitem__",), lambda t, x: x[:, 1:], [_signed(3, 4)]),
                (("__getitem__",), lambda t, x: x[[0, 2, 2]], [_signed(3, 4)]),
                (("__getitem__",), lambda t, x: x[None], [_signed(3, 4)]),
                (("__getitem__",), lambda t, x: x[...], [_signed(3, 4)])],
    "setitem": [(("__setitem__",), lambda t, x, v: _setitem(x, v), [_signed(3, 4), _signed(4)])],
    "concatenate": [(("cat",), lambda t, a, b: t.cat([a, b], 1), [_signed(2, 3), _signed(2, 2)])],
    "stack": [(("stack",), lambda t, a, b: t.stack([a, b], -1), [_signed(2, 3), _signed(2, 3)])],
    "broadcast_to": [(("broadcast_to",), lambda t, x: x.broadcast_to((2, 3, 4)), [_signed(3, 1)]),
                     (("broadcast_to",), lambda t, x: x.broadcast_to([2, 4]) * 2.0, [_signed(4)])],
    "clip": [(("clamp",), lambda t, x: x.clamp(-0.5, 0.5), [_signed(3, 4)]),
             (("clip",), lambda t, x, lo: x.clip(lo, lo + 0.6), [_signed(3, 4), _signed(4)])],
    "where": [(("where",), lambda t, x, y: x.where(x > y, y * y), [_signed(3, 4), _signed(4)]),
              ((), lambda t, x, y: t.where(x > 0, x, 0.5) * y, [_signed(3, 4), _signed(4)])],
    "logsumexp": [(("logsumexp",), lambda t, x: x.logsumexp(1), [_signed(2, 3, 4)]),
                  (("logsumexp",), lambda t, x: t.logsumexp(x * 30, (0, 2)), [_signed(2, 3, 4)])],
    "softmax": [(("softmax",), lambda t, x: x.softmax(-1), [_signed(2, 3, 4)]),
                (("softmax",), lambda t, x: t.softmax(x * x, 0), [_signed(3, 4)])],
    "log_softmax": [(("log_softmax",), lambda t, x: x.log_softmax(1), [_signed(2, 3, 4)]),
                    (("log_softmax",), lambda t, x: t.log_softmax(x * x, 0), [_signed(3)])],
    "subtract": [((), lambda t, x: 2 - x, [_signed(3)])],
    "inv": [(("inverse",), lambda t, a: a.inverse(), [_well_conditioned(3, 3)]),
            ((), lambda t, a: t.linalg.inv(a * a), [_well_conditioned(2, 3, 3)])],
    "det": [(("det",), lambda t, a: a.det(), [_well_conditioned(3, 3)]),
            ((), lambda t, a: t.linalg.det(a), [_well_conditioned(2, 3, 3)])],
    "solve": [((), lambda t, a, b: t.linalg.solve(a, b), [_well_conditioned(3, 3), _signed(3)]),
              ((), lambda t, a, b: t.linalg.solve(a, b),
               [_well_conditioned(2, 3, 3), _signed(3, 2)])],
    "cholesky": [((), lambda t, a: t.linalg.cholesky(a @ a.mT), [_well_conditioned(3, 3)]),
                 ((), lambda t, a: t.linalg.cholesky(a @ a.mT, upper=True),
                  [_well_conditioned(2, 3, 3)])],
    "pinv": [(("pinverse",), lambda t, a: a.pinverse(), [_signed(3, 4)]),
             ((), lambda t, a: t.linalg.pinv(a), [_signed(2, 4, 3)])],
    "matrix_power": [(("matrix_power",), lambda t, a: a.matrix_power(3), [_signed(3, 3)]),
                     (("matrix_power",), lambda t, a: a.matrix_power(2), [_signed(2, 3, 3)]),
                     (("matrix_power",), lambda t, a: t.matrix_power(a, 1), [_signed(3, 3)]),
                     ((), lambda t, a: t.linalg.matrix_power(a, 0) * a, [_signed(3, 3)]),
                     ((), lambda t, a: t.linalg.matrix_power(a, -1),
                      [_well_conditioned(3, 3)]),
                     ((), lambda t, a: t.linalg.matrix_power(a, -2),
                      [_well_conditioned(2, 3, 3)])],
    "multi_dot": [((), lambda t, a, b, c: t.linalg.multi_dot([a, b, c]),
                   [_signed(2, 3), _signed(3, 4), _signed(4, 2)]),
                  ((), lambda t, a, b: t.linalg.multi_dot([a, b]), [_signed(3), _signed(3, 4)])],
    "kron": [(("kron",), lambda t, a, b: a.kron(b), [_signed(2, 3), _signed(3, 2)]),
             (("kron",), lambda t, a, b: t.kron(a, b), [_signed(3), _signed(2, 2)])],
    "cross": [(("cross",), lambda t, a, b: a.cross(b, dim=-1), [_signed(4, 3), _signed(4, 3)]),
              (("cross",), lambda t, a, b: t.cross(a, b, 0), [_signed(3, 2), _signed(3, 2)]),
              ((), lambda t, a, b: t.linalg.cross(a, b), [_signed(2, 3), _signed(1, 3)])],
    "power": [((), lambda t, x: 2 ** x, [_signed(3)])],
}


def _setitem(x, v):
    y = x * 1
    y[1] = v * v
    return y


def _elementwise_calls(op):
    """Each method of an elementwise entry, on a Tensor second operand and (where torch takes
    one) a number."""
    if op.arity == 1:
        with np.errstate(all="ignore"):
            unary = _signed if np.isfinite(op.forward(np.array(-0.5))) else _positive
        return [((m,), lambda t, x, m=m: getattr(x, m)(), [unary(3, 4)]) for m in op.methods]
    calls = []
    for m in op.methods:
        calls.append(((m,), lambda t, x, y, m=m: getattr(x, m)(y),
                      [RNG.uniform(0.5, 2.0, (3, 4)), RNG.uniform(0.5, 2.0, (4,))]))
        calls.append(((m,), lambda t, x, m=m: getattr(x, m)(1.7), [RNG.uniform(0.5, 2.0, (3,))]))
    return calls


def _all_calls():
    out = []
    for op in OPS.values():
        generic = op.elementwise and op.arity <= 2
        calls = (_elementwise_calls(op) if generic else []) + CALLS.get(op.name, [])
        out += [(op.name, i, c) for i, c in enumerate(calls)]
    return out


ALL = _all_calls()


def _torch_accepts(f, arrays):
    try:
        f(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    except TypeError:
        return False
    return True


def _np(t):
    return t.detach().numpy(force=True)


def _run(lib, f, arrays, weights):
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    y = f(lib, *xs)
    gs = lib.autograd.grad(y, xs, lib.tensor(weights[0]), create_graph=True, allow_unused=True)
    z = sum(((g * lib.tensor(w)).sum() for g, w in zip(gs, weights[1:], strict=True)
             if g is not None and g.requires_grad), lib.tensor(0.0, dtype=lib.float64))
    hs = lib.autograd.grad(z, xs, allow_unused=True) if z.requires_grad else [None] * len(xs)
    zeros = [np.zeros(np.shape(a)) for a in arrays]
    return (y, [_np(g) if g is not None else z0 for g, z0 in zip(gs, zeros, strict=True)],
            [_np(h) if h is not None else z0 for h, z0 in zip(hs, zeros, strict=True)])


@pytest.mark.parametrize("name,i,call", ALL, ids=[f"{n}-{i}" for n, i, _ in ALL])
def test_entry_matches_torch(name, i, call):
    _, f, arrays = call
    if not _torch_accepts(f, arrays):
        pytest.skip("torch takes no number here")
    out_shape = tuple(f(torch, *[torch.tensor(a) for a in arrays]).shape)
    weights = [RNG.uniform(-1, 1, out_shape)] + [RNG.uniform(-1, 1, np.shape(a)) for a in arrays]
    (ty, tg, th), (sy, sg, sh) = (_run(lib, f, arrays, weights) for lib in (torch, symgrad))
    assert type(sy.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert str(sy.dtype) == str(ty.dtype) and tuple(sy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(_np(sy), _np(ty), rtol=1e-12, atol=1e-14)
    for s, t in zip(sg, tg, strict=True):
        np.testing.assert_allclose(s, t, rtol=1e-10, atol=1e-12)
    rtol = _SECOND_ORDER_RTOL.get(name, 1e-10)
    for s, t in zip(sh, th, strict=True):
        np.testing.assert_allclose(s, t, rtol=rtol, atol=1e-12)


# torch's own second derivatives that are less accurate than 1e-10: lgamma's is trigamma,
# which torch computes to about 1e-9 (symgrad's matches scipy.special.polygamma(1, x) to
# 1e-14: tests/test_scipy_special.py)
_SECOND_ORDER_RTOL = {"lgamma": 1e-8}


def test_every_entry_with_a_torch_spec_is_a_tensor_method_and_covered():
    """Each torch method of each entry is a Tensor (or symgrad) function, is called above,
    and each of the entry's node names is printed by some call above (in torch too)."""
    for e in registry.entries():
        if e.torch is None:
            continue
        calls = [c for n, _, c in ALL if n == e.name]
        called = {m for methods, _, _ in calls for m in methods}
        for m in e.torch.methods:
            assert callable(getattr(symgrad.Tensor, m, None) or getattr(symgrad, m)), (e.name, m)
            assert callable(getattr(torch.Tensor, m, None) or getattr(torch, m)), (e.name, m)
            assert m in called, (e.name, m)
        names = set()
        for _, f, arrays in calls:
            if _torch_accepts(f, arrays):
                y = f(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
                names |= {type(y.grad_fn).__name__} | _node_names(y.grad_fn)
        for node in [e.torch.node, *e.torch.overloads.values()]:
            assert node in names, (e.name, node)


def _node_names(fn, depth=3):
    if fn is None or depth == 0:
        return set()
    out = {type(fn).__name__}
    for nxt, _ in fn.next_functions:
        out |= _node_names(nxt, depth - 1)
    return out


def test_function_forms_are_the_methods():
    x = symgrad.tensor(_signed(2, 3), requires_grad=True)
    assert symgrad.asinh(x).grad_fn.name() == x.arcsinh().grad_fn.name() == "AsinhBackward0"
    np.testing.assert_array_equal(_np(symgrad.flip(x, (1,))), _np(x)[:, ::-1])
    assert symgrad.remainder(x, 0.3).grad_fn.name() == "RemainderBackward0"
    assert symgrad.where is symgrad.runtime.arithmetic.where  # torch.where(c, x, y), not x.where


def test_flip_copies_and_needs_dims():
    for lib in (torch, symgrad):
        x = lib.tensor([1.0, 2.0, 3.0])
        y = x.flip(0)
        y[0] = 10.0
        assert x.tolist() == [1.0, 2.0, 3.0]
        with pytest.raises(TypeError):
            x.flip()
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times"):
        symgrad.ones(2, 3).flip((0, -2))


def test_numpy_functions_run_their_entries_on_tensors():
    """np.flip / np.sum / np.reshape on Tensors record their entries' nodes with numpy's
    semantics, and differentiate twice (the vjps the rules print call them on Tensors)."""
    a = _signed(2, 3, 4)
    x = symgrad.tensor(a, requires_grad=True)
    assert np.flip(x, 0).grad_fn.name() == "FlipBackward0"
    assert np.sum(x).grad_fn.name() == "SumBackward0"
    assert np.sum(x, axis=(0, 2)).grad_fn.name() == "SumBackward1"
    f = np.reshape(x, (4, 6), order="F")
    np.testing.assert_array_equal(_np(f), np.reshape(a, (4, 6), order="F"))
    g, = symgrad.autograd.grad((f * f).sum(), x, create_graph=True)
    np.testing.assert_allclose(_np(g), 2 * a)
    y = np.arcsinh(np.flip(x, (0, 2))) * np.cumsum(x, axis=1)
    t = torch.tensor(a, requires_grad=True)
    ty = torch.arcsinh(torch.flip(t, (0, 2))) * torch.cumsum(t, 1)
    w = _signed(2, 3, 4)
    results = []
    for lib, leaf, out in ((symgrad, x, y), (torch, t, ty)):
        gr, = lib.autograd.grad(out, leaf, lib.tensor(w), create_graph=True)
        h, = lib.autograd.grad((gr * gr).sum(), leaf)
        results.append((_np(gr), _np(h)))
    (sg, sh), (tg, th) = results
    np.testing.assert_allclose(sg, tg, rtol=1e-12)
    np.testing.assert_allclose(sh, th, rtol=1e-10)


def test_integer_tensors_promote_like_torch():
    for f in (lambda t, x: x.asinh(), lambda t, x: x.sigmoid(), lambda t, x: x.atan2(x),
              lambda t, x: x.reciprocal(), lambda t, x: x.square(), lambda t, x: x.relu(),
              lambda t, x: x % 2, lambda t, x: x.log2(), lambda t, x: x.cumsum(0),
              lambda t, x: x.abs(), lambda t, x: x / 2, lambda t, x: x.flip(0)):
        s, t = (f(lib, lib.tensor([1, 2, 3])) for lib in (symgrad, torch))
        assert str(s.dtype) == str(t.dtype)
        np.testing.assert_allclose(_np(s), _np(t), rtol=1e-6)
