"""The primitive registry: entries, the tables derived from them, and their shape rules.

Shape rules (``Primitive.out_shape``) are checked against numpy itself on random shapes:
shape specialisation will trust them without running the primitive.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from symgrad.frontend import aliasing
from symgrad.rules import registry
from symgrad.rules.base import Structural, static

R = np.random.default_rng(12)


def entry(name):
    e = registry.by_name(name)
    assert e is not None, name
    return e


def random_shape(ndim=None, low=1):
    ndim = int(R.integers(0, 4)) if ndim is None else ndim
    return tuple(int(d) for d in R.integers(low, 4, size=ndim))


def test_the_registry_imports_no_sympy():
    code = ("import sys, symgrad\nfrom symgrad.rules import registry\n"
            "names = [e.name for e in registry.entries()]\n"
            "registry.view_rules(); registry.shape_readers()\n"
            "from symgrad.frontend import aliasing\n"
            "print(len(names), 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) > 60 and out[1] == "False"


def test_lookups_by_object_method_and_name_find_the_same_entry():
    assert registry.by_object(np.sum) is registry.by_method("sum") is entry("sum")
    assert registry.by_object(np.amax) is entry("max")
    assert registry.by_object(np.true_divide) is entry("divide")
    assert registry.by_method("flatten") is entry("flatten")
    assert entry("flatten").rule is entry("ravel").rule  # a ravel that always copies


def test_the_registry_loads_every_family_module():
    from pathlib import Path

    import symgrad.rules

    folder = Path(symgrad.rules.__file__).parent
    modules = {p.stem for p in folder.glob("*.py")} - {
        "__init__", "registry", "base", "masks", "lists"}  # (no entries in these)
    assert modules == set(registry._FAMILIES)


def test_torch_node_names_look_like_pytorchs():
    for e in registry.entries():
        if e.torch is not None:
            for node in [e.torch.node, *e.torch.overloads.values()]:
                assert re.fullmatch(r"[A-Z][A-Za-z0-9]*Backward[0-9]|CopySlices", node), \
                    (e.name, node)


def test_every_view_entry_is_in_the_aliasing_tables():
    for e in registry.with_trait(registry.VIEW):
        for obj in e.binds:
            assert obj.__name__ in aliasing._VIEW_FUNCTIONS, e.name
        for method in e.methods:
            assert method in aliasing._VIEW_METHODS, e.name
    assert "flatten" not in aliasing._VIEW_METHODS  # x.flatten() copies
    assert {"reshape", "transpose", "asarray", "expand_dims"} <= aliasing._VIEW_FUNCTIONS


def test_view_rules_and_shape_readers():
    import symgrad.rules.lists  # noqa: F401 (internal nodes the frontend loads: they import SymPy)

    names = {r.__name__ for r in registry.view_rules()}
    assert {"Transpose", "Reshape", "GetItem", "SumTo", "BroadcastLike"} <= names
    x = sp.Symbol("x", real=True)
    full_like = registry.rules()[[r.__name__ for r in registry.rules()].index("FullLike")]
    assert not registry.is_view(full_like(x, x))  # a BroadcastLike that always copies
    assert {r.__name__: i for r, i in registry.shape_readers().items()} == \
        {"SumTo": 1, "BroadcastLike": 1, "ScatterInto": 1, "GradZeros": 0,
         "DiagonalGrad": 1, "DiagGrad": 1, "RepeatGrad": 1, "TileGrad": 1,
         "AsColumns": 1, "FromColumns": 1,
         "TakeAlongAxisGrad": 1, "SplitGrad": 1, "PadGrad": 1, "GradientGrad": 1,
         "CustomCotangent": 2, "ListBroadcast": 1, "ListItemGrad": 1, "TreeZeros": 0,
         "ListGradZeros": 0}


def test_rule_classes_and_node_classes_agree():
    # a family module's rule class makes the node; isinstance holds either way round
    from symgrad.rules import grads
    from symgrad.rules.registry import node_class

    x = sp.Symbol("x", real=True)
    assert type(grads.SumTo(x, x)) is node_class(grads.SumTo)
    assert isinstance(grads.FullLike(x, x), grads.BroadcastLike)  # the hierarchy is mirrored
    assert isinstance(grads.FullLike(x, x), node_class(grads.BroadcastLike))
    assert entry("sum").node is node_class(entry("sum").rule)


def test_a_structural_entry_builds_its_node_from_numpys_parameter_names():
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    node = entry("sum").build(a=x, axis=[0, 1])
    assert node == entry("sum").node(x, static((0, 1)), static(False))
    assert entry("var").build(a=x, ddof=1, keepdims=True).args[2:] == (static(True), static(1))
    assert entry("reshape").build(a=x, shape=(2, -1), order="F").args[1:] == \
        (static((2, -1)), static("F"))
    assert entry("concatenate").build(arrays=[x, y], axis=1).args == (x, y, static(1))
    assert isinstance(entry("matmul").build(x1=x, x2=y), Structural)
    with pytest.raises(ValueError, match="dtype= argument is not supported"):
        entry("sum").build(a=x, dtype="float32")
    with pytest.raises(TypeError, match="missing required argument 'shape'"):
        entry("reshape").build(a=x)


# ---------------------------------------------------------------- shape rules vs numpy


def assert_shape(name, arrays, **params):
    e = entry(name)
    shapes = [np.shape(a) for a in arrays]
    given = {"arrays": list(arrays)} if e.variadic else dict(zip(e.arrays, arrays, strict=True))
    given.update(params)
    names = e.param_names  # positional up to the last array (np.full(shape, fill_value))
    last = max([names.index(p) for p in e.arrays], default=-1)
    expected = np.shape(e.forward(*[given.pop(n) for n in names[:last + 1]], **given))
    assert e.out_shape(*shapes, **params) == expected, (name, shapes, params)


def broadcastable(shape):
    """A random shape that broadcasts against ``shape``."""
    out = [1 if R.random() < 0.3 else d for d in shape]
    return tuple(out[int(R.integers(0, len(out) + 1)):])


@pytest.mark.parametrize("trial", range(20))
def test_shape_rules_match_numpy(trial):
    shape = random_shape(low=1)
    x = np.ones(shape)
    other = np.ones(broadcastable(shape))
    ndim = len(shape)
    assert_shape("add", [x, other])
    assert_shape("where", [x > 0, other, np.ones(broadcastable(shape))])
    assert_shape("tanh", [x])
    for name in ("sum", "mean", "prod", "max", "min", "var", "std"):
        assert_shape(name, [x])
        if ndim:
            axis = int(R.integers(-ndim, ndim))
            axes = tuple(sorted({int(a) for a in R.integers(0, ndim, size=2)}))
            assert_shape(name, [x], axis=axis, keepdims=bool(R.integers(0, 2)))
            assert_shape(name, [x], axis=axes)
    assert_shape("transpose", [x])
    assert_shape("transpose", [x], axes=tuple(R.permutation(ndim).tolist()))
    assert_shape("reshape", [x], shape=(-1,) + (1,) * int(R.integers(0, 2)))
    assert_shape("ravel", [x])
    assert_shape("flatten", [x])
    assert_shape("expand_dims", [x], axis=int(R.integers(-ndim - 1, ndim + 1)))
    assert_shape("squeeze", [np.ones(broadcastable(shape))])
    assert_shape("cumsum", [x])
    if ndim:
        assert_shape("cumsum", [x], axis=int(R.integers(-ndim, ndim)))
        axis = int(R.integers(-ndim, ndim))
        longer = list(shape)
        longer[axis] += 2
        assert_shape("concatenate", [x, np.ones(longer)], axis=axis)
        index = (slice(None, None, 2), ..., 0) if ndim > 1 else (slice(1, None),)
        assert_shape("getitem", [x], index=index)
        assert_shape("getitem", [x], index=(None, np.array([0, 0, -1])))
    assert_shape("concatenate", [x, other], axis=None)
    assert_shape("stack", [x, x, x], axis=int(R.integers(-ndim - 1, ndim + 1)))
    assert_shape("zeros", [], shape=shape)
    assert_shape("zeros_like", [x])
    assert_shape("full", [other], shape=shape)
    assert_shape("linspace", [np.ones(broadcastable(shape)), x], num=4,
                 axis=int(R.integers(-ndim - 1, ndim + 1)))
    assert_shape("remainder", [x, other])


@pytest.mark.parametrize("trial", range(20))
def test_product_shape_rules_match_numpy(trial):
    n = int(R.integers(1, 4))
    a_shape = random_shape(int(R.integers(1, 4)))
    b_shape = random_shape(int(R.integers(1, 4)))
    for name, fix in [("matmul", lambda a, b: broadcastable(a[:-2]) + (a[-1],) + b[-1:]
                       if len(b) > 1 else (a[-1],)),
                      ("dot", lambda a, b: b[:-2] + (a[-1],) + b[-1:] if len(b) > 1
                       else (a[-1],)),
                      ("inner", lambda a, b: b[:-1] + (a[-1],))]:
        b = fix(a_shape, b_shape)
        assert_shape(name, [np.ones(a_shape), np.ones(b)])
    assert_shape("outer", [np.ones(a_shape), np.ones(b_shape)])
    assert_shape("dot", [np.ones(()), np.ones(random_shape(n))])
    assert_shape("inner", [np.ones(random_shape(n)), np.ones(())])
    with pytest.raises(ValueError):
        entry("matmul").out_shape((2, 3), (4, 2))
