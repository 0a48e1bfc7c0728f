"""Scratch harness, round 3 (see probe_wave.py)."""

import numpy as np
import torch as T

import probe_wave as pw
from probe_wave import M, V, X, probe

pw.PROBES.clear()
F = T.float64
A = np.arange(12.0).reshape(3, 4)


def tt(a):
    return T.tensor(a, dtype=F)


def _t_overlap(x):
    y = x.clone()
    y = T.cat([y[:1], y[1:] - y[:-1]])
    return (y ** 2 * tt(np.arange(5.0))).sum()


@probe(V, torch_fn=_t_overlap)
def overlapping_isub(x):
    y = x.copy()
    y[1:] -= y[:-1]
    return np.sum(y ** 2 * np.arange(5.0))


@probe(V, torch_fn=None)
def overlapping_iadd_view(x):
    y = x.copy()
    z = y[1:]
    z += y[:-1]
    return np.sum(y ** 2 * np.arange(5.0))


@probe(V, torch_fn=None)
def view_alias_write(x):
    y = x.copy()
    v = y[:3]
    v *= 2.0
    return np.sum(y * np.arange(5.0)) + np.sum(v)


@probe(V, torch_fn=None)
def reshape_view_write(x):
    y = x.copy()[:4]
    r = y.reshape(2, 2)
    r[0, 0] = 10.0 * r[1, 1]
    return np.sum(y * np.arange(4.0))


@probe(X, torch_fn=None)
def column_setitem(x):
    y = np.zeros_like(x)
    y[:, 0] = x[:, 1] ** 2
    y[:, 1:] = x[:, :-1]
    return np.sum(y * A)


@probe(X, torch_fn=None)
def column_iadd(x):
    y = x.copy()
    y[:, 0] += x[:, 1] ** 2
    return np.sum(y * A)


@probe(X, torch_fn=None)
def mask_setitem_from_x(x):
    y = np.zeros_like(x)
    m = x > 0
    y[m] = x[m] * 2
    return np.sum(y * A)


@probe(X, torch_fn=None)
def mask_2d_columns(x):
    m = np.array([True, False, True, True])
    return np.sum(x[:, m] ** 2 * np.array([1.0, 2.0, 3.0]))


@probe(X, torch_fn=None)
def mask_then_int(x):
    m = np.array([True, False, True])
    return np.sum(x[m, 1] ** 3)


@probe(X, torch_fn=None)
def fancy_column_list(x):
    return np.sum(x[:, [0]] * x[:, [3]] * x[:, 1:2])


@probe(X, torch_fn=None)
def strided_2d(x):
    return np.sum(x[::2, 1::2] ** 2 * np.array([[1.0, 2.0], [3.0, 4.0]]))


@probe(X, torch_fn=None)
def diag_fancy(x):
    return np.sum(x[np.arange(3), np.arange(3)] ** 2)


@probe(V, torch_fn=None)
def fancy_2d_index(x):
    idx = np.array([[0, 1], [1, 4]])
    return np.sum(x[idx] ** 2 * np.array([[1.0, 2.0], [3.0, 4.0]]))


@probe(X, torch_fn=None)
def shape_division(x):
    return np.sum(x) / x.shape[0] + np.sum(x ** 2) / len(x) + np.sum(x ** 3) / x.size


@probe(X, torch_fn=None)
def cov(x):
    xc = x - x.mean(axis=0)
    c = xc.T @ xc / (x.shape[0] - 1)
    return np.sum(c * np.arange(16.0).reshape(4, 4))


@probe(V, torch_fn=None)
def ternary(x):
    s = np.sum(x)
    y = x ** 2 if s > 0 else x ** 3
    return np.sum(y)


@probe(V, torch_fn=None)
def chained_compare_where(x):
    return np.sum(np.where((-0.5 < x) & (x < 0.5), x ** 2, x))


@probe(V, torch_fn=None)
def lambda_inside(x):
    sq = lambda z: z ** 2  # noqa: E731
    return np.sum(sq(x) + sq(2 * x))


@probe(X, torch_fn=None)
def double_loop_index(x):
    tot = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            tot = tot + x[i, j] * (i + 1) * (j - 1)
    return tot


@probe(V, torch_fn=None)
def loop_over_arange(x):
    tot = 0.0
    for k in np.arange(3):
        tot = tot + np.sum(x ** k)
    return tot


@probe(V, torch_fn=None)
def kwonly_param(x, *, scale=2.0):
    return np.sum(x * scale)


@probe(V, torch_fn=None)
def clip_inf(x):
    return np.sum(np.clip(x, 0, np.inf) ** 2)


@probe(V, torch_fn=None)
def clip_min_kw(x):
    return np.sum(x.clip(min=0) ** 2)


@probe(V, torch_fn=None)
def float_inf_max(x):
    return np.sum(np.maximum(x, -np.inf)) + np.sum(np.minimum(x, float("inf")))


@probe(X, torch_fn=None)
def ellipsis_newaxis(x):
    return np.sum(x[..., None] * x[:, None, :])


@probe(X, torch_fn=None)
def last_rows(x):
    return np.sum(x[-1:] ** 2) + np.sum(x[1] ** 3)


@probe(V, torch_fn=None)
def pow_neg_base_frac(x):
    return np.sum(np.where(x > 0, x, 0) ** 0.5)


@probe(V, torch_fn=None)
def neg_base_frac_nan(x):
    return np.sum(np.nan_to_num(x ** 2.5))


@probe(X, torch_fn=None)
def np_all_any_guard(x):
    if np.all(x > -10) and np.any(x > 0):
        return np.sum(x ** 2)
    return np.sum(x)


@probe(X, torch_fn=None)
def reshape_then_mean(x):
    return np.sum(x.reshape(2, 6).mean(axis=1) ** 2)


@probe(X, torch_fn=None)
def reshape_tuple_shape(x):
    return np.sum(x.reshape((4, 3))[:, 0] ** 2) + np.sum(np.reshape(x, (2, -1))[1] ** 3)


@probe(X, torch_fn=None)
def flatten_sort(x):
    return np.sum(np.sort(x.flatten())[-3:])


@probe(X, torch_fn=None)
def argmax_rows(x):
    return np.sum(x[np.arange(3), np.argmax(x, axis=1)])


@probe(V, V[::-1].copy(), torch_fn=None)
def dot_two_args(a, b):
    return np.dot(a * 2, b) + a @ b


@probe(X, torch_fn=None)
def einsum_outer(x):
    return np.sum(np.einsum("i,j->ij", x[0], x[1]) ** 2)


@probe(X, torch_fn=None)
def einsum_sum_all(x):
    return np.einsum("ij->", x ** 2)


@probe(X, torch_fn=None)
def einsum_three(x):
    return np.einsum("ij,jk,ik->", x, x.T, x @ x.T)


@probe(X, torch_fn=None)
def einsum_repeated_operand(x):
    return np.einsum("ij,ij,ij->", x, x, x)


@probe(X, torch_fn=None)
def matmul_chain_T(x):
    return np.trace(x @ x.T @ x @ x.T)


@probe(M, torch_fn=None)
def matrix_power(m):
    return np.sum(np.linalg.matrix_power(m, 3))


@probe(M, torch_fn=None)
def matrix_power_neg(m):
    return np.sum(np.linalg.matrix_power(m + 4 * np.eye(4), -2))


@probe(V, torch_fn=None)
def cumsum_reverse(x):
    return np.sum(np.cumsum(x[::-1])[::-1] ** 2)


@probe(X, torch_fn=None)
def cumsum_neg_axis(x):
    return np.sum(np.cumsum(x, axis=-1) ** 2)


@probe(X, torch_fn=None)
def cumprod_axis1(x):
    return np.sum(np.cumprod(x, axis=1))


@probe(X, torch_fn=None)
def diff_prepend(x):
    return np.sum(np.diff(x, axis=1, prepend=0.0) ** 2)


@probe(X, torch_fn=None)
def diff_append(x):
    return np.sum(np.diff(x, append=x[:, :1]) ** 2)


@probe(V, torch_fn=None)
def kron_vec(x):
    return np.sum(np.kron(x, np.array([1.0, -1.0])) ** 2)


@probe(X, torch_fn=None)
def outer_2d_flattens(x):
    return np.sum(np.outer(x, x[0]) ** 2)


@probe(X, torch_fn=None)
def trace_axis(x):
    return np.trace(x[:, :3]) + np.trace(x[:, :3], offset=-1)


@probe(np.random.default_rng(2).normal(size=(2, 3, 3)), torch_fn=None)
def trace_3d(x):
    return np.sum(np.trace(x, axis1=1, axis2=2) ** 2)


@probe(X, torch_fn=None)
def norm_keepdims(x):
    return np.sum(x / np.linalg.norm(x, axis=-1, keepdims=True) * A)


@probe(X, torch_fn=None)
def norm_ord1_axis1(x):
    return np.sum(np.linalg.norm(x, ord=1, axis=1))


@probe(X, torch_fn=None)
def norm_inf_axis0(x):
    return np.sum(np.linalg.norm(x, ord=np.inf, axis=0))


@probe(X, torch_fn=None)
def norm_fro_matrix(x):
    return np.linalg.norm(x, "fro")


@probe(X, torch_fn=None)
def norm_nuc(x):
    return np.linalg.norm(x, "nuc")


@probe(X, torch_fn=None)
def norm_2_matrix(x):
    return np.linalg.norm(x, 2)


@probe(X, torch_fn=None)
def norm_ord_neg1_matrix(x):
    return np.linalg.norm(x, -1)


@probe(X, torch_fn=None)
def norm_ord_1_matrix(x):
    return np.linalg.norm(x, 1)


@probe(X, torch_fn=None)
def norm_ord_inf_matrix(x):
    return np.linalg.norm(x, np.inf)


@probe(V, torch_fn=None)
def norm_ord0(x):
    return np.linalg.norm(x, 0) * 0 + np.sum(x)


@probe(V, torch_fn=None)
def norm_ord_neg_inf(x):
    return np.linalg.norm(x, -np.inf)


@probe(V, torch_fn=None)
def norm_ord_half(x):
    return np.linalg.norm(x, 0.5)


@probe(X, torch_fn=None)
def mean_keepdims_tuple(x):
    return np.sum(x.mean(axis=(0, 1), keepdims=True) * x ** 2)


@probe(X, torch_fn=None)
def std_tuple_axis(x):
    return np.std(x, axis=(0, 1)) + np.var(x, axis=(1,), ddof=1).sum()


@probe(X, torch_fn=None)
def max_neg_axis_keepdims(x):
    return np.sum(np.max(x, axis=-1, keepdims=True) - x)


@probe(X, torch_fn=None)
def prod_keepdims(x):
    return np.sum(np.prod(x, axis=0, keepdims=True) * x)


@probe(np.array([[0.0, 1.0], [2.0, 0.0]]), torch_fn=None)
def prod_zeros_axis(x):
    return np.sum(np.prod(x + 0.0, axis=1) * np.array([1.0, 2.0])) + np.prod(x)


@probe(X, torch_fn=None)
def floordiv_mod_combo(x):
    q = x // 0.3
    r = x % 0.3
    return np.sum(q * 0.3 + r) + np.sum(np.floor_divide(x, 2.0)) + np.sum(np.remainder(x, -0.7))


@probe(X, torch_fn=None)
def mod_by_array(x):
    return np.sum(0.9 % (x ** 2 + 0.5))


@probe(X, torch_fn=None)
def divmod_builtin(x):
    q, r = divmod(x, 0.4)
    return np.sum(r) + np.sum(q)


@probe(X, torch_fn=None)
def int_exponent_negative_base_loop(x):
    y = x
    for _ in range(2):
        y = y ** 3
    return np.sum(y)


@probe(np.array([-1.5, -0.5, 0.5]), torch_fn=None)
def neg_base_int_float_exp(x):
    return np.sum(x ** 3.0) + np.sum(x ** -1.0) + np.sum(np.power(x, 2.0))


@probe(np.array([0.0, 0.5]), torch_fn=None, fd=False)
def zero_base_pow(x):
    return np.sum(x ** 2) + np.sum(x ** 1.5)


@probe(np.array(0.0), torch_fn=lambda x: x ** 2 + T.abs(x))
def zero_d_at_zero(x):
    return x ** 2 + np.abs(x)


@probe(np.array([]), torch_fn=None, fd=False)
def empty_mean(x):
    return np.sum(x * 2.0) + np.sum(np.exp(x))


@probe(np.zeros((0, 4)), np.ones(4), torch_fn=None, fd=False)
def empty_matmul(x, w):
    return np.sum((x @ w) ** 2) + np.sum(w)


@probe(np.zeros((3, 0)), torch_fn=None, fd=False)
def empty_cols_max_guarded(x):
    return np.sum(x, axis=1).sum() + np.sum(x ** 2)


if __name__ == "__main__":
    pw.run()
