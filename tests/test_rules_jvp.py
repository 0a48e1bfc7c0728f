"""Every rule's jvp (its own, or the one its LINEAR / MULTILINEAR trait gives) against central
differences of the node along a random direction in all its arguments at once, on the vjp
test's cases (tests/test_rules_vjp.py). The rules with no jvp yet are listed: forward mode
refuses them with a SymgradError, and the list may only shrink."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from test_rules_vjp import CASES, SYMMETRIC_CASES, evaluate

from symgrad.rules.base import node_jvp

# forward mode refuses these (G.jvp raises a SymgradError naming the function)
NO_JVP_YET = {
    "Pinv", "MatrixPower", "Cumprod", "Partition",
    "ProdOthersGrad", "CumprodGrad", "TensordotGrad", "LinspaceGrad", "Cofactor",
    # np.linalg's decompositions (eigh, svd, qr, slogdet, lstsq): reverse mode only so far
    "EighOutput", "EigvalsOf", "SvdOutput", "SingularValues", "QrOutput", "SlogdetOutput",
    "LstsqOutput",
}


def _rule_name(node):
    return type(node).__mro__[1].__name__


def check_jvp(node, values, seed=0, eps=1e-6, symmetric=False):
    rng = np.random.default_rng(seed)
    moved, tangents = {}, []
    for arg in node.diff_args():
        if isinstance(arg, sp.Symbol) and arg.name in values and \
                np.asarray(values[arg.name]).dtype.kind == "f":
            d = rng.standard_normal(np.shape(values[arg.name]))
            if symmetric:
                d = d + np.swapaxes(d, -1, -2)
            moved[arg.name] = d
            tangents.append(sp.Symbol(f"tangent_{arg.name}", real=True))
        else:
            tangents.append(0)
    assert moved, f"{node}: no argument to move"
    t_expr = node_jvp(node, tangents)
    got = np.asarray(evaluate(t_expr, {**values, **{f"tangent_{k}": v for k, v in
                                                    moved.items()}}), dtype=float)

    def at(e):
        return np.asarray(evaluate(node, {**values, **{k: np.asarray(values[k], float) + e * d
                                                       for k, d in moved.items()}}), float)

    slope = (at(eps) - at(-eps)) / (2 * eps)
    got = np.broadcast_to(got, slope.shape)
    np.testing.assert_allclose(got, slope, rtol=1e-5, atol=1e-7, err_msg=str(node))


WITH_JVP = [(n, v) for n, v in CASES if _rule_name(n) not in NO_JVP_YET]


@pytest.mark.parametrize("node, values", WITH_JVP, ids=[str(n)[:60] for n, _ in WITH_JVP])
def test_jvp_matches_central_differences(node, values):
    check_jvp(node, values)


@pytest.mark.parametrize("node, values", SYMMETRIC_CASES,
                         ids=[str(n)[:60] for n, _ in SYMMETRIC_CASES])
def test_jvp_of_a_symmetric_argument_matches_central_differences(node, values):
    check_jvp(node, values, symmetric=True)


def test_the_rules_without_a_jvp_are_the_listed_ones():
    missing = set()
    for node, _ in CASES:
        try:
            node_jvp(node, [sp.Symbol("t", real=True) for _ in node.diff_args()])
        except NotImplementedError:
            missing.add(_rule_name(node))
    assert missing == NO_JVP_YET & {_rule_name(n) for n, _ in CASES}
