"""Peak extra memory for every peer, measured on the process RSS.

tracemalloc sees numpy's allocations but not torch's or XLA's, so ``run.py`` adds this
second measurement that treats all peers alike: one fresh process per peer, with env
``MALLOC_MMAP_THRESHOLD_=65536`` so that large buffers are mmap-ed and returned to the OS
when freed (RSS then tracks live memory), and ``peak RSS during the call - RSS before it``.
The peak is the kernel's high-water mark (VmHWM), reset before each call through
/proc/self/clear_refs; where that is not allowed, a thread samples /proc/self/statm instead
(that can miss short-lived peaks).  Page granularity: only the large workloads mean much.

Usage:  python benchmarks/memory_rss.py [--workloads seed,chain] [--peers numpy,torch,jax]
Linux only (needs /proc/self/statm); elsewhere it says so and does nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class RssSampler:
    """Peak RSS growth during a call.

    Preferred: reset the kernel's RSS high-water mark (write "5" to /proc/self/clear_refs,
    Linux >= 4.0) and read VmHWM afterwards -- exact at page granularity.  Fallback: a
    thread reading /proc/self/statm as fast as it can (can miss short-lived peaks).
    """

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.fd = os.open("/proc/self/statm", os.O_RDONLY)  # kept open: re-read per sample
        try:
            self._reset_hwm()
            self.mode = "hwm"
        except OSError:
            self.mode = "sampled"

    def rss(self):
        return int(os.pread(self.fd, 256, 0).split()[1]) * self.page

    @staticmethod
    def _reset_hwm():
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    @staticmethod
    def _hwm():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        raise OSError("no VmHWM")

    def peak_during(self, fn):
        """Peak RSS while fn() runs (its outputs still alive at the end) - RSS before."""
        if self.mode == "hwm":
            self._reset_hwm()
            base = self.rss()
            out = fn()
            peak = max(self._hwm(), self.rss())
            del out
            return peak - base
        base = self.rss()
        peak = [base]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                r = self.rss()
                if r > peak[0]:
                    peak[0] = r
                time.sleep(0)  # let the GIL go; big numpy/torch/XLA ops release it anyway

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        try:
            out = fn()
            peak[0] = max(peak[0], self.rss())  # the outputs are still alive here
        finally:
            stop.set()
            t.join()
        del out
        return peak[0] - base


def _trim():
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _child(peer_name, workload_names, reps):
    sys.path.insert(0, HERE)
    import peers as peers_mod
    import workloads as wl

    peer = peers_mod.PEERS[peer_name]()
    try:
        peer.setup()
    except peers_mod.PeerUnavailable as e:
        print(json.dumps({"skip": str(e)}))
        return 0
    sampler = RssSampler()
    results = {}
    for name in workload_names:
        w = wl.WORKLOADS[name]
        inputs = wl.make_args(w, w.largest)
        vals = tuple(inputs.values())
        try:
            prep = peer.prepare(w, inputs)
        except peers_mod.PeerFailed as e:
            results[name] = {"error": str(e).splitlines()[0][:200]}
            continue
        prep.run()  # warm-up (compile, caches)
        w.fn(*vals)
        primal, vg = [], []
        for _ in range(reps):
            _trim()
            primal.append(sampler.peak_during(lambda vals=vals, w=w: w.fn(*vals)))
            _trim()
            vg.append(sampler.peak_during(prep.run))
        results[name] = {"primal": statistics.median(primal), "vg": statistics.median(vg)}
        del prep
    results["_mode"] = sampler.mode
    print(json.dumps(results))
    return 0


def run_all(workload_names, peer_names, *, reps=5, timeout=300):
    """{peer: {workload: {'primal': bytes, 'vg': bytes} | {'error'|'skip': msg}}}."""
    if not os.path.exists("/proc/self/statm"):
        return {p: {"skip": "skipped: no /proc/self/statm (Linux only)"} for p in peer_names}
    env = dict(os.environ)
    env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = "1"
    out = {}
    for pn in peer_names:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", pn,
               "--workloads", ",".join(workload_names), "--reps", str(reps)]
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
            line = next((ln for ln in reversed(p.stdout.splitlines()) if ln.startswith("{")),
                        None)
            if line is None:
                tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
                out[pn] = {"skip": f"child failed: {tail[:200]}"}
            else:
                out[pn] = json.loads(line)
        except subprocess.TimeoutExpired:
            out[pn] = {"skip": f"timeout >{timeout}s"}
    return out


def print_table(res, workload_names, peer_names, fmt_bytes, size_label):
    modes = {r.get("_mode") for r in res.values()} - {None}
    how = ("kernel RSS high-water mark, reset per call" if modes == {"hwm"}
           else "sampled RSS, approximate")
    print(f"Peak extra memory by RSS ({how}; all peers alike; largest size): "
          "extra = peak(value+grad) - peak(primal)")
    head = f"  {'workload':10s}{'size':17s}{'primal peak':>12s}" + "".join(
        f"{pn:>12s}" for pn in peer_names)
    print(head)
    for name in workload_names:
        primal = next((r[name]["primal"] for r in res.values()
                       if name in r and "primal" in r[name]), None)
        line = f"  {name:10s}{size_label(name):17s}{fmt_bytes(primal):>12s}"
        for pn in peer_names:
            r = res.get(pn, {})
            if "skip" in r:
                cell = "skipped"
            elif name not in r or "error" in r[name]:
                cell = "error"
            else:
                cell = fmt_bytes(r[name]["vg"] - r[name]["primal"])
            line += f"{cell:>12s}"
        print(line)
    for pn in peer_names:
        if "skip" in res.get(pn, {}):
            print(f"  {pn}: {res[pn]['skip']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="all")
    ap.add_argument("--peers", default="numpy,symgrad,torch,jax,autograd")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    import workloads as wl

    names = list(wl.WORKLOADS) if ns.workloads == "all" else ns.workloads.split(",")
    if ns.child:
        return _child(ns.child, names, ns.reps)
    from run import fmt_bytes

    peer_names = ns.peers.split(",")
    res = run_all(names, peer_names, reps=ns.reps)
    print_table(res, names, peer_names, fmt_bytes,
                lambda n: wl.WORKLOADS[n].size_label(wl.WORKLOADS[n].largest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
