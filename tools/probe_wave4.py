"""Scratch harness, round 4: aliasing, keyword arguments numpy has and symgrad might ignore."""

import numpy as np
import torch as T

import probe_wave as pw
from probe_wave import V, X, probe

pw.PROBES.clear()
F = T.float64


@probe(V)
def param_iadd(x):
    x += 1.0
    return np.sum(x ** 2)


@probe(V)
def alias_then_write(x):
    y = x
    y[0] = 0.0
    return np.sum(x * y)


@probe(V)
def slice_view_write(x):
    z = x.copy()
    y = z[:]
    y[1] = 3.0 * y[2]
    return np.sum(z * x)


@probe(V)
def asarray_alias_write(x):
    z = x.copy()
    y = np.asarray(z)
    y[1] = 3.0 * y[2]
    return np.sum(z * x)


@probe(V)
def transpose_alias_write(x):
    z = np.outer(x, x)
    y = z.T
    y[0, 1] = 7.0
    return np.sum(z * 2)


@probe(V)
def sum_where_kw(x):
    return np.sum(x ** 2, where=x > 0)


@probe(V)
def mean_where_kw(x):
    return np.mean(x ** 2, where=x > 0)


@probe(V)
def max_initial(x):
    return np.max(x, initial=0.0)


@probe(V)
def sum_dtype32(x):
    return np.sum(x ** 2, dtype=np.float32)


@probe(V)
def exp_out(x):
    y = np.zeros_like(x)
    np.exp(x, out=y)
    return np.sum(y)


@probe(V)
def exp_where(x):
    return np.sum(np.exp(x, where=x > 0))


@probe(V)
def add_out(x):
    y = np.empty_like(x)
    np.add(x, x ** 2, out=y)
    return np.sum(y)


@probe(V)
def clip_out_self(x):
    y = x.copy()
    np.clip(y, -0.5, 0.5, out=y)
    return np.sum(y ** 2)


@probe(V)
def round_decimals(x):
    return np.sum(np.round(x, 2)) + np.sum(x)


@probe(V)
def std_ddof_n(x):
    return np.std(x, ddof=2)


@probe(V)
def int_array_exponent(x):
    return np.sum(x[:3] ** np.arange(3))


@probe(V)
def int_base_power(x):
    return np.sum(np.power(2, x))


@probe(V)
def astype_mask_times(x):
    return np.sum((x > 0).astype(float) * x)


@probe(V, fd=False)
def astype_down(x):
    return np.sum(x.astype(np.float32) ** 2)


@probe(V)
def float32_scalar_times(x):
    return np.sum(np.float32(2.0) * x)


@probe(V)
def item_scalar(x):
    return np.sum(x ** 2).item() * 1.0 + np.sum(x)


@probe(V)
def float_of_sum(x):
    return float(np.sum(x ** 2)) * 2


@probe(V)
def string_mode(x, mode="mean"):
    if mode == "sum":
        return np.sum(x ** 2)
    return np.mean(x ** 2)


@probe(X)
def sum_then_none(x):
    return np.sum(x.sum(axis=0)[None] * np.ones((2, 4)))


@probe(X, X[::-1].copy())
def concat_axis_none(x, y):
    return np.sum(np.concatenate([x, y], axis=None) * np.arange(24.0))


@probe(V)
def stack_scalars(x):
    return np.sum(np.stack([x[0], x[1] * 2]) ** 2)


@probe(V)
def array_of_scalars(x):
    return np.sum(np.array([x[0], 2 * x[1]]) ** 3)


@probe(V)
def nested_array(x):
    m = np.array([[x[0], x[1]], [x[2], x[3]]])
    return np.sum(m @ m)


@probe(X)
def bool_list_index(x):
    return np.sum(x[[True, False, True]] ** 2)


@probe(V, fd=False)
def empty_fancy(x):
    return np.sum(x[np.array([], dtype=int)]) + np.sum(x)


@probe(X)
def ellipsis_reverse(x):
    return np.sum(x[..., ::-1] * np.arange(12.0).reshape(3, 4))


@probe(V)
def step_slice(x):
    return np.sum(x[1:-1:2] ** 2)


@probe(V)
def where_one_arg(x):
    return np.sum(x[np.where(x > 0)] ** 2)


@probe(V)
def nonzero_index(x):
    return np.sum(x[np.nonzero(x > 0)] ** 2)


@probe(V)
def argmax_method(x):
    return x[x.argmax()] * 3 + x[x.argmin()]


@probe(X)
def linalg_norm_keepdims_none(x):
    return np.sum(x / np.linalg.norm(x, keepdims=True))


@probe(X)
def sum_keepdims_method(x):
    return np.sum(x * x.sum(keepdims=True))


@probe(V)
def arange_len(x):
    return np.sum(np.arange(len(x)) * x ** 2)


@probe(V)
def cond_size(x):
    return x.mean() if x.size else 0.0


@probe(V)
def sign_sqrt_abs(x):
    return np.sum(np.sign(x) * np.sqrt(np.abs(x)))


@probe(X, fd=False)
def pairwise_self_distance(x):
    d = x[:, None, :] - x[None, :, :]
    return np.sum(np.sqrt(np.sum(d ** 2, axis=-1) + 1e-12))


@probe(V)
def mean_dtype(x):
    return np.mean(x, dtype=np.float64) * 2


@probe(V)
def cumsum_dtype(x):
    return np.sum(np.cumsum(x, dtype=np.float64) ** 2)


@probe(V)
def zeros_then_fill_loop(x):
    y = np.zeros(5)
    for i in range(5):
        y[i] = x[i] * x[(i + 1) % 5]
    return np.sum(y ** 2)


@probe(V)
def running_max(x):
    best = x[0]
    for i in range(1, 5):
        best = np.maximum(best, x[i])
    return best


@probe(V)
def running_argmax_loop(x):
    best = x[0]
    for i in range(1, 5):
        if x[i] > best:
            best = x[i]
    return best * 2


@probe(V)
def early_return_in_loop(x):
    for i in range(5):
        if x[i] > 0.5:
            return x[i] ** 2
    return np.sum(x)


@probe(V)
def while_true_break(x):
    y = x
    k = 0
    while True:
        y = np.sin(y)
        k += 1
        if k >= 3:
            break
    return np.sum(y)


@probe(V)
def nested_def_default_capture(x):
    def inner(z, k=2.0):
        return z * k
    return np.sum(inner(x) + inner(x, 3.0))


@probe(V)
def global_call_kw(x):
    return np.sum(_scaled(x, scale=4.0))


def _scaled(z, scale=1.0, shift=0.0):
    return z * scale + shift


@probe(V)
def recursive_helper(x):
    return _rec(x, 3)


def _rec(z, n):
    if n == 0:
        return np.sum(z)
    return _rec(np.sin(z), n - 1)


@probe(V)
def tuple_swap(x):
    a, b = x[0], x[1]
    a, b = b, a * 2
    return a * b + a


@probe(V)
def starred_unpack(x):
    first, *rest = x
    return first * 2 + np.sum(np.array(rest))


@probe(V)
def dict_of_arrays(x):
    d = {"a": x ** 2, "b": np.sin(x)}
    return np.sum(d["a"]) + np.sum(d["b"])


@probe(V)
def list_index_neg(x):
    ys = [x, x ** 2, x ** 3]
    return np.sum(ys[-1]) + np.sum(ys[0])


@probe(V)
def walrus(x):
    if (s := np.sum(x ** 2)) > 0:
        return s * 2
    return s


@probe(V)
def aug_pow(x):
    y = x.copy()
    y **= 2
    return np.sum(y)


@probe(V)
def aug_matmul(x):
    y = np.outer(x, x)
    y @= np.eye(5) * 2
    return np.sum(y)


@probe(V)
def aug_floordiv_mod(x):
    y = x * 3
    y %= 1.0
    z = x * 3
    z //= 1.0
    return np.sum(y) + np.sum(z)


@probe(V)
def neg_zero_pow(x):
    return np.sum(np.abs(x) ** 0.0)


@probe(V)
def mixed_int_div(x):
    return np.sum(x / 2) + np.sum(x // 1) + np.sum(1 / (x ** 2 + 1))


@probe(V)
def true_divide_ints(x):
    n = 3
    return np.sum(x * (n / 2))


@probe(V)
def minus_zero(x):
    return np.sum(np.maximum(x, -0.0))


if __name__ == "__main__":
    pw.run()
