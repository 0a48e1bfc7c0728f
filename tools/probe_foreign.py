"""Scratch: each probe's gradient computed on torch tensors (the array-API module) vs numpy."""

import sys
import traceback

import numpy as np
import torch

sys.path.insert(0, "tests")
import test_adversarial_wave as w  # noqa: E402

import symgrad  # noqa: E402

bad = refused = 0
for p in w.PROBES:
    f, args, torch_fn, fd = p.values
    floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
    G = symgrad.grad(f, wrt=tuple(f.__code__.co_varnames[i] for i in floats))
    ref = G.grad(*args)
    ref = (ref,) if len(floats) == 1 else ref
    targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    try:
        got = G.grad(*targs)
    except symgrad.SymgradError as e:
        refused += 1
        print(f"REFUSED {f.__name__}: {str(e).splitlines()[0][:150]}")
        continue
    except Exception as e:
        bad += 1
        print(f"CRASH {f.__name__}: {type(e).__name__}: {str(e)[:200]}")
        traceback.print_exc(limit=-2)
        continue
    got = (got,) if len(floats) == 1 else got
    for g, r in zip(got, ref, strict=True):
        if not isinstance(g, torch.Tensor):
            print(f"TYPE {f.__name__}: {type(g)}")
        g = np.asarray(g.detach().numpy() if isinstance(g, torch.Tensor) else g)
        if g.shape != np.shape(r) or not np.allclose(g, r, equal_nan=True, atol=1e-9):
            bad += 1
            print(f"DIFF {f.__name__}: {g} vs {r}")
print("bad", bad, "refused", refused, "of", len(w.PROBES))
