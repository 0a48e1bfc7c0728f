"""The README's snippets, run, so that they stay true.

- ```python blocks run in order, as one module written to a file (symgrad reads source).
- ```console blocks run command by command (``symgrad ...`` in this process, ``python
  FILE`` as a subprocess); the lines the README shows under a command must appear, in order,
  in what it prints. Long numbers are compared loosely: their last digits are the
  platform's rounding.
- ```bash blocks (installation, development) are not run.
- A value shown in a comment, ``expr  # array([...])``, must be what ``expr`` gives.

A marker, an HTML comment on the line before a block, changes that:
``<!-- readme: skip -->`` (a partial snippet, not run) and ``<!-- readme: in NAME.source -->``
(generated code: it must appear in ``NAME.source`` once the python blocks have run).
"""

from __future__ import annotations

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symgrad.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"(?:^<!-- readme: (?P<marker>.+?) -->\n)?^```(?P<lang>\w*)\n(?P<body>.*?)^```$",
                    re.S | re.M)
_SHOWN_VALUE = re.compile(r"^(?P<expr>[\w.]+\(.*\))\s+# (?P<value>array\(.*\))$", re.M)
_LONG_NUMBER = re.compile(r"-?\d+(\.\d+)?e[-+]?\d+|-?\d*\.\d{5,}")


def _blocks(lang: str) -> list[tuple[str | None, str]]:
    return [(m["marker"], m["body"]) for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))
            if m["lang"] == lang]


def test_the_readme_has_blocks_of_each_kind():
    markers = {m for lang in ("python", "console") for m, _ in _blocks(lang)}
    assert len(_blocks("python")) >= 4 and _blocks("console")
    assert all(m is None or m == "skip" or re.fullmatch(r"in \w+\.source", m) for m in markers)


def test_python_blocks_run_and_generated_code_is_what_symgrad_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may write files (G.export)
    runnable = [body for marker, body in _blocks("python") if marker is None]
    path = tmp_path / "readme_snippets.py"
    path.write_text("\n\n".join(runnable), encoding="utf-8")
    namespace = runpy.run_path(str(path), run_name="readme_snippets")
    shown = [(m, body) for m, body in _blocks("python") if m and m.startswith("in ")]
    assert shown
    for marker, body in shown:
        name = marker.split()[1].removesuffix(".source")
        assert body.rstrip("\n") in namespace[name].source, f"README block {marker!r} is stale"
    # a value the README shows in a comment (`seed.grad(...)  # array([[4.5, ...]])`) is right
    values = [m for body in runnable for m in _SHOWN_VALUE.finditer(body)]
    assert values
    for m in values:
        got = eval(m["expr"], namespace)  # noqa: S307 - the README's own expression
        np.testing.assert_allclose(got, eval(m["value"], {"array": np.array}), rtol=1e-12)
    # the exported module the README writes checks itself
    for exported in tmp_path.glob("*_grad.py"):
        proc = subprocess.run([sys.executable, str(exported)], capture_output=True, text=True,
                              cwd=tmp_path, env=_env(with_symgrad=False), timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _env(with_symgrad: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["SYMGRAD_CACHE_DIR"] = "0"
    if with_symgrad:
        env["PYTHONPATH"] = str(ROOT)
    return env


def _commands(body: str) -> list[tuple[list[str], list[str]]]:
    """(argv, the lines shown below it) for each ``$ `` command of a console block."""
    out: list[tuple[list[str], list[str]]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            out[-1][1].append(line)
            i += 1
            continue
        command = line[2:]
        while command.rstrip().endswith("\\"):
            i += 1
            command = command.rstrip()[:-1] + " " + lines[i].strip()
        out.append((shlex.split(command, comments=True), []))
        i += 1
    return out


def _loose(line: str) -> str:
    return _LONG_NUMBER.sub("<number>", line.rstrip())


@pytest.mark.parametrize("index", range(len(_blocks("console"))))
def test_console_blocks_print_what_the_readme_shows(index, tmp_path, monkeypatch, capsys):
    marker, body = _blocks("console")[index]
    if marker == "skip":
        pytest.skip("marked partial in the README")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", "0")
    for argv, shown in _commands(body):
        if argv[0] == "symgrad":
            code = main(argv[1:])
            printed, err = capsys.readouterr()
        else:
            assert argv[0] == "python", argv
            proc = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True,
                                  cwd=tmp_path, env=_env(with_symgrad=False), timeout=120)
            code, printed, err = proc.returncode, proc.stdout, proc.stderr
        assert code == 0, (argv, err)
        actual = [_loose(line) for line in printed.splitlines()]
        position = 0
        for want in (_loose(line) for line in shown if line.strip()):
            assert want in actual[position:], f"{' '.join(argv)}: README shows {want!r}"
            position = actual.index(want, position) + 1


def test_the_supported_list_is_what_the_registry_binds():
    from symgrad import catalog

    shown = catalog.readme_section(README.read_text(encoding="utf-8"))
    assert shown is not None, "README has no generated Supported functions section"
    assert shown == catalog.section(), "run `python -m symgrad.catalog --write`"


def test_the_supported_list_names_real_bound_functions(capsys):
    import math

    from symgrad import catalog
    from symgrad.rules import registry

    found = catalog.spellings()
    assert "sum" in found["np"] and "norm" in found["np.linalg"] and "exp" in found["math"]
    for name in found["np"]:  # each listed numpy name resolves to an entry
        assert registry.by_object(getattr(np, name)) is not None, name
    assert registry.by_object(math.exp) is not None
    assert "sum" in catalog.methods()
    assert main(["supported"]) == 0
    out = capsys.readouterr().out
    assert "`np.einsum`" in out and "`.reshape()`" in out
