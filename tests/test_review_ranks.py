"""Review of the rank specialisation (symgrad.adjoint.ranks, symgrad.specialisations): the
bugs found, each against central differences or the plain function."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad


def broadcast_sum(x, b):
    return x + b


@pytest.mark.parametrize("seed_shape", [(1, 4), (3, 1), (4,), ()])
def test_a_seed_smaller_than_the_output_broadcasts_to_it(seed_shape):
    """x (1, 4) + b (3, 1) is (3, 4): the specialised code sums the cotangent as if shaped
    like the output, so a smaller one raised "a symgrad bug", or was summed too little."""
    G = symgrad.grad(broadcast_sum)
    rng = np.random.default_rng(0)
    x, b = rng.standard_normal((1, 4)), rng.standard_normal((3, 1))
    seed = rng.standard_normal(seed_shape)
    full = np.broadcast_to(seed, (3, 4))
    gx, gb = G.grad(x, b, seed=seed)
    np.testing.assert_allclose(gx, numeric_grad(broadcast_sum, [x, b], 0, seed=full))
    np.testing.assert_allclose(gb, numeric_grad(broadcast_sum, [x, b], 1, seed=full))


def test_a_seed_that_does_not_broadcast_to_the_output_is_refused():
    G = symgrad.grad(broadcast_sum)
    with pytest.raises(symgrad.SymgradError):
        G.grad(np.ones((1, 4)), np.ones((3, 1)), seed=np.ones(2))


# ------------------------------------------------- probes that held (kept as a guard)


def bias(x, b):
    return np.sum(np.tanh(x + b) ** 2)


def batched(a, b, c):
    return np.sum(np.tanh(a @ b + c))


def layer_norm(x, g, b):
    mu = np.mean(x, axis=-1, keepdims=True)
    v = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return np.sum((g * (x - mu) / np.sqrt(v + 1e-5) + b) ** 2)


def grows(x, b):
    h = b
    for t in range(x.shape[0]):
        h = np.tanh(h + x[t])
    return np.sum(h)


def tuple_axes(x, w):
    return np.sum(np.max(x * w, axis=(0, 2), keepdims=True) * x)


PROBES = [
    (bias, [[(3, 4), (4,)], [(3, 4), (3, 1)], [(1, 4), (3, 1)], [(), (3,)], [(5, 4), (4,)],
            [(3, 1), (1, 1)], [(2, 1, 3), (4, 1)], [(3, 4), (4,)]]),
    (batched, [[(2, 3, 4), (4, 5), (5,)], [(1, 3, 4), (2, 4, 5), (2, 1, 1)], [(4,), (2, 4, 5), (1,)],
               [(2, 3, 4), (4,), (2, 1)], [(3, 4), (4, 5), (3, 1)], [(1, 4), (4, 1), ()],
               [(4,), (4, 5), (5,)], [(3, 4), (4,), (1,)]]),
    (layer_norm, [[(3, 4), (4,), (4,)], [(3, 4), (1,), (3, 1)], [(2, 3, 4), (3, 1), ()],
                  [(3, 1), (1,), (1,)]]),
    (grows, [[(3, 4), (4,)], [(3, 4), (2, 1)], [(3, 1), (2, 5)], [(3, 4), ()]]),
    (tuple_axes, [[(2, 3, 4), (3, 1)], [(2, 3, 4), (1,)], [(1, 3, 1), (3, 1)]]),
]


@pytest.mark.parametrize(("fn", "calls"), PROBES, ids=[p[0].__name__ for p in PROBES])
def test_one_function_through_many_rank_patterns_in_turn(fn, calls):
    """Each call's specialisation (made, or reused for new lengths of the same ranks, or
    with a length-1 axis now longer) against central differences and the plain value."""
    G = symgrad.grad(fn)
    rng = np.random.default_rng(1)
    for shapes in calls + calls[::-1][:3]:
        args = [rng.standard_normal(s) for s in shapes]
        value, grads = G.value_and_grad(*args)
        np.testing.assert_allclose(value, fn(*args), rtol=1e-12)
        for i, g in enumerate(grads):
            assert np.shape(g) == np.shape(args[i]), (shapes, i)
            np.testing.assert_allclose(g, numeric_grad(fn, args, i), rtol=1e-5, atol=1e-7,
                                       err_msg=f"{shapes} d/d{G.params[i]}")


_CHILD = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[2])
from gradutil import numeric_grad
import symgrad
from symgrad import transform as T
from test_review_ranks import bias

made = []
real = T.transform
T.transform = lambda fn, wrt, has_aux=False, statics=None, ranks=None, **kw: (
    made.append(None if ranks is None else sorted((k, list(v)) for k, v in ranks.items())),
    real(fn, wrt, has_aux, statics, ranks, **kw))[1]
G = symgrad.grad(bias)
rng = np.random.default_rng(0)
wrong = []
for shapes in json.loads(sys.argv[1]):
    args = [rng.standard_normal(s) for s in shapes]
    for i, g in enumerate(G.grad(*args)):
        if np.shape(g) != np.shape(args[i]) or not np.allclose(
                g, numeric_grad(bias, args, i), rtol=1e-5, atol=1e-7):
            wrong.append([shapes, i])
print(json.dumps({"made": len(made), "wrong": wrong, "sympy": "sympy" in sys.modules}))
"""


def test_the_disk_cache_keeps_each_specialisation_for_its_pattern_only(tmp_path):
    """A new process finds each pattern's module on disk (no transformation, no SymPy),
    and a pattern it has not seen is transformed, never served another's module."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    env = dict(os.environ, SYMGRAD_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(here.parent), str(here)]))

    def child(calls):
        run = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(calls), str(here)],
                             env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.splitlines()[-1])

    first = child([[(3, 4), (4,)], [(3, 4), (3, 1)]])
    # the first pattern's module, the generic one (at the second pattern), the second's
    assert first["wrong"] == [] and first["made"] == 3
    again = child([[(6, 2), (6, 1)], [(2, 7), (7,)]])  # the same ranks, other lengths
    assert again == {"made": 0, "wrong": [], "sympy": False}
    new = child([[(3, 4), (1, 4)], [(3, 4), (3, 1)]])  # (1, N) is new: made now, and right
    assert new["wrong"] == [] and new["made"] == 1


def sum_along(x, b, axis=0):
    return np.sum(np.sum(x * b, axis=axis) ** 2)


def test_source_for_is_the_module_a_call_with_those_static_values_runs():
    """``source_for(x, b, 1)`` after calls with axis=0 showed the axis=0 module."""
    G = symgrad.grad(sum_along, wrt=["x", "b"])
    x, b = np.ones((3, 4)), np.ones(4)
    G.grad(x, b, 0)
    shown = G.source_for(x, b, 1)
    G.grad(x, b, 1)
    assert shown == G.source
    assert shown != G.source_for(x, b, 0)
