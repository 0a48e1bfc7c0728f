"""Transform cost: long straight-line functions decorate (no internal crash) and keep
correct gradients, and the readable closed forms of the README's examples stay as written.

Speed itself is measured by ``benchmarks/transform_cost.py``, not here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.core.parameters import distribute

import symgrad
from symgrad import codegen
from symgrad.adjoint.program import Stmt
from symgrad.derivative import chain_rule
from symgrad.rules import elementwise as ew
from symgrad.rules import masks
from symgrad.simplify import simplify_adjoint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from transform_cost import synthetic_source  # noqa: E402


def test_factor_keeps_odd_function_arguments_under_distribute_false():
    # The adjoint the 1000-statement benchmark crashed on: sympy.factor expanded the tanh
    # argument and, under the pipeline's distribute(False), tanh(-a) = -tanh(a) recursed
    # forever (RecursionError).
    g1, a, b, c, y, g2, v = sp.symbols("grad_v924 v921 v909 v914 y grad_v927 v927", real=True)
    arg = a * (-b + c) / 2 - y
    expr = -g1 * (1 - sp.tanh(arg) ** 2) * (-b + c) * sp.sin(y) / 2 + g2 * (1 - v**2)
    with distribute(False):
        out = simplify_adjoint(expr)
    assert len(out.atoms(sp.tanh)) == 1
    point = {s: 0.1 * (i + 1) for i, s in enumerate(sorted(expr.free_symbols, key=str))}
    assert abs(float(out.subs(point)) - float(expr.subs(point))) < 1e-12


def test_chain_rule_is_sympy_diff():
    # the fast differentiator must give SymPy's own expressions, node for node: sums,
    # products (several factors with the variable), powers (integer, fractional, symbolic),
    # functions of one and of two arguments, a function of its own (symbolic power), and
    # a node with a derivative rule of its own (a where), which goes to sympy.diff
    x, y, z = sp.symbols("x y z", real=True)
    power = ew.power_functions(sp)[0]
    cases = [
        x * y * sp.sin(x) * sp.exp(-x**2),
        sp.tanh(2 * x * y) ** 2 / (1 + x) + sp.sqrt(x) * sp.log(1 - y),
        sp.atan2(x * y, x + z) + sp.cos(x) ** 3,
        power(x, y) * x + power(y, x),
        masks.Where(x > 0, x * sp.sin(y), y / x) * z,
        (x - y) ** sp.Rational(3, 2) * sp.exp(-(x - y) ** 2 / 4),
    ]
    with distribute(False):
        for expr in cases:
            for var in (x, y, z):
                assert chain_rule(expr, var) == sp.diff(expr, var), (expr, var)


def test_simplification_still_factors_small_polynomials():
    # sympy.factor runs only on few variables (its cost grows with them): there it still
    # finds what factor_terms cannot
    a, b, g = sp.symbols("a b g", real=True)
    out = simplify_adjoint(g * (a**2 + 2 * a * b + b**2))
    assert out == g * (a + b) ** 2
    many = sp.symbols("g0:8", real=True)
    expr = sum(many[i] * sp.sin(many[(i + 1) % 8]) for i in range(8))
    assert simplify_adjoint(expr) == sp.factor_terms(expr)  # too many variables: collected


def test_gradient_cse_is_the_one_of_its_own_statements():
    # the gradient reuses value_and_grad's cse only where that gives the same temporaries
    # as cse of the gradient's own statements (and says None otherwise)
    x, y, u, v = sp.symbols("x y u v", real=True)
    temps = lambda: sp.numbered_symbols("t", real=True)  # noqa: E731
    fwd = [Stmt("u", sp.sin(x) * y, []), Stmt("v", sp.cos(x) + y, [])]
    back = [sp.cos(x) * y + sp.cos(x), y * sp.sin(x) * sp.cos(x)]
    for needed in (fwd[:1], fwd[1:], fwd):
        both = codegen._cse([s.expr for s in fwd] + back, temps())
        part = codegen._cse_of_part(both, fwd, needed)
        own = codegen._cse([s.expr for s in needed] + back, temps())
        assert part is None or part == own, needed
    # v = cos(x) + y shares cos(x) with the backward: leaving v out changes the temporaries
    both = codegen._cse([s.expr for s in fwd] + back, temps())
    assert codegen._cse_of_part(both, fwd, fwd[:1]) is None
    # u = sin(x)*y is left whole only when nothing else has sin(x)*y
    fwd2 = [Stmt("u", sp.exp(u), []), Stmt("v", sp.cos(x) + y, [])]
    both = codegen._cse([s.expr for s in fwd2] + back, temps())
    part = codegen._cse_of_part(both, fwd2, fwd2[1:])
    assert part is not None
    assert part == codegen._cse([fwd2[1].expr] + back, temps())


def _load(tmp_path, n):
    path = tmp_path / f"synth_{n}.py"
    path.write_text(synthetic_source(n, seed=3))
    spec = importlib.util.spec_from_file_location(f"synth_cost_{n}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.f


def test_long_straight_line_function_decorates_and_matches_finite_differences(tmp_path):
    f = _load(tmp_path, 200)
    G = symgrad.grad(f, wrt=("x", "y"))
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 5)
    gx, gy = G.grad(x, y)
    eps = 1e-6
    for i, g in enumerate((gx, gy)):
        for k in range(5):
            args_p, args_m = [x.copy(), y.copy()], [x.copy(), y.copy()]
            args_p[i][k] += eps
            args_m[i][k] -= eps
            fd = (f(*args_p) - f(*args_m)) / (2 * eps)
            assert abs(g[k] - fd) <= 1e-6 * max(1.0, abs(fd))


def seed(x):
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return out


def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def logistic(w, X, labels):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))


def _grad_text(G, name):
    m = re.search(rf"def {name}_grad\(.*?(?=\ndef |\Z)", G.source, re.S)
    assert m, G.source
    return "\n".join(ln for ln in m.group(0).splitlines() if not ln.strip().startswith("#"))


def test_readme_seed_gradient_is_one_closed_form():
    text = _grad_text(symgrad.grad(seed), "seed")
    assert "    grad_x = 6*grad_out/np.size(x)*(x + 2)\n" in text + "\n"
    code = [ln for ln in text.splitlines() if " = " in ln]
    assert len(code) == 2, text  # grad_out = seed, grad_x = ...: no temporaries


def test_mlp_gradient_closed_forms():
    text = _grad_text(symgrad.grad(mlp_loss, wrt=("W1", "b1", "W2", "b2")), "mlp_loss")
    # the tanh slope reads the primal h; the squared error's slope is 2*(out - y)/size
    assert re.search(r"= grad_h\*\(1 - h\*\*2\)$", text, re.M), text
    assert re.search(r"2\*grad_out_1/.+?\*\(out - y\)", text), text
    assert "tanh" not in text.split("h = np.tanh(b1 + t0)\n", 1)[1], text


def test_logistic_gradient_closed_forms():
    text = _grad_text(symgrad.grad(logistic, wrt="w"), "logistic")
    # d log(p) and d log(1 - p), as a person writes them
    assert "(labels/p - (1 - labels)/(1 - p))" in text, text
    # the logistic slope p*(1 - p) in its overflow-free form, read from t0 = X @ w
    assert "0.25*grad_p*(1 - np.tanh(0.5*t0)**2)" in text, text
    assert "np.exp" not in text.split("p = 1/(1 + np.exp(-t0))\n", 1)[1], text


def _slow_clock(monkeypatch):
    from symgrad import slow

    ticks = iter(range(0, 1000, 5))  # every reading 5 s later than the one before
    monkeypatch.setattr(slow, "clock", lambda: float(next(ticks)))


def test_a_slow_transformation_says_so_once_on_stderr(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(tmp_path))
    _slow_clock(monkeypatch)

    def slow_to_transform(x):
        return np.sum(np.sin(x) * x)

    G = symgrad.grad(slow_to_transform)
    G.grad(np.ones(3))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("symgrad: transforming")]
    assert len(lines) == 1, err
    assert "slow_to_transform" in lines[0] and "test_transform_cost.py:" in lines[0]
    assert "took 5.0 s" in lines[0] and f"cached on disk in {tmp_path}" in lines[0]


def test_a_fast_transformation_is_silent(capsys):
    def quick_to_transform(x):
        return np.sum(np.cos(x))

    symgrad.grad(quick_to_transform).grad(np.ones(3))
    assert "symgrad: transforming" not in capsys.readouterr().err
