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
