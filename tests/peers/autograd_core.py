"""autograd tests/test_core.py, test_graphs.py, test_binary_ops.py, test_direct.py,
test_truediv.py, test_builtins.py and test_misc.py: the functions they differentiate,
as plain numpy defs. Higher-order tests (grad of grad) keep their first-order function;
tests of autograd internals (flatten, const_graph) keep the function they differentiate.
Rendered by a script from a table of (test, body, arguments).
"""

import numpy as np

_rng = np.random.default_rng(3)


def R(*shape):
    return _rng.standard_normal(shape)


def _gap(x):
    return np.sqrt(x**2 + 0.5)


_V10 = R(10)


# test_core.py::test_add
def core_add(x, y):
    return x + y


# test_core.py::test_sub
def core_sub(x, y):
    return x - y


# test_core.py::test_div
def core_div(x, y):
    return x / y


# test_core.py::test_mul
def core_mul(x, y):
    return x * y


# test_core.py::test_pow
def core_pow(x, y):
    return x**y


# test_core.py::test_mod
def core_mod(x, y):
    return x % y


# test_core.py::test_eq
def core_eq(x, y):
    return x == y


# test_core.py::test_neq
def core_neq(x, y):
    return x != y


# test_core.py::test_leq
def core_leq(x, y):
    return x <= y


# test_core.py::test_geq
def core_geq(x, y):
    return x >= y


# test_core.py::test_lt
def core_lt(x, y):
    return x < y


# test_core.py::test_gt
def core_gt(x, y):
    return x > y


# test_graphs.py::test_grad_fanout
def graphs_grad_fanout(x):
    return np.sin(np.sin(x) + np.sin(x))


# test_graphs.py::test_grad_const
def graphs_grad_const(x):
    return 1.0


# test_graphs.py::test_grad_identity
def graphs_grad_identity(x):
    return x


# test_graphs.py::test_hess_vector_prod
def graphs_hess_vector_prod(x):
    return np.sin(np.dot(x, _V10))


# test_graphs.py::test_hess_vector_prod_vector_product
def graphs_hess_vector_prod_vector_product(x, v):
    return np.sin(np.dot(v, np.cos(np.dot(x, _V10)) * _V10))


# test_graphs.py::test_enclosing_scope_ref
def graphs_enclosing_scope_ref(x):
    return x * (x * 1.0)


# test_graphs.py::test_mutating_outgrad
def graphs_mutating_outgrad(a):
    b = a + 1.0
    c = b + 1.5
    d = a + b
    e = d + c
    return e


# test_graphs.py::test_mutating_outgrad_from_indexing
def graphs_mutating_outgrad_from_indexing(a):
    b = a + 1.0
    c = b[0] + 1.5
    d = a + b
    e = d + c
    return e


# test_graphs.py::test_complex_mutating_outgrad_from_indexing
def graphs_complex_mutating_outgrad_from_indexing(a):
    b = a + 1.0j
    c = b[0] + 1.5
    d = a + b
    e = d + c
    return np.sum(np.sin(np.real(e)))


# test_graphs.py::test_complex_separate_real_and_imaginary
def graphs_complex_separate_real_and_imaginary(a):
    r, i = np.real(a), np.imag(a)
    a = np.abs(r) ** 1.4 + np.abs(i) ** 1.3
    return np.sum(np.sin(a))


# test_graphs.py::test_third_derivative
def graphs_third_derivative(x):
    return np.sin(np.sin(x) + np.sin(x))


# test_graphs.py::test_third_derivative_other_args
def graphs_third_derivative_other_args(x, y):
    return np.sin(np.sin(x) + np.sin(y))


# test_graphs.py::test_singleton_array_output
def graphs_singleton_array_output(x):
    return np.sum(np.sin(x), keepdims=True)


# test_graphs.py::test_singleton_array_output_axis0
def graphs_singleton_array_output_axis0(x):
    return np.sum(np.sin(x), axis=0, keepdims=False)


# test_graphs.py::test_singleton_array_output_axis1
def graphs_singleton_array_output_axis1(x):
    return np.sum(np.sin(x), axis=1, keepdims=False)


# test_graphs.py::test_singleton_array_output_axis0_keepdims
def graphs_singleton_array_output_axis0_keepdims(x):
    return np.sum(np.sin(x), axis=0, keepdims=True)


# test_graphs.py::test_singleton_array_output_axis1_keepdims
def graphs_singleton_array_output_axis1_keepdims(x):
    return np.sum(np.sin(x), axis=1, keepdims=True)


# test_graphs.py::test_assignment_raises_error
def graphs_assignment_raises_error(a, b):
    a[1] = b
    return a


# test_binary_ops.py::test_mul
def binary_mul(x, y):
    return x * y


# test_binary_ops.py::test_add
def binary_add(x, y):
    return x + y


# test_binary_ops.py::test_sub
def binary_sub(x, y):
    return x - y


# test_binary_ops.py::test_div
def binary_div(x, y):
    return x / y


# test_binary_ops.py::test_mod
def binary_mod(x, y):
    return x % y


# test_binary_ops.py::test_pow
def binary_pow(x, y):
    return x**y


# test_binary_ops.py::test_arctan2
def binary_arctan2(x, y):
    return np.arctan2(x, y)


# test_binary_ops.py::test_hypot
def binary_hypot(x, y):
    return np.hypot(x, y)


# test_binary_ops.py::test_comparison_grads
def binary_comparison_grads(x, y):
    return np.sum(x < y) + np.sum(x <= y) + np.sum(x > y) + np.sum(x >= y) + np.sum(x == y) + np.sum(x != y) + 0.0


# test_binary_ops.py::test_comparison_values
def binary_comparison_values(x, y):
    return np.sum(x < y) + 0.0


# test_direct.py::test_grad
def direct_grad(x):
    return (x + np.sin(x**2)) * x


# test_direct.py::test_deriv
def direct_deriv(x):
    return (x + np.sin(x**2)) * x


# test_direct.py::test_grad_complex_output
def direct_grad_complex_output(x):
    return x * (1.0 + 0.2j)


# test_direct.py::test_holomorphic_grad
def direct_holomorphic_grad(x):
    return x * (1.0 + 0.2j)


# test_truediv.py::test_div
def truediv_div(x, y):
    return x / y


# test_builtins.py::test_isinstance
def builtins_isinstance(x):
    assert isinstance(x, np.ndarray)
    return 1.0 * np.sum(x)


# test_misc.py::test_const_graph
def misc_const_graph(x, y):
    return np.cos(x * y) + 2


# test_misc.py::test_const_graph_args
def misc_const_graph_args(x, y, z):
    return x + 2 * y + 3 * z


# test_misc.py::test_flatten_nodes_in_containers
def misc_flatten_nodes_in_containers(x, y):
    return np.sum(np.concatenate([np.ravel(x), np.ravel(y)]))


CASES = [
    (core_add, (0.7, 1.8,)),
    (core_sub, (0.7, 1.8,)),
    (core_div, (0.7, 1.8,)),
    (core_mul, (0.7, 1.8,)),
    (core_pow, (0.7, 1.8,)),
    (core_mod, (0.7, 1.8,)),
    (core_eq, (0.7, 1.8,)),
    (core_neq, (0.7, 1.8,)),
    (core_leq, (0.7, 1.8,)),
    (core_geq, (0.7, 1.8,)),
    (core_lt, (0.7, 1.8,)),
    (core_gt, (0.7, 1.8,)),
    (graphs_grad_fanout, (0.37,)),
    (graphs_grad_const, (2.0,)),
    (graphs_grad_identity, (2.0,)),
    (graphs_hess_vector_prod, (R(10),)),
    (graphs_hess_vector_prod_vector_product, (R(10), R(10),)),
    (graphs_enclosing_scope_ref, (1.0,)),
    (graphs_mutating_outgrad, (R(5),)),
    (graphs_mutating_outgrad_from_indexing, (R(5),)),
    (graphs_complex_mutating_outgrad_from_indexing, (R(5),)),
    (graphs_complex_separate_real_and_imaginary, (R(5, 3) + 0.1j * R(5, 3),)),
    (graphs_third_derivative, (0.61,)),
    (graphs_third_derivative_other_args, (0.61, -0.3,)),
    (graphs_singleton_array_output, (R(3, 3),)),
    (graphs_singleton_array_output_axis0, (R(3, 1),)),
    (graphs_singleton_array_output_axis1, (R(1, 3),)),
    (graphs_singleton_array_output_axis0_keepdims, (R(3, 1),)),
    (graphs_singleton_array_output_axis1_keepdims, (R(1, 3),)),
    (graphs_assignment_raises_error, (R(5), 3.0,)),
    (binary_mul, (R(3, 4), R(1, 4),)),
    (binary_add, (2.0, R(3, 4),)),
    (binary_sub, (R(4), R(3, 4),)),
    (binary_div, (_gap(R(3, 4)), _gap(R(1, 4)),)),
    (binary_mod, (_gap(R(3, 4)), _gap(R(4)),)),
    (binary_pow, (np.abs(R(3, 4)) + 1.1, R(1, 4),)),
    (binary_arctan2, (R(3, 4), R(1, 4),)),
    (binary_hypot, (R(3, 4), R(1, 4),)),
    (binary_comparison_grads, (R(3, 4), R(1, 4),)),
    (binary_comparison_values, (R(4), R(3, 4),)),
    (direct_grad, (1.3,)),
    (direct_deriv, (-0.4,)),
    (direct_grad_complex_output, (1.0,)),
    (direct_holomorphic_grad, (1.0 + 0.0j,)),
    (truediv_div, (_gap(R(4)), _gap(R(1, 4)),)),
    (builtins_isinstance, (np.zeros(1),)),
    (misc_const_graph, (1.0, 0.5,)),
    (misc_const_graph_args, (1.0, 2.0, 3.0,)),
    (misc_flatten_nodes_in_containers, (1.0, 2.0,)),
]
