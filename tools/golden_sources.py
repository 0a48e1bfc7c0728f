"""Write the gradient module symgrad generates for every function of the test corpora, so
that a change meant to make the transform faster can show it changes no generated code.

    PYTHONPATH=. python tools/golden_sources.py write DIR     # one .py file per function
    PYTHONPATH=. python tools/golden_sources.py compare DIR   # the ones that now differ

The functions: tests/corpus (control flow, buffers, calls, containers), the peer functions
of tests/peers (autograd's and Tangent's), the benchmark workloads and two synthetic
straight-line functions (benchmarks/transform_cost.py). Each is called once with its
corpus arguments and its ``G.source`` (the module of that call's ranks) recorded; a
function symgrad refuses is recorded by the first line of its error.
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for sub in ("tests", "tools"):
    sys.path.insert(0, os.path.join(ROOT, sub))
sys.path.append(os.path.join(ROOT, "benchmarks"))  # (after tests: both have a peers)

import symgrad  # noqa: E402


def _synthetic(n: int):
    from transform_cost import synthetic_source

    directory = os.path.join(tempfile.gettempdir(), "symgrad_golden")  # (the path is printed)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"synth_{n}.py")
    with open(path, "w") as f:
        f.write(synthetic_source(n, seed=5))
    spec = importlib.util.spec_from_file_location(f"golden_synth_{n}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.f


def cases():
    """(name, fn, wrt, args, seed) of every function recorded."""
    import corpus
    import peer_harness
    import workloads

    for case in corpus.CORPUS:
        seed = case.seed() if case.seed else None
        yield f"corpus.{case.id}", case.fn, case.wrt, case.args(), seed
    for module in peer_harness.peer_modules():
        for fn, args in peer_harness.load_cases(module):
            args = tuple(np.array(a, dtype=np.float64) if isinstance(a, np.ndarray) and
                         a.dtype.kind == "f" else a for a in args)
            names = list(inspect.signature(fn).parameters)
            wrt = tuple(n for n, a in zip(names, args, strict=False)
                        if peer_harness._is_float(a) or peer_harness._is_float_tuple(a))
            try:
                seed = peer_harness._seed(fn(*copy.deepcopy(args)), np.random.default_rng(0))
            except Exception:  # noqa: BLE001 (the peer file's own bug: nothing to record)
                continue
            yield f"peers.{module}.{fn.__name__}", fn, wrt or None, args, seed
    for name, w in workloads.WORKLOADS.items():
        args = tuple(workloads.make_args(w, w.sizes[0]).values())
        yield f"workload.{name}", w.fn, w.wrt, args, None
    for n in (50, 300):
        rng = np.random.default_rng(n)
        args = (rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4))
        yield f"synthetic.{n}", _synthetic(n), ("x", "y"), args, None


def source_of(fn, wrt, args, seed) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            G = symgrad.grad(fn, wrt=wrt)
            G.grad(*copy.deepcopy(args), **({} if seed is None else {"seed": seed}))
            return G.source
    except Exception as e:  # noqa: BLE001 (a refusal is an outcome to record too)
        first = (str(e).strip().splitlines() or [""])[-1]
        return f"# {type(e).__name__}: {first}\n"


_REPO_PATH = re.compile(r"\S*/(?=(tests|benchmarks)/\S*\.py\b)")


def normalised(text: str) -> str:
    """``text`` with the checkout's path (in each docstring) as ``<repo>/``: a worktree's
    module compares equal to main's."""
    return _REPO_PATH.sub("<repo>/", text)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("write", "compare"):
        print(__doc__)
        return 2
    mode, directory = argv
    os.makedirs(directory, exist_ok=True)
    differ = 0
    total = 0
    for name, fn, wrt, args, seed in cases():
        total += 1
        text = source_of(fn, wrt, args, seed)
        path = os.path.join(directory, name.replace("/", "_") + ".py")
        if mode == "write":
            with open(path, "w") as f:
                f.write(text)
            continue
        old = open(path).read() if os.path.exists(path) else ""
        old, text = normalised(old), normalised(text)
        if old != text:
            differ += 1
            print(f"--- {name}")
            sys.stdout.writelines(list(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), n=1))[2:40])
    if mode == "compare":
        print(f"{differ} of {total} generated modules differ")
    else:
        print(f"wrote {total} generated modules to {directory}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
