"""symgrad's runtime Tensor without PyTorch: creation, autograd state, backward, grad modes,
in-place semantics, custom nodes, and gradients checked by central differences in float64."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import symgrad as torch
from symgrad.runtime import function

# --- creation and dtypes ----------------------------------------------------------------------


def test_creation_dtypes_and_defaults():
    assert torch.get_default_dtype() is torch.float32
    assert torch.float is torch.float32 and torch.double is torch.float64 and torch.long is torch.int64
    assert repr(torch.float32) == "torch.float32"
    assert torch.ones(2, 3).dtype is torch.float32
    assert torch.ones((2, 3)).shape == (2, 3)
    assert repr(torch.zeros(2, 2).shape) == "torch.Size([2, 2])"
    assert torch.tensor([1, 2]).dtype is torch.int64
    assert torch.tensor([1.0, 2]).dtype is torch.float32
    assert torch.tensor(True).dtype is torch.bool
    assert torch.tensor([1.0], dtype=torch.double).dtype is torch.float64
    assert torch.arange(4).tolist() == [0, 1, 2, 3]
    assert torch.arange(0, 1, 0.25).dtype is torch.float32
    assert torch.randn(3, 2).shape == (3, 2) and torch.rand(4).dtype is torch.float32
    assert torch.ones_like(torch.zeros(2, dtype=torch.float64)).dtype is torch.float64
    assert torch.zeros_like(torch.ones(3)).tolist() == [0.0, 0.0, 0.0]
    x = torch.ones(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3 and x.dim() == 2
    assert torch.tensor(2.5).item() == 2.5
    assert torch.tensor([[1, 2]]).tolist() == [[1, 2]]


def test_manual_seed_is_reproducible():
    torch.manual_seed(3)
    a = torch.randn(3).tolist()
    torch.manual_seed(3)
    assert torch.randn(3).tolist() == a


def test_from_numpy_and_numpy_share_memory():
    arr = np.ones(3, dtype=np.float32)
    t = torch.from_numpy(arr)
    arr[0] = 5
    assert t[0].item() == 5
    t.numpy()[1] = 7
    assert arr[1] == 7
    assert torch.from_numpy(np.ones(2)).dtype is torch.float64


# --- autograd state ---------------------------------------------------------------------------


def test_leaf_state_and_grad_fn_repr():
    x = torch.ones(2, 2, requires_grad=True)
    assert x.is_leaf and x.grad_fn is None and x.grad is None and x.requires_grad
    y = x + 2
    assert not y.is_leaf and y.requires_grad
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert y.grad_fn.name() == "AddBackward0"
    assert type(y.grad_fn).__name__ == "AddBackward0"
    assert y.grad_fn.next_functions[0][0].variable is x
    assert repr(y) == "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    a = torch.ones(2)
    assert not a.requires_grad
    a.requires_grad = True
    assert a.requires_grad
    assert a.requires_grad_(False) is a and not a.requires_grad


def test_node_names_of_common_ops():
    x = torch.ones(2, 2, requires_grad=True)
    v = torch.ones(2, requires_grad=True)
    names = {
        "SubBackward0": x - 1,
        "RsubBackward1": 1 - x,
        "MulBackward0": x * 2,
        "DivBackward0": x / 2,
        "PowBackward0": x**2,
        "PowBackward1": x**x,
        "MeanBackward0": x.mean(),
        "MeanBackward1": x.mean(0),
        "SumBackward0": x.sum(),
        "SumBackward1": x.sum(1),
        "ViewBackward0": x.view(4),
        "MmBackward0": x @ x,
        "MvBackward0": x @ v,
        "DotBackward0": v @ v,
        "ExpBackward0": torch.exp(x),
        "SelectBackward0": x[0],
        "SliceBackward0": x[:1],
        "TBackward0": x.t(),
        "MaxBackward1": x.max(),
        "WhereBackward0": torch.where(x > 0, x, x * 2),
    }
    for name, t in names.items():
        assert type(t.grad_fn).__name__ == name


def test_data_is_an_untracked_view():
    x = torch.ones(1, requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    y = 2 * x
    x.data *= 100
    y.backward()
    assert x.tolist() == [100.0]
    assert x.grad.tolist() == [2.0]


def test_detach_shares_memory_and_detach_():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 5
    assert y[0].item() == 5
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


# --- backward ---------------------------------------------------------------------------------


def test_backward_accumulates_and_zeroes_in_place():
    x = torch.ones(2, 2, requires_grad=True)
    out = (3 * (x + 2) ** 2).mean()
    out.backward()
    assert x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]
    g = x.grad
    x.sum().backward()
    assert g is x.grad and g.tolist() == [[5.5, 5.5], [5.5, 5.5]]
    x.grad.data.zero_()
    x.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_backward_with_gradient_and_retain_graph():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    z = (2 * x * x).view(2, 2)
    z.backward(torch.tensor([[1.0, 0.1], [0.01, 0.001]]), retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 0.8, 0.12, 0.016], rtol=1e-6)
    z.backward(torch.ones(2, 2))  # retained: a second walk is allowed
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.backward(torch.ones(2, 2))


def test_graph_without_saved_values_can_be_walked_again():
    x = torch.ones(2, 2, requires_grad=True)
    out = (x + 1).sum()
    out.backward()
    out.backward()
    assert x.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_backward_errors():
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar outputs$"):
        (torch.ones(2, requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and does not have a grad_fn$"):
        torch.ones(2).sum().backward()


def test_element_backward_through_indexing():
    x = torch.ones(3, 3, requires_grad=True)
    z = (x**2 + 1) * x**2
    z[0][0].backward()
    assert x.grad.tolist() == [[6.0, 0, 0], [0, 0, 0], [0, 0, 0]]
    with pytest.raises(RuntimeError, match="second time"):
        z[0][0].backward()


def test_nonleaf_grad_is_none_with_warning_and_retain_grad():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    q = x * 2
    q.retain_grad()
    (y * q).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert q.grad.tolist() == [3.0, 3.0]


def test_autograd_grad_and_second_derivative():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.tolist() == [3.0, 12.0]
    (h,) = torch.autograd.grad(g.sum(), x)
    assert h.tolist() == [6.0, 12.0]
    assert x.grad is None  # autograd.grad never touches .grad
    w = torch.ones(2, requires_grad=True)
    (gw,) = torch.autograd.grad(x * w, [w], grad_outputs=torch.tensor([1.0, 10.0]))
    assert gw.tolist() == [1.0, 20.0]
    (none,) = torch.autograd.grad((x * 2).sum(), [torch.ones(1, requires_grad=True)], allow_unused=True)
    assert none is None


# --- grad modes -------------------------------------------------------------------------------


def test_no_grad_context_and_decorators():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            z = x * 2
    assert torch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @torch.no_grad()
    def f(t):
        return t * 2

    @torch.no_grad
    def f2(t):
        return t * 2

    assert not f(x).requires_grad and not f2(x).requires_grad
    assert torch.is_grad_enabled()


def test_set_grad_enabled_function_context_decorator():
    x = torch.ones(2, requires_grad=True)
    torch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()

    @torch.set_grad_enabled(False)
    def f():
        return x * 2

    assert torch.is_grad_enabled()
    assert not f().requires_grad
    assert torch.is_grad_enabled()


def test_no_grad_decorates_generators():
    x = torch.ones(1, requires_grad=True)

    @torch.no_grad()
    def gen():
        yield x * 2
        yield x * 3

    assert [t.requires_grad for t in gen()] == [False, False]


def test_symgrad_no_grad_is_the_runtime_one():
    from symgrad.runtime.grad_mode import no_grad

    assert torch.no_grad is no_grad


# --- in-place ---------------------------------------------------------------------------------


def test_inplace_on_leaf_raises_and_on_nonleaf_records():
    x = torch.ones(2, requires_grad=True)
    for op in ("add_", "sub_", "mul_", "div_"):
        with pytest.raises(RuntimeError, match=r"^a leaf Variable that requires grad is being used in an in-place operation\.$"):
            getattr(x, op)(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.zero_()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.fill_(1)
    y = x * 3
    y.add_(1).mul_(x).sub_(2).div_(2)  # ((3x + 1) * x - 2) / 2
    assert type(y.grad_fn).__name__ == "DivBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.5, 3.5]  # (6x + 1) / 2 at x = 1
    with torch.no_grad():
        x.add_(1)  # allowed without grad recording
    assert x.tolist() == [2.0, 2.0]


def test_zero_and_fill_block_gradient():
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    y.zero_()
    assert type(y.grad_fn).__name__ == "ZeroBackward0"
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x.grad = None
    y = x * 3
    y.fill_(4)
    assert type(y.grad_fn).__name__ == "FillBackward2" and y.tolist() == [4.0, 4.0]
    (y * x).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_setitem_routes_gradients():
    x = torch.ones(3, requires_grad=True)
    v = torch.tensor(5.0, requires_grad=True)
    y = x * 2
    y[1] = v * v
    assert type(y.grad_fn).__name__ == "CopySlices"
    (y * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 200.0]
    assert v.grad.item() == 100.0
    plain = torch.zeros(3)
    plain[0] = 1.0
    assert plain.tolist() == [1.0, 0.0, 0.0]


def test_inplace_through_a_view_of_a_nonleaf():
    x = torch.ones(2, 2, requires_grad=True)
    y = x * 1
    y[0].mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0], [1.0, 1.0]]


def test_modifying_a_saved_tensor_is_detected():
    x = torch.ones(2, requires_grad=True)
    y = x.exp()
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# --- conversions and numpy --------------------------------------------------------------------


def test_item_numpy_tolist_and_errors():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        x.item()
    assert x.sum().item() == 2.0 and float(x.sum()) == 2.0


def test_numpy_functions_dispatch_to_tensor_ops():
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    y = np.exp(x)
    assert type(y) is torch.Tensor and type(y.grad_fn).__name__ == "ExpBackward0"
    np.sum(y * np.sin(x)).backward()
    e, s, c = np.exp([0.5, 1.0]), np.sin([0.5, 1.0]), np.cos([0.5, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), e * s + e * c, rtol=1e-6)


# --- finite differences (float64) -------------------------------------------------------------

FD_CASES = {
    "poly": lambda t, x: ((x + 2) * x * 3 - x / 4).sum(),
    "transcendental": lambda t, x: (t.exp(x) * t.sin(x) + t.log(x) * t.cos(x) + t.sqrt(x)).sum(),
    "tanh_sigmoid_relu": lambda t, x: (t.tanh(x) + t.sigmoid(x) * t.relu(x - 1)).sum(),
    "pow": lambda t, x: (x**x + 2**x + x**2.5).sum(),
    "reductions": lambda t, x: x.view(2, 3).sum(0).max() + x.view(2, 3).mean(1).min(),
    "matmul": lambda t, x: (x.view(2, 3) @ x.view(3, 2)).abs().sum(),
    "indexing": lambda t, x: x.view(2, 3)[1, 1:].sum() * x[0] + x.view(2, 3).t()[2][0],
    "where": lambda t, x: t.where(x > 1.2, x * x, -x).sum(),
    "transpose_reshape": lambda t, x: (x.view(2, 3).transpose(0, 1).reshape(6) * t.arange(6.0)).sum(),
}


@pytest.mark.parametrize("name", sorted(FD_CASES))
def test_gradient_matches_central_differences(name):
    f = FD_CASES[name]
    x0 = np.array([0.3, 0.7, 1.1, 1.6, 2.3, 0.9])
    x = torch.tensor(x0, requires_grad=True)
    f(torch, x).backward()
    eps = 1e-6
    fd = np.empty_like(x0)
    for i in range(x0.size):
        e = np.zeros_like(x0)
        e[i] = eps
        fd[i] = (f(torch, torch.tensor(x0 + e)).item() - f(torch, torch.tensor(x0 - e)).item()) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-6, atol=1e-8)


# --- custom nodes -----------------------------------------------------------------------------


def test_function_apply_records_one_node():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = function.apply("Square", lambda a: a * a, lambda g, a: (2 * g * a,), x)
    assert re.fullmatch(r"<SquareBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert repr(y) == "tensor([1., 4.], grad_fn=<SquareBackward>)"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_function_apply_constants_broadcast_multi_output_and_no_grad():
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    y, z = function.apply(
        "Pair",
        lambda a, k: (a * k, a.sum()),
        lambda gs, a, k: (gs[0] * k + gs[1], None),
        x,
        3.0,
    )
    assert y.grad_fn is z.grad_fn and z.requires_grad
    y.sum().backward()  # z gets no gradient: it counts as zeros
    assert x.grad.tolist() == [[3.0, 3.0]]
    with torch.no_grad():
        w = function.apply("Square", lambda a: a * a, lambda g, a: (2 * g * a,), x)
    assert w.grad_fn is None and not w.requires_grad
    assert function.apply("Square", lambda a: a * a, None, torch.ones(2)).grad_fn is None
    b = torch.ones(3, requires_grad=True)  # a broadcast-shaped gradient is summed back
    s = function.apply("Scale", lambda a: a * 2, lambda g, a: (np.ones((4, 3)) * g,), b)
    s.sum().backward()
    assert b.grad.tolist() == [4.0, 4.0, 4.0]


def test_function_apply_create_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = function.apply("Cube", lambda a: a**3, lambda g, a: (3 * g * a**2,), x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    assert h.tolist() == [6.0, 12.0]


# --- import cost ------------------------------------------------------------------------------


def test_runtime_backward_does_not_import_sympy_after_first_use():
    code = (
        "import sys, symgrad as t\n"
        "assert 'sympy' not in sys.modules, 'import symgrad imported sympy'\n"
        "x = t.ones(2, requires_grad=True)\n"
        "y = (x * 2).sum(); print(y)\n"
        "assert 'sympy' not in sys.modules, 'forward imported sympy'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=".")
    assert r.returncode == 0, r.stderr


def test_inplace_change_of_a_value_read_through_a_shared_subexpression_is_caught():
    # max's generated vjp reads x0 only through a common-subexpression temporary
    a = torch.tensor([1.0, 3.0, 2.0], requires_grad=True)
    b = a * 1
    m = b.max()
    b.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        m.backward()
