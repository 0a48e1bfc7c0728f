"""np.einsum and np.tensordot under @symgrad.grad: central differences, torch, and the code.

One einsum forward is one einsum per operand backward (``rules/contractions.py``); these
tests check the gradient values on several shapes (batched ``...`` with broadcasting,
diagonals, traces, implicit output, the sublist form) and that the printed gradient reads
as one would write it.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import SymgradError
from symgrad.rules.contractions import Einsum, einsum_spec, sublist_spec

torch = pytest.importorskip("torch")
R = np.random.default_rng(13)


def rand(*shape):
    return R.standard_normal(shape)


def matmul_t(A, B):
    return np.sum(np.einsum('ij,kj->ik', A, B) ** 2)


def implicit(A, B):
    return np.sum(np.tanh(np.einsum('ij,jk', A, B)))


def batched(A, B):
    return np.sum(np.sin(np.einsum('...ij,...jk->...ik', A, B)))


def trace_and_diagonal(A):
    return np.einsum('ii', A) * np.sum(np.einsum('ii->i', A) ** 2)


def batched_diagonal(A, w):
    return np.sum(np.einsum('...ii->...i', A) * w)


def repeated_with_free(A, v):
    return np.sum(np.cos(np.einsum('iij,j->i', A, v)))


def three_operands(a, B, c):
    return np.einsum('i,ij,j', a, B, c) ** 2


def summed_only_here(A, w):
    return np.sum(np.einsum('ij->i', A) * w)


def outer_of_one(a):
    return np.sum(np.einsum('i,i->i', a, a) * np.einsum('i,j->ij', a, a))


def sublists(A, B):
    return np.sum(np.einsum(A, [0, 1], B, [1, 2], [0, 2]) ** 2)


def sublist_ellipsis(A, B):
    return np.sum(np.exp(np.einsum(A, [Ellipsis, 0, 1], B, [Ellipsis, 1], [Ellipsis, 0])))


CASES = [
    (matmul_t, [(3, 4), (5, 4)]),
    (matmul_t, [(1, 2), (3, 2)]),
    (implicit, [(2, 3), (3, 4)]),
    (batched, [(2, 3, 4), (2, 4, 5)]),
    (batched, [(3, 4), (2, 4, 5)]),  # A's '...' broadcast
    (batched, [(2, 1, 3, 4), (5, 4, 2)]),
    (batched, [(3, 4), (4, 2)]),  # '...' covering nothing
    (trace_and_diagonal, [(3, 3)]),
    (batched_diagonal, [(2, 3, 3), (3,)]),
    (repeated_with_free, [(3, 3, 2), (2,)]),
    (three_operands, [(3,), (3, 4), (4,)]),
    (summed_only_here, [(3, 4), (3,)]),
    (outer_of_one, [(4,)]),
    (sublists, [(2, 3), (3, 4)]),
    (sublist_ellipsis, [(2, 3, 4), (4,)]),
]


@pytest.mark.parametrize("fn, shapes", CASES, ids=[f"{f.__name__}{s}" for f, s in CASES])
def test_einsum_gradient_matches_central_differences(fn, shapes):
    args = [rand(*s) for s in shapes]
    G = symgrad.grad(fn, wrt=tuple(fn.__code__.co_varnames[:len(args)]))
    np.testing.assert_allclose(G(*args), fn(*args), rtol=1e-12)
    check_grads(G, *args)


TORCH = [
    ('ij,kj->ik', [(3, 4), (5, 4)]),
    ('ij,jk', [(2, 3), (3, 4)]),
    ('...ij,...jk->...ik', [(2, 3, 4), (2, 4, 5)]),
    ('...ij,...jk->...ik', [(3, 4), (2, 4, 5)]),
    ('bij,bjk->bik', [(2, 3, 4), (2, 4, 2)]),
    ('ii->i', [(4, 4)]),
    ('ii', [(4, 4)]),
    ('iij,j->i', [(3, 3, 2), (2,)]),
    ('i,ij,j->', [(3,), (3, 4), (4,)]),
    ('ij->j', [(3, 4)]),
    ('ij->ji', [(3, 4)]),
]


@pytest.mark.parametrize("spec, shapes", TORCH, ids=[s for s, _ in TORCH])
def test_einsum_gradient_matches_torch(spec, shapes, tmp_path):
    names = [f"x{i}" for i in range(len(shapes))]
    src = (f"import numpy as np\n\ndef f({', '.join(names)}, w):\n"
           f"    return np.sum(np.einsum({spec!r}, {', '.join(names)}) * w)\n")
    path = tmp_path / "einsum_case.py"
    path.write_text(src)
    namespace: dict = {"__name__": "einsum_case", "__file__": str(path)}
    exec(compile(src, str(path), "exec"), namespace)
    args = [rand(*s) for s in shapes]
    w = rand(*np.shape(np.einsum(spec, *args)))
    G = symgrad.grad(namespace["f"], wrt=tuple(names))
    ours = G.grad(*args, w)
    ours = ours if isinstance(ours, tuple) else (ours,)
    ts = [torch.tensor(a, requires_grad=True) for a in args]
    (torch.einsum(spec, *ts) * torch.tensor(w)).sum().backward()
    for o, t in zip(ours, ts, strict=True):
        np.testing.assert_allclose(o, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_generated_code_is_one_einsum_per_operand():
    src = symgrad.grad(matmul_t, wrt=("A", "B")).source
    assert "grad_A = np.einsum('ik,kj->ij', t0, B)" in src
    assert "grad_B = np.einsum('ik,ij->kj', t0, A)" in src
    src = symgrad.grad(batched, wrt=("A", "B")).source
    assert "grad_A = _sum_to(np.einsum('...ik,...jk->...ij', t0, B), A)" in src
    src = symgrad.grad(trace_and_diagonal).source
    assert "np.eye(A.shape[1])" in src  # the diagonal embedding


def test_einsum_refusals_are_clear():
    def bad_output(A):
        return np.einsum('ij->k', A)

    def wrong_count(A, B):
        return np.einsum('ij->i', A, B)

    def computed(A, s):
        return np.einsum(s, A)

    def keyword(A):
        return np.einsum('ij->i', A, optimize=True)

    for fn, msg in [(bad_output, "output subscript 'k' is in no operand"),
                    (wrong_count, "1 operand subscripts for 2 operand"),
                    (computed, "sublist must be a literal"),
                    (keyword, "by position")]:
        with pytest.raises(SymgradError, match=msg):
            symgrad.grad(fn, wrt="A")


def test_spec_normalization():
    assert einsum_spec('ij,jk', 2) == 'ij,jk->ik'
    assert einsum_spec('bA', 1) == 'bA->Ab'  # numpy's order: uppercase first
    assert einsum_spec('...ij,...jk', 2) == '...ij,...jk->...ik'
    assert einsum_spec('ii', 1) == 'ii->'
    assert einsum_spec(' i j -> j i ', 1) == 'ij->ji'
    assert sublist_spec([None, [0, 1], None, [1, 2], [0, 2]]) == ('ab,bc->ac', 2)
    assert sublist_spec([None, [Ellipsis, 0]]) == ('...a->...a', 1)
    with pytest.raises(ValueError, match="appears more than once"):
        einsum_spec('ij->ii', 1)
    rules = {"einsum": Einsum}
    for spec, shapes in TORCH + [('...ij,...jk', [(2, 1, 3, 4), (5, 4, 2)])]:
        args = [rand(*s) for s in shapes]
        assert rules["einsum"].out_shape(*shapes, subscripts=spec) == np.einsum(spec, *args).shape


def test_a_write_through_an_einsum_diagonal_is_refused():
    def f(A):
        d = np.einsum('ii->i', A)
        d[0] = 0.0
        return np.sum(A)

    with pytest.raises(SymgradError, match="share memory"):
        symgrad.grad(f)


def tensordot_int(A, B):
    return np.sum(np.tanh(np.tensordot(A, B, 1)))


def tensordot_default(A, B):
    return np.sum(np.tensordot(A, B) ** 2)


def tensordot_zero(a, b):
    return np.sum(np.tensordot(a, b, axes=0) * 0.5)


@pytest.mark.parametrize("fn, shapes", [
    (tensordot_int, [(3, 4), (4, 5)]),
    (tensordot_int, [(2, 3, 4), (4,)]),
    (tensordot_int, [(4,), (4, 2, 3)]),
    (tensordot_default, [(2, 3, 4), (3, 4, 5)]),
    (tensordot_default, [(3, 4), (3, 4)]),
    (tensordot_zero, [(3,), (2, 2)]),
])
def test_tensordot_gradient(fn, shapes):
    args = [rand(*s) for s in shapes]
    G = symgrad.grad(fn, wrt=tuple(fn.__code__.co_varnames[:2]))
    np.testing.assert_allclose(G(*args), fn(*args), rtol=1e-12)
    check_grads(G, *args)
    ts = [torch.tensor(a, requires_grad=True) for a in args]
    axes = {tensordot_int: 1, tensordot_default: 2, tensordot_zero: 0}[fn]
    out = torch.tensordot(*ts, dims=axes)
    {tensordot_int: torch.tanh(out).sum(), tensordot_default: (out ** 2).sum(),
     tensordot_zero: (out * 0.5).sum()}[fn].backward()
    for o, t in zip(G.grad(*args), ts, strict=True):
        np.testing.assert_allclose(o, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_tensordot_code_and_refusal():
    src = symgrad.grad(tensordot_int, wrt=("A", "B")).source
    assert "np.tensordot(A, B, 1)" in src
    assert "grad_A = np.tensordot(" in src and "grad_B = np.tensordot(A, " in src

    def ragged(A, B):
        return np.sum(np.tensordot(A, B, axes=((1, 0), (0,))))

    with pytest.raises(SymgradError, match="two lists of integers of the same length"):
        symgrad.grad(ragged, wrt="A")


def broadcast_named_index(A, B):
    return np.sum(np.einsum('ij,ij->ij', A, B))


def test_a_named_index_broadcast_from_size_1_is_refused_not_a_wrong_shaped_gradient():
    # numpy broadcasts a named index of size 1 quietly; symgrad's gradient for it would have
    # the broadcast shape: the API refuses any gradient not shaped like its argument
    G = symgrad.grad(broadcast_named_index)
    with pytest.raises(SymgradError, match=r"gradient of shape \(2, 3\) for an argument of "
                       r"shape \(1, 3\)"):
        G.grad(np.ones((1, 3)), np.ones((2, 3)))
    np.testing.assert_allclose(G.grad(np.ones((2, 3)), np.full((2, 3), 2.0))[0], 2.0)


def tensordot_pairs(a, b):
    return np.sum(np.tanh(np.tensordot(a, b, axes=([1, 0], [0, 1]))))


def tensordot_pair_ints(a, b):
    return np.sum(np.tensordot(a, b, axes=(0, 1)) ** 2)


@pytest.mark.parametrize(("fn", "sa", "sb", "axes"), [
    (tensordot_pairs, (3, 4, 2), (4, 3, 5), ([1, 0], [0, 1])),
    (tensordot_pair_ints, (3, 2), (4, 3), (0, 1)),
])
def test_tensordot_with_axis_pairs_matches_torch(fn, sa, sb, axes):
    a, b = R.normal(size=sa), R.normal(size=sb)
    G = symgrad.grad(fn)
    np.testing.assert_allclose(G(a, b), fn(a, b), rtol=1e-12)
    ga, gb = check_grads(G, a, b)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    out = torch.tensordot(ta, tb, dims=([axes[0]] if isinstance(axes[0], int) else axes[0],
                                        [axes[1]] if isinstance(axes[1], int) else axes[1]))
    (torch.sum(torch.tanh(out)) if fn is tensordot_pairs else torch.sum(out ** 2)).backward()
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-10)
    assert "np.tensordot(a, b, axes=(" in G.source
