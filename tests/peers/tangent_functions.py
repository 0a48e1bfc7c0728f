"""Tangent tests/functions.py: its test functions, re-rendered as plain numpy defs.

Rendered by a script through ``ast.unparse`` (4-space indentation, comments dropped), so
each function does what Tangent's test differentiates. Left out: the TensorFlow-eager
functions (``tfe_*``, ``_trace_mul``, ``_nontrace_mul``) and ``inlining_contextmanager``
(Tangent's ``insert_grad_of`` changes the gradient itself); the three that push and pop
Tangent's stack use the pushed value directly. Arguments follow Tangent's conventions
(scalars a, b, c; an integer n; a vector x).
"""

import numpy as np

_rng = np.random.default_rng(4)


def R(*shape):
    return _rng.standard_normal(shape)



# tangent tests/functions.py::id_
def id_(a):
    return a


# tangent tests/functions.py::unary_sub
def unary_sub(a):
    return -a


# tangent tests/functions.py::sum_
def sum_(x):
    return np.sum(x)


# tangent tests/functions.py::cast_sum_
def cast_sum_(x):
    return np.sum(np.array(x))


# tangent tests/functions.py::overwrite_call
def overwrite_call(x):
    x = np.sum(x)
    x = x * x
    return x


# tangent tests/functions.py::tanh
def tanh(a):
    return np.tanh(a)


# tangent tests/functions.py::identity_assign
def identity_assign(a):
    b = a
    return b


# tangent tests/functions.py::increment
def increment(a):
    return a + 1


# tangent tests/functions.py::saxpy
def saxpy(a, b, c):
    return a * b + c


# tangent tests/functions.py::mul
def mul(a, b):
    return a * b


# tangent tests/functions.py::add
def add(a, b):
    return a + b


# tangent tests/functions.py::saxpy_call
def saxpy_call(a, b, c):
    return add(mul(a, b), c)


# tangent tests/functions.py::saxpy_anf
def saxpy_anf(a, b, c):
    t1 = a * b
    t2 = t1 + c
    return t2


# tangent tests/functions.py::saxpy_overwrite
def saxpy_overwrite(a, b, c):
    t = a * b
    t = t + c
    return t


# tangent tests/functions.py::gradname_aliasing
def gradname_aliasing(a):
    da = a * a
    return da


# tangent tests/functions.py::overwrite_if
def overwrite_if(a):
    if a > 0:
        a = a * 3.0
    else:
        a = a * 2.0
    return a


# tangent tests/functions.py::test_binop_mul1
def test_binop_mul1(a):
    return a * 3.0


# tangent tests/functions.py::test_binop_mul2
def test_binop_mul2(a):
    return 3.0 * a


# tangent tests/functions.py::test_binop_mul3
def test_binop_mul3(a):
    return a * a


# tangent tests/functions.py::test_binop_div1
def test_binop_div1(a):
    return a / 3.0


# tangent tests/functions.py::test_binop_div2
def test_binop_div2(a):
    return 3.0 / a


# tangent tests/functions.py::test_binop_div3
def test_binop_div3(a):
    return a / a


# tangent tests/functions.py::test_binop_sub1
def test_binop_sub1(a):
    return a - 3.0


# tangent tests/functions.py::test_binop_sub2
def test_binop_sub2(a):
    return 3.0 - a


# tangent tests/functions.py::test_binop_sub3
def test_binop_sub3(a):
    return a - a


# tangent tests/functions.py::test_binop_add1
def test_binop_add1(a):
    return a + 3.0


# tangent tests/functions.py::test_binop_add2
def test_binop_add2(a):
    return 3.0 + a


# tangent tests/functions.py::test_binop_add3
def test_binop_add3(a):
    return a + a


# tangent tests/functions.py::nested_if
def nested_if(a):
    if a > 0:
        if a < 10:
            a = a * a
    else:
        a = 3.0 * a
    return a


# tangent tests/functions.py::multiarg_if
def multiarg_if(a):
    if a * a / 3.0 > 0:
        b = 3.0
    else:
        b = 4.0
    a = a * b
    if a < b - a * b:
        a = a * a
    elif a > b + 3.0 * a:
        if a / 2.0 < 0:
            a = a / b
        else:
            a = a * b
    else:
        a = -a
    return a


# tangent tests/functions.py::fn_multiply
def fn_multiply(a):
    return np.multiply(a, 3.0)


# tangent tests/functions.py::fn_multiple_return
def fn_multiple_return(a):
    return (2 * a, a)


# tangent tests/functions.py::test_anf_list
def test_anf_list(a):
    b = [1, a * a, 2]
    return np.sum(b)


# tangent tests/functions.py::test_deep_anf_list
def test_deep_anf_list(x):
    b = [1, x[0] * x[1] * x[2], 3]
    return np.sum(b)


# tangent tests/functions.py::test_subscript1
def test_subscript1(x):
    a = x[0]
    b = x[1]
    return a * b


# tangent tests/functions.py::test_subscript2
def test_subscript2(x):
    a = x[0]
    b = x[1]
    x[0] = a * b
    return np.sum(x)


# tangent tests/functions.py::test_subscript3
def test_subscript3(x):
    y = x ** 2.0
    x[0] = y[1] * y[2]
    return np.sum(x * y)


# tangent tests/functions.py::test_list_and_subscript
def test_list_and_subscript(a):
    x = [1.0, a, 3.0]
    return x[0] * x[1]


# tangent tests/functions.py::test_implicit_indexing
def test_implicit_indexing(x):
    res = 0.0
    for a in x:
        res += a
    return res


# tangent tests/functions.py::serial_if
def serial_if(a):
    if a > 0:
        a = a * a
    a = a + a
    if a < 0:
        a = 3.0 * a
    return a


# tangent tests/functions.py::multivar_if
def multivar_if(a, b):
    if a > b:
        a = a * a
    else:
        a = a * b
    return a


# tangent tests/functions.py::serial_for
def serial_for(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    for i in range(n + 1):
        a = a * 3.0
    return a


# tangent tests/functions.py::serial_ifthenfor
def serial_ifthenfor(a, n):
    if a > 0:
        a = a * a
    a = 2.0 * a
    for i in range(n):
        a = a * a
    return a


# tangent tests/functions.py::serial_forthenif
def serial_forthenif(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    if a > 0:
        a = a * a
    return a


# tangent tests/functions.py::devilish_nested_if
def devilish_nested_if(a):
    if a > 0:
        a = a * 3.0
        if a < 10:
            a = a * a
        else:
            a = a * 2.0
    return a


# tangent tests/functions.py::overwrite_ifelse
def overwrite_ifelse(a):
    if a > 0:
        a = a * 3.0
    elif 0 > a:
        a = a * 2.0
    else:
        a = 1.0 * a
    return a


# tangent tests/functions.py::overwrite_arg
def overwrite_arg(a):
    a = a * 3.0
    return a


# tangent tests/functions.py::overwrite_non_arg
def overwrite_non_arg(a):
    b = a
    b = b * 3.0
    return b


# tangent tests/functions.py::third_pow
def third_pow(a):
    return a * a * a


# tangent tests/functions.py::direct_third_pow
def direct_third_pow(a):
    return a ** 3


# tangent tests/functions.py::iter_third_pow1
def iter_third_pow1(a):
    out = 1
    for i in range(3):
        out = out * a
    return out


# tangent tests/functions.py::iter_third_pow2
def iter_third_pow2(a):
    out = a
    for i in range(3 - 1):
        out = out * a
    return out


# tangent tests/functions.py::iterpower_static
def iterpower_static(a):
    for i in range(3):
        a = a * a
    return a


# tangent tests/functions.py::iterpower
def iterpower(a, n):
    for i in range(n):
        a = a * a
    return a


# tangent tests/functions.py::cond_iterpower1
def cond_iterpower1(a):
    for i in range(3):
        if a < 20:
            a = a * a
    return a


# tangent tests/functions.py::cond_iterpower2
def cond_iterpower2(a):
    if a < 20:
        for i in range(3):
            a = a * a
    return a


# tangent tests/functions.py::superfor_iterpower
def superfor_iterpower(a):
    for i in range(2):
        for j in range(3):
            a = a * a
    return a


# tangent tests/functions.py::super_iterpower
def super_iterpower(a):
    for i in range(3):
        a = a * a * a
    return a


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
    (id_, (0.7,)),
    (unary_sub, (0.7,)),
    (sum_, (R(5),)),
    (cast_sum_, (R(5),)),
    (overwrite_call, (R(5),)),
    (tanh, (0.7,)),
    (identity_assign, (0.7,)),
    (increment, (0.7,)),
    (saxpy, (0.7, -0.4, 1.3,)),
    (mul, (0.7, -0.4,)),
    (add, (0.7, -0.4,)),
    (saxpy_call, (0.7, -0.4, 1.3,)),
    (saxpy_anf, (0.7, -0.4, 1.3,)),
    (saxpy_overwrite, (0.7, -0.4, 1.3,)),
    (gradname_aliasing, (0.7,)),
    (overwrite_if, (0.7,)),
    (test_binop_mul1, (0.7,)),
    (test_binop_mul2, (0.7,)),
    (test_binop_mul3, (0.7,)),
    (test_binop_div1, (0.7,)),
    (test_binop_div2, (0.7,)),
    (test_binop_div3, (0.7,)),
    (test_binop_sub1, (0.7,)),
    (test_binop_sub2, (0.7,)),
    (test_binop_sub3, (0.7,)),
    (test_binop_add1, (0.7,)),
    (test_binop_add2, (0.7,)),
    (test_binop_add3, (0.7,)),
    (nested_if, (0.7,)),
    (multiarg_if, (0.7,)),
    (fn_multiply, (0.7,)),
    (fn_multiple_return, (0.7,)),
    (test_anf_list, (0.7,)),
    (test_deep_anf_list, (R(5),)),
    (test_subscript1, (R(5),)),
    (test_subscript2, (R(5),)),
    (test_subscript3, (R(5),)),
    (test_list_and_subscript, (0.7,)),
    (test_implicit_indexing, (R(5),)),
    (serial_if, (0.7,)),
    (multivar_if, (0.7, -0.4,)),
    (serial_for, (0.7, 3,)),
    (serial_ifthenfor, (0.7, 3,)),
    (serial_forthenif, (0.7, 3,)),
    (devilish_nested_if, (0.7,)),
    (overwrite_ifelse, (0.7,)),
    (overwrite_arg, (0.7,)),
    (overwrite_non_arg, (0.7,)),
    (third_pow, (0.7,)),
    (direct_third_pow, (0.7,)),
    (iter_third_pow1, (0.7,)),
    (iter_third_pow2, (0.7,)),
    (iterpower_static, (0.7,)),
    (iterpower, (0.7, 3,)),
    (cond_iterpower1, (0.7,)),
    (cond_iterpower2, (0.7,)),
    (superfor_iterpower, (0.7,)),
    (super_iterpower, (0.7,)),
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
