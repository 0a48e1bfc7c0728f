"""Issue 11, the lowering's part: axes, argument binding, linspace/full/arange, list and tuple
arguments. Each function here once gave a wrong value, a wrong gradient or an internal crash;
every gradient is checked against central finite differences (and torch where it has the op).
"""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import SymgradError

rng = np.random.default_rng(11)
W24 = np.arange(24.0).reshape(4, 2, 3)
W27 = np.arange(27.0).reshape(3, 3, 3)


def check(fn, *args, **kw):
    """The primal is numpy's, and every gradient matches central differences."""
    G = symgrad.grad(fn, **kw)
    np.testing.assert_allclose(G(*args), fn(*args), rtol=1e-12)
    return check_grads(G, *args)


# ---------------------------------------------------------------- negative and tuple axes


def transpose_method(X):
    return np.sum(X.transpose(-1, 0, 1) * W24)


def transpose_function(X):
    return np.sum(np.transpose(X, (2, 0, -2)) * W27)


def transpose_keyword(X):
    return np.sum(np.transpose(X, axes=(-1, -3, -2)) * W27)


def reductions_tuple_axes(x):
    return (np.sum(np.sum(x, axis=(0, -1)) ** 2) + np.sum(np.mean(x, axis=(-1, 0)) ** 3)
            + np.sum(np.max(x, axis=(-2, -1), keepdims=True) * x)
            + np.sum(np.var(x, axis=(0, -2)) ** 2) + np.sum(np.prod(x, axis=(-1, 1)))
            + np.sum(np.std(x, axis=-1, keepdims=True) * x))


def shapes_negative_axes(x):
    e = np.expand_dims(x, (0, -1))
    s = np.squeeze(e, axis=-1)
    c = np.concatenate([x, x ** 2], axis=-2)
    k = np.stack([x, 2 * x], axis=-2)
    return (np.sum(s ** 2) + np.sum(c * np.arange(c.size).reshape(c.shape))
            + np.sum(k ** 3) + np.sum(np.cumsum(x, axis=-2) ** 2))


@pytest.mark.parametrize("fn,shape", [(transpose_method, (2, 3, 4)),
                                      (transpose_function, (3, 3, 3)),
                                      (transpose_keyword, (3, 3, 3)),
                                      (reductions_tuple_axes, (2, 3, 4)),
                                      (shapes_negative_axes, (2, 3, 4))])
def test_negative_and_tuple_axes(fn, shape):
    check(fn, rng.uniform(0.5, 1.5, size=shape))


def test_transpose_negative_axes_like_torch():
    torch = pytest.importorskip("torch")
    X = rng.normal(size=(3, 3, 3))
    t = torch.tensor(X, requires_grad=True)
    torch.sum(t.permute(2, 0, 1) * torch.tensor(W27)).backward()
    np.testing.assert_allclose(symgrad.grad(transpose_function).grad(X), t.grad.numpy())


# ---------------------------------------------------------------- memory order


def reshape_fortran(x):
    return np.sum(x.reshape(3, 4, order="F") * np.arange(12.0).reshape(3, 4))


def reshape_function_fortran(x):
    return np.sum(np.reshape(x, (4, 3), order="F") * np.arange(12.0).reshape(4, 3))


def ravel_fortran(X):
    return (np.sum(X.ravel("F") * np.arange(12.0)) + np.sum(np.ravel(X, order="F")[:5] ** 2)
            + np.sum(X.flatten(order="F")[:3] * np.arange(3.0)))


@pytest.mark.parametrize("fn,shape", [(reshape_fortran, (12,)),
                                      (reshape_function_fortran, (2, 6)),
                                      (ravel_fortran, (3, 4))])
def test_fortran_order(fn, shape):
    check(fn, rng.normal(size=shape))


def reshape_any_order(x):
    return np.sum(x.reshape(3, 4, order="A"))


def ravel_keep_order(x):
    return np.sum(np.ravel(x, order="K"))


@pytest.mark.parametrize("fn", [reshape_any_order, ravel_keep_order])
def test_layout_dependent_order_is_refused(fn):
    with pytest.raises(SymgradError, match="order="):
        symgrad.grad(fn)


# ---------------------------------------------------------------- arguments never dropped


def transpose_method_keyword(x):
    return np.sum(x.transpose(axes=(1, 0)))


def reshape_copy_keyword(x):
    return np.sum(x.reshape(3, 4, copy=True))


def sum_dtype(x):
    return np.sum(x, dtype=np.complex64)  # (a real dtype is a cast: test_language_indexing)


def max_out(x):
    return np.sum(np.max(x, 0, np.zeros(3)))


def ravel_with_shape(x):
    return np.sum(x.ravel(2))


@pytest.mark.parametrize("fn", [transpose_method_keyword, reshape_copy_keyword, sum_dtype,
                                max_out, ravel_with_shape])
def test_unsupported_arguments_are_refused(fn):
    with pytest.raises(SymgradError):
        symgrad.grad(fn)


def positional_numpy_signatures(x):
    # np.sum(a, axis, dtype, out, keepdims), np.max(a, axis, out, keepdims),
    # np.var(a, axis, dtype, out, ddof, keepdims), np.cumsum(a, axis, dtype)
    return (np.sum(np.sum(x, 0, None, None, True) * x) + np.sum(np.max(x, 1, None, True) * x)
            + np.sum(np.var(x, 0, None, None, 1)) + np.sum(np.cumsum(x, 0, None) ** 2)
            + np.sum(x.sum(1, None, None, True) * x) + np.sum(x.copy(order="F") ** 2))


def test_positional_numpy_signatures():
    check(positional_numpy_signatures, rng.normal(size=(3, 4)))


# ---------------------------------------------------------------- constructors with gradients


def linspace_scalars(a, b):
    return np.sum(np.linspace(a, b, 5) ** 2)


def linspace_open(a, b):
    return np.sum(np.linspace(a, b, num=4, endpoint=False) ** 3)


def linspace_one(a, b):
    return np.sum(np.linspace(a, b, 1) ** 2) + np.sum(np.linspace(a, b, 2) ** 2)


def linspace_arrays(a, b):
    return np.sum(np.linspace(a, b, 3) ** 2 * np.arange(6.0).reshape(3, 2))


def linspace_axis(a, b):
    return np.sum(np.linspace(a, b, 3, axis=1) ** 2 * np.arange(6.0).reshape(2, 3))


def linspace_num_from_shape(a, x):
    return np.sum(np.linspace(a, 2 * a, len(x)) * x)


@pytest.mark.parametrize("fn,args", [
    (linspace_scalars, (1.0, 2.0)),
    (linspace_open, (1.0, 2.5)),
    (linspace_one, (0.7, -1.3)),
    (linspace_arrays, (rng.normal(size=2), rng.normal(size=2))),
    (linspace_axis, (rng.normal(size=2), rng.normal(size=(1,)))),
    (linspace_num_from_shape, (0.4, rng.normal(size=6))),
])
def test_linspace_is_differentiable(fn, args):
    check(fn, *args)


def linspace_retstep(a, b):
    values, step = np.linspace(a, b, 5, retstep=True)
    return np.sum(values) * step


def test_linspace_retstep_is_refused():
    with pytest.raises(SymgradError, match="retstep"):
        symgrad.grad(linspace_retstep)


def linspace_constant(x):
    return np.sum(x * np.linspace(0.0, 1.0, 4))


def test_constant_linspace_keeps_its_values():
    check(linspace_constant, rng.normal(size=4))


def full_of_value(v):
    return np.sum(np.full((2, 3), v) * np.arange(6.0).reshape(2, 3))


def full_of_number(s):
    return np.sum(np.full(4, s) ** 2) + np.sum(np.full((2,), 2.0) * s)


def arange_from(s):
    return np.sum(np.arange(s, s + 3.0) ** 2)


def arange_step(s, d):
    return np.sum(np.arange(s, 3.0, d) ** 2)


@pytest.mark.parametrize("fn,args", [(full_of_value, (rng.normal(size=3),)),
                                     (full_of_number, (0.8,)),
                                     (arange_from, (0.5,)),
                                     (arange_step, (0.2, 0.65))])
def test_full_and_arange_carry_gradient(fn, args):
    check(fn, *args)


def test_constant_full_stays_float():
    def f(x):
        return np.sum(x * np.full(2, 2.0))

    assert "np.full(2, 2.0)" in symgrad.grad(f).source


# ---------------------------------------------------------------- lists and tuples


def concatenate_flat(x):
    return np.sum(np.concatenate([x, x * 2], axis=None) ** 2 * np.arange(8.0))


def test_concatenate_axis_none():
    check(concatenate_flat, rng.normal(size=(2, 2)))


def test_concatenate_axis_none_like_torch():
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 2))
    t = torch.tensor(x, requires_grad=True)
    torch.sum(torch.cat([t.reshape(-1), 2 * t.reshape(-1)]) ** 2
              * torch.arange(8.0, dtype=torch.float64)).backward()
    np.testing.assert_allclose(symgrad.grad(concatenate_flat).grad(x), t.grad.numpy())


def norm_of_list(x):
    return np.linalg.norm([x, x + 2])


def list_arguments(x, y):
    return np.sum(np.exp([x, y])) + np.mean([[x, y], [y, 2 * x]]) + np.dot([x, y], [y, y])


def test_list_arguments_are_arrays():
    check(norm_of_list, 1.0)
    check(norm_of_list, rng.normal(size=3))
    check(list_arguments, 0.3, -0.4)


def unpack_three(packed):
    a, b, c = packed
    return a * b + c


def test_unpack_a_tuple_argument():
    G = symgrad.grad(unpack_three)
    assert G.grad((1.0, 2.0, 3.0)) == (2.0, 1.0, 1.0)
    assert G.grad([1.0, 2.0, 3.0]) == [2.0, 1.0, 1.0]  # a list gets a list
    rows = rng.normal(size=(3, 2))  # an array unpacks into rows: its gradient is an array
    check_grads(G, rows, seed=np.ones(2))


def layer(params, x):
    W, b = params
    return np.sum(np.tanh(W @ x + b))


def two_layers(params, x):
    (W1, b1), (W2, b2) = params
    h = np.tanh(W1 @ x + b1)
    return np.sum((W2 @ h + b2) ** 2)


def test_tuple_parameter_in_wrt():
    W, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)
    gW, gb = symgrad.grad(layer, wrt="params").grad((W, b), x)
    d = 1 - np.tanh(W @ x + b) ** 2
    np.testing.assert_allclose(gW, np.outer(d, x), rtol=1e-12)
    np.testing.assert_allclose(gb, d, rtol=1e-12)


def test_nested_tuple_parameter_like_torch():
    torch = pytest.importorskip("torch")
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    arrays = [rng.normal(size=s) for s in shapes]
    x = rng.normal(size=3)
    params = ((arrays[0], arrays[1]), (arrays[2], arrays[3]))
    grads = symgrad.grad(two_layers, wrt="params").grad(params, x)
    assert isinstance(grads, tuple) and all(isinstance(g, tuple) for g in grads)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    h = torch.tanh(ts[0] @ torch.tensor(x) + ts[1])
    torch.sum((ts[2] @ h + ts[3]) ** 2).backward()
    for got, t in zip([g for pair in grads for g in pair], ts, strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- reductions of a number


def sum_axis0(x):
    return np.sum(x ** 2, axis=0)


def prod_axis0(x):
    return np.prod(x ** 2, axis=0) + np.max(x, axis=-1)


def cumsum_axis0(x):
    return np.sum(np.cumsum(x ** 2, axis=0))


def empty_axes(x):
    return np.mean(x ** 2, axis=()) + np.var(x, axis=()) + np.sum(x, axis=None)


def mean_axis0(x):
    return np.mean(x ** 2, axis=0)


@pytest.mark.parametrize("fn", [sum_axis0, prod_axis0, cumsum_axis0, empty_axes])
def test_reductions_of_a_number_follow_numpy(fn):
    # numpy reduces a 0-d value over axis 0 or -1 (sum, prod, max, cumsum) and over ()
    check(fn, 1.5)
    check(fn, np.array(-0.7))


def test_reduction_of_a_number_raises_numpys_error():
    G = symgrad.grad(mean_axis0)
    with pytest.raises(np.exceptions.AxisError):
        mean_axis0(1.5)
    with pytest.raises(np.exceptions.AxisError):
        G.grad(1.5)
