"""The generated module of a function does not depend on what the process transformed
before it: symgrad's memo tables (``symgrad.factor_terms``, ``simplify._factor``'s
answers remembered up to a renaming of variables, the lru caches) and SymPy's own cache
must give the text a fresh process gives.

Each side runs in a fresh interpreter with the disk cache off: the function alone, and
the same function after 30 others (corpus functions, benchmark workloads and synthetic
straight-line functions, whose adjoints share skeletons with the target's).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_DRIVER = r"""
import copy, importlib.util, json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np
import corpus, workloads, symgrad
from transform_cost import synthetic_source

def build(name, tmp):
    if name.startswith("w:"):
        w = workloads.WORKLOADS[name[2:]]
        G = symgrad.grad(w.fn, wrt=w.wrt)
        G.grad(*tuple(workloads.make_args(w, w.sizes[0]).values()))
        return G
    if name.startswith("s:"):
        _, n, seed = name.split(":")
        path = f"{tmp}/synth_history_{n}_{seed}.py"
        with open(path, "w") as f:
            f.write(synthetic_source(int(n), seed=int(seed)))
        spec = importlib.util.spec_from_file_location(f"synth_history_{n}_{seed}", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        G = symgrad.grad(mod.f, wrt=("x", "y"))
        rng = np.random.default_rng(0)
        G.grad(rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4))
        return G
    case = corpus.BY_ID[name]
    G = symgrad.grad(case.fn, wrt=case.wrt)
    G.grad(*copy.deepcopy(case.args()), **({} if not case.seed else {"seed": case.seed()}))
    return G

names, tmp = json.loads(sys.argv[1]), sys.argv[2]
for name in names[:-1]:
    try:
        build(name, tmp)
    except Exception:
        pass
print(build(names[-1], tmp).source)
"""


def _source_after(names: list[str], tmp_path: Path) -> str:
    env = dict(os.environ, SYMGRAD_CACHE_DIR="0", PYTHONPATH=os.pathsep.join(
        [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]))
    done = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(names), str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("target", ["s:60:1", "w:rnn"])
def test_a_functions_module_is_the_same_after_others_were_transformed(target, tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    import corpus

    before = random.Random(7).sample(list(corpus.IDS), 24)
    before += ["w:mlp", "w:logistic", "w:chain", "s:60:0", "s:60:2", "s:60:4"]
    before = [n for n in before if n != target]
    alone = _source_after([target], tmp_path)
    assert f"def {'f' if target.startswith('s:') else 'rnn'}" in alone
    assert _source_after(before + [target], tmp_path) == alone
