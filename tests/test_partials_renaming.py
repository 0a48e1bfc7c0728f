"""The sweep's partials and their products with the cotangent, renamed from an earlier
statement of the same shape (``derivative.scaled_derivatives`` through
``renaming.value_of``), are exactly what the chain rule and SymPy build for each statement:
on names in every order, on SymPy's forms of numpy's functions and on random compositions;
and a shape whose value is not its first operation's renamed is never trusted."""

from __future__ import annotations

import random

import random_forms
import sympy as sp
from random_forms import x, y, z
from sympy.core.parameters import distribute

from symgrad import derivative
from symgrad.frontend import renaming

NAMES = ("v9", "v10", "x_1", "x1", "X", "xa", "A", "a", "B_", "b", "grad_x", "grad_y",
         "grad_", "_t", "t0", "t00", "T_0", "Z", "z", "h_3", "h_30", "dx", "x_", "out")
FACTS = ("is_positive", "is_zero", "is_nonnegative", "is_finite", "is_extended_negative")


def _templates(s0, s1, s2):
    half, two = sp.Rational(1, 2), sp.Float(2.0)
    return [sp.tanh(s0 + s1), sp.tanh(s1 - s0), s0 * sp.sin(s1), sp.sin(s0) * sp.tanh(two * s1),
            half * s0 + half * sp.cos(s1), s1 * sp.exp(-s0 ** 2), s0 * s1 * s2,
            (s0 - s1) * sp.sin(s2) / 2, sp.tanh(s0 * s1 + s2), sp.sqrt(s0 - s1),
            sp.log(sp.sqrt(s0 * s1)), s0 ** s1, sp.Abs(s0 - s1) * s2, sp.atan(s0 - 2 * s1),
            sp.exp(s0 - s1) * sp.exp(s2), s0 * s1 / (two + s0), (s0 - s1) ** 2 / 4,
            sp.cosh(s1 - s0) * s2 + s0, sp.erf(s0 * s1) - s2, 1 / sp.sqrt((s0 - s1) ** 2 + 1),
            # (partials that put names side by side the expression did not: cos(s0)*cos(s1))
            sp.sin(s0) * sp.cos(s1), sp.cos(s2) * sp.sin(s0) * s1, sp.exp(s0) * sp.exp(s1 * s2)]


def _form(seed, names):
    """``random_form``'s expression of ``seed`` on ``names`` for its x, y, z (drawn as
    SymPy builds it under the sweep's ``distribute(False)``); None: not SymPy's nodes only
    (the shapes take no part) or none of the names."""
    saved = random_forms.x, random_forms.y, random_forms.z
    random_forms.x, random_forms.y, random_forms.z = names
    try:
        form = random_forms.random_form(random.Random(seed), 3, arithmetic=True)
    finally:
        random_forms.x, random_forms.y, random_forms.z = saved
    return form if renaming.native(form) and form.free_symbols else None


def _direct(g, expr, variables):
    """What the sweep built before: each partial by the chain rule, times ``g``."""
    return [(d, sp.Integer(0) if d == 0 else g * d)
            for d in derivative.derivatives(expr, variables, {})]


def _cotangent(rng, expr):
    g = sp.Symbol(rng.choice(("grad_v1", "grad_h_3", "g", "zz", "A_grad")), real=True)
    roll = rng.random()
    if roll < 0.2:
        return g * sp.Rational(-1, 2)
    if roll < 0.3:  # (a cotangent of a name the expression reads: SymPy merges them)
        return sorted(expr.free_symbols, key=str)[0] * g
    return g


def _check(rng, expr, seen):
    variables = sorted(expr.free_symbols, key=str)
    rng.shuffle(variables)
    g = _cotangent(rng, expr)
    got = derivative.scaled_derivatives(g, expr, variables, {})
    want = _direct(g, expr, variables)
    # (== sees the order of a sum's terms and a product's factors; srepr sorts them)
    assert got == want, (g, expr, variables)
    seen.extend(c for _, c in got[:1])


def _trusted():
    return sum(isinstance(v, renaming.Shape) and v.checked and isinstance(k[0], tuple) and
               k[0][0] is derivative.scaled_derivatives for k, v in renaming.SHAPES.items())


def test_renamed_partials_are_the_chain_rules():
    rng = random.Random(3)
    seen: list = []
    with distribute(False):
        renaming.SHAPES.clear()
        count = len(_templates(*sp.symbols("p q r", real=True)))
        for _ in range(8):  # (names in many orders: the first two of a shape make it trusted)
            for index in range(count):
                names = [sp.Symbol(n, real=True) for n in rng.sample(NAMES, 3)]
                _check(rng, _templates(*names)[index], seen)
        assert _trusted() > 10
        sp.core.cache.clear_cache()  # (built afresh: no node shares what SymPy found)
        for c in seen[::4]:
            fresh = sp.sympify(sp.srepr(c))
            assert [getattr(c, f) for f in FACTS] == [getattr(fresh, f) for f in FACTS], c
    renaming.SHAPES.clear()


def test_renamed_partials_of_random_forms():
    rng = random.Random(11)
    with distribute(False):
        renaming.SHAPES.clear()
        seeds = [s for s in range(200) if _form(s, (x, y, z)) is not None][:60]
        for _ in range(4):  # each form on other names: the same shape or another
            for seed in seeds:
                form = _form(seed, [sp.Symbol(n, real=True) for n in rng.sample(NAMES, 3)])
                if form is not None:
                    _check(rng, form, [])
        assert _trusted() > 5
    renaming.SHAPES.clear()


def _shortest_name(*symbols):
    return min(symbols, key=lambda s: (len(s.name), s.name))


def test_a_value_that_depends_on_more_than_the_order_of_names_is_refused():
    """``value_of`` of an operation that reads the names themselves: the second operation
    finds the first's value renamed is not its own, and every later one is computed."""
    a, bb, cc, d = (sp.Symbol(n, real=True) for n in ("a", "bb", "cc", "d"))
    renaming.SHAPES.clear()
    calls = []

    def value(*args):
        shaped = renaming.shape_of("shortest", args)
        return renaming.value_of(shaped, args, lambda: calls.append(args) or
                                 _shortest_name(*args))

    assert value(a, bb) == a  # (remembered as the first probe)
    assert value(cc, d) == d  # (the second probe: not the first renamed)
    assert renaming.SHAPES[renaming.shape_of("shortest", (a, bb))[0]] is renaming.UNSAFE
    for args in [(a, bb), (cc, d), (a, d)]:
        assert value(*args) == _shortest_name(*args)
    assert len(calls) == 5
    renaming.SHAPES.clear()


def test_partials_of_a_shape_that_does_not_rename_are_computed(monkeypatch):
    """A chain rule whose value depended on the names (forced here): no statement gets
    another's partials renamed, each gets its own."""
    def named(expr, variables, slopes):
        return [derivative.chain_rule(expr, v) * len(v.name) for v in variables]

    monkeypatch.setattr(derivative, "derivatives", named)
    renaming.SHAPES.clear()
    with distribute(False):
        g = sp.Symbol("grad_t", real=True)
        for first, second in [("a", "bb"), ("cc", "d"), ("eee", "f"), ("g1", "hh"), ("a", "bb")]:
            s0, s1 = sp.Symbol(first, real=True), sp.Symbol(second, real=True)
            expr = sp.tanh(s0 + s1)
            got = derivative.scaled_derivatives(g, expr, [s0, s1])
            assert got == [(d, g * d) for d in named(expr, [s0, s1], {})], (first, second)
    assert _trusted() == 0
    renaming.SHAPES.clear()
