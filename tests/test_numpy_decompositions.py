"""np.linalg's decompositions under @symgrad.grad: slogdet, eigh, eigvalsh, svd (full and
reduced, compute_uv=False), qr, lstsq; each against central differences and torch.linalg,
batched (..., n, n) where numpy is, with gauge-invariant losses and well-separated spectra."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(11)


def _t(*arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def _torch_grads(f, *arrays):
    ts = _t(*arrays)
    f(*ts).backward()
    return [t.grad.numpy() for t in ts]


def _check(f, tf, *args, wrt=None, rtol=1e-5, atol=1e-7):
    """f under @symgrad.grad: its value is f's, its gradients central differences' and
    torch's (tf: f in torch; None to skip)."""
    G = symgrad.grad(f, wrt=wrt) if wrt else symgrad.grad(f)
    np.testing.assert_allclose(G(*args), f(*args), rtol=1e-10)
    grads = check_grads(G, *args, rtol=rtol, atol=atol)
    if tf is not None:
        expected = _torch_grads(tf, *args[:len(grads)])
        for g, e in zip(grads, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-8)
    return G


def _spd(*shape):
    """Well-conditioned matrices with well-separated eigenvalues (not symmetric: eigh reads
    the lower triangle, and so its gradient)."""
    n = shape[-1]
    a = R.standard_normal(shape)
    return a + np.diag(np.arange(1.0, n + 1) * 3)


def _sym_lower(t):
    """The symmetric matrix eigh reads from t's lower triangle (torch's eigh, as numpy)."""
    return torch.tril(t) + torch.tril(t, -1).mT


SQUARE = [(3, 3), (2, 4, 4), (2, 3, 3, 3)]


# ------------------------------------------------------------------------ slogdet


def slogdet_unpacked(A, c):
    s, logabs = np.linalg.slogdet(A)
    return np.sum(logabs * c) + np.sum(s)


def slogdet_indexed(A, c):
    return np.sum(np.linalg.slogdet(A)[1] * c)


def slogdet_attribute(A, c):
    return np.sum(np.linalg.slogdet(A).logabsdet * c)


@pytest.mark.parametrize("shape", SQUARE, ids=str)
@pytest.mark.parametrize("f", [slogdet_unpacked, slogdet_indexed, slogdet_attribute])
def test_slogdet(f, shape):
    A = R.standard_normal(shape) + 2 * np.eye(shape[-1])
    A[..., 0, :] *= -1  # some negative determinants
    c = R.standard_normal(shape[:-2])

    def tf(A):
        s, logabs = torch.linalg.slogdet(A)
        return (logabs * torch.tensor(c)).sum() + s.sum()

    _check(f, tf, A, c, wrt=("A",))


def test_slogdet_computes_once():
    src = symgrad.grad(slogdet_unpacked, wrt="A").source
    for part in [p for p in src.split("\ndef ") if p.startswith("slogdet_unpacked")]:
        code = [line for line in part.splitlines() if not line.strip().startswith("#")]
        assert sum(line.count("np.linalg.slogdet(") for line in code) == 1
    assert "np.linalg.inv(" in src


# ------------------------------------------------------------------------ eigh


def eigh_values(A, c):
    w, v = np.linalg.eigh(A)
    return np.sum(w * c)


def eigh_vectors(A, c):
    w, v = np.linalg.eigh(A)
    return np.sum(w * c[..., 0, :]) + np.sum((v * v) * c)


def eigh_reconstruct(A, c):
    w, v = np.linalg.eigh(A)
    return np.sum((v * np.expand_dims(w, -2)) @ np.swapaxes(v, -1, -2) * c)


def eigh_upper(A, c):
    res = np.linalg.eigh(A, UPLO="U")
    return np.sum(np.abs(res.eigenvectors) * c) + np.sum(res.eigenvalues ** 2)


def eigvalsh_(A, c):
    return np.sum(np.linalg.eigvalsh(A) * c[..., 0, :]) + np.sum(np.linalg.eigvalsh(A) ** 2)


def _eigh_torch(f_name, c):
    c = torch.tensor(c)

    def tf(A):
        upper = f_name == "eigh_upper"
        S = torch.triu(A) + torch.triu(A, 1).mT if upper else _sym_lower(A)
        w, v = torch.linalg.eigh(S)
        if f_name == "eigh_values":
            return (w * c).sum()
        if f_name == "eigh_vectors":
            return (w * c[..., 0, :]).sum() + ((v * v) * c).sum()
        if f_name == "eigh_reconstruct":
            return (((v * w.unsqueeze(-2)) @ v.mT) * c).sum()
        if f_name == "eigh_upper":
            return (v.abs() * c).sum() + (w ** 2).sum()
        return (w * c[..., 0, :]).sum() + (w ** 2).sum()

    return tf


@pytest.mark.parametrize("shape", SQUARE, ids=str)
@pytest.mark.parametrize("f", [eigh_values, eigh_vectors, eigh_reconstruct, eigh_upper,
                               eigvalsh_])
def test_eigh(f, shape):
    A = _spd(*shape)
    c = R.standard_normal(shape if f is not eigh_values else shape[:-1])
    _check(f, _eigh_torch(f.__name__, c), A, c, wrt=("A",), rtol=1e-4, atol=1e-6)


def test_eigh_primal_reads_as_numpy_and_computes_once():
    src = symgrad.grad(eigh_vectors, wrt="A").source
    code = [line for line in src.splitlines() if not line.strip().startswith("#")]
    # once each in the primal, the gradient and value_and_grad
    assert sum(line.count("np.linalg.eigh(") for line in code) == 3
    assert "eigh.eigenvalues" in src and "eigh.eigenvectors" in src
    src = symgrad.grad(eigvalsh_, wrt="A").source
    assert "np.linalg.eigvalsh(A)" in src


def test_eigenvalue_gradients_stay_finite_at_a_repeated_eigenvalue():
    """As torch: eigenvalue-only losses have finite gradients at a degenerate spectrum;
    eigenvector ones divide by the eigenvalue gaps (inf/nan)."""
    A = np.eye(3)
    c = np.arange(3.0)
    G = symgrad.grad(eigh_values, wrt="A")
    (t,) = _torch_grads(_eigh_torch("eigh_values", c), A)
    np.testing.assert_allclose(G.grad(A, c), t)
    with np.errstate(all="ignore"):
        g = symgrad.grad(eigh_vectors, wrt="A").grad(A, np.ones((3, 3)))
    assert not np.all(np.isfinite(g))


# ------------------------------------------------------------------------ svd


def svd_reconstruct(A, c):
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    return np.sum((U * np.expand_dims(S, -2)) @ Vh * c)


def svd_values(A, cs):
    return np.sum(np.linalg.svd(A, compute_uv=False) * cs)


def svd_vectors(A, cu, cs, cv):
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    return np.sum(U * U * cu) + np.sum(Vh * Vh * cv) + np.sum(S * cs)


def svd_abs(A, cu, cs, cv):
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    return np.sum(np.abs(U) * cu) + np.sum(np.abs(Vh) * cv) + np.sum(S ** 2 * cs)


def svd_full(A, cu, cs, cv):
    res = np.linalg.svd(A)
    return np.sum(res.U ** 2 * cu) + np.sum(res.S * cs) + np.sum(np.abs(res.Vh) * cv)


def _svd_torch(name, *cs):
    cs = [torch.tensor(c) for c in cs]

    def tf(A):
        if name == "svd_values":
            return (torch.linalg.svdvals(A) * cs[0]).sum()
        U, S, Vh = torch.linalg.svd(A, full_matrices=name == "svd_full")
        if name == "svd_reconstruct":
            return (((U * S.unsqueeze(-2)) @ Vh) * cs[0]).sum()
        cu, c_s, cv = cs
        if name == "svd_vectors":
            return (U * U * cu).sum() + (Vh * Vh * cv).sum() + (S * c_s).sum()
        if name == "svd_abs":
            return (U.abs() * cu).sum() + (Vh.abs() * cv).sum() + (S ** 2 * c_s).sum()
        # full_matrices: only the first min(m, n) columns of U (rows of Vh) carry gradient
        k = S.shape[-1]
        return (U[..., :k] ** 2 * cu[..., :k]).sum() + (S * c_s).sum() + \
            (Vh[..., :k, :].abs() * cv[..., :k, :]).sum()

    return tf


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5), (2, 4, 3), (2, 3, 2, 4)], ids=str)
@pytest.mark.parametrize("f", [svd_reconstruct, svd_values, svd_vectors, svd_abs, svd_full])
def test_svd(f, shape):
    A = R.standard_normal(shape)
    m, n = shape[-2:]
    k = min(m, n)
    batch = shape[:-2]
    if f is svd_reconstruct:
        weights = [R.standard_normal(shape)]
    elif f is svd_values:
        weights = [R.standard_normal(batch + (k,))]
    else:
        full = f is svd_full
        weights = [R.standard_normal(batch + (m, m if full else k)),
                   R.standard_normal(batch + (k,)),
                   R.standard_normal(batch + (n if full else k, n))]
        if full:  # the columns beyond k carry no gradient (torch's convention too)
            weights[0][..., k:] = 0
            weights[2][..., k:, :] = 0
    _check(f, _svd_torch(f.__name__, *weights), A, *weights, wrt=("A",), rtol=1e-4,
           atol=1e-6)


# ------------------------------------------------------------------------ qr


def qr_product(A, c):
    Q, R_ = np.linalg.qr(A)
    return np.sum((Q @ R_) * c)


def qr_parts(A, c):
    res = np.linalg.qr(A)
    return np.sum(np.abs(res.Q) * c) + np.sum(np.abs(res.R) ** 2)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 2), (2, 3, 4, 4)], ids=str)
@pytest.mark.parametrize("f", [qr_product, qr_parts])
def test_qr(f, shape):
    A = R.standard_normal(shape)
    c = R.standard_normal(shape)
    ct = torch.tensor(c)

    def tf(A):
        Q, R_ = torch.linalg.qr(A)
        if f is qr_product:
            return ((Q @ R_) * ct).sum()
        return (Q.abs() * ct).sum() + (R_.abs() ** 2).sum()

    _check(f, tf, A, c, wrt=("A",), rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------------ lstsq


def lstsq_x(A, b, c):
    x, res, rank, s = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x * c)


def lstsq_index(A, b, c):
    return np.sum(np.linalg.lstsq(A, b)[0] * c) + np.sum(np.linalg.lstsq(A, b)[3])


def lstsq_residuals(A, b, c):
    x, res, rank, s = np.linalg.lstsq(A, b)
    return np.sum(res * c[0]) + np.sum(x * c)


@pytest.mark.parametrize("sa, sb", [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 3), (3, 2)),
                                    ((2, 4), (2,)), ((2, 4), (2, 3))], ids=str)
@pytest.mark.parametrize("f", [lstsq_x, lstsq_index, lstsq_residuals])
def test_lstsq(f, sa, sb):
    if f is lstsq_residuals and sa[0] <= sa[1]:
        pytest.skip("numpy returns no residuals where m <= n")
    A, b = R.standard_normal(sa), R.standard_normal(sb)
    c = R.standard_normal((sa[1],) + sb[1:])
    ct = torch.tensor(c)

    def tf(A, b):
        x = torch.linalg.pinv(A) @ b  # torch's lstsq (gelsy) is for m >= n; pinv's is general
        if f is lstsq_x:
            return (x * ct).sum()
        if f is lstsq_index:
            return (x * ct).sum() + torch.linalg.svdvals(A).sum()
        r = b - A @ x
        return ((r * r).sum(0) * ct[0]).sum() + (x * ct).sum()

    _check(f, tf, A, b, c, wrt=("A", "b"), rtol=1e-4, atol=1e-6)


def test_unsupported_forms_fail_at_decoration():
    def complete(A):
        return np.linalg.qr(A, mode="complete")[0].sum()

    def hermitian(A):
        return np.linalg.svd(A, hermitian=True)[1].sum()

    def uplo(A):
        return np.linalg.eigh(A, "X")[0].sum()

    for f, match in [(complete, "mode='complete'"), (hermitian, "hermitian"),
                     (uplo, "UPLO")]:
        with pytest.raises(symgrad.SymgradError, match=match):
            symgrad.grad(f)


def test_decomposition_of_an_expression_and_of_a_product():
    def f(B, c):
        w, v = np.linalg.eigh(B + np.swapaxes(B, -1, -2))
        return np.sum(w * c) + np.sum(np.linalg.svd(B @ B, compute_uv=False))

    B = _spd(2, 3, 3)
    c = R.standard_normal((2, 3))
    ct = torch.tensor(c)

    def tf(B):
        w, v = torch.linalg.eigh(B + B.mT)
        return (w * ct).sum() + torch.linalg.svdvals(B @ B).sum()

    _check(f, tf, B, c, wrt=("B",), rtol=1e-4, atol=1e-6)


def test_a_decomposition_in_a_loop():
    def f(A):
        total = 0.0
        for i in range(3):
            Q, R_ = np.linalg.qr(A * (i + 1.0))
            total = total + np.sum(np.abs(np.diagonal(R_, 0, -2, -1)))
        return total

    A = R.standard_normal((4, 3))

    def tf(A):
        total = 0.0
        for i in range(3):
            Q, R_ = torch.linalg.qr(A * (i + 1.0))
            total = total + R_.diagonal(0, -2, -1).abs().sum()
        return total

    _check(f, tf, A, rtol=1e-4, atol=1e-6)
