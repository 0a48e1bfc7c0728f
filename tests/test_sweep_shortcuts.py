"""The sweep's shortcuts give what the passes they skip would: a region's partials in one
call (``derivatives``), the node kinds found in one memoised pass (``adjoint.kinds``), the
clean gate, and a mask selection that rebuilds nothing without a mask."""

from __future__ import annotations

import functools
import random

import sympy as sp
from random_forms import random_form, x, y, z
from sympy.core.parameters import distribute

from symgrad.adjoint.kinds import CLEAN, META, PLUMBING, WHERE, kinds
from symgrad.adjoint.ranks import _PLUMBING
from symgrad.derivative import derivative, derivatives, select_by_masks
from symgrad.rules import masks
from symgrad.rules.base import static
from symgrad.rules.grads import SumTo
from symgrad.rules.shape import Size, _Meta
from symgrad.simplify import clean

_random_expression = functools.partial(random_form, arithmetic=True)


def test_derivatives_are_derivative_of_each_variable_node_for_node():
    # one call for all of a region's leaves, each function's slope built once and shared
    # (across expressions too): the same expressions as one derivative per leaf
    slopes: dict = {}
    nonzero = 0
    with distribute(False):
        for seed in range(150):
            expr = _random_expression(random.Random(seed), 3)
            variables = [x, y, z]
            got = derivatives(expr, variables, slopes)
            assert got == [derivative(expr, v) for v in variables], (seed, expr)
            nonzero += sum(d != 0 for d in got)
        # tanh's slope is the node's own: 1 - tanh(u)**2, as SymPy writes it
        u = x * y - z / 2
        assert derivatives(sp.tanh(u) * sp.sin(u), [x, z]) == \
            [sp.diff(sp.tanh(u) * sp.sin(u), v) for v in (x, z)]
    assert nonzero > 150  # most of them depend on the variables
    assert any(isinstance(k[0], sp.tanh) for k in slopes)


def _has_cleaned_node(expr: sp.Basic) -> bool:
    return any(p.is_Pow and (not p.exp.is_Number or p.exp == -2 and p.base.is_Add and
                             len(p.base.args) == 2) for p in sp.preorder_traversal(expr))


def test_kinds_are_what_has_finds():
    m = Size(x)
    plumbing = SumTo(x * y, z)
    samples = [masks.Where(masks.IsLess(x, y), x, 0) * y, sp.exp(x) / (1 + sp.exp(x)) ** 2,
               x ** y + 1, sp.DiracDelta(x) * y, m * x + 1, plumbing * 2, x * y, static(3)]
    samples += [_random_expression(random.Random(seed), 3) for seed in range(150)]
    for expr in samples:
        bits = kinds(expr)
        assert bool(bits & WHERE) == expr.has(masks.Where), expr
        assert bool(bits & META) == any(isinstance(n, _Meta) for n in sp.preorder_traversal(expr))
        assert bool(bits & PLUMBING) == any(isinstance(n, _PLUMBING)
                                            for n in sp.preorder_traversal(expr))
        assert bool(bits & CLEAN) == (expr.has(masks.Where) or expr.has(sp.DiracDelta) or
                                      _has_cleaned_node(expr)), expr
    assert [bool(kinds(e) & CLEAN) for e in samples[:4]] == [True] * 4
    assert kinds(m * x + 1) & META and kinds(plumbing * 2) & PLUMBING


def test_clean_changes_nothing_the_clean_gate_lets_by():
    # the sweep calls simplify.clean only where kinds says it may rewrite something
    g = sp.Symbol("g", real=True)
    seen = 0
    with distribute(False):
        for seed in range(300):
            expr = _random_expression(random.Random(seed), 3)
            for var in (x, y):
                c = g * derivative(expr, var)
                if not kinds(c) & CLEAN:
                    seen += 1
                    assert clean(c) == c, (seed, c)
    assert seen > 100
    # and it lets by none of what clean rewrites: a logistic slope, a symbolic power, a
    # where, a DiracDelta
    with distribute(False):
        for expr in (1 / (1 + sp.exp(-x)), x ** y, masks.Where(masks.IsLess(x, 0), 0, x ** 2),
                     sp.sign(x) * x):
            c = g * sp.diff(expr, x)
            assert clean(c) != c and kinds(c) & CLEAN, c


def test_select_by_masks_gives_a_term_without_a_mask_back_as_it_is():
    term = x * sp.log(y) * 3
    assert select_by_masks(term, x + y) is term
    # a slope's mask times something that can be infinite is selected
    m = masks.IsLess(x, y)
    assert select_by_masks(m * sp.log(y), x + y) == masks.Where(m, sp.log(y), 0)
