"""symgrad transform cost: time from decoration to first gradient.

Usage:  python benchmarks/transform_cost.py [--workloads seed,mlp] [--statements 10,100,1000]

Each measurement runs in a fresh Python process (so no in-memory cache can help), after
``import symgrad`` and after the inputs are made; it times ``G = symgrad.grad(fn, wrt=...)``
and then the first ``G.grad(*args)``.  Three cache settings:

* cold:       SYMGRAD_CACHE_DIR=0 (disk cache disabled);
* populate:   SYMGRAD_CACHE_DIR=<empty temp dir> (cold, plus the cost of writing the cache);
* warm disk:  the same directory again, in a new process.

Besides the benchmark workloads it transforms synthetic straight-line functions of N
statements (10, 100, 1000 by default), generated as source text into a temporary .py file
and imported, because symgrad reads source with ``inspect``.  The cost should grow about
linearly in N; the growth exponent between successive N is printed.  Each child has a
timeout, so an expression blow-up shows up as "timeout" instead of a hung benchmark.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)

_THREAD_ENV = {
    v: "1"
    for v in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "BLIS_NUM_THREADS",
    )
}

# --------------------------------------------------------------------------------------
# Synthetic straight-line functions
# --------------------------------------------------------------------------------------

# Every template maps values in [-1, 1] to [-1, 1], so 1000 chained statements stay finite.
_TEMPLATES = (
    "np.sin({a}) * {b}",
    "np.tanh({a} + {b})",
    "{a} * {b}",
    "0.5 * ({a} - {b})",
    "np.exp(-{a} ** 2) * {b}",
    "0.5 * np.cos({a}) + 0.5 * {b}",
    "np.tanh(2.0 * {a}) * np.sin({b})",
)


def synthetic_source(n_statements: int, seed: int = 0, window: int = 8) -> str:
    """Source of ``f(x, y)``: ``n_statements`` assignments, then ``return np.sum(last)``.

    Statement i uses the previous value and one random value among the last ``window``
    values and the inputs, so the dataflow is a DAG with reuse, like real code.
    """
    rng = random.Random(seed)
    lines = ["import numpy as np", "", "", "def f(x, y):"]
    names = ["x", "y"]
    for i in range(n_statements):
        a = names[-1]
        pool = names[-window - 1 : -1] + ["x", "y"]
        b = rng.choice(pool)
        if rng.random() < 0.5:
            a, b = b, a
        expr = rng.choice(_TEMPLATES).format(a=a, b=b)
        lines.append(f"    v{i} = {expr}")
        names.append(f"v{i}")
    lines.append(f"    return np.sum({names[-1]})")
    return "\n".join(lines) + "\n"


def write_synthetic(directory: str, n_statements: int) -> str:
    path = os.path.join(directory, f"synth_{n_statements}.py")
    with open(path, "w") as f:
        f.write(synthetic_source(n_statements))
    return path


# --------------------------------------------------------------------------------------
# Child process: one measurement, printed as one JSON line
# --------------------------------------------------------------------------------------


def _warmup(x):
    return np.sum(x * x)


def _one_line(e):
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: " + " | ".join(lines)[:300]


def _reference_job() -> float:
    """CPU seconds of a fixed SymPy job that runs no symgrad code: the machine's speed, so
    that times taken on different machines (or under load) can be compared as ratios."""
    import sympy as sp

    xs = sp.symbols("a0:50", real=True)
    t0 = time.process_time()
    slopes = [sp.diff(sp.tanh(2.0 * xs[i]) * xs[i - 1] + sp.exp(-xs[i] ** 2) *
                      sp.sin(xs[i - 1]), xs[i]) for i in range(1, len(xs))]
    sp.cse(slopes)
    return time.process_time() - t0


def _child(ns):
    if ns.child_reference:
        print(json.dumps({"total": _reference_job()}))
        return 0
    if ns.pin is not None:
        try:
            os.sched_setaffinity(0, {ns.pin})
        except (AttributeError, OSError):
            pass
    import importlib.util

    sys.path.insert(0, HERE)
    if importlib.util.find_spec("symgrad") is None:
        sys.path.append(REPO_ROOT)
    t0 = time.perf_counter()
    import symgrad

    t_import = time.perf_counter() - t0
    import workloads as wl

    result = {"import": t_import}
    # One-time initialisation (SymPy import etc.) measured apart, on a trivial function.
    try:
        t0 = time.perf_counter()
        symgrad.grad(_warmup).grad(np.ones(3))
        result["init"] = time.perf_counter() - t0
    except Exception as e:  # report the transform failure to the parent
        result["error"] = _one_line(e)
        print(json.dumps(result))
        return 0
    if ns.child_workload:
        w = wl.WORKLOADS[ns.child_workload]
        inputs = wl.make_args(w, w.sizes[0])  # smallest size: the cost is in the code
        fn, wrt, vals = w.fn, w.wrt, tuple(inputs.values())
    else:
        spec = importlib.util.spec_from_file_location(
            f"synth_{ns.child_synth_n}", ns.child_synth
        )
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        fn, wrt = mod.f, ("x", "y")
        rng = np.random.default_rng(0)
        vals = (rng.uniform(-1, 1, 64), rng.uniform(-1, 1, 64))
    try:
        t0 = time.perf_counter()
        G = symgrad.grad(fn, wrt=wrt)
        t1 = time.perf_counter()
        g = G.grad(*vals)
        t2 = time.perf_counter()
    except Exception as e:  # report the transform failure to the parent
        result["error"] = _one_line(e)
        print(json.dumps(result))
        return 0
    grads = g if isinstance(g, (tuple, list)) else (g,)
    result.update(decorate=t1 - t0, first_grad=t2 - t1, total=t2 - t0)
    # correctness of what was timed
    if ns.child_workload:
        _, ref = w.vg(*vals)
        result["check_err"] = wl.compare(0.0, grads, 0.0, ref)[0]
    else:  # directional finite difference, one random direction per input
        rng = np.random.default_rng(1)
        worst = 0.0
        for i, gi in enumerate(grads):
            v = rng.standard_normal(vals[i].shape)
            eps = 1e-6
            xp = list(vals)
            xm = list(vals)
            xp[i] = vals[i] + eps * v
            xm[i] = vals[i] - eps * v
            fd = (fn(*xp) - fn(*xm)) / (2 * eps)
            dd = float(np.sum(gi * v))
            worst = max(worst, abs(fd - dd) / max(abs(dd), 1e-8))
        result["check_err"] = worst
    if ns.child_synth:
        result["source_lines"] = len(getattr(G, "source", "").splitlines())
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------


def _spawn(child_args, cache_dir, timeout, pin_cpu):
    env = dict(os.environ)
    env.update(_THREAD_ENV)
    env["SYMGRAD_CACHE_DIR"] = cache_dir
    cmd = [sys.executable, os.path.abspath(__file__), *child_args]
    if pin_cpu is not None:
        cmd += ["--pin", str(pin_cpu)]
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout >{timeout:g}s"}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"error": f"child exited {p.returncode}: {tail[:300]}"}


def _median_of(runs, key="total"):
    ok = [r[key] for r in runs if key in r]
    return statistics.median(ok) if ok else None


def measure_modes(child_args, *, repeat, timeout, pin_cpu, tmp):
    """{'cold': [...], 'populate': {...}, 'warm': [...], 'cache_files': n}."""
    out = {"cold": [], "warm": []}
    for _ in range(repeat):
        r = _spawn(child_args, "0", timeout, pin_cpu)
        out["cold"].append(r)
        if "error" in r:
            return out  # no point repeating a failure or a timeout
        if r.get("total", 0) > 5.0:
            break  # one multi-second measurement is precise enough; keep the run short
    cache_dir = tempfile.mkdtemp(prefix="cache_", dir=tmp)
    out["populate"] = _spawn(child_args, cache_dir, timeout, pin_cpu)
    n_files = sum(f.endswith(".json") for _, _, files in os.walk(cache_dir) for f in files)
    out["cache_files"] = n_files
    if "error" not in out["populate"]:
        for _ in range(repeat):
            out["warm"].append(_spawn(child_args, cache_dir, timeout, pin_cpu))
    return out


def _fmt(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.1f}ms" if s < 10 else f"{s:.1f}s"


def _err_of(runs):
    for r in runs:
        if "error" in r:
            return r["error"]
    return None


def _row(label, m):
    cold_err = _err_of(m["cold"])
    if cold_err:
        return f"  {label:22s} {cold_err}"
    init = _median_of(m["cold"], "init")
    cold = _median_of(m["cold"])
    dec = _median_of(m["cold"], "decorate")
    first = _median_of(m["cold"], "first_grad")
    pop = m.get("populate", {})
    warm = _median_of(m["warm"])
    warm_txt = _fmt(warm) if m["warm"] and not _err_of(m["warm"]) else (
        _err_of(m["warm"]) or pop.get("error") or "-")
    if warm is not None and cold is not None and warm > 0.5 * cold and cold > 0.05:
        warm_txt += "?"  # no faster than cold: a cache miss (e.g. symgrad edited meanwhile)
    chk = max((r.get("check_err", 0.0) for r in m["cold"]), default=0.0)
    chk_txt = "ok" if chk < 1e-6 else f"WRONG ({chk:.1e})"
    files = m.get("cache_files", 0)
    return (f"  {label:22s} {_fmt(init):>9s} {_fmt(cold):>10s} {_fmt(dec):>10s} {_fmt(first):>10s} "
            f"{_fmt(pop.get('total')):>10s} {warm_txt:>10s} {files:>6d}  {chk_txt}")


_HEADER = (f"  {'function':22s} {'init':>9s} {'cold':>10s} {'decorate':>10s} {'1st grad':>10s} "
           f"{'populate':>10s} {'warm disk':>10s} {'files':>6s}  grad check")


def run_all(workload_names, *, statements=(10, 100, 1000), quick=False, pin_cpu=None,
            timeout=None, repeat=None):
    repeat = repeat or (1 if quick else 3)
    timeout = timeout or (60 if quick else 180)
    print("Transform cost (symgrad only): decoration to first gradient, fresh process each, "
          f"median of {repeat} (1 when a run takes over 5 s)")
    print("  init = one-time cost of the first transform in a process (trivial function, "
          "not included in the others)")
    print("  cold = SYMGRAD_CACHE_DIR=0 (= decorate + 1st grad); populate = empty cache dir; "
          "warm disk = same dir, new process; files = in the cache dir after populate")
    print("  '?' after warm disk: not faster than cold, i.e. probably a cache miss")
    result = {"workloads": {}, "synthetic": {}}
    reference = _median_of([_spawn(["--child-reference"], "0", timeout, pin_cpu)
                            for _ in range(repeat)])
    result["reference"] = reference
    print(f"  reference = a fixed SymPy job with no symgrad code, CPU: {_fmt(reference)} "
          "(the machine's speed; divide by it to compare runs on other machines)")
    with tempfile.TemporaryDirectory(prefix="symgrad_tc_") as tmp:
        print(_HEADER)
        for name in workload_names:
            m = measure_modes(["--child-workload", name], repeat=repeat, timeout=timeout,
                              pin_cpu=pin_cpu, tmp=tmp)
            result["workloads"][name] = m
            print(_row(name, m), flush=True)
        prev = None
        growth = []
        for n in statements:
            path = write_synthetic(tmp, n)
            m = measure_modes(["--child-synth", path, "--child-synth-n", str(n)],
                              repeat=repeat, timeout=timeout, pin_cpu=pin_cpu, tmp=tmp)
            result["synthetic"][n] = m
            print(_row(f"straight-line N={n}", m), flush=True)
            cold = _median_of(m["cold"])
            if cold is not None and prev is not None:
                k = math.log(cold / prev[1]) / math.log(n / prev[0])
                growth.append((prev[0], n, k))
            prev = (n, cold) if cold is not None else None
        if reference:
            for n, m in result["synthetic"].items():
                cold = _median_of(m["cold"])
                if cold is not None:
                    print(f"  straight-line N={n}: cold = {cold / reference:.2f} x reference")
        for a, b, k in growth:
            verdict = "about linear" if k < 1.3 else "SUPERLINEAR"
            print(f"  growth N={a}->{b}: cold time ~ N^{k:.2f}  ({verdict})")
        result["growth"] = growth
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description="symgrad transform cost")
    ap.add_argument("--workloads", default="all")
    ap.add_argument("--statements", default="10,100,1000",
                    help="sizes of the synthetic straight-line functions")
    ap.add_argument("--repeat", type=int, default=None, help="processes per median (3)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per child (180)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--show-source", type=int, metavar="N",
                    help="print the synthetic N-statement function and exit")
    ap.add_argument("--pin", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-workload", help=argparse.SUPPRESS)
    ap.add_argument("--child-reference", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child-synth", help=argparse.SUPPRESS)
    ap.add_argument("--child-synth-n", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.child_workload or ns.child_synth or ns.child_reference:
        return _child(ns)
    if ns.show_source:
        print(synthetic_source(ns.show_source), end="")
        return 0
    sys.path.insert(0, HERE)
    import workloads as wl

    names = list(wl.WORKLOADS) if ns.workloads == "all" else ns.workloads.split(",")
    pin = None
    try:
        cpus = sorted(os.sched_getaffinity(0))
        pin = cpus[-1]
    except (AttributeError, OSError):
        pass
    run_all(names, statements=tuple(int(s) for s in ns.statements.split(",")),
            quick=ns.quick, pin_cpu=pin, timeout=ns.timeout, repeat=ns.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
