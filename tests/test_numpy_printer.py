"""The numpy printer's scalar-first products compute the same numbers as SymPy's own order.

Printing scalar factors first (``6*g/n*x`` rather than ``6*g*x/n``) saves passes over the
arrays; a misplaced parenthesis there is a wrong gradient, so random expressions are printed
both ways and evaluated with numpy.
"""

import random

import numpy as np
import pytest
import sympy as sp

from symgrad.printer import NumpyPrinter

A, B = sp.symbols("a b", real=True)  # scalars
X, Y = sp.symbols("x y", real=True)  # arrays
LEAVES = [A, B, X, Y, sp.Integer(2), sp.Integer(-3), sp.Rational(1, 2), sp.Rational(-2, 3),
          sp.Float(0.25)]
VALUES = {"a": 0.7, "b": -1.3, "x": np.array([0.4, -0.9, 1.6]), "y": np.array([1.2, 0.3, -0.5])}
OPS = [
    lambda r, d: tree(r, d) + tree(r, d),
    lambda r, d: tree(r, d) - tree(r, d),
    lambda r, d: tree(r, d) * tree(r, d),
    lambda r, d: tree(r, d) / (tree(r, d) ** 2 + 1),
    lambda r, d: -tree(r, d) * (tree(r, d) + tree(r, d)),  # the shape that once lost its ()
    lambda r, d: -tree(r, d),
    lambda r, d: tree(r, d) ** 2,
    lambda r, d: sp.sin(tree(r, d)),
]


def tree(rng: random.Random, depth: int):
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(LEAVES)
    return rng.choice(OPS)(rng, depth - 1)


def _run(text: str) -> np.ndarray:
    return np.asarray(eval(text, {"np": np}, dict(VALUES)), dtype=float)


def _scalar_first() -> NumpyPrinter:
    return NumpyPrinter(is_scalar=lambda e: not (e.free_symbols & {X, Y}))


@pytest.mark.parametrize("seed", range(4))
def test_scalar_first_products_evaluate_like_sympys_order(seed):
    rng = random.Random(seed)
    for _ in range(250):
        expr = tree(rng, 4)
        plain, ordered = NumpyPrinter().statement(expr), _scalar_first().statement(expr)
        np.testing.assert_allclose(_run(ordered), _run(plain), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{plain}  vs  {ordered}")


def test_minus_times_a_sum_keeps_its_parentheses():
    # found as a wrong gradient: -g/n*(-(1 - y)/(1 - x) + y/x) lost its parentheses
    expr = -A / B * (-(1 - Y) / (1 - X) + Y / X)
    text = _scalar_first().statement(expr)
    assert text.startswith("-a/b*(")
    np.testing.assert_allclose(_run(text), _run(NumpyPrinter().statement(expr)), rtol=1e-12)
