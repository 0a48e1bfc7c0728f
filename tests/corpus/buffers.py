"""Mutation: augmented assignment, buffers filled by setitem, writes into parameters, and
rebinding parameters."""

from __future__ import annotations

import numpy as np

from .case import Case, normal


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


ENTRIES = [
    Case("augassign", augassign_names, lambda: (normal(47, 3), normal(48, 3))),
    Case("augassign", augassign_in_loop, lambda: (normal(49, 3), 3), ("x",)),
    Case("augassign", augassign_parameter, lambda: (normal(50, 3), normal(51, 3)),
         mutates=True),
    Case("setitem", buffer_fill, lambda: (normal(52, 4),)),
    Case("setitem", buffer_prefix_sum, lambda: (normal(53, 4),)),
    Case("setitem", buffer_cumprod, lambda: (normal(54, 4),)),
    Case("setitem", buffer_2d_elements, lambda: (normal(55, 3, 2), normal(56, 2))),
    Case("setitem", buffer_outer_product, lambda: (normal(57, 3),)),
    Case("setitem", buffer_slice_augassign, lambda: (normal(58, 4),)),
    Case("setitem", buffer_aug_ops, lambda: (normal(59, 4),)),
    Case("setitem", buffer_recurrence, lambda: (normal(60, 3, 3) * 0.5, normal(61, 4, 3))),
    Case("setitem_param", setitem_parameter, lambda: (normal(62, 3),), mutates=True),
    Case("setitem_param", setitem_parameter_loop, lambda: (normal(63, 4),), mutates=True),
    Case("setitem_param", slice_augassign_parameter, lambda: (normal(64, 4), normal(65, 2)),
         mutates=True),
    Case("rebind", rebind_parameters, lambda: (normal(66, 3), normal(67, 3))),
    Case("rebind", rebind_parameter_in_branch, lambda: (normal(68, 3), True), ("x",),
         path="true"),
    Case("rebind", rebind_parameter_in_branch, lambda: (normal(68, 3), False), ("x",),
         path="false"),
]

TORCH_IDS = [
    "setitem.buffer_prefix_sum",
    "setitem_param.setitem_parameter",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_buffer_prefix_sum(x):
        c = [x[0]]
        for i in range(1, len(x)):
            c.append(c[-1] + x[i])
        return torch.sum(torch.stack(c) ** 2)

    def t_setitem_parameter(x):
        x = x.clone()
        x[0] = x[1] * 2.0
        return torch.sum(x ** 2)

    return {
        "setitem.buffer_prefix_sum": t_buffer_prefix_sum,
        "setitem_param.setitem_parameter": t_setitem_parameter,
    }
