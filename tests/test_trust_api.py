"""Issue 11, the API side: values and gradients symgrad used to get silently wrong at the
boundary (returned values, module reuse, wrappers, inputs, tuple outputs, defaults)."""

from __future__ import annotations

import gc
import types

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import api

# ------------------------------------------------- 8: value_and_grad returns the value


def test_value_and_grad_returns_the_value_a_backward_loop_rebinds():
    def f(a):
        if a < 20:
            for _i in range(3):
                a = a * a
        return a

    G = symgrad.grad(f)
    value, grad = G.value_and_grad(-2.0)
    assert value == f(-2.0) == 256.0
    assert grad == G.grad(-2.0) == pytest.approx(-1024.0)


def test_value_and_grad_tuple_outputs_survive_the_backward_loop():
    def f(x, w):
        for _i in range(4):
            x = np.sin(x * w)
        return x, np.sum(x)

    x, w = np.array([0.3, -0.7, 1.1]), 0.9
    G = symgrad.grad(f, wrt="x")
    seed = (np.array([1.0, -2.0, 0.5]), 3.0)
    (v1, v2), g = G.value_and_grad(x, w, seed=seed)
    e1, e2 = f(x, w)
    np.testing.assert_allclose(v1, e1)
    assert v2 == pytest.approx(e2)
    np.testing.assert_allclose(g, G.grad(x, w, seed=seed))
    check_grads(G, x, w, seed=seed)


# ------------------------------------------------- 10: no stale module by a reused id


def _make_loss(scale):
    def fn(x):
        return np.sum(x * scale)
    return fn


@pytest.mark.parametrize("disk", [False, True])
def test_a_sweep_over_closures_never_reuses_an_earlier_closures_module(disk, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(tmp_path) if disk else "0")
    got = []
    for k in range(12):
        fn = _make_loss(float(k) + 0.5)  # a float: freed at once, its id soon reused
        got.append(float(symgrad.grad(fn).grad(np.array([1.0]))[0]))
        del fn
        gc.collect()
    assert got == [k + 0.5 for k in range(12)]


SCALE = 1.0


def test_a_global_changed_between_two_decorations_is_seen():
    global SCALE

    def f(x):
        return np.sum(x * SCALE)

    try:
        first = symgrad.grad(f)
        SCALE = 3.0
        second = symgrad.grad(f)
        assert second.grad(np.array([1.0]))[0] == 3.0
        assert first.grad(np.array([1.0]))[0] == 3.0  # live: it sees the change too
    finally:
        SCALE = 1.0


def test_an_object_without_a_fingerprint_is_keyed_by_identity_kept_alive():
    cfg = types.SimpleNamespace(s=2.0)

    def g(x):
        return np.sum(x * cfg.s)

    assert symgrad.grad(g).grad(np.array([1.0]))[0] == 2.0
    cfg.s = 5.0
    assert symgrad.grad(g).grad(np.array([1.0]))[0] == 5.0
    assert any(cfg in m.keep for m in api._TRANSFORMS.values())


def test_equal_closures_share_generated_code_but_not_their_live_arrays():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    ga, gb = symgrad.grad(_make_loss(a)), symgrad.grad(_make_loss(b))
    assert ga._generated is gb._generated  # same content: generated once
    a *= 10  # an in-place change to one closure's array: only that function sees it
    x = np.ones(2)
    np.testing.assert_allclose(ga.grad(x), [10.0, 20.0])
    np.testing.assert_allclose(gb.grad(x), [1.0, 2.0])
    assert ga(x) == 30.0 and gb(x) == 3.0


# ------------------------------------------------- 16a: defaults bound by value

BETA = 2.0
W0 = np.array([1.0, -3.0], dtype=np.float32)
EPS = np.float32(1e-3)


def _with_defaults(x, beta=BETA, w=W0, eps=EPS, scale=(2.0,), mode="sum"):
    return np.sum(x * beta * w * scale[0]) + eps


def test_defaults_read_from_globals_are_bound_by_value():
    G = symgrad.grad(_with_defaults, wrt="x")
    x = np.array([0.5, 2.0])
    assert G(x) == pytest.approx(_with_defaults(x))
    np.testing.assert_allclose(G.grad(x), 2 * BETA * W0)
    check_grads(G, x)
    assert "beta=2.0" in G.source and "eps=np.float32(0.001)" in G.source
    assert "w_default = np.array([1.0, -3.0], dtype=np.float32)" in G.source


def test_a_default_from_an_enclosing_scope_and_the_exported_module_runs(tmp_path):
    import importlib.util

    def make(k):
        def f(x, k=k):
            return np.sum(np.sin(x) * k)
        return f

    G = symgrad.grad(make(3.0), wrt="x")
    x = np.array([0.1, 0.7])
    np.testing.assert_allclose(G.grad(x), 3.0 * np.cos(x))
    path = tmp_path / "defaults_module.py"
    G.export(path, (x,))
    spec = importlib.util.spec_from_file_location("defaults_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    np.testing.assert_allclose(mod.f_grad(x), 3.0 * np.cos(x))
    path2 = tmp_path / "defaults_module2.py"
    symgrad.grad(_with_defaults, wrt="x").export(path2, (x,))
    spec = importlib.util.spec_from_file_location("defaults_module2", path2)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod._with_defaults(x) == pytest.approx(_with_defaults(x))


def test_a_default_that_cannot_be_written_is_refused_at_decoration():
    def f(x, opts={"a": 1}):  # noqa: B006
        return np.sum(x)

    with pytest.raises(symgrad.SymgradError, match="default value of parameter 'opts'"):
        symgrad.grad(f)
