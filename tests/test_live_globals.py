"""Globals the generated code reads are live, as they are for the original function.

The transform bakes global numbers into its formulas and global arrays into the module; a
numpy user changing them later must not get a stale value or gradient.
"""

import live_globals_module as m
import numpy as np
import pytest
from gradutil import check_grads

import symgrad


@pytest.fixture(autouse=True)
def restore_globals():
    W, scale = m.W.copy(), m.scale
    yield
    m.W, m.scale = W, scale


X = np.array([0.5, -1.0, 2.0])


def test_an_array_changed_in_place_is_seen():
    G = symgrad.grad(m.weighted)
    np.testing.assert_allclose(G(X), m.weighted(X))
    m.W[0] = 10.0
    np.testing.assert_allclose(G(X), m.weighted(X))
    np.testing.assert_allclose(G.grad(X), m.W * m.scale)


def test_an_array_rebound_is_seen_and_a_number_regenerates():
    G = symgrad.grad(m.weighted)
    G(X)
    m.W = np.array([7.0, 8.0, 9.0])
    np.testing.assert_allclose(G.grad(X), m.W * m.scale)
    m.scale = 3.0
    np.testing.assert_allclose(G.value_and_grad(X)[0], m.weighted(X))
    np.testing.assert_allclose(G.grad(X), m.W * 3.0)
    m.W = np.array([1.0, 2.0])  # another shape: generated again
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(G(x), m.weighted(x))
    check_grads(G, x)


def test_a_helpers_global_is_watched_too():
    G = symgrad.grad(m.through_a_helper)
    m.W[0] = -4.0
    np.testing.assert_allclose(G(X), m.through_a_helper(X))
    check_grads(G, X)


def test_a_closure_value_is_watched(tmp_path):
    def make():
        k = 2.0

        def f(x):
            return np.sum(k * x**2)

        def set_k(v):
            nonlocal k
            k = v
        return f, set_k

    f, set_k = make()
    G = symgrad.grad(f)
    np.testing.assert_allclose(G.grad(X), 4.0 * X)
    set_k(5.0)
    np.testing.assert_allclose(G.grad(X), 10.0 * X)


def test_export_writes_the_arrays_as_they_are_now(tmp_path):
    G = symgrad.grad(m.weighted)
    G(X)
    m.W[1] = 42.0
    path = G.export(tmp_path / "weighted_grad.py")
    namespace: dict = {}
    exec(path.read_text(), namespace)
    np.testing.assert_allclose(namespace["weighted_grad"](X), m.W * m.scale)


def _tripled(v):
    return v * 3.0


def test_a_helper_rebound_after_decoration_is_seen():
    G = symgrad.grad(m.through_a_helper)
    original = m._helper
    try:
        m._helper = _tripled
        np.testing.assert_allclose(G(X), m.through_a_helper(X))
        check_grads(G, X)
    finally:
        m._helper = original


def test_a_helpers_global_is_not_the_callers_parameter_of_the_same_name():
    W = np.array([-1.0, 0.0, 1.0])
    G = symgrad.grad(m.caller_with_its_own_W, wrt="x")
    np.testing.assert_allclose(G(X, W), m.caller_with_its_own_W(X, W))
    np.testing.assert_allclose(G.grad(X, W), m.W + W)
    m.W[2] = 30.0  # and the helper's global stays live under its own name
    np.testing.assert_allclose(G.grad(X, W), m.W + W)


def test_values_read_through_attributes_and_non_finite_numbers():
    G = symgrad.grad(m.through_attributes)
    np.testing.assert_allclose(G(X), m.through_attributes(X))
    m.settings.rate = 3.0
    m.settings.V[0] = 10.0
    np.testing.assert_allclose(G(X), m.through_attributes(X))
    np.testing.assert_allclose(G.grad(X), m.settings.rate + m.settings.V)
    m.settings.rate = 0.5
    m.settings.V[0] = 1.0
    H = symgrad.grad(m.times_missing)
    assert np.isnan(H(X)) and np.all(np.isnan(H.grad(X)))  # nan*x: nan, not a constant


def calls_a_helper_through_its_module(x):
    return m.helper_reading_W(x) * 2.0


def test_a_helper_reached_through_a_module_attribute_is_watched():
    G = symgrad.grad(calls_a_helper_through_its_module)
    G(X)
    m.W[0] = 10.0
    np.testing.assert_allclose(G(X), calls_a_helper_through_its_module(X))
    np.testing.assert_allclose(G.grad(X), 2.0 * m.W)


@pytest.mark.parametrize("fn, change", [
    (m.through_class_attribute, lambda: setattr(m.Settings, "k", 5.0)),
    (m.through_a_default, lambda: setattr(m._scaled, "__defaults__", (5.0,))),
    (m.five_helpers_deep, lambda: setattr(m, "scale", 7.0)),
], ids=["class attribute", "helper default", "five helpers deep"])
def test_cache_key_and_live_values_follow_what_the_code_reads(fn, change):
    from symgrad import cache

    G = symgrad.grad(fn)
    before = cache.cache_key(fn, ["x"])
    saved_k, saved_defaults = m.Settings.k, m._scaled.__defaults__
    try:
        change()
        assert cache.cache_key(fn, ["x"]) != before  # another process must not reuse it
        np.testing.assert_allclose(G(X), fn(X))  # and this one sees it now
        check_grads(G, X)
    finally:
        m.Settings.k, m._scaled.__defaults__ = saved_k, saved_defaults
