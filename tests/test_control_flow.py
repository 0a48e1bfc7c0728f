"""Control flow, mutation, calls and containers: the corpus (tests/corpus/) checked in
float64 against central differences (gradutil.check_grads), against plain Python for the
value, and, for the entries with a torch twin, against PyTorch.

``test_corpus_is_fd_stable`` checks, independently of symgrad, that finite differences are
well posed at each entry's arguments (no kink, branch switch or extra loop trip nearby).
"""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest
from corpus import BY_ID, CORPUS, IDS, TORCH_IDS, torch_twins
from corpus.stop_gradient import DETACH
from gradutil import check_grads, numeric_grad

import symgrad


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _seed(case):
    return None if case.seed is None else case.seed()


def _frozen(fn, args):
    """``fn`` with each ``symgrad.stop_gradient(v)`` returning v's value at ``args``.

    The corpus calls it as ``symgrad.stop_gradient``, so the module attribute is swapped
    while ``fn`` runs; the control path is the same at every FD point, so the calls line up.
    """
    real = symgrad.stop_gradient
    recorded = []

    def run(stop, *a):
        symgrad.stop_gradient = stop
        try:
            return fn(*_copy(a))
        finally:
            symgrad.stop_gradient = real

    run(lambda v: recorded.append(np.array(v, copy=True)) or v, *args)

    def replay(*a):
        values = iter(recorded)
        return run(lambda v: next(values), *a)

    return replay


def _referee(G, case, args):
    """G itself, or G whose ``fn`` (what check_grads differentiates numerically) runs on
    copies (for functions that write into their arguments) and with stopped values frozen."""
    if not (case.mutates or case.frozen):
        return G
    fn = _frozen(case.fn, args) if case.frozen else (lambda *a: case.fn(*_copy(a)))
    return types.SimpleNamespace(grad=G.grad, wrt=G.wrt, params=G.params, fn=fn)


def _wrt(case):
    return case.wrt if case.wrt is not None else tuple(inspect.signature(case.fn).parameters)


# ======================================================================== symgrad


def test_corpus_is_large_enough():
    assert len({case.fn for case in CORPUS}) >= 70
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_gradient_matches_finite_differences(case):
    args = case.args()
    G = symgrad.grad(case.fn, wrt=case.wrt)
    check_grads(_referee(G, case, args), *args, seed=_seed(case))


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_value_matches_plain_python(case):
    args = case.args()
    expected = case.fn(*_copy(args))
    got = symgrad.grad(case.fn, wrt=case.wrt)(*args)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


MUTATING = [case for case in CORPUS if case.mutates]


@pytest.mark.parametrize("case", MUTATING, ids=[case.id for case in MUTATING])
def test_caller_arrays_are_not_mutated(case):
    """Plain numpy writes into the caller's array; symgrad's function and gradient do not."""
    args = case.args()
    before = _copy(args)
    G = symgrad.grad(case.fn, wrt=case.wrt)
    G(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    G.grad(*args, seed=_seed(case))
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("detached, twin, make_args", [d[1:] for d in DETACH],
                         ids=[d[0] for d in DETACH])
def test_detach_matches_stop_gradient(detached, twin, make_args):
    args = make_args()
    got = symgrad.grad(detached, wrt="x").grad(*args)
    expected = symgrad.grad(twin, wrt="x").grad(*args)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if args[-1] is True:  # c is a constant: d/dx sum(c * x) = c
        np.testing.assert_allclose(got, args[0] ** 2, rtol=1e-12)


# ======================================================================== the corpus itself


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_corpus_runs_under_plain_numpy(case):
    args = case.args()
    before = _copy(args)
    out = case.fn(*args)
    for o in out if isinstance(out, tuple) else (out,):
        assert np.all(np.isfinite(o))
    changed = any(isinstance(a, np.ndarray) and not np.array_equal(a, b)
                  for a, b in zip(args, before, strict=True))
    assert changed == case.mutates, "the entry's mutates flag is wrong"


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_corpus_is_fd_stable(case):
    """FD at two step sizes agree: no kink, branch switch or extra loop trip within 1e-4."""
    args = case.args()
    fn = _frozen(case.fn, args) if case.frozen else (lambda *a: case.fn(*_copy(a)))
    params = list(inspect.signature(case.fn).parameters)
    for name in _wrt(case):
        i = params.index(name)
        fine = numeric_grad(fn, args, i, seed=_seed(case), eps=1e-6)
        coarse = numeric_grad(fn, args, i, seed=_seed(case), eps=1e-4)
        np.testing.assert_allclose(fine, coarse, rtol=1e-5, atol=1e-6, err_msg=name)


# ======================================================================== against PyTorch


def _twin_for(twins, entry_id):
    matches = [fn for prefix, fn in twins.items()
               if entry_id == prefix or entry_id.startswith(prefix + "-")]
    assert len(matches) == 1, entry_id
    return matches[0]


@pytest.mark.parametrize("entry_id", TORCH_IDS)
def test_matches_torch(entry_id):
    torch = pytest.importorskip("torch")
    case = BY_ID[entry_id]
    twin = _twin_for(torch_twins(torch), entry_id)
    args = case.args()
    params = list(inspect.signature(case.fn).parameters)
    wrt = [params.index(name) for name in _wrt(case)]
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt)
               if isinstance(a, (np.ndarray, float)) else a for i, a in enumerate(args)]
    out = twin(*tensors)
    seed = _seed(case)
    if isinstance(out, tuple):
        torch.autograd.backward(out, [torch.as_tensor(s, dtype=torch.float64) for s in seed])
    else:
        out.backward()
    expected = [tensors[i].grad.numpy() for i in wrt]
    got = symgrad.grad(case.fn, wrt=case.wrt).grad(*args, seed=seed)
    got = (got,) if len(wrt) == 1 else got
    for name, g, e in zip(_wrt(case), got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-12, err_msg=name)
