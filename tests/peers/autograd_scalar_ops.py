"""autograd tests/test_scalar_ops.py, one plain numpy function per test (scalar inputs).

Rendered by a script from a table of (test, body, argument).
"""

import numpy as np

_Y = 1.7
_X = 0.9



# test_scalar_ops.py::test_abs
def scalar_abs(x):
    return 3.0 * np.abs(x)


# test_scalar_ops.py::test_absolute
def scalar_absolute(x):
    return 3.0 * np.absolute(x)


# test_scalar_ops.py::test_sin
def scalar_sin(x):
    return 3.0 * np.sin(x)


# test_scalar_ops.py::test_sign
def scalar_sign(x):
    return 3.0 * np.sign(x)


# test_scalar_ops.py::test_exp
def scalar_exp(x):
    return 3.0 * np.exp(x)


# test_scalar_ops.py::test_log
def scalar_log(x):
    return 3.0 * np.log(x)


# test_scalar_ops.py::test_log2
def scalar_log2(x):
    return 3.0 * np.log2(x)


# test_scalar_ops.py::test_log10
def scalar_log10(x):
    return 3.0 * np.log10(x)


# test_scalar_ops.py::test_log1p
def scalar_log1p(x):
    return 3.0 * np.log1p(x)


# test_scalar_ops.py::test_expm1
def scalar_expm1(x):
    return 3.0 * np.expm1(x)


# test_scalar_ops.py::test_exp2
def scalar_exp2(x):
    return 3.0 * np.exp2(x)


# test_scalar_ops.py::test_neg
def scalar_neg(x):
    return 3.0 * -x


# test_scalar_ops.py::test_cos
def scalar_cos(x):
    return 3.0 * np.cos(x)


# test_scalar_ops.py::test_tan
def scalar_tan(x):
    return 3.0 * np.tan(x)


# test_scalar_ops.py::test_cosh
def scalar_cosh(x):
    return 3.0 * np.cosh(x)


# test_scalar_ops.py::test_sinh
def scalar_sinh(x):
    return 3.0 * np.sinh(x)


# test_scalar_ops.py::test_tanh
def scalar_tanh(x):
    return 3.0 * np.tanh(x)


# test_scalar_ops.py::test_arccos
def scalar_arccos(x):
    return 3.0 * np.arccos(x)


# test_scalar_ops.py::test_arcsin
def scalar_arcsin(x):
    return 3.0 * np.arcsin(x)


# test_scalar_ops.py::test_arctan
def scalar_arctan(x):
    return 3.0 * np.arctan(x)


# test_scalar_ops.py::test_arccosh
def scalar_arccosh(x):
    return 3.0 * np.arccosh(x)


# test_scalar_ops.py::test_arcsinh
def scalar_arcsinh(x):
    return 3.0 * np.arcsinh(x)


# test_scalar_ops.py::test_arctanh
def scalar_arctanh(x):
    return 3.0 * np.arctanh(x)


# test_scalar_ops.py::test_sqrt
def scalar_sqrt(x):
    return 3.0 * np.sqrt(x)


# test_scalar_ops.py::test_power_arg0
def scalar_power_arg0(x):
    return np.power(x, _Y)


# test_scalar_ops.py::test_power_arg1
def scalar_power_arg1(y):
    return np.power(_X, y)


# test_scalar_ops.py::test_power_arg1_zero
def scalar_power_arg1_zero(y):
    return np.power(0.0, y)


# test_scalar_ops.py::test_mod_arg0
def scalar_mod_arg0(x, y):
    return np.mod(x, y)


# test_scalar_ops.py::test_mod_arg1
def scalar_mod_arg1(x, y):
    return np.mod(x, y)


# test_scalar_ops.py::test_divide_arg0
def scalar_divide_arg0(x, y):
    return np.divide(x, y)


# test_scalar_ops.py::test_divide_arg1
def scalar_divide_arg1(x, y):
    return np.divide(x, y)


# test_scalar_ops.py::test_multiply_arg0
def scalar_multiply_arg0(x, y):
    return np.multiply(x, y)


# test_scalar_ops.py::test_multiply_arg1
def scalar_multiply_arg1(x, y):
    return np.multiply(x, y)


# test_scalar_ops.py::test_true_divide_arg0
def scalar_true_divide_arg0(x, y):
    return np.true_divide(x, y)


# test_scalar_ops.py::test_true_divide_arg1
def scalar_true_divide_arg1(x, y):
    return np.true_divide(x, y)


# test_scalar_ops.py::test_reciprocal
def scalar_reciprocal(x):
    return np.reciprocal(x)


# test_scalar_ops.py::test_negative
def scalar_negative(x):
    return np.negative(x)


# test_scalar_ops.py::test_rad2deg
def scalar_rad2deg(x):
    return 3.0 * np.rad2deg(x)


# test_scalar_ops.py::test_deg2rad
def scalar_deg2rad(x):
    return 3.0 * np.deg2rad(x)


# test_scalar_ops.py::test_radians
def scalar_radians(x):
    return 3.0 * np.radians(x)


# test_scalar_ops.py::test_degrees
def scalar_degrees(x):
    return 3.0 * np.degrees(x)


# test_scalar_ops.py::test_sinc
def scalar_sinc(x):
    return 3.0 * np.sinc(x)


CASES = [
    (scalar_abs, (-1.1,)),
    (scalar_absolute, (1.1,)),
    (scalar_sin, (0.37,)),
    (scalar_sign, (1.1,)),
    (scalar_exp, (0.37,)),
    (scalar_log, (0.83,)),
    (scalar_log2, (0.83,)),
    (scalar_log10, (0.83,)),
    (scalar_log1p, (0.83,)),
    (scalar_expm1, (0.83,)),
    (scalar_exp2, (0.83,)),
    (scalar_neg, (0.37,)),
    (scalar_cos, (0.37,)),
    (scalar_tan, (0.37,)),
    (scalar_cosh, (0.37,)),
    (scalar_sinh, (0.37,)),
    (scalar_tanh, (0.37,)),
    (scalar_arccos, (0.1,)),
    (scalar_arcsin, (0.1,)),
    (scalar_arctan, (0.2,)),
    (scalar_arccosh, (2.3,)),
    (scalar_arcsinh, (0.37,)),
    (scalar_arctanh, (0.2,)),
    (scalar_sqrt, (6.1,)),
    (scalar_power_arg0, (1.4,)),
    (scalar_power_arg1, (0.6,)),
    (scalar_power_arg1_zero, (0.6,)),
    (scalar_mod_arg0, (0.83, 0.31,)),
    (scalar_mod_arg1, (0.41, 0.55,)),
    (scalar_divide_arg0, (0.83, 0.31,)),
    (scalar_divide_arg1, (0.41, 0.55,)),
    (scalar_multiply_arg0, (0.83, 0.31,)),
    (scalar_multiply_arg1, (0.41, 0.55,)),
    (scalar_true_divide_arg0, (0.83, 0.31,)),
    (scalar_true_divide_arg1, (0.41, 0.55,)),
    (scalar_reciprocal, (0.63,)),
    (scalar_negative, (0.63,)),
    (scalar_rad2deg, (6.3,)),
    (scalar_deg2rad, (6.3,)),
    (scalar_radians, (6.3,)),
    (scalar_degrees, (6.3,)),
    (scalar_sinc, (6.3,)),
]
