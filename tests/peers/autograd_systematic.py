"""autograd tests/test_systematic.py, one plain numpy function per test.

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



# test_systematic.py::test_max
def sys_max(x):
    return np.max(x, axis=0, keepdims=True)


# test_systematic.py::test_mean
def sys_mean(x):
    return np.mean(x, axis=0, keepdims=True)


# test_systematic.py::test_min
def sys_min(x):
    return np.min(x, axis=0, keepdims=True)


# test_systematic.py::test_sum
def sys_sum(x):
    return np.sum(x, axis=0, keepdims=True)


# test_systematic.py::test_prod
def sys_prod(x):
    return np.prod(x, axis=0, keepdims=True)


# test_systematic.py::test_var
def sys_var(x):
    return np.var(x, axis=0, keepdims=True)


# test_systematic.py::test_std
def sys_std(x):
    return np.std(x, axis=0, keepdims=True)


# test_systematic.py::test_sin
def sys_sin(x):
    return np.sin(x)


# test_systematic.py::test_abs
def sys_abs(x):
    return np.abs(x)


# test_systematic.py::test_absolute
def sys_absolute(x):
    return np.absolute(x)


# test_systematic.py::test_arccosh
def sys_arccosh(x):
    return np.arccosh(x)


# test_systematic.py::test_arcsinh
def sys_arcsinh(x):
    return np.arcsinh(x)


# test_systematic.py::test_arctanh
def sys_arctanh(x):
    return np.arctanh(x)


# test_systematic.py::test_ceil
def sys_ceil(x):
    return np.ceil(x)


# test_systematic.py::test_cos
def sys_cos(x):
    return np.cos(x)


# test_systematic.py::test_cosh
def sys_cosh(x):
    return np.cosh(x)


# test_systematic.py::test_deg2rad
def sys_deg2rad(x):
    return np.deg2rad(x)


# test_systematic.py::test_degrees
def sys_degrees(x):
    return np.degrees(x) / 50.0


# test_systematic.py::test_exp
def sys_exp(x):
    return np.exp(x)


# test_systematic.py::test_exp2
def sys_exp2(x):
    return np.exp2(x)


# test_systematic.py::test_expm1
def sys_expm1(x):
    return np.expm1(x)


# test_systematic.py::test_fabs
def sys_fabs(x):
    return np.fabs(x)


# test_systematic.py::test_floor
def sys_floor(x):
    return np.floor(x)


# test_systematic.py::test_log
def sys_log(x):
    return np.log(x)


# test_systematic.py::test_log10
def sys_log10(x):
    return np.log10(x)


# test_systematic.py::test_log1p
def sys_log1p(x):
    return np.log1p(x)


# test_systematic.py::test_log2
def sys_log2(x):
    return np.log2(x)


# test_systematic.py::test_rad2deg
def sys_rad2deg(x):
    return np.rad2deg(x) / 50.0


# test_systematic.py::test_radians
def sys_radians(x):
    return np.radians(x)


# test_systematic.py::test_sign
def sys_sign(x):
    return np.sign(x)


# test_systematic.py::test_sinh
def sys_sinh(x):
    return np.sinh(x)


# test_systematic.py::test_sqrt
def sys_sqrt(x):
    return np.sqrt(x)


# test_systematic.py::test_square
def sys_square(x):
    return np.square(x)


# test_systematic.py::test_tan
def sys_tan(x):
    return np.tan(x)


# test_systematic.py::test_tanh
def sys_tanh(x):
    return np.tanh(x)


# test_systematic.py::test_real
def sys_real(x):
    return np.real(x)


# test_systematic.py::test_real_if_close
def sys_real_if_close(x):
    return np.real_if_close(x)


# test_systematic.py::test_imag
def sys_imag(x):
    return np.imag(x)


# test_systematic.py::test_conj
def sys_conj(x):
    return np.conj(x)


# test_systematic.py::test_conjugate
def sys_conjugate(x):
    return np.conjugate(x)


# test_systematic.py::test_angle
def sys_angle(x):
    return np.angle(x)


# test_systematic.py::test_add
def sys_add(a, b):
    return np.add(a, b)


# test_systematic.py::test_logaddexp
def sys_logaddexp(a, b):
    return np.logaddexp(a, b)


# test_systematic.py::test_logaddexp2
def sys_logaddexp2(a, b):
    return np.logaddexp2(a, b)


# test_systematic.py::test_remainder
def sys_remainder(a, b):
    return np.remainder(a, b)


# test_systematic.py::test_true_divide
def sys_true_divide(a, b):
    return np.true_divide(a, b)


# test_systematic.py::test_mod
def sys_mod(a, b):
    return np.mod(a, b)


# test_systematic.py::test_true_divide_neg
def sys_true_divide_neg(a, b):
    return np.true_divide(a, b)


# test_systematic.py::test_mod_neg
def sys_mod_neg(a, b):
    return np.mod(a, b)


# test_systematic.py::test_op_mul
def sys_op_mul(a, b):
    return a * b


# test_systematic.py::test_op_add
def sys_op_add(a, b):
    return a + b


# test_systematic.py::test_op_sub
def sys_op_sub(a, b):
    return a - b


# test_systematic.py::test_op_mod
def sys_op_mod(a, b):
    return a % b


# test_systematic.py::test_op_mod_neg
def sys_op_mod_neg(a, b):
    return a % b


CASES = [
    (sys_max, (R(2, 3),)),
    (sys_mean, (R(2, 3),)),
    (sys_min, (R(2, 3),)),
    (sys_sum, (R(2, 3),)),
    (sys_prod, (R(2, 3),)),
    (sys_var, (R(2, 3),)),
    (sys_std, (R(2, 3),)),
    (sys_sin, (U(-2, 2, 3, 2),)),
    (sys_abs, (U(0.1, 4, 3, 2),)),
    (sys_absolute, (U(0.1, 4, 3, 2),)),
    (sys_arccosh, (U(1.1, 4, 3, 2),)),
    (sys_arcsinh, (U(-0.9, 0.9, 3, 2),)),
    (sys_arctanh, (U(-0.9, 0.9, 3, 2),)),
    (sys_ceil, (U(-1.5, 1.5, 3, 2) + 0.013,)),
    (sys_cos, (U(-2, 2, 3, 2),)),
    (sys_cosh, (U(-2, 2, 3, 2),)),
    (sys_deg2rad, (U(-2, 2, 3, 2),)),
    (sys_degrees, (U(-2, 2, 3, 2),)),
    (sys_exp, (U(-2, 2, 3, 2),)),
    (sys_exp2, (U(-2, 2, 3, 2),)),
    (sys_expm1, (U(-2, 2, 3, 2),)),
    (sys_fabs, (U(-2, 2, 3, 2),)),
    (sys_floor, (U(-1.5, 1.5, 3, 2) + 0.013,)),
    (sys_log, (U(0.2, 2, 3, 2),)),
    (sys_log10, (U(0.2, 2, 3, 2),)),
    (sys_log1p, (U(0.2, 2, 3, 2),)),
    (sys_log2, (U(0.2, 2, 3, 2),)),
    (sys_rad2deg, (U(-2, 2, 3, 2),)),
    (sys_radians, (U(-2, 2, 3, 2),)),
    (sys_sign, (U(-2, 2, 3, 2) + 0.013,)),
    (sys_sinh, (U(-2, 2, 3, 2),)),
    (sys_sqrt, (U(1, 3, 3, 2),)),
    (sys_square, (U(-2, 2, 3, 2),)),
    (sys_tan, (U(-1.1, 1.1, 3, 2),)),
    (sys_tanh, (U(-2, 2, 3, 2),)),
    (sys_real, (U(-2, 2, 3, 2),)),
    (sys_real_if_close, (U(-2, 2, 3, 2),)),
    (sys_imag, (U(-2, 2, 3, 2),)),
    (sys_conj, (U(-2, 2, 3, 2),)),
    (sys_conjugate, (U(-2, 2, 3, 2),)),
    (sys_angle, (U(-2, 2, 3, 2),)),
    (sys_add, (U(-2, 2, 3, 2), U(-2, 2, 1, 2),)),
    (sys_logaddexp, (U(-2, 2, 3, 2), U(-2, 2, 1, 2),)),
    (sys_logaddexp2, (U(-2, 2, 3, 2), U(-2, 2, 1, 2),)),
    (sys_remainder, (U(-0.9, 0.9, 3, 2), U(0.7, 1.9, 1, 2),)),
    (sys_true_divide, (U(-2, 2, 3, 2), U(0.8, 1.2, 1, 2),)),
    (sys_mod, (U(-2, 2, 3, 2), U(0.8, 2.1, 1, 2),)),
    (sys_true_divide_neg, (U(-2, 2, 3, 2), U(-2.0, -0.3, 1, 2),)),
    (sys_mod_neg, (U(-2, 2, 3, 2), U(-2.0, -0.3, 1, 2),)),
    (sys_op_mul, (U(-2, 2, 3, 2), U(-2, 2, 1, 2),)),
    (sys_op_add, (U(-2, 2, 3, 2), U(-2, 2, 1, 2),)),
    (sys_op_sub, (U(-2, 2, 3, 2), U(-2, 2, 1, 2),)),
    (sys_op_mod, (U(-2, 2, 3, 2), U(0.3, 2.0, 1, 2),)),
    (sys_op_mod_neg, (U(-2, 2, 3, 2), U(-2.0, -0.3, 1, 2),)),
]
