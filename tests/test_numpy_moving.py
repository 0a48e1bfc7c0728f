"""rules/moving.py under @symgrad.grad: flips, rolls, axis moves, repeats, tiles, differences,
triangles and diagonals, each against central differences and torch, on several shapes."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(13)


def fliplr_(x, w):
    return np.sum(np.fliplr(x) * w)


def flipud_(x, w):
    return np.sum(np.flipud(x) * w)


def roll_flat(x, w):
    return np.sum(np.roll(x, 2) * w)


def roll_axes(x, w):
    return np.sum(np.roll(x, (1, -2), (0, -1)) * w)


def swapaxes_(x, w):
    return np.sum(np.swapaxes(x, 0, -1) * w) + np.sum(x.swapaxes(0, 1) ** 2)


def moveaxis_(x, w):
    return np.sum(np.moveaxis(x, 0, -1) * w)


def rollaxis_(x, w):
    return np.sum(np.rollaxis(x, -1) * w)


def tril_(x, w):
    return np.sum(np.tril(x, -1) * w)


def triu_(x, w):
    return np.sum(np.triu(x, 1) * w)


def diagonal_(x, w):
    return np.sum(np.diagonal(x, 1, -2, -1) * w) + np.sum(x.diagonal() ** 2)


def trace_(x, w):
    return np.sum(np.trace(x, axis1=-2, axis2=-1) * w)


def diag_1d(x, w):
    return np.sum(np.diag(x, -1) * w)


def diag_2d(x, w):
    return np.sum(np.diag(x, 1) * w)


def diff_(x, w):
    return np.sum(np.diff(x, axis=0) * w)


def diff_2(x, w):
    return np.sum(np.diff(x, 2) * w)


def repeat_axis(x, w):
    return np.sum(np.repeat(x, 2, axis=-1) * w)


def repeat_flat(x, w):
    return np.sum(x.repeat(3) * w)


def tile_(x, w):
    return np.sum(np.tile(x, (2, 1, 2)) * w)


def _diag_torch(t, x, k):
    return torch.diagonal(x, k) if x.ndim == 2 else torch.diag(x, k)


# (function, torch's spelling, x's shapes)
CASES = [
    (fliplr_, lambda t, x: t.fliplr(x), [(3, 4), (2, 3, 4)]),
    (flipud_, lambda t, x: t.flipud(x), [(4,), (3, 4), (2, 3, 1)]),
    (roll_flat, lambda t, x: t.roll(x, 2), [(5,), (3, 4)]),
    (roll_axes, lambda t, x: t.roll(x, (1, -2), (0, -1)), [(3, 4), (2, 3, 4)]),
    (swapaxes_, None, [(3, 4), (2, 3, 4)]),
    (moveaxis_, lambda t, x: t.moveaxis(x, 0, -1), [(3, 4), (2, 3, 4)]),
    (rollaxis_, lambda t, x: t.moveaxis(x, -1, 0), [(3, 4), (2, 3, 4)]),
    (tril_, lambda t, x: t.tril(x, -1), [(3, 4), (2, 4, 3)]),
    (triu_, lambda t, x: t.triu(x, 1), [(4, 3), (2, 3, 3)]),
    (diagonal_, None, [(3, 4), (2, 4, 3)]),
    (trace_, None, [(3, 3), (2, 3, 4)]),
    (diag_1d, lambda t, x: t.diag(x, -1), [(1,), (4,)]),
    (diag_2d, lambda t, x: _diag_torch(t, x, 1), [(3, 3), (3, 5), (4, 2)]),
    (diff_, lambda t, x: t.diff(x, dim=0), [(4,), (4, 3)]),
    (diff_2, lambda t, x: t.diff(t.diff(x)), [(5,), (2, 4)]),
    (repeat_axis, lambda t, x: t.repeat_interleave(x, 2, -1), [(3,), (2, 3)]),
    (repeat_flat, lambda t, x: t.repeat_interleave(x, 3), [(1,), (2, 3)]),
    (tile_, lambda t, x: t.tile(x, (2, 1, 2)), [(), (3,), (2, 3), (2, 1, 3, 2)]),
]
ALL = [(f, tf, s) for f, tf, shapes in CASES for s in shapes]


@pytest.mark.parametrize("f, torch_f, shape", ALL,
                         ids=[f"{f.__name__}-{s}" for f, _, s in ALL])
def test_gradient_matches_central_differences_and_torch(f, torch_f, shape):
    x = R.standard_normal(shape)
    out_shape = np.shape(f.__globals__["np"].asarray(_inner(f, x)))
    w = R.standard_normal(out_shape)
    G = symgrad.grad(f, wrt=("x", "w"))
    np.testing.assert_allclose(G(x, w), f(x, w), rtol=1e-12)
    gx, _ = check_grads(G, x, w)
    if torch_f is not None:
        tx = torch.tensor(x, requires_grad=True)
        torch.sum(torch_f(torch, tx) * torch.tensor(w)).backward()
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def _inner(f, x):
    """The array f sums against w (w of ones-like shape found by numpy itself)."""
    probe = {"fliplr_": np.fliplr, "flipud_": np.flipud, "roll_flat": lambda v: np.roll(v, 2),
             "roll_axes": lambda v: np.roll(v, (1, -2), (0, -1)),
             "swapaxes_": lambda v: np.swapaxes(v, 0, -1),
             "moveaxis_": lambda v: np.moveaxis(v, 0, -1), "rollaxis_": lambda v: np.rollaxis(v, -1),
             "tril_": np.tril, "triu_": np.triu,
             "diagonal_": lambda v: np.diagonal(v, 1, -2, -1),
             "trace_": lambda v: np.trace(v, axis1=-2, axis2=-1),
             "diag_1d": lambda v: np.diag(v, -1), "diag_2d": lambda v: np.diag(v, 1),
             "diff_": lambda v: np.diff(v, axis=0), "diff_2": lambda v: np.diff(v, 2),
             "repeat_axis": lambda v: np.repeat(v, 2, axis=-1), "repeat_flat": lambda v: v.repeat(3),
             "tile_": lambda v: np.tile(v, (2, 1, 2))}
    return probe[f.__name__](x)


def test_generated_code_reads_like_a_hand_written_gradient():
    cases = {roll_axes: "np.roll(", fliplr_: "np.fliplr(", moveaxis_: "np.moveaxis(",
             rollaxis_: "np.moveaxis(", swapaxes_: "np.swapaxes(", tril_: "np.tril(",
             triu_: "np.triu(", diagonal_: "_diagonal_grad(", diff_: "_diff_grad(",
             repeat_axis: "_repeat_grad(", tile_: "_tile_grad(", trace_: "_diagonal_grad("}
    for f, text in cases.items():
        G = symgrad.grad(f, wrt=("x",))
        assert text in G.source.split("grad_x =")[1], (f.__name__, G.source)
    G = symgrad.grad(roll_axes, wrt=("x",))
    assert "np.roll(x, (1, -2), (0, -1))" in G.source
    assert "(-1, 2), (0, -1))" in G.source.split("grad_x =")[1]  # rolled back


def write_through_swapaxes(x):
    y = x * 2.0
    r = np.swapaxes(y, 0, 1)
    y[0] = 5.0  # numpy changes r too: r is a view of y
    return np.sum(r * x)


def write_through_diagonal_and_moveaxis(x):
    y = x * 2.0
    r = np.moveaxis(y, 0, 1)
    r[0, 0] = 1.0
    return np.sum(y * x)


def test_writes_through_the_views_are_refused():
    for f in (write_through_swapaxes, write_through_diagonal_and_moveaxis):
        with pytest.raises(symgrad.SymgradError, match="share memory"):
            symgrad.grad(f)


def rollaxis_mixed(x):
    return np.sum(np.rollaxis(x, 0, -1) ** 2)


def diff_zero(x):
    return np.sum(np.diff(x, 0))


def test_unsupported_spellings_are_refused_with_a_reason():
    with pytest.raises(symgrad.SymgradError, match="np.moveaxis"):
        symgrad.grad(rollaxis_mixed)
    with pytest.raises(symgrad.SymgradError, match="n=0"):
        symgrad.grad(diff_zero)


def test_tensor_methods_follow_torch():
    a = R.standard_normal((3, 4))
    for f in (lambda t, x: x.roll(1, 1).fliplr().tril(0).trace(),
              lambda t, x: (x.diagonal(1, 0, 1) ** 2).sum() + x.diff(2, 0).sum(),
              lambda t, x: (x.repeat_interleave(2, 0) * x.tile((2, 1))).sum()):
        s, t = (lib.tensor(a, requires_grad=True) for lib in (symgrad, torch))
        f(symgrad, s).backward()
        f(torch, t).backward()
        np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    x = symgrad.tensor(a, requires_grad=True)
    assert np.roll(x, 1, 0).grad_fn.name() == "RollBackward0"
    assert np.trace(x).grad_fn.name() == "TraceBackward0"
    assert x.triu(1).grad_fn.name() == "TriuBackward0"
