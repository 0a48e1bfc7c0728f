"""Control flow, mutation, calls and containers: a corpus checked against finite differences.

Every corpus function is plain Python/numpy defined at module level (symgrad reads its
source with inspect) and runs unchanged without symgrad. Each entry is checked in float64
against central differences (gradutil.check_grads); where torch is installed, a subset is
also checked against an equivalent PyTorch function.

Entry ids read ``<construct>.<function>[-<path>]``: a failure names the construct it broke.
Arguments are chosen away from kinks and branch boundaries (abs at 0, ``if s > 5`` with s
near 5, a while loop about to take one more trip), so finite differences are valid;
``test_corpus_is_fd_stable`` checks that, independently of symgrad.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from gradutil import check_grads, numeric_grad

import symgrad


def _normal(k, *shape):
    return np.random.default_rng(k).normal(size=shape)


def _uniform(k, lo, hi, *shape):
    return np.random.default_rng(k).uniform(lo, hi, size=shape)


# ======================================================================== if / elif / else


def if_sum_positive(x):
    if np.sum(x) > 0:
        y = np.sin(x) * 2
    else:
        y = np.cos(x) * x
    return np.sum(y * x)


def if_scalar_compare(a, b, x):
    if a > b:
        out = np.sum(a * x ** 2)
    else:
        out = np.sum(b * np.exp(x)) - a
    return out


def if_flag(x, w, flag):
    if flag:
        y = x * w
    else:
        y = x + w
    return np.sum(y ** 2)


def if_elif_else_mode(x, mode):
    if mode == 0:
        y = np.sin(x)
    elif mode == 1:
        y = x ** 2
    else:
        y = np.exp(-x)
    return np.sum(y * x)


def nested_if(x, y):
    if np.sum(x) > 0:
        if np.max(y) > 1.0:
            z = x * y
        else:
            z = x - y
    else:
        if np.min(y) < -1.0:
            z = x / (1.0 + y ** 2)
        else:
            z = np.sin(x * y)
    return np.sum(z ** 2)


def branch_assigns_different_vars(x):
    a = x
    b = np.ones_like(x)
    if np.sum(x) > 0:
        a = np.sin(x)
    else:
        b = np.cos(x)
    return np.sum(a * b + a)


def branch_rebinds_one_of_several(x, y):
    a = x * y
    b = x + y
    c = x ** 2
    if np.mean(y) > 0:
        b = b * c
    return np.sum(a * b - c)


def branch_defines_new_var(x):
    if np.sum(x) > 0:
        extra = x ** 2
        total = np.sum(extra) + np.sum(x)
    else:
        extra = np.exp(x)
        total = np.sum(extra * x)
    return total * np.mean(extra)


def early_return(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    y = np.exp(x)
    return np.sum(y * x)


def early_return_nested(x, k):
    y = x * 2
    if k > 0:
        if np.max(x) > 0.5:
            return np.sum(np.sin(y))
        y = y * x
    return np.sum(y ** 2)


def ifexp_scale(x):
    scale = 2.0 if np.sum(x) > 0 else 0.5
    return np.sum(scale * x ** 2)


def ifexp_arrays(x, y, flag):
    z = np.sin(x) * y if flag else np.cos(y) * x
    return np.sum(z)


def ifexp_nested(x, t):
    w = x ** 2 if t > 1.0 else (x * 3 if t > 0.0 else -x)
    return np.sum(w * t)


def and_condition(x, y):
    if np.sum(x) > 0 and np.sum(y) > 0:
        return np.sum(x * y)
    return np.sum(x - y ** 2)


def or_condition(x, y):
    if np.max(x) > 2.0 or np.min(y) < -2.0:
        z = x * 0.5
    else:
        z = x * y
    return np.sum(z ** 2)


def not_condition(x, flag):
    if not flag:
        x = x * 2
    if not np.all(x > 0):
        x = x ** 2
    return np.sum(np.exp(x))


def comparison_operators(x, n):
    y = x
    if n >= 2:
        y = y * 2
    if n <= 2:
        y = y + 1
    if n != 3:
        y = y * x
    if n == 3:
        y = np.sin(y)
    return np.sum(y)


def chained_comparison(x):
    s = np.sum(x)
    if 0.0 < s < 2.0:
        return np.sum(np.sin(x))
    return np.sum(x ** 2)


def piecewise_scalar(t):
    if t < -1.0:
        y = -2.0 * t - 1.0
    elif t < 0.0:
        y = t ** 2
    elif t < 1.0:
        y = np.sin(t)
    else:
        y = np.log(t) + np.sin(1.0)
    return y


def optional_is_none(x, b=None):
    if b is None:
        b = np.ones_like(x)
    return np.sum(np.tanh(x + b))


def shape_condition(X):
    if X.shape[0] > X.shape[1]:
        return np.sum((X.T @ X) ** 2)
    return np.sum(X @ X.T)


# ======================================================================== for loops


def for_literal_range(x):
    for _ in range(3):
        x = np.sin(x) + 0.5 * x
    return np.sum(x)


def for_runtime_range(x, n):
    y = x
    for i in range(n):
        y = y * x + i
    return np.sum(y)


def for_range_len(x):
    s = 0.0
    for i in range(len(x)):
        s = s + (i + 1) * x[i] ** 2
    return s


def for_range_shape(X, w):
    acc = np.zeros(X.shape[1])
    for i in range(X.shape[0]):
        acc = acc + np.tanh(X[i] * w) * (i + 1)
    return np.sum(acc ** 2)


def for_range_step(x):
    s = 0.0
    for i in range(1, len(x), 2):
        s = s + x[i] * x[i - 1]
    return s


def for_range_reversed(x):
    acc = 0.0
    for i in range(len(x) - 1, -1, -1):
        acc = acc * 0.5 + x[i]
    return acc ** 2


def for_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sum(row * w) ** 2
    return total


def for_over_elements(x):
    p = 1.0
    for v in x:
        p = p * (1.0 + v ** 2)
    return p


def for_enumerate(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + (i + 1.0) * np.sin(v)
    return s


def for_zip(x, y):
    s = 0.0
    for a, b in zip(x, y):  # noqa: B905
        s = s + a * b ** 2
    return s


def for_literal_list(x):
    total = 0.0
    for part in [x, x ** 2, np.sin(x)]:
        total = total + np.sum(part) ** 2
    return total


def nested_loops(A, x):
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s = s + A[i, j] * x[j] ** (i + 1)
    return s


def nested_loops_triangular(x):
    s = 0.0
    for i in range(len(x)):
        for j in range(i):
            s = s + x[i] * x[j]
    return s


def loop_zero_trips(x, n):
    y = x * 2
    for _ in range(n, 3):
        y = y * x
    return np.sum(y)


def loop_rows_from(X, k):
    total = np.sum(X) * 0.5
    for row in X[k:]:
        total = total + np.sum(np.sin(row))
    return total


def loop_ifexp(x):
    s = 0.0
    for i in range(len(x)):
        s = s + (x[i] ** 2 if i % 2 == 0 else np.sin(x[i]))
    return s


def loop_branch_on_element(x, w):
    out = np.zeros_like(x)
    for i in range(len(x)):
        z = x[i] * w[i]
        if z > 0:
            out[i] = z
        else:
            out[i] = 0.01 * z
    return np.sum(out ** 2)


def running_max(x):
    best = x[0]
    for i in range(1, len(x)):
        if x[i] > best:
            best = x[i]
    return best * np.sum(x)


def argmax_by_loop(x, y):
    k = 0
    for i in range(len(x)):
        if x[i] > x[k]:
            k = i
    return y[k] * x[k]


def tuple_swap(x, y):
    a, b = x, y
    for _ in range(3):
        a, b = b, a * x
    return np.sum(a + 2 * b)


def fibonacci_like(x, n):
    a, b = np.ones_like(x), x
    for _ in range(n):
        a, b = b, a + b * x
    return np.sum(b)


def several_carried(x):
    s, p, m = 0.0, 1.0, x
    for i in range(len(x)):
        s = s + x[i]
        p = p * (1.0 + x[i] * s)
        m = m * 0.5 + s
    return p + np.sum(m) * s


def horner(coeffs, x):
    acc = np.zeros_like(x)
    for c in coeffs:
        acc = acc * x + c
    return np.sum(acc)


def gradient_descent_unrolled(w0, A, b, lr, steps):
    w = w0
    for _ in range(steps):
        residual = A @ w - b
        w = w - lr * (A.T @ residual)
    return np.sum((A @ w - b) ** 2)


def newton_sqrt(a):
    x = a
    for _ in range(5):
        x = 0.5 * (x + a / x)
    return np.sum(x)


def power_iteration(W, x, n):
    v = x
    for _ in range(n):
        v = W @ v
        v = v / np.sqrt(np.sum(v ** 2))
    return np.sum(v * x)


# ======================================================================== while / break / continue


def while_grow(x):
    s = 1.0
    while s < 10.0:
        s = s * 1.5 + x
    return s


def while_array_condition(v, x):
    while np.sum(v) < 10.0:
        v = v * 1.5 + x
    return np.sum(v ** 2)


def while_counter(x, n):
    i = 0
    while i < n:
        x = x * 0.9 + np.sin(x)
        i += 1
    return np.sum(x)


def while_halving(x):
    s = np.sum(x ** 2)
    k = 0
    while s > 1.0:
        s = s / 2.0
        k += 1
    return s * k + np.sum(x)


def while_true_break(x):
    s = x
    while True:
        s = s * 2.0 + 1.0
        if np.sum(s) > 20.0:
            break
    return np.sum(s * x)


def while_continue(x):
    i = 0
    s = 0.0
    while i < len(x):
        i += 1
        if x[i - 1] < 0:
            continue
        s = s + np.exp(x[i - 1])
    return s


def break_on_value(x):
    s = x
    for _ in range(10):
        s = s * x + 1.0
        if np.sum(s) > 5.0:
            break
    return np.sum(s)


def break_on_index(x, n):
    total = 0.0
    for i in range(len(x)):
        if i >= n:
            break
        total = total + np.exp(x[i])
    return total


def continue_on_value(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s = s + x[i] ** 2
    return s


def continue_on_parity(x):
    s = 0.0
    for i in range(len(x)):
        if i % 2 == 0:
            continue
        s = s + np.sin(x[i]) * x[i - 1]
    return s


def break_and_continue(x):
    s = 0.0
    for v in x:
        if v < 0:
            continue
        if v > 2.0:
            break
        s = s + v ** 3
    return s


# ======================================================================== mutation


def augassign_names(x, y):
    z = x * 1.0
    z += y ** 2
    z *= x
    z -= np.sin(y)
    z /= 1.5 + y ** 2
    return np.sum(z)


def augassign_in_loop(x, n):
    acc = 0.0
    prod = np.ones_like(x)
    for i in range(n):
        acc += np.sum(x ** (i + 1))
        prod *= 1.0 + x / (i + 1)
    acc -= np.sum(prod)
    acc /= n
    return acc


def augassign_parameter(x, w):
    w += x ** 2
    w *= 0.5
    return np.sum(w * x)


def buffer_fill(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] ** 2 * (i + 1)
    return np.sum(out * x)


def buffer_prefix_sum(x):
    c = np.zeros_like(x)
    c[0] = x[0]
    for i in range(1, len(x)):
        c[i] = c[i - 1] + x[i]
    return np.sum(c ** 2)


def buffer_cumprod(x):
    out = np.ones(len(x) + 1)
    for i in range(len(x)):
        out[i + 1] = out[i] * x[i]
    return np.sum(out)


def buffer_2d_elements(X, w):
    out = np.zeros((X.shape[0], 2))
    for i in range(X.shape[0]):
        out[i, 0] = np.sum(X[i] * w)
        out[i, 1] = np.sum(X[i] ** 2)
    return np.sum(np.tanh(out))


def buffer_outer_product(x):
    n = len(x)
    M = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            M[i, j] = x[i] * x[j] + (1.0 if i == j else 0.0)
    return np.sum(M @ x)


def buffer_slice_augassign(x):
    h = np.zeros(len(x) + 2)
    h[1:-1] += x ** 2
    h[:3] += np.sin(x[0])
    h[2:] *= 2.0
    return np.sum(h * np.arange(len(h)))


def buffer_aug_ops(x):
    buf = np.ones(len(x))
    for i in range(len(x)):
        buf[i] *= x[i]
        buf[i] += x[i] ** 2
        buf[i] -= 0.5 * x[i]
        buf[i] /= 1.0 + x[i] ** 2
    return np.sum(buf * x)


def buffer_recurrence(W, x):
    h = np.zeros((x.shape[0] + 1, x.shape[1]))
    for t in range(x.shape[0]):
        h[t + 1] = np.tanh(W @ h[t] + x[t])
    return np.sum(h[1:] * x)


def setitem_parameter(x):
    x[0] = x[1] * 2.0
    return np.sum(x ** 2)


def setitem_parameter_loop(x):
    for i in range(1, len(x)):
        x[i] = x[i - 1] * x[i]
    return np.sum(x)


def slice_augassign_parameter(x, y):
    x[1:3] += y * 2.0
    return np.sum(x ** 2)


def rebind_parameters(x, y):
    x = x * 2.0
    y = np.tanh(y + x)
    x = x + y
    return np.sum(x * y)


def rebind_parameter_in_branch(x, flag):
    if flag:
        x = x ** 2
    return np.sum(np.exp(x))


# ======================================================================== calls


def _square(v):
    return v * v


def _squash(v):
    return np.tanh(v) * 0.5


def _squash_affine(v, w):
    return _squash(v * w) + w


def _affine(v, scale=2.0, shift=0.0):
    return v * scale + shift


def _moments(v):
    m = np.mean(v)
    return m, np.mean((v - m) ** 2)


def _cell(W, h, x):
    return np.tanh(W @ h + x)


def _power(x, n):
    if n == 0:
        return 1.0
    return x * _power(x, n - 1)


def _poly_sum(x, n):
    if n == 0:
        return np.zeros_like(x)
    return x ** n / n + _poly_sum(x, n - 1)


def _soft(v, hard):
    if hard:
        return v / (1.0 + v ** 2)
    return np.tanh(v)


def _repeat_sin(v, k):
    for _ in range(k):
        v = np.sin(v)
    return v


def _pick(v):
    if np.sum(v) > 0:
        return np.sum(v ** 2)
    return np.sum(np.exp(v))


def call_helper(x):
    return np.sum(_square(x) + _square(np.sin(x)))


def call_helper_chain(x, w):
    return np.sum(_squash_affine(x, w) ** 2)


def call_nested_def(x):
    def g(v):
        return v ** 2 + 1.0

    return np.sum(g(x) * g(x * 2.0))


def call_nested_closure(x, w):
    def scaled(v):
        return v * w

    return np.sum(np.sin(scaled(x)) + scaled(x) ** 2)


def make_scaled_norm(scale):
    def scaled_norm(x):
        return scale * np.sum(x ** 2)

    return scaled_norm


scaled_norm_pos = make_scaled_norm(2.5)
scaled_norm_neg = make_scaled_norm(-1.0)


def make_weighted_loss(weights):
    def weighted_loss(x):
        total = 0.0
        for i in range(len(x)):
            total = total + weights[i] * x[i] ** 2
        return total

    return weighted_loss


weighted_loss = make_weighted_loss(np.array([0.5, 1.5, 2.0]))


def call_kwargs_defaults(x, y):
    return np.sum(_affine(x) + _affine(x, shift=1.0) * _affine(y, scale=x))


def call_returning_tuple(x):
    m, var = _moments(x)
    return m * var + var ** 2


def call_in_loop(W, h, xs):
    for t in range(xs.shape[0]):
        h = _cell(W, h, xs[t])
    return np.sum(h ** 2)


def call_recursive_power(x):
    return np.sum(_power(x, 3) + _power(x * 2.0, 1))


def call_recursive_sum(x):
    return np.sum(_poly_sum(x, 4))


def call_helper_with_branch(x, hard):
    return np.sum(_soft(x, hard) * x)


def call_helper_with_loop(x):
    return np.sum(_repeat_sin(x, 3) * x)


def call_helper_early_return(x):
    return _pick(x) + 2.0 * _pick(-x)


# ======================================================================== containers, metadata


def tuple_unpack(x, y):
    a, b = np.sin(x), np.cos(y)
    (c, d), e = (a * b, a + b), x * y
    return np.sum(c * d + e)


def two_outputs(x, y):
    return np.sum(x * y), np.tanh(x) * y


def two_outputs_loop(x, n):
    s = 0.0
    for i in range(n):
        x = np.sin(x) + i
        s = s + np.sum(x)
    return s, x ** 2


def list_literal(a, b):
    parts = [a, b]
    return np.sum(parts[0] * parts[1])


def tuple_literal(x, y):
    t = (x, y, x * y)
    return np.sum(t[2] * t[0] + t[-1])


def dict_literal(w, b, x):
    d = {"w": w, "b": b}
    return np.sum(np.tanh(d["w"] @ x + d["b"]))


def sum_of_scalar_list(x, y):
    terms = [np.sum(x ** 2), np.sum(x * y), np.sum(np.sin(y))]
    return np.sum(terms)


def sum_of_array_list(x, y):
    return np.sum([x * y, x ** 2])


def shape_metadata(X):
    n, m = X.shape
    return np.sum(X) / X.size + n * np.mean(X ** 2) + m * X.ndim * np.sum(np.sin(X)) / len(X)


def stop_gradient_branch(x, flag):
    if flag:
        c = symgrad.stop_gradient(x ** 2)
    else:
        c = x ** 2
    return np.sum(c * x)


def stop_gradient_loop(x):
    for _ in range(3):
        x = x - 0.1 * symgrad.stop_gradient(np.sin(x)) * x
    return np.sum(x ** 2)


# ======================================================================== named models


def rnn_buffer(W, U, xs):
    T, H = xs.shape[0], W.shape[0]
    hs = np.zeros((T + 1, H))
    for t in range(T):
        hs[t + 1] = np.tanh(W @ hs[t] + U @ xs[t])
    return np.sum(hs ** 2)


def rnn_carry(W, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def softmax_xent_onehot(logits, onehot):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=-1))


def softmax_xent_labels(logits, labels):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    loss = 0.0
    for i in range(logits.shape[0]):
        loss = loss - logp[i, labels[i]]
    return loss / logits.shape[0]


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_rows(X):
    m = np.max(X, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(X - m), axis=1)))


def logsumexp_online(x):
    m = x[0]
    s = 1.0
    for i in range(1, len(x)):
        if x[i] > m:
            s = s * np.exp(m - x[i]) + 1.0
            m = x[i]
        else:
            s = s + np.exp(x[i] - m)
    return m + np.log(s)


def softplus_stable(x):
    total = 0.0
    for v in x:
        if v > 0:
            total = total + v + np.log1p(np.exp(-v))
        else:
            total = total + np.log1p(np.exp(v))
    return total


# ======================================================================== the corpus


@dataclasses.dataclass(frozen=True)
class Case:
    construct: str
    fn: Callable
    args: Callable[[], tuple]  # a factory: every test gets fresh arrays
    wrt: tuple | None = None  # None: every parameter (all float)
    seed: Callable[[], Any] | None = None
    path: str = ""  # which branch/trip count these arguments exercise
    mutates: bool = False  # writes into an argument under plain numpy
    frozen: bool = False  # calls symgrad.stop_gradient: FD holds those values fixed

    @property
    def id(self):
        return f"{self.construct}.{self.fn.__name__}" + (f"-{self.path}" if self.path else "")


X3 = np.array([0.5, -0.3, 0.9])
XN3 = np.array([-0.5, 0.3, -0.9])

CORPUS = [
    # ---- if / elif / else
    Case("if", if_sum_positive, lambda: (X3.copy(),), path="then"),
    Case("if", if_sum_positive, lambda: (XN3.copy(),), path="else"),
    Case("if", if_scalar_compare, lambda: (1.3, 0.4, _normal(1, 3)), path="then"),
    Case("if", if_scalar_compare, lambda: (-0.5, 0.7, _normal(1, 3)), path="else"),
    Case("if", if_flag, lambda: (_normal(2, 3), _normal(3, 3), True), ("x", "w"), path="true"),
    Case("if", if_flag, lambda: (_normal(2, 3), _normal(3, 3), False), ("x", "w"),
         path="false"),
    Case("elif", if_elif_else_mode, lambda: (_normal(4, 3), 0), ("x",), path="if"),
    Case("elif", if_elif_else_mode, lambda: (_normal(4, 3), 1), ("x",), path="elif"),
    Case("elif", if_elif_else_mode, lambda: (_normal(4, 3), 2), ("x",), path="else"),
    Case("nested_if", nested_if, lambda: (X3.copy(), np.array([1.5, 0.3, -0.2])),
         path="then-then"),
    Case("nested_if", nested_if, lambda: (X3.copy(), np.array([0.5, 0.3, -0.2])),
         path="then-else"),
    Case("nested_if", nested_if, lambda: (XN3.copy(), np.array([-1.5, 0.2, 0.4])),
         path="else-then"),
    Case("nested_if", nested_if, lambda: (XN3.copy(), np.array([0.3, -0.4, 0.6])),
         path="else-else"),
    Case("if_assigns", branch_assigns_different_vars, lambda: (X3.copy(),), path="then"),
    Case("if_assigns", branch_assigns_different_vars, lambda: (XN3.copy(),), path="else"),
    Case("if_assigns", branch_rebinds_one_of_several,
         lambda: (_normal(5, 3), np.array([0.4, 0.8, -0.2])), path="taken"),
    Case("if_assigns", branch_rebinds_one_of_several,
         lambda: (_normal(5, 3), np.array([-0.4, -0.8, 0.2])), path="skipped"),
    Case("if_assigns", branch_defines_new_var, lambda: (X3.copy(),), path="then"),
    Case("if_assigns", branch_defines_new_var, lambda: (XN3.copy(),), path="else"),
    Case("early_return", early_return, lambda: (X3.copy(),), path="returns"),
    Case("early_return", early_return, lambda: (XN3.copy(),), path="falls_through"),
    Case("early_return", early_return_nested, lambda: (X3.copy(), 1), ("x",),
         path="inner_return"),
    Case("early_return", early_return_nested, lambda: (X3 * 0.3, 1), ("x",),
         path="inner_falls_through"),
    Case("early_return", early_return_nested, lambda: (X3.copy(), 0), ("x",),
         path="outer_skipped"),
    Case("ifexp", ifexp_scale, lambda: (X3.copy(),), path="true"),
    Case("ifexp", ifexp_scale, lambda: (XN3.copy(),), path="false"),
    Case("ifexp", ifexp_arrays, lambda: (_normal(6, 3), _normal(7, 3), True), ("x", "y"),
         path="true"),
    Case("ifexp", ifexp_arrays, lambda: (_normal(6, 3), _normal(7, 3), False), ("x", "y"),
         path="false"),
    Case("ifexp", ifexp_nested, lambda: (_normal(8, 3), 1.5), path="outer"),
    Case("ifexp", ifexp_nested, lambda: (_normal(8, 3), 0.5), path="inner_true"),
    Case("ifexp", ifexp_nested, lambda: (_normal(8, 3), -0.5), path="inner_false"),
    Case("boolop", and_condition, lambda: (X3.copy(), X3 * 2), path="both"),
    Case("boolop", and_condition, lambda: (X3.copy(), XN3.copy()), path="second_false"),
    Case("boolop", or_condition, lambda: (np.array([2.5, 0.1, 0.3]), X3.copy()),
         path="first"),
    Case("boolop", or_condition, lambda: (X3.copy(), np.array([0.2, -2.5, 0.4])),
         path="second"),
    Case("boolop", or_condition, lambda: (X3.copy(), X3.copy()), path="neither"),
    Case("boolop", not_condition, lambda: (np.abs(X3), True), ("x",), path="positive"),
    Case("boolop", not_condition, lambda: (X3.copy(), False), ("x",), path="mixed"),
    Case("compare", comparison_operators, lambda: (_normal(9, 3), 2), ("x",), path="n2"),
    Case("compare", comparison_operators, lambda: (_normal(9, 3), 3), ("x",), path="n3"),
    Case("compare", chained_comparison, lambda: (X3.copy(),), path="inside"),
    Case("compare", chained_comparison, lambda: (X3 * 3,), path="outside"),
    Case("piecewise", piecewise_scalar, lambda: (-2.0,), path="lt_m1"),
    Case("piecewise", piecewise_scalar, lambda: (-0.5,), path="lt_0"),
    Case("piecewise", piecewise_scalar, lambda: (0.5,), path="lt_1"),
    Case("piecewise", piecewise_scalar, lambda: (2.0,), path="else"),
    Case("if_none", optional_is_none, lambda: (_normal(10, 3),), ("x",), path="default"),
    Case("if_none", optional_is_none, lambda: (_normal(10, 3), _normal(11, 3)), path="given"),
    Case("if_shape", shape_condition, lambda: (_normal(12, 4, 2),), path="tall"),
    Case("if_shape", shape_condition, lambda: (_normal(12, 2, 3),), path="wide"),
    # ---- for
    Case("for", for_literal_range, lambda: (_normal(13, 3),)),
    Case("for", for_runtime_range, lambda: (_normal(14, 3), 0), ("x",), path="n0"),
    Case("for", for_runtime_range, lambda: (_normal(14, 3), 1), ("x",), path="n1"),
    Case("for", for_runtime_range, lambda: (_normal(14, 3), 4), ("x",), path="n4"),
    Case("for", for_range_len, lambda: (_normal(15, 4),)),
    Case("for", for_range_shape, lambda: (_normal(16, 3, 2), _normal(17, 2))),
    Case("for", for_range_step, lambda: (_normal(18, 5),)),
    Case("for", for_range_reversed, lambda: (_normal(19, 4),)),
    Case("for_iter", for_over_rows, lambda: (_normal(20, 3, 2), _normal(21, 2))),
    Case("for_iter", for_over_elements, lambda: (_normal(22, 4),)),
    Case("for_iter", for_enumerate, lambda: (_normal(23, 4),)),
    Case("for_iter", for_zip, lambda: (_normal(24, 3), _normal(25, 3))),
    Case("for_iter", for_literal_list, lambda: (_normal(26, 3),)),
    Case("for_nested", nested_loops, lambda: (_normal(27, 3, 2), _normal(28, 2))),
    Case("for_nested", nested_loops_triangular, lambda: (_normal(29, 4),)),
    Case("for_zero", loop_zero_trips, lambda: (_normal(30, 3), 3), ("x",), path="zero"),
    Case("for_zero", loop_zero_trips, lambda: (_normal(30, 3), 1), ("x",), path="two"),
    Case("for_zero", loop_rows_from, lambda: (_normal(31, 3, 2), 3), ("X",), path="zero"),
    Case("for_zero", loop_rows_from, lambda: (_normal(31, 3, 2), 1), ("X",), path="two"),
    Case("for_if", loop_ifexp, lambda: (_normal(32, 4),)),
    Case("for_if", loop_branch_on_element,
         lambda: (np.array([0.5, -0.7, 1.2, -0.3]), np.array([1.1, 0.8, -0.6, 0.9]))),
    Case("for_if", running_max, lambda: (np.array([0.3, 1.2, -0.4, 0.8]),)),
    Case("for_if", argmax_by_loop,
         lambda: (np.array([0.3, 1.2, -0.4, 0.8]), np.array([0.5, -0.6, 0.7, 0.2]))),
    Case("for_carry", tuple_swap, lambda: (_normal(33, 3), _normal(34, 3))),
    Case("for_carry", fibonacci_like, lambda: (_normal(35, 3) * 0.5, 4), ("x",)),
    Case("for_carry", several_carried, lambda: (_uniform(36, 0.1, 0.6, 3),)),
    Case("horner", horner, lambda: (np.array([0.5, -1.0, 2.0, 0.3]), _normal(37, 3))),
    Case("unrolled_gd", gradient_descent_unrolled,
         lambda: (_normal(38, 2), _normal(39, 3, 2), _normal(40, 3), 0.1, 3),
         ("w0", "A", "b", "lr")),
    Case("for_carry", newton_sqrt, lambda: (_uniform(41, 0.5, 2.0, 3),)),
    Case("for_carry", power_iteration, lambda: (_normal(42, 3, 3), _normal(43, 3), 3),
         ("W", "x")),
    # ---- while, break, continue
    Case("while", while_grow, lambda: (0.3,)),
    Case("while", while_array_condition,
         lambda: (np.array([0.5, 0.2, 0.3]), np.array([0.1, 0.2, 0.2]))),
    Case("while", while_counter, lambda: (_normal(44, 3), 3), ("x",), path="n3"),
    Case("while", while_counter, lambda: (_normal(44, 3), 0), ("x",), path="n0"),
    Case("while", while_halving, lambda: (np.array([1.5, -1.2, 1.4]),)),
    Case("while_break", while_true_break, lambda: (np.array([0.1, 0.2, 0.3]),)),
    Case("while_continue", while_continue, lambda: (np.array([0.5, -0.7, 1.2, -0.3]),)),
    Case("break", break_on_value, lambda: (np.array([0.5, 0.6, 0.7]),)),
    Case("break", break_on_index, lambda: (_normal(45, 4), 2), ("x",), path="n2"),
    Case("break", break_on_index, lambda: (_normal(45, 4), 0), ("x",), path="n0"),
    Case("continue", continue_on_value, lambda: (np.array([0.5, -0.7, 1.2, -0.3]),)),
    Case("continue", continue_on_parity, lambda: (_normal(46, 5),)),
    Case("break_continue", break_and_continue,
         lambda: (np.array([0.5, -1.0, 1.5, 3.0, 0.7]),)),
    # ---- mutation
    Case("augassign", augassign_names, lambda: (_normal(47, 3), _normal(48, 3))),
    Case("augassign", augassign_in_loop, lambda: (_normal(49, 3), 3), ("x",)),
    Case("augassign", augassign_parameter, lambda: (_normal(50, 3), _normal(51, 3)),
         mutates=True),
    Case("setitem", buffer_fill, lambda: (_normal(52, 4),)),
    Case("setitem", buffer_prefix_sum, lambda: (_normal(53, 4),)),
    Case("setitem", buffer_cumprod, lambda: (_normal(54, 4),)),
    Case("setitem", buffer_2d_elements, lambda: (_normal(55, 3, 2), _normal(56, 2))),
    Case("setitem", buffer_outer_product, lambda: (_normal(57, 3),)),
    Case("setitem", buffer_slice_augassign, lambda: (_normal(58, 4),)),
    Case("setitem", buffer_aug_ops, lambda: (_normal(59, 4),)),
    Case("setitem", buffer_recurrence, lambda: (_normal(60, 3, 3) * 0.5, _normal(61, 4, 3))),
    Case("setitem_param", setitem_parameter, lambda: (_normal(62, 3),), mutates=True),
    Case("setitem_param", setitem_parameter_loop, lambda: (_normal(63, 4),), mutates=True),
    Case("setitem_param", slice_augassign_parameter, lambda: (_normal(64, 4), _normal(65, 2)),
         mutates=True),
    Case("rebind", rebind_parameters, lambda: (_normal(66, 3), _normal(67, 3))),
    Case("rebind", rebind_parameter_in_branch, lambda: (_normal(68, 3), True), ("x",),
         path="true"),
    Case("rebind", rebind_parameter_in_branch, lambda: (_normal(68, 3), False), ("x",),
         path="false"),
    # ---- calls
    Case("call", call_helper, lambda: (_normal(69, 3),)),
    Case("call", call_helper_chain, lambda: (_normal(70, 3), _normal(71, 3))),
    Case("call_nested_def", call_nested_def, lambda: (_normal(72, 3),)),
    Case("call_closure", call_nested_closure, lambda: (_normal(73, 3), _normal(74, 3))),
    Case("call_closure", scaled_norm_pos, lambda: (_normal(75, 3),), path="2.5"),
    Case("call_closure", scaled_norm_neg, lambda: (_normal(75, 3),), path="-1"),
    Case("call_closure", weighted_loss, lambda: (_normal(76, 3),)),
    Case("call_kwargs", call_kwargs_defaults, lambda: (_normal(77, 3), _normal(78, 3))),
    Case("call_tuple", call_returning_tuple, lambda: (_normal(79, 4),)),
    Case("call_loop", call_in_loop,
         lambda: (_normal(80, 3, 3) * 0.5, _normal(81, 3), _normal(82, 4, 3))),
    Case("call_recursive", call_recursive_power, lambda: (_normal(83, 3),)),
    Case("call_recursive", call_recursive_sum, lambda: (_normal(84, 3),)),
    Case("call_branch", call_helper_with_branch, lambda: (_normal(85, 3), True), ("x",),
         path="hard"),
    Case("call_branch", call_helper_with_branch, lambda: (_normal(85, 3), False), ("x",),
         path="soft"),
    Case("call_loop", call_helper_with_loop, lambda: (_normal(86, 3),)),
    Case("call_branch", call_helper_early_return, lambda: (X3.copy(),)),
    # ---- containers and metadata
    Case("tuple", tuple_unpack, lambda: (_normal(87, 3), _normal(88, 3))),
    Case("tuple", two_outputs, lambda: (_normal(89, 3), _normal(90, 3)),
         seed=lambda: (0.7, _normal(91, 3))),
    Case("tuple", two_outputs_loop, lambda: (_normal(92, 3), 3), ("x",),
         seed=lambda: (1.3, _normal(93, 3))),
    Case("list", list_literal, lambda: (_normal(94, 3), _normal(95, 3))),
    Case("tuple", tuple_literal, lambda: (_normal(96, 3), _normal(97, 3))),
    Case("dict", dict_literal, lambda: (_normal(98, 2, 3), _normal(99, 2), _normal(100, 3))),
    Case("list", sum_of_scalar_list, lambda: (_normal(101, 3), _normal(102, 3))),
    Case("list", sum_of_array_list, lambda: (_normal(103, 3), _normal(104, 3))),
    Case("metadata", shape_metadata, lambda: (_normal(105, 3, 2),)),
    Case("stop_gradient", stop_gradient_branch, lambda: (_normal(106, 3), True), ("x",),
         path="stopped", frozen=True),
    Case("stop_gradient", stop_gradient_branch, lambda: (_normal(106, 3), False), ("x",),
         path="live", frozen=True),
    Case("stop_gradient", stop_gradient_loop, lambda: (_normal(107, 3),), frozen=True),
    # ---- named models
    Case("rnn", rnn_buffer,
         lambda: (_normal(108, 3, 3) * 0.5, _normal(109, 3, 2), _normal(110, 4, 2)),
         ("W", "U", "xs")),
    Case("rnn", rnn_carry, lambda: (_normal(111, 3, 3) * 0.5, _normal(112, 3), _normal(113, 4, 3))),
    Case("softmax_xent", softmax_xent_onehot,
         lambda: (_normal(114, 4, 3), np.eye(3)[[2, 0, 1, 1]]), ("logits",)),
    Case("softmax_xent", softmax_xent_labels, lambda: (_normal(114, 4, 3), (2, 0, 1, 1)),
         ("logits",)),
    Case("logsumexp", logsumexp, lambda: (_normal(115, 4),)),
    Case("logsumexp", logsumexp_rows, lambda: (_normal(116, 3, 4),)),
    Case("logsumexp", logsumexp_online, lambda: (np.array([0.3, 1.2, -0.4, 1.9, 0.8]),)),
    Case("for_if", softplus_stable, lambda: (np.array([0.5, -0.7, 1.2, -0.3]),)),
]

IDS = [case.id for case in CORPUS]
BY_ID = dict(zip(IDS, CORPUS, strict=True))


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _seed(case):
    return None if case.seed is None else case.seed()


def _frozen(fn, args):
    """``fn`` with each ``symgrad.stop_gradient(v)`` returning v's value at ``args``.

    The corpus calls it as ``symgrad.stop_gradient``, so the module attribute is swapped
    while ``fn`` runs; the control path is the same at every FD point, so the calls line up.
    """
    real = symgrad.stop_gradient
    recorded = []

    def run(stop, *a):
        symgrad.stop_gradient = stop
        try:
            return fn(*_copy(a))
        finally:
            symgrad.stop_gradient = real

    run(lambda v: recorded.append(np.array(v, copy=True)) or v, *args)

    def replay(*a):
        values = iter(recorded)
        return run(lambda v: next(values), *a)

    return replay


def _referee(G, case, args):
    """G itself, or G whose ``fn`` (what check_grads differentiates numerically) runs on
    copies (for functions that write into their arguments) and with stopped values frozen."""
    if not (case.mutates or case.frozen):
        return G
    fn = _frozen(case.fn, args) if case.frozen else (lambda *a: case.fn(*_copy(a)))
    return types.SimpleNamespace(grad=G.grad, wrt=G.wrt, params=G.params, fn=fn)


def _wrt(case):
    return case.wrt if case.wrt is not None else tuple(inspect.signature(case.fn).parameters)


# ======================================================================== tests


def test_corpus_is_large_enough():
    assert len({case.fn for case in CORPUS}) >= 70
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_gradient_matches_finite_differences(case):
    args = case.args()
    G = symgrad.grad(case.fn, wrt=case.wrt)
    check_grads(_referee(G, case, args), *args, seed=_seed(case))


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_value_matches_plain_python(case):
    args = case.args()
    expected = case.fn(*_copy(args))
    got = symgrad.grad(case.fn, wrt=case.wrt)(*args)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


MUTATING = [case for case in CORPUS if case.mutates]


@pytest.mark.parametrize("case", MUTATING, ids=[case.id for case in MUTATING])
def test_caller_arrays_are_not_mutated(case):
    """Plain numpy writes into the caller's array; symgrad's function and gradient do not."""
    args = case.args()
    before = _copy(args)
    G = symgrad.grad(case.fn, wrt=case.wrt)
    G(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    G.grad(*args, seed=_seed(case))
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


# ---- .detach() is not numpy: check it against its stop_gradient twin (itself FD-checked)


def detach_branch(x, flag):
    if flag:
        c = (x ** 2).detach()
    else:
        c = x ** 2
    return np.sum(c * x)


def detach_loop(x):
    for _ in range(3):
        x = x - 0.1 * np.sin(x).detach() * x
    return np.sum(x ** 2)


@pytest.mark.parametrize("detached, twin, args", [
    (detach_branch, stop_gradient_branch, (_normal(106, 3), True)),
    (detach_branch, stop_gradient_branch, (_normal(106, 3), False)),
    (detach_loop, stop_gradient_loop, (_normal(107, 3),)),
], ids=["detach_branch-stopped", "detach_branch-live", "detach_loop"])
def test_detach_matches_stop_gradient(detached, twin, args):
    got = symgrad.grad(detached, wrt="x").grad(*args)
    expected = symgrad.grad(twin, wrt="x").grad(*args)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if args[-1] is True:  # c is a constant: d/dx sum(c * x) = c
        np.testing.assert_allclose(got, args[0] ** 2, rtol=1e-12)


# ---- the corpus itself, without symgrad: runs under plain numpy, FD is well posed


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_corpus_runs_under_plain_numpy(case):
    args = case.args()
    before = _copy(args)
    out = case.fn(*args)
    for o in out if isinstance(out, tuple) else (out,):
        assert np.all(np.isfinite(o))
    changed = any(isinstance(a, np.ndarray) and not np.array_equal(a, b)
                  for a, b in zip(args, before, strict=True))
    assert changed == case.mutates, "the entry's mutates flag is wrong"


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_corpus_is_fd_stable(case):
    """FD at two step sizes agree: no kink, branch switch or extra loop trip within 1e-4."""
    args = case.args()
    fn = _frozen(case.fn, args) if case.frozen else (lambda *a: case.fn(*_copy(a)))
    params = list(inspect.signature(case.fn).parameters)
    for name in _wrt(case):
        i = params.index(name)
        fine = numeric_grad(fn, args, i, seed=_seed(case), eps=1e-6)
        coarse = numeric_grad(fn, args, i, seed=_seed(case), eps=1e-4)
        np.testing.assert_allclose(fine, coarse, rtol=1e-5, atol=1e-6, err_msg=name)


# ======================================================================== against PyTorch


def _torch_twins(torch):
    """Equivalent float64 torch functions for a subset of the corpus, by entry id prefix."""

    def t_if_sum_positive(x):
        y = torch.sin(x) * 2 if torch.sum(x) > 0 else torch.cos(x) * x
        return torch.sum(y * x)

    def t_if_elif_else_mode(x, mode):
        y = torch.sin(x) if mode == 0 else (x ** 2 if mode == 1 else torch.exp(-x))
        return torch.sum(y * x)

    def t_nested_if(x, y):
        if torch.sum(x) > 0:
            z = x * y if torch.max(y) > 1.0 else x - y
        else:
            z = x / (1.0 + y ** 2) if torch.min(y) < -1.0 else torch.sin(x * y)
        return torch.sum(z ** 2)

    def t_early_return(x):
        if torch.sum(x) > 0:
            return torch.sum(x ** 2)
        return torch.sum(torch.exp(x) * x)

    def t_piecewise_scalar(t):
        if t < -1.0:
            return -2.0 * t - 1.0
        if t < 0.0:
            return t ** 2
        if t < 1.0:
            return torch.sin(t)
        return torch.log(t) + np.sin(1.0)

    def t_for_runtime_range(x, n):
        y = x
        for i in range(n):
            y = y * x + i
        return torch.sum(y)

    def t_for_over_rows(X, w):
        return sum(torch.sum(row * w) ** 2 for row in X)

    def t_nested_loops(A, x):
        return sum(A[i, j] * x[j] ** (i + 1) for i in range(A.shape[0])
                   for j in range(A.shape[1]))

    def t_tuple_swap(x, y):
        a, b = x, y
        for _ in range(3):
            a, b = b, a * x
        return torch.sum(a + 2 * b)

    def t_horner(coeffs, x):
        acc = torch.zeros_like(x)
        for c in coeffs:
            acc = acc * x + c
        return torch.sum(acc)

    def t_gd(w0, A, b, lr, steps):
        w = w0
        for _ in range(steps):
            w = w - lr * (A.T @ (A @ w - b))
        return torch.sum((A @ w - b) ** 2)

    def t_while_grow(x):
        s = 1.0
        while s < 10.0:
            s = s * 1.5 + x
        return s

    def t_break_on_value(x):
        s = x
        for _ in range(10):
            s = s * x + 1.0
            if torch.sum(s) > 5.0:
                break
        return torch.sum(s)

    def t_break_and_continue(x):
        s = 0.0
        for v in x:
            if v < 0:
                continue
            if v > 2.0:
                break
            s = s + v ** 3
        return s

    def t_buffer_prefix_sum(x):
        c = [x[0]]
        for i in range(1, len(x)):
            c.append(c[-1] + x[i])
        return torch.sum(torch.stack(c) ** 2)

    def t_setitem_parameter(x):
        x = x.clone()
        x[0] = x[1] * 2.0
        return torch.sum(x ** 2)

    def t_call_in_loop(W, h, xs):
        for t in range(xs.shape[0]):
            h = torch.tanh(W @ h + xs[t])
        return torch.sum(h ** 2)

    def t_call_recursive_power(x):
        return torch.sum(x * x * x + x * 2.0)

    def t_two_outputs(x, y):
        return torch.sum(x * y), torch.tanh(x) * y

    def t_rnn_buffer(W, U, xs):
        hs = [torch.zeros(W.shape[0], dtype=torch.float64)]
        for t in range(xs.shape[0]):
            hs.append(torch.tanh(W @ hs[t] + U @ xs[t]))
        return torch.sum(torch.stack(hs) ** 2)

    def t_rnn_carry(W, h, x):
        for t in range(x.shape[0]):
            h = torch.tanh(W @ h + x[t])
        return torch.sum(h)

    def t_softmax_xent_onehot(logits, onehot):
        return -torch.mean(torch.sum(onehot * torch.log_softmax(logits, dim=-1), dim=-1))

    def t_softmax_xent_labels(logits, labels):
        return torch.nn.functional.cross_entropy(logits, torch.tensor(labels))

    def t_logsumexp(x):
        return torch.logsumexp(x, dim=0)

    def t_logsumexp_online(x):
        return torch.logsumexp(x, dim=0)

    def t_stop_gradient_loop(x):
        for _ in range(3):
            x = x - 0.1 * torch.sin(x).detach() * x
        return torch.sum(x ** 2)

    return {
        "if.if_sum_positive": t_if_sum_positive,
        "elif.if_elif_else_mode": t_if_elif_else_mode,
        "nested_if.nested_if": t_nested_if,
        "early_return.early_return": t_early_return,
        "piecewise.piecewise_scalar": t_piecewise_scalar,
        "for.for_runtime_range": t_for_runtime_range,
        "for_iter.for_over_rows": t_for_over_rows,
        "for_nested.nested_loops": t_nested_loops,
        "for_carry.tuple_swap": t_tuple_swap,
        "horner.horner": t_horner,
        "unrolled_gd.gradient_descent_unrolled": t_gd,
        "while.while_grow": t_while_grow,
        "break.break_on_value": t_break_on_value,
        "break_continue.break_and_continue": t_break_and_continue,
        "setitem.buffer_prefix_sum": t_buffer_prefix_sum,
        "setitem_param.setitem_parameter": t_setitem_parameter,
        "call_loop.call_in_loop": t_call_in_loop,
        "call_recursive.call_recursive_power": t_call_recursive_power,
        "tuple.two_outputs": t_two_outputs,
        "rnn.rnn_buffer": t_rnn_buffer,
        "rnn.rnn_carry": t_rnn_carry,
        "softmax_xent.softmax_xent_onehot": t_softmax_xent_onehot,
        "softmax_xent.softmax_xent_labels": t_softmax_xent_labels,
        "logsumexp.logsumexp": t_logsumexp,
        "logsumexp.logsumexp_online": t_logsumexp_online,
        "stop_gradient.stop_gradient_loop": t_stop_gradient_loop,
    }


TORCH_IDS = [
    "if.if_sum_positive-then", "if.if_sum_positive-else",
    "elif.if_elif_else_mode-if", "elif.if_elif_else_mode-elif", "elif.if_elif_else_mode-else",
    "nested_if.nested_if-then-then", "nested_if.nested_if-else-then",
    "early_return.early_return-returns", "early_return.early_return-falls_through",
    "piecewise.piecewise_scalar-lt_m1", "piecewise.piecewise_scalar-lt_1",
    "piecewise.piecewise_scalar-else",
    "for.for_runtime_range-n0", "for.for_runtime_range-n4",
    "for_iter.for_over_rows", "for_nested.nested_loops", "for_carry.tuple_swap",
    "horner.horner", "unrolled_gd.gradient_descent_unrolled", "while.while_grow",
    "break.break_on_value", "break_continue.break_and_continue",
    "setitem.buffer_prefix_sum", "setitem_param.setitem_parameter",
    "call_loop.call_in_loop", "call_recursive.call_recursive_power", "tuple.two_outputs",
    "rnn.rnn_buffer", "rnn.rnn_carry", "softmax_xent.softmax_xent_onehot",
    "softmax_xent.softmax_xent_labels", "logsumexp.logsumexp", "logsumexp.logsumexp_online",
    "stop_gradient.stop_gradient_loop",
]


def _twin_for(twins, entry_id):
    matches = [fn for prefix, fn in twins.items()
               if entry_id == prefix or entry_id.startswith(prefix + "-")]
    assert len(matches) == 1, entry_id
    return matches[0]


@pytest.mark.parametrize("entry_id", TORCH_IDS)
def test_matches_torch(entry_id):
    torch = pytest.importorskip("torch")
    case = BY_ID[entry_id]
    twin = _twin_for(_torch_twins(torch), entry_id)
    args = case.args()
    params = list(inspect.signature(case.fn).parameters)
    wrt = [params.index(name) for name in _wrt(case)]
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt)
               if isinstance(a, (np.ndarray, float)) else a for i, a in enumerate(args)]
    out = twin(*tensors)
    seed = _seed(case)
    if isinstance(out, tuple):
        torch.autograd.backward(out, [torch.as_tensor(s, dtype=torch.float64) for s in seed])
    else:
        out.backward()
    expected = [tensors[i].grad.numpy() for i in wrt]
    got = symgrad.grad(case.fn, wrt=case.wrt).grad(*args, seed=seed)
    got = (got,) if len(wrt) == 1 else got
    for name, g, e in zip(_wrt(case), got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-12, err_msg=name)
