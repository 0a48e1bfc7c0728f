"""Every primitive of the core issue against central finite differences (float64)."""

import math

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

rng = np.random.default_rng(0)

SHAPES = [(3,), (2, 3)]

# name -> sampler of valid inputs
POSITIVE = lambda shape: rng.uniform(0.5, 2.0, shape)
UNIT = lambda shape: rng.uniform(-0.8, 0.8, shape)
ANY = lambda shape: rng.uniform(-2.0, 2.0, shape)
AWAY_FROM_ZERO = lambda shape: rng.choice([-1, 1], shape) * rng.uniform(0.3, 2.0, shape)

UNARY = {
    "exp": ANY, "log": POSITIVE, "log1p": POSITIVE, "expm1": ANY, "sqrt": POSITIVE,
    "sin": ANY, "cos": ANY, "tan": UNIT, "arcsin": UNIT, "arccos": UNIT, "arctan": ANY,
    "sinh": ANY, "cosh": ANY, "tanh": ANY, "abs": AWAY_FROM_ZERO, "sign": AWAY_FROM_ZERO,
    "square": ANY, "reciprocal": AWAY_FROM_ZERO, "negative": ANY,
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_elementwise(name, shape):
    f = getattr(np, name)

    def fn(x, w):
        return np.sum(f(x) * w)

    G = symgrad.grad(fn)
    check_grads(G, UNARY[name](shape), ANY(shape))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tan", "atan", "tanh",
                                  "log1p", "expm1", "sinh", "cosh", "fabs"])
def test_math_module_scalars(name):
    f = getattr(math, name)

    def fn(a):
        return f(a) * 3.0

    G = symgrad.grad(fn)
    g = G.grad(0.7)
    h = 1e-6
    assert g == pytest.approx((fn(0.7 + h) - fn(0.7 - h)) / (2 * h), rel=1e-6)
    assert isinstance(g, float)


BINARY = {
    "add": (ANY, ANY), "subtract": (ANY, ANY), "multiply": (ANY, ANY),
    "divide": (ANY, AWAY_FROM_ZERO), "power": (POSITIVE, ANY), "arctan2": (ANY, AWAY_FROM_ZERO),
    "maximum": (ANY, ANY), "minimum": (ANY, ANY),
}

BROADCAST_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 2, 3), (2, 1)), ((), (2, 3))]


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_elementwise_broadcasting(name, shapes):
    f = getattr(np, name)

    def fn(a, b, w):
        return np.sum(f(a, b) * w)

    G = symgrad.grad(fn, wrt=("a", "b"))
    sa, sb = BINARY[name]
    a, b = sa(shapes[0]), sb(shapes[1])
    w = ANY(np.broadcast_shapes(*shapes))
    check_grads(G, a, b, w)


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
def test_operators_broadcasting(shapes):
    def fn(a, b):
        c = a * b + a / (b * b + 1) - b**3 + (-a) ** 2
        c = c + 2.5
        c -= a
        c *= b
        c /= 3
        return np.sum(c**2)

    G = symgrad.grad(fn)
    check_grads(G, ANY(shapes[0]), ANY(shapes[1]))


def test_power_with_array_exponent_and_scalar_base():
    def fn(x, y):
        return np.sum(2.0**x + x**y + np.power(y, 3))

    check_grads(symgrad.grad(fn), POSITIVE((2, 3)), ANY((3,)))


@pytest.mark.parametrize("shape", SHAPES)
def test_clip_and_where(shape):
    def fn(x, y):
        a = np.clip(x, -0.5, 0.7)
        b = np.where(x > 0, x * y, np.exp(y))
        return np.sum(a * y + b)

    x = rng.choice([-1, 1], shape) * rng.uniform(0.1, 1.5, shape)
    x[np.abs(np.abs(x) - 0.6) < 0.12] = 1.3  # keep away from the clip edges
    check_grads(symgrad.grad(fn), x, ANY(shape))


REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std"]
AXES = [None, 0, 1, -1, (0, 1)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, axis, keepdims):
    f = getattr(np, name)

    def fn(x, w):
        return np.sum(f(x, axis=axis, keepdims=keepdims) * w)

    x = rng.permutation(np.linspace(0.5, 2.0, 12)).reshape(3, 4)  # distinct: max is unique
    w = ANY(np.shape(f(x, axis=axis, keepdims=keepdims)))
    check_grads(symgrad.grad(fn, wrt="x"), x, w)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_3d_two_axes(name):
    f = getattr(np, name)

    def fn(x):
        return np.sum(f(x, axis=(0, 2)) ** 2)

    x = rng.permutation(np.linspace(0.5, 2.0, 24)).reshape(2, 3, 4)
    check_grads(symgrad.grad(fn), x)


def test_array_methods():
    def fn(x):
        a = x.sum(axis=0)
        b = x.mean(axis=1, keepdims=True)
        c = x.max()
        d = x.reshape(4, 3).T
        e = x.var(ddof=1) + x.std(axis=0).sum()
        return np.sum(a) * c + np.sum(b * x) + np.sum(d**2) + e + x.prod() + x.min()

    check_grads(symgrad.grad(fn), rng.permutation(np.linspace(0.5, 1.5, 12)).reshape(3, 4))


def test_var_std_ddof():
    def fn(x):
        return np.var(x, axis=0, ddof=1).sum() + np.std(x, ddof=1)

    check_grads(symgrad.grad(fn), ANY((4, 3)))


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                   ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 2))])
def test_matmul(sa, sb):
    def fn(a, b, w):
        return np.sum((a @ b) * w) + np.sum(np.matmul(a, b))

    a, b = ANY(sa), ANY(sb)
    check_grads(symgrad.grad(fn, wrt=("a", "b")), a, b, ANY(np.shape(a @ b)))


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                   ((), (3,)), ((2, 2, 3), (4, 3, 2))])
def test_dot(sa, sb):
    def fn(a, b, w):
        return np.sum(np.dot(a, b) * w)

    a, b = ANY(sa), ANY(sb)
    check_grads(symgrad.grad(fn, wrt=("a", "b")), a, b, ANY(np.shape(np.dot(a, b))))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (4, 3)), ((3,), (2, 3))])
def test_inner_outer(sa, sb):
    def fn(a, b, w):
        return np.sum(np.inner(a, b) * w) + np.sum(np.outer(a, b) ** 2)

    a, b = ANY(sa), ANY(sb)
    check_grads(symgrad.grad(fn, wrt=("a", "b")), a, b, ANY(np.shape(np.inner(a, b))))


def test_shape_functions():
    def fn(x, y):
        a = np.transpose(x, (1, 0, 2))
        b = np.reshape(a, (3, -1))
        c = np.ravel(x) * np.ravel(y.T)
        d = np.expand_dims(np.sum(x, axis=1), 1) * np.squeeze(np.expand_dims(y.T, 0))
        e = x.transpose(2, 0, 1).reshape(4, 6)
        return np.sum(b * b) + np.sum(c) + np.sum(d**2) + np.sum(e[1:] ** 3)

    x = ANY((2, 3, 4))
    y = ANY((4, 6))
    check_grads(symgrad.grad(fn), x, y)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_stack(axis):
    def fn(a, b):
        c = np.concatenate([a, b * 2, a], axis=axis)
        d = np.stack([a, b], axis=axis)
        return np.sum(c**2) + np.sum(np.sin(d) * d**3)

    check_grads(symgrad.grad(fn), ANY((2, 3)), ANY((2, 3)))


def test_indexing_reads():
    def fn(x):
        a = x[0]
        b = x[-1, 1:]
        c = x[:, None, ::2]
        d = x[1, ...]
        e = x[::-1]
        return np.sum(a * 2) + np.sum(b**2) + np.sum(c**3) + np.sum(d) * x[0, 0] + np.sum(e * x)

    check_grads(symgrad.grad(fn), ANY((3, 4)))


def test_index_with_integer_parameter():
    def fn(x, i):
        return np.sum(x[i] ** 2) + x[i + 1, 0]

    x = ANY((3, 2))
    G = symgrad.grad(fn)
    gx, gi = G.grad(x, 1)
    assert gi is None
    expected = np.zeros_like(x)
    expected[1] = 2 * x[1]
    expected[2, 0] += 1
    np.testing.assert_allclose(gx, expected)


def test_constructors():
    def fn(x):
        z = np.zeros((2, 3)) + x
        o = np.ones_like(x) * x + np.zeros_like(x)
        v = np.array([x[0, 0], x[1, 2] * 2.0, 3.0])
        m = np.array([[x[0, 1], 1.0], [2.0, x[1, 1]]])
        return np.sum(z**2) + np.sum(o * np.ones((2, 3))) + np.sum(v**2) + np.sum(m @ m)

    check_grads(symgrad.grad(fn), ANY((2, 3)))


SCALE = 1.5
OFFSET = np.array([1.0, -2.0, 0.5])


def test_module_constants_and_aliases():
    import numpy as xp
    from numpy import exp

    def fn(x):
        return xp.sum(exp(x) * SCALE + OFFSET * x + math.pi)

    check_grads(symgrad.grad(fn), ANY((3,)))


def test_closure_constant():
    k = 3.0
    w = np.array([1.0, 2.0])

    def fn(x):
        return np.sum(k * x**2 * w)

    x = ANY((2,))
    np.testing.assert_allclose(symgrad.grad(fn).grad(x), 2 * k * x * w)


def test_tuple_assignment_and_shape_metadata():
    def fn(x):
        n, m = x.shape
        a, b = x[0], x[1]
        return np.sum(a * b) / (n * m) + x.size * np.sum(x) / len(x) + x.ndim * np.mean(x)

    check_grads(symgrad.grad(fn), ANY((2, 3)))


def test_seed_for_non_scalar_output():
    def fn(x, y):
        return x * y + np.sin(x)

    x, y = ANY((2, 3)), ANY((3,))
    seed = ANY((2, 3))
    check_grads(symgrad.grad(fn), x, y, seed=seed)


def test_tuple_output_seed():
    def fn(x):
        return np.sum(x**2), x * 3

    x = ANY((3,))
    seed = (2.0, ANY((3,)))
    check_grads(symgrad.grad(fn), x, seed=seed)


def test_scalar_parameter_broadcast():
    def fn(x, s):
        return np.sum(np.exp(s * x))

    x = ANY((2, 3))
    gx, gs = check_grads(symgrad.grad(fn), x, 0.3)
    assert np.ndim(gs) == 0
