"""simplify_adjoint's answers remembered per shape (``frontend.renaming``) against the
plain SymPy computation, on random adjoint-like sums renamed in ways that keep the order
of names (the ones remembered) and that do not; and ``factor_terms.ShapeFacts``, the
yes/no checks remembered per shape, against asking each node.
"""

from __future__ import annotations

import random

import pytest
import sympy as sp
from random_forms import random_form
from sympy.core.parameters import distribute
from test_simplify_equivalence import _reference_simplified

from symgrad import factor_terms as ft
from symgrad import simplify
from symgrad.frontend import renaming
from symgrad.rules.base import free_symbols

# names whose orders differ: by name, and sympy.factor's (single letters first, the
# digits ending a name read as a number: v9 before v10), upper case before lower
_NAMES = ["a", "b", "e", "g", "k", "t", "x", "y", "z", "X", "Y", "v9", "v10", "v11",
          "v100", "w2", "w10", "grad_v9", "grad_v10", "grad_out", "h_1", "h_12"]
_COEFFICIENTS = [sp.Integer(1), sp.Integer(-1), sp.Rational(1, 2), sp.Rational(-3, 4),
                 sp.Integer(2), sp.Float(0.5)]


def _adjoint_like(r: random.Random) -> sp.Expr:
    """A sum of cotangents times random derivatives, as the sweep simplifies."""
    terms = []
    for i in range(r.randint(1, 3)):
        g = sp.Symbol(f"g{i}", real=True)
        terms.append(r.choice(_COEFFICIENTS) * g * random_form(r, r.randint(0, 2), True))
    return sp.Add(*terms)


def _renamed(r: random.Random, expr: sp.Expr, keep_order: bool) -> sp.Expr:
    symbols = sorted(free_symbols(expr), key=lambda s: s.name)
    names = r.sample(_NAMES, len(symbols))
    if keep_order:
        names.sort()
    return expr.xreplace({s: sp.Symbol(n, real=True) for s, n in zip(symbols, names,
                                                                        strict=True)})


@pytest.fixture
def recalls(monkeypatch):
    """How many answers simplify_adjoint took from a shape."""
    count = [0]
    original = renaming.recalled

    def counting(*args):
        count[0] += 1
        return original(*args)

    monkeypatch.setattr(renaming, "recalled", counting)
    return count


def test_answers_by_shape_are_the_plain_computation(recalls):
    r = random.Random(3)
    with distribute(False):
        for _ in range(120):
            expr = _adjoint_like(r)
            if not isinstance(expr, sp.Expr) or expr.is_Atom:
                continue
            for keep_order in (True, True, False, True, True, False):
                e = _renamed(r, expr, keep_order)
                got = simplify.simplify_adjoint(e)
                want = _reference_simplified(e)
                assert got == want, (e, got, want)
                assert str(got) == str(want)
    assert recalls[0] > 50  # (the check covers remembered answers)


def test_factors_order_of_generators_is_part_of_the_shape(recalls):
    # g*(x - y)**2 is shorter than its expansion: sympy.factor's answer is taken, and
    # it writes the square with its first generator positive; v9 comes before v10 and
    # v11 there, after them by name
    with distribute(False):
        for names in (["g", "x", "y"], ["a", "b", "c"], ["e", "k", "t"], ["v10", "v11", "v9"],
                      ["w10", "w11", "w9"], ["h10", "h11", "h9"], ["u10", "u11", "u9"]):
            g, x, y = sp.symbols(names, real=True)
            e = g * (x**2 - 2 * x * y + y**2)
            assert simplify.simplify_adjoint(e) == _reference_simplified(e), names
        g, x, y = sp.symbols("v10 v11 v9", real=True)
        assert simplify.simplify_adjoint(g * (x**2 - 2 * x * y + y**2)) == g * (y - x)**2
        keys = {simplify._shape(sp.Symbol(a, real=True) * (sp.Symbol(b, real=True) - 1), False)[0]
                for a, b in (("a", "b"), ("v10", "v9"), ("v10", "v11"))}
        assert len(keys) == 2  # (the same renamed, told apart by factor's order)
    assert recalls[0] >= 2  # (u and h: answered from v and w)


def test_shape_facts_are_the_asked_answers():
    memo = ft._Memo()
    r = random.Random(8)
    asked = 0
    with distribute(False):
        for _ in range(150):
            expr = _renamed(r, _adjoint_like(r), keep_order=r.random() < 0.8)
            for node in sp.preorder_traversal(expr):
                if node.is_Atom or not isinstance(node, sp.Expr):
                    continue
                assert memo.rebuilds(node) == (node.func(*node.args) == node), node
                if node.is_Pow or isinstance(node, sp.exp):
                    assert memo.refiles(node) == ft._refiled(node), node
                asked += 1
    confirmed = [k for k, v in memo.rebuilds.known.items()
                 if v is not renaming.UNSAFE and v[1]]
    assert asked > 500 and len(confirmed) > 20


def test_a_shape_answered_two_ways_is_asked_each_time():
    # a question whose answer depends on names, not on the shape: never taken from it
    asked = []

    def ask(e):
        asked.append(e)
        return any(s.name.endswith("0") for s in e.free_symbols)

    facts = ft.ShapeFacts(ask)
    a0, b, c, d, e0, f, p, q = sp.symbols("a0 b c d e0 f p q", real=True)
    assert facts(sp.sin(a0 * b)) is True
    assert facts(sp.sin(c * d)) is False  # (the second: the shape is distrusted)
    assert facts(sp.sin(e0 * f)) is True
    assert len(asked) == 3
    # and a shape answered alike twice is answered from then on
    same = ft.ShapeFacts(lambda e: e.func(*e.args) == e)
    for u, v in ((b, c), (d, f), (p, q)):
        assert same(sp.cos(u - 2 * v)) is True
    assert same.known[renaming.shape(sp.cos, (p - 2 * q,))[0]] == [True, True]


def test_names_factor_orders_alike_are_not_answered_by_shape():
    # sympy.factor's order of generators ties x and x0 (one name, one number: 0 is no
    # digit at all) and keeps them in its set's order, their hashes': which of them is
    # written first in g*(x - x0)**2 is not an order of names, and no shape may answer it
    # (each pair here is the plain computation, whatever the hash seed)
    pairs = [(c, c + suffix) for c in "abcdefhkmnpqrstuwxyz" for suffix in ("0", "00")]
    pairs += [("x1", "x01"), ("v2", "v02"), ("h_1", "h_01")]
    assert simplify._gens_tie(sp.symbols("x x0", real=True))
    assert not simplify._gens_tie(sp.symbols("x x1 v9 v10", real=True))
    with distribute(False):
        for a, b in pairs:
            g, x, y = sp.symbols(["g", a, b], real=True)
            e = g * (x**2 - 2 * x * y + y**2)
            assert simplify._shape(e, False) is None
            got, want = simplify.simplify_adjoint(e), _reference_simplified(e)
            assert str(got) == str(want), (a, b, got, want)
            assert str(simplify._factor(e)) == str(sp.factor(e)), (a, b)
