"""JVP, HVP and Hessian of the benchmark workloads: symgrad against ``jax.jit`` of the same
transformation and ``torch.func``, as ratios from one run.

Each peer differentiates literally the same loss (``workloads.py``, ``np`` rebound to
``jax.numpy`` / a torch shim, as ``peers.py`` does). Per workload and transformation:

- JVP: ``G.jvp(*args, tangents=t)`` / ``jax.jit(lambda p, t: jax.jvp(f, p, t))`` /
  ``torch.func.jvp(f, p, t)``, a tangent for every wrt argument;
- HVP: ``G.hvp(*args, v=v)`` / ``jax.jit`` of forward over reverse
  (``jax.jvp(jax.grad(f))``) / ``torch.func.jvp(torch.func.grad(f))``;
- Hessian: ``G.hessian`` / ``jax.jit(jax.hessian(f))`` / ``torch.func.hessian(f)``, only
  where the wrt arguments have at most ``--max-hessian`` entries (default 300);
  ``hess-col`` is ``G.hessian.by_columns``, one HVP per column (what ``G.hessian`` falls
  back to where it cannot batch the directions, and did everywhere before).

Every peer's result is checked against symgrad's before it is timed (worst error relative
to the largest entry, at most 1e-8). Times are medians of samples of back-to-back calls
(``run.measure``); the ratio columns are peer time / symgrad time (above 1: symgrad is
faster). jax's compile time is excluded (its first call is made before timing).

    python benchmarks/transforms.py [--workloads seed,rnn] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402, I001  (sets the one-thread environment before numpy)

import numpy as np  # noqa: E402
import peers as peers_mod  # noqa: E402
import workloads as wl  # noqa: E402

TOL = 1e-8
_TORCH_NAMES = ("mean", "sum", "tanh", "sin", "cos", "exp", "log")


def _worst(a, b) -> float:
    """The worst relative error over (nested tuples of) arrays."""
    if isinstance(a, (tuple, list)):
        return max(_worst(x, y) for x, y in zip(a, b, strict=True))
    return wl.rel_err(np.asarray(a), np.asarray(b))


def _numpy(tree):
    if isinstance(tree, (tuple, list)):
        return tuple(_numpy(t) for t in tree)
    if hasattr(tree, "detach"):
        return tree.detach().numpy()
    return np.asarray(tree)


def _partial(fn, values, index):
    """fn as a function of the wrt arguments only (the others fixed)."""
    def f(*xs):
        full = list(values)
        for i, x in zip(index, xs, strict=True):
            full[i] = x
        return fn(*full)
    return f


def cases(workload, size, max_hessian):
    """(transformation, {peer: (run, result)}) for one workload and size."""
    import jax
    import jax.numpy as jnp
    import torch
    import torch.func

    import symgrad

    jax.config.update("jax_enable_x64", True)
    args = wl.make_args(workload, size)
    names = list(args)
    index = [names.index(n) for n in workload.wrt]
    values = [np.asarray(a, dtype=np.float64) for a in args.values()]
    rng = np.random.default_rng(1)
    tangents = tuple(rng.standard_normal(values[i].shape) for i in index)
    G = symgrad.grad(workload.fn, wrt=workload.wrt)
    one = len(index) == 1

    jf = _partial(peers_mod.rebind(workload.fn, jnp), [jnp.asarray(v) for v in values], index)
    shim = types.SimpleNamespace(**{k: getattr(torch, k) for k in _TORCH_NAMES})
    tf = _partial(peers_mod.rebind(workload.fn, shim), [torch.from_numpy(v) for v in values],
                  index)
    jp = tuple(jnp.asarray(values[i]) for i in index)
    jt = tuple(jnp.asarray(t) for t in tangents)
    tp = tuple(torch.from_numpy(values[i]) for i in index)
    tt = tuple(torch.from_numpy(t) for t in tangents)
    argnums = tuple(range(len(index)))

    jvp_j = jax.jit(lambda p, t: jax.jvp(jf, p, t)[1])
    hvp_j = jax.jit(lambda p, t: jax.jvp(jax.grad(jf, argnums=argnums), p, t)[1])
    out = [
        ("jvp", {
            "symgrad": lambda: G.jvp(*values, tangents=tangents)[1],
            "jax": lambda: jax.block_until_ready(jvp_j(jp, jt)),
            "torch.func": lambda: torch.func.jvp(tf, tp, tt)[1],
        }),
        ("hvp", {
            "symgrad": lambda: G.hvp(*values, v=tangents[0] if one else tangents),
            "jax": lambda: jax.block_until_ready(hvp_j(jp, jt)),
            "torch.func": lambda: torch.func.jvp(torch.func.grad(tf, argnums=argnums),
                                                 tp, tt)[1],
        }),
    ]
    if sum(values[i].size for i in index) <= max_hessian:
        hess_j = jax.jit(jax.hessian(jf, argnums=argnums))
        hess_t = torch.func.hessian(tf, argnums=argnums)
        out.append(("hessian", {
            "symgrad": lambda: G.hessian(*values),
            "jax": lambda: jax.block_until_ready(hess_j(*jp)),
            "torch.func": lambda: hess_t(*tp),
        }))
        # the same Hessian a column at a time (what G.hessian did before it was batched)
        out.append(("hess-col", {
            "symgrad": lambda: G.hessian.by_columns(*values),
            "jax": lambda: jax.block_until_ready(hess_j(*jp)),
            "torch.func": lambda: hess_t(*tp),
        }))
    return out


def _normalise(name, peer, result, n):
    """Results in symgrad's layout: a tuple per wrt argument (nested for Hessians)."""
    result = _numpy(result)
    if name in ("hessian", "hess-col") and n == 1:
        return result[0][0] if peer != "symgrad" else result
    if name == "hvp" and n == 1 and peer != "symgrad":
        return result[0]
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(wl.WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--max-hessian", type=int, default=300)
    parser.add_argument("--no-pin", action="store_true")
    opts = parser.parse_args(argv)
    if not opts.no_pin:
        bench.pin_to_one_cpu()
    try:
        import jax
        import torch
    except ImportError as e:  # pragma: no cover
        print(f"needs jax and torch: {e}")
        return 2
    torch.set_num_threads(1)
    reps, target = (7, 0.003) if opts.quick else (15, 0.005)
    import symgrad

    print(f"symgrad {symgrad.__version__}, jax {jax.__version__}, torch {torch.__version__}, "
          f"numpy {np.__version__}; one CPU, one thread; ratio = peer / symgrad")
    header = f"{'workload':<10} {'size':<16} {'transform':<8} {'symgrad':>10} " \
             f"{'jax.jit':>10} {'ratio':>6} {'torch.func':>11} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name in opts.workloads.split(","):
        workload = wl.WORKLOADS[name]
        size = workload.sizes[0]
        for transform, runs in cases(workload, size, opts.max_hessian):
            n = len(workload.wrt)
            results = {p: _normalise(transform, p, r(), n) for p, r in runs.items()}
            cells = {}
            for peer, fn in runs.items():
                err = _worst(results[peer], results["symgrad"])
                if err > TOL:
                    cells[peer] = f"ERR {err:.0e}"
                    continue
                cells[peer] = bench.measure(fn, target=target, reps=reps, min_reps=3,
                                            budget=2.0)[0]
            base = cells["symgrad"]

            def cell(peer, base=base, cells=cells):
                t = cells[peer]
                if isinstance(t, str) or isinstance(base, str):
                    return f"{t if isinstance(t, str) else bench.fmt_time(t):>10} {'':>6}"
                return f"{bench.fmt_time(t):>10} {t / base:>6.2f}"

            print(f"{name:<10} {workload.size_label(size):<16} {transform:<8} "
                  f"{bench.fmt_time(base) if not isinstance(base, str) else base:>10} "
                  f"{cell('jax')} {cell('torch.func'):>18}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
