"""G.formula(hessian=True) / G.hessian.formula(): the Hessian as mathematics, checked
against SymPy's own hessian of the same expression and, for array parameters, by
evaluating the printed formula against torch's Hessian-vector product."""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

import symgrad
from symgrad.formula import FormulaStrPrinter

a, b = sp.symbols("a b", real=True)


def two(a, b):
    return a * np.sin(b) + a ** 2 * b + np.exp(a * b)


def tanh_loss(X, w):
    return np.sum(np.tanh(X @ w) ** 2)


def test_scalar_parameters_give_the_hessian_matrix():
    G = symgrad.grad(two)
    form = G.hessian.formula(shapes={"a": (), "b": ()})
    expected = sp.hessian(a * sp.sin(b) + a ** 2 * b + sp.exp(a * b), (a, b))
    assert sp.simplify(form.matrix - expected) == sp.zeros(2, 2)
    va, vb = form.directions["a"], form.directions["b"]
    hv = expected * sp.Matrix([va, vb])
    assert sp.simplify(form["a"] - hv[0]) == 0 and sp.simplify(form["b"] - hv[1]) == 0
    assert "\\nabla^2" in sp.latex(form) and "(Htwo v)_a = " in str(form)
    assert "seed" not in str(form)


def test_the_textbook_form_for_a_matrix_product():
    G = symgrad.grad(tanh_loss, wrt="w")
    form = G.formula(shapes={"X": (5, 3), "w": (3,)}, hessian=True)
    text = FormulaStrPrinter().doprint(form["w"])
    # X.T @ (d * (X @ v)): one product on each side of an elementwise factor
    assert text.startswith("X.T @ (") and text.endswith("*(X @ v_w))")
    assert form.matrix is None
    rng = np.random.default_rng(5)
    X, w, v = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    got = eval(text, {"X": X, "w": w, "v_w": v, "tanh": np.tanh})  # noqa: S307
    _, hv = torch.func.jvp(torch.func.grad(lambda w_: torch.sum(torch.tanh(
        torch.tensor(X) @ w_) ** 2)), (torch.tensor(w),), (torch.tensor(v),))
    assert np.allclose(got, hv.numpy(), rtol=1e-10)
    assert np.allclose(got, G.hvp(X, w, v=v), rtol=1e-10)


def test_example_arguments_give_shapes():
    G = symgrad.grad(two)
    form = G.formula(0.5, 1.5, hessian=True)
    assert form.matrix is not None and form.shapes == {"a": (), "b": ()}
    H = np.array(form.matrix.subs({a: 0.5, b: 1.5}).evalf(), dtype=float)
    assert np.allclose(H, G.hessian(0.5, 1.5) if not isinstance(G.hessian(0.5, 1.5), tuple)
                       else np.array(G.hessian(0.5, 1.5), dtype=float), rtol=1e-10)


def test_the_full_hessian_of_a_matrix_product_reads_as_the_textbook():
    G = symgrad.grad(tanh_loss, wrt="w")
    form = G.formula(shapes={"X": (5, 3), "w": (3,)}, hessian=True)
    printer = FormulaStrPrinter()
    block = printer.doprint(form.blocks[("w", "w")])
    assert block == "X.T @ (d[:, None] * X)"
    assert "Htanh_loss = X.T @ (d[:, None] * X)" in str(form)
    (d, expr), = form.factors.items()
    rng = np.random.default_rng(2)
    X, w = rng.normal(size=(5, 3)), rng.normal(size=3)
    ns = {"X": X, "w": w, "tanh": np.tanh}
    ns[str(d)] = eval(printer.doprint(expr), ns)  # noqa: S307
    got = eval(block, ns)  # noqa: S307
    want = torch.func.hessian(lambda w_: torch.sum(torch.tanh(torch.tensor(X) @ w_) ** 2))(
        torch.tensor(w))
    assert np.allclose(got, want.numpy(), rtol=1e-10)
    assert "operatorname{diag}" in sp.latex(form)


def softplus_bias(X, w, b):
    z = X @ w + b
    return np.sum(np.log(1 + np.exp(z))) + 0.5 * np.sum(w ** 2)


def test_hessian_blocks_of_a_vector_and_a_scalar_parameter():
    G = symgrad.grad(softplus_bias, wrt=("w", "b"))
    form = G.formula(shapes={"X": (5, 3), "w": (3,), "b": ()}, hessian=True)
    assert set(form.blocks) == {("w", "w"), ("w", "b"), ("b", "w"), ("b", "b")}
    printer = FormulaStrPrinter()
    rng = np.random.default_rng(3)
    X, w, b = rng.normal(size=(5, 3)), rng.normal(size=3), 0.4
    ns = {"X": X, "w": w, "b": b, "I": np.eye(3), "cosh": np.cosh, "exp": np.exp,
          "log": np.log, "sum": lambda a, axis=None: np.sum(a, axis=axis)}
    for d, expr in form.factors.items():
        ns[str(d)] = eval(printer.doprint(expr), ns)  # noqa: S307
    got = {k: eval(printer.doprint(v), ns) for k, v in form.blocks.items()}  # noqa: S307
    H = torch.func.hessian(lambda w_, b_: torch.sum(torch.nn.functional.softplus(
        torch.tensor(X) @ w_ + b_)) + 0.5 * torch.sum(w_ ** 2), argnums=(0, 1))(
        torch.tensor(w), torch.tensor(b, dtype=torch.float64))
    names = ("w", "b")
    for (i, wi) in enumerate(names):
        for (j, wj) in enumerate(names):
            assert np.allclose(got[(wi, wj)], H[i][j].numpy(), rtol=1e-10), (wi, wj)
    assert str(form).count("Hsoftplus_bias[") == 4
