"""Loops: for over ranges, rows, elements, enumerate and zip, nested and zero-trip loops,
loop-carried values, while loops, break and continue."""

from __future__ import annotations

import numpy as np

from .case import Case, normal, uniform


def for_literal_range(x):
    for _ in range(3):
        x = np.sin(x) + 0.5 * x
    return np.sum(x)


def for_runtime_range(x, n):
    y = x
    for i in range(n):
        y = y * x + i
    return np.sum(y)


def for_range_len(x):
    s = 0.0
    for i in range(len(x)):
        s = s + (i + 1) * x[i] ** 2
    return s


def for_range_shape(X, w):
    acc = np.zeros(X.shape[1])
    for i in range(X.shape[0]):
        acc = acc + np.tanh(X[i] * w) * (i + 1)
    return np.sum(acc ** 2)


def for_range_step(x):
    s = 0.0
    for i in range(1, len(x), 2):
        s = s + x[i] * x[i - 1]
    return s


def for_range_reversed(x):
    acc = 0.0
    for i in range(len(x) - 1, -1, -1):
        acc = acc * 0.5 + x[i]
    return acc ** 2


def for_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sum(row * w) ** 2
    return total


def for_over_elements(x):
    p = 1.0
    for v in x:
        p = p * (1.0 + v ** 2)
    return p


def for_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + (i + 1.0) * np.sin(v)
    return s


def for_zip(x, y):
    s = 0.0
    for a, b in zip(x, y):  # noqa: B905
        s = s + a * b ** 2
    return s


def for_literal_list(x):
    total = 0.0
    for part in [x, x ** 2, np.sin(x)]:
        total = total + np.sum(part) ** 2
    return total


def nested_loops(A, x):
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s = s + A[i, j] * x[j] ** (i + 1)
    return s


def nested_loops_triangular(x):
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + x[i] * x[j]
    return s


def loop_zero_trips(x, n):
    y = x * 2
    for _ in range(n, 3):
        y = y * x
    return np.sum(y)


def loop_rows_from(X, k):
    total = np.sum(X) * 0.5
    for row in X[k:]:
        total = total + np.sum(np.sin(row))
    return total


def loop_ifexp(x):
    s = 0.0
    for i in range(len(x)):
        s = s + (x[i] ** 2 if i % 2 == 0 else np.sin(x[i]))
    return s


def loop_branch_on_element(x, w):
    out = np.zeros_like(x)
    for i in range(len(x)):
        z = x[i] * w[i]
        if z > 0:
            out[i] = z
        else:
            out[i] = 0.01 * z
    return np.sum(out ** 2)


def running_max(x):
    best = x[0]
    for i in range(1, len(x)):
        if x[i] > best:
            best = x[i]
    return best * np.sum(x)


def argmax_by_loop(x, y):
    k = 0
    for i in range(len(x)):
        if x[i] > x[k]:
            k = i
    return y[k] * x[k]


def tuple_swap(x, y):
    a, b = x, y
    for _ in range(3):
        a, b = b, a * x
    return np.sum(a + 2 * b)


def fibonacci_like(x, n):
    a, b = np.ones_like(x), x
    for _ in range(n):
        a, b = b, a + b * x
    return np.sum(b)


def several_carried(x):
    s, p, m = 0.0, 1.0, x
    for i in range(len(x)):
        s = s + x[i]
        p = p * (1.0 + x[i] * s)
        m = m * 0.5 + s
    return p + np.sum(m) * s


def horner(coeffs, x):
    acc = np.zeros_like(x)
    for c in coeffs:
        acc = acc * x + c
    return np.sum(acc)


def gradient_descent_unrolled(w0, A, b, lr, steps):
    w = w0
    for _ in range(steps):
        residual = A @ w - b
        w = w - lr * (A.T @ residual)
    return np.sum((A @ w - b) ** 2)


def newton_sqrt(a):
    x = a
    for _ in range(5):
        x = 0.5 * (x + a / x)
    return np.sum(x)


def power_iteration(W, x, n):
    v = x
    for _ in range(n):
        v = W @ v
        v = v / np.sqrt(np.sum(v ** 2))
    return np.sum(v * x)


# ======================================================================== while / break / continue


def while_grow(x):
    s = 1.0
    while s < 10.0:
        s = s * 1.5 + x
    return s


def while_array_condition(v, x):
    while np.sum(v) < 10.0:
        v = v * 1.5 + x
    return np.sum(v ** 2)


def while_counter(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x)
        i += 1
    return np.sum(x)


def while_halving(x):
    s = np.sum(x ** 2)
    k = 0
    while s > 1.0:
        s = s / 2.0
        k += 1
    return s * k + np.sum(x)


def while_true_break(x):
    s = x
    while True:
        s = s * 2.0 + 1.0
        if np.sum(s) > 20.0:
            break
    return np.sum(s * x)


def while_continue(x):
    i = 0
    s = 0.0
    while i < len(x):
        i += 1
        if x[i - 1] < 0:
            continue
        s = s + np.exp(x[i - 1])
    return s


def break_on_value(x):
    s = x
    for _ in range(10):
        s = s * x + 1.0
        if np.sum(s) > 5.0:
            break
    return np.sum(s)


def break_on_index(x, n):
    total = 0.0
    for i in range(len(x)):
        if i >= n:
            break
        total = total + np.exp(x[i])
    return total


def continue_on_value(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s = s + x[i] ** 2
    return s


def continue_on_parity(x):
    s = 0.0
    for i in range(len(x)):
        if i % 2 == 0:
            continue
        s = s + np.sin(x[i]) * x[i - 1]
    return s


def break_and_continue(x):
    s = 0.0
    for v in x:
        if v < 0:
            continue
        if v > 2.0:
            break
        s = s + v ** 3
    return s


ENTRIES = [
    Case("for", for_literal_range, lambda: (normal(13, 3),)),
    Case("for", for_runtime_range, lambda: (normal(14, 3), 0), ("x",), path="n0"),
    Case("for", for_runtime_range, lambda: (normal(14, 3), 1), ("x",), path="n1"),
    Case("for", for_runtime_range, lambda: (normal(14, 3), 4), ("x",), path="n4"),
    Case("for", for_range_len, lambda: (normal(15, 4),)),
    Case("for", for_range_shape, lambda: (normal(16, 3, 2), normal(17, 2))),
    Case("for", for_range_step, lambda: (normal(18, 5),)),
    Case("for", for_range_reversed, lambda: (normal(19, 4),)),
    Case("for_iter", for_over_rows, lambda: (normal(20, 3, 2), normal(21, 2))),
    Case("for_iter", for_over_elements, lambda: (normal(22, 4),)),
    Case("for_iter", for_enumerate, lambda: (normal(23, 4),)),
    Case("for_iter", for_zip, lambda: (normal(24, 3), normal(25, 3))),
    Case("for_iter", for_literal_list, lambda: (normal(26, 3),)),
    Case("for_nested", nested_loops, lambda: (normal(27, 3, 2), normal(28, 2))),
    Case("for_nested", nested_loops_triangular, lambda: (normal(29, 4),)),
    Case("for_zero", loop_zero_trips, lambda: (normal(30, 3), 3), ("x",), path="zero"),
    Case("for_zero", loop_zero_trips, lambda: (normal(30, 3), 1), ("x",), path="two"),
    Case("for_zero", loop_rows_from, lambda: (normal(31, 3, 2), 3), ("X",), path="zero"),
    Case("for_zero", loop_rows_from, lambda: (normal(31, 3, 2), 1), ("X",), path="two"),
    Case("for_if", loop_ifexp, lambda: (normal(32, 4),)),
    Case("for_if", loop_branch_on_element,
         lambda: (np.array([0.5, -0.7, 1.2, -0.3]), np.array([1.1, 0.8, -0.6, 0.9]))),
    Case("for_if", running_max, lambda: (np.array([0.3, 1.2, -0.4, 0.8]),)),
    Case("for_if", argmax_by_loop,
         lambda: (np.array([0.3, 1.2, -0.4, 0.8]), np.array([0.5, -0.6, 0.7, 0.2]))),
    Case("for_carry", tuple_swap, lambda: (normal(33, 3), normal(34, 3))),
    Case("for_carry", fibonacci_like, lambda: (normal(35, 3) * 0.5, 4), ("x",)),
    Case("for_carry", several_carried, lambda: (uniform(36, 0.1, 0.6, 3),)),
    Case("horner", horner, lambda: (np.array([0.5, -1.0, 2.0, 0.3]), normal(37, 3))),
    Case("unrolled_gd", gradient_descent_unrolled,
         lambda: (normal(38, 2), normal(39, 3, 2), normal(40, 3), 0.1, 3),
         ("w0", "A", "b", "lr")),
    Case("for_carry", newton_sqrt, lambda: (uniform(41, 0.5, 2.0, 3),)),
    Case("for_carry", power_iteration, lambda: (normal(42, 3, 3), normal(43, 3), 3),
         ("W", "x")),
    Case("while", while_grow, lambda: (0.3,)),
    Case("while", while_array_condition,
         lambda: (np.array([0.5, 0.2, 0.3]), np.array([0.1, 0.2, 0.2]))),
    Case("while", while_counter, lambda: (normal(44, 3), 3), ("x",), path="n3"),
    Case("while", while_counter, lambda: (normal(44, 3), 0), ("x",), path="n0"),
    Case("while", while_halving, lambda: (np.array([1.5, -1.2, 1.4]),)),
    Case("while_break", while_true_break, lambda: (np.array([0.1, 0.2, 0.3]),)),
    Case("while_continue", while_continue, lambda: (np.array([0.5, -0.7, 1.2, -0.3]),)),
    Case("break", break_on_value, lambda: (np.array([0.5, 0.6, 0.7]),)),
    Case("break", break_on_index, lambda: (normal(45, 4), 2), ("x",), path="n2"),
    Case("break", break_on_index, lambda: (normal(45, 4), 0), ("x",), path="n0"),
    Case("continue", continue_on_value, lambda: (np.array([0.5, -0.7, 1.2, -0.3]),)),
    Case("continue", continue_on_parity, lambda: (normal(46, 5),)),
    Case("break_continue", break_and_continue,
         lambda: (np.array([0.5, -1.0, 1.5, 3.0, 0.7]),)),
]

TORCH_IDS = [
    "for.for_runtime_range-n0",
    "for.for_runtime_range-n4",
    "for_iter.for_over_rows",
    "for_nested.nested_loops",
    "for_carry.tuple_swap",
    "horner.horner",
    "unrolled_gd.gradient_descent_unrolled",
    "while.while_grow",
    "break.break_on_value",
    "break_continue.break_and_continue",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_for_runtime_range(x, n):
        y = x
        for i in range(n):
            y = y * x + i
        return torch.sum(y)

    def t_for_over_rows(X, w):
        return sum(torch.sum(row * w) ** 2 for row in X)

    def t_nested_loops(A, x):
        return sum(A[i, j] * x[j] ** (i + 1) for i in range(A.shape[0])
                   for j in range(A.shape[1]))

    def t_tuple_swap(x, y):
        a, b = x, y
        for _ in range(3):
            a, b = b, a * x
        return torch.sum(a + 2 * b)

    def t_horner(coeffs, x):
        acc = torch.zeros_like(x)
        for c in coeffs:
            acc = acc * x + c
        return torch.sum(acc)

    def t_gd(w0, A, b, lr, steps):
        w = w0
        for _ in range(steps):
            w = w - lr * (A.T @ (A @ w - b))
        return torch.sum((A @ w - b) ** 2)

    def t_while_grow(x):
        s = 1.0
        while s < 10.0:
            s = s * 1.5 + x
        return s

    def t_break_on_value(x):
        s = x
        for _ in range(10):
            s = s * x + 1.0
            if torch.sum(s) > 5.0:
                break
        return torch.sum(s)

    def t_break_and_continue(x):
        s = 0.0
        for v in x:
            if v < 0:
                continue
            if v > 2.0:
                break
            s = s + v ** 3
        return s

    return {
        "for.for_runtime_range": t_for_runtime_range,
        "for_iter.for_over_rows": t_for_over_rows,
        "for_nested.nested_loops": t_nested_loops,
        "for_carry.tuple_swap": t_tuple_swap,
        "horner.horner": t_horner,
        "unrolled_gd.gradient_descent_unrolled": t_gd,
        "while.while_grow": t_while_grow,
        "break.break_on_value": t_break_on_value,
        "break_continue.break_and_continue": t_break_and_continue,
    }
