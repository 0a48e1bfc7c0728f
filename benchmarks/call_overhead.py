"""symgrad's per-call overhead: ``G.value_and_grad``, ``G.grad`` and ``G(x)`` beside the
generated function they run, called directly, and the hand-written numpy of
``workloads.py``, on the smallest size of each workload (where the overhead shows most).

Usage:  python benchmarks/call_overhead.py [--workloads seed,logistic] [--rounds 10]

Each cell is the least CPU time (``time.thread_time``, so that other processes on a loaded
machine count less) of one call over ``--rounds`` rounds of five timings of 5000 calls,
the candidates interleaved round by round; ratios are to the hand-written value and gradient.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
if not os.path.isdir(os.path.join(os.getcwd(), "symgrad")):
    sys.path.append(os.path.dirname(HERE))

import workloads as wl  # noqa: E402

import symgrad  # noqa: E402


def measure(name: str, rounds: int) -> None:
    w = wl.WORKLOADS[name]
    size = w.sizes[0]
    vals = tuple(wl.make_args(w, size).values())
    G = symgrad.grad(w.fn, wrt=w.wrt)
    G.value_and_grad(*vals)
    G.value_and_grad(*vals)  # (the second call checks the outputs of this key)
    fast = G._by_shapes[G._fast_key(*vals)]
    generated, vg, gr = fast.value_and_grad, G.value_and_grad, G.grad
    cells = {
        "hand-written value+grad": lambda: w.vg(*vals),
        "generated, called directly": lambda: generated(*vals),
        "G.value_and_grad": lambda: vg(*vals),
        "G.grad": lambda: gr(*vals),
        "G(...) (primal)": lambda: G(*vals),
        "hand-written primal": lambda: w.fn(*vals),
    }
    best = dict.fromkeys(cells, float("inf"))
    for _ in range(rounds):
        for label, call in cells.items():
            t = min(timeit.Timer(call, timer=time.thread_time).repeat(5, 5000)) / 5000
            best[label] = min(best[label], t)
    base = best["hand-written value+grad"]
    print(f"{name}, size {size}:")
    for label, t in best.items():
        print(f"  {label:28s} {t * 1e6:8.2f} us  {t / base:5.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="seed,logistic,chain")
    ap.add_argument("--rounds", type=int, default=10)
    ns = ap.parse_args(argv)
    for name in ns.workloads.split(","):
        measure(name, ns.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
