"""Differential test: each examples/tutorial_*.py (after PyTorch's own tutorials) prints what
torch prints, run with ``import symgrad as torch`` and with real torch substituted.

The runner and the normalising of object addresses are the seed examples' (see
test_seed_examples.py). Text must match exactly; numbers are compared to a relative 1e-5
(absolute 1e-6): a float32 training loop drifts from torch's by ulps, because torch's sin,
exp and the other transcendental functions (its vectorised math library, SLEEF) and its
matrix products are not numpy's to the last bit. Sums, means and the special powers do
follow torch's order (test_torch_float32_order.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_seed_examples import _normalise, _run_plain, _run_under

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "examples").glob("tutorial_*.py"))
_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+e[-+]?\d+")


def _split(text: str) -> tuple[str, list[float]]:
    """The text with every decimal number replaced by a mark, and the numbers."""
    return _NUMBER.sub("#", text), [float(m) for m in _NUMBER.findall(text)]


def test_the_tutorials_exist() -> None:
    assert [p.stem for p in TUTORIALS] == [
        "tutorial_autograd", "tutorial_autograd_extending", "tutorial_d2l_builders",
        "tutorial_d2l_linear_regression", "tutorial_d2l_preliminaries",
        "tutorial_d2l_softmax_mlp", "tutorial_nn_optim", "tutorial_polynomial",
        "tutorial_tensors"]


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_with_symgrad(script: Path) -> None:
    proc = _run_plain(script)
    assert proc.returncode == 0, f"{script.name} failed with symgrad:\n{proc.stderr}"
    assert proc.stdout.strip()


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_prints_what_torch_prints(script: Path) -> None:
    pytest.importorskip("torch")
    import numpy as np

    expected_text, expected = _split(_normalise(_run_under("torch", script).stdout))
    got_text, got = _split(_normalise(_run_under("symgrad", script).stdout))
    assert got_text == expected_text
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
