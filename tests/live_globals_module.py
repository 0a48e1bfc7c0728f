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


def helper_reading_W(x):
    return np.sum(W * x)


def caller_with_its_own_W(x, W):  # noqa: N803 (the same name as the helper's global)
    return helper_reading_W(x) + np.sum(W * x)


class _Settings:
    pass


settings = _Settings()
settings.rate = 0.5
settings.V = np.array([1.0, 2.0, 3.0])
missing = float("nan")


def through_attributes(x):
    return np.sum(x * settings.rate) + np.sum(settings.V * x)


def times_missing(x):
    return np.sum(x) * missing


class Settings:
    k = 2.0


def _scaled(x, c=2.0):
    return x * c


def _h5(x):
    return x * scale


def _h4(x):
    return _h5(x) + 0.0


def _h3(x):
    return _h4(x) + 0.0


def _h2(x):
    return _h3(x) + 0.0


def _h1(x):
    return _h2(x) + 0.0


def through_class_attribute(x):
    return np.sum(x**2) * Settings.k


def through_a_default(x):
    return np.sum(_scaled(x) ** 2)


def five_helpers_deep(x):
    return np.sum(_h1(x) ** 2)
