"""G.formula(): gradients as SymPy expressions over the parameters."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symgrad
from symgrad import api

x, w, a, b = sp.symbols("x w a b", real=True)
N = sp.Symbol("N", positive=True, integer=True)


def _seed(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


seed = symgrad.grad(_seed)


def test_seed_function_for_a_2x2_input_is_the_hand_derivation():
    f = seed.formula(shapes={"x": (2, 2)})
    assert sp.simplify(f["x"] - sp.Rational(3, 2) * (x + 2)) == 0
    assert str(f["x"]) == "3*(x + 2)/2"
    assert f.expr == f["x"]
    # example arguments give the same shapes
    assert sp.simplify(seed.formula(np.ones((2, 2)))["x"] - 3 * (x + 2) / 2) == 0
    # and at x = 1 it is the tutorial's 4.5
    assert f["x"].subs(x, 1) == sp.Rational(9, 2)


def test_seed_function_in_general():
    f = seed.formula()
    assert sp.simplify(f["x"] - 6 * (x + 2) / N) == 0
    assert "d_seed/dx = 6*(x + 2)/N" in str(f)


def test_latex_and_jupyter():
    f = seed.formula(shapes={"x": (2, 2)})
    tex = sp.latex(f)
    assert r"\frac{3 \left(x + 2\right)}{2}" in tex and r"\partial" in tex
    assert f._repr_latex_().startswith("$") and tex in f._repr_latex_()
    html = seed._repr_html_()
    assert "loss" not in html and "_seed_grad" in html and html.lstrip().startswith("<")


def test_several_parameters_and_elementwise_functions():
    @symgrad.grad
    def f(a, b):
        return a * np.sin(b) + a ** 2

    form = f.formula()
    assert sp.simplify(form["a"] - (2 * a + sp.sin(b))) == 0
    assert sp.simplify(form["b"] - a * sp.cos(b)) == 0
    assert list(form) == ["a", "b"] and len(form) == 2


def test_broadcast_scalar_parameter_sums():
    @symgrad.grad
    def f(a, b):
        return np.sum(a * b)

    form = f.formula(shapes={"a": (), "b": (3,)})
    assert "df/da = sum(b)" in str(form) and "sum_to" not in str(form)
    assert form["b"] == a


def test_matmul_stays_a_named_operation():
    @symgrad.grad(wrt="w")
    def f(w, x):
        return np.sum(np.tanh(x @ w))

    shapes = {"w": (3, 2), "x": (4, 3)}  # (without shapes a matmul is refused: item 8 below)
    text = str(f.formula(shapes=shapes))
    assert "x @ w" in text and "x.T @" in text
    assert r"x^T" in sp.latex(f.formula(shapes=shapes))


def test_formula_after_a_disk_cache_hit(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(tmp_path))
    api._TRANSFORMS.clear()
    first = symgrad.grad(_seed)
    first.grad(np.ones(2))
    first._entry  # noqa: B018 (the generic module, stored too: the call made its ranks' one)
    api._TRANSFORMS.clear()
    second = symgrad.grad(_seed)
    assert second._entry[2] is None  # came from disk: no SymPy work done
    assert sp.simplify(second.formula(shapes={"x": (2, 2)})["x"] - 3 * (x + 2) / 2) == 0


def test_formula_errors():
    with pytest.raises(symgrad.SymgradError, match="no shape for 'x'"):
        seed.formula(shapes={})
    with pytest.raises(symgrad.SymgradError, match="no parameter 'q'"):
        seed.formula(shapes={"x": 3, "q": 2})
