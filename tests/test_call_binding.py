"""The frontend binds calls through the registry: every function an entry binds works under
@symgrad.grad with no table of its own, arguments bind by numpy's parameter names, and the
errors for unsupported calls list what the registry supports."""

from __future__ import annotations

import importlib.util
import math
import re

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import SymgradError
from symgrad.frontend.calls import _spelling
from symgrad.rules import registry

X = np.array([0.25, 0.4, 0.55])  # inside most elementwise entries' domain, away from kinks
X_ABOVE_1 = 1 + X  # for the functions defined only from 1 (arccosh)


def _bound_functions():
    """(entry, spelling) for every unary and binary elementwise function an entry binds."""
    out = []
    for e in registry.entries():
        if e.form is None or e.arity > 2:
            continue
        for obj in e.binds:
            spelling = _spelling(obj)
            if spelling.startswith(("np.", "math.")) or spelling == "abs":
                out.append((e, spelling))
    return out


BOUND = _bound_functions()


def _module_of(tmp_path, sources):
    """Import a module made of ``sources`` (symgrad reads a function's source from its file)."""
    path = tmp_path / "bound_calls.py"
    path.write_text("import math\nimport numpy as np\n\n\n" + "\n\n".join(sources))
    spec = importlib.util.spec_from_file_location("bound_calls", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_elementwise_function_an_entry_binds_is_differentiated(tmp_path):
    assert len(BOUND) > 60 and ("math.asinh" in {s for _, s in BOUND})
    sources = []
    for i, (e, spelling) in enumerate(BOUND):
        call = f"{spelling}(x)" if e.arity == 1 else f"{spelling}(x, 0.5 + x * x)"
        if spelling.startswith("math."):  # math takes numbers: the first element of x
            call = re.sub(r"\bx\b", "x[0]", call)
        sources.append(f"def f{i}(x):\n    return np.sum({call}) * 1.5\n")
    module = _module_of(tmp_path, sources)
    for i, (_, spelling) in enumerate(BOUND):
        fn = getattr(module, f"f{i}")
        G = symgrad.grad(fn)
        x = X if _defined_at(fn, X) else X_ABOVE_1
        np.testing.assert_allclose(G(x), fn(x), rtol=1e-12, err_msg=spelling)
        check_grads(G, x)


def _defined_at(fn, x):
    try:
        with np.errstate(invalid="ignore"):
            return bool(np.isfinite(fn(x)))
    except ValueError:  # math's domain error
        return False


def test_math_functions_give_python_floats():
    def f(x):
        return x * math.asinh(0.5) + math.atan2(x, 2.0)

    G = symgrad.grad(f)
    assert f"{math.asinh(0.5)!r}"[:8] in G.source
    check_grads(G, 0.7)


def remainder_and_floor_divide(x, y):
    return np.sum(np.remainder(x, y) * y + np.floor_divide(x, 0.3) + np.mod(x, 0.7) ** 2)


def test_remainder_and_floor_divide_bind_by_their_entries():
    x, y = np.array([1.3, 2.65, -0.45]), np.array([0.7, 1.1, 0.9])
    G = symgrad.grad(remainder_and_floor_divide)
    np.testing.assert_allclose(G(x, y), remainder_and_floor_divide(x, y), rtol=1e-12)
    check_grads(G, x, y)
    assert " % " in G.source and " // " in G.source  # as the operators print


def keywords_by_numpys_names(x):
    return (np.sum(np.flip(m=x, axis=0) * np.arange(3.0))
            + np.sum(np.expand_dims(x, axis=0) ** 2) + np.sum(x.reshape(3, 1, order="F")))


def test_keywords_bind_by_numpys_parameter_names():
    check_grads(symgrad.grad(keywords_by_numpys_names), X)


def unknown_method(x):
    return x.tobytes()


def unknown_function(x):
    return np.sum(np.cumulative_prod(x))


def static_axis(x, k):
    return np.sum(np.flip(x, axis=k))


def flip_order(x):
    return np.sum(np.zeros(3, order="F") + x)


def test_unsupported_calls_list_what_the_registry_supports():
    with pytest.raises(SymgradError) as info:
        symgrad.grad(unknown_method)
    for method in registry.methods():
        assert f".{method}" in info.value.hint
    with pytest.raises(SymgradError) as info:
        symgrad.grad(unknown_function)
    assert "np.cumprod" in info.value.hint.split("?")[0]  # the close names first
    assert "flip" in info.value.hint and "math." in info.value.hint
    with pytest.raises(SymgradError, match="axis must be a constant"):
        symgrad.grad(static_axis, wrt="x")
    with pytest.raises(SymgradError, match="order= argument is not supported") as info:
        symgrad.grad(flip_order)
    assert "np.zeros(shape, dtype=None, order='C')" in info.value.hint


def test_every_entry_is_built_or_names_the_method_that_binds_it():
    from symgrad.frontend.lower import Lowerer  # (calls.py's and arraycalls.py's methods)

    for e in registry.entries():
        if e.lower is not None:
            assert callable(getattr(Lowerer, e.lower, None)), (e.name, e.lower)
        else:
            assert e.form is not None or e.rule is not None, e.name
        for p in e.values:
            assert p in e.param_names and p not in e.arrays, (e.name, p)


def test_constant_calls_carry_no_gradient():
    def f(x):
        return np.sum(x * np.floor(x * 3.0)) + np.sum(x[np.argmax(x)] * np.eye(3)[0])

    x = np.array([0.15, 0.5, 0.8])
    G = symgrad.grad(f)
    np.testing.assert_allclose(G.grad(x), np.floor(3 * x) + (x == x.max()))  # sum(eye[0]) = 1
