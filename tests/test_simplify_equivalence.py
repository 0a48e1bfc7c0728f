"""simplify_adjoint's fast steps give SymPy's own results, on the adjoints of real functions.

``symgrad.factor_terms`` is sympy.factor_terms memoised per subexpression with shortcuts
(and a function's arguments left as they are: ``sympys_factor_terms``);
``simplify._skeleton`` counts the factor skeleton's variables without building it, and
skips sympy.factor on monomials; ``simplify._factor`` remembers sympy.factor up to a
renaming of variables. Each is checked here against the plain SymPy computation
(simplify_adjoint as it was written before them) on every adjoint simplify_adjoint is
given while the corpus functions, the benchmark workloads and two synthetic
straight-line functions are transformed: not hand-picked expressions.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from sympy.core.parameters import distribute
from test_factor_terms_differential import sympys_factor_terms

import symgrad
from symgrad import api, simplify
from symgrad.factor_terms import factor_terms

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from transform_cost import synthetic_source  # noqa: E402


def _reference_skeleton(expr):
    """_factor_outside_functions's polynomial and held nodes, as it builds them."""
    held = {}

    def skeleton(e):
        if isinstance(e, (sp.Add, sp.Mul)) or e.is_Pow and e.exp.is_Integer:
            args = [skeleton(a) for a in e.args]
            return e.func(*args) if args != list(e.args) else e
        if e.is_Atom:
            return e
        if e not in held:
            held[e] = sp.Dummy(real=True)
        return held[e]

    return skeleton(expr), held


def _reference_simplified(expr):
    """simplify_adjoint before its fast steps: SymPy's factor_terms, count_ops, factor."""
    best = sympys_factor_terms(expr)
    ops = sp.count_ops(best)
    if ops < simplify._FACTOR_MAX_OPS:
        polynomial, held = _reference_skeleton(best)
        if len(polynomial.free_symbols) <= simplify._FACTOR_MAX_VARIABLES:
            factored = sp.factor(polynomial)
            factored = factored.xreplace({d: e for e, d in held.items()}) if held else factored
            if sp.count_ops(factored) < ops:
                best = factored
    return best


def _load_synthetic(tmp_path, n, seed):
    path = tmp_path / f"synth_eq_{n}_{seed}.py"
    path.write_text(synthetic_source(n, seed=seed))
    spec = importlib.util.spec_from_file_location(f"synth_eq_{n}_{seed}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.f


def _functions(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import corpus
    import workloads

    for case in corpus.CORPUS:
        yield case.fn, case.wrt, case.args(), case.seed() if case.seed else None
    for w in workloads.WORKLOADS.values():
        yield w.fn, w.wrt, tuple(workloads.make_args(w, w.sizes[0]).values()), None
    rng = np.random.default_rng(0)
    for n, seed in ((150, 11), (300, 12)):
        f = _load_synthetic(tmp_path, n, seed)
        yield f, ("x", "y"), (rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4)), None


@pytest.fixture(scope="module")
def adjoints(tmp_path_factory):
    """Every distinct (expression, distribute flag) simplify_adjoint simplifies."""
    seen: dict = {}
    original = simplify._simplified

    def recording(expr, flag):
        seen.setdefault((expr, flag), None)
        return original(expr, flag)

    simplify._simplified = recording
    # transformed now, not found in memory or on disk (where earlier tests in this
    # process put them: their adjoints would go unrecorded)
    cache_dir = os.environ.get("SYMGRAD_CACHE_DIR")
    os.environ["SYMGRAD_CACHE_DIR"] = "0"
    api._TRANSFORMS.clear()
    try:
        for fn, wrt, args, seed in _functions(tmp_path_factory.mktemp("eq")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    G = symgrad.grad(fn, wrt=wrt)
                    G.grad(*copy.deepcopy(args), **({} if seed is None else {"seed": seed}))
                except Exception:  # noqa: BLE001, S112 (a refusal: its adjoints still count)
                    continue
    finally:
        simplify._simplified = original
        if cache_dir is None:
            os.environ.pop("SYMGRAD_CACHE_DIR", None)
        else:
            os.environ["SYMGRAD_CACHE_DIR"] = cache_dir
    return list(seen)


def test_enough_real_adjoints_are_recorded(adjoints):
    assert len(adjoints) > 600
    assert {flag for _, flag in adjoints} == {False}  # (the pipeline's distribute(False))
    with distribute(False):
        changed = sum(sympys_factor_terms(e) != e for e, _ in adjoints)
    assert changed > 100  # (not only sums with nothing to take out)


def test_factor_terms_is_sympys_on_every_adjoint(adjoints):
    for expr, flag in adjoints:
        with distribute(flag):
            want = sympys_factor_terms(expr)
            got = factor_terms(expr)
        assert got == want, expr
        assert sp.srepr(got) == sp.srepr(want), expr


def test_factor_terms_is_sympys_on_subexpressions(adjoints):
    # the memo tables are filled by whole adjoints first; their parts are then looked up
    nodes = {n for expr, flag in adjoints if not flag for n in sp.preorder_traversal(expr)
             if isinstance(n, sp.Expr) and not n.is_Atom}
    with distribute(False):
        for n in sorted(nodes, key=sp.default_sort_key)[:3000]:
            assert factor_terms(n) == sympys_factor_terms(n), n


def test_skeleton_counts_the_built_polynomials_variables(adjoints):
    for expr, flag in adjoints:
        with distribute(flag):
            best = sympys_factor_terms(expr)
            polynomial, _ = _reference_skeleton(best)
            variables, monomial = simplify._skeleton(best)
            assert variables == len(polynomial.free_symbols), best
            assert monomial == (not polynomial.has(sp.Add)), best
            if monomial and variables <= simplify._FACTOR_MAX_VARIABLES:
                assert sp.count_ops(sp.factor(polynomial)) >= sp.count_ops(polynomial), best


def test_remembered_factor_is_sympys(adjoints):
    simplify._FACTORED.clear()
    polynomials = []
    for expr, flag in adjoints:
        with distribute(flag):
            polynomial, _ = _reference_skeleton(sympys_factor_terms(expr))
            if len(polynomial.free_symbols) <= simplify._FACTOR_MAX_VARIABLES:
                polynomials.append((polynomial, flag))
    for polynomial, flag in polynomials:
        with distribute(flag):
            assert simplify._factor(polynomial) == sp.factor(polynomial), polynomial
    # most were answered from memory: the check covers the remembered answers
    assert len(simplify._FACTORED) < len(polynomials) / 3


def test_simplify_adjoint_is_the_plain_sympy_computation(adjoints):
    for expr, flag in adjoints:
        with distribute(flag):
            got = simplify._simplified.__wrapped__(expr, flag)
            assert got == _reference_simplified(expr), expr


def test_factor_still_wins_where_it_is_shorter():
    # the shortcuts must leave the cases where sympy.factor is chosen: a square, and a
    # sum of fractions over one denominator
    g, x, y = sp.symbols("g x y", real=True)
    with distribute(False):
        for expr in (g * (x**2 + 2 * x * y + y**2), g * (1 - x / (x + 1))):
            out = simplify.simplify_adjoint(expr)
            assert out == _reference_simplified(expr)
            assert sp.count_ops(out) < sp.count_ops(sympys_factor_terms(expr)), out


def test_remembered_factor_tells_apart_orders_of_generators():
    # g*(x - a) and h*(k - e) are alike under the renaming that keeps SymPy's order
    # (a, g, x -> e, h, k), but sympy.factor orders its generators x, a, g and e, h, k:
    # it writes the first x - a, the second -(e - k)
    a, g, x, e, h, k = sp.symbols("a g x e h k", real=True)
    simplify._FACTORED.clear()
    with distribute(False):
        for polynomial in (g * (x - a), h * (k - e), g * (x**2 - a**2), h * (k**2 - e**2)):
            assert simplify._factor(polynomial) == sp.factor(polynomial), polynomial
        assert simplify._factor(h * (k - e)) == -h * (e - k)
        # and renamed with all orders kept, the answer is remembered
        y, z = sp.symbols("y z", real=True)
        before = len(simplify._FACTORED)
        assert simplify._factor(g * (z - y)) == sp.factor(g * (z - y))
        assert simplify._factor(h * (z - y)) == sp.factor(h * (z - y))
        assert len(simplify._FACTORED) == before + 1
