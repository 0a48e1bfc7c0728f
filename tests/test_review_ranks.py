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
