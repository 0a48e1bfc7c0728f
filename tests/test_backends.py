"""The generated gradient on other array libraries' arrays (issue 16): torch tensors, JAX
arrays, array-api-strict arrays (the standard alone) and dask arrays (computed on a local
distributed cluster) give numpy's numbers, in the caller's array type."""

import numpy as np
import pytest

import symgrad

pytest.importorskip("array_api_compat")


@symgrad.grad
def seed(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


@symgrad.grad(wrt="w")
def logistic(w, X, labels):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))


@symgrad.grad(wrt=("W", "x"))
def rnn(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def _cases():
    rng = np.random.default_rng(0)
    return [
        (seed, (rng.normal(size=(4, 3)),)),
        (logistic, (rng.normal(size=3), rng.normal(size=(6, 3)), (rng.random(6) > .5) * 1.0)),
        (rnn, (rng.normal(size=(3, 3)) * .5, rng.normal(size=(5, 3)), rng.normal(size=3))),
    ]


def _check(convert, array_type, to_numpy, compute=lambda v, g: (v, g)):
    for G, args in _cases():
        ref_value, ref_grads = G.value_and_grad(*args)
        value, grads = G.value_and_grad(*(convert(a) for a in args))
        grads_tuple = grads if isinstance(grads, tuple) else (grads,)
        assert all(isinstance(g, array_type) for g in grads_tuple), (G.__name__, grads)
        value, grads_tuple = compute(value, grads_tuple)
        refs = ref_grads if isinstance(ref_grads, tuple) else (ref_grads,)
        np.testing.assert_allclose(float(to_numpy(value)), ref_value, rtol=1e-12)
        for g, r in zip(grads_tuple, refs, strict=True):
            np.testing.assert_allclose(to_numpy(g), r, rtol=1e-12, atol=1e-14)
        only_grad = G.grad(*(convert(a) for a in args))
        only = only_grad if isinstance(only_grad, tuple) else (only_grad,)
        assert all(isinstance(g, array_type) for g in only)


def test_torch_tensors_in_torch_tensors_out():
    torch = pytest.importorskip("torch")
    _check(lambda a: torch.asarray(a), torch.Tensor, lambda t: t.numpy())


def test_array_api_strict_runs_on_the_standard_alone():
    xs = pytest.importorskip("array_api_strict")
    _check(xs.asarray, type(xs.asarray([1.0])), np.asarray)


def test_jax_arrays_in_jax_arrays_out():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    _check(jnp.asarray, jax.Array, np.asarray)


def test_dask_arrays_stay_lazy_and_compute_on_a_local_cluster():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        def compute(value, grads):  # on the cluster's worker processes
            return client.compute(value, sync=True), tuple(client.compute(list(grads),
                                                                          sync=True))
        _check(lambda a: da.from_array(a, chunks=2), da.Array, np.asarray, compute)


# ---------------------------------------------------------------- constructs beyond the standard

@symgrad.grad
def gather(x, idx):  # its gradient scatters: np.add.at (repeated indices add up)
    return np.sum(np.sin(x[idx]) * x[idx])


@symgrad.grad
def contraction(A, B):  # np.einsum: not in the standard; each library's own
    return np.sum(np.einsum("ij,jk->ik", A, B) ** 2)


@symgrad.grad
def buffer_loop(x):  # a loop writing into a buffer: in place, a copy on JAX, a graph on dask
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * x[i]
    return np.sum(out * out)


@symgrad.grad
def wave(x):  # a vector output: its vjp takes a cotangent of that shape
    return np.sin(x) * 2


@symgrad.grad(has_aux=True)
def with_aux(x):
    y = np.tanh(x)
    return np.sum(y ** 2), y


def _libraries():
    out = []
    torch = pytest.importorskip("torch")
    out.append(("torch", torch.asarray, torch.Tensor, lambda t: t.numpy()))
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    out.append(("jax", jnp.asarray, jax.Array, np.asarray))
    da = pytest.importorskip("dask.array")
    out.append(("dask", lambda a: da.from_array(a, chunks=2), da.Array, np.asarray))
    return out


def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def test_scatter_einsum_and_buffer_loop_give_numpys_numbers_in_each_library():
    rng = np.random.default_rng(1)
    x, idx = rng.normal(size=5), np.array([0, 2, 2, -1, 1])
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    # the numpy references, themselves checked against central differences
    np.testing.assert_allclose(gather.grad(x, idx)[0], _fd(lambda v: gather(v, idx), x),
                               rtol=1e-7)
    np.testing.assert_allclose(contraction.grad(A, B)[0],
                               _fd(lambda a: contraction(a, B), A), rtol=1e-7)
    np.testing.assert_allclose(buffer_loop.grad(x), _fd(buffer_loop, x), rtol=1e-7)
    for name, to, kind, back in _libraries():
        for G, args in ((gather, (x, idx)), (contraction, (A, B)), (buffer_loop, (x,))):
            got = G.grad(*map(to, args))
            want = G.grad(*args)
            got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
            for g, w in zip(got, want, strict=True):
                if w is None:  # the integer indices
                    assert g is None
                    continue
                assert isinstance(g, kind), (name, G.__name__, type(g))
                np.testing.assert_allclose(back(g), w, rtol=1e-12, atol=1e-14,
                                           err_msg=f"{name} {G.__name__}")


def test_dask_indexing_by_several_index_arrays_is_refused_naming_dask_and_the_construct():
    da = pytest.importorskip("dask.array")

    @symgrad.grad(wrt="X")
    def pairs(X, i, j):
        return np.sum(np.sin(X[i, j]))

    X = np.arange(12.0).reshape(3, 4) / 10
    i, j = np.array([0, 0, 2]), np.array([1, 1, 3])
    with pytest.raises(symgrad.SymgradError, match=r"failed on dask arrays: .*fancy indexing"):
        pairs.grad(*(da.from_array(a, chunks=2) for a in (X, i, j)))


def test_has_aux_seed_and_vjp_stay_in_the_callers_type():
    x = np.linspace(-1, 1, 4)
    seed = np.array([1.0, -2.0, 0.5, 3.0])
    (ref_value, ref_aux), ref_grad = with_aux.value_and_grad(x)
    ref_seeded = gather.grad(x, np.arange(4), seed=2.5)[0]
    ref_vjp = wave.vjp(x)
    for name, to, kind, back in _libraries():
        (value, aux), grad = with_aux.value_and_grad(to(x))
        assert isinstance(aux, kind) and isinstance(grad, kind) and isinstance(value, kind)
        np.testing.assert_allclose(back(grad), ref_grad, rtol=1e-12)
        np.testing.assert_allclose(back(aux), ref_aux, rtol=1e-12)
        seeded = gather.grad(to(x), to(np.arange(4)), seed=to(np.asarray(2.5)))[0]
        assert isinstance(seeded, kind)
        np.testing.assert_allclose(back(seeded), ref_seeded, rtol=1e-12)
        out, vjp_fn = wave.vjp(to(x))
        cot = vjp_fn(to(seed))
        assert isinstance(cot, kind), (name, type(cot))
        np.testing.assert_allclose(back(cot), ref_vjp[1](seed), rtol=1e-12)


@pytest.mark.parametrize("what", ["jvp", "hvp", "hessian", "jacobian"])
def test_numpy_only_transformations_refuse_other_libraries_naming_them(what):
    torch = pytest.importorskip("torch")
    x = torch.asarray(np.linspace(0.1, 1, 3))
    calls = {"jvp": lambda: seed.jvp(x, tangents=(x,)), "hvp": lambda: seed.hvp(x, v=(x,)),
             "hessian": lambda: seed.hessian(x), "jacobian": lambda: seed.jacobian(x)}
    with pytest.raises(symgrad.SymgradError, match=rf"G\.{what} runs on numpy arrays only.*torch"):
        calls[what]()


def test_source_for_shows_the_array_api_module_and_source_stays_numpy():
    torch = pytest.importorskip("torch")
    args = _cases()[2][1]
    text = rnn.source_for(*map(torch.asarray, args))
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "xp = _namespace(" in code and "xp.tanh(" in code and "np.tanh(" not in code
    assert "np.tanh(" in rnn.source and "xp." not in rnn.source


_EXPORTED = """
import sys
sys.modules["symgrad"] = None
sys.modules["sympy"] = None
sys.path.insert(0, sys.argv[1])
import numpy as np, torch, dask.array as da
mod = __import__("rnn_export")
args = [np.load(sys.argv[2])[k] for k in ("W", "x", "h")]
ref = mod.rnn_grad(*args)
t = mod.rnn_grad(*map(torch.asarray, args))
value, d = mod.rnn_value_and_grad(*(da.from_array(a, chunks=2) for a in args))
assert all(isinstance(g, torch.Tensor) for g in t), t
assert all(isinstance(g, da.Array) for g in d) and isinstance(value, da.Array), d
for got in (t, d):
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-12)
print("ok")
"""


def test_exported_module_runs_on_torch_and_dask_without_symgrad(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("dask.array")
    import subprocess
    import sys

    W, x, h = _cases()[2][1]
    rnn(W, x, h)
    rnn.export(tmp_path / "rnn_export.py")
    np.savez(tmp_path / "args.npz", W=W, x=x, h=h)
    proc = subprocess.run([sys.executable, "-c", _EXPORTED, str(tmp_path),
                           str(tmp_path / "args.npz")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stdout + proc.stderr


def test_cupy_arrays_stay_on_their_device():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no GPU")
    except cupy.cuda.runtime.CUDARuntimeError:
        pytest.skip("no GPU (CUDA runtime unavailable)")
    for G, args in _cases():
        ref_value, ref_grads = G.value_and_grad(*args)
        value, grads = G.value_and_grad(*map(cupy.asarray, args))
        grads, refs = (grads, ref_grads) if isinstance(ref_grads, tuple) else \
            ((grads,), (ref_grads,))
        for g, r in zip(grads, refs, strict=True):
            assert isinstance(g, cupy.ndarray) and g.device == cupy.cuda.Device()
            np.testing.assert_allclose(cupy.asnumpy(g), r, rtol=1e-12)
        np.testing.assert_allclose(float(value), ref_value, rtol=1e-12)


# ---------------------------------------------------------------- the corpus on the standard alone

def _corpus():
    import os
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from corpus import CORPUS, IDS

    return CORPUS, IDS


_CORPUS, _IDS = _corpus()
# what array-api-strict refuses, for a reason of the standard's (README, "Other array
# libraries"): float with int promotion, a global numpy array
_STRICT_CANNOT = {
    "setitem.buffer_slice_augassign": "float64 times np.arange's int64",
    "call_closure.weighted_loss": "a global numpy array",
}


def _to_strict(value, xs):
    if isinstance(value, np.ndarray):
        return xs.asarray(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_to_strict(v, xs) for v in value)
    if isinstance(value, dict):
        return {k: _to_strict(v, xs) for k, v in value.items()}
    return value


def _same_numbers(got, want):
    if isinstance(want, dict):
        for k in want:
            _same_numbers(got[k], want[k])
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _same_numbers(g, w)
    elif want is None:
        assert got is None
    else:
        np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, raises=symgrad.SymgradError,
                                            reason=_STRICT_CANNOT[c.id]))
    if c.id in _STRICT_CANNOT else c for c in _CORPUS], ids=_IDS)
def test_corpus_runs_on_array_api_strict(case):
    xs = pytest.importorskip("array_api_strict")
    G = symgrad.grad(case.fn, wrt=case.wrt)
    kw = {} if case.seed is None else {G.seed_name: case.seed()}
    want = G.value_and_grad(*case.args(), **kw)
    got = G.value_and_grad(*_to_strict(case.args(), xs),
                           **{k: _to_strict(v, xs) for k, v in kw.items()})
    _same_numbers(got[1], want[1])
    leaves = got[1] if isinstance(got[1], tuple) else (got[1],)
    for g, a in zip(leaves, [case.args()[i] for i in G._wrt_index], strict=True):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            assert type(g) is type(xs.asarray([1.0])), (case.id, type(g))


def test_float32_stays_float32_as_on_numpy():
    torch = pytest.importorskip("torch")
    x = np.linspace(0, 1, 6).reshape(2, 3).astype(np.float32)
    want = seed.grad(x)
    got = seed.grad(torch.asarray(x))
    assert want.dtype == np.float32 and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
