"""Rank patterns of arrays made by np.zeros / np.ones / np.full (``adjoint.ranks._made``):
the shapes a reviewer tried to make them claim wrongly (negative axes, loop counters,
lengths of containers, empty shapes, computed lengths, shapes that change per iteration
or per branch, np.full of an array). Each gradient against central differences, one
``G`` serving every pattern in turn (the specialised modules must not leak into each
other)."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad


def neg_axes(a, x):
    z = np.ones((x.shape[-2], x.shape[-1]))
    return np.sum(np.sin(z * a))


def len_of_a_tuple(a, b):
    z = np.ones((len((a, b)), 3))
    return np.sum(np.sin(z * a))


def shape_of_a_list(a, b):
    z = np.ones(np.shape([a, b]))
    return np.sum(np.sin(z * a))


def empty_and_zero(a):
    return np.sum(np.sin(np.zeros(()) + a)) + np.sum(np.zeros(0) + 1.0) + np.sum(a)


def full_of_an_array(a, b):
    z = np.full((4, 3), b)
    return np.sum(np.sin(z * a))


def computed_lengths(a, x):
    n = len(x)
    z = np.ones((n - 2, 3))
    w = np.ones((x.shape[0] + 1, 1))
    return np.sum(np.sin(z * a)) + np.sum(w * a)


def counter_lengths(a, x):
    s = 0.0
    for i in range(x.ndim):
        z = np.ones((x.shape[i],))
        s = s + np.sum(np.sin(z * a))
    return s


def grows_in_a_loop(a, x):
    h = np.zeros(3)
    for t in range(x.shape[0]):
        h = h + x[t] * a
    return np.sum(h ** 2)


def per_branch(a, flag):
    if flag > 0:
        z = np.ones((1, 3))
    else:
        z = np.ones((2, 3))
    return np.sum(np.sin(z * a))


def with_dtype_and_order(a):
    z = np.ones((1, 3), dtype=np.float64) * np.full((1, 3), 2.0, order="F")
    return np.sum(np.sin(z * a))


def rows_written(a, x):
    z = np.zeros((len(x), 3))
    for i in range(len(x)):
        z[i] = x[i] * a
    return np.sum(z ** 2)


CASES = [
    (neg_axes, ("a",), [((1, 3), (4, 3)), ((4, 1), (4, 3)), ((3,), (1, 3))]),
    (len_of_a_tuple, ("a",), [((3,), (3,)), ((1,), (1,)), ((2, 1), (2, 1))]),
    (shape_of_a_list, ("a",), [((3,), (3,)), ((1,), (1,))]),
    (empty_and_zero, ("a",), [((3,),), ((),), ((1,),)]),
    (full_of_an_array, ("a", "b"), [((4, 3), (3,)), ((1, 3), (4, 1)), ((), (4, 3))]),
    (computed_lengths, ("a",), [((1, 3), (3,)), ((3,), (4,)), ((1,), (3,))]),
    (counter_lengths, ("a",), [((1,), (1, 3)), ((3,), (3, 3)), ((), (2, 4))]),
    (grows_in_a_loop, ("a",), [((3,), (5, 3)), ((1,), (5, 2, 3)), ((2, 1), (5, 1, 3))]),
    (per_branch, ("a",), [((3,), 1.0), ((1, 3), -1.0), ((2, 1), -1.0), ((2, 1), 1.0)]),
    (with_dtype_and_order, ("a",), [((3,),), ((2, 1),)]),
    (rows_written, ("a",), [((3,), (2, 3)), ((1,), (2, 1)), ((), (2, 3))]),
]


@pytest.mark.parametrize(("fn", "wrt", "calls"), CASES, ids=[c[0].__name__ for c in CASES])
def test_created_arrays_patterns_give_right_gradients(fn, wrt, calls):
    G = symgrad.grad(fn, wrt=wrt)
    rng = np.random.default_rng(5)
    for shapes in calls + calls[::-1]:
        args = [rng.normal(size=s) if isinstance(s, tuple) else s for s in shapes]
        check_grads(G, *args)
