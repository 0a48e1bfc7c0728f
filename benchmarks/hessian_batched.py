"""The batched f_hessian against the Hessian built a column at a time (one G.hvp per
parameter element, ``G.hessian.by_columns``) for the forms batched since issue 14: np.prod,
writes into a buffer, products of stacks of matrices, cumulative sums and reshapes.

    PYTHONPATH=. python benchmarks/hessian_batched.py [--n 60] [--repeat 7]

Prints the median time of each and their ratio, measured side by side (the two alternate
within each repeat). Both are checked equal first."""

from __future__ import annotations

import argparse
import time

import numpy as np

import symgrad


def prod_sin(w):
    return np.prod(np.cos(w * 0.1)) + np.sum(np.sin(w))


def buffer(x):
    y = np.zeros(x.shape[0] + 1)
    y[1:] = np.tanh(x)
    y[0] = x[0] * x[1]
    return np.sum(y ** 2) + y[0] * y[-1]


def stacks(A, x):
    return np.sum(np.tanh(A @ x) ** 2)


def running(x):
    return np.sum(np.cumsum(np.reshape(x, (2, -1)), axis=1) ** 3)


def _time(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=7)
    opts = parser.parse_args()
    rng = np.random.default_rng(0)
    n = opts.n - opts.n % 2
    cases = [
        ("np.prod", symgrad.grad(prod_sin), (rng.normal(size=n),)),
        ("buffer writes", symgrad.grad(buffer), (rng.normal(size=n),)),
        ("stacked @", symgrad.grad(stacks, wrt="x"), (rng.normal(size=(4, 8, n)),
                                                      rng.normal(size=n) * 0.1)),
        ("cumsum+reshape", symgrad.grad(running), (rng.normal(size=n) * 0.3,)),
    ]
    print(f"{'case':16} {'batched':>10} {'columns':>10} {'ratio':>7}   (n = {n})")
    for name, G, args in cases:
        H = G.hessian(*args)  # (builds and checks f_hessian once)
        assert G.hessian.fallback_reason is None, G.hessian.fallback_reason
        np.testing.assert_allclose(H, G.hessian.by_columns(*args), rtol=1e-8, atol=1e-10)
        batched, columns = [], []
        for _ in range(opts.repeat):
            batched.append(_time(G.hessian, *args))
            columns.append(_time(G.hessian.by_columns, *args))
        b, c = float(np.median(batched)), float(np.median(columns))
        print(f"{name:16} {b * 1e3:8.2f}ms {c * 1e3:8.2f}ms {c / b:6.1f}x")


if __name__ == "__main__":
    main()
