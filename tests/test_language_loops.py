"""The language of loops: lists appended to in a loop, names first assigned in a loop, and
loops over enumerate/zip. Each construct: the primal against the plain function, the
gradient against central differences (and torch for the recurrent net), the errors."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, check_grads

import symgrad

rng = np.random.default_rng(13)


def check(fn, *args, wrt=None):
    G = symgrad.grad(fn, wrt=wrt) if wrt else symgrad.grad(fn)
    assert_same_array(G(*args), fn(*args))
    check_grads(G, *args)
    return G


# ---------------------------------------------------------------- list.append in a loop


def rnn_outputs(W, x, h):
    outs = []
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
        outs.append(h)
    return np.sum(np.stack(outs) ** 2)


def scalars_array(x):
    out = []
    for i in range(3):
        out.append(np.sum(x[i]) * i)
    return np.sum(np.array(out) ** 2)


def static_trip_stack(x):
    out = []
    for i in range(3):
        out.append(x[i] * i)
    return np.sum(np.stack(out))


def builtin_sum(x):
    outs = []
    for t in range(x.shape[0]):
        outs.append(np.sin(x[t]))
    return np.sum(sum(outs) ** 2)


def read_last(x):
    outs = [x[0] * 0.5]
    for t in range(1, x.shape[0]):
        outs.append(outs[-1] * x[t])
    return np.sum(outs[-1]) + np.sum(outs[0]) * len(outs)


def concat(x, n):
    outs = []
    for t in range(n):
        outs.append(x[t] ** 2)
    return np.sum(np.concatenate(outs) * np.arange(x.shape[1] * n))


def stack_axis1(x):
    outs = []
    for t in range(3):
        outs.append(x[t] * (t + 1))
    return np.sum(np.stack(outs, axis=1) * np.arange(12.0).reshape(4, 3))


def iterate_after(x):
    outs = []
    for t in range(3):
        outs.append(x[t] ** 3)
    s = 0.0
    for o in outs:
        s = s + np.sum(o * x[0])
    return s


def append_in_branch(x):
    outs = [x[0]]
    for t in range(x.shape[0]):
        if np.sum(x[t]) > 0:
            outs.append(x[t] * 2)
    return np.sum(np.stack(outs) ** 2)


def nested_lists(x):
    outs = []
    for i in range(x.shape[0]):
        row = []
        for j in range(x.shape[1]):
            row.append(x[i, j] ** 2)
        outs.append(np.array(row))
    return np.sum(np.stack(outs) * x)


def while_append(x):
    outs = []
    t = 0
    while t < 3:
        outs.append(x[t] * t)
        t = t + 1
    return np.sum(np.stack(outs))


def static_append_extend(x):
    outs = []
    outs.append(x[0])
    outs.extend([x[1], x[2]])
    return np.sum(np.stack(outs) ** 2)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2), (3, 1)])
def test_append_then_stack(shape):
    x = rng.normal(size=shape)
    W = rng.normal(size=(shape[1], shape[1])) * 0.5
    h = rng.normal(size=shape[1])
    G = check(rnn_outputs, W, x, h)
    src = G.source
    assert "outs_2 = outs_1 + [h_2]" in src and "np.stack(outs_1)" in src
    assert "grad_outs_1[-1]" in src and "grad_outs_1[:-1]" in src
    check(builtin_sum, x)
    check(read_last, x)
    check(append_in_branch, x)
    check(nested_lists, x)


@pytest.mark.parametrize("fn", [scalars_array, static_trip_stack, stack_axis1, iterate_after,
                                while_append, static_append_extend])
def test_append_static_trip_counts(fn):
    check(fn, rng.normal(size=(3, 4)))


def test_append_runtime_trip_count_and_concatenate():
    x = rng.normal(size=(4, 3))
    G = symgrad.grad(concat, wrt="x")
    for n in (1, 2, 4):
        assert_same_array(G(x, n), concat(x, n))
        check_grads(G, x, n)
    with pytest.raises(ValueError, match="need at least one array"):  # as numpy says
        G(x, 0)


def test_append_matches_torch():
    torch = pytest.importorskip("torch")
    x, W, h = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    grads = symgrad.grad(rnn_outputs).grad(W, x, h)
    tW, tx, th = (torch.tensor(a, requires_grad=True) for a in (W, x, h))
    hh, outs = th, []
    for t in range(4):
        hh = torch.tanh(tW @ hh + tx[t])
        outs.append(hh)
    (torch.stack(outs) ** 2).sum().backward()
    for g, t in zip(grads, (tW, tx, th), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10)


def comprehension_stack(x):
    return np.sum(np.stack([np.tanh(v) * 2 for v in x]) ** 2)


def generator_sum(x, n):
    return sum(np.sum(x[t] ** 2) for t in range(n))


def comprehension_named(x):
    ys = [v ** 2 for v in x]
    return np.sum(np.array(ys)) + np.sum(ys[0])


def comprehension_target_does_not_leak(x):
    v = 3.0
    s = np.sum(np.stack([v * 2 for v in x]))
    return s * v


def comprehension_zip(x):
    return np.sum(np.stack([a * b for a, b in zip(x, x[::-1])]))  # noqa: B905


def comprehension_with_if(x):
    return np.sum(np.stack([v for v in x if np.sum(v) > 0]))


@pytest.mark.parametrize("shape", [(3, 4), (1, 2), (4,)])
def test_comprehensions_over_runtime_iterables(shape):
    x = rng.normal(size=shape)
    G = check(comprehension_stack, x)
    assert "for i in range(len(x)):" in G.source and "np.stack(items_1)" in G.source
    G = symgrad.grad(generator_sum, wrt="x")
    for n in (0, 1, shape[0]):
        assert_same_array(G(x, n), generator_sum(x, n))
        if n:
            check_grads(G, x, n)
    check(comprehension_named, x)
    check(comprehension_target_does_not_leak, x)
    check(comprehension_zip, x)
    with pytest.raises(symgrad.SymgradError, match="one `for` and no `if`"):
        symgrad.grad(comprehension_with_if)


def list_times_two(x):
    outs = []
    for t in range(3):
        outs.append(x[t])
    return np.sum(outs * 2)


def return_list(x):
    outs = []
    for t in range(3):
        outs.append(x[t])
    return outs


def slice_list(x):
    outs = []
    for t in range(3):
        outs.append(x[t])
    return np.sum(np.stack(outs[1:]))


def extend_in_loop(x):
    outs = []
    for t in range(3):
        outs.extend([x[t]])
    return np.sum(np.stack(outs))


def np_sum_of_list(x):
    outs = []
    for t in range(3):
        outs.append(x[t])
    return np.sum(outs)


def alias_list(x):
    outs = []
    for t in range(3):
        outs.append(x[t])
    ys = outs
    return np.sum(np.stack(ys))


@pytest.mark.parametrize("fn, match", [
    (list_times_two, "a list built in a loop is used as an array"),
    (return_list, "a list built in a loop is used as an array"),
    (slice_list, "only one item at a time"),
    (extend_in_loop, "list.extend inside a loop is not supported"),
    (np_sum_of_list, "this call of it is not supported"),
    (alias_list, "a list built in a loop is used as an array"),
])
def test_append_misuse_is_refused(fn, match):
    with pytest.raises(symgrad.SymgradError, match=match):
        symgrad.grad(fn)


# ---------------------------------------------------------------- a name first assigned in a loop


def first_in_loop(x):
    for i in range(3):
        y = x[i] * 2
    return np.sum(y)


def first_in_runtime_loop(x):
    for i in range(x.shape[0]):
        y = np.tanh(x[i]) * i
        z = y * 2
    return np.sum(y * z)


def first_in_inner_loop_used_in_outer(x, n):
    s = 0.0
    for i in range(n):
        for j in range(2):
            w = x[i, j] * s + 1
        s = s + w * x[i, j + 1]
    return s * w


def first_in_nested_loops(x):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y = x[i, j] * 2
    return y


def test_name_first_assigned_in_a_loop():
    x = rng.normal(size=(3, 4))
    check(first_in_loop, x)
    G = check(first_in_runtime_loop, x)
    check_grads(G, rng.normal(size=(1, 2)))
    G = symgrad.grad(first_in_inner_loop_used_in_outer, wrt="x")
    for n in (1, 3):
        assert_same_array(G(x, n), first_in_inner_loop_used_in_outer(x, n))
        check_grads(G, x, n)


def test_name_first_assigned_in_a_loop_of_no_iterations_is_unbound():
    G = symgrad.grad(first_in_runtime_loop)
    x = np.zeros((0, 4))
    with pytest.raises(UnboundLocalError):
        first_in_runtime_loop(x)
    with pytest.raises(UnboundLocalError):
        G(x)
    with pytest.raises(UnboundLocalError):
        G.grad(x)


def test_name_an_inner_loop_may_leave_unbound_is_refused():
    # after i = 0 with no inner iterations and i = 1 with some, Python holds y: symgrad's
    # single-assignment code cannot say so
    with pytest.raises(symgrad.SymgradError, match="'y' is assigned only inside a loop"):
        symgrad.grad(first_in_nested_loops)


# ---------------------------------------------------------------- enumerate and zip


def enumerate_zip(x):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, x)):  # noqa: B905 (as users write it)
        s = s + np.sum(a * b) * i
    return s


def zip_two(x, y):
    s = 0.0
    for a, b in zip(x, y):  # noqa: B905 (as users write it)
        s = s + np.sum(a * b ** 2)
    return s


def enumerate_start(x):
    s = 0.0
    for i, a in enumerate(x, 1):
        s = s + np.sum(a) * i
    return s


def zip_list_and_array(x):
    ws = [2.0, 3.0]
    s = 0.0
    for w, a in zip(ws, x):  # noqa: B905 (as users write it)
        s = s + np.sum(a) * w
    return s


def enumerate_zip_unequal(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y[1:])):  # noqa: B905 (as users write it)
        s = s + np.sum(a * b) * (i + 1)
    return s


@pytest.mark.parametrize("shape", [(3, 4), (1, 2), (4,)])
def test_enumerate_and_zip(shape):
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    check(enumerate_zip, x)
    check(zip_two, x, y)
    check(enumerate_start, x)
    check(enumerate_zip_unequal, x, y)
    if shape[0] >= 2:
        check(zip_list_and_array, x)


def zip_strict_false(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=False):
        s = s + np.sum(a * b)
    return s


def zip_strict_true(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=True):
        s = s + np.sum(a * b)
    return s


def test_zip_strict():
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    check(zip_strict_false, x, y)
    with pytest.raises(symgrad.SymgradError, match="strict=True"):
        symgrad.grad(zip_strict_true)


def test_enumerate_zip_reads_well():
    src = symgrad.grad(enumerate_zip_unequal).source
    assert "for i in range(min(len(seq), len(x))):" in src
    assert "a = x[i]" in src and "b = seq[i]" in src


# ---------------------------------------------------------------- the list rules' vjps


def _list_cases():
    import sympy as sp

    from symgrad.rules import lists
    from symgrad.rules.base import static

    xs, x, a, b, g = (sp.Symbol(n, real=True) for n in ("xs", "x", "a", "b", "g"))
    rows = rng.normal(size=(3, 2))
    return [  # (node, values, the names that are lists)
        (lists.ListOf(a, b), {"a": rng.normal(size=2), "b": rng.normal(size=2)}, ()),
        (lists.Append(xs, x), {"xs": rows, "x": rng.normal(size=2)}, ("xs",)),
        (lists.StackList(xs, static("np.stack"), static(0)), {"xs": rows}, ("xs",)),
        (lists.StackList(xs, static("np.stack"), static(1)), {"xs": rows}, ("xs",)),
        (lists.StackList(xs, static("np.array"), static(0)), {"xs": rows}, ("xs",)),
        (lists.ConcatList(xs), {"xs": rows}, ("xs",)),
        (lists.SumList(xs), {"xs": rows}, ("xs",)),
        (lists.ListBroadcast(g, xs), {"g": rng.normal(size=2), "xs": rows}, ("xs",)),
        (lists.ListItem(xs, sp.Integer(-1)), {"xs": rows}, ("xs",)),
        (lists.ListItemGrad(g, xs, sp.Integer(1)), {"g": rng.normal(size=2), "xs": rows},
         ("xs",)),
    ]


LIST_CASES = _list_cases()


@pytest.mark.parametrize("node, values, as_lists", LIST_CASES,
                         ids=[type(n).__name__ for n, _, _ in LIST_CASES])
def test_list_rule_vjps_match_central_differences(node, values, as_lists):
    """test_rules_vjp.check_vjp, with the list arguments passed as Python lists of rows (as
    the generated code holds them) and their cotangents as the stacked arrays."""
    from test_rules_vjp import COTANGENT, evaluate

    def run(expr, vals):
        return np.asarray(evaluate(expr, {k: list(v) if k in as_lists else v
                                          for k, v in vals.items()}), dtype=float)

    out = run(node, values)
    u = rng.standard_normal(out.shape)
    vjps = node.vjp(COTANGENT)
    assert len(vjps) == len(node.diff_args())
    for arg, back_expr in zip(node.diff_args(), vjps, strict=True):
        x0 = np.asarray(values[arg.name], dtype=float)
        d = rng.standard_normal(x0.shape)
        slope = (run(node, {**values, arg.name: x0 + 1e-6 * d}) -
                 run(node, {**values, arg.name: x0 - 1e-6 * d})) / 2e-6
        back = run(back_expr, {**values, COTANGENT.name: u})
        assert back.shape == x0.shape  # a list's cotangent is whole: no summing back
        np.testing.assert_allclose(np.sum(back * d), np.sum(u * slope), rtol=1e-6, atol=1e-8)
