"""exact.combine's values of a shape renamed (frontend/renaming.py) are SymPy's own.

A shape's value is computed once on probe symbols and renamed for every operation of the
same shape; these operations, on names in every order (SymPy's sign rule ``tanh(b - a) =
-tanh(a - b)`` depends on which name sorts first), must get exactly what SymPy evaluates.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import sympy as sp
from random_forms import random_form
from sympy.core.parameters import distribute

import symgrad
from symgrad.frontend import exact, renaming

FUNCTIONS = [sp.tanh, sp.sin, sp.cos, sp.exp, sp.sinh, sp.Abs, sp.sign, sp.log, sp.atan,
             sp.erf]


def _templates(s0, s1, s2):
    half = sp.Rational(1, 2)
    return [s0, -s0, 2.0 * s0, s0 - s1, s1 - s0, -s0 - s1, half * (s0 - s1),
            s0 * s1 - s2, -s0 * s1 + s2, s0 + half * (s1 - s2), -(s0 ** 2), s0 ** 2 - s1,
            sp.Float(-2.0) * s0 * s1, s0 - half * s1 - half * s2, sp.exp(-s0 ** 2) * s1]


def _as_sympy(func, args):
    value = exact.evaluated(func, *args)
    return value if exact._keeps(func, args, value) else None


def _names(rng, n):
    pool = ["a", "b", "c", "x", "y", "z", "v1", "v10", "v2", "w_0", "out", "h_3"]
    return [sp.Symbol(n, real=True) for n in rng.sample(pool, n)]


@contextmanager
def _fresh_tables() -> Iterator[None]:
    """The lowering's parameters (distribute(False)), with no shape or value remembered."""
    with distribute(False):
        renaming.SHAPES.clear()
        exact._COMBINED.clear()
        yield


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_each_renaming_is_sympys_value(func):
    rng = random.Random(0)
    with _fresh_tables():
        for index in range(len(_templates(*sp.symbols("p q r", real=True)))):
            for _ in range(12):  # names in many orders: the first two make the shape trusted
                arg = _templates(*_names(rng, 3))[index]
                assert exact.combine(func, arg) == _as_sympy(func, (arg,)), (func, arg)
        assert any(isinstance(v, renaming.Shape) and v.checked
                   for v in renaming.SHAPES.values())


def test_products_with_an_exp_renamed():
    rng = random.Random(1)
    with _fresh_tables():
        for _ in range(40):
            s0, s1, s2 = _names(rng, 3)
            for a, b in itertools.permutations([sp.exp(-(s0 - s1) ** 2 / 4), s2 * s0, s1], 2):
                assert exact.combine(sp.Mul, a, b) == _as_sympy(sp.Mul, (a, b)), (a, b)


def test_a_shape_whose_value_is_not_renamed_is_never_trusted():
    x, y = sp.symbols("x y", real=True)
    key, symbols = renaming.shape(sp.tanh, (x - y,))
    renaming.SHAPES.clear()
    renaming.remember(key, (x - y,), symbols, sp.tanh(x - y))
    known = renaming.SHAPES[key]
    renaming.confirm(key, known, symbols, sp.tanh(x))  # (not the first value renamed)
    assert renaming.SHAPES[key] is renaming.UNSAFE
    renaming.SHAPES.clear()


def test_symgrads_nodes_and_other_symbols_take_no_part():
    x = sp.Symbol("x", real=True)
    assert renaming.shape(sp.tanh, (sp.Symbol("x"),)) is None  # not real
    assert renaming.shape(sp.tanh, (sp.Dummy(real=True),)) is None
    assert renaming.shape(sp.Max, (x, 2 * x)) is None  # (not one of SymPy's functions)
    assert renaming.shape(sp.tanh, (sp.Integer(2),)) is None  # numbers: no names


def test_a_long_function_gets_the_same_gradient():
    lines = ["def f(x, y):", "    v0 = np.tanh(x - y)"]
    for i in range(1, 40):  # the same shapes, on names in both orders
        a, b = (f"v{i - 1}", "x") if i % 2 else ("y", f"v{i - 1}")
        lines.append(f"    v{i} = np.tanh({a} - {b}) * np.exp(-{b} ** 2) + np.sin(2.0 * {a})")
    lines.append("    return np.sum(v39)")
    space = {"np": np}
    exec(compile("\n".join(lines) + "\n", "<long>", "exec"), space)  # noqa: S102
    f = space["f"]
    f.__module__ = __name__
    import inspect
    import linecache

    linecache.cache["<long>"] = (0, None, [ln + "\n" for ln in lines], "<long>")
    assert inspect.getsource(f)
    x, y = np.linspace(-1, 1, 4), np.linspace(0.5, -0.5, 4)
    gx, gy = symgrad.grad(f, wrt=("x", "y")).grad(x, y)
    eps = 1e-6
    for i in range(4):
        d = np.zeros(4)
        d[i] = eps
        assert gx[i] == pytest.approx((f(x + d, y) - f(x - d, y)) / (2 * eps), rel=1e-5,
                                      abs=1e-7)
        assert gy[i] == pytest.approx((f(x, y + d) - f(x, y - d)) / (2 * eps), rel=1e-5,
                                      abs=1e-7)


def _operands(s0, s1, s2):
    """A statement's operands: names, numbers and the small values the lowering builds of
    them (products, sums, powers, calls), with like terms and factors among them."""
    half = sp.Rational(1, 2)
    return [s0, s1, sp.Float(2.0), sp.Integer(-1), half, sp.Float(0.5), -s0, 2.0 * s0,
            s0 * s1, s0 - s1, s1 - s0, half * (s0 - s2), s0 ** 2, 1 / s1, s0 ** -2,
            sp.tanh(2.0 * s0), sp.sin(s1), sp.cos(s0) * half, sp.exp(-s0 ** 2), s0 ** half,
            sp.Abs(s2)]


@pytest.mark.parametrize("func", [sp.Add, sp.Mul, sp.Pow], ids=lambda f: f.__name__)
def test_each_statement_operation_renamed_is_sympys_value(func):
    """combine_written renames a small sum, product or power: on names in every order it
    gives what SymPy evaluates (and refuses what it refuses: ``x - x``, ``sqrt(x)**2``)."""
    rng = random.Random(2)
    with _fresh_tables():
        n = len(_operands(*sp.symbols("p q r", real=True)))
        for i, j in itertools.product(range(n), repeat=2):
            for _ in range(5):  # names in many orders: the first two make the shape trusted
                ops = _operands(*_names(rng, 3))
                a, b = ops[i], ops[j]
                if func is sp.Pow and (b.free_symbols or not b.is_Number):
                    continue  # (the lowering's powers: a number exponent, as here)
                assert exact.combine_written(func, a, b) == _as_sympy(func, (a, b)), (a, b)
        assert sum(isinstance(v, renaming.Shape) and v.checked
                   for k, v in renaming.SHAPES.items() if k[0][0] is func) > 20


def test_a_renamed_operation_is_the_same_tree():
    """Not only equal: the same arguments in the same order (what the printer prints)."""
    rng = random.Random(3)
    with _fresh_tables():
        for _ in range(60):
            s0, s1, s2 = _names(rng, 3)
            for a, b in [(2.0 * s0, s1 * s2), (s0 - s1, s2), (sp.tanh(2.0 * s0), sp.sin(s1))]:
                got = exact.combine_written(sp.Mul, a, b)
                assert sp.srepr(got) == sp.srepr(_as_sympy(sp.Mul, (a, b)))
                got = exact.combine_written(sp.Add, a, b)
                assert sp.srepr(got) == sp.srepr(_as_sympy(sp.Add, (a, b)))


def test_an_operation_renamed_only_under_the_lowerings_parameters():
    """A shape learned under distribute(False) is not recalled under distribute(True),
    where SymPy distributes a number over a sum."""
    a, b, c, d = sp.symbols("a b c d", real=True)
    renaming.SHAPES.clear()
    exact._COMBINED.clear()
    with distribute(False):
        for u, v in [(a, b), (b, c), (a, c)]:
            assert exact.combine_written(sp.Mul, sp.Integer(2), u + v) == \
                sp.Mul(2, u + v, evaluate=False)
    assert exact.combine_written(sp.Mul, sp.Integer(2), c + d) == 2 * c + 2 * d
    renaming.SHAPES.clear()


def test_a_large_operation_is_not_renamed():
    x, y, z = sp.symbols("x y z", real=True)
    big = sp.tanh(x * y + z) * sp.sin(x - y)
    with _fresh_tables():
        assert exact.combine_written(sp.Mul, big, z) == _as_sympy(sp.Mul, (big, z))
        assert not renaming.SHAPES  # (and combine renames no sum, product or power)
        assert exact.combine(sp.Mul, x, y) == x * y
        assert not renaming.SHAPES


def test_a_call_rebuilt_without_its_unevaluated_node():
    """exact.rebuilt_call(f, args) is rebuild(f(*args, evaluate=False)): the same value, or
    the same refusal (an argument SymPy would see through: sqrt(x)**2 as written)."""
    rng = random.Random(4)
    x, y = sp.symbols("x y", real=True)
    with sp.evaluate(False):
        as_written = [sp.sqrt(x) ** 2, x - x, sp.exp(sp.log(x)), 2 * x - x, x + 2.0]
    with distribute(False):
        exact._COMBINED.clear()
        for func in [*FUNCTIONS, sp.atan2]:
            arity = 2 if func is sp.atan2 else 1
            for _ in range(25):
                args = [rng.choice(as_written) if rng.random() < 0.3 else
                        random_form(rng, rng.randint(0, 2), arithmetic=True)
                        for _ in range(arity)]
                want = exact.rebuild(func(*args, evaluate=False))
                assert exact.rebuilt_call(func, args) == want, (func, args)
        assert exact.rebuilt_call(sp.tanh, [as_written[0]]) is None


def test_a_shape_is_keyed_by_sympys_global_parameters():
    # sin(-x) is -sin(x), but under evaluate(False); 2*(x + y) rebuilds itself, but
    # under distribute(True): a shape confirmed under one setting answers no other
    from symgrad import factor_terms as ft

    renaming.SHAPES.clear()
    exact._COMBINED.clear()
    a, b, c, d, q = sp.symbols("a b c d q", real=True)
    for s in (a, b):
        assert exact.combine(sp.sin, -s) == -sp.sin(s)
    with sp.evaluate(False):
        got = exact.combine(sp.sin, -q)
    assert sp.srepr(got) == sp.srepr(sp.sin(-q, evaluate=False))
    memo = ft._Memo()
    with distribute(False):
        for u, v in ((a, b), (b, c)):
            assert memo.rebuilds(sp.Mul(2, u + v, evaluate=False)) is True
    with distribute(True):
        node = sp.Mul(2, c + d, evaluate=False)
        assert memo.rebuilds(node) is (node.func(*node.args) == node) is False
    renaming.SHAPES.clear()


def test_probes_made_by_two_threads_at_once_are_distinct(monkeypatch):
    # two threads growing the probes at once must not both add the same number: the two
    # would be one symbol, and renaming would merge two names into one
    import threading
    import types

    barrier = threading.Barrier(2)

    def symbol(name, **kw):
        try:
            barrier.wait(timeout=0.5)  # (both threads here at once, where they can be)
        except threading.BrokenBarrierError:
            pass
        return sp.Symbol(name, **kw)

    saved = list(renaming._PROBES)
    monkeypatch.setattr(renaming, "sp", types.SimpleNamespace(Symbol=symbol))
    n = len(saved) + 3
    threads = [threading.Thread(target=renaming.probes, args=(n,)) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        made = renaming._PROBES[:n]
        assert len(set(made)) == len(made) == n
        assert [p.name for p in made] == sorted(p.name for p in made)
    finally:
        renaming._PROBES[:] = saved
