"""Dict, tuple and list parameters: gradients of the same structure (JAX's pytrees), the
primal against the plain function, every leaf against central differences and torch, and
the errors a bad container gets at the call."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, numeric_grad

import symgrad

rng = np.random.default_rng(14)


def dict_layer(params, x):
    return np.sum(np.tanh(x @ params["W"] + params["b"]))


def tuple_layer(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b))


def nested(params, x):
    W, b = params["layer"]
    h = np.tanh(x @ W + b)
    return np.sum(h * params["scale"]) + np.sum(params["head"][0] * h)


def partly_read(params, x):
    return np.sum(x @ params["W"])


def leaf_grads(fn, params, x):
    """Central differences of fn with respect to each leaf of params, in its structure."""
    def at(path, value):
        def build(p, i):
            if i == len(path):
                return value
            k = path[i]
            if isinstance(p, dict):
                return {**p, k: build(p[k], i + 1)}
            items = list(p)
            items[k] = build(p[k], i + 1)
            return type(p)(items)
        return build(params, 0)

    def walk(p, path):
        if isinstance(p, dict):
            return {k: walk(v, path + (k,)) for k, v in p.items()}
        if isinstance(p, (tuple, list)):
            return type(p)(walk(v, path + (i,)) for i, v in enumerate(p))
        return numeric_grad(lambda v: fn(at(path, v), x), [np.asarray(p, float)], 0)

    return walk(params, ())


def assert_same_tree(got, expected):
    if isinstance(expected, (dict, tuple, list)):
        assert type(got) is type(expected), (type(got), type(expected))
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        for k in expected:
            assert_same_tree(got[k], expected[k])
    elif isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert_same_tree(a, b)
    else:
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("batch", [(3,), (2, 3), ()])
def test_dict_parameter(batch):
    x = rng.normal(size=batch + (4,))
    params = {"W": rng.normal(size=(4, 2)), "b": rng.normal(size=2)}
    G = symgrad.grad(dict_layer, wrt="params")
    assert_same_array(G(params, x), dict_layer(params, x))
    g = G.grad(params, x)
    assert_same_tree(g, leaf_grads(dict_layer, params, x))
    assert "params['W']" in G.source and "def dict_layer(params, x):" in G.source


def test_tuple_and_list_parameters_give_the_same_structure():
    x = rng.normal(size=(3, 4))
    W, b = rng.normal(size=(4, 2)), rng.normal(size=2)
    G = symgrad.grad(tuple_layer, wrt="params")
    for params in [(W, b), [W, b]]:
        g = G.grad(params, x)
        assert_same_tree(g, leaf_grads(tuple_layer, params, x))


def test_nested_dict_of_tuples():
    x = rng.normal(size=(3, 4))
    params = {"layer": (rng.normal(size=(4, 2)), rng.normal(size=2)), "scale": 1.5,
              "head": [rng.normal(size=2)]}
    G = symgrad.grad(nested, wrt="params")
    assert_same_array(G(params, x), nested(params, x))
    g = G.grad(params, x)
    assert_same_tree(g, leaf_grads(nested, params, x))
    assert isinstance(g["scale"], float | np.floating) and np.ndim(g["scale"]) == 0


def test_unread_keys_get_zeros():
    x = rng.normal(size=(3, 4))
    params = {"W": rng.normal(size=(4, 2)), "b": rng.normal(size=2)}
    g = symgrad.grad(partly_read, wrt="params").grad(params, x)
    assert list(g) == ["W", "b"]
    np.testing.assert_array_equal(g["b"], np.zeros(2))
    assert_same_tree(g, leaf_grads(partly_read, params, x))


def test_different_key_sets_and_orders_share_correct_code():
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(dict_layer, wrt="params")
    p1 = {"W": rng.normal(size=(4, 2)), "b": rng.normal(size=2)}
    p2 = {"b": rng.normal(size=3), "extra": np.ones(5), "W": rng.normal(size=(4, 3))}
    for p in (p1, p2, p1):
        g = G.grad(p, x)
        assert list(g) == list(p)
        assert_same_tree(g, leaf_grads(dict_layer, p, x))


def test_dict_parameter_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(5, 4))
    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    g = symgrad.grad(dict_layer, wrt="params").grad(params, x)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    torch.tanh(torch.tensor(x) @ tp["W"] + tp["b"]).sum().backward()
    for k in params:
        np.testing.assert_allclose(g[k], tp[k].grad.numpy(), rtol=1e-10)


def test_bad_containers_are_refused_naming_the_argument_and_key():
    x = rng.normal(size=(3, 4))
    G = symgrad.grad(dict_layer, wrt="params")
    with pytest.raises(symgrad.SymgradError, match=r"argument 'params' has no key 'b'"):
        G.grad({"W": np.ones((4, 2))}, x)
    with pytest.raises(symgrad.SymgradError, match=r"argument 'params' has no key 'b'"):
        G({"W": np.ones((4, 2))}, x)
    with pytest.raises(symgrad.SymgradError, match=r"argument params\['b'\] is a str"):
        G.grad({"W": np.ones((4, 2)), "b": "zero"}, x)
    G = symgrad.grad(nested, wrt="params")
    with pytest.raises(symgrad.SymgradError, match=r"params\['layer'\]\[1\] is a NoneType"):
        G.grad({"layer": (np.ones((4, 2)), None), "scale": 1.0, "head": [np.ones(2)]}, x)


def _unpack_two(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b))


def _rows(x):
    a, b = x
    return np.sum(a * b)


def test_unpacking_the_wrong_number_of_items_is_refused_as_python_refuses_it():
    W, b, x = np.ones((3, 2)), np.ones(2), np.ones((4, 3))
    G = symgrad.grad(_unpack_two, wrt="params")
    with pytest.raises(ValueError):
        _unpack_two((W, b, b), x)  # plain Python
    with pytest.raises(AssertionError, match="cannot unpack params into 2 names"):
        G((W, b, b), x)
    with pytest.raises(AssertionError, match="cannot unpack x into 2 names"):
        symgrad.grad(_rows).grad(np.ones((3, 2)))
    np.testing.assert_allclose(symgrad.grad(_rows).grad(np.arange(4.0).reshape(2, 2)),
                               [[2.0, 3.0], [0.0, 1.0]])
