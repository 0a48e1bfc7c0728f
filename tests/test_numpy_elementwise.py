"""Issue 13's elementwise functions (rules/elementwise.py entries): @symgrad.grad against
central differences on several shapes, the eager Tensor against torch 2.13, the generated
code as a person writes it, and the non-smooth points as torch has them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

RNG = np.random.default_rng(13)
UNIT = lambda *s: RNG.uniform(-0.8, 0.8, s)  # noqa: E731
ANY = lambda *s: RNG.uniform(-2.0, 2.0, s)  # noqa: E731
AWAY = lambda *s: RNG.choice([-1.0, 1.0], s) * RNG.uniform(0.3, 2.0, s)  # noqa: E731

UNARY = {"arctanh": UNIT, "exp2": ANY, "sinc": AWAY, "deg2rad": ANY, "radians": ANY,
         "rad2deg": ANY, "degrees": ANY, "real": ANY, "conj": ANY, "conjugate": ANY,
         "imag": ANY, "angle": AWAY}
BINARY = {"logaddexp": (ANY, ANY), "logaddexp2": (ANY, ANY), "hypot": (AWAY, AWAY),
          "fmax": (ANY, ANY), "fmin": (ANY, ANY), "fmod": (ANY, AWAY),
          "copysign": (AWAY, AWAY), "heaviside": (AWAY, ANY)}
SHAPES = [(), (3,), (2, 3)]
PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((4, 2, 3), ())]


def _unary(f):
    def fn(x, w):
        return np.sum(f(x) * w)
    return fn


def _binary(f):
    def fn(a, b, w):
        return np.sum(f(a, b) * w)
    return fn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_finite_differences(name, shape):
    f, sample = getattr(np, name), UNARY[name]
    fn = _unary(f)
    G = symgrad.grad(fn, wrt="x")
    x, w = sample(*shape), ANY(*shape)
    np.testing.assert_allclose(G(x, w), fn(x, w), rtol=1e-12)
    check_grads(G, x, w)


@pytest.mark.parametrize("shapes", PAIRS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_against_finite_differences(name, shapes):
    f, (sa, sb) = getattr(np, name), BINARY[name]
    fn = _binary(f)
    G = symgrad.grad(fn, wrt=("a", "b"))
    a, b = sa(*shapes[0]), sb(*shapes[1])
    w = ANY(*np.broadcast_shapes(*shapes))
    np.testing.assert_allclose(G(a, b, w), fn(a, b, w), rtol=1e-12)
    check_grads(G, a, b, w)


# symgrad name -> (torch function, sampler per operand)
TORCH = {
    "arctanh": ("atanh", [UNIT]), "exp2": ("exp2", [ANY]), "sinc": ("sinc", [AWAY]),
    "deg2rad": ("deg2rad", [ANY]), "rad2deg": ("rad2deg", [ANY]), "angle": ("angle", [AWAY]),
    "logaddexp": ("logaddexp", [ANY, ANY]), "logaddexp2": ("logaddexp2", [ANY, ANY]),
    "hypot": ("hypot", [AWAY, AWAY]), "fmax": ("fmax", [ANY, ANY]),
    "fmin": ("fmin", [ANY, ANY]), "fmod": ("fmod", [ANY, AWAY]),
    "copysign": ("copysign", [AWAY, AWAY]),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_source_transform_matches_torch(name):
    torch = pytest.importorskip("torch")
    tname, samplers = TORCH[name]
    shapes = [(2, 3), (3,)][:len(samplers)]
    arrays = [s(*shape) for s, shape in zip(samplers, shapes, strict=True)]
    w = ANY(2, 3)
    fn = (_unary if len(arrays) == 1 else _binary)(getattr(np, name))
    wrt = ("x",) if len(arrays) == 1 else ("a", "b")
    grads = symgrad.grad(fn, wrt=wrt).grad(*arrays, w)
    grads = grads if isinstance(grads, tuple) else (grads,)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch.sum(getattr(torch, tname)(*ts) * torch.tensor(w)).backward()
    for g, t in zip(grads, ts, strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_nonsmooth_points_follow_torch():
    """fmax/fmin: a NaN is ignored and the other side gets the gradient, a tie gives it to
    the first; copysign's slope is 0 at 0; sinc's is 0 at 0 (numpy's 1)."""
    torch = pytest.importorskip("torch")
    a = np.array([1.0, 2.0, 3.0, np.nan, 2.0, 0.0, -1.0])
    b = np.array([2.0, 2.0, np.nan, 1.0, 2.0, -0.5, 0.5])
    for name in ("fmax", "fmin", "copysign", "hypot", "logaddexp"):
        G = symgrad.grad(_binary(getattr(np, name)), wrt=("a", "b"))
        with np.errstate(invalid="ignore", divide="ignore"):
            got = G.grad(a, b, np.ones(7))
        ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
        torch.sum(getattr(torch, name)(ta, tb)).backward()
        for g, t in zip(got, (ta, tb), strict=True):
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12, err_msg=name)
    x = np.array([0.0, -1.0, 0.5, 2.0])
    G = symgrad.grad(_unary(np.sinc), wrt="x")
    with np.errstate(invalid="ignore"):
        got = G.grad(x, np.ones(4))
    tx = torch.tensor(x, requires_grad=True)
    torch.sinc(tx).sum().backward()
    np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert got[0] == 0.0


def test_heaviside_has_no_slope_in_x1_and_passes_its_value_at_0():
    def fn(x, h):
        return np.sum(np.heaviside(x, h) * 3.0)

    x, h = np.array([-1.0, 0.0, 2.0, 0.0]), np.array([0.25, 0.5, 0.75, 1.0])
    gx, gh = symgrad.grad(fn, wrt=("x", "h")).grad(x, h)
    np.testing.assert_array_equal(gx, 0.0)
    np.testing.assert_array_equal(gh, [0.0, 3.0, 0.0, 3.0])
    check_grads(symgrad.grad(fn, wrt="h"), x, h)


def test_logaddexp_slopes_do_not_overflow():
    """exp(a - logaddexp(a, b)) is at most 1: no exp(800) anywhere, so no overflow."""
    def fn(a, b):
        return np.sum(np.logaddexp(a, b) + np.logaddexp2(b, a))

    G = symgrad.grad(fn, wrt=("a", "b"))
    a, b = np.array([800.0, -800.0, 1000.0, 5.0]), np.array([1.0, 900.0, 1000.0, 5.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ga, gb = G.grad(a, b)
    np.testing.assert_allclose(ga, [2.0, 0.0, 1.0, 1.0], atol=1e-200)
    np.testing.assert_allclose(gb, [0.0, 2.0, 1.0, 1.0], atol=1e-200)
    assert "np.exp(" in G.source and "np.logaddexp(a, b)" in G.source


def hypot_of(x, y):
    return np.sum(np.hypot(x, y))


def fmod_of(x, y):
    return np.sum(np.fmod(x, y))


def copysign_of(x, y):
    return np.sum(np.copysign(x, y))


def exp2_of(x):
    return np.sum(np.exp2(x))


def test_generated_code_reads_like_a_hand_written_gradient():
    grad_lines = lambda f: " ".join(  # noqa: E731
        line.strip() for line in symgrad.grad(f).source.split("_grad(")[1].splitlines()
        if line.strip().startswith(("grad_x", "grad_y", "t")))
    assert "t0 = grad_out/np.hypot(x, y) grad_x = _sum_to(t0*x, x)" in grad_lines(hypot_of)
    assert "np.trunc(x/y)" in grad_lines(fmod_of)
    assert "np.where(x == 0, 0, " in grad_lines(copysign_of)
    assert "np.log(2)" in grad_lines(exp2_of) and "np.exp2(x)" in grad_lines(exp2_of)


def test_math_module_spellings_give_python_floats():
    def fn(a, b):
        return (math.atanh(a) * math.hypot(a, b) + math.degrees(a) + math.radians(b)
                + math.fmod(b, a) + math.copysign(a, -b))

    G = symgrad.grad(fn, wrt=("a", "b"))
    ga, gb = check_grads(G, 0.3, 0.7)
    assert isinstance(ga, float) and isinstance(gb, float)


def test_conj_is_a_copy_and_real_a_view():
    """np.conj of a real array is a new array (a write to it is fine); np.real is a view
    (a write to it would change the argument: refused)."""
    def conj_then_write(x):
        y = np.conj(x)
        y[0] = 2.0
        return np.sum(x * y)

    def real_then_write(x):
        y = np.real(x)
        y[0] = 2.0
        return np.sum(x * y)

    x = np.array([0.3, -0.5, 1.7])
    G = symgrad.grad(conj_then_write)
    np.testing.assert_allclose(G(x), conj_then_write(x.copy()), rtol=1e-12)
    check_grads(G, x)
    with pytest.raises(symgrad.SymgradError, match="share memory"):
        symgrad.grad(real_then_write)


@pytest.mark.parametrize("method", ["atanh", "arctanh", "exp2", "sinc", "deg2rad", "rad2deg",
                                    "angle"])
def test_tensor_unary_methods_match_torch(method):
    torch = pytest.importorskip("torch")
    a = UNIT(2, 3)
    s, t = symgrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ys, yt = getattr(s, method)(), getattr(t, method)()
    assert ys.grad_fn.name() == type(yt.grad_fn).__name__
    w = ANY(2, 3)
    ys.backward(symgrad.tensor(w))
    yt.backward(torch.tensor(w))
    np.testing.assert_allclose(ys.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_numpy_functions_on_tensors_record_their_nodes():
    x = symgrad.tensor(ANY(3), requires_grad=True)
    y = symgrad.tensor(AWAY(3), requires_grad=True)
    assert np.hypot(x, y).grad_fn.name() == "HypotBackward0"
    assert np.logaddexp(x, y).grad_fn.name() == "LogaddexpBackward0"
    assert np.fmax(x, y).grad_fn.name() == "FmaxBackward0"
    assert np.fmod(x, y).grad_fn.name() == "FmodBackward1"
    assert np.copysign(x, y).grad_fn.name() == "CopysignBackward0"


def test_math_log_with_a_base():
    """math.log(x, base) is log(x)/log(base), both differentiated; np.log's second argument
    is out=, so only math's log takes a base."""
    def fn(a, b):
        return math.log(a, b) * math.log(a) + math.log(b, 10) + math.log(a, 2.0)

    G = symgrad.grad(fn, wrt=("a", "b"))
    assert G(0.7, 3.0) == pytest.approx(fn(0.7, 3.0), rel=1e-12)
    ga, gb = check_grads(G, 0.7, 3.0)
    assert isinstance(ga, float) and isinstance(gb, float)
    assert "np.log(b)" in G.source

    def too_many(x):
        return math.log(x, 2, 3)

    with pytest.raises(symgrad.SymgradError, match="too many arguments"):
        symgrad.grad(too_many)


def test_math_erf_and_erfc():
    """numpy has no erf: math's, on numbers, printed through the helpers _erf and _erfc;
    the slopes are SymPy's 2*exp(-a**2)/sqrt(pi), as torch's."""
    torch = pytest.importorskip("torch")

    def fn(a, b):
        return math.erf(a) * b + math.erfc(a * b)

    G = symgrad.grad(fn, wrt=("a", "b"))
    for a, b in [(0.7, -0.4), (-1.3, 2.0), (0.0, 0.5)]:
        value = G(a, b)
        assert isinstance(value, float) and value == pytest.approx(fn(a, b), rel=1e-14)
        ga, gb = check_grads(G, a, b)
        ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
        (torch.erf(ta) * tb + torch.erfc(ta * tb)).backward()
        assert ga == pytest.approx(ta.grad.item(), rel=1e-12)
        assert gb == pytest.approx(tb.grad.item(), rel=1e-12)
    assert "_erf(a)" in G.source and "np.exp(" in G.source


@pytest.mark.parametrize("method", ["erf", "erfc"])
def test_tensor_erf_matches_torch_twice(method):
    torch = pytest.importorskip("torch")
    a = ANY(2, 3)
    s, t = symgrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    results = []
    for lib, x in ((symgrad, s), (torch, t)):
        y = getattr(x, method)()
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        h, = lib.autograd.grad((g * g).sum(), x)
        results.append((y.detach().numpy(), g.detach().numpy(), h.numpy()))
    assert getattr(s, method)().grad_fn.name() == f"{method.capitalize()}Backward0"
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
