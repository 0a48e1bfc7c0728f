"""Time the seed example (build the graph + backward, repeated) for symgrad's Tensor and
PyTorch eager in one run, and print the ratio.

    python benchmarks/tensor_seed.py [--repeat N]

The workload is the autograd tutorial's example on small tensors:

    x = ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3; out = z.mean(); out.backward()
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def seed_example(torch):
    def run():
        x = torch.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
        return x.grad

    return run


def accumulate_example(torch):
    x = torch.ones(3, 2, requires_grad=True)

    def run():
        y = x**2
        z = (y + 1) * y
        s = z.sum()
        x.grad = None
        s.backward()
        return x.grad

    return run


def best_of(fn, number, repeat=5):
    fn()  # warm-up: caches, lazy imports, generated vjps
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=2000, help="calls per timing")
    ns = ap.parse_args(argv)

    import symgrad

    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    print(f"{'workload':<14} {'symgrad us':>11} {'torch us':>9} {'symgrad/torch':>14}")
    for name, make in (("seed", seed_example), ("accumulate", accumulate_example)):
        s = best_of(make(symgrad), ns.number) * 1e6
        if torch is not None:
            t = best_of(make(torch), ns.number) * 1e6
            print(f"{name:<14} {s:>11.1f} {t:>9.1f} {s / t:>14.2f}")
        else:
            print(f"{name:<14} {s:>11.1f} {'-':>9} {'-':>14}")


if __name__ == "__main__":
    main()
