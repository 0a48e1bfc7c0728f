"""np.linalg.inv, solve, det, cholesky, pinv, np.kron and np.cross under @symgrad.grad.

Each gradient against central differences (float64) and against torch.autograd, on single
matrices, batches ``(2, 3, n, n)``, batches that broadcast (solve) and empty batches, and the
printed gradients read as one would write them (``rules/inverses.py``, ``rules/linalg.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import SymgradError

torch = pytest.importorskip("torch")
R = np.random.default_rng(1313)


def rand(*shape):
    return R.standard_normal(shape)


def well_conditioned(*shape):
    """A + n I: a random matrix (stack) far from singular."""
    return rand(*shape) + shape[-1] * np.eye(shape[-1])


def spd(*shape):
    m = rand(*shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def T(x):
    return torch.tensor(x, requires_grad=True)


def torch_grads(f, *args):
    ts = [T(a) for a in args]
    f(*ts).backward()
    return [t.grad.numpy() for t in ts]


def check(fn, torch_fn, *args):
    """fn's primal is numpy's, its gradient matches central differences and torch."""
    G = symgrad.grad(fn, wrt=tuple(fn.__code__.co_varnames[:len(args) - 1]))
    np.testing.assert_allclose(G(*args), fn(*args), rtol=1e-12)
    ours = check_grads(G, *args)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = torch_grads(lambda *ts: torch_fn(*ts, torch.tensor(args[-1])), *args[:-1])
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12)
    return G


def weights(shape):
    return rand(*shape)


# ------------------------------------------------------------------------ inv


def inv_(A, w):
    return np.sum(np.tanh(np.linalg.inv(A)) * w)


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 3, 4, 4), (0, 3, 3)])
def test_inv(shape):
    A = well_conditioned(*shape)
    check(inv_, lambda A, w: (torch.tanh(torch.linalg.inv(A)) * w).sum(), A, weights(shape))


def test_inv_reads_like_a_hand_written_gradient():
    src = symgrad.grad(inv_, wrt="A").source
    assert "t0 = np.linalg.inv(A)" in src
    assert "t1 = np.swapaxes(t0, -1, -2)" in src  # the forward's inverse, reused
    grad = src.split("grad_A = ")[1].split("\n")[0]
    assert grad.startswith("-((t1 @ ") and grad.endswith(") @ t1)")
    assert ".T" not in src


# ------------------------------------------------------------------------ solve


def solve_(A, b, w):
    return np.sum(np.linalg.solve(A, b) * w)


def solve_squared(A, b, w):
    x = np.linalg.solve(A, b)
    return np.sum(x * x * w)


SOLVE = [
    ((3, 3), (3,)),  # b a vector
    ((3, 3), (3, 2)),  # b a matrix
    ((2, 3, 4, 4), (4,)),  # batched A, one vector b for all (numpy 2: a 1-d b is a vector)
    ((2, 3, 4, 4), (2, 3, 4, 1)),
    ((2, 1, 3, 3), (4, 3, 2)),  # batch dimensions broadcast both ways
    ((3, 3), (2, 3, 2)),  # one A for a batch of b
    ((2, 3, 3), (3, 2)),  # a batch of A for one b
    ((0, 3, 3), (0, 3, 2)),  # an empty batch
    ((0, 3, 3), (3,)),
]


def _torch_solve(A, b):
    if b.ndim == 1 and A.ndim > 2:  # numpy's vector b against a batch of A
        return torch.linalg.solve(A, b.expand(A.shape[:-1]))
    return torch.linalg.solve(A, b)


@pytest.mark.parametrize("fn", [solve_, solve_squared])
@pytest.mark.parametrize("sa, sb", SOLVE, ids=[f"{a}-{b}" for a, b in SOLVE])
def test_solve(fn, sa, sb):
    A, b = well_conditioned(*sa), rand(*sb)
    x = np.linalg.solve(A, b)
    power = 2 if fn is solve_squared else 1
    check(fn, lambda A, b, w: (_torch_solve(A, b) ** power * w).sum(), A, b, weights(x.shape))


def test_solve_reads_like_a_hand_written_gradient():
    src = symgrad.grad(solve_squared, wrt=("A", "b")).source
    lines = src.split("def solve_squared_grad")[1]
    assert "np.linalg.solve(np.swapaxes(A, -1, -2), _as_columns(grad_x, b))" in lines
    assert "grad_A = _sum_to(-(t1 @ np.swapaxes(_as_columns(" in lines
    assert "grad_b = _sum_to(_from_columns(t1, b), b)" in lines
    assert ".T" not in lines


# ------------------------------------------------------------------------ det


def det_(A, w):
    return np.sum(np.linalg.det(A) * w)


def det_nonlinear(A, w):
    return np.sum(np.sin(np.linalg.det(A)) * w)


@pytest.mark.parametrize("fn, torch_fn", [
    (det_, lambda A, w: (torch.linalg.det(A) * w).sum()),
    (det_nonlinear, lambda A, w: (torch.sin(torch.linalg.det(A)) * w).sum())])
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 3, 4, 4), (0, 3, 3)])
def test_det(fn, torch_fn, shape):
    A = well_conditioned(*shape) / shape[-1]
    check(fn, torch_fn, A, weights(shape[:-2]))


def test_det_reads_like_jacobis_formula():
    src = symgrad.grad(det_, wrt="A").source.split("def det__grad")[1]
    assert "grad_A = _cofactor(A)*np.expand_dims(" in src


@pytest.mark.parametrize("A", [
    [[1.0, 2.0], [2.0, 4.0]],  # rank 1: the cofactors are [[4, -2], [-2, 1]]
    [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]],  # rank 2
    [[0.0, 0.0], [0.0, 0.0]],  # rank 0: every cofactor is 0
    [[[1.0, 1.0], [1.0, 1.0]], [[2.0, 1.0], [1.0, 3.0]]],  # a batch, one singular
], ids=["rank1", "rank2", "zero", "batch"])
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(A):
    """det is a polynomial: its gradient exists everywhere, and central differences see it
    (torch's depends on its singularity test: 0 for the rank-1 2x2)."""
    A = np.array(A)
    G = symgrad.grad(det_, wrt="A")
    w = weights(A.shape[:-2])
    assert np.all(np.isfinite(G.grad(A, w)))
    check_grads(G, A, w)


# ------------------------------------------------------------------------ cholesky# ------------------------------------------------------------------------ cholesky


def cholesky_(S, w):
    # the symmetric part: np.linalg.cholesky reads only the lower triangle, and its gradient
    # is that of a function of a symmetric matrix (torch's)
    L = np.linalg.cholesky((S + np.swapaxes(S, -1, -2)) / 2)
    return np.sum(L * w)


def cholesky_upper(S, w):
    U = np.linalg.cholesky((S + np.swapaxes(S, -1, -2)) / 2, upper=True)
    return np.sum(np.exp(U / 4) * w)


def cholesky_plain(S, w):
    return np.sum(np.linalg.cholesky(S) * w)


def _sym(S):
    return (S + S.mT) / 2


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 3, 4, 4), (0, 3, 3)])
def test_cholesky(shape):
    S = spd(*shape)
    check(cholesky_, lambda S, w: (torch.linalg.cholesky(_sym(S)) * w).sum(), S, weights(shape))
    check(cholesky_upper, lambda S, w: (torch.exp(torch.linalg.cholesky(_sym(S), upper=True)
                                                  / 4) * w).sum(), S, weights(shape))


def test_cholesky_gradient_is_symmetric_and_torchs():
    S, w = spd(2, 4, 4), weights((2, 4, 4))
    G = symgrad.grad(cholesky_plain, wrt="S")
    g = G.grad(S, w)
    np.testing.assert_allclose(g, np.swapaxes(g, -1, -2), rtol=1e-12)
    t, = torch_grads(lambda S: (torch.linalg.cholesky(S) * torch.tensor(w)).sum(), S)
    np.testing.assert_allclose(g, t, rtol=1e-9, atol=1e-12)
    src = G.source.split("def cholesky_plain_grad")[1]
    assert "np.linalg.inv(t0)" in src and "np.tril(" in src and ".T" not in src


# ------------------------------------------------------------------------ pinv


def pinv_(A, w):
    return np.sum(np.linalg.pinv(A) * w)


def pinv_squared(A, w):
    return np.sum(np.linalg.pinv(A) ** 2 * w)


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3), (2, 3, 4, 2), (0, 2, 3)])
def test_pinv_full_rank(shape):
    A = rand(*shape)
    out = np.swapaxes(np.empty(shape), -1, -2).shape
    for fn, power in ((pinv_, 1), (pinv_squared, 2)):
        check(fn, lambda A, w, p=power: (torch.linalg.pinv(A) ** p * w).sum(), A, weights(out))


def test_pinv_at_rank_deficiency_is_torchs_constant_rank_derivative():
    """A rank-deficient A: the derivative along perturbations that keep the rank, as torch."""
    u, v = rand(4, 1), rand(1, 3)
    A, w = u @ v, weights((3, 4))
    g = symgrad.grad(pinv_squared, wrt="A").grad(A, w)
    t, = torch_grads(lambda A: (torch.linalg.pinv(A) ** 2 * torch.tensor(w)).sum(), A)
    np.testing.assert_allclose(g, t, rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------------------ kron


def kron_(a, b, w):
    return np.sum(np.kron(a, b) * w)


def kron_cubed(a, b, w):
    return np.sum(np.kron(a, b) ** 3 * w)


KRON = [((2, 3), (3, 2)), ((3,), (4,)), ((3,), (2, 2)), ((2, 1, 2), (3,)), ((), (3,)),
        ((2, 2), ()), ((), ()), ((0, 2), (2, 3))]


@pytest.mark.parametrize("sa, sb", KRON, ids=[f"{a}-{b}" for a, b in KRON])
def test_kron(sa, sb):
    a, b = rand(*sa), rand(*sb)
    out = np.kron(a, b).shape
    check(kron_, lambda a, b, w: (torch.kron(a, b) * w).sum(), a, b, weights(out))
    check(kron_cubed, lambda a, b, w: (torch.kron(a, b) ** 3 * w).sum(), a, b, weights(out))


# ------------------------------------------------------------------------ cross


def cross_(a, b, w):
    return np.sum(np.cross(a, b) * w)


def cross_axis(a, b, w):
    return np.sum(np.cross(a, b, axis=-2) ** 2 * w)


def cross_axes(a, b, w):
    return np.sum(np.cross(a, b, axisa=-2, axisb=-1, axisc=-2) * w)


def _torch_cross(a, b, dim=-1):
    shape = torch.broadcast_shapes(a.shape, b.shape)
    return torch.linalg.cross(a.expand(shape), b.expand(shape), dim=dim)


CROSS = [
    (cross_, lambda a, b, w: (_torch_cross(a, b) * w).sum(), [(3,), (3,)]),
    (cross_, lambda a, b, w: (_torch_cross(a, b) * w).sum(), [(4, 3), (3,)]),
    (cross_, lambda a, b, w: (_torch_cross(a, b) * w).sum(), [(2, 1, 3), (4, 3)]),
    (cross_, lambda a, b, w: (_torch_cross(a, b) * w).sum(), [(0, 3), (3,)]),
    (cross_axis, lambda a, b, w: (_torch_cross(a, b, -2) ** 2 * w).sum(), [(3, 2), (2, 3, 2)]),
    (cross_axes, lambda a, b, w: (_torch_cross(a.mT, b, -1).mT * w).sum(), [(3, 5), (2, 5, 3)]),
]


@pytest.mark.parametrize("fn, torch_fn, shapes", CROSS,
                         ids=[f"{f.__name__}-{s}" for f, _, s in CROSS])
def test_cross(fn, torch_fn, shapes):
    a, b = (rand(*s) for s in shapes)
    out = np.shape(_value(fn, a, b))
    check(fn, torch_fn, a, b, weights(out))


def _value(fn, a, b):
    return {"cross_": lambda: np.cross(a, b), "cross_axis": lambda: np.cross(a, b, axis=-2),
            "cross_axes": lambda: np.cross(a, b, axisa=-2, axisb=-1, axisc=-2)}[fn.__name__]()


def test_cross_reads_like_a_hand_written_gradient():
    src = symgrad.grad(cross_axes, wrt=("a", "b")).source.split("def cross_axes_grad")[1]
    # b's vectors along -1, g's along -2 (axisc), grad_a's along -2 (axisa)
    assert "grad_a = _sum_to(_cross3(b, t1, axisb=-2, axisc=-2), a)" in src
    assert "grad_b = _sum_to(_cross3(t1, a, axisa=-2, axisb=-2), b)" in src


def cross_2(a, b, w):
    return np.sum(np.cross(a, b) * w)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
def test_the_gradient_of_a_cross_of_2_vectors_is_refused():
    # g has no vector axis here: np.cross(b, g) would read its batch axis of 2 as one
    G = symgrad.grad(cross_2, wrt=("a", "b"))
    with pytest.raises(SymgradError, match="3-vectors only"):
        G.grad(rand(2, 2), rand(2, 2), rand(2))


def cross_positive(a, b):
    return np.sum(np.cross(a, b, axis=0))


def test_a_non_negative_cross_axis_is_refused():
    with pytest.raises(SymgradError, match="counted from the end"):
        symgrad.grad(cross_positive)
    a = symgrad.tensor(rand(2, 2), requires_grad=True)
    with pytest.raises(RuntimeError, match="must have length 3"):
        a.cross(a, dim=1)


# ------------------------------------------------------------------------ matrix_power


def power_3(A, w):
    return np.sum(np.linalg.matrix_power(A, 3) * w)


def power_1(A, w):
    return np.sum(np.sin(np.linalg.matrix_power(A, 1)) * w)


def power_0(A, w):
    return np.sum(np.linalg.matrix_power(A, 0) * A * w)


def power_minus_2(A, w):
    return np.sum(np.linalg.matrix_power(A, -2) * w)


POWERS = [(power_3, 3), (power_1, 1), (power_0, 0), (power_minus_2, -2)]


@pytest.mark.parametrize("fn, n", POWERS, ids=[f.__name__ for f, _ in POWERS])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 4, 4), (0, 3, 3)])
def test_matrix_power(fn, n, shape):
    A = well_conditioned(*shape) / shape[-1]
    if fn is power_1:
        def torch_fn(A, w):
            return (torch.sin(torch.linalg.matrix_power(A, 1)) * w).sum()
    elif fn is power_0:
        def torch_fn(A, w):
            return (torch.linalg.matrix_power(A, 0) * A * w).sum()
    else:
        def torch_fn(A, w, n=n):
            return (torch.linalg.matrix_power(A, n) * w).sum()
    check(fn, torch_fn, A, weights(shape))


def test_matrix_power_reads_as_a_sum_of_products():
    src = symgrad.grad(power_3, wrt="A").source.split("def power_3_grad")[1]
    assert "t1 = np.swapaxes(A, -1, -2)" in src
    assert "np.linalg.matrix_power(t1, 2)" in src
    src = symgrad.grad(power_minus_2, wrt="A").source.split("def power_minus_2_grad")[1]
    assert "np.swapaxes(np.linalg.inv(A), -1, -2)" in src


def power_of_x(A, n):
    return np.sum(np.linalg.matrix_power(A, n))


def test_a_computed_exponent_is_refused():
    with pytest.raises(SymgradError, match="matrix_power"):
        symgrad.grad(power_of_x, wrt="A")


# ------------------------------------------------------------------------ multi_dot


def multi_dot_(a, B, C, d, w):
    return np.sum(np.linalg.multi_dot([a, B, C, d]) * w)


def multi_dot_two(a, B, w):
    return np.sum(np.tanh(np.linalg.multi_dot([a, B])) * w)


MULTI = [(multi_dot_, [(3,), (3, 4), (4, 5), (5,)]), (multi_dot_, [(2, 3), (3, 4), (4, 5), (5, 2)]),
         (multi_dot_, [(2, 3), (3, 4), (4, 5), (5,)]), (multi_dot_two, [(3,), (3, 2)]),
         (multi_dot_two, [(2, 3), (3,)]), (multi_dot_two, [(0, 3), (3, 2)])]


@pytest.mark.parametrize("fn, shapes", MULTI, ids=[f"{f.__name__}-{s}" for f, s in MULTI])
def test_multi_dot(fn, shapes):
    xs = [rand(*s) for s in shapes]
    out = np.shape(np.linalg.multi_dot(xs))
    if fn is multi_dot_:
        def torch_fn(*ts):
            return (torch.linalg.multi_dot(list(ts[:-1])) * ts[-1]).sum()
    else:
        def torch_fn(*ts):
            return (torch.tanh(torch.linalg.multi_dot(list(ts[:-1]))) * ts[-1]).sum()
    check(fn, torch_fn, *xs, weights(out))


# ------------------------------------------------------------------------ refusals, Tensor


def pinv_rcond(A):
    return np.sum(np.linalg.pinv(A, rcond=1e-3))


def test_unmodelled_parameters_are_refused():
    with pytest.raises(SymgradError, match="rcond"):
        symgrad.grad(pinv_rcond)


def test_the_tensor_spells_them_as_torch():
    A = well_conditioned(2, 3, 3)
    S = spd(3, 3)
    b = rand(3)
    cases = [
        (lambda t, A: t.linalg.inv(A), A, "LinalgInvExBackward0"),
        (lambda t, A: A.inverse(), A, "LinalgInvExBackward0"),
        (lambda t, A: t.det(A), A, "LinalgDetBackward0"),
        (lambda t, A: t.linalg.det(A), A, "LinalgDetBackward0"),
        (lambda t, A: t.linalg.solve(A, t.tensor(b)), A, "LinalgSolveExBackward0"),
        (lambda t, S: t.linalg.cholesky(S), S, "LinalgCholeskyExBackward0"),
        (lambda t, A: t.linalg.pinv(A), A, "LinalgPinvBackward0"),
        (lambda t, A: A.pinverse(), A, "LinalgPinvBackward0"),
        (lambda t, A: t.kron(A, A), A, "UnsafeViewBackward0"),
        (lambda t, A: A.cross(A, dim=1), A, "LinalgCrossBackward0"),
        (lambda t, A: t.linalg.cross(A, A * A), A, "LinalgCrossBackward0"),
        (lambda t, A: A.matrix_power(3), A, "UnsafeViewBackward0"),
        (lambda t, A: t.linalg.matrix_power(A[0], -3), A, "MmBackward0"),
        (lambda t, A: t.linalg.multi_dot([A[0], A[1], A[0]]), A, "ViewBackward0"),
    ]
    for f, x, node in cases:
        results = []
        for lib in (symgrad, torch):
            t = lib.tensor(x, requires_grad=True)
            y = f(lib, t)
            assert type(y.grad_fn).__name__ == node, (lib.__name__, node)
            w = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))
            g, = lib.autograd.grad((y * w).sum(), t, create_graph=True)
            h, = lib.autograd.grad((g * g).sum(), t)  # the vjps are differentiable
            results.append([y.detach().numpy(), g.detach().numpy(), h.numpy()])
        for s, t in zip(*results, strict=True):
            np.testing.assert_allclose(s, t, rtol=1e-9, atol=1e-12)


def test_numpy_functions_on_tensors_record_the_entries():
    A = symgrad.tensor(well_conditioned(3, 3), requires_grad=True)
    assert np.linalg.inv(A).grad_fn.name() == "LinalgInvExBackward0"
    assert np.linalg.solve(A, A).grad_fn.name() == "LinalgSolveExBackward0"
    assert np.kron(A, A).grad_fn.name() == "UnsafeViewBackward0"


def test_a_gradient_of_a_gradient():
    """The generated gradient is differentiable again: the Hessian-vector product of
    log|det A| + sum(inv(A)), by symgrad's Tensor, against torch's."""
    A = well_conditioned(3, 3)
    v = rand(3, 3)
    G = symgrad.grad(_logdet_inv)
    outs = []
    for lib, grad in ((symgrad, G), (torch, None)):
        t = lib.tensor(A, requires_grad=True)
        if grad is None:
            y = torch.log(torch.abs(torch.linalg.det(t))) + torch.linalg.inv(t).sum()
            g, = torch.autograd.grad(y, t, create_graph=True)
        else:
            g = grad.grad(t)
        hv, = lib.autograd.grad((g * lib.tensor(v)).sum(), t)
        outs.append((g.detach().numpy(), hv.numpy()))
    for s, t in zip(*outs, strict=True):
        np.testing.assert_allclose(s, t, rtol=1e-9, atol=1e-12)


def _logdet_inv(A):
    return np.log(np.abs(np.linalg.det(A))) + np.sum(np.linalg.inv(A))


def write_through_matrix_power(A):
    B = A * 2.0
    P = np.linalg.matrix_power(B, 1)  # numpy returns B itself
    B[0, 0] = 0.0
    return np.sum(P * A)


def test_a_write_through_matrix_power_1_is_refused():
    with pytest.raises(SymgradError, match="share memory"):
        symgrad.grad(write_through_matrix_power)


def test_tensor_matrix_power_1_is_a_copy_as_torchs():
    for lib in (symgrad, torch):
        A = lib.tensor(well_conditioned(3, 3), requires_grad=True)
        P = A.matrix_power(1)
        assert type(P.grad_fn).__name__ == "CloneBackward0"
        with lib.no_grad():
            P[0, 0] = 100.0
        assert float(A.detach()[0, 0]) != 100.0


def test_the_tensors_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    A = symgrad.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    A.det().backward()
    np.testing.assert_allclose(A.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_symgrad_linalg_solve_reads_b_as_torch_does():
    """torch.linalg.solve takes B of shape A.shape[:-1] as a batch of vectors (numpy 2 reads
    it as matrices); symgrad.linalg.solve follows torch, gradients included."""
    A, B = well_conditioned(2, 3, 3), rand(2, 3)
    results = []
    for lib in (symgrad, torch):
        a, b = lib.tensor(A, requires_grad=True), lib.tensor(B, requires_grad=True)
        x = lib.linalg.solve(a, b)
        assert tuple(x.shape) == (2, 3)
        (x * lib.tensor(np.cos(np.arange(6.0)).reshape(2, 3))).sum().backward()
        results.append([x.detach().numpy(), a.grad.numpy(), b.grad.numpy()])
    for s_, t_ in zip(*results, strict=True):
        np.testing.assert_allclose(s_, t_, rtol=1e-10)
