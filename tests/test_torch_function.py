"""torch.autograd.Function, gradcheck and gradgradcheck: symgrad against torch, and the
custom backward's gradients against central differences."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)


def _addr(s):
    return re.sub(r"0x[0-9a-f]+", "0x?", str(s))


def _functions(lib):
    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class ScaledExp(lib.autograd.Function):
        """two outputs, a non-tensor argument, a saved output, a non-differentiable output"""

        @staticmethod
        def forward(ctx, x, k):
            e = (x * k).exp()
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(e)
            ctx.k = k
            ctx.seen = ctx.needs_input_grad
            return e, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (e,) = ctx.saved_tensors
            return g * ctx.k * e, None

    class MulAdd(lib.autograd.Function):
        """the setup_context style; two tensor inputs"""

        @staticmethod
        def forward(x, y):
            return x * y + x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * (y + 1), g * x

    return LegendrePolynomial3, ScaledExp, MulAdd


def test_legendre_tutorial_loop_matches_torch():
    """PyTorch's polynomial-fit tutorial with a custom Function (float64, 300 steps)."""
    def run(lib):
        P3 = _functions(lib)[0].apply
        x = lib.linspace(-math.pi, math.pi, 200, dtype=lib.float64)
        y = lib.sin(x)
        a, b, c, d = (lib.full((), v, dtype=lib.float64, requires_grad=True)
                      for v in (0.0, -1.0, 0.0, 0.3))
        for _ in range(300):
            loss = (a + b * P3(c + d * x) - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        return [p.item() for p in (a, b, c, d)], loss.item(), _addr(P3(c + d * x).grad_fn)

    (ps, ls, ns), (pt, lt, nt) = run(symgrad), run(torch)
    np.testing.assert_allclose(ps, pt, rtol=1e-10, atol=1e-12)
    assert ls == pytest.approx(lt, rel=1e-10)
    assert ns == nt  # <torch.autograd.function.LegendrePolynomial3Backward object at 0x?>


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_custom_backward_values_and_double_backward(shape):
    x = RNG.uniform(-1, 1, shape)
    res = []
    for lib in (symgrad, torch):
        P3 = _functions(lib)[0]
        t = lib.tensor(x, requires_grad=True)
        y = P3.apply(t)
        assert type(y.grad_fn).__name__ == "LegendrePolynomial3Backward"
        (g,) = lib.autograd.grad(y.sum(), t, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), t)
        res.append((y.detach().numpy(), g.detach().numpy(), h.numpy()))
    for a, b in zip(*res, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    # and against central differences of the forward (first and second derivative)
    np.testing.assert_allclose(res[0][1], numeric_grad(lambda v: 0.5 * (5 * v ** 3 - 3 * v),
                                                       [x], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res[0][2], numeric_grad(lambda v: 1.5 * (5 * v ** 2 - 1),
                                                       [x], 0), rtol=1e-6, atol=1e-8)


def test_two_outputs_non_tensor_arg_non_differentiable():
    x = RNG.uniform(-1, 1, (4,))
    res = []
    for lib in (symgrad, torch):
        ScaledExp = _functions(lib)[1]
        t = lib.tensor(x, requires_grad=True)
        e, idx = ScaledExp.apply(t, 2.0)
        assert not idx.requires_grad and e.requires_grad
        assert e.grad_fn.seen == (True, False)
        (e * lib.tensor(x)).sum().backward()
        res.append((e.detach().numpy(), idx.item(), t.grad.numpy()))
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            e.sum().backward()
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-14)
    assert res[0][1] == res[1][1]
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-14)


def test_setup_context_style_and_grad_mode_off():
    x, y = RNG.uniform(-1, 1, (2, 2)), RNG.uniform(-1, 1, (2, 2))
    res = []
    for lib in (symgrad, torch):
        MulAdd = _functions(lib)[2]
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = MulAdd.apply(a, b)
        out.sum().backward()
        res.append((out.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
        with lib.no_grad():
            assert MulAdd.apply(a, b).grad_fn is None
        assert MulAdd.apply(lib.tensor(x), lib.tensor(y)).requires_grad is False
    for u, v in zip(*res, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-14)


def test_errors_match_torch():
    msgs = []
    for lib in (symgrad, torch):
        class WrongCount(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, g

        class Saves(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x

        t = lib.tensor([1.0, 2.0], requires_grad=True)
        got = []
        with pytest.raises(RuntimeError) as e1:
            WrongCount.apply(t).sum().backward()
        got.append(str(e1.value))
        u = t * 1
        out = Saves.apply(u)
        u.add_(1)
        with pytest.raises(RuntimeError) as e2:
            out.sum().backward()
        got.append(str(e2.value))
        msgs.append(got)
    assert msgs[0] == msgs[1]


def test_gradcheck_and_gradgradcheck():
    x = symgrad.tensor(RNG.uniform(-1, 1, (3,)), requires_grad=True)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    for lib, t in ((symgrad, x), (torch, xt)):
        P3, ScaledExp, MulAdd = _functions(lib)
        assert lib.autograd.gradcheck(P3.apply, (t,))
        assert lib.autograd.gradgradcheck(P3.apply, (t,))
        assert lib.autograd.gradcheck(lambda v, f=ScaledExp: f.apply(v, 0.5)[0], (t,))
        assert lib.autograd.gradcheck(MulAdd.apply, (t, (t * 2).detach().requires_grad_()))
        assert lib.autograd.gradcheck(lambda v: (v.sin() * v).sum(), t)
        assert lib.autograd.gradgradcheck(lambda v: v.exp() * v, (t,))


def test_gradcheck_failure_message_and_warning_match_torch():
    out = []
    for lib in (symgrad, torch):
        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 3

        t = lib.tensor([0.5, -1.0], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradcheck(Wrong.apply, (t,), raise_exception=False) is False
        with pytest.raises(RuntimeError) as e:
            lib.autograd.gradcheck(Wrong.apply, (t,))
        assert type(e.value).__name__ == "GradcheckError"
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.autograd.gradcheck(lambda v: v * 2, (lib.tensor([1.0], requires_grad=True),),
                                   atol=0.1)
        out.append((str(e.value), [str(m.message) for m in w]))
    assert out[0] == out[1]
    assert "Jacobian mismatch for output 0 with respect to input 0" in out[0][0]


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class FirstOnly(symgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2  # detached: the second derivative is lost

    t = symgrad.tensor([0.5, -1.0], dtype=symgrad.float64, requires_grad=True)
    assert symgrad.autograd.gradcheck(FirstOnly.apply, (t,))
    assert symgrad.autograd.gradgradcheck(FirstOnly.apply, (t,), raise_exception=False) is False
