"""Loops that write into an array: in place when that is safe, and always the right gradient.

A write ``h[t + 1] = ...`` is a new value in symgrad's IR; printed as a copy it costs the
whole array per iteration, and the tape would keep every copy (quadratic time and memory).
Where no overwritten version is read again, the generated loop writes into the array and
updates its gradient in place; everywhere else it keeps the copies.
"""

import ast

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

rng = np.random.default_rng(7)


def rnn_buffer(W, x, h0):
    T = x.shape[0]
    h = np.zeros((T + 1, h0.shape[0]))
    h[0] = h0
    for t in range(T):
        h[t + 1] = np.tanh(W @ h[t] + x[t])
    return np.sum(h**2)


def several_writes_per_step(x):
    buf = np.ones(len(x))
    for i in range(len(x)):
        buf[i] *= x[i]
        buf[i] += x[i] ** 2
        buf[i] /= 1.0 + x[i] ** 2
    return np.sum(buf * x)


def rewrite_the_row_it_reads(x):
    h = np.zeros((3, len(x)))
    h[0] = x
    for t in range(2):
        h[t] = np.sin(h[t]) * 2.0
        h[t + 1] = h[t] * x
    return np.sum(h**2)


def whole_array_read_each_step(x):
    buf = np.zeros(len(x))
    s = 0.0
    for i in range(len(x)):
        buf[i] = x[i] ** 2
        s = s + np.sum(buf * x)  # reads every version whole: keeps the copies
    return s


def write_in_a_branch(x):
    buf = np.zeros(len(x))
    for i in range(len(x)):
        if x[i] > 0:
            buf[i] = x[i] ** 3
        else:
            buf[i] = np.sin(x[i])
    return np.sum(buf * buf)


def write_into_the_argument(x):
    for i in range(1, len(x)):
        x[i] = x[i] * x[i - 1] + 0.5
    return np.sum(x**2)


def accumulate_rows(X):
    out = np.zeros(X.shape[1])
    acc = np.zeros((X.shape[0], X.shape[1]))
    for i in range(X.shape[0]):
        out = out + X[i]
        acc[i] = np.tanh(out)
    return np.sum(acc * X)


CASES = [
    (rnn_buffer, lambda: (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(5, 3)),
                          rng.normal(size=3))),
    (several_writes_per_step, lambda: (rng.normal(size=4),)),
    (rewrite_the_row_it_reads, lambda: (rng.normal(size=3),)),
    (whole_array_read_each_step, lambda: (rng.normal(size=4),)),
    (write_in_a_branch, lambda: (rng.normal(size=5),)),
    (write_into_the_argument, lambda: (rng.normal(size=4),)),
    (accumulate_rows, lambda: (rng.normal(size=(4, 3)),)),
]


@pytest.mark.parametrize("fn, make", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_buffer_loops_match_numpy_and_finite_differences(fn, make):
    args = make()
    before = [a.copy() for a in args]
    G = symgrad.grad(fn)
    np.testing.assert_allclose(G(*args), fn(*[a.copy() for a in args]), rtol=1e-12)
    value, _ = G.value_and_grad(*args)
    np.testing.assert_allclose(value, fn(*[a.copy() for a in args]), rtol=1e-12)
    check_grads(G, *args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)  # the caller's arrays are never written


def _loop_body(source: str, function: str) -> list[str]:
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return [ast.unparse(s) for loop in ast.walk(fn) if isinstance(loop, ast.For)
            for s in loop.body]


def test_rnn_buffer_is_written_and_differentiated_in_place():
    src = symgrad.grad(rnn_buffer).source
    lines = _loop_body(src, "rnn_buffer_grad")
    assert not any(".copy()" in line and "[t]" not in line for line in lines), lines
    assert not any("_zero_at" in line or "_getitem_grad" in line for line in lines), lines
    # the tape keeps a copy of the row the step read, not the array
    appends = [line for line in lines if ".append(" in line]
    assert len(appends) == 1 and "h_2," not in appends[0] and "h_2)" not in appends[0]


def test_copies_stay_where_an_old_version_is_read():
    src = symgrad.grad(whole_array_read_each_step).source
    lines = _loop_body(src, "whole_array_read_each_step_grad")
    assert any(".copy()" in line for line in lines)


def fresh_buffer_read_before_the_loop(x):
    total = 0.0
    for k in range(2):
        buf = np.ones(len(x))
        s = np.sum(buf * x * x)  # the backward reads this buf: the inner loop must not write it
        for i in range(len(x)):
            buf[i] = np.sin(x[i] * (k + 1))
        total = total + s * np.sum(buf)
    return total


def test_an_array_the_backward_reads_is_not_written_in_place():
    x = rng.normal(size=4)
    G = symgrad.grad(fresh_buffer_read_before_the_loop)
    np.testing.assert_allclose(G(x), fresh_buffer_read_before_the_loop(x), rtol=1e-12)
    check_grads(G, x)


# Found by an adversarial review of the in-place writes; each was silently wrong.


def row_copy_then_write(X):
    H = X * 1.0
    s = 0.0
    for t in range(X.shape[0]):
        a = H[t].copy()
        H[t] = 0.5 * X[t]
        s = s + np.sum(np.exp(a))  # a: the row before the write
    return s + np.sum(H**2)


def swap_rows(X):
    H = X * 1.0
    for t in range(X.shape[0] - 1):
        a = H[t].copy()
        H[t] = H[t + 1]
        H[t + 1] = a
    return np.sum(H * X)


def twin_zeros(x):
    n = x.shape[0]
    A = np.zeros(n + 1)  # two equal allocations: two arrays, not one
    B = np.zeros(n + 1)
    for t in range(n):
        A[t + 1] = A[t] * 0.5 + x[t]
        B[t + 1] = B[t] * 0.3 + x[t] ** 2
    return np.sum(A * B)


def ones_read_and_ones_written(x):
    n = x.shape[0]
    Z = np.ones(n + 1)
    A = np.ones(n + 1)
    for t in range(n):
        A[t + 1] = A[t] * x[t]
    return np.sum(A * Z) + np.sum(Z * x[0])


@pytest.mark.parametrize("fn, shape", [(row_copy_then_write, (3, 4)), (swap_rows, (4, 3)),
                                       (twin_zeros, (5,)), (ones_read_and_ones_written, (4,))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_review_findings(fn, shape):
    x = rng.normal(size=shape)
    G = symgrad.grad(fn)
    expected = fn(x.copy())
    np.testing.assert_allclose(G(x), expected, rtol=1e-12)
    np.testing.assert_allclose(G.value_and_grad(x)[0], expected, rtol=1e-12)
    check_grads(G, x)


REPEATS = np.array([0, 2, 0, 1])


def write_at_repeated_positions(x):
    buf = np.ones(3)
    buf[REPEATS] = x[:4] * 2.0  # numpy keeps the last write to position 0
    return np.sum(buf**2 * np.array([1.0, 2.0, 3.0]))


def write_at_repeated_positions_in_a_loop(x, idx):
    buf = np.zeros(3)
    for t in range(x.shape[0]):
        buf[idx[t]] = buf[idx[t]] * 0.5 + x[t]
    buf[idx] += x * buf[idx]
    return np.sum(buf**2 * np.array([1.0, 2.0, 3.0]))


def test_writes_at_a_repeated_integer_array_index():
    x = rng.normal(size=5)
    G = symgrad.grad(write_at_repeated_positions)
    np.testing.assert_allclose(G(x), write_at_repeated_positions(x), rtol=1e-12)
    g = G.grad(x)
    assert g[0] == 0.0 and g[2] != 0.0  # x[0]'s write to position 0 was overwritten by x[2]
    check_grads(G, x)
    idx = np.array([0, 2, 0, 1, 2])
    G = symgrad.grad(write_at_repeated_positions_in_a_loop, wrt="x")
    np.testing.assert_allclose(G(x, idx), write_at_repeated_positions_in_a_loop(x, idx),
                               rtol=1e-12)
    check_grads(G, x, idx)


def two_equal_writes_then_a_loop(x, v):
    a = x * 1.0
    b = x * 1.0
    a[0] = v
    b[0] = v  # the same value as a: it must stay its own array
    for i in range(1, 3):
        a[i] = a[i - 1] * 2.0
    return np.sum(a * 3.0) + np.sum(b)


def fresh_literal_buffer(x):
    h = np.array([0.0, 0.0, 0.0])
    for i in range(3):
        h[i] = np.tanh(x[i]) * 0.5
    return np.sum(h) * 2.0


def test_fresh_arrays_are_never_shared_and_need_no_copy():
    # every node with the ALLOCATES trait stays out of cse: once, two equal writes shared one
    # array, the loop wrote into it in place, and b saw a's writes (a wrong primal)
    x, v = np.array([0.5, 1.0, 2.0, 4.0]), 0.7
    G = symgrad.grad(two_equal_writes_then_a_loop)
    np.testing.assert_allclose(G(x, v), two_equal_writes_then_a_loop(x.copy(), v), rtol=1e-12)
    check_grads(G, x, v)
    # a fresh np.array literal is written in place without a copy of it first
    G = symgrad.grad(fresh_literal_buffer)
    check_grads(G, rng.normal(size=3))
    primal = G.source.split("def fresh_literal_buffer(x):")[1].split("\ndef ")[0]
    assert ".copy()" not in primal and "h_1[i] = " in primal
