"""In-place writes through a second name for the same memory are refused; safe ones work.

numpy writes the shared buffer, symgrad gives each name its own value: accepting these would
compute a different function (found by an adversarial review; each was silently wrong).
"""

import numpy as np
import pytest
from gradutil import check_grads

import symgrad


def alias_aug(x, y):
    s = x
    s += y
    return np.sum(s * x)


def view_aug(X):
    Y = X * 1.0
    r = Y[0]
    r *= 3.0
    return np.sum(Y**2)


def center_rows(X):
    Y = X.copy()
    for row in Y:
        row -= row.mean()
    return np.sum(Y**3)


def centre_rows_enumerate(X):
    Y = X.copy()
    for _i, row in enumerate(Y):
        row -= np.mean(row)
    return np.sum(Y**3)


def alias_then_write(x):
    out = x * 1.0
    prev = out
    out[0] = 0.0
    return np.sum(prev * x)


def transpose_write(X):
    Y = X * 2.0
    Z = Y.T
    Z[0] = 0.0
    return np.sum(Y * X)


def accumulator_aliases_argument(x, y):
    total = y
    for i in range(3):
        total += x * i
    return np.sum(total * y)


def _bump(buf, v):
    buf[0] += v
    return buf


def helper_writes_callers_array(x, y):
    z = _bump(y, np.sum(x))
    return np.sum(z * y)


@pytest.mark.parametrize("fn, culprit", [
    (alias_aug, "'s' and 'x' share memory"),
    (view_aug, "'r' may be a view into 'Y'"),
    (center_rows, "'row' may be a view into 'Y'"),
    (centre_rows_enumerate, "'row' may be a view into 'Y'"),
    (alias_then_write, "'out' and 'prev' share memory"),
    (transpose_write, "'Z' and 'Y' share memory"),
    (accumulator_aliases_argument, "'total' and 'y' share memory"),
    (helper_writes_callers_array, "'buf' and the caller's 'y' share memory"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_in_place_write_to_a_view_or_alias_is_refused(fn, culprit):
    with pytest.raises(symgrad.SymgradError) as info:
        symgrad.grad(fn)
    message = str(info.value)
    assert culprit in message
    assert "test_shared_memory.py" in message and ".copy()" in message  # where, and the fix


def rnn_buffer_reads_previous_row(x, W):
    h = np.zeros((len(x) + 1, W.shape[0]))
    for t in range(len(x)):
        prev = h[t]  # a view of row t; writing row t + 1 does not touch it
        h[t + 1] = np.tanh(W @ prev + x[t])
    return np.sum(h[-1])


def rebinding_is_not_in_place(x, y):
    s = x
    s = s + y  # a new array: x is untouched
    h = s
    h = np.tanh(h)
    return np.sum(s * x + h)


def explicit_copy_then_write(X):
    Y = X.copy()
    r = Y[0].copy()
    r *= 3.0
    Y[1] = r
    return np.sum(Y**2)


def writes_into_its_own_argument(x):
    x[0] = x[1] * x[2]  # the caller's array stays as it was (tested below)
    x += 1.0
    return np.sum(x**2)


def slices_with_computed_bounds(x):
    n = len(x) // 2
    out = np.zeros(2 * len(x))
    out[:n] = x[:n]
    out[n:len(x)] = x[n:] ** 2
    return np.sum(out * out) + np.sum(x[1:n + 1] * x[:n])


X = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]])


@pytest.mark.parametrize("fn, args", [
    (rnn_buffer_reads_previous_row, (np.array([0.3, -0.2, 0.5]), np.array([[0.4]]))),
    (rebinding_is_not_in_place, (np.array([0.3, -0.2]), np.array([1.5, 0.7]))),
    (explicit_copy_then_write, (X,)),
    (writes_into_its_own_argument, (np.array([0.3, -0.2, 0.9]),)),
    (slices_with_computed_bounds, (np.array([0.3, -0.2, 0.9, 1.3, -0.6]),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_writes_that_share_nothing_are_differentiated(fn, args):
    G = symgrad.grad(fn, wrt=fn.__code__.co_varnames[0])
    before = [a.copy() for a in args]
    np.testing.assert_allclose(G(*args), fn(*[a.copy() for a in args]), rtol=1e-12)
    check_grads(G, *args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


def row_view_then_write(X):
    H = X * 1.0
    s = 0.0
    for t in range(X.shape[0]):
        a = H[t]  # a view of row t: numpy's a changes with the write below
        H[t] = a * 2.0
        s = s + np.sum(a * X[t])
    return s + np.sum(H**2)


def element_kept_across_a_write(x):
    y = x * 1.0
    old = y[1]
    y[1] = 0.0
    return np.sum(y) + old


def previous_row_kept(X):
    H = X * 1.0
    for t in range(X.shape[0] - 1):
        prev = H[t]  # row t is never written after this: a view is fine
        H[t + 1] = np.tanh(prev) + H[t + 1]
        H[t + 1] = H[t + 1] * prev
    return np.sum(H)


def test_a_view_read_after_a_write_to_its_elements_is_refused():
    for fn in (row_view_then_write, element_kept_across_a_write):
        with pytest.raises(symgrad.SymgradError, match="may be a view of the same elements"):
            symgrad.grad(fn)
    X = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4], [0.9, -0.1, 0.6]])
    G = symgrad.grad(previous_row_kept)
    np.testing.assert_allclose(G(X), previous_row_kept(X.copy()), rtol=1e-12)
    check_grads(G, X)


def _identity(a):
    return a


def alias_through_ifexp(x, y):
    s = x if np.sum(x) > 0 else y
    s += 1.0
    return np.sum(s * x * y)


def alias_through_unpacking(x):
    s, k = x, 2.0
    s += k
    return np.sum(s * x)


def alias_through_double_transpose(X):
    s = X.T.T
    s += 1.0
    return np.sum(s * X)


def alias_through_a_helper(x, y):
    s = _identity(y)
    s += x
    return np.sum(s * y)


def alias_through_a_lambda(x, y):
    same = lambda a: a  # noqa: E731
    s = same(y)
    s[1] = 5.0
    return np.sum(s * y + x)


def alias_in_a_dict(x, y):
    d = {"a": y}
    d["a"] += x
    return np.sum(d["a"] * y)


def alias_through_np_squeeze(x):
    s = np.squeeze(x)
    s += 1.0
    return np.sum(s * x)


@pytest.mark.parametrize("fn", [alias_through_ifexp, alias_through_unpacking,
                                alias_through_double_transpose, alias_through_a_helper,
                                alias_through_a_lambda, alias_in_a_dict,
                                alias_through_np_squeeze], ids=lambda f: f.__name__)
def test_aliases_the_review_found_are_refused(fn):
    with pytest.raises(symgrad.SymgradError, match="numpy would change") as info:
        symgrad.grad(fn)
    assert "'np'" not in str(info.value)


def _first_row(A):
    return A[0]


def view_from_a_helper(X):
    Y = X * 1.0
    r = _first_row(Y)
    Y[0, 1] = 9.0
    return np.sum(r * X[0])


def view_through_a_ternary(X, c):
    Y = X * 1.0
    r = Y[0] if c > 0 else Y[1]
    Y[0, 0] = 9.0
    return np.sum(r * X[0])


def rows_in_a_list(X):
    Y = X * 1.0
    rows = [Y[0], Y[1]]
    Y[0, 0] = 9.0
    return np.sum(rows[0] * X[0])


def transposed_row(X):
    Y = X * 1.0
    r = Y.T[0]
    Y[1, 0] = 9.0
    return np.sum(r * X[:, 0])


def chained_names(x):
    a = b = x * 1.0
    a[0] = 5.0
    return np.sum(b * x)


def loop_over_a_tuple_of_arrays(x, y):
    p, q = x * 2.0, x + y
    for a in (p, q):
        a += x
    return np.sum(p * q)


def closure_writes_outer_buffer(x):
    h = np.zeros(len(x) + 1)

    def step(t):
        h[t + 1] = np.tanh(h[t] + x[t])
        return 0.0

    for t in range(len(x)):
        step(t)
    return np.sum(h)


def row_three_back(X):
    Y = X * 1.0
    s = 0.0
    for t in range(3, Y.shape[0] + 3):
        r = Y[t - 3]  # the same row as Y[t] when t - 3 wraps around
        Y[t - 3] = Y[t - 3] * 2.0
        s = s + np.sum(r * X[0])
    return s


@pytest.mark.parametrize("fn, args", [
    (view_from_a_helper, (X,)), (view_through_a_ternary, (X, 1.0)), (rows_in_a_list, (X,)),
    (transposed_row, (X,)), (chained_names, (X[0],)),
    (loop_over_a_tuple_of_arrays, (X[0], X[1])), (closure_writes_outer_buffer, (X[0],)),
    (row_three_back, (X,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_more_aliases_from_the_third_review_are_refused(fn, args):
    with pytest.raises(symgrad.SymgradError):
        symgrad.grad(fn)


def previous_row_from_one(X):
    Y = X * 1.0
    s = 0.0
    for t in range(1, Y.shape[0]):
        r = Y[t - 1]  # t >= 1: row t - 1 is never row t
        Y[t] = Y[t] + r
        s = s + np.sum(r * r)
    return s + np.sum(Y * X)


def copy_idioms(x):
    h = x * 1.0  # a new array, even though SymPy's value is x itself
    a = h
    h = h + 1.0
    a += x
    z = np.reshape(h, (-1,)).flatten()
    z[0] = 5.0
    return np.sum(a * h) + np.sum(z)


def test_copies_and_disjoint_rows_stay_allowed():
    for fn, x in [(previous_row_from_one, X), (copy_idioms, X[0])]:
        G = symgrad.grad(fn)
        np.testing.assert_allclose(G(x), fn(x.copy()), rtol=1e-12)
        check_grads(G, x)


def swap_then_write(x, y):
    a = x * 1.0
    b = y * 1.0
    a, b = b, a  # two arrays trade names: still two arrays
    a[0] = 9.0
    return np.sum(a * b)


def other_slice_then_write(y):
    z = y * 1.0
    r = z[2:4]
    z[0] = 9.0  # not in z[2:4]
    return np.sum(r) * np.sum(z)


def test_swaps_and_elements_outside_a_view_stay_allowed():
    x, y = X[0], X[1] + 2.0
    for fn, args in [(swap_then_write, (x, y)), (other_slice_then_write, (np.arange(5.0),))]:
        G = symgrad.grad(fn)
        np.testing.assert_allclose(G(*args), fn(*[a.copy() for a in args]), rtol=1e-12)
        check_grads(G, *args)
