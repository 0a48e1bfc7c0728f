"""A generated module reads only names it defines: a leaked SymPy name is refused at once.

``Derivative`` and ``ITE`` once leaked into generated code and failed only when the gradient
ran, with a NameError. codegen now parses every module it generates and refuses one that reads
a name it neither defines nor imports (or an ``np.`` attribute numpy lacks), as an internal
error naming the name and the generated line. It runs on every generation, so the whole suite
checks that every module it generates passes.
"""

import numpy as np
import pytest
import sympy

import symgrad
from symgrad.codegen import check_module
from symgrad.rules import registry


def uses_tanh(x):
    return np.sum(np.tanh(x) * x)


def test_a_leaked_sympy_name_is_an_internal_error_at_generation(monkeypatch):
    # make the lowering build a node no printer method knows: StrPrinter spells it by its
    # SymPy name, exactly how Derivative and ITE leaked
    monkeypatch.setattr(registry.by_name("tanh"), "form",
                        lambda sp, a: sympy.Derivative(sp.tanh(a), a))
    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(uses_tanh).grad(np.array([0.5, -1.0]))
    message = str(info.value)
    assert "internal error" in message and "'Derivative'" in message
    assert "generated line" in message and "uses_tanh" in message
    assert "bug in symgrad" in message


def test_the_same_function_generates_cleanly_without_the_leak():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(symgrad.grad(uses_tanh).grad(x),
                               np.tanh(x) + x * (1 - np.tanh(x) ** 2), rtol=1e-12)


MODULE = '''
import numpy as np

c0 = np.array([1.0, 2.0])


def _helper(g, like):
    return g if np.shape(g) == np.shape(like) else np.broadcast_to(g, np.shape(like))


def f(x, seed=1.0):
    t0 = [v * 2 for v in range(3)]
    for i in range(len(t0)):
        x = x + i
    grad_x = _helper(seed, x) * c0 * len(t0)
    return grad_x
'''


def test_a_clean_module_passes():
    check_module(MODULE, "f", "f.py", 1)


@pytest.mark.parametrize("leak, name", [
    ("grad_x = Derivative(x, x)", "'Derivative'"),
    ("grad_x = np.where(ITE(x > 0, x, -x), 1, 0)", "'ITE'"),
    ("grad_x = np.Heaviside(x)", "'np.Heaviside' (numpy has no such name)"),
    ("grad_x = np.linalg.nrm(x)", "'np.linalg.nrm' (numpy has no such name)"),
    ("grad_x = t9", "'t9'"),
])
def test_a_leak_is_named_with_its_line(leak, name):
    text = MODULE.replace("    return grad_x", f"    {leak}\n    return grad_x")
    with pytest.raises(symgrad.SymgradError) as info:
        check_module(text, "f", "f.py", 1)
    line = text.splitlines().index(f"    {leak}") + 1
    assert f"{name} (generated line {line}: {leak})" in str(info.value)


def test_a_name_bound_only_in_another_function_is_free():
    text = MODULE + "\n\ndef g(y):\n    return y + t0\n"
    with pytest.raises(symgrad.SymgradError, match="'t0'"):
        check_module(text, "f", "f.py", 1)
