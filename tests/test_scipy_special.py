"""rules/special.py under @symgrad.grad: scipy.special's functions (every import spelling),
math.lgamma and math.gamma; each gradient against central differences and torch, on 0-d,
1-d and 2-d inputs, edge values (xlogy at x == 0, logit near 0 and 1, logsumexp of large
numbers), and which modules import scipy (only those whose function called it)."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from gradutil import check_grads, numeric_grad

import symgrad

pytest.importorskip("scipy.special")
torch = pytest.importorskip("torch")

import scipy  # noqa: E402
import scipy.special  # noqa: E402
import scipy.special as sc  # noqa: E402
from scipy import special  # noqa: E402
from scipy.special import expit, logsumexp, xlogy  # noqa: E402

from symgrad.helpers import _digamma, _polygamma  # noqa: E402

R = np.random.default_rng(1313)
SHAPES = [(), (5,), (2, 3)]


def _uniform(lo, hi):
    return lambda shape: R.uniform(lo, hi, shape)


# name -> (f(x) in scipy, f(x) in torch, inputs)
ELEMENTWISE = {
    "erf": (lambda x: sc.erf(x), lambda t: torch.special.erf(t), _uniform(-2, 2)),
    "erfc": (lambda x: sc.erfc(x), lambda t: torch.special.erfc(t), _uniform(-2, 2)),
    "erfinv": (lambda x: sc.erfinv(x), lambda t: torch.special.erfinv(t), _uniform(-0.9, 0.9)),
    "erfcinv": (lambda x: sc.erfcinv(x), lambda t: torch.special.erfinv(1 - t),
                _uniform(0.1, 1.9)),
    "expit": (lambda x: sc.expit(x), lambda t: torch.special.expit(t), _uniform(-4, 4)),
    "logit": (lambda x: sc.logit(x), lambda t: torch.logit(t), _uniform(0.05, 0.95)),
    "gammaln": (lambda x: sc.gammaln(x), lambda t: torch.special.gammaln(t), _uniform(0.1, 6)),
    "digamma": (lambda x: sc.digamma(x), lambda t: torch.special.digamma(t), _uniform(0.2, 6)),
    "psi": (lambda x: sc.psi(x), lambda t: torch.special.psi(t), _uniform(0.2, 6)),
    "polygamma1": (lambda x: sc.polygamma(1, x), lambda t: torch.special.polygamma(1, t),
                   _uniform(0.3, 6)),
    "gamma": (lambda x: sc.gamma(x), lambda t: torch.exp(torch.lgamma(t)), _uniform(0.2, 4)),
}
# torch's digamma slope (trigamma) and polygamma are accurate to about 1e-9
TORCH_RTOL = {"digamma": 1e-7, "psi": 1e-7, "polygamma1": 1e-7}


def _torch_grads(f, *arrays, seed=None):
    ts = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = f(*ts)
    (out * torch.tensor(seed) if seed is not None else out).sum().backward()
    return [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_against_central_differences_and_torch(name, shape):
    f, tf, inputs = ELEMENTWISE[name]

    def loss(x, w):
        return np.sum(f(x) * w)

    loss.__name__ = f"{name}_loss"
    G = symgrad.grad(_named(name), wrt=("x",))
    x, w = inputs(shape), R.uniform(-1, 1, shape)
    gx = check_grads(G, x, w)[0]
    tx, = _torch_grads(lambda t: tf(t) * torch.tensor(w), x)
    np.testing.assert_allclose(gx, tx, rtol=TORCH_RTOL.get(name, 1e-10), atol=1e-12)
    np.testing.assert_allclose(G(x, w), loss(x, w), rtol=1e-13)


def _named(name):
    """A module-level function of each spelling (symgrad reads its source)."""
    return {
        "erf": erf_loss, "erfc": erfc_loss, "erfinv": erfinv_loss, "erfcinv": erfcinv_loss,
        "expit": expit_loss, "logit": logit_loss, "gammaln": gammaln_loss,
        "digamma": digamma_loss, "psi": psi_loss, "polygamma1": polygamma1_loss,
        "gamma": gamma_loss}[name]


def erf_loss(x, w):
    return np.sum(sc.erf(x) * w)


def erfc_loss(x, w):
    return np.sum(special.erfc(x) * w)  # from scipy import special


def erfinv_loss(x, w):
    return np.sum(scipy.special.erfinv(x) * w)  # import scipy.special


def erfcinv_loss(x, w):
    return np.sum(sc.erfcinv(x) * w)


def expit_loss(x, w):
    return np.sum(expit(x) * w)  # from scipy.special import expit


def logit_loss(x, w):
    return np.sum(sc.logit(x) * w)


def gammaln_loss(x, w):
    return np.sum(sc.gammaln(x) * w)


def digamma_loss(x, w):
    return np.sum(sc.digamma(x) * w)


def psi_loss(x, w):
    return np.sum(sc.psi(x) * w)


def polygamma1_loss(x, w):
    return np.sum(sc.polygamma(1, x) * w)


def gamma_loss(x, w):
    return np.sum(sc.gamma(x) * w)


def polygamma2(x):
    return np.sum(sc.polygamma(2, x) ** 2)


def test_polygamma_of_higher_order_and_its_static_n():
    x = R.uniform(0.5, 4, (2, 3))
    G = symgrad.grad(polygamma2)
    check_grads(G, x)
    tx, = _torch_grads(lambda t: torch.special.polygamma(2, t) ** 2, x)
    np.testing.assert_allclose(G.grad(x), tx, rtol=1e-7)
    assert "scipy.special.polygamma(3, x)" in G.source


# ---------------------------------------------------------------- xlogy, xlog1py


def xlogy_(x, y):
    return np.sum(xlogy(x, y) + sc.xlog1py(x, y) * x)


@pytest.mark.parametrize("sx, sy", [((), ()), ((4,), (4,)), ((2, 3), (3,)), ((3, 1), (1, 4))])
def test_xlogy_and_xlog1py_against_central_differences_and_torch(sx, sy):
    G = symgrad.grad(xlogy_, wrt=("x", "y"))
    x, y = R.uniform(-1, 2, sx), R.uniform(0.2, 3, sy)
    gx, gy = check_grads(G, x, y)
    tx, ty = _torch_grads(lambda a, b: torch.xlogy(a, b) + torch.special.xlog1py(a, b) * a, x, y)
    np.testing.assert_allclose(gx, tx, rtol=1e-10)
    np.testing.assert_allclose(gy, ty, rtol=1e-10)


def xlogy_only(x, y):
    return np.sum(sc.xlogy(x, y))


def test_xlogy_at_x_zero_follows_torch():
    """xlogy(0, y) is 0 for every y (0 at y == 0 too). Its slope in x is log(y) (x*log(y) is
    smooth in x for y > 0), masked to 0 where x == 0 and y <= 0 (torch's); its slope in y is
    x/y: 0 for y != 0 and nan at y == 0 (torch's 0/0)."""
    G = symgrad.grad(xlogy_only, wrt=("x", "y"))
    x, y = np.array([0.0, 0.0, 1.5, 0.0, 0.0]), np.array([2.0, 0.0, 0.5, 1e-300, -1.0])
    assert G(x, y) == pytest.approx(1.5 * np.log(0.5))
    with np.errstate(divide="ignore", invalid="ignore"):
        gx, gy = G.grad(x, y)
    tx, ty = _torch_grads(torch.xlogy, x, y)
    np.testing.assert_array_equal(np.isnan(gy), np.isnan(ty))
    np.testing.assert_allclose(gx, tx, equal_nan=True)
    np.testing.assert_allclose(gy, ty, equal_nan=True)
    assert gx[0] == np.log(2) and gx[1] == 0 and gx[4] == 0 and np.isnan(gy[1]) and gy[0] == 0


def xlog1py_only(x, y):
    return np.sum(sc.xlog1py(x, y))


def test_xlog1py_at_x_zero_follows_torch():
    G = symgrad.grad(xlog1py_only, wrt=("x", "y"))
    x, y = np.array([0.0, 0.0, 1.5, 0.0]), np.array([2.0, -1.0, 0.5, -3.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        gx, gy = G.grad(x, y)
    tx, ty = _torch_grads(torch.special.xlog1py, x, y)
    np.testing.assert_allclose(gx, tx, equal_nan=True)
    np.testing.assert_allclose(gy, ty, equal_nan=True)
    assert gx[1] == 0 and gx[3] == 0


def logit_(p):
    return np.sum(sc.logit(p))


def test_logit_near_0_and_1():
    p = np.array([1e-9, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-9])
    G = symgrad.grad(logit_)
    tx, = _torch_grads(torch.logit, p)
    np.testing.assert_allclose(G.grad(p), tx, rtol=1e-9)
    np.testing.assert_allclose(G.grad(p), 1 / (p * (1 - p)), rtol=1e-9)


def expit_large(x):
    return np.sum(sc.expit(x))


def test_expit_slope_reuses_the_value_and_is_stable():
    G = symgrad.grad(expit_large)
    x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    with np.errstate(all="raise"):
        g = G.grad(x)
    tx, = _torch_grads(torch.special.expit, x)
    np.testing.assert_allclose(g, tx, rtol=1e-12, atol=1e-300)
    assert "*(1 - t" in G.source  # expit*(1 - expit), one expit


# ---------------------------------------------------------------- logsumexp


def lse_all(a, w):
    return logsumexp(a) * w


def lse_axis(a, w):
    return np.sum(sc.logsumexp(a, axis=-1) * w)


def lse_tuple(a, w):
    return np.sum(sc.logsumexp(a, axis=(0, 2), keepdims=True) * w)


def lse_keep(a, w):
    return np.sum(sc.logsumexp(a, axis=0, keepdims=True) * w)


@pytest.mark.parametrize("f, axis, keepdims, shape", [
    (lse_all, None, False, ()), (lse_all, None, False, (4,)), (lse_all, None, False, (2, 3)),
    (lse_axis, -1, False, (4,)), (lse_axis, -1, False, (2, 3)), (lse_axis, -1, False, (2, 3, 4)),
    (lse_tuple, (0, 2), True, (2, 3, 4)), (lse_keep, 0, True, (3, 2)),
])
def test_logsumexp_against_central_differences_and_torch(f, axis, keepdims, shape):
    a = R.uniform(-2, 2, shape)
    out_shape = np.shape(sc.logsumexp(a, axis=axis, keepdims=keepdims))
    w = R.uniform(-1, 1, out_shape)
    G = symgrad.grad(f, wrt=("a",))
    ga = check_grads(G, a, w)[0]
    dims = tuple(range(a.ndim)) if axis is None else axis
    tx, = _torch_grads(lambda t: torch.logsumexp(t, dims, keepdim=keepdims) * torch.tensor(w), a)
    np.testing.assert_allclose(ga, tx, rtol=1e-10, atol=1e-13)


def lse_b(a, b):
    return np.sum(sc.logsumexp(a, axis=1, b=b) ** 2)


def lse_b_all(a, b):
    return logsumexp(a, b=b)


@pytest.mark.parametrize("f, sa, sb", [(lse_b, (3, 4), (4,)), (lse_b, (3, 4), (3, 1)),
                                       (lse_b, (2, 3, 4), (3, 4)), (lse_b, (3, 1), (3, 4)),
                                       (lse_b_all, (4,), ()), (lse_b_all, (2, 3), (2, 3))])
def test_logsumexp_with_weights_b_broadcast(f, sa, sb):
    a, b = R.uniform(-2, 2, sa), R.uniform(0.2, 2, sb)
    G = symgrad.grad(f, wrt=("a", "b"))
    ga, gb = check_grads(G, a, b)
    axis = 1 if f is lse_b else None

    def tf(ta, tb):  # torch has no b: logsumexp(a + log b)
        ta, tb = torch.broadcast_tensors(ta, tb)
        dims = tuple(range(ta.ndim)) if axis is None else axis
        out = torch.logsumexp(ta + torch.log(tb), dims)
        return out ** 2 if f is lse_b else out

    ta, tb = _torch_grads(tf, a, b)
    np.testing.assert_allclose(ga, ta, rtol=1e-10)
    np.testing.assert_allclose(gb, tb, rtol=1e-10)


def test_logsumexp_of_large_numbers_does_not_overflow():
    a = np.array([[1000.0, 1000.0, -1000.0], [800.0, 0.0, 799.0]])
    G = symgrad.grad(lse_axis, wrt=("a",))
    w = np.array([1.0, -2.0])
    with np.errstate(over="raise", invalid="raise"):
        value, grad = G.value_and_grad(a, w)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    tx, = _torch_grads(lambda t: torch.logsumexp(t, -1) * torch.tensor(w), a)
    np.testing.assert_allclose(grad, tx, rtol=1e-12, atol=1e-300)
    assert "np.exp(a - " in G.source  # b*exp(a - lse): no exp(a)


def lse_sign(a):
    return sc.logsumexp(a, return_sign=True)[0]


def test_logsumexp_return_sign_is_refused():
    with pytest.raises(symgrad.SymgradError, match="return_sign=True is not supported"):
        symgrad.grad(lse_sign)


# ---------------------------------------------------------------- softmax, log_softmax


def softmax_all(x, w):
    return np.sum(sc.softmax(x) * w)


def softmax_axis(x, w):
    return np.sum(special.softmax(x, axis=0) * w)


def log_softmax_all(x, w):
    return np.sum(sc.log_softmax(x) * w)


def log_softmax_axis(x, w):
    return np.sum(sc.log_softmax(x, axis=-1) * w)


def _torch_softmax(fn, axis):
    def f(t):
        if axis is None:  # scipy's axis=None: over every element (torch needs a dim)
            return fn(t.reshape(-1), 0).reshape(t.shape)
        return fn(t, axis)
    return f


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("f, fn, axis", [
    (softmax_all, torch.softmax, None), (softmax_axis, torch.softmax, 0),
    (log_softmax_all, torch.log_softmax, None), (log_softmax_axis, torch.log_softmax, -1)])
def test_softmax_and_log_softmax_against_central_differences_and_torch(f, fn, axis, shape):
    if axis is not None and shape == ():
        pytest.skip("an axis of a 0-d array")
    x, w = R.uniform(-3, 3, shape), R.uniform(-1, 1, shape)
    G = symgrad.grad(f, wrt=("x",))
    gx = check_grads(G, x, w)[0]
    tx, = _torch_grads(lambda t: _torch_softmax(fn, axis)(t) * torch.tensor(w), x)
    np.testing.assert_allclose(gx, tx, rtol=1e-10, atol=1e-13)


def softmax_tuple(x, w):
    return np.sum(sc.softmax(x, axis=(0, 2)) * w) + np.sum(sc.log_softmax(x, axis=(1, 2)) * w)


def test_softmax_over_an_axis_tuple():
    x, w = R.uniform(-3, 3, (2, 3, 4)), R.uniform(-1, 1, (2, 3, 4))
    check_grads(symgrad.grad(softmax_tuple, wrt=("x",)), x, w)


def test_softmax_of_large_numbers_is_stable():
    x = np.array([[1000.0, 999.0, -1000.0], [0.0, 1.0, 2.0]])
    w = R.uniform(-1, 1, x.shape)
    for f, fn in ((softmax_axis, torch.softmax), (log_softmax_axis, torch.log_softmax)):
        axis = 0 if f is softmax_axis else -1
        G = symgrad.grad(f, wrt=("x",))
        with np.errstate(over="raise", invalid="raise"):
            g = G.grad(x, w)
        tx, = _torch_grads(lambda t, fn=fn, axis=axis: fn(t, axis) * torch.tensor(w), x)
        np.testing.assert_allclose(g, tx, rtol=1e-10, atol=1e-300)


# ---------------------------------------------------------------- math.lgamma, math.gamma


def lgamma_(t):
    return math.lgamma(t) * math.gamma(t / 2)


@pytest.mark.parametrize("t", [0.3, 1.0, 2.5, 7.25, 40.0, -2.5, -0.4])
def test_math_lgamma_and_gamma_on_floats(t):
    G = symgrad.grad(lgamma_)
    g = G.grad(t)
    assert g == pytest.approx(numeric_grad(lgamma_, [t], 0), rel=1e-6)
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    sign = math.copysign(1.0, math.gamma(t / 2))  # torch has no gamma: sign*exp(lgamma)
    (torch.lgamma(tt) * sign * torch.exp(torch.lgamma(tt / 2))).backward()
    assert g == pytest.approx(tt.grad.item(), rel=1e-9)
    assert isinstance(G(t), float)
    assert "import scipy" not in G.source and "_digamma(t)" in G.source


def test_the_inlined_digamma_and_polygamma_match_scipy():
    x = np.concatenate([R.uniform(1e-3, 30, 2000), np.geomspace(1e-3, 1e8, 200),
                        R.uniform(-20, 0.5, 2000)])
    x = x[np.abs(x - np.round(x)) > 1e-3]  # (the poles at 0, -1, -2, ...)
    np.testing.assert_allclose(_digamma(x), sc.digamma(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_polygamma(1, x), sc.polygamma(1, x), rtol=1e-12)
    positive = x[x > 0]
    for n in (2, 3, 4):
        np.testing.assert_allclose(_polygamma(n, positive), sc.polygamma(n, positive),
                                   rtol=1e-12)
    assert isinstance(_digamma(2.0), float) and _digamma(1.0) == pytest.approx(-np.euler_gamma)


def test_the_tensor_lgamma_logit_xlogy_and_softmax_follow_torch():
    x = R.uniform(0.1, 0.9, (2, 3))
    for f in (lambda t, a: t.lgamma(a), lambda t, a: t.logit(a), lambda t, a: t.xlogy(a, a + 1),
              lambda t, a: t.logsumexp(a, 1), lambda t, a: t.softmax(a, -1),
              lambda t, a: t.log_softmax(a, 0), lambda t, a: a.xlogy(2.0)):
        outs = []
        for lib in (symgrad, torch):
            a = lib.tensor(x, requires_grad=True)
            y = f(lib, a)
            (y * y).sum().backward()
            outs.append((type(y.grad_fn).__name__, y.detach().numpy(), a.grad.numpy()))
        (sn, sy, sg), (tn, ty, tg) = outs
        assert sn == tn
        np.testing.assert_allclose(sy, ty, rtol=1e-12)
        np.testing.assert_allclose(sg, tg, rtol=1e-10)


# ---------------------------------------------------------------- which modules import scipy


def _run(code):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(os.path.dirname(symgrad.__file__)), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env).stdout.split()


def test_import_symgrad_does_not_import_scipy():
    out = _run("import sys, symgrad\nfrom symgrad.rules import registry\n"
               "names = [e.name for e in registry.entries()]\n"
               "import math\nregistry.by_object(math.lgamma)\n"
               "print('logsumexp' in names, 'scipy' in sys.modules)")
    assert out == ["True", "False"]


def math_only(x):
    return math.lgamma(x) + math.erf(x)


def test_only_modules_whose_function_calls_scipy_import_it(tmp_path):
    plain, uses = tmp_path / "plain_grad.py", tmp_path / "uses_grad.py"
    symgrad.grad(math_only).export(plain, (1.5,))
    symgrad.grad(gammaln_loss).export(uses, (np.array([0.5, 2.0]), np.array([1.0, -1.0])))
    assert "import scipy" not in plain.read_text() and "scipy.special." not in plain.read_text()
    assert "import scipy.special\n" in uses.read_text()
    calls = {plain: "math_only_grad(1.5)",
             uses: "gammaln_loss_grad(np.array([0.5, 2.0]), np.ones(2))"}
    for path, imports in ((plain, "False"), (uses, "True")):
        out = _run(f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                   f"import numpy as np\nimport {path.stem} as m\n"
                   f"print(m.{calls[path]} is not None, 'scipy' in sys.modules)")
        assert out == ["True", imports], path
    check = subprocess.run([sys.executable, str(uses)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_generated_code_reads_like_a_hand_written_gradient():
    src = symgrad.grad(gammaln_loss, wrt=("x",)).source
    assert "scipy.special.digamma(x)" in src and "import scipy.special" in src
    src = symgrad.grad(digamma_loss, wrt=("x",)).source
    assert "scipy.special.polygamma(1, x)" in src
    src = symgrad.grad(softmax_axis, wrt=("x",)).source
    assert "np.sum(" in src and "keepdims=True" in src


def ndtr_(x):
    return np.sum(sc.ndtr(x))


def test_an_unsupported_scipy_function_is_refused_naming_it():
    with pytest.raises(symgrad.SymgradError, match=r"call to scipy\.special\.ndtr is not "
                       r"supported") as info:
        symgrad.grad(ndtr_)
    assert "did you mean scipy.special.erf" in str(info.value)
    assert "scipy.special.{digamma, erf," in str(info.value)


@pytest.mark.parametrize("name", symgrad.special.__all__)
def test_torch_special_names_are_the_tensor_functions(name):
    """``import symgrad as torch; torch.special.expit(x)``: torch's op, grad_fn name, value
    and gradient."""
    x = R.uniform(0.1, 0.9, (2, 3))
    args = {"logsumexp": (1,), "softmax": (1,), "log_softmax": (0,), "xlogy": (0.7,)}
    outs = []
    for lib in (symgrad, torch):
        a = lib.tensor(x, requires_grad=True)
        y = getattr(lib.special, name)(a, *args.get(name, ()))
        (y * y).sum().backward()
        outs.append((type(y.grad_fn).__name__, y.detach().numpy(), a.grad.numpy()))
    (sn, sy, sg), (tn, ty, tg) = outs
    assert sn == tn
    np.testing.assert_allclose(sy, ty, rtol=1e-12)
    np.testing.assert_allclose(sg, tg, rtol=1e-10)
