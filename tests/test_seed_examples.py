"""Differential test: each examples/seed_autograd_*.py prints and warns the same with symgrad
as with torch.

Every script does ``import symgrad as torch`` (or ``as tf`` / ``as t``). It runs in a
subprocess under the same runner twice: once with real PyTorch substituted for symgrad through
``sys.modules``, once normally. Stdout must match exactly once object addresses
(``<AddBackward0 object at 0x7f...>``) are normalised. The warnings the script raises must
match too: category, message, and the script line they point at (torch appends
``(Triggered internally at <its C++ source>)`` to some messages; that suffix is dropped).
Without torch installed, a few values the scripts print are checked as known constants.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("seed_autograd_*.py"))

# argv: backend ("torch" or "symgrad"), script. With "torch", `import symgrad` resolves to
# real torch. Every warning is recorded (not only the first per line) and written to stderr,
# one per line, as "<script file>:<line>: <category>: <message>".
RUNNER = """\
import os, runpy, sys, warnings
backend, script = sys.argv[1:]
if backend == "torch":
    import torch
    sys.modules["symgrad"] = torch
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        sys.stdout.flush()
        for w in caught:
            text = str(w.message).split(" (Triggered internally at")[0]
            print(f"{os.path.basename(w.filename)}:{w.lineno}: {w.category.__name__}: {text}",
                  file=sys.stderr)
"""

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


@functools.cache
def _run_plain(script: Path) -> subprocess.CompletedProcess[str]:
    """``python examples/seed_autograd_N.py``, as a reader runs it."""
    return _run([str(script)])


@functools.cache
def _run_under(backend: str, script: Path) -> subprocess.CompletedProcess[str]:
    proc = _run(["-c", RUNNER, backend, str(script)])
    assert proc.returncode == 0, f"{script.name} failed with {backend}:\n{proc.stderr}"
    return proc


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_all_five_seed_examples_exist() -> None:
    assert [p.name for p in EXAMPLES] == [f"seed_autograd_{i}.py" for i in range(1, 6)]


@pytest.mark.parametrize("script", EXAMPLES, ids=_ids(EXAMPLES))
def test_seed_example_runs_with_symgrad(script: Path) -> None:
    proc = _run_plain(script)
    assert proc.returncode == 0, f"{script.name} failed with symgrad:\n{proc.stderr}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"


@pytest.mark.parametrize("script", EXAMPLES, ids=_ids(EXAMPLES))
def test_seed_example_matches_torch(script: Path) -> None:
    pytest.importorskip("torch")
    expected = _run_under("torch", script).stdout
    assert _normalise(_run_under("symgrad", script).stdout) == _normalise(expected)


@pytest.mark.parametrize("script", EXAMPLES, ids=_ids(EXAMPLES))
def test_seed_example_warns_as_torch_warns(script: Path) -> None:
    pytest.importorskip("torch")
    expected = _run_under("torch", script).stderr
    assert _run_under("symgrad", script).stderr == expected


def test_seed_example_warnings_are_seen() -> None:
    """The runner does record warnings: accessing a non-leaf's .grad (script 2, last line)."""
    stderr = _run_under("symgrad", ROOT / "examples" / "seed_autograd_2.py").stderr
    assert stderr.startswith("seed_autograd_2.py:91: UserWarning: The .grad attribute of a "
                             "Tensor that is not a leaf Tensor is being accessed.")


# What the scripts print, pinned for when torch is not installed to compare against.
KNOWN_LINES = {
    "seed_autograd_1": [
        "<AddBackward0 object at 0x...>",
        "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])",
        "tensor([[5.5000, 5.5000],\n        [5.5000, 5.5000]])",
        "tensor([[0., 0.],\n        [0., 0.]])\ntensor(2.)",
    ],
    "seed_autograd_2": [
        "RuntimeError: grad can be implicitly created only for scalar outputs",
        "RuntimeError: Trying to backward through the graph a second time",
        "tensor([[6., 0., 0.],\n        [0., 0., 0.],\n        [0., 0., 0.]])",
    ],
}


@pytest.mark.parametrize("name", sorted(KNOWN_LINES))
def test_seed_example_prints_known_values(name: str) -> None:
    out = _normalise(_run_plain(ROOT / "examples" / f"{name}.py").stdout)
    for line in KNOWN_LINES[name]:
        assert line in out
