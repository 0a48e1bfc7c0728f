"""The pieces codegen repeats from SymPy to make them cheaper give SymPy's own results:
``symgrad.cse.cse`` is ``sympy.cse(..., order="none")`` without taking a minus sign out of a
sum (``sums_keep_their_signs``), ``term_order.ordered_terms`` is
``Add.as_ordered_terms()``, ``precedence.precedence`` is SymPy's printing precedence,
``str_mul.print_mul`` is ``StrPrinter._print_Mul``, and a
module compiled from the tree its check parsed is the module compiled from its text.

(The golden sources, ``tools/golden_sources.py``, compare whole generated modules.)
"""

from __future__ import annotations

import ast
import importlib.util
import math
import random
import sys
from pathlib import Path

import pytest
import sympy as sp
from cse_reference import sympys_cse
from random_forms import random_arithmetic, random_form
from sympy.core.parameters import distribute
from sympy.printing.precedence import precedence as sympy_precedence
from sympy.printing.str import StrPrinter

from symgrad.cse import cse
from symgrad.generated import compiled, scan
from symgrad.precedence import extracts_minus, precedence
from symgrad.str_mul import print_mul
from symgrad.term_order import ordered_factors, ordered_terms, sort_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from transform_cost import synthetic_source  # noqa: E402

x, y, z, w = sp.symbols("x y z w", real=True)
HAND = [
    y - x, x - y, -x - y, 2 * x - 3 * y, (x + y) * (x - y), -(x + y) * z, (y - x) ** 2,
    1 / (x + y), (x + y) ** -2, x ** -sp.Rational(1, 2), sp.tanh(y - x) * (1 - sp.tanh(y - x) ** 2),
    sp.exp(-x ** 2) * (x + y + z), sp.sin(x + y + z) + sp.cos(x + y), x * y * z + x * y,
    x * y * z * w - 2 * x * y, 0.5 * (y - x) + 0.5 * (z - w), -2.0 * x * sp.sin(y) / (z + 1),
    sp.Max(x, y) - sp.Min(x, y), sp.Piecewise((x, x > 0), (-x, True)) * (x - z),
    3 + x, 2 - 3 * x, sp.pi - x, -x, -x * y, x - x * y + 2.5 * z ** 3,
]


def _synthetic_exprs(tmp_path: Path, n: int) -> list:
    """The forward and backward expressions of a synthetic function's adjoint."""
    from symgrad.adjoint import build
    from symgrad.frontend.lower import lower
    from symgrad.frontend.parse import parse_function

    path = tmp_path / f"synth_replica_{n}.py"
    path.write_text(synthetic_source(n, seed=5))
    spec = importlib.util.spec_from_file_location(f"synth_replica_{n}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    with distribute(False):
        adj = build(lower(parse_function(mod.f), frozenset(), {}), ["x", "y"])
    return [s.expr for s in adj.forward] + [s.expr for s in adj.backward]


def _both(exprs: list, monkeypatch: pytest.MonkeyPatch) -> tuple:
    ours = cse(exprs, sp.numbered_symbols("t", real=True))
    return ours, sympys_cse(exprs, monkeypatch)


def test_a_sum_keeps_its_sign_in_sympys_cse_as_patched(monkeypatch):
    """The reference above differs from SymPy's cse where it should, and only there."""
    exprs = [-x - y, sp.sin(x + y), 1 / (-x - 0.3), x + 0.3, x ** (-x - y) + (x + y)]
    unpatched = sp.cse(exprs, symbols=sp.numbered_symbols("t", real=True), order="none")
    ours, theirs = _both(exprs, monkeypatch)
    assert ours == theirs != unpatched

    def written_out(replacements: list, reduced: list) -> list:
        for t, e in reversed(replacements):
            reduced = [r.xreplace({t: e}) for r in reduced]
        return reduced

    assert written_out(*theirs) == exprs  # (SymPy's: -1/(x + 0.3), -(x + y))
    assert written_out(*unpatched) != exprs


@pytest.mark.parametrize("distributing", [False, True])
def test_cse_is_sympys_on_hand_made_expressions(distributing, monkeypatch):
    exprs = HAND + [e * sp.sin(x) for e in HAND[:8]] + [e + z for e in HAND[8:16]]
    with distribute(distributing):
        ours, theirs = _both(exprs, monkeypatch)
    assert theirs[0], "the expressions share subexpressions"
    assert ours == theirs


def test_cse_is_sympys_on_an_adjoint(tmp_path, monkeypatch):
    exprs = _synthetic_exprs(tmp_path, 60)
    with distribute(False):
        ours, theirs = _both(exprs, monkeypatch)
    assert len(theirs[0]) > 20
    assert ours == theirs


def test_ordered_terms_and_precedence_are_sympys(tmp_path):
    exprs = HAND + _synthetic_exprs(tmp_path, 30)
    nodes = {n for e in exprs for n in sp.preorder_traversal(e)}
    sums = [n for n in nodes if isinstance(n, sp.Add)]
    assert len(sums) > 30
    for s in sums:
        assert ordered_terms(s) == s.as_ordered_terms()
    printer = StrPrinter()
    products = 0
    for n in nodes:
        assert precedence(n) == sympy_precedence(n)
        if isinstance(n, sp.Mul):
            products += 1
            assert extracts_minus(n) == n.could_extract_minus_sign()
            assert print_mul(printer, n) == printer._print_Mul(n)
    assert products > 30


def test_sort_keys_and_ordered_factors_are_sympys(tmp_path):
    rng = random.Random(2)
    exprs = HAND + _synthetic_exprs(tmp_path, 30) + [random_arithmetic(rng) for _ in range(300)]
    exprs += [random_form(rng, 3, True) for _ in range(100)]
    exprs += [sp.exp(x) * y, sp.E ** (x + y) * z, sp.Dummy("d") * x + y, x ** sp.Float(2.5)]
    nodes = list({n: None for e in exprs for n in sp.preorder_traversal(e)})
    products = 0
    for n in nodes:
        assert sort_key(n) == n.sort_key(), n
        if isinstance(n, sp.Mul):
            products += 1
            assert ordered_factors(n) == n.as_ordered_factors()
    assert products > 300


def test_a_module_compiled_from_its_checked_tree_is_the_module_compiled_from_text():
    text = '"""doc"""\n\nimport numpy as np\n\n\ndef f(x, y=2):\n    """f."""\n' \
        '    t0 = np.exp(-x ** 2)\n    return t0 * (y - x), [t0, {1: x}]\n'
    scan(text)
    from_tree = compiled(text, "<m>")
    from_text = compile(text, "<m>", "exec")
    f_tree = next(c for c in from_tree.co_consts if hasattr(c, "co_code"))
    f_text = next(c for c in from_text.co_consts if hasattr(c, "co_code"))
    assert f_tree.co_code == f_text.co_code and f_tree.co_consts == f_text.co_consts
    assert list(f_tree.co_positions()) == list(f_text.co_positions())
    namespace: dict = {}
    exec(from_tree, namespace)
    assert namespace["f"](0.5)[0] == pytest.approx(1.5 * math.exp(-0.25))


def _walked(stmt: ast.stmt) -> dict:
    """What `Scanned` finds in ``stmt``, found with ``ast.walk`` over every node."""
    is_def = isinstance(stmt, ast.FunctionDef)
    inside = set()
    for part in stmt.body if is_def else [stmt]:
        inside |= {id(n) for n in ast.walk(part)}
    found: dict = {"bound": set(), "stored": set(), "args": set(), "called": set(),
                   "loads": []}
    for node in ast.walk(stmt):
        flag = id(node) in inside and node is not stmt or not is_def
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                found["loads"].append(node)
            else:
                if isinstance(node.ctx, ast.Store):
                    found["stored"].add(node.id)
                if flag:
                    found["bound"].add(node.id)
            continue
        if isinstance(node, ast.Attribute):
            found["loads"].append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found["called"].add(node.func.id)
        elif isinstance(node, ast.arg):
            found["args"].add(node.arg)
        elif flag and isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found["bound"].add(node.name)
        elif flag and isinstance(node, (ast.Import, ast.ImportFrom)):
            found["bound"] |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif flag and isinstance(node, ast.ExceptHandler) and node.name:
            found["bound"].add(node.name)
    return found


def test_a_scanned_statement_is_what_ast_walk_finds():
    """`Scanned` walks a statement inlined, stepping over nodes that bind and read
    nothing: the same names, the same nodes read in the same order, as ``ast.walk``."""
    texts = [p.read_text() for p in sorted(Path(__file__).parent.glob("test_*.py"))[:40]]
    texts += [p.read_text() for p in sorted(
        (Path(__file__).resolve().parents[1] / "symgrad").glob("*.py"))]
    statements = 0
    for text in texts:
        for s in scan(text):
            want = _walked(s.stmt)
            got = {"bound": s.bound, "stored": s.stored, "args": s.args, "called": s.called,
                   "loads": s.loads}
            assert got["loads"] == want["loads"]
            assert got == want
            statements += 1
    assert statements > 1000
