"""Primitives added as one registry entry each (np.flip in rules/shape.py, np.arcsinh in
rules/elementwise.py): their eager vjps against central differences, and their generated
numpy code, and their lowering under @symgrad.grad (the call binding reads the entries)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from gradutil import check_grads, numeric_grad

import symgrad
from symgrad.frontend import aliasing
from symgrad.printer import NumpyPrinter
from symgrad.rules import registry
from symgrad.rules.base import static
from symgrad.runtime.vjps import eager_vjp, eager_vjp_source

R = np.random.default_rng(3)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (2, 1, 0)])
def test_flip_vjp_matches_central_differences(axis):
    x = R.standard_normal((2, 3, 4))
    seed = R.standard_normal((2, 3, 4))
    (grad,) = eager_vjp("flip", axis=axis)(seed, x, np.flip(x, axis))
    expected = numeric_grad(lambda v: np.flip(v, axis), [x], 0, seed=seed)
    np.testing.assert_allclose(grad, expected, rtol=1e-7, atol=1e-9)


def test_flip_prints_as_numpy_spells_it():
    x = sp.Symbol("x", real=True)
    flip = registry.by_object(np.flip).node
    printer = NumpyPrinter()
    assert printer.statement(flip(x, static(None))) == "np.flip(x)"
    assert printer.statement(flip(x, static(1))) == "np.flip(x, 1)"
    assert printer.statement(flip(x, static((0, -1)))) == "np.flip(x, (0, -1))"
    assert "np.flip(g, (0, -1))" in eager_vjp_source("flip", axis=(0, -1))


def test_flip_entry():
    entry = registry.by_name("flip")
    assert entry.has(registry.VIEW) and entry.has(registry.LINEAR)
    assert entry.out_shape((2, 3), axis=1) == (2, 3)
    assert "flip" in aliasing._VIEW_FUNCTIONS  # a write through np.flip(x) reaches x
    torch = pytest.importorskip("torch")
    t = torch.ones(2, 3, requires_grad=True).flip((0,))
    assert type(t.grad_fn).__name__ == entry.torch.node
    assert entry.torch.params == {"dims": "axis"}


def test_arcsinh_vjp_matches_central_differences():
    x = R.standard_normal((3, 4)) * 3
    seed = R.standard_normal((3, 4))
    (grad,) = eager_vjp("arcsinh")(seed, x, np.arcsinh(x))
    expected = numeric_grad(np.arcsinh, [x], 0, seed=seed)
    np.testing.assert_allclose(grad, expected, rtol=1e-7, atol=1e-9)


def test_arcsinh_entry():
    entry = registry.by_name("arcsinh")
    assert registry.by_object(math.asinh) is entry is registry.by_name("asinh")
    assert registry.by_object(np.arcsinh) is entry
    assert entry.out_shape((3, 1), (4,)) == (3, 4)
    torch = pytest.importorskip("torch")
    t = torch.ones(2, requires_grad=True).asinh()
    assert type(t.grad_fn).__name__ == entry.torch.node
    assert set(entry.torch.methods) == {"asinh", "arcsinh"}


def arcsinh_of_a_product(x, w):
    return np.sum(np.arcsinh(x * w) * w)


def test_decorated_arcsinh():
    # the lowering's elementwise table already reads the registry's elementwise entries
    G = symgrad.grad(arcsinh_of_a_product)
    check_grads(G, R.standard_normal((3, 2)) * 2, R.standard_normal(2))
    assert "np.arcsinh(" in G.source and "np.sqrt(" in G.source


def flip_then_arcsinh(x, w):
    return np.sum(np.arcsinh(np.flip(x * w, 0)) * w)


def test_decorated_flip():
    G = symgrad.grad(flip_then_arcsinh, wrt=("x", "w"))
    check_grads(G, R.standard_normal((3, 2)), R.standard_normal(2))
    assert "np.flip(" in G.source and "np.arcsinh(" in G.source


def write_through_a_flip(x):
    y = x * 2.0
    r = np.flip(y)
    y[0] = 5.0  # numpy changes r too: r is a view of y
    return np.sum(r * x)


def test_a_write_through_a_flipped_view_is_refused():
    # the VIEW trait of np.flip's entry reaches the aliasing check: no silent wrong gradient
    with pytest.raises(symgrad.SymgradError, match="share memory"):
        symgrad.grad(write_through_a_flip)


def rot90_then_arccosh(x, w):
    return np.sum(np.arccosh(np.rot90(x, 1, (0, 1)) * w + 2.0))


def test_rot90_and_arccosh_added_as_one_entry_each_work_end_to_end():
    """Added after the frontend, the adjoint and the Tensor read the registry: the two entries
    (rules/shape.py, rules/elementwise.py) and these tests are the whole change."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w = rng.uniform(0.5, 1.5, (2, 3)), rng.uniform(0.5, 1.5, (3, 2))
    G = symgrad.grad(rot90_then_arccosh, wrt=("x", "w"))
    assert "np.rot90(x)" in G.source and "np.rot90(" in G.source.split("grad_x =")[1]
    check_grads(G, x, w)
    tx, tw = (torch.tensor(v, requires_grad=True) for v in (x, w))
    torch.sum(torch.arccosh(torch.rot90(tx, 1, (0, 1)) * tw + 2.0)).backward()
    gx, gw = G.grad(x, w)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12)
    sx, sw = (symgrad.tensor(v, requires_grad=True) for v in (x, w))
    y = (sx.rot90(1, (0, 1)) * sw + 2.0).arccosh().sum()
    assert sx.rot90(1, (0, 1)).grad_fn.name() == "Rot90Backward0"
    assert (sx + 2.0).acosh().grad_fn.name() == "AcoshBackward0"
    y.backward()
    np.testing.assert_allclose(sx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(sw.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
