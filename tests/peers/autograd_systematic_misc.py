"""autograd tests/test_systematic.py, one plain numpy function per test
(the tests after the unary and binary ufuncs: shape, product and joining functions).

Each original test runs ``combo_check`` over several shapes and keyword values; here
each is one function at one representative combination (shapes and limits as the
original used). Rendered by a script from a table of (test, body, arguments).
"""

import numpy as np

_rng = np.random.default_rng(0)


def R(*shape):
    return _rng.standard_normal(shape)


def U(lo, hi, *shape):
    return lo + (hi - lo) * _rng.random(shape)



# test_systematic.py::test_transpose
def sys_transpose(x):
    return np.transpose(x, (2, 0, 1))


# test_systematic.py::test_moveaxis
def sys_moveaxis(x):
    return np.moveaxis(x, 0, 2)


# test_systematic.py::test_repeat
def sys_repeat(x):
    return np.repeat(x, 2, axis=1)


# test_systematic.py::test_diff
def sys_diff(x):
    return np.diff(x, n=2, axis=1)


# test_systematic.py::test_gradient
def sys_gradient(x):
    return np.gradient(x, axis=0)


# test_systematic.py::test_tile
def sys_tile(x):
    return np.tile(x, (1, 4, 1, 2))


# test_systematic.py::test_kron
def sys_kron(a, b):
    return np.kron(a, b)


# test_systematic.py::test_inner
def sys_inner(a, b):
    return np.inner(a, b)


# test_systematic.py::test_dot
def sys_dot(a, b):
    return np.dot(a, b)


# test_systematic.py::test_outer
def sys_outer(a, b):
    return np.outer(a, b)


# test_systematic.py::test_matmul
def sys_matmul(a, b):
    return np.matmul(a, b)


# test_systematic.py::test_matmul_broadcast
def sys_matmul_broadcast(a, b):
    return np.matmul(a, b)


# test_systematic.py::test_tensordot_1
def sys_tensordot_1(a, b):
    return np.tensordot(a, b, axes=[(1,), (0,)])


# test_systematic.py::test_tensordot_2
def sys_tensordot_2(a, b):
    return np.tensordot(a, b, axes=[(0,), (1,)])


# test_systematic.py::test_tensordot_3
def sys_tensordot_3(a, b):
    return np.tensordot(a, b, axes=[(0, 1), (1, 2)])


# test_systematic.py::test_tensordot_4
def sys_tensordot_4(a, b):
    return np.tensordot(a, b, axes=2)


# test_systematic.py::test_tensordot_5
def sys_tensordot_5(a, b):
    return np.tensordot(a, b, axes=0)


# test_systematic.py::test_tensordot_6
def sys_tensordot_6(a, b):
    return np.tensordot(a, b, axes=[[-1], [0]])


# test_systematic.py::test_tensordot_7
def sys_tensordot_7(a, b):
    return np.tensordot(a, b, axes=[-1, 0])


# test_systematic.py::test_tensordot_8
def sys_tensordot_8(a, b):
    return np.tensordot(a, b, axes=[0, 1])


# test_systematic.py::test_maximum
def sys_maximum(a, b):
    return np.maximum(a, b)


# test_systematic.py::test_fmax
def sys_fmax(a, b):
    return np.fmax(a, b)


# test_systematic.py::test_minimum
def sys_minimum(a, b):
    return np.minimum(a, b)


# test_systematic.py::test_fmin
def sys_fmin(a, b):
    return np.fmin(a, b)


# test_systematic.py::test_sort
def sys_sort(x):
    return np.sort(x)


# test_systematic.py::test_partition
def sys_partition(x):
    return np.partition(x, 3)


# test_systematic.py::test_atleast_1d
def sys_atleast_1d(x):
    return np.atleast_1d(x)


# test_systematic.py::test_atleast_2d
def sys_atleast_2d(x):
    return np.atleast_2d(x)


# test_systematic.py::test_atleast_3d
def sys_atleast_3d(x):
    return np.atleast_3d(x)


# test_systematic.py::test_einsum_transpose
def sys_einsum_transpose(x):
    return np.einsum('ij->ji', x)


# test_systematic.py::test_einsum_matmult
def sys_einsum_matmult(a, b):
    return np.einsum('ij,jk->ik', a, b)


# test_systematic.py::test_einsum_matmult_broadcast
def sys_einsum_matmult_broadcast(a, b):
    return np.einsum('...ij,...jk->...ik', a, b)


# test_systematic.py::test_einsum_matmult_broadcast_leadzero
def sys_einsum_matmult_broadcast_leadzero(a, b):
    return np.einsum('...ij,...jk->...ik', a, b)


# test_systematic.py::test_einsum_covsum
def sys_einsum_covsum(a, b):
    return np.einsum('ijk,lji->lki', a, b)


# test_systematic.py::test_einsum_ellipses
def sys_einsum_ellipses(a, b):
    return np.einsum('...jk,...lj->...lk', a, b)


# test_systematic.py::test_einsum_ellipses_tail
def sys_einsum_ellipses_tail(a, b):
    return np.einsum('jk...,lj...->lk...', a, b)


# test_systematic.py::test_einsum_ellipses_center
def sys_einsum_ellipses_center(a, b):
    return np.einsum('j...k,lj...->lk...', a, b)


# test_systematic.py::test_einsum_three_args
def sys_einsum_three_args(a, b, c):
    return np.einsum('ijk,lji,lli->lki', a, b, c)


# test_systematic.py::test_einsum2_transpose
def sys_einsum2_transpose(x):
    return np.einsum(x, [0, 1], [1, 0])


# test_systematic.py::test_einsum2_matmult
def sys_einsum2_matmult(a, b):
    return np.einsum(a, [0, 1], b, [1, 2], [0, 2])


# test_systematic.py::test_einsum2_matmult_broadcast
def sys_einsum2_matmult_broadcast(a, b):
    return np.einsum(a, [Ellipsis, 0, 1], b, [Ellipsis, 1, 2], [Ellipsis, 0, 2])


# test_systematic.py::test_einsum2_covsum
def sys_einsum2_covsum(a, b):
    return np.einsum(a, [0, 1, 2], b, [3, 1, 0], [3, 2, 0])


# test_systematic.py::test_einsum2_three_args
def sys_einsum2_three_args(a, b, c):
    return np.einsum(a, [0, 1, 2], b, [3, 1, 0], c, [3, 3, 0], [3, 2, 0])


# test_systematic.py::test_einsum_naked_sum
def sys_einsum_naked_sum(a, b):
    return np.einsum('k,nk->', a, b)


# test_systematic.py::test_einsum_naked_sum2
def sys_einsum_naked_sum2(x):
    return np.einsum('abcd->bd', x)


# test_systematic.py::test_einsum_naked_sum_ellipsis
def sys_einsum_naked_sum_ellipsis(a, b):
    return np.einsum('...k,...nk->...', a, b)


# test_systematic.py::test_einsum_no_output_indices
def sys_einsum_no_output_indices(a, b):
    return np.einsum('ij,k', a, b)


# test_systematic.py::test_trace
def sys_trace(x):
    return np.trace(x, offset=1)


# test_systematic.py::test_diag
def sys_diag(x):
    return np.diag(x, k=1)


# test_systematic.py::test_diag_flat
def sys_diag_flat(x):
    return np.diag(x, k=-1)


# test_systematic.py::test_tril
def sys_tril(x):
    return np.tril(x, k=-1)


# test_systematic.py::test_triu
def sys_triu(x):
    return np.triu(x, k=1)


# test_systematic.py::test_tril_3d
def sys_tril_3d(x):
    return np.tril(x, k=1)


# test_systematic.py::test_triu_3d
def sys_triu_3d(x):
    return np.triu(x, k=-1)


# test_systematic.py::test_swapaxes
def sys_swapaxes(x):
    return np.swapaxes(x, 0, 2)


# test_systematic.py::test_rollaxis
def sys_rollaxis(x):
    return np.rollaxis(x, 2, 0)


# test_systematic.py::test_cross
def sys_cross(a, b):
    return np.cross(a, b, axisa=0, axisb=1, axisc=0)


# test_systematic.py::test_vsplit_2d
def sys_vsplit_2d(x):
    return np.vsplit(x, [1, 2])[1]


# test_systematic.py::test_vsplit_3d
def sys_vsplit_3d(x):
    return np.vsplit(x, 2)[0]


# test_systematic.py::test_hsplit_2d
def sys_hsplit_2d(x):
    return np.hsplit(x, 4)[2]


# test_systematic.py::test_hsplit_3d
def sys_hsplit_3d(x):
    return np.hsplit(x, [1, 2])[2]


# test_systematic.py::test_dsplit_3d
def sys_dsplit_3d(x):
    return np.dsplit(x, 2)[1]


# test_systematic.py::test_split_1d
def sys_split_1d(x):
    return np.split(x, 1, axis=0)[0]


# test_systematic.py::test_split_2d
def sys_split_2d(x):
    return np.split(x, [1, 2], axis=1)[0]


# test_systematic.py::test_split_3d
def sys_split_3d(x):
    return np.split(x, 2, axis=2)[1]


# test_systematic.py::test_array_split_1d
def sys_array_split_1d(x):
    return np.array_split(x, 3, axis=0)[2]


# test_systematic.py::test_array_split_2d
def sys_array_split_2d(x):
    return np.array_split(x, [3, 5], axis=1)[1]


# test_systematic.py::test_array_split_3d
def sys_array_split_3d(x):
    return np.array_split(x, 4, axis=2)[3]


# test_systematic.py::test_concatenate_1ist
def sys_concatenate_1ist(a, b):
    return np.concatenate([a, b], axis=0)


# test_systematic.py::test_concatenate_tuple
def sys_concatenate_tuple(a, b):
    return np.concatenate((a, b), axis=0)


# test_systematic.py::test_concatenate_2d
def sys_concatenate_2d(a, b):
    return np.concatenate((a, b), axis=1)


# test_systematic.py::test_concatenate_3d
def sys_concatenate_3d(a, b):
    return np.concatenate((a, b), axis=2)


# test_systematic.py::test_vstack_1d
def sys_vstack_1d(a, b):
    return np.vstack((a, b))


# test_systematic.py::test_vstack_2d
def sys_vstack_2d(a, b):
    return np.vstack((a, b))


# test_systematic.py::test_vstack_3d
def sys_vstack_3d(a, b):
    return np.vstack((a, b))


# test_systematic.py::test_hstack_1d
def sys_hstack_1d(a, b):
    return np.hstack((a, b))


# test_systematic.py::test_hstack_2d
def sys_hstack_2d(a, b):
    return np.hstack((a, b))


# test_systematic.py::test_hstack_3d
def sys_hstack_3d(a, b):
    return np.hstack((a, b))


# test_systematic.py::test_stack_1d
def sys_stack_1d(a, b):
    return np.stack((a, b), axis=1)


# test_systematic.py::test_row_stack_1d
def sys_row_stack_1d(a, b):
    return np.vstack([a, b])


# test_systematic.py::test_row_stack_2d
def sys_row_stack_2d(a, b):
    return np.vstack([a, b])


# test_systematic.py::test_column_stack_1d
def sys_column_stack_1d(a, b):
    return np.column_stack((a, b))


# test_systematic.py::test_column_stack_2d
def sys_column_stack_2d(a, b):
    return np.column_stack((a, b))


# test_systematic.py::test_select
def sys_select(a, b, c, m1, m2, m3):
    return np.select([m1, m2, m3], [a, b, c])


# test_systematic.py::test_pad
def sys_pad(x):
    return np.pad(x, ((1, 2), (3, 4)), 'constant')


CASES = [
    (sys_transpose, (R(2, 3, 4),)),
    (sys_moveaxis, (R(2, 3, 4),)),
    (sys_repeat, (R(2, 3, 4),)),
    (sys_diff, (R(5, 5),)),
    (sys_gradient, (R(5, 5),)),
    (sys_tile, (R(2, 1, 3, 1),)),
    (sys_kron, (R(5, 5), R(3, 3),)),
    (sys_inner, (R(2, 3), R(4, 3),)),
    (sys_dot, (R(2, 2, 3), R(2, 3, 4),)),
    (sys_outer, (R(3), R(3),)),
    (sys_matmul, (R(2, 2, 3), R(3, 4),)),
    (sys_matmul_broadcast, (R(1, 2, 2), R(3, 2, 1),)),
    (sys_tensordot_1, (R(2, 3, 2), R(3, 4, 2),)),
    (sys_tensordot_2, (R(3, 4, 2), R(2, 3, 2),)),
    (sys_tensordot_3, (R(2, 3, 4), R(2, 2, 3, 4),)),
    (sys_tensordot_4, (R(4, 2, 2), R(2, 2, 4),)),
    (sys_tensordot_5, (R(4), R(),)),
    (sys_tensordot_6, (R(2, 6), R(6, 3),)),
    (sys_tensordot_7, (R(2, 6), R(6, 3),)),
    (sys_tensordot_8, (R(2), R(2, 2),)),
    (sys_maximum, (R(3, 4), R(1, 4),)),
    (sys_fmax, (R(3, 4), R(1, 4),)),
    (sys_minimum, (R(3, 4), R(1, 4),)),
    (sys_fmin, (R(3, 4), R(1, 4),)),
    (sys_sort, (R(7),)),
    (sys_partition, (R(7),)),
    (sys_atleast_1d, (1.2,)),
    (sys_atleast_2d, (R(7),)),
    (sys_atleast_3d, (R(2, 4),)),
    (sys_einsum_transpose, (R(3, 4),)),
    (sys_einsum_matmult, (R(2, 3), R(3, 4),)),
    (sys_einsum_matmult_broadcast, (R(2, 2, 3), R(3, 4),)),
    (sys_einsum_matmult_broadcast_leadzero, (R(0, 2, 3), R(0, 3, 4),)),
    (sys_einsum_covsum, (R(3, 4, 4), R(4, 4, 3),)),
    (sys_einsum_ellipses, (R(3, 4, 4), R(4, 4),)),
    (sys_einsum_ellipses_tail, (R(3, 2, 4), R(2, 3, 4),)),
    (sys_einsum_ellipses_center, (R(2, 2, 2), R(2, 2, 2),)),
    (sys_einsum_three_args, (R(3, 4, 4), R(4, 4, 3), R(4, 4, 3),)),
    (sys_einsum2_transpose, (R(3, 4),)),
    (sys_einsum2_matmult, (R(2, 3), R(3, 4),)),
    (sys_einsum2_matmult_broadcast, (R(2, 2, 3), R(2, 3, 4),)),
    (sys_einsum2_covsum, (R(3, 4, 4), R(4, 4, 3),)),
    (sys_einsum2_three_args, (R(3, 4, 4), R(4, 4, 3), R(4, 4, 3),)),
    (sys_einsum_naked_sum, (R(5), R(10, 5),)),
    (sys_einsum_naked_sum2, (R(3, 2, 3, 2),)),
    (sys_einsum_naked_sum_ellipsis, (R(3, 5), R(3, 10, 5),)),
    (sys_einsum_no_output_indices, (R(3, 4), R(3),)),
    (sys_trace, (R(3, 4, 5),)),
    (sys_diag, (R(5, 5),)),
    (sys_diag_flat, (R(5),)),
    (sys_tril, (R(5, 5),)),
    (sys_triu, (R(5, 5),)),
    (sys_tril_3d, (R(5, 5, 4),)),
    (sys_triu_3d, (R(5, 5, 4),)),
    (sys_swapaxes, (R(3, 4, 5),)),
    (sys_rollaxis, (R(2, 3, 4),)),
    (sys_cross, (R(3, 3), R(3, 3),)),
    (sys_vsplit_2d, (R(4, 8),)),
    (sys_vsplit_3d, (R(4, 4, 4),)),
    (sys_hsplit_2d, (R(4, 8),)),
    (sys_hsplit_3d, (R(4, 4, 4),)),
    (sys_dsplit_3d, (R(4, 4, 4),)),
    (sys_split_1d, (R(7),)),
    (sys_split_2d, (R(4, 8),)),
    (sys_split_3d, (R(4, 4, 4),)),
    (sys_array_split_1d, (R(7),)),
    (sys_array_split_2d, (R(7, 7),)),
    (sys_array_split_3d, (R(7, 7, 7),)),
    (sys_concatenate_1ist, (R(1), R(3),)),
    (sys_concatenate_tuple, (R(1), R(3),)),
    (sys_concatenate_2d, (R(2, 2), R(2, 2),)),
    (sys_concatenate_3d, (R(2, 2, 2), R(2, 2, 2),)),
    (sys_vstack_1d, (R(2), R(2),)),
    (sys_vstack_2d, (R(2, 4), R(1, 4),)),
    (sys_vstack_3d, (R(2, 3, 4), R(5, 3, 4),)),
    (sys_hstack_1d, (R(2), R(2),)),
    (sys_hstack_2d, (R(3, 4), R(3, 5),)),
    (sys_hstack_3d, (R(2, 1, 4), R(2, 5, 4),)),
    (sys_stack_1d, (R(2), R(2),)),
    (sys_row_stack_1d, (R(2), R(2),)),
    (sys_row_stack_2d, (R(2, 4), R(1, 4),)),
    (sys_column_stack_1d, (R(2), R(2),)),
    (sys_column_stack_2d, (R(2, 2), R(2, 2),)),
    (sys_select, (R(3, 4, 5), R(3, 4, 5), R(3, 4, 5), R(3, 4, 5) > 0, R(3, 4, 5) > 0, R(3, 4, 5) > 0,)),
    (sys_pad, (R(2, 2),)),
]
