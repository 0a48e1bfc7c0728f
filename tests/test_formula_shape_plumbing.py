"""Shapes given names and broadcasts: ``s = x.shape; y.reshape(s)``, ``np.broadcast(x, y)
.shape``, ``np.broadcast_shapes(x.shape, y.shape)``. The generated gradient prints such
plumbing (``t0 = np.shape(x)``, ``_broadcast_to(g, np.broadcast(a, b).shape)``), so
``G.formula(hessian=True)``, which reads that gradient back, failed on it; and a named
shape was read as a size (``y.reshape((s,))``). Checked against central differences, torch
and G.hvp."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads
from test_hessian_readable import _fd_hessian

import symgrad
from symgrad import helpers
from symgrad.formula import FormulaStrPrinter

torch = pytest.importorskip("torch")

rng = np.random.default_rng(3)
X, Y = rng.normal(size=3), rng.normal(size=(2, 3))


def broadcast_object(x, y):
    shape = np.broadcast(x, y).shape
    return np.sum(np.broadcast_to(x, shape) * y ** 2)


def shape_of_other(x, y):
    return np.sum(np.broadcast_to(x, y.shape) * np.sin(y))


def broadcast_shapes(x, y):
    return np.sum(np.broadcast_to(x, np.broadcast_shapes(x.shape, y.shape)) ** 2 * y)


def named_shape(x, y):
    s = x.shape
    t = s
    return np.sum(np.reshape(x ** 2, t) * x) + np.sum(np.broadcast(x, y).size * y ** 2)


def product_over_count(x, y):
    return np.sum(x * y) ** 2 / x.shape[0]


TWINS = {
    "broadcast_object": lambda x, y: torch.sum(x.expand(2, 3) * y ** 2),
    "shape_of_other": lambda x, y: torch.sum(x.expand(2, 3) * torch.sin(y)),
    "broadcast_shapes": lambda x, y: torch.sum(x.expand(2, 3) ** 2 * y),
    "named_shape": lambda x, y: torch.sum(x ** 3) + torch.sum(6 * y ** 2),
    "product_over_count": lambda x, y: torch.sum(x * y) ** 2 / 3,
}
FUNCTIONS = [broadcast_object, shape_of_other, broadcast_shapes, named_shape,
             product_over_count]


def _args(f):
    return (X, Y) if f is not product_over_count else (X, rng.normal(size=3))


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_value_gradient_and_hessian(f):
    args = _args(f)
    G = symgrad.grad(f)
    np.testing.assert_allclose(G(*args), f(*args), rtol=1e-12)
    check_grads(G, *args)
    H = G.hessian(*args)
    want = torch.func.hessian(TWINS[f.__name__], argnums=(0, 1))(
        *[torch.tensor(a) for a in args])
    fd = _fd_hessian(G, args, ("x", "y"))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], want[i][j].numpy(), rtol=1e-9, atol=1e-10)
            np.testing.assert_allclose(H[i][j], fd[i][j], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_the_hessian_formula_reads_the_plumbing_and_is_h_times_v(f):
    args = _args(f)
    G = symgrad.grad(f)
    form = G.formula(*args, hessian=True)
    v = (rng.normal(size=np.shape(args[0])), rng.normal(size=np.shape(args[1])))
    ns = {"x": args[0], "y": args[1], "v_x": v[0], "v_y": v[1], "sin": np.sin,
          "cos": np.cos, "sum": np.sum, "sum_to": helpers._sum_to, "shape": np.shape,
          "broadcast_to": np.broadcast_to, "broadcast": np.broadcast, "reshape": np.reshape}
    printer = FormulaStrPrinter()
    hv = G.hvp(*args, v=v)
    for name, want in zip(("x", "y"), hv, strict=True):
        got = eval(printer.doprint(form[name]), ns)  # noqa: S307
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(want)), want, rtol=1e-10,
                                   atol=1e-12, err_msg=f"(H v)_{name}: {form[name]}")


def test_a_named_shape_is_a_shape_not_a_size():
    G = symgrad.grad(named_shape)
    primal = [line for line in G.source.splitlines() if "reshape" in line and
              not line.lstrip().startswith("#")]
    assert primal and not any("(s,)" in line or "(t,)" in line for line in primal), primal


def test_broadcast_shapes_of_other_values_is_refused_with_a_hint():
    def f(x, n):
        return np.sum(np.broadcast_to(x, np.broadcast_shapes((2, 1), x.shape)))

    with pytest.raises(symgrad.SymgradError, match="np.broadcast_shapes") as info:
        symgrad.grad(f, wrt="x")(X, 2)
    assert "np.broadcast(a, b).shape" in info.value.hint


def filled(x, w):
    return np.sum(np.full_like(x, w, dtype=float) * np.sin(x) ** 2)


@pytest.mark.parametrize("w", [0.7, np.array([0.5, -1.0, 2.0])], ids=["scalar", "row"])
def test_full_like_with_dtype_float(w):
    x = rng.normal(size=(2, 3))
    G = symgrad.grad(filled)
    np.testing.assert_allclose(G(x, w), filled(x, w), rtol=1e-12)
    gx, gw = check_grads(G, x, w)
    assert np.shape(gw) == np.shape(w)
    H = G.hessian(x, w)
    fd = _fd_hessian(G, (x, w), ("x", "w"))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], fd[i][j], rtol=1e-5, atol=1e-6)


def test_full_like_in_the_arrays_dtype_is_refused_with_a_hint():
    def f(x):
        return np.sum(np.full_like(x, 2.0) * x)

    with pytest.raises(symgrad.SymgradError, match="dtype=float") as info:
        symgrad.grad(f)(X)
    assert "truncates" in info.value.hint
