"""Scratch: each probe exported (G.export), its self-check run, and value_and_grad vs grad."""

import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, "tests")
import test_adversarial_wave as w  # noqa: E402

import symgrad  # noqa: E402

warnings.simplefilter("ignore")
bad = 0
tmp = tempfile.mkdtemp()
for p in w.PROBES:
    f, args, torch_fn, fd = p.values
    floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
    G = symgrad.grad(f, wrt=tuple(f.__code__.co_varnames[i] for i in floats))
    value, grads = G.value_and_grad(*args)
    g2 = G.grad(*args)
    g2 = (g2,) if len(floats) == 1 else g2
    grads = (grads,) if len(floats) == 1 else grads
    if not np.allclose(value, G(*args), equal_nan=True) or not all(
            np.allclose(a, b, equal_nan=True) for a, b in zip(grads, g2, strict=True)):
        print(f"VG {f.__name__}")
        bad += 1
    path = os.path.join(tmp, f"{f.__name__}_mod.py")
    try:
        G.export(path, example_args=args)
    except symgrad.SymgradError as e:
        print(f"REFUSED {f.__name__}: {str(e).splitlines()[0][:120]}")
        continue
    except Exception as e:
        print(f"CRASH {f.__name__}: {type(e).__name__}: {e}")
        bad += 1
        continue
    r = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print(f"SELFCHECK {f.__name__}: rc={r.returncode} {r.stdout[-300:]} {r.stderr[-500:]}")
        bad += 1
print("bad", bad, "of", len(w.PROBES))
