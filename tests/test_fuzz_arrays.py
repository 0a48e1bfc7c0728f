"""Random array programs: symgrad's primal and gradient against numpy, central differences, torch.

The generator (tests/fuzz_arrays_gen.py) draws, from one integer seed, a function
``f(x, u, v, w, s, mask, mrow)`` (only the parameters it reads) over ``x`` (n, m), ``u``
(n, 1), ``v`` (1, m), ``w`` (m,), a scalar ``s`` (a Python float or np.float64) and bool
arrays ``mask`` (n, m) and ``mrow`` (m,), with n != m so a lost broadcast changes a shape.
Its body is 0-3 assignments (float or bool intermediates, read again later) and a return,
built from: broadcasting (n,1)x(1,m), (m,)x(n,m), scalars; ``np.where`` with conditions
from arguments, inline constant masks (``np.array([True, False, ...])``), comparisons of
differentiable values, always-true comparisons (``np.exp(a) > 0``), ``& | ~``; reductions
``sum mean max min prod`` (function and method spellings) with axis (negative too) and
keepdims; max/min over ties made by broadcasting (``np.max(np.where(mask, u, 0.3),
axis=-1)``, ``u + 0.0 * x``); masks as numbers (``(a > b) * c``, ``c * mask``,
``(a > 0) * 1.0 * c``, ``mask + c``); ``//`` and ``%`` between arrays and with constants;
integer powers (0, 1, 2, 3, -1, -2); ``np.sqrt``, ``np.log``, ``** 0.5``, ``** 1.5``,
``** (1 / 3)`` of values that may be negative, bare and guarded (``np.where(a > 0,
np.sqrt(a), c)``), and round trips (``np.sqrt(a) ** 2``, ``np.exp(np.log(a))``,
``(a ** 3) ** (1 / 3)``); ``exp tanh sin abs maximum minimum clip``, unary minus, ``/``.
The same tree is rendered as ``f_torch`` (``torch.amax/amin`` for max/min, which split ties
evenly, ``torch.where``, ``torch.remainder``, ``torch.div(..., rounding_mode="floor")``);
both go to one fresh ``.py`` file, so symgrad reads ``f`` through inspect like user code.

The checks, in order (the first failure is reported with the program, its arguments, the
torch translation, the mismatch and symgrad's generated code):

1. decorating with ``symgrad.grad(f, wrt=<every float parameter>)`` works (every construct
   used is supported; a SymgradError is reported as "refused at decoration");
2. the primal ``G(*args)`` equals plain ``f(*args)``: same shape, same dtype, NaN at the same
   positions, values within rtol 1e-10; ``G.value_and_grad``'s value too;
3. every gradient has its argument's shape;
4. torch (float64): wherever torch's gradient is not NaN, symgrad's equals it (rtol 1e-7;
   infinities must match). Where torch's gradient is NaN, symgrad may give a finite number,
   since torch's NaN there is often the chain rule's 0 * NaN through a discarded branch (the
   where gotcha) while the true derivative is finite; the finite-difference check below
   judges such numbers. Except: when the value itself has a NaN and no construct can discard
   a NaN (``where``, masks as numbers, comparisons, ``//``, ``%``, ``** 0``, max/min/clip,
   prod over a NaN-capable operand), a NaN gradient in torch must be NaN in symgrad too;
   and when the value has a NaN, a NaN gradient in symgrad is accepted where torch's is a
   number (torch's ``abs`` backward turns ``sign(nan)`` into a number: a slope of a NaN
   value means nothing, and NaN says so);
5. central differences (float64) at two steps, 1e-6 and 1e-5: at every element where both
   are finite and agree (the function is smooth there: a kink, jump or tie within a step
   makes them differ) and the value is finite, symgrad's gradient equals them (rtol 1e-5).
   Inputs are random, so ties between distinct inputs do not occur; ties made by
   broadcasting do, and there the function is smooth and both referees apply.

A program whose plain run raises (e.g. ``0.0 ** -1`` on a Python float) or gives a complex
number (a negative Python float ``** 0.5``) is skipped.

``SYMGRAD_FUZZ_MORE=N`` (or ``pytest --fuzz-more=N``) adds N more seeds after the CI set;
``SYMGRAD_FUZZ_START`` shifts the seeds; ``SYMGRAD_FUZZ_WITHOUT=floormod,ties`` switches
feature families off (names in ``fuzz_arrays_gen.FEATURES``). For a hunt with a summary per
failure class and shrinking: ``python tests/fuzz_arrays_gen.py --seeds 0:2000 --shrink``
(``--symgrad /path/to/checkout`` tests another branch's symgrad). To reproduce one failure,
paste the printed program and arguments into a file, or run
``pytest tests/test_fuzz_arrays.py -k 'seed_123]'``.
"""

from __future__ import annotations

import os

import pytest
from fuzz_arrays_gen import check, generate

CI_SEEDS = 300
START = int(os.environ.get("SYMGRAD_FUZZ_START", "0"))
WITHOUT = tuple(w for w in os.environ.get("SYMGRAD_FUZZ_WITHOUT", "").split(",") if w)


def pytest_generate_tests(metafunc):
    if "fuzz_seed" in metafunc.fixturenames:
        more = metafunc.config.getoption("fuzz_more", None) or \
            int(os.environ.get("SYMGRAD_FUZZ_MORE", "0"))
        seeds = range(START, START + CI_SEEDS + more)
        metafunc.parametrize("fuzz_seed", seeds, ids=[f"seed_{s}" for s in seeds])


def test_random_array_program(fuzz_seed):
    outcome = check(generate(fuzz_seed, WITHOUT))
    if outcome.status == "discard":
        pytest.skip(f"plain numpy: {outcome.stage}")
    assert outcome.status == "pass", outcome.report()
