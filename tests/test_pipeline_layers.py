"""The pipeline's layers: the rules sit below the adjoint, and the adjoint leaves the IR it
differentiates as it was (tapes and writes in place are a plan beside it), so that another
sweep can reuse the same IR."""

import os
import subprocess
import sys
from pathlib import Path

from sympy.core.parameters import distribute
from test_buffers_in_place import rnn_buffer

from symgrad.adjoint import Sweep
from symgrad.frontend.lower import lower
from symgrad.frontend.parse import parse_function

ROOT = Path(__file__).resolve().parents[1]


def test_the_eager_vjp_table_imports_neither_the_adjoint_nor_codegen():
    # the table gives each primitive's backward as SymPy expressions; codegen, above it,
    # prints them (codegen.vjp_module), and the Tensor runs them (runtime/vjps.py)
    code = (
        "import sys\n"
        "from symgrad import rules\n"
        "for op, static in [('tanh', {}), ('sum', {'axis': 0}), ('matmul', {}),\n"
        "                   ('getitem', {}), ('concatenate', {'axis': 0, 'n': 2})]:\n"
        "    rules.vjp_rule(op, static)\n"
        "print(sorted(m for m in sys.modules if m.startswith('symgrad.adjoint') or\n"
        "      m in ('symgrad.codegen', 'symgrad.transform')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYMGRAD_CACHE_DIR": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_sweep_plans_tapes_and_writes_in_place_beside_the_ir_it_leaves_alone():
    with distribute(False):  # as symgrad.transform runs the pipeline
        fn = lower(parse_function(rnn_buffer))
        lowered = repr(fn)
        sweep = Sweep(fn, ["W", "h0"])
        fused = repr(sweep.forward)
        adj = sweep.run()
    assert repr(fn) == lowered
    assert repr(adj.forward) == fused
    # the decisions are in the plan: the buffer is written in place, the loop tapes its row
    assert adj.plan.in_place and adj.plan.copies == set()
    (tape,) = adj.plan.tapes.values()
    assert tape.name == "tape" and tape.taped
