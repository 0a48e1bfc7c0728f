"""Scratch: symgrad.Tensor against torch on the same lambdas (module passed as T)."""

import traceback

import numpy as np
import torch

import symgrad

X = np.array([[0.5, -1.0, 0.0, 2.0], [2.0, 2.0, -0.5, 0.0], [1.0, -3.0, 0.3, 0.3]])
V = np.array([0.0, 1.5, -2.0, 1.5, 0.7])

CASES = [
    ("max_all_ties", V, lambda T, x: x.max()),
    ("max_dim_ties", X, lambda T, x: x.max(dim=1).values.sum()),
    ("amax_dim", X, lambda T, x: T.amax(x, dim=1).sum()),
    ("min_all", X, lambda T, x: x.min()),
    ("abs0", V, lambda T, x: x.abs().sum()),
    ("relu0", V, lambda T, x: T.relu(x).sum()),
    ("clamp_bounds", V, lambda T, x: x.clamp(0.0, 1.5).sum()),
    ("clamp_min", V, lambda T, x: T.clamp(x, min=0.7).sum()),
    ("norm0", np.zeros(3), lambda T, x: x.norm()),
    ("norm", X, lambda T, x: x.norm(dim=1).sum()),
    ("std_const", np.ones(3), lambda T, x: x.std()),
    ("std", X, lambda T, x: x.std(dim=0).sum()),
    ("var_unbiased_false", X, lambda T, x: x.var(dim=1, unbiased=False).sum()),
    ("where", X, lambda T, x: T.where(x > 0, x ** 2, -x).sum()),
    ("masked_fill", X, lambda T, x: x.masked_fill(x < 0, 0.0).pow(2).sum()),
    ("gather", X, lambda T, x: x.gather(1, T.tensor([[0], [0], [3]])).sum()),
    ("index_select_rep", V, lambda T, x: x.index_select(0, T.tensor([0, 0, 3])).pow(2).sum()),
    ("fancy_rep", V, lambda T, x: x[T.tensor([0, 0, 3])].pow(2).sum()),
    ("cumprod0", V, lambda T, x: x.cumprod(0).sum()),
    ("prod0", V, lambda T, x: x.prod()),
    ("prod_dim", X, lambda T, x: x.prod(dim=1).sum()),
    ("pow_half0", V, lambda T, x: (x.abs() ** 0.5).sum()),
    ("sqrt0", np.array([0.0, 1.0]), lambda T, x: x.sqrt().sum()),
    ("sigmoid", V, lambda T, x: T.sigmoid(x).sum()),
    ("softmax", X, lambda T, x: T.softmax(x, dim=1)[:, 0].sum()),
    ("log_softmax", X, lambda T, x: T.log_softmax(x, dim=-1)[:, 1].sum()),
    ("logsumexp", X, lambda T, x: T.logsumexp(x, dim=1).sum()),
    ("sort", V, lambda T, x: (T.sort(x).values * T.arange(5.0, dtype=T.float64)).sum()),
    ("topk", V, lambda T, x: T.topk(x, 2).values.sum()),
    ("median", V, lambda T, x: x.median()),
    ("mean_dims", X, lambda T, x: x.mean(dim=(0, 1))),
    ("sum_keep", X, lambda T, x: (x.sum(dim=1, keepdim=True) * x).sum()),
    ("tanh", X, lambda T, x: T.tanh(x).sum()),
    ("matmul", X, lambda T, x: (x @ x.T).pow(2).sum()),
    ("transpose", X, lambda T, x: (x.t() * T.arange(12.0, dtype=T.float64).reshape(4, 3)).sum()),
    ("view", X, lambda T, x: (x.view(-1)[::2] * 3).sum()),
    ("flip", V, lambda T, x: (T.flip(x, [0]) * T.arange(5.0, dtype=T.float64)).sum()),
    ("cat", V, lambda T, x: T.cat([x, x * 2]).pow(2).sum()),
    ("stack", V, lambda T, x: T.stack([x, x ** 2], dim=1)[:, 1].sum()),
    ("inplace_add", V, lambda T, x: (x * 1.0).add_(1.0).pow(2).sum()),
    ("inplace_mul_slice", V, lambda T, x: _inplace_slice(T, x)),
    ("maximum_tie", V, lambda T, x: T.maximum(x, T.zeros_like(x) + 1.5).sum()),
    ("div_scalar", V, lambda T, x: (1.0 / (x + 3.0)).sum()),
    ("rsub", V, lambda T, x: (2.0 - x).pow(3).sum()),
    ("pow_tensor", np.array([0.5, 1.5]), lambda T, x: (x ** x).sum()),
    ("exp_log", np.array([0.5, 1.5]), lambda T, x: T.log(T.exp(x) + 1).sum()),
    ("mse", X, lambda T, x: T.nn.functional.mse_loss(x, T.zeros_like(x))),
    ("l1", X, lambda T, x: T.nn.functional.l1_loss(x, T.zeros_like(x))),
    ("ce", X, lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([0, 3, 1]))),
    ("nll", X, lambda T, x: T.nn.functional.nll_loss(T.log_softmax(x, 1), T.tensor([0, 3, 1]))),
    ("bce_logits", X, lambda T, x: T.nn.functional.binary_cross_entropy_with_logits(
        x, T.ones_like(x) * 0.3)),
    ("smooth_l1", X, lambda T, x: T.nn.functional.smooth_l1_loss(x, T.zeros_like(x))),
    ("huber", X, lambda T, x: T.nn.functional.huber_loss(x, T.zeros_like(x), delta=0.5)),
    ("gelu", X, lambda T, x: T.nn.functional.gelu(x).sum()),
    ("silu", X, lambda T, x: T.nn.functional.silu(x).sum()),
    ("softplus", X, lambda T, x: T.nn.functional.softplus(x).sum()),
    ("leaky", X, lambda T, x: T.nn.functional.leaky_relu(x, 0.1).sum()),
    ("elu", X, lambda T, x: T.nn.functional.elu(x).sum()),
    ("hardtanh", X, lambda T, x: T.nn.functional.hardtanh(x).sum()),
    ("normalize", X, lambda T, x: (T.nn.functional.normalize(x, dim=1) * T.arange(
        12.0, dtype=T.float64).reshape(3, 4)).sum()),
    ("layer_norm", X, lambda T, x: (T.nn.functional.layer_norm(x, (4,)) * T.arange(
        12.0, dtype=T.float64).reshape(3, 4)).sum()),
    ("dropout_eval", X, lambda T, x: T.nn.functional.dropout(x, 0.5, training=False).sum()),
    ("expand", V, lambda T, x: (x.unsqueeze(0).expand(3, 5) * T.arange(15.0, dtype=T.float64)
                                .reshape(3, 5)).sum()),
    ("repeat", V, lambda T, x: (x.repeat(2) * T.arange(10.0, dtype=T.float64)).sum()),
    ("clone_detach", V, lambda T, x: (x * x.detach()).sum()),
    ("sign", V, lambda T, x: (T.sign(x) * x).sum()),
    ("atan2", V, lambda T, x: T.atan2(x, x * x + 1).sum()),
    ("einsum", X, lambda T, x: T.einsum("ij,ij->i", x, x).sum()),
    ("diag", V, lambda T, x: T.diag(x).sum() + T.diag(T.diag(x)).pow(2).sum()),
    ("tril", X, lambda T, x: T.tril(x).pow(2).sum()),
    ("roll", V, lambda T, x: (T.roll(x, 2) * T.arange(5.0, dtype=T.float64)).sum()),
    ("cumsum", X, lambda T, x: T.cumsum(x, dim=1).pow(2).sum()),
    ("mean_int_div", X, lambda T, x: x.sum() / x.numel()),
    ("argmax_index", V, lambda T, x: x[x.argmax()] * 2),
    ("bool_index", V, lambda T, x: x[x > 0].pow(2).sum()),
    ("setitem", V, lambda T, x: _setitem(T, x)),
    ("outer", V, lambda T, x: T.outer(x, x).pow(2).sum()),
    ("linalg_inv", np.eye(3) * 2 + 0.1, lambda T, x: T.linalg.inv(x).sum()),
    ("det", np.eye(3) * 2 + 0.1, lambda T, x: T.linalg.det(x)),
    ("trace", np.eye(3) * 2 + 0.1, lambda T, x: T.trace(x @ x)),
    ("floor_div", V, lambda T, x: (x - T.floor(x) + x).sum()),
    ("fmod", V, lambda T, x: T.fmod(x, 0.7).sum()),
    ("remainder", V, lambda T, x: T.remainder(x, 0.7).sum()),
    ("square", V, lambda T, x: T.square(x).sum()),
    ("reciprocal", V + 3, lambda T, x: T.reciprocal(x).sum()),
    ("rsqrt", V + 3, lambda T, x: T.rsqrt(x).sum()),
    ("lerp", V, lambda T, x: T.lerp(x, x ** 2, 0.3).sum()),
    ("addcmul", V, lambda T, x: T.addcmul(x, x, x, value=0.5).sum()),
    ("hypot", V, lambda T, x: T.hypot(x, x + 1).sum()),
    ("xlogy", V + 3, lambda T, x: T.xlogy(x, x).sum()),
    ("logaddexp", V, lambda T, x: T.logaddexp(x, 2 * x).sum()),
    ("erf", V, lambda T, x: T.erf(x).sum()),
    ("amin_keep", X, lambda T, x: (T.amin(x, 0, keepdim=True) * x).sum()),
    ("max_binary", V, lambda T, x: T.max(x, x.flip(0)).sum()),
    ("min_dim_idx", X, lambda T, x: x.min(1)[0].sum()),
    ("chunk", V[:4], lambda T, x: (x.chunk(2)[0] * x.chunk(2)[1]).sum()),
    ("split", V[:4], lambda T, x: (x.split(1)[3] * 5).sum()),
    ("squeeze", X[:1], lambda T, x: x.squeeze(0).pow(2).sum()),
    ("permute", X, lambda T, x: (x.unsqueeze(0).permute(2, 1, 0) * 2).pow(2).sum()),
    ("narrow", X, lambda T, x: x.narrow(1, 1, 2).pow(2).sum()),
    ("masked_select", X, lambda T, x: T.masked_select(x, x > 0).sum()),
    ("scatter_add", V, lambda T, x: T.zeros(3, dtype=T.float64).scatter_add(
        0, T.tensor([0, 0, 1, 2, 2]), x).pow(2).sum()),
    ("index_add", V, lambda T, x: T.zeros(3, dtype=T.float64).index_add(
        0, T.tensor([0, 0, 1, 2, 2]), x).pow(2).sum()),
]


def _inplace_slice(T, x):
    y = x.clone()
    y[1:3] *= 2.0
    return (y ** 2).sum()


def _setitem(T, x):
    y = T.zeros(5, dtype=T.float64)
    y[1] = x[2] * 3
    y[3:] = x[:2]
    return (y * x).sum()


def run():
    bad = 0
    for name, a, fn in CASES:
        try:
            tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
            tout = fn(torch, tx)
            tout.backward()
            tg = tx.grad.numpy()
        except Exception as e:
            print(f"TORCHERR {name}: {e}")
            continue
        try:
            sx = symgrad.tensor(a, dtype=symgrad.float64, requires_grad=True)
            sout = fn(symgrad, sx)
            sout.backward()
            sg = np.asarray(sx.grad.numpy())
            if not np.allclose(float(sout.detach().numpy()), float(tout.detach().numpy()),
                               equal_nan=True):
                print(f"VALUE {name}: {sout} vs {tout}")
                bad += 1
            if sg.shape != tg.shape or not np.allclose(sg, tg, equal_nan=True, atol=1e-9):
                print(f"GRAD {name}:\n  symgrad {sg}\n  torch   {tg}")
                bad += 1
        except Exception as e:
            if isinstance(e, (NotImplementedError, AttributeError, TypeError)) and \
                    "symgrad" not in traceback.format_exc(limit=-1):
                pass
            print(f"ERR {name}: {type(e).__name__}: {str(e)[:200]}")
    print("bad", bad, "of", len(CASES))


run()
