"""Random compositions of symgrad's elementwise forms (where, maximum, abs, pow,
scipy.special's, ...) over three real symbols: the nodes the adjoint gives the chain rule
and the sweep's shortcuts, for the property tests that compare them with SymPy's; and
random arithmetic (`random_arithmetic`)."""

from __future__ import annotations

import random

import sympy as sp

from symgrad.rules import elementwise as ew
from symgrad.rules.registry import _BY_NAME

x, y, z = sp.symbols("x y z", real=True)
_NAMES = sorted(n for n, e in _BY_NAME.items() if e.form is not None)
_LEAVES = [sp.Integer(2), sp.Integer(-1), sp.Rational(1, 2), sp.Rational(-3, 2), sp.pi]


def random_form(r: random.Random, depth: int, arithmetic: bool = False) -> sp.Basic:
    """A random expression of depth ``depth``; ``arithmetic``: with sums, products and
    tanh of them too (the same seed gives another expression then)."""
    if depth == 0:
        return r.choice([x, y, z]) if r.random() < 0.6 else r.choice(_LEAVES)
    if arithmetic:
        roll = r.random()
        if roll < 0.15:
            return random_form(r, depth - 1, True) + random_form(r, depth - 1, True)
        if roll < 0.3:
            return random_form(r, depth - 1, True) * random_form(r, depth - 1, True)
        if roll < 0.4:
            return sp.tanh(random_form(r, depth - 1, True))
    name = r.choice(_NAMES)
    args = [random_form(r, depth - 1, arithmetic) for _ in range(ew.arity(name))]
    try:
        return ew.sympy_form(name, *args)
    except Exception:  # a form refusing these arguments (a constant where it wants a symbol)
        return args[0]


w = sp.Symbol("w", real=True)
u = sp.Symbol("u")  # (no assumptions)
_ATOMS = [x, y, z, w, u]
_NUMBERS = [sp.Integer(2), sp.Integer(-1), sp.Rational(1, 2), sp.Float(0.5), sp.Float(-2.0),
            sp.Integer(3), sp.pi, sp.sqrt(2), sp.S.Half, sp.Float(1.0)]


def _leaf(rng: random.Random) -> sp.Expr:
    return rng.choice(_ATOMS)


def _node(rng: random.Random, depth: int) -> sp.Expr:
    if depth <= 0 or rng.random() < 0.25:
        return _leaf(rng) if rng.random() < 0.85 else rng.choice(_NUMBERS)
    kind = rng.randrange(7)
    a, b = _node(rng, depth - 1), _node(rng, depth - 1)
    if kind == 0:
        return sp.Add(*[_node(rng, depth - 1) for _ in range(rng.randint(2, 4))])
    if kind == 1:
        return sp.Mul(*[_node(rng, depth - 1) for _ in range(rng.randint(2, 4))])
    if kind == 2:
        return rng.choice([sp.tanh, sp.sin, sp.exp, sp.cos])(a)
    if kind == 3:
        return a ** rng.choice([2, -1, -2, sp.Rational(1, 2), y])
    if kind == 4:
        return rng.choice(_NUMBERS) * a + b
    if kind == 5:
        return rng.choice(_NUMBERS) * a * b
    return a - b


def random_arithmetic(rng: random.Random) -> sp.Expr:
    """A random expression of sums, products, powers, tanh, sin, exp and cos of numbers
    and five symbols (one with no assumptions), for the tests of codegen's copies of
    SymPy's evaluation and ordering (SymPy can recurse without end making ``sin(a - b)``
    under ``distribute(False)``: those are drawn again)."""
    while True:
        try:
            return _node(rng, 4)
        except RecursionError:
            continue
