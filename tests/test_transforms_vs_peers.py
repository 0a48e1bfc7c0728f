"""Every transformation over the control-flow corpus (loops, branches, buffers, calls)
against jax and torch.func: ``G.jvp`` against ``jvp``, ``G.jacobian`` (both modes) against
``jacfwd`` / ``jacrev``, ``G.hessian`` and ``G.hvp`` against ``hessian`` and forward over
reverse.

torch.func runs each case's torch twin (``tests/corpus``); jax runs the case's own numpy
source with ``np`` read as ``jax.numpy`` (the cases that are valid jax: no writes into
arrays), in float64. (test_jvp_corpus checks the same transformations against the
gradient and central differences on every case.)"""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest
from corpus import BY_ID, CORPUS, TORCH_IDS, torch_twins

import symgrad

torch = pytest.importorskip("torch")


def _wrt_index(case):
    params = list(inspect.signature(case.fn).parameters)
    names = case.wrt if case.wrt is not None else params
    return [params.index(n) for n in names]


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _array_wrt(case, args):
    return all(isinstance(args[i], (np.ndarray, float)) for i in _wrt_index(case))


def _twin(entry_id):
    twins = torch_twins(torch)
    prefix = max((p for p in twins if entry_id.startswith(p)), key=len)
    return twins[prefix]


def _scalar_out(case, args):
    out = case.fn(*_copy(args))
    return not isinstance(out, tuple) and np.ndim(out) == 0


def _torch_cases():
    out = []
    for entry_id in TORCH_IDS:
        case = BY_ID[entry_id]
        args = case.args()
        if case.frozen or not _array_wrt(case, args) or isinstance(case.fn(*_copy(args)), tuple):
            continue
        out.append(entry_id)
    return out


TORCH_CASES = _torch_cases()


def _as_torch(case, args):
    return [torch.tensor(a, dtype=torch.float64) if isinstance(a, (np.ndarray, float)) else a
            for a in args]


def _partial(fn, args, index):
    """fn as a function of the wrt arguments only (the others fixed)."""
    def f(*xs):
        full = list(args)
        for i, x in zip(index, xs, strict=True):
            full[i] = x
        return fn(*full)
    return f


def _close(got, expected, rtol=1e-9, atol=1e-10):
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        if isinstance(g, tuple):
            _close(g, e, rtol, atol)
        else:
            e = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
            np.testing.assert_allclose(np.asarray(g, dtype=float), e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("entry_id", TORCH_CASES)
def test_jvp_and_jacobians_match_torch_func(entry_id):
    case = BY_ID[entry_id]
    args = case.args()
    index = _wrt_index(case)
    G = symgrad.grad(case.fn, wrt=case.wrt)
    rng = np.random.default_rng(len(entry_id))
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in index)
    targs = _as_torch(case, args)
    f = _partial(_twin(entry_id), targs, index)
    _, t_expected = torch.func.jvp(f, tuple(targs[i] for i in index),
                                   tuple(torch.tensor(t) for t in tangents))
    _, tangent = G.jvp(*_copy(args), tangents=tangents)
    _close(tangent, t_expected)
    argnums = tuple(range(len(index)))
    jac = torch.func.jacrev(f, argnums=argnums)(*[targs[i] for i in index])
    jac = jac[0] if len(index) == 1 else jac
    _close(G.jacobian(*_copy(args), mode="rev"), jac)
    _close(G.jacobian(*_copy(args), mode="fwd"), jac)


SCALAR_TORCH = [i for i in TORCH_CASES if _scalar_out(BY_ID[i], BY_ID[i].args())]


@pytest.mark.parametrize("entry_id", SCALAR_TORCH)
def test_hessian_and_hvp_match_torch_func(entry_id):
    case = BY_ID[entry_id]
    args = case.args()
    index = _wrt_index(case)
    G = symgrad.grad(case.fn, wrt=case.wrt)
    targs = _as_torch(case, args)
    f = _partial(_twin(entry_id), targs, index)
    argnums = tuple(range(len(index)))
    H = torch.func.hessian(f, argnums=argnums)(*[targs[i] for i in index])
    H = H[0][0] if len(index) == 1 else H
    _close(G.hessian(*_copy(args)), H, rtol=1e-8, atol=1e-9)
    rng = np.random.default_rng(len(entry_id) + 7)
    v = tuple(rng.normal(size=np.shape(args[i])) for i in index)
    _, hv = torch.func.jvp(torch.func.grad(f, argnums=argnums),
                           tuple(targs[i] for i in index), tuple(torch.tensor(t) for t in v))
    _close(G.hvp(*_copy(args), v=v), hv[0] if len(index) == 1 else hv, rtol=1e-8, atol=1e-9)


# ------------------------------------------------------------------------------ jax


def _jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:  # pragma: no cover - jax is an optional test dependency
        return None, None
    return jax, jnp


JAX, JNP = _jax()


def _as_jax_function(fn):
    """fn with numpy read as jax.numpy (its own code, its module's other globals)."""
    namespace = dict(fn.__globals__)
    namespace["np"] = JNP
    for name, value in list(namespace.items()):  # the module's helpers it calls, too
        if isinstance(value, types.FunctionType) and value.__globals__ is fn.__globals__:
            namespace[name] = types.FunctionType(value.__code__, namespace, value.__name__,
                                                 value.__defaults__, value.__closure__)
    return namespace[fn.__name__] if namespace.get(fn.__name__) is not None and \
        namespace[fn.__name__].__code__ is fn.__code__ else types.FunctionType(
            fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def _jax_args(args):
    return [JNP.asarray(a) if isinstance(a, (np.ndarray, float)) else a for a in args]


def _jax_cases():
    """The corpus cases that run as jax (no array writes, no numpy-only calls), with a
    float64 result equal to numpy's."""
    if JAX is None:
        return []
    out = []
    with JAX.enable_x64(True):
        for case in CORPUS:
            args = case.args()
            if case.frozen or case.mutates or not _array_wrt(case, args):
                continue
            index = _wrt_index(case)
            jargs = _jax_args(args)
            try:
                value = _as_jax_function(case.fn)(*jargs)
                f = _partial(_as_jax_function(case.fn), jargs, index)
                JAX.jvp(f, tuple(jargs[i] for i in index), tuple(JNP.zeros_like(
                    jargs[i]) for i in index))
            except Exception:  # noqa: BLE001 - not valid jax (writes, numpy-only calls)
                continue
            if isinstance(value, tuple) or not np.allclose(np.asarray(value),
                                                           case.fn(*_copy(args))):
                continue
            out.append(case.id)
    return out


JAX_CASES = _jax_cases()


def test_the_jax_comparison_covers_every_kind_of_construct():
    if JAX is None:
        pytest.skip("jax is not installed")
    constructs = {BY_ID[i].construct.split(".")[0] for i in JAX_CASES}
    assert len(JAX_CASES) >= 100, JAX_CASES  # (125 of the corpus when written)
    assert {"for", "while", "if", "elif", "call", "call_loop", "rnn", "dict"} <= constructs


@pytest.mark.parametrize("entry_id", JAX_CASES)
def test_jvp_jacobians_and_hessian_match_jax(entry_id):
    case = BY_ID[entry_id]
    args = case.args()
    index = _wrt_index(case)
    G = symgrad.grad(case.fn, wrt=case.wrt)
    rng = np.random.default_rng(len(entry_id) + 3)
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in index)
    with JAX.enable_x64(True):
        jargs = _jax_args(args)
        f = _partial(_as_jax_function(case.fn), jargs, index)
        primals = tuple(jargs[i] for i in index)
        _, t_expected = JAX.jvp(f, primals, tuple(JNP.asarray(t) for t in tangents))
        argnums = tuple(range(len(index)))
        jac = JAX.jacrev(f, argnums=argnums)(*primals)
        jac = jac[0] if len(index) == 1 else jac
        scalar = np.ndim(case.fn(*_copy(args))) == 0
        if scalar:
            H = JAX.hessian(f, argnums=argnums)(*primals)
            H = H[0][0] if len(index) == 1 else H
    _, tangent = G.jvp(*_copy(args), tangents=tangents)
    _close(tangent, np.asarray(t_expected))
    _close(G.jacobian(*_copy(args), mode="rev"), _numpy(jac))
    _close(G.jacobian(*_copy(args), mode="fwd"), _numpy(jac))
    if scalar:
        _close(G.hessian(*_copy(args)), _numpy(H), rtol=1e-8, atol=1e-9)


def _numpy(tree):
    if isinstance(tree, tuple):
        return tuple(_numpy(t) for t in tree)
    return np.asarray(tree)
