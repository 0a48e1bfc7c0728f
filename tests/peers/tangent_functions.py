"""Tangent tests/functions.py: its test functions, re-rendered as plain numpy defs.

Rendered by a script through ``ast.unparse`` (4-space indentation, comments dropped), so
each function does what Tangent's test differentiates. Left out: the TensorFlow-eager
functions (``tfe_*``, ``_trace_mul``, ``_nontrace_mul``) and ``inlining_contextmanager``
(Tangent's ``insert_grad_of`` changes the gradient itself); the three that push and pop
Tangent's stack use the pushed value directly. Arguments follow Tangent's conventions
(scalars a, b, c; an integer n; a vector x).
"""

# ruff: noqa: B007, F841 (the originals' unused loop variables and stores)

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
]
