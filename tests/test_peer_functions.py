"""The trust property on autograd's and Tangent's test functions (tests/peers/).

Every peer function is either differentiated correctly (``ok``: the primal is numpy's, the
gradient is central finite differences') or refused with a ``SymgradError``: never a wrong
primal or gradient, never an internal crash. ``tools/peer_harness.py`` is the runner (and
prints the counts and the refusals); this test asserts its verdicts, and that the number
of ``ok`` functions does not fall below the floor recorded here (raise it when it grows).
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tools"))

import peer_harness  # noqa: E402

# The ratchet: functions `ok` on main when this was recorded (issue 13's peer count).
OK_FLOOR = 529

# Known bugs, each a strict xfail: fix the bug, then delete its line here.
KNOWN_BUGS: dict[str, str] = {}

CASES = [(m, fn, args) for m in peer_harness.peer_modules()
         for fn, args in peer_harness.load_cases(m)]
_OUTCOMES: dict[str, tuple[str, str]] = {}


def _outcome(module, fn, args):
    key = f"{module}.{fn.__name__}"
    if key not in _OUTCOMES:
        _OUTCOMES[key] = peer_harness.check(fn, args, timeout=20.0)
    return _OUTCOMES[key]


def _param(module, fn, args):
    key = f"{module}.{fn.__name__}"
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[key])] if key in KNOWN_BUGS \
        else []
    return pytest.param(module, fn, args, id=key, marks=marks)


@pytest.mark.parametrize(("module", "fn", "args"), [_param(*c) for c in CASES])
def test_peer_function_is_ok_or_refused(module, fn, args):
    status, detail = _outcome(module, fn, args)
    assert status in ("ok", "refused"), f"{status}: {detail}"


def test_ok_count_does_not_fall():
    ok = sum(_outcome(*c)[0] == "ok" for c in CASES)
    assert ok >= OK_FLOOR, f"{ok} peer functions differentiate, the floor is {OK_FLOOR}"


def test_peer_files_name_their_originals():
    """Each function says which test it renders (a '# file::test' comment above its def)."""
    unnamed = [f"{m}.{fn.__name__}" for m, fn, _ in CASES if not peer_harness._origin(fn)]
    assert not unnamed
    assert len({(m, fn.__name__) for m, fn, _ in CASES}) == len(CASES)


def test_harness_sees_a_wrong_gradient_and_a_crash():
    """The referee itself: a function whose symgrad result is made wrong is `wrong`."""
    import symgrad

    def f(x):
        return np.sum(np.sin(x))

    status, _ = peer_harness.check(f, (np.linspace(0.1, 1.0, 4),))
    assert status == "ok"
    real_grad = symgrad.api.GradFunction.grad
    try:
        symgrad.api.GradFunction.grad = lambda self, *a, **k: real_grad(self, *a, **k) * 1.01
        assert peer_harness.check(f, (np.linspace(0.1, 1.0, 4),))[0] == "wrong"

        def boom(self, *a, **k):
            raise KeyError("internal")

        symgrad.api.GradFunction.grad = boom
        assert peer_harness.check(f, (np.linspace(0.1, 1.0, 4),))[0] == "crash"
    finally:
        symgrad.api.GradFunction.grad = real_grad
