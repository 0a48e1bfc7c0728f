"""Scratch harness, round 2 (see probe_wave.py)."""

import math
import sys

import numpy as np
import scipy.special
import torch as T

sys.argv = sys.argv
import probe_wave as pw  # noqa: E402
from probe_wave import M, V, X, probe  # noqa: E402

pw.PROBES.clear()
F = T.float64


def tt(a):
    return T.tensor(a, dtype=F)


def _t_fancy_iadd(x):
    y = T.zeros(3, dtype=F)
    y[[0, 0, 2]] += x[:3]  # torch: also buffered (index_put without accumulate)
    return (y ** 2 * tt([1.0, 2.0, 3.0])).sum()


@probe(V, torch_fn=_t_fancy_iadd)
def fancy_iadd_repeats(x):
    y = np.zeros(3)
    y[[0, 0, 2]] += x[:3]
    return np.sum(y ** 2 * np.array([1.0, 2.0, 3.0]))


def _t_fancy_set_repeats(x):
    y = T.zeros(3, dtype=F)
    y = y.index_put((T.tensor([0, 0, 2]),), x[:3])
    return (y * tt([1.0, 2.0, 3.0])).sum()


@probe(V, torch_fn=None)
def fancy_set_repeats(x):
    y = np.zeros(3)
    y[[0, 0, 2]] = x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


@probe(V, torch_fn=lambda x: (x[1:4] * 2).sum() + (x ** 2).sum() - (x[1:4] ** 2).sum())
def slice_iadd_in_loop(x):
    y = x.copy()
    for i in range(1, 4):
        y[i] = y[i] * 2
    return np.sum(y * x) - np.sum(x[1:4] ** 2) + np.sum(x[1:4] * 2) - np.sum(y[1:4] * x[1:4]) \
        + np.sum(x[1:4] ** 2)


@probe(X, torch_fn=lambda x: x.sum(0).pow(2).sum())
def positional_axis(x):
    return np.sum(np.sum(x, 0) ** 2)


@probe(X, torch_fn=lambda x: x.mean(0).pow(2).sum())
def positional_axis_method(x):
    return (x.mean(0) ** 2).sum()


@probe(X, torch_fn=lambda x: T.linalg.norm(x, 2, 1).sum())
def norm_positional(x):
    return np.linalg.norm(x, 2, 1).sum()


@probe(V, torch_fn=lambda x: T.abs(x).sum())
def builtin_abs(x):
    return sum(abs(x))


@probe(V, torch_fn=lambda x: T.maximum(x[0], x[1]) + T.minimum(x[2], x[3]))
def builtin_max_min(x):
    return max(x[0], x[1]) + min(x[2], x[3])


@probe(V, torch_fn=lambda x: T.exp(x[0]) + T.log(x[1] ** 2))
def math_funcs(x):
    return math.exp(x[0]) + math.log(x[1] ** 2)


@probe(V, torch_fn=lambda x: x @ x)
def vec_matmul_self(x):
    return x @ x


@probe(X, V[:4], torch_fn=lambda x, w: (x.matmul(w) ** 2).sum())
def dot_method(x, w):
    return np.sum(x.dot(w) ** 2)


@probe(X, torch_fn=lambda x: (x.unsqueeze(-1) * x.unsqueeze(-2)).sum() * 0 +
       (x.unsqueeze(-1) ** 2).sum())
def expand_dims_neg(x):
    return np.sum(np.expand_dims(x, -1) ** 2)


@probe(X[:1], torch_fn=lambda x: (x.squeeze(0) * tt(np.arange(4.0))).sum())
def squeeze(x):
    return np.sum(np.squeeze(x, 0) * np.arange(4.0))


@probe(np.array([3.0, 1.0, 3.0, 2.0]), torch_fn=lambda x: (T.sort(x).values *
                                                          tt([1.0, 2.0, 3.0, 4.0])).sum())
def sort_ties(x):
    return np.sum(np.sort(x) * np.array([1.0, 2.0, 3.0, 4.0]))


@probe(V, torch_fn=lambda x: T.median(x) * 2)
def median_odd(x):
    return np.median(x) * 2


@probe(V[:4], torch_fn=lambda x: T.quantile(x, 0.5) * 2)
def median_even(x):
    return np.median(x) * 2


@probe(V, torch_fn=lambda x: T.sinc(x).sum())
def sinc(x):
    return np.sum(np.sinc(x))


@probe(np.array([0.0, 0.5]), torch_fn=lambda x: T.sinc(x).sum())
def sinc_zero(x):
    return np.sum(np.sinc(x))


@probe(np.array([-1.0, 0.0, 2.0]), torch_fn=lambda x: (x / (x ** 2 + 1)).sum())
def rational(x):
    return np.sum(x / (x ** 2 + 1))


@probe(np.array([1.0, 1.0, 1.0]), torch_fn=lambda x: T.std(x, correction=0), fd=False)
def std_constant(x):
    return np.std(x)


@probe(M + 3 * np.eye(4), torch_fn=lambda m: T.linalg.det(m))
def det(m):
    return np.linalg.det(m)


@probe(X, torch_fn=lambda x: (T.triu(x, 1) ** 2).sum())
def triu_k(x):
    return np.sum(np.triu(x, 1) ** 2)


@probe(V, torch_fn=lambda x: (T.diag(x) @ tt(np.arange(25.0).reshape(5, 5))).sum())
def diag_build(x):
    return np.sum(np.diag(x) @ np.arange(25.0).reshape(5, 5))


@probe(M, torch_fn=lambda m: (T.diag(m) ** 2).sum())
def diag_extract(m):
    return np.sum(np.diag(m) ** 2)


@probe(M, torch_fn=lambda m: (T.diagonal(m, -1) ** 2).sum())
def diagonal_neg(m):
    return np.sum(np.diagonal(m, -1) ** 2)


@probe(np.random.default_rng(1).normal(size=(2, 3, 4)),
       torch_fn=lambda x: (x.transpose(0, 2) * tt(np.arange(24.0).reshape(4, 3, 2))).sum())
def swapaxes(x):
    return np.sum(np.swapaxes(x, 0, 2) * np.arange(24.0).reshape(4, 3, 2))


@probe(np.random.default_rng(1).normal(size=(2, 3, 4)),
       torch_fn=lambda x: (T.movedim(x, 0, -1) * tt(np.arange(24.0).reshape(3, 4, 2))).sum())
def moveaxis(x):
    return np.sum(np.moveaxis(x, 0, -1) * np.arange(24.0).reshape(3, 4, 2))


@probe(V[:4], torch_fn=lambda x: (x[:2] * x[2:] ** 2).sum())
def split(x):
    a, b = np.split(x, 2)
    return np.sum(a * b ** 2)


@probe(X, torch_fn=lambda x: (T.hstack([x, x ** 2]) * tt(np.arange(24.0).reshape(3, 8))).sum())
def hstack(x):
    return np.sum(np.hstack([x, x ** 2]) * np.arange(24.0).reshape(3, 8))


@probe(V, torch_fn=lambda x: (T.vstack([x, 2 * x]) ** 3).sum())
def vstack_1d(x):
    return np.sum(np.vstack([x, 2 * x]) ** 3)


@probe(V, torch_fn=lambda x: (x[[4, 0, 0]] * tt([1.0, 2.0, 3.0])).sum())
def np_take(x):
    return np.sum(np.take(x, [4, 0, 0]) * np.array([1.0, 2.0, 3.0]))


@probe(X, torch_fn=lambda x: T.take_along_dim(x, T.tensor([[0], [3], [3]]), 1).pow(2).sum())
def take_along_axis(x):
    return np.sum(np.take_along_axis(x, np.array([[0], [3], [3]]), axis=1) ** 2)


@probe(X, torch_fn=lambda x: T.take_along_dim(x, T.argmax(x, 1, keepdim=True), 1).sum())
def take_along_argmax(x):
    return np.sum(np.take_along_axis(x, np.argmax(x, axis=1)[:, None], axis=1))


@probe(V, torch_fn=lambda x: T.where(x > 0.5, x, T.where(x < -0.5, -x, x ** 2)).sum())
def np_select(x):
    return np.sum(np.select([x > 0.5, x < -0.5], [x, -x], x ** 2))


@probe(V, torch_fn=lambda x: (3 * x ** 2 + 2 * x + 1).sum())
def polyval(x):
    return np.sum(np.polyval([3.0, 2.0, 1.0], x))


@probe(V, torch_fn=None)
def convolve(x):
    return np.sum(np.convolve(x, np.array([1.0, -2.0, 0.5])) ** 2)


@probe(X, torch_fn=lambda x: (x + T.zeros_like(x)).pow(2).sum())
def zeros_like_plus(x):
    return np.sum((np.zeros_like(x) + x) ** 2)


@probe(X, torch_fn=lambda x: (T.ones(x.shape, dtype=F) * x).pow(2).sum())
def ones_shape(x):
    return np.sum((np.ones(x.shape) * x) ** 2)


@probe(M, torch_fn=lambda m: (T.eye(4, dtype=F) * m).sum() * 3)
def eye_times(m):
    return np.sum(np.eye(m.shape[0]) * m) * 3


@probe(V, torch_fn=lambda x: T.nan_to_num(T.log(x)).sum(), fd=False)
def nan_to_num_log(x):
    return np.sum(np.nan_to_num(np.log(x)))


@probe(V, torch_fn=lambda x: T.round(x).sum() * 0 + x.sum())
def round_plus(x):
    return np.sum(np.round(x)) * 0 + np.sum(x)


@probe(V, torch_fn=lambda x: T.heaviside(x, tt(0.5)).sum() * 0 + (x ** 2).sum())
def heaviside(x):
    return np.sum(np.heaviside(x, 0.5)) + np.sum(x ** 2)


@probe(V, torch_fn=lambda x: (np.float64(2.0) * x).sum())
def np_float_scalar(x):
    return np.sum(np.float64(2.0) * x)


@probe(V, torch_fn=lambda x: (x * T.linspace(0, 1, 5, dtype=F)).sum())
def linspace(x):
    return np.sum(x * np.linspace(0, 1, 5))


@probe(V, torch_fn=lambda x: (x * T.full_like(x, 3.0)).sum())
def full_like(x):
    return np.sum(x * np.full_like(x, 3.0))


@probe(V, torch_fn=lambda x: T.logsumexp(x, 0))
def scipy_logsumexp(x):
    return scipy.special.logsumexp(x)


@probe(X, torch_fn=lambda x: T.softmax(x, 1)[:, 0].sum())
def scipy_softmax(x):
    return scipy.special.softmax(x, axis=1)[:, 0].sum()


@probe(V, torch_fn=lambda x: T.sigmoid(x).sum())
def scipy_expit(x):
    return scipy.special.expit(x).sum()


@probe(V, torch_fn=lambda x: (x ** 2).sum())
def tuple_return_first(x):
    return np.sum(x ** 2), np.sum(x)


@probe(X, torch_fn=lambda x: T.where(x.sum(1, keepdim=True) > 0, x, -x).sum())
def where_keepdims_mask(x):
    return np.where(x.sum(axis=1, keepdims=True) > 0, x, -x).sum()


def _t_while_data(x):
    y = x.clone()
    n = 0
    while T.sum(y ** 2) > 0.1 and n < 50:
        y = y * 0.5
        n += 1
    return y.sum()


@probe(V, torch_fn=_t_while_data)
def while_data_dependent(x):
    y = x
    n = 0
    while np.sum(y ** 2) > 0.1 and n < 50:
        y = y * 0.5
        n += 1
    return np.sum(y)


def _t_newton(a):
    x = T.ones_like(a)
    for _ in range(20):
        x = 0.5 * (x + a / x)
    return x.sum()


@probe(np.array([2.0, 3.0, 0.5]), torch_fn=_t_newton)
def newton_sqrt(a):
    x = np.ones_like(a)
    for _ in range(20):
        x = 0.5 * (x + a / x)
    return np.sum(x)


def _t_cond_continue(x):
    tot = T.zeros((), dtype=F)
    for i in range(5):
        if i % 2 == 0:
            continue
        tot = tot + x[i] ** 2
    return tot


@probe(V, torch_fn=_t_cond_continue)
def loop_continue(x):
    tot = 0.0
    for i in range(5):
        if i % 2 == 0:
            continue
        tot = tot + x[i] ** 2
    return tot


@probe(V, torch_fn=lambda x: (x * x[0]).sum())
def loop_append_stack(x):
    out = []
    for i in range(5):
        out.append(x[i] * x[0])
    return np.sum(np.array(out))


@probe(V, torch_fn=lambda x: (x * x[0]).sum())
def loop_append_stack_np(x):
    out = []
    for i in range(5):
        out.append(x[i] * x[0])
    return np.sum(np.stack(out))


@probe(V, torch_fn=lambda x: (x ** 2).sum())
def list_comprehension(x):
    return sum([x[i] ** 2 for i in range(len(x))])


@probe(np.array(1.3), torch_fn=lambda x: x ** 3 - x)
def zero_d_poly(x):
    return x ** 3 - x


@probe(np.array([[0.5]]), torch_fn=lambda x: (x @ x).sum())
def one_by_one(x):
    return np.sum(x @ x)


@probe(np.float64(0.7), torch_fn=lambda x: T.sin(x) * x)
def np_float64_arg(x):
    return np.sin(x) * x


@probe(X.astype(np.float32), torch_fn=lambda x: T.tanh(x).sum(), fd=False)
def float32_tanh(x):
    return np.sum(np.tanh(x))


@probe(X.astype(np.float32), V[:4].astype(np.float32),
       torch_fn=lambda x, w: ((x @ w) ** 2).sum(), fd=False)
def float32_matvec(x, w):
    return np.sum((x @ w) ** 2)


@probe(X, 2, torch_fn=lambda x, n: (x ** 2).sum())
def int_param_pow(x, n):
    return np.sum(x ** n)


@probe(X, 3, torch_fn=lambda x, k: (x[:, :3] ** 2).sum())
def int_param_slice(x, k):
    return np.sum(x[:, :k] ** 2)


@probe(np.array([-2.0, 3.0]), torch_fn=lambda x: ((x ** 2) ** 0.5).sum(), fd=True)
def sqrt_of_square(x):
    return np.sum((x ** 2) ** 0.5)


@probe(np.array([-2.0, 3.0]), torch_fn=lambda x: T.log(T.exp(x)).sum())
def log_exp(x):
    return np.sum(np.log(np.exp(x)))


@probe(np.array([-2.0, 3.0]), torch_fn=lambda x: T.exp(T.log(x ** 2) / 2).sum())
def exp_log_half(x):
    return np.sum(np.exp(np.log(x ** 2) / 2))


@probe(np.array([-2.0, 3.0]), torch_fn=lambda x: (T.sqrt(x ** 2) ** 3).sum())
def sqrt_sq_cube(x):
    return np.sum(np.sqrt(x ** 2) ** 3)


@probe(np.array([-2.0, 3.0]), torch_fn=lambda x: (x / T.abs(x)).sum() * 0 + (T.abs(x) * x).sum())
def abs_times_x(x):
    return np.sum(np.abs(x) * x)


@probe(np.array([-8.0, 8.0]), torch_fn=lambda x: (T.sign(x) * T.abs(x) ** (1 / 3)).sum())
def signed_cuberoot(x):
    return np.sum(np.sign(x) * np.abs(x) ** (1 / 3))


@probe(np.array([0.3, 0.6]), torch_fn=lambda x: T.arcsin(x).sum() + T.arccos(x).sum() +
       T.arctanh(x).sum() + T.arcsinh(x).sum())
def inverse_trig(x):
    return np.sum(np.arcsin(x)) + np.sum(np.arccos(x)) + np.sum(np.arctanh(x)) + \
        np.sum(np.arcsinh(x))


@probe(np.array([1.3, 1.6]), torch_fn=lambda x: T.arccosh(x).sum() + T.log2(x).sum() +
       T.log10(x).sum() + T.exp2(x).sum())
def more_funcs(x):
    return np.sum(np.arccosh(x)) + np.sum(np.log2(x)) + np.sum(np.log10(x)) + np.sum(np.exp2(x))


@probe(X, torch_fn=lambda x: (x - x.mean(1, keepdim=True)).div(x.std(1, keepdim=True, correction=0) + 1e-6)
       .pow(2).mul(tt(np.arange(12.0).reshape(3, 4))).sum())
def layernorm(x):
    mu = x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    return np.sum(((x - mu) / (sd + 1e-6)) ** 2 * np.arange(12.0).reshape(3, 4))


@probe(X, torch_fn=lambda x: (x.var(1, correction=0) * tt([1.0, 2.0, 3.0])).sum())
def var_method(x):
    return np.sum(x.var(axis=1) * np.array([1.0, 2.0, 3.0]))


@probe(X, torch_fn=lambda x: x.max() - x.min())
def ptp(x):
    return np.ptp(x)


@probe(X, torch_fn=lambda x: x.abs().sum(1).max())
def max_of_row_l1(x):
    return np.max(np.sum(np.abs(x), axis=1))


@probe(V, torch_fn=lambda x: T.maximum(x, tt(0.1) * x).sum())
def leaky_relu(x):
    return np.sum(np.maximum(x, 0.1 * x))


@probe(V, torch_fn=lambda x: T.where(x > 0, x, T.exp(x) - 1).sum())
def elu(x):
    return np.sum(np.where(x > 0, x, np.exp(x) - 1))


@probe(V, torch_fn=lambda x: T.nn.functional.gelu(x, approximate="tanh").sum())
def gelu_tanh(x):
    return np.sum(0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))))


@probe(V, torch_fn=lambda x: T.nn.functional.gelu(x).sum())
def gelu_erf(x):
    return np.sum(0.5 * x * (1 + scipy.special.erf(x / np.sqrt(2))))


if __name__ == "__main__":
    pw.run()
