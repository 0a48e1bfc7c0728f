"""The generated rank-specialised function vs the hand-written value-and-gradient, directly.

Usage:  python benchmarks/generated_vs_hand.py [--workloads rnn,seed] [--repeat 41] [--show]

``benchmarks/run.py`` times ``G.value_and_grad(*args)``: the generated function plus
symgrad's per-call dispatch (argument binding, the shape lookup). This script times only
the generated function itself, the module specialised for the workload's ranks, called as
``fn(*args)``, against the hand-written ``*_vg`` in ``workloads.py``: samples of each taken
back to back, alternating, timed in process CPU time so that both see the same machine
load. Printed: each median and the median ratio (generated time over hand-written time). ``--show`` prints the generated
module too. Single-threaded BLAS, pinned to one CPU, as in ``run.py``.
"""

from __future__ import annotations

import os
import sys

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"
os.environ.setdefault("SYMGRAD_CACHE_DIR", "0")

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import workloads as wl  # noqa: E402
from run import fmt_time, pin_to_one_cpu  # noqa: E402

import symgrad  # noqa: E402


def generated(workload, vals):
    """The value-and-gradient function that serves these arguments, and G: the module
    specialised for their ranks, or the generic one where it has no shape plumbing to drop
    (then the two are the same text)."""
    G = symgrad.grad(workload.fn, wrt=workload.wrt)
    G.value_and_grad(*vals)
    shown = G._shown  # the last call's specialisation (None: the generic module served)
    return (G._value_and_grad if shown is None else shown.value_and_grad), G


def _sample(run, args, number):
    # one call untimed first: the heap as this function leaves it (the other one's frees
    # and page faults are not charged to it); then CPU time of this process, so that on a
    # shared machine time spent descheduled is not charged either
    run(*args)
    t0 = time.process_time()
    for _ in range(number):
        run(*args)
    return (time.process_time() - t0) / number


def side_by_side(hand, gen, args, *, repeat, target=0.002):
    """Median seconds per call of ``hand(*args)`` and of ``gen(*args)``, and the median of the ratios of
    samples taken back to back (the order alternating), which slow drifts of the machine's
    load do not move."""
    hand(*args), gen(*args)
    number = 1
    while _sample(hand, args, number) * number < target and number < 1 << 20:
        number *= 2
    hands, gens, ratios = [], [], []
    gc.disable()
    try:
        for i in range(repeat):
            if i % 2:
                g, h = _sample(gen, args, number), _sample(hand, args, number)
            else:
                h, g = _sample(hand, args, number), _sample(gen, args, number)
            hands.append(h)
            gens.append(g)
            ratios.append(g / h)
    finally:
        gc.enable()
    median = statistics.median
    return median(hands), median(gens), median(ratios)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="all")
    ap.add_argument("--repeat", type=int, default=201)
    ap.add_argument("--show", action="store_true", help="print each generated module")
    args = ap.parse_args(argv)
    names = list(wl.WORKLOADS) if args.workloads == "all" else args.workloads.split(",")
    cpu = pin_to_one_cpu()
    print(f"generated specialised function vs hand-written numpy (pinned to CPU {cpu}, "
          f"median of {args.repeat} interleaved samples)")
    print(f"{'workload':10s} {'size':18s} {'hand':>9s} {'generated':>10s} {'ratio':>6s}"
          "   (medians of CPU time per call; ratio: median of paired samples' ratios)")
    for name in names:
        w = wl.WORKLOADS[name]
        for size in w.sizes:
            vals = tuple(wl.make_args(w, size).values())
            fn, G = generated(w, vals)
            ref_value, ref_grads = w.vg(*vals)
            value, grads = fn(*vals)
            grads = grads if isinstance(grads, tuple) else (grads,)
            err, what = wl.compare(value, grads, ref_value, ref_grads)
            if not err <= 1e-10:
                print(f"{name:10s} {w.size_label(size):18s} WRONG: {what} off by {err:.2e}")
                continue
            big = max(np.size(v) for v in vals) >= 1e6  # (fewer samples of 10 ms and more)
            repeat = max(5, args.repeat // 8) if big else args.repeat
            hand, gen, ratio = side_by_side(w.vg, fn, vals, repeat=repeat)
            print(f"{name:10s} {w.size_label(size):18s} {fmt_time(hand):>9s} "
                  f"{fmt_time(gen):>10s} {ratio:6.2f}", flush=True)
            if args.show:
                print(G.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
