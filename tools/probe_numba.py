"""Scratch: each probe with backend='numba' against the numpy backend."""

import sys
import warnings

import numpy as np

sys.path.insert(0, "tests")
import test_adversarial_wave as w  # noqa: E402

import symgrad  # noqa: E402

warnings.simplefilter("ignore")
bad = refused = 0
for p in w.PROBES:
    f, args, torch_fn, fd = p.values
    floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
    wrt = tuple(f.__code__.co_varnames[i] for i in floats)
    ref = symgrad.grad(f, wrt=wrt).value_and_grad(*args)
    try:
        got = symgrad.grad(f, wrt=wrt, backend="numba").value_and_grad(*args)
    except symgrad.SymgradError as e:
        refused += 1
        print(f"REFUSED {f.__name__}: {str(e).splitlines()[0][:120]}")
        continue
    except Exception as e:
        bad += 1
        print(f"CRASH {f.__name__}: {type(e).__name__}: {str(e)[:300]}")
        continue
    rg = ref[1] if len(floats) > 1 else (ref[1],)
    gg = got[1] if len(floats) > 1 else (got[1],)
    if not np.allclose(got[0], ref[0], equal_nan=True) or not all(
            np.shape(a) == np.shape(b) and np.allclose(a, b, equal_nan=True)
            for a, b in zip(gg, rg, strict=True)):
        bad += 1
        print(f"DIFF {f.__name__}: {got} vs {ref}")
print("bad", bad, "refused", refused, "of", len(w.PROBES))
