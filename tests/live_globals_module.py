"""Globals for tests/test_live_globals.py (a module of its own, so the tests can change them)."""

import numpy as np

W = np.array([1.0, 2.0, 3.0])
scale = 2.0


def weighted(x):
    return np.sum(W * x) * scale


def _helper(v):
    return v * W[0]


def through_a_helper(x):
    return np.sum(_helper(x) ** 2)
