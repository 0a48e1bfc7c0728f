"""``symgrad.grad`` on methods, bound methods and functools.partial (symgrad/methods.py).

Every gradient is checked against central differences of the undecorated method (attributes
perturbed in place on the instance) and against a torch twin of the same loss.
"""

import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import methods_models as mm
import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(18)
W0, B0 = RNG.normal(size=(3, 4)), RNG.normal(size=3)
X, Y = RNG.normal(size=4), RNG.normal(size=3)
XP = np.abs(X) + 0.1  # (x ** p for a float p)


def model(scale=0.5):
    return mm.Model(W0.copy(), B0.copy(), scale)


def fd_x(call, x, index=0, *rest):
    """d call(x, *rest) / d (the index-th argument) by central differences."""
    return numeric_grad(call, [x, *rest], index)


def fd_attr(call, obj, path, eps=1e-6):
    """d call() / d obj.<path>: an array perturbed in place (a tied array stays tied)."""
    parent = functools.reduce(getattr, path[:-1], obj)
    value = getattr(parent, path[-1])
    if isinstance(value, np.ndarray):
        g = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            orig = value[i]
            value[i] = orig + eps
            up = call()
            value[i] = orig - eps
            down = call()
            value[i] = orig
            g[i] = (up - down) / (2 * eps)
        return g
    setattr(parent, path[-1], value + eps)
    up = call()
    setattr(parent, path[-1], value - eps)
    down = call()
    setattr(parent, path[-1], value)
    return (up - down) / (2 * eps)


def close(got, expected):
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def torch_grads(fn, values, wrt):
    """The gradients of fn(**values) with respect to the names in wrt, by torch."""
    torch = pytest.importorskip("torch")
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in wrt)
         if isinstance(v, (np.ndarray, float)) else v for k, v in values.items()}
    fn(torch, **t).backward()
    return [t[k].grad.numpy() for k in wrt]


def torch_model_loss(torch, W, b, scale, x):
    r = W @ x - b
    return torch.sum(r ** 2) * scale


def torch_residual_loss(torch, W, scale, x, y):
    return torch.sum(torch.tanh(W.T @ y - x) ** 2) + scale * torch.sum(x ** 2)


def torch_net_loss(torch, W1, b1, W2, b2, steps, decay, x, y):
    h = x
    for _ in range(steps):
        h = torch.tanh(W1 @ h + b1)
    return torch.mean((W2 @ h + b2 - y) ** 2) + decay * torch.sum(W1 ** 2)


def test_a_method_decorated_in_the_class_body_is_called_on_an_instance():
    m = model()
    raw = mm.Model.loss.fn
    expected = raw(m, X)
    assert mm.Model.loss.wrt == ("x",)  # self is never differentiated
    close(m.loss(X), expected)
    close(mm.Model.loss(m, X), expected)
    g = m.loss.grad(X)
    assert isinstance(g, np.ndarray) and g.shape == X.shape
    close(g, fd_x(lambda x: raw(m, x), X))
    close(g, torch_grads(torch_model_loss, dict(W=m.W, b=m.b, scale=0.5, x=X), ["x"])[0])
    close(mm.Model.loss.grad(m, X), g)
    for value, grad in (m.loss.value_and_grad(X), mm.Model.loss.value_and_grad(m, X)):
        close(value, expected)
        close(grad, g)


def test_wrt_names_attributes_and_the_gradients_come_in_its_order():
    m = model()
    raw = mm.Model.loss_wrt_W.fn
    gW, gx = m.loss_wrt_W.grad(X)
    close(gW, fd_attr(lambda: raw(m, X), m, ("W",)))
    close(gx, fd_x(lambda x: raw(m, x), X))
    tW, tx = torch_grads(torch_model_loss, dict(W=m.W, b=m.b, scale=0.5, x=X), ["W", "x"])
    close(gW, tW)
    close(gx, tx)

    G = symgrad.grad(m.residual_loss, wrt=("y", "self.scale", "self.W", 0))
    assert G.wrt == ("y", "self.scale", "self.W", "x")
    gy, gs, gW, gx = G.grad(X, Y)
    call = lambda: m.residual_loss(X, Y)  # noqa: E731
    close(gy, fd_x(lambda y: m.residual_loss(X, y), Y))
    close(gs, fd_attr(call, m, ("scale",)))
    assert isinstance(gs, np.floating) and np.ndim(gs) == 0  # a float attribute: a float
    close(gW, fd_attr(call, m, ("W",)))
    close(gx, fd_x(lambda x: m.residual_loss(x, Y), X))
    expected = torch_grads(torch_residual_loss, dict(W=m.W, scale=0.5, x=X, y=Y),
                           ["y", "scale", "W", "x"])
    for got, want in zip((gy, gs, gW, gx), expected, strict=True):
        close(got, want)


def test_a_bound_method_passed_to_grad_differentiates_its_parameters():
    m = model(0.25)
    G = symgrad.grad(m.residual_loss)
    assert G.wrt == ("x", "y")
    close(G(X, Y), m.residual_loss(X, Y))
    gx, gy = G.grad(X, Y)
    close(gx, fd_x(lambda x: m.residual_loss(x, Y), X))
    close(gy, fd_x(lambda y: m.residual_loss(X, y), Y))
    tx, ty = torch_grads(torch_residual_loss, dict(W=m.W, scale=0.25, x=X, y=Y), ["x", "y"])
    close(gx, tx)
    close(gy, ty)
    value, (vx, vy) = G.value_and_grad(x=X, y=Y)  # keywords bind as for the method
    close(value, m.residual_loss(X, Y))
    close(vx, gx)


def test_functools_partial_objects():
    W = RNG.normal(size=(2, 4))
    P = symgrad.grad(functools.partial(mm.energy, W, k=3.0))
    assert P.wrt == ("x",)  # what the partial binds is not differentiated by default
    close(P(X), mm.energy(W, X, 3.0))
    close(P.grad(X), fd_x(lambda x: mm.energy(W, x, 3.0), X))

    m = model()
    Q = symgrad.grad(functools.partial(m.residual_loss, y=Y))  # of a bound method
    assert Q.wrt == ("x",)
    close(Q.grad(X), fd_x(lambda x: m.residual_loss(x, Y), X))
    R = symgrad.grad(functools.partial(mm.Model.residual_loss, m, y=Y), wrt=(0, "self.W"))
    gx, gW = R.grad(X)
    close(gx, Q.grad(X))
    close(gW, fd_attr(lambda: m.residual_loss(X, Y), m, ("W",)))
    S = symgrad.grad(functools.partial(mm.Model.loss, m))  # of a decorated method
    close(S.grad(X), m.loss.grad(X))


def test_attributes_are_read_at_each_call():
    m = model()
    G = m.loss
    G.grad(X)
    m.W[0, 0] = 10.0  # changed in place
    close(m.loss(X), mm.Model.loss.fn(m, X))
    close(m.loss.grad(X), fd_x(lambda x: mm.Model.loss.fn(m, x), X))
    m.W = RNG.normal(size=(5, 4))  # rebound, to another shape
    m.b = RNG.normal(size=5)
    close(m.loss(X), mm.Model.loss.fn(m, X))
    close(G.grad(X), fd_x(lambda x: mm.Model.loss.fn(m, x), X))  # (a view taken before)
    m.scale = 3.0  # a number: read into the generated code, so generated again
    close(m.loss.value_and_grad(X)[0], mm.Model.loss.fn(m, X))
    close(m.loss.grad(X), fd_x(lambda x: mm.Model.loss.fn(m, x), X))
    a, b = model(0.5), model(-2.0)  # two instances, two numbers: each its own module
    for _ in range(2):
        for inst in (a, b):
            close(inst.loss(X), mm.Model.loss.fn(inst, X))
            close(inst.loss.grad(X), fd_x(lambda x, inst=inst: mm.Model.loss.fn(inst, x), X))
    assert "*2" in a.loss.source.split("def loss_grad")[1] or "2*" in a.loss.source


def _net(steps=2, tied=False):
    W1 = RNG.normal(size=(4, 4)) * 0.5
    l1 = mm.Linear(W1, RNG.normal(size=4))
    l2 = mm.Linear(W1 if tied else RNG.normal(size=(4, 4)), RNG.normal(size=4))
    return mm.Net(l1, l2, steps)


def test_nested_attributes_called_methods_and_layers():
    net = _net()
    y = RNG.normal(size=4)
    raw = mm.Net.loss.fn
    call = lambda: raw(net, X, y)  # noqa: E731
    value, (gW1, gb2, gx, gdecay) = net.loss.value_and_grad(X, y)
    close(value, call())
    close(gW1, fd_attr(call, net, ("l1", "W")))
    close(gb2, fd_attr(call, net, ("l2", "b")))
    close(gx, fd_x(lambda x: raw(net, x, y), X))
    close(gdecay, fd_attr(call, net, ("decay",)))
    values = dict(W1=net.l1.W, b1=net.l1.b, W2=net.l2.W, b2=net.l2.b, steps=2, decay=0.01,
                  x=X, y=y)
    for got, want in zip((gW1, gb2, gx, gdecay), torch_grads(
            torch_net_loss, values, ["W1", "b2", "x", "decay"]), strict=True):
        close(got, want)
    source = net.loss.source
    assert "def loss(self_l1_W, self_l1_b, self_l2_W, self_l2_b, self_decay, x, y):" in source
    assert "range(2)" in source  # self.steps, an integer, is read in
    net.steps = 3  # generated again
    close(net.loss(X, y), call())
    close(net.loss.grad(X, y)[0], fd_attr(call, net, ("l1", "W")))


def test_an_array_reached_by_two_paths_gets_its_whole_gradient():
    net = _net(tied=True)  # l2.W is l1.W: one array, used in both layers
    y = RNG.normal(size=4)
    raw = mm.Net.loss_l1.fn
    gW, gx = net.loss_l1.grad(X, y)
    close(gW, fd_attr(lambda: raw(net, X, y), net, ("l1", "W")))  # perturbed in place
    values = dict(W1=net.l1.W, b1=net.l1.b, b2=net.l2.b, steps=2, decay=0.01, x=X, y=y)
    tW, tx = torch_grads(lambda torch, W1, **kw: torch_net_loss(torch, W1, W2=W1, **kw),
                         values, ["W1", "x"])
    close(gW, tW)
    close(gx, tx)
    assert "def loss_l1(self_l1_W, self_l1_b, self_l2_b, x, y)" in \
        net.loss_l1.source
    net.l2.W = net.l1.W.copy()  # untied: another module, and only the first use counts
    gW = net.loss_l1.grad(X, y)[0]
    close(gW, fd_attr(lambda: raw(net, X, y), net, ("l1", "W")))


class TwoArrays:
    def __init__(self, W, V):
        self.W, self.V = W, V

    @symgrad.grad(wrt=("self.W", "x"))
    def loss(self, x):
        return np.sum(self.W * x + self.V * x ** 2)


def test_tied_and_untied_instances_get_modules_of_their_own():
    W = RNG.normal(size=4)
    tied, untied = TwoArrays(W, W), TwoArrays(W.copy(), W.copy())
    for inst in (tied, untied, tied):  # the same source, values and wrt: not the same module
        gW, gx = inst.loss.grad(X)
        close(gW, fd_attr(lambda inst=inst: TwoArrays.loss.fn(inst, X), inst, ("W",)))
        close(gx, fd_x(lambda x, inst=inst: TwoArrays.loss.fn(inst, x), X))
    close(tied.loss.grad(X)[0], X + X ** 2)
    close(untied.loss.grad(X)[0], X)


class Odds:
    K = 3.0

    def __init__(self):
        self.W = np.array([0.5, -1.0, 2.0, 0.25])
        self.__private = 2.0

    @symgrad.grad(has_aux=True)
    def loss(self, x, p=2.0):
        v = np.sum(self.W * x ** p) * self.__private
        return v, np.max(x)

    @classmethod
    def scaled(cls, x):
        return np.sum(x ** 2) * cls.K

    def through_a_classmethod(self, x):
        return self.scaled(x) + np.sum(self.W * x)


def test_aux_defaults_keywords_private_names_and_classmethods():
    o = Odds()
    raw = Odds.loss.fn
    (gx, gp), aux = o.loss.grad(XP)  # p has a default: in the default wrt, as for functions
    assert aux == np.max(XP)
    close(gx, fd_x(lambda x: raw(o, x)[0], XP))
    assert np.isfinite(gp)
    close(gp, (raw(o, XP, 2.0 + 1e-6)[0] - raw(o, XP, 2.0 - 1e-6)[0]) / 2e-6)
    ((value, aux), (gx3, _)) = o.loss.value_and_grad(x=XP, p=3.0)
    close(value, raw(o, XP, 3.0)[0])
    close(gx3, fd_x(lambda x: raw(o, x, 3.0)[0], XP))
    G = symgrad.grad(o.loss, wrt="self.W", has_aux=True)  # a decorated method, another wrt
    close(G.grad(XP)[0], fd_attr(lambda: raw(o, XP)[0], o, ("W",)))
    H = symgrad.grad(o.through_a_classmethod)  # self.scaled: a method of the class, inlined
    close(H.grad(XP), 6.0 * XP + o.W)
    Odds.K = 5.0
    try:
        close(H.grad(XP), 10.0 * XP + o.W)
        close(symgrad.grad(Odds.scaled).grad(XP), 10.0 * XP)
    finally:
        Odds.K = 3.0


def test_self_is_not_differentiated_and_integer_parameters_get_none():
    m = model()
    gx, gn = m.repeated.grad(X, 3)
    assert gn is None  # as for a function's integer argument under the default wrt
    close(gx, fd_x(lambda x: mm.Model.repeated.fn(m, x, 3), X))


def test_the_source_reads_self_attributes_as_parameters():
    source = model().loss.source
    assert "def loss(self_W, self_b, x):" in source
    assert "def loss_grad(self_W, self_b, x, seed=1.0):" in source
    code = [line for line in source.splitlines() if not line.strip().startswith("#")]
    assert not any("self." in line for line in code)
    assert "# r = self.W @ x - self.b" in source  # the comments quote the method


def test_export_of_a_bound_method(tmp_path):
    m = model()
    m.loss.grad(X)
    path = m.loss.export(tmp_path / "loss_grad.py")
    namespace: dict = {}
    exec(path.read_text(), namespace)
    close(namespace["loss_grad"](m.W, m.b, X), m.loss.grad(X))


# ---------------------------------------------------------------- errors


def test_wrt_naming_an_attribute_the_method_never_reads():
    with pytest.raises(symgrad.SymgradError, match=r"self\.missing") as info:
        class Bad:
            @symgrad.grad(wrt=("self.missing",))
            def loss(self, x):
                return np.sum(self.W * x)
    assert "self.W" in info.value.hint  # what it does read


def test_an_attribute_the_instance_lacks_is_named_at_the_call():
    class Partial:
        def __init__(self):
            self.W = np.ones(4)

        @symgrad.grad(wrt=("self.V", "x"))
        def loss(self, x):
            return np.sum(self.W * x * self.V)

    with pytest.raises(symgrad.SymgradError, match=r"self\.V") as info:
        Partial().loss.grad(X)
    assert info.value.filename == __file__ and "self.V" in info.value.source_line


def test_assigning_to_self_is_refused_at_decoration():
    with pytest.raises(symgrad.SymgradError, match=r"assigns to self\.W") as info:
        class Bad:
            @symgrad.grad
            def loss(self, x):
                self.W = x * 2.0
                return np.sum(x)
    err = info.value
    assert err.filename == __file__ and err.hint
    assert err.source_line.strip() == "self.W = x * 2.0"
    with open(__file__) as f:
        assert f.readlines()[err.lineno - 1].strip() == "self.W = x * 2.0"


@pytest.mark.parametrize("body, match", [
    ("self.W[0] = x[0]", r"writes into self\.W"),
    ("self.n += 1", r"assigns to self\.n"),
    ("y = helper(self)", r"'self' is used as a value"),
])
def test_other_uses_of_self_are_refused_at_decoration(tmp_path, body, match):
    path = tmp_path / "bad_method.py"
    path.write_text(textwrap.dedent(f"""
        import numpy as np
        import symgrad

        def helper(obj):
            return obj.W

        class Bad:
            @symgrad.grad
            def loss(self, x):
                {body}
                return np.sum(x)
        """))
    namespace: dict = {"__name__": "bad_method"}
    with pytest.raises(symgrad.SymgradError, match=match) as info:
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    assert info.value.filename == str(path) and info.value.lineno == 11


def test_wrt_self_and_a_method_without_instance_are_refused():
    with pytest.raises(symgrad.SymgradError, match="never differentiated"):
        symgrad.grad(mm.Model.residual_loss, wrt="self")
    with pytest.raises(symgrad.SymgradError, match="depends on an instance"):
        mm.Model.loss.source  # noqa: B018
    m = model()
    m.W = "not an array"
    with pytest.raises(symgrad.SymgradError, match=r"self\.W, named in wrt=, is a str"):
        m.loss_wrt_W.grad(X)


# ---------------------------------------------------------------- the disk cache

SCRIPT = '''
import sys
import numpy as np
import methods_models as mm

x = np.array([0.1, -0.2, 0.3, 0.4])
out = []
for scale in (0.5, 2.0, 0.5):
    m = mm.Model(np.arange(12.0).reshape(3, 4), np.ones(3), scale)
    out += [float(v) for v in m.loss.grad(x)]
print("sympy" in sys.modules, " ".join(repr(v) for v in out))
'''


def test_the_disk_cache_keeps_one_module_per_read_in_value(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, SYMGRAD_CACHE_DIR=str(tmp_path / "cache"))
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), str(ROOT / "tests")))
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout.split())
    assert runs[0][0] == "True" and runs[1][0] == "False"  # the second never imports SymPy
    W, b, x = np.arange(12.0).reshape(3, 4), np.ones(3), np.array([0.1, -0.2, 0.3, 0.4])
    expected = [v for s in (0.5, 2.0, 0.5) for v in 2 * s * W.T @ (W @ x - b)]
    for run in runs:
        close(np.array([float(v) for v in run[1:]]), expected)
