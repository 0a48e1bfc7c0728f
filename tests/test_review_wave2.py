"""Adversarial review of the second wave (row-assigned loop gradients, float literals,
batched Hessians, shape plumbing in formulas, grad of grad through loops, fused modules):
each test is a bug the review found, checked against numpy (primal and dtype), central
differences in float64 and torch."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import assert_same_array, numeric_grad

import symgrad
from symgrad import helpers
from symgrad.formula import FormulaStrPrinter

torch = pytest.importorskip("torch")

rng = np.random.default_rng(11)
X32 = np.array([0.5, 1.5, -2.0], dtype=np.float32)
INTS = np.array([1, 2, 3])


# ---------------------------------------------------------------- float literals' dtype
def builtin_abs_of_float(x):
    return x * abs(-2.0)  # a Python float: a float32 array stays float32


def exp_of_one(x):
    return x * np.exp(1.0)  # numpy's float64 scalar (SymPy's E printed as np.e was weak)


def exp_of_int(x):
    return x * np.exp(1)


def maximum_of_mixed(x):
    return x * np.maximum(0, 1.5)  # 1.5 is SymPy's 3/2: still numpy's float64


def sin_of_pi(x):
    return x * np.sin(np.pi)  # numpy's 1.2e-16 in float64, not SymPy's exact 0


def sqrt_of_int(x):
    return x * np.sqrt(4)


@pytest.mark.parametrize("f", [builtin_abs_of_float, exp_of_one, exp_of_int,
                               maximum_of_mixed, sin_of_pi, sqrt_of_int],
                         ids=lambda f: f.__name__)
def test_a_numpy_function_of_numbers_is_numpys_scalar(f):
    G = symgrad.grad(f)
    for _ in range(2):  # the generic module and the rank-specialised one
        assert_same_array(G(X32), f(X32))
    g = G.grad(X32.astype(np.float64), seed=np.ones(3))
    np.testing.assert_allclose(g, numeric_grad(f, [X32.astype(np.float64)], 0), rtol=1e-6)


def sqrt_of_int_times_ints(x, i):
    return np.sum(x) * 0.0 + i * np.sqrt(4)  # float64 to numpy, not an int array


def test_a_numpy_function_of_ints_is_float_where_numpy_says_so():
    G = symgrad.grad(sqrt_of_int_times_ints, wrt="x")
    x = np.ones(3)
    for _ in range(2):
        assert_same_array(G(x, INTS), sqrt_of_int_times_ints(x, INTS))


# ---------------------------------------------------- formula of a named shape unpacked
def unpacked_named_shape(x, y):
    s = x.shape
    n, m = s  # the generated code checks len(s) == 2 (an assert): not a value to read
    return np.sum(np.sin(y.reshape(n, m)) * x ** 2)


def test_the_formula_reads_past_the_unpacking_check():
    x, y = rng.normal(size=(2, 3)), rng.normal(size=6)
    G = symgrad.grad(unpacked_named_shape)
    form = G.formula(x, y)
    ns = {"x": x, "y": y, "sin": np.sin, "cos": np.cos, "sum": np.sum, "shape": np.shape,
          "sum_to": helpers._sum_to, "broadcast_to": np.broadcast_to,
          "broadcast": np.broadcast, "reshape": np.reshape}
    printer = FormulaStrPrinter()
    for name, want in zip(("x", "y"), G.grad(x, y), strict=True):
        got = eval(printer.doprint(form[name]), ns)  # noqa: S307
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(want)), want, rtol=1e-10)
    hform = G.formula(x, y, hessian=True)
    v = (rng.normal(size=(2, 3)), rng.normal(size=6))
    ns.update({"v_x": v[0], "v_y": v[1]})
    for name, want in zip(("x", "y"), G.hvp(x, y, v=v), strict=True):
        got = eval(printer.doprint(hform[name]), ns)  # noqa: S307
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(want)), want, rtol=1e-10,
                                   atol=1e-12)


# ------------------------------------------------------- grad of grad through loops
def _second_order(f, args, wrt):
    """symgrad.grad(G.grad) seeded with u, against central differences of <G.grad, u>."""
    G = symgrad.grad(f, wrt=wrt)
    G2 = symgrad.grad(G.grad, wrt=wrt)
    u = rng.normal(size=np.shape(args[0]))
    got = G2.grad(*args, 1.0, **{G2.seed_name: u})
    want = numeric_grad(lambda *a: G.grad(*a), list(args), 0, seed=u)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def nested_rows(x):
    s = 0.0  # a number, then a row: the inner tape's entries have two shapes
    for i in range(2):
        for t in range(3):
            s = np.sin(s + x[t] * (i + 1))
    return np.sum(s)


def test_grad_of_grad_of_nested_loops_whose_carry_changes_shape():
    """(The tape list's cotangent was made whole with np.full_like, ragged here.)"""
    _second_order(nested_rows, (rng.normal(size=(3, 2)) * 0.5,), "x")


def appended(x):
    outs = []
    s = 0.0
    for t in range(3):
        s = np.sin(s + x[t])
        outs.append(s * x[t])
    return np.sum(np.stack(outs) ** 2)


def test_grad_of_grad_of_a_loop_appending_to_a_list():
    """(It was refused: wt-hvp reads the generated list copy back as an append.)"""
    _second_order(appended, (rng.normal(size=(3, 2)) * 0.5,), "x")


def dict_rnn(p, x):
    h = np.zeros(2)
    for t in range(x.shape[0]):
        h = np.tanh(p["W"] @ h + x[t] * p["b"])
    return np.sum(h ** 2)


def test_grad_of_grad_through_a_loop_of_a_dict_parameter():
    """(_zeros_like(p) was read back as np.zeros(np.shape(p)), a number, not a dict.)"""
    p = {"W": rng.normal(size=(2, 2)) * 0.5, "b": rng.normal(size=2)}
    x = rng.normal(size=(3, 2))
    G = symgrad.grad(dict_rnn, wrt="p")
    G2 = symgrad.grad(G.grad, wrt="p")
    u = {"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
    got = G2.grad(p, x, 1.0, **{G2.seed_name: u})

    def inner(q):
        g = G.grad(q, x)
        return sum(np.sum(g[k] * u[k]) for k in u)

    eps = 1e-6
    for k in p:
        want = np.zeros_like(p[k])
        for idx in np.ndindex(p[k].shape):
            plus, minus = p[k].copy(), p[k].copy()
            plus[idx] += eps
            minus[idx] -= eps
            want[idx] = (inner({**p, k: plus}) - inner({**p, k: minus})) / (2 * eps)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-7)


def _torch_second_order(f_torch, params, u):
    """torch's d<grad f, u>/dparams (double backward), for the cases above."""
    ps = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    gs = torch.autograd.grad(f_torch(**ps), list(ps.values()), create_graph=True)
    inner = sum((g * torch.tensor(u[k])).sum() for g, k in zip(gs, ps, strict=True))
    return dict(zip(ps, (g.numpy() for g in torch.autograd.grad(inner, list(ps.values()))),
                    strict=True))


def test_grad_of_grad_of_the_loops_above_matches_torch():
    x = rng.normal(size=(3, 2)) * 0.5
    u = rng.normal(size=(3, 2))
    G = symgrad.grad(nested_rows, wrt="x")
    G2 = symgrad.grad(G.grad, wrt="x")

    def nested_rows_torch(x):
        s = torch.tensor(0.0, dtype=torch.float64)
        for i in range(2):
            for t in range(3):
                s = torch.sin(s + x[t] * (i + 1))
        return s.sum()

    np.testing.assert_allclose(G2.grad(x, 1.0, **{G2.seed_name: u}),
                               _torch_second_order(nested_rows_torch, {"x": x}, {"x": u})["x"],
                               rtol=1e-10, atol=1e-12)
    p = {"W": rng.normal(size=(2, 2)) * 0.5, "b": rng.normal(size=2)}
    v = {"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
    G = symgrad.grad(dict_rnn, wrt="p")
    G2 = symgrad.grad(G.grad, wrt="p")
    got = G2.grad(p, x, 1.0, **{G2.seed_name: v})

    def dict_rnn_torch(W, b):
        h = torch.zeros(2, dtype=torch.float64)
        for t in range(x.shape[0]):
            h = torch.tanh(W @ h + torch.tensor(x[t]) * b)
        return (h ** 2).sum()

    want = _torch_second_order(dict_rnn_torch, p, v)
    for k in p:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-12)


def layers(Ws, x):
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
    return np.sum(h ** 2)


def test_grad_of_grad_through_a_loop_over_a_list_parameter():
    """(grad_Ws[i] = ... read back wrote the seed list's item through _written_grad and
    _zero_at, which made it one array: an object array's add failed.)"""
    Ws = [rng.normal(size=(2, 2)), rng.normal(size=(2, 2))]
    x = rng.normal(size=2)
    u = [rng.normal(size=(2, 2)), rng.normal(size=(2, 2))]
    G = symgrad.grad(layers, wrt="Ws")
    G2 = symgrad.grad(G.grad, wrt="Ws")
    got = G2.grad(Ws, x, 1.0, **{G2.seed_name: u})

    def inner(qs):
        return sum(np.sum(g * v) for g, v in zip(G.grad(qs, x), u, strict=True))

    eps = 1e-6
    for k in range(2):
        want = np.zeros_like(Ws[k])
        for idx in np.ndindex(Ws[k].shape):
            plus, minus = [w.copy() for w in Ws], [w.copy() for w in Ws]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            want[idx] = (inner(plus) - inner(minus)) / (2 * eps)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-7)

    def layers_torch(W0, W1):
        h = torch.tensor(x)
        for W in (W0, W1):
            h = torch.tanh(W @ h)
        return (h ** 2).sum()

    want = _torch_second_order(layers_torch, {"W0": Ws[0], "W1": Ws[1]},
                               {"W0": u[0], "W1": u[1]})
    for k in range(2):
        np.testing.assert_allclose(got[k], want[f"W{k}"], rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------- older bugs met on the way
def einsum_implicit_ellipsis(x):
    return np.sum(np.einsum("...j,j", x, x[0]) ** 2)


def test_einsum_gradient_with_an_implicit_ellipsis_output():
    x = rng.normal(size=(2, 3))
    g = symgrad.grad(einsum_implicit_ellipsis).grad(x)
    np.testing.assert_allclose(g, numeric_grad(einsum_implicit_ellipsis, [x], 0), rtol=1e-6)


def sqrt_of_product(w, x):
    return np.sum(np.sqrt(w * x))


def test_sqrt_of_a_product_at_zero_is_infinite_as_torch():
    w, x = np.array([0.0, 1.0]), np.array([1.3, 1.0])
    g = symgrad.grad(sqrt_of_product, wrt="w").grad(w, x)
    tw = torch.tensor(w, requires_grad=True)
    torch.sum(torch.sqrt(tw * torch.tensor(x))).backward()
    np.testing.assert_array_equal(g, tw.grad.numpy())


# ---------------------------------------------- fused modules: checked once per kind
def _scale(lib):
    class Scale(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(3) * 0.5)

        def forward(self, x):
            return (self.w * x).sin()

    return Scale()


def test_a_fused_module_keeps_torchs_dtype_for_inputs_of_another_kind():
    """The first call (float32 inputs) agrees and turns fusing on; a 0-d float64 or an
    int64 input is float32 to torch (float32 weights), float64 to numpy's promotion."""
    mine, theirs = _scale(symgrad), _scale(torch)
    for x in (np.array([1.0, 2.0, 3.0], np.float32), np.array(2.0), np.array([1, 2, 3]),
              np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0], np.float32)):
        outs = []
        for lib, m in ((symgrad, mine), (torch, theirs)):
            m.w.grad = None
            out = m(lib.tensor(x))
            out.sum().backward()
            outs.append((out, m.w.grad))
        (a, ga), (b, gb) = outs
        assert str(a.dtype) == str(b.dtype), (x.dtype, x.shape, a.dtype, b.dtype)
        assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-6)


def constants_in_a_formula(x):
    return np.sum(x ** 2 * np.sqrt(2) + np.maximum(0.0, 1.0) * x)


def test_a_formula_prints_numpys_constant_calls_as_calls():
    """np.sqrt(2) is numpy's float64 scalar in the generated code; the formula reads it as
    sqrt(2), not as the node np_constant(2, 'sqrt', ())."""
    x = rng.normal(size=3)
    form = symgrad.grad(constants_in_a_formula).formula(x)
    text = FormulaStrPrinter().doprint(form["x"])
    assert "np_constant" not in text and "sqrt(2)" in text, text
    got = eval(text, {"x": x, "sqrt": np.sqrt, "maximum": np.maximum})  # noqa: S307
    np.testing.assert_allclose(got, numeric_grad(constants_in_a_formula, [x], 0), rtol=1e-6)
    assert "np_constant" not in form._latex()


def test_a_fused_module_raises_as_torch_for_an_input_of_another_rank():
    """torch.outer takes vectors; numpy's np.outer flattens: once fused on vectors, a
    matrix input gave a number where torch (and forward op by op) raises."""
    def make(lib):
        class Outer(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.ones(2) * 0.5)

            def forward(self, x):
                return lib.outer(self.w, x).sum()

        return Outer()

    mine, theirs = make(symgrad), make(torch)
    v = np.ones(3, np.float32)
    assert float(mine(symgrad.tensor(v))) == float(theirs(torch.tensor(v)))
    m = np.ones((2, 2), np.float32)
    with pytest.raises(RuntimeError):
        theirs(torch.tensor(m))
    with pytest.raises(RuntimeError):
        mine(symgrad.tensor(m))


def einsum_ellipsis_summed_away(x, y):
    return np.sum(np.einsum("...ij,j", x, y) ** 2) + np.sum(np.einsum("...j,...j", x, x))


def test_einsum_gradients_where_an_ellipsis_is_summed_away():
    x, y = rng.normal(size=(2, 4, 3)), rng.normal(size=3)
    got = symgrad.grad(einsum_ellipsis_summed_away).grad(x, y)
    for k in range(2):
        np.testing.assert_allclose(got[k], numeric_grad(einsum_ellipsis_summed_away, [x, y], k),
                                   rtol=1e-6, atol=1e-9)
