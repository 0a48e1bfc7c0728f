"""symgrad benchmarks: value-and-gradient time vs hand-written numpy, PyTorch, JAX, autograd.

Usage:  python benchmarks/run.py [--workloads seed,mlp] [--peers numpy,symgrad,jax] [--quick]

Every time is the median of many repetitions of one value-and-gradient evaluation, printed
as a ratio to the hand-written numpy value-and-gradient, next to the absolute median.  The
ratio is the median of paired ratios: each sample of a peer is taken right after a sample
of the hand-written code, so that a shared machine's changing load moves both alike.  Each peer's value and gradient are checked against the hand-written
ones before it is timed; a peer that disagrees is reported, not timed.  Everything runs
single-threaded: BLAS/OpenMP thread variables are set to 1 before numpy is imported, torch
gets set_num_threads(1), and the process is pinned to one CPU (which is also what sizes
XLA's thread pool).
"""

from __future__ import annotations

import os
import sys

# Single-threaded BLAS/OpenMP for every peer: must happen before numpy is imported.
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "BLIS_NUM_THREADS",
)
for _v in _THREAD_VARS:
    os.environ[_v] = "1"
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "")
    + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
).strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# symgrad's first-call times in the main table are cold unless the caller chose a cache;
# transform_cost.py measures the disk cache explicitly.
os.environ.setdefault("SYMGRAD_CACHE_DIR", "0")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers as peers_mod  # noqa: E402
import workloads as wl  # noqa: E402

CHECK_TOL = 1e-8  # worst relative error (scaled by max |reference|) accepted before timing


def pin_to_one_cpu():
    """Pin this process to one CPU; returns its number, or None where unsupported."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return cpus[-1]
    except (AttributeError, OSError):
        return None


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def _time_n(run, number):
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            run()
        return time.perf_counter() - t0
    finally:
        if gc_was:
            gc.enable()


def measure(run, *, target, reps, min_reps, budget):
    """Median seconds per call of ``run``.

    Calls are grouped into samples of ``number`` calls lasting at least ``target`` seconds;
    ``reps`` samples are taken (fewer, but at least ``min_reps``, when that would exceed
    ``budget`` seconds).  Returns (median, samples, number, cpu_over_wall).
    """
    run()
    run()
    number = 1
    while True:
        t = _time_n(run, number)
        if t >= target or number >= 1 << 22:
            break
        number = min(number * 16, max(number * 2, int(number * target / max(t, 1e-9) * 1.2) + 1))
    nrep = int(max(min_reps, min(reps, budget / max(t, 1e-9))))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    samples = []
    for _ in range(nrep):
        samples.append(_time_n(run, number) / number)
        gc.collect()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return statistics.median(samples), samples, number, cpu / max(wall, 1e-12)


def measure_paired(ref_run, run, *, target, reps, min_reps, budget):
    """Like ``measure``, with a sample of the hand-written reference ``ref_run`` taken right
    before each sample of ``run``: the ratio is the median of the paired ratios, so a load
    change on a shared machine moves both sides of each pair alike. Returns (median of
    ``run``, median paired ratio, cpu_over_wall)."""
    ref_run()
    med, _samples, number, cpu_ratio = measure(run, target=target, reps=1, min_reps=1,
                                               budget=budget)
    ref_number = measure_number(ref_run, target)
    nrep = int(max(min_reps, min(reps, budget / max(med * number, 1e-9))))
    times, ratios = [], []
    for _ in range(nrep):
        ref = _time_n(ref_run, ref_number) / ref_number
        t = _time_n(run, number) / number
        times.append(t)
        ratios.append(t / ref)
        gc.collect()
    return statistics.median(times), statistics.median(ratios), cpu_ratio


def measure_number(run, target):
    """How many calls of ``run`` last at least ``target`` seconds."""
    number = 1
    while True:
        t = _time_n(run, number)
        if t >= target or number >= 1 << 22:
            return number
        number = min(number * 16, max(number * 2, int(number * target / max(t, 1e-9) * 1.2) + 1))


def fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            v = s / scale
            return f"{v:.3g}{unit}" if v < 100 else f"{v:.0f}{unit}"
    return f"{s * 1e9:.2g}ns"


def fmt_bytes(b):
    if b is None:
        return "-"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if abs(b) >= scale:
            return f"{b / scale:.3g}{unit}"
    return f"{b:.0f}B"


# --------------------------------------------------------------------------------------
# Memory (tracemalloc sees numpy's allocations; torch and jax allocate elsewhere)
# --------------------------------------------------------------------------------------


def traced_peak(fn):
    """Peak traced bytes allocated while ``fn()`` runs, above what was live before it."""
    fn()  # warm-up (lazy compilation, caches) outside the trace
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del out
    finally:
        tracemalloc.stop()
    return peak - base


# --------------------------------------------------------------------------------------
# Main benchmark
# --------------------------------------------------------------------------------------


class Cell:
    def __init__(self, status, median=None, ratio=None, note=None, cpu_ratio=None, n=None):
        self.status = status  # ok | skip | error | wrong
        self.median = median
        self.ratio = ratio
        self.note = note
        self.cpu_ratio = cpu_ratio
        self.n = n


def parse_list(text, known, what):
    if text in (None, "", "all"):
        return list(known)
    items = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in items if s not in known]
    if bad:
        raise SystemExit(f"unknown {what}: {', '.join(bad)} (known: {', '.join(known)})")
    return items


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="symgrad benchmarks vs hand-written numpy, torch, jax, autograd"
    )
    ap.add_argument("--workloads", default="all",
                    help=f"comma list of {','.join(wl.WORKLOADS)} (default all)")
    ap.add_argument("--peers", default="all",
                    help=f"comma list of {','.join(peers_mod.PEERS)} (default all; "
                         "hand-written numpy is always measured as the reference)")
    ap.add_argument("--sizes", default="all",
                    help="'all', 'small' (smallest size of each workload) or 'large' (largest)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="timing samples per cell (default 31, --quick 9)")
    ap.add_argument("--quick", action="store_true",
                    help="fewer/shorter samples and smaller transform-cost runs (~1 min)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory section")
    ap.add_argument("--no-rss", action="store_true",
                    help="skip the RSS-sampled memory table (the one that covers torch/jax)")
    ap.add_argument("--no-transform", action="store_true",
                    help="skip the symgrad transform-cost section")
    ap.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    ap.add_argument("--json", metavar="PATH", help="also write all results as JSON here")
    args = ap.parse_args(argv)

    names = parse_list(args.workloads, wl.WORKLOADS, "workloads")
    peer_names = parse_list(args.peers, peers_mod.PEERS, "peers")
    # hand-written numpy is the reference: always measured, and first
    peer_names = ["numpy"] + [p for p in peer_names if p != "numpy"]
    reps = args.repeat or (9 if args.quick else 31)
    tcfg = dict(
        target=0.002 if args.quick else 0.005,
        reps=reps,
        min_reps=min(reps, 5),
        budget=0.3 if args.quick else 1.0,
    )

    cpu = None if args.no_pin else pin_to_one_cpu()
    t_start = time.perf_counter()
    print("symgrad benchmarks")
    print(f"  python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, "
          + (f"pinned to CPU {cpu}" if cpu is not None else "not pinned")
          + ", BLAS/OpenMP threads = 1")

    # ---- peers ------------------------------------------------------------------------
    peers = {}
    peer_skip = {}
    for pn in peer_names:
        p = peers_mod.PEERS[pn]()
        try:
            ver = p.setup()
            peers[pn] = p
            extra = ""
            if getattr(p, "init_time", None) is not None:
                extra = (f" (first transform in this process: {fmt_time(p.init_time)}, one-time; "
                         f"SYMGRAD_CACHE_DIR={os.environ.get('SYMGRAD_CACHE_DIR')})")
            print(f"  {pn:13s} {p.label} {ver}{extra}")
        except peers_mod.PeerUnavailable as e:
            peer_skip[pn] = str(e)
            print(f"  {pn:9s} {e}")
    print(f"  timing: median of up to {reps} samples per cell; each sample >= "
          f"{tcfg['target'] * 1e3:g} ms of back-to-back calls, paired with one of numpy's (the ratio is "
          "the median of the paired ratios); gradients checked first "
          f"(tolerance {CHECK_TOL:g} relative)")
    print()

    # ---- timing -----------------------------------------------------------------------
    rows = []  # (workload, size, {peer: Cell})
    first_calls = []  # (workload, size, peer, seconds)
    notes = []
    for name in names:
        w = wl.WORKLOADS[name]
        sizes = list(w.sizes)
        if args.sizes == "small":
            sizes = sizes[:1]
        elif args.sizes == "large":
            sizes = sizes[-1:]
        for size in sizes:
            inputs = wl.make_args(w, size)
            ref_value, ref_grads = w.vg(*inputs.values())
            cells = {}
            ref_run = None
            for pn in peer_names:
                if pn in peer_skip:
                    cells[pn] = Cell("skip", note=peer_skip[pn])
                    continue
                p = peers[pn]
                try:
                    prep = p.prepare(w, inputs)
                except peers_mod.PeerFailed as e:
                    notes.append(f"{pn} on {name} {w.size_label(size)}: {e}")
                    cells[pn] = Cell("error", note=str(e), n=len(notes))
                    continue
                if prep.first_call is not None:
                    first_calls.append((name, w.size_label(size), pn, prep.first_call))
                try:
                    value, grads = prep.to_numpy(prep.run())
                    err, where = wl.compare(value, grads, ref_value, ref_grads)
                except Exception as e:  # a peer crashing at run time: report, keep going
                    err, where = float("inf"), f"{type(e).__name__}: {e}"
                if not err <= CHECK_TOL:
                    notes.append(f"{pn} on {name} {w.size_label(size)}: check failed, "
                                 f"rel err {err:.2e} ({where}); not timed")
                    cells[pn] = Cell("wrong", note=where, n=len(notes))
                    continue
                if pn == "numpy":
                    med, _samples, _number, cpu_ratio = measure(prep.run, **tcfg)
                    ref_run, ratio = prep.run, 1.0
                else:  # each sample paired with one of the hand-written code's
                    med, ratio, cpu_ratio = measure_paired(ref_run, prep.run, **tcfg)
                cells[pn] = Cell("ok", median=med, ratio=ratio, cpu_ratio=cpu_ratio)
                del prep
            rows.append((name, w.size_label(size), cells))
            print_row_progress(name, w.size_label(size), cells, peer_names)

    print()
    print_table(rows, peer_names, peers, notes)

    if first_calls:
        print()
        print("First call (not in the table): jax = trace + compile + first run of "
              "jit(value_and_grad); symgrad = decoration + transform + first run; "
              "symgrad-numba = the same + numba's compilation")
        for name, sl, pn, s in first_calls:
            print(f"  {name:9s} {sl:16s} {pn:13s} {fmt_time(s):>8s}")

    # ---- memory -----------------------------------------------------------------------
    mem_rows = []
    if not args.no_memory:
        print()
        mem_rows = memory_section(names, peer_names, peers, peer_skip)
        if not args.no_rss:
            import memory_rss

            print()
            avail = [pn for pn in peer_names if pn in peers]
            rss = memory_rss.run_all(names, avail, reps=3 if args.quick else 5)
            memory_rss.print_table(
                rss, names, avail, fmt_bytes,
                lambda n: wl.WORKLOADS[n].size_label(wl.WORKLOADS[n].largest))
            mem_rows = {"tracemalloc": mem_rows, "rss": rss}

    # ---- transform cost ---------------------------------------------------------------
    tc = None
    if not args.no_transform and "symgrad" in peer_names:
        print()
        import transform_cost

        if "symgrad" in peer_skip:
            print(f"Transform cost: {peer_skip['symgrad']}")
        else:
            tc = transform_cost.run_all(names, quick=args.quick, pin_cpu=cpu)

    print()
    print(f"total benchmark time {time.perf_counter() - t_start:.0f}s")

    if args.json:
        out = {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "timing": [
                {"workload": n, "size": s,
                 **{pn: vars(c) for pn, c in cells.items()}}
                for n, s, cells in rows
            ],
            "first_call": [
                {"workload": n, "size": s, "peer": pn, "seconds": t}
                for n, s, pn, t in first_calls
            ],
            "memory": mem_rows,
            "transform_cost": tc,
            "notes": notes,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
        print(f"wrote {args.json}")
    return 0


def cell_text(c: Cell | None):
    if c is None:
        return "-"
    if c.status == "ok":
        mark = "*" if c.cpu_ratio is not None and c.cpu_ratio > 1.2 else ""
        return f"{c.ratio:6.2f}x {fmt_time(c.median):>7s}{mark}"
    if c.status == "skip":
        return "skipped"
    if c.status == "error":
        return f"error [{c.n}]"
    return f"WRONG [{c.n}]"


def print_row_progress(name, size_label, cells, peer_names):
    parts = [f"{pn}={cell_text(cells.get(pn)).strip()}" for pn in peer_names]
    print(f"  done {name} {size_label}: " + ", ".join(parts), flush=True)


def print_table(rows, peer_names, peers, notes):
    w_col = 19
    head = f"{'workload':10s}{'size':17s}" + "".join(f"{pn:>{w_col}s}" for pn in peer_names)
    print("Value+gradient time: ratio to hand-written numpy (same run), then absolute median")
    print(head)
    print("-" * len(head))
    multi = False
    for name, sl, cells in rows:
        line = f"{name:10s}{sl:17s}"
        for pn in peer_names:
            t = cell_text(cells.get(pn))
            multi |= t.endswith("*")
            line += f"{t:>{w_col}s}"
        print(line)
    for pn in peer_names:
        if pn not in peers:
            first = next((c for _, _, cs in rows for p, c in cs.items() if p == pn), None)
            print(f"{pn}: {first.note if first else 'skipped'}")
    if multi:
        print("* process CPU time exceeded wall time by >20% while timing: not single-threaded")
    for i, n in enumerate(notes, 1):
        print(f"[{i}] " + n.replace("\n", "\n    "))


def memory_section(names, peer_names, peers, peer_skip):
    print("Peak extra memory of value+grad over the primal (largest size; tracemalloc)")
    print("  primal = the plain numpy loss; extra = peak(value+grad) - peak(primal), both "
          "measured above the live inputs; (x) = extra / primal peak")
    traced = [pn for pn in peer_names if pn in peers and peers[pn].traced]
    untraced = [pn for pn in peer_names if pn in peers and not peers[pn].traced]
    head = f"  {'workload':10s}{'size':17s}{'primal peak':>12s}" + "".join(
        f"{pn:>22s}" for pn in traced)
    print(head)
    out = []
    for name in names:
        w = wl.WORKLOADS[name]
        size = w.largest
        inputs = wl.make_args(w, size)
        vals = tuple(inputs.values())
        primal = traced_peak(lambda vals=vals, w=w: w.fn(*vals))
        line = f"  {name:10s}{w.size_label(size):17s}{fmt_bytes(primal):>12s}"
        row = {"workload": name, "size": w.size_label(size), "primal_peak": primal}
        for pn in traced:
            try:
                prep = peers[pn].prepare(w, inputs)
            except peers_mod.PeerFailed:
                line += f"{'error':>22s}"
                continue
            peak = traced_peak(prep.run)
            extra = peak - primal
            row[pn] = {"peak": peak, "extra": extra}
            rel = f"({extra / primal:.1f}x)" if primal > 0 else ""
            line += f"{fmt_bytes(extra) + ' ' + rel:>22s}"
            del prep
        out.append(row)
        print(line, flush=True)
    if untraced:
        print(f"  not measured here: {', '.join(untraced)} (allocations invisible to "
              "tracemalloc; see the RSS-sampled table)")
    for pn, why in peer_skip.items():
        if pn != "numpy":
            print(f"  {pn}: {why}")
    return out


if __name__ == "__main__":
    sys.exit(main())
