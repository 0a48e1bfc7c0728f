"""Indexing and language constructs: list indices, np.newaxis, np.r_/np.c_, casts and dtype=,
assert statements, .shape indexed at run time, and the errors for what stays unsupported.
Each gradient against central differences and, where torch has the op, torch."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(13)
X = RNG.random((3, 4)) + 0.1
X3 = RNG.random((2, 3, 4)) + 0.1


def rows_02(x):
    return np.sum(np.sin(x[[0, 2]]))


def rows_02_col(x):
    return np.sum(np.sin(x[[0, 2], 1]))


def cols_13(x):
    return np.sum(np.sin(x[:, [1, 3]]))


def bool_rows(x):
    return np.sum(np.sin(x[[True, False, True]]))


def repeated(x):
    return np.sum(np.sin(x[[0, 0, 1]]) * np.arange(1.0, 4.0)[:, None] ** 0 * x[[0, 0, 1]])


def nested(x):
    return np.sum(x[[[0, 1], [2, 2]]] ** 3)


def written(x):
    buf = np.zeros((3, 4))
    buf[[0, 2, 0]] = np.sin(x)
    return np.sum(buf ** 2 * x)


def _torch_of(f, x):
    t = torch.tensor(x, requires_grad=True)
    tf = {rows_02: lambda t: torch.sin(t[[0, 2]]).sum(),
          rows_02_col: lambda t: torch.sin(t[[0, 2], 1]).sum(),
          cols_13: lambda t: torch.sin(t[:, [1, 3]]).sum(),
          bool_rows: lambda t: torch.sin(t[torch.tensor([True, False, True])]).sum(),
          repeated: lambda t: (torch.sin(t[[0, 0, 1]]) * t[[0, 0, 1]]).sum(),
          nested: lambda t: (t[torch.tensor([[0, 1], [2, 2]])] ** 3).sum()}[f]
    tf(t).backward()
    return t.grad.numpy()


@pytest.mark.parametrize("f", [rows_02, rows_02_col, cols_13, bool_rows, repeated, nested])
@pytest.mark.parametrize("x", [X, X3[0] * 2], ids=["3x4", "scaled"])
def test_list_index_matches_numpy_fd_and_torch(f, x):
    G = symgrad.grad(f)
    assert_same_array(G(x), f(x))
    g = check_grads(G, x)[0]
    np.testing.assert_allclose(g, _torch_of(f, x), rtol=1e-12, atol=1e-14)


def test_list_index_of_a_batch_reads_the_first_axis():
    def f(x):
        return np.sum(x[[1, 0, 1]] ** 2)

    G = symgrad.grad(f)
    assert_same_array(G(X3), f(X3))
    check_grads(G, X3)


def test_list_index_prints_as_written_and_accumulates_repeats():
    G = symgrad.grad(repeated)
    assert "x[[0, 0, 1]]" in G.source
    g = G.grad(X)
    assert np.all(g[2] == 0) and np.all(g[0] != 0)


def test_list_index_write_keeps_the_last_write():
    G = symgrad.grad(written)
    assert_same_array(G(X), written(X))
    g = check_grads(G, X)[0]
    t = torch.tensor(X, requires_grad=True)
    buf = torch.zeros(3, 4, dtype=torch.float64)
    buf[[0, 2, 0]] = torch.sin(t)  # torch's last write is not specified: compare to fd only
    assert g.shape == X.shape


def test_list_of_computed_integers():
    def last_first(x):
        return np.sum(np.sin(x[[x.shape[0] - 1, 0]]))

    def in_loop(x):
        s = 0.0
        for i in range(2):
            s = s + np.sum(x[[i, i + 1, i]] ** 2)
        return s

    def write_in_loop(x):
        y = np.zeros(x.shape)
        for i in range(2):
            y[[i, i + 1]] = x[[i + 1, i]] * 2
        return np.sum(y * x)

    for f in (last_first, in_loop, write_in_loop):
        G = symgrad.grad(f)
        for x in (X, X3[0] + 1):
            assert_same_array(G(x), f(x))
            check_grads(G, x)
    assert "x[[x.shape[0] - 1, 0]]" in symgrad.grad(last_first).source
    t = torch.tensor(X, requires_grad=True)
    sum((t[[i, i + 1, i]] ** 2).sum() for i in range(2)).backward()
    np.testing.assert_allclose(symgrad.grad(in_loop).grad(X), t.grad.numpy(), rtol=1e-12)


def test_newaxis_and_none():
    def f1(x):
        return np.sum(np.sin(x[np.newaxis]) * 2)

    def f2(x):
        return np.sum(x[:, np.newaxis] ** 2 * x[np.newaxis, :])

    def f3(x):
        return np.sum(np.sin(x[None, :, None]))

    def f4(x):
        return np.sum(x[..., None] * 2)

    for f, tf in [(f1, lambda t: (torch.sin(t[None]) * 2).sum()),
                  (f2, lambda t: (t[:, None] ** 2 * t[None, :]).sum()),
                  (f3, lambda t: torch.sin(t[None, :, None]).sum()),
                  (f4, lambda t: (t[..., None] * 2).sum())]:
        G = symgrad.grad(f)
        for x in (X, X3):
            assert_same_array(G(x), f(x))
            g = check_grads(G, x)[0]
            t = torch.tensor(x, requires_grad=True)
            tf(t).backward()
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
    assert "x[None]" in symgrad.grad(f1).source  # np.newaxis is numpy's None


def r_arrays(x):
    return np.sum(np.r_[x[0], x[1]] ** 2 * np.arange(8.0))


def r_scalars(x):
    return np.sum(np.r_[x[0], 0.0, x[1, 2]] ** 3)


def r_range(x):
    return np.sum(np.r_[0:4] * x ** 2)


def c_columns(x):
    return np.sum(np.c_[x[0], x[1]] ** 2 * np.arange(2.0))


def c_matrix(x):
    return np.sum(np.c_[x, x[:, 0]] ** 3)


@pytest.mark.parametrize("f", [r_arrays, r_scalars, r_range, c_columns, c_matrix])
def test_r_and_c(f):
    G = symgrad.grad(f)
    assert_same_array(G(X), f(X))
    check_grads(G, X)
    assert "np.r_[" in G.source or "np.c_[" in G.source


def test_r_and_c_match_torch():
    def tr(t):
        return (torch.cat([t[0], t[1]]) ** 2 * torch.arange(8.0, dtype=torch.float64)).sum()

    def tc(t):
        return (torch.cat([t, t[:, :1]], dim=1) ** 3).sum()

    for f, tf in [(r_arrays, tr), (c_matrix, tc)]:
        t = torch.tensor(X, requires_grad=True)
        tf(t).backward()
        np.testing.assert_allclose(symgrad.grad(f).grad(X), t.grad.numpy(), rtol=1e-12)


def test_r_keeps_numpys_dtype_for_scalars():
    x32 = X.astype(np.float32)
    G = symgrad.grad(r_scalars)
    assert_same_array(G(x32), r_scalars(x32))


def cast_float(x):
    return np.sum(x.astype(float) ** 2)


def cast_f32(x):
    return np.sum(np.sin(x.astype(np.float32)))


def cast_call(x):
    return np.sum(np.float32(x) ** 2)


def cast_int(x):
    return np.sum(x.astype(int) * x)


def scalar_f32(x):
    return np.sum(np.float32(2.0) * x)


def float_of(x):
    return float(x[0, 0]) * np.sum(x)


def dtype_creation(x):
    return np.sum(np.zeros((3, 4), dtype=np.float32) + x * np.full(4, 2.0, dtype=np.float32)
                  * np.ones(4, dtype=float) * np.array([1, 2, 3, 4], dtype=float))


def dtype_arange(x):
    return np.sum(np.arange(4, dtype=np.float32) * x + np.arange(1, 5, dtype=float) * x)


def dtype_sum(x):
    return np.sum(x ** 2, dtype=np.float32) + np.mean(x, dtype=np.float64)


@pytest.mark.parametrize("f", [cast_float, cast_f32, cast_call, cast_int, scalar_f32,
                               float_of, dtype_creation, dtype_arange, dtype_sum])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_casts_keep_numpys_dtype_and_the_argument_dtype_in_the_gradient(f, dtype):
    x = (X * 3).astype(dtype)
    G = symgrad.grad(f)
    assert_same_array(G(x), f(x))
    g = G.grad(x)
    assert g.dtype == dtype  # torch: x.float() on a double tensor gives a double gradient


@pytest.mark.parametrize("f", [cast_float, cast_int, scalar_f32, float_of, dtype_creation,
                               dtype_arange])
def test_casts_in_float64_match_central_differences(f):
    check_grads(symgrad.grad(f), X * 3)


def test_cast_to_float32_matches_torch():
    for f, tf in [(cast_f32, lambda t: torch.sin(t.float()).sum()),
                  (cast_call, lambda t: (t.float() ** 2).sum()),
                  (dtype_sum, lambda t: (t.float() ** 2).sum() + t.mean())]:
        t = torch.tensor(X, requires_grad=True)
        tf(t).backward()
        g = symgrad.grad(f).grad(X)
        assert g.dtype == t.grad.numpy().dtype == np.float64
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-6)


def test_cast_to_int_has_no_gradient_through_it():
    G = symgrad.grad(cast_int)
    np.testing.assert_allclose(G.grad(X * 3), np.trunc(X * 3))


def checked(x, w):
    assert x.ndim == 2
    assert x.shape[0] == w.shape[0], "rows must match"
    assert np.all(x > 0)
    return np.sum(np.sin(x) * w[:, None])


def test_assert_runs_in_every_function():
    w = RNG.random(3)
    G = symgrad.grad(checked)
    assert_same_array(G(X, w), checked(X, w))
    check_grads(G, X, w)
    assert G.source.count("'rows must match'") == 3
    for call in (G, G.grad, G.value_and_grad):
        with pytest.raises(AssertionError, match="rows must match"):
            call(X, RNG.random(2))
        with pytest.raises(AssertionError):
            call(-X, w)
        with pytest.raises(AssertionError):
            call(X3, w)


def test_assert_in_a_loop_and_known_now():
    def f(x):
        assert True
        s = 0.0
        for i in range(3):
            assert x.shape[1] > i, "too narrow"
            s = s + np.sum(x[:, i] ** 2)
        return s

    G = symgrad.grad(f)
    check_grads(G, X)
    with pytest.raises(AssertionError, match="too narrow"):
        G.grad(X[:, :2])


def test_shape_indexed_at_run_time():
    def last(x):
        return np.sum(x ** 2) * x.shape[-1]

    def tail(x):
        return np.sum(np.zeros(x.shape[-2:]) + x ** 2)

    def rank(x):
        return np.sum(x ** 2) * len(x.shape)

    def loop(x):
        s = 0.0
        for i in range(2):
            s = s + np.sum(x ** 2) * x.shape[i]
        return s

    for f in (last, tail, rank, loop):
        G = symgrad.grad(f)
        for x in (X, X3):
            assert_same_array(G(x), f(x))
            check_grads(G, x)

    def param(x, i):
        return np.sum(x ** 2) * x.shape[i]

    G = symgrad.grad(param, wrt="x")
    assert_same_array(G(X, 1), param(X, 1))
    check_grads(G, X, 1)
    assert "x.shape[-1]" in symgrad.grad(last).source


def _error(f):
    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(f)
    return str(info.value)


def test_unsupported_index_helpers_are_named():
    def ix(x):
        return np.sum(x[np.ix_([0, 1], [1, 2])])

    def s_(x):
        return np.sum(x[np.s_[1:]])

    def mgrid(x):
        return np.sum(np.mgrid[0:3] * x)

    def r_directive(x):
        return np.sum(np.r_["0,2", x[0], x[1]])

    def computed_list(x):
        return np.sum(x[[x[0, 0], 0]])  # a float among the indices

    assert "x[[[0], [1]], [1, 2]]" in _error(ix)
    for f, named in [(ix, "np.ix_"), (s_, "np.s_"), (mgrid, "np.mgrid"),
                     (r_directive, "directive"), (computed_list, "computed")]:
        msg = _error(f)
        assert named in msg, msg
        assert " at 0x" not in msg and "object at" not in msg
        assert "test_language_indexing.py" in msg


def test_an_assert_message_must_be_a_string_literal():
    def f(x):
        assert x.ndim == 2, f"bad {x.ndim}"
        return np.sum(x)

    msg = _error(f)
    assert "constant string" in msg and "assert" in msg


def test_dtype_keywords_numpy_computes_differently_are_refused():
    def stepped(x):
        return np.sum(np.arange(0.0, 1.0, 0.25, dtype=np.float32) * x)

    msg = _error(stepped)
    assert "np.arange" in msg and "dtype" in msg

    def unknown(x):
        return np.sum(x.astype(np.complex128).real)

    assert "complex128" in _error(unknown)

    def bad_dtype(x):
        return np.sum(x.astype("U3"))

    assert "cast to" in _error(bad_dtype)


def test_repeated_positions_add_up_inside_a_loop():
    # an index array read in a loop: its repeated positions add up (np.add.at), not
    # `grad[idx] += g`, which numpy applies once per position
    idx = np.array([0, 0, 1])

    def param_index(x, idx):
        s = 0.0
        for i in range(3):
            s = s + np.sum(x[idx] ** 2) * i
        return s

    def array_of_counters(x):
        s = 0.0
        for i in range(2):
            s = s + np.sum(x[np.array([i, i + 1, i])] ** 2)
        return s

    G = symgrad.grad(param_index, wrt="x")
    assert_same_array(G(X, idx), param_index(X, idx))
    g = check_grads(G, X, idx)[0]
    t = torch.tensor(X, requires_grad=True)
    sum((t[torch.tensor(idx)] ** 2).sum() * i for i in range(3)).backward()
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
    check_grads(symgrad.grad(array_of_counters), X)


def test_an_array_of_integer_expressions_is_an_integer_array():
    def f(x):
        i = np.array([x.shape[0] - 1, 0])
        z = np.array([x.shape[0] * 1.0, 0])  # a float literal: a float array
        w = np.array([x.shape[0] / 3, 0])  # a true division: a float array
        return np.sum(x[i] ** 2) + np.sum(z) + np.sum(w)

    G = symgrad.grad(f)
    assert_same_array(G(X), f(X))
    check_grads(G, X)


def test_the_mesh_np_ix_makes_is_written_as_nested_lists():
    def f(x):
        return np.sum(np.sin(x[[[0], [2]], [1, 3]]))

    G = symgrad.grad(f)
    assert_same_array(G(X), f(X))
    g = check_grads(G, X)[0]
    t = torch.tensor(X, requires_grad=True)
    torch.sin(t[torch.tensor([[0], [2]]), torch.tensor([1, 3])]).sum().backward()
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
