"""Containers and metadata: tuple unpacking, several outputs, list / tuple / dict literals,
sums of lists, and shape / size / ndim / len."""

from __future__ import annotations

import numpy as np

from .case import Case, normal


def tuple_unpack(x, y):
    a, b = np.sin(x), np.cos(y)
    (c, d), e = (a * b, a + b), x * y
    return np.sum(c * d + e)


def two_outputs(x, y):
    return np.sum(x * y), np.tanh(x) * y


def two_outputs_loop(x, n):
    s = 0.0
    for i in range(n):
        x = np.sin(x) + i
        s = s + np.sum(x)
    return s, x ** 2


def list_literal(a, b):
    parts = [a, b]
    return np.sum(parts[0] * parts[1])


def tuple_literal(x, y):
    t = (x, y, x * y)
    return np.sum(t[2] * t[0] + t[-1])


def dict_literal(w, b, x):
    d = {"w": w, "b": b}
    return np.sum(np.tanh(d["w"] @ x + d["b"]))


def sum_of_scalar_list(x, y):
    terms = [np.sum(x ** 2), np.sum(x * y), np.sum(np.sin(y))]
    return np.sum(terms)


def sum_of_array_list(x, y):
    return np.sum([x * y, x ** 2])


def shape_metadata(X):
    n, m = X.shape
    return np.sum(X) / X.size + n * np.mean(X ** 2) + m * X.ndim * np.sum(np.sin(X)) / len(X)


ENTRIES = [
    Case("tuple", tuple_unpack, lambda: (normal(87, 3), normal(88, 3))),
    Case("tuple", two_outputs, lambda: (normal(89, 3), normal(90, 3)),
         seed=lambda: (0.7, normal(91, 3))),
    Case("tuple", two_outputs_loop, lambda: (normal(92, 3), 3), ("x",),
         seed=lambda: (1.3, normal(93, 3))),
    Case("list", list_literal, lambda: (normal(94, 3), normal(95, 3))),
    Case("tuple", tuple_literal, lambda: (normal(96, 3), normal(97, 3))),
    Case("dict", dict_literal, lambda: (normal(98, 2, 3), normal(99, 2), normal(100, 3))),
    Case("list", sum_of_scalar_list, lambda: (normal(101, 3), normal(102, 3))),
    Case("list", sum_of_array_list, lambda: (normal(103, 3), normal(104, 3))),
    Case("metadata", shape_metadata, lambda: (normal(105, 3, 2),)),
]

TORCH_IDS = [
    "tuple.two_outputs",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_two_outputs(x, y):
        return torch.sum(x * y), torch.tanh(x) * y

    return {
        "tuple.two_outputs": t_two_outputs,
    }
