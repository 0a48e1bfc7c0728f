"""Rank-specialised modules call ndarray methods on values proved numpy (``t0.sum(axis=0)``,
``out.size``), never on a value that may be a Python number: the cotangent argument (seed),
a Python float argument, a value computed only from them (issue 15)."""

from __future__ import annotations

import re

import numpy as np
import torch
from gradutil import check_grads

import symgrad


def layer(x, w, b):
    out = np.tanh(x @ w + b)
    return np.mean((out - 1.0) ** 2) + np.sum(out)


def biased(x, b):
    return x + b  # an array output: the seed is its cotangent, summed for b


def scaled(x, a):
    c = a * 2.0  # a Python float
    return np.sum(x * c) + np.sum(c * c)


def _rows(source: str, name: str) -> str:
    start = source.index(f"def {name}(")
    end = source.find("\ndef ", start + 1)
    return source[start:] if end < 0 else source[start:end]


def test_layer_reads_like_hand_written_numpy_and_matches_torch():
    G = symgrad.grad(layer, wrt=("w", "b"))
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    check_grads(G, x, w, b)
    code = _rows(G.source, "layer_grad")
    assert re.search(r"grad_b = \w+\.sum\(axis=0\)", code), code
    statements = "\n".join(line for line in code.splitlines() if "#" not in line)
    assert "np.sum(" not in statements and "np.size(" not in statements, code
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    tout = torch.tanh(tx @ tw + tb)
    (torch.mean((tout - 1.0) ** 2) + torch.sum(tout)).backward()
    gw, gb = G.grad(x, w, b)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-12)


def test_the_seed_never_gets_a_method():
    G = symgrad.grad(biased, wrt=("x", "b"))
    rng = np.random.default_rng(1)
    x, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    seed = rng.normal(size=(5, 3))
    check_grads(G, x, b, seed=seed)
    code = _rows(G.source, "biased_grad")
    assert "np.sum(grad_out, axis=0)" in code, code  # grad_out may be a Python float
    gx, gb = G.grad(x, b, seed=1.0)  # a float seed: ones, broadcast
    np.testing.assert_array_equal(gb, np.full(3, 5.0))
    np.testing.assert_array_equal(gx, np.ones((5, 3)))


def test_a_python_float_argument_never_gets_a_method():
    G = symgrad.grad(scaled, wrt=("x", "a"))
    x = np.linspace(0.1, 0.9, 4)
    gx, ga = G.grad(x, 0.7)
    np.testing.assert_allclose(gx, np.full(4, 1.4), rtol=1e-12)
    np.testing.assert_allclose(ga, 2.0 * np.sum(x) + 8.0 * 0.7, rtol=1e-12)
    source = G.source
    assert "(N,)" in source.splitlines()[0]  # the module specialised for x's rank ran
    assert not re.search(r"\b(a|c|grad_out)\.(sum|size|shape|mean)\b", source), source
