"""Review of the transformations (issue 14's quality bar), second pass: each finding as a
minimal reproducer against torch.func / jax's structure and central differences; the
fuzzer's fixed seed set (tests/fuzz_transforms.py) runs here too."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

import symgrad

torch = pytest.importorskip("torch")


def prod_rows(x):
    return np.sum(np.prod(x, axis=1) ** 2) + np.prod(x[0])


def prod_loop(x):
    acc = 0.0
    for i in range(2):
        acc = acc + np.prod(x[i]) * x[0, 0]
    return acc


@pytest.mark.parametrize("x", [np.array([[0.5, -1.0, 2.0], [0.0, 1.5, 0.3]]),
                               np.array([[0.0, 0.0, 2.0], [0.0, 1.5, 0.3]])])
def test_hessian_and_hvp_of_np_prod_match_torch_with_zeros(x):
    # was: SymgradError 'forward mode (jvp) of ProdOthers is not supported yet'
    cases = [(prod_rows, lambda x: torch.sum(torch.prod(x, 1) ** 2) + torch.prod(x[0])),
             (prod_loop, lambda x: sum(torch.prod(x[i]) * x[0, 0] for i in range(2)))]
    v = np.arange(6.0).reshape(2, 3)
    for f, tf in cases:
        want = torch.func.hessian(tf)(torch.tensor(x)).numpy()
        G = symgrad.grad(f)
        np.testing.assert_allclose(G.hessian(x), want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(G.hvp(x, v=v), np.tensordot(want, v, 2), rtol=1e-12,
                                   atol=1e-12)


def scale(s, x):
    return s * x


def scaled_sq(s, x):
    return np.sum(s * x ** 2)


def test_jax_style_functions_with_a_sequence_of_one_argnum_keep_jax_structure():
    # was: symgrad.jacrev(f, argnums=(1,)) gave J itself and symgrad.hessian H itself, so
    # jax code reading J[0] / H[0][0] silently got a row / an element
    x = np.array([0.5, -1.0, 2.0])
    J = symgrad.jacrev(scale, argnums=(1,))(2.0, x)
    assert isinstance(J, tuple) and len(J) == 1
    np.testing.assert_allclose(J[0], 2.0 * np.eye(3))
    J = symgrad.jacfwd(scale, argnums=(1,))(2.0, x)
    assert isinstance(J, tuple) and len(J) == 1
    np.testing.assert_allclose(J[0], 2.0 * np.eye(3))
    H = symgrad.hessian(scaled_sq, argnums=(1,))(2.0, x)
    assert isinstance(H, tuple) and len(H) == 1 and len(H[0]) == 1
    np.testing.assert_allclose(H[0][0], 4.0 * np.eye(3))
    np.testing.assert_allclose(symgrad.hessian(scaled_sq, argnums=1)(2.0, x), 4.0 * np.eye(3))


def rnn_like(x, W):
    h = x
    for _ in range(2):
        h = np.tanh(W @ h)
    return np.sum(h ** 2)


def test_export_after_a_hessian_of_a_loop_holds_the_gradient_of_its_tangent(tmp_path):
    # was: G.export left out the module G.hessian / G.hvp run through loops (then
    # f_jvp_jvp, now f_tangent_grad)
    G = symgrad.grad(rnn_like, wrt=(0, 1))
    x, W = np.array([0.1, 0.2, 0.3]), np.eye(3) * 0.7
    H = G.hessian(x, W)
    path = tmp_path / "rnn_export.py"
    G.export(path)
    spec = importlib.util.spec_from_file_location("rnn_export", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rnn_export"] = module
    spec.loader.exec_module(module)
    e = np.zeros(3)
    e[1] = 1.0
    zero = np.zeros((3, 3))
    hv_x, hv_W = module.rnn_like_tangent_grad(x, W, e, zero)  # H (e, 0): column 1
    np.testing.assert_allclose(hv_x, H[0][0][:, 1], rtol=1e-12)
    np.testing.assert_allclose(hv_W, H[1][0][..., 1], rtol=1e-12)


def test_fuzz_transforms_fixed_seeds():
    """The fuzzer's CI set: 24 seeds (four of each template), ~25 s under load."""
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    import fuzz_transforms as ft

    failures = []
    for seed in range(24):
        outcome = ft.check(ft.generate(seed))
        if outcome.status == "fail":
            failures.append(f"{outcome.stage}\n{outcome.case.report()}\n{outcome.detail}")
    assert not failures, "\n\n".join(failures[:3])
