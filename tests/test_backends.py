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
