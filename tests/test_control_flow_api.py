"""Control flow through the whole product: generated code, tape, export, cache, Tensor, errors."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import cache

try:
    import torch
except ImportError:  # the differential checks skip without torch
    torch = None

rng = np.random.default_rng(3)


def rnn(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def linear_accumulate(x, n):
    s = np.zeros_like(x)
    for _ in range(n):
        s = s + x * 2.0
    return np.sum(s)


def product_accumulate(x, n):
    s = np.ones_like(x)
    for _ in range(n):
        s = s * np.sin(x)
    return np.sum(s)


def branchy(x, a):
    if a > 0:
        y = np.sin(x) * a
    else:
        y = x**2
    return np.sum(y)


def _function_def(source: str, name: str) -> ast.FunctionDef:
    tree = ast.parse(source)
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _tape_appends(fn: ast.FunctionDef) -> list[str]:
    return [ast.unparse(n.args[0]) for n in ast.walk(fn)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "append"]


def test_generated_code_keeps_the_loop_and_the_branch():
    loop_src = symgrad.grad(rnn).source
    for name in ("rnn", "rnn_grad", "rnn_value_and_grad"):
        fn = _function_def(loop_src, name)
        loops = [n for n in ast.walk(fn) if isinstance(n, ast.For)]
        assert loops, name  # not unrolled
    grad_fn = _function_def(loop_src, "rnn_grad")
    assert any(isinstance(n.iter, ast.Call) and ast.unparse(n.iter.func) == "reversed"
               for n in ast.walk(grad_fn) if isinstance(n, ast.For))
    branch_src = symgrad.grad(branchy).source
    grad_fn = _function_def(branch_src, "branchy_grad")
    assert sum(isinstance(n, ast.If) for n in ast.walk(grad_fn)) == 2  # forward and backward


def test_tape_holds_only_what_the_backward_reads():
    src = symgrad.grad(linear_accumulate, wrt="x").source
    assert _tape_appends(_function_def(src, "linear_accumulate")) == []  # the primal: no tape
    # the backward of s = s + 2*x reads no value of the iteration: it only counts them
    grad_fn = _function_def(src, "linear_accumulate_grad")
    assert _tape_appends(grad_fn) == []
    # ... and as range(n) reads only a parameter, the backward replays it: no counter either
    assert not [n for n in ast.walk(grad_fn) if isinstance(n, ast.AugAssign)
                and ast.unparse(n.value) == "1"]
    assert [ast.unparse(n.iter) for n in ast.walk(grad_fn)
            if isinstance(n, ast.For)] == ["range(n)", "range(n)"]
    x = rng.normal(size=5)
    np.testing.assert_allclose(symgrad.grad(linear_accumulate, wrt="x").grad(x, 3), 6.0)
    # s = s * sin(x) needs each iteration's incoming s (and nothing else)
    G = symgrad.grad(product_accumulate, wrt="x")
    appends = _tape_appends(_function_def(G.source, "product_accumulate_grad"))
    assert len(appends) == 1 and "," not in appends[0], appends
    np.testing.assert_allclose(G.grad(x, 3), 3 * np.sin(x) ** 2 * np.cos(x))


def accumulate_until(x, n):
    s = np.zeros_like(x)
    for i in range(n):
        if i >= 2:
            break
        s = s + x
    return np.sum(s)


def test_a_loop_that_may_break_counts_its_steps():
    G = symgrad.grad(accumulate_until, wrt="x")
    grad_fn = _function_def(G.source, "accumulate_until_grad")
    loops = [ast.unparse(n.iter) for n in ast.walk(grad_fn) if isinstance(n, ast.For)]
    assert len(loops) == 2 and loops.count("range(n)") == 1  # the backward cannot replay it
    x = rng.normal(size=3)
    for n, steps in [(0, 0), (1, 1), (5, 2)]:
        np.testing.assert_allclose(G.grad(x, n), np.full(3, float(steps)))


def test_rnn_tapes_each_step_once_and_matches_finite_differences():
    G = symgrad.grad(rnn)
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3))
    check_grads(G, *args)
    appends = _tape_appends(_function_def(G.source, "rnn_grad"))
    assert len(appends) == 1


def test_grad_function_is_deterministic_across_repeated_calls():
    G = symgrad.grad(rnn)
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3))
    first = G.grad(*args)
    second = G.grad(*args)  # no tape left over from the first call
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_value_and_grad_returns_the_final_loop_value_not_a_rewound_one():
    def power_loop(x):
        h = x
        for _ in range(3):
            h = h * x
        return h

    G = symgrad.grad(power_loop)
    x = rng.normal(size=3)
    value, grad = G.value_and_grad(x, seed=np.ones(3))
    np.testing.assert_allclose(value, x**4)
    np.testing.assert_allclose(grad, 4 * x**3)


def test_exported_loop_module_self_checks_in_a_fresh_interpreter(tmp_path):
    G = symgrad.grad(rnn)
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3))
    path = G.export(tmp_path / "rnn_grad.py", example_args=args)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok" in proc.stdout


def test_tensor_through_a_function_with_a_loop():
    G = symgrad.grad(rnn)
    W, x, h = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3)
    Wt = symgrad.tensor(W, requires_grad=True)
    out = G(Wt, x, h)
    out.backward()
    np.testing.assert_allclose(np.asarray(Wt.grad), G.grad(W, x, h)[0], rtol=1e-12)


def test_formula_explains_that_it_needs_straight_line_code():
    with pytest.raises(symgrad.SymgradError, match="control flow"):
        symgrad.grad(rnn).formula(np.eye(2), np.ones((2, 2)), np.zeros(2))


SCALE = 2.0


def scaled(v):
    return v * SCALE


def calls_scaled(x):
    return np.sum(scaled(x) ** 2)


def test_cache_key_follows_an_inlined_helper_and_its_globals(monkeypatch):
    before = cache.cache_key(calls_scaled, ["x"])
    monkeypatch.setitem(globals(), "SCALE", 3.0)
    after_constant = cache.cache_key(calls_scaled, ["x"])

    def other(v):
        return v * 5.0

    monkeypatch.setitem(globals(), "scaled", other)
    after_helper = cache.cache_key(calls_scaled, ["x"])
    assert len({before, after_constant, after_helper}) == 3


def test_helper_edits_change_the_gradient(monkeypatch):
    x = rng.normal(size=3)
    monkeypatch.setitem(globals(), "SCALE", 3.0)
    np.testing.assert_allclose(symgrad.grad(calls_scaled).grad(x), 2 * 9.0 * x)


def recursive_power(x, n):
    if n == 0:
        return 1.0
    return x * recursive_power(x, n - 1)


def uses_recursion(x):
    return np.sum(recursive_power(x, 4))


def test_recursion_with_a_constant_depth_is_inlined():
    G = symgrad.grad(uses_recursion)
    x = rng.normal(size=3)
    np.testing.assert_allclose(G.grad(x), 4 * x**3)
    assert "recursive_power" not in _function_def(G.source, "uses_recursion_grad").name


def test_caller_arrays_are_never_written():
    def writes_argument(x, buf):
        buf[0] = np.sin(x[0])
        x[1] = x[1] * 3
        return np.sum(x * buf)

    G = symgrad.grad(writes_argument)
    x, buf = rng.normal(size=3), rng.normal(size=3)
    x0, buf0 = x.copy(), buf.copy()
    gx, gbuf = G.grad(x, buf)
    np.testing.assert_allclose(gx, [np.sin(x0[0]) + x0[0] * np.cos(x0[0]), 3 * buf0[1], buf0[2]])
    np.testing.assert_allclose(gbuf, [0.0, 3 * x0[1], x0[2]])
    G(x, buf)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(buf, buf0)


def builtin_sum_of_matrix(X):
    return np.sum(sum(X) ** 2)  # Python's sum adds the rows: a vector, not a number


def test_builtin_sum_of_a_matrix_adds_its_rows():
    X = rng.normal(size=(3, 4))
    G = symgrad.grad(builtin_sum_of_matrix)
    np.testing.assert_allclose(G(X), builtin_sum_of_matrix(X), rtol=1e-12)
    check_grads(G, X)


def horner(c, x):
    acc = np.zeros_like(x)
    for k in reversed(range(len(c))):
        acc = acc * x + c[k]
    return np.sum(acc)


def descending_from(x, n):
    s = 0.0
    for i in reversed(range(1, n)):
        s = s * 0.5 + x[i] * i
    return s


def clamp_products(x, lo):
    s = 0.0
    for v in x:
        s = s + max(v, lo) * min(v, 1.0)
    return s


def test_reversed_range_and_builtin_max_min():
    c, x = rng.normal(size=4), rng.normal(size=3)
    G = symgrad.grad(horner)
    np.testing.assert_allclose(G(c, x), horner(c, x), rtol=1e-12)
    check_grads(G, c, x)
    assert "for k in range(len(c) - 1, -1, -1):" in G.source  # still a runtime loop
    G = symgrad.grad(descending_from, wrt="x")
    for n in (0, 1, 3):
        np.testing.assert_allclose(G(x, n), descending_from(x, n), rtol=1e-12)
        check_grads(G, x, n)
    x = np.array([0.3, -0.7, 1.1, 0.5])  # away from the kinks at lo and 1
    G = symgrad.grad(clamp_products)
    np.testing.assert_allclose(G(x, 0.1), clamp_products(x, 0.1), rtol=1e-12)
    check_grads(G, x, 0.1)


def comprehension_rows(x, W):
    return np.sum([np.sum((W[i] * x) ** 2) for i in range(3)])


def comprehension_filtered(x):
    rows = [x**k for k in range(1, 4) if k != 2]
    return np.sum(np.stack(rows) * 2.0) + sum(w * np.sum(np.sin(w * x)) for w in (0.5, -2.0))


def comprehension_over_an_array(x):
    return sum(v**2 for v in x)


def test_comprehensions_over_decoration_time_values_unroll():
    x, W = rng.normal(size=3), rng.normal(size=(3, 3))
    for fn, args in [(comprehension_rows, (x, W)), (comprehension_filtered, (x,))]:
        G = symgrad.grad(fn)
        np.testing.assert_allclose(G(*args), fn(*args), rtol=1e-12)
        check_grads(G, *args)
    # over an array: a loop the generated code keeps, building a list (test_language_loops)
    G = symgrad.grad(comprehension_over_an_array)
    np.testing.assert_allclose(G(W), comprehension_over_an_array(W), rtol=1e-12)
    check_grads(G, W, seed=rng.normal(size=3))  # (a vector output: a cotangent)
    assert "for i in range(len(x)):" in G.source


def enumerate_from_one(x):
    s = 0.0
    for k, v in enumerate(x, 1):
        s = s + k * np.sin(v)
    return s


def enumerate_from_n(x, n):
    s = 0.0
    for k, v in enumerate(x, start=n):
        s = s + k * v**2
    return s


def test_enumerate_with_a_start():
    x = rng.normal(size=4)
    G = symgrad.grad(enumerate_from_one)
    np.testing.assert_allclose(G(x), enumerate_from_one(x), rtol=1e-12)
    check_grads(G, x)
    G = symgrad.grad(enumerate_from_n, wrt="x")
    for n in (0, 2, -1):
        np.testing.assert_allclose(G(x, n), enumerate_from_n(x, n), rtol=1e-12)
        check_grads(G, x, n)


def norms_and_cumsums(x, X):
    rows = X / np.linalg.norm(X, axis=1, keepdims=True)
    return (np.linalg.norm(x) + np.sum(rows * np.cumsum(X, axis=1))
            + np.sum(np.cumsum(x) ** 2) + np.sum(X.cumsum(axis=0) * X))


def test_linalg_norm_and_cumsum():
    x, X = rng.normal(size=4), rng.normal(size=(3, 4))
    G = symgrad.grad(norms_and_cumsums)
    np.testing.assert_allclose(G(x, X), norms_and_cumsums(x, X), rtol=1e-12)
    check_grads(G, x, X)
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)
        Xt = torch.tensor(X, requires_grad=True)
        rows = Xt / torch.linalg.norm(Xt, dim=1, keepdim=True)
        out = (torch.linalg.norm(xt) + torch.sum(rows * torch.cumsum(Xt, 1))
               + torch.sum(torch.cumsum(xt, 0) ** 2) + torch.sum(Xt.cumsum(0) * Xt))
        out.backward()
        gx, gX = G.grad(x, X)
        np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(gX, Xt.grad.numpy(), rtol=1e-10)


def index_name_in_use(x, y):
    i = 1
    s = 0.0
    for v in x:  # the loop's hidden position counter must not be the user's i
        s = s + v * x[i]
    for a, b in zip(x, y):  # noqa: B905
        s = s + a * b * y[i]
    return s + x[i]


def test_a_loop_over_an_array_leaves_the_users_i_alone():
    x, y = rng.normal(size=4), rng.normal(size=4)
    G = symgrad.grad(index_name_in_use)
    np.testing.assert_allclose(G(x, y), index_name_in_use(x, y), rtol=1e-12)
    check_grads(G, x, y)


def first_above(x, t):
    for i in range(len(x)):
        if x[i] > t:
            break
    return x[i] * 2 + np.sum(x**2)  # i: where the loop stopped, as in Python


def last_index_value(x, n):
    s = 0.0
    for k in range(n):
        s = s + x[k] ** 2
    return s * x[k]


def inner_loop_variable_in_outer_step(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j]
        s = s * X[i, j]  # j: the inner loop's last value
    return s


def inner_loop_variable_after_both(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j]
    return s * X[i, j]


def test_a_loop_variable_read_after_its_loop():
    x = np.array([0.3, -0.5, 0.8, 0.1])
    G = symgrad.grad(first_above, wrt="x")
    for t in (0.0, 0.5, 2.0):  # breaks at 0, at 2, never
        np.testing.assert_allclose(G(x, t), first_above(x, t), rtol=1e-12)
        check_grads(G, x, t)
    G = symgrad.grad(last_index_value, wrt="x")
    for n in (1, 3):
        np.testing.assert_allclose(G(x, n), last_index_value(x, n), rtol=1e-12)
        check_grads(G, x, n)
    with pytest.raises(UnboundLocalError):  # no iterations: unbound, as in Python
        G(x, 0)
    X = rng.normal(size=(3, 4))
    G = symgrad.grad(inner_loop_variable_in_outer_step)
    np.testing.assert_allclose(G(X), inner_loop_variable_in_outer_step(X), rtol=1e-12)
    check_grads(G, X)
    with pytest.raises(symgrad.SymgradError, match="a for loop's variable, is read after"):
        symgrad.grad(inner_loop_variable_after_both)


def comprehension_matrix(x):
    M = np.array([[x[i] * x[j] for j in range(3)] for i in range(3)])
    v = np.array([x[i] ** 2 for i in range(3)])
    return np.sum(M @ v) + np.sum(np.array([[x[i] for _ in range(2)] for i in range(2)]))


def test_np_array_of_nested_comprehensions():
    x = rng.normal(size=3)
    G = symgrad.grad(comprehension_matrix)
    np.testing.assert_allclose(G(x), comprehension_matrix(x), rtol=1e-12)
    check_grads(G, x)


def comprehension_helpers_and_nary_max(x):
    ws = [0.5, 1.5, -2.0]
    a = sum(w * x[i] for i, w in enumerate(ws))
    b = np.sum([w * v for w, v in zip(ws, (x[0], x[1], x[2]))])  # noqa: B905
    c = np.sum(np.array([x[i] for i in reversed(range(3))]) * x[:3])
    return a * b + c + max(x[0], x[1], x[2]) + min(x[0], 0.1, x[2])


def test_comprehensions_with_enumerate_zip_reversed_and_max_of_three():
    x = np.array([0.3, -0.5, 0.8])  # away from the kinks of max and min
    G = symgrad.grad(comprehension_helpers_and_nary_max)
    np.testing.assert_allclose(G(x), comprehension_helpers_and_nary_max(x), rtol=1e-12)
    check_grads(G, x)


def first_above_returns(x, t):
    for i in range(len(x)):
        if x[i] > t:
            return x[i] ** 2 + np.sum(x)
    return np.sum(x**3)


def cube_root_newton(x):
    y = x * 1.0
    k = 0
    while k < 30:
        step = (y**3 - x) / (3 * y**2)
        if np.max(np.abs(step)) < 1e-13:
            return np.sum(y)
        y = y - step
        k = k + 1
    return np.sum(y)


def test_return_inside_a_loop():
    x = np.array([0.3, -0.5, 0.8, 1.2])
    G = symgrad.grad(first_above_returns, wrt="x")
    for t in (0.0, 1.0, 5.0):  # returns in the first, the last, no iteration
        np.testing.assert_allclose(G(x, t), first_above_returns(x, t), rtol=1e-12)
        check_grads(G, x, t)
    xp = np.array([0.5, 2.0, 3.0])
    G = symgrad.grad(cube_root_newton)
    np.testing.assert_allclose(G(xp), cube_root_newton(xp), rtol=1e-12)
    np.testing.assert_allclose(G.grad(xp), 1 / (3 * np.cbrt(xp) ** 2), rtol=1e-6)


def closure_defined_in_a_loop(W, xs, h):
    for t in range(xs.shape[0]):
        def step(hh):
            return np.tanh(W @ hh + xs[t])  # noqa: B023 (the closure's own return)
        h = step(h)
    return np.sum(h)


def test_a_closure_with_a_return_inside_a_loop():
    W, xs, h = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=3)
    G = symgrad.grad(closure_defined_in_a_loop)
    np.testing.assert_allclose(G(W, xs, h), closure_defined_in_a_loop(W, xs, h), rtol=1e-12)
    check_grads(G, W, xs, h)


def search_with_else(x, t):
    s = 0.0
    for i in range(len(x)):
        if x[i] > t:
            s = x[i] * 3.0
            break
        for j in range(2):
            if j > 0:
                break  # the inner loop's break: not the outer loop's
    else:
        s = np.sum(x**2)
    return s + x[0]


def doubling_with_else(x):
    s = x * 1.0
    k = 0
    while k < 3:
        if np.sum(s) > 10.0:
            break
        s = s * 2.0
        k = k + 1
    else:
        s = s + 1.0
    return np.sum(s**2)


def test_for_else_and_while_else():
    x = np.array([0.3, -0.5, 0.8, 1.2])
    G = symgrad.grad(search_with_else, wrt="x")
    for t in (0.0, 1.0, 5.0):
        np.testing.assert_allclose(G(x, t), search_with_else(x, t), rtol=1e-12)
        check_grads(G, x, t)
    G = symgrad.grad(doubling_with_else)
    for xx in (x, 5 * x):  # the else runs, then does not
        np.testing.assert_allclose(G(xx), doubling_with_else(xx), rtol=1e-12)
        check_grads(G, xx)


def loop_variable_reused_by_a_nested_loop(x, y):
    n, m = len(x), len(y)
    D = np.zeros((n + 1, m + 1))
    for j in range(m + 1):
        D[0, j] = j * 1.0
    for i in range(1, n + 1):
        D[i, 0] = i * 1.0
        for j in range(1, m + 1):  # j again: the first loop's j is gone
            D[i, j] = min(D[i - 1, j] + 1.0, D[i, j - 1] + 1.0,
                          D[i - 1, j - 1] + (x[i - 1] - y[j - 1]) ** 2)
    return D[n, m]


def test_a_loop_variable_reused_by_a_later_nested_loop():
    x, y = np.array([0.3, -0.5, 0.8]), np.array([0.1, 0.9, -0.4, 0.2])
    G = symgrad.grad(loop_variable_reused_by_a_nested_loop)
    np.testing.assert_allclose(G(x, y), loop_variable_reused_by_a_nested_loop(x, y), rtol=1e-12)
    check_grads(G, x, y)


def constant_index_arrays(x):
    y = x[np.array([0, 2, 2])] ** 2  # an integer array, as in numpy (it was made float)
    z = x * 1.0
    z[np.array([0, 2])] = np.array([1.5, 2.5]) * x[1]
    return np.sum(y) + np.sum(z * x) + np.sum(np.array([1, 2, 3]) * x[:3] / 2)


def test_constant_integer_index_arrays():
    x = rng.normal(size=5)
    G = symgrad.grad(constant_index_arrays)
    np.testing.assert_allclose(G(x), constant_index_arrays(x), rtol=1e-12)
    check_grads(G, x)


def frobenius_and_enumerate_start(X):
    ws = [0.5, 2.0]
    return (np.linalg.norm(X, "fro") + np.linalg.norm(X, ord="fro")
            + sum(k * w * X[0, 0] for k, w in enumerate(ws, 1)))


def test_frobenius_norm_and_enumerate_start_in_a_comprehension():
    X = rng.normal(size=(2, 3))
    G = symgrad.grad(frobenius_and_enumerate_start)
    np.testing.assert_allclose(G(X), frobenius_and_enumerate_start(X), rtol=1e-12)
    check_grads(G, X)


def inner_else_breaks_the_outer_loop(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j]
            if X[i, j] > 0.8:
                break
        else:
            break  # the inner loop's else runs in the outer loop: this is the outer break
        s = s * 0.5
    else:
        s = s + 100.0
    return s


def inner_else_returns(X):
    s = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            s = s + X[i, j]
            if X[i, j] > 0.8:
                break
        else:
            return s * 3
        s = s * 0.5
    return s


def test_break_and_return_in_a_nested_loops_else_belong_to_the_outer_loop():
    for X in (np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.1, 0.9], [0.3, 0.95]]),
              rng.uniform(0, 1, (3, 3))):
        for fn in (inner_else_breaks_the_outer_loop, inner_else_returns):
            G = symgrad.grad(fn)
            np.testing.assert_allclose(G(X), fn(X), rtol=1e-12)
            check_grads(G, X)


def cube_root_while_true(x):
    y = x * 1.0
    while True:
        step = (y**3 - x) / (3 * y**2)
        if np.max(np.abs(step)) < 1e-13:
            return np.sum(y)
        y = y - step


def test_while_true_that_ends_by_returning():
    xp = np.array([0.5, 2.0, 3.0])
    G = symgrad.grad(cube_root_while_true)
    np.testing.assert_allclose(G(xp), cube_root_while_true(xp), rtol=1e-12)
    np.testing.assert_allclose(G.grad(xp), 1 / (3 * np.cbrt(xp) ** 2), rtol=1e-6)


def greedy_steps(x, W):
    h = x * 1.0
    s = 0.0
    for _ in range(3):
        p = np.tanh(W @ h)
        k = int(np.argmax(p))  # a step function of p: no gradient through k
        s = s + p[k]
        h = h + W[k]
    mid = int(len(x) / 2)
    return s + x[mid] * 2.0


def test_int_of_argmax_and_of_shape_arithmetic():
    x, W = rng.normal(size=4), rng.normal(size=(4, 4)) * 0.5
    G = symgrad.grad(greedy_steps)
    np.testing.assert_allclose(G(x, W), greedy_steps(x, W), rtol=1e-12)
    check_grads(G, x, W)
