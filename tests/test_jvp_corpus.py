"""Forward mode over the whole control-flow corpus (tests/corpus/: branches, loops, buffers,
calls, containers, models): for random tangents t, ``<seed, J t>`` from ``G.jvp`` equals
``<J^T seed, t>`` from ``G.grad``, which test_control_flow checks against central
differences and torch. Each case's jvp value is the primal's, too."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from corpus import CORPUS, IDS

import symgrad


def _wrt(case):
    return case.wrt if case.wrt is not None else tuple(inspect.signature(case.fn).parameters)


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _inner(a, b):
    if isinstance(a, tuple):
        return sum(_inner(x, y) for x, y in zip(a, b, strict=True))
    return float(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float)))


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_jvp_agrees_with_the_gradient(case):
    args = case.args()
    G = symgrad.grad(case.fn, wrt=case.wrt)
    params = list(inspect.signature(case.fn).parameters)
    index = [params.index(w) for w in _wrt(case)]
    rng = np.random.default_rng(len(case.id))
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in index)
    value, tangent = G.jvp(*_copy(args), tangents=tangents)
    expected = case.fn(*_copy(args))
    if isinstance(expected, tuple):
        for v, e in zip(value, expected, strict=True):
            np.testing.assert_allclose(v, e, rtol=1e-12)
    else:
        np.testing.assert_allclose(value, expected, rtol=1e-12)
    seed = case.seed() if case.seed is not None else \
        (tuple(np.ones(np.shape(e)) for e in expected) if isinstance(expected, tuple)
         else np.ones(np.shape(expected)))
    grads = G.grad(*_copy(args), seed=seed)
    grads = (grads,) if len(index) == 1 else grads
    lhs = _inner(tangent, seed)
    rhs = sum(_inner(g, t) for g, t in zip(grads, tangents, strict=True))
    assert abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs) + abs(rhs)), (lhs, rhs)


SCALAR_CASES = [c for c in CORPUS if c.seed is None and not c.frozen]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c.id for c in SCALAR_CASES])
def test_hvp_is_the_directional_difference_of_the_gradient(case):
    args = case.args()
    if not np.ndim(case.fn(*_copy(args))) == 0:
        pytest.skip("not a scalar output")
    G = symgrad.grad(case.fn, wrt=case.wrt)
    params = list(inspect.signature(case.fn).parameters)
    index = [params.index(w) for w in _wrt(case)]
    rng = np.random.default_rng(len(case.id) + 1)
    v = tuple(rng.normal(size=np.shape(args[i])) for i in index)
    try:
        hv = G.hvp(*_copy(args), v=v)
    except symgrad.SymgradError as exc:
        if "not supported yet" in str(exc):
            pytest.skip(str(exc).splitlines()[1] if "\n" in str(exc) else str(exc))
        raise
    hv = (hv,) if len(index) == 1 else hv
    eps = 1e-5

    def moved(e):
        out = list(_copy(args))
        for i, d in zip(index, v, strict=True):
            out[i] = np.asarray(args[i], dtype=float) + e * d
        g = G.grad(*out)
        return (g,) if len(index) == 1 else g

    plus, minus = moved(eps), moved(-eps)
    for got, p, m in zip(hv, plus, minus, strict=True):
        np.testing.assert_allclose(got, (np.asarray(p) - np.asarray(m)) / (2 * eps),
                                   rtol=1e-4, atol=1e-6)
