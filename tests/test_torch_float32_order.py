"""float32 arithmetic in torch's order (issue 17: float32 training loops drifted from torch
by ulps in the first step): sums and means in the order of torch's CPU cascade, the
gradients broadcast operands receive, and x ** 2, 3, -2, -1, -0.5 -- bitwise against torch.
What stays apart (SLEEF's sin/exp/..., BLAS matmul, parallel sums) is in the README."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symgrad
from symgrad.runtime.torch_sum import PARALLEL, sum_f32

torch = pytest.importorskip("torch")
LIBS = [symgrad, torch]


def _data(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)


@pytest.mark.parametrize("n", [1, 3, 5, 7, 8, 9, 17, 31, 33, 64, 65, 257, 1000, 2000, 4095,
                               20000, PARALLEL])
def test_full_sums_round_as_torchs(n):
    for seed in range(3):
        a = _data(n, seed)
        expected = torch.from_numpy(a).sum().numpy()
        assert sum_f32(a) == expected
        assert symgrad.from_numpy(a).sum().numpy() == expected
        assert symgrad.from_numpy(a).mean().numpy() == torch.from_numpy(a).mean().numpy()


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (64, 10), (10, 64), (100, 33), (33, 100),
                                   (2000, 1), (1, 2000), (7, 40), (300, 70), (128, 8)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sums_over_one_dimension_round_as_torchs(shape, dim):
    a = _data(shape, 7)
    for keepdim in (False, True):
        t = torch.from_numpy(a).sum(dim, keepdim=keepdim).numpy()
        s = symgrad.from_numpy(a).sum(dim, keepdim=keepdim).numpy()
        assert s.shape == t.shape
        np.testing.assert_array_equal(s, t)
        np.testing.assert_array_equal(symgrad.from_numpy(a).mean(dim).numpy(),
                                      torch.from_numpy(a).mean(dim).numpy())


def test_broadcast_gradients_are_summed_as_torch_sums_them():
    x = _data(2000, 3)
    m = _data((50, 40), 4)
    grads = []
    for lib in LIBS:
        a = lib.tensor(0.5, requires_grad=True)
        b = lib.tensor(_data(40, 5), requires_grad=True)
        xs = lib.from_numpy(x)
        (a * xs).sum().backward()  # a's gradient: sum(x)
        ((lib.from_numpy(m) * b) * 3).sum().backward()  # b's: the rows' sum, per column
        grads.append((a.grad.numpy(), b.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("e", [2, 3, -2, -1, -0.5, 2.0, 3.0])
def test_special_exponents_round_as_torchs(dtype, e):
    a = _data(3000, 11).astype(dtype)
    a[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-30]
    with np.errstate(all="ignore"):
        t = (torch.from_numpy(a) ** e).numpy()
        s = (symgrad.from_numpy(a) ** e).numpy()
    np.testing.assert_array_equal(s, t)


def test_polynomial_fit_matches_torch_bitwise_given_the_same_data():
    """The polynomial tutorial's loop in float32 (torch's sin values as data, since SLEEF's
    sin is not reproduced): every loss and the final coefficients are torch's."""
    xs = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float32)
    data = (xs.numpy(), torch.sin(xs).numpy())
    runs = []
    for lib in LIBS:
        x, y = (lib.from_numpy(v.copy()) for v in data)
        params = [lib.tensor(v, dtype=lib.float32, requires_grad=True)
                  for v in (0.1, -0.2, 0.3, -0.05)]
        a, b, c, d = params
        losses = []
        for _ in range(300):
            loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= 1e-6 * p.grad
                    p.grad = None
        runs.append((losses, [p.item() for p in params]))
    assert runs[0] == runs[1]
