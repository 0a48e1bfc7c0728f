"""autograd tests/test_wrappers.py, test_list.py, test_tuple.py, test_dict.py,
test_jacobian.py and test_logic.py: the functions they differentiate, as plain numpy defs.

The wrappers' own machinery (hessian, make_hvp, jacobian, ...) is autograd's API, not the
function: each test keeps the function the wrapper is applied to. Tests of autograd
internals only (deprecated defgrad wrappers, docstrings, where's dtypes, memory) are left
out. Lists of arrays are passed as tuples where symgrad's parameters are tuples.
"""

import numpy as np

_rng = np.random.default_rng(6)


def R(*shape):
    return _rng.standard_normal(shape)


_H5 = R(5, 5)
_A35 = R(3, 5)
_A54 = R(5, 4)


# test_wrappers.py::test_return_both
def wr_return_both(x):
    return 3.0 * x**3.2


# test_wrappers.py::test_value_and_grad
def wr_value_and_grad(x):
    return np.sum(np.sin(x) ** 2)


# test_wrappers.py::test_hessian
def wr_hessian(x):
    return np.dot(np.dot(x, _H5), x)


# test_wrappers.py::test_multigrad
def wr_multigrad(a, b, c, d, e, f=1.1, g=9.0):
    return a + np.sin(b) + np.cosh(c) + np.cos(d) + np.tan(e) + f + g


# test_wrappers.py::test_multigrad (complicated_fun_3_1: d and b packed in a tuple)
def wr_multigrad_packed(d_b):
    d, b = d_b
    return 0.5 + np.sin(b) + np.cosh(0.2) + np.cos(d) + np.tan(0.7) + 0.6 - 0.1


# test_wrappers.py::test_multigrad_onearg
def wr_multigrad_onearg(x, y):
    return np.sum(x + np.sin(y))


# test_wrappers.py::test_multigrad_onearg (packed_fun)
def wr_multigrad_onearg_packed(xy):
    return np.sum(xy[0] + np.sin(xy[1]))


# test_wrappers.py::test_elementwise_grad
def wr_elementwise_grad(a):
    return a + np.sin(a) + np.cosh(a)


# test_wrappers.py::test_elementwise_grad_multiple_args
def wr_elementwise_grad_multiple_args(a, b):
    return a + np.sin(a) + np.cosh(b)


# test_wrappers.py::test_hessian_tensor_product
def wr_hessian_tensor_product(a):
    return np.sum(np.sin(a))


# test_wrappers.py::test_tensor_jacobian_product
def wr_tensor_jacobian_product(a):
    return np.roll(np.sin(a), 1)


# test_wrappers.py::test_deprecated_defgrad_wrapper
def wr_deprecated_defgrad_wrapper(x, y):
    return x * y


# test_wrappers.py::test_deprecated_defvjp_is_zero_wrapper
def wr_deprecated_defvjp_is_zero_wrapper(x, y):
    return 0 * x * y


# test_wrappers.py::test_deprecated_quick_grad_check_wrapper
def wr_quick_grad_check(x, y):
    return x**2 + y


# test_wrappers.py::test_partial
def wr_partial(x, y=1):
    return x


# test_wrappers.py::test_dtypes
def wr_dtypes(x):
    return np.real(np.sum(x**2))


# test_wrappers.py::test_custom_where
def wr_custom_where(x, y):
    return np.where(np.array([True, False, True]), x, y)


# test_wrappers.py::checkpoint_memory
def wr_checkpoint(a):
    for _ in range(10):
        a = np.sin(a**2 + 1)
    return np.sum(a)


# test_wrappers.py::test_make_jvp
def wr_make_jvp(x):
    return np.tanh(np.dot(_A35, x))


# test_wrappers.py::test_make_ggnvp
def wr_make_ggnvp(x):
    y = np.tanh(np.dot(_A54, x))
    return 1.0 / 2 * np.dot(y, y)


# test_wrappers.py::test_make_ggnvp_nondefault_g
def wr_make_ggnvp_nondefault_g(x):
    y = np.dot(_A54, x)
    return np.sum(2.0 * y**2 + y**4)


# test_wrappers.py::test_grad_and_aux
def wr_grad_and_aux(x):
    return np.sum(np.dot(_A54, x))


# test_list.py::test_getter
def list_getter(input_list):
    a = np.sum(input_list[0])
    b = np.sum(input_list[1])
    c = np.sum(input_list[1])
    return a + b + c


# test_list.py::test_grads
def list_grads(input_list):
    a = np.sum(np.sin(input_list[0]))
    b = np.sum(np.cos(input_list[1]))
    return a + b


# test_list.py::test_slices
def list_slices(x):
    y = x[1:3]
    return y[0]


# test_list.py::test_nested_list
def list_nested_list(x):
    return x[1:][0]


# test_list.py::test_make_list
def list_make_list(x):
    return [x, x]


# test_list.py::test_isinstance
def list_isinstance(x):
    return x[0]


# test_tuple.py::test_getter
def tuple_getter(input_tuple):
    a = np.sum(input_tuple[0])
    b = np.sum(input_tuple[1])
    c = np.sum(input_tuple[1])
    return a + b + c


# test_tuple.py::test_grads
def tuple_grads(input_tuple):
    a = np.sum(np.sin(input_tuple[0]))
    b = np.sum(np.cos(input_tuple[1]))
    return a + b


# test_tuple.py::test_nested_higher_order (inner_fun's gradient written out)
def tuple_nested_higher_order(x):
    y = (x, x)
    return np.sum(np.sin(np.array([y[1], y[0]])))


# test_tuple.py::test_isinstance
def tuple_isinstance(x):
    return x[0]


# test_dict.py::test_getter
def dict_getter(input_dict):
    a = np.sum(input_dict["item_1"])
    b = np.sum(input_dict["item_2"])
    c = np.sum(input_dict["item_2"])
    return a + b + c


# test_dict.py::test_grads
def dict_grads(input_dict):
    a = np.sum(np.sin(input_dict["item_1"]))
    b = np.sum(np.cos(input_dict["item_2"]))
    return a + b


# test_dict.py::test_iter
def dict_iter(input_dict):
    a = 0.0
    b = 0.0
    for i, k in enumerate(sorted(input_dict)):
        a = a + np.sum(np.sin(input_dict[k])) * (i + 1.0)
        b = b + np.sum(np.cos(input_dict[k]))
    return a + b


# test_dict.py::test_items_values_keys
def dict_items_values_keys(input_dict):
    a = 0.0
    for v in input_dict.values():
        a = a + np.sum(np.sin(v))
    return a


# test_dict.py::test_get
def dict_get(d, x):
    return d.get("item_1", x) ** 2


# test_dict.py::test_make_dict
def dict_make_dict(x):
    return {"a": x, "b": x}


# test_dict.py::test_isinstance
def dict_isinstance(x):
    return x["x"]


# test_jacobian.py::test_jacobian_against_grad
def jac_against_grad(x):
    return np.sum(np.sin(x), axis=1, keepdims=True)


# test_jacobian.py::test_jacobian_scalar_to_vector
def jac_scalar_to_vector(x):
    return np.array([x, x**2, x**3])


# test_jacobian.py::test_jacobian_against_stacked_grads
def jac_against_stacked_grads(x):
    return np.array([np.sum(x**3), np.prod(np.sin(x) + np.sin(x))])


# test_jacobian.py::test_jacobian_higher_order
def jac_higher_order(x):
    return np.sin(np.outer(x, x)) + np.cos(np.dot(x, x))


# test_logic.py::test_assert
def logic_assert(x):
    return np.sum(x)


# test_logic.py::test_nograd
def logic_nograd(x):
    return np.allclose(x, (x * 3.0) / 3.0)


# test_logic.py::test_falseyness
def logic_falseyness(x):
    return np.real(x**2 if np.iscomplex(x) else np.sum(x))


_D3 = {"item_1": R(5, 6), "item_2": R(4, 3), "item_X": R(2, 4)}
_T3 = (R(5, 6), R(4, 3), R(2, 4))

CASES = [
    (wr_return_both, (1.7,)),
    (wr_value_and_grad, (R(5),)),
    (wr_hessian, (R(5),)),
    (wr_multigrad, (0.5, -0.3, 0.2, -1.1, 0.7, 0.6, -0.1)),
    (wr_multigrad_packed, ((-1.1, -0.3),)),
    (wr_multigrad_onearg, (R(3), R(3))),
    (wr_multigrad_onearg_packed, ((R(3), R(3)),)),
    (wr_elementwise_grad, (R(10),)),
    (wr_elementwise_grad_multiple_args, (0.9, R(10))),
    (wr_hessian_tensor_product, (R(5, 4, 3),)),
    (wr_tensor_jacobian_product, (R(5, 4),)),
    (wr_deprecated_defgrad_wrapper, (R(2, 2), R(2, 2))),
    (wr_deprecated_defvjp_is_zero_wrapper, (R(2, 2), R(2, 2))),
    (wr_quick_grad_check, (1.0, 2.0)),
    (wr_partial, (0.4, 1)),
    (wr_dtypes, (R(10, 10),)),
    (wr_custom_where, (np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))),
    (wr_checkpoint, (R(20),)),
    (wr_make_jvp, (R(5),)),
    (wr_make_ggnvp, (R(4),)),
    (wr_make_ggnvp_nondefault_g, (R(4),)),
    (wr_grad_and_aux, (R(4),)),
    (list_getter, (_T3,)),
    (list_grads, (_T3,)),
    (list_slices, ((1.0, 2.0, 3.0),)),
    (list_nested_list, ((1.0, 2.0, 1.5),)),
    (list_make_list, (1.0,)),
    (list_isinstance, ((1.0, 2.0, 3.0),)),
    (tuple_getter, (_T3,)),
    (tuple_grads, (_T3,)),
    (tuple_nested_higher_order, (5.0,)),
    (tuple_isinstance, ((1.0, 2.0, 3.0),)),
    (dict_getter, (_D3,)),
    (dict_grads, (_D3,)),
    (dict_iter, (_D3,)),
    (dict_items_values_keys, (_D3,)),
    (dict_get, ({"item_1": 3.0}, 2.0)),
    (dict_make_dict, (1.0,)),
    (dict_isinstance, ({"x": 1.0},)),
    (jac_against_grad, (R(1, 3),)),
    (jac_scalar_to_vector, (0.8,)),
    (jac_against_stacked_grads, (R(5),)),
    (jac_higher_order, (R(2),)),
    (logic_assert, (np.array([1.0, 2.0, 3.0]),)),
    (logic_nograd, (np.array([1.0, 2.0, 3.0]),)),
    (logic_falseyness, (2.0,)),
]
