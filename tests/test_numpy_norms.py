"""np.linalg.norm under @symgrad.grad: every ord for vectors and matrices, axis None, an int
or a pair, keepdims; each against central differences and torch.linalg's norms (whose
conventions at the non-smooth points symgrad follows)."""

from __future__ import annotations

import numpy as np
import pytest
from gradutil import check_grads

import symgrad

torch = pytest.importorskip("torch")
R = np.random.default_rng(7)
INF = np.inf


def _torch_norm(x, ord, axis, keepdims):
    """torch's value of np.linalg.norm(x, ord, axis, keepdims)."""
    if isinstance(axis, tuple) or axis is None and ord is not None and x.ndim == 2:
        dim = axis if axis is not None else (-2, -1)
        return torch.linalg.matrix_norm(x, "fro" if ord is None else ord, dim=dim,
                                        keepdim=keepdims)
    if axis is None and keepdims:
        return torch.linalg.vector_norm(x, 2 if ord is None else ord,
                                        dim=tuple(range(x.ndim)), keepdim=True)
    return torch.linalg.vector_norm(x, 2 if ord is None else ord, dim=axis, keepdim=keepdims)


def _torch_grad(x, w, ord, axis, keepdims):
    t = torch.tensor(x, requires_grad=True)
    (_torch_norm(t, ord, axis, keepdims) * torch.tensor(w)).sum().backward()
    return t.grad.numpy()


def _make(ord, axis, keepdims):
    # each (ord, axis, keepdims) is its own function: the transform reads them as written
    src = f"def f(x, w):\n    return np.sum(np.linalg.norm(x, {ord!r}, {axis!r}, " \
          f"{keepdims!r}) * w)\n"
    src = src.replace("inf", "np.inf")
    ns = {"np": np, "__name__": "norm_cases"}
    path = f"/tmp/symgrad_norm_{abs(hash(src))}.py"
    with open(path, "w") as fh:
        fh.write(src)
    code = compile(src, path, "exec")
    exec(code, ns)
    return symgrad.grad(ns["f"], wrt="x")


VECTOR_ORDS = [None, 2, 1, INF, -INF, 3, 0.5, -1, -2.5, 1.5]
MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, INF, -INF]
VECTOR_CASES = [((5,), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1)]
MATRIX_CASES = [((3, 4), None), ((2, 3, 4), (1, 2)), ((3, 2, 4), (0, 2)), ((4, 3, 2), (-1, 0)),
                ((2, 3, 3, 4), (-2, -1))]


def _check(ord, axis, keepdims, shape):
    G = _make(ord, axis, keepdims)
    x = R.standard_normal(shape)
    out = np.linalg.norm(x, ord, axis, keepdims)
    w = R.standard_normal(np.shape(out))
    np.testing.assert_allclose(G(x, w), np.sum(out * w))
    (grad,) = check_grads(G, x, w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grad, _torch_grad(x, w, ord, axis, keepdims), rtol=1e-7,
                               atol=1e-9)
    return G


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=repr)
@pytest.mark.parametrize("shape, axis", VECTOR_CASES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norms(ord, shape, axis, keepdims):
    _check(ord, axis, keepdims, shape)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=repr)
@pytest.mark.parametrize("shape, axis", MATRIX_CASES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms(ord, shape, axis, keepdims):
    _check(ord, axis, keepdims, shape)


def test_ord_none_of_any_rank_is_the_2_norm_of_every_element():
    for shape in [(), (4,), (2, 3), (2, 3, 4)]:
        _check(None, None, False, shape)
    _check(None, None, True, (2, 3, 4))


def test_ord_0_counts_nonzeros_and_has_no_gradient():
    G = _make(0, 0, False)
    x = R.standard_normal((3, 4))
    w = R.standard_normal(4)
    np.testing.assert_allclose(G(x, w), np.sum(np.linalg.norm(x, 0, 0) * w))
    np.testing.assert_array_equal(G.grad(x, w), np.zeros_like(x))


def _grad_at(src_body, x):
    ns = {"np": np, "__name__": "norm_cases"}
    src = f"def f(x):\n    return {src_body}\n"
    path = f"/tmp/symgrad_norm_{abs(hash(src))}.py"
    with open(path, "w") as fh:
        fh.write(src)
    exec(compile(src, path, "exec"), ns)
    return symgrad.grad(ns["f"]).grad(x)


def test_non_smooth_points_follow_torch():
    """The 2-norm at 0 has gradient 0; ord=1 at a zero element sign(0) = 0; ord=inf ties
    share the gradient; a p < 1 norm has slope 0 at a zero element; matrix 1/inf/2-norm
    ties share it too."""
    zero = np.zeros(3)
    v = np.array([0.0, 3.0, -3.0, 1.0])
    cases = [("np.linalg.norm(x)", zero), ("np.linalg.norm(x, 2)", zero),
             ("np.linalg.norm(x, 1)", v), ("np.linalg.norm(x, np.inf)", v),
             ("np.linalg.norm(x, -np.inf)", v), ("np.linalg.norm(x, 0.5)", v),
             ("np.linalg.norm(x, -1)", v), ("np.linalg.norm(x, 3)", zero),
             ("np.linalg.norm(x, 1.5)", zero)]
    for body, x in cases:
        ord = eval(body.replace("np.linalg.norm(x", "(None").replace("np.inf", "float('inf')"))
        ord = ord[1] if isinstance(ord, tuple) else None
        np.testing.assert_allclose(_grad_at(body, x), _torch_grad(x, 1.0, ord, None, False),
                                   err_msg=body)
    tie = np.array([[1.0, 2.0], [2.0, 1.0]])
    for ord in (1, INF, -1, -INF, 2, "fro"):
        np.testing.assert_allclose(_grad_at(f"np.linalg.norm(x, {ord!r})".replace(
            "inf", "np.inf"), tie), _torch_grad(tie, 1.0, ord, None, False), err_msg=str(ord))
    eye = np.eye(3)
    np.testing.assert_allclose(_grad_at("np.linalg.norm(x, 2)", eye),
                               _torch_grad(eye, 1.0, 2, None, False))


def test_generated_code_reads_as_the_hand_written_gradient():
    assert "x*" in _make(2, 0, False).source and "_nonzero_or_1" in _make(2, 0, False).source
    assert "np.sign(x)" in _make(1, -1, False).source
    nuc = _make("nuc", (1, 2), False).source
    assert "np.linalg.svd(" in nuc and ".U" in nuc and ".Vh" in nuc
    # axis None and a numeric ord: numpy decides vector or matrix by the rank
    both = _make(1, None, False).source
    assert "np.ndim(x) == 1" in both
    # the primal is the user's call
    assert "np.linalg.norm(x, 'nuc', axis=(1, 2))" in nuc


def test_spellings_of_ord():
    x = R.standard_normal(4)

    def f1(x):
        return np.linalg.norm(x, ord=np.inf) + np.linalg.norm(x, -np.inf)

    def f2(x):
        return np.linalg.norm(x, float("inf")) + np.linalg.norm(x, ord=3.0)

    def f3(A):
        return np.linalg.norm(A, "nuc") + np.linalg.norm(A, ord="fro") + A.sum()

    for f, arg in [(f1, x), (f2, x), (f3, R.standard_normal((3, 2)))]:
        G = symgrad.grad(f)
        np.testing.assert_allclose(G(arg), f(arg))
        check_grads(G, arg, rtol=1e-4, atol=1e-6)


def test_unsupported_norms_fail_at_decoration():
    def bad_vector_ord(x):
        return np.linalg.norm(x, "fro", 0)

    def bad_matrix_ord(x):
        return np.linalg.norm(x, 3, (0, 1))

    def ord_not_constant(x, p):
        return np.linalg.norm(x, p)

    for f, match in [(bad_vector_ord, "for vectors"), (bad_matrix_ord, "for matrices"),
                     (ord_not_constant, "ord must be a constant")]:
        with pytest.raises(symgrad.SymgradError, match=match):
            symgrad.grad(f)


def test_tensor_norm_in_torch_spelling():
    x = symgrad.tensor(R.standard_normal((3, 4)), requires_grad=True)
    y = x.norm()
    assert y.grad_fn.name() == "LinalgVectorNormBackward0"
    y.backward()
    t = torch.tensor(x.detach().numpy(), requires_grad=True)
    t.norm().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_empty_and_zero_d():
    def f(x):
        return np.sum(np.linalg.norm(x, 2, axis=1)) + np.linalg.norm(x)

    G = symgrad.grad(f)
    x = np.zeros((3, 0))
    np.testing.assert_allclose(G(x), f(x))
    assert G.grad(x).shape == (3, 0)

    def g(s):
        return np.linalg.norm(s) * 2.0

    check_grads(symgrad.grad(g), np.array(-1.5))
    check_grads(symgrad.grad(g), -1.5)


def test_tensor_norm_arguments_as_torch():
    """x.norm(p, dim, keepdim) and symgrad.norm, values, gradients and node names as torch's
    (the tutorials' ``while y.data.norm() < 1000``)."""
    calls = [((3, 4), {}), ((3, 4), {"p": 1}), ((3, 4), {"p": 3, "dim": 1}),
             ((2, 3, 4), {"dim": (0, 2), "keepdim": True}),
             ((2, 3, 4), {"p": "nuc", "dim": (1, 2)}),
             ((4,), {"p": float("inf")}), ((), {}), ((2, 3), {"p": "fro", "dim": (0, 1)}),
             ((2, 3), {"p": 0.5, "dim": -1, "keepdim": True}), ((2, 3, 4), {"p": 1, "dim": (0, 2)})]
    for shape, kw in calls:
        x = R.standard_normal(shape)
        got = []
        for lib in (symgrad, torch):
            t = lib.tensor(x, requires_grad=True)
            y = t.norm(**kw)
            w = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))
            (y * w).sum().backward()
            got.append((y.detach().numpy(), t.grad.numpy(), y.grad_fn.name()))
        np.testing.assert_allclose(got[0][0], got[1][0], err_msg=str(kw))
        np.testing.assert_allclose(got[0][1], got[1][1], err_msg=str(kw))
        assert got[0][2] == got[1][2], (kw, got[0][2], got[1][2])
    y = symgrad.tensor([3.0, 4.0]) * 100
    steps = 0
    while y.data.norm() < 1000:
        y = y * 2
        steps += 1
    assert steps == 1 and float(symgrad.norm(y)) == 1000.0
