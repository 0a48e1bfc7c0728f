"""cse's rebuild makes a sum or product of arguments that combine with none of the others
without evaluating it (``symgrad.cse.rebuilt``): the node made must be SymPy's own,
``expr.func(*new_args)``, argument for argument, on random sums and products with some
arguments replaced (by fresh symbols, as cse's temporaries, or other expressions), and the
cse of random expressions must be SymPy's."""

from __future__ import annotations

import itertools
import random

import pytest
import sympy as sp
from cse_reference import sympys_cse
from random_forms import random_arithmetic as _tree
from random_forms import random_form
from sympy.core.parameters import distribute

from symgrad.cse import _sorted_args, cse

TEMP_NAMES = ["t0", "t1", "t7", "a0", "zz", "x0", "y1", "_t", "T3"]


def _cases(seed: int, count: int) -> list[tuple[sp.Expr, list]]:
    """Sums and products, each with some of its compound arguments replaced by fresh
    symbols (named to fall anywhere in the order of the others) or, in one of three,
    by other random expressions."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        e = _tree(rng)
        nodes = [n for n in sp.preorder_traversal(e) if type(n) in (sp.Add, sp.Mul)]
        for n in nodes:
            compound = [i for i, a in enumerate(n.args) if a.args]
            if not compound:
                continue
            chosen = rng.sample(compound, rng.randint(1, len(compound)))
            names = [f"{rng.choice(TEMP_NAMES)}_{k}" for k in range(len(chosen))]
            if rng.random() < 0.33:
                new = {i: _tree(rng) for i in chosen}
            else:
                new = {i: sp.Symbol(nm, real=rng.random() < 0.8) for i, nm in
                       zip(chosen, names, strict=True)}
            out.append((n, [new.get(i, a) for i, a in enumerate(n.args)]))
    return out


@pytest.mark.parametrize("distributing", [False, True])
def test_a_node_made_of_its_arguments_again_is_sympys(distributing):
    made = 0
    with distribute(distributing):
        for expr, new_args in _cases(3 + distributing, 4000):
            try:
                theirs = expr.func(*new_args)
            except RecursionError:
                continue
            ours = _sorted_args(expr, list(new_args))
            if ours is not None:
                made += 1
                assert type(ours) is type(theirs) and ours.args == theirs.args, (expr, new_args)
                assert ours == theirs and hash(ours) == hash(theirs)
    assert made > 1000  # (most are made so: the test cannot pass by never making one)


def test_arguments_that_combine_are_evaluated():
    x, y = sp.symbols("x y", real=True)
    e = x * sp.sin(y)
    assert _sorted_args(e, [x, x]) is None  # x*x is x**2
    assert _sorted_args(e, [x, x ** 2]) is None
    assert _sorted_args(e, [sp.exp(x), sp.exp(y)]) is None  # exp(x + y)
    assert _sorted_args(x + sp.sin(y), [x, 2 * x]) is None  # 3*x
    assert _sorted_args(x + sp.sin(y), [x, y + 1]) is None  # x + y + 1
    assert _sorted_args(e, [sp.Integer(2), x + y]) is None  # 2*x + 2*y, distributing


@pytest.mark.parametrize("seed", range(4))
def test_cse_is_sympys_on_random_expressions(seed, monkeypatch):
    rng = random.Random(seed)
    base = [_tree(rng) for _ in range(30)] + [random_form(rng, 3, True) for _ in range(10)]
    exprs = base + [b * rng.choice(base) + rng.choice(base) for b in base]
    with distribute(False):
        ours = cse(exprs, sp.numbered_symbols("t", real=True))
        theirs = sympys_cse(exprs, monkeypatch)
    assert theirs[0]
    assert ours == theirs


def test_named_temporaries_are_sympys_xreplace():
    """codegen's `_name_temps` renames temporaries as ``xreplace`` does (its nodes made
    by `with_fresh_symbols` where they can be)."""
    from symgrad.adjoint.program import Stmt
    from symgrad.codegen import _name_temps

    rng = random.Random(11)
    temps = sp.symbols("t0:12", real=True)
    exprs = [_tree(rng) for _ in range(40)]
    replacements = [(t, exprs[i]) for i, t in enumerate(temps)]
    # expressions that read the temporaries, as cse leaves them
    reduced = [(_tree(rng) + rng.choice(temps)) * rng.choice(temps) + rng.choice(exprs[:3]) *
               rng.choice(temps) for _ in range(30)]
    reduced += [sp.tanh(rng.choice(temps) - rng.choice(temps)) + e for e in exprs[12:]]
    # value names that sort before, between and after the others
    inlined = {exprs[i]: name for i, name in enumerate(["a", "b_", "v3", "zz", "t00", "m"])}
    stmts = [Stmt(f"out{i}", e, []) for i, e in enumerate(reduced)]
    memo: dict = {}
    ours = _name_temps(replacements, reduced, stmts, "x, y", inlined, memo)
    rename = {t: sp.Symbol(inlined[e], real=True) for t, e in replacements if e in inlined}
    assert len(rename) == 6
    theirs = ([(rename.get(t, t), e.xreplace(rename)) for t, e in replacements],
              [e.xreplace(rename) for e in reduced])
    assert ours == theirs
    for a, b in zip(ours[1], theirs[1], strict=True):
        assert sp.srepr(a) == sp.srepr(b)
    assert _name_temps(replacements, reduced, stmts, "x, y", inlined, memo) == theirs


def test_matrices_are_found_as_has_finds_them():
    from sympy.matrices.expressions import MatrixExpr

    from symgrad.cse import _has_matrix

    x, y = sp.symbols("x y", real=True)
    m = sp.MatrixSymbol("M", 2, 2)
    cases = [[x + y], [x * sp.tanh(y), (x + y) ** 2], [x + sp.Trace(m * m)], [m[0, 1] * x],
             [x, sp.exp(sp.Trace(m)) + y, x * y], [sp.tanh(x + y) * (x + y)]]
    for exprs in cases:
        assert _has_matrix(exprs) == any(e.has(MatrixExpr) for e in exprs), exprs
    assert _has_matrix(cases[2]) and not _has_matrix(cases[1])


def test_a_product_of_some_factors_is_sympys():
    """`symgrad.cse.product` (the printer's product of a product's array factors) is
    ``Mul(*factors)``, on random subsets of random products' factors."""
    from symgrad.cse import _plain, product

    rng = random.Random(5)
    made = 0
    for _ in range(600):
        e = _tree(rng)
        for n in sp.preorder_traversal(e):
            if type(n) is not sp.Mul:
                continue
            factors = list(n.as_coeff_mul()[1])
            some = [f for f in factors if rng.random() < 0.7] or factors[:1]
            try:
                theirs = sp.Mul(*some)
            except RecursionError:
                continue
            ours = product(some)
            assert type(ours) is type(theirs) and ours.args == theirs.args, (n, some)
            made += len(some) > 1 and _plain(tuple(some), sp.Mul)  # (made without flatten)
    assert made > 200


def _tree_of(e):
    """``e``'s classes and atoms, all the way down (``==`` takes 1.0 for 1, -0.0 for 0.0)."""
    if not isinstance(e, sp.Basic) or not e.args:
        return (type(e).__name__, repr(e), getattr(e, "_mpf_", None))
    return (type(e).__name__,) + tuple(_tree_of(a) for a in e.args)


def test_arguments_that_combine_or_are_odd_are_evaluated_as_sympy_does():
    """`symgrad.cse.rebuilt` is ``Add(*args)`` / ``Mul(*args)`` for every pair (and a sample
    of triples) from a pool of arguments that combine (x and 2*x, x and -x, exp(a)*exp(b),
    sqrt(x)*sqrt(x), x**a*x**b, numbers), numbers SymPy treats apart (1, 0.0, -0.0, oo, zoo,
    nan, I, pi), non-commuting symbols, Dummy, Piecewise, symgrad's where, and sums."""
    from symgrad.cse import product, rebuilt
    from symgrad.rules import masks

    x, y, a, b = sp.symbols("x y a b", real=True)
    f = sp.Function("f")
    d = sp.Dummy("x")
    pool = [x, 2 * x, -x, x * y, -x * y, 2.5 * x, sp.S.Half * x, sp.exp(a), sp.exp(b),
            sp.exp(-a), sp.sqrt(x), x ** a, x ** b, x ** 2, 1 / x, sp.Float(2.0), sp.S(3),
            sp.Float(-0.0), sp.Float(0.0), sp.S.One, sp.S.NegativeOne, sp.Float(1.0), sp.I,
            sp.pi, sp.oo, -sp.oo, sp.zoo, sp.nan, sp.E, sp.Symbol("n", commutative=False),
            sp.Piecewise((x, y > 0), (a, True)), sp.Abs(x), sp.sign(x), f(x), f(y),
            sp.Max(x, y), d, 2 * d, x + y, a - b, -(a + b), sp.sqrt(2), 2 ** x,
            sp.Mul(x, 2, evaluate=False), x ** y, y ** x, sp.sin(x) ** 2,
            masks.Where(masks.IsLess(x, y), x, y), sp.exp(2 * x)]
    rng = random.Random(3)
    cases = [list(p) for p in itertools.permutations(pool, 2)]
    cases += [rng.sample(pool, 3) for _ in range(4000)]
    checked = 0
    for kind in (sp.Add, sp.Mul):
        for new in cases:
            fresh = kind(*sp.symbols(f"q0:{len(new)}"))
            try:
                theirs = kind(*new)
            except TypeError:
                continue
            assert _tree_of(rebuilt(fresh, new)) == _tree_of(theirs), (kind, new)
            if kind is sp.Mul and not new[0].is_Number:
                assert _tree_of(product(new)) == _tree_of(theirs), new
            checked += 1
    assert checked > 9000
