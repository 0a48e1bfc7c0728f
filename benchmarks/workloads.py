"""Benchmark workloads: plain-numpy losses, hand-written value-and-gradients, input makers.

Every loss below is written as plain numpy (``np.tanh``, ``np.mean``, ``@``) in this real
file, because symgrad reads function source with ``inspect``.  The same code objects are
re-bound to ``autograd.numpy`` / ``jax.numpy`` / a torch shim by ``peers.py``, so every
peer differentiates literally the same function.

The hand-written ``*_vg`` functions are the reference that every peer is checked against
and the denominator of every ratio.  They were written as a careful reverse pass that reuses
the forward intermediates; ``python benchmarks/workloads.py --check`` verifies them against
central finite differences.

Run ``python benchmarks/workloads.py --check`` to verify the hand-written gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------------------
# 1. seed: mean(3*(x+2)**2)
# --------------------------------------------------------------------------------------


def seed(x):
    return np.mean(3 * (x + 2) ** 2)


def seed_vg(x):
    u = x + 2
    n = x.size
    value = np.mean(3 * u**2)
    gx = (6.0 / n) * u
    return value, (gx,)


def seed_inputs(size, rng):
    return {"x": rng.standard_normal(int(size))}


# --------------------------------------------------------------------------------------
# 2. logistic regression: -sum(log(p*label + (1-p)*(1-label))), p = 0.5*(tanh(X@W+b)+1)
#    X (N, 32), W (32,), b 0-d array, label (N,) in {0, 1}; gradient w.r.t. W and b.
# --------------------------------------------------------------------------------------


def logistic(X, W, b, label):
    p = 0.5 * (np.tanh(X @ W + b) + 1)
    return -np.sum(np.log(p * label + (1 - p) * (1 - label)))


def logistic_vg(X, W, b, label):
    t = np.tanh(X @ W + b)
    p = 0.5 * (t + 1)
    q = p * label + (1 - p) * (1 - label)
    value = -np.sum(np.log(q))
    # dL/dq = -1/q ; dq/dp = 2*label - 1 ; dp/dz = 0.5*(1 - t^2)
    gz = (-(2 * label - 1) / q) * (0.5 * (1 - t * t))
    gW = X.T @ gz
    gb = np.sum(gz)  # 0-d, same shape as b
    return value, (gW, np.asarray(gb))


def logistic_inputs(size, rng, d=32):
    n = int(size)
    X = rng.standard_normal((n, d))
    W = 0.2 * rng.standard_normal(d)
    b = np.array(0.1)
    label = (rng.random(n) < 0.5).astype(np.float64)
    return {"X": X, "W": W, "b": b, "label": label}


# --------------------------------------------------------------------------------------
# 3. two-layer MLP, mean squared error
#    h = tanh(X@W1+b1); out = h@W2+b2; mean((out-y)**2); grad w.r.t. W1, b1, W2, b2.
# --------------------------------------------------------------------------------------


def mlp(X, W1, b1, W2, b2, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def mlp_vg(X, W1, b1, W2, b2, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    r = out - y
    value = np.mean(r**2)
    gout = (2.0 / r.size) * r
    gW2 = h.T @ gout
    gb2 = gout.sum(axis=0)
    gz = (gout @ W2.T) * (1 - h * h)
    gW1 = X.T @ gz
    gb1 = gz.sum(axis=0)
    return value, (gW1, gb1, gW2, gb2)


def mlp_inputs(size, rng, d_in=64, d_h=128, d_out=10):
    n = int(size)
    return {
        "X": rng.standard_normal((n, d_in)),
        "W1": rng.standard_normal((d_in, d_h)) / np.sqrt(d_in),
        "b1": 0.1 * rng.standard_normal(d_h),
        "W2": rng.standard_normal((d_h, d_out)) / np.sqrt(d_h),
        "b2": 0.1 * rng.standard_normal(d_out),
        "y": rng.standard_normal((n, d_out)),
    }


# --------------------------------------------------------------------------------------
# 4. elementwise chain: sum(sin(x)*exp(-x**2) + log(1+x**2)*tanh(x))
# --------------------------------------------------------------------------------------


def chain(x):
    return np.sum(np.sin(x) * np.exp(-(x**2)) + np.log(1 + x**2) * np.tanh(x))


def chain_vg(x):
    s = np.sin(x)
    x2 = x * x
    e = np.exp(-x2)
    one_x2 = 1 + x2
    lg = np.log(one_x2)
    t = np.tanh(x)
    value = np.sum(s * e + lg * t)
    gx = (np.cos(x) - 2 * x * s) * e + (2 * x / one_x2) * t + lg * (1 - t * t)
    return value, (gx,)


def chain_inputs(size, rng):
    return {"x": rng.standard_normal(int(size))}


# --------------------------------------------------------------------------------------
# 5. tanh RNN: h = tanh(W@h + x[t]) for T=20 steps, 64 units, h starts at h0.
#    Loss: sum(h_final)  (sum of the last hidden state only).  Gradient w.r.t. W and x.
#    h0 is an input that is not differentiated (so the function needs no np.zeros).
# --------------------------------------------------------------------------------------


def rnn(W, x, h0):
    h = h0
    for t in range(20):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def rnn_vg(W, x, h0):
    T = x.shape[0]
    hs = [h0]
    h = h0
    for t in range(T):
        h = np.tanh(W @ h + x[t])
        hs.append(h)
    value = np.sum(h)
    gW = np.zeros_like(W)
    gx = np.empty_like(x)
    gh = np.ones_like(h)
    for t in range(T - 1, -1, -1):
        ht = hs[t + 1]
        gz = gh * (1 - ht * ht)
        gW += np.outer(gz, hs[t])
        gx[t] = gz
        gh = W.T @ gz
    return value, (gW, gx)


def rnn_inputs(size, rng, steps=20):
    n = int(size)
    return {
        "W": rng.standard_normal((n, n)) / np.sqrt(n),
        "x": 0.5 * rng.standard_normal((steps, n)),
        "h0": 0.1 * rng.standard_normal(n),
    }


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    fn: Callable  # plain-numpy scalar loss
    vg: Callable  # hand-written value and gradient: (value, tuple of grads in wrt order)
    make_inputs: Callable  # (size, rng) -> dict of args in signature order
    wrt: tuple[str, ...]
    sizes: tuple  # benchmark sizes, smallest first
    size_label: Callable = field(default=lambda s: str(s))
    description: str = ""

    @property
    def largest(self):
        return self.sizes[-1]


def _fmt_n(n):
    n = int(n)
    if n >= 1000 and n % 1000 == 0:
        e = len(str(n)) - 1
        if n == 10**e:
            return f"1e{e}"
    return str(n)


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload(
            "seed", seed, seed_vg, seed_inputs, ("x",), (4, 1000, 1_000_000),
            size_label=lambda s: f"n={_fmt_n(s)}",
            description="mean(3*(x+2)**2)",
        ),
        Workload(
            "logistic", logistic, logistic_vg, logistic_inputs, ("W", "b"), (256, 100_000),
            size_label=lambda s: f"X {s}x32",
            description="-sum(log(p*label+(1-p)*(1-label))), p=0.5*(tanh(X@W+b)+1)",
        ),
        Workload(
            "mlp", mlp, mlp_vg, mlp_inputs, ("W1", "b1", "W2", "b2"), (128,),
            size_label=lambda s: f"X {s}x64",
            description="mean((tanh(X@W1+b1)@W2+b2-y)**2), 64-128-10",
        ),
        Workload(
            "chain", chain, chain_vg, chain_inputs, ("x",), (100, 1_000_000),
            size_label=lambda s: f"n={_fmt_n(s)}",
            description="sum(sin(x)*exp(-x**2)+log(1+x**2)*tanh(x))",
        ),
        Workload(
            "rnn", rnn, rnn_vg, rnn_inputs, ("W", "x"), (64,),
            size_label=lambda s: f"{s} units, T=20",
            description="h=tanh(W@h+x[t]) x20, loss sum(h_final)",
        ),
    ]
}


def make_args(workload: Workload, size, seed_value: int = 0) -> dict:
    rng = np.random.default_rng(seed_value)
    return workload.make_inputs(size, rng)


# --------------------------------------------------------------------------------------
# Comparing gradients, and the finite-difference check of the hand-written ones
# --------------------------------------------------------------------------------------


def rel_err(a, b) -> float:
    """max |a-b| / max(|b|, tiny): a relative error normalised by the reference's scale."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if b.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def compare(value, grads, ref_value, ref_grads) -> tuple[float, str]:
    """Worst relative error over value and all gradients, and a short description of it."""
    if len(grads) != len(ref_grads):
        return float("inf"), f"got {len(grads)} gradients, expected {len(ref_grads)}"
    worst, what = rel_err(value, ref_value), "value"
    for i, (g, r) in enumerate(zip(grads, ref_grads, strict=True)):
        if np.shape(g) != np.shape(r):
            return float("inf"), f"grad {i} has shape {np.shape(g)}, expected {np.shape(r)}"
        e = rel_err(g, r)
        if e > worst:
            worst, what = e, f"grad {i}"
    return worst, what


def fd_check(workload: Workload, size, n_probe: int = 12, eps: float = 1e-6, seed_value: int = 1):
    """Central finite differences of ``workload.fn`` against ``workload.vg``.

    Checks the value, ``n_probe`` random coordinates of every wrt input, and one random
    direction per wrt input (directional derivative).  Returns the worst relative error.
    """
    rng = np.random.default_rng(seed_value)
    args = make_args(workload, size, seed_value)
    names = list(args)
    value, grads = workload.vg(*args.values())
    worst = rel_err(value, workload.fn(*args.values()))

    def f_with(name, arr):
        a = dict(args)
        a[name] = arr
        return float(workload.fn(*a.values()))

    for name, g in zip(workload.wrt, grads, strict=True):
        assert name in names, name
        x0 = np.asarray(args[name], dtype=np.float64)
        assert np.shape(g) == x0.shape, (name, np.shape(g), x0.shape)
        gscale = max(float(np.max(np.abs(g))), 1e-12)
        flat_idx = rng.choice(x0.size, size=min(n_probe, x0.size), replace=False)
        for k in flat_idx:
            idx = np.unravel_index(k, x0.shape)
            xp, xm = x0.copy(), x0.copy()
            xp[idx] += eps
            xm[idx] -= eps
            fd = (f_with(name, xp) - f_with(name, xm)) / (2 * eps)
            err = abs(fd - float(np.asarray(g)[idx])) / gscale
            worst = max(worst, err)
        v = rng.standard_normal(x0.shape)
        fd = (f_with(name, x0 + eps * v) - f_with(name, x0 - eps * v)) / (2 * eps)
        dd = float(np.sum(np.asarray(g) * v))
        worst = max(worst, abs(fd - dd) / max(abs(dd), 1e-12))
    return worst


def _check_main():
    # Small sizes for the finite-difference check, plus the largest sizes of the cheap ones.
    check_sizes = {
        "seed": (4, 1000),
        "logistic": (256,),
        "mlp": (16, 128),
        "chain": (100, 10_000),
        "rnn": (8, 64),
    }
    ok = True
    for name, w in WORKLOADS.items():
        for size in check_sizes[name]:
            err = fd_check(w, size)
            good = err < 1e-6
            ok &= good
            print(f"{name:10s} {w.size_label(size):16s} worst rel err vs central FD: {err:.2e}"
                  f"  {'ok' if good else 'FAIL'}")
    print("all hand-written gradients agree with finite differences" if ok else "FAILURES")
    return 0 if ok else 1


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="verify hand-written gradients with central finite differences")
    ns = parser.parse_args()
    if ns.check:
        sys.exit(_check_main())
    parser.print_help()
