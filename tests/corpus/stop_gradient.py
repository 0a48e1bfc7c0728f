"""symgrad.stop_gradient in a branch and a loop (FD holds the stopped values fixed), and
their .detach() spellings, which are not numpy and are checked against these twins."""

from __future__ import annotations

import numpy as np

import symgrad

from .case import Case, normal


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


ENTRIES = [
    Case("stop_gradient", stop_gradient_branch, lambda: (normal(106, 3), True), ("x",),
         path="stopped", frozen=True),
    Case("stop_gradient", stop_gradient_branch, lambda: (normal(106, 3), False), ("x",),
         path="live", frozen=True),
    Case("stop_gradient", stop_gradient_loop, lambda: (normal(107, 3),), frozen=True),
]

# .detach() is not numpy, so these are not entries: each is checked against its
# stop_gradient twin above (itself FD-checked): (id, detached, twin, args factory).


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


DETACH = [
    ("detach_branch-stopped", detach_branch, stop_gradient_branch,
     lambda: (normal(106, 3), True)),
    ("detach_branch-live", detach_branch, stop_gradient_branch,
     lambda: (normal(106, 3), False)),
    ("detach_loop", detach_loop, stop_gradient_loop, lambda: (normal(107, 3),)),
]

TORCH_IDS = [
    "stop_gradient.stop_gradient_loop",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_stop_gradient_loop(x):
        for _ in range(3):
            x = x - 0.1 * torch.sin(x).detach() * x
        return torch.sum(x ** 2)

    return {
        "stop_gradient.stop_gradient_loop": t_stop_gradient_loop,
    }
