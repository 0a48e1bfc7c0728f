"""The disk cache of the Tensor's backward functions: with a warm cache the eager backward
never imports SymPy (nor codegen); entries are signed and private as the module cache's are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from test_cache import _run_script

import symgrad
from symgrad import cache
from symgrad.generated import VjpModule
from symgrad.runtime import engine, vjps

SCRIPT = '''
import sys
import numpy as np
import symgrad as torch

rng = np.random.default_rng(0)
x = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
w = torch.tensor(rng.standard_normal((4, 2)), requires_grad=True)
h = torch.tanh(x @ w)
y = torch.where(h > 0, h, h * 0.5).sum(1)
loss = (y[1:] ** 2).sum() + x[0, 2] * 3.0
loss.backward()
(gw,) = torch.autograd.grad((torch.sin(w) * w).sum(), w, create_graph=True)
(ggw,) = torch.autograd.grad(gw.sum(), w)
print("sympy" in sys.modules, "symgrad.codegen" in sys.modules)
print(" ".join(repr(float(v)) for g in (x.grad, w.grad, gw, ggw) for v in g.detach().numpy().ravel()))
'''


def test_a_warm_cache_runs_the_tensor_backward_without_sympy(tmp_path):
    script = tmp_path / "eager.py"
    script.write_text(SCRIPT)
    cold = _run_script(script, tmp_path / "cache")
    warm = _run_script(script, tmp_path / "cache")
    assert cold[:2] == ["True", "True"]  # printed by codegen, through SymPy, once
    assert warm[:2] == ["False", "False"]
    assert warm[2:] == cold[2:]
    pytest.importorskip("torch")
    script.write_text(SCRIPT.replace("import symgrad as torch", "import torch"))
    expected = _run_script(script, tmp_path / "cache")[2:]  # the same program, in torch
    np.testing.assert_allclose([float(v) for v in warm[2:]], [float(v) for v in expected],
                               rtol=1e-12, atol=1e-12)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(d))
    monkeypatch.setattr(cache, "_WARNED", set())
    _forget()
    yield d
    _forget()


def _forget() -> None:
    """Drop the compiled vjps of this process: the next backward reads the disk cache."""
    vjps._COMPILED.clear()
    engine._VJP_CACHE.clear()


def _backward() -> np.ndarray:
    x = symgrad.tensor(np.linspace(0.1, 0.9, 4), requires_grad=True)
    symgrad.tanh(x).sum().backward()
    return x.grad.numpy()


def _expected() -> np.ndarray:
    return 1 - np.tanh(np.linspace(0.1, 0.9, 4)) ** 2


def _entries(d: Path) -> list[Path]:
    return sorted(d.glob("*/*.json"))


def test_vjp_entries_are_keyed_by_op_and_static_arguments(cache_dir):
    np.testing.assert_allclose(_backward(), _expected(), rtol=1e-12)
    entries = [json.loads(p.read_text()) for p in _entries(cache_dir)]
    ops = {e["op"] for e in entries if e["kind"] == "VjpModule"}
    assert {"tanh()", "sum(axis=None, keepdims=False)"} <= ops
    assert cache.vjp_key("sum", {"axis": 0}) != cache.vjp_key("sum", {"axis": 1})
    assert cache.vjp_key("sum", {"axis": 0}) != cache.vjp_key("mean", {"axis": 0})
    assert cache.vjp_key("sum", {"axis": object()}) is None  # no content: not stored
    (tanh,) = [p for p in _entries(cache_dir) if json.loads(p.read_text())["op"] == "tanh()"]
    assert cache.load(tanh.stem) is None  # an entry of the other kind is no module
    assert isinstance(cache.load(tanh.stem, VjpModule), VjpModule)


@pytest.mark.parametrize("sign", ["kept", "other_key"])
def test_a_forged_vjp_entry_is_not_executed(cache_dir, tmp_path, sign):
    _backward()
    marker = tmp_path / "ran"
    for entry in _entries(cache_dir):
        data = json.loads(entry.read_text())
        data["source"] = f"open({str(marker)!r}, 'w').write('ran')\n" + data["source"]
        fields = {name: data[name] for name in cache._field_names(VjpModule)}
        data["checksum"] = cache._checksum(fields)
        if sign == "other_key":
            data["mac"] = cache._mac(os.urandom(32), data["key"], fields)
        entry.write_text(json.dumps(data))
    _forget()
    np.testing.assert_allclose(_backward(), _expected(), rtol=1e-12)
    assert not marker.exists()
    _forget()  # the entries were regenerated, and verify again
    np.testing.assert_allclose(_backward(), _expected(), rtol=1e-12)
    assert not marker.exists()


def test_a_corrupt_vjp_entry_is_regenerated(cache_dir):
    _backward()
    for entry in _entries(cache_dir):
        entry.write_text(entry.read_text()[:40])
    _forget()
    np.testing.assert_allclose(_backward(), _expected(), rtol=1e-12)
    assert all(json.loads(p.read_text())["kind"] == "VjpModule" for p in _entries(cache_dir))


def test_the_vjp_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", "0")
    _forget()
    np.testing.assert_allclose(_backward(), _expected(), rtol=1e-12)
    assert cache.vjp_key("tanh", {}) is not None and cache._path("ab") is None
