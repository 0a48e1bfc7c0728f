"""torch.autograd.graph.saved_tensors_hooks (and save_on_cpu, disable_saved_tensors_hooks),
symgrad against torch 2.13: what is packed, in which order, what unpack gives back, the
errors, and that the gradients use the unpacked values."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")
LIBS = [symgrad, torch]


def _np(t):
    return t.detach().numpy()


def symgrad_or_torch(t):
    return symgrad if type(t) is symgrad.Tensor else torch


def test_tutorial_pack_unpack_prints_what_torch_prints():
    logs = []
    for lib in LIBS:
        log = []
        a = lib.ones(5, requires_grad=True)
        b = lib.ones(5, requires_grad=True) * 2

        def pack(x, log=log):
            log.append(f"Packing {x}")
            return x

        def unpack(x, log=log):
            log.append(f"Unpacking {x}")
            return x

        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a * b
        log.append("forward done")
        y.sum().backward()
        log.append(str(a.grad))
        logs.append(log)
    assert logs[0] == logs[1]


EXPRS = {
    "mul": lambda x, y: x * y,
    "mul_const": lambda x, y: x * 3.0,
    "sin": lambda x, y: x.sin(),
    "exp": lambda x, y: x.exp(),
    "tanh": lambda x, y: x.tanh(),
    "add": lambda x, y: x + y,
    "sum": lambda x, y: (x + 1).sum(),
    "dot": lambda x, y: x @ y,
    "pow_scalar": lambda x, y: x.pow(2),
    "div": lambda x, y: x / y,
    "chain": lambda x, y: (x + 1).sin().exp().sum(),
    "relu_count": lambda x, y: x.relu(),
    "mm": lambda x, y: symgrad_or_torch(x).stack([x, y]) @ symgrad_or_torch(x).stack([y, x, x], 1),
    "mv": lambda x, y: (x[:, None] * y) @ y,
    "pow_tensor": lambda x, y: (x * 2).pow(y.sum()),
    "sigmoid_count": lambda x, y: x.sigmoid(),
    "log": lambda x, y: (x * x).log(),
}


@pytest.mark.parametrize("name", sorted(EXPRS))
def test_what_each_node_packs(name):
    """The tensors packed (shape, grad_fn's class, requires_grad) and their order."""
    seen = []
    for lib in LIBS:
        log = []

        def pack(t, log=log):
            log.append((tuple(t.shape), None if t.grad_fn is None else type(t.grad_fn).__name__))
            return t

        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = EXPRS[name](x, y)
        out.sum().backward()
        seen.append(len(log) if name.endswith("_count") else log)
    assert seen[0] == seen[1]


@pytest.mark.parametrize("name", sorted(n for n in set(EXPRS) - {"add", "sum", "mul_const"}
                                         if not n.endswith("_count")))
def test_the_gradient_reads_the_unpacked_values(name):
    """pack x -> 4x, unpack -> /2: the backward sees 2x, as torch's does."""
    grads = []
    for lib in LIBS:
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([1.5, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 4, lambda t: t / 2):
            out = EXPRS[name](x, y)
        out.sum().backward()
        grads.append((_np(x.grad), _np(y.grad) if y.grad is not None else None))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-13)
    if grads[1][1] is not None:
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-13)


def test_identity_hooks_leave_gradients_unchanged_and_store_can_be_external():
    """Hooks that keep the values elsewhere (a dict, as the tutorial's disk example)."""
    store = {}

    def pack(t):
        key = len(store)
        store[key] = t.detach().clone()
        return key

    x = symgrad.tensor([0.3, -0.7, 1.1], dtype=symgrad.float64, requires_grad=True)
    with symgrad.autograd.graph.saved_tensors_hooks(pack, store.__getitem__):
        y = (x.sin() * x.exp()).tanh().sum()
    y.backward()
    got = _np(x.grad)
    x.grad = None
    (x.sin() * x.exp()).tanh().sum().backward()
    np.testing.assert_array_equal(got, _np(x.grad))
    assert len(store) == 5  # sin: x; mul: exp(x), sin(x); exp: its result; tanh: its result


@pytest.mark.parametrize("bad", [None, 1])
def test_unpack_must_return_a_tensor(bad):
    msgs = []
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: bad):
            y = x.exp()
        with pytest.raises(TypeError) as info:
            y.sum().backward()
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_a_pack_hook_may_not_modify_its_input():
    msgs = []
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)

        def pack(t):
            t.mul_(2)
            return t

        with pytest.raises(RuntimeError) as info:
            with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                (x * 1).sin()
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


def test_grad_mode_in_hooks_and_saved_fields_are_unpacked():
    """pack: grad mode off; unpack: the current mode for ``_saved_self``, off in backward."""
    seen = []
    for lib in LIBS:
        modes = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)

        def pack(t, modes=modes, lib=lib):
            modes.append(lib.is_grad_enabled())
            return t

        def unpack(t, modes=modes, lib=lib):
            modes.append(lib.is_grad_enabled())
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = x.sin()
        saved = y.grad_fn._saved_self
        assert saved is not x and saved.equal(x) and saved.grad_fn is None
        assert saved.requires_grad
        y.sum().backward()
        seen.append(modes)
    assert seen[0] == seen[1] == [False, True, False]


def test_a_modified_original_is_not_version_checked_when_hooks_kept_a_copy():
    grads = []
    for lib in LIBS:
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
            y = x * 1.0
            z = y.sin()
        with lib.no_grad():
            y.mul_(2)
        z.sum().backward()
        grads.append(_np(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-14)


def test_double_backward_through_unpacked_tensors():
    out = []
    for lib in LIBS:
        x = lib.tensor([0.5, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 3, lambda t: t / 3):
            y = (x.sin() * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        out.append((_np(g), _np(x.grad)))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-13)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-13)


def test_custom_function_saved_tensors_are_packed_at_apply_and_unpacked_at_read():
    logs = []
    for lib in LIBS:
        log = []

        class Exp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, i):
                r = i.exp()
                ctx.save_for_backward(i, r)
                return r

            @staticmethod
            def backward(ctx, g, log=log):
                log.append("backward")
                i, r = ctx.saved_tensors
                return g * r

        def pack(t, log=log):
            log.append(("pack", t.grad_fn is None, t.requires_grad))
            return t

        def unpack(t, log=log):
            log.append("unpack")
            return t

        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            r = Exp.apply(x)
            Exp.apply(x.detach())  # nothing recorded: nothing packed
        r.sum().backward()
        log.append(tuple(_np(x.grad)))
        logs.append(log)
    assert logs[0] == logs[1]


def test_save_on_cpu_and_disable():
    grads, msgs = [], []
    for lib in LIBS:
        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.save_on_cpu(pin_memory=False):
            y = (x.exp() * x).sum()
        y.backward()
        grads.append(_np(x.grad))
        with lib.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError) as info:
                with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        msgs.append(str(info.value))
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass  # allowed again after the disabling context
    np.testing.assert_array_equal(grads[0], grads[1])
    assert msgs == ["no hooks here"] * 2


def test_innermost_hooks_apply_and_nothing_outside():
    for lib in LIBS:
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t, log=log: log.append("outer") or t,
                                                    lambda t: t):
            with lib.autograd.graph.saved_tensors_hooks(lambda t, log=log: log.append("inner") or t,
                                                        lambda t: t):
                x.sin()
            x.cos()
        x.exp()
        assert log == ["inner", "outer"]


INPLACE = {
    "sin_": lambda y: y.sin_(),
    "exp_": lambda y: y.exp_(),
    "mul_then_add": lambda y: y.mul_(2.0).add_(y),
    "view": lambda y: y[1:].mul_(y[:2].detach() + 1.0),
    "pow_": lambda y: y.pow_(3),
}


@pytest.mark.parametrize("hooks", ["identity", "detach", "scaled"])
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_ops_pack_the_value_before_the_write(name, hooks):
    """What a pack hook receives from an in-place op is the value before the write (torch's
    original self), even when the hook keeps it as it is or as a view of it."""
    pack, unpack = {"identity": (lambda t: t, lambda t: t),
                    "detach": (lambda t: t.detach(), lambda t: t),
                    "scaled": (lambda t: t * 2, lambda t: t / 2)}[hooks]
    out = []
    for lib in LIBS:
        log = []
        x = lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64, requires_grad=True)

        def logged(t, log=log):
            log.append(t.detach().clone().numpy().tolist())
            return pack(t)

        with lib.autograd.graph.saved_tensors_hooks(logged, unpack):
            y = x * 1.5
            INPLACE[name](y)
            loss = (y * y).sum()
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        g.sum().backward()
        out.append((log, g.detach().numpy(), x.grad.numpy()))
    assert out[0][0] == out[1][0]
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-13)
    np.testing.assert_allclose(out[0][2], out[1][2], rtol=1e-13)


def test_an_in_place_op_reading_its_own_target_raises_as_without_hooks():
    """``y.mul_(y)`` saves ``y`` as ``other`` and overwrites it: without hooks torch (and
    symgrad) raise at backward; with hooks torch reads the overwritten value and returns a
    wrong gradient. symgrad raises the in-place error (never a wrong gradient)."""
    x = symgrad.tensor([0.5, 1.0, 2.0], dtype=symgrad.float64, requires_grad=True)
    with symgrad.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x * 1.5
        y.mul_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
