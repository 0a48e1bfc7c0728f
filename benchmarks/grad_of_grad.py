"""Second derivatives of the RNN workload through its loop, side by side, from one run:
``symgrad.grad(G.grad)`` (reverse over reverse, the loop's tape read back as lists),
``symgrad.grad(G.jvp)`` (reverse over forward), ``G.hvp`` (for a loop: one
reverse-over-forward pass, the gradient of the output's tangent along U; before issue 14,
one forward-over-forward pass per entry of W: 59 ms at n=8, 226 ms at 16, 1.8 s at 32) and
torch's double backward (``torch.autograd.grad(..., create_graph=True)``, then a vjp of the
gradient).

Each computes the Hessian-vector product H U of ``np.sum(h_T)`` with respect to W along a
random U (the Hessian is symmetric, so the vjp of the gradient is H U); each result is
checked against symgrad.grad(G.grad)'s before it is timed. Ratios are the other's time
over symgrad.grad(G.grad)'s (above 1: grad of grad is faster).

Then ``G.hessian`` of the same loop (one G.hvp per column, n*n of them) beside
``torch.func.hessian`` (forward over reverse, vmapped), checked against each other (before
issue 14, n*n forward-over-forward passes per column: 2.2 s at n=8, 104 times torch's;
after, about 3 times).

    python benchmarks/grad_of_grad.py [--sizes 8,16,64] [--hessian-sizes 4,8]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402, I001  (sets the one-thread environment before numpy)

import numpy as np  # noqa: E402
import workloads as wl  # noqa: E402

import symgrad  # noqa: E402


def _time(fn):
    return bench.measure(fn, target=0.05, reps=7, min_reps=3, budget=3.0)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="8,16,64")
    parser.add_argument("--no-hvp-above", type=int, default=10 ** 6,
                        help="skip G.hvp above this size")
    parser.add_argument("--hessian-sizes", default="4,8")
    ns = parser.parse_args(argv)
    G = symgrad.grad(wl.rnn, wrt="W")
    G2 = symgrad.grad(G.grad)
    J = symgrad.grad(G.jvp, wrt="W")
    print(f"{'n':>4} {'grad(G.grad)':>13} {'grad(G.jvp)':>12} {'ratio':>6} {'G.hvp':>10} "
          f"{'ratio':>8} {'torch':>9} {'ratio':>6}")
    for n in map(int, ns.sizes.split(",")):
        _row(n, G, G2, J, with_hvp=n <= ns.no_hvp_above)
    print(f"\n{'n':>4} {'G.hessian':>11} {'torch.func.hessian':>19} {'ratio':>6}")
    for n in map(int, ns.hessian_sizes.split(",")):
        _hessian_row(n, G)


def _hessian_row(n, G):
    import torch

    rng = np.random.default_rng(n)
    a = wl.rnn_inputs(n, rng)
    W, x, h0 = a["W"], a["x"], a["h0"]
    xt, h0t = torch.tensor(x), torch.tensor(h0)

    def t_rnn(w):
        h = h0t
        for t in range(20):
            h = torch.tanh(w @ h + xt[t])
        return h.sum()

    def sh():
        return G.hessian(W, x, h0)

    def th():
        return torch.func.hessian(t_rnn)(torch.tensor(W))

    err = wl.rel_err(sh(), th().numpy())
    assert err < 1e-8, ("hessian", n, err)
    ts, tt = _time(sh), _time(th)
    print(f"{n:>4} {ts * 1e3:>8.1f} ms {tt * 1e3:>16.1f} ms {ts / tt:>6.2f}", flush=True)


def _row(n, G, G2, J, with_hvp):
    import torch

    rng = np.random.default_rng(n)
    a = wl.rnn_inputs(n, rng)
    W, x, h0 = a["W"], a["x"], a["h0"]
    U = rng.standard_normal((n, n))

    def gg():
        return G2.grad(W, x, h0, **{G2.seed_name: U})

    def gj():
        return J.grad(W, x, h0, U, seed=(0.0, 1.0))

    def hvp():
        return G.hvp(W, x, h0, v=U)

    Wt, xt, h0t, Ut = (torch.tensor(v) for v in (W, x, h0, U))

    def tt():
        w = Wt.clone().requires_grad_(True)
        h = h0t
        for t in range(20):
            h = torch.tanh(w @ h + xt[t])
        (g,) = torch.autograd.grad(h.sum(), w, create_graph=True)
        return torch.autograd.grad(g, w, Ut)[0]

    want = gg()
    runs = {"gj": gj, "tt": lambda: tt().numpy()}
    if with_hvp:
        runs["hvp"] = hvp
    for name, fn in runs.items():
        err = wl.rel_err(np.asarray(fn()), want)
        assert err < 1e-8, (name, n, err)
    t = {"gg": _time(gg), "gj": _time(gj), "tt": _time(tt)}
    t["hvp"] = _time(hvp) if with_hvp else float("nan")
    print(f"{n:>4} {t['gg'] * 1e3:>10.2f} ms {t['gj'] * 1e3:>9.2f} ms "
          f"{t['gj'] / t['gg']:>6.2f} {t['hvp'] * 1e3:>7.1f} ms {t['hvp'] / t['gg']:>8.1f} "
          f"{t['tt'] * 1e3:>6.2f} ms {t['tt'] / t['gg']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
