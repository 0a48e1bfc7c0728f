"""Random compositions of symgrad's elementwise forms (where, maximum, abs, pow,
scipy.special's, ...) over three real symbols: the nodes the adjoint gives the chain rule
and the sweep's shortcuts, for the property tests that compare them with SymPy's."""

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
