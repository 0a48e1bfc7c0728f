"""Differential test: each examples/seed_autograd_*.py prints the same with symgrad as with torch.

Every script does ``import symgrad as torch`` (or ``as tf`` / ``as t``).  It is run twice in a
subprocess: once with real PyTorch substituted for symgrad through ``sys.modules``, once
normally.  Object addresses (``<AddBackward0 object at 0x7f...>``) are normalised and stdout
must match exactly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("seed_autograd_*.py"))

# Make `import symgrad` resolve to real torch, then run the script as __main__.
TORCH_SHIM = (
    "import runpy, sys, torch; sys.modules['symgrad'] = torch; "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)

_ADDRESS = re.compile(r"at 0x[0-9a-fA-F]+")


def _normalise(text: str) -> str:
    return _ADDRESS.sub("at 0x...", text)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def _run_with_symgrad(script: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(script)])


def _run_with_torch(script: Path) -> subprocess.CompletedProcess[str]:
    return _run(["-c", TORCH_SHIM, str(script)])


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_all_five_seed_examples_exist() -> None:
    assert [p.name for p in EXAMPLES] == [f"seed_autograd_{i}.py" for i in range(1, 6)]


@pytest.mark.parametrize("script", EXAMPLES, ids=_ids(EXAMPLES))
def test_seed_example_runs_with_symgrad(script: Path) -> None:
    proc = _run_with_symgrad(script)
    assert proc.returncode == 0, f"{script.name} failed with symgrad:\n{proc.stderr}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"


@pytest.mark.parametrize("script", EXAMPLES, ids=_ids(EXAMPLES))
def test_seed_example_matches_torch(script: Path) -> None:
    pytest.importorskip("torch")
    expected = _run_with_torch(script)
    assert expected.returncode == 0, f"{script.name} failed with real torch:\n{expected.stderr}"
    actual = _run_with_symgrad(script)
    assert actual.returncode == 0, f"{script.name} failed with symgrad:\n{actual.stderr}"
    assert _normalise(actual.stdout) == _normalise(expected.stdout)
