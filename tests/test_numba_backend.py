"""``symgrad.grad(f, backend="numba")``: the same numbers as the numpy backend, on the
control-flow corpus and the benchmark workloads, and the numpy code (with one
BackendWarning naming the construct) wherever numba cannot compile the generated code."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest
from corpus import CORPUS, IDS
from gradutil import check_grads

import symgrad
from symgrad.compiled import BackendWarning, numba_text

pytest.importorskip("numba")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
import workloads  # noqa: E402


def _same(got, expected):
    """Equal structure, and equal numbers to float64 rounding (numba's loops and libm)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected)
        for k in expected:
            _same(got[k], expected[k])
    elif isinstance(expected, (tuple, list)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            _same(a, b)
    elif expected is None:
        assert got is None
    else:
        assert np.shape(got) == np.shape(expected)
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _run_both(fn, wrt, args, seed=None):
    G = symgrad.grad(fn, wrt=wrt)
    kw = {} if seed is None else {G.seed_name: seed}
    expected = G.value_and_grad(*_copy(args), **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        N = symgrad.grad(fn, wrt=wrt, backend="numba")
        got = N.value_and_grad(*_copy(args), **kw)
        got_again = N.value_and_grad(*_copy(args), **kw)  # compiled (or fallen back) once
        value = N(*_copy(args))
    return N, expected, got, got_again, value, [w for w in caught
                                               if issubclass(w.category, BackendWarning)]


# numba compiles each case (seconds apiece): CI runs every third case, which covers each
# construct family; SYMGRAD_NUMBA_CORPUS=all runs the whole corpus.
_EVERY = 1 if os.environ.get("SYMGRAD_NUMBA_CORPUS") == "all" else 3


@pytest.mark.parametrize("case", CORPUS[::_EVERY], ids=IDS[::_EVERY])
def test_corpus_numba_matches_numpy(case):
    args = case.args()
    seed = None if case.seed is None else case.seed()
    N, expected, got, got_again, value, caught = _run_both(case.fn, case.wrt, args, seed)
    _same(got, expected)
    _same(got_again, expected)
    _same(value, symgrad.grad(case.fn, wrt=case.wrt)(*_copy(args)))
    for w in caught:  # a fallback says why, in one line, and says it once per construct
        text = str(w.message)
        assert "\n" not in text and "running its numpy code instead" in text
    assert len({str(w.message) for w in caught}) == len(caught)


_COMPILED = [
    (name, size) for name, w in workloads.WORKLOADS.items() for size in w.sizes[:1]]


@pytest.mark.parametrize("name,size", _COMPILED, ids=[f"{n}-{s}" for n, s in _COMPILED])
def test_benchmark_workloads_compile_and_match(name, size):
    """The benchmark rows compile with numba whole (no fallback), match the numpy backend
    and the hand-written gradient, and pass central differences."""
    w = workloads.WORKLOADS[name]
    args = tuple(workloads.make_args(w, size).values())
    N, expected, got, got_again, value, caught = _run_both(w.fn, w.wrt, args)
    assert not caught, [str(c.message) for c in caught]
    _same(got, expected)
    _same(got_again, expected)
    ref_value, ref_grads = w.vg(*args)
    assert workloads.compare(got[0], got[1] if len(w.wrt) > 1 else (got[1],),
                             ref_value, ref_grads)[0] < 1e-10
    state = N._value_and_grad.__symgrad_state__
    assert type(state.target).__name__ == "CPUDispatcher"  # numba's, not the numpy function
    if w.largest <= 1000:
        check_grads(N, *args)


def np_einsum_loss(a, b):
    return np.sum(np.einsum("ij,jk->ik", a, b) ** 2)


def test_a_construct_numba_lacks_falls_back_with_one_warning():
    """numba has no np.einsum: the function runs its numpy code, with one warning naming
    einsum and the generated line, and the same numbers as the numpy backend."""
    a, b = np.random.default_rng(0).normal(size=(3, 4)), np.full((4, 2), 0.5)
    N = symgrad.grad(np_einsum_loss, backend="numba")
    G = symgrad.grad(np_einsum_loss)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = N.value_and_grad(a, b)
        again = N.grad(a, b)
    backend = [w for w in caught if issubclass(w.category, BackendWarning)]
    assert len(backend) == 1, [str(w.message) for w in backend]
    message = str(backend[0].message)
    assert "einsum" in message and "np_einsum_loss_value_and_grad" in message
    assert "\n" not in message
    _same(got, G.value_and_grad(a, b))
    _same(again, G.grad(a, b))
    check_grads(N, a, b)


SCALE = np.array([1.0, 2.0, 3.0])


def scaled(x):
    return np.sum(SCALE * x ** 2)


def test_a_global_array_stays_live():
    """numba would freeze a global array at compile time; the numpy code reads it live:
    the backend says so and runs numpy, and an in-place change still counts."""
    with pytest.warns(BackendWarning, match="global array"):
        N = symgrad.grad(scaled, backend="numba")
    x = np.array([1.0, -1.0, 0.5])
    np.testing.assert_array_equal(N.grad(x), 2 * SCALE * x)
    SCALE[0] = 5.0
    try:
        np.testing.assert_array_equal(N.grad(x), 2 * SCALE * x)
    finally:
        SCALE[0] = 1.0


def mlp_loss(X, W, b):
    return np.mean(np.tanh(X @ W + b) ** 2)


def test_wrong_shapes_fail_as_the_numpy_backend_does():
    """numba's own shape error is not the message: the numpy code runs again and fails
    with symgrad's, naming the source line."""
    X, W, b = np.ones((5, 3)), np.ones((4, 2)), np.ones(2)
    N = symgrad.grad(mlp_loss, wrt=("W", "b"), backend="numba")
    N.grad(np.ones((5, 4)), W, b)  # compiled for these types
    with pytest.raises(Exception) as numpy_error:
        symgrad.grad(mlp_loss, wrt=("W", "b")).grad(X, W, b)
    with pytest.raises(type(numpy_error.value)) as numba_error:
        N.grad(X, W, b)
    assert str(numba_error.value) == str(numpy_error.value)


def test_new_ranks_compile_again():
    """numba compiles per argument types: a call with other ranks compiles the rank's code
    (the helpers dispatch on it), and gives numpy's numbers."""
    N = symgrad.grad(mlp_loss, wrt=("W", "b"), backend="numba")
    G = symgrad.grad(mlp_loss, wrt=("W", "b"))
    rng = np.random.default_rng(3)
    for X, W, b in [(rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)),
                    (rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(1, 2))),
                    (rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), 0.3),
                    (rng.normal(size=3), rng.normal(size=(3, 2)), rng.normal(size=(5, 1)))]:
        with warnings.catch_warnings():
            warnings.simplefilter("error", BackendWarning)
            _same(N.value_and_grad(X, W, b), G.value_and_grad(X, W, b))


def test_unknown_backend_is_an_error_at_decoration():
    with pytest.raises(symgrad.SymgradError, match="unknown backend 'jax'") as error:
        symgrad.grad(mlp_loss, backend="jax")
    assert "'numpy'" in str(error.value) and "'numba'" in str(error.value)
    with pytest.raises(symgrad.SymgradError, match="unknown backend"):
        symgrad.grad(backend="nuba")


def test_numba_text_rewrites_only_what_numba_lacks():
    text = numba_text("def f(x, tape, y):\n"
                      "    for t in reversed(tape):\n"
                      "        pass\n"
                      "    n = np.broadcast(x, y).size + np.ndim(x) + x[0].copy()\n"
                      "    s = np.broadcast(x, y).shape\n"
                      "    z = np.zeros(s, dtype=float) + np.full_like(x, 2.0, dtype=int)\n"
                      "    return np.full_like(x, 1.0, dtype=float) * n + z\n")
    assert "tape[::-1]" in text and "reversed" not in text
    assert "_nb_broadcast_size(x, y)" in text and "_nb_ndim(x)" in text
    assert "_nb_broadcast_shape(x, y)" in text and "_nb_copy(x[0])" in text
    assert "np.zeros(s, dtype=np.float64)" in text
    assert "np.full_like(x, 2.0, dtype=np.int64)" in text  # (only dtype=float is a float)
    assert "_nb_full_like(x, 1.0)" in text


def test_accumulated_outer_products_are_numpys():
    """``grad_W += _matmul_grad_a(g, W, h)`` is a rank-1 update in place in numba: numpy's
    sum, in the accumulator's own memory; numpy's way where shapes broadcast, where a factor
    lies in the accumulator, for the other ranks and for a number."""
    import numba

    from symgrad.compiled_helpers import _nb_iadd_matmul_grad_a, _nb_iadd_matmul_grad_b

    text = numba_text("def f(g, W, h, A):\n    A += _matmul_grad_a(g, W, h)\n"
                      "    A[0] += _matmul_grad_b(g, W, h)\n    return A\n")
    assert "A = _nb_iadd_matmul_grad_a(A, g, W, h)" in text
    assert "A[0] += _matmul_grad_b(g, W, h)" in text  # (an item: left as it is)
    add_a = numba.njit(lambda acc, g, a, b: _nb_iadd_matmul_grad_a(acc, g, a, b))
    add_b = numba.njit(lambda acc, g, a, b: _nb_iadd_matmul_grad_b(acc, g, a, b))
    rng = np.random.default_rng(5)
    acc, g, a, b = rng.normal(size=(3, 4)), rng.normal(size=3), np.ones((3, 4)), rng.normal(size=4)
    expected = acc + np.outer(g, b)
    got = add_a(acc, g, a, b)
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert np.shares_memory(got, acc)
    np.testing.assert_allclose(acc, expected, rtol=1e-15)  # in place, as += is
    acc = rng.normal(size=(4, 4))  # factors inside the accumulator: numpy's order
    expected = acc + np.outer(acc[0], acc[1])
    np.testing.assert_allclose(add_a(acc, acc[0], np.ones((4, 4)), acc[1]), expected,
                               rtol=1e-15)
    acc = rng.normal(size=(3, 4))  # an outer product of shape (3, 1), broadcast
    expected = acc + np.outer(g, b[:1])
    np.testing.assert_allclose(add_a(acc, g, np.ones((3, 1)), b[:1]), expected, rtol=1e-15)
    G, A2 = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))  # ranks (2, 2): g @ b.T
    acc = rng.normal(size=(3, 4))
    expected = acc + G @ A2.T
    np.testing.assert_allclose(add_a(acc, G, acc, A2), expected, rtol=1e-14)
    np.testing.assert_allclose(add_a(0.5, g, a, b), 0.5 + np.outer(g, b), rtol=1e-15)
    acc, gb, av = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    expected = acc + np.outer(av, gb)  # d(a @ b)/db for a 1-d a, 2-d b
    np.testing.assert_allclose(add_b(acc, gb, av, np.ones((3, 4))), expected, rtol=1e-15)
