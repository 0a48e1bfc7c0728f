"""Primitives added as one registry entry each (np.flip in rules/shape.py): their eager vjps
against central differences, and their generated numpy code."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from gradutil import numeric_grad

from symgrad.frontend import aliasing
from symgrad.printer import NumpyPrinter
from symgrad.rules import eager_vjp, eager_vjp_source, registry
from symgrad.rules.base import static

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
