"""Tangent tests/functions.py, from its 'Numpy grads' section on: its test functions, re-rendered as plain numpy defs.

Rendered by a script through ``ast.unparse`` (4-space indentation, comments dropped), so
each function does what Tangent's test differentiates. Left out: the TensorFlow-eager
functions (``tfe_*``, ``_trace_mul``, ``_nontrace_mul``) and ``inlining_contextmanager``
(Tangent's ``insert_grad_of`` changes the gradient itself); the three that push and pop
Tangent's stack use the pushed value directly. Arguments follow Tangent's conventions
(scalars a, b, c; an integer n; a vector x).
"""

# ruff: noqa: B007, F841 (the originals' unused loop variables and stores)

import numpy as np

from peers.tangent_functions import mul  # called by gradgrad_chain_of_multcalls

_rng = np.random.default_rng(4)


def R(*shape):
    return _rng.standard_normal(shape)



# tangent tests/functions.py::numpy_sum
def numpy_sum(x):
    return np.sum(x)


# tangent tests/functions.py::numpy_mean
def numpy_mean(x):
    return np.mean(x)


# tangent tests/functions.py::numpy_exp
def numpy_exp(a):
    return np.exp(a)


# tangent tests/functions.py::numpy_exp2
def numpy_exp2(a):
    return np.exp(np.exp(a))


# tangent tests/functions.py::numpy_sqrt
def numpy_sqrt(a):
    if a >= 0:
        r = np.sqrt(a)
    else:
        r = np.sqrt(-a)
    return r


# tangent tests/functions.py::numpy_cos
def numpy_cos(a):
    return np.cos(a)


# tangent tests/functions.py::numpy_sin
def numpy_sin(a):
    return np.sin(a)


# tangent tests/functions.py::numpy_tan
def numpy_tan(a):
    return np.tan(a)


# tangent tests/functions.py::numpy_cosh
def numpy_cosh(a):
    return np.cosh(a)


# tangent tests/functions.py::numpy_sinh
def numpy_sinh(a):
    return np.sinh(a)


# tangent tests/functions.py::numpy_tanh
def numpy_tanh(a):
    return np.tanh(a)


# tangent tests/functions.py::numpy_arccos
def numpy_arccos(a):
    return np.arccos(a)


# tangent tests/functions.py::numpy_arcsin
def numpy_arcsin(a):
    return np.arcsin(a)


# tangent tests/functions.py::numpy_arctan
def numpy_arctan(a):
    return np.arctan(a)


# tangent tests/functions.py::numpy_atleast_1d
def numpy_atleast_1d(x):
    return np.sum(np.atleast_1d(x))


# tangent tests/functions.py::numpy_atleast_2d
def numpy_atleast_2d(x):
    return np.sum(np.atleast_2d(x))


# tangent tests/functions.py::numpy_atleast_3d
def numpy_atleast_3d(x):
    return np.sum(np.atleast_3d(x))


# tangent tests/functions.py::logistic_regression
def logistic_regression(input, label, W, b):
    h1 = np.dot(input, W) + b
    prediction = 0.5 * (np.tanh(h1) + 1)
    label_probabilities = prediction * label + (1 - prediction) * (1 - label)
    loss = -np.sum(np.log(label_probabilities))
    return loss


# tangent tests/functions.py::det
def det(sqm):
    return np.linalg.det(sqm)


# tangent tests/functions.py::_inner_fn
def _inner_fn(a, b):
    return a * b


# tangent tests/functions.py::mul_with_call
def mul_with_call(a, b):
    return _inner_fn(a, b)


# tangent tests/functions.py::if_mul_with_call
def if_mul_with_call(a, b):
    if a > b:
        o = _inner_fn(a, b)
    else:
        o = _inner_fn(b, a)
    return o


# tangent tests/functions.py::iterpower_with_call
def iterpower_with_call(a, n):
    for i in range(n):
        a = _inner_fn(a, a)
    return a


# tangent tests/functions.py::nested_call
def nested_call(a, b):
    return mul_with_call(a, b)


# tangent tests/functions.py::iterpower_with_nested_def
def iterpower_with_nested_def(a, n):

    def _fn(a, n):
        return a * n
    for i in range(n):
        a = _fn(a, a)
    return a


# tangent tests/functions.py::unpacking_args_saxpy
def unpacking_args_saxpy(abc_packed_in_tuple):
    a, b, c = abc_packed_in_tuple
    return a * b + c


# tangent tests/functions.py::dict_saxpy
def dict_saxpy(val):
    return val['a'] * val['b'] + val['c']


# tangent tests/functions.py::dict_wrapper
def dict_wrapper(abc_packed_in_tuple):
    a, b, c = abc_packed_in_tuple
    return dict_saxpy(dict(a=a, b=b, c=c))


# tangent tests/functions.py::passthru_pack
def passthru_pack(a, b, c, i):
    x = (a, b, c)
    return x[i]


# tangent tests/functions.py::passthru_unpack
def passthru_unpack(abc_packed_in_tuple):
    a, b, c = abc_packed_in_tuple
    return a


# tangent tests/functions.py::cart2polar (np.arctan(b, a) in the original passes a as out=: arctan2, as its comment says)
def cart2polar(a, b):
    r = np.sqrt(a**2.0 + b**2.0)
    theta = np.arctan2(b, a)
    return r, theta


# tangent tests/functions.py::listcomp
def listcomp(a):
    return np.sum([i * 3 for i in a])


# tangent tests/functions.py::while_big
def while_big(a):
    while np.abs(a) > 0.1:
        a = a * 0.5
    return a


# tangent tests/functions.py::active_subscript
def active_subscript(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y)


# tangent tests/functions.py::init_array_grad_maybe_active
def init_array_grad_maybe_active(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h)


# tangent tests/functions.py::slicing
def slicing(x):
    return np.sum(x[1:])


# tangent tests/functions.py::rnn
def rnn(inputs, W):
    h = np.zeros((4, 3))
    for t in range(3):
        h[t + 1] = np.dot(inputs[t], W) + h[t]
    return np.sum(h[1:])


# tangent tests/functions.py::augassign
def augassign(a):
    x = a * a
    x *= x
    return x


# tangent tests/functions.py::bilinear
def bilinear(x, h, U, W, b):
    y = np.dot(x, W)
    y = y + np.dot(h, U)
    y = y + b
    y = np.tanh(y)
    return np.sum(y)


# tangent tests/functions.py::stack_pushing (tangent.push/pop of a: the value itself)
def stack_pushing(a):
    y = a * a
    aa = a
    z = y * aa
    z = z * aa
    return z


# tangent tests/functions.py::gradgrad_pow
def gradgrad_pow(a, b):
    if a >= 0:
        a = a ** b
    else:
        a = (-a) ** b
    return a


# tangent tests/functions.py::gradgrad_pow_twice
def gradgrad_pow_twice(a):
    a = a * a
    y = a * a
    return y


# tangent tests/functions.py::gradgrad_chain_of_mults
def gradgrad_chain_of_mults(a):
    b = a
    b = a * a
    c = b * b
    d = c * c
    return d


# tangent tests/functions.py::gradgrad_chain_of_multcalls
def gradgrad_chain_of_multcalls(a):
    b = mul(a, a)
    c = mul(b, b)
    d = mul(c, c)
    return d


# tangent tests/functions.py::useless_stack_ops (tangent.push/pop of b: the value itself)
def useless_stack_ops(a):
    b = a * a
    b = b
    return a


# tangent tests/functions.py::redefining_var_as_list (tangent.push/pop of x: the value itself)
def redefining_var_as_list(a):
    x = a
    x = [a]
    x = a
    return a


# tangent tests/functions.py::nested_dict
def nested_dict(p):
    return p['i']['j'] * p['i']['k']


# tangent tests/functions.py::extended_slice
def extended_slice(x):
    return np.sum(x[::2, np.newaxis])


CASES = [
    (numpy_sum, (R(5),)),
    (numpy_mean, (R(5),)),
    (numpy_exp, (0.7,)),
    (numpy_exp2, (0.7,)),
    (numpy_sqrt, (0.7,)),
    (numpy_cos, (0.7,)),
    (numpy_sin, (0.7,)),
    (numpy_tan, (0.7,)),
    (numpy_cosh, (0.7,)),
    (numpy_sinh, (0.7,)),
    (numpy_tanh, (0.7,)),
    (numpy_arccos, (0.7,)),
    (numpy_arcsin, (0.7,)),
    (numpy_arctan, (0.7,)),
    (numpy_atleast_1d, (0.7,)),
    (numpy_atleast_2d, (R(5),)),
    (numpy_atleast_3d, (R(2, 3),)),
    (logistic_regression, (R(3, 4), (R(3, 2) > 0) * 1.0, R(4, 2), R(2),)),
    (det, (R(3, 3),)),
    (_inner_fn, (0.7, -0.4,)),
    (mul_with_call, (0.7, -0.4,)),
    (if_mul_with_call, (0.7, -0.4,)),
    (iterpower_with_call, (0.7, 3,)),
    (nested_call, (0.7, -0.4,)),
    (iterpower_with_nested_def, (0.7, 3,)),
    (unpacking_args_saxpy, ((0.7, -0.4, 1.3),)),
    (dict_saxpy, ({'a': 0.7, 'b': -0.4, 'c': 1.3},)),
    (dict_wrapper, ((0.7, -0.4, 1.3),)),
    (passthru_pack, (0.7, -0.4, 1.3, 1,)),
    (passthru_unpack, ((0.7, -0.4, 1.3),)),
    (cart2polar, (0.7, -0.4,)),
    (listcomp, (R(4),)),
    (while_big, (2.3,)),
    (active_subscript, (R(5),)),
    (init_array_grad_maybe_active, (R(5),)),
    (slicing, (R(5),)),
    (rnn, (R(3, 5), R(5, 3),)),
    (augassign, (0.7,)),
    (bilinear, (R(4), R(3), R(3, 2), R(4, 2), R(2),)),
    (stack_pushing, (0.7,)),
    (gradgrad_pow, (0.7, -0.4,)),
    (gradgrad_pow_twice, (0.7,)),
    (gradgrad_chain_of_mults, (0.7,)),
    (gradgrad_chain_of_multcalls, (0.7,)),
    (useless_stack_ops, (0.7,)),
    (redefining_var_as_list, (0.7,)),
    (nested_dict, ({'i': {'j': 0.7, 'k': -0.4}},)),
    (extended_slice, (R(6, 2),)),
]
