"""Branches: if / elif / else, early returns, conditional expressions, and/or/not and
comparisons as conditions, on arrays, scalars, flags, None and shapes."""

from __future__ import annotations

import numpy as np

from .case import X3, XN3, Case, normal


def if_sum_positive(x):
    if np.sum(x) > 0:
        y = np.sin(x) * 2
    else:
        y = np.cos(x) * x
    return np.sum(y * x)


def if_scalar_compare(a, b, x):
    if a > b:
        out = np.sum(a * x ** 2)
    else:
        out = np.sum(b * np.exp(x)) - a
    return out


def if_flag(x, w, flag):
    if flag:
        y = x * w
    else:
        y = x + w
    return np.sum(y ** 2)


def if_elif_else_mode(x, mode):
    if mode == 0:
        y = np.sin(x)
    elif mode == 1:
        y = x ** 2
    else:
        y = np.exp(-x)
    return np.sum(y * x)


def nested_if(x, y):
    if np.sum(x) > 0:
        if np.max(y) > 1.0:
            z = x * y
        else:
            z = x - y
    else:
        if np.min(y) < -1.0:
            z = x / (1.0 + y ** 2)
        else:
            z = np.sin(x * y)
    return np.sum(z ** 2)


def branch_assigns_different_vars(x):
    a = x
    b = np.ones_like(x)
    if np.sum(x) > 0:
        a = np.sin(x)
    else:
        b = np.cos(x)
    return np.sum(a * b + a)


def branch_rebinds_one_of_several(x, y):
    a = x * y
    b = x + y
    c = x ** 2
    if np.mean(y) > 0:
        b = b * c
    return np.sum(a * b - c)


def branch_defines_new_var(x):
    if np.sum(x) > 0:
        extra = x ** 2
        total = np.sum(extra) + np.sum(x)
    else:
        extra = np.exp(x)
        total = np.sum(extra * x)
    return total * np.mean(extra)


def early_return(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    y = np.exp(x)
    return np.sum(y * x)


def early_return_nested(x, k):
    y = x * 2
    if k > 0:
        if np.max(x) > 0.5:
            return np.sum(np.sin(y))
        y = y * x
    return np.sum(y ** 2)


def ifexp_scale(x):
    scale = 2.0 if np.sum(x) > 0 else 0.5
    return np.sum(scale * x ** 2)


def ifexp_arrays(x, y, flag):
    z = np.sin(x) * y if flag else np.cos(y) * x
    return np.sum(z)


def ifexp_nested(x, t):
    w = x ** 2 if t > 1.0 else (x * 3 if t > 0.0 else -x)
    return np.sum(w * t)


def and_condition(x, y):
    if np.sum(x) > 0 and np.sum(y) > 0:
        return np.sum(x * y)
    return np.sum(x - y ** 2)


def or_condition(x, y):
    if np.max(x) > 2.0 or np.min(y) < -2.0:
        z = x * 0.5
    else:
        z = x * y
    return np.sum(z ** 2)


def not_condition(x, flag):
    if not flag:
        x = x * 2
    if not np.all(x > 0):
        x = x ** 2
    return np.sum(np.exp(x))


def comparison_operators(x, n):
    y = x
    if n >= 2:
        y = y * 2
    if n <= 2:
        y = y + 1
    if n != 3:
        y = y * x
    if n == 3:
        y = np.sin(y)
    return np.sum(y)


def chained_comparison(x):
    s = np.sum(x)
    if 0.0 < s < 2.0:
        return np.sum(np.sin(x))
    return np.sum(x ** 2)


def piecewise_scalar(t):
    if t < -1.0:
        y = -2.0 * t - 1.0
    elif t < 0.0:
        y = t ** 2
    elif t < 1.0:
        y = np.sin(t)
    else:
        y = np.log(t) + np.sin(1.0)
    return y


def optional_is_none(x, b=None):
    if b is None:
        b = np.ones_like(x)
    return np.sum(np.tanh(x + b))


def shape_condition(X):
    if X.shape[0] > X.shape[1]:
        return np.sum((X.T @ X) ** 2)
    return np.sum(X @ X.T)


ENTRIES = [
    Case("if", if_sum_positive, lambda: (X3.copy(),), path="then"),
    Case("if", if_sum_positive, lambda: (XN3.copy(),), path="else"),
    Case("if", if_scalar_compare, lambda: (1.3, 0.4, normal(1, 3)), path="then"),
    Case("if", if_scalar_compare, lambda: (-0.5, 0.7, normal(1, 3)), path="else"),
    Case("if", if_flag, lambda: (normal(2, 3), normal(3, 3), True), ("x", "w"), path="true"),
    Case("if", if_flag, lambda: (normal(2, 3), normal(3, 3), False), ("x", "w"),
         path="false"),
    Case("elif", if_elif_else_mode, lambda: (normal(4, 3), 0), ("x",), path="if"),
    Case("elif", if_elif_else_mode, lambda: (normal(4, 3), 1), ("x",), path="elif"),
    Case("elif", if_elif_else_mode, lambda: (normal(4, 3), 2), ("x",), path="else"),
    Case("nested_if", nested_if, lambda: (X3.copy(), np.array([1.5, 0.3, -0.2])),
         path="then-then"),
    Case("nested_if", nested_if, lambda: (X3.copy(), np.array([0.5, 0.3, -0.2])),
         path="then-else"),
    Case("nested_if", nested_if, lambda: (XN3.copy(), np.array([-1.5, 0.2, 0.4])),
         path="else-then"),
    Case("nested_if", nested_if, lambda: (XN3.copy(), np.array([0.3, -0.4, 0.6])),
         path="else-else"),
    Case("if_assigns", branch_assigns_different_vars, lambda: (X3.copy(),), path="then"),
    Case("if_assigns", branch_assigns_different_vars, lambda: (XN3.copy(),), path="else"),
    Case("if_assigns", branch_rebinds_one_of_several,
         lambda: (normal(5, 3), np.array([0.4, 0.8, -0.2])), path="taken"),
    Case("if_assigns", branch_rebinds_one_of_several,
         lambda: (normal(5, 3), np.array([-0.4, -0.8, 0.2])), path="skipped"),
    Case("if_assigns", branch_defines_new_var, lambda: (X3.copy(),), path="then"),
    Case("if_assigns", branch_defines_new_var, lambda: (XN3.copy(),), path="else"),
    Case("early_return", early_return, lambda: (X3.copy(),), path="returns"),
    Case("early_return", early_return, lambda: (XN3.copy(),), path="falls_through"),
    Case("early_return", early_return_nested, lambda: (X3.copy(), 1), ("x",),
         path="inner_return"),
    Case("early_return", early_return_nested, lambda: (X3 * 0.3, 1), ("x",),
         path="inner_falls_through"),
    Case("early_return", early_return_nested, lambda: (X3.copy(), 0), ("x",),
         path="outer_skipped"),
    Case("ifexp", ifexp_scale, lambda: (X3.copy(),), path="true"),
    Case("ifexp", ifexp_scale, lambda: (XN3.copy(),), path="false"),
    Case("ifexp", ifexp_arrays, lambda: (normal(6, 3), normal(7, 3), True), ("x", "y"),
         path="true"),
    Case("ifexp", ifexp_arrays, lambda: (normal(6, 3), normal(7, 3), False), ("x", "y"),
         path="false"),
    Case("ifexp", ifexp_nested, lambda: (normal(8, 3), 1.5), path="outer"),
    Case("ifexp", ifexp_nested, lambda: (normal(8, 3), 0.5), path="inner_true"),
    Case("ifexp", ifexp_nested, lambda: (normal(8, 3), -0.5), path="inner_false"),
    Case("boolop", and_condition, lambda: (X3.copy(), X3 * 2), path="both"),
    Case("boolop", and_condition, lambda: (X3.copy(), XN3.copy()), path="second_false"),
    Case("boolop", or_condition, lambda: (np.array([2.5, 0.1, 0.3]), X3.copy()),
         path="first"),
    Case("boolop", or_condition, lambda: (X3.copy(), np.array([0.2, -2.5, 0.4])),
         path="second"),
    Case("boolop", or_condition, lambda: (X3.copy(), X3.copy()), path="neither"),
    Case("boolop", not_condition, lambda: (np.abs(X3), True), ("x",), path="positive"),
    Case("boolop", not_condition, lambda: (X3.copy(), False), ("x",), path="mixed"),
    Case("compare", comparison_operators, lambda: (normal(9, 3), 2), ("x",), path="n2"),
    Case("compare", comparison_operators, lambda: (normal(9, 3), 3), ("x",), path="n3"),
    Case("compare", chained_comparison, lambda: (X3.copy(),), path="inside"),
    Case("compare", chained_comparison, lambda: (X3 * 3,), path="outside"),
    Case("piecewise", piecewise_scalar, lambda: (-2.0,), path="lt_m1"),
    Case("piecewise", piecewise_scalar, lambda: (-0.5,), path="lt_0"),
    Case("piecewise", piecewise_scalar, lambda: (0.5,), path="lt_1"),
    Case("piecewise", piecewise_scalar, lambda: (2.0,), path="else"),
    Case("if_none", optional_is_none, lambda: (normal(10, 3),), ("x",), path="default"),
    Case("if_none", optional_is_none, lambda: (normal(10, 3), normal(11, 3)), path="given"),
    Case("if_shape", shape_condition, lambda: (normal(12, 4, 2),), path="tall"),
    Case("if_shape", shape_condition, lambda: (normal(12, 2, 3),), path="wide"),
]

TORCH_IDS = [
    "if.if_sum_positive-then",
    "if.if_sum_positive-else",
    "elif.if_elif_else_mode-if",
    "elif.if_elif_else_mode-elif",
    "elif.if_elif_else_mode-else",
    "nested_if.nested_if-then-then",
    "nested_if.nested_if-else-then",
    "early_return.early_return-returns",
    "early_return.early_return-falls_through",
    "piecewise.piecewise_scalar-lt_m1",
    "piecewise.piecewise_scalar-lt_1",
    "piecewise.piecewise_scalar-else",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_if_sum_positive(x):
        y = torch.sin(x) * 2 if torch.sum(x) > 0 else torch.cos(x) * x
        return torch.sum(y * x)

    def t_if_elif_else_mode(x, mode):
        y = torch.sin(x) if mode == 0 else (x ** 2 if mode == 1 else torch.exp(-x))
        return torch.sum(y * x)

    def t_nested_if(x, y):
        if torch.sum(x) > 0:
            z = x * y if torch.max(y) > 1.0 else x - y
        else:
            z = x / (1.0 + y ** 2) if torch.min(y) < -1.0 else torch.sin(x * y)
        return torch.sum(z ** 2)

    def t_early_return(x):
        if torch.sum(x) > 0:
            return torch.sum(x ** 2)
        return torch.sum(torch.exp(x) * x)

    def t_piecewise_scalar(t):
        if t < -1.0:
            return -2.0 * t - 1.0
        if t < 0.0:
            return t ** 2
        if t < 1.0:
            return torch.sin(t)
        return torch.log(t) + np.sin(1.0)

    return {
        "if.if_sum_positive": t_if_sum_positive,
        "elif.if_elif_else_mode": t_if_elif_else_mode,
        "nested_if.nested_if": t_nested_if,
        "early_return.early_return": t_early_return,
        "piecewise.piecewise_scalar": t_piecewise_scalar,
    }
