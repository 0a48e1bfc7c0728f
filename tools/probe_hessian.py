"""Scratch: Hessians and JVPs of the probes with one float argument against torch.func."""

import sys
import traceback

import numpy as np
import torch as T

import probe_wave as pw
import probe_wave2  # noqa: F401  (registers nothing once cleared: import order below)
import symgrad

mods = sys.argv[1:] or ["probe_wave"]


def main():
    cases = []
    for name in ["probe_wave", "probe_wave2", "probe_wave3"]:
        pw.PROBES.clear()
        mod = __import__(name)
        if name == "probe_wave":
            import importlib
            importlib.reload(mod)
            probes = list(mod.PROBES)
        else:
            import importlib
            importlib.reload(mod)
            probes = list(pw.PROBES)
        cases += probes
    bad = 0
    for f, args, wrt, torch_fn, fd in cases:
        if torch_fn is None or not fd:
            continue
        floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
        if floats != [0] or np.asarray(args[0]).size == 0 or np.asarray(args[0]).dtype != np.float64:
            continue
        x = np.asarray(args[0], dtype=float)
        rest = args[1:]
        try:
            G = symgrad.grad(f, wrt=(f.__code__.co_varnames[0],))
            H = G.hessian(*args)
            H = np.asarray(H[0][0] if isinstance(H, tuple) else H)
            trest = [T.tensor(a) for a in rest]
            th = T.func.hessian(lambda t: torch_fn(t, *trest).sum())(T.tensor(x)).numpy()
            if H.shape != th.shape or not np.allclose(H, th, rtol=1e-6, atol=1e-8, equal_nan=True):
                print(f"HESS {f.__name__}: shape {H.shape} vs {th.shape}\n{H}\n{th}")
                bad += 1
            t = np.random.default_rng(0).normal(size=x.shape)
            out, tan = G.jvp(*args, tangents=(t,))
            _, ttan = T.func.jvp(lambda u: torch_fn(u, *trest).sum(), (T.tensor(x),),
                                 (T.tensor(t),))
            if not np.allclose(np.sum(tan), ttan.numpy(), rtol=1e-6, atol=1e-8):
                print(f"JVP {f.__name__}: {tan} vs {ttan}")
                bad += 1
        except symgrad.SymgradError as e:
            print(f"REFUSED {f.__name__}: {str(e).splitlines()[0][:200]}")
        except Exception as e:
            if "not implemented" in str(e) or "vmap" in str(e).lower() or "functorch" in str(e):
                print(f"TORCHFAIL {f.__name__}: {str(e)[:100]}")
                continue
            print(f"CRASH {f.__name__}:")
            traceback.print_exc(limit=-3)
            bad += 1
    print("bad", bad)


main()
