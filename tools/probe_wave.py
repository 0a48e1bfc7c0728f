"""Scratch harness: adversarial probes of realistic numpy code (run, triage, then move to tests)."""

import ast
import sys
import time
import traceback

import numpy as np
import torch

sys.path.insert(0, "tests")
from gradutil import numeric_grad  # noqa: E402

import symgrad  # noqa: E402

rng = np.random.default_rng(123)
X = rng.normal(size=(3, 4))
V = rng.normal(size=5)
M = rng.normal(size=(4, 4))
T = torch

PROBES = []
TIMES = {}


def probe(*args, wrt=None, torch_fn=None, fd=True):
    def deco(f):
        PROBES.append((f, args, wrt, torch_fn, fd))
        return f
    return deco


# ------------------------------------------------------------------ softmax / logsumexp
@probe(X, torch_fn=lambda x: T.logsumexp(x, 1).sum())
def lse_stable(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(x - m), axis=1)) + m[:, 0])


@probe(X, torch_fn=lambda x: (T.softmax(x, 1) * T.arange(4.0, dtype=T.float64)).sum())
def softmax_stable(x):
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    return np.sum(p * np.arange(4.0))


@probe(np.array([[1.0, 1.0, 0.5], [2.0, 2.0, 2.0]]),
       torch_fn=lambda x: T.logsumexp(x, 1).sum())
def lse_stable_ties(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1)))


@probe(X, torch_fn=lambda x: T.log_softmax(x, -1)[:, 1].sum())
def log_softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    lp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return lp[:, 1].sum()


@probe(V, torch_fn=lambda v: T.logsumexp(v, 0))
def lse_vector_no_axis(v):
    c = v.max()
    return c + np.log(np.exp(v - c).sum())


# ------------------------------------------------------------------ clip / abs / max ties
@probe(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0]),
       torch_fn=lambda x: (T.clamp(x, -1.0, 1.0) ** 2).sum(), fd=False)
def clip_at_bounds(x):
    return np.sum(np.clip(x, -1.0, 1.0) ** 2)


@probe(np.array([-1.0, 0.0, 2.0]), torch_fn=lambda x: (T.abs(x) * 3).sum(), fd=False)
def abs_at_zero(x):
    return np.sum(np.abs(x) * 3)


@probe(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0]),
       torch_fn=lambda a, b: T.maximum(a, b).sum(), fd=False)
def maximum_ties(a, b):
    return np.sum(np.maximum(a, b))


@probe(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0]),
       torch_fn=lambda a, b: T.minimum(a, b).sum(), fd=False)
def minimum_ties(a, b):
    return np.sum(np.minimum(a, b))


@probe(np.array([-1.0, 0.0, 2.0]), torch_fn=lambda x: T.relu(x).sum(), fd=False)
def relu_maximum_zero(x):
    return np.maximum(x, 0).sum()


@probe(np.array([-1.0, 0.5, 2.0]), torch_fn=lambda x: T.clamp(x, min=0.0).sum())
def clip_lower_none(x):
    return np.clip(x, 0.0, None).sum()


@probe(np.array([-1.0, 0.5, 2.0]), torch_fn=lambda x: T.clamp(x, max=1.0).sum())
def clip_upper_none(x):
    return np.clip(x, None, 1.0).sum()


@probe(np.array([-1.0, 0.5, 2.0]), np.array([0.0, 0.0, 1.0]), np.array([0.2, 1.0, 1.5]),
       torch_fn=lambda x, lo, hi: T.clamp(x, lo, hi).sum())
def clip_array_bounds(x, lo, hi):
    return np.clip(x, lo, hi).sum()


@probe(np.array([-1.0, 0.5, 2.0]), torch_fn=lambda x: x.clamp(-0.5, 0.9).sum())
def clip_method(x):
    return x.clip(-0.5, 0.9).sum()


@probe(X, torch_fn=lambda x: T.amax(x, 0).sum())
def max_axis0(x):
    return np.max(x, axis=0).sum()


@probe(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),
       torch_fn=lambda x: T.amax(x, 1).sum(), fd=False)
def max_ties_axis(x):
    return np.max(x, axis=1).sum()


@probe(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]), torch_fn=lambda x: T.amin(x).sum(),
       fd=False)
def min_ties_all(x):
    return np.min(x) * 2.0 + x.min() * 0.0 + np.amin(x) - np.min(x) * 2.0


# ------------------------------------------------------------------ where / masks
@probe(X, np.array([True, False, True, False]),
       torch_fn=lambda x, m: T.where(m, x ** 2, -x).sum())
def where_broadcast_mask(x, m):
    return np.where(m, x ** 2, -x).sum()


@probe(X, torch_fn=lambda x: T.where(x > 0, T.log1p(x), x).sum())
def where_log_guard(x):
    return np.sum(np.where(x > 0, np.log1p(np.abs(x)), x))


@probe(X, V[:4], torch_fn=lambda x, v: T.where(x > v, x, v).sum())
def where_broadcast_both(x, v):
    return np.where(x > v, x, v).sum()


@probe(X, torch_fn=lambda x: (x * (x > 0)).sum())
def mask_multiply(x):
    return np.sum(x * (x > 0))


@probe(X, torch_fn=lambda x: (x[x > 0] ** 2).sum())
def boolean_mask_index(x):
    return np.sum(x[x > 0] ** 2)


@probe(X, torch_fn=lambda x: x[x[:, 0] > 0].sum())
def boolean_row_mask(x):
    return x[x[:, 0] > 0].sum()


@probe(X, torch_fn=lambda x: T.where(x > 0, 1.0, 0.0).sum() * 0 + x.sum())
def where_constant_branches(x):
    return np.where(x > 0, 1.0, 0.0).sum() * 0 + x.sum()


@probe(X, torch_fn=lambda x: T.where(T.abs(x) < 0.5, 0.5 * x ** 2, T.abs(x) - 0.125).sum())
def huber(x):
    a = np.abs(x)
    return np.sum(np.where(a < 0.5, 0.5 * x ** 2, a - 0.125))


# ------------------------------------------------------------------ powers
@probe(np.array([-2.0, -0.5, 1.5]), torch_fn=lambda x: (x ** 3).sum())
def int_pow_negative_base(x):
    return np.sum(x ** 3)


@probe(np.array([-2.0, -0.5, 1.5]), torch_fn=lambda x: (x ** -2).sum())
def neg_int_pow(x):
    return np.sum(x ** -2)


@probe(np.array([-2.0, -0.5, 1.5]), torch_fn=lambda x: (x ** 2.0).sum())
def float_two_pow(x):
    return np.sum(x ** 2.0)


@probe(np.array([0.0, 1.0, 4.0]), torch_fn=lambda x: (x ** 0.5).sum(), fd=False)
def sqrt_pow_at_zero(x):
    return np.sum(x ** 0.5)


@probe(np.array([0.0, 1.0, 4.0]), torch_fn=lambda x: T.sqrt(x).sum(), fd=False)
def sqrt_at_zero(x):
    return np.sum(np.sqrt(x))


@probe(np.array([-2.0, 0.0, 1.5]), torch_fn=lambda x: (x ** 0).sum() + x.sum())
def pow_zero(x):
    return np.sum(x ** 0) + np.sum(x)


@probe(np.array([-2.0, 0.0, 1.5]), torch_fn=lambda x: (x ** 1).sum())
def pow_one(x):
    return np.sum(x ** 1)


@probe(np.array([0.5, 1.0, 1.5]), np.array([2.0, -1.0, 0.5]),
       torch_fn=lambda x, p: (x ** p).sum())
def pow_array_exponent(x, p):
    return np.sum(x ** p)


@probe(np.array([-2.0, 0.0, 1.5]), torch_fn=lambda x: T.square(x).sum())
def np_square(x):
    return np.square(x).sum()


@probe(np.array([-2.0, 0.5, 1.5]), torch_fn=lambda x: (x ** 2 * x ** -1).sum())
def pow_cancel(x):
    return np.sum(x ** 2 * x ** -1)


@probe(np.array([-2.0, -0.5, 1.5]), torch_fn=lambda x: T.pow(x, 4).sum())
def np_power(x):
    return np.power(x, 4).sum()


@probe(np.array([0.5, 1.5]), torch_fn=lambda x: (2.0 ** x).sum())
def const_base_pow(x):
    return np.sum(2.0 ** x)


@probe(np.array([0.5, 1.5]), torch_fn=lambda x: ((-x) ** 2).sum())
def neg_then_square(x):
    return np.sum((-x) ** 2)


@probe(np.array([-8.0, 1.0, 27.0]), torch_fn=None, fd=True)
def cbrt(x):
    return np.sum(np.cbrt(x))


# ------------------------------------------------------------------ floor-div / mod
@probe(np.array([0.7, 2.3, -1.6]), torch_fn=lambda x: T.remainder(x, 1.0).sum())
def float_mod(x):
    return np.sum(x % 1.0)


@probe(np.array([0.7, 2.3, -1.6]), torch_fn=lambda x: (x - T.floor(x / 0.5) * 0.5).sum())
def float_floordiv(x):
    return np.sum(x - (x // 0.5) * 0.5)


@probe(np.array([0.7, 2.3, -1.6]), np.array([0.4, 1.1, 0.9]),
       torch_fn=lambda x, y: T.remainder(x, y).sum())
def mod_both(x, y):
    return np.sum(np.mod(x, y))


@probe(np.array([0.7, 2.3, -1.6]), np.array([0.4, 1.1, 0.9]),
       torch_fn=lambda x, y: T.fmod(x, y).sum())
def np_fmod(x, y):
    return np.sum(np.fmod(x, y))


@probe(np.array([0.7, 2.3, -1.6]), torch_fn=lambda x: (T.floor(x) + x).sum())
def floor_plus(x):
    return np.sum(np.floor(x) + x)


# ------------------------------------------------------------------ norms
@probe(X, torch_fn=lambda x: T.linalg.norm(x, dim=1).sum())
def norm_axis1(x):
    return np.linalg.norm(x, axis=1).sum()


@probe(X, torch_fn=lambda x: (x / T.linalg.norm(x, dim=1, keepdim=True)).sum())
def normalize_rows(x):
    return np.sum(x / np.linalg.norm(x, axis=1, keepdims=True))


@probe(X, torch_fn=lambda x: T.linalg.norm(x))
def norm_fro(x):
    return np.linalg.norm(x)


@probe(V, torch_fn=lambda v: T.linalg.norm(v, 1))
def norm_l1(v):
    return np.linalg.norm(v, 1)


@probe(V, torch_fn=lambda v: T.linalg.norm(v, float("inf")))
def norm_inf(v):
    return np.linalg.norm(v, np.inf)


@probe(X, torch_fn=lambda x: T.linalg.norm(x, ord=3, dim=0).sum())
def norm_ord3_axis0(x):
    return np.linalg.norm(x, ord=3, axis=0).sum()


@probe(np.zeros(3), torch_fn=lambda v: T.linalg.norm(v), fd=False)
def norm_at_zero(v):
    return np.linalg.norm(v)


@probe(X, torch_fn=lambda x: T.linalg.norm(x, dim=(0, 1)))
def norm_tuple_axis(x):
    return np.linalg.norm(x, axis=(0, 1))


# ------------------------------------------------------------------ indexing
@probe(V, torch_fn=lambda v: (v[[0, 0, 2, 4, 2]] ** 2).sum())
def fancy_repeats(v):
    return np.sum(v[[0, 0, 2, 4, 2]] ** 2)


@probe(V, np.array([1, 1, 3]), torch_fn=lambda v, i: (v[i] * T.tensor([1.0, 2.0, 3.0],
                                                                       dtype=T.float64)).sum())
def fancy_int_array_arg(v, idx):
    return np.sum(v[idx] * np.array([1.0, 2.0, 3.0]))


@probe(V, torch_fn=lambda v: (T.flip(v, [0]) * T.arange(5.0, dtype=T.float64)).sum())
def negative_step(v):
    return np.sum(v[::-1] * np.arange(5.0))


@probe(V, torch_fn=lambda v: (T.flip(v, [0])[::2] * T.arange(3.0, dtype=T.float64)).sum())
def negative_step_two(v):
    return np.sum(v[::-2] * np.arange(3.0))


@probe(V, torch_fn=lambda v: (v[3:0:-1] * T.arange(3.0, dtype=T.float64)).sum() if False
       else (T.flip(v[1:4], [0]) * T.arange(3.0, dtype=T.float64)).sum())
def negative_step_bounds(v):
    return np.sum(v[3:0:-1] * np.arange(3.0))


@probe(X, torch_fn=lambda x: (T.flip(x, [0, 1]) * T.arange(12.0, dtype=T.float64)
                              .reshape(3, 4)).sum())
def negative_step_2d(x):
    return np.sum(x[::-1, ::-1] * np.arange(12.0).reshape(3, 4))


@probe(X, torch_fn=lambda x: (x[:, -1] * x[-1, :3]).sum())
def negative_indices(x):
    return np.sum(x[:, -1] * x[-1, :3])


@probe(X, torch_fn=lambda x: (x[[0, 2]][:, [1, 1, 3]] ** 2).sum())
def fancy_chain(x):
    return np.sum(x[[0, 2]][:, [1, 1, 3]] ** 2)


@probe(X, torch_fn=lambda x: (x[[0, 2, 2], [1, 1, 3]] ** 2).sum())
def fancy_pairs(x):
    return np.sum(x[[0, 2, 2], [1, 1, 3]] ** 2)


@probe(X, torch_fn=lambda x: (x[None, :, 1:3] * 2).sum())
def newaxis_index(x):
    return np.sum(x[np.newaxis, :, 1:3] * 2)


@probe(X, torch_fn=lambda x: (x[..., 1] ** 2).sum())
def ellipsis_index(x):
    return np.sum(x[..., 1] ** 2)


# ------------------------------------------------------------------ cumulative / diff
@probe(V, torch_fn=lambda v: (T.cumsum(v, 0) ** 2).sum())
def cumsum_sq(v):
    return np.sum(np.cumsum(v) ** 2)


@probe(X, torch_fn=lambda x: (T.cumsum(x, 1) ** 2).sum())
def cumsum_axis(x):
    return np.sum(np.cumsum(x, axis=1) ** 2)


@probe(V, torch_fn=lambda v: T.cumprod(v, 0).sum())
def cumprod_vec(v):
    return np.cumprod(v).sum()


@probe(np.array([1.5, 0.0, 2.0, -1.0]), torch_fn=lambda v: T.cumprod(v, 0).sum())
def cumprod_with_zero(v):
    return np.cumprod(v).sum()


@probe(X, torch_fn=lambda x: T.cumprod(x, 0).sum())
def cumprod_axis0(x):
    return np.cumprod(x, axis=0).sum()


@probe(V, torch_fn=lambda v: (T.diff(v) ** 2).sum())
def diff_sq(v):
    return np.sum(np.diff(v) ** 2)


@probe(V, torch_fn=lambda v: (T.diff(v, n=2) ** 2).sum())
def diff_n2(v):
    return np.sum(np.diff(v, n=2) ** 2)


@probe(X, torch_fn=lambda x: (T.diff(x, dim=0) ** 2).sum())
def diff_axis0(x):
    return np.sum(np.diff(x, axis=0) ** 2)


@probe(X, torch_fn=lambda x: (x.cumsum(1)[:, -1] - x.sum(1)).sum() + (x ** 2).sum())
def cumsum_method(x):
    return np.sum(x.cumsum(axis=1)[:, -1] - x.sum(axis=1)) + np.sum(x ** 2)


# ------------------------------------------------------------------ products
@probe(V, V[:3] + 1, torch_fn=lambda a, b: (T.outer(a, b) ** 2).sum())
def outer_sq(a, b):
    return np.sum(np.outer(a, b) ** 2)


@probe(rng.normal(size=(2, 2)), rng.normal(size=(2, 3)),
       torch_fn=lambda a, b: (T.kron(a, b) ** 2).sum())
def kron_sq(a, b):
    return np.sum(np.kron(a, b) ** 2)


@probe(M, torch_fn=lambda m: T.trace(m @ m))
def trace_sq(m):
    return np.trace(m @ m)


@probe(M, torch_fn=lambda m: T.diagonal(m, 1).sum() * 2)
def trace_offset(m):
    return np.trace(m, offset=1) * 2


@probe(X, M, torch_fn=lambda x, m: T.einsum("ij,jk->ik", x, m).pow(2).sum())
def einsum_matmul(x, m):
    return np.sum(np.einsum("ij,jk->ik", x, m) ** 2)


@probe(M, torch_fn=lambda m: T.einsum("ii->", m) ** 2)
def einsum_trace(m):
    return np.einsum("ii->", m) ** 2


@probe(M, torch_fn=lambda m: (T.einsum("ii->i", m) ** 3).sum())
def einsum_diag(m):
    return np.sum(np.einsum("ii->i", m) ** 3)


@probe(X, torch_fn=lambda x: T.einsum("ij,ij->i", x, x).sum())
def einsum_rowdot_self(x):
    return np.einsum("ij,ij->i", x, x).sum()


@probe(X, torch_fn=lambda x: (T.einsum("ij->ji", x) * T.arange(12.0, dtype=T.float64)
                              .reshape(4, 3)).sum())
def einsum_transpose(x):
    return np.sum(np.einsum("ij->ji", x) * np.arange(12.0).reshape(4, 3))


@probe(rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 2)),
       torch_fn=lambda a, b: (T.einsum("bij,bjk->bik", a, b) ** 2).sum())
def einsum_batched(a, b):
    return np.sum(np.einsum("bij,bjk->bik", a, b) ** 2)


@probe(X, V[:4], torch_fn=lambda x, v: (T.einsum("ij,j", x, v) ** 2).sum())
def einsum_implicit(x, v):
    return np.sum(np.einsum("ij,j", x, v) ** 2)


@probe(X, torch_fn=lambda x: T.einsum("...j,...j->...", x, x).sum())
def einsum_ellipsis(x):
    return np.einsum("...j,...j->...", x, x).sum()


@probe(V, V, torch_fn=lambda a, b: T.dot(a, b) ** 2)
def dot_sq(a, b):
    return np.dot(a, b) ** 2


@probe(X, V[:4], torch_fn=lambda x, v: ((x @ v) ** 2).sum())
def matvec(x, v):
    return np.sum((x @ v) ** 2)


@probe(V[:4], X, torch_fn=lambda v, x: ((x.T @ x @ v) * v).sum())
def quad_form(v, x):
    return v @ x.T @ x @ v


@probe(V, V, torch_fn=lambda a, b: T.inner(a, b))
def np_inner(a, b):
    return np.inner(a, b)


@probe(rng.normal(size=(2, 3)), rng.normal(size=(3, 2)),
       torch_fn=lambda a, b: (T.tensordot(a, b, 1) ** 2).sum())
def tensordot1(a, b):
    return np.sum(np.tensordot(a, b, axes=1) ** 2)


# ------------------------------------------------------------------ reductions
@probe(rng.normal(size=(2, 3, 4)), torch_fn=lambda x: (x.mean((0, 2)) ** 2).sum())
def mean_tuple_axes(x):
    return np.sum(np.mean(x, axis=(0, 2)) ** 2)


@probe(rng.normal(size=(2, 3, 4)), torch_fn=lambda x: (x.sum((0, 2), keepdim=True) * x).sum())
def sum_keepdims_tuple(x):
    return np.sum(np.sum(x, axis=(0, 2), keepdims=True) * x)


@probe(X, torch_fn=lambda x: (x.mean(-1, keepdim=True) * x).sum())
def mean_keepdims(x):
    return np.sum(x.mean(axis=-1, keepdims=True) * x)


@probe(X, torch_fn=lambda x: T.var(x, 0, correction=0).sum())
def var_axis0(x):
    return np.var(x, axis=0).sum()


@probe(X, torch_fn=lambda x: T.std(x, 1, correction=1).sum())
def std_ddof1(x):
    return np.std(x, axis=1, ddof=1).sum()


@probe(X, torch_fn=lambda x: ((x - x.mean(0)) / T.sqrt(x.var(0, correction=0) + 1e-5))
       .pow(3).sum())
def batchnorm(x):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    return np.sum(((x - mu) / np.sqrt(var + 1e-5)) ** 3)


@probe(X, torch_fn=lambda x: T.prod(x, 1).sum())
def prod_axis(x):
    return np.prod(x, axis=1).sum()


@probe(np.array([1.5, 0.0, 2.0]), torch_fn=lambda x: T.prod(x))
def prod_with_zero(x):
    return np.prod(x)


@probe(np.array([1.5, 0.0, 0.0, 2.0]), torch_fn=lambda x: T.prod(x))
def prod_two_zeros(x):
    return np.prod(x)


@probe(X, torch_fn=lambda x: (x.sum(0, keepdim=True).sum(1, keepdim=True) * x).sum())
def chained_keepdims(x):
    return (x.sum(axis=0, keepdims=True).sum(axis=1, keepdims=True) * x).sum()


@probe(X, torch_fn=lambda x: T.mean(x ** 2))
def mean_all(x):
    return np.mean(x ** 2)


@probe(X, torch_fn=lambda x: (x.mean(axis=(-1, -2)) * 3))
def mean_neg_tuple(x):
    return x.mean(axis=(-1, -2)) * 3


@probe(X, torch_fn=lambda x: T.amax(x, (0, 1)))
def max_tuple(x):
    return np.max(x, axis=(0, 1))


@probe(X, torch_fn=lambda x: (x.amax(1, keepdim=True) * x).sum())
def max_keepdims_method(x):
    return (x.max(axis=1, keepdims=True) * x).sum()


@probe(X, torch_fn=lambda x: T.logsumexp(x, dim=(0, 1)))
def lse_all_keepdims(x):
    m = np.max(x, keepdims=True)
    return np.log(np.sum(np.exp(x - m))) + m.reshape(())


# ------------------------------------------------------------------ control flow, python
def _tf_loop(x):
    acc = x.clone()
    for _ in range(3):
        acc = acc + T.sin(acc)
    return (acc ** 2).sum()


@probe(V, torch_fn=_tf_loop)
def inplace_loop(x):
    acc = x.copy()
    for _ in range(3):
        acc += np.sin(acc)
    return np.sum(acc ** 2)


@probe(V, torch_fn=lambda x: (x * 2 * 3 - 1).sum())
def augassign_chain(x):
    y = x * 1.0
    y *= 2
    y *= 3
    y -= 1
    return y.sum()


@probe(V, torch_fn=lambda x: (x / 4).sum())
def augassign_div(x):
    y = x + 0.0
    y /= 2.0
    y /= 2
    return y.sum()


def _t_while(x):
    s = x.clone()
    k = 0
    while k < 10:
        s = s * 0.5 + 1.0
        k += 1
        if k == 4:
            break
    return (s ** 2).sum()


@probe(V, torch_fn=_t_while)
def while_break(x):
    s = x
    k = 0
    while k < 10:
        s = s * 0.5 + 1.0
        k += 1
        if k == 4:
            break
    return np.sum(s ** 2)


def _helper_sq(z, p=2):
    return z ** p


@probe(V, torch_fn=lambda x: (x ** 2 + x ** 3).sum())
def nested_helper_default(x):
    return np.sum(_helper_sq(x) + _helper_sq(x, p=3))


@probe(V, torch_fn=lambda x: T.tanh(x * 1.5).sum())
def closure_inner(x):
    scale = 1.5

    def act(z):
        return np.tanh(z * scale)
    return np.sum(act(x))


@probe(V, torch_fn=lambda x: (x ** 2).sum() + T.sin(x).sum())
def tuple_unpack_helper(x):
    def two(z):
        return z ** 2, np.sin(z)
    a, b = two(x)
    return np.sum(a) + np.sum(b)


@probe(V, 0.7, torch_fn=lambda x, s: (x * s).sum() ** 2)
def python_float_arg(x, s):
    return np.sum(x * s) ** 2


@probe(V, torch_fn=lambda x: T.where(x.sum() > 0, (x ** 2).sum(), (x ** 3).sum()))
def python_if_on_value(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(x ** 3)


def _t_for_range_len(x):
    tot = T.zeros((), dtype=T.float64)
    for i in range(len(x)):
        tot = tot + x[i] * i
    return tot


@probe(V, torch_fn=_t_for_range_len)
def for_range_len(x):
    tot = 0.0
    for i in range(len(x)):
        tot = tot + x[i] * i
    return tot


@probe(V, torch_fn=lambda x: (x[1:] * x[:-1]).sum())
def for_zip(x):
    tot = 0.0
    for a, b in zip(x[1:], x[:-1]):
        tot += a * b
    return tot


@probe(X, torch_fn=lambda x: sum((r ** 2).sum() for r in x))
def for_rows(x):
    tot = 0.0
    for row in x:
        tot = tot + np.sum(row ** 2)
    return tot


@probe(V, torch_fn=lambda x: sum(x[i] * i for i in range(5)))
def for_enumerate(x):
    tot = 0.0
    for i, v in enumerate(x):
        tot = tot + v * i
    return tot


@probe(V, torch_fn=lambda x: (x.clone().index_put_((T.tensor([1]),), x[1] * 3) ** 2).sum())
def setitem_then_use(x):
    y = x.copy()
    y[1] = y[1] * 3
    return np.sum(y ** 2)


def _t_setitem_slice(x):
    y = x.clone()
    y[1:3] = 0.0
    return (y * x).sum()


@probe(V, torch_fn=_t_setitem_slice)
def setitem_slice_zero(x):
    y = x.copy()
    y[1:3] = 0.0
    return np.sum(y * x)


def _t_setitem_mask(x):
    y = x.clone()
    y[x < 0] = 0.0
    return (y ** 2).sum()


@probe(V, torch_fn=_t_setitem_mask)
def setitem_mask(x):
    y = x.copy()
    y[x < 0] = 0.0
    return np.sum(y ** 2)


def _t_setitem_add_fancy(x):
    y = T.zeros(3, dtype=T.float64)
    y = y.index_add(0, T.tensor([0, 0, 2, 1, 2]), x)
    return (y ** 2).sum()


@probe(V, torch_fn=_t_setitem_add_fancy)
def add_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2, 1, 2], x)
    return np.sum(y ** 2)


# ------------------------------------------------------------------ dtypes / shapes
@probe(V.astype(np.float32), torch_fn=lambda x: (x ** 2).sum(), fd=False)
def float32_input(x):
    return np.sum(x ** 2)


@probe(np.array(0.7), torch_fn=lambda x: T.sin(x) * x)
def zero_d(x):
    return np.sin(x) * x


@probe(np.zeros(0), torch_fn=lambda x: (x ** 2).sum(), fd=False)
def empty_array(x):
    return np.sum(x ** 2)


@probe(np.zeros((0, 3)), torch_fn=lambda x: x.mean(0).sum() * 0 + (x ** 2).sum(), fd=False)
def empty_rows(x):
    return np.sum(x ** 2)


@probe(np.zeros((2, 0)), V[:2], torch_fn=lambda x, v: (x.sum(1) * v).sum(), fd=False)
def empty_axis_sum(x, v):
    return np.sum(x.sum(axis=1) * v)


@probe(X, torch_fn=lambda x: x.reshape(-1)[::3].sum() * 2)
def reshape_minus_one(x):
    return np.sum(x.reshape(-1)[::3]) * 2


@probe(X, torch_fn=lambda x: (x.T.reshape(2, 6)[1] ** 2).sum())
def transpose_reshape(x):
    return np.sum(x.T.reshape(2, 6)[1] ** 2)


@probe(X, torch_fn=lambda x: (T.stack([x[0], x[2]], 1) ** 2 * T.tensor([1.0, 2.0],
                                                                       dtype=T.float64)).sum())
def stack_axis1(x):
    return np.sum(np.stack([x[0], x[2]], axis=1) ** 2 * np.array([1.0, 2.0]))


@probe(V, torch_fn=lambda x: (T.cat([x, x[:2] * 2]) ** 2).sum())
def concat(x):
    return np.sum(np.concatenate([x, x[:2] * 2]) ** 2)


@probe(X, torch_fn=lambda x: (T.broadcast_to(x[:, :1], (3, 4)) * x).sum())
def broadcast_to(x):
    return np.sum(np.broadcast_to(x[:, :1], (3, 4)) * x)


@probe(V, torch_fn=lambda x: (T.sort(x).values * T.arange(5.0, dtype=T.float64)).sum())
def sort_weighted(x):
    return np.sum(np.sort(x) * np.arange(5.0))


@probe(V, torch_fn=lambda x: (x[T.argsort(x)] * T.arange(5.0, dtype=T.float64)).sum())
def argsort_index(x):
    return np.sum(x[np.argsort(x)] * np.arange(5.0))


@probe(V, torch_fn=lambda x: x[T.argmax(x)] * 2)
def argmax_index(x):
    return x[np.argmax(x)] * 2


@probe(X, torch_fn=lambda x: (T.tril(x) ** 2).sum())
def tril(x):
    return np.sum(np.tril(x) ** 2)


@probe(V, torch_fn=lambda x: (T.tile(x, (2,)) * T.arange(10.0, dtype=T.float64)).sum())
def tile(x):
    return np.sum(np.tile(x, 2) * np.arange(10.0))


@probe(V, torch_fn=lambda x: (T.repeat_interleave(x, 2) * T.arange(10.0, dtype=T.float64))
       .sum())
def repeat(x):
    return np.sum(np.repeat(x, 2) * np.arange(10.0))


@probe(V, torch_fn=lambda x: (T.roll(x, 2) * T.arange(5.0, dtype=T.float64)).sum())
def roll(x):
    return np.sum(np.roll(x, 2) * np.arange(5.0))


@probe(V, torch_fn=lambda x: (T.nn.functional.pad(x, (1, 2)) * T.arange(8.0, dtype=T.float64))
       .sum())
def pad(x):
    return np.sum(np.pad(x, (1, 2)) * np.arange(8.0))


@probe(M + 4 * np.eye(4), torch_fn=lambda m: T.logdet(m))
def slogdet(m):
    sign, logdet = np.linalg.slogdet(m)
    return logdet


@probe(M + 4 * np.eye(4), torch_fn=lambda m: T.linalg.inv(m).sum())
def inv_sum(m):
    return np.linalg.inv(m).sum()


@probe(M + 4 * np.eye(4), V[:4], torch_fn=lambda m, b: T.linalg.solve(m, b).sum())
def solve(m, b):
    return np.linalg.solve(m, b).sum()


@probe(V, torch_fn=lambda x: T.special.expit(x).sum())
def sigmoid_stable(x):
    return np.sum(np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x))))


@probe(np.array([-800.0, 0.3, 800.0]), torch_fn=lambda x: T.nn.functional.softplus(x).sum())
def softplus_stable(x):
    return np.sum(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


@probe(np.array([-2.0, 0.3, 2.0]), torch_fn=lambda x: T.logaddexp(x, 0.5 * x).sum())
def logaddexp(x):
    return np.sum(np.logaddexp(x, 0.5 * x))


@probe(np.array([-2.0, 0.3, 2.0]), torch_fn=lambda x: T.hypot(x, x + 1).sum())
def hypot(x):
    return np.sum(np.hypot(x, x + 1))


@probe(np.array([-2.0, 0.3, 2.0]), torch_fn=lambda x: T.atan2(x, x ** 2 + 0.1).sum())
def arctan2(x):
    return np.sum(np.arctan2(x, x ** 2 + 0.1))


@probe(np.array([-2.0, 0.3, 2.0]), torch_fn=lambda x: (T.sign(x) * x ** 2).sum())
def sign_times(x):
    return np.sum(np.sign(x) * x ** 2)


@probe(np.array([[0.2, 0.8], [0.6, 0.4]]), np.array([1, 0]),
       torch_fn=lambda p, y: -T.log(p[T.arange(2), y]).mean())
def nll_fancy(p, y):
    return -np.mean(np.log(p[np.arange(len(y)), y]))


@probe(X, np.array([1, 0, 3]),
       torch_fn=lambda x, y: T.nn.functional.cross_entropy(x, y))
def cross_entropy(x, y):
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(x.shape[0]), y].mean()


@probe(X, torch_fn=lambda x: (x - x.mean()).abs().max())
def max_abs_dev(x):
    return np.max(np.abs(x - x.mean()))


@probe(V, torch_fn=lambda x: (x * x.sum()).sum())
def self_sum_product(x):
    return np.sum(x * x.sum())


@probe(V, torch_fn=lambda x: (x[:, None] - x[None, :]).pow(2).sum())
def pairwise(x):
    return np.sum((x[:, None] - x[None, :]) ** 2)


@probe(X, torch_fn=lambda x: T.cdist(x, x + 1.0).sum())
def pairwise_dist(x):
    d = x[:, None, :] - (x + 1.0)[None, :, :]
    return np.sum(np.sqrt(np.sum(d ** 2, axis=-1)))


def run():
    bad = 0
    names = sys.argv[1:]
    for f, args, wrt, torch_fn, fd in PROBES:
        if names and f.__name__ not in names:
            continue
        tag = f.__name__
        t_start = time.perf_counter()
        float_idx = [i for i, a in enumerate(args)
                     if np.asarray(a).dtype.kind == "f" and (wrt is None or i in wrt)]
        wrt_names = tuple(f.__code__.co_varnames[i] for i in float_idx)
        try:
            G = symgrad.grad(f, wrt=wrt_names)
            ast.parse(G.source)
            prim = G(*args)
            ref = f(*args)
            if np.shape(prim) != np.shape(ref) or not np.allclose(prim, ref, equal_nan=True):
                print(f"PRIMAL {tag}: {prim} vs {ref}")
                bad += 1
            if np.asarray(prim).dtype != np.asarray(ref).dtype:
                print(f"DTYPE {tag}: {np.asarray(prim).dtype} vs {np.asarray(ref).dtype}")
            grads = G.grad(*args)
            if len(wrt_names) == 1:
                grads = (grads,)
            for i, g in zip(float_idx, grads, strict=True):
                if np.shape(g) != np.shape(args[i]):
                    print(f"SHAPE {tag} d{i}: {np.shape(g)} vs {np.shape(args[i])}")
                    bad += 1
                    continue
                if np.asarray(g).dtype != np.asarray(args[i]).dtype:
                    print(f"GDTYPE {tag} d{i}: {np.asarray(g).dtype} vs "
                          f"{np.asarray(args[i]).dtype}")
                if fd:
                    e = numeric_grad(f, list(args), i)
                    if not np.allclose(g, e, rtol=1e-5, atol=1e-6):
                        print(f"FD {tag} d{i}:\n  got {g}\n  fd  {e}")
                        bad += 1
            if torch_fn is not None:
                ts = [T.tensor(a, requires_grad=(i in float_idx))
                      if np.asarray(a).dtype.kind == "f" else T.tensor(a)
                      for i, a in enumerate(args)]
                out = torch_fn(*ts)
                out.sum().backward()
                for i, g in zip(float_idx, grads, strict=True):
                    tg = ts[i].grad
                    tg = np.zeros(np.shape(args[i])) if tg is None else tg.numpy()
                    if not np.allclose(g, tg, rtol=1e-5, atol=1e-6, equal_nan=True):
                        print(f"TORCH {tag} d{i}:\n  got {g}\n  torch {tg}")
                        bad += 1
            TIMES[tag] = time.perf_counter() - t_start
        except symgrad.SymgradError as e:
            print(f"REFUSED {tag}: {str(e).splitlines()[0]}")
        except Exception:
            print(f"CRASH {tag}:")
            traceback.print_exc(limit=-4)
            bad += 1
    print(f"{len(PROBES)} probes, {bad} bad")
    slow = sorted(TIMES.items(), key=lambda kv: -kv[1])
    print("slowest:", [(k, round(v, 2)) for k, v in slow[:25]])
    print("total", round(sum(TIMES.values()), 1))


if __name__ == "__main__":
    run()
