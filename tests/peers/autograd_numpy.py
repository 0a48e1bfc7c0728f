"""autograd tests/test_numpy.py, each differentiated function as a plain numpy def.

One function per test (a test that checks several argument shapes gets its first, or most
general, combination); ``CASES`` holds the example arguments, shaped as the test's.
Tests that check no gradient (test_numpy_version, the plain-numpy-reduction regression
on ArrayBox) are left out.
"""

import numpy as np

_rng = np.random.default_rng(1)


def R(*shape):
    return _rng.standard_normal(shape)


_B564 = R(5, 6, 4)
_A564 = R(5, 6, 4)
_C45 = R(4, 5) > 0
_C32 = R(3, 2)
_C10 = R(10)
_Y4 = np.array([0.0, np.nan, np.inf, -np.inf])


# test_numpy.py::test_dot
def np_dot(x, y):
    return np.dot(x, y)


# test_numpy.py::test_dot_with_floats
def np_dot_with_floats(x, y):
    return np.dot(x, y)


# test_numpy.py::test_outer
def np_outer(x, y):
    return np.outer(x, y)


# test_numpy.py::test_max
def np_max(x):
    return np.max(x)


# test_numpy.py::test_max_axis
def np_max_axis(x):
    return np.max(x, axis=1)


# test_numpy.py::test_max_axis_keepdims
def np_max_axis_keepdims(x):
    return np.max(x, axis=1, keepdims=True)


# test_numpy.py::test_min
def np_min(x):
    return np.min(x)


# test_numpy.py::test_min_axis
def np_min_axis(x):
    return np.min(x, axis=1)


# test_numpy.py::test_min_axis_keepdims
def np_min_axis_keepdims(x):
    return np.min(x, axis=1, keepdims=True)


# test_numpy.py::test_sum_1
def np_sum_1(x):
    return np.sum(x)


# test_numpy.py::test_sum_2
def np_sum_2(x):
    return np.sum(x, axis=0)


# test_numpy.py::test_sum_3
def np_sum_3(x):
    return np.sum(x, axis=0, keepdims=True)


# test_numpy.py::test_sum_with_axis_tuple
def np_sum_with_axis_tuple(x):
    return np.sum(x, axis=(1, 2))


# test_numpy.py::test_flipud
def np_flipud(x):
    return np.flipud(x)


# test_numpy.py::test_fliplr
def np_fliplr(x):
    return np.fliplr(x)


# test_numpy.py::test_rot90
def np_rot90(x):
    return np.rot90(x)


# test_numpy.py::test_cumsum_axis0
def np_cumsum_axis0(x):
    return np.cumsum(x, axis=0)


# test_numpy.py::test_cumsum_axis1
def np_cumsum_axis1(x):
    return np.cumsum(x, axis=1)


# test_numpy.py::test_cumsum_1d
def np_cumsum_1d(x):
    return np.cumsum(x)


# test_numpy.py::test_cumsum_no_axis
def np_cumsum_no_axis(x):
    return np.cumsum(x)


# test_numpy.py::test_non_numpy_sum
def np_non_numpy_sum(x, y):
    return sum([x, y])


# test_numpy.py::test_mean_1
def np_mean_1(x):
    return np.mean(x)


# test_numpy.py::test_mean_2
def np_mean_2(x):
    return np.mean(x, axis=0)


# test_numpy.py::test_mean_3
def np_mean_3(x):
    return np.mean(x, axis=0, keepdims=True)


# test_numpy.py::test_mean_list_of_boxes
def np_mean_list_of_boxes(x):
    return np.mean([x, x + 2])


# test_numpy.py::test_std_list_of_boxes
def np_std_list_of_boxes(x):
    return np.std((x, x + 2))


# test_numpy.py::test_var_list_of_boxes
def np_var_list_of_boxes(x):
    return np.var([x, x + 2])


# test_numpy.py::test_index_ints
def np_index_ints(x):
    return x[3, 0, 1]


# test_numpy.py::test_index_slice
def np_index_slice(x):
    return x[::-1, 2:4, :]


# test_numpy.py::test_index_lists
def np_index_lists(x):
    return x[[0, 1, 2], :, :]


# test_numpy.py::test_index_mixed
def np_index_mixed(x):
    return x[3, 2:, [1, 3]]


# test_numpy.py::test_vector_slice
def np_vector_slice(x):
    return x[2:4]


# test_numpy.py::test_index_slice_fanout
def np_index_slice_fanout(x):
    y = x[::-1, 2:4, :]
    z = x[::-1, 3:5, :]
    return y + z


# test_numpy.py::test_index_multiple_slices
def np_index_multiple_slices(x):
    y = x[2:6]
    z = y[1:3]
    return z


# test_numpy.py::test_reshape_method
def np_reshape_method(x):
    return x.reshape((5 * 4, 6))


# test_numpy.py::test_reshape_call
def np_reshape_call(x):
    return np.reshape(x, (5 * 4, 6))


# test_numpy.py::test_reshape_method_nolist
def np_reshape_method_nolist(x):
    return x.reshape(5 * 4, 6)


# test_numpy.py::test_ravel_method
def np_ravel_method(x):
    return x.ravel()


# test_numpy.py::test_ravel_call
def np_ravel_call(x):
    return np.ravel(x)


# test_numpy.py::test_flatten_method
def np_flatten_method(x):
    return x.flatten()


# test_numpy.py::test_simple_append_list
def np_simple_append_list(a, b):
    return np.append(a, b)


# test_numpy.py::test_simple_append_arr
def np_simple_append_arr(a, b):
    return np.append(a, b)


# test_numpy.py::test_simple_append_list_2D
def np_simple_append_list_2d(a, b):
    return np.append(a, b, axis=0)


# test_numpy.py::test_simple_concatenate
def np_simple_concatenate(x):
    return np.concatenate((_A564, x))


# test_numpy.py::test_concatenate_axis_0
def np_concatenate_axis_0(x):
    return np.concatenate((_B564, x, _B564))


# test_numpy.py::test_concatenate_axis_1
def np_concatenate_axis_1(x):
    return np.concatenate((_B564, x, _B564), axis=1)


# test_numpy.py::test_concatenate_axis_1_unnamed
def np_concatenate_axis_1_unnamed(x):
    return np.concatenate((_B564, x, _B564), 1)


# test_numpy.py::test_trace
def np_trace(x):
    return np.trace(x, offset=3)


# test_numpy.py::test_trace2
def np_trace2(x):
    return np.trace(x, offset=-4)


# test_numpy.py::test_trace_extradims
def np_trace_extradims(x):
    return np.trace(x, offset=2)


# test_numpy.py::test_diag
def np_diag(x):
    return np.diag(x)


# test_numpy.py::test_transpose
def np_transpose(x):
    return x.T


# test_numpy.py::test_roll
def np_roll(x):
    return np.roll(x, 2, axis=1)


# test_numpy.py::test_roll_no_axis
def np_roll_no_axis(x):
    return np.roll(x, 2)


# test_numpy.py::test_triu
def np_triu(x):
    return np.triu(x, k=2)


# test_numpy.py::test_tril
def np_tril(x):
    return np.tril(x, k=2)


# test_numpy.py::test_clip
def np_clip(x):
    return np.clip(x, a_min=0.1, a_max=1.1)


# test_numpy.py::test_prod_1
def np_prod_1(x):
    return np.prod(x)


# test_numpy.py::test_prod_2
def np_prod_2(x):
    return np.prod(x, axis=0)


# test_numpy.py::test_prod_3
def np_prod_3(x):
    return np.prod(x, axis=0, keepdims=True)


# test_numpy.py::test_prod_4
def np_prod_4(x):
    return np.prod(x)


# test_numpy.py::test_1d_array
def np_1d_array(x):
    return np.array([x, x * 1.0, x + 2.5])


# test_numpy.py::test_2d_array
def np_2d_array(x):
    return np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])


# test_numpy.py::test_1d_array_fanout
def np_1d_array_fanout(x):
    a = np.array([x, x * 1.0, x + 2.5])
    return a + a


# test_numpy.py::test_2d_array_fanout
def np_2d_array_fanout(x):
    a = np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])
    return a + a


# test_numpy.py::test_array_from_scalar
def np_array_from_scalar(x):
    return np.array(x)


# test_numpy.py::test_scalar_array_box_attributes
def np_scalar_array_box_attributes(x):
    assert np.shape(x) == ()
    assert np.ndim(x) == 0
    assert np.size(x) == 1
    return x**2


# test_numpy.py::test_array_from_arrays
def np_array_from_arrays(x):
    return np.array([x, x])


# test_numpy.py::test_array_from_arrays_2
def np_array_from_arrays_2(x):
    return np.array([[2 * x, x + 1], [x, x]])


# test_numpy.py::test_len
def np_len(x):
    assert len(x) == 3
    return x


# test_numpy.py::test_r_basic
def np_r_basic(x):
    return np.r_[x]


# test_numpy.py::test_r_double
def np_r_double(x):
    return np.r_[x, x]


# test_numpy.py::test_no_relation
def np_no_relation(x):
    return _C32


# test_numpy.py::test_r_no_relation
def np_r_no_relation(x):
    return np.r_[_C32]


# test_numpy.py::test_r_node_and_const
def np_r_node_and_const(x):
    return np.r_[x, _C32]


# test_numpy.py::test_r_mixed
def np_r_mixed(x):
    return np.r_[x, _C32, x]


# test_numpy.py::test_r_slicing
def np_r_slicing(x):
    return np.r_[x, _C10, 1:10]


# test_numpy.py::test_c_
def np_c_(x):
    return np.c_[x, _C32, x]


# test_numpy.py::test_c_mixed
def np_c_mixed(x):
    return np.c_[x, _C32, x]


# test_numpy.py::test_var_ddof
def np_var_ddof(x):
    return np.var(x, axis=1, keepdims=True, ddof=2)


# test_numpy.py::test_std_ddof
def np_std_ddof(x):
    return np.std(x, axis=1, keepdims=True, ddof=2)


# test_numpy.py::test_where
def np_where(x, y):
    return np.where(_C45, x, y)


# test_numpy.py::test_squeeze_func
def np_squeeze_func(x):
    return np.squeeze(x)


# test_numpy.py::test_squeeze_method
def np_squeeze_method(x):
    return x.squeeze()


# test_numpy.py::test_repeat
def np_repeat(x):
    return np.repeat(x, 2, axis=1)


# test_numpy.py::test_repeat_axis1_rep1
def np_repeat_axis1_rep1(x):
    return np.repeat(x, 1, axis=1)


# test_numpy.py::test_repeat_axis0
def np_repeat_axis0(x):
    return np.repeat(x, 2, axis=0)


# test_numpy.py::test_repeat_1d_axis0
def np_repeat_1d_axis0(x):
    return np.repeat(x, 2, axis=0)


# test_numpy.py::test_repeat_axis0_rep1
def np_repeat_axis0_rep1(x):
    return np.repeat(x, 1, axis=0)


# test_numpy.py::test_expand_dims
def np_expand_dims(x):
    return np.expand_dims(x, 2)


# test_numpy.py::test_tensordot_kwargs_by_position
def np_tensordot_kwargs_by_position(x):
    return np.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2)


# test_numpy.py::test_multi_index
def np_multi_index(x):
    return np.sum(x[[0, 0]])


# test_numpy.py::test_multi_index2
def np_multi_index2(x):
    return np.sum(x[[0, 1, 0]])


# test_numpy.py::test_index_dot_slices
def np_index_dot_slices(x):
    return np.dot(x[:2], x[2:])


# test_numpy.py::test_cast_to_int
def np_cast_to_int(w):
    new_w = w[:, :-1]
    inds = np.int64(np.ones(5))
    return new_w[inds].sum()


# test_numpy.py::test_make_diagonal (numpy has no make_diagonal: the same matrices)
def np_make_diagonal(d):
    return d[..., :, None] * np.eye(d.shape[-1])


# test_numpy.py::test_diagonal
def np_diagonal(d):
    return np.diagonal(d, axis1=-1, axis2=-2)


# test_numpy.py::test_nan_to_num
def np_nan_to_num(x):
    return np.sum(np.sin(np.nan_to_num(x + _Y4)))


# test_numpy.py::test_max_equal_values
def np_max_equal_values(x):
    return np.max(np.array([x, x]))


# test_numpy.py::test_max_equal_values_2d
def np_max_equal_values_2d(x):
    return np.max(np.array([[x, x], [x, 0.5]]), axis=1)


# test_numpy.py::test_min_3_way_equality
def np_min_3_way_equality(x):
    return np.min(np.array([[x, x, x], [x, 0.5, 0.5], [0.5, 0.5, 0.5], [x, x, 0.5]]), axis=0)


# test_numpy.py::test_maximum_equal_values
def np_maximum_equal_values(x):
    return np.maximum(x, x)


# test_numpy.py::test_maximum_equal_values_2d
def np_maximum_equal_values_2d(x):
    return np.maximum(np.array([x, x, 0.5]), np.array([[x, 0.5, x], [x, x, 0.5]]))


# test_numpy.py::test_linspace
def np_linspace(x, y):
    return np.linspace(x, y, 5)


# test_numpy.py::test_astype
def np_astype(x):
    return np.sum(np.sin(x.astype("float64")))


# test_numpy.py::test_gradient
def np_gradient(x):
    return np.gradient(x, axis=0)


CASES = [
    (np_dot, (R(10, 11), R(11))),
    (np_dot_with_floats, (R(10, 11), 0.7)),
    (np_outer, (R(11), R(11))),
    (np_max, (R(10, 11),)),
    (np_max_axis, (R(3, 4, 5),)),
    (np_max_axis_keepdims, (R(3, 4, 5),)),
    (np_min, (R(10, 11),)),
    (np_min_axis, (R(3, 4, 5),)),
    (np_min_axis_keepdims, (R(3, 4, 5),)),
    (np_sum_1, (R(10, 11),)),
    (np_sum_2, (R(10, 11),)),
    (np_sum_3, (R(10, 11),)),
    (np_sum_with_axis_tuple, (R(10, 11, 7),)),
    (np_flipud, (R(10, 11),)),
    (np_fliplr, (R(10, 11),)),
    (np_rot90, (R(10, 11),)),
    (np_cumsum_axis0, (R(10, 11),)),
    (np_cumsum_axis1, (R(10, 11),)),
    (np_cumsum_1d, (R(10),)),
    (np_cumsum_no_axis, (R(10, 11),)),
    (np_non_numpy_sum, (R(10, 11), R(10, 11))),
    (np_mean_1, (R(10, 11),)),
    (np_mean_2, (R(10, 11),)),
    (np_mean_3, (R(10, 11),)),
    (np_mean_list_of_boxes, (0.0,)),
    (np_std_list_of_boxes, (0.3,)),
    (np_var_list_of_boxes, (0.3,)),
    (np_index_ints, (R(5, 6, 4),)),
    (np_index_slice, (R(5, 6, 4),)),
    (np_index_lists, (R(5, 6, 4),)),
    (np_index_mixed, (R(5, 6, 4),)),
    (np_vector_slice, (R(5),)),
    (np_index_slice_fanout, (R(5, 6, 4),)),
    (np_index_multiple_slices, (R(7),)),
    (np_reshape_method, (R(5, 6, 4),)),
    (np_reshape_call, (R(5, 6, 4),)),
    (np_reshape_method_nolist, (R(5, 6, 4),)),
    (np_ravel_method, (R(5, 6, 4),)),
    (np_ravel_call, (R(5, 6, 4),)),
    (np_flatten_method, (R(5, 6, 4),)),
    (np_simple_append_list, (np.array([1.0, 2.0, 3.0]), 4.0)),
    (np_simple_append_arr, (np.array([1.0, 2.0, 3.0]), 4.0)),
    (np_simple_append_list_2d, (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                                np.array([[7.0, 8.0, 9.0]]))),
    (np_simple_concatenate, (R(4, 6, 4),)),
    (np_concatenate_axis_0, (R(5, 6, 4),)),
    (np_concatenate_axis_1, (R(5, 6, 4),)),
    (np_concatenate_axis_1_unnamed, (R(5, 6, 4),)),
    (np_trace, (R(10, 11),)),
    (np_trace2, (R(11, 10),)),
    (np_trace_extradims, (R(5, 6, 4, 3),)),
    (np_diag, (R(10, 10),)),
    (np_transpose, (R(8, 8),)),
    (np_roll, (R(4, 5),)),
    (np_roll_no_axis, (R(4, 5),)),
    (np_triu, (R(5, 5),)),
    (np_tril, (R(5, 5),)),
    (np_clip, (R(5, 5),)),
    (np_prod_1, (R(2, 3) ** 2 / 10.0 + 0.1,)),
    (np_prod_2, (R(2, 3) ** 2 + 0.1,)),
    (np_prod_3, (R(2, 3) ** 2 + 0.1,)),
    (np_prod_4, (R(7) ** 2 + 0.1,)),
    (np_1d_array, (1.3,)),
    (np_2d_array, (1.3,)),
    (np_1d_array_fanout, (1.3,)),
    (np_2d_array_fanout, (1.3,)),
    (np_array_from_scalar, (1.3,)),
    (np_scalar_array_box_attributes, (3.0,)),
    (np_array_from_arrays, (R(3, 2),)),
    (np_array_from_arrays_2, (R(3, 2),)),
    (np_len, (R(3, 2),)),
    (np_r_basic, (R(3, 2),)),
    (np_r_double, (R(3, 2),)),
    (np_no_relation, (R(3, 2),)),
    (np_r_no_relation, (R(3, 2),)),
    (np_r_node_and_const, (R(3, 2),)),
    (np_r_mixed, (R(3, 2),)),
    (np_r_slicing, (R(10),)),
    (np_c_, (R(3, 2),)),
    (np_c_mixed, (R(3, 2),)),
    (np_var_ddof, (R(3, 4),)),
    (np_std_ddof, (R(3, 4),)),
    (np_where, (R(4, 5), R(4, 5))),
    (np_squeeze_func, (R(5, 1, 4),)),
    (np_squeeze_method, (R(5, 1, 4),)),
    (np_repeat, (R(5, 3, 4),)),
    (np_repeat_axis1_rep1, (R(5, 3, 4),)),
    (np_repeat_axis0, (R(5, 3),)),
    (np_repeat_1d_axis0, (R(5),)),
    (np_repeat_axis0_rep1, (R(5, 1),)),
    (np_expand_dims, (R(5, 1, 4),)),
    (np_tensordot_kwargs_by_position, (1.0,)),
    (np_multi_index, (R(3),)),
    (np_multi_index2, (R(3),)),
    (np_index_dot_slices, (R(4),)),
    (np_cast_to_int, (R(5, 10),)),
    (np_make_diagonal, (R(3, 4),)),
    (np_diagonal, (R(3, 4, 4),)),
    (np_nan_to_num, (R(4),)),
    (np_max_equal_values, (1.0,)),
    (np_max_equal_values_2d, (1.0,)),
    (np_min_3_way_equality, (1.0,)),
    (np_maximum_equal_values, (1.0,)),
    (np_maximum_equal_values_2d, (1.0,)),
    (np_linspace, (1.2, 3.4)),
    (np_astype, (np.arange(3.0),)),
    (np_gradient, (R(10, 10),)),
]
