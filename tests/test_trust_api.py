"""Issue 11, the API side: values and gradients symgrad used to get silently wrong at the
boundary (returned values, module reuse, wrappers, inputs, tuple outputs, defaults)."""

from __future__ import annotations

import functools
import gc
import os
import re
import time
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
    for k in range(6):  # (each gc.collect costs seconds late in a full test session)
        fn = _make_loss(float(k) + 0.5)  # a float: freed at once, its id soon reused
        got.append(float(symgrad.grad(fn).grad(np.array([1.0]))[0]))
        del fn
        gc.collect()
    assert got == [k + 0.5 for k in range(6)]


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


# ------------------------------------------------- 12: inputs symgrad would compute wrong


def _sum_sq(x):
    return np.sum(x * x)


@pytest.mark.parametrize("value, says, hint", [
    (np.array([1 + 1j, 2.0]), "complex", r"x\.real, x\.imag"),
    (np.matrix([[1.0, 2.0], [3.0, 4.0]]), "np.matrix", r"np\.asarray\(x\)"),
    (np.ma.array([1.0, 2.0], mask=[0, 1]), "masked array", r"x\.filled"),
    (np.array([1.0, 2.0], dtype=object), "dtype object", r"x\.astype\(float\)"),
    (1 + 2j, "complex", r"x\.real"),
])
def test_inputs_computed_wrong_are_refused_naming_the_argument(value, says, hint):
    G = symgrad.grad(_sum_sq)
    for call in (G, G.grad, G.value_and_grad):
        with pytest.raises(symgrad.SymgradError, match=f"argument 'x' is .*{says}") as info:
            call(value)
        assert re.search(hint, str(info.value)), str(info.value)
        # raised at the API, not deep inside: one symgrad frame is shown, the method called
        package = os.path.dirname(symgrad.__file__) + os.sep
        assert [e.name for e in info.traceback if str(e.path).startswith(package)] == \
            ["__call__" if call is G else call.__name__]


def test_a_refused_input_inside_a_tuple_argument_is_named_by_its_position():
    def f(x, pair):
        return np.sum(x * 2.0)

    with pytest.raises(symgrad.SymgradError, match=r"argument 'pair\[1\]' is an np\.matrix"):
        symgrad.grad(f, wrt="x").grad(np.ones(2), (np.ones(2), np.matrix([[1.0]])))


def test_integer_and_bool_arguments_outside_wrt_are_still_fine():
    def f(x, idx, mask):
        return np.sum(np.where(mask, x[idx], 0.0))

    G = symgrad.grad(f, wrt="x")
    g = G.grad(np.array([1.0, 2.0, 3.0]), np.array([0, 2]), np.array([True, False]))
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0])


# ------------------------------------------------- 13: a tuple output needs seed= or has_aux


def _loss_and_metric(x):
    return np.sum(x ** 2), np.sum(x)


def test_a_tuple_output_without_seed_is_refused_with_a_hint():
    G = symgrad.grad(_loss_and_metric)
    with pytest.raises(symgrad.SymgradError, match="returns 2 outputs") as info:
        G.grad(np.array([1.0, 2.0]))
    assert "has_aux=True" in str(info.value) and "seed=" in str(info.value)
    # an explicit seed still means what it says: <seed, outputs>
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(G.grad(x, seed=(1.0, 0.0)), 2 * x)
    np.testing.assert_allclose(G.grad(x, seed=(1.0, 1.0)), 2 * x + 1)
    check_grads(G, x, seed=(2.0, -1.0))


def test_has_aux_differentiates_the_first_output_and_returns_the_rest():
    G = symgrad.grad(_loss_and_metric, has_aux=True)
    x = np.array([1.0, 2.0])
    grads, aux = G.grad(x)
    np.testing.assert_allclose(grads, 2 * x)
    assert aux == 3.0
    (value, aux), grads = G.value_and_grad(x)
    assert value == 5.0 and aux == 3.0
    np.testing.assert_allclose(grads, 2 * x)
    np.testing.assert_allclose(G.grad(x, seed=3.0)[0], 6 * x)
    assert G(x) == _loss_and_metric(x)
    assert "seed=1.0" in G.source


def test_has_aux_with_several_aux_outputs_and_an_aux_that_has_no_finite_gradient():
    def f(x, w):
        h = np.tanh(x * w)
        for _i in range(2):
            h = h * w
        return np.sum(h ** 2), np.sqrt(np.abs(x)), h  # sqrt'(0) = inf: must not leak in

    G = symgrad.grad(f, wrt="w", has_aux=True)
    x, w = np.array([0.0, 0.5, -1.0]), 0.7
    (value, (s, h)), g = G.value_and_grad(x, w)
    e_value, e_s, e_h = f(x, w)
    assert value == pytest.approx(e_value)
    np.testing.assert_allclose(s, e_s)
    np.testing.assert_allclose(h, e_h)
    eps = 1e-6
    assert g == pytest.approx((f(x, w + eps)[0] - f(x, w - eps)[0]) / (2 * eps), rel=1e-6)
    assert np.isfinite(G.grad(x, w)[0])


def test_has_aux_torch_agrees():
    torch = pytest.importorskip("torch")
    G = symgrad.grad(_loss_and_metric, has_aux=True)
    x = np.array([0.3, -1.2, 2.0])
    t = torch.tensor(x, requires_grad=True)
    loss, _ = torch.sum(t ** 2), torch.sum(t)
    loss.backward()
    np.testing.assert_allclose(G.grad(x)[0], t.grad.numpy())


def test_has_aux_needs_a_tuple_output():
    with pytest.raises(symgrad.SymgradError, match="has_aux=True, but _sum_sq does not return"):
        symgrad.grad(_sum_sq, has_aux=True)


def test_gradcheck_and_export_differentiate_only_the_first_output_with_has_aux(tmp_path):
    import subprocess
    import sys

    G = symgrad.grad(_loss_and_metric, has_aux=True)
    x = np.array([0.3, 0.9])
    assert symgrad.gradcheck(G, x)
    path = tmp_path / "aux_module.py"
    G.export(path, (x,))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


# ------------------------------------------------- 14: integers have no gradient


def test_an_integer_array_as_the_only_differentiated_argument_is_refused():
    def f(x):
        return np.sum(x * 2.0)

    G = symgrad.grad(f)
    with pytest.raises(symgrad.SymgradError, match=r"argument 'x' is an integer array "
                       r"\(dtype int64\)") as info:
        G.grad(np.ones((2, 2), dtype=int))
    assert "x.astype(float)" in str(info.value)
    np.testing.assert_allclose(G.grad(np.ones((2, 2))), np.full((2, 2), 2.0))


def test_an_integer_argument_named_in_wrt_is_refused():
    def f(x, n):
        return np.sum(x * n)

    G = symgrad.grad(f, wrt=("x", "n"))
    with pytest.raises(symgrad.SymgradError, match="argument 'n' is an integer array.*wrt="):
        G.grad(np.ones(2), np.array([1, 2]))
    with pytest.raises(symgrad.SymgradError, match=r"argument 'n' is the int 3.*\n.*3\.0"):
        G.grad(np.ones(2), 3)


def test_integers_left_in_the_default_wrt_get_none():
    def f(x, n):
        return np.sum(x * n)

    gx, gn = symgrad.grad(f).grad(np.array([1.0, 2.0]), np.array([3, 4]))
    np.testing.assert_allclose(gx, [3.0, 4.0])
    assert gn is None


def test_a_python_int_as_the_differentiated_scalar_is_refused_like_jax():
    def f(x):
        return x ** 2

    G = symgrad.grad(f)
    with pytest.raises(symgrad.SymgradError, match=r"argument 'x' is the int 2") as info:
        G.grad(2)
    assert "2.0 (a float)" in str(info.value)
    assert G.grad(2.0) == 4.0
    assert G(2) == 4  # the primal takes any number


# ------------------------------------------------- 11: a functools.wraps wrapper


def _negate(f):
    @functools.wraps(f)
    def wrapper(*args):
        return -f(*args)
    return wrapper


def _doubled_in_place(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        out = f(*args, **kwargs)
        out *= 2
        return out
    return wrapper


def _logged(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        out = f(*args, **kwargs)
        _LOG.append(time.perf_counter() - start)
        return out
    return wrapper


def _plain(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)
    return wrapper


_LOG: list = []


def _square_sum(x, k=BETA):
    return np.sum(x ** 2) * k


@pytest.mark.parametrize("decorator", [_negate, _doubled_in_place])
def test_a_wrapper_that_changes_the_value_is_refused(decorator):
    with pytest.raises(symgrad.SymgradError, match=r"wrapped by a decorator.*wrapper\b") as info:
        symgrad.grad(decorator(_square_sum))
    assert "undecorated function" in str(info.value)

    def outer(x):  # the same wrapper reached through a call
        return wrapped(x) + 1.0

    wrapped = decorator(_square_sum)
    with pytest.raises(symgrad.SymgradError, match="wrapped by a decorator"):
        symgrad.grad(outer)


def test_pass_through_wrappers_are_seen_through_with_the_inner_functions_defaults():
    f = _logged(_plain(_square_sum))
    G = symgrad.grad(f, wrt="x")
    x = np.array([1.0, -2.0])
    assert G(x) == pytest.approx(f(x))
    np.testing.assert_allclose(G.grad(x), 2 * BETA * x)

    def outer(x):
        return f(x) + 1.0

    np.testing.assert_allclose(symgrad.grad(outer).grad(x), 2 * BETA * x)


def test_a_pass_through_wrapper_around_a_symgrad_function():
    inner = symgrad.grad(_square_sum, wrt="x")
    G = symgrad.grad(_plain(inner), wrt="x")
    np.testing.assert_allclose(G.grad(np.array([3.0])), [6 * BETA])


def test_a_parameter_named_twice_in_wrt_is_refused():
    # it was silently wrong: wrt=("a", "a", "b") gave zeros for both a's
    def f(a, b):
        return np.sum(a * b)

    with pytest.raises(symgrad.SymgradError, match="wrt names 'a' more than once"):
        symgrad.grad(f, wrt=("a", "a", "b"))
    with pytest.raises(symgrad.SymgradError, match="more than once"):
        symgrad.grad(f, wrt=(0, "a"))
