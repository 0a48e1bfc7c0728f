"""A loop's gradient into the rows of an input it reads at its counter, ``x[t]``: written
``grad_x[t] = v`` (as by hand) where no two iterations reach one position and nothing else
adds to it, ``grad_x[t] += v`` otherwise. Each case: the gradient against central
differences, and which of the two the code for numpy arrays says."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

rng = np.random.default_rng(7)


def rnn(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def fewer_steps_than_rows(x):
    s = 0.0
    for t in range(2):  # rows 2 and 3 get no gradient: they stay 0
        s = s + np.sum(np.sin(x[t]) * (t + 1))
    return s


def counting_down(x):
    s = 0.0
    for t in range(x.shape[0] - 1, -1, -1):
        s = np.tanh(s + x[t] * (t + 1))
    return np.sum(s)


def columns(x):
    s = 0.0
    for t in range(3):
        s = s + np.cos(x[:, t]) * (t + 2)
    return np.sum(s ** 2)


def negative_positions(x):  # x[-2] and x[0] are one row of a 2-row x
    s = 0.0
    for t in range(-2, 2):
        s = s + np.sum(np.sin(x[t]) * (t + 3))
    return s


def down_through_negatives(x):  # 1, 0, -1: x[-1] is x[1] for 2 rows
    s = 0.0
    for t in range(1, -2, -1):
        s = s + np.sum(x[t] ** 2 * (t + 2))
    return s


def row_and_first_row(x):  # x[0] gets its own and x[t]'s (t = 0) gradient
    s = 0.0
    for t in range(3):
        s = s + np.sum(x[t] * np.exp(x[0]))
    return s


def read_next_row_too(x):
    s = 0.0
    for t in range(3):
        s = s + np.sum(x[t] * x[t + 1])
    return s


def whole_and_row(x):
    s = 0.0
    for t in range(3):
        s = s + np.sum(x[t] ** 2) + np.sum(x) * t
    return s


def nested(x):
    s = 0.0
    for i in range(3):
        for j in range(x.shape[0]):
            s = s + np.sum(np.sin(x[j]) * (i + j + 1))
    return s


def with_break(x):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + np.sum(x[t] ** 2)
        if s > 3.0:
            break
    return s


ONCE = [(fewer_steps_than_rows, (4, 3)), (counting_down, (4, 3)), (columns, (2, 4)),
        (nested, (3, 2)), (with_break, (6, 2))]
SUMMED = [(negative_positions, (2, 3)), (down_through_negatives, (2, 3)),
          (row_and_first_row, (3, 2)), (read_next_row_too, (4, 2)), (whole_and_row, (3, 2))]


def test_a_row_read_twice_in_one_iteration_is_one_write():
    def f(x):
        s = 0.0
        for t in range(3):
            s = s + np.sum(x[t] * np.exp(x[t]))
        return s

    G = symgrad.grad(f)
    check_grads(G, rng.standard_normal((3, 2)))
    assert _grad_lines(G) == ["grad_x[t] = grad_s_1*(t1*t2 + t2)"]


def _grad_lines(G):
    source = G.source
    body = source[source.index("_grad("):source.index("_value_and_grad(")]
    return [line.strip() for line in body.splitlines() if line.strip().startswith("grad_x[")]


@pytest.mark.parametrize(("fn", "shape"), ONCE, ids=[f.__name__ for f, _ in ONCE])
def test_each_row_once_is_assigned(fn, shape):
    G = symgrad.grad(fn)
    x = rng.standard_normal(shape)
    check_grads(G, x)
    lines = _grad_lines(G)
    assert lines and all(" = " in line and "+=" not in line for line in lines), G.source


@pytest.mark.parametrize(("fn", "shape"), SUMMED, ids=[f.__name__ for f, _ in SUMMED])
def test_a_row_reached_twice_is_added_to(fn, shape):
    G = symgrad.grad(fn)
    x = rng.standard_normal(shape)
    check_grads(G, x)
    assert not any(" = " in line for line in _grad_lines(G)), G.source


def test_rnn_reads_as_by_hand_and_matches_torch():
    torch = pytest.importorskip("torch")
    G = symgrad.grad(rnn, wrt=("W", "x"))
    W, x, h = 0.5 * rng.standard_normal((4, 4)), rng.standard_normal((5, 4)), \
        rng.standard_normal(4)
    gW, gx = check_grads(G, W, x, h)
    assert "        grad_x[t] = grad_h_2_in\n" in G.source
    assert "grad_x = np.zeros(x.shape)" in G.source  # (x: a numpy array for sure here)
    tW, tx = torch.tensor(W, requires_grad=True), torch.tensor(x, requires_grad=True)
    th = torch.tensor(h)
    for t in range(x.shape[0]):
        th = torch.tanh(tW @ th + tx[t])
    th.sum().backward()
    np.testing.assert_allclose(gW, tW.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def rnn_over_a_sequence(W, xs, h):
    for t in range(len(xs)):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def test_a_list_argument_keeps_adding():
    """A list of arrays (the generic code, or the specialisation for W and h alone, serves
    it) gets `+=` and np.shape: only a numpy array argument's ranks are known."""
    G = symgrad.grad(rnn_over_a_sequence, wrt=("W", "xs"))
    assert "grad_xs[t] += " in G.source
    W, h = 0.5 * np.eye(3), np.ones(3)
    xs = [np.ones(3), 2 * np.ones(3)]
    gW, gxs = G.grad(W, xs, h)
    assert "grad_xs[t] += " in G.source and "np.zeros(W.shape)" in G.source, G.source
    gW_a, gxs_a = check_grads(G, W, np.array(xs), h)
    assert "grad_xs[t] = " in G.source
    np.testing.assert_allclose(np.array(gxs), gxs_a, rtol=1e-13)
    np.testing.assert_allclose(gW, gW_a, rtol=1e-13)


RANGES = ["3", "1, 4", "-3, 0", "-1, 2", "-2, 3", "-4, 4, 3", "-4, 4, 2", "0, 4, 2", "3, -1, -1",
          "2, -3, -1", "3, 0, -2", "-1, -5, -1"]  # (on 4 rows: -2 and 2 are one)


@pytest.mark.parametrize("bounds", RANGES)
@pytest.mark.parametrize("at", ["x[t]", "x[t, :]", "x[:, t]"])
def test_rows_of_any_range(bounds, at, tmp_path):
    """Each row's gradient tells how often (and in which steps) the loop read it; negative
    positions name the same rows as positive ones."""
    path = tmp_path / "ranged.py"
    path.write_text(f"import numpy as np\n\n\ndef f(x):\n    s = 0.0\n"
                    f"    for t in range({bounds}):\n"
                    f"        s = s + np.sum(np.sin({at}) * (t + 5))\n    return s\n")
    spec = importlib.util.spec_from_file_location(f"ranged_{abs(hash((bounds, at)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    check_grads(symgrad.grad(module.f), rng.standard_normal((4, 4)))
