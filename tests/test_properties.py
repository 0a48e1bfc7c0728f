"""Property tests: random broadcasting shapes and random elementwise compositions."""

import os
import tempfile

import numpy as np
from gradutil import check_grads
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import symgrad

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def broadcast_fn(a, b, c):
    return np.sum(np.sin(a) * b + a / (1 + b**2) - np.maximum(a, c) * np.exp(-c**2))


G_BROADCAST = symgrad.grad(broadcast_fn)


@SETTINGS
@given(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       st.integers(0, 2**32 - 1))
def test_random_broadcasting_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    args = [rng.normal(size=s) for s in shapes.input_shapes]
    args[2] = args[2] + 5.0 * np.sign(args[2])  # maximum: keep a and c apart
    check_grads(G_BROADCAST, *args)


UNARY = {
    "sin": "np.sin({})", "cos": "np.cos({})", "tanh": "np.tanh({})", "exp": "np.exp({} / 4)",
    "log": "np.log(1.5 + {} ** 2)", "sqrt": "np.sqrt(2 + {} ** 2)", "arctan": "np.arctan({})",
    "square": "np.square({})", "log1p": "np.log1p({} ** 2)", "sinh": "np.sinh({} / 3)",
    "abs": "np.abs({} + 7)", "recip": "np.reciprocal(3 + {} ** 2)",
}
BINARY = ["({} + {})", "({} * {})", "({} - {})", "({} / (2 + {} ** 2))",
          "np.arctan2({}, 3 + {} ** 2)", "np.hypot_placeholder"]


def _expression(draw, depth):
    if depth == 0 or draw(st.booleans()) and depth < 3:
        return draw(st.sampled_from(["x", "y", "(x * y)", "0.5"]))
    if draw(st.booleans()):
        return draw(st.sampled_from(sorted(UNARY.values()))).format(_expression(draw, depth - 1))
    template = draw(st.sampled_from(BINARY[:-1]))
    return template.format(_expression(draw, depth - 1), _expression(draw, depth - 1))


@st.composite
def expressions(draw):
    return _expression(draw, draw(st.integers(1, 4)))


@SETTINGS
@given(expressions(), st.integers(0, 2**32 - 1))
def test_random_elementwise_compositions(expr, seed):
    source = f"import numpy as np\n\n\ndef fn(x, y):\n    z = {expr}\n    return np.sum(z * x)\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gen_fn.py")
        with open(path, "w") as f:
            f.write(source)
        ns = {"__name__": "gen_fn"}
        exec(compile(source, path, "exec"), ns)
        G = symgrad.grad(ns["fn"])
    rng = np.random.default_rng(seed)
    check_grads(G, rng.normal(size=(2, 3)), rng.normal(size=(3,)), rtol=1e-4, atol=1e-6)
