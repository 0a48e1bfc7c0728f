"""The transformation's shortcuts compute what the long way computes (issue 15, transform cost).

* ``calls._checked_form`` builds the unevaluated node of a form that is one SymPy function
  of its arguments with ``evaluate=False`` instead of under ``sympy.evaluate(False)`` (which
  clears SymPy's cache twice a call): the same node, for every such registry entry and for
  arguments of every kind the lowering passes.
* codegen parses a generated module once for its two checks: a user's name that would hide a
  helper the generated code calls is still refused.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symgrad
from symgrad.frontend import calls, exact
from symgrad.rules import elementwise as ew

x, y = sp.symbols("x y", real=True)
ARGUMENTS = [x, x + y, -x - y, 2.0 * x, sp.Integer(3), sp.Float(-0.5), sp.tanh(x - y),
             x**2 * y, sp.Rational(1, 2) * (x + 1)]


def _entries_with_shortcut():
    out = []
    for name, entry in sorted(ew._ENTRIES.items()):
        function = calls._applied_function(name, entry.form, entry.arity)
        if function is not None:
            out.append((name, entry.arity, function))
    return out


def test_the_common_functions_take_the_shortcut():
    names = {name for name, _, _ in _entries_with_shortcut()}
    assert {"sin", "cos", "tanh", "exp", "log"} <= names
    # a form that is not one function of its arguments as they are does not
    assert not names & {"add", "square", "sqrt", "log2", "math_log", "reciprocal"}


@pytest.mark.parametrize("name, arity, function", _entries_with_shortcut(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_the_shortcut_builds_the_node_the_form_builds(name, arity, function):
    for first in ARGUMENTS:
        args = [first, *ARGUMENTS[1:arity]] if arity > 1 else [first]
        with sp.evaluate(False):
            slow = ew.sympy_form(name, *args)
        fast = function(*args, evaluate=False)
        assert sp.srepr(fast) == sp.srepr(slow)
        assert exact.rebuild(fast) == exact.rebuild(slow)


def hides_a_helper(x, _sum_to):
    return np.sum(x * _sum_to)


def test_a_name_that_hides_a_called_helper_is_still_refused():
    with pytest.raises(symgrad.SymgradError, match="'_sum_to' in hides_a_helper is also the "
                       "name of a helper function"):
        symgrad.grad(hides_a_helper, wrt=("x", "_sum_to")).grad(np.ones((2, 3)), np.ones(3))


def helper_called_by_a_helper(x, _sum_to_shape):
    return np.sum(x * _sum_to_shape)


def test_a_helper_name_is_fine_where_the_generated_functions_do_not_call_it():
    # _sum_to_shape is called only by the helper _sum_to, not by the generated functions
    G = symgrad.grad(helper_called_by_a_helper, wrt=("x", "_sum_to_shape"))
    assert "_sum_to(" in G.source and "def _sum_to_shape" in G.source
    gx, gw = G.grad(np.ones((2, 3)), np.full(3, 2.0))
    np.testing.assert_allclose(gx, np.full((2, 3), 2.0))
    np.testing.assert_allclose(gw, np.full(3, 2.0))
