"""Calls: module-level helpers, nested defs, closures, keyword defaults, tuple returns,
recursion, and helpers with branches, loops and early returns."""

from __future__ import annotations

import numpy as np

from .case import X3, Case, normal


def _square(v):
    return v * v


def _squash(v):
    return np.tanh(v) * 0.5


def _squash_affine(v, w):
    return _squash(v * w) + w


def _affine(v, scale=2.0, shift=0.0):
    return v * scale + shift


def _moments(v):
    m = np.mean(v)
    return m, np.mean((v - m) ** 2)


def _cell(W, h, x):
    return np.tanh(W @ h + x)


def _power(x, n):
    if n == 0:
        return 1.0
    return x * _power(x, n - 1)


def _poly_sum(x, n):
    if n == 0:
        return np.zeros_like(x)
    return x ** n / n + _poly_sum(x, n - 1)


def _soft(v, hard):
    if hard:
        return v / (1.0 + v ** 2)
    return np.tanh(v)


def _repeat_sin(v, k):
    for _ in range(k):
        v = np.sin(v)
    return v


def _pick(v):
    if np.sum(v) > 0:
        return np.sum(v ** 2)
    return np.sum(np.exp(v))


def call_helper(x):
    return np.sum(_square(x) + _square(np.sin(x)))


def call_helper_chain(x, w):
    return np.sum(_squash_affine(x, w) ** 2)


def call_nested_def(x):
    def g(v):
        return v ** 2 + 1.0

    return np.sum(g(x) * g(x * 2.0))


def call_nested_closure(x, w):
    def scaled(v):
        return v * w

    return np.sum(np.sin(scaled(x)) + scaled(x) ** 2)


def make_scaled_norm(scale):
    def scaled_norm(x):
        return scale * np.sum(x ** 2)

    return scaled_norm


scaled_norm_pos = make_scaled_norm(2.5)
scaled_norm_neg = make_scaled_norm(-1.0)


def make_weighted_loss(weights):
    def weighted_loss(x):
        total = 0.0
        for i in range(len(x)):
            total = total + weights[i] * x[i] ** 2
        return total

    return weighted_loss


weighted_loss = make_weighted_loss(np.array([0.5, 1.5, 2.0]))


def call_kwargs_defaults(x, y):
    return np.sum(_affine(x) + _affine(x, shift=1.0) * _affine(y, scale=x))


def call_returning_tuple(x):
    m, var = _moments(x)
    return m * var + var ** 2


def call_in_loop(W, h, xs):
    for t in range(xs.shape[0]):
        h = _cell(W, h, xs[t])
    return np.sum(h ** 2)


def call_recursive_power(x):
    return np.sum(_power(x, 3) + _power(x * 2.0, 1))


def call_recursive_sum(x):
    return np.sum(_poly_sum(x, 4))


def call_helper_with_branch(x, hard):
    return np.sum(_soft(x, hard) * x)


def call_helper_with_loop(x):
    return np.sum(_repeat_sin(x, 3) * x)


def call_helper_early_return(x):
    return _pick(x) + 2.0 * _pick(-x)


ENTRIES = [
    Case("call", call_helper, lambda: (normal(69, 3),)),
    Case("call", call_helper_chain, lambda: (normal(70, 3), normal(71, 3))),
    Case("call_nested_def", call_nested_def, lambda: (normal(72, 3),)),
    Case("call_closure", call_nested_closure, lambda: (normal(73, 3), normal(74, 3))),
    Case("call_closure", scaled_norm_pos, lambda: (normal(75, 3),), path="2.5"),
    Case("call_closure", scaled_norm_neg, lambda: (normal(75, 3),), path="-1"),
    Case("call_closure", weighted_loss, lambda: (normal(76, 3),)),
    Case("call_kwargs", call_kwargs_defaults, lambda: (normal(77, 3), normal(78, 3))),
    Case("call_tuple", call_returning_tuple, lambda: (normal(79, 4),)),
    Case("call_loop", call_in_loop,
         lambda: (normal(80, 3, 3) * 0.5, normal(81, 3), normal(82, 4, 3))),
    Case("call_recursive", call_recursive_power, lambda: (normal(83, 3),)),
    Case("call_recursive", call_recursive_sum, lambda: (normal(84, 3),)),
    Case("call_branch", call_helper_with_branch, lambda: (normal(85, 3), True), ("x",),
         path="hard"),
    Case("call_branch", call_helper_with_branch, lambda: (normal(85, 3), False), ("x",),
         path="soft"),
    Case("call_loop", call_helper_with_loop, lambda: (normal(86, 3),)),
    Case("call_branch", call_helper_early_return, lambda: (X3.copy(),)),
]

TORCH_IDS = [
    "call_loop.call_in_loop",
    "call_recursive.call_recursive_power",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_call_in_loop(W, h, xs):
        for t in range(xs.shape[0]):
            h = torch.tanh(W @ h + xs[t])
        return torch.sum(h ** 2)

    def t_call_recursive_power(x):
        return torch.sum(x * x * x + x * 2.0)

    return {
        "call_loop.call_in_loop": t_call_in_loop,
        "call_recursive.call_recursive_power": t_call_recursive_power,
    }
